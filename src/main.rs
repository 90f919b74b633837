fn main() {
    println!("gcconform");
}

//! The `gcconform` binary; everything lives in the library's [`gcconform::cli`].

fn main() {
    gcconform::cli::main()
}

//! The `gcconform` binary; everything lives in the library's [`gcconform::cli`].

/// mimalloc instead of glibc's malloc: the model frees millions of small blocks in a
/// collection's dealloc cascade, where glibc spends its time consolidating free chunks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    gcconform::cli::main()
}

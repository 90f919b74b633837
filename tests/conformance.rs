//! The conformance suite: one trial per (scenario, version), model and live interpreters
//! against `expected/`; see `gcconform::service::suite` for the trials, filters and
//! `GCCONFORM_BLESS=1`.

fn main() {
    gcconform::service::suite::main(std::path::Path::new(env!("CARGO_MANIFEST_DIR")))
}

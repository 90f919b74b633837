//! `gcconform explain`: narrate, from the model's own decisions, what each collection did and
//! why every object was freed or is still alive.

use crate::service::load::load_one;
use crate::service::{Context, ExitStatus};
use crate::version::Version;
use clap::Args;
use std::path::PathBuf;

/// The arguments of `gcconform explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The model version to explain (`3.12`).
    #[arg(long, value_name = "VERSION")]
    pub model: Version,
}

/// `gcconform explain`.
pub fn exec(_: &Context, args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let s = match load_one(&args.file) {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    let version = args.model;
    if !s.applies_to(version) {
        eprintln!(
            "{}: the scenario does not apply to {version} (its versions: list)",
            args.file.display()
        );
        return Ok(ExitStatus::BadInput);
    }
    match crate::explain::explain(&s, version) {
        Ok(text) => {
            print!("{text}");
            Ok(ExitStatus::Ok)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitStatus::BadInput)
        }
    }
}

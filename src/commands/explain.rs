//! `gcconform explain`: narrate, from the model's own decisions, what each collection did and
//! why every object was freed or is still alive.

use crate::service::load::load_one;
use crate::service::select::select_model;
use crate::service::{Context, ExitStatus};
use crate::version::Version;
use clap::Args;
use std::path::PathBuf;

/// The arguments of `gcconform explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The model versions to explain: a version (`3.12`), ranges (`3.8-3.11`, `3.11+`) or
    /// `all` applicable ones; repeatable or comma-separated.
    #[arg(long, value_name = "VERSIONS", required = true)]
    pub model: Vec<String>,
}

/// `gcconform explain`.
pub fn exec(_: &Context, args: &ExplainArgs) -> anyhow::Result<ExitStatus> {
    let s = match load_one(&args.file) {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    let models = match select_model(&args.model) {
        Ok(m) => m,
        Err(status) => return Ok(status),
    };
    let versions: Vec<Version> = if models.all {
        s.applicable_versions()
    } else {
        models.versions.clone()
    };
    let mut status = ExitStatus::Ok;
    for (i, &version) in versions.iter().enumerate() {
        if !s.applies_to(version) {
            eprintln!(
                "{}: the scenario does not apply to {version} (its versions: list)",
                args.file.display()
            );
            status |= ExitStatus::BadInput;
            continue;
        }
        match crate::explain::explain(&s, version) {
            Ok(text) => {
                if versions.len() > 1 {
                    if i > 0 {
                        println!();
                    }
                    println!("=== {version}");
                }
                print!("{text}");
            }
            Err(e) => {
                eprintln!("{e}");
                status |= ExitStatus::BadInput;
            }
        }
    }
    Ok(status)
}

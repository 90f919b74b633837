//! `gcconform translate`: the Python program that stands for a scenario.

use crate::runner;
use crate::service::load::load_one;
use crate::service::{Context, ExitStatus};
use crate::util::guarded;
use clap::Args;
use std::path::PathBuf;

/// The arguments of `gcconform translate`.
#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The portable program instead (what `gcconform portability` runs under PyPy).
    #[arg(long)]
    pub portable: bool,
}

/// `gcconform translate`.
pub fn exec(_: &Context, args: &TranslateArgs) -> anyhow::Result<ExitStatus> {
    let s = match load_one(&args.file) {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    let translate = |s| {
        if args.portable {
            runner::portable::translate(s)
        } else {
            runner::translate(s)
        }
    };
    match guarded(|| translate(&s)) {
        Ok(program) => {
            print!("{program}");
            if !program.ends_with('\n') {
                println!();
            }
            Ok(ExitStatus::Ok)
        }
        Err(p) => anyhow::bail!("translating {}: {p}", s.path.display()),
    }
}

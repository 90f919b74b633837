//! `gcconform schema`: print, write or check the JSON Schema of scenario files.

use crate::scenario::schema::{REGENERATE, schema_json};
use crate::service::{Context, ExitStatus};
use clap::Args;
use std::path::PathBuf;

/// The arguments of `gcconform schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write it to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write nothing: exit 1 when FILE differs from the generated schema.
    #[arg(long, requires = "output")]
    pub check: bool,
}

/// `gcconform schema`.
pub fn exec(_: &Context, args: &SchemaArgs) -> anyhow::Result<ExitStatus> {
    let text = schema_json();
    match (args.output.as_deref(), args.check) {
        (Some(p), true) => {
            let current = std::fs::read_to_string(p).unwrap_or_default();
            if current == text {
                eprintln!("gcconform: {} is up to date", p.display());
                Ok(ExitStatus::Ok)
            } else {
                eprintln!(
                    "gcconform: {} is stale; regenerate it with: {REGENERATE}",
                    p.display()
                );
                Ok(ExitStatus::Disagree)
            }
        }
        (Some(p), false) => {
            let unchanged = std::fs::read_to_string(p).is_ok_and(|c| c == text);
            if !unchanged {
                crate::util::fs::write_atomic(p, text.as_bytes())
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", p.display()))?;
            }
            eprintln!(
                "gcconform: {} {}",
                if unchanged { "unchanged:" } else { "wrote" },
                p.display()
            );
            Ok(ExitStatus::Ok)
        }
        (None, true) => anyhow::bail!("--check needs --output FILE (the file to compare)"),
        (None, false) => {
            print!("{text}");
            Ok(ExitStatus::Ok)
        }
    }
}

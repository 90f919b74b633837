//! `gcconform speed`: scenario runs per second per interpreter, fork-isolated against one
//! fresh process per scenario (measured by [`crate::bench::throughput`]).

use crate::bench::throughput::{measure, table};
use crate::commands::Timeout;
use crate::runner::{self, Interpreter};
use crate::service::load::load_scenarios;
use crate::service::select::discover;
use crate::service::{Context, ExitStatus};
use crate::version::VersionSelection;
use std::path::PathBuf;

/// Options of `gcconform speed`.
#[derive(Debug, Clone, clap::Args)]
pub struct SpeedArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Interpreters to measure: versions (`3.12`), ranges (`3.8-3.11`, `3.11+`), `all`
    /// (default), or any interpreter's path; repeatable or comma-separated.
    #[arg(long, value_name = "VERSIONS|PATH")]
    pub python: Vec<String>,
    /// How many times the fork-isolated side runs the corpus (the fresh side runs it once).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Children (or fresh processes) at a time per interpreter (default: one per CPU, plus one).
    #[arg(long)]
    pub slots: Option<usize>,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// `gcconform speed`.
pub fn exec(ctx: &Context, args: &SpeedArgs) -> anyhow::Result<ExitStatus> {
    let loaded = load_scenarios(&args.paths);
    if loaded.bad_input || loaded.scenarios.is_empty() {
        eprintln!("gcconform: speed: the scenarios do not load (see above)");
        return Ok(ExitStatus::BadInput);
    }
    let wanted = match VersionSelection::parse(&args.python, true) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("gcconform: --python: {e}");
            return Ok(ExitStatus::BadInput);
        }
    };
    let d = discover();
    let mut interps: Vec<Interpreter> = Vec::new();
    let mut failed = false;
    for v in wanted.selected() {
        match d.get(v) {
            Some(i) => interps.push(i.clone()),
            None if wanted.explicit() => {
                eprintln!("gcconform: speed: --python {v}: no CPython {v} interpreter found");
                failed = true;
            }
            None => {}
        }
    }
    // A path may name any interpreter, modelled or not.
    for spec in &wanted.paths {
        match runner::resolve(spec) {
            Ok(i) => interps.push(i),
            Err(e) => {
                eprintln!("gcconform: speed: --python {spec}: {e}");
                failed = true;
            }
        }
    }
    if interps.is_empty() {
        eprintln!("gcconform: speed: no interpreter to measure (see `gcconform interpreters`)");
        return Ok(ExitStatus::BadInput);
    }
    let slots = args
        .slots
        .unwrap_or_else(runner::pool::default_slots)
        .max(1);
    let mut rows = Vec::new();
    for i in &interps {
        eprintln!("speed: {} {} …", i.implementation, i.release);
        let r = measure(i, &loaded.scenarios, args.rounds, slots, ctx.timeout);
        failed |= r.errors > 0;
        rows.push(r);
    }
    print!("{}", table(&rows, slots));
    Ok(ExitStatus::Interpreter.when(failed))
}

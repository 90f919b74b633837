//! Layer 8: one file per subcommand. Each declares its arguments (a clap `Args` struct) and one
//! entry point, `exec(&Context, &Args) -> Result<ExitStatus>`; the work is in the layers below
//! (the services, the matrix, fuzz and bench). Commands never import each other; `cli.rs`
//! lists them and dispatches.

pub mod bench;
pub mod bless;
pub mod diff;
pub mod explain;
pub mod fuzz;
pub mod graph;
pub mod interpreters;
pub mod matrix;
pub mod new;
pub mod portability;
pub mod run;
pub mod schema;
pub mod speed;
pub mod trace;
pub mod translate;

use crate::scenario::Scenario;
use crate::service::ExitStatus;
use crate::service::context::DEFAULT_EXPECTED;
use crate::service::load::{Loaded, load_scenarios};
use crate::service::select::{Selection, select_model, select_python};
use crate::version::VersionSelection;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// The scenarios a command works on: paths and `-k` patterns.
#[derive(Debug, Args)]
pub struct ScenarioSelect {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Only the scenarios whose id matches GLOB (`finalizers/*`, `*cycle*`); repeatable.
    #[arg(short = 'k', long = "filter", value_name = "GLOB")]
    pub filter: Vec<String>,
}

impl ScenarioSelect {
    /// Load the scenarios under the paths and keep those `-k` selects; a bad pattern, or one
    /// that selects nothing, is bad input.
    pub fn load(&self) -> Loaded {
        let mut loaded = load_scenarios(&self.paths);
        match filter_scenarios(std::mem::take(&mut loaded.scenarios), &self.filter) {
            Ok(kept) => loaded.scenarios = kept,
            Err(e) => {
                eprintln!("gcconform: {e}");
                loaded.bad_input = true;
            }
        }
        loaded
    }
}

/// What `run`, `diff` and `matrix` select with, the same everywhere: the scenarios (paths and
/// `-k`), the interpreters (`--python`) and the model's versions (`--model`), in the one
/// version syntax of [`crate::version::VersionSelection`].
#[derive(Debug, Args)]
pub struct Selectors {
    #[command(flatten)]
    pub scenarios: ScenarioSelect,
    /// Interpreters: versions (`3.12`), ranges (`3.8-3.11`, `3.11+`), `all` (default), `none`,
    /// or an interpreter's path; repeatable or comma-separated.
    #[arg(long, value_name = "VERSIONS|PATH")]
    pub python: Vec<String>,
    /// Model versions, in the same syntax (`3.12`, `3.8-3.11`, `all`, `none`).
    #[arg(long, value_name = "VERSIONS")]
    pub model: Vec<String>,
}

impl Selectors {
    /// [`ScenarioSelect::load`].
    pub fn load(&self) -> Loaded {
        self.scenarios.load()
    }

    /// Load the scenarios and read `--model` and `--python` (selecting the interpreters); what
    /// went wrong is printed, and the error is the status to exit with.
    pub fn resolve(&self) -> Result<Selected, ExitStatus> {
        let loaded = self.load();
        if loaded.scenarios.is_empty() {
            eprintln!("gcconform: no scenarios to check");
            return Err(ExitStatus::BadInput);
        }
        let models = select_model(&self.model)?;
        let python = select_python(&self.python)?;
        Ok(Selected {
            bad_input: loaded.bad_input || !python.bad.is_empty(),
            interpreter_failed: python.failures(),
            scenarios: loaded.scenarios,
            models,
            python,
        })
    }
}

/// What [`Selectors::resolve`] found.
pub struct Selected {
    pub scenarios: Vec<Scenario>,
    /// The model's versions.
    pub models: VersionSelection,
    /// The interpreters.
    pub python: Selection,
    /// Some scenario or `--python` argument was bad input (exit status 2).
    pub bad_input: bool,
    /// An interpreter asked for is missing or not runnable (exit status 3).
    pub interpreter_failed: bool,
}

/// The scenarios whose id matches one of `globs` (all of them when there is none).
pub fn filter_scenarios(
    scenarios: Vec<Scenario>,
    globs: &[String],
) -> Result<Vec<Scenario>, String> {
    if globs.is_empty() {
        return Ok(scenarios);
    }
    let patterns = globs
        .iter()
        .map(|g| glob::Pattern::new(g).map_err(|e| format!("-k {g}: not a glob pattern: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let n = scenarios.len();
    let kept: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| patterns.iter().any(|p| p.matches(&s.id)))
        .collect();
    if kept.is_empty() && n > 0 {
        return Err(format!(
            "-k {}: no scenario id matches (ids look like `seed/cycle_with_del`)",
            globs.join(" -k ")
        ));
    }
    Ok(kept)
}

/// `--expected DIR`, on the commands that read or write `expected/`.
#[derive(Debug, Clone, Args)]
pub struct ExpectedDir {
    /// Directory of recorded traces.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_EXPECTED)]
    pub expected: PathBuf,
}

/// `--timeout SECS`, on the commands that run interpreters.
#[derive(Debug, Clone, Args)]
pub struct Timeout {
    /// Seconds an interpreter may run one scenario before it is killed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
}

/// A positive number of seconds.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("the timeout must be positive, not {s}"));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{s}`: {e}"))
}

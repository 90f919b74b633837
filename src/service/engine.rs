//! The one check engine: every (scenario, version, side) job of a command, the model's in
//! parallel and the live interpreters' in one fork-isolated batch per interpreter, all under
//! way at once. Errors and panics become messages: one failing scenario never takes a run
//! down.
//!
//! Commands build the jobs they need (`run`: the model and each installed interpreter against
//! `expected/`; `diff`: both sides for versions with an interpreter; `bless` and the matrix:
//! their own subsets) and read the results back by job.

use crate::compare::check::{self, Check};
use crate::expected::{self, ExpectedError, ExpectedFile};
use crate::model;
use crate::runner::{self, Interpreter, RunError};
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::util::guarded;
use crate::util::term::parallel_map_progress;
use crate::version::Version;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which side of a comparison a job computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The Rust model of the version.
    Model,
    /// The live interpreter of the version.
    Python,
}

impl Side {
    /// `model` or `cpython`, as JSON reports and trial names say.
    pub fn name(self) -> &'static str {
        match self {
            Side::Model => "model",
            Side::Python => "cpython",
        }
    }
}

/// One trace to take: a scenario (an index into the command's scenarios) under a version, on
/// one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub scenario: usize,
    pub version: Version,
    pub side: Side,
}

impl Job {
    /// The jobs of scenario `scenario` under `versions`: the model's where `model(v)`, the live
    /// interpreter's where `python(v)`, in that order for each version.
    pub fn for_scenario(
        scenario: usize,
        versions: impl IntoIterator<Item = Version>,
        model: impl Fn(Version) -> bool,
        python: impl Fn(Version) -> bool,
    ) -> Vec<Job> {
        let mut jobs = Vec::new();
        for version in versions {
            for (side, wanted) in [
                (Side::Model, model(version)),
                (Side::Python, python(version)),
            ] {
                if wanted {
                    jobs.push(Job {
                        scenario,
                        version,
                        side,
                    });
                }
            }
        }
        jobs
    }
}

/// A trace, or why there is none.
pub type TraceResult = Result<Trace, String>;

/// Run the model, turning errors and panics into messages.
pub fn model_trace(s: &Scenario, v: Version) -> TraceResult {
    model_trace_from(s, v, None)
}

/// [`model_trace`] from a start-up heap (the one recorded with the trace it is compared with,
/// or measured in the live run beside it; `None`: the version's reference value).
pub fn model_trace_from(s: &Scenario, v: Version, startup_heap: Option<u64>) -> TraceResult {
    match guarded(|| model::run_from(s, v, startup_heap)) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!("the model {p}")),
    }
}

/// Run one scenario on an interpreter, as every command runs it: in a child of the
/// interpreter's fork server (a batch of one; a fresh process where fork is unavailable), so
/// that `trace --python` and `graph` see what `run`, `diff` and `bless` see. Errors and panics
/// become messages.
pub fn python_trace(i: &Interpreter, s: &Scenario, timeout: Duration) -> TraceResult {
    match guarded(|| python_traces(&[(s, i)], timeout)) {
        Ok(mut v) => v
            .pop()
            .unwrap_or_else(|| Err("the runner returned no trace".into())),
        Err(p) => Err(format!("the runner {p}")),
    }
}

fn describe_run_error(i: &Interpreter, e: &RunError) -> String {
    format!("{e} ({})", i.path.display())
}

/// Start one fork-isolated batch per interpreter for `pairs`, all at once, and hand `consume`
/// a function that takes the trace of pair `k` (waiting for it). The batches run while
/// `consume` does other work (the model's runs).
pub fn with_live<R>(
    pairs: &[(&Scenario, &Interpreter)],
    timeout: Duration,
    consume: impl FnOnce(&(dyn Fn(usize) -> TraceResult + Sync)) -> R,
) -> R {
    runner::pool::with_batches(pairs, timeout, |take| {
        consume(&|k| take(k).map_err(|e| describe_run_error(pairs[k].1, &e)))
    })
}

/// Live traces of many (scenario, interpreter) pairs, in order (one batch per interpreter).
pub fn python_traces(pairs: &[(&Scenario, &Interpreter)], timeout: Duration) -> Vec<TraceResult> {
    with_live(pairs, timeout, |take| (0..pairs.len()).map(take).collect())
}

/// Where the model of a job starts: the start-up heap to give it.
#[derive(Clone, Copy)]
pub enum Startup<'a> {
    /// The version's reference value.
    Reference,
    /// Recorded for (scenario, version), e.g. in `expected/` (`None`: not recorded).
    Recorded(&'a (dyn Fn(usize, Version) -> Option<u64> + Sync)),
    /// Measured by the live run of the same (scenario, version), when there is one: the model
    /// job waits for it.
    Live,
}

/// The traces of `jobs`, in order: the model's in parallel (with a progress line named
/// `progress` on a terminal), the live ones in batches meanwhile. A `Python` job whose version
/// has no interpreter in `interps` gets an error. `startup` says which start-up heap each
/// model job starts from.
pub fn run_jobs(
    jobs: &[Job],
    scenarios: &[Scenario],
    interps: &BTreeMap<Version, Interpreter>,
    timeout: Duration,
    progress: &str,
    startup: Startup<'_>,
) -> Vec<TraceResult> {
    let mut live = Vec::new();
    let numbered: Vec<(Option<usize>, &Job)> = jobs
        .iter()
        .map(|j| match interps.get(&j.version) {
            Some(i) if j.side == Side::Python => {
                live.push((&scenarios[j.scenario], i));
                (Some(live.len() - 1), j)
            }
            _ => (None, j),
        })
        .collect();
    // The live job of each (scenario, version), for model jobs that start where it did.
    let live_of: BTreeMap<(usize, Version), usize> = numbered
        .iter()
        .filter_map(|(n, j)| Some(((j.scenario, j.version), (*n)?)))
        .collect();
    with_live(&live, timeout, |take| {
        // A live result may be wanted twice (its job, and the model job that starts from its
        // start-up heap): taken once, kept.
        let kept: Vec<std::sync::OnceLock<TraceResult>> = (0..live.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        let get = |n: usize| kept[n].get_or_init(|| take(n)).clone();
        parallel_map_progress(progress, &numbered, |(n, j)| match (j.side, n) {
            (Side::Model, _) => {
                let heap = match startup {
                    Startup::Reference => None,
                    Startup::Recorded(f) => f(j.scenario, j.version),
                    Startup::Live => live_of
                        .get(&(j.scenario, j.version))
                        .and_then(|n| get(*n).ok()?.startup_heap),
                };
                model_trace_from(&scenarios[j.scenario], j.version, heap)
            }
            (Side::Python, Some(n)) => get(*n),
            (Side::Python, None) => Err(format!("no interpreter for {}", j.version)),
        })
    })
}

/// The results of [`run_jobs`], looked up by job.
#[derive(Default)]
pub struct Results {
    by_job: BTreeMap<(usize, Version, Side), TraceResult>,
}

impl Results {
    /// Run `jobs` ([`run_jobs`]) and index the results.
    pub fn run(
        jobs: &[Job],
        scenarios: &[Scenario],
        interps: &BTreeMap<Version, Interpreter>,
        timeout: Duration,
        progress: &str,
        startup: Startup<'_>,
    ) -> Results {
        let results = run_jobs(jobs, scenarios, interps, timeout, progress, startup);
        Results {
            by_job: jobs
                .iter()
                .zip(results)
                .map(|(j, r)| ((j.scenario, j.version, j.side), r))
                .collect(),
        }
    }

    /// Add the results of another run (of other jobs).
    pub fn merge(&mut self, other: Results) {
        self.by_job.extend(other.by_job);
    }

    /// The result of a job, if it was run.
    pub fn get(&self, scenario: usize, version: Version, side: Side) -> Option<&TraceResult> {
        self.by_job.get(&(scenario, version, side))
    }

    /// Take the result of a job out.
    pub fn take(&mut self, scenario: usize, version: Version, side: Side) -> Option<TraceResult> {
        self.by_job.remove(&(scenario, version, side))
    }
}

/// A scenario's expected file, read once.
pub struct Expected {
    /// `expected/<id>.trace`.
    pub path: PathBuf,
    /// The file (`Ok(None)`: it does not exist).
    pub file: Result<Option<ExpectedFile>, ExpectedError>,
}

impl Expected {
    /// Read the expected file of every scenario, in order.
    pub fn read_all(root: &Path, scenarios: &[Scenario]) -> Vec<Expected> {
        scenarios
            .iter()
            .map(|s| {
                let path = expected::expected_path(root, s);
                let file = expected::read(&path);
                Expected { path, file }
            })
            .collect()
    }

    /// The block recorded for `v`, if the file was read and has one.
    pub fn block(&self, v: Version) -> Option<&Trace> {
        self.file.as_ref().ok()?.as_ref()?.blocks.get(&v)
    }

    /// The release a version's block was recorded from.
    pub fn release(&self, v: Version) -> Option<&String> {
        self.file.as_ref().ok()?.as_ref()?.releases.get(&v)
    }

    /// Check a trace (labelled `actual`, or why there is none) against the block of `v`; an
    /// unreadable file is `Missing` with its error and `unreadable`'s advice.
    pub fn check(
        &self,
        s: &Scenario,
        v: Version,
        actual_label: &str,
        actual: Result<&Trace, String>,
        bless: &str,
    ) -> Check {
        match &self.file {
            Err(e) => Check::Missing(e.to_string()),
            Ok(f) => {
                check::against_expected(s, v, f.as_ref(), &self.path, actual_label, actual, bless)
            }
        }
    }
}

/// How a job's actual side is named in reports: `model 3.12`, `CPython 3.12.1`.
pub fn actual_label(side: Side, v: Version, interp: Option<&Interpreter>) -> String {
    match (side, interp) {
        (Side::Python, Some(i)) => i.label(),
        _ => format!("model {v}"),
    }
}

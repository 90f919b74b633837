//! The conformance suite: one trial per (scenario, version), run by `cargo test` (its harness,
//! `tests/conformance.rs`, calls [`main`]), on the same engine, interpreter selection and bless
//! policy as the command line.
//!
//! - `model/3.12/seed/cycle_with_del`: the model's trace against `expected/` (no interpreter
//!   needed), with the model's invariants ([`crate::model::invariants`]) checked after every
//!   top-level statement: a broken one fails the trial;
//! - `cpython/3.12/seed/cycle_with_del`: the live interpreter's trace against `expected/`
//!   (ignored, with the reason, when that interpreter is not installed). Each interpreter runs
//!   all its scenarios once, in one fork-isolated batch (`runner::Pool`), when the first of its
//!   trials runs; the trials share the results;
//! - `load/<id>`: a scenario file that does not load;
//! - `xfail/list`: `tests/xfail.txt` is well formed and names only existing trials.
//!
//! Trials listed in `tests/xfail.txt` pass while they disagree and fail once they agree.
//! Filters work as usual: `cargo test -- 3.12`, `cargo test -- model/`, `--skip cpython/`,
//! `--list`. Environment: `GCCONFORM_TIMEOUT` (seconds per live run, default 10).
//! This harness never writes `expected/` unless asked: with `GCCONFORM_BLESS=1` (and `CI`
//! unset) it first re-records, from the live CPython interpreters only, every expected block
//! that is missing or disagrees with its selected `cpython/` trial (filters apply; trials in
//! tests/xfail.txt are left alone) through [`crate::service::bless`], the policy `gcconform
//! bless` uses, then runs the trials against the new files. With `CI` set, `GCCONFORM_BLESS`
//! fails the run at once with a message, and nothing is written.
//!
//! With `GCCONFORM_REQUIRE_INTERPRETERS` set (not empty or `0`), a version without a CPython
//! interpreter makes its `cpython/` trials fail instead of being ignored: `.ci/run` sets it on
//! machines that are meant to have them, so that a vanished interpreter cannot pass silently.

use super::bless::{self, BLESS_VAR};
use super::engine::python_traces;
use super::select::Selection;
use crate::compare::check::{self, Check};
use crate::compare::xfail::{self, Xfail};
use crate::expected::{self, ExpectedError, ExpectedFile};
use crate::model::invariants::{ModelFailure, run_checked};
use crate::runner::Interpreter;
use crate::scenario::{self, Scenario};
use crate::trace::Trace;
use crate::util::guarded;
use crate::version::Version;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How failure messages name the gcconform command from a checkout.
pub const PROGRAM: &str = "cargo run --release --";
/// The expected-failure list, relative to the crate root.
pub const XFAIL_FILE: &str = "tests/xfail.txt";
/// The variable that turns a missing interpreter into failing `cpython/` trials.
pub const REQUIRE_VAR: &str = "GCCONFORM_REQUIRE_INTERPRETERS";

/// The harness's `main`: parse libtest's arguments, bless first if asked, run the trials of the
/// checkout at `root` (its `scenarios/`, `expected/` and `tests/xfail.txt`), and exit.
pub fn main(root: &Path) -> ! {
    let args = Arguments::from_args();
    let mut live = LiveCache::new();
    if bless::requested() && !args.list {
        match bless::refusal() {
            Some(why) => {
                // Fail the whole run, whatever the filters select.
                eprintln!("error: {BLESS_VAR} is set: {why}");
                std::process::exit(101);
            }
            None => {
                let (interps, _) = live_interpreters(false);
                live = bless_phase(root, &interps, &args, timeout());
            }
        }
    }
    let trials = build_trials(root, !args.list, &live);
    libtest_mimic::run(&args, trials).exit();
}

/// Live traces already taken (by the bless phase), by (scenario id, version).
pub type LiveCache = BTreeMap<(String, Version), Result<Trace, String>>;

/// `GCCONFORM_BLESS=1 cargo test`: before the trials are built, run every selected live trial's
/// interpreter (of `interps`) and re-record, through the one bless policy, each expected block
/// that is missing or disagrees, and drop blocks of versions a scenario no longer applies to.
/// Trials listed in tests/xfail.txt and trials the command line filters out are left alone.
/// The live traces are returned, for the `cpython/` trials to reuse.
pub fn bless_phase(
    root: &Path,
    interps: &BTreeMap<Version, Interpreter>,
    args: &Arguments,
    timeout: Duration,
) -> LiveCache {
    let files = scenario::discover(&[root.join("scenarios")]).unwrap_or_default();
    let scenarios: Vec<Scenario> = files
        .iter()
        .filter_map(|f| scenario::load(f).ok())
        .collect();
    let xfail = Xfail::load(&root.join(XFAIL_FILE)).unwrap_or_default();
    if interps.is_empty() {
        eprintln!("{BLESS_VAR}: no CPython interpreter found; nothing to record");
        return LiveCache::new();
    }
    let selected = |sc: &Scenario, v: Version| {
        let name = format!("cpython/{v}/{}", sc.id);
        if args.is_filtered_out(&Trial::test(name.clone(), || Ok(()))) {
            return false;
        }
        if xfail.get(&name).is_some() {
            eprintln!("{BLESS_VAR}: {name} is listed in {XFAIL_FILE}; not re-recorded");
            return false;
        }
        true
    };
    let run = bless::bless_all(
        &scenarios,
        &root.join("expected"),
        interps,
        selected,
        timeout,
    );
    let shown = |l: &str| l.replace(&format!("{}/", root.display()), "");
    let written = run.written();
    for line in &written {
        eprintln!("{BLESS_VAR}: {}", shown(line));
    }
    for e in run.errors(&scenarios) {
        eprintln!("{BLESS_VAR}: error: {}", shown(&e));
    }
    eprintln!(
        "{BLESS_VAR}: {} live run(s), {} expected file(s) re-recorded from real CPython",
        run.live.len(),
        written.len()
    );
    run.live
}

/// What every trial of one scenario shares.
struct Shared {
    scenario: Scenario,
    /// `expected/<id>.trace` as shown in messages (relative to the crate root).
    expected_path: PathBuf,
    /// The expected file (`Ok(None)`: it does not exist).
    expected: Result<Option<ExpectedFile>, String>,
    bless: String,
}

impl Shared {
    /// Check a trace (or why there is none) against the expected block of `version`.
    fn check(&self, version: Version, label: &str, actual: Result<&Trace, String>) -> Check {
        match self.check_expected(version, label, actual) {
            Check::Missing(m) => Check::Missing(format!(
                "{m}\nor, from the test suite: {BLESS_VAR}=1 cargo test --test conformance -- {}",
                self.scenario.id
            )),
            c => c,
        }
    }

    fn check_expected(
        &self,
        version: Version,
        label: &str,
        actual: Result<&Trace, String>,
    ) -> Check {
        match &self.expected {
            Err(e) => Check::Missing(format!(
                "{e}\nfix or delete the file, then record it from real CPython with: {}",
                self.bless
            )),
            Ok(file) => check::against_expected(
                &self.scenario,
                version,
                file.as_ref(),
                &self.expected_path,
                label,
                actual,
                &self.bless,
            ),
        }
    }
}

fn display_path(root: &Path, p: &Path) -> PathBuf {
    p.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| p.to_path_buf())
}

/// The interpreter of each version that live trials use (CPython only, by the one selection
/// policy), and why a version has none.
pub fn live_interpreters(
    notes: bool,
) -> (BTreeMap<Version, Interpreter>, BTreeMap<Version, String>) {
    let mut sel = Selection::all();
    let mut why_not = BTreeMap::new();
    for (v, i) in sel.cpython_only() {
        why_not.insert(
            v,
            format!(
                "the {v} interpreter found is {} ({}), not CPython",
                i.label(),
                i.path.display()
            ),
        );
    }
    for v in &sel.missing {
        why_not.entry(*v).or_insert_with(|| {
            format!("no CPython {v} interpreter found (pyenv, PATH or GCCONFORM_PYTHONS)")
        });
    }
    if notes && !why_not.is_empty() {
        let vs: Vec<String> = why_not.keys().map(|v| v.to_string()).collect();
        eprintln!(
            "note: no CPython interpreter for {}: their cpython/ trials are {}",
            vs.join(" "),
            if interpreters_required() {
                format!("failures ({REQUIRE_VAR} is set)")
            } else {
                "ignored".to_string()
            }
        );
    }
    (sel.interps, why_not)
}

/// Whether [`REQUIRE_VAR`] asks for every interpreter.
pub fn interpreters_required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.trim().is_empty() && v.trim() != "0")
}

/// Seconds per live run: `GCCONFORM_TIMEOUT`, default 10.
fn timeout() -> Duration {
    std::env::var("GCCONFORM_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(10))
}

fn fail(msg: String) -> Failed {
    Failed::from(msg)
}

/// The live runs of one interpreter: every scenario it applies to, run once, in one
/// fork-isolated batch (the engine's), when the first of its `cpython/` trials needs it.
struct LiveBatch {
    interp: Interpreter,
    timeout: Duration,
    /// The scenarios, added while the trials are built.
    scenarios: Mutex<Vec<Arc<Shared>>>,
    /// Scenario id → its trace or why there is none.
    results: OnceLock<BTreeMap<String, Result<Trace, String>>>,
}

impl LiveBatch {
    fn new(interp: Interpreter, timeout: Duration) -> LiveBatch {
        LiveBatch {
            interp,
            timeout,
            scenarios: Mutex::new(Vec::new()),
            results: OnceLock::new(),
        }
    }

    fn trace(&self, id: &str) -> Result<Trace, String> {
        let results = self.results.get_or_init(|| {
            let shared = self.scenarios.lock().unwrap_or_else(|p| p.into_inner());
            let pairs: Vec<(&Scenario, &Interpreter)> =
                shared.iter().map(|s| (&s.scenario, &self.interp)).collect();
            let traces = python_traces(&pairs, self.timeout);
            pairs
                .iter()
                .map(|(s, _)| s.id.clone())
                .zip(traces)
                .collect()
        });
        results
            .get(id)
            .cloned()
            .unwrap_or_else(|| Err(format!("{id} was not in the live batch")))
    }
}

/// Every trial of the checkout at `root`; `notes`: say on stderr which interpreters are
/// missing; `live`: traces the bless phase already took.
pub fn build_trials(root: &Path, notes: bool, live: &LiveCache) -> Vec<Trial> {
    let mut trials = Vec::new();
    let scenarios_dir = root.join("scenarios");
    let files = match scenario::discover(std::slice::from_ref(&scenarios_dir)) {
        Ok(f) => f,
        Err(e) => {
            trials.push(Trial::test("load/scenarios", move || Err(fail(e))));
            Vec::new()
        }
    };
    let xfail_path = root.join(XFAIL_FILE);
    let (xfail, xfail_errors) = match Xfail::load(&xfail_path) {
        Ok(x) => (x, Vec::new()),
        Err(es) => (Xfail::default(), es),
    };
    let xfail = Arc::new(xfail);
    let (interps, why_not) = live_interpreters(notes);
    let required = interpreters_required();
    let timeout = timeout();
    let batches: BTreeMap<Version, Arc<LiveBatch>> = interps
        .iter()
        .map(|(v, i)| (*v, Arc::new(LiveBatch::new(i.clone(), timeout))))
        .collect();
    let mut names = BTreeSet::new();

    // Load through paths relative to the crate root when that is the working directory (as
    // under cargo test), so diagnostics and commands read `scenarios/...`.
    let cwd_is_root = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .ok()
        .zip(root.canonicalize().ok())
        .is_some_and(|(a, b)| a == b);
    for file in files {
        let shown = display_path(root, &file);
        let load_path = if cwd_is_root { &shown } else { &file };
        let scenario = match scenario::load(load_path) {
            Ok(s) => s,
            Err(e) => {
                let id = scenario::scenario_id(&file);
                let msg = e.to_string();
                trials.push(Trial::test(format!("load/{id}"), move || Err(fail(msg))));
                continue;
            }
        };
        let exp_abs = expected::expected_path(&root.join("expected"), &scenario);
        let expected = expected::read(&exp_abs).map_err(|e| match e {
            ExpectedError::Malformed { line, message, .. } => format!(
                "{}:{line}: error: {message}",
                display_path(root, &exp_abs).display()
            ),
            other => other.to_string(),
        });
        let shared = Arc::new(Shared {
            bless: check::bless_command(PROGRAM, &shown, None),
            expected_path: display_path(root, &exp_abs),
            expected,
            scenario,
        });

        for v in shared.scenario.applicable_versions() {
            let id = &shared.scenario.id;

            // The model against expected/.
            let name = format!("model/{v}/{id}");
            names.insert(name.clone());
            let (sh, xf, n) = (shared.clone(), xfail.clone(), name.clone());
            trials.push(Trial::test(name, move || {
                // From the start-up heap recorded with the expected trace.
                let heap = match &sh.expected {
                    Ok(Some(f)) => f.blocks.get(&v).and_then(|t| t.startup_heap),
                    _ => None,
                };
                // With the model's invariants checked after every top-level statement.
                let trace = match guarded(|| run_checked(&sh.scenario, v, heap)) {
                    Ok(Ok(t)) => Ok(t),
                    Ok(Err(ModelFailure::Invariant(e))) => {
                        return Err(fail(format!("the model broke an invariant: {e}")));
                    }
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(p) => Err(format!("the model {p}")),
                };
                let c = sh.check(
                    v,
                    &format!("model {v}"),
                    trace.as_ref().map_err(Clone::clone),
                );
                xfail::verdict(&n, XFAIL_FILE, xf.get(&n), &c).map_err(fail)
            }));

            // The live interpreter against expected/.
            let name = format!("cpython/{v}/{id}");
            names.insert(name.clone());
            match interps.get(&v) {
                Some(interp) => {
                    let (sh, xf, n, label) =
                        (shared.clone(), xfail.clone(), name.clone(), interp.label());
                    let taken = live.get(&(id.clone(), v)).cloned();
                    let batch = batches[&v].clone();
                    if taken.is_none() {
                        batch
                            .scenarios
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(shared.clone());
                    }
                    trials.push(Trial::test(name, move || {
                        let trace = match taken {
                            Some(t) => t,
                            None => batch.trace(&sh.scenario.id),
                        };
                        let mut c = sh.check(v, &label, trace.as_ref().map_err(Clone::clone));
                        if let (Check::Disagree { report, .. }, Ok(Some(f))) =
                            (&mut c, &sh.expected)
                            && let Some(note) = crate::compare::verdict::release_note(
                                v,
                                f.releases.get(&v).map(String::as_str),
                                &label,
                            )
                        {
                            report.push_str(&note);
                            report.push('\n');
                        }
                        xfail::verdict(&n, XFAIL_FILE, xf.get(&n), &c).map_err(fail)
                    }));
                }
                None => {
                    let reason = why_not
                        .get(&v)
                        .cloned()
                        .unwrap_or_else(|| format!("no CPython {v} interpreter"));
                    if required {
                        trials.push(Trial::test(name, move || {
                            Err(fail(format!("{reason}, and {REQUIRE_VAR} is set")))
                        }));
                    } else {
                        trials.push(
                            Trial::ignorable_test(name, move || {
                                Ok(Completion::ignored_with(reason))
                            })
                            .with_ignored_flag(true),
                        );
                    }
                }
            }
        }
    }

    // The expected-failure list itself.
    let stale: Vec<String> = xfail
        .unknown(&names)
        .into_iter()
        .map(|(n, line)| format!("{XFAIL_FILE}:{line}: `{n}` names no trial; remove it"))
        .collect();
    let problems: Vec<String> = xfail_errors.into_iter().chain(stale).collect();
    trials.push(Trial::test("xfail/list", move || {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(fail(problems.join("\n")))
        }
    }));
    trials
}

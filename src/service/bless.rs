//! The one policy that writes `expected/`, used by `gcconform bless` and by
//! `GCCONFORM_BLESS=1 cargo test` alike:
//!
//! - only traces of real CPython interpreters are recorded, never the model's: [`bless_all`]
//!   takes its traces from the live interpreters it is given (CPython only), and
//!   [`bless_scenario`] cannot be given anything but live traces;
//! - blocks of versions the scenario no longer applies to are dropped;
//! - only what is missing or differs is re-recorded: a block that equals the live trace (events
//!   and start-up heap) is left alone, its recorded release too, and versions without a live
//!   trace keep their blocks;
//!   what changed is said ([`describe`]);
//! - a file is written atomically (temporary file, then rename), only when its text changes,
//!   and an expected file that does not parse is never overwritten (its other blocks would be
//!   lost);
//! - nothing is written when `CI` is set ([`refusal`]).

use super::engine::python_traces;
use crate::expected::{self, ExpectedFile};
use crate::runner::Interpreter;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::version::{Version, version_list};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable that asks `cargo test` to re-record `expected/`.
pub const BLESS_VAR: &str = "GCCONFORM_BLESS";

/// Whether `GCCONFORM_BLESS` asks for blessing (set, and not empty, `0` or `false`).
pub fn requested() -> bool {
    std::env::var(BLESS_VAR).is_ok_and(|v| {
        let v = v.trim();
        !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
    })
}

/// Why blessing must not happen here, if it must not: the `CI` variable is set.
pub fn refusal() -> Option<String> {
    refusal_for(std::env::var_os("CI").is_some())
}

/// [`refusal`], given whether `CI` is set.
pub fn refusal_for(ci: bool) -> Option<String> {
    ci.then(|| {
        "refusing to bless: the CI environment variable is set. expected/ is recorded from real \
         CPython on a developer's machine and reviewed as a change, never rewritten by CI (CI \
         only checks it: `gcconform run`, `cargo test`). Unset CI to bless locally."
            .to_string()
    })
}

/// What [`bless_scenario`] did to one expected file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blessed {
    /// The versions whose blocks were added or replaced, with the interpreter recorded.
    pub changed: Vec<(Version, String)>,
    /// The versions whose blocks were dropped (the scenario does not apply to them).
    pub dropped: Vec<Version>,
    /// Whether the file was created.
    pub created: bool,
    /// Whether the file was written (its text changed).
    pub written: bool,
    /// Whether the file has no block at all (nothing recorded, nothing written).
    pub empty: bool,
}

/// Apply the policy to one expected file: record into `expected_path` the live CPython trace of
/// every version in `live` (version → (interpreter label such as `CPython 3.12.1`, trace))
/// whose block is missing or differs, and drop the blocks of versions `sc` does not apply to.
/// Writes the file (atomically) only when its text changes. The caller checks [`refusal`].
pub fn bless_scenario(
    sc: &Scenario,
    expected_path: &Path,
    live: &BTreeMap<Version, (String, Trace)>,
) -> Result<Blessed, String> {
    let old = expected::read(expected_path).map_err(|e| {
        format!("{e}\nleaving the file as it is: fix or delete it, then bless again")
    })?;
    let mut b = Blessed {
        created: old.is_none(),
        ..Blessed::default()
    };
    let mut file = old.unwrap_or_else(|| ExpectedFile::new(expected::source_name(&sc.path)));
    file.source = expected::source_name(&sc.path);
    for v in Version::ALL {
        if !sc.applies_to(v) && file.blocks.contains_key(&v) {
            file.remove(v);
            b.dropped.push(v);
        }
    }
    for (v, (label, trace)) in live {
        // A block is re-recorded when its events differ, or the start-up heap it was recorded
        // from (which the model starts from) does.
        let same = file
            .blocks
            .get(v)
            .is_some_and(|old| old == trace && old.startup_heap == trace.startup_heap);
        if sc.applies_to(*v) && !same {
            file.set(*v, trace.clone(), label.clone());
            b.changed.push((*v, label.clone()));
        }
    }
    if file.blocks.is_empty() {
        b.empty = true;
        b.created = false;
        return Ok(b);
    }
    let text = file.render();
    let unchanged = std::fs::read_to_string(expected_path).is_ok_and(|old| old == text);
    if !unchanged {
        crate::util::fs::write_atomic(expected_path, text.as_bytes())
            .map_err(|e| format!("writing {}: {e}", expected_path.display()))?;
        b.written = true;
    }
    b.created &= b.written;
    Ok(b)
}

/// Record into `expected_path` the trace of a CPython build no profile models, as its own block
/// (`=== unmodelled LABEL`, `label` such as `CPython 3.14.0`): the modelled blocks are left as
/// they are. Writes the file (atomically) only when its text changes; `Ok(false)`: unchanged.
/// The caller checks [`refusal`].
pub fn bless_unmodelled(
    sc: &Scenario,
    expected_path: &Path,
    label: &str,
    trace: &Trace,
) -> Result<bool, String> {
    let old = expected::read(expected_path).map_err(|e| {
        format!("{e}\nleaving the file as it is: fix or delete it, then bless again")
    })?;
    let mut file = old.unwrap_or_else(|| ExpectedFile::new(expected::source_name(&sc.path)));
    file.source = expected::source_name(&sc.path);
    file.unmodelled.insert(label.to_string(), trace.clone());
    let text = file.render();
    if std::fs::read_to_string(expected_path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    if let Some(dir) = expected_path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    crate::util::fs::write_atomic(expected_path, text.as_bytes())
        .map_err(|e| format!("writing {}: {e}", expected_path.display()))?;
    Ok(true)
}

/// A one-line account of what [`bless_scenario`] did: `expected/x.trace: re-recorded 3.12
/// (CPython 3.12.1), 3.13 (CPython 3.13.0); dropped 2.7 (the scenario does not apply to it)`,
/// or `expected/x.trace unchanged`.
pub fn describe(expected_path: &Path, b: &Blessed) -> String {
    if !b.written {
        return format!("{} unchanged", expected_path.display());
    }
    let mut parts = Vec::new();
    if !b.changed.is_empty() {
        let what: Vec<String> = b
            .changed
            .iter()
            .map(|(v, label)| format!("{v} ({label})"))
            .collect();
        parts.push(format!(
            "{} {}",
            if b.created {
                "created with"
            } else {
                "re-recorded"
            },
            what.join(", ")
        ));
    }
    if !b.dropped.is_empty() {
        parts.push(format!(
            "dropped {} (the scenario does not apply to {})",
            version_list(&b.dropped),
            if b.dropped.len() == 1 { "it" } else { "them" }
        ));
    }
    if parts.is_empty() {
        parts.push("rewritten (its source name changed)".into());
    }
    format!("{}: {}", expected_path.display(), parts.join("; "))
}

/// What blessing did to one scenario's expected file.
#[derive(Debug)]
pub struct ScenarioBless {
    /// The scenario's index in the list [`bless_all`] was given.
    pub index: usize,
    /// Its expected file.
    pub path: PathBuf,
    /// What the policy did, or why the file was left alone.
    pub outcome: Result<Blessed, String>,
    /// Live runs that failed: (version, interpreter label, why). Their old blocks are kept.
    pub failures: Vec<(Version, String, String)>,
    /// Versions the scenario applies to that have neither a block nor a live trace.
    pub unrecorded: Vec<Version>,
}

/// What [`bless_all`] did.
#[derive(Debug, Default)]
pub struct BlessRun {
    /// Every live trace taken, by (scenario id, version) (the caller can reuse them).
    pub live: BTreeMap<(String, Version), Result<Trace, String>>,
    /// One entry per scenario that had something selected, in order.
    pub scenarios: Vec<ScenarioBless>,
}

impl BlessRun {
    /// The accounts of the files written ([`describe`]).
    pub fn written(&self) -> Vec<String> {
        self.scenarios
            .iter()
            .filter_map(|s| match &s.outcome {
                Ok(b) if b.written => Some(describe(&s.path, b)),
                _ => None,
            })
            .collect()
    }

    /// Files that could not be blessed, and why.
    pub fn errors(&self, scenarios: &[Scenario]) -> Vec<String> {
        self.scenarios
            .iter()
            .filter_map(|s| match &s.outcome {
                Err(e) => Some(format!("{}: {e}", scenarios[s.index].id)),
                _ => None,
            })
            .collect()
    }
}

/// Run every selected (scenario, version) on its live CPython interpreter and apply the
/// policy ([`bless_scenario`]) to each scenario with some version selected (even when no
/// interpreter can record it: its stale blocks are still dropped). Interpreters that are not
/// CPython are never run. The caller checks [`refusal`] first.
pub fn bless_all(
    scenarios: &[Scenario],
    expected_root: &Path,
    interps: &BTreeMap<Version, Interpreter>,
    selected: impl Fn(&Scenario, Version) -> bool,
    timeout: Duration,
) -> BlessRun {
    // A scenario is in scope when some version it applies to is selected, whether or not an
    // interpreter can record it: the policy still drops its stale blocks.
    let mut scope = Vec::new();
    let mut jobs = Vec::new();
    for (k, sc) in scenarios.iter().enumerate() {
        let chosen: Vec<Version> = sc
            .applicable_versions()
            .into_iter()
            .filter(|v| selected(sc, *v))
            .collect();
        if chosen.is_empty() {
            continue;
        }
        scope.push(k);
        for v in chosen {
            if interps.get(&v).is_some_and(Interpreter::is_cpython) {
                jobs.push((k, v));
            }
        }
    }
    let pairs: Vec<(&Scenario, &Interpreter)> = jobs
        .iter()
        .map(|(k, v)| (&scenarios[*k], &interps[v]))
        .collect();
    let results = python_traces(&pairs, timeout);
    let mut run = BlessRun::default();
    let mut per: BTreeMap<usize, BTreeMap<Version, Result<Trace, String>>> =
        scope.into_iter().map(|k| (k, BTreeMap::new())).collect();
    for ((k, v), r) in jobs.iter().zip(results) {
        run.live.insert((scenarios[*k].id.clone(), *v), r.clone());
        per.entry(*k).or_default().insert(*v, r);
    }
    for (k, results) in per {
        let sc = &scenarios[k];
        let path = expected::expected_path(expected_root, sc);
        let mut live = BTreeMap::new();
        let mut failures = Vec::new();
        for (v, r) in results {
            let l = interps[&v].label();
            match r {
                Ok(t) => {
                    live.insert(v, (l, t));
                }
                Err(e) => failures.push((v, l, e)),
            }
        }
        let outcome = bless_scenario(sc, &path, &live);
        let unrecorded = match (&outcome, expected::read(&path)) {
            (Ok(_), Ok(file)) => sc
                .applicable_versions()
                .into_iter()
                .filter(|v| file.as_ref().is_none_or(|f| !f.blocks.contains_key(v)))
                .collect(),
            _ => Vec::new(),
        };
        run.scenarios.push(ScenarioBless {
            index: k,
            path,
            outcome,
            failures,
            unrecorded,
        });
    }
    run
}

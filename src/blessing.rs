//! Re-recording `expected/` from live CPython traces, for `GCCONFORM_BLESS=1 cargo test`.
//!
//! The rules, shared with `gcconform bless`:
//!
//! - only traces of real CPython interpreters are ever written, never the model's (the caller
//!   hands over live traces; [`bless_scenario`] cannot be given anything else);
//! - only what is missing or disagrees is rewritten: a version whose block already equals the
//!   live trace is left alone (its recorded release too), and versions without a live trace
//!   keep their blocks;
//! - a file is written atomically (temporary file, then rename), and an expected file that
//!   does not parse is never overwritten (its other blocks would be lost);
//! - nothing is written when `CI` is set: callers check [`refusal`] first (`gcconform bless`
//!   and the `cargo test` harness do).

use crate::expected::{self, ExpectedFile};
use crate::runner::Interpreter;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::version::Version;
use std::collections::BTreeMap;
use std::path::Path;
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
        format!(
            "{BLESS_VAR} is set, but so is CI: expected/ is recorded from real CPython on a \
             developer's machine and reviewed as a change, never rewritten by CI. Unset \
             {BLESS_VAR} (CI only checks), or unset CI to bless locally."
        )
    })
}

/// What [`bless_scenario`] did to one expected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blessed {
    /// The versions whose blocks were added or replaced, with the interpreter recorded.
    pub changed: Vec<(Version, String)>,
    /// Whether the file was created.
    pub created: bool,
}

/// Record into `expected_path` the live CPython trace of every version in `live` (version →
/// (interpreter label such as `CPython 3.12.1`, trace)) whose block is missing or differs.
/// Writes the file (atomically) only when something changed. The caller checks [`refusal`].
pub fn bless_scenario(
    sc: &Scenario,
    expected_path: &Path,
    live: &BTreeMap<Version, (String, Trace)>,
) -> Result<Blessed, String> {
    let old = expected::read(expected_path).map_err(|e| {
        format!("{e}\nleaving the file as it is: fix or delete it, then bless again")
    })?;
    let created = old.is_none();
    let mut file = old.unwrap_or_else(|| ExpectedFile::new(expected::source_name(&sc.path)));
    let mut changed = Vec::new();
    for (v, (label, trace)) in live {
        if !sc.applies_to(*v) {
            continue;
        }
        if file.blocks.get(v) != Some(trace) {
            file.set(*v, trace.clone(), label.clone());
            changed.push((*v, label.clone()));
        }
    }
    if !changed.is_empty() {
        file.source = expected::source_name(&sc.path);
        file.write_atomic(expected_path)
            .map_err(|e| format!("writing {}: {e}", expected_path.display()))?;
    }
    let created = created && !changed.is_empty();
    Ok(Blessed { changed, created })
}

/// A one-line account of what [`bless_scenario`] did: `expected/x.trace: re-recorded 3.12
/// (CPython 3.12.1), 3.13 (CPython 3.13.0)`.
pub fn describe(expected_path: &Path, b: &Blessed) -> String {
    let what: Vec<String> = b
        .changed
        .iter()
        .map(|(v, label)| format!("{v} ({label})"))
        .collect();
    format!(
        "{}: {} {}",
        expected_path.display(),
        if b.created {
            "created with"
        } else {
            "re-recorded"
        },
        what.join(", ")
    )
}

/// What [`bless_all`] did.
#[derive(Debug, Default)]
pub struct BlessRun {
    /// Every live trace taken, by (scenario id, version) (the caller can reuse them).
    pub live: BTreeMap<(String, Version), Result<Trace, String>>,
    /// One line per expected file written ([`describe`]).
    pub written: Vec<String>,
    /// Files that could not be blessed, and why.
    pub errors: Vec<String>,
}

/// Run every selected (scenario, version) on its live CPython interpreter and re-record the
/// expected blocks that are missing or disagree ([`bless_scenario`]); runs fail nothing here
/// (the caller's checks report them). The caller checks [`refusal`] first.
pub fn bless_all(
    scenarios: &[Scenario],
    expected_root: &Path,
    interps: &BTreeMap<Version, Interpreter>,
    selected: impl Fn(&Scenario, Version) -> bool,
    timeout: Duration,
) -> BlessRun {
    let mut jobs = Vec::new();
    for (k, sc) in scenarios.iter().enumerate() {
        for v in sc.applicable_versions() {
            if let Some(i) = interps.get(&v)
                && i.implementation.eq_ignore_ascii_case("cpython")
                && selected(sc, v)
            {
                jobs.push((k, v));
            }
        }
    }
    let pairs: Vec<(&Scenario, &Interpreter)> = jobs
        .iter()
        .map(|(k, v)| (&scenarios[*k], &interps[v]))
        .collect();
    let results = crate::cli::python_traces(&pairs, timeout);
    let mut run = BlessRun::default();
    let mut per: BTreeMap<usize, BTreeMap<Version, (String, Trace)>> = BTreeMap::new();
    for ((k, v), r) in jobs.iter().zip(results) {
        if let Ok(t) = &r {
            per.entry(*k)
                .or_default()
                .insert(*v, (crate::cli::interp_label(&interps[v]), t.clone()));
        }
        run.live.insert((scenarios[*k].id.clone(), *v), r);
    }
    for (k, live) in per {
        let sc = &scenarios[k];
        let path = expected::expected_path(expected_root, sc);
        match bless_scenario(sc, &path, &live) {
            Ok(b) if !b.changed.is_empty() => run.written.push(describe(&path, &b)),
            Ok(_) => {}
            Err(e) => run.errors.push(format!("{}: {e}", sc.id)),
        }
    }
    run
}

//! A CPython build that no profile models (the next release, a development build, one found
//! with another major.minor) as a column of the matrix: it runs through the same harness as
//! the modelled versions, and each scenario's trace is compared with every modelled version's
//! expected block, so that the column says which versions it behaves like (`like 3.13`), and
//! the summary on which scenarios it differs from the version it is most like.

use crate::compare::check::Check;
use crate::runner::{Interpreter, Pool};
use crate::scenario::Scenario;
use crate::service::engine::Expected;
use crate::version::{Version, version_list};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// An unmodelled CPython's column.
pub struct Column {
    /// `CPython 3.14.0 (unmodelled)`.
    pub label: String,
    /// Scenario id → verdict: `like 3.12-3.13` (its trace equals those versions' expected
    /// blocks), `unlike` (none), `failed` (no trace), `not-compared` (no expected block);
    /// `changed; …` when the trace differs from the block `bless` recorded for the build.
    pub cells: BTreeMap<String, String>,
    /// `3.14.0: like 3.13 on 84 of 90 scenarios; differs on a, b` (the version it agrees with
    /// most).
    pub summary: String,
    /// Some scenario produced no trace.
    pub failed: bool,
}

/// How an unmodelled build is named in `expected/` and in the matrix: `CPython 3.14.0`, with
/// its build when it is not the default one (`CPython 3.13.0 free-threaded`, whose collector
/// has no generations: a difference of the build, not of the harness).
pub fn label(interp: &Interpreter) -> String {
    match interp.build() {
        "default" => interp.label(),
        b => format!("{} {b}", interp.label()),
    }
}

/// Whether `interp` is a CPython build with no modelled profile.
pub fn is_unmodelled_cpython(interp: &Interpreter) -> bool {
    interp.implementation == "CPython" && interp.version.is_none()
}

/// Run every scenario under `interp` and compare each trace with the expected blocks.
pub fn column(
    interp: &Interpreter,
    scenarios: &[Scenario],
    expected_dir: &Path,
    timeout: Duration,
) -> Column {
    let refs: Vec<&Scenario> = scenarios.iter().collect();
    let traces = Pool::new(interp).run_scenarios(&refs, timeout);
    let files = Expected::read_all(expected_dir, scenarios);
    let label = format!("{} (unmodelled)", label(interp));
    let mut cells = BTreeMap::new();
    let mut like_count: BTreeMap<Version, usize> = BTreeMap::new();
    let mut likes: Vec<(String, Vec<Version>)> = Vec::new();
    let mut failed = false;
    let mut compared = 0;
    for ((s, t), exp) in scenarios.iter().zip(&traces).zip(&files) {
        let versions: Vec<Version> = Version::ALL
            .into_iter()
            .filter(|v| exp.block(*v).is_some())
            .collect();
        let verdict = match t {
            _ if versions.is_empty() => "not-compared".to_string(),
            Err(_) => {
                failed = true;
                "failed".to_string()
            }
            Ok(t) => {
                compared += 1;
                let like: Vec<Version> = versions
                    .iter()
                    .copied()
                    .filter(|v| matches!(exp.check(s, *v, &label, Ok(t), ""), Check::Agree))
                    .collect();
                for v in &like {
                    *like_count.entry(*v).or_default() += 1;
                }
                likes.push((s.id.clone(), like.clone()));
                // Against its own recorded block, if `bless` recorded one.
                let recorded = exp
                    .file
                    .as_ref()
                    .ok()
                    .and_then(|f| f.as_ref())
                    .and_then(|f| f.unmodelled.get(&self::label(interp)));
                let changed = if recorded.is_some_and(|r| r != t) {
                    "changed; "
                } else {
                    ""
                };
                if like.is_empty() {
                    format!("{changed}unlike")
                } else {
                    format!("{changed}like {}", version_list(&like))
                }
            }
        };
        cells.insert(s.id.clone(), verdict);
    }
    // The version it agrees with most (the newest among equals).
    let best = like_count
        .iter()
        .max_by_key(|(v, n)| (**n, **v))
        .map(|(v, n)| (*v, *n));
    let summary = match best {
        None => format!(
            "{}: like no modelled version on any of {compared} scenario{}",
            interp.release,
            if compared == 1 { "" } else { "s" }
        ),
        Some((v, n)) => {
            let differs: Vec<&str> = likes
                .iter()
                .filter(|(_, l)| !l.contains(&v))
                .map(|(id, _)| id.as_str())
                .collect();
            let mut s = format!("{}: like {v} on {n} of {compared}", interp.release);
            if !differs.is_empty() {
                let shown: Vec<&str> = differs.iter().take(10).copied().collect();
                s.push_str(&format!(
                    "; differs on {}{}",
                    shown.join(", "),
                    if differs.len() > shown.len() {
                        format!(" and {} more", differs.len() - shown.len())
                    } else {
                        String::new()
                    }
                ));
            }
            s
        }
    };
    Column {
        label,
        cells,
        summary,
        failed,
    }
}

//! Reports for traces that disagree, and the version matrix of one scenario.
//!
//! A mismatch report leads with what matters most — the `gc.collect()` results and the
//! `gc.garbage` counts that differ — then shows the full unified diff of the two traces, then
//! the command that re-records `expected/` from real CPython.

use crate::scenario::{Scenario, Stmt};
use crate::trace::{Event, Trace};
use crate::version::Version;
use similar::TextDiff;
use std::fmt::Write;

/// The start of a report's last line, which names the command that re-records `expected/`
/// (a grouped report whose verdict gives that advice itself leaves the line out).
pub const REBLESS_ADVICE: &str =
    "If CPython itself changed and expected/ is stale, re-record it from real CPython: ";

/// Two traces of one scenario under one version that should be equal.
#[derive(Debug, Clone)]
pub struct Mismatch<'a> {
    /// The scenario (for its id and the lines of its `gc.collect()` statements).
    pub scenario: &'a Scenario,
    pub version: Version,
    /// e.g. `expected (CPython 3.12.1)`.
    pub expected_label: String,
    pub expected: &'a Trace,
    /// e.g. `model 3.12`.
    pub actual_label: String,
    pub actual: &'a Trace,
    /// The command that re-records the expected side, if it comes from `expected/`.
    pub rebless: Option<String>,
}

/// The lines that lead a report: differing `gc.collect()` results and `gc.garbage` counts,
/// then differing numbers of live instances. Empty when all agree (the traces then differ
/// elsewhere).
pub fn key_differences(
    scenario: Option<&Scenario>,
    expected: &Trace,
    actual: &Trace,
) -> Vec<String> {
    let mut out = Vec::new();
    let (ec, ac) = (expected.collect_results(), actual.collect_results());
    if ec != ac {
        out.push(format!("gc.collect() results: expected {ec:?}, got {ac:?}"));
        // Name the statements when the collects line up with the scenario's own.
        if let Some(s) = scenario {
            let steps: Vec<_> = s
                .steps
                .iter()
                .filter(|st| matches!(st.stmt, Stmt::Collect(_)))
                .collect();
            if steps.len() == ec.len() && steps.len() == ac.len() {
                for ((st, e), a) in steps.iter().zip(&ec).zip(&ac) {
                    if e != a {
                        out.push(format!(
                            "  `{}` (line {}): expected {e}, got {a}",
                            st.text, st.pos.line
                        ));
                    }
                }
            }
        }
    }
    let (eg, ag) = (expected.garbage_counts(), actual.garbage_counts());
    if eg != ag {
        out.push(format!("gc.garbage counts: expected {eg:?}, got {ag:?}"));
    }
    let (ea, aa) = (alive_counts(expected), alive_counts(actual));
    if ea != aa {
        out.push(format!(
            "instances alive at each observation: expected {ea:?}, got {aa:?}"
        ));
    }
    out
}

/// The number of scenario instances alive at each observation, in order.
fn alive_counts(t: &Trace) -> Vec<usize> {
    t.events
        .iter()
        .filter_map(|e| match e {
            Event::Alive(v) => Some(v.len()),
            _ => None,
        })
        .collect()
}

/// A unified diff of two traces (every line of context up to 10 around each change).
pub fn unified_diff(
    expected_label: &str,
    expected: &Trace,
    actual_label: &str,
    actual: &Trace,
) -> String {
    let (e, a) = (expected.to_text(), actual.to_text());
    TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(10)
        .header(expected_label, actual_label)
        .to_string()
}

/// The one-line summary of a mismatch: its first key difference (or that only other
/// events differ).
pub fn headline(m: &Mismatch<'_>) -> String {
    key_differences(Some(m.scenario), m.expected, m.actual)
        .into_iter()
        .next()
        .unwrap_or_else(|| {
            "other events differ (gc.collect() results, gc.garbage and alive counts agree)".into()
        })
}

/// The full report for two traces that differ.
pub fn mismatch_report(m: &Mismatch<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} under {}: {} disagrees with {}",
        m.scenario.id, m.version, m.actual_label, m.expected_label
    );
    let key = key_differences(Some(m.scenario), m.expected, m.actual);
    if key.is_empty() {
        let _ = writeln!(
            s,
            "gc.collect() results ({:?}), gc.garbage counts ({:?}) and alive counts agree; \
             other events differ",
            m.expected.collect_results(),
            m.expected.garbage_counts()
        );
    }
    for line in key {
        let _ = writeln!(s, "{line}");
    }
    s.push_str(&unified_diff(
        &m.expected_label,
        m.expected,
        &m.actual_label,
        m.actual,
    ));
    if let Some(cmd) = &m.rebless {
        let _ = writeln!(s, "{REBLESS_ADVICE}{cmd}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario() -> Scenario {
        crate::scenario::parse_scenario(
            Path::new("scenarios/seed/x.yaml"),
            "classes:\n  A: {}\nsteps:\n  - a = A()\n  - a.me = a\n  - a = None\n  - gc.collect()\n  - gc.collect(2)\n",
        )
        .unwrap()
    }

    fn t(s: &str) -> Trace {
        Trace::parse(s).unwrap()
    }

    #[test]
    fn report_leads_with_collect_results_and_garbage_counts() {
        let s = scenario();
        let exp =
            t("gc.collect() -> 4\ngc.garbage: [a]\ngc.collect(2) -> 0\ngc.garbage: [a]\nend\n");
        let act = t("gc.collect() -> 2\ngc.garbage: []\ngc.collect(2) -> 0\ngc.garbage: []\nend\n");
        let m = Mismatch {
            scenario: &s,
            version: Version::V3_12,
            expected_label: "expected (CPython 3.12.1)".into(),
            expected: &exp,
            actual_label: "model 3.12".into(),
            actual: &act,
            rebless: Some("gcconform bless scenarios/seed/x.yaml".into()),
        };
        let r = mismatch_report(&m);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(
            lines[0],
            "seed/x under 3.12: model 3.12 disagrees with expected (CPython 3.12.1)"
        );
        assert_eq!(
            lines[1],
            "gc.collect() results: expected [4, 0], got [2, 0]"
        );
        assert_eq!(lines[2], "  `gc.collect()` (line 7): expected 4, got 2");
        assert_eq!(lines[3], "gc.garbage counts: expected [1, 1], got [0, 0]");
        assert_eq!(lines[4], "--- expected (CPython 3.12.1)");
        assert_eq!(lines[5], "+++ model 3.12");
        assert!(
            r.contains("\n-gc.collect() -> 4\n") && r.contains("\n+gc.collect() -> 2\n"),
            "{r}"
        );
        assert!(
            r.trim_end()
                .ends_with("gcconform bless scenarios/seed/x.yaml")
        );
        assert_eq!(
            headline(&m),
            "gc.collect() results: expected [4, 0], got [2, 0]"
        );
    }

    #[test]
    fn report_says_when_key_numbers_agree() {
        let s = scenario();
        let exp = t("__del__ a\ngc.collect() -> 0\nend\n");
        let act = t("gc.collect() -> 0\n__del__ a\nend\n");
        assert!(key_differences(Some(&s), &exp, &act).is_empty());
        let m = Mismatch {
            scenario: &s,
            version: Version::V2_7,
            expected_label: "CPython 2.7.18".into(),
            expected: &exp,
            actual_label: "model 2.7".into(),
            actual: &act,
            rebless: None,
        };
        let r = mismatch_report(&m);
        assert!(r.contains("agree; other events differ"), "{r}");
        let exp = t("gc.collect() -> 0\nalive: [a]\nend\nalive: []\n");
        let act = t("gc.collect() -> 0\nalive: []\nend\nalive: []\n");
        assert_eq!(
            key_differences(Some(&s), &exp, &act),
            vec!["instances alive at each observation: expected [1, 0], got [0, 0]".to_string()]
        );
        assert!(!r.contains("bless"));
    }
}

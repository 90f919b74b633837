//! JUnit XML (`--format junit` on `run` and `matrix`), for CI systems that display test
//! results: one test suite per command, one test case per scenario × version × side, named
//! `model 3.12` or `cpython 3.12` within the class of its scenario id (`seed/cycle_with_del`).
//! Nothing in it depends on the time: no timestamps, no durations.

use crate::compare::check::Check;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// How one test case came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It agreed.
    Pass,
    /// A failure: its type (`disagree`, `missing`, `xpass`), summary and full text.
    Fail {
        kind: &'static str,
        message: String,
        text: String,
    },
    /// An error: the model or the interpreter produced no trace.
    Error { message: String, text: String },
    /// Not run, or an expected failure: why.
    Skipped { kind: &'static str, message: String },
}

impl Outcome {
    /// The outcome of a check.
    pub fn of(c: &Check) -> Outcome {
        let (summary, text) = (
            c.summary().unwrap_or_default(),
            c.message().unwrap_or_default(),
        );
        match c {
            Check::Agree => Outcome::Pass,
            Check::Disagree { .. } => Outcome::Fail {
                kind: "disagree",
                message: summary,
                text,
            },
            Check::Missing(_) => Outcome::Fail {
                kind: "missing",
                message: summary,
                text,
            },
            Check::Error(_) => Outcome::Error {
                message: summary,
                text,
            },
        }
    }
}

/// One test case: the scenario id (its class), its name (`model 3.12`), and how it came out.
#[derive(Debug, Clone)]
pub struct Case {
    pub class: String,
    pub name: String,
    pub outcome: Outcome,
}

/// The report: one suite named `suite` holding `cases` in order.
pub fn render(suite: &str, cases: &[Case]) -> String {
    let mut ts = TestSuite::new(suite);
    for c in cases {
        let status = match &c.outcome {
            Outcome::Pass => TestCaseStatus::success(),
            Outcome::Fail {
                kind,
                message,
                text,
            } => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type(*kind)
                    .set_message(message.as_str())
                    .set_description(text.as_str());
                s
            }
            Outcome::Error { message, text } => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_type("error")
                    .set_message(message.as_str())
                    .set_description(text.as_str());
                s
            }
            Outcome::Skipped { kind, message } => {
                let mut s = TestCaseStatus::skipped();
                s.set_type(*kind).set_message(message.as_str());
                s
            }
        };
        let mut tc = TestCase::new(c.name.as_str(), status);
        tc.set_classname(c.class.as_str());
        ts.add_test_case(tc);
    }
    let mut report = Report::new("gcconform");
    report.add_test_suite(ts);
    let mut out = report.to_string().expect("a JUnit report serializes");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_become_test_cases_with_their_outcome() {
        let cases = [
            Case {
                class: "seed/x".into(),
                name: "model 3.12".into(),
                outcome: Outcome::Pass,
            },
            Case {
                class: "seed/x".into(),
                name: "cpython 3.12".into(),
                outcome: Outcome::of(&Check::Disagree {
                    headline: "gc.collect() results: expected [4], got [2]".into(),
                    report: "seed/x under 3.12: …\n-gc.collect() -> 4\n+gc.collect() -> 2\n".into(),
                }),
            },
            Case {
                class: "seed/y".into(),
                name: "model 2.7".into(),
                outcome: Outcome::Skipped {
                    kind: "xfail",
                    message: "listed in tests/xfail.txt".into(),
                },
            },
        ];
        let xml = render("gcconform run", &cases);
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(
            xml.contains(
                r#"<testsuite name="gcconform run" tests="3" skipped="1" errors="0" failures="1">"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="model 3.12" classname="seed/x"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<failure message="gc.collect() results: expected [4], got [2]" type="disagree">"#
            ),
            "{xml}"
        );
        assert!(xml.contains("-gc.collect() -&gt; 4"), "{xml}");
        assert!(
            xml.contains(r#"<skipped message="listed in tests/xfail.txt" type="xfail"/>"#),
            "{xml}"
        );
        assert!(
            !xml.contains("timestamp") && !xml.contains("time=\""),
            "{xml}"
        );
    }
}

//! One check: a trace (from the model or a live interpreter) against the recorded `expected/`
//! block for its version. Shared by the `gcconform` command line and the `cargo test` harness.

use crate::compare::report::{self, Mismatch};
use crate::expected::ExpectedFile;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::util::shell_quote;
use crate::version::Version;
use std::path::Path;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The traces are equal.
    Agree,
    /// The traces differ: a one-line summary and the full report.
    Disagree { headline: String, report: String },
    /// Nothing to compare with: no expected file, or no block for the version. The message
    /// names the command that records it.
    Missing(String),
    /// The run produced no trace (model error, interpreter failure, panic).
    Error(String),
}

impl Check {
    pub fn agrees(&self) -> bool {
        matches!(self, Check::Agree)
    }
    /// The full message for a check that did not agree (a report's first line names the
    /// scenario, the version and both sides).
    pub fn message(&self) -> Option<String> {
        match self {
            Check::Agree => None,
            Check::Disagree { report, .. } => Some(report.clone()),
            Check::Missing(m) | Check::Error(m) => Some(m.clone()),
        }
    }
    /// A one-line summary for a check that did not agree (without the scenario id).
    pub fn summary(&self) -> Option<String> {
        match self {
            Check::Agree => None,
            Check::Disagree { headline, .. } => Some(headline.clone()),
            Check::Missing(m) | Check::Error(m) => {
                Some(m.lines().next().unwrap_or_default().to_string())
            }
        }
    }
}

/// The command that records a scenario's expected traces from real CPython, e.g.
/// `gcconform bless scenarios/seed/x.yaml`. `program` is how gcconform is invoked
/// (`gcconform`, `cargo run --release --`); `expected_dir` is given when not the default.
pub fn bless_command(program: &str, scenario_path: &Path, expected_dir: Option<&Path>) -> String {
    let mut cmd = format!("{program} bless");
    if let Some(d) = expected_dir {
        cmd.push_str(" --expected ");
        cmd.push_str(&shell_quote(&d.to_string_lossy()));
    }
    cmd.push(' ');
    cmd.push_str(&shell_quote(&scenario_path.to_string_lossy()));
    cmd
}

/// How a recorded version is named in reports: `expected (CPython 3.12.1)`.
pub fn expected_label(file: &ExpectedFile, version: Version) -> String {
    match file.releases.get(&version) {
        Some(r) => format!("expected ({r})"),
        None => format!("expected {version}"),
    }
}

/// The message for a scenario with no expected file.
pub fn missing_file_message(scenario: &Scenario, expected_path: &Path, bless: &str) -> String {
    format!(
        "no expected traces for {} ({} does not exist)\ncreate them from real CPython with: {bless}",
        scenario.id,
        expected_path.display()
    )
}

/// Check `actual` (a trace labelled `actual_label`, or why there is none) against the
/// expected file of `scenario` for `version`.
///
/// `expected` is the scenario's expected file (`None` when it does not exist, at
/// `expected_path`); `bless` is the command that re-records it.
pub fn against_expected(
    scenario: &Scenario,
    version: Version,
    expected: Option<&ExpectedFile>,
    expected_path: &Path,
    actual_label: &str,
    actual: Result<&Trace, String>,
    bless: &str,
) -> Check {
    let Some(file) = expected else {
        return Check::Missing(missing_file_message(scenario, expected_path, bless));
    };
    let Some(block) = file.blocks.get(&version) else {
        return Check::Missing(format!(
            "{} has no {version} block\nrecord it from real CPython {version} with: {bless}",
            expected_path.display()
        ));
    };
    let actual = match actual {
        Ok(t) => t,
        Err(e) => {
            return Check::Error(format!("{actual_label} produced no trace: {e}"));
        }
    };
    compare(
        scenario,
        version,
        &expected_label(file, version),
        block,
        actual_label,
        actual,
        Some(bless.to_string()),
    )
}

/// Compare two traces of one scenario under one version.
pub fn compare(
    scenario: &Scenario,
    version: Version,
    expected_label: &str,
    expected: &Trace,
    actual_label: &str,
    actual: &Trace,
    rebless: Option<String>,
) -> Check {
    if expected == actual {
        return Check::Agree;
    }
    let m = Mismatch {
        scenario,
        version,
        expected_label: expected_label.to_string(),
        expected,
        actual_label: actual_label.to_string(),
        actual,
        rebless,
    };
    Check::Disagree {
        headline: report::headline(&m),
        report: report::mismatch_report(&m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        crate::scenario::parse_scenario(
            Path::new("scenarios/seed/x.yaml"),
            "steps:\n  - gc.collect()\n",
        )
        .unwrap()
    }

    #[test]
    fn commands_quote_paths() {
        assert_eq!(
            bless_command("gcconform", Path::new("scenarios/seed/x.yaml"), None),
            "gcconform bless scenarios/seed/x.yaml"
        );
        assert_eq!(
            bless_command(
                "gcconform",
                Path::new("my scenarios/it's.yaml"),
                Some(Path::new("exp"))
            ),
            r"gcconform bless --expected exp 'my scenarios/it'\''s.yaml'"
        );
    }

    #[test]
    fn checks_against_expected() {
        let s = scenario();
        let p = Path::new("expected/seed/x.trace");
        let t = Trace::parse("gc.collect() -> 0\nend\n").unwrap();
        let cmd = "gcconform bless scenarios/seed/x.yaml";
        let c = against_expected(&s, Version::V3_12, None, p, "model 3.12", Ok(&t), cmd);
        let Check::Missing(m) = &c else { panic!() };
        assert!(m.contains("expected/seed/x.trace does not exist"), "{m}");
        assert!(m.ends_with(cmd));

        let mut f = ExpectedFile::new("scenarios/seed/x.yaml");
        f.set(Version::V3_12, t.clone(), "CPython 3.12.1");
        let c = against_expected(&s, Version::V3_12, Some(&f), p, "model 3.12", Ok(&t), cmd);
        assert_eq!(c, Check::Agree);
        let c = against_expected(&s, Version::V3_13, Some(&f), p, "model 3.13", Ok(&t), cmd);
        assert!(matches!(&c, Check::Missing(m) if m.contains("has no 3.13 block")));
        let other = Trace::parse("gc.collect() -> 2\nend\n").unwrap();
        let c = against_expected(
            &s,
            Version::V3_12,
            Some(&f),
            p,
            "model 3.12",
            Ok(&other),
            cmd,
        );
        let Check::Disagree { headline, report } = &c else {
            panic!()
        };
        assert!(headline.contains("expected [0], got [2]"), "{headline}");
        assert!(report.contains("--- expected (CPython 3.12.1)"), "{report}");
        assert!(report.contains(cmd));
        let c = against_expected(
            &s,
            Version::V3_12,
            Some(&f),
            p,
            "model 3.12",
            Err("boom".into()),
            cmd,
        );
        assert!(matches!(&c, Check::Error(m) if m.contains("boom")));
    }
}

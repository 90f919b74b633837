//! `gcconform run --format json` (its documented shape and values), and colour: `FAIL` is red
//! only on a terminal and never with `NO_COLOR`. Run as a subprocess with no interpreter
//! visible, so only the model side runs (but for the release note, which needs CPython 3.12.1).

use crate::common::{BIN, Scratch};
use crate::harness::{Outcome, Skip};
use gcconform::version::Version;
use serde_json::Value;
use std::process::Command;

const SCENARIO: &str = "\
classes:
  B: {}
steps:
  - a = B()
  - b = B()
  - a.other = b
  - b.other = a
  - del a
  - del b
  - gc.collect()
";

/// The model's own traces as the expected file, with 3.12's collect result changed; its path.
fn expect_model_but_312(s: &Scratch, id: &str) -> std::path::PathBuf {
    s.expect_model(id, |v, mut t| {
        if v == Version::V3_12 {
            for e in &mut t.events {
                if let gcconform::trace::Event::Collect { result, .. } = e {
                    *result += 10;
                }
            }
        }
        t
    })
}

fn run_json_has_the_documented_shape() {
    let s = Scratch::new("json");
    s.write("scenarios/t/cycle.yaml", SCENARIO);
    s.write("scenarios/t/new.yaml", SCENARIO);
    expect_model_but_312(&s, "t/cycle");
    let (code, out, err) = s.run(&["run", "--format", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "checks",
            "interpreters",
            "missing_interpreters",
            "schema",
            "summary"
        ]
    );
    assert_eq!(v["schema"], 1);
    assert_eq!(v["interpreters"], serde_json::json!({}));
    assert_eq!(v["missing_interpreters"].as_array().unwrap().len(), 9);
    assert_eq!(
        v["summary"],
        serde_json::json!({"agree": 8, "checks": 18, "disagree": 10, "errors": 0, "load_errors": false, "missing": 9, "scenarios": 2})
    );
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 18);
    // t/cycle first (sorted by path), versions oldest first.
    let agree = &checks[0];
    assert_eq!(
        agree,
        &serde_json::json!({
            "actual": "model 2.7", "expected": "CPython 2.7.18", "message": null,
            "scenario": "t/cycle", "side": "model", "status": "agree", "summary": null,
            "verdict": null, "version": "2.7"
        })
    );
    let bad: Vec<&Value> = checks
        .iter()
        .filter(|c| c["scenario"] == "t/cycle" && c["status"] != "agree")
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["version"], "3.12");
    assert_eq!(bad[0]["status"], "disagree");
    // No interpreter ran: the evidence cannot tell a model bug from a stale file.
    assert_eq!(bad[0]["verdict"], "no-live");
    let summary = bad[0]["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("gc.collect() results: expected ["),
        "{summary}"
    );
    let message = bad[0]["message"].as_str().unwrap();
    assert!(message.contains("+++ model 3.12"), "{message}");
    assert!(
        message.contains("gcconform bless scenarios/t/cycle.yaml"),
        "{message}"
    );
    // t/new has no expected file: every check is `missing`, with the command.
    let new: Vec<&Value> = checks.iter().filter(|c| c["scenario"] == "t/new").collect();
    assert_eq!(new.len(), 9);
    for c in new {
        assert_eq!(c["status"], "missing");
        assert_eq!(c["expected"], Value::Null);
        assert!(
            c["message"].as_str().unwrap().ends_with(
                "create them from real CPython with: gcconform bless scenarios/t/new.yaml"
            ),
            "{c}"
        );
    }
    // Nothing but the JSON on stdout.
    assert!(out.starts_with('{') && out.ends_with("}\n"));
}

fn text_output_has_no_colour_off_a_terminal() {
    let s = Scratch::new("plain");
    s.write("scenarios/t/cycle.yaml", SCENARIO);
    expect_model_but_312(&s, "t/cycle");
    let (code, out, _) = s.run(&["run"]);
    assert_eq!(code, 1);
    assert!(out.contains("FAIL t/cycle under 3.12 (model): "), "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");
}

/// Run under a pseudo-terminal (util-linux `script`), where colour may be used.
fn on_terminal(s: &Scratch, no_color: Option<&str>) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        return None;
    }
    let mut c = Command::new("script");
    c.args(["-q", "-e", "-c", &format!("{BIN} run"), "/dev/null"])
        .current_dir(&s.0)
        .env_clear()
        .env("HOME", s.empty())
        .env("PATH", "/usr/bin:/bin")
        .env("GCCONFORM_PYTHONS", "")
        .env("TERM", "xterm");
    if let Some(n) = no_color {
        c.env("NO_COLOR", n);
    }
    let out = c.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn fail_is_red_on_a_terminal_unless_no_color() -> Outcome {
    let s = Scratch::new("tty");
    s.write("scenarios/t/cycle.yaml", SCENARIO);
    expect_model_but_312(&s, "t/cycle");
    let Some(out) = on_terminal(&s, None) else {
        return Err(Skip::missing("util-linux `script` is not installed"));
    };
    assert!(
        out.contains("\x1b[1;31mFAIL\x1b[0m t/cycle under 3.12 (model)"),
        "{out:?}"
    );
    let out = on_terminal(&s, Some("1")).unwrap();
    assert!(out.contains("FAIL t/cycle under 3.12 (model)"), "{out:?}");
    assert!(!out.contains("\x1b[1;31m"), "{out:?}");
    Ok(())
}

/// A live interpreter that disagrees with `expected/` and is not the release that recorded it:
/// the report says so whatever the verdict, here a stale file (the model and CPython agree
/// with each other; the report's first check is the model's), and names what the model's
/// profiles of the two releases differ in (3.12.1 against 3.12.4: gh-116604).
fn reports_name_the_release_expected_was_recorded_from() -> Outcome {
    let i = crate::common::interpreters()?
        .into_iter()
        .find(|i| i.version == Some(Version::V3_12) && i.release == "3.12.1")
        .ok_or_else(|| Skip::no_interpreter("no CPython 3.12.1"))?;
    let s = Scratch::new("release-note");
    s.write("scenarios/t/cycle.yaml", SCENARIO);
    let p = expect_model_but_312(&s, "t/cycle");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        text.replace("# 3.12: CPython 3.12.1", "# 3.12: CPython 3.12.4"),
    )
    .unwrap();
    let path = i.path.display().to_string();
    let (code, out, err) = s.run_env(&["run", "--python", &path], &[("GCCONFORM_PYTHONS", &path)]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("verdict: expected/ is stale"), "{out}");
    assert!(
        out.contains(
            "note: expected/ was recorded from CPython 3.12.4; this interpreter is CPython \
             3.12.1, and the two releases differ in whether a scheduled automatic collection \
             still runs after gc.disable()"
        ),
        "{out}"
    );
    Ok(())
}

crate::harness::tests! {
    reports_name_the_release_expected_was_recorded_from,
    run_json_has_the_documented_shape,
    text_output_has_no_colour_off_a_terminal,
    fail_is_red_on_a_terminal_unless_no_color,
}

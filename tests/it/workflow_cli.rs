//! The user's workflow on the command line (the workflow issue, point by point): one version
//! syntax, `-k`, `--fail-fast`, grouped reports, `missing` counted apart, JUnit, `new`, `fuzz
//! --replay`, and `--help` (commands in workflow order, options only where they act). Run as a
//! subprocess with no interpreter visible, so only the model side runs.

use crate::common::{CYCLE, Scratch};
use gcconform::trace::Trace;
use gcconform::version::Version;

/// `CYCLE`'s expected traces from the model, with the 3.11-3.13 results (one shared block)
/// changed by `delta` when `delta` is not 0.
fn expect(s: &Scratch, id: &str, delta: i64) {
    s.expect_model(id, |v, t| {
        if v < Version::V3_11 || delta == 0 {
            return t;
        }
        let r = t.collect_results()[0];
        Trace::parse(&t.to_text().replace(
            &format!("gc.collect() -> {r}"),
            &format!("gc.collect() -> {}", r + delta),
        ))
        .unwrap()
    });
}

fn one_version_syntax_for_model_and_python() {
    let s = Scratch::new("syntax");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    expect(&s, "t/cycle", 0);
    // --model limits the model side: ranges, lists and repeated flags.
    let (code, out, _) = s.run(&["run", "--model", "3.8-3.10", "--model", "3.13"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 scenario, 4 checks: 4 agree"), "{out}");
    let (code, out, _) = s.run(&["run", "--model", "3.11+,2.7"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 scenario, 4 checks: 4 agree"), "{out}");
    // An unmodelled version is bad input that names the modelled ones.
    for flag in ["--model", "--python"] {
        let (code, _, err) = s.run(&["run", flag, "3.14"]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(
            err.contains("`3.14` is not a modelled CPython version or range; the modelled versions are 2.7, 3.6, 3.7, 3.8, 3.9, 3.10, 3.11, 3.12, 3.13"),
            "{err}"
        );
    }
    // A comma list of versions is versions, not a path: asked for and missing, they fail (3)
    // and the summary names them.
    let (code, out, err) = s.run(&["run", "--python", "3.12,3.13"]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        err.contains("--python 3.12: no CPython 3.12 interpreter found"),
        "{err}"
    );
    assert!(out.contains("missing interpreters: 3.12 3.13"), "{out}");
    // `none` turns a side off.
    let (code, out, _) = s.run(&["run", "--python", "none", "--model", "3.12"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 check: 1 agree"), "{out}");
    // explain and trace take the same syntax.
    let (code, out, _) = s.run(&["explain", "scenarios/t/cycle.yaml", "--model", "3.12,3.13"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("=== 3.12\n") && out.contains("\n=== 3.13\n"),
        "{out}"
    );
    let (code, out, _) = s.run(&["trace", "scenarios/t/cycle.yaml", "--model", "3.6-3.7"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("=== 3.6 3.7\n"), "{out}");
}

fn filter_selects_scenarios_by_id() {
    let s = Scratch::new("filter");
    s.write("scenarios/a/one.yaml", CYCLE);
    s.write("scenarios/b/two.yaml", CYCLE);
    expect(&s, "a/one", 0);
    expect(&s, "b/two", 0);
    let (code, out, _) = s.run(&["run", "-k", "b/*"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 scenario, 9 checks"), "{out}");
    let (code, out, _) = s.run(&["run", "--filter", "a/*", "-k", "*two"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 scenarios, 18 checks"), "{out}");
    let (code, _, err) = s.run(&["run", "-k", "c/*"]);
    assert_eq!(code, 2);
    assert!(err.contains("-k c/*: no scenario id matches"), "{err}");
    let (code, _, err) = s.run(&["diff", "-k", "[oops"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a glob pattern"), "{err}");
}

fn identical_disagreements_are_one_report_and_fail_fast_stops() {
    let s = Scratch::new("grouped");
    s.write("scenarios/t/a.yaml", CYCLE);
    s.write("scenarios/t/b.yaml", CYCLE);
    expect(&s, "t/a", 7);
    expect(&s, "t/b", 7);
    let (code, out, _) = s.run(&["run"]);
    assert_eq!(code, 1, "{out}");
    // One report per scenario for the three versions that share the changed block.
    assert_eq!(out.matches("FAIL ").count(), 2, "{out}");
    assert!(
        out.contains("FAIL t/a under 3.11-3.13 (model): gc.collect() results"),
        "{out}"
    );
    assert!(
        out.contains("    covers: model 3.11, model 3.12, model 3.13\n"),
        "{out}"
    );
    // The headline is not repeated in the body.
    let block = out.split("FAIL t/b").next().unwrap();
    assert_eq!(
        block.matches("gc.collect() results: expected").count(),
        1,
        "{block}"
    );
    assert!(
        out.contains("2 scenarios, 18 checks: 12 agree, 6 disagree"),
        "{out}"
    );
    // --fail-fast: the first scenario's report, then it stops.
    let (code, out, _) = s.run(&["run", "--fail-fast"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("FAIL ").count(), 1, "{out}");
    assert!(
        out.contains("stopped at the first failure (--fail-fast): 1 of 2 scenarios checked"),
        "{out}"
    );
    assert!(
        out.contains("1 scenario, 9 checks: 6 agree, 3 disagree"),
        "{out}"
    );
}

fn missing_expected_traces_are_counted_apart_with_the_command() {
    let s = Scratch::new("missing-count");
    s.write("scenarios/t/new.yaml", CYCLE);
    let (code, out, _) = s.run(&["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("1 scenario, 9 checks: 0 agree, 0 disagree, 9 missing (record with: gcconform bless scenarios/t/new.yaml)"),
        "{out}"
    );
}

fn junit_has_one_case_per_check() {
    let s = Scratch::new("junit");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    expect(&s, "t/cycle", 7);
    let (code, out, _) = s.run(&["run", "--format", "junit"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("<?xml"), "{out}");
    assert_eq!(out.matches("<testcase ").count(), 9, "{out}");
    assert_eq!(out.matches("<failure ").count(), 3, "{out}");
    assert!(
        out.contains(r#"<testcase name="model 3.12" classname="t/cycle">"#),
        "{out}"
    );
    assert!(out.contains(r#"type="disagree""#), "{out}");
    let (code, out, _) = s.run(&["matrix", "--no-live", "--format", "junit"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.matches("<testcase ").count(), 18, "{out}");
    assert_eq!(out.matches("<skipped ").count(), 9, "{out}");
}

fn new_writes_a_skeleton_that_checks_and_never_overwrites() {
    let s = Scratch::new("new");
    let (code, out, _) = s.run(&["new", "scenarios/mine/first.yaml"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("gcconform diff scenarios/mine/first.yaml"),
        "{out}"
    );
    let text = std::fs::read_to_string(s.0.join("scenarios/mine/first.yaml")).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../docs/scenario.schema.json\n"),
        "{text}"
    );
    // It loads (the model traces it on every version).
    let (code, out, _) = s.run(&["trace", "scenarios/mine/first.yaml", "--model", "all"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = s.run(&["new", "scenarios/mine/first.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(s.0.join("scenarios/mine/first.yaml")).unwrap(),
        text
    );
    let (code, _, _) = s.run(&["new", "notes.txt"]);
    assert_eq!(code, 2);
}

fn fuzz_replays_one_case_and_lists_every_check_in_json() {
    let s = Scratch::new("replay");
    let (code, out, _) = s.run(&["fuzz", "--replay", "7:3"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# yaml-language-server: $schema="), "{out}");
    let sc = gcconform::scenario::parse_scenario(std::path::Path::new("scenarios/f/x.yaml"), &out)
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(!sc.steps.is_empty());
    // The same scenario as the campaign's: replaying it twice gives the same text.
    assert_eq!(s.run(&["fuzz", "--replay", "7:3"]).1, out);
    let (code, _, err) = s.run(&["fuzz", "--replay", "7"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected SEED:INDEX"), "{err}");
    let (code, out, _) = s.run(&[
        "fuzz",
        "--model-only",
        "--seed",
        "3",
        "--count",
        "4",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len() as u64, v["checks"].as_u64().unwrap());
    assert!(cases.iter().all(|c| c["status"] == "agree"), "{out}");
}

fn help_lists_the_workflow_first_and_options_where_they_act() {
    let s = Scratch::new("help");
    let (code, out, _) = s.run(&["--help"]);
    assert_eq!(code, 0);
    let order: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        order,
        [
            "run",
            "new",
            "diff",
            "bless",
            "trace",
            "explain",
            "graph",
            "matrix",
            "portability",
            "fuzz",
            "translate",
            "interpreters",
            "bench",
            "speed",
            "schema",
            "help"
        ]
    );
    assert!(
        !out.contains("--expected") && !out.contains("--timeout"),
        "{out}"
    );
    let help = |c: &str| s.run(&[c, "--help"]).1;
    for c in ["run", "bless", "matrix", "graph"] {
        assert!(help(c).contains("--expected <DIR>"), "{c}");
    }
    for c in [
        "new",
        "explain",
        "translate",
        "interpreters",
        "schema",
        "trace",
        "diff",
    ] {
        assert!(!help(c).contains("--expected"), "{c}");
    }
    for c in ["new", "explain", "translate", "interpreters", "schema"] {
        assert!(!help(c).contains("--timeout"), "{c}");
    }
    // One layout: options and their help on one line, no "Possible values" blocks, no
    // wording meant for developers.
    for c in ["run", "diff", "matrix", "fuzz", "graph"] {
        let h = help(c);
        assert!(!h.contains("Possible values:"), "{c}\n{h}");
        assert!(!h.contains("module doc"), "{c}\n{h}");
    }
}

crate::harness::tests! {
    one_version_syntax_for_model_and_python,
    filter_selects_scenarios_by_id,
    identical_disagreements_are_one_report_and_fail_fast_stops,
    missing_expected_traces_are_counted_apart_with_the_command,
    junit_has_one_case_per_check,
    new_writes_a_skeleton_that_checks_and_never_overwrites,
    fuzz_replays_one_case_and_lists_every_check_in_json,
    help_lists_the_workflow_first_and_options_where_they_act,
}

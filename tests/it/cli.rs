//! The `gcconform` command line, run as a subprocess with no interpreter visible (an empty
//! PATH and HOME), so only the model side runs and results do not depend on the machine.

use crate::common::{BIN, CYCLE, Scratch};
use gcconform::version::Version;
use std::path::Path;
use std::process::Command;

fn run_agrees_then_reports_a_changed_collect_result() {
    let s = Scratch::new("agree");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    let p = s.expect_model("t/cycle", |_, t| t);
    let (code, out, err) = s.run(&["run"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("1 scenario, 9 checks: 9 agree, 0 disagree; missing interpreters: 2.7 3.6"),
        "{out}"
    );

    // Change the recorded result of 3.12 only.
    let mut f = gcconform::expected::read(&p).unwrap().unwrap();
    let t = f.blocks[&Version::V3_12].to_text();
    let r = f.blocks[&Version::V3_12].collect_results()[0];
    let changed = t.replace(
        &format!("gc.collect() -> {r}"),
        &format!("gc.collect() -> {}", r + 10),
    );
    f.blocks.insert(
        Version::V3_12,
        gcconform::trace::Trace::parse(&changed).unwrap(),
    );
    f.write_atomic(&p).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("\n=== 3.12\n"), "{text}");

    let (code, out, _) = s.run(&["run", "scenarios"]);
    assert_eq!(code, 1, "{out}");
    let expected_line = format!(
        "FAIL t/cycle under 3.12 (model): gc.collect() results: expected [{}], got [{r}]",
        r + 10
    );
    assert!(out.contains(&expected_line), "{out}");
    // No interpreter here: the report says which conclusions it cannot tell apart.
    assert!(
        out.contains(
            "    verdict: undecided: no CPython 3.12 ran here, so this cannot tell a model bug"
        ),
        "{out}"
    );
    assert!(out.contains("--- expected (CPython 3.12.1)"), "{out}");
    assert!(out.contains("+++ model 3.12"), "{out}");
    assert!(
        out.contains("gcconform bless scenarios/t/cycle.yaml"),
        "{out}"
    );
    assert!(out.contains("9 checks: 8 agree, 1 disagree"), "{out}");
}

fn run_reports_missing_expected_files_with_the_command_to_create_them() {
    let s = Scratch::new("missing");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    let (code, out, _) = s.run(&["run", "--expected", "exp"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "FAIL t/cycle: no expected traces for t/cycle (exp/t/cycle.trace does not exist)"
        ),
        "{out}"
    );
    assert!(
        out.contains("create them from real CPython with: gcconform bless --expected exp scenarios/t/cycle.yaml"),
        "{out}"
    );
}

fn bad_scenarios_are_all_reported_and_the_others_still_checked() {
    let s = Scratch::new("bad");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    s.expect_model("t/cycle", |_, t| t);
    s.write("scenarios/t/broken.yaml", "steps:\n  - x = Nope()\n");
    s.write("scenarios/t/unknown_key.yaml", "stepz: []\n");
    let (code, out, err) = s.run(&["run"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("scenarios/t/broken.yaml:2:"), "{err}");
    assert!(err.contains("scenarios/t/unknown_key.yaml:1:"), "{err}");
    assert!(out.contains("1 scenario, 9 checks: 9 agree"), "{out}");
    let (code, _, err) = s.run(&["run", "nowhere"]);
    assert_eq!(code, 2);
    assert!(err.contains("nowhere: no such file or directory"), "{err}");
}

fn malformed_expected_files_are_bad_input_with_a_line_number() {
    let s = Scratch::new("malformed");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    s.write(
        "expected/t/cycle.trace",
        "# x\n=== 3.12\ngc.collect() -> 0\nnonsense\n",
    );
    let (code, _, err) = s.run(&["run"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("expected/t/cycle.trace:4: error: not a trace event: `nonsense`"),
        "{err}"
    );
}

fn bless_refuses_under_ci_and_without_interpreters() {
    let s = Scratch::new("bless");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    let (code, _, err) = s.run_env(&["bless"], &[("CI", "true")]);
    assert_eq!(code, 2);
    assert!(err.contains("refusing to bless"), "{err}");
    let (code, _, err) = s.run(&["bless"]);
    assert_eq!(code, 2);
    assert!(err.contains("no CPython interpreter found"), "{err}");
    assert!(!s.0.join("expected").exists());
}

fn trace_and_interpreters() {
    let s = Scratch::new("trace");
    s.write("scenarios/t/cycle.yaml", CYCLE);
    let (code, out, err) = s.run(&["trace", "scenarios/t/cycle.yaml", "--model", "3.12"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("gc.collect() -> "), "{out}");
    let (code, out, _) = s.run(&["trace", "scenarios/t/cycle.yaml", "--model", "all"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("=== 2.7"), "{out}");
    let (code, _, err) = s.run(&["trace", "scenarios/t/cycle.yaml", "--model", "3.5"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "`3.5` is not a modelled CPython version or range; the modelled versions are 2.7, 3.6"
        ),
        "{err}"
    );
    let (code, _, _) = s.run(&["trace", "missing.yaml", "--model", "3.12"]);
    assert_eq!(code, 2);
    let (code, out, _) = s.run(&["interpreters"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("missing: 2.7 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13"),
        "{out}"
    );
    assert!(Path::new(BIN).exists());
}

fn fuzz_json_summary_has_a_stable_shape() {
    let fuzz = || {
        Command::new(BIN)
            .args([
                "fuzz",
                "--seed",
                "5",
                "--count",
                "12",
                "--model-only",
                "--format",
                "json",
            ])
            .output()
            .unwrap()
    };
    let out = fuzz();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["seed"], 5);
    assert_eq!(v["flavor"], "mixed");
    assert_eq!(v["known"], 0);
    assert_eq!(v["scenarios"], 12);
    assert_eq!(v["disagree"], 0);
    assert_eq!(v["invariant_violations"], 0);
    assert_eq!(v["agree"], v["checks"]);
    assert!(v["checks"].as_u64().unwrap() >= 12);
    assert_eq!(v["versions"]["3.12"]["disagreements"], 0);
    // The same seed gives the same scenarios, hence the same JSON.
    let again = fuzz();
    assert_eq!(out.stdout, again.stdout);
}

/// `--flavor` chooses the generator: automatic scenarios enable collection first, explicit ones
/// never do, mixed ones alternate by scenario number; a replay takes the same flag.
fn fuzz_flavors_choose_automatic_or_explicit_scenarios() {
    let replay = |spec: &str, flavor: &str| {
        let out = Command::new(BIN)
            .args(["fuzz", "--replay", spec, "--flavor", flavor])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    for i in 0..6 {
        let spec = format!("3:{i}");
        let auto = replay(&spec, "automatic");
        let explicit = replay(&spec, "explicit");
        assert!(auto.contains("- gc.enable()"), "{auto}");
        assert!(!explicit.contains("gc.enable()"), "{explicit}");
        assert!(auto.contains("--flavor automatic: scenario"), "{auto}");
        let mixed = replay(&spec, "mixed");
        let same_as = if i % 2 == 1 { &auto } else { &explicit };
        assert_eq!(
            mixed.replace("--flavor mixed", ""),
            same_as
                .replace("--flavor automatic", "")
                .replace("--flavor explicit", ""),
            "scenario {i}"
        );
    }
    let out = Command::new(BIN)
        .args(["fuzz", "--flavor", "sometimes", "--model-only"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sometimes") && err.contains("automatic"),
        "{err}"
    );
}

/// `--shard K/N` splits a campaign into disjoint parts that cover it; `fuzz merge` of every
/// shard's JSON gives the JSON of the whole run (plus `shards`); a missing, repeated or foreign
/// shard is refused with exit 2.
fn fuzz_shards_merge_into_the_whole_campaign() {
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "fuzz",
            "--seed",
            "4",
            "--count",
            "17",
            "--model-only",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let whole = json(&[]);
    let dir = std::env::temp_dir().join(format!("gcconform-shards-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let mut scenarios = 0;
    for k in 1..=3 {
        let part = json(&["--shard", &format!("{k}/3")]);
        assert_eq!(part["shard"], format!("{k}/3"));
        scenarios += part["scenarios"].as_u64().unwrap();
        for c in part["cases"].as_array().unwrap() {
            assert_eq!(c["scenario"].as_u64().unwrap() % 3, k - 1);
        }
        let f = dir.join(format!("{k}.json"));
        std::fs::write(&f, part.to_string()).unwrap();
        files.push(f.display().to_string());
    }
    assert_eq!(scenarios, 17);
    let merge = |names: &[&str], format: &str| {
        let out = Command::new(BIN)
            .args(["fuzz", "merge", "--format", format])
            .args(names)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, out, err) = merge(&[names[2], names[0], names[1]], "json");
    assert_eq!(code, Some(0), "{err}");
    let mut merged: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(merged["shards"], 3);
    merged.as_object_mut().unwrap().remove("shards");
    assert_eq!(merged, whole);
    let (code, out, _) = merge(&names, "text");
    assert_eq!(code, Some(0));
    assert!(
        out.contains("17 scenarios (seed 4, mixed, 3 shards merged)"),
        "{out}"
    );
    let (code, _, err) = merge(&[names[0], names[2]], "text");
    assert_eq!(code, Some(2));
    assert!(err.contains("missing shard(s): 2/3"), "{err}");
    let (code, _, err) = merge(&[names[0], names[0], names[1], names[2]], "text");
    assert_eq!(code, Some(2));
    assert!(err.contains("given twice"), "{err}");
    let other = json(&["--shard", "2/3", "--flavor", "explicit"]);
    let f = dir.join("other.json");
    std::fs::write(&f, other.to_string()).unwrap();
    let (code, _, err) = merge(&[names[0], f.to_str().unwrap(), names[2]], "text");
    assert_eq!(code, Some(2));
    assert!(err.contains("not shards of one campaign"), "{err}");
    let out = Command::new(BIN)
        .args(["fuzz", "--shard", "0/3", "--model-only"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("K/N"));
    let _ = std::fs::remove_dir_all(&dir);
}

crate::harness::tests! {
    fuzz_shards_merge_into_the_whole_campaign,
    fuzz_flavors_choose_automatic_or_explicit_scenarios,
    run_agrees_then_reports_a_changed_collect_result,
    run_reports_missing_expected_files_with_the_command_to_create_them,
    bad_scenarios_are_all_reported_and_the_others_still_checked,
    malformed_expected_files_are_bad_input_with_a_line_number,
    bless_refuses_under_ci_and_without_interpreters,
    trace_and_interpreters,
    fuzz_json_summary_has_a_stable_shape,
}

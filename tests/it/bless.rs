//! Blessing from `cargo test` (`GCCONFORM_BLESS=1`): only live CPython traces are recorded,
//! only missing or disagreeing blocks are rewritten, files are written whole or not at all,
//! and CI refuses. With a fake interpreter whose trace differs from the model's: `gcconform
//! bless` and the bless phase of `cargo test` record what the interpreter printed, and from the
//! same starting tree and the same interpreter they write the same `expected/`, byte for byte.

use crate::common::Scratch;
use crate::harness::{Outcome, Skip};
use gcconform::compare::check;
use gcconform::expected::{self, ExpectedFile};
use gcconform::runner;
use gcconform::scenario::{self, Scenario};
use gcconform::service::bless::{self, Blessed, bless_all, bless_scenario, describe, refusal_for};
use gcconform::service::suite::{LiveCache, bless_phase};
use gcconform::trace::{Event, Trace};
use gcconform::version::Version;
use libtest_mimic::Arguments;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const SCENARIO: &str = "\
classes:
  B: {}
steps:
  - a = B()
  - a.me = a
  - del a
  - gc.collect()
";

/// A scratch tree with `scenarios/t/self.yaml` in it.
fn scratch(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.write("scenarios/t/self.yaml", SCENARIO);
    s
}

impl Scratch {
    fn scenario(&self) -> Scenario {
        scenario::load(&self.0.join("scenarios/t/self.yaml")).unwrap()
    }
    fn expected(&self) -> PathBuf {
        self.0.join("expected/t/self.trace")
    }
}

fn trace(collected: i64) -> Trace {
    Trace {
        events: vec![
            Event::Collect {
                generation: None,
                result: collected,
            },
            Event::Garbage(vec![]),
            Event::Alive(vec![]),
            Event::End,
            Event::Garbage(vec![]),
            Event::Alive(vec![]),
        ],
        ..Trace::default()
    }
}

fn live(pairs: &[(Version, i64)]) -> BTreeMap<Version, (String, Trace)> {
    pairs
        .iter()
        .map(|(v, n)| (*v, (format!("CPython {}.9", v), trace(*n))))
        .collect()
}

fn creates_a_missing_file_from_live_traces() {
    let s = scratch("create");
    let sc = s.scenario();
    let b = bless_scenario(
        &sc,
        &s.expected(),
        &live(&[(Version::V3_11, 2), (Version::V3_12, 2)]),
    )
    .unwrap();
    assert_eq!(
        b,
        Blessed {
            changed: vec![
                (Version::V3_11, "CPython 3.11.9".into()),
                (Version::V3_12, "CPython 3.12.9".into())
            ],
            dropped: vec![],
            created: true,
            written: true,
            empty: false,
        }
    );
    let text = std::fs::read_to_string(s.expected()).unwrap();
    assert!(
        text.starts_with("# gcconform expected traces for scenarios/t/self.yaml\n"),
        "{text}"
    );
    assert!(text.contains("# 3.12: CPython 3.12.9\n"), "{text}");
    assert!(
        text.contains("=== 3.11 3.12\ngc.collect() -> 2\n"),
        "{text}"
    );
    assert_eq!(
        describe(Path::new("expected/t/self.trace"), &b),
        "expected/t/self.trace: created with 3.11 (CPython 3.11.9), 3.12 (CPython 3.12.9)"
    );
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(s.expected().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["self.trace"]);
}

fn rewrites_only_the_blocks_that_disagree() {
    let s = scratch("partial");
    let sc = s.scenario();
    let mut f = ExpectedFile::new("scenarios/t/self.yaml");
    f.set(Version::V2_7, trace(4), "CPython 2.7.18");
    f.set(Version::V3_11, trace(2), "CPython 3.11.0");
    f.set(Version::V3_12, trace(5), "CPython 3.12.0");
    f.write_atomic(&s.expected()).unwrap();

    // 3.11 agrees (its release is not touched), 3.12 disagrees, 2.7 has no live trace.
    let b = bless_scenario(
        &sc,
        &s.expected(),
        &live(&[(Version::V3_11, 2), (Version::V3_12, 2)]),
    )
    .unwrap();
    assert_eq!(
        b.changed,
        vec![(Version::V3_12, "CPython 3.12.9".to_string())]
    );
    assert!(!b.created);
    let after = expected::read(&s.expected()).unwrap().unwrap();
    assert_eq!(after.blocks[&Version::V2_7], trace(4));
    assert_eq!(after.releases[&Version::V2_7], "CPython 2.7.18");
    assert_eq!(after.releases[&Version::V3_11], "CPython 3.11.0");
    assert_eq!(after.blocks[&Version::V3_12], trace(2));
    assert_eq!(after.releases[&Version::V3_12], "CPython 3.12.9");

    // Everything agrees now: nothing is written.
    let before = std::fs::read_to_string(s.expected()).unwrap();
    let b = bless_scenario(&sc, &s.expected(), &live(&[(Version::V3_12, 2)])).unwrap();
    assert!(b.changed.is_empty() && !b.written);
    assert_eq!(std::fs::read_to_string(s.expected()).unwrap(), before);
    assert_eq!(
        describe(Path::new("expected/t/self.trace"), &b),
        "expected/t/self.trace unchanged"
    );
}

fn drops_the_blocks_of_versions_the_scenario_no_longer_applies_to() {
    let s = scratch("drop");
    s.write(
        "scenarios/t/self.yaml",
        &format!("versions: [\"3.11+\"]\n{SCENARIO}"),
    );
    let sc = s.scenario();
    let mut f = ExpectedFile::new("scenarios/t/self.yaml");
    f.set(Version::V2_7, trace(4), "CPython 2.7.18");
    f.set(Version::V3_12, trace(2), "CPython 3.12.0");
    f.write_atomic(&s.expected()).unwrap();
    // No live trace for 2.7 is needed to drop its block; 3.12 agrees and keeps its release.
    let b = bless_scenario(&sc, &s.expected(), &live(&[(Version::V3_12, 2)])).unwrap();
    assert_eq!(b.dropped, vec![Version::V2_7]);
    assert!(b.changed.is_empty() && b.written && !b.created);
    let after = expected::read(&s.expected()).unwrap().unwrap();
    assert_eq!(
        after.blocks.keys().copied().collect::<Vec<_>>(),
        [Version::V3_12]
    );
    assert_eq!(after.releases[&Version::V3_12], "CPython 3.12.0");
    assert_eq!(
        describe(Path::new("expected/t/self.trace"), &b),
        "expected/t/self.trace: dropped 2.7 (the scenario does not apply to it)"
    );
}

fn never_overwrites_a_file_it_cannot_read() {
    let s = scratch("malformed");
    let sc = s.scenario();
    std::fs::create_dir_all(s.expected().parent().unwrap()).unwrap();
    std::fs::write(s.expected(), "=== 3.12\nnot an event\n").unwrap();
    let e = bless_scenario(&sc, &s.expected(), &live(&[(Version::V3_12, 2)])).unwrap_err();
    assert!(e.contains("leaving the file as it is"), "{e}");
    assert_eq!(
        std::fs::read_to_string(s.expected()).unwrap(),
        "=== 3.12\nnot an event\n"
    );
}

fn ci_refuses() {
    let why = refusal_for(true).unwrap();
    assert!(
        why.contains("refusing to bless: the CI environment variable is set"),
        "{why}"
    );
    assert!(why.contains("never rewritten by CI"), "{why}");
    assert_eq!(refusal_for(false), None);
    assert_eq!(bless::BLESS_VAR, "GCCONFORM_BLESS");
}

fn a_missing_file_names_the_command_that_creates_it() {
    let s = scratch("missing");
    let sc = s.scenario();
    let cmd = check::bless_command(
        "cargo run --release --",
        Path::new("scenarios/t/self.yaml"),
        None,
    );
    let c = check::against_expected(
        &sc,
        Version::V3_12,
        None,
        Path::new("expected/t/self.trace"),
        "model 3.12",
        Ok(&trace(2)),
        &cmd,
    );
    assert_eq!(
        c.message().unwrap(),
        "no expected traces for t/self (expected/t/self.trace does not exist)\ncreate them from real CPython with: cargo run --release -- bless scenarios/t/self.yaml"
    );
}

/// The whole bless phase with a real interpreter: what it records is what CPython printed.
fn bless_all_records_what_cpython_prints() -> Outcome {
    let d = crate::common::discovery();
    let Some(interp) = [
        Version::V3_12,
        Version::V3_11,
        Version::V3_13,
        Version::V2_7,
    ]
    .into_iter()
    .find_map(|v| d.get(v).filter(|i| i.implementation == "CPython").cloned()) else {
        return Err(Skip::no_interpreter(
            "no CPython 2.7, 3.11, 3.12 or 3.13 interpreter found",
        ));
    };
    let v = interp.version.unwrap();
    let s = scratch("all");
    let sc = s.scenario();
    let mut f = ExpectedFile::new("scenarios/t/self.yaml");
    f.set(v, trace(99), "CPython wrong");
    f.write_atomic(&s.expected()).unwrap();
    let interps = BTreeMap::from([(v, interp.clone())]);
    let run = bless_all(
        std::slice::from_ref(&sc),
        &s.0.join("expected"),
        &interps,
        |_, _| true,
        Duration::from_secs(20),
    );
    assert!(
        run.errors(std::slice::from_ref(&sc)).is_empty(),
        "{:?}",
        run.errors(std::slice::from_ref(&sc))
    );
    let live = runner::run_scenario(&interp, &sc, Duration::from_secs(20)).unwrap();
    assert_eq!(run.live[&(sc.id.clone(), v)], Ok(live.clone()));
    let after = expected::read(&s.expected()).unwrap().unwrap();
    assert_eq!(after.blocks[&v], live);
    assert_eq!(after.releases[&v], format!("CPython {}", interp.release));
    assert_eq!(run.written().len(), 1, "{:?}", run.written());
    // A second run finds nothing to change; unselected pairs are not run.
    let again = bless_all(
        std::slice::from_ref(&sc),
        &s.0.join("expected"),
        &interps,
        |_, _| true,
        Duration::from_secs(20),
    );
    assert!(again.written().is_empty());
    let none = bless_all(
        std::slice::from_ref(&sc),
        &s.0.join("expected"),
        &interps,
        |_, _| false,
        Duration::from_secs(20),
    );
    assert!(none.live.is_empty() && none.written().is_empty());
    Ok(())
}

// ---- what is recorded is what the interpreter printed, by either path -----------------------

/// What the fake interpreter prints for every scenario: the model's 3.12 trace of
/// [`SCENARIO`] with the collection's result changed, so that the two differ.
fn printed() -> Trace {
    let sc = scenario::parse_scenario(Path::new("scenarios/t/self.yaml"), SCENARIO).unwrap();
    let model = gcconform::model::run(&sc, Version::V3_12).unwrap();
    let mut t = model.clone();
    for e in &mut t.events {
        if let Event::Collect { result, .. } = e {
            *result += 100;
        }
    }
    assert_ne!(t, model);
    t
}

impl Scratch {
    /// Write `bin/python3.12`, a fake CPython 3.12.1 (a shell script, as in `faults`): it
    /// answers gcconform's version probe, will not be a fork server (so each scenario runs in a
    /// fresh process), and prints `trace` for every scenario. Its path.
    fn fake_cpython(&self, trace: &Trace) -> PathBuf {
        let text = trace.to_text();
        let lines: Vec<String> = ["#gcconform-trace-begin"]
            .into_iter()
            .chain(text.lines())
            .chain(["#gcconform-trace-end"])
            .map(|l| {
                assert!(!l.contains('\''), "{l}");
                format!("'{l}'")
            })
            .collect();
        let script = format!(
            "#!/bin/sh\n\
             # A fake CPython 3.12.1 for gcconform's bless tests: its trace is not the model's.\n\
             if [ \"$3\" = \"-c\" ]; then\n  echo 'Unknown option: -c' >&2; exit 2\nfi\n\
             prog=$(/bin/cat)\n\
             case \"$prog\" in\n\
             \x20 *python_implementation*) echo \"3 12 3.12.1 CPython $0\"; exit 0 ;;\n\
             esac\n\
             printf '%s\\n' {}\n",
            lines.join(" ")
        );
        let p = self.write("bin/python3.12", &script);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }
}

/// The fake, probed as discovery probes it: the one interpreter of the bless phase.
fn fake_interps(fake: &Path) -> BTreeMap<Version, runner::Interpreter> {
    let interp = runner::probe(fake).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(interp.version, Some(Version::V3_12));
    assert_eq!(interp.label(), "CPython 3.12.1");
    BTreeMap::from([(Version::V3_12, interp)])
}

/// `GCCONFORM_BLESS=1 cargo test`'s bless phase on the tree at `root`, no filter.
fn cargo_test_bless(root: &Path, fake: &Path) -> LiveCache {
    let args = Arguments::from_iter(["it"]);
    bless_phase(root, &fake_interps(fake), &args, Duration::from_secs(20))
}

/// `gcconform bless` in `s`, with the fake the only interpreter visible.
fn command_bless(s: &Scratch, fake: &Path) -> String {
    let (code, out, err) = s.run_env(&["bless"], &[("GCCONFORM_PYTHONS", fake.to_str().unwrap())]);
    assert_eq!(code, 0, "{out}\n{err}");
    out
}

/// The expected file of `t/self` holds what the fake printed for 3.12, not the model's trace,
/// and nothing else.
fn assert_recorded_the_fake(s: &Scratch) {
    let model = gcconform::model::run(&s.scenario(), Version::V3_12).unwrap();
    let f = expected::read(&s.expected()).unwrap().unwrap();
    assert_eq!(
        f.blocks.keys().copied().collect::<Vec<_>>(),
        [Version::V3_12]
    );
    assert_eq!(f.blocks[&Version::V3_12], printed());
    assert_ne!(f.blocks[&Version::V3_12], model);
    assert_eq!(f.releases[&Version::V3_12], "CPython 3.12.1");
    // The block is, line for line, what the fake printed between the trace markers.
    let text = std::fs::read_to_string(s.expected()).unwrap();
    assert!(
        text.ends_with(&format!("\n=== 3.12\n{}", printed().to_text())),
        "{text}"
    );
    // So the model now disagrees with expected/.
    let (code, out, _) = s.run(&["run"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL t/self under 3.12 (model): "), "{out}");
}

fn the_command_records_the_interpreters_trace_not_the_models() {
    let s = scratch("fake-command");
    let fake = s.fake_cpython(&printed());
    let out = command_bless(&s, &fake);
    assert_eq!(
        out,
        "t/self: expected/t/self.trace: created with 3.12 (CPython 3.12.1)\n"
    );
    assert_recorded_the_fake(&s);
}

fn the_cargo_test_bless_phase_records_the_interpreters_trace_not_the_models() {
    let s = scratch("fake-phase");
    let fake = s.fake_cpython(&printed());
    let live = cargo_test_bless(&s.0, &fake);
    assert_eq!(
        live,
        LiveCache::from([(("t/self".to_string(), Version::V3_12), Ok(printed()))])
    );
    assert_recorded_the_fake(&s);
}

/// A starting tree with a case of each rule of the policy (the fake is the only interpreter:
/// 3.12):
/// - `t/new`: no expected file yet;
/// - `t/stale`: applies to 3.11+ only, and has a 2.7 block from before; its 3.12 block agrees,
///   its 3.13 block has no interpreter to check it;
/// - `t/differs`: its 3.12 block is the model's trace, which the fake contradicts; its 3.11
///   block has no interpreter;
/// - `t/relabel`: its 3.12 block agrees, recorded from another release;
/// - `t/old`: applies to 2.7 only, with a 3.12 block from before (no interpreter runs it).
fn policy_tree(s: &Scratch) {
    let fake = printed();
    let model = |v| {
        let sc = scenario::parse_scenario(Path::new("scenarios/t/x.yaml"), SCENARIO).unwrap();
        gcconform::model::run(&sc, v).unwrap()
    };
    let file = |id: &str, blocks: &[(Version, Trace, &str)]| {
        let mut f = ExpectedFile::new(format!("scenarios/t/{id}.yaml"));
        for (v, t, release) in blocks {
            f.set(*v, t.clone(), *release);
        }
        f.write_atomic(&s.0.join(format!("expected/t/{id}.trace")))
            .unwrap();
    };
    s.write("scenarios/t/new.yaml", SCENARIO);
    s.write(
        "scenarios/t/stale.yaml",
        &format!("versions: [\"3.11+\"]\n{SCENARIO}"),
    );
    file(
        "stale",
        &[
            (Version::V2_7, trace(4), "CPython 2.7.18"),
            (Version::V3_12, fake.clone(), "CPython 3.12.1"),
            (Version::V3_13, model(Version::V3_13), "CPython 3.13.0"),
        ],
    );
    s.write("scenarios/t/differs.yaml", SCENARIO);
    file(
        "differs",
        &[
            (Version::V3_11, model(Version::V3_11), "CPython 3.11.7"),
            (Version::V3_12, model(Version::V3_12), "CPython 3.12.1"),
        ],
    );
    s.write("scenarios/t/relabel.yaml", SCENARIO);
    file("relabel", &[(Version::V3_12, fake, "CPython 3.12.0")]);
    s.write(
        "scenarios/t/old.yaml",
        &format!("versions: [\"2.7\"]\n{SCENARIO}"),
    );
    file(
        "old",
        &[
            (Version::V2_7, trace(4), "CPython 2.7.18"),
            (Version::V3_12, trace(5), "CPython 3.12.1"),
        ],
    );
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The files that differ between two trees, as text: the first tree's version, then the
/// second's.
fn differences(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> String {
    let text = |t: &BTreeMap<PathBuf, Vec<u8>>, p: &PathBuf| match t.get(p) {
        Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        None => "(no such file)\n".to_string(),
    };
    let paths: std::collections::BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    paths
        .into_iter()
        .filter(|p| a.get(*p) != b.get(*p))
        .map(|p| {
            format!(
                "--- {} (gcconform bless)\n{}+++ {} (bless phase)\n{}",
                p.display(),
                text(a, p),
                p.display(),
                text(b, p)
            )
        })
        .collect()
}

fn the_command_and_the_cargo_test_bless_phase_write_the_same_tree() {
    let bin = Scratch::new("fake-bin");
    let fake = bin.fake_cpython(&printed());
    let (a, b) = (Scratch::new("same-command"), Scratch::new("same-phase"));
    policy_tree(&a);
    policy_tree(&b);
    let before = tree(&a.0.join("expected"));
    assert_eq!(before, tree(&b.0.join("expected")));

    let out = command_bless(&a, &fake);
    cargo_test_bless(&b.0, &fake);
    let after = tree(&a.0.join("expected"));
    let phase = tree(&b.0.join("expected"));
    assert!(
        after == phase,
        "gcconform bless and GCCONFORM_BLESS=1 cargo test wrote different trees:\n{}",
        differences(&after, &phase)
    );

    // What the policy did, said by the command and seen in the files.
    for line in [
        "t/new: expected/t/new.trace: created with 3.12 (CPython 3.12.1)",
        "t/stale: expected/t/stale.trace: dropped 2.7 (the scenario does not apply to it)",
        "t/differs: expected/t/differs.trace: re-recorded 3.12 (CPython 3.12.1)",
        "t/relabel: expected/t/relabel.trace unchanged",
        // No interpreter can record 2.7 here, but its stale 3.12 block still goes.
        "t/old: expected/t/old.trace: dropped 3.12 (the scenario does not apply to it)",
    ] {
        assert!(out.lines().any(|l| l == line), "no `{line}` in\n{out}");
    }
    let read = |id: &str| {
        expected::read(&a.0.join(format!("expected/t/{id}.trace")))
            .unwrap()
            .unwrap()
    };
    assert_eq!(read("new").blocks[&Version::V3_12], printed());
    let stale = read("stale");
    assert_eq!(
        stale.blocks.keys().copied().collect::<Vec<_>>(),
        [Version::V3_12, Version::V3_13]
    );
    let differs = read("differs");
    assert_eq!(differs.blocks[&Version::V3_12], printed());
    assert_eq!(differs.releases[&Version::V3_12], "CPython 3.12.1");
    assert_eq!(differs.releases[&Version::V3_11], "CPython 3.11.7");
    let relabel = Path::new("t/relabel.trace");
    assert_eq!(after[relabel], before[relabel]);
    assert_eq!(read("relabel").releases[&Version::V3_12], "CPython 3.12.0");
    let old = read("old");
    assert_eq!(
        old.blocks.keys().copied().collect::<Vec<_>>(),
        [Version::V2_7]
    );
    assert_eq!(old.blocks[&Version::V2_7], trace(4));
    assert_ne!(after, before);
}

crate::harness::tests! {
    creates_a_missing_file_from_live_traces,
    rewrites_only_the_blocks_that_disagree,
    drops_the_blocks_of_versions_the_scenario_no_longer_applies_to,
    never_overwrites_a_file_it_cannot_read,
    ci_refuses,
    a_missing_file_names_the_command_that_creates_it,
    bless_all_records_what_cpython_prints,
    the_command_records_the_interpreters_trace_not_the_models,
    the_cargo_test_bless_phase_records_the_interpreters_trace_not_the_models,
    the_command_and_the_cargo_test_bless_phase_write_the_same_tree,
}

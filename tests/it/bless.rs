//! Blessing from `cargo test` (`GCCONFORM_BLESS=1`): only live CPython traces are recorded,
//! only missing or disagreeing blocks are rewritten, files are written whole or not at all,
//! and CI refuses.

use crate::common::Scratch;
use crate::harness::{Outcome, Skip};
use gcconform::compare::check;
use gcconform::expected::{self, ExpectedFile};
use gcconform::runner;
use gcconform::scenario::{self, Scenario};
use gcconform::service::bless::{self, Blessed, bless_all, bless_scenario, describe, refusal_for};
use gcconform::trace::{Event, Trace};
use gcconform::version::Version;
use std::collections::BTreeMap;
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

crate::harness::tests! {
    creates_a_missing_file_from_live_traces,
    rewrites_only_the_blocks_that_disagree,
    drops_the_blocks_of_versions_the_scenario_no_longer_applies_to,
    never_overwrites_a_file_it_cannot_read,
    ci_refuses,
    a_missing_file_names_the_command_that_creates_it,
    bless_all_records_what_cpython_prints,
}

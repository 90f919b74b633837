//! The start-up heap: the objects the interpreter itself holds in the oldest generation when a
//! scenario begins, which CPython's full-collection heuristic weighs new survivors against
//! (`long_lived_pending < long_lived_total / 4` skips a full collection). The harness measures
//! it, `expected/` records it, and the model starts from it.

use crate::common::{load, shipped_scenarios};
use crate::harness::Outcome;
use gcconform::expected;
use gcconform::scenario::{self, Stmt};
use gcconform::trace::Event;
use gcconform::version::Version;

fn enables_collection(s: &scenario::Scenario) -> bool {
    fn any(steps: &[scenario::Step]) -> bool {
        steps.iter().any(|st| match &st.stmt {
            Stmt::Enable => true,
            Stmt::Repeat { body, .. } => any(body),
            _ => false,
        })
    }
    any(&s.steps)
        || s.classes
            .iter()
            .any(|c| c.del.as_ref().is_some_and(|b| any(b)))
}

fn only_scenarios_that_can_collect_automatically_measure_it() {
    let with = load("automatic/full_collection_waits_for_long_lived");
    let without = load("seed/cycle_with_del");
    let program = gcconform::runner::translate(&with);
    assert!(program.contains("_STARTUP = _len(_i)"), "{program}");
    assert!(!gcconform::runner::translate(&without).contains("_STARTUP = _len(_i)"));
}

fn the_model_weighs_survivors_against_the_startup_heap() {
    // Generation 2 is over its threshold, two objects are pending: with the interpreter's
    // thousands of start-up objects no automatic full collection runs and the cycle with
    // __del__ in generation 2 stays until gc.collect(2); from an empty heap it would go at once.
    let s = load("automatic/full_collection_waits_for_long_lived");
    for v in Version::ALL {
        let real = gcconform::model::run_from(&s, v, Some(5000)).unwrap();
        let empty = gcconform::model::run_from(&s, v, Some(0)).unwrap();
        assert_ne!(real, empty, "{v}: the start-up heap changed nothing");
        let last = |t: &gcconform::trace::Trace| t.collect_results().last().copied();
        assert!(last(&real) > last(&empty), "{v}: {real:?}\n{empty:?}");
    }
}

fn expected_files_record_it_for_every_scenario_that_can_collect_automatically() {
    let root = crate::common::root();
    let mut checked = 0;
    for f in shipped_scenarios() {
        let s = scenario::load(&f).unwrap();
        if !enables_collection(&s) {
            continue;
        }
        let p = expected::expected_path(&root.join("expected"), &s);
        let file = expected::read(&p).unwrap().unwrap();
        for (v, t) in &file.blocks {
            assert!(
                t.startup_heap.is_some_and(|n| n > 1000),
                "{}: no start-up heap recorded for {v} (re-record it with gcconform bless)",
                p.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} scenarios enable collection");
}

fn a_live_run_reports_it() -> Outcome {
    let interps = crate::common::interpreters()?;
    let s = load("automatic/full_collection_waits_for_long_lived");
    for i in interps {
        let t = gcconform::runner::run_scenario(i, &s, std::time::Duration::from_secs(20)).unwrap();
        let n = t
            .startup_heap
            .unwrap_or_else(|| panic!("{}: no start-up heap", i.label()));
        assert!(n > 1000, "{}: {n}", i.label());
        assert!(t.events.contains(&Event::End));
    }
    Ok(())
}

crate::harness::tests! {
    only_scenarios_that_can_collect_automatically_measure_it,
    the_model_weighs_survivors_against_the_startup_heap,
    expected_files_record_it_for_every_scenario_that_can_collect_automatically,
    a_live_run_reports_it,
}

//! The Rust model of CPython's memory management (reference counting plus the generational
//! cyclic collector), run under a per-version [`profile::Profile`].
//!
//! - `heap`: objects, reference counts, the intrusive GC lists of `gcmodule.c`;
//! - `machine`: the interpreter state, reference counting, tracking, allocation
//!   (`_PyObject_GC_Alloc`), free lists, labels and the journal hooks;
//! - `statements`: `Machine::exec` and one function per statement family, each
//!   as CPython's bytecode for it behaves;
//! - `objects`: instances, attributes (slots, `__dict__`, 3.11+ inline values), dict stores,
//!   weak references;
//! - `frames`: names (`LOAD_NAME`/`STORE_FAST`/...), `__del__` and callback frames;
//! - `gc_module`: the `gc` module's functions (`gc.collect`, `gc.freeze`, ...) and `gc.garbage`;
//! - `query`: the `gc` module's observations (`gc.get_count()`, `gc.is_tracked(x)`, ...), their
//!   values and what they allocate;
//! - `observe`: what the trace observes after a collect and at the end;
//! - `dealloc`: `subtype_dealloc`, container deallocs, `PyObject_ClearWeakRefs`, trashcan;
//! - `collector`: `collect()` / `gc_collect_main()` and its helpers;
//! - `types`: classes as objects: the heap types a class statement makes (`type_new`), their
//!   start-up settling, `type_clear`, `type_dealloc`;
//! - [`profile`]: the version table (the only place that asks which version runs);
//! - `set`: a set's hash table, replayed as each version places, reuses and grows slots;
//! - `dict`: a dict's contents (entries, key index, compaction);
//! - `dict27`: 2.7's dict slot order;
//! - [`journal`]: the model's account of its decisions (`gcconform explain`);
//! - [`view`]: the public surface for looking at a run ([`View`]) and building a heap without
//!   statements ([`HeapBuilder`]).
//!
//! Outside the model, the interpreter state is reached only through [`run`], [`run_journaled`],
//! [`run_inspected`] (which hands a read-only [`View`] to its inspector) and [`HeapBuilder`]:
//! the machine, the heap and the dict internals are private to this module.

mod code;
mod collector;
mod dealloc;
mod dict;
mod dict27;
mod exceptions;
mod frames;
mod gc_module;
mod heap;
pub mod invariants;
pub mod journal;
mod machine;
mod objects;
mod observe;
pub mod profile;
mod query;
mod set;
mod statements;
mod types;
mod value;
pub mod view;

pub use heap::Id;
pub use machine::Exc;
pub use view::{Edge, HeapBuilder, ObjKind, View};

use crate::scenario::Scenario;
use crate::trace::{Event, Trace};
use crate::version::Version;
use machine::Machine;
use profile::Profile;

/// A scenario the model could not run to its end (a Python exception at top level).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: `{text}` raises {exception} under {version}: {detail}")]
pub struct ModelError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub text: String,
    pub exception: String,
    pub detail: String,
    pub version: Version,
}

/// Run a scenario under the model of `version` and return its trace (starting from the
/// version's reference start-up heap, [`Profile::startup_heap`]).
pub fn run(scenario: &Scenario, version: Version) -> Result<Trace, ModelError> {
    run_from(scenario, version, None)
}

/// [`run`], starting from a given start-up heap: the number of objects the interpreter's oldest
/// generation held when the scenario began (`long_lived_total`), as the runner measured it and
/// `expected/` recorded it. `None`: the version's reference value.
pub fn run_from(
    scenario: &Scenario,
    version: Version,
    startup_heap: Option<u64>,
) -> Result<Trace, ModelError> {
    run_with(scenario, version, startup_heap, false, None).map(|r| r.0)
}

/// Run a scenario and also return the model's journal of its decisions (for `explain`).
pub fn run_journaled(
    scenario: &Scenario,
    version: Version,
) -> Result<(Trace, journal::Journal), ModelError> {
    run_with(scenario, version, None, true, None).map(|(t, j)| (t, j.unwrap_or_default()))
}

/// When [`run_inspected`] lets its inspector look at the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Just before top-level statement `index` (0-based) runs.
    Before(usize),
    /// Just after top-level statement `index` ran (after its observation, for a collect).
    After(usize),
}

/// What [`run_inspected`] calls: it may look at the machine through a [`View`], not change it.
pub type Inspector<'f> = dyn FnMut(Moment, View<'_>) + Send + 'f;

/// The stack a model run gets: every run is on a thread of its own with this much (reserved,
/// not committed: only what a run touches is used). The model recurses as CPython's C code
/// does (a dealloc inside a dealloc, a `__del__` inside a `__del__`), as deep as CPython's own
/// limits let it: 3.13's C budget allows about 10,000 nested deallocs, or 3,300 `__del__`
/// calls nested in C; a debug build of the model takes a few kB of stack per level.
const MODEL_STACK: usize = 512 << 20;

/// Run a scenario journaled, as [`run_journaled`] does, and let `inspect` look at the machine
/// through a read-only [`View`] before and after every top-level statement (`gcconform graph`
/// draws the heap from it; the fuzzer checks its invariants). The run itself is exactly the
/// same; `startup_heap` as for [`run_from`].
pub fn run_inspected(
    scenario: &Scenario,
    version: Version,
    startup_heap: Option<u64>,
    inspect: &mut Inspector<'_>,
) -> Result<(Trace, journal::Journal), ModelError> {
    run_with(scenario, version, startup_heap, true, Some(inspect))
        .map(|(t, j)| (t, j.unwrap_or_default()))
}

/// [`run_on_this_thread`] on a thread with [`MODEL_STACK`] bytes of stack, whatever thread
/// calls it (rayon's workers have 2 MiB); a panic is passed on to the caller.
fn run_with(
    scenario: &Scenario,
    version: Version,
    startup_heap: Option<u64>,
    journaled: bool,
    inspect: Option<&mut Inspector<'_>>,
) -> Result<(Trace, Option<journal::Journal>), ModelError> {
    std::thread::scope(|s| {
        let h = std::thread::Builder::new()
            .name(format!("model {version}"))
            .stack_size(MODEL_STACK)
            .spawn_scoped(s, || {
                run_on_this_thread(scenario, version, startup_heap, journaled, inspect)
            })
            .expect("a thread for the model");
        h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

fn run_on_this_thread(
    scenario: &Scenario,
    version: Version,
    startup_heap: Option<u64>,
    journaled: bool,
    mut inspect: Option<&mut Inspector<'_>>,
) -> Result<(Trace, Option<journal::Journal>), ModelError> {
    let p = Profile::for_version(version);
    let mut m = Machine::new(scenario, p);
    m.start_from(startup_heap);
    if journaled {
        m.journal = Some(Box::default());
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        m.note(|_| journal::Note::Step { index: i });
        m.ctx_push(|_| journal::Ctx::Step(i));
        if let Some(f) = inspect.as_mut() {
            f(Moment::Before(i), View::new(&m));
        }
        let r = m.exec(step).and_then(|()| {
            if m.runaway {
                Err(machine::Exc {
                    kind: "RecursionError",
                    detail: format!(
                        "more than {} statements executed: the scenario does not terminate",
                        statements::MAX_EXECUTED
                    ),
                })
            } else {
                Ok(())
            }
        });
        m.ctx_pop();
        if let Some(f) = inspect.as_mut() {
            f(Moment::After(i), View::new(&m));
        }
        if let Err(mut e) = r {
            if e.kind == machine::RAISED {
                e.detail = m.uncaught();
            }
            return Err(ModelError {
                file: scenario.path.display().to_string(),
                line: step.pos.line,
                col: step.pos.col,
                text: step.text.clone(),
                exception: e.kind.to_string(),
                detail: e.detail,
                version,
            });
        }
    }
    m.events.push(Event::End);
    // The runner's final observation starts with a generator resume, whose RESUME checks the
    // eval breaker (3.12+): a collection still scheduled runs before the scenario's final state
    // is observed (`_Py_HandlePending`).
    m.eval_breaker();
    m.note(|_| journal::Note::Step {
        index: scenario.steps.len(),
    });
    m.observe();
    if !m.ignored.is_empty() {
        let ignored = m.ignored.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        m.events.push(Event::Ignored(ignored));
    }
    let journal = m.journal.take().map(|j| *j);
    let trace = Trace {
        events: m.events,
        startup_heap,
    };
    let trace = if scenario.summary {
        trace.summarized()
    } else {
        trace
    };
    Ok((trace, journal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;
    use std::path::Path;

    /// A model run recurses as deep as CPython's limits let it (here 3.13: thousands of nested
    /// list deallocs, each several Rust frames), whatever the stack of the thread that asks for
    /// it: rayon's workers have 2 MiB, this one 256 kiB.
    #[test]
    fn deep_nesting_runs_on_the_models_own_stack() {
        let sc = parse_scenario(
            Path::new("scenarios/t/deep.yaml"),
            "classes:\n  F:\n    __del__: pass\nsteps:\n  - f = F()\n  - l = [f]\n  - del f\n  - repeat: 12000\n    steps:\n      - l = [l]\n  - del l\n",
        )
        .unwrap();
        let t = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || run(&sc, Version::V3_13).map(|t| t.to_text()))
            .unwrap()
            .join()
            .expect("no overflow");
        assert!(t.unwrap().starts_with("__del__ f\nend\n"));
    }

    /// A container method called on an object of another type fails in its lookup, as
    /// CPython's does: `AttributeError` (`'NoneType' object has no attribute 'discard'`), which
    /// CPython 2.7-3.13 print twice here (measured with `gcconform diff`; the scenario is not
    /// in the corpus because on 3.12 printing an AttributeError allocates differently with and
    /// without the harness, which the neutrality tests would flag).
    #[test]
    fn a_container_method_on_the_wrong_object_raises_attribute_error() {
        let sc = parse_scenario(
            Path::new("scenarios/t/gone.yaml"),
            "classes:\n  S:\n    __del__:\n      - global registry\n      - registry.discard(self)\nsteps:\n  - registry = set()\n  - s1 = S()\n  - registry.add(s1)\n  - s2 = S()\n  - registry.add(s2)\n  - del s1\n  - del s2\n  - registry = None\n",
        )
        .unwrap();
        for v in [Version::V2_7, Version::V3_12] {
            let t = run(&sc, v).unwrap().to_text();
            assert!(
                t.contains("exceptions ignored: AttributeError ×2"),
                "{v}: {t}"
            );
        }
    }
}

//! `gcconform explain`: narrate a scenario from the model's own journal — what each collection
//! found, what it could not collect and why, what finalizers did, how every instance was freed,
//! and why each live instance is still alive.

use crate::model::journal::{AliveWhy, Freed, Note};
use crate::model::{self, ModelError, profile::Profile, profile::Resurrection};
use crate::scenario::Scenario;
use crate::version::Version;
use std::fmt::Write;

fn arrow(path: &[String]) -> String {
    path.join(" → ")
}

fn step_ref(sc: &Scenario, step: usize) -> String {
    match sc.steps.get(step) {
        Some(s) => format!("line {} (`{}`)", s.pos.line, s.text),
        None => "the end of the scenario".to_string(),
    }
}

/// The explanation of `scenario` under the model of `version`, as text.
pub fn explain(sc: &Scenario, version: Version) -> Result<String, ModelError> {
    let (trace, journal) = model::run_journaled(sc, version)?;
    let profile = Profile::for_version(version);
    let mut out = String::new();
    let _ = writeln!(out, "{} under the model of CPython {version}", sc.id);
    let policy = match profile.resurrection {
        Resurrection::NoFinalizers => {
            "2.7 never calls __del__ on cyclic trash: a cycle holding an object whose class defines __del__ is uncollectable and goes to gc.garbage"
        }
        Resurrection::CountBeforeReviveAll => {
            "3.6 runs __del__ on cyclic trash (PEP 442); its count is taken before finalizers run, and any resurrection revives the whole set"
        }
        Resurrection::CountAfterReviveAll => {
            "3.7/3.8 run __del__ on cyclic trash (PEP 442); the count is taken after finalizers, and any resurrection cancels the whole pass"
        }
        Resurrection::ReviveResurrectedOnly => {
            "3.9+ run __del__ on cyclic trash (PEP 442); after finalizers, reachability is recomputed and only what was resurrected survives"
        }
    };
    let _ = writeln!(out, "({policy})\n");
    let mut in_alive_block = false;
    for note in &journal.notes {
        if !matches!(note, Note::Alive { .. }) {
            in_alive_block = false;
        }
        match note {
            Note::Step { index } => match sc.steps.get(*index) {
                Some(s) => {
                    let _ = writeln!(out, "line {}: {}", s.pos.line, s.text);
                }
                None => {
                    let _ = writeln!(out, "end of the scenario");
                }
            },
            Note::CollectStart {
                no,
                generation,
                scanned,
                automatic,
            } => {
                let _ = writeln!(
                    out,
                    "  collection #{no}{} of generation {generation}{}: {scanned} tracked objects in the model",
                    if *automatic { " (automatic)" } else { "" },
                    if *generation > 0 {
                        " (younger generations merged in)"
                    } else {
                        ""
                    }
                );
            }
            Note::Unreachable { no: _, labels } => {
                if labels.is_empty() {
                    let _ = writeln!(out, "    no unreachable instance");
                } else {
                    let _ = writeln!(out, "    unreachable: {}", labels.join(", "));
                }
            }
            Note::LegacyFinalizer {
                label,
                cycle,
                inherited,
                ..
            } => {
                let defines = match inherited {
                    Some((class, base)) => {
                        format!("its class {class} inherits __del__ from {base}")
                    }
                    None => "it defines __del__".to_string(),
                };
                if cycle.len() > 1 {
                    let _ = writeln!(
                        out,
                        "    {label} is uncollectable: {defines} and is in the unreachable cycle {}; {version} never finalizes cyclic trash",
                        arrow(cycle)
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "    {label} is held back: {defines} (a legacy finalizer in {version}) and is unreachable"
                    );
                }
            }
            Note::ReachableFromFinalizer { label, .. } => {
                let _ = writeln!(
                    out,
                    "    {label} is kept with the uncollectable objects: a legacy finalizer reaches it"
                );
            }
            Note::Finalized { label, collect } => match collect {
                Some(k) => {
                    let _ = writeln!(out, "    __del__ {label} (called by collection #{k})");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    __del__ {label} (its reference count reached zero)"
                    );
                }
            },
            Note::Callback {
                label,
                collect,
                referent,
            } => match (collect, referent) {
                (_, Some(r)) => {
                    let _ = writeln!(
                        out,
                        "    callback {label}: its referent {r} was freed by reference counting (PyObject_ClearWeakRefs)"
                    );
                }
                (Some(k), None) => {
                    let _ = writeln!(
                        out,
                        "    callback {label}: collection #{k} cleared the weakref to its trash referent (handle_weakrefs, before any __del__)"
                    );
                }
                (None, None) => {
                    let _ = writeln!(out, "    callback {label}");
                }
            },
            Note::RevivedAll { labels, .. } => {
                let _ = writeln!(
                    out,
                    "    a finalizer resurrected something, so {version} revives the whole unreachable set: {} survive(s) into the old generation",
                    labels.join(", ")
                );
            }
            Note::Resurrected { labels, .. } => {
                let _ = writeln!(
                    out,
                    "    resurrected (reachable again after the finalizers ran), moved to the old generation: {}",
                    labels.join(", ")
                );
            }
            Note::SavedToGarbage { label, saveall, .. } => {
                let _ = writeln!(
                    out,
                    "    {label} → gc.garbage{}",
                    if *saveall {
                        " (DEBUG_SAVEALL)"
                    } else {
                        " (uncollectable)"
                    }
                );
            }
            Note::Freed { label, how } => {
                let why = match how {
                    Freed::Refcount { step } => {
                        format!(
                            "by reference counting: its last reference went at {}",
                            step_ref(sc, *step)
                        )
                    }
                    Freed::CycleCollection { collect, by } if by == label => {
                        format!("by collection #{collect}: cyclic trash, cleared (tp_clear)")
                    }
                    Freed::CycleCollection { collect, by } => {
                        format!(
                            "by collection #{collect}: clearing {by} dropped its last reference"
                        )
                    }
                    Freed::FinalizerBrokeCycle { collect, finalizer } => format!(
                        "by reference counting while collection #{collect} ran __del__ {finalizer}: the finalizer broke the cycle"
                    ),
                    Freed::DuringFinalizer { finalizer, step } => format!(
                        "by reference counting while __del__ {finalizer} ran{}",
                        step.map(|s| format!(" (from {})", step_ref(sc, s)))
                            .unwrap_or_default()
                    ),
                };
                let _ = writeln!(out, "    {label} freed {why}");
            }
            Note::CollectEnd {
                no,
                collected,
                uncollectable,
            } => {
                let _ = writeln!(
                    out,
                    "  collection #{no} returns {}: {collected} collected + {uncollectable} uncollectable",
                    collected + uncollectable,
                );
            }
            Note::Alive { label, why } => {
                if !in_alive_block {
                    let _ = writeln!(out, "  alive now:");
                    in_alive_block = true;
                }
                let why = match why {
                    AliveWhy::FromName { path } => format!("reachable from name {}", arrow(path)),
                    AliveWhy::FromGarbage { path } => format!("held by {}", arrow(path)),
                    AliveWhy::Uncollected { generation } => {
                        format!("unreachable, not collected yet (in generation {generation})")
                    }
                    AliveWhy::Frozen => "unreachable, but frozen by gc.freeze()".to_string(),
                };
                let _ = writeln!(out, "    {label}: {why}");
            }
        }
    }
    let _ = writeln!(out, "\nTrace:");
    for e in &trace.events {
        let _ = writeln!(out, "  {e}");
    }
    Ok(out)
}

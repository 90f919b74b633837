//! The model's own account of what it decided and why: which statement or collection freed each
//! object, what each collection found unreachable, what it could not collect and why, what was
//! resurrected, and why each live object is still alive. `gcconform explain` renders it.
//!
//! Recording is off unless a journal is attached to the machine (as
//! [`run_journaled`](super::run_journaled) does), so plain runs pay nothing for it.

/// Where the model is when something happens (innermost last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ctx {
    /// Executing top-level statement `index` (0-based).
    Step(usize),
    /// Inside collection number `no` (1-based, counting every collection of the run).
    Collect(usize),
    /// Running `__del__` of `label`; `collect` is set when the collector called it.
    Finalizer {
        label: String,
        collect: Option<usize>,
    },
    /// The collector is clearing `label` (`tp_clear` in `delete_garbage`).
    Clear { label: String, collect: usize },
}

/// How an object came to be freed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freed {
    /// Its reference count reached zero because of top-level statement `step`.
    Refcount { step: usize },
    /// The collector cleared it (or cleared `by`, which dropped the last reference to it).
    CycleCollection { collect: usize, by: String },
    /// Its count reached zero while the collector ran `__del__` of `finalizer`, which broke
    /// the cycle.
    FinalizerBrokeCycle { collect: usize, finalizer: String },
    /// Its count reached zero while `__del__` of `finalizer` ran outside any collection.
    DuringFinalizer {
        finalizer: String,
        step: Option<usize>,
    },
}

/// Why an object is alive at an observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliveWhy {
    /// Reachable from a name; the path of labels from the name.
    FromName { path: Vec<String> },
    /// Held (directly or through others) by the collector's gc.garbage list.
    FromGarbage { path: Vec<String> },
    /// Unreachable but not collected yet: sitting in generation `generation`.
    Uncollected { generation: usize },
    /// Unreachable, frozen by `gc.freeze()` (the collector ignores it).
    Frozen,
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Top-level statement `index` starts.
    Step { index: usize },
    /// Collection `no` of `generation` starts, scanning `scanned` objects.
    CollectStart {
        no: usize,
        generation: usize,
        scanned: usize,
        automatic: bool,
    },
    /// The unreachable set of collection `no`, in list order (labels).
    Unreachable { no: usize, labels: Vec<String> },
    /// 2.7 legacy finalizer: `label` defines `__del__`, and is in the cycle `cycle`.
    LegacyFinalizer {
        no: usize,
        label: String,
        cycle: Vec<String>,
        /// Its class and the base whose `__del__` it inherits, when not its own.
        inherited: Option<(String, String)>,
    },
    /// Kept with the uncollectable objects because a legacy finalizer reaches it.
    ReachableFromFinalizer { no: usize, label: String },
    /// `__del__` of `label` runs (from the collector if `collect` is set).
    Finalized {
        label: String,
        collect: Option<usize>,
    },
    /// 3.6–3.8: something was resurrected, so the whole set was revived.
    RevivedAll { no: usize, labels: Vec<String> },
    /// 3.9+: these objects were resurrected (or reachable from a resurrected one).
    Resurrected { no: usize, labels: Vec<String> },
    /// An object was appended to gc.garbage.
    SavedToGarbage {
        no: usize,
        label: String,
        saveall: bool,
    },
    /// The callback of weakref `label` runs; `collect` is set when `handle_weakrefs` called
    /// it, else the referent `referent` was freed by reference counting.
    Callback {
        label: String,
        collect: Option<usize>,
        referent: Option<String>,
    },
    /// An instance was freed.
    Freed { label: String, how: Freed },
    /// Collection `no` returns `collected + uncollectable`.
    CollectEnd {
        no: usize,
        collected: i64,
        uncollectable: i64,
    },
    /// An instance is alive at an observation, and why.
    Alive { label: String, why: AliveWhy },
}

/// The recorded notes and the context stack.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    pub notes: Vec<Note>,
    pub ctx: Vec<Ctx>,
    pub collections: usize,
}

impl Journal {
    /// How a free that happens now came about, from the innermost context.
    pub fn how_freed(&self, label: &str) -> Freed {
        let step = self.ctx.iter().rev().find_map(|c| match c {
            Ctx::Step(i) => Some(*i),
            _ => None,
        });
        for c in self.ctx.iter().rev() {
            match c {
                Ctx::Clear { label: by, collect } => {
                    return Freed::CycleCollection {
                        collect: *collect,
                        by: by.clone(),
                    };
                }
                Ctx::Finalizer {
                    label: f,
                    collect: Some(k),
                } => {
                    return Freed::FinalizerBrokeCycle {
                        collect: *k,
                        finalizer: f.clone(),
                    };
                }
                Ctx::Finalizer {
                    label: f,
                    collect: None,
                } if f != label => {
                    return Freed::DuringFinalizer {
                        finalizer: f.clone(),
                        step,
                    };
                }
                _ => {}
            }
        }
        Freed::Refcount {
            step: step.unwrap_or(0),
        }
    }
}

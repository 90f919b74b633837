//! The pictures of `gcconform graph`: the model's heap before and after each collection (or around one
//! statement), as Graphviz DOT or SVG.
//!
//! - Objects are nodes: their label, their class (and whether it defines `__del__`) or their
//!   type, their generation, and what happened to them.
//! - References are edges, labelled with the attribute (`.cycle`), key (`['k']`) or index
//!   (`[0]`) that holds them; weak references are dashed. An instance's own `__dict__` is
//!   folded into the instance (its keys become `.attr` edges) unless something else holds it.
//!   Names (`b`) and `gc.garbage` are the roots.
//! - The objects of one reference cycle (a strongly connected component) are grouped in a
//!   cluster labelled `cycle`.
//! - Nodes are coloured by their fate across the statement, taken from the model's journal and
//!   heap: kept (still alive), collected (freed, by the collector or by reference counting),
//!   uncollectable (in `gc.garbage`), resurrected (a finalizer made it reachable again).
//! - Given a reference trace (a live interpreter's, or the one recorded in `expected/`), every
//!   instance whose fate at a collection's observation differs from it is marked (red double
//!   border and a `≠` line naming what CPython did).
//!
//! The pictures come from the model's own state: [`crate::model::run_inspected`] hands over the
//! machine before and after each top-level statement, and nothing is re-derived by guessing.

use crate::model::journal::{Freed, Note};
use crate::model::{self, Id, ModelError, Moment, ObjKind, View};
use crate::scenario::{Scenario, Stmt};
use crate::trace::label::{base, count_named};
use crate::trace::{Event, Trace};
use crate::version::Version;
use clap::ValueEnum;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;

/// The output format of `gcconform graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Svg,
}

/// `--at`: a statement, by its 1-based index among the top-level steps or by its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Step(usize),
    Line(usize),
}

impl std::str::FromStr for At {
    type Err = String;
    fn from_str(s: &str) -> Result<At, String> {
        let bad = || format!("`{s}` is neither a step number (1, 2, …) nor `line:N`");
        if let Some(n) = s.strip_prefix("line:") {
            let n: usize = n.trim().parse().map_err(|_| bad())?;
            return if n == 0 { Err(bad()) } else { Ok(At::Line(n)) };
        }
        let n: usize = s.trim().parse().map_err(|_| bad())?;
        if n == 0 { Err(bad()) } else { Ok(At::Step(n)) }
    }
}

impl At {
    /// The 0-based index of the top-level step this names.
    pub fn resolve(self, sc: &Scenario) -> Result<usize, String> {
        match self {
            At::Step(n) if n <= sc.steps.len() => Ok(n - 1),
            At::Step(n) => Err(format!(
                "--at {n}: {} has {} top-level statement(s)",
                sc.path.display(),
                sc.steps.len()
            )),
            At::Line(l) => sc.steps.iter().position(|s| s.pos.line == l).ok_or_else(|| {
                let lines: Vec<String> = sc.steps.iter().map(|s| s.pos.line.to_string()).collect();
                format!(
                    "--at line:{l}: no top-level statement of {} starts on line {l} (statements are on lines {})",
                    sc.path.display(),
                    lines.join(", ")
                )
            }),
        }
    }
}

/// What happened to an object across the drawn statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fate {
    /// Still alive afterwards (and not in `gc.garbage`).
    Kept,
    /// Freed: by the collector, or by reference counting.
    Collected,
    /// In `gc.garbage` afterwards.
    Uncollectable,
    /// A finalizer made it reachable again.
    Resurrected,
}

impl Fate {
    pub const ALL: [Fate; 4] = [
        Fate::Kept,
        Fate::Collected,
        Fate::Uncollectable,
        Fate::Resurrected,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Fate::Kept => "kept",
            Fate::Collected => "collected",
            Fate::Uncollectable => "uncollectable",
            Fate::Resurrected => "resurrected",
        }
    }
    /// The fill colour of its nodes.
    pub fn color(self) -> &'static str {
        match self {
            Fate::Kept => "#b8e186",
            Fate::Collected => "#d9d9d9",
            Fate::Uncollectable => "#f4a582",
            Fate::Resurrected => "#fee08b",
        }
    }
    fn legend(self) -> &'static str {
        match self {
            Fate::Kept => "kept (alive)",
            Fate::Collected => "collected (freed)",
            Fate::Uncollectable => "uncollectable (in gc.garbage)",
            Fate::Resurrected => "resurrected",
        }
    }
}

/// The border colour of objects whose fate differs from the reference trace.
pub const MISMATCH_COLOR: &str = "#d7191c";

/// A trace to compare the model's fates with: what real CPython did.
#[derive(Debug, Clone)]
pub struct Reference {
    /// How it is named in the picture: `CPython 3.12.1`.
    pub name: String,
    /// Where it comes from: `live, /usr/bin/python3.12` or `expected/seed/x.trace`.
    pub source: String,
    pub trace: Trace,
}

/// The result of drawing.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub dot: String,
    /// One line per (statement, object) whose fate differs from the reference.
    pub mismatches: Vec<String>,
    /// How many before/after pairs were drawn.
    pub snapshots: usize,
}

/// Why a graph could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("{0}")]
    Model(#[from] ModelError),
    #[error("{0}")]
    At(String),
}

// ---------------------------------------------------------------------------------------------
// Snapshots of the model's heap

/// A drawn object.
#[derive(Debug, Clone)]
struct SNode {
    label: String,
    /// Class name, or the type (`list`).
    type_name: String,
    /// For instances: whether the class defines `__del__`.
    has_del: Option<bool>,
    /// `gen 0`, `gen 2`, `frozen`, `untracked`.
    place: String,
    instance: bool,
    /// A bound method (labelled, when unlabelled, by what it is: `bound method A.handle of a`).
    method: bool,
}

/// Where an edge starts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Src {
    Name(String),
    /// The `gc.garbage` module attribute.
    Garbage,
    /// The collector's own list, when `gc.garbage` was rebound.
    Collector,
    Obj(Id),
}

#[derive(Debug, Clone)]
struct SEdge {
    from: Src,
    to: Id,
    label: String,
    weak: bool,
}

/// The heap as the program and the collector see it at one moment.
#[derive(Debug, Clone, Default)]
struct Snap {
    nodes: BTreeMap<Id, SNode>,
    edges: Vec<SEdge>,
    /// Objects in either garbage list.
    in_garbage: HashSet<Id>,
    /// Whether `gc.garbage` was rebound (the collector's list is drawn too).
    rebound: bool,
    /// Per arena index: freed.
    freed: Vec<bool>,
    /// Objects left out of the picture ([`MAX_NODES`]).
    omitted: usize,
}

impl Snap {
    fn is_freed(&self, id: Id) -> bool {
        self.freed.get(id as usize).copied().unwrap_or(false)
    }
}

/// Where each tracked object sits: `gen 0`..`gen 2` or `frozen` (from the lists themselves:
/// an object's `list` field only says whether it is tracked).
fn places(m: View<'_>) -> HashMap<Id, String> {
    let mut out = HashMap::new();
    for g in 0..3 {
        for id in m.generation(g) {
            out.insert(id, format!("gen {g}"));
        }
    }
    for id in m.permanent() {
        out.insert(id, "frozen".to_string());
    }
    out
}

fn place(m: View<'_>, places: &HashMap<Id, String>, id: Id) -> String {
    match places.get(&id) {
        Some(p) => p.clone(),
        None if !m.is_tracked(id) => "untracked".into(),
        None => "collecting".into(),
    }
}

/// The references an object holds, with where it holds them, in a stable order.
fn out_edges(m: View<'_>, id: Id) -> Vec<(String, Id, bool)> {
    m.edges(id)
        .into_iter()
        .map(|e| (e.label, e.to, e.weak))
        .collect()
}

/// Capture what a picture needs from the machine (read-only).
fn capture(m: View<'_>) -> Snap {
    let mut snap = Snap {
        freed: m.ids().map(|id| m.is_freed(id)).collect(),
        rebound: m.garbage() != m.collector_garbage(),
        ..Snap::default()
    };
    let mut special: HashSet<Id> = [m.globals(), m.collector_garbage(), m.garbage()]
        .into_iter()
        .collect();
    // A class still bound to its name is part of the module, as the globals are: its type and
    // what the type holds (dict, MRO, descriptors, functions) are not drawn. A deleted class
    // is drawn like any other object.
    let mut class_parts: Vec<Id> = m
        .names()
        .into_iter()
        .filter(|(_, o)| matches!(m.kind(*o), Some(ObjKind::Type { .. })))
        .map(|(_, o)| o)
        .collect();
    while let Some(id) = class_parts.pop() {
        if m.is_freed(id) || !special.insert(id) {
            continue;
        }
        class_parts.extend(
            m.edges(id)
                .into_iter()
                .filter(|e| !e.weak && m.kind(e.to).is_some())
                .map(|e| e.to),
        );
    }
    // The weak reference to each class that its bases' `__subclasses__` hold is CPython's own
    // bookkeeping, not drawn unless something of the program holds it too (`weakref.ref(A)`).
    for (w, holds) in m.subclass_refs() {
        if m.refcnt(w) == holds {
            special.insert(w);
        }
    }
    // And the bases' `tp_subclasses` the model has (held by their type, not visited).
    special.extend(m.subclass_containers());
    special.insert(m.globals());
    let mut roots: Vec<SEdge> = Vec::new();
    for (k, o) in m.names() {
        if special.contains(&o) {
            continue;
        }
        roots.push(SEdge {
            from: Src::Name(k),
            to: o,
            label: String::new(),
            weak: false,
        });
    }
    let lists = if snap.rebound {
        vec![
            (Src::Garbage, m.garbage()),
            (Src::Collector, m.collector_garbage()),
        ]
    } else {
        vec![(Src::Garbage, m.garbage())]
    };
    for (src, list) in lists {
        // A garbage list's items, labelled `[k]` by position.
        for e in m.edges(list) {
            snap.in_garbage.insert(e.to);
            roots.push(SEdge {
                from: src.clone(),
                to: e.to,
                label: e.label,
                weak: false,
            });
        }
    }
    // Every object the program or the collector can reach: the roots, everything in a
    // generation (unreachable trash included) and what those hold.
    let places = places(m);
    let mut stack: Vec<Id> = roots.iter().map(|e| e.to).collect();
    stack.extend(places.keys().copied());
    let mut seen: BTreeSet<Id> = BTreeSet::new();
    while let Some(id) = stack.pop() {
        if special.contains(&id) || m.is_freed(id) || m.kind(id).is_none() {
            continue;
        }
        if !seen.insert(id) {
            continue;
        }
        stack.extend(m.referents(id));
        if let Some(ObjKind::WeakRef {
            referent: Some(r), ..
        }) = m.kind(id)
        {
            stack.push(r);
        }
    }
    // An instance's own __dict__, held by nothing else, is drawn as part of the instance.
    let mut folded: HashMap<Id, Id> = HashMap::new();
    for &id in &seen {
        if let Some(d) = m.instance_dict(id)
            && m.refcnt(d) == 1
            && !snap.in_garbage.contains(&d)
        {
            folded.insert(d, id);
        }
    }
    for &id in &seen {
        if folded.contains_key(&id) {
            continue;
        }
        let (type_name, has_del, instance) = match m.kind(id) {
            Some(ObjKind::Instance { class }) => {
                let c = &m.scenario().classes[class];
                (c.name.clone(), Some(c.del.is_some()), true)
            }
            Some(ObjKind::WeakRef { referent: None, .. }) => {
                (format!("{} (dead)", m.type_name(id)), None, false)
            }
            // A labelled bound method says what it is under its label.
            Some(ObjKind::Method { .. }) if m.given_label(id).is_some() => (
                m.method_text(id).unwrap_or_else(|| m.type_name(id)),
                None,
                false,
            ),
            _ => (m.type_name(id), None, false),
        };
        snap.nodes.insert(
            id,
            SNode {
                label: m.describe(id),
                type_name,
                has_del,
                place: place(m, &places, id),
                instance,
                method: matches!(m.kind(id), Some(ObjKind::Method { .. })),
            },
        );
        for (label, to, weak) in out_edges(m, id) {
            if let Some(owner) = folded.get(&to).filter(|o| **o == id) {
                for (k, t, w) in out_edges(m, to) {
                    let attr = k
                        .strip_prefix("['")
                        .and_then(|k| k.strip_suffix("']"))
                        .map(|k| format!(".{k}"))
                        .unwrap_or(k);
                    snap.edges.push(SEdge {
                        from: Src::Obj(*owner),
                        to: t,
                        label: attr,
                        weak: w,
                    });
                }
                continue;
            }
            snap.edges.push(SEdge {
                from: Src::Obj(id),
                to,
                label,
                weak,
            });
        }
    }
    snap.edges.extend(roots);
    if snap.nodes.len() > MAX_NODES {
        // Keep the oldest objects: a picture of thousands of nodes helps nobody.
        let extra: Vec<Id> = snap.nodes.keys().skip(MAX_NODES).copied().collect();
        snap.omitted = extra.len();
        for id in extra {
            snap.nodes.remove(&id);
        }
    }
    let nodes = &snap.nodes;
    snap.edges.retain(|e| {
        nodes.contains_key(&e.to)
            && match e.from {
                Src::Obj(f) => nodes.contains_key(&f),
                _ => true,
            }
    });
    snap
}

/// The most objects one panel draws (the oldest ones); the title says how many were left out.
pub const MAX_NODES: usize = 300;

// ---------------------------------------------------------------------------------------------
// What the journal says about one statement

#[derive(Debug, Default)]
struct StepNotes {
    freed: HashMap<String, Freed>,
    saved: HashMap<String, bool>,
    resurrected: HashSet<String>,
    finalized: HashSet<String>,
    legacy: HashMap<String, Vec<String>>,
    held_by_finalizer: HashSet<String>,
    /// (number, generation, automatic, collected, uncollectable)
    collections: Vec<(usize, usize, bool, i64, i64)>,
}

fn step_notes(notes: &[Note], step: usize) -> StepNotes {
    let mut out = StepNotes::default();
    let mut inside = false;
    let mut starts: HashMap<usize, (usize, bool)> = HashMap::new();
    for n in notes {
        if let Note::Step { index } = n {
            inside = *index == step;
            continue;
        }
        if !inside {
            continue;
        }
        match n {
            Note::Freed { label, how } => {
                out.freed.insert(label.clone(), how.clone());
            }
            Note::SavedToGarbage { label, saveall, .. } => {
                out.saved.insert(label.clone(), *saveall);
            }
            Note::Resurrected { labels, .. } | Note::RevivedAll { labels, .. } => {
                out.resurrected.extend(labels.iter().cloned());
            }
            Note::Finalized { label, .. } => {
                out.finalized.insert(label.clone());
            }
            Note::LegacyFinalizer { label, cycle, .. } => {
                out.legacy.insert(label.clone(), cycle.clone());
            }
            Note::ReachableFromFinalizer { label, .. } => {
                out.held_by_finalizer.insert(label.clone());
            }
            Note::CollectStart {
                no,
                generation,
                automatic,
                ..
            } => {
                starts.insert(*no, (*generation, *automatic));
            }
            Note::CollectEnd {
                no,
                collected,
                uncollectable,
            } => {
                let (g, a) = starts.get(no).copied().unwrap_or((2, false));
                out.collections
                    .push((*no, g, a, *collected, *uncollectable));
            }
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Fates as traces show them (for the comparison with CPython)

/// What a trace's observation says about an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Alive,
    InGarbage,
    Gone,
}

impl Seen {
    fn text(self) -> &'static str {
        match self {
            Seen::Alive => "alive",
            Seen::InGarbage => "in gc.garbage",
            Seen::Gone => "freed",
        }
    }
}

/// What an observation says about `label`, comparably: per object (`alive`), or, for
/// `trace: summary` scenarios, per name (`a: 3 alive, 0 in gc.garbage`).
fn observed_fate(obs: &(Vec<String>, Vec<String>), label: &str, summary: bool) -> String {
    if summary {
        let b = base(label);
        format!(
            "{b}: {} alive, {} in gc.garbage",
            count_named(&obs.1, b),
            count_named(&obs.0, b)
        )
    } else {
        seen(obs, label).text().to_string()
    }
}

fn seen(obs: &(Vec<String>, Vec<String>), label: &str) -> Seen {
    if obs.0.iter().any(|l| l == label) {
        Seen::InGarbage
    } else if obs.1.iter().any(|l| l == label) {
        Seen::Alive
    } else {
        Seen::Gone
    }
}

// ---------------------------------------------------------------------------------------------
// DOT

fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn freed_text(label: &str, how: &Freed) -> String {
    match how {
        Freed::Refcount { .. } => "freed by refcount".into(),
        Freed::CycleCollection { collect, by } if by == label => {
            format!("collected by #{collect}")
        }
        Freed::CycleCollection { collect, by } => {
            format!("collected by #{collect} (clearing {by} freed it)")
        }
        Freed::FinalizerBrokeCycle { collect, finalizer } => {
            format!("freed: __del__ {finalizer} broke the cycle (#{collect})")
        }
        Freed::DuringFinalizer { finalizer, .. } => format!("freed during __del__ {finalizer}"),
    }
}

/// Strongly connected components of the strong references among `nodes` that are cycles
/// (more than one object, or an object referring to itself), each sorted, in order of their
/// first node.
fn cycles(nodes: &BTreeMap<Id, SNode>, edges: &[SEdge]) -> Vec<Vec<Id>> {
    let ids: Vec<Id> = nodes.keys().copied().collect();
    let index: HashMap<Id, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let n = ids.len();
    let mut fwd = vec![Vec::new(); n];
    let mut rev = vec![Vec::new(); n];
    let mut self_loop = vec![false; n];
    for e in edges {
        if e.weak {
            continue;
        }
        if let (Src::Obj(a), Some(&j)) = (&e.from, index.get(&e.to))
            && let Some(&i) = index.get(a)
        {
            fwd[i].push(j);
            rev[j].push(i);
            if i == j {
                self_loop[i] = true;
            }
        }
    }
    // Kosaraju, iteratively: finishing order on the graph, then components on the reverse.
    let mut order = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    for s in 0..n {
        if visited[s] {
            continue;
        }
        visited[s] = true;
        let mut stack = vec![(s, 0usize)];
        while let Some((v, k)) = stack.pop() {
            if k < fwd[v].len() {
                stack.push((v, k + 1));
                let w = fwd[v][k];
                if !visited[w] {
                    visited[w] = true;
                    stack.push((w, 0));
                }
            } else {
                order.push(v);
            }
        }
    }
    let mut comp = vec![usize::MAX; n];
    let mut comps: Vec<Vec<usize>> = Vec::new();
    for &s in order.iter().rev() {
        if comp[s] != usize::MAX {
            continue;
        }
        let c = comps.len();
        comps.push(Vec::new());
        comp[s] = c;
        let mut stack = vec![s];
        while let Some(v) = stack.pop() {
            comps[c].push(v);
            for &w in &rev[v] {
                if comp[w] == usize::MAX {
                    comp[w] = c;
                    stack.push(w);
                }
            }
        }
    }
    let mut out: Vec<Vec<Id>> = comps
        .into_iter()
        .filter(|c| c.len() > 1 || self_loop[c[0]])
        .map(|c| {
            let mut v: Vec<Id> = c.into_iter().map(|i| ids[i]).collect();
            v.sort();
            v
        })
        .collect();
    out.sort();
    out
}

/// One side of a before/after pair, ready to draw.
struct Panel<'a> {
    prefix: String,
    title: String,
    snap: &'a Snap,
    /// Fate and the detail lines of each node.
    fates: BTreeMap<Id, (Fate, Vec<String>)>,
    /// Nodes whose fate differs from the reference: what the reference says.
    differs: BTreeMap<Id, String>,
}

fn node_name(prefix: &str, id: Id) -> String {
    format!("{prefix}_o{id}")
}

fn src_name(prefix: &str, s: &Src) -> String {
    match s {
        Src::Name(n) => format!("{prefix}_name_{n}"),
        Src::Garbage => format!("{prefix}_garbage"),
        Src::Collector => format!("{prefix}_collector"),
        Src::Obj(id) => node_name(prefix, *id),
    }
}

/// Write one panel as a cluster; returns the names of the nodes in it (for the layout).
fn write_panel(out: &mut String, p: &Panel<'_>) -> Vec<String> {
    let pre = &p.prefix;
    let _ = writeln!(out, "  subgraph cluster_{pre} {{");
    let title = if p.snap.omitted > 0 {
        format!("{}\n({} more objects not drawn)", p.title, p.snap.omitted)
    } else {
        p.title.clone()
    };
    let _ = writeln!(
        out,
        "    label={}; labeljust=l; style=rounded; color=\"#888888\";",
        q(&title)
    );
    // An invisible anchor above the panel's nodes orders the panels (see `render`).
    let _ = writeln!(
        out,
        "    {} [shape=point, style=invis, width=0, label=\"\"];",
        q(&format!("{pre}_anchor"))
    );
    let node_line = |out: &mut String, indent: &str, id: Id| {
        let n = &p.snap.nodes[&id];
        let (fate, details) = p
            .fates
            .get(&id)
            .cloned()
            .unwrap_or((Fate::Kept, Vec::new()));
        let mut kind = n.type_name.clone();
        if n.has_del == Some(true) {
            kind.push_str(" · __del__");
        }
        let mut lines = vec![n.label.clone(), format!("{kind} · {}", n.place)];
        lines.extend(details);
        let differs = p.differs.get(&id);
        if let Some(r) = differs {
            lines.push(r.clone());
        }
        let mut style = vec![if n.instance {
            "rounded,filled"
        } else {
            "filled"
        }];
        if fate == Fate::Collected {
            style.push("dashed");
        }
        let mut attrs = format!(
            "label={}, fillcolor={}, style={}, tooltip={}",
            q(&lines.join("\n")),
            q(fate.color()),
            q(&style.join(",")),
            q(&format!("{} ({})", n.label, fate.name()))
        );
        if differs.is_some() {
            let _ = write!(
                attrs,
                ", color={}, penwidth=3, peripheries=2",
                q(MISMATCH_COLOR)
            );
        }
        let _ = writeln!(out, "{indent}{} [{attrs}];", q(&node_name(pre, id)));
    };
    let cyc = cycles(&p.snap.nodes, &p.snap.edges);
    let mut in_cycle = HashSet::new();
    for (k, c) in cyc.iter().enumerate() {
        let _ = writeln!(out, "    subgraph cluster_{pre}_cycle{} {{", k + 1);
        let _ = writeln!(
            out,
            "      label=\"cycle\"; style=\"dashed,rounded\"; color=\"#7570b3\"; fontcolor=\"#7570b3\";"
        );
        for id in c {
            in_cycle.insert(*id);
            node_line(out, "      ", *id);
        }
        let _ = writeln!(out, "    }}");
    }
    for id in p.snap.nodes.keys() {
        if !in_cycle.contains(id) {
            node_line(out, "    ", *id);
        }
    }
    if p.snap.nodes.is_empty() {
        let _ = writeln!(
            out,
            "    {} [label=\"(no objects)\", shape=plaintext, style=\"\"];",
            q(&format!("{pre}_empty"))
        );
    }
    // Roots.
    let mut roots: BTreeSet<Src> = BTreeSet::new();
    for e in &p.snap.edges {
        if !matches!(e.from, Src::Obj(_)) {
            roots.insert(e.from.clone());
        }
    }
    for r in &roots {
        let (label, shape) = match r {
            Src::Name(n) => (n.clone(), "plaintext"),
            Src::Garbage => ("gc.garbage".to_string(), "box3d"),
            Src::Collector => ("collector's garbage list".to_string(), "box3d"),
            Src::Obj(_) => continue,
        };
        let _ = writeln!(
            out,
            "    {} [label={}, shape={shape}, style=\"\", fontcolor=\"#444444\"];",
            q(&src_name(pre, r)),
            q(&label)
        );
    }
    for e in &p.snap.edges {
        let mut attrs = Vec::new();
        if !e.label.is_empty() {
            // Padded, so that the labels of two edges drawn side by side (a two-object cycle)
            // do not run into each other.
            attrs.push(format!("label={}", q(&format!(" {} ", e.label))));
        }
        if e.weak {
            attrs.push("style=dashed".into());
            attrs.push("constraint=false".into());
        }
        if !matches!(e.from, Src::Obj(_)) {
            attrs.push("color=\"#777777\"".into());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(
            out,
            "    {} -> {}{attrs};",
            q(&src_name(pre, &e.from)),
            q(&node_name(pre, e.to))
        );
    }
    let mut members: Vec<String> = p.snap.nodes.keys().map(|id| node_name(pre, *id)).collect();
    members.extend(roots.iter().map(|r| src_name(pre, r)));
    if p.snap.nodes.is_empty() {
        members.push(format!("{pre}_empty"));
    }
    let anchor = format!("{pre}_anchor");
    for m in &members {
        let _ = writeln!(out, "    {} -> {} [style=invis];", q(&anchor), q(m));
    }
    let _ = writeln!(out, "  }}");
    members
}

/// Fates across a statement: for each object of the `before` picture, then of the `after` one.
#[allow(clippy::type_complexity)]
fn fates(
    before: &Snap,
    after: &Snap,
    notes: &StepNotes,
) -> (
    BTreeMap<Id, (Fate, Vec<String>)>,
    BTreeMap<Id, (Fate, Vec<String>)>,
) {
    let classify = |id: Id, n: &SNode, freed: bool| -> (Fate, Vec<String>) {
        let mut details = Vec::new();
        if notes.finalized.contains(&n.label) && n.instance {
            details.push("__del__ ran".to_string());
        }
        let fate = if freed {
            details.push(
                match notes.freed.get(&n.label).filter(|_| n.instance || n.method) {
                    Some(how) => freed_text(&n.label, how),
                    None => "freed".to_string(),
                },
            );
            Fate::Collected
        } else if after.in_garbage.contains(&id) {
            if let Some(cycle) = notes.legacy.get(&n.label) {
                if cycle.len() > 1 {
                    details.push(format!("legacy __del__ in cycle {}", cycle.join(" → ")));
                } else {
                    details.push("legacy __del__".into());
                }
            }
            details.push(match notes.saved.get(&n.label) {
                Some(true) => "in gc.garbage (DEBUG_SAVEALL)".into(),
                _ => "in gc.garbage".into(),
            });
            Fate::Uncollectable
        } else if notes.resurrected.contains(&n.label) && n.instance {
            details.push("resurrected".into());
            Fate::Resurrected
        } else {
            if notes.held_by_finalizer.contains(&n.label) {
                details.push("kept: a legacy finalizer reaches it".into());
            }
            Fate::Kept
        };
        (fate, details)
    };
    let b = before
        .nodes
        .iter()
        .map(|(id, n)| (*id, classify(*id, n, after.is_freed(*id))))
        .collect();
    let a = after
        .nodes
        .iter()
        .map(|(id, n)| {
            let (f, mut d) = classify(*id, n, false);
            if !before.nodes.contains_key(id) {
                d.insert(0, "new".into());
            }
            (*id, (f, d))
        })
        .collect();
    (b, a)
}

fn step_title(sc: &Scenario, step: usize) -> String {
    let s = &sc.steps[step];
    format!("line {}: {}", s.pos.line, s.text)
}

/// Draw `sc` under the model of `version`: before and after every statement during which a
/// collection ran (or only around `at`), compared with `reference` when given.
pub fn render(
    sc: &Scenario,
    version: Version,
    at: Option<At>,
    reference: Option<&Reference>,
) -> Result<Rendered, GraphError> {
    // Which statements to draw: the one asked for, or every statement that collected
    // (explicit `gc.collect()` calls and statements that set off an automatic collection).
    let wanted = match at {
        Some(a) => Some(a.resolve(sc).map_err(GraphError::At)?),
        None => None,
    };
    // One journaled run. Before each statement the heap is captured (only before the one asked
    // for, with --at); after it, the pair is kept if the statement is the one asked for, or it
    // collected (an explicit `gc.collect()`, or a statement that set off an automatic one).
    let mut snaps: BTreeMap<usize, (Snap, Snap)> = BTreeMap::new();
    let mut pending: Option<Snap> = None;
    let mut collections_before = 0;
    // The observation (gc.garbage + alive) a statement ended with, if it made any: its index
    // among the trace's observations.
    let mut obs_index: HashMap<usize, usize> = HashMap::new();
    let (mut scanned, mut observed, mut observed_before) = (0, 0, 0);
    let collections = |m: View<'_>| m.collections();
    // The model starts from the start-up heap of the trace it is compared with.
    let startup_heap = reference.and_then(|r| r.trace.startup_heap);
    let (trace, journal) =
        model::run_inspected(sc, version, startup_heap, &mut |moment, m| match moment {
            Moment::Before(i) => {
                observed_before = observed;
                collections_before = collections(m);
                pending = wanted.is_none_or(|w| w == i).then(|| capture(m));
            }
            Moment::After(i) => {
                observed += m.events()[scanned..]
                    .iter()
                    .filter(|e| matches!(e, Event::Alive(_)))
                    .count();
                scanned = m.events().len();
                if observed > observed_before {
                    obs_index.insert(i, observed - 1);
                }
                let keep = match wanted {
                    Some(w) => w == i,
                    None => {
                        collections(m) > collections_before
                            || matches!(sc.steps[i].stmt, Stmt::Collect(_))
                    }
                };
                if keep && let Some(before) = pending.take() {
                    snaps.insert(i, (before, capture(m)));
                }
            }
        })?;

    let model_obs = trace.observations();
    let ref_obs = reference.map(|r| r.trace.observations());

    let mut out = String::new();
    let title = format!(
        "{} under the model of CPython {version}{}",
        sc.id,
        match reference {
            Some(r) => format!(" (compared with {}: {})", r.name, r.source),
            None => " (no CPython trace to compare with)".to_string(),
        }
    );
    let _ = writeln!(out, "digraph {} {{", q(&sc.id));
    let _ = writeln!(
        out,
        "  graph [label={}, labelloc=t, fontname=\"Helvetica\", newrank=true, nodesep=0.6];",
        q(&title)
    );
    let _ = writeln!(
        out,
        "  node [fontname=\"Helvetica\", fontsize=11, shape=box, style=\"rounded,filled\"];"
    );
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=10];");

    let mut mismatches = Vec::new();
    let mut drawn = 0;
    let mut previous: Vec<String> = Vec::new();
    for (step, (before, after)) in &snaps {
        drawn += 1;
        let notes = step_notes(&journal.notes, *step);
        let (fb, fa) = fates(before, after, &notes);
        let mut collected = Vec::new();
        for (no, g, auto, c, u) in &notes.collections {
            collected.push(format!(
                "collection #{no}{} of generation {g} returned {} ({c} collected + {u} uncollectable)",
                if *auto { " (automatic)" } else { "" },
                c + u
            ));
        }
        // Compare with the reference at this statement's observation, if it has one.
        let mut differs_b = BTreeMap::new();
        let mut differs_a = BTreeMap::new();
        let mut compare_note = String::new();
        if let (Some(r), Some(ro)) = (reference, &ref_obs) {
            match obs_index.get(step) {
                Some(&j) if j < model_obs.len() && j < ro.len() => {
                    for (snap, differs) in [(before, &mut differs_b), (after, &mut differs_a)] {
                        for (id, n) in &snap.nodes {
                            if !n.instance {
                                continue;
                            }
                            let ms = observed_fate(&model_obs[j], &n.label, sc.summary);
                            let rs = observed_fate(&ro[j], &n.label, sc.summary);
                            if ms != rs {
                                differs.insert(*id, format!("≠ {}: {rs}", r.name));
                            }
                        }
                    }
                    for (id, n) in &before.nodes {
                        if differs_b.contains_key(id) {
                            let ms = observed_fate(&model_obs[j], &n.label, sc.summary);
                            let rs = observed_fate(&ro[j], &n.label, sc.summary);
                            mismatches.push(format!(
                                "{}: {} is {ms} in the model, {rs} in {}",
                                step_title(sc, *step),
                                n.label,
                                r.name
                            ));
                        }
                    }
                }
                Some(_) => {
                    compare_note = format!("; {} has no observation here", r.name);
                }
                None => {
                    compare_note = "; no observation at this statement to compare with".into();
                }
            }
        }
        let st = step_title(sc, *step);
        let after_title = if collected.is_empty() {
            format!("after {st}{compare_note}")
        } else {
            format!("after {st}\n{}{compare_note}", collected.join("\n"))
        };
        let mut members = Vec::new();
        for (side, title, snap, f, d) in [
            ("b", format!("before {st}"), before, fb, differs_b),
            ("a", after_title, after, fa, differs_a),
        ] {
            members.extend(write_panel(
                &mut out,
                &Panel {
                    prefix: format!("s{drawn}{side}"),
                    title,
                    snap,
                    fates: f,
                    differs: d,
                },
            ));
        }
        // Layout: a statement's before and after side by side (their anchors on one rank),
        // and every node of a statement above the next statement's panels.
        let _ = writeln!(
            out,
            "  {{ rank=same; \"s{drawn}b_anchor\" -> \"s{drawn}a_anchor\" [style=invis]; }}"
        );
        for m in &previous {
            let _ = writeln!(out, "  {} -> \"s{drawn}b_anchor\" [style=invis];", q(m));
        }
        previous = members;
    }
    if drawn == 0 {
        let _ = writeln!(
            out,
            "  nothing [label=\"no collection runs in this scenario under {version}; use --at STEP\", shape=plaintext, style=\"\"];"
        );
    }
    // Legend.
    let _ = writeln!(out, "  subgraph cluster_legend {{");
    let _ = writeln!(
        out,
        "    label=\"legend\"; style=rounded; color=\"#bbbbbb\";"
    );
    for f in Fate::ALL {
        let style = if f == Fate::Collected {
            ", style=\"rounded,filled,dashed\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {} [label={}, fillcolor={}{style}];",
            q(&format!("legend_{}", f.name())),
            q(f.legend()),
            q(f.color())
        );
    }
    if let Some(r) = reference {
        let _ = writeln!(
            out,
            "    legend_differs [label={}, fillcolor=\"#ffffff\", color={}, penwidth=3, peripheries=2];",
            q(&format!("fate differs from {}", r.name)),
            q(MISMATCH_COLOR)
        );
    }
    // The roots and the two kinds of edge, drawn as the panels draw them.
    let _ = writeln!(
        out,
        "    legend_name [label=\"x\", shape=plaintext, style=\"\", fontcolor=\"#444444\"];"
    );
    let _ = writeln!(
        out,
        "    legend_named [label=\"a name (x) and\\nwhat it refers to\", fillcolor=\"#ffffff\"];"
    );
    let _ = writeln!(out, "    legend_name -> legend_named [color=\"#777777\"];");
    let _ = writeln!(
        out,
        "    legend_garbage [label=\"gc.garbage\\n(or the collector's own list,\\nonce gc.garbage is rebound)\", shape=box3d, style=\"\", fontcolor=\"#444444\"];"
    );
    let _ = writeln!(
        out,
        "    legend_from [label=\"object\", fillcolor=\"#ffffff\"]; legend_to [label=\"object\", fillcolor=\"#ffffff\"]; legend_weak [label=\"object\", fillcolor=\"#ffffff\"];"
    );
    let _ = writeln!(
        out,
        "    legend_from -> legend_to [label=\" .attr, ['key'], [i]: a reference \"];"
    );
    let _ = writeln!(
        out,
        "    legend_to -> legend_weak [label=\" a weak reference \", style=dashed];"
    );
    // Left to right in this order.
    let mut keys: Vec<String> = Fate::ALL
        .iter()
        .map(|f| q(&format!("legend_{}", f.name())))
        .collect();
    if reference.is_some() {
        keys.push("legend_differs".into());
    }
    keys.extend(["legend_name", "legend_garbage", "legend_from"].map(String::from));
    let _ = writeln!(out, "    {{ rank=same; {}; }}", keys.join("; "));
    let _ = writeln!(out, "    {} [style=invis];", keys.join(" -> "));
    let _ = writeln!(out, "  }}");
    let _ = writeln!(out, "}}");
    Ok(Rendered {
        dot: out,
        mismatches,
        snapshots: drawn,
    })
}

// ---------------------------------------------------------------------------------------------
// SVG

/// Whether Graphviz's `dot` can be run.
pub fn dot_available() -> bool {
    std::process::Command::new("dot")
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Render DOT as SVG with Graphviz's `dot`.
pub fn to_svg(dot: &str) -> Result<String, String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run Graphviz's `dot` ({e}); install it (Debian: apt-get install graphviz) or use --format dot"
            )
        })?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = dot.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("running dot: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "dot -Tsvg failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("dot wrote invalid UTF-8: {e}"))
}

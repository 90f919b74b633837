//! `gcconform graph` draws the model's heap: check the DOT it writes (nodes, edges, cycle
//! clusters, fate colours, marks where CPython disagrees) and, when Graphviz is installed, the
//! SVG.

use crate::common::{BIN, Scratch, load, root};
use crate::harness::{Outcome, Skip};
use gcconform::expected;
use gcconform::graph::{At, Fate, MISMATCH_COLOR, Reference, dot_available, render, to_svg};
use gcconform::scenario::{self, Scenario};
use gcconform::trace::Event;
use gcconform::version::Version;
use std::path::Path;
use std::process::Command;

/// The trace recorded from real CPython in expected/.
fn recorded(sc: &Scenario, v: Version) -> Reference {
    let f = expected::read(&expected::expected_path(&root().join("expected"), sc))
        .unwrap()
        .unwrap();
    Reference {
        name: f.releases[&v].clone(),
        source: "expected/".into(),
        trace: f.blocks[&v].clone(),
    }
}

/// The lines of the cluster `cluster_<name>` (up to its closing brace at the same depth).
fn cluster<'a>(dot: &'a str, name: &str) -> Vec<&'a str> {
    let head = format!("subgraph cluster_{name} {{");
    let mut lines = dot.lines().skip_while(|l| l.trim() != head);
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no {head} in\n{dot}"));
    let indent = first.len() - first.trim_start().len();
    let mut out = vec![first];
    for l in lines {
        out.push(l);
        if l.trim() == "}" && l.len() - l.trim_start().len() == indent {
            break;
        }
    }
    out
}

/// The DOT name and the whole line of the node whose label starts with `label\n`.
fn node<'a>(lines: &[&'a str], label: &str) -> (String, &'a str) {
    let needle = format!("[label=\"{label}\\n");
    let line = lines
        .iter()
        .find(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("no node labelled {label} in\n{}", lines.join("\n")));
    let name = line.trim().split(' ').next().unwrap().trim_matches('"');
    (name.to_string(), line)
}

/// The line of the `n`-th (0-based) `gc.collect` statement.
fn collect_line(sc: &Scenario, n: usize) -> usize {
    sc.steps
        .iter()
        .filter(|s| s.text.starts_with("gc.collect"))
        .nth(n)
        .unwrap()
        .pos
        .line
}

fn fill(f: Fate) -> String {
    format!("fillcolor=\"{}\"", f.color())
}

fn draws_objects_references_cycles_and_fates_in_27() {
    let sc = load("seed/cycle_with_del");
    let r = render(
        &sc,
        Version::V2_7,
        None,
        Some(&recorded(&sc, Version::V2_7)),
    )
    .unwrap();
    let dot = &r.dot;
    let cl = collect_line(&sc, 0);
    assert!(
        dot.starts_with("digraph \"seed/cycle_with_del\" {"),
        "{dot}"
    );
    assert_eq!(r.snapshots, 1);
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);

    let before = cluster(dot, "s1b");
    assert!(
        before[1].contains(&format!("label=\"before line {cl}: gc.collect(2)\"")),
        "{}",
        before[1]
    );
    // Both objects sit in one cycle cluster.
    let cyc = cluster(dot, "s1b_cycle1");
    assert!(cyc[1].contains("label=\"cycle\""), "{}", cyc[1]);
    let (w, wline) = node(&cyc, "with_del");
    let (b, bline) = node(&cyc, "b");
    // Class, __del__, generation and fate on the node; colour by fate.
    assert!(
        wline.contains("with_del\\nWithDel · __del__ · gen 0\\nlegacy __del__ in cycle with_del → b → with_del\\nin gc.garbage"),
        "{wline}"
    );
    assert!(wline.contains(&fill(Fate::Uncollectable)), "{wline}");
    assert!(
        bline.contains("b\\nB · gen 0\\nkept: a legacy finalizer reaches it"),
        "{bline}"
    );
    assert!(bline.contains(&fill(Fate::Kept)), "{bline}");
    // References, labelled with the attribute (the instances' __dict__s are folded in); the
    // label is padded so that the two edges of a two-object cycle keep their labels apart.
    let edges = before.join("\n");
    assert!(
        edges.contains(&format!("\"{b}\" -> \"{w}\" [label=\" .cycle \"];")),
        "{edges}"
    );
    assert!(
        edges.contains(&format!("\"{w}\" -> \"{b}\" [label=\" .cycle \"];")),
        "{edges}"
    );
    assert!(!edges.contains("__dict__"), "{edges}");

    // After the collect: with_del is in gc.garbage, which holds it; the collection's result.
    let after = cluster(dot, "s1a");
    assert!(
        after[1].contains(&format!(
            "after line {cl}: gc.collect(2)\\ncollection #1 of generation 2 returned 4 (0 collected + 4 uncollectable)"
        )),
        "{}",
        after[1]
    );
    let (wa, waline) = node(&after, "with_del");
    assert!(waline.contains("gen 2"), "{waline}");
    assert!(waline.contains(&fill(Fate::Uncollectable)), "{waline}");
    let after_text = after.join("\n");
    assert!(
        after_text.contains("[label=\"gc.garbage\", shape=box3d"),
        "{after_text}"
    );
    assert!(
        after_text.contains(&format!("\"s1a_garbage\" -> \"{wa}\" [label=\" [0] \"")),
        "{after_text}"
    );
    // The legend names every fate and the mismatch mark.
    let legend = cluster(dot, "legend").join("\n");
    for f in Fate::ALL {
        assert!(legend.contains(&fill(f)), "{legend}");
    }
    assert!(
        legend.contains("fate differs from CPython 2.7.18"),
        "{legend}"
    );
    // …and the roots and edges as the panels draw them: a name, gc.garbage, a reference, a
    // weak reference (dashed).
    for part in [
        "legend_name [label=\"x\", shape=plaintext",
        "legend_name -> legend_named",
        "legend_garbage [label=\"gc.garbage",
        "shape=box3d",
        "legend_from -> legend_to [label=\" .attr, ['key'], [i]: a reference \"]",
        "legend_to -> legend_weak [label=\" a weak reference \", style=dashed]",
    ] {
        assert!(
            legend.contains(part),
            "no `{part}` in the legend:\n{legend}"
        );
    }
}

fn colours_collected_and_resurrected_objects() {
    let sc = load("seed/cycle_with_del");
    let r = render(
        &sc,
        Version::V3_12,
        None,
        Some(&recorded(&sc, Version::V3_12)),
    )
    .unwrap();
    let before = cluster(&r.dot, "s1b");
    for label in ["b", "with_del"] {
        let (_, line) = node(&before, label);
        assert!(line.contains(&fill(Fate::Collected)), "{line}");
        assert!(line.contains("dashed"), "{line}");
    }
    let (_, line) = node(&before, "with_del");
    assert!(line.contains("__del__ ran\\ncollected by #1"), "{line}");
    assert!(cluster(&r.dot, "s1a").join("\n").contains("(no objects)"));

    let sc = load("resurrection/resurrect_global");
    let r = render(
        &sc,
        Version::V3_9,
        None,
        Some(&recorded(&sc, Version::V3_9)),
    )
    .unwrap();
    assert_eq!(r.snapshots, 2);
    let after = cluster(&r.dot, "s1a");
    let (ra, line) = node(&after, "r");
    assert!(line.contains(&fill(Fate::Resurrected)), "{line}");
    assert!(line.contains("__del__ ran\\nresurrected"), "{line}");
    // The global that resurrected it is a root.
    let text = after.join("\n");
    assert!(
        text.contains(&format!("\"s1a_name_saved\" -> \"{ra}\"")),
        "{text}"
    );
    // The second collect frees the cycle for good.
    let before2 = cluster(&r.dot, "s2b");
    assert!(
        before2[1].contains(&format!(
            "before line {}: gc.collect()",
            collect_line(&sc, 1)
        )),
        "{}",
        before2[1]
    );
    let (_, line) = node(&before2, "r");
    assert!(line.contains(&fill(Fate::Collected)), "{line}");
}

fn marks_objects_whose_fate_differs_from_cpython() {
    let sc = load("seed/cycle_with_del");
    // A made-up CPython that keeps both objects alive.
    let mut trace = recorded(&sc, Version::V3_12).trace;
    for e in &mut trace.events {
        if let Event::Alive(a) = e
            && a.is_empty()
        {
            *a = vec!["b".into(), "with_del".into()];
            break;
        }
    }
    let fake = Reference {
        name: "CPython 9.9".into(),
        source: "test".into(),
        trace,
    };
    let r = render(&sc, Version::V3_12, None, Some(&fake)).unwrap();
    let cl = collect_line(&sc, 0);
    let before = cluster(&r.dot, "s1b");
    for label in ["b", "with_del"] {
        let (_, line) = node(&before, label);
        assert!(line.contains("\\n≠ CPython 9.9: alive\""), "{line}");
        assert!(
            line.contains(&format!(
                "color=\"{MISMATCH_COLOR}\", penwidth=3, peripheries=2"
            )),
            "{line}"
        );
    }
    assert_eq!(
        r.mismatches,
        vec![
            format!("line {cl}: gc.collect(2): b is freed in the model, alive in CPython 9.9"),
            format!(
                "line {cl}: gc.collect(2): with_del is freed in the model, alive in CPython 9.9"
            )
        ]
    );
    // Without a reference, nothing is marked and the title says so.
    let r = render(&sc, Version::V3_12, None, None).unwrap();
    assert!(!r.dot.contains(MISMATCH_COLOR));
    assert!(r.dot.contains("(no CPython trace to compare with)"));
}

fn draws_one_statement_with_at() {
    let sc = load("seed/no_cycle");
    let line = sc.steps[3].pos.line;
    assert_eq!(sc.steps[3].text, "with_del = None");
    for at in [At::Step(4), At::Line(line)] {
        let r = render(
            &sc,
            Version::V3_12,
            Some(at),
            Some(&recorded(&sc, Version::V3_12)),
        )
        .unwrap();
        assert_eq!(r.snapshots, 1);
        let before = cluster(&r.dot, "s1b");
        assert!(
            before[1].contains(&format!("before line {line}: with_del = None")),
            "{}",
            before[1]
        );
        let (_, l) = node(&before, "with_del");
        assert!(l.contains("__del__ ran\\nfreed by refcount"), "{l}");
        assert!(l.contains(&fill(Fate::Collected)), "{l}");
        let after = cluster(&r.dot, "s1a");
        assert!(
            after[1].contains("no observation at this statement to compare with"),
            "{}",
            after[1]
        );
    }
    let e = render(&sc, Version::V3_12, Some(At::Line(1)), None).unwrap_err();
    assert!(e.to_string().contains("no top-level statement"), "{e}");
    let e = render(&sc, Version::V3_12, Some(At::Step(99)), None).unwrap_err();
    assert!(
        e.to_string().contains("has 5 top-level statement(s)"),
        "{e}"
    );
    assert_eq!("line:7".parse::<At>(), Ok(At::Line(7)));
    assert_eq!("3".parse::<At>(), Ok(At::Step(3)));
    assert!("0".parse::<At>().is_err() && "line:x".parse::<At>().is_err());
}

fn draws_automatic_collections_weakrefs_and_gc_garbage_containers() {
    // No explicit collect until the end: the statements that set off automatic collections
    // are drawn too.
    let sc = load("generations/automatic_collection");
    let r = render(&sc, Version::V3_12, None, None).unwrap();
    assert!(r.snapshots > 1, "{}", r.dot);
    assert!(r.dot.contains("(automatic) of generation 0"), "{}", r.dot);

    let sc = load("weakrefs/callback_external");
    let r = render(&sc, Version::V3_12, None, None).unwrap();
    let before = cluster(&r.dot, "s1b");
    let (w, _) = node(&before, "w");
    let (a, _) = node(&before, "a");
    let text = before.join("\n");
    assert!(
        text.contains(&format!(
            "\"{w}\" -> \"{a}\" [label=\" weakref \", style=dashed"
        )),
        "{text}"
    );
    // The weak reference does not put w in a's cycle.
    assert!(
        !cluster(&r.dot, "s1b_cycle1")
            .join("\n")
            .contains(&format!("\"{w}\" ["))
    );
    let (_, wa) = node(&cluster(&r.dot, "s1a"), "w");
    assert!(wa.contains("weakref (dead)"), "{wa}");
}

/// Why the SVG tests cannot run, if they cannot.
fn no_dot() -> Outcome {
    if dot_available() {
        Ok(())
    } else {
        Err(Skip::missing(
            "Graphviz's `dot` is not installed (Debian: apt-get install graphviz)",
        ))
    }
}

fn svg_contains_the_labels() -> Outcome {
    no_dot()?;
    let sc = load("seed/cycle_with_del");
    let r = render(&sc, Version::V2_7, None, None).unwrap();
    let svg = to_svg(&r.dot).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    for text in [
        "with_del",
        "WithDel · __del__ · gen 0",
        "cycle",
        "gc.garbage",
        ".cycle",
        "uncollectable (in gc.garbage)",
        Fate::Uncollectable.color(),
    ] {
        assert!(svg.contains(text), "no `{text}` in the SVG:\n{svg}");
    }
    Ok(())
}

fn gcconform(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let home = Scratch::new("home");
    let path = std::env::var_os("PATH").unwrap_or_default();
    crate::common::output(
        Command::new(BIN)
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("HOME", home.empty())
            // Graphviz from PATH, no interpreters (no pyenv in HOME, none named by version).
            .env("PATH", path)
            .env("GCCONFORM_PYTHONS", ""),
    )
}

fn the_command_writes_dot() {
    let dir = root();
    let (code, out, err) = gcconform(
        &dir,
        &[
            "graph",
            "scenarios/seed/cycle_with_del.yaml",
            "--model",
            "3.12",
            "--no-live",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph \"seed/cycle_with_del\""), "{out}");
    assert!(
        out.contains(
            "compared with CPython 3.12.1: recorded in expected/seed/cycle_with_del.trace"
        ),
        "{out}"
    );
    assert!(
        err.contains("gcconform: graph: 1 statement(s) drawn; compared with CPython 3.12.1"),
        "{err}"
    );
    assert!(err.contains("0 fate(s) differ"), "{err}");

    let (code, _, err) = gcconform(
        &dir,
        &[
            "graph",
            "scenarios/seed/cycle_with_del.yaml",
            "--model",
            "3.12",
            "--at",
            "line:99",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no top-level statement"), "{err}");
}

/// The SVG part of [`the_command_writes_dot`] (it needs Graphviz).
fn the_command_writes_svg() -> Outcome {
    no_dot()?;
    let dir = root();
    let tmp = crate::common::temp_path("out.svg");
    let (code, out, err) = gcconform(
        &dir,
        &[
            "graph",
            "scenarios/seed/cycle_with_del.yaml",
            "--model",
            "2.7",
            "--no-live",
            "-o",
            tmp.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let svg = std::fs::read_to_string(&tmp).unwrap();
    let _ = std::fs::remove_file(&tmp);
    assert!(svg.contains("<svg") && svg.contains("with_del"), "{svg}");
    Ok(())
}

fn every_shipped_scenario_draws() {
    let files = crate::common::shipped_scenarios();
    assert!(!files.is_empty());
    for f in files {
        let sc = scenario::load(&f).unwrap();
        // The large `trace: summary` scenarios only under one version: a journaled run of
        // thousands of uncollectable objects is slow in a debug build.
        let versions: Vec<Version> = if sc.summary {
            sc.applicable_versions()
                .into_iter()
                .filter(|v| *v == Version::V3_12)
                .collect()
        } else {
            sc.applicable_versions()
        };
        for v in versions {
            let r =
                render(&sc, v, None, None).unwrap_or_else(|e| panic!("{} under {v}: {e}", sc.id));
            assert!(r.dot.ends_with("}\n"), "{}", sc.id);
            assert!(
                r.snapshots > 0 || r.dot.contains("no collection runs"),
                "{}",
                sc.id
            );
        }
    }
}

fn summary_scenarios_compare_by_name_and_big_heaps_are_cut() {
    let text = "trace: summary\nclasses:\n  B: {}\nsteps:\n  - keep = []\n  - repeat: 400\n    steps:\n      - a = B()\n      - keep.append(a)\n  - gc.collect()\n";
    let sc = scenario::parse_scenario(Path::new("scenarios/t/many.yaml"), text).unwrap();
    let mut trace = gcconform::model::run(&sc, Version::V3_12).unwrap();
    for e in &mut trace.events {
        if let Event::Alive(a) = e {
            assert_eq!(a, &vec!["a ×400".to_string()]);
            *a = vec!["a ×399".to_string()];
            break;
        }
    }
    let fake = Reference {
        name: "CPython 9.9".into(),
        source: "test".into(),
        trace,
    };
    let r = render(&sc, Version::V3_12, None, Some(&fake)).unwrap();
    let before = cluster(&r.dot, "s1b");
    assert!(
        before[1].contains(&format!(
            "({} more objects not drawn)",
            401 - gcconform::graph::MAX_NODES
        )),
        "{}",
        before[1]
    );
    let nodes = before.iter().filter(|l| l.contains("[label=\"a")).count();
    assert_eq!(
        nodes,
        gcconform::graph::MAX_NODES - 1,
        "the list and the oldest instances"
    );
    let (_, a) = node(&before, "a");
    assert!(
        a.contains("≠ CPython 9.9: a: 399 alive, 0 in gc.garbage"),
        "{a}"
    );
    assert!(
        r.mismatches[0].ends_with("a is a: 400 alive, 0 in gc.garbage in the model, a: 399 alive, 0 in gc.garbage in CPython 9.9"),
        "{:?}",
        r.mismatches
    );
}

/// A bound method is drawn as what it is: unlabelled ones as `bound method A.handle of a`, a
/// named one with that under its name; its `__self__` edge closes the observer cycle, and its
/// fate says why it went.
fn draws_bound_methods() {
    let text = "classes:\n  A:\n    methods:\n      handle: pass\nsteps:\n  - a = A()\n  - a.cb = a.handle\n  - bm1 = a.handle\n  - gc.collect()\n  - del a\n  - bm1 = None\n  - gc.collect()\n";
    let sc = scenario::parse_scenario(Path::new("scenarios/t/methods.yaml"), text).unwrap();
    let r = render(&sc, Version::V3_12, None, None).unwrap();
    let dot = &r.dot;
    let before = cluster(dot, "s1b");
    let (a, _) = node(&before, "a");
    let (m, mline) = node(&before, "bound method A.handle of a");
    assert!(
        mline.contains("bound method A.handle of a\\nmethod · gen 0"),
        "{mline}"
    );
    let (bm1, bline) = node(&before, "bm1");
    assert!(
        bline.contains("bm1\\nbound method A.handle of a · gen 0"),
        "{bline}"
    );
    for edge in [
        format!("\"{a}\" -> \"{m}\" [label=\" .cb \"]"),
        format!("\"{m}\" -> \"{a}\" [label=\" __self__ \"]"),
        format!("\"{bm1}\" -> \"{a}\" [label=\" __self__ \"]"),
    ] {
        assert!(
            before.iter().any(|l| l.contains(&edge)),
            "no {edge} in\n{}",
            before.join("\n")
        );
    }
    // The instance and its bound method are one cycle, collected by the second collection.
    let cyc = cluster(dot, "s2b_cycle1");
    let (_, mline) = node(&cyc, "bound method A.handle of a");
    assert!(
        mline.contains("collected by #2 (clearing a freed it)"),
        "{mline}"
    );
    assert!(mline.contains(&fill(Fate::Collected)), "{mline}");
}

/// A self-referencing closure: the function, its closure tuple and the cell, named for what
/// they are, with their references, all three in the collected cycle.
fn draws_closures() {
    let text = "steps:\n  - def make():\n      - def f(): return f\n      - return f\n  - g = make()\n  - del g\n  - gc.collect()\n";
    let sc = scenario::parse_scenario(Path::new("scenarios/t/closure.yaml"), text).unwrap();
    let r = render(&sc, Version::V3_12, None, None).unwrap();
    let cyc = cluster(&r.dot, "s1b_cycle1");
    let (f, fline) = node(&cyc, "f");
    assert!(fline.contains("f\\nfunction · gen 0"), "{fline}");
    let (c, _) = node(&cyc, "cell for f in make");
    let (t, _) = node(&cyc, "closure of f");
    let all = r.dot.lines().collect::<Vec<_>>();
    for edge in [
        format!("\"{f}\" -> \"{t}\" [label=\" __closure__ \"]"),
        format!("\"{c}\" -> \"{f}\" [label=\" cell_contents \"]"),
        format!("\"{t}\" -> \"{c}\" [label=\" [0] \"]"),
    ] {
        assert!(
            all.iter().any(|l| l.contains(&edge)),
            "no {edge} in\n{}",
            r.dot
        );
    }
}

/// A kept exception's cycle: the instance, the exception, its traceback and the frame of the
/// returned call, with the references that close it, all collected (3.12).
fn draws_a_kept_exception_with_its_traceback_and_frame() {
    let sc = load("exceptions/kept_exception_on_self");
    let r = render(
        &sc,
        Version::V3_12,
        None,
        Some(&recorded(&sc, Version::V3_12)),
    )
    .unwrap();
    let before = cluster(&r.dot, "s1b");
    let (a, _) = node(&before, "a");
    let (e, _) = node(&before, "<E>");
    let (tb, tb_line) = node(&before, "traceback in A.run");
    let (frame, frame_line) = node(&before, "frame of A.run");
    assert!(tb_line.contains(&fill(Fate::Collected)), "{tb_line}");
    assert!(frame_line.contains(&fill(Fate::Collected)), "{frame_line}");
    let text = before.join("\n");
    for edge in [
        format!("\"{a}\" -> \"{e}\" [label=\" .error \"]"),
        format!("\"{e}\" -> \"{tb}\" [label=\" .__traceback__ \"]"),
        format!("\"{tb}\" -> \"{frame}\" [label=\" tb_frame \"]"),
        format!("\"{frame}\" -> \"{a}\" [label=\" self \"]"),
    ] {
        assert!(text.contains(&edge), "no `{edge}` in\n{text}");
    }
}

crate::harness::tests! {
    draws_a_kept_exception_with_its_traceback_and_frame,
    draws_objects_references_cycles_and_fates_in_27,
    colours_collected_and_resurrected_objects,
    marks_objects_whose_fate_differs_from_cpython,
    draws_one_statement_with_at,
    draws_automatic_collections_weakrefs_and_gc_garbage_containers,
    svg_contains_the_labels,
    the_command_writes_dot,
    the_command_writes_svg,
    #[slow]
    every_shipped_scenario_draws,
    summary_scenarios_compare_by_name_and_big_heaps_are_cut,
    draws_bound_methods,
    draws_closures,
}

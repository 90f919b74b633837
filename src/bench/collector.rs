//! The collector table of `gcconform bench`: the model's collector against CPython's, measured
//! in the same run on the same heaps (rings of 10 and a seeded random graph with 3 out-edges
//! per object, with and without `__dict__`s), reachable and garbage.

use crate::model::HeapBuilder;
use crate::runner::{self, Interpreter};
use crate::scenario::{self, Scenario};
use crate::util::lcg;
use crate::version::Version;
use std::fmt::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// The shape of a benchmark heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Rings of 10 objects, each pointing at the next.
    Rings,
    /// Every object points at 3 others chosen by a seeded generator.
    Random3,
}

/// One benchmark heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapSpec {
    pub shape: Shape,
    /// Instances use `__slots__` (no `__dict__`).
    pub slots: bool,
    pub n: usize,
    /// The heap is still referenced (true) or all garbage (false) when collected.
    pub reachable: bool,
}

impl HeapSpec {
    pub fn name(&self) -> String {
        format!(
            "{} {} {}",
            match self.shape {
                Shape::Rings => "rings of 10",
                Shape::Random3 => "random, 3 edges",
            },
            if self.slots { "slots" } else { "dict" },
            if self.reachable {
                "reachable"
            } else {
                "garbage"
            }
        )
    }
}

/// The edges of object `i`: its targets.
fn targets(spec: &HeapSpec, i: usize, rng: &mut u64) -> Vec<usize> {
    match spec.shape {
        Shape::Rings => {
            let base = i - i % 10;
            let len = 10.min(spec.n - base);
            vec![base + (i - base + 1) % len]
        }
        Shape::Random3 => (0..3)
            .map(|_| {
                *rng = lcg::next(*rng);
                lcg::index(*rng, spec.n as u64) as usize
            })
            .collect(),
    }
}

const ATTRS: [&str; 3] = ["a", "b", "c"];

fn bench_scenario(slots: bool) -> Scenario {
    let yaml = if slots {
        "classes:\n  N:\n    __slots__: [a, b, c]\nsteps:\n  - pass\n"
    } else {
        "classes:\n  N: {}\nsteps:\n  - pass\n"
    };
    scenario::parse_scenario(Path::new("bench.yaml"), yaml).expect("bench scenario is valid")
}

/// Model: build the heap, then time one full collection. Returns (seconds, collected,
/// bytes per object: what the model's heap owns for the heap built,
/// [`HeapBuilder::footprint`]). The heap is built as the Python program builds it, through the
/// model's [`HeapBuilder`] (no statements run).
pub fn model_collect(spec: &HeapSpec, version: Version) -> (f64, i64, Option<f64>) {
    let sc = bench_scenario(spec.slots);
    let mut m = HeapBuilder::new(&sc, version);
    let before = m.footprint();
    let mut ids = Vec::with_capacity(spec.n);
    for _ in 0..spec.n {
        ids.push(m.new_instance(0));
    }
    let mut rng = 1u64;
    for i in 0..spec.n {
        for (k, t) in targets(spec, i, &mut rng).into_iter().enumerate() {
            m.set_attr(ids[i], ATTRS[k], ids[t])
                .expect("bench attributes exist");
        }
    }
    // `objs = [...]`: the list takes over the references to the instances.
    let list = m.new_list(&ids);
    m.bind("keep", Some(list));
    let per = (m.footprint() - before) as f64 / spec.n as f64;
    drop(ids);
    if !spec.reachable {
        m.bind("keep", None);
    }
    let t = Instant::now();
    let n = m.collect(2);
    let secs = t.elapsed().as_secs_f64();
    (secs, n, Some(per))
}

/// The CPython program that builds the same heap and times `gc.collect()` inside.
pub fn python_program(spec: &HeapSpec) -> String {
    let mut p = String::new();
    p.push_str("import gc, time, sys\n");
    p.push_str("clock = getattr(time, 'perf_counter', time.time)\n");
    if spec.slots {
        p.push_str("class N(object):\n    __slots__ = ('a', 'b', 'c')\n");
    } else {
        p.push_str("class N(object):\n    pass\n");
    }
    let _ = writeln!(p, "n = {}", spec.n);
    p.push_str(
        "def rss():\n    with open('/proc/self/statm') as f:\n        return int(f.read().split()[1]) * 4096\n",
    );
    p.push_str("gc.disable(); gc.collect()\nr0 = rss()\nobjs = [N() for i in range(n)]\n");
    match spec.shape {
        Shape::Rings => p.push_str(
            "for base in range(0, n, 10):\n    ln = min(10, n - base)\n    for j in range(ln):\n        objs[base + j].a = objs[base + (j + 1) % ln]\n",
        ),
        Shape::Random3 => {
            p.push_str("x = 1\nfor o in objs:\n");
            for a in ATTRS {
                let _ = writeln!(p, "    x = {}", lcg::python_next("x"));
                let _ = writeln!(p, "    o.{a} = objs[{}]", lcg::python_index("x", "n"));
            }
            p.push_str("    o = None\n");
        }
    }
    p.push_str("r1 = rss()\n");
    if !spec.reachable {
        p.push_str("objs = None\n");
    }
    p.push_str(
        "t = clock()\nc = gc.collect()\nt = clock() - t\nsys.stdout.write('%r %d %r\\n' % (t, c, (r1 - r0) / float(n)))\n",
    );
    p
}

/// CPython: run the program and parse "seconds collected bytes-per-object".
pub fn python_collect(interp: &Interpreter, spec: &HeapSpec) -> Result<(f64, i64, f64), String> {
    let out = runner::process::run_program(interp, &python_program(spec), Duration::from_secs(300))
        .map_err(|e| e.to_string())?;
    let mut it = out.split_whitespace();
    let parse = |s: Option<&str>| s.and_then(|x| x.parse::<f64>().ok());
    match (parse(it.next()), parse(it.next()), parse(it.next())) {
        (Some(t), Some(c), Some(b)) => Ok((t, c as i64, b)),
        _ => Err(format!("unexpected output: {out}")),
    }
}

fn fmt_ms(s: f64) -> String {
    format!("{:.2} ms", s * 1000.0)
}

/// Table 1: the collector on large heaps.
pub fn collector_table(sizes: &[usize], reps: usize) -> String {
    let d = crate::service::select::discover();
    let py312 = d.get(Version::V3_12).cloned();
    let py27 = d.get(Version::V2_7).cloned();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| heap | objects | model 3.12 | CPython 3.12 | model/CPython | model 2.7 | CPython 2.7 | model/CPython | bytes/object model | bytes/object CPython 3.12 |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in sizes {
        for shape in [Shape::Rings, Shape::Random3] {
            for slots in [true, false] {
                for reachable in [true, false] {
                    let spec = HeapSpec {
                        shape,
                        slots,
                        n,
                        reachable,
                    };
                    let best = |f: &dyn Fn() -> Option<(f64, i64, Option<f64>)>| {
                        let mut best: Option<(f64, i64, Option<f64>)> = None;
                        for _ in 0..reps {
                            if let Some(r) = f()
                                && best.is_none_or(|b| r.0 < b.0)
                            {
                                best = Some(r);
                            }
                        }
                        best
                    };
                    let m312 = best(&|| Some(model_collect(&spec, Version::V3_12)));
                    let m27 = best(&|| Some(model_collect(&spec, Version::V2_7)));
                    let c312 = py312.as_ref().and_then(|i| {
                        best(&|| python_collect(i, &spec).ok().map(|r| (r.0, r.1, Some(r.2))))
                    });
                    let c27 = py27.as_ref().and_then(|i| {
                        best(&|| python_collect(i, &spec).ok().map(|r| (r.0, r.1, Some(r.2))))
                    });
                    let cell = |r: &Option<(f64, i64, Option<f64>)>| {
                        r.map(|r| format!("{} ({})", fmt_ms(r.0), r.1))
                            .unwrap_or_else(|| "–".into())
                    };
                    let ratio =
                        |a: &Option<(f64, i64, Option<f64>)>,
                         b: &Option<(f64, i64, Option<f64>)>| {
                            match (a, b) {
                                (Some(a), Some(b)) if b.0 > 0.0 => format!("{:.2}×", a.0 / b.0),
                                _ => "–".into(),
                            }
                        };
                    let bytes = |r: &Option<(f64, i64, Option<f64>)>| {
                        r.and_then(|r| r.2)
                            .map(|b| format!("{b:.0}"))
                            .unwrap_or_else(|| "–".into())
                    };
                    let _ = writeln!(
                        out,
                        "| {} | {n} | {} | {} | {} | {} | {} | {} | {} | {} |",
                        spec.name(),
                        cell(&m312),
                        cell(&c312),
                        ratio(&m312, &c312),
                        cell(&m27),
                        cell(&c27),
                        ratio(&m27, &c27),
                        bytes(&m312),
                        bytes(&c312),
                    );
                }
            }
        }
    }
    out.push_str("\nTimes are the best of the repetitions, for one full `gc.collect()` (CPython: timed inside the interpreter); the count collected is in parentheses and must be equal on both sides. Bytes per object: for the model, what its heap owns for the heap built (headers, kinds, values, the list holding them; `Heap::footprint`); for CPython, resident-memory growth while building it (objects, the list, allocator overhead).\n");
    out
}

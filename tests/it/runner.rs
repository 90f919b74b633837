//! Runner integration tests: translate scenarios and run them under every interpreter found.
//! Without interpreters they are reported as ignored (failures with
//! `GCCONFORM_REQUIRE_INTERPRETERS` set).

use crate::common::{discovery, interpreters};
use crate::harness::{Outcome, Skip};
use gcconform::runner::program::{
    RECORD_INSTALL, RECORD_START, START, canonical, random_edges_loop, record_set_debug,
    record_writer,
};
use gcconform::runner::{self, Interpreter, Pool, RunError};
use gcconform::scenario::{self, ClassOrigin, Scenario, Step, Stmt};
use gcconform::trace::{Event, Trace};
use gcconform::version::Version;
use std::path::Path;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

fn seed(name: &str) -> Scenario {
    crate::common::load(&format!("seed/{name}"))
}

fn inline(id: &str, text: &str) -> Scenario {
    scenario::parse_scenario(Path::new(&format!("scenarios/test/{id}.yaml")), text)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run(i: &Interpreter, s: &Scenario) -> Trace {
    runner::run_scenario(i, s, TIMEOUT).unwrap_or_else(|e| {
        panic!(
            "{} under {} ({}): {e}\n--- program ---\n{}",
            s.id,
            i.release,
            i.path.display(),
            runner::translate(s)
        )
    })
}

fn lines(t: &Trace) -> Vec<String> {
    t.events.iter().map(|e| e.to_string()).collect()
}

fn has(t: &Trace, line: &str) -> bool {
    lines(t).iter().any(|l| l == line)
}

/// Run every applicable interpreter in parallel; (version, trace) in version order.
fn run_all(s: &Scenario) -> Result<Vec<(Version, Trace)>, Skip> {
    let interps: Vec<&Interpreter> = interpreters()?
        .into_iter()
        .filter(|i| s.applies_to(i.version.unwrap()))
        .collect();
    Ok(std::thread::scope(|sc| {
        let hs: Vec<_> = interps
            .iter()
            .map(|i| sc.spawn(move || (i.version.unwrap(), run(i, s))))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    }))
}

/// The line of `out` starting with `prefix` (or why there is none).
fn line_with(out: &Result<String, RunError>, prefix: &str) -> Result<String, String> {
    match out {
        Ok(o) => o
            .lines()
            .find(|l| l.starts_with(prefix))
            .map(str::to_string)
            .ok_or_else(|| format!("no {prefix} line in {o}")),
        Err(e) => Err(e.to_string()),
    }
}

/// Run `programs` under `i` twice: each in a fresh process, and each in a child forked by one
/// fork server (one batch). (fresh outputs, forked outputs).
type Outputs = Vec<Result<String, RunError>>;
fn both_ways(i: &Interpreter, programs: &[&str]) -> (Outputs, Outputs) {
    let fresh = Pool::fresh(i, 2).run_programs(programs, TIMEOUT);
    let mut pool = Pool::new(i);
    let forked = pool.run_programs(programs, TIMEOUT);
    assert_eq!(pool.fresh_reason(), None, "{}", i.release);
    assert_eq!(pool.stats().forked, programs.len(), "{}", i.release);
    (fresh, forked)
}

fn dump_program() -> Outcome {
    // `DUMP_SCENARIO=path cargo test --test it -- runner::dump_program --nocapture` prints the
    // program for a scenario (handy when debugging a trace by hand); with `DUMP_NEUTRALITY=dir`
    // it writes the neutrality tests' programs there instead (plain.py, probed.py and, for
    // 2.7 and 3.x, timeline-*.py).
    if let Ok(p) = std::env::var("DUMP_SCENARIO") {
        let s = scenario::load(Path::new(&p)).unwrap_or_else(|e| panic!("{e}"));
        match std::env::var("DUMP_NEUTRALITY") {
            Ok(dir) => {
                let dir = Path::new(&dir);
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(dir.join("plain.py"), plain_program(&s)).unwrap();
                std::fs::write(dir.join("probed.py"), probed_program(&s)).unwrap();
                for (v, name) in [(Version::V2_7, "2.7"), (Version::V3_13, "3.x")] {
                    for (h, what) in [(false, "plain"), (true, "harness")] {
                        std::fs::write(
                            dir.join(format!("timeline-{name}-{what}.py")),
                            timeline_program(&s, h, v),
                        )
                        .unwrap();
                    }
                }
            }
            Err(_) => println!("{}", runner::translate(&s)),
        }
        Ok(())
    } else {
        Err(Skip::missing(
            "not a check: DUMP_SCENARIO=path prints the program of that scenario",
        ))
    }
}

fn discovery_is_fast_and_consistent() {
    let start = Instant::now();
    let d = runner::discover();
    let took = start.elapsed();
    eprintln!(
        "discovery took {took:?}: {} found, missing {:?}",
        d.found.len(),
        d.missing
    );
    for i in &d.found {
        eprintln!(
            "  {:?} {} {} {}",
            i.version,
            i.release,
            i.implementation,
            i.path.display()
        );
    }
    for v in Version::ALL {
        match d.get(v) {
            Some(i) => {
                assert!(i.release.starts_with(&format!("{v}.")), "{i:?}");
                assert_eq!(i.implementation, "CPython");
                assert!(i.path.is_file(), "{i:?}");
                assert!(!d.missing.contains(&v));
            }
            None => assert!(d.missing.contains(&v)),
        }
    }
    if !d.found.is_empty() {
        assert!(took < Duration::from_secs(5), "discovery took {took:?}");
    }
}

fn resolve_versions_and_paths() -> Outcome {
    let Some(i) = discovery().found.iter().find(|i| i.version.is_some()) else {
        return Err(Skip::no_interpreter("no CPython interpreter found"));
    };
    let v = i.version.unwrap();
    let r = runner::resolve(&v.to_string()).unwrap();
    assert_eq!(r.version, Some(v));
    let r = runner::resolve(&i.path.to_string_lossy()).unwrap();
    assert_eq!(r.version, Some(v));
    assert_eq!(r.release, i.release);
    let e = runner::resolve("/nonexistent/python").unwrap_err();
    assert!(e.contains("/nonexistent/python"), "{e}");
    let e = runner::resolve("3.14").unwrap_err();
    assert!(e.contains("3.14") && e.contains("supported"), "{e}");
    Ok(())
}

fn seed_cycle_with_del() -> Outcome {
    for (v, t) in run_all(&seed("cycle_with_del"))? {
        let l = lines(&t);
        match v {
            Version::V2_7 => {
                assert!(has(&t, "gc.collect(2) -> 4"), "{v}: {l:?}");
                assert!(has(&t, "gc.garbage: [with_del]"), "{v}: {l:?}");
                assert!(!has(&t, "__del__ with_del"), "{v}: {l:?}");
                assert_eq!(
                    t.events.last(),
                    Some(&Event::Alive(vec!["b".into(), "with_del".into()]))
                );
            }
            Version::V3_6 | Version::V3_7 | Version::V3_8 | Version::V3_9 | Version::V3_10 => {
                assert_eq!(
                    l[..2],
                    ["__del__ with_del", "gc.collect(2) -> 4"],
                    "{v}: {l:?}"
                );
                assert!(!has(&t, "gc.garbage: [with_del]"), "{v}: {l:?}");
            }
            _ => {
                assert_eq!(
                    l[..2],
                    ["__del__ with_del", "gc.collect(2) -> 2"],
                    "{v}: {l:?}"
                );
            }
        }
        if v != Version::V2_7 {
            assert_eq!(
                l[2..],
                [
                    "gc.garbage: []",
                    "alive: []",
                    "end",
                    "gc.garbage: []",
                    "alive: []"
                ],
                "{v}"
            );
        }
    }
    Ok(())
}

fn seed_no_cycle() -> Outcome {
    for (v, t) in run_all(&seed("no_cycle"))? {
        assert_eq!(
            lines(&t),
            [
                "__del__ with_del",
                "gc.collect(2) -> 0",
                "gc.garbage: []",
                "alive: []",
                "end",
                "gc.garbage: []",
                "alive: []"
            ],
            "{v}"
        );
    }
    Ok(())
}

fn seed_proper_cleanup() -> Outcome {
    for (v, t) in run_all(&seed("proper_cleanup"))? {
        let l = lines(&t);
        match v {
            Version::V2_7 => {
                assert_eq!(
                    l[..3],
                    [
                        "gc.collect(2) -> 4",
                        "gc.garbage: [with_del]",
                        "alive: [b, with_del]"
                    ],
                    "{v}"
                );
            }
            Version::V3_6 => assert_eq!(
                l[..4],
                [
                    "__del__ with_del",
                    "gc.collect(2) -> 4",
                    "gc.garbage: []",
                    "alive: []"
                ],
                "{v}"
            ),
            _ => assert_eq!(
                l[..4],
                [
                    "__del__ with_del",
                    "gc.collect(2) -> 0",
                    "gc.garbage: []",
                    "alive: []"
                ],
                "{v}"
            ),
        }
    }
    Ok(())
}

fn seed_manual_cleanup() -> Outcome {
    let s = seed("manual_cleanup");
    for (v, t) in run_all(&s)? {
        assert_eq!(v, Version::V2_7);
        assert_eq!(
            lines(&t),
            [
                "gc.collect(2) -> 4",
                "gc.garbage: [with_del]",
                "alive: [b, with_del]",
                "gc.collect(2) -> 0",
                "gc.garbage: []",
                "alive: [with_del]",
                "end",
                "gc.garbage: []",
                "alive: [with_del]"
            ]
        );
    }
    // On 3.x gc.garbage is empty, so `gc.garbage[0]` raises: a crash with the traceback.
    if let Some(i) = interpreters()?
        .into_iter()
        .find(|i| i.version > Some(Version::V2_7))
    {
        match runner::run_scenario(i, &s, TIMEOUT) {
            Err(RunError::Crashed { status, stderr }) => {
                assert_eq!(status, "exit status 1");
                assert!(stderr.contains("IndexError"), "{stderr}");
            }
            other => panic!("expected a crash, got {other:?}"),
        }
    }
    Ok(())
}

/// Every statement form (freeze/unfreeze need 3.7+).
const EVERY_FORM: &str = r#"
versions: ["3.7+"]
callbacks:
  on_clear:
    - global kept
    - kept = wr
    - tmp = [wr]
    - gc.collect()
    - raise RuntimeError()
    - pass
classes:
  R:
    __del__:
      - global g, keep
      - g.append(self)
      - self.x = None
      - del self.x
      - inner = []
      - keep = inner
      - raise RuntimeError()
  S:
    __slots__: [a, __weakref__]
  E:
    __slots__: []
  P: {}
steps:
  - g = []
  - keep = None
  - r = R()
  - r.x = 1
  - d = {}
  - d['k'] = r
  - del d['k']
  - l = [r, 1, None]
  - t = (r, l)
  - c = (1, -2, None)
  - e = ()
  - s = S()
  - s.a = s
  - w = weakref.ref(s)
  - w2 = weakref.ref(s)
  - wc = weakref.ref(s, callback)
  - wn = weakref.ref(s, on_clear)
  - kept = None
  - es = E()
  - "h = {'e': es, 'n': None, 'i': -3}"
  - es = None
  - p = P()
  - p.self = p
  - p = None
  - gc.freeze()
  - q = P()
  - q.self = q
  - q = None
  - gc.collect()
  - gc.unfreeze()
  - gc.collect(1)
  - l.append(r)
  - del l[0]
  - del l[-1]
  - del r.x
  - x = r
  - del r
  - del x
  - t = None
  - l = None
  - s = None
  - gc.collect(2)
  - gc.enable()
  - gc.set_threshold(5)
  - gc.set_threshold(5, 2)
  - gc.set_threshold(700, 10, 10)
  - gc.disable()
  - gc.set_debug(gc.DEBUG_SAVEALL)
  - a = P()
  - a.self = a
  - a = None
  - gc.collect()
  - gc.garbage[0].self = None
  - del gc.garbage[0].self
  - gc.set_debug(0)
  - ga = gc.garbage[-1]
  - gc.garbage.append(ga)
  - ga = gc.garbage[0]
  - ga = None
  - del gc.garbage[:]
  - gc.garbage = []
  - gc.collect(0)
  - pass
"#;

fn every_statement_form_runs() -> Outcome {
    let s = inline("every_form", EVERY_FORM);
    for (v, t) in run_all(&s)? {
        let l = lines(&t);
        // r's __del__ runs when the last list holding it goes, resurrects r into g and raises.
        let del = l.iter().position(|x| x == "__del__ r").expect("__del__ r");
        assert_eq!(l[del + 1], "__del__ r raised RuntimeError", "{v}: {l:?}");
        // s's weakrefs with callbacks, newest first (each inserted after the basic ref): wn's
        // body collects (0: the collector is running) and raises, then wc.
        assert_eq!(
            l[del + 2..del + 5],
            ["callback wn", "gc.collect() -> 0", "callback wc"],
            "{v}: {l:?}"
        );
        // w2 is w (no new weakref, so no label and no w#2 anywhere).
        assert!(
            !l.iter().any(|x| x.contains("w2") || x.contains('#')),
            "{v}: {l:?}"
        );
        // SAVEALL keeps `a` (and, up to 3.10, its __dict__).
        let saved = if v <= Version::V3_10 {
            "gc.garbage: [a, <dict>]"
        } else {
            "gc.garbage: [a]"
        };
        assert!(has(&t, saved), "{v}: {l:?}");
        // The instance of the empty-slots class is found (untracked up to 3.7).
        assert!(
            l.iter()
                .filter(|x| x.starts_with("alive: ["))
                .all(|x| x.contains("es")),
            "{v}: {l:?}"
        );
        // The final observation, then the exceptions `__del__ r` and `on_clear` raised, as
        // stderr reported them.
        let n = t.events.len();
        assert_eq!(
            t.events[n - 2..],
            [
                Event::Alive(vec!["r".into(), "es".into()]),
                Event::Ignored(vec![("RuntimeError".into(), 2)])
            ],
            "{v}"
        );
    }
    Ok(())
}

fn every_statement_form_but_freeze_runs_on_2_7_too() -> Outcome {
    let text = EVERY_FORM
        .replace("versions: [\"3.7+\"]\n", "")
        .replace("  - gc.freeze()\n", "")
        .replace("  - gc.unfreeze()\n", "");
    let s = inline("every_form_27", &text);
    for (v, t) in run_all(&s)? {
        let l = lines(&t);
        assert!(has(&t, "__del__ r raised RuntimeError"), "{v}: {l:?}");
        // s is a self-cycle: its weakref callback runs inside the full collection.
        let cb = l.iter().position(|x| x == "callback wc").expect("callback");
        assert!(l[cb + 1].starts_with("gc.collect(2) -> "), "{v}: {l:?}");
        // The final observation, then the exceptions `__del__ r` and `on_clear` raised, as
        // stderr reported them.
        let n = t.events.len();
        assert_eq!(
            t.events[n - 2..],
            [
                Event::Alive(vec!["r".into(), "es".into()]),
                Event::Ignored(vec![("RuntimeError".into(), 2)])
            ],
            "{v}"
        );
    }
    Ok(())
}

fn labels_count_new_objects_per_name() -> Outcome {
    let s = inline(
        "labels",
        r#"
classes:
  A:
    __del__: pass
steps:
  - a = A()
  - a = A()
  - b = a
  - a = A()
  - b = None
  - a = None
  - t = (1, None)
  - t = ()
  - gc.collect()
"#,
    );
    for (v, t) in run_all(&s)? {
        assert_eq!(
            lines(&t)[..4],
            [
                "__del__ a",
                "__del__ a#2",
                "__del__ a#3",
                "gc.collect() -> 0"
            ],
            "{v}"
        );
    }
    Ok(())
}

fn instance_dicts_never_take_a_dead_dicts_label() -> Outcome {
    // The dict free list hands d's memory to a's __dict__ (2.7-3.10).
    let s = inline(
        "dict_reuse",
        r#"
classes:
  P: {}
steps:
  - d = {}
  - d = None
  - gc.set_debug(gc.DEBUG_SAVEALL)
  - a = P()
  - a.self = a
  - a = None
  - gc.collect()
"#,
    );
    for (v, t) in run_all(&s)? {
        let want = if v <= Version::V3_10 {
            "gc.garbage: [a, <dict>]"
        } else {
            "gc.garbage: [a]"
        };
        assert_eq!(lines(&t)[1], want, "{v}");
    }
    Ok(())
}

fn scenario_names_may_shadow_builtins() -> Outcome {
    let s = inline(
        "shadow",
        r#"
classes:
  range: {}
  list:
    __del__: dict = []
  str: {}
steps:
  - id = range()
  - type = list()
  - iter = []
  - globals = {}
  - tuple = (id, type)
  - os = []
  - sys = str()
  - len = weakref.ref(sys)
  - type.me = type
  - type = None
  - tuple = None
  - gc.collect()
"#,
    );
    for (v, t) in run_all(&s)? {
        let l = lines(&t);
        if v == Version::V2_7 {
            assert_eq!(
                l[1..3],
                ["gc.garbage: [type]", "alive: [id, type, sys]"],
                "{v}"
            );
        } else {
            assert_eq!(l[0], "__del__ type", "{v}: {l:?}");
            assert_eq!(l[2..4], ["gc.garbage: []", "alive: [id, sys]"], "{v}");
        }
    }
    Ok(())
}

/// The same scenario without the harness: its statements, each followed by a count probe.
fn plain_program(s: &Scenario) -> String {
    let mut p = String::from(
        "import gc, weakref, sys\nimport sys as _sys\n_range = range\n_len = len\n_xrange = range if _sys.version_info[0] >= 3 else xrange\ndef _lengths():\n    r = None\n    o = None\n    while 1:\n        o = yield r\n        r = _len(o)\n        o = None\n_len_of = _lengths()\n_len_of.send(None)\n_len_of = _len_of.send\n_len_of([])\ndef callback(wr):\n    pass\n",
    );
    let sets = s.uses_sets();
    // The classes of class statements among the steps are made there.
    for c in s
        .classes
        .iter()
        .filter(|c| c.origin == ClassOrigin::Declared)
    {
        let bases = if c.bases.is_empty() && c.exception {
            "Exception".to_string()
        } else if c.bases.is_empty() {
            "object".to_string()
        } else {
            c.bases.join(", ")
        };
        p.push_str(&format!("class {}({bases}):\n    pass\n", c.name));
        if let Some(sl) = &c.slots {
            let items: Vec<String> = sl.iter().map(|x| format!("'{x}', ")).collect();
            p.push_str(&format!("    __slots__ = ({})\n", items.concat()));
        }
        if sets {
            // Part of what a set statement means in the language (a hash of 0).
            p.push_str(gcconform::runner::program::SET_HASH);
        }
        if let Some(body) = &c.del {
            p.push_str("    def __del__(self):\n        pass\n");
            // `global` first, as in the generated program.
            let (globals, rest): (Vec<_>, Vec<_>) = body
                .iter()
                .partition(|st| matches!(st.stmt, Stmt::Global(_)));
            let body: Vec<Step> = globals.into_iter().chain(rest).cloned().collect();
            plain_lines(&body, "        ", &mut p);
        }
        for m in &c.methods {
            if let Some(d) = m.kind.decorator() {
                p.push_str(&format!("    @{d}\n"));
            }
            p.push_str(&format!(
                "    def {}({}):\n        pass\n",
                m.name,
                m.kind.param().unwrap_or_default()
            ));
            plain_lines(&hoisted(&m.body), "        ", &mut p);
        }
    }
    for c in &s.callbacks {
        p.push_str(&format!("def {}(wr):\n    pass\n", c.name));
        let (globals, rest): (Vec<_>, Vec<_>) = c
            .body
            .iter()
            .partition(|st| matches!(st.stmt, Stmt::Global(_)));
        let body: Vec<Step> = globals.into_iter().chain(rest).cloned().collect();
        plain_lines(&body, "    ", &mut p);
    }
    if sets {
        // The language's precondition for sets (as the harness's warm-up leaves it): 2.7's
        // set free list is full when the scenario starts (docs/interpreters.md).
        p.push_str("_prime = [set() for _s in range(80)]\n_prime = _s = None\n");
    }
    p.push_str("_probes = []\n_P = _probes.append\n");
    if s.record_collections {
        // `record: collections`: what reports the collections is part of what the scenario
        // means (CPython's allocations around the calls included), installed as the generated
        // program installs it: on 3.x a `gc.callbacks` entry that does nothing; on 2.7 the
        // `sys.stderr` writer under `gc.DEBUG_STATS` itself (it also passes exception reports
        // on to the real stderr, which allocates as any report does), storing into a table of
        // its own. (That the writer and the callback allocate nothing themselves, the record
        // scenarios' `gc.get_count()` lines check against the model.)
        p.push_str("_ev = {}\n_evn = [0]\ndef _on_gc(phase, info):\n    pass\n");
        p.push_str(&record_writer());
        p.push_str(RECORD_INSTALL);
    }
    p.push_str(START);
    if s.record_collections {
        p.push_str(RECORD_START);
    }
    for st in &s.steps {
        plain_lines(std::slice::from_ref(st), "", &mut p);
        p.push_str("_P(gc.get_count())\n");
    }
    p.push_str(PRINT_PROBES);
    if s.record_collections {
        // The scenario's `gc.set_debug` keeps 2.7's DEBUG_STATS on, as in the generated program.
        p = p
            .replace("gc.set_debug(gc.DEBUG_SAVEALL)", record_set_debug(true))
            .replace("gc.set_debug(0)", record_set_debug(false));
    }
    p
}

/// Statements as plain Python (a `repeat:` block as the loop the generated program has).
fn plain_lines(steps: &[Step], indent: &str, out: &mut String) {
    for st in steps {
        match &st.stmt {
            Stmt::RandomEdges { list, attrs, seed } => {
                for l in random_edges_loop(list, attrs, *seed, &|_| Vec::new()) {
                    out.push_str(&format!("{indent}{l}\n"));
                }
            }
            Stmt::Repeat { count, body } => {
                out.push_str(&format!("{indent}for _r in _xrange({count}):\n"));
                plain_lines(body, &format!("{indent}    "), out);
                out.push_str(&format!("{indent}    pass\n"));
            }
            Stmt::Def(d) => {
                out.push_str(&format!("{indent}{}\n", canonical(&st.stmt)));
                let inner = format!("{indent}    ");
                plain_lines(&hoisted(&d.body), &inner, out);
                out.push_str(&format!("{inner}pass\n"));
            }
            Stmt::Try(t) => {
                let inner = format!("{indent}    ");
                let mut block = |header: String, body: &[Step]| {
                    out.push_str(&format!("{indent}{header}\n"));
                    plain_lines(body, &inner, out);
                    out.push_str(&format!("{inner}pass\n"));
                };
                block("try:".to_string(), &t.body);
                for h in &t.handlers {
                    block(gcconform::runner::program::except_header(h), &h.body);
                }
                if let Some(f) = &t.finally {
                    block("finally:".to_string(), f);
                }
            }
            s => out.push_str(&format!("{indent}{}\n", canonical(s))),
        }
    }
}

/// A function body with its `global` and `nonlocal` declarations first, as Python 3 wants
/// them (and the generated program writes them).
fn hoisted(body: &[Step]) -> Vec<Step> {
    let (decl, rest): (Vec<_>, Vec<_>) = body
        .iter()
        .partition(|st| matches!(st.stmt, Stmt::Global(_) | Stmt::Nonlocal(_)));
    decl.into_iter().chain(rest).cloned().collect()
}

/// The probes: `gc.get_count()` after each statement, the whole tuple.
const PRINT_PROBES: &str =
    "sys.stdout.write('#gcconform-trace-begin\\nPROBES %r\\n' % (_probes,))\n";

/// The generated program with the same probes after each statement (and its harness lines).
fn probed_program(s: &Scenario) -> String {
    let p = runner::translate(s);
    let (head, rest) = p.split_once("# ---- steps").unwrap();
    let (steps, _) = rest.split_once("# ---- end").unwrap();
    let mut out = head.replace(
        "# 2.7: start with full list and dict free lists",
        "_probes = []\n_P = _probes.append\n# 2.7: start with full list and dict free lists",
    );
    let mut first = true;
    for l in steps.lines().skip(1) {
        if l.starts_with("# line ") {
            if !first {
                out.push_str("_P(gc.get_count())\n");
            }
            first = false;
        }
        if !l.trim().is_empty() {
            out.push_str(l);
            out.push('\n');
        }
    }
    out.push_str("_P(gc.get_count())\n");
    out.push_str(&PRINT_PROBES.replace("sys.", "_sys."));
    out
}

/// Whether a scenario may turn automatic collection on (anywhere, `__del__` and callback
/// bodies included).
fn may_enable(s: &Scenario) -> bool {
    fn walk(steps: &[Step]) -> bool {
        steps.iter().any(|st| match &st.stmt {
            Stmt::Enable => true,
            Stmt::Repeat { body, .. } => walk(body),
            _ => false,
        })
    }
    walk(&s.steps) || s.bodies().any(walk)
}

/// Where the harness is not neutral, for each scenario under each installed interpreter it
/// applies to: `gc.get_count()` (the whole tuple) after every top-level statement must be the
/// same with the harness (the generated program) as without it (the statements alone, see
/// [`plain_program`]); when the scenario may enable automatic collection, the collections
/// (generation, collected, uncollectable) must run at the same statements too
/// ([`timeline_program`]); and each program must print the same in a fresh process as in a
/// forked child of the fork server. One line per difference.
fn neutrality_failures(interps: &[&Interpreter], scenarios: &[Scenario]) -> Vec<String> {
    std::thread::scope(|sc| {
        let hs: Vec<_> = interps
            .iter()
            .map(|i| {
                sc.spawn(move || {
                    let v = i.version.unwrap();
                    // (scenario, what, plain program, harnessed program)
                    let mut pairs: Vec<(&Scenario, &str, String, String)> = Vec::new();
                    for s in scenarios.iter().filter(|s| s.applies_to(v)) {
                        pairs.push((s, "counts", plain_program(s), probed_program(s)));
                        if may_enable(s) {
                            pairs.push((
                                s,
                                "collections",
                                timeline_program(s, false, v),
                                timeline_program(s, true, v),
                            ));
                        }
                    }
                    let programs: Vec<&str> = pairs
                        .iter()
                        .flat_map(|(_, _, a, b)| [a.as_str(), b.as_str()])
                        .collect();
                    let (fresh, forked) = both_ways(i, &programs);
                    let line = |o: &Result<String, RunError>, what: &str| {
                        line_with(o, if what == "counts" { "PROBES" } else { "TIMELINE" })
                    };
                    let mut bad = Vec::new();
                    for (k, (s, what, ..)) in pairs.iter().enumerate() {
                        let [plain, harn] = [2 * k, 2 * k + 1].map(|j| line(&fresh[j], what));
                        let [plain_f, harn_f] = [2 * k, 2 * k + 1].map(|j| line(&forked[j], what));
                        let at = format!("{} under {}", s.id, i.release);
                        match (&plain, &harn) {
                            (Ok(p), Ok(h)) if p == h => {}
                            (Ok(p), Ok(h)) => {
                                let (p, h) = (printed_items(p), printed_items(h));
                                let k = p.iter().zip(&h).take_while(|(x, y)| x == y).count();
                                let where_ = match (*what, s.steps.get(k)) {
                                    ("counts", Some(st)) => {
                                        format!("after statement {} (line {}: `{}`)", k + 1, st.pos.line, st.text)
                                    }
                                    _ => format!("at item {} of {}", k + 1, p.len().max(h.len())),
                                };
                                bad.push(format!(
                                    "{at}: the {what} differ with the harness, first {where_}: without {:?}, with {:?}",
                                    p.get(k),
                                    h.get(k)
                                ));
                            }
                            (p, h) => bad.push(format!("{at}: {what}: {p:?} / {h:?}")),
                        }
                        if *what == "counts"
                            && let Ok(p) = &plain
                            && printed_items(p).len() != s.steps.len()
                        {
                            bad.push(format!(
                                "{at}: {} probes for {} statements",
                                printed_items(p).len(),
                                s.steps.len()
                            ));
                        }
                        if plain_f != plain || harn_f != harn {
                            bad.push(format!(
                                "{at}: the {what} differ in a forked child\n  fresh  {plain:?} {harn:?}\n  forked {plain_f:?} {harn_f:?}"
                            ));
                        }
                    }
                    bad
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
}

/// The items of a printed Python list (`PROBES [(0, 0, 0), (1, 0, 0)]` → `(0, 0, 0)`,
/// `(1, 0, 0)`): split at the commas outside brackets and quotes.
fn printed_items(line: &str) -> Vec<String> {
    let Some(list) = line.split_once(' ').map(|x| x.1) else {
        return Vec::new();
    };
    let inner = list.trim().trim_start_matches('[').trim_end_matches(']');
    let (mut out, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0, None);
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Assert that the harness is neutral for these scenarios (see [`neutrality_failures`]).
fn assert_neutral(scenarios: &[Scenario]) -> Outcome {
    let interps = interpreters()?;
    let failures = neutrality_failures(&interps, scenarios);
    assert!(
        failures.is_empty(),
        "{} difference(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

/// The harness must not change what the collector sees: the counts after every statement are
/// the same with and without it (this covers labelling, observations, the queries and free
/// lists), here for a hand-written scenario that uses every kind of statement the harness
/// labels or observes, and a callback body (with at most 20 creations: more would turn on
/// `_KEEP_ALL` on 2.7-3.7, whose observations keep their count tuples off the free list, so
/// that a `gc.get_count()` right after an observed collection can take a fresh tuple where
/// the scenario alone reuses one); the corpus and generated scenarios are [`corpus_neutrality`] and
/// [`generated_neutrality`].
fn the_harness_leaves_the_counts_alone() -> Outcome {
    let text = r#"
classes:
  A: {}
  D:
    __del__:
      - gc.get_count()
      - gc.is_tracked(self)
callbacks:
  cb:
    - gc.get_count()
    - gc.is_tracked(wr)
    - gc.collect()
steps:
  - gc.get_count()
  - a = A()
  - b = A()
  - a.x = b
  - b.x = a
  - l = [a, b]
  - "d = {'k': l}"
  - t = (a, b)
  - w = weakref.ref(a)
  - w2 = weakref.ref(a, cb)
  - v = weakref.ref(b, callback)
  - gc.is_tracked(t)
  - a = None
  - b = None
  - l = None
  - d = None
  - t = None
  - gc.collect()
  - gc.get_count()
  - gc.get_count()
  - l = []
  - l2 = []
  - d = {}
  - gc.is_tracked(d)
  - t = (l, d, l2)
  - t = None
  - gc.get_threshold()
  - e = D()
  - e.self = e
  - e = None
  - gc.collect(0)
  - gc.get_count()
  - l = []
  - m = [l]
  - l = None
  - m = None
  - gc.collect(1)
  - x = [1]
  - "y = {'a': x}"
  - gc.collect()
  - gc.collect()
  - z = []
  - gc.set_debug(gc.DEBUG_SAVEALL)
  - p = D()
  - p.me = p
  - p = None
  - gc.collect()
  - gc.garbage[0].me = None
  - gc.set_debug(0)
  - g = gc.garbage[-1]
  - del gc.garbage[:]
  - gc.garbage.append(g)
  - del g
  - del gc.garbage[:]
  - q = []
  - gc.get_count()
"#;
    let s = inline("neutral", text);
    // The same with every collection recorded (`record: collections`): the callback (2.7:
    // the `sys.stderr` writer) itself allocates nothing, and what CPython allocates around it
    // is there without the harness too.
    let recorded = inline("neutral_recorded", &format!("record: collections\n{text}"));
    assert!(recorded.record_collections);
    assert_neutral(&[s, recorded])
}

/// Every scenario of the corpus (`scenarios/`) leaves the counts after every statement, and the
/// collections it runs, as they are without the harness, under every installed interpreter.
fn corpus_neutrality() -> Outcome {
    let scenarios: Vec<Scenario> = crate::common::shipped_scenarios()
        .iter()
        .map(|f| scenario::load(f).unwrap())
        .collect();
    assert_neutral(&scenarios)
}

/// So do generated scenarios, with automatic collection on under low thresholds
/// ([`Flavor::Automatic`](gcconform::fuzz::generate::Flavor::Automatic)), observing counts,
/// thresholds, tracking, statistics and the freeze count.
/// A failure names the scenario (`s13_20`: seed 13, number 20), whose file is written to a
/// temporary directory that the message names.
fn generated_neutrality() -> Outcome {
    use gcconform::fuzz::{generate, load_draft, rng::Rng, scenario_path};
    const SEED: u64 = 13;
    let drafts: Vec<generate::Draft> = (0..60)
        .map(|i| {
            generate::generate_with(
                &mut Rng::for_scenario(SEED, i as u64),
                generate::Flavor::Automatic,
            )
        })
        .collect();
    let mut scenarios: Vec<Scenario> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| load_draft(d, &scenario_path(SEED, i)).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    // A third of them again with every collection recorded (`record: collections`):
    // automatic collections under low thresholds, each one reported.
    let recorded: Vec<Scenario> = scenarios
        .iter()
        .step_by(3)
        .map(|s| {
            let mut r = s.clone();
            r.id = format!("{}_recorded", s.id);
            r.record_collections = true;
            r
        })
        .collect();
    scenarios.extend(recorded);
    let interps = interpreters()?;
    let failures = neutrality_failures(&interps, &scenarios);
    if !failures.is_empty() {
        let dir = crate::common::temp_path("neutrality");
        std::fs::create_dir_all(&dir).unwrap();
        for (s, d) in scenarios.iter().zip(&drafts) {
            if failures.iter().any(|f| {
                f.starts_with(&format!("{} ", s.id))
                    || f.starts_with(&format!("{}_recorded ", s.id))
            }) {
                let name = s.id.rsplit('/').next().unwrap();
                std::fs::write(dir.join(format!("{name}.yaml")), d.to_yaml("")).unwrap();
            }
        }
        panic!(
            "{} difference(s) (the scenarios are in {}):\n{}",
            failures.len(),
            dir.display(),
            failures.join("\n")
        );
    }
    Ok(())
}

/// When automatic collections run, without calls between statements (on 3.12+ every call can
/// run a scheduled collection). On 3.x a `gc.callbacks` hook records (statement index,
/// generation, collected, uncollectable) at each collection's end, with a statement counter
/// stored without a call. 2.7 has no callbacks: `gc.set_debug(gc.DEBUG_STATS)` (count-neutral
/// while `sys.stderr` is the original file) writes every collection to standard error, here a
/// file, read at the end (generation, unreachable, uncollectable, in order: the statements
/// they ran in are not recorded); the scenario's own `gc.set_debug` keeps `DEBUG_STATS` on.
fn timeline_program(s: &Scenario, with_harness: bool, v: Version) -> String {
    let (hook, start, stop, print) = if v == Version::V2_7 {
        (
            "import os as _os\n_tl_path = '/tmp/gcconform-timeline-%d' % _os.getpid()\n_tl = _os.open(_tl_path, _os.O_RDWR | _os.O_CREAT | _os.O_TRUNC, 384)\n_os.unlink(_tl_path)\n_os.dup2(_tl, 2)\n",
            "gc.set_debug(gc.DEBUG_STATS)\n",
            "",
            "_os.lseek(_tl, 0, 0)\n_tl_text = _os.read(_tl, 1 << 24)\n_log = [l.rsplit(', ', 1)[0] for l in _tl_text.split('\\n') if l.startswith('gc: collecting') or l.startswith('gc: done')]\n_sys.stdout.write('#gcconform-trace-begin\\nTIMELINE %r\\n' % (_log,))\n",
        )
    } else {
        (
            "_stmt = [0]\n_log = []\ndef _gc_hook(phase, info):\n    if phase == 'stop':\n        _log.append((_stmt[0], info['generation'], info['collected'], info['uncollectable']))\n",
            "gc.callbacks.append(_gc_hook)\n",
            "gc.callbacks.remove(_gc_hook)\n",
            "_sys.stdout.write('#gcconform-trace-begin\\nTIMELINE %r\\n' % (_log,))\n",
        )
    };
    let (mut out, steps): (String, Vec<Vec<String>>) = if with_harness {
        let p = runner::translate(s);
        let (head, rest) = p.split_once("# ---- steps").unwrap();
        let (steps, _) = rest.split_once("# ---- end").unwrap();
        let mut groups: Vec<Vec<String>> = Vec::new();
        for l in steps.lines().skip(1) {
            if l.starts_with("# line ") {
                groups.push(Vec::new());
            } else if !l.trim().is_empty() {
                groups.last_mut().unwrap().push(l.to_string());
            }
        }
        (
            head.replace(
                "# 2.7: start with full",
                &format!("{hook}# 2.7: start with full"),
            ),
            groups,
        )
    } else {
        let plain = plain_program(s);
        let (head, _) = plain.split_once("del gc.garbage[:]\n").unwrap();
        let head = head.replace("_probes = []\n_P = _probes.append\n", hook);
        let groups = s
            .steps
            .iter()
            .map(|st| {
                let mut text = String::new();
                plain_lines(std::slice::from_ref(st), "", &mut text);
                text.lines().map(str::to_string).collect()
            })
            .collect();
        let record = if s.record_collections {
            RECORD_START
        } else {
            ""
        };
        (format!("{head}del gc.garbage[:]\n{record}"), groups)
    };
    if with_harness {
        out.push_str("# ---- steps\n");
    }
    out.push_str(start);
    for (i, g) in steps.iter().enumerate() {
        for l in g {
            let l = if v == Version::V2_7 {
                l.replace(
                    "gc.set_debug(gc.DEBUG_SAVEALL)",
                    "gc.set_debug(gc.DEBUG_SAVEALL | gc.DEBUG_STATS)",
                )
                .replace("gc.set_debug(0)", "gc.set_debug(gc.DEBUG_STATS)")
            } else {
                l.clone()
            };
            out.push_str(&l);
            out.push('\n');
        }
        if v != Version::V2_7 {
            out.push_str(&format!("_stmt[0] = {}\n", i + 1));
        }
    }
    out.push_str(stop);
    out.push_str(print);
    out
}

/// With automatic collection enabled, collections run at the same statements with and without
/// the harness (on 3.12+ they run at the next call, generator resume or loop).
fn automatic_collections_run_where_they_would_without_the_harness() -> Outcome {
    let s = inline(
        "auto",
        r#"
classes:
  A: {}
  D:
    __del__:
      - x = []
      - y = {}
steps:
  - gc.set_threshold(4, 2, 2)
  - gc.enable()
  - a = []
  - b = []
  - c = {}
  - t = (a, b)
  - d = D()
  - d.self = d
  - d = None
  - e = []
  - f = []
  - gc.get_count()
  - g = []
  - h = []
  - a = A()
  - a.x = a
  - w = weakref.ref(a)
  - a = None
  - l1 = []
  - l2 = [l1]
  - gc.is_tracked(l2)
  - l3 = []
  - l3 = []
  - l4 = []
  - l5 = []
  - l6 = []
  - l6.append(l5)
  - m1 = []
  - gc.get_threshold()
  - m2 = []
  - m3 = []
  - m4 = []
  - m5 = []
  - m6 = []
  - gc.collect()
  - n1 = []
  - n2 = []
  - n3 = []
  - n4 = []
  - n5 = []
  - n6 = []
  - k = D()
  - k.self = k
  - k = None
  - p1 = []
  - p2 = []
  - p3 = []
  - p4 = []
  - p5 = []
  - gc.disable()
"#,
    );
    let interps = interpreters()?;
    for i in &interps {
        let plain = timeline_program(&s, false, i.version.unwrap());
        let (fresh, _) = both_ways(i, &[&plain]);
        let a = line_with(&fresh[0], "TIMELINE").unwrap_or_else(|e| panic!("{e}\n{plain}"));
        assert!(a.len() > "TIMELINE []".len(), "{}: {a}", i.release);
    }
    let failures = neutrality_failures(&interps, std::slice::from_ref(&s));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The generated program itself still labels everything.
    for (v, t) in run_all(&s)? {
        assert!(has(&t, "end"), "{v}");
    }
    Ok(())
}

fn process_errors() -> Outcome {
    let Some(i) = interpreters()?.into_iter().next_back() else {
        return Err(Skip::no_interpreter("no CPython interpreter found"));
    };
    let e = runner::run_program(i, "while 1:\n    pass\n", Duration::from_millis(300)).unwrap_err();
    assert_eq!(e, RunError::Timeout(Duration::from_millis(300)));
    let e = runner::run_program(i, "import os\nos.kill(os.getpid(), 11)\n", TIMEOUT).unwrap_err();
    match e {
        RunError::Crashed { status, .. } => assert_eq!(status, "killed by signal 11 (SIGSEGV)"),
        other => panic!("{other:?}"),
    }
    let out = runner::run_program(i, "print('hello')\n", TIMEOUT).unwrap();
    assert!(
        matches!(runner::parse_output(&out), Err(RunError::BadOutput(m)) if m.contains("hello"))
    );
    let spawn = runner::run_program(
        &Interpreter {
            path: "/nonexistent/python".into(),
            version: None,
            release: String::new(),
            implementation: String::new(),
            ..Default::default()
        },
        "",
        TIMEOUT,
    )
    .unwrap_err();
    assert!(matches!(spawn, RunError::Spawn { .. }));
    // The environment is fixed: hash seed 0, no PYTHON* variables, cwd /.
    let out = runner::run_program(
        i,
        "import os, sys\nsys.stdout.write('%s %s %r\\n' % (os.environ.get('PYTHONHASHSEED'), os.getcwd(), [k for k in os.environ if k.startswith('PYTHON') and k != 'PYTHONHASHSEED']))\n",
        TIMEOUT,
    )
    .unwrap();
    assert_eq!(out.trim(), "0 / []");
    Ok(())
}

/// The fork server survives what its children do: a hang is killed at the timeout, a segfault
/// and nonsense are reported, a child that kills the server gets the blame and the server is
/// replaced, and every other program's result is kept (and equals its fresh-process result).
fn fork_server_faults() -> Outcome {
    let Some(i) = interpreters()?.into_iter().next_back() else {
        return Err(Skip::no_interpreter("no CPython interpreter found"));
    };
    let good = runner::translate(&seed("cycle_with_del"));
    let expected = runner::run_scenario(i, &seed("cycle_with_del"), TIMEOUT).unwrap();
    let hang = "while 1:\n    pass\n";
    let segv = "import os\nos.kill(os.getpid(), 11)\n";
    let nonsense = "print('hello')\n";
    let exit3 = "import sys\nsys.stderr.write('bye\\n')\nsys.exit(3)\n";
    let raise = "x = 1\nraise KeyError('boom')\n";
    let kill_server = "import os\nos.kill(os.getppid(), 9)\n";
    let programs = [
        &good,
        hang,
        &good,
        segv,
        &good,
        nonsense,
        &good,
        exit3,
        &good,
        raise,
        &good,
        kill_server,
        &good,
    ];
    let timeout = Duration::from_millis(1500);
    let mut pool = Pool::with_slots(i, 3);
    let start = Instant::now();
    let out = pool.run_programs(&programs, timeout);
    let took = start.elapsed();
    for (k, o) in out.iter().enumerate().filter(|(k, _)| k % 2 == 0) {
        let t = o.as_ref().map(|o| runner::parse_output(o));
        assert!(
            matches!(&t, Ok(Ok(t)) if *t == expected),
            "program {k}: {t:?}"
        );
    }
    assert_eq!(out[1], Err(RunError::Timeout(timeout)));
    assert!(
        matches!(&out[3], Err(RunError::Crashed { status, .. }) if status == "killed by signal 11 (SIGSEGV)"),
        "{:?}",
        out[3]
    );
    let hello = out[5].as_ref().unwrap();
    assert!(
        matches!(runner::parse_output(hello), Err(RunError::BadOutput(m)) if m.contains("hello"))
    );
    assert!(
        matches!(&out[7], Err(RunError::Crashed { status, stderr }) if status == "exit status 3" && stderr == "bye"),
        "{:?}",
        out[7]
    );
    // An uncaught exception: status 1 and the traceback as a fresh process prints it.
    let Err(RunError::Crashed { status, stderr }) = &out[9] else {
        panic!("{:?}", out[9]);
    };
    assert_eq!(status, "exit status 1");
    assert!(
        stderr.starts_with(
            "Traceback (most recent call last):\n  File \"<stdin>\", line 2, in <module>"
        ),
        "{stderr}"
    );
    assert!(stderr.ends_with("KeyError: 'boom'"), "{stderr}");
    let fresh = runner::run_program(i, raise, TIMEOUT).unwrap_err();
    assert_eq!(out[9], Err(fresh));
    assert!(
        matches!(&out[11], Err(RunError::ServerDied(m)) if m.contains("SIGKILL")),
        "{:?}",
        out[11]
    );
    // The server died once with the culprit among others in flight (they were all retried,
    // one at a time), then once more with the culprit alone, when it was blamed.
    let stats = pool.stats().clone();
    assert!((1..=2).contains(&stats.server_failures), "{stats:?}");
    assert_eq!(stats.servers, stats.server_failures + 1, "{stats:?}");
    assert_eq!(stats.fresh, 0, "{stats:?}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    // The pool goes on with the new server.
    let again = pool.run_programs(&[&good], TIMEOUT);
    assert!(again[0].is_ok(), "{again:?}");
    assert_eq!(pool.stats().servers, stats.servers);
    Ok(())
}

/// A scenario cannot change the next one: whatever a child leaves behind (a frozen heap,
/// garbage, thresholds, debug flags, automatic collection on), the next child starts clean.
fn forked_children_do_not_inherit_each_others_state() -> Outcome {
    let s = seed("cycle_with_del");
    let good = runner::translate(&s);
    let poison = "import gc\n\
class C(object):\n    def __del__(self):\n        pass\n\
l = [C() for i in range(100)]\nfor c in l:\n    c.me = c\n\
gc.garbage.append(l)\ngc.set_threshold(1, 1, 1)\ngc.set_debug(gc.DEBUG_SAVEALL)\n\
gc.enable()\nif hasattr(gc, 'freeze'):\n    gc.freeze()\nl = None\n";
    for i in interpreters()? {
        let expected = runner::run_scenario(i, &s, TIMEOUT).unwrap();
        let mut pool = Pool::with_slots(i, 1);
        let out = pool.run_programs(&[&good, poison, &good, poison, poison, &good], TIMEOUT);
        for k in [0, 2, 5] {
            let t = out[k].as_ref().map(|o| runner::parse_output(o));
            assert!(
                matches!(&t, Ok(Ok(t)) if *t == expected),
                "{} program {k}: {t:?}",
                i.release
            );
        }
        assert!(out[1].is_ok(), "{:?}", out[1]);
    }
    Ok(())
}

/// Programs run in a forked child see what a fresh process sees: hash seed 0, no PYTHON*
/// variables, working directory /, `__name__ == '__main__'`, `sys.argv == ['-']`, stdin at EOF.
fn forked_children_have_the_fresh_process_environment() -> Outcome {
    let prog = "import os, sys\nsys.stdout.write('%s %s %r %s %r %r\\n' % (os.environ.get('PYTHONHASHSEED'), os.getcwd(), [k for k in os.environ if k.startswith('PYTHON') and k != 'PYTHONHASHSEED'], __name__, sys.argv, sys.stdin.read()))\n";
    for i in interpreters()? {
        let (fresh, forked) = both_ways(i, &[prog]);
        assert_eq!(forked, fresh, "{}", i.release);
        assert_eq!(
            forked[0].as_ref().unwrap().trim(),
            "0 / [] __main__ ['-'] ''",
            "{}",
            i.release
        );
    }
    Ok(())
}

/// Every scenario of the corpus runs to a trace in a forked child under every interpreter it
/// applies to, and that trace is byte for byte the one from a fresh process: here for the
/// oldest and the newest interpreter (fresh processes are slow; the `cpython/` trials of
/// tests/conformance.rs check every forked trace against expected/, which bless recorded from
/// fresh processes); for all of them with
/// `cargo test --test it -- --ignored runner::corpus_forked_traces_are_fresh_ones_everywhere`.
fn the_corpus_runs_everywhere_and_forked_traces_are_fresh_ones() -> Outcome {
    let interps = interpreters()?;
    let compared: Vec<&Interpreter> = [interps.first(), interps.last()]
        .into_iter()
        .flatten()
        .copied()
        .collect();
    corpus_forked_and_fresh(&interps, &compared);
    Ok(())
}

fn corpus_forked_traces_are_fresh_ones_everywhere() -> Outcome {
    let interps = interpreters()?;
    corpus_forked_and_fresh(&interps, &interps);
    Ok(())
}

/// Run the corpus forked under `interps`, and fresh too under those in `compare`.
fn corpus_forked_and_fresh(interps: &[&Interpreter], compare: &[&Interpreter]) {
    let scenarios: Vec<Scenario> = crate::common::shipped_scenarios()
        .iter()
        .filter_map(|f| scenario::load(f).ok())
        .collect();
    let failures: Vec<String> = std::thread::scope(|sc| {
        let hs: Vec<_> = interps
            .iter()
            .map(|i| {
                let scenarios = &scenarios;
                let fresh_too = compare.iter().any(|c| c.path == i.path);
                sc.spawn(move || {
                    let mine: Vec<&Scenario> = scenarios
                        .iter()
                        .filter(|s| s.applies_to(i.version.unwrap()))
                        .collect();
                    let programs: Vec<String> = mine.iter().map(|s| runner::translate(s)).collect();
                    let refs: Vec<&str> = programs.iter().map(String::as_str).collect();
                    let (fresh, forked) = if fresh_too {
                        let (a, b) = both_ways(i, &refs);
                        (Some(a), b)
                    } else {
                        (None, Pool::new(i).run_programs(&refs, TIMEOUT))
                    };
                    let mut bad = Vec::new();
                    for (k, (s, b)) in mine.iter().zip(forked).enumerate() {
                        let b = b.and_then(|o| runner::parse_output(&o));
                        let tb = match &b {
                            Ok(t) => t,
                            Err(e) => {
                                bad.push(format!("{} {}: forked: {e}", s.id, i.release));
                                continue;
                            }
                        };
                        if tb.events.iter().filter(|e| **e == Event::End).count() != 1 {
                            bad.push(format!("{} {}: no single `end`", s.id, i.release));
                        }
                        let Some(fresh) = &fresh else { continue };
                        match fresh[k].clone().and_then(|o| runner::parse_output(&o)) {
                            Ok(ta) if ta.to_text() == tb.to_text() => {}
                            Ok(ta) => bad.push(format!(
                                "{} {}: forked trace differs\n--- fresh\n{}--- forked\n{}",
                                s.id,
                                i.release,
                                ta.to_text(),
                                tb.to_text()
                            )),
                            Err(e) => bad.push(format!("{} {}: fresh: {e}", s.id, i.release)),
                        }
                    }
                    bad
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Not a check: prints the traces of the seed scenarios under every interpreter
/// (`cargo test --test it -- runner::show_seed_traces --nocapture --ignored`).
fn show_seed_traces() -> Outcome {
    for name in [
        "no_cycle",
        "cycle_with_del",
        "manual_cleanup",
        "proper_cleanup",
    ] {
        let s = seed(name);
        for (v, t) in run_all(&s)? {
            println!("{name} {v}: {}", lines(&t).join(" | "));
        }
    }
    Ok(())
}

/// Statements that raise at top level: the model raises what every interpreter raises, with
/// the same message (`random_edges:` failing mid-loop on a `__slots__` class without the
/// attribute or on a list a finalizer shortened; `x = gc.garbage[i]` out of range).
fn run_time_errors_match_cpython() -> Outcome {
    let cases = [
        (
            "edges_missing_slot",
            r#"
classes:
  P:
    __slots__: [x]
steps:
  - objs = []
  - repeat: 5
    steps:
      - o = P()
      - objs.append(o)
  - del o
  - random_edges:
      list: objs
      attrs: [x, y]
      seed: 3
"#,
            "AttributeError",
            "'P' object has no attribute 'y'",
        ),
        (
            "edges_list_shortened",
            r#"
classes:
  P: {}
  D:
    __del__:
      - global objs
      - del objs[0]
steps:
  - objs = []
  - t = D()
  - o = P()
  - o.a = t
  - objs.append(o)
  - del t
  - repeat: 3
    steps:
      - o = P()
      - objs.append(o)
  - del o
  - random_edges:
      list: objs
      attrs: [a]
      seed: 1
"#,
            "IndexError",
            "list index out of range",
        ),
        (
            "garbage_index_out_of_range",
            r#"
classes:
  P: {}
steps:
  - p = P()
  - gc.garbage.append(p)
  - x = gc.garbage[-1]
  - y = gc.garbage[-2]
"#,
            "IndexError",
            "list index out of range",
        ),
    ];
    // The model's errors are checked even without an interpreter; the trial is ignored then.
    let interps = interpreters();
    for (id, text, exception, message) in cases {
        let s = inline(id, text);
        for v in s.applicable_versions() {
            let e = gcconform::model::run(&s, v)
                .expect_err(&format!("{id}: the model should raise on {v}"));
            assert_eq!(e.exception, exception, "{id} on {v}: {e:?}");
            assert!(e.detail.contains(message), "{id} on {v}: {e:?}");
        }
        for &i in interps.as_deref().unwrap_or_default() {
            match runner::run_scenario(i, &s, TIMEOUT) {
                Err(RunError::Crashed { stderr, .. }) => {
                    assert!(
                        stderr.contains(&format!("{exception}: {message}")),
                        "{id} under {}: {stderr}",
                        i.release
                    );
                }
                other => panic!(
                    "{id} under {}: expected {exception}, got {other:?}",
                    i.release
                ),
            }
        }
    }
    interps.map(|_| ())
}

crate::harness::tests! {
    dump_program,
    discovery_is_fast_and_consistent,
    resolve_versions_and_paths,
    seed_cycle_with_del,
    seed_no_cycle,
    seed_proper_cleanup,
    seed_manual_cleanup,
    every_statement_form_runs,
    every_statement_form_but_freeze_runs_on_2_7_too,
    labels_count_new_objects_per_name,
    instance_dicts_never_take_a_dead_dicts_label,
    scenario_names_may_shadow_builtins,
    the_harness_leaves_the_counts_alone,
    automatic_collections_run_where_they_would_without_the_harness,
    process_errors,
    fork_server_faults,
    forked_children_do_not_inherit_each_others_state,
    #[slow]
    forked_children_have_the_fresh_process_environment,
    #[slow]
    the_corpus_runs_everywhere_and_forked_traces_are_fresh_ones,
    #[ignore = "slow: fresh processes for the whole corpus under every interpreter"]
    corpus_forked_traces_are_fresh_ones_everywhere,
    #[slow]
    corpus_neutrality,
    #[slow]
    generated_neutrality,
    #[ignore = "not a check: prints the seed scenarios' traces (--nocapture)"]
    show_seed_traces,
    #[slow]
    run_time_errors_match_cpython,
}

//! The JSON Schema of scenario files: checked in and current, of the shape the loader accepts,
//! its statement pattern right on every form of the language, and every scenario carrying the
//! `# yaml-language-server: $schema=` line (which the loader ignores).

use crate::common::root;
use crate::harness::{Outcome, Skip};
use gcconform::scenario;
use gcconform::scenario::raw::{MAX_REPEAT, StepItem, StrOrList, TraceMode, parse_shape};
use gcconform::scenario::schema::{NAME_PATTERN, schema_json, statement_pattern, version_pattern};
use gcconform::scenario::schema::{REGENERATE, SCHEMA_PATH};
use regex::Regex;
use std::path::{Path, PathBuf};

fn checked_in_schema_is_current() {
    let path = root().join(SCHEMA_PATH);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == schema_json(),
        "{SCHEMA_PATH} is missing or stale (the scenario types changed); regenerate it with:\n    {REGENERATE}"
    );
}

fn schema_describes_the_file_shape() {
    let v: serde_json::Value = serde_json::from_str(&schema_json()).unwrap();
    assert_eq!(v["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(v["title"], "gcconform scenario");
    assert_eq!(v["type"], "object");
    assert_eq!(v["additionalProperties"], false);
    assert_eq!(v["required"], serde_json::json!(["steps"]));
    let props: Vec<&String> = v["properties"].as_object().unwrap().keys().collect();
    assert_eq!(
        props,
        [
            "callbacks",
            "classes",
            "description",
            "record",
            "steps",
            "trace",
            "versions"
        ]
    );
    // `record:` takes one value.
    let record = serde_json::to_string(&v["properties"]["record"]).unwrap();
    assert!(record.contains("RecordMode"), "{record}");
    assert_eq!(
        v["definitions"]["RecordMode"]["oneOf"][0]["const"], "collections",
        "{}",
        v["definitions"]["RecordMode"]
    );
    assert_eq!(v["properties"]["steps"]["minItems"], 1);
    assert_eq!(
        v["properties"]["classes"]["propertyNames"]["pattern"],
        NAME_PATTERN
    );
    let defs = &v["definitions"];
    let class: Vec<&String> = defs["ClassSpec"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        class,
        [
            "__del__",
            "__slots__",
            "bases",
            "classmethods",
            "methods",
            "staticmethods"
        ]
    );
    assert_eq!(defs["ClassSpec"]["additionalProperties"], false);
    assert_eq!(defs["Statement"]["type"], "string");
    assert_eq!(defs["Statement"]["pattern"], statement_pattern());
    let d = defs["Statement"]["description"].as_str().unwrap();
    assert!(d.contains("`w = weakref.ref(x, callback)`"), "{d}");
    assert!(d.contains("`w = weakref.ref(x, NAME)`"), "{d}");
    assert!(d.contains("`gc.garbage.append(VALUE)`"), "{d}");
    assert!(d.contains("`x = gc.garbage[i]`"), "{d}");
    // `callbacks:`: NAMEs to bodies, as `__del__` bodies are.
    let callbacks = serde_json::to_string(&v["properties"]["callbacks"]).unwrap();
    assert!(callbacks.contains("#/definitions/Body"), "{callbacks}");
    assert!(!d.contains('\n'), "{d}");
    assert_eq!(defs["VersionSpec"]["pattern"], version_pattern());
    // A function body: one statement, or a list of statements and `def` blocks.
    let body = serde_json::to_string(&defs["Body"]).unwrap();
    assert!(
        body.contains("#/definitions/Statement") && body.contains("#/definitions/DefBlock"),
        "{body}"
    );
    // A step is a statement or a `repeat:` block, which nests.
    let step = serde_json::to_string(&defs["StepItem"]).unwrap();
    assert!(
        step.contains("#/definitions/Statement") && step.contains("#/definitions/RepeatBlock"),
        "{step}"
    );
    let repeat = &defs["RepeatBlock"];
    assert_eq!(repeat["additionalProperties"], false);
    assert_eq!(repeat["properties"]["repeat"]["minimum"], 1);
    assert_eq!(repeat["properties"]["repeat"]["maximum"], MAX_REPEAT);
    assert_eq!(
        repeat["properties"]["steps"]["items"]["$ref"],
        "#/definitions/StepItem"
    );
    assert_eq!(
        defs["TraceMode"]["enum"],
        serde_json::json!(["full", "summary"])
    );
}

fn repeat_and_trace_keys_match_the_loader() {
    let ok = "trace: summary\nclasses:\n  B: {}\nsteps:\n  - repeat: 3\n    steps:\n      - a = B()\n      - repeat: 2\n        steps: [pass]\n  - gc.collect()\n";
    let path = Path::new("scenarios/t/x.yaml");
    scenario::parse_scenario(path, ok).unwrap();
    let shape = parse_shape(ok).unwrap();
    assert_eq!(shape.trace, Some(TraceMode::Summary));
    assert!(matches!(&shape.steps[0], StepItem::Repeat(r) if r.repeat == 3 && r.steps.len() == 2));
    // The schema's bounds are the loader's.
    let at = |n: u64| format!("steps:\n  - repeat: {n}\n    steps: [pass]\n");
    assert!(scenario::parse_scenario(path, &at(MAX_REPEAT)).is_ok());
    assert!(scenario::parse_scenario(path, &at(MAX_REPEAT + 1)).is_err());
    assert!(scenario::parse_scenario(path, &at(0)).is_err());
    for bad in [
        "trace: brief\nsteps: [pass]\n",
        "steps:\n  - repeat: 2\n    stepz: [pass]\n",
    ] {
        assert!(parse_shape(bad).is_err(), "{bad}");
        assert!(scenario::parse_scenario(path, bad).is_err(), "{bad}");
    }
}

fn full(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap()
}

fn statement_pattern_accepts_the_language_and_rejects_the_rest() {
    let re = full(&statement_pattern());
    let good = [
        "x = C()",
        "class C: pass",
        "class C(A, B): pass",
        "C = type('C', (), {})",
        "C = type('C', (A,), {})",
        "C = type(\"C\", (A, B), {})",
        "x.__class__ = B",
        "self.__class__ = Retired",
        "x = []",
        "x = [a, 1, None]",
        "x = [a,]",
        "x = {}",
        "x = {'k': a, \"j\": 2}",
        "x = {'a key-1.x': None,}",
        "x = ()",
        "x = (a,)",
        "x = (a, b)",
        "x = (1, 2,)",
        "x = y",
        "x = None",
        "x = -12",
        "x.attr = y",
        "self.attr = None",
        "x['k'] = 3",
        "x.append(self)",
        "del x",
        "del x.attr",
        "del x['k']",
        "del x[-1]",
        "w = weakref.ref(x)",
        "w = weakref.ref(x, callback)",
        "w = weakref.ref(x, on_clear)",
        "gc.garbage.append(x)",
        "gc.garbage . append( None )",
        "x = gc.garbage[0]",
        "x = gc.garbage[-1]",
        "gc.collect()",
        "gc.collect(2)",
        "gc.enable()",
        "gc.disable()",
        "gc.set_debug(gc.DEBUG_SAVEALL)",
        "gc.set_debug(0)",
        "gc.set_threshold(10)",
        "gc.set_threshold(700, 10, 10)",
        "gc.freeze()",
        "gc.unfreeze()",
        "gc.get_count()",
        "gc.get_threshold( )",
        "gc.is_tracked(x)",
        "gc.is_finalized(self)",
        "gc.get_freeze_count()",
        "gc.get_stats()",
        "del gc.garbage[:]",
        "gc.garbage = []",
        "gc.garbage[0].attr = None",
        "del gc.garbage[1].attr",
        "pass",
        "global g, h",
        "raise RuntimeError()",
        "raise E()",
        "raise err",
        "raise",
        "e.__traceback__ = None",
        "raise E() from err",
        "raise err from None",
        "  x  =  C ( )  ",
        "x.foo()",
        "f(a, 1, None)",
        "y = f(a)",
        "y = x.m()",
        "x.cb = a.handle",
        "l.append(a.handle)",
        "return",
        "return a.m",
        "nonlocal x, y",
        "s = {a, b}",
        "s = {a,}",
        "s = set()",
        "s = set([a, b])",
        "s = frozenset([a])",
        "s.add(a)",
        "s.discard(self)",
    ];
    for s in good {
        assert!(re.is_match(s), "the pattern rejects `{s}`");
        assert!(
            scenario::parse::parse_stmt(s).is_ok(),
            "the parser rejects `{s}`"
        );
    }
    let bad = [
        "",
        "class C(A): x = 1",
        "class C(A)",
        "C = type('C', (A), {})",
        "C = type('C', (A,), {'k': 1})",
        "x = (a)",
        "x = {'k'}",
        "x = [a",
        "import os",
        "x = y + 1",
        "x.foo(",
        "f(a=1)",
        "x.__class__ = 1",
        "x.__class__.y = B",
        "return a, b",
        "nonlocal",
        "gc.collect(3)",
        "gc.set_debug(1)",
        "gc.set_threshold(1, 2, 3, 4)",
        "gc.get_objects()",
        "gc.get_count(0)",
        "gc.is_tracked(1)",
        "gc.is_tracked()",
        "x = gc.get_count()",
        "x = 01",
        "x = 'text'",
        "raise ValueError(x)",
        "x = weakref.ref(y, z, 1)",
        "x = weakref.ref(y, 1)",
        "gc.garbage.extend(x)",
        "gc.garbage.append()",
        "x = gc.garbage[i]",
        "x = gc.garbage[:]",
        "x = C(a",
        "x['k\\n'] = 1",
        "s = set([a], [b])",
        "s = {a: b}",
    ];
    for s in bad {
        assert!(!re.is_match(s), "the pattern accepts `{s}`");
        assert!(
            scenario::parse::parse_stmt(s).is_err(),
            "the parser accepts `{s}`"
        );
    }
}

fn version_and_name_patterns() {
    let v = full(&version_pattern());
    for s in ["2.7", "3.6", "3.13", "3.6-3.10", "3.7+", "2.7 - 3.8"] {
        assert!(v.is_match(s), "{s}");
    }
    for s in ["3.5", "3.14", "3", "3.7++", "3.6-", "+3.7"] {
        assert!(!v.is_match(s), "{s}");
    }
    let n = full(NAME_PATTERN);
    assert!(n.is_match("WithDel") && n.is_match("B2"));
    assert!(!n.is_match("_Hidden") && !n.is_match("2B") && !n.is_match("a-b"));
}

fn scenario_files() -> Vec<PathBuf> {
    let files = crate::common::shipped_scenarios();
    assert!(!files.is_empty());
    files
}

fn every_shipped_scenario_fits_the_schema() {
    let stmt = full(&statement_pattern());
    let version = full(&version_pattern());
    let name = full(NAME_PATTERN);
    for f in scenario_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let shape = parse_shape(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        fn statements(items: &[StepItem], out: &mut Vec<String>) {
            for i in items {
                match i {
                    StepItem::Statement(s) => out.push(s.0.clone()),
                    StepItem::Repeat(r) => statements(&r.steps, out),
                    // Not statements: the loader checks their names (tests/bad).
                    StepItem::RandomEdges(_) => {}
                    StepItem::Class(c) => out.push(c.statement()),
                    StepItem::Def(d) => {
                        for body in d.0.values() {
                            match body {
                                gcconform::scenario::raw::DefBody::One(s) => out.push(s.0.clone()),
                                gcconform::scenario::raw::DefBody::Many(v) => statements(v, out),
                            }
                        }
                    }
                    StepItem::Try(t) => {
                        for (_, body) in &t.0 {
                            match body {
                                gcconform::scenario::raw::DefBody::One(s) => out.push(s.0.clone()),
                                gcconform::scenario::raw::DefBody::Many(v) => statements(v, out),
                            }
                        }
                    }
                }
            }
        }
        let mut all = Vec::new();
        statements(&shape.steps, &mut all);
        for s in &all {
            assert!(stmt.is_match(s), "{}: `{s}`", f.display());
        }
        for v in shape.versions.iter().flatten() {
            assert!(version.is_match(&v.0), "{}: `{}`", f.display(), v.0);
        }
        // Function bodies: one statement, or a list of statements and `def` blocks (each item
        // must be a step of the schema's shape).
        let body_statements = |b: &StrOrList| -> Vec<String> {
            match b {
                StrOrList::One(s) => vec![s.0.clone()],
                StrOrList::Many(v) => {
                    let items: Vec<StepItem> =
                        serde_yaml::from_value(serde_yaml::Value::Sequence(v.clone()))
                            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                    assert!(
                        items.iter().all(|i| matches!(
                            i,
                            StepItem::Statement(_) | StepItem::Def(_) | StepItem::Try(_)
                        )),
                        "{}: a body holds statements, `def` and `try:` blocks only",
                        f.display()
                    );
                    let mut out = Vec::new();
                    statements(&items, &mut out);
                    out
                }
            }
        };
        let mut bodies: Vec<&StrOrList> = Vec::new();
        for (class, spec) in shape.classes.iter().flatten() {
            assert!(name.is_match(class), "{}: class `{class}`", f.display());
            if let Some(spec) = spec {
                bodies.extend(spec.del.as_ref());
                for ms in [&spec.methods, &spec.staticmethods, &spec.classmethods] {
                    bodies.extend(
                        ms.iter()
                            .flat_map(|m| m.0.iter().filter_map(|(_, b)| b.as_ref())),
                    );
                }
            }
        }
        bodies.extend(
            shape
                .callbacks
                .iter()
                .flat_map(|c| c.0.iter().filter_map(|(_, b)| b.as_ref())),
        );
        for b in bodies {
            for s in body_statements(b) {
                assert!(stmt.is_match(&s), "{}: `{s}`", f.display());
            }
        }
    }
}

fn the_shape_rejects_what_the_loader_rejects() {
    for text in [
        "steps: [pass]\nextra: 1\n",
        "classes:\n  B:\n    __init__: pass\nsteps: [pass]\n",
        "description: no steps\n",
    ] {
        assert!(parse_shape(text).is_err(), "{text}");
        assert!(
            scenario::parse_scenario(Path::new("scenarios/t/x.yaml"), text).is_err(),
            "{text}"
        );
    }
}

const MODELINE: &str = "# yaml-language-server: $schema=../../docs/scenario.schema.json";

fn the_loader_accepts_files_with_and_without_the_schema_line() {
    let body =
        "classes:\n  B: {}\nsteps:\n  - b = B()\n  - b.me = b\n  - del b\n  - gc.collect()\n";
    let path = Path::new("scenarios/t/x.yaml");
    let plain = scenario::parse_scenario(path, body).unwrap();
    let with = scenario::parse_scenario(path, &format!("{MODELINE}\n{body}")).unwrap();
    assert_eq!(plain.steps.len(), 4);
    assert_eq!(with.steps.len(), 4);
    for (a, b) in plain.steps.iter().zip(&with.steps) {
        assert_eq!(a.stmt, b.stmt);
        assert_eq!(a.pos.line + 1, b.pos.line, "{}", a.text);
        assert_eq!(a.pos.col, b.pos.col);
    }
    // Diagnostics still point at the right line.
    let bad = format!("{MODELINE}\nsteps:\n  - b = C()\n");
    let e = scenario::parse_scenario(path, &bad).unwrap_err();
    assert_eq!(e.diagnostics[0].pos.line, 3, "{e}");
}

fn every_scenario_carries_the_schema_line() {
    let schema = root().join(SCHEMA_PATH).canonicalize().unwrap();
    let mut missing = Vec::new();
    for f in scenario_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let first = text.lines().next().unwrap_or("");
        let ok = first
            .strip_prefix("# yaml-language-server: $schema=")
            .is_some_and(|rel| {
                f.parent()
                    .unwrap()
                    .join(rel)
                    .canonicalize()
                    .is_ok_and(|p| p == schema)
            });
        if !ok {
            missing.push(f.strip_prefix(root()).unwrap().display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "these scenarios lack the `# yaml-language-server: $schema=…/docs/scenario.schema.json` first line (editors use it to complete and check them); add it with scripts/schema-modeline.sh:\n  {}",
        missing.join("\n  ")
    );
}

/// An independent validator, when one is installed: Python's `jsonschema` (with PyYAML) checks
/// every shipped scenario against the checked-in schema, and rejects broken ones.
fn an_independent_validator_accepts_the_scenarios() -> Outcome {
    const SCRIPT: &str = r#"
import glob, json, sys
try:
    import jsonschema, yaml
except ImportError:
    print("SKIP"); sys.exit(0)
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
bad = []
files = sorted(glob.glob(sys.argv[2] + "/**/*.yaml", recursive=True))
for f in files:
    for e in v.iter_errors(yaml.safe_load(open(f))):
        bad.append(f + ": " + e.message)
for doc in [{"steps": []}, {"steps": ["x = (a)"]}, {"steps": ["pass"], "extra": 1},
            {"versions": ["3.5"], "steps": ["pass"]}, {"classes": {"B": {"__init__": "pass"}}, "steps": ["pass"]},
            {"trace": "brief", "steps": ["pass"]}, {"steps": [{"repeat": 0, "steps": ["pass"]}]},
            {"steps": [{"repeat": 2}]}, {"steps": [{"repeat": 2, "steps": ["x = (a)"]}]}]:
    if not list(v.iter_errors(doc)):
        bad.append("accepted: " + json.dumps(doc))
good = {"trace": "summary", "classes": {"B": None},
        "steps": [{"repeat": 3, "steps": ["a = B()", {"repeat": 2, "steps": ["pass"]}]}, "gc.collect()"]}
for e in v.iter_errors(good):
    bad.append("rejected: " + e.message)
print("\n".join(bad) if bad else "OK %d" % len(files))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(root().join(SCHEMA_PATH))
        .arg(root().join("scenarios"))
        .output();
    let text = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => return Err(Skip::missing("no python3 to run jsonschema")),
    };
    if text == "SKIP" {
        return Err(Skip::missing(
            "python3 has no jsonschema/yaml modules (pip install jsonschema pyyaml)",
        ));
    }
    let n = scenario_files().len();
    assert_eq!(text, format!("OK {n}"));
    Ok(())
}

fn the_schema_command_prints_writes_and_checks() {
    let run = |args: &[&str]| {
        crate::common::output(
            std::process::Command::new(crate::common::BIN)
                .args(args)
                .current_dir(root()),
        )
    };
    let (code, out, _) = run(&["schema"]);
    assert_eq!(code, 0);
    assert_eq!(out, schema_json());
    let (code, _, err) = run(&["schema", "-o", SCHEMA_PATH, "--check"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("docs/scenario.schema.json is up to date"),
        "{err}"
    );

    let tmp = crate::common::temp_path("out.json");
    std::fs::write(&tmp, "{}\n").unwrap();
    let t = tmp.to_str().unwrap();
    let (code, _, err) = run(&["schema", "-o", t, "--check"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("is stale; regenerate it with: {REGENERATE}")),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&tmp).unwrap(), "{}\n");
    let (code, _, err) = run(&["schema", "-o", t]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote"), "{err}");
    assert_eq!(std::fs::read_to_string(&tmp).unwrap(), schema_json());
    let _ = std::fs::remove_file(&tmp);
}

crate::harness::tests! {
    checked_in_schema_is_current,
    schema_describes_the_file_shape,
    repeat_and_trace_keys_match_the_loader,
    statement_pattern_accepts_the_language_and_rejects_the_rest,
    version_and_name_patterns,
    every_shipped_scenario_fits_the_schema,
    the_shape_rejects_what_the_loader_rejects,
    the_loader_accepts_files_with_and_without_the_schema_line,
    every_scenario_carries_the_schema_line,
    an_independent_validator_accepts_the_scenarios,
    the_schema_command_prints_writes_and_checks,
}

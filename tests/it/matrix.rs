//! `gcconform matrix`, run as a subprocess on a scratch tree whose expected files are derived
//! from the model (only a test may do this), with no interpreter visible unless a test says so.

use crate::common::{BIN, CYCLE, Scratch};
use gcconform::expected::expected_path_for_id;
use gcconform::trace::Trace;
use gcconform::version::Version;
use serde_json::Value;
use std::path::Path;

/// No cycle, and only from 3.8 on.
const PLAIN: &str = "\
description: an object freed by reference counting
versions: [\"3.8+\"]
classes:
  B: {}
steps:
  - a = B()
  - a = None
  - gc.collect()
";

/// A scratch tree with both scenarios and their expected files, derived from the model.
fn scratch(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.write("scenarios/t/cycle.yaml", CYCLE);
    s.write("scenarios/t/plain.yaml", PLAIN);
    s.expect_model("t/cycle", |_, t| t);
    s.expect_model("t/plain", |_, t| t);
    s
}

/// `gcconform matrix --format json args`: (exit code, the JSON).
fn json(s: &Scratch, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["matrix", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = s.run(&all);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    (code, v)
}

/// A changed `gc.collect()` result: the trace real CPython would have shown if it differed.
fn bump_collects(t: Trace) -> Trace {
    let text: String = t
        .to_text()
        .lines()
        .map(|l| match l.split_once(" -> ") {
            Some((call, n)) if l.starts_with("gc.collect(") => {
                format!("{call} -> {}\n", n.parse::<i64>().unwrap() + 100)
            }
            _ => format!("{l}\n"),
        })
        .collect();
    Trace::parse(&text).unwrap()
}

/// The Markdown row of a scenario, split into its cells (without the leading and trailing
/// `|`).
fn row<'a>(md: &'a str, id: &str) -> Vec<&'a str> {
    let line = md
        .lines()
        .find(|l| l.starts_with(&format!("| `{id}` |")))
        .unwrap_or_else(|| panic!("no row for {id}:\n{md}"));
    line.trim_matches('|').split(" | ").map(str::trim).collect()
}

fn cell<'a>(v: &'a Value, id: &str, version: &str) -> &'a Value {
    let s = v["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no scenario {id}"));
    &s["cells"][version]
}

fn all_agreeing_matrix_shows_splits_and_counts() {
    let s = scratch("agree");
    let (code, md, err) = s.run(&["matrix", "--no-live"]);
    assert_eq!(code, 0, "{md}\n{err}");
    // The summary comes first, then the rows, then the legend.
    let summary = md.find("## Summary").unwrap();
    let rows = md.find("## Scenarios").unwrap();
    let legend = md.find("## Legend").unwrap();
    assert!(summary < rows && rows < legend, "{md}");
    assert!(md.contains("| 2.7 | 1 | 1 | 0 | 0 | 100.0% |"), "{md}");
    assert!(md.contains("| 3.12 | 2 | 2 | 0 | 0 | 100.0% |"), "{md}");
    assert!(
        md.contains("| **all** | 15 | 15 | 0 | 0 | 100.0% |"),
        "{md}"
    );
    assert!(
        md.contains("Expected failures: 0 of 15 pairs (0.0%)"),
        "{md}"
    );

    // The cycle's collect result changes with inline attributes in 3.11: two behaviours.
    let r = row(&md, "t/cycle");
    assert_eq!(
        &r[1..10],
        &["A✓", "A✓", "A✓", "A✓", "A✓", "A✓", "B✓", "B✓", "B✓"],
        "{md}"
    );
    assert_eq!(r[10], r"2.7-3.10 \| 3.11-3.13");
    // Not applicable before 3.8; one behaviour after.
    let r = row(&md, "t/plain");
    assert_eq!(
        &r[1..10],
        &["–", "–", "–", "A✓", "A✓", "A✓", "A✓", "A✓", "A✓"],
        "{md}"
    );
    assert_eq!(r[10], "3.8-3.13");
    assert!(!md.contains("## Failures") && !md.contains("## Expected failures"));
    assert!(
        err.contains("15 pairs: 15 agree, 0 expected failures, 0 fail"),
        "{err}"
    );

    let (code, j) = json(&s, &["--no-live"]);
    assert_eq!(code, 0);
    assert_eq!(j["schema"], 1);
    assert_eq!(j["live"], false);
    assert_eq!(
        j["versions"],
        serde_json::json!([
            "2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"
        ])
    );
    assert_eq!(j["summary"]["2.7"]["pairs"], 1);
    assert_eq!(j["summary"]["3.8"]["pairs"], 2);
    assert_eq!(j["summary"]["3.8"]["agree"], 2);
    assert_eq!(j["summary"]["3.8"]["pass_rate"], 100.0);
    assert_eq!(j["total"]["pairs"], 15);
    assert_eq!(j["total"]["fail"], 0);
    let ids: Vec<&str> = j["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["t/cycle", "t/plain"]);
    let cycle = &j["scenarios"][0];
    assert_eq!(cycle["path"], "scenarios/t/cycle.yaml");
    assert_eq!(cycle["groups"].as_array().unwrap().len(), 2);
    assert_eq!(
        cycle["groups"][1],
        serde_json::json!(["3.11", "3.12", "3.13"])
    );
    assert_eq!(
        cell(&j, "t/cycle", "3.12"),
        &serde_json::json!({"model": "agree", "cpython": "not-run", "group": 2})
    );
    assert!(cell(&j, "t/plain", "3.7").is_null());

    // The JSON is stable: same bytes on every run, and --output writes the same text.
    let (_, again, _) = s.run(&["matrix", "--no-live", "--format", "json"]);
    let (code, out, _) = s.run(&[
        "matrix",
        "--no-live",
        "--format",
        "json",
        "--output",
        "m.json",
    ]);
    assert_eq!(code, 0);
    assert!(out.is_empty());
    assert_eq!(std::fs::read_to_string(s.0.join("m.json")).unwrap(), again);
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap(), j);
}

fn xfail_entries_show_as_expected_failures_and_stale_ones_fail() {
    let s = scratch("xfail");
    // Real CPython 3.12 (pretend) did something else: the model disagrees there.
    s.expect_model("t/cycle", |v, t| {
        if v == Version::V3_12 {
            bump_collects(t)
        } else {
            t
        }
    });

    // Unlisted: a failure.
    let (code, md, _) = s.run(&["matrix", "--no-live"]);
    assert_eq!(code, 1, "{md}");
    let r = row(&md, "t/cycle");
    assert_eq!(r[8], "C✗", "{md}");
    assert_eq!(r[10], r"2.7-3.10 \| 3.11, 3.13 \| 3.12");
    assert!(md.contains("| 3.12 | 2 | 1 | 0 | 1 | 50.0% |"), "{md}");
    assert!(md.contains("## Failures"), "{md}");
    assert!(
        md.contains("- `model/3.12/t/cycle`: gc.collect() results"),
        "{md}"
    );

    // Listed: an expected failure, and the run passes.
    s.write(
        "tests/xfail.txt",
        "# known\nmodel/3.12/t/cycle  # the collect result is not modelled yet\n",
    );
    let (code, md, err) = s.run(&["matrix", "--no-live"]);
    assert_eq!(code, 0, "{md}\n{err}");
    assert_eq!(row(&md, "t/cycle")[8], "Cx");
    assert!(md.contains("| 3.12 | 2 | 1 | 1 | 0 | 50.0% |"), "{md}");
    assert!(
        md.contains("Expected failures: 1 of 15 pairs (6.7%). Failures: 0."),
        "{md}"
    );
    assert!(
        md.contains(
            "- `model/3.12/t/cycle`: the collect result is not modelled yet \
             (tests/xfail.txt line 2)"
        ),
        "{md}"
    );
    let (code, j) = json(&s, &["--no-live"]);
    assert_eq!(code, 0);
    assert_eq!(cell(&j, "t/cycle", "3.12")["model"], "xfail");
    assert_eq!(j["summary"]["3.12"]["xfail"], 1);
    assert_eq!(j["summary"]["3.12"]["pass_rate"], 50.0);
    assert_eq!(j["total"]["xfail"], 1);
    assert_eq!(j["total"]["agree"], 14);

    // A listed pair that agrees: the list is stale, a failure.
    s.write(
        "tests/xfail.txt",
        "model/3.12/t/cycle  # the collect result is not modelled yet\n\
         model/3.13/t/cycle  # fixed long ago\n",
    );
    let (code, md, _) = s.run(&["matrix", "--no-live"]);
    assert_eq!(code, 1, "{md}");
    let r = row(&md, "t/cycle");
    assert_eq!((r[8], r[9]), ("Cx", "B!"), "{md}");
    assert!(
        md.contains(
            "- `model/3.13/t/cycle`: stale expected failure: model/3.13/t/cycle now agrees"
        ),
        "{md}"
    );
    let (code, j) = json(&s, &["--no-live"]);
    assert_eq!(code, 1);
    assert_eq!(cell(&j, "t/cycle", "3.13")["model"], "xpass");
    assert_eq!(j["summary"]["3.13"]["fail"], 1);
    assert_eq!(j["total"]["fail"], 1);

    // Another list, named on the command line.
    s.write("other.txt", "model/3.12/t/cycle\n");
    let (code, j) = json(&s, &["--no-live", "--xfail", "other.txt"]);
    assert_eq!(code, 0);
    assert_eq!(j["total"]["xfail"], 1);
}

fn missing_traces_bad_files_and_live_without_interpreters() {
    let s = scratch("bad");
    std::fs::remove_file(expected_path_for_id(&s.0.join("expected"), "t/plain")).unwrap();
    let (code, md, _) = s.run(&["matrix", "--no-live"]);
    assert_eq!(code, 1, "{md}");
    let r = row(&md, "t/plain");
    assert_eq!(&r[3..6], &["–", "?", "?"], "{md}");
    assert_eq!(r[10], "no expected traces");
    assert!(
        md.contains(
            "- `t/plain (3.8-3.13)`: no expected traces for t/plain (expected/t/plain.trace does \
             not exist); record them from real CPython with `gcconform bless "
        ),
        "{md}"
    );

    // A scenario that does not load: exit 2, the others still in the matrix.
    s.write("scenarios/t/broken.yaml", "steps: [\n");
    s.expect_model("t/plain", |_, t| t);
    let (code, j) = json(&s, &["--no-live"]);
    assert_eq!(code, 2);
    assert_eq!(j["scenarios"].as_array().unwrap().len(), 2);
    assert_eq!(j["total"]["fail"], 0);
    std::fs::remove_file(s.0.join("scenarios/t/broken.yaml")).unwrap();

    // A malformed expected file: exit 2, its pairs missing.
    s.write("expected/t/plain.trace", "=== 3.8\nnot an event\n");
    let (code, j) = json(&s, &["--no-live"]);
    assert_eq!(code, 2);
    assert_eq!(cell(&j, "t/plain", "3.8")["model"], "missing");
    s.expect_model("t/plain", |_, t| t);

    // A malformed expected-failure list: exit 2.
    s.write("tests/xfail.txt", "two words\n");
    let (code, _, err) = s.run(&["matrix", "--no-live"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tests/xfail.txt: line 1"), "{err}");
    std::fs::remove_file(s.0.join("tests/xfail.txt")).unwrap();

    // Live, with no interpreter visible: every pair says so, and the model still counts.
    let (code, j) = json(&s, &[]);
    assert_eq!(code, 0);
    assert_eq!(j["live"], true);
    assert_eq!(cell(&j, "t/cycle", "2.7")["cpython"], "missing-interpreter");
    assert_eq!(j["total"]["cpython_run"], 0);
    assert_eq!(j["total"]["agree"], 15);
    let (code, md, _) = s.run(&["matrix"]);
    assert_eq!(code, 0);
    assert!(
        md.contains("| **all** | 15 | 15 | 0 | 0 | 100.0% | 0/0 |"),
        "{md}"
    );

    // Unknown paths and formats are bad input.
    assert_eq!(s.run(&["matrix", "--no-live", "nowhere"]).0, 2);
    assert_eq!(s.run(&["matrix", "--format", "pdf"]).0, 2);
    assert!(Path::new(BIN).exists());
}

/// `--format html`: one page that needs no network, with a row per scenario, a column per
/// version, and the traces and diff of every cell in its data.
fn html_page_is_self_contained() {
    let s = scratch("html");
    let (code, out, err) = s.run(&["matrix", "--no-live", "--format", "html"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("<!DOCTYPE html>"), "{out}");
    for id in ["t/cycle", "t/plain"] {
        assert!(
            out.contains(&format!("<th scope=\"row\" class=\"id\">{id}</th>")),
            "{id}"
        );
    }
    for v in Version::ALL {
        assert!(out.contains(&format!("<th scope=\"col\">{v}</th>")), "{v}");
    }
    // t/plain applies to 3.8+ only: 9 + 6 cells, each with its data.
    assert_eq!(out.matches("<td class=\"cell ").count(), 15);
    assert_eq!(out.matches("<td class=\"na\">").count(), 3);
    assert!(
        out.contains("\"expected\":\"gc.collect() -> "),
        "the traces are in the page"
    );
    for external in ["http://", "https://", " src=", "<link"] {
        assert!(!out.contains(external), "{external}");
    }
}

/// A browser to load the page in: Chromium, if installed.
fn chromium() -> Option<std::path::PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|b| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(move |d| d.join(b))
                .collect::<Vec<_>>()
        })
        .find(|p| p.is_file())
}

/// The page of the whole shipped corpus (model only) in a real headless browser: it loads
/// without a console message, its script sees every scenario, every row and version column is
/// there, and a link to a cell opens that cell's traces.
fn html_page_in_a_headless_browser() -> crate::harness::Outcome {
    let Some(browser) = chromium() else {
        return Err(crate::harness::Skip::missing(
            "no Chromium to load the page in (Debian: apt-get install chromium)",
        ));
    };
    let s = Scratch::new("html-browser");
    let page = s.0.join("report.html");
    let root = crate::common::root();
    let (code, _, err) = crate::common::output(
        std::process::Command::new(BIN)
            .args(["matrix", "--no-live", "--format", "html", "-o"])
            .arg(&page)
            .current_dir(&root),
    );
    assert_eq!(code, 0, "{err}");
    let n = crate::common::shipped_scenarios().len();
    let url = format!("file://{}#cell=seed/cycle_with_del@3.12", page.display());
    let (code, dom, log) = crate::common::output(
        std::process::Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--enable-logging=stderr",
                "--v=0",
                "--dump-dom",
            ])
            .arg(&url)
            .env("HOME", s.empty()),
    );
    assert_eq!(code, 0, "{log}");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(
        dom.contains(&format!("data-ready=\"{n}\"")),
        "the script did not see {n} scenarios"
    );
    assert_eq!(dom.matches("<th scope=\"row\" class=\"id\">").count(), n);
    for v in Version::ALL {
        assert!(dom.contains(&format!("<th scope=\"col\">{v}</th>")), "{v}");
    }
    // The linked cell is open, with its expected block and the model's trace.
    assert!(dom.contains("<dialog id=\"detail\" open"), "no open dialog");
    assert!(
        dom.contains("seed/cycle_with_del on 3.12")
            && dom.contains("expected (scenarios/seed/cycle_with_del.yaml)")
            && dom.contains("gc.collect(2) -&gt; 2"),
        "the dialog does not show the cell's traces"
    );
    Ok(())
}

/// An unmodelled CPython (a fake that reports 3.14.0 while running the real 3.13) as a column:
/// run through the same harness, compared with every modelled version's expected block, its
/// cells say which versions it behaves like and the summary which one it is most like; the
/// modelled blocks are left alone.
fn unmodelled_cpython_is_a_column_like_a_modelled_version() -> crate::harness::Outcome {
    use std::os::unix::fs::PermissionsExt;
    let Some(real) = crate::common::found_interpreters()
        .into_iter()
        .find(|i| i.version == Some(Version::V3_13))
    else {
        return Err(crate::harness::Skip::no_interpreter(
            "no CPython 3.13 to stand behind a fake 3.14",
        ));
    };
    let s = scratch("unmodelled");
    let real = real.path.display().to_string();
    let fake = s.write(
        "bin/python3.14",
        &format!(
            "#!/bin/sh\n\
             case \" $* \" in *\" -c \"*) exec {real} \"$@\" ;; esac\n\
             prog=$(/bin/cat)\n\
             case \"$prog\" in *python_implementation*) echo \"3 14 3.14.0 CPython $0\"; echo \"0 0\"; exit 0 ;; esac\n\
             printf '%s\\n' \"$prog\" | exec {real} \"$@\"\n"
        ),
    );
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = std::fs::read_to_string(s.0.join("expected/t/cycle.trace")).unwrap();
    let fake = fake.display().to_string();
    let (code, md, err) = s.run(&["matrix", "--no-live", "--other", &fake]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("| CPython 3.14.0 (unmodelled) |"),
        "no column for the unmodelled build:\n{md}"
    );
    // t/cycle: 3.11-3.13 share their expected block (no instance dicts); t/plain (3.8+):
    // one block for all.
    assert_eq!(
        row(&md, "t/cycle").last().copied(),
        Some("=3.11-3.13"),
        "{md}"
    );
    assert_eq!(
        row(&md, "t/plain").last().copied(),
        Some("=3.8-3.13"),
        "{md}"
    );
    assert!(
        err.contains("gcconform: 3.14.0: like 3.13 on 2 of 2"),
        "{err}"
    );
    let (_, v) = json(&s, &["--no-live", "--other", &fake]);
    assert_eq!(
        v["scenarios"][0]["others"]["CPython 3.14.0 (unmodelled)"],
        "like 3.11-3.13"
    );
    assert_eq!(
        std::fs::read_to_string(s.0.join("expected/t/cycle.trace")).unwrap(),
        before,
        "the matrix leaves expected/ alone"
    );

    // Recorded: a block of its own, after the modelled ones, which stay as they were.
    let (code, out, err) = s.run(&["bless", "--python", &fake, "scenarios/t/cycle.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("recorded CPython 3.14.0 (unmodelled)"),
        "{out}"
    );
    let after = std::fs::read_to_string(s.0.join("expected/t/cycle.trace")).unwrap();
    let (kept, block) = after
        .split_once("\n=== unmodelled CPython 3.14.0\n")
        .unwrap_or_else(|| panic!("no block of its own:\n{after}"));
    assert_eq!(
        kept.trim_end(),
        before.trim_end(),
        "modelled blocks touched"
    );
    assert!(block.contains("gc.collect() -> "), "{block}");
    let (code, md, _) = s.run(&["matrix", "--no-live", "--other", &fake]);
    assert_eq!(code, 0);
    assert_eq!(
        row(&md, "t/cycle").last().copied(),
        Some("=3.11-3.13"),
        "{md}"
    );
    // A recorded block the build no longer reproduces shows as changed.
    let tampered = format!(
        "{kept}\n=== unmodelled CPython 3.14.0\n{}",
        block.replacen("gc.collect() -> ", "gc.collect() -> 1", 1)
    );
    std::fs::write(s.0.join("expected/t/cycle.trace"), tampered).unwrap();
    let (_, md, _) = s.run(&["matrix", "--no-live", "--other", &fake]);
    assert_eq!(
        row(&md, "t/cycle").last().copied(),
        Some("Δ=3.11-3.13"),
        "{md}"
    );
    // The modelled checks read the file as before.
    let (code, _, err) = s.run(&["run", "--python", "none", "scenarios/t/cycle.yaml"]);
    assert_eq!(code, 0, "{err}");
    Ok(())
}

crate::harness::tests! {
    unmodelled_cpython_is_a_column_like_a_modelled_version,
    html_page_is_self_contained,
    html_page_in_a_headless_browser,
    all_agreeing_matrix_shows_splits_and_counts,
    xfail_entries_show_as_expected_failures_and_stale_ones_fail,
    missing_traces_bad_files_and_live_without_interpreters,
}

//! `gcconform bench`: its three tables, on small heaps and a small corpus (the figures are
//! not checked, only that both sides built the same heap and agree).

use crate::common::{BIN, Scratch, found_interpreters, interpreters, output, root};
use crate::harness::{Outcome, Skip};
use std::process::Command;

/// The cells of the collector table's data rows.
fn collector_rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|l| !l.starts_with("## Collector"))
        .take_while(|l| !l.starts_with("Times are"))
        .filter(|l| l.starts_with("| rings") || l.starts_with("| random"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The count in parentheses of a time cell ("1.23 ms (1000)"), if the cell has one.
fn count(cell: &str) -> Option<i64> {
    let open = cell.find('(')?;
    cell[open + 1..cell.find(')')?].parse().ok()
}

fn collector_table_without_interpreters_has_the_model_side() {
    let s = Scratch::new("bench-model");
    let (code, out, err) = s.run(&[
        "bench",
        "--sizes",
        "1000",
        "--reps",
        "1",
        "--no-throughput",
        "--no-corpus",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = collector_rows(&out);
    // Two shapes, slots or dicts, reachable or garbage.
    assert_eq!(rows.len(), 8, "{out}");
    for r in &rows {
        // heap, objects, model 3.12, CPython 3.12, ratio, model 2.7, CPython 2.7, ratio,
        // bytes model, bytes CPython.
        assert_eq!(r.len(), 10, "{r:?}");
        assert_eq!(r[1], "1000");
        let garbage = r[0].ends_with("garbage");
        for m in [&r[2], &r[5]] {
            let c = count(m).unwrap_or_else(|| panic!("no count in {m:?}"));
            assert_eq!(c > 0, garbage, "{r:?}");
        }
        assert_eq!(r[3], "–", "{r:?}");
        assert_eq!(r[6], "–", "{r:?}");
        let bytes: f64 = r[8].parse().unwrap_or_else(|_| panic!("bytes in {r:?}"));
        // A header and a kind at least; less than a kilobyte.
        assert!((72.0..1024.0).contains(&bytes), "{r:?}");
    }
    assert!(!out.contains("## Cross-check"), "{out}");
    assert!(!out.contains("## Whole corpus"), "{out}");
}

fn three_tables_agree_with_cpython() -> Outcome {
    let found = found_interpreters();
    let (code, out, err) = output(
        Command::new(BIN)
            .current_dir(root())
            .args([
                "bench",
                "scenarios/basics",
                "--sizes",
                "2000",
                "--reps",
                "1",
            ])
            .args(["--rounds", "1"]),
    );
    assert_eq!(code, 0, "{err}");
    let rows = collector_rows(&out);
    assert_eq!(rows.len(), 8, "{out}");
    let has = |v: &str| {
        found
            .iter()
            .any(|i| i.version.map(|x| x.to_string()) == Some(v.into()))
    };
    for r in &rows {
        for (model, cpython, version) in [(2, 3, "3.12"), (5, 6, "2.7")] {
            if has(version) {
                // The same heap on both sides: the same number collected.
                assert_eq!(count(&r[model]), count(&r[cpython]), "{r:?}");
                assert!(r[model + 2].ends_with('×'), "{r:?}");
            } else {
                assert_eq!(r[cpython], "–", "{r:?}");
            }
        }
    }
    assert!(out.contains("## Cross-check throughput"), "{out}");
    let throughput: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("## Cross-check"))
        .take_while(|l| !l.starts_with("## Whole corpus") && !l.starts_with("Where a fork"))
        .filter(|l| l.starts_with("| CPython"))
        .collect();
    assert_eq!(throughput.len(), found.len(), "{out}");
    for l in &throughput {
        let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
        let same = cells[7];
        let (a, b) = same.split_once('/').unwrap_or_else(|| panic!("{l}"));
        assert_eq!(a, b, "forked and fresh traces differ: {l}");
        assert_eq!(cells[8], "0", "errors: {l}");
    }
    let corpus = out
        .lines()
        .find(|l| l.starts_with("| `gcconform run scenarios/basics`"))
        .unwrap_or_else(|| panic!("no corpus row: {out}"));
    assert!(corpus.contains(" 0 disagree"), "{corpus}");
    // Without CPython 3.12 or 2.7 only the model's side of the tables was checked.
    if !has("3.12") && !has("2.7") {
        return Err(Skip::no_interpreter(
            "no CPython 3.12 or 2.7 interpreter: the CPython columns were not checked",
        ));
    }
    interpreters().map(|_| ())
}

fn heap_sizes_out_of_range_are_refused() {
    let s = Scratch::new("bench-sizes");
    for bad in ["0", "5", "60000000", "ten"] {
        let (code, out, err) = s.run(&["bench", "--sizes", bad, "--no-throughput", "--no-corpus"]);
        assert_eq!(code, 2, "{bad}: {out}{err}");
        assert!(err.contains("--sizes"), "{bad}: {err}");
        assert!(err.contains(bad), "{bad}: {err}");
        assert!(out.is_empty(), "{bad}: {out}");
    }
}

fn scenarios_that_do_not_load_stop_the_bench_first() {
    let s = Scratch::new("bench-bad");
    s.write("scenarios/bad.yaml", "steps:\n  - x = Nope()\n");
    let (code, out, err) = s.run(&["bench", "scenarios", "--sizes", "10", "--reps", "1"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("scenarios/bad.yaml:2:"), "{err}");
    assert!(err.contains("Nope"), "{err}");
    assert!(out.is_empty(), "{out}");
}

crate::harness::tests! {
    collector_table_without_interpreters_has_the_model_side,
    #[slow]
    three_tables_agree_with_cpython,
    heap_sizes_out_of_range_are_refused,
    scenarios_that_do_not_load_stop_the_bench_first,
}

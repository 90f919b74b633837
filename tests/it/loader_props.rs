//! Property tests over the scenario loader: whatever the bytes, loading never panics, and every
//! rejection is a diagnostic with a position inside the file. The default run is short; the long
//! run (10 minutes) is `GCCONFORM_PROPTEST_SECS=600 cargo test --release --test it -- --ignored
//! loader_props::long_run`.

use crate::harness::{Outcome, Skip};
use gcconform::scenario;
use proptest::prelude::*;
use std::path::Path;

/// Valid shipped scenarios, as seeds for mutation.
fn corpus() -> Vec<String> {
    let mut v: Vec<String> = crate::common::shipped_scenarios()
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    v
}

const FRAGMENTS: &[&str] = &[
    "steps:",
    "classes:",
    "versions:",
    "description:",
    "  - ",
    "    ",
    "\t",
    ":",
    " ",
    "\n",
    "- ",
    "x = C()",
    "x.a = y",
    "del x",
    "gc.collect()",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    "#",
    "&a",
    "*a",
    "!!str",
    "---",
    "...",
    "|",
    ">",
    "__del__:",
    "__slots__:",
    "self",
    "global g",
    "raise RuntimeError()",
    "weakref.ref(x, callback)",
    "weakref.ref(x, f)",
    "callbacks:",
    "f: pass",
    "wr",
    "gc.garbage.append(x)",
    "x = gc.garbage[-1]",
    "3.7+",
    "2.7-3.6",
    "é",
    "\u{0}",
    "9999999999999999999999",
    "-1",
    "__import__('os')",
    "%s",
    "{0}",
    ";",
    "\\",
    "\r\n",
];

/// One mutation of a text.
fn mutate(text: &str, ops: &[(u8, usize, usize)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for &(op, a, b) in ops {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = a % lines.len();
        match op % 6 {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let f = FRAGMENTS[b % FRAGMENTS.len()];
                let l = &mut lines[i];
                let at = l
                    .char_indices()
                    .nth(b % (l.chars().count() + 1))
                    .map(|c| c.0)
                    .unwrap_or(l.len());
                l.insert_str(at, f);
            }
            3 => {
                let l = &mut lines[i];
                let n = l.chars().count();
                if n > 0 {
                    let k = b % n;
                    *l = l
                        .chars()
                        .enumerate()
                        .filter(|(j, _)| *j != k)
                        .map(|(_, c)| c)
                        .collect();
                }
            }
            4 => {
                let j = b % lines.len();
                lines.swap(i, j);
            }
            _ => lines[i] = FRAGMENTS[b % FRAGMENTS.len()].to_string(),
        }
    }
    lines.join("\n")
}

fn check(text: &str) {
    let lines = text.lines().count().max(1);
    match scenario::parse_scenario(Path::new("prop.yaml"), text) {
        Ok(s) => {
            // A scenario the loader accepts runs on the model without panicking.
            for v in s.applicable_versions() {
                let _ = gcconform::model::run(&s, v);
            }
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty());
            for d in &e.diagnostics {
                assert!(
                    d.pos.line >= 1 && d.pos.line <= lines + 1,
                    "{d} (text has {lines} lines)"
                );
                assert!(!d.message.is_empty());
            }
        }
    }
}

fn config(default_cases: u32) -> ProptestConfig {
    let secs: u64 = std::env::var("GCCONFORM_PROPTEST_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    ProptestConfig {
        cases: if secs > 0 { u32::MAX } else { default_cases },
        timeout: 0,
        max_global_rejects: u32::MAX,
        failure_persistence: None,
        // A fixed seed keeps `cargo test` deterministic; the long run explores further.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x6763_636f_6e66),
        ..ProptestConfig::default()
    }
}

fn deadline() -> Option<std::time::Instant> {
    std::env::var("GCCONFORM_PROPTEST_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(|s: u64| std::time::Instant::now() + std::time::Duration::from_secs(s))
}

proptest! {
    #![proptest_config(config(300))]

    fn arbitrary_text_never_panics(text in ".{0,400}") {
        check(&text);
    }

    fn mutated_scenarios_never_panic(
        seed in 0usize..1000,
        ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..6),
    ) {
        let c = corpus();
        let text = mutate(&c[seed % c.len()], &ops);
        check(&text);
    }
}

/// The long run: mutate the corpus until the time is up (`GCCONFORM_PROPTEST_SECS`).
fn long_run_over_the_loader() -> Outcome {
    let Some(end) = deadline() else {
        return Err(Skip::missing("set GCCONFORM_PROPTEST_SECS to run this"));
    };
    let c = corpus();
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let mut n = 0u64;
    while std::time::Instant::now() < end {
        let mut ops = Vec::new();
        for _ in 0..(1 + (x % 5)) {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ops.push(((x >> 56) as u8, (x >> 20) as usize, (x >> 8) as usize));
        }
        let text = mutate(&c[(x % c.len() as u64) as usize], &ops);
        check(&text);
        n += 1;
    }
    eprintln!("{n} mutated scenarios loaded without a panic");
    Ok(())
}

crate::harness::tests! {
    arbitrary_text_never_panics,
    #[slow]
    mutated_scenarios_never_panic,
    #[ignore = "the long run, for GCCONFORM_PROPTEST_SECS seconds"]
    long_run_over_the_loader,
}

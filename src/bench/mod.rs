//! `gcconform bench`'s three tables: the model's collector against CPython on the same large
//! heaps ([`collector`]), cross-check throughput per interpreter ([`throughput`], also
//! `gcconform speed`), and the whole corpus's `run` wall time ([`corpus_table`]). Each prints
//! ratios against CPython measured in the same run; no test asserts a timing.

pub mod collector;
pub mod throughput;

pub use collector::collector_table;

use crate::runner;
use crate::scenario::Scenario;
use std::time::{Duration, Instant};

/// Table 2: scenario runs per second per interpreter over `scenarios`, fork-isolated
/// (`rounds` times) against one fresh interpreter per scenario (once), every installed
/// interpreter of a modelled version; the same measurement as `gcconform speed`.
pub fn throughput_table(scenarios: &[Scenario], rounds: usize, timeout: Duration) -> String {
    let d = crate::service::select::discover();
    let slots = runner::pool::default_slots();
    let mut rows = Vec::new();
    for i in d.found.iter().filter(|i| i.version.is_some()) {
        eprintln!("bench: throughput {} {} …", i.implementation, i.release);
        rows.push(throughput::measure(i, scenarios, rounds, slots, timeout));
    }
    if rows.is_empty() {
        return "no interpreter installed (see `gcconform interpreters`)\n".into();
    }
    throughput::table(&rows, slots)
}

/// Table 3: wall time of `gcconform run` over the corpus (model and every installed interpreter).
pub fn corpus_table(paths: &[std::path::PathBuf]) -> String {
    let exe = std::env::current_exe().expect("current exe");
    let t = Instant::now();
    let out = std::process::Command::new(exe)
        .arg("run")
        .args(paths)
        .output();
    let secs = t.elapsed().as_secs_f64();
    let summary = out
        .ok()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .rev()
                .find(|l| l.contains("checks"))
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    format!(
        "| command | wall time | result |\n|---|---:|---|\n| `gcconform run {}` | {secs:.2} s | {summary} |\n",
        shown.join(" ")
    )
}

//! Cross-check throughput (`gcconform speed`, and the second table of `gcconform bench`):
//! scenario runs per second per interpreter, fork-isolated ([`Pool`]) against
//! one fresh interpreter process per scenario, on a corpus (default `scenarios/`).
//!
//! Each interpreter is measured alone (one after the other), with `--slots` children or fresh
//! processes at a time (default: one per CPU, plus one). Both the wall time and the CPU time (user +
//! system, of gcconform and every process it waited for: the server and its children, or the
//! fresh processes) are measured; the fork side's include starting the server. CPU time per run
//! depends much less than the wall time on what else the machine is doing (under load it rises
//! too: caches, and a virtual machine's page faults): runs/s on an idle machine is about
//! `CPUs × 1000 / (CPU ms per run)` when there are enough slots. Every forked trace is also
//! compared with the fresh one (the `same` column).

use crate::runner::pool::{ServerCpu, server_cpu};
use crate::runner::{Interpreter, Pool};
use crate::scenario::Scenario;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One interpreter's measurement.
#[derive(Debug, Clone)]
pub struct Speed {
    pub label: String,
    pub scenarios: usize,
    /// Fork-isolated: runs, wall seconds, CPU seconds.
    pub forked: (usize, f64, f64),
    /// Fresh processes: runs, wall seconds, CPU seconds.
    pub fresh: (usize, f64, f64),
    /// Runs that produced no trace (either side).
    pub errors: usize,
    /// Scenarios whose forked and fresh traces (or errors) are identical.
    pub same: usize,
    /// Why the pool did not fork, if it did not.
    pub not_forked: Option<String>,
    /// Where the fork-isolated runs' CPU went.
    pub split: ServerCpu,
    /// The scenarios (ids) whose forked and fresh traces differ.
    pub differ: Vec<String>,
}

impl Speed {
    pub fn forked_per_sec(&self) -> f64 {
        self.forked.0 as f64 / self.forked.1.max(1e-9)
    }
    pub fn fresh_per_sec(&self) -> f64 {
        self.fresh.0 as f64 / self.fresh.1.max(1e-9)
    }
    /// CPU milliseconds per fork-isolated run.
    pub fn forked_cpu_ms(&self) -> f64 {
        1000.0 * self.forked.2 / self.forked.0.max(1) as f64
    }
    /// CPU milliseconds per fresh-process run.
    pub fn fresh_cpu_ms(&self) -> f64 {
        1000.0 * self.fresh.2 / self.fresh.0.max(1) as f64
    }
}

/// CPU seconds (user + system) used so far by this process and the children it waited for.
fn cpu_seconds() -> f64 {
    let secs = |who| {
        // SAFETY: getrusage(2) fills the zeroed struct.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut u) };
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        t(u.ru_utime) + t(u.ru_stime)
    };
    secs(libc::RUSAGE_SELF) + secs(libc::RUSAGE_CHILDREN)
}

/// Measure `interp` on the scenarios that apply to it (all of them for an interpreter of no
/// modelled version).
pub fn measure(
    interp: &Interpreter,
    scenarios: &[Scenario],
    rounds: usize,
    slots: usize,
    timeout: Duration,
) -> Speed {
    let mine: Vec<&Scenario> = scenarios
        .iter()
        .filter(|s| interp.version.is_none_or(|v| s.applies_to(v)))
        .collect();
    // The clock includes starting the server; its CPU time is counted once it is waited for
    // (when the pool is dropped).
    let (cpu, start, split) = (cpu_seconds(), Instant::now(), server_cpu());
    let mut pool = Pool::with_slots(interp, slots);
    let mut forked = Vec::new();
    for _ in 0..rounds.max(1) {
        forked = pool.run_scenarios(&mine, timeout);
    }
    let forked_secs = start.elapsed().as_secs_f64();
    let not_forked = pool.fresh_reason().map(str::to_string);
    drop(pool);
    let forked_cpu = cpu_seconds() - cpu;
    let split = server_cpu().since(&split);
    let (cpu, start) = (cpu_seconds(), Instant::now());
    let fresh = Pool::fresh(interp, slots).run_scenarios(&mine, timeout);
    let fresh_secs = start.elapsed().as_secs_f64();
    let fresh_cpu = cpu_seconds() - cpu;
    let as_text = |r: &Result<crate::trace::Trace, crate::runner::RunError>| {
        r.as_ref().map(|t| t.to_text()).map_err(|e| e.to_string())
    };
    Speed {
        label: format!(
            "{} {} ({})",
            interp.implementation,
            interp.release,
            interp.path.display()
        ),
        scenarios: mine.len(),
        forked: (mine.len() * rounds.max(1), forked_secs, forked_cpu),
        fresh: (mine.len(), fresh_secs, fresh_cpu),
        errors: forked.iter().chain(&fresh).filter(|r| r.is_err()).count(),
        same: forked
            .iter()
            .zip(&fresh)
            .filter(|(a, b)| as_text(a) == as_text(b))
            .count(),
        not_forked,
        split,
        differ: mine
            .iter()
            .zip(forked.iter().zip(&fresh))
            .filter(|(_, (a, b))| as_text(a) != as_text(b))
            .map(|(s, _)| s.id.clone())
            .collect(),
    }
}

/// The Markdown table of measurements.
pub fn table(rows: &[Speed], slots: usize) -> String {
    let mut s = String::from(
        "| interpreter | scenarios | fork-isolated runs/s | fresh-process runs/s | speed-up | CPU ms/run forked | CPU ms/run fresh | same traces | errors |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} | {:.0} | {:.1}× | {:.2} | {:.2} | {}/{} | {} |",
            r.label,
            r.scenarios,
            r.forked_per_sec(),
            r.fresh_per_sec(),
            r.forked_per_sec() / r.fresh_per_sec().max(1e-9),
            r.forked_cpu_ms(),
            r.fresh_cpu_ms(),
            r.same,
            r.scenarios,
            r.errors
        );
    }
    s.push_str(
        "\nWhere a fork-isolated run's CPU goes (ms per run; system time in parentheses: the \
         server's is mostly forking, the children's copy-on-write page faults):\n\n\
         | interpreter | program text | compiler | fork server | children | reading traces |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        let l = &r.split;
        let ms = |d: Duration| 1000.0 * d.as_secs_f64() / r.forked.0.max(1) as f64;
        let _ = writeln!(
            s,
            "| {} | {:.2} | {:.2} | {:.2} ({:.2}) | {:.2} ({:.2}) | {:.2} |",
            r.label,
            ms(l.translate),
            ms(l.compiler),
            ms(l.server_user + l.server_system),
            ms(l.server_system),
            ms(l.children_user + l.children_system),
            ms(l.children_system),
            ms(l.parse),
        );
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let _ = writeln!(
        s,
        "\n{slots} run(s) at a time per interpreter, {cpus} CPU(s); interpreters measured one after the other."
    );
    for r in rows {
        if let Some(why) = &r.not_forked {
            let _ = writeln!(s, "{}: not fork-isolated: {why}", r.label);
        }
        if !r.differ.is_empty() {
            let _ = writeln!(
                s,
                "{}: forked and fresh traces differ: {}",
                r.label,
                r.differ.join(", ")
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabulates() {
        let r = Speed {
            label: "CPython 3.12.1 (/x)".into(),
            scenarios: 80,
            forked: (400, 0.5, 2.0),
            fresh: (80, 2.0, 1.0),
            errors: 0,
            same: 80,
            not_forked: None,
            split: ServerCpu {
                servers: 1,
                compiler: Duration::from_millis(400),
                server_system: Duration::from_millis(200),
                server_user: Duration::from_millis(100),
                ..ServerCpu::default()
            },
            differ: vec![],
        };
        let t = table(&[r], 2);
        assert!(
            t.contains(
                "| CPython 3.12.1 (/x) | 80 | 800 | 40 | 20.0× | 5.00 | 12.50 | 80/80 | 0 |"
            ),
            "{t}"
        );
        assert!(
            t.contains("| CPython 3.12.1 (/x) | 0.00 | 1.00 | 0.75 (0.50) | 0.00 (0.00) | 0.00 |"),
            "{t}"
        );
    }
}

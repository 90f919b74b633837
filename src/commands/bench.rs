//! `gcconform bench`: the three benchmark tables ([`crate::bench`]).

use crate::bench::{collector_table, corpus_table, throughput_table};
use crate::commands::Timeout;
use crate::service::load::load_scenarios;
use crate::service::{Context, ExitStatus};
use clap::Args;
use std::path::PathBuf;

/// The arguments of `gcconform bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Scenario files or directories for the throughput and whole-corpus tables.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Heap sizes (objects) for the collector table, each from 10 to 50,000,000.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000", value_parser = parse_heap_size)]
    pub sizes: Vec<usize>,
    /// Repetitions per measurement (the best is reported).
    #[arg(long, default_value_t = 3)]
    pub reps: usize,
    /// Skip the whole-corpus `run` timing.
    #[arg(long)]
    pub no_corpus: bool,
    /// Skip the cross-check throughput table (fork-isolated against fresh processes).
    #[arg(long)]
    pub no_throughput: bool,
    /// How many times the throughput table runs the corpus fork-isolated.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Skip the collector table.
    #[arg(long)]
    pub no_collector: bool,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// A benchmark heap size: at least one ring of 10, at most what fits in memory on both sides.
fn parse_heap_size(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of objects"))?;
    if !(10..=50_000_000).contains(&n) {
        return Err(format!(
            "a heap size is from 10 to 50000000 objects, not {n}"
        ));
    }
    Ok(n)
}

/// `gcconform bench`.
pub fn exec(ctx: &Context, args: &BenchArgs) -> anyhow::Result<ExitStatus> {
    // The scenarios are checked before anything is measured (the corpus table's `run` loads
    // them again in its own process).
    let scenarios = if !args.no_throughput || !args.no_corpus {
        let loaded = load_scenarios(&args.paths);
        if loaded.bad_input || loaded.scenarios.is_empty() {
            eprintln!("gcconform: bench: the scenarios do not load (see above)");
            return Ok(ExitStatus::BadInput);
        }
        loaded.scenarios
    } else {
        Vec::new()
    };
    if !args.no_collector {
        println!("## Collector: one full collection\n");
        print!("{}", collector_table(&args.sizes, args.reps.max(1)));
    }
    if !args.no_throughput {
        println!("\n## Cross-check throughput: scenario runs per second\n");
        print!(
            "{}",
            throughput_table(&scenarios, args.rounds.max(1), ctx.timeout)
        );
    }
    if !args.no_corpus {
        println!("\n## Whole corpus\n");
        print!("{}", corpus_table(&args.paths));
    }
    Ok(ExitStatus::Ok)
}

//! `gcconform fuzz`: random valid scenarios from a seed, the model (with its invariants)
//! against the interpreters, disagreements shrunk and saved (the campaign is [`crate::fuzz`]).

use crate::commands::Timeout;
use crate::fuzz::{
    Campaign, Mix, Shard, classify, draft, evaluate, load_draft, merge, merged_summary,
    scenario_path, shrink, summary, summary_json, write_shrunk,
};
use crate::scenario::schema::modeline;
use crate::service::select::{discover, select};
use crate::service::{Context, ExitStatus};
use crate::version::{Version, VersionSelection, version_list};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

/// `gcconform fuzz`'s arguments.
#[derive(Debug, Clone, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FuzzArgs {
    #[command(subcommand)]
    pub action: Option<FuzzAction>,
    /// The seed: the same seed always generates the same scenarios.
    #[arg(long, default_value = "0")]
    pub seed: u64,
    /// How many scenarios to generate.
    #[arg(long, default_value = "100")]
    pub count: usize,
    /// Which scenarios: `explicit` (automatic collection off, collections where a statement
    /// asks), `automatic` (automatic collection on under low and changing thresholds), or
    /// `mixed` (alternately one and the other).
    #[arg(long, value_name = "FLAVOR", default_value = "mixed")]
    pub flavor: FuzzFlavor,
    /// Check only shard K of N of the campaign (the scenarios whose number is K-1 modulo N),
    /// for one job of a CI matrix; `gcconform fuzz merge` combines the shards' JSON results.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Interpreters to check against: versions (`3.12`), ranges (`3.6-3.10`, `3.7+`), `all`
    /// (default), `none` (the model alone), or an interpreter's path; repeatable or
    /// comma-separated.
    #[arg(long, value_name = "VERSIONS|PATH")]
    pub python: Vec<String>,
    /// Where shrunk scenarios and their traces are written.
    #[arg(long, value_name = "DIR", default_value = "target/gcconform/fuzz")]
    pub out: PathBuf,
    /// Run only the model (and its invariants), no interpreter.
    #[arg(long)]
    pub model_only: bool,
    /// How many disagreements of each kind (per version) are shrunk and written.
    #[arg(long, value_name = "N", default_value = "2")]
    pub shrink_per_kind: usize,
    /// Print the generated scenario SEED:INDEX (the seed and the scenario's number in its
    /// campaign) instead of running a campaign; with --run, also check it.
    #[arg(long, value_name = "SEED:INDEX")]
    pub replay: Option<String>,
    /// With --replay: check the scenario (model with invariants against the interpreters).
    #[arg(long, requires = "replay")]
    pub run: bool,
    /// `text` (a summary) or `json` (every check and the summary, stable shape; see
    /// docs/formats.md).
    #[arg(long, value_name = "FORMAT", default_value = "text")]
    pub format: FuzzFormat,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// `gcconform fuzz merge`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum FuzzAction {
    /// Combine the JSON results (`--format json`) of every shard of one campaign
    /// (`--shard K/N`, same seed, flavour and count) into one result.
    Merge {
        /// The shards' JSON results, one file each.
        #[arg(required = true, value_name = "RESULTS")]
        files: Vec<PathBuf>,
        /// `text` (a summary) or `json` (the combined result, the shape of one run's).
        #[arg(long, value_name = "FORMAT", default_value = "text")]
        format: FuzzFormat,
    },
}

/// `--flavor`: which scenarios a campaign generates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FuzzFlavor {
    Explicit,
    Automatic,
    Mixed,
}

impl From<FuzzFlavor> for Mix {
    fn from(f: FuzzFlavor) -> Mix {
        match f {
            FuzzFlavor::Explicit => Mix::Explicit,
            FuzzFlavor::Automatic => Mix::Automatic,
            FuzzFlavor::Mixed => Mix::Mixed,
        }
    }
}

/// Output format of `gcconform fuzz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FuzzFormat {
    Text,
    Json,
}

/// `gcconform fuzz`: exit status 1 when something disagreed, 2 for bad arguments.
pub fn exec(ctx: &Context, args: &FuzzArgs) -> anyhow::Result<ExitStatus> {
    if let Some(FuzzAction::Merge { files, format }) = &args.action {
        return merge_results(files, *format);
    }
    let wanted = match VersionSelection::parse(&args.python, true) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("gcconform: --python: {e}");
            return Ok(ExitStatus::BadInput);
        }
    };
    // Printing a generated scenario needs no interpreter.
    if let (Some(spec), false) = (&args.replay, args.run) {
        return replay(
            spec,
            args.flavor.into(),
            false,
            Vec::new(),
            &BTreeMap::new(),
            ctx,
        );
    }
    let mut status = ExitStatus::Ok;
    let mut interps = BTreeMap::new();
    let versions: Vec<Version> = if args.model_only || wanted.none {
        if wanted.all || wanted.none {
            Version::ALL.to_vec()
        } else {
            wanted.versions.clone()
        }
    } else {
        let sel = select(&wanted, &discover());
        sel.report_problems();
        status |= ExitStatus::Interpreter.when(sel.failures());
        interps = sel.interps;
        if interps.is_empty() {
            eprintln!(
                "gcconform: no interpreter for the selected versions (see `gcconform \
                 interpreters`); use --model-only to check the model's invariants alone"
            );
            return Ok(ExitStatus::BadInput);
        }
        interps.keys().copied().collect()
    };
    if let Some(spec) = &args.replay {
        return replay(spec, args.flavor.into(), args.run, versions, &interps, ctx);
    }
    let c = Campaign {
        seed: args.seed,
        count: args.count,
        shard: args.shard,
        mix: args.flavor.into(),
        versions,
        interps,
        timeout: ctx.timeout,
        shrink_per_kind: args.shrink_per_kind,
        shrink_budget: shrink::DEFAULT_BUDGET,
    };
    let what = if c.interps.is_empty() {
        "model with invariants".to_string()
    } else {
        "model with invariants against CPython".to_string()
    };
    // Progress (and this header) only on a terminal, like `run`'s progress line.
    let show = std::io::stderr().is_terminal();
    if show {
        eprintln!(
            "fuzz: seed {}, {} {} scenarios, versions {}: {what}",
            c.seed,
            c.count,
            c.mix.name(),
            version_list(&c.versions)
        );
    }
    // Panics are caught and reported as findings; keep the default hook from printing each.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let res = c.run(&|m| {
        if show {
            eprintln!("fuzz: {m}");
        }
    });
    std::panic::set_hook(hook);
    let written = match write_shrunk(&c, &res.shrunk, &args.out) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("gcconform: writing to {}: {e}", args.out.display());
            return Ok(ExitStatus::BadInput);
        }
    };
    match args.format {
        FuzzFormat::Text => print!("{}", summary(&c, &res, &written, started.elapsed())),
        FuzzFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&summary_json(&c, &res, &written))
                .expect("JSON serializes")
        ),
    }
    Ok(status | ExitStatus::Disagree.when(res.unexplained() > 0 || !res.invalid.is_empty()))
}

/// `--replay SEED:INDEX [--run]`: print one generated scenario, and with `--run` check it on
/// every selected version (its classification per version; exit 1 if any disagrees).
fn replay(
    spec: &str,
    mix: Mix,
    run: bool,
    versions: Vec<Version>,
    interps: &BTreeMap<Version, crate::runner::Interpreter>,
    ctx: &Context,
) -> anyhow::Result<ExitStatus> {
    let parsed = spec.split_once(':').and_then(|(s, i)| {
        Some((
            s.trim().parse::<u64>().ok()?,
            i.trim().parse::<usize>().ok()?,
        ))
    });
    let Some((seed, index)) = parsed else {
        eprintln!("gcconform: --replay {spec}: expected SEED:INDEX, two numbers (`7:12`)");
        return Ok(ExitStatus::BadInput);
    };
    let d = draft(seed, index, mix);
    print!(
        "{}{}",
        modeline(2),
        d.to_yaml(&format!(
            "gcconform fuzz --seed {seed} --flavor {}: scenario {index}",
            mix.name()
        ))
    );
    if !run {
        return Ok(ExitStatus::Ok);
    }
    let sc = match load_draft(&d, &scenario_path(seed, index)) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("gcconform: the generated scenario does not load (a generator bug): {e}");
            return Ok(ExitStatus::Disagree);
        }
    };
    let mut status = ExitStatus::Ok;
    for v in versions.into_iter().filter(|v| sc.applies_to(*v)) {
        let o = evaluate(&sc, v, interps.get(&v), ctx.timeout);
        let verdict = match classify(&sc, v, &o) {
            None if o.python.is_none() => "model invariants hold".to_string(),
            None => "agree".to_string(),
            Some(k) => {
                status |= ExitStatus::Disagree.when(!k.is_known());
                k.to_string()
            }
        };
        eprintln!("fuzz: {seed}:{index} under {v}: {verdict}");
    }
    Ok(status)
}

/// `gcconform fuzz merge RESULTS…`: exit 1 when the combined campaign has a disagreement no
/// known difference explains (or a generator bug), 2 when the files are not the shards of one
/// campaign.
fn merge_results(files: &[PathBuf], format: FuzzFormat) -> anyhow::Result<ExitStatus> {
    let mut results = Vec::new();
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("gcconform: {}: {e}", f.display());
                return Ok(ExitStatus::BadInput);
            }
        };
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => results.push((f.display().to_string(), v)),
            Err(e) => {
                eprintln!(
                    "gcconform: {}:{}:{}: not JSON: {e}",
                    f.display(),
                    e.line(),
                    e.column()
                );
                return Ok(ExitStatus::BadInput);
            }
        }
    }
    let merged = match merge(&results) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("gcconform: fuzz merge: {e}");
            return Ok(ExitStatus::BadInput);
        }
    };
    match format {
        FuzzFormat::Text => print!("{}", merged_summary(&merged)),
        FuzzFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&merged).expect("JSON serializes")
        ),
    }
    let bad = merged["disagree"].as_u64().unwrap_or(0) > 0
        || merged["invalid"].as_array().is_some_and(|v| !v.is_empty());
    Ok(ExitStatus::Disagree.when(bad))
}

//! `gcconform trace`: a scenario's trace, from the model or from a real interpreter.

use crate::compare::output::print_grouped;
use crate::runner::{self, Interpreter};
use crate::service::engine::{model_trace, python_trace};
use crate::service::load::load_one;
use crate::service::select::{discover, per_version};
use crate::service::{Context, ExitStatus};
use crate::util::guarded;
use crate::util::term::parallel_map;
use crate::version::{Version, version_list};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The arguments of `gcconform trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The scenario file.
    pub file: PathBuf,
    #[command(flatten)]
    pub source: TraceSource,
}

/// Where `trace` takes its trace from.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TraceSource {
    /// The model of this CPython version (`3.12`), or `all` applicable versions.
    #[arg(long, value_name = "VERSION|all", value_parser = parse_model_spec)]
    pub model: Option<ModelSpec>,
    /// A real interpreter: a version (`3.12`), `all` installed ones, or a path.
    #[arg(long, value_name = "VERSION|PATH|all")]
    pub python: Option<String>,
}

/// `--model`'s argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelSpec {
    One(Version),
    All,
}

fn parse_model_spec(s: &str) -> Result<ModelSpec, String> {
    if s == "all" {
        return Ok(ModelSpec::All);
    }
    s.parse().map(ModelSpec::One).map_err(|e| format!("{e}"))
}

/// `gcconform trace`.
pub fn exec(ctx: &Context, args: &TraceArgs) -> anyhow::Result<ExitStatus> {
    let s = match load_one(&args.file) {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    let note_inapplicable = |v: Version| {
        if !s.applies_to(v) {
            eprintln!(
                "gcconform: note: {} does not apply to {v} (its versions: list); tracing anyway",
                s.id
            );
        }
    };
    match (args.source.model, args.source.python.as_deref()) {
        (Some(ModelSpec::One(v)), _) => {
            note_inapplicable(v);
            match model_trace(&s, v) {
                Ok(t) => {
                    print!("{}", t.to_text());
                    Ok(ExitStatus::Ok)
                }
                Err(e) => {
                    eprintln!("gcconform: {e}");
                    Ok(ExitStatus::Disagree)
                }
            }
        }
        (Some(ModelSpec::All), _) => {
            let versions = s.applicable_versions();
            let results = parallel_map(&versions, |v| model_trace(&s, *v));
            let mut traces = BTreeMap::new();
            let mut failed = false;
            for (v, r) in versions.iter().zip(results) {
                match r {
                    Ok(t) => {
                        traces.insert(*v, t);
                    }
                    Err(e) => {
                        eprintln!("gcconform: {v}: {e}");
                        failed = true;
                    }
                }
            }
            print_grouped(&traces, &BTreeMap::new());
            Ok(ExitStatus::Disagree.when(failed))
        }
        (None, Some("all")) => {
            let (found, missing) = per_version(&discover());
            let runs: Vec<(Version, Interpreter)> = found
                .into_iter()
                .filter(|(v, _)| s.applies_to(*v))
                .collect();
            if runs.is_empty() {
                eprintln!(
                    "gcconform: no installed interpreter for any version {} applies to",
                    s.id
                );
                return Ok(ExitStatus::BadInput);
            }
            let results = parallel_map(&runs, |(_, i)| python_trace(i, &s, ctx.timeout));
            let mut traces = BTreeMap::new();
            let mut labels = BTreeMap::new();
            let mut failed = false;
            for ((v, i), r) in runs.iter().zip(results) {
                match r {
                    Ok(t) => {
                        traces.insert(*v, t);
                        labels.insert(*v, i.label());
                    }
                    Err(e) => {
                        eprintln!("gcconform: {v}: {e}");
                        failed = true;
                    }
                }
            }
            let missing: Vec<Version> = missing.into_iter().filter(|v| s.applies_to(*v)).collect();
            if !missing.is_empty() {
                eprintln!("gcconform: no interpreter for {}", version_list(&missing));
            }
            print_grouped(&traces, &labels);
            Ok(ExitStatus::Interpreter.when(failed))
        }
        (None, Some(spec)) => {
            let interp = match guarded(|| runner::resolve(spec)) {
                Ok(Ok(i)) => i,
                Ok(Err(e)) => {
                    eprintln!("gcconform: --python {spec}: {e}");
                    return Ok(ExitStatus::BadInput);
                }
                Err(p) => anyhow::bail!("resolving --python {spec}: {p}"),
            };
            if let Some(v) = interp.version {
                note_inapplicable(v);
            }
            match python_trace(&interp, &s, ctx.timeout) {
                Ok(t) => {
                    print!("{}", t.to_text());
                    Ok(ExitStatus::Ok)
                }
                Err(e) => {
                    eprintln!("gcconform: {}: {e}", interp.label());
                    Ok(ExitStatus::Interpreter)
                }
            }
        }
        (None, None) => anyhow::bail!("give --model VERSION or --python VERSION|PATH"),
    }
}

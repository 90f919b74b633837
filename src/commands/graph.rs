//! `gcconform graph`: draw the model's heap before and after each collection (or around one
//! statement), as Graphviz DOT or SVG, marking where CPython disagrees (the pictures are made by
//! [`crate::graph`]).

use crate::commands::{ExpectedDir, Timeout};
use crate::expected;
use crate::graph::{At, GraphFormat, Reference, dot_available, render, to_svg};
use crate::runner;
use crate::scenario::Scenario;
use crate::service::engine::python_trace;
use crate::service::load::load_one;
use crate::service::select::discover;
use crate::service::{Context, ExitStatus};
use crate::version::Version;
use clap::Args;
use std::path::{Path, PathBuf};

/// The arguments of `gcconform graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The model version to draw (`3.12`).
    #[arg(long, value_name = "VERSION")]
    pub model: Version,
    /// Draw only around this top-level statement: its 1-based index among the steps, or
    /// `line:N` for the statement on line N. Default: around every collection.
    #[arg(long, value_name = "STEP|line:N")]
    pub at: Option<At>,
    /// `dot` (Graphviz source) or `svg` (rendered with Graphviz's `dot`). Default: `svg` when
    /// --output ends in `.svg`, else `dot`.
    #[arg(long, value_enum)]
    pub format: Option<GraphFormat>,
    /// Write the picture to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Mark the objects whose fate differs from this interpreter's trace (a version or a
    /// path). Default: the installed CPython of the model's version, else the trace recorded
    /// in expected/.
    #[arg(long, value_name = "VERSION|PATH")]
    pub python: Option<String>,
    /// Run no interpreter: compare with the trace recorded in expected/ only.
    #[arg(long, conflicts_with = "python")]
    pub no_live: bool,
    #[command(flatten)]
    pub expected: ExpectedDir,
    #[command(flatten)]
    pub timeout: Timeout,
}

fn reference_for(
    ctx: &Context,
    args: &GraphArgs,
    sc: &Scenario,
) -> Result<Option<Reference>, ExitStatus> {
    let live = |i: &runner::Interpreter| -> Result<Reference, String> {
        let t = python_trace(i, sc, ctx.timeout)?;
        Ok(Reference {
            name: i.label(),
            source: format!("live, {}", i.path.display()),
            trace: t,
        })
    };
    if let Some(spec) = &args.python {
        let i = match crate::util::guarded(|| runner::resolve(spec)) {
            Ok(Ok(i)) => i,
            Ok(Err(e)) => {
                eprintln!("gcconform: --python {spec}: {e}");
                return Err(ExitStatus::BadInput);
            }
            Err(p) => {
                eprintln!("gcconform: resolving --python {spec}: {p}");
                return Err(ExitStatus::BadInput);
            }
        };
        if i.version != Some(args.model) {
            eprintln!(
                "gcconform: warning: comparing the model of {} with {} ({})",
                args.model,
                i.label(),
                i.path.display()
            );
        }
        return match live(&i) {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                eprintln!("gcconform: {e}");
                Err(ExitStatus::Disagree)
            }
        };
    }
    if !args.no_live {
        let d = discover();
        if let Some(i) = d.get(args.model).filter(|i| i.is_cpython()) {
            match live(i) {
                Ok(r) => return Ok(Some(r)),
                Err(e) => eprintln!("gcconform: warning: {e}; comparing with expected/ instead"),
            }
        }
    }
    let path = ctx.expected_path(sc);
    match expected::read(&path) {
        Ok(Some(f)) => Ok(f.blocks.get(&args.model).map(|t| Reference {
            name: f
                .releases
                .get(&args.model)
                .cloned()
                .unwrap_or_else(|| format!("CPython {}", args.model)),
            source: format!("recorded in {}", path.display()),
            trace: t.clone(),
        })),
        Ok(None) => Ok(None),
        Err(e) => {
            eprintln!("gcconform: warning: {e}");
            Ok(None)
        }
    }
}

/// `gcconform graph`.
pub fn exec(ctx: &Context, args: &GraphArgs) -> anyhow::Result<ExitStatus> {
    let sc = match load_one(&args.file) {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    if !sc.applies_to(args.model) {
        eprintln!(
            "{}: the scenario does not apply to {} (its versions: list)",
            args.file.display(),
            args.model
        );
        return Ok(ExitStatus::BadInput);
    }
    if let Some(at) = args.at
        && let Err(e) = at.resolve(&sc)
    {
        eprintln!("gcconform: {e}");
        return Ok(ExitStatus::BadInput);
    }
    let format = args.format.unwrap_or_else(|| {
        match args
            .output
            .as_deref()
            .and_then(Path::extension)
            .and_then(|e| e.to_str())
        {
            Some(e) if e.eq_ignore_ascii_case("svg") => GraphFormat::Svg,
            _ => GraphFormat::Dot,
        }
    });
    if format == GraphFormat::Svg && !dot_available() {
        eprintln!(
            "gcconform: --format svg needs Graphviz's `dot`, which is not installed \
             (Debian: apt-get install graphviz); --format dot writes the DOT source"
        );
        return Ok(ExitStatus::BadInput);
    }
    let reference = match reference_for(ctx, args, &sc) {
        Ok(r) => r,
        Err(status) => return Ok(status),
    };
    let rendered = match render(&sc, args.model, args.at, reference.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitStatus::BadInput);
        }
    };
    let text = match format {
        GraphFormat::Dot => rendered.dot.clone(),
        GraphFormat::Svg => match to_svg(&rendered.dot) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("gcconform: {e}");
                return Ok(ExitStatus::BadInput);
            }
        },
    };
    match &args.output {
        Some(p) => crate::util::fs::write_atomic(p, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", p.display()))?,
        None => print!("{text}"),
    }
    for m in &rendered.mismatches {
        eprintln!("gcconform: graph: {m}");
    }
    let compared = match &reference {
        Some(r) => format!("compared with {} ({})", r.name, r.source),
        None => "no CPython trace to compare with".to_string(),
    };
    eprintln!(
        "gcconform: graph: {} statement(s) drawn{}; {compared}; {} fate(s) differ",
        rendered.snapshots,
        args.output
            .as_ref()
            .map(|p| format!(" to {}", p.display()))
            .unwrap_or_default(),
        rendered.mismatches.len()
    );
    Ok(ExitStatus::Disagree.when(!rendered.mismatches.is_empty()))
}

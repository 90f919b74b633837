//! `gcconform matrix`: scenarios × versions, whether the model and real CPython agree with
//! `expected/`, and which versions behave alike (the work is in [`crate::matrix`]).

use crate::compare::xfail::Xfail;
use crate::matrix::{DEFAULT_XFAIL, Options, build, render_json, render_markdown};
use crate::runner::Interpreter;
use crate::service::load::load_scenarios;
use crate::service::select::{discover, select};
use crate::service::{Context, ExitStatus};
use crate::version::{Version, version_list};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The arguments of `gcconform matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Markdown for people, or JSON (stable shape) for tools.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
    /// Compare only the model with expected/; run no interpreter (fast, deterministic).
    #[arg(long)]
    pub no_live: bool,
    /// Write the matrix to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The expected-failure list.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_XFAIL)]
    pub xfail: PathBuf,
}

/// Output format of `gcconform matrix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

/// `gcconform matrix`.
pub fn exec(ctx: &Context, args: &MatrixArgs) -> anyhow::Result<ExitStatus> {
    let loaded = load_scenarios(&args.paths);
    let mut bad_input = loaded.bad_input;
    let scenarios = loaded.scenarios;
    if scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to put in the matrix");
        return Ok(ExitStatus::BadInput);
    }
    let xfail = match Xfail::load(&args.xfail) {
        Ok(x) => x,
        Err(es) => {
            for e in es {
                eprintln!("gcconform: {e}");
            }
            bad_input = true;
            Xfail::default()
        }
    };
    let mut interpreter_failed = false;
    let interps: Option<BTreeMap<Version, Interpreter>> = (!args.no_live).then(|| {
        let mut sel = select(&[], &discover());
        sel.report_problems();
        interpreter_failed = !sel.failed.is_empty();
        sel.cpython_only();
        if !sel.missing.is_empty() {
            eprintln!(
                "gcconform: no CPython interpreter for {}: not checked live",
                version_list(&sel.missing)
            );
        }
        sel.interps
    });
    let xfail_file = args.xfail.to_string_lossy();
    let opts = Options {
        expected_dir: &ctx.expected,
        xfail: &xfail,
        xfail_file: &xfail_file,
        live: interps.as_ref(),
        timeout: ctx.timeout,
    };
    let (matrix, problems) = build(&scenarios, &opts);
    for p in &problems {
        eprintln!("{p}");
    }
    bad_input |= !problems.is_empty();
    let text = match args.format {
        Format::Markdown => render_markdown(&matrix),
        Format::Json => render_json(&matrix),
    };
    match &args.output {
        Some(path) => crate::util::fs::write_atomic(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    let t = &matrix.total;
    eprintln!(
        "gcconform: matrix: {} pairs: {} agree, {} expected failures, {} fail{}",
        t.pairs,
        t.agree,
        t.xfail,
        t.fail,
        if bad_input {
            "; some input could not be loaded (see above)"
        } else {
            ""
        }
    );
    Ok(ExitStatus::BadInput.when(bad_input)
        | ExitStatus::Interpreter.when(interpreter_failed)
        | ExitStatus::Disagree.when(matrix.failures() > 0))
}

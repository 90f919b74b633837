//! `gcconform matrix`: scenarios × versions, whether the model and real CPython agree with
//! `expected/`, and which versions behave alike (the work is in [`crate::matrix`]).

use crate::commands::Selectors;
use crate::commands::{ExpectedDir, Timeout};
use crate::compare::xfail::Xfail;
use crate::matrix::{DEFAULT_XFAIL, Options, build, render_json, render_junit, render_markdown};
use crate::portability::{Other, Outcome, check};
use crate::runner::{Interpreter, resolve};
use crate::service::select::{select_model, select_python};
use crate::service::{Context, ExitStatus};
use crate::util::term::parallel_map_progress;
use crate::version::{Version, VersionSelection, version_list};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The arguments of `gcconform matrix`.
#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[command(flatten)]
    pub select: Selectors,
    /// `markdown` for people, `json` (stable shape; see docs/formats.md) for tools, `junit`
    /// (JUnit XML, one test case per scenario × version × side) for CI systems, or `html` (one
    /// self-contained page; each cell opens its traces and diffs).
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
    /// Compare only the model with expected/; run no interpreter (fast, deterministic; the
    /// same as `--python none`).
    #[arg(long)]
    pub no_live: bool,
    /// Write the matrix to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Another implementation (PyPy: `--other pypy3`) as a column of its own: for each
    /// scenario, `gcconform portability`'s verdict against the expected/ block of its
    /// major.minor; repeatable.
    #[arg(long, value_name = "PATH")]
    pub other: Vec<String>,
    /// The expected-failure list.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_XFAIL)]
    pub xfail: PathBuf,
    #[command(flatten)]
    pub expected: ExpectedDir,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// Output format of `gcconform matrix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Json,
    Junit,
    // One self-contained page: cells coloured by agreement and behaviour group, each opening
    // its traces and diffs (a plain comment: clap would list doc comments as possible values).
    Html,
}

/// `gcconform matrix`.
pub fn exec(ctx: &Context, args: &MatrixArgs) -> anyhow::Result<ExitStatus> {
    let loaded = args.select.load();
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
    let models = match select_model(&args.select.model) {
        Ok(m) => m,
        Err(status) => return Ok(status),
    };
    let versions = models.selected();
    if versions.is_empty() {
        eprintln!(
            "gcconform: matrix: --model none leaves nothing to show (the matrix compares the model \
             with expected/; --no-live or --python none leaves out the interpreters instead)"
        );
        return Ok(ExitStatus::BadInput);
    }
    let live_off =
        args.no_live || VersionSelection::parse(&args.select.python, true).is_ok_and(|p| p.none);
    let mut interpreter_failed = false;
    let interps: Option<BTreeMap<Version, Interpreter>> = if live_off {
        None
    } else {
        let mut sel = match select_python(&args.select.python) {
            Ok(s) => s,
            Err(status) => return Ok(status),
        };
        interpreter_failed = sel.failures();
        sel.cpython_only();
        let missing: Vec<Version> = sel
            .missing
            .iter()
            .copied()
            .filter(|v| versions.contains(v))
            .collect();
        if !missing.is_empty() {
            eprintln!(
                "gcconform: no CPython interpreter for {}: not checked live",
                version_list(&missing)
            );
        }
        Some(sel.interps)
    };
    let mut others = Vec::new();
    for spec in &args.other {
        // A CPython build no profile models: which modelled versions it behaves like.
        if let Ok(i) = resolve(spec)
            && crate::matrix::unmodelled::is_unmodelled_cpython(&i)
        {
            let col = crate::matrix::unmodelled::column(&i, &scenarios, &ctx.expected, ctx.timeout);
            eprintln!("gcconform: {}", col.summary);
            // A scenario that raises under it is a verdict of its column (`failed`); only a
            // build that runs nothing is an interpreter failure.
            interpreter_failed |= col.failed && !col.cells.values().any(|v| v != "failed");
            others.push((col.label, col.cells));
            continue;
        }
        let other = match resolve(spec).and_then(|i| Other::probe(i, ctx.timeout)) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("gcconform: --other {spec}: {e}");
                interpreter_failed = true;
                continue;
            }
        };
        let verdicts = parallel_map_progress(&other.label(), &scenarios, |s| {
            check(s, &other, &ctx.expected, ctx.timeout)
        });
        interpreter_failed |= verdicts.iter().any(|o| matches!(o, Outcome::Failed(_)));
        let cells: BTreeMap<String, String> = scenarios
            .iter()
            .zip(&verdicts)
            .map(|(s, o)| (s.id.clone(), o.verdict().to_string()))
            .collect();
        others.push((other.label(), cells));
    }
    let xfail_file = args.xfail.to_string_lossy();
    let opts = Options {
        expected_dir: &ctx.expected,
        versions: &versions,
        xfail: &xfail,
        xfail_file: &xfail_file,
        live: interps.as_ref(),
        timeout: ctx.timeout,
        others: &others,
    };
    let (matrix, problems) = build(&scenarios, &opts);
    for p in &problems {
        eprintln!("{p}");
    }
    bad_input |= !problems.is_empty();
    let text = match args.format {
        Format::Markdown => render_markdown(&matrix),
        Format::Json => render_json(&matrix),
        Format::Junit => render_junit(&matrix),
        Format::Html => crate::matrix::render_html(&matrix),
    };
    match &args.output {
        Some(path) => crate::util::fs::write_atomic(path, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    let t = &matrix.total;
    eprintln!(
        "gcconform: matrix: {} pair{}: {} agree, {} expected failures, {} fail{}",
        t.pairs,
        if t.pairs == 1 { "" } else { "s" },
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

//! The `gcconform` command line: parse the arguments, dispatch to the command's file under
//! [`crate::commands`], exit with its status. Nothing else lives here.
//!
//! Exit codes (every subcommand; the rule is [`ExitStatus`]): 0 everything agreed / succeeded,
//! 1 some check disagreed (or the model failed), 2 bad input (scenario files that do not load,
//! unknown paths or versions, malformed expected files, `bless` under CI) or the job could not
//! be done at all, 3 an interpreter failed (timed out, crashed, printed no valid trace, or was
//! asked for explicitly and is missing). When several apply: 2, then 3, then 1.

use crate::commands::{
    bench, bless, diff, explain, fuzz, graph, interpreters, matrix, new, portability, run, schema,
    speed, trace, translate,
};
use crate::service::context::DEFAULT_EXPECTED;
use crate::service::{Context, ExitStatus};
use clap::{Parser, Subcommand};
use std::time::Duration;

/// Checks, version by version, what CPython's garbage collector does: a Rust model and real
/// interpreters against traces recorded in expected/.
#[derive(Debug, Parser)]
#[command(name = "gcconform", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, in the order `--help` lists them: the workflow first.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the model and every installed interpreter against expected/.
    Run(run::RunArgs),
    /// Write a new scenario file to start from.
    New(new::NewArgs),
    /// Compare the model with every installed interpreter directly (no expected/), and show
    /// what each CPython version does.
    Diff(diff::DiffArgs),
    /// Record expected/ from every installed CPython interpreter (never from the model).
    Bless(bless::BlessArgs),
    /// Print a scenario's trace, from the model or from a real interpreter.
    Trace(trace::TraceArgs),
    /// Narrate, from the model's own decisions, what each collection did and why every object
    /// was freed or is still alive.
    Explain(explain::ExplainArgs),
    /// Draw the model's heap before and after each collection (or around one statement):
    /// objects, references, cycles, fates, and where CPython disagrees (DOT or SVG).
    Graph(graph::GraphArgs),
    /// Scenarios × versions: whether the model and real CPython agree with expected/, and which
    /// versions behave alike (Markdown, JSON, JUnit or an HTML page).
    Matrix(matrix::MatrixArgs),
    /// For each scenario: does another implementation (PyPy) keep the promises of CPython's
    /// trace, and which CPython details does the scenario rely on (line by line)?
    Portability(portability::PortabilityArgs),
    /// Generate random valid scenarios from a seed, compare the model (with its invariants)
    /// with the interpreters, and shrink and save every kind of disagreement.
    Fuzz(fuzz::FuzzArgs),
    /// Print the Python program that stands for a scenario.
    Translate(translate::TranslateArgs),
    /// List the interpreters found and the versions that have none.
    Interpreters,
    /// Benchmarks: the model's collector against CPython on the same heaps, and corpus wall time.
    Bench(bench::BenchArgs),
    /// Scenario runs per second per interpreter: fork-isolated against one fresh process per
    /// scenario.
    Speed(speed::SpeedArgs),
    /// Print (or write) the JSON Schema of scenario files (docs/scenario.schema.json).
    Schema(schema::SchemaArgs),
}

impl Command {
    /// The context the command runs in: its `--expected` and `--timeout`, where it has them.
    pub fn context(&self) -> Context {
        let (expected, timeout) = match self {
            Command::Run(a) => (Some(&a.expected), Some(&a.timeout)),
            Command::Bless(a) => (Some(&a.expected), Some(&a.timeout)),
            Command::Matrix(a) => (Some(&a.expected), Some(&a.timeout)),
            Command::Portability(a) => (Some(&a.expected), Some(&a.timeout)),
            Command::Graph(a) => (Some(&a.expected), Some(&a.timeout)),
            Command::Diff(a) => (None, Some(&a.timeout)),
            Command::Trace(a) => (None, Some(&a.timeout)),
            Command::Fuzz(a) => (None, Some(&a.timeout)),
            Command::Speed(a) => (None, Some(&a.timeout)),
            Command::Bench(a) => (None, Some(&a.timeout)),
            Command::New(_)
            | Command::Explain(_)
            | Command::Translate(_)
            | Command::Interpreters
            | Command::Schema(_) => (None, None),
        };
        Context::cli(
            expected.map_or_else(|| DEFAULT_EXPECTED.into(), |e| e.expected.clone()),
            timeout.map_or(DEFAULT_TIMEOUT, |t| t.timeout),
        )
    }
}

/// The timeout of commands that have no `--timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Entry point of the binary: parse arguments, run, exit with the documented code.
pub fn main() -> ! {
    // Behave like other command-line tools when the reader of a pipe goes away.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let status = match run_cli(&cli) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("gcconform: error: {e:#}");
            ExitStatus::BadInput
        }
    };
    std::process::exit(status.code())
}

/// Run a parsed command line.
pub fn run_cli(cli: &Cli) -> anyhow::Result<ExitStatus> {
    let ctx = cli.command.context();
    match &cli.command {
        Command::New(a) => new::exec(&ctx, a),
        Command::Trace(a) => trace::exec(&ctx, a),
        Command::Translate(a) => translate::exec(&ctx, a),
        Command::Run(a) => run::exec(&ctx, a),
        Command::Diff(a) => diff::exec(&ctx, a),
        Command::Bless(a) => bless::exec(&ctx, a),
        Command::Interpreters => interpreters::exec(&ctx),
        Command::Fuzz(a) => fuzz::exec(&ctx, a),
        Command::Matrix(a) => matrix::exec(&ctx, a),
        Command::Portability(a) => portability::exec(&ctx, a),
        Command::Graph(a) => graph::exec(&ctx, a),
        Command::Schema(a) => schema::exec(&ctx, a),
        Command::Bench(a) => bench::exec(&ctx, a),
        Command::Speed(a) => speed::exec(&ctx, a),
        Command::Explain(a) => explain::exec(&ctx, a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::trace::{TraceArgs, TraceSource};
    use clap::CommandFactory;
    use std::path::PathBuf;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("gcconform").chain(args.iter().copied()))
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_subcommands_and_defaults() {
        let c = parse(&["run"]).unwrap();
        assert_eq!(c.command.context().expected, PathBuf::from("expected"));
        assert_eq!(c.command.context().timeout, Duration::from_secs(10));
        assert!(
            matches!(&c.command, Command::Run(a) if a.select.scenarios.paths == [PathBuf::from("scenarios")])
        );

        let c = parse(&["diff", "a.yaml", "dir", "--timeout", "2.5"]).unwrap();
        assert_eq!(c.command.context().timeout, Duration::from_millis(2500));
        assert!(matches!(&c.command, Command::Diff(a) if a.select.scenarios.paths.len() == 2));

        let c = parse(&["trace", "x.yaml", "--model", "3.12"]).unwrap();
        assert!(matches!(
            &c.command,
            Command::Trace(TraceArgs {
                source: TraceSource { model, python },
                ..
            }) if model == &["3.12"] && python.is_empty()
        ));
        let c = parse(&["trace", "x.yaml", "--model", "all"]).unwrap();
        assert!(matches!(
            &c.command,
            Command::Trace(TraceArgs {
                source: TraceSource { model, .. },
                ..
            }) if model == &["all"]
        ));
        let c = parse(&["trace", "x.yaml", "--python", "/usr/bin/pypy3"]).unwrap();
        assert!(
            matches!(&c.command, Command::Trace(TraceArgs { source: TraceSource { python, .. }, .. }) if python == &["/usr/bin/pypy3"])
        );
        assert!(matches!(
            parse(&["bless"]).unwrap().command,
            Command::Bless(_)
        ));
        assert!(matches!(
            parse(&["interpreters"]).unwrap().command,
            Command::Interpreters
        ));
        assert!(matches!(
            parse(&["translate", "x.yaml"]).unwrap().command,
            Command::Translate(_)
        ));
    }

    #[test]
    fn rejects_bad_arguments_with_exit_code_2() {
        for args in [
            vec!["trace", "x.yaml"],
            vec!["trace", "x.yaml", "--model", "3.12", "--python", "3.12"],
            vec!["run", "--timeout", "0"],
            vec!["run", "--timeout", "-1"],
            vec!["run", "--timeout", "soon"],
            vec!["translate"],
            vec!["frobnicate"],
        ] {
            let e = parse(&args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        }
    }

    #[test]
    fn parses_the_matrix_subcommand() {
        let c = Cli::try_parse_from(["gcconform", "matrix"]).unwrap();
        let Command::Matrix(a) = &c.command else {
            panic!("{c:?}")
        };
        assert_eq!(a.select.scenarios.paths, [PathBuf::from("scenarios")]);
        assert_eq!(a.format, crate::commands::matrix::Format::Markdown);
        assert!(!a.no_live && a.output.is_none());
        assert_eq!(a.xfail, PathBuf::from(crate::matrix::DEFAULT_XFAIL));
        let c = Cli::try_parse_from([
            "gcconform",
            "matrix",
            "a",
            "b",
            "--format",
            "json",
            "--no-live",
            "-o",
            "m.json",
        ])
        .unwrap();
        let Command::Matrix(a) = &c.command else {
            panic!()
        };
        assert_eq!(a.select.scenarios.paths.len(), 2);
        assert_eq!(a.format, crate::commands::matrix::Format::Json);
        assert!(a.no_live);
        assert_eq!(a.output.as_deref(), Some(std::path::Path::new("m.json")));
        assert!(Cli::try_parse_from(["gcconform", "matrix", "--format", "pdf"]).is_err());
    }

    #[test]
    fn parses_the_fuzz_subcommand() {
        let c = Cli::try_parse_from([
            "gcconform",
            "fuzz",
            "--seed",
            "3",
            "--count",
            "5",
            "--model-only",
        ])
        .unwrap();
        let Command::Fuzz(a) = c.command else {
            panic!("not fuzz")
        };
        assert_eq!((a.seed, a.count, a.model_only), (3, 5, true));
        assert!(a.python.is_empty());
        assert_eq!(a.out, PathBuf::from("target/gcconform/fuzz"));
    }
}

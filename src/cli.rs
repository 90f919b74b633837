//! The `gcconform` command line: a thin layer over the library.
//!
//! Exit codes (every subcommand): 0 everything agreed / succeeded, 1 some check disagreed (or
//! the model failed), 2 bad input (scenario files that do not load, unknown paths or versions,
//! malformed expected files, `bless` under CI) or the job could not be done at all, 3 an
//! interpreter failed (timed out, crashed, printed no valid trace, or was asked for explicitly
//! and is missing). When several apply: 2, then 3, then 1.

use crate::compare::check::{self, Check};
use crate::expected::{self, ExpectedFile};
use crate::runner::{self, Discovery, Interpreter};
use crate::scenario::{self, Scenario};
use crate::trace::Trace;
use crate::trace::group::{version_groups, version_matrix};
use crate::util::guarded;
use crate::util::term::parallel_map;
use crate::version::Version;
use crate::version::version_list;
use crate::{model, runner::RunError};
use clap::{Args, Parser, Subcommand};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every check agreed, every run succeeded.
pub const EXIT_OK: i32 = 0;
/// Some check disagreed or some run failed.
pub const EXIT_DISAGREE: i32 = 1;
/// Bad input, or the job could not be done.
pub const EXIT_BAD_INPUT: i32 = 2;
/// An interpreter failed: timeout, crash, no valid trace, or missing though asked for.
pub const EXIT_INTERPRETER: i32 = 3;

/// How messages name the command that records expected traces.
const PROGRAM: &str = "gcconform";
const DEFAULT_EXPECTED: &str = "expected";

/// Checks, version by version, what CPython's garbage collector does: a Rust model and real
/// interpreters against traces recorded in expected/.
#[derive(Debug, Parser)]
#[command(name = "gcconform", version, about, max_term_width = 100)]
pub struct Cli {
    /// Directory of recorded traces.
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_EXPECTED)]
    pub expected: PathBuf,
    /// Seconds an interpreter may run one scenario before it is killed.
    #[arg(long, global = true, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a scenario's trace, from the model or from a real interpreter.
    Trace {
        /// The scenario file.
        file: PathBuf,
        #[command(flatten)]
        source: TraceSource,
    },
    /// Print the Python program that stands for a scenario.
    Translate {
        /// The scenario file.
        file: PathBuf,
    },
    /// Check the model and every installed interpreter against expected/.
    Run {
        /// Scenario files or directories.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// `text` (FAIL lines and a summary) or `json` (every check; see README).
        #[arg(long, value_enum, default_value_t)]
        format: crate::output::RunFormat,
        /// Only these interpreters: a version (`3.12`), a CPython path, or `all` (repeatable).
        #[arg(long, value_name = "VERSION|PATH|all")]
        python: Vec<String>,
    },
    /// Compare the model with every installed interpreter directly (no expected/).
    Diff {
        /// Scenario files or directories.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// Only these interpreters: a version (`3.12`), a CPython path, or `all` (repeatable).
        #[arg(long, value_name = "VERSION|PATH|all")]
        python: Vec<String>,
    },
    /// Record expected/ from every installed CPython interpreter (never from the model).
    Bless {
        /// Scenario files or directories.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
    },
    /// List the interpreters found and the versions that have none.
    Interpreters,
    /// Generate random valid scenarios from a seed, compare the model (with its invariants)
    /// with the interpreters, and shrink and save every kind of disagreement.
    Fuzz(crate::fuzz::FuzzArgs),
    /// Scenarios × versions: whether the model and real CPython agree with expected/, and which
    /// versions behave alike (Markdown or JSON).
    Matrix(crate::matrix::MatrixArgs),
    /// Draw the model's heap before and after each collection (or around one statement):
    /// objects, references, cycles, fates, and where CPython disagrees (DOT or SVG).
    Graph(crate::graph::GraphArgs),
    /// Print (or write) the JSON Schema of scenario files (docs/scenario.schema.json).
    Schema {
        /// Write it to FILE instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// Write nothing: exit 1 when FILE differs from the generated schema.
        #[arg(long, requires = "output")]
        check: bool,
    },
    /// Benchmarks: the model's collector against CPython on the same heaps, and corpus wall time.
    Bench {
        /// Scenario files or directories for the throughput and whole-corpus tables.
        #[arg(default_value = "scenarios")]
        paths: Vec<PathBuf>,
        /// Heap sizes (objects) for the collector table, each from 10 to 50,000,000.
        #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000", value_parser = parse_heap_size)]
        sizes: Vec<usize>,
        /// Repetitions per measurement (the best is reported).
        #[arg(long, default_value_t = 3)]
        reps: usize,
        /// Skip the whole-corpus `run` timing.
        #[arg(long)]
        no_corpus: bool,
        /// Skip the cross-check throughput table (fork-isolated against fresh processes).
        #[arg(long)]
        no_throughput: bool,
        /// How many times the throughput table runs the corpus fork-isolated.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Skip the collector table.
        #[arg(long)]
        no_collector: bool,
    },
    /// Scenario runs per second per interpreter: fork-isolated against one fresh process per
    /// scenario (the README's performance numbers).
    Speed(crate::runner::speed::SpeedArgs),
    /// Narrate, from the model's own decisions, what each collection did and why every object
    /// was freed or is still alive.
    Explain {
        /// The scenario file.
        file: PathBuf,
        /// The model version to explain (`3.12`).
        #[arg(long, value_name = "VERSION")]
        model: Version,
    },
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

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("the timeout must be positive, not {s}"));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{s}`: {e}"))
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

/// Entry point of the binary: parse arguments, run, exit with the documented code.
pub fn main() -> ! {
    // Behave like other command-line tools when the reader of a pipe goes away.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let code = match run_cli(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gcconform: error: {e:#}");
            EXIT_BAD_INPUT
        }
    };
    std::process::exit(code)
}

/// Run a parsed command line; returns the exit code.
pub fn run_cli(cli: &Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Trace { file, source } => cmd_trace(cli, file, source),
        Command::Translate { file } => cmd_translate(file),
        Command::Run {
            paths,
            format,
            python,
        } => cmd_run(cli, paths, *format, python),
        Command::Diff { paths, python } => cmd_diff(cli, paths, python),
        Command::Speed(args) => Ok(crate::runner::speed::cmd_speed(args, cli.timeout)),
        Command::Bless { paths } => cmd_bless(cli, paths),
        Command::Interpreters => cmd_interpreters(),
        Command::Fuzz(args) => Ok(crate::fuzz::cmd_fuzz(args, cli.timeout)),
        Command::Matrix(args) => crate::matrix::cmd_matrix(cli, args),
        Command::Graph(args) => crate::graph::cmd_graph(cli, args),
        Command::Schema { output, check } => crate::schema::cmd_schema(output.as_deref(), *check),
        Command::Explain { file, model } => cmd_explain(file, *model),
        Command::Bench {
            paths,
            sizes,
            reps,
            no_corpus,
            no_throughput,
            rounds,
            no_collector,
        } => {
            // The scenarios are checked before anything is measured (the corpus table's `run`
            // loads them again in its own process).
            let scenarios = if !*no_throughput || !*no_corpus {
                let loaded = load_scenarios(paths);
                if loaded.bad_input || loaded.scenarios.is_empty() {
                    eprintln!("gcconform: bench: the scenarios do not load (see above)");
                    return Ok(EXIT_BAD_INPUT);
                }
                loaded.scenarios
            } else {
                Vec::new()
            };
            if !*no_collector {
                println!("## Collector: one full collection\n");
                print!("{}", crate::bench::collector_table(sizes, (*reps).max(1)));
            }
            if !*no_throughput {
                println!("\n## Cross-check throughput: scenario runs per second\n");
                print!(
                    "{}",
                    crate::bench::throughput_table(&scenarios, (*rounds).max(1), cli.timeout)
                );
            }
            if !*no_corpus {
                println!("\n## Whole corpus\n");
                print!("{}", crate::bench::corpus_table(paths));
            }
            Ok(EXIT_OK)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// Scenarios loaded from the command line's paths; problems were printed on stderr.
pub(crate) struct Loaded {
    pub(crate) scenarios: Vec<Scenario>,
    pub(crate) bad_input: bool,
}

/// Load every scenario under `paths`, printing every diagnostic of every bad file and going
/// on with the others.
pub(crate) fn load_scenarios(paths: &[PathBuf]) -> Loaded {
    let mut bad_input = false;
    let mut files = Vec::new();
    for p in paths {
        match scenario::discover(std::slice::from_ref(p)) {
            Ok(found) => {
                if found.is_empty() {
                    eprintln!("gcconform: {}: no .yaml scenario files", p.display());
                    bad_input = true;
                }
                files.extend(found);
            }
            Err(e) => {
                eprintln!("gcconform: {e}");
                bad_input = true;
            }
        }
    }
    let mut seen_files = BTreeSet::new();
    let mut ids: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut scenarios = Vec::new();
    for f in files {
        let canonical = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
        if !seen_files.insert(canonical) {
            continue;
        }
        match scenario::load(&f) {
            Ok(s) => {
                if let Some(other) = ids.get(&s.id) {
                    eprintln!(
                        "gcconform: {} and {} have the same scenario id `{}` (and would share \
                         one expected file); skipping the second",
                        other.display(),
                        f.display(),
                        s.id
                    );
                    bad_input = true;
                    continue;
                }
                ids.insert(s.id.clone(), f.clone());
                scenarios.push(s);
            }
            Err(e) => {
                eprintln!("{e}");
                bad_input = true;
            }
        }
    }
    Loaded {
        scenarios,
        bad_input,
    }
}

/// Load exactly one scenario file (for `trace` and `translate`).
fn load_one(file: &Path) -> Result<Scenario, i32> {
    if !file.is_file() {
        eprintln!("gcconform: {}: no such file", file.display());
        return Err(EXIT_BAD_INPUT);
    }
    scenario::load(file).map_err(|e| {
        eprintln!("{e}");
        EXIT_BAD_INPUT
    })
}

/// Discover interpreters, surviving a failing discovery (then: none found).
pub(crate) fn discover_interpreters() -> Discovery {
    match guarded(runner::discover) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "gcconform: interpreter discovery failed ({e}); checking without interpreters"
            );
            Discovery {
                found: Vec::new(),
                missing: Version::ALL.to_vec(),
                ..Default::default()
            }
        }
    }
}

/// The interpreter used for each modelled version, and the versions that have none.
pub(crate) fn per_version(d: &Discovery) -> (BTreeMap<Version, Interpreter>, Vec<Version>) {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for v in Version::ALL {
        match d.get(v) {
            Some(i) => {
                found.insert(v, i.clone());
            }
            None => missing.push(v),
        }
    }
    (found, missing)
}

pub(crate) fn interp_label(i: &Interpreter) -> String {
    format!("{} {}", i.implementation, i.release)
}

pub(crate) fn is_cpython(i: &Interpreter) -> bool {
    i.implementation.eq_ignore_ascii_case("cpython")
}

fn missing_list(missing: &[Version]) -> String {
    if missing.is_empty() {
        "none".to_string()
    } else {
        missing
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Run the model, turning errors and panics into messages.
pub(crate) fn model_trace(s: &Scenario, v: Version) -> Result<Trace, String> {
    match guarded(|| model::run(s, v)) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!("the model {p}")),
    }
}

/// Run an interpreter, turning errors and panics into messages.
pub(crate) fn python_trace(
    i: &Interpreter,
    s: &Scenario,
    timeout: Duration,
) -> Result<Trace, String> {
    match guarded(|| runner::run_scenario(i, s, timeout)) {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(describe_run_error(i, &e)),
        Err(p) => Err(format!("the runner {p}")),
    }
}

fn describe_run_error(i: &Interpreter, e: &RunError) -> String {
    format!("{e} ({})", i.path.display())
}

/// Which side of a comparison a job computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Model,
    Python,
}

#[derive(Debug, Clone, Copy)]
struct Job {
    scenario: usize,
    version: Version,
    side: Side,
}

fn run_jobs(
    jobs: &[Job],
    scenarios: &[Scenario],
    interps: &BTreeMap<Version, Interpreter>,
    timeout: Duration,
) -> Vec<Result<Trace, String>> {
    // Live runs: one fork-isolated batch per interpreter, all under way while the model runs.
    let mut live = Vec::new();
    let numbered: Vec<(Option<usize>, &Job)> = jobs
        .iter()
        .map(|j| match interps.get(&j.version) {
            Some(i) if j.side == Side::Python => {
                live.push((&scenarios[j.scenario], i));
                (Some(live.len() - 1), j)
            }
            _ => (None, j),
        })
        .collect();
    runner::pool::with_batches(&live, timeout, |take| {
        crate::util::term::parallel_map_progress("checking", &numbered, |(n, j)| {
            let s = &scenarios[j.scenario];
            match (j.side, n) {
                (Side::Model, _) => model_trace(s, j.version),
                (Side::Python, Some(n)) => {
                    take(*n).map_err(|e| describe_run_error(&interps[&j.version], &e))
                }
                (Side::Python, None) => Err(format!("no interpreter for {}", j.version)),
            }
        })
    })
}

/// Live traces of many (scenario, interpreter) pairs, in order: one fork-isolated batch per
/// interpreter, the batches at once (errors as [`python_trace`] gives them).
pub(crate) fn python_traces(
    pairs: &[(&Scenario, &Interpreter)],
    timeout: Duration,
) -> Vec<Result<Trace, String>> {
    runner::pool::with_batches(pairs, timeout, |take| {
        (0..pairs.len())
            .map(|k| take(k).map_err(|e| describe_run_error(pairs[k].1, &e)))
            .collect()
    })
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Print a check that did not agree: `FAIL <tag>: <summary>`, then the rest of its message
/// indented (a report's own first line, which repeats the tag, is left out).
fn print_failure(tag: &str, check: &Check) {
    print_failure_and(tag, check, "");
}

/// [`print_failure`], with `extra` (already indented lines) at the end of the block.
fn print_failure_and(tag: &str, check: &Check, extra: &str) {
    if let (Some(summary), Some(message)) = (check.summary(), check.message()) {
        println!("{} {tag}: {summary}", crate::output::fail_marker());
        let rest: Vec<&str> = message.lines().skip(1).collect();
        if !rest.is_empty() {
            println!("{}", indent(&rest.join("\n")));
        }
        print!("{extra}");
        println!();
    }
}

/// The interpreters `run` and `diff` use (`--python`, else every one found); explicitly
/// requested ones that are missing are reported. (interpreters, versions without one,
/// whether one asked for is missing, whether a `--python` argument is bad input).
fn selected_interpreters(
    specs: &[String],
) -> (BTreeMap<Version, Interpreter>, Vec<Version>, bool, bool) {
    let sel = runner::select(specs, &discover_interpreters());
    for m in sel.failed.iter().chain(&sel.bad) {
        eprintln!("gcconform: {m}");
    }
    (
        sel.interps,
        sel.missing,
        !sel.failed.is_empty(),
        !sel.bad.is_empty(),
    )
}

/// `interpreters used: 2.7 CPython 2.7.18 (/path), …` for the end of a report.
fn interpreters_used(interps: &BTreeMap<Version, Interpreter>) -> String {
    if interps.is_empty() {
        return "interpreters used: none".to_string();
    }
    let mut s = String::from("interpreters used:");
    for (v, i) in interps {
        let v = v.to_string();
        s.push_str(&format!(
            "\n  {v:<5} {} ({})",
            interp_label(i),
            i.path.display()
        ));
    }
    s
}

/// Write the reproducer of a failing (scenario, version) under `target/gcconform/` and
/// return indented lines that say where it is.
fn reproducer_lines(
    s: &Scenario,
    v: Version,
    interp: Option<&Interpreter>,
    expected: Option<&Trace>,
    cpython: Option<&Result<Trace, String>>,
    model: Option<&Result<Trace, String>>,
) -> String {
    let cpython = cpython.map(|r| r.as_ref().map_err(String::as_str));
    let model = model.map(|r| r.as_ref().map_err(String::as_str));
    let dir = Path::new(runner::repro::DIR);
    match runner::repro::write(dir, s, v, interp, expected, cpython, model) {
        Ok(w) => format!("{}\n", indent(&w.describe())),
        Err(e) => format!(
            "    (no reproducer: writing under {}: {e})\n",
            dir.display()
        ),
    }
}

/// The exit code of `run` and `diff`: 2 bad input, else 3 an interpreter failed, else 1 a
/// check disagreed, else 0.
fn run_exit_code(bad_input: bool, interpreter_failed: bool, disagree: bool) -> i32 {
    if bad_input {
        EXIT_BAD_INPUT
    } else if interpreter_failed {
        EXIT_INTERPRETER
    } else if disagree {
        EXIT_DISAGREE
    } else {
        EXIT_OK
    }
}

fn bless_cmd(cli: &Cli, s: &Scenario) -> String {
    let dir = (cli.expected != Path::new(DEFAULT_EXPECTED)).then_some(cli.expected.as_path());
    check::bless_command(PROGRAM, &s.path, dir)
}

/// Tally of checks for the summary line.
#[derive(Default)]
struct Tally {
    checks: usize,
    agree: usize,
    disagree: usize,
}

impl Tally {
    fn add(&mut self, c: &Check) {
        self.checks += 1;
        if c.agrees() {
            self.agree += 1;
        } else {
            self.disagree += 1;
        }
    }
}

fn summary_line(n_scenarios: usize, t: &Tally, missing: &[Version], load_failures: bool) -> String {
    let mut s = format!(
        "{} scenario{}, {} check{}: {} agree, {} disagree; missing interpreters: {}",
        n_scenarios,
        if n_scenarios == 1 { "" } else { "s" },
        t.checks,
        if t.checks == 1 { "" } else { "s" },
        t.agree,
        t.disagree,
        missing_list(missing)
    );
    if load_failures {
        s.push_str("; some input could not be loaded (see above)");
    }
    s
}

fn exit_code(bad_input: bool, any_failure: bool) -> i32 {
    if bad_input {
        EXIT_BAD_INPUT
    } else if any_failure {
        EXIT_DISAGREE
    } else {
        EXIT_OK
    }
}

// ---------------------------------------------------------------------------------------------
// trace, translate, interpreters

fn print_grouped(traces: &BTreeMap<Version, Trace>, labels: &BTreeMap<Version, String>) {
    for (i, (vs, t)) in version_groups(traces).into_iter().enumerate() {
        if i > 0 {
            println!();
        }
        let names: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
        println!("=== {}", names.join(" "));
        for v in &vs {
            if let Some(l) = labels.get(v) {
                println!("# {v}: {l}");
            }
        }
        print!("{}", t.to_text());
    }
}

fn cmd_trace(cli: &Cli, file: &Path, source: &TraceSource) -> anyhow::Result<i32> {
    let s = match load_one(file) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let note_inapplicable = |v: Version| {
        if !s.applies_to(v) {
            eprintln!(
                "gcconform: note: {} does not apply to {v} (its versions: list); tracing anyway",
                s.id
            );
        }
    };
    match (source.model, source.python.as_deref()) {
        (Some(ModelSpec::One(v)), _) => {
            note_inapplicable(v);
            match model_trace(&s, v) {
                Ok(t) => {
                    print!("{}", t.to_text());
                    Ok(EXIT_OK)
                }
                Err(e) => {
                    eprintln!("gcconform: {e}");
                    Ok(EXIT_DISAGREE)
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
            Ok(exit_code(false, failed))
        }
        (None, Some("all")) => {
            let (found, missing) = per_version(&discover_interpreters());
            let runs: Vec<(Version, Interpreter)> = found
                .into_iter()
                .filter(|(v, _)| s.applies_to(*v))
                .collect();
            if runs.is_empty() {
                eprintln!(
                    "gcconform: no installed interpreter for any version {} applies to",
                    s.id
                );
                return Ok(EXIT_BAD_INPUT);
            }
            let results = parallel_map(&runs, |(_, i)| python_trace(i, &s, cli.timeout));
            let mut traces = BTreeMap::new();
            let mut labels = BTreeMap::new();
            let mut failed = false;
            for ((v, i), r) in runs.iter().zip(results) {
                match r {
                    Ok(t) => {
                        traces.insert(*v, t);
                        labels.insert(*v, interp_label(i));
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
            Ok(if failed { EXIT_INTERPRETER } else { EXIT_OK })
        }
        (None, Some(spec)) => {
            let interp = match guarded(|| runner::resolve(spec)) {
                Ok(Ok(i)) => i,
                Ok(Err(e)) => {
                    eprintln!("gcconform: --python {spec}: {e}");
                    return Ok(EXIT_BAD_INPUT);
                }
                Err(p) => anyhow::bail!("resolving --python {spec}: {p}"),
            };
            if let Some(v) = interp.version {
                note_inapplicable(v);
            }
            match python_trace(&interp, &s, cli.timeout) {
                Ok(t) => {
                    print!("{}", t.to_text());
                    Ok(EXIT_OK)
                }
                Err(e) => {
                    eprintln!("gcconform: {}: {e}", interp_label(&interp));
                    Ok(EXIT_INTERPRETER)
                }
            }
        }
        (None, None) => anyhow::bail!("give --model VERSION or --python VERSION|PATH"),
    }
}

fn cmd_translate(file: &Path) -> anyhow::Result<i32> {
    let s = match load_one(file) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    match guarded(|| runner::translate(&s)) {
        Ok(program) => {
            print!("{program}");
            if !program.ends_with('\n') {
                println!();
            }
            Ok(EXIT_OK)
        }
        Err(p) => anyhow::bail!("translating {}: {p}", s.path.display()),
    }
}

fn cmd_explain(file: &Path, version: Version) -> anyhow::Result<i32> {
    let s = match load_one(file) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if !s.applies_to(version) {
        eprintln!(
            "{}: the scenario does not apply to {version} (its versions: list)",
            file.display()
        );
        return Ok(EXIT_BAD_INPUT);
    }
    match crate::explain::explain(&s, version) {
        Ok(text) => {
            print!("{text}");
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(EXIT_BAD_INPUT)
        }
    }
}

fn cmd_interpreters() -> anyhow::Result<i32> {
    let d = discover_interpreters();
    if d.found.is_empty() {
        println!("no interpreters found");
    }
    let mut rows: Vec<&Interpreter> = d.found.iter().collect();
    rows.sort_by_key(|i| (i.version.is_none(), i.version, i.path.clone()));
    for i in rows {
        let v = i
            .version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{v:<6} {:<10} {:<10} {}",
            i.release,
            i.implementation,
            i.path.display()
        );
    }
    let (_, missing) = per_version(&d);
    println!("missing: {}", missing_list(&missing));
    Ok(EXIT_OK)
}

// ---------------------------------------------------------------------------------------------
// run

fn cmd_run(
    cli: &Cli,
    paths: &[PathBuf],
    format: crate::output::RunFormat,
    python: &[String],
) -> anyhow::Result<i32> {
    let loaded = load_scenarios(paths);
    let mut bad_input = loaded.bad_input;
    let scenarios = loaded.scenarios;
    if scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to check");
        return Ok(EXIT_BAD_INPUT);
    }
    let (interps, missing, mut interpreter_failed, bad_python) = selected_interpreters(python);
    bad_input |= bad_python;

    // Expected files, read once per scenario.
    let mut expected: Vec<Option<ExpectedFile>> = Vec::new();
    let mut exp_paths = Vec::new();
    let mut unreadable = vec![false; scenarios.len()];
    for (k, s) in scenarios.iter().enumerate() {
        let p = expected::expected_path(&cli.expected, s);
        match expected::read(&p) {
            Ok(f) => {
                if let Some(f) = &f {
                    let stale: Vec<Version> = f
                        .blocks
                        .keys()
                        .copied()
                        .filter(|v| !s.applies_to(*v))
                        .collect();
                    if !stale.is_empty() {
                        eprintln!(
                            "gcconform: warning: {} has blocks for {}, which {} does not apply \
                             to; `{}` drops them",
                            p.display(),
                            version_list(&stale),
                            s.id,
                            bless_cmd(cli, s)
                        );
                    }
                }
                expected.push(f);
            }
            Err(e) => {
                eprintln!("{e}");
                bad_input = true;
                unreadable[k] = true;
                expected.push(None);
            }
        }
        exp_paths.push(p);
    }

    let mut jobs = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        if expected[k].is_none() {
            continue;
        }
        for v in s.applicable_versions() {
            jobs.push(Job {
                scenario: k,
                version: v,
                side: Side::Model,
            });
            if interps.contains_key(&v) {
                jobs.push(Job {
                    scenario: k,
                    version: v,
                    side: Side::Python,
                });
            }
        }
    }
    let results = run_jobs(&jobs, &scenarios, &interps, cli.timeout);
    let result_of = |k: usize, v: Version, side: Side| {
        jobs.iter()
            .position(|j| j.scenario == k && j.version == v && j.side == side)
            .map(|n| &results[n])
    };

    let mut tally = Tally::default();
    let json = format == crate::output::RunFormat::Json;
    let mut report = crate::output::RunJson::default();
    let mut results = jobs.iter().zip(results.iter()).peekable();
    for (k, s) in scenarios.iter().enumerate() {
        let cmd = bless_cmd(cli, s);
        let mut missing_said = BTreeSet::new();
        if json && expected[k].is_none() {
            let c = if unreadable[k] {
                Check::Error(format!("{} could not be read", exp_paths[k].display()))
            } else {
                Check::Missing(check::missing_file_message(s, &exp_paths[k], &cmd))
            };
            for v in s.applicable_versions() {
                report.record(s, v, "model", format!("model {v}"), None, &c);
                if let Some(i) = interps.get(&v) {
                    report.record(s, v, "cpython", interp_label(i), None, &c);
                }
            }
        }
        let Some(file) = &expected[k] else {
            // No (readable) expected file: every check of the scenario fails.
            let n = s
                .applicable_versions()
                .iter()
                .map(|v| 1 + usize::from(interps.contains_key(v)))
                .sum::<usize>();
            tally.checks += n;
            tally.disagree += n;
            if !unreadable[k] && !json {
                let m = check::missing_file_message(s, &exp_paths[k], &cmd);
                print_failure(&s.id, &Check::Missing(m));
            }
            continue;
        };
        while let Some((job, _)) = results.peek() {
            if job.scenario != k {
                break;
            }
            let (job, result) = results.next().expect("peeked");
            let (tag, label) = match job.side {
                Side::Model => (
                    format!("model {}", job.version),
                    format!("model {}", job.version),
                ),
                Side::Python => {
                    let i = &interps[&job.version];
                    (format!("cpython {}", job.version), interp_label(i))
                }
            };
            let mut c = check::against_expected(
                s,
                job.version,
                Some(file),
                &exp_paths[k],
                &label,
                result.as_ref().map_err(|e| e.clone()),
                &cmd,
            );
            if job.side == Side::Python
                && let Check::Disagree { report, .. } = &mut c
                && let Some(rec) = file.releases.get(&job.version)
            {
                let live = interp_label(&interps[&job.version]);
                if *rec != live {
                    report.push_str(&format!(
                        "note: expected/ was recorded from {rec}; this interpreter is {live}\n"
                    ));
                }
            }
            tally.add(&c);
            let live_failed = job.side == Side::Python && matches!(c, Check::Error(_));
            interpreter_failed |= live_failed;
            if json {
                let side = if job.side == Side::Model {
                    "model"
                } else {
                    "cpython"
                };
                let rec = file.releases.get(&job.version).cloned();
                report.record(s, job.version, side, label, rec, &c);
                continue;
            }
            if let Check::Missing(_) = c {
                // Say once per version that its block is missing, not once per side.
                if !missing_said.insert(job.version) {
                    continue;
                }
                print_failure(&format!("{} {}", job.version, s.id), &c);
            } else {
                let extra = if live_failed || matches!(c, Check::Disagree { .. }) {
                    reproducer_lines(
                        s,
                        job.version,
                        interps.get(&job.version),
                        file.blocks.get(&job.version),
                        result_of(k, job.version, Side::Python),
                        result_of(k, job.version, Side::Model),
                    )
                } else {
                    String::new()
                };
                print_failure_and(&format!("{tag} {}", s.id), &c, &extra);
            }
        }
    }
    if json {
        let labels = interps.iter().map(|(v, i)| (*v, interp_label(i))).collect();
        print!(
            "{}",
            report.render(scenarios.len(), &labels, &missing, bad_input)
        );
    } else {
        print_run_summary(&interps, scenarios.len(), &tally, &missing, bad_input);
    }
    Ok(run_exit_code(
        bad_input,
        interpreter_failed,
        tally.disagree > 0,
    ))
}

/// The last lines of a `run` or `diff` text report: the interpreters used, then the summary
/// line.
fn print_run_summary(
    interps: &BTreeMap<Version, Interpreter>,
    n_scenarios: usize,
    tally: &Tally,
    missing: &[Version],
    bad_input: bool,
) {
    println!("{}", interpreters_used(interps));
    println!("{}", summary_line(n_scenarios, tally, missing, bad_input));
}

// ---------------------------------------------------------------------------------------------
// diff

fn cmd_diff(cli: &Cli, paths: &[PathBuf], python: &[String]) -> anyhow::Result<i32> {
    let loaded = load_scenarios(paths);
    let mut bad_input = loaded.bad_input;
    let scenarios = loaded.scenarios;
    if scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to check");
        return Ok(EXIT_BAD_INPUT);
    }
    let (interps, missing, mut interpreter_failed, bad_python) = selected_interpreters(python);
    bad_input |= bad_python;
    if interps.is_empty() {
        eprintln!(
            "gcconform: warning: no interpreters found; there is nothing to compare the model with"
        );
    }
    let mut jobs = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        for v in s.applicable_versions() {
            if interps.contains_key(&v) {
                for side in [Side::Model, Side::Python] {
                    jobs.push(Job {
                        scenario: k,
                        version: v,
                        side,
                    });
                }
            }
        }
    }
    let results = run_jobs(&jobs, &scenarios, &interps, cli.timeout);
    // (scenario, version) → [model, python]
    type Pair = [Option<Result<Trace, String>>; 2];
    let mut pairs: BTreeMap<(usize, Version), Pair> = BTreeMap::new();
    for (job, r) in jobs.iter().zip(results) {
        let slot = pairs.entry((job.scenario, job.version)).or_default();
        slot[usize::from(job.side == Side::Python)] = Some(r);
    }

    let mut tally = Tally::default();
    let mut matrices = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let mut py_traces = BTreeMap::new();
        let mut model_traces = BTreeMap::new();
        for v in s.applicable_versions() {
            let Some([Some(m), Some(p)]) = pairs.remove(&(k, v)) else {
                continue;
            };
            let i = &interps[&v];
            let c = match (&m, &p) {
                (Ok(mt), Ok(pt)) => {
                    check::compare(s, v, &interp_label(i), pt, &format!("model {v}"), mt, None)
                }
                (_, Err(e)) => Check::Error(format!("{} produced no trace: {e}", interp_label(i))),
                (Err(e), _) => Check::Error(format!("model {v} produced no trace: {e}")),
            };
            tally.add(&c);
            interpreter_failed |= p.is_err();
            let extra = if c.agrees() {
                String::new()
            } else {
                reproducer_lines(s, v, Some(i), None, Some(&p), Some(&m))
            };
            print_failure_and(&format!("{v} {}", s.id), &c, &extra);
            if let (Ok(mt), Ok(pt)) = (m, p) {
                model_traces.insert(v, mt);
                py_traces.insert(v, pt);
            }
        }
        if !py_traces.is_empty() {
            let cp = version_matrix(&py_traces);
            let mm = version_matrix(&model_traces);
            let model_part = if model_traces == py_traces {
                "model agrees".to_string()
            } else if cp == mm {
                "model splits the same way but differs".to_string()
            } else {
                format!("model {mm}")
            };
            matrices.push(format!("{}: CPython {cp}; {model_part}", s.id));
        }
    }
    if !matrices.is_empty() {
        println!("version splits:");
        for m in matrices {
            println!("  {m}");
        }
    }
    print_run_summary(&interps, scenarios.len(), &tally, &missing, bad_input);
    Ok(run_exit_code(
        bad_input,
        interpreter_failed,
        tally.disagree > 0,
    ))
}

// ---------------------------------------------------------------------------------------------
// bless

fn cmd_bless(cli: &Cli, paths: &[PathBuf]) -> anyhow::Result<i32> {
    if std::env::var_os("CI").is_some() {
        eprintln!(
            "gcconform: refusing to bless: the CI environment variable is set. expected/ is \
             recorded from real CPython on a developer's machine and reviewed as a change; CI \
             only checks it (`gcconform run`, `cargo test`). Unset CI to bless locally."
        );
        return Ok(EXIT_BAD_INPUT);
    }
    let loaded = load_scenarios(paths);
    let mut bad_input = loaded.bad_input;
    let scenarios = loaded.scenarios;
    if scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to bless");
        return Ok(EXIT_BAD_INPUT);
    }
    let (mut interps, mut missing) = per_version(&discover_interpreters());
    let not_cpython: Vec<Version> = interps
        .iter()
        .filter(|(_, i)| !is_cpython(i))
        .map(|(v, _)| *v)
        .collect();
    for v in not_cpython {
        let i = interps.remove(&v).expect("present");
        eprintln!(
            "bless: {} ({}) is not CPython; expected/ is recorded from CPython only, so {v} \
             counts as missing",
            interp_label(&i),
            i.path.display()
        );
        missing.push(v);
    }
    missing.sort();
    if interps.is_empty() {
        eprintln!(
            "bless: no CPython interpreter found; nothing can be recorded (see `gcconform interpreters`)"
        );
        return Ok(EXIT_BAD_INPUT);
    }
    for v in &missing {
        eprintln!(
            "bless: no interpreter for {v}: keeping the {v} blocks already in {}",
            cli.expected.display()
        );
    }

    let mut jobs = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        for v in s.applicable_versions() {
            if interps.contains_key(&v) {
                jobs.push(Job {
                    scenario: k,
                    version: v,
                    side: Side::Python,
                });
            }
        }
    }
    let mut results: BTreeMap<(usize, Version), Result<Trace, String>> = BTreeMap::new();
    for (job, r) in jobs
        .iter()
        .zip(run_jobs(&jobs, &scenarios, &interps, cli.timeout))
    {
        results.insert((job.scenario, job.version), r);
    }

    let mut run_failures = false;
    for (k, s) in scenarios.iter().enumerate() {
        let path = expected::expected_path(&cli.expected, s);
        let old = match expected::read(&path) {
            Ok(f) => f,
            Err(e) => {
                // Never overwrite a file we cannot read: its other blocks would be lost.
                eprintln!("{e}");
                eprintln!(
                    "bless: leaving {} as it is; fix or delete it, then bless again",
                    path.display()
                );
                bad_input = true;
                continue;
            }
        };
        let mut file = old
            .clone()
            .unwrap_or_else(|| ExpectedFile::new(expected::source_name(&s.path)));
        file.source = expected::source_name(&s.path);
        for v in Version::ALL {
            if !s.applies_to(v) && file.blocks.contains_key(&v) {
                eprintln!(
                    "bless: {}: dropping the {v} block ({} does not apply to {v})",
                    path.display(),
                    s.id
                );
                file.remove(v);
            }
        }
        let mut kept_missing = Vec::new();
        for v in s.applicable_versions() {
            match results.remove(&(k, v)) {
                Some(Ok(t)) => file.set(v, t, interp_label(&interps[&v])),
                Some(Err(e)) => {
                    eprintln!("bless: {} under {}: {e}", s.id, interp_label(&interps[&v]));
                    if file.blocks.contains_key(&v) {
                        eprintln!("bless: {}: keeping its old {v} block", path.display());
                    } else {
                        eprintln!("bless: {}: no {v} block recorded", path.display());
                    }
                    run_failures = true;
                }
                None => {
                    if !file.blocks.contains_key(&v) {
                        kept_missing.push(v);
                    }
                }
            }
        }
        if !kept_missing.is_empty() {
            eprintln!(
                "bless: {}: no block for {} (no interpreter to record it)",
                s.id,
                version_list(&kept_missing)
            );
        }
        if file.blocks.is_empty() {
            eprintln!(
                "bless: {}: nothing recorded; {} not written",
                s.id,
                path.display()
            );
            continue;
        }
        let text = file.render();
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == text);
        if unchanged {
            println!("{}: {} unchanged", s.id, path.display());
            continue;
        }
        file.write_atomic(&path)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
        println!(
            "{}: wrote {} ({})",
            s.id,
            path.display(),
            version_matrix(&file.blocks)
        );
    }
    Ok(if bad_input {
        EXIT_BAD_INPUT
    } else if run_failures {
        EXIT_INTERPRETER
    } else {
        EXIT_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

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
        assert_eq!(c.expected, PathBuf::from("expected"));
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert!(
            matches!(&c.command, Command::Run { paths, .. } if paths == &[PathBuf::from("scenarios")])
        );

        let c = parse(&[
            "diff",
            "a.yaml",
            "dir",
            "--timeout",
            "2.5",
            "--expected",
            "exp",
        ])
        .unwrap();
        assert_eq!(c.timeout, Duration::from_millis(2500));
        assert_eq!(c.expected, PathBuf::from("exp"));
        assert!(matches!(&c.command, Command::Diff { paths, .. } if paths.len() == 2));

        let c = parse(&["trace", "x.yaml", "--model", "3.12"]).unwrap();
        assert!(matches!(
            &c.command,
            Command::Trace {
                source: TraceSource {
                    model: Some(ModelSpec::One(Version::V3_12)),
                    python: None
                },
                ..
            }
        ));
        let c = parse(&["trace", "x.yaml", "--model", "all"]).unwrap();
        assert!(matches!(
            &c.command,
            Command::Trace {
                source: TraceSource {
                    model: Some(ModelSpec::All),
                    ..
                },
                ..
            }
        ));
        let c = parse(&["trace", "x.yaml", "--python", "/usr/bin/pypy3"]).unwrap();
        assert!(
            matches!(&c.command, Command::Trace { source: TraceSource { python: Some(p), .. }, .. } if p == "/usr/bin/pypy3")
        );
        assert!(matches!(
            parse(&["bless"]).unwrap().command,
            Command::Bless { .. }
        ));
        assert!(matches!(
            parse(&["interpreters"]).unwrap().command,
            Command::Interpreters
        ));
        assert!(matches!(
            parse(&["translate", "x.yaml"]).unwrap().command,
            Command::Translate { .. }
        ));
    }

    #[test]
    fn rejects_bad_arguments_with_exit_code_2() {
        for args in [
            vec!["trace", "x.yaml"],
            vec!["trace", "x.yaml", "--model", "3.12", "--python", "3.12"],
            vec!["trace", "x.yaml", "--model", "3.5"],
            vec!["run", "--timeout", "0"],
            vec!["run", "--timeout", "-1"],
            vec!["run", "--timeout", "soon"],
            vec!["translate"],
            vec!["frobnicate"],
        ] {
            let e = parse(&args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        }
        let e = parse(&["trace", "x.yaml", "--model", "3.5"]).unwrap_err();
        assert!(
            e.to_string().contains("unknown CPython version `3.5`"),
            "{e}"
        );
    }

    #[test]
    fn summary_and_exit_codes() {
        let t = Tally {
            checks: 72,
            agree: 70,
            disagree: 2,
        };
        assert_eq!(
            summary_line(4, &t, &[Version::V3_6, Version::V3_7], false),
            "4 scenarios, 72 checks: 70 agree, 2 disagree; missing interpreters: 3.6 3.7"
        );
        assert_eq!(exit_code(false, false), 0);
        assert_eq!(exit_code(false, true), 1);
        assert_eq!(exit_code(true, true), 2);
    }
}

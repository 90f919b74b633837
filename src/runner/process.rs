//! Running a scenario's program under an interpreter and parsing its trace.
//!
//! Every run uses the same environment: the program goes in on stdin (`python -s -S -`, inside a
//! launcher that runs it through the fork server's code without forking, see [`run_program`]),
//! every `PYTHON*` variable of our environment is removed and `PYTHONHASHSEED=0` is set, and the
//! working directory is `/`. (`-E`/`-I` are not used because they also make CPython ignore
//! `PYTHONHASHSEED`; removing the variables gives the same isolation with a fixed hash seed.)
//! Each process gets a process group of its own, killed as a whole at the timeout (and once the
//! process has exited, so that nothing it started keeps running or holds our pipes open).
//!
//! This is one fresh interpreter per run; batches of scenarios use [`super::pool`] instead.

use super::Interpreter;
use super::program::{TRACE_BEGIN, TRACE_END, translate};
use crate::scenario::Scenario;
use crate::trace::{Event, STARTUP_HEAP_MARK, Trace};
use crate::util::shell_quote;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The fork server's program (`server.py`): sent on stdin after the bootstrap, or run in this
/// process by a fresh run ([`launcher`]).
pub const DRIVER: &str = include_str!("server.py");

/// Why an interpreter run produced no trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("could not start {path}: {reason}")]
    Spawn { path: String, reason: String },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("interpreter failed ({status}): {stderr}")]
    Crashed { status: String, stderr: String },
    #[error("interpreter printed no valid trace: {0}")]
    BadOutput(String),
    /// The fork server died (or hung) while running this program alone.
    #[error("the interpreter's fork server {0}")]
    ServerDied(String),
    /// A gcconform bug (e.g. a scenario that cannot be translated).
    #[error("gcconform bug: {0}")]
    Internal(String),
}

/// Interpreter flags used for every run: no user site-packages, no `site` import.
pub const PYTHON_FLAGS: &[&str] = &["-s", "-S"];

/// How many trailing stderr lines a [`RunError::Crashed`] keeps.
const STDERR_TAIL_LINES: usize = 20;

/// A `Command` for `python` with gcconform's flags and environment (no program argument yet).
pub fn python_command(python: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.args(PYTHON_FLAGS);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("PYTHON") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("PYTHONHASHSEED", "0");
    cmd.current_dir("/");
    cmd
}

/// The shell command line that reproduces a run by hand (program on stdin).
pub fn reproducer_command(interp: &Interpreter) -> String {
    format!(
        "PYTHONHASHSEED=0 {} {} -",
        shell_quote(&interp.path.display().to_string()),
        PYTHON_FLAGS.join(" ")
    )
}

/// Run `scenario` under `interp`, killing it after `timeout`.
pub fn run_scenario(
    interp: &Interpreter,
    scenario: &Scenario,
    timeout: Duration,
) -> Result<Trace, RunError> {
    let ran = run_program_ran(interp, &translate(scenario), timeout)?;
    parse_run(&ran)
}

/// What a program that exited with status 0 printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
}

/// Run a Python program under `interp` in a fresh process; its stdout if it exits with status 0.
///
/// The program runs as a fork server's child runs it, through the fork server's code without
/// forking ([`launcher`]): as `python -s -S - < program` would run it (module `__main__`, file
/// `<stdin>`), but with the same frames below it as in a forked child, so that a scenario near
/// the recursion limit or 3.13's C recursion budget gives the same trace both ways.
pub fn run_program(
    interp: &Interpreter,
    program: &str,
    timeout: Duration,
) -> Result<String, RunError> {
    run_program_ran(interp, program, timeout).map(|r| r.stdout)
}

/// What `python -s -S -` is given for a fresh-process run of `program`: at module level (as
/// the fork server's bootstrap, `python -c`), `_ALONE` set to the program, then the fork server
/// (`server.py`) run with `exec`, which sees `_ALONE` and runs the program in this process
/// (`_run_alone`) through the frames a forked child runs it through. Both texts are bytes
/// literals that escape only what must be (the program's own text stays readable in it).
pub fn launcher(program: &str) -> String {
    fn literal(s: &str) -> String {
        let mut out = String::from("b'");
        for b in s.bytes() {
            match b {
                b'\\' => out.push_str("\\\\"),
                b'\'' => out.push_str("\\'"),
                b'\n' => out.push_str("\\n"),
                0x20..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\x{b:02x}")),
            }
        }
        out.push('\'');
        out
    }
    format!(
        "# gcconform: runs the program in _ALONE as the fork server's child would, without forking\n\
         import os\n_ALONE = {}\nexec({})\n",
        literal(program),
        literal(DRIVER)
    )
}

/// [`run_program`], with what the program printed on stderr too.
pub fn run_program_ran(
    interp: &Interpreter,
    program: &str,
    timeout: Duration,
) -> Result<Ran, RunError> {
    let out = run_stdin(interp, &launcher(program), timeout)?;
    Ok(Ran {
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// Run `text` as the program of a fresh `python -` under `interp`; an exit other than 0 is
/// [`RunError::Crashed`] with the tail of its stderr.
pub(crate) fn run_stdin(
    interp: &Interpreter,
    text: &str,
    timeout: Duration,
) -> Result<Output, RunError> {
    let out = run_raw(python_command(&interp.path).arg("-"), text, timeout)?;
    if !out.status.success() {
        return Err(RunError::Crashed {
            status: status_text(out.status),
            stderr: tail(&out.stderr, STDERR_TAIL_LINES),
        });
    }
    Ok(out)
}

/// What a finished child printed.
pub(crate) struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Spawn `cmd` with `input` on stdin, collect stdout/stderr (threads, so no pipe can fill up
/// and block the child), kill it after `timeout`.
pub(crate) fn run_raw(
    cmd: &mut Command,
    input: &str,
    timeout: Duration,
) -> Result<Output, RunError> {
    let path = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a timeout kills whatever it started too (a wrapper script's
        // interpreter, a forked child), and nothing it leaves behind keeps our pipes open.
        .process_group(0);
    die_with_parent(cmd);
    let mut child = cmd.spawn().map_err(|e| RunError::Spawn {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.as_bytes().to_vec();
    // The child may exit without reading everything (a broken pipe is then expected).
    let writer = thread::spawn(move || {
        ignore_sigpipe_in_this_thread();
        let _ = stdin.write_all(&input);
    });
    let out_reader = reader(child.stdout.take().expect("piped stdout"));
    let err_reader = reader(child.stderr.take().expect("piped stderr"));
    let status = wait_with_timeout(&mut child, timeout);
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    match status {
        Some(status) => Ok(Output {
            status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }),
        None => Err(RunError::Timeout(timeout)),
    }
}

/// Block SIGPIPE in the calling thread, so that writing to a child that has exited fails with
/// EPIPE instead of killing gcconform (whose `main` restores SIGPIPE's default action).
pub(crate) fn ignore_sigpipe_in_this_thread() {
    // SAFETY: changes only the calling thread's signal mask; the sets are initialized first.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

fn reader<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// The exit status, or `None` after killing the child at the deadline. Either way, whatever
/// else is left in the child's process group is killed (before the child is reaped, so the
/// group's id cannot have been reused).
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_micros(200);
    let pid = child.id();
    loop {
        let exited = exited_unreaped(pid);
        let now = Instant::now();
        if exited || now >= deadline {
            kill_group(pid);
            let status = child.wait().ok();
            return if exited { status } else { None };
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// Make the child get SIGKILL when the thread that started it goes away (gcconform killed,
/// interrupted): in a process group of its own it does not get the terminal's Ctrl-C.
pub(crate) fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure only makes the prctl(2) system call, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

/// Whether our child `pid` has exited, without reaping it (so its id stays reserved).
pub(crate) fn exited_unreaped(pid: u32) -> bool {
    // SAFETY: waitid(2) with WNOWAIT on our own child; `info` is plain data.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        // ECHILD (already reaped, or not ours): nothing to wait for.
        r != 0 || info.si_pid() != 0
    }
}

/// SIGKILL the process group led by our child `pid`, which must not have been reaped yet.
pub(crate) fn kill_group(pid: u32) {
    // SAFETY: kill(2) on the group of our own unreaped child (its id cannot have been reused).
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
}

/// `exit status 1`, `killed by signal 11 (SIGSEGV)`.
pub fn status_text(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    if let Some(sig) = status.signal() {
        let core = if status.core_dumped() {
            ", core dumped"
        } else {
            ""
        };
        return match signal_name(sig) {
            Some(n) => format!("killed by signal {sig} ({n}{core})"),
            None => format!("killed by signal {sig}{core}"),
        };
    }
    status.to_string()
}

fn signal_name(sig: i32) -> Option<&'static str> {
    let names: &[(i32, &str)] = &[
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGQUIT, "SIGQUIT"),
        (libc::SIGILL, "SIGILL"),
        (libc::SIGTRAP, "SIGTRAP"),
        (libc::SIGABRT, "SIGABRT"),
        (libc::SIGBUS, "SIGBUS"),
        (libc::SIGFPE, "SIGFPE"),
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGSEGV, "SIGSEGV"),
        (libc::SIGUSR2, "SIGUSR2"),
        (libc::SIGPIPE, "SIGPIPE"),
        (libc::SIGALRM, "SIGALRM"),
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGXCPU, "SIGXCPU"),
        (libc::SIGXFSZ, "SIGXFSZ"),
    ];
    names.iter().find(|(n, _)| *n == sig).map(|(_, s)| *s)
}

/// The last `n` lines of `text` (a note says how many were left out).
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    if lines.len() <= n {
        return lines.join("\n");
    }
    format!(
        "[… {} earlier lines]\n{}",
        lines.len() - n,
        lines[lines.len() - n..].join("\n")
    )
}

/// The line a `trace: summary` program prints before its trace.
pub const SUMMARY_MARK: &str = "#gcconform-summary";

/// The trace of a scenario's run: [`parse_output`] of its stdout, then, when its stderr
/// reports exceptions that CPython printed and ignored ([`ignored_exceptions`]), the
/// [`Event::Ignored`] line that says which and how many.
pub fn parse_run(ran: &Ran) -> Result<Trace, RunError> {
    let mut trace = parse_output(&ran.stdout)?;
    let ignored = ignored_exceptions(&ran.stderr);
    if !ignored.is_empty() {
        trace.events.push(Event::Ignored(ignored));
    }
    Ok(trace)
}

/// The exceptions that `PyErr_WriteUnraisable` reported on stderr, by type, in order of first
/// report: 3.x prints `Exception ignored in: OBJECT`, a traceback (indented, after a
/// `Traceback (most recent call last):` line) and the exception (`TYPE: message` or `TYPE`);
/// 2.7 prints one line, `Exception TYPE: VALUE in OBJECT ignored` (or without `: VALUE`).
pub fn ignored_exceptions(stderr: &str) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    let mut add = |t: &str| match out.iter_mut().find(|(k, _)| k == t) {
        Some((_, n)) => *n += 1,
        None => out.push((t.to_string(), 1)),
    };
    let type_of = |l: &str| -> String {
        l.split([':', ' '])
            .next()
            .unwrap_or_default()
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let mut lines = stderr.lines();
    while let Some(l) = lines.next() {
        if l.starts_with("Exception ignored in") {
            for m in lines.by_ref() {
                if m.starts_with(' ') || m.starts_with("Traceback (most recent call last)") {
                    continue;
                }
                add(&type_of(m));
                break;
            }
        } else if let Some(rest) = l.strip_prefix("Exception ")
            && l.ends_with(" ignored")
        {
            add(&type_of(rest));
        }
    }
    out
}

/// The trace between the markers of a program's stdout. Lines outside the markers are ignored.
pub fn parse_output(stdout: &str) -> Result<Trace, RunError> {
    let lines: Vec<&str> = stdout.lines().collect();
    let begin = lines
        .iter()
        .position(|l| l.trim_end() == TRACE_BEGIN)
        .ok_or_else(|| {
            RunError::BadOutput(format!(
                "no `{TRACE_BEGIN}` line in the output{}",
                excerpt(stdout)
            ))
        })?;
    let end = lines[begin + 1..]
        .iter()
        .position(|l| l.trim_end() == TRACE_END)
        .map(|i| begin + 1 + i)
        .ok_or_else(|| {
            RunError::BadOutput(format!(
                "no `{TRACE_END}` line after `{TRACE_BEGIN}` (output cut short?)"
            ))
        })?;
    for (i, l) in lines[begin + 1..end].iter().enumerate() {
        if let Err(e) = Trace::parse(l) {
            return Err(RunError::BadOutput(format!(
                "trace line {} (output line {}): {e}",
                i + 1,
                begin + 2 + i
            )));
        }
    }
    let body = lines[begin + 1..end].join("\n");
    let mut trace = Trace::parse(&body).map_err(|e| RunError::BadOutput(e.to_string()))?;
    trace.startup_heap = lines[..begin]
        .iter()
        .find_map(|l| l.trim_end().strip_prefix(STARTUP_HEAP_MARK)?.parse().ok());
    // `trace: summary` scenarios: the program says so; group labels as the model does.
    if lines[..begin].iter().any(|l| l.trim_end() == SUMMARY_MARK) {
        Ok(trace.summarized())
    } else {
        Ok(trace)
    }
}

fn excerpt(stdout: &str) -> String {
    let t = stdout.trim();
    if t.is_empty() {
        return " (stdout was empty)".to_string();
    }
    format!("; stdout ends with:\n{}", tail(t, 5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Event;

    #[test]
    fn counts_the_exceptions_stderr_reports_as_ignored() {
        let err = "\
Exception ignored in: <function N.__del__ at 0x7f2e8ea3f740>
Traceback (most recent call last):
  File \"<stdin>\", line 346, in __del__
RecursionError: maximum recursion depth exceeded
Exception ignored in: <bound method E.__del__ of <__main__.E object at 0x7f>>
Traceback (most recent call last):
  File \"<stdin>\", line 12, in __del__
RuntimeError
Exception ignored in: <function N.__del__ at 0x7f2e8ea3f740>
RecursionError: maximum recursion depth exceeded
Exception RuntimeError: RuntimeError() in <bound method E.__del__ of <__main__.E object at 0x7f>> ignored
Exception exceptions.AttributeError: 'nxt' in <bound method N.__del__ of <__main__.N object at 0x7f>> ignored
";
        assert_eq!(
            ignored_exceptions(err),
            vec![
                ("RecursionError".to_string(), 2),
                ("RuntimeError".to_string(), 2),
                ("AttributeError".to_string(), 1)
            ]
        );
        assert!(ignored_exceptions("gc: collecting generation 0...\n").is_empty());
        let ran = Ran {
            stdout:
                "#gcconform-trace-begin\nend\ngc.garbage: []\nalive: []\n#gcconform-trace-end\n"
                    .into(),
            stderr: err.lines().take(4).collect::<Vec<_>>().join("\n"),
        };
        assert_eq!(
            parse_run(&ran).unwrap().events.last(),
            Some(&Event::Ignored(vec![("RecursionError".into(), 1)]))
        );
    }

    #[test]
    fn parses_the_trace_between_markers() {
        let out = "noise\n#gcconform-trace-begin\ngc.collect(2) -> 4\n__del__ a#2\ngc.garbage: []\nalive: [b]\nend\ngc.garbage: []\nalive: []\n#gcconform-trace-end\n";
        let t = parse_output(out).unwrap();
        assert_eq!(t.events.len(), 7);
        assert_eq!(t.events[1], Event::Del("a#2".into()));
        assert_eq!(t.collect_results(), vec![4]);
    }

    #[test]
    fn reports_bad_output() {
        let e = parse_output("hello\n").unwrap_err();
        assert!(
            matches!(&e, RunError::BadOutput(m) if m.contains("no `#gcconform-trace-begin`") && m.contains("hello")),
            "{e}"
        );
        let e = parse_output("#gcconform-trace-begin\nend\n").unwrap_err();
        assert!(
            matches!(&e, RunError::BadOutput(m) if m.contains("#gcconform-trace-end")),
            "{e}"
        );
        let e = parse_output("#gcconform-trace-begin\nend\nTraceback (most recent call last):\n#gcconform-trace-end\n").unwrap_err();
        assert!(
            matches!(&e, RunError::BadOutput(m) if m.contains("trace line 2") && m.contains("Traceback")),
            "{e}"
        );
    }

    #[test]
    fn describes_exit_statuses_and_keeps_the_stderr_tail() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status_text(ExitStatus::from_raw(1 << 8)), "exit status 1");
        assert_eq!(
            status_text(ExitStatus::from_raw(11)),
            "killed by signal 11 (SIGSEGV)"
        );
        let text: String = (1..=30).map(|i| format!("l{i}\n")).collect();
        let t = tail(&text, 20);
        assert!(t.starts_with("[… 10 earlier lines]\nl11\n") && t.ends_with("l30"));
        assert_eq!(tail("a\nb\n", 20), "a\nb");
    }

    #[test]
    fn runs_processes_with_timeouts() {
        let sh = Path::new("/bin/sh");
        let out = run_raw(
            Command::new(sh).args(["-c", "cat; echo err >&2; exit 3"]),
            "input\n",
            Duration::from_secs(10),
        )
        .map_err(|e| e.to_string())
        .unwrap();
        assert_eq!(out.stdout, "input\n");
        assert_eq!(out.stderr, "err\n");
        assert_eq!(out.status.code(), Some(3));
        let start = Instant::now();
        let e = run_raw(
            Command::new(sh).args(["-c", "exec sleep 5"]),
            "",
            Duration::from_millis(200),
        )
        .err()
        .unwrap();
        assert_eq!(e, RunError::Timeout(Duration::from_millis(200)));
        assert!(start.elapsed() < Duration::from_secs(3));
        let e = run_raw(
            &mut Command::new("/nonexistent/python"),
            "",
            Duration::from_secs(1),
        )
        .err()
        .unwrap();
        assert!(matches!(e, RunError::Spawn { .. }));
    }

    #[test]
    fn quotes_reproducer_commands() {
        assert_eq!(shell_quote("/usr/bin/python3.12"), "/usr/bin/python3.12");
        assert_eq!(shell_quote("/a b/it's"), "'/a b/it'\\''s'");
    }
}

//! Fork-isolated batches: one long-lived interpreter (the *fork server*, `server.py`) runs many
//! programs, each in a child it forks for it.
//!
//! A child runs the program exactly as `python -s -S - < program` would (see `server.py`): the
//! same environment as [`super::process`] (every `PYTHON*` variable removed, `PYTHONHASHSEED=0`,
//! working directory `/`), module `__main__`, file name `<stdin>`, stdin at EOF. The generated
//! program starts with `gc.disable()`, a full collection and `del gc.garbage[:]`, so the child
//! starts from a clean collector whatever the server did; the server itself never runs a
//! scenario, so a leak, a resurrected object or a frozen generation in one scenario cannot
//! change the next. The traces are byte for byte those of a fresh process (`tests/it/runner.rs`
//! runs the corpus both ways). A generated program's harness, the same text in every program,
//! is compiled once per server; each child compiles only the scenario's part.
//!
//! Faults: a child that runs past the timeout is killed by its own `SIGALRM` timer (reported as
//! [`RunError::Timeout`]); a child that crashes is reported with its signal or exit status and
//! stderr, and the server goes on. If the server itself dies or stops answering, it is killed
//! (with its process group) and restarted, and the remaining programs run on the new one; a
//! program that was running alone when the server died gets [`RunError::ServerDied`] (when
//! several were running, they are retried one at a time to find the culprit). Where the server
//! cannot be used (no `os.fork`, or it does not start: not a Python, a broken interpreter), every
//! program runs in a fresh process instead ([`super::run_program`]), so each still gets its own
//! result or reason.

use super::Interpreter;
use super::process::{
    Ran, RunError, exited_unreaped, kill_group, python_command, run_program_ran, status_text, tail,
};
use super::program::translate;
use crate::scenario::Scenario;
use crate::trace::Trace;
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, ChildStdout, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::process::DRIVER;

/// The `-c` program (`bootstrap.py`, passed unchanged, so without a comment of its own):
/// reads a 10-digit length and then that many bytes of driver from stdin, and runs them (valid
/// on 2.7 and 3.x; with `exec` of the text, not `compile()`, which would create the `_ast`
/// module's classes: see `server.py`).
pub const BOOTSTRAP: &str = include_str!("bootstrap.py");

/// How many trailing stderr lines an error keeps (as for fresh processes).
const STDERR_TAIL_LINES: usize = 20;
/// How much of the server's own stderr is kept for messages.
const SERVER_STDERR_KEEP: usize = 64 << 10;

/// Counters of what a pool did (for notes and `gcconform speed`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Fork servers started successfully.
    pub servers: usize,
    /// Servers that died or hung while running programs (and were killed and replaced).
    pub server_failures: usize,
    /// Programs run in a forked child.
    pub forked: usize,
    /// Programs run in a fresh process.
    pub fresh: usize,
}

/// How many children a pool runs at a time by default: one per CPU, plus one to cover the
/// round trips between a child's end and the next one's start.
pub fn default_slots() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get()) + 1
}

/// Runs batches of programs under one interpreter, fork-isolated (see the module docs).
pub struct Pool {
    interp: Interpreter,
    slots: usize,
    server: Option<Server>,
    /// Set once runs go to fresh processes: why.
    fresh_reason: Option<String>,
    stats: PoolStats,
}

impl Pool {
    /// A pool for `interp` that runs up to [`default_slots`] children at a time. Nothing
    /// starts until the first batch.
    pub fn new(interp: &Interpreter) -> Pool {
        Pool::with_slots(interp, default_slots())
    }

    /// A pool that runs up to `slots` children at a time (at least one).
    pub fn with_slots(interp: &Interpreter, slots: usize) -> Pool {
        Pool {
            interp: interp.clone(),
            slots: slots.max(1),
            server: None,
            fresh_reason: None,
            stats: PoolStats::default(),
        }
    }

    /// A pool that never forks: one fresh process per program (for comparisons).
    pub fn fresh(interp: &Interpreter, slots: usize) -> Pool {
        let mut p = Pool::with_slots(interp, slots);
        p.fresh_reason = Some("fresh processes requested".to_string());
        p
    }

    pub fn interpreter(&self) -> &Interpreter {
        &self.interp
    }

    /// Why programs run in fresh processes instead of forked children, once they do.
    pub fn fresh_reason(&self) -> Option<&str> {
        self.fresh_reason.as_deref()
    }

    pub fn stats(&self) -> &PoolStats {
        &self.stats
    }

    /// Run every scenario's program; the traces (or why there is none) in the same order.
    pub fn run_scenarios(
        &mut self,
        scenarios: &[&Scenario],
        timeout: Duration,
    ) -> Vec<Result<Trace, RunError>> {
        in_order(scenarios.len(), |each| {
            self.run_scenarios_each(scenarios, timeout, each)
        })
    }

    /// Like [`Pool::run_scenarios`], but hands over each result (with the scenario's index)
    /// as soon as it is in, in no particular order.
    pub fn run_scenarios_each(
        &mut self,
        scenarios: &[&Scenario],
        timeout: Duration,
        each: impl FnMut(usize, Result<Trace, RunError>),
    ) {
        self.run_translated_each(
            scenarios.len(),
            |k| Arc::new(translated(scenarios[k])),
            timeout,
            each,
        );
    }

    /// [`Pool::run_scenarios_each`] for `n` scenarios whose programs `program` gives (several
    /// pools running the same scenarios translate each once: see [`with_batches`]).
    fn run_translated_each(
        &mut self,
        n: usize,
        program: impl Fn(usize) -> Arc<Translated>,
        timeout: Duration,
        mut each: impl FnMut(usize, Result<Trace, RunError>),
    ) {
        let mut programs = Vec::new();
        let mut index = Vec::new();
        let started = thread_cpu();
        for k in 0..n {
            let p = program(k);
            match &*p {
                Ok(_) => {
                    programs.push(p);
                    index.push(k);
                }
                Err(msg) => each(k, Err(RunError::Internal(msg.clone()))),
            }
        }
        let translating = thread_cpu().saturating_sub(started);
        let refs: Vec<&str> = programs.iter().filter_map(|p| p.as_deref().ok()).collect();
        let mut parsing = Duration::ZERO;
        self.run_programs_ran_each(&refs, timeout, |i, r| {
            let t = thread_cpu();
            let r = r.and_then(|o| super::process::parse_run(&o));
            parsing += thread_cpu().saturating_sub(t);
            each(index[i], r)
        });
        add_own(translating, parsing);
    }

    /// Run every program (as `python -s -S - < program` would); each one's stdout if it
    /// exited with status 0, in the same order.
    pub fn run_programs(
        &mut self,
        programs: &[&str],
        timeout: Duration,
    ) -> Vec<Result<String, RunError>> {
        in_order(programs.len(), |each| {
            self.run_programs_each(programs, timeout, each)
        })
    }

    /// Like [`Pool::run_programs`], but hands over each result (with the program's index) as
    /// soon as it is in, in no particular order.
    pub fn run_programs_each(
        &mut self,
        programs: &[&str],
        timeout: Duration,
        mut each: impl FnMut(usize, Result<String, RunError>),
    ) {
        self.run_programs_ran_each(programs, timeout, |i, r| each(i, r.map(|r| r.stdout)));
    }

    /// Like [`Pool::run_programs_each`], with each program's stderr too.
    pub fn run_programs_ran_each(
        &mut self,
        programs: &[&str],
        timeout: Duration,
        mut each: impl FnMut(usize, Result<Ran, RunError>),
    ) {
        let n = programs.len();
        // (program index, run alone): runs that were in flight when a server died are retried
        // alone, so that the one that kills it is found.
        let mut queue: VecDeque<(usize, bool)> = (0..n).map(|i| (i, false)).collect();
        let mut inflight: HashMap<u64, Flight> = HashMap::new();
        let mut next_id: u64 = 0;
        let grace = Duration::from_secs(2) + timeout / 4;
        while !queue.is_empty() || !inflight.is_empty() {
            if self.fresh_reason.is_some() {
                let rest: Vec<usize> = queue.drain(..).map(|(i, _)| i).collect();
                self.run_fresh(programs, &rest, timeout, &mut each);
                break;
            }
            if self.server.is_none() {
                match Server::start(&self.interp, self.slots, timeout) {
                    Ok(s) if s.fork => {
                        self.stats.servers += 1;
                        self.server = Some(s);
                    }
                    Ok(_) => {
                        self.fresh_reason = Some("the interpreter has no os.fork".to_string());
                        continue;
                    }
                    Err(why) => {
                        self.fresh_reason = Some(why);
                        continue;
                    }
                }
            }
            let server = self.server.as_mut().expect("started above");
            // Fill the free slots (a run marked alone waits for an empty server).
            let mut sent_ok = true;
            while inflight.len() < self.slots {
                let Some(&(i, alone)) = queue.front() else {
                    break;
                };
                if (alone && !inflight.is_empty()) || inflight.values().any(|f| f.alone) {
                    break;
                }
                queue.pop_front();
                next_id += 1;
                let ms = timeout.as_millis().clamp(1, u64::MAX as u128) as u64;
                let mut frame = format!("R {next_id} {ms} {}\n", programs[i].len()).into_bytes();
                frame.extend_from_slice(programs[i].as_bytes());
                inflight.insert(
                    next_id,
                    Flight {
                        index: i,
                        alone,
                        deadline: Instant::now() + timeout + grace,
                    },
                );
                if !server.send(frame) {
                    sent_ok = false;
                    break;
                }
            }
            let deadline = inflight
                .values()
                .map(|f| f.deadline)
                .min()
                .expect("something is in flight");
            let msg = if sent_ok && server.send(b"W\n".to_vec()) {
                server.recv_until(deadline)
            } else {
                Msg::Gone
            };
            match msg {
                Msg::Done {
                    id,
                    kind,
                    value,
                    stdout,
                    stderr,
                } if inflight.contains_key(&id) => {
                    let f = inflight.remove(&id).expect("checked");
                    self.stats.forked += 1;
                    each(
                        f.index,
                        self.outcome(kind, value, &stdout, &stderr, timeout),
                    );
                }
                other => {
                    // The server died, hung or broke the protocol: kill it, then blame, retry
                    // or time out what was in flight.
                    let mut server = self.server.take().expect("running");
                    let hung = matches!(other, Msg::Silent);
                    let why = server.kill_and_describe(&other);
                    self.stats.server_failures += 1;
                    let now = Instant::now();
                    let mut flights: Vec<Flight> = inflight.drain().map(|(_, f)| f).collect();
                    flights.sort_by_key(|f| std::cmp::Reverse(f.index));
                    let single = flights.len() == 1;
                    for f in flights {
                        if hung && now >= f.deadline {
                            each(f.index, Err(RunError::Timeout(timeout)));
                        } else if hung {
                            queue.push_front((f.index, false));
                        } else if f.alone || single {
                            each(f.index, Err(RunError::ServerDied(why.clone())));
                        } else {
                            queue.push_front((f.index, true));
                        }
                    }
                }
            }
        }
    }

    fn outcome(
        &self,
        kind: u8,
        value: i32,
        stdout: &[u8],
        stderr: &[u8],
        timeout: Duration,
    ) -> Result<Ran, RunError> {
        let stderr_text = || tail(&String::from_utf8_lossy(stderr), STDERR_TAIL_LINES);
        match (kind, value) {
            (b'x', 0) => Ok(Ran {
                stdout: String::from_utf8_lossy(stdout).into_owned(),
                stderr: String::from_utf8_lossy(stderr).into_owned(),
            }),
            (b's', libc::SIGALRM) => Err(RunError::Timeout(timeout)),
            (b'x', code) => Err(RunError::Crashed {
                status: format!("exit status {code}"),
                stderr: stderr_text(),
            }),
            (b's', sig) => Err(RunError::Crashed {
                status: status_text(std::process::ExitStatus::from_raw(sig & 0x7f)),
                stderr: stderr_text(),
            }),
            _ => Err(RunError::Spawn {
                path: self.interp.path.display().to_string(),
                reason: String::from_utf8_lossy(stderr).trim().to_string(),
            }),
        }
    }

    /// Run `which` programs in fresh processes, `slots` at a time.
    fn run_fresh(
        &mut self,
        programs: &[&str],
        which: &[usize],
        timeout: Duration,
        each: &mut impl FnMut(usize, Result<Ran, RunError>),
    ) {
        self.stats.fresh += which.len();
        let interp = &self.interp;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel();
        thread::scope(|scope| {
            for _ in 0..self.slots.min(which.len()) {
                let tx = tx.clone();
                let next = &next;
                scope.spawn(move || {
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&i) = which.get(k) else { break };
                        if tx
                            .send((i, run_program_ran(interp, programs[i], timeout)))
                            .is_err()
                        {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (i, r) in rx {
                each(i, r);
            }
        });
    }
}

/// A scenario's program, or why it has none.
type Translated = Result<String, String>;

fn translated(s: &Scenario) -> Translated {
    crate::util::guarded(|| translate(s)).map_err(|msg| format!("translating {}: {msg}", s.id))
}

/// Run scenarios under `interp` in one fork-isolated batch (see [`Pool`]).
pub fn run_many(
    interp: &Interpreter,
    scenarios: &[Scenario],
    timeout: Duration,
) -> Vec<Result<Trace, RunError>> {
    let refs: Vec<&Scenario> = scenarios.iter().collect();
    Pool::new(interp).run_scenarios(&refs, timeout)
}

/// Live runs of many (scenario, interpreter) jobs: one fork-isolated batch per interpreter,
/// all batches at once in background threads, while `consume` runs. `consume` gets a function
/// that waits for job `k`'s result and hands it over (once; a second call for the same job
/// returns an internal error).
pub fn with_batches<R>(
    jobs: &[(&Scenario, &Interpreter)],
    timeout: Duration,
    consume: impl FnOnce(&(dyn Fn(usize) -> Result<Trace, RunError> + Sync)) -> R,
) -> R {
    type Slot = Option<Result<Trace, RunError>>;
    // Group the jobs by interpreter, in order of first appearance.
    let mut groups: Vec<(&Interpreter, Vec<usize>)> = Vec::new();
    for (k, (_, i)) in jobs.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == *i) {
            Some((_, ks)) => ks.push(k),
            None => groups.push((i, vec![k])),
        }
    }
    let slots: Mutex<Vec<Slot>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    let taken: Mutex<Vec<bool>> = Mutex::new(vec![false; jobs.len()]);
    let filled = std::sync::Condvar::new();
    let put = |k: usize, r: Result<Trace, RunError>| {
        let mut s = slots.lock().unwrap_or_else(|p| p.into_inner());
        if s[k].is_none() {
            s[k] = Some(r);
        }
        filled.notify_all();
    };
    // The program is the same for every interpreter: each scenario is translated once, by the
    // first batch that needs it.
    let mut distinct: HashMap<*const Scenario, usize> = HashMap::new();
    let program_of: Vec<usize> = jobs
        .iter()
        .map(|(s, _)| {
            let n = distinct.len();
            *distinct.entry(*s as *const Scenario).or_insert(n)
        })
        .collect();
    let programs: Vec<std::sync::OnceLock<Arc<Translated>>> =
        (0..distinct.len()).map(|_| Default::default()).collect();
    thread::scope(|scope| {
        for (interp, ks) in &groups {
            let put = &put;
            let (programs, program_of) = (&programs, &program_of);
            scope.spawn(move || {
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut pool = Pool::new(interp);
                    let program = |j: usize| {
                        let k = ks[j];
                        programs[program_of[k]]
                            .get_or_init(|| Arc::new(translated(jobs[k].0)))
                            .clone()
                    };
                    pool.run_translated_each(ks.len(), program, timeout, |j, r| put(ks[j], r));
                    if let Some(why) = pool.fresh_reason() {
                        eprintln!(
                            "gcconform: note: {} {} ({}) not fork-isolated: {why}; one fresh \
                             process per scenario instead",
                            interp.implementation,
                            interp.release,
                            interp.path.display()
                        );
                    }
                }));
                if run.is_err() {
                    // Nothing may wait forever: whatever has no result gets an error.
                    for &k in ks {
                        put(
                            k,
                            Err(RunError::Internal("the batch runner panicked".into())),
                        );
                    }
                }
            });
        }
        let take = |k: usize| -> Result<Trace, RunError> {
            {
                let mut t = taken.lock().unwrap_or_else(|p| p.into_inner());
                if std::mem::replace(&mut t[k], true) {
                    return Err(RunError::Internal(format!("job {k} taken twice")));
                }
            }
            let mut s = slots.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(r) = s[k].take() {
                    return r;
                }
                s = filled.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        };
        consume(&take)
    })
}

struct Flight {
    index: usize,
    alone: bool,
    deadline: Instant,
}

/// What the reader thread got from the server.
#[derive(Debug)]
enum Msg {
    Hello {
        fork: bool,
        /// The compiler process's id, if it has one.
        compiler: Option<u32>,
    },
    Done {
        id: u64,
        kind: u8,
        value: i32,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
    /// Its stdout closed (it died, or closed it).
    Eof,
    /// It wrote something that is not the protocol.
    Garbage(String),
    /// No answer before the deadline.
    Silent,
    /// It could not be written to.
    Gone,
}

/// A running fork server.
struct Server {
    child: Child,
    /// Waited for: its id may have been reused, so it must not be signalled any more.
    reaped: bool,
    fork: bool,
    /// The server's compiler process (`server.py`, `_compiler`), for [`ServerCpu`].
    compiler: Option<u32>,
    to_server: Option<Sender<Vec<u8>>>,
    from_server: Receiver<Msg>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_done: Receiver<()>,
}

impl Server {
    /// Start the server and wait (up to `timeout`) for its greeting.
    fn start(interp: &Interpreter, slots: usize, timeout: Duration) -> Result<Server, String> {
        let path = interp.path.display().to_string();
        let mut cmd = python_command(&interp.path);
        cmd.args(["-c", BOOTSTRAP])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that it can be killed with every child it forked.
            .process_group(0);
        super::process::die_with_parent(&mut cmd);
        let mut child = cmd.spawn().map_err(|e| {
            RunError::Spawn {
                path: path.clone(),
                reason: e.to_string(),
            }
            .to_string()
        })?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let stderr_pipe = child.stderr.take().expect("piped");
        let (to_server, writer_rx) = mpsc::channel::<Vec<u8>>();
        thread::spawn(move || writer(stdin, writer_rx));
        let (msg_tx, from_server) = mpsc::channel();
        thread::spawn(move || reader(stdout, msg_tx));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (done_tx, stderr_done) = mpsc::channel();
        {
            let stderr = stderr.clone();
            thread::spawn(move || {
                collect_stderr(stderr_pipe, &stderr);
                let _ = done_tx.send(());
            });
        }
        let mut server = Server {
            child,
            reaped: false,
            fork: false,
            compiler: None,
            to_server: Some(to_server),
            from_server,
            stderr,
            stderr_done,
        };
        let tmp = std::env::temp_dir();
        let tmp = tmp.to_string_lossy();
        let mut hello = format!("{:010}", DRIVER.len()).into_bytes();
        hello.extend_from_slice(DRIVER.as_bytes());
        hello.extend_from_slice(format!("C {slots} {}\n{tmp}", tmp.len()).as_bytes());
        let msg = if server.send(hello) {
            server.recv_until(Instant::now() + timeout)
        } else {
            Msg::Gone
        };
        match msg {
            Msg::Hello { fork, compiler } => {
                server.fork = fork;
                server.compiler = compiler;
                Ok(server)
            }
            other => {
                let why = server.kill_and_describe(&other);
                Err(format!("the fork server did not start: {why}"))
            }
        }
    }

    fn send(&mut self, frame: Vec<u8>) -> bool {
        self.to_server
            .as_ref()
            .is_some_and(|tx| tx.send(frame).is_ok())
    }

    fn recv_until(&mut self, deadline: Instant) -> Msg {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.from_server.recv_timeout(wait) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => Msg::Silent,
            Err(RecvTimeoutError::Disconnected) => Msg::Eof,
        }
    }

    /// Kill the server and everything it forked; say what happened to it.
    fn kill_and_describe(&mut self, msg: &Msg) -> String {
        let pid = self.child.id();
        if matches!(msg, Msg::Eof | Msg::Gone) {
            // It is probably exiting: give it a moment, to report how it ended.
            let deadline = Instant::now() + Duration::from_millis(500);
            while !exited_unreaped(pid) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
        }
        kill_group(pid);
        let status = self.child.wait().ok();
        self.reaped = true;
        self.to_server = None;
        // Give the stderr reader a moment to see EOF.
        let _ = self.stderr_done.recv_timeout(Duration::from_millis(500));
        let stderr = {
            let e = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
            tail(&String::from_utf8_lossy(&e), STDERR_TAIL_LINES)
        };
        let what = match (msg, status) {
            (Msg::Silent, _) => "stopped answering (killed)".to_string(),
            (Msg::Garbage(g), _) => format!("answered {g:?} instead of the protocol"),
            (_, Some(s)) if s.signal() == Some(libc::SIGKILL) => {
                "was killed by signal 9 (SIGKILL)".to_string()
            }
            (_, Some(s)) => format!("died ({})", status_text(s)),
            (_, None) => "died".to_string(),
        };
        if stderr.trim().is_empty() {
            what
        } else {
            format!("{what}; its stderr:\n{}", stderr.trim())
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.reaped {
            return;
        }
        // EOF on its stdin makes it kill its children and exit.
        let compiler = self.compiler.and_then(proc_cpu);
        self.to_server = None;
        let pid = self.child.id();
        let deadline = Instant::now() + Duration::from_millis(500);
        while !exited_unreaped(pid) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        // Exited, not yet reaped: its own times and those of everything it reaped (its
        // children and, at its exit, the compiler) are final.
        if let (Some(server), Some((cu, cs))) = (proc_cpu(pid), compiler) {
            let mut t = ENDED_SERVERS.lock().unwrap_or_else(|p| p.into_inner());
            t.servers += 1;
            t.server_user += server.0;
            t.server_system += server.1;
            t.compiler += cu + cs;
            let (ku, ks) = proc_children_cpu(pid).unwrap_or_default();
            // The compiler's times were read just before it ended; what it did after is a
            // tick or two at most.
            let kids = (ku + ks).saturating_sub(cu + cs);
            let sys = ks.saturating_sub(cs).min(kids);
            t.children_user += kids - sys;
            t.children_system += sys;
        }
        kill_group(pid);
        let _ = self.child.wait();
    }
}

/// Where the CPU of fork-isolated batches went: every fork server that ended normally in this
/// process so far, summed (read from `/proc/<pid>/stat` when it has exited; Linux only, zero
/// elsewhere). Children's system time is mostly page faults (copy-on-write of the server's
/// pages), the server's mostly forking; a child's user time includes its observations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerCpu {
    pub servers: usize,
    pub server_user: Duration,
    pub server_system: Duration,
    /// The compiler processes (user and system).
    pub compiler: Duration,
    pub children_user: Duration,
    pub children_system: Duration,
    /// gcconform's own CPU for programs: translating scenarios to programs.
    pub translate: Duration,
    /// gcconform's own CPU for reading traces (parsing a run's output).
    pub parse: Duration,
}

impl ServerCpu {
    /// What was spent between `before` and `self`.
    pub fn since(&self, before: &ServerCpu) -> ServerCpu {
        ServerCpu {
            servers: self.servers - before.servers,
            server_user: self.server_user.saturating_sub(before.server_user),
            server_system: self.server_system.saturating_sub(before.server_system),
            compiler: self.compiler.saturating_sub(before.compiler),
            children_user: self.children_user.saturating_sub(before.children_user),
            children_system: self.children_system.saturating_sub(before.children_system),
            translate: self.translate.saturating_sub(before.translate),
            parse: self.parse.saturating_sub(before.parse),
        }
    }
}

static ENDED_SERVERS: Mutex<ServerCpu> = Mutex::new(ServerCpu {
    servers: 0,
    server_user: Duration::ZERO,
    server_system: Duration::ZERO,
    compiler: Duration::ZERO,
    children_user: Duration::ZERO,
    children_system: Duration::ZERO,
    translate: Duration::ZERO,
    parse: Duration::ZERO,
});

/// The totals so far (see [`ServerCpu`]); take the difference of two readings.
pub fn server_cpu() -> ServerCpu {
    *ENDED_SERVERS.lock().unwrap_or_else(|p| p.into_inner())
}

fn add_own(translate: Duration, parse: Duration) {
    let mut t = ENDED_SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    t.translate += translate;
    t.parse += parse;
}

/// The CPU time the calling thread has used.
pub fn thread_cpu() -> Duration {
    // SAFETY: clock_gettime(2) fills the zeroed struct.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Fields 14-17 of `/proc/<pid>/stat` (utime, stime, cutime, cstime) as durations.
fn proc_stat_times(pid: u32) -> Option<[Duration; 4]> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // SAFETY: sysconf(3) has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz <= 0 {
        return None;
    }
    let tick = |i: usize| -> Option<Duration> {
        let t: u64 = f.get(i)?.parse().ok()?;
        Some(Duration::from_nanos(
            t.saturating_mul(1_000_000_000) / hz as u64,
        ))
    };
    // After the name: state is field 3, utime 14.
    Some([tick(11)?, tick(12)?, tick(13)?, tick(14)?])
}

/// (user, system) of process `pid`.
fn proc_cpu(pid: u32) -> Option<(Duration, Duration)> {
    proc_stat_times(pid).map(|t| (t[0], t[1]))
}

/// (user, system) of the children `pid` has waited for.
fn proc_children_cpu(pid: u32) -> Option<(Duration, Duration)> {
    proc_stat_times(pid).map(|t| (t[2], t[3]))
}

/// Write frames until the channel closes or the pipe breaks.
fn writer(mut stdin: std::process::ChildStdin, frames: Receiver<Vec<u8>>) {
    super::process::ignore_sigpipe_in_this_thread();
    for f in frames {
        if stdin.write_all(&f).and_then(|_| stdin.flush()).is_err() {
            return;
        }
    }
}

/// Parse the server's answers until EOF or garbage.
fn reader(stdout: ChildStdout, tx: Sender<Msg>) {
    let mut r = BufReader::with_capacity(1 << 16, stdout);
    loop {
        let mut line = Vec::new();
        match r.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => {
                let _ = tx.send(Msg::Eof);
                return;
            }
            Ok(_) => {}
        }
        let msg = parse_header(&line).and_then(|h| match h {
            Header::Hello { fork, compiler } => Some(Msg::Hello { fork, compiler }),
            Header::Done {
                id,
                kind,
                value,
                out,
                err,
            } => {
                let mut stdout = vec![0; out];
                let mut stderr = vec![0; err];
                r.read_exact(&mut stdout).ok()?;
                r.read_exact(&mut stderr).ok()?;
                Some(Msg::Done {
                    id,
                    kind,
                    value,
                    stdout,
                    stderr,
                })
            }
        });
        match msg {
            Some(m) => {
                if tx.send(m).is_err() {
                    return;
                }
            }
            None => {
                let text = String::from_utf8_lossy(&line);
                let mut text: String = text.trim_end().chars().take(200).collect();
                if text.is_empty() {
                    text = "an empty line".into();
                }
                let _ = tx.send(Msg::Garbage(text));
                return;
            }
        }
    }
}

enum Header {
    Hello {
        fork: bool,
        compiler: Option<u32>,
    },
    Done {
        id: u64,
        kind: u8,
        value: i32,
        out: usize,
        err: usize,
    },
}

fn parse_header(line: &[u8]) -> Option<Header> {
    let line = std::str::from_utf8(line).ok()?.strip_suffix('\n')?;
    let f: Vec<&str> = line.split(' ').collect();
    match f.as_slice() {
        ["H", _pid, fork] => Some(Header::Hello {
            fork: *fork == "1",
            compiler: None,
        }),
        ["H", _pid, fork, compiler] => Some(Header::Hello {
            fork: *fork == "1",
            compiler: compiler.parse().ok().filter(|p| *p > 0),
        }),
        ["D", id, kind, value, out, err] if ["x", "s", "e"].contains(kind) => Some(Header::Done {
            id: id.parse().ok()?,
            kind: kind.as_bytes()[0],
            value: value.parse().ok()?,
            out: out.parse().ok()?,
            err: err.parse().ok()?,
        }),
        _ => None,
    }
}

/// Keep the last [`SERVER_STDERR_KEEP`] bytes of the server's stderr.
fn collect_stderr(mut pipe: std::process::ChildStderr, keep: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut k = keep.lock().unwrap_or_else(|p| p.into_inner());
                k.extend_from_slice(&buf[..n]);
                if k.len() > SERVER_STDERR_KEEP {
                    let cut = k.len() - SERVER_STDERR_KEEP;
                    k.drain(..cut);
                }
            }
        }
    }
}

/// Results handed over by index, in any order, put back in index order.
fn in_order<T>(n: usize, run: impl FnOnce(&mut dyn FnMut(usize, T))) -> Vec<T> {
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    run(&mut |k, r| out[k] = Some(r));
    out.into_iter()
        .map(|r| r.expect("every item has a result"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_headers() {
        assert!(matches!(
            parse_header(b"H 12 1\n"),
            Some(Header::Hello {
                fork: true,
                compiler: None
            })
        ));
        assert!(matches!(
            parse_header(b"D 3 s 11 0 5\n"),
            Some(Header::Done {
                id: 3,
                kind: b's',
                value: 11,
                out: 0,
                err: 5
            })
        ));
        assert!(parse_header(b"D 3 q 11 0 5\n").is_none());
        assert!(parse_header(b"hello\n").is_none());
        assert!(parse_header(b"H 1 1").is_none());
    }

    #[test]
    fn the_bootstrap_frames_the_driver() {
        assert!(BOOTSTRAP.contains("_r(int(_r(10)))"));
        assert!(DRIVER.starts_with("# gcconform fork server"));
    }

    #[test]
    fn only_programs_that_never_enable_freeze_or_unfreeze_run_on_a_frozen_heap() {
        use super::super::program::FROZEN_OK;
        assert!(
            DRIVER.contains(&format!("_FROZEN_OK = b'\\n{FROZEN_OK}\\n'")),
            "{FROZEN_OK}"
        );
        let program = |steps: &str| {
            let text =
                format!("versions: [\"3.7+\"]\nclasses:\n  A:\n    __del__: pass\nsteps:\n{steps}");
            let s =
                crate::scenario::parse_scenario(std::path::Path::new("scenarios/t/x.yaml"), &text)
                    .unwrap();
            translate(&s)
        };
        let frozen_ok = |p: &str| p.contains(&format!("\n{FROZEN_OK}\n"));
        assert!(frozen_ok(&program(
            "  - a = A()\n  - gc.collect()\n  - gc.set_threshold(1)\n"
        )));
        for stmt in ["gc.enable()", "gc.freeze()", "gc.unfreeze()"] {
            assert!(
                !frozen_ok(&program(&format!("  - a = A()\n  - {stmt}\n"))),
                "{stmt}"
            );
        }
        // In a __del__ body too.
        let s = crate::scenario::parse_scenario(
            std::path::Path::new("scenarios/t/y.yaml"),
            "classes:\n  A:\n    __del__: gc.enable()\nsteps:\n  - a = A()\n",
        )
        .unwrap();
        assert!(!frozen_ok(&translate(&s)));
    }

    #[test]
    fn the_driver_splits_programs_where_the_scenario_part_starts() {
        let split = format!("_SPLIT = b'\\n{}'", super::super::program::SCENARIO_PART);
        assert!(DRIVER.contains(&split), "{split}");
        let s = crate::scenario::parse_scenario(
            std::path::Path::new("scenarios/t/x.yaml"),
            "classes:\n  A: {}\nsteps:\n  - a = A()\n",
        )
        .unwrap();
        let p = translate(&s);
        let at = p.find(&format!("\n{}", super::super::program::SCENARIO_PART));
        let at = at.expect("the marker is in every program");
        // Everything before it but the comment header is the same in every program.
        let body = |p: &str| {
            let start = p.find("from __future__").unwrap();
            p[start..p.find("\n# ---- classes").unwrap()].to_string()
        };
        assert!(p[at..].contains("class A(object)"));
        let other = crate::scenario::parse_scenario(
            std::path::Path::new("scenarios/t/y.yaml"),
            "description: other\nsteps:\n  - gc.collect()\n",
        )
        .unwrap();
        assert_eq!(body(&p), body(&translate(&other)));
    }
}

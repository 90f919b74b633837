//! Finding interpreters: `GCCONFORM_PYTHONS`, the version managers' install directories
//! (pyenv, uv, mise, asdf), conda environments, PATH, explicit paths.
//!
//! For each modelled version the first candidate that answers with the right `major.minor`,
//! the CPython implementation and a default build (not free-threaded, not debug) wins, in this
//! order:
//! 1. paths listed in `GCCONFORM_PYTHONS` (PATH-style list; the user's explicit choice);
//! 2. the managers' installs whose directory names the release ([`Manager`]): the reference
//!    release first (whichever manager has it), then by manager (pyenv, uv, mise, asdf), then
//!    the highest patch release;
//! 3. the Pythons of conda environments (their directories do not name a release: each is
//!    probed);
//! 4. `pythonX.Y` on `PATH` (only probed for versions still missing).
//!
//! Every candidate is probed (run with a tiny program) in parallel; nothing is cached.
//! [`discover_all`] lists every interpreter of every place, modelled or not, for
//! `gcconform interpreters`.

use super::process::{python_command, run_raw};
use crate::version::Version;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

/// One interpreter that was found and asked for its version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpreter {
    pub path: PathBuf,
    /// The modelled version it corresponds to (major.minor), if any.
    pub version: Option<Version>,
    /// Exact release, e.g. `3.12.1`.
    pub release: String,
    /// `CPython`, `PyPy`, …
    pub implementation: String,
    /// A free-threaded build (`Py_GIL_DISABLED`, 3.13+): its collector has no generations.
    pub free_threaded: bool,
    /// A debug build (`sys.gettotalrefcount`): it holds other objects than a release build.
    pub debug: bool,
}

/// What discovery found, and which modelled versions have no interpreter.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// One interpreter per modelled version found (oldest first), then any interpreters from
    /// `GCCONFORM_PYTHONS` that are not a modelled CPython version (`version: None`).
    pub found: Vec<Interpreter>,
    pub missing: Vec<Version>,
    /// Paths listed in `GCCONFORM_PYTHONS` that are not a runnable interpreter, and why (an
    /// interpreter asked for explicitly and missing is a failure, not just a missing version).
    pub failed: Vec<(PathBuf, String)>,
}

impl Interpreter {
    /// `CPython 3.12.1`: how reports name an interpreter.
    pub fn label(&self) -> String {
        format!("{} {}", self.implementation, self.release)
    }

    /// Whether the interpreter is CPython (the only source of expected traces).
    pub fn is_cpython(&self) -> bool {
        self.implementation.eq_ignore_ascii_case("cpython")
    }

    /// `free-threaded`, `debug`, `free-threaded debug` or `default`.
    pub fn build(&self) -> &'static str {
        match (self.free_threaded, self.debug) {
            (false, false) => "default",
            (true, false) => "free-threaded",
            (false, true) => "debug",
            (true, true) => "free-threaded debug",
        }
    }
}

impl Discovery {
    /// The interpreter for a version, if found.
    pub fn get(&self, v: Version) -> Option<&Interpreter> {
        self.found.iter().find(|i| i.version == Some(v))
    }
}

/// The environment variable with extra interpreter paths.
pub const PYTHONS_ENV: &str = "GCCONFORM_PYTHONS";

/// How long a probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// Prints `major minor release implementation executable`, then `free-threaded debug` (two
/// 0/1 flags); valid on 2.7 and 3.x.
const PROBE_PROGRAM: &str = "import sys, platform\n\
sys.stdout.write('%d %d %s %s %s\\n' % (sys.version_info[0], sys.version_info[1], \
sys.version.split()[0], platform.python_implementation(), sys.executable))\n\
try:\n    import sysconfig\n    ft = sysconfig.get_config_var('Py_GIL_DISABLED')\n\
except Exception:\n    ft = 0\n\
sys.stdout.write('%d %d\\n' % (ft and 1 or 0, hasattr(sys, 'gettotalrefcount') and 1 or 0))\n";

/// Find one interpreter per modelled version.
pub fn discover() -> Discovery {
    discover_versions(&Version::ALL, true)
}

/// Discovery restricted to `versions`; `extras` keeps unmodelled `GCCONFORM_PYTHONS` entries.
fn discover_versions(versions: &[Version], extras: bool) -> Discovery {
    let explicit = explicit_candidates();
    let mut first: Vec<PathBuf> = explicit.clone();
    for v in versions {
        first.extend(managed_candidates(*v));
    }
    first.extend(conda_candidates());
    let probed = probe_all(&first);
    let mut chosen: Vec<(Version, Interpreter)> = Vec::new();
    let pick = |chosen: &mut Vec<(Version, Interpreter)>,
                probed: &[(PathBuf, Result<Interpreter, String>)]| {
        for (_, r) in probed {
            let Ok(i) = r else { continue };
            let Some(v) = i.version else { continue };
            if versions.contains(&v) && !chosen.iter().any(|(c, _)| *c == v) {
                chosen.push((v, i.clone()));
            }
        }
    };
    // Explicit paths first, then pyenv, in candidate order.
    pick(&mut chosen, &probed);
    let missing: Vec<Version> = versions
        .iter()
        .copied()
        .filter(|v| !chosen.iter().any(|(c, _)| c == v))
        .collect();
    if !missing.is_empty() {
        let on_path: Vec<PathBuf> = missing.iter().filter_map(|v| path_candidate(*v)).collect();
        let probed_path = probe_all(&on_path);
        pick(&mut chosen, &probed_path);
    }
    chosen.sort_by_key(|(v, _)| *v);
    let mut found: Vec<Interpreter> = chosen.iter().map(|(_, i)| i.clone()).collect();
    if extras {
        let used: HashSet<PathBuf> = found.iter().map(|i| i.path.clone()).collect();
        for (_, r) in probed.iter().take(explicit.len()) {
            if let Ok(i) = r
                && i.version.is_none()
                && !used.contains(&i.path)
                && !found.contains(i)
            {
                found.push(i.clone());
            }
        }
    }
    let missing = versions
        .iter()
        .copied()
        .filter(|v| !found.iter().any(|i| i.version == Some(*v)))
        .collect();
    let failed = probed
        .iter()
        .filter(|(p, _)| explicit.contains(p))
        .filter_map(|(p, r)| r.as_ref().err().map(|e| (p.clone(), e.clone())))
        .collect();
    Discovery {
        found,
        missing,
        failed,
    }
}

/// Resolve `--python`'s argument: a version (`3.12`) or a path.
pub fn resolve(spec: &str) -> Result<Interpreter, String> {
    if let Ok(v) = spec.parse::<Version>() {
        let d = discover_versions(&[v], false);
        return d.get(v).cloned().ok_or_else(|| {
            format!(
                "no CPython {v} interpreter found; searched: {}",
                searched_description(v)
            )
        });
    }
    let path = if spec.contains('/') {
        PathBuf::from(spec)
    } else {
        // A bare command name: look it up on PATH.
        find_on_path(spec).ok_or_else(|| {
            format!(
                "`{spec}` is neither a supported version (2.7, 3.6 … 3.13) nor an interpreter path, and there is no `{spec}` on PATH"
            )
        })?
    };
    probe(&path).map_err(|e| format!("`{spec}` is not a runnable Python interpreter: {e}"))
}

/// What discovery looks at for `v`, for error messages.
pub fn searched_description(v: Version) -> String {
    let (a, b) = v.major_minor();
    let env = match std::env::var_os(PYTHONS_ENV) {
        Some(s) if !s.is_empty() => format!("${PYTHONS_ENV} ({})", s.to_string_lossy()),
        _ => format!("${PYTHONS_ENV} (not set)"),
    };
    let mut places = vec![env];
    for m in Manager::ALL {
        match m.root() {
            Some(r) => places.push(format!("{} ({})", m.name(), m.pattern(&r, a, b))),
            None => places.push(format!("{} (no home directory)", m.name())),
        }
    }
    let conda = conda_roots();
    if conda.is_empty() {
        places.push("conda (no installation found)".to_string());
    } else {
        let roots: Vec<String> = conda.iter().map(|r| r.display().to_string()).collect();
        places.push(format!("conda environments under {}", roots.join(", ")));
    }
    places.push(format!("python{a}.{b} on PATH"));
    places.join(", ")
}

/// Ask the interpreter at `path` what it is.
pub fn probe(path: &Path) -> Result<Interpreter, String> {
    let mut cmd = python_command(path);
    cmd.arg("-");
    let out = run_raw(&mut cmd, PROBE_PROGRAM, PROBE_TIMEOUT).map_err(|e| e.to_string())?;
    if !out.status.success() {
        let err = out.stderr.trim();
        let last = err.lines().last().unwrap_or("");
        return Err(format!(
            "{} ({}{})",
            path.display(),
            super::process::status_text(out.status),
            if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            }
        ));
    }
    parse_probe(path, &out.stdout)
}

fn parse_probe(path: &Path, stdout: &str) -> Result<Interpreter, String> {
    let bad = || {
        format!(
            "{}: unexpected answer to the version probe: {:?}",
            path.display(),
            stdout.trim()
        )
    };
    let line = stdout.lines().next().ok_or_else(bad)?;
    let mut parts = line.splitn(5, ' ');
    let major: u32 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let minor: u32 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let release = parts.next().ok_or_else(bad)?.to_string();
    let implementation = parts.next().ok_or_else(bad)?.to_string();
    let exe = parts.next().unwrap_or("").trim();
    // The build flags (absent from an older or a hand-written answer: a default build).
    let flags: Vec<bool> = stdout
        .lines()
        .nth(1)
        .map(|l| l.split_whitespace().map(|f| f == "1").collect())
        .unwrap_or_default();
    let free_threaded = flags.first().copied().unwrap_or(false);
    let debug = flags.get(1).copied().unwrap_or(false);
    // Only a default CPython build is what a modelled version describes.
    let version = if implementation == "CPython" && !free_threaded && !debug {
        Version::from_major_minor(major, minor)
    } else {
        None
    };
    // Prefer the real executable (a pyenv shim or wrapper script resolves to it).
    let real = PathBuf::from(exe);
    let path = if !exe.is_empty() && real.is_file() {
        real
    } else {
        path.to_path_buf()
    };
    Ok(Interpreter {
        path,
        version,
        release,
        implementation,
        free_threaded,
        debug,
    })
}

/// Probe every path in parallel; results in the same order.
fn probe_all(paths: &[PathBuf]) -> Vec<(PathBuf, Result<Interpreter, String>)> {
    let mut seen = HashSet::new();
    let unique: Vec<PathBuf> = paths
        .iter()
        .filter(|p| seen.insert((*p).clone()))
        .cloned()
        .collect();
    let handles: Vec<_> = unique
        .into_iter()
        .map(|p| {
            let q = p.clone();
            (p, thread::spawn(move || probe(&q)))
        })
        .collect();
    handles
        .into_iter()
        .map(|(p, h)| {
            let r = h
                .join()
                .unwrap_or_else(|_| Err("the probe thread panicked".to_string()));
            (p, r)
        })
        .collect()
}

fn explicit_candidates() -> Vec<PathBuf> {
    match std::env::var_os(PYTHONS_ENV) {
        Some(s) => std::env::split_paths(&s)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => Vec::new(),
    }
}

/// A version manager that installs each release in a directory named after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// `$PYENV_ROOT/versions/X.Y.N/bin/python` (default root `~/.pyenv`).
    Pyenv,
    /// uv's managed Pythons: `$UV_PYTHON_INSTALL_DIR` or `$XDG_DATA_HOME/uv/python` (default
    /// `~/.local/share/uv/python`), `cpython-X.Y.N-<platform>/bin/python3`.
    Uv,
    /// `$MISE_DATA_DIR` or `$XDG_DATA_HOME/mise` (default `~/.local/share/mise`),
    /// `installs/python/X.Y.N/bin/python`.
    Mise,
    /// `$ASDF_DATA_DIR` (default `~/.asdf`), `installs/python/X.Y.N/bin/python`.
    Asdf,
}

impl Manager {
    /// In the order discovery prefers them.
    pub const ALL: [Manager; 4] = [Manager::Pyenv, Manager::Uv, Manager::Mise, Manager::Asdf];

    pub fn name(self) -> &'static str {
        match self {
            Manager::Pyenv => "pyenv",
            Manager::Uv => "uv",
            Manager::Mise => "mise",
            Manager::Asdf => "asdf",
        }
    }

    /// The directory that holds one directory per installed release.
    fn root(self) -> Option<PathBuf> {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let home = env("HOME");
        let data = env("XDG_DATA_HOME").or_else(|| home.as_ref().map(|h| h.join(".local/share")));
        match self {
            Manager::Pyenv => env("PYENV_ROOT")
                .or_else(|| home.map(|h| h.join(".pyenv")))
                .map(|r| r.join("versions")),
            Manager::Uv => {
                env("UV_PYTHON_INSTALL_DIR").or_else(|| data.map(|d| d.join("uv/python")))
            }
            Manager::Mise => env("MISE_DATA_DIR")
                .or_else(|| data.map(|d| d.join("mise")))
                .map(|r| r.join("installs/python")),
            Manager::Asdf => env("ASDF_DATA_DIR")
                .or_else(|| home.map(|h| h.join(".asdf")))
                .map(|r| r.join("installs/python")),
        }
    }

    /// What a release's directory is called: `3.12.1`, or uv's `cpython-3.12.1-<platform>`.
    /// (The patch number of X.Y's default CPython build; None for other names: other
    /// implementations, free-threaded `3.13.0t` / `+freethreaded`, `-dev`, `-debug`.)
    fn release_in(self, name: &str, a: u32, b: u32) -> Option<u32> {
        let rest = match self {
            Manager::Uv => name.strip_prefix("cpython-")?,
            _ => name,
        };
        let rest = rest.strip_prefix(&format!("{a}.{b}."))?;
        let (patch, tail) = match rest.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let ok_tail = match self {
            Manager::Uv => tail.starts_with('-') && !tail.contains("debug"),
            _ => tail.is_empty(),
        };
        if ok_tail { patch.parse().ok() } else { None }
    }

    /// The executable inside a release's directory.
    fn executable(self, dir: &Path) -> Option<PathBuf> {
        ["bin/python", "bin/python3"]
            .iter()
            .map(|e| dir.join(e))
            .find(|p| p.is_file())
    }

    /// How `searched_description` shows where X.Y would be.
    fn pattern(self, root: &Path, a: u32, b: u32) -> String {
        let d = match self {
            Manager::Uv => format!("cpython-{a}.{b}.*-*"),
            _ => format!("{a}.{b}.*"),
        };
        format!("{}/{d}/bin/python", root.display())
    }

    /// Every installed release directory, whatever it holds (for `discover_all`).
    fn all_executables(self) -> Vec<PathBuf> {
        let Some(root) = self.root() else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(root) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = entries
            .flatten()
            .filter_map(|e| self.executable(&e.path()))
            .collect();
        v.sort();
        v
    }
}

/// X.Y's installs under every manager: the reference release first (pyenv's, then uv's, …),
/// then manager by manager, the highest patch release first.
fn managed_candidates(v: Version) -> Vec<PathBuf> {
    let (a, b) = v.major_minor();
    let reference: u32 = v
        .reference_release()
        .rsplit('.')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(u32::MAX);
    let mut found: Vec<(bool, usize, u32, PathBuf)> = Vec::new();
    for (rank, m) in Manager::ALL.iter().enumerate() {
        let Some(root) = m.root() else { continue };
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(patch) = m.release_in(&name, a, b) else {
                continue;
            };
            if let Some(exe) = m.executable(&e.path()) {
                found.push((patch != reference, rank, u32::MAX - patch, exe));
            }
        }
    }
    found.sort();
    found.into_iter().map(|(.., p)| p).collect()
}

/// Where conda keeps its installations: the active environment's root (`$CONDA_PREFIX`, or
/// the base of `$CONDA_EXE`) and the usual installation directories in the home directory.
fn conda_roots() -> Vec<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let mut roots = Vec::new();
    if let Some(p) = env("CONDA_PREFIX") {
        // An environment's prefix is `<root>/envs/<name>`; the base's is the root itself.
        match p.parent() {
            Some(envs) if envs.file_name().is_some_and(|n| n == "envs") => {
                roots.extend(envs.parent().map(Path::to_path_buf));
            }
            _ => roots.push(p),
        }
    }
    if let Some(exe) = env("CONDA_EXE") {
        roots.extend(exe.parent().and_then(Path::parent).map(Path::to_path_buf));
    }
    if let Some(home) = env("HOME") {
        for d in [
            "miniconda3",
            "anaconda3",
            "miniforge3",
            "mambaforge",
            ".conda",
        ] {
            roots.push(home.join(d));
        }
    }
    let mut seen = HashSet::new();
    roots.retain(|r| r.is_dir() && seen.insert(r.clone()));
    roots
}

/// The Python of every conda environment (the base and `envs/*`).
fn conda_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for root in conda_roots() {
        out.push(root.join("bin/python"));
        if let Ok(entries) = std::fs::read_dir(root.join("envs")) {
            let mut envs: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path().join("bin/python"))
                .collect();
            envs.sort();
            out.extend(envs);
        }
    }
    out.retain(|p| p.is_file());
    out
}

/// [`discover_all`]'s answer: each interpreter with where it was found (`pyenv`, `uv`, `mise`,
/// `asdf`, `conda`, `PATH`, `$GCCONFORM_PYTHONS`), and the paths of `GCCONFORM_PYTHONS` that are
/// not runnable interpreters, with why.
pub type Everything = (Vec<(String, Interpreter)>, Vec<(PathBuf, String)>);

/// Every interpreter in every place discovery looks, modelled or not (other releases, other
/// builds, other implementations), each once, with where it was found; and the paths in
/// `GCCONFORM_PYTHONS` that are not runnable interpreters.
pub fn discover_all() -> Everything {
    let mut places: Vec<(String, PathBuf)> = Vec::new();
    for p in explicit_candidates() {
        places.push((format!("${PYTHONS_ENV}"), p));
    }
    for m in Manager::ALL {
        for p in m.all_executables() {
            places.push((m.name().to_string(), p));
        }
    }
    for p in conda_candidates() {
        places.push(("conda".to_string(), p));
    }
    for v in Version::ALL {
        if let Some(p) = path_candidate(v) {
            places.push(("PATH".to_string(), p));
        }
    }
    for name in ["python3", "python", "pypy3", "pypy"] {
        if let Some(p) = find_on_path(name) {
            places.push(("PATH".to_string(), p));
        }
    }
    let paths: Vec<PathBuf> = places.iter().map(|(_, p)| p.clone()).collect();
    let probed = probe_all(&paths);
    let explicit: HashSet<PathBuf> = explicit_candidates().into_iter().collect();
    let mut found: Vec<(String, Interpreter)> = Vec::new();
    let mut failed = Vec::new();
    for (p, r) in probed {
        let from = places
            .iter()
            .find(|(_, q)| *q == p)
            .map(|(w, _)| w.clone())
            .unwrap_or_default();
        match r {
            Ok(i) => {
                if !found.iter().any(|(_, f)| same_file(&f.path, &i.path)) {
                    found.push((from, i));
                }
            }
            Err(e) if explicit.contains(&p) => failed.push((p, e)),
            Err(_) => {}
        }
    }
    (found, failed)
}

/// Whether two paths name the same executable (through symbolic links: `bin/python` and
/// `bin/python3.12` of one installation).
pub fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// `pythonX.Y` on PATH.
fn path_candidate(v: Version) -> Option<PathBuf> {
    let (a, b) = v.major_minor();
    find_on_path(&format!("python{a}.{b}"))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_probe_answers() {
        let i = parse_probe(
            Path::new("/x/python3.12"),
            "3 12 3.12.1 CPython /nonexistent/python\n",
        )
        .unwrap();
        assert_eq!(i.version, Some(Version::V3_12));
        assert_eq!(i.release, "3.12.1");
        assert_eq!(i.implementation, "CPython");
        // The reported executable does not exist: keep the probed path.
        assert_eq!(i.path, PathBuf::from("/x/python3.12"));
        let i = parse_probe(Path::new("/x/pypy"), "3 9 3.9.18 PyPy /x/pypy\n").unwrap();
        assert_eq!(i.version, None);
        let i = parse_probe(Path::new("/x/p"), "3 14 3.14.0 CPython \n").unwrap();
        assert_eq!(i.version, None);
        // The build flags: free-threaded and debug builds are no modelled version.
        let i = parse_probe(Path::new("/x/p"), "3 13 3.13.0 CPython /x/p\n1 0\n").unwrap();
        assert!(i.free_threaded && !i.debug && i.version.is_none());
        assert_eq!(i.build(), "free-threaded");
        let i = parse_probe(Path::new("/x/p"), "3 12 3.12.1 CPython /x/p\n0 1\n").unwrap();
        assert!(i.debug && i.version.is_none());
        let i = parse_probe(Path::new("/x/p"), "3 12 3.12.1 CPython /x/p\n0 0\n").unwrap();
        assert_eq!((i.version, i.build()), (Some(Version::V3_12), "default"));
        assert!(parse_probe(Path::new("/x/p"), "Python 3.12\n").is_err());
        assert!(parse_probe(Path::new("/x/p"), "").is_err());
    }

    #[test]
    fn probing_a_non_python_fails_cleanly() {
        assert!(probe(Path::new("/nonexistent/python")).is_err());
        let e = probe(Path::new("/bin/false")).unwrap_err();
        assert!(e.contains("exit status 1"), "{e}");
    }
}

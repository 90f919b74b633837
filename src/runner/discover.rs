//! Finding CPython interpreters: pyenv versions, PATH, `GCCONFORM_PYTHONS`, explicit paths.
//!
//! For each modelled version the first candidate that answers with the right `major.minor`
//! and the CPython implementation wins, in this order:
//! 1. paths listed in `GCCONFORM_PYTHONS` (PATH-style list; the user's explicit choice);
//! 2. `$PYENV_ROOT/versions/X.Y.N/bin/python` (default root `~/.pyenv`), the reference
//!    release first, then the highest patch release;
//! 3. `pythonX.Y` on `PATH` (only probed for versions still missing).
//!
//! Every candidate is probed (run with a tiny program) in parallel; nothing is cached.

use super::process::{python_command, run_raw};
use crate::version::Version;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

/// One interpreter that was found and asked for its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    pub path: PathBuf,
    /// The modelled version it corresponds to (major.minor), if any.
    pub version: Option<Version>,
    /// Exact release, e.g. `3.12.1`.
    pub release: String,
    /// `CPython`, `PyPy`, …
    pub implementation: String,
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

/// Prints `major minor release implementation executable`; valid on 2.7 and 3.x.
const PROBE_PROGRAM: &str = "import sys, platform\n\
sys.stdout.write('%d %d %s %s %s\\n' % (sys.version_info[0], sys.version_info[1], \
sys.version.split()[0], platform.python_implementation(), sys.executable))\n";

/// Find one interpreter per modelled version.
pub fn discover() -> Discovery {
    discover_versions(&Version::ALL, true)
}

/// Discovery restricted to `versions`; `extras` keeps unmodelled `GCCONFORM_PYTHONS` entries.
fn discover_versions(versions: &[Version], extras: bool) -> Discovery {
    let explicit = explicit_candidates();
    let mut first: Vec<PathBuf> = explicit.clone();
    for v in versions {
        first.extend(pyenv_candidates(*v));
    }
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
    let pyenv = match pyenv_root() {
        Some(r) => format!("{}/versions/{a}.{b}.*/bin/python", r.display()),
        None => "pyenv (no $PYENV_ROOT or $HOME)".to_string(),
    };
    format!("{env}, {pyenv}, python{a}.{b} on PATH")
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
    let version = if implementation == "CPython" {
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

fn pyenv_root() -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("PYENV_ROOT").filter(|r| !r.is_empty()) {
        return Some(PathBuf::from(r));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".pyenv"))
}

/// `versions/X.Y.N/bin/python` under the pyenv root: the reference release first, then the
/// other patch releases, highest first. Names with suffixes (`3.13.0t`, `3.12-dev`) are skipped.
fn pyenv_candidates(v: Version) -> Vec<PathBuf> {
    let Some(root) = pyenv_root() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(root.join("versions")) else {
        return Vec::new();
    };
    let (a, b) = v.major_minor();
    let prefix = format!("{a}.{b}.");
    let mut found: Vec<(bool, u32, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(patch) = name
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let exe = e.path().join("bin").join("python");
        if exe.is_file() {
            found.push((name == v.reference_release(), patch, exe));
        }
    }
    found.sort_by_key(|x| std::cmp::Reverse((x.0, x.1)));
    found.into_iter().map(|(_, _, p)| p).collect()
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

//! Discovery in fake directory trees: pyenv, uv, mise, asdf and conda installs, PATH, and what
//! `gcconform interpreters` says about each interpreter (release, implementation, build, where
//! it was found, whether it is modelled). The interpreters are shell scripts that answer the
//! version probe as the real ones would.

use crate::common::Scratch;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A fake interpreter at `rel` that answers the probe as `implementation release` with these
/// build flags (free-threaded, debug), and runs nothing else.
fn fake(
    s: &Scratch,
    rel: &str,
    release: &str,
    implementation: &str,
    ft: bool,
    debug: bool,
) -> PathBuf {
    let mut parts = release.split('.');
    let (a, b) = (parts.next().unwrap(), parts.next().unwrap());
    let script = format!(
        "#!/bin/sh\n\
         prog=$(/bin/cat)\n\
         case \"$prog\" in\n\
         \x20 *python_implementation*) echo \"{a} {b} {release} {implementation} $0\"; echo \"{} {}\"; exit 0 ;;\n\
         esac\n\
         exit 3\n",
        u8::from(ft),
        u8::from(debug)
    );
    let p = s.write(rel, &script);
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// `gcconform interpreters` with HOME at `home/` and PATH at `bin/` of the scratch tree.
fn interpreters(s: &Scratch, env: &[(&str, &str)]) -> String {
    let home = s.0.join("home");
    let bin = s.0.join("bin");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    let mut all = vec![
        ("HOME", home.to_str().unwrap().to_string()),
        ("PATH", bin.to_str().unwrap().to_string()),
    ];
    all.extend(env.iter().map(|(k, v)| (*k, v.to_string())));
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, out, err) = s.run_env(&["interpreters"], &refs);
    assert_eq!(code, 0, "{out}\n{err}");
    out
}

/// The line of `out` that mentions `path`.
fn line_of<'a>(out: &'a str, path: &str) -> &'a str {
    out.lines()
        .find(|l| l.ends_with(path) || l.contains(&format!("{path}  (")))
        .unwrap_or_else(|| panic!("no line for {path}:\n{out}"))
}

fn every_manager_and_conda_and_path() {
    let s = Scratch::new("discovery");
    let h = "home";
    fake(
        &s,
        &format!("{h}/.pyenv/versions/3.6.14/bin/python"),
        "3.6.14",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        &format!("{h}/.pyenv/versions/3.6.15/bin/python"),
        "3.6.15",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        &format!("{h}/.pyenv/versions/3.13.0t/bin/python"),
        "3.13.0",
        "CPython",
        true,
        false,
    );
    fake(
        &s,
        &format!("{h}/.local/share/uv/python/cpython-3.12.1-linux-x86_64-gnu/bin/python3"),
        "3.12.1",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        &format!("{h}/.local/share/uv/python/cpython-3.14.0-linux-x86_64-gnu/bin/python3"),
        "3.14.0",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        &format!("{h}/.local/share/uv/python/pypy-3.10.14-linux-x86_64-gnu/bin/python"),
        "3.10.14",
        "PyPy",
        false,
        false,
    );
    fake(
        &s,
        &format!("{h}/.local/share/mise/installs/python/3.11.7/bin/python"),
        "3.11.7",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        &format!("{h}/.asdf/installs/python/3.10.13/bin/python"),
        "3.10.13",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        &format!("{h}/miniconda3/bin/python"),
        "3.9.18",
        "CPython",
        false,
        true,
    );
    fake(
        &s,
        &format!("{h}/miniconda3/envs/legacy/bin/python"),
        "2.7.18",
        "CPython",
        false,
        false,
    );
    fake(&s, "bin/python3.8", "3.8.18", "CPython", false, false);
    fake(&s, "bin/pypy3", "3.9.18", "PyPy", false, false);
    let out = interpreters(&s, &[]);
    let root = s.0.display().to_string();
    // One interpreter per modelled version, each from where it was found.
    for (v, release, from, rel) in [
        (
            "2.7",
            "2.7.18",
            "conda",
            "home/miniconda3/envs/legacy/bin/python",
        ),
        (
            "3.6",
            "3.6.15",
            "pyenv",
            "home/.pyenv/versions/3.6.15/bin/python",
        ),
        ("3.8", "3.8.18", "PATH", "bin/python3.8"),
        (
            "3.10",
            "3.10.13",
            "asdf",
            "home/.asdf/installs/python/3.10.13/bin/python",
        ),
        (
            "3.11",
            "3.11.7",
            "mise",
            "home/.local/share/mise/installs/python/3.11.7/bin/python",
        ),
        (
            "3.12",
            "3.12.1",
            "uv",
            "home/.local/share/uv/python/cpython-3.12.1-linux-x86_64-gnu/bin/python3",
        ),
    ] {
        let l = line_of(&out, &format!("{root}/{rel}"));
        let words: Vec<&str> = l.split_whitespace().collect();
        assert_eq!(&words[..4], [v, release, "CPython", from], "{l}");
    }
    // A debug build, a free-threaded build and an unmodelled release are not chosen.
    assert!(out.contains("missing: 3.7 3.9 3.13"), "{out}");
    let ft = line_of(
        &out,
        &format!("{root}/home/.pyenv/versions/3.13.0t/bin/python"),
    );
    assert!(
        ft.contains("free-threaded") && ft.contains("no generations"),
        "{ft}"
    );
    let dbg = line_of(&out, &format!("{root}/home/miniconda3/bin/python"));
    assert!(dbg.contains(" debug ") && dbg.contains("conda"), "{dbg}");
    let next = line_of(
        &out,
        &format!("{root}/home/.local/share/uv/python/cpython-3.14.0-linux-x86_64-gnu/bin/python3"),
    );
    assert!(
        next.contains("3.14.0") && next.contains("not a modelled version"),
        "{next}"
    );
    let pypy = line_of(&out, &format!("{root}/bin/pypy3"));
    assert!(
        pypy.contains("PyPy") && pypy.contains("not modelled"),
        "{pypy}"
    );
    let uv_pypy = line_of(
        &out,
        &format!("{root}/home/.local/share/uv/python/pypy-3.10.14-linux-x86_64-gnu/bin/python"),
    );
    assert!(uv_pypy.contains("uv"), "{uv_pypy}");
    let older = line_of(
        &out,
        &format!("{root}/home/.pyenv/versions/3.6.14/bin/python"),
    );
    assert!(older.contains("another 3.6 release"), "{older}");
    // `run --python 3.7` names every place it looked.
    s.write("scenarios/t/x.yaml", "steps:\n  - gc.collect()\n");
    let home = s.0.join("home");
    let bin = s.0.join("bin");
    let (code, _, err) = s.run_env(
        &["run", "--python", "3.7"],
        &[
            ("HOME", home.to_str().unwrap()),
            ("PATH", bin.to_str().unwrap()),
        ],
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("uv (")
            && err.contains("mise (")
            && err.contains("asdf (")
            && err.contains("conda environments under"),
        "{err}"
    );
}

/// The managers' own variables move their roots.
fn manager_variables_move_the_roots() {
    let s = Scratch::new("discovery-env");
    fake(
        &s,
        "elsewhere/uv/cpython-3.12.1-macos-aarch64-none/bin/python3",
        "3.12.1",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        "elsewhere/mise/installs/python/3.11.7/bin/python",
        "3.11.7",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        "elsewhere/asdf/installs/python/3.10.13/bin/python",
        "3.10.13",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        "elsewhere/pyenv/versions/3.9.18/bin/python",
        "3.9.18",
        "CPython",
        false,
        false,
    );
    fake(
        &s,
        "elsewhere/conda/envs/x/bin/python",
        "3.8.18",
        "CPython",
        false,
        false,
    );
    let e = |d: &str| s.0.join("elsewhere").join(d).display().to_string();
    let out = interpreters(
        &s,
        &[
            ("UV_PYTHON_INSTALL_DIR", &e("uv")),
            ("MISE_DATA_DIR", &e("mise")),
            ("ASDF_DATA_DIR", &e("asdf")),
            ("PYENV_ROOT", &e("pyenv")),
            ("CONDA_PREFIX", &e("conda/envs/x")),
        ],
    );
    for (v, from) in [
        ("3.8", "conda"),
        ("3.9", "pyenv"),
        ("3.10", "asdf"),
        ("3.11", "mise"),
        ("3.12", "uv"),
    ] {
        let l = out
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{v} ")))
            .unwrap_or_else(|| panic!("no {v}:\n{out}"));
        assert!(
            l.contains(&format!(" {from} ")) && l.contains("elsewhere"),
            "{l}"
        );
    }
}

crate::harness::tests! {
    every_manager_and_conda_and_path,
    manager_variables_move_the_roots,
}

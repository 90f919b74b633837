//! The README's "Your first scenario", followed literally: in a scratch copy of the checkout,
//! every command of that block runs as written (`gcconform` being the binary cargo built, the
//! editor step left out: the skeleton is a complete scenario), and each must succeed — the
//! last one, `cargo test`, included. Reading the block from the README means the documented
//! workflow and this test cannot drift apart.
//!
//! It builds and tests the copy (about a minute on two cores), so it is ignored by default;
//! `.ci/run` runs it. The copy's `cargo test` runs this test too: there it is skipped (the
//! variable below), or it would never end.

use crate::harness::{Outcome, Skip};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set in the copy's `cargo test`, where this test must not run again.
const NESTED: &str = "GCCONFORM_WORKFLOW_NESTED";

/// The commands of the README's "Your first scenario" block, comments removed.
fn readme_workflow(readme: &str) -> Vec<String> {
    let start = readme
        .find("## Your first scenario")
        .expect("the README has a \"Your first scenario\" section");
    readme[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with("    "))
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.split(" #").next().unwrap_or(l).trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The checkout as a user has it: the files git tracks or would (not what it ignores, such
/// as `target/`), copied to `to`.
fn copy_checkout(root: &Path, to: &Path) {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git ls-files failed");
    let _ = std::fs::remove_dir_all(to);
    for rel in out.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel).unwrap());
        let (from, dest) = (root.join(rel), to.join(rel));
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, &dest).unwrap();
    }
}

/// Start the copy's target directory from the checkout's own build (its artifacts have the same
/// names and its dependencies the same fingerprints), so that only the crate itself is built
/// again: `cp -a` of everything but the incremental caches.
fn seed_target(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    let Ok(entries) = std::fs::read_dir(from) else {
        return; // nothing built there (another target directory): build from scratch
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n == "incremental") {
            continue;
        }
        let ok = Command::new("cp")
            .arg("-a")
            .arg(&p)
            .arg(to)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cp -a {} {}", p.display(), to.display());
    }
}

fn the_readme_workflow_works_as_written() -> Outcome {
    if std::env::var_os(NESTED).is_some() {
        return Err(Skip::missing(
            "already inside the workflow test's own cargo test",
        ));
    }
    let root = crate::common::root();
    if !root.join(".git").exists() {
        return Err(Skip::missing(
            "not a git checkout (the copy is made of git's files)",
        ));
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let steps = readme_workflow(&readme);
    assert!(
        steps.iter().any(|s| s.starts_with("gcconform new"))
            && steps.iter().any(|s| s.starts_with("gcconform bless"))
            && steps.last().is_some_and(|s| s == "cargo test"),
        "the README's workflow changed shape: {steps:?}"
    );
    // Fixed places inside the target directory. The copy builds into a target directory of its
    // own (its artifacts have the same names as the checkout's and would replace them under a
    // running test), seeded from the checkout's build.
    let under = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let copy = under.join("workflow-checkout");
    let target = under.join("workflow-target");
    copy_checkout(&root, &copy);
    seed_target(&under.join("debug"), &target.join("debug"));
    for step in &steps {
        let words: Vec<&str> = step.split_whitespace().collect();
        let mut cmd = match words[0] {
            "gcconform" => Command::new(env!("CARGO_BIN_EXE_gcconform")),
            "cargo" => Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())),
            w if w.starts_with('$') => continue, // the editor
            w => panic!("the README's workflow runs `{w}`, which this test does not know"),
        };
        cmd.args(&words[1..])
            .current_dir(&copy)
            // A user's machine, not CI (bless refuses under CI), and not a nested copy.
            .env_remove("CI")
            .env(NESTED, "1")
            .env("CARGO_TARGET_DIR", &target);
        let out = cmd.output().expect("the command runs");
        assert!(
            out.status.success(),
            "`{step}` failed in {} (exit {:?}):\n{}\n{}",
            copy.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if words[..2] == ["gcconform", "bless"] {
            let f = copy.join("expected").join(
                Path::new(words[2])
                    .strip_prefix("scenarios")
                    .unwrap()
                    .with_extension("trace"),
            );
            assert!(f.is_file(), "`{step}` did not write {}", f.display());
        }
    }
    Ok(())
}

fn the_workflow_block_is_read_as_commands() {
    let readme = "# x\n## Your first scenario\n\n    gcconform new a.yaml   # a skeleton\n    $EDITOR a.yaml\n    cargo test\n\ntext\n    not this\n";
    assert_eq!(
        readme_workflow(readme),
        ["gcconform new a.yaml", "$EDITOR a.yaml", "cargo test"]
    );
}

crate::harness::tests! {
    #[ignore = "builds and tests a scratch copy of the checkout (minutes); .ci/run runs it"]
    the_readme_workflow_works_as_written,
    the_workflow_block_is_read_as_commands,
}

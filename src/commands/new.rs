//! `gcconform new PATH`: write a scenario skeleton (the schema line for editors, a description,
//! one class with `__del__`, a cycle, a collection) so nobody starts from a blank file. It never
//! overwrites a file, and the skeleton loads as it is.

use crate::scenario;
use crate::scenario::schema::modeline;
use crate::service::{Context, ExitStatus};
use clap::Args;
use std::path::{Component, Path, PathBuf};

/// The arguments of `gcconform new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The scenario file to create (`scenarios/mine/first.yaml`).
    pub file: PathBuf,
}

/// `gcconform new`.
pub fn exec(_: &Context, args: &NewArgs) -> anyhow::Result<ExitStatus> {
    let file = &args.file;
    if file.extension().is_none_or(|e| e != "yaml" && e != "yml") {
        eprintln!(
            "gcconform: {}: a scenario file's name ends in .yaml (or .yml)",
            file.display()
        );
        return Ok(ExitStatus::BadInput);
    }
    if file.exists() {
        eprintln!(
            "gcconform: {} already exists; gcconform new never overwrites a file",
            file.display()
        );
        return Ok(ExitStatus::BadInput);
    }
    let text = skeleton(depth_of(file));
    // The skeleton is checked by the loader before it is written.
    if let Err(e) = scenario::parse_scenario(file, &text) {
        anyhow::bail!("the skeleton does not load (a bug): {e}");
    }
    if let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", file.display()))?;
    let f = file.display();
    println!("wrote {f}");
    println!("next: edit it, then");
    println!(
        "  gcconform diff {f}     # what each installed CPython does, and whether the model agrees"
    );
    println!("  gcconform bless {f}    # record it in expected/ from real CPython");
    println!("  cargo test             # the suite now checks it on every version");
    Ok(ExitStatus::Ok)
}

/// How deep the new file's directory is below the checkout the command runs in (2 for
/// `scenarios/x/y.yaml`): its schema line climbs that many levels to `docs/`.
fn depth_of(file: &Path) -> usize {
    file.parent()
        .map(|d| {
            d.components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .count()
        })
        .unwrap_or(0)
}

/// The skeleton's text, for a file `depth` levels below the checkout.
fn skeleton(depth: usize) -> String {
    format!(
        "{}description: |
  What this scenario shows, and what each version does (fill in after `gcconform diff`).
classes:
  WithDel:
    __del__: pass
  Plain: {{}}
steps:
  - a = WithDel()
  - b = Plain()
  - a.other = b
  - b.other = a
  - del a
  - del b
  - gc.collect()
",
        modeline(depth)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skeleton_loads_and_points_at_the_schema() {
        assert_eq!(depth_of(Path::new("scenarios/mine/first.yaml")), 2);
        assert_eq!(depth_of(Path::new("x.yaml")), 0);
        let text = skeleton(2);
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../docs/scenario.schema.json\n"),
            "{text}"
        );
        let s = scenario::parse_scenario(Path::new("scenarios/mine/first.yaml"), &text).unwrap();
        assert_eq!(s.id, "mine/first");
        assert_eq!(s.classes.len(), 2);
    }
}

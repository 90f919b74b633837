//! Every file in `tests/bad/` is a broken scenario. Each must be rejected, without a panic, with
//! exactly the diagnostics in its `.err` file (file, line, column, the offending text and what
//! would be right). `GCCONFORM_WRITE_BAD=1 cargo test --test it -- bad::` records missing `.err` files
//! for review.

use gcconform::scenario;
use std::path::{Path, PathBuf};

fn bad_scenarios_are_rejected_with_their_exact_messages() {
    let dir = crate::common::root().join("tests/bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/bad exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} bad scenarios", files.len());
    let write = std::env::var_os("GCCONFORM_WRITE_BAD").is_some();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let shown = Path::new("tests/bad").join(&name);
        // Load through the shown path so messages are independent of the checkout location.
        let text = std::fs::read(f).unwrap();
        let got = std::panic::catch_unwind(|| match String::from_utf8(text.clone()) {
            Ok(t) => scenario::parse_scenario(&shown, &t).map(|_| ()),
            Err(_) => {
                let tmp = crate::common::temp_path(&name);
                std::fs::write(&tmp, &text).unwrap();
                let loaded = scenario::load(&tmp);
                let _ = std::fs::remove_file(&tmp);
                loaded.map(|_| ()).map_err(|mut e| {
                    for d in &mut e.diagnostics {
                        d.file = shown.clone();
                    }
                    e
                })
            }
        });
        let got = match got {
            Err(_) => {
                failures.push(format!("{name}: the loader panicked"));
                continue;
            }
            Ok(Ok(())) => {
                failures.push(format!("{name}: accepted, but it is broken"));
                continue;
            }
            Ok(Err(e)) => format!("{e}\n"),
        };
        let err_path = f.with_extension("err");
        match std::fs::read_to_string(&err_path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{name}:\n  expected: {want}  got:      {got}")),
            Err(_) if write => std::fs::write(&err_path, &got).unwrap(),
            Err(_) => failures.push(format!("{name}: no {} (got: {got})", err_path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

crate::harness::tests! {
    bad_scenarios_are_rejected_with_their_exact_messages,
}

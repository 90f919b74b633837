//! The layer rule of `src/lib.rs`, enforced: a module imports only modules of lower layers
//! (and itself), so no import circle can come back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The layers, lowest first, as `src/lib.rs` states them.
const LAYERS: &[(&str, &[&str])] = &[
    ("utilities", &["util"]),
    ("versions", &["version"]),
    ("traces", &["trace"]),
    ("scenarios", &["scenario"]),
    ("model and runner", &["model", "runner", "expected"]),
    ("comparison and views", &["compare", "explain", "graph"]),
    ("services", &["service"]),
    (
        "campaigns and reports",
        &["matrix", "fuzz", "bench", "portability"],
    ),
    ("commands", &["commands"]),
    ("command line", &["cli"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules a source text names through `crate::`.
fn crate_refs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        // `gcconform::crate::` does not occur; skip `$crate::` in macros.
        if text[..i].ends_with('$') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        } else if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c}`
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for part in inner.split(',') {
                let n: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !n.is_empty() {
                    out.push(n);
                }
            }
        }
    }
    out
}

fn modules_import_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            violations.push(format!(
                "src/{}: module `{module}` is in no layer; add it to LAYERS here and to the rule in src/lib.rs",
                rel.display()
            ));
            continue;
        };
        *seen.entry(module.clone()).or_default() += 1;
        let text = std::fs::read_to_string(f).unwrap();
        for r in crate_refs(&text) {
            if r == module {
                continue;
            }
            match layer_of(&r) {
                Some(l) if l < own => {}
                Some(l) => violations.push(format!(
                    "src/{}: `{module}` ({}) uses `crate::{r}` ({}), which is not below it",
                    rel.display(),
                    LAYERS[own].0,
                    LAYERS[l].0
                )),
                None => violations.push(format!(
                    "src/{}: `crate::{r}` is in no layer",
                    rel.display()
                )),
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // Every module of every layer exists (the table is not stale).
    for (_, ms) in LAYERS {
        for m in *ms {
            assert!(
                seen.contains_key(*m),
                "LAYERS names `{m}`, which src/ does not have"
            );
        }
    }
}

fn the_reference_finder_sees_every_form() {
    assert_eq!(
        crate_refs("use crate::a::b;\nlet x = crate::c::d();\nuse crate::{e, f::g};\n$crate::h"),
        ["a", "c", "e", "f"]
    );
}

crate::harness::tests! {
    modules_import_only_lower_layers,
    the_reference_finder_sees_every_form,
}

//! The matrix as one self-contained HTML page (`gcconform matrix --format html`): versions and
//! other implementations as columns, each cell coloured by agreement and by behaviour group
//! (the versions whose expected traces are identical share a colour), and every cell opening
//! its traces (expected, model, live CPython) and their diffs against the expected block. No
//! network: styles, script and data are inline.

use super::{Cell, CellDetail, Matrix, Status, cell_text, other_symbol};
use serde_json::json;
use std::fmt::Write;

/// Escape text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A unified diff of `actual` against `expected` (empty when they are equal).
fn diff(expected: &str, actual: &str, name: &str) -> String {
    if expected == actual {
        return String::new();
    }
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", name)
        .to_string()
}

fn status_class(c: &Cell) -> &'static str {
    if c.fails() {
        "fail"
    } else if c.is_xfail() {
        "xfail"
    } else if c.model == Status::Missing {
        "missing"
    } else {
        "agree"
    }
}

/// The cell's data for the page's script.
fn cell_data(c: &Cell, d: Option<&CellDetail>) -> serde_json::Value {
    let expected = d.and_then(|d| d.expected.clone());
    let side = |r: Option<&Result<String, String>>, name: &str| match r {
        None => json!(null),
        Some(Ok(t)) => json!({
            "trace": t,
            "diff": expected.as_deref().map(|e| diff(e, t, name)).unwrap_or_default(),
        }),
        Some(Err(e)) => json!({ "error": e }),
    };
    json!({
        "model_status": c.model,
        "cpython_status": c.cpython,
        "group": c.group,
        "expected": expected,
        "model": side(d.map(|d| &d.model), "model"),
        "cpython": side(d.and_then(|d| d.cpython.as_ref()), "cpython"),
    })
}

/// The page.
pub fn render_html(m: &Matrix) -> String {
    let mut rows = String::new();
    let mut data = Vec::new();
    for (i, r) in m.scenarios.iter().enumerate() {
        let _ = write!(
            rows,
            "<tr><th scope=\"row\" class=\"id\">{}</th>",
            esc(&r.id)
        );
        let mut cells = serde_json::Map::new();
        for v in &m.versions {
            match r.cells.get(v) {
                Some(c) => {
                    let group = c
                        .group
                        .map(|g| format!(" g{}", (g - 1) % 6))
                        .unwrap_or_default();
                    let _ = write!(
                        rows,
                        "<td class=\"cell {}{group}\" data-s=\"{i}\" data-v=\"{}\" title=\"model: {:?}, CPython: {:?}\">{}</td>",
                        status_class(c),
                        esc(v),
                        c.model,
                        c.cpython,
                        esc(&cell_text(c))
                    );
                    cells.insert(v.clone(), cell_data(c, r.details.get(v)));
                }
                None => rows.push_str("<td class=\"na\">–</td>"),
            }
        }
        for o in &m.others {
            let verdict = r.others.get(o).map_or("", String::as_str);
            let _ = write!(
                rows,
                "<td class=\"other {}\" title=\"{}\">{}</td>",
                esc(verdict),
                esc(verdict),
                esc(&other_symbol(verdict))
            );
        }
        rows.push_str("</tr>\n");
        data.push(json!({ "id": r.id, "path": r.path, "cells": cells }));
    }
    let head: String = m
        .versions
        .iter()
        .map(|v| format!("<th scope=\"col\">{}</th>", esc(v)))
        .chain(
            m.others
                .iter()
                .map(|o| format!("<th scope=\"col\">{}</th>", esc(o))),
        )
        .collect();
    // `</` would end the script element early.
    let data = serde_json::to_string(&data)
        .expect("the data serializes")
        .replace("</", "<\\/");
    let t = &m.total;
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gcconform conformance matrix</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 2px 6px; font-size: 13px; }}
th.id {{ text-align: left; font-family: monospace; font-weight: normal; }}
td.cell {{ cursor: pointer; text-align: center; min-width: 2.5em; }}
td.agree {{ background: #d8f0d8; }}
td.agree.g1 {{ background: #c6e3f5; }} td.agree.g2 {{ background: #f0e1c0; }}
td.agree.g3 {{ background: #e3d0f0; }} td.agree.g4 {{ background: #d0f0ec; }}
td.agree.g5 {{ background: #f0d0d8; }}
td.xfail {{ background: #ffe08a; }} td.fail {{ background: #f28b82; font-weight: bold; }}
td.missing {{ background: #ddd; }} td.na {{ color: #aaa; text-align: center; }}
td.other {{ text-align: center; }} td.portable {{ background: #d8f0d8; }}
td.relies-on-details {{ background: #fff3c4; }} td.breaks-a-promise {{ background: #f28b82; }}
dialog {{ width: 90vw; max-height: 85vh; }}
pre {{ background: #f6f6f6; padding: 6px; overflow: auto; max-height: 30vh; }}
.cols {{ display: flex; gap: 1em; }} .cols > div {{ flex: 1; min-width: 0; }}
</style>
</head>
<body>
<h1>Conformance matrix</h1>
<p id="summary">{scenarios} scenarios × {versions} CPython versions: {pairs} pairs, {agree} agree, {xfail} expected failures, {fail} fail{live}. A cell's letter is its behaviour group (versions whose expected traces are identical share it and its colour); ✓ the model agrees with <code>expected/</code>, ✗ it does not, x an expected failure, ? no expected trace; <code>c✗</code> the live CPython disagrees. Click a cell for its traces and diffs (a link to one: <code>#cell=ID@VERSION</code>).</p>
<table id="matrix">
<thead><tr><th scope="col">scenario</th>{head}</tr></thead>
<tbody>
{rows}</tbody>
</table>
<dialog id="detail"><form method="dialog"><button id="close">close</button></form><div id="content"></div></dialog>
<script type="application/json" id="data">{data}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById('data').textContent);
  var dialog = document.getElementById('detail');
  var content = document.getElementById('content');
  function block(title, text) {{
    var d = document.createElement('div');
    var h = document.createElement('h3');
    h.textContent = title;
    var p = document.createElement('pre');
    p.textContent = text;
    d.appendChild(h);
    d.appendChild(p);
    return d;
  }}
  function side(name, s) {{
    if (!s) return [block(name, '(not run)')];
    if (s.error) return [block(name, 'no trace: ' + s.error)];
    var out = [block(name, s.trace)];
    out.push(block(name + ' against expected', s.diff || '(identical)'));
    return out;
  }}
  function open(td) {{
    var row = data[Number(td.dataset.s)];
    var c = row.cells[td.dataset.v];
    content.textContent = '';
    var h = document.createElement('h2');
    h.textContent = row.id + ' on ' + td.dataset.v + ' (model: ' + c.model_status + ', CPython: ' + c.cpython_status + ')';
    content.appendChild(h);
    var cols = document.createElement('div');
    cols.className = 'cols';
    var left = document.createElement('div');
    left.appendChild(block('expected (' + row.path + ')', c.expected === null ? '(no expected block)' : c.expected));
    var mid = document.createElement('div');
    side('model', c.model).forEach(function (b) {{ mid.appendChild(b); }});
    var right = document.createElement('div');
    side('CPython', c.cpython).forEach(function (b) {{ right.appendChild(b); }});
    cols.appendChild(left); cols.appendChild(mid); cols.appendChild(right);
    content.appendChild(cols);
    dialog.showModal();
  }}
  document.getElementById('matrix').addEventListener('click', function (e) {{
    var td = e.target.closest('td.cell');
    if (td) open(td);
  }});
  // A link to one cell: `report.html#cell=seed/cycle_with_del@3.12` opens it.
  var m = /^#cell=(.+)@([0-9.]+)$/.exec(decodeURIComponent(location.hash));
  if (m) {{
    for (var i = 0; i < data.length; i++) {{
      if (data[i].id === m[1]) {{
        var td = document.querySelector('td.cell[data-s="' + i + '"][data-v="' + m[2] + '"]');
        if (td) open(td);
      }}
    }}
  }}
  document.body.dataset.ready = String(data.length);
}})();
</script>
</body>
</html>
"#,
        scenarios = m.scenarios.len(),
        versions = m.versions.len(),
        pairs = t.pairs,
        agree = t.agree,
        xfail = t.xfail,
        fail = t.fail,
        live = if m.live {
            ""
        } else {
            " (live interpreters not run)"
        },
    )
}

//! Positions in a scenario's YAML text. serde_yaml reports where a syntax or type error stands
//! but gives no spans for the values it reads, so the loader finds each value again in the text
//! (a cursor moves forward through the file as values are checked in order). Kept apart so the
//! loader, the step reader and the semantic checks share one way of pointing at the source.

use super::ast::Pos;

/// Finds where things stand in the source text (serde_yaml gives no spans for values).
pub(super) struct Locator<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Locator<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Locator {
            lines: text.lines().collect(),
        }
    }
    /// The first occurrence of `needle` at or after `from` (1-based), as a position.
    pub(super) fn find(&self, needle: &str, from: Pos) -> Option<Pos> {
        if needle.is_empty() {
            return None;
        }
        let start_line = from.line.max(1);
        for (i, line) in self.lines.iter().enumerate().skip(start_line - 1) {
            let skip = if i + 1 == start_line {
                from.col.max(1) - 1
            } else {
                0
            };
            let chars: Vec<char> = line.chars().collect();
            if skip > chars.len() {
                continue;
            }
            let hay: String = chars[skip..].iter().collect();
            if let Some(b) = hay.find(needle) {
                let col = skip + hay[..b].chars().count() + 1;
                return Some(Pos { line: i + 1, col });
            }
        }
        None
    }
    /// Where a statement's text stands: verbatim if it can be found, else where its first word
    /// stands (YAML may have folded or unescaped it). The flag says whether it was verbatim.
    pub(super) fn locate(&self, text: &str, from: Pos) -> (Pos, bool) {
        if let Some(p) = self.find(text, from) {
            return (p, true);
        }
        let first: String = text.split_whitespace().next().unwrap_or("").to_string();
        (self.find(&first, from).unwrap_or(from), false)
    }

    /// The line of a top-level key (`steps:`), if present.
    pub(super) fn top_key(&self, key: &str) -> Option<Pos> {
        self.lines.iter().enumerate().find_map(|(i, l)| {
            let rest = l.strip_prefix(key)?;
            rest.trim_start().starts_with(':').then_some(Pos {
                line: i + 1,
                col: 1,
            })
        })
    }
}

/// The position just past `text` written at `p` (at least one column on).
pub(super) fn advance(p: Pos, text: &str) -> Pos {
    Pos {
        line: p.line,
        col: p.col + text.chars().count().max(1),
    }
}

/// The later of two positions.
pub(super) fn later(a: Pos, b: Pos) -> Pos {
    if (b.line, b.col) > (a.line, a.col) {
        b
    } else {
        a
    }
}

/// Where serde_yaml says an error stands (the start of the file if it does not say).
pub(super) fn yaml_error_pos(e: &serde_yaml::Error) -> Pos {
    e.location()
        .map(|l| Pos {
            line: l.line(),
            col: l.column(),
        })
        .unwrap_or(Pos { line: 1, col: 1 })
}

//! Parsing one statement of the scenario language from its text.
//!
//! The grammar is a closed subset of Python (see `docs/scenarios.md`); anything outside it is
//! rejected with the column of the offending token.

use super::ast::{Query, SetBuild, Stmt, Target, Value};
use crate::util::suggestion;

/// The `gc` names the language has (for "did you mean `collect`?" and the list of them).
const GC_NAMES: &[&str] = &[
    "collect",
    "enable",
    "disable",
    "set_debug",
    "set_threshold",
    "freeze",
    "unfreeze",
    "garbage",
    "get_count",
    "get_threshold",
    "is_tracked",
    "is_finalized",
    "get_freeze_count",
    "get_stats",
];

/// The words a statement can start with besides a name (for "did you mean `del`?").
const KEYWORDS: &[&str] = &["del", "pass", "global", "raise", "gc", "weakref"];

/// A parse failure: 0-based character offset into the statement text, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Int(i64),
    Str(String),
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    offset: usize,
}

fn err(offset: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // Offsets are in characters, so columns are right for non-ASCII text too.
    while i < chars.len() {
        let c = chars[i].1;
        if c == ' ' {
            i += 1;
            continue;
        }
        if c == '\t' {
            return Err(err(i, "tab character in a statement; use spaces"));
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].1.is_ascii_alphanumeric() || chars[i].1 == '_') {
                i += 1;
            }
            let s: String = chars[start..i].iter().map(|p| p.1).collect();
            out.push(Token {
                tok: Tok::Ident(s),
                offset: start,
            });
            continue;
        }
        if c.is_ascii_digit()
            || (c == '-' && i + 1 < chars.len() && chars[i + 1].1.is_ascii_digit())
        {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i].1.is_ascii_digit() {
                i += 1;
            }
            let s: String = chars[start..i].iter().map(|p| p.1).collect();
            if i < chars.len() && (chars[i].1.is_ascii_alphabetic() || chars[i].1 == '_') {
                return Err(err(
                    start,
                    format!("`{s}{}…` is not an integer literal", chars[i].1),
                ));
            }
            let digits = s.trim_start_matches('-');
            if digits.len() > 1 && digits.starts_with('0') {
                return Err(err(
                    start,
                    format!("`{s}`: leading zeros are not allowed in Python 3"),
                ));
            }
            let v: i64 = s
                .parse()
                .map_err(|_| err(start, format!("integer literal `{s}` is out of range")))?;
            out.push(Token {
                tok: Tok::Int(v),
                offset: start,
            });
            continue;
        }
        if c == '\'' || c == '"' {
            let start = i;
            i += 1;
            let mut s = String::new();
            loop {
                if i >= chars.len() {
                    return Err(err(start, "unterminated string literal"));
                }
                let d = chars[i].1;
                if d == c {
                    i += 1;
                    break;
                }
                if d == '\\' {
                    return Err(err(i, "backslashes are not allowed in keys"));
                }
                if !(d.is_ascii_alphanumeric() || d == '_' || d == ' ' || d == '-' || d == '.') {
                    return Err(err(
                        i,
                        format!(
                            "character `{d}` is not allowed in a key (use letters, digits, `_`, `-`, `.`, space)"
                        ),
                    ));
                }
                s.push(d);
                i += 1;
            }
            out.push(Token {
                tok: Tok::Str(s),
                offset: start,
            });
            continue;
        }
        if "=.()[]{},:".contains(c) {
            out.push(Token {
                tok: Tok::Punct(c),
                offset: i,
            });
            i += 1;
            continue;
        }
        return Err(err(i, format!("unexpected character `{c}`")));
    }
    Ok(out)
}

struct P {
    toks: Vec<Token>,
    i: usize,
    len: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }
    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.i + k).map(|t| &t.tok)
    }
    fn offset(&self) -> usize {
        self.toks.get(self.i).map(|t| t.offset).unwrap_or(self.len)
    }
    fn describe(&self) -> String {
        match self.peek() {
            None => "end of statement".to_string(),
            Some(Tok::Ident(s)) => format!("`{s}`"),
            Some(Tok::Int(v)) => format!("`{v}`"),
            Some(Tok::Str(s)) => format!("'{s}'"),
            Some(Tok::Punct(c)) => format!("`{c}`"),
        }
    }
    fn expect_punct(&mut self, c: char) -> Result<(), ParseError> {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.i += 1;
            Ok(())
        } else {
            Err(err(
                self.offset(),
                format!("expected `{c}`, found {}", self.describe()),
            ))
        }
    }
    fn eat_punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn is_ident(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == s)
    }
    fn expect_ident_kw(&mut self, s: &str) -> Result<(), ParseError> {
        if self.is_ident(s) {
            self.i += 1;
            Ok(())
        } else {
            Err(err(
                self.offset(),
                format!("expected `{s}`, found {}", self.describe()),
            ))
        }
    }
    /// Any identifier (names are checked later, with their position).
    fn ident(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                self.i += 1;
                Ok(s)
            }
            _ => Err(err(
                self.offset(),
                format!("expected a name, found {}", self.describe()),
            )),
        }
    }
    fn int(&mut self) -> Result<i64, ParseError> {
        match self.peek() {
            Some(Tok::Int(v)) => {
                let v = *v;
                self.i += 1;
                Ok(v)
            }
            _ => Err(err(
                self.offset(),
                format!("expected an integer, found {}", self.describe()),
            )),
        }
    }
    fn string(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.i += 1;
                Ok(s)
            }
            _ => Err(err(
                self.offset(),
                format!("expected a quoted key, found {}", self.describe()),
            )),
        }
    }
    /// VALUE: a name, `None` or an integer.
    fn value(&mut self) -> Result<Value, ParseError> {
        match self.peek() {
            Some(Tok::Ident(s)) if s == "None" => {
                self.i += 1;
                Ok(Value::None)
            }
            Some(Tok::Ident(_)) => {
                let n = self.ident()?;
                if self.peek() == Some(&Tok::Punct('.'))
                    && matches!(self.peek_at(1), Some(Tok::Ident(_)))
                {
                    // `a.method`: a bound method (the loader checks that it names a method).
                    self.i += 1;
                    let method = self.ident()?;
                    return Ok(Value::Method { obj: n, method });
                }
                Ok(Value::Name(n))
            }
            Some(Tok::Int(v)) => {
                let v = *v;
                self.i += 1;
                Ok(Value::Int(v))
            }
            _ => Err(err(
                self.offset(),
                format!(
                    "expected a value (a name, `a.method`, None or an integer), found {}",
                    self.describe()
                ),
            )),
        }
    }
    /// `(VALUE, ...)` after the callee: the arguments of a call (the `(` not yet eaten).
    fn args(&mut self) -> Result<Vec<Value>, ParseError> {
        self.expect_punct('(')?;
        let mut args = Vec::new();
        if self.eat_punct(')') {
            return Ok(args);
        }
        loop {
            args.push(self.value()?);
            if self.eat_punct(')') {
                return Ok(args);
            }
            self.expect_punct(',')?;
        }
    }

    fn end(&self) -> Result<(), ParseError> {
        if self.i < self.toks.len() {
            Err(err(
                self.offset(),
                format!("unexpected {} after the statement", self.describe()),
            ))
        } else {
            Ok(())
        }
    }
}

/// Parse one statement. Name rules (keywords, `self`, underscores) are checked by the
/// validator, which knows where the statement stands.
pub fn parse_stmt(text: &str) -> Result<Stmt, ParseError> {
    let toks = tokenize(text)?;
    if toks.is_empty() {
        return Err(err(0, "empty statement"));
    }
    let mut p = P {
        toks,
        i: 0,
        len: text.chars().count(),
    };
    let stmt = stmt(&mut p)?;
    p.end()?;
    Ok(stmt)
}

/// An `except` header, a key of a `- try:` block: `except E` or `except E as n` (the class and
/// the name).
pub fn parse_except_header(text: &str) -> Result<(String, Option<String>), ParseError> {
    let toks = tokenize(text)?;
    let mut p = P {
        toks,
        i: 0,
        len: text.chars().count(),
    };
    p.expect_ident_kw("except")?;
    if p.peek().is_none() {
        return Err(err(
            p.offset(),
            "a bare `except:` is not in the language: name the exception class (`except E:`)",
        ));
    }
    let class = p.ident()?;
    let name = if p.is_ident("as") {
        p.i += 1;
        Some(p.ident()?)
    } else {
        None
    };
    p.end()?;
    Ok((class, name))
}

/// A `def` header, the key of a `- def NAME(PARAMS):` step: its name and parameters
/// (`NAME` or `NAME=VALUE`, defaults last).
pub fn parse_def_header(text: &str) -> Result<(String, Vec<crate::scenario::Param>), ParseError> {
    let toks = tokenize(text)?;
    let mut p = P {
        toks,
        i: 0,
        len: text.chars().count(),
    };
    p.expect_ident_kw("def")?;
    let name = p.ident()?;
    p.expect_punct('(')?;
    let mut params: Vec<crate::scenario::Param> = Vec::new();
    if !p.eat_punct(')') {
        loop {
            let off = p.offset();
            let pname = p.ident()?;
            let default = if p.eat_punct('=') {
                Some(p.value()?)
            } else {
                if params.iter().any(|q| q.default.is_some()) {
                    return Err(err(
                        off,
                        format!("parameter `{pname}` without a default follows one with a default"),
                    ));
                }
                None
            };
            params.push(crate::scenario::Param {
                name: pname,
                default,
            });
            if p.eat_punct(')') {
                break;
            }
            p.expect_punct(',')?;
        }
    }
    p.end()?;
    Ok((name, params))
}

fn stmt(p: &mut P) -> Result<Stmt, ParseError> {
    if p.is_ident("pass") && p.peek_at(1).is_none() {
        p.i += 1;
        return Ok(Stmt::Pass);
    }
    if p.is_ident("global") {
        p.i += 1;
        let mut names = vec![p.ident()?];
        while p.eat_punct(',') {
            names.push(p.ident()?);
        }
        return Ok(Stmt::Global(names));
    }
    if p.is_ident("return") {
        p.i += 1;
        if p.peek().is_none() {
            return Ok(Stmt::Return(None));
        }
        return Ok(Stmt::Return(Some(p.value()?)));
    }
    if p.is_ident("nonlocal") {
        p.i += 1;
        let mut names = vec![p.ident()?];
        while p.eat_punct(',') {
            names.push(p.ident()?);
        }
        return Ok(Stmt::Nonlocal(names));
    }
    if p.is_ident("raise") {
        p.i += 1;
        if p.peek().is_none() {
            return Ok(Stmt::Throw(crate::scenario::Throw::Reraise));
        }
        if p.is_ident("RuntimeError") {
            p.i += 1;
            p.expect_punct('(')?;
            p.expect_punct(')')?;
            return Ok(Stmt::Raise);
        }
        let name = p.ident()?;
        let what = if p.eat_punct('(') {
            p.expect_punct(')')?;
            crate::scenario::Throw::New(name)
        } else {
            crate::scenario::Throw::Name(name)
        };
        if p.is_ident("from") {
            p.i += 1;
            let cause = if p.is_ident("None") {
                p.i += 1;
                None
            } else {
                Some(p.ident()?)
            };
            return Ok(Stmt::Throw(crate::scenario::Throw::From {
                what: Box::new(what),
                cause,
            }));
        }
        return Ok(Stmt::Throw(what));
    }
    if p.is_ident("del") {
        p.i += 1;
        return del_stmt(p);
    }
    if p.is_ident("gc") {
        return gc_stmt(p);
    }
    if p.is_ident("class") && p.peek_at(1) != Some(&Tok::Punct('=')) {
        p.i += 1;
        return class_stmt(p);
    }
    if p.is_ident("class") {
        return Err(err(
            p.offset(),
            "`class` is a Python keyword, not a name (a class statement is `class C(A): pass`)",
        ));
    }
    // NAME ...
    if let Some(Tok::Ident(k)) = p.peek() {
        const KEYWORDS: &[&str] = &[
            "import", "from", "if", "for", "while", "with", "try", "lambda", "yield", "assert",
            "exec", "print", "async", "await",
        ];
        if KEYWORDS.contains(&k.as_str()) {
            return Err(err(
                p.offset(),
                format!(
                    "`{k}` statements are not in the scenario language (see docs/scenarios.md)"
                ),
            ));
        }
    }
    if p.is_ident("def") {
        return Err(err(
            p.offset(),
            "a `def` is a step of its own, written as YAML mapping: `- def f(x):` followed by its body, indented one level deeper (a statement or a list)",
        ));
    }
    let name = p.ident()?;
    match p.peek() {
        Some(Tok::Punct('=')) => {
            p.i += 1;
            rhs(p, name)
        }
        Some(Tok::Punct('.')) => {
            p.i += 1;
            let attr_off = p.offset();
            let attr = p.ident()?;
            if attr == "append" && p.peek() == Some(&Tok::Punct('(')) {
                p.i += 1;
                let value = p.value()?;
                p.expect_punct(')')?;
                return Ok(Stmt::Append { obj: name, value });
            }
            if (attr == "add" || attr == "discard") && p.peek() == Some(&Tok::Punct('(')) {
                p.i += 1;
                let value = p.value()?;
                p.expect_punct(')')?;
                return Ok(Stmt::SetOp {
                    obj: name,
                    value,
                    discard: attr == "discard",
                });
            }
            if p.peek() == Some(&Tok::Punct('(')) {
                let _ = attr_off;
                let args = p.args()?;
                return Ok(Stmt::Call {
                    target: None,
                    obj: Some(name),
                    name: attr,
                    args,
                });
            }
            p.expect_punct('=')?;
            if attr == "__class__" {
                let class = p.ident()?;
                return Ok(Stmt::SetClass { obj: name, class });
            }
            let value = p.value()?;
            Ok(Stmt::SetAttr {
                obj: Target::Name(name),
                attr,
                value,
            })
        }
        Some(Tok::Punct('[')) => {
            p.i += 1;
            let key = p.string()?;
            p.expect_punct(']')?;
            p.expect_punct('=')?;
            let value = p.value()?;
            Ok(Stmt::SetItem {
                obj: name,
                key,
                value,
            })
        }
        Some(Tok::Punct('(')) => {
            let args = p.args()?;
            Ok(Stmt::Call {
                target: None,
                obj: None,
                name,
                args,
            })
        }
        _ => Err(err(
            p.offset(),
            format!(
                "expected `=`, `.attr = …`, `['key'] = …`, `.append(…)` or `()` after `{name}`, found {}{}",
                p.describe(),
                suggestion(&name, KEYWORDS)
            ),
        )),
    }
}

/// The items of a list or set display, after its opening bracket, through `close` (a
/// trailing comma allowed).
fn display_items(p: &mut P, close: char) -> Result<Vec<Value>, ParseError> {
    let mut items = Vec::new();
    if !p.eat_punct(close) {
        loop {
            items.push(p.value()?);
            if p.eat_punct(close) {
                break;
            }
            p.expect_punct(',')?;
            if p.eat_punct(close) {
                break;
            }
        }
    }
    Ok(items)
}

/// The right-hand side of `NAME = …`.
/// The bases of a class statement, after its `(`: names up to the `)`; `tuple` for
/// `type()`'s tuple display (one base needs its trailing comma). `(object)` alone is no base.
fn class_bases(p: &mut P, tuple: bool) -> Result<Vec<String>, ParseError> {
    let open = p.offset();
    let mut bases = Vec::new();
    let mut commas = 0;
    let mut object_at = None;
    if !p.eat_punct(')') {
        loop {
            let at = p.offset();
            let b = p.ident()?;
            if b == "object" {
                object_at = Some(at);
            }
            bases.push(b);
            if p.eat_punct(')') {
                break;
            }
            p.expect_punct(',')?;
            commas += 1;
            if p.eat_punct(')') {
                break;
            }
        }
    }
    if tuple && bases.len() == 1 && commas == 0 {
        return Err(err(
            open,
            "`(A)` is not a tuple; write `(A,)` for a one-item tuple of bases",
        ));
    }
    if let Some(at) = object_at {
        if bases.len() > 1 {
            return Err(err(
                at,
                "`object` is a base only alone: a class of scenario classes derives from object through them",
            ));
        }
        bases.clear();
    }
    Ok(bases)
}

/// `class NAME: pass`, `class NAME(B, ...): pass` (after `class`).
fn class_stmt(p: &mut P) -> Result<Stmt, ParseError> {
    let name = p.ident()?;
    let bases = if p.eat_punct('(') {
        class_bases(p, false)?
    } else {
        Vec::new()
    };
    p.expect_punct(':')?;
    if !p.is_ident("pass") {
        return Err(err(
            p.offset(),
            format!(
                "a class statement in the steps has the body `pass` only, found {}: give methods, `__del__` and `__slots__` to a class of `classes:`",
                p.describe()
            ),
        ));
    }
    p.i += 1;
    Ok(Stmt::ClassStmt {
        name,
        bases,
        via_type: false,
    })
}

/// `type('NAME', (B, ...), {})` after `NAME =`: the three-argument `type()` call.
fn type_call(p: &mut P, target: String) -> Result<Stmt, ParseError> {
    p.expect_punct('(')?;
    let at = p.offset();
    let name = match p.peek() {
        Some(Tok::Str(s)) => s.clone(),
        _ => {
            return Err(err(
                at,
                format!(
                    "`type()` here takes a quoted class name, a tuple of bases and `{{}}`, found {}",
                    p.describe()
                ),
            ));
        }
    };
    p.i += 1;
    if name != target {
        return Err(err(
            at,
            format!(
                "the class's name '{name}' differs from the name it is bound to, `{target}`: write type('{target}', ...)"
            ),
        ));
    }
    p.expect_punct(',')?;
    p.expect_punct('(')?;
    let bases = class_bases(p, true)?;
    p.expect_punct(',')?;
    p.expect_punct('{')?;
    if !p.eat_punct('}') {
        return Err(err(
            p.offset(),
            "`type()`'s namespace is `{}` in the language: give attributes with `C.attr = VALUE` afterwards",
        ));
    }
    p.expect_punct(')')?;
    Ok(Stmt::ClassStmt {
        name,
        bases,
        via_type: true,
    })
}

fn rhs(p: &mut P, target: String) -> Result<Stmt, ParseError> {
    match p.peek().cloned() {
        Some(Tok::Ident(s)) if s == "type" && p.peek_at(1) == Some(&Tok::Punct('(')) => {
            p.i += 1;
            type_call(p, target)
        }
        Some(Tok::Punct('[')) => {
            p.i += 1;
            let items = display_items(p, ']')?;
            Ok(Stmt::NewList { target, items })
        }
        Some(Tok::Punct('{'))
            if !matches!(p.peek_at(1), Some(Tok::Punct('}')) | Some(Tok::Str(_))) =>
        {
            // `{a, b}`: a set display (a dict display's keys are strings; not `{}`, so at
            // least one item).
            p.i += 1;
            let items = display_items(p, '}')?;
            Ok(Stmt::NewSet {
                target,
                items,
                build: SetBuild::Display,
                frozen: false,
            })
        }
        Some(Tok::Ident(s))
            if (s == "set" || s == "frozenset") && p.peek_at(1) == Some(&Tok::Punct('(')) =>
        {
            p.i += 2;
            let (items, build) = if p.eat_punct(')') {
                (Vec::new(), SetBuild::Empty)
            } else if p.eat_punct('[') {
                let items = display_items(p, ']')?;
                p.expect_punct(')')?;
                (items, SetBuild::FromList)
            } else {
                return Err(err(
                    p.offset(),
                    format!(
                        "`{s}(…)` takes a list display (`{s}([a, b])`) or nothing (`{s}()`), found {}",
                        p.describe()
                    ),
                ));
            };
            Ok(Stmt::NewSet {
                target,
                items,
                build,
                frozen: s == "frozenset",
            })
        }
        Some(Tok::Punct('{')) => {
            p.i += 1;
            let mut items = Vec::new();
            if !p.eat_punct('}') {
                loop {
                    let k = p.string()?;
                    p.expect_punct(':')?;
                    let v = p.value()?;
                    items.push((k, v));
                    if p.eat_punct('}') {
                        break;
                    }
                    p.expect_punct(',')?;
                    if p.eat_punct('}') {
                        break;
                    }
                }
            }
            Ok(Stmt::NewDict { target, items })
        }
        Some(Tok::Punct('(')) => {
            let open = p.offset();
            p.i += 1;
            let mut items = Vec::new();
            if p.eat_punct(')') {
                return Ok(Stmt::NewTuple { target, items });
            }
            items.push(p.value()?);
            if p.eat_punct(')') {
                return Err(err(
                    open,
                    "`(x)` is not a tuple; write `(x,)` for a one-item tuple",
                ));
            }
            p.expect_punct(',')?;
            loop {
                if p.eat_punct(')') {
                    break;
                }
                items.push(p.value()?);
                if p.eat_punct(')') {
                    break;
                }
                p.expect_punct(',')?;
            }
            Ok(Stmt::NewTuple { target, items })
        }
        Some(Tok::Ident(s))
            if s == "gc"
                && p.peek_at(1) == Some(&Tok::Punct('.'))
                && matches!(p.peek_at(2), Some(Tok::Ident(g)) if g == "garbage")
                && p.peek_at(3) == Some(&Tok::Punct('[')) =>
        {
            // x = gc.garbage[i]
            p.i += 4;
            let index = p.int()?;
            p.expect_punct(']')?;
            Ok(Stmt::FromGarbage { target, index })
        }
        Some(Tok::Ident(s)) if s == "gc" && p.peek_at(1) == Some(&Tok::Punct('.')) => Err(err(
            p.offset(),
            "a `gc` call is a statement of its own (the trace records its value): write it as a step, not on the right of `=`",
        )),
        Some(Tok::Ident(s)) if s == "weakref" => {
            p.i += 1;
            p.expect_punct('.')?;
            // `weakref.ref(x)` or `weakref.proxy(x)`.
            let proxy = p.is_ident("proxy");
            if proxy || p.is_ident("ref") {
                p.i += 1;
            } else {
                return Err(err(
                    p.offset(),
                    format!("expected `ref` or `proxy`, found {}", p.describe()),
                ));
            }
            p.expect_punct('(')?;
            let referent = p.ident()?;
            // `callback` (the harness's) or a function of `callbacks:` (checked later).
            let callback = if p.eat_punct(',') {
                Some(p.ident()?)
            } else {
                None
            };
            p.expect_punct(')')?;
            Ok(Stmt::WeakRef {
                target,
                referent,
                callback,
                proxy,
            })
        }
        Some(Tok::Ident(s)) if s != "None" && p.peek_at(1) == Some(&Tok::Punct('(')) => {
            // `x = C()` (a class; the loader turns a call of anything else into a call) or
            // `x = f(a, 1)`.
            p.i += 1;
            let args = p.args()?;
            if args.is_empty() {
                Ok(Stmt::New { target, class: s })
            } else {
                Ok(Stmt::Call {
                    target: Some(target),
                    obj: None,
                    name: s,
                    args,
                })
            }
        }
        Some(Tok::Ident(s))
            if s != "None"
                && p.peek_at(1) == Some(&Tok::Punct('.'))
                && matches!(p.peek_at(2), Some(Tok::Ident(_)))
                && p.peek_at(3) == Some(&Tok::Punct('(')) =>
        {
            // `x = a.m(...)`
            p.i += 2;
            let name = p.ident()?;
            let args = p.args()?;
            Ok(Stmt::Call {
                target: Some(target),
                obj: Some(s),
                name,
                args,
            })
        }
        _ => {
            let value = p.value()?;
            Ok(Stmt::Assign { target, value })
        }
    }
}

fn del_stmt(p: &mut P) -> Result<Stmt, ParseError> {
    if p.is_ident("gc") {
        // del gc.garbage[:]
        p.i += 1;
        p.expect_punct('.')?;
        p.expect_ident_kw("garbage")?;
        if p.eat_punct('[') {
            if p.eat_punct(':') {
                p.expect_punct(']')?;
                return Ok(Stmt::ClearGarbage);
            }
            let idx = p.int()?;
            p.expect_punct(']')?;
            p.expect_punct('.')?;
            let attr = p.ident()?;
            return Ok(Stmt::DelAttr {
                obj: Target::GarbageItem(idx),
                attr,
            });
        }
        return Err(err(
            p.offset(),
            "only `del gc.garbage[:]` and `del gc.garbage[i].attr` are in the language",
        ));
    }
    let name = p.ident()?;
    match p.peek() {
        None => Ok(Stmt::DelName(name)),
        Some(Tok::Punct('.')) => {
            p.i += 1;
            let attr = p.ident()?;
            Ok(Stmt::DelAttr {
                obj: Target::Name(name),
                attr,
            })
        }
        Some(Tok::Punct('[')) => {
            p.i += 1;
            let st = match p.peek() {
                Some(Tok::Str(_)) => Stmt::DelKey {
                    obj: name,
                    key: p.string()?,
                },
                Some(Tok::Int(_)) => Stmt::DelIndex {
                    obj: name,
                    index: p.int()?,
                },
                _ => {
                    return Err(err(
                        p.offset(),
                        format!(
                            "expected a quoted key or an integer index, found {}",
                            p.describe()
                        ),
                    ));
                }
            };
            p.expect_punct(']')?;
            Ok(st)
        }
        _ => Err(err(
            p.offset(),
            format!("unexpected {} after `del {name}`", p.describe()),
        )),
    }
}

fn gc_stmt(p: &mut P) -> Result<Stmt, ParseError> {
    p.expect_ident_kw("gc")?;
    p.expect_punct('.')?;
    let off = p.offset();
    let f = p.ident()?;
    match f.as_str() {
        "garbage" => {
            if p.eat_punct('=') {
                p.expect_punct('[')?;
                p.expect_punct(']')?;
                return Ok(Stmt::RebindGarbage);
            }
            if p.eat_punct('.') {
                let moff = p.offset();
                let m = p.ident()?;
                if m != "append" {
                    return Err(err(
                        moff,
                        format!(
                            "`gc.garbage.{m}` is not in the language (only `gc.garbage.append(VALUE)` is){}",
                            suggestion(&m, &["append"])
                        ),
                    ));
                }
                p.expect_punct('(')?;
                let value = p.value()?;
                p.expect_punct(')')?;
                return Ok(Stmt::GarbageAppend(value));
            }
            p.expect_punct('[')?;
            let idx = p.int()?;
            p.expect_punct(']')?;
            p.expect_punct('.')?;
            let attr = p.ident()?;
            p.expect_punct('=')?;
            let value = p.value()?;
            Ok(Stmt::SetAttr {
                obj: Target::GarbageItem(idx),
                attr,
                value,
            })
        }
        "collect" => {
            p.expect_punct('(')?;
            if p.eat_punct(')') {
                return Ok(Stmt::Collect(None));
            }
            let goff = p.offset();
            let g = p.int()?;
            if !(0..=2).contains(&g) {
                return Err(err(goff, format!("generation must be 0, 1 or 2, not {g}")));
            }
            p.expect_punct(')')?;
            Ok(Stmt::Collect(Some(g as u8)))
        }
        "enable" | "disable" | "freeze" | "unfreeze" => {
            p.expect_punct('(')?;
            p.expect_punct(')')?;
            Ok(match f.as_str() {
                "enable" => Stmt::Enable,
                "disable" => Stmt::Disable,
                "freeze" => Stmt::Freeze,
                _ => Stmt::Unfreeze,
            })
        }
        "set_debug" => {
            p.expect_punct('(')?;
            let st = if p.is_ident("gc") {
                p.i += 1;
                p.expect_punct('.')?;
                p.expect_ident_kw("DEBUG_SAVEALL")?;
                Stmt::SetDebug { saveall: true }
            } else {
                let off = p.offset();
                let v = p.int()?;
                if v != 0 {
                    return Err(err(
                        off,
                        "only `gc.set_debug(gc.DEBUG_SAVEALL)` and `gc.set_debug(0)` are in the language",
                    ));
                }
                Stmt::SetDebug { saveall: false }
            };
            p.expect_punct(')')?;
            Ok(st)
        }
        "set_threshold" => {
            p.expect_punct('(')?;
            let mut ts = Vec::new();
            loop {
                let off = p.offset();
                let t = p.int()?;
                if t < 0 {
                    return Err(err(off, "thresholds must not be negative"));
                }
                ts.push(t);
                if p.eat_punct(')') {
                    break;
                }
                p.expect_punct(',')?;
                if ts.len() == 3 {
                    return Err(err(
                        p.offset(),
                        "gc.set_threshold takes at most 3 thresholds",
                    ));
                }
            }
            Ok(Stmt::SetThreshold(ts))
        }
        "get_count" | "get_threshold" | "get_freeze_count" | "get_stats" => {
            p.expect_punct('(')?;
            if !p.eat_punct(')') {
                return Err(err(p.offset(), format!("`gc.{f}()` takes no arguments")));
            }
            Ok(Stmt::Query(match f.as_str() {
                "get_count" => Query::Count,
                "get_threshold" => Query::Threshold,
                "get_freeze_count" => Query::FreezeCount,
                _ => Query::Stats,
            }))
        }
        "is_tracked" | "is_finalized" => {
            p.expect_punct('(')?;
            let name = match p.peek() {
                Some(Tok::Ident(_)) if !p.is_ident("None") => p.ident()?,
                _ => {
                    return Err(err(
                        p.offset(),
                        format!("`gc.{f}(...)` takes one NAME here, found {}", p.describe()),
                    ));
                }
            };
            p.expect_punct(')')?;
            Ok(Stmt::Query(if f == "is_tracked" {
                Query::IsTracked(name)
            } else {
                Query::IsFinalized(name)
            }))
        }
        _ => Err(err(
            off,
            format!(
                "`gc.{f}` is not in the language{}; the gc names it has are: {}",
                suggestion(&f, GC_NAMES),
                GC_NAMES.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Stmt {
        parse_stmt(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn parses_every_statement_form() {
        assert_eq!(
            ok("x = C()"),
            Stmt::New {
                target: "x".into(),
                class: "C".into()
            }
        );
        assert_eq!(
            ok("x = [a, 1, None]"),
            Stmt::NewList {
                target: "x".into(),
                items: vec![Value::Name("a".into()), Value::Int(1), Value::None]
            }
        );
        assert_eq!(
            ok("x = {'k': a, \"j\": 2}"),
            Stmt::NewDict {
                target: "x".into(),
                items: vec![
                    ("k".into(), Value::Name("a".into())),
                    ("j".into(), Value::Int(2))
                ]
            }
        );
        assert_eq!(
            ok("x = (a,)"),
            Stmt::NewTuple {
                target: "x".into(),
                items: vec![Value::Name("a".into())]
            }
        );
        assert!(parse_stmt("x = (a)").is_err());
        assert_eq!(
            ok("x = {a, b}"),
            Stmt::NewSet {
                target: "x".into(),
                items: vec![Value::Name("a".into()), Value::Name("b".into())],
                build: SetBuild::Display,
                frozen: false
            }
        );
        assert_eq!(
            ok("x = frozenset([a])"),
            Stmt::NewSet {
                target: "x".into(),
                items: vec![Value::Name("a".into())],
                build: SetBuild::FromList,
                frozen: true
            }
        );
        assert_eq!(
            ok("x = set()"),
            Stmt::NewSet {
                target: "x".into(),
                items: vec![],
                build: SetBuild::Empty,
                frozen: false
            }
        );
        assert!(parse_stmt("x = set(y)").is_err());
        assert_eq!(
            ok("x = {}"),
            Stmt::NewDict {
                target: "x".into(),
                items: vec![]
            }
        );
        assert_eq!(
            ok("s.discard(a)"),
            Stmt::SetOp {
                obj: "s".into(),
                value: Value::Name("a".into()),
                discard: true
            }
        );
        assert_eq!(
            ok("x = y"),
            Stmt::Assign {
                target: "x".into(),
                value: Value::Name("y".into())
            }
        );
        assert_eq!(
            ok("gc.garbage[0].cycle = 0"),
            Stmt::SetAttr {
                obj: Target::GarbageItem(0),
                attr: "cycle".into(),
                value: Value::Int(0)
            }
        );
        assert_eq!(ok("del gc.garbage[:]"), Stmt::ClearGarbage);
        assert_eq!(
            ok("gc.garbage.append(a)"),
            Stmt::GarbageAppend(Value::Name("a".into()))
        );
        assert_eq!(
            ok("x = gc.garbage[-1]"),
            Stmt::FromGarbage {
                target: "x".into(),
                index: -1
            }
        );
        assert!(parse_stmt("gc.garbage.pop()").is_err());
        assert!(parse_stmt("x = gc.garbage").is_err());
        assert_eq!(
            ok("w = weakref.ref(a, on_clear)"),
            Stmt::WeakRef {
                target: "w".into(),
                referent: "a".into(),
                callback: Some("on_clear".into()),
                proxy: false,
            }
        );
        assert_eq!(
            ok("p = weakref.proxy( a )"),
            Stmt::WeakRef {
                target: "p".into(),
                referent: "a".into(),
                callback: None,
                proxy: true,
            }
        );
        assert!(parse_stmt("p = weakref.proxies(a)").is_err());
        assert_eq!(ok("gc.garbage = []"), Stmt::RebindGarbage);
        assert_eq!(ok("gc.collect(2)"), Stmt::Collect(Some(2)));
        assert_eq!(ok("gc.collect()"), Stmt::Collect(None));
        assert!(parse_stmt("gc.collect(3)").is_err());
        assert_eq!(
            ok("w = weakref.ref(a, callback)"),
            Stmt::WeakRef {
                target: "w".into(),
                referent: "a".into(),
                callback: Some("callback".into()),
                proxy: false,
            }
        );
        assert_eq!(
            ok("del x[-1]"),
            Stmt::DelIndex {
                obj: "x".into(),
                index: -1
            }
        );
        assert_eq!(
            ok("del x['k']"),
            Stmt::DelKey {
                obj: "x".into(),
                key: "k".into()
            }
        );
        assert_eq!(
            ok("gc.set_debug(gc.DEBUG_SAVEALL)"),
            Stmt::SetDebug { saveall: true }
        );
        assert_eq!(ok("gc.set_threshold(1, 2)"), Stmt::SetThreshold(vec![1, 2]));
        assert_eq!(
            ok("global g, h"),
            Stmt::Global(vec!["g".into(), "h".into()])
        );
        assert_eq!(ok("raise RuntimeError()"), Stmt::Raise);
        assert_eq!(ok("pass"), Stmt::Pass);
        assert_eq!(ok("gc.get_count()"), Stmt::Query(Query::Count));
        assert_eq!(ok("gc.get_threshold( )"), Stmt::Query(Query::Threshold));
        assert_eq!(ok("gc.get_freeze_count()"), Stmt::Query(Query::FreezeCount));
        assert_eq!(ok("gc.get_stats()"), Stmt::Query(Query::Stats));
        assert_eq!(
            ok("gc.is_tracked(a)"),
            Stmt::Query(Query::IsTracked("a".into()))
        );
        assert_eq!(
            ok("gc.is_finalized(self)"),
            Stmt::Query(Query::IsFinalized("self".into()))
        );
        for (q, text) in [
            (Query::Count, "gc.get_count()"),
            (Query::IsTracked("a".into()), "gc.is_tracked(a)"),
            (Query::Stats, "gc.get_stats()"),
        ] {
            assert_eq!(q.to_string(), text);
        }
    }

    #[test]
    fn rejects_code_outside_the_grammar_with_offsets() {
        let e = parse_stmt("x = C(); import os").unwrap_err();
        assert_eq!(e.offset, 7);
        let e = parse_stmt("x = {'a\\'': b}").unwrap_err();
        assert!(e.message.contains("backslash"), "{e:?}");
        let e = parse_stmt("x.f(=)").unwrap_err();
        assert_eq!(e.offset, 4);
        assert_eq!(
            parse_stmt("y = x.f(1, a)").unwrap(),
            Stmt::Call {
                target: Some("y".into()),
                obj: Some("x".into()),
                name: "f".into(),
                args: vec![Value::Int(1), Value::Name("a".into())]
            }
        );
        assert!(parse_stmt("x = '__import__'").is_err());
        assert!(parse_stmt("x = {'k': 'v'}").is_err());
        assert!(parse_stmt("gc.get_objects()").is_err());
        let e = parse_stmt("gc.get_count(0)").unwrap_err();
        assert_eq!(e.offset, 13);
        assert!(e.message.contains("takes no arguments"), "{e:?}");
        let e = parse_stmt("gc.is_tracked(1)").unwrap_err();
        assert!(e.message.contains("one NAME"), "{e:?}");
        assert!(parse_stmt("gc.is_tracked(None)").is_err());
        assert!(parse_stmt("gc.is_tracked()").is_err());
        assert!(parse_stmt("gc.is_tracked(a, b)").is_err());
        assert!(parse_stmt("x = gc.get_count()").is_err());
        let e = parse_stmt("gc.get_cuont()").unwrap_err();
        assert!(e.message.contains("did you mean `get_count`"), "{e:?}");
    }
}

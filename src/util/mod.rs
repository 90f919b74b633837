//! Layer 1: small utilities that know nothing of scenarios, versions, traces or the model.
//!
//! - [`guarded`]: run a closure, turning a panic into an error message;
//! - [`shell_quote`]: quote a word for a POSIX shell command line;
//! - [`fs::write_atomic`]: write a file so that a failed write never loses the old one;
//! - [`lcg`]: the one 64-bit LCG of `random_edges:` and the benchmark heaps (Rust and Python);
//! - [`term`]: colour on terminals, the progress line, the parallel map with progress.

pub mod fs;
pub mod lcg;
pub mod term;

/// Run `f`, turning a panic into an error message (so that one failing scenario cannot take
/// a whole run down).
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let msg = if let Some(s) = p.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = p.downcast_ref::<String>() {
            s.clone()
        } else {
            "unknown panic".to_string()
        };
        format!("panicked: {msg}")
    })
}

/// The candidate closest to `word`, if one is close enough to be what was meant (a typo: edit
/// distance at most 2, and less than half the word), for "did you mean `classes`?".
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d > 0 && *d <= 2 && *d * 2 < word.len().max(c.len()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)` when [`did_you_mean`] finds one, else nothing.
pub fn suggestion(word: &str, candidates: &[&str]) -> String {
    did_you_mean(word, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// Quote a word (a path, an argument) for a POSIX shell command line when it needs it.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./+=:,@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_catches_panics() {
        assert_eq!(guarded(|| 3), Ok(3));
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = guarded(|| -> i32 { panic!("nope {}", 1) });
        std::panic::set_hook(prev);
        assert_eq!(r, Err("panicked: nope 1".to_string()));
    }

    #[test]
    fn suggests_close_words_only() {
        let keys = ["description", "versions", "trace", "classes", "steps"];
        assert_eq!(did_you_mean("clases", &keys), Some("classes"));
        assert_eq!(did_you_mean("step", &keys), Some("steps"));
        assert_eq!(did_you_mean("verisons", &keys), Some("versions"));
        assert_eq!(did_you_mean("foo", &keys), None);
        assert_eq!(did_you_mean("classes", &keys), None);
        assert_eq!(
            suggestion("colect", &["collect", "enable"]),
            " (did you mean `collect`?)"
        );
        assert_eq!(suggestion("x", &["collect"]), "");
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(shell_quote("/usr/bin/python3.12"), "/usr/bin/python3.12");
        assert_eq!(shell_quote("/a b/it's"), "'/a b/it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}

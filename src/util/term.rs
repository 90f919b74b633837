//! The terminal: colour (only on a terminal, never with `NO_COLOR`), the progress line on
//! stderr for long runs (drawn by `indicatif`), and the parallel map (`rayon`) that ticks it.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::sync::Once;
use std::time::{Duration, Instant};

/// Which standard stream a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

fn is_terminal(s: Stream) -> bool {
    match s {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    }
}

/// Whether colour may be used, given `NO_COLOR`, `TERM` and whether the stream is a terminal
/// (<https://no-color.org>: `NO_COLOR` set to anything but the empty string turns it off).
pub fn color_allowed(no_color: Option<&str>, term: Option<&str>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
}

/// Whether to colour what goes to `s` now.
pub fn color(s: Stream) -> bool {
    color_allowed(
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
        is_terminal(s),
    )
}

/// `text` in bold red when `on`.
pub fn red(text: &str, on: bool) -> String {
    if on {
        format!("\x1b[1;31m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `text` in green when `on`.
pub fn green(text: &str, on: bool) -> String {
    if on {
        format!("\x1b[32m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Wait this long before showing anything: short runs stay silent.
const PROGRESS_DELAY: Duration = Duration::from_millis(500);
/// Redraws per second at most.
const PROGRESS_HZ: u8 = 10;

/// A progress line on stderr (`gcconform: checking 120/640 (18%)`), drawn only when stderr is a
/// terminal (not `TERM=dumb`) and the work has taken half a second, and erased when done. Safe to
/// tick from several threads.
pub struct Progress {
    bar: ProgressBar,
    enabled: bool,
    start: Instant,
    shown: Once,
}

impl Progress {
    pub fn new(what: &str, total: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "gcconform: {what} {{pos}}/{{len}} ({{percent}}%)"
            ))
            .expect("a valid template"),
        );
        Progress {
            bar,
            enabled: is_terminal(Stream::Stderr)
                && std::env::var("TERM").map_or(true, |t| t != "dumb"),
            start: Instant::now(),
            shown: Once::new(),
        }
    }

    /// One more item is done.
    pub fn tick(&self) {
        self.bar.inc(1);
        if self.enabled && self.start.elapsed() >= PROGRESS_DELAY {
            self.shown.call_once(|| {
                self.bar
                    .set_draw_target(ProgressDrawTarget::stderr_with_hz(PROGRESS_HZ))
            });
        }
    }

    /// Erase the line (if one was drawn).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Map `f` over `items` on a worker per CPU (rayon); results in input order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    items.par_iter().map(&f).collect()
}

/// [`parallel_map`] with a [`Progress`] line.
pub fn parallel_map_progress<T: Sync, R: Send>(
    what: &str,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let p = Progress::new(what, items.len());
    let out = parallel_map(items, |x| {
        let r = f(x);
        p.tick();
        r
    });
    p.finish();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_terminals_without_no_color() {
        assert!(color_allowed(None, Some("xterm"), true));
        assert!(color_allowed(Some(""), None, true));
        assert!(!color_allowed(Some("1"), Some("xterm"), true));
        assert!(!color_allowed(None, Some("xterm"), false));
        assert!(!color_allowed(None, Some("dumb"), true));
        assert_eq!(red("FAIL", false), "FAIL");
        assert_eq!(red("FAIL", true), "\x1b[1;31mFAIL\x1b[0m");
        assert_eq!(green("ok", true), "\x1b[32mok\x1b[0m");
    }

    #[test]
    fn progress_line_and_parallel_map() {
        // Not a terminal under cargo test: ticking draws nothing and does not panic.
        let p = Progress::new("x", 3);
        p.tick();
        p.tick();
        p.finish();
        assert_eq!(
            parallel_map_progress("x", &[1, 2, 3], |x| x * 2),
            vec![2, 4, 6]
        );
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            parallel_map(&items, |x| x * 2),
            (0..100).map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(parallel_map(&Vec::<u32>::new(), |x| *x).is_empty());
    }
}

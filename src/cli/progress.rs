//! Progress on standard error for long reads: a single updating line, shown only on a terminal.

use clv::data::Progress;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Prints `label: 42% (120 of 285 MB)` at most every 200 ms, on a terminal and unless quiet.
pub struct ProgressLine {
    label: &'static str,
    enabled: bool,
    last: Mutex<Option<Instant>>,
}

impl ProgressLine {
    /// A progress line for `label`; silent when `quiet` or when standard error is not a terminal.
    pub fn new(label: &'static str, quiet: bool) -> ProgressLine {
        ProgressLine { label, enabled: !quiet && std::io::stderr().is_terminal(), last: Mutex::new(None) }
    }

    /// Shows the progress if enough time has passed since the last update.
    pub fn update(&self, progress: Progress) {
        if !self.enabled {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < Duration::from_millis(200)) {
            return;
        }
        *last = Some(now);
        let mb = |bytes: u64| bytes as f64 / 1e6;
        let text = match progress.total {
            Some(total) if total > 0 => format!(
                "{}: {:>3.0}% ({:.0} of {:.0} MB)",
                self.label,
                100.0 * progress.bytes as f64 / total as f64,
                mb(progress.bytes),
                mb(total)
            ),
            _ => format!("{}: {:.0} MB", self.label, mb(progress.bytes)),
        };
        eprint!("\r{text}\x1b[K");
        let _ = std::io::stderr().flush();
    }

    /// Shows `label: what` at once (a step that reports no bytes).
    pub fn show(&self, what: &str) {
        if self.enabled {
            eprint!("\r{}: {what}\x1b[K", self.label);
            let _ = std::io::stderr().flush();
            *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.enabled && self.last.lock().map(|l| l.is_some()).unwrap_or(false) {
            eprint!("\r\x1b[K");
        }
    }
}

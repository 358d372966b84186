//! Progress of a long run: a bar (rows/s, ETA) on a terminal, plain log
//! lines every ten seconds otherwise, nothing when quiet.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rows handed to the dataflow, against the total the first pass counted.
pub struct Progress {
    mode: Mode,
    total: u64,
    done: AtomicU64,
    started: Instant,
    last_line: Mutex<Instant>,
}

enum Mode {
    Quiet,
    Bar(ProgressBar),
    Lines,
}

impl Progress {
    /// Progress over `total` rows; `show` false prints nothing.
    pub fn new(total: u64, show: bool) -> Self {
        let mode = if !show {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>10} [{bar:32}] {human_pos}/{human_len} rows, {per_sec}, ETA {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar.set_message("features");
            Mode::Bar(bar)
        } else {
            Mode::Lines
        };
        let now = Instant::now();
        Self {
            mode,
            total,
            done: AtomicU64::new(0),
            started: now,
            last_line: Mutex::new(now),
        }
    }

    /// Counts `rows` more rows done.
    pub fn advance(&self, rows: u64) {
        let done = self.done.fetch_add(rows, Ordering::Relaxed) + rows;
        match &self.mode {
            Mode::Quiet => {}
            Mode::Bar(bar) => bar.set_position(done),
            Mode::Lines => {
                let mut last = self.last_line.lock().expect("not poisoned");
                if last.elapsed() >= Duration::from_secs(10) {
                    *last = Instant::now();
                    let secs = self.started.elapsed().as_secs_f64();
                    let rate = done as f64 / secs.max(1e-9);
                    let eta = self.total.saturating_sub(done) as f64 / rate.max(1e-9);
                    eprintln!(
                        "backfill: {:.0}% ({done} of {} rows), {:.0} rows/s, ETA {:.0}s",
                        100.0 * done as f64 / self.total.max(1) as f64,
                        self.total,
                        rate,
                        eta
                    );
                }
            }
        }
    }

    /// Names the current phase.
    pub fn message(&self, phase: &'static str) {
        match &self.mode {
            Mode::Bar(bar) => bar.set_message(phase),
            Mode::Lines => eprintln!("backfill: {phase}"),
            Mode::Quiet => {}
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }
}

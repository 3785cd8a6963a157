//! Progress on stderr for long runs: only when stderr is a terminal, silent otherwise.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// A progress bar over the bytes of the revenue files, then a spinner while computing.
/// Cleared when dropped.
pub(crate) struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar for loading `data`, or nothing when stderr is not a terminal or the input is
    /// small enough to finish before a bar would be seen.
    pub(crate) fn for_load(data: &Path) -> Bar {
        let total = nrr_io::revenue_bytes(data);
        if !std::io::stderr().is_terminal() || total < 16 << 20 {
            return Bar(None);
        }
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} reading {bytes}/{total_bytes} {wide_bar} {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(Some(pb))
    }

    /// The callback the reader calls with bytes read.
    pub(crate) fn callback(&self) -> Option<nrr_io::Progress> {
        let pb = self.0.clone()?;
        Some(nrr_io::Progress(Arc::new(move |n| pb.inc(n))))
    }

    /// Switches to a spinner with a message for the next step.
    pub(crate) fn step(&self, msg: &'static str) {
        if let Some(pb) = &self.0 {
            pb.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.set_message(msg);
            pb.enable_steady_tick(std::time::Duration::from_millis(100));
        }
    }
}

impl Bar {
    /// Removes the bar from the screen (before printing messages to stderr).
    pub(crate) fn clear(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

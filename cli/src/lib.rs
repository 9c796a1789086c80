//! The mvi pipeline as a library: option types, commands and reports behind
//! the thin `mvi` binary. Each command returns a typed result; the binary
//! turns errors into one-line messages and exit codes (0 ok, 1 failed check,
//! 2 bad usage or input).
#![deny(missing_docs)]

pub mod archive;
pub mod build;
pub mod demo;
pub mod image;
pub mod inspect;
pub mod iso;
pub mod menu;
pub mod moddeps;
pub mod output;
pub mod rules;
pub mod size;
pub mod ufs;

/// Resolve the build time `T`: the flag, else `SOURCE_DATE_EPOCH`, else
/// [`fstree::DEFAULT_EPOCH`].
pub fn source_date_epoch(flag: Option<i64>) -> anyhow::Result<i64> {
    if let Some(t) = flag {
        return Ok(t);
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse::<i64>().map_err(|_| {
            anyhow::anyhow!("SOURCE_DATE_EPOCH={v:?} is not a whole number of seconds")
        }),
        _ => Ok(fstree::DEFAULT_EPOCH),
    }
}

/// A progress bar of `total` bytes for writing `out`, drawn on standard
/// error only when `enabled` and standard error is a terminal.
pub fn progress_bar(enabled: bool, total: u64, out: &std::path::Path) -> indicatif::ProgressBar {
    if enabled && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(out.display().to_string());
        b
    } else {
        indicatif::ProgressBar::hidden()
    }
}

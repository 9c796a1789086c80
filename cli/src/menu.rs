//! `mvi menu`: write a GRUB legacy `menu.lst` with [`grubcfg`], and lint a
//! menu (rendered or existing) against the tree that goes on the media.
//!
//! Exit codes as everywhere in mvi: 0 written (warnings allowed), 1 the
//! lint found an error (nothing is written), 2 bad input.

use crate::output::{check_output_path, write_atomic};
use anyhow::Context;
use grubcfg::{has_errors, lint, Arch, Console, Diagnostic, Dialect, Menu, MenuSpec};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Parse an `--arch` list: comma-separated `64`/`amd64` and `32`/`i386`
/// names, in entry order.
pub fn parse_arches(list: &str) -> anyhow::Result<Vec<Arch>> {
    list.split(',')
        .map(|a| a.parse::<Arch>().map_err(anyhow::Error::new))
        .collect()
}

/// The menu options of `mvi menu`, as strings from the command line.
#[derive(Debug, Clone)]
pub struct MenuArgs {
    /// `--arch`: comma-separated ISAs.
    pub arch: String,
    /// `--title`.
    pub title: String,
    /// `--console`: text, ttya or ttyb.
    pub console: String,
    /// `--timeout` in seconds.
    pub timeout: u32,
    /// `--dialect`: illumos or plain.
    pub dialect: String,
    /// `--default`: 0-based entry.
    pub default: u32,
    /// `--boot-args`: kernel flags and `-B` property lists.
    pub boot_args: Vec<String>,
    /// `--hard-disk`: add a "Boot from hard disk" entry.
    pub hard_disk: bool,
}

impl MenuArgs {
    /// The [`MenuSpec`] these options describe.
    pub fn spec(&self) -> anyhow::Result<MenuSpec> {
        Ok(MenuSpec {
            title: self.title.clone(),
            arches: parse_arches(&self.arch)?,
            dialect: self.dialect.parse::<Dialect>()?,
            console: self.console.parse::<Console>()?,
            boot_flags: self.boot_args.clone(),
            timeout: Some(self.timeout),
            default: self.default,
            hard_disk_entry: self.hard_disk,
        })
    }
}

/// Whether `tree` holds the file a menu names (`/platform/...`).
fn tree_has(tree: &Path, path: &str) -> bool {
    tree.join(path.trim_start_matches('/')).is_file()
}

/// Lint `menu` against the directory `tree` (see [`grubcfg::lint`]), or
/// only its structure when `tree` is `None`.
pub fn lint_against(menu: &Menu, tree: Option<&Path>) -> anyhow::Result<Vec<Diagnostic>> {
    match tree {
        None => Ok(menu.diagnostics()),
        Some(t) => {
            let meta =
                std::fs::metadata(t).with_context(|| format!("{}: cannot open", t.display()))?;
            if !meta.is_dir() {
                anyhow::bail!(
                    "{}: not a directory (--check wants the media tree)",
                    t.display()
                );
            }
            Ok(lint(menu, &|p: &str| tree_has(t, p)))
        }
    }
}

/// What `mvi menu` found and did.
#[derive(Debug, Clone)]
pub struct MenuReport {
    /// The menu, rendered or read.
    pub menu: Menu,
    /// Lint findings (structure only without a tree).
    pub diagnostics: Vec<Diagnostic>,
    /// The file to write, in render mode (`None` when linting a file).
    pub output: Option<PathBuf>,
    /// Whether `output` was written (not when the lint found an error).
    pub written: bool,
}

impl MenuReport {
    /// Whether any finding is an error (exit 1).
    pub fn failed(&self) -> bool {
        has_errors(&self.diagnostics)
    }

    /// The findings, one per line, each prefixed with `name: `.
    pub fn render_diagnostics(&self, name: &str) -> String {
        self.diagnostics
            .iter()
            .map(|d| format!("{name}: {d}\n"))
            .collect()
    }

    /// A one-line summary.
    pub fn summary(&self, name: &str) -> String {
        let titles: Vec<&str> = self.menu.entries().map(|e| e.title()).collect();
        let errors = self
            .diagnostics
            .iter()
            .filter(|d| d.severity == grubcfg::Severity::Error)
            .count();
        let warnings = self.diagnostics.len() - errors;
        let entries = match titles.len() {
            0 => "no entries".to_string(),
            1 => format!("1 entry ({})", titles[0]),
            n => format!("{n} entries ({})", titles.join("; ")),
        };
        let timeout = match self.menu.timeout() {
            Some(t) => format!("{t} s"),
            None => "none (GRUB waits forever)".to_string(),
        };
        let not_written = if self.output.is_some() && !self.written {
            "; not written"
        } else {
            ""
        };
        format!(
            "{name}: {entries}, timeout {timeout}, {errors} error(s), {warnings} warning(s){not_written}\n"
        )
    }
}

/// `mvi menu -o OUT`: render `spec`, lint it (against `check` if given) and
/// write it atomically unless the lint finds an error.
pub fn render(spec: &MenuSpec, out: &Path, check: Option<&Path>) -> anyhow::Result<MenuReport> {
    check_output_path(out)?;
    let menu = spec.to_menu()?;
    let diagnostics = lint_against(&menu, check)?;
    let mut report = MenuReport {
        menu,
        diagnostics,
        output: Some(out.to_path_buf()),
        written: false,
    };
    if !report.failed() {
        let text = report.menu.render();
        write_atomic(out, |w| {
            w.write_all(text.as_bytes())
                .with_context(|| format!("{}: write failed", out.display()))
        })?;
        report.written = true;
    }
    Ok(report)
}

/// `mvi menu --lint FILE`: parse an existing menu.lst (an unparsable one is
/// an error naming the line and column) and lint it.
pub fn lint_file(file: &Path, check: Option<&Path>) -> anyhow::Result<MenuReport> {
    let bytes = std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))?;
    let menu = grubcfg::parse_bytes(&bytes).with_context(|| format!("{}", file.display()))?;
    let diagnostics = lint_against(&menu, check)?;
    Ok(MenuReport {
        menu,
        diagnostics,
        output: None,
        written: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arches() {
        assert_eq!(parse_arches("64,32").unwrap(), [Arch::Amd64, Arch::I386]);
        assert_eq!(parse_arches("i386").unwrap(), [Arch::I386]);
        let e = parse_arches("64,arm").unwrap_err().to_string();
        assert!(e.contains("unknown architecture \"arm\""), "{e}");
        assert!(parse_arches("").is_err());
    }
}

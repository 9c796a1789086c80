//! Diagnostics: what GRUB would do differently from what the menu seems to
//! say, and which files an entry needs that the ISO tree lacks.
//!
//! [`Menu::diagnostics`] looks at the menu alone; [`lint`] adds the checks
//! against the tree that goes on the media. Each rule cites the GRUB
//! behaviour it is based on (illumos-gate `usr/src/grub/grub-0.97/stage2/`).

use std::fmt;

use crate::builtins::case_insensitive_match;
use crate::isa::{expands_variables, file_argument, is_blocklist, split_device, Arch};
use crate::lex::grub_int;
use crate::model::{Command, DefaultEntry, Entry, Line, Menu, Slot};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Works, but probably not as intended.
    Warning,
    /// An entry will not boot, or the menu will not come up as written.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Which rule produced a diagnostic (stable, for tests and filtering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// A command GRUB does not know; `cmain()` skips the line (warning).
    UnknownCommand,
    /// A known command before the first `title` that is not a menu command
    /// (e.g. `kernel`); `cmain()` ignores it (warning).
    IgnoredInGlobalSection,
    /// `default`, `timeout`, `fallback` or `hiddenmenu` inside an entry:
    /// `run_script()` fails the entry with "Unrecognized command" (error).
    MenuCommandInEntry,
    /// A title with no command GRUB knows: `cmain()` drops it and the later
    /// entries move up one number (warning).
    DroppedEntry,
    /// No bootable entry: GRUB goes straight to its command line (error).
    NoEntries,
    /// No usable `timeout`: `grub_timeout` stays -1 and GRUB waits for a key
    /// forever (warning).
    NoTimeout,
    /// The same global setting twice; the last one wins (warning).
    RepeatedSetting,
    /// `default` names an entry that does not exist; GRUB uses entry 0
    /// (warning).
    DefaultOutOfRange,
    /// `fallback` names an entry that does not exist; GRUB drops it (warning).
    FallbackOutOfRange,
    /// A module before any kernel: `module_func()` fails with
    /// `ERR_NEED_MB_KERNEL` (error).
    ModuleBeforeKernel,
    /// An entry that loads no kernel and chainloads nothing: GRUB returns to
    /// the menu (warning).
    NothingToBoot,
    /// `$ISADIR`, `$ZFS-BOOTFS` or `${...}` in a command that does not expand
    /// variables (`kernel`, `module`): GRUB opens the literal name (error).
    UnexpandedVariable,
    /// A comment ending in a backslash continues onto the next line, which
    /// GRUB then ignores too (warning).
    ContinuedComment,
    /// A kernel, module or other file the entry loads is not in the tree
    /// (error; a missing splash image is a warning).
    MissingFile,
    /// A file name that is neither absolute nor device-qualified (error).
    BadPath,
    /// The mvi 32-bit trap: `$ISADIR` becomes `amd64` on any 64-bit CPU,
    /// but the tree only has the 32-bit file (error).
    IsadirTrap,
    /// `$ISADIR` becomes empty on a CPU without long mode (or with less
    /// memory than `min_mem64`), and the tree lacks the 32-bit file (warning).
    No32BitFallback,
    /// `$ZFS-BOOTFS` in an entry that boots from the media, where root is
    /// not ZFS and GRUB leaves the token unexpanded (warning).
    ZfsBootfsOffZfs,
}

/// One finding, with the 1-based line of the rendered menu it is about
/// (`None` for the menu as a whole, e.g. a missing `timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Warning or error.
    pub severity: Severity,
    /// 1-based line, or `None` for the whole menu.
    pub line: Option<usize>,
    /// The rule.
    pub check: Check,
    /// What is wrong and what GRUB will do, for people.
    pub message: String,
}

impl Diagnostic {
    fn new(severity: Severity, line: Option<usize>, check: Check, message: String) -> Self {
        Diagnostic {
            severity,
            line,
            check,
            message,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}: {}", self.severity, self.message),
            None => write!(f, "{}: {}", self.severity, self.message),
        }
    }
}

/// Whether any diagnostic is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

const SETTINGS: [&str; 3] = ["default", "timeout", "fallback"];
const BOOTS: [&str; 6] = [
    "kernel",
    "kernel$",
    "chainloader",
    "configfile",
    "reboot",
    "halt",
];

fn unknown(c: &Command, line: usize, where_: &str) -> Diagnostic {
    let hint = match case_insensitive_match(c.name()) {
        Some(b) => format!(" (GRUB is case-sensitive: did you mean `{}`?)", b.name),
        None => String::new(),
    };
    Diagnostic::new(
        Severity::Warning,
        Some(line),
        Check::UnknownCommand,
        format!(
            "unknown command `{}`{hint}; GRUB skips the line {where_}",
            c.name()
        ),
    )
}

fn continued_comment(l: &Line, line: usize) -> Option<Diagnostic> {
    match l {
        Line::Comment(c) if c.text().contains('\n') => {
            let n = c.text().bytes().filter(|&b| b == b'\n').count();
            Some(Diagnostic::new(
                Severity::Warning,
                Some(line),
                Check::ContinuedComment,
                format!(
                    "comment ends in a backslash, so GRUB treats the next {} as part of it",
                    if n == 1 {
                        "line".to_string()
                    } else {
                        format!("{n} lines")
                    }
                ),
            ))
        }
        _ => None,
    }
}

impl Menu {
    /// Checks that need only the menu: unknown or misplaced commands, dropped
    /// entries, missing `timeout`, out-of-range `default`, unexpanded
    /// variables, module order. Sorted by line; whole-menu findings first.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let walk = self.walk();
        let mut seen = std::collections::HashMap::new();
        let mut kernel_seen = false;
        for (line, slot) in &walk {
            let line = *line;
            match slot {
                Slot::Global(l) => {
                    out.extend(continued_comment(l, line));
                    let Some(c) = l.as_command() else { continue };
                    match c.builtin() {
                        None => out.push(unknown(c, line, "when it loads the menu")),
                        Some(b) if !b.menu => out.push(Diagnostic::new(
                            Severity::Warning,
                            Some(line),
                            Check::IgnoredInGlobalSection,
                            format!(
                                "`{}` before the first `title` is ignored: only menu commands run there",
                                c.name()
                            ),
                        )),
                        Some(_) => {}
                    }
                    if SETTINGS.contains(&c.name()) {
                        if let Some(prev) = seen.insert(c.name().to_string(), line) {
                            out.push(Diagnostic::new(
                                Severity::Warning,
                                Some(line),
                                Check::RepeatedSetting,
                                format!("`{}` already set on line {prev}; GRUB uses the last value it can read", c.name()),
                            ));
                        }
                    }
                }
                Slot::Title(e) => {
                    kernel_seen = false;
                    if !e.is_kept_by_grub() {
                        out.push(Diagnostic::new(
                            Severity::Warning,
                            Some(line),
                            Check::DroppedEntry,
                            format!(
                                "entry `{}` has no command GRUB knows, so GRUB drops it and numbers the following entries one lower",
                                e.title()
                            ),
                        ));
                    } else if !e.commands().any(|c| BOOTS.contains(&c.name())) {
                        out.push(Diagnostic::new(
                            Severity::Warning,
                            Some(line),
                            Check::NothingToBoot,
                            format!("entry `{}` loads no kernel and chainloads nothing; GRUB returns to the menu", e.title()),
                        ));
                    }
                }
                Slot::InEntry(e, l) => {
                    out.extend(continued_comment(l, line));
                    let Some(c) = l.as_command() else { continue };
                    let Some(b) = c.builtin() else {
                        out.push(unknown(c, line, "when it loads the menu"));
                        continue;
                    };
                    if !b.cmdline {
                        out.push(Diagnostic::new(
                            Severity::Error,
                            Some(line),
                            Check::MenuCommandInEntry,
                            format!(
                                "`{}` is only valid before the first `title`; inside entry `{}` GRUB fails the entry with \"Unrecognized command\"",
                                c.name(),
                                e.title()
                            ),
                        ));
                    }
                    match c.name() {
                        "kernel" | "kernel$" => kernel_seen = true,
                        "module" | "module$" | "modulenounzip" if !kernel_seen => out.push(Diagnostic::new(
                            Severity::Error,
                            Some(line),
                            Check::ModuleBeforeKernel,
                            format!("`{}` before any kernel: GRUB fails with \"Must load Multiboot kernel before modules\"", c.name()),
                        )),
                        _ => {}
                    }
                    if matches!(c.name(), "kernel" | "module" | "modulenounzip") {
                        if let Some(var) = ["$ISADIR", "$ZFS-BOOTFS", "${"]
                            .into_iter()
                            .find(|v| c.args().contains(v))
                        {
                            out.push(Diagnostic::new(
                                Severity::Error,
                                Some(line),
                                Check::UnexpandedVariable,
                                format!(
                                    "`{}` does not expand `{var}`; GRUB uses it literally (use `{}$`)",
                                    c.name(),
                                    if c.name() == "kernel" { "kernel" } else { "module" }
                                ),
                            ));
                        }
                    }
                }
            }
        }

        let kept = self.boot_entries().count();
        if kept == 0 {
            out.push(Diagnostic::new(
                Severity::Error,
                None,
                Check::NoEntries,
                "no entry GRUB can show: it goes straight to its `grub>` command line".to_string(),
            ));
        }
        if self.timeout().is_none() {
            out.push(Diagnostic::new(
                Severity::Warning,
                None,
                Check::NoTimeout,
                "no usable `timeout`: GRUB waits for a key forever (add e.g. `timeout 10`)"
                    .to_string(),
            ));
        }
        let line_of = |c: &Command| {
            walk.iter().find_map(|(l, s)| match s {
                Slot::Global(Line::Command(x)) if std::ptr::eq(x, c) => Some(*l),
                _ => None,
            })
        };
        if let (DefaultEntry::Index(d), Some(c)) =
            (self.default_entry(), self.global_commands("default").last())
        {
            if kept > 0 && d as usize >= kept {
                out.push(Diagnostic::new(
                    Severity::Warning,
                    line_of(c),
                    Check::DefaultOutOfRange,
                    format!(
                        "`default {d}` but GRUB shows only {kept} entr{}; it boots entry 0",
                        if kept == 1 { "y" } else { "ies" }
                    ),
                ));
            }
        }
        for c in self.global_commands("fallback") {
            for n in c.args().split(' ').filter_map(|w| grub_int(w).ok()) {
                if kept > 0 && n.0 as usize >= kept {
                    out.push(Diagnostic::new(
                        Severity::Warning,
                        line_of(c),
                        Check::FallbackOutOfRange,
                        format!("`fallback` entry {} does not exist (GRUB shows {kept}); GRUB ignores it", n.0),
                    ));
                }
            }
        }
        out.sort_by_key(|d| d.line.unwrap_or(0));
        out
    }
}

/// Normalises a path the way GRUB's file lookup walks it: repeated slashes
/// collapse (`/platform/i86pc/kernel//unix` is `/platform/i86pc/kernel/unix`).
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for part in path.split('/').filter(|p| !p.is_empty()) {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Checks a menu against the tree that goes on the media, plus everything
/// [`Menu::diagnostics`] reports.
///
/// `exists(path)` answers whether a regular file exists in the ISO tree;
/// `path` is absolute with single slashes, e.g. `/platform/i86pc/kernel/unix`
/// (for a directory `root`: `|p| root.join(&p[1..]).is_file()`).
///
/// For every entry GRUB keeps, and every file it loads from the boot media
/// (`kernel`/`kernel$`, `module`/`module$`/`modulenounzip`, `initrd`,
/// `chainloader` unless a block list, `configfile`, `splashimage`; a `(cd)`
/// prefix is stripped, other devices and everything after `root`,
/// `rootnoverify` or `findroot` to another device are not on the media), the
/// file must exist for each ISA the entry can boot:
///
/// * a `kernel$` with `$ISADIR` boots amd64 on 64-bit CPUs and i386
///   otherwise, so each `$ISADIR` file is checked for both. Only the 32-bit
///   file present is the mvi trap ([`Check::IsadirTrap`], an error: the entry
///   fails on every 64-bit CPU); only the 64-bit file present is a warning
///   ([`Check::No32BitFallback`]: it fails only on CPUs without long mode);
/// * an explicit amd64 kernel is checked as amd64, an explicit 32-bit kernel
///   on both kinds of CPU (a `module$` with `$ISADIR` still expands to
///   `amd64` on a 64-bit CPU).
pub fn lint(menu: &Menu, exists: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut out = menu.diagnostics();
    let min_mem64 = menu.min_mem64();
    for (line, slot) in menu.walk() {
        let (entry, cmd) = match slot {
            Slot::Global(l) => match l.as_command() {
                Some(c) if c.name() == "splashimage" => (None, c),
                _ => continue,
            },
            Slot::InEntry(e, l) => match l.as_command() {
                Some(c) if e.is_kept_by_grub() => (Some(e), c),
                _ => continue,
            },
            Slot::Title(..) => continue,
        };
        if let Some(e) = entry {
            if !on_media_at(e, cmd) {
                continue;
            }
        }
        if expands_variables(cmd) && cmd.args().contains("$ZFS-BOOTFS") {
            out.push(Diagnostic::new(
                Severity::Warning,
                Some(line),
                Check::ZfsBootfsOffZfs,
                "`$ZFS-BOOTFS` is only expanded when GRUB's root is a ZFS pool; booting from the media, the kernel gets the literal token".to_string(),
            ));
        }
        let Some(file) = file_argument(cmd) else {
            continue;
        };
        let (device, path) = split_device(file);
        if device.is_some_and(|d| d != "cd") || (cmd.name() == "chainloader" && is_blocklist(path))
        {
            continue;
        }
        if !path.starts_with('/') {
            out.push(Diagnostic::new(
                Severity::Error,
                Some(line),
                Check::BadPath,
                format!("`{}` file {file:?} is not an absolute path", cmd.name()),
            ));
            continue;
        }
        let severity = if cmd.name() == "splashimage" {
            Severity::Warning
        } else {
            Severity::Error
        };
        let what = cmd.name();
        if !(expands_variables(cmd) && path.contains("$ISADIR")) {
            let p = normalize(path);
            if !exists(&p) {
                out.push(Diagnostic::new(
                    severity,
                    Some(line),
                    Check::MissingFile,
                    format!("`{what}` file {p} is not in the tree"),
                ));
            }
            continue;
        }
        let p64 = normalize(&crate::isa::expand(path, Arch::Amd64));
        let p32 = normalize(&crate::isa::expand(path, Arch::I386));
        let (e64, e32) = (exists(&p64), exists(&p32));
        let kernel_arches = entry.map(Entry::arches).unwrap_or_default();
        let low_mem = if min_mem64 > 0 {
            format!(" or with less than {min_mem64} MB (min_mem64)")
        } else {
            String::new()
        };
        let diag = |sev, check, msg| Diagnostic::new(sev, Some(line), check, msg);
        if kernel_arches == [Arch::Amd64] {
            // An explicit amd64 kernel only boots where $ISADIR is amd64.
            if !e64 {
                out.push(diag(
                    severity,
                    Check::MissingFile,
                    format!("`{what}` file {p64} ($ISADIR = amd64) is not in the tree"),
                ));
            }
        } else if kernel_arches.len() == 2 {
            match (e64, e32) {
                (true, true) => {}
                (false, true) => out.push(diag(
                    Severity::Error,
                    Check::IsadirTrap,
                    format!(
                        "`{what}` uses $ISADIR, which is `amd64` on any 64-bit CPU, but the tree has only {p32} (what it names on a 32-bit CPU), not {p64}: this entry fails on every 64-bit CPU; {}",
                        if what == "kernel$" {
                            format!("a 32-bit-only tree needs `kernel {}` without $ISADIR", crate::spec::KERNEL_I386)
                        } else {
                            format!("name the file without $ISADIR (`{} {p32}`)", what.trim_end_matches('$'))
                        }
                    ),
                )),
                (true, false) => out.push(diag(
                    Severity::Warning,
                    Check::No32BitFallback,
                    format!("`{what}`: on a CPU without long mode{low_mem}, $ISADIR is empty and {p32} is not in the tree, so this entry fails there"),
                )),
                (false, false) => out.push(diag(
                    severity,
                    Check::MissingFile,
                    format!("`{what}`: neither {p64} (64-bit CPU) nor {p32} (32-bit CPU) is in the tree"),
                )),
            }
        } else {
            // A 32-bit kernel (or none) runs on both kinds of CPU, and
            // $ISADIR follows the CPU, not the kernel.
            for (ok, p, cpu) in [(e64, &p64, "64-bit"), (e32, &p32, "32-bit")] {
                if !ok {
                    out.push(diag(
                        severity,
                        Check::MissingFile,
                        format!("`{what}` file {p} ($ISADIR on a {cpu} CPU) is not in the tree"),
                    ));
                }
            }
        }
    }
    out.sort_by_key(|d| d.line.unwrap_or(0));
    out
}

/// Whether `cmd` in `entry` still reads from the boot media: true until a
/// `root`, `rootnoverify` or `findroot` that names something other than `(cd)`.
fn on_media_at(entry: &Entry, cmd: &Command) -> bool {
    let mut on_media = true;
    for c in entry.commands() {
        if std::ptr::eq(c, cmd) {
            return on_media;
        }
        if matches!(c.name(), "root" | "rootnoverify" | "findroot") {
            on_media = c.args().starts_with("(cd)");
        }
    }
    on_media
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn checks(d: &[Diagnostic]) -> Vec<(Option<usize>, Check, Severity)> {
        d.iter().map(|d| (d.line, d.check, d.severity)).collect()
    }

    const TREE_32: &[&str] = &[
        "/platform/i86pc/kernel/unix",
        "/platform/i86pc/boot_archive",
    ];
    const TREE_64: &[&str] = &[
        "/platform/i86pc/kernel/amd64/unix",
        "/platform/i86pc/boot_archive",
    ];
    const TREE_BOTH: &[&str] = &[
        "/platform/i86pc/kernel/unix",
        "/platform/i86pc/kernel/amd64/unix",
        "/platform/i86pc/boot_archive",
    ];

    fn lint_with(text: &str, tree: &[&str]) -> Vec<Diagnostic> {
        let menu = parse(text).unwrap();
        lint(&menu, &|p| tree.contains(&p))
    }

    const MVI: &str = "default 0\ntimeout 10\ntitle mvi\nkernel$ /platform/i86pc/kernel/$ISADIR/unix\nmodule$ /platform/i86pc/boot_archive\n";

    #[test]
    fn clean_menu_on_a_full_tree() {
        assert_eq!(lint_with(MVI, TREE_BOTH), []);
    }

    #[test]
    fn isadir_trap_on_a_32_bit_tree_is_an_error() {
        let d = lint_with(MVI, TREE_32);
        assert_eq!(checks(&d), [(Some(4), Check::IsadirTrap, Severity::Error)]);
        assert!(
            d[0].message.contains("/platform/i86pc/kernel/amd64/unix"),
            "{}",
            d[0]
        );
        // The fix the message suggests is clean.
        let fixed = MVI.replace(
            "kernel$ /platform/i86pc/kernel/$ISADIR/unix",
            "kernel /platform/i86pc/kernel/unix",
        );
        assert_eq!(lint_with(&fixed, TREE_32), []);
    }

    #[test]
    fn isadir_on_a_64_bit_tree_warns_about_32_bit_cpus() {
        let d = lint_with(
            &MVI.replace("timeout 10", "timeout 10\nmin_mem64 1000"),
            TREE_64,
        );
        assert_eq!(
            checks(&d),
            [(Some(5), Check::No32BitFallback, Severity::Warning)]
        );
        assert!(d[0].message.contains("1000 MB"), "{}", d[0]);
    }

    #[test]
    fn missing_kernel_and_module_are_errors() {
        let text = "timeout 5\ntitle a\nkernel /platform/i86pc/kernel/amd64/unix\nmodule /platform/i86pc/amd64/boot_archive\n";
        let d = lint_with(text, &["/platform/i86pc/boot_archive"]);
        assert_eq!(
            checks(&d),
            [
                (Some(3), Check::MissingFile, Severity::Error),
                (Some(4), Check::MissingFile, Severity::Error)
            ]
        );
        let d = lint_with(
            MVI,
            &[
                "/platform/i86pc/kernel/amd64/unix",
                "/platform/i86pc/kernel/unix",
            ],
        );
        assert_eq!(checks(&d), [(Some(5), Check::MissingFile, Severity::Error)]);
        let d = lint_with(MVI, &[]);
        assert_eq!(
            checks(&d)[0],
            (Some(4), Check::MissingFile, Severity::Error)
        );
    }

    #[test]
    fn module_isadir_with_explicit_kernels() {
        // libbe style module on an mvi tree with an explicit amd64 kernel.
        let text = "timeout 5\ntitle a\nkernel /platform/i86pc/kernel/amd64/unix\nmodule$ /platform/i86pc/$ISADIR/boot_archive\n";
        let d = lint_with(text, TREE_BOTH);
        assert_eq!(checks(&d), [(Some(4), Check::MissingFile, Severity::Error)]);
        assert!(d[0].message.contains("/platform/i86pc/amd64/boot_archive"));
        // A 32-bit kernel with a $ISADIR module: on a 64-bit CPU the module is the amd64 one.
        let text = "timeout 5\ntitle a\nkernel /platform/i86pc/kernel/unix\nmodule$ /platform/i86pc/$ISADIR/boot_archive\n";
        let d = lint_with(text, TREE_BOTH);
        assert_eq!(checks(&d), [(Some(4), Check::MissingFile, Severity::Error)]);
        assert!(d[0].message.contains("64-bit CPU"));
    }

    #[test]
    fn missing_timeout_is_a_warning() {
        let text = MVI.replace("timeout 10\n", "");
        let d = lint_with(&text, TREE_BOTH);
        assert_eq!(checks(&d), [(None, Check::NoTimeout, Severity::Warning)]);
        let d = lint_with(&MVI.replace("timeout 10", "timeout -1"), TREE_BOTH);
        assert_eq!(checks(&d), [(None, Check::NoTimeout, Severity::Warning)]);
        assert!(!has_errors(&d));
    }

    #[test]
    fn devices_roots_and_blocklists() {
        let text = "timeout 5\ntitle a\nkernel$ (cd)/platform/i86pc/kernel/$ISADIR/unix\nmodule$ (cd)/platform/i86pc/boot_archive\n\
                    title disk\nroot (hd0,0,a)\nkernel /platform/i86pc/kernel/unix\nmodule /x\n\
                    title hd\nrootnoverify (hd0)\nchainloader +1\n\
                    title other\nkernel (hd0,1)/boot/vmlinuz\n\
                    title rel\nkernel boot/unix\n";
        let d = lint_with(text, TREE_BOTH);
        assert_eq!(checks(&d), [(Some(15), Check::BadPath, Severity::Error)]);
    }

    #[test]
    fn splash_and_zfs_on_media() {
        let text = "splashimage /boot/solaris.xpm\ntimeout 5\ntitle a\nbootfs rpool/ROOT/x\nkernel$ /platform/i86pc/kernel/$ISADIR/unix -B $ZFS-BOOTFS\nmodule$ /platform/i86pc/boot_archive\n";
        let d = lint_with(text, TREE_BOTH);
        assert_eq!(
            checks(&d),
            [
                (Some(1), Check::MissingFile, Severity::Warning),
                (Some(5), Check::ZfsBootfsOffZfs, Severity::Warning)
            ]
        );
        let text = text.replace("bootfs rpool/ROOT/x", "findroot (pool_rpool,0,a)");
        let d = lint_with(&text, TREE_BOTH);
        assert_eq!(
            checks(&d),
            [(Some(1), Check::MissingFile, Severity::Warning)]
        );
    }

    #[test]
    fn structural_rules() {
        let text = "kernel /k\ngfxmenu /m\ntimeout 5\ntimeout 6\ndefault 7\nfallback 0 9\n\
                    title empty\n# only a comment\ntitle a\nTimeout 3\nmodule /m\nkernel /k/$ISADIR/unix\nhiddenmenu\n\
                    title c\nroot (hd0)\n";
        let d = parse(text).unwrap().diagnostics();
        assert_eq!(
            checks(&d),
            [
                (Some(1), Check::IgnoredInGlobalSection, Severity::Warning),
                (Some(2), Check::UnknownCommand, Severity::Warning),
                (Some(4), Check::RepeatedSetting, Severity::Warning),
                (Some(5), Check::DefaultOutOfRange, Severity::Warning),
                (Some(6), Check::FallbackOutOfRange, Severity::Warning),
                (Some(7), Check::DroppedEntry, Severity::Warning),
                (Some(10), Check::UnknownCommand, Severity::Warning),
                (Some(11), Check::ModuleBeforeKernel, Severity::Error),
                (Some(12), Check::UnexpandedVariable, Severity::Error),
                (Some(13), Check::MenuCommandInEntry, Severity::Error),
                (Some(14), Check::NothingToBoot, Severity::Warning),
            ]
        );
        assert!(d
            .iter()
            .any(|d| d.message.contains("did you mean `timeout`")));
        let d = parse("timeout 5\n").unwrap().diagnostics();
        assert_eq!(checks(&d), [(None, Check::NoEntries, Severity::Error)]);
        let d = parse("timeout 5\n# a \\\ndefault 1\ntitle a\nkernel /k\n")
            .unwrap()
            .diagnostics();
        assert_eq!(
            checks(&d),
            [(Some(2), Check::ContinuedComment, Severity::Warning)]
        );
    }

    #[test]
    fn display() {
        let d = lint_with(MVI, TREE_32);
        assert!(
            d[0].to_string()
                .starts_with("line 4: error: `kernel$` uses $ISADIR"),
            "{}",
            d[0]
        );
    }
}

//! `$ISADIR` and the instruction sets an entry can boot.
//!
//! In the illumos GRUB, `kernel$` and `module$` expand `$ISADIR` before
//! opening the file and again for the command line passed to the kernel
//! (`expand_string()` in illumos-gate `usr/src/grub/grub-0.97/stage2/expand.c`,
//! earlier `expand_arch()` in builtins.c). It becomes `amd64` when the CPU has
//! long mode plus FPU, TSC, MSR, PAE, CX8, PGE, CLFSH, MMX, FXSR, SSE and SSE2
//! (`amd64_config_cpu()`) and memory is at least `min_mem64` MB
//! (`check_min_mem64()`); otherwise it becomes the empty string, so
//! `/platform/i86pc/kernel/$ISADIR/unix` names `/platform/i86pc/kernel//unix`,
//! the 32-bit kernel. Plain `kernel` and `module` expand nothing.

use std::fmt;
use std::str::FromStr;

use crate::model::{Command, Entry};

/// An x86 instruction set an illumos kernel can run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// 64-bit: `platform/i86pc/kernel/amd64/unix`.
    Amd64,
    /// 32-bit: `platform/i86pc/kernel/unix`.
    I386,
}

impl Arch {
    /// Both, 64-bit first.
    pub const ALL: [Arch; 2] = [Arch::Amd64, Arch::I386];

    /// What `$ISADIR` expands to on a CPU running this ISA: `amd64` or nothing.
    pub fn isadir(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::I386 => "",
        }
    }

    /// `amd64` or `i386`.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Amd64 => "amd64",
            Arch::I386 => "i386",
        }
    }

    /// 64 or 32.
    pub fn bits(self) -> u32 {
        match self {
            Arch::Amd64 => 64,
            Arch::I386 => 32,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An architecture name that is not one of `64`, `amd64`, `x86_64`, `32`,
/// `i386`, `i86pc`, `x86`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown architecture {0:?}: use 64 (amd64) or 32 (i386)")]
pub struct ParseArchError(pub String);

impl FromStr for Arch {
    type Err = ParseArchError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "64" | "amd64" | "x86_64" | "x64" => Ok(Arch::Amd64),
            "32" | "i386" | "i86" | "i86pc" | "x86" => Ok(Arch::I386),
            _ => Err(ParseArchError(s.to_string())),
        }
    }
}

/// Expands every `$ISADIR` in `line` as GRUB does on a CPU running `arch`.
/// Other variables (`$ZFS-BOOTFS`, `${name}`) are left alone.
///
/// ```
/// use grubcfg::{expand, Arch};
/// let k = "/platform/i86pc/kernel/$ISADIR/unix -B console=ttya";
/// assert_eq!(expand(k, Arch::Amd64), "/platform/i86pc/kernel/amd64/unix -B console=ttya");
/// assert_eq!(expand(k, Arch::I386), "/platform/i86pc/kernel//unix -B console=ttya");
/// ```
pub fn expand(line: &str, arch: Arch) -> String {
    line.replace("$ISADIR", arch.isadir())
}

/// Whether a command expands variables (`kernel$`, `module$`).
pub fn expands_variables(cmd: &Command) -> bool {
    matches!(cmd.name(), "kernel$" | "module$")
}

/// The file a command loads, as written (device prefix included), or `None`
/// for commands that load no file or have no argument.
///
/// Follows each command's own argument handling in builtins.c: `kernel` and
/// `kernel$` skip `--type=TYPE` and `--no-mem-option` (`kernel_func`),
/// `chainloader` skips `--force`; then the file is the first word, and the
/// rest of the line is the command line GRUB passes on.
pub fn file_argument(cmd: &Command) -> Option<&str> {
    fn next_word<'a>(args: &mut &'a str) -> &'a str {
        let a = args.trim_start_matches(' ');
        let end = a.find(' ').unwrap_or(a.len());
        *args = &a[end..];
        &a[..end]
    }
    let mut args = cmd.args();
    let word = match cmd.name() {
        "kernel" | "kernel$" => loop {
            let w = next_word(&mut args);
            if !(w.starts_with("--type=") || w.starts_with("--no-mem-option")) {
                break w;
            }
        },
        "chainloader" => {
            let w = next_word(&mut args);
            if w.starts_with("--force") {
                next_word(&mut args)
            } else {
                w
            }
        }
        "module" | "module$" | "modulenounzip" | "initrd" | "configfile" | "splashimage" => {
            next_word(&mut args)
        }
        _ => return None,
    };
    (!word.is_empty()).then_some(word)
}

/// Splits a GRUB file name into its optional `(device)` prefix (without the
/// parentheses) and the rest: `(cd)/boot/x` gives `(Some("cd"), "/boot/x")`.
pub fn split_device(file: &str) -> (Option<&str>, &str) {
    if let Some(rest) = file.strip_prefix('(') {
        if let Some(close) = rest.find(')') {
            return (Some(&rest[..close]), &rest[close + 1..]);
        }
    }
    (None, file)
}

/// Whether a file name is GRUB block-list notation (`+1`, `0+1`, ...),
/// which names sectors rather than a file.
pub fn is_blocklist(path: &str) -> bool {
    path.starts_with(|c: char| c == '+' || c.is_ascii_digit())
}

/// The ISAs a kernel command can boot, 64-bit first: `kernel$` with
/// `$ISADIR` in its file name boots both (amd64 on a 64-bit CPU, i386
/// otherwise); a file name with an `amd64` directory boots amd64 only;
/// anything else is a 32-bit kernel.
pub fn kernel_arches(kernel: &Command) -> Vec<Arch> {
    let Some(file) = file_argument(kernel) else {
        return Vec::new();
    };
    if kernel.name() == "kernel$" && file.contains("$ISADIR") {
        vec![Arch::Amd64, Arch::I386]
    } else if split_device(file).1.split('/').any(|c| c == "amd64") {
        vec![Arch::Amd64]
    } else {
        vec![Arch::I386]
    }
}

impl Entry {
    /// The ISAs this entry can boot (see [`kernel_arches`]); empty for an
    /// entry without a kernel (e.g. a chainloader entry).
    pub fn arches(&self) -> Vec<Arch> {
        self.kernel().map(kernel_arches).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn entry(text: &str) -> Entry {
        parse(text).unwrap().entries().next().unwrap().clone()
    }

    #[test]
    fn expansion() {
        assert_eq!(expand("$ISADIR/$ISADIR", Arch::Amd64), "amd64/amd64");
        assert_eq!(
            expand("/p/$ISADIR/boot_archive", Arch::I386),
            "/p//boot_archive"
        );
        assert_eq!(expand("-B $ZFS-BOOTFS", Arch::Amd64), "-B $ZFS-BOOTFS");
    }

    #[test]
    fn arches_an_entry_can_select() {
        let both = entry("title a\nkernel$ /platform/i86pc/kernel/$ISADIR/unix\nmodule$ /platform/i86pc/boot_archive\n");
        assert_eq!(both.arches(), [Arch::Amd64, Arch::I386]);
        let amd64 = entry("title a\nkernel /platform/i86pc/kernel/amd64/unix -B x=y\n");
        assert_eq!(amd64.arches(), [Arch::Amd64]);
        let amd64 =
            entry("title a\nkernel$ --type=multiboot (cd)/platform/i86pc/kernel/amd64/unix\n");
        assert_eq!(amd64.arches(), [Arch::Amd64]);
        let i386 = entry("title a\nkernel /platform/i86pc/kernel/unix\n");
        assert_eq!(i386.arches(), [Arch::I386]);
        let literal = entry("title a\nkernel /platform/i86pc/kernel/$ISADIR/unix\n");
        assert_eq!(
            literal.arches(),
            [Arch::I386],
            "plain kernel does not expand"
        );
        let chain = entry("title a\nrootnoverify (hd0)\nchainloader +1\n");
        assert!(chain.arches().is_empty());
    }

    #[test]
    fn file_arguments() {
        let cmds = parse(
            "kernel --no-mem-option --type=multiboot /k -B a=b\nchainloader --force +1\nmodule$  /m  x\nroot (hd0)\nkernel\n",
        )
        .unwrap();
        let files: Vec<_> = cmds
            .globals()
            .filter_map(|l| l.as_command())
            .map(file_argument)
            .collect();
        assert_eq!(files, [Some("/k"), Some("+1"), Some("/m"), None, None]);
        assert_eq!(split_device("(cd)/boot/x"), (Some("cd"), "/boot/x"));
        assert_eq!(split_device("(hd0,0,a)/x"), (Some("hd0,0,a"), "/x"));
        assert_eq!(split_device("/x"), (None, "/x"));
        assert!(is_blocklist("+1") && is_blocklist("0+1") && !is_blocklist("/x"));
    }

    #[test]
    fn arch_names() {
        assert_eq!("64".parse::<Arch>().unwrap(), Arch::Amd64);
        assert_eq!("i386".parse::<Arch>().unwrap(), Arch::I386);
        assert!("arm64".parse::<Arch>().is_err());
        assert_eq!(Arch::I386.to_string(), "i386");
    }
}

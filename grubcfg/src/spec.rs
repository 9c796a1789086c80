//! Menus from a high-level description: what mvi writes.
//!
//! The stanzas follow mvi's own (ptribble/mvi mvix.sh, 2015–2022; see
//! ../shared/reference/illumos-boot.md §1.3): one entry per ISA loading the
//! kernel and the single boot archive `platform/i86pc/boot_archive`, console
//! variants as `-B console=ttya,input-device=ttya,output-device=ttya`, and an
//! optional "Boot from hard disk" entry. The globals are the gate reference
//! menu's `default`/`timeout` (illumos-gate usr/src/grub/menu.lst) and, for a
//! serial console, the `serial --unit=N --speed=9600` / `terminal serial`
//! pair that file documents for ttya.

use std::fmt;
use std::str::FromStr;

use crate::isa::Arch;
use crate::lex::GRUB_MAX_LINE;
use crate::model::{Command, Entry, Item, Menu, ModelError};

/// 64-bit or 32-bit kernel chosen by GRUB at boot (`kernel$`).
pub const KERNEL_ISADIR: &str = "/platform/i86pc/kernel/$ISADIR/unix";
/// The 64-bit kernel.
pub const KERNEL_AMD64: &str = "/platform/i86pc/kernel/amd64/unix";
/// The 32-bit kernel.
pub const KERNEL_I386: &str = "/platform/i86pc/kernel/unix";
/// mvi's one boot archive, for both ISAs (a gzip'd UFS image; GRUB's
/// `module` inflates it).
pub const BOOT_ARCHIVE: &str = "/platform/i86pc/boot_archive";
/// The title of the chainloader entry.
pub const HARD_DISK_TITLE: &str = "Boot from hard disk";

/// How 64-bit entries name their kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// illumos GRUB: `kernel$ /platform/i86pc/kernel/$ISADIR/unix` and
    /// `module$`, so the same entry also boots a 32-bit CPU.
    #[default]
    Illumos,
    /// Stock GRUB 0.97, which has no `kernel$`: explicit
    /// `kernel /platform/i86pc/kernel/amd64/unix` and `module`.
    Plain,
}

/// Where the kernel's console goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Console {
    /// The screen and keyboard (illumos's default; no property is passed).
    #[default]
    Text,
    /// The first serial port (COM1, GRUB unit 0).
    Ttya,
    /// The second serial port (COM2, GRUB unit 1).
    Ttyb,
}

impl Console {
    /// The illumos device name, `None` for the text console.
    pub fn device(self) -> Option<&'static str> {
        match self {
            Console::Text => None,
            Console::Ttya => Some("ttya"),
            Console::Ttyb => Some("ttyb"),
        }
    }

    /// GRUB's `serial --unit=` number for this port.
    pub fn serial_unit(self) -> Option<u32> {
        match self {
            Console::Text => None,
            Console::Ttya => Some(0),
            Console::Ttyb => Some(1),
        }
    }
}

/// A console or dialect name that is not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: expected one of {expected}")]
pub struct ParseNameError {
    what: &'static str,
    value: String,
    expected: &'static str,
}

impl FromStr for Console {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Console::Text),
            "ttya" => Ok(Console::Ttya),
            "ttyb" => Ok(Console::Ttyb),
            _ => Err(ParseNameError {
                what: "console",
                value: s.to_string(),
                expected: "text, ttya, ttyb",
            }),
        }
    }
}

impl FromStr for Dialect {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "illumos" => Ok(Dialect::Illumos),
            "plain" => Ok(Dialect::Plain),
            _ => Err(ParseNameError {
                what: "dialect",
                value: s.to_string(),
                expected: "illumos, plain",
            }),
        }
    }
}

impl fmt::Display for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.device().unwrap_or("text"))
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Illumos => "illumos",
            Dialect::Plain => "plain",
        })
    }
}

/// Why a [`MenuSpec`] cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// `arches` is empty.
    #[error("no architecture: give at least one of 64, 32")]
    NoArches,
    /// The same ISA twice.
    #[error("architecture {0} given twice")]
    DuplicateArch(Arch),
    /// A title GRUB would show differently (or not at all).
    #[error("bad title {title:?}: {reason}")]
    BadTitle {
        /// The title.
        title: String,
        /// Why.
        reason: String,
    },
    /// `default` names an entry the menu does not have.
    #[error(
        "default entry {default} does not exist: the menu has {entries} entries (numbered from 0)"
    )]
    DefaultOutOfRange {
        /// The requested default.
        default: u32,
        /// How many entries the spec produces.
        entries: usize,
    },
    /// GRUB reads numbers up to 2^31-1 (`safe_parse_maxint`).
    #[error("timeout {0} is larger than GRUB's maximum 2147483647")]
    TimeoutTooLarge(u32),
    /// A boot flag that cannot go on a kernel line.
    #[error("bad boot flag {flag:?}: {reason}")]
    BadBootFlag {
        /// The flag.
        flag: String,
        /// Why.
        reason: &'static str,
    },
    /// A malformed `-B` property list.
    #[error("bad boot property list {props:?}: {reason}")]
    BadBootProperties {
        /// The list after `-B`.
        props: String,
        /// Why.
        reason: &'static str,
    },
    /// A `-B` property the console setting also sets.
    #[error("boot property {name:?} conflicts with the {console} console setting (drop it or use the text console)")]
    ConflictingBootProperty {
        /// The property.
        name: String,
        /// The console.
        console: Console,
    },
    /// A rendered line longer than GRUB's 1500-character line buffer.
    #[error("the kernel line would be {0} characters long; GRUB keeps only 1500")]
    LineTooLong(usize),
}

/// A menu described by what it is for, rendered by [`MenuSpec::to_menu`].
///
/// ```
/// use grubcfg::{Arch, Console, MenuSpec};
/// let spec = MenuSpec { console: Console::Ttya, hard_disk_entry: true, ..MenuSpec::default() };
/// assert_eq!(spec.render().unwrap(), "\
/// default 0
/// timeout 10
/// serial --unit=0 --speed=9600
/// terminal serial
/// title minimal viable illumos
/// kernel$ /platform/i86pc/kernel/$ISADIR/unix -B console=ttya,input-device=ttya,output-device=ttya
/// module$ /platform/i86pc/boot_archive
/// title Boot from hard disk
/// rootnoverify (hd0)
/// chainloader +1
/// ");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuSpec {
    /// The entry title; with several ISAs each gets " (64-bit)" or " (32-bit)".
    pub title: String,
    /// One entry per ISA, in this order.
    pub arches: Vec<Arch>,
    /// How 64-bit entries name the kernel.
    pub dialect: Dialect,
    /// The kernel console; a serial one also moves GRUB's menu to that port.
    pub console: Console,
    /// Kernel boot arguments, each element one or more blank-separated
    /// words: flags such as `-k` (kmdb), `-v` (verbose), `-s` (single user),
    /// `-m milestone=none`, and `-B prop=val[,prop=val...]` property lists,
    /// which are merged with the console's properties into one `-B`.
    pub boot_flags: Vec<String>,
    /// Seconds before the default entry boots; `None` writes no `timeout`,
    /// and GRUB then waits forever.
    pub timeout: Option<u32>,
    /// The entry booted by default, 0-based.
    pub default: u32,
    /// Add a last entry that chainloads the first hard disk's boot sector.
    pub hard_disk_entry: bool,
}

impl Default for MenuSpec {
    /// mvi's main entry: "minimal viable illumos", 64-bit via `$ISADIR`,
    /// text console, 10 s timeout (the gate reference menu's), no hard-disk entry.
    fn default() -> Self {
        MenuSpec {
            title: "minimal viable illumos".to_string(),
            arches: vec![Arch::Amd64],
            dialect: Dialect::Illumos,
            console: Console::Text,
            boot_flags: Vec::new(),
            timeout: Some(10),
            default: 0,
            hard_disk_entry: false,
        }
    }
}

impl MenuSpec {
    /// How many entries the menu has.
    pub fn entry_count(&self) -> usize {
        self.arches.len() + usize::from(self.hard_disk_entry)
    }

    /// The title of the entry for `arch`.
    pub fn entry_title(&self, arch: Arch) -> String {
        if self.arches.len() > 1 {
            format!("{} ({}-bit)", self.title, arch.bits())
        } else {
            self.title.clone()
        }
    }

    /// The kernel and module commands (name, file) for `arch` in this dialect.
    pub fn stanza(&self, arch: Arch) -> [(&'static str, &'static str); 2] {
        match (arch, self.dialect) {
            (Arch::Amd64, Dialect::Illumos) => {
                [("kernel$", KERNEL_ISADIR), ("module$", BOOT_ARCHIVE)]
            }
            (Arch::Amd64, Dialect::Plain) => [("kernel", KERNEL_AMD64), ("module", BOOT_ARCHIVE)],
            (Arch::I386, _) => [("kernel", KERNEL_I386), ("module", BOOT_ARCHIVE)],
        }
    }

    /// The kernel arguments after the file name (empty, or starting with a
    /// space): the boot flags in order, then one `-B` with the console
    /// properties followed by those from `boot_flags`.
    pub fn kernel_arguments(&self) -> Result<String, SpecError> {
        let mut flags: Vec<&str> = Vec::new();
        let mut props: Vec<String> = Vec::new();
        if let Some(dev) = self.console.device() {
            props
                .extend(["console", "input-device", "output-device"].map(|p| format!("{p}={dev}")));
        }
        let mut words = self.boot_flags.iter().flat_map(|f| {
            let w: Vec<&str> = f.split_ascii_whitespace().collect();
            if w.is_empty() {
                vec![f.as_str()]
            } else {
                w
            }
        });
        while let Some(w) = words.next() {
            if w.trim().is_empty() {
                return Err(SpecError::BadBootFlag {
                    flag: w.to_string(),
                    reason: "empty",
                });
            }
            if w.contains(|c: char| c.is_control() || c == '\\' || c == '$') {
                return Err(SpecError::BadBootFlag {
                    flag: w.to_string(),
                    reason: "control characters, backslashes and `$` variables are not allowed",
                });
            }
            if let Some(rest) = w.strip_prefix("-B") {
                let list = if rest.is_empty() {
                    words.next().ok_or(SpecError::BadBootProperties {
                        props: String::new(),
                        reason: "-B needs a property list",
                    })?
                } else {
                    rest
                };
                if list.contains(|c: char| c == '\\' || c == '$' || c.is_control()) {
                    return Err(SpecError::BadBootFlag {
                        flag: list.to_string(),
                        reason: "control characters, backslashes and `$` variables are not allowed",
                    });
                }
                for p in split_properties(list)? {
                    let name = p.split('=').next().unwrap_or_default();
                    if self.console != Console::Text
                        && ["console", "input-device", "output-device"].contains(&name)
                    {
                        return Err(SpecError::ConflictingBootProperty {
                            name: name.to_string(),
                            console: self.console,
                        });
                    }
                    props.push(p.to_string());
                }
            } else {
                flags.push(w);
            }
        }
        let mut out = String::new();
        for f in flags {
            out.push(' ');
            out.push_str(f);
        }
        if !props.is_empty() {
            out.push_str(" -B ");
            out.push_str(&props.join(","));
        }
        Ok(out)
    }

    fn check(&self) -> Result<(), SpecError> {
        if self.arches.is_empty() {
            return Err(SpecError::NoArches);
        }
        for (i, a) in self.arches.iter().enumerate() {
            if self.arches[..i].contains(a) {
                return Err(SpecError::DuplicateArch(*a));
            }
        }
        let bad_title = |reason: &str| SpecError::BadTitle {
            title: self.title.clone(),
            reason: reason.to_string(),
        };
        if self.title.trim().is_empty() {
            return Err(bad_title("empty"));
        }
        if self.title.trim() != self.title {
            return Err(bad_title(
                "leading or trailing blanks (GRUB drops the leading ones)",
            ));
        }
        if self.title.starts_with('=') {
            return Err(bad_title("a leading '=' is skipped by GRUB as a separator"));
        }
        if self.default as usize >= self.entry_count() {
            return Err(SpecError::DefaultOutOfRange {
                default: self.default,
                entries: self.entry_count(),
            });
        }
        if let Some(t) = self.timeout {
            if t > 0x7fff_ffff {
                return Err(SpecError::TimeoutTooLarge(t));
            }
        }
        Ok(())
    }

    /// The menu, as a model (always passes [`Menu::validate`]).
    pub fn to_menu(&self) -> Result<Menu, SpecError> {
        self.check()?;
        let model = |e: ModelError| SpecError::BadTitle {
            title: self.title.clone(),
            reason: e.to_string(),
        };
        let cmd = |name: &str, args: String| Command::new(name, &args).expect("generated command");
        let mut menu = Menu::new();
        menu.push_line(cmd("default", self.default.to_string()));
        if let Some(t) = self.timeout {
            menu.push_line(cmd("timeout", t.to_string()));
        }
        if let Some(unit) = self.console.serial_unit() {
            menu.push_line(cmd("serial", format!("--unit={unit} --speed=9600")));
            menu.push_line(cmd("terminal", "serial".to_string()));
        }
        let args = self.kernel_arguments()?;
        for &arch in &self.arches {
            let mut e = Entry::new(&self.entry_title(arch)).map_err(model)?;
            let [(kname, kfile), (mname, mfile)] = self.stanza(arch);
            let kline = format!("{kfile}{args}");
            if kname.len() + 1 + kline.len() > GRUB_MAX_LINE {
                return Err(SpecError::LineTooLong(kname.len() + 1 + kline.len()));
            }
            e.push(cmd(kname, kline)).expect("not a title");
            e.push(cmd(mname, mfile.to_string())).expect("not a title");
            menu.items.push(Item::Entry(e));
        }
        if self.hard_disk_entry {
            let mut e = Entry::new(HARD_DISK_TITLE).expect("constant title");
            e.push(cmd("rootnoverify", "(hd0)".to_string()))
                .expect("not a title");
            e.push(cmd("chainloader", "+1".to_string()))
                .expect("not a title");
            menu.items.push(Item::Entry(e));
        }
        Ok(menu)
    }

    /// The menu as menu.lst text.
    pub fn render(&self) -> Result<String, SpecError> {
        Ok(self.to_menu()?.render())
    }
}

/// Splits a `-B` list at commas outside quotes, as the kernel's
/// `build_boot_properties()` (illumos-gate usr/src/uts/i86pc/os/fakebop.c)
/// reads it: a value may be quoted with `"` or `'` to hold commas, e.g.
/// `ttya-mode="115200,8,n,1,-"`; a bare name means `name=true`.
fn split_properties(list: &str) -> Result<Vec<&str>, SpecError> {
    let bad = |reason| SpecError::BadBootProperties {
        props: list.to_string(),
        reason,
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut quote = None;
    for (i, c) in list.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, ',') => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            (None, _) => {}
        }
    }
    if quote.is_some() {
        return Err(bad("unbalanced quote"));
    }
    out.push(&list[start..]);
    if out.iter().any(|p| p.is_empty() || p.starts_with('=')) {
        return Err(bad("empty property or property name"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    #[test]
    fn mvi_2016_menu_from_a_spec() {
        // The mvi stanzas (ptribble/mvi mvix.sh@5734bab), one spec each.
        let base = MenuSpec {
            timeout: None,
            ..MenuSpec::default()
        };
        let text = base.render().unwrap();
        assert_eq!(
            text,
            "default 0\ntitle minimal viable illumos\nkernel$ /platform/i86pc/kernel/$ISADIR/unix\nmodule$ /platform/i86pc/boot_archive\n"
        );
        let debug = MenuSpec {
            boot_flags: vec!["-kv -d".into()],
            ..base.clone()
        };
        assert!(debug
            .render()
            .unwrap()
            .contains("kernel$ /platform/i86pc/kernel/$ISADIR/unix -kv -d\n"));
    }

    #[test]
    fn arches_dialects_and_hard_disk() {
        let spec = MenuSpec {
            title: "mvi".into(),
            arches: vec![Arch::Amd64, Arch::I386],
            dialect: Dialect::Plain,
            hard_disk_entry: true,
            default: 2,
            timeout: Some(5),
            ..MenuSpec::default()
        };
        assert_eq!(
            spec.render().unwrap(),
            "default 2\ntimeout 5\n\
             title mvi (64-bit)\nkernel /platform/i86pc/kernel/amd64/unix\nmodule /platform/i86pc/boot_archive\n\
             title mvi (32-bit)\nkernel /platform/i86pc/kernel/unix\nmodule /platform/i86pc/boot_archive\n\
             title Boot from hard disk\nrootnoverify (hd0)\nchainloader +1\n"
        );
        let illumos32 = MenuSpec {
            arches: vec![Arch::I386],
            ..MenuSpec::default()
        };
        let text = illumos32.render().unwrap();
        assert!(text
            .contains("kernel /platform/i86pc/kernel/unix\nmodule /platform/i86pc/boot_archive\n"));
        assert!(
            !text.contains("$ISADIR"),
            "32-bit entries never use $ISADIR"
        );
    }

    #[test]
    fn console_properties_merge_with_boot_properties() {
        let spec = MenuSpec {
            console: Console::Ttyb,
            boot_flags: vec![
                "-k".into(),
                "-B".into(),
                "ttyb-mode=\"115200,8,n,1,-\",acpi-user-options=0x2".into(),
                "-v".into(),
                "-Blivessh=enable".into(),
            ],
            ..MenuSpec::default()
        };
        assert_eq!(
            spec.kernel_arguments().unwrap(),
            " -k -v -B console=ttyb,input-device=ttyb,output-device=ttyb,ttyb-mode=\"115200,8,n,1,-\",acpi-user-options=0x2,livessh=enable"
        );
        let text = spec.render().unwrap();
        assert!(text.contains("serial --unit=1 --speed=9600\nterminal serial\n"));
        let menu = parse(&text).unwrap();
        assert_eq!(menu, spec.to_menu().unwrap());
    }

    #[test]
    fn bad_specs() {
        let d = MenuSpec::default;
        let err = |s: MenuSpec| s.to_menu().unwrap_err();
        assert_eq!(
            err(MenuSpec {
                arches: vec![],
                ..d()
            }),
            SpecError::NoArches
        );
        assert_eq!(
            err(MenuSpec {
                arches: vec![Arch::I386, Arch::I386],
                ..d()
            }),
            SpecError::DuplicateArch(Arch::I386)
        );
        assert!(matches!(
            err(MenuSpec {
                title: " x".into(),
                ..d()
            }),
            SpecError::BadTitle { .. }
        ));
        assert!(matches!(
            err(MenuSpec {
                title: "=x".into(),
                ..d()
            }),
            SpecError::BadTitle { .. }
        ));
        assert!(matches!(
            err(MenuSpec {
                title: "a\nb".into(),
                ..d()
            }),
            SpecError::BadTitle { .. }
        ));
        assert!(matches!(
            err(MenuSpec {
                title: "a\\".into(),
                ..d()
            }),
            SpecError::BadTitle { .. }
        ));
        assert!(matches!(
            err(MenuSpec {
                title: String::new(),
                ..d()
            }),
            SpecError::BadTitle { .. }
        ));
        assert_eq!(
            err(MenuSpec { default: 1, ..d() }),
            SpecError::DefaultOutOfRange {
                default: 1,
                entries: 1
            }
        );
        assert_eq!(
            err(MenuSpec {
                timeout: Some(u32::MAX),
                ..d()
            }),
            SpecError::TimeoutTooLarge(u32::MAX)
        );
        let flags = |f: &[&str]| MenuSpec {
            console: Console::Ttya,
            boot_flags: f.iter().map(|s| s.to_string()).collect(),
            ..d()
        };
        assert!(matches!(
            err(flags(&["-B"])),
            SpecError::BadBootProperties { .. }
        ));
        assert!(matches!(
            err(flags(&["-B", "a=\"x"])),
            SpecError::BadBootProperties { .. }
        ));
        assert!(matches!(
            err(flags(&["-B", "a,,b"])),
            SpecError::BadBootProperties { .. }
        ));
        assert!(matches!(
            err(flags(&["-B", "console=ttyb"])),
            SpecError::ConflictingBootProperty { .. }
        ));
        assert!(matches!(
            err(flags(&["-k\\"])),
            SpecError::BadBootFlag { .. }
        ));
        assert!(matches!(
            err(flags(&["$ISADIR"])),
            SpecError::BadBootFlag { .. }
        ));
        assert!(matches!(err(flags(&[""])), SpecError::BadBootFlag { .. }));
        assert!(matches!(
            err(flags(&[&"x".repeat(1500)])),
            SpecError::LineTooLong(_)
        ));
        // With the text console the user may pick the console property.
        let ok = MenuSpec {
            boot_flags: vec!["-B console=ttya".into()],
            ..d()
        };
        assert!(ok.render().unwrap().contains("unix -B console=ttya\n"));
    }

    #[test]
    fn names() {
        assert_eq!("ttya".parse::<Console>().unwrap(), Console::Ttya);
        assert_eq!("plain".parse::<Dialect>().unwrap(), Dialect::Plain);
        assert!("serial".parse::<Console>().is_err());
        assert_eq!(Console::Text.to_string(), "text");
    }
}

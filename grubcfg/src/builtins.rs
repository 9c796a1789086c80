//! The command table of the illumos GRUB 0.97 fork.
//!
//! Transcribed from `builtin_table[]` and the `struct builtin` flags in
//! illumos-gate `usr/src/grub/grub-0.97/stage2/builtins.c` (the union of the
//! 2009 and 2013+ versions: `info` was later removed and `variable` added).
//! Only the two flags that decide where a command may appear matter here:
//!
//! * `BUILTIN_MENU`: `cmain()` (stage2.c) runs the command while reading the
//!   part of menu.lst before the first `title`; any other known command there
//!   is silently ignored.
//! * `BUILTIN_CMDLINE`: `run_script()` (cmdline.c) runs the command when an
//!   entry boots; a command without it (`default`, `timeout`, `fallback`,
//!   `hiddenmenu`) makes the entry fail with "Unrecognized command".
//!
//! Names are matched exactly and case-sensitively, as `find_command()` does.
//! Commands that exist only in the `grub` shell (`device`, `dump`, `quit`) or
//! only with `RPC_DEBUG` (`portmap`) are not in the table: stage2 does not know
//! them either.

/// One GRUB legacy command and where it may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Builtin {
    /// The command name as written in menu.lst, e.g. `kernel$`.
    pub name: &'static str,
    /// `BUILTIN_MENU`: takes effect in the global section (before the first `title`).
    pub menu: bool,
    /// `BUILTIN_CMDLINE`: may be used inside an entry.
    pub cmdline: bool,
    /// `BUILTIN_TITLE`: starts a new entry (only `title`).
    pub title: bool,
    /// Only present in some builds (`pxegrub` network commands), if any.
    pub only_in: Option<&'static str>,
}

const fn b(name: &'static str, menu: bool, cmdline: bool) -> Builtin {
    Builtin {
        name,
        menu,
        cmdline,
        title: false,
        only_in: None,
    }
}

const fn net(name: &'static str) -> Builtin {
    Builtin {
        name,
        menu: true,
        cmdline: true,
        title: false,
        only_in: Some("pxegrub (SUPPORT_NETBOOT)"),
    }
}

/// Every command the illumos stage2 knows, sorted as in `builtin_table[]`.
pub const BUILTINS: &[Builtin] = &[
    b("background", true, true),
    b("blocklist", false, true),
    b("boot", false, true),
    b("bootfs", false, true),
    net("bootp"),
    b("cat", false, true),
    b("chainloader", false, true),
    b("clear", false, true),
    b("cmp", false, true),
    b("color", true, true),
    b("configfile", false, true),
    b("debug", false, true),
    b("default", true, false),
    net("dhcp"),
    b("displayapm", false, true),
    b("displaymem", false, true),
    b("embed", false, true),
    b("fallback", true, false),
    b("find", false, true),
    b("findroot", false, true),
    b("foreground", true, true),
    b("fstest", false, true),
    b("geometry", false, true),
    b("halt", false, true),
    b("help", false, true),
    b("hiddenmenu", true, false),
    b("hide", true, true),
    net("ifconfig"),
    b("impsprobe", false, true),
    b("info", false, true),
    b("initrd", false, true),
    b("install", false, true),
    b("ioprobe", false, true),
    b("kernel", false, true),
    b("kernel$", false, true),
    b("lock", false, true),
    b("makeactive", false, true),
    b("map", false, true),
    b("md5crypt", false, true),
    b("min_mem64", true, true),
    b("module", false, true),
    b("module$", false, true),
    b("modulenounzip", false, true),
    b("pager", true, true),
    b("partnew", true, true),
    b("parttype", true, true),
    b("password", true, true),
    b("pause", false, true),
    net("rarp"),
    b("read", false, true),
    b("reboot", false, true),
    b("root", false, true),
    b("rootnoverify", false, true),
    b("savedefault", false, true),
    b("serial", true, true),
    b("setkey", true, true),
    b("setup", false, true),
    b("splashimage", true, true),
    b("terminal", true, true),
    b("terminfo", true, true),
    b("testload", false, true),
    b("testvbe", false, true),
    net("tftpserver"),
    b("timeout", true, false),
    Builtin {
        name: "title",
        menu: false,
        cmdline: false,
        title: true,
        only_in: None,
    },
    b("unhide", true, true),
    b("uppermem", false, true),
    b("variable", true, true),
    b("vbeprobe", false, true),
    b("verbose", true, true),
];

/// Looks a command up by its exact (cooked) name, as `find_command()` does.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.name.as_bytes().cmp(name.as_bytes()))
        .ok()
        .map(|i| &BUILTINS[i])
}

/// A known command whose name differs from `name` only in letter case, for
/// "did you mean" hints (GRUB itself is case-sensitive).
pub fn case_insensitive_match(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_like_builtin_table() {
        // find_command() stops at the first name that sorts after the one it
        // looks for, so GRUB's table must be in strcmp order; so must ours.
        for w in BUILTINS.windows(2) {
            assert!(
                w[0].name.as_bytes() < w[1].name.as_bytes(),
                "{} !< {}",
                w[0].name,
                w[1].name
            );
        }
    }

    #[test]
    fn lookups() {
        assert!(builtin("kernel$").unwrap().cmdline);
        assert!(builtin("timeout").unwrap().menu && !builtin("timeout").unwrap().cmdline);
        assert!(builtin("title").unwrap().title);
        assert!(builtin("Kernel").is_none());
        assert_eq!(case_insensitive_match("Kernel").unwrap().name, "kernel");
        assert!(builtin("gfxmenu").is_none());
        assert!(builtin("").is_none());
    }
}

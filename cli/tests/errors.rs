//! The bad-input catalogue: every rejected input in `docs/ERRORS.md`, one
//! table row per documented case (same id), run against the built `mvi`.
//!
//! For each row the test asserts the exit code; the form of the report (one
//! `mvi: error:` line, or clap's usage block, or `check`/lint findings); the
//! key facts on it (`want`); the message as `docs/ERRORS.md` prints it (its
//! literal pieces between `…` placeholders, in order); that nothing is
//! printed on stdout for an error; that the output directory holds exactly
//! what was planted there before the run, byte for byte (no new output, no
//! temporary file, an existing output intact); that the run's working
//! directory gained nothing; and that no input changed.
//!
//! Every case runs in its own directory `cases/ID/` holding `in` and
//! `heavy` (symlinks to the shared inputs) and an empty `out/`, so messages
//! name short relative paths (`in/src`, `out/x.img`) that the document can
//! quote exactly. `{c*N}` in an argument stands for N copies of `c`.
//!
//! `doc_and_table_agree` parses `docs/ERRORS.md`: every id there has a row
//! here and every row is documented, with the same command line and exit
//! code.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MVI: &str = env!("CARGO_BIN_EXE_mvi");

/// How a rejected input is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// `mvi: error: MESSAGE`: exactly one line on stderr, nothing on stdout.
    Line,
    /// clap's usage error: `error: MESSAGE` on the first line of stderr,
    /// then clap's tip/usage block and `For more information, try
    /// '--help'.`; nothing on stdout.
    Clap,
    /// No subcommand: clap prints the help text on stderr.
    Help,
    /// `mvi check` found problems (exit 1): one `IMG: PROBLEM` line per
    /// problem on stdout, one `IMG: N problem(s)` line on stderr.
    Check,
    /// `mvi menu` lint error (exit 1): one `MENU: line N: error: ...` line
    /// per finding on stderr, the summary on stdout, no file written.
    Lint,
}

struct Case {
    id: &'static str,
    args: Vec<&'static str>,
    env: Vec<(&'static str, &'static str)>,
    code: i32,
    form: Form,
    /// Key facts (path, limit, line:column...) the report must contain.
    want: Vec<&'static str>,
    /// Entries planted in `out/` before the run (`name/` is a directory);
    /// each must be there, unchanged, afterwards.
    old: Vec<&'static str>,
    /// Run as uid/gid 65534 (when the test runs as root), so permission
    /// bits apply.
    nobody: bool,
}

fn case(id: &'static str, code: i32, form: Form, args: &str, want: &[&'static str]) -> Case {
    // Arguments are split on single spaces; an argument holding a space
    // is written with `␠` (U+2420) in the table.
    let args: Vec<&'static str> = Box::leak(args.to_string().into_boxed_str())
        .split(' ')
        .collect();
    Case {
        id,
        args,
        env: Vec::new(),
        code,
        form,
        want: want.to_vec(),
        old: Vec::new(),
        nobody: false,
    }
}

/// A case reported as one `mvi: error:` line with exit 2.
fn e2(id: &'static str, args: &str, want: &[&'static str]) -> Case {
    case(id, 2, Form::Line, args, want)
}

/// A clap usage error (exit 2).
fn clap(id: &'static str, args: &str, want: &[&'static str]) -> Case {
    case(id, 2, Form::Clap, args, want)
}

impl Case {
    fn old(mut self, names: &[&'static str]) -> Case {
        self.old = names.to_vec();
        self
    }
    fn env(mut self, k: &'static str, v: &'static str) -> Case {
        self.env.push((k, v));
        self
    }
    fn nobody(mut self) -> Case {
        self.nobody = true;
        self
    }
    /// The arguments as run: `␠` is a space, `{c*N}` is N copies of `c`.
    fn argv(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| expand(&a.replace('␠', " ")))
            .collect()
    }
    /// The command line as `docs/ERRORS.md` shows it.
    fn shown(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.env {
            s.push_str(&format!("{k}={} ", quote(v)));
        }
        s.push_str("mvi");
        if self.args != [""] {
            for a in &self.args {
                s.push(' ');
                s.push_str(&quote(&a.replace('␠', " ")));
            }
        }
        s
    }
}

fn expand(a: &str) -> String {
    let (Some(open), Some(close)) = (a.find('{'), a.rfind('}')) else {
        return a.to_string();
    };
    let inner = &a[open + 1..close];
    let mut it = inner.splitn(2, '*');
    match (it.next(), it.next().and_then(|n| n.parse::<usize>().ok())) {
        (Some(c), Some(n)) if c.chars().count() == 1 => {
            format!("{}{}{}", &a[..open], c.repeat(n), &a[close + 1..])
        }
        _ => a.to_string(),
    }
}

fn quote(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./,=:+@%-{}*".contains(c));
    if plain {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// The table: one row per case of `docs/ERRORS.md`.
fn cases() -> Vec<Case> {
    use Form::*;
    vec![
        // ---- every subcommand ----
        case("E-CLI-01", 2, Help, "", &["Usage: mvi [OPTIONS] <COMMAND>"]),
        clap("E-CLI-02", "frob", &["unrecognized subcommand 'frob'"]),
        clap(
            "E-CLI-03",
            "ufs in/src -o out/x.img --bogus",
            &["unexpected argument '--bogus'"],
        ),
        clap(
            "E-CLI-04",
            "ufs in/src",
            &["required arguments were not provided", "--output"],
        ),
        clap(
            "E-CLI-05",
            "--source-date-epoch abc ufs in/src -o out/x.img",
            &["invalid value 'abc' for '--source-date-epoch <T>'"],
        ),
        e2(
            "E-CLI-06",
            "ufs in/src -o out/x.img",
            &["SOURCE_DATE_EPOCH=\"abc\"", "whole number of seconds"],
        )
        .env("SOURCE_DATE_EPOCH", "abc"),
        // ---- mvi ufs ----
        e2(
            "E-UFS-01",
            "ufs in/nope -o out/x.img",
            &["in/nope", "No such file or directory"],
        )
        .old(&["x.img"]),
        e2(
            "E-UFS-02",
            "ufs in/file.txt -o out/x.img",
            &["in/file.txt: not a directory"],
        ),
        e2(
            "E-UFS-03",
            "ufs in/src -o out/x.img --size 12Q",
            &["size \"12Q\"", "unknown suffix \"Q\""],
        )
        .old(&["x.img"]),
        e2(
            "E-UFS-04",
            "ufs in/src -o out/x.img --size abc",
            &["size \"abc\" is not a number"],
        ),
        e2(
            "E-UFS-05",
            "ufs in/src -o out/x.img --size 99999999999T",
            &["size \"99999999999T\" is too large"],
        ),
        e2(
            "E-UFS-06",
            "ufs in/src -o out/x.img --size 100K",
            &["size = 102400", "from 1048576 to 1099511627776"],
        ),
        e2(
            "E-UFS-07",
            "ufs in/src -o out/x.img --size 1048577",
            &["size = 1048577", "a multiple of 512 bytes"],
        ),
        e2(
            "E-UFS-08",
            "ufs in/big3m -o out/x.img --size 2M",
            &["image size 2097152 bytes is too small", "needs at least"],
        )
        .old(&["x.img"]),
        e2(
            "E-UFS-09",
            "ufs in/src -o out/x.img --size 1M --metadata in/m/fifos.txt",
            &["needs 12012 inodes", "holds at most 7744"],
        ),
        e2(
            "E-UFS-10",
            "ufs in/src -o out/x.img --nbpi 100",
            &["nbpi = 100", "1024 to 16777216"],
        ),
        clap(
            "E-UFS-11",
            "ufs in/src -o out/x.img --slack 2000",
            &["'2000' for '--slack <SLACK>'", "0..=1000"],
        ),
        e2(
            "E-UFS-12",
            "--source-date-epoch 3000000000 ufs in/src -o out/x.img",
            &["source-date-epoch = 3000000000", "0 to 2147483647"],
        ),
        e2(
            "E-UFS-13",
            "ufs in/src -o out/x.img --metadata in/m/longname.txt",
            &["name is 256 bytes, UFS allows at most 255"],
        ),
        e2(
            "E-UFS-14",
            "ufs in/longlink -o out/x.img",
            &["/l: symlink target is 1024 bytes, UFS allows at most 1023"],
        ),
        e2(
            "E-UFS-15",
            "ufs heavy/huge -o out/x.img",
            &["/h: file is 1099511627776 bytes, UFS allows at most 1099511627775"],
        )
        .old(&["x.img"]),
        e2(
            "E-UFS-16",
            "ufs heavy/links -o out/x.img",
            &["/f: 32768 links, UFS allows at most 32767"],
        ),
        e2(
            "E-UFS-17",
            "ufs in/src -o out/x.img --metadata in/m/dev.txt",
            &[
                "/dev/null: device 0,300 does not fit UFS",
                "major at most 16383",
            ],
        ),
        e2(
            "E-UFS-18",
            "ufs in/unreadable -o out/x.img",
            &["in/unreadable/secret", "Permission denied"],
        )
        .nobody(),
        e2(
            "E-UFS-19",
            "ufs in/src -o out/nodir/x.img",
            &["out/nodir: output directory does not exist"],
        ),
        e2(
            "E-UFS-20",
            "ufs in/src -o out/d",
            &["out/d: is a directory"],
        )
        .old(&["d/"]),
        e2(
            "E-UFS-21",
            "ufs in/src -o out/x.img --metadata in/m/nope.txt",
            &["in/m/nope.txt", "No such file or directory"],
        ),
        e2(
            "E-UFS-22",
            "ufs in/src -o out/x.img --metadata in/m/fields.txt",
            &[
                "in/m/fields.txt:1:",
                "expected 5 fields for TYPE f, found 6",
            ],
        ),
        e2(
            "E-UFS-23",
            "ufs in/src -o out/x.img --metadata in/m/octal.txt",
            &["in/m/octal.txt:2:", "MODE \"0855\" is not an octal number"],
        ),
        e2(
            "E-UFS-24",
            "ufs in/src -o out/x.img --metadata in/m/mode.txt",
            &["in/m/mode.txt:1:", "MODE 17777 is above the limit 7777"],
        ),
        e2(
            "E-UFS-25",
            "ufs in/src -o out/x.img --metadata in/m/type.txt",
            &["in/m/type.txt:1:", "unknown TYPE \"x\""],
        ),
        e2(
            "E-UFS-26",
            "ufs in/src -o out/x.img --metadata in/m/mismatch.txt",
            &["in/m/mismatch.txt:1:", "/etc/motd: the tree has type f"],
        ),
        e2(
            "E-UFS-27",
            "ufs in/src -o out/x.img --metadata in/m/nopath.txt",
            &[
                "in/m/nopath.txt:1:",
                "/etc/new: no such path in the source tree",
            ],
        ),
        e2(
            "E-UFS-28",
            "ufs in/src -o out/x.img --metadata in/m/noparent.txt",
            &[
                "in/m/noparent.txt:1:",
                "/no/dir/x: parent directory is missing",
            ],
        ),
        e2(
            "E-UFS-29",
            "ufs in/src -o out/x.img --metadata in/m/fileparent.txt",
            &[
                "in/m/fileparent.txt:1:",
                "parent /etc/motd is not a directory (the tree has type f)",
            ],
        ),
        e2(
            "E-UFS-30",
            "ufs in/src -o out/x.img --metadata in/m/nodev.txt",
            &["in/m/nodev.txt:1:", "device lines need MAJOR and MINOR"],
        ),
        e2(
            "E-UFS-31",
            "ufs in/src -o out/x.img --metadata in/m/uid.txt",
            &[
                "in/m/uid.txt:1:",
                "UID 99999999999 is above the limit 4294967295",
            ],
        ),
        e2(
            "E-UFS-32",
            "ufs in/src -o out/x.img --metadata in/m/dotdot.txt",
            &["in/m/dotdot.txt:1:", "invalid path component \"..\""],
        ),
        e2(
            "E-UFS-33",
            "ufs in/src -o out/x.img --metadata in/m/escape.txt",
            &["in/m/escape.txt:1:", "escape above \\377"],
        ),
        // ---- mvi iso ----
        e2(
            "E-ISO-01",
            "iso in/nope -o out/x.iso",
            &["in/nope", "No such file or directory"],
        )
        .old(&["x.iso"]),
        e2(
            "E-ISO-02",
            "iso in/file.txt -o out/x.iso",
            &["in/file.txt: not a directory"],
        ),
        e2(
            "E-ISO-03",
            "iso in/src -o out/x.iso --boot boot/nope",
            &["boot image /boot/nope: not found in in/src"],
        ),
        e2(
            "E-ISO-04",
            "iso in/src -o out/x.iso --boot boot/grub/dir",
            &["boot image /boot/grub/dir: not a regular file"],
        ),
        e2(
            "E-ISO-05",
            "iso in/src -o out/x.iso --boot boot/grub/small",
            &["boot image /boot/grub/small: 10 bytes", "at least 64"],
        )
        .old(&["x.iso"]),
        e2(
            "E-ISO-06",
            "iso in/src -o out/x.iso --boot boot/grub/empty",
            &["boot image /boot/grub/empty: 0 bytes", "at least 64"],
        ),
        e2(
            "E-ISO-07",
            "iso heavy/big5g -o out/x.iso --boot f",
            &["boot image /f: 5368709120 bytes, at most 4294967295"],
        ),
        e2(
            "E-ISO-08",
            "iso in/src -o out/x.iso --boot boot/grub/boot.img --catalog /",
            &["boot catalog /: empty path"],
        ),
        e2(
            "E-ISO-09",
            "iso in/src -o out/x.iso --boot boot/grub/boot.img --catalog nodir/boot.cat",
            &["boot catalog /nodir/boot.cat: its directory is not in the tree"],
        ),
        e2(
            "E-ISO-10",
            "iso in/src -o out/x.iso --boot boot/grub/boot.img --catalog etc/motd",
            &["boot catalog /etc/motd: a file of that name is already in the tree"],
        ),
        e2(
            "E-ISO-11",
            "iso in/src -o out/x.iso --volume-id {v*33}",
            &["at most 32 printable ASCII characters"],
        ),
        e2(
            "E-ISO-12",
            "iso in/src -o out/x.iso --volume-id caf\u{e9}",
            &["volume id \"caf\u{e9}\"", "printable ASCII"],
        ),
        clap(
            "E-ISO-13",
            "iso in/src -o out/x.iso --level 1",
            &["'1' for '--level <LEVEL>'", "2..=3"],
        ),
        clap(
            "E-ISO-14",
            "iso in/src -o out/x.iso --names odd",
            &["invalid value 'odd' for '--names <NAMES>'"],
        ),
        clap(
            "E-ISO-15",
            "iso in/src -o out/x.iso --boot boot/grub/boot.img --no-boot",
            &["'--boot <REL>' cannot be used with '--no-boot'"],
        ),
        e2(
            "E-ISO-16",
            "iso heavy/big5g -o out/x.iso --level 2",
            &["/f: file is 5368709120 bytes; ISO level 2 allows at most 4294967295"],
        )
        .old(&["x.iso"]),
        e2(
            "E-ISO-17",
            "iso in/deep -o out/x.iso",
            &["/rr_moved", "reserved for Rock Ridge relocation"],
        ),
        e2(
            "E-ISO-18",
            "iso in/rrlong -o out/x.iso",
            &[
                "/l: Rock Ridge data of 3105 bytes",
                "2048-byte continuation area",
            ],
        ),
        e2(
            "E-ISO-19",
            "iso in/src -o out/nodir/x.iso",
            &["out/nodir: output directory does not exist"],
        ),
        e2(
            "E-ISO-20",
            "iso in/src -o out/d",
            &["out/d: is a directory"],
        )
        .old(&["d/"]),
        e2(
            "E-ISO-21",
            "iso in/src -o out/x.iso --metadata in/m/type.txt",
            &["in/m/type.txt:1:", "unknown TYPE \"x\""],
        ),
        // ---- mvi archive ----
        e2(
            "E-ARC-01",
            "archive in/nope -o out/boot_archive",
            &["in/nope: cannot open", "No such file or directory"],
        )
        .old(&["boot_archive"]),
        e2(
            "E-ARC-02",
            "archive in/src -o out/boot_archive",
            &["in/src: is a directory, not an image"],
        ),
        e2(
            "E-ARC-03",
            "archive in/file.txt -o out/boot_archive --level 0",
            &["compression level 0 is out of range (1 to 9)"],
        ),
        e2(
            "E-ARC-04",
            "archive in/file.txt -o out/boot_archive --level 10",
            &["compression level 10 is out of range (1 to 9)"],
        ),
        e2(
            "E-ARC-05",
            "archive in/file.txt -o out/boot_archive --threads 0",
            &["thread count 0 is out of range (1 to 1024)"],
        ),
        e2(
            "E-ARC-06",
            "archive in/file.txt -o out/boot_archive --threads 2000",
            &["thread count 2000 is out of range (1 to 1024)"],
        ),
        clap(
            "E-ARC-07",
            "archive in/file.txt -o out/boot_archive --threads x",
            &["invalid value 'x' for '--threads <N>'"],
        ),
        e2(
            "E-ARC-08",
            "archive /proc/self/mem -o out/boot_archive --hash",
            &["/proc/self/mem: cannot read", "Input/output error"],
        )
        .old(&["boot_archive", "boot_archive.hash"]),
        e2(
            "E-ARC-09",
            "archive in/file.txt -o out/nodir/boot_archive",
            &["out/nodir: output directory does not exist"],
        ),
        e2(
            "E-ARC-10",
            "archive in/file.txt -o out/d",
            &["out/d: is a directory"],
        )
        .old(&["d/"]),
        e2(
            "E-ARC-11",
            "archive in/file.txt -o out/boot_archive --hash",
            &["out/boot_archive.hash: is a directory"],
        )
        .old(&["boot_archive", "boot_archive.hash/"]),
        e2(
            "E-ARC-12",
            "archive in/self.img -o in/self.img",
            &["in/self.img: is the input image in/self.img"],
        ),
        // ---- mvi menu ----
        e2(
            "E-MENU-01",
            "menu -o out/menu.lst --arch 64,sparc",
            &["unknown architecture \"sparc\"", "64 (amd64) or 32 (i386)"],
        )
        .old(&["menu.lst"]),
        e2(
            "E-MENU-02",
            "menu -o out/menu.lst --arch 64,64",
            &["architecture amd64 given twice"],
        ),
        e2(
            "E-MENU-03",
            "menu -o out/menu.lst --console serial",
            &["unknown console \"serial\"", "text, ttya, ttyb"],
        ),
        e2(
            "E-MENU-04",
            "menu -o out/menu.lst --dialect grub2",
            &["unknown dialect \"grub2\"", "illumos, plain"],
        ),
        e2(
            "E-MENU-05",
            "menu -o out/menu.lst --default 1",
            &["default entry 1 does not exist", "1 entries"],
        ),
        e2(
            "E-MENU-06",
            "menu -o out/menu.lst --title ␠x",
            &["bad title \" x\"", "leading or trailing blanks"],
        ),
        e2(
            "E-MENU-07",
            "menu -o out/menu.lst --boot-args -B",
            &["-B needs a property list"],
        ),
        e2(
            "E-MENU-08",
            "menu -o out/menu.lst --boot-args -B␠a=1,,b",
            &["bad boot property list \"a=1,,b\"", "empty property"],
        ),
        e2(
            "E-MENU-09",
            "menu -o out/menu.lst --console ttya --boot-args -B␠console=ttyb",
            &["boot property \"console\" conflicts with the ttya console"],
        ),
        e2(
            "E-MENU-10",
            "menu -o out/menu.lst --boot-args -{k*1600}",
            &["kernel line would be 1645 characters long", "only 1500"],
        ),
        e2(
            "E-MENU-11",
            "menu -o out/menu.lst --timeout 3000000000",
            &["timeout 3000000000", "maximum 2147483647"],
        ),
        clap(
            "E-MENU-12",
            "menu -o out/menu.lst --timeout 99999999999",
            &["'99999999999' for '--timeout <S>'"],
        ),
        clap(
            "E-MENU-13",
            "menu",
            &["required arguments were not provided", "--output"],
        ),
        clap(
            "E-MENU-14",
            "menu -o out/menu.lst --lint in/menus/ok.lst",
            &["'--output <OUTPUT>' cannot be used with '--lint <FILE>'"],
        ),
        e2(
            "E-MENU-15",
            "menu -o out/menu.lst --check in/nope",
            &["in/nope: cannot open", "No such file or directory"],
        ),
        e2(
            "E-MENU-16",
            "menu -o out/menu.lst --check in/file.txt",
            &["in/file.txt: not a directory"],
        ),
        e2(
            "E-MENU-17",
            "menu --lint in/menus/nope.lst",
            &[
                "in/menus/nope.lst: cannot read",
                "No such file or directory",
            ],
        ),
        e2(
            "E-MENU-18",
            "menu --lint in/menus/control.lst",
            &[
                "in/menus/control.lst: line 3, column 12",
                "control character U+0001",
            ],
        ),
        e2(
            "E-MENU-19",
            "menu --lint in/menus/timeout.lst",
            &[
                "in/menus/timeout.lst: line 2, column 9",
                "`timeout` expects",
            ],
        ),
        e2(
            "E-MENU-20",
            "menu --lint in/menus/utf8.lst",
            &["in/menus/utf8.lst: line 1, column 10: invalid UTF-8"],
        ),
        e2(
            "E-MENU-21",
            "menu --lint in/menus/long.lst",
            &[
                "in/menus/long.lst: line 2, column 1501",
                "only the first 1500",
            ],
        ),
        e2(
            "E-MENU-22",
            "menu -o out/nodir/menu.lst",
            &["out/nodir: output directory does not exist"],
        ),
        e2("E-MENU-23", "menu -o out/d", &["out/d: is a directory"]).old(&["d/"]),
        case(
            "E-MENU-24",
            1,
            Lint,
            "menu -o out/menu.lst --check in/emptytree",
            &["line 4: error", "/platform/i86pc/kernel/amd64/unix"],
        )
        .old(&["menu.lst"]),
        case(
            "E-MENU-25",
            1,
            Lint,
            "menu --lint in/menus/ok.lst --check in/emptytree",
            &[
                "in/menus/ok.lst: line 3: error",
                "/platform/i86pc/kernel/unix",
            ],
        ),
        // ---- mvi build ----
        e2(
            "E-BUILD-01",
            "build in/nope -o out/x.iso",
            &["in/nope: cannot read the proto area", "No such file"],
        )
        .old(&["x.iso"]),
        e2(
            "E-BUILD-02",
            "build in/file.txt -o out/x.iso",
            &["in/file.txt: the proto area is not a directory"],
        ),
        e2(
            "E-BUILD-03",
            "build in/src -o out/x.iso",
            &[
                "in/src: not an illumos proto area",
                "platform/i86pc/kernel/unix",
                "platform/i86pc/kernel/amd64/unix",
            ],
        ),
        e2(
            "E-BUILD-04",
            "build -o out/x.iso",
            &["mvi build needs a PROTO directory"],
        ),
        clap(
            "E-BUILD-05",
            "build in/proto",
            &["required arguments were not provided", "--output"],
        ),
        e2(
            "E-BUILD-06",
            "build in/proto -o out/x.iso --option 32bit,turbo",
            &[
                "unknown option \"turbo\"",
                "32bit, 64bit, extreme, nonet, nodisk, live",
            ],
        ),
        e2(
            "E-BUILD-07",
            "build in/proto -o out/x.iso --boot-image in/nope",
            &["in/nope: boot image not found"],
        ),
        e2(
            "E-BUILD-08",
            "build in/proto -o out/x.iso --boot-image in/src",
            &["in/src: boot image is a directory"],
        ),
        e2(
            "E-BUILD-09",
            "build in/proto -o out/x.iso --boot-image heavy/big5g/f",
            &["heavy/big5g/f: boot image is 5368709120 bytes, at most 4294967295"],
        ),
        e2(
            "E-BUILD-10",
            "build in/proto -o out/x.iso --root-size 12Q",
            &["size \"12Q\"", "unknown suffix"],
        ),
        e2(
            "E-BUILD-11",
            "build in/proto -o out/x.iso --root-size 1M",
            &["image size 1048576 bytes is too small", "needs at least"],
        )
        .old(&["x.iso"]),
        e2(
            "E-BUILD-12",
            "build in/proto -o out/x.iso --nbpi 10",
            &["nbpi = 10", "1024 to 16777216"],
        ),
        e2(
            "E-BUILD-13",
            "build in/proto -o out/x.iso --console serial",
            &["unknown console \"serial\""],
        ),
        e2(
            "E-BUILD-14",
            "build in/proto -o out/x.iso --dialect grub2",
            &["unknown dialect \"grub2\""],
        ),
        e2(
            "E-BUILD-15",
            "build in/proto -o out/x.iso --title ␠x",
            &["bad title \" x\""],
        ),
        e2(
            "E-BUILD-16",
            "build in/proto -o out/x.iso --timeout 3000000000",
            &["timeout 3000000000", "maximum 2147483647"],
        ),
        e2(
            "E-BUILD-17",
            "build in/proto -o out/x.iso --rules in/r/nope.rules",
            &["in/r/nope.rules", "No such file or directory"],
        ),
        e2(
            "E-BUILD-18",
            "build in/proto -o out/x.iso --rules in/r/brace.rules",
            &["in/r/brace.rules:2:8", "unclosed `{`"],
        ),
        e2(
            "E-BUILD-19",
            "build in/proto -o out/x.iso --rules in/r/directive.rules",
            &[
                "in/r/directive.rules:1:1",
                "unknown directive \"frobnicate\"",
            ],
        ),
        e2(
            "E-BUILD-20",
            "build in/proto -o out/x.iso --rules in/r/quote.rules",
            &["in/r/quote.rules:1:27", "unterminated quoted string"],
        ),
        e2(
            "E-BUILD-21",
            "build in/proto -o out/x.iso --rules in/r/mode.rules",
            &["in/r/mode.rules:1:19", "mode \"8888\"", "0 to 7777"],
        ),
        e2(
            "E-BUILD-22",
            "build in/proto -o out/x.iso --rules in/r/dirfile.rules",
            &[
                "in/r/dirfile.rules:1:",
                "/etc/motd exists and is not a directory",
            ],
        ),
        e2(
            "E-BUILD-23",
            "build in/proto -o out/x.iso --rules in/r/filedir.rules",
            &["in/r/filedir.rules:1:", "/etc is a directory"],
        ),
        e2(
            "E-BUILD-24",
            "build in/proto -o out/x.iso --rules in/r/editdir.rules",
            &["in/r/editdir.rules:1:", "/etc is not a regular file"],
        ),
        e2(
            "E-BUILD-25",
            "build in/tinyproto -o out/x.iso --rules in/r/editbig.rules",
            &[
                "in/r/editbig.rules:1:",
                "/etc/big is 17825792 bytes",
                "at most 16777216",
            ],
        ),
        e2(
            "E-BUILD-26",
            "build in/proto -o out/x.iso --rules in/r/driver.rules",
            &[
                "in/r/driver.rules:1:",
                "no major number for driver \"nosuchdrv\"",
            ],
        ),
        e2(
            "E-BUILD-27",
            "build in/proto -o out/x.iso --rules in/r/from.rules",
            &[
                "in/r/from.rules:1:",
                "in/r/nothere",
                "No such file or directory",
            ],
        ),
        e2(
            "E-BUILD-28",
            "build in/proto -o out/x.iso --rules in/r/deps.rules",
            &[
                "the rules removed 6 kernel module dependencies",
                "--allow-broken-deps",
                "kernel/misc/gld (i386): needs misc/mac",
            ],
        )
        .old(&["x.iso"]),
        e2(
            "E-BUILD-29",
            "build in/tinyproto -o out/x.iso --rules in/r/kernels.rules",
            &["the rules removed both kernels"],
        ),
        e2(
            "E-BUILD-30",
            "build in/proto -o out/x.iso --metadata in/m/type.txt",
            &["in/m/type.txt:1:", "unknown TYPE \"x\""],
        ),
        e2(
            "E-BUILD-31",
            "build in/proto -o out/nodir/x.iso",
            &["out/nodir: output directory does not exist"],
        ),
        e2(
            "E-BUILD-32",
            "build in/proto -o out/d",
            &["out/d: is a directory"],
        )
        .old(&["d/"]),
        e2(
            "E-BUILD-33",
            "build in/proto -o out/x.iso --report out/nodir/r.json",
            &["--report: out/nodir: output directory does not exist"],
        ),
        e2(
            "E-BUILD-34",
            "build in/proto -o out/x.iso --report out/d",
            &["--report: out/d: is a directory"],
        )
        .old(&["d/"]),
        e2(
            "E-BUILD-35",
            "build in/proto -o out/x.iso --keep out/k",
            &["out/k: --keep wants a directory"],
        )
        .old(&["k"]),
        e2(
            "E-BUILD-36",
            "build in/proto -o out/x.iso --report out/x.iso",
            &["out/x.iso: -o and --report name the same file"],
        ),
        e2(
            "E-BUILD-37",
            "build in/proto -o in/proto/x.iso",
            &[
                "in/proto/x.iso: -o is inside the proto area",
                "never writes into its input",
            ],
        ),
        e2(
            "E-BUILD-38",
            "build in/proto -o out/x.iso --keep in/proto/k",
            &["in/proto/k/root.img: --keep's root.img is inside the proto area"],
        ),
        e2(
            "E-BUILD-39",
            "build in/proto -o in/src/boot/grub/boot.img --boot-image in/src/boot/grub/boot.img",
            &["in/src/boot/grub/boot.img: -o would overwrite the boot image, an input"],
        ),
        // ---- mvi demo ----
        e2("E-DEMO-01", "demo out/f", &["out/f: not a directory"]).old(&["f"]),
        e2(
            "E-DEMO-02",
            "demo in/unmarked",
            &["in/unmarked/proto: already exists"],
        ),
        e2(
            "E-DEMO-03",
            "demo out/d --option turbo",
            &["unknown option \"turbo\""],
        ),
        e2(
            "E-DEMO-04",
            "demo out/d --console serial",
            &["unknown console \"serial\""],
        ),
        e2(
            "E-DEMO-05",
            "demo out/d --boot-image in/nope",
            &["in/nope: boot image not found"],
        ),
        // ---- mvi ls, cat, check ----
        e2(
            "E-INS-01",
            "ls in/nope",
            &["in/nope: cannot open", "No such file or directory"],
        ),
        e2("E-INS-02", "ls in/src", &["in/src"]),
        e2("E-INS-03", "ls in/file.txt", &["in/file.txt", "8192"]),
        e2("E-INS-04", "ls in/empty", &["in/empty", "0 bytes"]),
        e2(
            "E-INS-05",
            "ls in/trunc.gz",
            &["in/trunc.gz: gzip data is damaged"],
        ),
        e2("E-INS-06", "ls in/good.img /nope", &["/nope: not found"]),
        e2("E-INS-07", "ls in/good.iso /nope", &["/nope: not found"]),
        e2(
            "E-INS-08",
            "ls in/good.img /etc/motd/x",
            &["/etc/motd: not a directory"],
        ),
        e2(
            "E-INS-09",
            "cat in/good.img /etc",
            &["/etc: not a regular file"],
        ),
        e2(
            "E-INS-10",
            "cat in/good.iso /etc",
            &["/etc: not a regular file"],
        ),
        e2("E-INS-11", "cat in/good.gz /nope", &["/nope: not found"]),
        clap(
            "E-INS-12",
            "cat in/good.img",
            &["required arguments were not provided", "<PATH>"],
        ),
        e2(
            "E-INS-13",
            "check in/nope",
            &["in/nope: cannot open", "No such file or directory"],
        ),
        e2("E-INS-14", "check in/src", &["in/src"]),
        case(
            "E-INS-15",
            1,
            Check,
            "check in/file.txt",
            &["in/file.txt: ", "8192", "in/file.txt: 1 problem(s)"],
        ),
        case(
            "E-INS-16",
            1,
            Check,
            "check in/trunc.img",
            &["in/trunc.img: ", "problem(s)"],
        ),
        e2(
            "E-INS-17",
            "check in/trunc.gz",
            &["in/trunc.gz: gzip data is damaged"],
        ),
    ]
}

// ---------------------------------------------------------------- fixture

fn write(p: &Path, data: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn mvi_ok(cwd: &Path, args: &[&str]) {
    let o = Command::new(MVI)
        .args(args)
        .current_dir(cwd)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The shared inputs: `root/in` (snapshotted around every case) and
/// `root/heavy` (sparse giants and 32,768 hard links; checked once).
fn fixture(root: &Path) {
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let i = root.join("in");
    let h = root.join("heavy");
    // A small tree.
    write(&i.join("src/etc/motd"), b"minimal viable illumos\n");
    std::fs::create_dir_all(i.join("src/dev")).unwrap();
    write(&i.join("src/boot/grub/small"), &[7; 10]);
    write(&i.join("src/boot/grub/empty"), b"");
    std::fs::create_dir_all(i.join("src/boot/grub/dir")).unwrap();
    let boot: Vec<u8> = (0..4096u32).map(|n| (n * 13 % 251) as u8).collect();
    write(&i.join("src/boot/grub/boot.img"), &boot);
    write(&i.join("file.txt"), b"just a file\n");
    write(&i.join("self.img"), b"an image\n");
    write(&i.join("empty"), b"");
    write(&i.join("big3m/data"), &vec![7u8; 3 << 20]);
    std::fs::create_dir_all(i.join("longlink")).unwrap();
    symlink("x".repeat(1024), i.join("longlink/l")).unwrap();
    std::fs::create_dir_all(i.join("rrlong")).unwrap();
    symlink(vec!["x".repeat(200); 15].join("/"), i.join("rrlong/l")).unwrap();
    std::fs::create_dir_all(i.join("deep/rr_moved")).unwrap();
    std::fs::create_dir_all(i.join("deep/a/b/c/d/e/f/g/h/i")).unwrap();
    std::fs::create_dir_all(i.join("emptytree")).unwrap();
    std::fs::create_dir_all(i.join("unmarked/proto")).unwrap();
    write(&i.join("unreadable/secret"), b"s");
    std::fs::set_permissions(
        i.join("unreadable/secret"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    // Manifests.
    let fifos: String = (0..12000).map(|n| format!("p{n} p 0644 0 0\n")).collect();
    for (name, text) in [
        ("fifos.txt", fifos.as_str()),
        ("longname.txt", &format!("{} d 0755 0 0\n", "n".repeat(256))),
        ("dev.txt", "dev/null c 0666 0 3 0 300\n"),
        ("fields.txt", "etc/motd f 0644 0 3 extra\n"),
        ("octal.txt", "# modes are octal\netc/motd f 0855 0 3\n"),
        ("mode.txt", "etc/motd f 17777 0 3\n"),
        ("type.txt", "etc/motd x 0644 0 3\n"),
        ("mismatch.txt", "etc/motd d 0755 0 3\n"),
        ("nopath.txt", "etc/new f 0644 0 3\n"),
        ("noparent.txt", "no/dir/x d 0755 0 3\n"),
        ("fileparent.txt", "etc/motd/x d 0755 0 3\n"),
        ("nodev.txt", "dev/x c 0644 0 3\n"),
        ("uid.txt", "etc/motd f 0644 99999999999 3\n"),
        ("dotdot.txt", "etc/../x f 0644 0 3\n"),
        ("escape.txt", "dev/x\\400 c 0644 0 3 1 1\n"),
    ] {
        write(&i.join("m").join(name), text.as_bytes());
    }
    // Rule files.
    for (name, text) in [
        ("brace.rules", "remove etc/motd\nremove {unclosed\n"),
        ("directive.rules", "frobnicate x\n"),
        ("quote.rules", "add file etc/foo 0644 0 0 \"unterminated\n"),
        ("mode.rules", "set mode etc/motd 8888\n"),
        ("dirfile.rules", "add dir etc/motd 0755 0 0\n"),
        ("filedir.rules", "add file etc 0644 0 0\n"),
        ("editdir.rules", "edit etc delete-lines x\n"),
        ("editbig.rules", "edit etc/big append-line x\n"),
        (
            "driver.rules",
            "add device dev/foo c nosuchdrv 0 0666 0 3\n",
        ),
        ("from.rules", "add file etc/foo 0644 0 0 from nothere\n"),
        ("deps.rules", "remove kernel/misc/{,amd64/}mac\n"),
        ("kernels.rules", "remove platform/i86pc/kernel\n"),
    ] {
        write(&i.join("r").join(name), text.as_bytes());
    }
    // Menus.
    write(
        &i.join("menus/ok.lst"),
        b"timeout 5\ntitle x\nkernel /platform/i86pc/kernel/unix\nmodule /platform/i86pc/boot_archive\n",
    );
    write(
        &i.join("menus/control.lst"),
        b"timeout 5\ntitle x\n  kernel /a\x01b\n",
    );
    write(&i.join("menus/timeout.lst"), b"default 0\ntimeout five\n");
    write(&i.join("menus/utf8.lst"), b"title caf\xc3\n");
    write(
        &i.join("menus/long.lst"),
        format!("title x\nkernel /{}\n", "k".repeat(1600)).as_bytes(),
    );
    // Protos: the demo's, and a tiny one with one kernel and a 17 MiB file.
    mvi::demo::make_proto(&i.join("proto")).unwrap();
    write(&i.join("tinyproto/platform/i86pc/kernel/amd64/unix"), b"k");
    let big = std::fs::File::create({
        std::fs::create_dir_all(i.join("tinyproto/etc")).unwrap();
        i.join("tinyproto/etc/big")
    })
    .unwrap();
    big.set_len(17 << 20).unwrap();
    // Images to inspect.
    mvi_ok(root, &["-q", "ufs", "in/src", "-o", "in/good.img"]);
    mvi_ok(root, &["-q", "iso", "in/src", "-o", "in/good.iso"]);
    mvi_ok(root, &["-q", "archive", "in/good.img", "-o", "in/good.gz"]);
    let gz = std::fs::read(i.join("good.gz")).unwrap();
    write(&i.join("trunc.gz"), &gz[..1000]);
    let img = std::fs::read(i.join("good.img")).unwrap();
    write(&i.join("trunc.img"), &img[..100_000]);
    // Heavy inputs.
    std::fs::create_dir_all(h.join("huge")).unwrap();
    std::fs::File::create(h.join("huge/h"))
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    std::fs::create_dir_all(h.join("big5g")).unwrap();
    std::fs::File::create(h.join("big5g/f"))
        .unwrap()
        .set_len(5 << 30)
        .unwrap();
    write(&h.join("links/f"), b"linked\n");
    for n in 1..32768 {
        std::fs::hard_link(h.join("links/f"), h.join(format!("links/l{n}"))).unwrap();
    }
}

/// What a tree looks like: path -> (type and mode, size, mtime, content of
/// small files or symlink target). With `contents` false only metadata.
type Snapshot = BTreeMap<PathBuf, (u32, u64, i64, i64, Option<Vec<u8>>)>;

fn snapshot(root: &Path, contents: bool) -> Snapshot {
    let mut out = Snapshot::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let data = if m.file_type().is_symlink() {
            Some(
                std::fs::read_link(&p)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes(),
            )
        } else if contents && m.is_file() && m.len() <= 1 << 20 {
            std::fs::read(&p).ok()
        } else {
            None
        };
        out.insert(
            p.strip_prefix(root).unwrap().to_path_buf(),
            (m.mode(), m.len(), m.mtime(), m.mtime_nsec(), data),
        );
        if m.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        }
    }
    out
}

fn diff(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    let keys: BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| match (a.get(k), b.get(k)) {
            (None, _) => format!("{}: appeared", k.display()),
            (_, None) => format!("{}: disappeared", k.display()),
            _ => format!("{}: changed", k.display()),
        })
        .collect()
}

fn euid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

// ---------------------------------------------------------------- checks

/// The text a case's documented message is matched against.
fn report_text(c: &Case, o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    match c.form {
        Form::Line | Form::Clap | Form::Help => err.lines().next().unwrap_or("").to_string(),
        Form::Check => format!("{out}{err}"),
        Form::Lint => err.into_owned(),
    }
}

/// Whether `text` holds the literal pieces of `pattern` (split at `…`) in order.
fn matches_doc(pattern: &str, text: &str) -> bool {
    let mut rest = text;
    for (n, piece) in pattern.split('…').enumerate() {
        if piece.is_empty() {
            continue;
        }
        match rest.find(piece) {
            // Without a leading `…` the message starts with the first piece.
            Some(at) if n > 0 || at == 0 => rest = &rest[at + piece.len()..],
            _ => return false,
        }
    }
    true
}

/// Run one case; return its failures.
fn run_case(root: &Path, c: &Case, doc: Option<&DocRow>, dump: &mut String) -> Vec<String> {
    let mut bad = Vec::new();
    let dir = root.join("cases").join(c.id);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).unwrap();
    symlink("../../in", dir.join("in")).unwrap();
    symlink("../../heavy", dir.join("heavy")).unwrap();
    for name in &c.old {
        match name.strip_suffix('/') {
            Some(d) => std::fs::create_dir(out.join(d)).unwrap(),
            None => std::fs::write(out.join(name), format!("old {name}\n")).unwrap(),
        }
    }
    let before_in = snapshot(&root.join("in"), true);
    let before_out = snapshot(&out, true);

    let argv = c.argv();
    let argv: Vec<&str> = if argv == [""] {
        Vec::new()
    } else {
        argv.iter().map(String::as_str).collect()
    };
    let mut cmd = if c.nobody && euid() == 0 {
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", MVI]);
        cmd
    } else {
        Command::new(MVI)
    };
    cmd.args(&argv)
        .current_dir(&dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
    for (k, v) in &c.env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let shown = format!("stdout {stdout:?}, stderr {stderr:?}");

    if o.status.code() != Some(c.code) {
        bad.push(format!(
            "exit {:?}, want {} ({shown})",
            o.status.code(),
            c.code
        ));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    match c.form {
        Form::Line => {
            if lines.len() != 1 || !stderr.ends_with('\n') {
                bad.push(format!("stderr is not one line ({shown})"));
            }
            if !stderr.starts_with("mvi: error: ") {
                bad.push(format!(
                    "stderr does not start with `mvi: error: ` ({shown})"
                ));
            }
        }
        Form::Clap => {
            if !stderr.starts_with("error: ")
                || !stderr
                    .trim_end()
                    .ends_with("For more information, try '--help'.")
            {
                bad.push(format!("not a clap usage error ({shown})"));
            }
        }
        Form::Help => {
            if !stderr.contains("Usage: mvi") || !stderr.contains("Commands:") {
                bad.push(format!("no help text ({shown})"));
            }
        }
        Form::Check => {
            if lines.len() != 1 || !lines[0].ends_with("problem(s)") {
                bad.push(format!("stderr is not one `N problem(s)` line ({shown})"));
            }
            if stdout.is_empty() {
                bad.push(format!("no problem named on stdout ({shown})"));
            }
        }
        Form::Lint => {
            if lines.is_empty() || !lines.iter().all(|l| l.contains(": line ")) {
                bad.push(format!("stderr is not lint findings ({shown})"));
            }
        }
    }
    if matches!(c.form, Form::Line | Form::Clap | Form::Help) && !stdout.is_empty() {
        bad.push(format!("stdout not empty ({shown})"));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        bad.push(format!("panic ({shown})"));
    }
    let all = format!("{stdout}{stderr}");
    for w in &c.want {
        if !all.contains(w) {
            bad.push(format!("report lacks {w:?} ({shown})"));
        }
    }
    let text = report_text(c, &o);
    dump.push_str(&format!(
        "{}\t{}\t{:?}\t{}\n",
        c.id,
        c.shown(),
        o.status.code(),
        text.trim_end().replace('\n', "\\n")
    ));
    if let Some(d) = doc {
        if !matches_doc(&d.message, &text) {
            bad.push(format!(
                "docs/ERRORS.md message {:?} does not match {text:?}",
                d.message
            ));
        }
    }
    // Nothing new or changed in out/ (its own mtime aside: a temporary
    // file came and went), nothing beside it, inputs unchanged.
    let mut after_out = snapshot(&out, true);
    let mut before_out = before_out;
    before_out.remove(Path::new(""));
    after_out.remove(Path::new(""));
    let d = diff(&before_out, &after_out);
    if !d.is_empty() {
        bad.push(format!("output directory changed: {d:?}"));
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names != ["heavy", "in", "out"] {
        bad.push(format!("working directory gained entries: {names:?}"));
    }
    let d = diff(&before_in, &snapshot(&root.join("in"), true));
    if !d.is_empty() {
        bad.push(format!("inputs changed: {d:?}"));
    }
    bad
}

// ---------------------------------------------------------------- the document

struct DocRow {
    command: String,
    message: String,
    exit: i32,
}

fn doc_text() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ERRORS.md");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every `E-GROUP-NN` token anywhere in the text.
fn ids_in(text: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (at, _) in text.match_indices("E-") {
        let rest = &text[at + 2..];
        let group: String = rest
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .collect();
        let tail = &rest[group.len()..];
        let num: String = tail
            .strip_prefix('-')
            .map(|t| t.chars().take_while(|c| c.is_ascii_digit()).collect())
            .unwrap_or_default();
        if !group.is_empty() && num.len() == 2 {
            ids.insert(format!("E-{group}-{num}"));
        }
    }
    ids
}

/// Strip one layer of inline code: `` `x` `` or ``` `` x `` ```.
fn unquote(cell: &str) -> Option<String> {
    let c = cell.trim();
    if let Some(inner) = c.strip_prefix("`` ").and_then(|c| c.strip_suffix(" ``")) {
        return Some(inner.to_string());
    }
    c.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .map(str::to_string)
}

/// The case rows of the document: `| ID | what: `command` | `message` | exit |`.
fn doc_rows(text: &str) -> BTreeMap<String, DocRow> {
    let mut rows = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| E-")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        assert_eq!(cells.len(), 4, "docs/ERRORS.md: not 4 cells: {line}");
        let id = cells[0].trim_start_matches("| ").trim().to_string();
        let input = cells[1];
        let command = input
            .rfind(": `")
            .and_then(|at| unquote(&input[at + 2..]))
            .unwrap_or_else(|| panic!("docs/ERRORS.md {id}: no `command` in {input:?}"));
        let message = unquote(cells[2])
            .unwrap_or_else(|| panic!("docs/ERRORS.md {id}: message not in backticks"));
        let exit = cells[3]
            .trim_end_matches('|')
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("docs/ERRORS.md {id}: bad exit cell"));
        let dup = rows.insert(
            id.clone(),
            DocRow {
                command,
                message,
                exit,
            },
        );
        assert!(dup.is_none(), "docs/ERRORS.md: {id} twice");
    }
    rows
}

#[test]
fn doc_and_table_agree() {
    let text = doc_text();
    let rows = doc_rows(&text);
    let table = cases();
    let mut ids = BTreeSet::new();
    for c in &table {
        assert!(ids.insert(c.id.to_string()), "{} twice in the table", c.id);
    }
    let mentioned = ids_in(&text);
    let documented: BTreeSet<String> = rows.keys().cloned().collect();
    let stray: Vec<_> = mentioned.difference(&documented).collect();
    assert!(
        stray.is_empty(),
        "ids mentioned in docs/ERRORS.md without a row of their own: {stray:?}"
    );
    let missing: Vec<_> = ids.difference(&documented).collect();
    assert!(missing.is_empty(), "not in docs/ERRORS.md: {missing:?}");
    let extra: Vec<_> = documented.difference(&ids).collect();
    assert!(
        extra.is_empty(),
        "in docs/ERRORS.md but no test row: {extra:?}"
    );
    for c in &table {
        let d = &rows[c.id];
        assert_eq!(d.command, c.shown(), "{}: command differs", c.id);
        assert_eq!(d.exit, c.code, "{}: exit code differs", c.id);
    }
    assert!(table.len() >= 30);
}

#[test]
fn every_rejected_input() {
    let rows = doc_rows(&doc_text());
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fixture(root);
    let heavy_before = snapshot(&root.join("heavy"), false);
    let mut failures = Vec::new();
    let mut dump = String::new();
    for c in cases() {
        for f in run_case(root, &c, rows.get(c.id), &mut dump) {
            failures.push(format!("{}: {f}", c.id));
        }
    }
    // MVI_ERRORS_DUMP=FILE: each case's id, command, exit code and report
    // as run, one per line (tab-separated), for updating docs/ERRORS.md.
    if let Some(p) = std::env::var_os("MVI_ERRORS_DUMP") {
        std::fs::write(p, dump).unwrap();
    }
    let d = diff(&heavy_before, &snapshot(&root.join("heavy"), false));
    if !d.is_empty() {
        failures.push(format!("heavy inputs changed: {d:?}"));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

//! `mvi menu`: the file is exactly what grubcfg renders for the options;
//! `--check TREE` exits 1 on a lint error (missing kernel or module, the
//! 32-bit/$ISADIR trap) and writes nothing, 0 with warnings only; `--lint
//! FILE` reads existing menus (the real fixtures) and reports an unparsable
//! one with line and column; bad input is one line, exit 2, no output.

use grubcfg::{Arch, Console, Dialect, MenuSpec};
use std::path::Path;
use std::process::{Command, Output};

const MVI: &str = env!("CARGO_BIN_EXE_mvi");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../grubcfg/tests/fixtures");

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mvi(args: &[&str]) -> Output {
    Command::new(MVI).args(args).output().expect("run mvi")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A media tree with the given files (empty files are enough for the lint).
fn tree(root: &Path, files: &[&str]) {
    for f in files {
        let p = root.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }
}

const K64: &str = grubcfg::KERNEL_AMD64;
const K32: &str = grubcfg::KERNEL_I386;
const ARCHIVE: &str = grubcfg::BOOT_ARCHIVE;

#[test]
fn output_is_the_grubcfg_rendering() {
    let d = tempfile::tempdir().unwrap();
    let cases: Vec<(Vec<&str>, MenuSpec)> = vec![
        (vec![], MenuSpec::default()),
        (
            vec!["--arch", "64,32", "--dialect", "plain", "--timeout", "3"],
            MenuSpec {
                arches: vec![Arch::Amd64, Arch::I386],
                dialect: Dialect::Plain,
                timeout: Some(3),
                ..MenuSpec::default()
            },
        ),
        (
            vec![
                "--arch",
                "32",
                "--title",
                "Tribblix live",
                "--console",
                "ttya",
                "--boot-args",
                "-k",
                "--boot-args",
                "-B livessh=enable",
                "--hard-disk",
                "--default",
                "1",
                "--timeout",
                "0",
            ],
            MenuSpec {
                title: "Tribblix live".into(),
                arches: vec![Arch::I386],
                console: Console::Ttya,
                boot_flags: vec!["-k".into(), "-B livessh=enable".into()],
                hard_disk_entry: true,
                default: 1,
                timeout: Some(0),
                ..MenuSpec::default()
            },
        ),
        (
            vec!["--arch", "i386,amd64", "--console", "ttyb"],
            MenuSpec {
                arches: vec![Arch::I386, Arch::Amd64],
                console: Console::Ttyb,
                ..MenuSpec::default()
            },
        ),
    ];
    for (i, (args, spec)) in cases.iter().enumerate() {
        let out = d.path().join(format!("menu{i}.lst"));
        let mut all = vec!["menu", "-o", s(&out)];
        all.extend_from_slice(args);
        let o = mvi(&all);
        assert!(o.status.success(), "{all:?}: {}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text, spec.render().unwrap(), "{all:?}");
        // It parses back to the same model.
        assert_eq!(grubcfg::parse(&text).unwrap(), spec.to_menu().unwrap());
        assert!(stdout(&o).contains(&format!("{}: ", out.display())));
        // -q: nothing on stdout.
        let o = mvi(&[&["-q"], &all[..]].concat());
        assert!(o.status.success() && o.stdout.is_empty());
    }
}

#[test]
fn check_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let full = d.path().join("full");
    tree(&full, &[K64, K32, ARCHIVE]);
    let only32 = d.path().join("only32");
    tree(&only32, &[K32, ARCHIVE]);
    let only64 = d.path().join("only64");
    tree(&only64, &[K64, ARCHIVE]);
    let no_archive = d.path().join("noarchive");
    tree(&no_archive, &[K64, K32]);
    let out = d.path().join("menu.lst");
    let run = |t: &Path, extra: &[&str]| {
        let _ = std::fs::remove_file(&out);
        let mut all = vec!["menu", "-o", s(&out), "--check", s(t)];
        all.extend_from_slice(extra);
        mvi(&all)
    };

    // Everything there: exit 0, written, no diagnostics.
    for extra in [&[][..], &["--arch", "64,32", "--dialect", "plain"]] {
        let o = run(&full, extra);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(out.exists());
        assert_eq!(stderr(&o), "");
    }

    // The mvi trap: $ISADIR on a 32-bit-only tree. Exit 1, line number, nothing written.
    let o = run(&only32, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!out.exists());
    assert!(
        err.contains(&format!(
            "{}: line 4: error: `kernel$` uses $ISADIR",
            out.display()
        )),
        "{err}"
    );
    assert!(stdout(&o).contains("1 error(s)") && stdout(&o).contains("not written"));
    // The 32-bit entry written without $ISADIR is fine on that tree.
    let o = run(&only32, &["--arch", "32"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("kernel /platform/i86pc/kernel/unix\n"));

    // A missing kernel (plain 32-bit stanza on a 64-bit-only tree).
    let o = run(&only64, &["--arch", "64,32", "--dialect", "plain"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("line 7: error: `kernel` file /platform/i86pc/kernel/unix is not in the tree"),
        "{err}"
    );
    assert!(!out.exists());

    // A missing module.
    let o = run(&no_archive, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("line 5: error:") && err.contains(ARCHIVE),
        "{err}"
    );
    assert!(!out.exists());

    // Warnings only (no 32-bit fallback for $ISADIR): printed, exit 0, written.
    let o = run(&only64, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("line 4: warning:"), "{err}");
    assert!(out.exists());
}

#[test]
fn lint_existing_menus() {
    let d = tempfile::tempdir().unwrap();
    let lint = |file: &Path, check: Option<&Path>| {
        let mut all = vec!["menu", "--lint", s(file)];
        if let Some(t) = check {
            all.extend_from_slice(&["--check", s(t)]);
        }
        mvi(&all)
    };
    // mvi's own 2016 stanzas on the gate menu, against a tree that has them.
    let fixture = Path::new(FIXTURES).join("mvi-5734bab-appended-to-gate-menu.lst");
    let t = d.path().join("t");
    tree(&t, &[K64, K32, ARCHIVE]);
    let o = lint(&fixture, Some(&t));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("4 entries (minimal viable illumos; "),
        "{}",
        stdout(&o)
    );
    // ... and against a 32-bit-only tree: the trap, for each $ISADIR entry.
    let t32 = d.path().join("t32");
    tree(&t32, &[K32, ARCHIVE]);
    let o = lint(&fixture, Some(&t32));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o).matches("uses $ISADIR").count(),
        3,
        "{}",
        stderr(&o)
    );
    // No timeout: a warning, exit 0 (structure only, no tree).
    let o = lint(
        &Path::new(FIXTURES).join("mvi-5734bab-stanzas-on-empty-menu.lst"),
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("warning: no usable `timeout`"),
        "{}",
        stderr(&o)
    );
    // A menu with no entries: GRUB goes to its command line. Exit 1.
    let o = lint(
        &Path::new(FIXTURES).join("illumos-gate-usr-src-grub-menu.lst"),
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    // Every real fixture parses.
    for e in std::fs::read_dir(FIXTURES).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "lst") {
            let o = lint(&p, None);
            assert!(
                o.status.code() != Some(2),
                "{}: {}",
                p.display(),
                stderr(&o)
            );
        }
    }
}

/// Bad input: one line, exit 2, nothing in the output directory.
fn expect_bad(args: &[&str], want: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let menu = out.path().join("menu.lst");
    let mut all = vec!["menu"];
    all.extend_from_slice(args);
    if !args.contains(&"--lint") {
        all.extend_from_slice(&["-o", s(&menu)]);
    }
    let o = mvi(&all);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{all:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("mvi: error: "), "{err}");
    for w in want {
        assert!(err.contains(w), "{err:?} lacks {w:?}");
    }
    let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert!(left.is_empty(), "output left behind: {left:?}");
}

#[test]
fn bad_input_is_one_line_exit_2_and_no_output() {
    let d = tempfile::tempdir().unwrap();
    expect_bad(&["--arch", "64,sparc"], &["unknown architecture \"sparc\""]);
    expect_bad(&["--arch", "64,amd64"], &["architecture amd64 given twice"]);
    expect_bad(&["--console", "serial"], &["unknown console \"serial\""]);
    expect_bad(&["--dialect", "grub2"], &["unknown dialect \"grub2\""]);
    expect_bad(&["--default", "1"], &["default entry 1 does not exist"]);
    expect_bad(&["--title", " x"], &["bad title"]);
    expect_bad(&["--boot-args", "-B"], &["-B needs a property list"]);
    expect_bad(
        &["--check", s(&d.path().join("nope"))],
        &["nope: cannot open"],
    );
    let f = d.path().join("file");
    std::fs::write(&f, b"").unwrap();
    expect_bad(&["--check", s(&f)], &["not a directory"]);
    // Unparsable menus: line and column.
    let bad = d.path().join("bad.lst");
    std::fs::write(&bad, b"timeout 5\ntitle x\n  kernel /a\x01b\n").unwrap();
    expect_bad(
        &["--lint", s(&bad)],
        &["bad.lst: line 3, column 12: control character U+0001"],
    );
    std::fs::write(&bad, b"default 0\ntimeout five\n").unwrap();
    expect_bad(
        &["--lint", s(&bad)],
        &["line 2, column 9", "`timeout` expects"],
    );
    std::fs::write(&bad, b"title caf\xc3\n").unwrap();
    expect_bad(&["--lint", s(&bad)], &["line 1, column 10: invalid UTF-8"]);
    expect_bad(
        &["--lint", s(&d.path().join("missing.lst"))],
        &["missing.lst: cannot read"],
    );
    // A failed lint or bad option leaves an existing menu untouched.
    let menu = d.path().join("menu.lst");
    std::fs::write(&menu, b"old\n").unwrap();
    let o = mvi(&["menu", "-o", s(&menu), "--arch", "128"]);
    assert_eq!(o.status.code(), Some(2));
    let t = d.path().join("empty-tree");
    std::fs::create_dir(&t).unwrap();
    let o = mvi(&["menu", "-o", s(&menu), "--check", s(&t)]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&menu).unwrap(), b"old\n");
}

#[test]
fn outputs_follow_the_umask() {
    // Outputs are created 0666 less the umask, as any command's files are.
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    for (umask, mode) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let out = d.path().join(format!("m{umask}.lst"));
        let st = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" -q menu -o \"$1\""))
            .arg(env!("CARGO_BIN_EXE_mvi"))
            .arg(&out)
            .status()
            .unwrap();
        assert!(st.success());
        let m = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(m, mode, "umask {umask}");
    }
}

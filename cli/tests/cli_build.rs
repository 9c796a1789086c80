//! `mvi build` / `mvi demo` on the command line: the report, --list-options,
//! --report JSON, and bad input (one line, exit 2, nothing written).

use std::path::Path;
use std::process::{Command, Output};

const MVI: &str = env!("CARGO_BIN_EXE_mvi");

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(MVI)
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_build_report_and_json() {
    let d = tempfile::tempdir().unwrap();
    let o = run(&["demo", s(d.path())]);
    assert!(o.status.success(), "{}", err(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("root file system"), "{out}");
    assert!(
        out.contains("NOT BOOTABLE: no GRUB legacy boot image"),
        "{out}"
    );
    // Again: the demo replaces its own proto.
    let o = run(&["-q", "demo", s(d.path())]);
    assert!(o.status.success(), "{}", err(&o));
    // mvi build on the demo proto with a JSON report.
    let iso = d.path().join("b.iso");
    let json = d.path().join("r.json");
    let o = run(&[
        "-q",
        "build",
        s(&d.path().join("proto")),
        "-o",
        s(&iso),
        "--option",
        "32bit,extreme",
        "--report",
        s(&json),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let j = std::fs::read_to_string(&json).unwrap();
    assert!(j.starts_with("{\"root_bytes\":"), "{j}");
    assert!(
        j.contains(&format!(
            "\"iso_bytes\":{}",
            std::fs::metadata(&iso).unwrap().len()
        )),
        "{j}"
    );
    assert!(j.contains("{\"set\":\"32bit\""), "{j}");
    let o = run(&["build", "--list-options"]);
    let list = String::from_utf8(o.stdout).unwrap();
    for name in [
        "base", "32bit", "64bit", "extreme", "nonet", "nodisk", "live", "fixups",
    ] {
        assert!(
            list.lines().any(|l| l.starts_with(name)),
            "{name} missing from {list}"
        );
    }
}

fn expect_bad(args: &[&str], want: &str, outdir: &Path) {
    let o = run(args);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.contains(want), "{e:?} lacks {want:?}");
    assert_eq!(
        std::fs::read_dir(outdir).unwrap().count(),
        0,
        "output left behind"
    );
}

#[test]
fn bad_input() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let iso = out.join("x.iso");
    let proto = d.path().join("proto");
    mvi::demo::make_proto(&proto).unwrap();
    let empty = d.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    expect_bad(
        &["build", s(&d.path().join("none")), "-o", s(&iso)],
        "cannot read the proto area",
        &out,
    );
    expect_bad(
        &["build", s(&empty), "-o", s(&iso)],
        "not an illumos proto area",
        &out,
    );
    expect_bad(
        &["build", s(&proto), "-o", s(&iso), "--option", "32bit,turbo"],
        "turbo",
        &out,
    );
    expect_bad(
        &[
            "build",
            s(&proto),
            "-o",
            s(&iso),
            "--boot-image",
            s(&d.path().join("nope")),
        ],
        "boot image not found",
        &out,
    );
    let rules = d.path().join("my.rules");
    std::fs::write(&rules, "remove etc/motd\nremove {unclosed\n").unwrap();
    expect_bad(
        &["build", s(&proto), "-o", s(&iso), "--rules", s(&rules)],
        "my.rules:2:",
        &out,
    );
    expect_bad(
        &["build", s(&proto), "-o", s(&iso), "--root-size", "1M"],
        "too small",
        &out,
    );
}

#[test]
fn a_keep_failure_leaves_no_iso_and_keeps_the_old_one() {
    // Every output is staged and the ISO renamed into place last: when a
    // --keep file cannot be written (here a directory is in its place), no
    // new ISO appears and an existing one is left byte for byte.
    let d = tempfile::tempdir().unwrap();
    let o = run(&["-q", "demo", s(d.path())]);
    assert!(o.status.success(), "{}", err(&o));
    let out = d.path().join("isos");
    std::fs::create_dir(&out).unwrap();
    let iso = out.join("x.iso");
    std::fs::write(&iso, b"old iso").unwrap();
    let keep = d.path().join("kept");
    std::fs::create_dir_all(keep.join("boot_archive")).unwrap();
    let o = run(&[
        "-q",
        "build",
        s(&d.path().join("proto")),
        "-o",
        s(&iso),
        "--keep",
        s(&keep),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("boot_archive"), "{}", err(&o));
    assert_eq!(std::fs::read(&iso).unwrap(), b"old iso");
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("x.iso")],
        "stray files"
    );
    let kept: Vec<_> = std::fs::read_dir(&keep)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        kept,
        vec![std::ffi::OsString::from("boot_archive")],
        "stray files in --keep"
    );
}

#[test]
fn warnings_reach_stderr_even_quiet_and_64bit_ignores_32bit_only_modules() {
    let d = tempfile::tempdir().unwrap();
    let o = run(&["-q", "demo", s(d.path())]);
    assert!(o.status.success(), "{}", err(&o));
    let proto = d.path().join("proto");
    // A 32-bit module with no amd64 twin whose dependencies 64bit removes
    // (remove-twins drops kernel/misc/scsi): no kernel left can load it,
    // so it is no broken dependency.
    std::fs::copy(proto.join("kernel/drv/sd"), proto.join("kernel/drv/oldhw")).unwrap();
    let iso = d.path().join("64.iso");
    let o = run(&["-q", "build", s(&proto), "-o", s(&iso), "--option", "64bit"]);
    assert!(o.status.success(), "{}", err(&o));
    // Quiet, but what makes the ISO unbootable still goes to stderr.
    assert!(
        err(&o).contains("mvi: warning: NOT BOOTABLE: no GRUB legacy boot image"),
        "{}",
        err(&o)
    );
    // base removes lib/svc: init's startd line names a missing program.
    assert!(
        err(&o)
            .contains("etc/inittab:2: init runs /lib/svc/bin/svc.startd, which is not in the root"),
        "{}",
        err(&o)
    );
    let o = run(&[
        "-q",
        "build",
        s(&proto),
        "-o",
        s(&iso),
        "--option",
        "64bit,live",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        !err(&o).contains("inittab"),
        "live replaces the line: {}",
        err(&o)
    );
    // With 32bit as well, the same module is loadable and its dependencies
    // are there: still fine. With nodisk, misc/scsi goes: broken.
    let o = run(&[
        "-q",
        "build",
        s(&proto),
        "-o",
        s(&iso),
        "--option",
        "nodisk",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("kernel/drv/oldhw (i386): needs misc/scsi"),
        "{}",
        err(&o)
    );
    // A name_to_major without the pseudo drivers: one warning naming them.
    std::fs::write(proto.join("etc/name_to_major"), "cn 0\nmm 13\nzfs 182\n").unwrap();
    let o = run(&["-q", "build", s(&proto), "-o", s(&iso)]);
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("etc/name_to_major does not list 16 drivers") && e.contains("sysmsg 61"),
        "{e}"
    );
    assert!(!e.contains("mm 38"), "mm is listed: {e}");
}

#[test]
fn builds_match_across_cpu_count_tz_umask_locale_and_place() {
    // The second build runs on one CPU (taskset: the archive gets one
    // compression thread instead of several), in another time zone,
    // umask and locale, from another directory, on a `cp -a` copy of the
    // proto (new inode numbers, its own directory order): ISO, boot archive,
    // root image and menu are the same bytes.
    let d = tempfile::tempdir().unwrap();
    let o = run(&["-q", "demo", s(d.path())]);
    assert!(o.status.success(), "{}", err(&o));
    let proto = d.path().join("proto");
    let o = run(&[
        "-q",
        "build",
        s(&proto),
        "-o",
        s(&d.path().join("a.iso")),
        "--keep",
        s(&d.path().join("ka")),
        "--option",
        "32bit,live",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let other = d.path().join("x/y");
    std::fs::create_dir_all(&other).unwrap();
    let copy = other.join("proto");
    let st = Command::new("cp")
        .arg("-a")
        .arg(&proto)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(st.success());
    let o = Command::new("taskset")
        .args(["-c", "0", "sh", "-c"])
        .arg("umask 077; exec \"$0\" -q build \"$1\" -o \"$2\" --keep \"$3\" --option 32bit,live")
        .arg(MVI)
        .arg(&copy)
        .arg(other.join("b.iso"))
        .arg(other.join("kb"))
        .current_dir(&other)
        .env("TZ", "Pacific/Chatham")
        .env("LC_ALL", "C.UTF-8")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    for (a, b) in [
        ("a.iso", "x/y/b.iso"),
        ("ka/boot_archive", "x/y/kb/boot_archive"),
        ("ka/root.img", "x/y/kb/root.img"),
        ("ka/menu.lst", "x/y/kb/menu.lst"),
    ] {
        assert!(
            std::fs::read(d.path().join(a)).unwrap() == std::fs::read(d.path().join(b)).unwrap(),
            "{a} and {b} differ"
        );
    }
}

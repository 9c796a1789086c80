//! The `mvi ufs`/`ls`/`cat`/`check` command line: reports, listings,
//! reproducibility under perturbed environments, and bad input (one-line
//! error naming the path and the limit, exit 2, no output file).

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

const MVI: &str = env!("CARGO_BIN_EXE_mvi");

fn mvi(args: &[&str]) -> Output {
    Command::new(MVI)
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run mvi")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A small tree; `reverse` creates entries in the opposite order and
/// `mtime_offset` moves every mtime (all stay newer than T, so clamping shows).
fn make_tree(root: &Path, reverse: bool, mtime_offset: u64) {
    type Step = Box<dyn Fn(&Path)>;
    let mut steps: Vec<Step> = vec![
        Box::new(|r: &Path| std::fs::create_dir_all(r.join("etc/default")).unwrap()),
        Box::new(|r: &Path| std::fs::create_dir_all(r.join("usr/bin")).unwrap()),
        Box::new(|r: &Path| std::fs::create_dir_all(r.join("var/empty")).unwrap()),
    ];
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("etc/motd", b"minimal viable illumos\n".to_vec()),
        ("etc/default/init", b"TZ=UTC\n".to_vec()),
        (
            "usr/bin/big",
            (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect(),
        ),
        ("usr/bin/small", vec![1, 2, 3]),
    ];
    for (name, data) in files {
        steps.push(Box::new(move |r: &Path| {
            std::fs::write(r.join(name), &data).unwrap()
        }));
    }
    steps.push(Box::new(|r: &Path| {
        symlink("../usr/bin/small", r.join("etc/link")).unwrap()
    }));
    if reverse {
        // Directories must exist first; reverse the files among themselves.
        let (dirs, rest) = steps.split_at(3);
        for f in dirs.iter().rev() {
            f(root);
        }
        for f in rest.iter().rev() {
            f(root);
        }
    } else {
        for f in &steps {
            f(root);
        }
    }
    std::fs::hard_link(root.join("usr/bin/small"), root.join("usr/bin/small2")).unwrap();
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + mtime_offset);
    for entry in walk(root) {
        let f = std::fs::File::open(&entry).unwrap();
        f.set_modified(t).unwrap();
    }
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let p = out[i].clone();
        if p.symlink_metadata().unwrap().is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap().path();
                if !e.symlink_metadata().unwrap().file_type().is_symlink() {
                    out.push(e);
                }
            }
        }
        i += 1;
    }
    out
}

#[test]
fn reproducible_across_dirs_order_mtimes_umask_tz() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::Builder::new()
        .prefix("other-place")
        .tempdir()
        .unwrap();
    let (sa, sb) = (a.path().join("proto"), b.path().join("x/y/proto"));
    std::fs::create_dir_all(&sa).unwrap();
    std::fs::create_dir_all(&sb).unwrap();
    make_tree(&sa, false, 0);
    make_tree(&sb, true, 12345);
    let (ia, ib) = (a.path().join("a.img"), b.path().join("b.img"));
    let o = Command::new(MVI)
        .args(["ufs", s(&sa), "-o", s(&ia)])
        .env("SOURCE_DATE_EPOCH", "1500000000")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 077; exec '{MVI}' ufs '{}' -o '{}' --source-date-epoch 1500000000",
            s(&sb),
            s(&ib)
        ))
        .env_remove("SOURCE_DATE_EPOCH")
        .env("TZ", "Pacific/Chatham")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (x, y) = (std::fs::read(&ia).unwrap(), std::fs::read(&ib).unwrap());
    assert_eq!(x.len(), y.len());
    assert!(x == y, "images differ");
    // And the image holds the clamped time: fs_time = T.
    assert_eq!(&x[8192 + 32..8192 + 36], &1_500_000_000u32.to_le_bytes());
    let o = mvi(&["check", s(&ia)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn report_listing_cat_and_gzip() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("proto");
    std::fs::create_dir(&src).unwrap();
    make_tree(&src, false, 0);
    let img = d.path().join("root.img");
    let o = mvi(&["ufs", s(&src), "-o", s(&img), "--size", "4M"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.starts_with("Filesystem"), "{out}");
    assert!(out.contains("size 4.0 MiB (4194304 bytes)"), "{out}");
    assert_eq!(std::fs::metadata(&img).unwrap().len(), 4 << 20);

    let o = mvi(&["ls", s(&img), "/usr/bin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ls = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = ls.lines().collect();
    assert_eq!(lines.len(), 5, "{ls}"); // . .. big small small2
    assert!(
        lines[2].starts_with("-rw-r--r--   1     0     0     200000 big"),
        "{ls}"
    );
    assert!(
        lines[3].starts_with("-rw-r--r--   2     0     0          3 small"),
        "{ls}"
    );
    let o = mvi(&["ls", s(&img), "etc/link"]);
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .trim_end()
        .ends_with("etc/link -> ../usr/bin/small"));

    let o = mvi(&["cat", s(&img), "/usr/bin/big"]);
    assert!(o.status.success());
    assert_eq!(o.stdout, std::fs::read(src.join("usr/bin/big")).unwrap());

    // gzip-compressed image: ls/cat/check read it too.
    let gz = d.path().join("root.img.gz");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -9 -n -c '{}' > '{}'", s(&img), s(&gz)))
        .status()
        .unwrap();
    assert!(st.success());
    let o = mvi(&["cat", s(&gz), "etc/motd"]);
    assert_eq!(o.stdout, b"minimal viable illumos\n");
    let o = mvi(&["check", s(&gz)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let o = mvi(&["ls", "-R", s(&gz)]);
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .contains("/usr/bin/small2"));

    // A damaged image: check exits 1 and names the problem.
    let mut bytes = std::fs::read(&img).unwrap();
    bytes[8192 + 1372] ^= 0xff; // fs_magic
    let bad = d.path().join("bad.img");
    std::fs::write(&bad, &bytes).unwrap();
    let o = mvi(&["check", s(&bad)]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("magic"));
}

/// Run `mvi ufs SRC -o OUT extra...`, expect exit 2, one line on stderr
/// containing every `want`, and no output (nor temporary) file left.
fn expect_bad(src: &Path, extra: &[&str], want: &[&str], as_nobody: bool) {
    let outdir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(outdir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = outdir.path().join("out.img");
    let mut args = vec!["ufs", s(src), "-o", s(&out)];
    args.extend_from_slice(extra);
    let o = if as_nobody {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", MVI])
            .args(&args)
            .output()
            .expect("setpriv")
    } else {
        mvi(&args)
    };
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for w in want {
        assert!(err.contains(w), "{err:?} lacks {w:?}");
    }
    let left: Vec<_> = std::fs::read_dir(outdir.path()).unwrap().collect();
    assert!(left.is_empty(), "output left behind: {left:?}");
}

#[test]
fn bad_input_is_one_line_exit_2_and_no_output() {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let src = d.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("f"), b"hello").unwrap();

    // Missing source.
    expect_bad(
        &d.path().join("nope"),
        &[],
        &["nope", "No such file"],
        false,
    );

    // Fixed size too small: says how much is needed.
    let big = d.path().join("big");
    std::fs::create_dir(&big).unwrap();
    std::fs::write(big.join("data"), vec![7u8; 3 << 20]).unwrap();
    expect_bad(
        &big,
        &["--size", "2M"],
        &["image size 2097152 bytes is too small", "needs at least"],
        false,
    );

    // Too many inodes for a fixed size.
    let many = d.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..12000 {
        std::fs::write(many.join(format!("{i}")), b"").unwrap();
    }
    expect_bad(
        &many,
        &["--size", "1M"],
        &["needs 12003 inodes", "holds at most"],
        false,
    );

    // Name over 255 bytes (only a manifest can make one on Linux hosts).
    let m = d.path().join("m-long");
    std::fs::write(&m, format!("{} d 0755 0 0\n", "n".repeat(256))).unwrap();
    expect_bad(
        &src,
        &["--metadata", s(&m)],
        &["name is 256 bytes, UFS allows at most 255"],
        false,
    );

    // Symlink target over 1023 bytes.
    let sl = d.path().join("sl");
    std::fs::create_dir(&sl).unwrap();
    symlink("x".repeat(1024), sl.join("long")).unwrap();
    expect_bad(
        &sl,
        &[],
        &[
            "/long",
            "symlink target is 1024 bytes, UFS allows at most 1023",
        ],
        false,
    );

    // File over the UFS size limit (sparse, 2^40 bytes).
    let huge = d.path().join("huge");
    std::fs::create_dir(&huge).unwrap();
    let f = std::fs::File::create(huge.join("h")).unwrap();
    f.set_len(1 << 40).unwrap();
    expect_bad(
        &huge,
        &[],
        &[
            "/h",
            "file is 1099511627776 bytes, UFS allows at most 1099511627775",
        ],
        false,
    );

    // Metadata lines that do not parse, or name a missing path.
    let m = d.path().join("m-bad");
    std::fs::write(&m, "f d 0755 0\n").unwrap();
    expect_bad(
        &src,
        &["--metadata", s(&m)],
        &["m-bad:1:", "expected PATH TYPE MODE UID GID"],
        false,
    );
    let m = d.path().join("m-missing");
    std::fs::write(&m, "# ok\nmissing/file f 0644 0 0\n").unwrap();
    expect_bad(
        &src,
        &["--metadata", s(&m)],
        &[
            "m-missing:2:",
            "/missing/file",
            "parent directory is missing",
        ],
        false,
    );
    std::fs::write(&m, "gone f 0644 0 0\n").unwrap();
    expect_bad(
        &src,
        &["--metadata", s(&m)],
        &["m-missing:1:", "/gone: no such path"],
        false,
    );

    // Bad size argument.
    expect_bad(&src, &["--size", "12Q"], &["unknown suffix"], false);

    // Unreadable file: as root, run as nobody so the permission bits count.
    let ur = d.path().join("unreadable");
    std::fs::create_dir(&ur).unwrap();
    std::fs::set_permissions(&ur, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(ur.join("secret"), b"s").unwrap();
    std::fs::set_permissions(ur.join("secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let root = euid() == 0;
    expect_bad(&ur, &[], &["secret", "Permission denied"], root);

    // A failed build leaves an existing output untouched.
    let keep = d.path().join("keep.img");
    std::fs::write(&keep, b"old").unwrap();
    let o = mvi(&["ufs", s(&big), "-o", s(&keep), "--size", "2M"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&keep).unwrap(), b"old");
}

fn euid() -> u32 {
    // No libc dependency: ask the shell.
    let o = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8(o.stdout).unwrap().trim().parse().unwrap()
}

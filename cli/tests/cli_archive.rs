//! `mvi archive` against GNU gzip as the oracle: every archive passes
//! `gzip -t` and `zcat` gives back the exact input (empty, one byte, sizes
//! around the 1 MiB chunks and the 32 KiB window, random, compressible, a
//! real UFS image); the bytes are the same for 1, 2 and 8 threads; the
//! header is `gzip -9n`'s and the size is within 0.5 % of it; the `.hash`
//! file is `sha1sum`'s digest; bad input is one line, exit 2, no output.
//!
//! The oracle tools (gzip, zcat, sha1sum) fail the test when missing; they
//! are never skipped (`scripts/setup-test-deps.sh` installs them).

use mvi::archive::{compress, GzipOptions, DEFAULT_CHUNK_SIZE, DICTIONARY_SIZE};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const MVI: &str = env!("CARGO_BIN_EXE_mvi");
const MIB: usize = 1 << 20;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn mvi(args: &[&str]) -> Output {
    Command::new(MVI).args(args).output().expect("run mvi")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Run an oracle tool; a missing tool fails the test.
fn oracle(prog: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{prog}: {e}; run scripts/setup-test-deps.sh to install the test oracles")
        });
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

/// `gzip -t FILE` passes and `zcat FILE` is exactly `expect`.
fn check_with_gzip(gz: &Path, expect: &[u8]) {
    let t = oracle("gzip", &["-t", s(gz)], b"");
    assert!(
        t.status.success(),
        "gzip -t {}: {}",
        gz.display(),
        stderr(&t)
    );
    let z = oracle("zcat", &[s(gz)], b"");
    assert!(z.status.success(), "zcat {}: {}", gz.display(), stderr(&z));
    assert_eq!(
        z.stdout.len(),
        expect.len(),
        "zcat length of {}",
        gz.display()
    );
    assert!(
        z.stdout == expect,
        "zcat {} differs from the input",
        gz.display()
    );
}

/// xorshift64* bytes: incompressible.
fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Text-like bytes with repeats near and far (compressible about 3:1).
fn text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "kernel",
        "platform",
        "i86pc",
        "amd64",
        "unix",
        "boot_archive",
        "usr",
        "lib",
        "etc",
        "svc",
        "manifest",
        "system",
        "console",
        "ttya",
        "illumos",
        "minimal",
        "viable",
        "drv",
        "misc",
        "fs",
        "ufs",
        "grub",
        "menu.lst",
        "0x1BADB002",
        "module",
        "title",
        "\n",
        "\n\t",
        "=",
        "/",
    ];
    let r = random(len / 2 + 16, seed);
    let mut out = Vec::with_capacity(len + 32);
    let mut i = 0;
    while out.len() < len {
        let b = r[i % r.len()] as usize;
        i += 1;
        out.extend_from_slice(WORDS[b % WORDS.len()].as_bytes());
        out.push(if b & 0x40 != 0 { b' ' } else { b'/' });
        if b.is_multiple_of(17) {
            out.push(r[(i * 7) % r.len()]);
        }
    }
    out.truncate(len);
    out
}

/// A UFS image made by ufsimg from a generated tree: superblock, cylinder
/// groups, inodes and directories (mostly zeros), text and random files.
fn ufs_image() -> Vec<u8> {
    use fstree::{Data, Kind, Node, Tree, ROOT};
    let file = |data: Vec<u8>| Node {
        kind: Kind::File {
            size: data.len() as u64,
            data: Data::Bytes(data.into()),
        },
        perm: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
    };
    let dir = || Node {
        kind: Kind::Dir(vec![]),
        perm: 0o755,
        uid: 0,
        gid: 0,
        mtime: 0,
    };
    let mut t = Tree::new(1_451_606_400);
    let etc = t.add(ROOT, b"etc", dir()).unwrap();
    t.add(etc, b"motd", file(b"minimal viable illumos\n".to_vec()))
        .unwrap();
    let usr = t.add(ROOT, b"usr", dir()).unwrap();
    for i in 0..40u64 {
        let len = 1000 + (i as usize * 7919) % 60_000;
        let data = if i % 3 == 0 {
            random(len, i)
        } else {
            text(len, i)
        };
        t.add(usr, format!("f{i}").as_bytes(), file(data)).unwrap();
    }
    t.add(usr, b"big", file(text(3 * MIB + 12345, 99))).unwrap();
    let layout = ufsimg::plan(&t, &ufsimg::Params::default()).unwrap();
    let mut img = Vec::new();
    ufsimg::write(&layout, &t, &mut img).unwrap();
    img
}

/// `mvi archive` of `data` (in a fresh directory), checked by gzip; returns
/// the archive's bytes.
fn archive(data: &[u8], extra: &[&str]) -> Vec<u8> {
    let d = tempfile::tempdir().unwrap();
    let img = d.path().join("img");
    let gz = d.path().join("boot_archive");
    std::fs::write(&img, data).unwrap();
    let mut args = vec!["-q", "archive", s(&img), "-o", s(&gz)];
    args.extend_from_slice(extra);
    let o = mvi(&args);
    assert!(o.status.success(), "mvi {args:?}: {}", stderr(&o));
    check_with_gzip(&gz, data);
    std::fs::read(&gz).unwrap()
}

#[test]
fn gzip_reads_back_every_size_and_kind() {
    let c = DEFAULT_CHUNK_SIZE;
    let w = DICTIONARY_SIZE;
    let sizes = [
        0,
        1,
        2,
        w - 1,
        w,
        w + 1,
        2 * w + 1,
        c - 1,
        c,
        c + 1,
        c + w - 1,
        c + w,
        c + w + 1,
        2 * c - 1,
        2 * c,
        2 * c + 1,
        3 * c + 5,
    ];
    for &n in &sizes {
        archive(&random(n, n as u64), &[]);
        archive(&text(n, n as u64), &[]);
    }
    archive(&vec![0u8; 5 * c + 3], &[]);
    archive(&ufs_image(), &[]);
}

#[test]
fn same_bytes_for_any_thread_count() {
    let mut data = text(5 * MIB + 777, 5);
    data.extend(random(MIB / 2, 6));
    data.extend(std::iter::repeat_n(0u8, MIB));
    let one = archive(&data, &["--threads", "1"]);
    for t in ["2", "8"] {
        assert!(archive(&data, &["--threads", t]) == one, "--threads {t}");
    }
    assert!(archive(&data, &[]) == one, "default threads");
    // The library with the same options writes the same member.
    let mut lib = Vec::new();
    compress(&data[..], &mut lib, &GzipOptions::default()).unwrap();
    assert!(lib == one);
    let ufs = ufs_image();
    let a = archive(&ufs, &["--threads", "1"]);
    assert!(archive(&ufs, &["--threads", "2"]) == a);
    assert!(archive(&ufs, &["--threads", "8"]) == a);
}

#[test]
fn header_and_size_match_gzip_9n() {
    let ufs = ufs_image();
    let ours = archive(&ufs, &[]);
    let gz = oracle("gzip", &["-9n"], &ufs);
    assert!(gz.status.success());
    // Same ten header bytes: no name, MTIME 0, XFL 2, OS 3.
    assert_eq!(ours[..10], gz.stdout[..10]);
    assert_eq!(&ours[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    // Same trailer: CRC-32 and ISIZE.
    assert_eq!(ours[ours.len() - 8..], gz.stdout[gz.stdout.len() - 8..]);
    let ratio = ours.len() as f64 / gz.stdout.len() as f64;
    eprintln!(
        "UFS image {} bytes: mvi {} bytes, gzip -9n {} bytes, ratio {ratio:.4}",
        ufs.len(),
        ours.len(),
        gz.stdout.len()
    );
    assert!(ratio <= 1.005, "mvi archive is {ratio:.4}x gzip -9n");
    // Other levels: XFL as gzip writes it, and gzip still reads them.
    for (level, xfl) in [("1", 4u8), ("6", 0)] {
        let a = archive(&ufs, &["--level", level]);
        let g = oracle("gzip", &["-n", &format!("-{level}")], &ufs);
        assert_eq!(a[8], xfl);
        assert_eq!(a[..10], g.stdout[..10], "level {level}");
    }
}

#[test]
fn hash_file_is_the_sha1_of_the_image() {
    let d = tempfile::tempdir().unwrap();
    let img = d.path().join("img");
    let data = ufs_image();
    std::fs::write(&img, &data).unwrap();
    let gz = d.path().join("boot_archive");
    let o = mvi(&["archive", s(&img), "-o", s(&gz), "--hash"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let hash = std::fs::read_to_string(d.path().join("boot_archive.hash")).unwrap();
    let sum = oracle("sha1sum", &[s(&img)], b"");
    assert!(sum.status.success());
    let want = String::from_utf8(sum.stdout).unwrap();
    let want = want.split_whitespace().next().unwrap();
    assert_eq!(hash, format!("{want}\n"));
    assert_eq!(hash.len(), 41);
    assert!(hash[..40]
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    // The report names both files.
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("gzip level 9") && out.contains(&format!("sha1 {want}")),
        "{out}"
    );
    check_with_gzip(&gz, &data);
    // Without --hash no hash file, and the archive is the same.
    let gz2 = d.path().join("b2");
    let o = mvi(&["-q", "archive", s(&img), "-o", s(&gz2)]);
    assert!(o.status.success() && o.stdout.is_empty());
    assert!(!d.path().join("b2.hash").exists());
    assert!(std::fs::read(&gz).unwrap() == std::fs::read(&gz2).unwrap());
}

/// Bad input: one line on stderr, exit 2, nothing left in the output directory.
fn expect_bad(args: &[&str], want: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let gz = out.path().join("boot_archive");
    let mut all = vec!["archive"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", s(&gz), "--hash"]);
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
    let img = d.path().join("img");
    std::fs::write(&img, b"an image").unwrap();
    expect_bad(
        &[s(&d.path().join("missing"))],
        &["missing", "No such file"],
    );
    expect_bad(&[s(d.path())], &["is a directory"]);
    expect_bad(
        &[s(&img), "--level", "0"],
        &["level 0 is out of range (1 to 9)"],
    );
    expect_bad(
        &[s(&img), "--level", "10"],
        &["level 10 is out of range (1 to 9)"],
    );
    expect_bad(
        &[s(&img), "--threads", "0"],
        &["thread count 0 is out of range"],
    );
    // An image that cannot be read: /proc/self/mem at offset 0 gives EIO.
    expect_bad(&["/proc/self/mem"], &["/proc/self/mem"]);
    // Output directory missing.
    let o = mvi(&[
        "archive",
        s(&img),
        "-o",
        s(&d.path().join("nodir/boot_archive")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("output directory does not exist"));
    // A failed run leaves an existing archive and hash file untouched.
    let gz = d.path().join("boot_archive");
    std::fs::write(&gz, b"old archive").unwrap();
    std::fs::write(d.path().join("boot_archive.hash"), b"old hash\n").unwrap();
    let o = mvi(&["archive", "/proc/self/mem", "-o", s(&gz), "--hash"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&gz).unwrap(), b"old archive");
    assert_eq!(
        std::fs::read(d.path().join("boot_archive.hash")).unwrap(),
        b"old hash\n"
    );
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "temporary files left: {names:?}");
}

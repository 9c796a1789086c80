//! Cross-check of the two manifest implementations on the host: the guest
//! program (`tests/oracle/manifest.c`, run here on a host directory) and
//! [`tree_manifest`] of an [`fstree::walk`] of the same directory must print
//! the same text. Each is then trusted to check the other side of the oracle.

use crate::cache::manifest_program;
use crate::manifest::{manifest_diff, tree_manifest};
use fstree::{walk, Data, Kind, Node, Tree, WalkOptions, ROOT};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

fn run_c_manifest(dir: &Path) -> String {
    let prog = manifest_program().unwrap();
    let out = Command::new(&prog).arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "{} {} failed: {:?}\n{}",
        prog.display(),
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("manifest output is ASCII")
}

fn host_manifest(dir: &Path) -> String {
    let tree = walk(
        dir,
        &WalkOptions {
            preserve_owner: true,
            time: i64::MAX,
        },
    )
    .unwrap();
    tree_manifest(&tree)
}

fn assert_same(dir: &Path) -> String {
    let c = run_c_manifest(dir);
    let rust = host_manifest(dir);
    assert!(
        c == rust,
        "C and Rust manifests differ:\n{}",
        manifest_diff(&rust, &c, 20)
    );
    c
}

fn p(dir: &Path, name: &[u8]) -> std::path::PathBuf {
    dir.join(OsStr::from_bytes(name))
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn odd_names_links_and_special_files() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let names: [&[u8]; 9] = [
        b"plain",
        b"with space",
        b"new\nline",
        b"\xff\xfe not utf-8",
        b"back\\slash",
        b"a-b",
        b"a.b",
        b"tab\there",
        b"\x7fdel~",
    ];
    for (i, n) in names.iter().enumerate() {
        std::fs::write(p(r, n), format!("file {i}\n")).unwrap();
        chmod(&p(r, n), 0o644);
    }
    // "a/b" sorts after "a-b" and "a.b" by raw path bytes.
    std::fs::create_dir(r.join("a")).unwrap();
    std::fs::write(r.join("a/b"), b"").unwrap();
    std::fs::create_dir(r.join("empty")).unwrap();
    let long = vec![b'L'; 255];
    std::fs::write(p(r, &long), b"long name").unwrap();
    std::fs::create_dir(p(r, b"dir \\ \x01")).unwrap();
    // Hard links across directories.
    std::fs::write(r.join("a/orig"), b"linked").unwrap();
    chmod(&r.join("a/orig"), 0o644);
    std::fs::hard_link(r.join("a/orig"), r.join("hard1")).unwrap();
    std::fs::hard_link(r.join("a/orig"), p(r, b"dir \\ \x01/hard 2")).unwrap();
    // Symlinks: relative, absolute, dangling, odd bytes, long.
    symlink("a/orig", r.join("sym-rel")).unwrap();
    symlink("/etc/passwd", r.join("sym-abs")).unwrap();
    symlink("nowhere", r.join("sym-dangling")).unwrap();
    symlink(OsStr::from_bytes(b"odd \\ \n\xff"), r.join("sym-odd")).unwrap();
    symlink(OsStr::from_bytes(&vec![b'x'; 1000]), r.join("sym-long")).unwrap();
    symlink("a", r.join("sym-dir")).unwrap();
    // A fifo and a socket.
    let st = Command::new("mkfifo").arg(r.join("fifo")).status().unwrap();
    assert!(st.success());
    let _sock = std::os::unix::net::UnixListener::bind(r.join("sock")).unwrap();
    // Devices need root (the CI machines run as root).
    let is_root = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        == 0;
    if is_root {
        for (name, t, maj, min) in [("cdev", "c", "1", "3"), ("bdev", "b", "259", "65537")] {
            let st = Command::new("mknod")
                .arg(r.join(name))
                .args([t, maj, min])
                .status()
                .unwrap();
            assert!(st.success(), "mknod {name}");
        }
        std::os::unix::fs::chown(r.join("plain"), Some(1234), Some(56789)).unwrap();
        std::os::unix::fs::lchown(r.join("sym-rel"), Some(7), Some(8)).unwrap();
    }
    // Permission bits.
    chmod(&r.join("plain"), 0o4755);
    chmod(&r.join("with space"), 0o2640);
    chmod(&r.join("empty"), 0o1777);
    chmod(&r.join("a.b"), 0o400);

    let m = assert_same(r);
    // Spot checks of the shared text itself.
    assert!(m.contains("\nnew\\012line f 0644 "), "{m}");
    assert!(m.contains("\n\\377\\376\\040not\\040utf-8 f "), "{m}");
    assert!(m.contains("\nback\\\\slash f "), "{m}");
    assert!(m.contains("\nempty d 1777 "), "{m}");
    let hard1 = m.lines().find(|l| l.starts_with("hard1 ")).unwrap();
    let f: Vec<&str> = hard1.split(' ').collect();
    assert_eq!((f[1], f[2], f[5], f[6]), ("f", "0644", "6", "3"), "{hard1}");
    assert!(m.contains(" - - - odd\\040\\\\\\040\\012\\377\n"), "{m}");
    assert!(m.contains("\nfifo p "), "{m}");
    assert!(m.contains("\nsock s "), "{m}");
    if is_root {
        assert!(m.contains("\ncdev c 0644 0 0 - 1 1 3 - -\n"), "{m}");
        assert!(m.contains("\nbdev b 0644 0 0 - 1 259 65537 - -\n"), "{m}");
        assert!(m.contains("\nplain f 4755 1234 56789 7 1 - - "), "{m}");
    }
    let order: Vec<&str> = m.lines().map(|l| l.split(' ').next().unwrap()).collect();
    let ia = order.iter().position(|&x| x == "a").unwrap();
    let iab = order.iter().position(|&x| x == "a/b").unwrap();
    let idash = order.iter().position(|&x| x == "a-b").unwrap();
    let idot = order.iter().position(|&x| x == "a.b").unwrap();
    assert!(ia < idash && idash < idot && idot < iab, "{order:?}");
}

#[test]
fn big_directories_deep_trees_and_a_large_file() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    // 2500 entries in one directory, every 100th a subdirectory.
    std::fs::create_dir(r.join("many")).unwrap();
    for i in 0..2500 {
        let path = r.join(format!("many/entry-{i:05}-{}", "n".repeat(i % 200)));
        if i % 100 == 0 {
            std::fs::create_dir(path).unwrap();
        } else {
            std::fs::write(path, i.to_string()).unwrap();
        }
    }
    // Depth 45.
    let mut deep = r.join("deep");
    for i in 0..45 {
        deep.push(format!("level{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("bottom"), b"at the bottom\n").unwrap();
    // ~50 MB of pseudo-random bytes, written in pieces.
    {
        use std::io::Write;
        let mut f = std::fs::File::create(r.join("big")).unwrap();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut chunk = vec![0u8; 1 << 20];
        for _ in 0..50 {
            for b in chunk.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"odd tail").unwrap();
    }
    let m = assert_same(r);
    assert_eq!(m.lines().count(), 1 + 2500 + 1 + 45 + 1 + 1);
    // The C hash of the large file agrees with sha256sum as well.
    let out = Command::new("sha256sum")
        .arg(r.join("big"))
        .output()
        .unwrap();
    let want = String::from_utf8_lossy(&out.stdout);
    let want = want.split(' ').next().unwrap();
    let line = m.lines().find(|l| l.starts_with("big ")).unwrap();
    assert_eq!(line.split(' ').nth(9), Some(want), "{line}");
}

/// Paths longer than `PATH_MAX` (20 levels of 250-byte names, made with
/// relative `mkdir`s since no single path may name them) are walked by the C
/// program; compared with a tree built by hand, as `fstree::walk` uses full
/// paths.
#[test]
fn paths_beyond_path_max() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let meta = std::fs::metadata(r).unwrap();
    let (uid, gid) = (meta.uid(), meta.gid());
    let depth = 20;
    let name = |i: usize| format!("{i:02}{}", "d".repeat(248));
    // bash turns a `cd` beyond PATH_MAX into a relative chdir (dash fails).
    let mut script = String::from("set -e; umask 022; cd -P \"$1\"\n");
    for i in 0..depth {
        script.push_str(&format!("mkdir {0}; chmod 0755 {0}; cd -P {0}\n", name(i)));
    }
    script.push_str("printf 'deep\\n' > file; chmod 0644 file\n");
    let st = Command::new("bash")
        .args(["-c", &script, "bash"])
        .arg(r)
        .status()
        .unwrap();
    assert!(st.success());

    let mut tree = Tree::new(0);
    let mut cur = ROOT;
    for i in 0..depth {
        let node = Node {
            kind: Kind::Dir(vec![]),
            perm: 0o755,
            uid,
            gid,
            mtime: 0,
        };
        cur = tree.add(cur, name(i).as_bytes(), node).unwrap();
    }
    let file = Node {
        kind: Kind::File {
            size: 5,
            data: Data::Bytes(b"deep\n"[..].into()),
        },
        perm: 0o644,
        uid,
        gid,
        mtime: 0,
    };
    tree.add(cur, b"file", file).unwrap();
    let c = run_c_manifest(r);
    let want = tree_manifest(&tree);
    assert!(c == want, "{}", manifest_diff(&want, &c, 5));
    assert!(c.lines().last().unwrap().len() > 5000);
}

/// The program's usage and error exits.
#[test]
fn c_program_errors() {
    let prog = manifest_program().unwrap();
    let out = Command::new(&prog).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(&prog)
        .arg("/nonexistent/mvi")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/mvi"));
}

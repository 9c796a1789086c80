//! `mvi ls`, `mvi cat` and `mvi check` on hostile images (issue 7): plain
//! and gzip'd UFS and ISO images patched into loops, huge claimed sizes,
//! pointers outside the image, damaged or explosive gzip. Each run must end
//! within a few seconds under a 512 MiB address-space limit, with exit 2
//! and one `mvi: error:` line (ls, cat) or exit 1 and named problems
//! (check); never a panic.
//!
//! And no path traversal: mvi has no command that writes a file named by
//! an image (`cat` writes to standard output only; there is no extraction),
//! so entries named `../x` or `a/../../b` in an image (on disk, or in Rock
//! Ridge `NM`) are only listed, escaped; running every command on them
//! leaves the directory around the image byte for byte as it was.

use fstree::{Kind, Node, Tree, ROOT};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MVI: &str = env!("CARGO_BIN_EXE_mvi");
const T: i64 = 1_700_000_000;

/// Run mvi under `ulimit -v 512 MiB`, in `cwd`, and time it.
fn mvi_in(cwd: &Path, args: &[&str]) -> Output {
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 524288 && exec \"$0\" \"$@\"")
        .arg(MVI)
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run mvi");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(10), "mvi {args:?} took {took:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "mvi {args:?} panicked: {err}");
    out
}

fn bytes(n: usize) -> Arc<[u8]> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

fn tree() -> Tree {
    let mut t = Tree::new(T);
    t.add(ROOT, b"a", Node::file(bytes(5000), 0o644, T))
        .unwrap();
    t.add(ROOT, b"abcd", Node::file(bytes(7), 0o644, T))
        .unwrap();
    t.add_path(b"sub/deep/f", Node::file(bytes(10), 0o644, T))
        .unwrap();
    t.add(
        ROOT,
        b"link",
        Node {
            kind: Kind::Symlink(b"link".to_vec()),
            perm: 0o777,
            uid: 0,
            gid: 0,
            mtime: T,
        },
    )
    .unwrap();
    t
}

fn ufs() -> Vec<u8> {
    let t = tree();
    let params = ufsimg::Params {
        size: ufsimg::SizeSpec::Auto { slack_pct: 10 },
        nbpi: 16384,
        time: T,
        lost_found: false,
    };
    let layout = ufsimg::plan(&t, &params).unwrap();
    let mut img = Vec::new();
    ufsimg::write(&layout, &t, &mut img).unwrap();
    img
}

fn iso() -> Vec<u8> {
    let t = tree();
    let opts = iso9660::Options {
        time: T,
        ..Default::default()
    };
    let layout = iso9660::plan(&t, &opts).unwrap();
    let mut img = Vec::new();
    iso9660::write(&layout, &t, &mut img).unwrap();
    img
}

fn gzip(img: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(img).unwrap();
    e.finish().unwrap()
}

fn ufs_inode_at(img: &[u8], path: &[u8]) -> usize {
    let r = ufsimg::Reader::open(img).unwrap();
    let ino = r.lookup(path).unwrap();
    r.locator().inode_offset(u64::from(ino)).unwrap() as usize
}

/// Byte offset of the directory entry `name` in UFS directory `dir`.
fn ufs_dirent_at(img: &[u8], dir: &[u8], name: &[u8]) -> usize {
    let r = ufsimg::Reader::open(img).unwrap();
    let d = r.inode(r.lookup(dir).unwrap()).unwrap();
    let base = (d.db[0] as u64 * r.locator().fsize) as usize;
    let mut loc = 0;
    loop {
        let at = base + loc;
        let namlen = u16::from_le_bytes([img[at + 6], img[at + 7]]) as usize;
        if &img[at + 8..at + 8 + namlen] == name {
            return at;
        }
        loc += u16::from_le_bytes([img[at + 4], img[at + 5]]) as usize;
        assert!(loc < d.size as usize, "no entry");
    }
}

fn iso_record_of(img: &[u8], path: &[u8]) -> usize {
    let r = iso9660::read::IsoReader::open(img).unwrap();
    r.stat(path).unwrap().record_offset as usize
}

fn both32(img: &mut [u8], at: usize, v: u32) {
    img[at..at + 4].copy_from_slice(&v.to_le_bytes());
    img[at + 4..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// A scratch directory holding one image file `img` and a `work/` cwd.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
    img: PathBuf,
}

fn sandbox(name: &str, bytes: &[u8]) -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir(root.join("work")).unwrap();
    let img = root.join(name);
    std::fs::write(&img, bytes).unwrap();
    Sandbox {
        _dir: dir,
        root,
        img,
    }
}

/// Every path under `root` with its contents (directories as empty).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p.clone());
                out.insert(p, Vec::new());
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Run ls, ls -R, cat of `paths` and check on the sandbox's image.
/// Returns (ls -R, check) outputs; asserts nothing was written.
fn inspect_all(sb: &Sandbox, paths: &[&str]) -> Vec<Output> {
    let before = snapshot(&sb.root);
    let img = sb.img.to_str().unwrap();
    let work = sb.root.join("work");
    let mut outs = vec![
        mvi_in(&work, &["ls", img]),
        mvi_in(&work, &["ls", "-R", img]),
        mvi_in(&work, &["check", img]),
    ];
    for p in paths {
        outs.push(mvi_in(&work, &["cat", img, p]));
        outs.push(mvi_in(&work, &["ls", img, p]));
    }
    assert_eq!(snapshot(&sb.root), before, "mvi wrote beside the image");
    outs
}

/// Exit status 2 and exactly one `mvi: error:` line naming `what`.
fn assert_error(o: &Output, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("mvi: error: "), "{err}");
    assert!(err.contains(what), "wanted {what:?} in {err}");
}

/// `check`: exit 1, problem lines on stdout, the count on stderr.
fn assert_check_fails(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("problem(s)"));
    out
}

#[test]
fn ufs_directory_loop() {
    let mut img = ufs();
    let at = ufs_dirent_at(&img, b"/sub", b"deep");
    img[at..at + 4].copy_from_slice(&2u32.to_le_bytes());
    for (name, bytes) in [("loop.img", img.clone()), ("loop.img.gz", gzip(&img))] {
        let sb = sandbox(name, &bytes);
        let o = inspect_all(&sb, &["/sub/deep/sub/deep/sub/deep/a"]);
        assert!(o[0].status.success(), "plain ls still lists the root");
        assert_error(&o[1], "reached a second time");
        assert_check_fails(&o[2]);
        // The loop leads back to the root, so /a is there: cat works.
        assert!(o[3].status.success());
        assert_eq!(o[3].stdout, bytes_of(5000));
    }
}

fn bytes_of(n: usize) -> Vec<u8> {
    bytes(n).to_vec()
}

#[test]
fn ufs_huge_sparse_size() {
    let mut img = ufs();
    let at = ufs_inode_at(&img, b"/a");
    img[at + 8..at + 16].copy_from_slice(&((1u64 << 40) - 1).to_le_bytes());
    let sb = sandbox("huge.img", &img);
    let o = inspect_all(&sb, &["/a"]);
    assert_check_fails(&o[2]);
    assert_error(&o[3], "a sparse file mvi does not read");
    assert!(
        o[3].stdout.len() <= 8192,
        "cat stopped before streaming zeros"
    );
}

#[test]
fn ufs_block_pointer_outside_the_image() {
    let mut img = ufs();
    let at = ufs_inode_at(&img, b"/a");
    img[at + 40..at + 44].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let sb = sandbox("ptr.img", &img);
    let o = inspect_all(&sb, &["/a"]);
    assert!(assert_check_fails(&o[2]).contains("inode"));
    assert_error(&o[3], "pass the end of the file system");
}

#[test]
fn ufs_huge_inode_count() {
    let mut img = ufs();
    img[8192 + 184..8192 + 188].copy_from_slice(&0x7fff_fff8u32.to_le_bytes());
    let sb = sandbox("ipg.img", &img);
    let o = inspect_all(&sb, &["/a"]);
    assert_error(&o[0], "not a readable UFS image");
    assert!(assert_check_fails(&o[2]).contains("fs_ipg"));
    assert_error(&o[3], "not a readable UFS image");
}

#[test]
fn ufs_truncated() {
    let img = ufs();
    for cut in [0, 100, 8192 + 1000, 20_000, img.len() / 2] {
        let sb = sandbox("cut.img", &img[..cut]);
        let o = inspect_all(&sb, &["/a", "/sub/deep/f"]);
        assert_check_fails(&o[2]);
        assert_eq!(o[3].status.code(), Some(2), "cut {cut}");
    }
}

#[test]
fn iso_directory_loop_and_bad_extent() {
    let mut img = iso();
    let root = u32::from_le_bytes(img[16 * 2048 + 158..16 * 2048 + 162].try_into().unwrap());
    let deep = iso_record_of(&img, b"/sub/deep");
    both32(&mut img, deep + 2, root);
    let a = iso_record_of(&img, b"/a");
    both32(&mut img, a + 10, u32::MAX);
    for (name, bytes) in [("loop.iso", img.clone()), ("loop.iso.gz", gzip(&img))] {
        let sb = sandbox(name, &bytes);
        let o = inspect_all(&sb, &["/a", "/sub/deep/sub/deep/abcd"]);
        assert_error(&o[1], "reached twice");
        assert!(assert_check_fails(&o[2]).contains("dir-loop") || !o[2].stdout.is_empty());
        assert_error(&o[3], "passes the end");
        assert!(
            o[5].status.success(),
            "the loop leads back to the root's abcd"
        );
    }
}

#[test]
fn iso_truncated() {
    let img = iso();
    for cut in [0, 16 * 2048 + 100, 17 * 2048, img.len() / 3] {
        let sb = sandbox("cut.iso", &img[..cut]);
        let o = inspect_all(&sb, &["/a"]);
        assert_check_fails(&o[2]);
    }
}

#[test]
fn gzip_damaged_truncated_and_empty() {
    let gz = gzip(&ufs());
    let mut bad_crc = gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0xff;
    for (what, bytes) in [
        ("truncated", gz[..gz.len() / 2].to_vec()),
        ("bad crc", bad_crc),
        ("header only", gz[..10].to_vec()),
    ] {
        let sb = sandbox("bad.gz", &bytes);
        let o = inspect_all(&sb, &["/a"]);
        for out in &o {
            assert_error(out, "gzip data is damaged");
        }
        let _ = what;
    }
}

#[test]
fn gzip_of_a_huge_zero_image_is_bounded() {
    // 64 MiB of zeros (about 64 KiB of gzip): inflated to a temporary
    // file, not memory, under the 512 MiB address-space limit; not an image.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        e.write_all(&zeros).unwrap();
    }
    let sb = sandbox("zeros.gz", &e.finish().unwrap());
    let o = inspect_all(&sb, &["/a"]);
    assert_error(&o[0], "not a readable UFS image");
    assert_check_fails(&o[2]);
}

#[test]
fn names_that_climb_out_are_only_listed() {
    // A UFS entry renamed on disk to "../x" (the 4 bytes of "abcd"), one
    // to "a/.." + "/" tricks, and an ISO whose Rock Ridge NM says
    // "../../x": ls shows them escaped, cat cannot address them (lookup
    // splits on '/', and ".." is the directory's own entry), nothing is
    // written anywhere.
    let mut img = ufs();
    let at = ufs_dirent_at(&img, b"/", b"abcd");
    img[at + 8..at + 12].copy_from_slice(b"../x");
    let sb = sandbox("names.img", &img);
    let o = inspect_all(&sb, &["../x", "/../x", "/sub/../../x", "../../../../tmp/x"]);
    let listing = String::from_utf8_lossy(&o[0].stdout);
    assert!(listing.contains(" ../x"), "{listing}");
    for out in &o[3..] {
        assert_ne!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(!sb.root.join("x").exists() && !sb.root.join("work/x").exists());

    let mut img = iso();
    let nm = img
        .windows(4)
        .position(|w| w == b"NM\x09\x01")
        .expect("an NM entry of a 4-byte name");
    img[nm + 5..nm + 9].copy_from_slice(b"../x");
    let sb = sandbox("names.iso", &img);
    let o = inspect_all(&sb, &["../x", "/../x"]);
    let listing = String::from_utf8_lossy(&o[0].stdout);
    assert!(listing.contains(" ../x"), "{listing}");
    assert!(!sb.root.join("x").exists() && !sb.root.join("work/x").exists());
}

#[test]
fn deep_long_paths_end_ls_recursive() {
    // 1,000 nested directories with 250-byte names: every path together
    // would be 125 MB of a 3 MB image; ls -R stops at the walk's budget,
    // plain ls and check still work.
    let mut t = Tree::new(T);
    let mut cur = ROOT;
    for i in 0..1000u32 {
        let mut name = vec![b'd'; 250];
        name[..4].copy_from_slice(&i.to_be_bytes().map(|b| b'a' + b % 26));
        cur = t.add(cur, &name, Node::dir(0o755, T)).unwrap();
    }
    let layout = iso9660::plan(
        &t,
        &iso9660::Options {
            time: T,
            ..Default::default()
        },
    )
    .unwrap();
    let mut iso = Vec::new();
    iso9660::write(&layout, &t, &mut iso).unwrap();
    let params = ufsimg::Params {
        size: ufsimg::SizeSpec::Auto { slack_pct: 0 },
        nbpi: 2048,
        time: T,
        lost_found: false,
    };
    let layout = ufsimg::plan(&t, &params).unwrap();
    let mut ufs = Vec::new();
    ufsimg::write(&layout, &t, &mut ufs).unwrap();
    for (name, img) in [("deep.iso", iso), ("deep.img", ufs)] {
        let sb = sandbox(name, &img);
        let o = inspect_all(&sb, &[]);
        assert!(o[0].status.success(), "{name}: ls");
        assert_error(&o[1], "paths total more than");
    }
}

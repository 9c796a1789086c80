//! Hostile images (issue 7): a valid image from the writer, patched into a
//! directory loop, claimed sizes and counts far beyond the image, block
//! pointers outside it, a symlink loop, and truncations. Every reader
//! operation and the checker must end quickly with a named diagnostic, never
//! panic, and never allocate in proportion to a size the image only claims:
//! a counting allocator bounds the largest single allocation of each case by
//! the image's real length.

use fstree::{Data, Kind, Node, Tree, ROOT};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ufsimg::format::*;
use ufsimg::{Params, Reader, SizeSpec};

/// Records, per thread while armed (so parallel tests do not see each
/// other's), the largest single allocation and the peak of bytes allocated
/// and not yet freed.
struct Largest;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = ARMED.try_with(|a| {
        if a.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
            let _ = LIVE.try_with(|l| {
                l.set(l.get() + size as isize);
                let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
            });
        }
    });
}

fn forget(size: usize) {
    let _ = ARMED.try_with(|a| {
        if a.get() {
            let _ = LIVE.try_with(|l| l.set(l.get() - size as isize));
        }
    });
}

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        forget(layout.size());
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        forget(layout.size());
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOC: Largest = Largest;

const T: i64 = 1_700_000_000;

fn node(kind: Kind, perm: u16) -> Node {
    Node {
        kind,
        perm,
        uid: 0,
        gid: 0,
        mtime: T,
    }
}

/// `/a` (5000 bytes), `/big` (past the direct blocks), `/sub/deep/f`,
/// `/link` -> `link` (a symlink to itself), `/chain1` -> `chain2` -> `chain1`.
fn image() -> Vec<u8> {
    let mut t = Tree::new(T);
    let bytes = |n: usize| -> Arc<[u8]> { (0..n).map(|i| (i % 251) as u8).collect() };
    t.add(ROOT, b"a", Node::file(bytes(5000), 0o644, T))
        .unwrap();
    t.add(
        ROOT,
        b"big",
        node(
            Kind::File {
                size: 13 * 8192 + 5,
                data: Data::Bytes(bytes(13 * 8192 + 5)),
            },
            0o644,
        ),
    )
    .unwrap();
    t.add_path(b"sub/deep/f", Node::file(bytes(10), 0o644, T))
        .unwrap();
    t.add(ROOT, b"link", node(Kind::Symlink(b"link".to_vec()), 0o777))
        .unwrap();
    t.add(
        ROOT,
        b"chain1",
        node(Kind::Symlink(b"chain2".to_vec()), 0o777),
    )
    .unwrap();
    t.add(
        ROOT,
        b"chain2",
        node(Kind::Symlink(b"chain1".to_vec()), 0o777),
    )
    .unwrap();
    let params = Params {
        size: SizeSpec::Auto { slack_pct: 10 },
        nbpi: 16384,
        time: T,
        lost_found: false,
    };
    let layout = ufsimg::plan(&t, &params).unwrap();
    let mut img = Vec::new();
    ufsimg::write(&layout, &t, &mut img).unwrap();
    assert!(ufsimg::check(img.as_slice()).is_clean());
    img
}

/// Byte offset of inode `path`'s dinode.
fn inode_at(img: &[u8], path: &str) -> usize {
    let r = Reader::open(img).unwrap();
    let ino = r.lookup(path.as_bytes()).unwrap();
    r.locator().inode_offset(u64::from(ino)).unwrap() as usize
}

/// Byte offset of the directory entry named `name` in directory `dir`.
fn dirent_at(img: &[u8], dir: &str, name: &[u8]) -> usize {
    let r = Reader::open(img).unwrap();
    let ino = r.lookup(dir.as_bytes()).unwrap();
    let d = r.inode(ino).unwrap();
    let base = (d.db[0] as u64 * r.locator().fsize) as usize;
    let mut loc = 0;
    while loc < d.size as usize {
        let at = base + loc;
        let namlen = get_u16(img, at + 6) as usize;
        if &img[at + 8..at + 8 + namlen] == name {
            return at;
        }
        loc += get_u16(img, at + 4) as usize;
    }
    panic!("{dir}: no entry {}", String::from_utf8_lossy(name));
}

fn get_u16(img: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([img[at], img[at + 1]])
}

fn get_u32(img: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(img[at..at + 4].try_into().unwrap())
}

fn put_u32(img: &mut [u8], at: usize, v: u32) {
    img[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(img: &mut [u8], at: usize, v: u64) {
    img[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// What a case did: the reader errors met (one line each) and the
/// checker's problem codes.
#[derive(Debug, Default)]
struct Outcome {
    open: Option<String>,
    errors: Vec<String>,
    codes: Vec<&'static str>,
}

impl Outcome {
    fn error_has(&self, s: &str) -> bool {
        self.open.iter().chain(&self.errors).any(|e| e.contains(s))
    }
}

/// Everything `mvi ls -R`, `ls`, `cat` and `check` do, on `img`, within a
/// time and allocation bound.
fn exercise(img: &[u8], paths: &[&str]) -> Outcome {
    let start = Instant::now();
    LARGEST.with(|l| l.set(0));
    LIVE.with(|l| l.set(0));
    PEAK.with(|l| l.set(0));
    ARMED.with(|a| a.set(true));
    let mut out = Outcome::default();
    match Reader::open(img) {
        Err(e) => out.open = Some(e.to_string()),
        Ok(r) => {
            if let Err(e) = r.walk() {
                out.errors.push(format!("walk: {e}"));
            }
            for p in paths {
                let ino = match r.lookup(p.as_bytes()) {
                    Ok(i) => i,
                    Err(e) => {
                        out.errors.push(format!("lookup {p}: {e}"));
                        continue;
                    }
                };
                let Ok(st) = r.stat(ino) else { continue };
                let res = match st.mode & IFMT {
                    IFDIR => r.read_dir(ino).map(|_| ()),
                    IFLNK => r.read_link(ino).map(|_| ()),
                    _ => r.read_file(ino, &mut std::io::sink()).map(|_| ()),
                };
                if let Err(e) = res {
                    out.errors.push(format!("read {p}: {e}"));
                }
            }
        }
    }
    let report = ufsimg::check(img);
    out.codes = report.problems.iter().map(|p| p.code).collect();
    ARMED.with(|a| a.set(false));
    let largest = LARGEST.with(|l| l.get());
    let peak = PEAK.with(|l| l.get()) as usize;
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}: {out:?}");
    assert!(
        largest <= img.len().max(64 << 10),
        "largest single allocation {largest} bytes for a {}-byte image: {out:?}",
        img.len()
    );
    assert!(
        peak <= WALK_BUDGET + 4 * img.len(),
        "peak {peak} bytes live for a {}-byte image: {out:?}",
        img.len()
    );
    out
}

/// What the readers' walks may hold in paths beyond the image's length.
const WALK_BUDGET: usize = 64 << 20;

const PATHS: &[&str] = &[
    "/",
    "/a",
    "/big",
    "/sub",
    "/sub/deep",
    "/sub/deep/f",
    "/link",
];

#[test]
fn the_unpatched_image_is_clean() {
    let img = image();
    let o = exercise(&img, PATHS);
    assert!(
        o.open.is_none() && o.errors.is_empty() && o.codes.is_empty(),
        "{o:?}"
    );
}

#[test]
fn directory_loop_to_an_ancestor() {
    let mut img = image();
    // /sub/deep's entry "deep" now names the root: /sub/deep/sub/deep/...
    let at = dirent_at(&img, "/sub", b"deep");
    put_u32(&mut img, at, ROOTINO);
    let o = exercise(&img, &["/sub/deep/sub/deep/sub/deep/a", "/sub/deep"]);
    assert!(o.error_has("reached a second time"), "{o:?}");
    assert!(!o.codes.is_empty(), "{o:?}");
    assert!(
        o.codes.contains(&"dir-hardlink") || o.codes.contains(&"unreachable-dir"),
        "{o:?}"
    );
}

#[test]
fn directory_loop_to_itself() {
    let mut img = image();
    let sub = Reader::open(img.as_slice())
        .unwrap()
        .lookup(b"/sub")
        .unwrap();
    let at = dirent_at(&img, "/sub", b"deep");
    put_u32(&mut img, at, sub);
    let o = exercise(&img, &["/sub/deep/deep/deep/deep"]);
    assert!(o.error_has("reached a second time"), "{o:?}");
    assert!(!o.codes.is_empty(), "{o:?}");
}

#[test]
fn huge_file_size_with_no_blocks_behind_it() {
    // A file claiming 2^40-1 bytes, all but the first block holes: reading
    // it would stream a terabyte of zeros.
    let mut img = image();
    let at = inode_at(&img, "/a");
    put_u64(&mut img, at + 8, UFS_MAXOFFSET);
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("a sparse file mvi does not read"), "{o:?}");
    assert!(o.codes.contains(&"ic-blocks"), "{o:?}");
}

#[test]
fn file_size_past_the_ufs_maximum() {
    let mut img = image();
    let at = inode_at(&img, "/a");
    put_u64(&mut img, at + 8, u64::MAX);
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("larger than the UFS maximum"), "{o:?}");
    assert!(!o.codes.is_empty(), "{o:?}");
}

#[test]
fn huge_directory_size() {
    let mut img = image();
    let at = inode_at(&img, "/sub");
    put_u64(&mut img, at + 8, 1 << 39);
    let o = exercise(&img, &["/sub/deep"]);
    assert!(
        o.error_has("directories total more than the image"),
        "{o:?}"
    );
    assert!(o.error_has("directory ic_lsize"), "{o:?}");
    assert!(o.codes.contains(&"dir-hole"), "{o:?}");
}

#[test]
fn huge_symlink_size() {
    let mut img = image();
    let at = inode_at(&img, "/link");
    put_u64(&mut img, at + 8, 1 << 36);
    let o = exercise(&img, &["/link"]);
    assert!(o.error_has("symlink ic_lsize"), "{o:?}");
    assert!(o.codes.contains(&"symlink-length"), "{o:?}");
}

#[test]
fn direct_block_pointer_beyond_the_image() {
    let mut img = image();
    let at = inode_at(&img, "/a");
    put_u32(&mut img, at + 40, 0x7fff_fff0);
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("pass the end of the file system"), "{o:?}");
    assert!(o.codes.contains(&"block-range"), "{o:?}");
}

#[test]
fn negative_block_pointer() {
    let mut img = image();
    let at = inode_at(&img, "/a");
    put_u32(&mut img, at + 40, 0x8000_0000);
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("negative frag address"), "{o:?}");
    assert!(o.codes.contains(&"block-range"), "{o:?}");
}

#[test]
fn indirect_block_pointer_beyond_the_image() {
    let mut img = image();
    let at = inode_at(&img, "/big");
    put_u32(&mut img, at + 88, 0x7fff_0000);
    let o = exercise(&img, &["/big"]);
    assert!(o.error_has("indirect block"), "{o:?}");
    assert!(o.codes.contains(&"block-range"), "{o:?}");
}

#[test]
fn indirect_entry_beyond_the_image() {
    let mut img = image();
    let at = inode_at(&img, "/big");
    let ib = get_u32(&img, at + 88) as usize * 1024;
    put_u32(&mut img, ib, 0x7fff_0000);
    let o = exercise(&img, &["/big"]);
    assert!(o.error_has("indirect entry 0"), "{o:?}");
    assert!(o.codes.contains(&"block-range"), "{o:?}");
}

#[test]
fn directory_block_pointer_at_the_superblock() {
    // The root's block aimed at the superblock: entries that are not
    // entries must be refused, never looped over.
    let mut img = image();
    let at = inode_at(&img, "/");
    put_u32(&mut img, at + 40, 8);
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("d_reclen") || o.error_has("d_ino"), "{o:?}");
    assert!(!o.codes.is_empty(), "{o:?}");
}

#[test]
fn zero_reclen_directory_entry() {
    let mut img = image();
    let at = dirent_at(&img, "/", b"a");
    img[at + 4..at + 6].copy_from_slice(&0u16.to_le_bytes());
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("d_reclen is 0"), "{o:?}");
    assert!(o.codes.contains(&"dirent-reclen"), "{o:?}");
}

#[test]
fn symlink_loops_are_never_followed() {
    // The reader does not follow symlinks: a path through a looping link
    // stops at the link ("not a directory"), and reading it gives its target.
    let img = image();
    let o = exercise(&img, &["/link/x", "/chain1/y"]);
    assert_eq!(o.errors.len(), 2, "{o:?}");
    assert!(
        o.errors.iter().all(|e| e.contains("not a directory")),
        "{o:?}"
    );
    let r = Reader::open(img.as_slice()).unwrap();
    let ino = r.lookup(b"/chain1").unwrap();
    assert_eq!(r.read_link(ino).unwrap(), b"chain2");
}

#[test]
fn huge_inode_and_group_counts() {
    // (offset, field, value, whether the reader refuses to open): fs_fpg
    // only places cylinder groups after the first; fs_cpg, fs_ncyl and
    // fs_cssize (the summary area the reader never reads)
    // place nothing the reader uses. A one-group image stays readable;
    // the checker names every one.
    for (off, name, v, refused) in [
        (184, "fs_ipg", 0x7fff_fff8u32, true),
        (44, "fs_ncg", 0x7fff_ffff, true),
        (36, "fs_size", 0x7fff_ffff, true),
        (156, "fs_cssize", 0x7fff_fc00, false),
        (188, "fs_fpg", 0x7fff_fff8, false),
        (176, "fs_ncyl", 0x7fff_ffff, false),
        (180, "fs_cpg", 0x7fff, false),
    ] {
        let mut img = image();
        put_u32(&mut img, SBOFF as usize + off, v);
        let o = exercise(&img, PATHS);
        assert_eq!(o.open.is_some(), refused, "{name}: {o:?}");
        assert!(
            o.codes.contains(&"sb-geometry") || o.codes.contains(&"sb-field"),
            "{name}: {o:?}"
        );
    }
}

#[test]
fn truncated_at_many_offsets() {
    let img = image();
    let len = img.len();
    let r = Reader::open(img.as_slice()).unwrap();
    let a = r.locator().inode_offset(2).unwrap() as usize;
    // Bytes past fs_size frags (the image is rounded up) are not the file
    // system's: cutting there is harmless.
    let fs_end = (r.locator().size * r.locator().fsize) as usize;
    for cut in [
        0,
        1,
        8191,
        8192,
        8192 + 1380,
        16383,
        16384,
        a,
        a + 64,
        len / 4,
        len / 2,
        len - 8192,
        fs_end - 1,
    ] {
        let o = exercise(&img[..cut], PATHS);
        assert!(o.open.is_some() || !o.errors.is_empty(), "cut {cut}: {o:?}");
        assert!(
            o.codes.contains(&"image-short")
                || o.codes.contains(&"sb-geometry")
                || o.codes.contains(&"sb-magic"),
            "cut {cut}: {o:?}"
        );
    }
}

#[test]
fn deep_long_paths_hold_bounded_memory() {
    // 2,000 nested directories with 255-byte names: each path is up to
    // 510 KB, all of them together 510 MB, from an image of a few MiB.
    // The walk stops once its paths pass 64 MiB plus the image's length.
    let mut t = Tree::new(T);
    let mut cur = ROOT;
    for i in 0..2000u32 {
        let mut name = vec![b'd'; 255];
        name[..4].copy_from_slice(&i.to_be_bytes().map(|b| b'a' + b % 26));
        cur = t
            .add(cur, &name, node(Kind::Dir(Vec::new()), 0o755))
            .unwrap();
    }
    let params = Params {
        size: SizeSpec::Auto { slack_pct: 0 },
        nbpi: 2048,
        time: T,
        lost_found: false,
    };
    let layout = ufsimg::plan(&t, &params).unwrap();
    let mut img = Vec::new();
    ufsimg::write(&layout, &t, &mut img).unwrap();
    let o = exercise(&img, &["/"]);
    assert!(o.error_has("paths total more than"), "{o:?}");
    assert!(o.codes.is_empty(), "the image itself is sound: {o:?}");
}

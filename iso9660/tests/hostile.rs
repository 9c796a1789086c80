//! Hostile images (issue 7): a valid image from the writer, patched into a
//! directory loop (by extent and by Rock Ridge `CL`), huge data lengths,
//! extents and catalogs outside the image, continuation-area chains that
//! loop or leave the image, path tables that lie, a multi-extent chain
//! that never ends, symlinks that loop, and truncations. Every reader
//! operation and the checker must end quickly with a named diagnostic,
//! never panic, and never allocate in proportion to a size the image only
//! claims: a counting allocator bounds the largest single allocation of
//! each case by the image's real length.

use fstree::{Kind, Node, Tree, ROOT};
use iso9660::read::{IsoReader, Tree as RTree};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
const SECTOR: usize = 2048;
const PVD: usize = 16 * SECTOR;

fn node(kind: Kind, perm: u16) -> Node {
    Node {
        kind,
        perm,
        uid: 0,
        gid: 0,
        mtime: T,
    }
}

/// `/a` (5000 bytes), `/sub/deep/f`, `/link` -> `link`, `/long` (a
/// 600-byte target, in a continuation area), a 200-byte name (also in one),
/// ten levels under `/d1` (relocated: `CL`/`PL`/`RE`), a boot image and
/// catalog, and a Joliet tree.
fn image() -> Vec<u8> {
    let mut t = Tree::new(T);
    let bytes = |n: usize| -> Arc<[u8]> { (0..n).map(|i| (i % 251) as u8).collect() };
    t.add(ROOT, b"a", Node::file(bytes(5000), 0o644, T))
        .unwrap();
    t.add_path(b"sub/deep/f", Node::file(bytes(10), 0o644, T))
        .unwrap();
    t.add(ROOT, b"link", node(Kind::Symlink(b"link".to_vec()), 0o777))
        .unwrap();
    t.add(ROOT, b"long", node(Kind::Symlink(vec![b'y'; 600]), 0o777))
        .unwrap();
    t.add(ROOT, &[b'n'; 200], Node::file(bytes(3), 0o644, T))
        .unwrap();
    t.add_path(
        b"d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/f",
        Node::file(bytes(4), 0o644, T),
    )
    .unwrap();
    let boot = bytes(3000);
    t.add_path(
        b"boot/grub/stage2_eltorito",
        Node::file(boot.clone(), 0o644, T),
    )
    .unwrap();
    let opts = iso9660::Options {
        joliet: true,
        boot: Some(iso9660::BootOptions {
            image: b"boot/grub/stage2_eltorito".to_vec(),
            image_data: boot,
            catalog: b".catalog".to_vec(),
            load_size: 4,
            info_table: true,
        }),
        time: T,
        ..Default::default()
    };
    let layout = iso9660::plan(&t, &opts).unwrap();
    let mut img = Vec::new();
    iso9660::write(&layout, &t, &mut img).unwrap();
    let rep = iso9660::check::check(img.as_slice());
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    img
}

fn le32(img: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(img[at..at + 4].try_into().unwrap())
}

/// Write `v` as an ECMA-119 both-endian 32-bit field at `at`.
fn both32(img: &mut [u8], at: usize, v: u32) {
    img[at..at + 4].copy_from_slice(&v.to_le_bytes());
    img[at + 4..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// Byte offset of the Rock Ridge tree's record for `path`.
fn record_of(img: &[u8], path: &[u8]) -> usize {
    let r = IsoReader::open(img).unwrap();
    r.lookup(path, RTree::RockRidge).unwrap().record_offset as usize
}

/// Byte offset of the first System Use entry `sig` (with length `len`,
/// version 1) in the image.
fn find_entry(img: &[u8], sig: &[u8; 2], len: u8) -> usize {
    let pat = [sig[0], sig[1], len, 1];
    img.windows(4)
        .position(|w| w == pat)
        .unwrap_or_else(|| panic!("no {} entry", String::from_utf8_lossy(sig)))
}

/// What a case did: the reader errors met and the checker's problem codes.
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
    fn code(&self, c: &str) -> bool {
        self.codes.contains(&c)
    }
}

/// Everything `mvi ls -R`, `ls`, `cat` and `check` do, on every tree of
/// `img`, within a time and allocation bound.
fn exercise(img: &[u8], paths: &[&str]) -> Outcome {
    let start = Instant::now();
    LARGEST.with(|l| l.set(0));
    LIVE.with(|l| l.set(0));
    PEAK.with(|l| l.set(0));
    ARMED.with(|a| a.set(true));
    let mut out = Outcome::default();
    match IsoReader::open(img) {
        Err(e) => out.open = Some(e.to_string()),
        Ok(r) => {
            let _ = r
                .boot_catalog()
                .map_err(|e| out.errors.push(format!("catalog: {e}")));
            for tree in [RTree::RockRidge, RTree::Primary, RTree::Joliet] {
                if r.has_tree(tree) {
                    if let Err(e) = r.walk(tree) {
                        out.errors.push(format!("walk {tree:?}: {e}"));
                    }
                }
            }
            for p in paths {
                let e = match r.stat(p.as_bytes()) {
                    Ok(e) => e,
                    Err(e) => {
                        out.errors.push(format!("stat {p}: {e}"));
                        continue;
                    }
                };
                let res = if e.is_dir {
                    r.list(p.as_bytes()).map(|_| ())
                } else {
                    r.read_file(&e, &mut std::io::sink()).map(|_| ())
                };
                if let Err(e) = res {
                    out.errors.push(format!("read {p}: {e}"));
                }
            }
        }
    }
    let report = iso9660::check::check(img);
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

const PATHS: &[&str] = &["/", "/a", "/sub", "/sub/deep", "/sub/deep/f", "/long"];

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
fn directory_loop_by_extent() {
    // /sub/deep's record now points at the root directory's extent.
    let mut img = image();
    let root = le32(&img, PVD + 156 + 2);
    let at = record_of(&img, b"/sub/deep");
    both32(&mut img, at + 2, root);
    let o = exercise(&img, &["/sub/deep/sub/deep/sub/deep/a"]);
    assert!(o.error_has("reached twice"), "{o:?}");
    assert!(o.code("dir-loop"), "{o:?}");
}

#[test]
fn directory_loop_by_rock_ridge_cl() {
    // The relocated directory's CL now leads back to the root.
    let mut img = image();
    let root = le32(&img, PVD + 156 + 2);
    let cl = find_entry(&img, b"CL", 12);
    both32(&mut img, cl + 4, root);
    let o = exercise(&img, &["/d1/d2/d3/d4/d5/d6/d7/d8/d9"]);
    assert!(o.error_has("reached twice"), "{o:?}");
    assert!(o.code("rr-cl") || o.code("dir-loop"), "{o:?}");
}

#[test]
fn huge_directory_length() {
    let mut img = image();
    let at = record_of(&img, b"/sub");
    both32(&mut img, at + 10, u32::MAX - 2047);
    let o = exercise(&img, &["/sub/deep"]);
    assert!(o.error_has("passes the end"), "{o:?}");
    assert!(o.code("extent-range") || o.code("dir-size"), "{o:?}");
}

#[test]
fn huge_file_length() {
    let mut img = image();
    let at = record_of(&img, b"/a");
    both32(&mut img, at + 10, u32::MAX);
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("passes the end"), "{o:?}");
    assert!(o.code("extent-range"), "{o:?}");
}

#[test]
fn file_extent_beyond_the_image() {
    let mut img = image();
    let at = record_of(&img, b"/a");
    both32(&mut img, at + 2, 0x00ff_ff00);
    let o = exercise(&img, &["/a"]);
    assert!(o.error_has("passes the end"), "{o:?}");
    assert!(o.code("extent-range"), "{o:?}");
}

#[test]
fn continuation_area_that_leads_to_itself() {
    // The first CE now names the System Use area that holds it.
    let mut img = image();
    let ce = find_entry(&img, b"CE", 28);
    let (block, offset) = (ce / SECTOR, ce % SECTOR);
    both32(&mut img, ce + 4, block as u32);
    both32(&mut img, ce + 12, offset as u32);
    both32(&mut img, ce + 20, 28);
    let o = exercise(&img, PATHS);
    assert!(o.code("ce-chain"), "{o:?}");
}

#[test]
fn continuation_area_past_the_end() {
    let mut img = image();
    let ce = find_entry(&img, b"CE", 28);
    both32(&mut img, ce + 4, 0x7fff_ffff);
    let o = exercise(&img, PATHS);
    assert!(o.code("ce-range"), "{o:?}");
}

#[test]
fn continuation_area_longer_than_a_block() {
    let mut img = image();
    let ce = find_entry(&img, b"CE", 28);
    both32(&mut img, ce + 20, u32::MAX);
    let o = exercise(&img, PATHS);
    assert!(o.code("ce-range"), "{o:?}");
}

#[test]
fn path_table_that_claims_two_gigabytes() {
    let mut img = image();
    both32(&mut img, PVD + 132, 0x7fff_ffff);
    let o = exercise(&img, PATHS);
    assert!(
        o.code("path-table-size") || o.code("path-table-extent"),
        "{o:?}"
    );
}

#[test]
fn path_table_that_disagrees_with_the_tree() {
    // The second L path table entry (the first directory below the root)
    // now names the root's extent, and its parent number points past the
    // table.
    let mut img = image();
    let lpt = le32(&img, PVD + 140) as usize * SECTOR;
    let root = le32(&img, PVD + 156 + 2);
    let first = lpt + 8 + 2; // root entry: 8 bytes + 1-byte name + pad
    img[first + 2..first + 6].copy_from_slice(&root.to_le_bytes());
    img[first + 6..first + 8].copy_from_slice(&999u16.to_le_bytes());
    let o = exercise(&img, PATHS);
    assert!(
        o.errors.is_empty() && o.open.is_none(),
        "the reader uses the directories: {o:?}"
    );
    assert!(
        o.code("path-table-record") || o.code("path-table-parent") || o.code("path-table-lm"),
        "{o:?}"
    );
}

#[test]
fn path_table_outside_the_image() {
    let mut img = image();
    img[PVD + 140..PVD + 144].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    img[PVD + 148..PVD + 152].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
    let o = exercise(&img, PATHS);
    assert!(
        o.code("path-table-extent") || o.code("path-table-size"),
        "{o:?}"
    );
}

#[test]
fn volume_space_size_far_beyond_the_image() {
    let mut img = image();
    both32(&mut img, PVD + 80, 0x7fff_ffff);
    let o = exercise(&img, PATHS);
    assert!(o.code("volume-size") || o.code("image-short"), "{o:?}");
}

#[test]
fn boot_catalog_outside_the_image() {
    let mut img = image();
    let br = 17 * SECTOR;
    assert_eq!(img[br], 0, "LBA 17 is the boot record");
    img[br + 71..br + 75].copy_from_slice(&0x00ff_ff00u32.to_le_bytes());
    let o = exercise(&img, PATHS);
    assert!(o.error_has("boot catalog at LBA"), "{o:?}");
    assert!(o.code("catalog-range"), "{o:?}");
}

#[test]
fn multi_extent_chain_that_never_ends() {
    // Every record of the root (after . and ..) flagged "more extents follow".
    let mut img = image();
    let r = IsoReader::open(img.as_slice()).unwrap();
    let root = r.root(RTree::Primary).unwrap();
    let kids = r.read_dir(&root, RTree::Primary, b"/").unwrap();
    drop(r);
    for k in kids {
        img[k.record_offset as usize + 25] |= 0x80;
    }
    let o = exercise(&img, PATHS);
    assert!(o.error_has("multi-extent"), "{o:?}");
    assert!(o.code("multi-extent"), "{o:?}");
}

#[test]
fn symlink_loops_are_never_followed() {
    let img = image();
    // A path through the looping link stops at it; the link itself is
    // an entry with its target, never resolved.
    let o = exercise(&img, &["/link/x", "/link"]);
    assert_eq!(o.errors.len(), 1, "{o:?}");
    assert!(o.errors[0].contains("/link: not a directory"), "{o:?}");
    let r = IsoReader::open(img.as_slice()).unwrap();
    assert_eq!(
        r.stat(b"/link").unwrap().symlink.as_deref(),
        Some(&b"link"[..])
    );
}

#[test]
fn descriptor_set_without_a_terminator() {
    // 64 supplementary descriptors and no terminator: the scan stops at its
    // bound.
    let mut img = image();
    let vd: Vec<u8> = img[PVD..PVD + SECTOR].to_vec();
    let mut big = img[..PVD].to_vec();
    for _ in 0..80 {
        let mut s = vd.clone();
        s[0] = 2;
        big.extend_from_slice(&s);
    }
    big.extend_from_slice(&img[PVD..]);
    img = big;
    let o = exercise(&img, PATHS);
    assert!(o.error_has("no primary volume descriptor"), "{o:?}");
    assert!(o.code("pvd-missing") || o.code("vd-set"), "{o:?}");
}

#[test]
fn truncated_at_many_offsets() {
    let img = image();
    let len = img.len();
    let root = le32(&img, PVD + 156 + 2) as usize * SECTOR;
    let lpt = le32(&img, PVD + 140) as usize * SECTOR;
    let a = le32(&img, record_of(&img, b"/a") + 2) as usize * SECTOR;
    for cut in [
        0,
        1,
        PVD,
        PVD + 100,
        PVD + SECTOR,
        lpt + 5,
        root,
        root + 100,
        a + 1,
        len / 2,
        len - 300 * 1024 - 1,
    ] {
        let o = exercise(&img[..cut], PATHS);
        // Past /a's data the reader may not touch the missing bytes; the
        // checker always names the short image.
        assert!(
            cut > a + 1 || o.open.is_some() || !o.errors.is_empty(),
            "cut {cut}: {o:?}"
        );
        assert!(
            o.code("image-short") || o.code("pvd-missing") || o.code("volume-size"),
            "cut {cut}: {o:?}"
        );
    }
}

#[test]
fn deep_long_paths_hold_bounded_memory() {
    // 1,000 nested directories with 250-byte Rock Ridge names: each path
    // is up to 250 KB, all of them together 125 MB, from an image of a few
    // MiB. The walk stops once its paths pass 64 MiB plus the image's
    // length.
    let mut t = Tree::new(T);
    let mut cur = ROOT;
    for i in 0..1000u32 {
        let mut name = vec![b'd'; 250];
        name[..4].copy_from_slice(&i.to_be_bytes().map(|b| b'a' + b % 26));
        cur = t
            .add(cur, &name, node(Kind::Dir(Vec::new()), 0o755))
            .unwrap();
    }
    let layout = iso9660::plan(
        &t,
        &iso9660::Options {
            time: T,
            ..Default::default()
        },
    )
    .unwrap();
    let mut img = Vec::new();
    iso9660::write(&layout, &t, &mut img).unwrap();
    let o = exercise(&img, &["/"]);
    assert!(o.error_has("paths total more than"), "{o:?}");
}

//! The checker against the real writer: a freshly written image is clean,
//! and each single-field corruption is reported with its specific code
//! (and inode or cylinder group). The reader must not panic on any of them.

use fstree::{Data, Kind, Node, Tree, ROOT};
use std::sync::Arc;
use ufsimg::check::{check, CgMapOffsets, CheckReport};
use ufsimg::format::*;
use ufsimg::{Params, Reader, SizeSpec};

const T: i64 = 1_700_000_000;

fn node(kind: Kind) -> Node {
    Node {
        kind,
        perm: 0o644,
        uid: 0,
        gid: 0,
        mtime: T - 10,
    }
}

fn dir() -> Node {
    Node {
        perm: 0o755,
        ..node(Kind::Dir(Vec::new()))
    }
}

fn file(len: usize, seed: u8) -> Node {
    let b: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    node(Kind::File {
        size: len as u64,
        data: Data::Bytes(Arc::from(b)),
    })
}

/// Root with `a` (5000 bytes), `b` (3000), `big` (past the direct
/// blocks), `etc/passwd`, `link`, `dev/null`, `sub/deep/`, and `wide/`, a
/// directory of three blocks (40 entries with 250-byte names).
fn tree() -> Tree {
    let mut t = Tree::new(T);
    t.add(ROOT, b"a", file(5000, 1)).unwrap();
    t.add(ROOT, b"b", file(3000, 2)).unwrap();
    t.add(ROOT, b"big", file(13 * 8192 + 777, 3)).unwrap();
    let etc = t.add(ROOT, b"etc", dir()).unwrap();
    t.add(etc, b"passwd", file(300, 4)).unwrap();
    t.add(ROOT, b"link", node(Kind::Symlink(b"etc/passwd".to_vec())))
        .unwrap();
    let dev = t.add(ROOT, b"dev", dir()).unwrap();
    t.add(
        dev,
        b"null",
        node(Kind::CharDev {
            major: 13,
            minor: 2,
        }),
    )
    .unwrap();
    let sub = t.add(ROOT, b"sub", dir()).unwrap();
    t.add(sub, b"deep", dir()).unwrap();
    let wide = t.add(ROOT, b"wide", dir()).unwrap();
    for i in 0..40u8 {
        let mut name = vec![b'n'; 250];
        name[0] = b'a' + i % 26;
        name[1] = b'0' + i / 26;
        t.add(wide, &name, file(0, i)).unwrap();
    }
    t
}

fn image() -> Vec<u8> {
    let tree = tree();
    let params = Params {
        size: SizeSpec::Fixed(12 << 20),
        nbpi: 16384,
        time: T,
        lost_found: false,
    };
    let layout = ufsimg::plan(&tree, &params).expect("plan");
    let mut img = Vec::new();
    ufsimg::write(&layout, &tree, &mut img).expect("write");
    img
}

/// Handy addresses of the clean image.
struct Map {
    sb: Superblock,
    fsize: usize,
    maps: CgMapOffsets,
    ncg: u64,
    cgtod: Vec<usize>,
    cgsblock: Vec<usize>,
    ninodes: u64,
}

fn map(img: &[u8]) -> Map {
    let r = Reader::open(img).unwrap();
    let loc = r.locator().clone();
    let sb = r.superblock().clone();
    Map {
        fsize: loc.fsize as usize,
        maps: CgMapOffsets::of(&sb).unwrap(),
        ncg: loc.ncg,
        cgtod: (0..loc.ncg)
            .map(|c| (loc.cgtod(c) * loc.fsize) as usize)
            .collect(),
        cgsblock: (0..loc.ncg)
            .map(|c| (loc.cgsblock(c) * loc.fsize) as usize)
            .collect(),
        ninodes: loc.ninodes(),
        sb,
    }
}

fn ino(img: &[u8], path: &str) -> u32 {
    Reader::open(img).unwrap().lookup(path.as_bytes()).unwrap()
}

/// Byte offset of inode `ino`'s dinode.
fn inode_at(img: &[u8], ino: u32) -> usize {
    let r = Reader::open(img).unwrap();
    r.locator().inode_offset(u64::from(ino)).unwrap() as usize
}

fn dinode(img: &[u8], ino: u32) -> Dinode {
    let at = inode_at(img, ino);
    Dinode::decode(&img[at..at + INODE_SIZE])
}

fn get32(img: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(img[at..at + 4].try_into().unwrap())
}

fn put32(img: &mut [u8], at: usize, v: u32) {
    img[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put16(img: &mut [u8], at: usize, v: u16) {
    img[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

/// Byte offset in the image of the record named `name` in the first block
/// of directory `dir`.
fn dirent_at(img: &[u8], dir: u32, name: &[u8]) -> usize {
    let m = map(img);
    let d = dinode(img, dir);
    let base = d.db[0] as usize * m.fsize;
    let len = (d.size as usize).min(8192);
    let mut off = 0;
    while off < len {
        let reclen = u16::from_le_bytes([img[base + off + 4], img[base + off + 5]]) as usize;
        let namlen = u16::from_le_bytes([img[base + off + 6], img[base + off + 7]]) as usize;
        if &img[base + off + 8..base + off + 8 + namlen] == name && get32(img, base + off) != 0 {
            return base + off;
        }
        assert!(reclen > 0);
        off += reclen;
    }
    panic!("no entry {:?}", String::from_utf8_lossy(name));
}

/// Run the checker (and, for robustness, the reader) on a damaged copy.
fn damaged(img: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> CheckReport {
    let mut bad = img.to_vec();
    f(&mut bad);
    if let Ok(r) = Reader::open(&bad[..]) {
        if let Ok(all) = r.walk() {
            for (_, st) in all {
                if st.mode & IFMT == IFREG {
                    let _ = r.read_file(st.ino, &mut std::io::sink());
                }
            }
        }
    }
    check(&bad[..])
}

fn assert_reported(rep: &CheckReport, code: &str, ino: Option<u32>, cg: Option<u32>) {
    let hit = rep
        .problems
        .iter()
        .any(|p| p.code == code && (ino.is_none() || p.ino == ino) && (cg.is_none() || p.cg == cg));
    assert!(hit, "expected {code} (ino {ino:?}, cg {cg:?}); got:\n{rep}");
}

#[test]
fn fresh_image_is_clean_and_readable() {
    let img = image();
    let rep = check(&img[..]);
    assert!(rep.is_clean(), "{rep}");
    let m = map(&img);
    assert!(m.ncg >= 2, "want several cylinder groups, got {}", m.ncg);
    assert_eq!(rep.summary.dirs, 6);
    assert_eq!(rep.summary.symlinks, 1);
    assert_eq!(rep.summary.devices, 1);
    assert_eq!(rep.summary.regular, 44);
    assert_eq!(rep.summary.data_frags, m.sb.dsize as u64);
    assert_eq!(
        rep.summary.free_blocks * 8 + rep.summary.free_frags + rep.summary.frags_claimed,
        m.sb.dsize as u64
    );
    let r = Reader::open(&img[..]).unwrap();
    let walk = r.walk().unwrap();
    assert_eq!(walk[0].0, b"/");
    assert_eq!(walk.len(), 1 + 51);
    let mut v = Vec::new();
    r.read_file(ino(&img, "/big"), &mut v).unwrap();
    assert_eq!(v, {
        let Kind::File {
            data: Data::Bytes(b),
            ..
        } = &file(13 * 8192 + 777, 3).kind
        else {
            unreachable!()
        };
        b.to_vec()
    });
    assert_eq!(r.read_link(ino(&img, "/link")).unwrap(), b"etc/passwd");
    assert_eq!(r.stat(ino(&img, "/dev/null")).unwrap().rdev, Some((13, 2)));
}

#[test]
fn superblock_fields() {
    let img = image();
    let rep = damaged(&img, |b| {
        let v = get32(b, 8192 + 40);
        put32(b, 8192 + 40, v + 1);
    });
    assert_reported(&rep, "dsize", None, None);
    assert_reported(&rep, "sb-backup-mismatch", None, Some(0));
    let p = rep.with_code("dsize").next().unwrap();
    assert_eq!(p.field, "fs_dsize");
    assert!(p.to_string().starts_with("superblock: fs_dsize is "), "{p}");

    let rep = damaged(&img, |b| put32(b, 8192 + 116, 1024));
    assert_reported(&rep, "sb-field", None, None);
    assert_eq!(rep.with_code("sb-field").next().unwrap().field, "fs_nindir");

    let rep = damaged(&img, |b| put32(b, 8192 + 1372, 0));
    assert_reported(&rep, "sb-magic", None, None);
    assert!(!rep.summary.complete);

    let rep = damaged(&img, |b| put32(b, 8192 + 184, 7));
    assert_reported(&rep, "sb-geometry", None, None);
}

#[test]
fn backup_superblock() {
    let img = image();
    let m = map(&img);
    let rep = damaged(&img, |b| b[m.cgsblock[1] + 145] ^= 0x40);
    assert_reported(&rep, "sb-backup-mismatch", None, Some(1));
    let p = rep.with_code("sb-backup-mismatch").next().unwrap();
    assert_eq!(p.field, "fs_id");
    assert_eq!(rep.problems.len(), 1, "{rep}");
}

#[test]
fn cg_magic_and_header() {
    let img = image();
    let m = map(&img);
    let rep = damaged(&img, |b| put32(b, m.cgtod[1] + 4, 0));
    assert_reported(&rep, "cg-magic", None, Some(1));
    assert_eq!(
        rep.with_code("cg-magic").next().unwrap().to_string(),
        "cg 1: cg_magic is 0x0, expected 0x90255"
    );
    let rep = damaged(&img, |b| {
        let v = get32(b, m.cgtod[0] + 20);
        put32(b, m.cgtod[0] + 20, v - 1)
    });
    assert_reported(&rep, "cg-header", None, Some(0));
    assert_eq!(rep.with_code("cg-header").next().unwrap().field, "cg_ndblk");
}

#[test]
fn cg_summary_and_csum_array() {
    let img = image();
    let m = map(&img);
    let rep = damaged(&img, |b| {
        let v = get32(b, m.cgtod[0] + 28);
        put32(b, m.cgtod[0] + 28, v + 1)
    });
    assert_reported(&rep, "cg-summary", None, Some(0));
    assert_eq!(
        rep.with_code("cg-summary").next().unwrap().field,
        "cg_cs.cs_nbfree"
    );
    assert!(!rep.has("csum-mismatch"), "{rep}");

    let cs = m.sb.csaddr as usize * m.fsize;
    let rep = damaged(&img, |b| {
        let v = get32(b, cs + 16 + 8);
        put32(b, cs + 16 + 8, v + 1)
    });
    assert_reported(&rep, "csum-mismatch", None, Some(1));
    assert_eq!(
        rep.with_code("csum-mismatch").next().unwrap().field,
        "fs_cs.cs_nifree"
    );
    assert!(!rep.has("cg-summary"), "{rep}");

    let rep = damaged(&img, |b| {
        let v = get32(b, 8192 + 204);
        put32(b, 8192 + 204, v + 1)
    });
    assert_reported(&rep, "cstotal", None, None);
}

#[test]
fn bitmaps() {
    let img = image();
    let m = map(&img);
    // Mark /etc/passwd's first frag free.
    let pw = ino(&img, "/etc/passwd");
    let f = dinode(&img, pw).db[0] as u64;
    let fpg = m.sb.fpg as u64;
    let c = (f / fpg) as usize;
    let bit = f % fpg;
    let at = m.cgtod[c] + m.maps.freeoff as usize + (bit / 8) as usize;
    let rep = damaged(&img, |b| b[at] |= 1 << (bit % 8));
    assert_reported(&rep, "frag-bitmap", None, Some(c as u32));
    assert!(
        rep.with_code("frag-bitmap")
            .next()
            .unwrap()
            .message
            .contains(&format!("frag {f} is in use but marked free")),
        "{rep}"
    );

    // Mark /a's inode free.
    let a = ino(&img, "/a");
    let ipg = m.sb.ipg as u32;
    let (c, i) = ((a / ipg) as usize, a % ipg);
    let at = m.cgtod[c] + m.maps.iusedoff as usize + (i / 8) as usize;
    let rep = damaged(&img, |b| b[at] &= !(1 << (i % 8)));
    assert_reported(&rep, "inode-bitmap", Some(a), Some(c as u32));

    // frsum / btot of cg 0.
    let rep = damaged(&img, |b| {
        let v = get32(b, m.cgtod[0] + 52 + 4);
        put32(b, m.cgtod[0] + 52 + 4, v + 1)
    });
    assert_reported(&rep, "cg-frsum", None, Some(0));
    let rep = damaged(&img, |b| {
        let at = m.cgtod[0] + m.maps.btotoff as usize + 4;
        let v = get32(b, at);
        put32(b, at, v + 1)
    });
    assert_reported(&rep, "cg-btot", None, Some(0));
}

#[test]
fn block_pointers() {
    let img = image();
    let m = map(&img);
    let a = ino(&img, "/a");
    let at = inode_at(&img, a);
    // Past the end of the file system.
    let rep = damaged(&img, |b| put32(b, at + 40, m.sb.size as u32 + 100));
    assert_reported(&rep, "block-range", Some(a), None);
    // Inside cg 1's header.
    let rep = damaged(&img, |b| put32(b, at + 40, (m.cgtod[1] / m.fsize) as u32));
    assert_reported(&rep, "block-range", Some(a), None);
    // Pointers past EOF.
    let rep = damaged(&img, |b| put32(b, at + 40 + 4 * 5, 8));
    assert_reported(&rep, "frags-past-eof", Some(a), None);
}

#[test]
fn ic_blocks_and_nlink() {
    let img = image();
    let a = ino(&img, "/a");
    let at = inode_at(&img, a);
    let d = dinode(&img, a);
    let rep = damaged(&img, |b| put32(b, at + 104, d.blocks as u32 + 2));
    assert_reported(&rep, "ic-blocks", Some(a), None);
    assert_eq!(
        rep.with_code("ic-blocks").next().unwrap().to_string(),
        format!(
            "inode {a}: ic_blocks is {}, expected {}",
            d.blocks + 2,
            d.blocks
        )
    );
    assert_eq!(rep.problems.len(), 1, "{rep}");
    let rep = damaged(&img, |b| put16(b, at + 2, 2));
    assert_reported(&rep, "nlink", Some(a), None);
    assert_eq!(rep.problems.len(), 1, "{rep}");
}

#[test]
fn directory_records() {
    let img = image();
    // A bad reclen in the root directory.
    let e = dirent_at(&img, ROOTINO, b"b");
    let rep = damaged(&img, |b| put16(b, e + 4, 3));
    assert_reported(&rep, "dirent-reclen", Some(ROOTINO), None);
    // /sub's ".." naming /etc.
    let sub = ino(&img, "/sub");
    let etc = ino(&img, "/etc");
    let dd = dirent_at(&img, sub, b"..");
    let rep = damaged(&img, |b| put32(b, dd, etc));
    assert_reported(&rep, "dotdot", Some(sub), None);
    // "." naming the parent.
    let d = dirent_at(&img, sub, b".");
    let rep = damaged(&img, |b| put32(b, d, ROOTINO));
    assert_reported(&rep, "dot", Some(sub), None);
    // An entry naming a free inode: the file becomes unreferenced.
    let pw = ino(&img, "/etc/passwd");
    let e = dirent_at(&img, etc, b"passwd");
    let free = (m_ninodes(&img) - 1) as u32;
    let rep = damaged(&img, |b| put32(b, e, free));
    assert_reported(&rep, "dirent-unalloc", Some(etc), None);
    assert_reported(&rep, "unref-inode", Some(pw), None);
    // Drop /sub from the root: unreachable.
    let e = dirent_at(&img, ROOTINO, b"sub");
    let rep = damaged(&img, |b| put32(b, e, 0));
    assert_reported(&rep, "unreachable-dir", Some(sub), None);
    // /a's entry naming /sub: a directory hard link.
    let e = dirent_at(&img, ROOTINO, b"a");
    let rep = damaged(&img, |b| put32(b, e, sub));
    assert_reported(&rep, "dir-hardlink", Some(ROOTINO), None);
}

fn m_ninodes(img: &[u8]) -> u64 {
    map(img).ninodes
}

#[test]
fn duplicate_block() {
    let img = image();
    let a = ino(&img, "/a");
    let b_ino = ino(&img, "/b");
    let a0 = dinode(&img, a).db[0];
    let at = inode_at(&img, b_ino);
    let rep = damaged(&img, |b| put32(b, at + 40, a0 as u32));
    assert_reported(&rep, "dup-block", Some(b_ino), None);
    assert_reported(&rep, "dup-block", Some(a), None);
    let p = rep
        .with_code("dup-block")
        .find(|p| p.ino == Some(b_ino))
        .unwrap();
    assert!(p.message.contains(&format!("inode {a}")), "{p}");
}

#[test]
fn directory_hole() {
    let img = image();
    let wide = ino(&img, "/wide");
    let d = dinode(&img, wide);
    assert!(d.size > 8192, "/wide should span blocks");
    let at = inode_at(&img, wide);
    let rep = damaged(&img, |b| put32(b, at + 40 + 4, 0));
    assert_reported(&rep, "dir-hole", Some(wide), None);
}

#[test]
fn clean_state() {
    let img = image();
    let rep = damaged(&img, |b| {
        let v = get32(b, 8192 + 132);
        put32(b, 8192 + 132, v.wrapping_add(1))
    });
    assert_reported(&rep, "fs-state", None, None);
    assert_eq!(rep.with_code("fs-state").next().unwrap().field, "fs_state");
    let rep = damaged(&img, |b| b[8192 + 209] = 0);
    assert_reported(&rep, "fs-state", None, None);
    assert_eq!(rep.with_code("fs-state").next().unwrap().field, "fs_clean");
    let rep = damaged(&img, |b| b[8192 + 211] |= FSLARGEFILES);
    assert_reported(&rep, "largefiles", None, None);
}

#[test]
fn inode_contents() {
    let img = image();
    let m = map(&img);
    let null = ino(&img, "/dev/null");
    let at = inode_at(&img, null);
    let rep = damaged(&img, |b| put32(b, at + 40, 9));
    assert_reported(&rep, "device-inode", Some(null), None);
    let a = ino(&img, "/a");
    let at = inode_at(&img, a);
    let rep = damaged(&img, |b| put16(b, at, IFMT | 0o644));
    assert_reported(&rep, "inode-type", Some(a), None);
    let free = (m.ninodes - 1) as u32;
    let at = inode_at(&img, free);
    let rep = damaged(&img, |b| put32(b, at + 40, 9));
    assert_reported(&rep, "partial-inode", Some(free), None);
    let rep = damaged(&img, |b| put32(b, at + 16, 9));
    assert_reported(&rep, "free-inode-dirty", Some(free), None);
    let rep = damaged(&img, |b| put32(b, at + 108, 12345));
    assert!(rep.is_clean(), "ic_gen of a free inode may be set: {rep}");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    /// The clean image and the byte ranges worth damaging.
    type Subject = (Vec<u8>, Vec<(usize, usize)>);

    fn clean() -> &'static Subject {
        static I: OnceLock<Subject> = OnceLock::new();
        I.get_or_init(|| {
            let img = image();
            let m = map(&img);
            let mut regions = vec![(8192, FS_STRUCT_SIZE)];
            for c in 0..m.ncg as usize {
                regions.push((m.cgtod[c], m.maps.nextfreeoff as usize));
                regions.push((m.cgsblock[c], FS_STRUCT_SIZE));
            }
            for path in ["/", "/etc", "/wide", "/sub", "/big", "/a", "/link"] {
                let i = ino(&img, path);
                regions.push((inode_at(&img, i), INODE_SIZE));
                let d = dinode(&img, i);
                regions.push((d.db[0] as usize * m.fsize, 512));
                if d.ib[0] != 0 {
                    regions.push((d.ib[0] as usize * m.fsize, 64));
                }
            }
            regions.push((m.sb.csaddr as usize * m.fsize, 16 * m.ncg as usize));
            (img, regions)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Random damage to the real writer's metadata: the checker and the
        /// reader return (whatever they say) without panicking.
        #[test]
        fn damage_never_panics(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u32>(), any::<u8>()), 1..6)) {
            let (img, regions) = clean();
            let rep = damaged(img, |b| {
                for (r, off, v) in edits {
                    let (s, l) = regions[r.index(regions.len())];
                    b[s + off as usize % l] = v;
                }
            });
            for p in &rep.problems {
                let _ = p.to_string();
            }
        }
    }
}

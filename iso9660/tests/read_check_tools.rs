//! The reader and the checker on images made by independent tools:
//! genisoimage and `xorriso -as mkisofs` (installed by
//! `scripts/setup-test-deps.sh`; missing tools fail these tests).
//!
//! * every host file, directory, symlink and device reads back through the
//!   Rock Ridge tree (names, types, modes, sizes, contents, targets,
//!   device numbers), and the Joliet tree lists the same names;
//! * the checker is clean on genisoimage `-R -J` El Torito images and on
//!   the illumos mkisofs recipe, and on xorriso images reports exactly the
//!   known xorriso 1.5.4 defect, Joliet `..` naming the directory itself;
//! * single-field corruptions of a real image are each named by their code.

use iso9660::check::{check, check_with, CheckOptions, CheckReport};
use iso9660::read::{Entry, IsoReader, Tree};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const SETUP_HINT: &str = "run scripts/setup-test-deps.sh (as root) to install the test oracles";

/// GRUB Legacy's `stage2_eltorito` from the test cache (`MVI_STAGE2_ELTORITO`
/// in `$MVI_TEST_CACHE/env`, default `/var/cache/mvi-test/env`).
fn stage2() -> &'static [u8] {
    static S: OnceLock<Vec<u8>> = OnceLock::new();
    S.get_or_init(|| {
        let cache = std::env::var_os("MVI_TEST_CACHE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/mvi-test"));
        let env = cache.join("env");
        let text = fs::read_to_string(&env)
            .unwrap_or_else(|e| panic!("{}: {e}; {SETUP_HINT}", env.display()));
        let path = text
            .lines()
            .filter_map(|l| l.trim().split_once('='))
            .find(|(k, _)| k.trim() == "MVI_STAGE2_ELTORITO")
            .map(|(_, v)| PathBuf::from(v.trim()))
            .unwrap_or_else(|| panic!("{}: no MVI_STAGE2_ELTORITO; {SETUP_HINT}", env.display()));
        fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; {SETUP_HINT}", path.display()))
    })
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}; {SETUP_HINT}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deterministic filler bytes.
fn pattern(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A tree exercising what the reader decodes: Rock Ridge names longer than
/// an NM fits (CE), symlinks (relative, absolute, over 255 bytes), devices,
/// a fifo, hard links, a directory over several sectors, directories deeper
/// than 8 levels (genisoimage relocates them: CL/PL/RE), §9.3 edge names,
/// and the GRUB boot files.
fn make_tree(root: &Path) {
    let w = |p: &str, data: &[u8]| {
        let p = root.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    };
    w("hello.txt", b"hello, world\n");
    w("dir/rand.bin", &pattern(5000, 1));
    w("dir/empty", b"");
    w("A.", b"a dot");
    w("A.0", b"a dot zero");
    w("b", b"b");
    w("b.tar", b"b.tar");
    w(&"n".repeat(200), b"long name\n");
    w(
        "boot/grub/menu.lst",
        b"timeout 1\ntitle x\nkernel /platform/i86pc/kernel/amd64/unix\n",
    );
    w("boot/grub/stage2_eltorito", stage2());
    w("platform/i86pc/kernel/amd64/unix", &pattern(70_000, 2));
    w("deep/b/c/d/e/f/g/h/i/j/deep.txt", b"deep\n");
    for i in 0..120 {
        w(
            &format!("many/file_with_a_longish_name_{i:03}.txt"),
            format!("{i}\n").as_bytes(),
        );
    }
    fs::hard_link(root.join("hello.txt"), root.join("dir/hardlink")).unwrap();
    std::os::unix::fs::symlink("../hello.txt", root.join("dir/link")).unwrap();
    std::os::unix::fs::symlink("/usr/lib/./x/../y", root.join("abslink")).unwrap();
    let long = format!("/very/long/{}/target", "x".repeat(200));
    std::os::unix::fs::symlink(long, root.join("longlink")).unwrap();
    run(
        "mknod",
        &[root.join("dev0").to_str().unwrap(), "c", "4", "64"],
    );
    run(
        "mknod",
        &[root.join("blk").to_str().unwrap(), "b", "8", "1"],
    );
    run("mkfifo", &[root.join("fifo").to_str().unwrap()]);
    // Directories 0755 regardless of umask, so modes compare exactly.
    for (p, _) in host_tree(root) {
        let full = root.join(&p[1..]);
        if fs::symlink_metadata(&full).unwrap().is_dir() {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&full, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
}

/// Every path under `root` (relative, `/`-prefixed), sorted, with lstat.
fn host_tree(root: &Path) -> BTreeMap<String, fs::Metadata> {
    fn go(root: &Path, rel: &str, out: &mut BTreeMap<String, fs::Metadata>) {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel[1..])
        };
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let p = format!("{rel}/{name}");
            let m = e.metadata().unwrap();
            let is_dir = m.is_dir();
            out.insert(p.clone(), m);
            if is_dir {
                go(root, &p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    go(root, "", &mut out);
    out
}

struct Built {
    _tmp: tempfile::TempDir,
    src: PathBuf,
    iso: Vec<u8>,
}

/// Make the tree in a temporary directory and run `tool` on it; the boot
/// image is a copy (genisoimage patches it in place).
fn build(tool: &str, args: &[&str]) -> Built {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    make_tree(&src);
    let out = tmp.path().join("out.iso");
    let mut all: Vec<&str> = Vec::new();
    if tool == "xorriso" {
        all.extend(["-as", "mkisofs"]);
    }
    all.extend(["-quiet", "-o", out.to_str().unwrap()]);
    all.extend(args);
    all.push(src.to_str().unwrap());
    run(tool, &all);
    let iso = fs::read(&out).unwrap();
    Built {
        _tmp: tmp,
        src,
        iso,
    }
}

const BOOT_ARGS: &[&str] = &[
    "-b",
    "boot/grub/stage2_eltorito",
    "-c",
    "boot/grub/boot.cat",
    "-no-emul-boot",
    "-boot-load-size",
    "4",
    "-boot-info-table",
];

fn args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = extra.to_vec();
    v.extend_from_slice(BOOT_ARGS);
    v
}

/// How a tool encodes PN.
#[derive(Clone, Copy)]
enum Pn {
    /// (major, minor), as genisoimage and illumos hsfs.
    MajorMinor,
    /// (0, Linux dev_t), as xorriso.
    LinuxDev,
}

fn read_all<R: iso9660::read::ReadAt>(r: &IsoReader<R>, e: &Entry) -> Vec<u8> {
    let mut v = Vec::new();
    let n = r.read_file(e, &mut v).unwrap();
    assert_eq!(n, v.len() as u64);
    v
}

/// Every host path reads back through the Rock Ridge tree, and nothing
/// else is there but the boot catalog and the relocation directory.
fn compare_rock_ridge(b: &Built, pn: Pn) {
    compare_rock_ridge_with(b, pn, "/boot/grub/boot.cat", None)
}

/// [`compare_rock_ridge`] with the catalog's path and, if the writer sets
/// all owners to one value, that (uid, gid).
fn compare_rock_ridge_with(b: &Built, pn: Pn, catalog: &str, owner: Option<(u32, u32)>) {
    let r = IsoReader::open(&b.iso).unwrap();
    assert_eq!(r.rock_ridge().unwrap().er_id, b"RRIP_1991A");
    let host = host_tree(&b.src);
    let walked = r.walk(Tree::RockRidge).unwrap();
    let mut seen = BTreeMap::new();
    for (p, e) in &walked {
        seen.insert(String::from_utf8(p.clone()).unwrap(), e.clone());
    }
    for extra in seen.keys().filter(|p| !host.contains_key(*p)) {
        assert!(
            extra == "/" || extra == catalog || extra == "/rr_moved",
            "unexpected {extra}"
        );
    }
    for (p, m) in &host {
        let e = seen
            .get(p)
            .unwrap_or_else(|| panic!("{p} missing from the image"));
        assert_eq!(r.stat(p).unwrap(), *e, "{p}: stat and walk agree");
        let ft = m.file_type();
        assert_eq!(e.mode, Some(m.mode()), "{p}: mode");
        let (uid, gid) = owner.unwrap_or((m.uid(), m.gid()));
        assert_eq!((e.uid, e.gid), (Some(uid), Some(gid)), "{p}: owner");
        assert_eq!(e.is_dir, ft.is_dir(), "{p}: type");
        if ft.is_file() {
            assert_eq!(e.size, m.len(), "{p}: size");
            let data = read_all(&r, e);
            let host_data = fs::read(b.src.join(&p[1..])).unwrap();
            if p == "/boot/grub/stage2_eltorito" {
                // Bytes 8–63 carry the boot info table in the image.
                assert_eq!(data[..8], stage2()[..8]);
                assert_eq!(data[64..], stage2()[64..]);
            } else {
                assert_eq!(data, host_data, "{p}: contents");
            }
        } else if ft.is_symlink() {
            let t = fs::read_link(b.src.join(&p[1..])).unwrap();
            assert_eq!(
                e.symlink.as_deref(),
                Some(t.as_os_str().as_encoded_bytes()),
                "{p}"
            );
        } else if ft.is_char_device() || ft.is_block_device() {
            let rdev = m.rdev();
            let (maj, min) = (
                (rdev >> 8) & 0xfff,
                (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
            );
            let want = match pn {
                Pn::MajorMinor => (maj as u32, min as u32),
                Pn::LinuxDev => (0, rdev as u32),
            };
            assert_eq!(e.rdev, Some(want), "{p}: PN");
        }
    }
    // The Joliet tree holds the same names (Joliet has no symlinks or
    // devices: tools list them as empty files, or leave them out).
    if r.joliet().is_none() {
        return;
    }
    let j = r.walk(Tree::Joliet).unwrap();
    let jnames: Vec<String> = j
        .iter()
        .map(|(p, _)| String::from_utf8(p.clone()).unwrap())
        .collect();
    for p in [
        "/hello.txt",
        "/dir/rand.bin",
        "/deep/b/c/d/e/f/g/h/i/j/deep.txt",
        "/many/file_with_a_longish_name_119.txt",
    ] {
        assert!(
            jnames.iter().any(|n| n == p),
            "{p} not in Joliet: {jnames:?}"
        );
    }
    let je = r.lookup("/dir/rand.bin", Tree::Joliet).unwrap();
    assert_eq!(read_all(&r, &je), pattern(5000, 1));
    check_catalog(&r);
}

fn check_catalog<R: iso9660::read::ReadAt>(r: &IsoReader<R>) {
    let cat = r.boot_catalog().unwrap().unwrap();
    assert!(cat.validation.checksum_ok);
    let d = &cat.default_entry;
    assert!(d.bootable);
    assert_eq!((d.media, d.load_segment, d.sector_count), (0, 0, 4));
    let boot = r.stat("/boot/grub/stage2_eltorito").unwrap();
    assert_eq!(d.lba, boot.first_extent().0);
}

fn assert_clean(r: &CheckReport, allowed_warnings: &[&str]) {
    assert!(r.is_clean(), "{r}");
    for w in &r.warnings {
        assert!(allowed_warnings.contains(&w.code), "{r}");
    }
}

#[test]
fn genisoimage_rock_ridge_joliet_el_torito() {
    let b = build("genisoimage", &args(&["-R", "-J"]));
    compare_rock_ridge(&b, Pn::MajorMinor);
    let r = IsoReader::open(&b.iso).unwrap();
    // genisoimage relocated the deep directory: the primary tree shows it
    // in RR_MOVED, the Rock Ridge tree where it belongs.
    assert!(r.lookup("/RR_MOVED/H", Tree::Primary).is_ok());
    assert!(
        r.list("/rr_moved").unwrap().is_empty(),
        "RE directories are hidden"
    );
    let rep = check(&b.iso);
    // The 200-byte name needs two NM entries.
    assert_clean(&rep, &["rr-nm-continue"]);
    assert!(rep.has("rr-nm-continue"));
    assert!(rep.summary.rock_ridge && rep.summary.joliet && rep.summary.el_torito);
    assert_eq!(rep.summary.boot_info_table, Some(true));
    // GRUB Legacy finds the boot paths, but not a name split over two NMs.
    let o = grub_opts(&["/boot/grub/menu.lst", "/platform/i86pc/kernel/amd64/unix"]);
    assert_clean(&check_with(&b.iso, &o), &["rr-nm-continue"]);
    let long = format!("/{}", "n".repeat(200));
    let r = check_with(&b.iso, &grub_opts(&[&long]));
    assert_eq!(r.problems.len(), 1, "{r}");
    assert!(
        r.problems[0].code == "grub-path" && r.problems[0].message.contains("split"),
        "{r}"
    );
}

fn grub_opts(paths: &[&str]) -> CheckOptions {
    CheckOptions {
        grub_paths: paths.iter().map(|p| p.as_bytes().to_vec()).collect(),
    }
}

#[test]
fn xorriso_rock_ridge_joliet_el_torito() {
    let b = build("xorriso", &args(&["-R", "-J"]));
    compare_rock_ridge(&b, Pn::LinuxDev);
    let rep = check(&b.iso);
    // xorriso 1.5.4 points every Joliet ".." at the directory itself
    // (libisofs joliet.c); that is the only error.
    assert!(rep.has("joliet-dotdot"), "{rep}");
    assert!(
        rep.problems.iter().all(|p| p.code == "joliet-dotdot"),
        "{rep}"
    );
    assert!(rep.summary.complete);
    assert_eq!(rep.summary.boot_info_table, Some(true));
    // Its primary names are lowercase, its deep tree unrelocated.
    assert!(
        rep.warnings
            .iter()
            .all(|w| ["iso-name", "depth", "rr-nm-continue"].contains(&w.code)),
        "{rep}"
    );
}

#[test]
fn xorriso_without_joliet_is_clean() {
    let b = build("xorriso", &args(&["-R"]));
    let rep = check(&b.iso);
    assert_clean(&rep, &["iso-name", "depth", "rr-nm-continue"]);
}

#[test]
fn illumos_mkisofs_recipe() {
    // mvi.sh: -N -l -R -U -allow-multidot -no-iso-translate -cache-inodes -d -D
    let b = build(
        "genisoimage",
        &[
            "-b",
            "boot/grub/stage2_eltorito",
            "-c",
            ".catalog",
            "-no-emul-boot",
            "-boot-load-size",
            "4",
            "-boot-info-table",
            "-N",
            "-l",
            "-R",
            "-U",
            "-allow-multidot",
            "-no-iso-translate",
            "-cache-inodes",
            "-d",
            "-D",
            "-V",
            "illumos",
        ],
    );
    let r = IsoReader::open(&b.iso).unwrap();
    // GRUB Legacy finds the boot paths by Rock Ridge name and, with -U, by
    // primary identifier too.
    for t in [Tree::RockRidge, Tree::Primary] {
        let e = r.lookup("/boot/grub/menu.lst", t).unwrap();
        assert_eq!(
            read_all(&r, &e),
            fs::read(b.src.join("boot/grub/menu.lst")).unwrap()
        );
        assert!(r.lookup("/platform/i86pc/kernel/amd64/unix", t).is_ok());
    }
    // Hard links share one extent.
    let (h, l) = (
        r.stat("/hello.txt").unwrap(),
        r.stat("/dir/hardlink").unwrap(),
    );
    assert_eq!(h.extents, l.extents);
    let rep = check(&b.iso);
    // Deliberately non-conformant names and depth, lowercase volume id:
    // warnings only.
    assert_clean(&rep, &["iso-name", "depth", "id-chars", "rr-nm-continue"]);
    assert!(rep.has("iso-name") && rep.has("id-chars"));
}

// ---------------------------------------------------------------------------
// Corruptions of a real image.

fn put_both32(img: &mut [u8], at: usize, v: u32) {
    img[at..at + 4].copy_from_slice(&v.to_le_bytes());
    img[at + 4..at + 8].copy_from_slice(&v.to_be_bytes());
}

fn le32(img: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(img[at..at + 4].try_into().unwrap())
}

/// Offset of the System Use entry `sig` of the record at `at` (in the
/// record itself, not in a continuation area).
fn susp(img: &[u8], at: usize, sig: &[u8; 2]) -> usize {
    let len = usize::from(img[at]);
    let idl = usize::from(img[at + 32]);
    let mut p = at + 33 + idl + usize::from(idl % 2 == 0);
    while p + 4 <= at + len {
        if &img[p..p + 2] == sig {
            return p;
        }
        p += usize::from(img[p + 2]).max(1);
    }
    panic!(
        "no {:?} in the record at {at}",
        String::from_utf8_lossy(sig)
    );
}

struct Image {
    iso: Vec<u8>,
}

impl Image {
    fn reader(&self) -> IsoReader<&Vec<u8>> {
        IsoReader::open(&self.iso).unwrap()
    }
    /// Byte offset of the primary-tree record of `path` (Rock Ridge names).
    fn rec(&self, path: &str) -> usize {
        self.reader().stat(path).unwrap().record_offset as usize
    }
    /// Byte offset of the first record ("." ) of directory `path`.
    fn dir(&self, path: &str) -> usize {
        self.reader().stat(path).unwrap().first_extent().0 as usize * 2048
    }
    fn file(&self, path: &str) -> usize {
        self.dir(path)
    }
}

type Corruption = (&'static str, &'static str, fn(&Image, &mut Vec<u8>));

const PVD: usize = 16 * 2048;

fn corruptions() -> Vec<Corruption> {
    vec![
        (
            "PVD volume space size BE != LE",
            "vd-both-endian",
            |_, img| {
                img[PVD + 84..PVD + 88].copy_from_slice(&7u32.to_be_bytes());
            },
        ),
        ("record extent BE != LE", "record-both-endian", |i, img| {
            let at = i.rec("/hello.txt");
            img[at + 6] ^= 0x40;
        }),
        ("boot catalog checksum", "catalog-checksum", |i, img| {
            let c = i.reader().catalog_lba().unwrap() as usize * 2048;
            img[c + 28] ^= 1;
        }),
        (
            "boot catalog default entry indicator",
            "catalog-entry",
            |i, img| {
                let c = i.reader().catalog_lba().unwrap() as usize * 2048;
                img[c + 32] = 0x89;
            },
        ),
        (
            "boot info table checksum (image byte changed)",
            "boot-info-checksum",
            |i, img| {
                let at = i.file("/boot/grub/stage2_eltorito");
                img[at + 100_001] ^= 0x10;
            },
        ),
        ("boot info table length", "boot-info-length", |i, img| {
            let at = i.file("/boot/grub/stage2_eltorito");
            img[at + 16..at + 20].copy_from_slice(&0xD304u32.to_le_bytes());
        }),
        ("boot info table PVD", "boot-info-pvd", |i, img| {
            let at = i.file("/boot/grub/stage2_eltorito");
            img[at + 8] = 17;
        }),
        ("M path table differs from L", "path-table-lm", |_, img| {
            let m = u32::from_be_bytes(img[PVD + 148..PVD + 152].try_into().unwrap()) as usize;
            img[m * 2048 + 2 + 10 + 3] ^= 1; // record 2's extent, low byte
        }),
        ("path table parent number", "path-table-parent", |_, img| {
            // The last record is deepest: make its parent the root, in both
            // tables.
            let size = le32(img, PVD + 132) as usize;
            let l = le32(img, PVD + 140) as usize * 2048;
            let m =
                u32::from_be_bytes(img[PVD + 148..PVD + 152].try_into().unwrap()) as usize * 2048;
            let mut p = 0;
            let mut last = 0;
            while p < size {
                last = p;
                let n = usize::from(img[l + p]);
                p += 8 + n + n % 2;
            }
            img[l + last + 6..l + last + 8].copy_from_slice(&1u16.to_le_bytes());
            img[m + last + 6..m + last + 8].copy_from_slice(&1u16.to_be_bytes());
        }),
        ("record out of §9.3 order", "record-order", |i, img| {
            let at = i.rec("/hello.txt");
            assert_eq!(&img[at + 33..at + 38], b"HELLO");
            img[at + 33] = b'Z';
        }),
        (".. names the directory itself", "dotdot", |i, img| {
            let d = i.dir("/dir");
            let lba = (d / 2048) as u32;
            let dd = d + usize::from(img[d]);
            put_both32(img, dd + 2, lba);
        }),
        (
            "record crossing a sector",
            "record-crosses-sector",
            |i, img| {
                // The last record of /many's first sector, grown past its end.
                let s = i.dir("/many");
                let (mut p, mut last) = (0, 0);
                while p < 2048 && img[s + p] != 0 {
                    last = p;
                    p += usize::from(img[s + p]);
                }
                assert!(2048 - last < 250, "needs a full first sector");
                img[s + last] = (2048 - last + 2) as u8;
            },
        ),
        ("CE outside the image", "ce-range", |i, img| {
            let root = i.dir("/");
            let ce = susp(img, root, b"CE");
            put_both32(img, ce + 4, 0x0FFF_FFFF);
        }),
        ("SP missing", "rr-sp", |i, img| {
            let root = i.dir("/");
            img[root + 34] = b'X';
        }),
        ("ER with the wrong id", "rr-er", |i, img| {
            // The ER sits in the root's continuation area.
            let root = i.dir("/");
            let ce = susp(img, root, b"CE");
            let area = le32(img, ce + 4) as usize * 2048 + le32(img, ce + 12) as usize;
            let n = le32(img, ce + 20) as usize;
            let at = (area..area + n - 10)
                .find(|&p| &img[p..p + 10] == b"RRIP_1991A")
                .unwrap();
            img[at + 9] = b'B';
        }),
        ("SUSP version byte", "susp-version", |i, img| {
            let px = susp(img, i.rec("/hello.txt"), b"PX");
            img[px + 3] = 2;
        }),
        ("PX both-endian", "susp-both-endian", |i, img| {
            let px = susp(img, i.rec("/hello.txt"), b"PX");
            img[px + 8] ^= 1;
        }),
        ("overlapping file extents", "extent-overlap", |i, img| {
            let rand = i.reader().stat("/dir/rand.bin").unwrap().first_extent().0;
            put_both32(img, i.rec("/hello.txt") + 2, rand);
        }),
        ("extent past the volume end", "extent-range", |i, img| {
            put_both32(img, i.rec("/hello.txt") + 2, 0x00F0_0000);
        }),
        (
            "RE removed from a relocated directory",
            "rr-cl",
            |i, img| {
                let r = i.reader();
                let moved = r.lookup("/RR_MOVED/H", Tree::Primary).unwrap();
                let re = susp(img, moved.record_offset as usize, b"RE");
                img[re] = b'X';
            },
        ),
        ("PL naming the wrong parent", "rr-pl", |i, img| {
            let r = i.reader();
            let moved = r.lookup("/RR_MOVED/H", Tree::Primary).unwrap();
            let d = moved.first_extent().0 as usize * 2048;
            let dd = d + usize::from(img[d]);
            let pl = susp(img, dd, b"PL");
            put_both32(img, pl + 4, 16);
        }),
        ("volume creation date", "date-format", |_, img| {
            img[PVD + 813 + 6] = b'4'; // day 4x
        }),
        ("terminator missing", "vd-set", |i, img| {
            let t = i.reader().descriptors().last().unwrap().0 as usize * 2048;
            img[t + 1] = 0;
        }),
        ("boot record identifier padding", "brvd", |_, img| {
            img[17 * 2048 + 38] = b' ';
        }),
    ]
}

#[test]
fn single_field_corruptions_of_a_genisoimage_image() {
    let b = build("genisoimage", &args(&["-R", "-J"]));
    let img = Image { iso: b.iso };
    let base = check(&img.iso);
    assert_clean(&base, &["rr-nm-continue"]);
    let mut failures = Vec::new();
    let list = corruptions();
    assert!(list.len() >= 12);
    for (what, code, f) in list {
        assert!(!base.has(code), "{code} on the clean image");
        let mut c = img.iso.clone();
        f(&img, &mut c);
        assert_ne!(c, img.iso, "{what}: no change");
        let r = check(&c);
        if !r.has(code) {
            failures.push(format!("{what}: expected {code}, got {:?}\n{r}", r.codes()));
        }
        // The reader survives it.
        if let Ok(rd) = IsoReader::open(&c) {
            for t in [Tree::RockRidge, Tree::Primary, Tree::Joliet] {
                if let Ok(w) = rd.walk(t) {
                    for (_, e) in &w {
                        let _ = rd.read_file(e, &mut std::io::sink());
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn joliet_dotdot_fix_is_recognised() {
    // Repair xorriso's Joliet ".." records by hand: the checker is then
    // clean, so joliet-dotdot really is about those records.
    let b = build("xorriso", &args(&["-R", "-J"]));
    let mut img = b.iso.clone();
    let r = IsoReader::open(&b.iso).unwrap();
    let walked = r.walk(Tree::Joliet).unwrap();
    let mut lba_of: BTreeMap<Vec<u8>, (u32, u32)> = BTreeMap::new();
    for (p, e) in &walked {
        if e.is_dir {
            lba_of.insert(p.clone(), (e.first_extent().0, e.size as u32));
        }
    }
    for (p, (lba, _)) in &lba_of {
        if p == b"/" {
            continue;
        }
        let parent = match p.iter().rposition(|&c| c == b'/') {
            Some(0) => b"/".to_vec(),
            Some(i) => p[..i].to_vec(),
            None => unreachable!(),
        };
        let (plba, psize) = lba_of[&parent];
        let d = *lba as usize * 2048;
        let dd = d + usize::from(img[d]);
        put_both32(&mut img, dd + 2, plba);
        put_both32(&mut img, dd + 10, psize);
    }
    let rep = check(&img);
    assert!(!rep.has("joliet-dotdot"), "{rep}");
    assert!(rep.is_clean(), "{rep}");
}

#[test]
fn our_writer_reads_back_and_checks_clean() {
    use iso9660::{BootOptions, NameMode, Options};
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    make_tree(&src);
    let tree = fstree::walk(&src, &fstree::WalkOptions::default()).unwrap();
    for (joliet, names) in [
        (false, NameMode::Strict),
        (true, NameMode::Strict),
        (true, NameMode::Relaxed),
    ] {
        let opts = Options {
            boot: Some(BootOptions {
                image: b"boot/grub/stage2_eltorito".to_vec(),
                image_data: std::sync::Arc::from(stage2().to_vec()),
                catalog: b".catalog".to_vec(),
                load_size: 4,
                info_table: true,
            }),
            joliet,
            names,
            ..Options::default()
        };
        let layout = iso9660::plan(&tree, &opts).unwrap();
        let mut iso = Vec::new();
        iso9660::write(&layout, &tree, &mut iso).unwrap();
        let b = Built {
            _tmp: tempfile::tempdir().unwrap(),
            src: src.clone(),
            iso,
        };
        compare_rock_ridge_with(&b, Pn::MajorMinor, "/.catalog", Some((0, 0)));
        let rep = check(&b.iso);
        let mut allowed = vec!["id-chars"]; // the default volume id "illumos"
        if names == NameMode::Relaxed {
            allowed.extend(["iso-name", "depth"]);
        }
        assert_clean(&rep, &allowed);
        assert_eq!(
            rep.summary.boot_info_table,
            Some(true),
            "{joliet} {names:?}"
        );
        assert_eq!(rep.summary.joliet, joliet);
        let mut o = CheckOptions::grub_legacy();
        o.grub_paths
            .push(b"/platform/i86pc/kernel/amd64/unix".to_vec());
        o.grub_paths
            .push(format!("/{}", "n".repeat(200)).into_bytes());
        assert_clean(&check_with(&b.iso, &o), &allowed);
    }
}

/// Flipped bytes in the metadata of a real genisoimage image (descriptors,
/// path tables, directories, CE areas, catalog, boot info table) never make
/// the reader or the checker panic.
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn base() -> &'static Vec<u8> {
        static B: OnceLock<Vec<u8>> = OnceLock::new();
        B.get_or_init(|| build("genisoimage", &args(&["-R", "-J"])).iso)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
        #[test]
        fn flipped_metadata(flips in prop::collection::vec((16usize * 2048..120 * 2048, any::<u8>()), 1..16)) {
            let mut img = base().clone();
            for (at, v) in flips {
                img[at] = v;
            }
            if let Ok(r) = IsoReader::open(&img) {
                for t in [Tree::RockRidge, Tree::Primary, Tree::Joliet] {
                    if let Ok(w) = r.walk(t) {
                        for (_, e) in &w {
                            let _ = r.read_file(e, &mut std::io::sink());
                        }
                    }
                }
                let _ = r.boot_catalog();
            }
            let _ = check_with(&img, &CheckOptions::grub_legacy());
        }
    }
}

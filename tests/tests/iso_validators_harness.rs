//! The ISO validator harness works without the project's writer: images
//! that xorriso builds from a varied tree pass every validator, and copies
//! with one field corrupted fail in the validators that reference §6.2 says
//! catch that corruption. Requires `scripts/setup-test-deps.sh` (the tools
//! and `$MVI_STAGE2_ELTORITO`); fails, never skips, without it.

mod common;

use mvi_tests::iso_validators::{
    run_validators, validate_iso, BootExpectation, IsoExpectation, PnEncoding, ValidationReport,
    Validator,
};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

const EPOCH: &str = "1700000000";

fn write(p: &Path, data: &[u8]) {
    std::fs::write(p, data).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Whether device nodes and other owners can be created (the oracle
/// machines run the suite as root).
fn is_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let p = dir.join(".probe");
    write(&p, b"");
    let root = std::fs::metadata(&p).unwrap().uid() == 0;
    std::fs::remove_file(&p).unwrap();
    root
}

/// About 100 entries: every file type, sizes around the 2048-byte block,
/// a 1 MiB file, 10-deep directories, odd names (spaces, UTF-8, a
/// non-UTF-8 byte, 150 characters, quotes, backslash), hard links,
/// symlinks (relative, absolute, dangling, one long enough to need several
/// SL entries), setuid/setgid/sticky, other owners, GRUB's stage2.
fn varied_tree(root: &Path, stage2: &Path) {
    let d = |rel: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    };
    let grub = d("boot/grub");
    std::fs::copy(stage2, grub.join("stage2_eltorito")).unwrap();
    write(
        &grub.join("menu.lst"),
        b"timeout 1\ntitle test\nkernel /x\n",
    );
    d("empty");
    let files = d("files");
    for (i, size) in [0usize, 1, 2047, 2048, 2049, 65536, (1 << 20) + 1]
        .iter()
        .enumerate()
    {
        write(
            &files.join(format!("size-{size}")),
            &common::pattern(*size, i as u64 + 1),
        );
    }
    let many = d("many files");
    for i in 0..50 {
        write(
            &many.join(format!("file {i:02}.txt")),
            &common::pattern(i * 37 % 500, 100 + i as u64),
        );
    }
    let mut deep = d("deep");
    for i in 0..10 {
        deep = deep.join(format!("level{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    write(&deep.join("bottom.txt"), b"ten levels down\n");
    let names = d("names");
    write(&names.join("ünïcødé 日本語.txt"), b"utf-8\n");
    write(
        &names.join(std::ffi::OsStr::from_bytes(b"latin1-\xe9t\xe9")),
        b"not utf-8\n",
    );
    write(&names.join("L".repeat(150)), b"long name\n");
    write(&names.join("it's \"quoted\""), b"quotes\n");
    write(&names.join("back\\slash"), b"backslash\n");
    write(&names.join("lower.c"), b"lower\n");
    write(&names.join("LOWER.C"), b"upper\n");
    write(&names.join("a.b.c.d"), b"dots\n");
    let links = d("links");
    write(&links.join("orig"), &common::pattern(5000, 7));
    std::fs::hard_link(links.join("orig"), links.join("hard")).unwrap();
    symlink("orig", links.join("rel")).unwrap();
    symlink("/etc/passwd", links.join("abs")).unwrap();
    symlink("../nowhere/at/all", links.join("dangling")).unwrap();
    let long: Vec<String> = (0..25).map(|i| format!("component{i:02}")).collect();
    symlink(long.join("/") + "/end", links.join("long")).unwrap();
    let sp = d("special");
    let st = Command::new("mkfifo")
        .arg(sp.join("fifo"))
        .status()
        .unwrap();
    assert!(st.success());
    let _sock = std::os::unix::net::UnixListener::bind(sp.join("socket")).unwrap();
    let modes = d("modes");
    for (name, mode) in [("suid", 0o4755), ("sgid", 0o2750), ("private", 0o600)] {
        write(&modes.join(name), name.as_bytes());
        chmod(&modes.join(name), mode);
    }
    let sticky = d("modes/sticky");
    chmod(&sticky, 0o1777);
    if is_root(root) {
        for (name, kind, ma, mi) in [
            ("null", "c", "1", "3"),
            ("loop0", "b", "7", "0"),
            ("big", "c", "300", "70000"),
        ] {
            let st = Command::new("mknod")
                .arg(sp.join(name))
                .args([kind, ma, mi])
                .status()
                .unwrap();
            assert!(st.success(), "mknod {name}");
        }
        std::os::unix::fs::chown(modes.join("private"), Some(1234), Some(5678)).unwrap();
        std::os::unix::fs::lchown(links.join("rel"), Some(7), Some(8)).unwrap();
    } else {
        eprintln!("not root: the varied tree has no device nodes or foreign owners");
    }
}

fn walk(src: &Path) -> fstree::Tree {
    fstree::walk(
        src,
        &fstree::WalkOptions {
            preserve_owner: true,
            time: i64::MAX,
        },
    )
    .unwrap()
}

fn run_xorriso(args: &[&std::ffi::OsStr]) {
    let out = Command::new("xorriso")
        .args(args)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .expect("xorriso (run scripts/setup-test-deps.sh)");
    assert!(
        out.status.success(),
        "xorriso {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `xorriso -as mkisofs [extra...] -o iso src`.
fn mkisofs(src: &Path, iso: &Path, extra: &[&str]) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["-as".as_ref(), "mkisofs".as_ref()];
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    args.extend([std::ffi::OsStr::new("-o"), iso.as_os_str(), src.as_os_str()]);
    run_xorriso(&args);
}

const BOOT: &[&str] = &[
    "-b",
    "boot/grub/stage2_eltorito",
    "-no-emul-boot",
    "-boot-load-size",
    "4",
    "-boot-info-table",
];

struct Fixture {
    _dir: tempfile::TempDir,
    src: PathBuf,
    tree: fstree::Tree,
    work: PathBuf,
}

fn fixture() -> Fixture {
    let env = mvi_tests::oracle_env().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    varied_tree(&src, &env.stage2_eltorito);
    let tree = walk(&src);
    let work = dir.path().join("out");
    std::fs::create_dir(&work).unwrap();
    Fixture {
        _dir: dir,
        src,
        tree,
        work,
    }
}

fn expectation(
    f: &Fixture,
    volume: &str,
    joliet: bool,
    boot: Option<BootExpectation>,
) -> IsoExpectation {
    IsoExpectation {
        tree: Some(f.tree.clone()),
        volume_id: Some(volume.into()),
        boot,
        joliet,
        rock_ridge: true,
        pn_encoding: PnEncoding::LinuxDevT,
    }
}

fn must_pass(iso: &Path, expect: &IsoExpectation) -> ValidationReport {
    match validate_iso(iso, expect) {
        Ok(r) => {
            eprintln!("{r}");
            r
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn rock_ridge_and_joliet_image_passes() {
    let f = fixture();
    let iso = f.work.join("rr-joliet.iso");
    mkisofs(&f.src, &iso, &["-R", "-J", "-V", "MVI_TEST"]);
    let r = must_pass(&iso, &expectation(&f, "MVI_TEST", true, None));
    assert_eq!(r.verdicts.len(), Validator::ALL.len());
    eprintln!(
        "validate_iso on a {}-entry tree ({} bytes): {} ms",
        f.tree.preorder().len() - 1,
        std::fs::metadata(&iso).unwrap().len(),
        r.elapsed.as_millis()
    );
}

#[test]
fn el_torito_images_pass() {
    let f = fixture();
    // Catalog visible at the mkisofs default and at a chosen path.
    for (cat, extra) in [
        (Some("boot.catalog"), &[][..]),
        (Some("boot/boot.catalog"), &["-c", "boot/boot.catalog"][..]),
        (
            None,
            &["-c", "boot/boot.catalog", "--boot-catalog-hide"][..],
        ),
    ] {
        let iso = f.work.join("boot.iso");
        let mut args = vec!["-R", "-J", "-V", "MVI_BOOT"];
        args.extend_from_slice(BOOT);
        args.extend_from_slice(extra);
        mkisofs(&f.src, &iso, &args);
        let boot = BootExpectation::grub_legacy(cat);
        let r = must_pass(&iso, &expectation(&f, "MVI_BOOT", true, Some(boot)));
        let notes = &r.verdict(Validator::ElTorito).unwrap().notes;
        assert!(
            notes.iter().any(|n| n.contains("boot info table")),
            "{notes:?}"
        );
    }
}

/// xorriso's native mode (`-outdev`, which starts the session at LBA 32
/// on a file, so the boot info table's PVD field is 48).
fn xorriso_native(src: &Path, iso: &Path, volid: &str, rock_ridge: bool, joliet: bool, boot: bool) {
    let _ = std::fs::remove_file(iso);
    let on = |b: bool| if b { "on" } else { "off" };
    let mut args: Vec<String> = [
        "-outdev",
        &iso.display().to_string(),
        "-volid",
        volid,
        "-rockridge",
        on(rock_ridge),
        "-joliet",
        on(joliet),
        "-map",
        &src.display().to_string(),
        "/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if boot {
        for opt in [
            "bin_path=/boot/grub/stage2_eltorito",
            "emul_type=no_emulation",
            "load_size=2048",
            "boot_info_table=on",
            "cat_path=/boot/boot.cat",
            "cat_hidden=on",
        ] {
            args.extend(["-boot_image".into(), "any".into(), opt.into()]);
        }
    }
    args.push("-commit".into());
    let a: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    run_xorriso(&a);
}

#[test]
fn hidden_catalog_rock_ridge_only_image_passes() {
    let f = fixture();
    let iso = f.work.join("hidden.iso");
    xorriso_native(&f.src, &iso, "HIDDEN_CAT", true, false, true);
    must_pass(
        &iso,
        &expectation(
            &f,
            "HIDDEN_CAT",
            false,
            Some(BootExpectation::grub_legacy(None)),
        ),
    );
}

/// Without Rock Ridge the primary names are the writer's mapping: the
/// harness compares contents as a multiset, and Joliet by name.
#[test]
fn joliet_without_rock_ridge_image_passes() {
    let f = fixture();
    let iso = f.work.join("no-rr.iso");
    xorriso_native(&f.src, &iso, "NO_RR", false, true, false);
    let mut expect = expectation(&f, "NO_RR", true, None);
    expect.rock_ridge = false;
    must_pass(&iso, &expect);
    // A content change is still noticed.
    let mut tree = f.tree.clone();
    let id = tree.lookup(b"files/size-65536").unwrap();
    if let fstree::Kind::File { data, .. } = &mut tree.nodes[id].kind {
        *data = fstree::Data::Zeros;
    }
    expect.tree = Some(tree);
    let r = run_validators(&iso, &expect);
    use Validator::*;
    assert_eq!(r.failed(), [Pycdlib, Bsdtar, HadrisIso], "{r}");
}

/// A second producer: genisoimage relocates the 11-deep directory into
/// `rr_moved` (CL/PL/RE), writes `PN` as major/minor words, and lists
/// symlinks and special files in Joliet as empty files.
#[test]
fn genisoimage_image_with_relocation_passes() {
    let f = fixture();
    // genisoimage -J refuses names that are not UTF-8.
    let src = f.work.join("gsrc");
    let st = Command::new("cp")
        .arg("-a")
        .arg(&f.src)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::remove_file(
        src.join("names")
            .join(std::ffi::OsStr::from_bytes(b"latin1-\xe9t\xe9")),
    )
    .unwrap();
    let tree = walk(&src);
    let iso = f.work.join("genisoimage.iso");
    let out = Command::new("genisoimage")
        .args(["-quiet", "-R", "-J", "-V", "GENISO", "-o"])
        .arg(&iso)
        .arg(&src)
        .output()
        .expect("genisoimage (run scripts/setup-test-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expect = IsoExpectation {
        tree: Some(tree),
        volume_id: Some("GENISO".into()),
        boot: None,
        joliet: true,
        rock_ridge: true,
        pn_encoding: PnEncoding::MajorMinor,
    };
    let r = must_pass(&iso, &expect);
    let notes = &r.verdict(Validator::Isoinfo).unwrap().notes;
    assert!(
        notes
            .iter()
            .any(|n| n.contains("relocated directory rr_moved/")),
        "{notes:?}"
    );
    // With the other PN encoding the device numbers no longer match.
    let wrong = IsoExpectation {
        pn_encoding: PnEncoding::LinuxDevT,
        ..expect
    };
    let r = run_validators(&iso, &wrong);
    use Validator::*;
    assert_eq!(r.failed(), [Xorriso, Pycdlib, Bsdtar, HadrisIso], "{r}");
}

#[test]
fn wrong_expectations_are_reported() {
    let f = fixture();
    let iso = f.work.join("plain.iso");
    mkisofs(&f.src, &iso, &["-R", "-J", "-V", "MVI_TEST"]);
    // One file's content differs, a mode differs, a name is missing.
    let mut tree = f.tree.clone();
    let id = tree.lookup(b"files/size-2048").unwrap();
    if let fstree::Kind::File { data, .. } = &mut tree.nodes[id].kind {
        *data = fstree::Data::Bytes(vec![0u8; 2048].into());
    }
    let id = tree.lookup(b"modes/suid").unwrap();
    tree.nodes[id].perm = 0o755;
    let mut expect = expectation(&f, "OTHER", true, Some(BootExpectation::grub_legacy(None)));
    expect.tree = Some(tree);
    let r = run_validators(&iso, &expect);
    eprintln!("{r}");
    // isovfy and 7z check the structure only; every other validator
    // compares with the expectation.
    use Validator::*;
    assert_eq!(
        r.failed(),
        [Xorriso, Pycdlib, Isoinfo, Bsdtar, HadrisIso, ElTorito],
        "{r}"
    );
    let text = validate_iso(&iso, &expect).unwrap_err();
    assert!(
        text.contains("files/size-2048") && text.contains("modes/suid"),
        "{text}"
    );
}

/// Not an image at all, and an image cut in half: every validator fails
/// (xorriso, for one, reads a file without a volume descriptor as a blank
/// medium and exits 0), and none panics.
#[test]
fn garbage_and_truncated_files_fail_everywhere() {
    let f = fixture();
    let zeros = f.work.join("zeros.iso");
    write(&zeros, &vec![0u8; 1 << 20]);
    let expect = expectation(&f, "MVI_TEST", true, None);
    let r = run_validators(&zeros, &expect);
    assert_eq!(r.failed(), Validator::ALL, "{r}");
    let good = f.work.join("good.iso");
    mkisofs(&f.src, &good, &["-R", "-J", "-V", "MVI_TEST"]);
    let bytes = std::fs::read(&good).unwrap();
    let cut = f.work.join("cut.iso");
    write(&cut, &bytes[..bytes.len() / 2]);
    let r = run_validators(&cut, &expect);
    eprintln!("{r}");
    let failed = r.failed();
    use Validator::*;
    for v in [Xorriso, Pycdlib, Isoinfo, Bsdtar, SevenZip, HadrisIso] {
        assert!(failed.contains(&v), "{v} accepted a truncated image\n{r}");
    }
    let missing = validate_iso(&f.work.join("missing.iso"), &expect).unwrap_err();
    assert!(missing.contains("missing.iso"), "{missing}");
}

// ------------------------------------------------------------ corruptions

const S: usize = 2048;

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

fn set_both32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    b[o + 4..o + 8].copy_from_slice(&v.to_be_bytes());
}

/// Directory records of the directory at `lba` (first sector only):
/// (byte offset, identifier, flags).
fn records(img: &[u8], lba: usize) -> Vec<(usize, Vec<u8>, u8)> {
    let mut out = Vec::new();
    let mut p = lba * S;
    while p < (lba + 1) * S && img[p] != 0 {
        let len = img[p] as usize;
        let nl = img[p + 32] as usize;
        out.push((p, img[p + 33..p + 33 + nl].to_vec(), img[p + 25]));
        p += len;
    }
    out
}

fn root_lba(img: &[u8]) -> usize {
    le32(img, 16 * S + 156 + 2) as usize
}

fn catalog_lba(img: &[u8]) -> usize {
    for sector in 16..32 {
        if img[sector * S] == 0 && &img[sector * S + 1..sector * S + 6] == b"CD001" {
            return le32(img, sector * S + 71) as usize;
        }
    }
    panic!("no boot record");
}

type Corruption = fn(&mut [u8]);

fn pvd_volume_size_be(img: &mut [u8]) {
    let o = 16 * S + 84;
    let be = u32::from_be_bytes(img[o..o + 4].try_into().unwrap());
    img[o..o + 4].copy_from_slice(&(be + 1).to_be_bytes());
}

fn catalog_checksum(img: &mut [u8]) {
    let c = catalog_lba(img);
    img[c * S + 28] ^= 0x01;
}

fn m_path_table(img: &mut [u8]) {
    let m = u32::from_be_bytes(img[16 * S + 148..16 * S + 152].try_into().unwrap()) as usize;
    // The second record (after the 10-byte root record): its extent.
    let o = m * S + 10 + 2;
    let ext = u32::from_be_bytes(img[o..o + 4].try_into().unwrap());
    img[o..o + 4].copy_from_slice(&(ext + 1).to_be_bytes());
}

fn dir_record_extent_be(img: &mut [u8]) {
    let (p, _, _) = records(img, root_lba(img))[2].clone();
    let be = u32::from_be_bytes(img[p + 6..p + 10].try_into().unwrap());
    img[p + 6..p + 10].copy_from_slice(&(be + 1).to_be_bytes());
}

fn dotdot_to_self(img: &mut [u8]) {
    let root = root_lba(img);
    let (p, _, _) = records(img, root)
        .into_iter()
        .find(|(_, n, fl)| fl & 2 != 0 && n.eq_ignore_ascii_case(b"files"))
        .expect("directory 'files' in the primary tree");
    let dir = le32(img, p + 2) as usize;
    let (dd, _, _) = records(img, dir)[1].clone();
    set_both32(img, dd + 2, dir as u32);
}

fn root_ce_outside(img: &mut [u8]) {
    let p = root_lba(img) * S;
    let nl = img[p + 32] as usize;
    let mut s = p + 33 + nl + usize::from(nl.is_multiple_of(2));
    while s + 4 <= p + img[p] as usize {
        let len = img[s + 2] as usize;
        if &img[s..s + 2] == b"CE" {
            set_both32(img, s + 4, 1_000_000);
            return;
        }
        assert!(len > 0);
        s += len;
    }
    panic!("no CE in the root '.' record");
}

fn boot_info_checksum(img: &mut [u8]) {
    let c = catalog_lba(img);
    let rba = le32(img, c * S + 32 + 8) as usize;
    img[rba * S + 20] ^= 0xff;
}

#[test]
fn corruptions_are_caught_by_the_validators_that_should() {
    let f = fixture();
    let good = f.work.join("good.iso");
    let mut args = vec!["-R", "-J", "-V", "MVI_BOOT"];
    args.extend_from_slice(BOOT);
    mkisofs(&f.src, &good, &args);
    let expect = expectation(
        &f,
        "MVI_BOOT",
        true,
        Some(BootExpectation::grub_legacy(Some("boot.catalog"))),
    );
    must_pass(&good, &expect);
    let bytes = std::fs::read(&good).unwrap();
    use Validator::*;
    // (name, corruption, validators reference §6.2 says catch it)
    let cases: &[(&str, Corruption, &[Validator])] = &[
        (
            "PVD volume space size BE != LE",
            pvd_volume_size_be,
            &[Pycdlib, SevenZip],
        ),
        (
            "boot catalog checksum",
            catalog_checksum,
            &[Pycdlib, SevenZip, ElTorito],
        ),
        ("M path table != L path table", m_path_table, &[Pycdlib]),
        (
            "directory record extent BE != LE",
            dir_record_extent_be,
            &[Pycdlib],
        ),
        (
            "'..' pointing at its own directory",
            dotdot_to_self,
            &[Isovfy],
        ),
        (
            "root CE pointing outside the image",
            root_ce_outside,
            &[Xorriso, Isoinfo, Isovfy, Bsdtar],
        ),
        ("boot info table checksum", boot_info_checksum, &[ElTorito]),
    ];
    let mut summary = String::new();
    for (name, corrupt, want) in cases {
        let mut img = bytes.clone();
        corrupt(&mut img);
        assert_ne!(img, bytes, "{name}: nothing changed");
        let iso = f.work.join("bad.iso");
        std::fs::write(&iso, &img).unwrap();
        let r = run_validators(&iso, &expect);
        let failed = r.failed();
        summary.push_str(&format!(
            "{name}: caught by {}\n",
            failed
                .iter()
                .map(|v| v.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for v in r.verdicts.iter().filter(|v| !v.passed) {
            let first = v.problems[0].lines().next().unwrap_or("");
            summary.push_str(&format!("    {}: {first}\n", v.validator));
        }
        for v in *want {
            assert!(failed.contains(v), "{name}: {v} did not fail\n{r}");
        }
        assert!(validate_iso(&iso, &expect).is_err());
    }
    eprintln!("{summary}");
}

#[test]
fn iso_manifest_ignores_link_counts_only() {
    use mvi_tests::iso_validators::{iso_manifest, iso_manifest_diff};
    let f = fixture();
    let exp = iso_manifest(&f.tree).unwrap();
    assert!(
        exp.lines().all(|l| l.split(' ').nth(6) == Some("*")),
        "{exp}"
    );
    let host = mvi_tests::tree_manifest(&f.tree);
    assert_eq!(iso_manifest_diff(&exp, &host).unwrap(), "");
    let changed = host.replacen(" 0644 ", " 0600 ", 1);
    let d = iso_manifest_diff(&host, &changed).unwrap();
    assert!(d.contains("0600"), "{d}");
}

//! End to end: `mvi build` of a generated proto of realistic shape
//! (`mvi_tests::proto`: ~3,000 files, ~100 MB, the mvi layout, ~900 kernel
//! modules with dependencies) with Debian's stage2_eltorito, for the options
//! none, `32bit,extreme,nonet,nodisk` and `64bit`: GRUB legacy boots the
//! default entry under QEMU and the test kernel receives the boot archive
//! inflated to exactly the root image; Linux's UFS driver mounts that root
//! image and sees exactly the tree `mvi_tests::proto::expected_tree`
//! computes without mvi's rules; the root image checks clean; each option
//! shrinks the root; the report's numbers are the sizes of the files
//! written; the proto is unchanged; two builds under a perturbed
//! environment give identical bytes; the dependency check flags what
//! `nodisk` alone breaks. Requires `scripts/setup-test-deps.sh`; fails,
//! never skips, without it.

use mvi::build::{build, BuildOptions, BuildReport};
use mvi_tests::grub_boot::{boot_iso, stage2_eltorito, BootOptions as QemuOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p.clone());
                out.insert(p, (Vec::new(), m.modified().unwrap()));
            } else if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(
                    p,
                    (
                        t.into_os_string().into_encoded_bytes(),
                        m.modified().unwrap(),
                    ),
                );
            } else {
                out.insert(
                    p.clone(),
                    (std::fs::read(&p).unwrap(), m.modified().unwrap()),
                );
            }
        }
    }
    out
}

fn opts(proto: &Path, out: &Path, keep: &Path, options: &str) -> BuildOptions {
    BuildOptions {
        options: options.to_string(),
        boot_image: Some(stage2_eltorito().unwrap_or_else(|e| panic!("{e}"))),
        title: "mvi e2e".into(),
        console: grubcfg::Console::Ttya,
        dialect: grubcfg::Dialect::Plain,
        timeout: 1,
        keep: Some(keep.to_path_buf()),
        ..BuildOptions::new(proto.to_path_buf(), out.to_path_buf(), T)
    }
}

fn run(proto: &Path, dir: &Path, options: &str) -> (BuildReport, Vec<u8>) {
    let name = if options.is_empty() {
        "none".to_string()
    } else {
        options.replace(',', "-")
    };
    let iso = dir.join(format!("{name}.iso"));
    let keep = dir.join(format!("{name}-keep"));
    let r = build(&opts(proto, &iso, &keep, options), false)
        .unwrap_or_else(|e| panic!("{options}: {e:#}"));
    let root = std::fs::read(keep.join("root.img")).unwrap();
    // The report's numbers are the sizes of the files written.
    assert_eq!(r.root_bytes, root.len() as u64);
    assert_eq!(
        r.archive_bytes,
        std::fs::metadata(keep.join("boot_archive")).unwrap().len()
    );
    assert_eq!(r.iso_bytes, std::fs::metadata(&iso).unwrap().len());
    assert!(
        ufsimg::check(&root[..]).is_clean(),
        "{options}: root image not clean"
    );
    // GRUB legacy boots the default entry and hands over the archive, inflated.
    let boot = boot_iso(&iso, &QemuOptions::default()).unwrap_or_else(|e| panic!("{options}: {e}"));
    boot.check_module(0, &root)
        .unwrap_or_else(|e| panic!("{options}: {e}\n{}", boot.log));
    assert_eq!(boot.modules[0].at9564, Some(0x0001_1954));
    let want = if options.contains("32bit") {
        "/platform/i86pc/kernel/unix"
    } else {
        "/platform/i86pc/kernel/amd64/unix"
    };
    assert!(
        boot.cmdline.as_deref().unwrap_or("").starts_with(want),
        "{options}: {:?}",
        boot.cmdline
    );
    (r, std::fs::read(&iso).unwrap())
}

/// The generated proto of realistic shape (~3,000 files, ~100 MB), shared
/// by the tests of this file: generated once per test binary.
fn realistic_proto() -> &'static Path {
    static PROTO: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, p) = PROTO.get_or_init(|| {
        let d = tempfile::Builder::new()
            .prefix("mvi-e2e")
            .tempdir()
            .unwrap();
        let p = d.path().join("proto");
        let stats = mvi_tests::proto::generate(&p).unwrap();
        assert!(stats.files > 2800 && stats.bytes > 90_000_000, "{stats:?}");
        (d, p)
    });
    p
}

const T: i64 = 1_451_606_400;

#[test]
fn realistic_proto_builds_boot_and_linux_reads_each_root() {
    let dir = tempfile::tempdir().unwrap();
    let proto = realistic_proto();
    let before = snapshot(proto);
    let mut reports = Vec::new();
    for options in ["", "32bit,extreme,nonet,nodisk", "64bit"] {
        let (r, _) = run(proto, dir.path(), options);
        // Linux's UFS driver mounts the root image; what it sees is the
        // proto after mvix's and the options' removals and the fix-ups,
        // computed by mvi_tests::proto without mvi's rule engine.
        let name = if options.is_empty() {
            "none".to_string()
        } else {
            options.replace(',', "-")
        };
        let want = mvi_tests::proto::expected_tree(proto, options, T);
        let l = mvi_tests::linux_ufs::check_ufs_image_with_linux(
            &dir.path().join(format!("{name}-keep/root.img")),
            &want,
        )
        .unwrap_or_else(|e| panic!("{options}: {e}"));
        eprintln!(
            "{name}: root {} B ({} used), archive {} B, ISO {} B, {} modules; Linux check {:?}",
            r.root_bytes, r.root_used_bytes, r.archive_bytes, r.iso_bytes, r.modules, l.elapsed
        );
        assert!(r.broken_deps.is_empty(), "{options}: {:?}", r.broken_deps);
        reports.push(r);
    }
    let (none, small, b64) = (&reports[0], &reports[1], &reports[2]);
    assert!(small.root_used_bytes < none.root_used_bytes);
    assert!(b64.root_used_bytes < none.root_used_bytes);
    assert_eq!(small.kernels.len(), 1);
    assert_eq!(b64.kernels.len(), 1);
    // Each option in turn strictly shrinks the root.
    let mut last = none.root_used_bytes;
    for (i, o) in [
        "32bit",
        "32bit,extreme",
        "32bit,extreme,nonet",
        "32bit,extreme,nonet,nodisk",
    ]
    .iter()
    .enumerate()
    {
        let d = dir.path().join(format!("step{i}"));
        std::fs::create_dir(&d).unwrap();
        let r = build(&opts(proto, &d.join("x.iso"), &d.join("keep"), o), false).unwrap();
        assert!(
            r.root_used_bytes < last,
            "{o}: {} !< {last}",
            r.root_used_bytes
        );
        last = r.root_used_bytes;
    }
    // The proto is byte-for-byte (and mtime) unchanged.
    assert!(snapshot(proto) == before, "the build changed the proto");
}

#[test]
fn realistic_proto_builds_reproducibly() {
    // Two protos generated in different places, built under different TZ:
    // identical ISO, archive and root image bytes.
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::Builder::new()
        .prefix("elsewhere")
        .tempdir()
        .unwrap();
    let proto2 = b.path().join("p/r/o/t/o");
    mvi_tests::proto::generate(&proto2).unwrap();
    build(
        &opts(
            realistic_proto(),
            &a.path().join("x.iso"),
            &a.path().join("keep"),
            "32bit,nonet",
        ),
        false,
    )
    .unwrap();
    std::env::set_var("TZ", "America/St_Johns");
    build(
        &opts(
            &proto2,
            &b.path().join("x.iso"),
            &b.path().join("keep"),
            "32bit,nonet",
        ),
        false,
    )
    .unwrap();
    for f in [
        "x.iso",
        "keep/boot_archive",
        "keep/root.img",
        "keep/menu.lst",
    ] {
        assert!(
            std::fs::read(a.path().join(f)).unwrap() == std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs between builds"
        );
    }
}

#[test]
fn dependency_check_flags_what_an_option_breaks() {
    // nodisk alone removes misc/scsi but keeps drv/st (extreme removes
    // that): a kept module whose dependency is gone, in both ISAs.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let o = opts(
        realistic_proto(),
        &out.join("x.iso"),
        &dir.path().join("keep"),
        "nodisk",
    );
    let e = format!("{:#}", build(&o, false).unwrap_err());
    assert!(e.contains("kernel/drv/st (i386): needs misc/scsi"), "{e}");
    assert!(
        e.contains("kernel/drv/amd64/st (amd64): needs misc/scsi"),
        "{e}"
    );
    assert!(e.contains("2 kernel module dependencies"), "{e}");
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing written"
    );
    // --allow-broken-deps builds anyway and reports them.
    let mut o = o;
    o.allow_broken_deps = true;
    let r = build(&o, false).unwrap();
    assert_eq!(r.broken_deps.len(), 2, "{:?}", r.broken_deps);
    // With extreme as well, the set is consistent again.
    let o = opts(
        realistic_proto(),
        &out.join("y.iso"),
        &dir.path().join("keep2"),
        "extreme,nodisk",
    );
    let r = build(&o, false).unwrap();
    assert!(r.broken_deps.is_empty());
    assert!(r.modules > 500, "{}", r.modules);
}

#[test]
fn demo_build_boots() {
    // The README's first command builds the demo proto; it boots.
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto");
    mvi::demo::make_proto(&proto).unwrap();
    run(&proto, dir.path(), "");
}

#[test]
fn bad_input_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let iso = out.join("x.iso");
    let keep = dir.path().join("keep");
    // Not illumos-shaped.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = build(&opts(&empty, &iso, &keep, ""), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not an illumos proto area"), "{e}");
    // Unknown option, missing boot image, root too small.
    let proto = dir.path().join("proto");
    mvi::demo::make_proto(&proto).unwrap();
    let e = format!(
        "{:#}",
        build(&opts(&proto, &iso, &keep, "32bit,nosuch"), false).unwrap_err()
    );
    assert!(e.contains("nosuch"), "{e}");
    let mut o = opts(&proto, &iso, &keep, "");
    o.boot_image = Some(dir.path().join("no-stage2"));
    assert!(build(&o, false)
        .unwrap_err()
        .to_string()
        .contains("boot image not found"));
    let mut o = opts(&proto, &iso, &keep, "");
    o.root_size = ufsimg::SizeSpec::Fixed(1 << 20);
    let e = format!("{:#}", build(&o, false).unwrap_err());
    assert!(
        e.contains("too small") && e.contains("needs at least"),
        "{e}"
    );
    // A rule-file error names file, line and column.
    let rf = dir.path().join("bad.rules");
    std::fs::write(&rf, "remove etc/motd\nfrobnicate x\n").unwrap();
    let mut o = opts(&proto, &iso, &keep, "");
    o.rules = vec![rf];
    let e = format!("{:#}", build(&o, false).unwrap_err());
    assert!(e.contains("bad.rules:2:1"), "{e}");
    // Nothing written: no ISO, no temporary files.
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

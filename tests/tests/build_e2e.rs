//! End to end: `mvi build` of the demo proto with Debian's stage2_eltorito,
//! for the options none, `32bit,extreme,nonet,nodisk` and `64bit`: GRUB
//! legacy boots the default entry under QEMU and the test kernel receives
//! the boot archive inflated to exactly the root image; the root image
//! checks clean; each option shrinks the root; the report's numbers are the
//! sizes of the files written; the proto is unchanged; two builds under a
//! perturbed environment give identical bytes. Requires
//! `scripts/setup-test-deps.sh`; fails, never skips, without it.

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
        proto: proto.to_path_buf(),
        out: out.to_path_buf(),
        options: options.to_string(),
        rules: Vec::new(),
        metadata: None,
        boot_image: Some(stage2_eltorito().unwrap_or_else(|e| panic!("{e}"))),
        root_size: ufsimg::SizeSpec::Auto { slack_pct: 10 },
        nbpi: 16384,
        title: "mvi e2e".into(),
        console: grubcfg::Console::Ttya,
        dialect: grubcfg::Dialect::Plain,
        timeout: 1,
        allow_broken_deps: false,
        report_json: None,
        keep: Some(keep.to_path_buf()),
        time: 1_451_606_400,
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

#[test]
fn build_boots_for_each_option_set() {
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto");
    mvi::demo::make_proto(&proto).unwrap();
    let before = snapshot(&proto);
    let (none, iso_none) = run(&proto, dir.path(), "");
    let (small, _) = run(&proto, dir.path(), "32bit,extreme,nonet,nodisk");
    let (b64, _) = run(&proto, dir.path(), "64bit");
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
        let r = build(&opts(&proto, &d.join("x.iso"), &d.join("keep"), o), false).unwrap();
        assert!(
            r.root_used_bytes < last,
            "{o}: {} !< {last}",
            r.root_used_bytes
        );
        last = r.root_used_bytes;
    }
    // The proto is byte-for-byte (and mtime) unchanged.
    assert!(snapshot(&proto) == before, "the build changed the proto");
    // Reproducible: another place, another umask and TZ, same bytes.
    let other = tempfile::Builder::new()
        .prefix("elsewhere")
        .tempdir()
        .unwrap();
    let proto2 = other.path().join("p/r/o/t/o");
    mvi::demo::make_proto(&proto2).unwrap();
    std::env::set_var("TZ", "America/St_Johns");
    let iso2 = other.path().join("again.iso");
    build(&opts(&proto2, &iso2, &other.path().join("keep"), ""), false).unwrap();
    assert!(
        std::fs::read(&iso2).unwrap() == iso_none,
        "ISO differs between builds"
    );
    assert_eq!(
        std::fs::read(other.path().join("keep/root.img")).unwrap(),
        std::fs::read(dir.path().join("none-keep/root.img")).unwrap()
    );
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

#[test]
fn linux_mounts_the_built_root_image() {
    // The root image of a demo build, read by Linux's UFS driver under QEMU,
    // holds exactly the proto after the rules (the tree is rebuilt here with
    // the same walk and rule sets the build applies).
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto");
    mvi::demo::make_proto(&proto).unwrap();
    let keep = dir.path().join("keep");
    build(
        &opts(&proto, &dir.path().join("x.iso"), &keep, "32bit,nonet"),
        false,
    )
    .unwrap();
    let t = 1_451_606_400;
    let mut tree = fstree::walk(
        &proto,
        &fstree::WalkOptions {
            preserve_owner: false,
            time: t,
        },
    )
    .unwrap();
    let options = mvi::rules::parse_options("32bit,nonet").unwrap();
    let sets = mvi::rules::standard_sets(&options, &[]).unwrap();
    mvi::rules::apply(
        &mut tree,
        &sets,
        &mvi::rules::ApplyOptions {
            time: t,
            ..Default::default()
        },
    )
    .unwrap();
    // Spot checks that do not depend on the rule engine.
    assert!(
        tree.lookup(b"platform/i86pc/kernel/amd64").is_none(),
        "32bit keeps no amd64 directory"
    );
    assert!(
        tree.lookup(b"kernel/drv/e1000g").is_none(),
        "nonet removes e1000g"
    );
    assert!(tree.lookup(b"kernel/drv/sd").is_some(), "sd stays");
    assert!(
        tree.lookup(b"etc/mnttab").is_some(),
        "fixups add etc/mnttab"
    );
    let r = mvi_tests::linux_ufs::check_ufs_image_with_linux(&keep.join("root.img"), &tree)
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("linux check of the root image took {:?}", r.elapsed);
}

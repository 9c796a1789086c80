//! Oracle: Linux's own UFS driver (ufstype=sunx86, read-only, under QEMU)
//! mounts images the writer makes, with no `ufs:` kernel message, and sees
//! exactly the source tree (type, mode, owner, size, links, targets, device
//! numbers, contents). Requires `scripts/setup-test-deps.sh`; fails (never
//! skips) without it.

mod common;

use fstree::{Manifest, WalkOptions};
use mvi_tests::linux_ufs::check_ufs_image_with_linux;
use std::path::Path;
use ufsimg::{Params, SizeSpec};

fn build(src: &Path, manifest: &str, params: &Params, img: &Path) -> fstree::Tree {
    let mut tree = fstree::walk(
        src,
        &WalkOptions {
            preserve_owner: false,
            time: params.time,
        },
    )
    .unwrap();
    Manifest::parse(manifest.as_bytes(), Path::new("test-manifest"))
        .unwrap()
        .apply(&mut tree, params.time)
        .unwrap();
    let layout = ufsimg::plan(&tree, params).unwrap();
    let f = std::fs::File::create(img).unwrap();
    let stats = ufsimg::write(&layout, &tree, std::io::BufWriter::new(f)).unwrap();
    assert_eq!(stats.bytes, layout.geo.image_bytes);
    tree
}

/// What Linux can report of `tree`: the kernel's `dev_t` has a 12-bit major
/// (`MKDEV`), so an on-disk SVR4 major above 4095 (illumos allows 16383)
/// reaches user space masked to its low 12 bits. The full numbers are checked
/// against the raw `ic_db[1]` word by the `devices_exact` test in
/// `ufs_roundtrip.rs`.
fn linux_view(tree: &fstree::Tree) -> fstree::Tree {
    let mut t = tree.clone();
    for n in &mut t.nodes {
        if let fstree::Kind::CharDev { major, .. } | fstree::Kind::BlockDev { major, .. } =
            &mut n.kind
        {
            *major &= 0xfff;
        }
    }
    t
}

#[test]
fn linux_reads_the_acceptance_tree() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let manifest = common::acceptance_tree(&src, 50);
    let img = dir.path().join("acceptance.img");
    let params = Params {
        time: 1_700_000_000,
        ..Params::default()
    };
    let tree = build(&src, &manifest, &params, &img);
    let f = std::fs::File::open(&img).unwrap();
    let report = ufsimg::check(&f);
    assert!(report.is_clean(), "checker: {:#?}", report.problems);
    let r = check_ufs_image_with_linux(&img, &linux_view(&tree)).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("linux check took {:?}", r.elapsed);
}

#[test]
fn linux_reads_fixed_size_image_with_lost_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("etc")).unwrap();
    std::fs::write(src.join("etc/motd"), b"minimal viable illumos\n").unwrap();
    let img = dir.path().join("small.img");
    let params = Params {
        size: SizeSpec::Fixed(20 << 20),
        nbpi: 2048,
        time: 1_451_606_400,
        lost_found: true,
    };
    let mut tree = build(&src, "", &params, &img);
    // The image also holds the synthesized lost+found (0700, 0:0).
    tree.add(
        fstree::ROOT,
        b"lost+found",
        fstree::Node {
            kind: fstree::Kind::Dir(vec![]),
            perm: 0o700,
            uid: 0,
            gid: 0,
            mtime: 0,
        },
    )
    .unwrap();
    let f = std::fs::File::open(&img).unwrap();
    assert!(ufsimg::check(&f).is_clean());
    check_ufs_image_with_linux(&img, &tree).unwrap_or_else(|e| panic!("{e}"));
}

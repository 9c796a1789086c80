//! Writer → reader for ISO 9660: a random small tree is planned and
//! written (strict or relaxed names, with or without Joliet and an El
//! Torito boot image); the Rock Ridge tree must read back equal (type,
//! permissions, owner, contents, symlink targets, device numbers), every
//! tree must walk, and the checker must find no problem. Trees the
//! planner refuses are skipped.
#![no_main]

use iso9660::read::{IsoReader, Tree};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

fuzz_target!(|spec: mvi_fuzz::TreeSpec| {
    let mut tree = spec.build();
    let boot = if spec.opts & 4 != 0 {
        let image: Arc<[u8]> = (0..2500u32)
            .map(|i| (i * 7) as u8)
            .collect::<Vec<u8>>()
            .into();
        let _ = tree.add_path(
            b"boot/grub/stage2_eltorito",
            fstree::Node::file(image.clone(), 0o644, 1_000_000),
        );
        Some(iso9660::BootOptions {
            image: b"boot/grub/stage2_eltorito".to_vec(),
            image_data: image,
            catalog: b".catalog".to_vec(),
            load_size: 4,
            info_table: true,
        })
    } else {
        None
    };
    let opts = iso9660::Options {
        names: if spec.opts & 1 != 0 {
            iso9660::NameMode::Relaxed
        } else {
            iso9660::NameMode::Strict
        },
        joliet: spec.opts & 2 != 0,
        boot,
        time: 1_000_000,
        ..Default::default()
    };
    let Ok(layout) = iso9660::plan(&tree, &opts) else {
        return;
    };
    let mut img = Vec::new();
    iso9660::write(&layout, &tree, &mut img).expect("write of a planned tree");
    let report = iso9660::check::check(img.as_slice());
    assert!(report.problems.is_empty(), "check: {:?}", report.problems);
    let r = IsoReader::open(img.as_slice()).expect("open");
    let got: std::collections::BTreeMap<Vec<u8>, iso9660::read::Entry> =
        r.walk(Tree::RockRidge).expect("walk").into_iter().collect();
    r.walk(Tree::Primary).expect("primary walk");
    if opts.joliet {
        r.walk(Tree::Joliet).expect("joliet walk");
    }
    let want = mvi_fuzz::expected(&tree);
    for (path, w) in &want {
        let p = String::from_utf8_lossy(path);
        let e = got.get(path).unwrap_or_else(|| panic!("{p} missing"));
        let mode = e.mode.expect("PX");
        assert_eq!(mode & 0o170000, w.ifmt, "{p}: type");
        assert_eq!(mode & 0o7777, w.perm, "{p}: perm");
        assert_eq!((e.uid, e.gid), (Some(w.uid), Some(w.gid)), "{p}: owner");
        assert_eq!(e.rdev, w.rdev, "{p}: rdev");
        if let Some(c) = &w.content {
            let mut v = Vec::new();
            r.read_file(e, &mut v).expect("read_file");
            // The boot image's copy on the ISO carries the boot info table.
            if opts.boot.is_none() || path != b"/boot/grub/stage2_eltorito" {
                assert!(&v == c, "{p}: content");
            }
        }
        assert_eq!(&e.symlink, &w.target, "{p}: target");
    }
    // Beyond the tree: the boot catalog, and rr_moved when deep
    // directories were relocated (the names are taken if the tree has them).
    let extra: Vec<_> = got
        .keys()
        .filter(|p| !want.contains_key(*p))
        .filter(|p| !(opts.boot.is_some() && p.as_slice() == b"/.catalog"))
        .filter(|p| p.as_slice() != b"/rr_moved")
        .collect();
    assert!(extra.is_empty(), "paths the tree does not have: {extra:?}");
});

//! Writer → reader for UFS: a random small tree is planned and written;
//! the image must read back equal (type, permissions, owner, links,
//! contents, symlink targets, device numbers) and check clean. Trees the
//! planner refuses (e.g. device numbers UFS cannot store) are skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ufsimg::format::IFMT;
use ufsimg::{Params, Reader, SizeSpec};

fuzz_target!(|spec: mvi_fuzz::TreeSpec| {
    let tree = spec.build();
    let params = Params {
        size: SizeSpec::Auto {
            slack_pct: u32::from(spec.opts % 4) * 10,
        },
        nbpi: [2048, 4096, 16384, 65536][usize::from(spec.opts >> 2) % 4],
        time: 1_000_000,
        lost_found: spec.opts & 0x10 != 0,
    };
    let Ok(layout) = ufsimg::plan(&tree, &params) else {
        return;
    };
    let mut img = Vec::new();
    ufsimg::write(&layout, &tree, &mut img).expect("write of a planned tree");
    let report = ufsimg::check(img.as_slice());
    assert!(report.is_clean(), "check: {:?}", report.problems);
    let r = Reader::open(img.as_slice()).expect("open");
    let got: std::collections::BTreeMap<Vec<u8>, ufsimg::Stat> =
        r.walk().expect("walk").into_iter().collect();
    let mut want = mvi_fuzz::expected(&tree);
    if params.lost_found {
        assert!(got.contains_key(b"/lost+found".as_slice()));
        want.get_mut(b"/".as_slice()).unwrap().nlink += 1;
    }
    for (path, w) in &want {
        let st = got
            .get(path)
            .unwrap_or_else(|| panic!("{} missing", String::from_utf8_lossy(path)));
        let p = String::from_utf8_lossy(path);
        assert_eq!(u32::from(st.mode & IFMT), w.ifmt, "{p}: type");
        assert_eq!(u32::from(st.mode & 0o7777), w.perm, "{p}: perm");
        assert_eq!((st.uid, st.gid), (w.uid, w.gid), "{p}: owner");
        assert_eq!(st.nlink as u32, w.nlink, "{p}: nlink");
        assert_eq!(st.rdev, w.rdev, "{p}: rdev");
        if let Some(c) = &w.content {
            let mut v = Vec::new();
            r.read_file(st.ino, &mut v).expect("read_file");
            assert!(&v == c, "{p}: content");
        }
        if let Some(t) = &w.target {
            assert_eq!(&r.read_link(st.ino).expect("read_link"), t, "{p}: target");
        }
    }
    let extra = got.len() - want.len() - usize::from(params.lost_found);
    assert_eq!(extra, 0, "paths the tree does not have");
});

//! Writer bugs found by the fuzz targets (`fuzz/`, docs/FUZZING.md), each
//! pinned by the tree that showed it: the image must check clean and read
//! back with the tree's names.

use fstree::{Kind, Node, Tree};
use iso9660::read::{IsoReader, Tree as RTree};

const T: i64 = 1_000_000;

fn write(tree: &Tree, names: iso9660::NameMode, joliet: bool) -> Vec<u8> {
    let opts = iso9660::Options {
        names,
        joliet,
        time: T,
        ..Default::default()
    };
    let layout = iso9660::plan(tree, &opts).unwrap();
    let mut img = Vec::new();
    iso9660::write(&layout, tree, &mut img).unwrap();
    img
}

/// iso_roundtrip, crash-f3db4026: in relaxed mode a file named "\x01" got
/// the primary identifier 01, which is "..": the directory had two ".."
/// records (checker: `dotdot`, "\"..\" appears again as record 3").
#[test]
fn relaxed_name_0x01_is_not_a_second_dotdot() {
    let mut tree = Tree::new(T);
    let fifo = Node {
        kind: Kind::Fifo,
        perm: 0o644,
        uid: 0,
        gid: 0,
        mtime: T,
    };
    tree.add_path(b"v/u/\x01", fifo.clone()).unwrap();
    tree.add_path(b"\x01", Node::file(&b"x"[..], 0o644, T))
        .unwrap();
    tree.add_path(b"_", Node::file(&b"y"[..], 0o644, T))
        .unwrap();
    for (names, joliet) in [
        (iso9660::NameMode::Relaxed, true),
        (iso9660::NameMode::Relaxed, false),
        (iso9660::NameMode::Strict, true),
    ] {
        let img = write(&tree, names, joliet);
        let rep = iso9660::check::check(img.as_slice());
        assert!(rep.problems.is_empty(), "{names:?}: {:?}", rep.problems);
        let r = IsoReader::open(img.as_slice()).unwrap();
        let paths: Vec<Vec<u8>> = r
            .walk(RTree::RockRidge)
            .unwrap()
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        for want in [&b"/v/u/\x01"[..], b"/\x01", b"/_"] {
            assert!(paths.iter().any(|p| p == want), "{names:?}: {paths:?}");
        }
        r.walk(RTree::Primary).unwrap();
        let mut data = Vec::new();
        r.read_path(b"/\x01", &mut data).unwrap();
        assert_eq!(data, b"x");
    }
}

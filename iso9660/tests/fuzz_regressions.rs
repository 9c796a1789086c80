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

/// iso_roundtrip, crash-377cae13: sibling directories whose relaxed (or
/// Joliet) identifiers hold ';' or '.' sort differently as records (§9.3:
/// name, extension, version) and in the path table (§6.9.1: the whole
/// identifier): directories were numbered in record order, so the path
/// table was out of order (checker: `path-table-order`).
#[test]
fn path_table_order_of_relaxed_and_joliet_directories() {
    let mut tree = Tree::new(T);
    let f = || Node::file(&b"z"[..], 0o644, T);
    let mut semi = vec![b';'];
    semi.extend_from_slice(&[0x91; 14]);
    for dir in [&b"*"[..], &semi, b"a.b", b"a-", b"a", b"rc2.d", b"rc2-x"] {
        let mut p = b"x/y/".to_vec();
        p.extend_from_slice(dir);
        p.extend_from_slice(b"/f");
        tree.add_path(&p, f()).unwrap();
        tree.add_path(&p[4..], f()).unwrap();
    }
    for (names, joliet) in [
        (iso9660::NameMode::Relaxed, true),
        (iso9660::NameMode::Strict, true),
    ] {
        let img = write(&tree, names, joliet);
        let rep = iso9660::check::check(img.as_slice());
        assert!(rep.problems.is_empty(), "{names:?}: {:?}", rep.problems);
        let r = IsoReader::open(img.as_slice()).unwrap();
        let n = r.walk(RTree::RockRidge).unwrap().len();
        assert_eq!(n, 1 + 2 + 2 * 7 * 2, "{names:?}");
        r.walk(RTree::Joliet).unwrap();
    }
}

/// iso_roundtrip, crash-62e90ba1: relaxed identifiers kept ';', which
/// every reader takes as the start of the version, so a directory
/// ";s…\xca" and a file ";s…\xca\x1e" both read as the empty name
/// (checker: `duplicate-name`).
#[test]
fn relaxed_semicolon_is_not_a_version_separator() {
    let mut tree = Tree::new(T);
    let mut dir = b";s\xff\xff\xff\xffsssss\xca".to_vec();
    let mut p = dir.clone();
    p.extend_from_slice(b"/@/f");
    tree.add_path(&p, Node::file(&b"a"[..], 0o644, T)).unwrap();
    dir.push(0x1e);
    tree.add_path(&dir, Node::file(&b"b"[..], 0o644, T))
        .unwrap();
    tree.add_path(b"x;1", Node::file(&b"c"[..], 0o644, T))
        .unwrap();
    tree.add_path(b"x", Node::file(&b"d"[..], 0o644, T))
        .unwrap();
    let img = write(&tree, iso9660::NameMode::Relaxed, true);
    let rep = iso9660::check::check(img.as_slice());
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    let r = IsoReader::open(img.as_slice()).unwrap();
    let mut data = Vec::new();
    r.read_path(b"/x;1", &mut data).unwrap();
    assert_eq!(data, b"c");
    assert_eq!(r.walk(RTree::RockRidge).unwrap().len(), 1 + 6);
    assert!(r
        .list_tree(b"/", RTree::Primary)
        .unwrap()
        .iter()
        .all(|e| !e.iso_name.contains(&b';')));
}

/// iso_roundtrip, crash-1ed085c1: relaxed identifiers kept trailing
/// spaces, and §9.3 compares names padded with spaces, so a directory
/// "` " and a device "`" were one name (checker: `duplicate-name`).
#[test]
fn relaxed_trailing_space_is_not_a_second_name() {
    let mut tree = Tree::new(T);
    tree.add_path(b"` /x", Node::file(&b"a"[..], 0o644, T))
        .unwrap();
    tree.add_path(b"`", Node::file(&b"b"[..], 0o644, T))
        .unwrap();
    tree.add_path(b"q  ", Node::file(&b"c"[..], 0o644, T))
        .unwrap();
    tree.add_path(b"q", Node::file(&b"d"[..], 0o644, T))
        .unwrap();
    let img = write(&tree, iso9660::NameMode::Relaxed, true);
    let rep = iso9660::check::check(img.as_slice());
    assert!(rep.problems.is_empty(), "{:?}", rep.problems);
    let r = IsoReader::open(img.as_slice()).unwrap();
    let mut data = Vec::new();
    r.read_path(b"/q  ", &mut data).unwrap();
    assert_eq!(data, b"c");
    assert_eq!(r.walk(RTree::RockRidge).unwrap().len(), 1 + 5);
}

//! Round trips through the project's own reader and checker: property tests
//! over random trees, exact device words, and a golden image digest.

use fstree::{Data, Kind, Node, NodeId, Tree, ROOT};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use ufsimg::format::*;
use ufsimg::{Params, Reader, SizeSpec};

fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

fn node(kind: Kind, perm: u16, uid: u32, gid: u32) -> Node {
    Node {
        kind,
        perm,
        uid,
        gid,
        mtime: 1_000_000,
    }
}

/// Expected (path → fields) of a tree: type bits, perm, uid, gid, size (non-dirs), nlink,
/// rdev, content digest or symlink target.
type Want = BTreeMap<Vec<u8>, (u16, u32, u32, Option<u64>, i16, Option<(u32, u32)>, Vec<u8>)>;

fn expected(tree: &Tree) -> Want {
    let links = tree.link_counts();
    let mut out = Want::new();
    let mut stack: Vec<(NodeId, Vec<u8>)> = vec![(ROOT, Vec::new())];
    while let Some((id, path)) = stack.pop() {
        let n = tree.node(id);
        let (ty, size, rdev, body) = match &n.kind {
            Kind::Dir(entries) => {
                for e in entries {
                    let mut p = path.clone();
                    p.push(b'/');
                    p.extend_from_slice(&e.name);
                    stack.push((e.node, p));
                }
                (IFDIR, None, None, Vec::new())
            }
            Kind::File { size, data } => {
                let content = match data {
                    Data::Bytes(b) => b.to_vec(),
                    Data::Zeros => vec![0; *size as usize],
                    Data::Path(p) => std::fs::read(p).unwrap(),
                };
                (IFREG, Some(*size), None, Sha256::digest(&content).to_vec())
            }
            Kind::Symlink(t) => (IFLNK, Some(t.len() as u64), None, t.clone()),
            Kind::CharDev { major, minor } => (IFCHR, Some(0), Some((*major, *minor)), Vec::new()),
            Kind::BlockDev { major, minor } => (IFBLK, Some(0), Some((*major, *minor)), Vec::new()),
            Kind::Fifo => (IFIFO, Some(0), None, Vec::new()),
            Kind::Socket => (IFSOCK, Some(0), None, Vec::new()),
        };
        let key = if path.is_empty() { b"/".to_vec() } else { path };
        out.insert(
            key,
            (
                ty,
                u32::from(n.perm),
                n.uid,
                size,
                links[id] as i16,
                rdev,
                body,
            ),
        );
    }
    out
}

/// What the image holds, read with the project's reader.
fn actual(img: &[u8]) -> (Want, BTreeMap<Vec<u8>, u32>) {
    let r = Reader::open(img).expect("reader opens the image");
    let mut out = Want::new();
    let mut gids = BTreeMap::new();
    for (path, st) in r.walk().expect("walk") {
        let ty = st.mode & IFMT;
        let body = match ty {
            IFREG => {
                let mut v = Vec::new();
                r.read_file(st.ino, &mut v).unwrap();
                assert_eq!(v.len() as u64, st.size);
                Sha256::digest(&v).to_vec()
            }
            IFLNK => r.read_link(st.ino).unwrap(),
            _ => Vec::new(),
        };
        let size = if ty == IFDIR { None } else { Some(st.size) };
        gids.insert(path.clone(), st.gid);
        out.insert(
            path,
            (
                ty,
                u32::from(st.mode & 0o7777),
                st.uid,
                size,
                st.nlink,
                st.rdev,
                body,
            ),
        );
    }
    (out, gids)
}

fn gids(tree: &Tree) -> BTreeMap<Vec<u8>, u32> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<(NodeId, Vec<u8>)> = vec![(ROOT, Vec::new())];
    while let Some((id, path)) = stack.pop() {
        for e in tree.entries(id) {
            let mut p = path.clone();
            p.push(b'/');
            p.extend_from_slice(&e.name);
            stack.push((e.node, p));
        }
        out.insert(
            if path.is_empty() { b"/".to_vec() } else { path },
            tree.node(id).gid,
        );
    }
    out
}

fn build(tree: &Tree, params: &Params) -> Vec<u8> {
    let layout = ufsimg::plan(tree, params).expect("plan");
    let mut img = Vec::new();
    let stats = ufsimg::write(&layout, tree, &mut img).expect("write");
    assert_eq!(stats.bytes, img.len() as u64);
    img
}

fn roundtrip(tree: &Tree, params: &Params) {
    let img = build(tree, params);
    let report = ufsimg::check(&img[..]);
    assert!(report.is_clean(), "checker found: {:#?}", report.problems);
    let (got, got_gids) = actual(&img);
    // The image also holds the synthesized lost+found (0700, 0:0).
    let mut want_tree = tree.clone();
    if params.lost_found {
        want_tree
            .add(ROOT, b"lost+found", node(Kind::Dir(vec![]), 0o700, 0, 0))
            .unwrap();
    }
    let tree = &want_tree;
    let want = expected(tree);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (k, v) in &want {
        assert_eq!(&got[k], v, "{}", String::from_utf8_lossy(k));
    }
    assert_eq!(got_gids, gids(tree));
}

#[derive(Debug, Clone)]
enum Gen {
    File(usize, u64),
    Dir(Vec<(Vec<u8>, Gen)>),
    Link(usize),
    Dev(bool, u32, u32),
    Fifo,
    Sock,
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-z]{1,12}".prop_map(|s| s.into_bytes()),
        proptest::collection::vec(1u8..=255, 1..=255)
            .prop_map(|v| v
                .into_iter()
                .map(|b| if b == b'/' { b'_' } else { b })
                .collect::<Vec<u8>>())
            .prop_filter("not . or ..", |v| v != b"." && v != b".."),
    ]
}

fn file_size() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        0usize..3000,
        prop::sample::select(vec![
            1023,
            1024,
            1025,
            8191,
            8192,
            8193,
            12 * 8192 - 1,
            12 * 8192,
            12 * 8192 + 1
        ]),
        0usize..300_000,
    ]
}

fn entry() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        4 => (file_size(), any::<u64>()).prop_map(|(n, s)| Gen::File(n, s)),
        1 => (1usize..=1023).prop_map(Gen::Link),
        1 => (any::<bool>(), 0u32..=16383, 0u32..=262143)
            .prop_filter("encodable in UFS", |(_, a, b)| ufsimg::format::encode_dev(*a, *b).is_some())
            .prop_map(|(c, a, b)| Gen::Dev(c, a, b)),
        1 => Just(Gen::Fifo),
        1 => Just(Gen::Sock),
    ];
    leaf.prop_recursive(4, 60, 12, |inner| {
        proptest::collection::vec((name(), inner), 0..12).prop_map(Gen::Dir)
    })
}

fn materialize(
    tree: &mut Tree,
    parent: NodeId,
    items: &[(Vec<u8>, Gen)],
    ids: &mut Vec<NodeId>,
    meta: &mut u64,
) {
    for (name, g) in items {
        *meta = meta
            .wrapping_mul(2862933555777941757)
            .wrapping_add(3037000493);
        let perm = ((*meta >> 20) & 0o7777) as u16;
        let uid = if *meta & 1 == 0 {
            0
        } else {
            (*meta >> 33) as u32
        };
        let gid = if *meta & 2 == 0 {
            0
        } else {
            (*meta >> 40) as u32
        };
        let kind = match g {
            Gen::File(n, s) => Kind::File {
                size: *n as u64,
                data: Data::Bytes(bytes(*n, *s).into()),
            },
            Gen::Dir(_) => Kind::Dir(vec![]),
            Gen::Link(n) => {
                Kind::Symlink(bytes(*n, *n as u64).into_iter().map(|b| b.max(1)).collect())
            }
            Gen::Dev(c, a, b) => {
                if *c {
                    Kind::CharDev {
                        major: *a,
                        minor: *b,
                    }
                } else {
                    Kind::BlockDev {
                        major: *a,
                        minor: *b,
                    }
                }
            }
            Gen::Fifo => Kind::Fifo,
            Gen::Sock => Kind::Socket,
        };
        let Ok(id) = tree.add(parent, name, node(kind, perm, uid, gid)) else {
            continue;
        };
        ids.push(id);
        if let Gen::Dir(children) = g {
            materialize(tree, id, children, ids, meta);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_round_trip(
        items in proptest::collection::vec((name(), entry()), 0..20),
        seed in any::<u64>(),
        hardlinks in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), name()), 0..4),
        slack in 0u32..50,
        nbpi in prop::sample::select(vec![2048u32, 4096, 16384, 65536]),
        lost_found in any::<bool>(),
    ) {
        let mut tree = Tree::new(1_000_000);
        let mut ids = Vec::new();
        let mut meta = seed;
        materialize(&mut tree, ROOT, &items, &mut ids, &mut meta);
        // Hard links: a non-directory linked into some directory.
        let dirs: Vec<NodeId> = std::iter::once(ROOT)
            .chain(ids.iter().copied().filter(|&i| matches!(tree.node(i).kind, Kind::Dir(_))))
            .collect();
        let files: Vec<NodeId> = ids.iter().copied().filter(|&i| !matches!(tree.node(i).kind, Kind::Dir(_))).collect();
        if !files.is_empty() {
            for (f, d, n) in &hardlinks {
                let _ = tree.link(*d.get(&dirs), n, *f.get(&files));
            }
        }
        if lost_found && tree.lookup(b"lost+found").is_some() {
            return Ok(());
        }
        let params = Params { size: SizeSpec::Auto { slack_pct: slack }, nbpi, time: 1_000_000, lost_found };
        if std::env::var_os("MVI_PROPTEST_VERBOSE").is_some() {
            eprintln!("tree of {} nodes", tree.nodes.len());
        }
        roundtrip(&tree, &params);
    }
}

#[test]
fn devices_exact() {
    // Raw ic_db[1] words for small, large and edge numbers (illumos encoding).
    let mut tree = Tree::new(0);
    let cases = [
        (13u32, 2u32, 0x0d02u32),
        (127, 255, 0x7fff),
        (127, 256, (127 << 18) | 256),
        (16383, 0, 16383 << 18),
        (1, 262143, (1 << 18) | 262143),
        (16382, 262143, (16382 << 18) | 262143),
        (16383, 196607, 0xfffe_ffff),
    ];
    for (i, (ma, mi, _)) in cases.iter().enumerate() {
        tree.add(
            ROOT,
            format!("d{i}").as_bytes(),
            node(
                Kind::CharDev {
                    major: *ma,
                    minor: *mi,
                },
                0o600,
                0,
                0,
            ),
        )
        .unwrap();
    }
    let params = Params {
        size: SizeSpec::Fixed(1 << 20),
        ..Params::default()
    };
    let layout = ufsimg::plan(&tree, &params).unwrap();
    let img = build(&tree, &params);
    let r = Reader::open(&img[..]).unwrap();
    for (i, (ma, mi, word)) in cases.iter().enumerate() {
        let ino = layout.ino_of[tree.lookup(format!("d{i}").as_bytes()).unwrap()];
        // Raw bytes: inode table of cg 0 at frag iblkno (32), 128 bytes per inode, db[1] at +44.
        let off = 32 * 1024 + ino as usize * 128;
        let raw = u32::from_le_bytes(img[off + 44..off + 48].try_into().unwrap());
        assert_eq!(raw, *word, "d{i}");
        assert_eq!(
            u32::from_le_bytes(img[off + 40..off + 44].try_into().unwrap()),
            0
        );
        assert_eq!(r.stat(ino).unwrap().rdev, Some((*ma, *mi)));
    }
    // major 16383 with minor >= 196608 reads back as an old-form number: refused.
    let mut bad = Tree::new(0);
    bad.add(
        ROOT,
        b"x",
        node(
            Kind::BlockDev {
                major: 16383,
                minor: 262143,
            },
            0o600,
            0,
            0,
        ),
    )
    .unwrap();
    let e = ufsimg::plan(&bad, &params).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "/x: device 16383,262143 does not fit UFS (major at most 16383, minor at most 262143;"
        ),
        "{e}"
    );
    // Major 0 with a minor above 255 reads back as an old-form number (1,44 for 0,300).
    let mut bad = Tree::new(0);
    bad.add(
        ROOT,
        b"y",
        node(
            Kind::CharDev {
                major: 0,
                minor: 300,
            },
            0o600,
            0,
            0,
        ),
    )
    .unwrap();
    let e = ufsimg::plan(&bad, &params).unwrap_err().to_string();
    assert!(e.starts_with("/y: device 0,300 does not fit UFS"), "{e}");
}

#[test]
fn fixed_trees_round_trip() {
    let mut tree = Tree::new(5);
    let etc = tree
        .add(ROOT, b"etc", node(Kind::Dir(vec![]), 0o755, 0, 3))
        .unwrap();
    for (i, n) in [
        0usize,
        1,
        1023,
        1024,
        1025,
        8191,
        8192,
        8193,
        12 * 8192 - 1,
        12 * 8192,
        12 * 8192 + 1,
        12 * 8192 + 2048 * 8192 + 1,
    ]
    .iter()
    .enumerate()
    {
        tree.add(
            etc,
            format!("f{i}").as_bytes(),
            node(
                Kind::File {
                    size: *n as u64,
                    data: Data::Bytes(bytes(*n, i as u64).into()),
                },
                0o644,
                70000,
                65535,
            ),
        )
        .unwrap();
    }
    tree.add(
        ROOT,
        b"z",
        node(
            Kind::File {
                size: 3 << 20,
                data: Data::Zeros,
            },
            0o4755,
            65535,
            65536,
        ),
    )
    .unwrap();
    for params in [
        Params {
            time: 5,
            ..Params::default()
        },
        Params {
            size: SizeSpec::Fixed(64 << 20),
            nbpi: 2048,
            time: 5,
            lost_found: true,
        },
    ] {
        roundtrip(&tree, &params);
    }
}

#[test]
fn golden_image_digest() {
    // A layout change must be deliberate: this digest pins the bytes of one image.
    let mut tree = Tree::new(1_451_606_400);
    let etc = tree
        .add(ROOT, b"etc", node(Kind::Dir(vec![]), 0o755, 0, 3))
        .unwrap();
    tree.add(
        etc,
        b"motd",
        node(
            Kind::File {
                size: 23,
                data: Data::Bytes(b"minimal viable illumos\n".to_vec().into()),
            },
            0o644,
            0,
            0,
        ),
    )
    .unwrap();
    tree.add(
        ROOT,
        b"bin",
        node(Kind::Symlink(b"usr/bin".to_vec()), 0o777, 0, 0),
    )
    .unwrap();
    let dev = tree
        .add(ROOT, b"dev", node(Kind::Dir(vec![]), 0o755, 0, 3))
        .unwrap();
    tree.add(
        dev,
        b"null",
        node(
            Kind::CharDev {
                major: 13,
                minor: 2,
            },
            0o666,
            0,
            3,
        ),
    )
    .unwrap();
    tree.add(
        ROOT,
        b"big",
        node(
            Kind::File {
                size: 200_000,
                data: Data::Bytes(bytes(200_000, 1).into()),
            },
            0o755,
            0,
            0,
        ),
    )
    .unwrap();
    let img = build(
        &tree,
        &Params {
            time: 1_451_606_400,
            ..Params::default()
        },
    );
    let digest = hex(&Sha256::digest(&img));
    assert_eq!((img.len(), digest.as_str()), (GOLDEN_LEN, GOLDEN_SHA256));
}

const GOLDEN_LEN: usize = 1_048_576;
const GOLDEN_SHA256: &str = "13011d30c01dcc7d7fee45c49ab8b0b50dcf0f4a0d537f1c6958b5054e4afc49";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

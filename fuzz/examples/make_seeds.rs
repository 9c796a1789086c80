//! Write the committed seed corpora under `fuzz/seeds/<target>/` from
//! mvi's own writers; deterministic, so a re-run changes nothing unless a
//! writer's output changed.
//!
//! ```sh
//! cd fuzz && cargo run --release --example make_seeds
//! ```
//!
//! UFS and ISO images are stored in `mvi_fuzz::compact` form (a 1 MiB
//! image is a few KiB), gzip seeds as real gzip members.

use fstree::{Data, Kind, Node, Tree};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const T: i64 = 1_000_000;

fn node(kind: Kind, perm: u16) -> Node {
    Node {
        kind,
        perm,
        uid: 0,
        gid: 3,
        mtime: T,
    }
}

fn text(n: usize) -> Arc<[u8]> {
    (0..n)
        .map(|i| b"abcdefghij\n"[i % 11])
        .collect::<Vec<u8>>()
        .into()
}

/// A small tree with one of everything the writers handle.
fn mixed() -> Tree {
    let mut t = Tree::new(T);
    t.add_path(b"etc/motd", Node::file(text(40), 0o644, T))
        .unwrap();
    t.add_path(
        b"etc/system",
        node(
            Kind::File {
                size: 8193,
                data: Data::Zeros,
            },
            0o644,
        ),
    )
    .unwrap();
    let big = t
        .add_path(
            b"platform/i86pc/kernel/unix",
            node(
                Kind::File {
                    size: 12 * 8192 + 1,
                    data: Data::Zeros,
                },
                0o755,
            ),
        )
        .unwrap();
    t.add_path(b"bin", node(Kind::Symlink(b"./usr/bin".to_vec()), 0o777))
        .unwrap();
    t.add_path(b"usr/lib/long", node(Kind::Symlink(vec![b'x'; 600]), 0o777))
        .unwrap();
    t.add_path(
        b"dev/null",
        node(
            Kind::CharDev {
                major: 13,
                minor: 2,
            },
            0o666,
        ),
    )
    .unwrap();
    t.add_path(
        b"dev/dsk0",
        node(
            Kind::BlockDev {
                major: 300,
                minor: 70000,
            },
            0o640,
        ),
    )
    .unwrap();
    t.add_path(b"var/run/fifo", node(Kind::Fifo, 0o600))
        .unwrap();
    t.add_path(b"var/run/sock", node(Kind::Socket, 0o755))
        .unwrap();
    t.add_path(b"tmp", node(Kind::Dir(Vec::new()), 0o1777))
        .unwrap();
    let k = t.lookup(b"platform/i86pc/kernel").unwrap();
    t.link(k, b"unix.link", big).unwrap();
    t
}

fn ufs(tree: &Tree, lost_found: bool) -> Vec<u8> {
    let params = ufsimg::Params {
        size: ufsimg::SizeSpec::Auto { slack_pct: 0 },
        nbpi: 16384,
        time: T,
        lost_found,
    };
    let layout = ufsimg::plan(tree, &params).unwrap();
    let mut img = Vec::new();
    ufsimg::write(&layout, tree, &mut img).unwrap();
    assert!(ufsimg::check(img.as_slice()).is_clean());
    img
}

fn iso(tree: &Tree, joliet: bool, boot: bool, relaxed: bool) -> Vec<u8> {
    let mut tree = tree.clone();
    let boot = boot.then(|| {
        let image = text(700);
        tree.add_path(
            b"boot/grub/stage2_eltorito",
            Node::file(image.clone(), 0o644, T),
        )
        .unwrap();
        iso9660::BootOptions {
            image: b"boot/grub/stage2_eltorito".to_vec(),
            image_data: image,
            catalog: b".catalog".to_vec(),
            load_size: 4,
            info_table: true,
        }
    });
    let opts = iso9660::Options {
        joliet,
        boot,
        names: if relaxed {
            iso9660::NameMode::Relaxed
        } else {
            iso9660::NameMode::Strict
        },
        time: T,
        ..Default::default()
    };
    let layout = iso9660::plan(&tree, &opts).unwrap();
    let mut img = Vec::new();
    iso9660::write(&layout, &tree, &mut img).unwrap();
    assert!(iso9660::check::check(img.as_slice()).problems.is_empty());
    img
}

fn gzip(img: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(img).unwrap();
    e.finish().unwrap()
}

fn put(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(name), bytes).unwrap();
    println!("{target}/{name}: {} bytes", bytes.len());
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seeds = root.join("seeds");
    let c = mvi_fuzz::compact;

    let empty = Tree::new(T);
    let mixed = mixed();
    let mut deep = mixed.clone();
    deep.add_path(
        b"a/b/c/d/e/f/g/h/i/j/deep-file",
        Node::file(text(10), 0o644, T),
    )
    .unwrap();
    deep.add_path(
        b"a-rather-long-file-name-that-needs-rock-ridge-and-a-continuation-area-because-it-goes-on-and-on-and-on-well-past-what-fits-in-one-record-of-a-directory-sector.txt",
        Node::file(text(3), 0o644, T),
    )
    .unwrap();

    let ufs_empty = ufs(&empty, false);
    let ufs_mixed = ufs(&mixed, true);
    put(&seeds, "ufs_image", "empty.z", &c(&ufs_empty));
    put(&seeds, "ufs_image", "mixed.z", &c(&ufs_mixed));

    let iso_small = iso(&mixed, false, false, false);
    let iso_full = iso(&deep, true, true, true);
    let iso_strict_deep = iso(&deep, false, true, false);
    put(&seeds, "iso_image", "small.z", &c(&iso_small));
    put(&seeds, "iso_image", "joliet-boot-relaxed.z", &c(&iso_full));
    put(
        &seeds,
        "iso_image",
        "strict-deep-boot.z",
        &c(&iso_strict_deep),
    );
    put(
        &seeds,
        "iso_image",
        "empty.z",
        &c(&iso(&empty, false, false, false)),
    );

    put(&seeds, "gzip_inspect", "ufs.gz", &gzip(&ufs_mixed));
    put(&seeds, "gzip_inspect", "iso.gz", &gzip(&iso_small));
    put(&seeds, "gzip_inspect", "ufs.z", &c(&ufs_mixed));
    put(&seeds, "gzip_inspect", "iso.z", &c(&iso_strict_deep));

    let fixtures = root.join("../grubcfg/tests/fixtures");
    let mut names: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lst"))
        .collect();
    names.sort();
    for p in names {
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        put(&seeds, "menu_parse", &name, &std::fs::read(&p).unwrap());
    }
    let spec = grubcfg::MenuSpec::default();
    put(
        &seeds,
        "menu_parse",
        "rendered-default.lst",
        spec.to_menu().unwrap().render().as_bytes(),
    );

    // Round-trip inputs are `arbitrary` byte streams: a few fixed ones.
    let mut x = 0x9e3779b97f4a7c15u64;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect()
    };
    for target in ["ufs_roundtrip", "iso_roundtrip"] {
        put(&seeds, target, "counting", &(0..=255u8).collect::<Vec<_>>());
        put(&seeds, target, "noise-512", &noise(512));
        put(&seeds, target, "noise-2048", &noise(2048));
    }
}

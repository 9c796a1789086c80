//! Oracle: GRUB legacy (Debian's `stage2_eltorito`, GRUB 0.97) boots ISOs
//! made by mvi's own writer under QEMU: El Torito catalog and boot info
//! table honoured, `/boot/grub/menu.lst` and the kernel and module found by
//! their Rock Ridge names, the gzip module (a real UFS image from
//! `ufsimg`) inflated back to the exact image, for the 64-bit and the 32-bit
//! stanza, in strict and relaxed name modes.

use fstree::{Data, Kind, Node, Tree};
use iso9660::{BootOptions, NameMode, Options};
use mvi_tests::grub_boot::{
    boot_iso, grub_test_menu, multiboot_kernel, stage2_eltorito, BootOptions as QemuOptions,
};
use std::io::Write;
use std::sync::Arc;

const UNIX_64: &str = "/platform/i86pc/kernel/amd64/unix";
const UNIX_32: &str = "/platform/i86pc/kernel/unix";
const ARCHIVE: &str = "/platform/i86pc/boot_archive";

fn file(data: Vec<u8>) -> Node {
    Node::file(data, 0o644, 0)
}

fn add_path(tree: &mut Tree, path: &str, node: Node) {
    tree.add_path(path.as_bytes(), node).unwrap();
}

/// A UFS root image of a small tree, made by ufsimg.
fn ufs_image() -> Vec<u8> {
    let mut t = Tree::new(1_451_606_400);
    add_path(
        &mut t,
        "/etc/motd",
        file(b"minimal viable illumos\n".to_vec()),
    );
    add_path(
        &mut t,
        "/usr/bin/big",
        file((0..300_001u32).map(|i| (i * 31 % 253) as u8).collect()),
    );
    let layout = ufsimg::plan(&t, &ufsimg::Params::default()).unwrap();
    let mut img = Vec::new();
    ufsimg::write(&layout, &t, &mut img).unwrap();
    img
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn boot_with(default: usize, names: NameMode, ufs: &[u8]) -> mvi_tests::grub_boot::BootReport {
    let stage2 = std::fs::read(stage2_eltorito().unwrap_or_else(|e| panic!("{e}"))).unwrap();
    let kernel = std::fs::read(multiboot_kernel().unwrap_or_else(|e| panic!("{e}"))).unwrap();
    let menu = grub_test_menu(
        &[
            ("illumos 64-bit", UNIX_64, &[ARCHIVE]),
            ("illumos 32-bit", UNIX_32, &[ARCHIVE]),
        ],
        default,
    );
    let mut tree = Tree::new(1_451_606_400);
    add_path(
        &mut tree,
        "/boot/grub/stage2_eltorito",
        file(stage2.clone()),
    );
    add_path(&mut tree, "/boot/grub/menu.lst", file(menu.into_bytes()));
    add_path(&mut tree, UNIX_64, file(kernel.clone()));
    add_path(&mut tree, UNIX_32, file(kernel));
    add_path(&mut tree, ARCHIVE, file(gzip(ufs)));
    let opts = Options {
        boot: Some(BootOptions {
            image: b"boot/grub/stage2_eltorito".to_vec(),
            image_data: Arc::from(stage2.clone()),
            catalog: b".catalog".to_vec(),
            load_size: 4,
            info_table: true,
        }),
        names,
        ..Options::default()
    };
    let layout = iso9660::plan(&tree, &opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("boot.iso");
    let f = std::fs::File::create(&iso).unwrap();
    iso9660::write(&layout, &tree, std::io::BufWriter::new(f)).unwrap();
    // The input boot image is untouched; the copy on the image carries the table.
    let Kind::File {
        data: Data::Bytes(b),
        ..
    } = &tree
        .node(tree.lookup(b"boot/grub/stage2_eltorito").unwrap())
        .kind
    else {
        panic!()
    };
    assert_eq!(&b[..], &stage2[..]);
    if let Some(keep) = std::env::var_os("MVI_KEEP_ISO") {
        std::fs::copy(&iso, keep).unwrap();
    }
    boot_iso(&iso, &QemuOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn grub_boots_64_and_32_bit_stanzas_with_a_gzip_ufs_module() {
    let ufs = ufs_image();
    for (default, path) in [(0, UNIX_64), (1, UNIX_32)] {
        for names in [NameMode::Strict, NameMode::Relaxed] {
            let r = boot_with(default, names, &ufs);
            assert_eq!(r.cmdline.as_deref(), Some(path), "{}", r.log);
            assert_eq!(r.modules.len(), 1, "{}", r.log);
            r.check_module(0, &ufs)
                .unwrap_or_else(|e| panic!("{e}\n{}", r.log));
            assert_eq!(r.modules[0].at9564, Some(0x0001_1954));
            eprintln!("default {default} {names:?}: booted in {:?}", r.elapsed);
        }
    }
}

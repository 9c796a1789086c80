//! Oracle: GRUB legacy (Debian's `stage2_eltorito`, GRUB 0.97, under QEMU)
//! loads boot archives made by `mvi::archive` and boots menus rendered by
//! `grubcfg`:
//!
//! * a UFS image from `ufsimg`, gzip'd by `mvi::archive::compress` (the
//!   default 1 MiB chunks, and 64 KiB chunks at level 1 for many more
//!   sync-flush points), is inflated by GRUB's `module` back to exactly the
//!   image: the test kernel reports its length, word sum and the UFS magic
//!   at byte 9564;
//! * plain-dialect menus rendered by `grubcfg::MenuSpec` (GRUB 0.97 has no
//!   `kernel$`) boot through the 64-bit and through the 32-bit stanza,
//!   selected with `default`: the kernel GRUB started is the stanza's path
//!   with the rendered arguments, and the archive arrives intact. A
//!   text-console menu gets the serial lines the log needs prepended; a
//!   `--console ttya` menu boots exactly as rendered (its own `serial` and
//!   `terminal serial` lines reach the log);
//! * the whole pipeline through the library entry points of `mvi ufs`,
//!   `mvi archive --hash`, `mvi menu --check` and `mvi iso` on a directory.

use fstree::{Node, Tree};
use grubcfg::{Arch, Console, Dialect, MenuSpec};
use iso9660::{BootOptions, Options};
use mvi::archive::{compress, GzipOptions};
use mvi_tests::grub_boot::{
    boot_iso, grub_test_menu, multiboot_kernel, stage2_eltorito, BootOptions as QemuOptions,
    BootReport, UFS_MAGIC_OFFSET,
};
use std::path::Path;
use std::sync::Arc;

const UNIX_64: &str = grubcfg::KERNEL_AMD64;
const UNIX_32: &str = grubcfg::KERNEL_I386;
const ARCHIVE: &str = grubcfg::BOOT_ARCHIVE;
const UFS_MAGIC: u32 = 0x0001_1954;

/// The serial console lines GRUB needs for its messages to reach the log.
const SERIAL_LINES: &str = "serial --unit=0 --speed=115200\nterminal --dumb --timeout=0 serial\n";

fn file(data: Vec<u8>) -> Node {
    Node::file(data, 0o644, 0)
}

fn add_path(tree: &mut Tree, path: &str, node: Node) {
    tree.add_path(path.as_bytes(), node).unwrap();
}

/// xorshift64* bytes.
fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Compressible, text-like bytes.
fn text(len: usize, seed: u64) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "kernel",
        "platform",
        "i86pc",
        "amd64",
        "unix",
        "drv",
        "misc",
        "usr",
        "lib",
        "etc",
        "svc",
        "illumos",
        "\n",
        "=",
        "/",
        "0x2BADB002",
    ];
    let r = random(len / 3 + 16, seed);
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0;
    while out.len() < len {
        let b = r[i % r.len()] as usize;
        i += 1;
        out.extend_from_slice(WORDS[b % WORDS.len()].as_bytes());
        out.push(b' ');
    }
    out.truncate(len);
    out
}

/// A UFS root image made by ufsimg: a few MiB of text and random files,
/// so the archive spans several 1 MiB chunks.
fn ufs_image() -> Vec<u8> {
    let mut t = Tree::new(1_451_606_400);
    add_path(
        &mut t,
        "/etc/motd",
        file(b"minimal viable illumos\n".to_vec()),
    );
    for i in 0..24u64 {
        let len = 3000 + (i as usize * 104_729) % 200_000;
        let data = if i % 4 == 0 {
            random(len, i)
        } else {
            text(len, i)
        };
        add_path(&mut t, &format!("/kernel/drv/m{i}"), file(data));
    }
    add_path(&mut t, "/usr/bin/big", file(text(2_500_000, 7)));
    let layout = ufsimg::plan(&t, &ufsimg::Params::default()).unwrap();
    let mut img = Vec::new();
    ufsimg::write(&layout, &t, &mut img).unwrap();
    assert_eq!(
        u32::from_le_bytes(
            img[UFS_MAGIC_OFFSET..UFS_MAGIC_OFFSET + 4]
                .try_into()
                .unwrap()
        ),
        UFS_MAGIC
    );
    img
}

fn archive(image: &[u8], opts: &GzipOptions) -> Vec<u8> {
    let mut out = Vec::new();
    let s = compress(image, &mut out, opts).unwrap();
    assert_eq!(s.input_bytes, image.len() as u64);
    out
}

/// An ISO (mvi's own writer) holding GRUB's stage2 as the El Torito image,
/// `menu`, the test kernel at both kernel paths and `archive`; booted.
fn boot(menu: &str, archive: Vec<u8>) -> BootReport {
    let stage2 = std::fs::read(stage2_eltorito().unwrap_or_else(|e| panic!("{e}"))).unwrap();
    let kernel = std::fs::read(multiboot_kernel().unwrap_or_else(|e| panic!("{e}"))).unwrap();
    let mut tree = Tree::new(1_451_606_400);
    add_path(
        &mut tree,
        "/boot/grub/stage2_eltorito",
        file(stage2.clone()),
    );
    add_path(
        &mut tree,
        "/boot/grub/menu.lst",
        file(menu.as_bytes().to_vec()),
    );
    add_path(&mut tree, UNIX_64, file(kernel.clone()));
    add_path(&mut tree, UNIX_32, file(kernel));
    add_path(&mut tree, ARCHIVE, file(archive));
    let opts = Options {
        boot: Some(BootOptions {
            image: b"boot/grub/stage2_eltorito".to_vec(),
            image_data: Arc::from(stage2),
            catalog: b".catalog".to_vec(),
            load_size: 4,
            info_table: true,
        }),
        ..Options::default()
    };
    let layout = iso9660::plan(&tree, &opts).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("boot.iso");
    let f = std::fs::File::create(&iso).unwrap();
    iso9660::write(&layout, &tree, std::io::BufWriter::new(f)).unwrap();
    boot_iso(&iso, &QemuOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The module GRUB handed over is exactly `image`, a UFS image.
fn assert_module_is(r: &BootReport, image: &[u8]) {
    assert_eq!(r.modules.len(), 1, "{}", r.log);
    r.check_module(0, image)
        .unwrap_or_else(|e| panic!("{e}\n{}", r.log));
    assert_eq!(r.modules[0].len, image.len() as u64);
    assert_eq!(r.modules[0].at9564, Some(UFS_MAGIC));
    assert_eq!(r.modules[0].cmdline, ARCHIVE);
    assert!(r.grub_errors.is_empty(), "{:?}", r.grub_errors);
}

#[test]
fn grub_inflates_an_mvi_archive_to_the_exact_ufs_image() {
    let image = ufs_image();
    let menu = grub_test_menu(&[("mvi archive", UNIX_64, &[ARCHIVE])], 0);
    let variants = [
        GzipOptions::default(),
        GzipOptions {
            level: 1,
            threads: 2,
            chunk_size: 64 * 1024,
        },
    ];
    for opts in variants {
        let gz = archive(&image, &opts);
        let r = boot(&menu, gz.clone());
        assert_module_is(&r, &image);
        eprintln!(
            "{opts:?}: {} -> {} bytes, GRUB inflated it in a {:.2} s boot",
            image.len(),
            gz.len(),
            r.elapsed.as_secs_f64()
        );
    }
}

#[test]
fn grub_boots_rendered_plain_menus_through_both_stanzas() {
    let image = ufs_image();
    let gz = archive(&image, &GzipOptions::default());
    for default in [0u32, 1] {
        let spec = MenuSpec {
            title: "mvi".into(),
            arches: vec![Arch::Amd64, Arch::I386],
            dialect: Dialect::Plain,
            boot_flags: vec!["-v".into(), "-B acpi-user-options=0x2".into()],
            timeout: Some(1),
            default,
            hard_disk_entry: true,
            ..MenuSpec::default()
        };
        let rendered = spec.render().unwrap();
        // The text console writes no serial lines: prepend the log's.
        assert!(!rendered.contains("serial"));
        let menu = format!("{SERIAL_LINES}{rendered}");
        assert_eq!(grubcfg::parse(&menu).unwrap().render(), menu);
        let arch = spec.arches[default as usize];
        let r = boot(&menu, gz.clone());
        let kernel = if arch == Arch::Amd64 {
            UNIX_64
        } else {
            UNIX_32
        };
        assert_eq!(
            r.cmdline.as_deref(),
            Some(format!("{kernel} -v -B acpi-user-options=0x2").as_str()),
            "{}",
            r.log
        );
        assert_eq!(
            r.booted_title.as_deref(),
            Some(spec.entry_title(arch).as_str())
        );
        assert_module_is(&r, &image);
    }
}

#[test]
fn grub_boots_a_ttya_menu_exactly_as_rendered() {
    let image = ufs_image();
    let gz = archive(&image, &GzipOptions::default());
    for default in [0u32, 1] {
        let spec = MenuSpec {
            arches: vec![Arch::I386, Arch::Amd64],
            dialect: Dialect::Plain,
            console: Console::Ttya,
            timeout: Some(0),
            default,
            ..MenuSpec::default()
        };
        let menu = spec.render().unwrap();
        assert!(menu.contains("serial --unit=0 --speed=9600\nterminal serial\n"));
        let arch = spec.arches[default as usize];
        let r = boot(&menu, gz.clone());
        let kernel = if arch == Arch::Amd64 {
            UNIX_64
        } else {
            UNIX_32
        };
        assert_eq!(
            r.cmdline.as_deref(),
            Some(format!("{kernel} -B console=ttya,input-device=ttya,output-device=ttya").as_str()),
            "{}",
            r.log
        );
        assert_module_is(&r, &image);
    }
}

/// A directory tree for `mvi ufs`: a few files, text and random.
fn root_tree(root: &Path) {
    for (p, data) in [
        ("etc/motd", b"minimal viable illumos\n".to_vec()),
        ("etc/release", text(5000, 1)),
        ("kernel/drv/amd64/sd", random(70_000, 2)),
        ("usr/lib/libc.so.1", text(1_500_000, 3)),
    ] {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, data).unwrap();
    }
}

#[test]
fn grub_boots_the_mvi_pipeline() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    root_tree(&root);
    let media = d.path().join("media");
    let img = d.path().join("root.ufs");
    let t = 1_451_606_400;
    mvi::ufs::build(
        &mvi::ufs::UfsOptions {
            src: root,
            out: img.clone(),
            size: ufsimg::SizeSpec::Auto { slack_pct: 10 },
            nbpi: 16384,
            metadata: None,
            preserve_owner: false,
            time: t,
            lost_found: false,
        },
        false,
    )
    .unwrap();
    let kernel = std::fs::read(multiboot_kernel().unwrap_or_else(|e| panic!("{e}"))).unwrap();
    let stage2 = std::fs::read(stage2_eltorito().unwrap_or_else(|e| panic!("{e}"))).unwrap();
    for (p, data) in [
        ("boot/grub/stage2_eltorito", &stage2),
        (&UNIX_64[1..], &kernel),
        (&UNIX_32[1..], &kernel),
    ] {
        let f = media.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, data).unwrap();
    }
    let report = mvi::archive::build(
        &mvi::archive::ArchiveOptions {
            image: img.clone(),
            out: media.join(&ARCHIVE[1..]),
            gzip: GzipOptions::default(),
            hash: true,
        },
        false,
    )
    .unwrap();
    let image = std::fs::read(&img).unwrap();
    assert_eq!(
        report.sha1.as_deref(),
        Some(mvi::archive::sha1_hex(&image).as_str())
    );
    let spec = MenuSpec {
        arches: vec![Arch::Amd64, Arch::I386],
        dialect: Dialect::Plain,
        console: Console::Ttya,
        timeout: Some(0),
        default: 1,
        ..MenuSpec::default()
    };
    let m = mvi::menu::render(&spec, &media.join("boot/grub/menu.lst"), Some(&media)).unwrap();
    assert!(m.written && m.diagnostics.is_empty(), "{:?}", m.diagnostics);
    let iso = d.path().join("mvi.iso");
    mvi::iso::build(
        &mvi::iso::IsoOptions {
            src: media.clone(),
            out: iso.clone(),
            boot: None,
            no_boot: false,
            catalog: ".catalog".into(),
            volume_id: "illumos".into(),
            joliet: false,
            names: iso9660::NameMode::Strict,
            level: 3,
            metadata: None,
            preserve_owner: false,
            time: t,
        },
        false,
    )
    .unwrap();
    let r = boot_iso(&iso, &QemuOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.cmdline.as_deref(),
        Some(format!("{UNIX_32} -B console=ttya,input-device=ttya,output-device=ttya").as_str()),
        "{}",
        r.log
    );
    assert_module_is(&r, &image);
}

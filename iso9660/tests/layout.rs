//! Pinned numbers and bytes of the planner and the encoders: sector map,
//! record order (§9.3), path tables (§9.4), names, Rock Ridge placement,
//! the boot catalog and the boot info table.

use fstree::{Data, Kind, Node, Tree, ROOT};
use iso9660::*;
use std::sync::Arc;

fn file(data: &[u8]) -> Node {
    Node {
        kind: Kind::File {
            size: data.len() as u64,
            data: Data::Bytes(data.to_vec().into()),
        },
        perm: 0o644,
        uid: 0,
        gid: 0,
        mtime: 1_000_000,
    }
}

fn dir() -> Node {
    Node {
        kind: Kind::Dir(vec![]),
        perm: 0o755,
        uid: 0,
        gid: 0,
        mtime: 1_000_000,
    }
}

fn boot_tree(image: &[u8]) -> Tree {
    let mut t = Tree::new(1_000_000);
    let boot = t.add(ROOT, b"boot", dir()).unwrap();
    let grub = t.add(boot, b"grub", dir()).unwrap();
    t.add(grub, b"stage2_eltorito", file(image)).unwrap();
    t.add(grub, b"menu.lst", file(b"timeout 1\n")).unwrap();
    t
}

fn boot_opts(image: &[u8]) -> Options {
    Options {
        boot: Some(BootOptions {
            image: b"boot/grub/stage2_eltorito".to_vec(),
            image_data: Arc::from(image.to_vec()),
            catalog: b".catalog".to_vec(),
            load_size: 4,
            info_table: true,
        }),
        time: 1_451_606_400,
        ..Options::default()
    }
}

fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

#[test]
fn sector_map_of_a_boot_image() {
    let img = image(4099);
    let tree = boot_tree(&img);
    let l = plan(&tree, &boot_opts(&img)).unwrap();
    // PVD 16, BRVD 17, terminator 18, L table 19, M table 20, catalog 21,
    // directories /, /boot, /boot/grub at 22..25, CE sector 25, then files.
    assert_eq!(l.terminator_lba, 18);
    assert_eq!(l.path_table, (19, 20, 10 + 12 + 12));
    let b = l.boot.as_ref().unwrap();
    assert_eq!(b.catalog_lba, 21);
    let lbas: Vec<u32> = l.dirs.iter().map(|d| d.lba).collect();
    assert_eq!(lbas, vec![22, 23, 24]);
    assert_eq!(l.ce_sectors, (25, 1));
    // Files in sorted path order: menu.lst (1 sector), then stage2_eltorito.
    assert_eq!(
        l.files.iter().map(|f| (f.lba, f.size)).collect::<Vec<_>>(),
        vec![(26, 10), (27, 4099)]
    );
    assert_eq!(b.image_lba, 27);
    assert_eq!(b.image_len, 4099);
    // 27 + 3 sectors of image + 150 sectors of padding.
    assert_eq!(l.total_sectors, 27 + 3 + PAD_SECTORS);
    let mut out = Vec::new();
    let stats = write(&l, &tree, &mut out).unwrap();
    assert_eq!(stats.bytes, u64::from(l.total_sectors) * 2048);
    assert_eq!(out.len() as u64, stats.bytes);
}

#[test]
fn boot_info_table_and_catalog_bytes() {
    // A length that is not a multiple of 4: the trailing word is zero-padded.
    let img = image(4099);
    let tree = boot_tree(&img);
    let l = plan(&tree, &boot_opts(&img)).unwrap();
    let mut sum = 0u32;
    for w in img[64..].chunks(4) {
        let mut b = [0u8; 4];
        b[..w.len()].copy_from_slice(w);
        sum = sum.wrapping_add(u32::from_le_bytes(b));
    }
    assert_eq!(boot_info_checksum(&img), sum);
    assert_eq!(l.boot.as_ref().unwrap().checksum, sum);
    let mut out = Vec::new();
    write(&l, &tree, &mut out).unwrap();
    let at = 27 * 2048;
    assert_eq!(&out[at..at + 8], &img[..8]);
    assert_eq!(
        &out[at + 8..at + 24],
        &[
            16,
            0,
            0,
            0,
            27,
            0,
            0,
            0,
            0x03,
            0x10,
            0,
            0,
            sum as u8,
            (sum >> 8) as u8,
            (sum >> 16) as u8,
            (sum >> 24) as u8
        ]
    );
    assert!(out[at + 24..at + 64].iter().all(|&b| b == 0));
    assert_eq!(&out[at + 64..at + 4099], &img[64..]);
    // The tree's bytes (the input) are untouched.
    let Kind::File {
        data: Data::Bytes(b),
        ..
    } = &tree
        .node(tree.lookup(b"boot/grub/stage2_eltorito").unwrap())
        .kind
    else {
        panic!()
    };
    assert_eq!(&b[..], &img[..]);
    // Boot record and catalog.
    let br = &out[17 * 2048..18 * 2048];
    assert_eq!(&br[..7], b"\x00CD001\x01");
    assert_eq!(&br[7..39], b"EL TORITO SPECIFICATION\0\0\0\0\0\0\0\0\0");
    assert_eq!(&br[71..75], &21u32.to_le_bytes());
    let cat = &out[21 * 2048..22 * 2048];
    assert_eq!(&cat[..2], &[1, 0]);
    assert_eq!(&cat[30..32], &[0x55, 0xAA]);
    let words: u16 = cat[..32].chunks(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    assert_eq!(words, 0, "validation entry words sum to zero");
    assert_eq!(&cat[32..44], &[0x88, 0, 0, 0, 0, 0, 4, 0, 27, 0, 0, 0]);
    assert!(cat[44..].iter().all(|&b| b == 0));
}

#[test]
fn primary_volume_descriptor_bytes() {
    let img = image(100);
    let tree = boot_tree(&img);
    let l = plan(&tree, &boot_opts(&img)).unwrap();
    let pvd = volume_descriptor(&l, false);
    assert_eq!(&pvd[..8], b"\x01CD001\x01\x00");
    assert_eq!(&pvd[40..72], b"illumos                         ");
    assert_eq!(
        &pvd[80..88],
        &[
            (l.total_sectors & 0xff) as u8,
            (l.total_sectors >> 8) as u8,
            0,
            0,
            0,
            0,
            (l.total_sectors >> 8) as u8,
            (l.total_sectors & 0xff) as u8
        ]
    );
    assert_eq!(&pvd[120..132], &[1, 0, 0, 1, 1, 0, 0, 1, 0, 8, 8, 0]);
    assert_eq!(&pvd[140..144], &19u32.to_le_bytes());
    assert_eq!(&pvd[148..152], &20u32.to_be_bytes());
    assert_eq!(pvd[156], 34);
    assert_eq!(&pvd[813..830], b"2016010100000000\0");
    assert_eq!(&pvd[830..847], b"2016010100000000\0");
    assert_eq!(&pvd[847..864], b"0000000000000000\0");
    assert_eq!(pvd[881], 1);
}

#[test]
fn section_9_3_order_and_collisions() {
    let mut t = Tree::new(0);
    for n in [&b"a"[..], b"a.", b"a.0", b"B", b"b.tar", b"b"] {
        t.add(ROOT, n, file(b"x")).unwrap();
    }
    let l = plan(&t, &Options::default()).unwrap();
    let ids: Vec<String> = l.dirs[0].records[2..]
        .iter()
        .map(|r| String::from_utf8(r.ident.clone()).unwrap())
        .collect();
    // "a" -> A.;1, "a." -> A.;1 (collision) -> A_1.;1, "a.0" -> A.0;1,
    // "B" -> B.;1, "b" -> B_1.;1, "b.tar" -> B.TAR;1; then §9.3 order.
    assert_eq!(
        ids,
        vec!["A.;1", "A.0;1", "A_1.;1", "B.;1", "B.TAR;1", "B_1.;1"]
    );
    let renamed: Vec<(String, String)> = l
        .renamed
        .iter()
        .map(|r| (r.path.clone(), r.ident.clone()))
        .collect();
    assert_eq!(
        renamed,
        vec![
            ("/a.".to_string(), "A_1.;1".to_string()),
            ("/b".to_string(), "B_1.;1".to_string())
        ]
    );
    // Relaxed names keep the bytes, no version, no trailing dot added.
    let l = plan(
        &t,
        &Options {
            names: NameMode::Relaxed,
            ..Options::default()
        },
    )
    .unwrap();
    let ids: Vec<String> = l.dirs[0].records[2..]
        .iter()
        .map(|r| String::from_utf8(r.ident.clone()).unwrap())
        .collect();
    // A trailing '.' is left off ("a." would read as "a"), so "a." collides.
    assert_eq!(ids, vec!["B", "a", "a.0", "a_1", "b", "b.tar"]);
}

#[test]
fn records_never_end_at_a_sector_end_and_every_name_has_one_nm() {
    let mut t = Tree::new(0);
    let d = t.add(ROOT, b"many", dir()).unwrap();
    for i in 0..2000 {
        t.add(d, format!("file-{i:05}.dat").as_bytes(), file(b""))
            .unwrap();
    }
    let l = plan(&t, &Options::default()).unwrap();
    let many = &l.dirs[1];
    assert_eq!(many.records.len(), 2002);
    let bytes = dir_bytes(many);
    assert_eq!(bytes.len() as u32, many.size);
    for s in bytes.chunks(2048) {
        // Walk the records of each sector: they end before byte 2047.
        let mut off = 0;
        while off < 2048 && s[off] != 0 {
            off += s[off] as usize;
        }
        assert!(off < 2048, "a record ends at the sector end");
    }
    for r in &many.records[2..] {
        let nms = r
            .inline
            .iter()
            .chain(&r.cont)
            .filter(|e| matches!(e, susp::Entry::Nm { .. }))
            .count();
        assert_eq!(nms, 1);
    }
}

#[test]
fn deep_directories_relocate_in_strict_mode_only() {
    let mut t = Tree::new(0);
    let mut cur = ROOT;
    for i in 0..10 {
        cur = t.add(cur, format!("d{i}").as_bytes(), dir()).unwrap();
    }
    t.add(cur, b"leaf", file(b"deep")).unwrap();
    let l = plan(&t, &Options::default()).unwrap();
    // Levels: root 1, d0 2 ... d6 8; d7 would be 9 -> rr_moved/d7 (level 3),
    // d8 4, d9 5.
    let depth_max = l.dirs.iter().map(|d| d.depth).max().unwrap();
    assert!(depth_max <= MAX_DEPTH);
    let moved = l.dirs.iter().position(|d| d.ident == b"RR_MOVED").unwrap();
    assert_eq!(l.dirs[moved].parent, 0);
    let d7 = l.dirs.iter().position(|d| d.ident == b"D7").unwrap();
    assert_eq!(l.dirs[d7].parent, moved);
    let d6 = l.dirs.iter().position(|d| d.ident == b"D6").unwrap();
    assert_eq!(l.dirs[d7].real_parent, Some(d6));
    // d6 holds a CL file record pointing at d7's extent; d7's ".." has PL -> d6.
    let cl = l.dirs[d6]
        .records
        .iter()
        .find(|r| r.ident == b"D7")
        .unwrap();
    assert_eq!(cl.flags, 0);
    assert!(cl
        .inline
        .iter()
        .chain(&cl.cont)
        .any(|e| *e == susp::Entry::Cl(l.dirs[d7].lba)));
    let dotdot = &l.dirs[d7].records[1];
    assert!(dotdot
        .inline
        .iter()
        .chain(&dotdot.cont)
        .any(|e| *e == susp::Entry::Pl(l.dirs[d6].lba)));
    let re = l.dirs[moved]
        .records
        .iter()
        .find(|r| r.ident == b"D7")
        .unwrap();
    assert!(re
        .inline
        .iter()
        .chain(&re.cont)
        .any(|e| *e == susp::Entry::Re));
    // Relaxed mode keeps the real hierarchy.
    let l = plan(
        &t,
        &Options {
            names: NameMode::Relaxed,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(l.dirs.iter().map(|d| d.depth).max(), Some(11));
    assert!(l.dirs.iter().all(|d| d.ident != b"rr_moved"));
}

#[test]
fn path_table_order_and_parents() {
    let mut t = Tree::new(0);
    let b = t.add(ROOT, b"b", dir()).unwrap();
    let a = t.add(ROOT, b"a", dir()).unwrap();
    t.add(b, b"z", dir()).unwrap();
    t.add(a, b"y", dir()).unwrap();
    let l = plan(&t, &Options::default()).unwrap();
    let ids: Vec<(&[u8], usize)> = l
        .dirs
        .iter()
        .map(|d| (d.ident.as_slice(), d.parent))
        .collect();
    assert_eq!(
        ids,
        vec![(&b""[..], 0), (b"A", 0), (b"B", 0), (b"Y", 1), (b"Z", 2)]
    );
    let lt = path_table(&l.dirs, false);
    let mt = path_table(&l.dirs, true);
    assert_eq!(lt.len() as u32, l.path_table.2);
    // Record 4 ("Y"): identifier length 1, parent number 2 (A).
    let off = 10 + 10 + 10;
    assert_eq!(&lt[off..off + 2], &[1, 0]);
    assert_eq!(&lt[off + 6..off + 9], &[2, 0, b'Y']);
    assert_eq!(&mt[off + 6..off + 9], &[0, 2, b'Y']);
}

#[test]
fn joliet_tree_has_ucs2_names_and_no_rr_moved() {
    let mut t = Tree::new(0);
    let mut cur = ROOT;
    for i in 0..10 {
        cur = t.add(cur, format!("d{i}").as_bytes(), dir()).unwrap();
    }
    t.add(ROOT, "caf\u{e9}.txt".as_bytes(), file(b"x")).unwrap();
    t.add(
        ROOT,
        b"link",
        Node {
            kind: Kind::Symlink(b"d0".to_vec()),
            perm: 0o777,
            uid: 0,
            gid: 0,
            mtime: 0,
        },
    )
    .unwrap();
    let l = plan(
        &t,
        &Options {
            joliet: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(l.jdirs.len(), 11);
    let names: Vec<Vec<u8>> = l.jdirs[0].records[2..]
        .iter()
        .map(|r| r.ident.clone())
        .collect();
    // Symlinks are left out of Joliet; names are UCS-2 BE with ";1" on files.
    let cafe: Vec<u8> = "caf\u{e9}.txt;1"
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    let d0: Vec<u8> = "d0".encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    assert_eq!(names, vec![cafe, d0]);
    // Joliet ".." points at the parent.
    for (i, d) in l.jdirs.iter().enumerate() {
        assert_eq!(d.records[1].extent, l.jdirs[d.parent].lba, "dir {i}");
        assert_eq!(d.records[0].extent, d.lba);
    }
    let mut out = Vec::new();
    write(&l, &t, &mut out).unwrap();
    let svd = &out[l.svd_lba.unwrap() as usize * 2048..][..2048];
    assert_eq!(&svd[..7], b"\x02CD001\x01");
    assert_eq!(&svd[88..91], b"%/E");
}

#[test]
fn bad_input_is_rejected_before_writing() {
    let img = image(100);
    let tree = boot_tree(&img);
    let mut o = boot_opts(&img);
    o.boot.as_mut().unwrap().image = b"boot/grub/nope".to_vec();
    assert_eq!(
        plan(&tree, &o).unwrap_err().to_string(),
        "boot image /boot/grub/nope: not a regular file in the tree"
    );
    let mut o = boot_opts(&img);
    o.boot.as_mut().unwrap().catalog = b"boot/grub/menu.lst".to_vec();
    assert!(plan(&tree, &o)
        .unwrap_err()
        .to_string()
        .contains("already in the tree"));
    let mut o = boot_opts(&img);
    o.boot.as_mut().unwrap().load_size = 5;
    assert!(plan(&tree, &o)
        .unwrap_err()
        .to_string()
        .starts_with("boot load size 5 × 512 bytes exceeds the 100-byte boot image"));
    let small = image(40);
    let tree2 = boot_tree(&small);
    assert!(plan(&tree2, &boot_opts(&small))
        .unwrap_err()
        .to_string()
        .contains("needs at least 64"));
    let o = Options {
        volume_id: "x".repeat(33),
        ..Options::default()
    };
    assert!(plan(&tree, &o)
        .unwrap_err()
        .to_string()
        .contains("at most 32"));
    let mut big = Tree::new(0);
    big.add(
        ROOT,
        b"huge",
        Node {
            kind: Kind::File {
                size: 5 << 30,
                data: Data::Zeros,
            },
            perm: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        },
    )
    .unwrap();
    let o = Options {
        level: 2,
        ..Options::default()
    };
    assert!(plan(&big, &o)
        .unwrap_err()
        .to_string()
        .starts_with("/huge: file is 5368709120 bytes; ISO level 2 allows at most 4294967295"));
    // Level 3: three extents of at most 0xFFFFF800 bytes, 0x80 on all but the last.
    let l = plan(&big, &Options::default()).unwrap();
    let recs: Vec<(u8, u32)> = l.dirs[0].records[2..]
        .iter()
        .map(|r| (r.flags, r.size))
        .collect();
    assert_eq!(recs, vec![(0x80, 0xFFFF_F800), (0, 1_073_743_872)]);
    let total: u64 = recs.iter().map(|r| u64::from(r.1)).sum();
    assert_eq!(total, 5 << 30);
    assert!(recs[..recs.len() - 1]
        .iter()
        .all(|r| r.0 == 0x80 && r.1 == 0xFFFF_F800));
    assert_eq!(recs.last().unwrap().0, 0);
}

#[test]
fn golden_image_digest() {
    // A layout change must be deliberate: this pins the bytes of one image
    // (boot image with a partial trailing word, Joliet, a symlink, a device,
    // a deep directory, names that collide).
    use sha2::{Digest, Sha256};
    let img = image(4099);
    let mut t = boot_tree(&img);
    let mut cur = ROOT;
    for i in 0..9 {
        cur = t.add(cur, format!("level{i}").as_bytes(), dir()).unwrap();
    }
    t.add(cur, b"deep.txt", file(b"nine levels down\n"))
        .unwrap();
    for n in [&b"a"[..], b"a.", b"a.0"] {
        t.add(ROOT, n, file(n)).unwrap();
    }
    t.add(
        ROOT,
        b"null",
        Node {
            kind: Kind::CharDev {
                major: 13,
                minor: 2,
            },
            perm: 0o666,
            uid: 0,
            gid: 3,
            mtime: 1_000_000,
        },
    )
    .unwrap();
    t.add(
        ROOT,
        b"menu",
        Node {
            kind: Kind::Symlink(b"boot/grub/menu.lst".to_vec()),
            perm: 0o777,
            uid: 0,
            gid: 0,
            mtime: 1_000_000,
        },
    )
    .unwrap();
    let mut o = boot_opts(&img);
    o.joliet = true;
    let l = plan(&t, &o).unwrap();
    let mut out = Vec::new();
    write(&l, &t, &mut out).unwrap();
    let digest: String = Sha256::digest(&out)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!((out.len(), digest.as_str()), (GOLDEN_LEN, GOLDEN_SHA256));
}

const GOLDEN_LEN: usize = 428_032;
const GOLDEN_SHA256: &str = "4c82bd27704be7c42afc52daed3ca5d794f1e150d4683db9235923fa79a0267a";

//! `mvi iso`: reproducibility under perturbed environments, the boot image
//! left untouched, the report, and bad input (one line, exit 2, no output).

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

const MVI: &str = env!("CARGO_BIN_EXE_mvi");

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A boot-shaped tree; `reverse` creates files in the other order and
/// `offset` moves every mtime (all newer than T, so clamping shows).
fn make_tree(root: &Path, reverse: bool, offset: u64) {
    std::fs::create_dir_all(root.join("boot/grub")).unwrap();
    std::fs::create_dir_all(root.join("platform/i86pc/kernel/amd64")).unwrap();
    let stage2: Vec<u8> = (0..119_557u32).map(|i| (i * 13 % 251) as u8).collect();
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("boot/grub/stage2_eltorito", stage2),
        ("boot/grub/menu.lst", b"timeout 5\ndefault 0\n".to_vec()),
        ("platform/i86pc/kernel/unix", vec![1; 5000]),
        ("platform/i86pc/kernel/amd64/unix", vec![2; 7000]),
        ("platform/i86pc/boot_archive", vec![3; 100_000]),
        (
            "platform/i86pc/Very Long Name With Spaces.txt",
            b"x".to_vec(),
        ),
    ];
    if reverse {
        files.reverse();
    }
    for (p, d) in files {
        std::fs::write(root.join(p), d).unwrap();
    }
    symlink("kernel/unix", root.join("platform/i86pc/unix")).unwrap();
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + offset);
    for p in [
        "",
        "boot",
        "boot/grub",
        "boot/grub/menu.lst",
        "platform",
        "platform/i86pc",
        "platform/i86pc/kernel",
        "platform/i86pc/kernel/unix",
    ] {
        std::fs::File::open(root.join(p))
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
}

#[test]
fn reproducible_and_boot_image_untouched() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::Builder::new()
        .prefix("elsewhere")
        .tempdir()
        .unwrap();
    let (sa, sb) = (a.path().join("iso-root"), b.path().join("deep/er/iso-root"));
    make_tree(&sa, false, 0);
    make_tree(&sb, true, 777);
    let before = std::fs::read(sa.join("boot/grub/stage2_eltorito")).unwrap();
    let (ia, ib) = (a.path().join("a.iso"), b.path().join("b.iso"));
    let o = Command::new(MVI)
        .args(["iso", s(&sa), "-o", s(&ia), "--joliet"])
        .env("SOURCE_DATE_EPOCH", "1500000000")
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report = String::from_utf8(o.stdout).unwrap();
    assert!(
        report.contains("El Torito: no emulation, /boot/grub/stage2_eltorito at LBA"),
        "{report}"
    );
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 077; exec '{MVI}' iso '{}' -o '{}' --joliet --source-date-epoch 1500000000",
            s(&sb),
            s(&ib)
        ))
        .env_remove("SOURCE_DATE_EPOCH")
        .env("TZ", "Asia/Kathmandu")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (x, y) = (std::fs::read(&ia).unwrap(), std::fs::read(&ib).unwrap());
    assert!(x == y, "ISOs differ");
    assert_eq!(
        std::fs::read(sa.join("boot/grub/stage2_eltorito")).unwrap(),
        before
    );
    // PVD dates are T.
    assert_eq!(&x[16 * 2048 + 813..16 * 2048 + 829], b"2017071402400000");
}

fn expect_bad(args: &[&str], want: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let iso = out.path().join("x.iso");
    let mut all = vec!["iso"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", s(&iso)]);
    let o = Command::new(MVI).args(&all).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for w in want {
        assert!(err.contains(w), "{err:?} lacks {w:?}");
    }
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn bad_input() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    make_tree(&src, false, 0);
    expect_bad(
        &[s(&d.path().join("missing"))],
        &["missing", "No such file"],
    );
    expect_bad(
        &[s(&src), "--boot", "boot/nope"],
        &["boot image /boot/nope: not found"],
    );
    expect_bad(
        &[s(&src), "--catalog", "boot/grub/menu.lst"],
        &["boot catalog /boot/grub/menu.lst", "already in the tree"],
    );
    expect_bad(&[s(&src), "--volume-id", &"v".repeat(40)], &["at most 32"]);
    // Usage errors are clap's: exit 2, the error on the first line, then usage.
    let o = Command::new(MVI)
        .args(["iso", s(&src), "-o", "/dev/null", "--names", "odd"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o)
        .lines()
        .next()
        .unwrap()
        .contains("invalid value 'odd' for '--names <NAMES>'"));
}

#[test]
fn ls_cat_check_read_isos() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    make_tree(&src, false, 0);
    let iso = d.path().join("x.iso");
    let o = Command::new(MVI)
        .args(["iso", s(&src), "-o", s(&iso), "-q"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new(MVI)
        .args(["ls", s(&iso), "/platform/i86pc"])
        .output()
        .unwrap();
    let ls = String::from_utf8(o.stdout).unwrap();
    assert!(
        ls.contains("-rw-r--r--   1     0     0     100000 boot_archive"),
        "{ls}"
    );
    assert!(
        ls.contains("lrwxrwxrwx   1     0     0         11 unix -> kernel/unix"),
        "{ls}"
    );
    let o = Command::new(MVI)
        .args(["cat", s(&iso), "boot/grub/menu.lst"])
        .output()
        .unwrap();
    assert_eq!(o.stdout, b"timeout 5\ndefault 0\n");
    // The boot image comes back with its boot info table patched in.
    let o = Command::new(MVI)
        .args(["cat", s(&iso), "boot/grub/stage2_eltorito"])
        .output()
        .unwrap();
    let orig = std::fs::read(src.join("boot/grub/stage2_eltorito")).unwrap();
    assert_eq!(o.stdout.len(), orig.len());
    assert_eq!(&o.stdout[64..], &orig[64..]);
    assert_eq!(&o.stdout[8..12], &16u32.to_le_bytes());
    let o = Command::new(MVI).args(["check", s(&iso)]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // Corrupt the boot info table checksum: check names it and exits 1.
    let mut bytes = std::fs::read(&iso).unwrap();
    let cat_lba =
        u32::from_le_bytes(bytes[17 * 2048 + 71..17 * 2048 + 75].try_into().unwrap()) as usize;
    let img_lba = u32::from_le_bytes(
        bytes[cat_lba * 2048 + 40..cat_lba * 2048 + 44]
            .try_into()
            .unwrap(),
    ) as usize;
    bytes[img_lba * 2048 + 20] ^= 1;
    let bad = d.path().join("bad.iso");
    std::fs::write(&bad, &bytes).unwrap();
    let o = Command::new(MVI).args(["check", s(&bad)]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("bi_csum is"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

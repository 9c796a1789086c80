//! The GRUB legacy oracle harness, proved on ISOs made by `genisoimage`
//! (not by mvi's own ISO writer): GRUB 0.97's `stage2_eltorito` boots them
//! under QEMU, reads the test menu, and hands the multiboot test kernel the
//! selected kernel path and the gzip module inflated back to the exact
//! bytes. Requires `scripts/setup-test-deps.sh`; fails (never skips)
//! without it.

mod common;

use mvi_tests::grub_boot::{
    boot_iso, grub_test_menu, multiboot_kernel, stage2_eltorito, BootOptions, BootReport,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const UNIX_64: &str = "/platform/i86pc/kernel/amd64/unix";
const UNIX_32: &str = "/platform/i86pc/kernel/unix";
const ARCHIVE: &str = "/platform/i86pc/boot_archive";
const UFS_MAGIC: [u8; 4] = [0x54, 0x19, 0x01, 0x00];

/// A pseudo-random ~200 KiB "boot archive" (odd length, so the last word is
/// partial) with the UFS magic at byte 9564.
fn archive_bytes() -> Vec<u8> {
    let mut b = common::pattern(200 * 1024 + 3, 9564);
    b[9564..9568].copy_from_slice(&UFS_MAGIC);
    b
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .args(["-n", "-9", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gzip");
    let mut stdin = child.stdin.take().unwrap();
    let input = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "gzip failed");
    assert_eq!(&out.stdout[..2], b"\x1f\x8b");
    out.stdout
}

/// Build `dir/name.iso` with genisoimage from a tree holding a *copy* of
/// stage2_eltorito (genisoimage patches the boot info table into its input),
/// `menu` as `/boot/grub/menu.lst`, and `files` (absolute ISO paths).
fn build_iso(dir: &Path, name: &str, menu: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let tree = dir.join(format!("{name}-tree"));
    let grub = tree.join("boot/grub");
    std::fs::create_dir_all(&grub).unwrap();
    let stage2 = stage2_eltorito().unwrap_or_else(|e| panic!("{e}"));
    let original = std::fs::read(&stage2).unwrap();
    std::fs::write(grub.join("stage2_eltorito"), &original).unwrap();
    std::fs::write(grub.join("menu.lst"), menu).unwrap();
    for (path, data) in files {
        let p = tree.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
    }
    let iso = dir.join(format!("{name}.iso"));
    let out = Command::new("genisoimage")
        .args(["-quiet", "-R", "-b", "boot/grub/stage2_eltorito"])
        .args(["-no-emul-boot", "-boot-load-size", "4", "-boot-info-table"])
        .arg("-o")
        .arg(&iso)
        .arg(&tree)
        .output()
        .expect("genisoimage (run scripts/setup-test-deps.sh)");
    assert!(out.status.success(), "genisoimage: {out:?}");
    // genisoimage rewrote bytes 8..24 of the copy (the boot info table);
    // the cached original is untouched.
    let patched = std::fs::read(grub.join("stage2_eltorito")).unwrap();
    assert_ne!(patched[8..24], original[8..24]);
    assert_eq!(std::fs::read(&stage2).unwrap(), original);
    iso
}

/// Kernel and archive files of the test ISOs: the same 32-bit multiboot
/// kernel at both unix paths.
fn boot_files(archive_gz: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let kernel = std::fs::read(multiboot_kernel().unwrap_or_else(|e| panic!("{e}"))).unwrap();
    vec![
        (UNIX_64, kernel.clone()),
        (UNIX_32, kernel),
        (ARCHIVE, archive_gz.to_vec()),
    ]
}

fn boot(iso: &Path) -> BootReport {
    let r = boot_iso(iso, &BootOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{}: GRUB boot took {:.2} s",
        iso.file_name().unwrap().to_string_lossy(),
        r.elapsed.as_secs_f64()
    );
    r
}

#[test]
fn grub_boots_the_default_stanza_and_inflates_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_bytes();
    let archive_gz = gzip(&archive);
    assert_ne!(archive_gz.len(), archive.len());
    let files = boot_files(&archive_gz);
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    let entries: [(&str, &str, &[&str]); 2] =
        [("64", UNIX_64, &[ARCHIVE]), ("32", UNIX_32, &[ARCHIVE])];
    for (default, (title, unix, _)) in entries.iter().enumerate() {
        let menu = grub_test_menu(&entries, default);
        let iso = build_iso(dir.path(), &format!("default-{default}"), &menu, &files);
        let r = boot(&iso);
        assert_eq!(r.cmdline.as_deref(), Some(*unix), "{}", r.log);
        assert_eq!(r.booted_title.as_deref(), Some(*title));
        assert_eq!(r.loader.as_deref(), Some("GNU GRUB 0.97"));
        assert!(r.done && r.grub_errors.is_empty(), "{}", r.log);
        assert_eq!(r.modules.len(), 1, "{}", r.log);
        assert_eq!(r.modules[0].cmdline, ARCHIVE);
        assert_eq!(r.modules[0].at9564, Some(u32::from_le_bytes(UFS_MAGIC)));
        r.check_module(0, &archive)
            .unwrap_or_else(|e| panic!("{e}\n{}", r.log));
        assert_eq!(r.modules[0].start % 4096, 0, "modules are page-aligned");
    }
}

/// Arguments on `kernel` and `module` lines reach the kernel after the
/// path; several modules arrive in menu order; uncompressed modules pass
/// unchanged, a short one without the 9564 word.
#[test]
fn grub_passes_arguments_and_several_modules() {
    let dir = tempfile::tempdir().unwrap();
    let archive = archive_bytes();
    let raw = common::pattern(12_345, 7);
    let mut files = boot_files(&gzip(&archive));
    files.push(("/platform/i86pc/raw.bin", raw.clone()));
    files.push(("/small", b"abc".to_vec()));
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    let kernel = format!("{UNIX_32} -B console=ttya,prop=x -v");
    let modules = [
        "/platform/i86pc/raw.bin",
        "/platform/i86pc/boot_archive type=rootfs name=ramdisk",
        "/small",
    ];
    let menu = grub_test_menu(&[("args", &kernel, &modules)], 0);
    let iso = build_iso(dir.path(), "args", &menu, &files);
    let r = boot(&iso);
    assert_eq!(r.cmdline.as_deref(), Some(kernel.as_str()));
    let cmdlines: Vec<&str> = r.modules.iter().map(|m| m.cmdline.as_str()).collect();
    assert_eq!(cmdlines, modules);
    r.check_module(0, &raw).unwrap();
    r.check_module(1, &archive).unwrap();
    r.check_module(2, b"abc").unwrap();
    assert_eq!(r.modules[2].at9564, None);
}

/// A failing stanza ends the run at once (GRUB would wait for a key
/// forever) with GRUB's error in the message.
#[test]
fn grub_errors_fail_fast() {
    let dir = tempfile::tempdir().unwrap();
    let files = boot_files(&gzip(b"x"));
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    let menu = grub_test_menu(
        &[("missing", UNIX_64, &["/platform/i86pc/no_such_file"])],
        0,
    );
    let iso = build_iso(dir.path(), "missing", &menu, &files);
    let start = std::time::Instant::now();
    let e = boot_iso(&iso, &BootOptions::default()).unwrap_err();
    eprintln!("failed in {:.2} s: {e}", start.elapsed().as_secs_f64());
    assert!(e.contains("Error 15: File not found"), "{e}");
    assert!(e.contains("waits for a key"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(30));
}

/// Without Rock Ridge the lowercase `/boot/grub/menu.lst` is not found
/// (GRUB compares primary names case-sensitively), GRUB stays on the VGA
/// console, and the harness reports the silence instead of waiting for the
/// full time limit.
#[test]
fn grub_without_rock_ridge_finds_no_menu() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("boot/grub")).unwrap();
    std::fs::copy(
        stage2_eltorito().unwrap_or_else(|e| panic!("{e}")),
        tree.join("boot/grub/stage2_eltorito"),
    )
    .unwrap();
    let menu = grub_test_menu(&[("64", UNIX_64, &[])], 0);
    std::fs::write(tree.join("boot/grub/menu.lst"), menu).unwrap();
    let iso = dir.path().join("plain.iso");
    let out = Command::new("genisoimage")
        .args(["-quiet", "-b", "boot/grub/stage2_eltorito", "-no-emul-boot"])
        .args(["-boot-load-size", "4", "-boot-info-table", "-o"])
        .arg(&iso)
        .arg(&tree)
        .output()
        .expect("genisoimage (run scripts/setup-test-deps.sh)");
    assert!(out.status.success(), "genisoimage: {out:?}");
    let opts = BootOptions {
        silence_timeout: Duration::from_secs(5),
        ..BootOptions::default()
    };
    let e = boot_iso(&iso, &opts).unwrap_err();
    assert!(e.contains("nothing on the serial port"), "{e}");
}

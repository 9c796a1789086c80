//! The Linux UFS oracle: read a UFS image with Linux's own `ufs` driver.
//!
//! [`linux_ufs_manifest`] boots the Debian kernel unpacked by
//! `scripts/setup-test-deps.sh` under QEMU (TCG) with a small initramfs:
//! busybox, the virtio block modules and `ufs.ko`, the static manifest
//! program (`tests/oracle/manifest.c`) and an `/init` script. The image is
//! attached read-only as a virtio disk and mounted with
//! `mount -t ufs -o ro,ufstype=sunx86 /dev/vda /mnt` (plus busybox's `loud`,
//! so that the driver's complaints are not silenced); the manifest of `/mnt`
//! goes to the second serial port (so kernel messages cannot mix into it),
//! the console and the kernel log to the first.
//!
//! [`check_ufs_image_with_linux`] is the whole check for an image written
//! from a [`Tree`]: no `ufs` kernel message, and a manifest equal to
//! [`tree_manifest`].

use crate::cache::{build_dir, content_key, manifest_program, oracle_env, write_atomic, OracleEnv};
use crate::cpio::Cpio;
use crate::manifest::{manifest_diff, tree_manifest};
use crate::util::{qemu_escape, read_lossy, tail};
use fstree::Tree;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Modules loaded with `insmod`, in this order (each only needs the ones
/// before it). A module the kernel has built in is skipped.
pub const MODULES: [&str; 7] = [
    "virtio_ring",
    "virtio",
    "virtio_pci_legacy_dev",
    "virtio_pci_modern_dev",
    "virtio_pci",
    "virtio_blk",
    "ufs",
];

/// How long one QEMU run may take by default before it is killed. One boot
/// and check of a small image takes about 5–15 s under TCG; the manifest of
/// a big tree goes out over an emulated serial port and takes longer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Marker the guest writes on the manifest port after the manifest.
const MANIFEST_END: &str = "MVI-MANIFEST-END";

/// What Linux saw in a UFS image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxUfsResult {
    /// The manifest of the mounted image (format of [`crate::manifest`]).
    pub manifest: String,
    /// The guest console: `/init` messages, the program's stderr, and a full
    /// `dmesg` dump at the end (all log levels, although the kernel runs with
    /// `quiet`). Carriage returns removed.
    pub kernel_log: String,
    /// Every kernel log line that mentions the UFS driver (`ufs:`,
    /// `UFS-fs`, `ufs_...()`, matched as "ufs" not preceded by a letter,
    /// any case). A correct image mounts without any.
    pub ufs_messages: Vec<String>,
    /// Wall time of the QEMU run (boot, mount, manifest, power-off).
    pub elapsed: Duration,
}

/// Options for [`linux_ufs_manifest_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxUfsOptions {
    /// The driver's `ufstype=` mount option: `sunx86` for the images mvi
    /// writes; `44bsd` reads BSD `makefs -t ffs` UFS1 images (used to test
    /// the harness itself). Only lowercase letters and digits.
    pub ufstype: String,
    /// Limit on the whole QEMU run; it is killed after that.
    pub timeout: Duration,
}

impl Default for LinuxUfsOptions {
    fn default() -> Self {
        LinuxUfsOptions {
            ufstype: "sunx86".to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Mount `image` with Linux's UFS driver (`ufstype=sunx86`, read-only)
/// under QEMU and return its manifest, with [`DEFAULT_TIMEOUT`].
///
/// Errors (never panics) when the oracle is not installed (the message says
/// to run `scripts/setup-test-deps.sh`), QEMU cannot run or times out, a
/// module does not load, the mount fails, the manifest program reports an
/// error, or the manifest arrives incomplete; the error carries the tail of
/// the guest console and any UFS kernel messages. UFS kernel messages on a
/// successful mount are returned in [`LinuxUfsResult::ufs_messages`], not as
/// an error: [`check_ufs_image_with_linux`] treats them as failure.
pub fn linux_ufs_manifest(image: &Path) -> Result<LinuxUfsResult, String> {
    linux_ufs_manifest_with(image, &LinuxUfsOptions::default())
}

/// [`linux_ufs_manifest`] with another `ufstype` or time limit.
pub fn linux_ufs_manifest_with(
    image: &Path,
    opts: &LinuxUfsOptions,
) -> Result<LinuxUfsResult, String> {
    if opts.ufstype.is_empty()
        || !opts
            .ufstype
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(format!("invalid ufstype {:?}", opts.ufstype));
    }
    let timeout = opts.timeout;
    let env = oracle_env()?;
    let initrd = initramfs()?;
    let image = std::fs::canonicalize(image).map_err(|e| format!("{}: {e}", image.display()))?;
    let work = tempfile::Builder::new()
        .prefix("mvi-linux-ufs-")
        .tempdir()
        .map_err(|e| format!("temporary directory: {e}"))?;
    let console_path = work.path().join("console.log");
    let manifest_path = work.path().join("manifest.txt");
    let stderr_path = work.path().join("qemu.stderr");
    let stderr = std::fs::File::create(&stderr_path)
        .map_err(|e| format!("{}: {e}", stderr_path.display()))?;

    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-accel", "tcg", "-m", "512", "-nographic", "-no-reboot"])
        .arg("-kernel")
        .arg(&env.kernel)
        .arg("-initrd")
        .arg(&initrd)
        .arg("-append")
        .arg(format!(
            "console=ttyS0 panic=-1 quiet mvi.ufstype={}",
            opts.ufstype
        ))
        .arg("-drive")
        .arg(format!(
            "file={},format=raw,if=virtio,readonly=on",
            qemu_escape(&image)
        ))
        .arg("-serial")
        .arg(format!("file:{}", console_path.display()))
        .arg("-serial")
        .arg(format!("file:{}", manifest_path.display()))
        .args(["-display", "none", "-monitor", "none"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("qemu-system-x86_64: {e}; run scripts/setup-test-deps.sh"))?;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let console = read_lossy(&console_path);
                return Err(format!(
                    "QEMU timed out after {} s on {}\n{}",
                    timeout.as_secs(),
                    image.display(),
                    tail(&console, 40)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("waiting for QEMU: {e}")),
        }
    };
    let elapsed = start.elapsed();
    let console = read_lossy(&console_path);
    let qemu_err = read_lossy(&stderr_path);
    let raw_manifest = read_lossy(&manifest_path);
    interpret(
        &console,
        &raw_manifest,
        &qemu_err,
        status.success(),
        elapsed,
    )
    .map_err(|e| format!("Linux UFS oracle on {}: {e}", image.display()))
}

/// Turn the guest's two output streams into a result or an error.
fn interpret(
    console: &str,
    raw_manifest: &str,
    qemu_err: &str,
    qemu_ok: bool,
    elapsed: Duration,
) -> Result<LinuxUfsResult, String> {
    let kernel_log = console.replace('\r', "");
    let ufs_messages = ufs_lines(dmesg_section(&kernel_log).unwrap_or(&kernel_log));
    let context = || {
        let mut s = String::new();
        if !ufs_messages.is_empty() {
            s.push_str("UFS kernel messages:\n");
            for m in &ufs_messages {
                s.push_str("  ");
                s.push_str(m);
                s.push('\n');
            }
        }
        if !qemu_err.trim().is_empty() {
            s.push_str("QEMU stderr:\n");
            s.push_str(&tail(qemu_err, 10));
        }
        s.push_str("guest console (tail):\n");
        s.push_str(&tail(&kernel_log, 40));
        s
    };
    if !qemu_ok {
        return Err(format!("QEMU exited with an error\n{}", context()));
    }
    if let Some(m) = kernel_log
        .lines()
        .find(|l| l.contains("MVI-ORACLE-INSMOD-FAILED") || l.contains("MVI-ORACLE-NO-DISK"))
    {
        return Err(format!("oracle setup failed: {m}\n{}", context()));
    }
    if kernel_log.contains("MVI-ORACLE-MOUNT-FAILED") {
        return Err(format!("mount failed\n{}", context()));
    }
    if !kernel_log.contains("MVI-ORACLE-MOUNTED") {
        return Err(format!(
            "the guest never reported the mount (boot failed?)\n{}",
            context()
        ));
    }
    let rc = kernel_log
        .lines()
        .find_map(|l| l.split("MVI-ORACLE-DONE rc=").nth(1))
        .map(|r| r.trim().to_string());
    match rc.as_deref() {
        None => {
            return Err(format!(
                "the guest never finished the manifest\n{}",
                context()
            ))
        }
        Some("0") => {}
        Some(rc) => {
            return Err(format!(
                "the manifest program failed (exit status {rc}); its errors are in the console\n{}",
                context()
            ))
        }
    }
    // Names are escaped, so a manifest never holds a raw CR: any is from
    // the tty's output processing.
    let text = raw_manifest.replace('\r', "");
    let end = format!("{MANIFEST_END}\n");
    let Some(manifest) = text.strip_suffix(&end) else {
        return Err(format!(
            "the manifest is incomplete ({} bytes, no end marker)\n{}",
            text.len(),
            context()
        ));
    };
    Ok(LinuxUfsResult {
        manifest: manifest.to_string(),
        kernel_log,
        ufs_messages,
        elapsed,
    })
}

/// The `dmesg` dump between the guest's markers, if it is there.
fn dmesg_section(log: &str) -> Option<&str> {
    let b = log.find("MVI-DMESG-BEGIN\n")? + "MVI-DMESG-BEGIN\n".len();
    let e = log[b..].find("MVI-DMESG-END")? + b;
    Some(&log[b..e])
}

/// Lines mentioning the UFS driver: "ufs" (any case) not preceded by a
/// letter, except the kernel's echo of its command line (`mvi.ufstype=`).
fn ufs_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| !l.contains("MVI-") && !l.contains("ommand line:"))
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            let b = lower.as_bytes();
            lower
                .match_indices("ufs")
                .any(|(i, _)| i == 0 || !b[i - 1].is_ascii_alphabetic())
        })
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// Run the Linux UFS oracle on `image` and compare with what `tree` says the
/// image should hold. Fails on any UFS kernel message and on any manifest
/// difference (the error lists the differing lines). This is the function
/// image tests call: `check_ufs_image_with_linux(&img, &tree)?`.
pub fn check_ufs_image_with_linux(image: &Path, tree: &Tree) -> Result<LinuxUfsResult, String> {
    let expected = tree_manifest(tree);
    let got = linux_ufs_manifest(image)?;
    let mut problems = String::new();
    if !got.ufs_messages.is_empty() {
        problems.push_str("Linux's UFS driver complained:\n");
        for m in &got.ufs_messages {
            problems.push_str("  ");
            problems.push_str(m);
            problems.push('\n');
        }
    }
    let diff = manifest_diff(&expected, &got.manifest, 30);
    if !diff.is_empty() {
        problems.push_str("manifest differs from the tree (- expected, + Linux saw):\n");
        problems.push_str(&diff);
    }
    if problems.is_empty() {
        Ok(got)
    } else {
        Err(format!("{}: {problems}", image.display()))
    }
}

/// The guest's `/init`.
const INIT: &str = r#"#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ufstype=sunx86
for a in $(cat /proc/cmdline); do
    case $a in mvi.ufstype=*) ufstype=${a#mvi.ufstype=} ;; esac
done
for m in MODULES; do
    if [ -f /modules/$m.ko ]; then
        insmod /modules/$m.ko || echo "MVI-ORACLE-INSMOD-FAILED $m"
    fi
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
if [ ! -b /dev/vda ]; then
    echo "MVI-ORACLE-NO-DISK"
# busybox mounts with MS_SILENT unless told "loud"; without it the driver
# keeps quiet about e.g. a bad magic number.
elif mount -t ufs -o ro,loud,ufstype=$ufstype /dev/vda /mnt; then
    echo "MVI-ORACLE-MOUNTED"
    stty -F /dev/ttyS1 raw -echo
    /manifest /mnt >/dev/ttyS1
    rc=$?
    echo "MVI-MANIFEST-END" >/dev/ttyS1
    echo "MVI-ORACLE-DONE rc=$rc"
    umount /mnt
else
    echo "MVI-ORACLE-MOUNT-FAILED"
fi
echo "MVI-DMESG-BEGIN"
dmesg
echo "MVI-DMESG-END"
poweroff -f
echo o >/proc/sysrq-trigger
"#;

/// Busybox applets the init script uses (symlinked in `/bin`; all others
/// are linked too when `busybox --list` works).
const APPLETS: [&str; 12] = [
    "sh", "mount", "umount", "insmod", "sleep", "echo", "stty", "dmesg", "poweroff", "cat", "ls",
    "[",
];

/// The oracle initramfs (uncompressed newc cpio), built once per process
/// and cached as `$CACHE/build/initramfs-<key>.cpio`, the key being a hash
/// of everything in it.
pub fn initramfs() -> Result<PathBuf, String> {
    static INITRAMFS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INITRAMFS.get_or_init(build_initramfs).clone()
}

fn build_initramfs() -> Result<PathBuf, String> {
    let env = oracle_env()?;
    let manifest_bin = manifest_program()?;
    let manifest =
        std::fs::read(&manifest_bin).map_err(|e| format!("{}: {e}", manifest_bin.display()))?;
    let busybox_path = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .ok_or("busybox-static is not installed; run scripts/setup-test-deps.sh")?;
    let busybox =
        std::fs::read(busybox_path).map_err(|e| format!("{}: {e}", busybox_path.display()))?;
    let mut applets: Vec<String> = APPLETS.iter().map(|s| s.to_string()).collect();
    if let Ok(out) = Command::new(busybox_path).arg("--list").output() {
        if out.status.success() {
            for a in String::from_utf8_lossy(&out.stdout).lines() {
                let a = a.trim();
                if !a.is_empty() && !a.contains('/') && a != "busybox" {
                    applets.push(a.to_string());
                }
            }
        }
    }
    applets.sort();
    applets.dedup();
    let modules = load_modules(&env)?;
    let init = INIT.replace("MODULES", &MODULES.join(" "));

    let mut parts: Vec<&[u8]> = vec![
        b"mvi linux-ufs initramfs v1",
        init.as_bytes(),
        &busybox,
        &manifest,
    ];
    let applet_list = applets.join("\n");
    parts.push(applet_list.as_bytes());
    for (name, data) in &modules {
        parts.push(name.as_bytes());
        parts.push(data);
    }
    let key = content_key(&parts);
    let out = build_dir(&env)?.join(format!("initramfs-{}.cpio", &key[..16]));
    if out.is_file() {
        return Ok(out);
    }

    let mut c = Cpio::new();
    for d in ["bin", "dev", "proc", "sys", "mnt", "modules"] {
        c.dir(d, 0o755);
    }
    // The kernel opens /dev/console for init before devtmpfs is mounted.
    c.char_dev("dev/console", 0o600, 5, 1);
    c.file("bin/busybox", 0o755, &busybox);
    for a in &applets {
        c.symlink(&format!("bin/{a}"), "busybox");
    }
    c.file("manifest", 0o755, &manifest);
    for (name, data) in &modules {
        c.file(&format!("modules/{name}.ko"), 0o644, data);
    }
    c.file("init", 0o755, init.as_bytes());
    write_atomic(&out, &c.finish())?;
    Ok(out)
}

/// The [`MODULES`] that are not built in, in load order, as
/// `(name, uncompressed .ko bytes)`, found through `modules.dep`.
fn load_modules(env: &OracleEnv) -> Result<Vec<(String, Vec<u8>)>, String> {
    let dep_path = env.modules_dir.join("modules.dep");
    let dep =
        std::fs::read_to_string(&dep_path).map_err(|e| format!("{}: {e}", dep_path.display()))?;
    let builtin =
        std::fs::read_to_string(env.modules_dir.join("modules.builtin")).unwrap_or_default();
    let mut out = Vec::new();
    for m in MODULES {
        if let Some(rel) = find_module(&dep, m) {
            let path = env.modules_dir.join(rel);
            out.push((m.to_string(), read_module(&path)?));
        } else if find_module(&builtin, m).is_some() {
            continue;
        } else {
            return Err(format!(
                "kernel {}: module {m} is neither in {} nor built in",
                env.kernel_version,
                dep_path.display()
            ));
        }
    }
    Ok(out)
}

/// The path (relative to the modules directory) of module `name` in a
/// `modules.dep` or `modules.builtin` text; `-` and `_` are the same.
fn find_module<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let want = name.replace('-', "_");
    list.lines()
        .map(|l| l.split(':').next().unwrap_or("").trim())
        .find(|path| {
            let file = path.rsplit('/').next().unwrap_or(path);
            let stem = [".ko.xz", ".ko.zst", ".ko.gz", ".ko"]
                .iter()
                .find_map(|ext| file.strip_suffix(ext));
            stem.is_some_and(|s| s.replace('-', "_") == want)
        })
}

/// Read a `.ko`, decompressing `.ko.xz`, `.ko.zst` and `.ko.gz` with the
/// system tools (busybox's `insmod` takes only plain modules).
fn read_module(path: &Path) -> Result<Vec<u8>, String> {
    let name = path.to_string_lossy();
    let tool = if name.ends_with(".xz") {
        Some("xz")
    } else if name.ends_with(".zst") {
        Some("zstd")
    } else if name.ends_with(".gz") {
        Some("gzip")
    } else {
        None
    };
    match tool {
        None => std::fs::read(path).map_err(|e| format!("{}: {e}", path.display())),
        Some(tool) => {
            let out = Command::new(tool)
                .args(["-d", "-c"])
                .arg(path)
                .output()
                .map_err(|e| format!("{tool}: {e}; run scripts/setup-test-deps.sh"))?;
            if !out.status.success() {
                return Err(format!(
                    "{tool} -d -c {}: {}",
                    path.display(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(out.stdout)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_lookup_handles_compression_and_dashes() {
        let dep = "kernel/fs/ufs/ufs.ko.xz:\nkernel/drivers/virtio/virtio.ko: a.ko\n\
                   kernel/drivers/virtio/virtio_ring.ko.zst:\nkernel/x/virtio-pci.ko:\n";
        assert_eq!(find_module(dep, "ufs"), Some("kernel/fs/ufs/ufs.ko.xz"));
        assert_eq!(
            find_module(dep, "virtio"),
            Some("kernel/drivers/virtio/virtio.ko")
        );
        assert_eq!(
            find_module(dep, "virtio_ring"),
            Some("kernel/drivers/virtio/virtio_ring.ko.zst")
        );
        assert_eq!(
            find_module(dep, "virtio_pci"),
            Some("kernel/x/virtio-pci.ko")
        );
        assert_eq!(find_module(dep, "virtio_blk"), None);
    }

    #[test]
    fn compressed_modules_are_decompressed() {
        let d = tempfile::tempdir().unwrap();
        let plain = d.path().join("m.ko");
        std::fs::write(&plain, b"\x7fELF module bytes").unwrap();
        for (tool, ext) in [("xz", "xz"), ("zstd", "zst"), ("gzip", "gz")] {
            let st = Command::new(tool)
                .args(["-k", "-f", "-q"])
                .arg(&plain)
                .status()
                .unwrap();
            assert!(st.success(), "{tool}");
            let comp = d.path().join(format!("m.ko.{ext}"));
            assert_eq!(read_module(&comp).unwrap(), b"\x7fELF module bytes");
        }
    }

    #[test]
    fn interpret_classifies_guest_output() {
        let ok = "[ 0.0] Command line: quiet mvi.ufstype=ufs2\r\nMVI-ORACLE-MOUNTED\r\nMVI-ORACLE-DONE rc=0\r\nMVI-DMESG-BEGIN\r\n\
                  [ 0.0] Kernel command line: quiet mvi.ufstype=ufs2\r\n\
                  [ 1.0] virtio_blk virtio0: [vda] 8 512-byte blocks\r\n\
                  [ 1.1] ufs: ufs_fill_super(): fs needs fsck\r\n[ 1.2] rx bufs ok\r\n\
                  MVI-DMESG-END\r\n";
        let r = interpret(
            ok,
            "a d 0755 0 0 - 2 - - - -\nMVI-MANIFEST-END\n",
            "",
            true,
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(r.manifest, "a d 0755 0 0 - 2 - - - -\n");
        assert_eq!(
            r.ufs_messages,
            vec!["[ 1.1] ufs: ufs_fill_super(): fs needs fsck"]
        );
        let e = interpret(ok, "a d 0755", "", true, Duration::ZERO).unwrap_err();
        assert!(e.contains("incomplete"), "{e}");
        let e = interpret(
            &ok.replace("rc=0", "rc=1"),
            "MVI-MANIFEST-END\n",
            "",
            true,
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(e.contains("exit status 1"), "{e}");
        let e = interpret("MVI-ORACLE-MOUNT-FAILED\n", "", "", true, Duration::ZERO).unwrap_err();
        assert!(e.starts_with("mount failed"), "{e}");
        let e = interpret("Kernel panic\n", "", "", true, Duration::ZERO).unwrap_err();
        assert!(
            e.contains("never reported the mount") && e.contains("Kernel panic"),
            "{e}"
        );
    }

    /// The QEMU path end to end without a UFS writer: a zero-filled disk
    /// boots, the modules load, and the mount fails with a clean error that
    /// names the failure and carries the driver's complaint.
    #[test]
    fn zero_image_fails_to_mount_cleanly() {
        let d = tempfile::tempdir().unwrap();
        let img = d.path().join("zero,s.img");
        std::fs::write(&img, vec![0u8; 4 << 20]).unwrap();
        let start = Instant::now();
        let e = linux_ufs_manifest(&img).unwrap_err();
        eprintln!("QEMU run took {:.1} s", start.elapsed().as_secs_f64());
        eprintln!("{}", e.lines().take(4).collect::<Vec<_>>().join("\n"));
        assert!(e.contains("mount failed"), "{e}");
        assert!(e.contains("UFS kernel messages"), "{e}");
    }
}

/// The success path, before mvi writes UFS images of its own: a BSD
/// `makefs -t ffs` image (UFS1, 4.4BSD layout) mounted with `ufstype=44bsd`
/// reads back as the manifest of the source tree. (makefs's UFS2 keeps its
/// superblock at 8 KiB, where Linux's `ufs2` type does not look.)
/// This checks the whole harness: modules, mount, walk, serial transfer of a
/// few thousand lines, the end markers and the comparison.
#[cfg(test)]
mod makefs_tests {
    use super::*;
    use crate::manifest::tree_manifest;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn source_tree(r: &Path) {
        std::fs::create_dir_all(r.join("sub/deeper")).unwrap();
        std::fs::write(r.join("a"), b"hello\n").unwrap();
        std::fs::hard_link(r.join("a"), r.join("sub/hard")).unwrap();
        symlink("a", r.join("sym")).unwrap();
        symlink("y".repeat(300), r.join("long-sym")).unwrap();
        std::fs::write(r.join("with space"), b"x").unwrap();
        std::fs::write(r.join("empty"), b"").unwrap();
        let big: Vec<u8> = (0..3_000_000u32)
            .map(|i| (i * 7 + i / 4096) as u8)
            .collect();
        std::fs::write(r.join("big"), big).unwrap();
        for i in 0..2000 {
            std::fs::write(r.join(format!("sub/file-{i:04}")), i.to_string()).unwrap();
        }
        std::fs::set_permissions(r.join("a"), std::fs::Permissions::from_mode(0o4755)).unwrap();
        let st = Command::new("mkfifo").arg(r.join("fifo")).status().unwrap();
        assert!(st.success());
    }

    fn check(version: &str, ufstype: &str) {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        source_tree(&src);
        let img = d.path().join("ffs.img");
        let out = Command::new("makefs")
            .args(["-t", "ffs", "-o"])
            .arg(format!("version={version}"))
            .arg(&img)
            .arg(&src)
            .output()
            .expect("makefs (run scripts/setup-test-deps.sh)");
        assert!(out.status.success(), "{out:?}");
        let tree = fstree::walk(
            &src,
            &fstree::WalkOptions {
                preserve_owner: true,
                time: i64::MAX,
            },
        )
        .unwrap();
        let opts = LinuxUfsOptions {
            ufstype: ufstype.to_string(),
            ..LinuxUfsOptions::default()
        };
        let got = linux_ufs_manifest_with(&img, &opts).unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "{ufstype}: QEMU run took {:.1} s for {} lines",
            got.elapsed.as_secs_f64(),
            got.manifest.lines().count()
        );
        let want = tree_manifest(&tree);
        assert!(
            got.manifest == want,
            "{}",
            crate::manifest::manifest_diff(&want, &got.manifest, 20)
        );
        assert!(got.ufs_messages.is_empty(), "{:?}", got.ufs_messages);
    }

    #[test]
    fn makefs_ufs1_image_reads_back() {
        check("1", "44bsd");
    }
}

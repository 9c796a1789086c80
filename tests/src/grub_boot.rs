//! The GRUB legacy oracle: boot an ISO with real GRUB 0.97 under QEMU.
//!
//! The ISO's El Torito image is GRUB legacy's `stage2_eltorito` (Debian's
//! `grub-legacy`, unpacked by `scripts/setup-test-deps.sh`; see
//! [`stage2_eltorito`]). GRUB reads `/boot/grub/menu.lst` from the ISO,
//! loads the selected stanza's `kernel` and `module` files (inflating gzip'd
//! ones) and starts the kernel. In tests that kernel is
//! [`multiboot_kernel`], a few hundred bytes of assembly
//! (`tests/oracle/mbkernel.asm`) that reports on COM1 what GRUB handed over:
//!
//! ```text
//! MVI-MB-LOADER GNU GRUB 0.97
//! MVI-MB-CMDLINE /platform/i86pc/kernel/amd64/unix
//! MVI-MB-MODULE 0 start=00102000 len=204803 sum=8f4e49dd at9564=00011954 cmdline=/platform/i86pc/boot_archive
//! MVI-MB-DONE n=1
//! ```
//!
//! and then makes QEMU exit through `isa-debug-exit`. [`boot_iso`] runs
//! QEMU and parses that into a [`BootReport`]; [`module_expectation`] and
//! [`BootReport::check_module`] compare a module with the host's bytes
//! (length, [`word_sum`], and the UFS magic word at byte 9564). A match
//! proves that GRUB was loaded through the El Torito catalog and boot info
//! table, found `menu.lst`, the kernel and the modules by their names, and
//! inflated each gzip module back to the exact bytes.
//!
//! For GRUB's own messages to reach the log the menu must switch GRUB to
//! the serial console; [`grub_test_menu`] writes such menus. GRUB never
//! prints anything on the serial port before that, so a `menu.lst` it
//! cannot find (e.g. lowercase names without Rock Ridge) shows as silence.
//!
//! Quirks of GRUB 0.97 the parser relies on (observed, Debian 0.97-80):
//! * the kernel command line is the kernel *path* as written in the menu
//!   followed by the rest of the `kernel` line; a module's string is
//!   likewise its path and arguments;
//! * a gzip module (or kernel) is inflated transparently; the multiboot
//!   info then holds the uncompressed length;
//! * after a failing command GRUB prints `Error <n>: <text>` and waits for
//!   a key (`Press any key to continue...`) forever; [`boot_iso`] notices
//!   and stops at once instead of waiting for the time limit.

use crate::cache::{build_dir, content_key, oracle_env, write_atomic};
use crate::util::{read_lossy, tail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Source of the multiboot test kernel (`tests/oracle/mbkernel.asm`).
pub const MBKERNEL_ASM: &str = include_str!("../oracle/mbkernel.asm");

/// Default limit on one QEMU run. A boot with a `timeout 1` menu and a
/// 200 KiB gzip module takes about 1.1 s under TCG.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Default limit on a silent serial port: GRUB switches to the serial
/// console within a second when it finds the menu, so a log still empty
/// after this long means it never will.
pub const DEFAULT_SILENCE_TIMEOUT: Duration = Duration::from_secs(20);

/// QEMU's exit status after the test kernel wrote 0x10 to the
/// `isa-debug-exit` port (`(0x10 << 1) | 1`).
pub const EXIT_STATUS_DONE: i32 = 33;

/// The UFS superblock magic word's offset in an image: the superblock is at
/// 8192 and `fs_magic` at 1372 within it.
pub const UFS_MAGIC_OFFSET: usize = 8192 + 1372;

const SETUP_HINT: &str = "run scripts/setup-test-deps.sh (as root) to install the test oracles";

/// Options for [`boot_iso`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootOptions {
    /// Limit on the whole QEMU run; QEMU is killed after that.
    pub timeout: Duration,
    /// Stop early when the serial log is still empty after this long.
    pub silence_timeout: Duration,
    /// Guest memory in MiB (`-m`); modules must fit below it.
    pub memory_mib: u32,
}

impl Default for BootOptions {
    fn default() -> Self {
        BootOptions {
            timeout: DEFAULT_TIMEOUT,
            silence_timeout: DEFAULT_SILENCE_TIMEOUT,
            memory_mib: 256,
        }
    }
}

/// One multiboot module as the test kernel saw it in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleReport {
    /// Physical load address.
    pub start: u64,
    /// Length in bytes (after GRUB's gzip inflation).
    pub len: u64,
    /// [`word_sum`] of the module's bytes.
    pub sum: u32,
    /// The little-endian u32 at byte [`UFS_MAGIC_OFFSET`] (0x00011954 for a
    /// UFS image), if the module is long enough to hold it.
    pub at9564: Option<u32>,
    /// The module's string: its path as written in the menu, then the
    /// rest of the `module` line.
    pub cmdline: String,
}

/// What one boot showed on the serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootReport {
    /// The boot loader name from the multiboot info (`GNU GRUB 0.97`).
    pub loader: Option<String>,
    /// The kernel command line: the kernel path as written in the menu,
    /// then the rest of the `kernel` line.
    pub cmdline: Option<String>,
    /// The title of the stanza GRUB booted (from its `Booting '...'`).
    pub booted_title: Option<String>,
    /// The modules, in multiboot order (the order of the `module` lines).
    pub modules: Vec<ModuleReport>,
    /// GRUB's `Error <n>: ...` lines.
    pub grub_errors: Vec<String>,
    /// Whether the kernel printed its final `MVI-MB-DONE` marker.
    pub done: bool,
    /// The whole serial log, carriage returns removed.
    pub log: String,
    /// Wall time of the QEMU run.
    pub elapsed: Duration,
}

impl BootReport {
    /// Check that module `index` holds exactly `bytes` (length, word sum and
    /// the word at 9564), with an error naming every difference.
    pub fn check_module(&self, index: usize, bytes: &[u8]) -> Result<(), String> {
        let Some(m) = self.modules.get(index) else {
            return Err(format!(
                "no module {index}: the kernel saw {} module(s)",
                self.modules.len()
            ));
        };
        let (len, sum, at) = module_expectation(bytes);
        let mut diffs = Vec::new();
        if m.len != len {
            diffs.push(format!("len {} (expected {len})", m.len));
        }
        if m.sum != sum {
            diffs.push(format!("sum {:08x} (expected {sum:08x})", m.sum));
        }
        if m.at9564 != at {
            diffs.push(format!("at9564 {:08x?} (expected {at:08x?})", m.at9564));
        }
        if diffs.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "module {index} ({}): {}",
                m.cmdline,
                diffs.join(", ")
            ))
        }
    }
}

/// The wrapping sum of `bytes` read as little-endian u32 words, a trailing
/// partial word padded with zeros (what the test kernel prints as `sum=`,
/// and the El Torito boot info table's checksum algorithm).
pub fn word_sum(bytes: &[u8]) -> u32 {
    let mut chunks = bytes.chunks_exact(4);
    let mut sum = chunks.by_ref().fold(0u32, |s, w| {
        s.wrapping_add(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    });
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 4];
        w[..rest.len()].copy_from_slice(rest);
        sum = sum.wrapping_add(u32::from_le_bytes(w));
    }
    sum
}

/// What the test kernel should print for a module holding `bytes`:
/// `(len, sum, at9564)`.
pub fn module_expectation(bytes: &[u8]) -> (u64, u32, Option<u32>) {
    let at = bytes
        .get(UFS_MAGIC_OFFSET..UFS_MAGIC_OFFSET + 4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
    (bytes.len() as u64, word_sum(bytes), at)
}

/// A `menu.lst` for oracle boots: GRUB on the serial console (COM1,
/// 115200, `--dumb` so the log holds no cursor-control sequences),
/// `timeout 1`, `default <default>`, and one stanza per entry
/// `(title, kernel, modules)`.
///
/// `kernel` and each module are the text after the keyword, e.g.
/// `/platform/i86pc/kernel/amd64/unix -B console=ttya`; a text that already
/// starts with the keyword (`kernel ...`, `module ...`) is written as is.
/// Line breaks inside the texts become spaces.
///
/// `timeout 1` shows GRUB's countdown in the log; it costs about 0.8 s per
/// boot (a `timeout 0` menu boots the default entry in about 0.3 s).
pub fn grub_test_menu(entries: &[(&str, &str, &[&str])], default: usize) -> String {
    fn one_line(s: &str) -> String {
        s.replace(['\r', '\n'], " ").trim().to_string()
    }
    fn command(keyword: &str, text: &str) -> String {
        let text = one_line(text);
        let has_keyword = text
            .strip_prefix(keyword)
            .is_some_and(|r| r.starts_with([' ', '\t', '$']));
        if has_keyword {
            text
        } else {
            format!("{keyword} {text}")
        }
    }
    let mut s = String::from(
        "# GRUB legacy test menu (mvi-tests grub_test_menu)\n\
         serial --unit=0 --speed=115200\n\
         terminal --dumb --timeout=0 serial\n\
         timeout 1\n",
    );
    s.push_str(&format!("default {default}\n"));
    for (title, kernel, modules) in entries {
        s.push('\n');
        s.push_str(&format!("title {}\n", one_line(title)));
        s.push_str(&command("kernel", kernel));
        s.push('\n');
        for m in modules.iter() {
            s.push_str(&command("module", m));
            s.push('\n');
        }
    }
    s
}

/// GRUB legacy's El Torito stage2, as recorded by
/// `scripts/setup-test-deps.sh`. genisoimage patches its boot file in place:
/// copy it into the ISO tree, never point genisoimage at this path.
pub fn stage2_eltorito() -> Result<PathBuf, String> {
    Ok(oracle_env()?.stage2_eltorito)
}

/// The test kernel assembled with `nasm -f bin` from
/// `tests/oracle/mbkernel.asm`, cached as `$CACHE/build/mbkernel-<key>.bin`
/// (assembled at most once per process and once per source version).
pub fn multiboot_kernel() -> Result<PathBuf, String> {
    static KERNEL: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    KERNEL.get_or_init(build_multiboot_kernel).clone()
}

fn build_multiboot_kernel() -> Result<PathBuf, String> {
    let env = oracle_env()?;
    let dir = build_dir(&env)?;
    let key = content_key(&[b"mbkernel.asm nasm -f bin v1", MBKERNEL_ASM.as_bytes()]);
    let out = dir.join(format!("mbkernel-{}.bin", &key[..16]));
    if out.is_file() {
        return Ok(out);
    }
    let src = dir.join(format!("mbkernel-{}.asm", &key[..16]));
    write_atomic(&src, MBKERNEL_ASM.as_bytes())?;
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let res = Command::new("nasm")
        .args(["-f", "bin", "-w+all", "-o"])
        .arg(&tmp)
        .arg(&src)
        .output()
        .map_err(|e| format!("nasm: {e}; {SETUP_HINT}"))?;
    if !res.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "nasm -f bin {} failed ({}):\n{}",
            src.display(),
            res.status,
            String::from_utf8_lossy(&res.stderr)
        ));
    }
    let bin = std::fs::read(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    check_multiboot_header(&bin)?;
    std::fs::rename(&tmp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(out)
}

/// Find a valid multiboot v1 header (4-byte aligned, in the first 8 KiB,
/// magic + flags + checksum summing to zero) and return its flags.
fn check_multiboot_header(bin: &[u8]) -> Result<u32, String> {
    let word = |i: usize| {
        bin.get(i..i + 4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    };
    (0..bin.len().min(8192))
        .step_by(4)
        .find_map(|i| {
            let (magic, flags, sum) = (word(i)?, word(i + 4)?, word(i + 8)?);
            (magic == 0x1BAD_B002 && magic.wrapping_add(flags).wrapping_add(sum) == 0)
                .then_some(flags)
        })
        .ok_or_else(|| "the test kernel has no valid multiboot header".to_string())
}

/// Boot `iso` from its El Torito image under QEMU (TCG) and return what the
/// test kernel reported.
///
/// Runs `qemu-system-x86_64 -accel tcg -m 256 -display none -serial
/// file:LOG -no-reboot -cdrom ISO -boot d -device
/// isa-debug-exit,iobase=0xf4,iosize=0x04 -monitor none`. Errors (never
/// panics) when QEMU cannot run, times out, GRUB stops at an error or its
/// command line, the serial log stays empty (GRUB did not find the menu or
/// the menu does not select the serial console), the kernel reports a bad
/// multiboot magic, or there is no `MVI-MB-DONE` marker; the error carries
/// GRUB's error lines and the tail of the log.
pub fn boot_iso(iso: &Path, opts: &BootOptions) -> Result<BootReport, String> {
    let iso = std::fs::canonicalize(iso).map_err(|e| format!("{}: {e}", iso.display()))?;
    let args: Vec<OsString> = vec![
        "-cdrom".into(),
        iso.clone().into(),
        "-boot".into(),
        "d".into(),
    ];
    run_qemu(&args, opts).map_err(|e| format!("GRUB boot of {}: {e}", iso.display()))
}

/// Run QEMU with the common arguments plus `args`, and interpret the log.
fn run_qemu(args: &[OsString], opts: &BootOptions) -> Result<BootReport, String> {
    let work = tempfile::Builder::new()
        .prefix("mvi-grub-boot-")
        .tempdir()
        .map_err(|e| format!("temporary directory: {e}"))?;
    let log_path = work.path().join("serial.log");
    let stderr_path = work.path().join("qemu.stderr");
    let stderr = std::fs::File::create(&stderr_path)
        .map_err(|e| format!("{}: {e}", stderr_path.display()))?;
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-accel", "tcg", "-m"])
        .arg(opts.memory_mib.to_string())
        .args(["-display", "none", "-serial"])
        .arg(format!("file:{}", log_path.display()))
        .arg("-no-reboot")
        .args(args)
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .args(["-monitor", "none"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("qemu-system-x86_64: {e}; {SETUP_HINT}"))?;
    let mut last_look = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("waiting for QEMU: {e}"));
            }
        }
        let waited = start.elapsed();
        let mut stop = None;
        if waited >= opts.timeout {
            stop = Some(format!("QEMU timed out after {} s", opts.timeout.as_secs()));
        } else if last_look.elapsed() >= Duration::from_millis(200) {
            last_look = Instant::now();
            let log = read_lossy(&log_path);
            if log.is_empty() && waited >= opts.silence_timeout {
                stop = Some(format!(
                    "nothing on the serial port after {} s: GRUB did not find \
                     /boot/grub/menu.lst, the menu does not switch to the serial \
                     console, or the boot failed before GRUB",
                    opts.silence_timeout.as_secs()
                ));
            } else {
                stop = grub_stuck(&log.replace('\r', ""));
            }
        }
        if let Some(reason) = stop {
            let _ = child.kill();
            let _ = child.wait();
            let log = read_lossy(&log_path).replace('\r', "");
            let report = parse_boot_log(&log, start.elapsed());
            return Err(format!(
                "{reason}\n{}",
                context(&report, &read_lossy(&stderr_path))
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let log = read_lossy(&log_path).replace('\r', "");
    let report = parse_boot_log(&log, elapsed);
    interpret(
        report,
        status.and_then(|s| s.code()),
        &read_lossy(&stderr_path),
    )
}

/// Why GRUB will not go on by itself, if its log shows it waiting for a key
/// after an error, or at its command line.
fn grub_stuck(log: &str) -> Option<String> {
    if log.contains("MVI-MB-") {
        return None;
    }
    if log.contains("Press any key to continue") {
        return Some("GRUB stopped at an error and waits for a key".to_string());
    }
    if log.lines().last().is_some_and(|l| l.starts_with("grub> ")) {
        return Some("GRUB is at its command line (no usable menu?)".to_string());
    }
    None
}

/// Parse a serial log (carriage returns already removed or not) into a
/// report. Never fails: a missing marker leaves `done` false, and a
/// malformed `MVI-MB-MODULE` line is left out (its index then does not
/// match; [`boot_iso`] rejects such logs).
pub fn parse_boot_log(log: &str, elapsed: Duration) -> BootReport {
    let log = log.replace('\r', "");
    let mut r = BootReport {
        loader: None,
        cmdline: None,
        booted_title: None,
        modules: Vec::new(),
        grub_errors: Vec::new(),
        done: false,
        log: String::new(),
        elapsed,
    };
    for line in log.lines() {
        if let Some(i) = line.find("MVI-MB-") {
            let m = &line[i..];
            if let Some(v) = field(m, "MVI-MB-LOADER") {
                r.loader = Some(v.to_string());
            } else if let Some(v) = field(m, "MVI-MB-CMDLINE") {
                r.cmdline = Some(v.to_string());
            } else if let Some(v) = m.strip_prefix("MVI-MB-MODULE ") {
                if let Some(module) = parse_module(v, r.modules.len()) {
                    r.modules.push(module);
                }
            } else if m.starts_with("MVI-MB-DONE") {
                r.done = true;
            }
        } else if let Some(t) = line.trim_start().strip_prefix("Booting '") {
            r.booted_title = Some(t.strip_suffix('\'').unwrap_or(t).to_string());
        } else if let Some(e) = grub_error(line) {
            r.grub_errors.push(e.to_string());
        }
    }
    r.log = log;
    r
}

/// The value after `key` and one space (empty if the line is just `key`).
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix(' ')
    }
}

/// `Error <n>: <text>` as GRUB prints it (possibly after other output).
fn grub_error(line: &str) -> Option<&str> {
    let i = line.find("Error ")?;
    let e = &line[i..];
    let rest = e["Error ".len()..].split_once(':')?.0;
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())).then_some(e.trim_end())
}

/// Parse `<i> start=<hex> len=<dec> sum=<hex> at9564=<hex|-> cmdline=<rest>`;
/// `None` unless every field is well formed and `i` is `expected_index`.
fn parse_module(v: &str, expected_index: usize) -> Option<ModuleReport> {
    let (fields, cmdline) = match v.split_once(" cmdline=") {
        Some(x) => x,
        None => (v.strip_suffix(" cmdline=")?, ""),
    };
    let mut it = fields.split(' ');
    let index: usize = it.next()?.parse().ok()?;
    let mut get = |key: &str| it.next()?.strip_prefix(key);
    let start = u64::from_str_radix(get("start=")?, 16).ok()?;
    let len = get("len=")?.parse().ok()?;
    let sum = u32::from_str_radix(get("sum=")?, 16).ok()?;
    let at = match get("at9564=")? {
        "-" => None,
        h => Some(u32::from_str_radix(h, 16).ok()?),
    };
    if it.next().is_some() || index != expected_index {
        return None;
    }
    Some(ModuleReport {
        start,
        len,
        sum,
        at9564: at,
        cmdline: cmdline.to_string(),
    })
}

/// Accept a report that ends in a consistent `MVI-MB-DONE n=<count>`.
fn interpret(report: BootReport, exit: Option<i32>, qemu_err: &str) -> Result<BootReport, String> {
    let bad = |msg: String| Err(format!("{msg}\n{}", context(&report, qemu_err)));
    if let Some(l) = report.log.lines().find(|l| l.contains("MVI-MB-BAD-MAGIC")) {
        return bad(format!(
            "the kernel was not entered by a multiboot loader: {l}"
        ));
    }
    let Some(done) = report
        .log
        .lines()
        .find_map(|l| Some(&l[l.find("MVI-MB-DONE")?..]))
    else {
        return bad(format!(
            "no MVI-MB-DONE marker (QEMU exit status {})",
            exit.map_or("none".to_string(), |c| c.to_string())
        ));
    };
    let count: Option<usize> = done
        .strip_prefix("MVI-MB-DONE n=")
        .and_then(|n| n.trim().parse().ok());
    let lines = report
        .log
        .lines()
        .filter(|l| l.contains("MVI-MB-MODULE"))
        .count();
    if count != Some(report.modules.len()) || lines != report.modules.len() {
        return bad(format!(
            "inconsistent module report: {done:?}, {lines} MVI-MB-MODULE line(s), {} well formed",
            report.modules.len()
        ));
    }
    if report.cmdline.is_none() {
        return bad("GRUB passed no kernel command line".to_string());
    }
    Ok(report)
}

/// GRUB's errors, QEMU's complaints and the end of the log, for messages.
fn context(report: &BootReport, qemu_err: &str) -> String {
    let mut s = String::new();
    if !report.grub_errors.is_empty() {
        s.push_str("GRUB errors:\n");
        for e in &report.grub_errors {
            s.push_str("  ");
            s.push_str(e);
            s.push('\n');
        }
    }
    if !qemu_err.trim().is_empty() {
        s.push_str("QEMU stderr:\n");
        s.push_str(&tail(qemu_err, 10));
    }
    s.push_str("serial log (tail):\n");
    s.push_str(&tail(&report.log, 40));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRUB_LOG: &str = "\r\n    GNU GRUB  version 0.97  (639K lower / 260992K upper memory)\r\n\
        \r\nThe selected entry is 1 \r    Entry 1 will be booted automatically in 1 seconds.   \r\n\
        \x20 Booting '32'\r\n\r\nkernel /platform/i86pc/kernel/unix -B a=b\r\n\
        module /platform/i86pc/boot_archive\r\n   [Multiboot-module @ 0x102000, 0x32003 bytes]\r\n\r\n\
        MVI-MB-LOADER GNU GRUB 0.97\n\
        MVI-MB-CMDLINE /platform/i86pc/kernel/unix -B a=b\n\
        MVI-MB-MODULE 0 start=00102000 len=204803 sum=8f4e49dd at9564=00011954 cmdline=/platform/i86pc/boot_archive\n\
        MVI-MB-MODULE 1 start=00135000 len=3 sum=00636261 at9564=- cmdline=/small x y\n\
        MVI-MB-DONE n=2\n";

    #[test]
    fn word_sum_pads_and_wraps() {
        assert_eq!(word_sum(b""), 0);
        assert_eq!(word_sum(b"\x01"), 1);
        assert_eq!(word_sum(b"\x01\x02"), 0x0201);
        assert_eq!(word_sum(b"\x01\x02\x03"), 0x03_0201);
        assert_eq!(word_sum(b"\x01\x02\x03\x04"), 0x0403_0201);
        assert_eq!(word_sum(b"\x01\x02\x03\x04\x05"), 0x0403_0206);
        assert_eq!(word_sum(&[0xff; 8]), 0xffff_fffe);
        let big: Vec<u8> = (0..1001u32).map(|i| (i * 31 + 7) as u8).collect();
        let slow = big.chunks(4).fold(0u32, |s, c| {
            let w = c
                .iter()
                .enumerate()
                .fold(0u32, |w, (k, &b)| w | (b as u32) << (8 * k));
            s.wrapping_add(w)
        });
        assert_eq!(word_sum(&big), slow);
    }

    #[test]
    fn module_expectation_reads_the_ufs_magic() {
        let mut b = vec![0u8; 9568];
        b[9564..].copy_from_slice(&[0x54, 0x19, 0x01, 0x00]);
        assert_eq!(
            module_expectation(&b),
            (9568, 0x0001_1954, Some(0x0001_1954))
        );
        assert_eq!(module_expectation(&b[..9567]).2, None);
        assert_eq!(module_expectation(b"abc"), (3, 0x0063_6261, None));
    }

    #[test]
    fn parses_a_grub_log() {
        let r = parse_boot_log(GRUB_LOG, Duration::from_millis(5));
        assert_eq!(r.loader.as_deref(), Some("GNU GRUB 0.97"));
        assert_eq!(
            r.cmdline.as_deref(),
            Some("/platform/i86pc/kernel/unix -B a=b")
        );
        assert_eq!(r.booted_title.as_deref(), Some("32"));
        assert!(r.done && r.grub_errors.is_empty());
        assert!(!r.log.contains('\r'));
        assert_eq!(
            r.modules,
            vec![
                ModuleReport {
                    start: 0x102000,
                    len: 204803,
                    sum: 0x8f4e49dd,
                    at9564: Some(0x11954),
                    cmdline: "/platform/i86pc/boot_archive".into(),
                },
                ModuleReport {
                    start: 0x135000,
                    len: 3,
                    sum: 0x636261,
                    at9564: None,
                    cmdline: "/small x y".into(),
                },
            ]
        );
        let r = interpret(r, Some(EXIT_STATUS_DONE), "").unwrap();
        r.check_module(1, b"abc").unwrap();
        let e = r.check_module(1, b"abd").unwrap_err();
        assert!(e.contains("sum 00636261 (expected 00646261)"), "{e}");
        let e = r.check_module(0, b"abc").unwrap_err();
        assert!(
            e.contains("len 204803 (expected 3)") && e.contains("at9564"),
            "{e}"
        );
        assert!(r.check_module(2, b"").unwrap_err().contains("2 module(s)"));
    }

    #[test]
    fn rejects_incomplete_or_bad_logs() {
        let ok = |log: &str| interpret(parse_boot_log(log, Duration::ZERO), Some(33), "");
        let e = ok(&GRUB_LOG.replace("MVI-MB-DONE n=2\n", "")).unwrap_err();
        assert!(
            e.contains("no MVI-MB-DONE") && e.contains("MVI-MB-MODULE 1"),
            "{e}"
        );
        let e = ok(&GRUB_LOG.replace("n=2", "n=3")).unwrap_err();
        assert!(e.contains("inconsistent"), "{e}");
        let e = ok(&GRUB_LOG.replace("len=3 ", "len=x3 ")).unwrap_err();
        assert!(e.contains("1 well formed"), "{e}");
        let e = ok(&GRUB_LOG.replace("MVI-MB-MODULE 1", "MVI-MB-MODULE 7")).unwrap_err();
        assert!(e.contains("inconsistent"), "{e}");
        let e = ok("MVI-MB-BAD-MAGIC eax=00000000\n").unwrap_err();
        assert!(e.contains("not entered by a multiboot loader"), "{e}");
        let stuck = "kernel /x\r\n\r\nError 15: File not found\r\n\r\nPress any key to continue...";
        let r = parse_boot_log(stuck, Duration::ZERO);
        assert_eq!(r.grub_errors, vec!["Error 15: File not found"]);
        assert!(grub_stuck(&r.log).is_some());
        assert!(grub_stuck("menu\ngrub> ").is_some());
        assert!(grub_stuck(GRUB_LOG).is_none());
        let e = ok(stuck).unwrap_err();
        assert!(e.contains("Error 15: File not found"), "{e}");
    }

    #[test]
    fn empty_cmdlines_and_odd_fields() {
        let r = parse_boot_log(
            "MVI-MB-CMDLINE\nMVI-MB-MODULE 0 start=1000 len=0 sum=00000000 at9564=- cmdline=\n\
             xMVI-MB-DONE n=1\n",
            Duration::ZERO,
        );
        assert_eq!(r.cmdline.as_deref(), Some(""));
        assert_eq!(r.modules.len(), 1);
        assert_eq!(r.modules[0].cmdline, "");
        assert!(r.done);
        assert_eq!(grub_error("Error 1x: no"), None);
        assert_eq!(
            grub_error("xx Error 2: Bad file"),
            Some("Error 2: Bad file")
        );
    }

    #[test]
    fn test_menu_format() {
        let m = grub_test_menu(
            &[
                (
                    "64",
                    "/platform/i86pc/kernel/amd64/unix",
                    &["/platform/i86pc/boot_archive"],
                ),
                ("3\n2", "kernel /k -v", &["module /m a", "/n"]),
            ],
            1,
        );
        assert_eq!(
            m,
            "# GRUB legacy test menu (mvi-tests grub_test_menu)\n\
             serial --unit=0 --speed=115200\n\
             terminal --dumb --timeout=0 serial\n\
             timeout 1\n\
             default 1\n\
             \n\
             title 64\n\
             kernel /platform/i86pc/kernel/amd64/unix\n\
             module /platform/i86pc/boot_archive\n\
             \n\
             title 3 2\n\
             kernel /k -v\n\
             module /m a\n\
             module /n\n"
        );
    }

    #[test]
    fn kernel_assembles_with_a_valid_header() {
        let k = multiboot_kernel().unwrap();
        let bin = std::fs::read(&k).unwrap();
        let flags = check_multiboot_header(&bin).unwrap();
        assert_eq!(
            flags, 0x0001_0003,
            "page-aligned modules, memory info, a.out kludge"
        );
        assert!(bin.len() < 4096, "{} bytes", bin.len());
        assert!(check_multiboot_header(&bin[12..]).is_err());
    }

    /// The kernel's report through QEMU's own multiboot loader (no GRUB,
    /// no ISO): separates a kernel bug from a GRUB one. Odd lengths check
    /// the zero padding of the last word, and a module shorter than 9568
    /// bytes shows `at9564=-`.
    #[test]
    fn kernel_reports_modules_under_qemu_multiboot() {
        let d = tempfile::tempdir().unwrap();
        let a: Vec<u8> = (0..70_001u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(d.path().join("a"), &a).unwrap();
        std::fs::write(d.path().join("b"), b"xyz").unwrap();
        let kernel = multiboot_kernel().unwrap();
        let initrd = format!("{0}/a one two,{0}/b", d.path().display());
        let args: Vec<OsString> = vec![
            "-kernel".into(),
            kernel.clone().into(),
            "-append".into(),
            "hello world".into(),
            "-initrd".into(),
            initrd.into(),
        ];
        let r = run_qemu(&args, &BootOptions::default()).unwrap();
        eprintln!("QEMU multiboot run took {:.2} s", r.elapsed.as_secs_f64());
        assert_eq!(r.loader.as_deref(), Some("qemu"));
        assert_eq!(r.cmdline, Some(format!("{} hello world", kernel.display())));
        assert_eq!(r.modules.len(), 2, "{}", r.log);
        r.check_module(0, &a).unwrap();
        r.check_module(1, b"xyz").unwrap();
        assert!(r.modules[0].cmdline.ends_with("/a one two"));
        assert_eq!(r.modules[0].start % 4096, 0);
    }
}

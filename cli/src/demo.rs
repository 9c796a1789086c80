//! `mvi demo`: a small synthetic illumos-shaped proto area, built into an
//! ISO with the whole pipeline.
//!
//! The proto has the mvi layout: a multiboot test kernel (the project's own
//! `tests/oracle/mbkernel.asm`, assembled; it prints on COM1 what GRUB handed
//! it) at `platform/i86pc/kernel/unix` and `.../amd64/unix`; 32-bit and
//! amd64 kernel modules carrying `_depends_on`; the userland names mvix
//! keeps plus the clutter it removes; `etc/` files the rules edit. Contents
//! are deterministic pseudo-random bytes, so sizes and compression are
//! realistic and every build is the same.

use crate::moddeps::testkit::TestModule;
use crate::moddeps::{DepForm, Isa};
use anyhow::Context;
use std::path::Path;

/// The multiboot test kernel (748 bytes, from tests/oracle/mbkernel.asm).
pub const KERNEL: &[u8] = include_bytes!("../assets/mbkernel.bin");

/// Kernel modules of the demo proto: (directory, name, dependencies).
const MODULES: &[(&str, &str, &[&str])] = &[
    ("kernel/misc", "scsi", &[]),
    ("kernel/misc", "cmlb", &[]),
    ("kernel/misc", "sata", &["misc/scsi"]),
    ("kernel/misc", "mac", &[]),
    ("kernel/misc", "gld", &["misc/mac"]),
    ("kernel/misc", "kcf", &[]),
    ("kernel/misc", "sha2", &["misc/kcf"]),
    ("kernel/misc", "ctf", &[]),
    ("kernel/drv", "sd", &["misc/scsi", "misc/cmlb"]),
    ("kernel/drv", "ahci", &["misc/sata"]),
    ("kernel/drv", "ata", &["misc/cmlb"]),
    ("kernel/drv", "e1000g", &["misc/mac"]),
    ("kernel/drv", "ip", &["misc/mac"]),
    ("kernel/drv", "tcp", &["drv/ip"]),
    ("kernel/drv", "udp", &["drv/ip"]),
    ("kernel/drv", "dtrace", &["misc/ctf"]),
    ("kernel/drv", "zfs", &["misc/sha2"]),
    ("kernel/drv", "pseudo", &[]),
    ("kernel/drv", "mm", &[]),
    ("kernel/drv", "cn", &[]),
    ("kernel/fs", "ufs", &[]),
    ("kernel/fs", "zfs", &["drv/zfs"]),
    ("kernel/fs", "hsfs", &[]),
    ("kernel/fs", "lofs", &[]),
    ("kernel/strmod", "rpcmod", &["drv/ip"]),
];

/// Userland files (paths, sizes in KiB): what mvix keeps and some of what it removes.
const FILES: &[(&str, u32)] = &[
    ("lib/ld.so.1", 400),
    ("lib/libc.so.1", 1800),
    ("lib/libnsl.so.1", 600),
    ("lib/libsocket.so.1", 90),
    ("lib/libscf.so.1", 300),
    ("lib/libumem.so.1", 160),
    ("lib/libm.so.2", 300),
    ("sbin/init", 80),
    ("sbin/autopush", 20),
    ("sbin/sh", 200),
    ("sbin/ifconfig", 120),
    ("usr/bin/ls", 60),
    ("usr/bin/du", 30),
    ("usr/bin/env", 20),
    ("usr/bin/hostname", 10),
    ("usr/bin/i86/ksh93", 900),
    ("usr/bin/vi", 400),
    ("usr/bin/mdb", 1200),
    ("usr/sbin/zfs", 300),
    ("usr/sbin/zpool", 300),
    ("usr/lib/libshell.so.1", 800),
    ("usr/lib/libast.so.1", 1100),
    ("usr/include/stdio.h", 20),
    ("usr/include/sys/types.h", 30),
    ("usr/share/man/man1/ls.1", 12),
    ("usr/share/man/man1/ksh93.1", 80),
    ("etc/mail/sendmail.cf", 60),
    ("etc/svc/profile/generic.xml", 4),
    ("var/sadm/install/contents", 700),
    ("boot/solaris/bootenv.rc", 2),
    ("boot/acpi/tables/dsdt", 40),
];

const ETC: &[(&str, &str)] = &[
    ("etc/name_to_major", "cn 0\nrootnex 1\npseudo 2\nip 3\nclone 11\nsad 12\nmm 13\nlog 21\nsy 22\nptm 23\npts 24\nsd 32\nudp 41\ntcp 42\nudp6 44\nicmp6 45\nip6 46\narp 47\nicmp 5\ntcp6 43\nrandom 94\nsysmsg 97\nlofi 141\nzfs 182\n"),
    ("etc/minor_perm", "mm:null 0666 root sys\nmm:zero 0666 root sys\nzfs:* 0600 root sys\nzfs:zfs 0666 root sys\n"),
    ("etc/inittab", "ap::sysinit:/sbin/autopush -f /etc/iu.ap\nsmf::sysinit:/lib/svc/bin/svc.startd >/dev/msglog 2<>/dev/msglog </dev/console\n"),
    ("etc/system", "* /etc/system\n"),
    ("etc/passwd", "root:x:0:0:Super-User:/root:/bin/sh\n"),
    ("etc/group", "root::0:\nsys::3:root\n"),
    ("etc/release", "  mvi demo proto (synthetic)\n"),
    ("etc/motd", "minimal viable illumos (mvi demo)\n"),
];

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = (len - out.len()).min(8);
        out.extend_from_slice(&x.to_le_bytes()[..n]);
    }
    out
}

fn write(root: &Path, rel: &str, data: &[u8]) -> anyhow::Result<()> {
    let p = root.join(rel);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("{}: cannot create", d.display()))?;
    }
    std::fs::write(&p, data).with_context(|| format!("{}: cannot write", p.display()))
}

/// Create the demo proto area at `root` (which must not exist yet).
/// Returns the number of files written.
pub fn make_proto(root: &Path) -> anyhow::Result<usize> {
    if root.exists() {
        anyhow::bail!(
            "{}: already exists; the demo writes a new proto area there",
            root.display()
        );
    }
    let mut n = 0;
    write(root, "platform/i86pc/kernel/unix", KERNEL)?;
    write(root, "platform/i86pc/kernel/amd64/unix", KERNEL)?;
    n += 2;
    for (i, (dir, name, deps)) in MODULES.iter().enumerate() {
        for isa in [Isa::I386, Isa::Amd64] {
            let mut m = TestModule::new(isa, DepForm::DependsOn, deps);
            m.text_len = 4096 + 997 * (i % 23);
            m.fill_seed = Some(i as u64 * 2 + u64::from(isa == Isa::Amd64));
            let bytes = m.build()?;
            let rel = match isa {
                Isa::I386 => format!("{dir}/{name}"),
                Isa::Amd64 => format!("{dir}/amd64/{name}"),
            };
            write(root, &rel, &bytes)?;
            n += 1;
        }
        if *dir == "kernel/drv" {
            write(
                root,
                &format!("{dir}/{name}.conf"),
                format!("name=\"{name}\" parent=\"pseudo\";\n").as_bytes(),
            )?;
            n += 1;
        }
    }
    for (i, (rel, kib)) in FILES.iter().enumerate() {
        write(
            root,
            rel,
            &pattern(*kib as usize * 1024 + i * 7, 1000 + i as u64),
        )?;
        n += 1;
    }
    for (rel, text) in ETC {
        write(root, rel, text.as_bytes())?;
        n += 1;
    }
    // A few hundred small files mvix prunes (man pages, headers, locale data).
    for i in 0..240 {
        write(
            root,
            &format!("usr/share/man/man3c/page{i:03}.3c"),
            &pattern(300 + i * 13, 5000 + i as u64),
        )?;
        n += 1;
    }
    for d in [
        "dev",
        "devices",
        "proc",
        "tmp",
        "var/run",
        "system/contract",
        "system/object",
    ] {
        std::fs::create_dir_all(root.join(d))?;
    }
    Ok(n)
}

//! A generated proto area of realistic shape, and the root tree `mvi build`
//! must make of it, computed here without mvi's rule engine.
//!
//! [`generate`] writes about 3,000 files and 100 MB in the mvi layout: the
//! project's multiboot test kernel as `platform/i86pc/kernel{,/amd64}/unix`;
//! several hundred kernel modules in both ISAs (`kernel/drv/x` and
//! `kernel/drv/amd64/x`, also `platform/i86pc/kernel` and `usr/kernel`) that
//! are real ELF relocatable objects declaring dependencies in both of
//! krtld's forms (`.dynamic` `DT_NEEDED`, `_depends_on`), with the
//! dependencies of illumos's own modules (drv/sd on misc/scsi and
//! misc/cmlb, drv/ahci on misc/sata, drv/zfs on misc/sha2, ...); the
//! userland mvix keeps and the bulk it prunes (commands, libraries, man
//! pages, headers, SMF manifests, the package database); `etc/` with the
//! files the option rules edit; the clutter each option removes. Contents
//! are deterministic: text files of words (they compress like text), binary
//! files of mixed random and repetitive blocks.
//!
//! [`expected_tree`] is the oracle for the pipeline's root file system: the
//! proto, walked, minus what illumos-boot.md §1.5 says mvix and each option
//! script removed (restated here as plain path predicates, not through
//! `mvi::rules`), with the zfs lines deleted by `extreme` and the fix-ups
//! mvix made (etc/mnttab, mount points, the /dev links and /devices/pseudo
//! nodes of the fixed devfsadm table).

use fstree::{Data, Kind, Node, Tree, WalkOptions};
use mvi::moddeps::testkit::TestModule;
use mvi::moddeps::{DepForm, Isa};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoStats {
    /// Regular files written.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Kernel module files (ELF relocatable objects) among them.
    pub modules: usize,
}

/// A deterministic xorshift64 stream.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Roughly log-uniform in `lo..hi` bytes.
    fn log_size(&mut self, lo: u64, hi: u64) -> usize {
        let f = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (lo as f64 * (hi as f64 / lo as f64).powf(f)) as usize
    }
}

const WORDS: &[&str] = &[
    "the",
    "system",
    "file",
    "kernel",
    "module",
    "driver",
    "device",
    "illumos",
    "boot",
    "root",
    "archive",
    "process",
    "thread",
    "memory",
    "page",
    "vnode",
    "inode",
    "block",
    "buffer",
    "zone",
    "service",
    "network",
    "interface",
    "address",
    "packet",
    "stream",
    "return",
    "value",
    "error",
    "option",
    "command",
    "struct",
    "int",
    "char",
    "void",
    "static",
    "const",
    "unsigned",
    "size_t",
    "uint32_t",
    "NULL",
    "if",
    "else",
    "for",
    "while",
    "is",
    "a",
    "of",
    "to",
    "and",
    "in",
    "be",
    "that",
    "this",
    "with",
    "see",
    "manual",
    "page",
    "SYNOPSIS",
    "DESCRIPTION",
    "OPTIONS",
];

/// `len` bytes of text made of words and newlines (compresses like text).
fn text(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 16);
    let mut col = 0;
    while out.len() < len {
        let w = WORDS[r.below(WORDS.len() as u64) as usize];
        out.extend_from_slice(w.as_bytes());
        col += w.len() + 1;
        if col > 60 + r.below(16) as usize {
            out.push(b'\n');
            col = 0;
        } else {
            out.push(b' ');
        }
    }
    out.truncate(len.saturating_sub(1));
    out.push(b'\n');
    out.truncate(len);
    out
}

/// `len` bytes like a binary: 256-byte blocks, a third random, a third a
/// repeated short pattern, a third zeros (compresses to about a half).
fn binary(len: usize, seed: u64) -> Vec<u8> {
    let mut r = Rng::new(seed);
    let mut out = Vec::with_capacity(len + 256);
    while out.len() < len {
        match r.below(3) {
            0 => {
                for _ in 0..32 {
                    out.extend_from_slice(&r.next().to_le_bytes());
                }
            }
            1 => {
                let p = r.next().to_le_bytes();
                for _ in 0..32 {
                    out.extend_from_slice(&p);
                }
            }
            _ => out.extend_from_slice(&[0u8; 256]),
        }
    }
    out.truncate(len);
    out
}

struct Writer<'a> {
    root: &'a Path,
    stats: ProtoStats,
}

impl Writer<'_> {
    fn file(&mut self, rel: &str, data: &[u8], perm: u32) -> io::Result<()> {
        let p = self.root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(&p, data)?;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(perm))?;
        self.stats.files += 1;
        self.stats.bytes += data.len() as u64;
        Ok(())
    }
    fn dir(&mut self, rel: &str) -> io::Result<()> {
        std::fs::create_dir_all(self.root.join(rel))
    }
    fn symlink(&mut self, rel: &str, target: &str) -> io::Result<()> {
        let p = self.root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::os::unix::fs::symlink(target, p)
    }
}

/// Kernel modules named after illumos's, with their dependencies:
/// (class directory under kernel/, name, dependencies).
const NAMED_MODULES: &[(&str, &str, &[&str])] = &[
    // Always kept: what the others lean on.
    ("misc", "acpica", &[]),
    ("misc", "pcie", &["misc/acpica"]),
    ("misc", "pcihp", &["misc/pcie"]),
    ("misc", "busra", &[]),
    ("misc", "hook", &[]),
    ("misc", "usba", &["misc/hook"]),
    ("misc", "cmlb", &[]),
    ("misc", "mac", &["misc/hook"]),
    ("misc", "dls", &["misc/mac"]),
    ("misc", "strplumb", &[]),
    ("misc", "consconfig", &[]),
    ("misc", "klmmod", &[]),
    ("drv", "pseudo", &[]),
    ("drv", "mm", &[]),
    ("drv", "cn", &[]),
    ("drv", "sy", &[]),
    ("drv", "log", &[]),
    ("drv", "clone", &[]),
    ("drv", "random", &[]),
    ("drv", "sad", &[]),
    ("drv", "sysmsg", &[]),
    ("drv", "ptm", &[]),
    ("drv", "pts", &["drv/ptm"]),
    ("drv", "asy", &[]),
    ("drv", "usbser", &["misc/usba"]),
    ("drv", "ehci", &["misc/usba"]),
    ("drv", "uhci", &["misc/usba"]),
    ("drv", "pcieb", &["misc/pcie", "misc/pcihp"]),
    ("drv", "isa", &["misc/busra"]),
    ("drv", "vgatext", &[]),
    ("drv", "usbprn", &["misc/usba"]),
    ("fs", "ufs", &[]),
    ("fs", "specfs", &[]),
    ("fs", "devfs", &[]),
    ("fs", "procfs", &[]),
    ("fs", "tmpfs", &[]),
    ("fs", "ctfs", &[]),
    ("fs", "objfs", &[]),
    ("fs", "fifofs", &[]),
    ("fs", "sockfs", &[]),
    ("fs", "mntfs", &[]),
    ("sched", "TS", &[]),
    ("sched", "IA", &["sched/TS"]),
    ("sched", "SDC", &[]),
    ("sched", "FSS", &[]),
    ("exec", "elfexec", &[]),
    ("exec", "intpexec", &[]),
    ("strmod", "ldterm", &[]),
    ("strmod", "ttcompat", &[]),
    ("strmod", "ptem", &[]),
    ("sys", "doorfs", &[]),
    ("sys", "pipe", &[]),
    ("sys", "c2audit", &[]),
    // extreme: ZFS, crypto, debugging, misc drivers, file systems, syscalls.
    ("misc", "kcf", &[]),
    ("misc", "sha1", &["misc/kcf"]),
    ("misc", "sha2", &["misc/kcf"]),
    ("misc", "md5", &["misc/kcf"]),
    ("misc", "des", &["misc/kcf"]),
    ("misc", "skein", &["misc/kcf"]),
    ("misc", "edonr", &["misc/kcf"]),
    ("misc", "crypto", &["misc/kcf"]),
    ("misc", "ctf", &[]),
    ("misc", "kmdbmod", &["misc/ctf"]),
    ("misc", "ksocket", &["fs/sockfs"]),
    ("misc", "tlimod", &[]),
    ("misc", "cardbus", &["misc/pcihp"]),
    ("misc", "pcmcia", &["misc/busra"]),
    ("crypto", "aes", &["misc/kcf"]),
    ("crypto", "arcfour", &["misc/kcf"]),
    ("crypto", "blowfish", &["misc/kcf"]),
    ("crypto", "swrand", &["misc/kcf", "misc/sha1"]),
    ("drv", "zfs", &["misc/sha2", "misc/skein", "misc/edonr"]),
    ("fs", "zfs", &["drv/zfs"]),
    ("drv", "kssl", &["misc/kcf"]),
    ("drv", "keysock", &[]),
    ("drv", "spdsock", &["drv/keysock"]),
    ("drv", "dtrace", &["misc/ctf"]),
    ("drv", "fbt", &["drv/dtrace"]),
    ("drv", "systrace", &["drv/dtrace"]),
    ("drv", "lockstat", &["drv/dtrace"]),
    ("drv", "dcpc", &["drv/dtrace"]),
    ("drv", "kmdb", &["misc/kmdbmod"]),
    ("drv", "bscv", &[]),
    ("drv", "power", &["misc/acpica"]),
    ("drv", "tl", &[]),
    ("drv", "rts", &[]),
    ("drv", "ecpp", &[]),
    ("drv", "lofi", &["misc/kcf"]),
    ("drv", "tzmon", &["misc/acpica"]),
    ("drv", "st", &["misc/scsi"]),
    ("drv", "usb_ac", &["misc/usba"]),
    ("drv", "usb_as", &["misc/usba"]),
    ("drv", "acpi_toshiba", &["misc/acpica"]),
    ("drv", "fdc", &["misc/busra"]),
    ("fs", "autofs", &[]),
    ("fs", "lofs", &[]),
    ("fs", "dcfs", &[]),
    ("fs", "hsfs", &[]),
    ("sys", "kaio", &[]),
    ("sys", "autofs", &["fs/autofs"]),
    ("sys", "msgsys", &[]),
    ("sys", "semsys", &[]),
    ("sys", "shmsys", &[]),
    ("strmod", "timod", &["misc/tlimod"]),
    ("strmod", "tirdwr", &[]),
    ("strmod", "usbwcm", &["misc/usba"]),
    ("strmod", "vuidm3p", &[]),
    ("strmod", "vuidm5p", &[]),
    ("dacf", "consconfig_dacf", &["misc/consconfig"]),
    ("dtrace", "sdt", &["drv/dtrace"]),
    ("dtrace", "fasttrap", &["drv/dtrace"]),
    ("kmdb", "krtld", &[]),
    // nonet: NIC drivers, the IP stack, its modules.
    ("drv", "e1000g", &["misc/mac", "misc/mii"]),
    ("drv", "vnic", &["misc/dls"]),
    ("drv", "aggr", &["misc/dls"]),
    ("drv", "ip", &["misc/mac", "misc/neti", "misc/hook"]),
    ("drv", "ip6", &["drv/ip"]),
    ("drv", "ipsecah", &["drv/ip"]),
    ("drv", "iptun", &["drv/ip"]),
    ("drv", "tcp", &["drv/ip"]),
    ("drv", "udp", &["drv/ip"]),
    ("drv", "icmp", &["drv/ip"]),
    ("drv", "arp", &["drv/ip"]),
    ("drv", "llc1", &[]),
    ("drv", "bridge", &["misc/mac"]),
    ("drv", "dlpistub", &[]),
    ("drv", "simnet", &["misc/mac"]),
    ("mac", "mac_ether", &["misc/mac"]),
    ("mac", "mac_ipv4", &["misc/mac"]),
    ("ipp", "ipgpc", &["drv/ip"]),
    ("socketmod", "sockpfp", &["drv/ip"]),
    ("strmod", "ip", &["drv/ip"]),
    ("strmod", "tcp", &["drv/tcp"]),
    ("strmod", "udp", &["drv/udp"]),
    ("strmod", "rpcmod", &["drv/ip", "misc/rpcsec"]),
    ("strmod", "keysock", &["drv/ip"]),
    ("misc", "net80211", &["misc/mac"]),
    ("misc", "rpcsec", &[]),
    ("misc", "mii", &[]),
    ("misc", "gld", &["misc/mac"]),
    ("misc", "neti", &["misc/hook"]),
    ("sys", "rpcmod", &["strmod/rpcmod"]),
    // nodisk: storage drivers and their support modules.
    ("misc", "scsi", &[]),
    ("misc", "sata", &["misc/scsi"]),
    ("misc", "dadk", &["misc/cmlb"]),
    ("drv", "sd", &["misc/scsi", "misc/cmlb"]),
    ("drv", "ahci", &["misc/sata"]),
    ("drv", "ata", &["misc/dadk", "misc/cmlb"]),
    ("drv", "cmdk", &["misc/dadk", "misc/cmlb"]),
    ("drv", "mpt", &["misc/scsi"]),
    ("drv", "mpt_sas", &["misc/scsi"]),
    ("drv", "scsa2usb", &["misc/scsi", "misc/usba"]),
    ("drv", "scsi_vhci", &["misc/scsi"]),
    ("drv", "sgen", &["misc/scsi"]),
];

/// Stable modules generic modules may depend on (no option removes them).
const STABLE: &[&str] = &[
    "misc/acpica",
    "misc/pcie",
    "misc/pcihp",
    "misc/busra",
    "misc/hook",
    "misc/usba",
    "misc/cmlb",
    "misc/mac",
];

/// Classes and how many generic modules each gets (names nothing removes).
const GENERIC: &[(&str, &str, usize)] = &[
    ("drv", "hba", 150),
    ("misc", "lib", 80),
    ("fs", "vfs", 14),
    ("strmod", "smod", 20),
    ("sys", "call", 12),
    ("sched", "cls", 4),
    ("exec", "ldr", 4),
];

/// Platform and usr/kernel modules: (directory, name, dependencies).
const OTHER_MODULES: &[(&str, &str, &[&str])] = &[
    ("platform/i86pc/kernel/misc", "acpidev", &["misc/acpica"]),
    ("platform/i86pc/kernel/misc", "gfx_private", &[]),
    ("platform/i86pc/kernel/drv", "rootnex", &[]),
    (
        "platform/i86pc/kernel/drv",
        "npe",
        &["misc/pcie", "misc/acpidev"],
    ),
    ("platform/i86pc/kernel/drv", "acpippm", &["misc/acpica"]),
    ("platform/i86pc/kernel/drv", "cpudrv", &["misc/acpidev"]),
    ("platform/i86pc/kernel/mach", "pcplusmp", &["misc/acpica"]),
    ("platform/i86pc/kernel/mach", "apix", &["misc/acpica"]),
    ("platform/i86pc/kernel/cpu", "cpu.generic", &[]),
    ("platform/i86pc/kernel/cpu", "cpu_ms.AuthenticAMD", &[]),
    ("platform/i86pc/kernel/cpu", "cpu_ms.GenuineIntel", &[]),
    ("usr/kernel/drv", "dump", &[]),
    ("usr/kernel/drv", "fssnap", &["fs/ufs"]),
    ("usr/kernel/fs", "pcfs", &[]),
    ("usr/kernel/fs", "udfs", &[]),
    ("usr/kernel/sched", "FX", &["sched/TS"]),
    ("usr/kernel/sched", "RT", &[]),
    ("usr/kernel/strmod", "pfmod", &[]),
];

/// mvix's `mvi.files`: the userland it keeps (path, size in KiB).
const KEPT_USERLAND: &[(&str, u32)] = &[
    ("lib/ld.so.1", 420),
    ("lib/libbsm.so.1", 180),
    ("lib/libc.so.1", 1900),
    ("lib/libcontract.so.1", 20),
    ("lib/libgen.so.1", 40),
    ("lib/libinetutil.so.1", 30),
    ("lib/libm.so.2", 330),
    ("lib/libmd.so.1", 60),
    ("lib/libmp.so.2", 20),
    ("lib/libnsl.so.1", 620),
    ("lib/libnvpair.so.1", 110),
    ("lib/libpam.so.1", 50),
    ("lib/libscf.so.1", 320),
    ("lib/libsecdb.so.1", 40),
    ("lib/libsocket.so.1", 90),
    ("lib/libtsol.so.2", 40),
    ("lib/libuutil.so.1", 60),
    ("sbin/autopush", 20),
    ("sbin/init", 80),
    ("sbin/sh", 210),
    ("sbin/soconfig", 20),
    ("usr/bin/env", 15),
    ("usr/bin/i86/ksh93", 950),
    ("usr/lib/libsmbios.so.1", 70),
    ("usr/lib/libast.so.1", 1100),
    ("usr/lib/libcmd.so.1", 500),
    ("usr/lib/libdll.so.1", 20),
    ("usr/lib/libshell.so.1", 820),
    ("usr/lib/libsum.so.1", 60),
    ("usr/bin/du", 30),
    ("lib/libcmdutils.so.1", 40),
    ("lib/libavl.so.1", 15),
    ("usr/bin/ls", 60),
    ("lib/libsec.so.1", 60),
    ("lib/libcurses.so.1", 250),
    ("usr/lib/libidmap.so.1", 90),
    ("usr/bin/hostname", 12),
    ("lib/inet/ipmgmtd", 140),
    ("lib/libumem.so.1", 170),
    ("sbin/ifconfig", 130),
    ("lib/libxnet.so.1", 10),
    ("lib/libipadm.so.1", 120),
    ("lib/libdladm.so.1", 260),
    ("lib/libdlpi.so.1", 40),
    ("lib/nss_files.so.1", 30),
];

/// The drivers' major numbers (etc/name_to_major); zfs and lofi lines are
/// what `extreme` deletes.
const NAME_TO_MAJOR: &str = "cn 0\nrootnex 1\npseudo 2\nip 3\nlogindmux 4\nicmp 5\nfas 6\n\
clone 11\nsad 12\nmm 13\niwscn 14\nconskbd 15\nwc 16\nconsms 17\nipsecah 18\nipsecesp 19\n\
sy 22\ntl 105\nlog 21\nptm 23\npts 24\nptc 25\nptsl 26\nrandom 94\nsysmsg 97\ntcp 42\n\
tcp6 43\nudp 41\nudp6 44\nicmp6 45\nip6 46\narp 47\nsd 32\nzfs 182\nlofi 141\n";

const MINOR_PERM: &str = "mm:null 0666 root sys\nmm:zero 0666 root sys\nmm:mem 0640 root sys\n\
zfs:* 0600 root sys\nzfs:zfs 0666 root sys\nsd:* 0640 root sys\nlofi:* 0600 root sys\n";

/// Small files under etc, var, boot and platform: (path, text?), the
/// clutter the option rules remove among them.
const SMALL_FILES: &[&str] = &[
    "etc/passwd",
    "etc/group",
    "etc/shadow",
    "etc/inittab",
    "etc/vfstab",
    "etc/release",
    "etc/motd",
    "etc/nsswitch.conf",
    "etc/nsswitch.files",
    "etc/nsswitch.dns",
    "etc/nsswitch.ldap",
    "etc/nsswitch.ad",
    "etc/inet/hosts",
    "etc/inet/netmasks",
    "etc/inet/inetd.conf",
    "etc/inet/ipsecinit.sample",
    "etc/inet/ike/config.sample",
    "etc/inet/secret/ike.preshared",
    "etc/default/init",
    "etc/default/login",
    "etc/default/cron",
    "etc/default/devfsadm",
    "etc/default/inetinit",
    "etc/default/ipsec",
    "etc/default/mpathd",
    "etc/default/su",
    "etc/default/tar",
    "etc/mail/sendmail.cf",
    "etc/mail/aliases",
    "etc/svc/profile/generic.xml",
    "etc/svc/profile/platform.xml",
    "etc/zones/index",
    "etc/skel/.profile",
    "etc/crypto/kcf.conf",
    "etc/crypto/pkcs11.conf",
    "etc/fs/zfs/mount",
    "etc/fs/hsfs/mount",
    "etc/fs/ufs/mount",
    "etc/rc2.d/S20sysetup",
    "etc/init.d/README",
    "etc/cron.d/at.deny",
    "etc/rc2",
    "etc/rc3",
    "etc/rcS",
    "etc/rcm/scripts/README",
    "etc/security/auth_attr.d/core-os",
    "etc/security/exec_attr.d/core-os",
    "etc/security/policy.conf",
    "etc/security/audit_event",
    "etc/security/lib/audit_warn",
    "etc/sysevent/config/README",
    "etc/dladm/datalink.conf",
    "etc/ipadm/ipadm.conf",
    "etc/rpc",
    "etc/net/ticots/hosts",
    "etc/nscd.conf",
    "etc/syslog.conf",
    "etc/logadm.conf",
    "etc/format.dat",
    "etc/mime.types",
    "etc/ttysrch",
    "etc/dev/reserved_devnames",
    "etc/usb/config_map.conf",
    "etc/dhcp/inittab",
    "var/adm/spellhist",
    "var/spool/cron/crontabs/root",
    "var/svc/manifest/system/README",
    "boot/solaris/bootenv.rc",
    "boot/solaris/filelist.ramdisk",
    "boot/solaris/bin/create_ramdisk",
    "boot/acpi/tables/DSDT.dat",
    "boot/grub/menu.lst",
    "boot/grub/ufs_stage1_5",
    "boot/grub/zfs_stage1_5",
    "boot/grub/fat_stage1_5",
    "boot/grub/iso9660_stage1_5",
    "boot/grub/stage2",
    "boot/grub/bin/grub",
    "boot/grub/pxegrub",
    "boot/solaris.xpm",
    "platform/i86pc/ucode/GenuineIntel/0001",
    "platform/i86xpv/kernel/README",
    "platform/i86pc/boot_archive",
    "platform/i86pc/amd64/boot_archive",
];

/// The symlinks of the proto: (path, target).
const SYMLINKS: &[(&str, &str)] = &[
    ("usr/bin/sh", "i86/ksh93"),
    ("bin", "usr/bin"),
    ("lib/64", "amd64"),
    ("usr/lib/64", "amd64"),
    ("usr/sbin/ifconfig", "../../sbin/ifconfig"),
    ("etc/mount", "../sbin/mount"),
    ("etc/reboot", "../usr/sbin/reboot"),
    ("etc/halt", "../usr/sbin/halt"),
    ("etc/prtconf", "../usr/sbin/prtconf"),
    ("etc/svc/repository.db", "../../lib/svc/seed/global.db"),
];

/// Empty directories of the proto.
const EMPTY_DIRS: &[&str] = &[
    "dev",
    "devices",
    "proc",
    "tmp",
    "mnt",
    "opt",
    "home",
    "export",
    "var/run",
    "var/log",
    "var/tmp",
    "var/opt",
    "var/cron",
    "var/ld/amd64",
    "var/adm/exacct",
    "system/contract",
    "system/object",
    "etc/svc/volatile",
];

/// Write the proto area at `root` (which must not exist). Deterministic:
/// the same bytes, modes and names every time.
pub fn generate(root: &Path) -> io::Result<ProtoStats> {
    if root.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{}: already exists", root.display()),
        ));
    }
    std::fs::create_dir_all(root)?;
    let mut w = Writer {
        root,
        stats: ProtoStats {
            files: 0,
            bytes: 0,
            modules: 0,
        },
    };
    w.file("platform/i86pc/kernel/unix", mvi::demo::KERNEL, 0o755)?;
    w.file("platform/i86pc/kernel/amd64/unix", mvi::demo::KERNEL, 0o755)?;

    // Kernel modules, both ISAs, both dependency forms.
    let mut modules: Vec<(String, String, Vec<String>)> = Vec::new();
    modules.push(("kernel".into(), "genunix".into(), Vec::new()));
    for (class, name, deps) in NAMED_MODULES {
        let deps = deps.iter().map(|s| s.to_string()).collect();
        modules.push((format!("kernel/{class}"), name.to_string(), deps));
    }
    let mut r = Rng::new(42);
    for (class, prefix, n) in GENERIC {
        for i in 0..*n {
            let k = r.below(3) as usize;
            let mut deps: Vec<String> = Vec::new();
            for _ in 0..k {
                let d = STABLE[r.below(STABLE.len() as u64) as usize].to_string();
                if !deps.contains(&d) {
                    deps.push(d);
                }
            }
            modules.push((format!("kernel/{class}"), format!("{prefix}{i:03}"), deps));
        }
    }
    for (dir, name, deps) in OTHER_MODULES {
        let deps = deps.iter().map(|s| s.to_string()).collect();
        modules.push((dir.to_string(), name.to_string(), deps));
    }
    for (i, (dir, name, deps)) in modules.iter().enumerate() {
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        let form = if i % 2 == 0 {
            DepForm::DependsOn
        } else {
            DepForm::Dynamic
        };
        let form = if deps.is_empty() && i % 5 == 0 {
            DepForm::None
        } else {
            form
        };
        let text_len = r.log_size(1500, 90_000);
        // Four in five modules with random code (compresses like code
        // hardly at all), one in five mostly int3 padding.
        let fill = (i % 5 != 0).then_some(i as u64);
        for isa in [Isa::I386, Isa::Amd64] {
            let mut m = TestModule::new(isa, form, &deps);
            m.text_len = text_len + if isa == Isa::Amd64 { text_len / 5 } else { 0 };
            m.fill_seed = fill.map(|s| s * 2 + u64::from(isa == Isa::Amd64));
            let bytes = m
                .build()
                .map_err(|e| io::Error::other(format!("{dir}/{name}: {e}")))?;
            let rel = match isa {
                Isa::I386 => format!("{dir}/{name}"),
                Isa::Amd64 => format!("{dir}/amd64/{name}"),
            };
            w.file(&rel, &bytes, 0o755)?;
            w.stats.modules += 1;
        }
        if dir.ends_with("/drv") && i % 3 != 1 {
            let conf =
                format!("#\n# {name}.conf\n#\nname=\"{name}\" parent=\"pseudo\" instance=0;\n");
            w.file(&format!("{dir}/{name}.conf"), conf.as_bytes(), 0o644)?;
        }
    }
    if !root.join("kernel/drv/st.conf").exists() {
        w.file("kernel/drv/st.conf", &text(2000, 7), 0o644)?;
    }
    w.file("kernel/kiconv/README", &text(500, 8), 0o644)?;
    // A directory holding both ISAs (nodisk removes it whole).
    w.file(
        "kernel/misc/scsi_vhci/scsi_vhci_f_sym",
        &binary(9000, 9),
        0o755,
    )?;
    w.file(
        "kernel/misc/scsi_vhci/amd64/scsi_vhci_f_sym",
        &binary(11000, 10),
        0o755,
    )?;

    // Userland mvix keeps.
    for (i, (rel, kib)) in KEPT_USERLAND.iter().enumerate() {
        let len = *kib as usize * 1024 + i * 13;
        w.file(rel, &binary(len, 100 + i as u64), 0o755)?;
    }
    // The bulk it prunes: commands, libraries (both ISAs), man pages,
    // headers, SMF manifests, locale data, the package database.
    let mut r = Rng::new(7);
    for i in 0..330 {
        let len = r.log_size(3000, 200_000);
        w.file(&format!("usr/bin/cmd{i:03}"), &binary(len, 2000 + i), 0o555)?;
    }
    for i in 0..40 {
        let len = r.log_size(3000, 200_000);
        w.file(
            &format!("usr/bin/amd64/cmd{i:03}"),
            &binary(len, 2500 + i),
            0o555,
        )?;
    }
    for i in 0..120 {
        let len = r.log_size(3000, 300_000);
        w.file(
            &format!("usr/sbin/adm{i:03}"),
            &binary(len, 3000 + i),
            0o555,
        )?;
    }
    for i in 0..180 {
        let len = r.log_size(5000, 400_000);
        w.file(
            &format!("usr/lib/libx{i:03}.so.1"),
            &binary(len, 4000 + i),
            0o755,
        )?;
        if i % 3 == 0 {
            let len = r.log_size(5000, 400_000);
            w.file(
                &format!("usr/lib/amd64/libx{i:03}.so.1"),
                &binary(len, 4500 + i),
                0o755,
            )?;
        }
    }
    for (i, rel) in KEPT_USERLAND.iter().enumerate() {
        if rel.0.starts_with("lib/lib") {
            let name = &rel.0[4..];
            w.file(
                &format!("lib/amd64/{name}"),
                &binary(rel.1 as usize * 1200, 5000 + i as u64),
                0o755,
            )?;
        }
    }
    for (s, sect) in ["1", "1m", "3c", "4", "5", "7d"].iter().enumerate() {
        for i in 0..110u64 {
            let len = r.log_size(800, 40_000);
            w.file(
                &format!("usr/share/man/man{sect}/page{i:03}.{sect}"),
                &text(len, 6000 + s as u64 * 1000 + i),
                0o444,
            )?;
        }
    }
    for i in 0..260u64 {
        let len = r.log_size(500, 60_000);
        let dir = if i % 2 == 0 {
            "usr/include"
        } else {
            "usr/include/sys"
        };
        w.file(&format!("{dir}/h{i:03}.h"), &text(len, 13000 + i), 0o644)?;
    }
    for i in 0..150u64 {
        let len = r.log_size(1000, 20_000);
        w.file(
            &format!("lib/svc/manifest/system/svc{i:03}.xml"),
            &text(len, 14000 + i),
            0o444,
        )?;
    }
    for i in 0..40u64 {
        let len = r.log_size(1000, 10_000);
        w.file(
            &format!("lib/svc/method/m{i:02}"),
            &text(len, 15000 + i),
            0o555,
        )?;
    }
    w.file("lib/svc/seed/global.db", &binary(400_000, 16000), 0o444)?;
    for i in 0..60u64 {
        let len = r.log_size(2000, 300_000);
        w.file(
            &format!("usr/lib/locale/C/LC_{i:02}"),
            &binary(len, 17000 + i),
            0o444,
        )?;
    }
    w.file("var/sadm/install/contents", &text(4_000_000, 18000), 0o644)?;

    // etc, var, boot and platform files.
    w.file("etc/name_to_major", NAME_TO_MAJOR.as_bytes(), 0o644)?;
    w.file("etc/minor_perm", MINOR_PERM.as_bytes(), 0o644)?;
    w.file("etc/system", b"*\n* /etc/system\n*\n", 0o644)?;
    for (i, rel) in SMALL_FILES.iter().enumerate() {
        let len = 100 + (i * 137) % 3000;
        w.file(rel, &text(len, 19000 + i as u64), 0o644)?;
    }
    for (rel, target) in SYMLINKS {
        w.symlink(rel, target)?;
    }
    for d in EMPTY_DIRS {
        w.dir(d)?;
    }
    Ok(w.stats)
}

/// Option names [`expected_tree`] knows.
pub const OPTIONS: &[&str] = &["32bit", "64bit", "extreme", "nonet", "nodisk"];

/// Does `name` match `pat`, where `pat` is a literal or ends in `*`?
fn like(name: &str, pat: &str) -> bool {
    match pat.strip_suffix('*') {
        Some(p) => name.starts_with(p),
        None => name == pat,
    }
}

/// `path` is `prefix` or below it.
fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || (path.len() > prefix.len()
            && path.starts_with(prefix)
            && path.as_bytes()[prefix.len()] == b'/')
}

/// `path` is below (or is) an entry whose path matches `pat`, a path whose
/// last component may end in `*`.
fn under_pat(path: &str, pat: &str) -> bool {
    let n = pat.split('/').count();
    let comps: Vec<&str> = path.splitn(n + 1, '/').collect();
    if comps.len() < n {
        return false;
    }
    let (pdir, plast) = pat.rsplit_once('/').unwrap_or(("", pat));
    let head = comps[..n - 1].join("/");
    head == pdir && like(comps[n - 1], plast)
}

/// A kernel module path `kernel/<class>/<name>` or
/// `kernel/<class>/amd64/<name>`: (class, name).
fn kernel_module(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("kernel/")?;
    let mut parts: Vec<&str> = rest.split('/').collect();
    if parts.len() == 3 && parts[1] == "amd64" {
        parts.remove(1);
    }
    (parts.len() == 2).then(|| (parts[0], parts[1]))
}

/// Module removal lists of illumos-boot.md §1.5 and mvi's extreme-fix.sh,
/// nonet-fix.sh and nodisk-fix.sh (fc8a972): (class, name patterns), each
/// applying to `kernel/<class>/<name>` and `kernel/<class>/amd64/<name>`.
const EXTREME_MODULES: &[(&str, &[&str])] = &[
    ("fs", &["zfs", "autofs", "lofs", "dcfs", "hsfs"]),
    (
        "drv",
        &[
            "zfs",
            "zfs.conf",
            "bsc*",
            "kssl*",
            "power*",
            "keysock*",
            "spdsock*",
            "kmdb*",
            "tl*",
            "rts*",
            "ecpp*",
            "usbprn",
            "ipsec*",
            "lofi*",
            "tzmon*",
            "iptun*",
            "st",
            "st.conf",
            "usb_a*",
            "mpt*",
            "acpi_toshiba",
            "dtrace*",
            "systrace*",
            "lockstat*",
            "fbt*",
            "dcpc*",
            "fd*",
        ],
    ),
    (
        "misc",
        &[
            "kmdbmod", "des", "skein", "sha1", "sha2", "edonr", "md5", "crypto", "kcf", "ctf",
            "ksocket", "tlimod", "cardbus", "pcmcia",
        ],
    ),
    (
        "sys",
        &["kaio", "autofs", "msgsys", "semsys", "shmsys", "c2audit"],
    ),
    (
        "strmod",
        &["timod", "tirdwr", "ipsec*", "usb_a*", "usbwcm", "vuidm*"],
    ),
];
const EXTREME_DIRS: &[&str] = &[
    "kernel/crypto",
    "kernel/kmdb",
    "kernel/dacf",
    "kernel/dtrace",
    "etc/fs/zfs",
    "etc/crypto",
    "etc/rcm",
    "etc/ftpd",
    "etc/dhcp",
    "etc/dev",
    "etc/usb",
    "etc/sysevent",
    "etc/security/lib",
    "etc/security/auth_attr.d",
    "etc/security/exec_attr.d",
    "etc/security/audit_event",
    "etc/mount",
    "etc/reboot",
    "etc/halt",
    "etc/prtconf",
    "etc/inet/inetd.conf",
    "etc/inet/ipsec*",
    "etc/nsswitch.ad",
    "etc/nsswitch.ldap",
    "etc/nsswitch.files",
    "etc/nsswitch.dns",
    "etc/format.dat",
    "etc/logadm.conf",
    "etc/mime.types",
    "etc/ttysrch",
    "etc/nscd.conf",
    "etc/syslog.conf",
    "etc/default/cron",
    "etc/default/devfsadm",
    "etc/default/su",
    "etc/default/tar",
    "var/adm/spellhist",
    "boot/grub/ufs_stage1_5",
    "boot/grub/zfs_stage1_5",
    "boot/grub/fat_stage1_5",
    "boot/grub/stage2",
    "boot/grub/bin",
    "boot/acpi",
    "boot/solaris/filelist.ramdisk",
    "boot/solaris/bin",
    "platform/i86pc/ucode",
];
const NONET_MODULES: &[(&str, &[&str])] = &[
    (
        "drv",
        &[
            "e1000g*",
            "vnic*",
            "aggr*",
            "ip*",
            "udp*",
            "tcp*",
            "icmp*",
            "arp*",
            "llc1*",
            "bridge*",
            "dlpistub*",
            "simnet*",
        ],
    ),
    (
        "strmod",
        &["ip", "udp", "tcp", "icmp", "arp", "rpcmod", "keysock"],
    ),
    ("misc", &["net80211", "rpcsec", "mii", "gld", "neti"]),
    ("sys", &["rpcmod"]),
];
const NONET_DIRS: &[&str] = &[
    "kernel/mac",
    "kernel/ipp",
    "kernel/socketmod",
    "usr/sbin/ifconfig",
    "sbin/ifconfig",
    "lib/inet",
    "lib/libdladm.so.1",
    "lib/libdevinfo.so.1",
    "lib/libdlpi.so.1",
    "lib/libgen.so.1",
    "lib/libipadm.so.1",
    "lib/libxnet.so.1",
    "etc/default/inetinit",
    "etc/default/ipsec",
    "etc/dladm",
    "etc/ipadm",
    "etc/rpcsec",
    "etc/net",
    "etc/rpc",
];
const NODISK_MODULES: &[(&str, &[&str])] = &[
    (
        "drv",
        &[
            "ata*",
            "cmdk*",
            "mpt*",
            "ahci*",
            "sd*",
            "scsa2usb*",
            "scsi_vhci*",
            "sgen*",
        ],
    ),
    ("misc", &["dadk", "sata", "scsi"]),
];
const NODISK_DIRS: &[&str] = &["kernel/misc/scsi_vhci", "etc/default/mpathd"];

/// mvix's always-on removals outside usr, lib and sbin.
const BASE_DIRS: &[&str] = &[
    "etc/mail",
    "etc/nwam",
    "etc/zones",
    "etc/brand",
    "etc/skel",
    "etc/svc/profile",
    "etc/tm",
    "etc/saf",
    "etc/sasl",
    "etc/zfs",
    "etc/logadm.d",
    "var/sadm",
    "var/svc",
    "var/mail",
    "var/spool",
    "var/preserve",
    "var/games",
    "etc/rc2.d",
    "etc/init.d",
    "etc/cron.d",
    "etc/opt",
    "etc/rc2",
    "etc/rc3",
    "etc/rcS",
    "etc/fs/hsfs",
    "etc/inet/ike",
    "etc/inet/secret",
    "platform/i86xpv",
    "boot/solaris.xpm",
    "boot/grub/pxegrub",
    "platform/i86pc/boot_archive",
    "platform/i86pc/amd64/boot_archive",
    "kernel/kiconv",
];

/// Is `path` (relative, no leading slash) removed by mvix's base pruning?
/// Under usr, lib and sbin only mvi.dirs, mvi.files and their ancestors stay.
fn base_removes(path: &str) -> bool {
    const DIRS: &[&str] = &[
        "usr",
        "sbin",
        "lib",
        "lib/inet",
        "usr/lib",
        "usr/sbin",
        "usr/bin",
        "usr/bin/i86",
        "usr/bin/amd64",
    ];
    const EXTRA_FILES: &[&str] = &[
        "usr/bin/sh",
        "usr/lib/ld.so.1",
        "usr/sbin/ifconfig",
        "usr/lib/nss_files.so.1",
    ];
    let top = path.split('/').next().unwrap_or("");
    if ["usr", "lib", "sbin"].contains(&top) {
        let kept = DIRS.contains(&path)
            || EXTRA_FILES.contains(&path)
            || KEPT_USERLAND.iter().any(|(p, _)| *p == path);
        return !kept;
    }
    BASE_DIRS.iter().any(|d| under(path, d))
}

fn module_listed(path: &str, lists: &[(&str, &[&str])]) -> bool {
    kernel_module(path).is_some_and(|(class, name)| {
        lists
            .iter()
            .any(|(c, pats)| *c == class && pats.iter().any(|p| like(name, p)))
    })
}

/// Is `path` removed by option `opt`? `exists` tells whether a proto path
/// exists (for `64bit`'s twins).
fn option_removes(opt: &str, path: &str, exists: &dyn Fn(&str) -> bool) -> bool {
    match opt {
        "32bit" => {
            let mut comps = path.split('/');
            let top = comps.next().unwrap_or("");
            ["usr", "kernel", "lib", "platform"].contains(&top) && comps.any(|c| c == "amd64")
        }
        "64bit" => {
            let in_scope = ["kernel", "platform", "usr/kernel"]
                .iter()
                .any(|p| under(path, p));
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            in_scope
                && !dir.ends_with("amd64")
                && name != "amd64"
                && exists(&format!("{dir}/amd64/{name}"))
        }
        "extreme" => {
            module_listed(path, EXTREME_MODULES) || EXTREME_DIRS.iter().any(|d| under_pat(path, d))
        }
        "nonet" => module_listed(path, NONET_MODULES) || NONET_DIRS.iter().any(|d| under(path, d)),
        "nodisk" => {
            module_listed(path, NODISK_MODULES) || NODISK_DIRS.iter().any(|d| under(path, d))
        }
        _ => panic!("unknown option {opt}"),
    }
}

/// Directories `rmdir`ed by an option when they are empty by then.
fn remove_if_empty(opt: &str) -> &'static [&'static str] {
    match opt {
        "extreme" => &[
            "var/opt",
            "var/logadm",
            "var/cron",
            "var/audit",
            "var/log",
            "var/tmp",
            "var/ld/amd64",
            "opt",
            "export",
            "mnt",
            "home",
            "var/cores",
            "var/idmap",
            "var/inet",
            "var/adm/exacct",
        ],
        "nonet" => &["usr/sbin"],
        _ => &[],
    }
}

/// The /dev links of the fix-ups: (link, target).
const DEV_LINKS: &[(&str, &str)] = &[
    ("console", "../devices/pseudo/cn@0:console"),
    ("syscon", "../devices/pseudo/cn@0:syscon"),
    ("systty", "../devices/pseudo/cn@0:systty"),
    ("sysmsg", "../devices/pseudo/sysmsg@0:sysmsg"),
    ("msglog", "../devices/pseudo/sysmsg@0:msglog"),
    ("tty", "../devices/pseudo/sy@0:tty"),
    ("null", "../devices/pseudo/mm@0:null"),
    ("zero", "../devices/pseudo/mm@0:zero"),
    ("mem", "../devices/pseudo/mm@0:mem"),
    ("kmem", "../devices/pseudo/mm@0:kmem"),
    ("allkmem", "../devices/pseudo/mm@0:allkmem"),
    ("ptmx", "../devices/pseudo/clone@0:ptm"),
    ("random", "../devices/pseudo/random@0:random"),
    ("urandom", "../devices/pseudo/random@0:urandom"),
    ("log", "../devices/pseudo/log@0:log"),
    ("conslog", "../devices/pseudo/log@0:conslog"),
    ("sad/admin", "../../devices/pseudo/sad@0:admin"),
    ("sad/user", "../../devices/pseudo/sad@0:user"),
    ("stdin", "./fd/0"),
    ("stdout", "./fd/1"),
    ("stderr", "./fd/2"),
    ("ip", "../devices/pseudo/ip@0:ip"),
    ("ip6", "../devices/pseudo/ip6@0:ip6"),
    ("tcp", "../devices/pseudo/tcp@0:tcp"),
    ("tcp6", "../devices/pseudo/tcp6@0:tcp6"),
    ("udp", "../devices/pseudo/udp@0:udp"),
    ("udp6", "../devices/pseudo/udp6@0:udp6"),
    ("arp", "../devices/pseudo/arp@0:arp"),
    ("icmp", "../devices/pseudo/icmp@0:icmp"),
    ("icmp6", "../devices/pseudo/icmp6@0:icmp6"),
    ("rawip", "../devices/pseudo/icmp@0:icmp"),
    ("rawip6", "../devices/pseudo/icmp6@0:icmp6"),
];

/// The /devices/pseudo nodes: (node, driver, minor, mode, gid). A minor
/// of `None` is the clone node of driver `ptm`, whose minor is ptm's major.
const DEVICE_NODES: &[(&str, &str, Option<u32>, u16, u32)] = &[
    ("cn@0:console", "cn", Some(0), 0o620, 7),
    ("cn@0:syscon", "cn", Some(0), 0o620, 7),
    ("cn@0:systty", "cn", Some(0), 0o620, 7),
    ("sysmsg@0:sysmsg", "sysmsg", Some(0), 0o600, 3),
    ("sysmsg@0:msglog", "sysmsg", Some(1), 0o600, 3),
    ("sy@0:tty", "sy", Some(0), 0o666, 7),
    ("mm@0:mem", "mm", Some(0), 0o640, 3),
    ("mm@0:kmem", "mm", Some(1), 0o640, 3),
    ("mm@0:null", "mm", Some(2), 0o666, 3),
    ("mm@0:allkmem", "mm", Some(3), 0o600, 3),
    ("mm@0:zero", "mm", Some(12), 0o666, 3),
    ("clone@0:ptm", "clone", None, 0o666, 3),
    ("random@0:random", "random", Some(0), 0o644, 3),
    ("random@0:urandom", "random", Some(1), 0o644, 3),
    ("log@0:conslog", "log", Some(0), 0o666, 3),
    ("log@0:log", "log", Some(5), 0o640, 3),
    ("sad@0:user", "sad", Some(0), 0o666, 3),
    ("sad@0:admin", "sad", Some(1), 0o666, 3),
    ("ip@0:ip", "ip", Some(0), 0o666, 3),
    ("ip6@0:ip6", "ip6", Some(0), 0o666, 3),
    ("tcp@0:tcp", "tcp", Some(0), 0o666, 3),
    ("tcp6@0:tcp6", "tcp6", Some(0), 0o666, 3),
    ("udp@0:udp", "udp", Some(0), 0o666, 3),
    ("udp6@0:udp6", "udp6", Some(0), 0o666, 3),
    ("arp@0:arp", "arp", Some(0), 0o666, 3),
    ("icmp@0:icmp", "icmp", Some(0), 0o666, 3),
    ("icmp6@0:icmp6", "icmp6", Some(0), 0o666, 3),
];

/// Majors illumos-gate's name_to_major gives drivers a proto's own file
/// does not list.
const DEFAULT_MAJORS: &[(&str, u32)] = &[
    ("ptm", 5),
    ("arp", 8),
    ("clone", 10),
    ("cn", 13),
    ("icmp", 20),
    ("icmp6", 21),
    ("ip", 22),
    ("ip6", 23),
    ("log", 37),
    ("mm", 38),
    ("random", 49),
    ("sad", 50),
    ("sy", 59),
    ("sysmsg", 61),
    ("tcp", 62),
    ("tcp6", 63),
    ("udp", 65),
    ("udp6", 67),
];

fn file_bytes(tree: &Tree, path: &str) -> Vec<u8> {
    let id = tree.lookup(path.as_bytes()).expect(path);
    match &tree.node(id).kind {
        Kind::File {
            data: Data::Path(p),
            ..
        } => std::fs::read(p).expect(path),
        Kind::File {
            data: Data::Bytes(b),
            ..
        } => b.to_vec(),
        k => panic!("{path}: not a file with data: {k:?}"),
    }
}

fn replace_file(tree: &mut Tree, path: &str, data: Vec<u8>) {
    let id = tree.lookup(path.as_bytes()).expect(path);
    let old = tree.node(id).clone();
    tree.remove_path(path.as_bytes()).expect(path);
    let data: Arc<[u8]> = data.into();
    tree.add_path(
        path.as_bytes(),
        Node {
            kind: Kind::File {
                size: data.len() as u64,
                data: Data::Bytes(data),
            },
            ..old
        },
    )
    .expect(path);
}

/// The root tree `mvi build PROTO --option OPTIONS` (comma-separated names
/// of [`OPTIONS`], or empty) must put in the root image, with build time
/// `t` and owners not preserved, computed from the proto on disk without
/// mvi's rules.
pub fn expected_tree(proto: &Path, options: &str, t: i64) -> Tree {
    let opts: Vec<&str> = options.split(',').filter(|s| !s.is_empty()).collect();
    let mut tree = fstree::walk(
        proto,
        &WalkOptions {
            preserve_owner: false,
            time: t,
        },
    )
    .expect("walk the proto");
    let paths: Vec<String> = tree
        .preorder()
        .into_iter()
        .skip(1)
        .map(|id| tree.path_of(id).trim_start_matches('/').to_string())
        .collect();
    let exists = |p: &str| proto.join(p).symlink_metadata().is_ok();
    for path in &paths {
        let gone = base_removes(path) || opts.iter().any(|o| option_removes(o, path, &exists));
        if gone && tree.lookup(path.as_bytes()).is_some() {
            tree.remove_path(path.as_bytes()).expect(path);
        }
    }
    for o in &opts {
        for d in remove_if_empty(o) {
            if let Some(id) = tree.lookup(d.as_bytes()) {
                if matches!(&tree.node(id).kind, Kind::Dir(e) if e.is_empty()) {
                    tree.remove_path(d.as_bytes()).expect(d);
                }
            }
        }
    }
    // extreme: gsed -i '/zfs/d' etc/minor_perm etc/name_to_major.
    if opts.contains(&"extreme") {
        for f in ["etc/minor_perm", "etc/name_to_major"] {
            let kept: Vec<u8> = file_bytes(&tree, f)
                .split_inclusive(|&b| b == b'\n')
                .filter(|l| !l.windows(3).any(|w| w == b"zfs"))
                .flatten()
                .copied()
                .collect();
            replace_file(&mut tree, f, kept);
        }
    }
    // The fix-ups: etc/mnttab, mount points, the etc/system line, /dev.
    let mut system = file_bytes(&tree, "etc/system");
    system.extend_from_slice(b"set pcplusmp:apic_kmdb_on_nmi=1\n");
    replace_file(&mut tree, "etc/system", system);
    let mut mnttab = Node::file(Vec::new(), 0o444, t);
    mnttab.gid = 0;
    tree.add_path(b"etc/mnttab", mnttab).unwrap();
    for (d, perm, gid) in [
        ("dev", 0o755, 3),
        ("dev/fd", 0o555, 0),
        ("dev/pts", 0o755, 3),
        ("dev/sad", 0o755, 3),
        ("devices", 0o755, 3),
        ("devices/pseudo", 0o755, 3),
        ("opt", 0o755, 3),
        ("var", 0o755, 3),
        ("var/run", 0o755, 3),
        ("mnt", 0o755, 3),
        ("proc", 0o555, 0),
        ("system", 0o755, 0),
        ("system/contract", 0o555, 0),
        ("system/object", 0o555, 0),
        ("etc/svc/volatile", 0o755, 3),
        ("tmp", 0o1777, 3),
    ] {
        if tree.lookup(d.as_bytes()).is_none() {
            let mut n = Node::dir(perm, t);
            n.gid = gid;
            tree.add_path(d.as_bytes(), n).unwrap();
        }
    }
    for (link, target) in DEV_LINKS {
        let n = Node {
            kind: Kind::Symlink(target.as_bytes().to_vec()),
            perm: 0o777,
            uid: 0,
            gid: 0,
            mtime: t,
        };
        tree.add_path(format!("dev/{link}").as_bytes(), n).unwrap();
    }
    let majors = String::from_utf8(file_bytes(&tree, "etc/name_to_major")).unwrap();
    let major = |drv: &str| -> u32 {
        majors
            .lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(drv)).then(|| w.next().unwrap().parse().unwrap())
            })
            .or_else(|| DEFAULT_MAJORS.iter().find(|(d, _)| *d == drv).map(|m| m.1))
            .unwrap_or_else(|| panic!("no major for {drv}"))
    };
    for (node, drv, minor, perm, gid) in DEVICE_NODES {
        let n = Node {
            kind: Kind::CharDev {
                major: major(drv),
                minor: minor.unwrap_or_else(|| major("ptm")),
            },
            perm: *perm,
            uid: 0,
            gid: *gid,
            mtime: t,
        };
        tree.add_path(format!("devices/pseudo/{node}").as_bytes(), n)
            .unwrap();
    }
    tree
}

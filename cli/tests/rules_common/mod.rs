//! A synthetic illumos proto area in the mvi layout, built in memory, and
//! helpers to inspect trees.
#![allow(dead_code)]

use fstree::{Data, Kind, Node, NodeId, Tree, ROOT};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Builds trees by path.
pub struct Builder {
    pub t: Tree,
}

fn node(kind: Kind, perm: u16) -> Node {
    Node {
        kind,
        perm,
        uid: 0,
        gid: 3,
        mtime: 1_000_000,
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder { t: Tree::new(0) }
    }

    /// `mkdir -p`.
    pub fn dir(&mut self, path: &str) -> NodeId {
        let mut cur = ROOT;
        for c in path.split('/').filter(|c| !c.is_empty()) {
            let found = self
                .t
                .entries(cur)
                .iter()
                .find(|e| e.name == c.as_bytes())
                .map(|e| e.node);
            cur = match found {
                Some(id) => id,
                None => self
                    .t
                    .add(cur, c.as_bytes(), node(Kind::Dir(vec![]), 0o755))
                    .unwrap(),
            };
        }
        cur
    }

    fn parent(&mut self, path: &str) -> (NodeId, String) {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        (self.dir(dir), name.to_string())
    }

    /// A file of `size` zero bytes.
    pub fn file(&mut self, path: &str, size: u64) -> NodeId {
        let (p, n) = self.parent(path);
        self.t
            .add(
                p,
                n.as_bytes(),
                node(
                    Kind::File {
                        size,
                        data: Data::Zeros,
                    },
                    0o555,
                ),
            )
            .unwrap()
    }

    /// A file with this text.
    pub fn text(&mut self, path: &str, text: &str) -> NodeId {
        let (p, n) = self.parent(path);
        self.t
            .add(
                p,
                n.as_bytes(),
                node(
                    Kind::File {
                        size: text.len() as u64,
                        data: Data::Bytes(Arc::from(text.as_bytes())),
                    },
                    0o644,
                ),
            )
            .unwrap()
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> NodeId {
        let (p, n) = self.parent(path);
        self.t
            .add(
                p,
                n.as_bytes(),
                node(Kind::Symlink(target.as_bytes().to_vec()), 0o777),
            )
            .unwrap()
    }

    /// Another name for the file at `existing`.
    pub fn hardlink(&mut self, path: &str, existing: &str) {
        let id = self.t.lookup(existing.as_bytes()).unwrap();
        let (p, n) = self.parent(path);
        self.t.link(p, n.as_bytes(), id).unwrap();
    }

    /// A kernel module in both forms: `DIR/NAME` and `DIR/amd64/NAME`.
    pub fn module(&mut self, dir: &str, name: &str) {
        self.file(&format!("{dir}/{name}"), 20_000);
        self.file(&format!("{dir}/amd64/{name}"), 30_000);
    }
}

/// The proto's `etc/name_to_major`: deliberately not the gate's numbers for
/// mm, cn and clone, so tests can tell where a major came from; no `sad`
/// and no `udp6` line (those come from `major` rules).
pub const NAME_TO_MAJOR: &str = "\
cn 0
ptm 5
arp 8
clone 11
icmp 20
icmp6 21
ip 22
ip6 23
log 37
mm 138
random 49
sy 59
sysmsg 61
tcp 62
tcp6 63
udp 65
sd 83
zfs 90
ata 227
";

pub const MINOR_PERM: &str = "\
clone:ptmx 0666 root sys
mm:null 0666 root sys
zfs:* 0600 root sys
zfs:zfs 0666 root sys
sy:tty 0666 root tty
";

pub const INITTAB: &str = "\
ap::sysinit:/sbin/autopush -f /etc/iu.ap
smf::sysinit:/lib/svc/bin/svc.startd\t>/dev/msglog 2<>/dev/msglog </dev/console
p3:s1234:powerfail:/usr/sbin/shutdown -y -i5 -g0 >/dev/msglog 2<>/dev/msglog
";

/// Driver modules (32-bit and amd64) under kernel/drv.
pub const DRIVERS: &[&str] = &[
    "sd",
    "ata",
    "cmdk",
    "ahci",
    "mpt",
    "mpt_sas",
    "scsa2usb",
    "scsi_vhci",
    "sgen",
    "e1000g",
    "vnic",
    "aggr",
    "ip",
    "ip6",
    "tcp",
    "tcp6",
    "udp",
    "udp6",
    "icmp",
    "icmp6",
    "arp",
    "llc1",
    "bridge",
    "dlpistub",
    "simnet",
    "ipsecah",
    "ipsecesp",
    "iptun",
    "ipnet",
    "zfs",
    "bscbus",
    "bscv",
    "kssl",
    "power",
    "keysock",
    "spdsock",
    "kmdb",
    "tl",
    "rts",
    "ecpp",
    "usbprn",
    "lofi",
    "tzmon",
    "st",
    "usb_ac",
    "usb_as",
    "acpi_toshiba",
    "dtrace",
    "systrace",
    "lockstat",
    "fbt",
    "dcpc",
    "fd",
    "fdc",
    "cn",
    "mm",
    "log",
    "sy",
    "random",
    "sysmsg",
    "clone",
    "sad",
    "pseudo",
    "options",
    "asy",
    "usbser",
    "ehci",
    "uhci",
    "ohci",
    "hid",
    "hubd",
    "usba10",
];

/// `.conf` files next to the 32-bit drivers.
pub const CONFS: &[&str] = &[
    "sd",
    "scsi_vhci",
    "sgen",
    "e1000g",
    "ip",
    "zfs",
    "st",
    "mpt",
    "ata",
    "power",
    "log",
    "mm",
    "random",
    "sy",
    "asy",
];

/// A synthetic proto area of realistic shape.
pub fn proto() -> Tree {
    let mut b = Builder::new();

    // The kernel, both ISAs.
    for d in DRIVERS {
        b.module("kernel/drv", d);
    }
    for c in CONFS {
        b.text(
            &format!("kernel/drv/{c}.conf"),
            "name=\"x\" parent=\"pseudo\";\n",
        );
    }
    b.file("kernel/drv/old32", 10_000); // 32-bit only
    b.file("kernel/drv/amd64/new64", 10_000); // amd64 only
    for f in [
        "ufs", "zfs", "hsfs", "autofs", "lofs", "dcfs", "specfs", "procfs", "tmpfs", "fifofs",
    ] {
        b.module("kernel/fs", f);
    }
    for m in [
        "scsi",
        "sata",
        "dadk",
        "kcf",
        "des",
        "sha1",
        "sha2",
        "md5",
        "skein",
        "edonr",
        "crypto",
        "kmdbmod",
        "ctf",
        "ksocket",
        "tlimod",
        "cardbus",
        "pcmcia",
        "net80211",
        "rpcsec",
        "mii",
        "gld",
        "neti",
        "usba",
        "consconfig",
        "mac",
        "dls",
        "strplumb",
    ] {
        b.module("kernel/misc", m);
    }
    b.module("kernel/misc/scsi_vhci", "scsi_vhci_f_sym");
    b.module("kernel/misc/scsi_vhci", "scsi_vhci_f_tpgs");
    for m in [
        "ip", "udp", "tcp", "icmp", "arp", "rpcmod", "keysock", "timod", "tirdwr", "ipsecah",
        "usb_ah", "usbwcm", "vuidm3p", "vuidm4p", "ldterm", "ttcompat", "ptem",
    ] {
        b.module("kernel/strmod", m);
    }
    for m in [
        "kaio", "autofs", "msgsys", "semsys", "shmsys", "c2audit", "rpcmod", "doorfs",
    ] {
        b.module("kernel/sys", m);
    }
    for (d, m) in [
        ("kernel/crypto", "aes"),
        ("kernel/crypto", "arcfour"),
        ("kernel/mac", "mac_ether"),
        ("kernel/mac", "mac_ipv4"),
        ("kernel/mac", "mac_ipv6"),
        ("kernel/ipp", "ipgpc"),
        ("kernel/socketmod", "sockpfp"),
        ("kernel/kiconv", "kiconv_emea"),
        ("kernel/dtrace", "sdt"),
        ("kernel/kmdb", "ufs"),
        ("kernel/dacf", "consconfig_dacf"),
        ("kernel/exec", "elfexec"),
        ("kernel/sched", "TS"),
        ("kernel", "genunix"),
    ] {
        b.module(d, m);
    }

    // platform/
    b.file("platform/i86pc/kernel/unix", 900_000);
    b.file("platform/i86pc/kernel/amd64/unix", 1_200_000);
    b.module("platform/i86pc/kernel/drv", "acpippm");
    b.module("platform/i86pc/kernel/drv", "rootnex");
    b.text("platform/i86pc/kernel/drv/acpippm.conf", "x;\n");
    b.module("platform/i86pc/kernel/cpu", "cpu.generic");
    b.module("platform/i86pc/kernel/mach", "pcplusmp");
    b.module("platform/i86pc/kernel/misc", "gfx_private");
    b.module("platform/i86pc/kernel/dacf", "consconfig_dacf");
    b.file("platform/i86pc/boot_archive", 1_000_000);
    b.file("platform/i86pc/amd64/boot_archive", 1_000_000);
    b.file("platform/i86pc/ucode/GenuineIntel/000106a5-00", 50_000);
    b.file("platform/i86pc/biosint", 4_000);
    b.file("platform/i86xpv/kernel/unix", 800_000);
    b.file("platform/i86xpv/kernel/amd64/unix", 1_100_000);
    b.module("platform/i86hvm/kernel/drv", "xpv");

    // usr/
    for f in [
        "ls", "du", "env", "hostname", "cat", "cp", "vi", "pfexec", "grep", "sed", "find",
    ] {
        b.file(&format!("usr/bin/{f}"), 40_000);
    }
    b.hardlink("usr/bin/mv", "usr/bin/cp");
    b.hardlink("usr/bin/ln", "usr/bin/cp");
    b.file("usr/lib/isaexec", 8_000);
    b.hardlink("usr/bin/ksh93", "usr/lib/isaexec");
    b.hardlink("usr/bin/sh", "usr/lib/isaexec");
    b.file("usr/bin/i86/ksh93", 200_000);
    b.file("usr/bin/amd64/ksh93", 260_000);
    b.file("usr/bin/amd64/ls", 50_000);
    b.symlink("usr/lib/ld.so.1", "../../lib/ld.so.1");
    for l in [
        "libsmbios.so.1",
        "libast.so.1",
        "libcmd.so.1",
        "libdll.so.1",
        "libshell.so.1",
        "libsum.so.1",
        "libidmap.so.1",
        "libxml2.so.2",
        "libzfs.so.1",
    ] {
        b.file(&format!("usr/lib/{l}"), 100_000);
        b.file(&format!("usr/lib/amd64/{l}"), 120_000);
    }
    b.symlink("usr/lib/nss_files.so.1", "../../lib/nss_files.so.1");
    b.symlink("usr/lib/64", "amd64");
    b.symlink("usr/sbin/ifconfig", "../../sbin/ifconfig");
    for f in ["zfs", "zpool", "bootadm", "devfsadm", "svcadm", "mdb"] {
        b.file(&format!("usr/sbin/{f}"), 60_000);
    }
    b.file("usr/sbin/amd64/mdb", 70_000);
    b.module("usr/kernel/drv", "ptm");
    b.module("usr/kernel/drv", "pts");
    b.text("usr/kernel/drv/ptm.conf", "x;\n");
    b.module("usr/kernel/fs", "fdfs");
    b.text("usr/share/man/man1/ls.1", ".TH LS 1\n");
    b.text("usr/include/stdio.h", "#include <iso/stdio_iso.h>\n");

    // lib/ and sbin/
    for l in [
        "ld.so.1",
        "libbsm.so.1",
        "libc.so.1",
        "libcontract.so.1",
        "libgen.so.1",
        "libinetutil.so.1",
        "libm.so.2",
        "libmd.so.1",
        "libmp.so.2",
        "libnsl.so.1",
        "libnvpair.so.1",
        "libpam.so.1",
        "libscf.so.1",
        "libsecdb.so.1",
        "libsocket.so.1",
        "libtsol.so.2",
        "libuutil.so.1",
        "libcmdutils.so.1",
        "libavl.so.1",
        "libsec.so.1",
        "libcurses.so.1",
        "libumem.so.1",
        "libxnet.so.1",
        "libipadm.so.1",
        "libdladm.so.1",
        "libdlpi.so.1",
        "nss_files.so.1",
        "libdevinfo.so.1",
        "libzfs_core.so.1",
    ] {
        b.file(&format!("lib/{l}"), 150_000);
        b.file(&format!("lib/amd64/{l}"), 180_000);
    }
    b.symlink("lib/64", "amd64");
    b.file("lib/inet/ipmgmtd", 90_000);
    b.file("lib/inet/in.mpathd", 50_000);
    b.file("lib/svc/bin/svc.startd", 300_000);
    b.text("lib/svc/manifest/system/console-login.xml", "<xml/>\n");
    b.file("lib/svc/seed/global.db", 500_000);
    for f in [
        "init", "autopush", "soconfig", "ifconfig", "bootadm", "mount", "zonename",
    ] {
        b.file(&format!("sbin/{f}"), 50_000);
    }
    b.symlink("sbin/sh", "../usr/bin/i86/ksh93");
    b.symlink("bin", "./usr/bin");

    // etc/
    b.text("etc/name_to_major", NAME_TO_MAJOR);
    b.text("etc/minor_perm", MINOR_PERM);
    b.text("etc/inittab", INITTAB);
    b.text("etc/system", "* /etc/system\n");
    b.text("etc/driver_aliases", "sd \"scsiclass,00\"\n");
    b.text("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    for d in [
        "mail/aliases",
        "nwam/llp",
        "zones/index",
        "brand/solaris10/x",
        "skel/.profile",
        "svc/profile/generic.xml",
        "tm/x",
        "saf/_sactab",
        "sasl/x",
        "zfs/zpool.cache",
        "logadm.d/x",
        "rc2.d/S20sysetup",
        "rcS.d/README",
        "init.d/README",
        "cron.d/queuedefs",
        "fs/hsfs/mount",
        "fs/zfs/mount",
        "fs/dev/mount",
        "inet/ike/config.sample",
        "inet/secret/ike.preshared",
        "inet/inetd.conf",
        "inet/ipsecinit.sample",
        "inet/hosts",
        "crypto/pkcs11.conf",
        "rcm/scripts/README",
        "user_attr.d/SUNWcs",
        "sock2path.d/system",
        "ftpd/ftpusers",
        "dhcp/inittab",
        "security/auth_attr.d/SUNWcs",
        "security/exec_attr.d/SUNWcs",
        "security/lib/fd_clean",
        "security/audit_class",
        "security/audit/localhost/x",
        "security/policy.conf",
        "sysevent/config/README",
        "dev/reserved_devnames",
        "usb/config_map",
        "dladm/datalink.conf",
        "ipadm/ipadm.conf",
        "net/ticlts/hosts",
        "default/init",
        "svc/repository.db",
    ] {
        b.text(&format!("etc/{d}"), "x\n");
    }
    b.file("etc/fs/ufs/mount", 30_000);
    b.dir("etc/opt");
    b.dir("etc/rpcsec");
    for d in [
        "cron",
        "devfsadm",
        "dhcpagent",
        "keyserv",
        "nss",
        "passwd",
        "su",
        "syslogd",
        "tar",
        "useradd",
        "utmpd",
        "inetinit",
        "ipsec",
        "mpathd",
    ] {
        b.text(&format!("etc/default/{d}"), "# default\n");
    }
    for (l, t) in [
        ("cfgadm", "../usr/sbin/cfgadm"),
        ("clri", "../usr/sbin/clri"),
        ("cron", "../usr/sbin/cron"),
        ("dcopy", "../usr/sbin/dcopy"),
        ("fmthard", "../usr/sbin/fmthard"),
        ("format", "../usr/sbin/format"),
        ("fsck", "../usr/sbin/fsck"),
        ("fsdb", "../usr/sbin/fsdb"),
        ("fstyp", "../usr/sbin/fstyp"),
        ("grpck", "../usr/sbin/grpck"),
        ("halt", "../usr/sbin/halt"),
        ("install", "../usr/sbin/install"),
        ("killall", "../usr/sbin/killall"),
        ("labelit", "../usr/sbin/labelit"),
        ("mkfs", "../usr/sbin/mkfs"),
        ("mknod", "../usr/sbin/mknod"),
        ("prtconf", "../usr/sbin/prtconf"),
        ("prtvtoc", "../usr/sbin/prtvtoc"),
        ("reboot", "../usr/sbin/halt"),
        ("setmnt", "../usr/sbin/setmnt"),
        ("shutdown", "../usr/sbin/shutdown"),
        ("swap", "../usr/sbin/swap"),
        ("sysdef", "../usr/sbin/sysdef"),
        ("tar", "../usr/sbin/tar"),
        ("wall", "../usr/sbin/wall"),
        ("whodo", "../usr/sbin/whodo"),
        ("mount", "../sbin/mount"),
        ("mountall", "../sbin/mountall"),
        ("sulogin", "../sbin/sulogin"),
        ("swapadd", "../sbin/swapadd"),
        ("telinit", "../sbin/init"),
        ("uadmin", "../sbin/uadmin"),
        ("umount", "../sbin/umount"),
        ("umountall", "../sbin/umountall"),
        ("rc0", "../sbin/rc0"),
        ("rcS", "../sbin/rcS"),
        ("ftpusers", "./ftpd/ftpusers"),
        ("inetd.conf", "./inet/inetd.conf"),
    ] {
        b.symlink(&format!("etc/{l}"), t);
    }
    for f in [
        "dumpdates",
        "logadm.conf",
        "mailcap",
        "mime.types",
        "magic",
        "remote",
        "nsswitch.ad",
        "nsswitch.ldap",
        "nsswitch.files",
        "nsswitch.dns",
        "nsswitch.conf",
        "format.dat",
        "device.tab",
        "ttysrch",
        "nscd.conf",
        "syslog.conf",
        "rpc",
        "motd",
    ] {
        b.text(&format!("etc/{f}"), "text\n");
    }

    // var/
    for f in [
        "sadm/install/contents",
        "svc/manifest/x.xml",
        "mail/root",
        "spool/lp/x",
        "preserve/x",
        "games/x",
        "log/syslog",
        "adm/messages",
        "adm/spellhist",
        "adm/aculog",
        "saf/zsmon/log",
        "cron/log",
    ] {
        b.text(&format!("var/{f}"), "log\n");
    }
    for d in [
        "opt",
        "logadm",
        "audit",
        "tmp",
        "ld/amd64",
        "cores",
        "idmap",
        "inet",
        "adm/log",
        "adm/sa",
        "adm/streams",
        "run",
    ] {
        b.dir(&format!("var/{d}"));
    }

    // boot/
    b.file("boot/grub/stage2_eltorito", 100_000);
    b.file("boot/grub/stage2", 120_000);
    b.file("boot/grub/stage1", 512);
    b.text("boot/grub/menu.lst", "default 0\ntimeout 10\n");
    for s in [
        "reiserfs", "zfs", "jfs", "xfs", "e2fs", "minix", "vstafs", "fat", "ffs", "ufs", "ufs2",
        "iso9660",
    ] {
        b.file(&format!("boot/grub/{s}_stage1_5"), 10_000);
    }
    b.file("boot/grub/pxegrub", 100_000);
    b.file("boot/grub/nbgrub", 100_000);
    b.file("boot/grub/splash.xpm.gz", 20_000);
    b.file("boot/grub/bin/grub", 300_000);
    b.text("boot/solaris/bootenv.rc", "setprop ata-dma-enabled 1\n");
    b.text("boot/solaris/filelist.ramdisk", "etc/system\n");
    b.text("boot/solaris/filelist.safe", "etc/system\n");
    b.file("boot/solaris/bin/create_ramdisk", 20_000);
    b.text("boot/solaris/devicedb/master", "x\n");
    b.file("boot/acpi/tables/x", 1_000);
    b.file("boot/solaris.xpm", 40_000);
    b.file("boot/splashimage.xpm", 40_000);

    // SUNWcs(d) skeleton
    for d in [
        "dev/fd",
        "dev/pts",
        "dev/dsk",
        "dev/rdsk",
        "devices/pseudo",
        "opt",
        "mnt",
        "export",
        "home",
        "tmp",
        "proc",
        "system/contract",
        "system/object",
    ] {
        b.dir(d);
    }
    b.symlink("dev/stdin", "./fd/0");
    b.text("root/.profile", "PATH=/usr/bin\n");
    b.t
}

/// Every reachable path (each name of a hard link), with its node.
pub fn paths(t: &Tree) -> BTreeMap<String, NodeId> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(ROOT, String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for e in t.entries(dir) {
            let p = format!("{prefix}{}", String::from_utf8_lossy(&e.name));
            if matches!(t.node(e.node).kind, Kind::Dir(_)) {
                stack.push((e.node, format!("{p}/")));
            }
            out.insert(p, e.node);
        }
    }
    out
}

/// Reachable entries and the bytes of reachable regular files (each once).
pub fn size(t: &Tree) -> (usize, u64) {
    let entries = paths(t).len();
    let bytes = t
        .preorder()
        .into_iter()
        .map(|id| match &t.node(id).kind {
            Kind::File { size, .. } => *size,
            _ => 0,
        })
        .sum();
    (entries, bytes)
}

/// The text of a file in the tree (Bytes or Zeros).
pub fn text(t: &Tree, path: &str) -> String {
    let id = t
        .lookup(path.as_bytes())
        .unwrap_or_else(|| panic!("{path} missing"));
    match &t.node(id).kind {
        Kind::File {
            data: Data::Bytes(b),
            ..
        } => String::from_utf8_lossy(b).into_owned(),
        Kind::File {
            data: Data::Path(p),
            ..
        } => std::fs::read_to_string(p).unwrap(),
        k => panic!("{path}: {k:?}"),
    }
}

pub fn exists(t: &Tree, path: &str) -> bool {
    t.lookup(path.as_bytes()).is_some()
}

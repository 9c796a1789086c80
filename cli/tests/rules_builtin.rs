//! The built-in rule sets on a synthetic proto in the mvi layout.

mod rules_common;

use fstree::{Kind, Tree};
use mvi::rules::{
    apply, list_options, option_names, parse_options, standard_sets, ApplyOptions, RuleReport,
    RuleSet, RulesError, BUILTINS,
};
use rules_common::{exists, paths, proto, size, text, MINOR_PERM, NAME_TO_MAJOR};

const OPTS: ApplyOptions = ApplyOptions {
    time: 1_451_606_400,
    max_edit_bytes: 1 << 20,
};

/// base, the options, fixups.
fn build(options: &str) -> (Tree, RuleReport) {
    let mut t = proto();
    let sets = standard_sets(&parse_options(options).unwrap(), &[]).unwrap();
    let r = apply(&mut t, &sets, &OPTS).unwrap_or_else(|e| panic!("{e}"));
    (t, r)
}

/// Only the named built-in sets, in order.
fn only(t: &mut Tree, names: &[&str]) -> RuleReport {
    let sets: Vec<RuleSet> = names.iter().map(|n| RuleSet::builtin(n).unwrap()).collect();
    apply(t, &sets, &OPTS).unwrap_or_else(|e| panic!("{e}"))
}

fn is_dir(t: &Tree, p: &str) -> bool {
    t.lookup(p.as_bytes())
        .is_some_and(|id| matches!(t.node(id).kind, Kind::Dir(_)))
}

#[test]
fn builtins_parse_and_list() {
    for b in BUILTINS {
        let s = RuleSet::builtin(b.name).unwrap_or_else(|e| panic!("{e}"));
        assert!(!s.description.is_empty(), "{} has a description", b.name);
        assert!(!s.description.contains('\n'));
        assert_eq!(s.origin, format!("builtin:{}", b.name));
        assert!(!s.rules.is_empty());
    }
    assert_eq!(
        option_names(),
        ["32bit", "64bit", "extreme", "nonet", "nodisk", "live"]
    );
    let list = list_options().unwrap();
    assert_eq!(list.len(), BUILTINS.len());
    assert!(list.iter().any(|(n, always, _)| *n == "base" && *always));
    assert!(list.iter().any(|(n, always, _)| *n == "fixups" && *always));
    assert!(list
        .iter()
        .any(|(n, always, _)| *n == "extreme" && !*always));
    let sets = parse_options("32bit, extreme,,nonet nodisk").unwrap();
    let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["32bit", "extreme", "nonet", "nodisk"]);
    assert!(parse_options("").unwrap().is_empty());
    for bad in ["128bit", "base", "fixups", "32bit,nope"] {
        match parse_options(bad) {
            Err(e @ RulesError::UnknownOption { .. }) => {
                assert!(
                    e.to_string()
                        .contains("32bit, 64bit, extreme, nonet, nodisk, live"),
                    "{e}"
                )
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    let all = standard_sets(&parse_options("nodisk,32bit").unwrap(), &[]).unwrap();
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["base", "nodisk", "32bit", "fixups"]);
}

#[test]
fn base_is_mvix_whitelist_and_cleanup() {
    let mut t = proto();
    let r = only(&mut t, &["base"]);
    // Every base rule matches something on a proto of this shape.
    assert!(r.unmatched().is_empty(), "{}", r.render());
    // mvi.files survive, with their directories.
    for p in [
        "usr/bin/ls",
        "usr/bin/du",
        "usr/bin/env",
        "usr/bin/hostname",
        "usr/bin/sh",
        "usr/bin/i86/ksh93",
        "usr/lib/ld.so.1",
        "usr/lib/libast.so.1",
        "usr/lib/nss_files.so.1",
        "lib/libc.so.1",
        "lib/ld.so.1",
        "lib/libumem.so.1",
        "lib/inet/ipmgmtd",
        "sbin/init",
        "sbin/sh",
        "sbin/ifconfig",
        "usr/sbin/ifconfig",
        "sbin/autopush",
        "sbin/soconfig",
    ] {
        assert!(exists(&t, p), "{p} kept");
    }
    // mvi.dirs survive even when emptied.
    assert!(is_dir(&t, "usr/bin/amd64"));
    assert!(t.entries(t.lookup(b"usr/bin/amd64").unwrap()).is_empty());
    // Everything else under usr, lib, sbin goes.
    for p in [
        "usr/bin/cat",
        "usr/bin/vi",
        "usr/bin/mv",
        "usr/bin/ksh93",
        "usr/bin/amd64/ksh93",
        "usr/lib/isaexec",
        "usr/lib/libxml2.so.2",
        "usr/lib/amd64",
        "usr/lib/64",
        "usr/sbin/zfs",
        "usr/kernel",
        "usr/share",
        "usr/include",
        "lib/amd64",
        "lib/64",
        "lib/svc",
        "lib/inet/in.mpathd",
        "lib/libdevinfo.so.1",
        "sbin/bootadm",
        "sbin/mount",
    ] {
        assert!(!exists(&t, p), "{p} removed");
    }
    // usr/bin/sh is a hard link of usr/lib/isaexec: the file stays.
    let sh = t.lookup(b"usr/bin/sh").unwrap();
    assert_eq!(t.link_counts()[sh], 1);
    // The cleanup list.
    for p in [
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
        "etc/rc2.d",
        "etc/rcS.d",
        "etc/init.d",
        "etc/cron.d",
        "etc/opt",
        "etc/rc0",
        "etc/rcS",
        "etc/fs/hsfs",
        "etc/inet/ike",
        "etc/inet/secret",
        "var/sadm",
        "var/svc",
        "var/mail",
        "var/spool",
        "var/preserve",
        "var/games",
        "platform/i86xpv",
        "boot/solaris.xpm",
        "boot/splashimage.xpm",
        "boot/grub/pxegrub",
        "boot/grub/nbgrub",
        "kernel/kiconv",
        "platform/i86pc/boot_archive",
        "platform/i86pc/amd64/boot_archive",
    ] {
        assert!(!exists(&t, p), "{p} removed");
    }
    for p in [
        "etc/svc/repository.db",
        "etc/fs/ufs/mount",
        "etc/inet/hosts",
        "kernel/drv/sd",
        "platform/i86pc/kernel/amd64/unix",
        "platform/i86hvm",
        "boot/grub/stage2_eltorito",
        "etc/rcm",
        "var/log/syslog",
        "bin",
    ] {
        assert!(exists(&t, p), "{p} kept");
    }
    // The report adds up: removed bytes are exactly the bytes gone.
    let (e0, b0) = size(&proto());
    let (e1, b1) = size(&t);
    let base = r.set("base").unwrap();
    assert_eq!(base.removed.entries as usize, e0 - e1);
    assert_eq!(base.removed.bytes, b0 - b1);
    assert!(base.removed.dirs > 10 && base.removed.files > 100);
}

#[test]
fn thirty_two_bit_removes_every_amd64_directory() {
    let (t, r) = build("32bit");
    for (p, id) in paths(&t) {
        let root = p.split('/').next().unwrap();
        if ["usr", "kernel", "lib", "platform"].contains(&root) {
            assert!(
                !p.split('/').any(|c| c == "amd64") || !matches!(t.node(id).kind, Kind::Dir(_)),
                "{p} left"
            );
            assert!(!p.contains("/amd64/"), "{p} left");
        }
    }
    assert!(exists(&t, "platform/i86pc/kernel/unix"));
    assert!(!exists(&t, "platform/i86pc/kernel/amd64/unix"));
    assert!(exists(&t, "kernel/drv/sd") && !exists(&t, "kernel/drv/amd64"));
    assert!(
        !exists(&t, "usr/bin/amd64"),
        "base kept it, 32bit removes it"
    );
    let rule = &r.set("32bit").unwrap().rules[0];
    assert!(rule.matched > 20 && rule.removed.files > 100, "{rule:?}");
}

#[test]
fn sixty_four_bit_removes_32bit_twins_only() {
    let mut t = proto();
    only(&mut t, &["base"]);
    let before = t.clone();
    let r = only(&mut t, &["64bit"]);
    let mut twins = 0;
    for (p, id) in paths(&before) {
        let Some((dir, name)) = p.rsplit_once('/') else {
            continue;
        };
        let Some(parent) = dir.strip_suffix("/amd64").or(dir.strip_suffix("amd64")) else {
            continue;
        };
        let under = ["kernel", "platform", "usr/kernel"]
            .iter()
            .any(|r| parent == *r || parent.starts_with(&format!("{r}/")));
        if !under || matches!(before.node(id).kind, Kind::Dir(_)) {
            continue;
        }
        let twin = if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}/{name}")
        };
        if exists(&before, &twin) {
            twins += 1;
            assert!(!exists(&t, &twin), "{twin} removed");
            assert!(exists(&t, &p), "{p} kept");
        }
    }
    assert!(twins > 150, "{twins}");
    for p in [
        "platform/i86pc/kernel/unix",
        "kernel/genunix",
        "kernel/drv/sd",
        "kernel/fs/ufs",
        "kernel/misc/scsi_vhci/scsi_vhci_f_sym",
        "platform/i86pc/kernel/drv/rootnex",
    ] {
        assert!(!exists(&t, p), "{p}");
    }
    for p in [
        "platform/i86pc/kernel/amd64/unix",
        "kernel/amd64/genunix",
        "kernel/drv/old32",
        "kernel/drv/amd64/new64",
        "kernel/drv/sd.conf",
        "platform/i86pc/kernel/drv/acpippm.conf",
        "usr/bin/i86/ksh93",
        "lib/libc.so.1",
        "usr/bin/amd64",
    ] {
        assert!(exists(&t, p), "{p}");
    }
    let rule = &r.set("64bit").unwrap().rules[0];
    assert_eq!(rule.matched, twins);
    assert_eq!(rule.removed.files, twins);
    assert_eq!(rule.removed.entries, twins);
    let (e0, b0) = size(&before);
    let (e1, b1) = size(&t);
    assert_eq!((e0 - e1) as u64, twins);
    assert_eq!(b0 - b1, rule.removed.bytes);
}

#[test]
fn extreme_removes_zfs_and_its_driver_table_lines() {
    let (t, r) = build("extreme");
    let n2m = text(&t, "etc/name_to_major");
    let mp = text(&t, "etc/minor_perm");
    assert!(!n2m.contains("zfs") && !mp.contains("zfs"));
    fn keep(full: &str) -> Vec<&str> {
        full.lines().filter(|l| !l.contains("zfs")).collect()
    }
    assert_eq!(n2m.lines().collect::<Vec<_>>(), keep(NAME_TO_MAJOR));
    assert_eq!(mp.lines().collect::<Vec<_>>(), keep(MINOR_PERM));
    let zfs_rule = r
        .set("extreme")
        .unwrap()
        .rules
        .iter()
        .find(|o| o.keyword == "edit")
        .unwrap();
    assert_eq!((zfs_rule.matched, zfs_rule.changed), (2, 3));
    for p in [
        "kernel/fs/zfs",
        "kernel/fs/amd64/zfs",
        "kernel/drv/zfs",
        "kernel/drv/amd64/zfs",
        "kernel/drv/zfs.conf",
        "etc/fs/zfs",
        "kernel/crypto",
        "kernel/misc/kcf",
        "kernel/misc/amd64/kcf",
        "kernel/drv/amd64/kmdb",
        "kernel/dtrace",
        "kernel/kmdb",
        "kernel/dacf",
        "kernel/drv/tl",
        "kernel/drv/amd64/tl",
        "kernel/fs/hsfs",
        "kernel/sys/amd64/c2audit",
        "kernel/drv/st",
        "kernel/drv/st.conf",
        "kernel/drv/fd",
        "kernel/drv/amd64/fdc",
        "etc/crypto",
        "etc/rcm",
        "etc/mount",
        "etc/ftpusers",
        "etc/default/cron",
        "etc/security/auth_attr.d",
        "etc/dev",
        "etc/fs/dev",
        "var/saf",
        "var/opt",
        "var/adm/log",
        "var/adm/spellhist",
        "var/cores",
        "boot/grub/stage2",
        "boot/grub/ufs_stage1_5",
        "boot/grub/ufs2_stage1_5",
        "boot/grub/bin",
        "boot/acpi",
        "boot/solaris/bin",
        "boot/solaris/filelist.ramdisk",
        "platform/i86pc/ucode",
        "boot/grub/splash.xpm.gz",
    ] {
        assert!(!exists(&t, p), "{p} removed");
    }
    for p in [
        "boot/grub/stage2_eltorito",
        "boot/grub/iso9660_stage1_5",
        "boot/grub/menu.lst",
        "boot/solaris/bootenv.rc",
        "kernel/fs/ufs",
        "kernel/drv/sd",
        "var/log/syslog",
        "var/adm/messages",
        "etc/security/policy.conf",
        "etc/nsswitch.conf",
        // rmdir'd by extreme, recreated by fixups (mvix's mkdir -p ran later)
        "opt",
        "mnt",
    ] {
        assert!(exists(&t, p), "{p} kept");
    }
    assert!(!exists(&t, "export") && !exists(&t, "home"));
    assert!(exists(&t, "var/log"), "rmdir leaves a non-empty directory");
}

#[test]
fn nonet_and_nodisk() {
    let (t, _) = build("nonet");
    for p in [
        "kernel/drv/e1000g",
        "kernel/drv/amd64/e1000g",
        "kernel/drv/e1000g.conf",
        "kernel/drv/ip6",
        "kernel/drv/amd64/ipsecah",
        "kernel/drv/amd64/tcp6",
        "kernel/mac",
        "kernel/ipp",
        "kernel/socketmod",
        "kernel/strmod/amd64/keysock",
        "kernel/misc/amd64/gld",
        "kernel/sys/rpcmod",
        "sbin/ifconfig",
        "usr/sbin",
        "lib/inet",
        "lib/libdladm.so.1",
        "lib/libgen.so.1",
        "etc/default/inetinit",
        "etc/rpc",
        "etc/net",
        "etc/dladm",
    ] {
        assert!(!exists(&t, p), "nonet removes {p}");
    }
    for p in [
        "lib/libumem.so.1",
        "kernel/drv/sd",
        "dev/ip",
        "devices/pseudo/ip@0:ip",
    ] {
        assert!(exists(&t, p), "nonet keeps {p}");
    }
    let (t, _) = build("nodisk");
    for p in [
        "kernel/drv/sd",
        "kernel/drv/amd64/sd",
        "kernel/drv/sd.conf",
        "kernel/drv/ata",
        "kernel/drv/amd64/cmdk",
        "kernel/drv/amd64/mpt_sas",
        "kernel/drv/scsi_vhci.conf",
        "kernel/drv/amd64/sgen",
        "kernel/misc/scsi_vhci",
        "kernel/misc/scsi",
        "kernel/misc/amd64/sata",
        "etc/default/mpathd",
    ] {
        assert!(!exists(&t, p), "nodisk removes {p}");
    }
    assert!(exists(&t, "kernel/drv/e1000g") && exists(&t, "kernel/misc/usba"));
}

#[test]
fn live_replaces_smf_with_mvi_rc() {
    let (t, r) = build("live");
    let inittab = text(&t, "etc/inittab");
    assert!(!inittab.contains("startd"));
    assert!(inittab.starts_with("ap::sysinit:/sbin/autopush"));
    assert!(inittab.ends_with("\nsmf::sysinit:/etc/mvi.rc\n"));
    assert_eq!(inittab.lines().count(), 3);
    let rc = t.lookup(b"etc/mvi.rc").unwrap();
    assert_eq!(t.node(rc).perm, 0o755);
    let rc = text(&t, "etc/mvi.rc");
    assert!(rc.starts_with("#!/sbin/sh\nif [ ! -f /startup ]; then\n"));
    assert!(rc.contains("/etc/fs/ufs/mount -o remount,rw /devices/ramdisk:a /\n"));
    assert!(rc.contains("  echo \"y\" > /startup\n"));
    assert!(rc.ends_with("/bin/sh >/dev/console 2>&1 </dev/console\n"));
    assert!(r.set("live").unwrap().rules.iter().all(|o| !o.unmatched));
    // Without the option, inittab is untouched.
    let (t, _) = build("");
    assert_eq!(text(&t, "etc/inittab"), rules_common::INITTAB);
    assert!(!exists(&t, "etc/mvi.rc"));
}

#[test]
fn fixups_make_the_root_mvi_relied_on() {
    let (t, r) = build("");
    let node = |p: &str| t.node(t.lookup(p.as_bytes()).unwrap_or_else(|| panic!("{p}")));
    let mnttab = node("etc/mnttab");
    assert!(matches!(mnttab.kind, Kind::File { size: 0, .. }));
    assert_eq!(mnttab.perm, 0o444);
    for d in [
        "dev/fd",
        "devices/pseudo",
        "opt",
        "var",
        "var/run",
        "mnt",
        "proc",
        "system/contract",
        "system/object",
        "etc/svc/volatile",
        "tmp",
    ] {
        assert!(is_dir(&t, d), "{d}");
    }
    assert_eq!(node("etc/svc/volatile").gid, 3);
    assert!(text(&t, "etc/system").ends_with("\nset pcplusmp:apic_kmdb_on_nmi=1\n"));
    let link = |p: &str| match &node(p).kind {
        Kind::Symlink(target) => String::from_utf8(target.clone()).unwrap(),
        k => panic!("{p}: {k:?}"),
    };
    for (l, target) in [
        ("dev/console", "../devices/pseudo/cn@0:console"),
        ("dev/null", "../devices/pseudo/mm@0:null"),
        ("dev/zero", "../devices/pseudo/mm@0:zero"),
        ("dev/ptmx", "../devices/pseudo/clone@0:ptm"),
        ("dev/tty", "../devices/pseudo/sy@0:tty"),
        ("dev/syscon", "../devices/pseudo/cn@0:syscon"),
        ("dev/systty", "../devices/pseudo/cn@0:systty"),
        ("dev/sysmsg", "../devices/pseudo/sysmsg@0:sysmsg"),
        ("dev/msglog", "../devices/pseudo/sysmsg@0:msglog"),
        ("dev/random", "../devices/pseudo/random@0:random"),
        ("dev/urandom", "../devices/pseudo/random@0:urandom"),
        ("dev/kmem", "../devices/pseudo/mm@0:kmem"),
        ("dev/mem", "../devices/pseudo/mm@0:mem"),
        ("dev/log", "../devices/pseudo/log@0:log"),
        ("dev/conslog", "../devices/pseudo/log@0:conslog"),
        ("dev/sad/admin", "../../devices/pseudo/sad@0:admin"),
        ("dev/stdin", "./fd/0"),
        ("dev/stdout", "./fd/1"),
        ("dev/stderr", "./fd/2"),
        ("dev/rawip", "../devices/pseudo/icmp@0:icmp"),
    ] {
        assert_eq!(link(l), target, "{l}");
        // Every pseudo link resolves to a device node in the image.
        if let Some(dev) = target
            .strip_prefix("../devices/")
            .or(target.strip_prefix("../../devices/"))
        {
            let n = node(&format!("devices/{dev}"));
            assert!(matches!(n.kind, Kind::CharDev { .. }), "{dev}");
        }
    }
    let dev = |p: &str| match node(p).kind {
        Kind::CharDev { major, minor } => (major, minor),
        ref k => panic!("{p}: {k:?}"),
    };
    // Majors come from the proto's own etc/name_to_major...
    assert_eq!(dev("devices/pseudo/mm@0:null"), (138, 2));
    assert_eq!(dev("devices/pseudo/mm@0:zero"), (138, 12));
    assert_eq!(dev("devices/pseudo/cn@0:console"), (0, 0));
    assert_eq!(
        dev("devices/pseudo/clone@0:ptm"),
        (11, 5),
        "clone major, ptm's major as minor"
    );
    assert_eq!(dev("devices/pseudo/log@0:log"), (37, 5));
    assert_eq!(dev("devices/pseudo/sysmsg@0:msglog"), (61, 1));
    // ...else from the `major` rules (illumos-gate's numbers), with a note.
    assert_eq!(dev("devices/pseudo/sad@0:admin"), (50, 1));
    assert_eq!(dev("devices/pseudo/udp6@0:udp6"), (67, 0));
    let fix = r.set("fixups").unwrap();
    let sad = fix
        .rules
        .iter()
        .find(|o| o.text.starts_with("add device devices/pseudo/sad@0:admin"))
        .unwrap();
    assert!(
        sad.notes
            .iter()
            .any(|n| n.contains("sad: major 50 from a `major` rule")),
        "{sad:?}"
    );
    let null = fix
        .rules
        .iter()
        .find(|o| o.text.starts_with("add device devices/pseudo/mm@0:null"))
        .unwrap();
    assert!(null.notes.is_empty());
    assert_eq!(node("devices/pseudo/cn@0:console").gid, 7);
    assert_eq!(node("devices/pseudo/mm@0:kmem").perm, 0o640);
    // The proto's dev/stdin is replaced, and said so.
    let stdin = fix
        .rules
        .iter()
        .find(|o| o.text.starts_with("add symlink dev/stdin"))
        .unwrap();
    assert_eq!(stdin.notes, ["replaced /dev/stdin"]);
    // Existing directories are left alone.
    let tmp = fix
        .rules
        .iter()
        .find(|o| o.text.starts_with("add dir tmp"))
        .unwrap();
    assert_eq!(stdin.changed, 1);
    assert_eq!((tmp.matched, tmp.changed), (1, 0));
    assert!(tmp.notes[0].contains("exists"));

    // A proto with no etc/name_to_major at all: every major from the rules.
    let mut bare = proto();
    bare.remove_path(b"etc/name_to_major").unwrap();
    let sets = standard_sets(&[], &[]).unwrap();
    apply(&mut bare, &sets, &OPTS).unwrap();
    let n = bare.node(bare.lookup(b"devices/pseudo/mm@0:null").unwrap());
    assert!(matches!(
        n.kind,
        Kind::CharDev {
            major: 38,
            minor: 2
        }
    ));
    let n = bare.node(bare.lookup(b"devices/pseudo/clone@0:ptm").unwrap());
    assert!(matches!(
        n.kind,
        Kind::CharDev {
            major: 10,
            minor: 5
        }
    ));
}

#[test]
fn every_option_strictly_shrinks_the_root() {
    let (none, _) = build("");
    let (e0, b0) = size(&none);
    for opt in [
        "32bit",
        "64bit",
        "extreme",
        "nonet",
        "nodisk",
        "32bit,extreme,nonet,nodisk",
    ] {
        let (t, r) = build(opt);
        let (e, b) = size(&t);
        assert!(
            e < e0 && b < b0,
            "{opt}: {e} < {e0} entries, {b} < {b0} bytes"
        );
        for name in opt.split(',') {
            let s = r.set(name).unwrap();
            assert!(
                s.removed.entries > 0 && s.removed.bytes > 0,
                "{opt}: {name} removed something"
            );
        }
    }
    // The blog's recipe is smaller than each of its parts alone.
    let (recipe, _) = build("32bit,extreme,nonet,nodisk");
    let (_, br) = size(&recipe);
    for opt in ["32bit", "extreme", "nonet", "nodisk"] {
        let (t, _) = build(opt);
        assert!(br < size(&t).1, "{opt}");
    }
}

#[test]
fn each_options_report_equals_what_it_removed() {
    let mut after_base = proto();
    only(&mut after_base, &["base"]);
    for opt in ["32bit", "64bit", "extreme", "nonet", "nodisk"] {
        let mut t = after_base.clone();
        let r = only(&mut t, &[opt]);
        let s = r.set(opt).unwrap();
        let (e0, b0) = size(&after_base);
        let (e1, b1) = size(&t);
        assert_eq!(s.removed.entries as usize, e0 - e1, "{opt} entries");
        // extreme also shortens etc/name_to_major and etc/minor_perm.
        let edited = if opt == "extreme" {
            (text(&after_base, "etc/name_to_major").len()
                + text(&after_base, "etc/minor_perm").len()
                - text(&t, "etc/name_to_major").len()
                - text(&t, "etc/minor_perm").len()) as u64
        } else {
            0
        };
        assert_eq!(s.removed.bytes + edited, b0 - b1, "{opt} bytes");
        let per_rule: u64 = s.rules.iter().map(|o| o.removed.bytes).sum();
        assert_eq!(per_rule, s.removed.bytes);
    }
}

#[test]
fn rules_that_match_nothing_are_reported() {
    // Every built-in rule matches on the full synthetic proto...
    let (_, r) = build("32bit,extreme,nonet,nodisk,live");
    assert!(r.unmatched().is_empty(), "{}", r.render());
    // ...but not on one without acpi_toshiba, nor are a user file's rules
    // that name nothing.
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join("site.rules");
    std::fs::write(
        &user,
        "remove usr/bin/cat          # base removed it already\n\
         keep etc/passwd\n\
         edit etc/passwd delete-lines nosuchuser\n\
         set mode opt/nothing/* 0755\n\
         restore no/such/path\n\
         remove etc/motd\n",
    )
    .unwrap();
    let mut t = proto();
    t.remove_path(b"kernel/drv/acpi_toshiba").unwrap();
    t.remove_path(b"kernel/drv/amd64/acpi_toshiba").unwrap();
    let sets = standard_sets(
        &parse_options("extreme").unwrap(),
        std::slice::from_ref(&user),
    )
    .unwrap();
    let r = apply(&mut t, &sets, &OPTS).unwrap();
    let unmatched: Vec<String> = r
        .unmatched()
        .iter()
        .map(|(s, o)| format!("{}:{}: {}", s.origin, o.line, o.text))
        .collect();
    let u = user.display().to_string();
    let line = RuleSet::builtin("extreme")
        .unwrap()
        .rules
        .iter()
        .find(|r| r.text.contains("acpi_toshiba"))
        .unwrap()
        .line;
    assert_eq!(
        unmatched,
        [
            format!("builtin:extreme:{line}: remove kernel/drv/{{,amd64/}}acpi_toshiba"),
            format!("{u}:1: remove usr/bin/cat"),
            format!("{u}:3: edit etc/passwd delete-lines nosuchuser"),
            format!("{u}:4: set mode opt/nothing/* 0755"),
            format!("{u}:5: restore no/such/path"),
        ]
    );
    let text = r.render();
    for u in &unmatched {
        assert!(text.contains(&format!("{u}: matched nothing")), "{text}");
    }
    assert!(text.contains("rules base (builtin:base): removed "));
    assert!(
        text.contains(&format!(
            "rules site ({u}): removed 1 entries (0 directories, 1 files, 5 B)"
        )),
        "{text}"
    );
}

#[test]
fn applying_is_deterministic() {
    let (a, ra) = build("32bit,extreme,nonet,nodisk,live");
    let (b, rb) = build("32bit,extreme,nonet,nodisk,live");
    assert_eq!(a, b);
    assert_eq!(ra, rb);
    assert_eq!(ra.render(), rb.render());
}

#[test]
fn pruned_trees_make_clean_ufs_images() {
    for opt in ["", "32bit,extreme,nonet,nodisk,live", "64bit"] {
        let (t, _) = build(opt);
        let layout = ufsimg::plan(&t, &ufsimg::Params::default()).unwrap();
        let mut img = Vec::new();
        ufsimg::write(&layout, &t, &mut img).unwrap();
        let check = ufsimg::check(&img);
        assert!(check.is_clean(), "{opt}: {:?}", check.problems);
        let reader = ufsimg::Reader::open(&img).unwrap();
        let in_image: Vec<String> = reader
            .walk()
            .unwrap()
            .into_iter()
            .skip(1)
            .map(|(p, _)| String::from_utf8_lossy(&p[1..]).into_owned())
            .collect();
        let in_tree: Vec<String> = paths(&t).into_keys().collect();
        let mut sorted = in_image.clone();
        sorted.sort();
        assert_eq!(sorted, in_tree, "{opt}");
    }
}

#[test]
fn pruned_trees_make_readable_isos() {
    // The ISO planner, like the UFS one, sees only what the rules left.
    let (t, _) = build("32bit,extreme,nonet,nodisk");
    let layout = iso9660::plan(&t, &iso9660::Options::default()).unwrap();
    let mut img = Vec::new();
    iso9660::write(&layout, &t, &mut img).unwrap();
    let reader = iso9660::read::IsoReader::open(&img).unwrap();
    let mut in_image: Vec<String> = reader
        .walk(iso9660::read::Tree::RockRidge)
        .unwrap()
        .into_iter()
        .skip(1)
        .map(|(p, _)| String::from_utf8_lossy(&p[1..]).into_owned())
        .collect();
    in_image.sort();
    let in_tree: Vec<String> = paths(&t).into_keys().collect();
    assert_eq!(in_image, in_tree);
}

#[test]
fn a_walked_proto_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files: &[(&str, &str)] = &[
        ("etc/name_to_major", NAME_TO_MAJOR),
        ("etc/minor_perm", MINOR_PERM),
        ("etc/inittab", rules_common::INITTAB),
        ("etc/system", "* system\n"),
        ("kernel/fs/zfs", "ELF"),
        ("kernel/drv/sd", "ELF"),
        ("platform/i86pc/kernel/unix", "ELF"),
    ];
    for (p, c) in files {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, c).unwrap();
    }
    let mtimes: Vec<_> = files
        .iter()
        .map(|(p, _)| std::fs::metadata(root.join(p)).unwrap().modified().unwrap())
        .collect();
    let mut t = fstree::walk(root, &fstree::WalkOptions::default()).unwrap();
    let sets = standard_sets(&parse_options("extreme,live").unwrap(), &[]).unwrap();
    apply(&mut t, &sets, &OPTS).unwrap();
    // The tree changed...
    assert!(!text(&t, "etc/name_to_major").contains("zfs"));
    assert!(text(&t, "etc/inittab").ends_with("smf::sysinit:/etc/mvi.rc\n"));
    assert!(!exists(&t, "kernel/fs/zfs"));
    // ...the host files did not.
    for ((p, c), m) in files.iter().zip(mtimes) {
        assert_eq!(std::fs::read_to_string(root.join(p)).unwrap(), *c, "{p}");
        assert_eq!(
            std::fs::metadata(root.join(p)).unwrap().modified().unwrap(),
            m,
            "{p}"
        );
    }
    assert!(!root.join("etc/mvi.rc").exists() && !root.join("dev").exists());
}

//! mvi::moddeps: dependencies of illumos kernel modules read the way krtld
//! reads them, from real ELF relocatable objects written with object::write
//! in both forms (`.dynamic` DT_NEEDED and `_depends_on`), 32-bit and
//! 64-bit, resolved along the module path in the illumos layout.

use fstree::{Data, Kind, Node, NodeId, Tree, ROOT};
use mvi::moddeps::testkit::{make_test_module, TestModule};
use mvi::moddeps::{
    check, module_deps, scan, scan_with, DepForm, DepReport, Isa, ModDepsError, ModuleGraph,
    ScanOptions, Target,
};
use object::read::elf::{Dyn as _, SectionHeader as _, Sym as _};
use object::{elf, Endianness};
use proptest::prelude::*;

const BOTH: [Isa; 2] = [Isa::I386, Isa::Amd64];
const FORMS: [DepForm; 2] = [DepForm::Dynamic, DepForm::DependsOn];

fn module(isa: Isa, form: DepForm, deps: &[&str]) -> Vec<u8> {
    make_test_module(isa, form, deps).unwrap()
}

fn node(kind: Kind) -> Node {
    Node {
        kind,
        perm: 0o755,
        uid: 0,
        gid: 0,
        mtime: 0,
    }
}

/// Create the directories of `path` (all but the last component).
fn parent_dir(t: &mut Tree, path: &str) -> (NodeId, String) {
    let mut parts: Vec<&str> = path.split('/').collect();
    let base = parts.pop().unwrap().to_string();
    let mut cur = ROOT;
    for p in parts {
        cur = match t
            .entries(cur)
            .iter()
            .find(|e| e.name == p.as_bytes())
            .map(|e| e.node)
        {
            Some(n) => n,
            None => t.add(cur, p.as_bytes(), node(Kind::Dir(vec![]))).unwrap(),
        };
    }
    (cur, base)
}

fn put(t: &mut Tree, path: &str, bytes: Vec<u8>) -> NodeId {
    let (dir, base) = parent_dir(t, path);
    let kind = Kind::File {
        size: bytes.len() as u64,
        data: Data::Bytes(bytes.into()),
    };
    t.add(dir, base.as_bytes(), node(kind)).unwrap()
}

fn symlink(t: &mut Tree, path: &str, target: &str) {
    let (dir, base) = parent_dir(t, path);
    let kind = Kind::Symlink(target.as_bytes().to_vec());
    t.add(dir, base.as_bytes(), node(kind)).unwrap();
}

fn remove(t: &mut Tree, path: &str) {
    let (dir, base) = parent_dir(t, path);
    let Kind::Dir(entries) = &mut t.nodes[dir].kind else {
        panic!("{path}: parent is not a directory");
    };
    let before = entries.len();
    entries.retain(|e| e.name != base.as_bytes());
    assert_eq!(entries.len(), before - 1, "{path} was not in the tree");
}

/// Both ISAs of a module: `kernel/drv/sd` and `kernel/drv/amd64/sd`, the
/// 32-bit one in the older `_depends_on` form and the 64-bit one with
/// `.dynamic` (and the other way round when `swap`).
fn put_pair(t: &mut Tree, moddir: &str, name: &str, deps: &[&str], swap: bool) {
    let (dir, base) = match name.rsplit_once('/') {
        Some((d, b)) => (format!("{moddir}/{d}"), b.to_string()),
        None => (moddir.to_string(), name.to_string()),
    };
    let (f32, f64) = if swap {
        (DepForm::Dynamic, DepForm::DependsOn)
    } else {
        (DepForm::DependsOn, DepForm::Dynamic)
    };
    let (f32, f64) = if deps.is_empty() {
        (DepForm::None, DepForm::None)
    } else {
        (f32, f64)
    };
    put(t, &format!("{dir}/{base}"), module(Isa::I386, f32, deps));
    put(
        t,
        &format!("{dir}/amd64/{base}"),
        module(Isa::Amd64, f64, deps),
    );
}

/// An illumos-shaped proto with a consistent set of modules.
fn proto() -> Tree {
    let mut t = Tree::new(0);
    put_pair(&mut t, "kernel", "genunix", &[], false);
    put_pair(
        &mut t,
        "kernel",
        "drv/sd",
        &["misc/scsi", "misc/cmlb"],
        false,
    );
    put(
        &mut t,
        "kernel/drv/sd.conf",
        b"name=\"sd\" class=\"scsi\";\n".to_vec(),
    );
    put_pair(&mut t, "kernel", "misc/scsi", &[], false);
    put_pair(&mut t, "kernel", "misc/cmlb", &[], false);
    // Satisfied from platform/i86pc/kernel.
    put_pair(&mut t, "kernel", "drv/acpi_drv", &["misc/acpica"], true);
    put_pair(&mut t, "platform/i86pc/kernel", "misc/acpica", &[], false);
    // Satisfied from usr/kernel.
    put_pair(&mut t, "kernel", "sys/msgsys", &["misc/ipc"], false);
    put_pair(&mut t, "usr/kernel", "misc/ipc", &[], false);
    // A chain inside usr/kernel and across to kernel.
    put_pair(
        &mut t,
        "usr/kernel",
        "drv/fssnap",
        &["misc/ipc", "misc/scsi"],
        true,
    );
    // Kernels are ET_EXEC, not modules; firmware is not ELF.
    put(&mut t, "platform/i86pc/kernel/unix", exec(Isa::I386));
    put(&mut t, "platform/i86pc/kernel/amd64/unix", exec(Isa::Amd64));
    put(&mut t, "kernel/firmware/blob.bin", vec![0x55; 300]);
    put(
        &mut t,
        "kernel/drv/amd64/sd.conf",
        b"# amd64 copy\n".to_vec(),
    );
    // Files outside the module directories are not looked at.
    put(&mut t, "etc/system", b"* nothing\n".to_vec());
    put(
        &mut t,
        "usr/lib/libc.so.1",
        module(Isa::I386, DepForm::DependsOn, &["x"]),
    );
    t
}

/// A module with its e_type patched to ET_EXEC.
fn exec(isa: Isa) -> Vec<u8> {
    let mut b = module(isa, DepForm::None, &[]);
    b[16] = 2;
    b
}

fn report(t: &Tree) -> (ModuleGraph, DepReport) {
    let g = scan(t).unwrap();
    let r = check(&g);
    (g, r)
}

fn target<'a>(g: &'a ModuleGraph, path: &str, dep: &str) -> &'a Target {
    let m = g
        .modules
        .iter()
        .find(|m| m.path == path)
        .unwrap_or_else(|| panic!("{path} not scanned"));
    &m.deps
        .iter()
        .find(|d| d.name == dep)
        .unwrap_or_else(|| panic!("{path} has no dependency {dep}"))
        .target
}

fn found(g: &ModuleGraph, path: &str, dep: &str) -> String {
    match target(g, path, dep) {
        Target::Found { path } => path.clone(),
        t => panic!("{path} -> {dep}: {t:?}"),
    }
}

fn lines(r: &DepReport) -> Vec<String> {
    r.missing.iter().map(|m| m.to_string()).collect()
}

// ---------------------------------------------------------------- one file

#[test]
fn both_forms_both_isas_round_trip() {
    for isa in BOTH {
        for form in FORMS {
            let b = module(isa, form, &["misc/scsi", "misc/cmlb"]);
            let info = module_deps(&b).unwrap();
            assert_eq!(info.isa, isa);
            assert_eq!(info.form, form);
            assert_eq!(info.dependencies, ["misc/scsi", "misc/cmlb"]);
        }
        let info = module_deps(&module(isa, DepForm::None, &[])).unwrap();
        assert_eq!((info.isa, info.form), (isa, DepForm::None));
        assert!(info.dependencies.is_empty());
    }
}

/// krtld reads `_depends_on` only when `.dynamic` gave no DT_NEEDED entry.
#[test]
fn dt_needed_takes_precedence_over_depends_on() {
    for isa in BOTH {
        let both = TestModule {
            extra_depends_on: Some("misc/old"),
            ..TestModule::new(isa, DepForm::Dynamic, &["misc/new"])
        };
        let info = module_deps(&both.build().unwrap()).unwrap();
        assert_eq!(info.form, DepForm::Dynamic);
        assert_eq!(info.dependencies, ["misc/new"]);
        // A .dynamic section with only DT_NULL: the older form is used.
        let empty = TestModule {
            extra_depends_on: Some("misc/old"),
            ..TestModule::new(isa, DepForm::Dynamic, &[])
        };
        let info = module_deps(&empty.build().unwrap()).unwrap();
        assert_eq!(info.form, DepForm::DependsOn);
        assert_eq!(info.dependencies, ["misc/old"]);
        let info = module_deps(&module(isa, DepForm::Dynamic, &[])).unwrap();
        assert_eq!(info.form, DepForm::None);
    }
}

/// What krtld checks of a `ld -r -N` object, read back with object's own
/// ELF reader: ET_REL, the class and machine, one SHT_DYNAMIC section whose
/// sh_link names an SHT_STRTAB holding the DT_NEEDED names, a symbol table.
#[test]
fn dynamic_form_has_the_layout_krtld_reads() {
    fn inspect<Elf: object::read::elf::FileHeader<Endian = Endianness>>(b: &[u8], machine: u16) {
        let h = Elf::parse(b).unwrap();
        let e = h.endian().unwrap();
        assert_eq!(h.e_type(e), elf::ET_REL);
        assert_eq!(h.e_machine(e).0, machine);
        let sections = h.sections(e, b).unwrap();
        let dynamic: Vec<_> = sections
            .iter()
            .filter(|s| s.sh_type(e) == elf::SHT_DYNAMIC)
            .collect();
        assert_eq!(dynamic.len(), 1);
        let link = dynamic[0].sh_link(e) as usize;
        let strtab = sections.section(object::SectionIndex(link)).unwrap();
        assert_eq!(strtab.sh_type(e), elf::SHT_STRTAB);
        assert_eq!(
            sections.section_name(e, strtab).unwrap(),
            b".dynstr".as_slice()
        );
        let (entries, _) = dynamic[0].dynamic(e, b).unwrap().unwrap();
        let strings = strtab.strings(e, b).unwrap().unwrap();
        let needed: Vec<&[u8]> = entries
            .iter()
            .filter(|d| d.tag(e) == elf::DT_NEEDED)
            .map(|d| d.string(e, strings).unwrap())
            .collect();
        assert_eq!(needed, [b"misc/scsi".as_slice(), b"misc/cmlb"]);
        assert_eq!(entries.last().unwrap().tag(e), elf::DT_NULL);
        assert!(sections.iter().any(|s| s.sh_type(e) == elf::SHT_SYMTAB));
        let syms = sections.symbols(e, b, elf::SHT_SYMTAB).unwrap();
        assert!(!syms
            .iter()
            .any(|s| syms.symbol_name(e, s).unwrap() == b"_depends_on"));
    }
    let deps = ["misc/scsi", "misc/cmlb"];
    inspect::<elf::FileHeader32<Endianness>>(
        &module(Isa::I386, DepForm::Dynamic, &deps),
        elf::EM_386.0,
    );
    inspect::<elf::FileHeader64<Endianness>>(
        &module(Isa::Amd64, DepForm::Dynamic, &deps),
        elf::EM_X86_64.0,
    );
}

/// The older form: a global data symbol `_depends_on` whose value and size
/// delimit "misc/scsi misc/cmlb\0" in an SHF_ALLOC section, no `.dynamic`.
#[test]
fn depends_on_form_has_the_layout_krtld_reads() {
    fn inspect<Elf: object::read::elf::FileHeader<Endian = Endianness>>(b: &[u8]) {
        let h = Elf::parse(b).unwrap();
        let e = h.endian().unwrap();
        let sections = h.sections(e, b).unwrap();
        assert!(!sections.iter().any(|s| s.sh_type(e) == elf::SHT_DYNAMIC));
        let syms = sections.symbols(e, b, elf::SHT_SYMTAB).unwrap();
        let (i, sym) = syms
            .enumerate()
            .find(|(_, s)| syms.symbol_name(e, s).unwrap() == b"_depends_on")
            .unwrap();
        assert_eq!(sym.st_bind(), elf::STB_GLOBAL);
        assert_eq!(sym.st_type(), elf::STT_OBJECT);
        let sec = syms.symbol_section(e, sym, i).unwrap().unwrap();
        let shdr = sections.section(sec).unwrap();
        assert_ne!(shdr.sh_flags(e).0 & elf::SHF_ALLOC.0, 0);
        let data = shdr.data(e, b).unwrap();
        let v: u64 = sym.st_value(e).into();
        let n: u64 = sym.st_size(e).into();
        assert!(v > 0, "the string does not start the section");
        assert_eq!(
            &data[v as usize..(v + n) as usize],
            b"misc/scsi misc/cmlb\0"
        );
    }
    let deps = ["misc/scsi", "misc/cmlb"];
    inspect::<elf::FileHeader32<Endianness>>(&module(Isa::I386, DepForm::DependsOn, &deps));
    inspect::<elf::FileHeader64<Endianness>>(&module(Isa::Amd64, DepForm::DependsOn, &deps));
}

#[test]
fn names_split_at_spaces_and_tabs_like_do_dependents() {
    for isa in BOTH {
        for form in FORMS {
            // One string in _depends_on, one DT_NEEDED entry holding blanks.
            let b = module(isa, form, &[" misc/scsi\tdrv/ip  misc/cmlb\t"]);
            let info = module_deps(&b).unwrap();
            assert_eq!(info.dependencies, ["misc/scsi", "drv/ip", "misc/cmlb"]);
        }
        // An empty _depends_on string is the older form with no names.
        let info = module_deps(&module(isa, DepForm::DependsOn, &[])).unwrap();
        assert_eq!(info.form, DepForm::DependsOn);
        assert!(info.dependencies.is_empty());
    }
}

#[test]
fn files_that_are_not_modules() {
    let not = |b: &[u8]| {
        let e = module_deps(b).unwrap_err();
        assert!(e.is_not_a_module(), "{e}");
        e
    };
    assert!(matches!(not(b""), ModDepsError::NotElf));
    assert!(matches!(not(b"#!/bin/sh\n"), ModDepsError::NotElf));
    assert!(matches!(
        not(b"\x7fELF\x02\x01"),
        ModDepsError::TruncatedHeader
    ));
    assert!(matches!(
        not(&exec(Isa::Amd64)),
        ModDepsError::NotRelocatable {
            isa: Isa::Amd64,
            e_type: 2
        }
    ));
    // ET_DYN (a shared library) is refused like ET_EXEC.
    let mut so = module(Isa::I386, DepForm::None, &[]);
    so[16] = 3;
    assert!(matches!(
        not(&so),
        ModDepsError::NotRelocatable { e_type: 3, .. }
    ));
    // Another machine (ARM), and a 64-bit class with the i386 machine.
    let mut arm = module(Isa::I386, DepForm::None, &[]);
    arm[18] = 40;
    assert!(matches!(
        not(&arm),
        ModDepsError::ForeignElf {
            class: 1,
            data: 1,
            machine: 40
        }
    ));
    let mut mixed = module(Isa::Amd64, DepForm::None, &[]);
    mixed[18] = 3;
    assert!(matches!(
        not(&mixed),
        ModDepsError::ForeignElf { class: 2, .. }
    ));
    // Big-endian is not x86.
    let mut be = module(Isa::Amd64, DepForm::None, &[]);
    be[5] = 2;
    assert!(matches!(not(&be), ModDepsError::ForeignElf { data: 2, .. }));
}

#[test]
fn broken_modules_are_errors_not_panics() {
    for isa in BOTH {
        for form in FORMS {
            let good = module(isa, form, &["misc/scsi"]);
            // Cut short: the section headers are at the end.
            for len in [20, 40, 52, 64, good.len() / 2, good.len() - 1] {
                let e = module_deps(&good[..len]).unwrap_err();
                assert!(!e.is_not_a_module(), "{isa} {form} {len}: {e}");
                assert_eq!(e.isa(), Some(isa));
            }
        }
        // _depends_on whose last byte is not NUL: krtld's "Error processing
        // dependency".
        let mut b = module(isa, DepForm::DependsOn, &["misc/scsi"]);
        let at = b.windows(10).position(|w| w == b"misc/scsi\0").unwrap();
        b[at + 9] = b'x';
        let e = module_deps(&b).unwrap_err();
        assert!(matches!(e, ModDepsError::BadDependsOn { .. }), "{e}");
        // A DT_NEEDED offset past the end of .dynstr.
        let mut b = module(isa, DepForm::Dynamic, &["misc/scsi"]);
        let needed = needed_entry_offset(&b, isa);
        let word = if isa == Isa::Amd64 { 8 } else { 4 };
        b[needed + word..needed + 2 * word].fill(0x7f);
        let e = module_deps(&b).unwrap_err();
        assert!(matches!(e, ModDepsError::BadDynamic { .. }), "{e}");
    }
}

/// File offset of the first `.dynamic` entry.
fn needed_entry_offset(b: &[u8], isa: Isa) -> usize {
    fn off<Elf: object::read::elf::FileHeader<Endian = Endianness>>(b: &[u8]) -> usize {
        let h = Elf::parse(b).unwrap();
        let e = h.endian().unwrap();
        let s = h.sections(e, b).unwrap();
        let d = s.iter().find(|s| s.sh_type(e) == elf::SHT_DYNAMIC).unwrap();
        let o: u64 = d.sh_offset(e).into();
        o as usize
    }
    match isa {
        Isa::I386 => off::<elf::FileHeader32<Endianness>>(b),
        Isa::Amd64 => off::<elf::FileHeader64<Endianness>>(b),
    }
}

#[test]
fn testkit_is_deterministic_and_validates() {
    let a = module(Isa::Amd64, DepForm::Dynamic, &["misc/scsi"]);
    assert_eq!(a, module(Isa::Amd64, DepForm::Dynamic, &["misc/scsi"]));
    let big = TestModule {
        text_len: 100_000,
        fill_seed: Some(7),
        ..TestModule::new(Isa::I386, DepForm::DependsOn, &["misc/scsi"])
    }
    .build()
    .unwrap();
    assert!(big.len() > 100_000);
    assert_eq!(module_deps(&big).unwrap().dependencies, ["misc/scsi"]);
    assert!(make_test_module(Isa::I386, DepForm::None, &["misc/scsi"]).is_err());
    assert!(make_test_module(Isa::I386, DepForm::Dynamic, &[""]).is_err());
    assert!(make_test_module(Isa::I386, DepForm::DependsOn, &["a\0b"]).is_err());
    let extra = TestModule {
        extra_depends_on: Some("misc/x"),
        ..TestModule::new(Isa::I386, DepForm::DependsOn, &[])
    };
    assert!(extra.build().is_err());
}

// ---------------------------------------------------------------- a tree

#[test]
fn consistent_proto_passes() {
    let t = proto();
    let (g, r) = report(&t);
    assert!(r.is_ok(), "{r}");
    assert!(r.missing.is_empty() && r.bad.is_empty() && r.unchecked.is_empty());
    assert_eq!((r.i386_modules, r.amd64_modules), (9, 9));
    assert_eq!(g.conf_files, 2);

    // Names drop the amd64 component; forms are recorded.
    let sd = g
        .modules
        .iter()
        .find(|m| m.path == "kernel/drv/amd64/sd")
        .unwrap();
    assert_eq!(
        (sd.name.as_str(), sd.isa, sd.form),
        ("drv/sd", Isa::Amd64, DepForm::Dynamic)
    );
    let sd32 = g
        .modules
        .iter()
        .find(|m| m.path == "kernel/drv/sd")
        .unwrap();
    assert_eq!(
        (sd32.name.as_str(), sd32.isa, sd32.form),
        ("drv/sd", Isa::I386, DepForm::DependsOn)
    );
    let gu = g
        .modules
        .iter()
        .find(|m| m.path == "kernel/amd64/genunix")
        .unwrap();
    assert_eq!(gu.name, "genunix");

    // Each ISA resolves to its own files.
    assert_eq!(
        found(&g, "kernel/drv/amd64/sd", "misc/scsi"),
        "kernel/misc/amd64/scsi"
    );
    assert_eq!(found(&g, "kernel/drv/sd", "misc/scsi"), "kernel/misc/scsi");
    assert_eq!(
        found(&g, "kernel/drv/amd64/sd", "misc/cmlb"),
        "kernel/misc/amd64/cmlb"
    );
    // From platform/i86pc/kernel and from usr/kernel.
    assert_eq!(
        found(&g, "kernel/drv/amd64/acpi_drv", "misc/acpica"),
        "platform/i86pc/kernel/misc/amd64/acpica"
    );
    assert_eq!(
        found(&g, "kernel/drv/acpi_drv", "misc/acpica"),
        "platform/i86pc/kernel/misc/acpica"
    );
    assert_eq!(
        found(&g, "kernel/sys/amd64/msgsys", "misc/ipc"),
        "usr/kernel/misc/amd64/ipc"
    );
    assert_eq!(
        found(&g, "usr/kernel/drv/fssnap", "misc/scsi"),
        "kernel/misc/scsi"
    );

    // Skipped: the kernels and the firmware; .conf files and files outside
    // the module directories are not listed.
    let skipped: Vec<&str> = g.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "kernel/firmware/blob.bin",
            "platform/i86pc/kernel/amd64/unix",
            "platform/i86pc/kernel/unix"
        ]
    );
    assert!(matches!(g.skipped[0].reason, ModDepsError::NotElf));
    assert!(matches!(
        g.skipped[1].reason,
        ModDepsError::NotRelocatable {
            isa: Isa::Amd64,
            ..
        }
    ));

    // Dependents and the modules nothing depends on.
    let scsi = g
        .modules
        .iter()
        .find(|m| m.path == "kernel/misc/amd64/scsi")
        .unwrap();
    assert_eq!(
        scsi.used_by,
        ["kernel/drv/amd64/sd", "usr/kernel/drv/amd64/fssnap"]
    );
    let unused: Vec<&str> = r.unused.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        unused,
        [
            "kernel/amd64/genunix",
            "kernel/drv/acpi_drv",
            "kernel/drv/amd64/acpi_drv",
            "kernel/drv/amd64/sd",
            "kernel/drv/sd",
            "kernel/genunix",
            "kernel/sys/amd64/msgsys",
            "kernel/sys/msgsys",
            "usr/kernel/drv/amd64/fssnap",
            "usr/kernel/drv/fssnap",
        ]
    );
    assert_eq!(
        r.unused[3].to_string(),
        "kernel/drv/amd64/sd (amd64): nothing depends on it"
    );
    assert_eq!(
        r.to_string(),
        "18 kernel modules (9 i386, 9 amd64): 0 missing dependencies, \
         0 unreadable modules, 10 modules nothing depends on\n"
    );
}

#[test]
fn removed_amd64_scsi_flags_amd64_sd_only() {
    let mut t = proto();
    let (_, before) = report(&t);
    remove(&mut t, "kernel/misc/amd64/scsi");
    let (g, r) = report(&t);
    assert!(!r.is_ok());
    // krtld's 64-bit search falls back to kernel/misc/scsi, opens the
    // 32-bit file and refuses it.
    let got: Vec<(&str, Isa, &str)> = r
        .missing
        .iter()
        .map(|m| (m.module.as_str(), m.isa, m.dependency.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("kernel/drv/amd64/sd", Isa::Amd64, "misc/scsi"),
            ("usr/kernel/drv/amd64/fssnap", Isa::Amd64, "misc/scsi"),
        ]
    );
    assert_eq!(
        lines(&r)[0],
        "kernel/drv/amd64/sd (amd64): needs misc/scsi, which is not in the tree for amd64 \
         (kernel/misc/scsi, found first, is i386)"
    );
    assert!(matches!(
        target(&g, "kernel/drv/amd64/sd", "misc/scsi"),
        Target::WrongIsa { isa: Isa::I386, path } if path == "kernel/misc/scsi"
    ));
    // The 32-bit side is untouched.
    assert_eq!(found(&g, "kernel/drv/sd", "misc/scsi"), "kernel/misc/scsi");
    assert_eq!(r.new_since(&before).len(), 2);
    assert!(r.to_string().contains("2 missing dependencies"));
}

#[test]
fn removed_scsi_both_isas_is_not_in_the_tree() {
    let mut t = proto();
    remove(&mut t, "kernel/misc/amd64/scsi");
    remove(&mut t, "kernel/misc/scsi");
    let (_, r) = report(&t);
    assert_eq!(
        lines(&r),
        [
            "kernel/drv/amd64/sd (amd64): needs misc/scsi, which is not in the tree",
            "kernel/drv/sd (i386): needs misc/scsi, which is not in the tree",
            "usr/kernel/drv/amd64/fssnap (amd64): needs misc/scsi, which is not in the tree",
            "usr/kernel/drv/fssnap (i386): needs misc/scsi, which is not in the tree",
        ]
    );
    assert!(r
        .missing
        .iter()
        .all(|m| matches!(m.problem, Target::NotInTree)));
    let text = r.to_string();
    assert!(text
        .starts_with("kernel/drv/amd64/sd (amd64): needs misc/scsi, which is not in the tree\n"));
}

#[test]
fn isas_are_resolved_independently() {
    // Only the 32-bit scsi removed: only the 32-bit dependents break.
    let mut t = proto();
    remove(&mut t, "kernel/misc/scsi");
    let (_, r) = report(&t);
    let got: Vec<(&str, Isa)> = r
        .missing
        .iter()
        .map(|m| (m.module.as_str(), m.isa))
        .collect();
    assert_eq!(
        got,
        [
            ("kernel/drv/sd", Isa::I386),
            ("usr/kernel/drv/fssnap", Isa::I386)
        ]
    );

    // A 32-bit module never looks in amd64/ directories.
    let mut t = Tree::new(0);
    put(
        &mut t,
        "kernel/drv/x",
        module(Isa::I386, DepForm::DependsOn, &["misc/only64"]),
    );
    put(
        &mut t,
        "kernel/misc/amd64/only64",
        module(Isa::Amd64, DepForm::None, &[]),
    );
    let (_, r) = report(&t);
    assert_eq!(
        lines(&r),
        ["kernel/drv/x (i386): needs misc/only64, which is not in the tree"]
    );

    // A 64-bit module found without amd64/ (MODDIR_SUFFIX fallback) is fine.
    let mut t = Tree::new(0);
    put(
        &mut t,
        "kernel/drv/amd64/x",
        module(Isa::Amd64, DepForm::Dynamic, &["misc/flat"]),
    );
    put(
        &mut t,
        "kernel/misc/flat",
        module(Isa::Amd64, DepForm::None, &[]),
    );
    let (g, r) = report(&t);
    assert!(r.is_ok(), "{r}");
    assert_eq!(
        found(&g, "kernel/drv/amd64/x", "misc/flat"),
        "kernel/misc/flat"
    );
    // ...but the 32-bit one cannot use it.
    put(
        &mut t,
        "kernel/drv/x",
        module(Isa::I386, DepForm::DependsOn, &["misc/flat"]),
    );
    let (_, r) = report(&t);
    assert_eq!(
        lines(&r),
        [
            "kernel/drv/x (i386): needs misc/flat, which is not in the tree for i386 \
          (kernel/misc/flat, found first, is amd64)"
        ]
    );
}

#[test]
fn platform_and_usr_kernel_satisfy_and_order_matters() {
    // Removing the platform copy breaks acpi_drv in both ISAs.
    let mut t = proto();
    remove(&mut t, "platform/i86pc/kernel/misc/amd64/acpica");
    remove(&mut t, "platform/i86pc/kernel/misc/acpica");
    let (_, r) = report(&t);
    let got: Vec<&str> = r.missing.iter().map(|m| m.module.as_str()).collect();
    assert_eq!(got, ["kernel/drv/acpi_drv", "kernel/drv/amd64/acpi_drv"]);

    // Removing usr/kernel's ipc breaks msgsys and fssnap.
    let mut t = proto();
    remove(&mut t, "usr/kernel/misc/amd64/ipc");
    remove(&mut t, "usr/kernel/misc/ipc");
    let (_, r) = report(&t);
    assert_eq!(r.missing.len(), 4);

    // platform/i86pc/kernel comes first, then kernel, then usr/kernel.
    let mut t = Tree::new(0);
    put(
        &mut t,
        "kernel/drv/amd64/x",
        module(Isa::Amd64, DepForm::Dynamic, &["misc/m"]),
    );
    for dir in ["platform/i86pc/kernel", "kernel", "usr/kernel"] {
        put(
            &mut t,
            &format!("{dir}/misc/amd64/m"),
            module(Isa::Amd64, DepForm::None, &[]),
        );
    }
    let (g, r) = report(&t);
    assert_eq!(
        found(&g, "kernel/drv/amd64/x", "misc/m"),
        "platform/i86pc/kernel/misc/amd64/m"
    );
    let unused: Vec<&str> = r.unused.iter().map(|u| u.path.as_str()).collect();
    assert_eq!(
        unused,
        [
            "kernel/drv/amd64/x",
            "kernel/misc/amd64/m",
            "usr/kernel/misc/amd64/m"
        ]
    );
    remove(&mut t, "platform/i86pc/kernel/misc/amd64/m");
    let (g, _) = report(&t);
    assert_eq!(
        found(&g, "kernel/drv/amd64/x", "misc/m"),
        "kernel/misc/amd64/m"
    );

    // Modules of another platform use their own platform directory first;
    // the default platform can be changed.
    let mut t = Tree::new(0);
    put(
        &mut t,
        "platform/i86xpv/kernel/drv/amd64/x",
        module(Isa::Amd64, DepForm::Dynamic, &["misc/p"]),
    );
    put(
        &mut t,
        "platform/i86xpv/kernel/misc/amd64/p",
        module(Isa::Amd64, DepForm::None, &[]),
    );
    put(
        &mut t,
        "kernel/drv/amd64/y",
        module(Isa::Amd64, DepForm::Dynamic, &["misc/p"]),
    );
    let (g, r) = report(&t);
    assert_eq!(
        found(&g, "platform/i86xpv/kernel/drv/amd64/x", "misc/p"),
        "platform/i86xpv/kernel/misc/amd64/p"
    );
    assert_eq!(
        lines(&r),
        ["kernel/drv/amd64/y (amd64): needs misc/p, which is not in the tree"]
    );
    let opts = ScanOptions {
        platform: "i86xpv".into(),
        ..ScanOptions::default()
    };
    let g = scan_with(&t, &opts, &|id| {
        mvi::moddeps::read_file_head(&t, id, opts.max_module_size)
    })
    .unwrap();
    assert!(check(&g).is_ok());
}

#[test]
fn symlinks_names_macros_and_non_modules() {
    let mut t = proto();
    // A dependency reached through symbolic links (relative and absolute).
    put(
        &mut t,
        "kernel/drv/amd64/a",
        module(Isa::Amd64, DepForm::Dynamic, &["misc/alias", "misc/abs"]),
    );
    symlink(&mut t, "kernel/misc/amd64/alias", "scsi");
    symlink(
        &mut t,
        "kernel/misc/amd64/abs",
        "/usr/kernel/misc/amd64/../amd64/ipc",
    );
    // A symlink loop is not found.
    put(
        &mut t,
        "kernel/drv/amd64/b",
        module(Isa::Amd64, DepForm::Dynamic, &["misc/loop"]),
    );
    symlink(&mut t, "kernel/misc/amd64/loop", "loop");
    // A name over krtld's limit, a macro, and a text file where a module
    // should be.
    let long = format!("misc/{}", "x".repeat(26));
    assert_eq!(long.len(), 31);
    put(
        &mut t,
        "kernel/drv/amd64/c",
        module(
            Isa::Amd64,
            DepForm::Dynamic,
            &[&long, "cpu/$CPU", "misc/text"],
        ),
    );
    put(&mut t, "kernel/misc/amd64/text", b"not a module\n".to_vec());
    put(
        &mut t,
        &format!("kernel/misc/amd64/{}", "x".repeat(26)),
        module(Isa::Amd64, DepForm::None, &[]),
    );
    // An unreadable module.
    let mut bad = module(Isa::I386, DepForm::DependsOn, &["misc/scsi"]);
    let at = bad.windows(10).position(|w| w == b"misc/scsi\0").unwrap();
    bad[at + 9] = b'!';
    put(&mut t, "kernel/drv/broken", bad);

    let (g, r) = report(&t);
    assert_eq!(
        found(&g, "kernel/drv/amd64/a", "misc/alias"),
        "kernel/misc/amd64/alias"
    );
    assert_eq!(
        found(&g, "kernel/drv/amd64/a", "misc/abs"),
        "kernel/misc/amd64/abs"
    );
    // Through the symlinks, scsi and ipc gained a dependent.
    let scsi = g
        .modules
        .iter()
        .find(|m| m.path == "kernel/misc/amd64/scsi")
        .unwrap();
    assert!(scsi.used_by.contains(&"kernel/drv/amd64/a".to_string()));
    assert_eq!(
        lines(&r),
        [
            "kernel/drv/amd64/b (amd64): needs misc/loop, which is not in the tree".to_string(),
            format!("kernel/drv/amd64/c (amd64): needs {long}, a name longer than krtld's 30-character limit"),
            "kernel/drv/amd64/c (amd64): needs misc/text, but kernel/misc/amd64/text (found first) \
             is not a kernel module: not an ELF file"
                .to_string(),
        ]
    );
    assert_eq!(r.unchecked.len(), 1);
    assert_eq!(
        r.unchecked[0].to_string(),
        "kernel/drv/amd64/c (amd64): needs cpu/$CPU, a krtld macro name (not checked)"
    );
    assert_eq!(r.bad.len(), 1);
    assert_eq!(
        (r.bad[0].path.as_str(), r.bad[0].isa),
        ("kernel/drv/broken", Isa::I386)
    );
    assert!(r.to_string().contains(
        "kernel/drv/broken (i386): cannot read its dependencies: i386 module with a bad _depends_on symbol"
    ));
    assert!(!r.is_ok());
}

#[test]
fn host_files_are_read_through_data_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |p: &str, b: &[u8]| {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    };
    write(
        "kernel/drv/amd64/sd",
        &module(Isa::Amd64, DepForm::Dynamic, &["misc/scsi"]),
    );
    write(
        "kernel/drv/sd",
        &module(Isa::I386, DepForm::DependsOn, &["misc/scsi"]),
    );
    write(
        "kernel/misc/amd64/scsi",
        &module(Isa::Amd64, DepForm::None, &[]),
    );
    write("kernel/drv/sd.conf", b"name=\"sd\";\n");
    write("kernel/misc/big", &vec![b'x'; 1 << 20]);
    let opts = fstree::WalkOptions {
        preserve_owner: false,
        time: 0,
    };
    let t = fstree::walk(root, &opts).unwrap();
    let (g, r) = report(&t);
    assert_eq!(
        lines(&r),
        ["kernel/drv/sd (i386): needs misc/scsi, which is not in the tree"]
    );
    assert_eq!(
        found(&g, "kernel/drv/amd64/sd", "misc/scsi"),
        "kernel/misc/amd64/scsi"
    );
    assert_eq!(g.skipped.len(), 1);
    assert_eq!(g.conf_files, 1);

    // A file that vanished from the host is an I/O error naming it.
    std::fs::remove_file(root.join("kernel/misc/amd64/scsi")).unwrap();
    let e = scan(&t).unwrap_err();
    assert!(
        matches!(e, ModDepsError::Io { ref path, .. } if path == "kernel/misc/amd64/scsi"),
        "{e}"
    );
}

#[test]
fn size_limit_and_empty_trees() {
    let mut t = Tree::new(0);
    let big = TestModule {
        text_len: 8192,
        ..TestModule::new(Isa::Amd64, DepForm::None, &[])
    }
    .build()
    .unwrap();
    put(&mut t, "kernel/misc/amd64/big", big);
    put(
        &mut t,
        "kernel/drv/amd64/x",
        module(Isa::Amd64, DepForm::Dynamic, &["misc/big"]),
    );
    let opts = ScanOptions {
        max_module_size: 4096,
        ..ScanOptions::default()
    };
    let g = scan_with(&t, &opts, &|id| mvi::moddeps::read_file_head(&t, id, 4096)).unwrap();
    assert_eq!(g.modules.len(), 1);
    assert!(matches!(
        g.skipped[0].reason,
        ModDepsError::TooLarge { limit: 4096, .. }
    ));
    let r = check(&g);
    assert!(
        r.missing[0].to_string().contains("is not a kernel module"),
        "{r}"
    );

    let (g, r) = report(&Tree::new(0));
    assert!(g.modules.is_empty() && r.is_ok());
    // Zero-filled files are not modules.
    let mut t = Tree::new(0);
    let (d, _) = parent_dir(&mut t, "kernel/misc/z");
    t.add(
        d,
        b"z",
        node(Kind::File {
            size: 1 << 30,
            data: Data::Zeros,
        }),
    )
    .unwrap();
    let (g, _) = report(&t);
    assert!(matches!(g.skipped[0].reason, ModDepsError::NotElf));
}

// ---------------------------------------------------------------- fuzz

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = module_deps(&bytes);
        let mut b = bytes.clone();
        if b.len() >= 4 {
            b[..4].copy_from_slice(b"\x7fELF");
        }
        let _ = module_deps(&b);
    }

    #[test]
    fn mutated_modules_never_panic(
        isa in prop_oneof![Just(Isa::I386), Just(Isa::Amd64)],
        form in prop_oneof![Just(DepForm::Dynamic), Just(DepForm::DependsOn), Just(DepForm::None)],
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let deps: &[&str] = if form == DepForm::None { &[] } else { &["misc/scsi", "drv/ip"] };
        let mut b = module(isa, form, deps);
        for (i, v) in edits {
            let at = i.index(b.len());
            b[at] = v;
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        let _ = module_deps(&b);
        // And inside a tree, as a module and as a dependency.
        let mut t = Tree::new(0);
        put(&mut t, "kernel/misc/amd64/scsi", b.clone());
        put(&mut t, "kernel/misc/scsi", b);
        put(&mut t, "kernel/drv/amd64/sd", module(Isa::Amd64, DepForm::Dynamic, &["misc/scsi"]));
        let g = scan(&t).unwrap();
        let _ = check(&g).to_string();
    }
}

//! Real and constructed menus (tests/fixtures/NOTES.md gives each origin)
//! round-trip byte for byte, read the way GRUB reads them, and lint as
//! expected against the trees mvi builds.

use std::path::{Path, PathBuf};

use grubcfg::{lint, parse_bytes, Arch, Check, DefaultEntry, Menu, Severity};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn all_fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [fixture_dir(), fixture_dir().join("rendered")] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "lst") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn load(name: &str) -> Menu {
    parse_bytes(&std::fs::read(fixture_dir().join(name)).unwrap()).unwrap()
}

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    let fixtures = all_fixtures();
    assert!(fixtures.len() >= 14, "{fixtures:?}");
    for p in fixtures {
        let bytes = std::fs::read(&p).unwrap();
        let menu = parse_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert_eq!(menu.render().as_bytes(), &bytes[..], "{}", p.display());
        menu.validate().unwrap();
        assert_eq!(
            grubcfg::parse(&menu.render()).unwrap(),
            menu,
            "{}",
            p.display()
        );
    }
}

/// What GRUB makes of each fixture: timeout, default, the entries it shows
/// with the ISAs each can boot, and the structural diagnostics.
#[test]
fn fixtures_read_as_grub_reads_them() {
    use Arch::{Amd64 as A64, I386 as A32};
    type Expect = (
        &'static str,
        Option<u32>,
        u32,
        Vec<Vec<Arch>>,
        Vec<(Option<usize>, Check)>,
    );
    let both = || vec![A64, A32];
    let table: Vec<Expect> = vec![
        (
            "illumos-gate-usr-src-grub-menu.lst",
            Some(10),
            0,
            vec![],
            vec![(None, Check::NoEntries)],
        ),
        (
            "opensolaris-2005-usr-src-grub-menu.lst",
            Some(10),
            0,
            vec![],
            vec![(None, Check::NoEntries)],
        ),
        (
            "illumos-gate-usr-src-grub-install_menu.lst",
            Some(60),
            0,
            vec![vec![A32]; 4],
            vec![],
        ),
        (
            "opensolaris-2005-install_menu.lst",
            Some(60),
            0,
            vec![vec![A32]; 3],
            vec![],
        ),
        (
            "opensolaris-2008-install_menu-from-smartos-grub-bins.lst",
            Some(60),
            0,
            vec![both(); 3],
            vec![],
        ),
        (
            "smartos-sdc-headnode-2011-menu.lst",
            Some(5),
            0,
            vec![vec![A64]; 7],
            vec![],
        ),
        (
            "tribblix-live_install-rendered-menu.lst",
            Some(3),
            0,
            vec![both()],
            vec![],
        ),
        (
            "tribblix-ufs_install-rendered-menu.lst",
            Some(3),
            0,
            vec![both()],
            vec![],
        ),
        (
            "bootadm-style-constructed.lst",
            Some(10),
            0,
            vec![both(), vec![A32]],
            vec![],
        ),
        (
            "libbe-style-constructed.lst",
            Some(30),
            0,
            vec![both()],
            vec![],
        ),
        (
            "mvi-5734bab-appended-to-gate-menu.lst",
            Some(10),
            0,
            vec![both(), both(), both(), vec![]],
            vec![],
        ),
        (
            "mvi-5734bab-stanzas-on-empty-menu.lst",
            None,
            0,
            vec![both(), both(), both(), vec![]],
            vec![(None, Check::NoTimeout)],
        ),
        (
            "edge-cases-synthetic.lst",
            Some(5),
            0,
            vec![both(), vec![]],
            vec![
                (Some(12), Check::ContinuedComment),
                (Some(16), Check::UnknownCommand),
            ],
        ),
    ];
    for (name, timeout, default, arches, diags) in table {
        let m = load(name);
        assert_eq!(m.timeout(), timeout, "{name}");
        assert_eq!(m.default_entry(), DefaultEntry::Index(default), "{name}");
        let got: Vec<Vec<Arch>> = m.boot_entries().map(|e| e.arches()).collect();
        assert_eq!(got, arches, "{name}");
        let got: Vec<_> = m.diagnostics().iter().map(|d| (d.line, d.check)).collect();
        assert_eq!(got, diags, "{name}");
    }
}

#[test]
fn edge_cases_are_read_like_grub() {
    let m = load("edge-cases-synthetic.lst");
    let e: Vec<_> = m.entries().collect();
    assert_eq!(
        e[0].title(),
        "Edge case one  ",
        "title keeps trailing blanks"
    );
    let k = e[0].kernel().unwrap();
    assert_eq!(
        k.args(),
        "/platform/i86pc/kernel/$ISADIR/unix        -B console=ttya"
    );
    assert!(
        !e[0].commands().any(|c| c.name() == "kernal"),
        "the line after a comment ending in a backslash is part of the comment"
    );
    assert_eq!(e[1].title(), "Second", "`title=Second`");
    let serial = m.global_commands("serial").next().unwrap();
    assert_eq!(
        (serial.separator(), serial.args()),
        ("\t", "--unit=0 --speed=9600")
    );
}

// Trees as mvi builds them (illumos-boot.md §1.4): what stays on the ISO.
const MVI_64_32: &[&str] = &[
    "/platform/i86pc/kernel/unix",
    "/platform/i86pc/kernel/amd64/unix",
    "/platform/i86pc/boot_archive",
    "/boot/grub/stage2_eltorito",
    "/boot/grub/menu.lst",
];
// The `32bit` option removes every amd64 directory.
const MVI_32_ONLY: &[&str] = &[
    "/platform/i86pc/kernel/unix",
    "/platform/i86pc/boot_archive",
];

fn lint_on(name: &str, tree: &[&str]) -> Vec<(Option<usize>, Check, Severity)> {
    lint(&load(name), &|p| tree.contains(&p))
        .iter()
        .map(|d| (d.line, d.check, d.severity))
        .collect()
}

#[test]
fn mvi_2016_menu_on_its_trees() {
    let name = "mvi-5734bab-appended-to-gate-menu.lst";
    assert_eq!(lint_on(name, MVI_64_32), []);
    // mvix.sh 32bit: the menu still says $ISADIR, so every 64-bit CPU fails.
    let trap: Vec<_> = [55, 58, 61]
        .map(|l| (Some(l), Check::IsadirTrap, Severity::Error))
        .into();
    assert_eq!(lint_on(name, MVI_32_ONLY), trap);
    // Stanzas alone: also no timeout.
    let d = lint_on("mvi-5734bab-stanzas-on-empty-menu.lst", MVI_64_32);
    assert_eq!(d, [(None, Check::NoTimeout, Severity::Warning)]);
}

#[test]
fn other_distributions_menus_on_an_mvi_tree() {
    // SmartOS expects platform/i86pc/amd64/boot_archive and a splash image.
    let d = lint_on("smartos-sdc-headnode-2011-menu.lst", MVI_64_32);
    assert_eq!(d[0], (Some(4), Check::MissingFile, Severity::Warning));
    let modules: Vec<_> = (0..7)
        .map(|i| (Some(9 + 4 * i), Check::MissingFile, Severity::Error))
        .collect();
    assert_eq!(d[1..], modules);
    // libbe's module$ /platform/i86pc/$ISADIR/boot_archive finds only mvi's
    // single archive on a 32-bit CPU; $ZFS-BOOTFS does not expand off ZFS.
    let d = lint_on("libbe-style-constructed.lst", MVI_64_32);
    assert_eq!(
        d,
        [
            (Some(1), Check::MissingFile, Severity::Warning),
            (Some(8), Check::ZfsBootfsOffZfs, Severity::Warning),
            (Some(9), Check::IsadirTrap, Severity::Error),
        ]
    );
    // findroot moves GRUB's root off the media: nothing there to check.
    assert_eq!(lint_on("tribblix-ufs_install-rendered-menu.lst", &[]), []);
    // The synthetic menu is clean apart from its deliberate oddities.
    let d = lint_on("edge-cases-synthetic.lst", MVI_64_32);
    assert!(d.iter().all(|d| d.2 == Severity::Warning), "{d:?}");
}

//! Golden menus from `MenuSpec`: the exact text mvi writes for a few
//! representative specs (tests/fixtures/rendered/). Regenerate with
//! `GRUBCFG_UPDATE_GOLDEN=1 cargo test -p grubcfg --test golden` and review
//! the diff.

use std::path::Path;

use grubcfg::{has_errors, lint, parse, Arch, Console, Dialect, MenuSpec};

fn specs() -> Vec<(&'static str, MenuSpec)> {
    vec![
        ("default.lst", MenuSpec::default()),
        (
            // What mvi 2016 meant: both ISAs via $ISADIR, serial console, a
            // way back to the hard disk.
            "illumos-64-32-ttya-harddisk.lst",
            MenuSpec {
                arches: vec![Arch::Amd64, Arch::I386],
                console: Console::Ttya,
                boot_flags: vec!["-v".into()],
                hard_disk_entry: true,
                ..MenuSpec::default()
            },
        ),
        (
            // Stock GRUB 0.97 (the QEMU oracle): explicit paths, select each
            // stanza with `default`.
            "plain-64-32.lst",
            MenuSpec {
                title: "mvi".into(),
                arches: vec![Arch::Amd64, Arch::I386],
                dialect: Dialect::Plain,
                timeout: Some(5),
                default: 1,
                ..MenuSpec::default()
            },
        ),
        (
            // A 32-bit-only tree (mvix.sh 32bit), ttyb, kmdb, an ACPI property.
            "i386-ttyb-kmdb.lst",
            MenuSpec {
                title: "mvi 32-bit".into(),
                arches: vec![Arch::I386],
                console: Console::Ttyb,
                boot_flags: vec!["-k".into(), "-B acpi-user-options=0x2".into()],
                timeout: Some(3),
                ..MenuSpec::default()
            },
        ),
    ]
}

#[test]
fn rendered_menus_match_the_goldens() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rendered");
    let update = std::env::var_os("GRUBCFG_UPDATE_GOLDEN").is_some();
    let full_tree = [
        "/platform/i86pc/kernel/unix",
        "/platform/i86pc/kernel/amd64/unix",
        "/platform/i86pc/boot_archive",
    ];
    for (name, spec) in specs() {
        let menu = spec.to_menu().unwrap();
        let text = menu.render();
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let golden =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(text, golden, "{name}");
        assert_eq!(parse(&golden).unwrap(), menu, "{name}");
        let diags = lint(&menu, &|p| full_tree.contains(&p));
        assert!(!has_errors(&diags), "{name}: {diags:?}");
    }
}

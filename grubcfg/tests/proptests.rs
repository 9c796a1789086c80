//! Properties: every rendered menu parses back to the same model, any text
//! that parses renders back byte for byte, and the lint agrees with the
//! spec about ISAs.

use grubcfg::{
    lint, parse, Arch, Blank, Check, Command, Comment, Console, DefaultEntry, Dialect, Entry, Eol,
    Item, Menu, MenuSpec, Severity,
};
use proptest::prelude::*;

fn arches() -> impl Strategy<Value = Vec<Arch>> {
    prop_oneof![
        Just(vec![Arch::Amd64]),
        Just(vec![Arch::I386]),
        Just(vec![Arch::Amd64, Arch::I386]),
        Just(vec![Arch::I386, Arch::Amd64]),
    ]
}

fn boot_flags() -> impl Strategy<Value = Vec<String>> {
    let word = prop_oneof![
        Just("-k".to_string()),
        Just("-v".to_string()),
        Just("-s".to_string()),
        Just("-kv -d".to_string()),
        Just("-m milestone=none".to_string()),
        Just("-B acpi-user-options=0x2".to_string()),
        Just("-Blivessh=enable".to_string()),
        Just("-B ttya-mode=\"115200,8,n,1,-\"".to_string()),
        "[a-z][a-z-]{0,8}=[a-z0-9]{1,6}(,[a-z][a-z-]{0,8}=[a-z0-9]{1,6}){0,2}"
            .prop_map(|p| format!("-B {p}")),
        "-[a-z]{1,3}",
    ];
    prop::collection::vec(word, 0..5)
}

prop_compose! {
    fn spec()(
        title in "[A-Za-z0-9][A-Za-z0-9 ()._+#-]{0,30}[A-Za-z0-9)]",
        arches in arches(),
        plain in any::<bool>(),
        console in prop_oneof![Just(Console::Text), Just(Console::Ttya), Just(Console::Ttyb)],
        boot_flags in boot_flags(),
        timeout in prop::option::of(prop_oneof![0u32..100, 0u32..=0x7fff_ffff]),
        hard_disk_entry in any::<bool>(),
        default_seed in any::<u32>(),
    ) -> MenuSpec {
        let entries = arches.len() as u32 + u32::from(hard_disk_entry);
        MenuSpec {
            title,
            arches,
            dialect: if plain { Dialect::Plain } else { Dialect::Illumos },
            console,
            boot_flags,
            timeout,
            default: default_seed % entries,
            hard_disk_entry,
        }
    }
}

const FULL_TREE: &[&str] = &[
    "/platform/i86pc/kernel/unix",
    "/platform/i86pc/kernel/amd64/unix",
    "/platform/i86pc/boot_archive",
];
const TREE_32: &[&str] = &[
    "/platform/i86pc/kernel/unix",
    "/platform/i86pc/boot_archive",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rendered_specs_parse_back_to_the_same_model(spec in spec()) {
        let menu = spec.to_menu().unwrap();
        menu.validate().unwrap();
        let text = menu.render();
        let back = parse(&text).unwrap();
        prop_assert_eq!(&back, &menu);
        prop_assert_eq!(back.render(), text);

        // The model says what the spec said.
        prop_assert_eq!(back.timeout(), spec.timeout);
        prop_assert_eq!(back.default_entry(), DefaultEntry::Index(spec.default));
        let entries: Vec<_> = back.boot_entries().collect();
        prop_assert_eq!(entries.len(), spec.entry_count());
        for (e, &arch) in entries.iter().zip(&spec.arches) {
            let expect = match (arch, spec.dialect) {
                (Arch::Amd64, Dialect::Illumos) => vec![Arch::Amd64, Arch::I386],
                (Arch::Amd64, Dialect::Plain) => vec![Arch::Amd64],
                (Arch::I386, _) => vec![Arch::I386],
            };
            prop_assert_eq!(e.arches(), expect);
            prop_assert_eq!(e.title(), spec.entry_title(arch));
        }

        // On a complete tree the only possible finding is a missing timeout.
        let diags = lint(&menu, &|p| FULL_TREE.contains(&p));
        let expect: Vec<Check> = if spec.timeout.is_none() { vec![Check::NoTimeout] } else { vec![] };
        prop_assert_eq!(diags.iter().map(|d| d.check).collect::<Vec<_>>(), expect);

        // On a 32-bit-only tree, exactly the $ISADIR entries hit the trap.
        let diags = lint(&menu, &|p| TREE_32.contains(&p));
        let traps = diags.iter().filter(|d| d.check == Check::IsadirTrap).count();
        let isadir = spec.dialect == Dialect::Illumos && spec.arches.contains(&Arch::Amd64);
        prop_assert_eq!(traps, usize::from(isadir));
        let missing = diags.iter().filter(|d| d.check == Check::MissingFile).count();
        let plain64 = spec.dialect == Dialect::Plain && spec.arches.contains(&Arch::Amd64);
        prop_assert_eq!(missing, usize::from(plain64));
    }

    #[test]
    fn any_text_that_parses_renders_back(
        text in prop::collection::vec(
            prop_oneof![
                Just(" "), Just("\t"), Just("\r"), Just("\n"), Just("\r\n"), Just("\\"), Just("#"), Just("="),
                Just("title"), Just("kernel$"), Just("module"), Just("timeout"), Just("default"), Just("fallback"),
                Just("min_mem64"), Just("root"), Just("$ISADIR"), Just("/platform/i86pc/kernel/"), Just("0"),
                Just("7"), Just("x"), Just("é"), Just("-1"), Just("saved"),
            ],
            0..40,
        ).prop_map(|v| v.concat())
    ) {
        match parse(&text) {
            Ok(menu) => {
                prop_assert_eq!(menu.render(), text.clone());
                menu.validate().unwrap();
                prop_assert_eq!(parse(&menu.render()).unwrap(), menu.clone());
                // Diagnostics never point past the end of the file.
                let lines = text.split('\n').count();
                for d in menu.diagnostics() {
                    prop_assert!(d.line.is_none_or(|l| l >= 1 && l <= lines), "{} in {:?}", d, text);
                }
            }
            Err(e) => {
                let lines = text.split('\n').count();
                prop_assert!(e.line() >= 1 && e.line() <= lines && e.column() >= 1, "{} in {:?}", e, text);
            }
        }
    }

    #[test]
    fn valid_models_round_trip(
        ops in prop::collection::vec((0u8..6, "[a-z$_]{1,8}", r"[!-\[\]-~]([ -\[\]-~]{0,12}[!-\[\]-~])?", any::<bool>()), 0..30),
        last_without_eol in any::<bool>(),
    ) {
        let mut menu = Menu::new();
        for (op, name, args, crlf) in ops {
            let eol = if crlf { Eol::CrLf } else { Eol::Lf };
            match op {
                _ if name == "title" || args.starts_with('=') => {}
                0 => menu.push_line(Blank::with_whitespace(if crlf { " \t" } else { "" }).unwrap().with_eol(eol)),
                1 => menu.push_line(Comment::new(&format!(" {args}")).unwrap().with_indent("  ").unwrap().with_eol(eol)),
                2 => menu.items.push(Item::Entry(Entry::new(&args).unwrap())),
                3 => menu.push_line(Command::new(&name, &args).unwrap().with_separator("=").unwrap().with_eol(eol)),
                4 => menu.push_line(Command::new(&name, "").unwrap().with_indent("\t").unwrap().with_eol(eol)),
                _ => menu.push_line(Command::new(&name, &args).unwrap().with_separator(" \t ").unwrap()),
            }
        }
        if last_without_eol {
            // Only a non-empty last line may lack an ending.
            let last = match menu.items.last_mut() {
                Some(Item::Entry(e)) => e.lines.last_mut(),
                Some(Item::Line(l)) => Some(l),
                None => None,
            };
            if let Some(grubcfg::Line::Command(c)) = last {
                *c = c.clone().with_eol(Eol::None);
            }
        }
        menu.validate().unwrap();
        let text = menu.render();
        prop_assert_eq!(parse(&text).unwrap(), menu);
    }
}

#[test]
fn trap_is_reported_as_an_error_with_the_entry_line() {
    let spec = MenuSpec {
        arches: vec![Arch::Amd64],
        ..MenuSpec::default()
    };
    let diags = lint(&spec.to_menu().unwrap(), &|p| TREE_32.contains(&p));
    assert_eq!(diags.len(), 1);
    assert_eq!(
        (diags[0].line, diags[0].severity, diags[0].check),
        (Some(4), Severity::Error, Check::IsadirTrap)
    );
}

//! The menu.lst parser on any bytes: a menu that parses renders back to
//! exactly its input and parses again to the same model; diagnostics,
//! `$ISADIR` arches and the lint against a tree never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(menu) = grubcfg::parse_bytes(data) else {
        return;
    };
    let text = menu.render();
    assert_eq!(text.as_bytes(), data, "render is not lossless");
    assert_eq!(grubcfg::parse(&text).expect("rendered menu parses"), menu);
    let _ = menu.diagnostics();
    let _ = menu.timeout();
    for e in menu.entries() {
        let _ = e.arches();
    }
    let tree = [
        "/platform/i86pc/kernel/unix",
        "/platform/i86pc/boot_archive",
    ];
    let _ = grubcfg::lint(&menu, &|p| tree.contains(&p));
});

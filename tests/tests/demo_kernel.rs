//! The multiboot test kernel `mvi demo` embeds (cli/assets/mbkernel.bin) is
//! exactly what nasm makes of tests/oracle/mbkernel.asm, so the demo's
//! kernel is the project's own source, assembled, and nothing else.

#[test]
fn embedded_demo_kernel_is_the_assembled_source() {
    let built = mvi_tests::grub_boot::multiboot_kernel().unwrap_or_else(|e| panic!("{e}"));
    let built = std::fs::read(built).unwrap();
    let embedded = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cli/assets/mbkernel.bin"
    ))
    .unwrap();
    assert_eq!(built.len(), embedded.len());
    assert!(built == embedded, "cli/assets/mbkernel.bin is stale: run `nasm -f bin -o cli/assets/mbkernel.bin tests/oracle/mbkernel.asm`");
}

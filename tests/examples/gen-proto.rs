//! Write the generated proto area of realistic shape (`mvi_tests::proto`)
//! to a directory, for benchmarks and for trying `mvi build` by hand:
//!
//! ```text
//! cargo run --release -p mvi-tests --example gen-proto -- /tmp/proto
//! mvi build /tmp/proto -o /tmp/mvi.iso --boot-image stage2_eltorito
//! ```

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir] = args.as_slice() else {
        eprintln!("usage: gen-proto DIR   (DIR must not exist)");
        std::process::exit(2);
    };
    match mvi_tests::proto::generate(std::path::Path::new(dir)) {
        Ok(s) => println!(
            "{dir}: {} files, {} bytes, {} kernel modules",
            s.files, s.bytes, s.modules
        ),
        Err(e) => {
            eprintln!("gen-proto: {e}");
            std::process::exit(2);
        }
    }
}

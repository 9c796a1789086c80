//! `mvi ls -R`, `mvi cat` and `mvi check` through the mvi library's
//! in-memory path (`mvi::image::inflate_bytes`, then `inspect::*_image`).
//! A gzip input is inflated as it is (damaged, truncated, multi-member or
//! explosive streams); any other input is decoded by `mvi_fuzz::expand`
//! and gzip-wrapped (stored blocks) first, so image mutations reach the same path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::Path;

/// What the gzip path may inflate to: more is an error, never memory.
const LIMIT: u64 = 8 << 20;

fuzz_target!(|data: &[u8]| {
    let gz = if data.starts_with(&[0x1f, 0x8b]) {
        data.to_vec()
    } else {
        // Stored blocks: cheap to make and to inflate, same gzip framing.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
        e.write_all(&mvi_fuzz::expand(data)).unwrap();
        e.finish().unwrap()
    };
    let Ok(img) = mvi::image::inflate_bytes(gz, LIMIT) else {
        return;
    };
    assert!(img.len() as u64 <= LIMIT);
    let name = Path::new("fuzz.img");
    let mut listing = Vec::new();
    let _ = mvi::inspect::ls_image(img.as_slice(), name, b"/", true, &mut listing);
    let _ = mvi::inspect::ls_image(img.as_slice(), name, b"/", false, &mut mvi_fuzz::Count(0));
    let _ = mvi::inspect::check_image(img.as_slice());
    // cat the first files the listing names (the name is the last field of
    // a line; escaped names may not resolve, which is fine), and paths that
    // try to climb out.
    let text = String::from_utf8_lossy(&listing);
    let mut paths: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split(' ').next_back())
        .take(8)
        .map(|p| p.as_bytes().to_vec())
        .collect();
    paths.push(b"../../x".to_vec());
    paths.push(b"/a/../../etc/passwd".to_vec());
    for p in paths {
        let _ = mvi::inspect::cat_image(img.as_slice(), name, &p, &mut mvi_fuzz::Count(0));
    }
});

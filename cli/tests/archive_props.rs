//! Property tests of `mvi::archive::compress`: for random inputs (random,
//! runs, repeats near and past the 32 KiB window) and random chunkings, the
//! member inflates to the input (flate2's gzip reader, the member alone:
//! nothing after the trailer), the trailer holds the CRC-32 and ISIZE, and
//! the bytes do not depend on the thread count.

use mvi::archive::{compress, gzip_header, GzipOptions};
use proptest::prelude::*;
use std::io::Read;

/// Input pieces: random bytes, a run of one byte, or a copy of earlier
/// input from `distance` back (within or past the deflate window).
#[derive(Debug, Clone)]
enum Piece {
    Random(Vec<u8>),
    Run(u8, usize),
    Copy { distance: usize, len: usize },
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..5000).prop_map(Piece::Random),
        (any::<u8>(), 0usize..70_000).prop_map(|(b, n)| Piece::Run(b, n)),
        (1usize..80_000, 0usize..40_000).prop_map(|(distance, len)| Piece::Copy { distance, len }),
    ]
}

fn build(pieces: &[Piece]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    for p in pieces {
        match p {
            Piece::Random(b) => out.extend_from_slice(b),
            Piece::Run(b, n) => out.extend(std::iter::repeat_n(*b, *n)),
            Piece::Copy { distance, len } => {
                if out.is_empty() {
                    continue;
                }
                let start = out.len().saturating_sub(*distance);
                for i in 0..*len {
                    out.push(out[start + i]);
                }
            }
        }
    }
    out
}

fn inflate(gz: &[u8]) -> Vec<u8> {
    let mut d = flate2::bufread::GzDecoder::new(gz);
    let mut out = Vec::new();
    d.read_to_end(&mut out).expect("inflate");
    // One member, nothing after it.
    assert!(d.into_inner().is_empty(), "bytes after the member");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_for_any_chunking(
        pieces in prop::collection::vec(piece(), 0..12),
        chunk in prop_oneof![1usize..64, 64usize..40_000, 30_000usize..140_000],
        level in 1u32..=9,
        threads in 2usize..6,
    ) {
        let mut data = build(&pieces);
        if chunk < 64 {
            // Tiny chunks: keep the chunk count (and the run time) reasonable.
            data.truncate(20_000);
        }
        let opts = GzipOptions { level, threads: 1, chunk_size: chunk };
        let mut one = Vec::new();
        let summary = compress(&data[..], &mut one, &opts).unwrap();
        prop_assert_eq!(summary.input_bytes, data.len() as u64);
        prop_assert_eq!(summary.output_bytes, one.len() as u64);
        prop_assert_eq!(summary.chunks, (data.len().div_ceil(chunk)).max(1) as u64);
        prop_assert_eq!(&one[..10], &gzip_header(level)[..]);
        let n = one.len();
        prop_assert_eq!(&one[n - 8..n - 4], &crc32fast::hash(&data).to_le_bytes()[..]);
        prop_assert_eq!(&one[n - 4..], &(data.len() as u32).to_le_bytes()[..]);
        prop_assert!(inflate(&one) == data, "inflated bytes differ");
        let mut many = Vec::new();
        compress(&data[..], &mut many, &GzipOptions { threads, ..opts }).unwrap();
        prop_assert!(many == one, "{} threads differ from 1", threads);
    }
}

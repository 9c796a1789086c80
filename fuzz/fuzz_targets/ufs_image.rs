//! The UFS reader and checker on any bytes: the input as it is, and the
//! input decoded by `mvi_fuzz::expand` (how the seeds, valid images, are
//! stored, so mutations hit superblocks, cylinder groups, inodes and
//! directories).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mvi_fuzz::ufs_exercise(data);
    mvi_fuzz::ufs_exercise(&mvi_fuzz::expand(data));
});

//! The ISO 9660 reader and checker on any bytes: the input as it is, and
//! the input decoded by `mvi_fuzz::expand` (how the seeds, valid images,
//! are stored, so mutations hit descriptors, path tables, records, SUSP
//! and the boot catalog).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mvi_fuzz::iso_exercise(data);
    mvi_fuzz::iso_exercise(&mvi_fuzz::expand(data));
});

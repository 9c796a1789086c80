//! ISO 9660 (ECMA-119) images with Rock Ridge, El Torito and optional Joliet.
//!
//! *Plan, then write*: [`plan()`] is a pure function from an [`fstree::Tree`]
//! and [`Options`] to an [`IsoLayout`] (names, record order, every LBA, the
//! boot catalog and the boot info table); [`write()`] streams the image
//! sequentially. [`read`] lists and reads images; [`check`] verifies what
//! validators miss. Facts: `shared/reference/iso9660-eltorito.md`.
#![deny(missing_docs)]

pub mod check;
pub mod encode;
mod error;
pub mod names;
mod plan;
pub mod read;
pub mod susp;
mod write;
mod write_error;

pub use error::IsoError;
pub use names::NameMode;
pub use plan::{
    boot_info_checksum, dir_bytes_len, path_table_size, plan, record_len, BootLayout, BootOptions,
    Dir, FileData, IsoLayout, Options, Record, Rename, Target, MAX_DEPTH, MAX_EXTENT, PAD_SECTORS,
    RR_MOVED,
};
pub use write::{
    boot_catalog, boot_record, dir_bytes, encode_record, path_table, volume_descriptor, write,
    write_with_progress, WriteStats,
};
pub use write_error::WriteError;

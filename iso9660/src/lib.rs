//! ISO 9660 (ECMA-119) images with Rock Ridge, El Torito and optional Joliet.
//!
//! *Plan, then write*: [`plan()`] is a pure function from an [`fstree::Tree`]
//! and [`Options`] to an [`IsoLayout`] (names, record order, every LBA, the
//! boot catalog and the boot info table); [`write()`] streams the image
//! sequentially. [`read`] lists and reads images; [`check`] verifies what
//! validators miss. Facts: `shared/reference/iso9660-eltorito.md`.
#![deny(missing_docs)]

pub mod check;
pub mod read;

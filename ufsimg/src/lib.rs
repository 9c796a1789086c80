//! Solaris/illumos x86 UFS images, made from a directory tree on any host.
//!
//! The crate follows *plan, then write*:
//! * [`plan`] is a pure function from an [`fstree::Tree`] and [`Params`] to a
//!   [`Layout`]: the mkfs geometry (illumos `newfs` on a `lofi` device, as
//!   Peter Tribble's mvi used), every superblock field, every cylinder group,
//!   every inode number and every fragment address;
//! * [`write`] streams the image to any `Write` strictly sequentially, file
//!   data through fixed buffers, and asserts it matches the plan;
//! * [`Reader`] lists, stats and reads an image by path;
//! * [`check()`] runs fsck passes 1–5 and names each problem it finds.
//!
//! On-disk structures live in [`format`]. Facts: `shared/reference/ufs-format.md`.
#![deny(missing_docs)]

pub mod check;
mod error;
pub mod format;
mod plan;
pub mod read;
mod write;

pub use check::{check, CheckReport, Problem};
pub use error::UfsError;
pub use plan::{plan, Geometry, Layout, Params, SizeSpec};
pub use read::{ReadAt, Reader, Stat};
pub use write::{write, write_with_progress, WriteStats};

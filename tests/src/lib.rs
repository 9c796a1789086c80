//! Test support for mvi end-to-end and oracle tests.
//!
//! * [`tree_manifest`]: the manifest an image built from a [`fstree::Tree`]
//!   should show (one line per path: type, mode, owner, size, link count,
//!   device numbers, SHA-256, symlink target);
//! * [`linux_ufs_manifest`]: the same manifest as Linux's own UFS driver
//!   sees it, from a QEMU guest that mounts the image; and
//!   [`check_ufs_image_with_linux`], which compares the two;
//! * [`oracle_env`]: where `scripts/setup-test-deps.sh` put the kernel,
//!   modules and GRUB legacy files; oracle tests fail (never skip) when it
//!   has not been run;
//! * [`grub_boot::boot_iso`]: boot an ISO with GRUB legacy under QEMU; a
//!   multiboot test kernel reports the command line and each module's
//!   length and checksum, to compare with the host's bytes
//!   ([`grub_boot::module_expectation`]);
//! * [`proto::generate`]: a ~3,000-file, ~100 MB proto area of realistic
//!   shape, and [`proto::expected_tree`], the root tree a build of it must
//!   hold, computed without mvi's rule engine.
#![deny(missing_docs)]

pub mod cache;
pub mod cpio;
pub mod grub_boot;
pub mod linux_ufs;
pub mod manifest;
pub mod proto;
mod util;

pub use cache::{cache_dir, manifest_program, oracle_env, OracleEnv};
pub use linux_ufs::{
    check_ufs_image_with_linux, linux_ufs_manifest, linux_ufs_manifest_with, LinuxUfsOptions,
    LinuxUfsResult,
};
pub use manifest::{manifest_diff, tree_manifest};

#[cfg(test)]
mod crosscheck;
pub mod iso_validators;

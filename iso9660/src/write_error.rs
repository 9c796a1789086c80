//! Errors from planning and writing an image.

use std::path::PathBuf;

/// Why an image cannot be planned or written. Each variant names the path
/// (inside the tree, or on the host) and the limit crossed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The boot image path is not a regular file in the tree.
    #[error("boot image {path}: not a regular file in the tree")]
    BootImageMissing {
        /// Path inside the tree.
        path: String,
    },
    /// The boot image bytes handed to the planner differ in length from the tree's file.
    #[error("boot image {path}: {given} bytes given, the tree says {expected}")]
    BootImageMismatch {
        /// Path inside the tree.
        path: String,
        /// Bytes given.
        given: u64,
        /// Size in the tree.
        expected: u64,
    },
    /// A boot image too short for a boot info table.
    #[error("boot image {path}: {len} bytes, a boot info table needs at least 64")]
    BootImageTooSmall {
        /// Path inside the tree.
        path: String,
        /// Its length.
        len: u64,
    },
    /// The boot image is larger than El Torito's 32-bit size field or BIOS can load.
    #[error("boot image {path}: {len} bytes, at most 4294967295")]
    BootImageTooLarge {
        /// Path inside the tree.
        path: String,
        /// Its length.
        len: u64,
    },
    /// The load size asks for more than the image holds.
    #[error("boot load size {sectors} × 512 bytes exceeds the {len}-byte boot image {path} (rounded up to 2048-byte sectors)")]
    LoadSize {
        /// Path inside the tree.
        path: String,
        /// Virtual 512-byte sectors requested.
        sectors: u16,
        /// Image length.
        len: u64,
    },
    /// The catalog path is unusable.
    #[error("boot catalog {path}: {why}")]
    Catalog {
        /// Path inside the tree.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// A volume identifier that does not fit.
    #[error("volume id {id:?}: {why}")]
    VolumeId {
        /// The identifier.
        id: String,
        /// What is wrong.
        why: String,
    },
    /// A file too large for the chosen level.
    #[error("{path}: file is {size} bytes; ISO level {level} allows at most {limit} (use level 3 for multi-extent files)")]
    FileTooLarge {
        /// Path inside the tree.
        path: String,
        /// File size.
        size: u64,
        /// The level.
        level: u8,
        /// The limit, bytes.
        limit: u64,
    },
    /// More directories than a path table can number.
    #[error("{count} directories; ISO 9660 path tables number at most 65535")]
    TooManyDirs {
        /// Directories in the tree.
        count: usize,
    },
    /// The image would exceed the 32-bit volume size.
    #[error("the image needs {sectors} sectors; ISO 9660 allows at most 4294967295")]
    TooLarge {
        /// Sectors needed.
        sectors: u64,
    },
    /// A Rock Ridge entry that cannot fit a continuation area.
    #[error("{path}: Rock Ridge data of {len} bytes does not fit one 2048-byte continuation area")]
    SuspTooLarge {
        /// Path inside the tree.
        path: String,
        /// Bytes needed.
        len: usize,
    },
    /// A parameter outside the supported range.
    #[error("invalid {name} {value}: {limit}")]
    Param {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: String,
        /// Allowed range.
        limit: String,
    },
    /// A source file whose size changed after the walk.
    #[error(
        "{path}: file changed while building the image (expected {expected} bytes, found {found})"
    )]
    SourceChanged {
        /// Host path.
        path: PathBuf,
        /// Size recorded by the walk.
        expected: u64,
        /// Size found.
        found: u64,
    },
    /// I/O error on a host path.
    #[error("{path}: {source}")]
    Io {
        /// Host path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// I/O error on the output.
    #[error("writing image: {0}")]
    Write(std::io::Error),
}

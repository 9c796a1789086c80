//! The crate's error type.

use std::path::PathBuf;

/// Errors from planning, writing or reading a UFS image. Every variant names
/// the offending path (inside the tree or on the host) and the limit crossed.
#[derive(Debug, thiserror::Error)]
pub enum UfsError {
    /// A file name longer than `MAXNAMLEN`.
    #[error("{path}: name is {len} bytes, UFS allows at most 255")]
    NameTooLong {
        /// Path inside the tree.
        path: String,
        /// Name length in bytes.
        len: usize,
    },
    /// A symlink target longer than fsck accepts.
    #[error("{path}: symlink target is {len} bytes, UFS allows at most 1023")]
    SymlinkTooLong {
        /// Path inside the tree.
        path: String,
        /// Target length in bytes.
        len: usize,
    },
    /// A file larger than `UFS_MAXOFFSET_T`.
    #[error("{path}: file is {size} bytes, UFS allows at most 1099511627775 (2^40-1)")]
    FileTooLarge {
        /// Path inside the tree.
        path: String,
        /// File size in bytes.
        size: u64,
    },
    /// Device numbers that neither the old nor the SVR4 encoding can hold.
    #[error("{path}: device {major},{minor} does not fit UFS (major at most 16383, minor at most 262143; not major 0 with minor 256..65535 nor major 16383 with minor 196608 or more, which illumos reads back as other numbers)")]
    DeviceNumber {
        /// Path inside the tree.
        path: String,
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// More links to one inode than `ic_nlink` (16-bit signed) holds.
    #[error("{path}: {nlink} links, UFS allows at most 32767")]
    TooManyLinks {
        /// Path inside the tree.
        path: String,
        /// Link count needed.
        nlink: u64,
    },
    /// The fixed image size cannot hold the tree.
    #[error(
        "image size {size} bytes is too small for the tree: needs at least {needed} bytes ({what})"
    )]
    TooSmall {
        /// The requested image size, bytes.
        size: u64,
        /// The smallest size that holds the tree, bytes.
        needed: u64,
        /// What ran out (data blocks, inodes, metadata).
        what: String,
    },
    /// The tree needs more inodes than any layout of this size can hold.
    #[error("the tree needs {needed} inodes, an image of {size} bytes holds at most {max} (limit: {limit})")]
    TooManyInodes {
        /// Inodes needed (files + directories + reserved).
        needed: u64,
        /// The image size, bytes.
        size: u64,
        /// The most inodes such an image can hold.
        max: u64,
        /// Which limit is hit.
        limit: String,
    },
    /// A parameter outside what the format supports.
    #[error("invalid parameter {name} = {value}: {limit}")]
    Param {
        /// Parameter name (e.g. `nbpi`, `size`).
        name: &'static str,
        /// The value given.
        value: String,
        /// The allowed range.
        limit: String,
    },
    /// A source file whose size changed between the walk and the write.
    #[error(
        "{path}: file changed while building the image (expected {expected} bytes, found {found})"
    )]
    SourceChanged {
        /// Host path.
        path: PathBuf,
        /// Size recorded by the walk, bytes.
        expected: u64,
        /// Size found when reading, bytes.
        found: u64,
    },
    /// I/O error on a host path.
    #[error("{path}: {source}")]
    Io {
        /// Host path (source file or output).
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// I/O error on the output stream.
    #[error("writing image: {0}")]
    Write(std::io::Error),
    /// The image being read is not a UFS image this crate understands, or is
    /// damaged in a way that stops reading (the checker reports details).
    #[error("{0}")]
    Corrupt(String),
    /// A path looked up in an image that does not exist there.
    #[error("{path}: not found in the image")]
    NotFound {
        /// Path inside the image.
        path: String,
    },
    /// An image path names something of the wrong type for the request.
    #[error("{path}: {what}")]
    WrongType {
        /// Path inside the image.
        path: String,
        /// What was expected.
        what: &'static str,
    },
}

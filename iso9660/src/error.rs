//! The crate's error type.
//!
//! One enum for the whole crate: the reader's variants are below; the
//! planner and writer add theirs next to them.

use std::path::PathBuf;

/// Errors from reading (and, as the writer grows, planning and writing) an
/// ISO 9660 image. Every variant names what it concerns: an image path, a
/// host path, or the on-disk structure and field at fault.
#[derive(Debug, thiserror::Error)]
pub enum IsoError {
    /// The image is not an ISO 9660 image this crate understands, or is
    /// damaged in a way that stops reading: the message names the
    /// structure, its LBA or byte offset and the field (the checker,
    /// [`crate::check::check`], reports every such problem in detail).
    #[error("{0}")]
    Corrupt(String),
    /// A path looked up in an image that does not exist in the tree read.
    #[error("{path}: not found in the image")]
    NotFound {
        /// Path inside the image, `/`-separated from the root.
        path: String,
    },
    /// An image path names something of the wrong type for the request
    /// (a directory given to a file read, a file used as a directory), or
    /// a tree the image does not have.
    #[error("{path}: {what}")]
    WrongType {
        /// Path inside the image (or the tree's name for a missing tree).
        path: String,
        /// What was expected or is missing.
        what: &'static str,
    },
    /// An I/O error: on the image itself, on the output a file is copied
    /// to, or on a host file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path concerned: the image path being read (reader), or a
        /// host path (writer).
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

//! A format-neutral input tree for image writers.
//!
//! A [`Tree`] is what every mvi image format is built from: a rooted graph of
//! [`Node`]s (directories, regular files, symlinks, devices, fifos, sockets)
//! with directory entries kept sorted by their raw name bytes, hard links as
//! several entries naming the same node, and ownership, permission bits and a
//! modification time per node.
//!
//! Trees come from three places:
//! * [`walk`]: an `lstat` walk of a host directory (symlinks are never
//!   followed, children are sorted by raw bytes, hard links are detected by
//!   `(dev, ino)`), with ownership defaulting to `0:0` and times clamped to a
//!   single time `T`;
//! * [`Manifest`]: a metadata manifest that overrides mode and ownership of
//!   walked entries or adds entries the host cannot hold without root (device
//!   nodes, root-owned directories); its format is documented on [`Manifest`];
//! * programmatic construction with [`Tree::new`] and [`Tree::add`].
//!
//! Nothing in a `Tree` depends on host readdir order, host inode numbers,
//! host ownership (unless asked) or the current time, so writers that consume
//! it in order produce reproducible bytes.
#![deny(missing_docs)]

mod devno;
mod manifest;
mod tree;
mod walk;

pub use devno::{decode_darwin, decode_freebsd, decode_linux, host_major, host_minor};
pub use manifest::{Manifest, ManifestEntry, ManifestKind};
pub use tree::{Data, Entry, Kind, Node, NodeId, Tree, ROOT};
pub use walk::{walk, WalkOptions};

use std::path::PathBuf;

/// Default build time `T` (seconds since the Unix epoch, UTC) when neither
/// `--source-date-epoch` nor `SOURCE_DATE_EPOCH` is given: 2016-01-01T00:00:00Z,
/// the year of the original mvi scripts.
pub const DEFAULT_EPOCH: i64 = 1_451_606_400;

/// Errors from walking a host tree, parsing a manifest or editing a tree.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// An I/O error on a host path (`lstat`, `readdir`, `readlink`, open).
    #[error("{path}: {source}")]
    Io {
        /// The host path the operation was applied to.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The walk root is not a directory.
    #[error("{path}: not a directory")]
    NotADirectory {
        /// The host path given as the source.
        path: PathBuf,
    },
    /// A name that no image can hold: empty, `.`, `..`, or containing `/` or NUL.
    #[error("{path}: invalid file name {name:?}")]
    InvalidName {
        /// Path of the parent directory inside the tree.
        path: String,
        /// The offending name, lossily decoded.
        name: String,
    },
    /// Adding an entry whose name already exists in the directory.
    #[error("{path}: already exists")]
    Exists {
        /// Path inside the tree.
        path: String,
    },
    /// A path inside the tree that does not exist or whose parent is not a directory.
    #[error("{path}: no such file or directory in the tree")]
    Missing {
        /// Path inside the tree.
        path: String,
    },
    /// A manifest line that does not parse or cannot be applied.
    #[error("{file}:{line}: {message}")]
    Manifest {
        /// The manifest file (as given by the user).
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong, naming the field and the limit.
        message: String,
    },
}

/// Render raw name bytes for messages and listings: printable ASCII is kept,
/// everything else (and backslash) is written as a `\ooo` octal escape, the
/// same escaping [`Manifest`] paths use.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if b == b'\\' {
            s.push_str("\\\\");
        } else if (0x21..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\{b:03o}"));
        }
    }
    s
}

//! `lstat` walk of a host directory into a [`Tree`].

use crate::devno::{host_major, host_minor};
use crate::tree::{Data, Kind, Node, NodeId, Tree, ROOT};
use crate::TreeError;
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// How [`walk`] turns host metadata into tree metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkOptions {
    /// Keep host uid/gid instead of the default root ownership `0:0`.
    pub preserve_owner: bool,
    /// The build time `T`: every modification time is clamped to at most this
    /// (seconds since the Unix epoch).
    pub time: i64,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            preserve_owner: false,
            time: crate::DEFAULT_EPOCH,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TreeError + '_ {
    move |source| TreeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Walk the directory `root` with `lstat` (symlinks are never followed) into a
/// [`Tree`]. Children are sorted by raw name bytes; non-directories seen twice
/// with the same `(st_dev, st_ino)` become hard links to one node. The walk
/// is iterative, so depth is bounded by memory, not by the stack.
pub fn walk(root: &Path, opts: &WalkOptions) -> Result<Tree, TreeError> {
    let meta = std::fs::symlink_metadata(root).map_err(io(root))?;
    if !meta.is_dir() {
        return Err(TreeError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let mut tree = Tree::new(opts.time);
    tree.nodes[ROOT] = node_from(root, &meta, opts)?;
    let mut seen: HashMap<(u64, u64), NodeId> = HashMap::new();
    // Work list of directories to read: (host path, node id). Processed
    // depth-first in sorted order so node ids follow the sorted pre-order.
    let mut stack: Vec<(PathBuf, NodeId)> = vec![(root.to_path_buf(), ROOT)];
    while let Some((dir, id)) = stack.pop() {
        let mut names: Vec<Vec<u8>> = Vec::new();
        for ent in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let ent = ent.map_err(io(&dir))?;
            names.push(OsString::into_vec(ent.file_name()));
        }
        names.sort();
        let mut subdirs = Vec::new();
        for name in names {
            let path = dir.join(OsString::from_vec(name.clone()));
            let meta = std::fs::symlink_metadata(&path).map_err(io(&path))?;
            if !meta.is_dir() && meta.nlink() > 1 {
                let key = (meta.dev(), meta.ino());
                if let Some(&target) = seen.get(&key) {
                    tree.link(id, &name, target)?;
                    continue;
                }
                let child = tree.add(id, &name, node_from(&path, &meta, opts)?)?;
                seen.insert(key, child);
                continue;
            }
            let child = tree.add(id, &name, node_from(&path, &meta, opts)?)?;
            if meta.is_dir() {
                subdirs.push((path, child));
            }
        }
        // Reverse so the first subdirectory is popped first.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(tree)
}

fn node_from(path: &Path, meta: &std::fs::Metadata, opts: &WalkOptions) -> Result<Node, TreeError> {
    let ft = meta.file_type();
    let kind = if ft.is_dir() {
        Kind::Dir(Vec::new())
    } else if ft.is_file() {
        Kind::File {
            size: meta.len(),
            data: Data::Path(path.to_path_buf()),
        }
    } else if ft.is_symlink() {
        let target = std::fs::read_link(path).map_err(io(path))?;
        Kind::Symlink(target.into_os_string().into_vec())
    } else if ft.is_char_device() {
        Kind::CharDev {
            major: host_major(meta.rdev()),
            minor: host_minor(meta.rdev()),
        }
    } else if ft.is_block_device() {
        Kind::BlockDev {
            major: host_major(meta.rdev()),
            minor: host_minor(meta.rdev()),
        }
    } else if ft.is_fifo() {
        Kind::Fifo
    } else {
        Kind::Socket
    };
    let (uid, gid) = if opts.preserve_owner {
        (meta.uid(), meta.gid())
    } else {
        (0, 0)
    };
    Ok(Node {
        kind,
        perm: (meta.mode() & 0o7777) as u16,
        uid,
        gid,
        mtime: meta.mtime().min(opts.time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    #[test]
    fn walks_sorted_with_links_and_clamped_times() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir(p.join("b")).unwrap();
        std::fs::write(p.join("b/f"), b"hello").unwrap();
        std::fs::hard_link(p.join("b/f"), p.join("a-link")).unwrap();
        symlink("b/f", p.join("c")).unwrap();
        std::fs::set_permissions(p.join("b/f"), std::fs::Permissions::from_mode(0o4751)).unwrap();
        let t = walk(
            p,
            &WalkOptions {
                preserve_owner: false,
                time: 1000,
            },
        )
        .unwrap();
        let names: Vec<_> = t.entries(ROOT).iter().map(|e| e.name.clone()).collect();
        assert_eq!(
            names,
            vec![b"a-link".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        let f = t.lookup(b"b/f").unwrap();
        assert_eq!(t.lookup(b"a-link"), Some(f));
        assert_eq!(t.node(f).perm, 0o4751);
        assert_eq!(t.node(f).mtime, 1000);
        assert_eq!((t.node(f).uid, t.node(f).gid), (0, 0));
        let c = t.lookup(b"c").unwrap();
        assert_eq!(t.node(c).kind, Kind::Symlink(b"b/f".to_vec()));
        assert_eq!(t.link_counts()[f], 2);
    }

    #[test]
    fn missing_root_names_path() {
        let e = walk(Path::new("/nonexistent/mvi-src"), &WalkOptions::default()).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/mvi-src:"), "{e}");
    }
}

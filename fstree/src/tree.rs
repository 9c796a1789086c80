//! The tree model.

use crate::{escape_bytes, TreeError};
use std::path::PathBuf;
use std::sync::Arc;

/// Index of a node in [`Tree::nodes`].
pub type NodeId = usize;

/// The root directory's node id.
pub const ROOT: NodeId = 0;

/// Where a regular file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// Read from this host path when the image is written. The writer checks
    /// that the file still has the size recorded in [`Kind::File`].
    Path(PathBuf),
    /// Held in memory (synthetic trees, tests, generated files).
    Bytes(Arc<[u8]>),
    /// All zero bytes (sparse test files); the size is the file's size.
    Zeros,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A directory with its entries, sorted by raw name bytes, without `.`/`..`.
    Dir(Vec<Entry>),
    /// A regular file.
    File {
        /// Length in bytes.
        size: u64,
        /// Where the bytes come from.
        data: Data,
    },
    /// A symbolic link and its raw target bytes (no NUL).
    Symlink(Vec<u8>),
    /// A character device.
    CharDev {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A block device.
    BlockDev {
        /// Major number.
        major: u32,
        /// Minor number.
        minor: u32,
    },
    /// A named pipe.
    Fifo,
    /// A Unix-domain socket.
    Socket,
}

impl Kind {
    /// One-letter type code as used by manifests and listings:
    /// `d`, `f`, `l`, `c`, `b`, `p`, `s`.
    pub fn letter(&self) -> char {
        match self {
            Kind::Dir(_) => 'd',
            Kind::File { .. } => 'f',
            Kind::Symlink(_) => 'l',
            Kind::CharDev { .. } => 'c',
            Kind::BlockDev { .. } => 'b',
            Kind::Fifo => 'p',
            Kind::Socket => 's',
        }
    }
}

/// A directory entry: a name and the node it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Raw name bytes: non-empty, not `.` or `..`, no `/` or NUL.
    pub name: Vec<u8>,
    /// The node this name refers to (several entries may share a non-directory node).
    pub node: NodeId,
}

/// A file-system object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Type and type-specific content.
    pub kind: Kind,
    /// Permission bits including setuid 04000, setgid 02000 and sticky 01000
    /// (the low 12 bits of `st_mode`; never the type bits).
    pub perm: u16,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Modification time, seconds since the Unix epoch (already clamped to `T`).
    pub mtime: i64,
}

impl Node {
    /// An empty directory owned by 0:0.
    pub fn dir(perm: u16, mtime: i64) -> Node {
        Node {
            kind: Kind::Dir(Vec::new()),
            perm,
            uid: 0,
            gid: 0,
            mtime,
        }
    }

    /// A regular file holding `data` in memory, owned by 0:0.
    pub fn file(data: impl Into<Arc<[u8]>>, perm: u16, mtime: i64) -> Node {
        let data: Arc<[u8]> = data.into();
        Node {
            kind: Kind::File {
                size: data.len() as u64,
                data: Data::Bytes(data),
            },
            perm,
            uid: 0,
            gid: 0,
            mtime,
        }
    }
}

/// A rooted tree of nodes; node [`ROOT`] is the root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    /// All nodes; directory entries refer to them by index.
    pub nodes: Vec<Node>,
}

/// Check that `name` can be a directory entry.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.iter().any(|&b| b == b'/' || b == 0)
}

impl Tree {
    /// A tree holding only an empty root directory (mode 0755, 0:0) with time `mtime`.
    pub fn new(mtime: i64) -> Tree {
        Tree {
            nodes: vec![Node {
                kind: Kind::Dir(Vec::new()),
                perm: 0o755,
                uid: 0,
                gid: 0,
                mtime,
            }],
        }
    }

    /// The node with id `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Entries of directory `dir` (empty for non-directories).
    pub fn entries(&self, dir: NodeId) -> &[Entry] {
        match &self.nodes[dir].kind {
            Kind::Dir(e) => e,
            _ => &[],
        }
    }

    /// Add `node` under directory `parent` as `name`, keeping entries sorted.
    /// Returns the new node's id.
    pub fn add(&mut self, parent: NodeId, name: &[u8], node: Node) -> Result<NodeId, TreeError> {
        let id = self.nodes.len();
        self.nodes.push(node);
        if let Err(e) = self.link(parent, name, id) {
            self.nodes.pop();
            return Err(e);
        }
        Ok(id)
    }

    /// Add `node` at `path` (components separated by `/`), creating missing
    /// parent directories (mode 0755, 0:0, the root's time) like `mkdir -p`.
    /// Returns the new node's id.
    pub fn add_path(&mut self, path: &[u8], node: Node) -> Result<NodeId, TreeError> {
        let comps: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        let Some((name, dirs)) = comps.split_last() else {
            return Err(TreeError::Exists {
                path: "/".to_string(),
            });
        };
        let mut cur = ROOT;
        for comp in dirs {
            let found = self
                .entries(cur)
                .binary_search_by(|e| e.name.as_slice().cmp(comp))
                .ok()
                .map(|i| self.entries(cur)[i].node);
            cur = match found {
                Some(id) if matches!(self.nodes[id].kind, Kind::Dir(_)) => id,
                Some(_) => {
                    return Err(TreeError::Missing {
                        path: join(&self.path_of(cur), comp),
                    })
                }
                None => {
                    let t = self.nodes[ROOT].mtime;
                    self.add(cur, comp, Node::dir(0o755, t))?
                }
            };
        }
        self.add(cur, name, node)
    }

    /// Add another name for the existing non-directory node `target` (a hard link).
    pub fn link(&mut self, parent: NodeId, name: &[u8], target: NodeId) -> Result<(), TreeError> {
        // Paths are built only for errors: path_of walks the whole tree.
        if !valid_name(name) {
            return Err(TreeError::InvalidName {
                path: self.path_of(parent),
                name: escape_bytes(name),
            });
        }
        if !matches!(self.nodes[parent].kind, Kind::Dir(_)) {
            return Err(TreeError::Missing {
                path: self.path_of(parent),
            });
        }
        let pos = self
            .entries(parent)
            .binary_search_by(|e| e.name.as_slice().cmp(name));
        let Kind::Dir(entries) = &mut self.nodes[parent].kind else {
            unreachable!("checked above");
        };
        match pos {
            Ok(_) => Err(TreeError::Exists {
                path: join(&self.path_of(parent), name),
            }),
            Err(pos) => {
                entries.insert(
                    pos,
                    Entry {
                        name: name.to_vec(),
                        node: target,
                    },
                );
                Ok(())
            }
        }
    }

    /// Find the node at `path` (components separated by `/`; leading `/` or
    /// `./` and empty components are ignored; `.`/`..` are not interpreted).
    pub fn lookup(&self, path: &[u8]) -> Option<NodeId> {
        let mut cur = ROOT;
        for comp in path.split(|&b| b == b'/') {
            if comp.is_empty() || comp == b"." {
                continue;
            }
            let entries = match &self.nodes[cur].kind {
                Kind::Dir(e) => e,
                _ => return None,
            };
            let i = entries
                .binary_search_by(|e| e.name.as_slice().cmp(comp))
                .ok()?;
            cur = entries[i].node;
        }
        Some(cur)
    }

    /// Every node reachable from the root, each once, in depth-first pre-order
    /// of sorted entries (a hard-linked node appears at its first name).
    /// Nodes not reachable from the root are left out.
    pub fn preorder(&self) -> Vec<NodeId> {
        let mut seen = vec![false; self.nodes.len()];
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<(NodeId, usize)> = vec![(ROOT, 0)];
        seen[ROOT] = true;
        order.push(ROOT);
        while let Some(top) = stack.last_mut() {
            let (dir, idx) = *top;
            let entries = self.entries(dir);
            if idx >= entries.len() {
                stack.pop();
                continue;
            }
            top.1 += 1;
            let child = entries[idx].node;
            if !seen[child] {
                seen[child] = true;
                order.push(child);
                if matches!(self.nodes[child].kind, Kind::Dir(_)) {
                    stack.push((child, 0));
                }
            }
        }
        order
    }

    /// Number of directory entries naming each node (index = node id), plus,
    /// for directories, their own `.` and each subdirectory's `..`
    /// (so a directory has 2 + subdirectories, the root included).
    ///
    /// Only entries of directories reachable from the root count: a node
    /// unlinked with [`Tree::remove`] (and everything below it) no longer
    /// contributes, and unreachable nodes get 0.
    pub fn link_counts(&self) -> Vec<u32> {
        let mut n = vec![0u32; self.nodes.len()];
        n[ROOT] = 2; // "." and its own ".."
        for id in self.preorder() {
            if let Kind::Dir(entries) = &self.nodes[id].kind {
                for e in entries {
                    n[e.node] = n[e.node].saturating_add(1);
                    if matches!(self.nodes[e.node].kind, Kind::Dir(_)) {
                        n[e.node] = n[e.node].saturating_add(1); // its "."
                        n[id] = n[id].saturating_add(1); // its ".." names us
                    }
                }
            }
        }
        n
    }

    /// Path of `id` inside the tree (e.g. `/etc/passwd`), found by search;
    /// for messages only (escaped with [`escape_bytes`]).
    pub fn path_of(&self, id: NodeId) -> String {
        if id == ROOT {
            return "/".to_string();
        }
        // Depth-first in sorted order, so a hard-linked node gets the name
        // under which `preorder` meets it first.
        let mut names: Vec<&[u8]> = Vec::new();
        let mut stack: Vec<(NodeId, usize)> = vec![(ROOT, 0)];
        let mut seen = vec![false; self.nodes.len()];
        seen[ROOT] = true;
        while let Some(top) = stack.last_mut() {
            let (dir, idx) = *top;
            let entries = self.entries(dir);
            if idx >= entries.len() {
                stack.pop();
                names.pop();
                continue;
            }
            top.1 += 1;
            let e = &entries[idx];
            if e.node == id {
                let mut parts: Vec<String> = names.iter().map(|n| escape_bytes(n)).collect();
                parts.push(escape_bytes(&e.name));
                return format!("/{}", parts.join("/"));
            }
            if !seen[e.node] && matches!(self.nodes[e.node].kind, Kind::Dir(_)) {
                seen[e.node] = true;
                stack.push((e.node, 0));
                names.push(&e.name);
            }
        }
        format!("(unreachable node {id})")
    }

    /// Unlink the entry `name` from directory `parent` and return the node it
    /// named. The node itself stays in [`Tree::nodes`]; if no other entry names
    /// it, it (and, for a directory, everything only reachable through it)
    /// becomes unreachable, and [`Tree::preorder`] and [`Tree::link_counts`]
    /// ignore it from then on.
    pub fn remove(&mut self, parent: NodeId, name: &[u8]) -> Result<NodeId, TreeError> {
        if parent >= self.nodes.len() || !matches!(self.nodes[parent].kind, Kind::Dir(_)) {
            return Err(TreeError::Missing {
                path: if parent < self.nodes.len() {
                    self.path_of(parent)
                } else {
                    format!("(no node {parent})")
                },
            });
        }
        let pos = self
            .entries(parent)
            .binary_search_by(|e| e.name.as_slice().cmp(name));
        match pos {
            Ok(i) => {
                let Kind::Dir(entries) = &mut self.nodes[parent].kind else {
                    unreachable!("checked above");
                };
                Ok(entries.remove(i).node)
            }
            Err(_) => Err(TreeError::Missing {
                path: join(&self.path_of(parent), name),
            }),
        }
    }

    /// Unlink the entry at `path` (resolved like [`Tree::lookup`]) and return
    /// the node it named; see [`Tree::remove`]. The root cannot be removed.
    pub fn remove_path(&mut self, path: &[u8]) -> Result<NodeId, TreeError> {
        let comps: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        let Some((last, dirs)) = comps.split_last() else {
            return Err(TreeError::InvalidName {
                path: "/".to_string(),
                name: String::new(),
            });
        };
        let mut parent = ROOT;
        for comp in dirs {
            parent = self
                .entries(parent)
                .binary_search_by(|e| e.name.as_slice().cmp(comp))
                .ok()
                .map(|i| self.entries(parent)[i].node)
                .ok_or_else(|| TreeError::Missing {
                    path: format!("/{}", escape_bytes(path.strip_prefix(b"/").unwrap_or(path))),
                })?;
        }
        self.remove(parent, last)
    }

    /// Clamp every node's time to at most `t`.
    pub fn clamp_times(&mut self, t: i64) {
        for n in &mut self.nodes {
            n.mtime = n.mtime.min(t);
        }
    }
}

/// Join a tree path and a raw name for messages.
pub(crate) fn join(parent: &str, name: &[u8]) -> String {
    if parent.ends_with('/') {
        format!("{parent}{}", escape_bytes(name))
    } else {
        format!("{parent}/{}", escape_bytes(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(n: &[u8]) -> Node {
        Node {
            kind: Kind::File {
                size: n.len() as u64,
                data: Data::Bytes(n.into()),
            },
            perm: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }
    fn dir() -> Node {
        Node {
            kind: Kind::Dir(vec![]),
            perm: 0o755,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }

    #[test]
    fn add_path_makes_parents() {
        let mut t = Tree::new(7);
        let f = t
            .add_path(b"/a/b/c.txt", Node::file(&b"x"[..], 0o644, 1))
            .unwrap();
        assert_eq!(t.lookup(b"a/b/c.txt"), Some(f));
        let b = t.lookup(b"a/b").unwrap();
        assert_eq!((t.node(b).perm, t.node(b).mtime), (0o755, 7));
        t.add_path(b"a/b/d", Node::dir(0o700, 1)).unwrap();
        assert_eq!(t.entries(b).len(), 2);
        assert!(matches!(
            t.add_path(b"a/b/c.txt/x", Node::dir(0o755, 0)),
            Err(TreeError::Missing { .. })
        ));
        assert!(matches!(
            t.add_path(b"a/b/c.txt", Node::dir(0o755, 0)),
            Err(TreeError::Exists { .. })
        ));
    }

    #[test]
    fn sorted_entries_preorder_and_links() {
        let mut t = Tree::new(0);
        let b = t.add(ROOT, b"b", dir()).unwrap();
        let a = t.add(ROOT, b"a", dir()).unwrap();
        let f = t.add(b, b"z", file(b"x")).unwrap();
        t.link(a, b"hard", f).unwrap();
        let names: Vec<_> = t.entries(ROOT).iter().map(|e| e.name.clone()).collect();
        assert_eq!(names, vec![b"a".to_vec(), b"b".to_vec()]);
        // a comes first, and the hard link makes f appear under a.
        assert_eq!(t.preorder(), vec![ROOT, a, f, b]);
        let n = t.link_counts();
        assert_eq!(n[ROOT], 4);
        assert_eq!(n[a], 2);
        assert_eq!(n[f], 2);
        assert_eq!(t.lookup(b"/b/z"), Some(f));
        assert_eq!(t.lookup(b"b/y"), None);
        assert_eq!(t.path_of(f), "/a/hard");
        assert!(matches!(
            t.add(ROOT, b"a", file(b"")),
            Err(TreeError::Exists { .. })
        ));
        assert!(matches!(
            t.add(ROOT, b"x/y", file(b"")),
            Err(TreeError::InvalidName { .. })
        ));
        assert_eq!(t.nodes.len(), 4);
    }

    #[test]
    fn remove_unlinks_and_link_counts_ignore_unreachable() {
        let mut t = Tree::new(0);
        let a = t.add(ROOT, b"a", dir()).unwrap();
        let b = t.add(ROOT, b"b", dir()).unwrap();
        let sub = t.add(a, b"sub", dir()).unwrap();
        let f = t.add(b, b"f", file(b"xy")).unwrap();
        t.link(a, b"hard", f).unwrap();
        let g = t.add(sub, b"g", file(b"z")).unwrap();
        let n = t.link_counts();
        assert_eq!((n[ROOT], n[a], n[f], n[sub], n[g]), (4, 3, 2, 2, 1));

        // Removing /a drops its subtree and its names from the counts.
        assert_eq!(t.remove(ROOT, b"a").unwrap(), a);
        let n = t.link_counts();
        assert_eq!(n[ROOT], 3, "root lost the .. of /a");
        assert_eq!(n[f], 1, "the hard link inside /a no longer counts");
        assert_eq!((n[a], n[sub], n[g]), (0, 0, 0));
        assert_eq!(t.preorder(), vec![ROOT, b, f]);
        assert_eq!(t.lookup(b"a/sub/g"), None);
        assert_eq!(t.path_of(f), "/b/f");
        // Nodes stay in place as unreachable garbage.
        assert_eq!(t.nodes.len(), 6);

        // remove_path, errors, and re-linking a removed non-directory.
        assert_eq!(t.remove_path(b"/b/f").unwrap(), f);
        assert_eq!(t.preorder(), vec![ROOT, b]);
        assert!(matches!(
            t.remove_path(b"b/f"),
            Err(TreeError::Missing { .. })
        ));
        assert!(matches!(
            t.remove_path(b"nope/f"),
            Err(TreeError::Missing { .. })
        ));
        assert!(matches!(
            t.remove_path(b"/"),
            Err(TreeError::InvalidName { .. })
        ));
        assert!(matches!(t.remove(f, b"x"), Err(TreeError::Missing { .. })));
        assert!(matches!(t.remove(99, b"x"), Err(TreeError::Missing { .. })));
        t.link(b, b"again", f).unwrap();
        assert_eq!(t.link_counts()[f], 1);
        assert_eq!(t.preorder(), vec![ROOT, b, f]);
    }
}

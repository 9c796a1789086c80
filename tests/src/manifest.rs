//! The expected manifest of a [`Tree`]: what an image built from it should
//! show when read back by an independent implementation.
//!
//! The line format is shared with `tests/oracle/manifest.c`, which produces
//! the same text from a mounted file system (see [`crate::linux_ufs`]):
//!
//! ```text
//! PATH TYPE PERM UID GID SIZE NLINK MAJOR MINOR SHA256 TARGET
//! ```
//!
//! * `PATH`: path relative to the root (the root itself is not listed),
//!   components joined by `/`, escaped with [`fstree::escape_bytes`];
//! * `TYPE`: `d f l c b p s`; `PERM`: 4 octal digits (`mode & 07777`);
//! * `UID`, `GID`, `NLINK`: decimal;
//! * `SIZE`: decimal for files and symlinks (the target's length), else `-`;
//! * `MAJOR MINOR`: decimal for devices, else `- -`;
//! * `SHA256`: lowercase hex of a file's contents, else `-`;
//! * `TARGET`: escaped symlink target, else `-`.
//!
//! Lines are sorted by the raw path bytes (not by the escaped text, and not
//! directory by directory: `a-b` sorts before `a/b`).

use fstree::{escape_bytes, Data, Kind, NodeId, Tree, ROOT};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Read;

/// What [`tree_manifest`] prints in the `SHA256` column when a file's bytes
/// cannot be read or do not have the size recorded in the tree (the guest
/// program prints the same word when a read fails).
pub const HASH_ERROR: &str = "error";

/// The manifest of everything reachable from [`fstree::ROOT`], one line per
/// path (a hard-linked node once under each of its names), sorted by raw path
/// bytes, each line ending in `\n`.
///
/// Link counts come from [`Tree::link_counts`]. File contents are hashed
/// streaming (never a whole file in memory) from [`Data::Path`] (read from the
/// host), [`Data::Bytes`] or [`Data::Zeros`]; a file that cannot be read, or
/// whose bytes differ in length from its recorded size, gets
/// [`HASH_ERROR`] in its `SHA256` column, so any comparison fails visibly.
pub fn tree_manifest(tree: &Tree) -> String {
    let nlink = tree.link_counts();
    let mut paths = collect_paths(tree);
    paths.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (path, id) in &paths {
        manifest_line(&mut out, tree, path, *id, nlink[*id]);
    }
    out
}

/// Every `(raw path, node)` pair below the root, depth first.
fn collect_paths(tree: &Tree) -> Vec<(Vec<u8>, NodeId)> {
    let mut out = Vec::new();
    // (directory, its raw path)
    let mut stack: Vec<(NodeId, Vec<u8>)> = vec![(ROOT, Vec::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for e in tree.entries(dir) {
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(&e.name);
            if matches!(tree.node(e.node).kind, Kind::Dir(_)) {
                stack.push((e.node, path.clone()));
            }
            out.push((path, e.node));
        }
    }
    out
}

fn manifest_line(out: &mut String, tree: &Tree, path: &[u8], id: NodeId, nlink: u32) {
    let node = tree.node(id);
    let (size, dev, hash, target) = match &node.kind {
        Kind::Dir(_) | Kind::Fifo | Kind::Socket => (None, None, None, None),
        Kind::File { size, data } => (Some(*size), None, Some(hash_data(data, *size)), None),
        Kind::Symlink(t) => (Some(t.len() as u64), None, None, Some(escape_bytes(t))),
        Kind::CharDev { major, minor } | Kind::BlockDev { major, minor } => {
            (None, Some((*major, *minor)), None, None)
        }
    };
    let dash = || "-".to_string();
    let _ = writeln!(
        out,
        "{} {} {:04o} {} {} {} {} {} {} {} {}",
        escape_bytes(path),
        node.kind.letter(),
        node.perm & 0o7777,
        node.uid,
        node.gid,
        size.map_or_else(dash, |s| s.to_string()),
        nlink,
        dev.map_or_else(dash, |d| d.0.to_string()),
        dev.map_or_else(dash, |d| d.1.to_string()),
        hash.unwrap_or_else(dash),
        target.unwrap_or_else(dash),
    );
}

/// Lowercase hex SHA-256 of a file's bytes, or [`HASH_ERROR`].
fn hash_data(data: &Data, size: u64) -> String {
    let mut h = Sha256::new();
    let ok = match data {
        Data::Bytes(b) => {
            h.update(b);
            b.len() as u64 == size
        }
        Data::Zeros => {
            let zeros = [0u8; 64 * 1024];
            let mut left = size;
            while left > 0 {
                let n = left.min(zeros.len() as u64) as usize;
                h.update(&zeros[..n]);
                left -= n as u64;
            }
            true
        }
        Data::Path(p) => match hash_reader(&mut h, p) {
            Ok(n) => n == size,
            Err(_) => false,
        },
    };
    if ok {
        hex(&h.finalize())
    } else {
        HASH_ERROR.to_string()
    }
}

/// Feed the file at `p` to `h` in 1 MiB reads; returns the byte count.
fn hash_reader(h: &mut Sha256, p: &std::path::Path) -> std::io::Result<u64> {
    let mut f = std::fs::File::open(p)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
        total += n as u64;
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A short, readable account of how two manifests differ: lines only in
/// `expected` (`-`) and only in `actual` (`+`), both sorted, at most `max`
/// of each kind, with the totals. Empty when they are equal.
pub fn manifest_diff(expected: &str, actual: &str, max: usize) -> String {
    use std::collections::BTreeSet;
    let e: BTreeSet<&str> = expected.lines().collect();
    let a: BTreeSet<&str> = actual.lines().collect();
    let missing: Vec<&&str> = e.difference(&a).collect();
    let extra: Vec<&&str> = a.difference(&e).collect();
    if missing.is_empty() && extra.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "{} expected line(s) missing, {} unexpected line(s)\n",
        missing.len(),
        extra.len()
    );
    for l in missing.iter().take(max) {
        let _ = writeln!(s, "- {l}");
    }
    if missing.len() > max {
        let _ = writeln!(s, "- ... {} more", missing.len() - max);
    }
    for l in extra.iter().take(max) {
        let _ = writeln!(s, "+ {l}");
    }
    if extra.len() > max {
        let _ = writeln!(s, "+ ... {} more", extra.len() - max);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use fstree::Node;

    fn node(kind: Kind, perm: u16, uid: u32, gid: u32) -> Node {
        Node {
            kind,
            perm,
            uid,
            gid,
            mtime: 0,
        }
    }

    #[test]
    fn small_tree_exact_lines() {
        let mut t = Tree::new(0);
        let etc = t
            .add(ROOT, b"etc", node(Kind::Dir(vec![]), 0o755, 0, 3))
            .unwrap();
        let hello = t
            .add(
                etc,
                b"hello world",
                node(
                    Kind::File {
                        size: 3,
                        data: Data::Bytes(b"abc"[..].into()),
                    },
                    0o4751,
                    100,
                    10,
                ),
            )
            .unwrap();
        t.link(ROOT, b"hard\\link", hello).unwrap();
        t.add(
            ROOT,
            b"etc-zero",
            node(
                Kind::File {
                    size: 0,
                    data: Data::Zeros,
                },
                0o600,
                0,
                0,
            ),
        )
        .unwrap();
        t.add(
            ROOT,
            b"z",
            node(
                Kind::File {
                    size: 70000,
                    data: Data::Zeros,
                },
                0o644,
                0,
                0,
            ),
        )
        .unwrap();
        t.add(
            etc,
            b"link\n\xff",
            node(Kind::Symlink(b"../a b".to_vec()), 0o777, 0, 0),
        )
        .unwrap();
        let dev = t
            .add(ROOT, b"dev", node(Kind::Dir(vec![]), 0o755, 0, 0))
            .unwrap();
        t.add(
            dev,
            b"null",
            node(
                Kind::CharDev {
                    major: 13,
                    minor: 2,
                },
                0o666,
                0,
                3,
            ),
        )
        .unwrap();
        t.add(
            dev,
            b"sda",
            node(
                Kind::BlockDev {
                    major: 259,
                    minor: 65536,
                },
                0o640,
                0,
                6,
            ),
        )
        .unwrap();
        t.add(dev, b"fifo", node(Kind::Fifo, 0o1620, 1, 2)).unwrap();
        t.add(dev, b"sock", node(Kind::Socket, 0o755, 0, 0))
            .unwrap();
        t.add(etc, b"sub", node(Kind::Dir(vec![]), 0o2755, 0, 0))
            .unwrap();

        // sha256("abc"), sha256(""), and sha256 of 70000 zero bytes.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let mut z = Sha256::new();
        z.update(vec![0u8; 70000]);
        let z = hex(&z.finalize());
        let expected = format!(
            "dev d 0755 0 0 - 2 - - - -\n\
             dev/fifo p 1620 1 2 - 1 - - - -\n\
             dev/null c 0666 0 3 - 1 13 2 - -\n\
             dev/sda b 0640 0 6 - 1 259 65536 - -\n\
             dev/sock s 0755 0 0 - 1 - - - -\n\
             etc d 0755 0 3 - 3 - - - -\n\
             etc-zero f 0600 0 0 0 1 - - {empty} -\n\
             etc/hello\\040world f 4751 100 10 3 2 - - {abc} -\n\
             etc/link\\012\\377 l 0777 0 0 6 1 - - - ../a\\040b\n\
             etc/sub d 2755 0 0 - 2 - - - -\n\
             hard\\\\link f 4751 100 10 3 2 - - {abc} -\n\
             z f 0644 0 0 70000 1 - - {z} -\n"
        );
        let got = tree_manifest(&t);
        assert_eq!(
            got,
            expected,
            "diff:\n{}",
            manifest_diff(&expected, &got, 20)
        );
    }

    #[test]
    fn unreadable_or_resized_files_show_error() {
        let mut t = Tree::new(0);
        let file = |size, data| node(Kind::File { size, data }, 0o644, 0, 0);
        t.add(
            ROOT,
            b"gone",
            file(1, Data::Path("/nonexistent/mvi-file".into())),
        )
        .unwrap();
        t.add(ROOT, b"short", file(5, Data::Bytes(b"abc"[..].into())))
            .unwrap();
        let m = tree_manifest(&t);
        assert_eq!(
            m,
            "gone f 0644 0 0 1 1 - - error -\nshort f 0644 0 0 5 1 - - error -\n"
        );
    }

    #[test]
    fn diff_lists_both_sides() {
        assert_eq!(manifest_diff("a\nb\n", "b\na\n", 5), "");
        let d = manifest_diff("a\nb\nc\n", "a\nx\n", 1);
        assert_eq!(
            d,
            "2 expected line(s) missing, 1 unexpected line(s)\n- b\n- ... 1 more\n+ x\n"
        );
    }
}

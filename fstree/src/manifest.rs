//! Metadata manifests: per-path mode and ownership, and entries the host
//! cannot hold without root.
//!
//! # Format
//!
//! UTF-8 or plain bytes, one entry per line; blank lines and lines whose first
//! non-blank character is `#` are ignored. Fields are separated by spaces or tabs:
//!
//! ```text
//! PATH TYPE MODE UID GID [MAJOR MINOR]
//! ```
//!
//! * `PATH`: path inside the tree, relative to its root (a leading `/` or `./`
//!   is allowed; `/` alone is the root). Bytes that are not printable ASCII,
//!   and space, are written `\ooo` (three octal digits); a backslash is `\\`.
//! * `TYPE`: `d` directory, `f` regular file, `l` symlink, `c` character
//!   device, `b` block device, `p` fifo, `s` socket, or `-` for an existing
//!   entry of any type. `d`, `p`, `c` and `b` create the entry when it is
//!   missing (its parent must exist, possibly created by an earlier line);
//!   `f`, `l`, `s` and `-` must name an existing entry of that type.
//! * `MODE`: octal permission bits, at most `7777`, or `-` to keep.
//! * `UID`, `GID`: decimal ids (at most 4294967295), or `-` to keep.
//! * `MAJOR MINOR`: decimal device numbers; required for `c` and `b`,
//!   forbidden otherwise. They replace an existing device's numbers.
//!
//! Created entries get mode 0 unless `MODE` is given, owner 0:0 unless given,
//! and time `T`. Example:
//!
//! ```text
//! /                   d 0755 0 0
//! dev/null            c 0666 0 3 13 2
//! etc/shadow          f 0400 0 3
//! var/run             d -    0 0
//! my\040file          - 0644 100 10
//! ```

use crate::tree::{valid_name, Kind, Node, Tree, ROOT};
use crate::{escape_bytes, TreeError};
use std::path::{Path, PathBuf};

/// The `TYPE` column of a manifest line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// `-`: an existing entry of any type.
    Any,
    /// `d`: directory (created when missing).
    Dir,
    /// `f`: existing regular file.
    File,
    /// `l`: existing symlink.
    Symlink,
    /// `c`: character device (created or renumbered).
    CharDev,
    /// `b`: block device (created or renumbered).
    BlockDev,
    /// `p`: fifo (created when missing).
    Fifo,
    /// `s`: existing socket.
    Socket,
}

/// One parsed manifest line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// 1-based line number in the manifest file.
    pub line: usize,
    /// Path components (raw bytes, unescaped); empty for the root.
    pub path: Vec<Vec<u8>>,
    /// The `TYPE` column.
    pub kind: ManifestKind,
    /// Permission bits, or `None` to keep.
    pub mode: Option<u16>,
    /// Owner uid, or `None` to keep.
    pub uid: Option<u32>,
    /// Owner gid, or `None` to keep.
    pub gid: Option<u32>,
    /// `(major, minor)` for device lines.
    pub dev: Option<(u32, u32)>,
}

/// A parsed metadata manifest (see the module docs for the format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The file the manifest came from, for messages.
    pub file: PathBuf,
    /// Entries in file order.
    pub entries: Vec<ManifestEntry>,
}

fn unescape(field: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] != b'\\' {
            out.push(field[i]);
            i += 1;
            continue;
        }
        if field.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
            continue;
        }
        let oct = field
            .get(i + 1..i + 4)
            .ok_or("truncated \\ooo escape in path")?;
        if !oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
            return Err("bad \\ooo escape in path (want three octal digits or \\\\)".into());
        }
        let v = oct.iter().fold(0u32, |a, &b| a * 8 + u32::from(b - b'0'));
        out.push(u8::try_from(v).map_err(|_| "\\ooo escape above \\377 in path")?);
        i += 4;
    }
    Ok(out)
}

fn parse_num(field: &[u8], what: &str, radix: u32, max: u64) -> Result<Option<u64>, String> {
    if field == b"-" {
        return Ok(None);
    }
    let s = std::str::from_utf8(field).map_err(|_| format!("{what} is not a number"))?;
    let v = u64::from_str_radix(s, radix).map_err(|_| {
        format!(
            "{what} {s:?} is not {} number",
            if radix == 8 { "an octal" } else { "a decimal" }
        )
    })?;
    if v > max {
        return Err(format!(
            "{what} {s} is above the limit {}",
            if radix == 8 {
                format!("{max:o}")
            } else {
                max.to_string()
            }
        ));
    }
    Ok(Some(v))
}

impl Manifest {
    /// Read and parse a manifest file.
    pub fn load(file: &Path) -> Result<Manifest, TreeError> {
        let bytes = std::fs::read(file).map_err(|source| TreeError::Io {
            path: file.to_path_buf(),
            source,
        })?;
        Manifest::parse(&bytes, file)
    }

    /// Parse manifest text; `file` names it in messages.
    pub fn parse(text: &[u8], file: &Path) -> Result<Manifest, TreeError> {
        let mut entries = Vec::new();
        for (n, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = n + 1;
            let err = |message: String| TreeError::Manifest {
                file: file.to_path_buf(),
                line,
                message,
            };
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let fields: Vec<&[u8]> = raw
                .split(|&b| b == b' ' || b == b'\t')
                .filter(|f| !f.is_empty())
                .collect();
            if fields.is_empty() || fields[0].starts_with(b"#") {
                continue;
            }
            if fields.len() < 5 {
                return Err(err(format!(
                    "expected PATH TYPE MODE UID GID [MAJOR MINOR], found {} field(s)",
                    fields.len()
                )));
            }
            let path_bytes = unescape(fields[0]).map_err(&err)?;
            let mut path = Vec::new();
            for comp in path_bytes.split(|&b| b == b'/') {
                if comp.is_empty() || comp == b"." {
                    continue;
                }
                if !valid_name(comp) {
                    return Err(err(format!(
                        "invalid path component {:?}",
                        escape_bytes(comp)
                    )));
                }
                path.push(comp.to_vec());
            }
            let kind = match fields[1] {
                b"-" => ManifestKind::Any,
                b"d" => ManifestKind::Dir,
                b"f" => ManifestKind::File,
                b"l" => ManifestKind::Symlink,
                b"c" => ManifestKind::CharDev,
                b"b" => ManifestKind::BlockDev,
                b"p" => ManifestKind::Fifo,
                b"s" => ManifestKind::Socket,
                other => {
                    return Err(err(format!(
                        "unknown TYPE {:?} (want one of d f l c b p s -)",
                        String::from_utf8_lossy(other)
                    )))
                }
            };
            let mode = parse_num(fields[2], "MODE", 8, 0o7777).map_err(&err)?;
            let uid = parse_num(fields[3], "UID", 10, u64::from(u32::MAX)).map_err(&err)?;
            let gid = parse_num(fields[4], "GID", 10, u64::from(u32::MAX)).map_err(&err)?;
            let is_dev = matches!(kind, ManifestKind::CharDev | ManifestKind::BlockDev);
            let dev = match (is_dev, fields.len()) {
                (true, 7) => {
                    let major = parse_num(fields[5], "MAJOR", 10, u64::from(u32::MAX))
                        .map_err(&err)?
                        .ok_or_else(|| err("MAJOR must be a number".into()))?;
                    let minor = parse_num(fields[6], "MINOR", 10, u64::from(u32::MAX))
                        .map_err(&err)?
                        .ok_or_else(|| err("MINOR must be a number".into()))?;
                    Some((major as u32, minor as u32))
                }
                (true, _) => return Err(err("device lines need MAJOR and MINOR".into())),
                (false, 5) => None,
                (false, _) => {
                    return Err(err(format!(
                        "expected 5 fields for TYPE {}, found {}",
                        String::from_utf8_lossy(fields[1]),
                        fields.len()
                    )))
                }
            };
            entries.push(ManifestEntry {
                line,
                path,
                kind,
                mode: mode.map(|m| m as u16),
                uid: uid.map(|v| v as u32),
                gid: gid.map(|v| v as u32),
                dev,
            });
        }
        Ok(Manifest {
            file: file.to_path_buf(),
            entries,
        })
    }

    /// Apply every line to `tree` in order; created entries get time `time`.
    pub fn apply(&self, tree: &mut Tree, time: i64) -> Result<(), TreeError> {
        for e in &self.entries {
            self.apply_one(tree, e, time)?;
        }
        Ok(())
    }

    fn apply_one(&self, tree: &mut Tree, e: &ManifestEntry, time: i64) -> Result<(), TreeError> {
        let shown = || {
            let parts: Vec<String> = e.path.iter().map(|c| escape_bytes(c)).collect();
            format!("/{}", parts.join("/"))
        };
        let err = |message: String| TreeError::Manifest {
            file: self.file.clone(),
            line: e.line,
            message,
        };
        // Walk to the parent.
        let mut parent = ROOT;
        let (last, dirs) = match e.path.split_last() {
            Some((l, d)) => (Some(l), d),
            None => (None, &[][..]),
        };
        for (i, comp) in dirs.iter().enumerate() {
            let next = tree
                .entries(parent)
                .iter()
                .find(|x| &x.name == comp)
                .map(|x| x.node);
            match next {
                Some(n) if matches!(tree.node(n).kind, Kind::Dir(_)) => parent = n,
                Some(n) => {
                    let parts: Vec<String> = dirs[..=i].iter().map(|c| escape_bytes(c)).collect();
                    return Err(err(format!(
                        "{}: parent /{} is not a directory (the tree has type {})",
                        shown(),
                        parts.join("/"),
                        tree.node(n).kind.letter()
                    )));
                }
                None => {
                    return Err(err(format!(
                        "{}: parent directory is missing from the tree",
                        shown()
                    )))
                }
            }
        }
        let existing = match last {
            None => Some(ROOT),
            Some(name) => tree
                .entries(parent)
                .iter()
                .find(|x| &x.name == name)
                .map(|x| x.node),
        };
        let id = match existing {
            Some(id) => {
                let have = tree.node(id).kind.letter();
                let want = match e.kind {
                    ManifestKind::Any => have,
                    ManifestKind::Dir => 'd',
                    ManifestKind::File => 'f',
                    ManifestKind::Symlink => 'l',
                    ManifestKind::CharDev => 'c',
                    ManifestKind::BlockDev => 'b',
                    ManifestKind::Fifo => 'p',
                    ManifestKind::Socket => 's',
                };
                if have != want {
                    return Err(err(format!(
                        "{}: the tree has type {have}, the manifest says {want}",
                        shown()
                    )));
                }
                if let Some((major, minor)) = e.dev {
                    match &mut tree.nodes[id].kind {
                        Kind::CharDev { major: a, minor: b }
                        | Kind::BlockDev { major: a, minor: b } => {
                            *a = major;
                            *b = minor;
                        }
                        _ => unreachable!("type checked above"),
                    }
                }
                id
            }
            None => {
                let kind = match (e.kind, e.dev) {
                    (ManifestKind::Dir, _) => Kind::Dir(Vec::new()),
                    (ManifestKind::Fifo, _) => Kind::Fifo,
                    (ManifestKind::CharDev, Some((major, minor))) => Kind::CharDev { major, minor },
                    (ManifestKind::BlockDev, Some((major, minor))) => Kind::BlockDev { major, minor },
                    _ => {
                        return Err(err(format!(
                            "{}: no such path in the source tree (only d, p, c and b lines create entries)",
                            shown()
                        )))
                    }
                };
                let name = last.expect("root always exists");
                tree.add(
                    parent,
                    name,
                    Node {
                        kind,
                        perm: 0,
                        uid: 0,
                        gid: 0,
                        mtime: time,
                    },
                )?
            }
        };
        let node = &mut tree.nodes[id];
        if let Some(m) = e.mode {
            node.perm = m;
        }
        if let Some(u) = e.uid {
            node.uid = u;
        }
        if let Some(g) = e.gid {
            node.gid = g;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Data;

    fn sample() -> Tree {
        let mut t = Tree::new(5);
        let etc = t
            .add(
                ROOT,
                b"etc",
                Node {
                    kind: Kind::Dir(vec![]),
                    perm: 0o700,
                    uid: 1000,
                    gid: 1000,
                    mtime: 1,
                },
            )
            .unwrap();
        t.add(
            etc,
            b"a b",
            Node {
                kind: Kind::File {
                    size: 0,
                    data: Data::Zeros,
                },
                perm: 0o600,
                uid: 0,
                gid: 0,
                mtime: 1,
            },
        )
        .unwrap();
        t
    }

    #[test]
    fn parses_and_applies() {
        let text = b"# comment\n\n/ d 0755 0 0\netc d - 0 3\nhere d 0755 0 0\nhere/null c 0666 0 3 13 2\netc/a\\040b - 4755 7 -\n./fifo p 0600 1 1\n";
        let m = Manifest::parse(text, Path::new("m.txt")).unwrap();
        assert_eq!(m.entries.len(), 6);
        let mut t = sample();
        m.apply(&mut t, 99).unwrap();
        let etc = t.lookup(b"etc").unwrap();
        assert_eq!(
            (t.node(etc).perm, t.node(etc).uid, t.node(etc).gid),
            (0o700, 0, 3)
        );
        let null = t.lookup(b"here/null").unwrap();
        assert_eq!(
            t.node(null).kind,
            Kind::CharDev {
                major: 13,
                minor: 2
            }
        );
        assert_eq!((t.node(null).perm, t.node(null).mtime), (0o666, 99));
        let ab = t.lookup(b"etc/a b").unwrap();
        assert_eq!(
            (t.node(ab).perm, t.node(ab).uid, t.node(ab).gid),
            (0o4755, 7, 0)
        );
        assert_eq!(t.node(t.lookup(b"fifo").unwrap()).kind, Kind::Fifo);
    }

    #[test]
    fn errors_name_line_and_limit() {
        let cases: &[(&[u8], &str)] = &[
            (b"x d 0755 0\n", "m:1: expected PATH TYPE MODE UID GID"),
            (
                b"\nx d 17777 0 0\n",
                "m:2: MODE 17777 is above the limit 7777",
            ),
            (b"x q 0755 0 0\n", "m:1: unknown TYPE"),
            (b"x c 0755 0 0\n", "m:1: device lines need MAJOR and MINOR"),
            (
                b"x d 0755 4294967296 0\n",
                "m:1: UID 4294967296 is above the limit 4294967295",
            ),
            (b"x\\9zz d 0755 0 0\n", "m:1: bad \\ooo escape"),
            (b"x d 0755 0 0 1 2\n", "m:1: expected 5 fields"),
        ];
        for (text, want) in cases {
            let e = Manifest::parse(text, Path::new("m"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with(want), "{e:?} does not start with {want:?}");
        }
        let mut t = sample();
        let m = Manifest::parse(b"nope f 0644 0 0\n", Path::new("m")).unwrap();
        let e = m.apply(&mut t, 0).unwrap_err().to_string();
        assert_eq!(
            e,
            "m:1: /nope: no such path in the source tree (only d, p, c and b lines create entries)"
        );
        let m = Manifest::parse(b"etc f 0644 0 0\n", Path::new("m")).unwrap();
        let e = m.apply(&mut t, 0).unwrap_err().to_string();
        assert_eq!(e, "m:1: /etc: the tree has type d, the manifest says f");
        let m = Manifest::parse(b"no/dir/x d 0755 0 0\n", Path::new("m")).unwrap();
        let e = m.apply(&mut t, 0).unwrap_err().to_string();
        assert_eq!(
            e,
            "m:1: /no/dir/x: parent directory is missing from the tree"
        );
        let m = Manifest::parse(b"etc/a\\040b/x/y d 0755 0 0\n", Path::new("m")).unwrap();
        let e = m.apply(&mut t, 0).unwrap_err().to_string();
        assert_eq!(
            e,
            "m:1: /etc/a\\040b/x/y: parent /etc/a\\040b is not a directory (the tree has type f)"
        );
        let e = Manifest::parse(b"x d 0855 0 0\n", Path::new("m"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "m:1: MODE \"0855\" is not an octal number");
    }
}

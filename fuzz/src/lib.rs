//! What the mvi fuzz targets share: a compact encoding of mostly-zero images
//! (so a 1 MiB UFS seed is a few KiB and mutations land on structure, not
//! on zeros), the exercisers that drive each reader and checker over one
//! image, and the random-tree generator and comparisons of the writer →
//! reader round trips.
//!
//! Every exerciser may see any bytes. Errors are fine; a panic, a hang or
//! an allocation proportional to a size the image only claims is a bug.
#![deny(missing_docs)]

use arbitrary::Arbitrary;
use fstree::{Data, Kind, Node, NodeId, Tree, ROOT};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The largest image [`expand`] makes: 4 MiB.
pub const MAX_IMAGE: usize = 4 << 20;

/// Decode the zero-run encoding: a non-zero byte stands for itself; `00 n`
/// stands for `n + 1` zero bytes when `n < 0x80` and `(n - 0x7f) * 512`
/// zero bytes otherwise (512 to 64 KiB); a lone `00` at the end is one zero.
/// Output stops at [`MAX_IMAGE`] bytes. Any input decodes.
pub fn expand(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().min(MAX_IMAGE));
    let mut i = 0;
    while i < data.len() && out.len() < MAX_IMAGE {
        let b = data[i];
        i += 1;
        if b != 0 {
            out.push(b);
            continue;
        }
        let zeros = match data.get(i) {
            None => 1,
            Some(&n) if n < 0x80 => usize::from(n) + 1,
            Some(&n) => usize::from(n - 0x7f) * 512,
        };
        i += 1;
        let zeros = zeros.min(MAX_IMAGE - out.len());
        out.resize(out.len() + zeros, 0);
    }
    out
}

/// Encode `img` so that [`expand`] gives it back (used for the seeds).
pub fn compact(img: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < img.len() {
        if img[i] != 0 {
            out.push(img[i]);
            i += 1;
            continue;
        }
        let run = img[i..].iter().take_while(|&&b| b == 0).count();
        i += run;
        let mut left = run;
        while left >= 512 {
            let k = (left / 512).min(128);
            out.extend_from_slice(&[0, (0x7f + k) as u8]);
            left -= k * 512;
        }
        while left > 0 {
            let k = left.min(128);
            out.extend_from_slice(&[0, (k - 1) as u8]);
            left -= k;
        }
    }
    out
}

/// A writer that counts and drops bytes.
#[derive(Debug, Default)]
pub struct Count(pub u64);

impl Write for Count {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// At most this many entries of a walk are read back one by one.
const MAX_VISITS: usize = 256;

/// Drive the UFS reader and checker over `img`: open, walk, stat, read
/// every file, link and directory met (up to a bound), look each path up,
/// and run the checker. A clean check must mean the reader can walk it.
pub fn ufs_exercise(img: &[u8]) {
    let report = ufsimg::check(img);
    let Ok(r) = ufsimg::Reader::open(img) else {
        assert!(
            !report.is_clean(),
            "the checker passes an image the reader cannot open"
        );
        return;
    };
    let _ = r.read_dir(ufsimg::format::ROOTINO);
    let _ = r.lookup(b"/a/b/../../c");
    let walk = r.walk();
    if report.is_clean() {
        assert!(
            walk.is_ok(),
            "the checker passes an image the reader cannot walk: {:?}",
            walk.as_ref().err()
        );
    }
    let Ok(walk) = walk else { return };
    for (path, st) in walk.iter().take(MAX_VISITS) {
        let _ = r.lookup(path);
        let _ = r.stat(st.ino);
        match st.mode & ufsimg::format::IFMT {
            ufsimg::format::IFLNK => {
                let _ = r.read_link(st.ino);
            }
            ufsimg::format::IFDIR => {
                let _ = r.read_dir(st.ino);
            }
            _ => {
                let _ = r.read_file(st.ino, &mut Count::default());
            }
        }
    }
}

/// Drive the ISO reader and checker over `img`: open, walk each tree,
/// list and read every entry met (up to a bound), the boot catalog, and
/// the checker.
pub fn iso_exercise(img: &[u8]) {
    let _ = iso9660::check::check(img);
    let Ok(r) = iso9660::read::IsoReader::open(img) else {
        return;
    };
    let _ = r.boot_catalog();
    let _ = r.list(b"/");
    let _ = r.stat(b"/a/../b");
    for tree in [
        iso9660::read::Tree::RockRidge,
        iso9660::read::Tree::Primary,
        iso9660::read::Tree::Joliet,
    ] {
        if !r.has_tree(tree) {
            continue;
        }
        let Ok(walk) = r.walk(tree) else { continue };
        for (path, e) in walk.iter().take(MAX_VISITS) {
            let _ = r.lookup(path, tree);
            if e.is_dir {
                let _ = r.read_dir(e, tree, path);
            } else {
                let _ = r.read_file(e, &mut Count::default());
            }
        }
    }
}

/// A name component from fuzz bytes: made valid (no `/` or NUL, not empty,
/// `.` or `..`) and cut to `max` bytes.
fn name(raw: &[u8], max: usize) -> Vec<u8> {
    let mut n: Vec<u8> = raw
        .iter()
        .take(max)
        .map(|&b| if b == b'/' || b == 0 { b'_' } else { b })
        .collect();
    if n.is_empty() || n == b"." || n == b".." {
        n.insert(0, b'n');
    }
    n
}

/// One entry of a generated tree.
#[derive(Debug, Arbitrary)]
pub struct EntrySpec {
    /// Path components below the root (the last one is the entry's name).
    pub path: Vec<Vec<u8>>,
    /// What the entry is.
    pub kind: KindSpec,
    /// Permission bits (low 12 used).
    pub perm: u16,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// The type of a generated entry.
#[derive(Debug, Arbitrary)]
pub enum KindSpec {
    /// A directory.
    Dir,
    /// A file with these bytes.
    File(Vec<u8>),
    /// A file of zeros of this many KiB (crosses the direct/indirect block
    /// boundaries) plus a few bytes.
    Zeros(u8, u16),
    /// A symlink with this target.
    Symlink(Vec<u8>),
    /// A character device.
    Char(u32, u32),
    /// A block device.
    Block(u32, u32),
    /// A named pipe.
    Fifo,
    /// A socket.
    Socket,
    /// Another name for the n-th non-directory added so far.
    Link(u8),
}

/// A generated tree and the writer options to use.
#[derive(Debug, Arbitrary)]
pub struct TreeSpec {
    /// The entries, added in order (parents made like `mkdir -p`).
    pub entries: Vec<EntrySpec>,
    /// Option bits for the writer (each target reads its own).
    pub opts: u8,
}

impl TreeSpec {
    /// Build the tree: at most 48 entries, 12 levels, 255-byte names,
    /// 1023-byte symlink targets, 2 MiB of file data; entries the tree
    /// refuses (an existing name, a file as a parent) are skipped.
    pub fn build(&self) -> Tree {
        let t = 1_000_000;
        let mut tree = Tree::new(t);
        let mut plain: Vec<NodeId> = Vec::new();
        let mut data = 0u64;
        for e in self.entries.iter().take(48) {
            if e.path.is_empty() {
                continue;
            }
            let comps: Vec<Vec<u8>> = e.path.iter().take(12).map(|c| name(c, 255)).collect();
            let path = comps.join(&b'/');
            let perm = e.perm & 0o7777;
            let node = |kind| Node {
                kind,
                perm,
                uid: e.uid,
                gid: e.gid,
                mtime: t,
            };
            let n = match &e.kind {
                KindSpec::Dir => node(Kind::Dir(Vec::new())),
                KindSpec::File(b) => {
                    data += b.len() as u64;
                    node(Kind::File {
                        size: b.len() as u64,
                        data: Data::Bytes(b.clone().into()),
                    })
                }
                KindSpec::Zeros(kib, extra) => {
                    let size = u64::from(*kib) * 1024 * 8 + u64::from(*extra % 1024);
                    if data + size > 2 << 20 {
                        continue;
                    }
                    data += size;
                    node(Kind::File {
                        size,
                        data: Data::Zeros,
                    })
                }
                KindSpec::Symlink(target) => {
                    let mut tg: Vec<u8> = target.iter().take(1023).copied().collect();
                    tg.retain(|&b| b != 0);
                    if tg.is_empty() {
                        tg.push(b'x');
                    }
                    node(Kind::Symlink(tg))
                }
                KindSpec::Char(major, minor) => node(Kind::CharDev {
                    major: *major,
                    minor: *minor,
                }),
                KindSpec::Block(major, minor) => node(Kind::BlockDev {
                    major: *major,
                    minor: *minor,
                }),
                KindSpec::Fifo => node(Kind::Fifo),
                KindSpec::Socket => node(Kind::Socket),
                KindSpec::Link(k) => {
                    if plain.is_empty() {
                        continue;
                    }
                    let target = plain[usize::from(*k) % plain.len()];
                    let (dirs, last) = comps.split_at(comps.len() - 1);
                    let parent = if dirs.is_empty() {
                        Some(ROOT)
                    } else {
                        tree.lookup(&dirs.join(&b'/'))
                    };
                    if let Some(p) = parent {
                        if matches!(tree.node(p).kind, Kind::Dir(_)) {
                            let _ = tree.link(p, &last[0], target);
                        }
                    }
                    continue;
                }
            };
            let is_dir = matches!(n.kind, Kind::Dir(_));
            if let Ok(id) = tree.add_path(&path, n) {
                if !is_dir {
                    plain.push(id);
                }
            }
        }
        tree
    }
}

/// What a path of a generated tree should read back as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// `S_IFMT` bits of the type.
    pub ifmt: u32,
    /// Permission bits.
    pub perm: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Links (directories: 2 + subdirectories).
    pub nlink: u32,
    /// Regular file contents.
    pub content: Option<Vec<u8>>,
    /// Symlink target.
    pub target: Option<Vec<u8>>,
    /// Device numbers.
    pub rdev: Option<(u32, u32)>,
}

/// Every path of `tree` ("/" for the root, "/a/b" below) with what it
/// should read back as.
pub fn expected(tree: &Tree) -> BTreeMap<Vec<u8>, Want> {
    let links = tree.link_counts();
    let mut out = BTreeMap::new();
    let mut stack: Vec<(NodeId, Vec<u8>)> = vec![(ROOT, Vec::new())];
    while let Some((id, path)) = stack.pop() {
        let n = tree.node(id);
        let mut w = Want {
            ifmt: 0,
            perm: u32::from(n.perm),
            uid: n.uid,
            gid: n.gid,
            nlink: links[id],
            content: None,
            target: None,
            rdev: None,
        };
        match &n.kind {
            Kind::Dir(entries) => {
                w.ifmt = 0o040000;
                for e in entries {
                    let mut p = path.clone();
                    p.push(b'/');
                    p.extend_from_slice(&e.name);
                    stack.push((e.node, p));
                }
            }
            Kind::File { size, data } => {
                w.ifmt = 0o100000;
                w.content = Some(match data {
                    Data::Bytes(b) => b.to_vec(),
                    Data::Zeros => vec![0; *size as usize],
                    Data::Path(p) => std::fs::read(p).expect("fuzz trees hold no paths"),
                });
            }
            Kind::Symlink(t) => {
                w.ifmt = 0o120000;
                w.target = Some(t.clone());
            }
            Kind::CharDev { major, minor } => {
                w.ifmt = 0o020000;
                w.rdev = Some((*major, *minor));
            }
            Kind::BlockDev { major, minor } => {
                w.ifmt = 0o060000;
                w.rdev = Some((*major, *minor));
            }
            Kind::Fifo => w.ifmt = 0o010000,
            Kind::Socket => w.ifmt = 0o140000,
        }
        let key = if path.is_empty() { b"/".to_vec() } else { path };
        out.insert(key, w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_then_expand_gives_the_image_back() {
        let mut img = vec![0u8; 3 << 20];
        for (i, at) in [0usize, 1, 511, 512, 513, 70_000, (3 << 20) - 1]
            .iter()
            .enumerate()
        {
            img[*at] = i as u8 + 1;
        }
        img[100..200].fill(0xff);
        let c = compact(&img);
        assert!(c.len() < 400, "{} bytes", c.len());
        assert_eq!(expand(&c), img);
        assert_eq!(expand(&compact(&[])), Vec::<u8>::new());
        assert_eq!(expand(&compact(&[0])), vec![0]);
    }

    #[test]
    fn any_input_expands_to_at_most_max_image() {
        assert_eq!(expand(&[0xff; 100]), vec![0xff; 100]);
        assert_eq!(expand(&[0]), vec![0]);
        assert_eq!(expand(&[0, 0x7f]).len(), 128);
        assert_eq!(expand(&[0, 0x80]).len(), 512);
        assert_eq!(expand(&[0, 0xff]).len(), 64 << 10);
        assert_eq!(expand(&[0, 0xff].repeat(1000)).len(), MAX_IMAGE);
    }
}

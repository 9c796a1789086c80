//! The streaming writer: emits a [`Layout`] strictly sequentially.

use crate::format::*;
use crate::plan::{units, Content, Layout, BSIZE, FRAG, FSIZE, NINDIR, NSPF};
use crate::UfsError;
use fstree::{Data, Kind, Tree};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

/// What [`write`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Bytes written (the whole image).
    pub bytes: u64,
    /// Bytes of regular-file content copied from the tree.
    pub file_bytes: u64,
}

/// Where a stream unit sits in an inode's block tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Data block with logical block number `lbn`.
    Data(u64),
    /// Indirect block of `level` (1 single, 2 double, 3 triple) mapping data
    /// blocks from `first_lbn`, covering `blocks` data blocks.
    Indirect {
        level: u32,
        first_lbn: u64,
        blocks: u64,
    },
}

/// Classify stream unit `u` of a file with `nblocks` data blocks.
pub(crate) fn classify(u: u64, nblocks: u64) -> Unit {
    let n = NDADDR as u64;
    if u < n {
        return Unit::Data(u);
    }
    let mut u = u - n;
    let mut base = n;
    let mut span = 1u64;
    for level in 1..=3u32 {
        span *= NINDIR;
        let m = nblocks.saturating_sub(base).min(span);
        let here = units(level, m);
        if u < here {
            return classify_in(level, u, base, m);
        }
        u -= here;
        base += span;
    }
    unreachable!("unit beyond the triple indirect range")
}

fn classify_in(level: u32, u: u64, base: u64, m: u64) -> Unit {
    if level == 0 {
        return Unit::Data(base);
    }
    if u == 0 {
        return Unit::Indirect {
            level,
            first_lbn: base,
            blocks: m,
        };
    }
    let span = NINDIR.pow(level - 1);
    let full = units(level - 1, span);
    let i = (u - 1) / full;
    let cu = (u - 1) % full;
    let cbase = base + i * span;
    classify_in(level - 1, cu, cbase, (m - i * span).min(span))
}

/// Stream unit index of the first unit (the indirect block itself, or the
/// data block) of the child subtree `i` of an indirect block at unit `p`.
fn child_unit(p: u64, level: u32, i: u64) -> u64 {
    p + 1 + i * units(level - 1, NINDIR.pow(level - 1))
}

/// Stream unit of the top-level pointer `ib[k]` (k = 0, 1, 2).
fn ib_unit(k: usize) -> u64 {
    let mut u = NDADDR as u64;
    for level in 1..=k as u32 {
        u += units(level, NINDIR.pow(level));
    }
    u
}

impl Layout {
    /// The on-disk inode `ino` (0 ≤ ino < ncg·ipg).
    pub fn dinode(&self, ino: u32, tree: &Tree) -> Dinode {
        if ino < ROOTINO {
            return Dinode::default();
        }
        if u64::from(ino) >= self.used_inodes() {
            return Dinode {
                gen: self.gen(ino),
                ..Default::default()
            };
        }
        let p = self.inode(ino);
        let (uid, gid, mtime) = match p.node {
            Some(id) => {
                let n = tree.node(id);
                (n.uid, n.gid, n.mtime)
            }
            None => (0, 0, self.params.time),
        };
        let t = mtime.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        let short = |v: u32| if v > 65535 { UID_LONG } else { v as u16 };
        let mut d = Dinode {
            mode: p.mode,
            nlink: p.nlink,
            suid: short(uid),
            sgid: short(gid),
            size: p.size,
            atime: (t, 0),
            mtime: (t, 0),
            ctime: (t, 0),
            gen: self.gen(ino),
            uid,
            gid,
            ..Default::default()
        };
        if let Some(Kind::CharDev { major, minor } | Kind::BlockDev { major, minor }) =
            p.node.map(|id| &tree.node(id).kind)
        {
            d.db[1] = encode_dev(*major, *minor).expect("validated by plan") as i32;
            return d;
        }
        let direct = p.nblocks.min(NDADDR as u64);
        for lbn in 0..direct {
            d.db[lbn as usize] = match p.tail {
                Some((a, _)) if lbn + 1 == p.nblocks => a as i32,
                _ => self.unit_addr(ino, lbn) as i32,
            };
        }
        let mut reach = NDADDR as u64;
        let mut span = 1u64;
        for k in 0..NIADDR {
            span *= NINDIR;
            if p.nblocks > reach {
                d.ib[k] = self.unit_addr(ino, ib_unit(k)) as i32;
            }
            reach += span;
        }
        let frags = p.stream_units * u64::from(FRAG) + u64::from(p.tail.map_or(0, |t| t.1));
        d.blocks = (frags * u64::from(NSPF)) as i32;
        d
    }

    /// The bytes of directory inode `ino` (`ic_lsize` bytes): 512-byte chunks,
    /// "." (reclen 12) and ".." first, then the entries in name order.
    pub fn dir_bytes(&self, ino: u32, tree: &Tree) -> Vec<u8> {
        let p = self.inode(ino);
        let mut names: Vec<(&[u8], u32)> = Vec::new();
        if let Some(id) = p.node {
            for e in tree.entries(id) {
                names.push((&e.name, self.ino_of[e.node]));
            }
            if id == fstree::ROOT {
                if let Some(lf) = self.lost_found {
                    let pos = names.partition_point(|(n, _)| *n < &b"lost+found"[..]);
                    names.insert(pos, (b"lost+found", lf));
                }
            }
        }
        let mut out = vec![0u8; p.size as usize];
        // The plan sized the directory with the same packing (plan::dir_size).
        let mut chunk = 0usize;
        let mut used = 0usize;
        let mut last = 0usize; // offset of the last entry in the chunk
        let put = |out: &mut Vec<u8>,
                   name: &[u8],
                   ino: u32,
                   chunk: &mut usize,
                   used: &mut usize,
                   last: &mut usize| {
            let need = dirsiz(name.len());
            if *used + need > DIRBLKSIZ {
                let lo = *chunk + *last;
                put_u16(out, lo + 4, (DIRBLKSIZ - *last) as u16);
                *chunk += DIRBLKSIZ;
                *used = 0;
            }
            let off = *chunk + *used;
            put_u32(out, off, ino);
            put_u16(out, off + 4, need as u16);
            put_u16(out, off + 6, name.len() as u16);
            out[off + 8..off + 8 + name.len()].copy_from_slice(name);
            *last = *used;
            *used += need;
        };
        put(&mut out, b".", ino, &mut chunk, &mut used, &mut last);
        put(&mut out, b"..", p.parent, &mut chunk, &mut used, &mut last);
        for (name, child) in names {
            put(&mut out, name, child, &mut chunk, &mut used, &mut last);
        }
        put_u16(&mut out, chunk + last + 4, (DIRBLKSIZ - last) as u16);
        // Remaining chunks (lost+found's full block) are empty entries.
        let mut c = chunk + DIRBLKSIZ;
        while c < out.len() {
            put_u16(&mut out, c + 4, DIRBLKSIZ as u16);
            c += DIRBLKSIZ;
        }
        out
    }
}

/// Output with a position, zero filling and an address check.
struct Out<W: Write> {
    w: W,
    pos: u64,
    progress: Box<dyn FnMut(u64)>,
    next_report: u64,
}

static ZEROS: [u8; 65536] = [0u8; 65536];

/// Data blocks copied per read and write (512 KiB): a fixed buffer.
const BATCH_BLOCKS: u64 = 64;

impl<W: Write> Out<W> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), UfsError> {
        self.w.write_all(b).map_err(UfsError::Write)?;
        self.pos += b.len() as u64;
        if self.pos >= self.next_report {
            (self.progress)(self.pos);
            self.next_report = self.pos + (8 << 20);
        }
        Ok(())
    }
    fn zeros_to(&mut self, target: u64) -> Result<(), UfsError> {
        assert!(
            target >= self.pos,
            "plan overlap: at byte {} but next piece starts at {target}",
            self.pos
        );
        while self.pos < target {
            let n = (target - self.pos).min(ZEROS.len() as u64) as usize;
            self.bytes(&ZEROS[..n])?;
        }
        Ok(())
    }
    fn at_frag(&mut self, frag: u32) -> Result<(), UfsError> {
        self.zeros_to(u64::from(frag) * u64::from(FSIZE))
    }
}

/// Source of a file's bytes, opened once per inode.
enum Source {
    File(File, PathBuf),
    Bytes(Arc<[u8]>),
    Zeros,
    Generated(Vec<u8>),
}

impl Source {
    fn read(&self, off: u64, buf: &mut [u8], size: u64) -> Result<(), UfsError> {
        let n = (size.saturating_sub(off)).min(buf.len() as u64) as usize;
        buf[n..].fill(0);
        match self {
            Source::File(f, path) => {
                let mut done = 0;
                while done < n {
                    match f.read_at(&mut buf[done..n], off + done as u64) {
                        Ok(0) => {
                            return Err(UfsError::SourceChanged {
                                path: path.clone(),
                                expected: size,
                                found: off + done as u64,
                            })
                        }
                        Ok(k) => done += k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(source) => {
                            return Err(UfsError::Io {
                                path: path.clone(),
                                source,
                            })
                        }
                    }
                }
            }
            Source::Bytes(b) => buf[..n].copy_from_slice(&b[off as usize..off as usize + n]),
            Source::Zeros => buf[..n].fill(0),
            Source::Generated(b) => buf[..n].copy_from_slice(&b[off as usize..off as usize + n]),
        }
        Ok(())
    }
}

fn open_source(layout: &Layout, tree: &Tree, ino: u32) -> Result<Source, UfsError> {
    let p = layout.inode(ino);
    let Some(id) = p.node else {
        return Ok(Source::Generated(layout.dir_bytes(ino, tree)));
    };
    Ok(match &tree.node(id).kind {
        Kind::Dir(_) => Source::Generated(layout.dir_bytes(ino, tree)),
        Kind::Symlink(t) => Source::Generated(t.clone()),
        Kind::File { size, data } => match data {
            Data::Path(path) => {
                let f = File::open(path).map_err(|source| UfsError::Io {
                    path: path.clone(),
                    source,
                })?;
                let len = f
                    .metadata()
                    .map_err(|source| UfsError::Io {
                        path: path.clone(),
                        source,
                    })?
                    .len();
                if len != *size {
                    return Err(UfsError::SourceChanged {
                        path: path.clone(),
                        expected: *size,
                        found: len,
                    });
                }
                Source::File(f, path.clone())
            }
            Data::Bytes(b) => {
                if b.len() as u64 != *size {
                    return Err(UfsError::SourceChanged {
                        path: PathBuf::from(tree.path_of(id)),
                        expected: *size,
                        found: b.len() as u64,
                    });
                }
                Source::Bytes(b.clone())
            }
            Data::Zeros => Source::Zeros,
        },
        _ => Source::Zeros,
    })
}

/// Pieces of the image in address order within one cg.
enum Piece {
    PrimarySb,
    SbCopy,
    CgHeader(u32),
    Inodes(u32),
    Csum,
    Extent(usize),
}

/// Write the image planned by `layout` for `tree` to `out`, sequentially
/// (no seeking). `out` should be buffered. File data is copied through a
/// fixed block buffer; memory does not grow with file sizes.
pub fn write<W: Write>(layout: &Layout, tree: &Tree, out: W) -> Result<WriteStats, UfsError> {
    write_with_progress(layout, tree, out, |_| {})
}

/// [`write`], calling `progress(bytes_written)` every 8 MiB or so.
pub fn write_with_progress<W: Write>(
    layout: &Layout,
    tree: &Tree,
    out: W,
    progress: impl FnMut(u64) + 'static,
) -> Result<WriteStats, UfsError> {
    let g = &layout.geo;
    let mut o = Out {
        w: out,
        pos: 0,
        progress: Box::new(progress),
        next_report: 0,
    };
    let sb = layout.sb.encode();
    let mut stats = WriteStats::default();
    let mut block = vec![0u8; BSIZE as usize];
    let mut batch = vec![0u8; (BATCH_BLOCKS * u64::from(BSIZE)) as usize];
    let mut cached: Option<(u32, Source)> = None;
    for c in 0..g.ncg {
        let base = g.cgbase(c);
        let mut pieces: Vec<(u32, Piece)> = Vec::new();
        if c == 0 {
            pieces.push(((SBOFF / u64::from(FSIZE)) as u32, Piece::PrimarySb));
            pieces.push((g.cgdmin(0), Piece::Csum));
        }
        pieces.push((g.cgsblock(c), Piece::SbCopy));
        pieces.push((g.cgtod(c), Piece::CgHeader(c)));
        pieces.push((g.cgimin(c), Piece::Inodes(c)));
        let lo = layout.extents.partition_point(|e| e.addr < base);
        let hi = layout.extents.partition_point(|e| e.addr < base + g.fpg);
        pieces.extend((lo..hi).map(|i| (layout.extents[i].addr, Piece::Extent(i))));
        pieces.sort_by_key(|p| p.0);
        for (addr, piece) in pieces {
            o.at_frag(addr)?;
            match piece {
                Piece::PrimarySb | Piece::SbCopy => o.bytes(&sb)?,
                Piece::CgHeader(c) => o.bytes(&layout.cg_block(c))?,
                Piece::Csum => {
                    let mut b = vec![0u8; g.cssize as usize];
                    for (i, cs) in layout.cg_cs.iter().enumerate() {
                        cs.put(&mut b, 16 * i);
                    }
                    o.bytes(&b)?;
                }
                Piece::Inodes(c) => {
                    let first = c * g.ipg;
                    let per = BSIZE / INODE_SIZE as u32;
                    for blk in 0..g.ipg / per {
                        block.fill(0);
                        for k in 0..per {
                            let ino = first + blk * per + k;
                            let off = (k as usize) * INODE_SIZE;
                            layout
                                .dinode(ino, tree)
                                .encode_into(&mut block[off..off + INODE_SIZE]);
                        }
                        o.bytes(&block)?;
                    }
                }
                Piece::Extent(i) => {
                    let e = layout.extents[i];
                    let ino = match e.content {
                        Content::Stream { ino, .. } | Content::Tail { ino } => ino,
                    };
                    if cached.as_ref().map(|c| c.0) != Some(ino) {
                        cached = Some((ino, open_source(layout, tree, ino)?));
                    }
                    let src = &cached.as_ref().expect("just set").1;
                    let p = layout.inode(ino);
                    let is_file = p.mode & IFMT == IFREG;
                    match e.content {
                        Content::Tail { .. } => {
                            let lbn = p.nblocks - 1;
                            let len = (e.nfrags * FSIZE) as usize;
                            src.read(lbn * u64::from(BSIZE), &mut block[..len], p.size)?;
                            o.bytes(&block[..len])?;
                            if is_file {
                                stats.file_bytes += p.size - lbn * u64::from(BSIZE);
                            }
                        }
                        Content::Stream { first_unit, .. } => {
                            let end = first_unit + u64::from(e.nfrags / FRAG);
                            let mut u = first_unit;
                            while u < end {
                                match classify(u, p.nblocks) {
                                    Unit::Data(lbn) => {
                                        // Copy runs of consecutive data blocks in one read.
                                        let mut n = 1u64;
                                        while u + n < end
                                            && n < BATCH_BLOCKS
                                            && classify(u + n, p.nblocks) == Unit::Data(lbn + n)
                                        {
                                            n += 1;
                                        }
                                        let off = lbn * u64::from(BSIZE);
                                        let len = (n * u64::from(BSIZE)) as usize;
                                        src.read(off, &mut batch[..len], p.size)?;
                                        o.bytes(&batch[..len])?;
                                        if is_file {
                                            stats.file_bytes +=
                                                p.size.saturating_sub(off).min(len as u64);
                                        }
                                        u += n;
                                    }
                                    Unit::Indirect { level, blocks, .. } => {
                                        block.fill(0);
                                        let span = NINDIR.pow(level - 1);
                                        for i in 0..blocks.div_ceil(span) {
                                            let a = layout.unit_addr(ino, child_unit(u, level, i));
                                            put_u32(&mut block, 4 * i as usize, a);
                                        }
                                        o.bytes(&block)?;
                                        u += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    o.zeros_to(g.image_bytes)?;
    o.w.flush().map_err(UfsError::Write)?;
    (o.progress)(o.pos);
    stats.bytes = o.pos;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_units() {
        let nb = 12 + 2048 + 3;
        assert_eq!(classify(11, nb), Unit::Data(11));
        assert_eq!(
            classify(12, nb),
            Unit::Indirect {
                level: 1,
                first_lbn: 12,
                blocks: 2048
            }
        );
        assert_eq!(classify(13, nb), Unit::Data(12));
        assert_eq!(classify(12 + 2048, nb), Unit::Data(2059));
        assert_eq!(
            classify(12 + 2049, nb),
            Unit::Indirect {
                level: 2,
                first_lbn: 2060,
                blocks: 3
            }
        );
        assert_eq!(
            classify(12 + 2050, nb),
            Unit::Indirect {
                level: 1,
                first_lbn: 2060,
                blocks: 3
            }
        );
        assert_eq!(classify(12 + 2051, nb), Unit::Data(2060));
        assert_eq!(classify(12 + 2053, nb), Unit::Data(2062));
        assert_eq!(ib_unit(0), 12);
        assert_eq!(ib_unit(1), 12 + 2049);
        assert_eq!(child_unit(12 + 2049, 2, 1), 12 + 2049 + 1 + 2049);
    }
}

//! Reading an image: list, stat and read files by path or inode number.
//!
//! [`Reader::open`] validates the primary superblock just enough that every
//! later address computation stays inside the image and no allocation grows
//! beyond what the image itself holds; every other read checks the structure
//! it touches (block addresses, directory records) and reports damage as
//! [`UfsError::Corrupt`] naming the inode and field. Nothing here panics on
//! any input. The checker ([`crate::check()`]) goes further and names every
//! inconsistency fsck would.
//!
//! Address arithmetic follows ufs-format.md §1.5 (`cgbase`, `cgstart` with
//! staggering, `itod`/`itoo`), block maps §3, directories §4.

use crate::format::*;
use crate::UfsError;
use std::collections::HashSet;
use std::io;

/// Positioned reads from an image (a file, or bytes in memory).
pub trait ReadAt {
    /// Fill `buf` with the image bytes starting at byte `offset`. A range
    /// that passes the end of the image fails with
    /// [`io::ErrorKind::UnexpectedEof`].
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Length of the image, bytes.
    fn size(&self) -> u64;
}

#[cfg(unix)]
impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
    /// The file's length from its metadata (0 if that cannot be read, which
    /// makes [`Reader::open`] report the image as too short).
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|start| Some((start, start.checked_add(buf.len())?)))
            .and_then(|(start, end)| self.get(start..end));
        match src {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "read of {} bytes at offset {offset} passes the end of a {}-byte image",
                    buf.len(),
                    self.len()
                ),
            )),
        }
    }
    fn size(&self) -> u64 {
        self.len() as u64
    }
}

impl ReadAt for Vec<u8> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.as_slice().read_exact_at(buf, offset)
    }
    fn size(&self) -> u64 {
        self.len() as u64
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_exact_at(buf, offset)
    }
    fn size(&self) -> u64 {
        (**self).size()
    }
}

/// The address geometry of a file system whose superblock passed the
/// structural checks of [`Locator::new`]: every cg's metadata lies inside
/// `[0, size)` frags and `size * fsize` bytes fit the image, so every
/// address this type computes is in range and no product overflows `u64`.
///
/// All values are in the units the superblock uses (frags, bytes, counts),
/// widened to `u64` (ufs-format.md §1, §1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// Block size, bytes (`fs_bsize`): 4096 or 8192.
    pub bsize: u64,
    /// Fragment size, bytes (`fs_fsize`): a power of 2, 512..=bsize, bsize/fsize ≤ 8.
    pub fsize: u64,
    /// Frags per block (`fs_frag` = bsize/fsize).
    pub frag: u64,
    /// Number of cylinder groups (`fs_ncg`), ≥ 1.
    pub ncg: u64,
    /// Inodes per group (`fs_ipg`), a positive multiple of `inopb`.
    pub ipg: u64,
    /// Frags per group (`fs_fpg`), a positive multiple of `frag`.
    pub fpg: u64,
    /// Inodes per block (`fs_inopb` = bsize/128).
    pub inopb: u64,
    /// Block pointers per indirect block (bsize/4; `fs_nindir` should agree).
    pub nindir: u64,
    /// Total frags in the file system (`fs_size`); `size * fsize` ≤ image length.
    pub size: u64,
    /// Frag offset of the superblock copy from `cgstart` (`fs_sblkno`).
    pub sblkno: u64,
    /// Frag offset of the cg header from `cgstart` (`fs_cblkno`).
    pub cblkno: u64,
    /// Frag offset of the inode table from `cgstart` (`fs_iblkno`).
    pub iblkno: u64,
    /// Frag offset of the first data frag from `cgstart` (`fs_dblkno`).
    pub dblkno: u64,
    /// cg staggering step, frags (`fs_cgoffset`, ≥ 0).
    pub cgoffset: u64,
    /// `~fs_cgmask`: the bits of a cg number that select its stagger (0: none).
    pub stagger_mask: u64,
}

/// A superblock value that makes the file system unusable: the field and a
/// one-line description.
pub(crate) type SbFault = (&'static str, String);

fn pow2_in(v: i32, lo: i32, hi: i32) -> bool {
    v >= lo && v <= hi && (v & (v - 1)) == 0
}

impl Locator {
    /// Validate the structural superblock fields against an image of
    /// `image_len` bytes and derive the geometry. Errors are
    /// [`UfsError::Corrupt`] naming the field.
    pub fn new(sb: &Superblock, image_len: u64) -> Result<Locator, UfsError> {
        Self::validate(sb, image_len)
            .map_err(|(field, msg)| UfsError::Corrupt(format!("superblock: {field}: {msg}")))
    }

    /// [`Locator::new`], returning the offending field separately.
    pub(crate) fn validate(sb: &Superblock, image_len: u64) -> Result<Locator, SbFault> {
        if sb.magic != FS_MAGIC {
            return Err((
                "fs_magic",
                format!(
                    "fs_magic is {:#x}, expected {FS_MAGIC:#x} (FS_MAGIC{})",
                    sb.magic,
                    if sb.magic == MTB_UFS_MAGIC {
                        "; multi-terabyte UFS is not supported"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if !pow2_in(sb.bsize, 4096, 8192) {
            return Err((
                "fs_bsize",
                format!("fs_bsize is {}, expected 4096 or 8192", sb.bsize),
            ));
        }
        if !pow2_in(sb.fsize, 512, sb.bsize) || sb.bsize / sb.fsize > 8 {
            return Err((
                "fs_fsize",
                format!(
                    "fs_fsize is {}, expected a power of 2 from {} to {}",
                    sb.fsize,
                    (sb.bsize / 8).max(512),
                    sb.bsize
                ),
            ));
        }
        let bsize = sb.bsize as u64;
        let fsize = sb.fsize as u64;
        let frag = bsize / fsize;
        if sb.frag as i64 != frag as i64 {
            return Err((
                "fs_frag",
                format!("fs_frag is {}, expected {frag} (bsize/fsize)", sb.frag),
            ));
        }
        let inopb = bsize / INODE_SIZE as u64;
        if sb.inopb as i64 != inopb as i64 {
            return Err((
                "fs_inopb",
                format!("fs_inopb is {}, expected {inopb} (bsize/128)", sb.inopb),
            ));
        }
        if sb.ncg < 1 {
            return Err(("fs_ncg", format!("fs_ncg is {}, expected ≥ 1", sb.ncg)));
        }
        if sb.ipg < 1 || (sb.ipg as u64) & (inopb - 1) != 0 {
            return Err((
                "fs_ipg",
                format!(
                    "fs_ipg is {}, expected a positive multiple of {inopb} (inodes per block)",
                    sb.ipg
                ),
            ));
        }
        if sb.fpg < 1 || (sb.fpg as u64) & (frag - 1) != 0 {
            return Err((
                "fs_fpg",
                format!(
                    "fs_fpg is {}, expected a positive multiple of {frag} (frags per block)",
                    sb.fpg
                ),
            ));
        }
        if sb.size < 1 {
            return Err(("fs_size", format!("fs_size is {}, expected ≥ 1", sb.size)));
        }
        let (ncg, ipg, fpg, size) = (sb.ncg as u64, sb.ipg as u64, sb.fpg as u64, sb.size as u64);
        // All four are < 2^31, so these products are < 2^62.
        if size * fsize > image_len {
            return Err((
                "fs_size",
                format!(
                    "fs_size is {size} frags ({} bytes), the image has only {image_len} bytes",
                    size * fsize
                ),
            ));
        }
        if (ncg - 1) * fpg >= size || size > ncg * fpg {
            return Err((
                "fs_ncg",
                format!(
                    "fs_ncg is {ncg} with fs_fpg {fpg}, but fs_size {size} needs {} cylinder groups",
                    size.div_ceil(fpg)
                ),
            ));
        }
        let offs = [
            ("fs_sblkno", sb.sblkno),
            ("fs_cblkno", sb.cblkno),
            ("fs_iblkno", sb.iblkno),
            ("fs_dblkno", sb.dblkno),
        ];
        let mut prev = -1i64;
        for (name, v) in offs {
            if i64::from(v) <= prev {
                return Err((
                    name,
                    format!(
                        "{name} is {v}, expected more than {prev} (sblkno < cblkno < iblkno < dblkno)"
                    ),
                ));
            }
            prev = i64::from(v);
        }
        let (sblkno, cblkno, iblkno, dblkno) = (
            sb.sblkno as u64,
            sb.cblkno as u64,
            sb.iblkno as u64,
            sb.dblkno as u64,
        );
        if iblkno * fsize + ipg * INODE_SIZE as u64 > dblkno * fsize {
            return Err((
                "fs_dblkno",
                format!(
                    "fs_dblkno is {dblkno}, but {ipg} inodes from frag {iblkno} need up to frag {}",
                    iblkno + (ipg * INODE_SIZE as u64).div_ceil(fsize)
                ),
            ));
        }
        if sb.cgoffset < 0 {
            return Err((
                "fs_cgoffset",
                format!("fs_cgoffset is {}, expected ≥ 0", sb.cgoffset),
            ));
        }
        let loc = Locator {
            bsize,
            fsize,
            frag,
            ncg,
            ipg,
            fpg,
            inopb,
            nindir: bsize / 4,
            size,
            sblkno,
            cblkno,
            iblkno,
            dblkno,
            cgoffset: sb.cgoffset as u64,
            stagger_mask: u64::from(!(sb.cgmask as u32)),
        };
        // Every cg must hold its own metadata (mkfs drops a last cg that
        // cannot); with staggering the metadata moves up by the stagger.
        for c in 0..ncg {
            let stagger = loc.cgoffset * (c & loc.stagger_mask);
            if stagger + dblkno > loc.ndblk(c) {
                return Err((
                    if stagger > 0 { "fs_cgoffset" } else { "fs_dblkno" },
                    format!(
                        "cg {c} has {} frags but its metadata ends at frag {} of it (fs_dblkno {dblkno}, stagger {stagger})",
                        loc.ndblk(c),
                        stagger + dblkno
                    ),
                ));
            }
        }
        Ok(loc)
    }

    /// Number of inodes, `ncg * ipg` (inode numbers are `0..ninodes`).
    pub fn ninodes(&self) -> u64 {
        self.ncg * self.ipg
    }
    /// First frag of cg `c` (`cgbase`).
    pub fn cgbase(&self, c: u64) -> u64 {
        self.fpg * c
    }
    /// Start of cg `c`'s metadata (`cgstart` = cgbase + cgoffset·(c & ~cgmask)).
    pub fn cgstart(&self, c: u64) -> u64 {
        self.cgbase(c) + self.cgoffset * (c & self.stagger_mask)
    }
    /// Frag address of cg `c`'s superblock copy (`cgsblock`).
    pub fn cgsblock(&self, c: u64) -> u64 {
        self.cgstart(c) + self.sblkno
    }
    /// Frag address of cg `c`'s header (`cgtod`).
    pub fn cgtod(&self, c: u64) -> u64 {
        self.cgstart(c) + self.cblkno
    }
    /// Frag address of cg `c`'s inode table (`cgimin`).
    pub fn cgimin(&self, c: u64) -> u64 {
        self.cgstart(c) + self.iblkno
    }
    /// Frag address of cg `c`'s first data frag (`cgdmin`).
    pub fn cgdmin(&self, c: u64) -> u64 {
        self.cgstart(c) + self.dblkno
    }
    /// Frags in cg `c` (`cg_ndblk` = min(cgbase + fpg, size) − cgbase).
    pub fn ndblk(&self, c: u64) -> u64 {
        (self.cgbase(c) + self.fpg).min(self.size) - self.cgbase(c)
    }
    /// Byte offset of frag `f`.
    pub fn frag_offset(&self, f: u64) -> u64 {
        f * self.fsize
    }
    /// Byte offset of inode `ino`'s 128-byte dinode (`itod`/`itoo`), or
    /// `None` if `ino` is not below [`Locator::ninodes`].
    pub fn inode_offset(&self, ino: u64) -> Option<u64> {
        if ino >= self.ninodes() {
            return None;
        }
        let c = ino / self.ipg;
        let frag = self.cgimin(c) + self.frag * ((ino % self.ipg) / self.inopb);
        Some(frag * self.fsize + (ino % self.inopb) * INODE_SIZE as u64)
    }
}

/// What [`Reader::stat`] reports about an inode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Inode number.
    pub ino: u32,
    /// `ic_smode`: file type (`IFMT` bits) and permission bits.
    pub mode: u16,
    /// `ic_nlink`: link count.
    pub nlink: i16,
    /// Owner uid by the EFT rule ([`Dinode::owner_uid`]).
    pub uid: u32,
    /// Group id by the EFT rule ([`Dinode::owner_gid`]).
    pub gid: u32,
    /// `ic_lsize`: size, bytes.
    pub size: u64,
    /// `ic_mtime` seconds (time32).
    pub mtime: i32,
    /// `(major, minor)` decoded from `ic_db[1]` ([`decode_dev`]) for
    /// character and block devices; `None` for other types.
    pub rdev: Option<(u32, u32)>,
    /// `ic_blocks`: 512-byte sectors held.
    pub blocks: i32,
}

/// A directory being walked: (its path, its sorted children, next child).
type WalkFrame = (Vec<u8>, Vec<(Vec<u8>, u32)>, usize);

/// Deepest directory nesting [`Reader::walk`] follows.
const MAX_WALK_DEPTH: usize = 4096;
/// Most bytes of paths [`Reader::walk`] returns beyond the image's own
/// length: deep directories with long names make paths grow with depth, so
/// without a bound a few MiB of image could ask for gigabytes of paths.
pub const MAX_WALK_PATH_BYTES: u64 = 64 << 20;
/// Longest symlink target [`Reader::read_link`] returns (`MAXPATHLEN`, which
/// fsck accepts; ufs-format.md §3).
const MAX_LINK_READ: u64 = 1024;

/// Reads a UFS image through [`ReadAt`].
#[derive(Debug)]
pub struct Reader<R: ReadAt> {
    r: R,
    sb: Superblock,
    loc: Locator,
    image_len: u64,
}

fn corrupt(msg: String) -> UfsError {
    UfsError::Corrupt(msg)
}

fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

impl<R: ReadAt> Reader<R> {
    /// Read the primary superblock (byte 8192) and validate it
    /// ([`Locator::new`]).
    pub fn open(r: R) -> Result<Self, UfsError> {
        let image_len = r.size();
        let mut buf = vec![0u8; SBSIZE];
        if image_len < SBOFF + SBSIZE as u64 {
            return Err(corrupt(format!(
                "image is {image_len} bytes, too short for a superblock at byte {SBOFF}"
            )));
        }
        r.read_exact_at(&mut buf, SBOFF)
            .map_err(|e| corrupt(format!("reading the superblock: {e}")))?;
        let sb = Superblock::decode(&buf)
            .ok_or_else(|| corrupt("superblock buffer too short".into()))?;
        let loc = Locator::new(&sb, image_len)?;
        Ok(Reader {
            r,
            sb,
            loc,
            image_len,
        })
    }

    /// The primary superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// The validated address geometry.
    pub fn locator(&self) -> &Locator {
        &self.loc
    }

    /// The underlying image.
    pub fn into_inner(self) -> R {
        self.r
    }

    fn read_at(
        &self,
        buf: &mut [u8],
        offset: u64,
        what: &dyn Fn() -> String,
    ) -> Result<(), UfsError> {
        self.r.read_exact_at(buf, offset).map_err(|e| {
            corrupt(format!(
                "{}: reading {} bytes at byte {offset}: {e}",
                what(),
                buf.len()
            ))
        })
    }

    /// The dinode of inode `ino` (any number below `ncg * ipg`, allocated or not).
    pub fn inode(&self, ino: u32) -> Result<Dinode, UfsError> {
        let off = self.loc.inode_offset(u64::from(ino)).ok_or_else(|| {
            corrupt(format!(
                "inode {ino} is out of range: the file system has {} inodes",
                self.loc.ninodes()
            ))
        })?;
        let mut b = [0u8; INODE_SIZE];
        self.read_at(&mut b, off, &|| format!("inode {ino}"))?;
        Ok(Dinode::decode(&b))
    }

    /// Owner, mode, size, times and device number of inode `ino`.
    pub fn stat(&self, ino: u32) -> Result<Stat, UfsError> {
        let d = self.inode(ino)?;
        Ok(stat_of(ino, &d))
    }

    /// Check a run of `nfrags` frags at `addr` for inode `ino` lies inside
    /// the file system; returns its byte offset.
    fn data_offset(
        &self,
        ino: u32,
        field: &dyn Fn() -> String,
        addr: i32,
        nfrags: u64,
    ) -> Result<u64, UfsError> {
        let a = u64::try_from(addr).map_err(|_| {
            corrupt(format!(
                "inode {ino}: {} is {addr}, a negative frag address",
                field()
            ))
        })?;
        if !matches!(a.checked_add(nfrags), Some(end) if end <= self.loc.size) {
            return Err(corrupt(format!(
                "inode {ino}: {} is {addr}: {nfrags} frags from there pass the end of the file system ({} frags)",
                field(),
                self.loc.size
            )));
        }
        Ok(self.loc.frag_offset(a))
    }

    /// Visit inode `ino`'s data in file order: `f(offset, Some(byte address)
    /// or None for a hole, length)`, one call per logical block (the last
    /// one cut to the file size).
    fn for_each_block(
        &self,
        ino: u32,
        d: &Dinode,
        f: &mut dyn FnMut(u64, Option<u64>, usize) -> Result<(), UfsError>,
    ) -> Result<(), UfsError> {
        if d.size > UFS_MAXOFFSET {
            return Err(corrupt(format!(
                "inode {ino}: ic_lsize is {}, larger than the UFS maximum {UFS_MAXOFFSET}",
                d.size
            )));
        }
        // Holes read as zeros, so a size the blocks do not back would have
        // the reader stream up to a terabyte of zeros from a tiny image.
        // mvi's writer never makes holes; a file larger than its whole file
        // system is refused, which bounds the work by the image's size.
        let fs_bytes = self.loc.size * self.loc.fsize;
        if d.size > fs_bytes {
            return Err(corrupt(format!(
                "inode {ino}: ic_lsize is {}, larger than the {fs_bytes}-byte file system (a sparse file mvi does not read)",
                d.size
            )));
        }
        let bsize = self.loc.bsize;
        let nblocks = d.size.div_ceil(bsize);
        let len_of = |lbn: u64| (d.size - lbn * bsize).min(bsize);
        for lbn in 0..nblocks.min(NDADDR as u64) {
            let len = len_of(lbn);
            let addr = d.db[lbn as usize];
            let at = if addr == 0 {
                None
            } else {
                Some(self.data_offset(
                    ino,
                    &|| format!("ic_db[{lbn}]"),
                    addr,
                    len.div_ceil(self.loc.fsize),
                )?)
            };
            f(lbn * bsize, at, len as usize)?;
        }
        let mut lbn = NDADDR as u64;
        let mut span = 1u64;
        for level in 0..NIADDR {
            if lbn >= nblocks {
                break;
            }
            span *= self.loc.nindir;
            let count = span.min(nblocks - lbn);
            self.indirect(ino, d, level, d.ib[level], level + 1, lbn, count, f)?;
            lbn += count;
        }
        Ok(())
    }

    /// Data blocks `first .. first + count` mapped by the indirect block at
    /// `addr` of depth `depth` (1 = single indirect), or a hole if `addr` is 0.
    #[allow(clippy::too_many_arguments)]
    fn indirect(
        &self,
        ino: u32,
        d: &Dinode,
        level: usize,
        addr: i32,
        depth: usize,
        first: u64,
        count: u64,
        f: &mut dyn FnMut(u64, Option<u64>, usize) -> Result<(), UfsError>,
    ) -> Result<(), UfsError> {
        let bsize = self.loc.bsize;
        let len_of = |lbn: u64| (d.size - lbn * bsize).min(bsize) as usize;
        if addr == 0 {
            for lbn in first..first + count {
                f(lbn * bsize, None, len_of(lbn))?;
            }
            return Ok(());
        }
        let field = || format!("indirect block (ic_ib[{level}] tree) address for block {first}");
        let off = self.data_offset(ino, &field, addr, self.loc.frag)?;
        let mut blk = vec![0u8; bsize as usize];
        self.read_at(&mut blk, off, &|| {
            format!("inode {ino}: indirect block at frag {addr}")
        })?;
        let per = self.loc.nindir.pow(depth as u32 - 1);
        let mut lbn = first;
        let mut i = 0usize;
        while lbn < first + count {
            let entry = get_i32(&blk, 4 * i);
            let n = per.min(first + count - lbn);
            if depth == 1 {
                let len = len_of(lbn);
                let at = if entry == 0 {
                    None
                } else {
                    Some(self.data_offset(
                        ino,
                        &|| format!("indirect entry {i} (block {lbn})"),
                        entry,
                        (len as u64).div_ceil(self.loc.fsize),
                    )?)
                };
                f(lbn * bsize, at, len)?;
            } else {
                self.indirect(ino, d, level, entry, depth - 1, lbn, n, f)?;
            }
            lbn += n;
            i += 1;
        }
        Ok(())
    }

    /// Stream inode `ino`'s contents (`ic_lsize` bytes) to `out`, block by
    /// block through one block-sized buffer; holes read as zeros. Works for
    /// regular files, directories and symlinks. Returns the bytes written.
    pub fn read_file(&self, ino: u32, out: &mut dyn io::Write) -> Result<u64, UfsError> {
        let d = self.inode(ino)?;
        match d.mode & IFMT {
            IFREG | IFDIR | IFLNK | IFATTRDIR => {}
            _ => {
                return Err(UfsError::WrongType {
                    path: format!("inode {ino}"),
                    what: "not a regular file, directory or symlink",
                })
            }
        }
        let mut buf = vec![0u8; self.loc.bsize as usize];
        let mut total = 0u64;
        self.for_each_block(ino, &d, &mut |off, at, len| {
            let b = &mut buf[..len];
            match at {
                Some(at) => {
                    self.read_at(b, at, &|| format!("inode {ino}: data at file offset {off}"))?
                }
                None => b.fill(0),
            }
            out.write_all(b).map_err(UfsError::Write)?;
            total += len as u64;
            Ok(())
        })?;
        Ok(total)
    }

    /// The target of symlink `ino`: `ic_lsize` bytes from its data frags.
    pub fn read_link(&self, ino: u32) -> Result<Vec<u8>, UfsError> {
        let d = self.inode(ino)?;
        if d.mode & IFMT != IFLNK {
            return Err(UfsError::WrongType {
                path: format!("inode {ino}"),
                what: "not a symbolic link",
            });
        }
        if d.size > MAX_LINK_READ {
            return Err(corrupt(format!(
                "inode {ino}: symlink ic_lsize is {}, longer than {MAX_LINK_READ}",
                d.size
            )));
        }
        let mut v = Vec::with_capacity(d.size as usize);
        self.read_file(ino, &mut v)?;
        Ok(v)
    }

    /// The entries of directory `ino` in on-disk order, including "." and
    /// ".."; unused slots (`d_ino` 0) are skipped. Every record is checked
    /// (reclen nonzero, 4-aligned, inside its 512-byte chunk and large
    /// enough for its name; `d_ino` in range), so this always terminates.
    pub fn read_dir(&self, ino: u32) -> Result<Vec<(Vec<u8>, u32)>, UfsError> {
        let d = self.inode(ino)?;
        self.read_dir_inode(ino, &d)
    }

    fn read_dir_inode(&self, ino: u32, d: &Dinode) -> Result<Vec<(Vec<u8>, u32)>, UfsError> {
        if !matches!(d.mode & IFMT, IFDIR | IFATTRDIR) {
            return Err(UfsError::WrongType {
                path: format!("inode {ino}"),
                what: "not a directory",
            });
        }
        if d.size & (DIRBLKSIZ as u64 - 1) != 0 || d.size > self.image_len {
            return Err(corrupt(format!(
                "inode {ino}: directory ic_lsize is {}, expected a multiple of {DIRBLKSIZ} no larger than the image",
                d.size
            )));
        }
        let mut out = Vec::new();
        let mut buf = vec![0u8; self.loc.bsize as usize];
        let ninodes = self.loc.ninodes();
        self.for_each_block(ino, d, &mut |off, at, len| {
            let at = at.ok_or_else(|| {
                corrupt(format!("inode {ino}: directory has a hole at byte {off}"))
            })?;
            let b = &mut buf[..len];
            self.read_at(b, at, &|| {
                format!("inode {ino}: directory block at byte {off}")
            })?;
            for (k, chunk) in b.chunks(DIRBLKSIZ).enumerate() {
                parse_chunk(ino, off + (k * DIRBLKSIZ) as u64, chunk, ninodes, &mut out)?;
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The inode number `path` names, from the root; components are split
    /// on '/', empty ones ignored, symlinks not followed.
    pub fn lookup(&self, path: &[u8]) -> Result<u32, UfsError> {
        let mut cur = ROOTINO;
        let mut start = 0usize;
        for comp in path.split(|&b| b == b'/') {
            let end = start + comp.len();
            let (parent, here) = (&path[..start.min(path.len())], &path[..end]);
            start = end + 1;
            if comp.is_empty() {
                continue;
            }
            let d = self.inode(cur)?;
            if !matches!(d.mode & IFMT, IFDIR | IFATTRDIR) {
                let parent = match parent {
                    [rest @ .., b'/'] if !rest.is_empty() => rest,
                    p => p,
                };
                return Err(UfsError::WrongType {
                    path: lossy(parent),
                    what: "not a directory",
                });
            }
            cur = self
                .read_dir_inode(cur, &d)?
                .into_iter()
                .find(|(n, _)| n == comp)
                .map(|(_, i)| i)
                .ok_or_else(|| UfsError::NotFound { path: lossy(here) })?;
        }
        Ok(cur)
    }

    /// Every path in the image with its [`Stat`], the root first as `b"/"`,
    /// then a depth-first walk visiting names in byte order ("." and ".."
    /// omitted). Fails on a directory reached twice (a cycle or a
    /// directory hard link), an entry naming a free inode, nesting deeper
    /// than 4096, directories totalling more bytes than the image, or paths
    /// totalling more than [`MAX_WALK_PATH_BYTES`] plus the image's length.
    pub fn walk(&self) -> Result<Vec<(Vec<u8>, Stat)>, UfsError> {
        let path_budget = MAX_WALK_PATH_BYTES.saturating_add(self.image_len);
        let mut path_bytes = 0u64;
        let root = self.inode(ROOTINO)?;
        if root.mode & IFMT != IFDIR {
            return Err(corrupt(format!(
                "inode {ROOTINO} (root): ic_smode is {:#o}, not a directory",
                root.mode
            )));
        }
        let mut out = vec![(b"/".to_vec(), stat_of(ROOTINO, &root))];
        let mut seen_dirs: HashSet<u32> = HashSet::new();
        seen_dirs.insert(ROOTINO);
        let mut dir_bytes = root.size;
        // Stack of (path prefix, sorted children, next index).
        let mut stack: Vec<WalkFrame> = vec![(Vec::new(), self.children(ROOTINO, &root)?, 0)];
        while let Some(top) = stack.last_mut() {
            let Some((name, ino)) = top.1.get(top.2).cloned() else {
                stack.pop();
                continue;
            };
            top.2 += 1;
            let d = self.inode(ino)?;
            // A directory's path is held twice: in the output and on the stack.
            let copies = if d.mode & IFMT == IFDIR { 2 } else { 1 };
            path_bytes =
                path_bytes.saturating_add(copies * (top.0.len() as u64 + 1 + name.len() as u64));
            if path_bytes > path_budget {
                return Err(corrupt(format!(
                    "paths total more than {path_budget} bytes (at depth {}): directories too deep for their names",
                    stack.len()
                )));
            }
            let mut path = Vec::with_capacity(top.0.len() + 1 + name.len());
            path.extend_from_slice(&top.0);
            path.push(b'/');
            path.extend_from_slice(&name);
            if d.mode == 0 {
                return Err(corrupt(format!(
                    "{}: directory entry names inode {ino}, which is not allocated",
                    lossy(&path)
                )));
            }
            out.push((path.clone(), stat_of(ino, &d)));
            if d.mode & IFMT == IFDIR {
                if !seen_dirs.insert(ino) {
                    return Err(corrupt(format!(
                        "{}: directory inode {ino} is reached a second time (cycle or directory hard link)",
                        lossy(&path)
                    )));
                }
                if stack.len() >= MAX_WALK_DEPTH {
                    return Err(corrupt(format!(
                        "{}: directories nest deeper than {MAX_WALK_DEPTH} levels",
                        lossy(&path)
                    )));
                }
                dir_bytes = dir_bytes.saturating_add(d.size);
                if dir_bytes > self.image_len {
                    return Err(corrupt(format!(
                        "{}: directories total more than the image's {} bytes",
                        lossy(&path),
                        self.image_len
                    )));
                }
                let kids = self.children(ino, &d)?;
                stack.push((path, kids, 0));
            }
        }
        Ok(out)
    }

    /// Entries of a directory without "." and "..", sorted by name.
    fn children(&self, ino: u32, d: &Dinode) -> Result<Vec<(Vec<u8>, u32)>, UfsError> {
        let mut v: Vec<_> = self
            .read_dir_inode(ino, d)?
            .into_iter()
            .filter(|(n, _)| n != b"." && n != b"..")
            .collect();
        v.sort();
        Ok(v)
    }
}

fn stat_of(ino: u32, d: &Dinode) -> Stat {
    let t = d.mode & IFMT;
    Stat {
        ino,
        mode: d.mode,
        nlink: d.nlink,
        uid: d.owner_uid(),
        gid: d.owner_gid(),
        size: d.size,
        mtime: d.mtime.0,
        rdev: (t == IFCHR || t == IFBLK).then(|| decode_dev(d.db[1] as u32)),
        blocks: d.blocks,
    }
}

/// Parse one 512-byte directory chunk at directory byte `off` of inode
/// `ino`, appending live entries to `out`.
fn parse_chunk(
    ino: u32,
    off: u64,
    chunk: &[u8],
    ninodes: u64,
    out: &mut Vec<(Vec<u8>, u32)>,
) -> Result<(), UfsError> {
    let mut loc = 0usize;
    while loc < chunk.len() {
        let at = off + loc as u64;
        if loc + 8 > chunk.len() {
            return Err(corrupt(format!(
                "inode {ino}: directory entry at byte {at} crosses the {DIRBLKSIZ}-byte chunk end"
            )));
        }
        let d_ino = get_u32(chunk, loc);
        let reclen = usize::from(get_u16(chunk, loc + 4));
        let namlen = usize::from(get_u16(chunk, loc + 6));
        let room = chunk.len() - loc;
        if reclen == 0 || reclen % 4 != 0 || reclen > room {
            return Err(corrupt(format!(
                "inode {ino}: directory entry at byte {at}: d_reclen is {reclen}, expected a nonzero multiple of 4 up to {room}"
            )));
        }
        if d_ino != 0 {
            if namlen > MAXNAMLEN || dirsiz(namlen) > reclen {
                return Err(corrupt(format!(
                    "inode {ino}: directory entry at byte {at}: d_namlen {namlen} does not fit d_reclen {reclen}"
                )));
            }
            if u64::from(d_ino) >= ninodes {
                return Err(corrupt(format!(
                    "inode {ino}: directory entry at byte {at}: d_ino is {d_ino}, the file system has {ninodes} inodes"
                )));
            }
            out.push((chunk[loc + 8..loc + 8 + namlen].to_vec(), d_ino));
        }
        loc += reclen;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testimg::{big_byte, build, BIG, G, HELLO};

    fn reader(b: &[u8]) -> Reader<&[u8]> {
        Reader::open(b).unwrap()
    }

    #[test]
    fn bytes_read_at() {
        let v = vec![1u8, 2, 3, 4];
        let mut b = [0u8; 2];
        v.read_exact_at(&mut b, 2).unwrap();
        assert_eq!(b, [3, 4]);
        let e = v.read_exact_at(&mut b, 3).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        let e = v[..].read_exact_at(&mut b, u64::MAX).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(ReadAt::size(&v), 4);
        assert_eq!(ReadAt::size(&&v[..]), 4);
    }

    #[test]
    fn file_read_at() {
        use std::io::Write;
        let t = build(false);
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&t.bytes).unwrap();
        assert_eq!(ReadAt::size(&f), t.bytes.len() as u64);
        let r = Reader::open(f).unwrap();
        assert_eq!(r.lookup(b"/hello").unwrap(), 4);
        let mut b = [0u8; 4];
        let e = r
            .into_inner()
            .read_exact_at(&mut b, (1 << 20) - 2)
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn lookup_and_errors() {
        let t = build(false);
        let r = reader(&t.bytes);
        assert_eq!(r.lookup(b"/").unwrap(), 2);
        assert_eq!(r.lookup(b"").unwrap(), 2);
        assert_eq!(r.lookup(b"/sub/g").unwrap(), 64);
        assert_eq!(r.lookup(b"//sub///g/").unwrap(), 64);
        assert_eq!(r.lookup(b"sub/..").unwrap(), 2);
        assert_eq!(r.lookup(b"/link").unwrap(), 5, "symlinks are not followed");
        match r.lookup(b"/sub/nope/x") {
            Err(UfsError::NotFound { path }) => assert_eq!(path, "/sub/nope"),
            e => panic!("{e:?}"),
        }
        match r.lookup(b"/hello/x") {
            Err(UfsError::WrongType { path, .. }) => assert_eq!(path, "/hello"),
            e => panic!("{e:?}"),
        }
        assert!(matches!(r.inode(128), Err(UfsError::Corrupt(_))));
        assert!(matches!(
            r.read_file(6, &mut io::sink()),
            Err(UfsError::WrongType { .. })
        ));
        assert!(matches!(r.read_link(4), Err(UfsError::WrongType { .. })));
        assert!(matches!(r.read_dir(4), Err(UfsError::WrongType { .. })));
    }

    #[test]
    fn contents() {
        for stagger in [false, true] {
            let t = build(stagger);
            let r = reader(&t.bytes);
            let read = |p: &[u8]| {
                let mut v = Vec::new();
                let n = r.read_file(r.lookup(p).unwrap(), &mut v).unwrap();
                assert_eq!(n, v.len() as u64);
                v
            };
            assert_eq!(read(b"/hello"), HELLO);
            assert_eq!(read(b"/big"), (0..BIG).map(big_byte).collect::<Vec<_>>());
            let sparse = read(b"/sparse");
            assert_eq!(sparse.len(), 3 * 8192);
            assert!(sparse[..8192].iter().all(|&b| b == 0xaa));
            assert!(sparse[8192..16384].iter().all(|&b| b == 0));
            assert!(sparse[16384..].iter().all(|&b| b == 0xbb));
            assert_eq!(
                read(b"/sub/g"),
                (0..G).map(|i| (i % 13) as u8).collect::<Vec<_>>()
            );
            assert!(read(b"/sub/f").is_empty());
            assert_eq!(r.read_link(5).unwrap(), b"hello");
            let dir = r.read_dir(8).unwrap();
            assert_eq!(
                dir,
                vec![
                    (b".".to_vec(), 8),
                    (b"..".to_vec(), 2),
                    (b"f".to_vec(), 9),
                    (b"g".to_vec(), 64)
                ]
            );
        }
    }

    #[test]
    fn stat_fields() {
        let t = build(false);
        let r = reader(&t.bytes);
        let s = r.stat(6).unwrap();
        assert_eq!(s.mode, IFCHR | 0o666);
        assert_eq!(s.rdev, Some((13, 2)));
        let s = r.stat(3).unwrap();
        assert_eq!((s.uid, s.gid), (70000, 3), "EFT rule: suid 65535 → ic_uid");
        assert_eq!((s.size, s.blocks, s.nlink), (BIG as u64, 240, 1));
        assert_eq!(s.mtime, crate::check::testimg::T - 100);
        assert_eq!(s.rdev, None);
        assert_eq!(r.stat(4).unwrap().nlink, 2);
    }

    #[test]
    fn walk_order() {
        let t = build(true);
        let r = reader(&t.bytes);
        let w = r.walk().unwrap();
        let paths: Vec<&[u8]> = w.iter().map(|(p, _)| p.as_slice()).collect();
        let want: Vec<&[u8]> = vec![
            b"/", b"/big", b"/fifo", b"/hello", b"/hello2", b"/link", b"/null", b"/sparse",
            b"/sub", b"/sub/f", b"/sub/g",
        ];
        assert_eq!(paths, want);
        assert_eq!(w[0].1.ino, 2);
        assert_eq!(w[4].1.ino, 4);
    }

    #[test]
    fn walk_rejects_cycles_and_free_inodes() {
        let t = build(false);
        // /sub/f → the root directory: a cycle.
        let mut b = t.bytes.clone();
        let e = t.dirent_at("/sub", b"f");
        put_u32(&mut b, e, 2);
        let err = reader(&b).walk().unwrap_err().to_string();
        assert!(err.contains("second time"), "{err}");
        // /sub/f → a free inode.
        let mut b = t.bytes.clone();
        put_u32(&mut b, e, 20);
        let err = reader(&b).walk().unwrap_err().to_string();
        assert!(err.contains("not allocated"), "{err}");
    }

    #[test]
    fn damaged_structures_are_errors() {
        let t = build(false);
        let at = t.inode_at(3);
        // Block pointer past the file system.
        let mut b = t.bytes.clone();
        put_i32(&mut b, at + 40 + 4, 5000);
        let err = reader(&b)
            .read_file(3, &mut io::sink())
            .unwrap_err()
            .to_string();
        assert!(err.contains("inode 3: ic_db[1] is 5000"), "{err}");
        // Negative pointer inside the indirect block.
        let mut b = t.bytes.clone();
        let ind = t.frag_at(t.dinodes[&3].ib[0]);
        put_i32(&mut b, ind, -8);
        assert!(reader(&b).read_file(3, &mut io::sink()).is_err());
        // Directory record with reclen 0 and a directory hole.
        let mut b = t.bytes.clone();
        let e = t.dirent_at("/", b"hello");
        put_u16(&mut b, e + 4, 0);
        assert!(reader(&b).read_dir(2).is_err());
        let mut b = t.bytes.clone();
        put_i32(&mut b, t.inode_at(2) + 40, 0);
        assert!(reader(&b)
            .read_dir(2)
            .unwrap_err()
            .to_string()
            .contains("hole"));
        // Superblock damage.
        let mut b = t.bytes.clone();
        put_i32(&mut b, 8192 + 52, 3000);
        let err = Reader::open(&b[..]).unwrap_err().to_string();
        assert!(err.contains("fs_fsize"), "{err}");
        assert!(Reader::open(&t.bytes[..20000]).is_err());
        assert!(Reader::open(&[][..]).is_err());
    }

    #[test]
    fn read_errors_from_the_writer() {
        struct Full;
        impl io::Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let t = build(false);
        let err = reader(&t.bytes).read_file(4, &mut Full).unwrap_err();
        assert!(matches!(err, UfsError::Write(_)));
    }
}

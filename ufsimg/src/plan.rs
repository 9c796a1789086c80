//! The pure layout planner: tree + parameters → every number of the image.
//!
//! Geometry follows illumos `newfs` on a `lofi` device (what mvi's
//! `mkfile` + `lofiadm` + `newfs -o space -m 0 -i 16384` produced): one track
//! per cylinder (no cg staggering, no rotational tables), `nsect` from lofi's
//! fake geometry, mkfs's cpg/ipg/ncg arithmetic (ufs-format.md §5).
//!
//! Allocation is sequential in inode order (root, optional `lost+found`, then
//! the tree's depth-first pre-order): full blocks from a block cursor that
//! walks the data area in address order, and the last partial block of small
//! files, directories and symlinks packed best-fit into partly used blocks.
//! Indirect blocks sit in a file's block stream just before the blocks they
//! map, so a file's stream is a few contiguous runs.

use crate::format::*;
use crate::UfsError;
use fstree::{escape_bytes, Kind, NodeId, Tree, ROOT};
use std::collections::BTreeSet;

/// Block size, bytes (illumos default; the largest illumos x86 supports).
pub const BSIZE: u32 = 8192;
/// Fragment size, bytes.
pub const FSIZE: u32 = 1024;
/// Frags per block.
pub const FRAG: u32 = BSIZE / FSIZE;
/// Sectors (512 bytes) per frag.
pub const NSPF: u32 = FSIZE / 512;
/// Sectors per block.
pub const NSPB: u32 = BSIZE / 512;
/// Inodes per block.
pub const INOPB: u32 = BSIZE / INODE_SIZE as u32;
/// Inodes per frag (`INOPF`).
pub const INOPF: u32 = INOPB / FRAG;
/// Pointers per indirect block.
pub const NINDIR: u64 = (BSIZE / 4) as u64;
/// Most inodes a cg may hold (`MAXIpG`: roundup(bsize*8/3, inopb)).
pub const MAXIPG: u32 = (BSIZE * 8 / 3).div_ceil(INOPB) * INOPB;
/// Cylinders per group newfs asks for below 1 GiB.
pub const CPG: u32 = 16;
/// Rotational positions (lofi presents a VTOC disk).
pub const NRPOS: u32 = 8;
/// Smallest image size accepted, bytes.
pub const MIN_SIZE: u64 = 1 << 20;
/// Largest image size accepted, bytes (fs_size frags must fit an i32 and the
/// image must stay below the 1 TiB MTB threshold).
pub const MAX_SIZE: u64 = 1 << 40;
/// Granularity of automatic sizes, bytes.
pub const AUTO_STEP: u64 = 64 << 10;

/// How big the image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeSpec {
    /// Exactly this many bytes (the lofi device size; a multiple of 512).
    Fixed(u64),
    /// The smallest multiple of 64 KiB (at least 1 MiB) whose data area holds
    /// the tree with `slack_pct` percent of the used data frags left free.
    Auto {
        /// Free space to leave, percent of the data the tree uses.
        slack_pct: u32,
    },
}

/// Parameters of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Image size.
    pub size: SizeSpec,
    /// Bytes of data space per inode (`newfs -i`); mvi used 16384. The inode
    /// count is never below what the tree needs.
    pub nbpi: u32,
    /// Build time `T` (seconds since the epoch): `fs_time`, `cg_time`; file
    /// times are clamped to it. Must fit a signed 32-bit time.
    pub time: i64,
    /// Create `/lost+found` (inode 3, one block) as mkfs does.
    pub lost_found: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            size: SizeSpec::Auto { slack_pct: 10 },
            nbpi: 16384,
            time: fstree::DEFAULT_EPOCH,
            lost_found: false,
        }
    }
}

/// The file-system-wide numbers of a layout (mkfs arithmetic, ufs-format.md §1.4, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Image (lofi device) size, bytes; the file system uses the first
    /// `size * FSIZE` bytes, the rest is zero.
    pub image_bytes: u64,
    /// Fake sectors per track (= sectors per cylinder, one track).
    pub nsect: u32,
    /// Sectors per cylinder.
    pub spc: u32,
    /// Cylinders in the file system.
    pub ncyl: u32,
    /// Cylinders per group.
    pub cpg: u32,
    /// Inodes per group.
    pub ipg: u32,
    /// Frags per group.
    pub fpg: u32,
    /// Number of cylinder groups.
    pub ncg: u32,
    /// Total frags in the file system (`fs_size`).
    pub size: u32,
    /// Data frags (`fs_dsize`).
    pub dsize: u32,
    /// Frag offset of the superblock copy in a cg.
    pub sblkno: u32,
    /// Frag offset of the cg header in a cg.
    pub cblkno: u32,
    /// Frag offset of the inode table in a cg.
    pub iblkno: u32,
    /// Frag offset of the first data frag in a cg.
    pub dblkno: u32,
    /// cg staggering step (unused with one track, but recorded).
    pub cgoffset: u32,
    /// csum array size, bytes (frag-rounded).
    pub cssize: u32,
    /// cg header size, bytes (frag-rounded `CGSIZE`).
    pub cgsize: u32,
    /// Byte offset of `cg_btot` in the cg header.
    pub btotoff: u32,
    /// Byte offset of `cg_b`.
    pub boff: u32,
    /// Byte offset of the inode-used map.
    pub iusedoff: u32,
    /// Byte offset of the frag-free map.
    pub freeoff: u32,
    /// Byte offset of the end of the maps.
    pub nextfreeoff: u32,
}

fn fragroundup(bytes: u64) -> u64 {
    bytes.div_ceil(u64::from(FSIZE)) * u64::from(FSIZE)
}

impl Geometry {
    /// Compute the geometry of a `image_bytes` image with `nbpi` bytes per
    /// inode and at least `min_inodes` inodes (numbers 0..ncg*ipg, so
    /// including the two reserved ones).
    pub fn new(image_bytes: u64, nbpi: u32, min_inodes: u64) -> Result<Geometry, UfsError> {
        if !(MIN_SIZE..=MAX_SIZE).contains(&image_bytes) || !image_bytes.is_multiple_of(512) {
            return Err(UfsError::Param {
                name: "size",
                value: image_bytes.to_string(),
                limit: format!("a multiple of 512 bytes from {MIN_SIZE} to {MAX_SIZE}"),
            });
        }
        if !(1024..=(1 << 24)).contains(&nbpi) {
            return Err(UfsError::Param {
                name: "nbpi",
                value: nbpi.to_string(),
                limit: "1024 to 16777216 bytes per inode".into(),
            });
        }
        // lofi fake_disk_geometry: cylinders of 300 KiB (100 KiB under 2 MiB), one head.
        let cyl_bytes: u64 = if image_bytes < (2 << 20) {
            100 << 10
        } else {
            300 << 10
        };
        let dev_ncyl = image_bytes / cyl_bytes;
        let nsect = u32::try_from(image_bytes / (512 * dev_ncyl)).expect("nsect < 2^32");
        let spc = nsect;
        let sectors = dev_ncyl * u64::from(nsect);
        // mkfs: mincpc = sectors per block halved while spc stays even.
        let mut mincpc = NSPB;
        let mut i = spc;
        while mincpc > 1 && i % 2 == 0 {
            mincpc >>= 1;
            i >>= 1;
        }
        let sblkno = (BBSIZE + SBSIZE as u64)
            .div_ceil(u64::from(FSIZE))
            .div_ceil(u64::from(FRAG)) as u32
            * FRAG;
        let cblkno = sblkno + (SBSIZE as u32).div_ceil(FSIZE).div_ceil(FRAG) * FRAG;
        let iblkno = cblkno + FRAG;
        let cgoffset = nsect.div_ceil(NSPF).div_ceil(FRAG) * FRAG;
        let inospercg1 = (u64::from(spc) * 512 / INODE_SIZE as u64)
            .div_ceil(u64::from(INOPB))
            .saturating_mul(u64::from(INOPB))
            .min(u64::from(MAXIPG));
        let used = (u64::from(iblkno) + inospercg1 / u64::from(INOPF)) * u64::from(NSPF);
        let cgsize_raw = |cpg: u64, ipg: u64, fpg: u64| {
            CG_STRUCT_SIZE
                + 4 * cpg
                + 2 * cpg * u64::from(NRPOS)
                + ipg.div_ceil(8)
                + fpg.div_ceil(8)
        };
        let mut cpg = u64::from(CPG).div_ceil(u64::from(mincpc)) * u64::from(mincpc);
        let ipg_for = |cpg: u64| -> u64 {
            let bytes = (cpg * u64::from(spc)).saturating_sub(used) * 512;
            (bytes / u64::from(nbpi)).div_ceil(u64::from(INOPB)) * u64::from(INOPB)
        };
        let mut ipg = ipg_for(cpg);
        while ipg > u64::from(MAXIPG)
            || cgsize_raw(cpg, ipg, cpg * u64::from(spc) / u64::from(NSPF)) > u64::from(BSIZE)
        {
            if cpg <= u64::from(mincpc) {
                return Err(UfsError::Param {
                    name: "nbpi",
                    value: nbpi.to_string(),
                    limit: "too few bytes per inode for a cylinder group".into(),
                });
            }
            cpg -= u64::from(mincpc);
            ipg = ipg_for(cpg);
        }
        let fpg = cpg * u64::from(spc) / u64::from(NSPF);
        ipg = ipg.max(u64::from(INOPB));
        let size0 = sectors / u64::from(NSPF);
        // Raise ipg until the inode count holds the tree, then settle ncg.
        loop {
            let dblkno = u64::from(iblkno) + ipg / u64::from(INOPF);
            let mut size = size0;
            let mut ncyl = (size * u64::from(NSPF)).div_ceil(u64::from(spc));
            let mut ncg = ncyl.div_ceil(cpg);
            let last = ncg - 1;
            let left = size - last * fpg;
            if left < fpg && dblkno > left {
                ncg -= 1;
                ncyl = ncg * cpg;
                size = ncyl * u64::from(spc) / u64::from(NSPF);
            }
            let too_small = |what: &str| UfsError::TooSmall {
                size: image_bytes,
                needed: 0,
                what: what.to_string(),
            };
            if ncg == 0 {
                return Err(too_small("no room for one cylinder group"));
            }
            if ncg * ipg < min_inodes {
                let want = min_inodes.div_ceil(ncg).div_ceil(u64::from(INOPB)) * u64::from(INOPB);
                let limit = if want > u64::from(MAXIPG) {
                    Some(format!("{MAXIPG} inodes per cylinder group"))
                } else if cgsize_raw(cpg, want, fpg) > u64::from(BSIZE) {
                    Some("cylinder group header larger than a block".to_string())
                } else if u64::from(iblkno) + want / u64::from(INOPF) + 2 * u64::from(FRAG)
                    > fpg.min(size)
                {
                    Some("inode table larger than a cylinder group".to_string())
                } else {
                    None
                };
                if let Some(limit) = limit {
                    let room = fpg
                        .min(size)
                        .saturating_sub(u64::from(iblkno) + 2 * u64::from(FRAG));
                    let per = u64::from(MAXIPG).min(room * u64::from(INOPF));
                    return Err(UfsError::TooManyInodes {
                        needed: min_inodes,
                        size: image_bytes,
                        max: ncg * (per / u64::from(INOPB) * u64::from(INOPB)),
                        limit,
                    });
                }
                ipg = want;
                continue;
            }
            let cssize = fragroundup(ncg * 16);
            // cg 0 must hold its metadata, the csum array and one data block.
            let cg0_end = fpg.min(size);
            if dblkno + cssize / u64::from(FSIZE) + u64::from(FRAG) > cg0_end {
                return Err(too_small("cylinder group 0 cannot hold its metadata"));
            }
            let cgsize = fragroundup(cgsize_raw(cpg, ipg, fpg));
            let btotoff = CG_HEADER_SIZE as u64;
            let boff = btotoff + 4 * cpg;
            let iusedoff = boff + 2 * cpg * u64::from(NRPOS);
            let freeoff = iusedoff + ipg.div_ceil(8);
            let nextfreeoff = freeoff + fpg.div_ceil(8);
            // Data frags: mkfs initcg's sum.
            let mut dsize = 0u64;
            for c in 0..ncg {
                let base = c * fpg;
                let ndblk = (base + fpg).min(size) - base;
                let mut dupper = dblkno;
                if c == 0 {
                    dupper += cssize / u64::from(FSIZE);
                } else {
                    dsize += u64::from(sblkno);
                }
                dsize += ndblk - dupper;
            }
            let n = |v: u64| u32::try_from(v).expect("bounded by MAX_SIZE");
            return Ok(Geometry {
                image_bytes,
                nsect,
                spc,
                ncyl: n(ncyl),
                cpg: n(cpg),
                ipg: n(ipg),
                fpg: n(fpg),
                ncg: n(ncg),
                size: n(size),
                dsize: n(dsize),
                sblkno,
                cblkno,
                iblkno,
                dblkno: n(dblkno),
                cgoffset,
                cssize: n(cssize),
                cgsize: n(cgsize),
                btotoff: n(btotoff),
                boff: n(boff),
                iusedoff: n(iusedoff),
                freeoff: n(freeoff),
                nextfreeoff: n(nextfreeoff),
            });
        }
    }

    /// First frag of cg `c` (`cgbase`; equal to `cgstart` with one track).
    pub fn cgbase(&self, c: u32) -> u32 {
        self.fpg * c
    }
    /// Frag address of cg `c`'s superblock copy (`cgsblock`).
    pub fn cgsblock(&self, c: u32) -> u32 {
        self.cgbase(c) + self.sblkno
    }
    /// Frag address of cg `c`'s header (`cgtod`).
    pub fn cgtod(&self, c: u32) -> u32 {
        self.cgbase(c) + self.cblkno
    }
    /// Frag address of cg `c`'s inode table (`cgimin`).
    pub fn cgimin(&self, c: u32) -> u32 {
        self.cgbase(c) + self.iblkno
    }
    /// Frag address of cg `c`'s first data frag (`cgdmin`).
    pub fn cgdmin(&self, c: u32) -> u32 {
        self.cgbase(c) + self.dblkno
    }
    /// Frags in cg `c` (`cg_ndblk`).
    pub fn ndblk(&self, c: u32) -> u32 {
        (self.cgbase(c) + self.fpg).min(self.size) - self.cgbase(c)
    }
    /// Cylinders in cg `c` (`cg_ncyl`).
    pub fn cg_ncyl(&self, c: u32) -> u32 {
        if c + 1 == self.ncg {
            self.ncyl - self.cpg * c
        } else {
            self.cpg
        }
    }
    /// Frags of the csum array.
    pub fn csfrags(&self) -> u32 {
        self.cssize / FSIZE
    }
    /// Inodes in the file system (`ncg * ipg`).
    pub fn inodes(&self) -> u64 {
        u64::from(self.ncg) * u64::from(self.ipg)
    }
    /// The frag range `[start, end)` of cg `c` that is metadata, never data:
    /// cg 0 `[0, cgdmin + csum)`, others `[cgsblock, cgdmin)`.
    pub fn reserved(&self, c: u32) -> (u32, u32) {
        if c == 0 {
            (0, self.cgdmin(0) + self.csfrags())
        } else {
            (self.cgsblock(c), self.cgdmin(c))
        }
    }
}

/// What a data extent holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// Full blocks of inode `ino`'s block stream (data and indirect blocks in
    /// stream order), starting at stream unit `first_unit`.
    Stream {
        /// Inode number.
        ino: u32,
        /// Index of the first block of this run in the inode's stream.
        first_unit: u64,
    },
    /// The fragment run holding the last, partial block of inode `ino`.
    Tail {
        /// Inode number.
        ino: u32,
    },
}

/// A run of allocated data frags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// First frag address.
    pub addr: u32,
    /// Length in frags.
    pub nfrags: u32,
    /// What it holds.
    pub content: Content,
}

/// Per-inode plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InodePlan {
    /// The tree node (or `None` for a synthesized `lost+found`).
    pub node: Option<NodeId>,
    /// `ic_smode`: type and permission bits.
    pub mode: u16,
    /// `ic_nlink`.
    pub nlink: i16,
    /// `ic_lsize`, bytes.
    pub size: u64,
    /// Number of logical data blocks (`ceil(size / bsize)`).
    pub nblocks: u64,
    /// Blocks in the stream (data blocks except the tail, plus indirect blocks).
    pub stream_units: u64,
    /// Index into [`Layout::runs`] of this inode's first stream run.
    pub runs_start: u32,
    /// Number of stream runs.
    pub runs_len: u32,
    /// Tail fragment run `(addr, nfrags)`, if the last block is partial.
    pub tail: Option<(u32, u32)>,
    /// Parent directory inode (directories only; root's is itself).
    pub parent: u32,
}

/// A contiguous run of whole blocks of one inode's stream: `(first frag, blocks)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// First frag address (block aligned).
    pub addr: u32,
    /// Number of blocks.
    pub blocks: u32,
}

/// The complete plan of an image.
#[derive(Debug, Clone)]
pub struct Layout {
    /// File-system-wide numbers.
    pub geo: Geometry,
    /// Parameters the plan was made with (size resolved).
    pub params: Params,
    /// The final superblock, identical in every copy.
    pub sb: Superblock,
    /// Inodes from number 2 on, in number order (`inodes[i]` is inode `i + 2`).
    pub inodes: Vec<InodePlan>,
    /// Inode number of each tree node (0 for nodes not in the image).
    pub ino_of: Vec<u32>,
    /// Stream runs of all inodes.
    pub runs: Vec<Run>,
    /// All data extents, sorted by address, non-overlapping.
    pub extents: Vec<Extent>,
    /// Per-cg summary (`cg_cs`, also the csum array entries).
    pub cg_cs: Vec<Csum>,
    /// The synthesized `lost+found` inode, if any.
    pub lost_found: Option<u32>,
    /// Seed of `fs_id[1]` and `ic_gen`: a digest of the tree's structure.
    pub seed: u32,
}

/// Blocks (units) of a subtree of `level` (0 = data block) covering `m` data
/// blocks, including its indirect blocks.
pub(crate) fn units(level: u32, m: u64) -> u64 {
    let mut total = m;
    let mut span = 1u64;
    for _ in 0..level {
        span = span.saturating_mul(NINDIR);
        total += m.div_ceil(span);
    }
    total
}

/// Stream units of a file with `nblocks` data blocks whose last block is a
/// separate tail (`has_tail`) or not.
pub(crate) fn stream_units(nblocks: u64, has_tail: bool) -> u64 {
    let n = NDADDR as u64;
    if nblocks <= n {
        return nblocks - u64::from(has_tail);
    }
    let mut total = n;
    let mut left = nblocks - n;
    let mut span = 1u64;
    for level in 1..=3u32 {
        span *= NINDIR;
        let here = left.min(span);
        total += units(level, here);
        left -= here;
        if left == 0 {
            break;
        }
    }
    total
}

/// Frags the last block of a `size`-byte file occupies if it is a tail (a
/// partial block in the direct range), else `None`.
pub(crate) fn tail_frags(size: u64) -> Option<u32> {
    let nblocks = size.div_ceil(u64::from(BSIZE));
    if nblocks == 0 || nblocks > NDADDR as u64 {
        return None;
    }
    let rem = size - (nblocks - 1) * u64::from(BSIZE);
    let frags = rem.div_ceil(u64::from(FSIZE)) as u32;
    (frags < FRAG).then_some(frags)
}

/// Size in bytes of a directory holding `names` (besides "." and "..").
pub(crate) fn dir_size<'a>(names: impl Iterator<Item = &'a [u8]>) -> u64 {
    let mut chunks = 1u64;
    let mut used = 24usize; // "." and ".."
    for n in names {
        let need = dirsiz(n.len());
        if used + need > DIRBLKSIZ {
            chunks += 1;
            used = 0;
        }
        used += need;
    }
    chunks * DIRBLKSIZ as u64
}

fn inode_mode(kind: &Kind) -> u16 {
    match kind {
        Kind::Dir(_) => IFDIR,
        Kind::File { .. } => IFREG,
        Kind::Symlink(_) => IFLNK,
        Kind::CharDev { .. } => IFCHR,
        Kind::BlockDev { .. } => IFBLK,
        Kind::Fifo => IFIFO,
        Kind::Socket => IFSOCK,
    }
}

/// Validate the tree against UFS limits; returns the node order (inode order).
fn validate(tree: &Tree) -> Result<Vec<NodeId>, UfsError> {
    let order = tree.preorder();
    let links = tree.link_counts();
    for &id in &order {
        let node = tree.node(id);
        match &node.kind {
            Kind::Dir(entries) => {
                for e in entries {
                    if e.name.len() > MAXNAMLEN {
                        return Err(UfsError::NameTooLong {
                            path: format!(
                                "{}/{}",
                                tree.path_of(id).trim_end_matches('/'),
                                escape_bytes(&e.name)
                            ),
                            len: e.name.len(),
                        });
                    }
                }
            }
            Kind::Symlink(t) if t.len() > MAX_SYMLINK => {
                return Err(UfsError::SymlinkTooLong {
                    path: tree.path_of(id),
                    len: t.len(),
                })
            }
            Kind::File { size, .. } if *size > UFS_MAXOFFSET => {
                return Err(UfsError::FileTooLarge {
                    path: tree.path_of(id),
                    size: *size,
                })
            }
            Kind::CharDev { major, minor } | Kind::BlockDev { major, minor }
                if encode_dev(*major, *minor).is_none() =>
            {
                return Err(UfsError::DeviceNumber {
                    path: tree.path_of(id),
                    major: *major,
                    minor: *minor,
                })
            }
            _ => {}
        }
        if links[id] > 32767 {
            return Err(UfsError::TooManyLinks {
                path: tree.path_of(id),
                nlink: u64::from(links[id]),
            });
        }
    }
    Ok(order)
}

/// What the allocation needs, independent of geometry.
struct Demand {
    /// Inode order: node ids (None = lost+found).
    order: Vec<Option<NodeId>>,
    /// Per inode: (size, stream units, tail frags).
    shape: Vec<(u64, u64, Option<u32>)>,
    /// Data frags needed if nothing is wasted.
    frags: u64,
}

fn demand(tree: &Tree, order_nodes: &[NodeId], lost_found: bool) -> Demand {
    let mut order: Vec<Option<NodeId>> = Vec::with_capacity(order_nodes.len() + 1);
    order.push(Some(ROOT));
    if lost_found {
        order.push(None);
    }
    order.extend(order_nodes.iter().skip(1).map(|&n| Some(n)));
    let mut shape = Vec::with_capacity(order.len());
    let mut frags = 0u64;
    for &o in &order {
        let size = match o {
            None => u64::from(BSIZE),
            Some(id) => match &tree.node(id).kind {
                Kind::Dir(entries) => {
                    // The same order the writer packs: lost+found takes its
                    // sorted place among the root's entries.
                    let mut names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
                    if id == ROOT && lost_found {
                        let pos = names.partition_point(|n| *n < &b"lost+found"[..]);
                        names.insert(pos, b"lost+found");
                    }
                    dir_size(names.into_iter())
                }
                Kind::File { size, .. } => *size,
                Kind::Symlink(t) => t.len() as u64,
                _ => 0,
            },
        };
        let nblocks = size.div_ceil(u64::from(BSIZE));
        let tail = tail_frags(size);
        let su = stream_units(nblocks, tail.is_some());
        frags += su * u64::from(FRAG) + u64::from(tail.unwrap_or(0));
        shape.push((size, su, tail));
    }
    Demand {
        order,
        shape,
        frags,
    }
}

/// Sequential allocator over the data area.
struct Alloc<'g> {
    geo: &'g Geometry,
    /// Current cg and next candidate frag (block aligned) of the block cursor.
    cg: u32,
    next: u32,
    /// Partly used blocks: (free frags, first free frag address).
    open: BTreeSet<(u32, u32)>,
}

impl<'g> Alloc<'g> {
    fn new(geo: &'g Geometry) -> Alloc<'g> {
        let mut a = Alloc {
            geo,
            cg: 0,
            next: 0,
            open: BTreeSet::new(),
        };
        // cg 0: the block holding the end of the csum array may have free frags.
        let cs_end = geo.cgdmin(0) + geo.csfrags();
        if !cs_end.is_multiple_of(FRAG) {
            let blk_end = (cs_end / FRAG + 1) * FRAG;
            if blk_end <= geo.ndblk(0) {
                a.open.insert((blk_end - cs_end, cs_end));
            }
        }
        a.next = cs_end.div_ceil(FRAG) * FRAG;
        a
    }

    /// Next free whole block, or None when the image is full.
    fn block(&mut self) -> Option<u32> {
        loop {
            if self.cg >= self.geo.ncg {
                return None;
            }
            let base = self.geo.cgbase(self.cg);
            let end = base + self.geo.ndblk(self.cg);
            let (rlo, rhi) = self.geo.reserved(self.cg);
            if self.next >= rlo && self.next < rhi {
                self.next = rhi.div_ceil(FRAG) * FRAG;
            }
            if self.next + FRAG <= end {
                let b = self.next;
                self.next += FRAG;
                return Some(b);
            }
            if self.cg + 1 == self.geo.ncg && !end.is_multiple_of(FRAG) {
                // The trailing partial block of the last cg: offered to tails
                // only once the cursor gets there, to keep data together.
                let start = end / FRAG * FRAG;
                if start >= rhi {
                    self.open.insert((end - start, start));
                }
            }
            self.cg += 1;
            self.next = self.geo.cgbase(self.cg);
        }
    }

    /// Place a tail of `n` frags best-fit in a partly used block.
    fn frags(&mut self, n: u32) -> Option<u32> {
        let pick = self.open.range((n, 0)..).next().copied();
        let (free, addr) = match pick {
            Some(p) => {
                self.open.remove(&p);
                p
            }
            None => (FRAG, self.block()?),
        };
        if free > n {
            self.open.insert((free - n, addr + n));
        }
        Some(addr)
    }
}

/// Result of trying one geometry.
enum Fit {
    Ok(Box<Layout>),
    /// Ran out of data space; free frags short by this many (at least).
    Short(u64),
}

fn try_layout(
    tree: &Tree,
    d: &Demand,
    geo: Geometry,
    params: &Params,
    slack_frags: u64,
) -> Result<Fit, UfsError> {
    let ninodes = d.order.len() as u64 + 2;
    if geo.inodes() < ninodes {
        return Err(UfsError::TooManyInodes {
            needed: ninodes,
            size: geo.image_bytes,
            max: geo.inodes(),
            limit: "inodes".into(),
        });
    }
    let mut alloc = Alloc::new(&geo);
    let mut inodes: Vec<InodePlan> = Vec::with_capacity(d.order.len());
    let mut runs: Vec<Run> = Vec::new();
    let mut extents: Vec<Extent> = Vec::new();
    let mut ino_of = vec![0u32; tree.nodes.len()];
    for (i, o) in d.order.iter().enumerate() {
        if let Some(id) = o {
            ino_of[*id] = i as u32 + ROOTINO;
        }
    }
    let links = tree.link_counts();
    let mut allocated = 0u64;
    for (i, (&o, &(size, su, tail))) in d.order.iter().zip(&d.shape).enumerate() {
        let ino = i as u32 + ROOTINO;
        let runs_start = runs.len() as u32;
        let mut left = su;
        let mut unit = 0u64;
        while left > 0 {
            let Some(b) = alloc.block() else {
                return Ok(Fit::Short(d.frags.saturating_sub(allocated) + slack_frags));
            };
            allocated += u64::from(FRAG);
            let mine = runs.len() as u32 > runs_start;
            match runs.last_mut() {
                Some(r) if mine && r.addr + r.blocks * FRAG == b && b % geo.fpg != 0 => {
                    r.blocks += 1;
                    let e = extents.last_mut().expect("run has an extent");
                    e.nfrags += FRAG;
                }
                _ => {
                    runs.push(Run { addr: b, blocks: 1 });
                    extents.push(Extent {
                        addr: b,
                        nfrags: FRAG,
                        content: Content::Stream {
                            ino,
                            first_unit: unit,
                        },
                    });
                }
            }
            unit += 1;
            left -= 1;
        }
        let tail = match tail {
            Some(n) => {
                let Some(a) = alloc.frags(n) else {
                    return Ok(Fit::Short(d.frags.saturating_sub(allocated) + slack_frags));
                };
                allocated += u64::from(n);
                extents.push(Extent {
                    addr: a,
                    nfrags: n,
                    content: Content::Tail { ino },
                });
                Some((a, n))
            }
            None => None,
        };
        let (mode, nlink) = match o {
            None => (IFDIR | 0o700, 2),
            Some(id) => {
                let n = tree.node(id);
                let mut nl = links[id];
                if id == ROOT && params.lost_found {
                    nl += 1;
                }
                (inode_mode(&n.kind) | (n.perm & 0o7777), nl as i16)
            }
        };
        inodes.push(InodePlan {
            node: o,
            mode,
            nlink,
            size,
            nblocks: size.div_ceil(u64::from(BSIZE)),
            stream_units: su,
            runs_start,
            runs_len: runs.len() as u32 - runs_start,
            tail,
            parent: 0,
        });
    }
    // Slack: free data frags must be at least slack_frags.
    let free_frags = u64::from(geo.dsize) - allocated;
    if free_frags < slack_frags {
        return Ok(Fit::Short(slack_frags - free_frags));
    }
    // Parents of directories.
    let lf = params.lost_found.then_some(ROOTINO + 1);
    inodes[0].parent = ROOTINO;
    if let Some(l) = lf {
        inodes[(l - ROOTINO) as usize].parent = ROOTINO;
    }
    for (pid, node) in tree.nodes.iter().enumerate() {
        if let Kind::Dir(entries) = &node.kind {
            if ino_of[pid] == 0 {
                continue;
            }
            for e in entries {
                if matches!(tree.node(e.node).kind, Kind::Dir(_)) {
                    let ci = ino_of[e.node];
                    inodes[(ci - ROOTINO) as usize].parent = ino_of[pid];
                }
            }
        }
    }
    extents.sort_by_key(|e| e.addr);
    let seed = tree_digest(tree, &d.order, &geo);
    let mut layout = Layout {
        geo,
        params: Params {
            size: SizeSpec::Fixed(geo.image_bytes),
            ..*params
        },
        sb: Superblock::default(),
        inodes,
        ino_of,
        runs,
        extents,
        cg_cs: Vec::new(),
        lost_found: lf,
        seed,
    };
    layout.cg_cs = (0..geo.ncg).map(|c| layout.cg_maps(c).cs).collect();
    layout.sb = layout.superblock(tree)?;
    Ok(Fit::Ok(Box::new(layout)))
}

/// A digest of everything in the tree that shapes the image except file
/// contents: names, types, modes, owners, sizes, targets, device numbers,
/// times, and the geometry. Feeds `fs_id[1]` and `ic_gen`.
fn tree_digest(tree: &Tree, order: &[Option<NodeId>], geo: &Geometry) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for v in [geo.size, geo.ncg, geo.ipg, geo.fpg] {
        h.update(&v.to_le_bytes());
    }
    for id in order.iter().flatten() {
        let n = tree.node(*id);
        h.update(&[n.kind.letter() as u8]);
        h.update(&n.perm.to_le_bytes());
        h.update(&n.uid.to_le_bytes());
        h.update(&n.gid.to_le_bytes());
        h.update(&n.mtime.to_le_bytes());
        match &n.kind {
            Kind::Dir(entries) => {
                for e in entries {
                    h.update(&(e.name.len() as u32).to_le_bytes());
                    h.update(&e.name);
                }
            }
            Kind::File { size, .. } => h.update(&size.to_le_bytes()),
            Kind::Symlink(t) => h.update(t),
            Kind::CharDev { major, minor } | Kind::BlockDev { major, minor } => {
                h.update(&major.to_le_bytes());
                h.update(&minor.to_le_bytes());
            }
            Kind::Fifo | Kind::Socket => {}
        }
    }
    h.finalize()
}

/// A cg's maps and counts, computed from the layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgMaps {
    /// `cg_cs`.
    pub cs: Csum,
    /// `cg_frsum[0..8]`.
    pub frsum: [i32; 8],
    /// `cg_btot[cpg]`.
    pub btot: Vec<i32>,
    /// `cg_b[cpg][nrpos]`, row-major.
    pub b: Vec<i16>,
    /// Inode-used map (`ipg` bits).
    pub iused: Vec<u8>,
    /// Frag-free map (`fpg` bits).
    pub free: Vec<u8>,
}

impl Layout {
    /// The total number of inodes in use, including the reserved 0 and 1.
    pub fn used_inodes(&self) -> u64 {
        self.inodes.len() as u64 + 2
    }

    /// The inode plan of inode `ino` (≥ 2).
    pub fn inode(&self, ino: u32) -> &InodePlan {
        &self.inodes[(ino - ROOTINO) as usize]
    }

    /// Stream runs of inode `ino`.
    pub fn runs_of(&self, ino: u32) -> &[Run] {
        let p = self.inode(ino);
        &self.runs[p.runs_start as usize..(p.runs_start + p.runs_len) as usize]
    }

    /// Frag address of stream unit `u` of inode `ino`.
    pub fn unit_addr(&self, ino: u32, u: u64) -> u32 {
        let mut base = 0u64;
        for r in self.runs_of(ino) {
            if u < base + u64::from(r.blocks) {
                return r.addr + ((u - base) as u32) * FRAG;
            }
            base += u64::from(r.blocks);
        }
        panic!("unit {u} beyond inode {ino}'s stream");
    }

    /// Compute cg `c`'s maps and summary from the allocation.
    pub fn cg_maps(&self, c: u32) -> CgMaps {
        let g = &self.geo;
        let base = g.cgbase(c);
        let ndblk = g.ndblk(c);
        let fpg = g.fpg;
        // Start with every frag of the cg free, then clear metadata and allocations.
        let mut free = vec![0u8; fpg.div_ceil(8) as usize];
        let set = |m: &mut [u8], i: u32| m[(i / 8) as usize] |= 1 << (i % 8);
        let clr = |m: &mut [u8], i: u32| m[(i / 8) as usize] &= !(1 << (i % 8));
        for i in 0..ndblk {
            set(&mut free, i);
        }
        let (rlo, rhi) = g.reserved(c);
        for a in rlo..rhi {
            clr(&mut free, a - base);
        }
        let lo = self.extents.partition_point(|e| e.addr < base);
        for e in &self.extents[lo..] {
            if e.addr >= base + fpg {
                break;
            }
            for a in e.addr..e.addr + e.nfrags {
                clr(&mut free, a - base);
            }
        }
        let isfree = |i: u32| free[(i / 8) as usize] & (1 << (i % 8)) != 0;
        let mut cs = Csum::default();
        let mut frsum = [0i32; 8];
        let mut btot = vec![0i32; g.cpg as usize];
        let mut b = vec![0i16; (g.cpg * NRPOS) as usize];
        let mut blk = 0;
        while blk < fpg {
            let n_free = (blk..blk + FRAG)
                .filter(|&i| i < ndblk && isfree(i))
                .count() as u32;
            if n_free == FRAG {
                cs.nbfree += 1;
                let cyl = (blk * NSPF / g.spc) as usize;
                let rpos = (((blk * NSPF) % g.spc % g.nsect) * NRPOS / g.nsect) as usize;
                btot[cyl] += 1;
                b[cyl * NRPOS as usize + rpos] += 1;
            } else if n_free > 0 {
                cs.nffree += n_free as i32;
                let mut run = 0;
                for i in blk..blk + FRAG {
                    if i < ndblk && isfree(i) {
                        run += 1;
                    } else {
                        if run > 0 {
                            frsum[run] += 1;
                        }
                        run = 0;
                    }
                }
                if run > 0 {
                    frsum[run] += 1;
                }
            }
            blk += FRAG;
        }
        // Inodes.
        let mut iused = vec![0u8; g.ipg.div_ceil(8) as usize];
        let first = c * g.ipg;
        let last = first + g.ipg;
        let used_end = (self.used_inodes() as u32).min(last);
        let mut nused = 0;
        for ino in first..used_end.max(first) {
            set(&mut iused, ino - first);
            nused += 1;
            if ino >= ROOTINO && self.inode(ino).mode & IFMT == IFDIR {
                cs.ndir += 1;
            }
        }
        cs.nifree = (g.ipg - nused) as i32;
        CgMaps {
            cs,
            frsum,
            btot,
            b,
            iused,
            free,
        }
    }

    /// The `SBSIZE`-byte cg header block of cg `c` (padded to a block).
    pub fn cg_block(&self, c: u32) -> Vec<u8> {
        let g = &self.geo;
        let m = self.cg_maps(c);
        let mut blk = vec![0u8; BSIZE as usize];
        put_u32(&mut blk, 4, CG_MAGIC);
        put_i32(&mut blk, 8, self.sb.time);
        put_u32(&mut blk, 12, c);
        put_u16(&mut blk, 16, g.cg_ncyl(c) as u16);
        put_u16(&mut blk, 18, g.ipg as u16);
        put_u32(&mut blk, 20, g.ndblk(c));
        m.cs.put(&mut blk, 24);
        for (k, v) in m.frsum.iter().enumerate() {
            put_i32(&mut blk, 52 + 4 * k, *v);
        }
        put_u32(&mut blk, 84, g.btotoff);
        put_u32(&mut blk, 88, g.boff);
        put_u32(&mut blk, 92, g.iusedoff);
        put_u32(&mut blk, 96, g.freeoff);
        put_u32(&mut blk, 100, g.nextfreeoff);
        for (k, v) in m.btot.iter().enumerate() {
            put_i32(&mut blk, g.btotoff as usize + 4 * k, *v);
        }
        for (k, v) in m.b.iter().enumerate() {
            put_u16(&mut blk, g.boff as usize + 2 * k, *v as u16);
        }
        let io = g.iusedoff as usize;
        blk[io..io + m.iused.len()].copy_from_slice(&m.iused);
        let fo = g.freeoff as usize;
        blk[fo..fo + m.free.len()].copy_from_slice(&m.free);
        blk
    }

    fn superblock(&self, tree: &Tree) -> Result<Superblock, UfsError> {
        let g = &self.geo;
        let time = i32::try_from(self.params.time).map_err(|_| UfsError::Param {
            name: "source-date-epoch",
            value: self.params.time.to_string(),
            limit: "0 to 2147483647 (UFS keeps 32-bit times)".into(),
        })?;
        if time < 0 {
            return Err(UfsError::Param {
                name: "source-date-epoch",
                value: self.params.time.to_string(),
                limit: "0 to 2147483647 (UFS keeps 32-bit times)".into(),
            });
        }
        let mut total = Csum::default();
        for cs in &self.cg_cs {
            total.ndir += cs.ndir;
            total.nbfree += cs.nbfree;
            total.nifree += cs.nifree;
            total.nffree += cs.nffree;
        }
        let _ = tree;
        let large = self
            .inodes
            .iter()
            .any(|p| p.mode & IFMT == IFREG && p.size > MAXOFF32);
        let i = |v: u32| v as i32;
        Ok(Superblock {
            rolled: 0,
            sblkno: i(g.sblkno),
            cblkno: i(g.cblkno),
            iblkno: i(g.iblkno),
            dblkno: i(g.dblkno),
            cgoffset: i(g.cgoffset),
            cgmask: -1,
            time,
            size: i(g.size),
            dsize: i(g.dsize),
            ncg: i(g.ncg),
            bsize: i(BSIZE),
            fsize: i(FSIZE),
            frag: i(FRAG),
            minfree: 0,
            rotdelay: 0,
            rps: 120,
            bmask: !(i(BSIZE) - 1),
            fmask: !(i(FSIZE) - 1),
            bshift: BSIZE.trailing_zeros() as i32,
            fshift: FSIZE.trailing_zeros() as i32,
            maxcontig: 1,
            maxbpg: i(BSIZE / 4),
            fragshift: FRAG.trailing_zeros() as i32,
            fsbtodb: NSPF.trailing_zeros() as i32,
            sbsize: fragroundup(FS_STRUCT_SIZE as u64) as i32,
            csmask: !(i(BSIZE / 16) - 1),
            csshift: (BSIZE / 16).trailing_zeros() as i32,
            nindir: NINDIR as i32,
            inopb: i(INOPB),
            nspf: i(NSPF),
            optim: 1,
            state: FSOKAY.wrapping_sub(time as u32) as i32,
            si: 0,
            trackskew: 0,
            id: [time, self.seed as i32],
            csaddr: i(g.cgdmin(0)),
            cssize: i(g.cssize),
            cgsize: i(g.cgsize),
            ntrak: 1,
            nsect: i(g.nsect),
            spc: i(g.spc),
            ncyl: i(g.ncyl),
            cpg: i(g.cpg),
            ipg: i(g.ipg),
            fpg: i(g.fpg),
            cstotal: total,
            fmod: 0,
            clean: FSCLEAN,
            ronly: 0,
            flags: if large { FSLARGEFILES } else { 0 },
            cgrotor: 0,
            cpc: 0,
            version: 0,
            logbno: 0,
            reclaim: 0,
            npsect: i(g.nsect),
            qbmask: u64::from(BSIZE - 1),
            qfmask: u64::from(FSIZE - 1),
            postblformat: FS_DYNAMICPOSTBLFMT,
            nrpos: i(NRPOS),
            postbloff: 0,
            rotbloff: 0,
            magic: FS_MAGIC,
        })
    }

    /// `ic_gen` of inode `ino`: a pure function of the tree digest and `ino`.
    pub fn gen(&self, ino: u32) -> i32 {
        // splitmix-style mixing of (seed, ino); never 0 for allocated inodes.
        let mut x = (u64::from(self.seed) << 32) | u64::from(ino);
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        ((x as u32) & 0x7fff_ffff).max(1) as i32
    }

    /// Used data frags (file data, directories, symlinks, indirect blocks).
    pub fn used_data_frags(&self) -> u64 {
        self.extents.iter().map(|e| u64::from(e.nfrags)).sum()
    }
}

/// Plan the image of `tree` with `params`: a pure function (no I/O).
pub fn plan(tree: &Tree, params: &Params) -> Result<Layout, UfsError> {
    let order = validate(tree)?;
    let d = demand(tree, &order, params.lost_found);
    let ninodes = d.order.len() as u64 + 2;
    match params.size {
        SizeSpec::Fixed(bytes) => {
            let fit = match Geometry::new(bytes, params.nbpi, ninodes) {
                Ok(geo) => try_layout(tree, &d, geo, params, 0)?,
                Err(UfsError::TooSmall { .. }) => Fit::Short(0),
                Err(e) => return Err(e),
            };
            match fit {
                Fit::Ok(l) => Ok(*l),
                Fit::Short(_) => {
                    let needed = auto_size(tree, &d, params, 0)?.geo.image_bytes;
                    Err(UfsError::TooSmall {
                        size: bytes,
                        needed,
                        what: format!(
                            "{} KiB of data in {} inodes",
                            d.frags * u64::from(FSIZE) / 1024,
                            ninodes
                        ),
                    })
                }
            }
        }
        SizeSpec::Auto { slack_pct } => auto_size(tree, &d, params, slack_pct),
    }
}

fn auto_size(tree: &Tree, d: &Demand, params: &Params, slack_pct: u32) -> Result<Layout, UfsError> {
    let ninodes = d.order.len() as u64 + 2;
    let slack = d.frags * u64::from(slack_pct) / 100;
    // Lower bound: data plus slack, rounded to the step.
    let mut bytes = ((d.frags + slack) * u64::from(FSIZE))
        .div_ceil(AUTO_STEP)
        .saturating_mul(AUTO_STEP)
        .max(MIN_SIZE);
    loop {
        if bytes > MAX_SIZE {
            return Err(UfsError::Param {
                name: "size",
                value: "auto".into(),
                limit: format!("the tree needs more than the largest image, {MAX_SIZE} bytes"),
            });
        }
        let geo = match Geometry::new(bytes, params.nbpi, ninodes) {
            Ok(g) => g,
            Err(UfsError::TooSmall { .. }) => {
                bytes += AUTO_STEP;
                continue;
            }
            Err(UfsError::TooManyInodes { .. }) if bytes < MAX_SIZE => {
                bytes += (bytes / 8).div_ceil(AUTO_STEP) * AUTO_STEP;
                continue;
            }
            Err(e) => return Err(e),
        };
        match try_layout(tree, d, geo, params, slack)? {
            Fit::Ok(l) => return Ok(*l),
            Fit::Short(frags) => {
                // Grow by the shortfall plus metadata overhead, never below one step.
                let more = (frags * u64::from(FSIZE) * 17 / 16).div_ceil(AUTO_STEP) * AUTO_STEP;
                let more = more.clamp(AUTO_STEP, (bytes / 64).max(AUTO_STEP) * 64);
                if more <= AUTO_STEP * 4 {
                    bytes += AUTO_STEP;
                } else {
                    bytes += more / 2;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_64mib_geometry() {
        // ufs-format.md §5, 64 MiB row (newfs -m 0 with the default nbpi 2048).
        let g = Geometry::new(64 << 20, 2048, 0).unwrap();
        assert_eq!(
            (g.nsect, g.spc, g.cpg, g.ipg, g.fpg, g.dblkno, g.ncg, g.ncyl),
            (601, 601, 16, 2240, 4808, 312, 14, 218)
        );
        assert_eq!(
            (g.size, g.dsize, g.cgsize, g.nextfreeoff),
            (65509, 61348, 2048, 1369)
        );
        assert_eq!(
            (g.sblkno, g.cblkno, g.iblkno, g.cgoffset),
            (16, 24, 32, 304)
        );
        assert_eq!(
            (g.cssize, g.btotoff, g.boff, g.iusedoff, g.freeoff),
            (1024, 168, 232, 488, 768)
        );
        assert_eq!(g.cgdmin(0), 312);
        assert_eq!(g.ndblk(13), 3005);
        assert_eq!(g.cg_ncyl(13), 10);
    }

    #[test]
    fn other_worked_rows() {
        let g = Geometry::new(20 << 20, 2048, 0).unwrap();
        assert_eq!(
            (
                g.nsect,
                g.cpg,
                g.ipg,
                g.fpg,
                g.dblkno,
                g.ncg,
                g.ncyl,
                g.size,
                g.dsize,
                g.cgsize,
                g.nextfreeoff
            ),
            (602, 16, 2240, 4816, 312, 5, 68, 20468, 18971, 2048, 1370)
        );
        let g = Geometry::new(512 << 20, 2048, 0).unwrap();
        assert_eq!(
            (
                g.nsect,
                g.cpg,
                g.ipg,
                g.fpg,
                g.dblkno,
                g.ncg,
                g.ncyl,
                g.size,
                g.dsize,
                g.cgsize,
                g.nextfreeoff
            ),
            (600, 16, 2240, 4800, 312, 110, 1747, 524100, 491522, 2048, 1368)
        );
    }

    #[test]
    fn empty_tree_64mib_counts() {
        // §5 64 MiB detail with lost+found and root: nbfree/nffree per cg.
        let tree = Tree::new(0);
        let params = Params {
            size: SizeSpec::Fixed(64 << 20),
            nbpi: 2048,
            time: 1_000_000,
            lost_found: true,
        };
        let l = plan(&tree, &params).unwrap();
        // Our allocator puts lost+found's block at 320 and root's frag in the
        // csum block (313): nbfree 560 and nffree 6 (mkfs, which puts root in
        // a block of its own at 328, has 559 and 14).
        assert_eq!(l.cg_cs[0].ndir, 2);
        assert_eq!(l.cg_cs[0].nifree, 2236);
        assert_eq!(l.cg_cs[0].nbfree, 560);
        assert_eq!(l.cg_cs[0].nffree, 6);
        for c in 1..13 {
            assert_eq!((l.cg_cs[c].nbfree, l.cg_cs[c].nffree), (564, 0), "cg {c}");
        }
        assert_eq!((l.cg_cs[13].nbfree, l.cg_cs[13].nffree), (338, 5));
        let m = l.cg_maps(13);
        assert_eq!(m.frsum[5], 1);
        assert_eq!(l.sb.cstotal.nbfree * 8 + l.sb.cstotal.nffree + 9, 61348);
        assert_eq!(l.sb.state as u32, FSOKAY.wrapping_sub(1_000_000));
        assert_eq!(
            l.extents[0],
            Extent {
                addr: 313,
                nfrags: 1,
                content: Content::Tail { ino: 2 }
            }
        );
        assert_eq!(
            l.extents[1],
            Extent {
                addr: 320,
                nfrags: 8,
                content: Content::Stream {
                    ino: 3,
                    first_unit: 0
                }
            }
        );
    }

    #[test]
    fn stream_unit_counts() {
        assert_eq!(stream_units(1, true), 0);
        assert_eq!(stream_units(12, false), 12);
        assert_eq!(stream_units(13, false), 14);
        assert_eq!(stream_units(12 + 2048, false), 12 + 1 + 2048);
        assert_eq!(stream_units(12 + 2048 + 1, false), 12 + 2049 + 1 + 1 + 1);
        assert_eq!(units(2, 2048 * 2048), 2048 * 2048 + 2048 + 1);
        assert_eq!(tail_frags(1), Some(1));
        assert_eq!(tail_frags(1024), Some(1));
        assert_eq!(tail_frags(1025), Some(2));
        assert_eq!(tail_frags(8191), None);
        assert_eq!(tail_frags(8193), Some(1));
        assert_eq!(tail_frags(12 * 8192 + 1), None);
    }

    #[test]
    fn dir_sizes() {
        let names: Vec<Vec<u8>> = (0..60)
            .map(|i| format!("file{i:04}").into_bytes())
            .collect();
        // 24 + 20*n per chunk: 24 entries fit the first chunk with "." and "..".
        assert_eq!(dir_size(names.iter().take(24).map(|v| v.as_slice())), 512);
        assert_eq!(dir_size(names.iter().take(25).map(|v| v.as_slice())), 1024);
        assert_eq!(dir_size(names.iter().take(49).map(|v| v.as_slice())), 1024);
        assert_eq!(dir_size(names.iter().take(50).map(|v| v.as_slice())), 1536);
    }
}

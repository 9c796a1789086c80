//! A read-only `fsck_ufs`: superblock checks and passes 1–5, each problem
//! reported with a stable code (ufs-format.md §8).
//!
//! Passes, in illumos fsck's order and meaning (`usr/src/cmd/fs.d/ufs/fsck`):
//! * setup: the superblock's structural fields (anything that would make an
//!   address computation meaningless stops the check), derived fields, the
//!   clean state, every backup copy, the csum array;
//! * pass 1: every inode — free inodes zero, known types, sizes, device
//!   inodes, every block address in range and outside cg metadata
//!   (`chkrange`), no frags past EOF, `ic_blocks` exact, directory holes;
//! * pass 1b: frags claimed twice, naming every claimant;
//! * pass 2: directory contents (`dircheck`, ".", ".."), entries naming
//!   allocated inodes, no directory hard links;
//! * pass 3: every directory reachable from the root, ".." its parent;
//! * pass 4: link counts against references;
//! * pass 5: cylinder-group headers (`cg_sanity`), inode and frag bitmaps,
//!   `cg_cs`, the csum array, `cg_frsum`/`cg_btot`/`cg_b` (fsck rebuilds
//!   these silently; the writer fills them exactly, so they are compared),
//!   `fs_cstotal`, `fs_dsize`, `FSLARGEFILES`.
//!
//! Memory is bounded by the image: one bit per frag of `fs_size` (after
//! checking `fs_size * fs_fsize` fits the image), a few bytes per inode of
//! `ncg * ipg` (after checking the inode tables fit their cylinder groups),
//! and per-directory block lists. Work is bounded the same way: an indirect
//! block claimed twice is not descended into, and after a million bad or
//! duplicate claims the block checks stop. Nothing panics on any input.

use crate::format::*;
pub use crate::read::Locator;
use crate::read::ReadAt;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One inconsistency found by [`check()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable kebab-case identifier of the kind of problem, e.g.
    /// `"ic-blocks"`, `"cg-magic"`, `"frag-bitmap"`; the full list is in
    /// [`CODES`].
    pub code: &'static str,
    /// The inode concerned, if any.
    pub ino: Option<u32>,
    /// The cylinder group concerned, if any.
    pub cg: Option<u32>,
    /// The on-disk field at fault, as the illumos headers name it
    /// (`"ic_blocks"`, `"cg_cs.cs_nbfree"`, `"d_reclen"`, `"fs_dsize"`).
    pub field: &'static str,
    /// What is wrong, e.g. `ic_blocks is 16, expected 18`.
    pub message: String,
}

impl fmt::Display for Problem {
    /// One line: `inode 57: ic_blocks is 16, expected 18`,
    /// `cg 3: cg_magic is 0x0, expected 0x90255`,
    /// `superblock: fs_dsize is 10, expected 11`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.ino, self.cg) {
            (Some(i), Some(c)) => write!(f, "cg {c}, inode {i}: {}", self.message),
            (Some(i), None) => write!(f, "inode {i}: {}", self.message),
            (None, Some(c)) => write!(f, "cg {c}: {}", self.message),
            (None, None) if self.field.starts_with("fs_") => {
                write!(f, "superblock: {}", self.message)
            }
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Every problem code [`check()`] can report, with what it means.
pub const CODES: &[(&str, &str)] = &[
    (
        "image-short",
        "the image cannot hold a superblock at byte 8192",
    ),
    ("sb-magic", "fs_magic is not FS_MAGIC (check stops)"),
    (
        "sb-geometry",
        "a structural superblock field makes the layout unusable (check stops)",
    ),
    (
        "sb-field",
        "a derived or range-limited superblock field is wrong",
    ),
    (
        "fs-state",
        "fs_state + fs_time != FSOKAY, or fs_clean is not FSCLEAN/FSSTABLE",
    ),
    (
        "sb-backup-mismatch",
        "a cg's backup superblock differs from the primary",
    ),
    ("dsize", "fs_dsize differs from the number of data frags"),
    ("io", "a structure inside the file system could not be read"),
    ("reserved-inode", "inode 0 or 1 is not all zero"),
    (
        "partial-inode",
        "a free inode (mode 0) has a nonzero mode, size or block pointer",
    ),
    (
        "free-inode-dirty",
        "a free inode has other nonzero bytes (only ic_gen may be set)",
    ),
    ("inode-type", "unknown file type in ic_smode"),
    ("inode-size", "ic_lsize larger than 2^40-1"),
    (
        "device-inode",
        "a device inode with a size or block pointers besides ic_db[1]",
    ),
    ("symlink-length", "a symlink longer than 1023 bytes"),
    ("symlink-hole", "a symlink whose first block is a hole"),
    ("inode-shadow", "ic_shadow names no valid ACL shadow inode"),
    (
        "inode-xattr",
        "ic_oeftflag names no valid extended-attribute directory",
    ),
    (
        "block-range",
        "a block address outside the file system, crossing a block, or in cg metadata",
    ),
    (
        "frags-past-eof",
        "block pointers beyond what ic_lsize needs",
    ),
    (
        "ic-blocks",
        "ic_blocks differs from the frags the inode holds",
    ),
    (
        "dir-size",
        "a directory of zero, short or non-512-multiple size, or without blocks",
    ),
    ("dir-hole", "a directory with a hole"),
    (
        "dup-block",
        "a frag claimed by two inodes, or by an inode and cg metadata",
    ),
    ("root-inode", "inode 2 is not an allocated directory"),
    ("dirent-reclen", "a directory record with a bad d_reclen"),
    (
        "dirent-name",
        "a directory record with a bad d_namlen or name",
    ),
    (
        "dirent-ino",
        "a directory record whose d_ino is out of range",
    ),
    ("dirent-unalloc", "a directory entry naming a free inode"),
    ("dot", "'.' missing, wrong, not reclen 12, or repeated"),
    ("dotdot", "'..' missing, repeated, or not the parent"),
    ("dir-hardlink", "a directory named by more than one entry"),
    ("unreachable-dir", "a directory not reachable from the root"),
    ("unref-inode", "an allocated inode no directory entry names"),
    ("nlink", "ic_nlink differs from the number of references"),
    ("cg-magic", "cg_magic is not CG_MAGIC"),
    (
        "cg-header",
        "a cg header field (cgx, ncyl, niblk, ndblk, rotors, map offsets) is wrong",
    ),
    (
        "inode-bitmap",
        "the cg inode-used map differs from the allocated inodes",
    ),
    (
        "frag-bitmap",
        "the cg frag-free map differs from the frags in use",
    ),
    ("cg-summary", "cg_cs differs from the recomputed counts"),
    (
        "csum-mismatch",
        "the csum array entry differs from the recomputed counts",
    ),
    (
        "cg-frsum",
        "cg_frsum differs from the recomputed free-run counts",
    ),
    (
        "cg-btot",
        "cg_btot or cg_b differs from the recomputed free-block counts",
    ),
    ("cstotal", "fs_cstotal differs from the sum over all cgs"),
    (
        "largefiles",
        "FSLARGEFILES does not match the presence of files over 2^31-1 bytes",
    ),
    (
        "too-many-problems",
        "the report was cut short (10000 problems, or the work limit)",
    ),
];

/// Counts gathered while checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// True when every pass ran to the end (the superblock was usable and no
    /// work limit was hit).
    pub complete: bool,
    /// Cylinder groups (`fs_ncg`).
    pub ncg: u32,
    /// Inodes per group (`fs_ipg`).
    pub ipg: u32,
    /// Frags in the file system (`fs_size`).
    pub fs_frags: u64,
    /// Data frags outside cg metadata (what `fs_dsize` should be).
    pub data_frags: u64,
    /// Allocated inodes from 2 on.
    pub inodes_used: u64,
    /// Regular files.
    pub regular: u64,
    /// Directories (including extended-attribute directories).
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Character and block devices.
    pub devices: u64,
    /// FIFOs, sockets, ACL shadows and inodes of unknown type.
    pub other: u64,
    /// Data frags claimed by inodes (file data and indirect blocks).
    pub frags_claimed: u64,
    /// Entirely free blocks (Σ recomputed `cs_nbfree`).
    pub free_blocks: u64,
    /// Free frags in partly used blocks (Σ recomputed `cs_nffree`).
    pub free_frags: u64,
    /// Files larger than 2^31-1 bytes.
    pub large_files: u64,
}

/// What [`check()`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Every problem, in pass order.
    pub problems: Vec<Problem>,
    /// Counts.
    pub summary: Summary,
}

impl CheckReport {
    /// No problems and every pass ran.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.summary.complete
    }
    /// The problems with this code.
    pub fn with_code<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.problems.iter().filter(move |p| p.code == code)
    }
    /// Whether any problem has this code.
    pub fn has(&self, code: &str) -> bool {
        self.with_code(code).next().is_some()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p} [{}]", p.code)?;
        }
        Ok(())
    }
}

/// Name of the `struct fs` field at byte `off` of a superblock
/// (ufs-format.md §1), e.g. 40 → `"fs_dsize"`.
pub fn sb_field_name(off: usize) -> &'static str {
    const T: &[(usize, &str)] = &[
        (0, "fs_link"),
        (4, "fs_rolled"),
        (8, "fs_sblkno"),
        (12, "fs_cblkno"),
        (16, "fs_iblkno"),
        (20, "fs_dblkno"),
        (24, "fs_cgoffset"),
        (28, "fs_cgmask"),
        (32, "fs_time"),
        (36, "fs_size"),
        (40, "fs_dsize"),
        (44, "fs_ncg"),
        (48, "fs_bsize"),
        (52, "fs_fsize"),
        (56, "fs_frag"),
        (60, "fs_minfree"),
        (64, "fs_rotdelay"),
        (68, "fs_rps"),
        (72, "fs_bmask"),
        (76, "fs_fmask"),
        (80, "fs_bshift"),
        (84, "fs_fshift"),
        (88, "fs_maxcontig"),
        (92, "fs_maxbpg"),
        (96, "fs_fragshift"),
        (100, "fs_fsbtodb"),
        (104, "fs_sbsize"),
        (108, "fs_csmask"),
        (112, "fs_csshift"),
        (116, "fs_nindir"),
        (120, "fs_inopb"),
        (124, "fs_nspf"),
        (128, "fs_optim"),
        (132, "fs_state"),
        (136, "fs_si"),
        (140, "fs_trackskew"),
        (144, "fs_id"),
        (152, "fs_csaddr"),
        (156, "fs_cssize"),
        (160, "fs_cgsize"),
        (164, "fs_ntrak"),
        (168, "fs_nsect"),
        (172, "fs_spc"),
        (176, "fs_ncyl"),
        (180, "fs_cpg"),
        (184, "fs_ipg"),
        (188, "fs_fpg"),
        (192, "fs_cstotal.cs_ndir"),
        (196, "fs_cstotal.cs_nbfree"),
        (200, "fs_cstotal.cs_nifree"),
        (204, "fs_cstotal.cs_nffree"),
        (208, "fs_fmod"),
        (209, "fs_clean"),
        (210, "fs_ronly"),
        (211, "fs_flags"),
        (212, "fs_fsmnt"),
        (724, "fs_cgrotor"),
        (728, "fs_u"),
        (856, "fs_cpc"),
        (860, "fs_opostbl"),
        (1116, "fs_sparecon"),
        (1320, "fs_version"),
        (1324, "fs_logbno"),
        (1328, "fs_reclaim"),
        (1332, "fs_sparecon2"),
        (1336, "fs_npsect"),
        (1340, "fs_qbmask"),
        (1348, "fs_qfmask"),
        (1356, "fs_postblformat"),
        (1360, "fs_nrpos"),
        (1364, "fs_postbloff"),
        (1368, "fs_rotbloff"),
        (1372, "fs_magic"),
        (1376, "fs_space"),
    ];
    let i = T.partition_point(|&(o, _)| o <= off);
    T[i.saturating_sub(1)].1
}

/// Name of the dinode field at byte `off` of a 128-byte inode (ufs-format.md §3).
pub fn dinode_field_name(off: usize) -> &'static str {
    const T: &[(usize, &str)] = &[
        (0, "ic_smode"),
        (2, "ic_nlink"),
        (4, "ic_suid"),
        (6, "ic_sgid"),
        (8, "ic_lsize"),
        (16, "ic_atime"),
        (24, "ic_mtime"),
        (32, "ic_ctime"),
        (40, "ic_db"),
        (88, "ic_ib"),
        (100, "ic_flags"),
        (104, "ic_blocks"),
        (108, "ic_gen"),
        (112, "ic_shadow"),
        (116, "ic_uid"),
        (120, "ic_gid"),
        (124, "ic_oeftflag"),
    ];
    let i = T.partition_point(|&(o, _)| o <= off);
    T[i.saturating_sub(1)].1
}

/// Byte offsets of the maps inside a cg header as fsck's `cg_constants`
/// computes them (4-byte `cg_btot` entries; ufs-format.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgMapOffsets {
    /// `cg_btotoff`: int32 `btot[cpg]` (always 168).
    pub btotoff: u64,
    /// `cg_boff`: int16 `b[cpg][nrpos]`.
    pub boff: u64,
    /// `cg_iusedoff`: inode-used bitmap, `ceil(ipg/8)` bytes.
    pub iusedoff: u64,
    /// `cg_freeoff`: frag-free bitmap, `ceil(fpg/8)` bytes.
    pub freeoff: u64,
    /// `cg_nextfreeoff`: end of the maps.
    pub nextfreeoff: u64,
}

impl CgMapOffsets {
    /// The offsets for a superblock's `fs_cpg`, `fs_nrpos`, `fs_ipg` and
    /// `fs_fpg`; `None` if any is negative.
    pub fn of(sb: &Superblock) -> Option<CgMapOffsets> {
        let cpg = u64::try_from(sb.cpg).ok()?;
        let nrpos = u64::try_from(sb.nrpos).ok()?;
        let ipg = u64::try_from(sb.ipg).ok()?;
        let fpg = u64::try_from(sb.fpg).ok()?;
        // Each factor is < 2^31, so these stay far below 2^64.
        let btotoff = CG_HEADER_SIZE as u64;
        let boff = btotoff + 4 * cpg;
        let iusedoff = boff + 2 * cpg * nrpos;
        let freeoff = iusedoff + ipg.div_ceil(8);
        let nextfreeoff = freeoff + fpg.div_ceil(8);
        Some(CgMapOffsets {
            btotoff,
            boff,
            iusedoff,
            freeoff,
            nextfreeoff,
        })
    }
}

const MAX_PROBLEMS: usize = 10_000;
/// Reports of one kind per inode before the rest are only counted.
const PER_INODE_REPORTS: u32 = 4;
/// Bad, duplicate and past-EOF claims after which block checking stops.
const CLAIM_BUDGET: u64 = 1_000_000;
/// Distinct duplicate frags whose claimants pass 1b looks for.
const MAX_DUP_FRAGS: usize = 10_000;
/// Claimants remembered per duplicate frag.
const MAX_CLAIMANTS: usize = 8;

/// Run the checks on an image. Never panics; a superblock too damaged to
/// locate anything yields a report with that problem only.
pub fn check<R: ReadAt + ?Sized>(img: &R) -> CheckReport {
    let mut rep = Reporter::default();
    let mut summary = Summary::default();
    let image_len = img.size();
    if image_len < SBOFF + SBSIZE as u64 {
        rep.push(
            "image-short",
            None,
            None,
            "image",
            format!("the image is {image_len} bytes, too short for a superblock at byte {SBOFF}"),
        );
        return rep.finish(summary);
    }
    let mut raw = vec![0u8; SBSIZE];
    if let Err(e) = img.read_exact_at(&mut raw, SBOFF) {
        rep.push(
            "io",
            None,
            None,
            "fs_magic",
            format!("reading the superblock at byte {SBOFF}: {e}"),
        );
        return rep.finish(summary);
    }
    let Some(sb) = Superblock::decode(&raw) else {
        return rep.finish(summary);
    };
    let loc = match structural(&sb, image_len) {
        Ok(l) => l,
        Err((field, msg)) => {
            let code = if field == "fs_magic" {
                "sb-magic"
            } else {
                "sb-geometry"
            };
            rep.push(code, None, None, field, msg);
            return rep.finish(summary);
        }
    };
    summary.ncg = loc.ncg as u32;
    summary.ipg = loc.ipg as u32;
    summary.fs_frags = loc.size;
    let mut ck = Ck::new(img, sb, raw, loc, rep);
    ck.run(&mut summary);
    ck.rep.finish(summary)
}

/// The superblock checks without which nothing else can be located: the
/// reader's ([`Locator::new`]) plus what the cg headers and the csum array
/// need (`fs_cpg`, `fs_nrpos`, maps inside one block, csum inside cg 0).
fn structural(sb: &Superblock, image_len: u64) -> Result<Locator, (&'static str, String)> {
    let loc = Locator::validate(sb, image_len)?;
    if sb.cpg < 1 {
        return Err(("fs_cpg", format!("fs_cpg is {}, expected ≥ 1", sb.cpg)));
    }
    if sb.nrpos < 1 {
        return Err((
            "fs_nrpos",
            format!("fs_nrpos is {}, expected ≥ 1", sb.nrpos),
        ));
    }
    let m = CgMapOffsets::of(sb).ok_or(("fs_cpg", "negative map dimensions".to_string()))?;
    if m.nextfreeoff > loc.bsize {
        return Err((
            "fs_cgsize",
            format!(
                "the cg maps (fs_cpg {}, fs_nrpos {}, fs_ipg {}, fs_fpg {}) end at byte {}, beyond one {}-byte block",
                sb.cpg, sb.nrpos, sb.ipg, sb.fpg, m.nextfreeoff, loc.bsize
            ),
        ));
    }
    let csfrags = (loc.ncg * 16).div_ceil(loc.fsize);
    if loc.dblkno + csfrags > loc.ndblk(0) {
        return Err((
            "fs_cssize",
            format!(
                "cg 0 has {} frags, too few for its metadata and a {csfrags}-frag csum array",
                loc.ndblk(0)
            ),
        ));
    }
    Ok(loc)
}

#[derive(Default)]
struct Reporter {
    problems: Vec<Problem>,
    cut: bool,
    aborted: bool,
}

impl Reporter {
    fn push(
        &mut self,
        code: &'static str,
        ino: Option<u32>,
        cg: Option<u32>,
        field: &'static str,
        message: String,
    ) {
        if self.problems.len() >= MAX_PROBLEMS {
            self.cut = true;
            return;
        }
        self.problems.push(Problem {
            code,
            ino,
            cg,
            field,
            message,
        });
    }
    fn ino(&mut self, code: &'static str, ino: u32, field: &'static str, message: String) {
        self.push(code, Some(ino), None, field, message);
    }
    fn cg(&mut self, code: &'static str, cg: u64, field: &'static str, message: String) {
        self.push(code, None, u32::try_from(cg).ok(), field, message);
    }
    fn sb(&mut self, code: &'static str, field: &'static str, message: String) {
        self.push(code, None, None, field, message);
    }
    fn finish(mut self, mut summary: Summary) -> CheckReport {
        if self.cut || self.aborted {
            summary.complete = false;
            let why = if self.aborted {
                "block checks stopped after too many bad or duplicate block claims"
            } else {
                "more than 10000 problems; the rest are not listed"
            };
            self.problems.push(Problem {
                code: "too-many-problems",
                ino: None,
                cg: None,
                field: "",
                message: why.to_string(),
            });
        }
        CheckReport {
            problems: self.problems,
            summary,
        }
    }
}

/// One bit per item.
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: u64) -> Bits {
        Bits(vec![0; n.div_ceil(64) as usize])
    }
    fn get(&self, i: u64) -> bool {
        self.0
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    /// Set bit `i`; returns whether it was already set.
    fn test_and_set(&mut self, i: u64) -> bool {
        match self.0.get_mut((i / 64) as usize) {
            Some(w) => {
                let m = 1u64 << (i % 64);
                let was = *w & m != 0;
                *w |= m;
                was
            }
            None => false,
        }
    }
}

// Inode states (low bits) and flags.
const ST_FREE: u8 = 0;
const ST_REG: u8 = 1;
const ST_DIR: u8 = 2;
const ST_LNK: u8 = 3;
const ST_DEV: u8 = 4;
const ST_FIFO: u8 = 5;
const ST_SHAD: u8 = 6;
const ST_ATTRDIR: u8 = 7;
const ST_UNKNOWN: u8 = 8;
const ST_MASK: u8 = 0x0f;
/// Checks on this inode's contents stopped early (bad type, size, ...).
const FL_BOGUS: u8 = 0x80;

fn state_of(mode: u16) -> u8 {
    match mode & IFMT {
        IFREG => ST_REG,
        IFDIR => ST_DIR,
        IFLNK => ST_LNK,
        IFCHR | IFBLK => ST_DEV,
        IFIFO | IFSOCK => ST_FIFO,
        IFSHAD => ST_SHAD,
        IFATTRDIR => ST_ATTRDIR,
        _ => ST_UNKNOWN,
    }
}

fn is_dir_state(s: u8) -> bool {
    matches!(s & ST_MASK, ST_DIR | ST_ATTRDIR)
}

/// Where a block pointer lives, for messages.
#[derive(Clone, Copy, Debug)]
enum Ptr {
    Db(usize),
    Ib(usize),
    Ind { level: usize, index: usize },
}

impl Ptr {
    fn field(self) -> &'static str {
        match self {
            Ptr::Db(_) => "ic_db",
            Ptr::Ib(_) => "ic_ib",
            Ptr::Ind { .. } => "indirect block entry",
        }
    }
    fn text(self) -> String {
        match self {
            Ptr::Db(i) => format!("ic_db[{i}]"),
            Ptr::Ib(i) => format!("ic_ib[{i}]"),
            Ptr::Ind { level, index } => {
                format!("entry {index} of an indirect block under ic_ib[{level}]")
            }
        }
    }
}

/// Events of a block-map traversal.
enum Ev {
    /// A run of `nfrags` frags at `addr` holding logical block `lbn` (or the
    /// indirect block whose first mapped block is `lbn`).
    Claim {
        addr: i32,
        nfrags: u64,
        lbn: u64,
        ptr: Ptr,
        indirect: bool,
    },
    /// Logical block `lbn`, inside the file size, has no block.
    Hole { lbn: u64 },
    /// A nonzero pointer beyond what the size needs.
    PastEof { ptr: Ptr, addr: i32 },
    /// An indirect block could not be read.
    ReadFail { addr: i32, err: String },
}

/// What a visitor tells the traversal.
#[derive(PartialEq, Eq)]
enum Flow {
    /// Go on (for an indirect claim: read and descend).
    Go,
    /// Do not descend into this indirect block.
    Skip,
    /// Stop the traversal.
    Abort,
}

/// Why a run fails fsck's `chkrange`, if it does.
fn chkrange(loc: &Locator, addr: i32, cnt: u64) -> Option<&'static str> {
    if addr <= 0 || cnt == 0 {
        return Some("is not a valid frag address");
    }
    let a = addr as u64;
    if a >= loc.size || cnt > loc.size - a {
        return Some("passes the end of the file system");
    }
    if cnt > loc.frag || a % loc.frag + cnt > loc.frag {
        return Some("crosses a block boundary");
    }
    let c = a / loc.fpg;
    if a < loc.cgdmin(c) {
        if a + cnt > loc.cgsblock(c) {
            return Some("overlaps cylinder-group metadata");
        }
    } else if a + cnt > loc.cgbase(c + 1) {
        return Some("crosses the end of its cylinder group");
    }
    None
}

/// The frags of cg `c` that are metadata, never data (fsck pass 1):
/// cg 0 `[0, cgdmin + csum frags)`, others `[cgsblock, cgdmin)`.
fn reserved(loc: &Locator, c: u64) -> (u64, u64) {
    if c == 0 {
        (0, loc.cgdmin(0) + (loc.ncg * 16).div_ceil(loc.fsize))
    } else {
        (loc.cgsblock(c), loc.cgdmin(c))
    }
}

struct Io<'a, R: ReadAt + ?Sized> {
    img: &'a R,
    loc: Locator,
}

impl<R: ReadAt + ?Sized> Io<'_, R> {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<(), String> {
        self.img
            .read_exact_at(buf, off)
            .map_err(|e| format!("reading {} bytes at byte {off}: {e}", buf.len()))
    }

    /// Walk an inode's block map as fsck's `ckinode`/`iblock` do. Returns
    /// false if the visitor aborted.
    fn traverse(&self, d: &Dinode, v: &mut dyn FnMut(Ev) -> Flow) -> bool {
        let loc = &self.loc;
        let (bsize, fsize, frag) = (loc.bsize, loc.fsize, loc.frag);
        let ndb = d.size.min(UFS_MAXOFFSET).div_ceil(bsize);
        for (i, &addr) in d.db.iter().enumerate() {
            let lbn = i as u64;
            if addr == 0 {
                if lbn < ndb && v(Ev::Hole { lbn }) == Flow::Abort {
                    return false;
                }
                continue;
            }
            if lbn >= ndb
                && v(Ev::PastEof {
                    ptr: Ptr::Db(i),
                    addr,
                }) == Flow::Abort
            {
                return false;
            }
            let rem = d.size % bsize;
            let nfrags = if lbn + 1 == ndb && rem != 0 {
                rem.div_ceil(fsize)
            } else {
                frag
            };
            let ev = Ev::Claim {
                addr,
                nfrags,
                lbn,
                ptr: Ptr::Db(i),
                indirect: false,
            };
            if v(ev) == Flow::Abort {
                return false;
            }
        }
        let n = loc.nindir;
        let mut base = NDADDR as u64;
        let mut span = 1u64;
        for (level, &addr) in d.ib.iter().enumerate() {
            span *= n;
            if addr == 0 {
                if base < ndb && v(Ev::Hole { lbn: base }) == Flow::Abort {
                    return false;
                }
            } else {
                if base >= ndb
                    && v(Ev::PastEof {
                        ptr: Ptr::Ib(level),
                        addr,
                    }) == Flow::Abort
                {
                    return false;
                }
                let iblks = ndb.saturating_sub(base);
                if !self.iblock(addr, level + 1, iblks, base, level, Ptr::Ib(level), ndb, v) {
                    return false;
                }
            }
            base += span;
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn iblock(
        &self,
        addr: i32,
        depth: usize,
        iblks: u64,
        first: u64,
        level: usize,
        ptr: Ptr,
        ndb: u64,
        v: &mut dyn FnMut(Ev) -> Flow,
    ) -> bool {
        let loc = &self.loc;
        let ev = Ev::Claim {
            addr,
            nfrags: loc.frag,
            lbn: first,
            ptr,
            indirect: true,
        };
        match v(ev) {
            Flow::Abort => return false,
            Flow::Skip => return true,
            Flow::Go => {}
        }
        let mut blk = vec![0u8; loc.bsize as usize];
        if let Err(err) = self.read(&mut blk, loc.frag_offset(addr as u64)) {
            return v(Ev::ReadFail { addr, err }) != Flow::Abort;
        }
        let n = loc.nindir;
        let per = n.pow(depth as u32 - 1);
        let nif = iblks.div_ceil(per).min(n);
        for index in nif as usize..n as usize {
            let e = get_i32(&blk, 4 * index);
            if e != 0 {
                let ptr = Ptr::Ind { level, index };
                if v(Ev::PastEof { ptr, addr: e }) == Flow::Abort {
                    return false;
                }
            }
        }
        for index in 0..nif as usize {
            let e = get_i32(&blk, 4 * index);
            let lbn = first + index as u64 * per;
            let ptr = Ptr::Ind { level, index };
            if e == 0 {
                if lbn < ndb && v(Ev::Hole { lbn }) == Flow::Abort {
                    return false;
                }
                continue;
            }
            let ok = if depth == 1 {
                let ev = Ev::Claim {
                    addr: e,
                    nfrags: loc.frag,
                    lbn,
                    ptr,
                    indirect: false,
                };
                v(ev) != Flow::Abort
            } else {
                let left = iblks.saturating_sub(index as u64 * per);
                self.iblock(e, depth - 1, left, lbn, level, ptr, ndb, v)
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// A directory found in pass 1.
struct DirInfo {
    ino: u32,
    size: u64,
    /// Data runs `(lbn, frag address, nfrags)` in logical order, in range.
    runs: Vec<(u64, u64, u64)>,
    /// Do not scan (zero size, no blocks, bad inode).
    skip: bool,
    /// The directory holding the first entry that names this one.
    parent: u32,
    /// Its ".." entry (0: none found).
    dotdot: u32,
}

struct Ck<'a, R: ReadAt + ?Sized> {
    io: Io<'a, R>,
    sb: Superblock,
    raw: Vec<u8>,
    rep: Reporter,
    used: Bits,
    state: Vec<u8>,
    nlink: Vec<i16>,
    refs: Vec<u32>,
    dirs: Vec<DirInfo>,
    dups: BTreeSet<u64>,
    budget: u64,
    frags_claimed: u64,
    large_files: u64,
    /// (inode, target, is xattr) references to check after pass 1.
    side_refs: Vec<(u32, u32, bool)>,
}

impl<'a, R: ReadAt + ?Sized> Ck<'a, R> {
    fn new(img: &'a R, sb: Superblock, raw: Vec<u8>, loc: Locator, rep: Reporter) -> Self {
        let n = loc.ninodes() as usize;
        let size = loc.size;
        Ck {
            io: Io { img, loc },
            sb,
            raw,
            rep,
            used: Bits::new(size),
            state: vec![ST_FREE; n],
            nlink: vec![0; n],
            refs: vec![0; n],
            dirs: Vec::new(),
            dups: BTreeSet::new(),
            budget: CLAIM_BUDGET,
            frags_claimed: 0,
            large_files: 0,
            side_refs: Vec::new(),
        }
    }

    fn loc(&self) -> &Locator {
        &self.io.loc
    }

    fn run(&mut self, summary: &mut Summary) {
        self.superblock_fields();
        self.backups();
        self.pass1();
        if !self.rep.aborted && !self.dups.is_empty() {
            self.pass1b();
        }
        self.pass2();
        self.pass3();
        self.pass4();
        self.pass5(summary);
        summary.frags_claimed = self.frags_claimed;
        summary.large_files = self.large_files;
        for &s in &self.state[ROOTINO.min(self.state.len() as u32) as usize..] {
            if s == ST_FREE {
                continue;
            }
            summary.inodes_used += 1;
            match s & ST_MASK {
                ST_REG => summary.regular += 1,
                ST_DIR | ST_ATTRDIR => summary.dirs += 1,
                ST_LNK => summary.symlinks += 1,
                ST_DEV => summary.devices += 1,
                _ => summary.other += 1,
            }
        }
        summary.complete = !self.rep.aborted && !self.rep.cut;
    }

    // ---------------------------------------------------------------- setup

    fn superblock_fields(&mut self) {
        let sb = self.sb.clone();
        let loc = self.loc().clone();
        let (bsize, fsize) = (loc.bsize, loc.fsize);
        let mut want = |field: &'static str, got: i64, exp: i64| {
            if got != exp {
                self.rep.sb(
                    "sb-field",
                    field,
                    format!("{field} is {got}, expected {exp}"),
                );
            }
        };
        let log2 = |v: u64| i64::from(v.trailing_zeros());
        want(
            "fs_bmask",
            sb.bmask.into(),
            (!(bsize as i64 - 1)) as i32 as i64,
        );
        want(
            "fs_fmask",
            sb.fmask.into(),
            (!(fsize as i64 - 1)) as i32 as i64,
        );
        want("fs_bshift", sb.bshift.into(), log2(bsize));
        want("fs_fshift", sb.fshift.into(), log2(fsize));
        want("fs_fragshift", sb.fragshift.into(), log2(loc.frag));
        want("fs_fsbtodb", sb.fsbtodb.into(), log2(fsize / 512));
        want("fs_nindir", sb.nindir.into(), (bsize / 4) as i64);
        want("fs_nspf", sb.nspf.into(), (fsize / 512) as i64);
        want(
            "fs_csmask",
            sb.csmask.into(),
            (!(bsize as i64 / 16 - 1)) as i32 as i64,
        );
        want("fs_csshift", sb.csshift.into(), log2(bsize / 16));
        want("fs_qbmask", sb.qbmask as i64, bsize as i64 - 1);
        want("fs_qfmask", sb.qfmask as i64, fsize as i64 - 1);
        want(
            "fs_cssize",
            sb.cssize.into(),
            ((loc.ncg * 16).div_ceil(fsize) * fsize) as i64,
        );
        want("fs_csaddr", sb.csaddr.into(), loc.cgdmin(0) as i64);
        if let Some(m) = CgMapOffsets::of(&sb) {
            let cgsize = (m.nextfreeoff + 4).div_ceil(fsize) * fsize;
            want("fs_cgsize", sb.cgsize.into(), cgsize as i64);
        }
        want(
            "fs_postblformat",
            sb.postblformat.into(),
            FS_DYNAMICPOSTBLFMT.into(),
        );
        want("fs_logbno", sb.logbno.into(), 0);
        let (spc, nspf) = (i64::from(sb.spc), (fsize / 512) as i64);
        if spc > 0 {
            want("fs_fpg", sb.fpg.into(), i64::from(sb.cpg) * spc / nspf);
            // mkfs: ncyl = ceil(sectors / spc), where the device's sectors
            // may exceed size * nspf by less than one frag.
            let sectors = loc.size as i64 * nspf;
            let (lo, hi) = (
                (sectors + spc - 1) / spc,
                (sectors + nspf - 1 + spc - 1) / spc,
            );
            let ncyl = i64::from(sb.ncyl);
            if !(lo..=hi).contains(&ncyl) {
                self.rep.sb(
                    "sb-field",
                    "fs_ncyl",
                    format!(
                        "fs_ncyl is {ncyl}, expected {lo} (fs_size × fs_nspf / fs_spc, rounded up)"
                    ),
                );
            }
        } else {
            want("fs_spc", spc, 1);
        }
        let mut bad = |field: &'static str, ok: bool, msg: String| {
            if !ok {
                self.rep.sb("sb-field", field, msg);
            }
        };
        let (ncg, cpg, ncyl) = (i64::from(sb.ncg), i64::from(sb.cpg), i64::from(sb.ncyl));
        bad(
            "fs_ncyl",
            ncg * cpg >= ncyl && ncyl > (ncg - 1) * cpg,
            format!("fs_ncyl is {ncyl}, inconsistent with fs_ncg {ncg} × fs_cpg {cpg}"),
        );
        let maxipg = (bsize * 8 / 3).div_ceil(loc.inopb) * loc.inopb;
        bad(
            "fs_ipg",
            loc.ipg <= maxipg,
            format!("fs_ipg is {}, more than MAXIpG {maxipg}", loc.ipg),
        );
        bad(
            "fs_sbsize",
            (FS_STRUCT_SIZE as i64..=SBSIZE as i64).contains(&i64::from(sb.sbsize))
                && (sb.sbsize as u64) & (fsize - 1) == 0
                && sb.sbsize as u64 <= bsize,
            format!(
                "fs_sbsize is {}, expected a multiple of fs_fsize from {FS_STRUCT_SIZE} to {}",
                sb.sbsize,
                (SBSIZE as u64).min(bsize)
            ),
        );
        bad(
            "fs_version",
            sb.version == 0 || sb.version == 2,
            format!("fs_version is {}, expected 0 or 2", sb.version),
        );
        bad(
            "fs_optim",
            sb.optim == 0 || sb.optim == 1,
            format!("fs_optim is {}, expected 0 or 1", sb.optim),
        );
        bad(
            "fs_minfree",
            (0..=99).contains(&sb.minfree),
            format!("fs_minfree is {}, expected 0 to 99", sb.minfree),
        );
        bad(
            "fs_si",
            sb.si == 0 || sb.si == 1,
            format!("fs_si is {}, expected 0 (FS_SI_OK) or 1", sb.si),
        );
        let postbl_end = i64::from(sb.postbloff) + i64::from(sb.nrpos) * i64::from(sb.cpc) * 2;
        bad(
            "fs_postbloff",
            sb.postbloff >= 0 && sb.cpc >= 0 && postbl_end <= i64::from(sb.sbsize),
            format!(
                "rotational tables (fs_postbloff {}, fs_nrpos {}, fs_cpc {}) end at byte {postbl_end}, past fs_sbsize {}",
                sb.postbloff, sb.nrpos, sb.cpc, sb.sbsize
            ),
        );
        let ndir = i64::from(sb.cstotal.ndir);
        bad(
            "fs_cstotal.cs_ndir",
            ndir >= 1 && ndir <= loc.ninodes() as i64,
            format!(
                "fs_cstotal.cs_ndir is {ndir}, expected 1 to {} (fs_ncg × fs_ipg)",
                loc.ninodes()
            ),
        );
        // Clean state (ufs-format.md §1.2).
        let sum = (sb.state as u32).wrapping_add(sb.time as u32);
        if sum != FSOKAY {
            self.rep.sb(
                "fs-state",
                "fs_state",
                format!(
                    "fs_state is {:#x}, expected {:#x} (FSOKAY - fs_time)",
                    sb.state as u32,
                    FSOKAY.wrapping_sub(sb.time as u32)
                ),
            );
        }
        if sb.clean != FSCLEAN && sb.clean != FSSTABLE {
            self.rep.sb(
                "fs-state",
                "fs_clean",
                format!(
                    "fs_clean is {:#x}, expected {FSCLEAN:#x} (FSCLEAN) or {FSSTABLE:#x} (FSSTABLE)",
                    sb.clean
                ),
            );
        }
        // fs_dsize: every frag outside cg metadata (mkfs initcg's sum).
        let data: u64 = (0..loc.ncg)
            .map(|c| {
                let (lo, hi) = reserved(&loc, c);
                loc.ndblk(c) - (hi - lo)
            })
            .sum();
        let dsize = i64::from(sb.dsize);
        if dsize != data as i64 {
            self.rep.sb(
                "dsize",
                "fs_dsize",
                format!("fs_dsize is {dsize}, expected {data} (frags outside cg metadata)"),
            );
        }
    }

    /// Every cg's superblock copy must equal the primary over `fs_sbsize`
    /// bytes (the writer writes identical copies; fsck compares the last
    /// one, ignoring fields the kernel updates).
    fn backups(&mut self) {
        let len = usize::try_from(self.sb.sbsize)
            .unwrap_or(0)
            .clamp(FS_STRUCT_SIZE, SBSIZE);
        let mut buf = vec![0u8; len];
        for c in 0..self.loc().ncg {
            let frag = self.loc().cgsblock(c);
            let off = self.loc().frag_offset(frag);
            if let Err(e) = self.io.read(&mut buf, off) {
                self.rep.cg(
                    "sb-backup-mismatch",
                    c,
                    "fs_magic",
                    format!("backup superblock at frag {frag} cannot be read: {e}"),
                );
                continue;
            }
            if let Some(i) = (0..len).find(|&i| buf[i] != self.raw[i]) {
                let field = sb_field_name(i);
                self.rep.cg(
                    "sb-backup-mismatch",
                    c,
                    field,
                    format!(
                        "backup superblock at frag {frag} differs from the primary at byte {i} ({field}): {:#04x}, primary {:#04x}",
                        buf[i], self.raw[i]
                    ),
                );
            }
        }
    }

    // --------------------------------------------------------------- pass 1

    fn pass1(&mut self) {
        let loc = self.loc().clone();
        for c in 0..loc.ncg {
            let (lo, hi) = reserved(&loc, c);
            for f in lo..hi {
                self.used.test_and_set(f);
            }
        }
        let ninodes = loc.ninodes();
        let per_read = loc.inopb;
        let mut block = vec![0u8; loc.bsize as usize];
        let mut first = 0u64;
        while first < ninodes {
            // Inodes first .. first+inopb share one block (ipg is a multiple of inopb).
            let Some(off) = loc.inode_offset(first) else {
                break;
            };
            if let Err(e) = self.io.read(&mut block, off) {
                self.rep.cg(
                    "io",
                    first / loc.ipg,
                    "ic_smode",
                    format!("inode block of inodes {first}..: {e}"),
                );
                first += per_read;
                continue;
            }
            for k in 0..per_read {
                let ino = first + k;
                let raw = &block[k as usize * INODE_SIZE..(k as usize + 1) * INODE_SIZE];
                self.inode1(ino as u32, raw);
            }
            first += per_read;
        }
        // Shadow / attribute references, now that every inode's type is known.
        for (ino, target, xattr) in std::mem::take(&mut self.side_refs) {
            let s = self.state.get(target as usize).copied().unwrap_or(ST_FREE) & ST_MASK;
            let (code, field, want, what) = if xattr {
                (
                    "inode-xattr",
                    "ic_oeftflag",
                    ST_ATTRDIR,
                    "extended-attribute directory",
                )
            } else {
                ("inode-shadow", "ic_shadow", ST_SHAD, "ACL shadow inode")
            };
            if target <= ROOTINO || u64::from(target) >= ninodes || s != want {
                self.rep.ino(
                    code,
                    ino,
                    field,
                    format!("{field} is {target}, which is not an {what}"),
                );
            }
        }
    }

    fn inode1(&mut self, ino: u32, raw: &[u8]) {
        let d = Dinode::decode(raw);
        if ino < ROOTINO {
            if let Some(i) = raw.iter().position(|&b| b != 0) {
                let field = dinode_field_name(i);
                self.rep.ino(
                    "reserved-inode",
                    ino,
                    field,
                    format!("reserved inode is not all zero ({field} at byte {i})"),
                );
            }
            return;
        }
        if d.mode & IFMT == 0 {
            if d.mode != 0 || d.size != 0 || d.db.iter().chain(&d.ib).any(|&a| a != 0) {
                let field = if d.mode != 0 {
                    "ic_smode"
                } else if d.size != 0 {
                    "ic_lsize"
                } else if d.db.iter().any(|&a| a != 0) {
                    "ic_db"
                } else {
                    "ic_ib"
                };
                self.rep.ino(
                    "partial-inode",
                    ino,
                    field,
                    format!("free inode (no file type) has a nonzero {field}"),
                );
            } else if let Some(i) = raw
                .iter()
                .enumerate()
                .position(|(i, &b)| b != 0 && !(108..112).contains(&i))
            {
                let field = dinode_field_name(i);
                self.rep.ino(
                    "free-inode-dirty",
                    ino,
                    field,
                    format!("free inode has a nonzero {field} (byte {i}); only ic_gen may be set"),
                );
            }
            return;
        }
        let i = ino as usize;
        let st = state_of(d.mode);
        self.nlink[i] = d.nlink;
        let t = d.mode & IFMT;
        let bogus = if st == ST_UNKNOWN {
            self.rep.ino(
                "inode-type",
                ino,
                "ic_smode",
                format!("ic_smode is {:#o}: unknown file type {:#o}", d.mode, t),
            );
            true
        } else if d.size > UFS_MAXOFFSET {
            self.rep.ino(
                "inode-size",
                ino,
                "ic_lsize",
                format!("ic_lsize is {}, more than {UFS_MAXOFFSET}", d.size),
            );
            true
        } else if t == IFCHR || t == IFBLK {
            let mut bad = false;
            if d.size != 0 {
                self.rep.ino(
                    "device-inode",
                    ino,
                    "ic_lsize",
                    format!("device has ic_lsize {}, expected 0", d.size),
                );
                bad = true;
            }
            let stray =
                d.db.iter()
                    .enumerate()
                    .find(|&(j, &a)| j != 1 && a != 0)
                    .map(|(j, &a)| (format!("ic_db[{j}]"), a))
                    .or_else(|| {
                        d.ib.iter()
                            .enumerate()
                            .find(|&(_, &a)| a != 0)
                            .map(|(j, &a)| (format!("ic_ib[{j}]"), a))
                    });
            if let Some((what, a)) = stray {
                self.rep.ino(
                    "device-inode",
                    ino,
                    if what.starts_with("ic_db") {
                        "ic_db"
                    } else {
                        "ic_ib"
                    },
                    format!(
                        "device has {what} = {a}; only ic_db[1] (the device number) may be set"
                    ),
                );
                bad = true;
            }
            if !bad && d.blocks != 0 {
                self.rep.ino(
                    "ic-blocks",
                    ino,
                    "ic_blocks",
                    format!("ic_blocks is {}, expected 0", d.blocks),
                );
            }
            // No blocks to walk either way.
            self.state[i] = st | if bad { FL_BOGUS } else { 0 };
            self.shadow_refs(ino, &d);
            return;
        } else {
            false
        };
        if bogus {
            self.state[i] = st | FL_BOGUS;
            if is_dir_state(st) {
                self.dirs.push(DirInfo {
                    ino,
                    size: d.size,
                    runs: Vec::new(),
                    skip: true,
                    parent: 0,
                    dotdot: 0,
                });
            }
            return;
        }
        if d.size > MAXOFF32 {
            self.large_files += 1;
        }
        let is_dir = is_dir_state(st);
        let mut skip_dir = false;
        if is_dir && d.size == 0 {
            self.rep.ino(
                "dir-size",
                ino,
                "ic_lsize",
                "zero-length directory".to_string(),
            );
            skip_dir = true;
        }
        if t == IFLNK {
            if d.size > MAX_SYMLINK as u64 {
                self.rep.ino(
                    "symlink-length",
                    ino,
                    "ic_lsize",
                    format!("symlink ic_lsize is {}, more than {MAX_SYMLINK}", d.size),
                );
            }
            if d.size > 0 && d.db[0] == 0 {
                self.rep.ino(
                    "symlink-hole",
                    ino,
                    "ic_db",
                    "symlink target has no data block (ic_db[0] is 0)".to_string(),
                );
            }
        }
        // Walk the block map.
        let loc = self.io.loc.clone();
        let ndb = d.size.div_ceil(loc.bsize);
        let mut frags = 0u64;
        let (mut nbad, mut npast) = (0u32, 0u32);
        let mut first_hole: Option<u64> = None;
        let mut first_bad: Option<u64> = None;
        let mut runs = Vec::new();
        let (used, rep, dups, budget) = (
            &mut self.used,
            &mut self.rep,
            &mut self.dups,
            &mut self.budget,
        );
        let completed = self.io.traverse(&d, &mut |ev| match ev {
            Ev::Claim {
                addr,
                nfrags,
                lbn,
                ptr,
                indirect,
            } => {
                frags += nfrags;
                if let Some(why) = chkrange(&loc, addr, nfrags) {
                    nbad += 1;
                    first_bad.get_or_insert(lbn);
                    if nbad <= PER_INODE_REPORTS {
                        rep.ino(
                            "block-range",
                            ino,
                            ptr.field(),
                            format!(
                                "{} is {addr}: {} of {nfrags} frag{} {why}",
                                ptr.text(),
                                if indirect {
                                    "an indirect block"
                                } else {
                                    "a run"
                                },
                                if nfrags == 1 { "" } else { "s" }
                            ),
                        );
                    }
                    *budget = budget.saturating_sub(1);
                    return if *budget == 0 {
                        Flow::Abort
                    } else {
                        Flow::Skip
                    };
                }
                let a = addr as u64;
                let mut dup = false;
                for f in a..a + nfrags {
                    if used.test_and_set(f) {
                        dup = true;
                        if dups.len() < MAX_DUP_FRAGS {
                            dups.insert(f);
                        }
                    }
                }
                if is_dir && !indirect && lbn < ndb {
                    runs.push((lbn, a, nfrags));
                }
                if dup {
                    *budget = budget.saturating_sub(1);
                    if *budget == 0 {
                        return Flow::Abort;
                    }
                    return Flow::Skip;
                }
                Flow::Go
            }
            Ev::Hole { lbn } => {
                first_hole.get_or_insert(lbn);
                Flow::Go
            }
            Ev::PastEof { ptr, addr } => {
                npast += 1;
                if npast <= PER_INODE_REPORTS {
                    rep.ino(
                        "frags-past-eof",
                        ino,
                        ptr.field(),
                        format!(
                            "{} is {addr}, but ic_lsize {} needs only {ndb} block{}",
                            ptr.text(),
                            d.size,
                            if ndb == 1 { "" } else { "s" }
                        ),
                    );
                }
                *budget = budget.saturating_sub(1);
                if *budget == 0 {
                    Flow::Abort
                } else {
                    Flow::Go
                }
            }
            Ev::ReadFail { addr, err } => {
                rep.ino(
                    "io",
                    ino,
                    "ic_ib",
                    format!("indirect block at frag {addr}: {err}"),
                );
                Flow::Go
            }
        });
        if !completed {
            self.rep.aborted = true;
        }
        self.frags_claimed += frags;
        if nbad > PER_INODE_REPORTS {
            self.rep.ino(
                "block-range",
                ino,
                "ic_db",
                format!("{nbad} bad block pointers in all"),
            );
        }
        if is_dir {
            if let Some(h) = first_hole {
                self.rep.ino(
                    "dir-hole",
                    ino,
                    if h < NDADDR as u64 { "ic_db" } else { "ic_ib" },
                    format!("directory has a hole at block {h} (byte {})", h * loc.bsize),
                );
            }
            if d.blocks == 0 && d.size != 0 {
                self.rep.ino(
                    "dir-size",
                    ino,
                    "ic_blocks",
                    "directory has ic_blocks 0".to_string(),
                );
                skip_dir = true;
            }
            // Scan only up to the first hole or bad block, as fsck truncates there.
            let stop = first_hole.into_iter().chain(first_bad).min();
            if let Some(s) = stop {
                runs.retain(|r| r.0 < s);
            }
            self.dirs.push(DirInfo {
                ino,
                size: d.size,
                runs,
                skip: skip_dir,
                parent: 0,
                dotdot: 0,
            });
        }
        if completed {
            let expect = frags.saturating_mul(loc.fsize / 512);
            if i64::from(d.blocks) != expect as i64 {
                self.rep.ino(
                    "ic-blocks",
                    ino,
                    "ic_blocks",
                    format!("ic_blocks is {}, expected {expect}", d.blocks),
                );
            }
        }
        // Claimants of duplicate frags are named by pass 1b.
        self.state[i] = st;
        self.shadow_refs(ino, &d);
    }

    fn shadow_refs(&mut self, ino: u32, d: &Dinode) {
        if d.shadow != 0 {
            self.side_refs.push((ino, d.shadow, false));
        }
        if d.oeftflag != 0 {
            self.side_refs.push((ino, d.oeftflag, true));
        }
    }

    // -------------------------------------------------------------- pass 1b

    /// Find every claimant of the duplicate frags pass 1 saw.
    fn pass1b(&mut self) {
        let loc = self.loc().clone();
        let mut claims: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        let mut per_ino: BTreeMap<u32, (u64, u64)> = BTreeMap::new(); // first dup frag, count
        let mut seen = Bits::new(loc.size);
        let mut block = vec![0u8; loc.bsize as usize];
        let ninodes = loc.ninodes();
        let mut first = 0u64;
        while first < ninodes {
            let Some(off) = loc.inode_offset(first) else {
                break;
            };
            if self.io.read(&mut block, off).is_err() {
                first += loc.inopb;
                continue;
            }
            for k in 0..loc.inopb {
                let ino = (first + k) as u32;
                let s = self.state[ino as usize];
                if ino < ROOTINO || s == ST_FREE || s & FL_BOGUS != 0 || s & ST_MASK == ST_DEV {
                    continue;
                }
                let raw = &block[k as usize * INODE_SIZE..(k as usize + 1) * INODE_SIZE];
                let d = Dinode::decode(raw);
                let dups = &self.dups;
                let mut budget = CLAIM_BUDGET;
                self.io.traverse(&d, &mut |ev| {
                    let Ev::Claim {
                        addr,
                        nfrags,
                        indirect,
                        ..
                    } = ev
                    else {
                        return Flow::Go;
                    };
                    if chkrange(&loc, addr, nfrags).is_some() {
                        return Flow::Skip;
                    }
                    let a = addr as u64;
                    for f in a..a + nfrags {
                        if dups.contains(&f) {
                            let v = claims.entry(f).or_default();
                            if v.len() < MAX_CLAIMANTS && !v.contains(&ino) {
                                v.push(ino);
                            }
                            let e = per_ino.entry(ino).or_insert((f, 0));
                            e.1 += 1;
                        }
                    }
                    budget = budget.saturating_sub(1);
                    if budget == 0 {
                        return Flow::Abort;
                    }
                    if indirect && seen.test_and_set(a) {
                        return Flow::Skip;
                    }
                    Flow::Go
                });
            }
            first += loc.inopb;
        }
        for (ino, (f, count)) in per_ino {
            let mut others: Vec<String> = claims
                .get(&f)
                .into_iter()
                .flatten()
                .filter(|&&o| o != ino)
                .map(|o| format!("inode {o}"))
                .collect();
            let c = f / loc.fpg;
            let (lo, hi) = reserved(&loc, c);
            if (lo..hi).contains(&f) {
                others.push(format!("cg {c} metadata"));
            }
            if others.is_empty() {
                others.push("another block of the same inode".into());
            }
            self.rep.ino(
                "dup-block",
                ino,
                "ic_db",
                format!(
                    "frag {f} is also claimed by {} ({count} frag{} of this inode claimed more than once)",
                    others.join(", "),
                    if count == 1 { "" } else { "s" }
                ),
            );
        }
    }

    // --------------------------------------------------------------- pass 2

    fn dir_index(&self, ino: u32) -> Option<usize> {
        self.dirs.binary_search_by_key(&ino, |d| d.ino).ok()
    }

    fn pass2(&mut self) {
        let root = self.state.get(ROOTINO as usize).copied().unwrap_or(ST_FREE);
        if root == ST_FREE {
            self.rep.ino(
                "root-inode",
                ROOTINO,
                "ic_smode",
                "root inode is not allocated".into(),
            );
        } else if root & ST_MASK != ST_DIR {
            self.rep.ino(
                "root-inode",
                ROOTINO,
                "ic_smode",
                "root inode is not a directory".into(),
            );
        }
        let loc = self.loc().clone();
        let mut buf = vec![0u8; loc.bsize as usize];
        for di in 0..self.dirs.len() {
            let (ino, size, skip) = {
                let d = &self.dirs[di];
                (d.ino, d.size, d.skip)
            };
            if skip {
                continue;
            }
            if size < 24 {
                self.rep.ino(
                    "dir-size",
                    ino,
                    "ic_lsize",
                    format!(
                        "directory ic_lsize is {size}, less than 24 (too short for '.' and '..')"
                    ),
                );
            }
            if size & (DIRBLKSIZ as u64 - 1) != 0 {
                self.rep.ino(
                    "dir-size",
                    ino,
                    "ic_lsize",
                    format!("directory ic_lsize is {size}, not a multiple of {DIRBLKSIZ}"),
                );
            }
            let limit = size.div_ceil(DIRBLKSIZ as u64) * DIRBLKSIZ as u64;
            let runs = std::mem::take(&mut self.dirs[di].runs);
            let mut scan = DirScan {
                ino,
                pos: 0,
                dotdot: 0,
                reported: 0,
            };
            for (k, &(lbn, addr, nfrags)) in runs.iter().enumerate() {
                if lbn != k as u64 {
                    break; // a hole: fsck truncates here
                }
                let start = lbn * loc.bsize;
                if start >= limit {
                    break;
                }
                let len = (nfrags * loc.fsize).min(limit - start) as usize;
                let b = &mut buf[..len];
                if let Err(e) = self.io.read(b, loc.frag_offset(addr)) {
                    self.rep
                        .ino("io", ino, "ic_db", format!("directory block {lbn}: {e}"));
                    break;
                }
                for (j, chunk) in b.chunks(DIRBLKSIZ).enumerate() {
                    if chunk.len() < DIRBLKSIZ {
                        break;
                    }
                    let at = start + (j * DIRBLKSIZ) as u64;
                    self.scan_chunk(&mut scan, at, chunk);
                }
            }
            if scan.pos < 2 {
                let what = if scan.pos == 0 { "'.'" } else { "'..'" };
                self.rep.ino(
                    if scan.pos == 0 { "dot" } else { "dotdot" },
                    ino,
                    "d_name",
                    format!("directory has no {what} entry"),
                );
            }
            self.dirs[di].dotdot = scan.dotdot;
            self.dirs[di].runs = runs;
        }
    }

    /// fsck `dircheck` on the record at `loc` of a chunk; `Err((code,
    /// field, message))` if it is bad.
    fn dircheck(&self, chunk: &[u8], at: usize) -> Result<Record, BadRecord> {
        let d_ino = get_u32(chunk, at);
        let reclen = usize::from(get_u16(chunk, at + 4));
        let namlen = usize::from(get_u16(chunk, at + 6));
        let room = DIRBLKSIZ - at;
        if reclen == 0 || reclen % 4 != 0 || reclen > room {
            return Err((
                "dirent-reclen",
                "d_reclen",
                format!("d_reclen is {reclen}, expected a nonzero multiple of 4 up to {room}"),
            ));
        }
        if namlen > MAXNAMLEN {
            return Err((
                "dirent-name",
                "d_namlen",
                format!("d_namlen is {namlen}, more than {MAXNAMLEN}"),
            ));
        }
        if reclen < dirsiz(namlen) {
            return Err((
                "dirent-reclen",
                "d_reclen",
                format!(
                    "d_reclen is {reclen}, less than {} for a {namlen}-byte name",
                    dirsiz(namlen)
                ),
            ));
        }
        if u64::from(d_ino) >= self.loc().ninodes() {
            return Err((
                "dirent-ino",
                "d_ino",
                format!(
                    "d_ino is {d_ino}, the file system has {} inodes",
                    self.loc().ninodes()
                ),
            ));
        }
        let name = &chunk[at + 8..at + 8 + namlen];
        if d_ino != 0 {
            if let Some(p) = name.iter().position(|&b| b == 0 || b == b'/') {
                return Err((
                    "dirent-name",
                    "d_name",
                    format!(
                        "name byte {p} is {:#04x} (NUL and '/' are not allowed)",
                        name[p]
                    ),
                ));
            }
            if chunk[at + 8 + namlen] != 0 {
                return Err((
                    "dirent-name",
                    "d_name",
                    format!("name is not NUL-terminated after d_namlen {namlen} bytes"),
                ));
            }
        }
        Ok((d_ino, reclen, name.to_vec()))
    }

    fn scan_chunk(&mut self, scan: &mut DirScan, at: u64, chunk: &[u8]) {
        let ino = scan.ino;
        let mut loc = 0usize;
        while loc < DIRBLKSIZ {
            let (d_ino, reclen, name) = match self.dircheck(chunk, loc) {
                Ok(v) => v,
                Err((code, field, msg)) => {
                    if scan.reported < PER_INODE_REPORTS {
                        self.rep.ino(
                            code,
                            ino,
                            field,
                            format!(
                                "directory entry at byte {}: {msg}; rest of the {DIRBLKSIZ}-byte chunk skipped",
                                at + loc as u64
                            ),
                        );
                    }
                    scan.reported += 1;
                    return;
                }
            };
            let entry_at = at + loc as u64;
            loc += reclen;
            match scan.pos {
                0 => {
                    scan.pos = 1;
                    if d_ino != 0 && name == b"." {
                        if d_ino != ino {
                            self.rep.ino(
                                "dot",
                                ino,
                                "d_ino",
                                format!("'.' has d_ino {d_ino}, expected {ino}"),
                            );
                        }
                        if reclen != 12 {
                            self.rep.ino(
                                "dot",
                                ino,
                                "d_reclen",
                                format!("'.' has d_reclen {reclen}, expected 12"),
                            );
                        }
                        self.add_ref(d_ino);
                        continue;
                    }
                    self.rep.ino(
                        "dot",
                        ino,
                        "d_name",
                        format!(
                            "first entry is {:?}, expected '.'",
                            String::from_utf8_lossy(&name)
                        ),
                    );
                    if d_ino == 0 {
                        continue;
                    }
                }
                1 => {
                    scan.pos = 2;
                    if d_ino != 0 && name == b".." {
                        scan.dotdot = d_ino;
                        if self.state[d_ino as usize] == ST_FREE {
                            self.rep.ino(
                                "dotdot",
                                ino,
                                "d_ino",
                                format!("'..' names inode {d_ino}, which is not allocated"),
                            );
                        } else {
                            self.add_ref(d_ino);
                        }
                        continue;
                    }
                    self.rep.ino(
                        "dotdot",
                        ino,
                        "d_name",
                        format!(
                            "second entry is {:?}, expected '..'",
                            String::from_utf8_lossy(&name)
                        ),
                    );
                    if d_ino == 0 {
                        continue;
                    }
                }
                _ => {}
            }
            if d_ino == 0 {
                continue;
            }
            if name == b"." || name == b".." {
                let dots = name.len();
                self.rep.ino(
                    if dots == 1 { "dot" } else { "dotdot" },
                    ino,
                    "d_name",
                    format!(
                        "extra '{}' entry at byte {entry_at}",
                        String::from_utf8_lossy(&name)
                    ),
                );
                continue;
            }
            let ts = self.state[d_ino as usize];
            if ts == ST_FREE {
                self.rep.ino(
                    "dirent-unalloc",
                    ino,
                    "d_ino",
                    format!(
                        "entry {:?} names inode {d_ino}, which is not allocated",
                        String::from_utf8_lossy(&name)
                    ),
                );
                continue;
            }
            self.add_ref(d_ino);
            if is_dir_state(ts) {
                if let Some(ci) = self.dir_index(d_ino) {
                    if self.dirs[ci].parent != 0 {
                        let first = self.dirs[ci].parent;
                        self.rep.ino(
                            "dir-hardlink",
                            ino,
                            "d_ino",
                            format!(
                                "entry {:?} is an extra hard link to directory inode {d_ino} (already named in directory inode {first})",
                                String::from_utf8_lossy(&name)
                            ),
                        );
                    } else {
                        self.dirs[ci].parent = ino;
                    }
                }
            }
        }
    }

    fn add_ref(&mut self, ino: u32) {
        if let Some(r) = self.refs.get_mut(ino as usize) {
            *r = r.saturating_add(1);
        }
    }

    // --------------------------------------------------------------- pass 3

    fn pass3(&mut self) {
        let root_ok =
            self.state.get(ROOTINO as usize).copied().unwrap_or(ST_FREE) & ST_MASK == ST_DIR;
        let n = self.dirs.len();
        let mut reach = vec![false; n];
        if root_ok {
            // Children lists by parent index, then a breadth-first walk.
            let mut edges: Vec<(usize, usize)> = (0..n)
                .filter(|&i| self.dirs[i].ino != ROOTINO && self.dirs[i].parent != 0)
                .filter_map(|i| Some((self.dir_index(self.dirs[i].parent)?, i)))
                .collect();
            edges.sort_unstable();
            if let Some(r) = self.dir_index(ROOTINO) {
                let mut queue = vec![r];
                reach[r] = true;
                while let Some(p) = queue.pop() {
                    let lo = edges.partition_point(|e| e.0 < p);
                    for &(_, c) in edges[lo..].iter().take_while(|e| e.0 == p) {
                        if !reach[c] {
                            reach[c] = true;
                            queue.push(c);
                        }
                    }
                }
            }
        }
        for (i, d) in self.dirs.iter().enumerate() {
            if d.ino == ROOTINO {
                if !d.skip && d.dotdot != 0 && d.dotdot != ROOTINO {
                    self.rep.ino(
                        "dotdot",
                        d.ino,
                        "d_ino",
                        format!("root's '..' is {}, expected {ROOTINO}", d.dotdot),
                    );
                }
                continue;
            }
            if root_ok && !reach[i] {
                self.rep.ino(
                    "unreachable-dir",
                    d.ino,
                    "d_ino",
                    if d.parent == 0 {
                        "directory is not named by any directory entry".to_string()
                    } else {
                        format!(
                            "directory is not reachable from the root (named in directory inode {})",
                            d.parent
                        )
                    },
                );
            }
            if !d.skip && d.parent != 0 && d.dotdot != 0 && d.dotdot != d.parent {
                self.rep.ino(
                    "dotdot",
                    d.ino,
                    "d_ino",
                    format!(
                        "'..' is {}, expected {} (the directory naming it)",
                        d.dotdot, d.parent
                    ),
                );
            }
        }
    }

    // --------------------------------------------------------------- pass 4

    fn pass4(&mut self) {
        for ino in ROOTINO as usize..self.state.len() {
            let s = self.state[ino];
            if s == ST_FREE || matches!(s & ST_MASK, ST_SHAD | ST_ATTRDIR) {
                continue;
            }
            let (refs, nlink) = (self.refs[ino], self.nlink[ino]);
            if refs == 0 {
                self.rep.ino(
                    "unref-inode",
                    ino as u32,
                    "ic_nlink",
                    format!(
                        "allocated inode (ic_nlink {nlink}) is not named by any directory entry"
                    ),
                );
            } else if i64::from(nlink) != i64::from(refs) {
                self.rep.ino(
                    "nlink",
                    ino as u32,
                    "ic_nlink",
                    format!("ic_nlink is {nlink}, expected {refs}"),
                );
            }
        }
    }

    // --------------------------------------------------------------- pass 5

    fn pass5(&mut self, summary: &mut Summary) {
        let loc = self.loc().clone();
        let sb = self.sb.clone();
        let Some(m) = CgMapOffsets::of(&sb) else {
            return;
        };
        let (frag, fpg, ipg) = (loc.frag, loc.fpg, loc.ipg);
        let cpg = sb.cpg as u64;
        let nrpos = sb.nrpos as u64;
        let nspf = loc.fsize / 512;
        let spc = u64::try_from(sb.spc).unwrap_or(0);
        let nsect = u64::try_from(sb.nsect).unwrap_or(0);
        let rot_ok = spc > 0 && nsect > 0;
        // The csum array (fs_csaddr, fs_cssize bytes).
        let csfrags = (loc.ncg * 16).div_ceil(loc.fsize);
        let csum: Option<Vec<u8>> = {
            let a = u64::try_from(sb.csaddr).unwrap_or(0);
            if a == 0 || a + csfrags > loc.size {
                None
            } else {
                let mut b = vec![0u8; (csfrags * loc.fsize) as usize];
                match self.io.read(&mut b, loc.frag_offset(a)) {
                    Ok(()) => Some(b),
                    Err(e) => {
                        self.rep
                            .sb("io", "fs_csaddr", format!("reading the csum array: {e}"));
                        None
                    }
                }
            }
        };
        let mut total = Csum::default();
        let mut blk = vec![0u8; loc.bsize as usize];
        let imap_len = ipg.div_ceil(8) as usize;
        let fmap_len = fpg.div_ceil(8) as usize;
        for c in 0..loc.ncg {
            // Recompute from the pass 1 results.
            let mut cs = Csum::default();
            let mut imap = vec![0u8; imap_len];
            let mut nifree = ipg as i64;
            for i in 0..ipg {
                let ino = c * ipg + i;
                let s = self.state[ino as usize];
                if s != ST_FREE || ino < u64::from(ROOTINO) {
                    imap[(i / 8) as usize] |= 1 << (i % 8);
                    nifree -= 1;
                    if is_dir_state(s) {
                        cs.ndir += 1;
                    }
                }
            }
            cs.nifree = nifree as i32;
            let base = loc.cgbase(c);
            let ndblk = loc.ndblk(c);
            let mut fmap = vec![0u8; fmap_len];
            let mut frsum = [0i32; 8];
            let mut btot = vec![0i32; cpg as usize];
            let mut bpos = vec![0i16; (cpg * nrpos) as usize];
            let mut b = 0u64;
            while b < ndblk {
                let mut run = 0u64;
                let mut nfree = 0u64;
                for j in 0..frag {
                    let f = base + b + j;
                    let free = b + j < ndblk && f < loc.size && !self.used.get(f);
                    if free {
                        fmap[((b + j) / 8) as usize] |= 1 << ((b + j) % 8);
                        nfree += 1;
                        run += 1;
                    } else if run > 0 {
                        if run < frag {
                            frsum[run as usize] += 1;
                        }
                        run = 0;
                    }
                }
                if nfree == frag {
                    cs.nbfree += 1;
                    if rot_ok {
                        let cyl = b * nspf / spc;
                        let rpos = ((b * nspf % spc) % nsect) * nrpos / nsect;
                        if cyl < cpg && rpos < nrpos {
                            btot[cyl as usize] += 1;
                            bpos[(cyl * nrpos + rpos) as usize] += 1;
                        }
                    }
                } else if nfree > 0 {
                    cs.nffree += nfree as i32;
                    if run > 0 && run < frag {
                        frsum[run as usize] += 1;
                    }
                }
                b += frag;
            }
            total.ndir += cs.ndir;
            total.nbfree += cs.nbfree;
            total.nifree += cs.nifree;
            total.nffree += cs.nffree;
            summary.free_blocks += cs.nbfree as u64;
            summary.free_frags += cs.nffree as u64;
            // The csum array entry.
            if let Some(a) = &csum {
                let got = Csum::get(a, (16 * c) as usize);
                self.cmp_csum(c, "csum-mismatch", "fs_cs", &got, &cs);
            }
            // The cg header.
            let tod = loc.cgtod(c);
            if let Err(e) = self.io.read(&mut blk, loc.frag_offset(tod)) {
                self.rep
                    .cg("io", c, "cg_magic", format!("cg header at frag {tod}: {e}"));
                continue;
            }
            let magic = get_u32(&blk, 4);
            if magic != CG_MAGIC {
                self.rep.cg(
                    "cg-magic",
                    c,
                    "cg_magic",
                    format!("cg_magic is {magic:#x}, expected {CG_MAGIC:#x}"),
                );
                continue;
            }
            let ncyl_exp = if c + 1 == loc.ncg {
                i64::from(sb.ncyl) - sb.cpg as i64 * c as i64
            } else {
                sb.cpg as i64
            };
            let hdr: [(&'static str, i64, i64); 8] = [
                ("cg_cgx", get_i32(&blk, 12).into(), c as i64),
                ("cg_ncyl", get_u16(&blk, 16) as i16 as i64, ncyl_exp),
                ("cg_niblk", get_u16(&blk, 18) as i16 as i64, ipg as i64),
                ("cg_ndblk", get_i32(&blk, 20).into(), ndblk as i64),
                ("cg_btotoff", get_i32(&blk, 84).into(), m.btotoff as i64),
                ("cg_boff", get_i32(&blk, 88).into(), m.boff as i64),
                ("cg_iusedoff", get_i32(&blk, 92).into(), m.iusedoff as i64),
                ("cg_freeoff", get_i32(&blk, 96).into(), m.freeoff as i64),
            ];
            for (field, got, exp) in hdr {
                if got != exp {
                    self.rep.cg(
                        "cg-header",
                        c,
                        field,
                        format!("{field} is {got}, expected {exp}"),
                    );
                }
            }
            let nfo = i64::from(get_i32(&blk, 100));
            if nfo != m.nextfreeoff as i64 {
                self.rep.cg(
                    "cg-header",
                    c,
                    "cg_nextfreeoff",
                    format!("cg_nextfreeoff is {nfo}, expected {}", m.nextfreeoff),
                );
            }
            for (field, off, lim) in [
                ("cg_rotor", 40, ndblk),
                ("cg_frotor", 44, ndblk),
                ("cg_irotor", 48, ipg),
            ] {
                let v = get_i32(&blk, off);
                if v < 0 || v as u64 >= lim {
                    self.rep.cg(
                        "cg-header",
                        c,
                        field,
                        format!("{field} is {v}, expected 0 to {}", lim.saturating_sub(1)),
                    );
                }
            }
            let got_cs = Csum::get(&blk, 24);
            self.cmp_csum(c, "cg-summary", "cg_cs", &got_cs, &cs);
            // Bitmaps.
            let iu = m.iusedoff as usize;
            self.cmp_map(c, &blk[iu..iu + imap_len], &imap, true);
            let fr = m.freeoff as usize;
            self.cmp_map(c, &blk[fr..fr + fmap_len], &fmap, false);
            // Free-run and free-block tables.
            for (k, &want) in frsum.iter().enumerate() {
                let got = get_i32(&blk, 52 + 4 * k);
                if got != want {
                    self.rep.cg(
                        "cg-frsum",
                        c,
                        "cg_frsum",
                        format!("cg_frsum[{k}] is {got}, expected {want}"),
                    );
                    break;
                }
            }
            if rot_ok {
                let bt = m.btotoff as usize;
                if let Some(k) = (0..cpg as usize).find(|&k| get_i32(&blk, bt + 4 * k) != btot[k]) {
                    self.rep.cg(
                        "cg-btot",
                        c,
                        "cg_btot",
                        format!(
                            "cg_btot[{k}] is {}, expected {}",
                            get_i32(&blk, bt + 4 * k),
                            btot[k]
                        ),
                    );
                }
                let bo = m.boff as usize;
                if let Some(k) =
                    (0..bpos.len()).find(|&k| get_u16(&blk, bo + 2 * k) as i16 != bpos[k])
                {
                    self.rep.cg(
                        "cg-btot",
                        c,
                        "cg_b",
                        format!(
                            "cg_b[{}][{}] is {}, expected {}",
                            k as u64 / nrpos,
                            k as u64 % nrpos,
                            get_u16(&blk, bo + 2 * k) as i16,
                            bpos[k]
                        ),
                    );
                }
            }
        }
        let st = sb.cstotal;
        for (name, got, want) in [
            ("fs_cstotal.cs_ndir", st.ndir, total.ndir),
            ("fs_cstotal.cs_nbfree", st.nbfree, total.nbfree),
            ("fs_cstotal.cs_nifree", st.nifree, total.nifree),
            ("fs_cstotal.cs_nffree", st.nffree, total.nffree),
        ] {
            if got != want {
                self.rep
                    .sb("cstotal", name, format!("{name} is {got}, expected {want}"));
            }
        }
        let flag = sb.flags & FSLARGEFILES != 0;
        if flag != (self.large_files > 0) {
            self.rep.sb(
                "largefiles",
                "fs_flags",
                if flag {
                    "FSLARGEFILES is set but no file is larger than 2^31-1 bytes".to_string()
                } else {
                    format!(
                        "FSLARGEFILES is clear but {} file(s) are larger than 2^31-1 bytes",
                        self.large_files
                    )
                },
            );
        }
        summary.data_frags = (0..loc.ncg)
            .map(|c| {
                let (lo, hi) = reserved(&loc, c);
                loc.ndblk(c) - (hi - lo)
            })
            .sum();
    }

    fn cmp_csum(
        &mut self,
        c: u64,
        code: &'static str,
        which: &'static str,
        got: &Csum,
        want: &Csum,
    ) {
        let fields: [(&'static str, &'static str, i32, i32); 4] = [
            ("cg_cs.cs_ndir", "fs_cs.cs_ndir", got.ndir, want.ndir),
            (
                "cg_cs.cs_nbfree",
                "fs_cs.cs_nbfree",
                got.nbfree,
                want.nbfree,
            ),
            (
                "cg_cs.cs_nifree",
                "fs_cs.cs_nifree",
                got.nifree,
                want.nifree,
            ),
            (
                "cg_cs.cs_nffree",
                "fs_cs.cs_nffree",
                got.nffree,
                want.nffree,
            ),
        ];
        for (cgf, csf, g, w) in fields {
            if g != w {
                let field = if which == "cg_cs" { cgf } else { csf };
                let msg = if which == "cg_cs" {
                    format!("{field} is {g}, expected {w}")
                } else {
                    format!("csum array entry {field} is {g}, expected {w}")
                };
                self.rep.cg(code, c, field, msg);
            }
        }
    }

    /// Compare an on-disk map with the recomputed one. Inode map: bit set =
    /// allocated; frag map: bit set = free.
    fn cmp_map(&mut self, c: u64, disk: &[u8], want: &[u8], inodes: bool) {
        let mut first_set: Option<u64> = None; // disk bit set, want clear
        let mut first_clear: Option<u64> = None;
        let (mut nset, mut nclear) = (0u64, 0u64);
        for (i, (&a, &b)) in disk.iter().zip(want).enumerate() {
            let x = a ^ b;
            if x == 0 {
                continue;
            }
            for bit in 0..8 {
                if x & (1 << bit) == 0 {
                    continue;
                }
                let n = i as u64 * 8 + bit;
                if a & (1 << bit) != 0 {
                    nset += 1;
                    first_set.get_or_insert(n);
                } else {
                    nclear += 1;
                    first_clear.get_or_insert(n);
                }
            }
        }
        if nset == 0 && nclear == 0 {
            return;
        }
        let loc = self.loc();
        let mut parts = Vec::new();
        let (code, field, first) = if inodes {
            let base = c * loc.ipg;
            if let Some(n) = first_set {
                parts.push(format!(
                    "inode {} is free but marked used ({nset} such)",
                    base + n
                ));
            }
            if let Some(n) = first_clear {
                parts.push(format!(
                    "inode {} is allocated but marked free ({nclear} such)",
                    base + n
                ));
            }
            let first = first_clear.or(first_set).map(|n| base + n);
            ("inode-bitmap", "cg_iused", first)
        } else {
            let base = loc.cgbase(c);
            if let Some(n) = first_set {
                parts.push(format!(
                    "frag {} is in use but marked free ({nset} such)",
                    base + n
                ));
            }
            if let Some(n) = first_clear {
                parts.push(format!(
                    "frag {} is free but marked used ({nclear} such)",
                    base + n
                ));
            }
            ("frag-bitmap", "cg_free", None)
        };
        let msg = format!(
            "{} map: {}",
            if inodes { "inode-used" } else { "frag-free" },
            parts.join("; ")
        );
        self.rep.push(
            code,
            first.and_then(|f| u32::try_from(f).ok()),
            u32::try_from(c).ok(),
            field,
            msg,
        );
    }
}

/// A directory record that passed `dircheck`: `(d_ino, d_reclen, name)`.
type Record = (u32, usize, Vec<u8>);
/// Why a record failed `dircheck`: `(code, field, message)`.
type BadRecord = (&'static str, &'static str, String);

/// Progress of pass 2 through one directory.
struct DirScan {
    ino: u32,
    /// Records seen so far, up to 2 ("." then "..").
    pos: u8,
    dotdot: u32,
    reported: u32,
}

/// A tiny hand-made image for unit tests, built from ufs-format.md and
/// format.rs alone (independent of the planner and writer).
#[cfg(test)]
pub(crate) mod testimg {
    use crate::format::*;
    use crate::read::Locator;
    use std::collections::BTreeMap;

    /// Build time.
    pub const T: i32 = 1_600_000_000;
    /// Contents of `/hello`.
    pub const HELLO: &[u8] = b"hello world\n";
    /// Size of `/big`: 12 direct blocks, a single indirect block, 2 more blocks.
    pub const BIG: usize = 13 * 8192 + 100;
    /// Size of `/sub/g` (2 frags in cg 1).
    pub const G: usize = 2000;

    /// Byte `i` of `/big`.
    pub fn big_byte(i: usize) -> u8 {
        ((i * 7 + 3) % 251) as u8
    }

    /// The image and where things are.
    pub struct TestImg {
        /// Image bytes (1 MiB: 2 cgs of 512 frags, 64 inodes each).
        pub bytes: Vec<u8>,
        /// The primary superblock as written.
        pub sb: Superblock,
        /// Its geometry.
        pub loc: Locator,
        /// Inode numbers by path.
        pub ino: BTreeMap<&'static str, u32>,
        /// Final dinodes by number.
        pub dinodes: BTreeMap<u32, Dinode>,
    }

    impl TestImg {
        /// Byte offset of inode `ino`.
        pub fn inode_at(&self, ino: u32) -> usize {
            self.loc.inode_offset(u64::from(ino)).unwrap() as usize
        }
        /// Byte offset of the data frag `f`.
        pub fn frag_at(&self, f: i32) -> usize {
            f as usize * 1024
        }
        /// Byte offset of cg `c`'s header.
        pub fn cg_at(&self, c: u64) -> usize {
            (self.loc.cgtod(c) * 1024) as usize
        }
        /// Byte offset of the record `name` in the first block of directory `dir`.
        pub fn dirent_at(&self, dir: &str, name: &[u8]) -> usize {
            let d = &self.dinodes[&self.ino[dir]];
            let base = self.frag_at(d.db[0]);
            let mut off = 0;
            loop {
                let r = base + off;
                let reclen = get_u16(&self.bytes, r + 4) as usize;
                let namlen = get_u16(&self.bytes, r + 6) as usize;
                if &self.bytes[r + 8..r + 8 + namlen] == name {
                    return r;
                }
                off += reclen;
            }
        }
    }

    struct B {
        img: Vec<u8>,
        used: Vec<bool>,
        dinodes: BTreeMap<u32, Dinode>,
    }

    impl B {
        /// `n` free frags inside one block, searching from frag `from`.
        fn frags(&mut self, from: u64, n: u64) -> i32 {
            let mut b = from / 8 * 8;
            loop {
                let free: Vec<u64> = (b..b + 8).filter(|&f| !self.used[f as usize]).collect();
                // First run of n consecutive free frags in this block.
                for &s in &free {
                    if s >= from && (s..s + n).all(|f| f < b + 8 && !self.used[f as usize]) {
                        for f in s..s + n {
                            self.used[f as usize] = true;
                        }
                        return s as i32;
                    }
                }
                b += 8;
            }
        }
        fn block(&mut self, from: u64) -> i32 {
            let mut b = from.div_ceil(8) * 8;
            while (b..b + 8).any(|f| self.used[f as usize]) {
                b += 8;
            }
            for f in b..b + 8 {
                self.used[f as usize] = true;
            }
            b as i32
        }
        fn put(&mut self, frag: i32, data: &[u8]) {
            let at = frag as usize * 1024;
            self.img[at..at + data.len()].copy_from_slice(data);
        }
    }

    fn inode(mode: u16, nlink: i16, size: u64) -> Dinode {
        Dinode {
            mode,
            nlink,
            suid: 0,
            sgid: 3,
            size,
            atime: (T, 0),
            mtime: (T - 100, 5),
            ctime: (T, 0),
            gid: 3,
            gen: 0x1234,
            ..Default::default()
        }
    }

    /// One 512-byte chunk: ".", "..", then `names`.
    fn dir_chunk(me: u32, parent: u32, names: &[(&[u8], u32)]) -> Vec<u8> {
        let mut b = vec![0u8; 512];
        let mut all: Vec<(&[u8], u32)> = vec![(b".", me), (b"..", parent)];
        all.extend_from_slice(names);
        let mut off = 0;
        for (k, (name, ino)) in all.iter().enumerate() {
            let len = if k + 1 == all.len() {
                512 - off
            } else {
                dirsiz(name.len())
            };
            put_u32(&mut b, off, *ino);
            put_u16(&mut b, off + 4, len as u16);
            put_u16(&mut b, off + 6, name.len() as u16);
            b[off + 8..off + 8 + name.len()].copy_from_slice(name);
            off += len;
        }
        b
    }

    /// The image; with `stagger`, two tracks per cylinder (cgmask -2), so
    /// cg 1's metadata starts `cgoffset` frags after its base.
    pub fn build(stagger: bool) -> TestImg {
        let (ntrak, cpg) = if stagger { (2, 8) } else { (1, 16) };
        let nsect = 64;
        let spc = ntrak * nsect;
        let fpg = cpg * spc / 2;
        assert_eq!(fpg, 512);
        let size = 1024;
        let ipg = 64;
        let mut sb = Superblock {
            sblkno: 16,
            cblkno: 24,
            iblkno: 32,
            dblkno: 40,
            cgoffset: 32,
            cgmask: if stagger { -2 } else { -1 },
            time: T,
            size,
            ncg: 2,
            bsize: 8192,
            fsize: 1024,
            frag: 8,
            minfree: 0,
            rps: 60,
            bmask: !8191,
            fmask: !1023,
            bshift: 13,
            fshift: 10,
            maxcontig: 1,
            maxbpg: 2048,
            fragshift: 3,
            fsbtodb: 1,
            sbsize: 2048,
            csmask: !511,
            csshift: 9,
            nindir: 2048,
            inopb: 64,
            nspf: 2,
            optim: 0,
            state: FSOKAY.wrapping_sub(T as u32) as i32,
            id: [0x5eed, 7],
            csaddr: 40,
            cssize: 1024,
            cgsize: 1024,
            ntrak,
            nsect,
            spc,
            ncyl: (size * 2 + spc - 1) / spc,
            cpg,
            ipg,
            fpg,
            clean: FSCLEAN,
            npsect: nsect,
            qbmask: 8191,
            qfmask: 1023,
            postblformat: FS_DYNAMICPOSTBLFMT,
            nrpos: 8,
            magic: FS_MAGIC,
            ..Default::default()
        };
        let loc = Locator::new(&sb, 1 << 20).unwrap();
        let mut b = B {
            img: vec![0u8; 1 << 20],
            used: vec![false; size as usize],
            dinodes: BTreeMap::new(),
        };
        let csfrags = 1;
        for c in 0..2u64 {
            let (lo, hi) = if c == 0 {
                (0, loc.cgdmin(0) + csfrags)
            } else {
                (loc.cgsblock(c), loc.cgdmin(c))
            };
            for f in lo..hi {
                b.used[f as usize] = true;
            }
        }
        let mut ino = BTreeMap::new();
        for (p, i) in [
            ("/", 2),
            ("/big", 3),
            ("/hello", 4),
            ("/link", 5),
            ("/null", 6),
            ("/sparse", 7),
            ("/sub", 8),
            ("/sub/f", 9),
            ("/fifo", 10),
            ("/sub/g", 64),
        ] {
            ino.insert(p, i);
        }
        let d0 = loc.cgdmin(0);
        // Directories and small files share the partly used block of cg 0.
        let root_f = b.frags(d0, 1);
        let sub_f = b.frags(d0, 1);
        let hello_f = b.frags(d0, 1);
        let link_f = b.frags(d0, 1);
        let root_names: Vec<(&[u8], u32)> = vec![
            (b"big", 3),
            (b"fifo", 10),
            (b"hello", 4),
            (b"hello2", 4),
            (b"link", 5),
            (b"null", 6),
            (b"sparse", 7),
            (b"sub", 8),
        ];
        b.put(root_f, &dir_chunk(2, 2, &root_names));
        let mut d = inode(IFDIR | 0o755, 3, 512);
        d.db[0] = root_f;
        d.blocks = 2;
        b.dinodes.insert(2, d);
        b.put(sub_f, &dir_chunk(8, 2, &[(b"f", 9), (b"g", 64)]));
        let mut d = inode(IFDIR | 0o755, 2, 512);
        d.db[0] = sub_f;
        d.blocks = 2;
        b.dinodes.insert(8, d);
        b.put(hello_f, HELLO);
        let mut d = inode(IFREG | 0o644, 2, HELLO.len() as u64);
        d.db[0] = hello_f;
        d.blocks = 2;
        b.dinodes.insert(4, d);
        b.put(link_f, b"hello");
        let mut d = inode(IFLNK | 0o777, 1, 5);
        d.db[0] = link_f;
        d.blocks = 2;
        b.dinodes.insert(5, d);
        // /big: 12 direct blocks, an indirect block, 2 more blocks.
        let data: Vec<u8> = (0..BIG).map(big_byte).collect();
        let mut d = inode(IFREG | 0o600, 1, BIG as u64);
        d.suid = UID_LONG;
        d.uid = 70000;
        for (i, chunk) in data.chunks(8192).enumerate().take(12) {
            let a = b.block(d0);
            b.put(a, chunk);
            d.db[i] = a;
        }
        let ind = b.block(d0);
        d.ib[0] = ind;
        let mut indblk = vec![0u8; 8192];
        for (k, chunk) in data.chunks(8192).skip(12).enumerate() {
            let a = b.block(d0);
            b.put(a, chunk);
            put_i32(&mut indblk, 4 * k, a);
        }
        b.put(ind, &indblk);
        d.blocks = 15 * 16;
        b.dinodes.insert(3, d);
        // /sparse: block, hole, block.
        let mut d = inode(IFREG | 0o644, 1, 3 * 8192);
        d.db[0] = b.block(d0);
        d.db[2] = b.block(d0);
        b.put(d.db[0], &[0xaa; 8192]);
        b.put(d.db[2], &[0xbb; 8192]);
        d.blocks = 32;
        b.dinodes.insert(7, d);
        // /null, /fifo, /sub/f.
        let mut d = inode(IFCHR | 0o666, 1, 0);
        d.db[1] = encode_dev(13, 2).unwrap() as i32;
        b.dinodes.insert(6, d);
        b.dinodes.insert(10, inode(IFIFO | 0o644, 1, 0));
        b.dinodes.insert(9, inode(IFREG | 0o644, 1, 0));
        // /sub/g in cg 1.
        let g_f = b.frags(loc.cgdmin(1), 2);
        let gdata: Vec<u8> = (0..G).map(|i| (i % 13) as u8).collect();
        b.put(g_f, &gdata);
        let mut d = inode(IFREG | 0o640, 1, G as u64);
        d.db[0] = g_f;
        d.blocks = 4;
        b.dinodes.insert(64, d);
        // Inodes (free ones get a generation number only).
        for i in 0..loc.ninodes() {
            let at = loc.inode_offset(i).unwrap() as usize;
            let d = b.dinodes.get(&(i as u32)).cloned().unwrap_or(Dinode {
                gen: if i >= 2 { i as i32 * 3 } else { 0 },
                ..Default::default()
            });
            d.encode_into(&mut b.img[at..at + INODE_SIZE]);
        }
        // Cylinder groups.
        let mut total = Csum::default();
        let mut csum = vec![0u8; 1024];
        let mut dsize = 0;
        for c in 0..2u64 {
            let base = loc.cgbase(c);
            let ndblk = loc.ndblk(c);
            let mut h = vec![0u8; 8192];
            put_u32(&mut h, 4, CG_MAGIC);
            put_i32(&mut h, 8, T);
            put_i32(&mut h, 12, c as i32);
            put_u16(
                &mut h,
                16,
                if c == 1 {
                    (sb.ncyl - cpg) as u16
                } else {
                    cpg as u16
                },
            );
            put_u16(&mut h, 18, ipg as u16);
            put_i32(&mut h, 20, ndblk as i32);
            let btotoff = 168;
            let boff = btotoff + 4 * cpg as usize;
            let iusedoff = boff + 2 * cpg as usize * 8;
            let freeoff = iusedoff + 8;
            let nextfreeoff = freeoff + 64;
            for (off, v) in [
                (84, btotoff),
                (88, boff),
                (92, iusedoff),
                (96, freeoff),
                (100, nextfreeoff),
            ] {
                put_i32(&mut h, off, v as i32);
            }
            let mut cs = Csum::default();
            for i in 0..ipg as u64 {
                let n = c * ipg as u64 + i;
                let live = n < 2 || b.dinodes.contains_key(&(n as u32));
                if live {
                    h[iusedoff + (i / 8) as usize] |= 1 << (i % 8);
                    if b.dinodes
                        .get(&(n as u32))
                        .is_some_and(|d| d.mode & IFMT == IFDIR)
                    {
                        cs.ndir += 1;
                    }
                } else {
                    cs.nifree += 1;
                }
            }
            let mut frsum = [0i32; 8];
            for blk in 0..ndblk / 8 {
                let first = base + blk * 8;
                let free: Vec<bool> = (0..8).map(|j| !b.used[(first + j) as usize]).collect();
                for (j, &fr) in free.iter().enumerate() {
                    if fr {
                        let k = blk * 8 + j as u64;
                        h[freeoff + (k / 8) as usize] |= 1 << (k % 8);
                    }
                }
                let n = free.iter().filter(|&&x| x).count();
                if n == 8 {
                    cs.nbfree += 1;
                    let rel = blk * 8;
                    let cyl = (rel * 2 / spc as u64) as usize;
                    let rpos = ((rel * 2 % spc as u64) % nsect as u64 * 8 / nsect as u64) as usize;
                    let bt = btotoff + 4 * cyl;
                    let v = get_i32(&h, bt) + 1;
                    put_i32(&mut h, bt, v);
                    let bp = boff + 2 * (cyl * 8 + rpos);
                    let v = get_u16(&h, bp) + 1;
                    put_u16(&mut h, bp, v);
                } else if n > 0 {
                    cs.nffree += n as i32;
                    // Maximal runs of free frags.
                    let mut run = 0;
                    for &fr in free.iter().chain([false].iter()) {
                        if fr {
                            run += 1;
                        } else if run > 0 {
                            frsum[run] += 1;
                            run = 0;
                        }
                    }
                }
            }
            for (k, v) in frsum.iter().enumerate() {
                put_i32(&mut h, 52 + 4 * k, *v);
            }
            cs.put(&mut h, 24);
            cs.put(&mut csum, 16 * c as usize);
            total.ndir += cs.ndir;
            total.nbfree += cs.nbfree;
            total.nifree += cs.nifree;
            total.nffree += cs.nffree;
            let at = (loc.cgtod(c) * 1024) as usize;
            b.img[at..at + 8192].copy_from_slice(&h);
            let meta = if c == 0 {
                loc.cgdmin(0) + csfrags
            } else {
                loc.cgdmin(c) - loc.cgsblock(c)
            };
            dsize += ndblk - meta;
        }
        b.put(sb.csaddr, &csum);
        sb.cstotal = total;
        sb.dsize = dsize as i32;
        let raw = sb.encode();
        b.img[8192..16384].copy_from_slice(&raw);
        for c in 0..2 {
            let at = (loc.cgsblock(c) * 1024) as usize;
            b.img[at..at + 8192].copy_from_slice(&raw);
        }
        TestImg {
            bytes: b.img,
            sb,
            loc,
            ino,
            dinodes: b.dinodes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testimg::{build, TestImg};
    use super::*;

    fn with(t: &TestImg, f: impl FnOnce(&mut Vec<u8>)) -> CheckReport {
        let mut b = t.bytes.clone();
        f(&mut b);
        check(&b[..])
    }

    #[track_caller]
    fn expect(rep: &CheckReport, code: &str, ino: Option<u32>) {
        assert!(
            rep.problems
                .iter()
                .any(|p| p.code == code && (ino.is_none() || p.ino == ino)),
            "expected {code} for {ino:?}, got:\n{rep}"
        );
        assert!(
            CODES.iter().any(|(c, _)| *c == code),
            "{code} is not in CODES"
        );
    }

    #[test]
    fn hand_built_images_are_clean() {
        for stagger in [false, true] {
            let t = build(stagger);
            let rep = check(&t.bytes[..]);
            assert!(rep.is_clean(), "stagger {stagger}:\n{rep}");
            let s = &rep.summary;
            assert_eq!(
                (s.dirs, s.regular, s.symlinks, s.devices, s.other),
                (2, 5, 1, 1, 1)
            );
            assert_eq!(s.inodes_used, 10);
            assert_eq!(s.frags_claimed, 4 + 15 * 8 + 16 + 2);
            assert_eq!(
                s.free_blocks * 8 + s.free_frags + s.frags_claimed,
                t.sb.dsize as u64
            );
        }
        // Staggering moves cg 1's metadata.
        let t = build(true);
        assert_eq!(t.loc.cgstart(1), 512 + 32);
        assert_eq!(t.loc.cgstart(0), 0);
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = BTreeSet::new();
        for (c, d) in CODES {
            assert!(seen.insert(*c), "{c} twice");
            assert!(c
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            assert!(!d.is_empty());
        }
    }

    #[test]
    fn field_names() {
        assert_eq!(sb_field_name(0), "fs_link");
        assert_eq!(sb_field_name(42), "fs_dsize");
        assert_eq!(sb_field_name(133), "fs_state");
        assert_eq!(sb_field_name(1340), "fs_qbmask");
        assert_eq!(sb_field_name(1375), "fs_magic");
        assert_eq!(sb_field_name(5000), "fs_space");
        assert_eq!(dinode_field_name(44), "ic_db");
        assert_eq!(dinode_field_name(109), "ic_gen");
        assert_eq!(dinode_field_name(127), "ic_oeftflag");
    }

    #[test]
    fn display() {
        let p = Problem {
            code: "ic-blocks",
            ino: Some(57),
            cg: None,
            field: "ic_blocks",
            message: "ic_blocks is 16, expected 18".into(),
        };
        assert_eq!(p.to_string(), "inode 57: ic_blocks is 16, expected 18");
        let t = build(false);
        let at = t.cg_at(1);
        let rep = with(&t, |b| put_u32(b, at + 4, 0));
        assert_eq!(
            rep.with_code("cg-magic").next().unwrap().to_string(),
            "cg 1: cg_magic is 0x0, expected 0x90255"
        );
    }

    #[test]
    fn short_and_unusable_images() {
        assert!(check(&[0u8; 100][..]).has("image-short"));
        let rep = check(&vec![0u8; 64 << 10][..]);
        assert!(rep.has("sb-magic") && !rep.summary.complete, "{rep}");
        let t = build(false);
        // fs_size larger than the image.
        let rep = with(&t, |b| put_i32(b, 8192 + 36, 5000));
        expect(&rep, "sb-geometry", None);
        // Truncated image.
        let rep = check(&t.bytes[..600 << 10]);
        expect(&rep, "sb-geometry", None);
        // ipg not a multiple of inopb, bsize, fsize, ncg, frag, cpg, nrpos.
        for (off, v) in [
            (184, 65),
            (48, 16384),
            (52, 300),
            (44, 0),
            (44, 3),
            (56, 4),
            (180, 0),
            (1360, 0),
            (20, 16),
            (24, -5),
            (184, 1 << 20),
        ] {
            let rep = with(&t, |b| put_i32(b, 8192 + off, v));
            expect(&rep, "sb-geometry", None);
            assert_eq!(rep.problems.len(), 1, "{rep}");
        }
    }

    #[test]
    fn superblock_derived_fields() {
        let t = build(false);
        for (off, field) in [
            (72, "fs_bmask"),
            (80, "fs_bshift"),
            (104, "fs_sbsize"),
            (156, "fs_cssize"),
            (152, "fs_csaddr"),
            (160, "fs_cgsize"),
            (1320, "fs_version"),
            (1324, "fs_logbno"),
            (1356, "fs_postblformat"),
            (176, "fs_ncyl"),
        ] {
            let rep = with(&t, |b| {
                let v = get_i32(b, 8192 + off);
                put_i32(b, 8192 + off, v + 3);
            });
            assert!(
                rep.problems
                    .iter()
                    .any(|p| p.code == "sb-field" && p.field == field),
                "{field}: {rep}"
            );
        }
        let rep = with(&t, |b| put_i32(b, 8192 + 192, 0));
        assert!(rep
            .problems
            .iter()
            .any(|p| p.code == "sb-field" && p.field == "fs_cstotal.cs_ndir"));
    }

    #[test]
    fn backups_compare_every_cg() {
        let t = build(true);
        let at = (t.loc.cgsblock(1) * 1024) as usize;
        let rep = with(&t, |b| b[at + 1000] = 1);
        assert_eq!(rep.problems.len(), 1, "{rep}");
        let p = &rep.problems[0];
        assert_eq!(
            (p.code, p.cg, p.field),
            ("sb-backup-mismatch", Some(1), "fs_opostbl")
        );
    }

    #[test]
    fn pass1_inode_checks() {
        let t = build(false);
        let big = t.ino["/big"];
        let at = t.inode_at(big);
        // A pointer past EOF inside the indirect block.
        let ind = t.frag_at(t.dinodes[&big].ib[0]);
        let rep = with(&t, |b| put_i32(b, ind + 4 * 7, 900));
        expect(&rep, "frags-past-eof", Some(big));
        // An indirect level beyond the size.
        let rep = with(&t, |b| put_i32(b, at + 92, 904));
        expect(&rep, "frags-past-eof", Some(big));
        // A direct block not block-aligned.
        let rep = with(&t, |b| {
            let v = get_i32(b, at + 40);
            put_i32(b, at + 40, v + 1)
        });
        expect(&rep, "block-range", Some(big));
        // A data block in the boot area (passes chkrange, collides with metadata).
        let hello = t.ino["/hello"];
        let hat = t.inode_at(hello);
        let rep = with(&t, |b| put_i32(b, hat + 40, 3));
        expect(&rep, "dup-block", Some(hello));
        assert!(
            rep.with_code("dup-block")
                .next()
                .unwrap()
                .message
                .contains("cg 0 metadata"),
            "{rep}"
        );
        // The csum frag claimed as data.
        let rep = with(&t, |b| put_i32(b, hat + 40, 40));
        expect(&rep, "dup-block", Some(hello));
        // Symlinks.
        let link = t.ino["/link"];
        let lat = t.inode_at(link);
        let rep = with(&t, |b| put_u64(b, lat + 8, 2000));
        expect(&rep, "symlink-length", Some(link));
        let rep = with(&t, |b| put_i32(b, lat + 40, 0));
        expect(&rep, "symlink-hole", Some(link));
        // Sizes.
        let rep = with(&t, |b| put_u64(b, hat + 8, 1 << 41));
        expect(&rep, "inode-size", Some(hello));
        // A large sparse file needs FSLARGEFILES.
        let sp = t.inode_at(t.ino["/sparse"]);
        let rep = with(&t, |b| put_u64(b, sp + 8, 3 << 30));
        expect(&rep, "largefiles", None);
        assert_eq!(rep.problems.len(), 1, "{rep}");
        // Reserved inodes, shadow and xattr references.
        let z = t.inode_at(1);
        let rep = with(&t, |b| b[z + 3] = 1);
        expect(&rep, "reserved-inode", Some(1));
        let rep = with(&t, |b| put_u32(b, hat + 112, 5));
        expect(&rep, "inode-shadow", Some(hello));
        let rep = with(&t, |b| put_u32(b, hat + 124, 1));
        expect(&rep, "inode-xattr", Some(hello));
        // A device with a size.
        let null = t.inode_at(t.ino["/null"]);
        let rep = with(&t, |b| put_u64(b, null + 8, 1));
        expect(&rep, "device-inode", Some(t.ino["/null"]));
    }

    #[test]
    fn directory_checks() {
        let t = build(false);
        let root = t.inode_at(2);
        let rep = with(&t, |b| put_u16(b, root, IFREG | 0o755));
        expect(&rep, "root-inode", Some(2));
        let rep = with(&t, |b| put_u64(b, root + 8, 500));
        expect(&rep, "dir-size", Some(2));
        let rep = with(&t, |b| put_u64(b, root + 8, 0));
        expect(&rep, "dir-size", Some(2));
        let e = t.dirent_at("/", b"hello");
        let rep = with(&t, |b| put_u16(b, e + 6, 300));
        expect(&rep, "dirent-name", Some(2));
        let rep = with(&t, |b| b[e + 9] = b'/');
        expect(&rep, "dirent-name", Some(2));
        let rep = with(&t, |b| b[e + 8 + 5] = b'x');
        expect(&rep, "dirent-name", Some(2));
        let rep = with(&t, |b| put_u32(b, e, 128));
        expect(&rep, "dirent-ino", Some(2));
        let rep = with(&t, |b| put_u16(b, e + 4, 0));
        expect(&rep, "dirent-reclen", Some(2));
        let rep = with(&t, |b| put_u16(b, e + 4, 8));
        expect(&rep, "dirent-reclen", Some(2));
        // An extra "." entry.
        let rep = with(&t, |b| {
            put_u16(b, e + 6, 1);
            b[e + 8] = b'.';
            b[e + 9] = 0;
        });
        expect(&rep, "dot", Some(2));
        // "." with a long reclen swallowing "..".
        let dot = t.dirent_at("/", b".");
        let rep = with(&t, |b| put_u16(b, dot + 4, 24));
        expect(&rep, "dot", Some(2));
        // Root's ".." not 2.
        let dd = t.dirent_at("/", b"..");
        let rep = with(&t, |b| put_u32(b, dd, 8));
        expect(&rep, "dotdot", Some(2));
        // Unreferenced file.
        let f = t.dirent_at("/sub", b"f");
        let rep = with(&t, |b| put_u32(b, f, 0));
        expect(&rep, "unref-inode", Some(t.ino["/sub/f"]));
    }

    #[test]
    fn cg_header_fields() {
        let t = build(true);
        for c in 0..2 {
            let at = t.cg_at(c);
            for (off, field) in [
                (12, "cg_cgx"),
                (40, "cg_rotor"),
                (48, "cg_irotor"),
                (84, "cg_btotoff"),
                (92, "cg_iusedoff"),
                (100, "cg_nextfreeoff"),
            ] {
                let rep = with(&t, |b| put_i32(b, at + off, -1));
                assert!(
                    rep.problems.iter().any(|p| p.code == "cg-header"
                        && p.field == field
                        && p.cg == Some(c as u32)),
                    "cg {c} {field}: {rep}"
                );
            }
            let rep = with(&t, |b| put_u16(b, at + 16, 0));
            assert!(rep.with_code("cg-header").any(|p| p.field == "cg_ncyl"));
            let rep = with(&t, |b| put_u16(b, at + 18, 1));
            assert!(rep.with_code("cg-header").any(|p| p.field == "cg_niblk"));
        }
        // cg 1's inode map: /sub/g is its first inode.
        let at = t.cg_at(1) + CgMapOffsets::of(&t.sb).unwrap().iusedoff as usize;
        let rep = with(&t, |b| b[at] = 0);
        expect(&rep, "inode-bitmap", Some(64));
        let rep = with(&t, |b| b[at] = 3);
        expect(&rep, "inode-bitmap", Some(65));
    }

    #[test]
    fn problem_cap() {
        // Every free inode partly allocated: far fewer than the cap, all listed.
        let t = build(false);
        let rep = with(&t, |b| {
            for i in 11..64 {
                let at = t.inode_at(i);
                put_i32(b, at + 88, 1);
            }
        });
        assert_eq!(rep.with_code("partial-inode").count(), 53);
        assert!(rep.summary.complete);
    }
}

/// Robustness: damaged images never make the checker or the reader panic,
/// loop or allocate without bound.
#[cfg(test)]
mod fuzz {
    use super::testimg::{build, TestImg};
    use super::*;
    use crate::read::Reader;
    use proptest::prelude::*;
    use std::io::Write;
    use std::sync::OnceLock;

    fn images() -> &'static [TestImg; 2] {
        static I: OnceLock<[TestImg; 2]> = OnceLock::new();
        I.get_or_init(|| [build(false), build(true)])
    }

    /// Byte ranges worth damaging: superblocks, cg headers, inode tables,
    /// directory blocks, the indirect block, the csum array, anything.
    fn regions(t: &TestImg) -> [(usize, usize); 11] {
        let k = |f: u64| (f * 1024) as usize;
        [
            (8192, FS_STRUCT_SIZE),
            (k(t.loc.cgsblock(1)), FS_STRUCT_SIZE),
            (t.cg_at(0), 600),
            (t.cg_at(1), 600),
            (k(t.loc.cgimin(0)), 64 * INODE_SIZE),
            (k(t.loc.cgimin(1)), 8 * INODE_SIZE),
            (t.frag_at(t.dinodes[&2].db[0]), 512),
            (t.frag_at(t.dinodes[&8].db[0]), 512),
            (t.frag_at(t.dinodes[&3].ib[0]), 64),
            (t.frag_at(t.sb.csaddr), 32),
            (0, t.bytes.len()),
        ]
    }

    /// A sink that fails after 4 MiB, so a damaged huge sparse size ends soon.
    struct Capped(usize);
    impl Write for Capped {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.0 + b.len() > 4 << 20 {
                return Err(std::io::Error::other("cap"));
            }
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn exercise(b: &[u8]) {
        let rep = check(b);
        for p in &rep.problems {
            let _ = p.to_string();
            assert!(CODES.iter().any(|(c, _)| *c == p.code), "{}", p.code);
        }
        if let Ok(r) = Reader::open(b) {
            let _ = r.walk();
            let _ = r.lookup(b"/sub/g");
            let n = r.locator().ninodes().min(130) as u32;
            for ino in 0..n {
                let _ = r.stat(ino);
                let _ = r.read_dir(ino);
                let _ = r.read_link(ino);
                let _ = r.read_file(ino, &mut Capped(0));
            }
        }
    }

    fn word() -> impl Strategy<Value = i32> {
        prop_oneof![
            Just(0i32),
            Just(-1),
            Just(1),
            Just(i32::MIN),
            Just(i32::MAX),
            Just(0x7fff),
            0..2048i32,
            any::<i32>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn byte_flips(which in 0..2usize,
                      edits in prop::collection::vec((0..11usize, any::<u32>(), any::<u8>()), 1..8)) {
            let t = &images()[which];
            let regs = regions(t);
            let mut b = t.bytes.clone();
            for (r, off, v) in edits {
                let (s, l) = regs[r];
                b[s + off as usize % l] = v;
            }
            exercise(&b);
        }

        #[test]
        fn extreme_words(which in 0..2usize,
                         edits in prop::collection::vec((0..10usize, any::<u32>(), word()), 1..4)) {
            let t = &images()[which];
            let regs = regions(t);
            let mut b = t.bytes.clone();
            for (r, off, v) in edits {
                let (s, l) = regs[r];
                let at = s + (off as usize % l) / 4 * 4;
                if at + 4 <= s + l {
                    put_i32(&mut b, at, v);
                }
            }
            exercise(&b);
        }

        #[test]
        fn truncated(which in 0..2usize, len in 0usize..(1 << 20)) {
            exercise(&images()[which].bytes[..len]);
        }
    }
}

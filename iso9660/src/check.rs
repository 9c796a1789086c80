//! A structural checker for what ISO validators miss, each problem reported
//! with a stable code (`shared/reference/iso9660-eltorito.md` §6).
//!
//! What is checked, in order:
//! * the volume descriptor set (ECMA-119 §8): the PVD first at LBA 16, a
//!   terminator within [`MAX_DESCRIPTORS`],
//!   fixed fields, every both-endian field of the PVD and of each
//!   supplementary descriptor, identifier padding and character sets,
//!   17-byte dates, the volume space size against the image;
//! * each directory hierarchy (primary, and Joliet if present), breadth
//!   first: records never crossing a sector, sector tails zero-filled, no
//!   record ending exactly at a sector end (GRUB Legacy reads the byte after
//!   the sector as the next record length, §3.8), `.` first naming the
//!   directory itself and `..` second naming the parent, §9.3 record order,
//!   both-endian extent, data length and volume sequence number of every
//!   record, extents inside the volume, multi-extent files, directory sizes,
//!   directory loops;
//! * the L and M path tables of each hierarchy (§9.4): identical content,
//!   order, parent numbers, extents, the size field;
//! * Rock Ridge (IEEE P1281/P1282, hsfs and GRUB Legacy rules): `SP` first
//!   in the root `.` with skip 0, an `ER` naming `RRIP_1991A`, version 1 on
//!   every entry, `PX` of 36 bytes, `CE` areas inside one block and inside
//!   the image, `NM` in one entry, `CL`/`PL`/`RE` consistency;
//! * Joliet: the escape sequence, UCS-2 names of at most 64 characters
//!   without forbidden characters, no `rr_moved` leaking in;
//! * El Torito: the Boot Record, the validation entry (checksum, key), the
//!   default and section entries, the boot image extent, and the boot info
//!   table (PVD LBA, file LBA, length, checksum of the 32-bit words from
//!   byte 64 with a zero-padded trailing word);
//! * overlapping extents: every file, directory, path table, continuation
//!   area and the boot catalog against each other (hard links, i.e.
//!   identical file extents, and zero-length files excepted).
//!
//! Problems are errors; a few codes ([`WARNING_CODES`]) are conformance
//! nits that readers accept (lowercase names, a non-bootable default
//! entry, …) and go to [`CheckReport::warnings`]. Nothing here panics on
//! any input; reads are bounded by the image size and a work budget.

use crate::read::{
    be16, be32, decode_rr, dir_date_to_unix, er_ident, flags, gather_susp, joliet_display_name,
    le16, le32, lossy, tf_stamp, u8_at, vd_date_to_unix, DirRecord, ReadAt, SuspEntry, SuspFault,
    EL_TORITO_ID, FIRST_VD_LBA, MAX_DESCRIPTORS, RRIP_IDS, SECTOR,
};
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;

/// One inconsistency found by [`check()`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable kebab-case identifier of the kind of problem, e.g.
    /// `"vd-both-endian"`, `"dotdot"`, `"boot-info-checksum"`; the full
    /// list is in [`CODES`].
    pub code: &'static str,
    /// The logical block (2048-byte sector) holding the structure at
    /// fault, if any.
    pub lba: Option<u64>,
    /// The path concerned inside the image, if any (`/`-separated; Rock
    /// Ridge names where present, else identifiers; Joliet paths are
    /// prefixed with `joliet:`).
    pub path: Option<String>,
    /// The on-disk field at fault, named after ECMA-119/SUSP/RRIP/El Torito
    /// (`"volume_space_size"`, `"extent"`, `"PX"`, `"bi_csum"`, …).
    pub field: &'static str,
    /// What is wrong, with the values found and expected.
    pub message: String,
}

impl fmt::Display for Problem {
    /// One line: `LBA 20 /boot: dotdot: ".." names LBA 20, expected 19`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.lba {
            write!(f, "LBA {l}: ")?;
        }
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every problem code [`check()`] can report, with what it means.
pub const CODES: &[(&str, &str)] = &[
    ("image-short", "the image cannot hold the volume descriptors at LBA 16 (check stops)"),
    ("pvd-missing", "no primary volume descriptor in the descriptor set (check stops)"),
    ("vd-set", "the descriptor set is not terminated (type 255) within 64 descriptors, or holds a sector without CD001"),
    ("vd-order", "the first descriptor at LBA 16 is not the PVD"),
    ("vd-field", "a fixed-value descriptor field is wrong (version, block size 2048, set size/sequence 1, unused bytes zero, SVD disagreeing with the PVD)"),
    ("vd-both-endian", "the two halves of a both-endian descriptor field differ"),
    ("volume-size", "the volume space size passes the end of the image"),
    ("id-padding", "an identifier field holds NUL or control bytes (must be padded with spaces)"),
    ("id-chars", "a PVD identifier holds characters outside its set (d-characters for the volume id, a-characters else) [warning]"),
    ("date-format", "a 17-byte volume date or 7-byte record date is malformed"),
    ("dir-size", "a directory data length that is 0 or not a multiple of 2048"),
    ("dir-loop", "a directory extent reached twice (a loop or a linked directory)"),
    ("record-length", "a directory record with a length below 34, odd, or too short for its identifier"),
    ("record-crosses-sector", "a directory record crosses a 2048-byte sector boundary"),
    ("sector-tail", "bytes after the last record of a directory sector are not zero"),
    ("sector-end", "a directory record ends exactly at a sector end (GRUB Legacy then reads a stale length byte)"),
    ("record-both-endian", "the two halves of a record's extent, data length or volume sequence number differ"),
    ("record-field", "a record field is wrong (volume sequence number not 1, reserved flag bits set)"),
    ("dot", "the first record is not \".\" naming the directory's own extent and size, or \".\" appears again"),
    ("dotdot", "the second record is not \"..\" naming the parent (the root's \"..\" names the root), or \"..\" appears again"),
    ("record-order", "records not in ECMA-119 §9.3 order (name, then extension, padded with spaces; then version descending)"),
    ("duplicate-name", "two records with the same identifier that are not extents of one file"),
    ("extent-range", "an extent passing the volume space size or the image end"),
    ("extent-overlap", "two extents overlap (files, directories, path tables, CE areas, boot catalog; hard links excepted)"),
    ("multi-extent", "an inconsistent multi-extent file (flag 0x80 on a last record or a directory, a name change, a non-final extent not a multiple of 2048)"),
    ("iso-name", "a primary identifier that is not d-characters NAME.EXT;VERSION [warning]"),
    ("depth", "the primary tree is deeper than 8 levels or a path longer than 255 bytes [warning]"),
    ("path-table-size", "the path table size field differs from the table's content, or a table lies outside the image"),
    ("path-table-record", "a malformed path table record (identifier length 0 or past the table end)"),
    ("path-table-lm", "the M (or an optional) path table differs from the L table"),
    ("path-table-order", "path table records not ordered by level, parent number, then identifier"),
    ("path-table-parent", "a path table parent number that is out of range or names the wrong directory"),
    ("path-table-extent", "a path table record naming no directory, or a directory missing from the table"),
    ("path-table-name", "a path table identifier differing from the directory record's"),
    ("rr-sp", "Rock Ridge: SP missing or not first in the root \".\", malformed, skip not 0, or SP elsewhere"),
    ("rr-er", "Rock Ridge: no ER with RRIP_1991A (hsfs needs it), or a malformed ER"),
    ("susp-version", "a System Use entry whose version byte is not 1 (GRUB Legacy skips it)"),
    ("susp-entry", "a malformed System Use entry (length below 4 or past its area, CE length not 28)"),
    ("susp-both-endian", "the two halves of a both-endian field in CE, PX, PN, CL or PL differ"),
    ("ce-range", "a CE continuation area outside the image or longer than a block"),
    ("ce-block", "a CE continuation area crossing a 2048-byte block (Linux rejects it)"),
    ("ce-chain", "more than 32 CE hops, or a CE leading back to an area already read"),
    ("rr-px", "PX missing or not 36 bytes (RRIP 1.10)"),
    ("rr-pn", "PN not 20 bytes, or on a file that is not a device"),
    ("rr-sl", "a malformed SL, or SL on a file that is not a symlink"),
    ("rr-nm", "a malformed NM (unknown flags, CONTINUE on the last piece)"),
    ("rr-nm-continue", "a name spread over several NM entries (GRUB Legacy cannot match it) [warning]"),
    ("rr-tf", "a TF entry whose length does not match its flags, or with a malformed stamp"),
    ("rr-cl", "a CL on a directory record, to something that is not a relocated (RE) directory, or a relocated directory with no or several CLs"),
    ("rr-pl", "a relocated directory whose \"..\" lacks PL naming the CL's directory, or a stray PL"),
    ("rr-re", "an RE directory no CL points to"),
    ("joliet-escape", "a supplementary descriptor whose escape sequence is not %/@, %/C or %/E followed by zeros"),
    ("joliet-name", "a Joliet identifier of odd length, over 64 characters, or with forbidden characters"),
    ("joliet-dotdot", "a Joliet \"..\" not naming the parent (xorriso 1.5.4 points it at the directory itself)"),
    ("joliet-rr-moved", "the Rock Ridge relocation directory appears in the Joliet tree"),
    ("brvd", "the El Torito boot record is malformed (identifier not NUL padded, nonzero unused bytes)"),
    ("catalog-range", "the boot catalog LBA is outside the volume"),
    ("catalog-validation", "the validation entry's header ID is not 1, key not 55 AA, or reserved bytes nonzero"),
    ("catalog-checksum", "the validation entry's 16 LE words do not sum to 0"),
    ("catalog-entry", "a default/section entry is malformed (indicator, media type, reserved bytes, sector count 0)"),
    ("catalog-section", "a malformed section header sequence"),
    ("boot-not-bootable", "the default entry's boot indicator is 0x00 [warning]"),
    ("boot-emulation", "the default entry uses floppy or hard-disk emulation rather than no emulation [warning]"),
    ("boot-image-range", "a boot image extent outside the volume, or loading more than the file holds"),
    ("boot-image-extent", "the boot image file is not one contiguous extent"),
    ("boot-image-hidden", "no file record names the boot image [warning]"),
    ("boot-info-pvd", "boot info table bytes 8–11 are not the PVD LBA"),
    ("boot-info-lba", "boot info table bytes 12–15 are not the boot file LBA"),
    ("boot-info-length", "boot info table bytes 16–19 are not the boot file length"),
    ("boot-info-checksum", "boot info table bytes 20–23 are not the sum of the file's 32-bit LE words from byte 64"),
    ("boot-info-reserved", "boot info table bytes 24–63 are not zero"),
    ("grub-path", "GRUB Legacy's ISO reader would not find a path named in CheckOptions::grub_paths (NM split, several extents, not found)"),
    ("io", "a structure could not be read"),
    ("work-limit", "the check stopped early: too many problems or too much to read"),
];

/// The codes of [`CODES`] that are warnings: deviations from ECMA-119 or
/// the project's profile that readers accept.
pub const WARNING_CODES: &[&str] = &[
    "id-chars",
    "iso-name",
    "depth",
    "rr-nm-continue",
    "boot-not-bootable",
    "boot-emulation",
    "boot-image-hidden",
];

/// Counts and facts gathered while checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// True when every check ran to the end (a PVD was found and no work
    /// limit was hit).
    pub complete: bool,
    /// Volume space size of the PVD, logical blocks.
    pub volume_blocks: u64,
    /// Directories in the primary tree (root included).
    pub directories: u64,
    /// Files (non-directory entries) in the primary tree.
    pub files: u64,
    /// Whether the root `.` carries SUSP (Rock Ridge checks ran).
    pub rock_ridge: bool,
    /// The ER identifiers found in the root `.`.
    pub er_ids: Vec<String>,
    /// Directories in the Joliet tree (0 without Joliet).
    pub joliet_directories: u64,
    /// Whether a Joliet SVD was found.
    pub joliet: bool,
    /// Whether an El Torito Boot Record was found.
    pub el_torito: bool,
    /// For the default entry's image: whether it carries a boot info table
    /// (bytes 8–11 the PVD LBA or 12–15 the image LBA); `None` without El
    /// Torito or an unreadable image.
    pub boot_info_table: Option<bool>,
}

/// What [`check()`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Every error, in check order.
    pub problems: Vec<Problem>,
    /// Every warning ([`WARNING_CODES`]), in check order.
    pub warnings: Vec<Problem>,
    /// Counts.
    pub summary: Summary,
}

impl CheckReport {
    /// No errors and every check ran (warnings allowed).
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.summary.complete
    }
    /// The errors and warnings with this code.
    pub fn with_code<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.problems
            .iter()
            .chain(self.warnings.iter())
            .filter(move |p| p.code == code)
    }
    /// Whether any error or warning has this code.
    pub fn has(&self, code: &str) -> bool {
        self.with_code(code).next().is_some()
    }
    /// The distinct codes reported (errors and warnings), sorted.
    pub fn codes(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .problems
            .iter()
            .chain(self.warnings.iter())
            .map(|p| p.code)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "error: {p} [{}]", p.code)?;
        }
        for p in &self.warnings {
            writeln!(f, "warning: {p} [{}]", p.code)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// §9.3 ordering.

fn padded_cmp(a: &[u16], b: &[u16]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0x20);
        let y = b.get(i).copied().unwrap_or(0x20);
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// Split `NAME.EXT;VERSION` at the first `.` and the last `;`.
fn split_ident(id: &[u16]) -> (&[u16], &[u16], Option<&[u16]>) {
    let (body, ver) = match id.iter().rposition(|&c| c == u16::from(b';')) {
        Some(i) => (&id[..i], Some(&id[i + 1..])),
        None => (id, None),
    };
    match body.iter().position(|&c| c == u16::from(b'.')) {
        Some(i) => (&body[..i], &body[i + 1..], ver),
        None => (body, &[][..], ver),
    }
}

/// A version number's value. ECMA-119 §9.3 compares versions as digit
/// strings padded on the left with `0` (0x30), i.e. numerically; a missing
/// version (a directory identifier) is all padding, 0, so it sorts after
/// every version of a file with the same name and extension: `A.;1` before
/// the directory `A`. (genisoimage and libisofs compare the identifiers as
/// plain strings and put the directory first.)
fn version_value(v: Option<&[u16]>) -> u64 {
    v.map_or(0, |v| {
        v.iter().take(10).fold(0u64, |acc, &c| {
            let d = if (0x30..=0x39).contains(&c) {
                u64::from(c - 0x30)
            } else {
                0
            };
            acc * 10 + d
        })
    })
}

/// Compare two identifiers (as code units: bytes in the primary tree,
/// UCS-2 in Joliet) by ECMA-119 §9.3: file name, then extension, each
/// padded with spaces; then version number descending.
fn ident_cmp(a: &[u16], b: &[u16]) -> Ordering {
    let (an, ae, av) = split_ident(a);
    let (bn, be, bv) = split_ident(b);
    padded_cmp(an, bn)
        .then_with(|| padded_cmp(ae, be))
        .then_with(|| version_value(bv).cmp(&version_value(av)))
}

/// ECMA-119 §9.3 order of two primary-tree file identifiers (`A.;1` sorts
/// before `A.0;1`, `B.;1` before `B.TAR;1`, version 2 before version 1).
pub fn iso_ident_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let a: Vec<u16> = a.iter().map(|&c| u16::from(c)).collect();
    let b: Vec<u16> = b.iter().map(|&c| u16::from(c)).collect();
    ident_cmp(&a, &b)
}

fn units(kind: Kind, id: &[u8]) -> Vec<u16> {
    match kind {
        Kind::Iso => id.iter().map(|&c| u16::from(c)).collect(),
        Kind::Joliet => id
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
    }
}

// ---------------------------------------------------------------------------
// The checker's state.

const MAX_PROBLEMS: usize = 10_000;
/// Reports per code and directory before the rest are dropped.
const PER_DIR_REPORTS: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Iso,
    Joliet,
}

/// Counts the bytes read through it, for the work budget.
struct Counted<'a, R: ReadAt + ?Sized> {
    r: &'a R,
    used: Cell<u64>,
}

impl<R: ReadAt + ?Sized> ReadAt for Counted<'_, R> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.used
            .set(self.used.get().saturating_add(buf.len() as u64));
        self.r.read_exact_at(buf, offset)
    }
    fn size(&self) -> u64 {
        self.r.size()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RegionKind {
    Descriptors,
    PathTable,
    Directory,
    Susp,
    Catalog,
    BootImage,
    File,
}

#[derive(Debug, Clone)]
struct Region {
    /// First block.
    start: u64,
    /// Block after the last.
    end: u64,
    /// Length in bytes.
    bytes: u64,
    kind: RegionKind,
    what: String,
}

struct Dir {
    extent: u32,
    size: u32,
    parent: usize,
    ident: Vec<u8>,
    path: String,
    level: usize,
    /// Rock Ridge RE on this directory's record.
    re: bool,
    /// Rock Ridge PL on this directory's "..".
    pl: Option<u32>,
}

struct FileRec {
    path: String,
    extents: Vec<(u32, u32)>,
    size: u64,
}

#[derive(Default)]
struct Scan {
    dirs: Vec<Dir>,
    by_extent: HashMap<u32, usize>,
    files: Vec<FileRec>,
    /// Rock Ridge CL links: (index of the directory holding the record,
    /// target LBA, path of the record).
    cls: Vec<(usize, u32, String)>,
}

struct Ck<'a, R: ReadAt + ?Sized> {
    img: Counted<'a, R>,
    len: u64,
    budget: u64,
    report: CheckReport,
    truncated: bool,
    regions: Vec<Region>,
    ce_blocks: HashSet<u64>,
    vss: u64,
    pvd_lba: u64,
    /// (extent, data length) of the PVD's root record.
    root: (u32, u32),
    rr: bool,
    rr_skip: usize,
    per_dir: HashMap<&'static str, u32>,
}

/// What [`check_with`] checks beyond the image's own structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Paths GRUB Legacy must find (e.g. `/boot/grub/menu.lst` and the
    /// kernel and module paths its `menu.lst` names). Each is looked up
    /// the way GRUB Legacy's ISO 9660 reader does (reference §3.8: first
    /// PVD, primary tree only, `;1` and a trailing `.` stripped, the System
    /// Use area read from its first byte without the `SP` skip, only
    /// version-1 entries, the first `NM` replacing the name, `PX` deciding
    /// directories, one `CE` hop of at most 2048 bytes, case-sensitive
    /// comparison, files read from one extent); a path it would miss is
    /// reported as `grub-path`.
    pub grub_paths: Vec<Vec<u8>>,
}

impl CheckOptions {
    /// Options for a GRUB Legacy CD: `/boot/grub/menu.lst` must be found.
    pub fn grub_legacy() -> CheckOptions {
        CheckOptions {
            grub_paths: vec![b"/boot/grub/menu.lst".to_vec()],
        }
    }
}

/// Run every check on an image. Never panics; an image without a PVD
/// yields a report with that problem only.
pub fn check<R: ReadAt + ?Sized>(img: &R) -> CheckReport {
    check_with(img, &CheckOptions::default())
}

/// [`check()`], and look up `opts.grub_paths` as GRUB Legacy would.
pub fn check_with<R: ReadAt + ?Sized>(img: &R, opts: &CheckOptions) -> CheckReport {
    let len = img.size();
    let mut ck = Ck {
        img: Counted {
            r: img,
            used: Cell::new(0),
        },
        len,
        budget: len.saturating_mul(16).saturating_add(64 << 20),
        report: CheckReport::default(),
        truncated: false,
        regions: Vec::new(),
        ce_blocks: HashSet::new(),
        vss: 0,
        pvd_lba: FIRST_VD_LBA,
        root: (0, 0),
        rr: false,
        rr_skip: 0,
        per_dir: HashMap::new(),
    };
    let complete = ck.run();
    if complete {
        for p in &opts.grub_paths {
            if let Err(m) = ck.grub_lookup(p) {
                let path = lossy(p);
                ck.push("grub-path", None, Some(&path), "", m);
            }
        }
    }
    ck.report.summary.complete = complete && !ck.truncated;
    ck.report
}

impl<R: ReadAt + ?Sized> Ck<'_, R> {
    fn push(
        &mut self,
        code: &'static str,
        lba: Option<u64>,
        path: Option<&str>,
        field: &'static str,
        message: String,
    ) {
        let total = self.report.problems.len() + self.report.warnings.len();
        if total >= MAX_PROBLEMS {
            if !self.truncated {
                self.truncated = true;
                self.report.problems.push(Problem {
                    code: "work-limit",
                    lba: None,
                    path: None,
                    field: "",
                    message: format!(
                        "more than {MAX_PROBLEMS} problems; the rest are not reported"
                    ),
                });
            }
            return;
        }
        let p = Problem {
            code,
            lba,
            path: path.map(str::to_string),
            field,
            message,
        };
        if WARNING_CODES.contains(&code) {
            self.report.warnings.push(p);
        } else {
            self.report.problems.push(p);
        }
    }

    /// [`push`](Self::push), at most [`PER_DIR_REPORTS`] per code until
    /// `per_dir` is cleared (for each directory).
    fn push_dir(
        &mut self,
        code: &'static str,
        lba: Option<u64>,
        path: Option<&str>,
        field: &'static str,
        message: String,
    ) {
        let n = self.per_dir.entry(code).or_insert(0);
        *n += 1;
        if *n <= PER_DIR_REPORTS {
            self.push(code, lba, path, field, message);
        }
    }

    fn over_budget(&mut self) -> bool {
        if self.img.used.get() > self.budget {
            if !self.truncated {
                self.truncated = true;
                self.report.problems.push(Problem {
                    code: "work-limit",
                    lba: None,
                    path: None,
                    field: "",
                    message: format!("read more than {} bytes; the check stopped", self.budget),
                });
            }
            return true;
        }
        false
    }

    /// `n` bytes at `off`, or `None` if they pass the image end or cannot
    /// be read (reported as `io` when `what` is given).
    fn read(&mut self, off: u64, n: u64, what: Option<&str>) -> Option<Vec<u8>> {
        let end = off.checked_add(n)?;
        if end > self.len {
            return None;
        }
        let mut b = vec![0u8; usize::try_from(n).ok()?];
        match self.img.read_exact_at(&mut b, off) {
            Ok(()) => Some(b),
            Err(e) => {
                if let Some(w) = what {
                    self.push(
                        "io",
                        Some(off / SECTOR),
                        None,
                        "",
                        format!("reading {w}: {e}"),
                    );
                }
                None
            }
        }
    }

    fn region(&mut self, start_lba: u64, bytes: u64, kind: RegionKind, what: String) {
        if bytes == 0 {
            return;
        }
        let blocks = bytes.div_ceil(SECTOR);
        self.regions.push(Region {
            start: start_lba,
            end: start_lba.saturating_add(blocks),
            bytes,
            kind,
            what,
        });
    }

    /// Returns whether the checks that need the PVD could run.
    fn run(&mut self) -> bool {
        if self.len < (FIRST_VD_LBA + 2) * SECTOR {
            self.push(
                "image-short",
                None,
                None,
                "",
                format!(
                    "the image is {} bytes, too short for a PVD and a terminator at LBA 16–17",
                    self.len
                ),
            );
            return false;
        }
        let Some(vds) = self.check_vd_set() else {
            return false;
        };
        let pvd = match vds.pvd {
            Some(p) => p,
            None => return false,
        };
        self.region(
            0,
            FIRST_VD_LBA * SECTOR,
            RegionKind::Descriptors,
            "the system area (LBA 0–15)".into(),
        );
        self.root = (le32(&pvd.1, 156 + 2), le32(&pvd.1, 156 + 10));
        let iso = self.scan_tree(Kind::Iso, &pvd.1);
        self.report.summary.directories = iso.dirs.len() as u64;
        self.report.summary.files = iso.files.len() as u64;
        if self.over_budget() {
            return false;
        }
        self.check_path_tables(Kind::Iso, pvd.0, &pvd.1, &iso);
        if self.rr {
            self.check_relocation(&iso);
        }
        let mut joliet_scan = None;
        if let Some((lba, s)) = &vds.joliet {
            let j = self.scan_tree(Kind::Joliet, s);
            self.report.summary.joliet_directories = j.dirs.len() as u64;
            if self.over_budget() {
                return false;
            }
            self.check_path_tables(Kind::Joliet, *lba, s, &j);
            self.check_joliet_rr_moved(&iso, &j);
            joliet_scan = Some(j);
        }
        if let Some((lba, cat)) = vds.catalog {
            self.check_el_torito(lba, cat, &iso);
        }
        if self.over_budget() {
            return false;
        }
        for s in std::iter::once(&iso).chain(joliet_scan.as_ref()) {
            for f in &s.files {
                let mut regs = Vec::new();
                for &(lba, len) in &f.extents {
                    regs.push((u64::from(lba), u64::from(len)));
                }
                for (lba, len) in regs {
                    self.region(lba, len, RegionKind::File, format!("file {}", f.path));
                }
            }
        }
        let blocks: Vec<u64> = self.ce_blocks.iter().copied().collect();
        for b in blocks {
            self.region(
                b,
                SECTOR,
                RegionKind::Susp,
                format!("continuation area block {b}"),
            );
        }
        self.check_overlaps();
        true
    }
}

/// Volume descriptor set facts [`Ck::check_vd_set`] hands on.
struct VdSet {
    /// (LBA, sector) of the first PVD.
    pvd: Option<(u64, Vec<u8>)>,
    /// (LBA, sector) of the first Joliet SVD.
    joliet: Option<(u64, Vec<u8>)>,
    /// (BRVD LBA, catalog LBA).
    catalog: Option<(u64, u32)>,
}

const PVD_IDS: &[(usize, usize, &str, bool)] = &[
    // (offset, length, field, d-characters)
    (8, 32, "system_id", false),
    (40, 32, "volume_id", true),
    (190, 128, "volume_set_id", false),
    (318, 128, "publisher_id", false),
    (446, 128, "data_preparer_id", false),
    (574, 128, "application_id", false),
    (702, 37, "copyright_file_id", false),
    (739, 37, "abstract_file_id", false),
    (776, 37, "bibliographic_file_id", false),
];

const VD_DATES: &[(usize, &str)] = &[
    (813, "volume_creation_date"),
    (830, "volume_modification_date"),
    (847, "volume_expiration_date"),
    (864, "volume_effective_date"),
];

fn is_d_char(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_'
}

fn is_a_char(c: u8) -> bool {
    is_d_char(c) || b" !\"%&'()*+,-./:;<=>?".contains(&c)
}

/// Whether a 17-byte date is "not specified" or well formed.
fn vd_date_ok(d: &[u8]) -> bool {
    if d.len() != 17 {
        return false;
    }
    if d[..16].iter().all(|&b| b == b'0') && d[16] == 0 {
        return true;
    }
    vd_date_to_unix(d).is_some()
}

impl<R: ReadAt + ?Sized> Ck<'_, R> {
    fn check_vd_set(&mut self) -> Option<VdSet> {
        let mut set = VdSet {
            pvd: None,
            joliet: None,
            catalog: None,
        };
        let mut terminated = false;
        for lba in FIRST_VD_LBA..FIRST_VD_LBA + MAX_DESCRIPTORS {
            let Some(s) = self.read(lba * SECTOR, SECTOR, Some("a volume descriptor")) else {
                self.push(
                    "vd-set",
                    Some(lba),
                    None,
                    "",
                    format!("the descriptor set runs past the image end at LBA {lba} without a terminator"),
                );
                break;
            };
            if &s[1..6] != b"CD001" {
                self.push(
                    "vd-set",
                    Some(lba),
                    None,
                    "standard_identifier",
                    format!(
                        "LBA {lba} is not a volume descriptor (no CD001) and no terminator came before it"
                    ),
                );
                break;
            }
            let ty = s[0];
            if lba == FIRST_VD_LBA && ty != 1 {
                self.push(
                    "vd-order",
                    Some(lba),
                    None,
                    "volume_descriptor_type",
                    format!("the descriptor at LBA 16 has type {ty}, expected the PVD (1)"),
                );
            }
            let version_ok = s[6] == 1 || (ty == 2 && s[6] == 2);
            if !version_ok {
                self.push(
                    "vd-field",
                    Some(lba),
                    None,
                    "volume_descriptor_version",
                    format!("descriptor type {ty} has version {}, expected 1", s[6]),
                );
            }
            match ty {
                255 => {
                    if s[7..].iter().any(|&b| b != 0) {
                        self.push(
                            "vd-field",
                            Some(lba),
                            None,
                            "reserved",
                            "the terminator's bytes 7–2047 are not zero".into(),
                        );
                    }
                    terminated = true;
                    break;
                }
                1 => {
                    if set.pvd.is_none() {
                        self.pvd_lba = lba;
                        self.check_pvd_or_svd(lba, &s, false);
                        set.pvd = Some((lba, s));
                    }
                }
                2 => {
                    let joliet = s[88] == b'%' && s[89] == b'/';
                    if joliet {
                        if !matches!(s[90], b'@' | b'C' | b'E')
                            || s[91..120].iter().any(|&b| b != 0)
                        {
                            self.push(
                                "joliet-escape",
                                Some(lba),
                                None,
                                "escape_sequences",
                                format!(
                                    "escape sequences are {:?}, expected %/@, %/C or %/E then zeros",
                                    lossy(&s[88..91])
                                ),
                            );
                        }
                        if s[6] == 1 {
                            self.check_pvd_or_svd(lba, &s, true);
                            if set.joliet.is_none() && matches!(s[90], b'@' | b'C' | b'E') {
                                set.joliet = Some((lba, s));
                            }
                        }
                    }
                }
                0 => {
                    if s[7..7 + EL_TORITO_ID.len()] == *EL_TORITO_ID {
                        self.check_brvd(lba, &s);
                        if set.catalog.is_none() {
                            set.catalog = Some((lba, le32(&s, 71)));
                        }
                    }
                }
                3 => {}
                _ => self.push(
                    "vd-set",
                    Some(lba),
                    None,
                    "volume_descriptor_type",
                    format!("unknown descriptor type {ty}"),
                ),
            }
        }
        if !terminated && !self.has_code("vd-set") {
            self.push(
                "vd-set",
                None,
                None,
                "",
                format!("no terminator (type 255) within {MAX_DESCRIPTORS} descriptors"),
            );
        }
        if set.pvd.is_none() {
            self.push(
                "pvd-missing",
                None,
                None,
                "",
                "no primary volume descriptor in the descriptor set".into(),
            );
            return None;
        }
        self.report.summary.joliet = set.joliet.is_some();
        self.report.summary.el_torito = set.catalog.is_some();
        Some(set)
    }

    fn has_code(&self, code: &str) -> bool {
        self.report.has(code)
    }

    fn check_pvd_or_svd(&mut self, lba: u64, s: &[u8], svd: bool) {
        let l = Some(lba);
        let both32 = [(80usize, "volume_space_size"), (132, "path_table_size")];
        for (off, field) in both32 {
            let (a, b) = (le32(s, off), be32(s, off + 4));
            if a != b {
                self.push(
                    "vd-both-endian",
                    l,
                    None,
                    field,
                    format!("{field} is {a} (LE) but {b} (BE)"),
                );
            }
        }
        let both16 = [
            (120usize, "volume_set_size"),
            (124, "volume_sequence_number"),
            (128, "logical_block_size"),
        ];
        for (off, field) in both16 {
            let (a, b) = (le16(s, off), be16(s, off + 2));
            if a != b {
                self.push(
                    "vd-both-endian",
                    l,
                    None,
                    field,
                    format!("{field} is {a} (LE) but {b} (BE)"),
                );
            }
        }
        if le16(s, 120) != 1 {
            self.push(
                "vd-field",
                l,
                None,
                "volume_set_size",
                format!("volume set size is {}, expected 1", le16(s, 120)),
            );
        }
        if le16(s, 124) != 1 {
            self.push(
                "vd-field",
                l,
                None,
                "volume_sequence_number",
                format!("volume sequence number is {}, expected 1", le16(s, 124)),
            );
        }
        if u64::from(le16(s, 128)) != SECTOR {
            self.push(
                "vd-field",
                l,
                None,
                "logical_block_size",
                format!("logical block size is {}, expected 2048", le16(s, 128)),
            );
        }
        if s[881] != 1 {
            self.push(
                "vd-field",
                l,
                None,
                "file_structure_version",
                format!("file structure version is {}, expected 1", s[881]),
            );
        }
        let mut zero_ranges: Vec<(usize, usize, &'static str)> = vec![
            (72, 80, "unused_72"),
            (882, 883, "reserved_882"),
            (1395, 2048, "reserved_1395"),
        ];
        if !svd {
            zero_ranges.push((7, 8, "unused_7"));
            zero_ranges.push((88, 120, "unused_88"));
        }
        for (a, b, field) in zero_ranges {
            if s[a..b].iter().any(|&c| c != 0) {
                self.push(
                    "vd-field",
                    l,
                    None,
                    field,
                    format!("bytes {a}–{} are not zero", b - 1),
                );
            }
        }
        for &(off, field) in VD_DATES {
            if !vd_date_ok(&s[off..off + 17]) {
                self.push(
                    "date-format",
                    l,
                    None,
                    field,
                    format!(
                        "{field} {:?} is not a valid 17-byte date",
                        lossy(&s[off..off + 16])
                    ),
                );
            }
        }
        let vss = u64::from(le32(s, 80));
        if svd {
            if vss != self.vss {
                self.push(
                    "vd-field",
                    l,
                    None,
                    "volume_space_size",
                    format!(
                        "the Joliet SVD's volume space size is {vss}, the PVD's {}",
                        self.vss
                    ),
                );
            }
        } else {
            self.vss = vss;
            self.report.summary.volume_blocks = vss;
            if vss.saturating_mul(SECTOR) > self.len {
                self.push(
                    "volume-size",
                    l,
                    None,
                    "volume_space_size",
                    format!(
                        "volume space size is {vss} blocks ({} bytes), the image only {} bytes",
                        vss.saturating_mul(SECTOR),
                        self.len
                    ),
                );
            }
            for &(off, n, field, dchars) in PVD_IDS {
                let f = &s[off..off + n];
                if f.iter().any(|c| !(0x20..0x7f).contains(c)) {
                    self.push(
                        "id-padding",
                        l,
                        None,
                        field,
                        format!("{field} {:?} holds NUL or non-ASCII bytes; identifiers are padded with spaces", lossy(f)),
                    );
                } else {
                    let ok =
                        |c: &u8| *c == b' ' || if dchars { is_d_char(*c) } else { is_a_char(*c) };
                    if !(f.iter().all(ok) || (off >= 190 && f.first() == Some(&b'_'))) {
                        self.push(
                            "id-chars",
                            l,
                            None,
                            field,
                            format!(
                                "{field} {:?} holds characters outside the {}",
                                lossy(f).trim_end(),
                                if dchars {
                                    "d-characters A–Z 0–9 _"
                                } else {
                                    "a-characters"
                                }
                            ),
                        );
                    }
                }
            }
        }
        self.region(
            lba,
            SECTOR,
            RegionKind::Descriptors,
            format!("volume descriptor at LBA {lba}"),
        );
        // The root record copy.
        let root = &s[156..190];
        if root[0] != 34 || root[32] != 1 || root[33] != 0 {
            self.push(
                "record-length",
                l,
                None,
                "root_directory_record",
                format!(
                    "the root record has length {} and identifier length {} byte {:#04x}, expected 34, 1, 0x00",
                    root[0], root[32], root[33]
                ),
            );
        }
        self.check_record_fields(root, l, "/");
    }

    fn check_brvd(&mut self, lba: u64, s: &[u8]) {
        let l = Some(lba);
        self.region(
            lba,
            SECTOR,
            RegionKind::Descriptors,
            format!("boot record at LBA {lba}"),
        );
        if s[7 + EL_TORITO_ID.len()..39].iter().any(|&b| b != 0) {
            self.push(
                "brvd",
                l,
                None,
                "boot_system_identifier",
                format!(
                    "boot system identifier {:?} is not NUL padded",
                    lossy(&s[7..39])
                ),
            );
        }
        if s[39..71].iter().any(|&b| b != 0) {
            self.push(
                "brvd",
                l,
                None,
                "boot_identifier",
                "boot identifier (bytes 39–70) is not zero".into(),
            );
        }
        if s[75..].iter().any(|&b| b != 0) {
            self.push(
                "brvd",
                l,
                None,
                "unused",
                "bytes 75–2047 of the boot record are not zero".into(),
            );
        }
    }

    /// Both-endian fields, volume sequence number, flags and date of a
    /// record's fixed part.
    fn check_record_fields(&mut self, r: &[u8], lba: Option<u64>, path: &str) {
        let pairs32 = [(2usize, "extent"), (10, "data_length")];
        for (off, field) in pairs32 {
            let (a, b) = (le32(r, off), be32(r, off + 4));
            if a != b {
                self.push_dir(
                    "record-both-endian",
                    lba,
                    Some(path),
                    field,
                    format!("{field} is {a} (LE) but {b} (BE)"),
                );
            }
        }
        let (a, b) = (le16(r, 28), be16(r, 30));
        if a != b {
            self.push_dir(
                "record-both-endian",
                lba,
                Some(path),
                "volume_sequence_number",
                format!("volume_sequence_number is {a} (LE) but {b} (BE)"),
            );
        } else if a != 1 {
            self.push_dir(
                "record-field",
                lba,
                Some(path),
                "volume_sequence_number",
                format!("volume sequence number is {a}, expected 1"),
            );
        }
        let fl = u8_at(r, 25);
        if fl & 0x60 != 0 {
            self.push_dir(
                "record-field",
                lba,
                Some(path),
                "file_flags",
                format!("file flags {fl:#04x} set reserved bits 5–6"),
            );
        }
        let date = r.get(18..25).unwrap_or(&[]);
        if date.len() == 7 && date.iter().any(|&b| b != 0) && dir_date_to_unix(date).is_none() {
            self.push_dir(
                "date-format",
                lba,
                Some(path),
                "recording_date",
                format!("recording date {date:?} is not a valid 7-byte date"),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Directory hierarchies.

fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{parent}{name}")
    } else {
        format!("{parent}/{name}")
    }
}

fn is_device_mode(mode: u32) -> bool {
    matches!(mode & 0o170000, 0o020000 | 0o060000)
}

impl<R: ReadAt + ?Sized> Ck<'_, R> {
    /// Walk one hierarchy breadth first from the root record in the
    /// descriptor sector `vd`, checking every directory and record.
    fn scan_tree(&mut self, kind: Kind, vd: &[u8]) -> Scan {
        let mut scan = Scan::default();
        let root = match DirRecord::parse(&vd[156..190]) {
            Ok(r) => r,
            Err(m) => {
                self.push("record-length", None, None, "root_directory_record", m);
                return scan;
            }
        };
        let root_path = match kind {
            Kind::Iso => "/".to_string(),
            Kind::Joliet => "joliet:/".to_string(),
        };
        scan.dirs.push(Dir {
            extent: root.extent,
            size: root.data_len,
            parent: 0,
            ident: vec![0],
            path: root_path,
            level: 1,
            re: false,
            pl: None,
        });
        scan.by_extent.insert(root.extent, 0);
        let mut i = 0usize;
        while i < scan.dirs.len() {
            if self.over_budget() || self.truncated {
                break;
            }
            self.per_dir.clear();
            self.scan_dir(kind, &mut scan, i);
            i += 1;
        }
        if kind == Kind::Iso {
            for d in &scan.dirs {
                if d.level > 8 || d.path.len() > 255 {
                    let (lvl, p) = (d.level, d.path.clone());
                    self.push(
                        "depth",
                        Some(u64::from(d.extent)),
                        Some(&p),
                        "",
                        format!(
                            "directory at level {lvl} (ECMA-119 §6.8.2.1 allows 8), path length {}",
                            p.len()
                        ),
                    );
                }
            }
        }
        scan
    }

    fn scan_dir(&mut self, kind: Kind, scan: &mut Scan, di: usize) {
        let (extent, size, parent) = {
            let d = &scan.dirs[di];
            (d.extent, d.size, d.parent)
        };
        let path = scan.dirs[di].path.clone();
        let (p_extent, p_size) = (scan.dirs[parent].extent, scan.dirs[parent].size);
        let l0 = Some(u64::from(extent));
        if size == 0 || u64::from(size) % SECTOR != 0 {
            self.push(
                "dir-size",
                l0,
                Some(&path),
                "data_length",
                format!("directory data length is {size}, expected a positive multiple of 2048"),
            );
            if size == 0 {
                return;
            }
        }
        let start = u64::from(extent) * SECTOR;
        if start + u64::from(size) > self.len {
            if di == 0 {
                self.push("extent-range", l0, Some(&path), "extent", format!("the root directory (LBA {extent}, {size} bytes) passes the end of the {}-byte image", self.len));
            }
            // Other directories: reported by the parent's record check.
            return;
        }
        self.region(
            u64::from(extent),
            u64::from(size),
            RegionKind::Directory,
            format!("directory {path}"),
        );
        let mut k = 0usize; // record index
        let mut prev: Option<(Vec<u8>, u8)> = None;
        let mut pending_multi: Option<Vec<u8>> = None;
        let mut off = 0u64;
        while off < u64::from(size) {
            let n = (u64::from(size) - off).min(SECTOR);
            let lba = u64::from(extent) + off / SECTOR;
            let Some(sec) = self.read(start + off, n, Some("a directory sector")) else {
                return;
            };
            off += n;
            let n = n as usize;
            let mut p = 0usize;
            while p < n {
                let len = usize::from(sec[p]);
                if len == 0 {
                    if sec[p..].iter().any(|&b| b != 0) {
                        self.push_dir(
                            "sector-tail",
                            Some(lba),
                            Some(&path),
                            "",
                            format!("bytes after the last record (from offset {p}) are not zero"),
                        );
                    }
                    break;
                }
                if p + len > n {
                    self.push_dir(
                        "record-crosses-sector",
                        Some(lba),
                        Some(&path),
                        "length_of_directory_record",
                        format!(
                            "the record at offset {p} has length {len} and crosses the sector end"
                        ),
                    );
                    break;
                }
                let raw = &sec[p..p + len];
                let rec = match DirRecord::parse(raw) {
                    Ok(r) => r,
                    Err(m) => {
                        self.push_dir(
                            "record-length",
                            Some(lba),
                            Some(&path),
                            "length_of_directory_record",
                            format!("record at offset {p}: {m}"),
                        );
                        break;
                    }
                };
                if len % 2 != 0 {
                    self.push_dir(
                        "record-length",
                        Some(lba),
                        Some(&path),
                        "length_of_directory_record",
                        format!("record at offset {p} has odd length {len}"),
                    );
                }
                if p + len == SECTOR as usize {
                    self.push_dir("sector-end", Some(lba), Some(&path), "length_of_directory_record", format!("the record at offset {p} ends exactly at the sector end; GRUB Legacy reads on past it"));
                }
                let rec_at = start + (lba - u64::from(extent)) * SECTOR + p as u64;
                self.check_record(
                    kind,
                    scan,
                    di,
                    k,
                    &rec,
                    raw,
                    rec_at,
                    lba,
                    &path,
                    (extent, size),
                    (p_extent, p_size),
                    &mut prev,
                    &mut pending_multi,
                );
                k += 1;
                p += len;
            }
        }
        if let Some(id) = pending_multi {
            self.push_dir(
                "multi-extent",
                l0,
                Some(&path),
                "file_flags",
                format!(
                    "the last record of {} has the multi-extent flag",
                    lossy(&id)
                ),
            );
        }
        if k < 2 {
            self.push_dir(
                "dot",
                l0,
                Some(&path),
                "file_identifier",
                format!("the directory holds {k} records, expected at least \".\" and \"..\""),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_record(
        &mut self,
        kind: Kind,
        scan: &mut Scan,
        di: usize,
        k: usize,
        rec: &DirRecord,
        raw: &[u8],
        rec_at: u64,
        lba: u64,
        dpath: &str,
        (extent, size): (u32, u32),
        (p_extent, p_size): (u32, u32),
        prev: &mut Option<(Vec<u8>, u8)>,
        pending_multi: &mut Option<Vec<u8>>,
    ) {
        let l = Some(lba);
        let dotdot_code = if kind == Kind::Joliet {
            "joliet-dotdot"
        } else {
            "dotdot"
        };
        // SUSP first: it gives the name used in paths.
        let mut rr = None;
        if kind == Kind::Iso {
            if di == 0 && k == 0 && rec.is_dot() {
                self.check_rr_root(rec, rec_at, lba);
            }
            if self.rr {
                rr = Some(self.check_susp(rec, rec_at, lba, dpath, di == 0 && k == 0));
            }
        }
        let name = match kind {
            Kind::Iso => rr
                .as_ref()
                .and_then(|(a, _): &(crate::read::RrAttrs, Vec<SuspEntry>)| a.name.clone())
                .map(|n| lossy(&n))
                .unwrap_or_else(|| lossy(&rec.ident)),
            Kind::Joliet => lossy(&joliet_display_name(&rec.ident)),
        };
        let path = if rec.is_dot() || rec.is_dotdot() {
            dpath.to_string()
        } else {
            join(dpath, &name)
        };
        self.check_record_fields(raw, l, &path);
        // "." and "..".
        match k {
            0 => {
                if !rec.is_dot() {
                    self.push_dir(
                        "dot",
                        l,
                        Some(dpath),
                        "file_identifier",
                        format!(
                            "the first record is {:?}, expected \".\" (0x00)",
                            lossy(&rec.ident)
                        ),
                    );
                } else if rec.extent != extent || rec.data_len != size || !rec.is_dir() {
                    self.push_dir("dot", l, Some(dpath), "extent", format!("\".\" names LBA {} length {} (dir flag {}), expected the directory itself, LBA {extent} length {size}", rec.extent, rec.data_len, rec.is_dir()));
                }
                if rec.is_dot() {
                    return;
                }
            }
            1 => {
                if !rec.is_dotdot() {
                    self.push_dir(
                        dotdot_code,
                        l,
                        Some(dpath),
                        "file_identifier",
                        format!(
                            "the second record is {:?}, expected \"..\" (0x01)",
                            lossy(&rec.ident)
                        ),
                    );
                } else if rec.extent != p_extent || rec.data_len != p_size || !rec.is_dir() {
                    self.push_dir(
                        dotdot_code,
                        l,
                        Some(dpath),
                        "extent",
                        format!(
                            "\"..\" names LBA {} length {}{}, expected the parent, LBA {p_extent} length {p_size}",
                            rec.extent,
                            rec.data_len,
                            if rec.extent == extent { " (the directory itself)" } else { "" }
                        ),
                    );
                }
                if rec.is_dotdot() {
                    if let Some((a, _)) = &rr {
                        scan.dirs[di].pl = a.pl;
                    }
                    return;
                }
            }
            _ => {}
        }
        if rec.is_dot() {
            self.push_dir(
                "dot",
                l,
                Some(dpath),
                "file_identifier",
                format!("\".\" appears again as record {}", k + 1),
            );
            return;
        }
        if rec.is_dotdot() {
            self.push_dir(
                dotdot_code,
                l,
                Some(dpath),
                "file_identifier",
                format!("\"..\" appears again as record {}", k + 1),
            );
            return;
        }
        // Names.
        match kind {
            Kind::Iso => {
                let cl = rr.as_ref().is_some_and(|(a, _)| a.cl.is_some());
                self.check_iso_name(rec, cl, l, &path)
            }
            Kind::Joliet => self.check_joliet_name(rec, l, &path),
        }
        // Order and multi-extent.
        let continues = matches!((&*pending_multi, &*prev), (Some(id), _) if *id == rec.ident);
        if let Some(id) = pending_multi.take() {
            if id != rec.ident {
                self.push_dir(
                    "multi-extent",
                    l,
                    Some(&path),
                    "file_flags",
                    format!(
                        "{} has the multi-extent flag but the next record is {}",
                        lossy(&id),
                        lossy(&rec.ident)
                    ),
                );
            }
        }
        if let Some((pid, pflags)) = prev.as_ref() {
            if !continues {
                let o = ident_cmp(&units(kind, pid), &units(kind, &rec.ident));
                let o = if o == Ordering::Equal {
                    // §9.3 (d): an associated file precedes the file.
                    let pa = pflags & flags::ASSOCIATED != 0;
                    let ra = rec.flags & flags::ASSOCIATED != 0;
                    if pa && !ra {
                        Ordering::Less
                    } else {
                        Ordering::Equal
                    }
                } else {
                    o
                };
                match o {
                    Ordering::Less => {}
                    Ordering::Equal => self.push_dir(
                        "duplicate-name",
                        l,
                        Some(&path),
                        "file_identifier",
                        format!("{} appears twice", lossy(&rec.ident)),
                    ),
                    Ordering::Greater => self.push_dir(
                        "record-order",
                        l,
                        Some(&path),
                        "file_identifier",
                        format!(
                            "{} follows {}; ECMA-119 §9.3 puts it before",
                            lossy(&rec.ident),
                            lossy(pid)
                        ),
                    ),
                }
            }
        }
        *prev = Some((rec.ident.clone(), rec.flags));
        if rec.flags & flags::MULTI_EXTENT != 0 {
            if rec.is_dir() {
                self.push_dir(
                    "multi-extent",
                    l,
                    Some(&path),
                    "file_flags",
                    "a directory record has the multi-extent flag".into(),
                );
            } else {
                if u64::from(rec.data_len) % SECTOR != 0 {
                    self.push_dir(
                        "multi-extent",
                        l,
                        Some(&path),
                        "data_length",
                        format!(
                            "a non-final extent of {} bytes is not a multiple of 2048",
                            rec.data_len
                        ),
                    );
                }
                *pending_multi = Some(rec.ident.clone());
            }
        }
        // Extent range.
        let data_start = u64::from(rec.extent) + u64::from(rec.ext_attr_len);
        let end_bytes = data_start * SECTOR + u64::from(rec.data_len);
        if rec.data_len > 0 && (end_bytes > self.vss * SECTOR || end_bytes > self.len) {
            self.push_dir("extent-range", l, Some(&path), "extent", format!("extent LBA {} + {} bytes ends at byte {end_bytes}, past the volume ({} blocks) or the {}-byte image", rec.extent, rec.data_len, self.vss, self.len));
        }
        let rel = rr.as_ref().map(|(a, _)| (a.re, a.cl));
        if rec.is_dir() {
            let re = rel.is_some_and(|(re, _)| re);
            if let Some(&other) = scan.by_extent.get(&rec.extent) {
                let op = scan.dirs[other].path.clone();
                self.push_dir(
                    "dir-loop",
                    l,
                    Some(&path),
                    "extent",
                    format!("directory extent LBA {} is already {op}", rec.extent),
                );
                return;
            }
            if end_bytes > self.len {
                return;
            }
            let idx = scan.dirs.len();
            let level = scan.dirs[di].level + 1;
            scan.dirs.push(Dir {
                extent: rec.extent,
                size: rec.data_len,
                parent: di,
                ident: rec.ident.clone(),
                path,
                level,
                re,
                pl: None,
            });
            scan.by_extent.insert(rec.extent, idx);
        } else {
            if let Some((_, Some(cl))) = rel {
                scan.cls.push((di, cl, path.clone()));
            }
            // Merge with the previous record of a multi-extent file.
            let ext = (u32::try_from(data_start).unwrap_or(u32::MAX), rec.data_len);
            match scan.files.last_mut() {
                Some(f) if continues && f.path == path => {
                    f.extents.push(ext);
                    f.size += u64::from(rec.data_len);
                }
                _ => scan.files.push(FileRec {
                    path,
                    extents: vec![ext],
                    size: u64::from(rec.data_len),
                }),
            }
        }
    }

    fn check_iso_name(&mut self, rec: &DirRecord, cl: bool, l: Option<u64>, path: &str) {
        let id = &rec.ident;
        let problem = if rec.is_dir() || cl {
            if id.iter().all(|&c| is_d_char(c)) {
                None
            } else {
                Some("a directory identifier with characters outside A–Z 0–9 _")
            }
        } else {
            match id.iter().rposition(|&c| c == b';') {
                None => Some("no ;VERSION"),
                Some(semi) => {
                    let (body, ver) = (&id[..semi], &id[semi + 1..]);
                    let dots = body.iter().filter(|&&c| c == b'.').count();
                    if ver.is_empty() || !ver.iter().all(u8::is_ascii_digit) || ver.len() > 5 {
                        Some("a version that is not 1–32767")
                    } else if dots != 1 {
                        Some("not exactly one '.' separator")
                    } else if !body.iter().all(|&c| c == b'.' || is_d_char(c)) {
                        Some("characters outside A–Z 0–9 _")
                    } else {
                        None
                    }
                }
            }
        };
        if let Some(why) = problem {
            self.push_dir(
                "iso-name",
                l,
                Some(path),
                "file_identifier",
                format!("identifier {:?}: {why}", lossy(id)),
            );
        }
    }

    fn check_joliet_name(&mut self, rec: &DirRecord, l: Option<u64>, path: &str) {
        let id = &rec.ident;
        if !id.len().is_multiple_of(2) {
            self.push_dir(
                "joliet-name",
                l,
                Some(path),
                "file_identifier",
                format!("identifier of odd length {}", id.len()),
            );
            return;
        }
        let u = units(Kind::Joliet, id);
        let body_len = match u.iter().rposition(|&c| c == u16::from(b';')) {
            Some(i) if u[i + 1..].iter().all(|&c| (0x30..=0x39).contains(&c)) => i,
            _ => u.len(),
        };
        if body_len > 64 {
            self.push_dir(
                "joliet-name",
                l,
                Some(path),
                "file_identifier",
                format!("name of {body_len} characters, Joliet allows 64"),
            );
        }
        if let Some(&c) = u[..body_len].iter().find(|&&c| {
            c < 0x20
                || [b'*', b'/', b':', b';', b'?', b'\\']
                    .iter()
                    .any(|&f| c == u16::from(f))
        }) {
            self.push_dir(
                "joliet-name",
                l,
                Some(path),
                "file_identifier",
                format!("name holds the forbidden character U+{c:04X}"),
            );
        }
    }

    /// SP and ER in the root `.` record.
    fn check_rr_root(&mut self, rec: &DirRecord, rec_at: u64, lba: u64) {
        let l = Some(lba);
        let su = &rec.system_use;
        if su.iter().all(|&b| b == 0) {
            return; // no SUSP at all: a plain ECMA-119 image
        }
        self.report.summary.rock_ridge = true;
        if su.len() < 7 || &su[..2] != b"SP" {
            self.push(
                "rr-sp",
                l,
                Some("/"),
                "SP",
                "the root \".\" System Use area does not begin with SP".into(),
            );
            return;
        }
        if su[2] != 7 || su[3] != 1 || su[4] != 0xBE || su[5] != 0xEF {
            self.push(
                "rr-sp",
                l,
                Some("/"),
                "SP",
                format!("SP is {:02x?}, expected 53 50 07 01 BE EF", &su[..7]),
            );
            return;
        }
        if su[6] != 0 {
            self.push(
                "rr-sp",
                l,
                Some("/"),
                "LEN_SKP",
                format!("SP skip is {}, expected 0 (GRUB Legacy ignores it)", su[6]),
            );
        }
        self.rr = true;
        self.rr_skip = usize::from(su[6]);
        let sua_at = rec_at + u64::from(rec.len) - su.len() as u64;
        let (entries, _) = gather_susp(&self.img, su, sua_at);
        let mut ids = Vec::new();
        for e in entries.iter().filter(|e| &e.sig == b"ER") {
            let d = &e.data;
            let (li, ld, ls) = (
                usize::from(u8_at(d, 0)),
                usize::from(u8_at(d, 1)),
                usize::from(u8_at(d, 2)),
            );
            if d.len() < 4 + li + ld + ls {
                self.push(
                    "rr-er",
                    Some(e.offset / SECTOR),
                    Some("/"),
                    "ER",
                    format!(
                        "ER lengths {li}+{ld}+{ls} pass the entry's {} data bytes",
                        d.len()
                    ),
                );
                continue;
            }
            if let Some(id) = er_ident(d) {
                ids.push(id.to_vec());
                if RRIP_IDS.contains(&id) && u8_at(d, 3) != 1 {
                    self.push(
                        "rr-er",
                        Some(e.offset / SECTOR),
                        Some("/"),
                        "EXT_VER",
                        format!(
                            "ER {} has extension version {}, expected 1",
                            lossy(id),
                            u8_at(d, 3)
                        ),
                    );
                }
            }
        }
        self.report.summary.er_ids = ids.iter().map(|i| lossy(i)).collect();
        if !ids.iter().any(|i| i == b"RRIP_1991A") {
            let found = if ids.is_empty() {
                "no ER".to_string()
            } else {
                format!(
                    "ER {}",
                    ids.iter().map(|i| lossy(i)).collect::<Vec<_>>().join(", ")
                )
            };
            self.push(
                "rr-er",
                l,
                Some("/"),
                "ER",
                format!(
                    "{found} in the root \".\"; illumos hsfs needs ER RRIP_1991A to use Rock Ridge"
                ),
            );
        }
    }

    /// Gather, decode and check the System Use entries of a record.
    fn check_susp(
        &mut self,
        rec: &DirRecord,
        rec_at: u64,
        lba: u64,
        dpath: &str,
        root_dot: bool,
    ) -> (crate::read::RrAttrs, Vec<SuspEntry>) {
        let skip = if root_dot { 0 } else { self.rr_skip };
        let sua = rec.system_use.get(skip..).unwrap_or(&[]);
        let sua_at = rec_at + u64::from(rec.len) - sua.len() as u64;
        let (entries, faults) = gather_susp(&self.img, sua, sua_at);
        let a = decode_rr(&entries);
        let name = a
            .name
            .as_ref()
            .map(|n| lossy(n))
            .unwrap_or_else(|| lossy(&rec.ident));
        let path = if rec.is_dot() || rec.is_dotdot() {
            dpath.to_string()
        } else {
            join(dpath, &name)
        };
        let p = Some(path.as_str());
        let l = Some(lba);
        for f in faults {
            match f {
                SuspFault::Framing { at, msg } => {
                    self.push_dir("susp-entry", Some(at / SECTOR), p, "", msg)
                }
                SuspFault::CeEntry { at, msg } => {
                    let code = if msg.contains("both-endian") {
                        "susp-both-endian"
                    } else {
                        "susp-entry"
                    };
                    self.push_dir(code, Some(at / SECTOR), p, "CE", msg)
                }
                SuspFault::CeRange { ce, msg } => {
                    self.push_dir("ce-range", Some(ce.entry_at / SECTOR), p, "CE", msg)
                }
                SuspFault::CeCrossesBlock { ce } => self.push_dir(
                    "ce-block",
                    Some(ce.entry_at / SECTOR),
                    p,
                    "CE",
                    format!(
                        "CE area at block {} offset {} length {} crosses the block end",
                        ce.block, ce.offset, ce.len
                    ),
                ),
                SuspFault::CeChain { ce, msg } => {
                    self.push_dir("ce-chain", Some(ce.entry_at / SECTOR), p, "CE", msg)
                }
            }
        }
        for e in &entries {
            if e.area > 0 {
                self.ce_blocks.insert(e.offset / SECTOR);
            }
        }
        for m in &a.faults {
            let code = if m.starts_with("SL") || m.starts_with("symlink") {
                "rr-sl"
            } else if m.starts_with("TF") {
                "rr-tf"
            } else if m.starts_with("NM") {
                "rr-nm"
            } else if m.starts_with("PX") {
                "rr-px"
            } else if m.starts_with("PN") {
                "rr-pn"
            } else if m.starts_with("CL") {
                "rr-cl"
            } else {
                "rr-pl"
            };
            self.push_dir(code, l, p, "", m.clone());
        }
        let mut bad_version = false;
        let mut nm_last_flags = None;
        for e in &entries {
            let el = Some(e.offset / SECTOR);
            if e.version != 1 && !bad_version {
                bad_version = true;
                self.push_dir(
                    "susp-version",
                    el,
                    p,
                    "",
                    format!("{} has version {}, expected 1", lossy(&e.sig), e.version),
                );
            }
            let d = &e.data;
            let both = |off: usize| le32(d, off) == be32(d, off + 4);
            match &e.sig {
                b"SP" if !root_dot => self.push_dir(
                    "rr-sp",
                    el,
                    p,
                    "SP",
                    "SP outside the root \".\" record".into(),
                ),
                b"PX" => {
                    if e.len != 36 {
                        self.push_dir(
                            "rr-px",
                            el,
                            p,
                            "PX",
                            format!(
                                "PX is {} bytes, expected 36 (RRIP 1.10; 44 is RRIP 1.12)",
                                e.len
                            ),
                        );
                    }
                    if !(0..4).all(|i| both(8 * i)) || (d.len() >= 40 && !both(32)) {
                        self.push_dir(
                            "susp-both-endian",
                            el,
                            p,
                            "PX",
                            "PX both-endian halves differ".into(),
                        );
                    }
                }
                b"PN" => {
                    if e.len != 20 {
                        self.push_dir(
                            "rr-pn",
                            el,
                            p,
                            "PN",
                            format!("PN is {} bytes, expected 20", e.len),
                        );
                    } else if !both(0) || !both(8) {
                        self.push_dir(
                            "susp-both-endian",
                            el,
                            p,
                            "PN",
                            "PN both-endian halves differ".into(),
                        );
                    }
                }
                b"CL" | b"PL" => {
                    let f: &'static str = if &e.sig == b"CL" { "CL" } else { "PL" };
                    if e.len != 12 {
                        self.push_dir(
                            if f == "CL" { "rr-cl" } else { "rr-pl" },
                            el,
                            p,
                            f,
                            format!("{f} is {} bytes, expected 12", e.len),
                        );
                    } else if !both(0) {
                        self.push_dir(
                            "susp-both-endian",
                            el,
                            p,
                            f,
                            format!("{f} both-endian halves differ"),
                        );
                    }
                }
                b"NM" => {
                    let fl = u8_at(d, 0);
                    if fl & !0x07 != 0 || (fl & 0x06 != 0 && d.len() > 1) {
                        self.push_dir(
                            "rr-nm",
                            el,
                            p,
                            "NM",
                            format!("NM flags {fl:#04x} are invalid here"),
                        );
                    }
                    nm_last_flags = Some(fl);
                }
                b"TF" => {
                    let fl = u8_at(d, 0);
                    let size = if fl & 0x80 != 0 { 17 } else { 7 };
                    let want = 5 + size * (fl & 0x7f).count_ones() as usize;
                    if usize::from(e.len) != want {
                        self.push_dir(
                            "rr-tf",
                            el,
                            p,
                            "TF",
                            format!(
                                "TF flags {fl:#04x} need {want} bytes, the entry has {}",
                                e.len
                            ),
                        );
                    } else {
                        for bit in [1u8, 2, 4, 8, 16, 32, 64] {
                            if fl & bit != 0 {
                                let idx = (fl & (bit - 1) & 0x7f).count_ones() as usize;
                                let s = &d[1 + idx * size..1 + (idx + 1) * size];
                                let ok = if size == 17 {
                                    vd_date_ok(s)
                                } else {
                                    s.iter().all(|&b| b == 0) || dir_date_to_unix(s).is_some()
                                };
                                if !ok || tf_stamp(d, bit).is_err() {
                                    self.push_dir(
                                        "rr-tf",
                                        el,
                                        p,
                                        "TF",
                                        format!("TF stamp {bit:#04x} is not a valid date"),
                                    );
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(fl) = nm_last_flags {
            if fl & 1 != 0 {
                self.push_dir(
                    "rr-nm",
                    l,
                    p,
                    "NM",
                    "the last NM has the CONTINUE flag".into(),
                );
            }
        }
        if a.nm_count > 1 {
            self.push_dir(
                "rr-nm-continue",
                l,
                p,
                "NM",
                format!(
                    "the name is spread over {} NM entries; GRUB Legacy reads only one",
                    a.nm_count
                ),
            );
        }
        let is_dotdot = rec.is_dotdot();
        match a.px {
            None if !is_dotdot => {
                self.push_dir("rr-px", l, p, "PX", "no PX entry".into());
            }
            Some((mode, ..)) => {
                let ty = mode & 0o170000;
                if a.pn.is_some() && !is_device_mode(mode) {
                    self.push_dir(
                        "rr-pn",
                        l,
                        p,
                        "PN",
                        format!("PN on a file of mode {mode:o}, not a device"),
                    );
                }
                if a.symlink.is_some() && ty != 0o120000 {
                    self.push_dir(
                        "rr-sl",
                        l,
                        p,
                        "SL",
                        format!("SL on a file of mode {mode:o}, not a symlink"),
                    );
                }
                if !rec.is_dot()
                    && !is_dotdot
                    && a.cl.is_none()
                    && ((ty == 0o040000) != rec.is_dir())
                {
                    self.push_dir(
                        "rr-px",
                        l,
                        p,
                        "PX",
                        format!("PX mode {mode:o} disagrees with the directory flag"),
                    );
                }
            }
            None => {}
        }
        if a.cl.is_some() && rec.is_dir() {
            self.push_dir("rr-cl", l, p, "CL", "CL on a directory record (CL belongs on the file record left in the original parent)".into());
        }
        if a.pl.is_some() && !is_dotdot {
            self.push_dir("rr-pl", l, p, "PL", "PL outside a \"..\" record".into());
        }
        if a.re && !rec.is_dir() {
            self.push_dir(
                "rr-re",
                l,
                p,
                "RE",
                "RE on a record that is not a directory".into(),
            );
        }
        (a, entries)
    }

    /// CL/PL/RE consistency (RRIP §4.1.5).
    fn check_relocation(&mut self, iso: &Scan) {
        let mut cl_count: HashMap<u32, usize> = HashMap::new();
        for (parent, target, path) in &iso.cls {
            *cl_count.entry(*target).or_insert(0) += 1;
            let p = Some(path.as_str());
            match iso.by_extent.get(target) {
                None => self.push(
                    "rr-cl",
                    None,
                    p,
                    "CL",
                    format!("CL names LBA {target}, which is no directory of the tree"),
                ),
                Some(&t) => {
                    let d = &iso.dirs[t];
                    if !d.re {
                        self.push(
                            "rr-cl",
                            Some(u64::from(*target)),
                            p,
                            "CL",
                            format!("CL names {} whose record has no RE", d.path),
                        );
                    }
                    let pe = iso.dirs[*parent].extent;
                    if d.pl != Some(pe) {
                        self.push(
                            "rr-pl",
                            Some(u64::from(*target)),
                            Some(&d.path.clone()),
                            "PL",
                            format!("the relocated directory's \"..\" has PL {:?}, expected LBA {pe} (the directory holding the CL)", d.pl),
                        );
                    }
                }
            }
        }
        for d in &iso.dirs {
            let n = cl_count.get(&d.extent).copied().unwrap_or(0);
            if d.re && n != 1 {
                self.push(
                    "rr-re",
                    Some(u64::from(d.extent)),
                    Some(&d.path.clone()),
                    "RE",
                    format!("a relocated directory named by {n} CL entries, expected 1"),
                );
            }
            if d.pl.is_some() && n == 0 {
                self.push(
                    "rr-pl",
                    Some(u64::from(d.extent)),
                    Some(&d.path.clone()),
                    "PL",
                    "PL on a directory no CL names".into(),
                );
            }
        }
    }

    fn check_joliet_rr_moved(&mut self, iso: &Scan, joliet: &Scan) {
        let moved: HashSet<usize> = iso.dirs.iter().filter(|d| d.re).map(|d| d.parent).collect();
        for m in moved {
            let name = iso.dirs[m]
                .path
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            if name.is_empty() {
                continue;
            }
            let level = iso.dirs[m].level;
            for d in joliet.dirs.iter().filter(|d| d.level == level) {
                let jn = lossy(&joliet_display_name(&d.ident));
                if jn.eq_ignore_ascii_case(&name) {
                    self.push(
                        "joliet-rr-moved",
                        Some(u64::from(d.extent)),
                        Some(&d.path.clone()),
                        "file_identifier",
                        format!(
                            "the Rock Ridge relocation directory {name} appears in the Joliet tree"
                        ),
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Path tables.

/// One path table record (ECMA-119 §9.4).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PtRec {
    ident: Vec<u8>,
    ext_attr_len: u8,
    extent: u32,
    parent: u16,
}

impl<R: ReadAt + ?Sized> Ck<'_, R> {
    /// [`push`](Self::push) for a path table problem of the `tree`
    /// hierarchy: the message names the tree; `path` equal to the tree's
    /// name means no particular directory.
    #[allow(clippy::too_many_arguments)]
    fn push_pt(
        &mut self,
        tree: &str,
        code: &'static str,
        lba: Option<u64>,
        path: Option<&str>,
        field: &'static str,
        message: String,
    ) {
        let path = path.filter(|p| *p != tree);
        self.push(
            code,
            lba,
            path,
            field,
            format!("{tree} path tables: {message}"),
        );
    }

    fn read_path_table(
        &mut self,
        lba: u32,
        size: u32,
        big: bool,
        field: &'static str,
        tree: &str,
    ) -> Option<Vec<PtRec>> {
        let l = Some(u64::from(lba));
        let start = u64::from(lba) * SECTOR;
        let Some(b) = self.read(start, u64::from(size), Some("a path table")) else {
            self.push_pt(
                tree,
                "path-table-size",
                l,
                Some(tree),
                field,
                format!("the {size}-byte path table at LBA {lba} passes the end of the image"),
            );
            return None;
        };
        self.region(
            u64::from(lba),
            u64::from(size),
            RegionKind::PathTable,
            format!("{tree} path table at LBA {lba}"),
        );
        let mut out = Vec::new();
        let mut p = 0usize;
        while p < b.len() {
            let id_len = usize::from(b[p]);
            if id_len == 0 {
                self.push_pt(
                    tree,
                    "path-table-record",
                    l,
                    Some(tree),
                    field,
                    format!(
                        "record {} at byte {p} has identifier length 0",
                        out.len() + 1
                    ),
                );
                return Some(out);
            }
            let end = p + 8 + id_len;
            if end > b.len() {
                self.push_pt(
                    tree,
                    "path-table-record",
                    l,
                    Some(tree),
                    field,
                    format!("record {} at byte {p} passes the table end", out.len() + 1),
                );
                return Some(out);
            }
            let (extent, parent) = if big {
                (be32(&b, p + 2), be16(&b, p + 6))
            } else {
                (le32(&b, p + 2), le16(&b, p + 6))
            };
            out.push(PtRec {
                ident: b[p + 8..end].to_vec(),
                ext_attr_len: b[p + 1],
                extent,
                parent,
            });
            p = end + id_len % 2;
        }
        Some(out)
    }

    fn check_path_tables(&mut self, kind: Kind, vd_lba: u64, vd: &[u8], scan: &Scan) {
        let tree = match kind {
            Kind::Iso => "primary",
            Kind::Joliet => "joliet",
        };
        let size = le32(vd, 132);
        let vdl = Some(vd_lba);
        if u64::from(size) > self.len {
            self.push_pt(
                tree,
                "path-table-size",
                vdl,
                Some(tree),
                "path_table_size",
                format!("path table size {size} is larger than the image"),
            );
            return;
        }
        if scan.dirs.is_empty() {
            return;
        }
        // Expected table: level by level, by parent number, then identifier.
        let mut number: Vec<usize> = vec![0; scan.dirs.len()];
        let mut order: Vec<usize> = vec![0];
        number[0] = 1;
        let mut level_start = 0usize;
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); scan.dirs.len()];
        for (i, d) in scan.dirs.iter().enumerate().skip(1) {
            children[d.parent].push(i);
        }
        while level_start < order.len() {
            let level_end = order.len();
            let mut next: Vec<usize> = Vec::new();
            for &pi in &order[level_start..level_end] {
                let mut kids = children[pi].clone();
                kids.sort_by(|&a, &b| {
                    padded_cmp(
                        &units(kind, &scan.dirs[a].ident),
                        &units(kind, &scan.dirs[b].ident),
                    )
                });
                next.extend(kids);
            }
            let base = order.len();
            for (j, &c) in next.iter().enumerate() {
                number[c] = base + j + 1;
            }
            level_start = level_end;
            order.extend(next);
        }
        let expected_size: u64 = order
            .iter()
            .map(|&i| {
                let n = scan.dirs[i].ident.len() as u64;
                8 + n + n % 2
            })
            .sum();
        if u64::from(size) != expected_size {
            self.push_pt(
                tree,
                "path-table-size",
                vdl,
                Some(tree),
                "path_table_size",
                format!(
                    "path table size is {size}, the {} directories need {expected_size}",
                    order.len()
                ),
            );
        }
        let l_lba = le32(vd, 140);
        let m_lba = be32(vd, 148);
        let Some(l_table) = self.read_path_table(l_lba, size, false, "type_l_path_table", tree)
        else {
            return;
        };
        if let Some(m_table) = self.read_path_table(m_lba, size, true, "type_m_path_table", tree) {
            if m_table != l_table {
                let i = l_table
                    .iter()
                    .zip(&m_table)
                    .position(|(a, b)| a != b)
                    .unwrap_or(l_table.len().min(m_table.len()));
                self.push_pt(
                    tree,
                    "path-table-lm",
                    Some(u64::from(m_lba)),
                    Some(tree),
                    "type_m_path_table",
                    format!(
                        "the M path table differs from the L table at record {}",
                        i + 1
                    ),
                );
            }
        }
        for (off, big, field) in [
            (144usize, false, "optional_type_l_path_table"),
            (152, true, "optional_type_m_path_table"),
        ] {
            let lba = if big { be32(vd, off) } else { le32(vd, off) };
            if lba != 0 {
                if let Some(t) = self.read_path_table(lba, size, big, field, tree) {
                    if t != l_table {
                        self.push_pt(
                            tree,
                            "path-table-lm",
                            Some(u64::from(lba)),
                            Some(tree),
                            field,
                            "the optional path table differs from the L table".into(),
                        );
                    }
                }
            }
        }
        // The L table against the directories.
        let l = Some(u64::from(l_lba));
        let mut levels: Vec<usize> = Vec::with_capacity(l_table.len());
        let mut seen: HashSet<u32> = HashSet::new();
        for (i, r) in l_table.iter().enumerate() {
            let num = i + 1;
            let parent = usize::from(r.parent);
            let lvl = if num == 1 {
                if r.ident != [0] || r.parent != 1 {
                    self.push_pt(tree, "path-table-record", l, Some(tree), "directory_identifier", format!("record 1 has identifier {:?} parent {}, expected the root (0x00, parent 1)", lossy(&r.ident), r.parent));
                }
                1
            } else if parent == 0 || parent >= num {
                self.push_pt(
                    tree,
                    "path-table-parent",
                    l,
                    Some(tree),
                    "parent_directory_number",
                    format!(
                        "record {num} ({}) has parent number {parent}, expected 1–{}",
                        lossy(&r.ident),
                        num - 1
                    ),
                );
                levels
                    .get(parent.saturating_sub(1).min(num.saturating_sub(2)))
                    .copied()
                    .unwrap_or(1)
                    + 1
            } else {
                levels[parent - 1] + 1
            };
            levels.push(lvl);
            if r.ext_attr_len != 0 {
                self.push_pt(
                    tree,
                    "path-table-record",
                    l,
                    Some(tree),
                    "extended_attribute_record_length",
                    format!(
                        "record {num} has extended attribute length {}",
                        r.ext_attr_len
                    ),
                );
            }
            match scan.by_extent.get(&r.extent) {
                None => self.push_pt(
                    tree,
                    "path-table-extent",
                    l,
                    Some(tree),
                    "location_of_extent",
                    format!(
                        "record {num} ({}) names LBA {}, which is no directory of the tree",
                        lossy(&r.ident),
                        r.extent
                    ),
                ),
                Some(&di) => {
                    let d = &scan.dirs[di];
                    let dpath = d.path.clone();
                    if !seen.insert(r.extent) {
                        self.push_pt(
                            tree,
                            "path-table-extent",
                            l,
                            Some(&dpath),
                            "location_of_extent",
                            format!("record {num} names a directory already in the table"),
                        );
                    }
                    if di != 0 && r.ident != d.ident {
                        self.push_pt(
                            tree,
                            "path-table-name",
                            l,
                            Some(&dpath),
                            "directory_identifier",
                            format!(
                                "record {num} has identifier {:?}, the directory record {:?}",
                                lossy(&r.ident),
                                lossy(&d.ident)
                            ),
                        );
                    }
                    if num > 1 && parent >= 1 && parent < num {
                        let pext = l_table[parent - 1].extent;
                        let want = scan.dirs[d.parent].extent;
                        if pext != want {
                            self.push_pt(tree, "path-table-parent", l, Some(&dpath), "parent_directory_number", format!("record {num} has parent number {parent} (LBA {pext}), the directory's parent is at LBA {want} (record {})", number[d.parent]));
                        }
                    }
                }
            }
            if num > 1 {
                let prev = &l_table[i - 1];
                let key_prev = (levels[i - 1], if i == 1 { 0 } else { prev.parent });
                let key = (lvl, r.parent);
                let o = key_prev.cmp(&key).then_with(|| {
                    if i == 1 {
                        Ordering::Less
                    } else {
                        padded_cmp(&units(kind, &prev.ident), &units(kind, &r.ident))
                    }
                });
                if o != Ordering::Less {
                    self.push_pt(tree, "path-table-order", l, Some(tree), "directory_identifier", format!("record {num} ({}, level {lvl}, parent {}) does not sort after record {i} ({}, level {}, parent {})", lossy(&r.ident), r.parent, lossy(&prev.ident), levels[i - 1], prev.parent));
                }
            }
        }
        for d in &scan.dirs {
            if !seen.contains(&d.extent) {
                let p = d.path.clone();
                self.push_pt(
                    tree,
                    "path-table-extent",
                    l,
                    Some(&p),
                    "location_of_extent",
                    format!(
                        "directory at LBA {} is missing from the path table",
                        d.extent
                    ),
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// GRUB Legacy lookups.

/// What GRUB Legacy sees of one record.
struct GrubRecord {
    /// The name it compares: the first version-1 NM, else the identifier
    /// with `;1` and a trailing `.` stripped.
    name: Vec<u8>,
    /// That NM has the CONTINUE flag (GRUB ignores the rest of the name).
    nm_continued: bool,
    is_dir: bool,
    extent: u32,
    size: u32,
    flags: u8,
}

impl<R: ReadAt + ?Sized> Ck<'_, R> {
    /// The version-1 System Use entries GRUB Legacy reads for a record:
    /// its System Use area from the first byte, then at most one CE area,
    /// cut at the end of the CE's sector.
    fn grub_entries(&mut self, sua: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut area = sua.to_vec();
        let mut followed = false;
        loop {
            let mut ce = None;
            let mut i = 0usize;
            while i + 4 <= area.len() {
                let len = usize::from(area[i + 2]);
                if len < 4 || i + len > area.len() {
                    break;
                }
                let (sig, ver) = (area[i..i + 2].to_vec(), area[i + 3]);
                let data = area[i + 4..i + len].to_vec();
                i += len;
                if ver != 1 {
                    continue;
                }
                if sig == b"CE" && data.len() >= 24 {
                    ce = Some((le32(&data, 0), le32(&data, 8), le32(&data, 16)));
                } else if sig == b"ST" {
                    break;
                }
                out.push((sig, data));
            }
            match ce {
                Some((block, off, len)) if !followed => {
                    followed = true;
                    let off = u64::from(off);
                    if off >= SECTOR {
                        break;
                    }
                    let n = u64::from(len).min(SECTOR - off);
                    match self.read(u64::from(block) * SECTOR + off, n, None) {
                        Some(b) => area = b,
                        None => break,
                    }
                }
                _ => break,
            }
        }
        out
    }

    /// The records of the directory at `extent`/`size` as GRUB sees them.
    fn grub_dir(&mut self, extent: u32, size: u32) -> Result<Vec<GrubRecord>, String> {
        let start = u64::from(extent) * SECTOR;
        if start + u64::from(size) > self.len {
            return Err(format!(
                "directory extent LBA {extent} passes the image end"
            ));
        }
        let mut out = Vec::new();
        let mut off = 0u64;
        while off < u64::from(size) {
            let n = (u64::from(size) - off).min(SECTOR);
            let sec = self.read(start + off, n, None).ok_or_else(|| {
                format!(
                    "cannot read directory sector LBA {}",
                    (start + off) / SECTOR
                )
            })?;
            off += n;
            let mut p = 0usize;
            while p < sec.len() && sec[p] != 0 {
                let len = usize::from(sec[p]);
                let Some(raw) = sec.get(p..p + len) else {
                    return Err(format!(
                        "a record crosses the end of directory sector LBA {}",
                        start / SECTOR
                    ));
                };
                p += len;
                let Ok(rec) = DirRecord::parse(raw) else {
                    return Err(format!("a malformed record in directory LBA {extent}"));
                };
                if rec.is_dot() || rec.is_dotdot() {
                    continue;
                }
                let mut name = rec.ident.clone();
                if name.ends_with(b";1") {
                    name.truncate(name.len() - 2);
                    if name.len() > 1 && name.ends_with(b".") {
                        name.pop();
                    }
                }
                let mut gr = GrubRecord {
                    name,
                    nm_continued: false,
                    is_dir: rec.is_dir(),
                    extent: rec.extent,
                    size: rec.data_len,
                    flags: rec.flags,
                };
                let mut nm_seen = false;
                for (sig, data) in self.grub_entries(&rec.system_use) {
                    if sig == b"NM" && !nm_seen {
                        nm_seen = true;
                        gr.name = data.get(1..).unwrap_or(&[]).to_vec();
                        gr.nm_continued = u8_at(&data, 0) & 1 != 0;
                    } else if sig == b"PX" && data.len() >= 4 {
                        gr.is_dir = le32(&data, 0) & 0o170000 == 0o040000;
                    }
                }
                out.push(gr);
            }
        }
        Ok(out)
    }

    /// Look `path` up as GRUB Legacy would; `Err` says why it fails.
    fn grub_lookup(&mut self, path: &[u8]) -> Result<(), String> {
        let (mut extent, mut size) = self.root;
        let comps: Vec<&[u8]> = path
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        if comps.is_empty() {
            return Err("names the root directory, not a file".into());
        }
        let mut seen = HashSet::new();
        for (i, comp) in comps.iter().enumerate() {
            if !seen.insert(extent) {
                return Err("a directory loop".into());
            }
            let recs = self.grub_dir(extent, size)?;
            let here = lossy(comp);
            let Some(r) = recs.iter().find(|r| r.name == *comp) else {
                let split = recs
                    .iter()
                    .any(|r| r.nm_continued && comp.starts_with(&r.name));
                return Err(if split {
                    format!("{here:?} is split over several NM entries; GRUB Legacy reads only the first")
                } else {
                    format!("no record named {here:?} (GRUB compares case-sensitively, version-1 NM or the identifier)")
                });
            };
            if r.nm_continued {
                return Err(format!(
                    "{here:?} is split over several NM entries; GRUB Legacy reads only the first"
                ));
            }
            let last = i + 1 == comps.len();
            if !last {
                if !r.is_dir {
                    return Err(format!("{here:?} is not a directory"));
                }
                (extent, size) = (r.extent, r.size);
            } else {
                if r.is_dir {
                    return Err(format!("{here:?} is a directory"));
                }
                if r.flags & flags::MULTI_EXTENT != 0 {
                    return Err(format!(
                        "{here:?} has several extents; GRUB Legacy reads only the first"
                    ));
                }
                if r.size > 0 && r.extent == 0 {
                    return Err(format!(
                        "{here:?} has extent 0, which GRUB Legacy refuses to read"
                    ));
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// El Torito.

impl<R: ReadAt + ?Sized> Ck<'_, R> {
    fn check_el_torito(&mut self, brvd_lba: u64, cat_lba: u32, iso: &Scan) {
        let cl = Some(u64::from(cat_lba));
        let cat_end = (u64::from(cat_lba) + 1) * SECTOR;
        if u64::from(cat_lba) < FIRST_VD_LBA || cat_end > self.vss * SECTOR || cat_end > self.len {
            self.push(
                "catalog-range",
                Some(brvd_lba),
                None,
                "boot_catalog_pointer",
                format!(
                    "boot catalog LBA {cat_lba} is outside the volume ({} blocks)",
                    self.vss
                ),
            );
            return;
        }
        let Some(c) = self.read(
            u64::from(cat_lba) * SECTOR,
            SECTOR,
            Some("the boot catalog"),
        ) else {
            return;
        };
        self.region(
            u64::from(cat_lba),
            SECTOR,
            RegionKind::Catalog,
            "boot catalog".into(),
        );
        // Validation entry.
        if c[0] != 1 {
            self.push(
                "catalog-validation",
                cl,
                None,
                "header_id",
                format!("validation entry header ID is {:#04x}, expected 0x01", c[0]),
            );
        }
        if c[30] != 0x55 || c[31] != 0xAA {
            self.push(
                "catalog-validation",
                cl,
                None,
                "key",
                format!(
                    "validation entry key is {:02X} {:02X}, expected 55 AA",
                    c[30], c[31]
                ),
            );
        }
        if c[2] != 0 || c[3] != 0 {
            self.push(
                "catalog-validation",
                cl,
                None,
                "reserved",
                "validation entry bytes 2–3 are not zero".into(),
            );
        }
        let sum = (0..16).fold(0u16, |a, i| a.wrapping_add(le16(&c, 2 * i)));
        if sum != 0 {
            self.push("catalog-checksum", cl, None, "checksum", format!("the validation entry's words sum to {sum:#06x}, expected 0 (checksum word {:#06x})", le16(&c, 28)));
        }
        // Default entry.
        let d = &c[32..64];
        let mut images: Vec<(String, [u8; 32])> = Vec::new();
        let mut de = [0u8; 32];
        de.copy_from_slice(d);
        match d[0] {
            0x88 => {}
            0x00 => self.push(
                "boot-not-bootable",
                cl,
                None,
                "boot_indicator",
                "the default entry is not bootable (0x00)".into(),
            ),
            b => self.push(
                "catalog-entry",
                cl,
                None,
                "boot_indicator",
                format!("default entry boot indicator is {b:#04x}, expected 0x88 or 0x00"),
            ),
        }
        if d[1] > 4 {
            self.push(
                "catalog-entry",
                cl,
                None,
                "boot_media_type",
                format!("default entry media type is {:#04x}, expected 0–4", d[1]),
            );
        } else if d[1] != 0 {
            self.push(
                "boot-emulation",
                cl,
                None,
                "boot_media_type",
                format!(
                    "default entry media type is {} (emulation), not 0 (no emulation)",
                    d[1]
                ),
            );
        }
        if d[5] != 0 || d[12..].iter().any(|&b| b != 0) {
            self.push(
                "catalog-entry",
                cl,
                None,
                "unused",
                "default entry bytes 5 and 12–31 are not zero".into(),
            );
        }
        if d[1] == 0 && le16(d, 6) == 0 {
            self.push(
                "catalog-entry",
                cl,
                None,
                "sector_count",
                "default entry sector count is 0: the BIOS loads nothing".into(),
            );
        }
        images.push(("default entry".into(), de));
        // Sections.
        let mut pos = 64usize;
        let mut final_seen = false;
        while pos + 32 <= c.len() && !final_seen {
            let h = &c[pos..pos + 32];
            match h[0] {
                0x90 | 0x91 => {}
                0x00 => break,
                b => {
                    self.push(
                        "catalog-section",
                        cl,
                        None,
                        "header_indicator",
                        format!(
                            "byte {pos}: section header indicator {b:#04x}, expected 0x90 or 0x91"
                        ),
                    );
                    break;
                }
            }
            final_seen = h[0] == 0x91;
            let count = usize::from(le16(h, 2));
            pos += 32;
            let mut n = 0;
            while n < count {
                if pos + 32 > c.len() {
                    self.push(
                        "catalog-section",
                        cl,
                        None,
                        "section_entries",
                        format!("a section of {count} entries passes the catalog's first sector"),
                    );
                    break;
                }
                let e = &c[pos..pos + 32];
                pos += 32;
                if e[0] == 0x44 {
                    continue;
                }
                n += 1;
                if e[0] != 0x88 && e[0] != 0x00 {
                    self.push(
                        "catalog-entry",
                        cl,
                        None,
                        "boot_indicator",
                        format!(
                            "section entry at byte {} has boot indicator {:#04x}",
                            pos - 32,
                            e[0]
                        ),
                    );
                    continue;
                }
                let mut a = [0u8; 32];
                a.copy_from_slice(e);
                images.push((format!("section entry at byte {}", pos - 32), a));
            }
        }
        // Boot images.
        let by_lba: HashMap<u32, &FileRec> = iso
            .files
            .iter()
            .filter(|f| f.size > 0)
            .filter_map(|f| f.extents.first().map(|e| (e.0, f)))
            .collect();
        for (i, (what, e)) in images.iter().enumerate() {
            let lba = le32(e, 8);
            let count = u64::from(le16(e, 6));
            let load = count * 512;
            let file = by_lba.get(&lba).copied();
            let file_len = file.map(|f| f.size);
            let end = u64::from(lba) * SECTOR + load.max(file_len.unwrap_or(0));
            if lba == 0 || end > self.vss * SECTOR || end > self.len {
                self.push("boot-image-range", cl, None, "load_rba", format!("{what}: boot image at LBA {lba} loading {load} bytes lies outside the volume"));
                continue;
            }
            match file {
                None => {
                    self.push(
                        "boot-image-hidden",
                        cl,
                        None,
                        "load_rba",
                        format!("{what}: no file record starts at the boot image LBA {lba}"),
                    );
                    self.region(
                        u64::from(lba),
                        load.max(SECTOR),
                        RegionKind::BootImage,
                        format!("boot image of the {what}"),
                    );
                }
                Some(f) => {
                    if f.extents.len() > 1 {
                        self.push("boot-image-extent", Some(u64::from(lba)), Some(&f.path.clone()), "extent", format!("{what}: the boot image has {} extents; loaders need one contiguous extent", f.extents.len()));
                    }
                    if load > f.size.div_ceil(SECTOR) * SECTOR {
                        self.push(
                            "boot-image-range",
                            cl,
                            Some(&f.path.clone()),
                            "sector_count",
                            format!(
                                "{what}: loads {load} bytes, the boot file holds only {}",
                                f.size
                            ),
                        );
                    }
                }
            }
            if i == 0 {
                self.check_boot_info_table(lba, file.map(|f| (f.size, f.path.clone())));
            }
        }
    }

    fn check_boot_info_table(&mut self, lba: u32, file: Option<(u64, String)>) {
        let start = u64::from(lba) * SECTOR;
        let Some(head) = self.read(start, 64, Some("the boot image")) else {
            self.report.summary.boot_info_table = None;
            return;
        };
        let present = u64::from(le32(&head, 8)) == self.pvd_lba || le32(&head, 12) == lba;
        self.report.summary.boot_info_table = Some(present);
        if !present {
            return;
        }
        let l = Some(u64::from(lba));
        let path = file.as_ref().map(|f| f.1.clone());
        let p = path.as_deref();
        if u64::from(le32(&head, 8)) != self.pvd_lba {
            self.push(
                "boot-info-pvd",
                l,
                p,
                "bi_pvd",
                format!(
                    "bi_pvd is {}, expected the PVD LBA {}",
                    le32(&head, 8),
                    self.pvd_lba
                ),
            );
        }
        if le32(&head, 12) != lba {
            self.push(
                "boot-info-lba",
                l,
                p,
                "bi_file",
                format!(
                    "bi_file is {}, expected the boot image LBA {lba}",
                    le32(&head, 12)
                ),
            );
        }
        let bi_len = u64::from(le32(&head, 16));
        let len = match &file {
            Some((size, _)) => {
                if bi_len != *size {
                    self.push(
                        "boot-info-length",
                        l,
                        p,
                        "bi_length",
                        format!("bi_length is {bi_len}, the boot file is {size} bytes"),
                    );
                }
                *size
            }
            None => bi_len,
        };
        if head[24..64].iter().any(|&b| b != 0) {
            self.push(
                "boot-info-reserved",
                l,
                p,
                "bi_reserved",
                "boot info table bytes 24–63 are not zero".into(),
            );
        }
        if len < 64 || start + len > self.len {
            if len < 64 {
                self.push(
                    "boot-info-length",
                    l,
                    p,
                    "bi_length",
                    format!("the boot file is {len} bytes, too short for a boot info table"),
                );
            }
            return;
        }
        // Sum of the 32-bit LE words from byte 64, trailing word zero-padded.
        let mut sum = 0u32;
        let mut off = 64u64;
        const CHUNK: u64 = 64 * 1024;
        while off < len {
            let n = (len - off).min(CHUNK);
            let Some(b) = self.read(start + off, n, Some("the boot image")) else {
                return;
            };
            for w in b.chunks(4) {
                let mut a = [0u8; 4];
                a[..w.len()].copy_from_slice(w);
                sum = sum.wrapping_add(u32::from_le_bytes(a));
            }
            off += n;
        }
        if le32(&head, 20) != sum {
            self.push("boot-info-checksum", l, p, "bi_csum", format!("bi_csum is {:#010x}, the words from byte 64 of the {len}-byte file sum to {sum:#010x}", le32(&head, 20)));
        }
    }

    // -----------------------------------------------------------------------
    // Overlaps.

    fn check_overlaps(&mut self) {
        let mut regs = std::mem::take(&mut self.regions);
        regs.sort_by_key(|a| (a.start, a.end, a.kind));
        let allowed = |a: &Region, b: &Region| -> bool {
            use RegionKind::*;
            let same = a.start == b.start && a.end == b.end;
            match (a.kind, b.kind) {
                (File, File) => same && a.bytes == b.bytes,
                (Catalog, File) | (File, Catalog) => a.start == b.start,
                (Susp, Susp) | (Descriptors, Descriptors) => same,
                _ => false,
            }
        };
        let mut reported = 0usize;
        let mut cur: Option<usize> = None;
        for i in 0..regs.len() {
            if let Some(c) = cur {
                if regs[i].start < regs[c].end && !allowed(&regs[c], &regs[i]) && reported < 100 {
                    reported += 1;
                    let (a, b) = (&regs[c], &regs[i]);
                    let msg = format!(
                        "{} (LBA {}–{}) overlaps {} (LBA {}–{})",
                        b.what,
                        b.start,
                        b.end - 1,
                        a.what,
                        a.start,
                        a.end - 1
                    );
                    let path = b
                        .what
                        .strip_prefix("file ")
                        .or_else(|| b.what.strip_prefix("directory "))
                        .map(str::to_string);
                    self.push(
                        "extent-overlap",
                        Some(b.start),
                        path.as_deref(),
                        "extent",
                        msg,
                    );
                }
                if regs[i].end > regs[c].end {
                    cur = Some(i);
                }
            } else {
                cur = Some(i);
            }
        }
        // Anything used past the volume end.
        if let Some(r) = regs
            .iter()
            .filter(|r| r.kind != RegionKind::Descriptors)
            .max_by_key(|r| r.end)
        {
            if r.end > self.vss && !self.has_code("extent-range") {
                let (w, s, e) = (r.what.clone(), r.start, r.end);
                self.push(
                    "extent-range",
                    Some(s),
                    None,
                    "volume_space_size",
                    format!(
                        "{w} ends at block {e}, past the volume space size {}",
                        self.vss
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::testimg::*;
    use crate::read::IsoReader;

    #[test]
    fn ident_order() {
        use Ordering::*;
        assert_eq!(iso_ident_cmp(b"A.;1", b"A.0;1"), Less);
        assert_eq!(iso_ident_cmp(b"B.;1", b"B.TAR;1"), Less);
        assert_eq!(iso_ident_cmp(b"A.;2", b"A.;1"), Less, "versions descend");
        assert_eq!(
            iso_ident_cmp(b"A.;1", b"A"),
            Less,
            "a directory (no version, padded with '0') after the file of that name"
        );
        assert_eq!(
            iso_ident_cmp(b"A.;10", b"A.;9"),
            Less,
            "versions compare as numbers"
        );
        assert_eq!(iso_ident_cmp(b"AB.;1", b"A.B;1"), Greater);
        assert_eq!(iso_ident_cmp(b"A_B", b"AB"), Greater);
        assert_eq!(iso_ident_cmp(b"X.Y;1", b"X.Y;1"), Equal);
        // Plain byte order puts "A.0;1" first ('0' 0x30 < ';' 0x3B), which
        // §9.3 forbids.
        assert_eq!(b"A.0;1"[..].cmp(&b"A.;1"[..]), Less);
    }

    /// Offset of the first System Use entry `sig` of the record at `at`.
    fn entry(img: &[u8], at: usize, sig: &[u8; 2]) -> usize {
        let len = usize::from(img[at]);
        let idl = usize::from(img[at + 32]);
        let mut p = at + 33 + idl + usize::from(idl % 2 == 0);
        while p + 4 <= at + len {
            if &img[p..p + 2] == sig {
                return p;
            }
            let l = usize::from(img[p + 2]);
            assert!(l >= 4);
            p += l;
        }
        panic!("no {} at {at}", String::from_utf8_lossy(sig));
    }

    fn put32(img: &mut [u8], at: usize, v: u32) {
        img[at..at + 8].copy_from_slice(&both32(v));
    }

    #[test]
    fn sample_is_clean() {
        let b = sample();
        let r = check(&b.img);
        assert!(r.is_clean(), "{r}");
        assert!(r.warnings.is_empty(), "{r}");
        let s = &r.summary;
        assert!(s.rock_ridge && s.el_torito && !s.joliet);
        assert_eq!(s.er_ids, ["RRIP_1991A"]);
        assert_eq!(s.boot_info_table, Some(true));
        assert_eq!(s.directories, 4);
        assert_eq!(s.files, 9);
        assert_eq!(s.volume_blocks, b.img.len() as u64 / 2048);
    }

    #[test]
    fn plain_image_is_clean() {
        let tree = vec![
            dir("D", "d", vec![file("Y.TXT;1", "y", b"22")]),
            file("X.;1", "x", b"1"),
        ];
        let b = build(tree, &Opts::default());
        let r = check(&b.img);
        assert!(r.is_clean() && r.warnings.is_empty(), "{r}");
        assert!(!r.summary.rock_ridge && !r.summary.el_torito);
    }

    #[test]
    fn every_code_is_listed_once() {
        let mut seen = HashSet::new();
        for (c, d) in CODES {
            assert!(seen.insert(*c), "{c} twice");
            assert!(!d.is_empty());
        }
        for w in WARNING_CODES {
            assert!(seen.contains(w), "{w}");
        }
    }

    type Corruption = (&'static str, fn(&mut Built), &'static [&'static str]);

    const PVD: usize = 16 * 2048;

    fn corruptions() -> Vec<Corruption> {
        vec![
            (
                "pvd size BE",
                |b| b.img[PVD + 84..PVD + 88].copy_from_slice(&999u32.to_be_bytes()),
                &["vd-both-endian"],
            ),
            (
                "pvd size huge",
                |b| put32(&mut b.img, PVD + 80, 1 << 20),
                &["volume-size"],
            ),
            (
                "block size",
                |b| b.img[PVD + 128..PVD + 132].copy_from_slice(&both16(1024)),
                &["vd-field"],
            ),
            (
                "no terminator",
                |b| {
                    let t = (b.l_table as usize - 1) * 2048;
                    b.img[t + 1] = b'X';
                },
                &["vd-set"],
            ),
            (
                "pvd not first",
                |b| {
                    let (p, q) = b.img.split_at_mut(17 * 2048);
                    p[PVD..].swap_with_slice(&mut q[..2048]);
                },
                &["vd-order"],
            ),
            ("no pvd", |b| b.img[PVD] = 3, &["vd-order", "pvd-missing"]),
            ("volume id NUL", |b| b.img[PVD + 60] = 0, &["id-padding"]),
            (
                "volume id lowercase",
                |b| b.img[PVD + 40] = b't',
                &["id-chars"],
            ),
            (
                "creation month 13",
                |b| b.img[PVD + 813 + 4..PVD + 813 + 6].copy_from_slice(b"13"),
                &["date-format"],
            ),
            (
                "record extent BE",
                |b| {
                    let at = b.rec["/hello.txt"];
                    b.img[at + 6..at + 10].copy_from_slice(&12345u32.to_be_bytes());
                },
                &["record-both-endian"],
            ),
            (
                "record vol seq",
                |b| {
                    let at = b.rec["/hello.txt"];
                    b.img[at + 28..at + 32].copy_from_slice(&both16(2));
                },
                &["record-field"],
            ),
            (
                "record date",
                |b| b.img[b.rec["/hello.txt"] + 19] = 13,
                &["date-format"],
            ),
            (
                "dir size",
                |b| {
                    for at in [b.rec["/zed"], b.dir_lba["/zed"] as usize * 2048] {
                        put32(&mut b.img, at + 10, 1000);
                    }
                },
                &["dir-size"],
            ),
            (
                "sector tail",
                |b| b.img[b.dir_lba["/zed"] as usize * 2048 + 2000] = 1,
                &["sector-tail"],
            ),
            (
                "record too long for its identifier",
                |b| b.img[b.rec["/hello.txt"] + 32] = 200,
                &["record-length"],
            ),
            (
                "dot",
                |b| put32(&mut b.img, b.dir_lba["/sub"] as usize * 2048 + 2, 20),
                &["dot"],
            ),
            (
                "dotdot to itself",
                |b| {
                    let sub = b.dir_lba["/sub"];
                    let at = sub as usize * 2048;
                    let dd = at + usize::from(b.img[at]);
                    put32(&mut b.img, dd + 2, sub);
                },
                &["dotdot"],
            ),
            (
                "order",
                |b| b.img[b.rec["/hello.txt"] + 33] = b'Z',
                &["record-order"],
            ),
            (
                "duplicate",
                |b| b.img[b.rec["/zed"] + 33..b.rec["/zed"] + 36].copy_from_slice(b"SUB"),
                &["duplicate-name", "path-table-name"],
            ),
            (
                "extent past the volume",
                |b| put32(&mut b.img, b.rec["/hello.txt"] + 2, 100_000),
                &["extent-range"],
            ),
            (
                "extents overlap",
                |b| {
                    let lba = b.file_lba["/a.0"];
                    put32(&mut b.img, b.rec["/hello.txt"] + 2, lba);
                },
                &["extent-overlap"],
            ),
            (
                "file over a directory",
                |b| {
                    let lba = b.dir_lba["/sub"];
                    put32(&mut b.img, b.rec["/hello.txt"] + 2, lba);
                },
                &["extent-overlap"],
            ),
            (
                "multi-extent flag on the last extent",
                |b| {
                    let at = b.rec["/sub/data.bin"];
                    let next = at + usize::from(b.img[at]);
                    b.img[next + 25] = 0x80;
                },
                &["multi-extent"],
            ),
            (
                "directory loop",
                |b| {
                    let sub = b.dir_lba["/sub"];
                    put32(&mut b.img, b.rec["/sub/deep"] + 2, sub);
                },
                &["dir-loop"],
            ),
            (
                "path table size",
                |b| put32(&mut b.img, PVD + 132, 44),
                &["path-table-size"],
            ),
            (
                "M path table",
                |b| b.img[b.m_table as usize * 2048 + 10 + 5] ^= 1,
                &["path-table-lm"],
            ),
            (
                "path table parent",
                |b| {
                    // Record 4 (DEEP): parent 2 (SUB) -> 3 (ZED) in both tables.
                    let (l, m) = (b.l_table as usize * 2048, b.m_table as usize * 2048);
                    let rec4 = 10 + 12 + 12;
                    b.img[l + rec4 + 6..l + rec4 + 8].copy_from_slice(&3u16.to_le_bytes());
                    b.img[m + rec4 + 6..m + rec4 + 8].copy_from_slice(&3u16.to_be_bytes());
                },
                &["path-table-parent"],
            ),
            (
                "path table order",
                |b| {
                    let (l, m) = (b.l_table as usize * 2048, b.m_table as usize * 2048);
                    for t in [l, m] {
                        b.img[t + 10 + 8..t + 10 + 11].copy_from_slice(b"ZZZ");
                    }
                },
                &["path-table-order", "path-table-name"],
            ),
            (
                "path table extent",
                |b| {
                    let lba = b.file_lba["/hello.txt"];
                    let l = b.l_table as usize * 2048;
                    let m = b.m_table as usize * 2048;
                    b.img[l + 12..l + 16].copy_from_slice(&lba.to_le_bytes());
                    b.img[m + 12..m + 16].copy_from_slice(&lba.to_be_bytes());
                },
                &["path-table-extent"],
            ),
            ("SP missing", |b| b.img[b.rec["/"] + 34] = b'X', &["rr-sp"]),
            ("SP skip", |b| b.img[b.rec["/"] + 34 + 6] = 1, &["rr-sp"]),
            (
                "ER id",
                |b| {
                    let er = b.ce as usize * 2048 + 8;
                    b.img[er..er + 10].copy_from_slice(b"IEEE_P1282");
                },
                &["rr-er"],
            ),
            (
                "SUSP version",
                |b| {
                    let px = entry(&b.img, b.rec["/hello.txt"], b"PX");
                    b.img[px + 3] = 2;
                },
                &["susp-version"],
            ),
            (
                "SUSP framing",
                |b| {
                    let tf = entry(&b.img, b.rec["/hello.txt"], b"TF");
                    b.img[tf + 2] = 3;
                },
                &["susp-entry"],
            ),
            (
                "PX BE",
                |b| {
                    let px = entry(&b.img, b.rec["/hello.txt"], b"PX");
                    b.img[px + 8] ^= 1;
                },
                &["susp-both-endian"],
            ),
            (
                "PX missing",
                |b| {
                    let px = entry(&b.img, b.rec["/hello.txt"], b"PX");
                    b.img[px] = b'X';
                },
                &["rr-px"],
            ),
            (
                "PN on a regular file",
                |b| {
                    let px = entry(&b.img, b.rec["/dev"], b"PX");
                    put32(&mut b.img, px + 4, 0o100644);
                },
                &["rr-pn"],
            ),
            (
                "SL on a regular file",
                |b| {
                    let px = entry(&b.img, b.rec["/link"], b"PX");
                    put32(&mut b.img, px + 4, 0o100644);
                },
                &["rr-sl"],
            ),
            (
                "SL component past its entry",
                |b| {
                    let sl = entry(&b.img, b.rec["/link"], b"SL");
                    b.img[sl + 6] = 200;
                },
                &["rr-sl"],
            ),
            (
                "NM flags",
                |b| {
                    let nm = entry(&b.img, b.rec["/hello.txt"], b"NM");
                    b.img[nm + 4] = 0x10;
                },
                &["rr-nm"],
            ),
            (
                "NM CONTINUE last",
                |b| {
                    let nm = entry(&b.img, b.rec["/hello.txt"], b"NM");
                    b.img[nm + 4] = 1;
                },
                &["rr-nm"],
            ),
            (
                "TF flags",
                |b| {
                    let tf = entry(&b.img, b.rec["/hello.txt"], b"TF");
                    b.img[tf + 4] = 6;
                },
                &["rr-tf"],
            ),
            (
                "CE outside the image",
                |b| {
                    let ce = entry(&b.img, b.rec["/"], b"CE");
                    put32(&mut b.img, ce + 4, 0x00FF_FFFF);
                },
                &["ce-range"],
            ),
            (
                "CE crossing a block",
                |b| {
                    let ce = entry(&b.img, b.rec["/"], b"CE");
                    put32(&mut b.img, ce + 12, 2000);
                },
                &["ce-block"],
            ),
            (
                "CE BE",
                |b| {
                    let ce = entry(&b.img, b.rec["/"], b"CE");
                    b.img[ce + 8] ^= 1;
                },
                &["susp-both-endian"],
            ),
            (
                "boot record padding",
                |b| b.img[17 * 2048 + 35] = b' ',
                &["brvd"],
            ),
            (
                "catalog LBA",
                |b| {
                    b.img[17 * 2048 + 71..17 * 2048 + 75].copy_from_slice(&900_000u32.to_le_bytes())
                },
                &["catalog-range"],
            ),
            (
                "catalog key",
                |b| b.img[b.catalog as usize * 2048 + 31] = 0xAB,
                &["catalog-validation"],
            ),
            (
                "catalog checksum",
                |b| b.img[b.catalog as usize * 2048 + 28] ^= 1,
                &["catalog-checksum"],
            ),
            (
                "boot indicator",
                |b| b.img[b.catalog as usize * 2048 + 32] = 0x77,
                &["catalog-entry"],
            ),
            (
                "not bootable",
                |b| b.img[b.catalog as usize * 2048 + 32] = 0,
                &["boot-not-bootable"],
            ),
            (
                "emulation",
                |b| b.img[b.catalog as usize * 2048 + 33] = 2,
                &["boot-emulation"],
            ),
            (
                "sector count 0",
                |b| b.img[b.catalog as usize * 2048 + 38] = 0,
                &["catalog-entry"],
            ),
            (
                "load past the file",
                |b| b.img[b.catalog as usize * 2048 + 39] = 1,
                &["boot-image-range"],
            ),
            (
                "section header",
                |b| b.img[b.catalog as usize * 2048 + 64] = 0x92,
                &["catalog-section"],
            ),
            (
                "boot info pvd",
                |b| b.img[b.file_lba["/boot.img"] as usize * 2048 + 8] = 17,
                &["boot-info-pvd"],
            ),
            (
                "boot info lba",
                |b| b.img[b.file_lba["/boot.img"] as usize * 2048 + 12] ^= 1,
                &["boot-info-lba"],
            ),
            (
                "boot info length",
                |b| b.img[b.file_lba["/boot.img"] as usize * 2048 + 16] ^= 1,
                &["boot-info-length"],
            ),
            (
                "boot info checksum",
                |b| b.img[b.file_lba["/boot.img"] as usize * 2048 + 3000] ^= 1,
                &["boot-info-checksum"],
            ),
            (
                "boot info reserved",
                |b| b.img[b.file_lba["/boot.img"] as usize * 2048 + 40] = 1,
                &["boot-info-reserved"],
            ),
        ]
    }

    #[test]
    fn single_field_corruptions_are_named() {
        let mut failures = Vec::new();
        for (name, f, codes) in corruptions() {
            let mut b = sample();
            f(&mut b);
            let r = check(&b.img);
            for c in codes {
                assert!(CODES.iter().any(|(k, _)| k == c), "{c} is not in CODES");
                if !r.has(c) {
                    failures.push(format!("{name}: expected {c}, got {:?}\n{r}", r.codes()));
                }
            }
            // The reader never panics on it either.
            if let Ok(rd) = IsoReader::open(&b.img) {
                let _ = rd.walk(rd.default_tree());
                let _ = rd.boot_catalog();
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn checksum_of_a_partial_trailing_word() {
        // 3001 bytes: (3001 - 64) % 4 == 1, so the last word is padded.
        let b = sample();
        let lba = b.file_lba["/boot.img"] as usize;
        let data = &b.img[lba * 2048..lba * 2048 + 3001];
        let mut sum = 0u32;
        for w in data[64..].chunks(4) {
            let mut a = [0u8; 4];
            a[..w.len()].copy_from_slice(w);
            sum = sum.wrapping_add(u32::from_le_bytes(a));
        }
        assert_eq!(le32(data, 20), sum);
        // Bytes after the file in its last sector do not count.
        let mut b2 = sample();
        b2.img[lba * 2048 + 3001] = 0xFF;
        assert!(!check(&b2.img).has("boot-info-checksum"));
    }

    #[test]
    fn grub_lookups() {
        let b = sample();
        let ok = |paths: &[&str]| {
            let o = CheckOptions {
                grub_paths: paths.iter().map(|p| p.as_bytes().to_vec()).collect(),
            };
            check_with(&b.img, &o)
        };
        let r = ok(&["/hello.txt", "/sub/deep/f", "boot.img"]);
        assert!(r.is_clean(), "{r}");
        for bad in [
            "/nope",
            "/HELLO.TXT",
            "/sub",
            "/sub/data.bin",
            "/hello.txt/x",
        ] {
            let r = ok(&[bad]);
            assert_eq!(r.codes(), ["grub-path"], "{bad}: {r}");
            assert_eq!(r.problems[0].path.as_deref(), Some(bad));
        }
        // A name in two NM entries: Rock Ridge readers find it, GRUB not.
        let mut s = sample();
        let at = s.rec["/hello.txt"];
        let nm = entry(&s.img, at, b"NM");
        // "hello.txt" -> NM(CONTINUE) "hello" + NM "" isn't encodable in
        // place; set CONTINUE and check the message names the split.
        s.img[nm + 4] = 1;
        let o = CheckOptions {
            grub_paths: vec![b"/hello.txt".to_vec()],
        };
        let r = check_with(&s.img, &o);
        let g: Vec<_> = r.with_code("grub-path").collect();
        assert!(g[0].message.contains("split"), "{r}");
        assert_eq!(
            CheckOptions::grub_legacy().grub_paths,
            [b"/boot/grub/menu.lst".to_vec()]
        );
    }

    #[test]
    fn boot_image_in_two_extents() {
        let tree = vec![multi("BOOT.IMG;1", "boot.img", &boot_image(5000), 4096)];
        let b = build(
            tree,
            &Opts {
                rr: true,
                boot: Some("/boot.img".into()),
            },
        );
        let r = check(&b.img);
        assert_eq!(r.codes(), ["boot-image-extent"], "{r}");
    }

    fn crowded() -> Built {
        // 40 files with 20-byte names: two sectors of records.
        let kids: Vec<Node> = (0..40)
            .map(|i| {
                file(
                    &format!("FILE_WITH_A_LONG_NAME_{i:02}.;1"),
                    &format!("f{i:02}"),
                    b"x",
                )
            })
            .collect();
        build(
            vec![dir("MANY", "many", kids)],
            &Opts {
                rr: true,
                boot: None,
            },
        )
    }

    /// Offset (in the image) and length of the last record of the first
    /// sector of `/many`.
    fn last_in_first_sector(b: &Built) -> (usize, usize) {
        let s = b.dir_lba["/many"] as usize * 2048;
        let mut p = 0;
        let mut last = (0, 0);
        while p < 2048 && b.img[s + p] != 0 {
            last = (s + p, usize::from(b.img[s + p]));
            p += last.1;
        }
        last
    }

    #[test]
    fn sector_boundaries() {
        let b = crowded();
        assert!(check(&b.img).is_clean(), "{}", check(&b.img));
        let (at, len) = last_in_first_sector(&b);
        let room = 2048 - (at % 2048);
        assert!(room > len && room <= 255, "room {room} len {len}");
        // Grow the record to end exactly at the sector end (its SUA gains
        // zero padding): the GRUB Legacy hazard.
        let mut e = crowded();
        e.img[at] = room as u8;
        let r = check(&e.img);
        assert!(r.has("sector-end"), "{r}");
        assert_eq!(r.codes(), ["sector-end"], "{r}");
        // One byte further: it crosses the sector.
        let mut c = crowded();
        c.img[at] = (room + 2) as u8;
        let r = check(&c.img);
        assert!(r.has("record-crosses-sector"), "{r}");
        let rd = IsoReader::open(&c.img).unwrap();
        assert!(rd.list("/many").is_err());
    }

    #[test]
    fn work_is_bounded_on_garbage() {
        // All 0xFF after the descriptors, and a PVD claiming huge sizes.
        let mut b = sample();
        for x in b.img[18 * 2048..].iter_mut() {
            *x = 0xFF;
        }
        let r = check(&b.img);
        assert!(!r.is_clean());
        let mut z = vec![0u8; 20 * 2048];
        z[PVD + 1..PVD + 6].copy_from_slice(b"CD001");
        z[PVD] = 1;
        let r = check(&z);
        assert!(r.has("vd-set"), "{r}");
        assert!(check(&[0u8; 10][..]).has("image-short"));
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use crate::read::testimg::sample;
    use crate::read::{IsoReader, Tree};
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn base() -> &'static Vec<u8> {
        static B: OnceLock<Vec<u8>> = OnceLock::new();
        B.get_or_init(|| sample().img)
    }

    /// Everything the reader offers, on any bytes: must return, not panic.
    pub(crate) fn exercise(img: &[u8]) {
        if let Ok(r) = IsoReader::open(img) {
            for t in [Tree::RockRidge, Tree::Primary, Tree::Joliet] {
                if let Ok(w) = r.walk(t) {
                    for (_, e) in w.iter().take(200) {
                        let _ = r.read_file(e, &mut io::sink());
                    }
                }
                let _ = r.list_tree("/sub", t);
                let _ = r.lookup("/sub/deep/f", t);
            }
            let _ = r.boot_catalog();
        }
        let o = CheckOptions {
            grub_paths: vec![b"/sub/deep/f".to_vec(), b"/hello.txt".to_vec()],
        };
        let _ = check_with(img, &o);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

        #[test]
        fn byte_flips_in_metadata(flips in prop::collection::vec((16usize * 2048..40 * 2048, any::<u8>()), 1..24)) {
            let mut img = base().clone();
            for (at, v) in flips {
                if at < img.len() {
                    img[at] = v;
                }
            }
            exercise(&img);
        }

        #[test]
        fn byte_flips_anywhere(flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let mut img = base().clone();
            let n = img.len();
            for (at, v) in flips {
                img[at % n] ^= v | 1;
            }
            exercise(&img);
        }

        #[test]
        fn truncations(cut in 0usize..60 * 2048) {
            let img = base();
            exercise(&img[..cut.min(img.len())]);
        }
    }
}

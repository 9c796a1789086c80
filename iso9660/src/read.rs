//! Reading an image: list, stat and read files by path in the Rock Ridge,
//! plain ECMA-119 or Joliet tree, and decode the El Torito boot catalog.
//!
//! This reader is written from the specifications (ECMA-119, IEEE P1281
//! SUSP, IEEE P1282 RRIP, the Joliet specification, El Torito 1.0; facts in
//! `shared/reference/iso9660-eltorito.md` §2–§3) and shares no code with the
//! writer, so the two can check each other.
//!
//! [`IsoReader::open`] scans the volume descriptor set (at most
//! [`MAX_DESCRIPTORS`] from LBA 16, up to the terminator), takes the first
//! Primary Volume Descriptor, the first Joliet Supplementary Volume
//! Descriptor and the El Torito Boot Record, and detects Rock Ridge the way
//! illumos hsfs does: the root `.` record's System Use area begins with `SP`
//! (check bytes `BE EF`) and an `ER` entry (inline or through `CE`) names
//! `RRIP_1991A` (RRIP 1.10) or `IEEE_P1282`/`IEEE_1282` (RRIP 1.12).
//!
//! Nothing here panics, loops forever or allocates without bound, whatever
//! the image holds: directory sizes are capped by the image size, every
//! read is range-checked, continuation areas are followed at most
//! [`MAX_CE_HOPS`] times and never twice to the same place, assembled names
//! and symlink targets are capped ([`MAX_NAME_LEN`], [`MAX_SYMLINK_LEN`]),
//! and [`IsoReader::walk`] detects directory loops by extent and caps depth,
//! entries and the directory bytes it reads. Damage is reported as
//! [`IsoError::Corrupt`] naming the structure and its location; the checker
//! ([`crate::check::check`]) goes further and names every deviation.

use crate::IsoError;
use std::collections::HashSet;
use std::io;
use std::path::PathBuf;

/// Logical sector and block size, bytes (ECMA-119 §6.1.2; the only block
/// size this crate reads or writes).
pub const SECTOR: u64 = 2048;
/// LBA of the first volume descriptor (ECMA-119 §6.2.1: the system area is
/// sectors 0–15).
pub const FIRST_VD_LBA: u64 = 16;
/// Most volume descriptors [`IsoReader::open`] scans before giving up on a
/// terminator (hsfs scans 32).
pub const MAX_DESCRIPTORS: u64 = 64;
/// Most `CE` continuation areas followed for one System Use area (Linux
/// `fs/isofs/rock.c` allows 32).
pub const MAX_CE_HOPS: usize = 32;
/// Longest Rock Ridge name (`NM` pieces joined), bytes.
pub const MAX_NAME_LEN: usize = 1024;
/// Longest Rock Ridge symlink target (`SL` components joined), bytes
/// (`PATH_MAX`).
pub const MAX_SYMLINK_LEN: usize = 4096;
/// Deepest directory nesting [`IsoReader::walk`] follows.
pub const MAX_WALK_DEPTH: usize = 1024;
/// Most entries [`IsoReader::walk`] returns.
pub const MAX_WALK_ENTRIES: usize = 1 << 22;
/// Most bytes of paths [`IsoReader::walk`] returns beyond the image's own
/// length: deep directories with long names make paths grow with depth, so
/// without a bound a few MiB of image could ask for gigabytes of paths.
pub const MAX_WALK_PATH_BYTES: u64 = 64 << 20;

/// Directory record file flag bits (ECMA-119 §9.1.6).
pub mod flags {
    /// Bit 0, "Existence": hide the file from the user.
    pub const HIDDEN: u8 = 0x01;
    /// Bit 1: the record identifies a directory.
    pub const DIRECTORY: u8 = 0x02;
    /// Bit 2: an associated file.
    pub const ASSOCIATED: u8 = 0x04;
    /// Bit 3: the file's record format is given in its extended attributes.
    pub const RECORD: u8 = 0x08;
    /// Bit 4: owner/group and permissions are in the extended attributes.
    pub const PROTECTION: u8 = 0x10;
    /// Bit 7, "Multi-Extent": this is not the final record of the file.
    pub const MULTI_EXTENT: u8 = 0x80;
}

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
    /// makes [`IsoReader::open`] report the image as too short).
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

// ---------------------------------------------------------------------------
// Little helpers on byte slices. Out-of-range reads yield 0; callers check
// lengths first, these only keep the code panic-free.

pub(crate) fn u8_at(b: &[u8], at: usize) -> u8 {
    b.get(at).copied().unwrap_or(0)
}

pub(crate) fn le16(b: &[u8], at: usize) -> u16 {
    let mut a = [0u8; 2];
    if let Some(s) = at.checked_add(2).and_then(|e| b.get(at..e)) {
        a.copy_from_slice(s);
    }
    u16::from_le_bytes(a)
}

pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    let mut a = [0u8; 2];
    if let Some(s) = at.checked_add(2).and_then(|e| b.get(at..e)) {
        a.copy_from_slice(s);
    }
    u16::from_be_bytes(a)
}

pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = at.checked_add(4).and_then(|e| b.get(at..e)) {
        a.copy_from_slice(s);
    }
    u32::from_le_bytes(a)
}

pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    if let Some(s) = at.checked_add(4).and_then(|e| b.get(at..e)) {
        a.copy_from_slice(s);
    }
    u32::from_be_bytes(a)
}

pub(crate) fn lossy(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

fn corrupt(msg: String) -> IsoError {
    IsoError::Corrupt(msg)
}

// ---------------------------------------------------------------------------
// Dates.

/// Days from 1970-01-01 to the given proleptic Gregorian date (any year).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // 0..=399
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March = 0
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn unix_time(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, gmtoff: i8) -> i64 {
    days_from_civil(y, mo, d) * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)
        - i64::from(gmtoff) * 900
}

/// Whether the fields of a date are in range: month 1–12, day 1–31, hour
/// < 24, minute < 60, second < 60 (61 allows a leap second), GMT offset
/// −48…+52 quarter hours (ECMA-119 §8.4.26.1, §9.1.5).
pub(crate) fn date_fields_ok(mo: u32, d: u32, h: u32, mi: u32, s: u32, off: i8) -> bool {
    (1..=12).contains(&mo)
        && (1..=31).contains(&d)
        && h < 24
        && mi < 60
        && s <= 60
        && (-48..=52).contains(&off)
}

/// Seconds since the Unix epoch (UTC) of a 7-byte directory record date
/// (ECMA-119 §9.1.5; also RRIP `TF` short form): years since 1900, month,
/// day, hour, minute, second, GMT offset in 15-minute units. `None` for the
/// all-zero "not specified" date or fields out of range.
pub fn dir_date_to_unix(d: &[u8]) -> Option<i64> {
    let d: &[u8; 7] = d.get(..7)?.try_into().ok()?;
    if d.iter().all(|&b| b == 0) {
        return None;
    }
    let off = d[6] as i8;
    let (mo, dd, h, mi, s) = (
        u32::from(d[1]),
        u32::from(d[2]),
        u32::from(d[3]),
        u32::from(d[4]),
        u32::from(d[5]),
    );
    if !date_fields_ok(mo, dd, h, mi, s, off) {
        return None;
    }
    Some(unix_time(1900 + i64::from(d[0]), mo, dd, h, mi, s, off))
}

/// Seconds since the Unix epoch (UTC) of a 17-byte volume descriptor date
/// (ECMA-119 §8.4.26.1; also RRIP `TF` long form): `YYYYMMDDHHMMSScc` as
/// ASCII digits and a signed GMT offset in 15-minute units; hundredths are
/// dropped. `None` for "not specified" (16 `'0'` digits, offset 0), a
/// non-digit, or fields out of range.
pub fn vd_date_to_unix(d: &[u8]) -> Option<i64> {
    let d: &[u8; 17] = d.get(..17)?.try_into().ok()?;
    if !d[..16].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if d[..16].iter().all(|&b| b == b'0') {
        return None;
    }
    let num = |a: usize, b: usize| -> u32 {
        d[a..b]
            .iter()
            .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };
    let (y, mo, dd, h, mi, s) = (
        num(0, 4),
        num(4, 6),
        num(6, 8),
        num(8, 10),
        num(10, 12),
        num(12, 14),
    );
    let off = d[16] as i8;
    if !date_fields_ok(mo, dd, h, mi, s, off) {
        return None;
    }
    Some(unix_time(i64::from(y), mo, dd, h, mi, s, off))
}

// ---------------------------------------------------------------------------
// Directory records.

/// One directory record (ECMA-119 §9.1), both-endian fields taken from
/// their little-endian half (the checker compares the halves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirRecord {
    /// BP 1, length of the record, bytes (even, ≤ 255).
    pub len: u8,
    /// BP 2, extended attribute record length, logical blocks; the file
    /// data starts this many blocks after `extent`.
    pub ext_attr_len: u8,
    /// BP 3–10, LBA of the extent (both-endian u32).
    pub extent: u32,
    /// BP 11–18, data length, bytes (both-endian u32).
    pub data_len: u32,
    /// BP 19–25, recording date (7-byte form, §9.1.5).
    pub date: [u8; 7],
    /// BP 26, file flags ([`flags`]).
    pub flags: u8,
    /// BP 27, file unit size for interleaved files (0: not interleaved).
    pub file_unit_size: u8,
    /// BP 28, interleave gap size (0: not interleaved).
    pub interleave_gap: u8,
    /// BP 29–32, volume sequence number (both-endian u16).
    pub vol_seq: u16,
    /// BP 34…, the file identifier: `0x00` for `.`, `0x01` for `..`,
    /// d-characters `NAME.EXT;VERSION` in the primary tree, UCS-2 BE in
    /// Joliet.
    pub ident: Vec<u8>,
    /// The System Use area: the bytes after the identifier and its pad byte
    /// (SUSP entries in a Rock Ridge tree).
    pub system_use: Vec<u8>,
}

/// Fixed part of a directory record, bytes (BP 1–33).
pub const DIR_RECORD_FIXED: usize = 33;

impl DirRecord {
    /// Parse the record at the start of `b`; `b` must hold at least the
    /// record's length (its first byte). Errors describe the malformed field.
    pub fn parse(b: &[u8]) -> Result<DirRecord, String> {
        let len = usize::from(u8_at(b, 0));
        if len < DIR_RECORD_FIXED + 1 {
            return Err(format!(
                "record length is {len}, less than the minimum {}",
                DIR_RECORD_FIXED + 1
            ));
        }
        if b.len() < len {
            return Err(format!(
                "record length is {len}, but only {} bytes remain",
                b.len()
            ));
        }
        let id_len = usize::from(b[32]);
        if id_len == 0 {
            return Err("file identifier length is 0".into());
        }
        let id_end = DIR_RECORD_FIXED + id_len;
        if id_end > len {
            return Err(format!(
                "file identifier length {id_len} passes the end of the {len}-byte record"
            ));
        }
        let su_start = (id_end + usize::from(id_len % 2 == 0)).min(len);
        let mut date = [0u8; 7];
        date.copy_from_slice(&b[18..25]);
        Ok(DirRecord {
            len: b[0],
            ext_attr_len: b[1],
            extent: le32(b, 2),
            data_len: le32(b, 10),
            date,
            flags: b[25],
            file_unit_size: b[26],
            interleave_gap: b[27],
            vol_seq: le16(b, 28),
            ident: b[DIR_RECORD_FIXED..id_end].to_vec(),
            system_use: b[su_start..len].to_vec(),
        })
    }

    /// The directory flag (bit 1) is set.
    pub fn is_dir(&self) -> bool {
        self.flags & flags::DIRECTORY != 0
    }

    /// The identifier is the single byte `0x00` (`.`, the directory itself).
    pub fn is_dot(&self) -> bool {
        self.ident == [0]
    }

    /// The identifier is the single byte `0x01` (`..`, the parent).
    pub fn is_dotdot(&self) -> bool {
        self.ident == [1]
    }

    /// Byte offset of the record's extent in the image.
    pub fn extent_offset(&self) -> u64 {
        u64::from(self.extent) * SECTOR
    }
}

/// The name a reader shows for a primary-tree identifier: `;1` stripped,
/// then one trailing `.` (as GRUB Legacy and Linux do); `.`/`..` for the
/// special identifiers 0x00/0x01.
pub fn iso_display_name(ident: &[u8]) -> Vec<u8> {
    match ident {
        [0] => return b".".to_vec(),
        [1] => return b"..".to_vec(),
        _ => {}
    }
    let mut n = ident;
    if let Some(s) = n.strip_suffix(b";1") {
        n = s;
    }
    if let Some(s) = n.strip_suffix(b".") {
        if !s.is_empty() {
            n = s;
        }
    }
    n.to_vec()
}

/// UTF-8 of a Joliet (UCS-2 big-endian) identifier, `;1` and then one
/// trailing `.` stripped like [`iso_display_name`]. Code units that are
/// not valid UTF-16 become U+FFFD; an odd trailing byte is dropped.
pub fn joliet_display_name(ident: &[u8]) -> Vec<u8> {
    match ident {
        [0] => return b".".to_vec(),
        [1] => return b"..".to_vec(),
        _ => {}
    }
    let units = ident
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    let s: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let mut n = s.as_str();
    if let Some(t) = n.strip_suffix(";1") {
        n = t;
    }
    if let Some(t) = n.strip_suffix('.') {
        if !t.is_empty() {
            n = t;
        }
    }
    n.as_bytes().to_vec()
}

// ---------------------------------------------------------------------------
// SUSP.

/// One System Use entry (IEEE P1281 §4: signature, length, version, data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspEntry {
    /// The two signature bytes, e.g. `*b"NM"`.
    pub sig: [u8; 2],
    /// The entry's length byte (header included), bytes.
    pub len: u8,
    /// The version byte (1 for every SUSP 1.10/RRIP 1.10 entry).
    pub version: u8,
    /// The bytes after the 4-byte header.
    pub data: Vec<u8>,
    /// Byte offset of the entry in the image.
    pub offset: u64,
    /// 0 inside the directory record, n for the n-th continuation area.
    pub area: usize,
}

/// A continuation area (`CE`, IEEE P1281 §5.1) as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CeArea {
    pub block: u32,
    pub offset: u32,
    pub len: u32,
    /// Byte offset of the CE entry itself.
    pub entry_at: u64,
}

/// What went wrong while gathering System Use entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SuspFault {
    /// An entry whose length is < 4 or passes the end of its area, or bytes
    /// that are not an entry; `at` is the byte offset in the image.
    Framing { at: u64, msg: String },
    /// A `CE` whose area lies (partly) outside the image, or is longer than
    /// one block.
    CeRange { ce: CeArea, msg: String },
    /// A `CE` whose area crosses a 2048-byte block boundary (Linux rejects
    /// it; the reader still follows it when it lies inside the image).
    CeCrossesBlock { ce: CeArea },
    /// More than [`MAX_CE_HOPS`] continuation areas, or a `CE` leading back
    /// to an area already read.
    CeChain { ce: CeArea, msg: String },
    /// A `CE` entry whose length is not 28 or whose both-endian halves
    /// differ.
    CeEntry { at: u64, msg: String },
}

/// Gather the System Use entries of one record: `sua` is its System Use
/// area (after any `SP` skip), found at byte `sua_at` in the image; `CE`
/// areas are read through `r`. Stops at `ST`. Returns the entries in order
/// and the faults met; never fails.
pub(crate) fn gather_susp<R: ReadAt + ?Sized>(
    r: &R,
    sua: &[u8],
    sua_at: u64,
) -> (Vec<SuspEntry>, Vec<SuspFault>) {
    let image_len = r.size();
    let mut entries = Vec::new();
    let mut faults = Vec::new();
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    let mut area: Vec<u8> = sua.to_vec();
    let mut area_at = sua_at;
    let mut area_no = 0usize;
    loop {
        let mut next: Option<CeArea> = None;
        let mut i = 0usize;
        let mut stop = false;
        while i < area.len() {
            let at = area_at.saturating_add(i as u64);
            let rest = &area[i..];
            if rest.len() < 4 {
                if rest.iter().any(|&b| b != 0) {
                    faults.push(SuspFault::Framing {
                        at,
                        msg: format!("{} trailing bytes that are not an entry", rest.len()),
                    });
                }
                break;
            }
            if rest[0] == 0 && rest[1] == 0 {
                // Zero padding ends the area.
                if rest.iter().any(|&b| b != 0) {
                    faults.push(SuspFault::Framing {
                        at,
                        msg: "an entry with signature 00 00".into(),
                    });
                }
                break;
            }
            let len = usize::from(rest[2]);
            if len < 4 || len > rest.len() {
                faults.push(SuspFault::Framing {
                    at,
                    msg: format!(
                        "entry {} has length {len}, {} bytes remain in its area",
                        lossy(&rest[..2]),
                        rest.len()
                    ),
                });
                break;
            }
            let e = SuspEntry {
                sig: [rest[0], rest[1]],
                len: rest[2],
                version: rest[3],
                data: rest[4..len].to_vec(),
                offset: at,
                area: area_no,
            };
            i += len;
            match &e.sig {
                b"CE" => {
                    if len != 28 {
                        faults.push(SuspFault::CeEntry {
                            at,
                            msg: format!("CE length is {len}, expected 28"),
                        });
                    } else {
                        let d = &e.data;
                        let ce = CeArea {
                            block: le32(d, 0),
                            offset: le32(d, 8),
                            len: le32(d, 16),
                            entry_at: at,
                        };
                        if be32(d, 4) != ce.block
                            || be32(d, 12) != ce.offset
                            || be32(d, 20) != ce.len
                        {
                            faults.push(SuspFault::CeEntry {
                                at,
                                msg: "CE both-endian halves differ".into(),
                            });
                        }
                        next = Some(ce);
                    }
                }
                b"ST" => stop = true,
                _ => {}
            }
            entries.push(e);
            if stop {
                break;
            }
        }
        let Some(ce) = next else { break };
        area_no += 1;
        if area_no > MAX_CE_HOPS {
            faults.push(SuspFault::CeChain {
                ce,
                msg: format!("more than {MAX_CE_HOPS} continuation areas"),
            });
            break;
        }
        if !seen.insert((ce.block, ce.offset)) {
            faults.push(SuspFault::CeChain {
                ce,
                msg: format!(
                    "CE leads back to block {} offset {}, already read",
                    ce.block, ce.offset
                ),
            });
            break;
        }
        let start = u64::from(ce.block)
            .checked_mul(SECTOR)
            .and_then(|s| s.checked_add(u64::from(ce.offset)));
        let end = start.and_then(|s| s.checked_add(u64::from(ce.len)));
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) if e <= image_len && u64::from(ce.len) <= SECTOR => (s, e),
            _ => {
                faults.push(SuspFault::CeRange {
                    ce,
                    msg: format!(
                        "CE area block {} offset {} length {} lies outside the {image_len}-byte image or is longer than {SECTOR} bytes",
                        ce.block, ce.offset, ce.len
                    ),
                });
                break;
            }
        };
        if u64::from(ce.offset) + u64::from(ce.len) > SECTOR {
            faults.push(SuspFault::CeCrossesBlock { ce });
        }
        let mut buf = vec![0u8; (end - start) as usize];
        if let Err(e) = r.read_exact_at(&mut buf, start) {
            faults.push(SuspFault::CeRange {
                ce,
                msg: format!("reading the CE area at byte {start}: {e}"),
            });
            break;
        }
        area = buf;
        area_at = start;
    }
    (entries, faults)
}

/// Rock Ridge attributes decoded from a record's System Use entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RrAttrs {
    /// `NM` pieces joined (None if no NM).
    pub name: Option<Vec<u8>>,
    /// Number of NM entries.
    pub nm_count: usize,
    /// `PX`: mode, nlink, uid, gid, and the serial (44-byte form).
    pub px: Option<(u32, u32, u32, u32, Option<u32>)>,
    /// `PN`: (high, low).
    pub pn: Option<(u32, u32)>,
    /// `SL` assembled.
    pub symlink: Option<Vec<u8>>,
    /// `TF` modify time.
    pub mtime: Option<i64>,
    /// `CL` child link LBA.
    pub cl: Option<u32>,
    /// `PL` parent link LBA.
    pub pl: Option<u32>,
    /// `RE` present.
    pub re: bool,
    /// Decoding problems (capped lengths exceeded, malformed entries).
    pub faults: Vec<String>,
}

/// Join the components of `SL` entries into a path (RRIP §4.1.3.1):
/// component flags CONTINUE 1 (the component goes on in the next one),
/// CURRENT 2 (`.`), PARENT 4 (`..`), ROOT 8 (`/`); other flag bits
/// (VOLROOT 16, HOST 32) are treated as ROOT.
fn append_sl(out: &mut Vec<u8>, need_sep: &mut bool, data: &[u8]) -> Result<(), String> {
    // data[0] is the SL entry's own flags; components follow.
    let mut i = 1usize;
    while i < data.len() {
        if i + 2 > data.len() {
            return Err("SL component header cut short".into());
        }
        let cflags = data[i];
        let clen = usize::from(data[i + 1]);
        let text = data
            .get(i + 2..i + 2 + clen)
            .ok_or_else(|| format!("SL component of length {clen} passes the entry's end"))?;
        i += 2 + clen;
        if *need_sep {
            out.push(b'/');
            *need_sep = false;
        }
        let root = match cflags & !1 {
            0 => {
                out.extend_from_slice(text);
                false
            }
            2 => {
                out.push(b'.');
                false
            }
            4 => {
                out.extend_from_slice(b"..");
                false
            }
            _ => {
                out.push(b'/');
                true
            }
        };
        if cflags & 1 == 0 && !root {
            *need_sep = true;
        }
        if out.len() > MAX_SYMLINK_LEN {
            return Err(format!(
                "symlink target longer than {MAX_SYMLINK_LEN} bytes"
            ));
        }
    }
    Ok(())
}

/// Decode the Rock Ridge entries among `entries` (any version byte).
pub(crate) fn decode_rr(entries: &[SuspEntry]) -> RrAttrs {
    let mut a = RrAttrs::default();
    let mut sl: Option<Vec<u8>> = None;
    let mut sl_sep = false;
    for e in entries {
        let d = &e.data;
        match &e.sig {
            b"NM" => {
                a.nm_count += 1;
                let n = a.name.get_or_insert_with(Vec::new);
                let fl = u8_at(d, 0);
                if fl & 2 != 0 {
                    n.push(b'.');
                } else if fl & 4 != 0 {
                    n.extend_from_slice(b"..");
                } else {
                    n.extend_from_slice(d.get(1..).unwrap_or(&[]));
                }
                if n.len() > MAX_NAME_LEN {
                    a.faults
                        .push(format!("NM name longer than {MAX_NAME_LEN} bytes"));
                    n.truncate(MAX_NAME_LEN);
                }
            }
            b"PX" => {
                if d.len() >= 32 {
                    let serial = (d.len() >= 40).then(|| le32(d, 32));
                    a.px = Some((le32(d, 0), le32(d, 8), le32(d, 16), le32(d, 24), serial));
                } else {
                    a.faults.push(format!("PX length {} is too short", e.len));
                }
            }
            b"PN" => {
                if d.len() >= 16 {
                    a.pn = Some((le32(d, 0), le32(d, 8)));
                } else {
                    a.faults.push(format!("PN length {} is too short", e.len));
                }
            }
            b"SL" => {
                let out = sl.get_or_insert_with(Vec::new);
                if let Err(m) = append_sl(out, &mut sl_sep, d) {
                    a.faults.push(m);
                    out.truncate(MAX_SYMLINK_LEN);
                }
            }
            b"TF" => match tf_stamp(d, 2) {
                Ok(t) => {
                    if t.is_some() {
                        a.mtime = t;
                    }
                }
                Err(m) => a.faults.push(m),
            },
            b"CL" => {
                if d.len() >= 8 {
                    a.cl = Some(le32(d, 0));
                } else {
                    a.faults.push(format!("CL length {} is too short", e.len));
                }
            }
            b"PL" => {
                if d.len() >= 8 {
                    a.pl = Some(le32(d, 0));
                } else {
                    a.faults.push(format!("PL length {} is too short", e.len));
                }
            }
            b"RE" => a.re = true,
            _ => {}
        }
    }
    a.symlink = sl;
    a
}

/// The time stamp selected by `bit` (1 creation, 2 modify, 4 access, 8
/// attributes, …) of a `TF` entry's data (RRIP §4.1.6), as Unix seconds;
/// `Ok(None)` if the entry does not record it or it is "not specified".
pub(crate) fn tf_stamp(d: &[u8], bit: u8) -> Result<Option<i64>, String> {
    let fl = u8_at(d, 0);
    let size = if fl & 0x80 != 0 { 17 } else { 7 };
    let count = (fl & 0x7f).count_ones() as usize;
    if d.len() < 1 + count * size {
        return Err(format!(
            "TF flags {fl:#04x} need {} stamps of {size} bytes, the entry has {} bytes of data",
            count,
            d.len()
        ));
    }
    if fl & bit == 0 {
        return Ok(None);
    }
    let idx = (fl & (bit - 1) & 0x7f).count_ones() as usize;
    let s = &d[1 + idx * size..1 + (idx + 1) * size];
    Ok(if size == 17 {
        vd_date_to_unix(s)
    } else {
        dir_date_to_unix(s)
    })
}

// ---------------------------------------------------------------------------
// Volume descriptors.

/// Which directory hierarchy to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tree {
    /// The primary tree with Rock Ridge: names from `NM`, attributes from
    /// `PX`/`PN`/`SL`/`TF`, relocated directories followed through `CL`
    /// and hidden where `RE` marks them (RRIP §4.1.5).
    RockRidge,
    /// The primary tree as plain ECMA-119: identifiers only, `;1` and a
    /// trailing `.` stripped from names, System Use areas ignored.
    Primary,
    /// The Joliet tree of the first Joliet Supplementary Volume
    /// Descriptor: UCS-2 names converted to UTF-8.
    Joliet,
}

impl Tree {
    fn label(self) -> &'static str {
        match self {
            Tree::RockRidge => "Rock Ridge",
            Tree::Primary => "primary",
            Tree::Joliet => "Joliet",
        }
    }
}

/// The fields of a Primary or Supplementary Volume Descriptor the reader
/// uses (ECMA-119 §8.4, §8.5), both-endian fields from their LE half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeDescriptor {
    /// LBA of the descriptor.
    pub lba: u64,
    /// BP 1, descriptor type: 1 primary, 2 supplementary.
    pub vd_type: u8,
    /// BP 7, descriptor version (1; 2 for an ISO 9660:1999 enhanced one).
    pub version: u8,
    /// BP 9–40, system identifier, as recorded (space padded).
    pub system_id: Vec<u8>,
    /// BP 41–72, volume identifier, as recorded (d-characters space padded
    /// in the PVD, UCS-2 BE in Joliet).
    pub volume_id: Vec<u8>,
    /// BP 81–88, volume space size, logical blocks.
    pub volume_space_size: u32,
    /// BP 89–120 of an SVD, escape sequences (Joliet: `%/@`, `%/C`, `%/E`
    /// in the first three bytes); zero in the PVD.
    pub escapes: [u8; 32],
    /// BP 129–132, logical block size, bytes (2048).
    pub logical_block_size: u16,
    /// BP 133–140, path table size, bytes.
    pub path_table_size: u32,
    /// BP 141–144, LBA of the type L (little-endian) path table.
    pub l_path_table: u32,
    /// BP 145–148, LBA of the optional type L path table (0: none).
    pub opt_l_path_table: u32,
    /// BP 149–152, LBA of the type M (big-endian) path table.
    pub m_path_table: u32,
    /// BP 153–156, LBA of the optional type M path table (0: none).
    pub opt_m_path_table: u32,
    /// BP 157–190, the root directory record.
    pub root: DirRecord,
    /// BP 814–830, volume creation date (17-byte form).
    pub creation_date: [u8; 17],
    /// BP 831–847, volume modification date (17-byte form).
    pub modification_date: [u8; 17],
}

impl VolumeDescriptor {
    /// Decode a PVD/SVD sector found at `lba`.
    pub fn parse(lba: u64, s: &[u8]) -> Result<VolumeDescriptor, String> {
        if s.len() < SECTOR as usize {
            return Err(format!("descriptor at LBA {lba} is short"));
        }
        let root = DirRecord::parse(&s[156..190])
            .map_err(|m| format!("volume descriptor at LBA {lba}: root directory record: {m}"))?;
        let mut escapes = [0u8; 32];
        escapes.copy_from_slice(&s[88..120]);
        let mut creation_date = [0u8; 17];
        creation_date.copy_from_slice(&s[813..830]);
        let mut modification_date = [0u8; 17];
        modification_date.copy_from_slice(&s[830..847]);
        Ok(VolumeDescriptor {
            lba,
            vd_type: s[0],
            version: s[6],
            system_id: s[8..40].to_vec(),
            volume_id: s[40..72].to_vec(),
            volume_space_size: le32(s, 80),
            escapes,
            logical_block_size: le16(s, 128),
            path_table_size: le32(s, 132),
            l_path_table: le32(s, 140),
            opt_l_path_table: le32(s, 144),
            m_path_table: be32(s, 148),
            opt_m_path_table: be32(s, 152),
            root,
            creation_date,
            modification_date,
        })
    }

    /// The Joliet UCS-2 level (1, 2 or 3) if this is a supplementary
    /// descriptor whose escape sequence is `%/@`, `%/C` or `%/E`.
    pub fn joliet_level(&self) -> Option<u8> {
        if self.vd_type != 2 || self.escapes[0] != b'%' || self.escapes[1] != b'/' {
            return None;
        }
        match self.escapes[2] {
            b'@' => Some(1),
            b'C' => Some(2),
            b'E' => Some(3),
            _ => None,
        }
    }
}

/// The `EL TORITO SPECIFICATION` boot record identifier (El Torito §2.0,
/// Boot System Identifier, NUL padded to 32 bytes).
pub const EL_TORITO_ID: &[u8] = b"EL TORITO SPECIFICATION";

/// How Rock Ridge was detected (IEEE P1281 §5.3 `SP`, §5.5 `ER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RockRidge {
    /// `SP` `LEN_SKP`: bytes to skip at the start of every other System
    /// Use area (0 in every image GRUB Legacy can read).
    pub skip: u8,
    /// The `ER` extension identifier found (`RRIP_1991A`, `IEEE_P1282` or
    /// `IEEE_1282`).
    pub er_id: Vec<u8>,
}

/// The ER identifiers that mean Rock Ridge: RRIP 1.10 and RRIP 1.12.
pub const RRIP_IDS: &[&[u8]] = &[b"RRIP_1991A", b"IEEE_P1282", b"IEEE_1282"];

/// The value of an `ER` entry's extension identifier, if the entry is well
/// formed (IEEE P1281 §5.5: `LEN_ID`, `LEN_DES`, `LEN_SRC`, `EXT_VER`, then
/// the three strings).
pub(crate) fn er_ident(data: &[u8]) -> Option<&[u8]> {
    let len_id = usize::from(*data.first()?);
    data.get(4..4 + len_id)
}

// ---------------------------------------------------------------------------
// El Torito.

/// The validation entry, bytes 0–31 of the boot catalog (El Torito §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationEntry {
    /// Byte 0, header ID (must be 1).
    pub header_id: u8,
    /// Byte 1, platform ID: 0 x86, 1 PowerPC, 2 Mac, 0xEF EFI.
    pub platform_id: u8,
    /// Bytes 4–27, ID string (manufacturer; usually zero).
    pub id_string: [u8; 24],
    /// Bytes 28–29, checksum word (LE).
    pub checksum: u16,
    /// Bytes 30–31, key bytes (must be 0x55 0xAA).
    pub key: [u8; 2],
    /// Whether the 16 little-endian words of the entry sum to 0 mod 2^16.
    pub checksum_ok: bool,
}

/// An initial/default or section entry (El Torito §2.2, §2.4); all
/// integers little-endian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootEntry {
    /// Byte 0, boot indicator: 0x88 bootable, 0x00 not bootable.
    pub boot_indicator: u8,
    /// Whether the boot indicator is 0x88.
    pub bootable: bool,
    /// Byte 1, boot media type, low nibble: 0 no emulation, 1 1.2 MB
    /// floppy, 2 1.44 MB, 3 2.88 MB, 4 hard disk (section entries use the
    /// high bits as flags; this is the whole byte).
    pub media: u8,
    /// Bytes 2–3, load segment (0 means the BIOS default 0x07C0).
    pub load_segment: u16,
    /// Byte 4, system type (partition type byte for hard-disk emulation).
    pub system_type: u8,
    /// Bytes 6–7, sector count: 512-byte virtual sectors loaded at boot.
    pub sector_count: u16,
    /// Bytes 8–11, load RBA: the LBA (2048-byte sectors) of the boot image.
    pub lba: u32,
    /// Byte 12 of a section entry, selection criteria type (0 in the
    /// default entry).
    pub selection_criteria: u8,
}

impl BootEntry {
    fn parse(e: &[u8]) -> BootEntry {
        BootEntry {
            boot_indicator: u8_at(e, 0),
            bootable: u8_at(e, 0) == 0x88,
            media: u8_at(e, 1),
            load_segment: le16(e, 2),
            system_type: u8_at(e, 4),
            sector_count: le16(e, 6),
            lba: le32(e, 8),
            selection_criteria: u8_at(e, 12),
        }
    }
}

/// A section header (0x90 more follow, 0x91 final) and its entries
/// (El Torito §2.3, §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootSection {
    /// Byte 0: 0x90 or 0x91.
    pub header_indicator: u8,
    /// Byte 1, platform ID (0xEF for UEFI).
    pub platform_id: u8,
    /// Bytes 4–31, ID string.
    pub id_string: [u8; 28],
    /// The section entries that follow (extension entries, 0x44, skipped).
    pub entries: Vec<BootEntry>,
}

/// The El Torito boot catalog (first 2048-byte sector).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootCatalog {
    /// LBA of the catalog (from the Boot Record, bytes 71–74 LE).
    pub lba: u32,
    /// The validation entry.
    pub validation: ValidationEntry,
    /// The initial/default entry, bytes 32–63.
    pub default_entry: BootEntry,
    /// Section headers and entries after the default entry, in order, up
    /// to the final header (0x91), an unused slot or the end of the sector.
    pub sections: Vec<BootSection>,
    /// The catalog's first 2048 bytes as recorded.
    pub raw: Vec<u8>,
}

impl BootCatalog {
    /// Decode a catalog sector found at `lba`.
    pub fn parse(lba: u32, raw: &[u8]) -> BootCatalog {
        let v = raw.get(..32).unwrap_or(&[]);
        let sum = (0..16).fold(0u16, |acc, i| acc.wrapping_add(le16(v, 2 * i)));
        let mut id_string = [0u8; 24];
        if let Some(s) = v.get(4..28) {
            id_string.copy_from_slice(s);
        }
        let validation = ValidationEntry {
            header_id: u8_at(v, 0),
            platform_id: u8_at(v, 1),
            id_string,
            checksum: le16(v, 28),
            key: [u8_at(v, 30), u8_at(v, 31)],
            checksum_ok: v.len() == 32 && sum == 0,
        };
        let default_entry = BootEntry::parse(raw.get(32..64).unwrap_or(&[]));
        let mut sections = Vec::new();
        let mut pos = 64usize;
        while let Some(h) = raw.get(pos..pos + 32) {
            if h[0] != 0x90 && h[0] != 0x91 {
                break;
            }
            let count = usize::from(le16(h, 2));
            let mut id = [0u8; 28];
            id.copy_from_slice(&h[4..32]);
            let mut sec = BootSection {
                header_indicator: h[0],
                platform_id: h[1],
                id_string: id,
                entries: Vec::new(),
            };
            pos += 32;
            let mut n = 0;
            while n < count {
                let Some(e) = raw.get(pos..pos + 32) else {
                    break;
                };
                pos += 32;
                if e[0] == 0x44 {
                    continue; // extension entry
                }
                sec.entries.push(BootEntry::parse(e));
                n += 1;
            }
            let last = h[0] == 0x91;
            sections.push(sec);
            if last {
                break;
            }
        }
        BootCatalog {
            lba,
            validation,
            default_entry,
            sections,
            raw: raw.to_vec(),
        }
    }
}

// ---------------------------------------------------------------------------
// Entries.

/// A file, directory, symlink or device as one of the trees shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name: the Rock Ridge `NM` name in [`Tree::RockRidge`] (the ISO
    /// name if there is no NM), the identifier with `;1` and one trailing
    /// `.` stripped in [`Tree::Primary`], UTF-8 in [`Tree::Joliet`]. Empty
    /// for the root.
    pub name: Vec<u8>,
    /// The file identifier as recorded (d-characters, or UCS-2 BE in
    /// Joliet; `[0]` for the root).
    pub iso_name: Vec<u8>,
    /// A directory (flag bit 1, or a Rock Ridge `CL` child link).
    pub is_dir: bool,
    /// Size, bytes: the sum of the data lengths of every record of a
    /// multi-extent file (ECMA-119 §6.5.1); a directory's data length.
    pub size: u64,
    /// The file's extents in order: (LBA where the data starts, length in
    /// bytes). One per record; the extended attribute record, if any, is
    /// skipped.
    pub extents: Vec<(u32, u32)>,
    /// File flags of the (last) directory record ([`flags`]).
    pub flags: u8,
    /// Whether a record gives a nonzero file unit size or interleave gap
    /// (interleaved files are not read).
    pub interleaved: bool,
    /// `PX` file mode: type and permission bits, POSIX `st_mode` values
    /// (RRIP §4.1.1).
    pub mode: Option<u32>,
    /// `PX` link count.
    pub nlink: Option<u32>,
    /// `PX` owner user id.
    pub uid: Option<u32>,
    /// `PX` owner group id.
    pub gid: Option<u32>,
    /// `PX` file serial number (only in the 44-byte RRIP 1.12 form).
    pub serial: Option<u32>,
    /// `PN` device number as (dev_t high, dev_t low) (RRIP §4.1.2). illumos
    /// hsfs and genisoimage use these as (major, minor); xorriso records
    /// (0, Linux `dev_t`).
    pub rdev: Option<(u32, u32)>,
    /// `SL` symlink target, components joined with `/` (RRIP §4.1.3),
    /// across `SL` entries and continuation areas.
    pub symlink: Option<Vec<u8>>,
    /// Modification time, seconds since the Unix epoch (UTC): `TF` MODIFY
    /// in the Rock Ridge tree, else the directory record's recording date.
    pub mtime: Option<i64>,
    /// Byte offset in the image of the (first) directory record.
    pub record_offset: u64,
}

impl Entry {
    /// The LBA and length of the first extent (LBA 0, length 0 for an
    /// empty file without extents).
    pub fn first_extent(&self) -> (u32, u32) {
        self.extents.first().copied().unwrap_or((0, 0))
    }
}

/// Reads an ISO 9660 image through [`ReadAt`].
#[derive(Debug)]
pub struct IsoReader<R: ReadAt> {
    r: R,
    image_len: u64,
    descriptors: Vec<(u64, u8)>,
    pvd: VolumeDescriptor,
    joliet: Option<VolumeDescriptor>,
    catalog_lba: Option<u32>,
    rock_ridge: Option<RockRidge>,
}

/// A directory being walked: (its path, its entries, next entry).
type WalkFrame = (Vec<u8>, Vec<Entry>, usize);

impl<R: ReadAt> IsoReader<R> {
    /// Scan the volume descriptor set from LBA 16 (at most
    /// [`MAX_DESCRIPTORS`], stopping at the terminator, type 255), take the
    /// first PVD, the first Joliet SVD and the El Torito boot record, and
    /// detect Rock Ridge. Fails if there is no PVD, its logical block size
    /// is not 2048, or its root record is not a directory.
    pub fn open(r: R) -> Result<Self, IsoError> {
        let image_len = r.size();
        let mut descriptors = Vec::new();
        let mut pvd = None;
        let mut joliet = None;
        let mut catalog_lba = None;
        let mut s = vec![0u8; SECTOR as usize];
        for lba in FIRST_VD_LBA..FIRST_VD_LBA + MAX_DESCRIPTORS {
            let at = lba * SECTOR;
            if at + SECTOR > image_len {
                break;
            }
            r.read_exact_at(&mut s, at).map_err(|e| IsoError::Io {
                path: PathBuf::from(format!("volume descriptor at LBA {lba}")),
                source: e,
            })?;
            if &s[1..6] != b"CD001" {
                break;
            }
            descriptors.push((lba, s[0]));
            match s[0] {
                255 => break,
                1 if pvd.is_none() => pvd = Some(VolumeDescriptor::parse(lba, &s)),
                2 if joliet.is_none() => {
                    if let Ok(v) = VolumeDescriptor::parse(lba, &s) {
                        if v.joliet_level().is_some() && v.version == 1 && v.root.is_dir() {
                            joliet = Some(v);
                        }
                    }
                }
                0 if catalog_lba.is_none() && s[7..7 + EL_TORITO_ID.len()] == *EL_TORITO_ID => {
                    catalog_lba = Some(le32(&s, 71));
                }
                _ => {}
            }
        }
        let pvd = match pvd {
            Some(p) => p.map_err(corrupt)?,
            None => {
                return Err(corrupt(format!(
                    "no primary volume descriptor (type 1, \"CD001\") in the {} descriptors from LBA {FIRST_VD_LBA} of a {image_len}-byte image",
                    descriptors.len()
                )))
            }
        };
        if u64::from(pvd.logical_block_size) != SECTOR {
            return Err(corrupt(format!(
                "primary volume descriptor at LBA {}: logical block size is {}, only {SECTOR} is supported",
                pvd.lba, pvd.logical_block_size
            )));
        }
        if !pvd.root.is_dir() {
            return Err(corrupt(format!(
                "primary volume descriptor at LBA {}: the root directory record lacks the directory flag",
                pvd.lba
            )));
        }
        let mut me = IsoReader {
            r,
            image_len,
            descriptors,
            pvd,
            joliet,
            catalog_lba,
            rock_ridge: None,
        };
        me.rock_ridge = me.detect_rock_ridge();
        Ok(me)
    }

    /// The image length, bytes.
    pub fn image_len(&self) -> u64 {
        self.image_len
    }

    /// The descriptors scanned: (LBA, type) in order, up to and including
    /// the terminator.
    pub fn descriptors(&self) -> &[(u64, u8)] {
        &self.descriptors
    }

    /// The first Primary Volume Descriptor.
    pub fn primary(&self) -> &VolumeDescriptor {
        &self.pvd
    }

    /// The first Joliet Supplementary Volume Descriptor, if any.
    pub fn joliet(&self) -> Option<&VolumeDescriptor> {
        self.joliet.as_ref()
    }

    /// How Rock Ridge was detected, if it was.
    pub fn rock_ridge(&self) -> Option<&RockRidge> {
        self.rock_ridge.as_ref()
    }

    /// The boot catalog LBA from the El Torito Boot Record, if there is one.
    pub fn catalog_lba(&self) -> Option<u32> {
        self.catalog_lba
    }

    /// Whether the image has `tree`.
    pub fn has_tree(&self, tree: Tree) -> bool {
        match tree {
            Tree::RockRidge => self.rock_ridge.is_some(),
            Tree::Primary => true,
            Tree::Joliet => self.joliet.is_some(),
        }
    }

    /// [`Tree::RockRidge`] if detected, else [`Tree::Primary`]: the tree
    /// [`list`](Self::list), [`stat`](Self::stat) and
    /// [`read_path`](Self::read_path) use.
    pub fn default_tree(&self) -> Tree {
        if self.rock_ridge.is_some() {
            Tree::RockRidge
        } else {
            Tree::Primary
        }
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
    ) -> Result<(), IsoError> {
        let end = offset.checked_add(buf.len() as u64);
        if !matches!(end, Some(e) if e <= self.image_len) {
            return Err(corrupt(format!(
                "{}: {} bytes at byte {offset} pass the end of the {}-byte image",
                what(),
                buf.len(),
                self.image_len
            )));
        }
        self.r.read_exact_at(buf, offset).map_err(|e| IsoError::Io {
            path: PathBuf::from(what()),
            source: e,
        })
    }

    /// The records of the directory whose extent is `lba` and data length
    /// `size`, with each record's byte offset, in stored order.
    fn dir_records(
        &self,
        lba: u32,
        size: u64,
        what: &dyn Fn() -> String,
    ) -> Result<Vec<(u64, DirRecord)>, IsoError> {
        let start = u64::from(lba) * SECTOR;
        if size > self.image_len || start.saturating_add(size) > self.image_len {
            return Err(corrupt(format!(
                "{}: directory extent LBA {lba} with data length {size} passes the end of the {}-byte image",
                what(),
                self.image_len
            )));
        }
        let mut out = Vec::new();
        let mut sec = vec![0u8; SECTOR as usize];
        let mut off = 0u64;
        while off < size {
            let n = (size - off).min(SECTOR) as usize;
            let b = &mut sec[..n];
            self.read_at(b, start + off, what)?;
            let mut p = 0usize;
            while p < n {
                let len = usize::from(b[p]);
                if len == 0 {
                    break; // the rest of the sector is unused
                }
                if p + len > n {
                    return Err(corrupt(format!(
                        "{}: directory record at byte {} (length {len}) crosses the end of its sector",
                        what(),
                        start + off + p as u64
                    )));
                }
                let rec = DirRecord::parse(&b[p..p + len]).map_err(|m| {
                    corrupt(format!(
                        "{}: directory record at byte {}: {m}",
                        what(),
                        start + off + p as u64
                    ))
                })?;
                out.push((start + off + p as u64, rec));
                p += len;
            }
            off += n as u64;
        }
        Ok(out)
    }

    /// The System Use entries of `rec` (at image byte `at`), `SP` skip
    /// applied unless `is_root_dot`.
    fn susp_of(&self, rec: &DirRecord, at: u64, is_root_dot: bool) -> Vec<SuspEntry> {
        let skip = if is_root_dot {
            0
        } else {
            self.rock_ridge.as_ref().map_or(0, |r| usize::from(r.skip))
        };
        let sua = rec.system_use.get(skip..).unwrap_or(&[]);
        let sua_at = at + u64::from(rec.len) - sua.len() as u64;
        gather_susp(&self.r, sua, sua_at).0
    }

    fn detect_rock_ridge(&self) -> Option<RockRidge> {
        let root = &self.pvd.root;
        let recs = self
            .dir_records(root.extent, u64::from(root.data_len).min(SECTOR), &|| {
                "root directory".into()
            })
            .ok()?;
        let (at, dot) = recs.first()?;
        if !dot.is_dot() {
            return None;
        }
        let su = &dot.system_use;
        if su.len() < 7 || &su[..2] != b"SP" || su[2] != 7 || su[4] != 0xBE || su[5] != 0xEF {
            return None;
        }
        let skip = su[6];
        let entries = self.susp_of(dot, *at, true);
        let er_id = entries
            .iter()
            .filter(|e| &e.sig == b"ER")
            .filter_map(|e| er_ident(&e.data))
            .find(|id| RRIP_IDS.contains(id))?;
        Some(RockRidge {
            skip,
            er_id: er_id.to_vec(),
        })
    }

    fn tree_root(&self, tree: Tree) -> Result<DirRecord, IsoError> {
        match tree {
            Tree::RockRidge if self.rock_ridge.is_none() => Err(IsoError::WrongType {
                path: "/".into(),
                what: "the image has no Rock Ridge tree (no SP in the root \".\" or no RRIP ER)",
            }),
            Tree::RockRidge | Tree::Primary => Ok(self.pvd.root.clone()),
            Tree::Joliet => {
                self.joliet
                    .as_ref()
                    .map(|j| j.root.clone())
                    .ok_or(IsoError::WrongType {
                        path: "/".into(),
                        what: "the image has no Joliet tree",
                    })
            }
        }
    }

    /// The root directory of `tree` as an [`Entry`] (Rock Ridge attributes
    /// from the root's `.` record).
    pub fn root(&self, tree: Tree) -> Result<Entry, IsoError> {
        let root = self.tree_root(tree)?;
        let mut e = self.plain_entry(&root, Tree::Primary, 0);
        e.name = Vec::new();
        if tree == Tree::RockRidge {
            let recs =
                self.dir_records(root.extent, u64::from(root.data_len).min(SECTOR), &|| {
                    "root directory".into()
                })?;
            if let Some((at, dot)) = recs.first().filter(|(_, d)| d.is_dot()) {
                let rr = decode_rr(&self.susp_of(dot, *at, true));
                apply_rr(&mut e, &rr);
                e.record_offset = *at;
            }
        }
        Ok(e)
    }

    /// An entry from one record, names per `tree`, no Rock Ridge applied.
    fn plain_entry(&self, rec: &DirRecord, tree: Tree, at: u64) -> Entry {
        let name = match tree {
            Tree::Joliet => joliet_display_name(&rec.ident),
            _ => iso_display_name(&rec.ident),
        };
        Entry {
            name,
            iso_name: rec.ident.clone(),
            is_dir: rec.is_dir(),
            size: u64::from(rec.data_len),
            extents: vec![(
                rec.extent.saturating_add(u32::from(rec.ext_attr_len)),
                rec.data_len,
            )],
            flags: rec.flags,
            interleaved: rec.file_unit_size != 0 || rec.interleave_gap != 0,
            mode: None,
            nlink: None,
            uid: None,
            gid: None,
            serial: None,
            rdev: None,
            symlink: None,
            mtime: dir_date_to_unix(&rec.date),
            record_offset: at,
        }
    }

    /// The entries of directory `dir` in `tree`, in stored order, without
    /// `.` and `..`; multi-extent records merged into one entry; in the
    /// Rock Ridge tree `CL` links followed and `RE` directories hidden.
    pub fn read_dir(&self, dir: &Entry, tree: Tree, path: &[u8]) -> Result<Vec<Entry>, IsoError> {
        if !dir.is_dir {
            return Err(IsoError::WrongType {
                path: lossy(path),
                what: "not a directory",
            });
        }
        let (lba, _) = dir.first_extent();
        let what = || format!("{} directory {}", tree.label(), lossy(path));
        let recs = self.dir_records(lba, dir.size, &what)?;
        let mut out: Vec<Entry> = Vec::new();
        let mut pending: Option<Entry> = None;
        for (at, rec) in recs {
            if rec.is_dot() || rec.is_dotdot() {
                continue;
            }
            if let Some(p) = pending.as_mut() {
                // A continuation of a multi-extent file.
                if p.iso_name != rec.ident {
                    return Err(corrupt(format!(
                        "{}: multi-extent record {} is followed by {}, not by another extent of the same file",
                        what(),
                        lossy(&p.iso_name),
                        lossy(&rec.ident)
                    )));
                }
                p.extents.push((
                    rec.extent.saturating_add(u32::from(rec.ext_attr_len)),
                    rec.data_len,
                ));
                p.size += u64::from(rec.data_len);
                p.flags = rec.flags;
                p.interleaved |= rec.file_unit_size != 0 || rec.interleave_gap != 0;
                if rec.flags & flags::MULTI_EXTENT == 0 {
                    out.extend(pending.take());
                }
                continue;
            }
            let mut e = self.plain_entry(&rec, tree, at);
            if tree == Tree::RockRidge {
                let rr = decode_rr(&self.susp_of(&rec, at, false));
                if rr.re {
                    continue; // a relocated directory, shown where CL points
                }
                if let Some(cl) = rr.cl {
                    self.follow_cl(&mut e, cl, &what)?;
                }
                apply_rr(&mut e, &rr);
                if let Some(n) = rr.name {
                    e.name = n;
                }
            }
            if rec.flags & flags::MULTI_EXTENT != 0 {
                if rec.is_dir() {
                    return Err(corrupt(format!(
                        "{}: directory record {} has the multi-extent flag",
                        what(),
                        lossy(&rec.ident)
                    )));
                }
                pending = Some(e);
            } else {
                out.push(e);
            }
        }
        if let Some(p) = pending {
            return Err(corrupt(format!(
                "{}: the last record of {} has the multi-extent flag",
                what(),
                lossy(&p.iso_name)
            )));
        }
        Ok(out)
    }

    /// Turn `e` (a record carrying `CL`) into the directory at LBA `cl`,
    /// taking size and attributes from that directory's `.` record.
    fn follow_cl(&self, e: &mut Entry, cl: u32, what: &dyn Fn() -> String) -> Result<(), IsoError> {
        let recs = self.dir_records(cl, SECTOR, &|| format!("{}: CL target LBA {cl}", what()))?;
        let (at, dot) = recs
            .first()
            .filter(|(_, d)| d.is_dot() && d.is_dir())
            .ok_or_else(|| {
                corrupt(format!(
                    "{}: {} has CL to LBA {cl}, which does not start with a \".\" directory record",
                    what(),
                    lossy(&e.iso_name)
                ))
            })?;
        e.is_dir = true;
        e.size = u64::from(dot.data_len);
        e.extents = vec![(dot.extent, dot.data_len)];
        e.flags = dot.flags;
        e.mtime = dir_date_to_unix(&dot.date).or(e.mtime);
        let rr = decode_rr(&self.susp_of(dot, *at, false));
        apply_rr(e, &rr);
        Ok(())
    }

    /// The entries of the directory at `path` in the default tree
    /// ([`default_tree`](Self::default_tree)).
    pub fn list<P: AsRef<[u8]>>(&self, path: P) -> Result<Vec<Entry>, IsoError> {
        self.list_tree(path, self.default_tree())
    }

    /// The entries of the directory at `path` in `tree`.
    pub fn list_tree<P: AsRef<[u8]>>(&self, path: P, tree: Tree) -> Result<Vec<Entry>, IsoError> {
        let path = path.as_ref();
        let dir = self.lookup(path, tree)?;
        self.read_dir(&dir, tree, path)
    }

    /// The entry at `path` in the default tree.
    pub fn stat<P: AsRef<[u8]>>(&self, path: P) -> Result<Entry, IsoError> {
        self.lookup(path, self.default_tree())
    }

    /// The entry at `path` in `tree`: components split on `/` (empty ones
    /// ignored), compared byte for byte (case-sensitive, as GRUB Legacy
    /// does) with each entry's name; in the primary tree the raw
    /// identifier (`NAME.EXT;1`) matches too. Symlinks are not followed.
    pub fn lookup<P: AsRef<[u8]>>(&self, path: P, tree: Tree) -> Result<Entry, IsoError> {
        let path = path.as_ref();
        let mut cur = self.root(tree)?;
        let mut here: Vec<u8> = Vec::new();
        for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            if !cur.is_dir {
                return Err(IsoError::WrongType {
                    path: lossy(&here),
                    what: "not a directory",
                });
            }
            let kids = self.read_dir(&cur, tree, &here)?;
            here.push(b'/');
            here.extend_from_slice(comp);
            cur = kids
                .into_iter()
                .find(|e| e.name == comp || (tree == Tree::Primary && e.iso_name == comp))
                .ok_or_else(|| IsoError::NotFound { path: lossy(&here) })?;
        }
        Ok(cur)
    }

    /// Stream the data of `entry` (every extent in order, `size` bytes) to
    /// `out` through a fixed 64 KiB buffer; returns the bytes written.
    /// Fails for directories, interleaved files and extents outside the
    /// image.
    pub fn read_file(&self, entry: &Entry, out: &mut dyn io::Write) -> Result<u64, IsoError> {
        let name = || lossy(&entry.name);
        if entry.is_dir {
            return Err(IsoError::WrongType {
                path: name(),
                what: "is a directory",
            });
        }
        if entry.interleaved {
            return Err(corrupt(format!(
                "{}: interleaved files (nonzero file unit size or gap) are not supported",
                name()
            )));
        }
        for &(lba, len) in &entry.extents {
            let start = u64::from(lba) * SECTOR;
            if start.saturating_add(u64::from(len)) > self.image_len {
                return Err(corrupt(format!(
                    "{}: extent at LBA {lba} of {len} bytes passes the end of the {}-byte image",
                    name(),
                    self.image_len
                )));
            }
        }
        const BUF: usize = 64 * 1024;
        let mut buf = vec![0u8; BUF];
        let mut total = 0u64;
        for &(lba, len) in &entry.extents {
            let start = u64::from(lba) * SECTOR;
            let mut done = 0u64;
            while done < u64::from(len) {
                let n = (u64::from(len) - done).min(BUF as u64) as usize;
                let b = &mut buf[..n];
                self.read_at(b, start + done, &name)?;
                out.write_all(b).map_err(|e| IsoError::Io {
                    path: PathBuf::from(name()),
                    source: e,
                })?;
                done += n as u64;
            }
            total += u64::from(len);
        }
        Ok(total)
    }

    /// [`read_file`](Self::read_file) of the entry at `path` in the default
    /// tree.
    pub fn read_path<P: AsRef<[u8]>>(
        &self,
        path: P,
        out: &mut dyn io::Write,
    ) -> Result<u64, IsoError> {
        let e = self.stat(path)?;
        self.read_file(&e, out)
    }

    /// Every path of `tree` with its entry: the root first as `b"/"`, then
    /// depth first, each directory's entries in stored order (ECMA-119
    /// §9.3 order in a conforming image). Fails on a directory reached
    /// twice (a loop, or a directory linked from two places), nesting
    /// deeper than [`MAX_WALK_DEPTH`], more than [`MAX_WALK_ENTRIES`]
    /// entries, directories totalling more bytes than the image, or paths
    /// totalling more than [`MAX_WALK_PATH_BYTES`] plus the image's length.
    pub fn walk(&self, tree: Tree) -> Result<Vec<(Vec<u8>, Entry)>, IsoError> {
        let root = self.root(tree)?;
        let path_budget = MAX_WALK_PATH_BYTES.saturating_add(self.image_len);
        let mut path_bytes = 0u64;
        let mut seen: HashSet<u32> = HashSet::new();
        seen.insert(root.first_extent().0);
        let mut dir_bytes = root.size;
        let kids = self.read_dir(&root, tree, b"/")?;
        let mut out = vec![(b"/".to_vec(), root)];
        let mut stack: Vec<WalkFrame> = vec![(Vec::new(), kids, 0)];
        while let Some(top) = stack.last_mut() {
            let Some(e) = top.1.get(top.2).cloned() else {
                stack.pop();
                continue;
            };
            top.2 += 1;
            // A directory's path is held twice: in the output and on the stack.
            let copies = if e.is_dir { 2 } else { 1 };
            path_bytes =
                path_bytes.saturating_add(copies * (top.0.len() as u64 + 1 + e.name.len() as u64));
            if path_bytes > path_budget {
                return Err(corrupt(format!(
                    "{} tree: paths total more than {path_budget} bytes (at depth {}): directories too deep for their names",
                    tree.label(),
                    stack.len()
                )));
            }
            let mut path = Vec::with_capacity(top.0.len() + 1 + e.name.len());
            path.extend_from_slice(&top.0);
            path.push(b'/');
            path.extend_from_slice(&e.name);
            if out.len() >= MAX_WALK_ENTRIES {
                return Err(corrupt(format!(
                    "{} tree has more than {MAX_WALK_ENTRIES} entries",
                    tree.label()
                )));
            }
            if e.is_dir {
                let lba = e.first_extent().0;
                if !seen.insert(lba) {
                    return Err(corrupt(format!(
                        "{} tree: directory {} (extent LBA {lba}) is reached twice: a directory loop or a linked directory",
                        tree.label(),
                        lossy(&path)
                    )));
                }
                dir_bytes = dir_bytes.saturating_add(e.size);
                if dir_bytes > self.image_len {
                    return Err(corrupt(format!(
                        "{} tree: directories total more than the {}-byte image (at {})",
                        tree.label(),
                        self.image_len,
                        lossy(&path)
                    )));
                }
                if stack.len() >= MAX_WALK_DEPTH {
                    return Err(corrupt(format!(
                        "{} tree: {} is nested deeper than {MAX_WALK_DEPTH} directories",
                        tree.label(),
                        lossy(&path)
                    )));
                }
                let kids = self.read_dir(&e, tree, &path)?;
                out.push((path.clone(), e));
                stack.push((path, kids, 0));
            } else {
                out.push((path, e));
            }
        }
        Ok(out)
    }

    /// The El Torito boot catalog, if the image has a Boot Record: its
    /// first 2048-byte sector decoded. Fails if the catalog LBA lies
    /// outside the image.
    pub fn boot_catalog(&self) -> Result<Option<BootCatalog>, IsoError> {
        let Some(lba) = self.catalog_lba else {
            return Ok(None);
        };
        let mut raw = vec![0u8; SECTOR as usize];
        self.read_at(&mut raw, u64::from(lba) * SECTOR, &|| {
            format!("boot catalog at LBA {lba}")
        })?;
        Ok(Some(BootCatalog::parse(lba, &raw)))
    }
}

/// Copy Rock Ridge attributes (not the name) into `e`.
fn apply_rr(e: &mut Entry, rr: &RrAttrs) {
    if let Some((mode, nlink, uid, gid, serial)) = rr.px {
        e.mode = Some(mode);
        e.nlink = Some(nlink);
        e.uid = Some(uid);
        e.gid = Some(gid);
        e.serial = serial;
    }
    if rr.pn.is_some() {
        e.rdev = rr.pn;
    }
    if rr.symlink.is_some() {
        e.symlink = rr.symlink.clone();
    }
    if rr.mtime.is_some() {
        e.mtime = rr.mtime;
    }
}

/// A tiny, test-only ECMA-119 + Rock Ridge + El Torito image builder, so
/// that reader and checker tests need no external tool. It lays out: PVD
/// (16), boot record (17, with `boot`), terminator, L and M path tables,
/// directories breadth first (records never end exactly at a sector end),
/// one continuation block holding the `ER`, the boot catalog, then file
/// data in tree order.
#[cfg(test)]
pub(crate) mod testimg {
    use std::collections::HashMap;

    /// What a test node is.
    pub enum Kind {
        File(Vec<u8>),
        /// Data split into two extents, the first `split` bytes long (a
        /// multiple of 2048).
        Multi(Vec<u8>, usize),
        Dir(Vec<Node>),
        Symlink(Vec<u8>),
        Dev(u32, u32),
    }

    /// One tree node: its ISO identifier, Rock Ridge name and kind.
    pub struct Node {
        pub iso: Vec<u8>,
        pub rr: Vec<u8>,
        pub kind: Kind,
    }

    pub fn file(iso: &str, rr: &str, data: &[u8]) -> Node {
        Node {
            iso: iso.into(),
            rr: rr.into(),
            kind: Kind::File(data.to_vec()),
        }
    }
    pub fn dir(iso: &str, rr: &str, kids: Vec<Node>) -> Node {
        Node {
            iso: iso.into(),
            rr: rr.into(),
            kind: Kind::Dir(kids),
        }
    }
    pub fn symlink(iso: &str, rr: &str, target: &str) -> Node {
        Node {
            iso: iso.into(),
            rr: rr.into(),
            kind: Kind::Symlink(target.into()),
        }
    }
    pub fn dev(iso: &str, rr: &str, major: u32, minor: u32) -> Node {
        Node {
            iso: iso.into(),
            rr: rr.into(),
            kind: Kind::Dev(major, minor),
        }
    }
    pub fn multi(iso: &str, rr: &str, data: &[u8], split: usize) -> Node {
        Node {
            iso: iso.into(),
            rr: rr.into(),
            kind: Kind::Multi(data.to_vec(), split),
        }
    }

    /// Build options.
    #[derive(Default)]
    pub struct Opts {
        /// Write Rock Ridge (SP, ER in a CE area, PX, TF, NM, SL, PN).
        pub rr: bool,
        /// Rock Ridge path (e.g. `/boot.img`) of the file to make the El
        /// Torito no-emulation boot image, with a boot info table.
        pub boot: Option<String>,
    }

    /// A built image and where things are.
    pub struct Built {
        pub img: Vec<u8>,
        /// Byte offset of each path's record in its parent (`/` maps to the
        /// root's `.`); paths use Rock Ridge names.
        pub rec: HashMap<String, usize>,
        /// LBA of each directory.
        pub dir_lba: HashMap<String, u32>,
        /// LBA of each file's data.
        pub file_lba: HashMap<String, u32>,
        pub l_table: u32,
        pub m_table: u32,
        pub ce: u32,
        pub catalog: u32,
    }

    /// The fixed date every record and TF carries: 2016-01-01 00:00:00 UTC.
    pub const DATE: [u8; 7] = [116, 1, 1, 0, 0, 0, 0];
    /// [`DATE`] as Unix seconds.
    pub const DATE_UNIX: i64 = 1_451_606_400;

    pub fn both32(v: u32) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&v.to_le_bytes());
        b[4..].copy_from_slice(&v.to_be_bytes());
        b
    }
    pub fn both16(v: u16) -> [u8; 4] {
        let mut b = [0u8; 4];
        b[..2].copy_from_slice(&v.to_le_bytes());
        b[2..].copy_from_slice(&v.to_be_bytes());
        b
    }

    enum K {
        Dir,
        File,
        Multi(usize),
        Link(Vec<u8>),
        Dev(u32, u32),
    }

    struct Item {
        ident: Vec<u8>,
        rr: Vec<u8>,
        path: String,
        k: K,
        data: Vec<u8>,
        parent: usize,
        kids: Vec<usize>,
        lba: u32,
        size: u32,
    }

    fn add(items: &mut Vec<Item>, parent: usize, nodes: Vec<Node>) {
        for n in nodes {
            let path = if items[parent].path == "/" {
                format!("/{}", String::from_utf8_lossy(&n.rr))
            } else {
                format!("{}/{}", items[parent].path, String::from_utf8_lossy(&n.rr))
            };
            let (k, data, kids) = match n.kind {
                Kind::File(d) => (K::File, d, None),
                Kind::Multi(d, s) => (K::Multi(s), d, None),
                Kind::Dir(k) => (K::Dir, Vec::new(), Some(k)),
                Kind::Symlink(t) => (K::Link(t), Vec::new(), None),
                Kind::Dev(a, b) => (K::Dev(a, b), Vec::new(), None),
            };
            let idx = items.len();
            items.push(Item {
                ident: n.iso,
                rr: n.rr,
                path,
                k,
                data,
                parent,
                kids: Vec::new(),
                lba: 0,
                size: 0,
            });
            items[parent].kids.push(idx);
            if let Some(k) = kids {
                add(items, idx, k);
            }
        }
    }

    fn record(id: &[u8], extent: u32, len: u32, flags: u8, sua: &[u8]) -> Vec<u8> {
        let mut r = vec![0u8; 33];
        r[2..10].copy_from_slice(&both32(extent));
        r[10..18].copy_from_slice(&both32(len));
        r[18..25].copy_from_slice(&DATE);
        r[25] = flags;
        r[28..32].copy_from_slice(&both16(1));
        r[32] = id.len() as u8;
        r.extend_from_slice(id);
        if id.len().is_multiple_of(2) {
            r.push(0);
        }
        r.extend_from_slice(sua);
        if r.len() % 2 == 1 {
            r.push(0);
        }
        r[0] = r.len() as u8;
        r
    }

    fn px(mode: u32, nlink: u32) -> Vec<u8> {
        let mut e = vec![b'P', b'X', 36, 1];
        for v in [mode, nlink, 0, 0] {
            e.extend_from_slice(&both32(v));
        }
        e
    }

    fn tf() -> Vec<u8> {
        let mut e = vec![b'T', b'F', 12, 1, 2];
        e.extend_from_slice(&DATE);
        e
    }

    fn sl(target: &[u8]) -> Vec<u8> {
        // One SL entry per component, CONTINUE on all but the last; a
        // component longer than 8 bytes is split in two component records.
        let mut comps: Vec<(u8, Vec<u8>)> = Vec::new();
        let mut t = target;
        if let Some(rest) = t.strip_prefix(b"/") {
            comps.push((8, Vec::new()));
            t = rest;
        }
        for c in t.split(|&b| b == b'/') {
            match c {
                b"." => comps.push((2, Vec::new())),
                b".." => comps.push((4, Vec::new())),
                c if c.len() > 8 => {
                    comps.push((1, c[..8].to_vec()));
                    comps.push((0, c[8..].to_vec()));
                }
                c => comps.push((0, c.to_vec())),
            }
        }
        let n = comps.len();
        let mut out = Vec::new();
        for (i, (f, text)) in comps.into_iter().enumerate() {
            let len = 5 + 2 + text.len();
            out.extend_from_slice(&[
                b'S',
                b'L',
                len as u8,
                1,
                u8::from(i + 1 < n),
                f,
                text.len() as u8,
            ]);
            out.extend_from_slice(&text);
        }
        out
    }

    const ER_ID: &[u8] = b"RRIP_1991A";
    const ER_DES: &[u8] =
        b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
    const ER_SRC: &[u8] = b"PLEASE CONTACT THE IEEE";

    fn er() -> Vec<u8> {
        let len = 8 + ER_ID.len() + ER_DES.len() + ER_SRC.len();
        let mut e = vec![
            b'E',
            b'R',
            len as u8,
            1,
            ER_ID.len() as u8,
            ER_DES.len() as u8,
            ER_SRC.len() as u8,
            1,
        ];
        e.extend_from_slice(ER_ID);
        e.extend_from_slice(ER_DES);
        e.extend_from_slice(ER_SRC);
        e
    }

    fn mode_of(k: &K) -> u32 {
        match k {
            K::Dir => 0o40755,
            K::File | K::Multi(_) => 0o100644,
            K::Link(_) => 0o120777,
            K::Dev(..) => 0o20644,
        }
    }

    /// The records of directory `d` (with their RR path keys).
    fn dir_records(items: &[Item], d: usize, o: &Opts, ce: u32) -> Vec<(Option<String>, Vec<u8>)> {
        let me = &items[d];
        let par = &items[me.parent];
        let mut v = Vec::new();
        let (mut dot_sua, mut dd_sua) = (Vec::new(), Vec::new());
        if o.rr {
            if d == 0 {
                dot_sua.extend_from_slice(&[b'S', b'P', 7, 1, 0xBE, 0xEF, 0]);
            }
            dot_sua.extend(px(0o40755, 2));
            dot_sua.extend(tf());
            if d == 0 {
                let mut c = vec![b'C', b'E', 28, 1];
                c.extend_from_slice(&both32(ce));
                c.extend_from_slice(&both32(0));
                c.extend_from_slice(&both32(er().len() as u32));
                dot_sua.extend(c);
            }
            dd_sua.extend(px(0o40755, 2));
            dd_sua.extend(tf());
        }
        v.push((
            if d == 0 { Some("/".to_string()) } else { None },
            record(&[0], me.lba, me.size, 2, &dot_sua),
        ));
        v.push((None, record(&[1], par.lba, par.size, 2, &dd_sua)));
        for &c in &me.kids {
            let it = &items[c];
            let mut sua = Vec::new();
            if o.rr {
                sua.extend(px(mode_of(&it.k), 1));
                sua.extend(tf());
                let mut nm = vec![b'N', b'M', (5 + it.rr.len()) as u8, 1, 0];
                nm.extend_from_slice(&it.rr);
                sua.extend(nm);
                match &it.k {
                    K::Link(t) => sua.extend(sl(t)),
                    K::Dev(a, b) => {
                        let mut pn = vec![b'P', b'N', 20, 1];
                        pn.extend_from_slice(&both32(*a));
                        pn.extend_from_slice(&both32(*b));
                        sua.extend(pn);
                    }
                    _ => {}
                }
            }
            let len = it.data.len() as u32;
            match it.k {
                K::Dir => v.push((
                    Some(it.path.clone()),
                    record(&it.ident, it.lba, it.size, 2, &sua),
                )),
                K::Multi(split) => {
                    v.push((
                        Some(it.path.clone()),
                        record(&it.ident, it.lba, split as u32, 0x80, &sua),
                    ));
                    let second = it.lba + (split / 2048) as u32;
                    v.push((None, record(&it.ident, second, len - split as u32, 0, &sua)));
                }
                _ => v.push((
                    Some(it.path.clone()),
                    record(&it.ident, if len == 0 { 0 } else { it.lba }, len, 0, &sua),
                )),
            }
        }
        v
    }

    /// Pack records into sectors: none crosses a sector or ends exactly at
    /// its end. Returns the bytes and each record's offset.
    fn pack(recs: &[(Option<String>, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
        let mut out = Vec::new();
        let mut offs = Vec::new();
        for (_, r) in recs {
            let used = out.len() % 2048;
            if used + r.len() >= 2048 {
                out.resize(out.len() + 2048 - used, 0);
            }
            offs.push(out.len());
            out.extend_from_slice(r);
        }
        let pad = (2048 - out.len() % 2048) % 2048;
        out.resize(out.len() + pad, 0);
        (out, offs)
    }

    pub fn build(root: Vec<Node>, o: &Opts) -> Built {
        let mut items = vec![Item {
            ident: vec![0],
            rr: Vec::new(),
            path: "/".into(),
            k: K::Dir,
            data: Vec::new(),
            parent: 0,
            kids: Vec::new(),
            lba: 0,
            size: 0,
        }];
        add(&mut items, 0, root);
        let mut dirs = vec![0usize];
        let mut i = 0;
        while i < dirs.len() {
            let kids: Vec<usize> = items[dirs[i]]
                .kids
                .iter()
                .copied()
                .filter(|&c| matches!(items[c].k, K::Dir))
                .collect();
            dirs.extend(kids);
            i += 1;
        }
        for &d in &dirs {
            let (bytes, _) = pack(&dir_records(&items, d, o, 0));
            items[d].size = bytes.len() as u32;
        }
        let boot = o.boot.is_some();
        let mut next = 17u32;
        let brvd = next;
        if boot {
            next += 1;
        }
        let term = next;
        let l_table = term + 1;
        let m_table = term + 2;
        next = term + 3;
        for &d in &dirs {
            items[d].lba = next;
            next += items[d].size / 2048;
        }
        let ce = next;
        if o.rr {
            next += 1;
        }
        let catalog = next;
        if boot {
            next += 1;
        }
        for it in items.iter_mut() {
            if !matches!(it.k, K::Dir) && !it.data.is_empty() {
                it.lba = next;
                next += (it.data.len() as u32).div_ceil(2048);
            }
        }
        let total = next;
        let mut img = vec![0u8; total as usize * 2048];
        let mut rec = HashMap::new();
        let mut dir_lba = HashMap::new();
        let mut file_lba = HashMap::new();
        // Directories.
        for &d in &dirs {
            let recs = dir_records(&items, d, o, ce);
            let (bytes, offs) = pack(&recs);
            let at = items[d].lba as usize * 2048;
            img[at..at + bytes.len()].copy_from_slice(&bytes);
            for ((k, _), off) in recs.iter().zip(offs) {
                if let Some(k) = k {
                    rec.insert(k.clone(), at + off);
                }
            }
            dir_lba.insert(items[d].path.clone(), items[d].lba);
        }
        // Path tables.
        let mut l = Vec::new();
        let mut m = Vec::new();
        let num: HashMap<usize, u16> = dirs
            .iter()
            .enumerate()
            .map(|(i, &d)| (d, i as u16 + 1))
            .collect();
        for &d in &dirs {
            let it = &items[d];
            let id: &[u8] = if d == 0 { &[0] } else { &it.ident };
            let pn = num[&it.parent];
            for (t, big) in [(&mut l, false), (&mut m, true)] {
                t.push(id.len() as u8);
                t.push(0);
                if big {
                    t.extend_from_slice(&it.lba.to_be_bytes());
                    t.extend_from_slice(&pn.to_be_bytes());
                } else {
                    t.extend_from_slice(&it.lba.to_le_bytes());
                    t.extend_from_slice(&pn.to_le_bytes());
                }
                t.extend_from_slice(id);
                if id.len() % 2 == 1 {
                    t.push(0);
                }
            }
        }
        let pt_size = l.len() as u32;
        img[l_table as usize * 2048..][..l.len()].copy_from_slice(&l);
        img[m_table as usize * 2048..][..m.len()].copy_from_slice(&m);
        // CE area with the ER.
        if o.rr {
            let e = er();
            img[ce as usize * 2048..][..e.len()].copy_from_slice(&e);
        }
        // Files (boot info table patched into the boot image's copy).
        let mut boot_lba = 0u32;
        for it in &items {
            if matches!(it.k, K::Dir) || it.data.is_empty() {
                continue;
            }
            let mut data = it.data.clone();
            if o.boot.as_deref() == Some(it.path.as_str()) {
                boot_lba = it.lba;
                let mut sum = 0u32;
                for w in data[64..].chunks(4) {
                    let mut a = [0u8; 4];
                    a[..w.len()].copy_from_slice(w);
                    sum = sum.wrapping_add(u32::from_le_bytes(a));
                }
                data[8..12].copy_from_slice(&16u32.to_le_bytes());
                data[12..16].copy_from_slice(&it.lba.to_le_bytes());
                let n = data.len() as u32;
                data[16..20].copy_from_slice(&n.to_le_bytes());
                data[20..24].copy_from_slice(&sum.to_le_bytes());
                data[24..64].fill(0);
            }
            let at = it.lba as usize * 2048;
            img[at..at + data.len()].copy_from_slice(&data);
            file_lba.insert(it.path.clone(), it.lba);
        }
        // Boot record and catalog.
        if boot {
            let s = &mut img[brvd as usize * 2048..][..2048];
            s[1..6].copy_from_slice(b"CD001");
            s[6] = 1;
            s[7..7 + 23].copy_from_slice(b"EL TORITO SPECIFICATION");
            s[71..75].copy_from_slice(&catalog.to_le_bytes());
            let c = &mut img[catalog as usize * 2048..][..64];
            c[0] = 1;
            c[30] = 0x55;
            c[31] = 0xAA;
            let sum = (0..16).fold(0u16, |a, i| {
                a.wrapping_add(u16::from_le_bytes([c[2 * i], c[2 * i + 1]]))
            });
            c[28..30].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
            c[32] = 0x88;
            c[38..40].copy_from_slice(&4u16.to_le_bytes());
            c[40..44].copy_from_slice(&boot_lba.to_le_bytes());
        }
        // PVD and terminator.
        let root = &items[0];
        let s = &mut img[16 * 2048..17 * 2048];
        s[0] = 1;
        s[1..6].copy_from_slice(b"CD001");
        s[6] = 1;
        s[8..40].fill(b' ');
        s[8..11].copy_from_slice(b"MVI");
        s[40..72].fill(b' ');
        s[40..44].copy_from_slice(b"TEST");
        s[80..88].copy_from_slice(&both32(total));
        s[120..124].copy_from_slice(&both16(1));
        s[124..128].copy_from_slice(&both16(1));
        s[128..132].copy_from_slice(&both16(2048));
        s[132..140].copy_from_slice(&both32(pt_size));
        s[140..144].copy_from_slice(&l_table.to_le_bytes());
        s[148..152].copy_from_slice(&m_table.to_be_bytes());
        let r = record(&[0], root.lba, root.size, 2, &[]);
        s[156..190].copy_from_slice(&r);
        s[190..813].fill(b' ');
        for (k, off) in [813usize, 830, 847, 864].into_iter().enumerate() {
            let d: &[u8; 16] = if k < 2 {
                b"2016010100000000"
            } else {
                b"0000000000000000"
            };
            s[off..off + 16].copy_from_slice(d);
            s[off + 16] = 0;
        }
        s[881] = 1;
        let t = &mut img[term as usize * 2048..][..7];
        t[0] = 255;
        t[1..6].copy_from_slice(b"CD001");
        t[6] = 1;
        Built {
            img,
            rec,
            dir_lba,
            file_lba,
            l_table,
            m_table,
            ce,
            catalog,
        }
    }

    /// A boot image of `n` bytes with a recognisable pattern.
    pub fn boot_image(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    /// The standard test tree: files, a symlink over several SL entries, a
    /// device, a multi-extent file, nested directories and a boot image.
    pub fn sample() -> Built {
        let big: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let tree = vec![
            file("A.;1", "A.", b""),
            file("A.0;1", "a.0", b"zero"),
            file("BOOT.IMG;1", "boot.img", &boot_image(3001)),
            dev("DEV.;1", "dev", 4, 64),
            file("HELLO.TXT;1", "hello.txt", b"hello, world\n"),
            symlink("LINK.;1", "link", "../usr/lib/verylongcomponent/./x"),
            symlink("ROOTLNK.;1", "rootlnk", "/etc"),
            dir(
                "SUB",
                "sub",
                vec![
                    multi("DATA.BIN;1", "data.bin", &big, 4096),
                    dir("DEEP", "deep", vec![file("F.;1", "f", b"deep file")]),
                ],
            ),
            dir("ZED", "zed", vec![]),
        ];
        build(
            tree,
            &Opts {
                rr: true,
                boot: Some("/boot.img".into()),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::testimg::*;
    use super::*;

    fn names(v: &[Entry]) -> Vec<String> {
        v.iter().map(|e| lossy(&e.name)).collect()
    }

    #[test]
    fn dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(dir_date_to_unix(&DATE), Some(DATE_UNIX));
        // GMT+1 (4 quarter hours): local 01:00 is 00:00 UTC.
        assert_eq!(dir_date_to_unix(&[116, 1, 1, 1, 0, 0, 4]), Some(DATE_UNIX));
        assert_eq!(dir_date_to_unix(&[0; 7]), None);
        assert_eq!(dir_date_to_unix(&[116, 13, 1, 0, 0, 0, 0]), None);
        let mut d = *b"2016010100000000\0";
        assert_eq!(vd_date_to_unix(&d), Some(DATE_UNIX));
        d[16] = (-8i8) as u8; // GMT-2
        assert_eq!(vd_date_to_unix(&d), Some(DATE_UNIX + 7200));
        assert_eq!(vd_date_to_unix(b"0000000000000000\0"), None);
        assert_eq!(vd_date_to_unix(b"2016x10100000000\0"), None);
        assert_eq!(vd_date_to_unix(b"short"), None);
    }

    #[test]
    fn display_names() {
        assert_eq!(iso_display_name(b"HELLO.TXT;1"), b"HELLO.TXT");
        assert_eq!(iso_display_name(b"A.;1"), b"A");
        assert_eq!(iso_display_name(b"A.0;1"), b"A.0");
        assert_eq!(iso_display_name(b"BOOT"), b"BOOT");
        assert_eq!(iso_display_name(b"X;2"), b"X;2");
        assert_eq!(iso_display_name(&[0]), b".");
        assert_eq!(iso_display_name(&[1]), b"..");
        let j: Vec<u8> = "héllo.txt;1"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(joliet_display_name(&j), "héllo.txt".as_bytes());
        // An unpaired surrogate becomes U+FFFD; an odd byte is dropped.
        assert_eq!(
            joliet_display_name(&[0xD8, 0x00, 0x00, b'a', 7]),
            "\u{FFFD}a".as_bytes()
        );
    }

    #[test]
    fn symlink_components() {
        let mut out = Vec::new();
        let mut sep = false;
        // SL flags 1, then ROOT, "us" continued by "r", CURRENT, PARENT.
        append_sl(&mut out, &mut sep, &[1, 8, 0, 1, 2, b'u', b's']).unwrap();
        append_sl(&mut out, &mut sep, &[0, 0, 1, b'r', 2, 0, 4, 0]).unwrap();
        assert_eq!(out, b"/usr/./..");
        let mut out = Vec::new();
        let mut sep = false;
        assert!(append_sl(&mut out, &mut sep, &[0, 0, 9, b'x']).is_err());
        let mut out = Vec::new();
        let mut sep = false;
        let long: Vec<u8> = [0u8, 0, 255].iter().copied().chain([b'a'; 255]).collect();
        let mut r = Ok(());
        for _ in 0..20 {
            r = r.and(append_sl(&mut out, &mut sep, &long));
        }
        assert!(r.is_err(), "symlink assembly is capped");
    }

    #[test]
    fn read_at_impls() {
        let v = vec![1u8, 2, 3, 4];
        let mut b = [0u8; 2];
        v.read_exact_at(&mut b, 2).unwrap();
        assert_eq!(b, [3, 4]);
        assert!(v.read_exact_at(&mut b, 3).is_err());
        assert!(v.as_slice().read_exact_at(&mut b, u64::MAX).is_err());
        assert_eq!(ReadAt::size(&&v), 4);
        let f = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut &f, &v).unwrap();
        assert_eq!(f.size(), 4);
        f.read_exact_at(&mut b, 1).unwrap();
        assert_eq!(b, [2, 3]);
    }

    #[test]
    fn hand_built_rock_ridge() {
        let b = sample();
        let r = IsoReader::open(&b.img).unwrap();
        assert_eq!(r.rock_ridge().unwrap().er_id, b"RRIP_1991A");
        assert_eq!(r.default_tree(), Tree::RockRidge);
        assert!(r.joliet().is_none());
        let root = r.list("/").unwrap();
        assert_eq!(
            names(&root),
            [
                "A.",
                "a.0",
                "boot.img",
                "dev",
                "hello.txt",
                "link",
                "rootlnk",
                "sub",
                "zed"
            ]
        );
        let hello = r.stat("/hello.txt").unwrap();
        assert_eq!(hello.size, 13);
        assert_eq!(hello.mode, Some(0o100644));
        assert_eq!(hello.nlink, Some(1));
        assert_eq!((hello.uid, hello.gid), (Some(0), Some(0)));
        assert_eq!(hello.mtime, Some(DATE_UNIX));
        assert_eq!(hello.iso_name, b"HELLO.TXT;1");
        assert_eq!(hello.record_offset as usize, b.rec["/hello.txt"]);
        let mut out = Vec::new();
        assert_eq!(r.read_file(&hello, &mut out).unwrap(), 13);
        assert_eq!(out, b"hello, world\n");
        let link = r.stat("/link").unwrap();
        assert_eq!(
            link.symlink.as_deref(),
            Some(&b"../usr/lib/verylongcomponent/./x"[..])
        );
        assert_eq!(link.mode, Some(0o120777));
        assert_eq!(
            r.stat("/rootlnk").unwrap().symlink.as_deref(),
            Some(&b"/etc"[..])
        );
        let dev = r.stat("dev").unwrap();
        assert_eq!(dev.rdev, Some((4, 64)));
        assert_eq!(dev.mode, Some(0o20644));
        // Multi-extent: two records, one entry.
        let data = r.stat("/sub/data.bin").unwrap();
        assert_eq!(data.size, 5000);
        let lba = b.file_lba["/sub/data.bin"];
        assert_eq!(data.extents, vec![(lba, 4096), (lba + 2, 904)]);
        let mut out = Vec::new();
        r.read_path("/sub/data.bin", &mut out).unwrap();
        assert_eq!(
            out,
            (0..5000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>()
        );
        let mut out = Vec::new();
        r.read_path("sub//deep/f", &mut out).unwrap();
        assert_eq!(out, b"deep file");
        assert!(r.list("/zed").unwrap().is_empty());
        // Errors.
        assert!(matches!(r.stat("/nope"), Err(IsoError::NotFound { path }) if path == "/nope"));
        assert!(matches!(
            r.list("/hello.txt/x"),
            Err(IsoError::WrongType { .. })
        ));
        assert!(matches!(
            r.read_path("/sub", &mut Vec::new()),
            Err(IsoError::WrongType { .. })
        ));
        assert!(matches!(
            r.lookup("/", Tree::Joliet),
            Err(IsoError::WrongType { .. })
        ));
        assert!(
            r.stat("/HELLO.TXT").is_err(),
            "Rock Ridge lookups are case-sensitive on NM"
        );
    }

    #[test]
    fn hand_built_primary_tree() {
        let b = sample();
        let r = IsoReader::open(&b.img).unwrap();
        let root = r.list_tree("/", Tree::Primary).unwrap();
        assert_eq!(
            names(&root),
            [
                "A",
                "A.0",
                "BOOT.IMG",
                "DEV",
                "HELLO.TXT",
                "LINK",
                "ROOTLNK",
                "SUB",
                "ZED"
            ]
        );
        assert!(root.iter().all(|e| e.mode.is_none() && e.symlink.is_none()));
        let e = r.lookup("/SUB/DATA.BIN;1", Tree::Primary).unwrap();
        assert_eq!(e.size, 5000);
        assert_eq!(r.lookup("/SUB/DATA.BIN", Tree::Primary).unwrap(), e);
        assert_eq!(e.mtime, Some(DATE_UNIX));
    }

    #[test]
    fn hand_built_walk_and_catalog() {
        let b = sample();
        let r = IsoReader::open(&b.img).unwrap();
        let w = r.walk(Tree::RockRidge).unwrap();
        let paths: Vec<String> = w.iter().map(|(p, _)| lossy(p)).collect();
        assert_eq!(
            paths,
            [
                "/",
                "/A.",
                "/a.0",
                "/boot.img",
                "/dev",
                "/hello.txt",
                "/link",
                "/rootlnk",
                "/sub",
                "/sub/data.bin",
                "/sub/deep",
                "/sub/deep/f",
                "/zed"
            ]
        );
        assert_eq!(w[0].1.mode, Some(0o40755));
        let cat = r.boot_catalog().unwrap().unwrap();
        assert_eq!(cat.lba, b.catalog);
        assert!(cat.validation.checksum_ok);
        assert_eq!(cat.validation.key, [0x55, 0xAA]);
        let d = &cat.default_entry;
        assert!(d.bootable);
        assert_eq!(
            (d.media, d.load_segment, d.system_type, d.sector_count),
            (0, 0, 0, 4)
        );
        assert_eq!(d.lba, b.file_lba["/boot.img"]);
        assert!(cat.sections.is_empty());
        // The boot image as stored carries the boot info table.
        let mut img = Vec::new();
        r.read_path("/boot.img", &mut img).unwrap();
        assert_eq!(le32(&img, 8), 16);
        assert_eq!(le32(&img, 12), d.lba);
        assert_eq!(le32(&img, 16), 3001);
    }

    #[test]
    fn plain_image_without_rock_ridge() {
        let tree = vec![
            dir("D", "d", vec![file("Y.TXT;1", "y", b"22")]),
            file("X.;1", "x", b"1"),
        ];
        let b = build(tree, &Opts::default());
        let r = IsoReader::open(&b.img).unwrap();
        assert!(r.rock_ridge().is_none());
        assert_eq!(r.default_tree(), Tree::Primary);
        assert!(r.boot_catalog().unwrap().is_none());
        let w = r.walk(Tree::Primary).unwrap();
        let paths: Vec<String> = w.iter().map(|(p, _)| lossy(p)).collect();
        assert_eq!(paths, ["/", "/D", "/D/Y.TXT", "/X"]);
        assert!(matches!(
            r.walk(Tree::RockRidge),
            Err(IsoError::WrongType { .. })
        ));
    }

    #[test]
    fn not_an_iso() {
        assert!(matches!(
            IsoReader::open(vec![0u8; 100]),
            Err(IsoError::Corrupt(_))
        ));
        assert!(matches!(
            IsoReader::open(vec![0u8; 40 * 2048]),
            Err(IsoError::Corrupt(_))
        ));
    }

    #[test]
    fn directory_loop_is_an_error() {
        let mut b = sample();
        // Point /sub/deep's record at /sub itself.
        let sub = b.dir_lba["/sub"];
        let at = b.rec["/sub/deep"];
        b.img[at + 2..at + 10].copy_from_slice(&both32(sub));
        let r = IsoReader::open(&b.img).unwrap();
        let e = r.walk(Tree::RockRidge).unwrap_err();
        assert!(e.to_string().contains("reached twice"), "{e}");
    }

    #[test]
    fn continuation_loops_are_bounded() {
        let mut b = sample();
        // Make the CE area hold a CE to itself after the ER.
        let ce = b.ce as usize * 2048;
        let er_len = usize::from(b.img[ce + 2]);
        let mut c = vec![b'C', b'E', 28, 1];
        c.extend_from_slice(&both32(b.ce));
        c.extend_from_slice(&both32(0));
        c.extend_from_slice(&both32((er_len + 28) as u32));
        b.img[ce + er_len..ce + er_len + 28].copy_from_slice(&c);
        // And have the root "." CE cover both.
        let root = b.rec["/"];
        let sua = root + 34;
        let ce_at = sua + 7 + 36 + 12;
        assert_eq!(&b.img[ce_at..ce_at + 2], b"CE");
        b.img[ce_at + 20..ce_at + 28].copy_from_slice(&both32((er_len + 28) as u32));
        let r = IsoReader::open(&b.img).unwrap();
        assert!(r.rock_ridge().is_some());
        let (_, faults) = gather_susp(&b.img, &b.img[sua..sua + 83], sua as u64);
        assert!(
            faults
                .iter()
                .any(|f| matches!(f, SuspFault::CeChain { .. })),
            "{faults:?}"
        );
    }
}

//! The streaming writer: emits an [`IsoLayout`] sector by sector, in order.

use crate::encode::{both16, both32, date17, padded, DATE17_UNSET, SECTOR};
use crate::plan::{file_source, Dir, IsoLayout, Record};
use crate::susp::ce;
use crate::WriteError;
use fstree::{Data, Tree};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// What [`write`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Bytes written (the whole image).
    pub bytes: u64,
    /// Bytes of file content copied.
    pub file_bytes: u64,
}

/// Encode one directory record (§9.1) into `out`.
pub fn encode_record(r: &Record, out: &mut Vec<u8>) {
    let start = out.len();
    let idlen = r.ident.len();
    out.resize(start + usize::from(r.len), 0);
    let b = &mut out[start..];
    b[0] = r.len;
    both32(b, 2, r.extent);
    both32(b, 10, r.size);
    b[18..25].copy_from_slice(&r.date);
    b[25] = r.flags;
    both16(b, 28, 1);
    b[32] = idlen as u8;
    b[33..33 + idlen].copy_from_slice(&r.ident);
    let mut su = Vec::new();
    for e in &r.inline {
        e.encode(&mut su);
    }
    if let Some((lba, off, len)) = r.ce {
        ce(&mut su, lba, off, len);
    }
    let o = 33 + idlen + usize::from(idlen.is_multiple_of(2));
    b[o..o + su.len()].copy_from_slice(&su);
}

/// The bytes of a directory (`dir.size` bytes): records packed so none
/// crosses a sector or ends exactly at a sector's end.
pub fn dir_bytes(dir: &Dir) -> Vec<u8> {
    let mut out = vec![0u8; dir.size as usize];
    let mut sector = 0usize;
    let mut off = 0usize;
    let mut rec = Vec::with_capacity(256);
    for r in &dir.records {
        let l = usize::from(r.len);
        if off + l > SECTOR - 1 {
            sector += 1;
            off = 0;
        }
        rec.clear();
        encode_record(r, &mut rec);
        debug_assert_eq!(rec.len(), l);
        let at = sector * SECTOR + off;
        out[at..at + l].copy_from_slice(&rec);
        off += l;
    }
    out
}

/// A path table (§9.4) of `dirs`, little-endian (`L`) or big-endian (`M`).
pub fn path_table(dirs: &[Dir], big_endian: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for d in dirs {
        let ident: &[u8] = if d.ident.is_empty() { &[0] } else { &d.ident };
        out.push(ident.len() as u8);
        out.push(0);
        let parent = (d.parent + 1) as u16;
        if big_endian {
            out.extend_from_slice(&d.lba.to_be_bytes());
            out.extend_from_slice(&parent.to_be_bytes());
        } else {
            out.extend_from_slice(&d.lba.to_le_bytes());
            out.extend_from_slice(&parent.to_le_bytes());
        }
        out.extend_from_slice(ident);
        if ident.len() % 2 == 1 {
            out.push(0);
        }
    }
    out
}

fn root_record(dirs: &[Dir]) -> Vec<u8> {
    let r = &dirs[0].records[0];
    let plain = Record {
        ident: vec![0],
        flags: 2,
        target: r.target,
        date: r.date,
        extent: r.extent,
        size: r.size,
        inline: vec![],
        cont: vec![],
        ce: None,
        len: 34,
    };
    let mut out = Vec::new();
    encode_record(&plain, &mut out);
    out
}

/// A volume descriptor: the PVD (`joliet == false`) or the Joliet SVD.
pub fn volume_descriptor(layout: &IsoLayout, joliet: bool) -> Vec<u8> {
    let mut b = vec![0u8; SECTOR];
    b[0] = if joliet { 2 } else { 1 };
    b[1..6].copy_from_slice(b"CD001");
    b[6] = 1;
    let text = |b: &mut [u8], off: usize, len: usize, s: &str| {
        if joliet {
            let mut units: Vec<u8> = s
                .encode_utf16()
                .take(len / 2)
                .flat_map(|u| u.to_be_bytes())
                .collect();
            while units.len() + 2 <= len {
                units.extend_from_slice(&[0, b' ']);
            }
            units.resize(len, 0);
            b[off..off + len].copy_from_slice(&units);
        } else {
            padded(b, off, len, s.as_bytes());
        }
    };
    text(&mut b, 8, 32, "");
    text(&mut b, 40, 32, &layout.options.volume_id);
    both32(&mut b, 80, layout.total_sectors);
    if joliet {
        b[88..91].copy_from_slice(b"%/E");
    }
    both16(&mut b, 120, 1);
    both16(&mut b, 124, 1);
    both16(&mut b, 128, SECTOR as u16);
    let (dirs, pt) = if joliet {
        (&layout.jdirs, layout.jpath_table)
    } else {
        (&layout.dirs, layout.path_table)
    };
    both32(&mut b, 132, pt.2);
    b[140..144].copy_from_slice(&pt.0.to_le_bytes());
    b[148..152].copy_from_slice(&pt.1.to_be_bytes());
    b[156..190].copy_from_slice(&root_record(dirs));
    text(&mut b, 190, 128, "");
    text(&mut b, 318, 128, "");
    text(&mut b, 446, 128, "");
    text(&mut b, 574, 128, "MVI");
    text(&mut b, 702, 37, "");
    text(&mut b, 739, 37, "");
    text(&mut b, 776, 37, "");
    let t = date17(layout.options.time);
    b[813..830].copy_from_slice(&t);
    b[830..847].copy_from_slice(&t);
    b[847..864].copy_from_slice(&DATE17_UNSET);
    b[864..881].copy_from_slice(&DATE17_UNSET);
    b[881] = 1;
    b
}

/// The El Torito boot record volume descriptor (catalog at `catalog_lba`).
pub fn boot_record(catalog_lba: u32) -> Vec<u8> {
    let mut b = vec![0u8; SECTOR];
    b[1..6].copy_from_slice(b"CD001");
    b[6] = 1;
    b[7..7 + 23].copy_from_slice(b"EL TORITO SPECIFICATION");
    b[71..75].copy_from_slice(&catalog_lba.to_le_bytes());
    b
}

/// The boot catalog sector: validation entry and the default entry
/// (bootable, no emulation, load segment 0, `load_size` sectors at `lba`).
pub fn boot_catalog(lba: u32, load_size: u16) -> Vec<u8> {
    let mut b = vec![0u8; SECTOR];
    b[0] = 1; // header id
    b[1] = 0; // platform x86
    b[30] = 0x55;
    b[31] = 0xAA;
    let sum = b[..32].chunks(2).fold(0u16, |s, w| {
        s.wrapping_add(u16::from_le_bytes([w[0], w[1]]))
    });
    b[28..30].copy_from_slice(&0u16.wrapping_sub(sum).to_le_bytes());
    b[32] = 0x88;
    b[33] = 0; // no emulation
    b[38..40].copy_from_slice(&load_size.to_le_bytes());
    b[40..44].copy_from_slice(&lba.to_le_bytes());
    b
}

struct Out<W: Write> {
    w: W,
    pos: u64,
    progress: Box<dyn FnMut(u64)>,
    next_report: u64,
}

static ZEROS: [u8; 65536] = [0u8; 65536];

impl<W: Write> Out<W> {
    fn bytes(&mut self, b: &[u8]) -> Result<(), WriteError> {
        self.w.write_all(b).map_err(WriteError::Write)?;
        self.pos += b.len() as u64;
        if self.pos >= self.next_report {
            (self.progress)(self.pos);
            self.next_report = self.pos + (8 << 20);
        }
        Ok(())
    }
    fn zeros(&mut self, mut n: u64) -> Result<(), WriteError> {
        while n > 0 {
            let k = n.min(ZEROS.len() as u64) as usize;
            self.bytes(&ZEROS[..k])?;
            n -= k as u64;
        }
        Ok(())
    }
    /// Check that the next byte goes to sector `lba`, as the plan says.
    fn at(&self, lba: u32) {
        assert_eq!(
            self.pos,
            u64::from(lba) * SECTOR as u64,
            "writer out of step with the plan"
        );
    }
    fn pad_sector(&mut self) -> Result<(), WriteError> {
        let rem = self.pos % SECTOR as u64;
        if rem != 0 {
            self.zeros(SECTOR as u64 - rem)?;
        }
        Ok(())
    }
}

/// Write the image planned by `layout` for `tree` to `out`, sequentially.
/// `out` should be buffered. File data is copied through a fixed buffer.
pub fn write<W: Write>(layout: &IsoLayout, tree: &Tree, out: W) -> Result<WriteStats, WriteError> {
    write_with_progress(layout, tree, out, |_| {})
}

/// [`write`], calling `progress(bytes_written)` every 8 MiB or so.
pub fn write_with_progress<W: Write>(
    layout: &IsoLayout,
    tree: &Tree,
    out: W,
    progress: impl FnMut(u64) + 'static,
) -> Result<WriteStats, WriteError> {
    let mut o = Out {
        w: out,
        pos: 0,
        progress: Box::new(progress),
        next_report: 0,
    };
    let mut stats = WriteStats::default();
    o.zeros(16 * SECTOR as u64)?;
    o.bytes(&volume_descriptor(layout, false))?;
    if let Some(b) = &layout.boot {
        o.bytes(&boot_record(b.catalog_lba))?;
    }
    if let Some(lba) = layout.svd_lba {
        o.at(lba);
        o.bytes(&volume_descriptor(layout, true))?;
    }
    o.at(layout.terminator_lba);
    let mut term = vec![0u8; SECTOR];
    term[0] = 255;
    term[1..6].copy_from_slice(b"CD001");
    term[6] = 1;
    o.bytes(&term)?;
    for (dirs, (l, m, _)) in [
        (&layout.dirs, layout.path_table),
        (&layout.jdirs, layout.jpath_table),
    ] {
        if dirs.is_empty() {
            continue;
        }
        o.at(l);
        o.bytes(&path_table(dirs, false))?;
        o.pad_sector()?;
        o.at(m);
        o.bytes(&path_table(dirs, true))?;
        o.pad_sector()?;
    }
    if let Some(b) = &layout.boot {
        o.at(b.catalog_lba);
        o.bytes(&boot_catalog(b.image_lba, b.options.load_size))?;
    }
    for d in &layout.dirs {
        o.at(d.lba);
        o.bytes(&dir_bytes(d))?;
    }
    if layout.ce_sectors.1 > 0 {
        o.at(layout.ce_sectors.0);
        let mut area = vec![0u8; layout.ce_sectors.1 as usize * SECTOR];
        let base = u64::from(layout.ce_sectors.0);
        let mut buf = Vec::new();
        for r in layout.dirs.iter().flat_map(|d| d.records.iter()) {
            if let Some((lba, off, len)) = r.ce {
                buf.clear();
                for e in &r.cont {
                    e.encode(&mut buf);
                }
                assert_eq!(
                    buf.len(),
                    len as usize,
                    "continuation area size differs from the plan"
                );
                let at = (u64::from(lba) - base) as usize * SECTOR + off as usize;
                area[at..at + buf.len()].copy_from_slice(&buf);
            }
        }
        o.bytes(&area)?;
    }
    for d in &layout.jdirs {
        o.at(d.lba);
        o.bytes(&dir_bytes(d))?;
    }
    let mut buf = vec![0u8; 1 << 20];
    for (i, f) in layout.files.iter().enumerate() {
        o.at(f.lba);
        let (data, size) = file_source(tree, f);
        if size != f.size {
            return Err(WriteError::SourceChanged {
                path: PathBuf::from(tree.path_of(f.node)),
                expected: f.size,
                found: size,
            });
        }
        match &layout.boot {
            Some(b) if b.file == i => {
                let mut img = b.options.image_data.to_vec();
                if b.options.info_table {
                    img[8..12].copy_from_slice(&16u32.to_le_bytes());
                    img[12..16].copy_from_slice(&b.image_lba.to_le_bytes());
                    img[16..20].copy_from_slice(&b.image_len.to_le_bytes());
                    img[20..24].copy_from_slice(&b.checksum.to_le_bytes());
                    img[24..64].fill(0);
                }
                o.bytes(&img)?;
            }
            _ => match data {
                Data::Bytes(bytes) => o.bytes(bytes)?,
                Data::Zeros => o.zeros(size)?,
                Data::Path(path) => {
                    let file = std::fs::File::open(path).map_err(|source| WriteError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    let len = file
                        .metadata()
                        .map_err(|source| WriteError::Io {
                            path: path.clone(),
                            source,
                        })?
                        .len();
                    if len != size {
                        return Err(WriteError::SourceChanged {
                            path: path.clone(),
                            expected: size,
                            found: len,
                        });
                    }
                    let mut off = 0u64;
                    while off < size {
                        let n = (size - off).min(buf.len() as u64) as usize;
                        match file.read_at(&mut buf[..n], off) {
                            Ok(0) => {
                                return Err(WriteError::SourceChanged {
                                    path: path.clone(),
                                    expected: size,
                                    found: off,
                                })
                            }
                            Ok(k) => {
                                o.bytes(&buf[..k])?;
                                off += k as u64;
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(source) => {
                                return Err(WriteError::Io {
                                    path: path.clone(),
                                    source,
                                })
                            }
                        }
                    }
                }
            },
        }
        stats.file_bytes += size;
        o.pad_sector()?;
    }
    o.zeros(u64::from(crate::plan::PAD_SECTORS) * SECTOR as u64)?;
    o.at(layout.total_sectors);
    o.w.flush().map_err(WriteError::Write)?;
    (o.progress)(o.pos);
    stats.bytes = o.pos;
    Ok(stats)
}

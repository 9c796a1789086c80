//! The harness's own reading of the El Torito structures: the Boot Record
//! Volume Descriptor, the catalog's validation and initial entries, and the
//! boot information table patched into the boot image. No external
//! validator checks the boot-info-table checksum, and the content
//! comparisons need the patched bytes the image must hold.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const SECTOR: u64 = 2048;

/// The El Torito facts of an image, as read from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BootFacts {
    /// Sector of the Boot Record Volume Descriptor.
    pub brvd_sector: u32,
    /// Boot catalog LBA (from the BRVD).
    pub catalog_lba: u32,
    /// The catalog's first sector.
    pub catalog: Vec<u8>,
    /// Validation entry platform id.
    pub platform: u8,
    /// Initial entry: boot indicator (0x88 bootable).
    pub indicator: u8,
    /// Initial entry: media type (0 = no emulation).
    pub media: u8,
    /// Initial entry: load segment (0 = 0x7C0).
    pub load_segment: u16,
    /// Initial entry: system type.
    pub system_type: u8,
    /// Initial entry: sector count (512-byte virtual sectors).
    pub sector_count: u16,
    /// Initial entry: load RBA (2048-byte LBA of the image).
    pub rba: u32,
    /// The boot info table's PVD LBA field, read at `rba` (16 + session
    /// start; the patched image the content comparisons expect uses it).
    pub bit_pvd: u32,
    /// Structural problems found while reading (checksum, key, BRVD id).
    pub problems: Vec<String>,
}

fn read_at(f: &mut File, off: u64, buf: &mut [u8]) -> Result<(), String> {
    f.seek(SeekFrom::Start(off))
        .and_then(|_| f.read_exact(buf))
        .map_err(|e| format!("reading {} bytes at byte {off}: {e}", buf.len()))
}

fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

/// Find the BRVD (scanning the descriptor set from sector 16 to the
/// terminator, at most 64 descriptors) and read the catalog. `Ok(None)`
/// when the image has no boot record.
pub(crate) fn read_boot(iso: &Path) -> Result<Option<BootFacts>, String> {
    let mut f = File::open(iso).map_err(|e| format!("{}: {e}", iso.display()))?;
    let mut vd = [0u8; 2048];
    let mut found = None;
    for sector in 16u32..80 {
        read_at(&mut f, u64::from(sector) * SECTOR, &mut vd)?;
        if &vd[1..6] != b"CD001" {
            return Err(format!(
                "sector {sector}: no volume descriptor (no 'CD001') before a set terminator"
            ));
        }
        match vd[0] {
            0 => {
                found = Some((sector, vd));
                break;
            }
            255 => break,
            _ => {}
        }
    }
    let Some((brvd_sector, vd)) = found else {
        return Ok(None);
    };
    let mut problems = Vec::new();
    let mut id = [0u8; 32];
    id[..23].copy_from_slice(b"EL TORITO SPECIFICATION");
    if vd[6] != 1 {
        problems.push(format!("BRVD version {} (expected 1)", vd[6]));
    }
    if vd[7..39] != id {
        problems.push(format!(
            "BRVD boot system id {:?} (expected \"EL TORITO SPECIFICATION\" padded with NUL)",
            String::from_utf8_lossy(&vd[7..39])
        ));
    }
    let catalog_lba = le32(&vd, 71);
    let mut catalog = vec![0u8; 2048];
    read_at(&mut f, u64::from(catalog_lba) * SECTOR, &mut catalog)
        .map_err(|e| format!("boot catalog at LBA {catalog_lba}: {e}"))?;
    let v = &catalog[..32];
    if v[0] != 1 {
        problems.push(format!("validation entry header id {} (expected 1)", v[0]));
    }
    if v[30] != 0x55 || v[31] != 0xAA {
        problems.push(format!(
            "validation entry key {:02X} {:02X} (expected 55 AA)",
            v[30], v[31]
        ));
    }
    let sum = (0..16).fold(0u16, |s, i| s.wrapping_add(le16(v, 2 * i)));
    if sum != 0 {
        problems.push(format!(
            "validation entry checksum: the 16 words sum to {sum:#06x}, not 0"
        ));
    }
    let e = &catalog[32..64];
    let mut head = [0u8; 64];
    let bit_pvd = match read_at(&mut f, u64::from(le32(e, 8)) * SECTOR, &mut head) {
        Ok(()) => le32(&head, 8),
        Err(err) => {
            problems.push(format!("boot image: {err}"));
            16
        }
    };
    Ok(Some(BootFacts {
        bit_pvd,
        brvd_sector,
        catalog_lba,
        platform: v[1],
        indicator: e[0],
        media: e[1],
        load_segment: le16(e, 2),
        system_type: e[4],
        sector_count: le16(e, 6),
        rba: le32(e, 8),
        problems,
        catalog,
    }))
}

/// The boot information table checksum: the wrapping sum of the
/// little-endian 32-bit words from byte 64 to the end, a trailing partial
/// word zero-padded.
pub(crate) fn bit_checksum(image: &[u8]) -> u32 {
    let mut sum = 0u32;
    let body = image.get(64..).unwrap_or(&[]);
    for chunk in body.chunks(4) {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        sum = sum.wrapping_add(u32::from_le_bytes(w));
    }
    sum
}

/// `source` with the boot information table a correct writer patches in
/// when the image is at `rba` and the PVD at sector `pvd` (16 for a
/// single-session image): bytes 8..12 PVD LBA, 12..16 image LBA, 16..20
/// length, 20..24 checksum, 24..64 zero.
pub(crate) fn patched_image(source: &[u8], pvd: u32, rba: u32) -> Vec<u8> {
    let mut v = source.to_vec();
    if v.len() < 64 {
        return v;
    }
    let csum = bit_checksum(source);
    v[8..12].copy_from_slice(&pvd.to_le_bytes());
    v[12..16].copy_from_slice(&rba.to_le_bytes());
    v[16..20].copy_from_slice(&(source.len() as u32).to_le_bytes());
    v[20..24].copy_from_slice(&csum.to_le_bytes());
    v[24..64].fill(0);
    v
}

/// Check the boot information table in the image: read the table at the
/// initial entry's RBA, then the whole image (its length from the table,
/// or from `source` when the expected bytes are known), and compare.
pub(crate) fn check_bit(
    iso: &Path,
    rba: u32,
    source: Option<&[u8]>,
    problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<(), String> {
    let mut f = File::open(iso).map_err(|e| format!("{}: {e}", iso.display()))?;
    let mut head = [0u8; 64];
    read_at(&mut f, u64::from(rba) * SECTOR, &mut head)
        .map_err(|e| format!("boot image at LBA {rba}: {e}"))?;
    let (pvd, file, len, csum) = (
        le32(&head, 8),
        le32(&head, 12),
        le32(&head, 16),
        le32(&head, 20),
    );
    // bi_pvd is 16 + the session start: 16 for a single-session image
    // (xorriso's native mode on a file starts the session at 32 -> 48).
    let mut vd = [0u8; 6];
    let is_pvd = read_at(&mut f, u64::from(pvd) * SECTOR, &mut vd).is_ok() && &vd == b"\x01CD001";
    if !is_pvd {
        problems.push(format!(
            "boot info table: PVD LBA {pvd}, but sector {pvd} holds no primary volume descriptor"
        ));
    } else if pvd != 16 {
        notes.push(format!(
            "boot info table: PVD LBA {pvd} (a session starting at {})",
            pvd.saturating_sub(16)
        ));
    }
    if file != rba {
        problems.push(format!(
            "boot info table: boot file LBA {file}, but the catalog loads LBA {rba}"
        ));
    }
    if head[24..64].iter().any(|&b| b != 0) {
        problems.push("boot info table: reserved bytes 24..64 are not zero".into());
    }
    let want_len = source.map_or(len, |s| s.len() as u32);
    if len != want_len {
        problems.push(format!(
            "boot info table: length {len} (the boot file has {want_len} bytes)"
        ));
    }
    let img_len = u64::from(want_len).min(64 << 20);
    let mut image = vec![0u8; img_len as usize];
    read_at(&mut f, u64::from(rba) * SECTOR, &mut image)
        .map_err(|e| format!("boot image ({img_len} bytes at LBA {rba}): {e}"))?;
    let sum = bit_checksum(&image);
    if sum != csum {
        problems.push(format!(
            "boot info table: checksum {csum:#010x}, but the image's words from byte 64 sum to {sum:#010x}"
        ));
    }
    notes.push(format!(
        "boot info table: pvd {pvd}, file {file}, length {len}, checksum {csum:#010x}"
    ));
    if let Some(src) = source {
        let want = patched_image(src, pvd, rba);
        if image != want {
            let first = image
                .iter()
                .zip(&want)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            problems.push(format!(
                "boot image bytes at LBA {rba} are not the source file with a boot info \
                 table (first difference at byte {first}); the image must be one contiguous \
                 extent holding the patched file"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_pads_the_trailing_word() {
        let mut img = vec![0u8; 64];
        img.extend_from_slice(&[1, 0, 0, 0, 2, 0, 0, 0, 3]);
        assert_eq!(bit_checksum(&img), 6);
        let p = patched_image(&img, 16, 40);
        assert_eq!(le32(&p, 8), 16);
        assert_eq!(le32(&p, 12), 40);
        assert_eq!(le32(&p, 16), 73);
        assert_eq!(le32(&p, 20), 6);
        assert_eq!(&p[64..], &img[64..]);
    }
}

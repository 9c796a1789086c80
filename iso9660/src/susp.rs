//! SUSP (IEEE P1281) and Rock Ridge (RRIP 1.10, IEEE P1282 draft as
//! `RRIP_1991A`) system-use entries, every one with version byte 1.

use crate::encode::both32;

/// ER extension identifier that illumos hsfs requires (`RRIP_ER_EXT_ID`).
pub const ER_ID: &[u8] = b"RRIP_1991A";
/// ER descriptor text (RRIP 1.10 §5.4 suggested wording).
pub const ER_DES: &[u8] =
    b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
/// ER source text (RRIP 1.10 §5.4 suggested wording).
pub const ER_SRC: &[u8] =
    b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";
/// Size of a CE entry, bytes.
pub const CE_LEN: usize = 28;
/// Largest SUSP entry, bytes (its length field is one byte).
pub const MAX_ENTRY: usize = 255;

/// One system-use entry. Addresses that are only known after layout (CE,
/// CL, PL) are filled in at encoding time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `SP`: SUSP indicator, skip 0 (GRUB legacy ignores the skip field).
    Sp,
    /// `ER`: the RRIP_1991A extension reference.
    Er,
    /// `PX` (RRIP 1.10, 36 bytes): st_mode, st_nlink, st_uid, st_gid.
    Px {
        /// POSIX file mode (type and permission bits).
        mode: u32,
        /// Link count.
        nlink: u32,
        /// Owner.
        uid: u32,
        /// Group.
        gid: u32,
    },
    /// `PN`: device number (high = major, low = minor).
    Pn {
        /// Major.
        major: u32,
        /// Minor.
        minor: u32,
    },
    /// `SL`: one SL entry holding already-encoded component records.
    Sl {
        /// SL flags: 1 = the link continues in the next SL entry.
        continues: bool,
        /// Component records (flags, length, bytes).
        components: Vec<u8>,
    },
    /// `NM`: (part of) the alternate name.
    Nm {
        /// NM flags: 1 = continues in the next NM entry.
        continues: bool,
        /// Name bytes.
        name: Vec<u8>,
    },
    /// `TF` with only the modify time (7-byte form).
    Tf {
        /// The 7-byte recording date.
        modify: [u8; 7],
    },
    /// `CL`: child link to a relocated directory (its extent LBA).
    Cl(u32),
    /// `PL`: parent link of a relocated directory (the real parent's LBA).
    Pl(u32),
    /// `RE`: this directory was relocated.
    Re,
}

impl Entry {
    /// Encoded length, bytes.
    pub fn len(&self) -> usize {
        match self {
            Entry::Sp => 7,
            Entry::Er => 8 + ER_ID.len() + ER_DES.len() + ER_SRC.len(),
            Entry::Px { .. } => 36,
            Entry::Pn { .. } => 20,
            Entry::Sl { components, .. } => 5 + components.len(),
            Entry::Nm { name, .. } => 5 + name.len(),
            Entry::Tf { .. } => 12,
            Entry::Cl(_) | Entry::Pl(_) => 12,
            Entry::Re => 4,
        }
    }

    /// Whether the entry is empty (never: every entry has a header).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Append the encoded entry to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        let len = self.len();
        out.resize(start + len, 0);
        let b = &mut out[start..];
        let (sig, ver): (&[u8; 2], u8) = match self {
            Entry::Sp => (b"SP", 1),
            Entry::Er => (b"ER", 1),
            Entry::Px { .. } => (b"PX", 1),
            Entry::Pn { .. } => (b"PN", 1),
            Entry::Sl { .. } => (b"SL", 1),
            Entry::Nm { .. } => (b"NM", 1),
            Entry::Tf { .. } => (b"TF", 1),
            Entry::Cl(_) => (b"CL", 1),
            Entry::Pl(_) => (b"PL", 1),
            Entry::Re => (b"RE", 1),
        };
        b[0..2].copy_from_slice(sig);
        b[2] = len as u8;
        b[3] = ver;
        match self {
            Entry::Sp => {
                b[4] = 0xBE;
                b[5] = 0xEF;
                b[6] = 0;
            }
            Entry::Er => {
                b[4] = ER_ID.len() as u8;
                b[5] = ER_DES.len() as u8;
                b[6] = ER_SRC.len() as u8;
                b[7] = 1;
                let mut o = 8;
                for s in [ER_ID, ER_DES, ER_SRC] {
                    b[o..o + s.len()].copy_from_slice(s);
                    o += s.len();
                }
            }
            Entry::Px {
                mode,
                nlink,
                uid,
                gid,
            } => {
                both32(b, 4, *mode);
                both32(b, 12, *nlink);
                both32(b, 20, *uid);
                both32(b, 28, *gid);
            }
            Entry::Pn { major, minor } => {
                both32(b, 4, *major);
                both32(b, 12, *minor);
            }
            Entry::Sl {
                continues,
                components,
            } => {
                b[4] = u8::from(*continues);
                b[5..].copy_from_slice(components);
            }
            Entry::Nm { continues, name } => {
                b[4] = u8::from(*continues);
                b[5..].copy_from_slice(name);
            }
            Entry::Tf { modify } => {
                b[4] = 0x02;
                b[5..12].copy_from_slice(modify);
            }
            Entry::Cl(lba) | Entry::Pl(lba) => both32(b, 4, *lba),
            Entry::Re => {}
        }
    }
}

/// Encode a CE entry pointing at `len` bytes at `offset` in block `lba`.
pub fn ce(out: &mut Vec<u8>, lba: u32, offset: u32, len: u32) {
    let start = out.len();
    out.resize(start + CE_LEN, 0);
    let b = &mut out[start..];
    b[0..2].copy_from_slice(b"CE");
    b[2] = CE_LEN as u8;
    b[3] = 1;
    both32(b, 4, lba);
    both32(b, 12, offset);
    both32(b, 20, len);
}

/// NM entries for `name` (one entry when it is at most 250 bytes).
pub fn nm_entries(name: &[u8]) -> Vec<Entry> {
    let chunk = MAX_ENTRY - 5;
    let parts: Vec<&[u8]> = name.chunks(chunk).collect();
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| Entry::Nm {
            continues: i + 1 < n,
            name: p.to_vec(),
        })
        .collect()
}

/// SL entries for a symlink `target` (RRIP §4.1.3): `/`-separated
/// components, a leading `/` as ROOT, `.` as CURRENT, `..` as PARENT;
/// components longer than an entry holds are split with the component
/// CONTINUE flag; entries are chained with the SL CONTINUE flag.
pub fn sl_entries(target: &[u8]) -> Vec<Entry> {
    // Component records.
    let mut records: Vec<Vec<u8>> = Vec::new();
    let mut rest = target;
    if let Some(r) = rest.strip_prefix(b"/") {
        records.push(vec![0x08, 0]);
        rest = r;
        while let Some(r) = rest.strip_prefix(b"/") {
            // "//x": an empty component after the root keeps the bytes.
            records.push(vec![0, 0]);
            rest = r;
        }
    }
    if !rest.is_empty() || records.is_empty() {
        for comp in rest.split(|&b| b == b'/') {
            match comp {
                b"." => records.push(vec![0x02, 0]),
                b".." => records.push(vec![0x04, 0]),
                _ => {
                    let max = MAX_ENTRY - 5 - 2;
                    let chunks: Vec<&[u8]> = if comp.is_empty() {
                        vec![comp]
                    } else {
                        comp.chunks(max).collect()
                    };
                    let n = chunks.len();
                    for (i, c) in chunks.into_iter().enumerate() {
                        let mut r = vec![u8::from(i + 1 < n), c.len() as u8];
                        r.extend_from_slice(c);
                        records.push(r);
                    }
                }
            }
        }
    }
    // Pack records into SL entries.
    let mut entries: Vec<Vec<u8>> = vec![Vec::new()];
    for r in records {
        let cur = entries.last_mut().expect("one entry");
        if 5 + cur.len() + r.len() > MAX_ENTRY {
            entries.push(r);
        } else {
            cur.extend_from_slice(&r);
        }
    }
    let n = entries.len();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, components)| Entry::Sl {
            continues: i + 1 < n,
            components,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(e: &Entry) -> Vec<u8> {
        let mut v = Vec::new();
        e.encode(&mut v);
        assert_eq!(v.len(), e.len());
        v
    }

    #[test]
    fn fixed_entries() {
        assert_eq!(enc(&Entry::Sp), b"SP\x07\x01\xbe\xef\x00");
        let px = enc(&Entry::Px {
            mode: 0o100644,
            nlink: 1,
            uid: 0,
            gid: 3,
        });
        assert_eq!(px.len(), 36);
        assert_eq!(&px[..4], b"PX\x24\x01");
        assert_eq!(&px[4..12], &[0xa4, 0x81, 0, 0, 0, 0, 0x81, 0xa4]);
        let er = enc(&Entry::Er);
        assert_eq!(er.len(), 237);
        assert_eq!(&er[..8], &[b'E', b'R', 237, 1, 10, 84, 135, 1]);
        assert_eq!(&er[8..18], b"RRIP_1991A");
        assert_eq!(
            enc(&Entry::Tf {
                modify: [116, 1, 1, 0, 0, 0, 0]
            }),
            b"TF\x0c\x01\x02\x74\x01\x01\x00\x00\x00\x00"
        );
        let mut c = Vec::new();
        ce(&mut c, 20, 100, 237);
        assert_eq!(&c[..4], b"CE\x1c\x01");
        assert_eq!(&c[4..8], &20u32.to_le_bytes());
        assert_eq!(&c[8..12], &20u32.to_be_bytes());
    }

    #[test]
    fn symlink_components() {
        let e = sl_entries(b"/usr/../lib/./x");
        assert_eq!(e.len(), 1);
        let Entry::Sl {
            continues,
            components,
        } = &e[0]
        else {
            panic!()
        };
        assert!(!continues);
        assert_eq!(
            components.as_slice(),
            b"\x08\x00\x00\x03usr\x04\x00\x00\x03lib\x02\x00\x00\x01x".as_slice()
        );
        // A 1023-byte target spans several SL entries, all but the last continued.
        let long = vec![b'a'; 1023];
        let e = sl_entries(&long);
        assert!(e.len() >= 5);
        for (i, x) in e.iter().enumerate() {
            assert!(x.len() <= 255);
            let Entry::Sl { continues, .. } = x else {
                panic!()
            };
            assert_eq!(*continues, i + 1 < e.len());
        }
        let names = nm_entries(&[b'n'; 255]);
        assert_eq!(names.len(), 2);
        assert_eq!(names[0].len(), 255);
    }
}

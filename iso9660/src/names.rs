//! Identifiers: mapping real names to primary (ECMA-119 §7.5/§7.6) and
//! Joliet names, collision resolution, and the §9.3 record order.

use std::cmp::Ordering;
use std::collections::BTreeSet;

/// How primary-volume identifiers are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameMode {
    /// Conformant level 2 names: d-characters (`A–Z 0–9 _`), `NAME.EXT;1`
    /// with name + extension ≤ 30 characters, directories ≤ 31, depth ≤ 8
    /// (deeper directories are relocated with Rock Ridge CL/PL/RE).
    #[default]
    Strict,
    /// What `mkisofs -N -l -U -d -D -allow-multidot` made for illumos:
    /// untranslated names up to 31 bytes (`;` becomes `_`), no version, no
    /// trailing dot, no relocation. Non-conformant; illumos and GRUB legacy
    /// read it.
    Relaxed,
}

/// Longest primary file identifier (name + extension), level 2 (§7.5.1).
pub const LEVEL2_FILE_CHARS: usize = 30;
/// Longest primary directory identifier, level 2 (§7.6.3).
pub const LEVEL2_DIR_CHARS: usize = 31;
/// Longest Joliet identifier, UCS-2 characters (Joliet spec: 64).
pub const JOLIET_CHARS: usize = 64;

fn dchar(b: u8) -> u8 {
    match b {
        b'a'..=b'z' => b.to_ascii_uppercase(),
        b'A'..=b'Z' | b'0'..=b'9' | b'_' => b,
        _ => b'_',
    }
}

/// The primary identifier of a name before collision resolution: for
/// strict files `NAME.EXT;1` (the dot always present, §7.5.1), for strict
/// directories `NAME`, and in relaxed mode the name's bytes (≤ 31).
pub fn primary_ident(name: &[u8], is_dir: bool, mode: NameMode) -> Vec<u8> {
    match mode {
        NameMode::Relaxed => {
            // Readers drop a trailing '.', so "a." would read as "a": leave
            // it off here (collisions are resolved like any other).
            // ';' starts the version to every reader of primary names: a
            // name holding one would read as another name with a version
            // (found by the iso_roundtrip fuzz target), so it becomes '_'.
            let mut id: Vec<u8> = name[..name.len().min(LEVEL2_DIR_CHARS)]
                .iter()
                .map(|&b| if b == b';' { b'_' } else { b })
                .collect();
            // Trailing spaces compare equal to none (§9.3 pads with spaces):
            // "a " and "a" would be one name (found by the iso_roundtrip
            // fuzz target). Both are left off; collisions get suffixes.
            while id.len() > 1 && matches!(id.last(), Some(b'.' | b' ')) {
                id.pop();
            }
            // The one-byte identifiers 00 and 01 are "." and ".." (§6.8.2.2):
            // a file named "\x01" must not become a second "..".
            if id == [0] || id == [1] {
                id = vec![b'_'];
            }
            id
        }
        NameMode::Strict if is_dir => name
            .iter()
            .take(LEVEL2_DIR_CHARS)
            .map(|&b| dchar(b))
            .collect(),
        NameMode::Strict => {
            let (base, ext) = match name.iter().rposition(|&b| b == b'.') {
                Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
                _ => (name, &b""[..]),
            };
            let mut ext: Vec<u8> = ext.iter().map(|&b| dchar(b)).collect();
            let mut base: Vec<u8> = base.iter().map(|&b| dchar(b)).collect();
            ext.truncate(LEVEL2_FILE_CHARS - 1);
            base.truncate(LEVEL2_FILE_CHARS - ext.len());
            let mut id = base;
            id.push(b'.');
            id.extend_from_slice(&ext);
            id.extend_from_slice(b";1");
            id
        }
    }
}

/// Make `candidate` unique among `used` by replacing the end of its name
/// part with `_N` (N = 1, 2, ...), keeping extension and version, within the
/// length limits of `mode`. Returns the identifier actually used.
pub fn unique_primary(
    candidate: Vec<u8>,
    is_dir: bool,
    mode: NameMode,
    used: &mut BTreeSet<Vec<u8>>,
) -> Vec<u8> {
    if used.insert(candidate.clone()) {
        return candidate;
    }
    // Split into the part we may shorten and the tail we keep.
    let (head, tail): (Vec<u8>, Vec<u8>) = match (mode, is_dir) {
        (NameMode::Strict, false) => {
            let dot = candidate
                .iter()
                .position(|&b| b == b'.')
                .unwrap_or(candidate.len());
            (candidate[..dot].to_vec(), candidate[dot..].to_vec())
        }
        _ => (candidate.clone(), Vec::new()),
    };
    let limit = match (mode, is_dir) {
        (NameMode::Strict, false) => LEVEL2_FILE_CHARS - (tail.len() - 3), // tail = ".EXT;1"
        _ => LEVEL2_DIR_CHARS,
    };
    for n in 1u64.. {
        let suffix = format!("_{n}").into_bytes();
        let keep = limit.saturating_sub(suffix.len()).min(head.len());
        let mut id = head[..keep].to_vec();
        id.extend_from_slice(&suffix);
        id.extend_from_slice(&tail);
        if used.insert(id.clone()) {
            return id;
        }
    }
    unreachable!("u64 counter exhausted")
}

/// ECMA-119 §9.3 order of two identifiers (bytes of a primary identifier or
/// UCS-2 code units of a Joliet one): file name, then extension, each
/// compared with the shorter padded by spaces, then version descending.
/// The name ends at the first `.`, the extension at `;`.
pub fn cmp_ident<T: Copy + Ord + From<u8>>(a: &[T], b: &[T]) -> Ordering {
    fn split<T: Copy + PartialEq + From<u8>>(id: &[T]) -> (&[T], &[T], &[T]) {
        let semi = id
            .iter()
            .position(|&c| c == T::from(b';'))
            .unwrap_or(id.len());
        let (base, ver) = (&id[..semi], &id[(semi + 1).min(id.len())..]);
        let dot = base
            .iter()
            .position(|&c| c == T::from(b'.'))
            .unwrap_or(base.len());
        (&base[..dot], &base[(dot + 1).min(base.len())..], ver)
    }
    fn padded<T: Copy + Ord + From<u8>>(x: &[T], y: &[T]) -> Ordering {
        let n = x.len().max(y.len());
        let sp = T::from(b' ');
        for i in 0..n {
            let (p, q) = (
                x.get(i).copied().unwrap_or(sp),
                y.get(i).copied().unwrap_or(sp),
            );
            match p.cmp(&q) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }
    let (an, ae, av) = split(a);
    let (bn, be, bv) = split(b);
    padded(an, bn)
        .then_with(|| padded(ae, be))
        .then_with(|| padded(bv, av)) // version descending
}

/// Path-table order of two directory identifiers (ECMA-119 §6.9.1): the
/// whole identifiers compared with the shorter padded by spaces. It agrees
/// with [`cmp_ident`] on d-characters, not on identifiers holding `.` or
/// `;` (relaxed and Joliet names).
pub fn cmp_dir_ident<T: Copy + Ord + From<u8>>(a: &[T], b: &[T]) -> Ordering {
    let sp = T::from(b' ');
    for i in 0..a.len().max(b.len()) {
        let (p, q) = (
            a.get(i).copied().unwrap_or(sp),
            b.get(i).copied().unwrap_or(sp),
        );
        match p.cmp(&q) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// The index each subdirectory among `children` (those `is_dir` says are)
/// gets when they are appended from `base` in path-table order
/// ([`cmp_dir_ident`]); other children get `usize::MAX`.
pub fn path_table_slots<C, T: Copy + Ord + From<u8>>(
    children: &[C],
    is_dir: impl Fn(&C) -> bool,
    ident: impl Fn(&C) -> &[T],
    base: usize,
) -> Vec<usize> {
    let mut subs: Vec<usize> = (0..children.len())
        .filter(|&k| is_dir(&children[k]))
        .collect();
    subs.sort_by(|&a, &b| cmp_dir_ident(ident(&children[a]), ident(&children[b])));
    let mut slots = vec![usize::MAX; children.len()];
    for (rank, k) in subs.into_iter().enumerate() {
        slots[k] = base + rank;
    }
    slots
}

/// The Joliet identifier (UCS-2 big-endian code units, without version) of
/// a name: UTF-8 decoded (invalid bytes become U+FFFD), characters outside
/// the BMP and the forbidden `* / : ; ? \` and controls become `_`, at most
/// 64 characters (the extension kept when shortening).
pub fn joliet_ident(name: &[u8], is_dir: bool) -> Vec<u16> {
    let text = String::from_utf8_lossy(name);
    let mut units: Vec<u16> = text
        .chars()
        .map(|c| {
            let forbidden = matches!(c, '*' | '/' | ':' | ';' | '?' | '\\') || (c as u32) < 0x20;
            if forbidden || (c as u32) > 0xffff {
                u16::from(b'_')
            } else {
                c as u16
            }
        })
        .collect();
    // Readers strip a trailing '.' before ";1" (so "a." would read as "a").
    if let Some(last) = units.last_mut() {
        if *last == u16::from(b'.') {
            *last = u16::from(b'_');
        }
    }
    // Trailing spaces compare equal to none (names are padded with spaces
    // when sorted and compared), so "a " would be "a": they become '_'.
    for u in units.iter_mut().rev() {
        if *u != u16::from(b' ') {
            break;
        }
        *u = u16::from(b'_');
    }
    let limit = if is_dir {
        JOLIET_CHARS
    } else {
        JOLIET_CHARS - 2
    };
    if units.len() > limit {
        let dot = units.iter().rposition(|&u| u == u16::from(b'.'));
        match dot {
            Some(d) if units.len() - d <= 16 && d > 0 => {
                let ext = units[d..].to_vec();
                units.truncate(limit - ext.len());
                units.extend_from_slice(&ext);
            }
            _ => units.truncate(limit),
        }
    }
    units
}

/// Make a Joliet identifier unique among `used` (without version), by
/// replacing the end of the name with `_N`, keeping a short extension.
pub fn unique_joliet(candidate: Vec<u16>, is_dir: bool, used: &mut BTreeSet<Vec<u16>>) -> Vec<u16> {
    if used.insert(candidate.clone()) {
        return candidate;
    }
    let limit = if is_dir {
        JOLIET_CHARS
    } else {
        JOLIET_CHARS - 2
    };
    let dot = if is_dir {
        None
    } else {
        candidate
            .iter()
            .rposition(|&u| u == u16::from(b'.'))
            .filter(|&d| d > 0)
    };
    let (head, tail) = match dot {
        Some(d) => (candidate[..d].to_vec(), candidate[d..].to_vec()),
        None => (candidate.clone(), Vec::new()),
    };
    for n in 1u64.. {
        let suffix: Vec<u16> = format!("_{n}").bytes().map(u16::from).collect();
        let keep = limit
            .saturating_sub(suffix.len() + tail.len())
            .min(head.len());
        let mut id = head[..keep].to_vec();
        id.extend_from_slice(&suffix);
        id.extend_from_slice(&tail);
        if used.insert(id.clone()) {
            return id;
        }
    }
    unreachable!("u64 counter exhausted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_mapping() {
        let s = NameMode::Strict;
        assert_eq!(primary_ident(b"menu.lst", false, s), b"MENU.LST;1");
        assert_eq!(primary_ident(b"unix", false, s), b"UNIX.;1");
        assert_eq!(
            primary_ident(b"stage2_eltorito", false, s),
            b"STAGE2_ELTORITO.;1"
        );
        assert_eq!(primary_ident(b"a.tar.gz", false, s), b"A_TAR.GZ;1");
        assert_eq!(primary_ident(b".profile", false, s), b"_PROFILE.;1");
        assert_eq!(primary_ident(b"amd64", true, s), b"AMD64");
        assert_eq!(primary_ident(b"x.y-z", true, s), b"X_Y_Z");
        let long = primary_ident(&[b'a'; 40], false, s);
        assert_eq!(long.len(), 30 + 3);
        assert_eq!(
            primary_ident(b"boot_archive", false, NameMode::Relaxed),
            b"boot_archive"
        );
    }

    #[test]
    fn relaxed_never_makes_dot_or_dotdot_identifiers() {
        // Found by the iso_roundtrip fuzz target: a file named "\x01"
        // became a second ".." record.
        let r = NameMode::Relaxed;
        assert_eq!(primary_ident(b"\x01", false, r), b"_");
        assert_eq!(primary_ident(b"\x01", true, r), b"_");
        assert_eq!(primary_ident(b"\x01a", false, r), b"\x01a");
        assert_eq!(primary_ident(b";s;1", false, r), b"_s_1");
        assert_eq!(primary_ident(b"` ", true, r), b"`");
        assert_eq!(primary_ident(b"a. .", false, r), b"a");
    }

    #[test]
    fn collisions_resolve_deterministically() {
        let mut used = BTreeSet::new();
        let s = NameMode::Strict;
        let a = unique_primary(primary_ident(b"a-b", false, s), false, s, &mut used);
        let b = unique_primary(primary_ident(b"a_b", false, s), false, s, &mut used);
        let c = unique_primary(primary_ident(b"A+B", false, s), false, s, &mut used);
        assert_eq!(
            (a, b, c),
            (
                b"A_B.;1".to_vec(),
                b"A_B_1.;1".to_vec(),
                b"A_B_2.;1".to_vec()
            )
        );
        let mut used = BTreeSet::new();
        let long = [b'x'; 31];
        let d1 = unique_primary(primary_ident(&long, true, s), true, s, &mut used);
        let d2 = unique_primary(primary_ident(&long, true, s), true, s, &mut used);
        assert_eq!(d1.len(), 31);
        assert_eq!(d2.len(), 31);
        assert!(d2.ends_with(b"_1"));
    }

    #[test]
    fn section_9_3_order() {
        let mut ids: Vec<&[u8]> = vec![
            b"B.TAR;1", b"A.0;1", b"B.;1", b"A.;1", b"A;2", b"A_.;1", b"AB.;1",
        ];
        ids.sort_by(|a, b| cmp_ident(a, b));
        // "A.;1" < "A.0;1" (empty extension padded with spaces sorts first);
        // "A;2" has name "A" and empty extension like "A.;1", version 2 first.
        assert_eq!(
            ids,
            vec![
                &b"A;2"[..],
                b"A.;1",
                b"A.0;1",
                b"AB.;1",
                b"A_.;1",
                b"B.;1",
                b"B.TAR;1"
            ]
        );
    }

    #[test]
    fn joliet_names() {
        let j = joliet_ident(b"caf\xc3\xa9:x", false);
        assert_eq!(j, vec![0x63, 0x61, 0x66, 0xe9, 0x5f, 0x78]);
        assert_eq!(joliet_ident(b"a.", false), vec![0x61, 0x5f]);
        let long = joliet_ident(&[b'a'; 100], true);
        assert_eq!(long.len(), 64);
        let mut n = vec![b'b'; 80];
        n.extend_from_slice(b".txt");
        let f = joliet_ident(&n, false);
        assert_eq!(f.len(), 62);
        assert!(f.ends_with(&[0x2e, 0x74, 0x78, 0x74]));
    }
}

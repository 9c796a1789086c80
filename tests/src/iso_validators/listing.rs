//! What a reader saw of an ISO's trees, and the subset comparison with what
//! the expected [`fstree::Tree`] says it must hold.
//!
//! Every reader's view is turned into lines of the [`crate::manifest`]
//! format (`PATH TYPE PERM UID GID SIZE NLINK MAJOR MINOR SHA256 TARGET`),
//! and so is the expected tree; columns a reader cannot see are printed as
//! `*` on *both* sides (see [`Columns`]), and `NLINK` is always `*` (an ISO
//! has no link count a writer must reproduce: xorriso writes PX nlink 1 for
//! hard links, and readers count directory links differently). The two
//! texts are then compared with [`crate::manifest_diff`].

use crate::manifest::{manifest_diff, tree_manifest};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One path as a reader reports it. `None` = the reader does not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IsoEntry {
    /// `d f l c b p s`.
    pub kind: char,
    /// Permission bits (`mode & 07777`).
    pub perm: Option<u16>,
    /// Owner.
    pub uid: Option<u32>,
    /// Group.
    pub gid: Option<u32>,
    /// Files: byte count; symlinks: target length.
    pub size: Option<u64>,
    /// Devices: (major, minor) as this reader decodes them.
    pub dev: Option<(u32, u32)>,
    /// Files: lowercase hex SHA-256 of the contents.
    pub sha256: Option<String>,
    /// Symlinks: the escaped target.
    pub target: Option<String>,
}

/// Paths (escaped like [`fstree::escape_bytes`], relative, no leading `/`)
/// to entries, plus any path seen twice (a writer bug the map would hide).
#[derive(Debug, Clone, Default)]
pub(crate) struct Listing {
    pub entries: BTreeMap<String, IsoEntry>,
    pub duplicates: Vec<String>,
}

impl Listing {
    pub fn insert(&mut self, path: String, e: IsoEntry) {
        match self.entries.entry(path) {
            std::collections::btree_map::Entry::Occupied(o) => {
                self.duplicates.push(o.key().clone())
            }
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(e);
            }
        }
    }

    /// The expected listing: [`tree_manifest`] of `tree`, parsed back.
    pub fn from_tree(tree: &fstree::Tree) -> Result<Listing, String> {
        let text = tree_manifest(tree);
        let mut l = Listing::default();
        for line in text.lines() {
            let (path, e) = parse_manifest_line(line)
                .ok_or_else(|| format!("cannot parse tree_manifest line {line:?}"))?;
            l.insert(path, e);
        }
        Ok(l)
    }
}

/// Parse one line of the [`crate::manifest`] format (NLINK ignored).
pub(crate) fn parse_manifest_line(line: &str) -> Option<(String, IsoEntry)> {
    let f: Vec<&str> = line.split(' ').collect();
    if f.len() != 11 {
        return None;
    }
    let opt = |s: &str| (s != "-").then(|| s.to_string());
    let num = |s: &str| -> Option<Option<u64>> {
        if s == "-" {
            Some(None)
        } else {
            s.parse().ok().map(Some)
        }
    };
    let kind = f[1].chars().next()?;
    let dev = match (num(f[7])?, num(f[8])?) {
        (Some(a), Some(b)) => Some((u32::try_from(a).ok()?, u32::try_from(b).ok()?)),
        _ => None,
    };
    Some((
        f[0].to_string(),
        IsoEntry {
            kind,
            perm: Some(u16::from_str_radix(f[2], 8).ok()?),
            uid: Some(f[3].parse().ok()?),
            gid: Some(f[4].parse().ok()?),
            size: num(f[5])?,
            dev,
            sha256: opt(f[9]),
            target: opt(f[10]),
        },
    ))
}

/// Which manifest columns a reader can see. PATH and TYPE are always
/// compared; NLINK never is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Columns {
    /// Permission bits compared (`0` = not at all, `0o777` = without
    /// setuid/setgid/sticky, `0o7777` = all).
    pub perm_mask: u16,
    /// UID and GID.
    pub owner: bool,
    /// SIZE (files and symlinks).
    pub size: bool,
    /// MAJOR MINOR (devices).
    pub dev: bool,
    /// SHA256 (files).
    pub sha256: bool,
    /// TARGET (symlinks).
    pub target: bool,
}

impl Columns {
    /// Everything a Rock Ridge tree records.
    pub const ALL: Columns = Columns {
        perm_mask: 0o7777,
        owner: true,
        size: true,
        dev: true,
        sha256: true,
        target: true,
    };

    /// A short description for the report, e.g. `type perm(0777) size target`.
    pub fn describe(&self) -> String {
        let mut s = String::from("path type");
        match self.perm_mask {
            0 => {}
            0o7777 => s.push_str(" perm"),
            m => {
                let _ = write!(s, " perm(&{m:04o})");
            }
        }
        for (on, name) in [
            (self.owner, " uid gid"),
            (self.size, " size"),
            (self.dev, " major minor"),
            (self.sha256, " sha256"),
            (self.target, " target"),
        ] {
            if on {
                s.push_str(name);
            }
        }
        s
    }
}

fn render_line(out: &mut String, path: &str, e: &IsoEntry, c: &Columns) {
    let star = || "*".to_string();
    let q = || "?".to_string();
    let perm = if c.perm_mask == 0 {
        star()
    } else {
        e.perm
            .map_or_else(q, |p| format!("{:04o}", p & c.perm_mask))
    };
    let (uid, gid) = if c.owner {
        (
            e.uid.map_or_else(q, |v| v.to_string()),
            e.gid.map_or_else(q, |v| v.to_string()),
        )
    } else {
        (star(), star())
    };
    let has_size = matches!(e.kind, 'f' | 'l');
    let size = if !c.size {
        star()
    } else {
        match e.size {
            Some(s) => s.to_string(),
            None if has_size => q(),
            None => "-".into(),
        }
    };
    let (major, minor) = if !c.dev {
        (star(), star())
    } else {
        match e.dev {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None if matches!(e.kind, 'c' | 'b') => (q(), q()),
            None => ("-".into(), "-".into()),
        }
    };
    let sha = if !c.sha256 {
        star()
    } else {
        match &e.sha256 {
            Some(s) => s.clone(),
            None if e.kind == 'f' => q(),
            None => "-".into(),
        }
    };
    let target = if !c.target {
        star()
    } else {
        match &e.target {
            Some(s) => s.clone(),
            None if e.kind == 'l' => q(),
            None => "-".into(),
        }
    };
    let _ = writeln!(
        out,
        "{path} {} {perm} {uid} {gid} {size} * {major} {minor} {sha} {target}",
        e.kind
    );
}

/// The listing as manifest text, restricted to `cols`.
pub(crate) fn render(l: &Listing, cols: &Columns) -> String {
    let mut out = String::new();
    for (p, e) in &l.entries {
        render_line(&mut out, p, e, cols);
    }
    out
}

/// Compare `actual` with `expected` on `cols`; problems in readable form.
pub(crate) fn compare(expected: &Listing, actual: &Listing, cols: &Columns) -> Vec<String> {
    let mut problems = Vec::new();
    for d in &actual.duplicates {
        problems.push(format!("path {d} appears more than once"));
    }
    let diff = manifest_diff(&render(expected, cols), &render(actual, cols), 25);
    if !diff.is_empty() {
        problems.push(format!(
            "tree differs from the expected tree (compared: {}; '-' expected, '+' seen):\n{}",
            cols.describe(),
            diff.trim_end()
        ));
    }
    problems
}

/// Remove the visible boot catalog from a reader's listing before the
/// comparison (its bytes, mode and owner are the writer's choice); it must
/// be there, as a regular file, when the expectation says it is visible.
pub(crate) fn take_catalog(l: &mut Listing, catalog: Option<&str>, problems: &mut Vec<String>) {
    let Some(path) = catalog else { return };
    let key = fstree::escape_bytes(path.trim_start_matches('/').as_bytes());
    match l.entries.remove(&key) {
        Some(e) if e.kind == 'f' => {}
        Some(e) => problems.push(format!(
            "boot catalog {key} is listed as type {} (expected a regular file)",
            e.kind
        )),
        None => problems.push(format!("boot catalog {key} is not in the tree")),
    }
}

/// Names writers give the Rock Ridge relocation directory (ECMA-119 allows
/// 8 directory levels; deeper directories move there, with `CL`/`PL`/`RE`
/// entries that Rock Ridge readers follow).
pub(crate) const RELOCATION_DIRS: [&str; 2] = ["rr_moved", ".rr_moved"];

/// Remove the relocation directory from a Rock Ridge listing when it is
/// not in the expected tree and is empty in this reader's view (every
/// relocated directory shown back at its real place); a note says so.
/// A relocation directory that still holds entries stays, so the diff
/// shows them.
pub(crate) fn drop_relocation_dir(l: &mut Listing, expected: &Listing, notes: &mut Vec<String>) {
    for name in RELOCATION_DIRS {
        if expected.entries.contains_key(name) {
            continue;
        }
        let prefix = format!("{name}/");
        let empty = !l.entries.keys().any(|k| k.starts_with(&prefix));
        if empty && l.entries.get(name).is_some_and(|e| e.kind == 'd') {
            l.entries.remove(name);
            notes.push(format!(
                "{name}: the writer's Rock Ridge relocation directory (empty in this view) ignored"
            ));
        }
    }
}

/// For a reader that does not follow Rock Ridge `CL` entries (isoinfo):
/// `placeholders` are the paths listed as directories by PX but recorded as
/// files (the `CL` records), with their extents; `dir_extents` the extents
/// of real directory records. Each directory whose extent a placeholder
/// names is moved, with everything below it, to the placeholder's path.
pub(crate) fn follow_relocations(
    l: &mut Listing,
    placeholders: &BTreeMap<String, u64>,
    dir_extents: &BTreeMap<String, u64>,
    notes: &mut Vec<String>,
) {
    for (ph, ext) in placeholders {
        // The placeholder's own extent is the directory's (this project's
        // writer) or a zero-length file's (genisoimage); then match by name
        // under the relocation directory, when that is unambiguous.
        let by_extent: Vec<&String> = dir_extents
            .iter()
            .filter(|(p, e)| *e == ext && *p != ph)
            .map(|(p, _)| p)
            .collect();
        let base = ph.rsplit('/').next().unwrap_or(ph);
        let by_name: Vec<&String> = RELOCATION_DIRS
            .iter()
            .map(|r| format!("{r}/{base}"))
            .filter_map(|p| dir_extents.get_key_value(&p).map(|(k, _)| k))
            .collect();
        let moved = match (by_extent.as_slice(), by_name.as_slice()) {
            ([one], _) | ([], [one]) => (*one).clone(),
            _ => continue,
        };
        let prefix = format!("{moved}/");
        let keys: Vec<String> = l
            .entries
            .keys()
            .filter(|k| **k == moved || k.starts_with(&prefix))
            .cloned()
            .collect();
        l.entries.remove(ph);
        for k in keys {
            if let Some(e) = l.entries.remove(&k) {
                let new = format!("{ph}{}", &k[moved.len()..]);
                l.insert(new, e);
            }
        }
        notes.push(format!(
            "{ph}: relocated directory {moved} (CL) read back in place"
        ));
    }
}

/// How a writer stores a device number in the Rock Ridge `PN` entry's two
/// 32-bit words. RRIP only says "high" and "low" words of a `dev_t`, and
/// producers disagree: measured here, genisoimage 1.1.11 and mvi's own
/// writer use [`MajorMinor`](PnEncoding::MajorMinor), xorriso 1.5.4
/// [`LinuxDevT`](PnEncoding::LinuxDevT).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PnEncoding {
    /// `high = major`, `low = minor`: what illumos hsfs (`makedevice(high,
    /// low)`) and the Linux kernel (`MKDEV(high, low)` when `high != 0`)
    /// read.
    #[default]
    MajorMinor,
    /// The host's 64-bit glibc `dev_t` split into its high and low 32-bit
    /// words: what libisofs (xorriso) writes, so (1, 3) is stored as
    /// `high = 0, low = 0x103`.
    LinuxDevT,
}

impl PnEncoding {
    /// The `(high, low)` words a writer using this encoding stores.
    pub(crate) fn encode(self, major: u32, minor: u32) -> (u32, u32) {
        match self {
            PnEncoding::MajorMinor => (major, minor),
            PnEncoding::LinuxDevT => {
                let dev = glibc_makedev(major, minor);
                ((dev >> 32) as u32, dev as u32)
            }
        }
    }
}

/// How a reader turns the `PN` words into the (major, minor) it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PnReader {
    /// Reports the words themselves (pycdlib, hadris-iso).
    Raw,
    /// Builds `dev_t = high << 32 | low` and reports glibc `major()` /
    /// `minor()` of it (libarchive's bsdtar, libisofs' xorriso).
    GlibcDevT,
}

impl PnReader {
    pub(crate) fn view(self, (high, low): (u32, u32)) -> (u32, u32) {
        match self {
            PnReader::Raw => (high, low),
            PnReader::GlibcDevT => glibc_split((u64::from(high) << 32) | u64::from(low)),
        }
    }
}

/// glibc `makedev`.
pub(crate) fn glibc_makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (u64::from(major), u64::from(minor));
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}

/// glibc `major` and `minor`.
pub(crate) fn glibc_split(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// `expected` with device numbers as a reader decoding `PN` with `reader`
/// will report them, for a writer using `enc`.
pub(crate) fn with_device_view(expected: &Listing, enc: PnEncoding, reader: PnReader) -> Listing {
    let mut l = expected.clone();
    for e in l.entries.values_mut() {
        if let Some((ma, mi)) = e.dev {
            e.dev = Some(reader.view(enc.encode(ma, mi)));
        }
    }
    l
}

/// What a Joliet tree must hold: only directories and regular files (Joliet
/// cannot record symlinks or special files), with their sizes and contents.
/// Names Joliet cannot hold verbatim (not UTF-8, more than 64 UCS-2 units,
/// control characters, `* / : ; ? \`, a trailing `.`) are mangled by each writer in its
/// own way: such entries (and everything below them) are only counted.
#[derive(Debug, Clone, Default)]
pub(crate) struct JolietExpect {
    /// Entries with representable paths: path -> (kind, size, sha256).
    pub exact: BTreeMap<String, (char, Option<u64>, Option<String>)>,
    /// All directories and regular files, representable or not.
    pub total: usize,
    /// Representable paths of symlinks, devices, FIFOs and sockets: some
    /// writers (genisoimage) list them in Joliet as empty files.
    pub specials: std::collections::BTreeSet<String>,
}

fn joliet_name_ok(name: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(name) else {
        return false;
    };
    // A trailing '.' is stripped by readers (before ";1"), so writers
    // must change it.
    s.encode_utf16().count() <= 64
        && !s.ends_with('.')
        && !s
            .chars()
            .any(|c| (c as u32) < 0x20 || matches!(c, '*' | '/' | ':' | ';' | '?' | '\\'))
}

impl JolietExpect {
    pub fn from_tree(tree: &fstree::Tree, expected: &Listing) -> JolietExpect {
        let mut j = JolietExpect::default();
        // (directory, raw path, representable so far)
        let mut stack = vec![(fstree::ROOT, Vec::<u8>::new(), true)];
        while let Some((dir, prefix, ok)) = stack.pop() {
            for e in tree.entries(dir) {
                let node = tree.node(e.node);
                let is_dir = matches!(node.kind, fstree::Kind::Dir(_));
                let mut path = prefix.clone();
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(&e.name);
                let rep = ok && joliet_name_ok(&e.name);
                if !is_dir && !matches!(node.kind, fstree::Kind::File { .. }) {
                    if rep {
                        j.specials.insert(fstree::escape_bytes(&path));
                    }
                    continue;
                }
                j.total += 1;
                if rep {
                    let key = fstree::escape_bytes(&path);
                    let (size, sha) = expected
                        .entries
                        .get(&key)
                        .map(|x| (x.size, x.sha256.clone()))
                        .unwrap_or_default();
                    j.exact
                        .insert(key, (if is_dir { 'd' } else { 'f' }, size, sha));
                }
                if is_dir {
                    stack.push((e.node, path, rep));
                }
            }
        }
        j
    }

    /// Compare a reader's Joliet listing (catalog already removed):
    /// problems, and notes on tolerated differences.
    pub fn compare(&self, actual: &Listing) -> (Vec<String>, Vec<String>) {
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let specials: Vec<&String> = actual
            .entries
            .iter()
            .filter(|(p, e)| {
                self.specials.contains(*p) && e.kind == 'f' && e.size.unwrap_or(0) == 0
            })
            .map(|(p, _)| p)
            .collect();
        if !specials.is_empty() {
            notes.push(format!(
                "Joliet lists {} symlinks or special files as empty files (e.g. {}); tolerated",
                specials.len(),
                specials[0]
            ));
        }
        for d in &actual.duplicates {
            problems.push(format!("Joliet path {d} appears more than once"));
        }
        let mut diffs = Vec::new();
        for (p, (kind, size, sha)) in &self.exact {
            match actual.entries.get(p) {
                None => diffs.push(format!("- {p} {kind} (missing)")),
                Some(a) => {
                    let want_size = if *kind == 'f' { *size } else { None };
                    let got_size = if a.kind == 'f' { a.size } else { None };
                    let got_sha = if a.kind == 'f' {
                        a.sha256.clone()
                    } else {
                        None
                    };
                    let want_sha = if *kind == 'f' { sha.clone() } else { None };
                    if a.kind != *kind
                        || got_size != want_size
                        || (got_sha.is_some() && got_sha != want_sha)
                    {
                        diffs.push(format!(
                            "- {p} {kind} {:?} {}\n+ {p} {} {:?} {}",
                            want_size,
                            want_sha.as_deref().unwrap_or("-"),
                            a.kind,
                            got_size,
                            got_sha.as_deref().unwrap_or("-")
                        ));
                    }
                }
            }
        }
        if actual.entries.len() - specials.len() != self.total {
            let extra: Vec<&String> = actual
                .entries
                .keys()
                .filter(|k| !self.exact.contains_key(*k) && !specials.contains(k))
                .take(10)
                .collect();
            diffs.push(format!(
                "Joliet tree has {} entries, expected {} directories and regular files \
                 ({} with names Joliet holds verbatim); entries not matched by name: {extra:?}",
                actual.entries.len(),
                self.total,
                self.exact.len()
            ));
        }
        if !diffs.is_empty() {
            let n = diffs.len();
            let mut s = format!("Joliet tree differs from the expected tree ({n} problem(s)):\n");
            for d in diffs.iter().take(25) {
                s.push_str(d);
                s.push('\n');
            }
            problems.push(s.trim_end().to_string());
        }
        (problems, notes)
    }
}

/// Sizes of the non-empty regular files of a listing, sorted: the primary
/// (ISO 9660) tree must hold the same data files as the Rock Ridge tree,
/// whatever its names (symlinks, devices and relocation placeholders are
/// empty files there).
pub(crate) fn nonempty_sizes(l: &Listing) -> Vec<u64> {
    let mut v: Vec<u64> = l
        .entries
        .values()
        .filter(|e| e.kind == 'f')
        .filter_map(|e| e.size)
        .filter(|&s| s > 0)
        .collect();
    v.sort_unstable();
    v
}

/// `(size, sha256)` of the non-empty regular files, sorted: how a tree
/// without Rock Ridge (mangled names) is compared.
pub(crate) fn content_multiset(l: &Listing) -> Vec<(u64, String)> {
    let mut v: Vec<(u64, String)> = l
        .entries
        .values()
        .filter(|e| e.kind == 'f' && e.size.unwrap_or(0) > 0)
        .map(|e| (e.size.unwrap_or(0), e.sha256.clone().unwrap_or_default()))
        .collect();
    v.sort();
    v
}

/// Readable difference of two sorted multisets.
pub(crate) fn multiset_diff<T: Ord + std::fmt::Debug + Clone>(
    what: &str,
    expected: &[T],
    actual: &[T],
) -> Option<String> {
    if expected == actual {
        return None;
    }
    let mut missing = Vec::new();
    let mut extra = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < expected.len() || j < actual.len() {
        match (expected.get(i), actual.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                missing.push(a.clone());
                i += 1;
            }
            (Some(_), Some(b)) => {
                extra.push(b.clone());
                j += 1;
            }
            (Some(a), None) => {
                missing.push(a.clone());
                i += 1;
            }
            (None, Some(b)) => {
                extra.push(b.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
    missing.truncate(10);
    extra.truncate(10);
    Some(format!(
        "{what}: {} expected, {} seen; missing {missing:?}; unexpected {extra:?}",
        expected.len(),
        actual.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_dev_numbers_round_trip() {
        for (ma, mi) in [
            (0, 0),
            (1, 3),
            (7, 0),
            (4095, 255),
            (4096, 256),
            (0xfffff, 0xfffff),
        ] {
            assert_eq!(glibc_split(glibc_makedev(ma, mi)), (ma, mi));
        }
        assert_eq!(glibc_makedev(1, 3), 0x103);
        assert_eq!(PnEncoding::LinuxDevT.encode(7, 0), (0, 0x700));
        assert_eq!(PnEncoding::MajorMinor.encode(7, 0), (7, 0));
        // A MajorMinor PN read by a dev_t reader is garbage, visibly.
        assert_ne!(PnReader::GlibcDevT.view((7, 0)), (7, 0));
        assert_eq!(PnReader::GlibcDevT.view((0, 0x103)), (1, 3));
    }

    #[test]
    fn masked_columns_compare_only_what_is_visible() {
        let mut a = Listing::default();
        a.insert(
            "x".into(),
            IsoEntry {
                kind: 'f',
                perm: Some(0o4755),
                uid: Some(1),
                gid: Some(2),
                size: Some(3),
                dev: None,
                sha256: Some("ab".into()),
                target: None,
            },
        );
        let mut b = Listing::default();
        b.insert(
            "x".into(),
            IsoEntry {
                kind: 'f',
                perm: Some(0o755),
                size: Some(3),
                ..Default::default()
            },
        );
        let cols = Columns {
            perm_mask: 0o777,
            owner: false,
            size: true,
            dev: false,
            sha256: false,
            target: true,
        };
        assert!(compare(&a, &b, &cols).is_empty());
        let p = compare(&a, &b, &Columns::ALL);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("- x f 4755 1 2 3 * - - ab -"), "{}", p[0]);
        assert!(p[0].contains("+ x f 0755 ? ? 3 * - - ? -"), "{}", p[0]);
        b.insert("x".into(), IsoEntry::default());
        assert!(compare(&a, &b, &cols)[0].contains("more than once"));
    }

    #[test]
    fn manifest_lines_parse() {
        let (p, e) = parse_manifest_line("dev/null c 0666 0 0 - 1 1 3 - -").unwrap();
        assert_eq!(p, "dev/null");
        assert_eq!(e.kind, 'c');
        assert_eq!(e.dev, Some((1, 3)));
        assert_eq!(e.size, None);
        let (_, e) = parse_manifest_line("l l 0777 0 0 3 1 - - - abc").unwrap();
        assert_eq!(e.target.as_deref(), Some("abc"));
        assert!(parse_manifest_line("short line").is_none());
    }

    #[test]
    fn relocation_directory() {
        let d = |kind| IsoEntry {
            kind,
            ..Default::default()
        };
        let mut expected = Listing::default();
        for p in ["a", "a/b", "a/b/c"] {
            expected.insert(p.into(), d('d'));
        }
        // isoinfo's view: a/b is a CL placeholder, the directory is rr_moved/b.
        let mut l = Listing::default();
        for (p, k) in [
            ("a", 'd'),
            ("a/b", 'd'),
            ("rr_moved", 'd'),
            ("rr_moved/b", 'd'),
            ("rr_moved/b/c", 'd'),
        ] {
            l.insert(p.into(), d(k));
        }
        let ph = BTreeMap::from([("a/b".to_string(), 40u64)]);
        let dirs = BTreeMap::from([
            ("a".to_string(), 30u64),
            ("rr_moved".to_string(), 35),
            ("rr_moved/b".to_string(), 40),
            ("rr_moved/b/c".to_string(), 41),
        ]);
        let mut notes = Vec::new();
        follow_relocations(&mut l, &ph, &dirs, &mut notes);
        drop_relocation_dir(&mut l, &expected, &mut notes);
        assert_eq!(
            l.entries.keys().collect::<Vec<_>>(),
            ["a", "a/b", "a/b/c"],
            "{notes:?}"
        );
        assert_eq!(notes.len(), 2);
        // genisoimage: the placeholder has an extent of its own.
        let mut l = Listing::default();
        for p in ["a", "a/b", "rr_moved", "rr_moved/b", "rr_moved/b/c"] {
            l.insert(p.into(), d('d'));
        }
        let ph = BTreeMap::from([("a/b".to_string(), 99u64)]);
        follow_relocations(&mut l, &ph, &dirs, &mut notes);
        drop_relocation_dir(&mut l, &expected, &mut notes);
        assert_eq!(l.entries.keys().collect::<Vec<_>>(), ["a", "a/b", "a/b/c"]);
        // A relocation directory that is not empty stays.
        let mut l = Listing::default();
        l.insert("rr_moved".into(), d('d'));
        l.insert("rr_moved/x".into(), d('d'));
        drop_relocation_dir(&mut l, &expected, &mut notes);
        assert_eq!(l.entries.len(), 2);
    }

    #[test]
    fn joliet_names() {
        assert!(joliet_name_ok(b"file 1.txt"));
        assert!(joliet_name_ok("日本語.txt".as_bytes()));
        assert!(!joliet_name_ok(b"bad\xffname"));
        assert!(!joliet_name_ok(b"a;b"));
        assert!(!joliet_name_ok(&[b'L'; 65]));
        assert!(joliet_name_ok(&[b'L'; 64]));
    }

    #[test]
    fn multisets() {
        assert_eq!(multiset_diff("x", &[1, 2, 3], &[1, 2, 3]), None);
        let d = multiset_diff("sizes", &[1, 2, 3], &[1, 3, 4]).unwrap();
        assert!(
            d.contains("missing [2]") && d.contains("unexpected [4]"),
            "{d}"
        );
    }
}

//! The external validators, their output parsers, and the harness's own
//! El Torito check.

use super::listing::{
    self, compare, multiset_diff, nonempty_sizes, take_catalog, with_device_view, Columns,
    IsoEntry, Listing, PnReader,
};
use super::run::{run_tool, ToolRun};
use super::{eltorito, Ctx, Validator, Verdict};
use std::ffi::OsStr;
use std::time::Instant;

/// The embedded pycdlib script (`tests/oracle/pycdlib_check.py`).
const PYCDLIB_CHECK: &str = include_str!("../../oracle/pycdlib_check.py");

impl Ctx<'_> {
    fn run(
        &self,
        v: &mut Verdict,
        tag: &str,
        program: &str,
        args: &[&OsStr],
        env: &[(&str, &str)],
    ) -> Option<ToolRun> {
        match run_tool(self.work.path(), tag, program, args, env, self.timeout) {
            Ok(r) => {
                v.output.push_str(&r.transcript());
                Some(r)
            }
            Err(e) => {
                v.problem(e);
                None
            }
        }
    }

    fn iso_arg(&self) -> &OsStr {
        self.iso.as_os_str()
    }

    /// The expected Rock Ridge listing as `reader` reports device numbers.
    fn expected_view(&self, reader: PnReader) -> Option<Listing> {
        self.expected
            .as_ref()
            .map(|e| with_device_view(e, self.expect.pn_encoding, reader))
    }

    /// Before comparing a Rock Ridge listing: remove the visible boot
    /// catalog and an empty relocation directory.
    pub(crate) fn prepare_rr(&self, l: &mut Listing, v: &mut Verdict) {
        take_catalog(l, self.catalog_path(), &mut v.problems);
        if let Some(exp) = &self.expected {
            listing::drop_relocation_dir(l, exp, &mut v.notes);
        }
    }

    fn boot_facts(&self) -> Option<&eltorito::BootFacts> {
        self.boot.as_ref().ok().and_then(|b| b.as_ref())
    }
}

fn require_exit_zero(v: &mut Verdict, r: &ToolRun) {
    if r.code != Some(0) {
        v.problem(format!(
            "`{}` exited with {}",
            r.command,
            r.code
                .map_or_else(|| "a signal".to_string(), |c| format!("status {c}"))
        ));
    }
}

fn require_quiet_stderr(v: &mut Verdict, r: &ToolRun) {
    let err = r.stderr_text();
    if !err.trim().is_empty() {
        v.problem(format!(
            "`{}` wrote to stderr:\n{}",
            r.command,
            super::tail(err.trim_end(), 10)
        ));
    }
}

// ---------------------------------------------------------------- parsing

/// Split off `n` space-separated tokens; the rest starts after the single
/// space that follows the last token.
pub(crate) fn tokens(line: &[u8], n: usize) -> Option<(Vec<&[u8]>, &[u8])> {
    let mut toks = Vec::with_capacity(n);
    let mut i = 0;
    while toks.len() < n {
        while line.get(i) == Some(&b' ') {
            i += 1;
        }
        if i >= line.len() {
            return None;
        }
        let s = i;
        while i < line.len() && line[i] != b' ' {
            i += 1;
        }
        toks.push(&line[s..i]);
    }
    if line.get(i) == Some(&b' ') {
        i += 1;
    }
    Some((toks, &line[i..]))
}

/// `ls -l` style mode string to (type letter, permission bits); the type
/// character must already be mapped to `- d l c b p s`.
pub(crate) fn parse_mode(m: &[u8]) -> Option<(char, u16)> {
    if m.len() < 10 {
        return None;
    }
    let kind = match m[0] {
        b'-' => 'f',
        b'd' => 'd',
        b'l' => 'l',
        b'c' => 'c',
        b'b' => 'b',
        b'p' => 'p',
        b's' => 's',
        _ => return None,
    };
    let mut perm = 0u16;
    for (i, shift) in [(1usize, 6u16), (4, 3), (7, 0)] {
        match m[i] {
            b'r' => perm |= 4 << shift,
            b'-' => {}
            _ => return None,
        }
        match m[i + 1] {
            b'w' => perm |= 2 << shift,
            b'-' => {}
            _ => return None,
        }
        let special = match i {
            1 => 0o4000,
            4 => 0o2000,
            _ => 0o1000,
        };
        let (set, unset) = if i == 7 { (b't', b'T') } else { (b's', b'S') };
        match m[i + 2] {
            b'x' => perm |= 1 << shift,
            b'-' => {}
            c if c == set => perm |= (1 << shift) | special,
            c if c == unset => perm |= special,
            _ => return None,
        }
    }
    Some((kind, perm))
}

fn num<T: std::str::FromStr>(t: &[u8]) -> Option<T> {
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// `7,0` -> (7, 0).
fn dev_pair(t: &[u8]) -> Option<(u32, u32)> {
    let s = std::str::from_utf8(t).ok()?;
    let (a, b) = s.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Split at the first occurrence of `sep`.
fn split_once<'a>(s: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let i = s.windows(sep.len()).position(|w| w == sep)?;
    Some((&s[..i], &s[i + sep.len()..]))
}

/// xorriso's shell-safe quoting: `'...'` segments, a quote written as
/// `'"'"'`. Returns the value and what follows it.
pub(crate) fn shell_unquote(s: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    if !matches!(s.first(), Some(b'\'') | Some(b'"')) {
        return None;
    }
    while let Some(&q) = s.get(i) {
        if q != b'\'' && q != b'"' {
            break;
        }
        let end = s[i + 1..].iter().position(|&c| c == q)? + i + 1;
        out.extend_from_slice(&s[i + 1..end]);
        i = end + 1;
    }
    Some((out, &s[i..]))
}

/// bsdtar's listing escapes: `\\`, `\ooo`, `\a \b \f \n \r \t \v`.
pub(crate) fn bsd_unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() {
            let c = s[i + 1];
            let oct = s
                .get(i + 1..i + 4)
                .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
            if let Some(d) = oct {
                out.push(((d[0] - b'0') << 6) | ((d[1] - b'0') << 3) | (d[2] - b'0'));
                i += 4;
                continue;
            }
            let mapped = match c {
                b'\\' => Some(b'\\'),
                b'a' => Some(7),
                b'b' => Some(8),
                b'f' => Some(12),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'v' => Some(11),
                _ => None,
            };
            if let Some(m) = mapped {
                out.push(m);
                i += 2;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Path -> (extent, directory record flags).
pub(crate) type Extents = std::collections::BTreeMap<String, (u64, u8)>;

/// Undo [`fstree::escape_bytes`].
pub(crate) fn unescape_fstree(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\'
            && b.get(i + 1..i + 4)
                .is_some_and(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)))
        {
            out.push(((b[i + 1] - b'0') << 6) | ((b[i + 2] - b'0') << 3) | (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn esc(raw: &[u8]) -> String {
    fstree::escape_bytes(raw)
}

/// Size column of a listing line: the file length for files, the target
/// length for symlinks (listings print 0), nothing for other types.
fn sized(kind: char, size: Option<u64>, target: Option<&[u8]>) -> Option<u64> {
    match kind {
        'f' => size,
        'l' => target.map(|t| t.len() as u64),
        _ => None,
    }
}

/// Parse `xorriso ... -find / -exec lsdl` lines (other lines are ignored;
/// lines that look like entries but do not parse are returned as errors).
pub(crate) fn parse_lsdl(out: &[u8]) -> (Listing, Vec<String>) {
    let mut l = Listing::default();
    let mut bad = Vec::new();
    for line in out.split(|&b| b == b'\n') {
        if line.len() < 11 || !line[..10].iter().all(|c| b"-dlcbpsewrxsStT".contains(c)) {
            continue;
        }
        let parsed = (|| {
            let (t, rest) = tokens(line, 8)?;
            let mut mode = t[0].to_vec();
            if mode[0] == b'e' {
                mode[0] = b'-'; // xorriso's type letter for the El Torito catalog
            }
            let (kind, perm) = parse_mode(&mode)?;
            let (path, rest) = shell_unquote(rest)?;
            let target = if kind == 'l' {
                let r = rest.strip_prefix(b" -> ")?;
                Some(shell_unquote(r)?.0)
            } else {
                None
            };
            let (size, dev) = if matches!(kind, 'c' | 'b') {
                (None, Some(dev_pair(t[4])?))
            } else {
                (num(t[4]), None)
            };
            Some((
                path,
                IsoEntry {
                    kind,
                    perm: Some(perm),
                    uid: num(t[2]),
                    gid: num(t[3]),
                    size: sized(kind, size, target.as_deref()),
                    dev,
                    sha256: None,
                    target: target.as_deref().map(esc),
                },
            ))
        })();
        match parsed {
            Some((path, e)) if path == b"/" => {
                let _ = e;
            }
            Some((path, e)) => l.insert(esc(path.strip_prefix(b"/").unwrap_or(&path)), e),
            None => bad.push(String::from_utf8_lossy(line).into_owned()),
        }
    }
    (l, bad)
}

/// Parse `isoinfo -l [-R]` output. Also returns each path's extent and
/// directory record flags (bit 1: directory).
fn find_sub(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn parse_isoinfo_listing(out: &[u8]) -> (Listing, Extents, Vec<String>) {
    let mut l = Listing::default();
    let mut extents = std::collections::BTreeMap::new();
    let mut bad = Vec::new();
    let mut dir: Vec<u8> = Vec::new();
    let mut pending: Option<(String, (u64, u8), u64)> = None;
    for line in out.split(|&b| b == b'\n') {
        if let Some(d) = line.strip_prefix(b"Directory listing of ") {
            let d = d.strip_prefix(b"/").unwrap_or(d);
            dir = d.strip_suffix(b"/").unwrap_or(d).to_vec();
            continue;
        }
        if line.len() < 11 || line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        // isoinfo prints "?---------" for some "." and ".." records.
        if line.ends_with(b"]  . ") || line.ends_with(b"]  .. ") {
            continue;
        }
        // isoinfo prints the flags of a non-final extent of a multi-extent
        // file (0x80) sign-extended and cut short: "[     22 FFFF name"
        // with no closing bracket. Rewrite such a line to the usual form.
        let fixed: Vec<u8>;
        let line: &[u8] = match find_sub(line, b" FFFF ") {
            Some(i) if !line[i..].contains(&b']') => {
                let mut v = line[..i].to_vec();
                v.extend_from_slice(b" 80]  ");
                v.extend_from_slice(&line[i + 6..]);
                fixed = v;
                &fixed
            }
            _ => line,
        };
        let parsed = (|| {
            let open = line.iter().position(|&c| c == b'[')?;
            let close = open + line[open..].iter().position(|&c| c == b']')?;
            let (t, _) = tokens(&line[..open], 8)?;
            let mut mode = t[0].to_vec();
            if mode[0] == b'f' {
                mode[0] = b'p'; // isoinfo prints FIFOs as 'f'
            }
            let (kind, perm) = parse_mode(&mode)?;
            let (ext_tok, _) = tokens(&line[open + 1..close], 2)?;
            let extent: u64 = num(ext_tok[0])?;
            let flags = u8::from_str_radix(std::str::from_utf8(ext_tok[1]).ok()?, 16).ok()?;
            let rest = line[close + 1..].strip_prefix(b"  ")?;
            let (name, target) = if kind == 'l' {
                let (n, t) = split_once(rest, b" -> ")?;
                (n.to_vec(), Some(t.to_vec()))
            } else {
                (rest.strip_suffix(b" ").unwrap_or(rest).to_vec(), None)
            };
            Some((
                name,
                (extent, flags),
                IsoEntry {
                    kind,
                    perm: Some(perm),
                    uid: None,
                    gid: None,
                    size: sized(kind, num(t[4]), target.as_deref()),
                    dev: None,
                    sha256: None,
                    target: target.as_deref().map(esc),
                },
            ))
        })();
        match parsed {
            Some((name, _, _)) if name == b"." || name == b".." => {}
            Some((name, extent, mut e)) => {
                let mut p = dir.clone();
                if !p.is_empty() {
                    p.push(b'/');
                }
                p.extend_from_slice(&name);
                let key = esc(&p);
                // A multi-extent file is one line per extent: sum the sizes,
                // keep the first extent.
                match (pending.take(), e.size) {
                    (Some((k, first, size)), Some(s)) if k == key => {
                        e.size = Some(size + s);
                        extents.insert(key.clone(), first);
                        // The same file: replace the first extent's line.
                        l.entries.remove(&key);
                    }
                    _ => {
                        extents.insert(key.clone(), extent);
                    }
                }
                if extent.1 & 0x80 != 0 {
                    pending = Some((key.clone(), extents[&key], e.size.unwrap_or(0)));
                }
                l.insert(key, e);
            }
            None => bad.push(String::from_utf8_lossy(line).into_owned()),
        }
    }
    (l, extents, bad)
}

/// Parse `bsdtar -tvf` output; hard-link lines ("X link to Y") take Y's
/// size. Returns the listing and lines that did not parse.
pub(crate) fn parse_bsdtar_listing(out: &[u8]) -> (Listing, Vec<String>) {
    let mut l = Listing::default();
    let mut bad = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    for line in out.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let parsed = (|| {
            let (t, rest) = tokens(line, 8)?;
            let (kind, perm) = parse_mode(t[0])?;
            let (name, target, link) = if kind == 'l' {
                let (n, tg) = split_once(rest, b" -> ")?;
                (bsd_unescape(n), Some(bsd_unescape(tg)), None)
            } else if let Some((n, to)) = split_once(rest, b" link to ") {
                (bsd_unescape(n), None, Some(bsd_unescape(to)))
            } else {
                (bsd_unescape(rest), None, None)
            };
            let (size, dev) = if matches!(kind, 'c' | 'b') {
                (None, Some(dev_pair(t[4])?))
            } else {
                (num(t[4]), None)
            };
            Some((
                name,
                link,
                IsoEntry {
                    kind,
                    perm: Some(perm),
                    uid: num(t[2]),
                    gid: num(t[3]),
                    size: sized(kind, size, target.as_deref()),
                    dev,
                    sha256: None,
                    target: target.as_deref().map(esc),
                },
            ))
        })();
        match parsed {
            Some((name, _, _)) if name == b"." => {}
            Some((name, link, e)) => {
                if let Some(to) = link {
                    links.push((esc(&name), esc(&to)));
                }
                l.insert(esc(&name), e);
            }
            None => bad.push(String::from_utf8_lossy(line).into_owned()),
        }
    }
    for (name, to) in links {
        let size = l.entries.get(&to).and_then(|e| e.size);
        if let Some(e) = l.entries.get_mut(&name) {
            e.size = size;
        }
    }
    (l, bad)
}

/// `seen` is `expected` with some `/` characters removed.
pub(crate) fn slashes_dropped(expected: &str, seen: &str) -> bool {
    let (e, s) = (expected.as_bytes(), seen.as_bytes());
    if s.len() >= e.len() {
        return false;
    }
    let mut j = 0;
    for &c in e {
        if j < s.len() && s[j] == c {
            j += 1;
        } else if c != b'/' {
            return false;
        }
    }
    j == s.len()
}

/// Accept bsdtar's symlink targets that only lack `/`s at `SL` entry
/// boundaries (libarchive quirk), noting each.
fn tolerate_sl_quirk(expected: Option<&Listing>, actual: &mut Listing, v: &mut Verdict) {
    let Some(expected) = expected else { return };
    for (p, e) in actual.entries.iter_mut() {
        let (Some(seen), Some(want)) = (
            e.target.clone(),
            expected.entries.get(p).and_then(|x| x.target.clone()),
        ) else {
            continue;
        };
        if seen != want && slashes_dropped(&want, &seen) {
            v.note(format!(
                "{p}: bsdtar reads the symlink target without some '/' ({} of {} bytes): \
                 libarchive drops the separator between components split across SL entries; \
                 accepted",
                seen.len(),
                want.len()
            ));
            e.size = Some(want.len() as u64);
            e.target = Some(want);
        }
    }
}

// ------------------------------------------------------------- validators

/// xorriso: full libisofs load with any WARNING fatal, El Torito report,
/// and the `lsdl` listing compared with the tree.
pub(crate) fn xorriso(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::Xorriso);
    let args: Vec<&OsStr> = [
        "-abort_on",
        "NEVER",
        "-return_with",
        "WARNING",
        "32",
        "-indev",
    ]
    .iter()
    .map(OsStr::new)
    .chain([ctx.iso_arg()])
    .chain(
        [
            "-report_el_torito",
            "plain",
            "-report_system_area",
            "plain",
            "-find",
            "/",
            "-exec",
            "lsdl",
            "--",
        ]
        .iter()
        .map(OsStr::new),
    )
    .collect();
    // A UTF-8 locale: without Rock Ridge xorriso converts Joliet names to
    // the locale's charset (and warns when it cannot); Rock Ridge names are
    // not converted (input and local charset are the same).
    let Some(r) = ctx.run(
        &mut v,
        "xorriso",
        "xorriso",
        &args,
        &[("LC_ALL", "C.UTF-8")],
    ) else {
        return v.finish(start);
    };
    if r.code == Some(32) {
        v.problem("xorriso exited 32: libisofs reported a WARNING or worse (see output)");
    } else {
        require_exit_zero(&mut v, &r);
    }
    let err = r.stderr_text();
    if !err
        .lines()
        .any(|l| l.starts_with("Media status : is written"))
    {
        v.problem("xorriso did not load an ISO image (no \"Media status : is written\"; an unreadable file looks like a blank medium)");
    }
    for l in err.lines() {
        if l.contains("FAILURE") || l.contains("SORRY") || l.contains("WARNING") {
            v.problem(format!("xorriso: {l}"));
        }
    }
    if let Some(want) = &ctx.expect.volume_id {
        let got = err
            .lines()
            .find_map(|l| l.strip_prefix("Volume id    : "))
            .and_then(|q| shell_unquote(q.as_bytes()).map(|x| x.0));
        match got {
            Some(g) if g == want.as_bytes() => {}
            g => v.problem(format!(
                "volume id {:?}, expected {want:?}",
                g.map(|g| String::from_utf8_lossy(&g).into_owned())
            )),
        }
    }
    let out = r.stdout_text();
    xorriso_boot(ctx, &out, &mut v);
    let (mut listing, bad) = parse_lsdl(&r.stdout);
    for b in bad.iter().take(5) {
        v.problem(format!("unparsed lsdl line: {b}"));
    }
    if !ctx.expect.rock_ridge {
        v.note("no Rock Ridge: the lsdl listing shows ISO 9660 names and is not compared");
    } else if let Some(exp) = ctx.expected_view(PnReader::GlibcDevT) {
        ctx.prepare_rr(&mut listing, &mut v);
        let cols = Columns {
            sha256: false,
            ..Columns::ALL
        };
        v.problems.extend(compare(&exp, &listing, &cols));
        v.note(format!(
            "lsdl listing of {} paths compared on {}",
            listing.entries.len(),
            cols.describe()
        ));
    }
    v.finish(start)
}

fn xorriso_boot(ctx: &Ctx, out: &str, v: &mut Verdict) {
    let field = |prefix: &str| -> Vec<String> {
        out.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(|s| s.trim().to_string())
            .collect()
    };
    let imgs = field("El Torito boot img :");
    let Some(b) = &ctx.expect.boot else {
        if !imgs.is_empty() {
            v.problem(format!("unexpected El Torito boot image(s): {imgs:?}"));
        }
        return;
    };
    if imgs.len() != 1 {
        v.problem(format!(
            "expected one El Torito boot image, xorriso reports {imgs:?}"
        ));
        return;
    }
    // N Pltf B Emul Ld_seg Hdpt Ldsiz LBA
    let f: Vec<&str> = imgs[0].split_whitespace().collect();
    let lba = ctx.boot_facts().map(|x| x.rba.to_string());
    let want = [
        ("entry", "1".to_string()),
        ("platform", "BIOS".into()),
        ("bootable", "y".into()),
        ("emulation", "none".into()),
        ("load segment", "0x0000".into()),
        ("load size", b.load_size.to_string()),
    ];
    if f.len() != 8 {
        v.problem(format!("cannot parse boot img line {:?}", imgs[0]));
        return;
    }
    for (i, (name, w)) in want.iter().enumerate() {
        let idx = if i >= 5 { 6 } else { i };
        if f[idx] != w {
            v.problem(format!("El Torito {name} {:?}, expected {w:?}", f[idx]));
        }
    }
    if let Some(lba) = lba {
        if f[7] != lba {
            v.problem(format!("El Torito image LBA {}, catalog says {lba}", f[7]));
        }
    }
    let path = field("El Torito img path :");
    let want_path = format!("1  /{}", b.image_path.trim_start_matches('/'));
    if path != [want_path.clone()] {
        v.problem(format!(
            "El Torito image path {path:?}, expected [{want_path:?}]"
        ));
    }
    let opts = field("El Torito img opts :");
    if !opts
        .iter()
        .any(|o| o.split_whitespace().any(|w| w == "boot-info-table"))
    {
        v.problem(format!(
            "El Torito image options {opts:?} lack boot-info-table"
        ));
    }
    let cat = field("El Torito cat path :");
    let want_cat: Vec<String> = b
        .catalog_path
        .iter()
        .map(|c| format!("/{}", c.trim_start_matches('/')))
        .collect();
    if cat != want_cat {
        v.problem(format!(
            "El Torito catalog path {cat:?}, expected {want_cat:?}"
        ));
    }
    v.note(format!("El Torito: {}", imgs[0]));
}

/// pycdlib: strict open, walks of every tree, contents via rr_path.
pub(crate) fn pycdlib(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::Pycdlib);
    let script = ctx.work.path().join("pycdlib_check.py");
    if let Err(e) = std::fs::write(&script, PYCDLIB_CHECK) {
        v.problem(format!("{}: {e}", script.display()));
        return v.finish(start);
    }
    let mut args: Vec<&OsStr> = vec![script.as_os_str(), ctx.iso_arg()];
    if let Some(b) = &ctx.expect.boot {
        args.push(OsStr::new("--boot-path"));
        args.push(OsStr::new(b.image_path.as_str()));
    }
    let Some(r) = ctx.run(
        &mut v,
        "pycdlib",
        "python3",
        &args,
        &[("PYTHONDONTWRITEBYTECODE", "1"), ("LC_ALL", "C.UTF-8")],
    ) else {
        return v.finish(start);
    };
    if r.code != Some(0) {
        let err = r.stderr_text();
        let last = err.lines().last().unwrap_or("its ERROR lines follow");
        v.problem(format!("pycdlib_check.py exited with {:?}: {last}", r.code));
    }
    let out = r.stdout_text();
    if !out.lines().any(|l| l == "END") {
        if r.code == Some(0) {
            v.problem("pycdlib_check.py output has no END line");
        }
        return v.finish(start);
    }
    let mut rr = Listing::default();
    let mut jl = Listing::default();
    let mut primary = Listing::default();
    let mut boot_line = None;
    let mut bootfile = None;
    for line in out.lines() {
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        match tag {
            "PYCDLIB" => v.note(format!("pycdlib {rest}")),
            "VOLUME" => {
                if let Some(want) = &ctx.expect.volume_id {
                    if rest != esc(want.as_bytes()) {
                        v.problem(format!("volume id {rest:?}, expected {want:?}"));
                    }
                }
            }
            "RR" => {
                if (rest != "none") != ctx.expect.rock_ridge {
                    v.problem(format!(
                        "Rock Ridge: pycdlib says {rest:?}, expected {}",
                        if ctx.expect.rock_ridge {
                            "present"
                        } else {
                            "none"
                        }
                    ));
                }
                v.note(format!("Rock Ridge {rest}"));
            }
            "JOLIET" if (rest == "yes") != ctx.expect.joliet => {
                v.problem(format!(
                    "Joliet: pycdlib says {rest}, expected {}",
                    ctx.expect.joliet
                ));
            }
            "BOOT" => boot_line = Some(rest.to_string()),
            "BOOTFILE" => bootfile = Some(rest.to_string()),
            "ERROR" => v.problem(rest.to_string()),
            "R" => match listing::parse_manifest_line(rest) {
                Some((p, e)) => rr.insert(p, e),
                None => v.problem(format!("unparsed line {line:?}")),
            },
            "I" | "J" => {
                let f: Vec<&str> = rest.split(' ').collect();
                if f.len() != 4 {
                    v.problem(format!("unparsed line {line:?}"));
                    continue;
                }
                let e = IsoEntry {
                    kind: f[1].chars().next().unwrap_or('?'),
                    size: f[2].parse().ok(),
                    sha256: (f[3] != "-").then(|| f[3].to_string()),
                    ..Default::default()
                };
                if tag == "I" {
                    primary.insert(f[0].to_string(), e);
                } else {
                    jl.insert(f[0].to_string(), e);
                }
            }
            _ => {}
        }
    }
    pycdlib_boot(ctx, boot_line.as_deref(), bootfile.as_deref(), &mut v);
    if ctx.expect.rock_ridge {
        let sizes = multiset_diff(
            "non-empty files in the primary tree vs the Rock Ridge tree (sizes)",
            &nonempty_sizes(&rr),
            &nonempty_sizes(&primary),
        );
        v.problems.extend(sizes);
        if let Some(exp) = ctx.expected_view(PnReader::Raw) {
            ctx.prepare_rr(&mut rr, &mut v);
            v.problems.extend(compare(&exp, &rr, &Columns::ALL));
            v.note(format!(
                "Rock Ridge tree of {} paths compared on {}",
                rr.entries.len(),
                Columns::ALL.describe()
            ));
        }
    } else if ctx.expected.is_some() {
        v.problems.extend(multiset_diff(
            "non-empty files of the primary tree (size, sha256)",
            &ctx.content,
            &listing::content_multiset(&primary),
        ));
    }
    if let Some(j) = &ctx.joliet {
        take_catalog(&mut jl, ctx.catalog_path(), &mut v.problems);
        let (problems, notes) = j.compare(&jl);
        v.problems.extend(problems);
        v.notes.extend(notes);
        v.note(format!(
            "Joliet tree of {} paths compared",
            jl.entries.len()
        ));
    }
    v.finish(start)
}

fn pycdlib_boot(ctx: &Ctx, boot: Option<&str>, bootfile: Option<&str>, v: &mut Verdict) {
    let Some(b) = &ctx.expect.boot else {
        if boot != Some("none") {
            v.problem(format!("unexpected El Torito catalog: {boot:?}"));
        }
        return;
    };
    let f: Vec<u64> = boot
        .unwrap_or("")
        .split(' ')
        .filter_map(|x| x.parse().ok())
        .collect();
    if f.len() != 7 {
        v.problem(format!("no El Torito catalog (pycdlib: {boot:?})"));
        return;
    }
    let names = [
        "platform id",
        "boot indicator",
        "media type",
        "load segment",
        "system type",
        "sector count",
    ];
    let want = [0, 0x88, 0, 0, 0, u64::from(b.load_size)];
    for i in 0..6 {
        if f[i] != want[i] {
            v.problem(format!(
                "El Torito {} {}, expected {}",
                names[i], f[i], want[i]
            ));
        }
    }
    if let Some(facts) = ctx.boot_facts() {
        if f[6] != u64::from(facts.rba) {
            v.problem(format!(
                "El Torito load RBA {} (harness read {})",
                f[6], facts.rba
            ));
        }
    }
    if ctx.expect.rock_ridge {
        let bf: Vec<u64> = bootfile
            .unwrap_or("")
            .split(' ')
            .filter_map(|x| x.parse().ok())
            .collect();
        match bf.as_slice() {
            [extent, size] => {
                if *extent != f[6] {
                    v.problem(format!(
                        "boot file {} starts at extent {extent}, the catalog loads RBA {}",
                        b.image_path, f[6]
                    ));
                }
                if let Some(src) = &ctx.boot_source {
                    if *size != src.len() as u64 {
                        v.problem(format!(
                            "boot file record size {size}, source {}",
                            src.len()
                        ));
                    }
                }
            }
            _ => v.problem(format!("boot file {} not found by pycdlib", b.image_path)),
        }
    }
}

/// isoinfo: descriptors and El Torito header (`-d`), listing (`-l -R`).
pub(crate) fn isoinfo(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::Isoinfo);
    let env = [("LC_ALL", "C")];
    if let Some(r) = ctx.run(
        &mut v,
        "isoinfo-d",
        "isoinfo",
        &[OsStr::new("-d"), OsStr::new("-i"), ctx.iso_arg()],
        &env,
    ) {
        require_exit_zero(&mut v, &r);
        require_quiet_stderr(&mut v, &r);
        isoinfo_d(ctx, &r.stdout_text(), &mut v);
    }
    let mut args = vec![OsStr::new("-l")];
    if ctx.expect.rock_ridge {
        args.push(OsStr::new("-R"));
    }
    args.extend([OsStr::new("-i"), ctx.iso_arg()]);
    if let Some(r) = ctx.run(&mut v, "isoinfo-l", "isoinfo", &args, &env) {
        require_exit_zero(&mut v, &r);
        require_quiet_stderr(&mut v, &r);
        let (mut l, extents, bad) = parse_isoinfo_listing(&r.stdout);
        for b in bad.iter().take(5) {
            v.problem(format!("unparsed isoinfo line: {b}"));
        }
        if let (Some(b), Some(facts)) = (&ctx.expect.boot, ctx.boot_facts()) {
            if ctx.expect.rock_ridge {
                let key = esc(b.image_path.trim_start_matches('/').as_bytes());
                match extents.get(&key).map(|x| x.0) {
                    Some(e) if e == u64::from(facts.rba) => {}
                    e => v.problem(format!(
                        "boot image {key} listed at extent {e:?}, catalog loads {}",
                        facts.rba
                    )),
                }
            }
        }
        if !ctx.expect.rock_ridge {
            v.note("no Rock Ridge: the listing shows ISO 9660 names and is not compared");
        } else if let Some(exp) = ctx.expected_view(PnReader::Raw) {
            // isoinfo does not follow CL: relocated directories are listed
            // under the relocation directory, a file record in their place.
            let is_dir = |p: &String| l.entries.get(p).is_some_and(|e| e.kind == 'd');
            let placeholders = extents
                .iter()
                .filter(|(p, (_, fl))| fl & 2 == 0 && is_dir(p))
                .map(|(p, (e, _))| (p.clone(), *e))
                .collect();
            let dirs = extents
                .iter()
                .filter(|(_, (_, fl))| fl & 2 != 0)
                .map(|(p, (e, _))| (p.clone(), *e))
                .collect();
            listing::follow_relocations(&mut l, &placeholders, &dirs, &mut v.notes);
            ctx.prepare_rr(&mut l, &mut v);
            let cols = Columns {
                perm_mask: 0o777,
                owner: false,
                size: true,
                dev: false,
                sha256: false,
                target: true,
            };
            v.problems.extend(compare(&exp, &l, &cols));
            v.note(format!(
                "isoinfo -l -R listing of {} paths compared on {}",
                l.entries.len(),
                cols.describe()
            ));
        }
    }
    v.finish(start)
}

fn isoinfo_d(ctx: &Ctx, out: &str, v: &mut Verdict) {
    let lines: Vec<&str> = out.lines().map(str::trim).collect();
    let has = |s: &str| lines.contains(&s);
    let value = |p: &str| {
        lines
            .iter()
            .find_map(|l| l.strip_prefix(p))
            .map(str::to_string)
    };
    if !has("CD-ROM is in ISO 9660 format") {
        v.problem("isoinfo -d: not recognised as ISO 9660");
    }
    if let Some(want) = &ctx.expect.volume_id {
        if value("Volume id: ").as_deref() != Some(want.as_str()) {
            v.problem(format!(
                "volume id {:?}, expected {want:?}",
                value("Volume id: ")
            ));
        }
    }
    if value("Logical block size is: ").as_deref() != Some("2048") {
        v.problem(format!(
            "logical block size {:?}",
            value("Logical block size is: ")
        ));
    }
    match value("Volume size is: ").and_then(|s| s.parse::<u64>().ok()) {
        Some(n) if n * 2048 <= ctx.iso_len => v.note(format!(
            "volume size {n} blocks ({} bytes; file {} bytes)",
            n * 2048,
            ctx.iso_len
        )),
        n => v.problem(format!(
            "volume size {n:?} blocks does not fit the {}-byte file",
            ctx.iso_len
        )),
    }
    let joliet = lines.iter().any(|l| l.starts_with("Joliet with UCS level"));
    if joliet != ctx.expect.joliet {
        v.problem(format!(
            "Joliet found: {joliet}, expected {}",
            ctx.expect.joliet
        ));
    }
    let rr = lines.iter().any(|l| l.starts_with("Rock Ridge signatures"));
    if rr != ctx.expect.rock_ridge {
        v.problem(format!(
            "Rock Ridge found: {rr}, expected {}",
            ctx.expect.rock_ridge
        ));
    }
    let vd = lines
        .iter()
        .find_map(|l| l.strip_prefix("El Torito VD version 1 found, boot catalog is in sector "));
    let Some(b) = &ctx.expect.boot else {
        if vd.is_some() {
            v.problem("unexpected El Torito boot record");
        }
        return;
    };
    match (
        vd.and_then(|s| s.trim().parse::<u32>().ok()),
        ctx.boot_facts(),
    ) {
        (Some(s), Some(f)) if s == f.catalog_lba => {}
        (s, f) => v.problem(format!(
            "El Torito catalog sector {s:?} (harness read {:?})",
            f.map(|f| f.catalog_lba)
        )),
    }
    let want = [
        "Hid 1".to_string(),
        "Arch 0 (x86)".into(),
        "Key 55 AA".into(),
        "Bootid 88 (bootable)".into(),
        "Boot media 0 (No Emulation Boot)".into(),
        "Load segment 0".into(),
        "Sys type 0".into(),
        format!("Nsect {:X}", b.load_size),
    ];
    for w in want {
        if !has(&w) {
            v.problem(format!("isoinfo -d: no line {w:?} in the El Torito header"));
        }
    }
    // "Bootoff <hex> <decimal>": the image LBA.
    let bootoff = value("Bootoff ").and_then(|s| {
        let (h, d) = s.split_once(' ')?;
        Some((
            u32::from_str_radix(h, 16).ok()?,
            d.trim().parse::<u32>().ok()?,
        ))
    });
    match (bootoff, ctx.boot_facts()) {
        (Some((h, d)), Some(f)) if h == f.rba && d == f.rba => {}
        (got, f) => v.problem(format!(
            "isoinfo -d: Bootoff {got:?}, catalog loads LBA {:?}",
            f.map(|f| f.rba)
        )),
    }
}

/// isovfy: any line but the three of a clean run is a reported error.
pub(crate) fn isovfy(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::Isovfy);
    let Some(r) = ctx.run(
        &mut v,
        "isovfy",
        "isovfy",
        &[OsStr::new("-i"), ctx.iso_arg()],
        &[("LC_ALL", "C")],
    ) else {
        return v.finish(start);
    };
    require_exit_zero(&mut v, &r);
    require_quiet_stderr(&mut v, &r);
    let out = r.stdout_text();
    // isovfy reports every non-final extent of a multi-extent file (flags
    // 0x80, size 0xFFFFF800 printed as -2048) and then omits "No errors
    // found", for xorriso's level 3 images as for ours: such lines are its
    // limitation, every other line is a problem.
    let multi_extent = |t: &str| t.contains("Flags=(80)") && t.contains(" -2048 ");
    let only_multi = out.lines().any(|l| multi_extent(l.trim()));
    if !out.lines().any(|l| l.trim() == "No errors found") && !only_multi {
        v.problem("isovfy did not say \"No errors found\"");
    }
    if only_multi {
        v.note("isovfy lists the non-final extents of multi-extent files (its limitation)");
    }
    // isovfy reads a file of zeros as an empty volume and finds nothing
    // wrong: the root it walked must be the PVD's root directory.
    let root = out.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("Root at extent ")?;
        let (ext, size) = rest.split_once(", ")?;
        let size = size.strip_suffix(" bytes")?;
        Some((
            u32::from_str_radix(ext, 16).ok()?,
            size.parse::<u32>().ok()?,
        ))
    });
    match (root, super::read_pvd_root(&ctx.iso)) {
        (Some(got), Ok(want)) if got == want && got.0 != 0 => {
            v.note(format!("walked the root directory at extent {}, {} bytes", got.0, got.1))
        }
        (got, want) => v.problem(format!(
            "isovfy walked root directory (extent, bytes) {got:?}; the PVD's root record says {want:?}"
        )),
    }
    for l in out.lines() {
        let t = l.trim();
        let ok = t.is_empty()
            || multi_extent(t)
            || t == "No errors found"
            || (t.starts_with("Root at extent ") && t.ends_with(" bytes"))
            || (t.starts_with('[')
                && t.ends_with(']')
                && t[1..t.len() - 1]
                    .split(' ')
                    .all(|n| n.parse::<u64>().is_ok()));
        if !ok {
            v.problem(format!("isovfy: {t}"));
        }
    }
    v.finish(start)
}

fn am_root(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = dir.join(".uid-probe");
    let ok = std::fs::write(&probe, b"")
        .and_then(|_| std::fs::metadata(&probe))
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    let _ = std::fs::remove_file(&probe);
    ok
}

/// bsdtar: `-tvf` listing, and `-xf` extraction compared with the tree.
pub(crate) fn bsdtar(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::Bsdtar);
    // A UTF-8 locale: libarchive converts Joliet names (without Rock Ridge)
    // to the locale's charset and fails when it cannot.
    let env = [("LC_ALL", "C.UTF-8")];
    let expected = ctx.expected_view(PnReader::GlibcDevT);
    let mut sockets = Vec::new();
    let mut devices = Vec::new();
    if let Some(r) = ctx.run(
        &mut v,
        "bsdtar-t",
        "bsdtar",
        &[OsStr::new("-tvf"), ctx.iso_arg()],
        &env,
    ) {
        require_exit_zero(&mut v, &r);
        require_quiet_stderr(&mut v, &r);
        let (mut l, bad) = parse_bsdtar_listing(&r.stdout);
        for b in bad.iter().take(5) {
            v.problem(format!("unparsed bsdtar line: {b}"));
        }
        // libarchive reads a file of zeros as an empty tar archive; its ISO
        // reader always lists the root directory as ".".
        let saw_root = r
            .stdout
            .split(|&b| b == b'\n')
            .any(|l| l.starts_with(b"d") && l.ends_with(b" ."));
        if !saw_root {
            v.problem(
                "bsdtar listed no root directory \".\": it did not read the file as ISO 9660",
            );
        }
        let of_kind = |k: &[char]| -> Vec<String> {
            l.entries
                .iter()
                .filter(|(_, e)| k.contains(&e.kind))
                .map(|(p, _)| p.clone())
                .collect()
        };
        sockets = of_kind(&['s']);
        devices = of_kind(&['c', 'b']);
        if !ctx.expect.rock_ridge {
            v.note("no Rock Ridge: the -tv listing is not compared by name");
        } else if let Some(exp) = &expected {
            ctx.prepare_rr(&mut l, &mut v);
            tolerate_sl_quirk(Some(exp), &mut l, &mut v);
            let cols = Columns {
                sha256: false,
                ..Columns::ALL
            };
            v.problems.extend(compare(exp, &l, &cols));
            v.note(format!(
                "bsdtar -tv listing of {} paths compared on {}",
                l.entries.len(),
                cols.describe()
            ));
        }
    }
    let dir = ctx.work.path().join("bsdtar-x");
    if let Err(e) = std::fs::create_dir(&dir) {
        v.problem(format!("{}: {e}", dir.display()));
        return v.finish(start);
    }
    let root = am_root(ctx.work.path());
    // Device nodes are compared through the -tv listing, not extracted:
    // libarchive builds dev_t = high << 32 | low from PN, which for the
    // illumos/Linux-kernel encoding (high = major) is no device Linux can
    // create ("Can't create: Invalid argument"), and non-root cannot mknod.
    let excludes: Vec<std::ffi::OsString> = devices
        .iter()
        .flat_map(|p| {
            let mut pat = b"^".to_vec();
            for b in unescape_fstree(p) {
                if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
                    pat.push(b'\\');
                }
                pat.push(b);
            }
            pat.push(b'$');
            [
                std::ffi::OsString::from("--exclude"),
                std::os::unix::ffi::OsStringExt::from_vec(pat),
            ]
        })
        .collect();
    let mut xargs = vec![
        OsStr::new("-xf"),
        ctx.iso_arg(),
        OsStr::new("-C"),
        dir.as_os_str(),
    ];
    xargs.extend(excludes.iter().map(|x| x.as_os_str()));
    if let Some(r) = ctx.run(&mut v, "bsdtar-x", "bsdtar", &xargs, &env) {
        require_exit_zero(&mut v, &r);
        require_quiet_stderr(&mut v, &r);
        let walked = fstree::walk(
            &dir,
            &fstree::WalkOptions {
                preserve_owner: true,
                time: i64::MAX,
            },
        )
        .map_err(|e| format!("walking the extracted tree: {e}"))
        .and_then(|t| Listing::from_tree(&t));
        let mut l = match walked {
            Ok(l) => l,
            Err(e) => {
                v.problem(e);
                return v.finish(start);
            }
        };
        // bsdtar cannot create sockets: it extracts them as empty files.
        for p in &sockets {
            if let Some(e) = l.entries.get_mut(p) {
                if e.kind == 'f' && e.size == Some(0) {
                    *e = IsoEntry {
                        kind: 's',
                        perm: e.perm,
                        uid: e.uid,
                        gid: e.gid,
                        ..Default::default()
                    };
                }
            }
        }
        if !ctx.expect.rock_ridge {
            if ctx.expected.is_some() {
                v.problems.extend(multiset_diff(
                    "non-empty extracted files (size, sha256)",
                    &ctx.content,
                    &listing::content_multiset(&l),
                ));
            }
        } else if let Some(exp) = &expected {
            let mut exp = exp.clone();
            exp.entries.retain(|_, e| !matches!(e.kind, 'c' | 'b'));
            let exp = &exp;
            ctx.prepare_rr(&mut l, &mut v);
            tolerate_sl_quirk(Some(exp), &mut l, &mut v);
            let cols = if root {
                Columns::ALL
            } else {
                Columns {
                    perm_mask: 0,
                    owner: false,
                    dev: false,
                    ..Columns::ALL
                }
            };
            v.problems.extend(compare(exp, &l, &cols));
            v.note(format!(
                "extracted tree of {} paths compared on {}{}",
                l.entries.len(),
                cols.describe(),
                if root {
                    " (device nodes excluded)"
                } else {
                    " (device nodes excluded; not root: modes and owners not restored)"
                }
            ));
        }
    }
    v.finish(start)
}

/// 7-Zip: `7z t` must report "Everything is Ok".
pub(crate) fn seven_zip(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::SevenZip);
    let Some(r) = ctx.run(
        &mut v,
        "7z",
        "7z",
        &[OsStr::new("t"), ctx.iso_arg()],
        &[("LC_ALL", "C.UTF-8")],
    ) else {
        return v.finish(start);
    };
    require_exit_zero(&mut v, &r);
    let out = format!("{}\n{}", r.stdout_text(), r.stderr_text());
    if !out.lines().any(|l| l.trim() == "Everything is Ok") {
        v.problem("7z t did not report \"Everything is Ok\"");
    }
    for l in out.lines() {
        let t = l.trim_start();
        if t.starts_with("ERROR") || t.starts_with("WARNING") || t.starts_with("Headers Error") {
            v.problem(format!("7z: {t}"));
        }
    }
    v.finish(start)
}

/// The harness's own El Torito reading (BRVD, catalog, boot info table).
pub(crate) fn eltorito(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::ElTorito);
    let facts = match &ctx.boot {
        Ok(f) => f,
        Err(e) => {
            v.problem(format!("reading the volume descriptors: {e}"));
            return v.finish(start);
        }
    };
    let (b, f) = match (&ctx.expect.boot, facts) {
        (None, None) => {
            v.note("no boot record, as expected");
            return v.finish(start);
        }
        (None, Some(f)) => {
            v.problem(format!(
                "unexpected Boot Record Volume Descriptor at sector {}",
                f.brvd_sector
            ));
            return v.finish(start);
        }
        (Some(_), None) => {
            v.problem("no Boot Record Volume Descriptor (El Torito) in the descriptor set");
            return v.finish(start);
        }
        (Some(b), Some(f)) => (b, f),
    };
    v.output = format!(
        "BRVD sector {}; catalog LBA {}\nvalidation entry: {}\ninitial entry:    {}\n\
         platform {:#04x}, indicator {:#04x}, media {}, segment {:#x}, system type {}, \
         sector count {}, RBA {}, boot info table PVD field {}\n",
        f.brvd_sector,
        f.catalog_lba,
        hex_bytes(&f.catalog[..32]),
        hex_bytes(&f.catalog[32..64]),
        f.platform,
        f.indicator,
        f.media,
        f.load_segment,
        f.system_type,
        f.sector_count,
        f.rba,
        f.bit_pvd
    );
    v.problems.extend(f.problems.iter().cloned());
    let checks = [
        ("platform id", u32::from(f.platform), 0),
        ("boot indicator", u32::from(f.indicator), 0x88),
        ("media type", u32::from(f.media), 0),
        ("load segment", u32::from(f.load_segment), 0),
        ("system type", u32::from(f.system_type), 0),
        (
            "sector count",
            u32::from(f.sector_count),
            u32::from(b.load_size),
        ),
    ];
    for (name, got, want) in checks {
        if got != want {
            v.problem(format!("initial entry {name} {got:#x}, expected {want:#x}"));
        }
    }
    v.note(format!(
        "BRVD at sector {}, catalog at LBA {}, image at LBA {}",
        f.brvd_sector, f.catalog_lba, f.rba
    ));
    let mut notes = Vec::new();
    if let Err(e) = eltorito::check_bit(
        &ctx.iso,
        f.rba,
        ctx.boot_source.as_deref(),
        &mut v.problems,
        &mut notes,
    ) {
        v.problem(e);
    }
    v.notes.extend(notes);
    v.finish(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode(b"-rwsr-xr-x"), Some(('f', 0o4755)));
        assert_eq!(parse_mode(b"-rwxr-s---"), Some(('f', 0o2750)));
        assert_eq!(parse_mode(b"drwxrwxrwt"), Some(('d', 0o1777)));
        assert_eq!(parse_mode(b"drwxrwxrwT"), Some(('d', 0o1776)));
        assert_eq!(parse_mode(b"-rwSr--r--"), Some(('f', 0o4644)));
        assert_eq!(parse_mode(b"crw-r--r--"), Some(('c', 0o644)));
        assert_eq!(parse_mode(b"?rw-r--r--"), None);
        assert_eq!(parse_mode(b"-rw"), None);
    }

    #[test]
    fn xorriso_quoting_and_lsdl() {
        assert_eq!(
            shell_unquote(b"'/it'\"'\"'s' -> 'x'"),
            Some((b"/it's".to_vec(), &b" -> 'x'"[..]))
        );
        let out = b"drwxr-xr-x    1 0        0               0 Nov 28 16:59 '/'\n\
lrwxrwxrwx    1 0        0               0 Nov 28 16:59 '/abs link' -> '/abs/t'\n\
crw-r--r--    1 0        0             1,3 Nov 28 16:59 '/cdev'\n\
er--r--r--    1 0        0            2048 Nov 14  2023 '/boot.catalog'\n\
-rwsr-xr-x    1 1234     5678            1 Nov 28 16:59 '/bad\xffname'\n\
El Torito catalog  : 63  1\n";
        let (l, bad) = parse_lsdl(out);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(l.entries.len(), 4);
        let link = &l.entries["abs\\040link"];
        assert_eq!((link.kind, link.size), ('l', Some(6)));
        assert_eq!(link.target.as_deref(), Some("/abs/t"));
        assert_eq!(l.entries["cdev"].dev, Some((1, 3)));
        assert_eq!(l.entries["boot.catalog"].kind, 'f');
        let f = &l.entries["bad\\377name"];
        assert_eq!(
            (f.perm, f.uid, f.gid, f.size),
            (Some(0o4755), Some(1234), Some(5678), Some(1))
        );
    }

    #[test]
    fn isoinfo_listing() {
        let out = b"\nDirectory listing of /\n\
drwxr-xr-x   1    0    0            2048 Nov 28 2026 [     20 02]  . \n\
drwxr-xr-x   1    0    0            2048 Nov 28 2026 [     20 02]  .. \n\
lrwxrwxrwx   1    0    0               0 Nov 28 2026 [     62 00]  abs-link -> /abs/target\n\
frw-r--r--   1    0    0               0 Nov 28 2026 [     62 00]  fifo \n\
drwxr-xr-x   1    0    0            8192 Nov 28 2026 [     37 02]  with space \n\
\nDirectory listing of /with space/\n\
-rw-r--r--   1 2322 13056              2 Nov 28 2026 [    123 00]  file 1.txt \n";
        let (l, ext, bad) = parse_isoinfo_listing(out);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(l.entries.len(), 4, "{l:?}");
        assert_eq!(l.entries["fifo"].kind, 'p');
        assert_eq!(l.entries["abs-link"].size, Some(11));
        assert_eq!(l.entries["with\\040space"].size, None);
        assert_eq!(l.entries["with\\040space/file\\0401.txt"].size, Some(2));
        assert_eq!(ext["with\\040space/file\\0401.txt"], (123, 0));
        assert_eq!(ext["with\\040space"], (37, 2));
    }

    #[test]
    fn bsdtar_listing() {
        let out = b"drwxr-xr-x  7 0      0        4096 Nov 28 16:59 .\n\
-rw-r--r--  1 0      0           2 Nov 28 17:04 back\\\\slash\n\
-rwsr-xr-x  2 0      0           1 Nov 28 16:59 size-1\n\
-rwsr-xr-x  2 0      0           0 Nov 28 16:59 hard-1 link to size-1\n\
lrwxrwxrwx  1 0      0           0 Nov 28 16:59 rel link -> size-1\n\
brw-r--r--  1 0      0         7,0 Nov 28 16:59 bdev\n\
-rw-r--r--  1 1234   5678        1 Nov 14  2023 \\303\\274n/bad\\377name\n";
        let (l, bad) = parse_bsdtar_listing(out);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(l.entries.len(), 6);
        assert_eq!(l.entries["hard-1"].size, Some(1));
        assert!(l.entries.contains_key("back\\\\slash"));
        assert_eq!(l.entries["rel\\040link"].target.as_deref(), Some("size-1"));
        assert_eq!(l.entries["bdev"].dev, Some((7, 0)));
        assert_eq!(l.entries["\\303\\274n/bad\\377name"].uid, Some(1234));
    }

    #[test]
    fn sl_quirk_is_narrow() {
        assert!(slashes_dropped("a/b/c", "a/bc"));
        assert!(slashes_dropped("a/b/c", "abc"));
        assert!(!slashes_dropped("a/b/c", "a/b/c"));
        assert!(!slashes_dropped("a/b/c", "a/b"));
        assert!(!slashes_dropped("a/b/c", "a/x/c"));
    }

    #[test]
    fn fstree_escapes_round_trip() {
        for raw in [
            &b"plain"[..],
            b"a b",
            b"back\\slash",
            b"\xff\x00x",
            b"\\101",
        ] {
            assert_eq!(unescape_fstree(&fstree::escape_bytes(raw)), raw);
        }
    }

    #[test]
    fn bsd_escapes() {
        assert_eq!(
            bsd_unescape(b"a\\\\b\\377\\n\\q"),
            b"a\\b\xff\n\\q".to_vec()
        );
    }
}

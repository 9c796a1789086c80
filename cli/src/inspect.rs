//! `mvi ls`, `mvi cat` and `mvi check` on any image mvi reads: UFS, a
//! gzip-compressed UFS (a boot archive), or an ISO 9660 image.
//!
//! The path-taking functions ([`ls`], [`cat`], [`check`]) open the file and
//! call the `*_image` functions, which work on any [`Source`]: an open
//! file or the image's bytes in memory (the fuzz targets use those).
//!
//! Nothing here writes a file named by the image: `cat` writes to the
//! stream it is given (standard output in the binary), and names read from
//! an image only ever appear in listings, escaped. A hostile image cannot
//! make mvi write outside what the user named.

use crate::image;
use anyhow::Context;
use fstree::escape_bytes;
use std::fs::File;
use std::io::Write;
use std::path::Path;

/// Positioned reads both image readers accept: a [`File`], a `Vec<u8>` or
/// a byte slice.
pub trait Source: ufsimg::ReadAt + iso9660::read::ReadAt {}

impl<T: ufsimg::ReadAt + iso9660::read::ReadAt + ?Sized> Source for T {}

/// What kind of image a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// Solaris/illumos UFS (superblock magic at byte 9564).
    Ufs,
    /// ISO 9660 (`CD001` at byte 32769).
    Iso,
}

/// Open `path` (inflating gzip) and tell its kind by magic numbers.
pub fn open(path: &Path) -> anyhow::Result<(File, ImageKind)> {
    let f = image::open(path)?;
    let kind = kind_of(&f);
    Ok((f, kind))
}

/// The kind of the (already inflated) image `r`: ISO 9660 if `CD001` is at
/// byte 32769, else UFS.
pub fn kind_of<R: Source + ?Sized>(r: &R) -> ImageKind {
    let mut cd = [0u8; 5];
    if iso9660::read::ReadAt::read_exact_at(r, &mut cd, 32769).is_ok() && &cd == b"CD001" {
        ImageKind::Iso
    } else {
        ImageKind::Ufs
    }
}

/// POSIX mode as `ls -l` shows it.
pub fn mode_string(mode: u32) -> String {
    let t = match mode & 0o170000 {
        0o040000 => 'd',
        0o100000 => '-',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '?',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (bit, ch)) in bits.iter().enumerate() {
        let on = mode & bit != 0;
        let special = match i {
            2 => Some((0o4000, 's', 'S')),
            5 => Some((0o2000, 's', 'S')),
            8 => Some((0o1000, 't', 'T')),
            _ => None,
        };
        match special {
            Some((sbit, lower, upper)) if mode & sbit != 0 => {
                s.push(if on { lower } else { upper })
            }
            _ => s.push(if on { *ch } else { '-' }),
        }
    }
    s
}

fn iso_line(e: &iso9660::read::Entry, name: &[u8]) -> String {
    let mode = e.mode.unwrap_or(if e.is_dir { 0o040555 } else { 0o100444 });
    let size = match (e.rdev, &e.symlink) {
        (Some((ma, mi)), _) => format!("{ma},{mi}"),
        (None, Some(t)) => t.len().to_string(),
        (None, None) => e.size.to_string(),
    };
    let mut line = format!(
        "{} {:>3} {:>5} {:>5} {:>10} {}",
        mode_string(mode),
        e.nlink.unwrap_or(1),
        e.uid.unwrap_or(0),
        e.gid.unwrap_or(0),
        size,
        escape_bytes(name)
    );
    if let Some(t) = &e.symlink {
        line.push_str(" -> ");
        line.push_str(&escape_bytes(t));
    }
    line
}

fn normalise(path: &[u8]) -> Vec<u8> {
    let mut p = b"/".to_vec();
    for comp in path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
    {
        if p.len() > 1 {
            p.push(b'/');
        }
        p.extend_from_slice(comp);
    }
    p
}

/// `mvi ls IMG [PATH]`: a directory's entries (or one entry) in long form;
/// with `recursive`, every path below PATH.
pub fn ls(img: &Path, path: &[u8], recursive: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let (f, _) = open(img)?;
    ls_image(f, img, path, recursive, out)
}

/// [`ls`] on an image already open (and inflated) as `f`, named `img` in
/// messages.
pub fn ls_image<R: Source>(
    f: R,
    img: &Path,
    path: &[u8],
    recursive: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match kind_of(&f) {
        ImageKind::Ufs => crate::ufs::ls_file(f, img, path, recursive, out),
        ImageKind::Iso => {
            let r = iso9660::read::IsoReader::open(f)
                .with_context(|| format!("{}: not a readable ISO 9660 image", img.display()))?;
            let prefix = normalise(path);
            if recursive {
                for (p, e) in r.walk(r.default_tree())? {
                    let below = prefix == b"/"
                        || p == prefix
                        || (p.starts_with(&prefix) && p.get(prefix.len()) == Some(&b'/'));
                    if below {
                        writeln!(out, "{}", iso_line(&e, &p))?;
                    }
                }
                return Ok(());
            }
            let e = r.stat(&prefix)?;
            if !e.is_dir {
                writeln!(out, "{}", iso_line(&e, &prefix))?;
                return Ok(());
            }
            for child in r.list(&prefix)? {
                writeln!(out, "{}", iso_line(&child, &child.name))?;
            }
            Ok(())
        }
    }
}

/// `mvi cat IMG PATH`: a regular file's bytes to `out`.
pub fn cat(img: &Path, path: &[u8], out: &mut dyn Write) -> anyhow::Result<u64> {
    let (f, _) = open(img)?;
    cat_image(f, img, path, out)
}

/// [`cat`] on an image already open (and inflated) as `f`, named `img` in
/// messages. The bytes go to `out` only; `path` selects what is read and
/// never names anything written.
pub fn cat_image<R: Source>(
    f: R,
    img: &Path,
    path: &[u8],
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    match kind_of(&f) {
        ImageKind::Ufs => crate::ufs::cat_file(f, img, path, out),
        ImageKind::Iso => {
            let r = iso9660::read::IsoReader::open(f)
                .with_context(|| format!("{}: not a readable ISO 9660 image", img.display()))?;
            let p = normalise(path);
            let e = r.stat(&p)?;
            if e.is_dir || e.symlink.is_some() || e.rdev.is_some() {
                anyhow::bail!("{}: not a regular file", String::from_utf8_lossy(&p));
            }
            Ok(r.read_file(&e, out)?)
        }
    }
}

/// The result of `mvi check`: problems (errors) and warnings, one line each.
#[derive(Debug, Clone, Default)]
pub struct CheckOutcome {
    /// The kind of image checked.
    pub kind: Option<ImageKind>,
    /// Errors, one line each.
    pub problems: Vec<String>,
    /// Warnings (do not fail the check), one line each.
    pub warnings: Vec<String>,
}

/// `mvi check IMG`: run the checker for the image's format.
pub fn check(img: &Path) -> anyhow::Result<CheckOutcome> {
    let (f, _) = open(img)?;
    Ok(check_image(&f))
}

/// [`check`] on an image already open (and inflated) as `f`.
pub fn check_image<R: Source + ?Sized>(f: &R) -> CheckOutcome {
    let kind = kind_of(f);
    match kind {
        ImageKind::Ufs => {
            let r = ufsimg::check(f);
            CheckOutcome {
                kind: Some(kind),
                problems: r.problems.iter().map(|p| p.to_string()).collect(),
                warnings: Vec::new(),
            }
        }
        ImageKind::Iso => {
            let r = iso9660::check::check(f);
            CheckOutcome {
                kind: Some(kind),
                problems: r.problems.iter().map(|p| p.to_string()).collect(),
                warnings: r.warnings.iter().map(|p| p.to_string()).collect(),
            }
        }
    }
}

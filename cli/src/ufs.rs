//! `mvi ufs`, and `ls`/`cat`/`check` on UFS images.

use crate::output::write_atomic;
use crate::size::human;
use anyhow::Context;
use fstree::{escape_bytes, Manifest, WalkOptions};
use std::io::Write;
use std::path::PathBuf;
use ufsimg::format::*;
use ufsimg::{Params, Reader, SizeSpec};

/// Options of `mvi ufs`.
#[derive(Debug, Clone)]
pub struct UfsOptions {
    /// Source directory.
    pub src: PathBuf,
    /// Output image path.
    pub out: PathBuf,
    /// Fixed or automatic size.
    pub size: SizeSpec,
    /// Bytes per inode.
    pub nbpi: u32,
    /// Metadata manifest to apply after the walk.
    pub metadata: Option<PathBuf>,
    /// Keep host uid/gid.
    pub preserve_owner: bool,
    /// Build time `T`.
    pub time: i64,
    /// Create `/lost+found`.
    pub lost_found: bool,
}

/// The df-like summary of a built image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UfsReport {
    /// Image file size, bytes.
    pub image_bytes: u64,
    /// File system size, frags (`fs_size`).
    pub fs_frags: u64,
    /// Data frags (`fs_dsize`).
    pub data_frags: u64,
    /// Entirely free blocks.
    pub free_blocks: u64,
    /// Free frags in partly used blocks.
    pub free_frags: u64,
    /// Inodes in the file system.
    pub inodes: u64,
    /// Inodes in use (including the reserved 0 and 1).
    pub inodes_used: u64,
    /// Cylinder groups.
    pub ncg: u32,
    /// Bytes per inode asked for.
    pub nbpi: u32,
}

impl UfsReport {
    /// Used data frags.
    pub fn used_frags(&self) -> u64 {
        self.data_frags - self.free_blocks * 8 - self.free_frags
    }

    /// Render as a `df -k`-like table plus a detail line.
    pub fn render(&self, name: &str) -> String {
        let free = self.free_blocks * 8 + self.free_frags;
        let used = self.used_frags();
        let pct = |a: u64, b: u64| if b == 0 { 0 } else { (a * 100).div_ceil(b) };
        format!(
            "{:<24} {:>10} {:>10} {:>10} {:>5} {:>8} {:>8} {:>6}\n{:<24} {:>10} {:>10} {:>10} {:>4}% {:>8} {:>8} {:>5}%\n\
             size {} ({} bytes), ufs bsize 8192 fsize 1024, {} cylinder groups; free: {} blocks + {} frags; nbpi {}\n",
            "Filesystem",
            "kbytes",
            "used",
            "avail",
            "cap",
            "iused",
            "ifree",
            "%iused",
            name,
            self.data_frags,
            used,
            free,
            pct(used, self.data_frags),
            self.inodes_used,
            self.inodes - self.inodes_used,
            pct(self.inodes_used, self.inodes),
            human(self.image_bytes),
            self.image_bytes,
            self.ncg,
            self.free_blocks,
            self.free_frags,
            self.nbpi,
        )
    }
}

/// Build a UFS image from `opts.src` into `opts.out`; with `progress`, show
/// a progress bar on standard error (only when it is a terminal).
pub fn build(opts: &UfsOptions, progress: bool) -> anyhow::Result<UfsReport> {
    let mut tree = fstree::walk(
        &opts.src,
        &WalkOptions {
            preserve_owner: opts.preserve_owner,
            time: opts.time,
        },
    )?;
    if let Some(m) = &opts.metadata {
        Manifest::load(m)?.apply(&mut tree, opts.time)?;
    }
    let params = Params {
        size: opts.size,
        nbpi: opts.nbpi,
        time: opts.time,
        lost_found: opts.lost_found,
    };
    let layout = ufsimg::plan(&tree, &params)?;
    let sb = &layout.sb;
    let report = UfsReport {
        image_bytes: layout.geo.image_bytes,
        fs_frags: u64::from(layout.geo.size),
        data_frags: u64::from(layout.geo.dsize),
        free_blocks: u64::try_from(sb.cstotal.nbfree)?,
        free_frags: u64::try_from(sb.cstotal.nffree)?,
        inodes: layout.geo.inodes(),
        inodes_used: layout.used_inodes(),
        ncg: layout.geo.ncg,
        nbpi: opts.nbpi,
    };
    let bar = crate::progress_bar(progress, layout.geo.image_bytes, &opts.out);
    let b2 = bar.clone();
    write_atomic(&opts.out, |w| {
        ufsimg::write_with_progress(&layout, &tree, w, move |n| b2.set_position(n))
            .map_err(anyhow::Error::from)
    })?;
    bar.finish_and_clear();
    Ok(report)
}

/// One long-listing line for `stat` named `name` (symlink target appended).
fn ls_line<R: ufsimg::ReadAt>(
    r: &Reader<R>,
    st: &ufsimg::Stat,
    name: &[u8],
) -> anyhow::Result<String> {
    let size = match st.rdev {
        Some((ma, mi)) => format!("{ma},{mi}"),
        None => st.size.to_string(),
    };
    let mut line = format!(
        "{} {:>3} {:>5} {:>5} {:>10} {}",
        crate::inspect::mode_string(u32::from(st.mode)),
        st.nlink,
        st.uid,
        st.gid,
        size,
        escape_bytes(name)
    );
    if st.mode & IFMT == IFLNK {
        let t = r.read_link(st.ino)?;
        line.push_str(" -> ");
        line.push_str(&escape_bytes(&t));
    }
    Ok(line)
}

/// `mvi ls` on an opened UFS image `f` (named `img` in messages): a
/// directory (or one entry); with `recursive`, every path below it.
pub fn ls_file<R: ufsimg::ReadAt>(
    f: R,
    img: &std::path::Path,
    path: &[u8],
    recursive: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let r =
        Reader::open(f).with_context(|| format!("{}: not a readable UFS image", img.display()))?;
    let ino = r.lookup(path)?;
    let st = r.stat(ino)?;
    if recursive {
        // Normalise to "/a/b" and list it and everything below it.
        let mut prefix: Vec<u8> = b"/".to_vec();
        for comp in path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
        {
            if prefix.len() > 1 {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(comp);
        }
        for (p, st) in r.walk()? {
            let below = prefix == b"/"
                || p == prefix
                || (p.starts_with(&prefix) && p.get(prefix.len()) == Some(&b'/'));
            if below {
                writeln!(out, "{}", ls_line(&r, &st, &p)?)?;
            }
        }
        return Ok(());
    }
    if st.mode & IFMT != IFDIR {
        writeln!(out, "{}", ls_line(&r, &st, path)?)?;
        return Ok(());
    }
    for (name, child) in r.read_dir(ino)? {
        let st = r.stat(child)?;
        writeln!(out, "{}", ls_line(&r, &st, &name)?)?;
    }
    Ok(())
}

/// `mvi cat` on an opened UFS image `f`: a regular file's bytes to `out`.
pub fn cat_file<R: ufsimg::ReadAt>(
    f: R,
    img: &std::path::Path,
    path: &[u8],
    out: &mut dyn Write,
) -> anyhow::Result<u64> {
    let r =
        Reader::open(f).with_context(|| format!("{}: not a readable UFS image", img.display()))?;
    let ino = r.lookup(path)?;
    let st = r.stat(ino)?;
    if st.mode & IFMT != IFREG {
        anyhow::bail!("{}: not a regular file", String::from_utf8_lossy(path));
    }
    Ok(r.read_file(ino, out)?)
}

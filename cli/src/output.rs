//! Atomic outputs: write to a temporary file beside the target, rename on success.

use anyhow::Context;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Check that `path` can be an output file: its directory exists and it is
/// not itself a directory. Returns the directory. Commands call this before
/// doing any work, so a bad output path fails fast and writes nothing.
pub fn check_output_path(path: &Path) -> anyhow::Result<&Path> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!("{}: output directory does not exist", dir.display());
    }
    if path.is_dir() {
        anyhow::bail!(
            "{}: is a directory; the output must be a file path",
            path.display()
        );
    }
    Ok(dir)
}

/// An output written completely to a temporary file beside its destination
/// but not yet renamed into place: [`Staged::commit`] does that. Dropping it
/// instead removes the temporary file, leaving any existing output as it was.
/// Commands that write several files stage them all and commit them at the
/// end, main output last, so a failure in any of them leaves nothing new.
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Staged {
    /// The destination path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rename the finished file into place.
    pub fn commit(self) -> anyhow::Result<()> {
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| e.error)
            .with_context(|| {
                format!(
                    "{}: cannot rename the finished output into place",
                    path.display()
                )
            })?;
        Ok(())
    }
}

/// Commit staged outputs in order (put the main output last).
pub fn commit_all(staged: Vec<Staged>) -> anyhow::Result<()> {
    for s in staged {
        s.commit()?;
    }
    Ok(())
}

/// Write `path`'s new contents to a temporary file in the same directory:
/// `f` writes into it, buffered. On any error the temporary file is removed.
/// The result is a [`Staged`] output to commit.
pub fn stage<T>(
    path: &Path,
    f: impl FnOnce(&mut BufWriter<&mut std::fs::File>) -> anyhow::Result<T>,
) -> anyhow::Result<(Staged, T)> {
    let dir = check_output_path(path)?;
    // Created 0666 less the umask, like any file a command writes (tempfile's
    // own default is 0600).
    use std::os::unix::fs::PermissionsExt;
    let mut tmp = tempfile::Builder::new()
        .prefix(".mvi-")
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    let result = {
        let file = tmp.as_file_mut();
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let r = f(&mut w)?;
        w.flush()
            .with_context(|| format!("{}: write failed", path.display()))?;
        r
    };
    Ok((
        Staged {
            tmp,
            path: path.to_path_buf(),
        },
        result,
    ))
}

/// Create `path` atomically: `f` writes into a buffered temporary file in the
/// same directory, which is renamed over `path` only if `f` succeeds. On any
/// error the temporary file is removed and an existing `path` is left
/// untouched. Like tar, makefs and xorriso, no fsync is forced: readers see
/// either the old file or the complete new one.
pub fn write_atomic<T>(
    path: &Path,
    f: impl FnOnce(&mut BufWriter<&mut std::fs::File>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let (staged, r) = stage(path, f)?;
    staged.commit()?;
    Ok(r)
}

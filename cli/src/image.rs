//! Opening images given to `ls`, `cat` and `check`: plain or gzip-compressed.

use anyhow::Context;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The gzip magic bytes (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Open `path` for random-access reading. A gzip-compressed image (one or
/// more members, e.g. a boot archive) is inflated into an anonymous
/// temporary file first, so memory stays flat whatever the image size.
pub fn open(path: &Path) -> anyhow::Result<File> {
    let mut f = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut f, &mut magic)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    f.seek(SeekFrom::Start(0))
        .with_context(|| format!("{}: cannot seek", path.display()))?;
    if n == 2 && magic == GZIP_MAGIC {
        let mut tmp =
            tempfile::tempfile().context("cannot create a temporary file to inflate into")?;
        let mut gz =
            flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, f));
        std::io::copy(&mut gz, &mut tmp)
            .with_context(|| format!("{}: gzip data is damaged", path.display()))?;
        return Ok(tmp);
    }
    Ok(f)
}

/// The in-memory form of [`open`]: `data` itself, or, when it starts with
/// the gzip magic, its inflated contents (every member). Inflating stops
/// with an error once more than `limit` bytes come out, so a small hostile
/// input cannot claim unbounded memory (deflate expands up to about 1032:1).
pub fn inflate_bytes(data: Vec<u8>, limit: u64) -> anyhow::Result<Vec<u8>> {
    if data.len() < 2 || data[..2] != GZIP_MAGIC {
        return Ok(data);
    }
    let gz = flate2::read::MultiGzDecoder::new(data.as_slice());
    let mut out = Vec::new();
    // One byte past the limit tells "exactly limit" from "more".
    gz.take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .context("gzip data is damaged")?;
    if out.len() as u64 > limit {
        anyhow::bail!("gzip data inflates to more than {limit} bytes");
    }
    Ok(out)
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

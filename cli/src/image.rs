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

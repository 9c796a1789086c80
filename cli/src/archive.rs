//! `mvi archive`: the boot archive, a gzip'd image compressed in parallel.
//!
//! GRUB's `module` inflates a gzip'd boot archive transparently and hands
//! the kernel the plain UFS image (illumos-boot.md §2.3), so the archive is
//! the image as **one gzip member** (RFC 1952). [`compress`] makes that
//! member from any [`Read`] into any [`Write`], streaming, with every core:
//!
//! * the input is cut into chunks at fixed offsets ([`GzipOptions::chunk_size`]
//!   bytes each, [`DEFAULT_CHUNK_SIZE`] unless told otherwise); chunk *i*
//!   covers bytes `i * chunk_size ..` whatever the thread count;
//! * each chunk becomes a raw deflate stream primed with the 32 KiB of input
//!   before it as the preset dictionary (`deflateSetDictionary`), so matches
//!   reach back across chunk boundaries as in one sequential stream; every
//!   chunk but the last ends with a sync flush (an empty stored block, which
//!   leaves the stream byte-aligned and not final), the last one with
//!   `Finish` (the final block). Their concatenation is one valid deflate
//!   stream — the technique of pigz;
//! * each chunk's CRC-32 is computed beside its compression and the CRCs are
//!   joined in order with [`crc32fast::Hasher::combine`];
//! * chunks are compressed by `threads` scoped worker threads and written in
//!   order. At most `2 * threads + 2` chunks are in memory at once (read,
//!   queued, being compressed or waiting to be written), so memory is
//!   bounded by the chunk size and the thread count, never by the input.
//!
//! A chunk's bytes depend only on its input, the 32 KiB before it, whether
//! it is the last, and the level: **the output is byte-identical for any
//! thread count**.
//!
//! The member header is fixed, so the same input always gives the same
//! bytes: `1f 8b 08`, FLG 0 (no name, comment or extra field), MTIME 0,
//! XFL as GNU gzip writes it for the level ([`xfl`]: 2 at level 9, 4 at
//! level 1, else 0), OS 3 (Unix, also as GNU gzip writes it). At level 9
//! the header is therefore the same ten bytes `gzip -9n` writes. The
//! trailer is the CRC-32 and the input length modulo 2^32 (ISIZE), both
//! little-endian.
//!
//! [`build`] is `mvi archive`: a file in, an archive (and with `hash`, the
//! `<archive>.hash` file holding the SHA-1 of the *uncompressed* image as
//! 40 lowercase hex digits and a newline, the illumos loader's
//! `boot_archive.hash` convention) written atomically.

use crate::output::{check_output_path, commit_all, stage};
use crate::size::human;
use anyhow::Context;
use flate2::{Compress, Compression, FlushCompress, Status};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

/// The default compression level, as for `gzip -9`.
pub const DEFAULT_LEVEL: u32 = 9;

/// The default chunk size: 1 MiB of input per chunk. Larger chunks cost
/// less in sync-flush markers and block restarts (about 0.01 % at 1 MiB);
/// smaller ones balance better on small inputs. Part of the output format:
/// a different chunk size gives different (equally valid) bytes.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 20;

/// The deflate window, and how much input before a chunk primes it.
pub const DICTIONARY_SIZE: usize = 32 * 1024;

/// The gzip header's OS byte: 3, Unix (what GNU gzip writes on Unix).
pub const OS_UNIX: u8 = 3;

/// Upper bound on `threads`; more only costs memory.
pub const MAX_THREADS: usize = 1024;

/// The gzip header's XFL byte for a level, as GNU gzip and pigz write it:
/// 2 ("maximum compression") at level 9, 4 ("fastest") at level 1, else 0.
pub fn xfl(level: u32) -> u8 {
    match level {
        9 => 2,
        1 => 4,
        _ => 0,
    }
}

/// The ten-byte gzip member header [`compress`] writes for `level`:
/// deflate, no flags, MTIME 0, [`xfl`], [`OS_UNIX`].
pub fn gzip_header(level: u32) -> [u8; 10] {
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl(level), OS_UNIX]
}

/// How [`compress`] works. Only `level` and `chunk_size` change the output
/// bytes; `threads` changes only the speed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipOptions {
    /// Deflate level, 1 (fastest) to 9 (smallest).
    pub level: u32,
    /// Worker threads, 1 to [`MAX_THREADS`].
    pub threads: usize,
    /// Input bytes per chunk, at least 1 (see [`DEFAULT_CHUNK_SIZE`]).
    pub chunk_size: usize,
}

impl Default for GzipOptions {
    /// Level 9, one thread per available core, [`DEFAULT_CHUNK_SIZE`].
    fn default() -> Self {
        GzipOptions {
            level: DEFAULT_LEVEL,
            threads: default_threads(),
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }
}

/// The number of cores this process may use (1 if unknown).
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(MAX_THREADS)
}

/// What [`compress`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipSummary {
    /// Uncompressed bytes read.
    pub input_bytes: u64,
    /// Bytes of the gzip member written (header and trailer included).
    pub output_bytes: u64,
    /// CRC-32 of the input (the trailer's, before truncation to ISIZE).
    pub crc32: u32,
    /// Chunks the input was cut into (at least 1: empty input is one empty chunk).
    pub chunks: u64,
}

/// Why [`compress`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The level is not 1..=9.
    #[error("compression level {0} is out of range (1 to 9)")]
    Level(u32),
    /// The thread count is 0 or above [`MAX_THREADS`].
    #[error("thread count {0} is out of range (1 to {MAX_THREADS})")]
    Threads(usize),
    /// A chunk size of 0.
    #[error("chunk size 0: chunks must hold at least one byte")]
    ChunkSize,
    /// Reading the input failed.
    #[error("cannot read the input: {0}")]
    Read(#[source] std::io::Error),
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Write(#[source] std::io::Error),
    /// The deflate engine reported an error (a bug: valid input cannot fail).
    #[error("deflate failed on chunk {chunk}: {message}")]
    Deflate {
        /// The chunk number.
        chunk: u64,
        /// The engine's message.
        message: String,
    },
    /// A worker thread panicked (a bug).
    #[error("a compression thread failed: {0}")]
    Worker(String),
}

impl GzipOptions {
    /// Check the ranges.
    pub fn validate(&self) -> Result<(), ArchiveError> {
        if !(1..=9).contains(&self.level) {
            return Err(ArchiveError::Level(self.level));
        }
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(ArchiveError::Threads(self.threads));
        }
        if self.chunk_size == 0 {
            return Err(ArchiveError::ChunkSize);
        }
        Ok(())
    }
}

/// One chunk to compress.
struct Job {
    index: u64,
    /// Up to [`DICTIONARY_SIZE`] bytes of input before the chunk.
    dict: Vec<u8>,
    data: Vec<u8>,
    last: bool,
    /// A reused buffer for the compressed bytes.
    out: Vec<u8>,
}

/// One compressed chunk, with its buffers handed back for reuse.
struct Done {
    index: u64,
    deflated: Vec<u8>,
    crc: crc32fast::Hasher,
    data: Vec<u8>,
    dict: Vec<u8>,
}

/// Gzip `input` into `output` as one member (see the module documentation),
/// reading until end of file. Returns what was written; `output` is not
/// flushed. On error, `output` holds a partial member.
pub fn compress<R: Read, W: Write>(
    mut input: R,
    mut output: W,
    opts: &GzipOptions,
) -> Result<GzipSummary, ArchiveError> {
    opts.validate()?;
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let (done_tx, done_rx) = mpsc::channel::<Result<Done, ArchiveError>>();
    let job_rx = Mutex::new(job_rx);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..opts.threads)
            .map(|_| {
                let done_tx = done_tx.clone();
                let job_rx = &job_rx;
                s.spawn(move || worker(opts.level, job_rx, done_tx))
            })
            .collect();
        drop(done_tx);
        // `job_tx` moves into the producer and is dropped when it returns,
        // which ends the workers' loops.
        let result = produce(&mut input, &mut output, opts, job_tx, &done_rx);
        let mut panicked = None;
        for w in workers {
            if let Err(p) = w.join() {
                panicked = Some(panic_message(&*p));
            }
        }
        match (result, panicked) {
            (Err(e), _) => Err(e),
            (Ok(_), Some(p)) => Err(ArchiveError::Worker(p)),
            (Ok(summary), None) => Ok(summary),
        }
    })
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// The reading, dispatching and writing side of [`compress`].
fn produce<R: Read, W: Write>(
    input: &mut R,
    output: &mut W,
    opts: &GzipOptions,
    job_tx: mpsc::Sender<Job>,
    done_rx: &mpsc::Receiver<Result<Done, ArchiveError>>,
) -> Result<GzipSummary, ArchiveError> {
    let window = 2 * opts.threads + 1;
    let mut free_data: Vec<Vec<u8>> = Vec::new();
    let mut free_dict: Vec<Vec<u8>> = Vec::new();
    let mut free_out: Vec<Vec<u8>> = Vec::new();
    let mut history: Vec<u8> = Vec::with_capacity(DICTIONARY_SIZE);
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    let mut crc = crc32fast::Hasher::new();
    let (mut dispatched, mut written) = (0u64, 0u64);
    let (mut in_bytes, mut out_bytes) = (0u64, 0u64);

    let header = gzip_header(opts.level);
    output.write_all(&header).map_err(ArchiveError::Write)?;
    out_bytes += header.len() as u64;

    // The next chunk to dispatch, read ahead so a full chunk is known to be
    // the last one only when the read after it finds end of file.
    let mut next = Some(read_chunk(input, opts.chunk_size, free_data.pop())?);
    loop {
        while dispatched - written < window as u64 {
            let Some(data) = next.take() else { break };
            let last = if data.len() < opts.chunk_size {
                true
            } else {
                let after = read_chunk(input, opts.chunk_size, free_data.pop())?;
                if after.is_empty() {
                    free_data.push(after);
                    true
                } else {
                    next = Some(after);
                    false
                }
            };
            let mut dict = free_dict.pop().unwrap_or_default();
            dict.clear();
            dict.extend_from_slice(&history);
            // Slide the history to the last 32 KiB read so far.
            if data.len() >= DICTIONARY_SIZE {
                history.clear();
                history.extend_from_slice(&data[data.len() - DICTIONARY_SIZE..]);
            } else {
                history.extend_from_slice(&data);
                let excess = history.len().saturating_sub(DICTIONARY_SIZE);
                history.drain(..excess);
            }
            in_bytes += data.len() as u64;
            let job = Job {
                index: dispatched,
                dict,
                data,
                last,
                out: free_out.pop().unwrap_or_default(),
            };
            job_tx
                .send(job)
                .map_err(|_| ArchiveError::Worker("the compression threads stopped".into()))?;
            dispatched += 1;
        }
        if dispatched == written {
            break;
        }
        let done = done_rx
            .recv()
            .map_err(|_| ArchiveError::Worker("the compression threads stopped".into()))??;
        pending.insert(done.index, done);
        while let Some(d) = pending.remove(&written) {
            output.write_all(&d.deflated).map_err(ArchiveError::Write)?;
            out_bytes += d.deflated.len() as u64;
            crc.combine(&d.crc);
            free_data.push(d.data);
            free_dict.push(d.dict);
            free_out.push(d.deflated);
            written += 1;
        }
    }
    let crc32 = crc.finalize();
    let mut trailer = [0u8; 8];
    trailer[..4].copy_from_slice(&crc32.to_le_bytes());
    trailer[4..].copy_from_slice(&(in_bytes as u32).to_le_bytes());
    output.write_all(&trailer).map_err(ArchiveError::Write)?;
    out_bytes += trailer.len() as u64;
    Ok(GzipSummary {
        input_bytes: in_bytes,
        output_bytes: out_bytes,
        crc32,
        chunks: written,
    })
}

/// Read up to `size` bytes (fewer only at end of file) into a reused buffer.
fn read_chunk<R: Read>(
    input: &mut R,
    size: usize,
    buf: Option<Vec<u8>>,
) -> Result<Vec<u8>, ArchiveError> {
    let mut buf = buf.unwrap_or_default();
    buf.clear();
    buf.resize(size, 0);
    let mut n = 0;
    while n < size {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ArchiveError::Read(e)),
        }
    }
    buf.truncate(n);
    Ok(buf)
}

/// A worker: compress jobs until the job channel closes.
fn worker(
    level: u32,
    jobs: &Mutex<mpsc::Receiver<Job>>,
    done: mpsc::Sender<Result<Done, ArchiveError>>,
) {
    loop {
        let mut job = {
            let Ok(rx) = jobs.lock() else { return };
            match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            }
        };
        let mut out = std::mem::take(&mut job.out);
        // A panic in the engine (a bug) becomes an error for this chunk, so
        // the producer, waiting for exactly this chunk, is never left hanging.
        let deflated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            deflate_chunk(level, &job, &mut out)
        }))
        .unwrap_or_else(|p| Err(ArchiveError::Worker(panic_message(&*p))));
        let result = deflated.map(|()| {
            let mut crc = crc32fast::Hasher::new();
            crc.update(&job.data);
            Done {
                index: job.index,
                deflated: out,
                crc,
                data: job.data,
                dict: job.dict,
            }
        });
        let failed = result.is_err();
        if done.send(result).is_err() || failed {
            return;
        }
    }
}

/// Compress one chunk into `out` (cleared first): a raw deflate stream
/// primed with the job's dictionary, ended by a sync flush or, for the last
/// chunk, by the final block.
fn deflate_chunk(level: u32, job: &Job, out: &mut Vec<u8>) -> Result<(), ArchiveError> {
    let fail = |e: flate2::CompressError| ArchiveError::Deflate {
        chunk: job.index,
        message: e.to_string(),
    };
    // A new engine for every chunk: with the zlib-rs backend a reset engine
    // is not the same as a fresh one (its output after reset() and
    // set_dictionary() depends on the streams it compressed before), and
    // which worker compresses which chunk must not reach the output bytes.
    // The archive_props regression seed is the case that showed it.
    let mut engine = Compress::new(Compression::new(level), false);
    let engine = &mut engine;
    if !job.dict.is_empty() {
        engine.set_dictionary(&job.dict).map_err(fail)?;
    }
    let data = &job.data[..];
    out.clear();
    // deflateBound plus the sync marker; the loop grows it if ever needed.
    out.reserve(data.len() + (data.len() >> 12) + (data.len() >> 14) + 64);
    let flush = if job.last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let start = engine.total_in();
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let (in0, out0) = (engine.total_in(), out.len());
        let pos = (in0 - start) as usize;
        let status = engine
            .compress_vec(&data[pos..], out, flush)
            .map_err(fail)?;
        let consumed = (engine.total_in() - start) as usize;
        let done = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            _ => consumed == data.len() && out.len() < out.capacity(),
        };
        if done {
            return Ok(());
        }
        if engine.total_in() == in0 && out.len() == out0 && out.len() < out.capacity() {
            return Err(ArchiveError::Deflate {
                chunk: job.index,
                message: format!("no progress ({status:?})"),
            });
        }
    }
}

/// A reader that feeds everything it reads to a SHA-1.
#[derive(Debug)]
pub struct Sha1Reader<R> {
    inner: R,
    hasher: Sha1,
}

impl<R: Read> Sha1Reader<R> {
    /// Wrap `inner`.
    pub fn new(inner: R) -> Self {
        Sha1Reader {
            inner,
            hasher: Sha1::new(),
        }
    }

    /// The SHA-1 of everything read so far, as 40 lowercase hex digits.
    pub fn hex_digest(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl<R: Read> Read for Sha1Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The SHA-1 of `data` as 40 lowercase hex digits.
pub fn sha1_hex(data: &[u8]) -> String {
    hex(&Sha1::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash file's name for an archive: `<archive>.hash`.
pub fn hash_path(archive: &Path) -> PathBuf {
    let mut p = archive.as_os_str().to_owned();
    p.push(".hash");
    PathBuf::from(p)
}

/// Options of `mvi archive`.
#[derive(Debug, Clone)]
pub struct ArchiveOptions {
    /// The image to compress.
    pub image: PathBuf,
    /// The archive to write.
    pub out: PathBuf,
    /// Level, threads and chunk size.
    pub gzip: GzipOptions,
    /// Also write `<out>.hash` (see [`hash_path`]).
    pub hash: bool,
}

/// What `mvi archive` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveReport {
    /// The compression summary.
    pub gzip: GzipSummary,
    /// The level used.
    pub level: u32,
    /// The threads used.
    pub threads: usize,
    /// The SHA-1 written to the hash file, if asked for.
    pub sha1: Option<String>,
    /// The hash file, if written.
    pub hash_file: Option<PathBuf>,
}

impl ArchiveReport {
    /// One line (two with a hash file) for people.
    pub fn render(&self, name: &str) -> String {
        let g = &self.gzip;
        let pct = if g.input_bytes == 0 {
            0.0
        } else {
            g.output_bytes as f64 * 100.0 / g.input_bytes as f64
        };
        let mut s = format!(
            "{name}: {} -> {} ({pct:.1}%), gzip level {}, {} chunk(s) on {} thread(s), crc32 {:08x}\n",
            human(g.input_bytes),
            human(g.output_bytes),
            self.level,
            g.chunks,
            self.threads,
            g.crc32
        );
        if let (Some(h), Some(p)) = (&self.sha1, &self.hash_file) {
            s.push_str(&format!("{}: sha1 {h}\n", p.display()));
        }
        s
    }
}

/// `mvi archive`: gzip `opts.image` into `opts.out` and, with `opts.hash`,
/// write `<out>.hash`. Both files are written to temporary files first; the
/// archive is renamed into place only after the hash file is complete, and
/// a hash file renamed into place is removed again if the archive's rename
/// fails, so an error leaves neither new file behind.
pub fn build(opts: &ArchiveOptions, progress: bool) -> anyhow::Result<ArchiveReport> {
    opts.gzip.validate()?;
    let image = &opts.image;
    let meta =
        std::fs::metadata(image).with_context(|| format!("{}: cannot open", image.display()))?;
    if meta.is_dir() {
        anyhow::bail!("{}: is a directory, not an image", image.display());
    }
    // Writing over the input would replace the image with its own archive.
    let hash_out = opts.hash.then(|| hash_path(&opts.out));
    for out in std::iter::once(&opts.out).chain(hash_out.as_ref()) {
        check_output_path(out)?;
        if let Ok(m) = std::fs::metadata(out) {
            use std::os::unix::fs::MetadataExt;
            if (m.dev(), m.ino()) == (meta.dev(), meta.ino()) {
                anyhow::bail!(
                    "{}: is the input image {}; give another output path",
                    out.display(),
                    image.display()
                );
            }
        }
    }
    let file =
        std::fs::File::open(image).with_context(|| format!("{}: cannot open", image.display()))?;
    let bar = crate::progress_bar(progress, meta.len(), &opts.out);
    let reader = bar.wrap_read(std::io::BufReader::with_capacity(1 << 16, file));
    let hash_file = hash_out;
    let (archive, (gzip, sha1)) = stage(&opts.out, |w| {
        let explain = |e: ArchiveError| match e {
            ArchiveError::Read(e) => {
                anyhow::Error::new(e).context(format!("{}: cannot read", image.display()))
            }
            ArchiveError::Write(e) => {
                anyhow::Error::new(e).context(format!("{}: write failed", opts.out.display()))
            }
            e => anyhow::Error::new(e),
        };
        if hash_file.is_none() {
            let summary = compress(reader, &mut *w, &opts.gzip).map_err(explain)?;
            return Ok((summary, None));
        }
        // Hash only when asked: SHA-1 runs on the reading thread.
        let mut reader = Sha1Reader::new(reader);
        let summary = compress(&mut reader, &mut *w, &opts.gzip).map_err(explain)?;
        Ok((summary, Some(reader.hex_digest())))
    })?;
    // Both files are complete before either is renamed into place; the
    // archive goes last.
    let mut staged = Vec::new();
    if let (Some(hp), Some(digest)) = (&hash_file, &sha1) {
        let (h, ()) = stage(hp, |hw| {
            hw.write_all(format!("{digest}\n").as_bytes())
                .with_context(|| format!("{}: write failed", hp.display()))
        })?;
        staged.push(h);
    }
    staged.push(archive);
    commit_all(staged)?;
    bar.finish_and_clear();
    Ok(ArchiveReport {
        gzip,
        level: opts.gzip.level,
        threads: opts.gzip.threads,
        sha1,
        hash_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(data: &[u8], level: u32, threads: usize, chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let opts = GzipOptions {
            level,
            threads,
            chunk_size: chunk,
        };
        let s = compress(data, &mut out, &opts).unwrap();
        assert_eq!(s.input_bytes, data.len() as u64);
        assert_eq!(s.output_bytes, out.len() as u64);
        assert_eq!(s.crc32, crc32fast::hash(data));
        out
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut d = flate2::read::GzDecoder::new(gz);
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        out
    }

    fn sample(len: usize) -> Vec<u8> {
        let words = [
            &b"kernel "[..],
            b"platform ",
            b"i86pc ",
            b"\0\0\0\0",
            b"amd64/",
            b"unix\n",
        ];
        let mut x = 0x1234_5678u32;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if x.is_multiple_of(7) {
                out.push(x as u8);
            } else {
                out.extend_from_slice(words[(x >> 8) as usize % words.len()]);
            }
        }
        out.truncate(len);
        out
    }

    #[test]
    fn header_and_trailer() {
        let out = gz(b"", 9, 1, DEFAULT_CHUNK_SIZE);
        assert_eq!(&out[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
        // The empty final static block, CRC 0, ISIZE 0.
        assert_eq!(&out[10..], &[3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(gz(b"x", 1, 1, 7)[8], 4);
        assert_eq!(gz(b"x", 6, 1, 7)[8], 0);
        let out = gz(b"abc", 9, 1, 1);
        assert_eq!(
            &out[out.len() - 8..out.len() - 4],
            &crc32fast::hash(b"abc").to_le_bytes()
        );
        assert_eq!(&out[out.len() - 4..], &3u32.to_le_bytes());
    }

    #[test]
    fn round_trips_and_is_thread_independent() {
        for len in [0, 1, 100, 32767, 32768, 32769, 65536, 200_001] {
            let data = sample(len);
            for chunk in [1, 1000, 32768, 65536, DEFAULT_CHUNK_SIZE] {
                if chunk == 1 && len > 1000 {
                    continue;
                }
                let one = gz(&data, 9, 1, chunk);
                assert_eq!(gunzip(&one), data, "len {len} chunk {chunk}");
                for threads in [2, 3, 8] {
                    assert_eq!(gz(&data, 9, threads, chunk), one, "len {len} chunk {chunk}");
                }
            }
        }
    }

    #[test]
    fn the_dictionary_keeps_the_ratio() {
        // A 64 KiB block repeated: sequential deflate finds each repeat 64 KiB
        // back -- out of reach -- but a 16 KiB block repeated is found across
        // chunk boundaries only thanks to the dictionary.
        let block = sample(16 * 1024);
        let data: Vec<u8> = block.iter().copied().cycle().take(1 << 20).collect();
        let small_chunks = gz(&data, 9, 2, 20_000);
        let whole = gz(&data, 9, 1, 1 << 21);
        assert!(
            small_chunks.len() < whole.len() + 53 * 40,
            "{} vs {}",
            small_chunks.len(),
            whole.len()
        );
        assert_eq!(gunzip(&small_chunks), data);
    }

    #[test]
    fn bad_options() {
        let mut out = Vec::new();
        let o = |level, threads, chunk_size| GzipOptions {
            level,
            threads,
            chunk_size,
        };
        assert!(matches!(
            compress(&b""[..], &mut out, &o(0, 1, 1)),
            Err(ArchiveError::Level(0))
        ));
        assert!(matches!(
            compress(&b""[..], &mut out, &o(10, 1, 1)),
            Err(ArchiveError::Level(10))
        ));
        assert!(matches!(
            compress(&b""[..], &mut out, &o(9, 0, 1)),
            Err(ArchiveError::Threads(0))
        ));
        assert!(matches!(
            compress(&b""[..], &mut out, &o(9, 1, 0)),
            Err(ArchiveError::ChunkSize)
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn read_and_write_errors() {
        struct Fail(usize);
        impl Read for Fail {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0);
                buf[..n].fill(7);
                self.0 -= n;
                Ok(n)
            }
        }
        let e = compress(
            Fail(100_000),
            Vec::new(),
            &GzipOptions {
                chunk_size: 4096,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, ArchiveError::Read(_)), "{e}");
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(std::io::Error::new(ErrorKind::StorageFull, "full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let data = sample(300_000);
        let e = compress(
            &data[..],
            Full(1000),
            &GzipOptions {
                chunk_size: 4096,
                threads: 3,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, ArchiveError::Write(_)), "{e}");
    }

    #[test]
    fn sha1_known_answers() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        let mut r = Sha1Reader::new(&b"abc"[..]);
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        assert_eq!(r.hex_digest(), sha1_hex(b"abc"));
        assert_eq!(
            hash_path(Path::new("a/boot_archive")),
            Path::new("a/boot_archive.hash")
        );
    }
}

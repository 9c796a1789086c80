//! Independent validators for the ISO images mvi writes.
//!
//! [`validate_iso`] runs every validator below on one image and compares
//! what each one reads with an [`IsoExpectation`] (the tree the Rock Ridge
//! view must hold, the volume id, the El Torito boot entry, which trees the
//! image must carry). It returns a [`ValidationReport`] with each
//! validator's verdict and captured output, or an error naming every
//! validator that failed, with its problems and the tail of its output.
//! [`run_validators`] returns the report in either case (for tests that
//! expect a particular validator to fail). A validator whose tool is not
//! installed fails (it never skips): run `scripts/setup-test-deps.sh`.
//! Every external command runs under a time limit ([`TOOL_TIMEOUT`]).
//! [`iso_manifest`] and [`iso_manifest_diff`] expose the subset comparison
//! for other readers (e.g. the project's own).
//!
//! # What each validator checks
//!
//! No single reader catches everything (see
//! `docs`/`reference/iso9660-eltorito.md` §6); the table says what each one
//! contributes *here*. "Tree" means: the reader's view of the Rock Ridge
//! tree is turned into manifest lines (the [`crate::manifest`] format) and
//! compared with the expected tree on the columns that reader can see.
//!
//! | validator | commands / API | checks | tree columns |
//! |---|---|---|---|
//! | `xorriso` | `xorriso -abort_on NEVER -return_with WARNING 32 -indev X -report_el_torito plain -report_system_area plain -find / -exec lsdl --` | full libisofs load; exit 0 (any libisofs WARNING, e.g. a bad TF or CE, exits 32); an image was loaded ("Media status : is written": a file it cannot read is a *blank* medium and exits 0); volume id; catalog path, platform BIOS, bootable, no emulation, segment 0, load size, image LBA, image path, `boot-info-table` | type, perm (incl. setuid/setgid/sticky), uid, gid, size, device (as glibc `dev_t`), symlink target |
//! | `pycdlib` | `tests/oracle/pycdlib_check.py` (pycdlib `open()`, walks with `list_children`, contents with `get_file_from_iso_fp(rr_path=…)`) | the strict parse: both-endian fields of the PVD and of every directory record, L vs M path tables, El Torito validation checksum; Rock Ridge version, Joliet presence, volume id; catalog entries and the boot file's extent = the catalog's RBA; primary tree holds the same non-empty files as the RR tree; Joliet tree names, sizes and contents | all, device numbers as the raw `PN` words |
//! | `isoinfo` | `isoinfo -d -i X`, `isoinfo -l -R -i X` | descriptors (volume id, 2048-byte blocks, volume size ≤ file size), "Joliet … found", "Rock Ridge signatures … found", El Torito header: catalog sector, `Bootid 88`, `Boot media 0`, `Load segment 0`, `Nsect` (hex) = load size, `Bootoff` = image LBA; listing extent of the boot image; exit 0 and nothing on stderr | type, perm & 0777 (it does not print setuid/setgid/sticky), size, symlink target (it prints wrong uid/gid for ids above 255 and no device numbers) |
//! | `isovfy` | `isovfy -i X` | walks the primary tree and its SUSP areas: any line besides "Root at extent …", "[n n]" and "No errors found" is a reported error (e.g. "***** Directory has null extent." for a `..` pointing at its own directory; "Short read on old image" for a CE outside the image); the root it walked must be the PVD's root record (it reads a file of zeros as an empty volume with "No errors found"). It does not check the path tables or the Joliet tree | – |
//! | `bsdtar` | `bsdtar -tvf X`; `bsdtar -xf X -C DIR` | libarchive's streaming reader (CE must point forward, directories before their contents); exit 0 and nothing on stderr; the listing must start with the root `.` (libarchive reads a file of zeros as an empty tar archive and exits 0); the extracted tree is walked with [`fstree::walk`] and compared | listing: type, perm, uid, gid, size, device (as glibc `dev_t`), target; extraction: all of these plus contents (owner, mode and devices only when run as root; sockets come out as empty files and take their type from the listing) |
//! | `7z` | `7z t X` | "Everything is Ok", exit 0, no ERROR/WARNING lines; it checks the PVD's both-endian volume size, the catalog checksum and that file data lies inside the image | – |
//! | `hadris-iso` | hadris-iso 3.0.0-rc.2 `IsoFs` (in process) through the `hadris_fs` `FileSystem` trait: the Rock Ridge, Joliet and primary trees, `boot_catalog` | volume id, which trees exist, catalog default entry (platform, bootable, no emulation, segment, sector count, load block); the descriptor set's both-endian fields and directory records (it refuses to mount or read them); primary tree holds the same non-empty files | Rock Ridge tree: all (device numbers as the raw `PN` words); Joliet: names, sizes, contents |
//! | `eltorito` | the harness's own reading of the image bytes | BRVD (`EL TORITO SPECIFICATION`, NUL padded), catalog validation entry (header, 55 AA, checksum), initial entry, **boot info table** (PVD field names a PVD, normally 16; file LBA = RBA; length; checksum with a zero-padded trailing word; reserved bytes zero) and that the image holds exactly the patched source file | – |
//!
//! Measured on copies of a good xorriso image (Rock Ridge, Joliet, El
//! Torito) with one field corrupted, and on non-images
//! (`tests/tests/iso_validators_harness.rs` asserts the reference §6.2
//! column and prints the measured one):
//!
//! | corruption | reference §6.2 | caught here by |
//! |---|---|---|
//! | PVD volume space size, BE ≠ LE | pycdlib, 7z | pycdlib, 7z, hadris-iso |
//! | boot catalog validation checksum | pycdlib, 7z | pycdlib, 7z, hadris-iso, eltorito |
//! | M path table ≠ L path table | pycdlib | pycdlib |
//! | a directory record's extent (first entry of the root), BE ≠ LE | pycdlib | pycdlib, hadris-iso |
//! | a `..` record pointing at its own directory (primary tree) | isovfy | isovfy |
//! | root `.` CE pointing outside the image | xorriso, isoinfo, bsdtar, isovfy | xorriso, isoinfo, isovfy, bsdtar, pycdlib (loses Rock Ridge, then fails reading), hadris-iso (reads no Rock Ridge) |
//! | boot info table checksum | none | eltorito; xorriso (no longer reports `boot-info-table`); pycdlib, bsdtar, hadris-iso (boot image bytes ≠ the patched source) |
//! | 1 MiB of zeros | – | all eight (isovfy and bsdtar only through the root checks above) |
//! | image cut in half | – | xorriso, pycdlib, isoinfo, bsdtar, 7z, hadris-iso (isovfy and eltorito read only the first sectors) |
//!
//! What none of them checks (§9.3 record order, path-table order, `..`
//! targets in Joliet, records ending exactly at a sector end) needs the
//! project's own structural checker.
//!
//! # Comparing trees
//!
//! The expected manifest is [`crate::tree_manifest`] of
//! [`IsoExpectation::tree`]. An ISO cannot show everything a tree holds, so
//! the comparison is a subset:
//! * `NLINK` is never compared (PX link counts are the writer's choice;
//!   xorriso writes 1 for hard links); nor are times;
//! * each reader compares only the columns it can see (table above);
//!   hidden columns are `*` on both sides of the diff;
//! * device numbers are compared as each reader decodes the `PN` words,
//!   given the writer's [`PnEncoding`] (measured: xorriso writes
//!   [`PnEncoding::LinuxDevT`]; genisoimage and mvi's own writer
//!   [`PnEncoding::MajorMinor`]);
//! * the boot image must hold the source bytes *with the boot info table
//!   patched in* (computed here from the catalog's RBA);
//! * a visible boot catalog ([`BootExpectation::catalog_path`]) is removed
//!   from each listing after checking it is a regular file;
//! * the Rock Ridge relocation directory (`rr_moved` or `.rr_moved`) is
//!   removed when it is not in the expected tree and is empty in the
//!   reader's view; for isoinfo, which does not follow `CL`, each relocated
//!   directory is first moved back under its `CL` placeholder (matched by
//!   extent, else by name);
//! * Joliet holds directories and regular files; names Joliet cannot hold
//!   verbatim (not UTF-8, over 64 UCS-2 units, `* / : ; ? \` or control
//!   characters) are only counted; symlinks and special files listed as
//!   empty files (genisoimage does that) are tolerated;
//! * without Rock Ridge, primary names are the writer's mapping: readers
//!   then compare the multiset of (size, SHA-256) of non-empty files.
//!
//! Reader quirks tolerated (each noted in the verdict when it happens):
//! * bsdtar (libarchive 3.6) drops the `/` between symlink components that
//!   are split across two `SL` entries (it restarts its separator at each
//!   entry; xorriso, genisoimage and mvi's writer all split long targets):
//!   a target that equals the expected one with some `/` removed is
//!   accepted;
//! * bsdtar builds `dev_t = high << 32 | low` from `PN`, which for the
//!   major/minor encoding is no device Linux can create: device nodes are
//!   not extracted (`--exclude`) and are compared through `bsdtar -tv`;
//! * isoinfo prints `?---------` for some `..` records and wrong owners
//!   above 255; it prints no setuid/setgid/sticky bits;
//! * xorriso and bsdtar run under `LC_ALL=C.UTF-8`: without Rock Ridge
//!   they convert Joliet names to the locale's charset and fail in `C`;
//! * xorriso 1.5.4 writes every Joliet `..` pointing at the directory
//!   itself (reference §3.2); no validator here rejects that.

mod eltorito;
mod hadris;
mod listing;
mod run;
mod tools;

pub use listing::PnEncoding;

use listing::{JolietExpect, Listing};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Time limit for each external command.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// What an image must hold.
#[derive(Debug, Clone, Default)]
pub struct IsoExpectation {
    /// The tree the Rock Ridge view must hold (names, types, modes, owners,
    /// sizes, contents, symlink targets, device numbers). `None`: trees
    /// are parsed and walked but not compared.
    pub tree: Option<fstree::Tree>,
    /// The PVD volume identifier (without its space padding).
    pub volume_id: Option<String>,
    /// The El Torito boot entry; `None`: the image must not have one.
    pub boot: Option<BootExpectation>,
    /// The image must (true) or must not (false) have a Joliet tree.
    pub joliet: bool,
    /// The image must (true) or must not (false) have Rock Ridge.
    pub rock_ridge: bool,
    /// How the writer stores device numbers in `PN` (see [`PnEncoding`]).
    pub pn_encoding: PnEncoding,
}

/// The El Torito boot entry an image must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootExpectation {
    /// Rock Ridge path of the boot image, e.g. `boot/grub/stage2_eltorito`.
    /// It must be a regular file in [`IsoExpectation::tree`] (when given);
    /// the image must hold it with a boot info table patched in.
    pub image_path: String,
    /// Initial entry sector count (512-byte sectors): 4 for GRUB Legacy.
    pub load_size: u16,
    /// Where the boot catalog is visible in the tree (e.g.
    /// `boot/boot.catalog`), or `None` when it must be hidden.
    pub catalog_path: Option<String>,
}

impl BootExpectation {
    /// GRUB Legacy's El Torito stage2 at `boot/grub/stage2_eltorito`, load
    /// size 4, with the catalog visible at `catalog_path` (or hidden).
    pub fn grub_legacy(catalog_path: Option<&str>) -> BootExpectation {
        BootExpectation {
            image_path: "boot/grub/stage2_eltorito".into(),
            load_size: 4,
            catalog_path: catalog_path.map(str::to_string),
        }
    }
}

/// One of the validators [`validate_iso`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Validator {
    /// `xorriso` (libisofs) loading the image.
    Xorriso,
    /// `tests/oracle/pycdlib_check.py`: pycdlib's strict parser.
    Pycdlib,
    /// `isoinfo -d` and `isoinfo -l` (genisoimage).
    Isoinfo,
    /// `isovfy` (genisoimage).
    Isovfy,
    /// `bsdtar -tvf` and `bsdtar -xf` (libarchive).
    Bsdtar,
    /// `7z t` (p7zip).
    SevenZip,
    /// The hadris-iso reader, in process.
    HadrisIso,
    /// The harness's own El Torito and boot info table reading.
    ElTorito,
}

impl Validator {
    /// Every validator, in report order.
    pub const ALL: [Validator; 8] = [
        Validator::Xorriso,
        Validator::Pycdlib,
        Validator::Isoinfo,
        Validator::Isovfy,
        Validator::Bsdtar,
        Validator::SevenZip,
        Validator::HadrisIso,
        Validator::ElTorito,
    ];

    /// Short name used in reports and errors.
    pub fn name(self) -> &'static str {
        match self {
            Validator::Xorriso => "xorriso",
            Validator::Pycdlib => "pycdlib",
            Validator::Isoinfo => "isoinfo",
            Validator::Isovfy => "isovfy",
            Validator::Bsdtar => "bsdtar",
            Validator::SevenZip => "7z",
            Validator::HadrisIso => "hadris-iso",
            Validator::ElTorito => "eltorito",
        }
    }
}

impl fmt::Display for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One validator's result.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Which validator.
    pub validator: Validator,
    /// No problems.
    pub passed: bool,
    /// What is wrong, one item per finding.
    pub problems: Vec<String>,
    /// What was checked, and any reader quirk that was tolerated.
    pub notes: Vec<String>,
    /// The commands run with their exit status and captured output
    /// (for hadris-iso and eltorito: what they read).
    pub output: String,
    /// Wall time of this validator.
    pub elapsed: Duration,
}

impl Verdict {
    fn new(validator: Validator) -> Verdict {
        Verdict {
            validator,
            passed: false,
            problems: Vec::new(),
            notes: Vec::new(),
            output: String::new(),
            elapsed: Duration::ZERO,
        }
    }

    fn problem(&mut self, p: impl Into<String>) {
        self.problems.push(p.into());
    }

    fn note(&mut self, n: impl Into<String>) {
        self.notes.push(n.into());
    }

    fn finish(mut self, start: Instant) -> Verdict {
        self.passed = self.problems.is_empty();
        self.elapsed = start.elapsed();
        self
    }

    /// The verdict as text: status, problems, notes and (on failure) the
    /// last `tail_lines` lines of the output.
    pub fn describe(&self, tail_lines: usize) -> String {
        let mut s = format!(
            "=== {}: {} ({} ms)\n",
            self.validator,
            if self.passed { "ok" } else { "FAILED" },
            self.elapsed.as_millis()
        );
        for p in &self.problems {
            s.push_str("  problem: ");
            s.push_str(&p.replace('\n', "\n    "));
            s.push('\n');
        }
        for n in &self.notes {
            s.push_str("  note: ");
            s.push_str(n);
            s.push('\n');
        }
        if !self.passed && tail_lines > 0 {
            s.push_str(&format!("  --- output (last {tail_lines} lines)\n"));
            s.push_str(&tail(&self.output, tail_lines));
            if !s.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }
}

/// Every validator's verdict on one image.
#[derive(Debug, Clone)]
pub struct ValidationReport {
    /// The image.
    pub iso: PathBuf,
    /// One verdict per validator, in [`Validator::ALL`] order.
    pub verdicts: Vec<Verdict>,
    /// Wall time of the whole validation.
    pub elapsed: Duration,
}

impl ValidationReport {
    /// The verdict of `v`.
    pub fn verdict(&self, v: Validator) -> Option<&Verdict> {
        self.verdicts.iter().find(|x| x.validator == v)
    }

    /// The validators that reported problems.
    pub fn failed(&self) -> Vec<Validator> {
        self.verdicts
            .iter()
            .filter(|v| !v.passed)
            .map(|v| v.validator)
            .collect()
    }

    /// All verdicts passed.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed)
    }

    /// The error [`validate_iso`] returns: every failed validator with its
    /// problems and the tail of its output.
    fn error_text(&self) -> String {
        let failed = self.failed();
        let mut s = format!(
            "ISO validation of {} failed: {} of {} validators reported problems ({})\n",
            self.iso.display(),
            failed.len(),
            self.verdicts.len(),
            failed
                .iter()
                .map(|v| v.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for v in self.verdicts.iter().filter(|v| !v.passed) {
            s.push_str(&v.describe(30));
        }
        s
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "ISO validation of {} ({} ms): {}",
            self.iso.display(),
            self.elapsed.as_millis(),
            if self.passed() {
                "all passed"
            } else {
                "FAILED"
            }
        )?;
        for v in &self.verdicts {
            f.write_str(&v.describe(30))?;
        }
        Ok(())
    }
}

/// Run every validator on `iso` and compare with `expect`: `Ok` with the
/// report when all pass, otherwise an error naming each failed validator
/// with its problems and output tail. Never panics on bad images.
pub fn validate_iso(iso: &Path, expect: &IsoExpectation) -> Result<ValidationReport, String> {
    let report = run_validators(iso, expect);
    if report.passed() {
        Ok(report)
    } else {
        Err(report.error_text())
    }
}

/// Like [`validate_iso`], but always returns the report (failed verdicts
/// included), for tests that expect particular validators to fail.
pub fn run_validators(iso: &Path, expect: &IsoExpectation) -> ValidationReport {
    run_validators_with(iso, expect, TOOL_TIMEOUT)
}

/// [`run_validators`] with another time limit per external command.
pub fn run_validators_with(
    iso: &Path,
    expect: &IsoExpectation,
    timeout: Duration,
) -> ValidationReport {
    let start = Instant::now();
    let verdicts = match Ctx::new(iso, expect, timeout) {
        Ok(ctx) => ctx.run_all(),
        Err(e) => Validator::ALL
            .iter()
            .map(|&v| {
                let mut x = Verdict::new(v);
                x.problem(format!("harness setup: {e}"));
                x.finish(start)
            })
            .collect(),
    };
    ValidationReport {
        iso: iso.to_path_buf(),
        verdicts,
        elapsed: start.elapsed(),
    }
}

/// The manifest (the [`crate::manifest`] format) an ISO's Rock Ridge tree
/// built from `tree` must show, with the `NLINK` column as `*` (an ISO
/// records no link count a writer must reproduce). Device numbers are
/// `(major, minor)` as in the tree.
pub fn iso_manifest(tree: &fstree::Tree) -> Result<String, String> {
    Ok(listing::render(
        &Listing::from_tree(tree)?,
        &listing::Columns::ALL,
    ))
}

/// Compare two manifests in the [`crate::manifest`] format on what an ISO
/// can show (every column but `NLINK`); empty when they agree, otherwise
/// [`crate::manifest_diff`]'s account of the differing lines.
pub fn iso_manifest_diff(expected: &str, actual: &str) -> Result<String, String> {
    let parse = |text: &str| -> Result<Listing, String> {
        let mut l = Listing::default();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let (p, e) = listing::parse_manifest_line(line)
                .ok_or_else(|| format!("not a manifest line: {line:?}"))?;
            l.insert(p, e);
        }
        Ok(l)
    };
    let (e, a) = (parse(expected)?, parse(actual)?);
    Ok(listing::compare(&e, &a, &listing::Columns::ALL).join("\n"))
}

/// Everything the validators share.
pub(crate) struct Ctx<'a> {
    pub iso: PathBuf,
    pub expect: &'a IsoExpectation,
    /// The expected Rock Ridge listing (device numbers as (major, minor)),
    /// with the boot image's patched hash.
    pub expected: Option<Listing>,
    /// What the Joliet tree must hold.
    pub joliet: Option<JolietExpect>,
    /// Without Rock Ridge: (size, sha256) of the non-empty files.
    pub content: Vec<(u64, String)>,
    /// The harness's reading of the El Torito structures.
    pub boot: Result<Option<eltorito::BootFacts>, String>,
    /// The boot image's source bytes, when the tree has them.
    pub boot_source: Option<Vec<u8>>,
    /// Size of the image file.
    pub iso_len: u64,
    pub work: tempfile::TempDir,
    pub timeout: Duration,
}

impl<'a> Ctx<'a> {
    fn new(iso: &Path, expect: &'a IsoExpectation, timeout: Duration) -> Result<Ctx<'a>, String> {
        let meta = std::fs::metadata(iso).map_err(|e| format!("{}: {e}", iso.display()))?;
        let iso = std::fs::canonicalize(iso).map_err(|e| format!("{}: {e}", iso.display()))?;
        let work = tempfile::Builder::new()
            .prefix("mvi-isoval-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let boot = eltorito::read_boot(&iso);
        let mut expected = None;
        let mut joliet = None;
        let mut content = Vec::new();
        let mut boot_source = None;
        if let Some(tree) = &expect.tree {
            let mut l = Listing::from_tree(tree)?;
            if let Some(b) = &expect.boot {
                let src = read_tree_file(tree, &b.image_path)?;
                if let Ok(Some(facts)) = &boot {
                    let key = fstree::escape_bytes(b.image_path.trim_start_matches('/').as_bytes());
                    if let Some(e) = l.entries.get_mut(&key) {
                        e.sha256 = Some(sha256_hex(&eltorito::patched_image(
                            &src,
                            facts.bit_pvd,
                            facts.rba,
                        )));
                    }
                }
                boot_source = Some(src);
            }
            if expect.joliet {
                joliet = Some(JolietExpect::from_tree(tree, &l));
            }
            content = listing::content_multiset(&l);
            if let (Some(b), Ok(Some(facts))) = (&expect.boot, &boot) {
                if b.catalog_path.is_some() {
                    content.push((2048, sha256_hex(&facts.catalog)));
                    content.sort();
                }
            }
            expected = Some(l);
        }
        Ok(Ctx {
            iso,
            expect,
            expected,
            joliet,
            content,
            boot,
            boot_source,
            iso_len: meta.len(),
            work,
            timeout,
        })
    }

    /// Run the validators, the external ones in parallel threads.
    fn run_all(&self) -> Vec<Verdict> {
        type Check = fn(&Ctx) -> Verdict;
        let checks: [(Validator, Check); 8] = [
            (Validator::Xorriso, tools::xorriso),
            (Validator::Pycdlib, tools::pycdlib),
            (Validator::Isoinfo, tools::isoinfo),
            (Validator::Isovfy, tools::isovfy),
            (Validator::Bsdtar, tools::bsdtar),
            (Validator::SevenZip, tools::seven_zip),
            (Validator::HadrisIso, hadris::hadris),
            (Validator::ElTorito, tools::eltorito),
        ];
        std::thread::scope(|s| {
            let handles: Vec<_> = checks
                .iter()
                .map(|&(v, f)| (v, s.spawn(move || f(self))))
                .collect();
            handles
                .into_iter()
                .map(|(v, h)| {
                    h.join().unwrap_or_else(|p| {
                        let mut x = Verdict::new(v);
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        x.problem(format!("the validator panicked: {msg}"));
                        x.finish(Instant::now())
                    })
                })
                .collect()
        })
    }

    /// The boot catalog path visible in the tree, if any.
    pub fn catalog_path(&self) -> Option<&str> {
        self.expect
            .boot
            .as_ref()
            .and_then(|b| b.catalog_path.as_deref())
    }
}

/// The bytes of the regular file at `path` in `tree` (at most 64 MiB).
fn read_tree_file(tree: &fstree::Tree, path: &str) -> Result<Vec<u8>, String> {
    let id = tree
        .lookup(path.as_bytes())
        .ok_or_else(|| format!("boot image {path} is not in the expected tree"))?;
    match &tree.node(id).kind {
        fstree::Kind::File { size, data } => {
            if *size > 64 << 20 {
                return Err(format!("boot image {path}: {size} bytes is too large"));
            }
            let bytes = match data {
                fstree::Data::Bytes(b) => b.to_vec(),
                fstree::Data::Zeros => vec![0; *size as usize],
                fstree::Data::Path(p) => {
                    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?
                }
            };
            if bytes.len() as u64 != *size {
                return Err(format!(
                    "boot image {path}: {} bytes, the tree records {size}",
                    bytes.len()
                ));
            }
            Ok(bytes)
        }
        _ => Err(format!(
            "boot image {path} is not a regular file in the expected tree"
        )),
    }
}

/// (extent, data length) of the root directory record in the PVD at
/// sector 16 (the harness's own reading, to check isovfy walked it).
pub(crate) fn read_pvd_root(iso: &Path) -> Result<(u32, u32), String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(iso).map_err(|e| format!("{}: {e}", iso.display()))?;
    let mut pvd = [0u8; 2048];
    f.seek(SeekFrom::Start(16 * 2048))
        .and_then(|_| f.read_exact(&mut pvd))
        .map_err(|e| format!("reading the PVD: {e}"))?;
    if &pvd[..6] != b"\x01CD001" {
        return Err("sector 16 holds no primary volume descriptor".into());
    }
    let le = |o: usize| u32::from_le_bytes([pvd[o], pvd[o + 1], pvd[o + 2], pvd[o + 3]]);
    Ok((le(156 + 2), le(156 + 10)))
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    crate::manifest::hex(&Sha256::digest(data))
}

/// The last `n` lines of `s`.
pub(crate) fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let start = lines.len().saturating_sub(n);
    let mut out = lines[start..].join("\n");
    if start > 0 {
        out = format!("[... {start} earlier lines]\n{out}");
    }
    out
}

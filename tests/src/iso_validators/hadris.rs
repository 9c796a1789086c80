//! hadris-iso 3.0.0-rc.2 as an in-process reader: it mounts each tree the
//! image has (Rock Ridge, Joliet, primary) through the `hadris_fs`
//! `FileSystem` trait, reads every file, and reads the El Torito catalog.

use super::listing::{
    compare, content_multiset, multiset_diff, nonempty_sizes, take_catalog, Columns, IsoEntry,
    Listing, PnReader,
};
use super::{Ctx, Validator, Verdict};
use hadris_fs::sync::FileSystem;
use hadris_fs::{DirCursor, FileType, MountOptions, NodeId, OpenMode};
use hadris_iso::sync::IsoFs;
use hadris_iso::{Emulation, IsoId, Namespace, Platform};
use hadris_storage::host::FileDevice;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

/// At most this many entries are read from one image (a loop in a corrupt
/// image must not hang the harness).
const MAX_ENTRIES: usize = 2_000_000;

fn mount(iso: &Path, ns: Namespace) -> Result<IsoFs<FileDevice>, String> {
    let dev = FileDevice::open(iso).map_err(|e| format!("{}: {e}", iso.display()))?;
    IsoFs::mount_namespace(dev, MountOptions::new(), ns)
        .map_err(|e| format!("mounting the {ns:?} tree: {e}"))
}

fn kind_of(t: FileType) -> char {
    match t {
        FileType::File => 'f',
        FileType::Dir => 'd',
        FileType::Symlink => 'l',
        FileType::CharDevice => 'c',
        FileType::BlockDevice => 'b',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
        _ => '?',
    }
}

/// Walk a mounted tree: every entry's metadata, file contents hashed.
fn walk(fs: &mut IsoFs<FileDevice>, joliet: bool) -> Result<Listing, String> {
    let mut l = Listing::default();
    let mut seen_dirs: HashSet<NodeId> = HashSet::new();
    let root = fs.root();
    seen_dirs.insert(root);
    let mut stack: Vec<(NodeId, Vec<u8>)> = vec![(root, Vec::new())];
    let mut buf = vec![0u8; 1 << 20];
    let mut count = 0usize;
    while let Some((dir, prefix)) = stack.pop() {
        let mut cursor = DirCursor::START;
        loop {
            let entry = fs
                .readdir(dir, cursor)
                .map_err(|e| format!("readdir {}: {e}", fstree::escape_bytes(&prefix)))?;
            let Some(entry) = entry else { break };
            cursor = entry.next_cursor();
            let name = entry.name().as_bytes().to_vec();
            if name == b"." || name == b".." {
                continue;
            }
            count += 1;
            if count > MAX_ENTRIES {
                return Err(format!(
                    "more than {MAX_ENTRIES} entries: a directory loop?"
                ));
            }
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            let mut shown = name.clone();
            if joliet && entry.file_type() != FileType::Dir {
                if let Some(s) = shown.strip_suffix(b";1") {
                    shown = s.to_vec();
                }
            }
            path.extend_from_slice(&shown);
            let key = fstree::escape_bytes(&path);
            let node = entry.node();
            let meta = fs.stat(node).map_err(|e| format!("stat {key}: {e}"))?;
            let kind = kind_of(meta.file_type());
            let mut e = IsoEntry {
                kind,
                perm: Some((meta.permissions().bits() & 0o7777) as u16),
                uid: meta.owner().map(|o| o.uid()),
                gid: meta.owner().map(|o| o.gid()),
                ..Default::default()
            };
            match kind {
                'd' => {
                    if !seen_dirs.insert(node) {
                        return Err(format!("{key}: directory visited twice (a loop)"));
                    }
                    stack.push((node, path.clone()));
                }
                'f' => {
                    let (sha, n) =
                        read_file(fs, node, &mut buf).map_err(|e| format!("{key}: {e}"))?;
                    if n != meta.len() {
                        return Err(format!(
                            "{key}: read {n} bytes, metadata says {}",
                            meta.len()
                        ));
                    }
                    e.size = Some(n);
                    e.sha256 = Some(sha);
                }
                'l' => {
                    let mut tbuf = vec![0u8; 64 * 1024];
                    let t = fs
                        .readlink(node, &mut tbuf)
                        .map_err(|e| format!("readlink {key}: {e}"))?;
                    e.size = Some(t.len() as u64);
                    e.target = Some(fstree::escape_bytes(t));
                }
                'c' | 'b' => {
                    e.dev = meta.device().map(|d| (d.major(), d.minor()));
                }
                _ => {}
            }
            l.insert(key, e);
        }
    }
    Ok(l)
}

fn read_file(
    fs: &mut IsoFs<FileDevice>,
    node: NodeId,
    buf: &mut [u8],
) -> Result<(String, u64), String> {
    fs.open(node, OpenMode::Read)
        .map_err(|e| format!("open: {e}"))?;
    let mut h = Sha256::new();
    let mut off = 0u64;
    let res = loop {
        match fs.read(node, off, buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                h.update(&buf[..n]);
                off += n as u64;
            }
            Err(e) => break Err(format!("read at {off}: {e}")),
        }
    };
    let _ = fs.close(node);
    res?;
    Ok((crate::manifest::hex(&h.finalize()), off))
}

/// The hadris-iso validator.
pub(crate) fn hadris(ctx: &Ctx) -> Verdict {
    let start = Instant::now();
    let mut v = Verdict::new(Validator::HadrisIso);
    v.note("hadris-iso 3.0.0-rc.2");
    if let Err(e) = check(ctx, &mut v) {
        v.problem(e);
    }
    v.finish(start)
}

fn check(ctx: &Ctx, v: &mut Verdict) -> Result<(), String> {
    let mut fs = mount(&ctx.iso, Namespace::Preferred)?;
    let ns = fs.namespaces();
    let _ = writeln!(v.output, "namespaces: {:?}", ns.iter().collect::<Vec<_>>());
    let has_rr = ns.contains(Namespace::RockRidge);
    let has_j = ns.contains(Namespace::Joliet);
    if has_rr != ctx.expect.rock_ridge {
        v.problem(format!(
            "Rock Ridge present: {has_rr}, expected {}",
            ctx.expect.rock_ridge
        ));
    }
    if has_j != ctx.expect.joliet {
        v.problem(format!(
            "Joliet present: {has_j}, expected {}",
            ctx.expect.joliet
        ));
    }
    let vol = fs.info().id(IsoId::Volume).to_vec();
    let vol = String::from_utf8_lossy(&vol)
        .trim_end_matches(' ')
        .to_string();
    let _ = writeln!(v.output, "volume id: {vol:?}");
    if let Some(want) = &ctx.expect.volume_id {
        if &vol != want {
            v.problem(format!("volume id {vol:?}, expected {want:?}"));
        }
    }
    boot(ctx, &mut fs, v)?;
    drop(fs);

    let mut rr = None;
    if has_rr {
        let mut fs = mount(&ctx.iso, Namespace::RockRidge)?;
        let mut l = walk(&mut fs, false).map_err(|e| format!("Rock Ridge tree: {e}"))?;
        let _ = writeln!(v.output, "Rock Ridge tree: {} entries", l.entries.len());
        rr = Some(nonempty_sizes(&l));
        if let Some(exp) = ctx.expected_view_raw() {
            ctx.prepare_rr(&mut l, v);
            v.problems.extend(compare(&exp, &l, &Columns::ALL));
            v.note(format!(
                "Rock Ridge tree of {} paths compared on {}",
                l.entries.len(),
                Columns::ALL.describe()
            ));
        }
    }
    {
        let mut fs = mount(&ctx.iso, Namespace::Primary)?;
        let mut l = walk(&mut fs, false).map_err(|e| format!("primary tree: {e}"))?;
        let _ = writeln!(v.output, "primary tree: {} entries", l.entries.len());
        if let Some(rr_sizes) = &rr {
            v.problems.extend(multiset_diff(
                "non-empty files in the primary tree vs the Rock Ridge tree (sizes)",
                rr_sizes,
                &nonempty_sizes(&l),
            ));
        } else if ctx.expected.is_some() {
            l.duplicates.clear();
            v.problems.extend(multiset_diff(
                "non-empty files of the primary tree (size, sha256)",
                &ctx.content,
                &content_multiset(&l),
            ));
        }
    }
    if has_j {
        let mut fs = mount(&ctx.iso, Namespace::Joliet)?;
        let mut l = walk(&mut fs, true).map_err(|e| format!("Joliet tree: {e}"))?;
        let _ = writeln!(v.output, "Joliet tree: {} entries", l.entries.len());
        if let Some(j) = &ctx.joliet {
            take_catalog(&mut l, ctx.catalog_path(), &mut v.problems);
            let (problems, notes) = j.compare(&l);
            v.problems.extend(problems);
            v.notes.extend(notes);
            v.note(format!("Joliet tree of {} paths compared", l.entries.len()));
        }
    }
    Ok(())
}

fn boot(ctx: &Ctx, fs: &mut IsoFs<FileDevice>, v: &mut Verdict) -> Result<(), String> {
    let mut buf = vec![0u8; 64 * 1024];
    let cat = fs
        .boot_catalog(&mut buf)
        .map_err(|e| format!("boot catalog: {e}"))?;
    let Some(b) = &ctx.expect.boot else {
        if cat.is_some() {
            v.problem("unexpected El Torito boot catalog");
        }
        return Ok(());
    };
    let Some(cat) = cat else {
        v.problem("no El Torito boot catalog");
        return Ok(());
    };
    let entries: Vec<_> = cat.entries().collect();
    let _ = writeln!(
        v.output,
        "boot catalog at block {}: {} entries",
        cat.block(),
        entries.len()
    );
    let Some(e) = entries.first() else {
        v.problem("the boot catalog has no entries");
        return Ok(());
    };
    let _ = writeln!(
        v.output,
        "default entry: {:?} {:?} bootable={} segment={:#x} count={} block={}",
        e.platform(),
        e.emulation(),
        e.is_bootable(),
        e.load_segment(),
        e.sector_count(),
        e.load_block()
    );
    if e.platform() != Platform::X86 {
        v.problem(format!(
            "boot platform {:?}, expected X86 (BIOS)",
            e.platform()
        ));
    }
    if !e.is_bootable() {
        v.problem("the default entry is not bootable");
    }
    if e.emulation() != Some(Emulation::NoEmulation) {
        v.problem(format!(
            "emulation {:?}, expected no emulation",
            e.emulation()
        ));
    }
    if e.load_segment() != 0 {
        v.problem(format!("load segment {:#x}, expected 0", e.load_segment()));
    }
    if e.sector_count() != b.load_size {
        v.problem(format!(
            "sector count {}, expected {}",
            e.sector_count(),
            b.load_size
        ));
    }
    if let Some(f) = ctx.boot.as_ref().ok().and_then(|x| x.as_ref()) {
        if e.load_block() != f.rba {
            v.problem(format!(
                "load block {}, harness read {}",
                e.load_block(),
                f.rba
            ));
        }
    }
    Ok(())
}

impl Ctx<'_> {
    fn expected_view_raw(&self) -> Option<Listing> {
        self.expected
            .as_ref()
            .map(|e| super::listing::with_device_view(e, self.expect.pn_encoding, PnReader::Raw))
    }
}

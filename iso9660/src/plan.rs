//! The pure layout planner: tree + options → every identifier, record,
//! LBA, path table entry, the boot catalog and the boot info table.
//!
//! Sector map (2048-byte logical blocks):
//! ```text
//! 0..16    system area (zero)
//! 16       primary volume descriptor
//! 17       El Torito boot record (when booting)
//! next     Joliet supplementary descriptor (with --joliet)
//! next     terminator
//! then     L and M path tables (primary), then Joliet's L and M
//! then     boot catalog (one sector)
//! then     primary directories in path-table order, then Rock Ridge
//!          continuation sectors, then Joliet directories
//! then     file data in sorted path order (hard links share an extent)
//! then     150 zero sectors of padding, inside the volume
//! ```

use crate::encode::{date7, SECTOR};
use crate::names::{
    cmp_ident, joliet_ident, path_table_slots, primary_ident, unique_joliet, unique_primary,
    NameMode,
};
use crate::susp::{nm_entries, sl_entries, Entry, CE_LEN};
use crate::WriteError;
use fstree::{escape_bytes, Data, Kind, NodeId, Tree, ROOT};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Largest extent of one directory record, bytes (multiple of 2048 below 4 GiB).
pub const MAX_EXTENT: u64 = 0xFFFF_F800;
/// Deepest directory level of a conformant hierarchy, root = 1 (§6.8.2.1).
pub const MAX_DEPTH: u32 = 8;
/// Name of the Rock Ridge relocation directory.
pub const RR_MOVED: &[u8] = b"rr_moved";
/// Zero sectors at the end of the volume (300 KiB, as mkisofs and xorriso
/// pad by default). GRUB legacy's BIOS reads fetch whole tracks and fail
/// with "Error 25: Disk read error" on a volume that ends right after its
/// last file.
pub const PAD_SECTORS: u32 = 150;

/// El Torito boot options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootOptions {
    /// Path of the boot image inside the tree (e.g. `boot/grub/stage2_eltorito`).
    pub image: Vec<u8>,
    /// The boot image's bytes, read by the caller (the input is never
    /// modified; the boot info table is patched into the copy on the image).
    pub image_data: Arc<[u8]>,
    /// Path of the boot catalog file the image gets (e.g. `.catalog`); its
    /// directory must exist in the tree and the name must not.
    pub catalog: Vec<u8>,
    /// Sectors (512 bytes) the BIOS loads, El Torito "sector count"; GRUB uses 4.
    pub load_size: u16,
    /// Patch a boot info table into bytes 8..64 of the image copy.
    pub info_table: bool,
}

/// Image options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Volume identifier (PVD bytes 40..72; at most 32 bytes of printable ASCII).
    pub volume_id: String,
    /// El Torito no-emulation boot entry, if any.
    pub boot: Option<BootOptions>,
    /// Add a Joliet tree.
    pub joliet: bool,
    /// Primary identifiers: strict (level 2) or relaxed (mkisofs -U style).
    pub names: NameMode,
    /// Interchange level: 2, or 3 to allow files over 4 GiB as multi-extent.
    pub level: u8,
    /// Build time `T` (seconds since the epoch): volume dates; record and TF
    /// times are clamped to it.
    pub time: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            volume_id: "illumos".into(),
            boot: None,
            joliet: false,
            names: NameMode::Strict,
            level: 3,
            time: fstree::DEFAULT_EPOCH,
        }
    }
}

/// What a directory record points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A directory of the same tree (index into its directory list).
    Dir(usize),
    /// File data (index into [`IsoLayout::files`]); `part` is the extent
    /// number of a multi-extent file.
    File {
        /// Index into `files`.
        file: usize,
        /// Which extent of the file this record covers.
        part: u32,
    },
    /// Nothing: an empty file, symlink, device, fifo or socket (extent 0, size 0).
    Empty,
    /// The boot catalog sector.
    Catalog,
    /// A Rock Ridge CL placeholder for the relocated directory (index).
    Relocated(usize),
}

/// One directory record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Identifier bytes: `[0]` for ".", `[1]` for "..", else the primary
    /// identifier or the Joliet name in UCS-2 BE.
    pub ident: Vec<u8>,
    /// File flags (§9.1.6): 0x02 directory, 0x80 not the final extent.
    pub flags: u8,
    /// What it points at.
    pub target: Target,
    /// Recording date (§9.1.5).
    pub date: [u8; 7],
    /// Extent LBA, filled in by layout.
    pub extent: u32,
    /// Data length, bytes, filled in by layout.
    pub size: u32,
    /// System-use entries inside the record.
    pub inline: Vec<Entry>,
    /// System-use entries in the continuation area.
    pub cont: Vec<Entry>,
    /// Continuation area (LBA, offset, length) when `cont` is not empty.
    pub ce: Option<(u32, u32, u32)>,
    /// Record length, bytes (even, ≤ 254).
    pub len: u8,
}

impl Record {
    /// A record before layout: extent, size, continuation area and length
    /// are filled in later.
    pub fn new(
        ident: Vec<u8>,
        flags: u8,
        target: Target,
        date: [u8; 7],
        inline: Vec<Entry>,
    ) -> Record {
        Record {
            ident,
            flags,
            target,
            date,
            extent: 0,
            size: 0,
            inline,
            cont: vec![],
            ce: None,
            len: 0,
        }
    }
}

/// One directory of a tree (primary or Joliet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dir {
    /// The tree node, or `None` for `rr_moved`.
    pub node: Option<NodeId>,
    /// Parent directory index (the root's is itself).
    pub parent: usize,
    /// Identifier (empty for the root).
    pub ident: Vec<u8>,
    /// Level, root = 1.
    pub depth: u32,
    /// Records in order: ".", "..", then §9.3 order.
    pub records: Vec<Record>,
    /// Extent LBA.
    pub lba: u32,
    /// Data length, bytes (a multiple of 2048).
    pub size: u32,
    /// For a relocated directory: the index of its real parent.
    pub real_parent: Option<usize>,
}

/// A file's data on the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileData {
    /// The tree node holding the bytes.
    pub node: NodeId,
    /// First LBA.
    pub lba: u32,
    /// Length, bytes.
    pub size: u64,
}

/// The El Torito part of a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootLayout {
    /// LBA of the boot catalog.
    pub catalog_lba: u32,
    /// Index of the boot image in [`IsoLayout::files`].
    pub file: usize,
    /// LBA of the boot image.
    pub image_lba: u32,
    /// Boot image length, bytes.
    pub image_len: u32,
    /// Boot info table checksum: wrapping sum of the LE u32 words of the
    /// image from byte 64, the trailing partial word zero-padded.
    pub checksum: u32,
    /// The options it was made with.
    pub options: BootOptions,
}

/// A name changed to resolve a collision after mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// Path of the entry inside the tree.
    pub path: String,
    /// The identifier it got, as text (Joliet names decoded).
    pub ident: String,
    /// Which tree: "primary" or "joliet".
    pub tree: &'static str,
}

/// The complete plan of an image.
#[derive(Debug, Clone)]
pub struct IsoLayout {
    /// The options.
    pub options: Options,
    /// Primary directories in path-table order (index 0 is the root).
    pub dirs: Vec<Dir>,
    /// Joliet directories in path-table order (empty without Joliet).
    pub jdirs: Vec<Dir>,
    /// File extents in data order.
    pub files: Vec<FileData>,
    /// Sector of the Joliet SVD, if any.
    pub svd_lba: Option<u32>,
    /// Sector of the terminator.
    pub terminator_lba: u32,
    /// Primary path tables: (L LBA, M LBA, size in bytes).
    pub path_table: (u32, u32, u32),
    /// Joliet path tables: (L LBA, M LBA, size in bytes).
    pub jpath_table: (u32, u32, u32),
    /// First Rock Ridge continuation sector and how many there are.
    pub ce_sectors: (u32, u32),
    /// El Torito layout.
    pub boot: Option<BootLayout>,
    /// Total sectors (volume space size).
    pub total_sectors: u32,
    /// Names changed to resolve collisions.
    pub renamed: Vec<Rename>,
}

/// POSIX type bits of a node kind.
fn type_bits(kind: &Kind) -> u32 {
    match kind {
        Kind::Dir(_) => 0o040000,
        Kind::File { .. } => 0o100000,
        Kind::Symlink(_) => 0o120000,
        Kind::CharDev { .. } => 0o020000,
        Kind::BlockDev { .. } => 0o060000,
        Kind::Fifo => 0o010000,
        Kind::Socket => 0o140000,
    }
}

/// The boot info table checksum of `image` (El Torito as mkisofs/libisofs
/// define it): wrapping sum of little-endian u32 words from byte 64, the
/// trailing partial word zero-padded.
pub fn boot_info_checksum(image: &[u8]) -> u32 {
    let mut sum = 0u32;
    for w in image.get(64..).unwrap_or(&[]).chunks(4) {
        let mut b = [0u8; 4];
        b[..w.len()].copy_from_slice(w);
        sum = sum.wrapping_add(u32::from_le_bytes(b));
    }
    sum
}

/// An entry to place in a directory, before sorting.
struct Child {
    ident: Vec<u8>,
    real: Vec<u8>,
    target: Target,
    node: Option<NodeId>,
}

fn join(parent: &str, name: &[u8]) -> String {
    if parent == "/" {
        format!("/{}", escape_bytes(name))
    } else {
        format!("{parent}/{}", escape_bytes(name))
    }
}

/// Plan the image of `tree` with `opts`: a pure function (no I/O).
pub fn plan(tree: &Tree, opts: &Options) -> Result<IsoLayout, WriteError> {
    if opts.volume_id.len() > 32 || !opts.volume_id.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(WriteError::VolumeId {
            id: opts.volume_id.clone(),
            why: "at most 32 printable ASCII characters".into(),
        });
    }
    if !(2..=3).contains(&opts.level) {
        return Err(WriteError::Param {
            name: "level",
            value: opts.level.to_string(),
            limit: "2 or 3".into(),
        });
    }
    let links = tree.link_counts();
    let order = tree.preorder();
    let time = opts.time;

    // Boot image and catalog.
    let mut boot_node = None;
    let mut catalog_parent = None;
    let mut catalog_name: Vec<u8> = Vec::new();
    if let Some(b) = &opts.boot {
        let shown = format!("/{}", escape_bytes(&b.image));
        let node = tree
            .lookup(&b.image)
            .ok_or_else(|| WriteError::BootImageMissing {
                path: shown.clone(),
            })?;
        let Kind::File { size, .. } = &tree.node(node).kind else {
            return Err(WriteError::BootImageMissing { path: shown });
        };
        if b.image_data.len() as u64 != *size {
            return Err(WriteError::BootImageMismatch {
                path: shown,
                given: b.image_data.len() as u64,
                expected: *size,
            });
        }
        if *size < 64 && b.info_table {
            return Err(WriteError::BootImageTooSmall {
                path: shown,
                len: *size,
            });
        }
        if *size == 0 {
            return Err(WriteError::BootImageTooSmall {
                path: shown,
                len: 0,
            });
        }
        if *size > u64::from(u32::MAX) {
            return Err(WriteError::BootImageTooLarge {
                path: shown,
                len: *size,
            });
        }
        if b.load_size == 0
            || u64::from(b.load_size) * 512 > size.div_ceil(SECTOR as u64) * SECTOR as u64
        {
            return Err(WriteError::LoadSize {
                path: shown,
                sectors: b.load_size,
                len: *size,
            });
        }
        boot_node = Some(node);
        let cshown = format!("/{}", escape_bytes(&b.catalog));
        let comps: Vec<&[u8]> = b
            .catalog
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let Some((name, dirs)) = comps.split_last() else {
            return Err(WriteError::Catalog {
                path: cshown,
                why: "empty path".into(),
            });
        };
        let dir_path: Vec<u8> = dirs.join(&b'/');
        let parent = tree
            .lookup(&dir_path)
            .filter(|&p| matches!(tree.node(p).kind, Kind::Dir(_)));
        let Some(parent) = parent else {
            return Err(WriteError::Catalog {
                path: cshown,
                why: "its directory is not in the tree".into(),
            });
        };
        if tree.entries(parent).iter().any(|e| e.name == *name) {
            return Err(WriteError::Catalog {
                path: cshown,
                why: "a file of that name is already in the tree".into(),
            });
        }
        if name.len() > 255 || *name == b"." || *name == b".." {
            return Err(WriteError::Catalog {
                path: cshown,
                why: "not a valid file name".into(),
            });
        }
        catalog_parent = Some(parent);
        catalog_name = name.to_vec();
    }

    // File data, in sorted path order; hard links share one extent.
    let mut files: Vec<FileData> = Vec::new();
    let mut file_of: BTreeMap<NodeId, usize> = BTreeMap::new();
    let mut ndirs = 0usize;
    for &id in &order {
        match &tree.node(id).kind {
            Kind::File { size, .. } => {
                let limit = if opts.level >= 3 {
                    u64::from(u32::MAX) * 2048 * 64
                } else {
                    u64::from(u32::MAX)
                };
                if *size > limit {
                    return Err(WriteError::FileTooLarge {
                        path: tree.path_of(id),
                        size: *size,
                        level: opts.level,
                        limit,
                    });
                }
                if *size > 0 {
                    file_of.insert(id, files.len());
                    files.push(FileData {
                        node: id,
                        lba: 0,
                        size: *size,
                    });
                }
            }
            Kind::Dir(_) => ndirs += 1,
            _ => {}
        }
    }
    if ndirs + 1 > 65535 {
        return Err(WriteError::TooManyDirs { count: ndirs });
    }

    // Directories deeper than level 8 move to rr_moved (strict mode).
    let strict = opts.names == NameMode::Strict;
    let mut relocated: Vec<(NodeId, NodeId)> = Vec::new(); // (dir, real parent)
    let mut reloc_set: BTreeSet<NodeId> = BTreeSet::new();
    if strict {
        let mut stack: Vec<(NodeId, u32)> = vec![(ROOT, 1)];
        while let Some((id, depth)) = stack.pop() {
            for e in tree.entries(id).iter().rev() {
                if matches!(tree.node(e.node).kind, Kind::Dir(_)) {
                    let mut d = depth + 1;
                    if d > MAX_DEPTH {
                        relocated.push((e.node, id));
                        reloc_set.insert(e.node);
                        d = 3;
                    }
                    stack.push((e.node, d));
                }
            }
        }
        // Stack order visited the tree depth first; keep that order.
    }
    let need_rr_moved = !relocated.is_empty();
    if need_rr_moved && tree.entries(ROOT).iter().any(|e| e.name == RR_MOVED) {
        return Err(WriteError::Param {
            name: "tree",
            value: "/rr_moved".into(),
            limit:
                "the name is reserved for Rock Ridge relocation of directories deeper than 8 levels"
                    .into(),
        });
    }

    let mut renamed = Vec::new();
    let date_of = |id: NodeId| date7(tree.node(id).mtime.min(time));

    // Primary tree, breadth first (path-table order).
    let mut dirs: Vec<Dir> = vec![Dir {
        node: Some(ROOT),
        parent: 0,
        ident: Vec::new(),
        depth: 1,
        records: Vec::new(),
        lba: 0,
        size: 0,
        real_parent: None,
    }];
    let mut dir_index: BTreeMap<NodeId, usize> = BTreeMap::new();
    dir_index.insert(ROOT, 0);
    let mut paths: Vec<String> = vec!["/".into()];
    let mut real_parent_nodes: Vec<Option<NodeId>> = vec![None];
    let mut pending_cl: Vec<(usize, usize, NodeId)> = Vec::new(); // (dir idx, record idx, relocated node)
    let mut i = 0;
    while i < dirs.len() {
        let node = dirs[i].node;
        let mut children: Vec<Child> = Vec::new();
        let mut used = BTreeSet::new();
        let mut add = |real: &[u8],
                       as_dir: bool,
                       target: Target,
                       node: Option<NodeId>,
                       children: &mut Vec<Child>,
                       renamed: &mut Vec<Rename>,
                       path: &str| {
            let cand = primary_ident(real, as_dir, opts.names);
            let ident = unique_primary(cand.clone(), as_dir, opts.names, &mut used);
            if ident != cand {
                renamed.push(Rename {
                    path: join(path, real),
                    ident: String::from_utf8_lossy(&ident).into_owned(),
                    tree: "primary",
                });
            }
            children.push(Child {
                ident,
                real: real.to_vec(),
                target,
                node,
            });
        };
        let path = paths[i].clone();
        match node {
            Some(id) => {
                let mut items: Vec<(Vec<u8>, Option<NodeId>)> = tree
                    .entries(id)
                    .iter()
                    .map(|e| (e.name.clone(), Some(e.node)))
                    .collect();
                if catalog_parent == Some(id) {
                    items.push((catalog_name.clone(), None));
                }
                if id == ROOT && need_rr_moved {
                    items.push((RR_MOVED.to_vec(), None));
                }
                items.sort();
                for (name, child) in items {
                    match child {
                        None if catalog_parent == Some(id) && name == catalog_name => add(
                            &name,
                            false,
                            Target::Catalog,
                            None,
                            &mut children,
                            &mut renamed,
                            &path,
                        ),
                        None => add(
                            &name,
                            true,
                            Target::Dir(usize::MAX),
                            None,
                            &mut children,
                            &mut renamed,
                            &path,
                        ),
                        Some(c) => match &tree.node(c).kind {
                            // A relocated directory stays here as a CL file record
                            // with a directory-style identifier.
                            Kind::Dir(_) if reloc_set.contains(&c) => add(
                                &name,
                                true,
                                Target::Relocated(usize::MAX),
                                Some(c),
                                &mut children,
                                &mut renamed,
                                &path,
                            ),
                            Kind::Dir(_) => add(
                                &name,
                                true,
                                Target::Dir(usize::MAX),
                                Some(c),
                                &mut children,
                                &mut renamed,
                                &path,
                            ),
                            Kind::File { .. } => {
                                let t = match file_of.get(&c) {
                                    Some(&f) => Target::File { file: f, part: 0 },
                                    None => Target::Empty,
                                };
                                add(&name, false, t, Some(c), &mut children, &mut renamed, &path)
                            }
                            _ => add(
                                &name,
                                false,
                                Target::Empty,
                                Some(c),
                                &mut children,
                                &mut renamed,
                                &path,
                            ),
                        },
                    }
                }
            }
            None => {
                // rr_moved: the relocated directories, in depth-first order.
                for &(d, p) in &relocated {
                    let name = tree
                        .entries(p)
                        .iter()
                        .find(|e| e.node == d)
                        .map(|e| e.name.clone())
                        .unwrap_or_default();
                    add(
                        &name,
                        true,
                        Target::Dir(usize::MAX),
                        Some(d),
                        &mut children,
                        &mut renamed,
                        &path,
                    );
                }
            }
        }
        children.sort_by(|a, b| cmp_ident(&a.ident, &b.ident));
        // Records: ".", "..", children.
        let self_date = node.map_or(date7(time), date_of);
        let mut records = vec![
            Record::new(vec![0], 2, Target::Dir(i), self_date, vec![]),
            Record::new(
                vec![1],
                2,
                Target::Dir(dirs[i].parent),
                dirs[dirs[i].parent].node.map_or(date7(time), date_of),
                vec![],
            ),
        ];
        let in_rr_moved = node.is_none();
        // Subdirectories are numbered (appended to `dirs`) in path-table
        // order, which differs from the record order when a relaxed
        // identifier holds '.' or ';' (found by the iso_roundtrip fuzz target).
        let slots = path_table_slots(
            &children,
            |c| matches!(c.target, Target::Dir(_)),
            |c| c.ident.as_slice(),
            dirs.len(),
        );
        let mut subdirs: Vec<Option<(Dir, Option<NodeId>, String)>> = slots
            .iter()
            .filter(|&&s| s != usize::MAX)
            .map(|_| None)
            .collect();
        let base = dirs.len();
        for (k, ch) in children.into_iter().enumerate() {
            let date = ch.node.map_or(date7(time), date_of);
            let susp = child_entries(
                tree,
                &links,
                ch.node,
                &ch.real,
                date,
                ch.target,
                in_rr_moved,
                relocated.len(),
            );
            match ch.target {
                Target::Dir(_) => {
                    let idx = slots[k];
                    if let Some(n) = ch.node {
                        dir_index.insert(n, idx);
                    }
                    let real_parent = if in_rr_moved {
                        let n = ch.node.expect("relocated dirs are tree nodes");
                        relocated.iter().find(|r| r.0 == n).map(|r| r.1)
                    } else {
                        None
                    };
                    let dir = Dir {
                        node: ch.node,
                        parent: i,
                        ident: ch.ident.clone(),
                        depth: dirs[i].depth + 1,
                        records: Vec::new(),
                        lba: 0,
                        size: 0,
                        // Resolved to a directory index below, once all exist.
                        real_parent: None,
                    };
                    let dpath = match real_parent {
                        Some(p) => join(&tree.path_of(p), &ch.real),
                        None => join(&path, &ch.real),
                    };
                    subdirs[idx - base] = Some((dir, real_parent, dpath));
                    records.push(Record::new(ch.ident, 2, Target::Dir(idx), date, susp));
                }
                Target::File { file, .. } => {
                    let size = files[file].size;
                    let parts = size.div_ceil(MAX_EXTENT).max(1);
                    for part in 0..parts {
                        records.push(Record::new(
                            ch.ident.clone(),
                            if part + 1 < parts { 0x80 } else { 0 },
                            Target::File {
                                file,
                                part: part as u32,
                            },
                            date,
                            susp.clone(),
                        ));
                    }
                }
                Target::Relocated(_) => {
                    let n = ch.node.expect("relocated dirs are tree nodes");
                    pending_cl.push((i, records.len(), n));
                    records.push(Record::new(
                        ch.ident,
                        0,
                        Target::Relocated(usize::MAX),
                        date,
                        susp,
                    ));
                }
                t => records.push(Record::new(ch.ident, 0, t, date, susp)),
            }
        }
        for (dir, real_parent, dpath) in subdirs.into_iter().flatten() {
            dirs.push(dir);
            real_parent_nodes.push(real_parent);
            paths.push(dpath);
        }
        dirs[i].records = records;
        i += 1;
    }
    // Resolve relocation links now that every directory has an index.
    for (d, rp) in real_parent_nodes.iter().enumerate() {
        dirs[d].real_parent = rp.map(|n| dir_index[&n]);
    }
    for (di, ri, n) in pending_cl {
        dirs[di].records[ri].target = Target::Relocated(dir_index[&n]);
    }

    // Rock Ridge entries and record lengths.
    let px_of = |id: Option<NodeId>| -> Entry {
        match id {
            Some(id) => {
                let n = tree.node(id);
                Entry::Px {
                    mode: type_bits(&n.kind) | u32::from(n.perm),
                    nlink: links[id].max(1),
                    uid: n.uid,
                    gid: n.gid,
                }
            }
            None => Entry::Px {
                mode: 0o040555,
                nlink: 2,
                uid: 0,
                gid: 0,
            },
        }
    };
    let rr_moved_nlink = |dirs: &[Dir], d: usize| -> u32 {
        2 + dirs[d]
            .records
            .iter()
            .skip(2)
            .filter(|r| matches!(r.target, Target::Dir(_)))
            .count() as u32
    };
    for d in 0..dirs.len() {
        let node = dirs[d].node;
        let parent = dirs[d].parent;
        let real_parent = dirs[d].real_parent;
        for r in 0..2 {
            let tf = Entry::Tf {
                modify: dirs[d].records[r].date,
            };
            let mut entries: Vec<Entry> = Vec::new();
            if r == 0 {
                if d == 0 {
                    entries.push(Entry::Sp);
                }
                let mut px = px_of(node);
                if node.is_none() {
                    if let Entry::Px { nlink, .. } = &mut px {
                        *nlink = rr_moved_nlink(&dirs, d);
                    }
                }
                entries.push(px);
                entries.push(tf);
                if d == 0 {
                    entries.push(Entry::Er);
                }
            } else {
                // ".." describes the real parent (for a relocated directory,
                // the one it was moved from, linked with PL).
                let pdir = real_parent.unwrap_or(parent);
                let mut px = px_of(dirs[pdir].node);
                if dirs[pdir].node.is_none() {
                    if let Entry::Px { nlink, .. } = &mut px {
                        *nlink = rr_moved_nlink(&dirs, pdir);
                    }
                }
                entries.push(px);
                entries.push(tf);
                if real_parent.is_some() {
                    entries.push(Entry::Pl(0));
                }
            }
            dirs[d].records[r].inline = entries;
        }
    }
    for d in 0..dirs.len() {
        for r in 0..dirs[d].records.len() {
            // Errors name the entry itself (its NM name), not its directory.
            let name: Vec<u8> = dirs[d].records[r]
                .inline
                .iter()
                .filter_map(|e| match e {
                    Entry::Nm { name, .. } => Some(name.as_slice()),
                    _ => None,
                })
                .flatten()
                .copied()
                .collect();
            let path = if name.is_empty() {
                paths[d].clone()
            } else {
                join(&paths[d], &name)
            };
            place_susp(&mut dirs[d].records[r], &path)?;
        }
    }

    // Joliet tree.
    let mut jdirs: Vec<Dir> = Vec::new();
    if opts.joliet {
        jdirs.push(Dir {
            node: Some(ROOT),
            parent: 0,
            ident: Vec::new(),
            depth: 1,
            records: Vec::new(),
            lba: 0,
            size: 0,
            real_parent: None,
        });
        let mut jpaths = vec!["/".to_string()];
        let mut i = 0;
        while i < jdirs.len() {
            let id = jdirs[i].node.expect("joliet dirs are nodes");
            let mut used: BTreeSet<Vec<u16>> = BTreeSet::new();
            let mut items: Vec<(Vec<u8>, Option<NodeId>)> = tree
                .entries(id)
                .iter()
                .map(|e| (e.name.clone(), Some(e.node)))
                .collect();
            if catalog_parent == Some(id) {
                items.push((catalog_name.clone(), None));
            }
            items.sort();
            let mut kids: Vec<(Vec<u16>, Target, Option<NodeId>)> = Vec::new();
            for (name, child) in items {
                let (is_dir, target) = match child {
                    None => (false, Target::Catalog),
                    Some(c) => match &tree.node(c).kind {
                        Kind::Dir(_) => (true, Target::Dir(usize::MAX)),
                        Kind::File { .. } => (
                            false,
                            file_of
                                .get(&c)
                                .map_or(Target::Empty, |&f| Target::File { file: f, part: 0 }),
                        ),
                        _ => continue, // Joliet cannot carry symlinks, devices, fifos or sockets.
                    },
                };
                let cand = joliet_ident(&name, is_dir);
                let mut ident = unique_joliet(cand.clone(), is_dir, &mut used);
                if ident != cand {
                    renamed.push(Rename {
                        path: join(&jpaths[i], &name),
                        ident: String::from_utf16_lossy(&ident),
                        tree: "joliet",
                    });
                }
                if !is_dir {
                    ident.extend_from_slice(&[u16::from(b';'), u16::from(b'1')]);
                }
                kids.push((ident, target, child));
            }
            kids.sort_by(|a, b| cmp_ident(&a.0, &b.0));
            let self_date = date_of(id);
            let pdate = jdirs[jdirs[i].parent].node.map_or(date7(time), date_of);
            let parent = jdirs[i].parent;
            let mut records = vec![
                Record::new(vec![0], 2, Target::Dir(i), self_date, vec![]),
                Record::new(vec![1], 2, Target::Dir(parent), pdate, vec![]),
            ];
            // Subdirectories in path-table order, as in the primary tree.
            let slots = path_table_slots(
                &kids,
                |k| matches!(k.1, Target::Dir(_)),
                |k| k.0.as_slice(),
                jdirs.len(),
            );
            let jbase = jdirs.len();
            let mut subdirs: Vec<Option<(Dir, String)>> = slots
                .iter()
                .filter(|&&s| s != usize::MAX)
                .map(|_| None)
                .collect();
            for (k, (ident, target, child)) in kids.into_iter().enumerate() {
                let ident_bytes: Vec<u8> = ident.iter().flat_map(|u| u.to_be_bytes()).collect();
                let date = child.map_or(date7(time), date_of);
                match target {
                    Target::Dir(_) => {
                        let idx = slots[k];
                        let c = child.expect("dirs are nodes");
                        let name = tree
                            .entries(id)
                            .iter()
                            .find(|e| e.node == c)
                            .map(|e| e.name.clone())
                            .unwrap_or_default();
                        let dir = Dir {
                            node: Some(c),
                            parent: i,
                            ident: ident_bytes.clone(),
                            depth: jdirs[i].depth + 1,
                            records: Vec::new(),
                            lba: 0,
                            size: 0,
                            real_parent: None,
                        };
                        subdirs[idx - jbase] = Some((dir, join(&jpaths[i], &name)));
                        records.push(Record::new(ident_bytes, 2, Target::Dir(idx), date, vec![]));
                    }
                    Target::File { file, .. } => {
                        let parts = files[file].size.div_ceil(MAX_EXTENT).max(1);
                        for part in 0..parts {
                            records.push(Record::new(
                                ident_bytes.clone(),
                                if part + 1 < parts { 0x80 } else { 0 },
                                Target::File {
                                    file,
                                    part: part as u32,
                                },
                                date,
                                vec![],
                            ));
                        }
                    }
                    t => records.push(Record::new(ident_bytes, 0, t, date, vec![])),
                }
            }
            for (dir, dpath) in subdirs.into_iter().flatten() {
                jdirs.push(dir);
                jpaths.push(dpath);
            }
            for r in &mut records {
                r.len = record_len(r.ident.len(), 0);
            }
            jdirs[i].records = records;
            i += 1;
        }
        if jdirs.len() > 65535 {
            return Err(WriteError::TooManyDirs { count: jdirs.len() });
        }
    }

    // Directory sizes.
    for d in dirs.iter_mut().chain(jdirs.iter_mut()) {
        d.size = dir_bytes_len(&d.records);
    }

    // LBAs.
    let mut lba: u64 = 16;
    lba += 1; // PVD
    if opts.boot.is_some() {
        lba += 1;
    }
    let svd_lba = if opts.joliet {
        lba += 1;
        Some(lba as u32 - 1)
    } else {
        None
    };
    let terminator_lba = lba as u32;
    lba += 1;
    let pt_size = path_table_size(&dirs);
    let pt_sectors = u64::from(pt_size).div_ceil(SECTOR as u64);
    let path_table = (lba as u32, (lba + pt_sectors) as u32, pt_size);
    lba += 2 * pt_sectors;
    let mut jpath_table = (0, 0, 0);
    if opts.joliet {
        let s = path_table_size(&jdirs);
        let n = u64::from(s).div_ceil(SECTOR as u64);
        jpath_table = (lba as u32, (lba + n) as u32, s);
        lba += 2 * n;
    }
    let catalog_lba = if opts.boot.is_some() {
        lba += 1;
        Some(lba as u32 - 1)
    } else {
        None
    };
    for d in dirs.iter_mut() {
        d.lba = u32::try_from(lba).map_err(|_| WriteError::TooLarge { sectors: lba })?;
        lba += u64::from(d.size) / SECTOR as u64;
    }
    // Continuation areas, packed in record order, each inside one sector.
    let ce_start = lba;
    let mut off = 0usize;
    let mut cur = lba;
    let mut any_ce = false;
    for d in dirs.iter_mut() {
        for r in d.records.iter_mut() {
            if r.cont.is_empty() {
                continue;
            }
            let n: usize = r.cont.iter().map(|e| e.len()).sum();
            if off + n > SECTOR {
                cur += 1;
                off = 0;
            }
            r.ce = Some((cur as u32, off as u32, n as u32));
            off += n;
            any_ce = true;
        }
    }
    let ce_count = if any_ce { cur - ce_start + 1 } else { 0 };
    lba = ce_start + ce_count;
    for d in jdirs.iter_mut() {
        d.lba = u32::try_from(lba).map_err(|_| WriteError::TooLarge { sectors: lba })?;
        lba += u64::from(d.size) / SECTOR as u64;
    }
    for f in files.iter_mut() {
        f.lba = u32::try_from(lba).map_err(|_| WriteError::TooLarge { sectors: lba })?;
        lba += f.size.div_ceil(SECTOR as u64);
    }
    lba += u64::from(PAD_SECTORS);
    let total = u32::try_from(lba).map_err(|_| WriteError::TooLarge { sectors: lba })?;

    // Extents and sizes of every record; CL/PL addresses.
    let dir_loc: Vec<(u32, u32)> = dirs.iter().map(|d| (d.lba, d.size)).collect();
    let jdir_loc: Vec<(u32, u32)> = jdirs.iter().map(|d| (d.lba, d.size)).collect();
    for (tree_dirs, loc) in [(&mut dirs, &dir_loc), (&mut jdirs, &jdir_loc)] {
        let real_parents: Vec<Option<usize>> = tree_dirs.iter().map(|d| d.real_parent).collect();
        for (di, d) in tree_dirs.iter_mut().enumerate() {
            for (ri, r) in d.records.iter_mut().enumerate() {
                let (extent, size) = match r.target {
                    Target::Dir(c) => loc[c],
                    Target::File { file, part } => {
                        let f = &files[file];
                        let start = u64::from(part) * MAX_EXTENT;
                        let len = (f.size - start).min(MAX_EXTENT);
                        (f.lba + (start / SECTOR as u64) as u32, len as u32)
                    }
                    Target::Empty => (0, 0),
                    Target::Catalog => (catalog_lba.unwrap_or(0), SECTOR as u32),
                    Target::Relocated(c) => (loc[c].0, 0),
                };
                r.extent = extent;
                r.size = size;
                for e in r.inline.iter_mut().chain(r.cont.iter_mut()) {
                    match e {
                        Entry::Cl(x) => {
                            if let Target::Relocated(c) = r.target {
                                *x = loc[c].0;
                            }
                        }
                        Entry::Pl(x) if ri == 1 => {
                            if let Some(rp) = real_parents[di] {
                                *x = loc[rp].0;
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    let boot = match &opts.boot {
        Some(b) => {
            let node = boot_node.expect("checked above");
            let file = file_of[&node];
            Some(BootLayout {
                catalog_lba: catalog_lba.expect("boot has a catalog"),
                file,
                image_lba: files[file].lba,
                image_len: files[file].size as u32,
                checksum: boot_info_checksum(&b.image_data),
                options: b.clone(),
            })
        }
        None => None,
    };
    Ok(IsoLayout {
        options: opts.clone(),
        dirs,
        jdirs,
        files,
        svd_lba,
        terminator_lba,
        path_table,
        jpath_table,
        ce_sectors: (ce_start as u32, ce_count as u32),
        boot,
        total_sectors: total,
        renamed,
    })
}

/// Rock Ridge entries of a child record: PX, TF, NM, then PN or SL, then
/// CL (relocation placeholder) or RE (inside rr_moved).
#[allow(clippy::too_many_arguments)]
fn child_entries(
    tree: &Tree,
    links: &[u32],
    node: Option<NodeId>,
    real: &[u8],
    date: [u8; 7],
    target: Target,
    in_rr_moved: bool,
    nrelocated: usize,
) -> Vec<Entry> {
    let mut entries = Vec::new();
    match node {
        Some(n) => {
            let nd = tree.node(n);
            entries.push(Entry::Px {
                mode: type_bits(&nd.kind) | u32::from(nd.perm),
                nlink: links[n].max(1),
                uid: nd.uid,
                gid: nd.gid,
            });
        }
        None if target == Target::Catalog => entries.push(Entry::Px {
            mode: 0o100444,
            nlink: 1,
            uid: 0,
            gid: 0,
        }),
        None => entries.push(Entry::Px {
            mode: 0o040555,
            nlink: 2 + nrelocated as u32,
            uid: 0,
            gid: 0,
        }),
    }
    entries.push(Entry::Tf { modify: date });
    entries.extend(nm_entries(real));
    if let Some(n) = node {
        match &tree.node(n).kind {
            Kind::CharDev { major, minor } | Kind::BlockDev { major, minor } => {
                entries.push(Entry::Pn {
                    major: *major,
                    minor: *minor,
                })
            }
            Kind::Symlink(t) => entries.extend(sl_entries(t)),
            _ => {}
        }
    }
    if matches!(target, Target::Relocated(_)) {
        entries.push(Entry::Cl(0));
    }
    if in_rr_moved {
        entries.push(Entry::Re);
    }
    entries
}

/// Split a record's entries between the record and a continuation area and
/// set its length. The record keeps leading entries while they fit, leaving
/// room for a CE entry when something must move out.
fn place_susp(r: &mut Record, path: &str) -> Result<(), WriteError> {
    let base = 33 + r.ident.len() + usize::from(r.ident.len().is_multiple_of(2));
    let room = 254 - base;
    let total: usize = r.inline.iter().map(|e| e.len()).sum();
    if total <= room {
        r.len = (base + total).next_multiple_of(2) as u8;
        return Ok(());
    }
    let mut keep = 0;
    let mut used = 0;
    for e in &r.inline {
        if used + e.len() + CE_LEN > room {
            break;
        }
        used += e.len();
        keep += 1;
    }
    let cont: Vec<Entry> = r.inline.split_off(keep);
    let n: usize = cont.iter().map(|e| e.len()).sum();
    if n > SECTOR {
        return Err(WriteError::SuspTooLarge {
            path: path.to_string(),
            len: n,
        });
    }
    r.cont = cont;
    r.len = (base + used + CE_LEN).next_multiple_of(2) as u8;
    Ok(())
}

/// Length of a record with an identifier of `id_len` bytes and `susp` bytes
/// of system use (§9.1: 33 + identifier + pad to even + system use).
pub fn record_len(id_len: usize, susp: usize) -> u8 {
    (33 + id_len + usize::from(id_len.is_multiple_of(2)) + susp).next_multiple_of(2) as u8
}

/// Bytes of a directory with these records: records never cross a sector
/// and never end exactly at a sector's end (GRUB legacy reads on until a
/// zero length byte), so each sector holds at most 2047 bytes of records.
pub fn dir_bytes_len(records: &[Record]) -> u32 {
    let mut sectors = 1u32;
    let mut off = 0usize;
    for r in records {
        let l = usize::from(r.len);
        if off + l > SECTOR - 1 {
            sectors += 1;
            off = 0;
        }
        off += l;
    }
    sectors * SECTOR as u32
}

/// Size of a path table, bytes (§9.4: 8 + identifier + pad to even, per directory).
pub fn path_table_size(dirs: &[Dir]) -> u32 {
    dirs.iter()
        .map(|d| {
            let l = d.ident.len().max(1);
            (8 + l + l % 2) as u32
        })
        .sum()
}

/// Data source of a file, for the writer.
pub(crate) fn file_source<'t>(tree: &'t Tree, f: &FileData) -> (&'t Data, u64) {
    match &tree.node(f.node).kind {
        Kind::File { size, data } => (data, *size),
        _ => unreachable!("files are regular files"),
    }
}

//! `mvi iso`: an El Torito ISO 9660 image with Rock Ridge from a directory tree.

use crate::output::{check_output_path, write_atomic};
use crate::size::human;
use anyhow::Context;
use fstree::{Data, Kind, Manifest, Tree, WalkOptions};
use iso9660::{BootOptions, NameMode, Options};
use std::path::PathBuf;
use std::sync::Arc;

/// Default boot image path inside the tree (GRUB legacy's El Torito stage 2).
pub const DEFAULT_BOOT: &str = "boot/grub/stage2_eltorito";

/// Options of `mvi iso`.
#[derive(Debug, Clone)]
pub struct IsoOptions {
    /// Source directory.
    pub src: PathBuf,
    /// Output image.
    pub out: PathBuf,
    /// Boot image inside the tree; `None` = the default when present.
    pub boot: Option<String>,
    /// Build without a boot entry even if the default boot image exists.
    pub no_boot: bool,
    /// Boot catalog path inside the image.
    pub catalog: String,
    /// Volume identifier.
    pub volume_id: String,
    /// Add a Joliet tree.
    pub joliet: bool,
    /// Primary names.
    pub names: NameMode,
    /// ISO level (2 or 3).
    pub level: u8,
    /// Metadata manifest.
    pub metadata: Option<PathBuf>,
    /// Keep host uid/gid.
    pub preserve_owner: bool,
    /// Build time `T`.
    pub time: i64,
}

/// What `mvi iso` reports.
#[derive(Debug, Clone)]
pub struct IsoReport {
    /// Image size, bytes.
    pub bytes: u64,
    /// Boot image path and its LBA, if booting.
    pub boot: Option<(String, u32, u32)>,
    /// Identifiers changed to resolve collisions.
    pub renamed: Vec<iso9660::Rename>,
    /// Files and directories in the tree.
    pub nodes: usize,
}

impl IsoReport {
    /// Human-readable report.
    pub fn render(&self, name: &str) -> String {
        let mut s = format!(
            "{name}: {} ({} bytes, {} sectors), {} tree nodes\n",
            human(self.bytes),
            self.bytes,
            self.bytes / 2048,
            self.nodes
        );
        match &self.boot {
            Some((p, lba, len)) => s.push_str(&format!(
                "El Torito: no emulation, /{p} at LBA {lba} ({len} bytes), boot info table\n"
            )),
            None => s.push_str("El Torito: none (not bootable)\n"),
        }
        for r in &self.renamed {
            s.push_str(&format!(
                "renamed ({}): {} -> {}\n",
                r.tree, r.path, r.ident
            ));
        }
        s
    }
}

/// The bytes of the boot image at `path` in `tree`, if there is one; an
/// image over 4 GiB is refused before it is read.
pub(crate) fn boot_bytes(tree: &Tree, path: &str) -> anyhow::Result<Option<Arc<[u8]>>> {
    let Some(id) = tree.lookup(path.as_bytes()) else {
        return Ok(None);
    };
    // Refuse an oversized boot image before reading it into memory.
    if let Kind::File { size, .. } = &tree.node(id).kind {
        if *size > u64::from(u32::MAX) {
            anyhow::bail!("boot image /{path}: {size} bytes, at most 4294967295");
        }
    }
    match &tree.node(id).kind {
        Kind::File {
            data: Data::Path(p),
            ..
        } => {
            let b = std::fs::read(p)
                .with_context(|| format!("{}: cannot read the boot image", p.display()))?;
            Ok(Some(b.into()))
        }
        Kind::File {
            data: Data::Bytes(b),
            ..
        } => Ok(Some(b.clone())),
        Kind::File {
            data: Data::Zeros,
            size,
        } => Ok(Some(vec![0u8; *size as usize].into())),
        _ => anyhow::bail!("boot image /{path}: not a regular file"),
    }
}

/// Build an ISO from `opts.src` into `opts.out`.
pub fn build(opts: &IsoOptions, progress: bool) -> anyhow::Result<IsoReport> {
    check_output_path(&opts.out)?;
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
    let boot_path = match (&opts.boot, opts.no_boot) {
        (_, true) => None,
        (Some(p), false) => Some(p.trim_start_matches('/').to_string()),
        (None, false) => tree
            .lookup(DEFAULT_BOOT.as_bytes())
            .map(|_| DEFAULT_BOOT.to_string()),
    };
    let boot = match &boot_path {
        Some(p) => {
            let data = boot_bytes(&tree, p)?.ok_or_else(|| {
                anyhow::anyhow!("boot image /{p}: not found in {}", opts.src.display())
            })?;
            Some(BootOptions {
                image: p.as_bytes().to_vec(),
                image_data: data,
                catalog: opts.catalog.trim_start_matches('/').as_bytes().to_vec(),
                load_size: 4,
                info_table: true,
            })
        }
        None => None,
    };
    let options = Options {
        volume_id: opts.volume_id.clone(),
        boot,
        joliet: opts.joliet,
        names: opts.names,
        level: opts.level,
        time: opts.time,
    };
    let layout = iso9660::plan(&tree, &options)?;
    let bar = crate::progress_bar(progress, u64::from(layout.total_sectors) * 2048, &opts.out);
    let b2 = bar.clone();
    let stats = write_atomic(&opts.out, |w| {
        iso9660::write_with_progress(&layout, &tree, w, move |n| b2.set_position(n))
            .map_err(anyhow::Error::from)
    })?;
    bar.finish_and_clear();
    Ok(IsoReport {
        bytes: stats.bytes,
        boot: layout.boot.as_ref().map(|b| {
            (
                boot_path.clone().unwrap_or_default(),
                b.image_lba,
                b.image_len,
            )
        }),
        renamed: layout.renamed.clone(),
        nodes: tree.preorder().len(),
    })
}

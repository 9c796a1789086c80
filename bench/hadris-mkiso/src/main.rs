//! `hadris-mkiso SRC -o OUT [--boot REL] [--catalog REL] [-V ID] [--joliet]`
//!
//! A benchmark peer for `mvi iso`: reads the host directory SRC with
//! `hadris_fs::host::read_tree` and writes it with `hadris_iso::sync::write`
//! to OUT, with the options closest to `mvi iso`'s defaults:
//!
//! * ISO level 3 (level-2 names, files over 4 GiB in several extents);
//! * Rock Ridge, with permissions, owners and times kept (`Preserve::all`),
//!   deep directories relocated into `rr_moved`;
//! * owner 0:0 for every node (as `mvi iso` without `--preserve-owner`),
//!   times clamped to `SOURCE_DATE_EPOCH` when it is set, and the volume
//!   dated with it (else hadris's fixed 1980-01-01);
//! * El Torito when `--boot REL` names a file of the tree: one BIOS
//!   no-emulation entry, load size 4, boot information table, catalog at
//!   `--catalog` (default `.catalog`);
//! * Joliet only with `--joliet`; no hybrid MBR/GPT, no ISO 9660:1999 tree.
//!
//! The output is opened, truncated and written in place (no temporary file,
//! no fsync), as hadris's own example does.

use hadris_fs::host::{read_tree, Symlinks, TreeOptions};
use hadris_fs::{DateTime, Owner};
use hadris_iso::{BootEntry, BootInfo, ElTorito, IsoId, IsoLevel, IsoOptions};
use hadris_storage::host::FileDevice;
use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    src: PathBuf,
    out: PathBuf,
    boot: Option<String>,
    catalog: String,
    volume: String,
    joliet: bool,
}

fn usage() -> ExitCode {
    eprintln!("usage: hadris-mkiso SRC -o OUT [--boot REL] [--catalog REL] [-V ID] [--joliet]");
    ExitCode::from(2)
}

fn parse() -> Option<Args> {
    let mut it = std::env::args_os().skip(1);
    let (mut src, mut out, mut boot) = (None, None, None);
    let (mut catalog, mut volume, mut joliet) =
        (".catalog".to_string(), "CDROM".to_string(), false);
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("-o") => out = Some(PathBuf::from(it.next()?)),
            Some("--boot") => boot = Some(it.next()?.into_string().ok()?),
            Some("--catalog") => catalog = it.next()?.into_string().ok()?,
            Some("-V") => volume = it.next()?.into_string().ok()?,
            Some("--joliet") => joliet = true,
            Some(s) if s.starts_with('-') => return None,
            _ if src.is_none() => src = Some(PathBuf::from(a)),
            _ => return None,
        }
    }
    Some(Args {
        src: src?,
        out: out?,
        boot,
        catalog,
        volume,
        joliet,
    })
}

fn main() -> ExitCode {
    let Some(args) = parse() else { return usage() };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hadris-mkiso: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => Some(DateTime::from_unix_seconds(s.parse()?)?),
        Err(_) => None,
    };
    let mut topts = TreeOptions::new()
        .with_symlinks(Symlinks::Keep)
        .with_owner(Owner::new(0, 0));
    if let Some(t) = epoch {
        topts = topts.with_clamp(t);
    }
    let (tree, skipped) = read_tree(&args.src, &topts)?;
    for e in &skipped {
        eprintln!("hadris-mkiso: skipped: {e}");
    }
    let mut opts = IsoOptions::default()
        .with_id(IsoId::Volume, &args.volume)
        .with_level(IsoLevel::L3)
        .with_rock_ridge();
    if args.joliet {
        opts = opts.with_joliet();
    }
    if let Some(t) = epoch {
        opts = opts.with_time(t);
    }
    if let Some(boot) = &args.boot {
        opts = opts.with_el_torito(
            ElTorito::new()
                .with_entry(
                    BootEntry::bios(boot)
                        .with_load_size(4)
                        .with_boot_info(BootInfo::Table),
                )
                .with_catalog_path(&args.catalog),
        );
    }
    let file = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&args.out)?;
    let report = hadris_iso::sync::write(FileDevice::new(file)?, &tree, &opts)?;
    for w in report.warnings() {
        eprintln!("hadris-mkiso: warning: {w}");
    }
    Ok(())
}

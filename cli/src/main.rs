//! The `mvi` command line: a thin clap front over the `mvi` library.

use clap::{Parser, Subcommand};
use mvi::size::parse_size;
use mvi::ufs::{self, UfsOptions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mvi",
    version,
    about = "Build bootable illumos media on any host, without root"
)]
struct Cli {
    /// Build time T in seconds since the epoch (default: $SOURCE_DATE_EPOCH, else 1451606400).
    #[arg(long, global = true, value_name = "T")]
    source_date_epoch: Option<i64>,
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Make a Solaris/illumos x86 UFS image from a directory tree.
    Ufs {
        /// Source directory.
        src: PathBuf,
        /// Output image.
        #[arg(short, long)]
        output: PathBuf,
        /// Image size: `auto` or bytes with a K/M/G suffix (e.g. 96M).
        #[arg(long, default_value = "auto")]
        size: String,
        /// With --size auto: free space to leave, percent of the data.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=1000))]
        slack: u32,
        /// Bytes of data space per inode (newfs -i).
        #[arg(long, default_value_t = 16384)]
        nbpi: u32,
        /// Metadata manifest (PATH TYPE MODE UID GID [MAJOR MINOR] per line).
        #[arg(long, value_name = "FILE")]
        metadata: Option<PathBuf>,
        /// Keep host uid/gid instead of 0:0.
        #[arg(long)]
        preserve_owner: bool,
        /// Create /lost+found as mkfs does.
        #[arg(long)]
        lost_found: bool,
    },
    /// Make an El Torito ISO 9660 image with Rock Ridge from a directory tree.
    Iso {
        /// Source directory.
        src: PathBuf,
        /// Output image.
        #[arg(short, long)]
        output: PathBuf,
        /// Boot image inside SRC (default: boot/grub/stage2_eltorito when present).
        #[arg(long, value_name = "REL")]
        boot: Option<String>,
        /// Make no boot entry even if the default boot image exists.
        #[arg(long, conflicts_with = "boot")]
        no_boot: bool,
        /// Boot catalog path inside the image.
        #[arg(long, value_name = "REL", default_value = ".catalog")]
        catalog: String,
        /// Volume identifier (at most 32 characters).
        #[arg(long, default_value = "illumos")]
        volume_id: String,
        /// Add a Joliet tree (Windows names).
        #[arg(long)]
        joliet: bool,
        /// Primary names: strict (level 2, relocation past 8 levels) or relaxed (mkisofs -U style).
        #[arg(long, value_enum, default_value_t = Names::Strict)]
        names: Names,
        /// ISO level: 2, or 3 to allow files over 4 GiB (multi-extent).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=3))]
        level: u8,
        /// Metadata manifest (PATH TYPE MODE UID GID [MAJOR MINOR] per line).
        #[arg(long, value_name = "FILE")]
        metadata: Option<PathBuf>,
        /// Keep host uid/gid instead of 0:0.
        #[arg(long)]
        preserve_owner: bool,
    },
    /// Gzip an image into a boot archive: one deterministic gzip member, compressed in parallel.
    Archive {
        /// The image (e.g. from `mvi ufs`).
        image: PathBuf,
        /// Output archive (e.g. platform/i86pc/boot_archive).
        #[arg(short, long)]
        output: PathBuf,
        /// Compression level, 1 (fastest) to 9 (smallest).
        #[arg(long, default_value_t = mvi::archive::DEFAULT_LEVEL)]
        level: u32,
        /// Compression threads (default: the available cores). Never changes the output bytes.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Also write OUTPUT.hash: the SHA-1 of the uncompressed image, 40 hex digits.
        #[arg(long)]
        hash: bool,
    },
    /// Write a GRUB legacy menu.lst (or lint one with --lint); exit 1 when the lint finds an error.
    Menu {
        /// Output menu.lst.
        #[arg(short, long, required_unless_present = "lint")]
        output: Option<PathBuf>,
        /// One entry per ISA, in order: 64 and/or 32, comma-separated.
        #[arg(long, default_value = "64")]
        arch: String,
        /// Entry title (with two ISAs each gets " (64-bit)" / " (32-bit)").
        #[arg(long, default_value = "minimal viable illumos")]
        title: String,
        /// Kernel console: text, ttya or ttyb (a serial one also moves GRUB there).
        #[arg(long, default_value = "text")]
        console: String,
        /// Seconds before the default entry boots.
        #[arg(long, value_name = "S", default_value_t = 10)]
        timeout: u32,
        /// illumos (kernel$ with $ISADIR) or plain (stock GRUB 0.97: explicit per-ISA paths).
        #[arg(long, default_value = "illumos")]
        dialect: String,
        /// The entry booted by default, from 0.
        #[arg(long, value_name = "N", default_value_t = 0)]
        default: u32,
        /// Kernel arguments, e.g. "-k" or "-B acpi-user-options=0x2" (repeatable).
        #[arg(long, value_name = "ARGS", allow_hyphen_values = true)]
        boot_args: Vec<String>,
        /// Add a "Boot from hard disk" chainloader entry.
        #[arg(long)]
        hard_disk: bool,
        /// Lint against this media tree: every kernel and module each entry can load exists.
        #[arg(long, value_name = "TREE")]
        check: Option<PathBuf>,
        /// Lint an existing menu.lst instead of writing one.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["output", "arch", "title", "console", "timeout", "dialect", "default", "boot_args", "hard_disk"])]
        lint: Option<PathBuf>,
    },
    /// Build a bootable illumos ISO from a proto area (rules, root UFS, boot archive, menu, ISO).
    Build {
        /// The proto area (a directory holding an installed illumos).
        proto: Option<PathBuf>,
        /// Output ISO.
        #[arg(short, long, required_unless_present = "list_options")]
        output: Option<PathBuf>,
        /// Option sets, comma separated (see --list-options).
        #[arg(long = "option", value_name = "LIST", default_value = "")]
        options: String,
        /// A rule file applied after the built-in sets (repeatable).
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
        /// GRUB legacy's stage2_eltorito (default: the proto's boot/grub/stage2_eltorito).
        #[arg(long, value_name = "PATH")]
        boot_image: Option<PathBuf>,
        /// Root image size: auto or bytes with a K/M/G suffix.
        #[arg(long, default_value = "auto")]
        root_size: String,
        /// Bytes per inode of the root image.
        #[arg(long, default_value_t = 16384)]
        nbpi: u32,
        /// Menu entry title.
        #[arg(long, default_value = "minimal viable illumos")]
        title: String,
        /// Console: text, ttya or ttyb.
        #[arg(long, default_value = "text")]
        console: String,
        /// Menu dialect: illumos (kernel$, $ISADIR) or plain (explicit paths; stock GRUB legacy).
        #[arg(long, default_value = "illumos")]
        dialect: String,
        /// Menu timeout, seconds.
        #[arg(long, default_value_t = 10)]
        timeout: u32,
        /// Metadata manifest applied to the proto (PATH TYPE MODE UID GID [MAJOR MINOR]).
        #[arg(long, value_name = "FILE")]
        metadata: Option<PathBuf>,
        /// Build even if the rules removed a kernel module's dependency.
        #[arg(long)]
        allow_broken_deps: bool,
        /// Also write the size report as JSON.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Also keep the root image, boot archive and menu.lst in DIR.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// List the option sets and exit.
        #[arg(long)]
        list_options: bool,
    },
    /// Make a small synthetic illumos-shaped proto in DIR and build DIR/mvi.iso from it.
    Demo {
        /// Directory to create the proto (DIR/proto) and the ISO (DIR/mvi.iso) in.
        dir: PathBuf,
        /// GRUB legacy's stage2_eltorito, to make the ISO bootable.
        #[arg(long, value_name = "PATH")]
        boot_image: Option<PathBuf>,
        /// Option sets, comma separated (default: live, as mvi booted to a shell).
        #[arg(long = "option", value_name = "LIST", default_value = "live")]
        options: String,
        /// Console: text, ttya or ttyb.
        #[arg(long, default_value = "ttya")]
        console: String,
    },
    /// List a directory (or one entry) of an image, long format.
    Ls {
        /// Image (UFS, gzip-compressed UFS, or ISO 9660).
        image: PathBuf,
        /// Path inside the image.
        #[arg(default_value = "/")]
        path: PathBuf,
        /// List everything below PATH, with full paths.
        #[arg(short = 'R', long)]
        recursive: bool,
    },
    /// Copy a file from an image to standard output.
    Cat {
        /// Image (UFS, gzip-compressed UFS, or ISO 9660).
        image: PathBuf,
        /// Path inside the image.
        path: PathBuf,
    },
    /// Check an image's consistency (fsck passes 1-5); exit 1 on problems.
    Check {
        /// Image (UFS, gzip-compressed UFS, or ISO 9660).
        image: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Names {
    Strict,
    Relaxed,
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.cmd {
        Cmd::Build {
            proto,
            output,
            options,
            rules,
            boot_image,
            root_size,
            nbpi,
            title,
            console,
            dialect,
            timeout,
            metadata,
            allow_broken_deps,
            report,
            keep,
            list_options,
        } => {
            if list_options {
                for (name, always, desc) in mvi::rules::list_options()? {
                    let tag = if always { " (always)" } else { "" };
                    println!("{name:<10}{tag:<10} {desc}");
                }
                return Ok(ExitCode::SUCCESS);
            }
            let proto =
                proto.ok_or_else(|| anyhow::anyhow!("mvi build needs a PROTO directory"))?;
            let output = output.ok_or_else(|| anyhow::anyhow!("mvi build needs -o OUT.iso"))?;
            let opts = mvi::build::BuildOptions {
                proto,
                out: output.clone(),
                options,
                rules,
                metadata,
                boot_image,
                root_size: if root_size == "auto" {
                    ufsimg::SizeSpec::Auto { slack_pct: 10 }
                } else {
                    ufsimg::SizeSpec::Fixed(parse_size(&root_size).map_err(anyhow::Error::msg)?)
                },
                nbpi,
                title,
                console: console.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                dialect: dialect.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                timeout,
                allow_broken_deps,
                report_json: report,
                keep,
                time: mvi::source_date_epoch(cli.source_date_epoch)?,
            };
            let r = mvi::build::build(&opts, !cli.quiet)?;
            if cli.quiet {
                for w in &r.warnings {
                    eprintln!("mvi: warning: {w}");
                }
                for m in &r.missing {
                    eprintln!("mvi: warning: NOT BOOTABLE: {m}");
                }
            } else {
                print!("{}", r.render(&output.display().to_string()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Demo {
            dir,
            boot_image,
            options,
            console,
        } => {
            // Check the arguments before writing anything.
            let console: grubcfg::Console = console.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            mvi::rules::parse_options(&options)?;
            if let Some(b) = &boot_image {
                if !b.is_file() {
                    anyhow::bail!("{}: boot image not found (or not a file)", b.display());
                }
            }
            if dir.exists() && !dir.is_dir() {
                anyhow::bail!("{}: not a directory", dir.display());
            }
            std::fs::create_dir_all(&dir)
                .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
            let (proto, iso) = mvi::build::demo_paths(&dir);
            // A proto an earlier `mvi demo` made (marked beside it) is made anew.
            let marker = dir.join(".mvi-demo");
            if proto.exists() && marker.exists() {
                std::fs::remove_dir_all(&proto).map_err(|e| {
                    anyhow::anyhow!("{}: cannot remove the old demo proto: {e}", proto.display())
                })?;
            }
            let n = mvi::demo::make_proto(&proto)?;
            std::fs::write(&marker, b"made by mvi demo\n")
                .map_err(|e| anyhow::anyhow!("{}: {e}", marker.display()))?;
            if !cli.quiet {
                println!("demo proto: {} ({n} files)", proto.display());
            }
            let opts = mvi::build::BuildOptions {
                options,
                boot_image,
                title: "mvi demo".into(),
                console,
                // Stock GRUB legacy (Debian's stage2_eltorito) knows no kernel$.
                dialect: grubcfg::Dialect::Plain,
                timeout: 5,
                keep: Some(dir.join("keep")),
                ..mvi::build::BuildOptions::new(
                    proto,
                    iso.clone(),
                    mvi::source_date_epoch(cli.source_date_epoch)?,
                )
            };
            let r = mvi::build::build(&opts, !cli.quiet)?;
            if !cli.quiet {
                print!("{}", r.render(&iso.display().to_string()));
                if r.missing.is_empty() {
                    println!(
                        "boot it: qemu-system-x86_64 -m 256 -cdrom {} -boot d -serial stdio -display none",
                        iso.display()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Iso {
            src,
            output,
            boot,
            no_boot,
            catalog,
            volume_id,
            joliet,
            names,
            level,
            metadata,
            preserve_owner,
        } => {
            let opts = mvi::iso::IsoOptions {
                src,
                out: output.clone(),
                boot,
                no_boot,
                catalog,
                volume_id,
                joliet,
                names: match names {
                    Names::Strict => iso9660::NameMode::Strict,
                    Names::Relaxed => iso9660::NameMode::Relaxed,
                },
                level,
                metadata,
                preserve_owner,
                time: mvi::source_date_epoch(cli.source_date_epoch)?,
            };
            let report = mvi::iso::build(&opts, !cli.quiet)?;
            if !cli.quiet {
                print!("{}", report.render(&output.display().to_string()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Ufs {
            src,
            output,
            size,
            slack,
            nbpi,
            metadata,
            preserve_owner,
            lost_found,
        } => {
            let size = if size == "auto" {
                ufsimg::SizeSpec::Auto { slack_pct: slack }
            } else {
                ufsimg::SizeSpec::Fixed(parse_size(&size).map_err(anyhow::Error::msg)?)
            };
            let opts = UfsOptions {
                src,
                out: output.clone(),
                size,
                nbpi,
                metadata,
                preserve_owner,
                time: mvi::source_date_epoch(cli.source_date_epoch)?,
                lost_found,
            };
            let report = ufs::build(&opts, !cli.quiet)?;
            if !cli.quiet {
                print!("{}", report.render(&output.display().to_string()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Archive {
            image,
            output,
            level,
            threads,
            hash,
        } => {
            let opts = mvi::archive::ArchiveOptions {
                image,
                out: output.clone(),
                gzip: mvi::archive::GzipOptions {
                    level,
                    threads: threads.unwrap_or_else(mvi::archive::default_threads),
                    ..Default::default()
                },
                hash,
            };
            let report = mvi::archive::build(&opts, !cli.quiet)?;
            if !cli.quiet {
                print!("{}", report.render(&output.display().to_string()));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Menu {
            output,
            arch,
            title,
            console,
            timeout,
            dialect,
            default,
            boot_args,
            hard_disk,
            check,
            lint,
        } => {
            let (report, name) = match (lint, output) {
                (Some(file), _) => (
                    mvi::menu::lint_file(&file, check.as_deref())?,
                    file.display().to_string(),
                ),
                (None, Some(out)) => {
                    let spec = mvi::menu::MenuArgs {
                        arch,
                        title,
                        console,
                        timeout,
                        dialect,
                        default,
                        boot_args,
                        hard_disk,
                    }
                    .spec()?;
                    (
                        mvi::menu::render(&spec, &out, check.as_deref())?,
                        out.display().to_string(),
                    )
                }
                (None, None) => anyhow::bail!("menu: give -o OUTPUT or --lint FILE"),
            };
            eprint!("{}", report.render_diagnostics(&name));
            if !cli.quiet {
                print!("{}", report.summary(&name));
            }
            Ok(if report.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Ls {
            image,
            path,
            recursive,
        } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            mvi::inspect::ls(&image, path.as_os_str().as_bytes(), recursive, &mut out)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Cat { image, path } => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            mvi::inspect::cat(&image, path.as_os_str().as_bytes(), &mut out)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { image } => {
            let report = mvi::inspect::check(&image)?;
            for w in &report.warnings {
                println!("{}: warning: {w}", image.display());
            }
            for p in &report.problems {
                println!("{}: {p}", image.display());
            }
            if report.problems.is_empty() {
                if !cli.quiet {
                    println!("{}: clean", image.display());
                }
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{}: {} problem(s)", image.display(), report.problems.len());
                Ok(ExitCode::from(1))
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(c) => c,
        Err(e) => {
            // One line: the error and its causes, joined.
            // One line: the error and its causes, each cause only if the
            // message so far does not already say it.
            let mut msg = String::new();
            for cause in e.chain() {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    if !msg.is_empty() {
                        msg.push_str(": ");
                    }
                    msg.push_str(&c);
                }
            }
            eprintln!("mvi: error: {}", msg.replace('\n', " "));
            ExitCode::from(2)
        }
    }
}

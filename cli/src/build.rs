//! `mvi build`: the whole pipeline from a proto area to a bootable ISO, as
//! mvix.sh did on illumos: rules → module dependency check → UFS root →
//! boot archive → menu.lst → El Torito ISO of `boot/` and `platform/`.

use crate::archive::{compress, GzipOptions};
use crate::moddeps;
use crate::output::{check_output_path, commit_all, stage};
use crate::rules::{self, ApplyOptions, RuleReport};
use crate::size::human;
use anyhow::Context;
use fstree::{Data, Kind, Manifest, Node, NodeId, Tree, WalkOptions, ROOT};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the 64-bit kernel lives in a proto area.
pub const UNIX_64: &str = "platform/i86pc/kernel/amd64/unix";
/// Where the 32-bit kernel lives in a proto area.
pub const UNIX_32: &str = "platform/i86pc/kernel/unix";
/// Where the boot archive goes.
pub const ARCHIVE: &str = "platform/i86pc/boot_archive";
/// GRUB legacy's El Torito stage 2 inside a proto area.
pub const STAGE2: &str = "boot/grub/stage2_eltorito";
/// The menu GRUB reads.
pub const MENU: &str = "boot/grub/menu.lst";

/// Options of `mvi build`.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The proto area (read only).
    pub proto: PathBuf,
    /// The ISO to write.
    pub out: PathBuf,
    /// Option sets, comma separated (`32bit,extreme,nonet,nodisk`).
    pub options: String,
    /// User rule files, applied after the built-in sets.
    pub rules: Vec<PathBuf>,
    /// A metadata manifest applied to the walked proto.
    pub metadata: Option<PathBuf>,
    /// GRUB legacy's `stage2_eltorito` (else the proto's, if any).
    pub boot_image: Option<PathBuf>,
    /// Root image size.
    pub root_size: ufsimg::SizeSpec,
    /// Bytes per inode of the root image.
    pub nbpi: u32,
    /// Menu entry title.
    pub title: String,
    /// Console for the kernel (and GRUB).
    pub console: grubcfg::Console,
    /// Menu dialect: illumos (`kernel$`, `$ISADIR`; illumos's own GRUB) or
    /// plain (explicit per-ISA paths; any GRUB legacy, e.g. Debian's).
    pub dialect: grubcfg::Dialect,
    /// Menu timeout, seconds.
    pub timeout: u32,
    /// Keep broken module dependencies (report only).
    pub allow_broken_deps: bool,
    /// Also write the report as JSON here.
    pub report_json: Option<PathBuf>,
    /// Also keep the root image, boot archive and menu.lst here.
    pub keep: Option<PathBuf>,
    /// Build time `T`.
    pub time: i64,
}

impl BuildOptions {
    /// The defaults of `mvi build PROTO -o OUT` with build time `time`: no
    /// options or rule files, the proto's own boot image if any, automatic
    /// root size (10 % slack), nbpi 16384, title "minimal viable illumos",
    /// text console, illumos dialect, 10 s timeout, nothing kept.
    pub fn new(proto: PathBuf, out: PathBuf, time: i64) -> BuildOptions {
        BuildOptions {
            proto,
            out,
            options: String::new(),
            rules: Vec::new(),
            metadata: None,
            boot_image: None,
            root_size: ufsimg::SizeSpec::Auto { slack_pct: 10 },
            nbpi: 16384,
            title: "minimal viable illumos".into(),
            console: grubcfg::Console::Text,
            dialect: grubcfg::Dialect::Illumos,
            timeout: 10,
            allow_broken_deps: false,
            report_json: None,
            keep: None,
            time,
        }
    }
}

/// The size report of a build (the numbers of the 2016 blog post and more).
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Root file system image size, bytes (the RAM the ramdisk takes).
    pub root_bytes: u64,
    /// Used space in the root file system, bytes (data frags in use).
    pub root_used_bytes: u64,
    /// Inodes in use in the root.
    pub root_inodes: u64,
    /// Boot archive (gzip) size, bytes.
    pub archive_bytes: u64,
    /// ISO size, bytes.
    pub iso_bytes: u64,
    /// Kernels found: (path, ISA label).
    pub kernels: Vec<(String, &'static str)>,
    /// The 20 largest files of the root: (path, bytes).
    pub largest: Vec<(String, u64)>,
    /// What each rule set removed: (set, entries, files, bytes).
    pub removed: Vec<(String, u64, u64, u64)>,
    /// Rules that matched nothing: "set:line: rule".
    pub unmatched: Vec<String>,
    /// Module dependency problems introduced by the rules.
    pub broken_deps: Vec<String>,
    /// Kernel modules checked.
    pub modules: usize,
    /// What is missing for a bootable ISO (e.g. no stage2_eltorito).
    pub missing: Vec<String>,
    /// Things the build did that may not be what the user wants: a device
    /// major taken from the built-in table because the proto's
    /// etc/name_to_major does not list the driver, menu lint warnings.
    /// `mvi build` prints them on standard error even with `-q`.
    pub warnings: Vec<String>,
}

impl BuildReport {
    /// A human-readable table.
    pub fn render(&self, out: &str) -> String {
        let mut s = String::new();
        s.push_str(&format!("{out}\n"));
        s.push_str(&format!(
            "  root file system  {:>10}  ({} used, {} inodes)\n",
            human(self.root_bytes),
            human(self.root_used_bytes),
            self.root_inodes
        ));
        s.push_str(&format!(
            "  boot archive      {:>10}\n",
            human(self.archive_bytes)
        ));
        s.push_str(&format!(
            "  ISO               {:>10}\n",
            human(self.iso_bytes)
        ));
        s.push_str(&format!(
            "  RAM for ramdisk   {:>10}\n",
            human(self.root_bytes)
        ));
        for (k, isa) in &self.kernels {
            s.push_str(&format!("  kernel            {k} ({isa})\n"));
        }
        s.push_str(&format!(
            "  kernel modules    {} checked, {} broken dependencies\n",
            self.modules,
            self.broken_deps.len()
        ));
        for (set, entries, files, bytes) in &self.removed {
            s.push_str(&format!(
                "  rules {set:<10} removed {entries} entries, {files} files, {}\n",
                human(*bytes)
            ));
        }
        for u in &self.unmatched {
            s.push_str(&format!("  rule matched nothing: {u}\n"));
        }
        for d in &self.broken_deps {
            s.push_str(&format!("  broken dependency: {d}\n"));
        }
        if !self.largest.is_empty() {
            s.push_str("  largest files in the root:\n");
            for (p, b) in &self.largest {
                s.push_str(&format!("    {:>10}  {p}\n", human(*b)));
            }
        }
        for w in &self.warnings {
            s.push_str(&format!("  warning: {w}\n"));
        }
        for m in &self.missing {
            s.push_str(&format!("  NOT BOOTABLE: {m}\n"));
        }
        s
    }

    /// The report as JSON (stable key order).
    pub fn to_json(&self) -> String {
        fn q(s: &str) -> String {
            let mut o = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => o.push_str("\\\""),
                    '\\' => o.push_str("\\\\"),
                    c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                    c => o.push(c),
                }
            }
            o.push('"');
            o
        }
        let list =
            |v: &[String]| format!("[{}]", v.iter().map(|x| q(x)).collect::<Vec<_>>().join(","));
        format!(
            "{{\"root_bytes\":{},\"root_used_bytes\":{},\"root_inodes\":{},\"archive_bytes\":{},\"iso_bytes\":{},\"ram_bytes\":{},\"kernels\":[{}],\"largest\":[{}],\"removed\":[{}],\"unmatched\":{},\"broken_deps\":{},\"modules\":{},\"missing\":{},\"warnings\":{}}}\n",
            self.root_bytes,
            self.root_used_bytes,
            self.root_inodes,
            self.archive_bytes,
            self.iso_bytes,
            self.root_bytes,
            self.kernels.iter().map(|(k, i)| format!("{{\"path\":{},\"isa\":{}}}", q(k), q(i))).collect::<Vec<_>>().join(","),
            self.largest.iter().map(|(p, b)| format!("{{\"path\":{},\"bytes\":{b}}}", q(p))).collect::<Vec<_>>().join(","),
            self.removed
                .iter()
                .map(|(s, e, f, b)| format!("{{\"set\":{},\"entries\":{e},\"files\":{f},\"bytes\":{b}}}", q(s)))
                .collect::<Vec<_>>()
                .join(","),
            list(&self.unmatched),
            list(&self.broken_deps),
            self.modules,
            list(&self.missing),
            list(&self.warnings),
        )
    }
}

/// Where `p` is, resolved through its existing ancestors (the file itself
/// may not exist yet): for comparing paths that name the same place.
fn resolved(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut tail = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(c) = cur.canonicalize() {
            let mut r = c;
            for t in tail.iter().rev() {
                r.push(t);
            }
            return r;
        }
        match (cur.parent(), cur.file_name()) {
            (Some(parent), Some(name)) => {
                tail.push(name.to_os_string());
                cur = parent;
            }
            _ => return abs,
        }
    }
}

/// The outputs must be different files, none of them the boot image, and
/// none inside the proto area (mvi never writes into its input).
fn check_outputs_apart(opts: &BuildOptions) -> anyhow::Result<()> {
    let mut outs: Vec<(String, PathBuf)> = vec![("-o".into(), resolved(&opts.out))];
    if let Some(j) = &opts.report_json {
        outs.push(("--report".into(), resolved(j)));
    }
    if let Some(k) = &opts.keep {
        let k = resolved(k);
        for name in ["root.img", "boot_archive", "menu.lst"] {
            outs.push((format!("--keep's {name}"), k.join(name)));
        }
    }
    let proto = resolved(&opts.proto);
    for (i, (flag, p)) in outs.iter().enumerate() {
        if p.starts_with(&proto) {
            anyhow::bail!(
                "{}: {flag} is inside the proto area {}; mvi never writes into its input",
                p.display(),
                proto.display()
            );
        }
        if let Some((other, _)) = outs[..i].iter().find(|(_, q)| q == p) {
            anyhow::bail!("{}: {other} and {flag} name the same file", p.display());
        }
        if let Some(b) = &opts.boot_image {
            if resolved(b) == *p {
                anyhow::bail!(
                    "{}: {flag} would overwrite the boot image, an input",
                    p.display()
                );
            }
        }
    }
    Ok(())
}

/// One warning naming every driver whose device nodes got a major number
/// from a `major` rule because the tree's etc/name_to_major does not list
/// it (the kernel binds drivers by that file, so the two must agree).
fn majors_warning(report: &RuleReport) -> Option<String> {
    let mut drivers: Vec<String> = report
        .sets
        .iter()
        .flat_map(|s| s.rules.iter())
        .flat_map(|r| r.notes.iter())
        .filter(|n| n.contains("etc/name_to_major does not list"))
        .filter_map(|n| {
            let (drv, rest) = n.split_once(": major ")?;
            let num = rest.split_whitespace().next()?;
            Some(format!("{drv} {num}"))
        })
        .collect();
    drivers.sort();
    drivers.dedup();
    (!drivers.is_empty()).then(|| {
        format!(
            "etc/name_to_major does not list {} driver{} the /dev fix-ups use, so their /devices/pseudo nodes got illumos-gate's majors ({}); the kernel binds drivers by etc/name_to_major, so add these lines to it (or `major` rules that match it)",
            drivers.len(),
            if drivers.len() == 1 { "" } else { "s" },
            drivers.join(", ")
        )
    })
}

/// Warnings for etc/inittab lines whose program is not in the tree: after
/// base, `/lib/svc/bin/svc.startd` is gone unless `live` replaced its line,
/// and init would respawn a missing program forever.
fn inittab_warnings(tree: &Tree) -> anyhow::Result<Vec<String>> {
    let Some(id) = is_file(tree, "etc/inittab") else {
        return Ok(Vec::new());
    };
    let text = match &tree.node(id).kind {
        Kind::File {
            data: Data::Path(p),
            size,
        } if *size <= 1 << 20 => {
            std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?
        }
        Kind::File {
            data: Data::Bytes(b),
            ..
        } => b.to_vec(),
        _ => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for (i, line) in String::from_utf8_lossy(&text).lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // id:rstate:action:process
        let Some(process) = line.splitn(4, ':').nth(3) else {
            continue;
        };
        let Some(prog) = process.split_whitespace().next() else {
            continue;
        };
        if let Some(rel) = prog.strip_prefix('/') {
            if tree.lookup(rel.as_bytes()).is_none() {
                let hint = if prog.ends_with("svc.startd") {
                    ", so the system never reaches a shell; --option live replaces it with /etc/mvi.rc and a shell on the console, as mvi did"
                } else {
                    ""
                };
                out.push(format!(
                    "etc/inittab:{}: init runs {prog}, which is not in the root{hint}",
                    i + 1
                ));
            }
        }
    }
    Ok(out)
}

fn is_file(tree: &Tree, path: &str) -> Option<NodeId> {
    tree.lookup(path.as_bytes())
        .filter(|&id| matches!(tree.node(id).kind, Kind::File { .. }))
}

/// Copy the subtree at `src_id` of `src` into `dst` under `parent` as `name`.
fn copy_subtree(
    src: &Tree,
    src_id: NodeId,
    dst: &mut Tree,
    parent: NodeId,
    name: &[u8],
) -> anyhow::Result<()> {
    let n = src.node(src_id);
    let copy = Node {
        kind: match &n.kind {
            Kind::Dir(_) => Kind::Dir(Vec::new()),
            k => k.clone(),
        },
        ..n.clone()
    };
    let id = dst.add(parent, name, copy)?;
    for e in src.entries(src_id).to_vec() {
        copy_subtree(src, e.node, dst, id, &e.name)?;
    }
    Ok(())
}

fn mkdirs(tree: &mut Tree, path: &str, time: i64) -> anyhow::Result<NodeId> {
    if let Some(id) = tree.lookup(path.as_bytes()) {
        return Ok(id);
    }
    Ok(tree.add_path(path.as_bytes(), Node::dir(0o755, time))?)
}

fn file_node(data: Data, size: u64, perm: u16, time: i64) -> Node {
    Node {
        kind: Kind::File { size, data },
        perm,
        uid: 0,
        gid: 0,
        mtime: time,
    }
}

/// Everything about the inputs and output paths that can be checked before
/// any work: the proto is an illumos proto area, the boot image a readable
/// file of at most 4 GiB, every output path writable and apart from the
/// others and from the inputs.
fn check_inputs(opts: &BuildOptions) -> anyhow::Result<()> {
    let meta = std::fs::metadata(&opts.proto)
        .with_context(|| format!("{}: cannot read the proto area", opts.proto.display()))?;
    if !meta.is_dir() {
        anyhow::bail!(
            "{}: the proto area is not a directory",
            opts.proto.display()
        );
    }
    if !opts.proto.join(UNIX_32).is_file() && !opts.proto.join(UNIX_64).is_file() {
        anyhow::bail!(
            "{}: not an illumos proto area (neither {UNIX_32} nor {UNIX_64} is a file)",
            opts.proto.display()
        );
    }
    if let Some(b) = &opts.boot_image {
        if b.is_dir() {
            anyhow::bail!("{}: boot image is a directory, not a file", b.display());
        }
        if !b.is_file() {
            anyhow::bail!("{}: boot image not found", b.display());
        }
        let len = std::fs::metadata(b)
            .with_context(|| format!("{}: cannot read the boot image", b.display()))?
            .len();
        if len > u64::from(u32::MAX) {
            anyhow::bail!(
                "{}: boot image is {len} bytes, at most 4294967295",
                b.display()
            );
        }
    }
    // Every output path is checked before any work: the ISO, the JSON
    // report and --keep are written at the end, and a bad --report or
    // --keep must not leave a new ISO behind with exit status 2.
    check_output_path(&opts.out)?;
    if let Some(j) = &opts.report_json {
        check_output_path(j).context("--report")?;
    }
    if let Some(k) = &opts.keep {
        if k.exists() && !k.is_dir() {
            anyhow::bail!(
                "{}: --keep wants a directory; a file is in the way",
                k.display()
            );
        }
    }
    check_outputs_apart(opts)?;
    Ok(())
}

/// The `n` largest files of `tree`, largest first (ties by path); a file
/// with several names counts once, under the first name found.
fn largest_files(tree: &Tree, n: usize) -> Vec<(String, u64)> {
    let mut sizes: Vec<(String, u64)> = Vec::new();
    let mut stack: Vec<(NodeId, String)> = vec![(ROOT, String::new())];
    let mut seen = std::collections::BTreeSet::new();
    while let Some((id, path)) = stack.pop() {
        for e in tree.entries(id) {
            let p = format!("{path}/{}", fstree::escape_bytes(&e.name));
            match &tree.node(e.node).kind {
                Kind::Dir(_) => stack.push((e.node, p)),
                Kind::File { size, .. } if seen.insert(e.node) => sizes.push((p, *size)),
                _ => {}
            }
        }
    }
    sizes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    sizes.truncate(n);
    sizes
}

/// The ISO's tree but for the boot archive: `boot/` from the root (after
/// the rules) with the menu and the boot image put in `boot/grub`, and the
/// kernels the root has.
fn iso_tree(
    tree: &Tree,
    time: i64,
    menu_text: &str,
    stage2: Option<&Arc<[u8]>>,
) -> anyhow::Result<Tree> {
    let mut iso = Tree::new(time);
    if let Some(boot) = tree
        .lookup(b"boot")
        .filter(|&b| matches!(tree.node(b).kind, Kind::Dir(_)))
    {
        copy_subtree(tree, boot, &mut iso, ROOT, b"boot")?;
    }
    let grub = mkdirs(&mut iso, "boot/grub", time)?;
    for name in [&b"menu.lst"[..], b"stage2_eltorito"] {
        if iso.entries(grub).iter().any(|e| e.name == name) {
            iso.remove(grub, name)?;
        }
    }
    let menu_bytes: Arc<[u8]> = Arc::from(menu_text.as_bytes());
    iso.add(
        grub,
        b"menu.lst",
        file_node(
            Data::Bytes(menu_bytes.clone()),
            menu_bytes.len() as u64,
            0o644,
            time,
        ),
    )?;
    if let Some(b) = stage2 {
        iso.add(
            grub,
            b"stage2_eltorito",
            file_node(Data::Bytes(b.clone()), b.len() as u64, 0o644, time),
        )?;
    }
    for k in [UNIX_64, UNIX_32] {
        if let Some(id) = is_file(tree, k) {
            let (dir, name) = k.rsplit_once('/').expect("kernel paths have a directory");
            let d = mkdirs(&mut iso, dir, time)?;
            let n = tree.node(id).clone();
            iso.add(d, name.as_bytes(), n)?;
        }
    }
    Ok(iso)
}

/// Run the pipeline. Nothing is written until every input checked out;
/// the ISO appears only if the whole build succeeds.
pub fn build(opts: &BuildOptions, progress: bool) -> anyhow::Result<BuildReport> {
    check_inputs(opts)?;
    let options = rules::parse_options(&opts.options)?;
    let sets = rules::standard_sets(&options, &opts.rules)?;

    let mut tree = fstree::walk(
        &opts.proto,
        &WalkOptions {
            preserve_owner: false,
            time: opts.time,
        },
    )?;
    if let Some(m) = &opts.metadata {
        Manifest::load(m)?.apply(&mut tree, opts.time)?;
    }
    let deps_before = moddeps::check(&moddeps::scan(&tree)?);
    let rule_report: RuleReport = rules::apply(
        &mut tree,
        &sets,
        &ApplyOptions {
            time: opts.time,
            ..ApplyOptions::default()
        },
    )?;
    let has64 = is_file(&tree, UNIX_64).is_some();
    let has32 = is_file(&tree, UNIX_32).is_some();
    if !has64 && !has32 {
        anyhow::bail!("the rules removed both kernels ({UNIX_32} and {UNIX_64})");
    }
    let graph = moddeps::scan(&tree)?;
    let deps_after = moddeps::check(&graph);
    // Only modules a kernel of the tree can load count: 64bit leaves
    // 32-bit modules without an amd64 twin behind, which nothing loads.
    let broken: Vec<String> = deps_after
        .new_since(&deps_before)
        .iter()
        .filter(|m| match m.isa {
            moddeps::Isa::I386 => has32,
            moddeps::Isa::Amd64 => has64,
        })
        .map(|m| m.to_string())
        .collect();
    if !broken.is_empty() && !opts.allow_broken_deps {
        anyhow::bail!(
            "the rules removed {} kernel module dependenc{} (use --allow-broken-deps to build anyway): {}",
            broken.len(),
            if broken.len() == 1 { "y" } else { "ies" },
            broken.join("; ")
        );
    }

    let mut report = BuildReport {
        modules: graph.modules.len(),
        broken_deps: broken,
        removed: rule_report
            .sets
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.removed.entries,
                    s.removed.files,
                    s.removed.bytes,
                )
            })
            .collect(),
        unmatched: rule_report
            .unmatched()
            .iter()
            .map(|(s, r)| format!("{}:{}: {}", s.origin, r.line, r.text))
            .collect(),
        warnings: majors_warning(&rule_report).into_iter().collect(),
        ..BuildReport::default()
    };
    report.warnings.extend(inittab_warnings(&tree)?);
    if has64 {
        report.kernels.push((format!("/{UNIX_64}"), "amd64"));
    }
    if has32 {
        report.kernels.push((format!("/{UNIX_32}"), "i386"));
    }
    report.largest = largest_files(&tree, 20);

    // The boot image, read (and its size checked) before any writing.
    let stage2: Option<Arc<[u8]>> = match &opts.boot_image {
        Some(p) => Some(
            std::fs::read(p)
                .with_context(|| format!("{}: cannot read the boot image", p.display()))?
                .into(),
        ),
        None => crate::iso::boot_bytes(&tree, STAGE2)?,
    };

    // Plan the root before writing anything.
    let layout = ufsimg::plan(
        &tree,
        &ufsimg::Params {
            size: opts.root_size,
            nbpi: opts.nbpi,
            time: opts.time,
            lost_found: false,
        },
    )?;
    report.root_bytes = layout.geo.image_bytes;
    report.root_used_bytes = layout.used_data_frags() * 1024;
    report.root_inodes = layout.used_inodes();

    // The menu, for the kernels the tree has.
    let mut arches = Vec::new();
    if has64 {
        arches.push(grubcfg::Arch::Amd64);
    }
    if has32 {
        arches.push(grubcfg::Arch::I386);
    }
    let spec = grubcfg::MenuSpec {
        title: opts.title.clone(),
        arches,
        dialect: opts.dialect,
        console: opts.console,
        boot_flags: Vec::new(),
        timeout: Some(opts.timeout),
        default: 0,
        hard_disk_entry: false,
    };
    let menu_text = spec.render()?;

    // Work files beside the output (same file system, removed on any error).
    let out_dir = match opts.out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !out_dir.is_dir() {
        anyhow::bail!("{}: output directory does not exist", out_dir.display());
    }
    let work = tempfile::Builder::new()
        .prefix(".mvi-build-")
        .tempdir_in(&out_dir)
        .with_context(|| format!("{}: cannot create a work directory", out_dir.display()))?;
    let root_img = work.path().join("root.img");
    {
        let f = std::fs::File::create(&root_img)
            .with_context(|| format!("{}: cannot create", root_img.display()))?;
        let bar = crate::progress_bar(progress, layout.geo.image_bytes, &root_img);
        let b2 = bar.clone();
        ufsimg::write_with_progress(
            &layout,
            &tree,
            BufWriter::with_capacity(1 << 20, f),
            move |n| b2.set_position(n),
        )?;
        bar.finish_and_clear();
    }
    // The ISO needs only boot/ and the kernels of the root tree: take them
    // now, and let the tree and the UFS plan go before the archive's
    // compression buffers are allocated (peak memory on large trees).
    let mut iso = iso_tree(&tree, opts.time, &menu_text, stage2.as_ref())?;
    drop(layout);
    drop(tree);
    let archive = work.path().join("boot_archive");
    {
        let input = BufReader::with_capacity(1 << 20, std::fs::File::open(&root_img)?);
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&archive)?);
        let s = compress(input, &mut out, &GzipOptions::default())?;
        out.flush()?;
        report.archive_bytes = s.output_bytes;
    }

    let pdir = mkdirs(&mut iso, "platform/i86pc", opts.time)?;
    iso.add(
        pdir,
        b"boot_archive",
        file_node(
            Data::Path(archive.clone()),
            report.archive_bytes,
            0o644,
            opts.time,
        ),
    )?;
    if stage2.is_none() {
        report.missing.push(format!(
            "no GRUB legacy boot image: give --boot-image PATH (e.g. stage2_eltorito from Debian's grub-legacy package) or put one at {STAGE2} in the proto"
        ));
    }
    // The menu must name files that are on the ISO.
    let parsed = grubcfg::parse(&menu_text)?;
    let diags = grubcfg::lint(&parsed, &|p: &str| iso.lookup(p.as_bytes()).is_some());
    // A 64-bit-only tree has no 32-bit fallback by choice (--option 64bit):
    // lint's warning about that is not news.
    for d in diags.iter().filter(|d| {
        d.severity != grubcfg::Severity::Error && d.check != grubcfg::Check::No32BitFallback
    }) {
        report.warnings.push(format!("menu.lst: {d}"));
    }
    if grubcfg::has_errors(&diags) {
        let lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
        anyhow::bail!(
            "the generated menu.lst does not match the ISO tree: {}",
            lines.join("; ")
        );
    }
    let iso_opts = iso9660::Options {
        volume_id: "illumos".into(),
        boot: stage2.map(|b| iso9660::BootOptions {
            image: STAGE2.as_bytes().to_vec(),
            image_data: b,
            catalog: b".catalog".to_vec(),
            load_size: 4,
            info_table: true,
        }),
        time: opts.time,
        ..iso9660::Options::default()
    };
    let iso_layout = iso9660::plan(&iso, &iso_opts)?;
    // Stage every output, then rename them into place, the ISO last: a
    // failure anywhere (a full disk under --keep, say) leaves no new ISO.
    let (iso_staged, stats) = stage(&opts.out, |w| {
        let bar = crate::progress_bar(
            progress,
            u64::from(iso_layout.total_sectors) * 2048,
            &opts.out,
        );
        let b2 = bar.clone();
        let s = iso9660::write_with_progress(&iso_layout, &iso, w, move |n| b2.set_position(n))?;
        bar.finish_and_clear();
        Ok(s)
    })?;
    report.iso_bytes = stats.bytes;

    let mut staged = Vec::new();
    if let Some(keep) = &opts.keep {
        std::fs::create_dir_all(keep)
            .with_context(|| format!("{}: cannot create", keep.display()))?;
        for (src, name) in [(&root_img, "root.img"), (&archive, "boot_archive")] {
            let (s, ()) = stage(&keep.join(name), |w| {
                let mut r = std::fs::File::open(src)
                    .with_context(|| format!("{}: cannot read", src.display()))?;
                std::io::copy(&mut r, w)
                    .with_context(|| format!("{}: cannot write", keep.join(name).display()))?;
                Ok(())
            })?;
            staged.push(s);
        }
        let (s, ()) = stage(&keep.join("menu.lst"), |w| {
            w.write_all(menu_text.as_bytes())?;
            Ok(())
        })?;
        staged.push(s);
    }
    if let Some(j) = &opts.report_json {
        let (s, ()) = stage(j, |w| {
            w.write_all(report.to_json().as_bytes())?;
            Ok(())
        })?;
        staged.push(s);
    }
    staged.push(iso_staged);
    commit_all(staged)?;
    Ok(report)
}

/// The root image, archive and ISO paths the tests and the demo use.
pub fn demo_paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("proto"), dir.join("mvi.iso"))
}

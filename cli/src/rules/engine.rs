//! Applying rule sets to a tree, and the report of what they did.

use super::glob::Glob;
use super::{Content, DevNum, EditOp, Op, Rule, RuleSet, RulesError};
use fstree::{escape_bytes, Data, Kind, Node, NodeId, Tree, ROOT};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::Arc;

/// Settings for [`apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Modification time of everything the rules create (the build time `T`).
    pub time: i64,
    /// Largest file an `edit` rule (or the `etc/name_to_major` lookup) reads.
    pub max_edit_bytes: u64,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            time: fstree::DEFAULT_EPOCH,
            max_edit_bytes: 16 << 20,
        }
    }
}

/// What removals took away: directory entries (names), directories, and the
/// regular files whose last name went with their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Names removed (of any type; a directory's contents count one by one).
    pub entries: u64,
    /// Directories removed.
    pub dirs: u64,
    /// Regular files that lost their last name.
    pub files: u64,
    /// Their sizes, in bytes.
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.entries += o.entries;
        self.dirs += o.dirs;
        self.files += o.files;
        self.bytes += o.bytes;
    }
}

/// What one rule did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// 1-based line of the rule in its file.
    pub line: usize,
    /// The rule as written.
    pub text: String,
    /// The directive, e.g. `remove` or `add device`.
    pub keyword: &'static str,
    /// How many entries it matched: tree entries for remove, keep,
    /// remove-empty, set and edit; twins found for remove-twins; input-tree
    /// entries for restore; 1 for an add.
    pub matched: u64,
    /// What it changed: entries restored; 1 for an add that created or
    /// replaced something; nodes whose mode or owner changed; lines deleted
    /// or appended by an edit.
    pub changed: u64,
    /// What it removed (for removal rules; a removed directory's contents
    /// count toward the rule that removed the directory).
    pub removed: Tally,
    /// Informational notes (created parents, replaced entries, where a
    /// major number came from, ...).
    pub notes: Vec<String>,
    /// The rule matched nothing (no entry for removal, keep, restore, set
    /// and edit rules; no line for `edit ... delete-lines`).
    pub unmatched: bool,
}

/// What one rule set did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetReport {
    /// The set's name.
    pub name: String,
    /// Where it came from (`builtin:NAME` or a host path).
    pub origin: String,
    /// Its description line.
    pub description: String,
    /// One outcome per rule, in file order.
    pub rules: Vec<RuleOutcome>,
    /// Everything the set removed.
    pub removed: Tally,
}

/// What [`apply`] did, set by set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleReport {
    /// One report per set, in the order applied.
    pub sets: Vec<SetReport>,
}

impl RuleReport {
    /// The report of the set named `name` (the first one, if repeated).
    pub fn set(&self, name: &str) -> Option<&SetReport> {
        self.sets.iter().find(|s| s.name == name)
    }

    /// Every rule that matched nothing, with its set, in order.
    pub fn unmatched(&self) -> Vec<(&SetReport, &RuleOutcome)> {
        self.sets
            .iter()
            .flat_map(|s| s.rules.iter().filter(|r| r.unmatched).map(move |r| (s, r)))
            .collect()
    }

    /// Human-readable summary: one line per set with what it removed, then
    /// one line per rule that matched nothing.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for set in &self.sets {
            let r = &set.removed;
            s.push_str(&format!(
                "rules {} ({}): removed {} entries ({} directories, {} files, {})\n",
                set.name,
                set.origin,
                r.entries,
                r.dirs,
                r.files,
                crate::size::human(r.bytes)
            ));
        }
        for (set, r) in self.unmatched() {
            s.push_str(&format!(
                "{}:{}: {}: matched nothing\n",
                set.origin, r.line, r.text
            ));
        }
        s
    }
}

/// A reachable directory entry and its path.
struct Walked {
    parent: NodeId,
    name: Vec<u8>,
    node: NodeId,
    path: Vec<u8>,
}

/// Every reachable entry (each name of a hard-linked node), depth first in
/// sorted order; each directory is entered once. Lazy: a walk of a large
/// tree holds one path per open directory, not one per entry.
fn walk(tree: &Tree) -> Walk<'_> {
    let mut seen = vec![false; tree.nodes.len()];
    seen[ROOT] = true;
    Walk {
        tree,
        seen,
        stack: vec![(ROOT, 0, Vec::new())],
    }
}

/// The iterator [`walk`] returns.
struct Walk<'a> {
    tree: &'a Tree,
    seen: Vec<bool>,
    stack: Vec<(NodeId, usize, Vec<u8>)>,
}

impl Iterator for Walk<'_> {
    type Item = Walked;

    fn next(&mut self) -> Option<Walked> {
        let tree = self.tree;
        while let Some((dir, idx, prefix)) = self.stack.last_mut() {
            let entries = tree.entries(*dir);
            if *idx >= entries.len() {
                self.stack.pop();
                continue;
            }
            let e = &entries[*idx];
            *idx += 1;
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(&e.name);
            let w = Walked {
                parent: *dir,
                name: e.name.clone(),
                node: e.node,
                path: path.clone(),
            };
            if is_dir(tree, e.node) && !self.seen[e.node] {
                self.seen[e.node] = true;
                self.stack.push((e.node, 0, path));
            }
            return Some(w);
        }
        None
    }
}

fn is_dir(tree: &Tree, id: NodeId) -> bool {
    matches!(tree.node(id).kind, Kind::Dir(_))
}

fn comps(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

fn shown(path: &[u8]) -> String {
    format!("/{}", escape_bytes(path))
}

/// The entry `name` of directory `dir`.
fn child(tree: &Tree, dir: NodeId, name: &[u8]) -> Option<NodeId> {
    let e = tree.entries(dir);
    e.binary_search_by(|x| x.name.as_slice().cmp(name))
        .ok()
        .map(|i| e[i].node)
}

/// Entries matching `glob`, as (path, node), in walk order.
fn matching(tree: &Tree, glob: &Glob) -> Vec<(Vec<u8>, NodeId)> {
    if let Some(paths) = glob.literal_paths() {
        return paths
            .into_iter()
            .filter_map(|p| {
                let id = tree.lookup(&p)?;
                (!glob.dir_only() || is_dir(tree, id)).then_some((p, id))
            })
            .collect();
    }
    walk(tree)
        .filter(|w| glob.matches_comps(&comps(&w.path), is_dir(tree, w.node)))
        .map(|w| (w.path, w.node))
        .collect()
}

/// Read a regular file's bytes from the tree (never more than `max`).
fn read_file(tree: &Tree, id: NodeId, max: u64, path: &[u8]) -> Result<Vec<u8>, String> {
    let Kind::File { size, data } = &tree.node(id).kind else {
        return Err(format!("{} is not a regular file", shown(path)));
    };
    if *size > max {
        return Err(format!(
            "{} is {size} bytes; rules read files of at most {max} bytes",
            shown(path)
        ));
    }
    match data {
        Data::Bytes(b) => Ok(b.to_vec()),
        Data::Zeros => Ok(vec![0; *size as usize]),
        Data::Path(host) => {
            let f = std::fs::File::open(host).map_err(|e| format!("{}: {e}", host.display()))?;
            let mut buf = Vec::new();
            f.take(max.saturating_add(1))
                .read_to_end(&mut buf)
                .map_err(|e| format!("{}: {e}", host.display()))?;
            if buf.len() as u64 != *size {
                return Err(format!(
                    "{}: changed on disk (was {size} bytes when walked, now {})",
                    host.display(),
                    buf.len()
                ));
            }
            Ok(buf)
        }
    }
}

/// `name major` lines of the tree's `etc/name_to_major` (empty when absent).
fn name_to_major(tree: &Tree, max: u64) -> Result<BTreeMap<String, u32>, String> {
    let mut map = BTreeMap::new();
    let Some(id) = tree.lookup(b"etc/name_to_major") else {
        return Ok(map);
    };
    if !matches!(tree.node(id).kind, Kind::File { .. }) {
        return Ok(map);
    }
    let text = read_file(tree, id, max, b"etc/name_to_major")?;
    for line in String::from_utf8_lossy(&text).lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut f = line.split_whitespace();
        if let (Some(name), Some(num), None) = (f.next(), f.next(), f.next()) {
            if let Ok(n) = num.parse::<u32>() {
                map.entry(name.to_string()).or_insert(n);
            }
        }
    }
    Ok(map)
}

fn delete_lines(data: &[u8], text: &[u8]) -> (Vec<u8>, u64) {
    let mut out = Vec::with_capacity(data.len());
    let mut n = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if body.windows(text.len()).any(|w| w == text) {
            n += 1;
        } else {
            out.extend_from_slice(line);
        }
    }
    (out, n)
}

fn append_line(data: &[u8], text: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(text);
    out.push(b'\n');
    out
}

fn new_node(kind: Kind, perm: u16, uid: u32, gid: u32, mtime: i64) -> Node {
    Node {
        kind,
        perm,
        uid,
        gid,
        mtime,
    }
}

/// Per-run state shared by the sets.
struct Engine<'a> {
    opts: &'a ApplyOptions,
    input: Option<Tree>,
    majors: BTreeMap<String, u32>,
}

/// Apply `sets` to `tree`, in order, and report what each rule did.
///
/// Within a set, all removal rules (`remove`, `keep`, `remove-twins`, then
/// `remove-empty`) take effect first, together; then the other rules run
/// one by one in file order. Host files are only read (an `edit` replaces a
/// node's data with the edited bytes in memory). Everything is
/// deterministic: the order of matches is the tree's sorted order.
///
/// Errors name the rule (file and line) and the tree path: an `add` whose
/// path is blocked by a non-directory, an `edit` of something that is not a
/// regular file or too large, a device whose driver has no major number, a
/// `from` file that cannot be read.
pub fn apply(
    tree: &mut Tree,
    sets: &[RuleSet],
    opts: &ApplyOptions,
) -> Result<RuleReport, RulesError> {
    let needs_input = sets
        .iter()
        .any(|s| s.rules.iter().any(|r| matches!(r.op, Op::Restore(_))));
    let mut eng = Engine {
        opts,
        input: needs_input.then(|| tree.clone()),
        majors: BTreeMap::new(),
    };
    let mut report = RuleReport::default();
    for set in sets {
        report.sets.push(eng.apply_set(tree, set)?);
    }
    Ok(report)
}

impl Engine<'_> {
    fn apply_set(&mut self, tree: &mut Tree, set: &RuleSet) -> Result<SetReport, RulesError> {
        let mut outs: Vec<RuleOutcome> = set
            .rules
            .iter()
            .map(|r| RuleOutcome {
                line: r.line,
                text: r.text.clone(),
                keyword: r.op.keyword(),
                matched: 0,
                changed: 0,
                removed: Tally::default(),
                notes: Vec::new(),
                unmatched: false,
            })
            .collect();
        let has_removal = set.rules.iter().any(|r| {
            matches!(
                r.op,
                Op::Remove(_) | Op::Keep(_) | Op::RemoveEmpty(_) | Op::RemoveTwins(_)
            )
        });
        if has_removal {
            removal_phase(tree, set, &mut outs).map_err(|(i, m)| fail(set, &set.rules[i], m))?;
        }
        let mut n2m: Option<BTreeMap<String, u32>> = None;
        for (i, rule) in set.rules.iter().enumerate() {
            let out = &mut outs[i];
            if !matches!(rule.op, Op::AddDevice { .. } | Op::Major { .. }) {
                // Any other rule may change etc/name_to_major.
                n2m = None;
            }
            let res = match &rule.op {
                Op::Remove(_) | Op::Keep(_) | Op::RemoveEmpty(_) | Op::RemoveTwins(_) => Ok(()),
                Op::Major { driver, major } => {
                    self.majors.insert(driver.clone(), *major);
                    Ok(())
                }
                Op::Restore(globs) => self.restore(tree, globs, out),
                Op::AddDevice {
                    path,
                    block,
                    major,
                    minor,
                    mode,
                    uid,
                    gid,
                } => self
                    .device_numbers(tree, &mut n2m, major, minor, out)
                    .and_then(|(ma, mi)| {
                        let kind = if *block {
                            Kind::BlockDev {
                                major: ma,
                                minor: mi,
                            }
                        } else {
                            Kind::CharDev {
                                major: ma,
                                minor: mi,
                            }
                        };
                        self.add(
                            tree,
                            path,
                            new_node(kind, *mode, *uid, *gid, self.opts.time),
                            out,
                        )
                    }),
                Op::AddDir {
                    path,
                    mode,
                    uid,
                    gid,
                } => {
                    let node = new_node(Kind::Dir(Vec::new()), *mode, *uid, *gid, self.opts.time);
                    self.add(tree, path, node, out)
                }
                Op::AddSymlink { path, target } => {
                    let node = new_node(Kind::Symlink(target.clone()), 0o777, 0, 0, self.opts.time);
                    self.add(tree, path, node, out)
                }
                Op::AddFile {
                    path,
                    mode,
                    uid,
                    gid,
                    content,
                } => file_kind(content).and_then(|kind| {
                    self.add(
                        tree,
                        path,
                        new_node(kind, *mode, *uid, *gid, self.opts.time),
                        out,
                    )
                }),
                Op::SetMode { glob, mode } => {
                    set_attrs(tree, glob, out, |n| {
                        let changed = n.perm != *mode;
                        n.perm = *mode;
                        changed
                    });
                    Ok(())
                }
                Op::SetOwner { glob, uid, gid } => {
                    set_attrs(tree, glob, out, |n| {
                        let before = (n.uid, n.gid);
                        n.uid = uid.unwrap_or(n.uid);
                        n.gid = gid.unwrap_or(n.gid);
                        before != (n.uid, n.gid)
                    });
                    Ok(())
                }
                Op::Edit { glob, op } => edit(tree, glob, op, self.opts.max_edit_bytes, out),
            };
            res.map_err(|m| fail(set, rule, m))?;
        }
        let mut removed = Tally::default();
        for (rule, out) in set.rules.iter().zip(outs.iter_mut()) {
            removed.add(&out.removed);
            out.unmatched = match &rule.op {
                Op::Remove(_)
                | Op::Keep(_)
                | Op::RemoveEmpty(_)
                | Op::RemoveTwins(_)
                | Op::Restore(_)
                | Op::SetMode { .. }
                | Op::SetOwner { .. } => out.matched == 0,
                Op::Edit {
                    op: EditOp::DeleteLines(_),
                    ..
                } => out.changed == 0,
                Op::Edit { .. } => out.matched == 0,
                _ => false,
            };
        }
        Ok(SetReport {
            name: set.name.clone(),
            origin: set.origin.clone(),
            description: set.description.clone(),
            rules: outs,
            removed,
        })
    }

    /// Resolve MAJOR and MINOR of an `add device` rule.
    fn device_numbers(
        &self,
        tree: &Tree,
        n2m: &mut Option<BTreeMap<String, u32>>,
        major: &DevNum,
        minor: &DevNum,
        out: &mut RuleOutcome,
    ) -> Result<(u32, u32), String> {
        let mut resolve = |d: &DevNum| -> Result<u32, String> {
            let name = match d {
                DevNum::Number(n) => return Ok(*n),
                DevNum::Driver(name) => name,
            };
            if n2m.is_none() {
                *n2m = Some(name_to_major(tree, self.opts.max_edit_bytes)?);
            }
            if let Some(n) = n2m.as_ref().and_then(|m| m.get(name)) {
                return Ok(*n);
            }
            match self.majors.get(name) {
                Some(n) => {
                    out.notes.push(format!(
                        "{name}: major {n} from a `major` rule (etc/name_to_major does not list it)"
                    ));
                    Ok(*n)
                }
                None => Err(format!(
                    "no major number for driver {name:?}: etc/name_to_major does not list it \
                     and no `major {name} N` rule came before"
                )),
            }
        };
        Ok((resolve(major)?, resolve(minor)?))
    }

    /// Create (or replace) `path` with `node`.
    fn add(
        &self,
        tree: &mut Tree,
        path: &[u8],
        node: Node,
        out: &mut RuleOutcome,
    ) -> Result<(), String> {
        out.matched = 1;
        let (parent, name) = self.ensure_parent(tree, path, out)?;
        let want_dir = matches!(node.kind, Kind::Dir(_));
        if let Some(old) = child(tree, parent, name) {
            match (is_dir(tree, old), want_dir) {
                (true, true) => {
                    out.notes
                        .push(format!("{} exists; left as it is", shown(path)));
                    return Ok(());
                }
                (false, true) => {
                    return Err(format!(
                        "{} exists and is not a directory (remove it first)",
                        shown(path)
                    ))
                }
                (true, false) => {
                    return Err(format!("{} is a directory (remove it first)", shown(path)))
                }
                (false, false) => {
                    tree.remove(parent, name).map_err(|e| e.to_string())?;
                    out.notes.push(format!("replaced {}", shown(path)));
                }
            }
        }
        tree.add(parent, name, node).map_err(|e| e.to_string())?;
        out.changed = 1;
        Ok(())
    }

    /// The directory that will hold `path`, creating missing ancestors
    /// (mode 0755, 0:0); returns it with the last component.
    fn ensure_parent<'p>(
        &self,
        tree: &mut Tree,
        path: &'p [u8],
        out: &mut RuleOutcome,
    ) -> Result<(NodeId, &'p [u8]), String> {
        let parts = comps(path);
        let Some((name, dirs)) = parts.split_last() else {
            return Err("the path names the root directory".into());
        };
        let mut cur = ROOT;
        let mut so_far: Vec<u8> = Vec::new();
        for d in dirs {
            if !so_far.is_empty() {
                so_far.push(b'/');
            }
            so_far.extend_from_slice(d);
            cur = match child(tree, cur, d) {
                Some(id) if is_dir(tree, id) => id,
                Some(_) => return Err(format!("{} is not a directory", shown(&so_far))),
                None => {
                    let node = new_node(Kind::Dir(Vec::new()), 0o755, 0, 0, self.opts.time);
                    out.notes
                        .push(format!("created parent directory {}", shown(&so_far)));
                    tree.add(cur, d, node).map_err(|e| e.to_string())?
                }
            };
        }
        Ok((cur, name))
    }

    /// `restore`: bring back input-tree entries that are missing now.
    fn restore(
        &self,
        tree: &mut Tree,
        globs: &[Glob],
        out: &mut RuleOutcome,
    ) -> Result<(), String> {
        let Some(input) = &self.input else {
            return Ok(());
        };
        let mut reach = vec![false; tree.nodes.len()];
        for id in tree.preorder() {
            reach[id] = true;
        }
        let mut copies: BTreeMap<NodeId, NodeId> = BTreeMap::new();
        for w in walk(input) {
            let in_dir = is_dir(input, w.node);
            if !globs
                .iter()
                .any(|g| g.matches_comps(&comps(&w.path), in_dir))
            {
                continue;
            }
            out.matched += 1;
            if tree.lookup(&w.path).is_some() {
                continue;
            }
            // Ancestors, recreated from their input metadata.
            let parts = comps(&w.path);
            let mut cur = ROOT;
            let mut so_far: Vec<u8> = Vec::new();
            let mut blocked = None;
            for d in &parts[..parts.len() - 1] {
                if !so_far.is_empty() {
                    so_far.push(b'/');
                }
                so_far.extend_from_slice(d);
                cur = match child(tree, cur, d) {
                    Some(id) if is_dir(tree, id) => id,
                    Some(_) => {
                        blocked = Some(so_far.clone());
                        break;
                    }
                    None => {
                        let src = input.lookup(&so_far).map(|i| input.node(i));
                        let node = match src {
                            Some(n) => {
                                new_node(Kind::Dir(Vec::new()), n.perm, n.uid, n.gid, n.mtime)
                            }
                            None => new_node(Kind::Dir(Vec::new()), 0o755, 0, 0, self.opts.time),
                        };
                        out.changed += 1;
                        tree.add(cur, d, node).map_err(|e| e.to_string())?
                    }
                };
            }
            if let Some(b) = blocked {
                out.notes.push(format!(
                    "cannot restore {}: {} is not a directory",
                    shown(&w.path),
                    shown(&b)
                ));
                continue;
            }
            let src = input.node(w.node);
            if in_dir {
                let node = new_node(Kind::Dir(Vec::new()), src.perm, src.uid, src.gid, src.mtime);
                tree.add(cur, &w.name, node).map_err(|e| e.to_string())?;
            } else if w.node < reach.len() && reach[w.node] {
                // Still linked elsewhere: restore the hard link.
                tree.link(cur, &w.name, w.node).map_err(|e| e.to_string())?;
            } else if let Some(&id) = copies.get(&w.node) {
                tree.link(cur, &w.name, id).map_err(|e| e.to_string())?;
            } else if w.node < tree.nodes.len() && tree.nodes[w.node] == *src {
                // Removed, and unchanged since: the tree still holds the
                // node (removal only unlinks), so link it back rather than
                // add a copy, which would hold a second host path per file
                // (a restore of 64,000 files added ~10 MB).
                tree.link(cur, &w.name, w.node).map_err(|e| e.to_string())?;
                copies.insert(w.node, w.node);
            } else {
                let id = tree
                    .add(cur, &w.name, src.clone())
                    .map_err(|e| e.to_string())?;
                copies.insert(w.node, id);
            }
            out.changed += 1;
        }
        Ok(())
    }
}

fn fail(set: &RuleSet, rule: &Rule, message: String) -> RulesError {
    RulesError::Apply {
        file: set.origin.clone(),
        line: rule.line,
        rule: rule.text.clone(),
        message,
    }
}

fn file_kind(content: &Content) -> Result<Kind, String> {
    match content {
        Content::Bytes(b) => Ok(Kind::File {
            size: b.len() as u64,
            data: Data::Bytes(Arc::from(b.as_slice())),
        }),
        Content::Host(p) => {
            let md = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if !md.is_file() {
                return Err(format!("{}: not a regular file", p.display()));
            }
            let abs = std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(Kind::File {
                size: md.len(),
                data: Data::Path(abs),
            })
        }
    }
}

/// `set mode|owner`: apply `f` to each matched node once; count names
/// matched and nodes changed.
fn set_attrs(
    tree: &mut Tree,
    glob: &Glob,
    out: &mut RuleOutcome,
    mut f: impl FnMut(&mut Node) -> bool,
) {
    let mut done = BTreeSet::new();
    for (_, id) in matching(tree, glob) {
        out.matched += 1;
        if done.insert(id) && f(&mut tree.nodes[id]) {
            out.changed += 1;
        }
    }
}

/// `edit`: change each matched regular file (once per node).
fn edit(
    tree: &mut Tree,
    glob: &Glob,
    op: &EditOp,
    max: u64,
    out: &mut RuleOutcome,
) -> Result<(), String> {
    let mut done = BTreeSet::new();
    for (path, id) in matching(tree, glob) {
        if !matches!(tree.node(id).kind, Kind::File { .. }) {
            return Err(format!("{} is not a regular file", shown(&path)));
        }
        out.matched += 1;
        if !done.insert(id) {
            continue;
        }
        let data = read_file(tree, id, max, &path)?;
        let (new, n) = match op {
            EditOp::DeleteLines(t) => delete_lines(&data, t),
            EditOp::AppendLine(t) => (append_line(&data, t), 1),
        };
        out.changed += n;
        if n > 0 {
            tree.nodes[id].kind = Kind::File {
                size: new.len() as u64,
                data: Data::Bytes(Arc::from(new.as_slice())),
            };
        }
    }
    Ok(())
}

/// Count one removed name of `id` toward `tally`; `links` holds the
/// remaining reachable names per node.
fn count_removed(tree: &Tree, links: &mut [u32], id: NodeId, tally: &mut Tally) {
    tally.entries += 1;
    match &tree.node(id).kind {
        Kind::Dir(_) => tally.dirs += 1,
        kind => {
            if let Some(l) = links.get_mut(id) {
                *l = l.saturating_sub(1);
                if *l == 0 {
                    if let Kind::File { size, .. } = kind {
                        tally.files += 1;
                        tally.bytes += size;
                    }
                }
            }
        }
    }
}

/// A directory being visited by the removal traversal.
struct Frame {
    dir: NodeId,
    /// Index of this directory's entry in its parent.
    slot: usize,
    /// The removal rule this directory falls under (its own or inherited).
    doomed: Option<usize>,
    /// Matched a `keep` rule.
    kept: bool,
    /// Some child survived removal (so this directory must stay).
    survive: bool,
    /// Next entry to visit.
    idx: usize,
    /// Indices of entries to unlink when done (ascending).
    unlink: Vec<usize>,
}

/// First matching rule of `globs` (flattened `(rule, glob)` pairs); counts a
/// match for every rule that matches (once per rule).
fn first_match(
    globs: &[(usize, &Glob)],
    path: &[&[u8]],
    is_dir: bool,
    outs: &mut [RuleOutcome],
) -> Option<usize> {
    let mut first = None;
    let mut last = None;
    for &(ri, g) in globs {
        if last == Some(ri) {
            continue;
        }
        if g.matches_comps(path, is_dir) {
            outs[ri].matched += 1;
            last = Some(ri);
            first.get_or_insert(ri);
        }
    }
    first
}

/// The removal rules of a set, applied together. On error returns the index
/// of the rule and a message.
fn removal_phase(
    tree: &mut Tree,
    set: &RuleSet,
    outs: &mut [RuleOutcome],
) -> Result<(), (usize, String)> {
    let mut removes: Vec<(usize, &Glob)> = Vec::new();
    let mut keeps: Vec<(usize, &Glob)> = Vec::new();
    let mut twin_globs: Vec<(usize, &Glob)> = Vec::new();
    for (i, r) in set.rules.iter().enumerate() {
        match &r.op {
            Op::Remove(g) => removes.extend(g.iter().map(|g| (i, g))),
            Op::Keep(g) => keeps.extend(g.iter().map(|g| (i, g))),
            Op::RemoveTwins(g) => twin_globs.extend(g.iter().map(|g| (i, g))),
            _ => {}
        }
    }
    let mut links = tree.link_counts();

    // remove-twins: for each matching directory D, the same-named
    // non-directories of D's parent.
    let mut twins: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    if !twin_globs.is_empty() {
        let mut seen_dirs = BTreeSet::new();
        for w in walk(tree) {
            if !is_dir(tree, w.node) {
                continue;
            }
            let c = comps(&w.path);
            let Some(&(ri, _)) = twin_globs.iter().find(|(_, g)| g.matches_comps(&c, true)) else {
                continue;
            };
            if !seen_dirs.insert(w.node) {
                continue;
            }
            let parent_path = &c[..c.len() - 1];
            for e in tree.entries(w.node) {
                if is_dir(tree, e.node) {
                    continue;
                }
                match child(tree, w.parent, &e.name) {
                    Some(t) if !is_dir(tree, t) => {
                        let mut p = parent_path.join(&b'/');
                        if !p.is_empty() {
                            p.push(b'/');
                        }
                        p.extend_from_slice(&e.name);
                        if let std::collections::btree_map::Entry::Vacant(v) = twins.entry(p) {
                            v.insert(ri);
                            outs[ri].matched += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    // One traversal for remove + keep + twins.
    if !removes.is_empty() || !keeps.is_empty() || !twins.is_empty() {
        let mut visited = vec![false; tree.nodes.len()];
        visited[ROOT] = true;
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut stack = vec![Frame {
            dir: ROOT,
            slot: 0,
            doomed: None,
            kept: true,
            survive: false,
            idx: 0,
            unlink: Vec::new(),
        }];
        while let Some(top) = stack.last_mut() {
            let dir = top.dir;
            let entries = tree.entries(dir);
            if top.idx < entries.len() {
                let slot = top.idx;
                top.idx += 1;
                let inherited = top.doomed;
                let (name, node) = (entries[slot].name.clone(), entries[slot].node);
                let node_is_dir = is_dir(tree, node);
                names.push(name);
                let path: Vec<&[u8]> = names.iter().map(|n| n.as_slice()).collect();
                let mut own = first_match(&removes, &path, node_is_dir, outs);
                if own.is_none() && !node_is_dir && !twins.is_empty() {
                    own = twins.get(&names.join(&b'/')).copied();
                }
                let kept = first_match(&keeps, &path, node_is_dir, outs).is_some();
                drop(path);
                let doomed = inherited.or(own);
                if node_is_dir && node < visited.len() && !visited[node] {
                    visited[node] = true;
                    stack.push(Frame {
                        dir: node,
                        slot,
                        doomed,
                        kept,
                        survive: false,
                        idx: 0,
                        unlink: Vec::new(),
                    });
                    continue;
                }
                names.pop();
                if let Some(ri) = doomed {
                    let top = stack.last_mut().expect("frame present");
                    if kept {
                        top.survive = true;
                    } else {
                        top.unlink.push(slot);
                        count_removed(tree, &mut links, node, &mut outs[ri].removed);
                    }
                }
            } else {
                let f = stack.pop().expect("frame present");
                if !f.unlink.is_empty() {
                    if let Kind::Dir(entries) = &mut tree.nodes[f.dir].kind {
                        let mut k = 0usize;
                        entries.retain(|_| {
                            let keep = f.unlink.binary_search(&k).is_err();
                            k += 1;
                            keep
                        });
                    }
                }
                let Some(parent) = stack.last_mut() else {
                    break;
                };
                names.pop();
                if let Some(ri) = f.doomed {
                    if f.kept || f.survive {
                        parent.survive = true;
                    } else {
                        parent.unlink.push(f.slot);
                        count_removed(tree, &mut links, f.dir, &mut outs[ri].removed);
                    }
                }
            }
        }
    }

    // remove-empty, rule by rule, deepest first.
    for (i, r) in set.rules.iter().enumerate() {
        let Op::RemoveEmpty(globs) = &r.op else {
            continue;
        };
        let mut cands = Vec::new();
        for w in walk(tree) {
            if !is_dir(tree, w.node) {
                continue;
            }
            let c = comps(&w.path);
            if !globs.iter().any(|g| g.matches_comps(&c, true)) {
                continue;
            }
            outs[i].matched += 1;
            if !keeps.iter().any(|(_, g)| g.matches_comps(&c, true)) {
                cands.push(w);
            }
        }
        for w in cands.iter().rev() {
            if tree.entries(w.node).is_empty() {
                tree.remove(w.parent, &w.name)
                    .map_err(|e| (i, e.to_string()))?;
                count_removed(tree, &mut links, w.node, &mut outs[i].removed);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_edits() {
        let (o, n) = delete_lines(b"a zfs\nb\nzfs 90\nc", b"zfs");
        assert_eq!((o.as_slice(), n), (&b"b\nc"[..], 2));
        let (o, n) = delete_lines(b"x\n", b"y");
        assert_eq!((o.as_slice(), n), (&b"x\n"[..], 0));
        assert_eq!(append_line(b"", b"l"), b"l\n");
        assert_eq!(append_line(b"a", b"l"), b"a\nl\n");
        assert_eq!(append_line(b"a\n", b"l"), b"a\nl\n");
    }
}

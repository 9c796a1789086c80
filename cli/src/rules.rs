//! Rule sets: mvix's pruning, its option scripts and the root fix-ups as
//! data, and the engine that applies them to an [`fstree::Tree`].
//!
//! * [`RuleSet`]: a parsed rule file ([`RuleSet::parse`], [`RuleSet::from_file`],
//!   [`RuleSet::builtin`]).
//! * [`BUILTINS`]: the built-in sets (`base`, `fixups`, and the options
//!   `32bit`, `64bit`, `extreme`, `nonet`, `nodisk`, `live`), embedded from
//!   `cli/rules/*.rules`; [`list_options`] gives their one-line descriptions
//!   and [`standard_sets`] the order a build applies them in.
//! * [`apply`]: applies sets in order to a tree (never touching host files)
//!   and returns a [`RuleReport`]: per set and per rule what matched, what was
//!   removed (entries, files, bytes) and which rules matched nothing.
//!
//! The rule-file format (the same text as `docs/RULES.md`):
//!
#![doc = include_str!("../../docs/RULES.md")]

mod engine;
mod glob;
mod parse;

pub use engine::{apply, ApplyOptions, RuleOutcome, RuleReport, SetReport, Tally};
pub use glob::{Glob, GlobError, MAX_ALTERNATIVES};

use std::path::{Path, PathBuf};

/// Errors from parsing or applying rules.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// A rule file does not parse.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// The rule file (a host path, or `builtin:NAME`).
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters) of the offending text.
        column: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A rule cannot be applied to the tree.
    #[error("{file}:{line}: {rule}: {message}")]
    Apply {
        /// The rule file (a host path, or `builtin:NAME`).
        file: String,
        /// 1-based line of the rule.
        line: usize,
        /// The rule as written.
        rule: String,
        /// What went wrong, naming the tree path.
        message: String,
    },
    /// A rule file (or a `from` file of an `add file` rule) cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The host path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An option name that is not a built-in set.
    #[error("unknown option {name:?} (the options are: {known})")]
    UnknownOption {
        /// The name given.
        name: String,
        /// The option names, comma-separated.
        known: String,
    },
}

/// Content of an `add file` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The bytes of the string given in the rule.
    Bytes(Vec<u8>),
    /// A host file (resolved against the rule file's directory), read when
    /// the image is written.
    Host(PathBuf),
}

/// A device number field: a number, or a driver name whose major number is
/// looked up (see [`Op::AddDevice`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevNum {
    /// A decimal number.
    Number(u32),
    /// The major number of this driver.
    Driver(String),
}

/// What an `edit` rule does to each matched file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOp {
    /// Delete every line containing these bytes (like `sed '/TEXT/d'` for a
    /// literal TEXT).
    DeleteLines(Vec<u8>),
    /// Append this line (a newline is added first if the file does not end
    /// with one).
    AppendLine(Vec<u8>),
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `remove GLOB...`: remove matching entries (directories with everything
    /// below them), except what the set's `keep` rules keep.
    Remove(Vec<Glob>),
    /// `keep GLOB...`: exceptions to the set's removals (the entry and its
    /// ancestors survive; its descendants are still subject to removal).
    Keep(Vec<Glob>),
    /// `remove-empty GLOB...`: remove matching directories that are empty
    /// once the set's other removals are done (`rmdir`).
    RemoveEmpty(Vec<Glob>),
    /// `remove-twins GLOB...`: for each matching directory D, remove each
    /// non-directory of D's parent that has the same name as a non-directory
    /// in D (mvi's 64bit: `cd amd64; for f in *; do rm ../$f; done`).
    RemoveTwins(Vec<Glob>),
    /// `restore GLOB...`: put back entries of the input tree (the tree given
    /// to [`apply`]) that earlier rules removed.
    Restore(Vec<Glob>),
    /// `add dir PATH MODE UID GID`.
    AddDir {
        /// Literal path.
        path: Vec<u8>,
        /// Permission bits.
        mode: u16,
        /// Owner.
        uid: u32,
        /// Group.
        gid: u32,
    },
    /// `add file PATH MODE UID GID [CONTENT | from HOSTPATH]`.
    AddFile {
        /// Literal path.
        path: Vec<u8>,
        /// Permission bits.
        mode: u16,
        /// Owner.
        uid: u32,
        /// Group.
        gid: u32,
        /// The bytes.
        content: Content,
    },
    /// `add symlink PATH TARGET`.
    AddSymlink {
        /// Literal path.
        path: Vec<u8>,
        /// Raw target bytes.
        target: Vec<u8>,
    },
    /// `add device PATH c|b MAJOR MINOR MODE UID GID`. A driver name as MAJOR
    /// or MINOR stands for that driver's major number, from the tree's
    /// `etc/name_to_major` when it lists the driver, else from a `major`
    /// rule (of this or an earlier set).
    AddDevice {
        /// Literal path.
        path: Vec<u8>,
        /// Block (`b`) rather than character (`c`) device.
        block: bool,
        /// Major number.
        major: DevNum,
        /// Minor number.
        minor: DevNum,
        /// Permission bits.
        mode: u16,
        /// Owner.
        uid: u32,
        /// Group.
        gid: u32,
    },
    /// `set mode GLOB MODE`.
    SetMode {
        /// Which entries.
        glob: Glob,
        /// New permission bits.
        mode: u16,
    },
    /// `set owner GLOB UID:GID` (`-` keeps one).
    SetOwner {
        /// Which entries.
        glob: Glob,
        /// New owner, if given.
        uid: Option<u32>,
        /// New group, if given.
        gid: Option<u32>,
    },
    /// `edit GLOB delete-lines|append-line TEXT`.
    Edit {
        /// Which regular files.
        glob: Glob,
        /// The change.
        op: EditOp,
    },
    /// `major DRIVER NUMBER`: the major number to use for DRIVER when the
    /// tree's `etc/name_to_major` does not list it.
    Major {
        /// Driver name.
        driver: String,
        /// Its major number.
        major: u32,
    },
}

impl Op {
    /// The directive word(s), e.g. `remove` or `add device`.
    pub fn keyword(&self) -> &'static str {
        match self {
            Op::Remove(_) => "remove",
            Op::Keep(_) => "keep",
            Op::RemoveEmpty(_) => "remove-empty",
            Op::RemoveTwins(_) => "remove-twins",
            Op::Restore(_) => "restore",
            Op::AddDir { .. } => "add dir",
            Op::AddFile { .. } => "add file",
            Op::AddSymlink { .. } => "add symlink",
            Op::AddDevice { .. } => "add device",
            Op::SetMode { .. } => "set mode",
            Op::SetOwner { .. } => "set owner",
            Op::Edit { .. } => "edit",
            Op::Major { .. } => "major",
        }
    }
}

/// A rule and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// 1-based line in the rule file.
    pub line: usize,
    /// 1-based column of the directive.
    pub column: usize,
    /// The rule as written (without any comment).
    pub text: String,
    /// What it does.
    pub op: Op,
}

/// A parsed rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    /// Name: the built-in name, or the file name without `.rules`.
    pub name: String,
    /// The `description` line (empty if none).
    pub description: String,
    /// Where it came from, for messages: `builtin:NAME` or the host path.
    pub origin: String,
    /// Directory that relative `from` paths of `add file` resolve against.
    pub base_dir: Option<PathBuf>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// Parse rule-file `text` as set `name`; `origin` names it in messages.
    /// Relative `add file ... from` paths stay relative to the current
    /// directory.
    pub fn parse(name: &str, origin: &str, text: &str) -> Result<RuleSet, RulesError> {
        parse::parse(name, origin, text, None)
    }

    /// Read and parse a rule file. The set is named after the file (without
    /// a `.rules` extension); relative `from` paths resolve against the
    /// file's directory.
    pub fn from_file(path: &Path) -> Result<RuleSet, RulesError> {
        let bytes = std::fs::read(path).map_err(|source| RulesError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let bytes = e.as_bytes();
                let bad = e.utf8_error().valid_up_to();
                let line_start = bytes[..bad]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                let line = bytes[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
                let column = String::from_utf8_lossy(&bytes[line_start..bad])
                    .chars()
                    .count()
                    + 1;
                return Err(RulesError::Parse {
                    file: origin,
                    line,
                    column,
                    message: "not valid UTF-8 (write other bytes as \\xHH inside a string)".into(),
                });
            }
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = name.strip_suffix(".rules").unwrap_or(&name).to_string();
        let dir = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            })
            .unwrap_or_else(|| PathBuf::from("."));
        parse::parse(&name, &origin, &text, Some(dir))
    }

    /// The built-in set `name` (see [`BUILTINS`]).
    pub fn builtin(name: &str) -> Result<RuleSet, RulesError> {
        let b =
            BUILTINS
                .iter()
                .find(|b| b.name == name)
                .ok_or_else(|| RulesError::UnknownOption {
                    name: name.to_string(),
                    known: option_names().join(", "),
                })?;
        RuleSet::parse(b.name, &format!("builtin:{}", b.name), b.text)
    }
}

/// A built-in rule set.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// Its name.
    pub name: &'static str,
    /// Whether every build applies it (`base`, `fixups`) rather than only
    /// when named with `--option`.
    pub always: bool,
    /// The rule-file text (from `cli/rules/NAME.rules`).
    pub text: &'static str,
}

/// The built-in sets, in the order `--list-options` shows them.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "base",
        always: true,
        text: include_str!("../rules/base.rules"),
    },
    Builtin {
        name: "32bit",
        always: false,
        text: include_str!("../rules/32bit.rules"),
    },
    Builtin {
        name: "64bit",
        always: false,
        text: include_str!("../rules/64bit.rules"),
    },
    Builtin {
        name: "extreme",
        always: false,
        text: include_str!("../rules/extreme.rules"),
    },
    Builtin {
        name: "nonet",
        always: false,
        text: include_str!("../rules/nonet.rules"),
    },
    Builtin {
        name: "nodisk",
        always: false,
        text: include_str!("../rules/nodisk.rules"),
    },
    Builtin {
        name: "live",
        always: false,
        text: include_str!("../rules/live.rules"),
    },
    Builtin {
        name: "fixups",
        always: true,
        text: include_str!("../rules/fixups.rules"),
    },
];

/// Names of the built-in sets selectable with `--option`.
pub fn option_names() -> Vec<&'static str> {
    BUILTINS
        .iter()
        .filter(|b| !b.always)
        .map(|b| b.name)
        .collect()
}

/// One line per built-in set for `mvi build --list-options`: name, whether
/// it is always applied, and its description.
pub fn list_options() -> Result<Vec<(&'static str, bool, String)>, RulesError> {
    BUILTINS
        .iter()
        .map(|b| Ok((b.name, b.always, RuleSet::builtin(b.name)?.description)))
        .collect()
}

/// Parse an `--option` list such as `32bit,extreme,nonet` (commas and/or
/// spaces; empty items ignored) into built-in sets, in the order given.
/// `base` and `fixups` are always applied and cannot be named.
pub fn parse_options(list: &str) -> Result<Vec<RuleSet>, RulesError> {
    let names = option_names();
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|name| {
            if !names.contains(&name) {
                return Err(RulesError::UnknownOption {
                    name: name.to_string(),
                    known: names.join(", "),
                });
            }
            RuleSet::builtin(name)
        })
        .collect()
}

/// The sets a build applies, in order: `base` (mvix's pruning), each option
/// in the order given, `fixups` (what mvix did to the root after the option
/// scripts: empty `etc/mnttab`, mount points, the `/dev` links and
/// `/devices/pseudo` nodes), then the user's rule files in order, so user
/// rules can override everything built in.
pub fn standard_sets(
    options: &[RuleSet],
    rule_files: &[PathBuf],
) -> Result<Vec<RuleSet>, RulesError> {
    let mut sets = vec![RuleSet::builtin("base")?];
    sets.extend(options.iter().cloned());
    sets.push(RuleSet::builtin("fixups")?);
    for f in rule_files {
        sets.push(RuleSet::from_file(f)?);
    }
    Ok(sets)
}

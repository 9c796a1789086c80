//! The lossless menu.lst model.
//!
//! Every byte of the file lives somewhere in the model, so
//! [`Menu::render`] gives back the exact text [`crate::parse`] read. Commands
//! keep their raw pieces (indentation, name, separator, arguments, line end)
//! and also carry GRUB's view of the name and arguments ("cooked": carriage
//! returns dropped, tabs as spaces, backslash-newline as one space; see
//! `get_line_from_config()` in illumos-gate
//! `usr/src/grub/grub-0.97/stage2/stage2.c`).
//!
//! Structure follows `cmain()` in the same file: lines before the first
//! `title` are the global section; a `title` starts an entry, and every later
//! line (blank lines and comments included) belongs to that entry until the
//! next `title`.

use std::fmt;

use crate::builtins::{builtin, Builtin};
use crate::lex::{cook, grub_int};

/// How a physical line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Eol {
    /// `\n`, the usual Unix ending.
    #[default]
    Lf,
    /// `\r\n`; GRUB drops the `\r` (stage2.c: "Skip all carriage returns").
    CrLf,
    /// No line ending: the last line of a file without a final newline.
    None,
}

impl Eol {
    /// The bytes this line ending renders as.
    pub fn as_str(self) -> &'static str {
        match self {
            Eol::Lf => "\n",
            Eol::CrLf => "\r\n",
            Eol::None => "",
        }
    }
}

/// A value that cannot go into the model because the rendered text would
/// not parse back to the same model (or would mean something else to GRUB).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A command name must be one word GRUB's `find_command()` would cut out
    /// whole: non-empty, no blanks, `=`, backslash, control characters, and
    /// not starting with `#` (that would be a comment).
    #[error("{0:?} is not a command name: it must be one non-empty word without blanks, '=', '\\', control characters or a leading '#'")]
    BadName(String),
    /// Indentation and blank lines may only hold spaces and tabs.
    #[error("{what} {value:?} may only contain spaces and tabs")]
    NotBlank {
        /// Which part was being set.
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// The separator between a command name and its arguments is a run of
    /// spaces, tabs and `=` (`skip_to(1, ...)` in cmdline.c), and must not be
    /// empty when there are arguments.
    #[error("separator {0:?} must be a run of spaces, tabs and '=' (non-empty when there are arguments)")]
    BadSeparator(String),
    /// Text that would break the line structure or that GRUB would alter.
    #[error("{what} {value:?}: {reason}")]
    BadText {
        /// Which part was being set.
        what: &'static str,
        /// The rejected value.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// An entry's title line must be a `title` command.
    #[error("an entry must start with a `title` command, not {0:?}")]
    NotATitle(String),
    /// A `title` command added to an entry's lines: GRUB would start a new
    /// entry there.
    #[error(
        "`title` starts a new entry; it cannot be a line of an entry (push a new Entry instead)"
    )]
    TitleInEntry,
    /// A `title` command inside the global section or inside an entry's
    /// lines: GRUB would start a new entry there.
    #[error(
        "line {line}: `title` can only start an entry (use Entry), not appear as an ordinary line"
    )]
    StrayTitle {
        /// 1-based line number in the rendered text.
        line: usize,
    },
    /// A global line after the first entry would be read back as part of
    /// the entry before it.
    #[error("line {line}: a global line after the first entry belongs to that entry when read back; put it in Entry::lines")]
    LineAfterEntry {
        /// 1-based line number in the rendered text.
        line: usize,
    },
    /// Only the last line of a file may lack a line ending, and it must not
    /// be empty.
    #[error("line {line}: only the last, non-empty line may have no line ending")]
    MissingEol {
        /// 1-based line number in the rendered text.
        line: usize,
    },
    /// A line ending in a backslash continues onto the next line.
    #[error("line {line}: ends in a backslash, so GRUB joins it with the next line")]
    TrailingBackslash {
        /// 1-based line number in the rendered text.
        line: usize,
    },
}

/// Rejects text that cannot sit on one line as-is.
fn check_text(what: &'static str, s: &str) -> Result<(), ModelError> {
    let bad = |reason| {
        Err(ModelError::BadText {
            what,
            value: s.to_string(),
            reason,
        })
    };
    if s.contains(['\n', '\r']) {
        return bad("contains a line break");
    }
    if s.chars()
        .any(|c| (c.is_control() && c != '\t') || c == '\u{7f}')
    {
        return bad("contains a control character");
    }
    if s.ends_with('\\') {
        return bad("ends in a backslash, which GRUB reads as a line continuation");
    }
    Ok(())
}

fn check_blank(what: &'static str, s: &str) -> Result<(), ModelError> {
    if s.chars().all(|c| c == ' ' || c == '\t') {
        Ok(())
    } else {
        Err(ModelError::NotBlank {
            what,
            value: s.to_string(),
        })
    }
}

fn is_sep(c: char) -> bool {
    c == ' ' || c == '\t' || c == '='
}

/// A whitespace-only line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blank {
    raw: String,
    eol: Eol,
}

impl Blank {
    /// An empty line ending in `\n`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A line holding only the given spaces and tabs.
    pub fn with_whitespace(ws: &str) -> Result<Self, ModelError> {
        check_blank("blank line", ws)?;
        Ok(Blank {
            raw: ws.to_string(),
            eol: Eol::Lf,
        })
    }

    pub(crate) fn from_raw(raw: &str, eol: Eol) -> Self {
        Blank {
            raw: raw.to_string(),
            eol,
        }
    }

    /// The line's raw text without its ending (blanks, possibly carriage
    /// returns and backslash-newline continuations in a parsed file).
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The line ending.
    pub fn eol(&self) -> Eol {
        self.eol
    }

    /// Replaces the line ending.
    pub fn with_eol(mut self, eol: Eol) -> Self {
        self.eol = eol;
        self
    }
}

/// A comment: optional indentation, `#`, then any text. GRUB ignores it
/// (only a `#` that is the first non-blank character starts a comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    indent: String,
    text: String,
    eol: Eol,
}

impl Comment {
    /// `#` followed by `text` (which usually starts with a space).
    pub fn new(text: &str) -> Result<Self, ModelError> {
        check_text("comment", text)?;
        Ok(Comment {
            indent: String::new(),
            text: text.to_string(),
            eol: Eol::Lf,
        })
    }

    pub(crate) fn from_raw(indent: &str, text: &str, eol: Eol) -> Self {
        Comment {
            indent: indent.to_string(),
            text: text.to_string(),
            eol,
        }
    }

    /// Sets the indentation before the `#` (spaces and tabs).
    pub fn with_indent(mut self, indent: &str) -> Result<Self, ModelError> {
        check_blank("indentation", indent)?;
        self.indent = indent.to_string();
        Ok(self)
    }

    /// Replaces the line ending.
    pub fn with_eol(mut self, eol: Eol) -> Self {
        self.eol = eol;
        self
    }

    /// Raw text before the `#`.
    pub fn indent(&self) -> &str {
        &self.indent
    }

    /// Raw text after the `#`, without the line ending.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line ending.
    pub fn eol(&self) -> Eol {
        self.eol
    }
}

/// One GRUB command line: `[indent] name [separator] [arguments]`.
///
/// `find_command()` (cmdline.c) takes the name up to the first space, tab or
/// `=`; `skip_to(1, ...)` then skips every following space, tab and `=`, so
/// `timeout 10`, `timeout=10` and `timeout = 10` are the same command. The
/// raw separator is kept so each form renders back as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    indent: String,
    raw_name: String,
    sep: String,
    raw_args: String,
    eol: Eol,
    name: String,
    args: String,
}

impl Command {
    /// `name args` with one space between (or just `name` when `args` is
    /// empty), no indentation, ending in `\n`.
    ///
    /// `args` must fit on one line, must not end in a backslash, and must
    /// not start with a space, tab or `=` (GRUB would take those as part of
    /// the separator).
    pub fn new(name: &str, args: &str) -> Result<Self, ModelError> {
        if name.is_empty()
            || name.starts_with('#')
            || name
                .chars()
                .any(|c| is_sep(c) || c == '\\' || c.is_control() || c == '\u{7f}')
        {
            return Err(ModelError::BadName(name.to_string()));
        }
        let mut cmd = Command {
            indent: String::new(),
            raw_name: name.to_string(),
            sep: String::new(),
            raw_args: String::new(),
            eol: Eol::Lf,
            name: name.to_string(),
            args: String::new(),
        };
        cmd.set_args(args)?;
        Ok(cmd)
    }

    pub(crate) fn from_raw(indent: &str, name: &str, sep: &str, args: &str, eol: Eol) -> Self {
        Command {
            indent: indent.to_string(),
            raw_name: name.to_string(),
            sep: sep.to_string(),
            raw_args: args.to_string(),
            eol,
            name: cook(name),
            args: cook(args),
        }
    }

    /// Sets the indentation (spaces and tabs).
    pub fn with_indent(mut self, indent: &str) -> Result<Self, ModelError> {
        check_blank("indentation", indent)?;
        self.indent = indent.to_string();
        Ok(self)
    }

    /// Sets the separator, e.g. `"="` or `"\t"`.
    pub fn with_separator(mut self, sep: &str) -> Result<Self, ModelError> {
        if !sep.chars().all(is_sep) || (sep.is_empty() && !self.raw_args.is_empty()) {
            return Err(ModelError::BadSeparator(sep.to_string()));
        }
        self.sep = sep.to_string();
        Ok(self)
    }

    /// Replaces the line ending.
    pub fn with_eol(mut self, eol: Eol) -> Self {
        self.eol = eol;
        self
    }

    /// Replaces the arguments (same rules as [`Command::new`]); a command
    /// that had no separator gets one space.
    pub fn set_args(&mut self, args: &str) -> Result<(), ModelError> {
        check_text("arguments", args)?;
        if args.starts_with(is_sep) {
            return Err(ModelError::BadText {
                what: "arguments",
                value: args.to_string(),
                reason:
                    "starts with a space, tab or '=', which GRUB skips as part of the separator",
            });
        }
        if !args.is_empty() && self.sep.is_empty() {
            self.sep = " ".to_string();
        }
        self.raw_args = args.to_string();
        self.args = cook(args);
        Ok(())
    }

    /// The command name as GRUB sees it, e.g. `kernel$`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The arguments as GRUB sees them: tabs as spaces, carriage returns
    /// dropped, backslash-newline as one space; trailing blanks kept.
    pub fn args(&self) -> &str {
        &self.args
    }

    /// The name exactly as written.
    pub fn raw_name(&self) -> &str {
        &self.raw_name
    }

    /// The arguments exactly as written.
    pub fn raw_args(&self) -> &str {
        &self.raw_args
    }

    /// The raw indentation.
    pub fn indent(&self) -> &str {
        &self.indent
    }

    /// The raw separator between name and arguments.
    pub fn separator(&self) -> &str {
        &self.sep
    }

    /// The line ending.
    pub fn eol(&self) -> Eol {
        self.eol
    }

    /// The command's entry in GRUB's table, if GRUB knows it.
    pub fn builtin(&self) -> Option<&'static Builtin> {
        builtin(self.name())
    }

    /// Whether this is a `title` command.
    pub fn is_title(&self) -> bool {
        self.name() == "title"
    }

    fn raw_content_into(&self, out: &mut String) {
        out.push_str(&self.indent);
        out.push_str(&self.raw_name);
        out.push_str(&self.sep);
        out.push_str(&self.raw_args);
    }

    fn render_into(&self, out: &mut String) {
        self.raw_content_into(out);
        out.push_str(self.eol.as_str());
    }
}

/// A physical-line kind: blank, comment or command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A whitespace-only line.
    Blank(Blank),
    /// A `#` comment.
    Comment(Comment),
    /// A command (in the global section: `default`, `timeout`, ...; in an
    /// entry: `kernel$`, `module$`, ...).
    Command(Command),
}

impl Line {
    /// The line ending.
    pub fn eol(&self) -> Eol {
        match self {
            Line::Blank(b) => b.eol,
            Line::Comment(c) => c.eol,
            Line::Command(c) => c.eol,
        }
    }

    /// The command, if this line is one.
    pub fn as_command(&self) -> Option<&Command> {
        match self {
            Line::Command(c) => Some(c),
            _ => None,
        }
    }

    pub(crate) fn raw_content(&self) -> String {
        let mut s = String::new();
        match self {
            Line::Blank(b) => s.push_str(&b.raw),
            Line::Comment(c) => {
                s.push_str(&c.indent);
                s.push('#');
                s.push_str(&c.text);
            }
            Line::Command(c) => c.raw_content_into(&mut s),
        }
        s
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Line::Command(c) => c.render_into(out),
            other => {
                out.push_str(&other.raw_content());
                out.push_str(other.eol().as_str());
            }
        }
    }
}

impl From<Command> for Line {
    fn from(c: Command) -> Self {
        Line::Command(c)
    }
}

impl From<Comment> for Line {
    fn from(c: Comment) -> Self {
        Line::Comment(c)
    }
}

impl From<Blank> for Line {
    fn from(b: Blank) -> Self {
        Line::Blank(b)
    }
}

/// A menu entry: its `title` line and every line up to the next `title`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    title: Command,
    /// The entry's lines after the title, in order. They must not contain a
    /// `title` command ([`Menu::validate`] checks).
    pub lines: Vec<Line>,
}

impl Entry {
    /// A new entry `title <title>` with no commands yet. The title must fit on
    /// one line and not start with a space, tab or `=` (GRUB skips those).
    pub fn new(title: &str) -> Result<Self, ModelError> {
        Ok(Entry {
            title: Command::new("title", title)?,
            lines: Vec::new(),
        })
    }

    /// An entry from an existing `title` command (keeps its raw form).
    pub fn from_title(title: Command) -> Result<Self, ModelError> {
        if !title.is_title() {
            return Err(ModelError::NotATitle(title.name().to_string()));
        }
        Ok(Entry {
            title,
            lines: Vec::new(),
        })
    }

    /// Appends a command line; rejects `title`.
    pub fn push(&mut self, cmd: Command) -> Result<&mut Self, ModelError> {
        if cmd.is_title() {
            return Err(ModelError::TitleInEntry);
        }
        self.lines.push(Line::Command(cmd));
        Ok(self)
    }

    /// The title text GRUB shows: everything after `title` and its
    /// separator, trailing blanks included (`cmain()` copies `skip_to(1, ...)`).
    pub fn title(&self) -> &str {
        self.title.args()
    }

    /// The raw `title` command.
    pub fn title_command(&self) -> &Command {
        &self.title
    }

    /// The command lines of the entry, in order.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.lines.iter().filter_map(Line::as_command)
    }

    /// The first `kernel` or `kernel$` command.
    pub fn kernel(&self) -> Option<&Command> {
        self.commands()
            .find(|c| matches!(c.name(), "kernel" | "kernel$"))
    }

    /// The `module`, `module$` and `modulenounzip` commands.
    pub fn modules(&self) -> impl Iterator<Item = &Command> {
        self.commands()
            .filter(|c| matches!(c.name(), "module" | "module$" | "modulenounzip"))
    }

    /// Whether GRUB keeps this entry: `cmain()` drops a title followed by no
    /// known command (the next title overwrites it), which renumbers every
    /// later entry.
    pub fn is_kept_by_grub(&self) -> bool {
        self.commands().any(|c| c.builtin().is_some())
    }
}

/// One top-level item of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A line of the global section (before the first entry).
    Line(Line),
    /// A menu entry.
    Entry(Entry),
}

impl From<Entry> for Item {
    fn from(e: Entry) -> Self {
        Item::Entry(e)
    }
}

impl<T: Into<Line>> From<T> for Item {
    fn from(l: T) -> Self {
        Item::Line(l.into())
    }
}

/// What `default` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultEntry {
    /// Boot entry N (0-based, counting only entries GRUB keeps).
    Index(u32),
    /// `default saved`: the number in /boot/grub/default.
    Saved,
}

/// Where a line sits, for line-numbered reports.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<'a> {
    Global(&'a Line),
    Title(&'a Entry),
    InEntry(&'a Entry, &'a Line),
}

/// A whole menu.lst.
///
/// Invariant (checked by [`Menu::validate`], guaranteed for parsed menus and
/// for menus built by [`crate::MenuSpec`]): all `Item::Line`s come before the
/// first `Item::Entry`, no `title` appears except as an entry's title, and
/// only the last line may lack a line ending. Under it,
/// `parse(&menu.render()) == Ok(menu)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Menu {
    /// Global lines, then entries, in file order.
    pub items: Vec<Item>,
}

impl Menu {
    /// An empty menu.
    pub fn new() -> Self {
        Self::default()
    }

    /// The menu as text, byte for byte what was parsed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Line(l) => l.render_into(&mut out),
                Item::Entry(e) => {
                    e.title.render_into(&mut out);
                    for l in &e.lines {
                        l.render_into(&mut out);
                    }
                }
            }
        }
        out
    }

    /// Appends a line: to the global section if there is no entry yet,
    /// otherwise to the last entry (where GRUB would read it).
    pub fn push_line(&mut self, line: impl Into<Line>) {
        let line = line.into();
        match self.items.last_mut() {
            Some(Item::Entry(e)) => e.lines.push(line),
            _ => self.items.push(Item::Line(line)),
        }
    }

    /// The lines before the first entry.
    pub fn globals(&self) -> impl Iterator<Item = &Line> {
        self.items.iter().map_while(|i| match i {
            Item::Line(l) => Some(l),
            Item::Entry(_) => None,
        })
    }

    /// The global-section commands named `name`, in order.
    pub fn global_commands<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Command> + 'a {
        self.globals()
            .filter_map(Line::as_command)
            .filter(move |c| c.name() == name)
    }

    /// Every entry, including ones GRUB drops (see [`Menu::boot_entries`]).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().filter_map(|i| match i {
            Item::Entry(e) => Some(e),
            Item::Line(_) => None,
        })
    }

    /// The entries GRUB shows, in order; `default N` and `fallback N` count
    /// these (see [`Entry::is_kept_by_grub`]).
    pub fn boot_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries().filter(|e| e.is_kept_by_grub())
    }

    /// The effective `timeout` in seconds, or `None` if GRUB waits for a key
    /// forever. GRUB starts at -1 (`init_config()`); each global `timeout`
    /// whose argument parses replaces it, one that does not (like the
    /// documented `timeout -1`) leaves it unchanged.
    pub fn timeout(&self) -> Option<u32> {
        let mut t = None;
        for c in self.global_commands("timeout") {
            if let Ok((v, _)) = grub_int(c.args()) {
                t = Some(v);
            }
        }
        t
    }

    /// The effective `default` (GRUB starts at entry 0).
    pub fn default_entry(&self) -> DefaultEntry {
        let mut d = DefaultEntry::Index(0);
        for c in self.global_commands("default") {
            if c.args() == "saved" {
                d = DefaultEntry::Saved;
            } else if let Ok((v, _)) = grub_int(c.args()) {
                d = DefaultEntry::Index(v);
            }
        }
        d
    }

    /// The effective global `min_mem64` in MB (0 means no memory check).
    pub fn min_mem64(&self) -> u32 {
        let mut m = 0;
        for c in self.global_commands("min_mem64") {
            if let Ok((v, _)) = grub_int(c.args()) {
                m = v;
            }
        }
        m
    }

    /// Every line with its 1-based line number in the rendered text.
    pub(crate) fn walk(&self) -> Vec<(usize, Slot<'_>)> {
        fn span(content: &str, eol: Eol) -> usize {
            content.bytes().filter(|&b| b == b'\n').count() + usize::from(eol != Eol::None)
        }
        let mut out = Vec::new();
        let mut line = 1;
        for item in &self.items {
            match item {
                Item::Line(l) => {
                    out.push((line, Slot::Global(l)));
                    line += span(&l.raw_content(), l.eol());
                }
                Item::Entry(e) => {
                    out.push((line, Slot::Title(e)));
                    let t = Line::Command(e.title.clone());
                    line += span(&t.raw_content(), t.eol());
                    for l in &e.lines {
                        out.push((line, Slot::InEntry(e, l)));
                        line += span(&l.raw_content(), l.eol());
                    }
                }
            }
        }
        out
    }

    /// Checks the invariant under which rendering and parsing are inverse.
    pub fn validate(&self) -> Result<(), ModelError> {
        let walk = self.walk();
        let mut seen_entry = false;
        for (i, (line, slot)) in walk.iter().enumerate() {
            let line = *line;
            let l: Line = match slot {
                Slot::Global(l) => {
                    if seen_entry {
                        return Err(ModelError::LineAfterEntry { line });
                    }
                    (*l).clone()
                }
                Slot::Title(e) => {
                    seen_entry = true;
                    if !e.title.is_title() {
                        return Err(ModelError::NotATitle(e.title.name().to_string()));
                    }
                    Line::Command(e.title.clone())
                }
                Slot::InEntry(_, l) => (*l).clone(),
            };
            if !matches!(slot, Slot::Title(..)) && l.as_command().is_some_and(Command::is_title) {
                return Err(ModelError::StrayTitle { line });
            }
            let content = l.raw_content();
            let last = i + 1 == walk.len();
            if l.eol() == Eol::None && (!last || content.is_empty()) {
                return Err(ModelError::MissingEol { line });
            }
            if l.eol() != Eol::None && content.trim_end_matches('\r').ends_with('\\') {
                return Err(ModelError::TrailingBackslash { line });
            }
        }
        Ok(())
    }
}

impl fmt::Display for Menu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// The menu as text: [`Menu::render`].
pub fn render(menu: &Menu) -> String {
    menu.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_render_and_reject_unsafe_text() {
        let c = Command::new("timeout", "10").unwrap();
        let mut m = Menu::new();
        m.push_line(c.clone().with_separator("=").unwrap());
        m.push_line(Blank::with_whitespace(" \t").unwrap());
        m.push_line(Comment::new(" hi").unwrap().with_indent("  ").unwrap());
        let mut e = Entry::new("x").unwrap();
        e.push(Command::new("kernel", "/k a").unwrap()).unwrap();
        m.items.push(e.into());
        m.push_line(Command::new("module", "/m").unwrap().with_eol(Eol::None));
        assert_eq!(
            m.render(),
            "timeout=10\n \t\n  # hi\ntitle x\nkernel /k a\nmodule /m"
        );
        m.validate().unwrap();

        assert!(Command::new("", "x").is_err());
        assert!(Command::new("#x", "").is_err());
        assert!(Command::new("a=b", "").is_err());
        assert!(Command::new("kernel", " /x").is_err());
        assert!(Command::new("kernel", "=x").is_err());
        assert!(Command::new("kernel", "/x \\").is_err());
        assert!(Command::new("kernel", "/x\n").is_err());
        assert!(Command::new("kernel", "/x\u{1}").is_err());
        assert!(c.clone().with_separator("").is_err());
        assert!(c.clone().with_separator(" x").is_err());
        assert!(Comment::new("x\\").is_err());
        assert!(Blank::with_whitespace("x").is_err());
        assert!(Entry::new(" x").is_err());
        assert!(Entry::from_title(c).is_err());
    }

    #[test]
    fn validate_catches_structures_that_do_not_read_back() {
        let mut m = Menu::new();
        m.items.push(Entry::new("a").unwrap().into());
        m.items
            .push(Item::Line(Command::new("timeout", "1").unwrap().into()));
        assert_eq!(m.validate(), Err(ModelError::LineAfterEntry { line: 2 }));

        let mut m = Menu::new();
        m.push_line(Command::new("title", "x").unwrap());
        assert_eq!(m.validate(), Err(ModelError::StrayTitle { line: 1 }));

        let mut m = Menu::new();
        m.push_line(Command::new("timeout", "1").unwrap().with_eol(Eol::None));
        m.push_line(Command::new("default", "0").unwrap());
        assert_eq!(m.validate(), Err(ModelError::MissingEol { line: 1 }));

        let mut m = Menu::new();
        m.push_line(Blank::new().with_eol(Eol::None));
        assert_eq!(m.validate(), Err(ModelError::MissingEol { line: 1 }));

        let mut e = Entry::new("a").unwrap();
        assert!(e.push(Command::new("title", "b").unwrap()).is_err());
    }
}

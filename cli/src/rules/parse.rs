//! The rule-file tokenizer and parser (format: [`crate::rules`]).

use super::glob::Glob;
use super::{Content, DevNum, EditOp, Op, Rule, RuleSet, RulesError};
use std::path::PathBuf;

/// A word of a rule line: its bytes (quotes and escapes resolved) and, for
/// each byte, the 1-based column of the character that produced it.
#[derive(Debug, Clone)]
struct Token {
    bytes: Vec<u8>,
    cols: Vec<usize>,
    col: usize,
    quoted: bool,
}

impl Token {
    fn is(&self, word: &str) -> bool {
        !self.quoted && self.bytes == word.as_bytes()
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    /// Column of byte `offset` (the token's start for an empty token).
    fn col_at(&self, offset: usize) -> usize {
        self.cols.get(offset).copied().unwrap_or(self.col)
    }
}

/// Where parse errors are reported.
struct Ctx<'a> {
    origin: &'a str,
    line: usize,
}

impl Ctx<'_> {
    fn err(&self, column: usize, message: impl Into<String>) -> RulesError {
        RulesError::Parse {
            file: self.origin.to_string(),
            line: self.line,
            column,
            message: message.into(),
        }
    }
}

/// Split one line into tokens; returns the tokens and the text before any
/// comment (trimmed), used to show the rule in reports.
fn tokenize(ctx: &Ctx, line: &str) -> Result<(Vec<Token>, String), RulesError> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut code_end = line.len();
    while i < chars.len() {
        let (at, c) = chars[i];
        let col = i + 1;
        if c == ' ' || c == '\t' {
            i += 1;
            continue;
        }
        if c == '#' {
            code_end = at;
            break;
        }
        let mut t = Token {
            bytes: Vec::new(),
            cols: Vec::new(),
            col,
            quoted: c == '"',
        };
        if c == '"' {
            i += 1;
            loop {
                let Some(&(_, c)) = chars.get(i) else {
                    return Err(ctx.err(col, "unterminated quoted string (no closing `\"`)"));
                };
                let ccol = i + 1;
                match c {
                    '"' => {
                        i += 1;
                        break;
                    }
                    '\\' => {
                        let Some(&(_, e)) = chars.get(i + 1) else {
                            return Err(ctx.err(ccol, "a backslash ends the line inside a string"));
                        };
                        let push = |t: &mut Token, b: u8| {
                            t.bytes.push(b);
                            t.cols.push(ccol);
                        };
                        match e {
                            '\\' => push(&mut t, b'\\'),
                            '"' => push(&mut t, b'"'),
                            'n' => push(&mut t, b'\n'),
                            't' => push(&mut t, b'\t'),
                            'r' => push(&mut t, b'\r'),
                            '0' => push(&mut t, 0),
                            'x' => {
                                let hex: String = chars
                                    .get(i + 2..i + 4)
                                    .map(|s| s.iter().map(|(_, c)| *c).collect())
                                    .unwrap_or_default();
                                let v = (hex.len() == 2)
                                    .then(|| u8::from_str_radix(&hex, 16).ok())
                                    .flatten()
                                    .ok_or_else(|| {
                                        ctx.err(ccol, "`\\x` needs two hex digits, like `\\x7f`")
                                    })?;
                                push(&mut t, v);
                                i += 2;
                            }
                            '*' | '?' | '{' | '}' | ',' | '[' | ']' => {
                                // Glob escapes pass through to the pattern.
                                push(&mut t, b'\\');
                                push(&mut t, e as u8);
                            }
                            _ => {
                                return Err(ctx.err(
                                    ccol,
                                    format!(
                                    "unknown escape `\\{e}` (use \\\\ \\\" \\n \\t \\r \\0 \\xHH, \
                                         or \\* \\? \\{{ \\}} \\, for glob characters)"
                                ),
                                ))
                            }
                        }
                        i += 2;
                    }
                    c => {
                        let mut buf = [0u8; 4];
                        for b in c.encode_utf8(&mut buf).bytes() {
                            t.bytes.push(b);
                            t.cols.push(ccol);
                        }
                        i += 1;
                    }
                }
            }
            if let Some(&(_, c)) = chars.get(i) {
                if c != ' ' && c != '\t' {
                    return Err(
                        ctx.err(i + 1, "expected a space after the closing `\"` of a string")
                    );
                }
            }
        } else {
            while let Some(&(_, c)) = chars.get(i) {
                if c == ' ' || c == '\t' {
                    break;
                }
                if c == '"' {
                    return Err(ctx.err(
                        i + 1,
                        "unexpected `\"` inside a word (quote the whole word)",
                    ));
                }
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    t.bytes.push(b);
                    t.cols.push(i + 1);
                }
                i += 1;
            }
        }
        toks.push(t);
    }
    Ok((toks, line[..code_end].trim().to_string()))
}

fn glob(ctx: &Ctx, t: &Token) -> Result<Glob, RulesError> {
    Glob::new(&t.bytes, &t.text())
        .map_err(|e| ctx.err(t.col_at(e.offset), format!("bad pattern: {}", e.message)))
}

/// A literal path for `add`: components as written, no glob syntax.
fn literal_path(ctx: &Ctx, t: &Token) -> Result<Vec<u8>, RulesError> {
    if t.bytes.contains(&0) {
        return Err(ctx.err(t.col, "a path cannot contain a NUL byte"));
    }
    let mut out = Vec::new();
    for comp in t.bytes.split(|&b| b == b'/') {
        if comp.is_empty() || comp == b"." {
            continue;
        }
        if comp == b".." {
            return Err(ctx.err(t.col, "`..` is not allowed in a path"));
        }
        if !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(comp);
    }
    if out.is_empty() {
        return Err(ctx.err(t.col, "the path names the root directory"));
    }
    Ok(out)
}

fn mode(ctx: &Ctx, t: &Token) -> Result<u16, RulesError> {
    let s = t.text();
    match u16::from_str_radix(&s, 8) {
        Ok(v) if v <= 0o7777 && !s.is_empty() && !s.starts_with('+') => Ok(v),
        _ => Err(ctx.err(
            t.col,
            format!("mode {s:?} is not an octal number from 0 to 7777"),
        )),
    }
}

fn id(ctx: &Ctx, t: &Token, what: &str) -> Result<u32, RulesError> {
    let s = t.text();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ctx.err(t.col, format!("{what} {s:?} is not a decimal number")));
    }
    s.parse::<u32>()
        .map_err(|_| ctx.err(t.col, format!("{what} {s} is above the limit 4294967295")))
}

fn devnum(ctx: &Ctx, t: &Token, what: &str) -> Result<DevNum, RulesError> {
    if !t.bytes.is_empty() && t.bytes.iter().all(|b| b.is_ascii_digit()) {
        return id(ctx, t, what).map(DevNum::Number);
    }
    driver_name(ctx, t).map(DevNum::Driver)
}

fn driver_name(ctx: &Ctx, t: &Token) -> Result<String, RulesError> {
    let ok = !t.bytes.is_empty()
        && t.bytes[0].is_ascii_alphabetic()
        && t.bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.,+".contains(b));
    if ok {
        Ok(t.text())
    } else {
        Err(ctx.err(
            t.col,
            format!(
                "{:?} is neither a number nor a driver name (a letter, then letters, digits, _ - . , +)",
                t.text()
            ),
        ))
    }
}

fn owner_part(
    ctx: &Ctx,
    t: &Token,
    part: &[u8],
    offset: usize,
    what: &str,
) -> Result<Option<u32>, RulesError> {
    if part == b"-" {
        return Ok(None);
    }
    let s = String::from_utf8_lossy(part);
    let col = t.col_at(offset);
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ctx.err(col, format!("{what} {s:?} is not a decimal number or `-`")));
    }
    s.parse::<u32>()
        .map(Some)
        .map_err(|_| ctx.err(col, format!("{what} {s} is above the limit 4294967295")))
}

/// Check the argument count of a directive.
fn arity(ctx: &Ctx, toks: &[Token], usage: &str, min: usize, max: usize) -> Result<(), RulesError> {
    let n = toks.len() - 1;
    if n < min {
        let end = toks
            .last()
            .map(|t| t.col + t.text().chars().count() + usize::from(t.quoted) * 2)
            .unwrap_or(1);
        return Err(ctx.err(end, format!("missing argument: usage is `{usage}`")));
    }
    if n > max {
        return Err(ctx.err(
            toks[max + 1].col,
            format!("too many arguments: usage is `{usage}`"),
        ));
    }
    Ok(())
}

fn globs(ctx: &Ctx, toks: &[Token]) -> Result<Vec<Glob>, RulesError> {
    toks.iter().map(|t| glob(ctx, t)).collect()
}

fn parse_line(
    ctx: &Ctx,
    toks: &[Token],
    base_dir: Option<&PathBuf>,
) -> Result<Option<Op>, RulesError> {
    let d = &toks[0];
    if d.quoted {
        return Err(ctx.err(d.col, "a rule starts with a directive word, not a string"));
    }
    let op = match d.bytes.as_slice() {
        b"description" => return Ok(None),
        b"remove" | b"keep" | b"remove-empty" | b"remove-twins" | b"restore" => {
            let usage = format!("{} GLOB...", d.text());
            arity(ctx, toks, &usage, 1, usize::MAX - 1)?;
            let g = globs(ctx, &toks[1..])?;
            match d.bytes.as_slice() {
                b"remove" => Op::Remove(g),
                b"keep" => Op::Keep(g),
                b"remove-empty" => Op::RemoveEmpty(g),
                b"remove-twins" => Op::RemoveTwins(g),
                _ => Op::Restore(g),
            }
        }
        b"add" => {
            let Some(kind) = toks.get(1) else {
                return Err(ctx.err(
                    d.col + 4,
                    "missing kind: usage is `add dir|file|symlink|device PATH ...`",
                ));
            };
            if kind.is("dir") {
                arity(ctx, toks, "add dir PATH MODE UID GID", 5, 5)?;
                Op::AddDir {
                    path: literal_path(ctx, &toks[2])?,
                    mode: mode(ctx, &toks[3])?,
                    uid: id(ctx, &toks[4], "uid")?,
                    gid: id(ctx, &toks[5], "gid")?,
                }
            } else if kind.is("file") {
                let usage = "add file PATH MODE UID GID [\"CONTENT\" | from HOSTPATH]";
                arity(ctx, toks, usage, 5, 7)?;
                let content = match &toks[6..] {
                    [] => Content::Bytes(Vec::new()),
                    [from, host] if from.is("from") => {
                        let rel = PathBuf::from(host.text());
                        Content::Host(match base_dir {
                            Some(b) if rel.is_relative() => b.join(rel),
                            _ => rel,
                        })
                    }
                    [from] if from.is("from") => return Err(ctx.err(
                        from.col + 4,
                        "missing host path after `from` (quote the word to mean the text \"from\")",
                    )),
                    [c] => Content::Bytes(c.bytes.clone()),
                    [_, extra] => {
                        return Err(
                            ctx.err(extra.col, format!("too many arguments: usage is `{usage}`"))
                        )
                    }
                    _ => unreachable!("arity checked"),
                };
                Op::AddFile {
                    path: literal_path(ctx, &toks[2])?,
                    mode: mode(ctx, &toks[3])?,
                    uid: id(ctx, &toks[4], "uid")?,
                    gid: id(ctx, &toks[5], "gid")?,
                    content,
                }
            } else if kind.is("symlink") {
                arity(ctx, toks, "add symlink PATH TARGET", 3, 3)?;
                let target = toks[3].bytes.clone();
                if target.is_empty() || target.contains(&0) {
                    return Err(ctx.err(
                        toks[3].col,
                        "a symlink target must be non-empty and without NUL bytes",
                    ));
                }
                Op::AddSymlink {
                    path: literal_path(ctx, &toks[2])?,
                    target,
                }
            } else if kind.is("device") {
                let usage = "add device PATH c|b MAJOR MINOR MODE UID GID";
                arity(ctx, toks, usage, 8, 8)?;
                let block = if toks[3].is("c") {
                    false
                } else if toks[3].is("b") {
                    true
                } else {
                    return Err(ctx.err(
                        toks[3].col,
                        format!(
                            "device type {:?}: want `c` (character) or `b` (block)",
                            toks[3].text()
                        ),
                    ));
                };
                Op::AddDevice {
                    path: literal_path(ctx, &toks[2])?,
                    block,
                    major: devnum(ctx, &toks[4], "major")?,
                    minor: devnum(ctx, &toks[5], "minor")?,
                    mode: mode(ctx, &toks[6])?,
                    uid: id(ctx, &toks[7], "uid")?,
                    gid: id(ctx, &toks[8], "gid")?,
                }
            } else {
                return Err(ctx.err(
                    kind.col,
                    format!(
                        "unknown kind {:?}: want dir, file, symlink or device",
                        kind.text()
                    ),
                ));
            }
        }
        b"set" => {
            let Some(what) = toks.get(1) else {
                return Err(ctx.err(
                    d.col + 4,
                    "missing attribute: usage is `set mode|owner GLOB VALUE`",
                ));
            };
            if what.is("mode") {
                arity(ctx, toks, "set mode GLOB MODE", 3, 3)?;
                Op::SetMode {
                    glob: glob(ctx, &toks[2])?,
                    mode: mode(ctx, &toks[3])?,
                }
            } else if what.is("owner") {
                arity(ctx, toks, "set owner GLOB UID:GID", 3, 3)?;
                let v = &toks[3];
                let Some(colon) = v.bytes.iter().position(|&b| b == b':') else {
                    return Err(ctx.err(
                        v.col,
                        "owner must be UID:GID (decimal ids, `-` keeps one), like 0:3",
                    ));
                };
                let uid = owner_part(ctx, v, &v.bytes[..colon], 0, "uid")?;
                let gid = owner_part(ctx, v, &v.bytes[colon + 1..], colon + 1, "gid")?;
                Op::SetOwner {
                    glob: glob(ctx, &toks[2])?,
                    uid,
                    gid,
                }
            } else {
                return Err(ctx.err(
                    what.col,
                    format!("unknown attribute {:?}: want mode or owner", what.text()),
                ));
            }
        }
        b"edit" => {
            arity(ctx, toks, "edit GLOB delete-lines|append-line TEXT", 3, 3)?;
            let text = toks[3].bytes.clone();
            let op = if toks[2].is("delete-lines") {
                if text.is_empty() {
                    return Err(ctx.err(toks[3].col, "empty text would delete every line"));
                }
                EditOp::DeleteLines(text)
            } else if toks[2].is("append-line") {
                EditOp::AppendLine(text)
            } else {
                return Err(ctx.err(
                    toks[2].col,
                    format!(
                        "unknown edit {:?}: want delete-lines or append-line",
                        toks[2].text()
                    ),
                ));
            };
            if text_has_newline(&op) {
                return Err(ctx.err(toks[3].col, "the text cannot contain a newline"));
            }
            Op::Edit {
                glob: glob(ctx, &toks[1])?,
                op,
            }
        }
        b"major" => {
            arity(ctx, toks, "major DRIVER NUMBER", 2, 2)?;
            Op::Major {
                driver: driver_name(ctx, &toks[1])?,
                major: id(ctx, &toks[2], "major")?,
            }
        }
        _ => {
            return Err(ctx.err(
                d.col,
                format!(
                    "unknown directive {:?} (want description, remove, keep, remove-empty, \
                     remove-twins, restore, add, set, edit or major)",
                    d.text()
                ),
            ))
        }
    };
    Ok(Some(op))
}

fn text_has_newline(op: &EditOp) -> bool {
    match op {
        EditOp::DeleteLines(t) | EditOp::AppendLine(t) => t.contains(&b'\n'),
    }
}

/// Parse rule-file text into a set named `name`; `origin` names the source
/// in messages; relative `from` host paths resolve against `base_dir`.
pub(super) fn parse(
    name: &str,
    origin: &str,
    text: &str,
    base_dir: Option<PathBuf>,
) -> Result<RuleSet, RulesError> {
    let mut set = RuleSet {
        name: name.to_string(),
        description: String::new(),
        origin: origin.to_string(),
        base_dir: base_dir.clone(),
        rules: Vec::new(),
    };
    let mut described_at: Option<usize> = None;
    for (n, raw) in text.split('\n').enumerate() {
        let ctx = Ctx {
            origin,
            line: n + 1,
        };
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(i) = line.find(|c: char| c.is_control() && c != '\t') {
            let col = line[..i].chars().count() + 1;
            return Err(ctx.err(
                col,
                "control character in a rule file (write it as an escape inside a string)",
            ));
        }
        let (toks, code) = tokenize(&ctx, line)?;
        let Some(first) = toks.first() else { continue };
        if first.is("description") {
            if let Some(prev) = described_at {
                return Err(ctx.err(
                    first.col,
                    format!("a second description (the first is on line {prev})"),
                ));
            }
            if toks.len() < 2 {
                return Err(ctx.err(first.col, "missing text: usage is `description TEXT...`"));
            }
            let words: Vec<String> = toks[1..].iter().map(Token::text).collect();
            set.description = words.join(" ");
            described_at = Some(n + 1);
            continue;
        }
        if let Some(op) = parse_line(&ctx, &toks, base_dir.as_ref())? {
            set.rules.push(Rule {
                line: n + 1,
                column: first.col,
                text: code,
                op,
            });
        }
    }
    Ok(set)
}

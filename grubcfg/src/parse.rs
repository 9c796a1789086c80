//! menu.lst parser.
//!
//! GRUB 0.97 never rejects a menu.lst: it silently skips what it does not
//! understand. The parser is as lenient about *structure* (unknown commands,
//! odd separators, continuations, CRLF: all kept verbatim and reported as
//! diagnostics) but refuses text whose meaning GRUB would silently change,
//! so a tool never ships a menu that does something else than it says:
//!
//! * control characters other than tab, CR and LF;
//! * a command line longer than the 1500 characters GRUB keeps
//!   (`NEW_HEAPSIZE`, shared.h; `get_line_from_config()` drops the rest);
//! * a global `default`, `timeout` or `fallback`, or any `min_mem64`, whose
//!   argument `safe_parse_maxint()` (char_io.c) would not read in full:
//!   GRUB ignores such a line and keeps the previous value. `timeout -1` (the
//!   idiom documented in the gate's menu.lst, which works because the parse
//!   fails and the built-in -1 stays) and `default saved` are accepted.

use crate::check::Diagnostic;
use crate::lex::{cook_mapped, grub_int, line_col, split_logical, IntError, GRUB_MAX_LINE};
use crate::model::{Blank, Command, Comment, Entry, Item, Line, Menu};

/// Why a menu.lst cannot be used. Every variant carries the 1-based line and
/// column (in characters) of the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not UTF-8.
    #[error("line {line}, column {column}: invalid UTF-8")]
    InvalidUtf8 {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A control character other than tab, carriage return or newline.
    #[error("line {line}, column {column}: control character U+{code:04X} in a menu.lst")]
    ControlCharacter {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The character's code point.
        code: u32,
    },
    /// A command longer than GRUB's line buffer; GRUB would cut it here.
    #[error("line {line}, column {column}: this `{command}` line is {length} bytes long; GRUB keeps only the first 1500 and silently drops the rest from here on")]
    LineTooLong {
        /// 1-based line where GRUB would cut.
        line: usize,
        /// 1-based column where GRUB would cut.
        column: usize,
        /// The command name.
        command: String,
        /// The line's length in bytes, as GRUB counts it (after indentation).
        length: usize,
    },
    /// A numeric setting GRUB would not read (and would silently ignore).
    #[error("line {line}, column {column}: `{command}` expects {expected}, found {found:?}; GRUB would ignore this line")]
    BadNumber {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The command name.
        command: String,
        /// What would have been accepted.
        expected: &'static str,
        /// The text found.
        found: String,
    },
}

impl ParseError {
    /// 1-based line of the error.
    pub fn line(&self) -> usize {
        match self {
            ParseError::InvalidUtf8 { line, .. }
            | ParseError::ControlCharacter { line, .. }
            | ParseError::LineTooLong { line, .. }
            | ParseError::BadNumber { line, .. } => *line,
        }
    }

    /// 1-based column (in characters) of the error.
    pub fn column(&self) -> usize {
        match self {
            ParseError::InvalidUtf8 { column, .. }
            | ParseError::ControlCharacter { column, .. }
            | ParseError::LineTooLong { column, .. }
            | ParseError::BadNumber { column, .. } => *column,
        }
    }
}

/// Parses a menu.lst, keeping every byte (see [`Menu::render`]).
pub fn parse(text: &str) -> Result<Menu, ParseError> {
    for (off, ch) in text.char_indices() {
        if (ch.is_control() && !matches!(ch, '\t' | '\r' | '\n')) || ch == '\u{7f}' {
            let (line, column) = line_col(text, off);
            return Err(ParseError::ControlCharacter {
                line,
                column,
                code: ch as u32,
            });
        }
    }
    let mut menu = Menu::new();
    for logical in split_logical(text) {
        let raw = &text[logical.start..logical.end];
        let (cooked, map) = cook_mapped(raw);
        let k = cooked.len() - cooked.trim_start_matches(' ').len();
        let line = if k == cooked.len() {
            Line::Blank(Blank::from_raw(raw, logical.eol))
        } else if cooked.as_bytes()[k] == b'#' {
            let hash = map[k];
            Line::Comment(Comment::from_raw(
                &raw[..hash],
                &raw[hash + 1..],
                logical.eol,
            ))
        } else {
            let rest = &cooked[k..];
            let name_end = k + rest.find([' ', '=']).unwrap_or(rest.len());
            let sep_end = name_end + cooked[name_end..].len()
                - cooked[name_end..].trim_start_matches([' ', '=']).len();
            let cmd = Command::from_raw(
                &raw[..map[k]],
                &raw[map[k]..map[name_end]],
                &raw[map[name_end]..map[sep_end]],
                &raw[map[sep_end]..],
                logical.eol,
            );
            if rest.len() > GRUB_MAX_LINE {
                // get_line_from_config() counts bytes; report the character
                // holding the first byte GRUB drops.
                let cut = (0..=GRUB_MAX_LINE)
                    .rev()
                    .find(|&i| rest.is_char_boundary(i))
                    .unwrap_or(0);
                let (line, column) = line_col(text, logical.start + map[k + cut]);
                return Err(ParseError::LineTooLong {
                    line,
                    column,
                    command: cmd.name().to_string(),
                    length: rest.len(),
                });
            }
            let in_entry = matches!(menu.items.last(), Some(Item::Entry(_)));
            check_numbers(text, logical.start + map[sep_end], &cmd, in_entry)?;
            if cmd.is_title() {
                menu.items
                    .push(Item::Entry(Entry::from_title(cmd).expect("title")));
                continue;
            }
            Line::Command(cmd)
        };
        menu.push_line(line);
    }
    Ok(menu)
}

/// [`parse`] for raw bytes, reporting invalid UTF-8 with its position.
pub fn parse_bytes(bytes: &[u8]) -> Result<Menu, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).expect("valid prefix");
            let (line, column) = line_col(valid, valid.len());
            Err(ParseError::InvalidUtf8 { line, column })
        }
    }
}

/// [`parse`] plus the structural diagnostics of [`Menu::diagnostics`]
/// (unknown commands, misplaced commands, missing timeout, ...).
pub fn parse_with_diagnostics(text: &str) -> Result<(Menu, Vec<Diagnostic>), ParseError> {
    let menu = parse(text)?;
    let diags = menu.diagnostics();
    Ok((menu, diags))
}

/// The numeric arguments GRUB would otherwise ignore without a word.
/// `args_off` is the byte offset of the raw arguments in the file.
fn check_numbers(
    text: &str,
    args_off: usize,
    cmd: &Command,
    in_entry: bool,
) -> Result<(), ParseError> {
    let (expected, allow) = match (cmd.name(), in_entry) {
        ("default", false) => ("an entry number or `saved`", "saved"),
        ("timeout", false) => ("a number of seconds (or -1 to wait forever)", "-1"),
        ("fallback", false) => ("one or more entry numbers", ""),
        ("min_mem64", _) => ("a size in MB", ""),
        _ => return Ok(()),
    };
    let args = cmd.args();
    let bad = |at: usize, found: &str| {
        // `at` is a byte offset in the cooked arguments; map it back through
        // the raw arguments (they differ only by CRs and continuations).
        let (_, map) = cook_mapped(cmd.raw_args());
        let (line, column) = line_col(text, args_off + map[at]);
        Err(ParseError::BadNumber {
            line,
            column,
            command: cmd.name().to_string(),
            expected,
            found: found.to_string(),
        })
    };
    if !allow.is_empty() && args.trim_end_matches(' ') == allow {
        // GRUB compares the whole argument with "saved" (strcmp), so a
        // trailing blank breaks it; "-1" works by failing to parse anyway.
        if cmd.name() == "default" && args != "saved" {
            return bad(0, args);
        }
        return Ok(());
    }
    let mut pos = 0;
    loop {
        let word_end = args[pos..].find(' ').map_or(args.len(), |i| pos + i);
        let word = &args[pos..word_end];
        match grub_int(word) {
            Ok((_, n)) if n == word.len() => {}
            Ok(_) | Err(IntError::NoDigits) => return bad(pos, word),
            Err(IntError::Overflow) => return bad(pos, word),
        }
        pos = word_end + args[word_end..].len() - args[word_end..].trim_start_matches(' ').len();
        if cmd.name() != "fallback" || pos >= args.len() {
            // GRUB reads one number and ignores the rest of the line; the
            // rest is harmless (`timeout 10 # comment`).
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DefaultEntry, Eol};

    fn rt(text: &str) -> Menu {
        let m = parse(text).unwrap();
        assert_eq!(m.render(), text, "round trip");
        m.validate().unwrap();
        m
    }

    #[test]
    fn separators_and_cooked_views() {
        let m = rt(
            "timeout=10\r\ndefault \t= 1 \ntitle\tA  \n  kernel$\t/k \\\r\n   -B x=y\nmodule$ /m",
        );
        let g: Vec<_> = m.globals().filter_map(Line::as_command).collect();
        assert_eq!(
            (g[0].name(), g[0].separator(), g[0].args(), g[0].eol()),
            ("timeout", "=", "10", Eol::CrLf)
        );
        assert_eq!((g[1].separator(), g[1].args()), (" \t= ", "1 "));
        assert_eq!(m.timeout(), Some(10));
        assert_eq!(m.default_entry(), DefaultEntry::Index(1));
        let e = m.entries().next().unwrap();
        assert_eq!(e.title(), "A  ");
        let k = e.kernel().unwrap();
        assert_eq!(k.indent(), "  ");
        assert_eq!(k.args(), "/k     -B x=y");
        assert_eq!(k.raw_args(), "/k \\\r\n   -B x=y");
        assert_eq!(e.modules().next().unwrap().eol(), Eol::None);
    }

    #[test]
    fn comments_blanks_and_continued_comments() {
        let m = rt("#a\n  # b \\\ntimeout 5\n\t\n\\\n\nx\\");
        let g: Vec<_> = m.globals().collect();
        assert_eq!(g.len(), 5);
        assert!(matches!(g[0], Line::Comment(c) if c.text() == "a"));
        assert!(
            matches!(g[1], Line::Comment(c) if c.indent() == "  " && c.text().ends_with("timeout 5"))
        );
        assert!(matches!(g[2], Line::Blank(b) if b.raw() == "\t"));
        assert!(matches!(g[3], Line::Blank(b) if b.raw() == "\\\n"));
        assert_eq!(m.timeout(), None, "the timeout line is inside a comment");
        assert!(matches!(g[4], Line::Command(c) if c.name() == "x\\"));
    }

    #[test]
    fn everything_after_a_title_belongs_to_the_entry() {
        let m = rt("title a\n\n# c\ntimeout 5\ntitle b\nkernel /k\n");
        let e: Vec<_> = m.entries().collect();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].lines.len(), 3);
        assert_eq!(m.timeout(), None, "timeout inside an entry is not global");
        assert_eq!(m.boot_entries().count(), 2);
        let m = rt("title a\ntitle b\nbogus\ntitle c\nroot (hd0)\n");
        let kept: Vec<_> = m.boot_entries().map(Entry::title).collect();
        assert_eq!(
            kept,
            ["c"],
            "titles without known commands are dropped by cmain()"
        );
    }

    #[test]
    fn numbers_are_checked_where_grub_reads_them() {
        rt("timeout -1\ndefault saved\nfallback 1  2 0x3\nmin_mem64 1024\ntimeout 3 # s\n");
        let e = parse("default 0\ntimeout  1O\n").unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 10), "{e}");
        assert!(matches!(e, ParseError::BadNumber { ref found, .. } if found == "1O"));
        let e = parse("default saved \n").unwrap_err();
        assert_eq!((e.line(), e.column()), (1, 9));
        let e = parse("fallback 1 x\n").unwrap_err();
        assert_eq!((e.line(), e.column()), (1, 12));
        let e = parse("timeout 99999999999\n").unwrap_err();
        assert!(matches!(e, ParseError::BadNumber { .. }));
        let e = parse("timeout\n").unwrap_err();
        assert_eq!((e.line(), e.column()), (1, 8));
        let e = parse("title x\nkernel /k\nmin_mem64 lots\n").unwrap_err();
        assert_eq!(e.line(), 3);
        // Inside an entry `timeout` is an error of another kind (a diagnostic).
        rt("title x\ntimeout soon\n");
    }

    #[test]
    fn refuses_what_grub_would_mangle() {
        let e = parse("timeout 1\ntitle a\u{0}b\n").unwrap_err();
        assert_eq!(
            e,
            ParseError::ControlCharacter {
                line: 2,
                column: 8,
                code: 0
            }
        );
        let long = format!("title x\nkernel /k {}\n", "a".repeat(1600));
        let e = parse(&long).unwrap_err();
        assert_eq!((e.line(), e.column()), (2, 1501), "{e}");
        let ok = format!("kernel {}", "a".repeat(GRUB_MAX_LINE - 7));
        rt(&ok);
        let e = parse(&format!("  kernel {}é", "a".repeat(GRUB_MAX_LINE - 8))).unwrap_err();
        assert_eq!(
            (e.line(), e.column()),
            (1, 1502),
            "the 2-byte char straddles the limit: {e}"
        );
        let e = parse_bytes(b"timeout 1\nti\xfftle\n").unwrap_err();
        assert_eq!(e, ParseError::InvalidUtf8 { line: 2, column: 3 });
    }

    #[test]
    fn odd_but_valid_inputs_round_trip() {
        for t in [
            "",
            "\n",
            "\r\n",
            "\r",
            "x",
            "title",
            "title\n",
            "=x\n",
            "  \\\n  kernel /k\n",
            "ker\\\nnel /k\n",
            "time\rout 5\n",
            "a\r\r\n",
            "\\",
            "#",
            "# \\\n",
            "title é\n  kernel$ /ñ\n",
        ] {
            rt(t);
        }
        let m = rt("time\rout 5\n");
        assert_eq!(m.timeout(), Some(5), "GRUB drops the CR inside the name");
        let m = rt("ker\\\nnel /k\n");
        let c = m.globals().next().unwrap().as_command().unwrap();
        assert_eq!((c.name(), c.args()), ("ker", "nel /k"));
    }
}

//! GRUB 0.97's line reader, reproduced as a pure function of the file text.
//!
//! `get_line_from_config()` in illumos-gate `usr/src/grub/grub-0.97/stage2/stage2.c`
//! reads menu.lst one byte at a time and:
//!
//! * drops every carriage return (`\r`), wherever it is;
//! * turns every tab into a space;
//! * treats a backslash followed by a newline (carriage returns in between
//!   are already gone) as a line continuation: the pair becomes one space;
//!   any backslash arms this, even one preceded by another backslash;
//! * skips spaces and newlines until the first other character, so blank
//!   lines and indentation vanish;
//! * treats a line whose first character is then `#` as a comment up to the
//!   next unescaped newline (so a comment ending in a backslash swallows the
//!   following line);
//! * keeps at most `NEW_HEAPSIZE` (1500) characters of a command line and
//!   silently drops the rest (shared.h).
//!
//! This module splits a file into *logical lines* (ending at an unescaped
//! newline) and "cooks" a raw slice into what GRUB sees, keeping a map back to
//! raw byte offsets so the parser can cut the raw text at the same places GRUB
//! cuts the cooked text.

use crate::model::Eol;

/// `NEW_HEAPSIZE` in shared.h: the longest command line GRUB keeps.
pub const GRUB_MAX_LINE: usize = 1500;

/// A logical line: `text[start..end]` plus how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Logical {
    pub start: usize,
    pub end: usize,
    pub eol: Eol,
}

/// Splits `text` at unescaped newlines. A newline is escaped when the last
/// byte before it that is not a carriage return is a backslash.
pub(crate) fn split_logical(text: &str) -> Vec<Logical> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..b.len() {
        if b[i] != b'\n' {
            continue;
        }
        let mut j = i;
        while j > start && b[j - 1] == b'\r' {
            j -= 1;
        }
        if j > start && b[j - 1] == b'\\' {
            continue; // continuation: the logical line goes on
        }
        let (end, eol) = if i > start && b[i - 1] == b'\r' {
            (i - 1, Eol::CrLf)
        } else {
            (i, Eol::Lf)
        };
        out.push(Logical { start, end, eol });
        start = i + 1;
    }
    if start < b.len() {
        out.push(Logical {
            start,
            end: b.len(),
            eol: Eol::None,
        });
    }
    out
}

/// What GRUB makes of `raw`, plus `map[k]` = the raw byte offset where the
/// raw text producing cooked byte `k` starts (`map[cooked.len()] == raw.len()`).
/// Dropped carriage returns belong to the cooked byte before them.
pub(crate) fn cook_mapped(raw: &str) -> (String, Vec<usize>) {
    let b = raw.as_bytes();
    let mut cooked = String::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' => i += 1,
            b'\t' => {
                cooked.push(' ');
                map.push(i);
                i += 1;
            }
            b'\\' => {
                let mut j = i + 1;
                while j < b.len() && b[j] == b'\r' {
                    j += 1;
                }
                cooked.push(if j < b.len() && b[j] == b'\n' {
                    ' '
                } else {
                    '\\'
                });
                map.push(i);
                i = if j < b.len() && b[j] == b'\n' {
                    j + 1
                } else {
                    i + 1
                };
            }
            _ => {
                // Copy one whole UTF-8 character.
                let ch = raw[i..].chars().next().expect("char boundary");
                for k in 0..ch.len_utf8() {
                    map.push(i + k);
                }
                cooked.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    map.push(b.len());
    (cooked, map)
}

/// [`cook_mapped`] without the map.
pub(crate) fn cook(raw: &str) -> String {
    cook_mapped(raw).0
}

/// Why a number did not parse the way `safe_parse_maxint()` (char_io.c) would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntError {
    NoDigits,
    Overflow,
}

/// `safe_parse_maxint()`: decimal, or hexadecimal after `0x`/`0X`, at most
/// `MAXINT` (0x7fffffff). No sign. Returns the value and the bytes consumed;
/// like GRUB it stops at the first character that is not a digit.
pub(crate) fn grub_int(s: &str) -> Result<(u32, usize), IntError> {
    let b = s.as_bytes();
    let (radix, mut i) = if b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        (16u32, 2)
    } else {
        (10u32, 0)
    };
    let mut value: u32 = 0;
    let mut found = false;
    while i < b.len() {
        let Some(d) = (b[i] as char).to_digit(radix) else {
            break;
        };
        found = true;
        if value > (0x7fff_ffff - d) / radix {
            return Err(IntError::Overflow);
        }
        value = value * radix + d;
        i += 1;
    }
    if found {
        Ok((value, i))
    } else {
        Err(IntError::NoDigits)
    }
}

/// 1-based (line, column) of byte `offset` in `text`; the column counts
/// characters.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.bytes().filter(|&c| c == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooking_follows_get_line_from_config() {
        assert_eq!(cook("a\tb"), "a b");
        assert_eq!(cook("a\r\rb"), "ab");
        assert_eq!(cook("a\\\nb"), "a b");
        assert_eq!(cook("a\\\r\r\nb"), "a b");
        assert_eq!(cook("a\\\\\nb"), "a\\ b");
        assert_eq!(cook("a\\b"), "a\\b");
        assert_eq!(cook("é\t"), "é ");
        let (c, m) = cook_mapped("x\r\\\r\ny");
        assert_eq!(c, "x y");
        assert_eq!(m, vec![0, 2, 5, 6]);
    }

    #[test]
    fn logical_lines() {
        let t = "a\nb\\\nc\r\n\\\r\n\r\nd";
        let l = split_logical(t);
        let parts: Vec<_> = l.iter().map(|l| (&t[l.start..l.end], l.eol)).collect();
        assert_eq!(
            parts,
            vec![
                ("a", Eol::Lf),
                ("b\\\nc", Eol::CrLf),
                ("\\\r\n", Eol::CrLf),
                ("d", Eol::None)
            ]
        );
        assert!(split_logical("").is_empty());
        assert_eq!(split_logical("\n").len(), 1);
    }

    #[test]
    fn numbers_follow_safe_parse_maxint() {
        assert_eq!(grub_int("10"), Ok((10, 2)));
        assert_eq!(grub_int("10abc"), Ok((10, 2)));
        assert_eq!(grub_int("0x1F"), Ok((31, 4)));
        assert_eq!(grub_int("2147483647"), Ok((2147483647, 10)));
        assert_eq!(grub_int("2147483648"), Err(IntError::Overflow));
        assert_eq!(grub_int("-1"), Err(IntError::NoDigits));
        assert_eq!(grub_int("0x"), Err(IntError::NoDigits));
        assert_eq!(grub_int(""), Err(IntError::NoDigits));
    }

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncé\nx", 3), (2, 1));
        assert_eq!(line_col("ab\ncé\nx", 7), (3, 1));
        assert_eq!(line_col("ab\ncé\nx", 6), (2, 3));
    }
}

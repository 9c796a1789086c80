//! The rule-file parser: every rule kind, and every error with its line and
//! column.

use mvi::rules::{Content, DevNum, EditOp, Op, RuleSet, RulesError};
use std::path::PathBuf;

fn parse(text: &str) -> RuleSet {
    RuleSet::parse("t", "t.rules", text).unwrap_or_else(|e| panic!("{e}"))
}

fn ops(text: &str) -> Vec<Op> {
    parse(text).rules.into_iter().map(|r| r.op).collect()
}

/// The (line, column, message) of a parse error.
fn error(text: &str) -> (usize, usize, String) {
    match RuleSet::parse("t", "t.rules", text) {
        Err(RulesError::Parse {
            file,
            line,
            column,
            message,
        }) => {
            assert_eq!(file, "t.rules");
            (line, column, message)
        }
        other => panic!("{text:?}: expected a parse error, got {other:?}"),
    }
}

fn globs(op: &Op) -> Vec<String> {
    match op {
        Op::Remove(g) | Op::Keep(g) | Op::RemoveEmpty(g) | Op::RemoveTwins(g) | Op::Restore(g) => {
            g.iter().map(|g| g.source().to_string()).collect()
        }
        Op::SetMode { glob, .. } | Op::SetOwner { glob, .. } | Op::Edit { glob, .. } => {
            vec![glob.source().to_string()]
        }
        _ => vec![],
    }
}

#[test]
fn every_rule_kind() {
    let set = parse(
        "# header comment\n\
         description  a test   set\n\
         \n\
         remove kernel/drv/{,amd64/}sd* usr/**/amd64/   # trailing comment\n\
         keep usr/bin/ls\n\
         \tremove-empty var/adm/*\n\
         remove-twins {kernel,platform}/**/amd64/\n\
         restore usr/bin/vi\n\
         add dir var/run 0755 0 3\n\
         add file etc/motd 0644 0 3 \"hi \\\"x\\\"\\n\\t\\x41\\0\"\n\
         add file etc/empty 0400 1 2\n\
         add file etc/word 0644 0 0 plain\n\
         add file etc/host 0644 0 0 from /abs/data\n\
         add symlink dev/null ../devices/pseudo/mm@0:null\n\
         add device devices/pseudo/mm@0:null c mm 2 0666 0 3\n\
         add device dev/blk b 7 4294967295 7777 4294967295 0\n\
         add device devices/pseudo/clone@0:ptm c 10 ptm 0666 0 3\n\
         set mode usr/bin/* 4555\n\
         set owner etc/** -:3\n\
         set owner etc/shadow 0:-\n\
         edit etc/{minor_perm,name_to_major} delete-lines zfs\n\
         edit etc/inittab append-line \"smf::sysinit:/etc/mvi.rc\"\n\
         major mm 38\n\
         major pci-ide 226\n",
    );
    assert_eq!(set.name, "t");
    assert_eq!(set.origin, "t.rules");
    assert_eq!(set.description, "a test set");
    let lines: Vec<usize> = set.rules.iter().map(|r| r.line).collect();
    assert_eq!(lines, (4..=24).collect::<Vec<_>>());
    assert_eq!(
        set.rules[0].text,
        "remove kernel/drv/{,amd64/}sd* usr/**/amd64/"
    );
    assert_eq!(set.rules[0].column, 1);
    assert_eq!(set.rules[2].column, 2, "a tab is one column");
    let ops: Vec<Op> = set.rules.iter().map(|r| r.op.clone()).collect();

    assert!(matches!(ops[0], Op::Remove(_)));
    assert_eq!(globs(&ops[0]), ["kernel/drv/{,amd64/}sd*", "usr/**/amd64/"]);
    assert!(matches!(ops[1], Op::Keep(_)));
    assert!(matches!(ops[2], Op::RemoveEmpty(_)));
    assert!(matches!(ops[3], Op::RemoveTwins(_)));
    assert!(matches!(ops[4], Op::Restore(_)));
    assert_eq!(
        ops[5],
        Op::AddDir {
            path: b"var/run".to_vec(),
            mode: 0o755,
            uid: 0,
            gid: 3
        }
    );
    assert_eq!(
        ops[6],
        Op::AddFile {
            path: b"etc/motd".to_vec(),
            mode: 0o644,
            uid: 0,
            gid: 3,
            content: Content::Bytes(b"hi \"x\"\n\tA\0".to_vec())
        }
    );
    assert!(
        matches!(&ops[7], Op::AddFile { content: Content::Bytes(b), mode: 0o400, uid: 1, gid: 2, .. } if b.is_empty())
    );
    assert!(matches!(&ops[8], Op::AddFile { content: Content::Bytes(b), .. } if b == b"plain"));
    assert!(
        matches!(&ops[9], Op::AddFile { content: Content::Host(p), .. } if p == &PathBuf::from("/abs/data"))
    );
    assert_eq!(
        ops[10],
        Op::AddSymlink {
            path: b"dev/null".to_vec(),
            target: b"../devices/pseudo/mm@0:null".to_vec()
        }
    );
    assert_eq!(
        ops[11],
        Op::AddDevice {
            path: b"devices/pseudo/mm@0:null".to_vec(),
            block: false,
            major: DevNum::Driver("mm".into()),
            minor: DevNum::Number(2),
            mode: 0o666,
            uid: 0,
            gid: 3
        }
    );
    assert_eq!(
        ops[12],
        Op::AddDevice {
            path: b"dev/blk".to_vec(),
            block: true,
            major: DevNum::Number(7),
            minor: DevNum::Number(u32::MAX),
            mode: 0o7777,
            uid: u32::MAX,
            gid: 0
        }
    );
    assert!(
        matches!(&ops[13], Op::AddDevice { major: DevNum::Number(10), minor: DevNum::Driver(d), .. } if d == "ptm")
    );
    assert!(matches!(ops[14], Op::SetMode { mode: 0o4555, .. }));
    assert!(matches!(
        ops[15],
        Op::SetOwner {
            uid: None,
            gid: Some(3),
            ..
        }
    ));
    assert!(matches!(
        ops[16],
        Op::SetOwner {
            uid: Some(0),
            gid: None,
            ..
        }
    ));
    assert!(matches!(&ops[17], Op::Edit { op: EditOp::DeleteLines(t), .. } if t == b"zfs"));
    assert_eq!(globs(&ops[17]), ["etc/{minor_perm,name_to_major}"]);
    assert!(
        matches!(&ops[18], Op::Edit { op: EditOp::AppendLine(t), .. } if t == b"smf::sysinit:/etc/mvi.rc")
    );
    assert_eq!(
        ops[19],
        Op::Major {
            driver: "mm".into(),
            major: 38
        }
    );
    assert!(matches!(&ops[20], Op::Major { driver, major: 226 } if driver == "pci-ide"));
    let kw: Vec<&str> = ops.iter().map(Op::keyword).collect();
    assert_eq!(
        kw[..6],
        [
            "remove",
            "keep",
            "remove-empty",
            "remove-twins",
            "restore",
            "add dir"
        ]
    );
}

#[test]
fn words_quotes_comments_and_line_endings() {
    // `#` only starts a comment at the start of a word.
    let o = ops("remove a#b #c\r\nremove \"with space\" \"\\*lit\"\r\n");
    assert_eq!(globs(&o[0]), ["a#b"]);
    let g = match &o[1] {
        Op::Remove(g) => g.clone(),
        _ => unreachable!(),
    };
    assert!(g[0].matches(b"with space", false));
    assert!(g[1].matches(b"*lit", false));
    assert!(
        !g[1].matches(b"xlit", false),
        "\\* in a string stays a glob escape"
    );
    // A leading slash on add paths is ignored, as are `.` and empty components.
    assert!(
        matches!(&ops("add dir /./a//b/ 0755 0 0")[0], Op::AddDir { path, .. } if path == b"a/b")
    );
    // Non-ASCII text and \xHH bytes in paths.
    assert!(
        matches!(&ops("add dir \"caf\u{e9}\\xff\" 0755 0 0")[0], Op::AddDir { path, .. } if path == b"caf\xc3\xa9\xff")
    );
    // Comments and blank lines only.
    assert!(parse("# nothing\n\n   \n\t# more\n").rules.is_empty());
    assert_eq!(parse("").description, "");
}

#[test]
fn from_paths_resolve_against_the_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("site.rules");
    std::fs::write(
        &f,
        "add file etc/a 0644 0 0 from data/a.txt\nadd file etc/b 0644 0 0 from /x/b\n",
    )
    .unwrap();
    let set = RuleSet::from_file(&f).unwrap();
    assert_eq!(set.name, "site");
    assert_eq!(set.origin, f.display().to_string());
    assert!(
        matches!(&set.rules[0].op, Op::AddFile { content: Content::Host(p), .. } if p == &dir.path().join("data/a.txt"))
    );
    assert!(
        matches!(&set.rules[1].op, Op::AddFile { content: Content::Host(p), .. } if p == &PathBuf::from("/x/b"))
    );
    // Missing file: an I/O error naming it.
    let e = RuleSet::from_file(&dir.path().join("nope.rules")).unwrap_err();
    assert!(matches!(e, RulesError::Io { .. }));
    assert!(e.to_string().contains("nope.rules"));
    // Not UTF-8: line and column of the first bad byte.
    let bad = dir.path().join("bad.rules");
    std::fs::write(&bad, b"remove a\nremove b\xffc\n").unwrap();
    match RuleSet::from_file(&bad).unwrap_err() {
        RulesError::Parse {
            line,
            column,
            message,
            ..
        } => {
            assert_eq!((line, column), (2, 9));
            assert!(message.contains("UTF-8"));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn errors_name_line_and_column() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("frobnicate x", 1, 1, "unknown directive"),
        ("# c\n\n   frob", 3, 4, "unknown directive"),
        ("remove", 1, 7, "missing argument"),
        ("remove kernel/{a,b", 1, 15, "unclosed `{`"),
        ("keep  a/b**", 1, 10, "whole path component"),
        ("remove a}b", 1, 9, "unmatched `}`"),
        ("remove a/../b", 1, 10, "`..` components"),
        ("remove \"{,}\"", 1, 9, "empty"),
        (
            "remove {a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}{a,b,c,d}",
            1,
            8,
            "alternatives",
        ),
        ("add file x 0644 0 0 \"abc", 1, 21, "unterminated"),
        ("add file x 0644 0 0 \"a\\qb\"", 1, 23, "unknown escape"),
        ("add file x 0644 0 0 \"\\x4\"", 1, 22, "two hex digits"),
        ("remove ab\"c", 1, 10, "inside a word"),
        ("remove \"a\"b", 1, 11, "space after the closing"),
        ("add dir x 0855 0 0", 1, 11, "octal"),
        ("add dir x 17777 0 0", 1, 11, "octal"),
        (
            "add dir x 0755 root 0",
            1,
            16,
            "uid \"root\" is not a decimal",
        ),
        ("add dir x 0755 0 4294967296", 1, 18, "above the limit"),
        ("add fifo x", 1, 5, "unknown kind"),
        ("add", 1, 5, "missing kind"),
        ("add dir x 0755 0 0 extra", 1, 20, "too many arguments"),
        ("add dir x 0755 0", 1, 17, "missing argument"),
        ("add device x z 1 2 0600 0 0", 1, 14, "want `c`"),
        (
            "add device x c 9abc 0 0600 0 0",
            1,
            16,
            "neither a number nor a driver name",
        ),
        ("add symlink x \"\"", 1, 15, "non-empty"),
        ("add dir a/../b 0755 0 0", 1, 9, "`..` is not allowed"),
        ("add dir / 0755 0 0", 1, 9, "root directory"),
        ("add file a 0644 0 0 from", 1, 25, "missing host path"),
        ("add file a 0644 0 0 from x y", 1, 28, "too many arguments"),
        ("set color x 1", 1, 5, "unknown attribute"),
        ("set", 1, 5, "missing attribute"),
        ("set mode x", 1, 11, "missing argument"),
        ("set owner x 0-3", 1, 13, "UID:GID"),
        ("set owner x 0:abc", 1, 15, "gid \"abc\""),
        ("set owner x abc:0", 1, 13, "uid \"abc\""),
        ("edit x replace a", 1, 8, "unknown edit"),
        ("edit x delete-lines \"\"", 1, 21, "every line"),
        ("edit x append-line \"a\\nb\"", 1, 20, "newline"),
        (
            "description one\ndescription two",
            2,
            1,
            "second description (the first is on line 1)",
        ),
        ("description", 1, 1, "missing text"),
        ("\"remove\" x", 1, 1, "directive word"),
        ("remove a\u{1}b", 1, 9, "control character"),
        ("major 9x 5", 1, 7, "driver name"),
        ("major mm abc", 1, 10, "not a decimal"),
        ("remove a b\nremove ok\nremove x/{", 3, 10, "unclosed"),
    ];
    for &(text, line, col, msg) in cases {
        let (l, c, m) = error(text);
        assert_eq!((l, c), (line, col), "{text:?}: {m}");
        assert!(m.contains(msg), "{text:?}: {m:?} should contain {msg:?}");
    }
}

#[test]
fn error_display_is_file_line_column_message() {
    let e = RuleSet::parse("x", "site.rules", "remove ok\nkeep a/{b").unwrap_err();
    assert_eq!(
        e.to_string(),
        "site.rules:2:8: bad pattern: unclosed `{` (no matching `}`)"
    );
}

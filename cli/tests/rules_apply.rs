//! The rule engine's semantics on small trees: removal with keep
//! exceptions, remove-empty, remove-twins, restore, add, set, edit, major,
//! errors and the report.

mod rules_common;

use fstree::{Data, Kind, Tree};
use mvi::rules::{apply, ApplyOptions, RuleReport, RuleSet, RulesError, Tally};
use rules_common::{exists, paths, text, Builder};

const T: i64 = 1_451_606_400;

fn opts() -> ApplyOptions {
    ApplyOptions {
        time: T,
        max_edit_bytes: 1 << 20,
    }
}

fn set(name: &str, text: &str) -> RuleSet {
    RuleSet::parse(name, &format!("{name}.rules"), text).unwrap_or_else(|e| panic!("{e}"))
}

fn run(t: &mut Tree, sets: &[(&str, &str)]) -> RuleReport {
    let sets: Vec<RuleSet> = sets.iter().map(|(n, s)| set(n, s)).collect();
    apply(t, &sets, &opts()).unwrap_or_else(|e| panic!("{e}"))
}

fn run_err(t: &mut Tree, rules: &str) -> String {
    match apply(t, &[set("t", rules)], &opts()) {
        Err(e @ RulesError::Apply { .. }) => e.to_string(),
        other => panic!("expected an apply error, got {other:?}"),
    }
}

fn names(t: &Tree) -> Vec<String> {
    paths(t).into_keys().collect()
}

fn small() -> Tree {
    let mut b = Builder::new();
    b.file("usr/bin/ls", 100);
    b.file("usr/bin/cat", 200);
    b.file("usr/lib/libc.so.1", 1000);
    b.file("usr/lib/x/y", 10);
    b.text("usr/share/man/ls.1", "man\n");
    b.text("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    b.t
}

#[test]
fn keep_saves_the_entry_and_its_ancestors_only() {
    let mut t = small();
    let r = run(&mut t, &[("a", "remove usr\nkeep usr/bin/ls usr/lib/x\n")]);
    assert_eq!(
        names(&t),
        [
            "etc",
            "etc/passwd",
            "usr",
            "usr/bin",
            "usr/bin/ls",
            "usr/lib",
            "usr/lib/x"
        ]
    );
    let s = r.set("a").unwrap();
    assert_eq!(s.rules[0].matched, 1, "remove matched usr itself");
    assert_eq!(s.rules[1].matched, 2, "keep matched two entries");
    assert_eq!(
        s.rules[0].removed,
        Tally {
            entries: 6, // cat, libc, x/y, share, share/man, share/man/ls.1
            dirs: 2,
            files: 4,
            bytes: 200 + 1000 + 10 + 4,
        }
    );
    assert_eq!(s.removed, s.rules[0].removed);
    assert!(!s.rules.iter().any(|o| o.unmatched));

    // `keep DIR/**` keeps a subtree.
    let mut t = small();
    run(&mut t, &[("a", "remove usr\nkeep usr/lib/**\n")]);
    assert_eq!(
        names(&t),
        [
            "etc",
            "etc/passwd",
            "usr",
            "usr/lib",
            "usr/lib/libc.so.1",
            "usr/lib/x",
            "usr/lib/x/y"
        ]
    );

    // `keep` only protects against its own set's removals.
    let mut t = small();
    run(
        &mut t,
        &[("a", "keep usr/bin/ls\n"), ("b", "remove usr/bin\n")],
    );
    assert!(!exists(&t, "usr/bin"));

    // `remove **` empties the tree but never removes the root.
    let mut t = small();
    run(&mut t, &[("a", "remove **\n")]);
    assert!(names(&t).is_empty());
}

#[test]
fn hard_links_free_bytes_with_their_last_name() {
    let mut b = Builder::new();
    b.file("a/f", 1000);
    b.hardlink("b/g", "a/f");
    b.hardlink("b/h", "a/f");
    let mut t = b.t;
    let r = run(
        &mut t,
        &[("one", "remove a\n"), ("two", "remove b/g b/h\n")],
    );
    let one = r.set("one").unwrap();
    assert_eq!(
        (one.removed.entries, one.removed.files, one.removed.bytes),
        (2, 0, 0)
    );
    let two = r.set("two").unwrap();
    assert_eq!(
        (two.removed.entries, two.removed.files, two.removed.bytes),
        (2, 1, 1000)
    );
    assert_eq!(names(&t), ["b"]);
}

#[test]
fn directory_only_patterns() {
    let mut b = Builder::new();
    b.file("lib/amd64/libc.so.1", 5);
    b.file("lib/x/amd64", 5); // a file named amd64
    b.symlink("lib/64", "amd64");
    let mut t = b.t;
    run(&mut t, &[("a", "remove **/amd64/\n")]);
    assert_eq!(names(&t), ["lib", "lib/64", "lib/x", "lib/x/amd64"]);
}

#[test]
fn remove_empty_is_rmdir_deepest_first() {
    let mut b = Builder::new();
    b.dir("var/empty");
    b.file("var/full/f", 1);
    b.dir("var/nest/inner");
    b.dir("var/kept");
    b.file("var/file", 1);
    let mut t = b.t;
    let r = run(
        &mut t,
        &[(
            "a",
            "remove-empty var/* var/nest/inner\nkeep var/kept\nremove var/full/f\n",
        )],
    );
    // var/full is emptied by this set's remove, then rmdir'd; var/nest goes
    // after var/nest/inner; var/kept is kept; var/file is not a directory.
    assert_eq!(names(&t), ["var", "var/file", "var/kept"]);
    let o = &r.set("a").unwrap().rules[0];
    assert_eq!(o.matched, 5);
    assert_eq!((o.removed.entries, o.removed.dirs), (4, 4));
}

#[test]
fn remove_twins_pairs_non_directories_only() {
    let mut b = Builder::new();
    b.file("k/drv/amd64/sd", 30);
    b.file("k/drv/sd", 20);
    b.file("k/drv/amd64/only64", 30);
    b.file("k/drv/only32", 20);
    b.file("k/drv/sd.conf", 1);
    b.dir("k/drv/amd64/sub");
    b.file("k/drv/sub", 1); // twin of a directory: kept
    b.file("k/drv/amd64/dirtwin", 1);
    b.dir("k/drv/dirtwin"); // a directory twin: kept
    b.file("other/amd64/x", 1);
    b.file("other/x", 1); // not under the pattern
    let mut t = b.t;
    let r = run(&mut t, &[("64", "remove-twins k/**/amd64/\n")]);
    assert!(!exists(&t, "k/drv/sd"));
    for p in [
        "k/drv/amd64/sd",
        "k/drv/only32",
        "k/drv/amd64/only64",
        "k/drv/sd.conf",
        "k/drv/sub",
        "k/drv/dirtwin",
        "other/x",
    ] {
        assert!(exists(&t, p), "{p}");
    }
    let o = &r.set("64").unwrap().rules[0];
    assert_eq!((o.matched, o.removed.files, o.removed.bytes), (1, 1, 20));
}

#[test]
fn restore_brings_back_input_entries() {
    let mut b = Builder::new();
    b.file("usr/bin/vi", 300);
    b.hardlink("usr/bin/view", "usr/bin/vi");
    b.file("usr/bin/ls", 100);
    b.file("usr/lib/a/b", 5);
    let usr = b.t.lookup(b"usr").unwrap();
    b.t.nodes[usr].perm = 0o751;
    let input = b.t.clone();
    let mut t = b.t;
    let r = run(
        &mut t,
        &[
            ("strip", "remove usr\n"),
            (
                "back",
                "restore usr/bin/vi usr/bin/view\nrestore usr/lib\nrestore nothing/here\n",
            ),
        ],
    );
    assert_eq!(
        names(&t),
        ["usr", "usr/bin", "usr/bin/vi", "usr/bin/view", "usr/lib"]
    );
    let vi = t.lookup(b"usr/bin/vi").unwrap();
    assert_eq!(t.lookup(b"usr/bin/view"), Some(vi), "still one file");
    assert_eq!(t.link_counts()[vi], 2);
    assert_eq!(t.node(vi), input.node(input.lookup(b"usr/bin/vi").unwrap()));
    let usr = t.node(t.lookup(b"usr").unwrap());
    assert_eq!(
        (usr.perm, usr.gid, usr.mtime),
        (0o751, 3, 1_000_000),
        "input metadata"
    );
    assert!(t.entries(t.lookup(b"usr/lib").unwrap()).is_empty());
    let back = r.set("back").unwrap();
    assert_eq!((back.rules[0].matched, back.rules[0].changed), (2, 4));
    assert!(back.rules[2].unmatched);

    // A subtree with `**`; a file still linked elsewhere is re-linked.
    let mut t = input.clone();
    run(
        &mut t,
        &[
            ("strip", "remove usr/lib usr/bin/view\n"),
            ("back", "restore usr/lib/** usr/bin/view\n"),
        ],
    );
    assert_eq!(names(&t), names(&input));
    assert_eq!(t.lookup(b"usr/bin/view"), t.lookup(b"usr/bin/vi"));

    // A non-directory in the way: a note, not an error.
    let mut t = input.clone();
    let r = run(
        &mut t,
        &[
            ("strip", "remove usr\nadd file usr 0644 0 0 x\n"),
            ("back", "restore usr/bin/ls\n"),
        ],
    );
    let o = &r.set("back").unwrap().rules[0];
    assert_eq!((o.matched, o.changed), (1, 0));
    assert_eq!(
        o.notes,
        ["cannot restore /usr/bin/ls: /usr is not a directory"]
    );
}

#[test]
fn add_creates_replaces_and_refuses() {
    let mut t = Tree::new(0);
    let r = run(
        &mut t,
        &[(
            "a",
            "add file a/b/c 0600 1 2 \"hi\\n\"\n\
             add symlink a/l ../x\n\
             add device a/d c 7 9 0640 0 3\n\
             add device a/bd b 1 2 0600 0 0\n\
             add dir a/b 0700 5 5\n\
             add file a/l 0644 0 0 replaced\n",
        )],
    );
    let n = |p: &str| t.node(t.lookup(p.as_bytes()).unwrap()).clone();
    let c = n("a/b/c");
    assert_eq!((c.perm, c.uid, c.gid, c.mtime), (0o600, 1, 2, T));
    assert_eq!(text(&t, "a/b/c"), "hi\n");
    let a = n("a");
    assert_eq!((a.perm, a.uid, a.gid), (0o755, 0, 0), "created parent");
    assert!(matches!(
        n("a/d").kind,
        Kind::CharDev { major: 7, minor: 9 }
    ));
    assert!(matches!(
        n("a/bd").kind,
        Kind::BlockDev { major: 1, minor: 2 }
    ));
    assert_eq!(
        n("a/b").perm,
        0o755,
        "add dir leaves an existing directory alone"
    );
    assert_eq!(text(&t, "a/l"), "replaced");
    let s = r.set("a").unwrap();
    assert_eq!(
        s.rules[0].notes,
        [
            "created parent directory /a",
            "created parent directory /a/b"
        ]
    );
    assert_eq!(s.rules[4].notes, ["/a/b exists; left as it is"]);
    assert_eq!(s.rules[5].notes, ["replaced /a/l"]);
    assert!(s.rules.iter().all(|o| o.matched == 1 && !o.unmatched));

    let mut t = Tree::new(0);
    run(&mut t, &[("a", "add symlink s t\n")]);
    let s = t.node(t.lookup(b"s").unwrap());
    assert_eq!((s.perm, s.uid, s.gid), (0o777, 0, 0));

    for (rules, want) in [
        (
            "add file d/f 0644 0 0\nadd file d 0644 0 0",
            "t.rules:2: add file d 0644 0 0: /d is a directory (remove it first)",
        ),
        (
            "add file f 0644 0 0\nadd dir f 0755 0 0",
            "t.rules:2: add dir f 0755 0 0: /f exists and is not a directory (remove it first)",
        ),
        (
            "add file f 0644 0 0\nadd dir f/g 0755 0 0",
            "t.rules:2: add dir f/g 0755 0 0: /f is not a directory",
        ),
        (
            "add device x c nodrv 0 0600 0 0",
            "no major number for driver \"nodrv\"",
        ),
        (
            "add file x 0644 0 0 from /nonexistent/mvi-rules-test",
            "/nonexistent/mvi-rules-test",
        ),
    ] {
        let e = run_err(&mut Tree::new(0), rules);
        assert!(e.contains(want), "{e:?} should contain {want:?}");
    }
}

#[test]
fn add_file_from_a_host_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/motd"), "welcome\n").unwrap();
    let rules = dir.path().join("site.rules");
    std::fs::write(&rules, "add file etc/motd 0644 0 3 from data/motd\n").unwrap();
    let mut t = Tree::new(0);
    apply(&mut t, &[RuleSet::from_file(&rules).unwrap()], &opts()).unwrap();
    let n = t.node(t.lookup(b"etc/motd").unwrap());
    match &n.kind {
        Kind::File {
            size: 8,
            data: Data::Path(p),
        } => assert_eq!(p, &dir.path().join("data/motd")),
        k => panic!("{k:?}"),
    }
    let e = run_err(
        &mut Tree::new(0),
        &format!("add file x 0644 0 0 from {}", dir.path().display()),
    );
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn device_majors_come_from_name_to_major_then_major_rules() {
    let mut b = Builder::new();
    b.text(
        "etc/name_to_major",
        "# comment\nmm 38 # trailing\nbad line here\nclone 10\ncn notanumber\n\n",
    );
    let mut t = b.t;
    let r = run(
        &mut t,
        &[
            ("defaults", "major cn 13\nmajor mm 99\n"),
            (
                "devs",
                "add device null c mm 2 0666 0 3\n\
                 major ptm 5\n\
                 add device ptm c clone ptm 0666 0 3\n\
                 add device con c cn 0 0620 0 7\n",
            ),
        ],
    );
    let dev = |p: &str| match t.node(t.lookup(p.as_bytes()).unwrap()).kind {
        Kind::CharDev { major, minor } => (major, minor),
        ref k => panic!("{k:?}"),
    };
    assert_eq!(dev("null"), (38, 2), "name_to_major wins over major rules");
    assert_eq!(dev("ptm"), (10, 5));
    assert_eq!(dev("con"), (13, 0), "an unparsable line is skipped");
    let _ = r;
    // A major rule after the device it would serve does not apply.
    let e = run_err(
        &mut Tree::new(0),
        "add device ptm c 10 ptm 0666 0 3\nmajor ptm 5",
    );
    assert!(
        e.starts_with("t.rules:1: add device ptm c 10 ptm 0666 0 3: no major number"),
        "{e}"
    );
}

#[test]
fn set_mode_and_owner() {
    let mut b = Builder::new();
    b.file("bin/a", 1);
    b.hardlink("bin/b", "bin/a");
    b.file("bin/c", 1);
    let mut t = b.t;
    let r = run(
        &mut t,
        &[(
            "s",
            "set mode bin/* 4555\nset owner bin/* 7:-\nset owner bin/c -:9\nset mode bin 0755\n",
        )],
    );
    let n = |p: &str| t.node(t.lookup(p.as_bytes()).unwrap()).clone();
    assert_eq!(
        (n("bin/a").perm, n("bin/a").uid, n("bin/a").gid),
        (0o4555, 7, 3)
    );
    assert_eq!(
        (n("bin/c").perm, n("bin/c").uid, n("bin/c").gid),
        (0o4555, 7, 9)
    );
    let o = &r.set("s").unwrap().rules;
    assert_eq!(
        (o[0].matched, o[0].changed),
        (3, 2),
        "three names, two files"
    );
    assert_eq!((o[2].matched, o[2].changed), (1, 1));
    assert_eq!((o[3].matched, o[3].changed), (1, 0), "bin was 0755 already");
}

#[test]
fn rules_after_removal_run_in_file_order() {
    let mut t = Tree::new(0);
    let r = run(
        &mut t,
        &[(
            "o",
            "set mode f 0600\nadd file f 0644 0 0\nset mode f 0640\nremove f\n",
        )],
    );
    // The removal ran first (nothing to remove yet), then the rest in order.
    assert_eq!(t.node(t.lookup(b"f").unwrap()).perm, 0o640);
    let o = &r.set("o").unwrap().rules;
    assert!(o[0].unmatched && !o[2].unmatched && o[3].unmatched);
}

#[test]
fn edits_change_the_tree_not_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("name_to_major");
    std::fs::write(&host, "mm 38\nzfs 90\nzfsx 91\n").unwrap();
    let mut b = Builder::new();
    b.dir("etc");
    let etc = b.t.lookup(b"etc").unwrap();
    b.t.add(
        etc,
        b"name_to_major",
        fstree::Node {
            kind: Kind::File {
                size: 21,
                data: Data::Path(host.clone()),
            },
            perm: 0o644,
            uid: 0,
            gid: 3,
            mtime: 5,
        },
    )
    .unwrap();
    b.text("etc/inittab", "a\nsmf::sysinit:startd");
    b.hardlink("etc/inittab.link", "etc/inittab");
    b.file("etc/zero", 3);
    let mut t = b.t;
    let r = run(
        &mut t,
        &[(
            "e",
            "edit etc/name_to_major delete-lines zfs\n\
             edit etc/inittab* delete-lines startd\n\
             edit etc/inittab append-line \"x y\"\n\
             edit etc/zero append-line z\n\
             edit etc/missing append-line z\n",
        )],
    );
    assert_eq!(text(&t, "etc/name_to_major"), "mm 38\n");
    assert_eq!(
        std::fs::read_to_string(&host).unwrap(),
        "mm 38\nzfs 90\nzfsx 91\n"
    );
    assert_eq!(text(&t, "etc/inittab"), "a\nx y\n");
    assert_eq!(
        text(&t, "etc/inittab.link"),
        "a\nx y\n",
        "hard link edited once"
    );
    assert_eq!(text(&t, "etc/zero"), "\0\0\0\nz\n");
    let n = t.node(t.lookup(b"etc/name_to_major").unwrap());
    assert!(matches!(
        n.kind,
        Kind::File {
            size: 6,
            data: Data::Bytes(_)
        }
    ));
    assert_eq!((n.perm, n.gid, n.mtime), (0o644, 3, 5), "metadata kept");
    let o = &r.set("e").unwrap().rules;
    assert_eq!((o[0].matched, o[0].changed), (1, 2));
    assert_eq!(
        (o[1].matched, o[1].changed),
        (2, 1),
        "two names, one file, one line"
    );
    assert!(o[4].unmatched);

    // Errors: not a regular file, too large, changed on disk.
    let e = run_err(&mut t.clone(), "edit etc delete-lines x");
    assert_eq!(
        e,
        "t.rules:1: edit etc delete-lines x: /etc is not a regular file"
    );
    let sets = [set("t", "edit etc/zero append-line z")];
    let small = ApplyOptions {
        time: T,
        max_edit_bytes: 4,
    };
    let e = apply(&mut t.clone(), &sets, &small)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/etc/zero is 6 bytes; rules read files of at most 4 bytes"),
        "{e}"
    );
    let mut stale = Builder::new();
    stale.dir("etc");
    let etc = stale.t.lookup(b"etc").unwrap();
    stale
        .t
        .add(
            etc,
            b"system",
            fstree::Node {
                kind: Kind::File {
                    size: 3,
                    data: Data::Path(host.clone()),
                },
                perm: 0o644,
                uid: 0,
                gid: 0,
                mtime: 0,
            },
        )
        .unwrap();
    let e = run_err(&mut stale.t, "edit etc/system append-line x");
    assert!(
        e.contains("changed on disk (was 3 bytes when walked, now 21)"),
        "{e}"
    );
}

#[test]
fn report_render_and_tallies() {
    let mut t = small();
    let r = run(&mut t, &[("a", "remove usr/share\nremove nothing\n")]);
    assert_eq!(
        r.render(),
        "rules a (a.rules): removed 3 entries (2 directories, 1 files, 4 B)\n\
         a.rules:2: remove nothing: matched nothing\n"
    );
    assert_eq!(r.unmatched().len(), 1);
    assert!(r.set("zzz").is_none());
}

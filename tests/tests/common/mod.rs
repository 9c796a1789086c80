//! Test trees shared by the UFS integration tests.
#![allow(dead_code)]

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

/// Deterministic pseudo-random bytes (xorshift64*), so misplaced blocks show
/// up as content differences.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let v = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        for b in v.to_le_bytes() {
            if out.len() < len {
                out.push(b);
            }
        }
    }
    out
}

fn write(p: &Path, data: &[u8]) {
    std::fs::write(p, data).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

fn mkfifo(p: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo");
    assert!(st.success());
}

/// The acceptance tree of the UFS issue, created under `root` (which must
/// exist and be empty). Returns the text of the metadata manifest that adds
/// device nodes and high ids, which a non-root host cannot create.
pub fn acceptance_tree(root: &Path, big_file_mb: usize) -> String {
    let d = |rel: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(&p).unwrap();
        p
    };
    d("empty-dir");
    write(&root.join("empty-file"), b"");
    let sizes: &[(&str, usize)] = &[
        ("size-1", 1),
        ("size-1023", 1023),
        ("size-1024", 1024),
        ("size-1025", 1025),
        ("size-8191", 8191),
        ("size-8192", 8192),
        ("size-8193", 8193),
        ("direct-max-minus-1", 12 * 8192 - 1),
        ("direct-max", 12 * 8192),
        ("direct-max-plus-1", 12 * 8192 + 1),
        ("single-max-minus-1", 12 * 8192 + 2048 * 8192 - 1),
        ("single-max", 12 * 8192 + 2048 * 8192),
        ("single-max-plus-1", 12 * 8192 + 2048 * 8192 + 1),
    ];
    let files = d("files");
    for (i, (name, size)) in sizes.iter().enumerate() {
        write(&files.join(name), &pattern(*size, i as u64 + 1));
    }
    if big_file_mb > 0 {
        write(&files.join("big"), &pattern(big_file_mb << 20, 99));
    }
    // 2,000+ entries in one directory, with long-ish names.
    let many = d("many");
    for i in 0..2100 {
        write(
            &many.join(format!("entry-{i:05}-with-a-longer-name")),
            &pattern(i % 300, i as u64),
        );
    }
    // A directory past the 12 direct blocks (about 33 blocks: single indirect).
    let wide = d("wide");
    for i in 0..1000 {
        let mut n = format!("{i:04}-").into_bytes();
        n.resize(250, b'w');
        write(&wide.join(std::ffi::OsStr::from_bytes(&n)), b"");
    }
    // Odd names.
    let names = d("names");
    let long = vec![b'n'; 255];
    write(&names.join(std::ffi::OsStr::from_bytes(&long)), b"255");
    write(
        &names.join(std::ffi::OsStr::from_bytes(b"latin1-\xe9t\xe9")),
        b"x",
    );
    write(&names.join("with space"), b"s");
    write(&names.join("with\nnewline"), b"n");
    write(&names.join("back\\slash"), b"b");
    // Nesting 40 deep.
    let mut deep = root.join("deep");
    for i in 0..40 {
        deep = deep.join(format!("d{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    write(&deep.join("bottom"), b"bottom of 40 levels\n");
    // Hard links across directories.
    let l1 = d("links/a");
    let l2 = d("links/b/c");
    write(&l1.join("orig"), &pattern(5000, 7));
    std::fs::hard_link(l1.join("orig"), l2.join("second")).unwrap();
    std::fs::hard_link(l1.join("orig"), root.join("links/third")).unwrap();
    // Symlinks of 1, 511, 1023 bytes.
    let s = d("symlinks");
    symlink("x", s.join("len1")).unwrap();
    symlink("t".repeat(511), s.join("len511")).unwrap();
    let mut t1023 = String::new();
    while t1023.len() < 1023 {
        t1023.push_str("../a");
    }
    t1023.truncate(1023);
    symlink(&t1023, s.join("len1023")).unwrap();
    symlink("../files/size-1", s.join("to-file")).unwrap();
    // Fifos and a socket.
    let sp = d("special");
    mkfifo(&sp.join("fifo"));
    let _sock = std::os::unix::net::UnixListener::bind(sp.join("socket")).unwrap();
    // setuid/setgid/sticky.
    let modes = d("modes");
    for (name, mode) in [
        ("suid", 0o4755),
        ("sgid", 0o2755),
        ("both", 0o6711),
        ("none", 0o000),
    ] {
        let p = modes.join(name);
        write(&p, name.as_bytes());
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let sticky = modes.join("sticky-dir");
    std::fs::create_dir(&sticky).unwrap();
    std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
    write(&modes.join("high-ids"), b"owned by 70000:80000");
    // The manifest: device nodes (small and large numbers) and high ids.
    "# devices and owners a non-root host cannot create\n\
     dev                 d 0755 0 3\n\
     dev/null            c 0666 0 3 13 2\n\
     dev/zero            c 0666 0 3 13 12\n\
     dev/small-max       c 0600 0 0 127 255\n\
     dev/old-edge        b 0600 0 0 127 256\n\
     dev/large-major     c 0600 0 0 16383 0\n\
     dev/large-minor     b 0640 0 0 1 262143\n\
     dev/large-both      b 0640 0 0 16382 262143\n\
     dev/large-max       c 0640 0 0 16383 196607\n\
     modes/high-ids      f 0644 70000 80000\n\
     modes/sticky-dir    d - 65535 65536\n\
     / d 0755 0 0\n"
        .to_string()
}

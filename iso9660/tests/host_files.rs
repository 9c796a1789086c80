//! File data copied from host paths: a buffered file sink gives the same
//! bytes as an in-memory sink, for files around the writer's buffer and
//! sector boundaries and one of several MiB, and a source file cut short
//! after planning fails with `SourceChanged`.

use fstree::{Data, Kind, Node, Tree, ROOT};
use iso9660::*;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::Path;

fn host_file(path: &Path, len: usize, seed: u8) -> Node {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3] ^ seed)
        .collect();
    std::fs::write(path, &bytes).unwrap();
    Node {
        kind: Kind::File {
            size: len as u64,
            data: Data::Path(path.to_path_buf()),
        },
        perm: 0o644,
        uid: 0,
        gid: 0,
        mtime: 1_000_000,
    }
}

fn tree(dir: &Path) -> Tree {
    let mut t = Tree::new(1_000_000);
    // Odd tails, sector and 64 KiB boundaries, one multi-MiB file.
    for (i, len) in [
        0usize,
        1,
        2047,
        65_535,
        65_536,
        65_537,
        3 << 20 | 5,
        200_001,
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("f{i}");
        let node = host_file(&dir.join(&name), len, i as u8);
        t.add(ROOT, name.as_bytes(), node).unwrap();
    }
    t
}

fn options() -> Options {
    Options {
        time: 1_451_606_400,
        ..Options::default()
    }
}

#[test]
fn file_sink_and_memory_sink_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(dir.path());
    let layout = plan(&t, &options()).unwrap();
    let mut mem = Vec::new();
    let a = write(&layout, &t, &mut mem).unwrap();

    let mut f = tempfile::tempfile().unwrap();
    {
        let mut w = BufWriter::with_capacity(1 << 20, &mut f);
        let b = write(&layout, &t, &mut w).unwrap();
        w.flush().unwrap();
        assert_eq!(a, b);
    }
    f.rewind().unwrap();
    let mut disk = Vec::new();
    f.read_to_end(&mut disk).unwrap();
    assert_eq!(disk.len(), mem.len());
    assert!(disk == mem, "file sink differs from the memory sink");
}

#[test]
fn a_large_source_cut_short_fails() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(dir.path());
    let layout = plan(&t, &options()).unwrap();
    // f6 is 3 MiB + 5: cut after planning, the writer must refuse it rather
    // than pad or overrun.
    let f6 = dir.path().join("f6");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f6)
        .unwrap()
        .set_len(100_000)
        .unwrap();
    let mut f = tempfile::tempfile().unwrap();
    let mut w = BufWriter::new(&mut f);
    let err = write(&layout, &t, &mut w).unwrap_err();
    assert!(
        matches!(err, WriteError::SourceChanged { .. }),
        "expected SourceChanged, got {err:?}"
    );
}

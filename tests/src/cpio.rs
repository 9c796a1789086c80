//! A minimal writer for the `newc` cpio format, the format Linux unpacks as
//! an initramfs (`Documentation/driver-api/early-userspace/buffer-format.rst`).
//!
//! Each member is a 110-byte ASCII header (`070701` and thirteen 8-digit hex
//! fields), the NUL-terminated name padded to a multiple of 4 bytes (counting
//! the header), then the data padded to a multiple of 4; the archive ends with
//! a member named `TRAILER!!!`.

/// File type bits of `c_mode`.
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;
const S_IFCHR: u32 = 0o020000;

/// An in-memory newc archive under construction.
#[derive(Debug, Default)]
pub struct Cpio {
    buf: Vec<u8>,
    ino: u32,
}

impl Cpio {
    /// An empty archive.
    pub fn new() -> Cpio {
        Cpio::default()
    }

    fn member(&mut self, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) {
        self.ino += 1;
        let nlink = if mode & 0o170000 == S_IFDIR { 2 } else { 1 };
        let fields = [
            self.ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime
            data.len() as u32,
            0, // devmajor
            0, // devminor
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0, // check
        ];
        self.buf.extend_from_slice(b"070701");
        for f in fields {
            self.buf.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(0);
        self.pad();
        self.buf.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while self.buf.len() & 3 != 0 {
            self.buf.push(0);
        }
    }

    /// Add a directory `name` (no leading `/`) with permissions `perm`.
    pub fn dir(&mut self, name: &str, perm: u32) {
        self.member(name, S_IFDIR | perm, (0, 0), &[]);
    }

    /// Add a regular file.
    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) {
        self.member(name, S_IFREG | perm, (0, 0), data);
    }

    /// Add a symbolic link to `target`.
    pub fn symlink(&mut self, name: &str, target: &str) {
        self.member(name, S_IFLNK | 0o777, (0, 0), target.as_bytes());
    }

    /// Add a character device node.
    pub fn char_dev(&mut self, name: &str, perm: u32, major: u32, minor: u32) {
        self.member(name, S_IFCHR | perm, (major, minor), &[]);
    }

    /// Append the trailer and return the archive bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.member("TRAILER!!!", 0, (0, 0), &[]);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_aligned_and_round_trips_through_cpio_tool() {
        let mut c = Cpio::new();
        c.dir("bin", 0o755);
        c.file("bin/x", 0o644, b"hello");
        c.symlink("bin/y", "x");
        let a = c.finish();
        assert_eq!(&a[..6], b"070701");
        assert_eq!(a.len() % 4, 0);
        // "bin\0" after the 110-byte header: 114, padded to 116.
        assert_eq!(&a[110..114], b"bin\0");
        assert_eq!(&a[116..122], b"070701");
        // The system cpio lists it (the tool is installed by setup-test-deps.sh).
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.cpio");
        std::fs::write(&p, &a).unwrap();
        let out = std::process::Command::new("cpio")
            .args(["-i", "-t", "-F"])
            .arg(&p)
            .output()
            .expect("cpio tool (run scripts/setup-test-deps.sh)");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "bin\nbin/x\nbin/y\n");
    }
}

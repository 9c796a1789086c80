//! Small helpers the QEMU oracles share.

use std::path::Path;

/// A QEMU option value for a path: QEMU doubles a comma to mean a literal one.
pub(crate) fn qemu_escape(p: &Path) -> String {
    p.display().to_string().replace(',', ",,")
}

/// A file's contents as text, invalid UTF-8 replaced; empty when unreadable
/// (for logs that may not have been written).
pub(crate) fn read_lossy(p: &Path) -> String {
    std::fs::read(p)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The last `n` lines of `s`, newline-terminated (for error context).
pub(crate) fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let mut out = lines[lines.len().saturating_sub(n)..].join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(qemu_escape(Path::new("/a,b/c")), "/a,,b/c");
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(tail("a", 5), "a\n");
        assert_eq!(read_lossy(Path::new("/nonexistent/mvi")), "");
    }
}

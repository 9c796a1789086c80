//! The test cache: where `scripts/setup-test-deps.sh` left the unpacked
//! kernel and GRUB files, and where the harness keeps what it builds
//! (the static manifest program, initramfs images), keyed by content.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The cache directory: `$MVI_TEST_CACHE`, or `/var/cache/mvi-test`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("MVI_TEST_CACHE") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from("/var/cache/mvi-test"),
    }
}

/// The files `scripts/setup-test-deps.sh` recorded in `$CACHE/env`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleEnv {
    /// The cache directory the file was read from.
    pub cache: PathBuf,
    /// `MVI_KERNEL`: the unpacked Debian kernel, `boot/vmlinuz-<version>`.
    pub kernel: PathBuf,
    /// `MVI_KERNEL_PACKAGE`: the Debian package it came from
    /// (e.g. `linux-image-6.1.0-56-amd64`).
    pub kernel_package: String,
    /// `MVI_KERNEL_VERSION`: the kernel release (e.g. `6.1.0-56-amd64`).
    pub kernel_version: String,
    /// `MVI_MODULES_DIR`: `lib/modules/<version>` with `modules.dep`.
    pub modules_dir: PathBuf,
    /// `MVI_STAGE2_ELTORITO`: GRUB legacy's El Torito stage2
    /// (`usr/lib/grub/x86_64-pc/stage2_eltorito` from `grub-legacy`).
    pub stage2_eltorito: PathBuf,
}

const SETUP_HINT: &str = "run scripts/setup-test-deps.sh (as root) to install the test oracles";

/// Read `$CACHE/env` and check that the files it names exist. The error
/// says to run `scripts/setup-test-deps.sh`: tests that need an oracle must
/// fail, not skip, when it is missing.
pub fn oracle_env() -> Result<OracleEnv, String> {
    let cache = cache_dir();
    let path = cache.join("env");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e}; {SETUP_HINT}", path.display()))?;
    parse_env(&cache, &path, &text)
}

fn parse_env(cache: &Path, path: &Path, text: &str) -> Result<OracleEnv, String> {
    let get = |key: &str| -> Result<String, String> {
        text.lines()
            .filter_map(|l| l.trim().split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{}: no {key}=...; {SETUP_HINT}", path.display()))
    };
    let env = OracleEnv {
        cache: cache.to_path_buf(),
        kernel: get("MVI_KERNEL")?.into(),
        kernel_package: get("MVI_KERNEL_PACKAGE")?,
        kernel_version: get("MVI_KERNEL_VERSION")?,
        modules_dir: get("MVI_MODULES_DIR")?.into(),
        stage2_eltorito: get("MVI_STAGE2_ELTORITO")?.into(),
    };
    for p in [
        &env.kernel,
        &env.stage2_eltorito,
        &env.modules_dir.join("modules.dep"),
    ] {
        if !p.is_file() {
            return Err(format!(
                "{} (named in {}) is missing; {SETUP_HINT}",
                p.display(),
                path.display()
            ));
        }
    }
    Ok(env)
}

/// Lowercase hex SHA-256 of the concatenation of `parts`, each preceded by
/// its length (so part boundaries count).
pub(crate) fn content_key(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    crate::manifest::hex(&h.finalize())
}

/// `$CACHE/build`, created if needed.
pub(crate) fn build_dir(env: &OracleEnv) -> Result<PathBuf, String> {
    let d = env.cache.join("build");
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    Ok(d)
}

/// Write `data` to `path` atomically (a temporary file renamed into place),
/// so concurrent test processes never see a partial file.
pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Source of the guest manifest program (`tests/oracle/manifest.c`).
pub const MANIFEST_C: &str = include_str!("../oracle/manifest.c");

/// The manifest program compiled with `gcc -static -O2` from
/// `tests/oracle/manifest.c`, cached as `$CACHE/build/manifest-<key>`
/// (built at most once per process and once per source version).
pub fn manifest_program() -> Result<PathBuf, String> {
    static PROGRAM: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PROGRAM.get_or_init(build_manifest_program).clone()
}

fn build_manifest_program() -> Result<PathBuf, String> {
    let env = oracle_env()?;
    let dir = build_dir(&env)?;
    let key = content_key(&[b"manifest.c gcc -static -O2 v1", MANIFEST_C.as_bytes()]);
    let out = dir.join(format!("manifest-{}", &key[..16]));
    if out.is_file() {
        return Ok(out);
    }
    let src = dir.join(format!("manifest-{}.c", &key[..16]));
    write_atomic(&src, MANIFEST_C.as_bytes())?;
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let res = Command::new("gcc")
        .args(["-static", "-O2", "-Wall", "-o"])
        .arg(&tmp)
        .arg(&src)
        .output()
        .map_err(|e| format!("gcc: {e}; {SETUP_HINT}"))?;
    if !res.status.success() {
        return Err(format!(
            "gcc -static -O2 {} failed ({}):\n{}",
            src.display(),
            res.status,
            String::from_utf8_lossy(&res.stderr)
        ));
    }
    std::fs::rename(&tmp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_parsing_and_missing_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir_all(p.join("m")).unwrap();
        std::fs::write(p.join("m/modules.dep"), "").unwrap();
        std::fs::write(p.join("vmlinuz"), "").unwrap();
        std::fs::write(p.join("stage2"), "").unwrap();
        let text = format!(
            "# comment\nMVI_KERNEL={0}/vmlinuz\nMVI_KERNEL_PACKAGE=linux-image-x\n\
             MVI_KERNEL_VERSION=x\nMVI_MODULES_DIR={0}/m\nMVI_STAGE2_ELTORITO={0}/stage2\n",
            p.display()
        );
        let env = parse_env(p, &p.join("env"), &text).unwrap();
        assert_eq!(env.kernel, p.join("vmlinuz"));
        assert_eq!(env.kernel_version, "x");
        assert_eq!(env.modules_dir, p.join("m"));
        let e = parse_env(p, &p.join("env"), "MVI_KERNEL=/x\n").unwrap_err();
        assert!(e.contains("setup-test-deps.sh"), "{e}");
        std::fs::remove_file(p.join("stage2")).unwrap();
        let e = parse_env(p, &p.join("env"), &text).unwrap_err();
        assert!(
            e.contains("stage2") && e.contains("setup-test-deps.sh"),
            "{e}"
        );
    }

    /// The oracle setup is part of the suite: this fails (it does not skip)
    /// when `scripts/setup-test-deps.sh` has not been run.
    #[test]
    fn oracle_env_is_installed() {
        let env = oracle_env().unwrap();
        assert!(env.kernel_package.starts_with("linux-image-"), "{env:?}");
    }
}

//! Decoding of host device numbers (`st_rdev`) with the host platform's rules.

/// Major number of a host `st_rdev`, decoded with the build host's rules
/// (Linux/glibc `gnu_dev_major`; macOS/BSD 8-bit major in bits 24..31).
pub fn host_major(rdev: u64) -> u32 {
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    {
        ((rdev >> 24) & 0xff) as u32
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios", target_os = "freebsd")))]
    {
        (((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)) as u32
    }
}

/// Minor number of a host `st_rdev`, decoded with the build host's rules
/// (Linux/glibc `gnu_dev_minor`; macOS/BSD 24-bit minor in bits 0..23).
pub fn host_minor(rdev: u64) -> u32 {
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    {
        (rdev & 0xff_ffff) as u32
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios", target_os = "freebsd")))]
    {
        ((rdev & 0xff) | ((rdev >> 12) & !0xff)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_encoding() {
        // makedev(1, 3) = 0x103 (/dev/null); makedev(259, 65536) uses the high words.
        assert_eq!((host_major(0x103), host_minor(0x103)), (1, 3));
        // glibc makedev(259, 65536): major 259 in bits 8..19, minor 65536 in bits 20..31.
        let dev: u64 = (259u64 << 8) | (65536u64 << 12);
        assert_eq!((host_major(dev), host_minor(dev)), (259, 65536));
    }
}

//! Decoding of host device numbers (`st_rdev`) with the host platform's rules.
//!
//! Each platform's rule is a pure function here, tested on every host;
//! [`host_major`] and [`host_minor`] pick the build host's.

/// Linux (glibc `gnu_dev_major`/`gnu_dev_minor`): major in bits 8..19 and
/// 32..63, minor in bits 0..7 and 20..31 (`MMMM Mmmm mmmM MMmm` in nibbles
/// from the top word down). Returns (major, minor).
pub fn decode_linux(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// macOS (and the other Darwin systems): a 32-bit `dev_t`, 8-bit major in
/// bits 24..31 and 24-bit minor in bits 0..23 (`<sys/types.h>`).
pub fn decode_darwin(rdev: u64) -> (u32, u32) {
    (((rdev >> 24) & 0xff) as u32, (rdev & 0xff_ffff) as u32)
}

/// FreeBSD 12 and later: a 64-bit `dev_t` laid out `MMMmmmMm` by bytes from
/// the top, major = bits 40..63 and 8..15, minor = bits 24..31, 16..23 and
/// 0..7 (`<sys/types.h>` `__major`/`__minor`).
pub fn decode_freebsd(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 32) & 0xffff_ff00) | ((rdev >> 8) & 0xff);
    let minor = ((rdev >> 24) & 0xff00) | (rdev & 0xffff_00ff);
    (major as u32, minor as u32)
}

/// The build host's rule.
fn decode_host(rdev: u64) -> (u32, u32) {
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    {
        decode_darwin(rdev)
    }
    #[cfg(target_os = "freebsd")]
    {
        decode_freebsd(rdev)
    }
    #[cfg(not(any(target_os = "macos", target_os = "ios", target_os = "freebsd")))]
    {
        decode_linux(rdev)
    }
}

/// Major number of a host `st_rdev`, decoded with the build host's rules
/// ([`decode_linux`], [`decode_darwin`] or [`decode_freebsd`]).
pub fn host_major(rdev: u64) -> u32 {
    decode_host(rdev).0
}

/// Minor number of a host `st_rdev`, decoded with the build host's rules
/// ([`decode_linux`], [`decode_darwin`] or [`decode_freebsd`]).
pub fn host_minor(rdev: u64) -> u32 {
    decode_host(rdev).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_encoding() {
        // makedev(1, 3) = 0x103 (/dev/null).
        assert_eq!(decode_linux(0x103), (1, 3));
        // glibc makedev(259, 65536): major 259 in bits 8..19, minor 65536 in bits 20..31.
        let dev: u64 = (259u64 << 8) | (65536u64 << 12);
        assert_eq!(decode_linux(dev), (259, 65536));
        // The high words: makedev(0x12345, 0x6789a).
        let (ma, mi) = (0x12345u64, 0x6789au64);
        let dev = ((ma & 0xfff) << 8) | ((ma & !0xfff) << 32) | (mi & 0xff) | ((mi & !0xff) << 12);
        assert_eq!(decode_linux(dev), (0x12345, 0x6789a));
    }

    #[test]
    fn darwin_encoding() {
        // makedev(3, 2) = 0x03000002 (/dev/null on macOS).
        assert_eq!(decode_darwin(0x0300_0002), (3, 2));
        assert_eq!(decode_darwin(0xff12_3456), (0xff, 0x12_3456));
    }

    #[test]
    fn freebsd_encoding() {
        // The FreeBSD makedev: ((M & 0xffffff00) << 32) | ((M & 0xff) << 8)
        // | ((m & 0xff00) << 24) | (m & 0xffff00ff).
        let make = |ma: u64, mi: u64| {
            ((ma & 0xffff_ff00) << 32)
                | ((ma & 0xff) << 8)
                | ((mi & 0xff00) << 24)
                | (mi & 0xffff_00ff)
        };
        for (ma, mi) in [
            (0, 0),
            (2, 3),
            (0x1234_5678, 0x9abc_def0),
            (0xff, 0xffff_ffff),
        ] {
            assert_eq!(decode_freebsd(make(ma, mi)), (ma as u32, mi as u32));
        }
        // Old 32-bit numbers (upper minor byte zero) read the same.
        assert_eq!(decode_freebsd(0x0000_0a0b), (0x0a, 0x0b));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn host_is_linux_here() {
        let dev: u64 = (259u64 << 8) | (65536u64 << 12);
        assert_eq!((host_major(dev), host_minor(dev)), (259, 65536));
    }
}

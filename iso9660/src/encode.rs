//! Low-level ECMA-119 encodings: both-endian integers, dates, padded strings.

/// Logical sector (block) size, bytes (ECMA-119 §6.1.2; always 2048 here).
pub const SECTOR: usize = 2048;

/// Write a both-endian u32 (§7.3.3: LE then BE) at `b[off..off+8]`.
pub fn both32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    b[off + 4..off + 8].copy_from_slice(&v.to_be_bytes());
}

/// Write a both-endian u16 (§7.2.3: LE then BE) at `b[off..off+4]`.
pub fn both16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
    b[off + 2..off + 4].copy_from_slice(&v.to_be_bytes());
}

/// Copy `s` into `b[off..off+len]`, padded with spaces (0x20), §7.4.
pub fn padded(b: &mut [u8], off: usize, len: usize, s: &[u8]) {
    let n = s.len().min(len);
    b[off..off + n].copy_from_slice(&s[..n]);
    b[off + n..off + len].fill(b' ');
}

/// Civil date (UTC) of `t` seconds since the epoch: (year, month, day, h, m, s).
pub fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
        (secs % 60) as u32,
    )
}

/// The 7-byte recording date of a directory record (§9.1.5) for `t`, in UTC
/// (offset 0). Years outside 1900..=2155 are clamped to the range's ends.
pub fn date7(t: i64) -> [u8; 7] {
    let lo = -2_208_988_800; // 1900-01-01
    let hi = 5_869_583_999; // 2155-12-31 23:59:59
    let (y, mo, d, h, mi, s) = civil(t.clamp(lo, hi));
    [
        (y - 1900) as u8,
        mo as u8,
        d as u8,
        h as u8,
        mi as u8,
        s as u8,
        0,
    ]
}

/// The 17-byte volume date (§8.4.26.1) for `t` in UTC, hundredths 0.
/// Years outside 1..=9999 are clamped.
pub fn date17(t: i64) -> [u8; 17] {
    let (y, mo, d, h, mi, s) = civil(t.clamp(-62_135_596_800, 253_402_300_799));
    let text = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}00");
    let mut out = [0u8; 17];
    out[..16].copy_from_slice(text.as_bytes());
    out
}

/// "Not specified" 17-byte date: sixteen ASCII zeros and offset 0.
pub const DATE17_UNSET: [u8; 17] = *b"0000000000000000\0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(1_451_606_400), (2016, 1, 1, 0, 0, 0));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(date7(1_451_606_400 + 3661), [116, 1, 1, 1, 1, 1, 0]);
        assert_eq!(&date17(1_700_000_000), b"2023111422132000\0");
        assert_eq!(date7(i64::MIN)[0], 0);
        assert_eq!(date7(i64::MAX)[0], 255);
    }

    #[test]
    fn both_endian() {
        let mut b = [0u8; 8];
        both32(&mut b, 0, 0x0102_0304);
        assert_eq!(b, [4, 3, 2, 1, 1, 2, 3, 4]);
        let mut b = [0u8; 4];
        both16(&mut b, 0, 0x0102);
        assert_eq!(b, [2, 1, 1, 2]);
    }
}

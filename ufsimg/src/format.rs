//! On-disk structures of Solaris/illumos x86 UFS, encoded and decoded by
//! explicit little-endian byte offsets (`struct fs`, `struct cg`, `struct
//! dinode`, `struct direct` in illumos `usr/src/uts/common/sys/fs/ufs_fs.h`,
//! `ufs_inode.h`, `ufs_fsdir.h`). No `repr(C)` casts: `quad_t` is 4-byte
//! aligned on illumos, so offsets are pinned by hand and by tests.

/// Boot block area at the start of the image, bytes (`BBSIZE`).
pub const BBSIZE: u64 = 8192;
/// Byte offset of the primary superblock (`SBOFF`).
pub const SBOFF: u64 = 8192;
/// Size of the superblock area and of each backup copy, bytes (`SBSIZE`).
pub const SBSIZE: usize = 8192;
/// `sizeof(struct fs)` in the 32-bit illumos build, bytes.
pub const FS_STRUCT_SIZE: usize = 1380;
/// `fs_magic` of a (non-MTB) UFS (`FS_MAGIC`).
pub const FS_MAGIC: u32 = 0x0001_1954;
/// `fs_magic` of a multi-terabyte UFS (`MTB_UFS_MAGIC`); never written.
pub const MTB_UFS_MAGIC: u32 = 0x00de_cade;
/// `cg_magic` (`CG_MAGIC`).
pub const CG_MAGIC: u32 = 0x0009_0255;
/// `fs_state + fs_time` must equal this for the clean flag to be trusted (`FSOKAY`).
pub const FSOKAY: u32 = 0x7c26_9d38;
/// `fs_clean` value of a cleanly unmounted file system (`FSCLEAN`).
pub const FSCLEAN: u8 = 0x01;
/// `fs_clean` value `FSSTABLE`.
pub const FSSTABLE: u8 = 0x02;
/// `fs_clean` value of a logging file system (`FSLOG`).
pub const FSLOG: u8 = 0xfd;
/// `fs_flags` bit: some file is larger than 2^31-1 bytes (`FSLARGEFILES`).
pub const FSLARGEFILES: u8 = 0x01;
/// `fs_postblformat` value `FS_DYNAMICPOSTBLFMT`.
pub const FS_DYNAMICPOSTBLFMT: i32 = 1;
/// `sizeof(struct cg)` up to `cg_space`, bytes (where the maps start).
pub const CG_HEADER_SIZE: usize = 168;
/// `sizeof(struct cg)` (with the 4-byte `cg_space[1]`), as used by `CGSIZE`.
pub const CG_STRUCT_SIZE: u64 = 172;
/// Size of an on-disk inode (`struct dinode`), bytes.
pub const INODE_SIZE: usize = 128;
/// Directory chunk size (`DIRBLKSIZ`), bytes.
pub const DIRBLKSIZ: usize = 512;
/// Longest file name (`MAXNAMLEN`), bytes.
pub const MAXNAMLEN: usize = 255;
/// Longest symlink target fsck accepts (`MAXPATHLEN` 1024 counts the NUL), bytes.
pub const MAX_SYMLINK: usize = 1023;
/// Largest file size UFS allows (`UFS_MAXOFFSET_T`, 2^40-1), bytes.
pub const UFS_MAXOFFSET: u64 = (1 << 40) - 1;
/// Largest size of a file that does not need `FSLARGEFILES` (2^31-1), bytes.
pub const MAXOFF32: u64 = (1 << 31) - 1;
/// Root directory inode number (`UFSROOTINO`).
pub const ROOTINO: u32 = 2;
/// Number of direct block pointers in an inode (`NDADDR`).
pub const NDADDR: usize = 12;
/// Number of indirect block pointers in an inode (`NIADDR`).
pub const NIADDR: usize = 3;
/// `ic_suid`/`ic_sgid` value meaning "see the 32-bit `ic_uid`/`ic_gid`" (`UID_LONG`).
pub const UID_LONG: u16 = 65535;

/// File type bits of `ic_smode` (`IFMT`).
pub const IFMT: u16 = 0o170000;
/// FIFO (`IFIFO`).
pub const IFIFO: u16 = 0o010000;
/// Character device (`IFCHR`).
pub const IFCHR: u16 = 0o020000;
/// Directory (`IFDIR`).
pub const IFDIR: u16 = 0o040000;
/// Block device (`IFBLK`).
pub const IFBLK: u16 = 0o060000;
/// Regular file (`IFREG`).
pub const IFREG: u16 = 0o100000;
/// Symbolic link (`IFLNK`).
pub const IFLNK: u16 = 0o120000;
/// ACL shadow inode (`IFSHAD`).
pub const IFSHAD: u16 = 0o130000;
/// Socket (`IFSOCK`).
pub const IFSOCK: u16 = 0o140000;
/// Extended-attribute directory (`IFATTRDIR`).
pub const IFATTRDIR: u16 = 0o160000;

pub(crate) fn get_u16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
pub(crate) fn get_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
pub(crate) fn get_i32(b: &[u8], off: usize) -> i32 {
    get_u32(b, off) as i32
}
pub(crate) fn get_u64(b: &[u8], off: usize) -> u64 {
    u64::from(get_u32(b, off)) | (u64::from(get_u32(b, off + 4)) << 32)
}
pub(crate) fn put_u16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_i32(b: &mut [u8], off: usize, v: i32) {
    put_u32(b, off, v as u32);
}
pub(crate) fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// Summary counts (`struct csum`, 16 bytes): used in the superblock
/// (`fs_cstotal`), each cg header (`cg_cs`) and the csum array.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Csum {
    /// Number of directories (`cs_ndir`).
    pub ndir: i32,
    /// Number of entirely free blocks (`cs_nbfree`).
    pub nbfree: i32,
    /// Number of free inodes (`cs_nifree`).
    pub nifree: i32,
    /// Number of free fragments in partly used blocks (`cs_nffree`).
    pub nffree: i32,
}

impl Csum {
    /// Encode at `off` in `b` (16 bytes).
    pub fn put(&self, b: &mut [u8], off: usize) {
        put_i32(b, off, self.ndir);
        put_i32(b, off + 4, self.nbfree);
        put_i32(b, off + 8, self.nifree);
        put_i32(b, off + 12, self.nffree);
    }
    /// Decode from `off` in `b`.
    pub fn get(b: &[u8], off: usize) -> Csum {
        Csum {
            ndir: get_i32(b, off),
            nbfree: get_i32(b, off + 4),
            nifree: get_i32(b, off + 8),
            nffree: get_i32(b, off + 12),
        }
    }
}

/// The superblock (`struct fs`) fields a writer sets or a reader needs.
/// Each field's doc gives its byte offset in `struct fs` (ufs-format.md §1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct Superblock {
    /// @4 logging roll state; 0.
    pub rolled: i32,
    /// @8 frag offset of the superblock copy inside each cg.
    pub sblkno: i32,
    /// @12 frag offset of the cg header inside each cg.
    pub cblkno: i32,
    /// @16 frag offset of the inode table inside each cg.
    pub iblkno: i32,
    /// @20 frag offset of the first data frag inside each cg.
    pub dblkno: i32,
    /// @24 cg staggering step, frags.
    pub cgoffset: i32,
    /// @28 cg staggering mask (-1: no staggering).
    pub cgmask: i32,
    /// @32 last write time, seconds (time32).
    pub time: i32,
    /// @36 total frags in the file system.
    pub size: i32,
    /// @40 data frags.
    pub dsize: i32,
    /// @44 number of cylinder groups.
    pub ncg: i32,
    /// @48 block size, bytes.
    pub bsize: i32,
    /// @52 fragment size, bytes.
    pub fsize: i32,
    /// @56 frags per block.
    pub frag: i32,
    /// @60 reserved free space, percent.
    pub minfree: i32,
    /// @64 rotational delay, ms (0).
    pub rotdelay: i32,
    /// @68 revolutions per second (informational).
    pub rps: i32,
    /// @72 `~(bsize-1)`.
    pub bmask: i32,
    /// @76 `~(fsize-1)`.
    pub fmask: i32,
    /// @80 log2(bsize).
    pub bshift: i32,
    /// @84 log2(fsize).
    pub fshift: i32,
    /// @88 max contiguous blocks per cluster.
    pub maxcontig: i32,
    /// @92 max blocks of one file per cg.
    pub maxbpg: i32,
    /// @96 log2(frag).
    pub fragshift: i32,
    /// @100 log2(fsize/512).
    pub fsbtodb: i32,
    /// @104 actual superblock size, bytes (frag-rounded).
    pub sbsize: i32,
    /// @108 `~(bsize/16-1)`.
    pub csmask: i32,
    /// @112 log2(bsize/16).
    pub csshift: i32,
    /// @116 pointers per indirect block.
    pub nindir: i32,
    /// @120 inodes per block.
    pub inopb: i32,
    /// @124 sectors per frag.
    pub nspf: i32,
    /// @128 0 optimise time, 1 optimise space.
    pub optim: i32,
    /// @132 (x86) `FSOKAY - fs_time`.
    pub state: i32,
    /// @136 summary info state (0 = csum array valid).
    pub si: i32,
    /// @140 track skew (0).
    pub trackskew: i32,
    /// @144 file system id (two words).
    pub id: [i32; 2],
    /// @152 frag address of the csum array.
    pub csaddr: i32,
    /// @156 csum array size, bytes.
    pub cssize: i32,
    /// @160 cg header size, bytes.
    pub cgsize: i32,
    /// @164 tracks per cylinder (fake geometry).
    pub ntrak: i32,
    /// @168 sectors per track (fake geometry).
    pub nsect: i32,
    /// @172 sectors per cylinder.
    pub spc: i32,
    /// @176 cylinders in the file system.
    pub ncyl: i32,
    /// @180 cylinders per group.
    pub cpg: i32,
    /// @184 inodes per group.
    pub ipg: i32,
    /// @188 frags per group.
    pub fpg: i32,
    /// @192 totals over all cgs.
    pub cstotal: Csum,
    /// @208 modified flag (0).
    pub fmod: u8,
    /// @209 clean flag (`FSCLEAN`).
    pub clean: u8,
    /// @210 read-only flag (0).
    pub ronly: u8,
    /// @211 flags (`FSLARGEFILES`).
    pub flags: u8,
    /// @724 cg rotor (0).
    pub cgrotor: i32,
    /// @856 cylinders per rotational cycle (0: no rotational tables).
    pub cpc: i32,
    /// @1320 version (0).
    pub version: i32,
    /// @1324 log location (0: no log).
    pub logbno: i32,
    /// @1328 reclaim flags (0).
    pub reclaim: i32,
    /// @1336 (x86) physical sectors per track.
    pub npsect: i32,
    /// @1340 `bsize-1` as a 64-bit value.
    pub qbmask: u64,
    /// @1348 `fsize-1` as a 64-bit value.
    pub qfmask: u64,
    /// @1356 postbl format (1 = dynamic).
    pub postblformat: i32,
    /// @1360 rotational positions.
    pub nrpos: i32,
    /// @1364 byte offset of the postbl (0 when cpc is 0).
    pub postbloff: i32,
    /// @1368 byte offset of the rotbl (0 when cpc is 0).
    pub rotbloff: i32,
    /// @1372 magic (`FS_MAGIC`).
    pub magic: u32,
}

impl Superblock {
    /// Encode into a zeroed `SBSIZE` buffer (bytes past `FS_STRUCT_SIZE` stay zero).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; SBSIZE];
        let s = self;
        let words: [(usize, i32); 51] = [
            (4, s.rolled),
            (8, s.sblkno),
            (12, s.cblkno),
            (16, s.iblkno),
            (20, s.dblkno),
            (24, s.cgoffset),
            (28, s.cgmask),
            (32, s.time),
            (36, s.size),
            (40, s.dsize),
            (44, s.ncg),
            (48, s.bsize),
            (52, s.fsize),
            (56, s.frag),
            (60, s.minfree),
            (64, s.rotdelay),
            (68, s.rps),
            (72, s.bmask),
            (76, s.fmask),
            (80, s.bshift),
            (84, s.fshift),
            (88, s.maxcontig),
            (92, s.maxbpg),
            (96, s.fragshift),
            (100, s.fsbtodb),
            (104, s.sbsize),
            (108, s.csmask),
            (112, s.csshift),
            (116, s.nindir),
            (120, s.inopb),
            (124, s.nspf),
            (128, s.optim),
            (132, s.state),
            (136, s.si),
            (140, s.trackskew),
            (144, s.id[0]),
            (148, s.id[1]),
            (152, s.csaddr),
            (156, s.cssize),
            (160, s.cgsize),
            (164, s.ntrak),
            (168, s.nsect),
            (172, s.spc),
            (176, s.ncyl),
            (180, s.cpg),
            (184, s.ipg),
            (188, s.fpg),
            (724, s.cgrotor),
            (856, s.cpc),
            (1320, s.version),
            (1324, s.logbno),
        ];
        for (off, v) in words {
            put_i32(&mut b, off, v);
        }
        s.cstotal.put(&mut b, 192);
        b[208] = s.fmod;
        b[209] = s.clean;
        b[210] = s.ronly;
        b[211] = s.flags;
        put_i32(&mut b, 1328, s.reclaim);
        put_i32(&mut b, 1336, s.npsect);
        put_u64(&mut b, 1340, s.qbmask);
        put_u64(&mut b, 1348, s.qfmask);
        put_i32(&mut b, 1356, s.postblformat);
        put_i32(&mut b, 1360, s.nrpos);
        put_i32(&mut b, 1364, s.postbloff);
        put_i32(&mut b, 1368, s.rotbloff);
        put_u32(&mut b, 1372, s.magic);
        b
    }

    /// Decode from at least `FS_STRUCT_SIZE` bytes. Returns `None` if `b` is shorter.
    pub fn decode(b: &[u8]) -> Option<Superblock> {
        if b.len() < FS_STRUCT_SIZE {
            return None;
        }
        let g = |off| get_i32(b, off);
        Some(Superblock {
            rolled: g(4),
            sblkno: g(8),
            cblkno: g(12),
            iblkno: g(16),
            dblkno: g(20),
            cgoffset: g(24),
            cgmask: g(28),
            time: g(32),
            size: g(36),
            dsize: g(40),
            ncg: g(44),
            bsize: g(48),
            fsize: g(52),
            frag: g(56),
            minfree: g(60),
            rotdelay: g(64),
            rps: g(68),
            bmask: g(72),
            fmask: g(76),
            bshift: g(80),
            fshift: g(84),
            maxcontig: g(88),
            maxbpg: g(92),
            fragshift: g(96),
            fsbtodb: g(100),
            sbsize: g(104),
            csmask: g(108),
            csshift: g(112),
            nindir: g(116),
            inopb: g(120),
            nspf: g(124),
            optim: g(128),
            state: g(132),
            si: g(136),
            trackskew: g(140),
            id: [g(144), g(148)],
            csaddr: g(152),
            cssize: g(156),
            cgsize: g(160),
            ntrak: g(164),
            nsect: g(168),
            spc: g(172),
            ncyl: g(176),
            cpg: g(180),
            ipg: g(184),
            fpg: g(188),
            cstotal: Csum::get(b, 192),
            fmod: b[208],
            clean: b[209],
            ronly: b[210],
            flags: b[211],
            cgrotor: g(724),
            cpc: g(856),
            version: g(1320),
            logbno: g(1324),
            reclaim: g(1328),
            npsect: g(1336),
            qbmask: get_u64(b, 1340),
            qfmask: get_u64(b, 1348),
            postblformat: g(1356),
            nrpos: g(1360),
            postbloff: g(1364),
            rotbloff: g(1368),
            magic: get_u32(b, 1372),
        })
    }
}

/// An on-disk inode (`struct icommon`, 128 bytes). Offsets in field docs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dinode {
    /// @0 mode: type (`IFMT`) and permission bits.
    pub mode: u16,
    /// @2 link count.
    pub nlink: i16,
    /// @4 short uid (65535 = see `uid`).
    pub suid: u16,
    /// @6 short gid (65535 = see `gid`).
    pub sgid: u16,
    /// @8 size, bytes.
    pub size: u64,
    /// @16 access time (seconds, microseconds).
    pub atime: (i32, i32),
    /// @24 modification time.
    pub mtime: (i32, i32),
    /// @32 inode change time.
    pub ctime: (i32, i32),
    /// @40 direct frag addresses (for x86 devices, `db[1]` holds the device number).
    pub db: [i32; NDADDR],
    /// @88 single, double and triple indirect block addresses.
    pub ib: [i32; NIADDR],
    /// @100 flags (`IXATTR`, `IFALLOCATE`, `ICOMPRESS`).
    pub flags: u32,
    /// @104 512-byte sectors held (data frags and indirect blocks).
    pub blocks: i32,
    /// @108 generation number.
    pub gen: i32,
    /// @112 ACL shadow inode (0 = none).
    pub shadow: u32,
    /// @116 32-bit uid.
    pub uid: u32,
    /// @120 32-bit gid.
    pub gid: u32,
    /// @124 extended-attribute directory inode (0 = none).
    pub oeftflag: u32,
}

impl Dinode {
    /// Encode into `b[..128]`.
    pub fn encode_into(&self, b: &mut [u8]) {
        put_u16(b, 0, self.mode);
        put_u16(b, 2, self.nlink as u16);
        put_u16(b, 4, self.suid);
        put_u16(b, 6, self.sgid);
        put_u64(b, 8, self.size);
        for (off, (s, us)) in [(16, self.atime), (24, self.mtime), (32, self.ctime)] {
            put_i32(b, off, s);
            put_i32(b, off + 4, us);
        }
        for (i, &a) in self.db.iter().enumerate() {
            put_i32(b, 40 + 4 * i, a);
        }
        for (i, &a) in self.ib.iter().enumerate() {
            put_i32(b, 88 + 4 * i, a);
        }
        put_u32(b, 100, self.flags);
        put_i32(b, 104, self.blocks);
        put_i32(b, 108, self.gen);
        put_u32(b, 112, self.shadow);
        put_u32(b, 116, self.uid);
        put_u32(b, 120, self.gid);
        put_u32(b, 124, self.oeftflag);
    }

    /// Decode from `b[..128]`.
    pub fn decode(b: &[u8]) -> Dinode {
        let mut db = [0i32; NDADDR];
        for (i, a) in db.iter_mut().enumerate() {
            *a = get_i32(b, 40 + 4 * i);
        }
        let mut ib = [0i32; NIADDR];
        for (i, a) in ib.iter_mut().enumerate() {
            *a = get_i32(b, 88 + 4 * i);
        }
        Dinode {
            mode: get_u16(b, 0),
            nlink: get_u16(b, 2) as i16,
            suid: get_u16(b, 4),
            sgid: get_u16(b, 6),
            size: get_u64(b, 8),
            atime: (get_i32(b, 16), get_i32(b, 20)),
            mtime: (get_i32(b, 24), get_i32(b, 28)),
            ctime: (get_i32(b, 32), get_i32(b, 36)),
            db,
            ib,
            flags: get_u32(b, 100),
            blocks: get_i32(b, 104),
            gen: get_i32(b, 108),
            shadow: get_u32(b, 112),
            uid: get_u32(b, 116),
            gid: get_u32(b, 120),
            oeftflag: get_u32(b, 124),
        }
    }

    /// The owner uid by the EFT rule: `suid` unless it is `UID_LONG`.
    pub fn owner_uid(&self) -> u32 {
        if self.suid == UID_LONG {
            self.uid
        } else {
            u32::from(self.suid)
        }
    }

    /// The owner gid by the EFT rule: `sgid` unless it is `UID_LONG`.
    pub fn owner_gid(&self) -> u32 {
        if self.sgid == UID_LONG {
            self.gid
        } else {
            u32::from(self.sgid)
        }
    }
}

/// Encode a device number as illumos stores it in `ic_db[1]` on x86: the old
/// 16-bit form `(major << 8) | minor` when major ≤ 0x7f and minor ≤ 0xff,
/// else the SVR4 form `(major << 18) | minor` (major ≤ 0x3fff, minor ≤ 0x3ffff).
/// `None` if the numbers do not fit the SVR4 form, or if the SVR4 word would
/// have 0 or 0xffff in its top 16 bits (major 0 with minor 256..=65535, or
/// major 16383 with minor ≥ 196608): illumos `ufs_iget` and Linux both read
/// such a word back as an old-form number, so no encoding round-trips.
pub fn encode_dev(major: u32, minor: u32) -> Option<u32> {
    if major <= 0x7f && minor <= 0xff {
        Some((major << 8) | minor)
    } else if major <= 0x3fff && minor <= 0x3ffff {
        let v = (major << 18) | minor;
        let hi = v >> 16;
        (hi != 0 && hi != 0xffff).then_some(v)
    } else {
        None
    }
}

/// Decode an `ic_db[1]` device number (`ufs_iget`): top 16 bits 0 or 0xffff
/// is the old form (8-bit major in bits 8..14, minor in bits 0..7), else SVR4.
pub fn decode_dev(v: u32) -> (u32, u32) {
    let hi = v >> 16;
    if hi == 0 || hi == 0xffff {
        ((v >> 8) & 0x7f, v & 0xff)
    } else {
        (v >> 18, v & 0x3ffff)
    }
}

/// Size of a directory entry with a name of `namlen` bytes (`DIRSIZ`):
/// 8 header bytes plus the name and its NUL rounded up to 4.
pub const fn dirsiz(namlen: usize) -> usize {
    8 + ((namlen + 1 + 3) & !3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superblock_offsets_round_trip() {
        let sb = Superblock {
            sblkno: 16,
            qbmask: 8191,
            qfmask: 1023,
            magic: FS_MAGIC,
            npsect: 601,
            state: 0x1234,
            cstotal: Csum {
                ndir: 1,
                nbfree: 2,
                nifree: 3,
                nffree: 4,
            },
            ..Default::default()
        };
        let b = sb.encode();
        assert_eq!(b.len(), 8192);
        assert_eq!(&b[1372..1376], &[0x54, 0x19, 0x01, 0x00]);
        assert_eq!(&b[1340..1348], &[0xff, 0x1f, 0, 0, 0, 0, 0, 0]);
        assert_eq!(get_u32(&b, 1336), 601);
        assert_eq!(get_u32(&b, 132), 0x1234);
        assert_eq!(get_u32(&b, 204), 4);
        assert_eq!(Superblock::decode(&b).unwrap(), sb);
    }

    #[test]
    fn device_numbers() {
        assert_eq!(encode_dev(127, 255), Some(0x7fff));
        assert_eq!(encode_dev(128, 0), Some(128 << 18));
        assert_eq!(encode_dev(1, 256), Some((1 << 18) | 256));
        // Would read back as old-form 127,255.
        assert_eq!(encode_dev(16383, 262143), None);
        assert_eq!(encode_dev(16383, 196607), Some(0xfffe_ffff));
        assert_eq!(encode_dev(16384, 0), None);
        assert_eq!(encode_dev(0, 262144), None);
        // Would read back as old-form (1, 44).
        assert_eq!(encode_dev(0, 300), None);
        assert_eq!(encode_dev(0, 65536), Some(65536));
        for (ma, mi) in [
            (0, 0),
            (127, 255),
            (128, 0),
            (1, 256),
            (16383, 0),
            (16382, 262143),
            (1, 262143),
            (16383, 196607),
            (13, 2),
        ] {
            assert_eq!(decode_dev(encode_dev(ma, mi).unwrap()), (ma, mi));
        }
    }

    #[test]
    fn dirsiz_values() {
        assert_eq!(dirsiz(1), 12);
        assert_eq!(dirsiz(2), 12);
        assert_eq!(dirsiz(3), 12);
        assert_eq!(dirsiz(4), 16);
        assert_eq!(dirsiz(10), 20);
        assert_eq!(dirsiz(255), 264);
    }

    #[test]
    fn inode_round_trip() {
        let d = Dinode {
            mode: IFREG | 0o644,
            nlink: 1,
            suid: UID_LONG,
            uid: 70000,
            size: 1 << 33,
            db: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            ib: [13, 14, 15],
            blocks: 99,
            gen: -5,
            ..Default::default()
        };
        let mut b = [0u8; 128];
        d.encode_into(&mut b);
        assert_eq!(get_u32(&b, 116), 70000);
        assert_eq!(get_u32(&b, 88), 13);
        assert_eq!(Dinode::decode(&b), d);
        assert_eq!(d.owner_uid(), 70000);
    }
}

#!/usr/bin/env python3
"""Strict pycdlib reading of an ISO image, for the mvi ISO validator harness.

Usage: pycdlib_check.py ISO [--boot-path RR_PATH]

pycdlib's open() checks the descriptors, both-endian fields, the L and M path
tables and the El Torito catalog; this script then walks every tree the image
has (primary, Rock Ridge, Joliet), reads every file's bytes through pycdlib
and prints what it saw, one record per line, for the Rust side
(tests/src/iso_validators.rs) to compare with the expected tree:

    PYCDLIB <version>
    VOLUME <escaped volume id, trailing spaces removed>
    RR <Rock Ridge version, e.g. 1.09> | RR none
    JOLIET yes | JOLIET no
    BOOT <platform> <indicator> <media> <segment> <systype> <count> <rba>
    BOOT none
    BOOTFILE <extent> <size>             (with --boot-path, if found)
    I <path> <d|f> <size> <sha256|->     primary tree (ISO 9660 identifiers)
    R <PATH TYPE PERM UID GID SIZE NLINK MAJOR MINOR SHA256 TARGET>
    J <path> <d|f> <size> <sha256|->     Joliet tree (UCS-2 names as UTF-8)
    END

R lines use the manifest format of tests/src/manifest.rs (NLINK is the PX
link count, MAJOR/MINOR the PN high/low words). Paths are relative to the
root and escaped like fstree::escape_bytes: bytes 0x21-0x7e except backslash
verbatim, backslash doubled, anything else as a 3-digit octal escape.

Problems that pycdlib accepts but that make a record unusable (a Rock Ridge
record without PX, a file whose bytes cannot be read) are printed as
ERROR lines; any ERROR or exception makes the exit status non-zero.
"""

import hashlib
import stat
import sys
import traceback

import pycdlib

ERRORS = []


def esc(raw):
    """Escape raw bytes as fstree::escape_bytes does."""
    out = []
    for b in raw:
        if b == 0x5C:
            out.append('\\\\')
        elif 0x21 <= b <= 0x7E:
            out.append(chr(b))
        else:
            out.append('\\%03o' % b)
    return ''.join(out)


def emit(line):
    sys.stdout.write(line + '\n')


def error(msg):
    ERRORS.append(msg)
    emit('ERROR ' + msg)


class Hasher:
    """A write-only file object that hashes and counts what pycdlib writes."""

    def __init__(self):
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, data):
        self.h.update(data)
        self.n += len(data)
        return len(data)

    def seek(self, offset, whence=0):
        """pycdlib pads the boot catalog by seeking forward: hash zeros."""
        target = offset if whence == 0 else self.n + offset
        if whence not in (0, 1) or target < self.n:
            raise OSError('Hasher: only forward seeks are supported')
        self.write(bytes(target - self.n))
        return self.n

    def tell(self):
        return self.n


def read_hash(iso, **path):
    """(sha256 hex, byte count) of a file read through pycdlib."""
    h = Hasher()
    iso.get_file_from_iso_fp(h, **path)
    return h.h.hexdigest(), h.n


ISO_PATH = None
# Extents of multi-extent files, by id() of their last record (pycdlib's
# records have __slots__, so they cannot carry the list themselves).
EXTENTS = {}


def children(iso, **path):
    """Directory records of a directory, without '.' and '..'.

    A multi-extent file (ECMA-119 level 3: every record but the last has
    file flag 0x80) comes out once, as its first record, with
    EXTENTS[id(record)] = [(lba, length), ...] of the whole chain, which
    pycdlib links through data_continuation.
    """
    seen = set()
    for rec in iso.list_children(**path):
        if rec is None or rec.is_dot() or rec.is_dotdot() or id(rec) in seen:
            continue
        exts = [(rec.extent_location(), rec.get_data_length())]
        r = rec
        while r.data_continuation is not None and len(exts) < 4096:
            r = r.data_continuation
            seen.add(id(r))
            exts.append((r.extent_location(), r.get_data_length()))
        EXTENTS[id(rec)] = exts
        yield rec


def extents_size(rec):
    """Data length of a (possibly multi-extent) file."""
    return sum(n for _, n in EXTENTS.get(id(rec), [(0, rec.get_data_length())]))


def read_extents_hash(rec):
    """(sha256 hex, byte count) of a multi-extent file read straight from
    the image, extent by extent."""
    h = hashlib.sha256()
    total = 0
    with open(ISO_PATH, 'rb') as f:
        for lba, n in EXTENTS[id(rec)]:
            f.seek(lba * 2048)
            left = n
            while left:
                chunk = f.read(min(left, 1 << 20))
                if not chunk:
                    error('extent at %d ends past the image' % lba)
                    break
                h.update(chunk)
                left -= len(chunk)
                total += len(chunk)
    return h.hexdigest(), total


def read_file_hash(iso, rec, **path):
    """(sha256, count) of a file: through pycdlib, or extent by extent for
    a multi-extent file."""
    if len(EXTENTS.get(id(rec), [])) > 1:
        return read_extents_hash(rec)
    return read_hash(iso, **path)


def join(prefix, name):
    return name if not prefix else prefix + b'/' + name


def rr_entry(rr, attr):
    """A Rock Ridge entry (px_record, pn_record) from the record or its CE area."""
    val = getattr(rr.dr_entries, attr, None)
    if val is None and rr.ce_entries is not None:
        val = getattr(rr.ce_entries, attr, None)
    return val


TYPES = [
    (stat.S_IFDIR, 'd'), (stat.S_IFREG, 'f'), (stat.S_IFLNK, 'l'),
    (stat.S_IFCHR, 'c'), (stat.S_IFBLK, 'b'), (stat.S_IFIFO, 'p'),
    (stat.S_IFSOCK, 's'),
]


def type_letter(mode):
    fmt = stat.S_IFMT(mode)
    for bits, letter in TYPES:
        if fmt == bits:
            return letter
    return '?'


def as_str(raw):
    """A path as the str pycdlib encodes back to these bytes, or None."""
    try:
        return '/' + raw.decode('utf-8')
    except UnicodeDecodeError:
        return None


def walk_primary(iso, with_content):
    """I lines for the primary tree; content hashed only when asked."""
    stack = [b'']
    while stack:
        d = stack.pop()
        for rec in children(iso, iso_path='/' + d.decode('latin-1')):
            name = rec.file_identifier()
            p = join(d, name)
            if rec.is_dir():
                emit('I %s d - -' % esc(p))
                stack.append(p)
                continue
            sha = '-'
            if with_content:
                sha, n = read_file_hash(iso, rec, iso_path='/' + p.decode('latin-1'))
                if n != extents_size(rec):
                    error('primary %s: read %d bytes, record says %d'
                          % (esc(p), n, extents_size(rec)))
            emit('I %s f %d %s' % (esc(p), extents_size(rec), sha))


def walk_rr(iso):
    """R lines for the Rock Ridge tree.

    Directories are listed and files read by their Rock Ridge path
    (rr_path), which pycdlib encodes as UTF-8; a path that is not valid
    UTF-8 falls back to the primary path of the same records.
    """
    # (rr path bytes, iso path bytes)
    stack = [(b'', b'')]
    while stack:
        d, diso = stack.pop()
        rd = as_str(d)
        if rd is not None:
            recs = children(iso, rr_path=rd)
        else:
            recs = children(iso, iso_path='/' + diso.decode('latin-1'))
        for rec in recs:
            rr = rec.rock_ridge
            iso_name = rec.file_identifier()
            piso = join(diso, iso_name)
            if rr is None:
                error('record %s has no Rock Ridge entries' % esc(piso))
                continue
            p = join(d, rr.name())
            px = rr_entry(rr, 'px_record')
            if px is None:
                error('%s: no PX entry' % esc(p))
                continue
            mode = px.posix_file_mode
            t = type_letter(mode)
            size = '-'
            major = minor = '-'
            sha = '-'
            target = '-'
            if rec.is_dir() != (t == 'd'):
                error('%s: PX type %s but directory flag %s' % (esc(p), t, rec.is_dir()))
            if rr.is_symlink() != (t == 'l'):
                error('%s: PX type %s but SL present: %s' % (esc(p), t, rr.is_symlink()))
            if t == 'd':
                stack.append((p, piso))
            elif t == 'f':
                ps = as_str(p)
                if ps is not None:
                    sha, n = read_file_hash(iso, rec, rr_path=ps)
                else:
                    sha, n = read_file_hash(iso, rec, iso_path='/' + piso.decode('latin-1'))
                size = str(n)
                if n != extents_size(rec):
                    error('%s: read %d bytes, record says %d'
                          % (esc(p), n, extents_size(rec)))
            elif t == 'l':
                tgt = rr.symlink_path()
                target = esc(tgt)
                size = str(len(tgt))
            elif t in 'cb':
                pn = rr_entry(rr, 'pn_record')
                if pn is None:
                    error('%s: device without PN entry' % esc(p))
                else:
                    major, minor = str(pn.dev_t_high), str(pn.dev_t_low)
            emit('R %s %s %04o %d %d %s %d %s %s %s %s' % (
                esc(p), t, mode & 0o7777, px.posix_user_id, px.posix_group_id,
                size, px.posix_file_links, major, minor, sha, target))


def walk_joliet(iso):
    """J lines for the Joliet tree; printed names without a trailing ';1'
    (files are looked up by their recorded names, with it)."""
    # (display path, lookup path)
    stack = [('', '')]
    while stack:
        d, dl = stack.pop()
        for rec in children(iso, joliet_path='/' + dl):
            raw = rec.file_identifier().decode('utf-16-be', errors='surrogatepass')
            name = raw
            if not rec.is_dir() and name.endswith(';1'):
                name = name[:-2]
            p = name if not d else d + '/' + name
            pl = raw if not dl else dl + '/' + raw
            shown = p.encode('utf-8', errors='surrogatepass')
            if rec.is_dir():
                emit('J %s d - -' % esc(shown))
                stack.append((p, pl))
                continue
            sha, n = read_file_hash(iso, rec, joliet_path='/' + pl)
            if n != extents_size(rec):
                error('joliet %s: read %d bytes, record says %d'
                      % (esc(shown), n, extents_size(rec)))
            emit('J %s f %d %s' % (esc(shown), n, sha))


def boot(iso, boot_path):
    cat = iso.eltorito_boot_catalog
    if cat is None:
        emit('BOOT none')
        return
    e = cat.initial_entry
    emit('BOOT %d %d %d %d %d %d %d' % (
        cat.validation_entry.platform_id, e.boot_indicator, e.boot_media_type,
        e.load_segment, e.system_type, e.sector_count, e.load_rba))
    if boot_path is not None and iso.rock_ridge:
        try:
            rec = iso.get_record(rr_path='/' + boot_path)
        except pycdlib.pycdlibexception.PyCdlibException as e:
            error('boot image %s: %s' % (boot_path, e))
            return
        emit('BOOTFILE %d %d' % (rec.extent_location(), rec.get_data_length()))


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != '--boot-path'):
        sys.stderr.write('usage: pycdlib_check.py ISO [--boot-path RR_PATH]\n')
        return 2
    boot_path = argv[3].lstrip('/') if len(argv) == 4 else None
    try:
        import importlib.metadata
        version = importlib.metadata.version('pycdlib')
    except Exception:  # pylint: disable=broad-except
        version = 'unknown'
    emit('PYCDLIB ' + version)
    iso = pycdlib.PyCdlib()
    global ISO_PATH
    ISO_PATH = argv[1]
    try:
        iso.open(argv[1])
        emit('VOLUME ' + esc(iso.pvd.volume_identifier.rstrip(b' ')))
        emit('RR ' + (iso.rock_ridge if iso.rock_ridge else 'none'))
        emit('JOLIET ' + ('yes' if iso.joliet_vd is not None else 'no'))
        boot(iso, boot_path)
        walk_primary(iso, with_content=not iso.rock_ridge)
        if iso.rock_ridge:
            walk_rr(iso)
        if iso.joliet_vd is not None:
            walk_joliet(iso)
        iso.close()
    except Exception as e:  # pylint: disable=broad-except
        sys.stdout.flush()
        traceback.print_exc()
        sys.stderr.write('pycdlib: %s: %s\n' % (type(e).__name__, e))
        return 1
    emit('END')
    return 1 if ERRORS else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

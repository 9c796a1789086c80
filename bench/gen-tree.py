#!/usr/bin/env python3
"""Deterministic benchmark trees for mvi (python3, standard library only).

Two modes:

  gen-tree.py tree OUT [--files N] [--size BYTES] [--seed S]
      A tree shaped like an OS proto area: N regular files (default 4000)
      totalling BYTES (default 100M) with a log-normal size distribution
      (median a few KiB, a long tail of MiB-sized files, a few empty ones),
      about one directory per 13 files (a few hundred), symlinks (~3 % of
      the files, relative, a few dangling), a handful of hard links, and a
      mix of modes (0644/0755/0555/0444, directories 0755/0555).

      With --content mixed, file bytes look like an OS proto area instead of
      noise (see below); the default --content random keeps every byte
      pseudo-random.

  gen-tree.py big OUT [--size BYTES] [--seed S]
      One regular file OUT/big.bin of BYTES (default 1G) real bytes, not
      sparse: a pseudo-random 1 MiB block repeated, each copy stamped with
      its block number so no two blocks are identical.

Content is pseudo-random (incompressible) from random.Random(seed), or with
--content mixed a compressible mix like a real root tree, drawn from
seeded 4 MiB pools: ~35 % of files text (a Zipf-weighted vocabulary of path,
C and English words: ~3.3:1 under gzip -9), ~45 % binary (skewed opcode-like
bytes, short back-references within 16 KiB, zero padding and embedded
symbol names, like ELF objects: ~2:1), ~20 % already-compressed noise
(.gz, .ttf: 1:1). Names, shape, sizes and bytes depend only on the
arguments, so the same command gives the same tree on any machine. All timestamps are set to --mtime
(default 1451606400) so the tree's metadata is reproducible too.

Sizes accept a K/M/G suffix (powers of 1024). OUT must not exist or be an
empty directory (or pass --force to delete it first).
"""

import argparse
import math
import os
import random
import shutil
import sys

MIB = 1 << 20

# Name material, so path lengths look like a real proto area rather than d0001.
WORDS = (
    "usr lib bin sbin etc var opt share man include kernel drv amd64 i86pc "
    "platform misc fs sys net inet ssl certs locale zoneinfo perl5 python "
    "svc manifest method network system boot grub sparcv9 sfw gnu xpg4 "
    "ccs demo doc dtrace terminfo mdb kmdb crypto security pkcs11 fm dict "
    "cfgadm devfsadm hal libc sched strmod mach cpu ipp mailx spell"
).split()
EXTS = ("", "", "", ".so.1", ".so", ".h", ".1", ".3c", ".conf", ".xml",
        ".py", ".pm", ".txt", ".a", ".d", ".mo", ".ttf", ".gz")


def parse_size(s):
    s = s.strip()
    mult = 1
    suf = s[-1:].upper()
    if suf in "KMG" and suf:
        mult = 1024 ** ("KMG".index(suf) + 1)
        s = s[:-1]
    n = int(float(s) * mult)
    if n < 0:
        raise argparse.ArgumentTypeError("size must be >= 0")
    return n


def prepare_out(out, force):
    if os.path.lexists(out):
        if force:
            shutil.rmtree(out)
        elif not os.path.isdir(out) or os.listdir(out):
            sys.exit(f"gen-tree: {out} exists and is not an empty directory (use --force)")
    os.makedirs(out, exist_ok=True)


def name(rng, used, ext=True):
    """A fresh name in one directory: 1-3 words, maybe a number, maybe an extension."""
    while True:
        parts = [rng.choice(WORDS) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        n = "_".join(parts) if rng.random() < 0.5 else "".join(parts)
        if rng.random() < 0.4:
            n += str(rng.randrange(1000))
        if rng.random() < 0.01:  # a few long names (multi-entry directory blocks)
            n += "_" + "x" * rng.randrange(40, 200)
        if ext:
            n += rng.choice(EXTS)
        n = n[:255]
        if n not in used:
            used.add(n)
            return n


def file_sizes(rng, count, total):
    """count sizes summing exactly to total, log-normal (median ~4 KiB before scaling)."""
    if count == 0:
        return []
    cap = max(1, min(16 * MIB, total // 4 if count > 4 else total))
    raw = []
    for _ in range(count):
        if rng.random() < 0.02:
            raw.append(0.0)  # empty files (markers, placeholder configs)
        else:
            raw.append(rng.lognormvariate(math.log(4096), 2.0))
    s = sum(raw) or 1.0
    sizes = [min(cap, int(x * total / s)) for x in raw]
    # Hand the rounding/clipping difference to the largest files, keeping each <= cap;
    # if every file is at the cap the remainder goes to the biggest one anyway.
    diff = total - sum(sizes)
    order = sorted(range(count), key=lambda i: -sizes[i])
    for i in order:
        if diff <= 0:
            break
        add = min(diff, cap - sizes[i])
        sizes[i] += add
        diff -= add
    if diff > 0:
        sizes[order[0]] += diff
    while diff < 0:  # only when total is tiny
        for i in order:
            take = min(-diff, sizes[i])
            sizes[i] -= take
            diff += take
            if diff == 0:
                break
    assert sum(sizes) == total
    return sizes


def write_random(path, rng, size, mode):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 4 * MIB)
            f.write(rng.randbytes(n))
            left -= n
    os.chmod(path, mode)


POOL = 4 * MIB


class Mixed:
    """The --content mixed generator: seeded text and binary pools; each file
    is noise or slices of one pool at random offsets."""

    def __init__(self, seed):
        self.rng = random.Random(seed * 1_000_003 + 17)
        self.text = self.text_pool()
        self.binary = self.binary_pool()

    def text_pool(self):
        rng = self.rng
        vocab = list(WORDS) + [w.capitalize() for w in WORDS[:20]] + (
            "the of and to in is for a be it with on as by this that not "
            "# /* */ { } = == != 0 1 2 16 32 64 0x0 if else return int "
            "char static void struct const NULL -> ( ) ; , . : "
            "<service> </service> <property> name= value= type= "
            "PATH= export set -e echo fi then do done").split()
        rng.shuffle(vocab)
        weights = [1.0 / (i + 1) for i in range(len(vocab))]
        seps = (" ", " ", " ", " ", " ", "\n", "\n\t", "\n    ", ", ", "_", "/", "=")
        parts, n = [], 0
        while n < POOL:
            words = rng.choices(vocab, weights, k=8192)
            sp = rng.choices(seps, k=8192)
            chunk = "".join(w + s for w, s in zip(words, sp))
            parts.append(chunk)
            n += len(chunk)
        return "".join(parts).encode()[:POOL]

    def binary_pool(self):
        rng = self.rng
        # Skewed byte values: zeros, 0xff and common x86 opcode/ModRM bytes
        # take most of the 256 slots of a translation table.
        common = [0x00] * 60 + [0xFF] * 14 + [0x48, 0x89, 0x8B, 0xE8, 0x0F, 0x24, 0x44,
                                              0x85, 0xC0, 0x83, 0x74, 0x75, 0x4C, 0x8D,
                                              0x01, 0x10, 0x20, 0x08] * 4
        table = bytes(common + list(range(256 - len(common))))
        out = bytearray()
        while len(out) < POOL:
            r = rng.random()
            if r < 0.35:
                out += rng.randbytes(rng.randrange(16, 200)).translate(table)
            elif r < 0.75 and len(out) > 1024:
                d = rng.randrange(16, min(len(out), 16384))
                start = len(out) - d
                out += out[start:start + rng.randrange(6, 96)]
            elif r < 0.87:
                out += bytes(rng.randrange(1, 48))
            else:
                at = rng.randrange(POOL - 64)
                out += self.text[at:at + rng.randrange(6, 40)] + b"\0"
        return bytes(out[:POOL])

    def write(self, path, size, mode):
        rng = self.rng
        r = rng.random()
        pool = self.text if r < 0.35 else self.binary if r < 0.80 else None
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, rng.randrange(4096, 65536))
                if pool is None:
                    f.write(rng.randbytes(n))
                else:
                    at = rng.randrange(POOL - n)
                    f.write(pool[at:at + n])
                left -= n
        os.chmod(path, mode)


def gen_tree(args):
    rng = random.Random(args.seed)
    out = args.out
    prepare_out(out, args.force)

    ndirs = args.dirs if args.dirs is not None else max(1, round(args.files / 13))
    # Directories: a random tree, parents biased toward shallow depth (max 8).
    dirs = [("", 0)]  # (relative path, depth); "" is the root
    used = {"": set()}
    while len(dirs) < ndirs + 1:
        parent, depth = dirs[min(int(rng.paretovariate(0.7)) - 1, len(dirs) - 1)
                             if rng.random() < 0.3 else rng.randrange(len(dirs))]
        if depth >= 8:
            continue
        n = name(rng, used[parent], ext=False)
        p = os.path.join(parent, n) if parent else n
        dirs.append((p, depth + 1))
        used[p] = set()
    dir_paths = [d for d, _ in dirs]
    for d in dir_paths[1:]:
        os.mkdir(os.path.join(out, d))

    # Regular files: spread over directories, heavier toward a few "lib"-like ones.
    sizes = file_sizes(rng, args.files, args.total)
    mixed = Mixed(args.seed) if args.content == "mixed" else None
    hot = rng.sample(dir_paths, max(1, len(dir_paths) // 10))
    files = []
    for size in sizes:
        d = rng.choice(hot) if rng.random() < 0.4 else rng.choice(dir_paths)
        n = name(rng, used[d])
        p = os.path.join(d, n) if d else n
        mode = rng.choices((0o644, 0o755, 0o555, 0o444), (60, 25, 10, 5))[0]
        if mixed:
            mixed.write(os.path.join(out, p), size, mode)
        else:
            write_random(os.path.join(out, p), rng, size, mode)
        files.append(p)

    # Hard links (~0.5 %), as /usr/bin and /usr/sbin hold many.
    nhard = args.files // 200
    for _ in range(nhard):
        src = rng.choice(files)
        d = rng.choice(dir_paths)
        n = name(rng, used[d])
        os.link(os.path.join(out, src), os.path.join(out, d, n))

    # Symlinks (~3 %): relative to a file or directory, a few dangling, a few long targets.
    nsym = args.symlinks if args.symlinks is not None else max(1, args.files * 3 // 100)
    for _ in range(nsym):
        d = rng.choice(dir_paths)
        n = name(rng, used[d])
        r = rng.random()
        if r < 0.05:
            target = "../" * rng.randrange(1, 4) + "missing/" + n
        elif r < 0.15:
            target = rng.choice(dir_paths) or "."
            target = os.path.relpath(os.path.join(out, target), os.path.join(out, d))
        else:
            target = os.path.relpath(os.path.join(out, rng.choice(files)), os.path.join(out, d))
        os.symlink(target, os.path.join(out, d, n))

    # Directory modes, then timestamps, deepest first so parents are touched last.
    for d, _ in dirs[1:]:
        if rng.random() < 0.1:
            os.chmod(os.path.join(out, d), 0o555)
    set_times(out, args.mtime)
    total_links = args.files + nhard
    print(f"gen-tree: {out}: {len(dir_paths) - 1} directories, {args.files} files "
          f"({total_links - args.files} extra hard links), {nsym} symlinks, "
          f"{args.total} bytes, seed {args.seed}, {args.content} content", file=sys.stderr)


def gen_big(args):
    rng = random.Random(args.seed)
    prepare_out(args.out, args.force)
    block = bytearray(rng.randbytes(MIB))
    path = os.path.join(args.out, "big.bin")
    with open(path, "wb") as f:
        left, i = args.total, 0
        while left:
            block[0:8] = i.to_bytes(8, "little")
            n = min(left, MIB)
            f.write(block[:n] if n < MIB else block)
            left -= n
            i += 1
    os.chmod(path, 0o644)
    set_times(args.out, args.mtime)
    print(f"gen-tree: {path}: {args.total} bytes, seed {args.seed}", file=sys.stderr)


def set_times(out, t):
    for root, dnames, fnames in os.walk(out, topdown=False):
        for n in fnames + dnames:
            os.utime(os.path.join(root, n), (t, t), follow_symlinks=False)
    os.utime(out, (t, t))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("mode", choices=("tree", "big"))
    ap.add_argument("out", help="output directory")
    ap.add_argument("--files", type=int, default=4000, help="regular files (tree mode; default 4000)")
    ap.add_argument("--size", dest="total", type=parse_size, default=None,
                    help="total bytes of file data (default 100M for tree, 1G for big)")
    ap.add_argument("--dirs", type=int, default=None, help="directories (default files/13)")
    ap.add_argument("--symlinks", type=int, default=None, help="symlinks (default 3%% of files)")
    ap.add_argument("--seed", type=int, default=1, help="PRNG seed (default 1)")
    ap.add_argument("--mtime", type=int, default=1451606400, help="timestamp for every entry")
    ap.add_argument("--content", choices=("random", "mixed"), default="random",
                    help="file bytes (tree mode): random (incompressible, default) or mixed "
                         "(text, binary-like and noise, compressible like a real root)")
    ap.add_argument("--force", action="store_true", help="delete OUT first if it exists")
    args = ap.parse_args()
    if args.total is None:
        args.total = 100 * MIB if args.mode == "tree" else 1024 * MIB
    if args.files < 0:
        ap.error("--files must be >= 0")
    (gen_tree if args.mode == "tree" else gen_big)(args)


if __name__ == "__main__":
    main()

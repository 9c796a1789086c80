#!/usr/bin/env bash
# bench/build.sh - the whole pipeline: `mvi build` against the chain of peers
# `makefs -t ffs` (root image) + `gzip -9n` (boot archive) + `xorriso -as mkisofs`
# (El Torito ISO of boot/ and platform/), on one generated illumos-shaped proto.
#
#   bash bench/build.sh        # prints a markdown block for docs/BENCHMARKS.md
#
# The proto: `mvi demo`'s (kernels, 50 kernel modules, etc/) plus a generated
# tree of FILES files / SIZE bytes of mixed content under usr/lib/bench, which
# the base rules would prune: `mvi build` gets a rule file that restores it,
# so both sides image the same data (the chain also keeps what base prunes,
# ~3.5 MiB). Rounds run mvi then the chain; medians; peak RSS from GNU time.
# Knobs: RUNS [5], FILES [3000], SIZE [100M], BENCH_DIR [/tmp/mvi-bench-build], KEEP=1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-5}; FILES=${FILES:-3000}; SIZE=${SIZE:-100M}
BENCH_DIR=${BENCH_DIR:-/tmp/mvi-bench-build}
TIME=/usr/bin/time
for t in makefs gzip xorriso python3; do command -v $t >/dev/null || { echo "build.sh: $t missing" >&2; exit 1; }; done
(cd "$ROOT" && cargo build --release -p mvi >&2)
MVI=$ROOT/target/release/mvi
STAGE2=$(sed -n 's/^MVI_STAGE2_ELTORITO=//p' "${MVI_TEST_CACHE:-/var/cache/mvi-test}/env")
rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"; W=$BENCH_DIR
[[ ${KEEP:-0} == 1 ]] || trap 'rm -rf "$W"' EXIT
"$MVI" -q demo "$W/demo" >/dev/null
PROTO=$W/demo/proto
python3 "$ROOT/bench/gen-tree.py" tree "$PROTO/usr/lib/bench" --files "$FILES" --size "$SIZE" --seed 1 --content mixed >/dev/null
mkdir -p "$PROTO/boot/grub"; cp "$STAGE2" "$PROTO/boot/grub/stage2_eltorito"
printf 'restore usr/lib/bench usr/lib/bench/**\n' > "$W/keep.rules"
files=$(find "$PROTO" -type f | wc -l); bytes=$(du -sb "$PROTO" | cut -f1)

mvi_run() { "$MVI" -q build "$PROTO" -o "$W/mvi.iso" --rules "$W/keep.rules" --dialect plain; }
chain_run() {
    rm -rf "$W/iso"; mkdir -p "$W/iso/boot/grub" "$W/iso/platform/i86pc/kernel/amd64"
    makefs -t ffs -B le "$W/root.img" "$PROTO" >/dev/null
    gzip -9n -c "$W/root.img" > "$W/iso/platform/i86pc/boot_archive"
    cp "$PROTO/platform/i86pc/kernel/unix" "$W/iso/platform/i86pc/kernel/unix"
    cp "$PROTO/platform/i86pc/kernel/amd64/unix" "$W/iso/platform/i86pc/kernel/amd64/unix"
    cp "$STAGE2" "$W/iso/boot/grub/stage2_eltorito"; cp "$W/demo/keep/menu.lst" "$W/iso/boot/grub/menu.lst" 2>/dev/null || echo "timeout 5" > "$W/iso/boot/grub/menu.lst"
    xorriso -as mkisofs -quiet -R -b boot/grub/stage2_eltorito -c .catalog -no-emul-boot \
        -boot-load-size 4 -boot-info-table -V illumos -o "$W/chain.iso" "$W/iso" 2>/dev/null
}
timed() { # NAME CMD: append "wall rss_kib" to $W/NAME.t
    local name=$1; shift
    local t0=$EPOCHREALTIME
    $TIME -f '%M' -o "$W/$name.rss" "$@"
    local t1=$EPOCHREALTIME
    echo "$(python3 -c "print(round($t1-$t0,3))") $(cat "$W/$name.rss")" >> "$W/$name.t"
}
mvi_run; chain_run   # warm-up
for ((i = 0; i < RUNS; i++)); do
    timed mvi bash -c "$(declare -f mvi_run); MVI=$MVI PROTO=$PROTO W=$W mvi_run"
    timed chain bash -c "$(declare -f chain_run); PROTO=$PROTO W=$W STAGE2=$STAGE2 chain_run"
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maxrss() { sort -k2 -n "$1" | tail -1 | cut -d' ' -f2; }
m=$(med "$W/mvi.t"); c=$(med "$W/chain.t")
ratio=$(python3 -c "print(round($m/$c,2))")
cat <<MD
### Whole pipeline: \`mvi build\` vs makefs + gzip -9n + xorriso ($(date -u +%F))

- Proto: mvi demo's proto plus \`gen-tree.py tree --files $FILES --size $SIZE --content mixed\` = $files files, $(numfmt --to=iec "$bytes")B
- Method: one warm-up each, then $RUNS rounds of both (mvi first), medians; the chain is the three peer commands run back to back.

| pipeline | wall median (s) | peak RSS (MiB) | ISO bytes |
|---|---:|---:|---:|
| \`mvi build\` | $m | $(( $(maxrss "$W/mvi.t") / 1024 )) | $(stat -c %s "$W/mvi.iso") |
| makefs + gzip -9n + xorriso | $c | $(( $(maxrss "$W/chain.t") / 1024 )) | $(stat -c %s "$W/chain.iso") |

**Ratio mvi / chain: $ratio** (goal ≤ 0.5). Reproduce: \`bash bench/build.sh\`.
MD

#!/usr/bin/env bash
# bench/ufs.sh - the UFS step: `mvi ufs` against BSD `makefs -t ffs` on one generated tree.
#
#   bash bench/ufs.sh            # prints a markdown block for docs/BENCHMARKS.md on stdout
#
# Method (docs/BENCHMARKS.md, verification.md section 5): build mvi (release), generate the
# tree once, warm both tools with one untimed run each, then alternate RUNS timed runs of
# each (order swapped every round: A B, B A, ...) writing to the same filesystem as the
# tree, nothing dropped from caches. Medians of wall time, peak RSS from GNU time. Then the
# streaming test: one 1 GiB file, peak RSS of `mvi ufs` must stay below 64 MiB.
#
# Environment knobs (defaults in brackets):
#   BENCH_DIR [/tmp/mvi-bench]  scratch space (a run.XXXXXX directory in it is removed on exit)
#   RUNS [7]  BIG_RUNS [5]      timed runs per tool for the tree / the 1 GiB file
#   FILES [4000]  SIZE [100M]  BIG [1G]  SEED [1]   generator parameters
#   SCALE_FILES ["20000 40000"]  SCALE_RUNS [3]     scaling rows (same SIZE, more files;
#                               SCALE_FILES= (empty) skips them)
#   MVI [target/release/mvi]    binary to test;  SKIP_BUILD=1 skips `cargo build`
#   KEEP=1                      keep the scratch directory
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-7}
BIG_RUNS=${BIG_RUNS:-5}
FILES=${FILES:-4000}
SIZE=${SIZE:-100M}
BIG=${BIG:-1G}
SEED=${SEED:-1}
BENCH_DIR=${BENCH_DIR:-/tmp/mvi-bench}
MVI=${MVI:-${CARGO_TARGET_DIR:-$ROOT/target}/release/mvi}
SCALE_FILES=${SCALE_FILES-20000 40000}
SCALE_RUNS=${SCALE_RUNS:-3}
RSS_LIMIT_KIB=65536
TIME=/usr/bin/time

log() { printf 'ufs.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ -x $TIME ]] || die "GNU time not found at $TIME (apt-get install time)"
command -v makefs >/dev/null || die "makefs not found (apt-get install makefs)"
command -v python3 >/dev/null || die "python3 not found"

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building mvi (cargo build --release -p mvi)"
    (cd "$ROOT" && cargo build --release -p mvi >&2)
fi
[[ -x $MVI ]] || die "no mvi binary at $MVI"

mkdir -p "$BENCH_DIR"
W=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
cleanup() {
    if [[ ${KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_timed TOOL OUT CMD... : run CMD once under GNU time, append
# "wall_s elapsed_s rss_kib user_s sys_s" to $W/TOOL.times. Wall time comes from bash's
# EPOCHREALTIME around the call (microseconds; GNU time's %e only has 10 ms steps, which
# is coarse next to a ~0.2 s run); %e is kept alongside as a cross-check.
run_timed() {
    local tool=$1 out=$2
    shift 2
    rm -f "$out"
    sync # untimed: start every run with no dirty pages from the previous one
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    "$TIME" -o "$W/time.out" -f '%e %M %U %S' "$@" >"$W/cmd.out" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    if ((rc != 0)); then
        cat "$W/cmd.out" "$W/time.out" >&2
        die "$tool failed (exit $rc): $*"
    fi
    printf '%s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" \
        "$(tail -n 1 "$W/time.out")" >>"$W/$tool.times"
}

# fsync_probe OUT CMD... : one extra, untimed run under strace; prints the seconds spent
# inside fsync/fdatasync (neither mvi nor makefs forces a sync; this checks it stays so).
fsync_probe() {
    local out=$1
    shift
    if ! command -v strace >/dev/null; then echo "n/a"; return; fi
    rm -f "$out"
    sync
    if ! strace -f --seccomp-bpf -T -e trace=fsync,fdatasync,sync_file_range,syncfs \
        -o "$W/strace.out" "$@" >/dev/null 2>&1; then
        echo "n/a"
        return
    fi
    awk -F'<' '/^[0-9]+ +(fsync|fdatasync|sync_file_range|syncfs)\(/ { sub(/>.*/, "", $NF); s += $NF; n++ }
        END { printf "%.3f s in %d call(s)", s, n }' "$W/strace.out"
    rm -f "$out"
}

# median FILE COLUMN
median() {
    awk -v c="$2" '{ print $c }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxcol() { awk -v c="$2" 'NR == 1 || $c > m { m = $c } END { print m }' "$1"; }
mincol() { awk -v c="$2" 'NR == 1 || $c < m { m = $c } END { print m }' "$1"; }
fmt() { awk -v x="$1" -v p="${2:-3}" 'BEGIN { printf "%.*f", p, x }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
allocated() { du --block-size=1 "$1" | cut -f1; }

# ---------------------------------------------------------------- the tree
TREE=$W/tree
log "generating tree: $FILES files, $SIZE, seed $SEED"
python3 "$ROOT/bench/gen-tree.py" tree "$TREE" --files "$FILES" --size "$SIZE" --seed "$SEED" 2>&1 | sed 's/^/  /' >&2
n_dirs=$(($(find "$TREE" -type d | wc -l) - 1))
n_names=$(find "$TREE" -type f | wc -l)
n_files=$(find "$TREE" -type f -printf '%i\n' | sort -u | wc -l)
n_hard=$((n_names - n_files))
n_links=$(find "$TREE" -type l | wc -l)
n_bytes=$(find "$TREE" -type f -printf '%i %s\n' | sort -u | awk '{ s += $2 } END { print s }')
sync # let the generator's writeback finish before anything is timed

MVI_IMG=$W/mvi.img
MK_IMG=$W/makefs.img
mvi_cmd=("$MVI" -q ufs "$TREE" -o "$MVI_IMG")
mk_cmd=(makefs -t ffs -B le "$MK_IMG" "$TREE")

log "warm-up (untimed): one run each"
run_timed warm "$MVI_IMG" "${mvi_cmd[@]}"
run_timed warm "$MK_IMG" "${mk_cmd[@]}"

log "timing: $RUNS alternated runs each"
for ((i = 1; i <= RUNS; i++)); do
    if ((i % 2)); then
        run_timed mvi "$MVI_IMG" "${mvi_cmd[@]}"
        run_timed makefs "$MK_IMG" "${mk_cmd[@]}"
    else
        run_timed makefs "$MK_IMG" "${mk_cmd[@]}"
        run_timed mvi "$MVI_IMG" "${mvi_cmd[@]}"
    fi
    log "  round $i: mvi $(tail -n 1 "$W/mvi.times" | cut -d' ' -f1) s, makefs $(tail -n 1 "$W/makefs.times" | cut -d' ' -f1) s"
done

mvi_wall=$(median "$W/mvi.times" 1)
mk_wall=$(median "$W/makefs.times" 1)
mvi_min=$(mincol "$W/mvi.times" 1)
mvi_max=$(maxcol "$W/mvi.times" 1)
mk_min=$(mincol "$W/makefs.times" 1)
mk_max=$(maxcol "$W/makefs.times" 1)
mvi_user=$(median "$W/mvi.times" 4)
mvi_sys=$(median "$W/mvi.times" 5)
mk_user=$(median "$W/makefs.times" 4)
mk_sys=$(median "$W/makefs.times" 5)
mvi_rss=$(maxcol "$W/mvi.times" 3)
mk_rss=$(maxcol "$W/makefs.times" 3)
ratio=$(awk -v a="$mvi_wall" -v b="$mk_wall" 'BEGIN { printf "%.2f", a / b }')
mvi_size=$(stat -c %s "$MVI_IMG")
mk_size=$(stat -c %s "$MK_IMG")
mvi_alloc=$(allocated "$MVI_IMG")
mk_alloc=$(allocated "$MK_IMG")
tput_mvi=$(awk -v b="$n_bytes" -v t="$mvi_wall" 'BEGIN { printf "%.0f", b / 1048576 / t }')
tput_mk=$(awk -v b="$n_bytes" -v t="$mk_wall" 'BEGIN { printf "%.0f", b / 1048576 / t }')

# Not timed: is the image mvi wrote consistent by its own checker?
if "$MVI" -q check "$MVI_IMG" >"$W/check.out" 2>&1; then
    mvi_check="clean"
else
    mvi_check="NOT clean ($(tail -n 1 "$W/check.out"))"
fi
mvi_fsync=$(fsync_probe "$MVI_IMG" "${mvi_cmd[@]}")
rm -f "$MVI_IMG" "$MK_IMG"
rm -rf "$TREE"

# ---------------------------------------------------------------- scaling with entry count
# Same data volume spread over more files: does per-entry cost stay constant?
scale_rows=""
for n in $SCALE_FILES; do
    ST=$W/scale$n
    log "scaling: $n files, $SIZE (one warm-up, then $SCALE_RUNS alternated runs each)"
    python3 "$ROOT/bench/gen-tree.py" tree "$ST" --files "$n" --size "$SIZE" --seed "$SEED" 2>&1 | sed 's/^/  /' >&2
    sync
    s_mvi=("$MVI" -q ufs "$ST" -o "$MVI_IMG")
    s_mk=(makefs -t ffs -B le "$MK_IMG" "$ST")
    run_timed warm "$MVI_IMG" "${s_mvi[@]}"
    run_timed warm "$MK_IMG" "${s_mk[@]}"
    for ((i = 1; i <= SCALE_RUNS; i++)); do
        if ((i % 2)); then
            run_timed "mvi-$n" "$MVI_IMG" "${s_mvi[@]}"
            run_timed "makefs-$n" "$MK_IMG" "${s_mk[@]}"
        else
            run_timed "makefs-$n" "$MK_IMG" "${s_mk[@]}"
            run_timed "mvi-$n" "$MVI_IMG" "${s_mvi[@]}"
        fi
    done
    a=$(median "$W/mvi-$n.times" 1)
    b=$(median "$W/makefs-$n.times" 1)
    scale_rows+="| $n | $(fmt "$a") | $(fmt "$(median "$W/mvi-$n.times" 4)" 2) | $(mib "$(maxcol "$W/mvi-$n.times" 3)") MiB | $(fmt "$b") | $(mib "$(maxcol "$W/makefs-$n.times" 3)") MiB | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }') |"$'\n'
    log "  $n files: mvi $a s, makefs $b s"
    rm -rf "$ST" "$MVI_IMG" "$MK_IMG"
done

# ---------------------------------------------------------------- streaming: one 1 GiB file
BIGTREE=$W/big
log "generating streaming tree: one file of $BIG"
python3 "$ROOT/bench/gen-tree.py" big "$BIGTREE" --size "$BIG" --seed "$SEED" 2>&1 | sed 's/^/  /' >&2
big_bytes=$(stat -c %s "$BIGTREE/big.bin")
sync
BIG_MVI=$W/big-mvi.img
BIG_MK=$W/big-makefs.img

# Every mvi run is under `time -v`, as the RSS gate asks; makefs runs alongside for scale.
run_verbose() {
    local out=$1 rc=0 t0 t1
    shift
    rm -f "$out"
    sync
    t0=$EPOCHREALTIME
    "$TIME" -v -o "$W/timev.out" "$@" >"$W/cmd.out" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    if ((rc != 0)); then
        cat "$W/cmd.out" "$W/timev.out" >&2
        die "failed (exit $rc): $*"
    fi
    local rss
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$W/timev.out")
    printf '%s 0 %s %s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" "$rss" \
        "$(awk -F': ' '/User time/ { print $2 }' "$W/timev.out")" \
        "$(awk -F': ' '/System time/ { print $2 }' "$W/timev.out")"
}
big_mvi_cmd=("$MVI" -q ufs "$BIGTREE" -o "$BIG_MVI")
big_mk_cmd=(makefs -t ffs -B le "$BIG_MK" "$BIGTREE")
log "streaming test: warm-up (untimed), then $BIG_RUNS alternated runs each (mvi under time -v)"
run_verbose "$BIG_MVI" "${big_mvi_cmd[@]}" >/dev/null
rm -f "$BIG_MVI"
run_verbose "$BIG_MK" "${big_mk_cmd[@]}" >/dev/null
rm -f "$BIG_MK"
for ((i = 1; i <= BIG_RUNS; i++)); do
    if ((i % 2)); then
        run_verbose "$BIG_MVI" "${big_mvi_cmd[@]}" >>"$W/bigmvi.times"
        big_mvi_size=$(stat -c %s "$BIG_MVI")
        rm -f "$BIG_MVI"
        run_verbose "$BIG_MK" "${big_mk_cmd[@]}" >>"$W/bigmk.times"
        big_mk_size=$(stat -c %s "$BIG_MK")
        rm -f "$BIG_MK"
    else
        run_verbose "$BIG_MK" "${big_mk_cmd[@]}" >>"$W/bigmk.times"
        rm -f "$BIG_MK"
        run_verbose "$BIG_MVI" "${big_mvi_cmd[@]}" >>"$W/bigmvi.times"
        rm -f "$BIG_MVI"
    fi
    log "  round $i: mvi $(tail -n 1 "$W/bigmvi.times" | cut -d' ' -f1) s $(tail -n 1 "$W/bigmvi.times" | cut -d' ' -f3) KiB," \
        "makefs $(tail -n 1 "$W/bigmk.times" | cut -d' ' -f1) s $(tail -n 1 "$W/bigmk.times" | cut -d' ' -f3) KiB"
done
big_fsync=$(fsync_probe "$BIG_MVI" "${big_mvi_cmd[@]}")
rm -rf "$BIGTREE"
big_mvi_wall=$(median "$W/bigmvi.times" 1)
big_mk_wall=$(median "$W/bigmk.times" 1)
big_mvi_rss=$(maxcol "$W/bigmvi.times" 3)
big_mk_rss=$(maxcol "$W/bigmk.times" 3)
big_mvi_tput=$(awk -v b="$big_bytes" -v t="$big_mvi_wall" 'BEGIN { printf "%.0f", b / 1048576 / t }')
big_mk_tput=$(awk -v b="$big_bytes" -v t="$big_mk_wall" 'BEGIN { printf "%.0f", b / 1048576 / t }')
big_ratio=$(awk -v a="$big_mvi_wall" -v b="$big_mk_wall" 'BEGIN { printf "%.2f", a / b }')
if ((big_mvi_rss < RSS_LIMIT_KIB)); then gate="PASS"; else gate="FAIL"; fi

# ---------------------------------------------------------------- report
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
fstype=$(df -T "$W" | awk 'NR == 2 { print $2 }')
commit=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(cd "$ROOT" && git status --porcelain --untracked-files=no -- . 2>/dev/null | grep -q . && echo " + uncommitted changes" || true)
mk_ver=$(dpkg-query -W -f '${Version}' makefs 2>/dev/null || echo unknown)
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

cat <<EOF
### UFS step: \`mvi ufs\` vs \`makefs -t ffs\` ($(date -u +%Y-%m-%d))

- Machine: $(nproc) cores ($cpu), Linux $(uname -r), $(free -m | awk '/^Mem:/ { printf "%.0f", $2 / 1024 }') GiB RAM; scratch on $fstype
- Tools: $(rustc --version 2>/dev/null || echo rustc unknown); mvi at $commit$dirty; makefs $mk_ver (Debian)
- Tree: \`bench/gen-tree.py tree --files $FILES --size $SIZE --seed $SEED\` = $n_dirs directories, $n_files regular files (+$n_hard hard links), $n_links symlinks, $(human "$n_bytes") of file data
- Method: one untimed warm-up run each, then $RUNS alternated runs each (order swapped every round, \`sync\` untimed before each run, caches kept warm); wall = median, peak RSS = max over runs (GNU time \`%M\`)

| Tool | Wall median (s) | min-max (s) | user / sys (s, median) | Data MiB/s | Peak RSS | Image size (allocated) |
|---|---:|---:|---:|---:|---:|---:|
| \`mvi ufs\` | $(fmt "$mvi_wall") | $(fmt "$mvi_min")-$(fmt "$mvi_max") | $(fmt "$mvi_user" 2) / $(fmt "$mvi_sys" 2) | $tput_mvi | $(mib "$mvi_rss") MiB | $(human "$mvi_size") ($(human "$mvi_alloc")) |
| \`makefs -t ffs -B le\` | $(fmt "$mk_wall") | $(fmt "$mk_min")-$(fmt "$mk_max") | $(fmt "$mk_user" 2) / $(fmt "$mk_sys" 2) | $tput_mk | $(mib "$mk_rss") MiB | $(human "$mk_size") ($(human "$mk_alloc")) |

**Ratio mvi/makefs (median wall): $ratio** (below 1 = mvi faster). \`mvi check\` on mvi's image: $mvi_check.
fsync calls in mvi's run (one extra run under strace; mvi renames its output into place without forcing a sync, like makefs): $mvi_fsync.

$(if [[ -n $scale_rows ]]; then
    printf 'Scaling with entry count (same %s of data, more files; warm-up + %s alternated runs each, medians):\n\n' "$SIZE" "$SCALE_RUNS"
    printf '| Files | mvi wall (s) | mvi user (s) | mvi RSS | makefs wall (s) | makefs RSS | Ratio mvi/makefs |\n'
    printf '|---:|---:|---:|---:|---:|---:|---:|\n'
    printf '| %s | %s | %s | %s MiB | %s | %s MiB | %s |\n' "$FILES" "$(fmt "$mvi_wall")" "$(fmt "$mvi_user" 2)" "$(mib "$mvi_rss")" "$(fmt "$mk_wall")" "$(mib "$mk_rss")" "$ratio"
    printf '%s\n' "$scale_rows"
fi)

Streaming test: one $(human "$big_bytes") file (real bytes, not sparse), one warm-up then $BIG_RUNS alternated runs each, \`/usr/bin/time -v\`:

| Tool | Wall median (s) | Throughput | Peak RSS | Image size |
|---|---:|---:|---:|---:|
| \`mvi ufs\` | $(fmt "$big_mvi_wall") | $big_mvi_tput MiB/s | $(mib "$big_mvi_rss") MiB | $(human "${big_mvi_size:-0}") |
| \`makefs -t ffs -B le\` | $(fmt "$big_mk_wall") | $big_mk_tput MiB/s | $(mib "$big_mk_rss") MiB | $(human "${big_mk_size:-0}") |

Peak RSS of \`mvi ufs\` on the $(human "$big_bytes") file: $(mib "$big_mvi_rss") MiB, limit 64 MiB: **$gate**. Ratio mvi/makefs: $big_ratio.
fsync of mvi's output in one extra run under strace: $big_fsync.

Reproduce: \`bash bench/ufs.sh\` (raw per-run figures: \`KEEP=1 bash bench/ufs.sh\`, then \`$BENCH_DIR/run.*/*.times\`).
EOF

if [[ $gate != PASS ]]; then
    log "streaming RSS gate FAILED: ${big_mvi_rss} KiB >= ${RSS_LIMIT_KIB} KiB"
    exit 2
fi

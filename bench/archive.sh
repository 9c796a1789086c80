#!/usr/bin/env bash
# bench/archive.sh - the archive step: `mvi archive` against GNU `gzip -9n` and `pigz -9` on
# the UFS image of one generated tree.
#
#   bash bench/archive.sh        # prints a markdown block for docs/BENCHMARKS.md on stdout
#
# Method (docs/BENCHMARKS.md, verification.md section 5): build mvi (release), generate the
# tree once (bench/gen-tree.py, mixed content: text, binary-like and incompressible files),
# make its UFS image with `mvi ufs` (untimed), warm every tool with one untimed run, then
# RUNS rounds, each running the four contenders once in an order rotated every round:
#   mvi archive (default threads = cores), mvi archive --threads 1, gzip -9n, pigz -9n
# Medians of wall time and of cores busy ((user + sys) / wall, which shows how much of the
# machine other load left), peak RSS from GNU time. Untimed checks: gzip -t and zcat of mvi's
# archive give the image back, and the --threads 1 archive is byte-identical.
#
# Environment knobs (defaults in brackets):
#   BENCH_DIR [/tmp/mvi-bench]  scratch space (a run.XXXXXX directory in it is removed on exit)
#   RUNS [7]                    timed rounds
#   FILES [4000]  SIZE [100M]  SEED [1]  CONTENT [mixed]   generator parameters
#                               (CONTENT=random: incompressible file data)
#   MVI [target/release/mvi]    binary to test;  SKIP_BUILD=1 skips `cargo build`
#   KEEP=1                      keep the scratch directory
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-7}
FILES=${FILES:-4000}
SIZE=${SIZE:-100M}
SEED=${SEED:-1}
CONTENT=${CONTENT:-mixed}
BENCH_DIR=${BENCH_DIR:-/tmp/mvi-bench}
MVI=${MVI:-${CARGO_TARGET_DIR:-$ROOT/target}/release/mvi}
TIME=/usr/bin/time

log() { printf 'archive.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ -x $TIME ]] || die "GNU time not found at $TIME (apt-get install time)"
command -v gzip >/dev/null || die "gzip not found"
command -v pigz >/dev/null || die "pigz not found (apt-get install pigz)"
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
# "wall_s elapsed_s rss_kib user_s sys_s" to $W/TOOL.times (wall from bash's EPOCHREALTIME).
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

# median FILE COLUMN
median() {
    awk -v c="$2" '{ print $c }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxcol() { awk -v c="$2" 'NR == 1 || $c > m { m = $c } END { print m }' "$1"; }
mincol() { awk -v c="$2" 'NR == 1 || $c < m { m = $c } END { print m }' "$1"; }
fmt() { awk -v x="$1" -v p="${2:-3}" 'BEGIN { printf "%.*f", p, x }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
div() { awk -v a="$1" -v b="$2" -v p="${3:-2}" 'BEGIN { printf "%.*f", p, a / b }'; }
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

# ---------------------------------------------------------------- the image
TREE=$W/tree
IMG=$W/root.ufs
log "generating tree: $FILES files, $SIZE, seed $SEED, $CONTENT content"
python3 "$ROOT/bench/gen-tree.py" tree "$TREE" --files "$FILES" --size "$SIZE" --seed "$SEED" \
    --content "$CONTENT" 2>&1 | sed 's/^/  /' >&2
log "mvi ufs (untimed)"
"$MVI" -q ufs "$TREE" -o "$IMG"
rm -rf "$TREE"
img_bytes=$(stat -c %s "$IMG")
sync

NCPU=$(nproc)
tools=(mvi mvi1 gzip pigz)
# run_tool NAME TIMESFILE: one run of a contender, output to $W/NAME.gz
run_tool() {
    local out=$W/$1.gz
    case $1 in
    mvi) run_timed "$2" "$out" "$MVI" -q archive "$IMG" -o "$out" ;;
    mvi1) run_timed "$2" "$out" "$MVI" -q archive "$IMG" -o "$out" --threads 1 ;;
    gzip) run_timed "$2" "$out" sh -c 'exec gzip -9n -c "$0" >"$1"' "$IMG" "$out" ;;
    pigz) run_timed "$2" "$out" sh -c 'exec pigz -9n -c "$0" >"$1"' "$IMG" "$out" ;;
    esac
}
declare -A LABEL=(
    [mvi]="\`mvi archive\` ($NCPU threads)"
    [mvi1]="\`mvi archive --threads 1\`"
    [gzip]="\`gzip -9n\`"
    [pigz]="\`pigz -9n\` ($NCPU threads)"
)

log "warm-up (untimed): one run each"
for t in "${tools[@]}"; do run_tool "$t" warm; done

log "timing: $RUNS rounds, order rotated every round"
for ((i = 0; i < RUNS; i++)); do
    line=""
    for ((k = 0; k < ${#tools[@]}; k++)); do
        t=${tools[$(((i + k) % ${#tools[@]}))]}
        run_tool "$t" "$t"
        line+=" $t $(tail -n 1 "$W/$t.times" | cut -d' ' -f1) s"
    done
    log "  round $((i + 1)):$line"
done

# ---------------------------------------------------------------- untimed checks
gzip -t "$W/mvi.gz" || die "gzip -t rejects mvi's archive"
zcat "$W/mvi.gz" | cmp -s - "$IMG" || die "zcat of mvi's archive differs from the image"
cmp -s "$W/mvi.gz" "$W/mvi1.gz" || die "--threads 1 and default threads give different bytes"
checks="gzip -t passes, zcat gives the image back, --threads 1 and $NCPU threads give identical bytes"

declare -A WALL SIZE_
for t in "${tools[@]}"; do
    WALL[$t]=$(median "$W/$t.times" 1)
    SIZE_[$t]=$(stat -c %s "$W/$t.gz")
done
rows=""
for t in "${tools[@]}"; do
    f=$W/$t.times
    rows+="| ${LABEL[$t]} | $(fmt "${WALL[$t]}") | $(fmt "$(mincol "$f" 1)")-$(fmt "$(maxcol "$f" 1)") | $(fmt "$(median "$f" 4)" 2) / $(fmt "$(median "$f" 5)" 2) | $(awk '{ c = ($4 + $5) / $1; print c }' "$f" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }') | $(mib "$(maxcol "$f" 3)") MiB | ${SIZE_[$t]} | $(div "${SIZE_[$t]}" "$img_bytes" 4) | $(awk -v b="$img_bytes" -v w="${WALL[$t]}" 'BEGIN { printf "%.0f", b / 1048576 / w }') |"$'\n'
done
size_vs_gzip=$(awk -v a="${SIZE_[mvi]}" -v b="${SIZE_[gzip]}" 'BEGIN { printf "%+.2f", (a / b - 1) * 100 }')
size_vs_pigz=$(awk -v a="${SIZE_[mvi]}" -v b="${SIZE_[pigz]}" 'BEGIN { printf "%+.2f", (a / b - 1) * 100 }')
r_gzip=$(div "${WALL[mvi]}" "${WALL[gzip]}")
r_pigz=$(div "${WALL[mvi]}" "${WALL[pigz]}")
r1_gzip=$(div "${WALL[mvi1]}" "${WALL[gzip]}")
r_threads=$(div "${WALL[mvi]}" "${WALL[mvi1]}")
size_gate=$(awk -v a="${SIZE_[mvi]}" -v b="${SIZE_[gzip]}" 'BEGIN { print (a <= b * 1.005) ? "PASS" : "FAIL" }')
time_gate=$(awk -v r="$r_gzip" 'BEGIN { print (r <= 0.6) ? "PASS" : "FAIL" }')

# ---------------------------------------------------------------- report
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
fstype=$(df -T "$W" | awk 'NR == 2 { print $2 }')
commit=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(cd "$ROOT" && git status --porcelain --untracked-files=no -- cli bench 2>/dev/null | grep -q . && echo " + uncommitted changes" || true)
gzip_ver=$(gzip --version | head -n 1)
pigz_ver=$(pigz --version 2>&1 | head -n 1)

cat <<EOF
### Archive step: \`mvi archive\` vs \`gzip -9n\` and \`pigz -9n\` ($(date -u +%Y-%m-%d))

- Machine: $NCPU cores ($cpu), Linux $(uname -r), $(free -m | awk '/^Mem:/ { printf "%.0f", $2 / 1024 }') GiB RAM; scratch on $fstype
- Tools: $(rustc --version 2>/dev/null || echo rustc unknown); mvi at $commit$dirty (flate2 + zlib-rs, level 9, 1 MiB chunks); $gzip_ver; $pigz_ver
- Input: the \`mvi ufs\` image ($(human "$img_bytes"), $img_bytes bytes) of \`bench/gen-tree.py tree --files $FILES --size $SIZE --seed $SEED --content $CONTENT\`
- Method: one untimed warm-up run each, then $RUNS rounds running all four in an order rotated every round (\`sync\` untimed before each run, caches warm); wall = median, peak RSS = max over runs (GNU time \`%M\`)

| Tool | Wall median (s) | min-max (s) | user / sys (s, median) | Cores busy | Peak RSS | Output bytes | Output / image | Image MiB/s |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows}
- **Wall, mvi / gzip -9n: $r_gzip** (goal <= 0.6: **$time_gate**); mvi / pigz -9n: $r_pigz; mvi --threads 1 / gzip -9n: $r1_gzip
- **Size, mvi vs gzip -9n: ${size_vs_gzip} %** (goal within 0.5 %: **$size_gate**); mvi vs pigz -9n: ${size_vs_pigz} %
- Threads: $NCPU threads / 1 thread = $r_threads (wall). "Cores busy" = (user + sys) / wall, median over runs: on an idle
  machine a $NCPU-thread tool can reach $NCPU; less means other load took the rest
- CPU time (user + sys, medians): mvi --threads 1 / gzip -9n = $(awk -v a="$(median "$W/mvi1.times" 4)" -v b="$(median "$W/mvi1.times" 5)" -v c="$(median "$W/gzip.times" 4)" -v d="$(median "$W/gzip.times" 5)" 'BEGIN { printf "%.2f", (a + b) / (c + d) }')
- Checks (untimed): $checks

Reproduce: \`bash bench/archive.sh\` (raw per-run figures: \`KEEP=1 bash bench/archive.sh\`, then \`$BENCH_DIR/run.*/*.times\`).
EOF

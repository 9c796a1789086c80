#!/usr/bin/env bash
# bench/run.sh - mvi's benchmark suite: every step of mvi beside its peers on the same
# deterministic trees, alternated, medians; scaling; a markdown report.
#
#   bash bench/run.sh                         # all steps: ufs iso archive build scaling
#   bash bench/run.sh iso archive             # some steps
#   QUICK=1 bash bench/run.sh                 # small trees, 3 rounds: a smoke run (~2 min)
#
# Report: markdown on stdout and in $REPORT (default $BENCH_DIR/report.md); progress on stderr.
#
# Steps and pairs (docs/BENCHMARKS.md has the method and the options of every tool):
#   ufs      `mvi ufs` vs `makefs -t ffs -B le`                              on every tree
#   iso      `mvi iso` vs `xorriso -as mkisofs`, `genisoimage`, hadris-iso 3  on every tree
#            (bench/hadris-mkiso, built here)
#   archive  `mvi archive` (all cores and --threads 1) vs `gzip -9n`, `pigz -9n`,
#            on the `mvi ufs` image of the proto
#   build    `mvi build` vs makefs + gzip -9n + xorriso run back to back, on the proto
#   scaling  mvi's four steps on proto-shaped trees of 1x, 4x and 16x the base size
#
# Trees (bench/gen-tree.py, seeded; cached under $BENCH_DIR/trees and regenerated only when
# their parameters or the generator change):
#   proto  `mvi demo`'s proto + 3,000 files / 100 MiB of mixed content + stage2_eltorito
#   t4k    4,000 files / 100 MiB, incompressible          t30k  30,000 small files / 64 MiB
#   big    one 512 MiB file                                x16   the 16x scaling tree (2 GiB)
#
# Method: per tree and step, one untimed warm-up run of every contender, then RUNS rounds
# each running every contender once, in an order rotated every round; output deleted and
# `sync` (untimed) before every run; caches warm. Wall time from $EPOCHREALTIME; user, sys
# and peak RSS from `/usr/bin/time -v`. Medians of wall and of user+sys; peak RSS = max.
#
# Knobs (defaults in brackets):
#   QUICK [0]  RUNS [5, quick 3]  SCALE_RUNS [3, quick 2]
#   TREES ["proto t4k t30k big x16"]   trees the ufs and iso steps use
#   BENCH_DIR [/tmp/mvi-bench-suite]   REPORT [$BENCH_DIR/report.md]   KEEP=1 keeps outputs
#   MVI [target/release/mvi]  HADRIS [target/hadris-mkiso/release/hadris-mkiso]
#   SKIP_BUILD=1   MVI_DESC (what the report says of the mvi binary)   STAGE2 [from /var/cache/mvi-test/env, else a synthetic 128 KiB image]
set -euo pipefail

# Run from a private copy: bash reads a script as it goes, so editing bench/run.sh during a
# (long) run would otherwise change what the running suite executes.
if [[ -z ${BENCH_ROOT:-} ]]; then
    BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    copy=$(mktemp /tmp/mvi-bench-run.XXXXXX.sh)
    cp "${BASH_SOURCE[0]}" "$copy"
    BENCH_ROOT=$BENCH_ROOT BENCH_SELF=$copy exec bash "$copy" "$@"
fi
[[ -n ${BENCH_SELF:-} ]] && rm -f "$BENCH_SELF"
BENCH_LOG_PREFIX=run.sh
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

STEPS=("$@")
((${#STEPS[@]})) || STEPS=(ufs iso archive build scaling)
for s in "${STEPS[@]}"; do
    case $s in ufs | iso | archive | build | scaling) ;; *) die "unknown step '$s' (ufs iso archive build scaling)" ;; esac
done
has_step() { [[ " ${STEPS[*]} " == *" $1 "* ]]; }

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    RUNS=${RUNS:-3}
    SCALE_RUNS=${SCALE_RUNS:-2}
    PROTO_FILES=300 PROTO_SIZE=8M T4K_FILES=400 T4K_SIZE=10M T30K_FILES=3000 T30K_SIZE=6M
    BIG_SIZE=32M SCALE_FILES=250 SCALE_SIZE=8M
else
    RUNS=${RUNS:-5}
    SCALE_RUNS=${SCALE_RUNS:-3}
    PROTO_FILES=3000 PROTO_SIZE=100M T4K_FILES=4000 T4K_SIZE=100M T30K_FILES=30000 T30K_SIZE=64M
    BIG_SIZE=512M SCALE_FILES=4000 SCALE_SIZE=128M
fi
TREES=${TREES:-proto t4k t30k big x16}
BENCH_DIR=${BENCH_DIR:-/tmp/mvi-bench-suite}
REPORT=${REPORT:-$BENCH_DIR/report.md}
MVI=${MVI:-${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/release/mvi}
HADRIS=${HADRIS:-$BENCH_ROOT/target/hadris-mkiso/release/hadris-mkiso}
GOAL_RSS_KIB=$((64 * 1024))
BOOT=boot/grub/stage2_eltorito

[[ -x $TIME ]] || die "GNU time not found at $TIME (apt-get install time)"
for t in makefs:makefs xorriso:xorriso genisoimage:genisoimage gzip:gzip pigz:pigz python3:python3; do
    need "${t%%:*}" "${t#*:}"
done

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "building mvi (cargo build --release -p mvi) and bench/hadris-mkiso"
    (cd "$BENCH_ROOT" && cargo build --release -p mvi >&2)
    (cd "$BENCH_ROOT/bench/hadris-mkiso" && cargo build --release --target-dir "$BENCH_ROOT/target/hadris-mkiso" >&2)
fi
[[ -x $MVI ]] || die "no mvi binary at $MVI"
[[ -x $HADRIS ]] || die "no hadris-mkiso binary at $HADRIS"
MVI_SRC=$MVI

mkdir -p "$BENCH_DIR/trees"
echo $$ >"$BENCH_DIR/run.pid" # stop a run with: kill $(cat $BENCH_DIR/run.pid)
W=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
O=$W/out
mkdir -p "$O"
# Private copies of the binaries under test: a `cargo build` or `cargo test` elsewhere in the
# checkout during the run replaces target/release/mvi, and the rounds must all time one binary.
cp "$MVI" "$W/mvi"
cp "$HADRIS" "$W/hadris-mkiso"
MVI=$W/mvi
HADRIS=$W/hadris-mkiso
cleanup() { if [[ ${KEEP:-0} == 1 ]]; then log "kept $W"; else rm -rf "$W"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM
declare -A CMD OUT

# GRUB legacy's El Torito stage 2 (scripts/setup-test-deps.sh unpacks it); without it, a
# synthetic 128 KiB image stands in (the tools only copy it and patch its info table).
if [[ -z ${STAGE2:-} ]]; then
    STAGE2=$(sed -n 's/^MVI_STAGE2_ELTORITO=//p' "${MVI_TEST_CACHE:-/var/cache/mvi-test}/env" 2>/dev/null || true)
    if [[ -z $STAGE2 || ! -f $STAGE2 ]]; then
        STAGE2=$BENCH_DIR/trees/stage2_eltorito.synthetic
        [[ -f $STAGE2 ]] || python3 -c 'import random,sys; sys.stdout.buffer.write(random.Random(2).randbytes(131072))' >"$STAGE2"
    fi
fi

# ---------------------------------------------------------------- trees
TD=$BENCH_DIR/trees
scale_files() { echo $((SCALE_FILES * $1)); }
scale_size() { # SCALE_SIZE times k, as a gen-tree size
    local n=${SCALE_SIZE%[KMG]} u=${SCALE_SIZE: -1}
    echo "$((n * $1))$u"
}
# tree NAME: make sure tree NAME exists; prints its path
tree() {
    case $1 in
    proto) gen_proto "$TD/proto-$PROTO_FILES-$PROTO_SIZE" "$PROTO_FILES" "$PROTO_SIZE" && echo "$TD/proto-$PROTO_FILES-$PROTO_SIZE" ;;
    t4k) gen_tree "$TD/t4k-$T4K_FILES-$T4K_SIZE" tree --files "$T4K_FILES" --size "$T4K_SIZE" --seed 1 && echo "$TD/t4k-$T4K_FILES-$T4K_SIZE" ;;
    t30k) gen_tree "$TD/t30k-$T30K_FILES-$T30K_SIZE" tree --files "$T30K_FILES" --size "$T30K_SIZE" --seed 3 && echo "$TD/t30k-$T30K_FILES-$T30K_SIZE" ;;
    big) gen_tree "$TD/big-$BIG_SIZE" big --size "$BIG_SIZE" --seed 1 && echo "$TD/big-$BIG_SIZE" ;;
    x1 | x4 | x16)
        local k=${1#x}
        gen_proto "$TD/x$k-$(scale_files "$k")-$(scale_size "$k")" "$(scale_files "$k")" "$(scale_size "$k")" &&
            echo "$TD/x$k-$(scale_files "$k")-$(scale_size "$k")"
        ;;
    *) die "unknown tree $1" ;;
    esac
}
describe_tree() {
    case $1 in
    proto) echo "\`mvi demo\` proto + \`gen-tree.py tree --files $PROTO_FILES --size $PROTO_SIZE --seed 1 --content mixed\` under usr/lib/bench + stage2_eltorito" ;;
    t4k) echo "\`gen-tree.py tree --files $T4K_FILES --size $T4K_SIZE --seed 1\` (incompressible)" ;;
    t30k) echo "\`gen-tree.py tree --files $T30K_FILES --size $T30K_SIZE --seed 3\` (incompressible)" ;;
    big) echo "\`gen-tree.py big --size $BIG_SIZE --seed 1\` (one file, real bytes)" ;;
    x*) local k=${1#x}; echo "proto-shaped, $k x base: demo proto + \`gen-tree.py tree --files $(scale_files "$k") --size $(scale_size "$k") --seed 1 --content mixed\` + stage2_eltorito" ;;
    esac
}

# ---------------------------------------------------------------- report header
exec 3>&1
exec > >(tee "$REPORT")
START_LOAD=$(load_now)
START_FUZZ=$(fuzzers)
START_FUZZ_ANY=$(fuzz_activity)
START_BUSY=$(busy_procs)
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(cd "$BENCH_ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(cd "$BENCH_ROOT" && git status --porcelain --untracked-files=no -- fstree ufsimg iso9660 cli 2>/dev/null | grep -q . && echo " + uncommitted changes" || true)
cat <<EOF
## Benchmark suite: \`bash bench/run.sh ${STEPS[*]}\`$([[ $QUICK == 1 ]] && echo " (QUICK=1)") ($START_DATE)

- Machine: $(machine); scratch on $(df -T "$W" | awk 'NR == 2 { print $2 }') under $BENCH_DIR
- Tools: mvi ${MVI_DESC:-at $commit$dirty} ($MVI_SRC, sha256 $(sha256sum "$MVI" | cut -c1-12)); $(tool_versions)
- Load before: load average $START_LOAD; fuzzers running: ${START_FUZZ:-none} ($START_FUZZ_ANY processes match \`pgrep -f 'fuzz/target|cargo-fuzz|libfuzzer'\`); busy processes: ${START_BUSY:-none}
- Method: per tree and step, one untimed warm-up run of every contender, then $RUNS rounds running every contender once in an order rotated every round (output deleted and \`sync\` untimed before each run, caches warm); wall = median of \$EPOCHREALTIME around the run, CPU = median user+sys, peak RSS = max over runs, all from \`/usr/bin/time -v\`. Ratios are of medians, mvi / peer (below 1: mvi faster).

EOF

# ---------------------------------------------------------------- ufs
step_ufs() {
    echo "### UFS: \`mvi ufs\` vs \`makefs -t ffs -B le\`"
    echo
    echo "mvi: \`mvi -q ufs TREE -o OUT\` (size auto = tree + 10 % free, newfs/lofi geometry, temp file renamed into place); makefs: \`makefs -t ffs -B le OUT TREE\` (minimal size, BSD UFS1, written in place)."
    echo
    local t T ratio
    for t in $TREES; do
        T=$(tree "$t")
        log "ufs: $t"
        CMD[mvi]="exec '$MVI' -q ufs '$T' -o '$O/mvi.img'"
        OUT[mvi]=$O/mvi.img
        CMD[makefs]="exec makefs -t ffs -B le '$O/makefs.img' '$T' >/dev/null"
        OUT[makefs]=$O/makefs.img
        contest "ufs-$t" "$RUNS" mvi makefs
        local check="clean"
        "$MVI" -q check "$O/mvi.img" >"$W/check.out" 2>&1 || check="NOT clean: $(tail -n 1 "$W/check.out")"
        rm -f "$O/mvi.img" "$O/makefs.img"
        ratio=$(div "$(median "$W/times/ufs-$t.mvi" 1)" "$(median "$W/times/ufs-$t.makefs" 1)")
        echo "**$t**: $(describe_tree "$t") = $(tree_stats "$T")"
        echo
        row_header
        row "ufs-$t" mvi "\`mvi ufs\`"
        row "ufs-$t" makefs "\`makefs -t ffs -B le\`"
        echo
        echo "Ratio mvi / makefs: **$ratio** (goal <= 1.0). \`mvi check\` of mvi's image: $check."
        echo
        summary "ufs, $t: mvi / makefs" "$(fmt "$(median "$W/times/ufs-$t.mvi" 1)")" \
            "$(fmt "$(median "$W/times/ufs-$t.makefs" 1)")" "$ratio" "<= 1.0" "$(met "$ratio" le 1.0)"
    done
}

# ---------------------------------------------------------------- iso
step_iso() {
    echo "### ISO: \`mvi iso\` vs \`xorriso -as mkisofs\`, \`genisoimage\`, hadris-iso 3"
    echo
    echo "All four: ISO level 3, Rock Ridge, no Joliet; when the tree holds $BOOT, an El Torito no-emulation entry for it (load size 4, boot info table, catalog /.catalog)."
    echo "mvi: \`mvi -q iso TREE -o OUT\` (strict level-2 identifiers, owner 0:0, 300 KiB padding, temp file renamed into place);"
    echo "xorriso / genisoimage: \`-quiet -R -iso-level 3 [-b $BOOT -c .catalog -no-emul-boot -boot-load-size 4 -boot-info-table] -o OUT TREE\` (owners kept: root here; xorriso pads 300 KiB, genisoimage 150 sectors; genisoimage patches the info table into the source file, restored after the step);"
    echo "hadris: \`hadris-mkiso TREE -o OUT [--boot $BOOT]\` (bench/hadris-mkiso: \`hadris_fs::host::read_tree\` + \`hadris_iso::sync::write\`, level 3, Rock Ridge, owner 0:0, no padding, written in place)."
    echo
    local t T boot hb r_g r_x r_h
    for t in $TREES; do
        T=$(tree "$t")
        log "iso: $t"
        boot="" hb=""
        if [[ -f $T/$BOOT ]]; then
            boot="-b $BOOT -c .catalog -no-emul-boot -boot-load-size 4 -boot-info-table"
            hb="--boot $BOOT"
        fi
        CMD[mvi]="exec '$MVI' -q iso '$T' -o '$O/mvi.iso'"
        OUT[mvi]=$O/mvi.iso
        CMD[xorriso]="exec xorriso -as mkisofs -quiet -R -iso-level 3 $boot -o '$O/xorriso.iso' '$T' 2>/dev/null"
        OUT[xorriso]=$O/xorriso.iso
        CMD[genisoimage]="exec genisoimage -quiet -R -iso-level 3 $boot -o '$O/genisoimage.iso' '$T'"
        OUT[genisoimage]=$O/genisoimage.iso
        CMD[hadris]="exec '$HADRIS' '$T' -o '$O/hadris.iso' $hb"
        OUT[hadris]=$O/hadris.iso
        contest "iso-$t" "$RUNS" mvi xorriso genisoimage hadris
        [[ -f $T/$BOOT ]] && cp "$STAGE2" "$T/$BOOT" # genisoimage -boot-info-table wrote into it
        local check="clean"
        "$MVI" -q check "$O/mvi.iso" >"$W/check.out" 2>&1 || check="NOT clean: $(tail -n 1 "$W/check.out")"
        rm -f "$O"/*.iso
        local m
        m=$(median "$W/times/iso-$t.mvi" 1)
        r_x=$(div "$m" "$(median "$W/times/iso-$t.xorriso" 1)")
        r_g=$(div "$m" "$(median "$W/times/iso-$t.genisoimage" 1)")
        r_h=$(div "$m" "$(median "$W/times/iso-$t.hadris" 1)")
        echo "**$t**: $(describe_tree "$t") = $(tree_stats "$T")$([[ -n $boot ]] && echo "; El Torito")"
        echo
        row_header
        row "iso-$t" mvi "\`mvi iso\`"
        row "iso-$t" xorriso "\`xorriso -as mkisofs\`"
        row "iso-$t" genisoimage "\`genisoimage\`"
        row "iso-$t" hadris "hadris-iso 3 (\`hadris-mkiso\`)"
        echo
        echo "Ratios mvi / peer: xorriso **$r_x** (goal <= 0.3), genisoimage **$r_g** (goal <= 0.7), hadris-iso **$r_h** (goal <= 1.0). \`mvi check\` of mvi's image: $check."
        echo
        local goals=0
        [[ $t == proto || $t == t4k ]] && goals=1
        summary "iso, $t: mvi / xorriso" "$(fmt "$m")" "$(fmt "$(median "$W/times/iso-$t.xorriso" 1)")" "$r_x" \
            "$( ((goals)) && echo '<= 0.3' || echo '(none)')" "$( ((goals)) && met "$r_x" le 0.3 || echo -)"
        summary "iso, $t: mvi / genisoimage" "$(fmt "$m")" "$(fmt "$(median "$W/times/iso-$t.genisoimage" 1)")" "$r_g" \
            "$( ((goals)) && echo '<= 0.7' || echo '(none)')" "$( ((goals)) && met "$r_g" le 0.7 || echo -)"
        summary "iso, $t: mvi / hadris-iso" "$(fmt "$m")" "$(fmt "$(median "$W/times/iso-$t.hadris" 1)")" "$r_h" \
            "$( ((goals)) && echo '<= 1.0' || echo '(none)')" "$( ((goals)) && met "$r_h" le 1.0 || echo -)"
    done
}

# ---------------------------------------------------------------- archive
step_archive() {
    local T IMG n
    T=$(tree proto)
    IMG=$W/proto.ufs
    n=$(nproc)
    log "archive: mvi ufs of the proto (untimed)"
    "$MVI" -q ufs "$T" -o "$IMG"
    sync
    echo "### Archive: \`mvi archive\` vs \`gzip -9n\` and \`pigz -9n\`"
    echo
    echo "Input: the \`mvi ufs\` image of the proto ($(describe_tree proto)): $(stat -c %s "$IMG") bytes. All at level 9 with no name or time in the header (\`-n\`; the issue's \`pigz -9\` plus \`-n\`, so all headers are equal). mvi: flate2 + zlib-rs, 1 MiB chunks, $n threads (default) and \`--threads 1\`; pigz: 128 KiB blocks, $n threads."
    echo
    CMD[mvi]="exec '$MVI' -q archive '$IMG' -o '$O/mvi.gz'"
    OUT[mvi]=$O/mvi.gz
    CMD[mvi1]="exec '$MVI' -q archive '$IMG' -o '$O/mvi1.gz' --threads 1"
    OUT[mvi1]=$O/mvi1.gz
    CMD[gzip]="exec gzip -9n -c '$IMG' >'$O/gzip.gz'"
    OUT[gzip]=$O/gzip.gz
    CMD[pigz]="exec pigz -9n -c '$IMG' >'$O/pigz.gz'"
    OUT[pigz]=$O/pigz.gz
    contest archive "$RUNS" mvi mvi1 gzip pigz
    gzip -t "$O/mvi.gz" || die "gzip -t rejects mvi's archive"
    zcat "$O/mvi.gz" | cmp -s - "$IMG" || die "zcat of mvi's archive differs from the image"
    cmp -s "$O/mvi.gz" "$O/mvi1.gz" || die "--threads 1 and default threads give different bytes"
    local f=$W/times/archive m g p m1 sm sg r_g r_p r_t size_r
    m=$(median "$f.mvi" 1) g=$(median "$f.gzip" 1) p=$(median "$f.pigz" 1) m1=$(median "$f.mvi1" 1)
    sm=$(lastcol "$f.mvi" 5) sg=$(lastcol "$f.gzip" 5)
    r_g=$(div "$m" "$g") r_p=$(div "$m" "$p") r_t=$(div "$m1" "$m")
    size_r=$(div "$sm" "$sg" 4)
    row_header
    row archive mvi "\`mvi archive\` ($n threads)"
    row archive mvi1 "\`mvi archive --threads 1\`"
    row archive gzip "\`gzip -9n\`"
    row archive pigz "\`pigz -9n\` ($n threads)"
    echo
    echo "- Wall, mvi / gzip -9n: **$r_g** (goal <= 0.6); mvi / pigz -9n: $r_p; mvi --threads 1 / gzip -9n: $(div "$m1" "$g")"
    echo "- Size, mvi / gzip -9n: **$size_r** (goal <= 1.005); mvi / pigz -9n: $(div "$sm" "$(lastcol "$f.pigz" 5)" 4)"
    echo "- Threads: wall with 1 thread / wall with $n: **$r_t** (goal >= 1.6)"
    echo "- Checks (untimed): gzip -t passes, zcat gives the image back, --threads 1 and $n threads give identical bytes"
    echo
    summary "archive: mvi / gzip -9n (wall)" "$(fmt "$m")" "$(fmt "$g")" "$r_g" "<= 0.6" "$(met "$r_g" le 0.6)"
    summary "archive: mvi / gzip -9n (size)" "$sm B" "$sg B" "$size_r" "<= 1.005" "$(met "$size_r" le 1.005)"
    summary "archive: mvi / pigz -9n (wall)" "$(fmt "$m")" "$(fmt "$p")" "$r_p" "(none)" "-"
    summary "archive: 1 thread / $n threads (wall)" "$(fmt "$m1")" "$(fmt "$m")" "$r_t" ">= 1.6" "$(met "$r_t" ge 1.6)"
    rm -f "$O"/*.gz "$IMG"
}

# ---------------------------------------------------------------- build
# the chain: makefs root image, gzip -9n boot archive, kernels + stage2 + menu.lst staged,
# xorriso El Torito ISO of boot/ and platform/
chain_cmd() { # chain_cmd PROTO OUTISO
    local P=$1 X=$2 S=$W/chain
    cat <<EOF
set -e
rm -rf '$S'; mkdir -p '$S/iso/boot/grub' '$S/iso/platform/i86pc/kernel/amd64'
makefs -t ffs -B le '$S/root.img' '$P' >/dev/null
gzip -9n -c '$S/root.img' >'$S/iso/platform/i86pc/boot_archive'
cp '$P/platform/i86pc/kernel/unix' '$S/iso/platform/i86pc/kernel/unix'
cp '$P/platform/i86pc/kernel/amd64/unix' '$S/iso/platform/i86pc/kernel/amd64/unix'
cp '$P/$BOOT' '$S/iso/$BOOT'
cp '$P.keep/menu.lst' '$S/iso/boot/grub/menu.lst'
xorriso -as mkisofs -quiet -R -b $BOOT -c .catalog -no-emul-boot -boot-load-size 4 -boot-info-table -V illumos -o '$X' '$S/iso' 2>/dev/null
EOF
}
step_build() {
    local T m c r
    T=$(tree proto)
    printf 'restore usr/lib/bench usr/lib/bench/**\n' >"$W/keep.rules"
    echo "### Whole pipeline: \`mvi build\` vs makefs + gzip -9n + xorriso"
    echo
    echo "Proto: $(describe_tree proto) = $(tree_stats "$T")."
    echo "mvi: \`mvi -q build PROTO -o OUT --rules keep.rules --dialect plain\` (keep.rules: \`restore usr/lib/bench usr/lib/bench/**\`, so the generated files stay in the root like in the chain's; the base rules still prune ~3.5 MiB of the demo proto that the chain keeps); root UFS, boot archive ($(nproc) threads), menu, ISO."
    echo "Chain, one shell: \`makefs -t ffs -B le root.img PROTO\`; \`gzip -9n -c root.img > iso/platform/i86pc/boot_archive\`; copy both kernels, stage2_eltorito and menu.lst; \`xorriso -as mkisofs -quiet -R -b $BOOT -c .catalog -no-emul-boot -boot-load-size 4 -boot-info-table -V illumos -o OUT iso\`."
    echo
    CMD[mvi]="exec '$MVI' -q build '$T' -o '$O/mvi-build.iso' --rules '$W/keep.rules' --dialect plain"
    OUT[mvi]=$O/mvi-build.iso
    CMD[chain]=$(chain_cmd "$T" "$O/chain.iso")
    OUT[chain]=$O/chain.iso
    log "build: proto"
    contest build "$RUNS" mvi chain
    m=$(median "$W/times/build.mvi" 1) c=$(median "$W/times/build.chain" 1)
    r=$(div "$m" "$c")
    row_header pipeline
    row build mvi "\`mvi build\`"
    row build chain "makefs + gzip -9n + xorriso"
    echo
    echo "Ratio mvi / chain: **$r** (goal <= 0.5)."
    echo
    summary "build: mvi / chain" "$(fmt "$m")" "$(fmt "$c")" "$r" "<= 0.5" "$(met "$r" le 0.5)"
    rm -rf "$O"/*.iso "$W/chain"
}

# ---------------------------------------------------------------- scaling
step_scaling() {
    local k T rows="" s
    printf 'restore usr/lib/bench usr/lib/bench/**\n' >"$W/keep.rules"
    for k in 1 4 16; do
        T=$(tree "x$k")
        log "scaling: x$k"
        "$MVI" -q ufs "$T" -o "$W/x$k.ufs" # the archive step's input (untimed)
        CMD[ufs]="exec '$MVI' -q ufs '$T' -o '$O/s.img'"
        OUT[ufs]=$O/s.img
        CMD[iso]="exec '$MVI' -q iso '$T' -o '$O/s.iso'"
        OUT[iso]=$O/s.iso
        CMD[archive]="exec '$MVI' -q archive '$W/x$k.ufs' -o '$O/s.gz'"
        OUT[archive]=$O/s.gz
        CMD[build]="exec '$MVI' -q build '$T' -o '$O/sb.iso' --rules '$W/keep.rules' --dialect plain"
        OUT[build]=$O/sb.iso
        # x16: no warm-up round (4 x ~1 min); the untimed `mvi ufs` above just read the whole tree
        # and wrote the archive's input, so both are in the page cache already
        NOWARM=$([[ $k == 16 && $QUICK != 1 ]] && echo 1 || echo 0) contest "scale-x$k" "$SCALE_RUNS" ufs iso archive build
        cp "$STAGE2" "$T/$BOOT"
        echo "x$k $(tree_stats "$T")" >>"$W/scale-trees"
        tree_bytes "$T" >"$W/scale-bytes-x$k"
        rm -f "$O"/s.* "$O/sb.iso" "$W/x$k.ufs"
    done
    echo "### Scaling: mvi's steps at 1x, 4x and 16x the tree"
    echo
    echo "Proto-shaped trees (demo proto + generated mixed content + stage2_eltorito), base $SCALE_FILES files / $SCALE_SIZE; one warm-up (none at 16x in a full run: the untimed \`mvi ufs\` that makes the archive's input has just read the tree), then $SCALE_RUNS rounds of the four steps in rotated order; archive input = the tree's \`mvi ufs\` image; build with keep.rules as above."
    echo
    sed 's/^\(x[0-9]*\) /- \1: /' "$W/scale-trees"
    echo
    local b1 b16 dr
    b1=$(cat "$W/scale-bytes-x1") b16=$(cat "$W/scale-bytes-x16")
    dr=$(div "$b16" "$b1" 1)
    echo "The demo proto's ~13 MB and ~360 files do not scale, so the 16x tree holds $dr x the 1x tree's file data; \"per byte\" divides the time ratio by that (1.0 = linear)."
    echo
    echo "| step | 1x wall (s) | 4x wall (s) | 16x wall (s) | 16x / 1x (goal <= 18) | per byte | 1x peak RSS | 4x peak RSS | 16x peak RSS (goal <= 64 MiB) |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    local w1 w4 w16 r rss16 worst_rss=0
    for s in ufs iso archive build; do
        w1=$(median "$W/times/scale-x1.$s" 1) w4=$(median "$W/times/scale-x4.$s" 1) w16=$(median "$W/times/scale-x16.$s" 1)
        r=$(div "$w16" "$w1" 1)
        rss16=$(maxcol "$W/times/scale-x16.$s" 4)
        echo "| \`mvi $s\` | $(fmt "$w1") | $(fmt "$w4") | $(fmt "$w16") | $r | $(div "$(div "$w16" "$w1" 4)" "$(div "$b16" "$b1" 4)" 2) | $(mib "$(maxcol "$W/times/scale-x1.$s" 4)") MiB | $(mib "$(maxcol "$W/times/scale-x4.$s" 4)") MiB | $(mib "$rss16") MiB |"
        summary "scaling, mvi $s: 16x / 1x wall" "$(fmt "$w16")" "$(fmt "$w1") (1x)" "$r" "<= 18" "$(met "$r" le 18)"
        ((rss16 > worst_rss)) && worst_rss=$rss16
    done
    echo
    summary "peak RSS, 16x tree ($(scale_size 16)): max over mvi steps" "$(mib "$worst_rss") MiB" "-" "-" "<= 64 MiB" \
        "$(yesno test "$worst_rss" -le "$GOAL_RSS_KIB")"
}

echo "| pair | median mvi | median peer | ratio | goal | met? |" >"$W/summary.md"
echo "|---|---:|---:|---:|---|---|" >>"$W/summary.md"
for s in ufs iso archive build scaling; do
    has_step "$s" || continue
    log "step $s"
    "step_$s"
done

cat <<EOF
### Summary

Wall times in seconds (medians); sizes in bytes.

$(cat "$W/summary.md")

- Load after: load average $(load_now); fuzzers running: $(f=$(fuzzers); echo "${f:-none}") ($(fuzz_activity) processes match the pattern); busy processes: $(busy_procs || true)
- Finished $(date -u '+%Y-%m-%d %H:%M UTC'); started $START_DATE with load average $START_LOAD
EOF
exec >&3
wait

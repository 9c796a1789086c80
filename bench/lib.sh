# bench/lib.sh - helpers shared by bench/run.sh and the step scripts: logging, timed runs
# under GNU time -v, medians, ratios, formatting, machine description, deterministic trees.
# Source it; it defines functions and a few variables and runs nothing.
#
# A timed run appends one line to $W/times/NAME:
#   wall_s user_s sys_s maxrss_kib out_bytes
# wall from bash's $EPOCHREALTIME around the call (microseconds; GNU time's %e has 10 ms
# steps), user/sys/peak RSS from `/usr/bin/time -v` of the command (for a chain of commands
# run by one shell, the peak is the largest of its processes'), out_bytes the size of the
# output the contender wrote (0 when none).

TIME=${TIME:-/usr/bin/time}
BENCH_LOG_PREFIX=${BENCH_LOG_PREFIX:-bench}

log() { printf '%s: %s\n' "$BENCH_LOG_PREFIX" "$*" >&2; }
die() {
    log "$*"
    exit 1
}
need() { # need CMD [PACKAGE]
    command -v "$1" >/dev/null 2>&1 || die "$1 not found (apt-get install ${2:-$1})"
}

# ---------------------------------------------------------------- timing
# timed NAME OUT CMD : run the shell command CMD once (bash -c) under GNU time -v; OUT is
# the file it writes (deleted and `sync`ed, untimed, before the run; its size is recorded).
# A failing command stops the suite, unless TIMED_SOFT=1: then it returns 1 and leaves the
# last line of the command's output in $W/failed.
timed() {
    local name=$1 out=$2 cmd=$3 rc=0 t0 t1 tf=$W/time.v
    mkdir -p "$W/times"
    [[ -n $out ]] && rm -f "$out"
    sync # untimed: no run starts with another run's dirty pages to write back
    t0=$EPOCHREALTIME
    "$TIME" -v -o "$tf" bash -c "$cmd" >"$W/cmd.out" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    if ((rc != 0)) && [[ ${TIMED_SOFT:-0} == 1 ]]; then
        grep -v '^Command exited' "$W/cmd.out" | tail -n 1 >"$W/failed"
        [[ -n $out ]] && rm -f "$out"
        return 1
    fi
    if ((rc != 0)); then
        cat "$W/cmd.out" >&2
        tail -n 30 "$tf" >&2
        die "$name failed (exit $rc): $cmd"
    fi
    local bytes=0
    [[ -n $out && -e $out ]] && bytes=$(stat -c %s "$out")
    awk -F': ' -v a="$t0" -v b="$t1" -v bytes="$bytes" '
        /User time \(seconds\)/ { u = $2 }
        /System time \(seconds\)/ { s = $2 }
        /Maximum resident set size/ { r = $2 }
        END { printf "%.4f %s %s %s %s\n", b - a, u, s, r, bytes }' "$tf" >>"$W/times/$name"
}

# contest TAG RUNS ID... : one untimed warm-up run of every contender, then RUNS rounds,
# each running every contender once in an order rotated every round (A B C, B C A, ...),
# so load from elsewhere falls on all of them alike. Contender ID runs the command in
# CMD[ID] writing OUT[ID]; times go to $W/times/TAG.ID.
# NOWARM=1 skips the warm-up (for runs of a minute that follow an untimed pass over the same
# data, which warmed the cache already). A peer that fails its warm-up run (exit status not 0) is left out of the rounds: its
# $W/times/TAG.ID.failed holds its last line of output, and row() reports it. mvi failing
# stops the suite.
contest() {
    local tag=$1 runs=$2 i k id line
    shift 2
    local ids=() n
    for id in "$@"; do
        if [[ ${NOWARM:-0} == 1 ]]; then
            ids+=("$id")
        elif [[ $id == mvi* ]]; then
            timed "warm" "${OUT[$id]}" "${CMD[$id]}"
            ids+=("$id")
        elif TIMED_SOFT=1 timed "warm" "${OUT[$id]}" "${CMD[$id]}"; then
            ids+=("$id")
        else
            mkdir -p "$W/times"
            cp "$W/failed" "$W/times/$tag.$id.failed"
            log "  $tag: $id FAILED, left out: $(cat "$W/failed")"
        fi
    done
    n=${#ids[@]}
    for ((i = 0; i < runs; i++)); do
        line=""
        for ((k = 0; k < n; k++)); do
            id=${ids[$(((i + k) % n))]}
            timed "$tag.$id" "${OUT[$id]}" "${CMD[$id]}"
            line+=" $id $(tail -n 1 "$W/times/$tag.$id" | cut -d' ' -f1)s"
        done
        log "  $tag round $((i + 1)):$line"
    done
}

# ---------------------------------------------------------------- statistics
# Columns of a times file: 1 wall, 2 user, 3 sys, 4 rss KiB, 5 output bytes.
median() { # median FILE COLUMN (nothing when FILE does not exist: a failed contender)
    [[ -f $1 ]] || return 0
    awk -v c="$2" '{ print $c }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
median_cpu() { # median of user + sys
    awk '{ printf "%.4f\n", $2 + $3 }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxcol() { awk -v c="$2" 'NR == 1 || $c > m { m = $c } END { print m }' "$1"; }
mincol() { awk -v c="$2" 'NR == 1 || $c < m { m = $c } END { print m }' "$1"; }
lastcol() { tail -n 1 "$1" | awk -v c="$2" '{ print $c }'; }
fmt() { awk -v x="$1" -v p="${2:-3}" 'BEGIN { if (x == "") print "n/a"; else printf "%.*f", p, x }'; }
div() { awk -v a="$1" -v b="$2" -v p="${3:-2}" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.*f", p, a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a <= b) }'; } # le A B: A <= B
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "n/a" && a >= b) }'; }
yesno() { if "$@"; then echo "**yes**"; else echo "**no**"; fi; }

# cores_busy FILE : median of (user + sys) / wall: how many cores a run kept busy; a
# 2-thread tool on an idle 2-core machine reaches ~2, less means other load took the rest
cores_busy() {
    awk '{ printf "%.4f\n", ($2 + $3) / $1 }' "$1" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}

# row TAG ID LABEL : a markdown row for one contender of a contest
#   | label | wall median | min-max | user+sys median | cores busy | peak RSS (max) | output bytes |
row() {
    local f=$W/times/$1.$2
    if [[ -f $f.failed ]]; then
        printf '| %s | failed: %s | | | | | |\n' "$3" "$(sed 's/|/\\|/g' "$f.failed")"
        return
    fi
    printf '| %s | %s | %s-%s | %s | %s | %s MiB | %s |\n' "$3" "$(fmt "$(median "$f" 1)")" \
        "$(fmt "$(mincol "$f" 1)")" "$(fmt "$(maxcol "$f" 1)")" "$(fmt "$(median_cpu "$f")" 2)" \
        "$(cores_busy "$f")" "$(mib "$(maxcol "$f" 4)")" "$(lastcol "$f" 5)"
}
row_header() {
    printf '| %s | wall median (s) | min-max (s) | user+sys median (s) | cores busy | peak RSS (max) | output bytes |\n' "${1:-tool}"
    printf '|---|---:|---:|---:|---:|---:|---:|\n'
}

# summary PAIR MVI_S PEER_S RATIO GOAL MET : one line of the final summary table
summary() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@" >>"$W/summary.md"; }

# ---------------------------------------------------------------- machine
load_now() { cut -d' ' -f1-3 /proc/loadavg; }
busy_procs() { # other processes using CPU right now (top 3 by %CPU, excluding this script's)
    ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s%s %s%%", sep, $2, $1; sep = ", " } NR >= 3 { exit }'
}
fuzzers() { # names of running fuzzer processes (libFuzzer targets, cargo-fuzz), or nothing
    local pids
    pids=$(pgrep -f '^[^ ]*fuzz/target/[^ ]*/release/[^ /]+( |$)|cargo-fuzz fuzz run' | tr '\n' ',' || true)
    [[ -n $pids ]] && ps -o comm= -p "${pids%,}" | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }'
    return 0
}
machine() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    printf '%s cores (%s), Linux %s, %s GiB RAM' "$(nproc)" "$cpu" "$(uname -r)" \
        "$(free -m | awk '/^Mem:/ { printf "%.0f", $2 / 1024 }')"
}
tool_versions() {
    printf 'rustc %s; makefs %s; xorriso %s; genisoimage %s; gzip %s; pigz %s; hadris-iso 3.0.0-rc.2' \
        "$(rustc --version 2>/dev/null | cut -d' ' -f2)" \
        "$(dpkg-query -W -f '${Version}' makefs 2>/dev/null || echo '?')" \
        "$(xorriso -version 2>/dev/null | awk '/^xorriso version/ { print $4; exit }')" \
        "$(genisoimage -version 2>/dev/null | awk '{ print $2; exit }')" \
        "$(gzip --version | awk 'NR == 1 { print $2 }')" \
        "$(pigz --version 2>&1 | awk '{ print $2; exit }')"
}

# ---------------------------------------------------------------- trees
# gen_tree DIR ARGS... : bench/gen-tree.py ARGS into DIR, cached: a tree is regenerated only
# when the arguments or the generator changed (stamp DIR.stamp). Trees are deterministic.
gen_tree() {
    local dir=$1
    shift
    local stamp
    stamp="$(sha256sum "$BENCH_ROOT/bench/gen-tree.py" | cut -c1-16) $*"
    if [[ -d $dir && -f $dir.stamp && $(cat "$dir.stamp") == "$stamp" ]]; then
        log "tree $dir: cached ($*)"
        return
    fi
    rm -rf "$dir" "$dir.stamp"
    log "tree $dir: gen-tree.py $*"
    python3 "$BENCH_ROOT/bench/gen-tree.py" "$1" "$dir" "${@:2}" 2>&1 | sed 's/^/  /' >&2
    echo "$stamp" >"$dir.stamp"
}

# gen_proto DIR FILES SIZE : an illumos-shaped proto: `mvi demo`'s (kernels, 50 modules,
# etc/), GRUB legacy's stage2_eltorito at boot/grub/, and `gen-tree.py tree --files FILES
# --size SIZE --content mixed` under usr/lib/bench (which the base rules would prune: the
# build step passes bench/keep.rules, so both sides image the same data). Cached like gen_tree.
gen_proto() {
    local dir=$1 files=$2 size=$3 stamp
    stamp="$(cat "$BENCH_ROOT/bench/gen-tree.py" "$BENCH_ROOT/cli/src/demo.rs" | sha256sum | cut -c1-16) proto $files $size $STAGE2"
    if [[ -d $dir && -f $dir.stamp && $(cat "$dir.stamp") == "$stamp" ]]; then
        log "proto $dir: cached ($files files, $size)"
        return
    fi
    rm -rf "$dir" "$dir.stamp" "$dir.demo"
    log "proto $dir: mvi demo + gen-tree.py tree --files $files --size $size --content mixed"
    "$MVI" -q demo "$dir.demo" >/dev/null
    mv "$dir.demo/proto" "$dir"
    mkdir -p "$dir.keep"
    cp "$dir.demo/keep/menu.lst" "$dir.keep/menu.lst" 2>/dev/null || printf 'timeout 5\n' >"$dir.keep/menu.lst"
    rm -rf "$dir.demo"
    python3 "$BENCH_ROOT/bench/gen-tree.py" tree "$dir/usr/lib/bench" --files "$files" --size "$size" \
        --seed 1 --content mixed 2>&1 | sed 's/^/  /' >&2
    mkdir -p "$dir/boot/grub"
    cp "$STAGE2" "$dir/boot/grub/stage2_eltorito"
    echo "$stamp" >"$dir.stamp"
}

# tree_bytes DIR : bytes of regular-file data (each inode once)
tree_bytes() { find "$1" -type f -printf '%i %s\n' | sort -u | awk '{ s += $2 } END { printf "%.0f\n", s }'; }

# tree_stats DIR : "N entries, F files, D dirs, L symlinks, B bytes (human)"
tree_stats() {
    local d=$1
    local files dirs links bytes
    files=$(find "$d" -type f | wc -l)
    dirs=$(find "$d" -type d | wc -l)
    links=$(find "$d" -type l | wc -l)
    bytes=$(find "$d" -type f -printf '%i %s\n' | sort -u | awk '{ s += $2 } END { printf "%.0f\n", s }')
    printf '%s files, %s directories, %s symlinks, %s of file data' "$files" "$dirs" "$links" "$(human "$bytes")"
}
# processes matching the brief's fuzzer pattern (fuzz builds included): a count
fuzz_activity() { pgrep -fc 'fuzz/target|cargo-fuzz|libfuzzer' || true; }
# met RATIO le|ge LIMIT : "**yes**" / "**no**", or "n/a (peer failed)" when RATIO is n/a
met() {
    if [[ $1 == n/a ]]; then echo "n/a (peer failed)"; else yesno "$2" "$1" "$3"; fi
}

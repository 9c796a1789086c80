#!/usr/bin/env bash
# Run every cargo-fuzz target in fuzz/ for SECONDS (default 60) each, one
# after the other, starting from the committed seeds (fuzz/seeds/TARGET) and
# growing fuzz/corpus/TARGET (git-ignored). Fails on the first crash, hang
# (-timeout, seconds per input) or allocation over -rss_limit_mb; libFuzzer
# then leaves the input in fuzz/artifacts/TARGET/ and this script prints the
# command that reproduces it. Installs cargo-fuzz (and the nightly toolchain
# it needs) when missing; a tool that cannot be installed is an error.
#
#   bash scripts/fuzz-smoke.sh [SECONDS] [TARGET...]
#
# FUZZ_TIMEOUT sets libFuzzer's -timeout, seconds per input (default 1,
# the bound the ten-minute runs in docs/FUZZING.md hold to).
#
# Each run's libFuzzer output goes to fuzz/logs/TARGET.log (git-ignored);
# the last lines (stat::number_of_executed_units, ...) are echoed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_EACH="${1:-60}"
shift || true
ALL_TARGETS=(ufs_image iso_image menu_parse gzip_inspect ufs_roundtrip iso_roundtrip)
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${ALL_TARGETS[@]}")

say() { printf 'fuzz-smoke: %s\n' "$*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

if ! cargo +nightly --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || die "no nightly toolchain and no rustup to install one"
    say "rustup toolchain install nightly"
    rustup toolchain install nightly --profile minimal >&2 || die "cannot install the nightly toolchain"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo install cargo-fuzz --locked"
    cargo install cargo-fuzz --locked >&2 || die "cannot install cargo-fuzz"
fi
cargo fuzz --version >/dev/null 2>&1 || die "cargo fuzz still not available"

# Largest input per target: images are stored compacted (a few KiB to
# 15 KiB), menus are small text, round-trip inputs are arbitrary streams.
max_len() {
    case "$1" in
    menu_parse) echo 16384 ;;
    ufs_roundtrip | iso_roundtrip) echo 8192 ;;
    *) echo 65536 ;;
    esac
}

# AddressSanitizer's quarantine (256 MiB by default) would count against
# -rss_limit_mb by itself; 16 MiB keeps use-after-free detection useful.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16}"

mkdir -p fuzz/logs
say "testing the fuzz helpers (expand/compact)"
cargo test --manifest-path fuzz/Cargo.toml --release --lib -q >&2 || die "fuzz helper tests failed"
say "building ${TARGETS[*]}"
for t in "${TARGETS[@]}"; do
    cargo +nightly fuzz build --fuzz-dir fuzz -O "$t" >&2 || die "cargo fuzz build $t failed"
done
for t in "${TARGETS[@]}"; do
    [[ -d fuzz/seeds/$t ]] || die "no seed corpus fuzz/seeds/$t"
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="fuzz/logs/$t.log"
    say "$t: ${SECONDS_EACH} s (log $log)"
    if ! cargo +nightly fuzz run --fuzz-dir fuzz -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=256 -malloc_limit_mb=256 -timeout="${FUZZ_TIMEOUT:-1}" \
        -max_len="$(max_len "$t")" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        say "$t FAILED; the input is in fuzz/artifacts/$t/; reproduce with:"
        say "  cargo +nightly fuzz run --fuzz-dir fuzz -O $t fuzz/artifacts/$t/<file>"
        exit 1
    fi
    grep -E '^(stat::|Done )' "$log" | sed "s/^/$t: /" >&2 || true
done
say "all targets ran ${SECONDS_EACH} s each without a crash, hang or memory overrun"

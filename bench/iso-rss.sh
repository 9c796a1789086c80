#!/usr/bin/env bash
# Peak RSS of `mvi iso` on a tree holding one 4.5 GiB sparse file (level 3,
# multi-extent), measured with GNU time. The ISO is ~4.5 GiB on disk: the
# script needs that much free space in ${BENCH_DIR:-/tmp/mvi-bench-iso}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release -p mvi >/dev/null 2>&1
dir=${BENCH_DIR:-/tmp/mvi-bench-iso}
rm -rf "$dir"; mkdir -p "$dir/src"
trap 'rm -rf "$dir"' EXIT
truncate -s 4608M "$dir/src/huge.img"
echo small > "$dir/src/small.txt"
/usr/bin/time -f '%e %M' -o "$dir/time" target/release/mvi -q iso "$dir/src" -o "$dir/huge.iso"
read -r wall rss < "$dir/time"
size=$(stat -c %s "$dir/huge.iso")
echo "| mvi iso, one 4.5 GiB sparse file | ${wall} s | $((rss / 1024)) MiB peak RSS | ISO ${size} bytes |"
[ "$rss" -lt $((64 * 1024)) ] && echo "peak RSS under 64 MiB: PASS" || { echo "peak RSS over 64 MiB: FAIL"; exit 1; }

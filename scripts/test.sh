#!/usr/bin/env bash
# Run the whole test suite, oracle tests included: first make sure every
# external oracle is installed (scripts/setup-test-deps.sh, fast when it is),
# then `cargo test --workspace --release`, then a 60-second smoke run of
# every fuzz target (scripts/fuzz-smoke.sh; FUZZ_SECONDS overrides the 60).
# Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-test-deps.sh
cargo test --workspace --release "$@"
# The smoke runs allow 5 s per input (FUZZ_TIMEOUT): libFuzzer times wall
# clock, and a loaded CI machine once stretched a 17 ms input past 1 s; the
# 1 s bound is held by the ten-minute runs (docs/FUZZING.md).
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-5} bash scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-60}"

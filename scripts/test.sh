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
bash scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-60}"

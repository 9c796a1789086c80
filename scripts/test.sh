#!/usr/bin/env bash
# Run the whole test suite, oracle tests included: first make sure every
# external oracle is installed (scripts/setup-test-deps.sh, fast when it is),
# then `cargo test --workspace --release`. Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup-test-deps.sh
cargo test --workspace --release "$@"

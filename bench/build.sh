#!/usr/bin/env bash
# bench/build.sh - the whole pipeline: `mvi build` against makefs + gzip -9n + xorriso.
# Kept for its name: the suite's entry point is bench/run.sh, which has the method, the knobs
# and the shared helpers (bench/lib.sh). The figures in docs/BENCHMARKS.md that name
# `bash bench/build.sh` without this wrapper came from the standalone script of that date
# (git log -- bench/build.sh).
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" build "$@"

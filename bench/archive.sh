#!/usr/bin/env bash
# bench/archive.sh - the archive step: `mvi archive` (all cores and --threads 1) against `gzip -9n` and `pigz -9n`.
# Kept for its name: the suite's entry point is bench/run.sh, which has the method, the knobs
# and the shared helpers (bench/lib.sh). The figures in docs/BENCHMARKS.md that name
# `bash bench/archive.sh` without this wrapper came from the standalone script of that date
# (git log -- bench/archive.sh).
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" archive "$@"

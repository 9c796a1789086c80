#!/usr/bin/env bash
# bench/ufs.sh - the UFS step: `mvi ufs` against BSD `makefs -t ffs -B le` on every tree of the suite.
# Kept for its name: the suite's entry point is bench/run.sh, which has the method, the knobs
# and the shared helpers (bench/lib.sh). The figures in docs/BENCHMARKS.md that name
# `bash bench/ufs.sh` without this wrapper came from the standalone script of that date
# (git log -- bench/ufs.sh).
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" ufs "$@"

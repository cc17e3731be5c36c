#!/usr/bin/env bash
# fuzz/build.sh - configure and build the libFuzzer targets with clang
# (ASan + UBSan + libFuzzer) into ${CTUNE_FUZZ_BUILD:-build-fuzz}, then replay
# the corpora and regression inputs once (ctest).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${CTUNE_FUZZ_BUILD:-$here/../build-fuzz}
CC=${CC:-clang} cmake -S "$here" -B "$build"
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure

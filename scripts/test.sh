#!/usr/bin/env bash
# The second command of the README: installs what is missing, builds, and runs
# every test: once in a normal build, once under ASan+UBSan, and a short run of
# every libFuzzer harness (clang) over its seeds and regression inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
[ -x test/node/setup.sh ] && test/node/setup.sh

export BUILD_DIR=build
scripts/build.sh
(cd build && ctest --output-on-failure -j2 --timeout 900)

if [ "${WREN_SKIP_SANITIZE:-0}" != 1 ]; then
  export BUILD_DIR=build-asan
  scripts/build.sh -DWREN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
  # Leak checks stay on; the sanitizer runtime makes the whole suite fail on
  # the first report.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest --output-on-failure -j2 --timeout 900 -LE nosan)
fi

if [ "${WREN_SKIP_FUZZ:-0}" != 1 ]; then
  # The fuzz build instruments everything with clang; the smoke test runs each
  # harness for a few seconds (fuzz/run.sh runs them long; docs/fuzzing.md).
  CC=clang cmake -S . -B build-fuzz -DWREN_FUZZ=ON -DWREN_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j"$(nproc)"
  (cd build-fuzz && WREN_FUZZ_BUILD_DIR="$PWD" ctest --output-on-failure --timeout 900 -R it_fuzz_smoke)
fi

#!/usr/bin/env bash
# The second command of the README: installs what is missing, builds, and runs
# every test: once in a normal build and once under ASan+UBSan.
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

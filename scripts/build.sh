#!/usr/bin/env bash
# Configures and builds wren into ${BUILD_DIR:-build}. Extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DWREN_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"

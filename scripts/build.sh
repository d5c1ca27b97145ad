#!/usr/bin/env bash
# Configures and builds wren into ${BUILD_DIR:-build}. Extra args go to cmake
# (after ours, so -DWREN_MINIMAL_CURL=OFF turns the minimal libcurl off).
# WREN_MINIMAL_CURL: a static HTTP/HTTPS-only libcurl from Debian's curl source
# (fetched by scripts/deps.sh) and static OpenSSL/jansson/msgpack-c/expat, for
# the worker's cold start (docs/runtime.md).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DWREN_WERROR=ON -DWREN_MINIMAL_CURL=ON "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"

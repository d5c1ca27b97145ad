#!/usr/bin/env bash
# The first command of the README: installs what is missing, builds, and runs
# the demo on the embedded local default (no AWS, nothing to start by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec scripts/run-demo.sh

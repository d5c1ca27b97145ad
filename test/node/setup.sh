#!/bin/sh
# Installs the third-party runtime the emulator's tests run unchanged:
# aws-lambda-ric 3.x from the npm registry, pinned by package-lock.json, into
# test/node/node_modules. Its native part builds with autoconf, automake,
# libtool, cmake and g++.
set -eu
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "setup.sh: node is not installed" >&2; exit 1; }
npm ci --no-audit --no-fund --foreground-scripts
test -f node_modules/aws-lambda-ric/dist/rapid-client.node || \
  { echo "setup.sh: aws-lambda-ric's native client did not build" >&2; exit 1; }
echo "setup.sh: aws-lambda-ric $(node -p 'require("./node_modules/aws-lambda-ric/package.json").version') ready"

#!/bin/sh
# Installs @aws-sdk/client-lambda (pinned by package-lock.json) for
# bench_submit's side-by-side run: bench/node/node_modules.
set -eu
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "setup.sh: node is not installed" >&2; exit 1; }
npm ci --no-audit --no-fund
echo "setup.sh: @aws-sdk/client-lambda $(node -p 'require("./node_modules/@aws-sdk/client-lambda/package.json").version') ready"

#!/usr/bin/env bash
# Installs everything wren needs to build and test on Debian 12, skipping what
# is already there. Run as root (or with sudo). Idempotent.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config git
  libcurl4-openssl-dev libssl-dev libmsgpack-dev libjansson-dev libmicrohttpd-dev libexpat1-dev
  libopenblas-dev liblapacke-dev check
  zip unzip
)
# Tools that may come from elsewhere than Debian on a developer's machine
# (pyenv's python3, a newer Node): installed from Debian only when missing.
command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
# Flags: --test (test peers and tools); --no-minimal-curl skips what
# WREN_MINIMAL_CURL (on by default in scripts/build.sh) needs: the tools to
# unpack and regenerate Debian's curl source, then the source itself, fetched
# by scripts/fetch-curl-source.sh into a cache outside the repository
# (--minimal-curl, the default, is still accepted).
test_deps=0
minimal_curl=1
for arg in "$@"; do
  case $arg in
    --test) test_deps=1 ;;
    --minimal-curl) minimal_curl=1 ;;
    --no-minimal-curl) minimal_curl=0 ;;
    *) echo "deps: unknown flag $arg (expected --test, --minimal-curl, --no-minimal-curl)" >&2; exit 2 ;;
  esac
done
if [ "$minimal_curl" = 1 ]; then
  pkgs+=(dpkg-dev autoconf automake libtool)
fi
if [ "$test_deps" = 1 ]; then
  # Test peers and tools: the AWS CLI v2, an SVG renderer, a static busybox for
  # the layer's chroot test, clang with sanitizer/fuzzer runtimes, valgrind,
  # and what aws-lambda-ric's native build needs.
  pkgs+=(awscli librsvg2-bin busybox-static clang libclang-rt-14-dev valgrind
         autoconf automake libtool procps iproute2)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
if [ "$minimal_curl" = 1 ]; then
  "$(dirname "$0")/fetch-curl-source.sh" >/dev/null
fi

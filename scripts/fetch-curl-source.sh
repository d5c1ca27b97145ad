#!/usr/bin/env bash
# Fetches Debian's curl source package (the version of the installed
# libcurl4-openssl-dev, with Debian's patches applied) for WREN_MINIMAL_CURL.
# Enables deb-src for the hosts and suites the system already uses (a file of
# its own under /etc/apt/sources.list.d/; the existing files stay untouched),
# then runs `apt-get source` into a cache outside the repository:
#   ${WREN_CURL_SRC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wren/curl-src}
# Needs dpkg-dev, autoconf, automake, libtool (scripts/deps.sh --minimal-curl).
# Prints the unpacked source directory on stdout. Idempotent; run as root
# (or with sudo) the first time, when deb-src must be enabled.
set -euo pipefail

cache=${WREN_CURL_SRC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wren/curl-src}
version=$(dpkg-query -W -f='${Version}' libcurl4-openssl-dev 2>/dev/null || true)
[ -n "$version" ] || { echo "fetch-curl-source: libcurl4-openssl-dev is not installed" >&2; exit 1; }
upstream=${version#*:}
upstream=${upstream%%-*}
dir="$cache/curl-$upstream"
stamp="$cache/.version"

if [ -f "$dir/configure.ac" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "$dir"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# deb-src: only if no source entry is enabled yet. Deb822 files are copied
# stanza by stanza with Types: deb-src; one-line entries become deb-src lines.
srcfile=/etc/apt/sources.list.d/wren-deb-src.sources
if ! grep -Rqs -E '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$f" != "$srcfile" ] || continue
    # Paragraphs whose Types include deb and that are not disabled.
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /(^|\n)Types:[^\n]*(^|[[:space:]])deb([[:space:]]|$)/ && !/(^|\n)Enabled:[[:space:]]*no/ {
           gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f" >>"$tmp"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n -E 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' "$f" >"$tmp.list"
    if [ -s "$tmp.list" ]; then
      # One-line entries go to a .list file of their own.
      $SUDO install -m 0644 "$tmp.list" /etc/apt/sources.list.d/wren-deb-src.list
    fi
    rm -f "$tmp.list"
  done
  if [ -s "$tmp" ]; then
    $SUDO install -m 0644 "$tmp" "$srcfile"
  fi
  echo "fetch-curl-source: enabled deb-src ($srcfile)" >&2
  $SUDO apt-get update -qq >&2
elif ! apt-cache showsrc curl 2>/dev/null | grep -q "^Version: $version\$"; then
  $SUDO apt-get update -qq >&2
fi

mkdir -p "$cache"
rm -rf "$dir"
(cd "$cache" && apt-get source -qq "curl=$version" >&2)
[ -f "$dir/configure.ac" ] || { echo "fetch-curl-source: $dir missing after apt-get source" >&2; exit 1; }
# Debian builds its OpenSSL flavour without the two last patches of the series
# (they rename the library for the GnuTLS and NSS flavours; debian/rules pops
# them), then regenerates the build system (patches touch configure.ac and
# Makefile.am), as dh_autoreconf does.
for p in 99_nss.patch 90_gnutls.patch; do
  patch -s -R -p1 -d "$dir" <"$dir/debian/patches/$p" >&2
done
(cd "$dir" && autoreconf -fi >/dev/null 2>&1) || { echo "fetch-curl-source: autoreconf failed in $dir" >&2; exit 1; }
echo "$version" >"$stamp"
echo "$dir"

#!/usr/bin/env bash
# Packages a wren worker into a self-contained Lambda layer zip (unzipped
# under /opt by Lambda):
#
#   bootstrap                         launcher (POSIX sh, layers/bootstrap.sh)
#   wren/bin/bootstrap                the real worker (built-in kernels linked in)
#   wren/lib/ld-linux-x86-64.so.2     the glibc loader the worker was linked against
#   wren/lib/libc.so.6 libm.so.6 ...
#                                     every shared library ldd resolves, by the
#                                     name the binaries ask for (DT_NEEDED),
#                                     copied from the real file (Debian's
#                                     alternatives resolved): libc, libm and
#                                     libgcc_s for scripts/build.sh's static
#                                     build; a shared libcurl brings ~35 more
#   wren/share/wren/MANIFEST          each file, its size, where it came from
#   wren/share/doc/PKG/copyright      the licence of every Debian package shipped
#
# Everything but the launcher sits under wren/: layers merge into one /opt,
# and Lambda puts /opt/lib on every process's LD_LIBRARY_PATH, where a
# Debian libc.so.6 has no business being.
#
# Usage: package-layer.sh --bootstrap PATH --out ZIP [--stage DIR] [--no-strip] [--level 0-9]
#                         [--extra-lib SONAME|PATH]...
# The stage directory (default: ZIP's directory/stage) is emptied first.
# --level is zip's compression level (default 9; tests use 1 for speed).
# --extra-lib ships a library (and its dependencies) the worker does not need
# but kernel modules loaded into it do.
# Needs: ldd, readelf, zip; strip and dpkg when present.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bootstrap="" out="" stage="" strip=1 level=9
extras=()
while [ $# -gt 0 ]; do
  case "$1" in
  --bootstrap) bootstrap=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  --stage) stage=$2; shift 2 ;;
  --no-strip) strip=0; shift ;;
  --level) level=$2; shift 2 ;;
  --extra-lib) extras+=("$2"); shift 2 ;;
  -h | --help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;;
  *) echo "package-layer: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$bootstrap" ] && [ -n "$out" ] || { echo "usage: $0 --bootstrap PATH --out ZIP" >&2; exit 2; }
[ -x "$bootstrap" ] || { echo "package-layer: $bootstrap is not an executable" >&2; exit 1; }
out=$(realpath -m "$out")
[ -n "$stage" ] || stage=$(dirname "$out")/stage
stage=$(realpath -m "$stage")

rm -rf "$stage"
tree=$stage/wren
mkdir -p "$tree/bin" "$tree/lib" "$tree/share/wren" "$(dirname "$out")"

# The loader the binary names in PT_INTERP (ld-linux-x86-64.so.2 on x86_64,
# ld-linux-aarch64.so.1 on arm64): the launcher runs the worker through it.
interp=$(readelf -lW "$bootstrap" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || { echo "package-layer: $bootstrap has no program interpreter (static?)" >&2; exit 1; }
loader=$(basename "$interp")

declare -A shipped=() # name in lib/ -> source file
add_lib() { # add_lib NAME PATH
  local name=$1 src
  src=$(readlink -f "$2")
  [ -f "$src" ] || { echo "package-layer: $2 does not resolve to a file" >&2; exit 1; }
  [ -n "${shipped[$name]:-}" ] && return 0
  shipped[$name]=$src
  cp "$src" "$tree/lib/$name"
  chmod 0755 "$tree/lib/$name"
}

# ship_deps FILE: every library ldd resolves for FILE. ldd runs under a clean
# environment, so a developer's LD_LIBRARY_PATH cannot pick what ships. Lines
# are "soname => /path (addr)", or "/path/ld.so (addr)".
ship_deps() {
  local ldd_out line name path
  ldd_out=$(env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd "$1")
  if grep -q 'not found' <<<"$ldd_out"; then
    echo "package-layer: unresolved libraries of $1:" >&2
    grep 'not found' <<<"$ldd_out" >&2
    exit 1
  fi
  while read -r line; do
    case "$line" in
    *' => '*)
      name=${line%% =>*}
      path=${line#*=> }
      path=${path%% (*}
      add_lib "$name" "$path"
      ;;
    /*)
      add_lib "$loader" "${line%% (*}"
      ;;
    esac
  done <<<"$ldd_out"
}

# find_lib SONAME: the path the system's ld.so.cache gives for it (this arch).
find_lib() {
  # awk reads to the end: exiting early would SIGPIPE ldconfig, which
  # pipefail turns into a silent failure.
  env -u LD_LIBRARY_PATH ldconfig -p 2>/dev/null |
    awk -v n="$1" '!found && $1 == n && /x86-64|AArch64/ {print $NF; found = 1}'
}

ship_deps "$bootstrap"
[ -n "${shipped[$loader]:-}" ] || add_lib "$loader" "$interp"

# Extra libraries (--extra-lib): not needed by the worker itself but by the
# kernel modules users load into it (e.g. the shared OpenBLAS when the worker
# links it statically), with everything they need in turn.
for extra in "${extras[@]}"; do
  case "$extra" in
  */*) path=$extra ;;
  *) path=$(find_lib "$extra") ;;
  esac
  [ -n "$path" ] && [ -e "$path" ] || { echo "package-layer: --extra-lib $extra: not found" >&2; exit 1; }
  soname=$(readelf -dW "$(readlink -f "$path")" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  add_lib "${soname:-$(basename "$path")}" "$path"
  ship_deps "$path"
done

# glibc dlopen()s libgcc_s for unwinding (pthread_cancel, pthread_exit,
# backtrace), so ldd does not list it unless something links it directly.
if [ -z "${shipped[libgcc_s.so.1]:-}" ]; then
  gcc_s=$(find_lib libgcc_s.so.1)
  [ -n "$gcc_s" ] && add_lib libgcc_s.so.1 "$gcc_s"
fi

cp "$bootstrap" "$tree/bin/bootstrap"
chmod 0755 "$tree/bin/bootstrap"
if [ "$strip" = 1 ] && command -v strip >/dev/null; then
  # Debug sections only: symbol tables stay, so crash reports keep names.
  strip --strip-debug "$tree/bin/bootstrap" "$tree"/lib/*
fi

sed "s/@WREN_LOADER@/$loader/g" "$here/bootstrap.sh" >"$stage/bootstrap"
chmod 0755 "$stage/bootstrap"

# Provenance and licences: glibc, libgfortran, OpenBLAS, curl... are
# redistributed, so their copyright files go with them. One dpkg query for
# every file, by both names a merged-/usr system may know it under.
declare -A pkg_of=()
if command -v dpkg >/dev/null; then
  queries=()
  for src in "${shipped[@]}"; do
    queries+=("$src")
    case "$src" in /usr/*) queries+=("${src#/usr}") ;; esac
  done
  while IFS= read -r line; do
    pkgs=${line%%: *}
    path=${line#*: }
    pkg_of[$path]=${pkgs%%[:,]*}
  done < <(dpkg -S "${queries[@]}" 2>/dev/null || true)
fi
{
  echo "# wren layer: file, size in bytes, source, Debian package"
  printf '%s\t%s\t%s\t%s\n' wren/bin/bootstrap "$(stat -c %s "$tree/bin/bootstrap")" "$(readlink -f "$bootstrap")" wren
  for name in $(printf '%s\n' "${!shipped[@]}" | sort); do
    src=${shipped[$name]}
    pkg=${pkg_of[$src]:-${pkg_of[${src#/usr}]:--}}
    if [ "$pkg" != - ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
      mkdir -p "$tree/share/doc/$pkg"
      cp "/usr/share/doc/$pkg/copyright" "$tree/share/doc/$pkg/copyright"
    fi
    printf '%s\t%s\t%s\t%s\n' "wren/lib/$name" "$(stat -c %s "$tree/lib/$name")" "$src" "$pkg"
  done
} >"$tree/share/wren/MANIFEST"

# A reproducible zip: sorted entries, fixed times, no extra attributes beyond
# the Unix mode (Lambda keeps the executable bits from it).
find "$stage" -exec touch -h -d '2000-01-01 00:00:00 UTC' {} +
rm -f "$out"
(cd "$stage" && find . -type f | LC_ALL=C sort | sed 's|^\./||' | zip -q -X "-$level" "$out" -@)

unzipped=$(du -sb --apparent-size "$stage" | cut -f1)
zipped=$(stat -c %s "$out")
echo "package-layer: $out: $zipped bytes zipped, $unzipped bytes unzipped, ${#shipped[@]} libraries (loader $loader)"

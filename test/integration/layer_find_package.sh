#!/usr/bin/env bash
# find_package(wren) works from an installed tree: `cmake --install` this build
# into a fresh prefix, then a user's project outside the source tree
#  - builds its kernel file into libuser.so with wren_add_kernel_library (and a
#    function package zip), and into a bootstrap of its own with
#    wren_add_bootstrap (when the install has wren::bootstrap_main);
#  - the installed bootstrap loads libuser.so through _HANDLER and serves the
#    user's kernel beside the built-ins; the user's own bootstrap serves both
#    with no module at all; a kernel nobody has gets Wren.UnknownKernel;
#  - wren.pc gives the flags to build the same module by hand.
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/layers/testing/layer_lib.sh"

: "${WREN_BUILD_DIR:?run through ctest, or set WREN_BUILD_DIR}"
[ -x "$WREN_BIN_DIR/bootstrap" ] || layer_skip "$WREN_BIN_DIR/bootstrap is not built"
command -v cmake >/dev/null || layer_skip "cmake is not installed"

prefix=$WREN_TMP/prefix
cmake --install "$WREN_BUILD_DIR" --prefix "$prefix" >"$WREN_TMP/install.log" 2>&1 ||
  { cat "$WREN_TMP/install.log" >&2; fail "cmake --install failed"; }
installed_bootstrap=$prefix/libexec/wren/bootstrap
[ -x "$installed_bootstrap" ] || fail "no bootstrap installed at $installed_bootstrap"
for f in include/wren/kernel.h lib/cmake/wren/wrenConfig.cmake lib/cmake/wren/wrenTargets.cmake \
  lib/cmake/wren/wrenFunctions.cmake lib/pkgconfig/wren.pc share/wren/package-layer.sh; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
# Only the public headers: module internals stay in the source tree.
[ ! -e "$prefix/include/wren_common.h" ] || fail "internal header installed"

# The install must not point back into the build or source tree.
if grep -rl -e "$WREN_SOURCE_DIR" -e "$WREN_BUILD_DIR" "$prefix/lib/cmake/wren" "$prefix/lib/pkgconfig"; then
  fail "the installed package config refers to the source or build tree"
fi

proj=$WREN_TMP/proj
mkdir -p "$proj"
cp "$WREN_SOURCE_DIR/layers/testing/user_kernel.c" "$proj/user_kernel.c"
cat >"$proj/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.18)
project(user_kernels C)
find_package(wren 0.1 REQUIRED)
wren_add_kernel_library(user SOURCES user_kernel.c LIBS PkgConfig::OPENBLAS PACKAGE)
if(TARGET wren::bootstrap_main)
  wren_add_bootstrap(user_bootstrap SOURCES user_kernel.c LIBS PkgConfig::OPENBLAS)
  # Its layer, as `LAYER` would make it (fast zip for the test).
  wren_add_layer(user_layer EXECUTABLE user_bootstrap LEVEL 1)
endif()
EOF
cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$WREN_TMP/configure.log" 2>&1 || { cat "$WREN_TMP/configure.log" >&2; fail "find_package(wren) failed"; }
cmake --build "$proj/build" -j2 >"$WREN_TMP/build.log" 2>&1 ||
  { cat "$WREN_TMP/build.log" >&2; fail "the user's project did not build"; }
[ -f "$proj/build/libuser.so" ] || fail "no libuser.so"
if [ -x "$proj/build/user_bootstrap" ]; then
  # The installed packager makes a layer of the user's own worker.
  cmake --build "$proj/build" --target user_layer >"$WREN_TMP/layer.log" 2>&1 ||
    { cat "$WREN_TMP/layer.log" >&2; fail "wren_add_layer failed"; }
  unzip -Z1 "$proj/build/user_layer.zip" >"$WREN_TMP/layer.list"
  for f in bootstrap wren/bin/bootstrap wren/lib/ld-linux-x86-64.so.2 wren/lib/libc.so.6 wren/lib/libopenblas.so.0 \
    wren/share/wren/MANIFEST; do
    grep -qx "$f" "$WREN_TMP/layer.list" || fail "user_layer.zip lacks $f"
  done
  unzip -p "$proj/build/user_layer.zip" wren/share/wren/MANIFEST | grep -q "$proj/build/user_bootstrap" ||
    fail "user_layer.zip does not hold the user's bootstrap"
fi
unzip -Z1 "$proj/build/user-function.zip" | grep -qx libuser.so || fail "function package lacks libuser.so at its root"
# The module links no wren library: its wren_* symbols come from the bootstrap.
nm -D --undefined-only "$proj/build/libuser.so" | grep -q ' wren_kernel_register_at$' ||
  fail "libuser.so does not leave wren_kernel_register_at to the bootstrap"
if nm -D --defined-only "$proj/build/libuser.so" | grep -q ' wren_kernel_register'; then
  fail "libuser.so carries its own kernel registry"
fi

# wren.pc: the same module by hand.
pcflags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags wren) || fail "pkg-config --cflags wren"
blaslibs=$(pkg-config --libs openblas)
# shellcheck disable=SC2086
cc -shared -fPIC -O2 $pcflags "$proj/user_kernel.c" -o "$WREN_TMP/libpc.so" $blaslibs ||
  fail "cannot build a module with pkg-config's flags ($pcflags)"

events=$WREN_TMP/events.jsonl
cat >"$events" <<'EOF'
{"kernel":"user_dot","args":{"x":[1,2,3],"y":[4,5,6]}}
{"kernel":"addone","args":41}
{"kernel":"no_such_kernel","args":1}
EOF

check_answers() { # check_answers WHO RESULTS
  python3 - "$@" <<'EOF'
import json, sys
who = sys.argv[1]
rs = {r["request_id"]: r for r in map(json.loads, open(sys.argv[2]))}
def want(cond, what):
    if not cond:
        sys.exit("FAIL: %s: %s: %r" % (who, what, rs))
want(rs["req-0000"]["ok"] and rs["req-0000"]["body"]["result"] == 32.0, "user_dot gives 32")
want(rs["req-0001"]["ok"] and rs["req-0001"]["body"]["result"] == 42, "addone gives 42")
want(not rs["req-0002"]["ok"] and rs["req-0002"]["error_type"] == "Wren.UnknownKernel", "unknown kernel")
print("%s: user_dot 32, addone 42, no_such_kernel Wren.UnknownKernel" % who)
EOF
}

run_worker() { # run_worker NAME EXECUTABLE HANDLER TASK_ROOT
  local name=$1 exe=$2 handler=$3 task=$4 url
  mkdir -p "$WREN_TMP/$name"
  if [ -n "$emulator" ]; then
    # The installed `wren emulator`, one per worker (handler and task root
    # are per emulator).
    setsid "$emulator" emulator --listen 127.0.0.1:0 --function f="$exe" --handler "$handler" --task-root "$task" \
      --concurrency 1 --timeout 60 --log "$WREN_TMP/$name/log" >"$WREN_TMP/$name/url" 2>&1 &
    LAYER_GROUPS+=("$!")
    for _ in $(seq 200); do
      grep -q '^http://' "$WREN_TMP/$name/url" 2>/dev/null && break
      sleep 0.05
    done
    url=$(grep -m1 '^http://' "$WREN_TMP/$name/url") || { cat "$WREN_TMP/$name/url" >&2; fail "emulator did not start"; }
    python3 "$WREN_SOURCE_DIR/layers/testing/invoke.py" "$url" f "$events" "$WREN_TMP/$name/results.jsonl" ||
      { cat "$WREN_TMP/$name/log" >&2; fail "$name: invoke failed"; }
  else
    layer_fake_api "$WREN_TMP/$name" "$events"
    # shellcheck disable=SC2046
    env -i $(layer_lambda_env "127.0.0.1:$FAKE_PORT" "$handler" "$task") setsid "$exe" >"$WREN_TMP/$name/log" 2>&1 &
    LAYER_GROUPS+=("$!")
    layer_wait_results "$WREN_TMP/$name/results.jsonl" 3 60 || { cat "$WREN_TMP/$name/log" >&2; exit 1; }
  fi
  check_answers "$name" "$WREN_TMP/$name/results.jsonl" || { cat "$WREN_TMP/$name/log" >&2; exit 1; }
}

# The installed `wren emulator` when this build has one; else a fake Runtime API.
emulator=""
if "$prefix/bin/wren" emulator --help >/dev/null 2>&1; then
  emulator=$prefix/bin/wren
  echo "Runtime API: the installed wren emulator"
else
  echo "Runtime API: layers/testing/fake_runtime_api.py (no wren emulator in this build)"
fi

run_worker installed "$installed_bootstrap" libuser.so "$proj/build"
mkdir -p "$WREN_TMP/pc-task" && cp "$WREN_TMP/libpc.so" "$WREN_TMP/pc-task/"
run_worker pkgconfig "$installed_bootstrap" libpc.so "$WREN_TMP/pc-task"
if [ -x "$proj/build/user_bootstrap" ]; then
  mkdir -p "$WREN_TMP/empty-task"
  run_worker own "$proj/build/user_bootstrap" wren "$WREN_TMP/empty-task"
else
  fail "wren_add_bootstrap built no user_bootstrap (wren::bootstrap_main missing from the install)"
fi
echo "PASS: find_package(wren) from $prefix builds kernels the installed bootstrap and the user's own serve"

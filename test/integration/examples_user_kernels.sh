#!/usr/bin/env bash
# examples/user_kernels: a project outside wren's build registers its own
# kernels in its own C file and maps over them locally, against an installed
# wren (cmake --install of this build): once with the stock bootstrap loading
# libmykernels.so through _HANDLER, once with its own bootstrap.
source "$(dirname "$0")/lib.sh"
: "${WREN_BUILD_DIR:?run through ctest}"
export TMPDIR="$WREN_TMP/tmp"; mkdir -p "$TMPDIR"
prefix="$WREN_TMP/prefix"
cmake --install "$WREN_BUILD_DIR" --prefix "$prefix" >"$WREN_TMP/install.log" 2>&1 ||
  { cat "$WREN_TMP/install.log" >&2; fail "cmake --install failed"; }
[ -f "$prefix/lib/cmake/wren/wrenConfig.cmake" ] || { echo "no package config installed: skipped"; exit 77; }

proj="$WREN_TMP/proj"
cp -r "$WREN_SOURCE_DIR/examples/user_kernels" "$proj"
cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$WREN_TMP/cfg.log" 2>&1 || { cat "$WREN_TMP/cfg.log" >&2; fail "configure the user project"; }
cmake --build "$proj/build" -j2 >"$WREN_TMP/build.log" 2>&1 ||
  { cat "$WREN_TMP/build.log" >&2; fail "build the user project"; }

# Not the build tree's bootstrap: the program is told the installed one.
unset WREN_BOOTSTRAP
"$proj/build/user_kernels_demo" > "$WREN_TMP/out1.txt" || { cat "$WREN_TMP/out1.txt"; fail "module run"; }
grep -q "^2^15 = 32768$" "$WREN_TMP/out1.txt" || fail "power via libmykernels.so"
grep -q "^collatz(27) = 111$" "$WREN_TMP/out1.txt" || fail "collatz via libmykernels.so"
grep -q "^collatz(0): Wren.NotPositive: collatz: n = 0 is not positive$" "$WREN_TMP/out1.txt" || fail "typed error"

set +e
"$proj/build/user_kernels_demo" --own-bootstrap > "$WREN_TMP/out2.txt"; rc=$?
set -e
if [ $rc = 77 ]; then
  echo "no wren::bootstrap_main in this install: own-bootstrap run skipped"
else
  [ $rc = 0 ] || { cat "$WREN_TMP/out2.txt"; fail "own bootstrap run"; }
  grep -q "user_kernels_demo: ok" "$WREN_TMP/out2.txt" || fail "own bootstrap output"
fi
[ -z "$(ls -A "$TMPDIR")" ] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
echo "user kernels example: ok"

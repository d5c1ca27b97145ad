#!/usr/bin/env bash
# The layer is self-contained: unzipped into an otherwise empty root whose only
# other file is Debian's busybox-static (as /bin/sh and /bin/busybox), chrooted
# into, its bootstrap serves gemm and solve over the Runtime API on 127.0.0.1
# with no library from the host, and loads a user's kernel module from the
# task root (_HANDLER=libuser.so) that links no BLAS: its cblas_ddot binds to
# the worker's own (statically linked, exported) OpenBLAS:
#  - the answers equal those of the host-built bootstrap (gemm's sum to the bit,
#    solve's exact solution), and a singular system still gets its typed error;
#  - every file mapped into the worker's processes lies inside the layer.
# The root gets what every Lambda sandbox has: /proc (mounted in a private
# mount and PID namespace that vanish with the test), /tmp, an empty
# /var/task. Needs root, unshare and chroot; skips (77) otherwise.
source "$(dirname "$0")/lib.sh"
source "$WREN_SOURCE_DIR/layers/testing/layer_lib.sh"

[ "$(id -u)" = 0 ] || layer_skip "needs root (chroot, mount namespaces)"
unshare=$(command -v unshare) || layer_skip "unshare (util-linux) is not installed"
chroot=$(command -v chroot) || layer_skip "chroot (coreutils) is not installed"
unshare --mount --pid --fork true 2>/dev/null || layer_skip "unshare --mount --pid is not permitted here"
busybox=/bin/busybox
[ -x "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 ||
  layer_skip "needs Debian's busybox-static at /bin/busybox (apt-get install busybox-static)"
host_bootstrap=$WREN_BIN_DIR/bootstrap
[ -x "$host_bootstrap" ] || layer_skip "$host_bootstrap is not built"
if ldd "$host_bootstrap" | grep -q 'libasan\|libubsan'; then
  layer_skip "sanitizer build: a layer ships from a normal build"
fi

# Package the layer from this build's bootstrap, with the script the `layer`
# target runs and its default (no extra libraries: WREN_LAYER_EXTRA_LIBS is
# empty), into this test's own directory (tests may run in parallel).
"$WREN_SOURCE_DIR/layers/package-layer.sh" --bootstrap "$host_bootstrap" --out "$WREN_TMP/wren-layer.zip" \
  --stage "$WREN_TMP/stage" --level 1 ||
  fail "package-layer.sh failed"

# A user's kernel module, as a function package would hold it: loaded through
# _HANDLER from the task root. It links no BLAS (only cblas.h at compile time):
# cblas_ddot must resolve to the worker's exported OpenBLAS.
pkgflags=$(pkg-config --cflags msgpack openblas)
# shellcheck disable=SC2086
cc -shared -fPIC -O2 -std=c11 -D_GNU_SOURCE -I"$WREN_SOURCE_DIR/include" $pkgflags \
  "$WREN_SOURCE_DIR/layers/testing/user_kernel.c" -o "$WREN_TMP/libuser.so" ||
  fail "cannot build the user kernel module"
nm -D --undefined-only "$WREN_TMP/libuser.so" | grep -q ' cblas_ddot$' ||
  fail "libuser.so does not leave cblas_ddot to the worker"
if readelf -d "$WREN_TMP/libuser.so" | grep -q 'NEEDED.*\(blas\|lapack\)'; then
  fail "libuser.so links a BLAS of its own"
fi
if ! ldd "$host_bootstrap" | grep -q 'libopenblas'; then
  # A worker with OpenBLAS linked in must offer all of CBLAS and LAPACKE.
  nm -D --defined-only "$host_bootstrap" >"$WREN_TMP/exports"
  for sym in cblas_ddot cblas_zgemm LAPACKE_dgesv LAPACKE_zheev dgesv_; do
    grep -q " $sym\$" "$WREN_TMP/exports" || fail "bootstrap does not export $sym"
  done
fi

root=$WREN_TMP/root
LAYER_MOUNTS_UNDER=$root
mkdir -p "$root/bin" "$root/opt" "$root/proc" "$root/tmp" "$root/var/task"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp "$busybox" "$root/bin/sh"
cp "$WREN_TMP/libuser.so" "$root/var/task/libuser.so"
(cd "$root/opt" && unzip -q "$WREN_TMP/wren-layer.zip") || fail "unzip failed"
[ -x "$root/opt/bootstrap" ] && [ -x "$root/opt/wren/bin/bootstrap" ] || fail "layer lacks bootstrap or wren/bin/bootstrap"
# Nothing but the launcher outside wren/: layers share /opt (and /opt/lib is
# on every process's LD_LIBRARY_PATH on Lambda).
top_entries=$(cd "$root/opt" && find . -mindepth 1 -maxdepth 1 | LC_ALL=C sort | tr '\n' ' ')
[ "$top_entries" = "./bootstrap ./wren " ] || fail "layer root holds $top_entries"
extra=$(cd "$root" && find . -type f ! -path './opt/*' ! -path ./bin/sh ! -path ./bin/busybox \
  ! -path ./var/task/libuser.so)
[ -z "$extra" ] || fail "root holds files beyond the layer and busybox: $extra"

events=$WREN_TMP/events.jsonl
cat >"$events" <<'EOF'
{"kernel":"gemm","args":{"n":64,"seed":1}}
{"kernel":"solve","args":{"a":[[4,1,0],[1,3,1],[0,1,2]],"b":[6,10,8]}}
{"kernel":"solve","args":{"a":[[1,2],[2,4]],"b":[1,2]}}
{"kernel":"user_dot","args":{"x":[1,2,3],"y":[4,5,6]}}
EOF
n_events=$(wc -l <"$events")

mkdir -p "$WREN_TMP/host/task" "$WREN_TMP/chroot"
cp "$WREN_TMP/libuser.so" "$WREN_TMP/host/task/libuser.so"
# The layer's bootstrap, chrooted, in its own mount and PID namespaces:
# killing unshare kills everything in them and takes the /proc mount along.
# Lambda's LD_LIBRARY_PATH (the OS's /lib64 first) is set: the launcher must
# not let it through.
instance=$WREN_TMP/chroot-instance.sh
cat >"$instance" <<EOF
#!/bin/sh
export LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
export LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib
exec "$unshare" --mount --propagation private --pid --fork --kill-child --mount-proc="$root/proc" \\
  "$chroot" "$root" /opt/bootstrap
EOF
chmod +x "$instance"

if "$WREN_BIN_DIR/wren" emulator --help >/dev/null 2>&1; then
  # wren's emulator serves two functions: "host", the host-built bootstrap
  # (the reference answers), and "layer", the chrooted layer.
  echo "Runtime API: wren emulator"
  # A third, "onhost": the same layer unzipped on this full Debian system with
  # LD_LIBRARY_PATH naming the host's own copies of every library: the
  # launcher must still load only the layer's (as on Lambda, whose /lib64 is
  # first on that path).
  mkdir -p "$WREN_TMP/onhost/opt"
  (cd "$WREN_TMP/onhost/opt" && unzip -q "$WREN_TMP/wren-layer.zip") || fail "unzip failed"
  multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  LD_LIBRARY_PATH=/lib/$multiarch:/usr/lib/$multiarch:/usr/lib/$multiarch/openblas-pthread \
  setsid "$WREN_BIN_DIR/wren" emulator --listen 127.0.0.1:0 --function host="$host_bootstrap" \
    --function layer="$instance" --function onhost="$WREN_TMP/onhost/opt/bootstrap" --handler libuser.so --task-root "$WREN_TMP/host/task" --concurrency 1 \
    --timeout 60 --log "$WREN_TMP/chroot/log" >"$WREN_TMP/emulator.url" 2>"$WREN_TMP/emulator.err" &
  top=$!
  LAYER_GROUPS+=("$top")
  for _ in $(seq 200); do
    grep -q '^http://' "$WREN_TMP/emulator.url" 2>/dev/null && break
    sleep 0.05
  done
  url=$(grep -m1 '^http://' "$WREN_TMP/emulator.url") || { cat "$WREN_TMP/emulator.err" >&2; fail "emulator did not start"; }
  python3 "$WREN_SOURCE_DIR/layers/testing/invoke.py" "$url" host "$events" "$WREN_TMP/host/results.jsonl" ||
    { cat "$WREN_TMP/chroot/log" >&2; fail "invoking the host bootstrap"; }
  python3 "$WREN_SOURCE_DIR/layers/testing/invoke.py" "$url" layer "$events" "$WREN_TMP/chroot/results.jsonl" ||
    { cat "$WREN_TMP/chroot/log" >&2; fail "invoking the layer's bootstrap in the chroot"; }
  python3 "$WREN_SOURCE_DIR/layers/testing/invoke.py" "$url" onhost "$events" "$WREN_TMP/onhost/results.jsonl" ||
    { cat "$WREN_TMP/chroot/log" >&2; fail "invoking the layer's bootstrap on the host"; }
  python3 "$WREN_SOURCE_DIR/layers/testing/audit_maps.py" "$top" "$WREN_TMP/onhost/opt/" "$WREN_TMP/host/task/" ||
    { cat "$WREN_TMP/chroot/log" >&2; fail "the layer's worker on the host maps a host library"; }
  echo "onhost: with LD_LIBRARY_PATH=/lib/$multiarch:... the layer's worker maps only the layer's libraries"
else
  # No emulator in this build: a minimal Runtime API per worker.
  echo "Runtime API: layers/testing/fake_runtime_api.py (no wren emulator in this build)"
  layer_fake_api "$WREN_TMP/host" "$events"
  # shellcheck disable=SC2046
  env -i $(layer_lambda_env "127.0.0.1:$FAKE_PORT" libuser.so "$WREN_TMP/host/task") \
    setsid "$host_bootstrap" >"$WREN_TMP/host/log" 2>&1 &
  LAYER_GROUPS+=("$!")
  layer_wait_results "$WREN_TMP/host/results.jsonl" "$n_events" 60 ||
    { cat "$WREN_TMP/host/log" >&2; fail "host bootstrap"; }
  layer_fake_api "$WREN_TMP/chroot" "$events"
  # shellcheck disable=SC2046
  env -i $(layer_lambda_env "127.0.0.1:$FAKE_PORT" libuser.so /var/task) \
    setsid "$instance" >"$WREN_TMP/chroot/log" 2>&1 &
  top=$!
  LAYER_GROUPS+=("$top")
  layer_wait_results "$WREN_TMP/chroot/results.jsonl" "$n_events" 60 ||
    { cat "$WREN_TMP/chroot/log" >&2; fail "the layer's bootstrap in the chroot"; }
fi

# While the worker waits for its next event: every file it and its kernel
# process have mapped must come from the layer.
python3 "$WREN_SOURCE_DIR/layers/testing/audit_maps.py" "$top" "$root/opt/" "$root/var/task/" ||
  { cat "$WREN_TMP/chroot/log" >&2; fail "the chrooted worker maps a file from outside the layer"; }

# 3. The answers: the layer's (chrooted, and on the host when run) equal the
#    host build's, and are right.
others=("chroot=$WREN_TMP/chroot/results.jsonl")
[ -s "$WREN_TMP/onhost/results.jsonl" ] && others+=("onhost=$WREN_TMP/onhost/results.jsonl")
python3 - "$WREN_TMP/chroot/log" "$WREN_TMP/host/results.jsonl" "${others[@]}" <<'EOF'
import base64, json, struct, sys

def load(path):
    with open(path) as f:
        return {r["request_id"]: r for r in map(json.loads, f)}
host = load(sys.argv[2])
layers = {arg.split("=", 1)[0]: load(arg.split("=", 1)[1]) for arg in sys.argv[3:]}

def fail(msg):
    sys.stderr.write(open(sys.argv[1]).read())
    sys.exit("FAIL: " + msg)

def vector(x):
    """An f64 array map {dtype, shape, data (base64 in JSON)} or a plain list."""
    if isinstance(x, list):
        return [float(v) for v in x]
    if x.get("dtype") != "f64":
        fail("unexpected array %r" % x)
    raw = base64.b64decode(x["data"])
    return list(struct.unpack("<%dd" % (len(raw) // 8), raw))

for name, got in [("host", host)] + list(layers.items()):
    for rid in ("req-0000", "req-0001", "req-0003"):
        r = got.get(rid)
        if not r or not r["ok"]:
            fail("%s: %s failed: %r" % (name, rid, r))
    # solve: x = [1, 2, 3] (LU on this system is exact to the last bit or two).
    x = vector(got["req-0001"]["body"]["result"]["x"])
    if len(x) != 3 or any(abs(v - w) > 1e-14 for v, w in zip(x, (1.0, 2.0, 3.0))):
        fail("%s: solve gave %r, not [1, 2, 3]" % (name, x))

hs = host["req-0000"]["body"]["result"]["sum"]
xh = vector(host["req-0001"]["body"]["result"]["x"])
for name, got in layers.items():
    # gemm: the same sum to the last bit (same code, same OpenBLAS, same libm).
    res = got["req-0000"]["body"]["result"]
    if not isinstance(res["sum"], float) or res["sum"] != hs or res["n"] != 64:
        fail("%s: gemm sum %r != host %r" % (name, res["sum"], hs))
    print("%s: gemm n=64 seed=1: sum %.17g, as on the host" % (name, res["sum"]))
    xc = vector(got["req-0001"]["body"]["result"]["x"])
    if xc != xh:
        fail("%s: solve gave %r, host %r" % (name, xc, xh))
    print("%s: solve: x = %r, as on the host" % (name, xc))
    # A singular system: the typed error crosses too.
    r = got.get("req-0002")
    if not r or r["ok"] or r["error_type"] != "Wren.SingularMatrix":
        fail("%s: singular solve: %r" % (name, r))
    print("%s: solve of a singular matrix: %s" % (name, r["error_type"]))
    # The user's module, from the task root, with the layer's shared OpenBLAS.
    r = got["req-0003"]
    if r["body"]["result"] != 32.0:
        fail("%s: user_dot: %r" % (name, r))
    print("%s: user_dot from libuser.so in the task root: %r" % (name, r["body"]["result"]))
EOF
echo "PASS: the layer serves gemm and solve in an empty root with only busybox beside it"

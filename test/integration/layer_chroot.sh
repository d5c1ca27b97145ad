#!/usr/bin/env bash
# The layer is self-contained: unzipped into an otherwise empty root whose only
# other file is Debian's busybox-static (as /bin/sh and /bin/busybox), chrooted
# into, its bootstrap serves gemm and solve over the Runtime API on 127.0.0.1
# with no library from the host, and loads a user's kernel module from the
# task root (_HANDLER=libuser.so) against the layer's OpenBLAS:
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
# target runs, with its default extra libraries for kernel modules
# (WREN_LAYER_EXTRA_LIBS), into this test's own directory (tests may run in
# parallel).
"$WREN_SOURCE_DIR/layers/package-layer.sh" --bootstrap "$host_bootstrap" --out "$WREN_TMP/wren-layer.zip" \
  --stage "$WREN_TMP/stage" --level 1 --extra-lib libopenblas.so.0 --extra-lib liblapacke.so.3 ||
  fail "package-layer.sh failed"

# A user's kernel module, as a function package would hold it: loaded through
# _HANDLER from the task root, it needs libopenblas from the layer's lib/.
pkgflags=$(pkg-config --cflags msgpack openblas)
# shellcheck disable=SC2086
cc -shared -fPIC -O2 -std=c11 -D_GNU_SOURCE -I"$WREN_SOURCE_DIR/include" $pkgflags \
  "$WREN_SOURCE_DIR/layers/testing/user_kernel.c" -o "$WREN_TMP/libuser.so" $(pkg-config --libs openblas) ||
  fail "cannot build the user kernel module"

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
[ "$(cd "$root/opt" && ls -A | tr '\n' ' ')" = "bootstrap wren " ] || fail "layer root holds $(ls -A "$root/opt")"
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
  setsid "$WREN_BIN_DIR/wren" emulator --listen 127.0.0.1:0 --function host="$host_bootstrap" \
    --function layer="$instance" --handler libuser.so --task-root "$WREN_TMP/host/task" --concurrency 1 \
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
python3 - "$top" "$root/opt/" "$root/var/task/" <<'EOF' || { cat "$WREN_TMP/chroot/log" >&2; fail "a host file is mapped"; }
import os, sys
top, layer, task = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def children(pid):
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out
pids, todo = [], [top]
while todo:
    p = todo.pop()
    pids.append(p)
    todo += children(p)
workers = 0
for p in pids:
    try:
        exe = os.readlink("/proc/%d/exe" % p)
        maps = open("/proc/%d/maps" % p).read().splitlines()
    except OSError:
        continue
    if not exe.startswith(layer):
        continue  # the emulator, the host bootstrap, unshare before it execs
    workers += 1
    files = sorted({l.split(None, 5)[5] for l in maps if len(l.split(None, 5)) == 6
                    and l.split(None, 5)[5].startswith("/")})
    bad = [f for f in files if not f.startswith(layer) and not f.startswith(task)]
    if bad:
        sys.exit("pid %d (%s) maps host files: %s" % (p, exe, bad))
    libs = [f[len(layer):] if f.startswith(layer) else f[len(task) - len("/var/task/"):] for f in files]
    print("pid %d: %d mapped files, all from the layer or the task root: %s" % (p, len(files), " ".join(libs)))
if workers == 0:
    sys.exit("no process of the layer found under pid %d" % top)
EOF

# 3. The answers: the chroot's equal the host's, and are right.
python3 - "$WREN_TMP/host/results.jsonl" "$WREN_TMP/chroot/results.jsonl" "$WREN_TMP/chroot/log" <<'EOF'
import base64, json, struct, sys

def load(path):
    with open(path) as f:
        return {r["request_id"]: r for r in map(json.loads, f)}
host, chroot = load(sys.argv[1]), load(sys.argv[2])

def fail(msg):
    sys.stderr.write(open(sys.argv[3]).read())
    sys.exit("FAIL: " + msg)

def vector(x):
    """An f64 array map {dtype, shape, data (base64 in JSON)} or a plain list."""
    if isinstance(x, list):
        return [float(v) for v in x]
    if x.get("dtype") != "f64":
        fail("unexpected array %r" % x)
    raw = base64.b64decode(x["data"])
    return list(struct.unpack("<%dd" % (len(raw) // 8), raw))

for rid in ("req-0000", "req-0001"):
    for name, got in (("host", host), ("chroot", chroot)):
        r = got.get(rid)
        if not r or not r["ok"]:
            fail("%s: %s failed: %r" % (name, rid, r))

# gemm: the same sum to the last bit (same code, same OpenBLAS, same libm).
hs = host["req-0000"]["body"]["result"]["sum"]
cs = chroot["req-0000"]["body"]["result"]["sum"]
if not isinstance(cs, float) or cs != hs:
    fail("gemm sum in the chroot %r != host %r" % (cs, hs))
if chroot["req-0000"]["body"]["result"]["n"] != 64:
    fail("gemm n")
print("gemm n=64 seed=1: sum %.17g in the chroot and on the host" % cs)

# solve: x = [1, 2, 3] (LU on this system is exact to the last bit or two).
for name, got in (("host", host), ("chroot", chroot)):
    x = vector(got["req-0001"]["body"]["result"]["x"])
    if len(x) != 3 or any(abs(v - w) > 1e-14 for v, w in zip(x, (1.0, 2.0, 3.0))):
        fail("%s: solve gave %r, not [1, 2, 3]" % (name, x))
xh = vector(host["req-0001"]["body"]["result"]["x"])
xc = vector(chroot["req-0001"]["body"]["result"]["x"])
if xh != xc:
    fail("solve differs: chroot %r host %r" % (xc, xh))
print("solve: x = %r in the chroot and on the host" % (xc,))

# A singular system: the typed error crosses the chroot too.
r = chroot.get("req-0002")
if not r or r["ok"] or r["error_type"] != "Wren.SingularMatrix":
    fail("singular solve in the chroot: %r" % (r,))
print("solve of a singular matrix: %s" % r["error_type"])

# The user's module, loaded from /var/task with the layer's OpenBLAS.
r = chroot.get("req-0003")
if not r or not r["ok"] or r["body"]["result"] != 32.0:
    fail("user_dot in the chroot: %r" % (r,))
print("user_dot from /var/task/libuser.so: %r" % r["body"]["result"])
EOF
echo "PASS: the layer serves gemm and solve in an empty root with only busybox beside it"

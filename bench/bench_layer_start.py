#!/usr/bin/env python3
"""Start-up cost of the layer's launcher: exec -> exit of the worker when it
has no Runtime API to talk to (it loads every library, runs every constructor,
then stops at AWS_LAMBDA_RUNTIME_API), through
  1. the layer's launcher (/bin/sh -> bundled ld.so -> worker),
  2. the bundled ld.so run directly (what the launcher execs),
  3. the host build with the host's libraries,
  4. /bin/true (the cost of fork + exec alone),
interleaved, N rounds, medians and 10th percentiles. Prints figures; not a test.

Usage: bench_layer_start.py BUILD_DIR [ROUNDS]   (after `cmake --build BUILD_DIR --target layer`)
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile


def main():
    build = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    tmp = tempfile.mkdtemp(prefix="wren-bench-layer.")
    try:
        with zipfile.ZipFile(os.path.join(build, "layer", "wren-layer.zip")) as z:
            for info in z.infolist():
                path = z.extract(info, tmp)
                os.chmod(path, (info.external_attr >> 16) & 0o777)
        loader = [f for f in os.listdir(os.path.join(tmp, "wren", "lib")) if f.startswith("ld-linux")][0]
        cmds = {
            "launcher (sh -> ld.so -> worker)": [os.path.join(tmp, "bootstrap")],
            "bundled ld.so -> worker": [os.path.join(tmp, "wren", "lib", loader), "--inhibit-cache",
                                        "--library-path", os.path.join(tmp, "wren", "lib"),
                                        os.path.join(tmp, "wren", "bin", "bootstrap")],
            "host build, host libraries": [os.path.join(build, "bin", "bootstrap")],
            "/bin/true (fork + exec floor)": ["/bin/true"],
        }
        env = {"PATH": "/usr/bin:/bin"}
        times = {k: [] for k in cmds}
        for _ in range(rounds):
            for name, cmd in cmds.items():
                t = time.perf_counter()
                subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - t)
        print("exec -> exit, %d rounds each, interleaved" % rounds)
        for name, v in times.items():
            v.sort()
            print("  %-34s median %6.2f ms   p10 %6.2f ms" % (name, statistics.median(v) * 1e3, v[len(v) // 10] * 1e3))
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

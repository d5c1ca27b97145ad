#!/usr/bin/env python3
"""Checks that every process of a layer's worker maps only files of the layer
(or of the function's task root): no library from anywhere else.

Usage: audit_maps.py TOP_PID LAYER_DIR/ TASK_DIR/
Walks TOP_PID's descendants; the worker's processes are those whose
executable lies in LAYER_DIR (the bundled loader, since the launcher runs the
worker through it). Exits 1 naming the first foreign file, or if no worker
process is found. LAYER_DIR and TASK_DIR are host paths ending in '/'.
"""
import os
import sys


def children(pid):
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def main():
    top, layer, task = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    pids, todo = [], [top]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo += children(p)
    workers = 0
    for p in pids:
        try:
            exe = os.readlink("/proc/%d/exe" % p)
            with open("/proc/%d/maps" % p) as f:
                maps = f.read().splitlines()
        except OSError:
            continue
        if not exe.startswith(layer):
            continue  # the emulator, other functions' workers, unshare before it execs
        workers += 1
        files = set()
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].startswith("/"):
                files.add(fields[5])
        bad = sorted(f for f in files if not f.startswith(layer) and not f.startswith(task))
        if bad:
            sys.exit("pid %d (%s) maps files from outside the layer: %s" % (p, exe, bad))
        names = sorted(os.path.basename(f) for f in files)
        print("pid %d: %d mapped files, all from the layer or the task root (%s)" % (p, len(files), " ".join(names)))
    if workers == 0:
        sys.exit("no process of the layer (%s) under pid %d" % (layer, top))


if __name__ == "__main__":
    main()

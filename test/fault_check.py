#!/usr/bin/env python3
"""Checks a `wren map fault_mix` run for the fault matrix (test/integration/faults_*.sh).

usage: fault_check.py INPUT.jsonl OUTPUT.jsonl [--min-errors N] [--max-errors N]

Each input line is the call's argument and says what must come out:
  no "expect"            -> the result must be exactly i + 1
  "expect": [T, ...]     -> an error whose type is one of T, with a non-empty message
  "expect_or": [T, ...]  -> either i + 1 or such an error (a fault that may or may not hit it)
There must be exactly one output line per input line (n outcomes for n calls).
Prints a one-line summary; exits 1 with the first problems on failure."""
import json
import sys


def main():
    args = sys.argv[1:]
    min_errors, max_errors = 0, None
    while len(args) > 2:
        opt, val = args[-2], int(args[-1])
        args = args[:-2]
        if opt == "--min-errors":
            min_errors = val
        elif opt == "--max-errors":
            max_errors = val
        else:
            sys.exit("unknown option " + opt)
    ins = [json.loads(l) for l in open(args[0]) if l.strip()]
    outs = [l for l in open(args[1]).read().split("\n") if l.strip()]
    problems = []
    if len(outs) != len(ins):
        problems.append("%d outcomes for %d calls" % (len(outs), len(ins)))
    errors = {}
    for k, (a, line) in enumerate(zip(ins, outs)):
        try:
            o = json.loads(line)
        except ValueError:
            problems.append("call %d: not JSON: %r" % (k, line[:200]))
            continue
        err = o.get("error") if isinstance(o, dict) else None
        if err is not None:
            t = err.get("type")
            errors[t] = errors.get(t, 0) + 1
            allowed = a.get("expect") or a.get("expect_or") or []
            if t not in allowed:
                problems.append("call %d: unexpected error %s: %s" % (k, t, err.get("message")))
            elif not err.get("message"):
                problems.append("call %d: error %s without a message" % (k, t))
        else:
            if "expect" in a:
                problems.append("call %d: want an error %s, got %r" % (k, a["expect"], o))
            elif o != a["i"] + 1:
                problems.append("call %d: want %d, got %r" % (k, a["i"] + 1, o))
    n_err = sum(errors.values())
    if n_err < min_errors:
        problems.append("%d errors, want at least %d (the fault never hit)" % (n_err, min_errors))
    if max_errors is not None and n_err > max_errors:
        problems.append("%d errors, want at most %d" % (n_err, max_errors))
    print("%d calls, %d outcomes, %d results, errors %s" % (len(ins), len(outs), len(outs) - n_err,
                                                          json.dumps(errors, sort_keys=True)))
    if problems:
        for p in problems[:10]:
            print("  " + p, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Whole-program benchmark: a64x against qemu-aarch64 and the native (host) build.

For every benchmark program of test-binaries/src (the sources with a `//@ bench` line) this
runs, round-robin so that machine noise spreads evenly over the three:

    native   test-binaries/out/native/<name>            (gcc -O2, x86-64)
    qemu     qemu-aarch64 test-binaries/out/<name>-O2
    a64x     target/release/a64x test-binaries/out/<name>-O2

and prints the median wall times, a64x/native and a64x/qemu, and the geometric means of the
ratios. Before timing, each program runs once under all three and the outputs (stdout and exit
status) are compared; an a64x run that disagrees, fails or times out is reported and left out
of the timings and the means. This is a benchmark, not a test: it never fails on slowness.

With --profile-overhead two more runners, a64x --profile (sampling) and a64x --profile
--profile-counts (sampling and execution counters), reports thrown away, are timed in the same
rounds, and the table gets their cost relative to a64x.

With --confine-cost one more runner, a64x with A64X_NO_CONFINE=1 (guest accesses not masked into
the guest region), is timed in the same rounds, and the table gets what confinement costs: a64x's
time over the unconfined time, per program and as a geometric mean.

Usage: benches/compare.py [--runs N] [--quick] [--no-build] [--profile-overhead] [--confine-cost]
                          [NAME...]
"""

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TB = os.path.join(ROOT, "test-binaries")


def bench_programs(quick):
    """(name, args) of each `//@ bench` source; args from `//@ args:` only with --quick."""
    progs = []
    src = os.path.join(TB, "src")
    for f in sorted(os.listdir(src)):
        if not f.endswith(".c"):
            continue
        text = open(os.path.join(src, f), encoding="utf-8").read()
        if not re.search(r"^//@ bench\s*$", text, re.M):
            continue
        args = []
        m = re.search(r"^//@ args:(.*)$", text, re.M)
        if quick and m:
            args = m.group(1).split()
        progs.append((f[:-2], args))
    return progs


def run(cmd, timeout):
    """Runs cmd in test-binaries/; returns (seconds, stdout, returncode or 'timeout')."""
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=TB, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, b"", "timeout"
    except OSError as e:
        return 0.0, b"", f"cannot run: {e}"
    return time.perf_counter() - start, p.stdout, p.returncode


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs of each (default 5)")
    ap.add_argument("--quick", action="store_true",
                    help="use the small iteration counts of the tests (//@ args:)")
    ap.add_argument("--no-build", action="store_true",
                    help="do not run cargo build --release and test-binaries/build.sh")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run (default 300)")
    ap.add_argument("--profile-overhead", action="store_true",
                    help="also time a64x --profile and print its cost")
    ap.add_argument("--confine-cost", action="store_true",
                    help="also time a64x with A64X_NO_CONFINE=1 and print what confinement costs")
    ap.add_argument("names", nargs="*", help="only these benchmarks (e.g. bench_sieve)")
    opts = ap.parse_args()

    qemu = os.environ.get("A64X_TEST_QEMU", "qemu-aarch64")
    a64x = os.environ.get("A64X_BENCH_BIN", os.path.join(ROOT, "target", "release", "a64x"))
    if shutil.which(qemu) is None:
        sys.exit(f"compare.py: {qemu} not found; run scripts/test-all.sh (it installs qemu-user)")
    if not opts.no_build:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
        subprocess.run([os.path.join(TB, "build.sh"), "--no-clang"], cwd=TB, check=True)

    progs = [p for p in bench_programs(opts.quick) if not opts.names or p[0] in opts.names]
    if not progs:
        sys.exit("compare.py: no benchmark programs selected")
    runners = {
        "native": lambda n, a: [os.path.join("out", "native", n)] + a,
        "qemu": lambda n, a: [qemu, os.path.join("out", n + "-O2")] + a,
        "a64x": lambda n, a: [a64x, os.path.join("out", n + "-O2")] + a,
    }
    if opts.confine_cost:
        runners["unconfined"] = lambda n, a: ["env", "A64X_NO_CONFINE=1", a64x, os.path.join("out", n + "-O2")] + a
    if opts.profile_overhead:
        runners["profiled"] = lambda n, a: [a64x, "--profile=" + os.devnull, os.path.join("out", n + "-O2")] + a
        runners["counted"] = lambda n, a: [a64x, "--profile=" + os.devnull, "--profile-counts",
                                           os.path.join("out", n + "-O2")] + a

    # correctness first
    active = {}  # name -> list of runners whose output matches native
    qemu_wrong = set()  # names where qemu ran to the end with a wrong output: timed, marked
    for name, args in progs:
        results = {r: run(f(name, args), opts.timeout) for r, f in runners.items()}
        ref = results["native"]
        ok = []
        for r, (_, out, code) in results.items():
            if (out, code) == (ref[1], ref[2]):
                ok.append(r)
            else:
                print(f"compare.py: {name}: {r} disagrees with native "
                      f"(status {code} vs {ref[2]}; stdout {out[:80]!r} vs {ref[1][:80]!r})",
                      file=sys.stderr)
        if "native" in ok and "qemu" not in ok and results["qemu"][2] == 0:
            # qemu finished but computed something else (e.g. stale code after IC IVAU in
            # bench_jit's dual mode): its time is shown, marked, since it did not do the work.
            qemu_wrong.add(name)
            ok.append("qemu")
        if "native" not in ok or "qemu" not in ok:
            print(f"compare.py: {name}: left out (native or qemu failed)", file=sys.stderr)
            continue
        active[name] = (args, ok)

    times = {(n, r): [] for n in active for r in runners}
    for i in range(opts.runs):
        print(f"round {i + 1}/{opts.runs}", file=sys.stderr)
        for name, (args, ok) in active.items():
            for r in ok:
                secs, _, code = run(runners[r](name, args), opts.timeout)
                if code == 0:
                    times[(name, r)].append(secs)

    def med(n, r):
        t = times.get((n, r))
        return statistics.median(t) if t else None

    prof = opts.profile_overhead
    hdr = f"{'program':<18} {'native s':>9} {'qemu s':>9} {'a64x s':>9} {'a64x/native':>12} {'a64x/qemu':>10}"
    if prof:
        hdr += f" {'--profile s':>11} {'profile cost':>12} {'+counts cost':>12}"
    print(f"\n{opts.runs} runs each, medians of wall time"
          f"{' (quick: test iteration counts)' if opts.quick else ''}\n")
    conf = opts.confine_cost
    if conf:
        hdr += f" {'unconfined s':>12} {'confine cost':>12}"
    print(hdr)
    print("-" * len(hdr))
    r_native, r_qemu, r_prof, r_count, r_conf = [], [], [], [], []
    for name in active:
        n, q, a = med(name, "native"), med(name, "qemu"), med(name, "a64x")
        fmt = lambda x: f"{x:9.3f}" if x is not None else f"{'-':>9}"
        if a is not None and n and q:
            r_native.append(a / n)
            r_qemu.append(a / q)
            ratios = f"{a / n:12.2f} {a / q:10.2f}"
        else:
            ratios = f"{'failed':>12} {'failed':>10}"
        extra = ""
        if prof:
            p, c = med(name, "profiled"), med(name, "counted")
            if p is not None and c is not None and a:
                r_prof.append(p / a)
                r_count.append(c / a)
                extra = f" {p:11.3f} {100 * (p / a - 1):+11.1f}% {100 * (c / a - 1):+11.1f}%"
            else:
                extra = f" {'-':>11} {'failed':>12} {'failed':>12}"
        if conf:
            u = med(name, "unconfined")
            if u and a:
                r_conf.append(a / u)
                extra += f" {u:12.3f} {100 * (a / u - 1):+11.1f}%"
            else:
                extra += f" {'-':>12} {'failed':>12}"
        mark = "  (qemu's output wrong)" if name in qemu_wrong else ""
        print(f"{name:<18} {fmt(n)} {fmt(q)} {fmt(a)} {ratios}{extra}{mark}")
    print("-" * len(hdr))
    extra = (f" {'':>11} {100 * (geomean(r_prof) - 1):+11.1f}% {100 * (geomean(r_count) - 1):+11.1f}%"
             if prof and r_prof else "")
    if conf and r_conf:
        worst = max(r_conf)
        extra += f" {'':>12} {100 * (geomean(r_conf) - 1):+11.1f}%   (worst {100 * (worst - 1):+.1f}%)"
    print(f"{'geometric mean':<18} {'':>9} {'':>9} {'':>9} {geomean(r_native):12.2f} {geomean(r_qemu):10.2f}"
          f"{extra}   ({len(r_native)} of {len(active)} programs)")


if __name__ == "__main__":
    main()

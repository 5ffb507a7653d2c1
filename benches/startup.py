#!/usr/bin/env python3
"""Start-up benchmark: what exec-heavy work (package installs, builds, scripts) pays, a64x
against qemu-aarch64 and the host's own programs.

Each workload runs under five runners, round-robin so that machine noise spreads evenly:

    native  the host's x86-64 program (the same Debian 12 version where there is one)
    qemu    qemu-aarch64 -L SYSROOT  the Debian arm64 program
    off     target/release/a64x --no-cache -L SYSROOT  the same, no persistent translation cache
    cold    a64x with an empty persistent translation cache (its files deleted after each run,
            its directory and key kept: the first run of a program; the time includes writing
            the cache at exit)
    warm    a64x with the cache a previous run of the workload filled

and the table gives the median whole-process CPU time (user + system of the process and every
child it waited for) and wall time of each, cold/qemu, warm/native and warm/qemu. Workloads that exec
AArch64 programs run, for all three runners alike, in a private user and mount namespace with
a binfmt_misc instance of its own, where qemu-aarch64 is registered for qemu's runs (as
tests/debian.rs does); a64x starts AArch64 programs by itself.

The workloads: static and dynamic hello (test-binaries), `python3.11 -c pass`, bash running
`ls /` 100 times, gcc-12 compiling and linking a small C file (driver, cc1, as, collect2, ld).
The Debian programs come from scripts/fetch-debian-arm64.sh's sysroot (A64X_DEBIAN_ROOT).
Before timing, every runner's output is compared with a64x's; a workload that differs is
reported and left out. A benchmark, not a test: it never fails on slowness.

Usage: benches/startup.py [--runs N] [--no-build] [NAME...]
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TB = os.path.join(ROOT, "test-binaries", "out")
SYSROOT = os.environ.get("A64X_DEBIAN_ROOT") or "/var/cache/a64x/debian-arm64"
CROSS = "/usr/aarch64-linux-gnu"

# The binfmt_misc namespace: mount an instance, register $1 when not empty, exec the rest.
NAMESPACE = ("mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 125; "
             "if [ -n \"$1\" ]; then printf %s \"$1\" > /proc/sys/fs/binfmt_misc/register || exit 125; fi; "
             "shift; exec \"$@\"")
MAGIC = "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00"
MASK = "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff"

# The environment every run gets (native, qemu and a64x alike), as the tests give theirs: the
# caller's could change what a program does (NODE_EXTRA_CA_CERTS had Node parse a certificate
# bundle as it started, in this project's machine's login environment).
RUN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C", "HOME": "/nonexistent"}

HELLO_C = '#include <stdio.h>\nint main(void) { printf("hello %d\\n", 6 * 7); return 0; }\n'


def workloads(work):
    """(name, guest argv, native argv, needs binfmt)."""
    s = lambda p: os.path.join(SYSROOT, p)
    ls_loop = "for i in $(seq 100); do {} / > /dev/null; done; echo done"
    return [
        ("static hello", [os.path.join(TB, "hello-O2")], [os.path.join(TB, "native", "hello")], False),
        ("dynamic hello", ["-L", CROSS, os.path.join(TB, "hello-dynamic")],
         [os.path.join(TB, "native", "hello")], False),
        ("python3 -c pass", ["-L", SYSROOT, s("usr/bin/python3.11"), "-c", "pass"],
         ["/usr/bin/python3.11", "-c", "pass"], False),
        ("bash 100 x ls /", ["-L", SYSROOT, s("usr/bin/bash"), "-c", ls_loop.format(s("usr/bin/ls"))],
         ["/bin/bash", "-c", ls_loop.format("/usr/bin/ls")], True),
        # -B: as and ld from the sysroot (qemu's exec would find the host's through PATH).
        ("gcc-12 hello.c", ["-L", SYSROOT, s("usr/bin/gcc-12"), "-B", s("usr/bin/"), "-o",
                            os.path.join(work, "hello-guest"),
                            os.path.join(work, "hello.c")],
         ["/usr/bin/gcc-12", "-o", os.path.join(work, "hello-host"), os.path.join(work, "hello.c")], True),
    ]


RUNNERS = ("native", "qemu", "off", "cold", "warm")


def command(runner, guest, native, binfmt, qemu_wrapper, cache):
    """The argv of one run (`cache`: the a64x runners' cache directory)."""
    if runner == "native":
        argv = native
    elif runner == "qemu":
        argv = ["qemu-aarch64"] + guest
    else:
        option = ["--no-cache"] if runner == "off" else ["--cache-dir", cache]
        argv = [os.path.join(ROOT, "target", "release", "a64x")] + option + guest
    if not binfmt:
        return argv
    register = f":a64x-bench-qemu:M::{MAGIC}:{MASK}:{qemu_wrapper}:FP" if runner == "qemu" else ""
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", NAMESPACE, "sh", register] + argv


def timed(argv, cwd):
    """(cpu seconds, wall seconds, stdout, status) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    p = subprocess.run(argv, cwd=cwd, env=RUN_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, p.stdout, p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    ap.add_argument("names", nargs="*", help="only workloads whose name contains one of these")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    for tool in ("qemu-aarch64", "unshare"):
        if not shutil.which(tool):
            sys.exit(f"startup.py: {tool} not found (scripts/test-all.sh installs it)")
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "fetch-debian-arm64.sh"), SYSROOT], check=True,
                   stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="a64x-startup-")
    with open(os.path.join(work, "hello.c"), "w") as f:
        f.write(HELLO_C)
    wrapper = os.path.join(work, "qemu-binfmt")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\np=$1; a0=$2; shift 2; exec '{shutil.which('qemu-aarch64')}' -L '{SYSROOT}' "
                "-0 \"$a0\" \"$p\" \"$@\"\n")
    os.chmod(wrapper, 0o755)
    chosen = [w for w in workloads(work) if not args.names or any(n in w[0] for n in args.names)]
    results = {}
    for i, (name, guest, native, binfmt) in enumerate(chosen):
        warm = os.path.join(work, f"warm-{i}")
        argv = lambda r, cache=warm: command(r, guest, native, binfmt, wrapper, cache)
        # The first runs check the outputs and fill the warm runner's cache.
        outs = {r: timed(argv(r), work) for r in RUNNERS}
        bad = [r for r in RUNNERS if outs[r][2:] != outs["off"][2:]]
        if bad or outs["off"][3] != 0:
            print(f"{name}: output of {', '.join(bad) or 'a64x'} differs or failed:", file=sys.stderr)
            for r in RUNNERS:
                print(f"  {r} (status {outs[r][3]}): {outs[r][2][-300:]!r}", file=sys.stderr)
            continue
        samples = {r: [] for r in RUNNERS}
        cold = os.path.join(work, f"cold-{i}")
        for _ in range(args.runs):
            for r in RUNNERS:
                cpu, wall, _, _ = timed(argv(r, cold if r == "cold" else warm), work)
                for f in os.listdir(cold) if os.path.isdir(cold) else []:
                    if f.endswith(".tc"):
                        os.remove(os.path.join(cold, f))
                samples[r].append((cpu, wall))
        results[name] = {r: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
                         for r, v in samples.items()}
    shutil.rmtree(work, ignore_errors=True)
    print(f"{'workload':<18} {'native s':>9} {'qemu s':>9} {'off s':>8} {'cold s':>8} {'warm s':>8}"
          f" {'cold/qemu':>10} {'warm/native':>12} {'warm/qemu':>10}   (CPU; wall below)")
    for metric, label in ((0, "cpu"), (1, "wall")):
        for name, r in results.items():
            n, q, o, c, w = (r[k][metric] for k in RUNNERS)
            print(f"{name:<18} {n:>9.3f} {q:>9.3f} {o:>8.3f} {c:>8.3f} {w:>8.3f}"
                  f" {c / max(q, 1e-4):>10.2f} {w / max(n, 1e-4):>12.2f} {w / max(q, 1e-4):>10.2f}   {label}")


if __name__ == "__main__":
    main()

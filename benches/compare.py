#!/usr/bin/env python3
"""Whole-program benchmark: a64x against qemu-aarch64 and the native (host) build.

For every benchmark program of test-binaries/src (the sources with a `//@ bench` line) this
runs, round-robin so that machine noise spreads evenly over the three:

    native   test-binaries/out/native/<name>            (gcc -O2, x86-64)
    qemu     qemu-aarch64 test-binaries/out/<name>-O2
    a64x     target/release/a64x test-binaries/out/<name>-O2

and prints the median wall times, a64x/native and a64x/qemu, and the geometric means of the
ratios.

Then the same for unmodified Debian 12 programs (the arm64 builds from
scripts/fetch-debian-arm64.sh's sysroot, A64X_DEBIAN_ROOT, run with -L; native: the host's amd64
builds of the same versions): python3.11, perl, sqlite3, lua5.4, gawk running small CPU-bound
scripts, gzip, xz and bzip2 compressing a generated 8 MiB text, and x264 (tests/debian/x264enc.c
built for each side against its libx264: NEON translated against the host's x86 assembly),
encoding 40 frames (the two libraries make different streams: a64x's is checked against
qemu's). A row whose program is
missing on either side is left out with a message (on a Debian 12 host: apt-get install
lua5.4 gawk). --no-debian leaves them out; --svg FILE draws both tables as a bar chart. Before timing, each program runs once under all three and the outputs (stdout and exit
status) are compared; an a64x run that disagrees, fails or times out is reported and left out
of the timings and the means. This is a benchmark, not a test: it never fails on slowness.

With --profile-overhead two more runners, a64x --profile (sampling) and a64x --profile
--profile-counts (sampling and execution counters), reports thrown away, are timed in the same
rounds, and the table gets their cost relative to a64x.

With --confine-cost one more runner, a64x with A64X_NO_CONFINE=1 (guest accesses not masked into
the guest region), is timed in the same rounds, and the table gets what confinement costs: a64x's
time over the unconfined time, per program and as a geometric mean.

Usage: benches/compare.py [--runs N] [--quick] [--no-build] [--profile-overhead] [--confine-cost]
                          [--no-debian] [--svg FILE] [NAME...]
"""

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TB = os.path.join(ROOT, "test-binaries")
SYSROOT = os.environ.get("A64X_DEBIAN_ROOT") or "/var/cache/a64x/debian-arm64"


class Prog:
    """A benchmark row: `guest` (the AArch64 program and its arguments; run with -L `root` when
    that is set) against `native` (the host's program and the same arguments)."""

    def __init__(self, name, native, guest, root=None, group="own", oracle="native"):
        self.name, self.native, self.guest, self.root, self.group = name, native, guest, root, group
        # Whose output a64x's must equal: the native program's, or (where the two builds may
        # rightly differ, as x264's x86 and NEON code make different streams) qemu's.
        self.oracle = oracle

    def under(self, *emulator):
        """The command that runs the guest program under `emulator` (a64x or qemu and options)."""
        return list(emulator) + (["-L", self.root] if self.root else []) + self.guest


def bench_programs(quick):
    """A Prog for each `//@ bench` source; args from `//@ args:` only with --quick."""
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
        name = f[:-2]
        progs.append(Prog(name, [os.path.join("out", "native", name)] + args,
                          [os.path.join("out", name + "-O2")] + args))
    return progs


# The Debian rows' scripts: CPU-bound work of the kind each program is used for, a fraction of a
# second natively.
PYTHON = """
d = {}
for i in range(800000):
    k = str(i % 1009)
    d[k] = d.get(k, 0) + i * 3 % 7
words = sorted(d, key=lambda k: (d[k], k))
s = ",".join("%s=%.3f" % (k, d[k] / 7.0) for k in words[:50])
print(len(d), sum(d.values()), len(s), words[0], words[-1])
"""
PERL = r"""
my %h; my $s = "";
for my $i (1 .. 400000) { my $k = "k" . ($i % 997); $h{$k} += $i; $s .= chr(97 + $i % 26) if $i % 7 == 0 }
my $t = 0; $t += $h{$_} for sort keys %h;
my @m = ($s =~ /([aeiou][^aeiou]{2})/g);
printf "%d %d %d %s\n", $t, scalar(@m), length($s), join("", (sort @m)[0 .. 4]);
"""
SQL = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400000) "
       "SELECT count(*), sum(x * x % 1009), max(length(printf('%d-%x', x, x))), "
       "count(DISTINCT x % 4093) FROM c;")
LUA = """
local t, n = {}, 0
for i = 1, 4000000 do local k = i % 1009; t[k] = (t[k] or 0) + i * 3 % 7 end
local parts = {}
for k = 0, 1008 do parts[#parts + 1] = string.format("%d:%d", k, t[k]) end
local s = table.concat(parts, ",")
for w in s:gmatch("%d+:1%d") do n = n + 1 end
print(#s, n, t[0], t[1008])
"""
AWK = r"""BEGIN {
    for (i = 0; i < 400000; i++) { a[i % 1009] += i * 3 % 7; s = s substr("abcdefghij", i % 10 + 1, 1) }
    n = 0; for (k in a) n += a[k]
    m = gsub(/abc/, "x", s)
    printf "%d %d %d\n", n, m, length(s)
}"""


def make_text(path, size=8 << 20):
    """A deterministic text of `size` bytes for the compressors: numbered lines of words, varied
    enough that they have work to do."""
    words = ["translate", "block", "register", "guest", "host", "cache", "vector", "flags",
             "signal", "memory", "branch", "loop", "fault", "chain", "value", "write"]
    out, x, n = [], 12345, 0
    while n < size:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        line = "%d %s %s %x %s\n" % (n, words[x % 16], words[(x >> 8) % 16], x, words[(x >> 16) % 16])
        out.append(line)
        n += len(line)
    with open(path, "w", encoding="ascii") as f:
        f.write("".join(out)[:size])


def debian_programs(work):
    """The Debian rows whose programs exist on both sides (a message for each that does not)."""
    text = os.path.join(work, "text")
    make_text(text)
    rows = [
        ("python3.11", "usr/bin/python3.11", ["-S", "-c", PYTHON]),
        ("perl", "usr/bin/perl", ["-e", PERL]),
        ("sqlite3", "usr/bin/sqlite3", [":memory:", SQL]),
        ("lua5.4", "usr/bin/lua5.4", ["-e", LUA]),
        ("gawk", "usr/bin/gawk", [AWK]),
        ("gzip", "usr/bin/gzip", ["-c", "-6", text]),
        ("xz", "usr/bin/xz", ["-c", "-T1", "-0", text]),
        ("bzip2", "usr/bin/bzip2", ["-c", "-9", text]),
    ]
    progs = []
    for name, path, args in rows:
        guest, native = os.path.join(SYSROOT, path), os.path.join("/", path)
        if not os.path.exists(guest):
            print(f"compare.py: {name}: no {guest} (scripts/fetch-debian-arm64.sh makes it): left out",
                  file=sys.stderr)
        elif not os.path.exists(native):
            print(f"compare.py: {name}: no native {native} (apt-get install it): left out", file=sys.stderr)
        else:
            progs.append(Prog(name, [native] + args, [guest] + args, root=SYSROOT, group="debian"))
    x264 = x264_programs(work)
    if x264:
        progs.append(Prog("x264", [x264[0], "40"], [x264[1], "40"], root=SYSROOT, group="debian",
                          oracle="qemu"))
    return progs


def x264_programs(work):
    """tests/debian/x264enc.c built against libx264 twice: for the host (its amd64 library, whose
    hand-written code is x86 assembly) and for AArch64 (the sysroot's, with its NEON), or None
    with a message. The rows where translated NEON meets native SIMD."""
    src = os.path.join(ROOT, "tests", "debian", "x264enc.c")
    native, guest = os.path.join(work, "x264enc-native"), os.path.join(work, "x264enc-arm64")
    lib = os.path.join(SYSROOT, "usr/lib/aarch64-linux-gnu/libx264.so.164")
    if not os.path.exists("/usr/include/x264.h") or not os.path.exists(lib):
        print("compare.py: x264: needs the host's libx264-dev (apt-get install libx264-dev) and "
              f"{lib} (scripts/fetch-debian-arm64.sh): left out", file=sys.stderr)
        return None
    built = [subprocess.run(cmd, capture_output=True, check=False).returncode == 0 for cmd in (
        ["gcc", "-O2", "-o", native, src, "-lx264"],
        ["aarch64-linux-gnu-gcc", "-O2", "-o", guest, src, "-I" + os.path.join(SYSROOT, "usr/include"), lib],
    )]
    if not all(built):
        print("compare.py: x264: x264enc.c did not build: left out", file=sys.stderr)
        return None
    return native, guest


# The environment every run gets (native, qemu and a64x alike), as the tests give theirs: the
# caller's could change what a program does (NODE_EXTRA_CA_CERTS had Node parse a certificate
# bundle as it started, in this project's machine's login environment). a64x keeps its
# translation cache where it would for the caller.
RUN_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C",
    "HOME": "/nonexistent",
    "A64X_CACHE_DIR": os.environ.get("A64X_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "a64x"),
}


def run(cmd, timeout):
    """Runs cmd in test-binaries/; returns (seconds, stdout, returncode or 'timeout')."""
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=TB, env=RUN_ENV, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
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
    ap.add_argument("--no-debian", action="store_true", help="leave out the Debian programs")
    ap.add_argument("--svg", metavar="FILE", help="also draw the tables as a bar chart (SVG)")
    ap.add_argument("names", nargs="*", help="only these benchmarks (e.g. bench_sieve, perl)")
    opts = ap.parse_args()

    qemu = os.environ.get("A64X_TEST_QEMU", "qemu-aarch64")
    a64x = os.environ.get("A64X_BENCH_BIN", os.path.join(ROOT, "target", "release", "a64x"))
    if shutil.which(qemu) is None:
        sys.exit(f"compare.py: {qemu} not found; run scripts/test-all.sh (it installs qemu-user)")
    if not opts.no_build:
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
        subprocess.run([os.path.join(TB, "build.sh"), "--no-clang"], cwd=TB, check=True)

    work = tempfile.TemporaryDirectory(prefix="a64x-compare-")
    progs = bench_programs(opts.quick)
    if not opts.no_debian:
        progs += debian_programs(work.name)
    progs = [p for p in progs if not opts.names or p.name in opts.names]
    if not progs:
        sys.exit("compare.py: no benchmark programs selected")
    runners = {
        "native": lambda p: p.native,
        "qemu": lambda p: p.under(qemu),
        "a64x": lambda p: p.under(a64x),
    }
    if opts.confine_cost:
        runners["unconfined"] = lambda p: p.under("env", "A64X_NO_CONFINE=1", a64x)
    if opts.profile_overhead:
        runners["profiled"] = lambda p: p.under(a64x, "--profile=" + os.devnull)
        runners["counted"] = lambda p: p.under(a64x, "--profile=" + os.devnull, "--profile-counts")

    # correctness first
    active = {}  # name -> (Prog, runners whose output matches native)
    qemu_wrong = set()  # names where qemu ran to the end with a wrong output: timed, marked
    for prog in progs:
        name = prog.name
        results = {r: run(f(prog), opts.timeout) for r, f in runners.items()}
        ref = results[prog.oracle]
        ok = ["native"] if prog.oracle != "native" and results["native"][2] == 0 else []
        for r, (_, out, code) in results.items():
            if r == "native" and ok:
                continue
            if (out, code) == (ref[1], ref[2]):
                ok.append(r)
            else:
                print(f"compare.py: {name}: {r} disagrees with {prog.oracle} "
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
        active[name] = (prog, ok)

    times = {(n, r): [] for n in active for r in runners}
    for i in range(opts.runs):
        print(f"round {i + 1}/{opts.runs}", file=sys.stderr)
        for name, (prog, ok) in active.items():
            for r in ok:
                secs, _, code = run(runners[r](prog), opts.timeout)
                if code == 0:
                    times[(name, r)].append(secs)

    def med(n, r):
        t = times.get((n, r))
        return statistics.median(t) if t else None

    print(f"\n{opts.runs} runs each, medians of wall time"
          f"{' (quick: test iteration counts)' if opts.quick else ''}")
    chart = []
    for group, title in (("own", "test-binaries' benchmark programs (gcc -O2, static)"),
                         ("debian", "Debian 12 programs (arm64 with -L against the host's amd64 builds)")):
        names = [n for n, (p, _) in active.items() if p.group == group]
        if names:
            print(f"\n{title}\n")
            chart.append((title, table(names, med, opts, qemu_wrong)))
    if opts.svg:
        with open(opts.svg, "w", encoding="utf-8") as f:
            f.write(svg_chart(chart))
        print(f"\nchart: {opts.svg}")


def table(names, med, opts, qemu_wrong):
    """Print the table of `names`; returns (name, a64x/native, qemu/native) of the rows that ran."""
    prof, conf = opts.profile_overhead, opts.confine_cost
    hdr = f"{'program':<18} {'native s':>9} {'qemu s':>9} {'a64x s':>9} {'a64x/native':>12} {'a64x/qemu':>10}"
    if prof:
        hdr += f" {'--profile s':>11} {'profile cost':>12} {'+counts cost':>12}"
    if conf:
        hdr += f" {'unconfined s':>12} {'confine cost':>12}"
    print(hdr)
    print("-" * len(hdr))
    r_native, r_qemu, r_prof, r_count, r_conf = [], [], [], [], []
    rows = []
    for name in names:
        n, q, a = med(name, "native"), med(name, "qemu"), med(name, "a64x")
        fmt = lambda x: f"{x:9.3f}" if x is not None else f"{'-':>9}"
        if a is not None and n and q:
            r_native.append(a / n)
            r_qemu.append(a / q)
            rows.append((name, a / n, q / n))
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
          f"{extra}   ({len(r_native)} of {len(names)} programs)")
    if rows:
        rows.append(("geometric mean", geomean([r[1] for r in rows]), geomean([r[2] for r in rows])))
    return rows


def svg_chart(groups):
    """A horizontal bar chart, log scale: per program, a64x's and qemu's time over native's."""
    bar, gap, left, width = 11, 8, 150, 560
    top_ratio = max([r for _, rows in groups for row in rows for r in row[1:]] + [10])
    decades = math.ceil(math.log10(top_ratio))
    x = lambda r: left + width * math.log10(max(r, 1.0)) / decades
    height = 40 + sum(28 + len(rows) * (2 * bar + gap) for _, rows in groups) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{height}" '
           'font-family="sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="16" font-size="13">Time over native (log scale): '
           '<tspan fill="#2a6fb0">a64x</tspan>, <tspan fill="#c8692a">qemu-aarch64</tspan></text>']
    y = 30
    for title, rows in groups:
        out.append(f'<text x="4" y="{y + 14}" font-weight="bold">{title}</text>')
        y += 24
        y0 = y
        for name, a, q in rows:
            weight = ' font-weight="bold"' if name == "geometric mean" else ""
            out.append(f'<text x="{left - 6}" y="{y + bar + 3}" text-anchor="end"{weight}>{name}</text>')
            for r, colour in ((a, "#2a6fb0"), (q, "#c8692a")):
                out.append(f'<rect x="{left}" y="{y}" width="{x(r) - left:.1f}" height="{bar - 1}" fill="{colour}"/>')
                out.append(f'<text x="{x(r) + 3:.1f}" y="{y + bar - 2}" font-size="9">{r:.2f}</text>')
                y += bar
            y += gap
        for tick in [1, 1.5, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000]:
            if tick <= 10 ** decades:
                out.append(f'<line x1="{x(tick):.1f}" y1="{y0 - 4}" x2="{x(tick):.1f}" y2="{y - gap}" '
                           'stroke="#888" stroke-width="0.5" stroke-dasharray="2,2"/>')
                out.append(f'<text x="{x(tick):.1f}" y="{y + 4}" text-anchor="middle" font-size="9">{tick}x</text>')
        y += 14
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()

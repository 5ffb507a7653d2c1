//! JIT and managed runtimes, Go and Rust programs: LuaJIT (trace compiler and FFI), tcc -run (C
//! compiled into memory and run), SBCL (native compiler, threads, GC), PHP 8.2 with opcache's
//! tracing JIT, Node 18 (V8's tiers, WebAssembly, worker threads), PyPy (tracing JIT), Erlang/OTP
//! 25 (BEAM's JIT with its default dual-mapped W^X code memory, SMP schedulers, a module
//! compiled at run time, a process ring, ETS, a port), Mono 6.8 (its C# compiler, then the program
//! it built: the JIT, the thread pool, a null dereference caught as an exception), x264 (a
//! program built against the sysroot's libx264 encoding frames with its hand-written NEON), Ruby 3.1 and Tcl 8.6 (interpreters),
//! zstd (two threads) and lz4, gojq, shfmt and age (Go), ripgrep and fd (Rust), Valgrind's memcheck
//! (VEX, a JIT, checking sort); with `A64X_DEBIAN_LONG=1`, OpenJDK 17 (javac and HotSpot's C1/C2, threads). Each runs
//! under a64x and qemu-aarch64 and must give the same output; the wall times of
//! both are printed as a table (never asserted: speed is the benchmarks' business). With
//! `A64X_RUNTIMES_RUNS=N`, each program that matched then runs N more times in turn under qemu,
//! a64x with an empty translation cache (cold) and a64x with the cache a first run filled
//! (warm), and the medians of their wall times are printed: single runs of 50 ms programs swing
//! by a fifth from one run to the next.
//!
//! Debian's qemu-aarch64 7.2 dies of SIGSEGV in beam.smp before Erlang's first line (with every
//! emulator flag tried): Erlang is compared with Debian 13's qemu-aarch64 10
//! (`scripts/fetch-qemu-trixie.sh`, one static binary from trixie's qemu-user package, cached
//! outside the repository), and its output checked against the known one; where that qemu cannot
//! be fetched, against the known output under a64x alone.

use super::{case, compare_both, env, expect, finish, run, selected, with_binfmt, with_env, Case};
use std::path::Path;

/// Traces (numeric loops, table fills, string building), a side exit per iteration, closures,
/// and FFI calls into libc.
const LUAJIT: &str = r#"
local ffi = require("ffi")
ffi.cdef[[ size_t strlen(const char *s); int snprintf(char *b, size_t n, const char *f, ...); ]]
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local t = {} for i = 1, 200000 do t[i] = (i * 7919) % 100003 end
local s, odd = 0, 0
for i = 1, #t do s = s + t[i] * (i % 7); if t[i] % 2 == 1 then odd = odd + 1 end end
local parts = {} for i = 1, 2000 do parts[#parts + 1] = string.format("%d:%x", i, i * i) end
local adders = {} for k = 1, 10 do adders[k] = function(x) return x * k + 0.5 end end
local f = 0 for i = 1, 100000 do f = f + adders[i % 10 + 1](i) / 3 end
local buf = ffi.new("char[64]")
ffi.C.snprintf(buf, 64, "%d-%s-%.3f", ffi.new("int", 42), "ffi", ffi.new("double", 2.5))
print(fib(27), s, odd, #table.concat(parts, ","), string.format("%.6f", f), ffi.string(buf),
      tonumber(ffi.C.strlen(buf)), jit.status())
"#;

/// What tcc compiles into memory and runs: qsort with a callback, doubles, printf.
const TCC_PROGRAM: &str = r#"#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(int argc, char **argv) {
    int n = 100000, *v = malloc(n * sizeof *v);
    unsigned x = 12345;
    for (int i = 0; i < n; i++) { x = x * 1103515245u + 12345u; v[i] = x >> 8; }
    qsort(v, n, sizeof *v, cmp);
    long long s = 0;
    for (int i = 0; i < n; i += 1000) s += v[i];
    double d = 0;
    for (int i = 1; i < 100000; i++) d += 1.0 / ((double)i * i);
    printf("%lld %.12f %d %s\n", s, d, argc, argv[argc - 1]);
    return 0;
}
"#;

/// Native compilation of a function at run time, bignums, floats, four threads, a full GC.
const SBCL: &str = r#"(progn
  (defun fib (n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
  (compile 'fib)
  (let ((threads (loop for k from 1 to 4
                       collect (let ((k k)) (sb-thread:make-thread
                                              (lambda () (loop for i below 200000 sum (mod (* i k) 7))))))))
    (print (list (fib 25) (expt 3 100) (reduce #'+ (loop for i below 100000 collect (* i i)))
                 (format nil "~,6F" (sqrt 2d0)) (length (make-list 1000000))
                 (mapcar #'sb-thread:join-thread threads))))
  (sb-ext:gc :full t)
  (terpri))"#;

/// Hot loops for the tracing JIT, sorting, hashing, and a check that the JIT is on and used.
const PHP: &str = r#"
function fib($n) { return $n < 2 ? $n : fib($n - 1) + fib($n - 2); }
$a = []; for ($i = 0; $i < 200000; $i++) { $a[] = ($i * 7919) % 100003; } sort($a);
$s = 0; foreach ($a as $i => $v) { $s += $v * ($i % 7); }
$f = 0.0; for ($i = 1; $i < 100000; $i++) { $f += 1.0 / ($i * $i); }
$st = opcache_get_status(false)["jit"];
echo fib(25), " ", $s, " ", md5(implode(",", array_slice($a, 0, 1000))), " ", sprintf("%.12f", $f),
     " jit=", json_encode($st["on"]), " used=", json_encode($st["buffer_free"] < $st["buffer_size"]), "\n";
"#;

/// V8: the interpreter, then Sparkplug/TurboFan for the hot functions; WebAssembly (Liftoff,
/// then TurboFan) and worker threads (isolates of their own) in the same run.
const NODE: &str = r#"const { Worker, isMainThread, parentPort, workerData } = require("worker_threads");
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
if (!isMainThread) {
  let s = 0;
  for (let i = 0; i < 2e6; i++) s = (s + i * workerData) % 1000003;
  parentPort.postMessage(s);
} else {
  const a = [];
  for (let i = 0; i < 200000; i++) a.push((i * 7919) % 100003);
  a.sort((x, y) => x - y);
  let s = 0;
  a.forEach((v, i) => { s += v * (i % 7); });
  const m = new Map();
  for (let i = 0; i < 50000; i++) m.set("k" + (i % 977), i);
  const f64 = new Float64Array(1000).map((_, i) => Math.sin(i) * 1e3);
  console.log(fib(27), s, m.size, JSON.stringify({ x: [1.5, "y"], z: null }), f64.reduce((p, q) => p + q).toFixed(6),
    Math.floor(Math.sqrt(2) * 1e9), (1e21).toString(36).slice(0, 8), (-2.5e9 | 0), 2 ** 53 + 1, BigInt(3) ** 50n);
  // (func (export "sum") (param i32) (result i64): the sum of i * i for i < n, in i64.
  const wasm = new Uint8Array([0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,126,3,2,1,0,7,7,1,3,115,117,109,0,0,
    10,40,1,38,1,1,126,3,64,32,0,69,4,64,32,1,15,11,32,0,65,1,107,33,0,32,1,32,0,172,32,0,172,126,124,33,1,12,0,11,0,11]);
  const sum = new WebAssembly.Instance(new WebAssembly.Module(wasm)).exports.sum;
  let w = 0n;
  for (let k = 0; k < 200; k++) w += sum(10000);
  console.log("wasm", w.toString());
  const jobs = [3, 5, 7].map((k) => new Promise((res, rej) => {
    const t = new Worker(__filename, { workerData: k });
    t.on("message", res); t.on("error", rej);
  }));
  Promise.all(jobs).then((r) => console.log("workers", r.join(" ")));
}
"#;

/// PyPy's tracing JIT on loops, generators, dicts and math.
const PYPY: &str = r#"
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
a = sorted((i * 7919) % 100003 for i in range(200000))
s = sum(v * (i % 7) for i, v in enumerate(a))
d = {}
for i in range(100000): d["k%d" % (i % 977)] = i
import math, sys, hashlib
print(fib(25), s, len(d), "%.12f" % math.fsum(1.0 / (k * k) for k in range(1, 100000)),
      hashlib.sha256(str(a[:1000]).encode()).hexdigest()[:16], sys.implementation.name)
"#;

/// HotSpot (long mode): the source launcher compiles this with javac in-process, then C1 and
/// C2 compile the hot methods; a parallel stream (the fork-join pool) and four threads.
const JAVA: &str = r#"import java.util.*;
import java.util.stream.*;
public class Hello {
    static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    public static void main(String[] a) throws Exception {
        int[] v = new int[200000];
        for (int i = 0; i < v.length; i++) v[i] = (i * 7919) % 100003;
        Arrays.sort(v);
        long s = 0; for (int i = 0; i < v.length; i++) s += (long) v[i] * (i % 7);
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < 50000; i++) m.put("k" + (i % 977), i);
        long par = IntStream.range(0, 2_000_000).parallel().mapToLong(i -> (long) i * i % 1000003).sum();
        Thread[] ts = new Thread[4]; long[] r = new long[4];
        for (int k = 0; k < 4; k++) { final int kk = k; ts[k] = new Thread(() -> { long x = 0; for (int i = 0; i < 3_000_000; i++) x = (x + (long) i * (kk + 1)) % 1000003; r[kk] = x; }); ts[k].start(); }
        for (Thread t : ts) t.join();
        System.out.println(fib(30) + " " + s + " " + m.size() + " " + par + " " + Arrays.toString(r) + " " + String.format("%.10f", Math.sqrt(2)));
    }
}
"#;

/// Mono's JIT (mini) runs this after its C# compiler (mcs, itself a C# program the JIT compiles)
/// has built it in the guest: generics and a dictionary, recursion, LINQ, four tasks on the
/// thread pool, doubles formatted and parsed, and a NullReferenceException, which Mono raises
/// from the SIGSEGV of a load through null (its signal handler rewrites the context).
const CSHARP: &str = r#"using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
class P {
    static long Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);
    static void Main() {
        var d = new Dictionary<string, int>();
        for (int i = 0; i < 200000; i++) { var k = "k" + (i % 997); d[k] = d.TryGetValue(k, out var v) ? v + i % 7 : 1; }
        var tasks = Enumerable.Range(0, 4).Select(j => Task.Run(() => Enumerable.Range(0, 100000).Sum(x => (long)x * j))).ToArray();
        Task.WaitAll(tasks);
        Console.WriteLine(d.Values.Sum() + " " + Fib(27) + " " + string.Join(",", tasks.Select(t => t.Result)));
        Console.WriteLine(Math.Sqrt(2).ToString("F10") + " " + (1.0 / 3).ToString("R") + " " + double.Parse("2.5e-3"));
        try { object o = null; o.ToString(); } catch (NullReferenceException) { Console.WriteLine("NullReferenceException"); }
    }
}
"#;

/// Ruby 3.1's interpreter: recursion, blocks, a sort, hashes, a fiber, four threads, json,
/// digest, bignums.
const RUBY: &str = r#"def fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
a = (0...200_000).map { |i| (i * 7919) % 100_003 }.sort
s = a.each_with_index.sum { |v, i| v * (i % 7) }
h = Hash.new(0)
"the quick brown fox jumps over the lazy dog the end".split.each { |w| h[w] += 1 }
f = Fiber.new { 3.times { |i| Fiber.yield i * i }; :done }
fibers = 4.times.map { f.resume }
threads = 4.times.map { |k| Thread.new { (1..100_000).reduce(0) { |acc, i| (acc + i * (k + 1)) % 1_000_003 } } }
require "json"
require "digest"
puts [fib(24), s, h.sort_by { |k, v| [-v, k] }.first(3).inspect, fibers.inspect, threads.map(&:value).inspect,
      JSON.generate({ "x" => [1.5, nil, "y"] }), Digest::SHA256.hexdigest(a.first(100).join(","))[0, 16],
      format("%.10f", Math.sqrt(2)), (2**100).to_s, RUBY_VERSION].join(" ")
"#;

/// Tcl 8.6's bytecode compiler: procs, lists, lsort, arrays, string map, regsub, bignums.
const TCL: &str = r#"proc fib {n} { if {$n < 2} { return $n }; expr {[fib [expr {$n - 1}]] + [fib [expr {$n - 2}]]} }
set l {}
for {set i 0} {$i < 50000} {incr i} { lappend l [expr {($i * 7919) % 100003}] }
set l [lsort -integer $l]
set s 0
set i 0
foreach v $l { incr s [expr {$v * ($i % 7)}]; incr i }
array set h {}
foreach w {the quick brown fox jumps over the lazy dog the end} { incr h($w) }
set str [string map {a A e E} "a tcl string here"]
puts "[fib 20] $s $h(the) $str [format %.10f [expr {sqrt(2)}]] [expr {2**100}] [regsub -all {[0-9]+} abc123def45 N] [info patchlevel]"
"#;

/// An Erlang module compiled and loaded at run time: N processes in a ring pass a counter
/// around M times.
const RING_ERL: &str = r#"-module(ring).
-export([run/2]).
run(N, M) ->
    Self = self(),
    Last = spawn(fun() -> last(Self) end),
    First = lists:foldl(fun(_, Next) -> spawn(fun() -> relay(Next) end) end, Last, lists:seq(2, N)),
    Last ! {first, First},
    First ! {token, 0, M * N},
    receive {done, Hops} -> Hops end.
relay(Next) ->
    receive
        {token, H, 0} -> Next ! {token, H, 0};
        {token, H, K} -> Next ! {token, H + 1, K - 1}, relay(Next)
    end.
last(Report) -> receive {first, First} -> last(Report, First) end.
last(Report, First) ->
    receive
        {token, H, 0} -> Report ! {done, H};
        {token, H, K} -> First ! {token, H + 1, K - 1}, last(Report, First)
    end.
"#;

/// Compile and load ring.erl, run the ring, fill an ETS table from four processes, run a
/// shell command through a port (erl_child_setup, then dash).
const ERLANG: &str = r#"{ok, M, Bin} = compile:file("ring.erl", [binary]),
{module, M} = code:load_binary(M, "ring.erl", Bin),
F = fun Fib(N) when N < 2 -> N; Fib(N) -> Fib(N - 1) + Fib(N - 2) end,
T = ets:new(t, [set, public]),
Ws = [spawn_monitor(fun() -> [ets:insert(T, {I, I * W}) || I <- lists:seq(W, 20000, 4)] end) || W <- lists:seq(1, 4)],
[receive {'DOWN', R, process, P, normal} -> ok end || {P, R} <- Ws],
io:format("fib ~p~nring ~p~nets ~p~nport ~p~nflavor ~p~nsqrt ~s~n",
          [F(24), ring:run(500, 200), ets:info(T, size), os:cmd("echo port; echo $((6*7))"),
           erlang:system_info(emu_flavor), float_to_list(math:sqrt(2), [{decimals, 10}])]),
halt()."#;

/// What ERLANG prints: fib(24); 500 processes times 200 rounds; keys 1..20000 from four
/// interleaved writers; the port's output; the JIT flavour; sqrt(2) to ten places.
const ERLANG_OUTPUT: &str = "fib 46368\nring 100000\nets 20000\nport \"port\\n42\\n\"\nflavor jit\nsqrt 1.4142135624\n";

/// An age identity and a message encrypted to it (made once with age 1.1.1).
const AGE_KEY: &str = "AGE-SECRET-KEY-1ZPCYL6J85P536XJY9HYGP38DAAJQXPNNZC63D7N8UN6CJ339SH7QZV2EXR\n";
const AGE_MESSAGE: &str = "-----BEGIN AGE ENCRYPTED FILE-----
YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB1WGlNVW5Ta2NDd3hGYVhl
ZkdSbzgycCtXTWc5WklmcG5uWDY5MDBsUFNNCjkxZUFxVlJPeWhGbTFnK1lLcnZ5
Tjd6ZGh3aTVXN2pPTitiUW0xeVZtL2MKLS0tIG1TQ2JrWHM5dlNrcGh3d0N6S1dw
aVBEaXFuV1hYa3dvU0grdk5rSXh0QjQK2awYRRaPw2SPacrZWoVJRGNuXL6tP+M5
HSf8z7ijjJ1G8V+puT1IqV56sl37ylqe9gA3
-----END AGE ENCRYPTED FILE-----
";

/// Writes the runtimes' input files into `dir` (anew).
fn make_inputs(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    for d in ["tree/a/b", "tree/c"] {
        std::fs::create_dir_all(dir.join(d)).expect("make the input tree");
    }
    let lines: String = (1..=20000)
        .map(|i| format!("line {i} value {}\n", (i * 7919) % 100003))
        .collect();
    let files = [
        ("tccprog.c", TCC_PROGRAM.to_string()),
        ("node.js", NODE.to_string()),
        ("ring.erl", RING_ERL.to_string()),
        ("Hello.java", JAVA.to_string()),
        ("t.rb", RUBY.to_string()),
        ("t.tcl", TCL.to_string()),
        ("t.cs", CSHARP.to_string()),
        ("key.txt", AGE_KEY.to_string()),
        ("message.age", AGE_MESSAGE.to_string()),
        ("big.txt", lines),
        (
            "messy.sh",
            "if [ -n \"$x\" ];then\necho   \"a\"   ;fi\nfor i in 1 2; do echo $i; done\n".to_string(),
        ),
        (
            "d.json",
            r#"{"items":[{"n":1,"name":"a"},{"n":3,"name":"b"},{"n":2,"name":"c"}]}"#.to_string(),
        ),
        ("tree/a/x.rs", String::new()),
        ("tree/a/b/y.rs", "fn main() {}\n".to_string()),
        ("tree/c/z.txt", "z\n".to_string()),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write a runtime input");
    }
}

/// `c` run in the runtimes' input directory.
fn in_dir(mut c: Case) -> Case {
    c.dir = "runtimes".to_string();
    c
}

/// The cases compared with qemu.
fn compared(sysroot: &Path) -> Vec<Case> {
    let tcc_lib = sysroot.join("usr/lib/aarch64-linux-gnu/tcc");
    let tcc_b = format!("-B{}", tcc_lib.display());
    let php_jit = [
        "-n",
        "-d",
        "zend_extension=opcache",
        "-d",
        "opcache.enable_cli=1",
        "-d",
        "opcache.jit=tracing",
        "-d",
        "opcache.jit_buffer_size=32M",
        "-r",
        PHP,
    ];
    let sbcl = [
        "--noinform",
        "--non-interactive",
        "--no-sysinit",
        "--no-userinit",
        "--eval",
        SBCL,
    ];
    let valgrind = format!(
        "VALGRIND_LIB={root}/usr/libexec/valgrind {root}/usr/bin/valgrind.bin --leak-check=full \
         /usr/bin/sort -r messy.sh 2>&1 | {root}/bin/busybox sed -e 's/^==[0-9]*==//'",
        root = sysroot.display()
    );
    // Mono finds its configuration beside its binary's prefix (SYSROOT/usr/etc under -L, not
    // /etc): given its place. The compiler's output is written by each runner in turn.
    let mono = format!(
        "{root}/usr/bin/mono {root}/usr/lib/mono/4.5/mcs.exe -out:t.exe t.cs && {root}/usr/bin/mono t.exe",
        root = sysroot.display()
    );
    let mono_config = format!("MONO_CONFIG={}/etc/mono/config", sysroot.display());
    let mut cases = vec![
        case("luajit", "usr/bin/luajit", &["-e", LUAJIT]),
        case("tcc-run", "usr/bin/tcc", &[&tcc_b, "-run", "tccprog.c", "argument"]),
        case("sbcl", "usr/bin/sbcl", &sbcl),
        case("php-jit", "usr/bin/php8.2", &php_jit),
        case("node", "usr/bin/node", &["node.js"]),
        case("pypy3", "usr/bin/pypy3", &["-c", PYPY]),
        case(
            "gojq",
            "usr/bin/gojq",
            &["-c", ".items | sort_by(.n) | map(.name), (map(.n) | add)", "d.json"],
        ),
        case("shfmt", "usr/bin/shfmt", &["-i", "4", "messy.sh"]),
        case("age-keygen", "usr/bin/age-keygen", &["-y", "key.txt"]),
        case("age-decrypt", "usr/bin/age", &["-d", "-i", "key.txt", "message.age"]),
        // mcs then the program it built: the guest's shell execs both.
        with_env(with_binfmt(case("mono", "usr/bin/dash", &["-c", &mono])), &mono_config),
        // x264's hand-written NEON (transposes, rounding and saturating narrows, sums across
        // lanes), in a program built at the start: run by the guest's shell, which qemu needs
        // binfmt_misc for.
        with_binfmt(case("x264", "usr/bin/dash", &["-c", "./x264enc 30"])),
        case("ruby", "usr/bin/ruby3.1", &["t.rb"]),
        case("tcl", "usr/bin/tclsh8.6", &["t.tcl"]),
        case("zstd-T2", "usr/bin/zstd", &["-q", "-19", "-T2", "-c", "big.txt"]),
        case("lz4", "usr/bin/lz4", &["-q", "-9", "-c", "big.txt"]),
        case(
            "ripgrep",
            "usr/bin/rg",
            &["-n", "--sort", "path", "value 9[0-9]*7$", "big.txt"],
        ),
        case(
            "ripgrep-count",
            "usr/bin/rg",
            &["-c", "-j", "2", "line 1[0-9]{3} ", "big.txt"],
        ),
        // Valgrind's memcheck: VEX translates the program it checks (a JIT inside the guest),
        // and the launcher execs the tool, which qemu runs through binfmt_misc (given the
        // host's path: qemu does not look exec paths up in the sysroot). Its lines start with
        // the process's pid: cut off.
        with_binfmt(case("valgrind", "usr/bin/dash", &["-c", &valgrind])),
        case(
            "fd",
            "usr/bin/fdfind",
            // One match: two walker threads print several in either order.
            &["-e", "rs", "--base-directory", "tree", "-j", "2", "^y"],
        ),
    ];
    if std::env::var("A64X_DEBIAN_LONG").is_ok_and(|v| v == "1") {
        // Fetched by scripts/fetch-debian-arm64.sh in the long mode only (115 MB).
        cases.push(case(
            "java",
            "usr/lib/jvm/java-17-openjdk-arm64/bin/java",
            &["Hello.java"],
        ));
    }
    cases.into_iter().map(in_dir).collect()
}

#[test]
fn jit_and_managed_runtimes_match_qemu() {
    let e = env();
    common_setup(e);
    let mut failures = Vec::new();
    let mut times = Vec::new();
    let mut matched = Vec::new();
    let cases = compared(&e.sysroot);
    for c in cases.iter().filter(|c| selected(&c.name)) {
        match compare_both(c) {
            Ok((q, a)) => {
                times.push((c.name.clone(), q.elapsed, a.elapsed));
                matched.push(c);
            }
            Err(err) => failures.push(err),
        }
    }
    let passed = times.len();
    let erl = e.sysroot.join("usr/lib/erlang");
    let bin = erl.join("erts-13.1.5/bin");
    let mut erlang = [
        format!("ROOTDIR={}", erl.display()),
        format!("BINDIR={}", bin.display()),
        "EMU=beam".to_string(),
        "PROGNAME=erl".to_string(),
    ]
    .iter()
    .fold(
        in_dir(case(
            "erlang",
            "usr/lib/erlang/erts-13.1.5/bin/erlexec",
            &["-noshell", "-eval", ERLANG],
        )),
        |c, v| with_env(c, v),
    );
    // Compared with qemu 10 where there is one (in the binfmt_misc namespace: erlexec execs
    // beam.smp, which execs erl_child_setup), its output checked against the known one too.
    let newer = newer_qemu();
    if newer.is_some() {
        erlang = with_binfmt(erlang);
        erlang.qemu = newer.clone();
    }
    let mut erlang_ok = 0;
    if selected(&erlang.name) {
        let t = std::time::Instant::now();
        let result = match newer {
            Some(_) => compare_both(&erlang).and_then(|(q, a)| {
                (a.stdout == ERLANG_OUTPUT.as_bytes())
                    .then(|| times.push((format!("{} (qemu 10)", erlang.name), q.elapsed, a.elapsed)))
                    .ok_or_else(|| format!("erlang: not the known output:\n{ERLANG_OUTPUT}"))
            }),
            None => expect(&erlang, ERLANG_OUTPUT).map(|()| {
                eprintln!(
                    "time erlang: a64x {:.2} s (qemu-aarch64 7.2 crashes; no newer qemu: \
                     scripts/fetch-qemu-trixie.sh failed)",
                    t.elapsed().as_secs_f64()
                )
            }),
        };
        match result {
            Ok(()) => erlang_ok = 1,
            Err(err) => failures.push(err),
        }
    }
    eprintln!("runtime         qemu s   a64x s   qemu/a64x");
    for (name, q, a) in &times {
        eprintln!(
            "{name:<15} {:>6.2}   {:>6.2}   {:>6.2}",
            q.as_secs_f64(),
            a.as_secs_f64(),
            q.as_secs_f64() / a.as_secs_f64().max(1e-3)
        );
    }
    if erlang_ok == 1 && newer.is_some() {
        matched.push(&erlang);
    }
    if let Some(rounds) = timed_rounds() {
        medians(&matched, rounds, &e.work.join("runtimes-caches"));
    }
    finish("JIT and managed runtimes", passed + erlang_ok, failures);
}

/// `A64X_RUNTIMES_RUNS`, if it asks for timed rounds.
fn timed_rounds() -> Option<usize> {
    std::env::var("A64X_RUNTIMES_RUNS")
        .ok()?
        .parse()
        .ok()
        .filter(|&n| n > 0)
}

/// Run each case `rounds` times in turn under qemu, a64x cold (a new cache directory in `dir`
/// each time) and a64x warm (a directory its first run filled), and print the medians of their
/// wall times.
fn medians(cases: &[&Case], rounds: usize, dir: &Path) {
    let a64x_in = |cache: &Path| {
        let (bin, mut args) = crate::common::a64x_command();
        args.push(format!("--cache-dir={}", cache.display()).into());
        (bin, args)
    };
    let secs = |r: crate::common::RunResult| r.elapsed.as_secs_f64();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    eprintln!(
        "runtime         qemu s   cold s   warm s   qemu/cold   qemu/warm   (medians of {rounds} interleaved runs)"
    );
    for c in cases {
        let (warm_dir, cold_dir) = (
            dir.join(format!("{}-warm", c.name)),
            dir.join(format!("{}-cold", c.name)),
        );
        let _ = std::fs::remove_dir_all(&warm_dir);
        run(a64x_in(&warm_dir), c, false);
        let (mut q, mut cold, mut warm) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            q.push(secs(run((super::qemu_of(c), Vec::new()), c, true)));
            let _ = std::fs::remove_dir_all(&cold_dir);
            cold.push(secs(run(a64x_in(&cold_dir), c, false)));
            warm.push(secs(run(a64x_in(&warm_dir), c, false)));
        }
        let (q, cold, warm) = (median(q), median(cold), median(warm));
        eprintln!(
            "{:<15} {q:>6.2}   {cold:>6.2}   {warm:>6.2}   {:>9.2}   {:>9.2}",
            c.name,
            q / cold.max(1e-3),
            q / warm.max(1e-3)
        );
    }
}

/// The input directory, made once per test process.
fn common_setup(e: &super::Env) {
    static DONE: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    DONE.get_or_init(|| {
        let dir = e.work.join("runtimes");
        make_inputs(&dir);
        build_x264enc(&e.sysroot, &dir);
    });
}

/// Builds `x264enc.c` into `dir` with the host's cross compiler, against the sysroot's x264
/// header and library (named by its path: the sysroot's libc.so is a linker script with
/// absolute paths, so the cross compiler keeps its own glibc, the same version).
fn build_x264enc(sysroot: &Path, dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/debian/x264enc.c");
    let out = std::process::Command::new("aarch64-linux-gnu-gcc")
        .args(["-O2", "-o"])
        .arg(dir.join("x264enc"))
        .arg(&src)
        .arg(format!("-I{}", sysroot.join("usr/include").display()))
        .arg(sysroot.join("usr/lib/aarch64-linux-gnu/libx264.so.164"))
        .output()
        .expect("run aarch64-linux-gnu-gcc (scripts/test-all.sh installs gcc-aarch64-linux-gnu)");
    assert!(
        out.status.success(),
        "building x264enc.c: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Debian 13's qemu-aarch64 (`scripts/fetch-qemu-trixie.sh`, once per test process), or None
/// with a note when it cannot be fetched (no route to the mirror).
fn newer_qemu() -> Option<std::path::PathBuf> {
    static QEMU: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    QEMU.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fetch-qemu-trixie.sh");
        match std::process::Command::new("bash").arg(&script).output() {
            Ok(o) if o.status.success() => {
                let out = String::from_utf8_lossy(&o.stdout);
                out.lines().last().map(|l| std::path::PathBuf::from(l.trim()))
            }
            o => {
                eprintln!("note: scripts/fetch-qemu-trixie.sh failed, Erlang not compared with qemu: {o:?}");
                None
            }
        }
    })
    .clone()
}

//! bash, perl and python3.11 (with its whole standard library) running scripts that fork, exec,
//! pipe, use threads and signals, GNU make -j running shell jobs, gcc-12 and make -j2 building a
//! C program, and GNU Guile's JIT: a64x against qemu-aarch64, both in the binfmt_misc namespace
//! (see `binfmt_namespace`), since the scripts start AArch64 programs (`$BASH -c`,
//! `sys.executable`).

use super::{case, compare_all, env, with_binfmt, with_env};

/// Pipes, subshells, loops, functions, arithmetic, here-documents, `$(...)`, traps, background
/// jobs and `wait`, coprocesses, process substitution, and a nested bash.
const BASH: &str = r##"
set -u
f() { local n=$1; (( n <= 1 )) && { echo 1; return; }; echo $(( n * $(f $((n - 1))) )); }
echo "fact=$(f 20)"
declare -A h=([one]=1 [two]=2 [three]=3 [four]=4)
keys=("${!h[@]}"); IFS=$'\n' sorted=($(for k in "${keys[@]}"; do echo "$k"; done | { mapfile -t a; for ((i = 0; i < ${#a[@]}; i++)); do for ((j = i + 1; j < ${#a[@]}; j++)); do [[ ${a[j]} < ${a[i]} ]] && { t=${a[i]}; a[i]=${a[j]}; a[j]=$t; }; done; done; printf '%s\n' "${a[@]}"; })); unset IFS
for k in "${sorted[@]}"; do printf '%s=%d ' "$k" "${h[$k]}"; done; echo
s=0; for ((i = 1; i <= 2000; i++)); do (( s += i * i % 7 )); done; echo "s=$s"
echo $(( 2 ** 62 )) $(( -17 / 5 )) $(( -17 % 5 )) $(( 0x7f & ~3 )) $(( 5 > 3 ? 10 : 20 )) $(( 9223372036854775807 + 1 ))
v="Hello, World"; echo "${v^^} ${v,,} ${v:7} ${v/World/Bash} ${#v} ${v%%,*}"
if [[ "key=value42" =~ ^([a-z]+)=([a-z]+)([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"; fi
printf -v padded '%08.3f|%-5s|%x' 3.14159 ab 255; echo "$padded"
echo {1..5} {a..e} {10..1..3}
read -r -a arr <<< "x y z"; echo "${#arr[@]} ${arr[2]}"
while IFS=: read -r a b; do echo "$b:$a"; done <<'END'
one:1
two:2
END
cat_count=0; while read -r line; do (( cat_count++ )) || true; done < words.txt; echo "lines=$cat_count"
out=$( { echo a; echo b >&2; } 2>&1 ); echo "captured: ${out//$'\n'/,}"
( exit 3 ); echo "subshell rc=$?"
x=outer; ( x=inner; echo "in $x" ); echo "still $x"
echo one two three | { read -r a b c; echo "$c $b $a"; }
set -o pipefail; false | true; echo "pipefail rc=$?"; set +o pipefail
trap 'echo "got USR1"' USR1; kill -USR1 $$; trap - USR1
for i in 1 2 3; do ( exit $i ) & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; echo "job rc=$?"; done
{ echo bg1; } & wait $!; echo "waited $?"
sum_sq() { local t=0; for x in "$@"; do (( t += x * x )); done; echo $t; }
echo "sumsq=$(sum_sq 1 2 3 4 5)"
exec 3> out.txt; echo "to fd 3" >&3; exec 3>&-; while read -r l; do echo "file: $l"; done < out.txt
coproc CP { read -r q; echo "coproc got $q"; }; echo ping >&"${CP[1]}"; read -r ans <&"${CP[0]}"; echo "$ans"; wait
res=$("$BASH" -c 'echo nested $((6 * 7)); exit 5'); echo "$res rc=$?"
trap 'echo "ERR trap at $LINENO"' ERR; false; trap - ERR
while read -r l; do echo "procsub: $l"; done < <(printf 'p\nq\n')
trap 'echo "exit trap rc=$?"' EXIT
exit 9
"##;

/// Regexes, hashes, sprintf, sort, pack/unpack, `local $/`, fork+wait, a pipe from a child,
/// alarm, XS modules (List::Util, POSIX, Digest::MD5, Storable, Data::Dumper).
const PERL: &str = r##"
use strict; use warnings;
use List::Util qw(sum max min first reduce);
use POSIX qw(floor ceil fmod strftime INT_MAX);
use Data::Dumper; $Data::Dumper::Sortkeys = 1; $Data::Dumper::Indent = 1;
use Digest::MD5 qw(md5_hex); use MIME::Base64; use Storable qw(dclone);
my %h; $h{$_ % 7} += $_ for 1 .. 1000;
print join(",", map { "$_=$h{$_}" } sort { $h{$b} <=> $h{$a} || $a <=> $b } keys %h), "\n";
my $s = "The year 1999 and 2024, then 31337 at 12:34:56";
my @n = $s =~ /(\d+)/g; print "@n\n";
(my $t = $s) =~ s/(\d+)/<@{[$1 * 2]}>/g; print "$t\n";
my ($hh, $mm, $ss) = $s =~ /(\d\d):(\d\d):(\d\d)/; print $hh * 3600 + $mm * 60 + $ss, "\n";
print join("|", split /\s*,\s*|\s+and\s+/, "a , b and c,d"), "\n";
my %count; $count{lc $_}++ for "the The THE fox Fox dog" =~ /\w+/g;
print join(" ", map { "$_:$count{$_}" } sort keys %count), "\n";
printf "%05.2f|%-6s|%x|%o|%e|%.15g|%s\n", 3.14159, "ab", 255, 8, 12345.678, 1 / 3, 2**64;
my @p = unpack("N n C a3 q< d>", pack("N n C a3 q< d>", 0xdeadbeef, 513, 7, "xyz", -5, 2.5)); print "@p\n";
print unpack("H*", pack("w", 300)), " ", join(",", unpack("(A2)*", "aabbcc")), " ", unpack("%32C*", "abc"), "\n";
open(my $fh, '<', 'words.txt') or die "open: $!";
{ local $/; my $all = <$fh>; print length($all), " ", scalar(() = $all =~ /the/gi), "\n"; }
close $fh;
{ local $/ = "fox"; open(my $g, '<', 'words.txt') or die; my @chunks = <$g>; print scalar(@chunks), "\n"; }
my $pid = fork() // die "fork: $!";
if ($pid == 0) { exit 7 }
waitpid($pid, 0); print "child exit ", $? >> 8, "\n";
pipe(my $r, my $w) or die;
my $kid = fork();
if (!$kid) { close $r; print $w "line $_ from child\n" for 1 .. 3; close $w; exit 0 }
close $w; my @got = <$r>; wait; print scalar(@got), " ", $got[2];
print sum(1 .. 100), " ", max(3, 9, 2), " ", min(4, -1), " ", (first { $_ > 3 } 1 .. 10), " ", (reduce { $a * $b } 1 .. 20), "\n";
print floor(-2.5), " ", ceil(-2.5), " ", fmod(10, 3), " ", strftime("%Y-%m-%d %H:%M:%S", gmtime(86400 * 365 + 3661)), " ", INT_MAX, "\n";
eval { die { code => 42 } }; print "caught $@->{code}\n";
eval { my $x = 1 / 0 }; print "error: ", $@ =~ /division by zero/ ? "div0" : $@, "\n";
print md5_hex("abc"), " ", encode_base64("hello world", ""), "\n";
my $deep = { a => [1, 2, { b => 3 }], c => "x" }; my $copy = dclone($deep); $copy->{a}[2]{b} = 4;
print Dumper($deep, $copy);
my @sorted = sort { $a->[1] <=> $b->[1] or $a->[0] cmp $b->[0] } map { [$_, length] } qw(pear fig apple kiwi banana);
print join(" ", map { $_->[0] } @sorted), "\n";
local $SIG{ALRM} = sub { die "alarm\n" };
my $r2 = eval { alarm 1; 1 while 1; 0 }; print "alarm: $@";
my $str = "x" x 10; substr($str, 2, 3) = "ABC"; print "$str ", lc(uc "MiXeD"), " ", ucfirst("perl"), " ", reverse("abc") . "", "\n";
print join(",", map { sprintf "%.3f", $_ } sin(1), cos(1), exp(1), log(10), sqrt(2), atan2(1, 1) * 4), "\n";
print 0.1 + 0.2, " ", 1e21, " ", 9**20, " ", 2**53 + 1, " ", -7 % 3, " ", int(-7 / 2), "\n";
exit 3;
"##;

/// json, re, zlib, hashlib, decimal, threads (a pool, a queue, events), subprocess (the same
/// python, with stdin, environment, terminate), os.fork with pipes and signals, signal.alarm and
/// setitimer handlers, os.kill from the main thread and from another, socketpair, tempfile.
const PYTHON: &str = r##"
import os, sys, signal, threading, subprocess, json, re, zlib, hashlib, decimal, queue, time, struct, select, socket, tempfile, fractions, statistics, collections, functools, itertools
from concurrent.futures import ThreadPoolExecutor
print(json.dumps({"b": [1, 2.5, None, True], "a": "caf\u00e9", "n": {"x": 1e100}}, sort_keys=True))
print(json.loads('{"k": [1, 2, {"z": -0.0}], "s": "\\u00e9\\n"}'), json.dumps([1.1, 2**70, "\u2603"], ensure_ascii=False))
print(re.sub(r"(?P<w>\b\w)(\w*)", lambda m: m["w"].upper() + m[2], "hello big world"), re.findall(r"\d+(?:\.\d+)?", "a1.5b22c.3"), re.split(r"[,;]\s*", "a, b;c"))
data = json.dumps(list(range(2000))).encode()
c = zlib.compress(data, 9); d = zlib.decompressobj(); print(len(c), zlib.crc32(data), d.decompress(c) == data)
print(hashlib.sha256(data).hexdigest(), hashlib.sha1(b"abc").hexdigest(), hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 1000).hex()[:16])
decimal.getcontext().prec = 50
D = decimal.Decimal
print(D(1) / D(7), D(2).sqrt(), D("1.10") + D("2.205"), D(10) ** -20, D("123.456").quantize(D("0.01"), rounding=decimal.ROUND_HALF_EVEN))
print(fractions.Fraction(3, 7) + fractions.Fraction(1, 3), statistics.mean([1, 2, 3, 4.5]), statistics.median([5, 1, 3]))
# threads: a pool, a lock-protected counter, a queue, an event
counter = 0
lock = threading.Lock()
def bump(n):
    global counter
    for _ in range(n):
        with lock:
            counter += 1
    return n
with ThreadPoolExecutor(max_workers=4) as ex:
    print(sum(ex.map(bump, [1000] * 8)), counter)
q = queue.Queue()
def producer():
    for i in range(100):
        q.put(i)
    q.put(None)
t = threading.Thread(target=producer); t.start()
total = 0
while (item := q.get()) is not None:
    total += item
t.join(); print("queue total", total)
ev = threading.Event(); res = []
def waiter():
    ev.wait(); res.append(threading.current_thread().name)
ws = [threading.Thread(target=waiter, name=f"w{i}") for i in range(3)]
for w in ws: w.start()
ev.set()
for w in ws: w.join()
print(sorted(res), threading.active_count())
# subprocess: the same python, a pipe in and out, an exit status
r = subprocess.run([sys.executable, "-c", "import sys; d = sys.stdin.read(); print(d.upper(), end=''); sys.exit(4)"], input=b"piped text\n", capture_output=True)
print(r.returncode, r.stdout, r.stderr)
out = subprocess.check_output([sys.executable, "-c", "import os; print(os.getppid() > 1, os.environ.get('FOO'))"], env={"FOO": "bar"})
print(out)
p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]); p.terminate(); print("terminated", p.wait())
# os.fork, pipes, waitpid, exit statuses
rfd, wfd = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(rfd); os.write(wfd, b"hello from child"); os._exit(5)
os.close(wfd); msg = os.read(rfd, 100); _, st = os.waitpid(pid, 0)
print(msg, os.WIFEXITED(st), os.WEXITSTATUS(st))
pid = os.fork()
if pid == 0:
    time.sleep(30); os._exit(0)
os.kill(pid, signal.SIGTERM); _, st = os.waitpid(pid, 0); print("child signalled", os.WIFSIGNALED(st), os.WTERMSIG(st))
# signals: alarm with a handler, os.kill to self, a signal to the main thread from another thread
got = []
signal.signal(signal.SIGALRM, lambda s, f: got.append(("alarm", s)))
signal.alarm(1)
deadline = time.monotonic() + 10
while not got and time.monotonic() < deadline:
    sum(range(1000))
signal.signal(signal.SIGUSR1, lambda s, f: got.append(("usr1", s)))
os.kill(os.getpid(), signal.SIGUSR1)
threading.Thread(target=lambda: os.kill(os.getpid(), signal.SIGUSR1)).start()
time.sleep(0.2)
print(got)
class Timeout(Exception): pass
def on_alarm(s, f): raise Timeout()
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.05)
try:
    time.sleep(20)
except Timeout:
    print("interrupted by itimer")
print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.pthread_sigmask(signal.SIG_BLOCK, []))
a, b = socket.socketpair(); a.sendall(b"over a socketpair"); print(b.recv(100)); a.close(); b.close()
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "f.bin")
    with open(path, "wb") as f: f.write(struct.pack("<100I", *range(100)))
    st = os.stat(path); print(st.st_size, sum(struct.unpack("<100I", open(path, "rb").read())))
print(functools.reduce(lambda x, y: x * y, range(1, 30)), list(itertools.islice(itertools.cycle("ab"), 5)), collections.deque(range(5), maxlen=3))
sys.exit(6)
"##;

/// GNU Guile 3: its lightening JIT emits AArch64 code, flushes it line by line (IC IVAU) and runs
/// it; recursion, flonums, bignums, strings, sorting, closures and a tail-recursive loop.
const GUILE: &str = r##"
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(define (harmonic n) (let lp ((i 1) (s 0.0)) (if (> i n) s (lp (+ i 1) (+ s (/ 1.0 i))))))
(define (compose . fs) (if (null? fs) (lambda (x) x) (lambda (x) ((car fs) ((apply compose (cdr fs)) x)))))
(define v (make-vector 1000 0))
(let lp ((i 0)) (when (< i 1000) (vector-set! v i (modulo (* i 7919) 1009)) (lp (+ i 1))))
(display (list 'fib (fib 22) 'harmonic (harmonic 50000) 'big (expt 3 100)
               'str (string-upcase "lightening") 'sorted (list-head (sort (vector->list v) <) 8)
               'composed ((compose (lambda (x) (* x 2)) (lambda (x) (+ x 3))) 10)
               'chars (map char->integer (string->list "a64x"))))
(newline)
"##;

#[test]
fn shells_and_interpreters_match_qemu() {
    env();
    let cases = vec![
        with_binfmt(case("bash-script", "usr/bin/bash", &["-c", BASH])),
        with_binfmt(case(
            "bash-error",
            "usr/bin/bash",
            &[
                "-c",
                "echo before; f() { return 3; }; f; echo $?; ${undefined?no such variable}; echo after",
            ],
        )),
        with_binfmt(case("perl-script", "usr/bin/perl", &["-e", PERL])),
        with_binfmt(case(
            "perl-die",
            "usr/bin/perl",
            &[
                "-e",
                "use strict; my %h = (a => 1); print join(',', %h), qq{\\n}; die qq{dead: $h{a}\\n}",
            ],
        )),
        with_binfmt(case("python3-stdlib", "usr/bin/python3.11", &["-c", PYTHON])),
        with_binfmt(case("make-j4", "usr/bin/make", &["-j4", "-f", "Makefile.jobs"])),
        // gcc-12 (its driver, cc1, as, collect2, ld) building five objects two at a time, then
        // the program run: `-B` rebuilds everything for each runner.
        with_binfmt(case(
            "gcc-make-j2",
            "usr/bin/make",
            &["-s", "-B", "-j2", "-C", "cc", "run"],
        )),
        with_env(
            case("guile", "usr/bin/guile-3.0", &["-c", GUILE]),
            "GUILE_AUTO_COMPILE=0",
        ),
        with_env(
            with_env(
                case("guile-jit-all", "usr/bin/guile-3.0", &["-c", GUILE]),
                "GUILE_AUTO_COMPILE=0",
            ),
            "GUILE_JIT_THRESHOLD=0",
        ),
    ];
    compare_all("shells and interpreters", &cases);
    // The build really ran (a failing gcc would fail alike under both): a64x's run, the last,
    // left an AArch64 executable.
    if super::selected("gcc-make-j2") {
        let prog = std::fs::read(env().work.join("cc/prog")).unwrap_or_default();
        assert!(
            prog.starts_with(b"\x7fELF") && prog.get(18..20) == Some(&183u16.to_le_bytes()[..]),
            "gcc-make-j2 built no AArch64 program"
        );
    }
}

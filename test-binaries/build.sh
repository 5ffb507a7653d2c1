#!/usr/bin/env bash
# Builds the AArch64 test programs of test-binaries/src into test-binaries/out/.
#
#   out/<name>-O0, -O2, -O3     aarch64-linux-gnu-gcc -static, one per C source
#   out/<name>                  assembly sources (.S): -nostdlib -static, once
#   out/<name>-O2               C++ sources (.cc): aarch64-linux-gnu-g++ -static -O2
#   out/<name>-clang-O2, -Os    clang --target=aarch64-linux-gnu -static (skipped
#                               with a message when clang cannot link)
#   out/native/<name>           the host (x86-64) build, gcc -O2, of every C
#                               source: for benches/compare.py and the oracle check
#   out/hello-dynamic           hello.c linked dynamically (the "dynamic linking is
#                               not supported" test)
#   out/programs.list           every built guest program: "<binary> <source>",
#                               paths relative to test-binaries/; what
#                               tests/programs.rs runs
#
# Incremental: an output newer than its source and this script is kept.
#
# Usage: test-binaries/build.sh [-j JOBS] [--no-clang] [--clean] [NAME...]
#   NAME...     build only these programs (e.g. `hello`); programs.list is not
#               rewritten then
# Environment: CROSS_CC (aarch64-linux-gnu-gcc), CROSS_CXX (aarch64-linux-gnu-g++),
#              CLANG (clang), NATIVE_CC (gcc), NATIVE_CXX (g++)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$here/src
out=$here/out
script=$here/build.sh

cross_cc=${CROSS_CC:-aarch64-linux-gnu-gcc}
clang_cc=${CLANG:-clang}
native_cc=${NATIVE_CC:-gcc}
cross_cxx=${CROSS_CXX:-aarch64-linux-gnu-g++}
native_cxx=${NATIVE_CXX:-g++}
jobs=$(nproc 2>/dev/null || echo 2)
use_clang=1
only=()

while (($#)); do
    case $1 in
    -j)
        jobs=$2
        shift 2
        ;;
    -j*)
        jobs=${1#-j}
        shift
        ;;
    --no-clang)
        use_clang=0
        shift
        ;;
    --clean)
        rm -rf "$out"
        echo "build.sh: removed $out"
        exit 0
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "build.sh: unknown option $1" >&2
        exit 2
        ;;
    *)
        only+=("$1")
        shift
        ;;
    esac
done

if ! command -v "$cross_cc" >/dev/null 2>&1; then
    echo "build.sh: $cross_cc not found. Run scripts/test-all.sh (it installs the toolchain)," >&2
    echo "build.sh: or: apt-get install -y gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user" >&2
    exit 2
fi

mkdir -p "$out/native"
# One build at a time: cargo may run several test binaries that all call this.
exec 9>"$out/.lock"
flock 9

cflags=(-Wall -Wextra -std=gnu11)
cxxflags=(-Wall -Wextra -std=gnu++17 -pthread)

# wanted NAME: is program NAME selected on the command line (or no selection)?
wanted() {
    local n
    ((${#only[@]} == 0)) && return 0
    for n in "${only[@]}"; do
        [[ $n == "$1" ]] && return 0
    done
    return 1
}

# stale OUTPUT SOURCE: does OUTPUT need rebuilding?
stale() {
    [[ ! -e $1 || $2 -nt $1 || $script -nt $1 ]]
}

built=0
failed=0
running=0

# reap: wait for one background job and account for it.
reap() {
    if ! wait -n; then
        failed=$((failed + 1))
    fi
    running=$((running - 1))
}

# job OUTPUT SOURCE COMMAND...: run COMMAND in the background if OUTPUT is stale.
# The compiler writes OUTPUT.tmp, renamed on success, so an interrupted build
# never leaves a half-written program that looks up to date.
job() {
    local output=$1 source=$2
    shift 2
    stale "$output" "$source" || return 0
    while ((running >= jobs)); do
        reap
    done
    (
        if "$@" -o "$output.tmp" 2>"$output.log"; then
            mv -f "$output.tmp" "$output"
            # keep warnings visible, drop empty logs
            if [[ -s $output.log ]]; then cat "$output.log" >&2; fi
            rm -f "$output.log"
        else
            echo "build.sh: FAILED: $* -o $output" >&2
            cat "$output.log" >&2
            rm -f "$output.tmp"
            exit 1
        fi
    ) &
    running=$((running + 1))
    built=$((built + 1))
}

# Can clang compile and link a static AArch64 program with the gcc cross sysroot?
clang_flags=()
if ((use_clang)); then
    if ! command -v "$clang_cc" >/dev/null 2>&1; then
        echo "build.sh: $clang_cc not found: skipping the clang builds" >&2
        use_clang=0
    else
        use_clang=0
        probe=$out/.clang-probe
        for ld in "" "-fuse-ld=lld" "-fuse-ld=bfd"; do
            flags=(--target=aarch64-linux-gnu)
            [[ -n $ld ]] && flags+=("$ld")
            if "$clang_cc" "${flags[@]}" -static -O2 "$src/hello.c" -o "$probe" >/dev/null 2>&1; then
                clang_flags=("${flags[@]}")
                use_clang=1
                break
            fi
        done
        rm -f "$probe"
        if ((!use_clang)); then
            echo "build.sh: $clang_cc cannot link static AArch64 programs here: skipping the clang builds" >&2
        fi
    fi
fi
have_native=1
if ! command -v "$native_cc" >/dev/null 2>&1; then
    echo "build.sh: $native_cc not found: skipping the host builds in out/native/" >&2
    have_native=0
fi

list=()
shopt -s nullglob
for file in "$src"/*.c "$src"/*.S "$src"/*.cc; do
    base=$(basename "$file")
    name=${base%.*}
    wanted "$name" || continue
    rel=src/$base
    case $base in
    *.S)
        job "$out/$name" "$file" "$cross_cc" -nostdlib -static "$file"
        list+=("out/$name $rel")
        ;;
    *.c)
        # Extra flags of the AArch64 builds: a line "//@ cflags: -march=armv8-a+crypto".
        read -r -a extra <<<"$(sed -n 's|^//@ cflags: *||p' "$file" | head -n 1)"
        for opt in O0 O2 O3; do
            job "$out/$name-$opt" "$file" "$cross_cc" -static "-$opt" "${cflags[@]}" ${extra[@]+"${extra[@]}"} "$file" -lm
            list+=("out/$name-$opt $rel")
        done
        if ((use_clang)); then
            for opt in O2 Os; do
                job "$out/$name-clang-$opt" "$file" "$clang_cc" "${clang_flags[@]}" -static "-$opt" \
                    "${cflags[@]}" ${extra[@]+"${extra[@]}"} "$file" -lm
                list+=("out/$name-clang-$opt $rel")
            done
        fi
        # Programs made of AArch64 inline assembly say so with a line "//@ aarch64-only".
        if ((have_native)) && ! grep -q '^//@ aarch64-only' "$file"; then
            job "$out/native/$name" "$file" "$native_cc" -O2 "${cflags[@]}" "$file" -lm
        fi
        if [[ $name == hello ]]; then
            job "$out/hello-dynamic" "$file" "$cross_cc" -O2 "${cflags[@]}" "$file" -lm
        fi
        ;;
    *.cc)
        if ! command -v "$cross_cxx" >/dev/null 2>&1; then
            echo "build.sh: $cross_cxx not found. Run scripts/test-all.sh, or: apt-get install -y g++-aarch64-linux-gnu" >&2
            exit 2
        fi
        job "$out/$name-O2" "$file" "$cross_cxx" -static -O2 "${cxxflags[@]}" "$file"
        list+=("out/$name-O2 $rel")
        if ((have_native)) && command -v "$native_cxx" >/dev/null 2>&1; then
            job "$out/native/$name" "$file" "$native_cxx" -O2 "${cxxflags[@]}" "$file"
        fi
        ;;
    esac
done
while ((running > 0)); do
    reap
done

if ((failed)); then
    echo "build.sh: $failed of $built builds failed" >&2
    exit 1
fi
if ((${#only[@]} == 0)); then
    printf '%s\n' "${list[@]}" >"$out/programs.list.tmp"
    mv -f "$out/programs.list.tmp" "$out/programs.list"
fi
echo "build.sh: $built built, ${#list[@]} guest programs in test-binaries/out/ (clang: $([[ $use_clang == 1 ]] && echo yes || echo no))"

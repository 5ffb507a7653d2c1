#!/usr/bin/env bash
# The test command of the project: installs what the tests need when it is
# missing, builds the AArch64 test programs, then runs every test of the
# workspace (`cargo test --workspace --release`) and exits with cargo's status.
#
# Needs: the AArch64 cross gcc and binutils (builds test-binaries/), qemu-user
# (qemu-aarch64 is the oracle the tests compare a64x with), clang (optional
# extra builds), libc6-arm64-cross (the sysroot of the dynamically linked
# tests). On Debian/Ubuntu they are installed with apt-get, using sudo only
# when not root; elsewhere install them yourself.
#
# Usage: scripts/test-all.sh [CARGO TEST ARGS...]
#   (without arguments it first checks formatting and clippy and runs the debug unit tests)
#   e.g. scripts/test-all.sh --test programs      (only the whole-program tests)
# Release mode: the whole-program tests run every test program under a64x, and
# an optimised a64x makes that part several times faster than the extra
# compile time of --release costs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

need=()
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || need+=(g++-aarch64-linux-gnu)
command -v aarch64-linux-gnu-objdump >/dev/null 2>&1 || need+=(binutils-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
command -v clang >/dev/null 2>&1 || need+=(clang)
# The AArch64 glibc (dynamic loader and libraries) for the dynamically linked
# tests, tests/dynamic.rs; gcc-aarch64-linux-gnu normally pulls it in.
[[ -f /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]] || need+=(libc6-arm64-cross)
# The static glibc for scripts/build-static.sh (tests/cli.rs static_build), and perf for the
# jitdump test (tests/profile.rs; it skips itself where perf_event_open is not allowed).
[[ -f /usr/lib/x86_64-linux-gnu/libc.a ]] || need+=(libc6-dev)
command -v perf >/dev/null 2>&1 || need+=(linux-perf)
# gdb drives a64x -g in tests/gdb.rs; man renders the package's man page (tests/package.rs).
command -v gdb-multiarch >/dev/null 2>&1 || need+=(gdb-multiarch)
command -v man >/dev/null 2>&1 || need+=(man-db)
# strace counts the host execs of an exec carried out in place (tests/process.rs).
command -v strace >/dev/null 2>&1 || need+=(strace)
# csmith's random C programs and their runtime headers (tests/csmith.rs).
command -v csmith >/dev/null 2>&1 || need+=(csmith)
[[ -f /usr/include/csmith/csmith.h ]] || need+=(libcsmith-dev)

if ((${#need[@]})); then
    echo "test-all: installing ${need[*]}"
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test-all: apt-get not found; install the equivalents of: ${need[*]}" >&2
        exit 2
    fi
    sudo=()
    if [[ $(id -u) != 0 ]]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Refresh the package lists only when the packages are unknown to apt.
    if ! apt-cache show "${need[@]}" >/dev/null 2>&1; then
        "${sudo[@]}" apt-get update
    fi
    # apt-get waits for the dpkg lock (another apt run) for up to 5 minutes.
    "${sudo[@]}" apt-get install -y -o DPkg::Lock::Timeout=300 "${need[@]}"
fi

# Build the test programs here, so that a toolchain problem shows plainly
# (the tests run this too; it is incremental).
test-binaries/build.sh

# The static a64x (binfmt_misc's F flag) is built and checked as a test, unless the caller says
# A64X_TEST_STATIC=0.
export A64X_TEST_STATIC=${A64X_TEST_STATIC:-1}

# The habits, checked before the tests when the whole suite runs (no arguments): formatting,
# clippy with warnings as errors, and the unit tests in a debug build, whose overflow checks
# the release tests do not have. A64X_TEST_HABITS=0 skips them.
# A toolchain without the rustfmt or clippy component (they come with rustup's default profile)
# gets a warning instead of a failure: they cannot be fetched where only the package registries
# are reachable.
if (($# == 0)) && [[ ${A64X_TEST_HABITS:-1} != 0 ]]; then
    if cargo fmt --version >/dev/null 2>&1; then
        echo "test-all: cargo fmt --check"
        cargo fmt --all --check
    else
        echo "test-all: warning: no rustfmt in this toolchain, formatting not checked" >&2
    fi
    if cargo clippy --version >/dev/null 2>&1; then
        echo "test-all: cargo clippy --all-targets -- -D warnings"
        cargo clippy --workspace --all-targets --quiet -- -D warnings
    else
        echo "test-all: warning: no clippy in this toolchain, lints not checked" >&2
    fi
    echo "test-all: unit tests, debug build"
    cargo test --workspace --lib --quiet
fi

status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --release "$@" 2>&1 | tee "$log" || status=$?
# cargo prints one "test result" line per test binary (several with 0 tests, e.g. doc tests);
# the total is what says whether anything ran.
read -r passed failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } } END { print p + 0, f + 0 }' "$log")
if ((status == 0)); then
    echo "test-all: all tests passed"
else
    echo "test-all: cargo test failed (status $status)" >&2
fi
echo "test-all: $passed passed, $failed failed"
exit "$status"

#!/usr/bin/env bash
# Checks the test programs themselves, without a64x: every guest build in
# test-binaries/out/programs.list is run under qemu-aarch64 and its stdout,
# stderr and exit status are compared with the host (x86-64) build of the same
# source in out/native/. A difference means the program has undefined or
# architecture-dependent behaviour (char signedness, uninitialised reads, ...)
# and must be fixed: tests/programs.rs trusts qemu-aarch64's output.
#
# Usage: scripts/check-test-binaries.sh [NAME...]   (default: all programs)
# The arguments and stdin come from the `//@ args:` and `//@ stdin:` lines of
# each source, as in tests/programs.rs; the working directory is test-binaries/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tb=$root/test-binaries
qemu=${QEMU:-qemu-aarch64}

if ! command -v "$qemu" >/dev/null 2>&1; then
    echo "check-test-binaries: $qemu not found; run scripts/test-all.sh (it installs qemu-user)" >&2
    exit 2
fi
"$tb/build.sh"
cd "$tb"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# directive SOURCE KEY: the value of the `//@ KEY: value` line of SOURCE.
directive() {
    sed -n "s|^//@ $2: *||p" "$1" | head -n 1
}

# run OUT_PREFIX CMD...: run CMD with the program's stdin, capture all results.
run() {
    local prefix=$1
    shift
    local status=0
    if [[ -n $stdin ]]; then
        env -i LANG=C HOME=/nonexistent A64X_TEST=1 "$@" <"$stdin" >"$prefix.out" 2>"$prefix.err" || status=$?
    else
        env -i LANG=C HOME=/nonexistent A64X_TEST=1 "$@" </dev/null >"$prefix.out" 2>"$prefix.err" || status=$?
    fi
    echo "$status" >"$prefix.status"
}

pass=0
fail=0
skip=0
while read -r bin source; do
    name=$(basename "$source")
    name=${name%.*}
    if (($#)); then
        keep=0
        for n in "$@"; do [[ $n == "$name" ]] && keep=1; done
        ((keep)) || continue
    fi
    native=out/native/$name
    if [[ ! -x $native ]]; then
        skip=$((skip + 1)) # assembly: qemu-aarch64 is the only oracle
        continue
    fi
    if [[ $(directive "$source" oracle) == native ]]; then
        skip=$((skip + 1)) # qemu is known to differ (docs/testing.md): the host build is the oracle
        continue
    fi
    read -r -a args <<<"$(directive "$source" args)"
    stdin=$(directive "$source" stdin)
    run "$tmp/q" "$qemu" "$bin" "${args[@]}"
    run "$tmp/n" "$native" "${args[@]}"
    bad=()
    cmp -s "$tmp/q.out" "$tmp/n.out" || bad+=(stdout)
    cmp -s "$tmp/q.err" "$tmp/n.err" || bad+=(stderr)
    cmp -s "$tmp/q.status" "$tmp/n.status" || bad+=("status $(cat "$tmp/q.status") vs $(cat "$tmp/n.status")")
    if ((${#bad[@]})); then
        fail=$((fail + 1))
        echo "MISMATCH $bin vs $native: ${bad[*]}"
        diff "$tmp/q.out" "$tmp/n.out" | head -n 10 || true
    else
        pass=$((pass + 1))
        printf 'ok  %-28s exit %s, %s stdout lines\n' "$bin" "$(cat "$tmp/q.status")" "$(wc -l <"$tmp/q.out")"
    fi
done <out/programs.list
echo "check-test-binaries: $pass agree, $fail differ, $skip skipped (no host build, or qemu known to differ)"
((fail == 0))

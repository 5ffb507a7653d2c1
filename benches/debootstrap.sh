#!/usr/bin/env bash
# Package installation under emulation, the work qemu-user-static mostly does: the second stage
# of `debootstrap --arch=arm64 --variant=minbase bookworm` (dpkg unpacking and configuring about
# 90 packages, running their maintainer scripts: thousands of short arm64 processes) inside a
# chroot, each program exec'd through binfmt_misc (F flag) into the emulator. The same first
# stage, run three ways one after another:
#   qemu        qemu-aarch64-static (Debian's qemu-user-static)
#   a64x-cold   the static a64x, its translation cache empty (the chroot's /root/.cache/a64x)
#   a64x-warm   the static a64x on a fresh copy of the first stage, with the cache the cold run
#               left (as a CI machine that keeps its cache between jobs)
# and prints wall and CPU seconds (user+sys of the whole process tree) and the ratios.
#
# Usage: sudo benches/debootstrap.sh [WORKDIR]   (default /var/cache/a64x/debootstrap-bench)
# Needs root (chroot, mounts, binfmt_misc), debootstrap and qemu-user-static (installed with
# apt-get when missing) and Debian's mirror for the first stage (downloaded once, kept as
# WORKDIR/first-stage.tar). Other binfmt_misc entries for AArch64 ELF (qemu-user-binfmt's, say)
# would take the programs instead: disable them first. Not part of the test command (it takes
# tens of minutes); its results go in the README's Benchmarks section.
set -euo pipefail

work=${1:-/var/cache/a64x/debootstrap-bench}
suite=bookworm
mirror=http://deb.debian.org/debian
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
entry=a64x-bench-aarch64

if [[ $(id -u) != 0 ]]; then
    echo "debootstrap bench: needs root (chroot, mount, binfmt_misc)" >&2
    exit 2
fi
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
if ((${#need[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
fi
"$repo/scripts/build-static.sh" >/dev/null 2>&1
a64x=$repo/target/x86_64-unknown-linux-gnu/release/a64x
qemu=$(command -v qemu-aarch64-static)
mkdir -p "$work"

first=$work/first-stage.tar
if [[ ! -f $first ]]; then
    echo "debootstrap bench: first stage (host, downloads about 100 MB)"
    rm -rf "$work/first"
    debootstrap --foreign --arch=arm64 --variant=minbase "$suite" "$work/first" "$mirror" >"$work/first-stage.log" 2>&1
    tar -C "$work/first" -cf "$first" .
    rm -rf --one-file-system "$work/first"
fi

# The AArch64 ELF magic and mask, from a64x's own entry (the same as qemu's).
magic=$("$a64x" --binfmt-conf --binfmt-flags F --binfmt-name "$entry" | grep -v '^#' | cut -d: -f5-6)

cleanup() {
    for r in "$work"/root-*; do
        for m in dev/pts dev sys proc; do umount -l "$r/$m" 2>/dev/null || true; done
    done
    if [[ -e /proc/sys/fs/binfmt_misc/$entry ]]; then echo -1 >"/proc/sys/fs/binfmt_misc/$entry"; fi
}
trap cleanup EXIT

# second_stage NAME INTERPRETER [CACHE_FROM]: prints "NAME wall cpu"
second_stage() {
    local name=$1 interp=$2 cache_from=${3:-}
    root=$work/root-$name
    rm -rf --one-file-system "$root"
    mkdir -p "$root"
    tar -C "$root" -xf "$first"
    if [[ -n $cache_from ]]; then
        mkdir -p "$root/root/.cache"
        cp -a "$cache_from/root/.cache/a64x" "$root/root/.cache/a64x"
    fi
    # The second stage's own proc mounts can leave binfmt_misc's mount stale (an empty
    # directory): mount it again then.
    if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
        umount /proc/sys/fs/binfmt_misc 2>/dev/null || true
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    fi
    echo ":$entry:M::$magic:$interp:F" >/proc/sys/fs/binfmt_misc/register
    for m in proc sys dev; do mkdir -p "$root/$m"; done
    mount -t proc proc "$root/proc"
    mount --bind /sys "$root/sys"
    mount --bind /dev "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    local t0 t1 rc=0
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$work/$name.time" \
        env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$root" /debootstrap/debootstrap --second-stage \
        >"$work/$name.log" 2>&1 || rc=$?
    t1=$(date +%s.%N)
    for m in dev/pts dev sys proc; do umount -l "$root/$m" 2>/dev/null || true; done
    if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
        umount /proc/sys/fs/binfmt_misc 2>/dev/null || true
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    fi
    echo -1 >"/proc/sys/fs/binfmt_misc/$entry"
    if ((rc != 0)); then
        echo "debootstrap bench: $name: second stage failed ($rc), see $work/$name.log" >&2
        tail -5 "$root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
        exit 1
    fi
    read -r user sys <"$work/$name.time"
    echo "$name $(echo "$t1 - $t0" | bc) $(echo "$user + $sys" | bc)"
}

results=$(
    second_stage qemu "$qemu"
    second_stage a64x-cold "$a64x"
    second_stage a64x-warm "$a64x" "$work/root-a64x-cold"
)
echo "$results" | awk '
    { wall[$1] = $2; cpu[$1] = $3; order[NR] = $1 }
    END {
        print "| runner | wall s | CPU s | wall / qemu | CPU / qemu |"
        print "|---|---|---|---|---|"
        for (i = 1; i <= NR; i++) {
            n = order[i]
            printf "| %s | %.1f | %.1f | %.2f | %.2f |\n", n, wall[n], cpu[n], wall[n] / wall["qemu"], cpu[n] / cpu["qemu"]
        }
    }'

#!/usr/bin/env bash
# Builds an arm64 Debian root with debootstrap and a64x: the first stage
# (`debootstrap --foreign --arch=arm64`) runs on the host and only downloads and
# unpacks; the second stage runs the root's own arm64 dpkg, shell and maintainer
# scripts inside `chroot`, each exec'd through binfmt_misc into the static a64x
# registered with the F flag (the chroot has no x86-64 libraries). Then it runs
# `apt-get --version`, installs python3 with the root's apt and runs a python3
# script there, printing how long each step took.
#
# Usage: sudo scripts/debootstrap-arm64.sh [ROOT] [SUITE] [MIRROR]
#   ROOT    default /var/cache/a64x/debootstrap-arm64 (removed first when it exists)
#   SUITE   default bookworm
#   MIRROR  default http://deb.debian.org/debian
# Env: A64X_DEBOOTSTRAP_SKIP_PYTHON=1 stops after `apt-get --version`.
#
# Needs root (chroot, mount, binfmt_misc), network access to the mirror, and
# debootstrap (installed with apt-get when missing). The binfmt entry it adds
# (a64x-debootstrap) and the /proc, /dev and /sys mounts in ROOT are removed on
# exit, also when a step fails. If another entry for AArch64 ELF is registered
# (qemu-user-binfmt's qemu-aarch64, say), the kernel uses whichever comes first:
# disable it for the run (`echo 0 > /proc/sys/fs/binfmt_misc/qemu-aarch64`).
set -euo pipefail

root=${1:-/var/cache/a64x/debootstrap-arm64}
suite=${2:-bookworm}
mirror=${3:-http://deb.debian.org/debian}
entry="a64x-debootstrap"
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ $(id -u) != 0 ]]; then
    echo "debootstrap-arm64: needs root (chroot, mount, binfmt_misc)" >&2
    exit 2
fi
if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap >/dev/null
fi

step() { # step NAME LOG COMMAND...: run with output to LOG (- for stdout), print the wall time
    local name=$1 out=$2 t0 rc=0
    shift 2
    t0=$(date +%s)
    echo "debootstrap-arm64: $name ..."
    if [[ $out == - ]]; then
        "$@" || rc=$?
    else
        "$@" >"$out" 2>&1 || rc=$?
    fi
    echo "debootstrap-arm64: $name: $([[ $rc == 0 ]] && echo ok || echo "FAILED ($rc)"), $(($(date +%s) - t0)) s"
    if [[ $rc != 0 && $out != - ]]; then
        tail -20 "$out" >&2
    fi
    return "$rc"
}

mounted=()
cleanup() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m=${mounted[i]}
        umount -l "$m" 2>/dev/null || true
    done
    "$a64x" --uninstall-binfmt --binfmt-name "$entry" >/dev/null 2>&1 || true
}

step "static a64x build" "$root.build.log" "$repo/scripts/build-static.sh"
a64x=$repo/target/x86_64-unknown-linux-gnu/release/a64x
trap cleanup EXIT
"$a64x" --uninstall-binfmt --binfmt-name "$entry" >/dev/null 2>&1 || true
"$a64x" --install-binfmt --binfmt-flags F --binfmt-name "$entry"

if [[ -e $root ]]; then
    for m in proc sys dev/pts dev; do umount -l "$root/$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$root"
fi
mkdir -p "$root"

step "first stage (host)" "$root.first-stage.log" \
    debootstrap --foreign --arch=arm64 --variant=minbase "$suite" "$root" "$mirror"

# The first stage leaves proc as it is in the tarball; give the chroot the real ones.
for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    rm -f "$root/$m" 2>/dev/null || true
    mkdir -p "$root/$m"
done
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind /sys "$root/sys" && mounted+=("$root/sys")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")
mount --bind /dev/pts "$root/dev/pts" && mounted+=("$root/dev/pts")

step "second stage (arm64, in chroot)" "$root.second-stage.log" \
    chroot "$root" /debootstrap/debootstrap --second-stage || {
    [[ -e $root/debootstrap/debootstrap.log ]] && tail -20 "$root/debootstrap/debootstrap.log" >&2
    exit 1
}
step "chroot apt-get --version" - chroot "$root" apt-get --version

[[ ${A64X_DEBOOTSTRAP_SKIP_PYTHON:-} == 1 ]] && exit 0
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
step "apt-get update (arm64, in chroot)" "$root.apt-update.log" chroot "$root" apt-get update
step "apt-get install python3 (arm64, in chroot)" "$root.apt-install.log" \
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3
step "python3 in chroot" - chroot "$root" python3 -c '
import hashlib, json, platform, subprocess, threading, zlib
out = {}
t = threading.Thread(target=lambda: out.update(sha=hashlib.sha256(b"a64x").hexdigest()))
t.start(); t.join()
out["machine"] = platform.machine()
out["zlib"] = len(zlib.compress(b"x" * 100000))
out["uname"] = subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout.strip()
print(json.dumps(out, sort_keys=True))
'

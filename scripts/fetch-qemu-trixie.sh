#!/usr/bin/env bash
# Fetches a newer qemu-aarch64 than Debian 12's, for the one real program the
# tests compare with qemu that Debian 12's qemu-aarch64 (7.2) cannot run:
# Erlang/OTP 25 (its BEAM JIT dies under qemu 7.2; tests/debian/runtimes.rs).
# The binary comes from Debian 13's (trixie's) qemu-user package, a static-pie
# executable that runs on Debian 12 as it is: the package index of trixie is
# read from the Debian mirror for the current file name, the .deb downloaded
# and only usr/bin/qemu-aarch64 unpacked, into a cache outside the repository.
# Nothing is installed on the host and apt's configuration is not touched.
#
# Usage: scripts/fetch-qemu-trixie.sh [DIR]
#   DIR defaults to $A64X_QEMU_TRIXIE_DIR, else /var/cache/a64x/qemu-trixie.
#   Prints the path of qemu-aarch64 on success (stdout, last line).
# Idempotent: a DIR that has the binary is left as it is. Needs curl (or
# wget), xz and dpkg-deb, and the mirror ($A64X_DEBIAN_MIRROR, default
# http://deb.debian.org/debian).
set -euo pipefail

dir=${1:-${A64X_QEMU_TRIXIE_DIR:-/var/cache/a64x/qemu-trixie}}
mirror=${A64X_DEBIAN_MIRROR:-http://deb.debian.org/debian}
bin=$dir/qemu-aarch64

if [[ -x $bin ]] && "$bin" --version >/dev/null 2>&1; then
    echo "$bin"
    exit 0
fi

fetch() { # URL FILE
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 2 -m 600 -o "$2" "$1"
    else
        wget -q -O "$2" "$1"
    fi
}

mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch "$mirror/dists/trixie/main/binary-amd64/Packages.xz" "$work/Packages.xz"
# The stanza of the qemu-user package: its Filename and SHA256.
read -r file sum < <(xz -dc "$work/Packages.xz" | awk '
    /^Package: / { p = ($2 == "qemu-user") }
    p && /^Filename: / { f = $2 }
    p && /^SHA256: / { s = $2 }
    /^$/ && p && f != "" { print f, s; exit }')
if [[ -z ${file:-} || -z ${sum:-} ]]; then
    echo "fetch-qemu-trixie: no qemu-user in trixie's package index" >&2
    exit 1
fi
echo "fetch-qemu-trixie: downloading $file" >&2
fetch "$mirror/$file" "$work/qemu-user.deb"
echo "$sum  $work/qemu-user.deb" | sha256sum -c --quiet -
dpkg-deb --fsys-tarfile "$work/qemu-user.deb" | tar -x -C "$work" ./usr/bin/qemu-aarch64
"$work/usr/bin/qemu-aarch64" --version >/dev/null
# A rename, so that a concurrent run or a crash never leaves half a binary at $bin.
mv "$work/usr/bin/qemu-aarch64" "$bin.new.$$"
mv -f "$bin.new.$$" "$bin"
echo "fetch-qemu-trixie: $("$bin" --version | head -1)" >&2
echo "$bin"

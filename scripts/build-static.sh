#!/usr/bin/env bash
# Builds a statically linked a64x (static glibc), the one to register with
# binfmt_misc's F flag: the kernel then opens a64x once, at registration, and
# runs it inside chroots and containers whose root has no x86-64 libraries.
#
#   RUSTFLAGS="-C target-feature=+crt-static" \
#       cargo build --release --target x86_64-unknown-linux-gnu
#
# The explicit --target keeps RUSTFLAGS away from build scripts and proc
# macros, which must stay dynamic. Needs libc6-dev (libc.a), as on any
# Debian/Ubuntu with gcc. Output: target/x86_64-unknown-linux-gnu/release/a64x;
# the script fails unless `file` and `ldd` agree that it is static.
#
# Usage: scripts/build-static.sh [CARGO BUILD ARGS...]
# Then:  sudo target/x86_64-unknown-linux-gnu/release/a64x --install-binfmt --binfmt-flags F
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
triple=x86_64-unknown-linux-gnu
out=target/$triple/release/a64x

if [[ ! -e /usr/lib/x86_64-linux-gnu/libc.a && ! -e /usr/lib64/libc.a && ! -e /usr/lib/libc.a ]]; then
    echo "build-static: libc.a not found: install libc6-dev (Debian/Ubuntu) or glibc-static" >&2
    exit 2
fi

RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static" \
    cargo build --release --target "$triple" --bin a64x "$@"

# `file` says "statically linked" (or "static-pie linked"); ldd says "not a dynamic executable"
# (glibc) or "statically linked" (others).
desc=$(file -b "$out")
if [[ $desc != *static* ]]; then
    echo "build-static: $out is not static: $desc" >&2
    exit 1
fi
if command -v ldd >/dev/null 2>&1; then
    if deps=$(ldd "$out" 2>&1) && [[ $deps != *"statically linked"* ]]; then
        echo "build-static: ldd lists libraries for $out:" >&2
        echo "$deps" >&2
        exit 1
    fi
fi
echo "build-static: $out: $desc"

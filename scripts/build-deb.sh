#!/usr/bin/env bash
# Builds the Debian package of a64x, laid out as qemu-user-static is: the static a64x in
# /usr/bin, its binfmt.d entry (flags F and P) in /usr/lib/binfmt.d/, maintainer scripts that
# register and remove the entry (packaging/a64x-binfmt: systemd-binfmt when systemd runs, a64x
# itself otherwise), the man page and bash/zsh/fish completions generated from a64x's own
# command-line definition (tools/docgen), so they cannot drift from it.
#
# Usage: scripts/build-deb.sh [OUTDIR]     (default: target/debian)
# Prints the path of the .deb last. Install with `dpkg -i`, remove with `dpkg -r a64x`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
outdir=${1:-target/debian}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

scripts/build-static.sh --quiet >&2
bin=target/x86_64-unknown-linux-gnu/release/a64x
cargo build --release --quiet -p a64x-docgen >&2
docgen=target/release/a64x-docgen

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"

install -D -m 755 "$bin" "$stage/usr/bin/a64x"
# The release profile keeps line tables for the profiler's own use; the package does not need them.
strip --strip-debug "$stage/usr/bin/a64x"
install -D -m 755 packaging/a64x-binfmt "$stage/usr/lib/a64x/a64x-binfmt"
install -d "$stage/usr/lib/binfmt.d"
"$stage/usr/bin/a64x" --binfmt-conf --binfmt-interpreter /usr/bin/a64x --binfmt-flags FP \
    > "$stage/usr/lib/binfmt.d/a64x.conf"

install -d "$stage/usr/share/man/man1"
"$docgen" man "$stage/usr/share/man/man1" >/dev/null
gzip -9n "$stage/usr/share/man/man1/a64x.1"
comp=$(mktemp -d)
"$docgen" completions "$comp" >/dev/null
install -D -m 644 "$comp/a64x.bash" "$stage/usr/share/bash-completion/completions/a64x"
install -D -m 644 "$comp/_a64x" "$stage/usr/share/zsh/vendor-completions/_a64x"
install -D -m 644 "$comp/a64x.fish" "$stage/usr/share/fish/vendor_completions.d/a64x.fish"
rm -rf "$comp"
install -D -m 644 packaging/debian/copyright "$stage/usr/share/doc/a64x/copyright"

install -d "$stage/DEBIAN"
install -m 755 packaging/debian/postinst packaging/debian/prerm "$stage/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" packaging/debian/control.in > "$stage/DEBIAN/control"

deb="$outdir/a64x_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"

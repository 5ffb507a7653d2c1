#!/usr/bin/env bash
# Builds a sysroot of real Debian arm64 programs for tests/debian.rs: each
# package below is fetched with `apt-get download PKG:arm64` and unpacked with
# `dpkg-deb -x` (nothing is installed on the host), into a cache outside the
# repository, so that the test runs a64x and qemu-aarch64 with `-L SYSROOT` on
# programs nobody wrote for a64x.
#
# Usage: scripts/fetch-debian-arm64.sh [SYSROOT]
#   SYSROOT defaults to $A64X_DEBIAN_ROOT, else /var/cache/a64x/debian-arm64.
#
# Idempotent: a package already unpacked (its stamp SYSROOT/.a64x/PKG exists)
# is skipped, so a second run does nothing and asks apt nothing; adding a name
# to the list fetches just that package. The host's apt gets the arm64
# architecture (`dpkg --add-architecture arm64`) and `apt-get update` runs only
# when apt has no arm64 package lists. Needs root for those two steps (sudo is
# used when not root) and a writable SYSROOT.
#
# The sysroot has the merged-/usr layout of Debian 12 (bin, sbin and lib are
# symlinks into usr/): the packages still ship files under /bin and /lib, so
# each is unpacked into a staging directory and its top-level bin, sbin and lib
# are merged into usr/. The guest's loader is then
# SYSROOT/lib/ld-linux-aarch64.so.1 and its libc
# SYSROOT/lib/aarch64-linux-gnu/libc.so.6.
set -euo pipefail

root=${1:-${A64X_DEBIAN_ROOT:-/var/cache/a64x/debian-arm64}}

# A fixed list per program rather than `apt-cache depends --recurse`, which
# pulls in dpkg, perl, debconf and more that the tests never run. Each line:
# the program's package, then the shared libraries its binaries load (checked
# with `apt-cache depends` and readelf on Debian 12). Architecture-independent
# packages are named PKG:all, the others get :arm64. Not fetched: libnsl2 and
# libtirpc3 (only python's deprecated nis module loads them) and the Kerberos
# libraries libtirpc3 pulls in.
packages=(
    libc6 libgcc-s1                                       # glibc: ld.so, libc, libm
    busybox-static                                        # static: no libraries
    coreutils libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0
    gzip
    bzip2 libbz2-1.0
    xz-utils liblzma5
    lua5.4 libreadline8 libtinfo6                         # liblua is linked in statically
    gawk libsigsegv2                                      # benches/compare.py's Debian rows (gmp, mpfr listed)
    sqlite3 libsqlite3-0 zlib1g
    jq libjq1 libonig5
    file libmagic1 libmagic-mgc                           # libmagic-mgc: the magic database
    python3.11-minimal libpython3.11-minimal libexpat1 libssl3
    openssl                                               # libssl3 (libcrypto) above
    bash dash                                             # dash: /bin/sh; libtinfo6 above
    make                                                  # GNU make -j (pselect with a signal mask)
    guile-3.0 guile-3.0-libs libgc1 libunistring2         # Guile 3 and its lightening JIT
    gcc-12 cpp-12 gcc-12-base libgcc-12-dev libstdc++6    # a C toolchain: the driver, cc1, collect2,
    libisl23 libmpc3 libmpfr6 libzstd1                    #   crtbegin/libgcc.a and cc1's libraries,
    binutils binutils-aarch64-linux-gnu binutils-common   #   as and ld,
    libbinutils libctf0 libctf-nobfd0 libgprofng0 libjansson4
    libc6-dev linux-libc-dev libcrypt-dev                 #   glibc's headers, crt1.o, libc.so
    perl-base perl libperl5.36 perl-modules-5.36:all libcrypt1 libdb5.3 libgdbm6 libgdbm-compat4
    python3.11 libpython3.11-stdlib libffi8 libncursesw6 libuuid1 media-types:all
    libpython3.11-testsuite:all                           # python's own test suite (Lib/test)
    # JIT and managed runtimes, Go and Rust programs (tests/debian/runtimes.rs)
    luajit libluajit-5.1-2 libluajit-5.1-common:all        # LuaJIT's trace compiler
    tcc libtcc-dev                                        # tcc -run: compiles C into memory, runs it
    sbcl                                                  # SBCL's native compiler (core in usr/lib/sbcl)
    php8.2-cli php8.2-common php8.2-opcache php8.2-readline libedit2 libargon2-1 libsodium23
    libxml2 libicu72                                      #   PHP 8.2 with opcache's tracing JIT
    erlang-base libsystemd0 procps                        # Erlang/OTP 25: BEAM's JIT, SMP schedulers
    nodejs libnode108 libbrotli1 libc-ares2 libnghttp2-14 libuv1   # Node 18 (V8) and the
    node-cjs-module-lexer:all node-undici:all node-acorn:all        #   builtins Debian ships apart
    pypy3 pypy3-lib                                       # PyPy's tracing JIT
    gojq age shfmt                                        # Go programs (static)
    ripgrep fd-find                                       # Rust programs
    ruby3.1 libruby3.1 libyaml-0-2 libncurses6            # Ruby 3.1 (its interpreter)
    tcl8.6 libtcl8.6                                      # Tcl 8.6 (bytecode compiler)
    zstd lz4 liblz4-1                                     # zstd (threads) and lz4
    valgrind libc6-dbg                                    # Valgrind's memcheck: VEX, a JIT
    mono-runtime mono-runtime-common mono-runtime-sgen    # Mono 6.8: its JIT and C# compiler
    mono-mcs:all libmono-corlib4.5-cil:all libmono-corlib4.5-dll:all libmono-system4.0-cil:all
    libmono-system-core4.0-cil:all libmono-system-xml4.0-cil:all libmono-security4.0-cil:all
    libmono-system-configuration4.0-cil:all libmono-system-security4.0-cil:all
    libmono-system-numerics4.0-cil:all libmono-i18n4.0-cil:all libmono-i18n-west4.0-cil:all
    # A database server (tests/debian/servers.rs): PostgreSQL 15 and the libraries its
    # binaries load (Kerberos, LDAP and PAM for its authentication methods, ICU, libxml2 above)
    postgresql-15 postgresql-client-15 libpq5 tzdata:all
    libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1
    libldap-2.5-0 libsasl2-2 libsasl2-modules-db libgnutls30 libp11-kit0 libidn2-0 libtasn1-6
    libnettle8 libhogweed6 libpam0g libaudit1 libaudit-common:all libcap-ng0 libcap2
    libgcrypt20 libgpg-error0
    nginx                                                 # a web server (its libraries are above)
    libx264-164 libx264-dev                               # x264: hand-written NEON (tests/inline, a test program)
)
# The long mode (A64X_DEBIAN_LONG=1) adds what is too big to fetch on every CI run.
if [[ ${A64X_DEBIAN_LONG:-} == 1 ]]; then
    packages+=(
        openjdk-17-jre-headless openjdk-17-jdk-headless    # HotSpot C1/C2, javac
        libcups2 libfontconfig1 liblcms2-2 libjpeg62-turbo libnss3 libasound2 libfreetype6
        libharfbuzz0b libpcsclite1 libnspr4 libpng16-16 libglib2.0-0 libgraphite2-3 libexpat1
        libdbus-1-3 libavahi-client3 libavahi-common3 libbrotli1 libmount1 libblkid1
    )
fi

stamps=$root/.a64x
missing=()
for pkg in "${packages[@]}"; do
    [[ -e $stamps/${pkg%:all} ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
    echo "fetch-debian-arm64: $root is complete (${#packages[@]} packages)"
    exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
    sudo=(sudo)
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "fetch-debian-arm64: adding the arm64 architecture to dpkg"
    "${sudo[@]}" dpkg --add-architecture arm64
fi
# Refresh the package lists only when apt knows no arm64 package yet (an
# update after --add-architecture); otherwise the lists apt has will do.
if ! apt-cache show libc6:arm64 >/dev/null 2>&1; then
    echo "fetch-debian-arm64: apt-get update (no arm64 package lists yet)"
    "${sudo[@]}" apt-get update
fi

if ! mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$stamps"; then
    echo "fetch-debian-arm64: cannot create $root: run as root, or choose another" \
        "directory with A64X_DEBIAN_ROOT=DIR" >&2
    exit 1
fi
for dir in bin sbin lib; do
    if [[ ! -e $root/$dir && ! -L $root/$dir ]]; then
        ln -s "usr/$dir" "$root/$dir"
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download drops root to the _apt user: it must be able to write here,
# or apt downloads unsandboxed and says so on every run.
if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then
    chown _apt "$work"
fi

names=()
for pkg in "${missing[@]}"; do
    [[ $pkg == *:all ]] && names+=("$pkg") || names+=("$pkg:arm64")
done
echo "fetch-debian-arm64: downloading ${names[*]}"
(cd "$work" && apt-get download -q "${names[@]}")

for pkg in "${missing[@]}"; do
    pkg=${pkg%:all}
    debs=($(compgen -G "$work/${pkg}_*_arm64.deb" || compgen -G "$work/${pkg}_*_all.deb" || true))
    if ((${#debs[@]} == 0)) || [[ ! -f ${debs[0]} ]]; then
        echo "fetch-debian-arm64: apt-get download left no .deb for $pkg" >&2
        exit 1
    fi
    deb=${debs[0]}
    stage=$work/stage
    rm -rf "$stage"
    dpkg-deb -x "$deb" "$stage"
    # Merge /bin, /sbin, /lib into /usr (merged /usr, as an installed Debian 12).
    for dir in bin sbin lib; do
        if [[ -d $stage/$dir && ! -L $stage/$dir ]]; then
            mkdir -p "$stage/usr/$dir"
            cp -a "$stage/$dir/." "$stage/usr/$dir/"
            rm -rf "${stage:?}/$dir"
        fi
    done
    cp -a "$stage/." "$root/"
    # The stamp records the version, for whoever wonders what the tests ran.
    dpkg-deb -f "$deb" Version >"$stamps/$pkg"
    echo "fetch-debian-arm64: unpacked $pkg $(cat "$stamps/$pkg")"
done

for f in lib/ld-linux-aarch64.so.1 lib/aarch64-linux-gnu/libc.so.6; do
    if [[ ! -e $root/$f ]]; then
        echo "fetch-debian-arm64: $root/$f is missing after unpacking" >&2
        exit 1
    fi
done
echo "fetch-debian-arm64: $root is complete (${#packages[@]} packages, $(du -sh "$root" | cut -f1))"

//! The `O_*` open flags, listed once: each flag's name, its AArch64 value
//! (`arch/arm64/include/uapi/asm/fcntl.h` over `include/uapi/asm-generic/fcntl.h`) and its x86-64
//! value. `openat` and `fcntl` translate with it, `--strace` names flags from it.

/// One `O_*` flag.
pub struct OFlag {
    /// The name strace prints.
    pub name: &'static str,
    /// The value an AArch64 guest passes.
    pub guest: u32,
    /// The value the x86-64 host kernel takes.
    pub host: u32,
}

const fn f(name: &'static str, guest: u32, host: u32) -> OFlag {
    OFlag { name, guest, host }
}

/// Every flag but the access mode (the low two bits, the same on both), in the order strace
/// prints them: O_SYNC (which contains O_DSYNC's bit) before O_DSYNC. arm64 overrides only
/// O_DIRECTORY, O_NOFOLLOW, O_DIRECT and O_LARGEFILE; every other value is asm-generic on both.
pub const O_FLAGS: [OFlag; 17] = [
    f("O_CREAT", 0o100, 0o100),
    f("O_EXCL", 0o200, 0o200),
    f("O_NOCTTY", 0o400, 0o400),
    f("O_TRUNC", 0o1000, 0o1000),
    f("O_APPEND", 0o2000, 0o2000),
    f("O_NONBLOCK", 0o4000, 0o4000),
    f("O_SYNC", 0o4010000, 0o4010000),
    f("O_DSYNC", 0o10000, 0o10000),
    f("O_ASYNC", 0o20000, 0o20000),
    f("O_DIRECTORY", 0o40000, 0o200000),
    f("O_NOFOLLOW", 0o100000, 0o400000),
    f("O_DIRECT", 0o200000, 0o40000),
    f("O_LARGEFILE", 0o400000, 0o100000),
    f("O_NOATIME", 0o1000000, 0o1000000),
    f("O_CLOEXEC", 0o2000000, 0o2000000),
    f("O_PATH", 0o10000000, 0o10000000),
    f("__O_TMPFILE", 0o20000000, 0o20000000),
];

/// The guest's O_CREAT and __O_TMPFILE: with either, `openat` reads its mode argument.
pub const O_CREAT: u32 = O_FLAGS[0].guest;
/// See [`O_CREAT`].
pub const O_TMPFILE_BIT: u32 = O_FLAGS[16].guest;

/// `O_*` flags as the AArch64 guest passes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestOFlags(pub u32);

/// `O_*` flags as the x86-64 host kernel takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostOFlags(pub i32);

/// The bits of `from` mapped flag by flag (`side` picks a flag's value on each side); bits that
/// name no flag (the access mode, unknown bits) are kept, for the kernel to judge.
fn convert(bits: u32, side: impl Fn(&OFlag) -> (u32, u32)) -> u32 {
    let mut known = 0;
    let mut out = 0;
    for flag in &O_FLAGS {
        let (from, to) = side(flag);
        known |= from;
        if bits & from == from {
            out |= to;
        }
    }
    out | (bits & !known)
}

impl GuestOFlags {
    /// The same flags in host values.
    pub fn to_host(self) -> HostOFlags {
        HostOFlags(convert(self.0, |f| (f.guest, f.host)) as i32)
    }
}

impl HostOFlags {
    /// The same flags in guest values.
    pub fn to_guest(self) -> GuestOFlags {
        GuestOFlags(convert(self.0 as u32, |f| (f.host, f.guest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_values_are_the_host_kernels() {
        let libc_values = [
            libc::O_CREAT,
            libc::O_EXCL,
            libc::O_NOCTTY,
            libc::O_TRUNC,
            libc::O_APPEND,
            libc::O_NONBLOCK,
            libc::O_SYNC,
            libc::O_DSYNC,
            libc::O_ASYNC,
            libc::O_DIRECTORY,
            libc::O_NOFOLLOW,
            libc::O_DIRECT,
            // glibc defines O_LARGEFILE as 0 on 64-bit hosts; the kernel's value (asm-generic).
            0o100000,
            libc::O_NOATIME,
            libc::O_CLOEXEC,
            libc::O_PATH,
            libc::O_TMPFILE & !libc::O_DIRECTORY,
        ];
        for (flag, v) in O_FLAGS.iter().zip(libc_values) {
            assert_eq!(flag.host, v as u32, "{}", flag.name);
        }
    }

    #[test]
    fn every_single_flag_round_trips() {
        for flag in &O_FLAGS {
            for access in 0..3 {
                let g = GuestOFlags(flag.guest | access);
                assert_eq!(g.to_host(), HostOFlags((flag.host | access) as i32), "{}", flag.name);
                assert_eq!(g.to_host().to_guest(), g, "{}", flag.name);
            }
        }
        // O_DSYNC alone is not O_SYNC; unknown bits pass through.
        assert_eq!(GuestOFlags(0o10000).to_host(), HostOFlags(0o10000));
        assert_eq!(GuestOFlags(1 << 30).to_host(), HostOFlags(1 << 30));
    }
}

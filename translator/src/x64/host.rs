//! The optional x86-64 extensions the backend uses where the host has them: BMI1 (`andn` for
//! confinement), AES-NI, PCLMULQDQ and SHA-NI (the crypto instructions). The code cache detects
//! them once; the snapshot tests fix them, so that their listings do not depend on the machine.
//! FMA3 and SSE4.1 are required, not optional (see DESIGN.md).

use std::sync::OnceLock;

/// Which optional extensions emitted code may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFeatures {
    /// BMI1 (`andn`).
    pub bmi1: bool,
    /// AES-NI.
    pub aes: bool,
    /// PCLMULQDQ.
    pub pclmul: bool,
    /// SHA-NI.
    pub sha: bool,
}

impl HostFeatures {
    /// Those of the machine we run on (detected once).
    pub fn detect() -> HostFeatures {
        static HOST: OnceLock<HostFeatures> = OnceLock::new();
        *HOST.get_or_init(|| HostFeatures {
            bmi1: has(Feature::Bmi1),
            aes: has(Feature::Aes),
            pclmul: has(Feature::Pclmulqdq),
            sha: has(Feature::Sha),
        })
    }

    /// Every optional extension.
    pub fn all() -> HostFeatures {
        HostFeatures {
            bmi1: true,
            aes: true,
            pclmul: true,
            sha: true,
        }
    }

    /// None of them.
    pub fn none() -> HostFeatures {
        HostFeatures {
            bmi1: false,
            aes: false,
            pclmul: false,
            sha: false,
        }
    }
}

/// A host CPU feature a64x asks about (required by the backend, optional, or deciding how a
/// helper works).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// SSSE3 (`pshufb`).
    Ssse3,
    /// SSE4.1 (`pblendvb`, `roundsd`, `ptest`).
    Sse41,
    /// SSE4.2 (`crc32`, `pcmpgtq`).
    Sse42,
    /// FMA3 (fused multiply-add), with the AVX state enabled.
    Fma,
    /// `cmpxchg16b`.
    Cmpxchg16b,
    /// `lzcnt`.
    Lzcnt,
    /// BMI1 (`andn`).
    Bmi1,
    /// AES-NI.
    Aes,
    /// `pclmulqdq`.
    Pclmulqdq,
    /// SHA-NI.
    Sha,
    /// AVX, with its state enabled (aligned 16-byte loads are then single-copy atomic).
    Avx,
}

/// Whether the host CPU has `f` (and, for the AVX ones, the kernel saves their state), as
/// `std::arch::is_x86_feature_detected!` says. Read with four CPUIDs, once: std's detection
/// reads about ten leaves, and a CPUID is a VM exit on a virtualised host (6.6 us each on this
/// project's machine): every a64x process, one per guest `execve`, paid 7% of its own start-up
/// for them.
pub fn has(f: Feature) -> bool {
    static BITS: OnceLock<CpuidBits> = OnceLock::new();
    let b = BITS.get_or_init(CpuidBits::read);
    let ecx1 = |bit: u32| b.leaf1_ecx & (1 << bit) != 0;
    // (Bit numbers from the Intel SDM vol. 2A, CPUID, tables 3-8, 3-10 and 3-11.)
    match f {
        Feature::Ssse3 => ecx1(9),
        Feature::Sse41 => ecx1(19),
        Feature::Sse42 => ecx1(20),
        Feature::Fma => ecx1(12) && b.os_avx,
        Feature::Cmpxchg16b => ecx1(13),
        Feature::Lzcnt => b.ext1_ecx & (1 << 5) != 0,
        Feature::Bmi1 => b.leaf7_ebx & (1 << 3) != 0,
        Feature::Aes => ecx1(25),
        Feature::Pclmulqdq => ecx1(1),
        Feature::Sha => b.leaf7_ebx & (1 << 29) != 0,
        Feature::Avx => ecx1(28) && b.os_avx,
    }
}

/// The CPUID words [`has`] reads.
#[derive(Debug, Clone, Copy)]
struct CpuidBits {
    leaf1_ecx: u32,
    /// Leaf 7, subleaf 0 (zero where the CPU has no leaf 7).
    leaf7_ebx: u32,
    /// Leaf 0x8000_0001 (every x86-64 CPU has it: it holds the long mode bit).
    ext1_ecx: u32,
    /// The kernel has enabled the SSE and AVX state in XCR0 (OSXSAVE set and XCR0 bits 1 and 2).
    os_avx: bool,
}

impl CpuidBits {
    fn read() -> CpuidBits {
        use std::arch::x86_64::__cpuid_count;
        #[allow(unused_unsafe)] // (safe to call in newer Rust)
        // SAFETY: CPUID exists on every x86-64 CPU; it reads identification registers only.
        let (max, leaf1, ext1) = unsafe {
            (
                __cpuid_count(0, 0).eax,
                __cpuid_count(1, 0),
                __cpuid_count(0x8000_0001, 0),
            )
        };
        #[allow(unused_unsafe)]
        // SAFETY: as above; leaf 7 is read only where leaf 0 says it exists.
        let leaf7_ebx = if max >= 7 {
            unsafe { __cpuid_count(7, 0).ebx }
        } else {
            0
        };
        const OSXSAVE: u32 = 1 << 27;
        let os_avx = leaf1.ecx & OSXSAVE != 0
            && {
                let (lo, _hi): (u32, u32);
                // SAFETY: XGETBV of XCR0 is allowed at any privilege level once the OS has set
                // CR4.OSXSAVE, which the OSXSAVE bit reports.
                unsafe {
                    std::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") _hi, options(nomem, nostack, preserves_flags))
                };
                lo & 6 == 6
            };
        CpuidBits {
            leaf1_ecx: leaf1.ecx,
            leaf7_ebx,
            ext1_ecx: ext1.ecx,
            os_avx,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each feature as std's own detection says.
    #[test]
    fn features_read_with_cpuid_agree_with_std() {
        use std::arch::is_x86_feature_detected as std_has;
        let std_says = [
            (Feature::Ssse3, std_has!("ssse3")),
            (Feature::Sse41, std_has!("sse4.1")),
            (Feature::Sse42, std_has!("sse4.2")),
            (Feature::Fma, std_has!("fma")),
            (Feature::Cmpxchg16b, std_has!("cmpxchg16b")),
            (Feature::Lzcnt, std_has!("lzcnt")),
            (Feature::Bmi1, std_has!("bmi1")),
            (Feature::Aes, std_has!("aes")),
            (Feature::Pclmulqdq, std_has!("pclmulqdq")),
            (Feature::Sha, std_has!("sha")),
            (Feature::Avx, std_has!("avx")),
        ];
        for (f, expected) in std_says {
            assert_eq!(has(f), expected, "{f:?}");
        }
    }
}

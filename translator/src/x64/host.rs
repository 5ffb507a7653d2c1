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
            bmi1: std::arch::is_x86_feature_detected!("bmi1"),
            aes: std::arch::is_x86_feature_detected!("aes"),
            pclmul: std::arch::is_x86_feature_detected!("pclmulqdq"),
            sha: std::arch::is_x86_feature_detected!("sha"),
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

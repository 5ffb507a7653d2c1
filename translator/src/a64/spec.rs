//! The A64 encoding specification as the build makes it from `instructions.spec` (one row per
//! instruction, with its feature and how the fuzzer draws it; see the file's header): the row
//! table, the decision tree that finds a word's row, the features behind `-cpu` and HWCAP, and
//! decoding with a set of features turned off.

use super::fields::*;
use super::fp::{Fp1Op, Fp2Op, Fp3Op, FpInst, FpType};
use super::inst::*;
use super::simd::ImmShift;
use super::simd_types::*;
use super::{branch, crypto, dp, fp, ldst, simd, simd_fp, simd_sat};
use crate::ops::{FpRound, HalfCvt};

/// Which auxv word a feature bit is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HwcapWord {
    /// `AT_HWCAP` (arch/arm64/include/uapi/asm/hwcap.h `HWCAP_*`).
    Hwcap,
    /// `AT_HWCAP2` (`HWCAP2_*`).
    Hwcap2,
}

/// One feature a64x implements and advertises.
#[derive(Clone, Copy, Debug)]
pub struct FeatureDef {
    /// The feature.
    pub feature: Feature,
    /// The name /proc/cpuinfo and `-cpu` use (arch/arm64/kernel/cpuinfo.c `hwcap_str`).
    pub name: &'static str,
    /// The auxv word of its bit.
    pub word: HwcapWord,
    /// Its bit number there.
    pub bit: u32,
    /// The A64 ABI assumes it (glibc does not check), so `-cpu` cannot turn it off.
    pub required: bool,
    /// What it is, for `-cpu help`.
    pub about: &'static str,
}

/// One row of the specification: an instruction.
pub struct Row {
    /// The instruction's name as in the Arm ARM ("ADD (immediate)").
    pub name: &'static str,
    /// The encoding group it is in (the Arm ARM's index).
    pub group: &'static str,
    /// Which bits are fixed.
    pub mask: u32,
    /// Their values.
    pub bits: u32,
    /// Reads the fields and builds the instruction; `Inst::Undefined` where the Arm ARM makes a
    /// combination of them unallocated.
    pub decode: fn(u32) -> Inst,
    /// Whether the generator draws it with any registers and values (false for rows that leave
    /// the sequence or touch memory; the fuzzer classifies those).
    pub fuzz: bool,
    /// The feature that provides it.
    pub feature: Feature,
    /// Mnemonics a disassembler prints for it besides the first word of `name` (its aliases).
    pub aliases: &'static [&'static str],
}

/// An encoding group of the Arm ARM's index whose instructions have rows of their own: a word of
/// its space that none of them takes is unallocated.
pub struct Group {
    /// Its name in the Arm ARM.
    pub name: &'static str,
    /// Which bits are fixed.
    pub mask: u32,
    /// Their values.
    pub bits: u32,
}

impl Row {
    /// The mnemonic (lower case): the first word of the name.
    pub fn mnemonic(&self) -> String {
        self.name.split_whitespace().next().unwrap_or("").to_ascii_lowercase()
    }
}

/// A set of [`Feature`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeatureSet(u64);

impl FeatureSet {
    /// Every feature.
    pub const ALL: FeatureSet = FeatureSet(u64::MAX);

    /// Whether `f` is in the set (`Base` always is).
    pub fn has(self, f: Feature) -> bool {
        f == Feature::Base || self.0 & (1 << f as u32) != 0
    }

    /// The set without `f`.
    pub fn without(self, f: Feature) -> FeatureSet {
        FeatureSet(self.0 & !(1 << f as u32))
    }
}

impl Default for FeatureSet {
    fn default() -> Self {
        FeatureSet::ALL
    }
}

include!(concat!(env!("OUT_DIR"), "/a64_spec.rs"));

/// Decode one instruction word, every feature present.
pub fn decode(word: u32) -> Inst {
    decode_for(word, FeatureSet::ALL)
}

/// Decode one instruction word for a CPU with `features`: an instruction of a feature it lacks
/// is unallocated there, as on hardware without it.
pub fn decode_for(word: u32, features: FeatureSet) -> Inst {
    match row_index(word) {
        Some(i) if features.has(TABLE[i].feature) => (TABLE[i].decode)(word),
        _ => Inst::Undefined,
    }
}

/// The table row an instruction word falls in, if any.
pub fn decode_row(word: u32) -> Option<&'static Row> {
    row_index(word).map(|i| &TABLE[i])
}

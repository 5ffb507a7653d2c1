//! a64x-translator: translation of AArch64 (A64) guest code to x86-64 host code, with no
//! knowledge of the operating system. Pipeline: [`a64`] decode -> [`lift`] to [`ir`] ->
//! [`opt`] passes -> [`x64`] emission -> [`cache`].
#![warn(missing_docs)]

// The tests' stand-in platform (tests/support/platform.rs) names the crate as its users do.
#[cfg(test)]
extern crate self as a64x_translator;

pub mod a64;
pub mod cache;
pub mod confine;
pub mod cpu;
pub mod entrytag;
pub mod fasthash;
pub mod helpers;
pub mod ir;
pub mod lift;
pub mod ops;
pub mod opt;
pub mod platform;
pub mod probe;
pub mod siphash;
pub mod x64;

//! The guest region: every guest memory access emitted code makes is confined to
//! `[0, 2^GUEST_BITS)`, whatever address the guest computes (software fault isolation, in the
//! manner of Wahbe et al. 1993 and NaCl: mask the base, then add a bounded offset).
//!
//! The lifter gives every memory access a base that went through [`ir::Op::Confine`]
//! (`base & GUEST_MASK`, one `and` with a pinned host register), then the access adds its
//! immediate offset (an `i32`) and touches at most 64 bytes. So a confined access lands in
//! `[0, GUEST_LIMIT + GUARD_BYTES)` at worst, or below 0, in the non-canonical or kernel half,
//! where it faults. The VM keeps all of its own memory out of the region and reserves the
//! guard above it with no access, so a confined access reaches only guest memory or faults.
//! Clearing the high bits also gives AArch64's top-byte-ignore for tagged pointers; an address
//! with bits set between 46 and 55 aliases into the region instead of faulting (a known
//! difference from hardware, which would raise SIGSEGV).
//!
//! [`ir::Op::Confine`]: crate::ir::Op::Confine

/// Width of the guest region: 64 TiB of guest address space.
pub const GUEST_BITS: u32 = 46;

/// First address past the guest region.
pub const GUEST_LIMIT: u64 = 1 << GUEST_BITS;

/// `addr & GUEST_MASK` is the confined address.
pub const GUEST_MASK: u64 = GUEST_LIMIT - 1;

/// Bytes above the region a confined access can reach: the largest `i32` offset plus the widest
/// access (64 bytes, DC ZVA), rounded up. The VM reserves them inaccessible.
pub const GUARD_BYTES: u64 = (1 << 31) + (1 << 16);

/// The confined form of a guest address, as emitted code computes it.
pub fn confine(addr: u64) -> u64 {
    addr & GUEST_MASK
}

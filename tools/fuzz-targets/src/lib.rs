//! The bodies of a64x's coverage-guided fuzz targets, one per surface the guest controls
//! (issue "The guest cannot break out", item 7): the ELF loader ([`elf::load`]), the decoder,
//! lifter, passes and x86-64 emitter on random instruction words ([`translate::block`]), and
//! the system-call layer's argument decoding against a guest region with VM memory beside it
//! ([`syscalls::calls`]). `fuzz/` wraps each in a libFuzzer target (`cargo fuzz run NAME`);
//! `tests/corpus.rs` replays the kept corpora and every saved crash input on stable Rust in the
//! project's test command, so what the fuzzer found stays found.
//!
//! Each body panics only on a finding: a VM panic it provokes, an IR block the verifier
//! rejects, emitted bytes that are not x86-64 instructions, VM memory changed or shown by a
//! system call.

pub mod elf;
pub mod syscalls;
pub mod translate;

/// A cursor over fuzz input: values are taken from the front; past the end everything is 0, so
/// every input, however short, is a valid one.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// Whether all input has been taken.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next `n` bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.data.split_at(n.min(self.data.len()));
        self.data = tail;
        head
    }

    /// The next byte.
    pub fn u8(&mut self) -> u8 {
        self.bytes(1).first().copied().unwrap_or(0)
    }

    /// The next little-endian u16.
    pub fn u16(&mut self) -> u16 {
        u16::from(self.u8()) | u16::from(self.u8()) << 8
    }

    /// The next little-endian u32.
    pub fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | u32::from(self.u16()) << 16
    }

    /// The next little-endian u64.
    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | u64::from(self.u32()) << 32
    }
}

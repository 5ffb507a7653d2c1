//! Fuzz body: random bytes as the program a64x is asked to run, through the whole loader
//! (header and program-header checks, segment mapping into a guest address space, the initial
//! stack) and the symbol reader the profiler uses. A finding is a panic, or a mapping outside the
//! guest region.

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::PathBuf;

use a64x::loader::{load_program_with_stack, mapped_symbols, HwCaps};
use a64x::memory::AddressSpace;

/// Load `data` as an executable (from a memfd, as `fexecve` would give it), then undo the
/// mappings. The sysroot is an empty directory, so a PT_INTERP names the host's files only.
pub fn load(data: &[u8]) {
    // SAFETY: a NUL-terminated name; memfd_create has no other preconditions.
    let fd = unsafe { libc::memfd_create(c"a64x-fuzz-elf".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create failed");
    // SAFETY: a descriptor just created and owned by nothing else.
    let file = unsafe { OwnedFd::from_raw_fd(fd) };
    std::fs::File::from(file.try_clone().expect("dup"))
        .write_all(data)
        .expect("write memfd");
    let path = PathBuf::from(format!("/proc/self/fd/{fd}"));
    let sysroot = std::env::temp_dir().join("a64x-fuzz-empty-sysroot");
    let _ = std::fs::create_dir_all(&sysroot);
    let mut mem = AddressSpace::new();
    let argv = [OsString::from("prog"), OsString::from("arg")];
    let envp = [OsString::from("A=1")];
    let loaded = load_program_with_stack(
        &path,
        &argv,
        &envp,
        &mut mem,
        &HwCaps::default(),
        Some(&sysroot),
        1 << 16,
    );
    let limit = a64x_translator::confine::GUEST_LIMIT;
    for r in mem.regions() {
        assert!(
            r.end <= limit,
            "a guest mapping {:#x}-{:#x} outside the region",
            r.start,
            r.end
        );
    }
    if let Ok(image) = loaded {
        assert!(image.stack_pointer < limit && image.stack_pointer % 16 == 0);
    }
    mem.unmap_all();
    let _ = mapped_symbols(&path, data, 0x10_0000, 0);
    drop(file);
}

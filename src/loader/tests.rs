//! Loader tests: hand-built AArch64 ELF images (fs/binfmt_elf.c behaviour: segments, bss, errors)
//! and the initial stack of create_elf_tables parsed back.

use std::ffi::{CStr, OsString};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use a64x_syscalls::GuestMemory;

use super::*;
use crate::memory::{prot, AddressSpace, PAGE_SIZE};

const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PT_PHDR: u32 = 6;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

/// One program header to write.
#[derive(Clone, Copy)]
struct Ph {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
}

#[allow(clippy::too_many_arguments)]
/// An ELF64 file: header (class, data, type, machine as given), program headers at 64, `len`
/// bytes filled with 0xee, then `blobs` written at their offsets.
fn elf(
    class: u8,
    data: u8,
    e_type: u16,
    machine: u16,
    entry: u64,
    phs: &[Ph],
    len: usize,
    blobs: &[(u64, &[u8])],
) -> Vec<u8> {
    let mut f = vec![0xeeu8; len];
    let mut h = Vec::new();
    h.extend(b"\x7fELF");
    h.extend([class, data, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    h.extend(e_type.to_le_bytes());
    h.extend(machine.to_le_bytes());
    h.extend(1u32.to_le_bytes());
    h.extend(entry.to_le_bytes());
    h.extend(64u64.to_le_bytes()); // e_phoff
    h.extend(0u64.to_le_bytes()); // e_shoff
    h.extend(0u32.to_le_bytes()); // e_flags
    h.extend(64u16.to_le_bytes());
    h.extend(56u16.to_le_bytes());
    h.extend((phs.len() as u16).to_le_bytes());
    h.extend([64, 0, 0, 0, 0, 0]); // e_shentsize, e_shnum, e_shstrndx
    for ph in phs {
        h.extend(ph.p_type.to_le_bytes());
        h.extend(ph.flags.to_le_bytes());
        h.extend(ph.offset.to_le_bytes());
        h.extend(ph.vaddr.to_le_bytes());
        h.extend(ph.vaddr.to_le_bytes()); // p_paddr
        h.extend(ph.filesz.to_le_bytes());
        h.extend(ph.memsz.to_le_bytes());
        h.extend(0x1000u64.to_le_bytes());
    }
    let n = h.len().min(len);
    f[..n].copy_from_slice(&h[..n]);
    for &(off, b) in blobs {
        f[off as usize..off as usize + b.len()].copy_from_slice(b);
    }
    f
}

const CODE: &[u8] = &[0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6]; // nop; ret
const DATA: &[u8] = &[0xdd; 0x20];

/// A static program at `b`: text R+X over the headers and code (offset 0, 0x1100 bytes), data
/// RW at b+0x3010 from offset 0x2010 (0x20 bytes) with bss up to b+0x6010.
fn static_exe(e_type: u16, b: u64) -> Vec<u8> {
    text_and_data(e_type, b, 0x2010, b + 0x3010, 0x3000)
}

/// A program at `b`: text R+X over the headers and code (offset 0, 0x1100 bytes), and [`DATA`]
/// R+W at `data_vaddr` from file offset `data_off`, `data_memsz` bytes in memory.
fn text_and_data(e_type: u16, b: u64, data_off: u64, data_vaddr: u64, data_memsz: u64) -> Vec<u8> {
    let phs = [
        Ph {
            p_type: PT_LOAD,
            flags: PF_R | PF_X,
            offset: 0,
            vaddr: b,
            filesz: 0x1100,
            memsz: 0x1100,
        },
        Ph {
            p_type: PT_LOAD,
            flags: PF_R | PF_W,
            offset: data_off,
            vaddr: data_vaddr,
            filesz: DATA.len() as u64,
            memsz: data_memsz,
        },
    ];
    let len = (data_off as usize + DATA.len()).next_multiple_of(0x100);
    elf(
        2,
        1,
        e_type,
        183,
        b + 0x1000,
        &phs,
        len,
        &[(0x1000, CODE), (data_off, DATA)],
    )
}

/// Writes `bytes` to a test-private temporary file.
fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("a64x-loader-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn os(v: &[&str]) -> Vec<OsString> {
    v.iter().map(OsString::from).collect()
}

fn read_u64(a: u64) -> u64 {
    unsafe { (a as *const u64).read() }
}

fn read_cstr(a: u64) -> String {
    unsafe { CStr::from_ptr(a as *const libc::c_char) }
        .to_string_lossy()
        .into_owned()
}

fn bytes_at(a: u64, n: usize) -> Vec<u8> {
    unsafe { std::slice::from_raw_parts(a as *const u8, n) }.to_vec()
}

const HW: HwCaps = HwCaps {
    hwcap: 0x1234,
    hwcap2: 0x5678,
};

#[test]
fn static_segments_land_with_zeroed_bss() {
    let b = 0x1000_0000_0000 + (20u64 << 32);
    let path = file("static", &static_exe(2, b));
    let mut mem = AddressSpace::new();
    let img = load_program(&path, &os(&["prog"]), &[], &mut mem, &HW, None).unwrap();
    assert_eq!(img.entry, b + 0x1000);
    assert_eq!(img.load_bias, 0);
    assert_eq!(img.brk_base, b + 0x7000);
    assert_eq!(mem.brk(0).now, b + 0x7000);
    assert_eq!(img.phdr, b + 64);
    assert_eq!(img.phnum, 2);
    assert_eq!(bytes_at(b + 0x1000, CODE.len()), CODE);
    assert_eq!(bytes_at(b, 4), b"\x7fELF");
    assert_eq!(bytes_at(b + 0x3010, 0x20), DATA);
    // The file's 0xee after p_filesz must not show: the partial page and the bss are zero.
    assert!(bytes_at(b + 0x3030, 0x3000 - 0x20).iter().all(|&x| x == 0));
    assert!(bytes_at(b + 0x3000, 0x10).iter().all(|&x| x == 0));
    // The text has no bss: its pages are the file's, mapped (as Linux maps them: the rest of its
    // last page shows the file's next bytes), and /proc/self/maps shows the file.
    assert!(bytes_at(b + 0x1100, 0xf00).iter().all(|&x| x == 0xee));
    let text = mem.region_at(b).unwrap();
    assert_eq!(
        (text.start, text.end, text.prot, text.offset),
        (b, b + 0x2000, prot::READ | prot::EXEC, 0)
    );
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!((text.dev, text.inode), (meta.dev(), meta.ino()));
    assert_eq!(std::path::Path::new(&text.name), img.exe_path);
    assert!(mem.region_at(b + 0x2000).is_none());
    let data = mem.region_at(b + 0x3000).unwrap();
    assert_eq!((data.end, data.prot), (b + 0x7000, prot::READ | prot::WRITE));
    assert_eq!(std::path::Path::new(&data.name), img.exe_path);
    assert!(!mem.is_accessible(b, 1, true));
    mem.unmap_all();
    let _ = std::fs::remove_file(path);
}

#[test]
fn segments_sharing_a_page_keep_both_and_their_bss() {
    // Hand-made: data (with bss) starts on the text's last page, at a different file delta.
    let b = 0x1000_0000_0000 + (24u64 << 32);
    let bytes = text_and_data(2, b, 0x2200, b + 0x1200, 0x1000);
    let path = file("shared", &bytes);
    let mut mem = AddressSpace::new();
    load_program(&path, &os(&["p"]), &[], &mut mem, &HW, None).unwrap();
    assert_eq!(bytes_at(b, 4), b"\x7fELF");
    assert_eq!(bytes_at(b + 0x1000, CODE.len()), CODE);
    assert_eq!(bytes_at(b + 0x1200, 0x20), DATA);
    assert!(bytes_at(b + 0x1220, 0x1000 - 0x20).iter().all(|&x| x == 0));
    // The page only the text occupies is the file's; the shared one is not.
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(
        mem.region_at(b).map(|r| (r.end, r.inode)),
        Some((b + 0x1000, meta.ino()))
    );
    assert_eq!(mem.region_at(b + 0x1000).map(|r| r.inode), Some(0));
    mem.unmap_all();
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_file_that_shrinks_after_its_checks_is_refused_without_a_fault() {
    // The VM writes no page mapped from the file: the data segment's contents are read, and the
    // read finds the file shorter; the text's mapped pages beyond the end are never touched.
    let b = 0x1000_0000_0000 + (26u64 << 32);
    let path = file("shrinks", &static_exe(2, b));
    let (f, head, len) = open_elf(&path).unwrap();
    let parsed = elf::parse_from(
        &path,
        &elf::Source::File {
            file: &f,
            head: &head,
            len,
        },
    )
    .unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0x800)
        .unwrap();
    let mut mem = AddressSpace::new();
    let err = image::map_image(&path, &f, &parsed, &mut mem, "x", 0).err().unwrap();
    assert!(err.to_string().contains("segment contents"), "{err}");
    assert_eq!(mem.regions().count(), 0);
    let _ = std::fs::remove_file(path);
}

#[test]
fn static_pie_is_placed_at_an_aligned_base_without_relocation() {
    let mut bytes = static_exe(3, 0);
    // Add a PT_PHDR (replacing nothing: rewrite the header with three entries).
    let phs = [
        Ph {
            p_type: PT_PHDR,
            flags: PF_R,
            offset: 64,
            vaddr: 64,
            filesz: 168,
            memsz: 168,
        },
        Ph {
            p_type: PT_LOAD,
            flags: PF_R | PF_X,
            offset: 0,
            vaddr: 0,
            filesz: 0x1100,
            memsz: 0x1100,
        },
        Ph {
            p_type: PT_LOAD,
            flags: PF_R | PF_W,
            offset: 0x2010,
            vaddr: 0x3010,
            filesz: 0x20,
            memsz: 0x3000,
        },
    ];
    bytes = elf(
        2,
        1,
        3,
        183,
        0x1000,
        &phs,
        bytes.len(),
        &[(0x1000, CODE), (0x2010, DATA)],
    );
    let path = file("pie", &bytes);
    let mut mem = AddressSpace::new();
    let img = load_program(&path, &os(&["pie"]), &[], &mut mem, &HW, None).unwrap();
    let bias = img.load_bias;
    assert!(bias != 0 && bias.is_multiple_of(PAGE_SIZE) && bias + 0x7000 <= crate::memory::GUEST_ADDR_LIMIT);
    assert_eq!(img.entry, bias + 0x1000);
    assert_eq!(img.phdr, bias + 64);
    assert_eq!(img.phnum, 3);
    assert_eq!(bytes_at(bias + 0x1000, CODE.len()), CODE);
    assert_eq!(bytes_at(bias + 0x3010, 0x20), DATA);
    // Unrelocated: the stored entry in the header reads as in the file.
    assert_eq!(read_u64(bias + 24), 0x1000);
    assert_eq!(img.brk_base, bias + 0x7000);
    mem.unmap_all();
    let _ = std::fs::remove_file(path);
}

#[test]
fn initial_stack_parses_back() {
    let b = 0x1000_0000_0000 + (21u64 << 32);
    let path = file("stack", &static_exe(2, b));
    let mut mem = AddressSpace::new();
    let argv = os(&["prog", "one", ""]);
    let envp = os(&["A=1", "PATH=/bin"]);
    let img = load_program(&path, &argv, &envp, &mut mem, &HW, None).unwrap();
    let sp = img.stack_pointer;
    assert_eq!(sp % 16, 0);
    let stack = mem.region_at(sp).unwrap().clone();
    assert_eq!(stack.name, "[stack]");
    assert_eq!(stack.len(), STACK_SIZE);
    assert!(stack.end <= crate::memory::GUEST_ADDR_LIMIT);
    assert!(mem.is_accessible(sp, stack.end - sp, true));
    let mut at = sp;
    let mut next = || {
        let v = read_u64(at);
        at += 8;
        v
    };
    assert_eq!(next(), 3);
    let args: Vec<u64> = (0..3).map(|_| next()).collect();
    assert_eq!(next(), 0);
    let envs: Vec<u64> = (0..2).map(|_| next()).collect();
    assert_eq!(next(), 0);
    let strs = |v: &[u64]| v.iter().map(|&a| read_cstr(a)).collect::<Vec<_>>();
    assert_eq!(strs(&args), ["prog", "one", ""]);
    assert_eq!(strs(&envs), ["A=1", "PATH=/bin"]);
    // Strings in order upwards: argv, then envp, then execfn at the top.
    assert!(args[0] < args[1] && args[2] < envs[0] && envs[1] > envs[0]);
    let mut auxv = std::collections::HashMap::new();
    loop {
        let (k, v) = (next(), next());
        if k == at::NULL {
            break;
        }
        assert!(auxv.insert(k, v).is_none(), "duplicate auxv key {k}");
    }
    assert_eq!(auxv[&at::PAGESZ], 4096);
    assert_eq!(auxv[&at::PHDR], b + 64);
    assert_eq!(auxv[&at::PHENT], 56);
    assert_eq!(auxv[&at::PHNUM], 2);
    assert_eq!(auxv[&at::ENTRY], b + 0x1000);
    assert_eq!(auxv[&at::BASE], 0);
    assert_eq!(auxv[&at::HWCAP], 0x1234);
    assert_eq!(auxv[&at::HWCAP2], 0x5678);
    assert_eq!(auxv[&at::CLKTCK], 100);
    assert_eq!(auxv[&at::SECURE], 0);
    assert_eq!(auxv[&at::MINSIGSTKSZ], MINSIGSTKSZ);
    assert_eq!(auxv[&at::UID], unsafe { libc::getuid() } as u64);
    let rnd = auxv[&at::RANDOM];
    assert!(rnd > at && rnd + 16 <= stack.end);
    assert!(mem.is_accessible(rnd, 16, false));
    assert_eq!(read_cstr(auxv[&at::PLATFORM]), "aarch64");
    let execfn = auxv[&at::EXECFN];
    assert_eq!(read_cstr(execfn), path.to_string_lossy());
    assert!(execfn > envs[1] && execfn + (path.as_os_str().len() as u64) < stack.end - 8);
    mem.unmap_all();
    let _ = std::fs::remove_file(path);
}

#[test]
fn empty_argv_gets_one_empty_argument() {
    let b = 0x1000_0000_0000 + (22u64 << 32);
    let path = file("noargs", &static_exe(2, b));
    let mut mem = AddressSpace::new();
    let img = load_program(&path, &[], &[], &mut mem, &HW, None).unwrap();
    assert_eq!(read_u64(img.stack_pointer), 1);
    assert_eq!(read_cstr(read_u64(img.stack_pointer + 8)), "");
    mem.unmap_all();
    let _ = std::fs::remove_file(path);
}

/// Loads `bytes` and returns the error's message; the load must fail.
fn load_err(name: &str, bytes: &[u8]) -> (LoadError, String) {
    let path = file(name, bytes);
    let mut mem = AddressSpace::new();
    let r = load_program(&path, &os(&["x"]), &[], &mut mem, &HW, None);
    let _ = std::fs::remove_file(&path);
    let e = r.expect_err("load should fail");
    assert_eq!(mem.regions().count(), 0, "nothing stays mapped after {e}");
    let msg = e.to_string();
    assert!(msg.contains(&*path.to_string_lossy()), "{msg}");
    assert!(!msg.contains('\n'));
    (e, msg)
}

#[test]
fn bad_inputs_give_clear_errors() {
    let b = 0x1000_0000_0000 + (23u64 << 32);
    let good = static_exe(2, b);
    let mut mem = AddressSpace::new();
    let missing = std::path::Path::new("/nonexistent/a64x-test");
    let e = load_program(missing, &[], &[], &mut mem, &HW, None).unwrap_err();
    assert!(matches!(e, LoadError::Io { .. }) && e.to_string().contains("/nonexistent/a64x-test"));

    assert!(matches!(
        load_err("text", b"#!/bin/sh\necho hi\n").0,
        LoadError::NotElf { .. }
    ));
    assert!(matches!(load_err("empty", b"").0, LoadError::NotElf { .. }));
    let (e, _) = load_err("short", &good[..40]);
    assert!(matches!(e, LoadError::Truncated { what: "ELF header", .. }));
    let (e, _) = load_err("shortph", &good[..100]);
    assert!(matches!(
        e,
        LoadError::Truncated {
            what: "program headers",
            ..
        }
    ));
    let (e, _) = load_err("shortseg", &good[..0x2020]);
    assert!(matches!(
        e,
        LoadError::Truncated {
            what: "segment contents",
            ..
        }
    ));

    let (e, msg) = load_err("arm32", &elf(1, 1, 2, 40, 0, &[], 64, &[]));
    assert!(matches!(e, LoadError::Class32 { .. }));
    assert!(msg.ends_with("32-bit ELF (ARM aarch32?) is not supported, a64x runs AArch64 (64-bit) programs"));
    let (_, msg) = load_err("x86", &elf(2, 1, 2, 62, 0, &[], 64, &[]));
    assert!(
        msg.ends_with("x86-64 ELF: run it natively, a64x runs AArch64 programs"),
        "{msg}"
    );
    let (e, _) = load_err("be", &elf(2, 2, 2, 183, 0, &[], 64, &[]));
    assert!(matches!(e, LoadError::BigEndian { .. }));
    let (e, msg) = load_err("rel", &elf(2, 1, 1, 183, 0, &[], 64, &[]));
    assert!(matches!(e, LoadError::NotExecutable { e_type: 1, .. }), "{msg}");
    let (e, _) = load_err("core", &elf(2, 1, 4, 183, 0, &[], 64, &[]));
    assert!(matches!(e, LoadError::NotExecutable { e_type: 4, .. }));

    let phs = [
        Ph {
            p_type: PT_INTERP,
            flags: PF_R,
            offset: 0x200,
            vaddr: b + 0x200,
            filesz: 24,
            memsz: 24,
        },
        Ph {
            p_type: PT_LOAD,
            flags: PF_R | PF_X,
            offset: 0,
            vaddr: b,
            filesz: 0x300,
            memsz: 0x300,
        },
    ];
    // (The default sysroot may hold /lib/ld-linux-aarch64.so.1; this name is found nowhere.)
    let missing = b"/nonexistent/a64x-ld.so\0";
    let (e, msg) = load_err("dyn2", &elf(2, 1, 3, 183, b, &phs, 0x300, &[(0x200, missing)]));
    assert!(matches!(e, LoadError::InterpNotFound { .. }), "{msg}");
    assert!(
        msg.starts_with("cannot find the ELF interpreter /nonexistent/a64x-ld.so of ")
            && msg.contains("(looked in ")
            && msg.contains("pass -L SYSROOT"),
        "{msg}"
    );
    let unterminated = b"/nonexistent/a64x-ld.sox";
    let (e, _) = load_err("dyn3", &elf(2, 1, 3, 183, b, &phs, 0x300, &[(0x200, unterminated)]));
    assert!(matches!(e, LoadError::Malformed { .. }));

    let mut ph = Ph {
        p_type: PT_LOAD,
        flags: PF_R,
        offset: 0,
        vaddr: b,
        filesz: 0x200,
        memsz: 0x100,
    };
    let (e, _) = load_err("filesz", &elf(2, 1, 2, 183, b, &[ph], 0x300, &[]));
    assert!(matches!(e, LoadError::Malformed { .. }));
    ph.filesz = 0x100;
    ph.vaddr = b + 8;
    let (e, _) = load_err("congruence", &elf(2, 1, 2, 183, b, &[ph], 0x300, &[]));
    assert!(matches!(e, LoadError::Malformed { .. }));
    ph.vaddr = 1 << 47;
    let (e, _) = load_err("high", &elf(2, 1, 2, 183, b, &[ph], 0x300, &[]));
    assert!(matches!(e, LoadError::AddressUnavailable { .. }));
    let (e, _) = load_err("noload", &elf(2, 1, 2, 183, b, &[], 0x300, &[]));
    assert!(matches!(e, LoadError::Malformed { .. }));
}

#[test]
fn fixed_image_over_vm_memory_is_refused() {
    let vm = vec![1u8; 4 * PAGE_SIZE as usize];
    let b = (vm.as_ptr() as u64).next_multiple_of(PAGE_SIZE);
    let (e, _) = load_err("overvm", &static_exe(2, b));
    assert!(matches!(e, LoadError::AddressUnavailable { .. }));
    assert!(vm.iter().all(|&x| x == 1));
}

#[test]
fn image_at_page_zero_is_refused() {
    // ET_EXEC at address 0 (the ELF fuzz target's find: as root the host lets page 0 be mapped,
    // and the copy of the image to address 0 crashed the VM), and anywhere below 64 KiB.
    for b in [0, 0x1000, 0xf000] {
        let (e, _) = load_err("low", &static_exe(2, b));
        assert!(matches!(e, LoadError::AddressUnavailable { .. }), "{e}");
    }
    let mut mem = AddressSpace::new();
    use a64x_syscalls::GuestMemory;
    let (rw, fixed) = (
        crate::memory::prot::READ,
        crate::memory::map::FIXED | crate::memory::map::PRIVATE,
    );
    let anon = fixed | crate::memory::map::ANONYMOUS;
    assert_eq!(mem.mmap(0, 4096, rw, anon, -1, 0), Err(libc::EPERM));
    assert_eq!(mem.mmap(0x8000, 4096, rw, anon, -1, 0), Err(libc::EPERM));
    // A hint below it is moved, not honoured.
    let p = mem.mmap(
        0x1000,
        4096,
        rw,
        crate::memory::map::PRIVATE | crate::memory::map::ANONYMOUS,
        -1,
        0,
    );
    assert!(p.is_ok_and(|p| p >= 0x1_0000), "{p:?}");
    mem.unmap_all();
}

#[test]
fn arbitrary_bytes_never_panic() {
    // Parsing only (no mapping, which could land anywhere): every truncation and byte flips.
    let good = static_exe(2, 0x40_0000);
    let p = std::path::Path::new("fuzz");
    for n in 0..good.len().min(0x300) {
        let _ = elf::parse(p, &good[..n]);
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20_000 {
        let mut v = good[..0x400].to_vec();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed % 0x180) as usize; // header and program headers
            v[i] = (seed >> 32) as u8;
        }
        if let Ok(e) = elf::parse(p, &v) {
            let _ = elf::function_symbols(&v, &e.header, 0);
        }
    }
}

#[test]
fn function_symbols_come_from_symtab_with_bias() {
    let b = 0x40_0000;
    let mut v = static_exe(2, b);
    v.extend(b"\0main\0data\0\0\0\0\0\0"); // .strtab at 0x2100, padded to 0x2110
    let sym = |name: u32, info: u8, value: u64, size: u64| {
        let mut s = name.to_le_bytes().to_vec();
        s.extend([info, 0]);
        s.extend(1u16.to_le_bytes());
        s.extend(value.to_le_bytes());
        s.extend(size.to_le_bytes());
        s
    };
    v.extend(sym(0, 0, 0, 0)); // .symtab at 0x2110
    v.extend(sym(1, 0x12, b + 0x1000, 8)); // main: STB_GLOBAL, STT_FUNC
    v.extend(sym(6, 0x11, b + 0x3010, 0x20)); // data: STT_OBJECT, not a function
    let shdr = |sh_type: u32, off: u64, size: u64, link: u32, entsize: u64| {
        let mut s = 0u32.to_le_bytes().to_vec();
        s.extend(sh_type.to_le_bytes());
        s.extend([0u8; 16]); // sh_flags, sh_addr
        s.extend(off.to_le_bytes());
        s.extend(size.to_le_bytes());
        s.extend(link.to_le_bytes());
        s.extend(0u32.to_le_bytes());
        s.extend(8u64.to_le_bytes());
        s.extend(entsize.to_le_bytes());
        s
    };
    let shoff = v.len() as u64;
    v.extend(shdr(0, 0, 0, 0, 0));
    v.extend(shdr(2, 0x2110, 72, 2, 24)); // SHT_SYMTAB, linked to section 2
    v.extend(shdr(3, 0x2100, 11, 0, 0)); // SHT_STRTAB
    v[40..48].copy_from_slice(&shoff.to_le_bytes());
    v[60..62].copy_from_slice(&3u16.to_le_bytes());
    let e = elf::parse(std::path::Path::new("syms"), &v).unwrap();
    let syms = elf::function_symbols(&v, &e.header, 0x10);
    assert_eq!(syms, vec![(b + 0x1010, 8, "main".to_string())]);
}

/// The auxiliary vector of the initial stack at `sp`, as a map.
fn auxv_at(sp: u64) -> std::collections::HashMap<u64, u64> {
    let mut at = sp;
    let argc = read_u64(at);
    at += 8 * (argc + 2);
    while read_u64(at) != 0 {
        at += 8;
    }
    at += 8;
    let mut m = std::collections::HashMap::new();
    loop {
        let (k, v) = (read_u64(at), read_u64(at + 8));
        if k == 0 {
            return m;
        }
        m.insert(k, v);
        at += 16;
    }
}

#[test]
fn dynamic_program_gets_its_interpreter_from_the_sysroot() {
    // The "dynamic loader": a PIE-like ET_DYN image at 0 with its entry at 0x1000.
    let root = std::env::temp_dir().join(format!("a64x-loader-{}-sysroot", std::process::id()));
    std::fs::create_dir_all(root.join("lib")).unwrap();
    std::fs::write(root.join("lib/ld-a64x-test.so.1"), static_exe(3, 0)).unwrap();
    // The program: a PIE with PT_INTERP naming it.
    let name = b"/lib/ld-a64x-test.so.1\0";
    let phs = [
        Ph {
            p_type: PT_INTERP,
            flags: PF_R,
            offset: 0x200,
            vaddr: 0x200,
            filesz: name.len() as u64,
            memsz: name.len() as u64,
        },
        Ph {
            p_type: PT_LOAD,
            flags: PF_R | PF_X,
            offset: 0,
            vaddr: 0,
            filesz: 0x1100,
            memsz: 0x1100,
        },
    ];
    let prog = elf(2, 1, 3, 183, 0x1040, &phs, 0x1100, &[(0x200, name), (0x1000, CODE)]);
    let path = file("dynprog", &prog);
    let mut mem = AddressSpace::new();
    let img = load_program(&path, &os(&["p"]), &[], &mut mem, &HW, Some(&root)).unwrap();
    let base = img.interp_base;
    assert!(base != 0 && base.is_multiple_of(PAGE_SIZE) && base + 0x7000 <= crate::memory::GUEST_ADDR_LIMIT);
    assert_ne!(base, img.load_bias);
    assert_eq!(img.entry, base + 0x1000, "execution starts in the interpreter");
    assert_eq!(img.program_entry, img.load_bias + 0x1040);
    assert_eq!(bytes_at(base + 0x1000, CODE.len()), CODE);
    assert_eq!(bytes_at(base + 0x3010, 0x20), DATA);
    assert_eq!(img.sysroot.as_deref(), Some(root.as_path()));
    let ld = std::fs::canonicalize(root.join("lib/ld-a64x-test.so.1")).unwrap();
    assert_eq!(img.interp_path.as_deref(), Some(ld.as_path()));
    assert_eq!(mem.region_at(base + 0x1000).unwrap().name, ld.to_string_lossy());
    let auxv = auxv_at(img.stack_pointer);
    assert_eq!(auxv[&at::BASE], base);
    assert_eq!(auxv[&at::ENTRY], img.program_entry);
    assert_eq!(auxv[&at::PHDR], img.load_bias + 64);
    // brk follows the program, not the interpreter.
    assert_eq!(img.brk_base, img.load_bias + 0x2000);
    mem.unmap_all();

    // An explicit sysroot without it: not found, and the message lists where it looked.
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = load_program(&path, &os(&["p"]), &[], &mut mem, &HW, Some(&empty)).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LoadError::InterpNotFound { .. }), "{msg}");
    let tried = format!("{}/lib/ld-a64x-test.so.1, /lib/ld-a64x-test.so.1", empty.display());
    assert!(msg.contains(&tried), "{msg}");
    assert_eq!(mem.regions().count(), 0);

    // A sysroot loader that is not AArch64: named in the error, nothing left mapped.
    let mut x86 = static_exe(3, 0);
    x86[18] = 62;
    std::fs::write(empty.join("ld.so"), x86).unwrap();
    std::fs::create_dir_all(empty.join("lib")).unwrap();
    std::fs::rename(empty.join("ld.so"), empty.join("lib/ld-a64x-test.so.1")).unwrap();
    let e = load_program(&path, &os(&["p"]), &[], &mut mem, &HW, Some(&empty)).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LoadError::Interp { .. }), "{msg}");
    assert!(
        msg.contains("cannot load its ELF interpreter") && msg.contains("x86-64"),
        "{msg}"
    );
    assert_eq!(mem.regions().count(), 0);

    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn default_sysroot_only_for_dynamic_programs() {
    assert_eq!(
        interp::sysroot_for(Some(Path::new("/x")), false),
        Some(PathBuf::from("/x"))
    );
    assert_eq!(interp::sysroot_for(Some(Path::new("")), false), None);
    assert_eq!(interp::sysroot_for(None, false), None);
    let default = Path::new(DEFAULT_SYSROOT)
        .is_dir()
        .then(|| PathBuf::from(DEFAULT_SYSROOT));
    assert_eq!(interp::sysroot_for(None, true), default);
    assert_eq!(
        interp::candidates(b"/lib/ld.so", Some(Path::new("/r"))),
        [PathBuf::from("/r/lib/ld.so"), PathBuf::from("/lib/ld.so")]
    );
    assert_eq!(
        interp::candidates(b"ld.so", Some(Path::new("/r"))),
        [PathBuf::from("ld.so")]
    );
}

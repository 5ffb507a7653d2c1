//! /proc for the guest, the VM's half: the text of `/proc/self/maps` from the guest's mappings
//! (fs/proc/task_mmu.c `show_map_vma`), and the auxiliary vector the loader put on the initial
//! stack (fs/binfmt_elf.c `create_elf_tables`), kept for `/proc/self/auxv`. The syscall layer
//! serves both files (a64x-syscalls `procfs`). Other processes read `/proc/PID/cmdline` and
//! `environ` from the kernel, which is told where the guest's strings are ([`publish_areas`]).

use crate::memory::{prot, AddressSpace};
use a64x_syscalls::GuestMemory;

/// Column at which the kernel starts the path of a mapping: `seq_setwidth(m, 25 + 6 * 8 - 1)`,
/// then one more space from `seq_pad`.
const NAME_COLUMN: usize = 72;

/// `/proc/self/maps` for the guest: one line per guest mapping, in address order,
/// `start-end perms offset major:minor inode [path]`, laid out as the kernel does (an unnamed
/// mapping keeps the space after the inode).
pub fn maps(mem: &AddressSpace) -> String {
    let mut out = String::new();
    for r in mem.regions() {
        let flag = |bit: i32, c: char| if r.prot & bit != 0 { c } else { '-' };
        let mut line = format!(
            "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
            r.start,
            r.end,
            flag(prot::READ, 'r'),
            flag(prot::WRITE, 'w'),
            flag(prot::EXEC, 'x'),
            if r.shared { 's' } else { 'p' },
            r.offset,
            libc::major(r.dev),
            libc::minor(r.dev),
            r.inode
        );
        if !r.name.is_empty() {
            while line.len() < NAME_COLUMN {
                line.push(' ');
            }
            line.push(' ');
            line.push_str(&r.name);
        }
        line.push('\n');
        out.push_str(&line);
    }
    out
}

/// The word at guest address `at`, if readable.
fn stack_word(mem: &AddressSpace, at: u64) -> Option<u64> {
    // A probed read: a readable page may still fault (a truncated file's). Unaligned words are
    // read as two, each within its page when the first is.
    if !mem.is_accessible(at, 8, false) {
        return None;
    }
    if at.is_multiple_of(8) {
        return a64x_translator::probe::read_u64(at);
    }
    let (lo, hi) = (at & !7, (at & !7) + 8);
    let shift = 8 * (at & 7) as u32;
    Some((a64x_translator::probe::read_u64(lo)? >> shift) | (a64x_translator::probe::read_u64(hi)? << (64 - shift)))
}

/// Bound on the words read while walking the initial stack (argc, argv, envp, auxv).
const MAX_STACK_WORDS: usize = 1 << 20;

/// The auxiliary vector on the freshly built initial stack at `sp` (argc, argv..., NULL,
/// envp..., NULL, then (key, value) pairs up to AT_NULL), AT_NULL included. Empty if the stack
/// cannot be walked (it always can right after loading).
pub fn initial_auxv(mem: &AddressSpace, sp: u64) -> Vec<(u64, u64)> {
    let word = |at: u64| stack_word(mem, at);
    let walk = || -> Option<Vec<(u64, u64)>> {
        let argc = word(sp)?;
        // Past argc, argv[0..argc] and its NULL.
        let mut at = sp.checked_add(argc.checked_add(2)?.checked_mul(8)?)?;
        let mut n = 0;
        while word(at)? != 0 {
            at += 8;
            n += 1;
            if n > MAX_STACK_WORDS {
                return None;
            }
        }
        at += 8;
        let mut auxv = Vec::new();
        loop {
            let (k, v) = (word(at)?, word(at + 8)?);
            auxv.push((k, v));
            if k == 0 || auxv.len() > MAX_STACK_WORDS {
                return Some(auxv);
            }
            at += 16;
        }
    };
    walk().unwrap_or_default()
}

/// Where the argument and environment strings of the freshly built initial stack at `sp` are
/// (the kernel's `mm->arg_start..arg_end`, `env_start..env_end`): from the first string of
/// each list to the NUL after its last. Empty areas where a list is empty or unreadable.
pub fn initial_areas(mem: &AddressSpace, sp: u64) -> a64x_syscalls::procfs::ProcessAreas {
    let word = |at: u64| stack_word(mem, at);
    // The end of the NUL-terminated string at `p` (past its NUL).
    let string_end = |p: u64| -> Option<u64> {
        for at in p..p.checked_add(1 << 20)? {
            if !mem.is_accessible(at, 1, false) {
                return None;
            }
            // SAFETY: readable guest memory, checked above.
            if unsafe { *(at as *const u8) } == 0 {
                return Some(at + 1);
            }
        }
        None
    };
    // The area of the pointer list starting at `at` (NULL-terminated), and the word after it.
    let area = |mut at: u64| -> Option<((u64, u64), u64)> {
        let (mut first, mut last) = (None, None);
        for _ in 0..MAX_STACK_WORDS {
            let p = word(at)?;
            at += 8;
            if p == 0 {
                let area = match (first, last) {
                    (Some(f), Some(l)) => (f, string_end(l)?),
                    _ => (0, 0),
                };
                return Some((area, at));
            }
            first.get_or_insert(p);
            last = Some(p);
        }
        None
    };
    let walk = || {
        let (arg, after) = area(sp.checked_add(8)?)?;
        let (env, _) = area(after)?;
        Some(a64x_syscalls::procfs::ProcessAreas { arg, env })
    };
    walk().unwrap_or_default()
}

/// `struct prctl_mm_map` (include/uapi/linux/prctl.h), which the libc crate does not have.
#[repr(C)]
#[derive(Debug, Default)]
struct PrctlMmMap {
    start_code: u64,
    end_code: u64,
    start_data: u64,
    end_data: u64,
    start_brk: u64,
    brk: u64,
    start_stack: u64,
    arg_start: u64,
    arg_end: u64,
    env_start: u64,
    env_end: u64,
    auxv: u64,
    auxv_size: u32,
    exe_fd: u32,
}

/// `prctl(PR_SET_MM, PR_SET_MM_MAP, ...)`.
const PR_SET_MM: libc::c_int = 35;
const PR_SET_MM_MAP: libc::c_ulong = 14;

/// Tell the kernel that this process's argument and environment strings are the guest's
/// (`mm->arg_start..arg_end`, `env_start..env_end`), so that another process reading
/// `/proc/PID/cmdline` or `environ` (ps, pgrep and pkill -f, killall, pidof: in the guest or on
/// the host) sees the guest's command line, as it would on an arm64 machine, rather than the
/// VM's (`a64x -L ROOT ROOT/usr/bin/env ...`, the first program's even after an exec in place),
/// and a guest that rewrites its argv strings (setproctitle: PostgreSQL's and nginx's process
/// titles) is seen doing so. The strings lie in the guest stack, an anonymous mapping, which the
/// kernel reads them from. PR_SET_MM_MAP needs no privilege but takes the whole map: the other
/// fields are this process's own, from `/proc/self/stat` and the current break (the VM's heap
/// may be there), so nothing else changes. Where it fails (a seccomp filter, no /proc) the
/// kernel keeps the VM's command line, as before; whether it took is returned.
pub fn publish_areas(areas: &a64x_syscalls::procfs::ProcessAreas) -> bool {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return false;
    };
    let Some(fields) = a64x_syscalls::procfs::stat_fields(&stat) else {
        return false;
    };
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap_or(0u64);
    let (arg_start, arg_end) = areas.arg;
    if arg_start == 0 || arg_start >= arg_end {
        return false;
    }
    // An empty environment is an empty area where the arguments end (the kernel's layout).
    let env = if areas.env.0 == 0 {
        (arg_end, arg_end)
    } else {
        areas.env
    };
    // SAFETY: sbrk(0) reads the current break.
    let brk = unsafe { libc::sbrk(0) } as u64;
    let map = PrctlMmMap {
        start_code: field(26),
        end_code: field(27),
        start_stack: field(28),
        start_data: field(45),
        end_data: field(46),
        start_brk: field(47),
        brk,
        arg_start,
        arg_end,
        env_start: env.0,
        env_end: env.1,
        auxv: 0,
        auxv_size: 0,
        exe_fd: u32::MAX,
    };
    // SAFETY: PR_SET_MM_MAP reads `size` bytes of the map; auxv_size 0 leaves the auxv alone
    // and exe_fd -1 the exe link.
    let r = unsafe {
        libc::prctl(
            PR_SET_MM,
            PR_SET_MM_MAP,
            &map as *const PrctlMmMap,
            std::mem::size_of::<PrctlMmMap>() as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    r == 0
}

//! The AArch64 registers as gdb numbers them (gdb's aarch64 target description: x0-x30, sp, pc,
//! cpsr, then v0-v31, fpsr, fpcr), the target description a64x sends for them (the
//! `org.gnu.gdb.aarch64.core` and `org.gnu.gdb.aarch64.fpu` features), and the signal numbers
//! of the remote protocol (gdb's own, include/gdb/signals.def) for Linux's.

use a64x_translator::cpu::CpuState;

/// x0-x30, sp, pc, cpsr, v0-v31, fpsr, fpcr.
pub const COUNT: usize = 68;
const SP: usize = 31;
const PC: usize = 32;
const CPSR: usize = 33;
const V0: usize = 34;
const FPSR: usize = 66;
const FPCR: usize = 67;

/// The bytes of register `n` (target order: little-endian); None past the last.
pub fn read(cpu: &CpuState, n: usize) -> Option<Vec<u8>> {
    Some(match n {
        0..=30 => cpu.x[n].to_le_bytes().to_vec(),
        SP => cpu.sp.to_le_bytes().to_vec(),
        PC => cpu.pc.to_le_bytes().to_vec(),
        CPSR => (cpu.nzcv() as u32).to_le_bytes().to_vec(),
        V0..=65 => {
            let v = cpu.v[n - V0];
            [v[0].to_le_bytes(), v[1].to_le_bytes()].concat()
        }
        FPSR => (cpu.fpsr_value() as u32).to_le_bytes().to_vec(),
        FPCR => (cpu.fpcr as u32).to_le_bytes().to_vec(),
        _ => return None,
    })
}

/// Write register `n` from `bytes` (of its size); false for a bad number or size.
pub fn write(cpu: &mut CpuState, n: usize, bytes: &[u8]) -> bool {
    let u64_of = |b: &[u8]| b.try_into().ok().map(u64::from_le_bytes);
    let u32_of = |b: &[u8]| b.try_into().ok().map(|a| u32::from_le_bytes(a) as u64);
    match n {
        0..=30 | SP | PC => {
            let Some(v) = u64_of(bytes) else { return false };
            match n {
                SP => cpu.sp = v,
                PC => cpu.pc = v,
                _ => cpu.x[n] = v,
            }
        }
        CPSR | FPSR | FPCR => {
            let Some(v) = u32_of(bytes) else { return false };
            match n {
                CPSR => cpu.set_nzcv(v & 0xf000_0000),
                FPSR => cpu.set_fpsr(v),
                _ => cpu.set_fpcr(v),
            }
        }
        V0..=65 => {
            if bytes.len() != 16 {
                return false;
            }
            let lo = u64_of(&bytes[..8]).unwrap_or(0);
            let hi = u64_of(&bytes[8..]).unwrap_or(0);
            cpu.v[n - V0] = [lo, hi];
        }
        _ => return false,
    }
    true
}

/// All registers in order (the `g` packet).
pub fn read_all(cpu: &CpuState) -> Vec<u8> {
    (0..COUNT).filter_map(|n| read(cpu, n)).flatten().collect()
}

/// Write all registers from the `G` packet's bytes; false if they are not all there.
pub fn write_all(cpu: &mut CpuState, bytes: &[u8]) -> bool {
    let mut copy = cpu.clone();
    let mut at = 0;
    for n in 0..COUNT {
        let size = read(&copy, n).map_or(0, |b| b.len());
        let Some(chunk) = bytes.get(at..at + size) else {
            return false;
        };
        if !write(&mut copy, n, chunk) {
            return false;
        }
        at += size;
    }
    *cpu = copy;
    true
}

/// The target description (`qXfer:features:read:target.xml`).
pub fn target_xml() -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target>\n\
         <architecture>aarch64</architecture>\n<osabi>GNU/Linux</osabi>\n\
         <feature name=\"org.gnu.gdb.aarch64.core\">\n",
    );
    for i in 0..31 {
        s += &format!("<reg name=\"x{i}\" bitsize=\"64\" regnum=\"{i}\"/>\n");
    }
    s += "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>\n\
          <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>\n\
          <reg name=\"cpsr\" bitsize=\"32\"/>\n</feature>\n\
          <feature name=\"org.gnu.gdb.aarch64.fpu\">\n";
    // The lanes of a V register, as gdb shows them: $v0.d.f[1], $v0.s.u[3], $v0.b.s[15], $v0.q.u.
    let lanes = [
        ("d", &[("f", "ieee_double"), ("u", "uint64"), ("s", "int64")][..], 2),
        ("s", &[("f", "ieee_single"), ("u", "uint32"), ("s", "int32")][..], 4),
        ("h", &[("u", "uint16"), ("s", "int16")][..], 8),
        ("b", &[("u", "uint8"), ("s", "int8")][..], 16),
        ("q", &[("u", "uint128"), ("s", "int128")][..], 1),
    ];
    for (name, kinds, count) in lanes {
        for (k, ty) in kinds {
            s += &format!("<vector id=\"v{name}{k}\" type=\"{ty}\" count=\"{count}\"/>\n");
        }
        s += &format!("<union id=\"vn{name}\">\n");
        for (k, _) in kinds {
            s += &format!("<field name=\"{k}\" type=\"v{name}{k}\"/>\n");
        }
        s += "</union>\n";
    }
    s += "<union id=\"aarch64v\">\n";
    for (name, _, _) in lanes {
        s += &format!("<field name=\"{name}\" type=\"vn{name}\"/>\n");
    }
    s += "</union>\n";
    for i in 0..32 {
        s += &format!(
            "<reg name=\"v{i}\" bitsize=\"128\" type=\"aarch64v\" regnum=\"{}\"/>\n",
            V0 + i
        );
    }
    s += "<reg name=\"fpsr\" bitsize=\"32\"/>\n<reg name=\"fpcr\" bitsize=\"32\"/>\n</feature>\n</target>\n";
    s
}

/// gdb's number of Linux signal `sig` (include/gdb/signals.def; 143: unknown).
pub fn to_gdb(sig: u32) -> u8 {
    const LOW: [u8; 32] = [
        0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15, 143, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23,
        32, 12,
    ];
    match sig {
        0..=31 => LOW[sig as usize],
        32 => 77,
        33..=63 => (sig + 12) as u8,
        64 => 78,
        _ => 143,
    }
}

/// The Linux signal of gdb's number `n`, if there is one.
pub fn from_gdb(n: u8) -> Option<u32> {
    (0..=64).find(|&s| to_gdb(s) == n && (s != 0 || n == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_round_trip_in_gdbs_order() {
        let mut cpu = CpuState::default();
        for i in 0..31 {
            cpu.x[i] = 0x1000 + i as u64;
        }
        cpu.sp = 0xfff0;
        cpu.pc = 0x40_0000;
        cpu.set_nzcv(0x6000_0000);
        cpu.v[3] = [0x1111, 0x2222];
        let all = read_all(&cpu);
        // 33 x 8 (x0-x30, sp, pc) + 4 (cpsr) + 32 x 16 + 4 + 4.
        assert_eq!(all.len(), 33 * 8 + 4 + 32 * 16 + 8);
        assert_eq!(&all[31 * 8..32 * 8], &0xfff0u64.to_le_bytes());
        assert_eq!(&all[264..268], &0x6000_0000u32.to_le_bytes());
        let mut other = CpuState::default();
        assert!(write_all(&mut other, &all));
        assert_eq!(read_all(&other), all);
        assert!(!write_all(&mut other, &all[..100]));
        assert!(write(&mut other, PC, &8u64.to_le_bytes()) && other.pc == 8);
        assert!(!write(&mut other, PC, &[1, 2]));
        assert!(read(&other, COUNT).is_none());
    }

    #[test]
    fn signal_numbers() {
        // SIGBUS 7 -> 10, SIGUSR1 10 -> 30, SIGSEGV 11 -> 11, SIGCHLD 17 -> 20, SIGSYS 31 -> 12.
        assert_eq!([7, 10, 11, 17, 31].map(to_gdb), [10, 30, 11, 20, 12]);
        assert_eq!((to_gdb(32), to_gdb(33), to_gdb(63), to_gdb(64)), (77, 45, 75, 78));
        for s in (1..=64).filter(|&s| s != 16) {
            assert_eq!(from_gdb(to_gdb(s)), Some(s));
        }
        assert!(target_xml().contains("<reg name=\"v31\" bitsize=\"128\" type=\"aarch64v\" regnum=\"65\"/>"));
    }
}

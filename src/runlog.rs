//! `-d exec,cpu,unimp`: what the run loop logs about blocks as they run and about what the guest
//! used that a64x does not implement, through the translator's log sink (stderr or `-D FILE`).

use a64x_syscalls::Kind;
use a64x_translator::cache::debuglog::{self, write as log};
use a64x_translator::cpu::CpuState;

/// The run-time items of `-d`.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunLog {
    /// Each block entered: `Trace: PC`.
    pub exec: bool,
    /// The registers at each block entry.
    pub cpu: bool,
    /// Undefined instructions and unimplemented syscalls, every time.
    pub unimp: bool,
}

impl RunLog {
    /// Whether the run loop must see every block (no chaining, no jump cache).
    pub fn per_block(&self) -> bool {
        self.exec || self.cpu
    }

    /// Log the block about to run at `cpu.pc`, if asked for and it passes `-dfilter`.
    pub fn block(&self, cpu: &CpuState) {
        if !self.per_block() || !debuglog::wanted(cpu.pc) {
            return;
        }
        let mut text = String::new();
        if self.exec {
            text += &format!("Trace: {:#018x}\n", cpu.pc);
        }
        if self.cpu {
            text += &cpu_dump(cpu);
        }
        log(format_args!("{text}"));
    }

    /// Log an undefined or unimplemented instruction at `pc`.
    pub fn undefined(&self, pc: u64, word: Option<u32>) {
        if self.unimp {
            let word = word.map_or("?".to_string(), |w| format!("{w:#010x}"));
            log(format_args!("unimp: undefined instruction {word} at {pc:#x}\n"));
        }
    }

    /// Log syscall `nr` at `pc` if a64x does not implement it.
    pub fn syscall(&self, nr: u64, pc: u64) {
        if !self.unimp {
            return;
        }
        let def = a64x_syscalls::table::lookup(nr);
        if matches!(def.map(|d| d.kind), None | Some(Kind::Unsupported)) {
            let name = def.map_or("unknown", |d| d.name);
            log(format_args!("unimp: syscall {nr} ({name}) at {pc:#x}: ENOSYS\n"));
        }
    }
}

/// The guest registers, as qemu's `-d cpu` shows them for AArch64: four to a line.
pub fn cpu_dump(cpu: &CpuState) -> String {
    let mut s = format!(" PC={:016x}", cpu.pc);
    for (i, x) in cpu.x.iter().enumerate().take(31) {
        let sep = if (i + 1) % 4 == 0 { "\n" } else { " " };
        s += &format!("{sep}X{i:02}={x:016x}");
    }
    let n = cpu.nzcv() >> 28;
    let flag = |bit: u64, c: char| if n & bit != 0 { c.to_ascii_uppercase() } else { '-' };
    s += &format!(
        " SP={:016x}\nPSTATE={:08x} {}{}{}{}\n",
        cpu.sp,
        cpu.nzcv(),
        flag(8, 'n'),
        flag(4, 'z'),
        flag(2, 'c'),
        flag(1, 'v')
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_dump_shape() {
        let mut x = [0; 31];
        x[30] = 0x1234;
        let cpu = CpuState {
            pc: 0x400000,
            x,
            ..CpuState::default()
        };
        let d = cpu_dump(&cpu);
        assert!(d.starts_with(" PC=0000000000400000 X00=0000000000000000"), "{d}");
        assert!(d.contains("X30=0000000000001234 SP="), "{d}");
        assert_eq!(d.lines().count(), 9, "{d}");
    }
}

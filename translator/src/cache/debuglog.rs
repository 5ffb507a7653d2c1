//! What `-d` logs and which blocks it covers: the guest address ranges of `-dfilter` (qemu's
//! `addr+size`, `addr-size`, `addr..end` forms). The text goes to the VM's log
//! ([`Platform::log`](crate::platform::Platform::log): stderr or the file of `-D`).

use std::fmt;
use std::sync::OnceLock;

/// What to print about each block translated (`-d in_asm,ir,out_asm`) and run (`-d exec,cpu`).
#[derive(Debug, Default, Clone, Copy)]
pub struct DebugLog {
    /// The decoded guest instructions.
    pub in_asm: bool,
    /// The IR after the passes.
    pub ir: bool,
    /// The emitted host code.
    pub out_asm: bool,
}

impl DebugLog {
    /// Whether anything is logged at translation time.
    pub fn any(&self) -> bool {
        self.in_asm || self.ir || self.out_asm
    }
}

static FILTER: OnceLock<Vec<(u64, u64)>> = OnceLock::new();

/// Log only blocks starting in `ranges` (`[start, end)` pairs; once, at startup).
pub fn set_filter(ranges: Vec<(u64, u64)>) {
    let _ = FILTER.set(ranges);
}

/// Whether a block at guest `pc` passes the `-dfilter` ranges (all do without a filter).
pub fn wanted(pc: u64) -> bool {
    FILTER
        .get()
        .is_none_or(|r| r.is_empty() || r.iter().any(|&(s, e)| pc >= s && pc < e))
}

/// Write to the VM's log, the whole text at once (so threads' lines do not interleave).
pub fn write(args: fmt::Arguments) {
    crate::platform::get().log(&args.to_string());
}

/// Parse `-dfilter`'s comma-separated ranges as qemu reads them: `START+SIZE`, `END-SIZE` (the
/// SIZE bytes ending at END, inclusive), `START..END` (END inclusive) or one address.
/// Numbers are hex with 0x, octal with 0, else decimal.
pub fn parse_filter(text: &str) -> Result<Vec<(u64, u64)>, String> {
    let num = |s: &str| -> Result<u64, String> {
        let s = s.trim();
        let r = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            u64::from_str_radix(h, 16)
        } else if s.len() > 1 && s.starts_with('0') {
            u64::from_str_radix(&s[1..], 8)
        } else {
            s.parse()
        };
        r.map_err(|_| format!("bad number `{s}` in -dfilter"))
    };
    let mut out = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let range = if let Some((a, b)) = part.split_once("..") {
            let (a, b) = (num(a)?, num(b)?);
            if b < a {
                return Err(format!("empty range `{part}` in -dfilter"));
            }
            (a, b.saturating_add(1))
        } else if let Some((a, b)) = part.split_once('+') {
            let (a, n) = (num(a)?, num(b)?);
            if n == 0 {
                return Err(format!("empty range `{part}` in -dfilter"));
            }
            (a, a.saturating_add(n))
        } else if let Some((a, b)) = part.split_once('-') {
            let (a, n) = (num(a)?, num(b)?);
            if n == 0 || n > a.saturating_add(1) {
                return Err(format!("bad range `{part}` in -dfilter"));
            }
            (a + 1 - n, a.saturating_add(1))
        } else {
            let a = num(part)?;
            (a, a.saturating_add(1))
        };
        out.push(range);
    }
    if out.is_empty() {
        return Err("-dfilter needs at least one range".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_forms() {
        assert_eq!(parse_filter("0x1000+0x10").unwrap(), vec![(0x1000, 0x1010)]);
        assert_eq!(parse_filter("0x1000..0x100f").unwrap(), vec![(0x1000, 0x1010)]);
        assert_eq!(parse_filter("0x100f-0x10").unwrap(), vec![(0x1000, 0x1010)]);
        assert_eq!(
            parse_filter("4096,0x2000+4").unwrap(),
            vec![(4096, 4097), (0x2000, 0x2004)]
        );
        assert_eq!(parse_filter("010").unwrap(), vec![(8, 9)]);
        for bad in ["", "0x10..0x1", "zz", "0x10+0", "0x1-0x10", "1+x"] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }
}

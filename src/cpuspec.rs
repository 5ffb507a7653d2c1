//! The CPU the guest is told about (`-cpu`): the features a64x implements (declared in the
//! decoder's specification, `translator/src/a64/instructions.spec`, by the names Linux's
//! /proc/cpuinfo gives them and their AT_HWCAP/AT_HWCAP2 bits), the models qemu's users name
//! (`max`, and the cores of common arm64 machines with the features they have), and the
//! feature list `-cpu help` prints. The decoder makes the instructions of a feature turned off
//! unallocated, as on a core without it.

use a64x_translator::a64::FeatureSet;
pub use a64x_translator::a64::{FeatureDef as CpuFeature, HwcapWord, FEATURES as CPU_FEATURES};

/// A CPU model `-cpu` (and QEMU_CPU) may name: a set of [`CPU_FEATURES`].
pub struct CpuModel {
    /// Its name, as qemu's `-cpu` spells it.
    pub name: &'static str,
    /// What it is, for `-cpu help`.
    pub about: &'static str,
    /// The features it has (None: all of them).
    features: Option<&'static [&'static str]>,
}

impl CpuModel {
    /// The features this model advertises.
    fn spec(&self) -> CpuSpec {
        let Some(names) = self.features else {
            return CpuSpec::default();
        };
        let mut spec = CpuSpec {
            help: false,
            hwcap: 0,
            hwcap2: 0,
        };
        for f in CPU_FEATURES.iter().filter(|f| f.required || names.contains(&f.name)) {
            spec.set(f, true);
        }
        spec
    }
}

/// The Armv8.0 cores' features: what /proc/cpuinfo shows on a Cortex-A53/A57/A72 (Raspberry Pi
/// 3/4, the first arm64 servers), less `evtstrm` and `cpuid`, which a64x does not advertise.
const ARMV8_0_CRYPTO: &[&str] = &["fp", "asimd", "aes", "pmull", "sha1", "sha2", "crc32"];

/// A Cortex-A76 / Neoverse-N1 (Armv8.2: Graviton 2, Ampere Altra, Raspberry Pi 5), as far as
/// a64x implements its features: `dcpop` is not advertised.
const ARMV8_2_N1: &[&str] = &[
    "fp", "asimd", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "fphp", "asimdhp", "asimdrdm", "lrcpc",
    "asimddp", "ssbs",
];

/// The models `-cpu` knows, `max` first.
pub const CPU_MODELS: &[CpuModel] = &[
    CpuModel {
        name: "max",
        about: "every feature a64x implements (the default)",
        features: None,
    },
    CpuModel {
        name: "cortex-a53",
        about: "Armv8.0 with the crypto extension and CRC32",
        features: Some(ARMV8_0_CRYPTO),
    },
    CpuModel {
        name: "cortex-a57",
        about: "Armv8.0 with the crypto extension and CRC32",
        features: Some(ARMV8_0_CRYPTO),
    },
    CpuModel {
        name: "cortex-a72",
        about: "Armv8.0 with the crypto extension and CRC32",
        features: Some(ARMV8_0_CRYPTO),
    },
    CpuModel {
        name: "cortex-a76",
        about: "Armv8.2: LSE atomics, FP16, RDM, LRCPC, dot product, SSBS",
        features: Some(ARMV8_2_N1),
    },
    CpuModel {
        name: "neoverse-n1",
        about: "as cortex-a76",
        features: Some(ARMV8_2_N1),
    },
];

/// The value of `-cpu`: the features advertised, or a request for the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuSpec {
    /// `-cpu help`: print the models and features and exit.
    pub help: bool,
    /// AT_HWCAP bits advertised.
    pub hwcap: u64,
    /// AT_HWCAP2 bits advertised.
    pub hwcap2: u64,
}

impl Default for CpuSpec {
    fn default() -> Self {
        let mut s = CpuSpec {
            help: false,
            hwcap: 0,
            hwcap2: 0,
        };
        for f in CPU_FEATURES {
            s.set(f, true);
        }
        s
    }
}

impl CpuSpec {
    /// Parses `help`, `max`, or `max,` followed by comma-separated `-NAME`, `+NAME`, `NAME`,
    /// `NAME=on|off` (qemu's forms), applied left to right.
    pub fn parse(s: &str) -> Result<CpuSpec, String> {
        let mut items = s.split(',');
        let mut spec;
        match items.next().unwrap_or("") {
            "help" | "?" => {
                return Ok(CpuSpec {
                    help: true,
                    ..CpuSpec::default()
                })
            }
            model => {
                let Some(m) = CPU_MODELS.iter().find(|m| m.name == model) else {
                    let names: Vec<&str> = CPU_MODELS.iter().map(|m| m.name).collect();
                    return Err(format!(
                        "unknown CPU model `{model}` (models: {}; `-cpu help` lists them)",
                        names.join(", ")
                    ));
                };
                spec = m.spec();
            }
        }
        for item in items.filter(|i| !i.is_empty()) {
            let (name, on) = if let Some(n) = item.strip_prefix('-') {
                (n, false)
            } else if let Some(n) = item.strip_prefix('+') {
                (n, true)
            } else if let Some((n, v)) = item.split_once('=') {
                match v {
                    "on" | "true" | "yes" => (n, true),
                    "off" | "false" | "no" => (n, false),
                    _ => return Err(format!("`{item}`: the value of a feature is on or off")),
                }
            } else {
                (item, true)
            };
            let Some(f) = CPU_FEATURES.iter().find(|f| f.name == name) else {
                let names: Vec<&str> = CPU_FEATURES.iter().map(|f| f.name).collect();
                return Err(format!("unknown CPU feature `{name}` (features: {})", names.join(", ")));
            };
            if f.required && !on {
                return Err(format!("`{name}` cannot be turned off: the AArch64 ABI assumes it"));
            }
            spec.set(f, on);
        }
        Ok(spec)
    }

    fn set(&mut self, f: &CpuFeature, on: bool) {
        let word = match f.word {
            HwcapWord::Hwcap => &mut self.hwcap,
            HwcapWord::Hwcap2 => &mut self.hwcap2,
        };
        if on {
            *word |= 1 << f.bit;
        } else {
            *word &= !(1 << f.bit);
        }
    }

    /// The features the translator decodes: those advertised.
    pub fn features(&self) -> FeatureSet {
        CPU_FEATURES
            .iter()
            .filter(|f| !self.has(f))
            .fold(FeatureSet::ALL, |set, f| set.without(f.feature))
    }

    /// Whether feature `f` is advertised.
    pub fn has(&self, f: &CpuFeature) -> bool {
        let word = match f.word {
            HwcapWord::Hwcap => self.hwcap,
            HwcapWord::Hwcap2 => self.hwcap2,
        };
        word & (1 << f.bit) != 0
    }

    /// The text of `-cpu help`.
    pub fn help_text() -> String {
        let mut s = String::from("Available CPUs (MODEL[,-FEATURE][,+FEATURE]...):\n");
        for m in CPU_MODELS {
            s += &format!("  {:<12} {}\n", m.name, m.about);
        }
        s += "\nFeatures of max (AT_HWCAP/AT_HWCAP2; turn one off with -cpu max,-NAME):\n";
        for f in CPU_FEATURES {
            let word = match f.word {
                HwcapWord::Hwcap => "HWCAP",
                HwcapWord::Hwcap2 => "HWCAP2",
            };
            let req = if f.required { " (required)" } else { "" };
            s += &format!("  {:<8} {word:<6} bit {:<2}  {}{req}\n", f.name, f.bit, f.about);
        }
        s
    }
}

impl std::fmt::Display for CpuSpec {
    /// The canonical `-cpu` text: `max` and the features turned off, e.g. `max,-atomics`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.help {
            return write!(f, "help");
        }
        write!(f, "max")?;
        for feat in CPU_FEATURES.iter().filter(|feat| !self.has(feat)) {
            write!(f, ",-{}", feat.name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_features_turn_off_and_on() {
        let max = CpuSpec::parse("max").unwrap();
        assert_eq!(max, CpuSpec::default());
        assert_eq!(
            max.hwcap,
            1 | 2
                | 0b1111 << 3
                | 1 << 7
                | 1 << 8
                | 1 << 9
                | 1 << 10
                | 1 << 12
                | 1 << 13
                | 1 << 15
                | 1 << 17
                | 1 << 20
                | 1 << 21
                | 1 << 23
                | 1 << 26
                | 1 << 24
                | 1 << 27
                | 1 << 28
                | 1 << 29
        );
        assert_eq!(max.hwcap2, 1 << 7 | 1 << 8 | 1 << 13 | 1 << 14 | 1 << 16);
        let s = CpuSpec::parse("max,-atomics,-crc32,flagm2=off").unwrap();
        assert_eq!(s.hwcap, max.hwcap & !(1 << 7 | 1 << 8));
        assert_eq!(s.hwcap2, 1 << 8 | 1 << 13 | 1 << 14 | 1 << 16);
        assert_eq!(s.to_string(), "max,-crc32,-atomics,-flagm2");
        assert_eq!(CpuSpec::parse(&s.to_string()).unwrap(), s);
        assert_eq!(CpuSpec::parse("max,-atomics,+atomics").unwrap(), max);
        assert!(CpuSpec::parse("max,-fp").is_err());
        assert!(CpuSpec::parse("max,-sve").is_err());
        assert!(CpuSpec::parse("cortex-a99").is_err());
    }

    #[test]
    fn models_name_features_that_exist() {
        for m in CPU_MODELS {
            for name in m.features.unwrap_or_default() {
                assert!(CPU_FEATURES.iter().any(|f| f.name == *name), "{}: {name}", m.name);
            }
        }
        // fp asimd aes pmull sha1 sha2 crc32: HWCAP bits 0, 1, 3..7 (hwcap.h); N1 adds atomics,
        // fphp, asimdhp, asimdrdm, lrcpc, asimddp (8, 9, 10, 12, 15, 20).
        let a72 = CpuSpec::parse("cortex-a72").unwrap();
        assert_eq!((a72.hwcap, a72.hwcap2), (0xfb, 0));
        let n1 = CpuSpec::parse("neoverse-n1,-ssbs").unwrap();
        assert_eq!(
            (n1.hwcap, n1.hwcap2),
            (0xfb | 1 << 8 | 1 << 9 | 1 << 10 | 1 << 12 | 1 << 15 | 1 << 20, 0)
        );
        assert_eq!(CpuSpec::parse("cortex-a72,+atomics").unwrap().hwcap, 0xfb | 1 << 8);
        // The canonical text names what is off against max, so an exec'd a64x gets the same set.
        assert_eq!(CpuSpec::parse(&a72.to_string()).unwrap(), a72);
        assert!(CpuSpec::help_text().contains("neoverse-n1"));
    }
}

//! Builds the A64 decoder from its specification, `src/a64/instructions.spec` (one row per
//! instruction: name, bit pattern with named fields, the feature that provides it, how the fuzzer
//! draws it, and the `Inst` it decodes to). Writes `$OUT_DIR/a64_spec.rs`: the feature list, one
//! field-extracting function per row, the row table, and a decision tree over the rows' fixed
//! bits that finds a word's row (first match in file order wins). The format is described at
//! the top of the spec file.

use std::fmt::Write as _;
use std::path::PathBuf;

/// How a named field is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Plain bits, a `u32`.
    Bits,
    /// A general register where 31 is SP.
    Sp,
    /// A general register where 31 is XZR/WZR.
    Zr,
    /// A SIMD&FP register.
    V,
    /// A SIMD&FP register of V0-V15 in a 4-bit field (the by-element forms on 16-bit elements).
    V16,
}

struct Field {
    name: String,
    lo: u32,
    width: u32,
    kind: Kind,
}

struct Row {
    line: usize,
    name: String,
    mask: u32,
    bits: u32,
    fields: Vec<Field>,
    feature: String,
    fuzz: bool,
    aliases: Vec<String>,
    /// Carves an encoding out of a wider row after it in its group (which it must precede).
    narrow: bool,
    /// `when COND`: the fields' combinations the row allocates (others are unallocated).
    when: Vec<String>,
    expr: String,
}

/// An encoding group of the Arm ARM's index: its rows' words lie in its space, and a word of the
/// space no row takes is unallocated (its search ends there).
struct Group {
    line: usize,
    name: String,
    mask: u32,
    bits: u32,
    /// The index of the first row after it.
    end: usize,
}

struct FeatureDef {
    name: String,
    word: String,
    bit: u32,
    required: bool,
    about: String,
}

fn fail(line: usize, msg: &str) -> ! {
    panic!("instructions.spec:{line}: {msg}");
}

fn parse_pattern(line: usize, pat: &str) -> (u32, u32, Vec<Field>) {
    let (mut mask, mut bits, mut fields) = (0u32, 0u32, Vec::new());
    let mut pos = 32u32; // bits left to place, from bit 31 down
    for tok in pat.split_whitespace() {
        let (width, field) = if let Some((name, w)) = tok.split_once(':') {
            let w: u32 = w
                .parse()
                .unwrap_or_else(|_| fail(line, &format!("bad width in `{tok}`")));
            (w, Some((name, Kind::Bits)))
        } else if let Some((name, k)) = tok.split_once('=') {
            let kind = match k {
                "sp" => Kind::Sp,
                "zr" => Kind::Zr,
                "v" => Kind::V,
                "v16" => Kind::V16,
                _ => fail(line, &format!("unknown register kind in `{tok}`")),
            };
            (if kind == Kind::V16 { 4 } else { 5 }, Some((name, kind)))
        } else if tok.chars().all(|c| matches!(c, '0' | '1' | 'x')) {
            (tok.len() as u32, None)
        } else {
            fail(line, &format!("bad pattern token `{tok}`"))
        };
        if width == 0 || width > pos {
            fail(line, "the pattern is longer than 32 bits");
        }
        pos -= width;
        match field {
            Some((name, kind)) => {
                if fields.iter().any(|f: &Field| f.name == name) {
                    fail(line, &format!("field `{name}` named twice"));
                }
                fields.push(Field {
                    name: name.to_string(),
                    lo: pos,
                    width,
                    kind,
                });
            }
            None => {
                for (i, c) in tok.chars().enumerate() {
                    let b = pos + width - 1 - i as u32;
                    if c != 'x' {
                        mask |= 1 << b;
                        bits |= ((c == '1') as u32) << b;
                    }
                }
            }
        }
    }
    if pos != 0 {
        fail(line, &format!("the pattern has {} bits, not 32", 32 - pos));
    }
    (mask, bits, fields)
}

/// `NAME | PATTERN | FEATURE [OPTION...]`; options: `nofuzz`, `narrow`, `alias=a,b`.
fn parse_row(line: usize, head: &str) -> Row {
    let cols: Vec<&str> = head.split('|').map(str::trim).collect();
    let [name, pat, rest] = cols[..] else {
        fail(line, "a row is `NAME | PATTERN | FEATURE [OPTIONS]` then `=> EXPR`")
    };
    let (mask, bits, fields) = parse_pattern(line, pat);
    let mut words = rest.split_whitespace();
    let feature = words.next().unwrap_or_else(|| fail(line, "no feature")).to_string();
    let mut row = Row {
        line,
        name: name.to_string(),
        mask,
        bits,
        fields,
        feature,
        fuzz: true,
        aliases: Vec::new(),
        narrow: false,
        when: Vec::new(),
        expr: String::new(),
    };
    for opt in words {
        match opt {
            "nofuzz" => row.fuzz = false,
            "narrow" => row.narrow = true,
            _ => match opt.strip_prefix("alias=") {
                Some(a) => {
                    row.aliases = a.split(',').map(str::to_string).collect();
                    let mnemonic = name.split_whitespace().next().unwrap_or("").to_ascii_lowercase();
                    if row.aliases.contains(&mnemonic) {
                        fail(line, &format!("`{mnemonic}` is the row's own mnemonic, not an alias"));
                    }
                }
                None => fail(line, &format!("unknown option `{opt}`")),
            },
        }
    }
    row
}

/// `feature NAME hwcap|hwcap2 BIT required|optional "ABOUT"`.
fn parse_feature(line: usize, rest: &str) -> FeatureDef {
    let (head, about) = rest
        .split_once('"')
        .unwrap_or_else(|| fail(line, "feature without \"about\""));
    let w: Vec<&str> = head.split_whitespace().collect();
    let [name, word, bit, req] = w[..] else {
        fail(line, "feature NAME hwcap|hwcap2 BIT required|optional \"ABOUT\"")
    };
    let word = match word {
        "hwcap" => "Hwcap",
        "hwcap2" => "Hwcap2",
        _ => fail(line, "the word is hwcap or hwcap2"),
    };
    FeatureDef {
        name: name.to_string(),
        word: word.to_string(),
        bit: bit.parse().unwrap_or_else(|_| fail(line, "bad bit")),
        required: match req {
            "required" => true,
            "optional" => false,
            _ => fail(line, "required or optional"),
        },
        about: about.trim_end_matches('"').to_string(),
    }
}

fn parse(text: &str) -> (Vec<FeatureDef>, Vec<Row>, Vec<Group>) {
    let (mut feats, mut rows) = (Vec::<FeatureDef>::new(), Vec::<Row>::new());
    let mut groups = Vec::<Group>::new();
    let mut open: Option<Group> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if raw.starts_with(char::is_whitespace) {
            let Some(row) = rows.last_mut() else {
                fail(line, "continuation before any row")
            };
            if let Some(cond) = t.strip_prefix("when ") {
                if !row.expr.is_empty() {
                    fail(line, "`when` comes before `=>`");
                }
                row.when.push(cond.trim().to_string());
                continue;
            }
            let part = if row.expr.is_empty() {
                t.strip_prefix("=>")
                    .unwrap_or_else(|| fail(line, "a row's expression starts with `=>`"))
            } else {
                t
            };
            row.expr.push_str(part.trim());
            row.expr.push('\n');
        } else if let Some(rest) = t.strip_prefix("feature ") {
            feats.push(parse_feature(line, rest));
        } else if let Some(rest) = t.strip_prefix("group ") {
            if open.is_some() {
                fail(line, "a group inside a group (close it with `end`)");
            }
            let (name, pat) = rest
                .split_once('|')
                .unwrap_or_else(|| fail(line, "group NAME | PATTERN"));
            let (mask, bits, fields) = parse_pattern(line, pat);
            if !fields.is_empty() {
                fail(line, "a group's pattern has no fields");
            }
            open = Some(Group {
                line,
                name: name.trim().to_string(),
                mask,
                bits,
                end: 0,
            });
        } else if t == "end" {
            let mut g = open.take().unwrap_or_else(|| fail(line, "`end` without a group"));
            g.end = rows.len();
            groups.push(g);
        } else {
            let row = parse_row(line, t);
            let Some(g) = &open else {
                fail(line, "an instruction row outside a group")
            };
            if row.mask & g.mask != g.mask || row.bits & g.mask != g.bits {
                fail(line, &format!("the row's pattern is outside group `{}`", g.name));
            }
            rows.push(row);
        }
    }
    if let Some(g) = open {
        fail(g.line, "group without `end`");
    }
    // Within a group the rows are the instructions of one encoding index: no word is two of them.
    let mut start = 0;
    for g in &groups {
        let first = rows[start..]
            .iter()
            .position(|r| r.line > g.line)
            .map_or(rows.len(), |p| start + p);
        for (i, a) in rows[first..g.end].iter().enumerate() {
            for b in &rows[first + i + 1..g.end] {
                let carved = a.narrow && a.mask & b.mask == b.mask;
                if (a.bits ^ b.bits) & a.mask & b.mask == 0 && !carved {
                    fail(b.line, &format!("overlaps `{}` (line {})", a.name, a.line));
                }
            }
        }
        start = g.end;
    }
    // `FeatureSet` is a u64 with bit 0 for `Base`.
    if feats.len() > 63 {
        fail(text.lines().count(), "more than 63 features do not fit a FeatureSet");
    }
    for r in &rows {
        if r.expr.is_empty() {
            fail(r.line, "row without `=> EXPR`");
        }
        if r.feature != "base" && !feats.iter().any(|f| f.name == r.feature) {
            fail(r.line, &format!("unknown feature `{}`", r.feature));
        }
    }
    (feats, rows, groups)
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if up { c.to_ascii_uppercase() } else { c });
            up = c.is_ascii_digit();
        } else {
            up = true;
        }
    }
    out
}

fn emit_features(out: &mut String, feats: &[FeatureDef]) {
    out.push_str("/// An architecture feature an instruction belongs to (`Base`: ARMv8.0's integer set).\n");
    out.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum Feature {\n");
    out.push_str("    /// ARMv8.0 integer, branch and system instructions: always there.\n    Base,\n");
    for f in feats {
        let _ = writeln!(out, "    /// {}\n    {},", f.about, camel(&f.name));
    }
    out.push_str("}\n\n/// The features a64x implements, as AT_HWCAP/AT_HWCAP2 bits and /proc/cpuinfo names.\n");
    out.push_str("pub static FEATURES: &[FeatureDef] = &[\n");
    for f in feats {
        let _ = writeln!(
            out,
            "    FeatureDef {{ feature: Feature::{}, name: {:?}, word: HwcapWord::{}, bit: {}, required: {}, about: {:?} }},",
            camel(&f.name),
            f.name,
            f.word,
            f.bit,
            f.required,
            f.about
        );
    }
    out.push_str("];\n\n");
}

fn emit_row_fn(out: &mut String, i: usize, r: &Row) {
    let _ = writeln!(out, "// {} (instructions.spec:{})", r.name, r.line);
    let _ = writeln!(
        out,
        "#[allow(unused_variables, non_snake_case, clippy::all)]\nfn row_{i}(w: u32) -> Inst {{"
    );
    for f in &r.fields {
        let (hi, lo) = (f.lo + f.width - 1, f.lo);
        let get = match f.kind {
            Kind::Bits => format!("bits(w, {hi}, {lo})"),
            Kind::Sp => format!("rsp(w, {lo})"),
            Kind::Zr => format!("rzr(w, {lo})"),
            Kind::V => format!("vr(w, {lo})"),
            Kind::V16 => format!("VReg(bits(w, {hi}, {lo}) as u8)"),
        };
        let _ = writeln!(out, "    let {} = {get};", f.name);
    }
    for cond in &r.when {
        let _ = writeln!(out, "    if !({cond}) {{\n        return Inst::Undefined;\n    }}");
    }
    let _ = writeln!(out, "    {{\n{}    }}\n}}\n", r.expr);
}

/// The decision tree: switch on the bits [`split_bits`] picks, recursively, until a few rows
/// are left to test in order (rows are kept in file order on every side, so the first row that
/// matches still wins).
fn emit_tree(out: &mut String, rows: &[Entry], idx: &[usize], decided: u32, depth: usize) {
    let ind = "    ".repeat(depth + 1);
    let common = idx.iter().fold(!decided, |m, &i| m & rows[i].mask);
    let linear = |out: &mut String| {
        for &i in idx {
            let r = &rows[i];
            let test = r.mask & !decided;
            let result = match r.row {
                Some(n) => format!("Some({n})"),
                None => "None".to_string(),
            };
            if test == 0 {
                let _ = writeln!(out, "{ind}return {result};");
                return;
            }
            let _ = writeln!(
                out,
                "{ind}if w & {test:#010x} == {:#010x} {{ return {result}; }}",
                r.bits & test
            );
        }
        let _ = writeln!(out, "{ind}None");
    };
    if idx.len() <= 2 || depth > 64 {
        return linear(out);
    }
    let pick = split_bits(rows, idx, decided, common);
    if pick.is_empty() {
        return linear(out);
    }
    let mut key = String::new();
    for (k, b) in pick.iter().enumerate() {
        let shift = pick.len() - 1 - k;
        let _ = write!(key, "{}((w >> {b}) & 1) << {shift}", if k == 0 { "" } else { " | " });
    }
    let picked: u32 = pick.iter().map(|b| 1u32 << b).sum();
    let _ = writeln!(out, "{ind}match {key} {{");
    for v in 0..1u32 << pick.len() {
        let value: u32 = pick
            .iter()
            .enumerate()
            .map(|(k, b)| ((v >> (pick.len() - 1 - k)) & 1) << b)
            .sum();
        let sub: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| rows[i].mask & picked & rows[i].bits == rows[i].mask & picked & value)
            .collect();
        if sub.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{ind}    {v} => {{");
        emit_tree(out, rows, &sub, decided | picked, depth + 2);
        let _ = writeln!(out, "{ind}    }}");
    }
    let _ = writeln!(out, "{ind}    _ => None,\n{ind}}}");
}

/// The bits to switch on at a node: up to five that every row fixes and that tell rows apart
/// (the most even splits first); else the one bit that leaves the largest side smallest, rows
/// that leave it free going to both sides; none when no bit shrinks the search.
fn split_bits(rows: &[Entry], idx: &[usize], decided: u32, common: u32) -> Vec<u32> {
    let ones = |b: u32| {
        idx.iter()
            .filter(|&&i| rows[i].mask >> b & 1 == 1 && rows[i].bits >> b & 1 == 1)
            .count()
    };
    let fixed = |b: u32| idx.iter().filter(|&&i| rows[i].mask >> b & 1 == 1).count();
    let mut informative: Vec<(usize, u32)> = (0..32u32)
        .filter(|&b| common >> b & 1 == 1)
        .map(|b| (ones(b).min(idx.len() - ones(b)), b))
        .filter(|&(even, _)| even > 0)
        .collect();
    informative.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut pick: Vec<u32> = informative.iter().take(5).map(|&(_, b)| b).collect();
    if pick.is_empty() {
        let cost = |b: u32| {
            let (f, o) = (fixed(b), ones(b));
            (f - o).max(o) + (idx.len() - f)
        };
        if let Some(b) = (0..32u32)
            .filter(|&b| decided >> b & 1 == 0 && fixed(b) > 0)
            .min_by_key(|&b| cost(b))
            .filter(|&b| cost(b) < idx.len())
        {
            pick.push(b);
        }
    }
    pick.sort_by(|a, b| b.cmp(a));
    pick
}

/// What the decision tree searches: the rows, and after each group's rows its end (a word of
/// the group's space that reaches it is in no row).
struct Entry {
    mask: u32,
    bits: u32,
    row: Option<usize>,
}

fn entries(rows: &[Row], groups: &[Group]) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        out.push(Entry {
            mask: r.mask,
            bits: r.bits,
            row: Some(i),
        });
        for g in groups.iter().filter(|g| g.end == i + 1) {
            out.push(Entry {
                mask: g.mask,
                bits: g.bits,
                row: None,
            });
        }
    }
    out
}

fn main() {
    let spec = PathBuf::from("src/a64/instructions.spec");
    println!("cargo:rerun-if-changed={}", spec.display());
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(&spec).expect("read src/a64/instructions.spec");
    let (feats, rows, groups) = parse(&text);
    let mut out = String::from("// Generated by translator/build.rs from src/a64/instructions.spec. Do not edit.\n\n");
    emit_features(&mut out, &feats);
    for (i, r) in rows.iter().enumerate() {
        emit_row_fn(&mut out, i, r);
    }
    out.push_str("/// The rows, in the spec's order (first match wins).\npub static TABLE: &[Row] = &[\n");
    for (i, r) in rows.iter().enumerate() {
        let aliases: Vec<String> = r.aliases.iter().map(|a| format!("{a:?}")).collect();
        let group = groups
            .iter()
            .find(|g| g.end > i && g.line < r.line)
            .map_or_else(|| fail(r.line, "a row outside a group"), |g| &g.name);
        let _ = writeln!(
            out,
            "    Row {{ name: {:?}, group: {:?}, mask: {:#010x}, bits: {:#010x}, decode: row_{i}, fuzz: {}, feature: Feature::{}, aliases: &[{}] }},",
            r.name,
            group,
            r.mask,
            r.bits,
            r.fuzz,
            if r.feature == "base" { "Base".to_string() } else { camel(&r.feature) },
            aliases.join(", ")
        );
    }
    out.push_str(
        "];\n\n/// The encoding groups whose rows are written out per instruction.\npub static GROUPS: &[Group] = &[\n",
    );
    for g in &groups {
        let _ = writeln!(
            out,
            "    Group {{ name: {:?}, mask: {:#010x}, bits: {:#010x} }},",
            g.name, g.mask, g.bits
        );
    }
    out.push_str("];\n\n/// The index in [`TABLE`] of the row `w` falls in.\n");
    out.push_str("#[allow(clippy::all)]\n#[inline]\npub fn row_index(w: u32) -> Option<usize> {\n");
    let entries = entries(&rows, &groups);
    let all: Vec<usize> = (0..entries.len()).collect();
    emit_tree(&mut out, &entries, &all, 0, 0);
    out.push_str("}\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("a64_spec.rs");
    std::fs::write(dest, out).expect("write a64_spec.rs");
}

//! Writes a64x's man page (`a64x.1`) and its bash, zsh and fish completions, generated from the
//! clap definition the binary parses its command line with (`a64x::cli::Cli`), so that the
//! package's documentation says exactly what the binary accepts.
//!
//! Usage: `a64x-docgen man DIR` | `a64x-docgen completions DIR`

use a64x::cli::{Cli, CpuSpec, QEMU_ENV_ALIASES};
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [what, dir] if what == "man" => man(Path::new(dir)),
        [what, dir] if what == "completions" => completions(Path::new(dir)),
        _ => Err("usage: a64x-docgen man DIR | a64x-docgen completions DIR".to_string()),
    };
    match result {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("a64x-docgen: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `DIR/a64x.1`: clap_mangen's sections, then the environment and the CPU models and features.
fn man(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    let io = |e: std::io::Error| e.to_string();
    man.render_title(&mut out).map_err(io)?;
    man.render_name_section(&mut out).map_err(io)?;
    man.render_synopsis_section(&mut out).map_err(io)?;
    man.render_description_section(&mut out).map_err(io)?;
    man.render_options_section(&mut out).map_err(io)?;
    out.extend_from_slice(environment_section(&cmd).as_bytes());
    out.extend_from_slice(cpu_section().as_bytes());
    man.render_version_section(&mut out).map_err(io)?;
    let path = dir.join("a64x.1");
    write(&path, &out)?;
    Ok(vec![path])
}

/// The ENVIRONMENT section: each option's `A64X_*` variable, and qemu's that stands in for it.
fn environment_section(cmd: &clap::Command) -> String {
    let mut s = String::from(".SH ENVIRONMENT\n");
    s += "Every option has a variable; run through binfmt_misc, a64x takes its options from \
          them only. Where the A64X_ variable is unset, qemu\\-user's QEMU_ one is read.\n";
    for arg in cmd.get_arguments() {
        let Some(var) = arg.get_env() else { continue };
        let var = var.to_string_lossy();
        let flag = match (arg.get_long(), arg.get_short()) {
            (Some(l), _) => format!("\\-\\-{l}"),
            (None, Some(c)) => format!("\\-{c}"),
            (None, None) => continue,
        };
        let qemu = QEMU_ENV_ALIASES
            .iter()
            .find(|(_, ours, _)| *ours == var)
            .map(|(_, _, q)| format!(" (or {q})"))
            .unwrap_or_default();
        s += &format!(".TP\n\\fB{var}\\fR{qemu}\nas {flag}\n");
    }
    s
}

/// The CPU MODELS section: the text of `-cpu help`.
fn cpu_section() -> String {
    let mut s = String::from(".SH CPU MODELS AND FEATURES\n.nf\n");
    for line in CpuSpec::help_text().lines() {
        s += &line.replace('\\', "\\\\").replace('-', "\\-");
        s.push('\n');
    }
    s += ".fi\n";
    s
}

/// `DIR/a64x.bash`, `DIR/_a64x` (zsh) and `DIR/a64x.fish`.
fn completions(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = Cli::command();
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "a64x", &mut out);
        let name = match shell {
            Shell::Zsh => "_a64x".to_string(),
            other => format!("a64x.{other}"),
        };
        let path = dir.join(name);
        write(&path, &out)?;
        files.push(path);
    }
    Ok(files)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

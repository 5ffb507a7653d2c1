//! The fuzz targets' kept inputs: `fuzz/corpus/<target>/` (the corpora `cargo fuzz cmin` kept)
//! and `fuzz/regressions/<target>/` (inputs that once found a bug), replayed through a body.

use std::path::PathBuf;

/// Every kept input of `target`, in name order.
pub fn inputs(target: &str) -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut all = Vec::new();
    for dir in ["corpus", "regressions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            all.extend(entries.filter_map(|e| Some(e.ok()?.path())));
        }
    }
    all.sort();
    all
}

/// Runs every kept input of `target` (at least `min` of them) through `body`: none may find
/// anything.
pub fn replay(target: &str, min: usize, body: fn(&[u8])) {
    let files = inputs(target);
    assert!(
        files.len() >= min,
        "{target}: {} kept inputs, expected at least {min}",
        files.len()
    );
    for f in &files {
        let data = std::fs::read(f).expect("read input");
        let r = std::panic::catch_unwind(|| body(&data));
        assert!(r.is_ok(), "{target}: finding on {}", f.display());
    }
}

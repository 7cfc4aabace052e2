//! Fuzz smoke (issue 12): every checked-in input of the fuzz corpus goes through the same
//! entry functions the cargo-fuzz targets call (`fuzz/entries.rs`): `fuzz/seeds/TARGET/` (the
//! fuzzers' seeds), `fuzz/replay/TARGET/` (a sample of what the 10-minute fuzz runs found
//! interesting) and `fuzz/regressions/TARGET/` (every crash or hang found). A panic fails the
//! test and names the file.
//!
//! This replaces a seconds-long libFuzzer run in CI: installing cargo-fuzz and building the
//! instrumented fuzz crate takes far longer than the run itself on a 2-core machine, while the
//! replay reuses the test build. The `nir` inputs run with `--features nir` (system HDF5).

#[path = "../../../fuzz/entries.rs"]
mod entries;

use std::path::{Path, PathBuf};

/// The files of `fuzz/seeds/TARGET`, `fuzz/replay/TARGET` and `fuzz/regressions/TARGET`, sorted.
fn corpus(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for sub in ["seeds", "replay", "regressions"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub).join(target)) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Run `entry` on every input of `target`; report every input that panicked.
fn replay(target: &str, min: usize, entry: impl Fn(&[u8])) {
    let files = corpus(target);
    assert!(
        files.len() >= min,
        "{target}: {} inputs, expected ≥ {min}",
        files.len()
    );
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry(&data))).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: panicked on {failed:#?}");
}

#[test]
fn npy_corpus() {
    replay("npy", 7, entries::npy);
}

#[test]
fn npz_corpus() {
    replay("npz", 2, entries::npz);
}

#[test]
fn idx_corpus() {
    replay("idx", 2, entries::idx);
}

#[test]
fn model_corpus() {
    replay("model", 16, entries::model);
}

#[cfg(feature = "nir")]
#[test]
fn nir_corpus() {
    let scratch = tempfile::tempdir().unwrap();
    replay("nir", 4, |d| entries::nir(d, scratch.path()));
}

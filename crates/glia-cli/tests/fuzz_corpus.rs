//! Fuzz smoke (issue 12): every checked-in input of the fuzz corpus goes through the same
//! entry functions the cargo-fuzz targets call (`fuzz/entries.rs`): `fuzz/seeds/TARGET/` (the
//! fuzzers' seeds), `fuzz/replay/TARGET/` (a sample of what the 10-minute fuzz runs found
//! interesting) and `fuzz/regressions/TARGET/` (every crash or hang found). A panic fails the
//! test and names the file.
//!
//! On top of the replay, a seconds-long mutation run (`*_mutants`): every corpus input is
//! mutated a fixed number of times (bit flips, interesting bytes, truncation, duplicated and
//! deleted chunks, random insertions; positions drawn from glia's counter-based Philox stream,
//! so the run is the same on every machine) and each mutant goes through the entry function.
//! This is the CI fuzz smoke: installing cargo-fuzz and building the instrumented fuzz crate
//! takes far longer than the run itself on a 2-core machine, while this reuses the test build.
//! The 10-minute coverage-guided runs are documented in `docs/robustness.md`. The `nir` inputs
//! run with `--features nir` (system HDF5).

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

/// Random words for mutant `m` of input `i` of `target` (Philox, counter = the triple).
fn words(target: &str, i: usize, m: usize) -> [u32; 4] {
    let t = target
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    glia_core::rng::philox4x32_10([t, i as u32, m as u32, 0], [0x6c69_6167, 0x7a7a_7566])
}

/// Mutant `m` of `data`: one or two edits of the kinds libFuzzer's default mutators make.
fn mutate(target: &str, i: usize, m: usize, data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let w = words(target, i, m);
    let edits = 1 + (w[3] & 1) as usize;
    for e in 0..edits {
        let r = w[e * 2];
        let pos = |len: usize| {
            if len == 0 {
                0
            } else {
                w[e * 2 + 1] as usize % len
            }
        };
        match r % 6 {
            0 if !out.is_empty() => {
                let p = pos(out.len());
                out[p] ^= 1 << (r >> 8 & 7);
            }
            1 if !out.is_empty() => {
                const INTERESTING: [u8; 6] = [0, 0xff, 0x7f, 0x80, 1, b'-'];
                let p = pos(out.len());
                out[p] = INTERESTING[(r >> 8) as usize % INTERESTING.len()];
            }
            2 => {
                let p = pos(out.len() + 1);
                out.truncate(p);
            }
            3 if !out.is_empty() => {
                let p = pos(out.len());
                let n = ((r >> 8) as usize % 64 + 1).min(out.len() - p);
                let chunk = out[p..p + n].to_vec();
                out.splice(p..p, chunk);
            }
            4 if !out.is_empty() => {
                let p = pos(out.len());
                let n = ((r >> 8) as usize % 64 + 1).min(out.len() - p);
                out.drain(p..p + n);
            }
            _ => {
                let p = pos(out.len() + 1);
                out.insert(p, (r >> 8) as u8);
            }
        }
    }
    out
}

/// The seconds-long mutation smoke: `per_input` mutants of every corpus input of `target`
/// through `entry`; report every mutant that panicked (input file and mutant number, so it can
/// be regenerated with `mutate`).
fn mutants(target: &str, per_input: usize, entry: impl Fn(&[u8])) {
    let files = corpus(target);
    assert!(!files.is_empty(), "{target}: no corpus");
    let mut failed = Vec::new();
    let mut changed = 0usize;
    for (i, f) in files.iter().enumerate() {
        let data = std::fs::read(f).unwrap();
        for m in 0..per_input {
            let mutant = mutate(target, i, m, &data);
            changed += usize::from(mutant != data);
            let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| entry(&mutant)));
            if ok.is_err() {
                failed.push(format!("{} mutant {m}", f.display()));
            }
        }
    }
    // The mutator must actually change inputs, or this test would prove nothing.
    assert!(
        changed * 10 >= files.len() * per_input * 9,
        "{target}: only {changed} of {} mutants differ from their input",
        files.len() * per_input
    );
    assert!(failed.is_empty(), "{target}: panicked on {failed:#?}");
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

#[test]
fn npy_mutants() {
    mutants("npy", 1000, entries::npy);
}

#[test]
fn npz_mutants() {
    mutants("npz", 500, entries::npz);
}

#[test]
fn idx_mutants() {
    mutants("idx", 2000, entries::idx);
}

#[test]
fn model_mutants() {
    mutants("model", 40, entries::model);
}

/// NIR mutants go through the product path only (the isolated reader, then the import): the
/// fuzz entry's second, in-process parse is for libFuzzer's coverage and would let a mutant
/// that crashes libhdf5 take the test process down with it.
#[cfg(feature = "nir")]
#[test]
fn nir_mutants() {
    let scratch = tempfile::tempdir().unwrap();
    mutants("nir", 25, |d| {
        let file = scratch.path().join("input.nir");
        std::fs::write(&file, d).unwrap();
        let timeout = std::time::Duration::from_secs(10);
        let Ok(graph) = glia_nir::read_with_timeout(&file, timeout) else {
            return;
        };
        let Ok(imported) = glia_nir::import(&graph, &glia_nir::ImportOptions::default()) else {
            return;
        };
        let model = scratch.path().join("model.toml");
        if imported.write(&model).is_ok() {
            let _ = glia_spec::load(&model, &Default::default());
        }
    });
}

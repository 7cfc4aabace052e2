//! The entry functions of the fuzz targets, one per parser of outside input. The cargo-fuzz
//! targets (`fuzz_targets/*.rs`) call them with libFuzzer's inputs; the replay test
//! `crates/glia-cli/tests/fuzz_corpus.rs` calls them with the checked-in corpus
//! (`fuzz/seeds/`, `fuzz/regressions/`) on every test run. Each must return without panicking
//! for any input; what it returns does not matter.
#![allow(dead_code)]

use std::path::Path;

/// Largest estimated memory of a model that [`model`] builds and runs \[bytes\].
const BUILD_CAP: u64 = 32 << 20;

/// Model text through TOML parsing, expression expansion, validation and lowering; models whose
/// memory estimate is small are built and run for up to 20 steps (with the non-finite check).
pub fn model(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ov = glia_spec::Overrides {
        threads: Some(1),
        ..Default::default()
    };
    // relative files resolve against a directory that has none
    let Ok(model) = glia_spec::parse(text, Path::new("/nonexistent-glia-fuzz"), &ov) else {
        return;
    };
    let est = glia_spec::estimate::estimate(&model);
    let neurons: usize = model.populations.iter().map(|p| p.size).sum();
    if est.total() > BUILD_CAP || neurons > 20_000 || est.synapses > 1e6 {
        return;
    }
    let Ok(mut net) = glia_sim::build::build(&model) else {
        return;
    };
    let steps = model.steps.min(20);
    let _ = glia_sim::health::run_checked(
        &mut net,
        steps,
        glia_sim::health::OnNan::Error,
        &mut |_| true,
        &mut |_| {},
    );
}

/// `.npy` bytes through glia's reader (every supported dtype).
pub fn npy(data: &[u8]) {
    let _ = glia_io::parse_npy(data, Path::new("fuzz.npy"));
}

/// `.npz` bytes (a zip of `.npy` files) through glia's reader, every array.
pub fn npz(data: &[u8]) {
    let _ = glia_io::parse_npz(data, Path::new("fuzz.npz"));
}

/// MNIST IDX bytes through the IDX parser (images: 3 dimensions, labels: 1).
pub fn idx(data: &[u8]) {
    let _ = glia_memory::mnist::parse_idx(data, 3, "fuzz-idx3-ubyte");
    let _ = glia_memory::mnist::parse_idx(data, 1, "fuzz-idx1-ubyte");
}

/// How long the isolated NIR reader may take per input in [`nir`] (below libFuzzer's
/// `-timeout=20`, so that a hang inside HDF5 is the product's refusal, not a fuzzer timeout).
#[cfg(feature = "nir")]
const NIR_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// NIR file bytes (HDF5) through glia's reader, the import into a glia model and the model's
/// validation. The reader takes a path, so the bytes are written to `scratch/input.nir` first
/// (`scratch`: a directory of this process).
///
/// The product's reader, [`glia_nir::read`], parses in a child process (a crash of the HDF5
/// library there is its clean refusal, `ReaderCrashed`); libFuzzer sees no coverage from a
/// child. So when the child did not crash or hang, the same file is parsed again in this
/// process ([`glia_nir::read_in_process`], deterministic, hence known not to crash on it) for
/// coverage, and both results must agree bit for bit: the graph sent over the pipe, or the error.
#[cfg(feature = "nir")]
pub fn nir(data: &[u8], scratch: &Path) {
    use glia_nir::NirError;
    let file = scratch.join("input.nir");
    std::fs::write(&file, data).expect("scratch file");
    let isolated = glia_nir::read_with_timeout(&file, NIR_TIMEOUT);
    if let Err(NirError::ReaderCrashed { .. } | NirError::ReaderTimeout { .. }) = isolated {
        return;
    }
    let here = glia_nir::read_in_process(&file);
    let graph = match (isolated, here) {
        (Ok(a), Ok(b)) => {
            assert!(
                a.to_bytes() == b.to_bytes(),
                "the isolated and the in-process reader return different graphs"
            );
            a
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "different errors");
            return;
        }
        (a, b) => panic!("the isolated reader gave {a:?}, the in-process reader {b:?}"),
    };
    let Ok(imported) = glia_nir::import(&graph, &glia_nir::ImportOptions::default()) else {
        return;
    };
    let model = scratch.join("model.toml");
    if imported.write(&model).is_ok() {
        let _ = glia_spec::load(&model, &Default::default());
    }
}

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

/// NIR file bytes (HDF5) through glia's reader, the import into a glia model and the model's
/// validation. The reader takes a path, so the bytes are written to `scratch/input.nir` first
/// (`scratch`: a directory of this process).
#[cfg(feature = "nir")]
pub fn nir(data: &[u8], scratch: &Path) {
    let file = scratch.join("input.nir");
    std::fs::write(&file, data).expect("scratch file");
    let Ok(graph) = glia_nir::read(&file) else {
        return;
    };
    let Ok(imported) = glia_nir::import(&graph, &glia_nir::ImportOptions::default()) else {
        return;
    };
    let model = scratch.join("model.toml");
    if imported.write(&model).is_ok() {
        let _ = glia_spec::load(&model, &Default::default());
    }
}

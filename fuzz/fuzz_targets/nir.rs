//! NIR file bytes (HDF5) through glia's reader, the import and the model's validation (see
//! `fuzz/entries.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "../entries.rs"]
mod entries;

/// A scratch directory of this process.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("glia-fuzz-nir-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    })
}

fuzz_target!(|data: &[u8]| entries::nir(data, scratch()));

//! Fuzz target `npy`: `entries::npy` (see `fuzz/entries.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../entries.rs"]
mod entries;

fuzz_target!(|data: &[u8]| entries::npy(data));

//! Fuzz target `idx`: `entries::idx` (see `fuzz/entries.rs`).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../entries.rs"]
mod entries;

fuzz_target!(|data: &[u8]| entries::idx(data));

//! `.npz` bytes (a zip of `.npy` files) through glia's reader, every array.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = glia_io::parse_npz(data, std::path::Path::new("fuzz.npz"));
});

//! `.npy` bytes through glia's reader (every supported dtype).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = glia_io::parse_npy(data, std::path::Path::new("fuzz.npy"));
});

//! MNIST IDX bytes through the IDX parser (images: 3 dimensions, labels: 1).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = glia_memory::mnist::parse_idx(data, 3, "fuzz-idx3-ubyte");
    let _ = glia_memory::mnist::parse_idx(data, 1, "fuzz-idx1-ubyte");
});

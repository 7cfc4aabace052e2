//! Model text through TOML parsing, expression expansion, validation and lowering; models whose
//! memory estimate is small are built and run for a few steps (with the non-finite check).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

/// Largest estimated memory of a model that is built \[bytes\].
const BUILD_CAP: u64 = 32 << 20;

fuzz_target!(|data: &[u8]| {
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
});

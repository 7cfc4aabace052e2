//! Helpers shared by the engine's integration tests.
#![allow(dead_code)]

use glia_sim::Network;
use glia_spec::Overrides;
use std::path::Path;

/// Parse, validate and build a model given as TOML text.
pub fn build(text: &str) -> Network {
    build_with(text, &Overrides::default())
}

/// Same with overrides.
pub fn build_with(text: &str, ov: &Overrides) -> Network {
    let model = glia_spec::parse(text, Path::new("."), ov).unwrap_or_else(|e| panic!("model: {e}"));
    glia_sim::build::build(&model).unwrap_or_else(|e| panic!("build: {e}"))
}

/// Run all planned steps.
pub fn run(net: &mut Network) {
    let steps = net.planned_steps;
    let stats = net.run(steps, &mut |_| true);
    assert!(stats.complete);
}

/// The path of a bundled example.
pub fn example(name: &str) -> String {
    std::fs::read_to_string(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/").to_string() + name,
    )
    .unwrap()
}

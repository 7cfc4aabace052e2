//! The SDR formulas of Ahmad & Hawkins (2016) against their published values, and a Monte-Carlo
//! check with glia's `Sdr` type.
//!
//! ```text
//! cargo run --release -p glia-memory --example sdr_theory [-- TRIALS [SEED]]
//! ```

use glia_memory::theory::*;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let trials: u32 = args.get(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let seed: u64 = args.get(2).map_or(Ok(42), |s| s.parse())?;
    println!(
        "P_fm(n=4000, a=128, s=24, θ=12) = {:.4e}  (published: slightly above 1e-12)",
        p_false_match(4000, 128, 24, 12)?
    );
    println!("\nUnion of M patterns on one segment, a = 200, s = 25, θ = 15:\n");
    println!("| n | M | synapses | P_fp | published |");
    println!("|---|---|---|---|---|");
    for (n, m, publ) in [
        (1000u64, 2u64, "4.7e-2"),
        (1000, 3, "0.50"),
        (10_000, 10, "1.3e-4"),
        (10_000, 19, "4.5e-2"),
        (20_000, 19, "8.1e-5"),
    ] {
        println!(
            "| {n} | {m} | {:.1} | {:.2e} | {publ} |",
            union_size(n, 25, m)?,
            p_false_match_union(n, 200, 25, 15, m)?
        );
    }
    println!(
        "\nNoise: segment of s = 24 synapses on a pattern of a = 128 cells, θ = 12; v cells replaced:\n"
    );
    println!("| v | P(segment misses the pattern) |");
    println!("|---|---|");
    for v in [12u64, 32, 64, 80, 96, 112] {
        println!("| {v} | {:.3e} |", p_false_negative(128, 24, 12, v)?);
    }
    println!("\nLarge n (a = 2 %, s = 32, θ = 16): ln P_fm");
    for n in [1_000u64, 10_000, 100_000] {
        println!(
            "  n = {n}: ln P_fm = {:.3}",
            ln_p_false_match(n, n / 50, 32, 16)?
        );
    }
    let pfm = p_false_match(100, 7, 7, 5)?;
    let p = p_match_any(100, 7, 7, 5, 500)?;
    println!("\nMonte Carlo, n = 100, w = 7, θ = 5, M = 500 stored patterns:");
    println!(
        "  M·P_fm = {:.6} (the paper's 0.002826), 1 − (1 − P_fm)^M = {p:.6}",
        500.0 * pfm
    );
    let sets = trials.div_ceil(250);
    let t = Instant::now();
    let (hits, total) = monte_carlo_match_any(100, 7, 5, 500, sets, 250, seed)?;
    let sim = hits as f64 / total as f64;
    let se = (p * (1.0 - p) / total as f64).sqrt();
    println!(
        "  simulated: {sim:.6} ± {se:.6} ({total} trials, {:.2} s); |sim − formula| = {:.2} standard errors",
        t.elapsed().as_secs_f64(),
        (sim - p).abs() / se
    );
    Ok(())
}

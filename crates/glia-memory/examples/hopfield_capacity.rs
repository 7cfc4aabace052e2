//! Retrieval error of the classical Hopfield network against the load α = p/N (N = 1000):
//! the transition near α_c ≈ 0.138 (Amit, Gutfreund & Sompolinsky 1985).
//!
//! ```text
//! cargo run --release -p glia-memory --example hopfield_capacity [-- N PROBES]
//! ```
//!
//! For each α, p = αN random patterns are stored; each of the first PROBES patterns (default 50)
//! starts the asynchronous dynamics, run to a fixed point. Printed: the mean fraction of wrong
//! bits and the fraction of probes retrieved with overlap m > 0.95 (error < 2.5 %).

use glia_memory::hopfield::{Hopfield, Update, random_patterns};
use rayon::prelude::*;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(1000), |s| s.parse())?;
    let probes: usize = args.get(2).map_or(Ok(50), |s| s.parse())?;
    println!("Hopfield network, N = {n}, {probes} probes per load, asynchronous dynamics\n");
    println!("| α = p/N | p | wrong bits | retrieved (m > 0.95) |");
    println!("|---|---|---|---|");
    let start = Instant::now();
    for k in 1..=30 {
        let alpha = 0.01 * f64::from(k);
        let p = (alpha * n as f64).round() as usize;
        let pats = random_patterns(n, p, 1);
        let net = Hopfield::with_patterns(n, &pats)?;
        let errs: Vec<f64> = (0..probes.min(p))
            .into_par_iter()
            .map(|mu| {
                let mut s = pats[mu].clone();
                net.recall(&mut s, Update::Async, 100, 7 + mu as u64)
                    .unwrap();
                s.iter().zip(&pats[mu]).filter(|(a, b)| a != b).count() as f64 / n as f64
            })
            .collect();
        let mean = errs.iter().sum::<f64>() / errs.len() as f64;
        let ok = errs.iter().filter(|&&e| e < 0.025).count() as f64 / errs.len() as f64;
        println!(
            "| {alpha:.2} | {p} | {:.2} % | {:.0} % |",
            100.0 * mean,
            100.0 * ok
        );
    }
    println!("\n({:.1} s)", start.elapsed().as_secs_f64());
    Ok(())
}

//! Temporal memory learning high-order sequences with shared subsequences.
//!
//! ```text
//! cargo run --release -p glia-memory --example sequence_memory [-- DECREMENT]
//! ```
//!
//! `DECREMENT` is `predicted_segment_decrement` (default 0.05; htm.core's default is 0).
//!
//! Sequences `A B C D E F G` / `H B C D E F I` (order 5), `J K L M N` / `O K L M P` (order 3) and
//! `Q R S R T` (a repeated element) over random 40-of-2048 SDRs; after each training pass the
//! prediction accuracy (predicted columns cover ≥ 90 % of the next element and ≥ 50 % of no
//! other element) and the number of segments are printed.

use glia_core::rng::{CounterRng, Purpose};
use glia_memory::Sdr;
use glia_memory::temporal_memory::{TemporalMemory, TmParams};

fn main() -> anyhow::Result<()> {
    let elems: Vec<Sdr> = (0..20)
        .map(|k| Sdr::random(2048, 40, &mut CounterRng::new(7, Purpose::Other, 1, k, 0)))
        .collect::<Result<_, _>>()?;
    let seqs: Vec<Vec<usize>> = vec![
        vec![0, 1, 2, 3, 4, 5, 6],
        vec![7, 1, 2, 3, 4, 5, 8],
        vec![9, 10, 11, 12, 13],
        vec![14, 10, 11, 12, 15],
        vec![16, 17, 18, 17, 19],
    ];
    let names = "ABCDEFGHIJKLMNOPQRST".as_bytes();
    for s in &seqs {
        println!(
            "  {}",
            s.iter().map(|&e| names[e] as char).collect::<String>()
        );
    }
    let decrement: f32 = std::env::args().nth(1).map_or(Ok(0.05), |s| s.parse())?;
    let mut tm = TemporalMemory::new(TmParams {
        predicted_segment_decrement: decrement,
        ..TmParams::default()
    })?;
    println!("\n| pass | accuracy | segments | synapses |");
    println!("|---|---|---|---|");
    for pass in 1..=40 {
        for s in &seqs {
            tm.reset();
            for &e in s {
                tm.compute(&elems[e], true)?;
            }
        }
        let (mut ok, mut total) = (0, 0);
        for s in &seqs {
            tm.reset();
            for t in 0..s.len() - 1 {
                tm.compute(&elems[s[t]], false)?;
                let pred = tm.predicted_columns();
                let next = s[t + 1];
                let good = pred.overlap(&elems[next]) * 10 >= 9 * 40
                    && (0..20).all(|k| k == next || pred.overlap(&elems[k]) * 2 < 40);
                ok += usize::from(good);
                total += 1;
            }
        }
        if pass % 5 == 0 || pass < 5 {
            println!(
                "| {pass} | {:.1} % | {} | {} |",
                100.0 * ok as f64 / total as f64,
                tm.connections().num_segments(),
                tm.connections().num_synapses()
            );
        }
    }
    Ok(())
}

//! Speed of the SDR and sequence-memory kernels.
//!
//! ```text
//! cargo run --release -p glia-memory --example memory_bench
//! ```
//!
//! 1. Overlap of two SDRs: sorted merge, bitset AND + popcount, bit probes (gather), and the
//!    automatic choice of `Sdr::overlap`, in ns per overlap.
//! 2. Dendritic-segment activation: `Connections::compute_activity` (synapses of the active
//!    cells only) over 2048 × 32 cells with 64 segments of 32 synapses per column-cell group,
//!    in ns per segment and per visited synapse; and the direct per-segment count against a
//!    bitset of active cells, in ns per segment.
//! 3. Temporal memory (2048 columns × 32 cells, 40 active columns) on 10 random sequences of 20
//!    elements: steps per second with learning (first 50 passes) and without.
//!
//! Single thread: the kernels are sequential. Timings are the median of 5 repetitions.

use glia_core::rng::{CounterRng, Purpose};
use glia_memory::Sdr;
use glia_memory::segments::Connections;
use glia_memory::temporal_memory::{TemporalMemory, TmParams};
use std::hint::black_box;
use std::time::Instant;

fn median<F: FnMut() -> f64>(mut f: F) -> f64 {
    let mut v: Vec<f64> = (0..5).map(|_| f()).collect();
    v.sort_by(f64::total_cmp);
    v[2]
}

fn main() -> anyhow::Result<()> {
    println!("## SDR overlap (ns per overlap)\n");
    println!("| n | w | merge | popcount | gather | Sdr::overlap |");
    println!("|---|---|---|---|---|---|");
    for (n, w) in [(100u32, 7u32), (2048, 40), (16_384, 328), (100_000, 2000)] {
        let k = 256u32;
        let sdrs: Vec<Sdr> = (0..k)
            .map(|i| Sdr::random(n, w, &mut CounterRng::new(1, Purpose::Other, n, i, 0)).unwrap())
            .collect();
        let reps = (20_000_000 / (u64::from(w) * u64::from(k))).max(1);
        let time = |f: &dyn Fn(&Sdr, &Sdr) -> usize| {
            median(|| {
                let t = Instant::now();
                let mut acc = 0usize;
                for _ in 0..reps {
                    for i in 0..k as usize {
                        acc += f(
                            black_box(&sdrs[i]),
                            black_box(&sdrs[(i * 7 + 1) % k as usize]),
                        );
                    }
                }
                black_box(acc);
                t.elapsed().as_secs_f64() * 1e9 / (reps as f64 * f64::from(k))
            })
        };
        println!(
            "| {n} | {w} | {:.1} | {:.1} | {:.1} | {:.1} |",
            time(&|a, b| a.overlap_merge(b)),
            time(&|a, b| a.overlap_popcount(b)),
            time(&|a, b| a.overlap_gather(b)),
            time(&|a, b| a.overlap(b)),
        );
    }

    println!("\n## Dendritic-segment activation\n");
    let (cols, cpc, seg_per_cell, syn) = (2048u32, 32u32, 2u32, 32u32);
    let cells = cols * cpc;
    let mut conn = Connections::new(cells, 0.5)?;
    let mut rng = CounterRng::new(3, Purpose::Other, 0, 0, 0);
    let mut seg_syn: Vec<Vec<u32>> = Vec::new();
    for c in 0..cells {
        for _ in 0..seg_per_cell {
            let s = conn.create_segment(c, 0)?;
            let pre = Sdr::random(cells, syn, &mut rng)?;
            for &p in pre.indices() {
                conn.create_synapse(s, p, if rng.uniform() < 0.7 { 0.6 } else { 0.3 })?;
            }
            seg_syn.push(pre.indices().to_vec());
        }
    }
    let nseg = conn.num_segments();
    // Activity of a TM step: 40 columns with one active cell each, and a burst step of 40 × 32.
    for (label, active) in [
        ("40 active cells (predicted step)", 40u32),
        ("1280 active cells (bursting step)", 1280),
    ] {
        let act = Sdr::random(cells, active, &mut rng)?;
        let (mut a, mut p) = (Vec::new(), Vec::new());
        let visited: usize = {
            conn.compute_activity(act.indices(), &mut a, &mut p)?;
            p.iter().map(|&x| usize::from(x)).sum()
        };
        let t_sparse = median(|| {
            let t = Instant::now();
            for _ in 0..20 {
                conn.compute_activity(black_box(act.indices()), &mut a, &mut p)
                    .unwrap();
            }
            t.elapsed().as_secs_f64() / 20.0
        });
        let t_dense = median(|| {
            let t = Instant::now();
            let mut acc = 0u32;
            for s in &seg_syn {
                acc += s.iter().map(|&c| u32::from(act.contains(c))).sum::<u32>();
            }
            black_box(acc);
            t.elapsed().as_secs_f64()
        });
        println!(
            "{label}: {nseg} segments of {syn} synapses; presynaptic index {:.2} ns per segment \
             ({:.1} µs per step, {:.1} ns per visited synapse, {visited} visited); \
             per-segment count against a bitset {:.2} ns per segment",
            t_sparse * 1e9 / nseg as f64,
            t_sparse * 1e6,
            t_sparse * 1e9 / visited.max(1) as f64,
            t_dense * 1e9 / nseg as f64,
        );
    }

    println!("\n## Temporal memory throughput\n");
    let elems: Vec<Sdr> = (0..200)
        .map(|k| Sdr::random(2048, 40, &mut CounterRng::new(9, Purpose::Other, 1, k, 0)).unwrap())
        .collect();
    let seqs: Vec<Vec<usize>> = (0..10)
        .map(|s| (0..20).map(|t| (s * 20 + t * 7) % 200).collect())
        .collect();
    let mut tm = TemporalMemory::new(TmParams::default())?;
    let run = |tm: &mut TemporalMemory, passes: usize, learn: bool| -> anyhow::Result<f64> {
        let t = Instant::now();
        let mut steps = 0;
        for _ in 0..passes {
            for s in &seqs {
                tm.reset();
                for &e in s {
                    tm.compute(&elems[e], learn)?;
                    steps += 1;
                }
            }
        }
        Ok(steps as f64 / t.elapsed().as_secs_f64())
    };
    let learn_rate = run(&mut tm, 50, true)?;
    let mut anomaly = 0.0;
    for s in &seqs {
        tm.reset();
        for (t, &e) in s.iter().enumerate() {
            tm.compute(&elems[e], false)?;
            if t > 0 {
                anomaly += tm.anomaly() / (19.0 * seqs.len() as f64);
            }
        }
    }
    let infer_rate = median(|| run(&mut tm, 5, false).unwrap());
    println!(
        "learning (50 passes, {} segments, {} synapses at the end): {learn_rate:.0} steps/s",
        tm.connections().num_segments(),
        tm.connections().num_synapses()
    );
    println!("inference after learning: {infer_rate:.0} steps/s (mean anomaly {anomaly:.3})");
    Ok(())
}

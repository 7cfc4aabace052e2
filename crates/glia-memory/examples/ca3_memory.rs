//! The spiking CA3 content-addressable memory (Casanueva-Morato et al. 2023): the paper's
//! functional experiments with their spike timing, then capacity/stress runs of growing size.
//!
//! `cargo run --release -p glia-memory --example ca3_memory`

use glia_core::rng::{CounterRng, Purpose};
use glia_memory::ca3::{Ca3Params, LEARN_STEPS, Memory, RECALL_STEPS};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    // The paper's functional tests: 5 cues × 10 bits.
    let mut m = Memory::new(5, 10, Ca3Params::default())?;
    println!(
        "5 cues x 10 bits (operation lengths: learn {LEARN_STEPS} ms, recall {RECALL_STEPS} ms)"
    );
    m.learn(0, &[0, 1, 2])?;
    let r = m.recall_by_cue(0)?;
    let o = m.last_output().clone();
    println!(
        "learn cue 0 = {{0,1,2}}; recall by cue 0 -> {r:?}; output: cue at step {:?}, content at step {:?} \
         (paper: 5 and 6 at its output layer, 4 and 5 at its merge layer)",
        o.cue_ms, o.content_ms
    );
    m.learn(0, &[3, 4])?;
    println!(
        "relearn cue 0 = {{3,4}}; recall by cue 0 -> {:?}; by content {{0}} -> {:?}",
        m.recall_by_cue(0)?,
        m.recall_by_content(&[0])?
    );
    m.learn(1, &[4, 5, 6])?;
    m.learn(2, &[6, 7])?;
    let r = m.recall_by_content(&[4, 7])?;
    let o = m.last_output().clone();
    println!(
        "learn cue 1 = {{4,5,6}}, cue 2 = {{6,7}}; recall by content {{4,7}} -> cues {r:?}; output: \
         fragment {:?} at step {:?}, cues at step {:?} (paper: 5 and 6 at its output layer)",
        o.content, o.content_ms, o.cue_ms
    );
    println!("simulated {} ms", m.time_ms());

    // Capacity: C memories of random content (each bit with probability 1/4), all learned,
    // then every cue recalled and every bit recalled by content; count the errors.
    println!(
        "\n| C x B | memories | wrong recalls by cue | wrong recalls by content | synapses | build s | wall s (all ops) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &(c, b) in &[(10, 10), (100, 100), (300, 300), (1000, 1000)] {
        let t0 = Instant::now();
        let mut m = Memory::new(c, b, Ca3Params::default())?;
        let build = t0.elapsed().as_secs_f64();
        let mut rng = CounterRng::new(1, Purpose::Memory, 0, 0, 0);
        let stored: Vec<Vec<usize>> = (0..c)
            .map(|_| {
                let mut v: Vec<usize> = (0..b).filter(|_| rng.below(4) == 0).collect();
                if v.is_empty() {
                    v.push(rng.below(b as u64) as usize);
                }
                v
            })
            .collect();
        let t1 = Instant::now();
        for (q, x) in stored.iter().enumerate() {
            m.learn(q, x)?;
        }
        let mut bad_cue = 0;
        for (q, x) in stored.iter().enumerate() {
            let want: Vec<u32> = x.iter().map(|&i| i as u32).collect();
            bad_cue += usize::from(m.recall_by_cue(q)? != want);
        }
        let mut bad_cont = 0;
        for bit in 0..b {
            let want: Vec<u32> = (0..c)
                .filter(|&q| stored[q].contains(&bit))
                .map(|q| q as u32)
                .collect();
            bad_cont += usize::from(m.recall_by_content(&[bit])? != want);
        }
        let wall = t1.elapsed().as_secs_f64();
        println!(
            "| {c} x {b} | {c} | {bad_cue} of {c} | {bad_cont} of {b} | {} | {build:.2} | {wall:.2} ({} simulated ms) |",
            m.network().synapses(),
            m.time_ms()
        );
    }
    Ok(())
}

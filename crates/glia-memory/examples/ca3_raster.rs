//! Spike raster of the spiking CA3 memory (`glia_memory::ca3`), 5 cues × 10 bits, through
//! learning, recall by cue, recall by content and forgetting: per operation, one line per step
//! with the populations and neurons that fired.
//!
//! `cargo run --release -p glia-memory --example ca3_raster` (`-- --toml`: print the model)

use glia_memory::ca3::{Ca3Params, Memory, model_toml};

fn main() -> anyhow::Result<()> {
    let (c, b) = (5usize, 10usize);
    if std::env::args().any(|a| a == "--toml") {
        print!("{}", model_toml(c, b, &Ca3Params::default()));
        return Ok(());
    }
    let mut m = Memory::new(c, b, Ca3Params::default())?;
    type Op = fn(&mut Memory) -> glia_memory::Result<()>;
    let ops: [(&str, Op); 8] = [
        ("learn cue 0 = {0,1,2}", |m| m.learn(0, &[0, 1, 2])),
        ("recall by cue 0", |m| m.recall_by_cue(0).map(drop)),
        ("learn cue 1 = {2,3}", |m| m.learn(1, &[2, 3])),
        ("recall by content {2}", |m| {
            m.recall_by_content(&[2]).map(drop)
        }),
        ("relearn cue 0 = {4}", |m| m.learn(0, &[4])),
        ("recall by content {0}", |m| {
            m.recall_by_content(&[0]).map(drop)
        }),
        ("recall by cue 0", |m| m.recall_by_cue(0).map(drop)),
        ("recall by content {2,4}", |m| {
            m.recall_by_content(&[2, 4]).map(drop)
        }),
    ];
    for (label, op) in ops {
        let t0 = m.time_ms();
        m.record(true);
        op(&mut m)?;
        let o = m.last_output();
        println!(
            "== t = {t0} ms: {label} -> output cue {:?} (step {:?}), content {:?} (step {:?})",
            o.cue, o.cue_ms, o.content, o.content_ms
        );
        let mut line = String::new();
        let mut at = None;
        for e in m.raster() {
            if at != Some(e.time_ms) {
                if !line.is_empty() {
                    println!("{line}");
                }
                line = format!("  step {:2}:", e.time_ms - t0 - 1);
                at = Some(e.time_ms);
            }
            line += &format!(" {}{:?}", e.population, e.neurons);
        }
        println!("{line}");
    }
    Ok(())
}

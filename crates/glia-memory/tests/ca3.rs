//! The spiking CA3 content-addressable memory (Casanueva-Morato et al. 2023): learn, recall by
//! cue, recall by content fragment, forgetting, capacity, bad input.

use glia_core::rng::{CounterRng, Purpose};
use glia_memory::MemoryError;
use glia_memory::ca3::{Ca3Params, Memory};

fn mem(c: usize, b: usize) -> Memory {
    Memory::new(c, b, Ca3Params::default()).unwrap()
}

#[test]
fn learn_and_recall_by_cue() {
    let mut m = mem(5, 10);
    // Nothing stored: recall returns nothing.
    assert_eq!(m.recall_by_cue(0).unwrap(), Vec::<u32>::new());
    m.learn(0, &[0, 1, 2, 9]).unwrap();
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![0, 1, 2, 9]);
    // The content spikes 3 steps after the cue's input (cue fires at 1, content at 3).
    assert_eq!(m.last_latency_ms(), Some(3));
    // Other cues stay empty; recall does not change the memory.
    assert_eq!(m.recall_by_cue(1).unwrap(), Vec::<u32>::new());
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![0, 1, 2, 9]);
    m.learn(3, &[5]).unwrap();
    assert_eq!(m.recall_by_cue(3).unwrap(), vec![5]);
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![0, 1, 2, 9]);
}

#[test]
fn recall_by_content_returns_every_cue_sharing_a_bit() {
    let mut m = mem(5, 10);
    m.learn(0, &[0, 1, 2]).unwrap();
    m.learn(1, &[2, 3, 4]).unwrap();
    m.learn(2, &[4, 5, 6]).unwrap();
    m.learn(4, &[8]).unwrap();
    assert_eq!(m.recall_by_content(&[0]).unwrap(), vec![0]);
    assert_eq!(m.recall_by_content(&[2]).unwrap(), vec![0, 1]);
    assert_eq!(m.last_latency_ms(), Some(3));
    assert_eq!(m.recall_by_content(&[4]).unwrap(), vec![1, 2]);
    assert_eq!(m.recall_by_content(&[0, 6]).unwrap(), vec![0, 2]);
    assert_eq!(
        m.recall_by_content(&[1, 3, 5, 8]).unwrap(),
        vec![0, 1, 2, 4]
    );
    assert_eq!(m.recall_by_content(&[7, 9]).unwrap(), Vec::<u32>::new());
    // Recall by content leaves the memories intact.
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![0, 1, 2]);
    assert_eq!(m.recall_by_cue(1).unwrap(), vec![2, 3, 4]);
    assert_eq!(m.recall_by_cue(2).unwrap(), vec![4, 5, 6]);
}

#[test]
fn reusing_a_cue_forgets_its_old_content() {
    let mut m = mem(5, 10);
    m.learn(0, &[0, 1, 2]).unwrap();
    m.learn(1, &[2, 7]).unwrap();
    m.learn(0, &[3, 4, 2]).unwrap();
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![2, 3, 4]);
    // The old bits no longer point to cue 0, in the other direction either.
    assert_eq!(m.recall_by_content(&[0]).unwrap(), Vec::<u32>::new());
    assert_eq!(m.recall_by_content(&[1]).unwrap(), Vec::<u32>::new());
    assert_eq!(m.recall_by_content(&[3]).unwrap(), vec![0]);
    // The memory sharing bit 2 is untouched.
    assert_eq!(m.recall_by_content(&[2]).unwrap(), vec![0, 1]);
    assert_eq!(m.recall_by_cue(1).unwrap(), vec![2, 7]);
    // Overwriting with an empty content erases the cue.
    m.learn(1, &[]).unwrap();
    assert_eq!(m.recall_by_cue(1).unwrap(), Vec::<u32>::new());
    assert_eq!(m.recall_by_content(&[7]).unwrap(), Vec::<u32>::new());
}

/// Capacity: C random memories of about B/4 bits each, all stored, then all recalled by cue
/// and every bit recalled by content, without a single error; then half the cues are reused.
#[test]
fn capacity_stress() {
    let (c, b) = (64, 64);
    let mut m = mem(c, b);
    let mut rng = CounterRng::new(7, Purpose::Memory, 0, 0, 0);
    let random_content = |rng: &mut CounterRng| -> Vec<usize> {
        let mut v: Vec<usize> = (0..b).filter(|_| rng.below(4) == 0).collect();
        if v.is_empty() {
            v.push(rng.below(b as u64) as usize);
        }
        v
    };
    let mut stored: Vec<Vec<usize>> = (0..c).map(|_| random_content(&mut rng)).collect();
    for (q, content) in stored.iter().enumerate() {
        m.learn(q, content).unwrap();
    }
    let check = |m: &mut Memory, stored: &[Vec<usize>]| {
        for (q, content) in stored.iter().enumerate() {
            let want: Vec<u32> = content.iter().map(|&x| x as u32).collect();
            assert_eq!(m.recall_by_cue(q).unwrap(), want, "cue {q}");
        }
        for bit in 0..b {
            let want: Vec<u32> = (0..stored.len())
                .filter(|&q| stored[q].contains(&bit))
                .map(|q| q as u32)
                .collect();
            assert_eq!(m.recall_by_content(&[bit]).unwrap(), want, "bit {bit}");
        }
    };
    check(&mut m, &stored);
    for q in (0..c).step_by(2) {
        stored[q] = random_content(&mut rng);
        m.learn(q, &stored[q]).unwrap();
    }
    check(&mut m, &stored);
}

#[test]
fn bad_input_is_an_error() {
    assert!(matches!(
        Memory::new(0, 10, Ca3Params::default()),
        Err(MemoryError::Param { name: "cues", .. })
    ));
    assert!(matches!(
        Memory::new(3, 0, Ca3Params::default()),
        Err(MemoryError::Param { name: "bits", .. })
    ));
    let p = Ca3Params {
        tau_m: -1.0,
        ..Default::default()
    };
    let e = Memory::new(3, 3, p).unwrap_err();
    assert_eq!(e.to_string(), "tau_m: must be > 0 and finite, got -1");
    let mut m = mem(3, 4);
    assert_eq!(
        m.learn(3, &[0]).unwrap_err(),
        MemoryError::IndexOutOfRange { index: 3, size: 3 }
    );
    assert_eq!(
        m.learn(0, &[4]).unwrap_err(),
        MemoryError::IndexOutOfRange { index: 4, size: 4 }
    );
    assert!(matches!(
        m.recall_by_content(&[]),
        Err(MemoryError::EmptySdr { .. })
    ));
    assert!(m.recall_by_cue(5).is_err());
}

/// The one-shot rule sets the cue's row of `cue → cont` and its column of `cont → cue_rec`
/// to exactly the bounds: `w_max` for the learned bits, 0 for every other bit.
#[test]
fn one_shot_weights_are_exactly_at_the_bounds() {
    let (c, b) = (4, 6);
    let p = Ca3Params::default();
    let mut m = Memory::new(c, b, p.clone()).unwrap();
    m.learn(2, &[1, 4]).unwrap();
    m.learn(0, &[4, 5]).unwrap();
    m.learn(2, &[0, 1]).unwrap();
    let net = m.network();
    // Synapses of an all-to-all projection are stored per source, targets in order.
    let w = net.weights(net.projection("cue_cont").unwrap());
    let v = net.weights(net.projection("cont_cue").unwrap());
    let stored: [&[usize]; 4] = [&[4, 5], &[], &[0, 1], &[]];
    for q in 0..c {
        for bit in 0..b {
            let on = stored[q].contains(&bit);
            let want_w = if on { p.weight as f32 } else { 0.0 };
            let want_v = if on { p.weight_fast as f32 } else { 0.0 };
            assert_eq!(w[q * b + bit], want_w, "cue_cont {q} -> {bit}");
            assert_eq!(v[bit * c + q], want_v, "cont_cue {bit} -> {q}");
        }
    }
}

/// The rule's parameters are checked when the model is lowered.
#[test]
fn one_shot_rule_errors_name_the_field() {
    let p = Ca3Params::default();
    let text = glia_memory::ca3::model_toml(2, 3, &p);
    let bad = |from: &str, to: &str| -> String {
        let t = text.replacen(from, to, 1);
        assert_ne!(t, text);
        let model = glia_spec::parse(&t, std::path::Path::new("."), &Default::default()).unwrap();
        match glia_sim::build::build(&model) {
            Ok(_) => panic!("accepted {to}"),
            Err(e) => e.to_string(),
        }
    };
    let e = bad("trigger = \"pre\", ", "trigger = \"pre\", theta = 1.5, ");
    assert!(
        e.contains("projections[0].plasticity.theta") && e.contains("1.5"),
        "{e}"
    );
    let e = bad("gate = \"learn\"", "gate = \"lern\"");
    assert!(
        e.contains("plasticity.gate") && e.contains("no modulator \"lern\""),
        "{e}"
    );
    let e = bad("tau = 3, ", "tau = -3, ");
    assert!(e.contains("plasticity.tau") && e.contains("-3"), "{e}");
    let e = bad("trigger = \"pre\"", "trigger = \"both\"");
    assert!(e.contains("plasticity.trigger"), "{e}");
}

/// examples/ca3_memory.toml (the same circuit driven by spike generators) performs the
/// operations its header lists, at the stated times.
#[test]
fn toml_example_runs_the_operations() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/ca3_memory.toml"
    );
    let model = glia_spec::load(std::path::Path::new(path), &Default::default()).unwrap();
    let mut net = glia_sim::build::build(&model).unwrap();
    let (cont, rec) = (
        net.population("cont").unwrap(),
        net.population("cue_rec").unwrap(),
    );
    let mut cont_at = vec![Vec::new(); 61];
    let mut rec_at = vec![Vec::new(); 61];
    for _ in 0..60 {
        net.step();
        let t = net.step as usize; // spikes of the step ending at t ms
        cont_at[t] = net.spikes[cont].clone();
        rec_at[t] = net.spikes[rec].clone();
        cont_at[t].sort_unstable();
        rec_at[t].sort_unstable();
    }
    // Recall by cue 0 at 9 ms: the content {0, 1, 2} alone, at 13 ms.
    assert_eq!(cont_at[13], vec![0, 1, 2]);
    assert!(
        cont_at[10..17]
            .iter()
            .enumerate()
            .all(|(k, c)| k == 3 || c.is_empty())
    );
    // Recall by content {2} at 24 ms: cues 0 and 1 at 28 ms.
    assert_eq!(rec_at[28], vec![0, 1]);
    // After relearning cue 0 = {4}: bit 0 recalls nothing, cue 0 recalls {4}.
    assert!(rec_at[40..46].iter().all(Vec::is_empty), "{rec_at:?}");
    assert_eq!(cont_at[50], vec![4]);
    assert_eq!(rec_at[57], vec![0, 1]);
}

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
    // The output shows the cue 8 steps after the input and the content one step later (the
    // paper: 5 and 6 at its output layer, content one step after the cue).
    assert_eq!(m.last_latency_ms(), Some(9));
    let out = m.last_output();
    assert_eq!((out.cue.clone(), out.cue_ms), (vec![0], Some(8)));
    assert_eq!(out.content_ms, Some(9));
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
    // The fragment appears at the output at 7, the cues at 9 (the paper: 5 and 6).
    assert_eq!(m.last_latency_ms(), Some(9));
    assert_eq!(m.last_output().content, vec![2]);
    assert_eq!(m.last_output().content_ms, Some(7));
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
            let want_v = if on { p.weight as f32 } else { 0.0 };
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
    let pops = ["merge_cue", "merge_cont", "cue_rec"].map(|n| net.population(n).unwrap());
    // at[p][t]: neurons of pops[p] that fired in the step ending at t ms.
    let mut at = vec![vec![Vec::new(); 91]; 3];
    for _ in 0..90 {
        net.step();
        let t = net.step as usize;
        for (p, &id) in pops.iter().enumerate() {
            let mut s = net.spikes[id].clone();
            s.sort_unstable();
            at[p][t] = s;
        }
    }
    let fired = |p: usize, from: usize, to: usize| -> Vec<(usize, Vec<u32>)> {
        (from..to)
            .filter(|&t| !at[p][t].is_empty())
            .map(|t| (t, at[p][t].clone()))
            .collect()
    };
    let (cue, cont, rec) = (0, 1, 2);
    // Recall by cue 0 (input at 11 ms): the cue at 20 ms, its content one step later.
    assert_eq!(fired(cue, 15, 23), vec![(20, vec![0])]);
    assert_eq!(fired(cont, 15, 23), vec![(21, vec![0, 1, 2])]);
    // Recall by content {2} (31 ms): the fragment at 39 ms, cues 0 and 1 at 41 ms.
    assert_eq!(fired(cont, 35, 43), vec![(39, vec![2])]);
    assert_eq!(fired(cue, 35, 43), vec![(41, vec![0, 1])]);
    // Relearn cue 0 = {4} (41 ms); then bit 0 recalls no cue (51 ms) ...
    assert_eq!(fired(cue, 55, 63), vec![]);
    assert_eq!(fired(rec, 51, 61), vec![]);
    // ... cue 0 recalls {4} (61 ms) ...
    assert_eq!(fired(cue, 65, 73), vec![(70, vec![0])]);
    assert_eq!(fired(cont, 65, 73), vec![(71, vec![4])]);
    // ... and {2, 4} recalls cues 0 and 1 (71 ms).
    assert_eq!(fired(rec, 71, 81), vec![(79, vec![0, 1])]);
    assert_eq!(fired(cue, 75, 91), vec![(81, vec![0, 1])]);
}

/// sPyMem's functional experiments for this model (`tests/test_CA3_content_addressable.py`,
/// 5 cues × 10 bits; experiments 1, 2, 4 and 5, one operation per 10 ms instead of the
/// paper's input spike trains), with the answers the paper's model gives.
#[test]
fn paper_functional_experiments() {
    // 1) learn and recall.
    let mut m = mem(5, 10);
    m.learn(0, &[0, 1, 2, 9]).unwrap();
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![0, 1, 2, 9]);
    // 2) learn, recall, relearn with forgetting.
    m.learn(0, &[2, 3, 8]).unwrap();
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![2, 3, 8]);
    // 4) learn and recall by cue and by content, one content neuron at a time.
    let mut m = mem(5, 10);
    m.learn(0, &[0, 1, 2, 8, 9]).unwrap();
    m.learn(1, &[0, 7, 8, 9]).unwrap();
    assert_eq!(m.recall_by_content(&[0]).unwrap(), vec![0, 1]);
    assert_eq!(m.recall_by_content(&[9]).unwrap(), vec![0, 1]);
    assert_eq!(m.recall_by_content(&[2]).unwrap(), vec![0]);
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![0, 1, 2, 8, 9]);
    m.learn(0, &[2, 3, 9]).unwrap();
    assert_eq!(m.recall_by_cue(0).unwrap(), vec![2, 3, 9]);
    assert_eq!(m.recall_by_content(&[0]).unwrap(), vec![1]);
    assert_eq!(m.recall_by_content(&[2]).unwrap(), vec![0]);
    assert_eq!(m.recall_by_content(&[9]).unwrap(), vec![0, 1]);
    // 5) several content neurons at a time.
    let mut m = mem(5, 10);
    m.learn(0, &[0, 1, 2]).unwrap();
    m.learn(1, &[1, 2, 3]).unwrap();
    m.learn(2, &[2, 3, 4]).unwrap();
    assert_eq!(m.recall_by_content(&[0, 4]).unwrap(), vec![0, 2]);
    assert_eq!(m.recall_by_content(&[2]).unwrap(), vec![0, 1, 2]);
    assert_eq!(m.recall_by_cue(1).unwrap(), vec![1, 2, 3]);
    assert_eq!(m.recall_by_content(&[1, 3]).unwrap(), vec![0, 1, 2]);
    // In every recall by content the fragment itself is the content part of the output.
    assert_eq!(m.last_output().content, vec![1, 3]);
}

/// The paper's content gating: in a recall by cue, the content the cue retrieves must not go
/// on to recall cues (`cont_cond` is held by the cue's inhibition, so `cont_rec` and every other
/// `cue_rec` cell stay silent); in a recall by content it does.
#[test]
fn recall_by_cue_recalls_no_other_cue() {
    let mut m = mem(4, 6);
    m.learn(0, &[0, 1]).unwrap();
    m.learn(1, &[1, 2]).unwrap();
    m.learn(2, &[2, 3]).unwrap();
    let fired = |m: &Memory, pop: &str| -> Vec<u32> {
        let mut v: Vec<u32> = m
            .raster()
            .iter()
            .filter(|e| e.population == pop)
            .flat_map(|e| e.neurons.clone())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    for q in 0..3 {
        m.record(true);
        m.recall_by_cue(q).unwrap();
        assert_eq!(m.last_output().cue, vec![q as u32], "cue {q}");
        assert!(!fired(&m, "cont").is_empty());
        assert_eq!(fired(&m, "cont_cond"), Vec::<u32>::new(), "cue {q}");
        assert_eq!(fired(&m, "cont_rec"), Vec::<u32>::new(), "cue {q}");
        assert_eq!(fired(&m, "cue_rec"), vec![q as u32], "cue {q}");
    }
    m.record(true);
    assert_eq!(m.recall_by_content(&[1]).unwrap(), vec![0, 1]);
    assert_eq!(fired(&m, "cont_rec"), vec![1]);
    assert_eq!(fired(&m, "cue_rec"), vec![0, 1]);
    m.record(false);
    assert!(m.raster().is_empty());
}

/// Why the circuit uses the one-shot rule and a learn gate: the same circuit with the paper's
/// pair STDP instead (all-to-all pairs, A± = 6 nA, τ± = 3 ms, w ∈ [0, 6] nA, additive, no
/// gate) learns — the held cue's second spike meets the content it recalled — but in glia's
/// timing it neither forgets (a relearned cue keeps its old bits) nor protects the memories
/// from recall (a recall by content with a bit that no memory holds wires that bit into every
/// recalled cue).
#[test]
fn paper_pair_stdp_learns_but_does_not_forget() {
    let mut t = glia_memory::ca3::model_toml(5, 10, &Ca3Params::default());
    for (trig, gate) in [("pre", "learn_cue"), ("post", "learn")] {
        let from =
            format!("rule = \"one_shot\", trigger = \"{trig}\", gate = \"{gate}\", tau = 3, ");
        assert!(t.contains(&from));
        t = t.replace(
            &from,
            "rule = \"stdp\", a_plus = 6000.0, a_minus = 6000.0, tau_plus = 3.0, tau_minus = 3.0, ",
        );
    }
    let model = glia_spec::parse(&t, std::path::Path::new("."), &Default::default()).unwrap();
    let mut net = glia_sim::build::build(&model).unwrap();
    let [cue, cont, mc, mq] =
        ["cue", "cont", "merge_cont", "merge_cue"].map(|n| net.population(n).unwrap());
    let hot = |n: usize, i: &[usize]| {
        let mut v = vec![0.0f32; n];
        for &j in i {
            v[j] = 6000.0;
        }
        v
    };
    // One operation (hold 3 steps to learn, 1 to recall); returns the output (cues, content).
    let mut op = |q: Option<usize>, c: &[usize], hold: u64| -> (Vec<u32>, Vec<u32>) {
        let (mut oq, mut oc) = (Vec::new(), Vec::new());
        for k in 0..10 {
            if k < hold {
                if let Some(q) = q {
                    net.add_input(cue, 0, &hot(5, &[q]));
                }
                if !c.is_empty() {
                    net.add_input(cont, 0, &hot(10, c));
                }
            }
            net.step();
            if k >= 5 {
                oq.extend_from_slice(&net.spikes[mq]);
                oc.extend_from_slice(&net.spikes[mc]);
            }
        }
        for v in [&mut oq, &mut oc] {
            v.sort_unstable();
            v.dedup();
        }
        (oq, oc)
    };
    op(Some(0), &[0, 1, 2], 3);
    assert_eq!(op(Some(0), &[], 1).1, vec![0, 1, 2]); // learned
    assert_eq!(op(None, &[1], 1).0, vec![0]);
    op(Some(0), &[4], 3); // relearn: the old bits stay
    assert_eq!(op(Some(0), &[], 1).1, vec![0, 1, 2, 4]);
    op(Some(1), &[1, 2], 3);
    assert_eq!(op(None, &[3], 1).0, Vec::<u32>::new());
    op(None, &[1, 3], 1);
    op(None, &[1, 3], 1);
    assert_eq!(op(None, &[3], 1).0, vec![0, 1]); // bit 3 now recalls cues 0 and 1
}

/// Back-to-back recalls by content that each recall about 200 of 1000 cues (1000 bits, each
/// cue storing 2 of the first 10): the lateral inhibition among the recalled cues must not
/// leave the next operation's `cue_rec` cells below the reach of one 6-nA synapse (with the
/// paper's −6·B nA per spike it did, and every second recall returned nothing).
#[test]
fn many_cues_recalled_back_to_back() {
    let (c, b) = (1000, 1000);
    let mut m = mem(c, b);
    let mut rng = CounterRng::new(3, Purpose::Memory, 0, 0, 0);
    let stored: Vec<Vec<usize>> = (0..c)
        .map(|_| {
            let x = rng.below(10) as usize;
            let y = (x + 1 + rng.below(9) as usize) % 10;
            vec![x.min(y), x.max(y)]
        })
        .collect();
    for (q, content) in stored.iter().enumerate() {
        m.learn(q, content).unwrap();
    }
    for bit in 0..10 {
        let want: Vec<u32> = (0..c)
            .filter(|&q| stored[q].contains(&bit))
            .map(|q| q as u32)
            .collect();
        assert!(want.len() > 150);
        assert_eq!(m.recall_by_content(&[bit]).unwrap(), want, "bit {bit}");
    }
}

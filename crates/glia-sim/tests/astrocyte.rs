//! The NALSM astrocyte (`examples/nalsm_liquid.toml`): an `activity` modulator over the liquid
//! minus the input that sets the STDP depression rate `a_minus` of every liquid synapse.

mod common;
use common::build_with;
use glia_analysis::SpikeTrains;
use glia_sim::Network;
use glia_spec::Overrides;

/// Run the liquid for `ms` with astrocyte weight `astro_w` and return the branching factor in
/// consecutive windows of `win` ms, and the network.
fn branching(astro_w: f64, win: f64) -> (Vec<f64>, Network) {
    let ov = Overrides {
        parameters: vec![("astro_w".into(), astro_w)],
        ..Overrides::default()
    };
    let mut net = build_with(&common::example("nalsm_liquid.toml"), &ov);
    let steps = net.planned_steps;
    let ms = steps as f64 * net.dt;
    net.run(steps, &mut |_| true);
    let (e, i) = (net.population("E").unwrap(), net.population("I").unwrap());
    let ne = net.pops[e].size as u32;
    // One spike list over the liquid: E are 0..800, I are 800..1000. A spike emitted in step s
    // has time (s + 1)·dt.
    let (mut times, mut ids) = (Vec::new(), Vec::new());
    for m in &net.monitors.spikes {
        let off = if m.pop == e { 0 } else { ne };
        for (&s, &k) in m.steps.iter().zip(&m.ids) {
            times.push((s + 1) as f64 * net.dt);
            ids.push(k + off);
        }
    }
    // Postsynaptic liquid partners of every liquid neuron.
    let n = (ne + net.pops[i].size as u32) as usize;
    let mut targets: Vec<Vec<u32>> = vec![Vec::new(); n];
    for p in &net.projs {
        if !((p.source == e || p.source == i) && (p.target == e || p.target == i)) {
            continue;
        }
        let (so, to) = (
            if p.source == e { 0 } else { ne },
            if p.target == e { 0 } else { ne },
        );
        for src in 0..net.pops[p.source].size {
            let (a, b) = (p.csr.row_ptr[src] as usize, p.csr.row_ptr[src + 1] as usize);
            targets[src + so as usize].extend(p.csr.targets[a..b].iter().map(|&t| t + to));
        }
    }
    let trains = SpikeTrains::new(n, 0.0, ms + net.dt, &times, &ids);
    let mut out = Vec::new();
    let mut t = 0.0;
    while t + win <= ms {
        // NALSM counts partners firing in the frame after the spike; glia's smallest delay is
        // one step, so the frame is 2 ms here (the spike's arrival step and the next).
        out.push(
            trains
                .branching_ratio(|k| &targets[k], 2.0, t, t + win)
                .unwrap_or(0.0),
        );
        t += win;
    }
    (out, net)
}

/// With the astrocyte (NALSM's w_astro = 0.015, A₊ = 0.15, τ_astro = 100 ms, in glia's
/// scaling), the liquid's branching factor (NALSM's definition: liquid partners firing within
/// 2 ms of a liquid spike, averaged over spikes, in 250 ms windows) falls from ~3.9 (weights
/// start at the bounds) and settles: over the last 1.5 s of a 6 s run every window lies in
/// [0.5, 1.4] and their mean in [0.7, 1.2] (measured: 0.76–1.14, mean 0.91; the paper reports
/// 1.21–1.27 on MNIST input after 1000 s of initialisation). With the astrocyte's weight at 0
/// (plain STDP, A₋ = A₊ fixed) it drifts instead: it stays above 3 and grows by more than 0.3
/// from the second window to the last (measured 5.5 → 6.2).
#[test]
fn astrocyte_holds_the_branching_factor() {
    let (with, net) = branching(0.0015, 250.0);
    let (without, _) = branching(0.0, 250.0);
    let astro = net.modulator("astro").unwrap();
    let e = net.population("E").unwrap();
    let rate = net.stats[e].total as f64 / 800.0 / (net.planned_steps as f64 * net.dt) * 1e3;
    let msg = format!(
        "(E rate {rate:.1} Hz) with astrocyte {with:.3?} (A₋ at the end {astro}), without {without:.3?}"
    );
    let tail = &with[with.len() - 6..];
    assert!(tail.iter().all(|&b| (0.5..=1.4).contains(&b)), "{msg}");
    let mean = tail.iter().sum::<f64>() / tail.len() as f64;
    assert!((0.7..=1.2).contains(&mean), "{msg}");
    assert!(without[1..].iter().all(|&b| b > 3.0), "{msg}");
    assert!(without[without.len() - 1] - without[1] > 0.3, "{msg}");
}

/// Determinism with modulators and modulated plasticity: 300 ms of the NALSM liquid give
/// bit-identical weights, spikes and astrocyte state with 1 and 2 threads.
#[test]
fn nalsm_is_deterministic_across_threads() {
    let run = |threads: usize| {
        let ov = Overrides {
            duration: Some(300.0),
            threads: Some(threads),
            ..Overrides::default()
        };
        let mut net = build_with(&common::example("nalsm_liquid.toml"), &ov);
        let steps = net.planned_steps;
        net.run(steps, &mut |_| true);
        let w: Vec<Vec<u32>> = net
            .projs
            .iter()
            .map(|p| match &p.csr.weights {
                glia_sim::Weights::PerSynapse(w) => w.iter().map(|x| x.to_bits()).collect(),
                glia_sim::Weights::Const(w) => vec![w.to_bits()],
            })
            .collect();
        let spikes: Vec<(Vec<u64>, Vec<u32>)> = net
            .monitors
            .spikes
            .iter()
            .map(|m| (m.steps.clone(), m.ids.clone()))
            .collect();
        (w, spikes, net.modulator("astro").unwrap().to_bits())
    };
    assert!(run(1) == run(2), "1 and 2 threads differ");
}

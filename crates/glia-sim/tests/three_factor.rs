//! Three-factor rules: reward-modulated STDP (Izhikevich 2007) and the gated Hebbian readout
//! rule, driven by modulator channels.

mod common;
use common::{build, run};
use glia_sim::Weights;

/// Izhikevich (2007) distal reward, shortened (`examples/izhikevich2007_reward.toml` run for
/// 400 s instead of an hour): 50 Poisson inputs (5 Hz) drive one LIF neuron through R-STDP
/// synapses (A₊ = 1, A₋ = 1.5 (scaled), τ± = 20 ms, τ_c = 1 s, tonic dopamine 0.01). Whenever
/// input 0 fires and the neuron fires 1–10 ms later, a dopamine pulse of 0.5 (τ_d = 200 ms)
/// follows after a random delay of 1–3 s (`kind = "reward"` modulator). At the end the
/// rewarded synapse is at the upper bound (≥ 0.95·w_max) while the mean of the others is
/// ≤ 0.25·w_max (they start at 0.25·w_max and drift down).
#[test]
fn distal_reward_selects_the_rewarded_synapse() {
    let text = common::example("izhikevich2007_reward.toml")
        .replace("duration = 3600000.0", "duration = 400000.0");
    let mut net = build(&text);
    run(&mut net);
    let Weights::PerSynapse(w) = &net.projs[0].csr.weights else {
        panic!("plastic weights are per synapse")
    };
    let csr = &net.projs[0].csr;
    let w0 = w[csr.row_ptr[0] as usize];
    let others: f32 = w[csr.row_ptr[1] as usize..].iter().sum::<f32>() / 49.0;
    let wmax = 4.0;
    assert!(
        w0 >= 0.95 * wmax,
        "rewarded synapse {w0}, others {others}"
    );
    assert!(others <= 0.25 * wmax, "others {others} (rewarded {w0})");
}

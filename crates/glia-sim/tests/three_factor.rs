//! Three-factor rules: reward-modulated STDP (Izhikevich 2007) and the gated Hebbian readout
//! rule, driven by modulator channels.

mod common;
use common::build;
use glia_sim::Weights;

/// Izhikevich (2007) distal reward, shortened (`examples/izhikevich2007_reward.toml` run for
/// 2000 s instead of an hour, ~8 s of test time): 50 Poisson inputs (1 Hz) drive one noisy LIF
/// neuron (~6 Hz) through R-STDP synapses (A₊ = 0.004, A₋ = 1.3·A₊, τ± = 20 ms, τ_c = 1 s).
/// Whenever input 0 fires and the neuron fires 1–10 ms later, a dopamine pulse of 0.5
/// (τ_d = 200 ms) follows after a random delay of 1–3 s (`kind = "reward"` modulator). At the
/// end the rewarded synapse is at the upper bound (≥ 0.9·w_max) while the mean of the others
/// stays low (≤ 0.3·w_max; they start at 0.25·w_max) and below a third of it. Learning is a
/// biased random walk (each reward moves every weight by ~100·c): with seeds 1–6 the rewarded
/// synapse ended at 3.78–4.0 and the others' mean at ≤ 1.10 (w_max = 4).
#[test]
fn distal_reward_selects_the_rewarded_synapse() {
    let text = common::example("izhikevich2007_reward.toml")
        .replace("duration = 3600000.0", "duration = 2000000.0");
    let mut net = build(&text);
    let post = net.population("post").unwrap();
    let weights = |net: &glia_sim::Network| -> (f32, f32) {
        let csr = &net.projs[0].csr;
        let Weights::PerSynapse(w) = &csr.weights else {
            panic!("plastic weights are per synapse")
        };
        let others = w[csr.row_ptr[1] as usize..].iter().sum::<f32>() / 49.0;
        (w[csr.row_ptr[0] as usize], others)
    };
    // The trajectory (every 20 s), shown if the test fails.
    let mut log = String::new();
    let chunk = net.planned_steps / 20;
    for k in 0..20 {
        net.run(chunk, &mut |_| true);
        let (w0, others) = weights(&net);
        let rate = net.stats[post].total as f64 / ((k + 1) as f64 * chunk as f64 * net.dt) * 1e3;
        log += &format!(
            "{:.0} s: w0 {w0:.3} others {others:.3} post {rate:.1} Hz\n",
            (k + 1) as f64 * chunk as f64 * net.dt / 1e3
        );
    }
    let (w0, others) = weights(&net);
    let wmax = 4.0;
    assert!(
        w0 >= 0.9 * wmax,
        "rewarded synapse {w0}, others {others}\n{log}"
    );
    assert!(
        others <= 0.3 * wmax && others * 3.0 <= w0,
        "others {others} (rewarded {w0})\n{log}"
    );
}

/// The gated Hebbian rule integrates `dw/dt = η·E·G·e`, `e` the presynaptic trace: with
/// constant error and gate (`series` modulators) and presynaptic spikes at known times, the
/// final weight equals the discrete sum `w₀ + Σ_steps dt·η·E·G·e_s` (`e` decays exactly per
/// step and jumps by 1 at each spike's arrival) within 1e-5 relative (f32 weights).
#[test]
fn gated_hebbian_integrates_error_times_gate_times_trace() {
    let text = r#"
        [simulation]
        dt = 0.5
        duration = 200.0
        [[populations]]
        name = "src"
        size = 1
        model = "spike_generator"
        params = { times = [10.0, 30.0, 31.0, 120.0] }
        [[populations]]
        name = "out"
        size = 1
        model = "lif"
        params = { V_th = 1e9 }
        ports.exc = { tau_syn = 5.0 }
        [[modulators]]
        name = "err"
        kind = "series"
        times = [0.0, 100.0]
        values = [0.5, -0.25]
        [[modulators]]
        name = "attn"
        kind = "series"
        times = [50.0]
        values = [2.0]
        initial = 1.0
        [[projections]]
        source = "src"
        target = "out"
        port = "exc"
        connect = { rule = "all_to_all" }
        weight = 1.0
        delay = 1.0
        plasticity = { rule = "gated_hebbian", error = "err", gate = "attn", eta = 0.1, tau_e = 20.0, w_min = -10.0, w_max = 10.0 }
    "#;
    let mut net = build(text);
    let steps = net.planned_steps;
    net.run(steps, &mut |_| true);
    let Weights::PerSynapse(w) = &net.projs[0].csr.weights else {
        panic!()
    };
    // Reference: spike emitted in the step ending at T reaches the synapse at T + delay, i.e.
    // in the plasticity phase of step round((T + 1)/dt) − 1.
    let (dt, tau) = (0.5f64, 20.0f64);
    let arrive: Vec<u64> = [10.0f64, 30.0, 31.0, 120.0]
        .iter()
        .map(|t| ((t + 1.0) / dt).round() as u64 - 1)
        .collect();
    let (mut e, mut want) = (0.0f64, 1.0f64);
    for s in 0..steps {
        let t = (s + 1) as f64 * dt;
        let err = if t >= 100.0 { -0.25 } else { 0.5 };
        let gate = if t >= 50.0 { 2.0 } else { 1.0 };
        e += arrive.iter().filter(|&&a| a == s).count() as f64;
        e *= (-dt / tau).exp();
        want += dt * 0.1 * err * gate * e;
    }
    let got = f64::from(w[0]);
    assert!(
        (got - want).abs() < 1e-5 * want.abs().max(1.0),
        "{got} vs {want}"
    );
}

/// Wrong modulator wiring is an error naming the field.
#[test]
fn modulator_errors_name_the_field() {
    let base = common::example("izhikevich2007_reward.toml");
    let err = |text: &str| -> String {
        match glia_spec::parse(text, std::path::Path::new("."), &Default::default()) {
            Err(e) => e.to_string(),
            Ok(m) => glia_sim::build::build(&m).err().unwrap().to_string(),
        }
    };
    assert_eq!(
        err(&base.replace("modulator = \"dopamine\"", "modulator = \"dopamin\"")),
        "projections[0].plasticity.modulator: no modulator \"dopamin\" (modulators: dopamine)"
    );
    let e = err(&base.replace(
        "d_tonic = 0.0,",
        "d_tonic = 0.0, modulate = { a_minus = \"dopamine\" },",
    ));
    assert_eq!(
        e,
        "projections[0].plasticity.modulate.a_minus: rule \"rstdp\" has no parameter \"a_minus\" that a modulator can drive (it has none)"
    );
    let e = err(&base.replace(
        "pre = { population = \"pre\", id = 0 }",
        "pre = { population = \"pre\", id = 50 }",
    ));
    assert_eq!(
        e,
        "modulators[0].pre.id: must be in 0..50 (population \"pre\"), got 50"
    );
    let e = err(&base.replace(
        "name = \"dopamine\"\nkind = \"reward\"",
        "name = \"dopamine\"\nkind = \"rewards\"",
    ));
    assert!(e.starts_with("modulators[0]"), "{e}");
    let activity = base.replace(
        "[[modulators]]",
        "[[modulators]]\nname = \"rate\"\nkind = \"activity\"\ntau = 100.0\nsources = []\n\n[[modulators]]",
    );
    assert_eq!(
        err(&activity),
        "modulators[0].sources: an activity modulator needs at least one source population, got []"
    );
}

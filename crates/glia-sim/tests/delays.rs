//! Spike transmission delays: a spike sent with delay d arrives exactly d steps later.

mod common;
use common::{build, run};
use proptest::prelude::*;

/// A generator spike at time T reaches a current port through a delay of d steps: the synaptic
/// current is zero up to T + d·dt and jumps to the weight at exactly T + d·dt (the sample taken
/// at the end of step round(T/dt) − 1 + d).
fn check_delay(spike_step: u64, d: u64) {
    let dt = 0.1;
    let t = spike_step as f64 * dt;
    let delay = d as f64 * dt;
    let duration = (spike_step + d + 5) as f64 * dt;
    let text = format!(
        r#"
        [simulation]
        dt = {dt}
        duration = {duration}
        [[populations]]
        name = "src"
        size = 1
        model = "spike_generator"
        params = {{ times = [{t}] }}
        [[populations]]
        name = "dst"
        size = 1
        model = "lif"
        params = {{ V_th = 1000.0 }}
        ports.exc = {{ tau_syn = 5.0 }}
        [[projections]]
        source = "src"
        target = "dst"
        port = "exc"
        connect = {{ rule = "all_to_all" }}
        weight = 100.0
        delay = {delay}
        [[monitors]]
        kind = "state"
        population = "dst"
        variables = ["I_exc"]
        ids = [0]
        [[monitors]]
        kind = "spikes"
        population = "src"
        "#
    );
    let mut net = build(&text);
    run(&mut net);
    let src = &net.monitors.spikes[0];
    assert_eq!(
        src.steps,
        vec![spike_step - 1],
        "generator spike emitted in the step ending at T"
    );
    let m = &net.monitors.state[0];
    let first = m.data[0]
        .iter()
        .position(|&x| x != 0.0)
        .expect("input arrived");
    let arrival_ms = (m.steps[first] + 1) as f64 * dt;
    assert!(
        (arrival_ms - (t + delay)).abs() < 1e-9,
        "spike at {t} ms, delay {delay} ms, arrived {arrival_ms} ms"
    );
    assert_eq!(m.data[0][first], 100.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn delay_is_exact(spike_step in 1u64..300, d in 1u64..400) {
        check_delay(spike_step, d);
    }
}

/// Per-synapse delays drawn from a distribution: each target receives the spike exactly its
/// own synapse's delay later.
#[test]
fn per_synapse_delays_are_exact() {
    let text = r#"
        [simulation]
        duration = 30.0
        [[populations]]
        name = "src"
        size = 1
        model = "spike_generator"
        params = { times = [1.0] }
        [[populations]]
        name = "dst"
        size = 50
        model = "lif"
        params = { V_th = 1000.0 }
        ports.exc = { tau_syn = 5.0 }
        [[projections]]
        source = "src"
        target = "dst"
        port = "exc"
        connect = { rule = "all_to_all" }
        weight = 1.0
        delay = { dist = "uniform", low = 0.1, high = 25.0 }
        [[monitors]]
        kind = "state"
        population = "dst"
        variables = ["I_exc"]
        ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49]
    "#;
    let mut net = build(text);
    // A static spiking projection keeps its delays packed in the target words.
    assert!(matches!(
        net.projs[0].csr.delays,
        glia_sim::Delays::Packed { bits: 8, .. }
    ));
    run(&mut net);
    let edges = net.projs[0].csr.edges();
    let delays: std::collections::BTreeSet<u16> = edges.iter().map(|e| e.delay).collect();
    assert!(delays.len() > 20, "delays should differ: {delays:?}");
    let m = &net.monitors.state[0];
    let n = m.ids.len();
    for e in &edges {
        let j = e.target as usize;
        let first = (0..m.steps.len())
            .find(|&k| m.data[0][k * n + j] != 0.0)
            .unwrap();
        assert_eq!(
            m.steps[first],
            9 + u64::from(e.delay),
            "target {j} delay {}",
            e.delay
        );
    }
}

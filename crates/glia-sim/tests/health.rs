//! Numerical-fault detection (issue 12): a NaN or infinity in a state variable or a plastic
//! weight stops the run with the population, neuron, variable and step.

mod common;

use glia_sim::health::{CHECK_EVERY, OnNan, run_checked};

const NET: &str = r#"
[simulation]
dt = 0.1
duration = 100.0
seed = 3

[[populations]]
name = "input"
size = 50
model = "poisson"
params = { rate = 40.0 }

[[populations]]
name = "cells"
size = 1500
model = "lif"
params = { tau_m = 20.0, C_m = 200.0, E_L = -70.0, V_th = -54.0, V_reset = -60.0, t_ref = 2.0 }
ports.exc = { type = "current", tau_syn = 5.0 }

[[projections]]
name = "plastic"
source = "input"
target = "cells"
port = "exc"
connect = { rule = "fixed_indegree", indegree = 5 }
weight = 300.0
delay = 1.0
plasticity = { rule = "stdp", a_plus = 0.1, a_minus = 0.1, tau_plus = 20.0, tau_minus = 20.0, w_min = 0.0, w_max = 1000.0 }
"#;

/// The network with two spikes of 3e38 pA (a finite weight) into neuron `id`, at `t` and
/// `t + 0.1` ms: its synaptic current overflows to infinity in the step the second arrives.
fn with_overflow(id: usize, t: f64) -> glia_sim::Network {
    common::build(&format!(
        r#"{NET}
[[populations]]
name = "kick"
size = 1500
model = "spike_generator"
params = {{ times = [{t}, {t2}], ids = [{id}, {id}] }}

[[projections]]
name = "huge"
source = "kick"
target = "cells"
port = "exc"
connect = {{ rule = "one_to_one" }}
weight = 3e38
delay = 0.1
"#,
        t2 = t + 0.1
    ))
}

#[test]
fn nan_in_state_stops_the_run_naming_population_neuron_variable_and_step() {
    // neuron in the second block; the spikes arrive in steps 50 and 51
    let mut net = with_overflow(1234, 5.0);
    let (st, f) = run_checked(&mut net, 50, OnNan::Error, &mut |_| true, &mut |_| {});
    assert!(st.complete && f.is_none(), "{f:?}");
    let (st, f) = run_checked(&mut net, 500, OnNan::Error, &mut |_| true, &mut |_| {});
    let f = f.expect("fault found");
    assert!(!st.complete);
    // found at the first check after the overflow
    assert_eq!((f.step, f.last_ok), (50 + CHECK_EVERY, 50));
    assert_eq!(net.step, 50 + CHECK_EVERY, "the run stopped at the check");
    assert_eq!(
        (f.population.as_str(), f.neuron, f.variable.as_str()),
        ("cells", 1234, "I_exc")
    );
    assert!(!f.value.is_finite());
    let msg = f.to_string();
    let found = 50 + CHECK_EVERY;
    for want in [
        "\"cells\"".to_string(),
        "neuron 1234".to_string(),
        "variable I_exc".to_string(),
        format!("step {found}"),
        format!("t = {} ms", found as f64 * 0.1),
        format!("51..={found}"),
    ] {
        assert!(msg.contains(&want), "{want:?} not in {msg}");
    }
}

#[test]
fn infinity_in_the_last_steps_is_caught_by_the_final_check() {
    let mut net = with_overflow(7, 0.1);
    // fewer steps than CHECK_EVERY: only the check after the last step runs
    let (st, f) = run_checked(&mut net, 5, OnNan::Error, &mut |_| true, &mut |_| {});
    let f = f.expect("fault found");
    assert!(!st.complete);
    assert_eq!((f.neuron, f.step, f.last_ok), (7, 5, 0));
}

#[test]
fn warn_reports_once_and_runs_on_off_does_not_check() {
    let mut net = with_overflow(0, 0.1);
    let mut warnings = Vec::new();
    let (st, f) = run_checked(&mut net, 100, OnNan::Warn, &mut |_| true, &mut |f| {
        warnings.push(f.clone())
    });
    assert!(st.complete && f.is_none());
    assert_eq!(warnings.len(), 1);
    assert_eq!((warnings[0].neuron, warnings[0].step), (0, CHECK_EVERY));
    let (st, f) = run_checked(&mut net, 100, OnNan::Off, &mut |_| true, &mut |_| {});
    assert!(st.complete && f.is_none());
    assert_eq!(net.step, 200);
}

#[test]
fn nan_plastic_weight_is_named_as_the_cause() {
    let mut net = common::build(NET);
    let k = net.projection("plastic").unwrap();
    let sources = net.synapse_sources(k);
    let targets = net.projs[k].csr.targets.clone();
    let glia_sim::Weights::PerSynapse(w) = &mut net.projs[k].csr.weights else {
        panic!("plastic weights are stored per synapse");
    };
    w[42] = f32::NAN;
    let (_, f) = run_checked(&mut net, 1000, OnNan::Error, &mut |_| true, &mut |_| {});
    let f = f.expect("a spike of the source carries the NaN into its target");
    let wf = f.weight.clone().expect("weight named");
    assert_eq!(wf.projection, "plastic");
    assert_eq!(
        (wf.synapse, wf.source, wf.target),
        (42, sources[42], targets[42])
    );
    assert_eq!(f.population, "cells");
    assert!(
        f.to_string()
            .contains("plastic weight 42 of projection \"plastic\"")
    );
}

#[test]
fn checked_run_is_bit_identical_to_an_unchecked_one() {
    let mut a = common::build(NET);
    let mut b = common::build(NET);
    a.run(1000, &mut |_| true);
    let (_, f) = run_checked(&mut b, 1000, OnNan::Error, &mut |_| true, &mut |_| {});
    assert!(f.is_none());
    let cells = a.population("cells").unwrap();
    assert_eq!(a.state(cells, "v"), b.state(cells, "v"));
    assert_eq!(a.stats[cells].total, b.stats[cells].total);
    assert!(a.stats[cells].total > 0, "the test network must spike");
}

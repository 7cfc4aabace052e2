//! Same seed → byte-identical outputs, for any thread count and across repeated runs.

mod common;
use common::{build_with, example, run};
use glia_sim::output::{RunInfo, write_outputs};
use glia_spec::Overrides;

fn spikes_bytes(text: &str, threads: usize, duration: f64, params: &[(&str, f64)]) -> Vec<u8> {
    let ov = Overrides {
        threads: Some(threads),
        duration: Some(duration),
        parameters: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..Default::default()
    };
    let mut net = build_with(text, &ov);
    let steps = net.planned_steps;
    let stats = net.run(steps, &mut |_| true);
    let dir = tempfile::tempdir().unwrap();
    let params = Default::default();
    write_outputs(
        &net,
        dir.path(),
        &RunInfo {
            model_path: "test",
            run: stats,
            parameters: &params,
        },
    )
    .unwrap();
    std::fs::read(dir.path().join("spikes.npz")).unwrap()
}

fn check(text: &str, duration: f64, params: &[(&str, f64)]) {
    let one = spikes_bytes(text, 1, duration, params);
    assert!(one.len() > 1000, "too few spikes to be a meaningful check");
    assert_eq!(
        one,
        spikes_bytes(text, 1, duration, params),
        "repeated run differs"
    );
    assert_eq!(
        one,
        spikes_bytes(text, 2, duration, params),
        "2 threads differ from 1"
    );
    assert_eq!(
        one,
        spikes_bytes(text, 3, duration, params),
        "3 threads differ from 1"
    );
}

#[test]
fn cuba_is_bit_identical_across_threads() {
    run(&mut build_with(
        &example("cuba.toml"),
        &Overrides {
            duration: Some(1.0),
            ..Default::default()
        },
    ));
    check(&example("cuba.toml"), 300.0, &[]);
}

#[test]
fn coba_is_bit_identical_across_threads() {
    check(&example("coba.toml"), 200.0, &[]);
}

/// Brunel with Poisson drive, fixed in-degree and 1.5 ms delays, at a small size.
#[test]
fn brunel_is_bit_identical_across_threads() {
    check(&example("brunel.toml"), 100.0, &[("order", 300.0)]);
}

/// Poisson source population, fixed out-degree, distributed weights and per-synapse delays,
/// step currents on a subset, several blocks per population.
#[test]
fn mixed_network_is_bit_identical_across_threads() {
    let text = r#"
        [simulation]
        duration = 200.0
        seed = 7
        [[populations]]
        name = "input"
        size = 700
        model = "poisson"
        params = { rate = { dist = "uniform", low = 5.0, high = 40.0 } }
        [[populations]]
        name = "net"
        size = 2500
        model = "lif"
        params = { tau_m = 20.0, C_m = 250.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }
        ports.exc = { tau_syn = 2.0 }
        ports.inh = { tau_syn = 5.0 }
        ports.nmda = { type = "conductance", tau_syn = 50.0, E_rev = 0.0 }
        initial.v = { dist = "normal", mean = -60.0, std = 4.0 }
        [[inputs]]
        kind = "step_current"
        target = "net"
        times = [20.0, 120.0]
        amplitudes = [150.0, 50.0]
        ids = [0, 5, 1500, 2499]
        [[projections]]
        source = "input"
        target = "net"
        port = "exc"
        connect = { rule = "fixed_outdegree", outdegree = 40 }
        weight = { dist = "lognormal", mu = 5.0, sigma = 0.5, max = 600.0 }
        delay = { dist = "normal", mean = 2.0, std = 1.0, min = 0.1, max = 5.0 }
        [[projections]]
        source = "net"
        target = "net"
        port = "inh"
        connect = { rule = "fixed_probability", p = 0.01 }
        weight = -20.0
        delay = 0.7
        [[projections]]
        source = "net"
        target = "net"
        port = "nmda"
        connect = { rule = "fixed_indegree", indegree = 5, allow_multapses = false, allow_self = false }
        weight = 0.5
        delay = 1.0
        [[projections]]
        source = "net"
        target = "net"
        port = "exc"
        connect = { rule = "fixed_total_number", n = 25000, allow_self = false }
        weight = { dist = "normal", mean = 30.0, std = 5.0 }
        delay = 1.5
        [[monitors]]
        kind = "spikes"
        population = "net"
        [[monitors]]
        kind = "spikes"
        population = "input"
    "#;
    check(text, 200.0, &[]);
}

/// `fixed_total_number` errors name the field and value.
#[test]
fn fixed_total_number_errors_name_the_field() {
    let text = |conn: &str, size: usize| {
        format!(
            r#"
            [simulation]
            dt = 0.1
            duration = 1.0
            [[populations]]
            name = "a"
            size = {size}
            model = "lif"
            ports.syn = {{ tau_syn = 2.0 }}
            [[projections]]
            source = "a"
            target = "a"
            port = "syn"
            connect = {{ rule = "fixed_total_number", {conn} }}
            "#
        )
    };
    let err = |t: String| {
        glia_spec::parse(&t, std::path::Path::new("."), &Overrides::default())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(text("n = -3", 10)),
        "projections[0].connect.n: must be ≥ 0, got -3"
    );
    assert!(
        err(text("n = 5, allow_self = false", 1))
            .starts_with("projections[0].connect.n: no candidate partners"),
    );
    assert!(err(text("total = 5", 10)).contains("total"));
    assert!(
        glia_spec::parse(
            &text("n = 0, allow_self = false", 1),
            std::path::Path::new("."),
            &Overrides::default()
        )
        .is_ok()
    );
}

/// Issue 10 (the persistent thread team): a network with short-term plasticity (a serial phase
/// between update and delivery), pair STDP (serial plasticity phase) and a population split
/// unevenly over the threads gives the same spikes, weights and step count for 1, 2 and 3
/// threads, also when `progress` stops the run early.
#[test]
fn team_with_stp_stdp_and_early_stop_matches_serial() {
    let text = r#"
        [simulation]
        duration = 150.0
        seed = 11
        [[populations]]
        name = "input"
        size = 300
        model = "poisson"
        params = { rate = 30.0 }
        [[populations]]
        name = "net"
        size = 2100
        model = "lif"
        params = { tau_m = 20.0, C_m = 250.0, E_L = -65.0, V_th = -50.0, V_reset = -65.0 }
        ports.exc = { tau_syn = 2.0 }
        ports.inh = { tau_syn = 5.0 }
        initial.v = { dist = "uniform", low = -65.0, high = -50.0 }
        [[projections]]
        source = "input"
        target = "net"
        port = "exc"
        connect = { rule = "fixed_outdegree", outdegree = 200 }
        weight = 400.0
        delay = { dist = "uniform", low = 0.5, high = 3.0 }
        stp = { U = 0.3, tau_rec = 200.0, tau_fac = 50.0 }
        [[projections]]
        source = "net"
        target = "net"
        port = "exc"
        connect = { rule = "fixed_indegree", indegree = 30 }
        weight = 20.0
        delay = 1.5
        plasticity = { rule = "stdp", a_plus = 1.0, a_minus = 1.05, w_min = 0.0, w_max = 60.0 }
        [[projections]]
        source = "net"
        target = "net"
        port = "inh"
        connect = { rule = "fixed_probability", p = 0.02 }
        weight = -60.0
        delay = { dist = "normal", mean = 1.0, std = 0.5, min = 0.1, max = 4.0 }
        [[monitors]]
        kind = "spikes"
        population = "net"
    "#;
    let go = |threads: usize, stop_at: Option<u64>| {
        let mut net = build_with(
            text,
            &Overrides {
                threads: Some(threads),
                ..Default::default()
            },
        );
        let steps = net.planned_steps;
        let stats = net.run(steps, &mut |p| stop_at.is_none_or(|s| p.done < s));
        let plastic = net.projs.iter().position(|p| p.plastic).unwrap();
        let weights: Vec<u32> = (0..net.projs[plastic].csr.len())
            .map(|k| net.projs[plastic].csr.weights.at(k).to_bits())
            .collect();
        (
            net.step,
            stats.complete,
            stats.events,
            net.stats.iter().map(|s| s.total).collect::<Vec<_>>(),
            net.state(1, "v").unwrap(),
            weights,
        )
    };
    for stop_at in [None, Some(600)] {
        let one = go(1, stop_at);
        assert!(one.3[1] > 100, "too few spikes: {:?}", one.3);
        // `progress` is called every 1500 / 200 = 7 steps.
        assert_eq!(one.0, stop_at.map_or(1500, |s| s.div_ceil(7) * 7));
        assert_eq!(one.1, stop_at.is_none());
        for threads in [2, 3] {
            assert_eq!(one, go(threads, stop_at), "{threads} threads differ from 1");
        }
    }
}

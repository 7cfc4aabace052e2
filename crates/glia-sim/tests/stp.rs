//! Tsodyks–Markram short-term plasticity (`stp` on a projection).

mod common;
use common::{build, run};
use glia_spec::Overrides;
use std::path::Path;

/// The closed-form recursion (see `glia_sim::stp`): release fractions `r_n` of a spike train
/// with inter-spike intervals `gaps` [ms] (first spike on a rested synapse).
fn recursion(big_u: f64, tau_rec: f64, tau_fac: f64, times: &[f64]) -> Vec<f64> {
    let (mut u, mut x) = (0.0f64, 1.0f64);
    let mut out = Vec::new();
    for (k, &t) in times.iter().enumerate() {
        if k > 0 {
            let d = t - times[k - 1];
            u = if tau_fac > 0.0 {
                u * (-d / tau_fac).exp()
            } else {
                0.0
            };
            x = 1.0 - (1.0 - x) * (-d / tau_rec).exp();
        }
        u += big_u * (1.0 - u);
        let r = u * x;
        x -= r;
        out.push(r);
    }
    out
}

fn model(stp: &str, times: &[f64], threads: usize) -> String {
    let list: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
    let duration = times.last().unwrap() + 20.0;
    format!(
        r#"
        [simulation]
        dt = 0.1
        duration = {duration}
        threads = {threads}
        [[populations]]
        name = "src"
        size = 1
        model = "spike_generator"
        params = {{ times = [{}] }}
        [[populations]]
        name = "dst"
        size = 3
        model = "lif"
        params = {{ V_th = 1e9 }}
        ports.exc = {{ tau_syn = 5.0 }}
        [[projections]]
        source = "src"
        target = "dst"
        port = "exc"
        connect = {{ rule = "all_to_all" }}
        weight = 100.0
        delay = 1.5
        stp = {stp}
        [[monitors]]
        kind = "state"
        population = "dst"
        variables = ["I_exc"]
        ids = [0, 2]
        "#,
        list.join(", ")
    )
}

/// The jumps of the postsynaptic current: `I[k] − I[k−1]·exp(−dt/τ_syn)` where non-zero.
fn jumps(trace: &[f64], tau: f64, dt: f64) -> Vec<f64> {
    let decay = f64::from((-dt / tau).exp() as f32);
    let mut out = Vec::new();
    for k in 0..trace.len() {
        let prev = if k == 0 { 0.0 } else { trace[k - 1] };
        let j = trace[k] - prev * decay;
        if j.abs() > 1e-2 {
            out.push(j);
        }
    }
    out
}

/// A regular 20 Hz train of 10 spikes, then a recovery spike 500 ms later: every postsynaptic
/// current jump equals `w·r_n` of the closed-form recursion within 2e-5·w (single-precision
/// state), for a depressing synapse (U = 0.5, τ_rec = 800 ms, as NEST's tsodyks2 defaults), a
/// facilitating one (U = 0.1, τ_rec = 100 ms, τ_fac = 1000 ms) and a mixed one; the result is
/// the same with 2 threads. The depressing train's last jump also matches the analytic steady
/// state `U(1 − e)/(1 − (1 − U)e)`, `e = exp(−50/800)`, within 2 % (it is reached only
/// asymptotically: 10 spikes get within 1.5 %).
#[test]
fn regular_train_matches_the_recursion() {
    let mut times: Vec<f64> = (0..10).map(|k| 10.0 + 50.0 * k as f64).collect();
    times.push(times[9] + 500.0);
    let w = 100.0;
    for (big_u, tau_rec, tau_fac) in [(0.5, 800.0, 0.0), (0.1, 100.0, 1000.0), (0.3, 200.0, 50.0)] {
        let stp = format!("{{ U = {big_u}, tau_rec = {tau_rec}, tau_fac = {tau_fac} }}");
        let expect = recursion(big_u, tau_rec, tau_fac, &times);
        let mut last = Vec::new();
        for threads in [1, 2] {
            let mut net = build(&model(&stp, &times, threads));
            run(&mut net);
            let m = &net.monitors.state[0];
            let trace: Vec<f64> = (0..m.steps.len()).map(|k| m.data[0][2 * k]).collect();
            let js = jumps(&trace, 5.0, 0.1);
            assert_eq!(js.len(), expect.len(), "{stp}: one jump per spike");
            for (n, (j, r)) in js.iter().zip(&expect).enumerate() {
                assert!(
                    (j - w * r).abs() < 2e-5 * w,
                    "{stp} spike {n}: jump {j} vs w·r = {}",
                    w * r
                );
            }
            if tau_fac == 0.0 {
                let e = (-50.0f64 / tau_rec).exp();
                let r_inf = big_u * (1.0 - e) / (1.0 - (1.0 - big_u) * e);
                assert!((js[9] / w - r_inf).abs() < 0.02 * r_inf, "steady state");
            }
            if big_u == 0.1 {
                assert!(js[9] > js[0], "facilitation");
            } else if big_u == 0.5 {
                assert!(js[9] < 0.5 * js[0], "depression");
            }
            if threads == 2 {
                assert_eq!(trace, last, "thread count changes the result");
            }
            last = trace;
        }
    }
}

/// Bad parameters name the field; a graded (rate) source cannot have short-term plasticity.
#[test]
fn stp_errors_name_the_field() {
    let times = [10.0, 20.0];
    let err = |text: String| -> String {
        match glia_spec::parse(&text, Path::new("."), &Overrides::default()) {
            Err(e) => e.to_string(),
            Ok(m) => glia_sim::build::build(&m).err().unwrap().to_string(),
        }
    };
    assert_eq!(
        err(model("{ U = 0.0, tau_rec = 100.0 }", &times, 1)),
        "projections[0].stp.U: must be in (0, 1], got 0"
    );
    assert_eq!(
        err(model("{ U = 0.5, tau_rec = -1.0 }", &times, 1)),
        "projections[0].stp.tau_rec: must be > 0 ms, got -1"
    );
    assert_eq!(
        err(model(
            "{ U = 0.5, tau_rec = 1.0, tau_fac = -2.0 }",
            &times,
            1
        )),
        "projections[0].stp.tau_fac: must be ≥ 0 ms (0 = no facilitation), got -2"
    );
    let e = err(model("{ U = 0.5, tau_rec = 1.0, tau_d = 2.0 }", &times, 1));
    assert!(e.contains("unknown field `tau_d`"), "{e}");
    let rate = model("{ U = 0.5, tau_rec = 100.0 }", &times, 1).replace(
        "model = \"spike_generator\"\n        params = { times = [10.0, 20.0] }",
        "model = \"rate\"",
    );
    assert_eq!(
        err(rate),
        "projections[0].stp: short-term plasticity needs spikes, but population \"src\" (model \"rate\") sends graded values"
    );
}

/// Short-term plasticity on a plastic projection with the learning rate set to 0 (pair STDP,
/// `a_plus = a_minus = 0`): the transmitted value is `w·r_n`, as on a static projection — every
/// current jump equals `w·r_n` of the closed-form recursion within 2e-5·w, with one delay
/// (1.5 ms, 0.5 ms of it dendritic) and with per-synapse delays (drawn in 0.7–3 ms), on 1 and 2
/// threads.
#[test]
fn plastic_projection_with_constant_weight_matches_the_recursion() {
    let mut times: Vec<f64> = (0..10).map(|k| 10.0 + 50.0 * k as f64).collect();
    times.push(times[9] + 500.0);
    let w = 100.0;
    let (big_u, tau_rec, tau_fac) = (0.3, 200.0, 50.0);
    let stp = format!("{{ U = {big_u}, tau_rec = {tau_rec}, tau_fac = {tau_fac} }}");
    let expect = recursion(big_u, tau_rec, tau_fac, &times);
    for delay in ["1.5", "{ dist = \"uniform\", low = 0.7, high = 3.0 }"] {
        for threads in [1, 2] {
            let text = model(&stp, &times, threads).replace(
                "delay = 1.5",
                &format!(
                    "delay = {delay}\n        plasticity = {{ rule = \"stdp\", a_plus = 0.0, a_minus = 0.0, w_max = 200.0, dendritic_delay = 0.5 }}"
                ),
            );
            let mut net = build(&text);
            assert!(net.projs[0].plastic);
            run(&mut net);
            let m = &net.monitors.state[0];
            for col in 0..2 {
                let trace: Vec<f64> = (0..m.steps.len()).map(|k| m.data[0][2 * k + col]).collect();
                let js = jumps(&trace, 5.0, 0.1);
                assert_eq!(js.len(), expect.len(), "delay {delay}: one jump per spike");
                for (n, (j, r)) in js.iter().zip(&expect).enumerate() {
                    assert!(
                        (j - w * r).abs() < 2e-5 * w,
                        "delay {delay}, target {col}, spike {n}: jump {j} vs w·r = {}",
                        w * r
                    );
                }
            }
        }
    }
}

/// Short-term plasticity with STDP on: the transmitted value of the n-th spike is
/// `w_n·r_n`, where `w_n` is the long-term (STDP) weight when the spike reaches the synapse
/// and `r_n` the Tsodyks–Markram release of the recursion; STDP changes only `w` (its updates
/// do not depend on `r`). A 20 Hz presynaptic train, the target forced to fire 4 ms after every
/// presynaptic spike (causal pairs: potentiation), additive all-to-all pair STDP. Reference:
/// the event-driven pair rule evaluated at the recorded spike times (synapse time
/// `t_pre + d_ax`, `t_post + d_dend`; pre before post on ties) gives `w_n`; every current jump
/// equals `w_n·r_n` within 1e-4·w_max, and the final weight equals the reference within 1e-4.
#[test]
fn stp_with_stdp_transmits_long_term_weight_times_release() {
    let times: Vec<f64> = (0..12).map(|k| 10.0 + 50.0 * k as f64).collect();
    let kicks: Vec<f64> = times.iter().map(|t| t + 4.0 - 0.1).collect();
    let (big_u, tau_rec, tau_fac) = (0.5, 300.0, 0.0);
    let (a_plus, a_minus, tau) = (6.0, 3.0, 20.0);
    let (w0, w_max, delay, dd) = (50.0, 200.0, 1.5, 0.5);
    let list = |v: &[f64]| -> String {
        v.iter()
            .map(|t| format!("{t:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        r#"
        [simulation]
        dt = 0.1
        duration = {}
        [[populations]]
        name = "src"
        size = 1
        model = "spike_generator"
        params = {{ times = [{}] }}
        [[populations]]
        name = "teacher"
        size = 1
        model = "spike_generator"
        params = {{ times = [{}] }}
        [[populations]]
        name = "dst"
        size = 1
        model = "lif"
        params = {{ t_ref = 0.1 }}
        ports.exc = {{ tau_syn = 5.0 }}
        ports.kick = {{ kernel = "delta" }}
        [[projections]]
        source = "teacher"
        target = "dst"
        port = "kick"
        connect = {{ rule = "one_to_one" }}
        weight = 100.0
        delay = 0.1
        [[projections]]
        source = "src"
        target = "dst"
        port = "exc"
        connect = {{ rule = "all_to_all" }}
        weight = {w0}
        delay = {delay}
        stp = {{ U = {big_u}, tau_rec = {tau_rec}, tau_fac = {tau_fac} }}
        plasticity = {{ rule = "stdp", a_plus = {a_plus}, a_minus = {a_minus}, tau_plus = {tau}, tau_minus = {tau}, w_max = {w_max}, dendritic_delay = {dd} }}
        [[monitors]]
        kind = "state"
        population = "dst"
        variables = ["I_exc"]
        ids = [0]
        [[monitors]]
        kind = "spikes"
        population = "dst"
        "#,
        times.last().unwrap() + 30.0,
        list(&times),
        list(&kicks),
    );
    let mut net = build(&text);
    run(&mut net);
    let post: Vec<f64> = net.monitors.spikes[0]
        .steps
        .iter()
        .map(|&s| (s + 1) as f64 * 0.1)
        .collect();
    assert_eq!(
        post.len(),
        times.len(),
        "the target fires once per kick: {post:?}"
    );
    // Event-driven reference at synapse times.
    let mut ev: Vec<(f64, u8)> = times.iter().map(|t| (t + delay - dd, 0)).collect();
    ev.extend(post.iter().map(|t| (t + dd, 1)));
    ev.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
    let (mut w, mut x, mut y, mut last) = (w0, 0.0f64, 0.0f64, 0.0f64);
    let mut w_at_pre = Vec::new();
    for &(t, kind) in &ev {
        let f = (-(t - last) / tau).exp();
        x *= f;
        y *= f;
        last = t;
        if kind == 0 {
            w_at_pre.push(w);
            w = (w - a_minus * y).clamp(0.0, w_max);
            x += 1.0;
        } else {
            w = (w + a_plus * x).clamp(0.0, w_max);
            y += 1.0;
        }
    }
    let r = recursion(big_u, tau_rec, tau_fac, &times);
    let m = &net.monitors.state[0];
    let trace: Vec<f64> = m.data[0].clone();
    let js = jumps(&trace, 5.0, 0.1);
    assert_eq!(js.len(), times.len(), "one jump per presynaptic spike");
    for (n, j) in js.iter().enumerate() {
        let want = w_at_pre[n] * r[n];
        assert!(
            (j - want).abs() < 1e-4 * w_max,
            "spike {n}: jump {j} vs w_n·r_n = {} · {} = {want}",
            w_at_pre[n],
            r[n]
        );
    }
    assert!(
        w_at_pre[11] > w0 + 20.0,
        "causal pairs potentiate: {w_at_pre:?}"
    );
    let wf = f64::from(net.weights(1)[0]);
    assert!((wf - w).abs() < 1e-4, "final weight {wf} vs reference {w}");
}

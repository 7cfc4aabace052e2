//! The `adex` and `lif_adapt` models: firing patterns of the Naud et al. (2008) presets,
//! spike times against SciPy (`validation/adex_reference.py`) and against closed forms,
//! convergence in `dt`, and parameter errors.

mod common;
use common::{build, run};
use glia_sim::neurons::adex::{PRESETS, find_preset};
use std::path::Path;

/// Spike times \[ms\] of every neuron of the first population (spike monitor 0), stamped
/// `(step + 1)·dt` like every glia spike.
fn spike_times(text: &str, size: usize) -> Vec<Vec<f64>> {
    let mut net = build(text);
    run(&mut net);
    let dt = net.dt;
    let m = &net.monitors.spikes[0];
    let mut out = vec![Vec::new(); size];
    for (&s, &i) in m.steps.iter().zip(&m.ids) {
        out[i as usize].push((s + 1) as f64 * dt);
    }
    out
}

/// One neuron of `model` with `params` (a TOML inline-table body) under a constant current
/// `current` \[pA\] from t = 0 (a `dc` input), for `duration` ms.
fn single(model: &str, params: &str, current: f64, dt: f64, duration: f64) -> Vec<f64> {
    let text = format!(
        r#"
        [simulation]
        dt = {dt}
        duration = {duration}
        [[populations]]
        name = "n"
        size = 1
        model = "{model}"
        params = {{ {params} }}
        [[inputs]]
        kind = "dc"
        target = "n"
        amplitude = {current}
        [[monitors]]
        kind = "spikes"
        population = "n"
        "#
    );
    spike_times(&text, 1).remove(0)
}

// ---------------------------------------------------------------------------------------
// Firing-pattern classifier
// ---------------------------------------------------------------------------------------

/// Firing patterns of Naud et al. (2008), Fig. 4, plus `Silent`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pattern {
    Silent,
    Tonic,
    Adapting,
    InitialBurst,
    RegularBursting,
    DelayedAccelerating,
    DelayedRegularBursting,
    Transient,
    Irregular,
}

/// A sorted-ISI gap of at least this ratio (`ISI_{(k+1)} / ISI_{(k)}` between consecutive
/// *sorted* ISIs) makes the ISI distribution bimodal: bursts. (Measured on the SciPy
/// reference: bursting presets 7.0–24.6, all others ≤ 1.7.)
const BURST_GAP: f64 = 3.0;
/// First-spike latency \[ms\] from which a pattern counts as delayed (delayed presets
/// 33.6 and 57.2 ms, all others ≤ 16.2 ms among the non-transient patterns).
const DELAYED_LATENCY: f64 = 25.0;
/// Naud's adaptation index above which firing is adapting (adapting 0.118, tonic 0.0007).
const ADAPTING_INDEX: f64 = 0.05;
/// Adaptation index below which firing accelerates (delayed accelerating −0.0096).
const ACCELERATING_INDEX: f64 = -0.005;
/// Coefficient of variation of the ISIs after the onset transient (spikes after
/// [`ONSET`]) above which firing is irregular (irregular 0.5; others ≤ 0.13).
const IRREGULAR_CV: f64 = 0.25;
/// End of the onset transient \[ms\] for the steady-state CV.
const ONSET: f64 = 100.0;

/// Firing-pattern measures of a spike train under a step current switched on at t = 0 and
/// held for `duration` ms.
#[derive(Clone, Copy, Debug)]
struct Measures {
    /// Number of spikes.
    n: usize,
    /// First-spike latency \[ms\] (infinite without spikes).
    latency: f64,
    /// Adaptation index (Naud et al. 2008): the mean over consecutive ISI pairs of
    /// `(ISI_{k+1} − ISI_k)/(ISI_{k+1} + ISI_k)`; NaN with fewer than 2 ISIs.
    adaptation: f64,
    /// Largest ratio between consecutive sorted ISIs (1 with fewer than 2 ISIs).
    gap: f64,
    /// CV of the ISIs between spikes after [`ONSET`] (0 with fewer than 3 such ISIs).
    cv: f64,
    /// Whether all short ISIs (below the gap) come before the first long one.
    short_first: bool,
    /// Time of the last spike \[ms\].
    last: f64,
}

fn measures(t: &[f64]) -> Measures {
    let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    let adaptation = if isi.len() >= 2 {
        isi.windows(2)
            .map(|p| (p[1] - p[0]) / (p[1] + p[0]))
            .sum::<f64>()
            / (isi.len() - 1) as f64
    } else {
        f64::NAN
    };
    let mut sorted = isi.clone();
    sorted.sort_by(f64::total_cmp);
    let (mut gap, mut split) = (1.0, f64::INFINITY);
    for p in sorted.windows(2) {
        if p[1] / p[0] > gap {
            gap = p[1] / p[0];
            split = p[1];
        }
    }
    let first_long = isi.iter().position(|&x| x >= split).unwrap_or(isi.len());
    let short_first = isi[first_long..].iter().all(|&x| x >= split);
    let late: Vec<f64> = t
        .iter()
        .filter(|&&x| x >= ONSET)
        .copied()
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1] - w[0])
        .collect();
    let cv = if late.len() >= 3 {
        let mean = late.iter().sum::<f64>() / late.len() as f64;
        let var = late.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / late.len() as f64;
        var.sqrt() / mean
    } else {
        0.0
    };
    Measures {
        n: t.len(),
        latency: t.first().copied().unwrap_or(f64::INFINITY),
        adaptation,
        gap,
        cv,
        short_first,
        last: t.last().copied().unwrap_or(f64::NAN),
    }
}

/// Classify a response to a step current of `duration` ms, as a decision list:
///
/// 1. no spikes: `Silent`;
/// 2. no spike in the second half of the step (spikes stop): `Transient`;
/// 3. bimodal ISIs (sorted-ISI gap ≥ [`BURST_GAP`]): bursts. Short ISIs only before the
///    first long one: `InitialBurst`; otherwise repeated bursts, `DelayedRegularBursting` if
///    the latency is ≥ [`DELAYED_LATENCY`], else `RegularBursting`;
/// 4. steady-state CV > [`IRREGULAR_CV`]: `Irregular`;
/// 5. adaptation index > [`ADAPTING_INDEX`]: `Adapting`;
/// 6. adaptation index < [`ACCELERATING_INDEX`] and latency ≥ [`DELAYED_LATENCY`]:
///    `DelayedAccelerating`;
/// 7. otherwise `Tonic`.
fn classify(m: &Measures, duration: f64) -> Pattern {
    if m.n == 0 {
        Pattern::Silent
    } else if m.last < duration / 2.0 {
        Pattern::Transient
    } else if m.gap >= BURST_GAP {
        if m.short_first {
            Pattern::InitialBurst
        } else if m.latency >= DELAYED_LATENCY {
            Pattern::DelayedRegularBursting
        } else {
            Pattern::RegularBursting
        }
    } else if m.cv > IRREGULAR_CV {
        Pattern::Irregular
    } else if m.adaptation > ADAPTING_INDEX {
        Pattern::Adapting
    } else if m.adaptation < ACCELERATING_INDEX && m.latency >= DELAYED_LATENCY {
        Pattern::DelayedAccelerating
    } else {
        Pattern::Tonic
    }
}

/// The classifier on made-up spike trains: each rule fires where it should.
#[test]
fn classifier_rules() {
    let regular = |t0: f64, isi: f64, n: usize| -> Vec<f64> {
        (0..n).map(|k| t0 + k as f64 * isi).collect::<Vec<_>>()
    };
    let c = |t: &[f64]| classify(&measures(t), 500.0);
    assert_eq!(c(&[]), Pattern::Silent);
    assert_eq!(c(&[10.0, 20.0, 30.0]), Pattern::Transient);
    assert_eq!(c(&regular(10.0, 10.0, 49)), Pattern::Tonic);
    let mut acc = vec![40.0];
    for k in 0..30 {
        acc.push(acc[k] + 20.0 - 0.3 * k as f64);
    }
    assert_eq!(c(&acc), Pattern::DelayedAccelerating);
    let mut adapt = vec![10.0];
    for k in 0..9 {
        adapt.push(adapt[k] + 80.0 - 50.0 * 0.6f64.powi(k as i32));
    }
    assert_eq!(c(&adapt), Pattern::Adapting);
    let mut burst = vec![];
    for b in 0..4 {
        burst.extend([20.0, 23.0, 27.0].map(|x| x + 120.0 * b as f64));
    }
    assert_eq!(c(&burst), Pattern::RegularBursting);
    assert_eq!(
        c(&burst.iter().map(|x| x + 40.0).collect::<Vec<_>>()),
        Pattern::DelayedRegularBursting
    );
    let mut initial = vec![5.0, 8.0, 12.0];
    initial.extend(regular(60.0, 50.0, 9));
    assert_eq!(c(&initial), Pattern::InitialBurst);
    let isis = [
        12.0, 31.0, 7.0, 22.0, 40.0, 9.0, 18.0, 35.0, 6.0, 27.0, 14.0, 38.0, 8.0, 25.0, 16.0, 33.0,
        10.0, 29.0, 20.0, 11.0, 36.0, 13.0, 24.0,
    ];
    let mut irregular = vec![10.0];
    for x in isis {
        irregular.push(irregular.last().unwrap() + x);
    }
    assert_eq!(c(&irregular), Pattern::Irregular);
}

/// Each Naud et al. (2008) preset, driven by its Table-1 step current for 500 ms (dt = 0.1 ms),
/// gets its own label from [`classify`] (thresholds documented there). Prints the table of
/// measures (`cargo test --test adex -- --nocapture`).
#[test]
fn naud_presets_show_their_firing_patterns() {
    let expected = [
        ("tonic", Pattern::Tonic),
        ("adapting", Pattern::Adapting),
        ("initial_burst", Pattern::InitialBurst),
        ("regular_bursting", Pattern::RegularBursting),
        ("delayed_accelerating", Pattern::DelayedAccelerating),
        ("delayed_regular_bursting", Pattern::DelayedRegularBursting),
        ("transient", Pattern::Transient),
        ("irregular", Pattern::Irregular),
    ];
    assert_eq!(expected.len(), PRESETS.len());
    let duration = 500.0;
    println!(
        "| preset | spikes | latency [ms] | adaptation index | sorted-ISI gap | CV (t > {ONSET} ms) | label |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut wrong = Vec::new();
    for (name, want) in expected {
        let p = find_preset(name).unwrap();
        let t = single(
            "adex",
            &format!("preset = \"{name}\""),
            p.current,
            0.1,
            duration,
        );
        let m = measures(&t);
        let got = classify(&m, duration);
        println!(
            "| {name} | {} | {:.1} | {:.4} | {:.2} | {:.3} | {got:?} |",
            m.n, m.latency, m.adaptation, m.gap, m.cv
        );
        if got != want {
            wrong.push(format!("{name}: {got:?}, expected {want:?} ({m:?})"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

// ---------------------------------------------------------------------------------------
// SciPy reference
// ---------------------------------------------------------------------------------------

struct RefCase {
    name: String,
    model: String,
    preset: Option<String>,
    params: serde_json::Map<String, serde_json::Value>,
    current: f64,
    /// Per port: input spike times \[ms\], weight \[nS\], delay \[ms\].
    inputs: Vec<(String, Vec<f64>, f64, f64)>,
    spikes: Vec<f64>,
    /// Samples `(t, V, w)` \[ms, mV, pA\].
    samples: Vec<(f64, f64, f64)>,
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn reference() -> Vec<RefCase> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../validation/fixtures/adex_reference.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = &c["samples"];
            let (t, vv, w) = (floats(&s["t"]), floats(&s["v"]), floats(&s["w"]));
            RefCase {
                name: c["name"].as_str().unwrap().into(),
                model: c["model"].as_str().unwrap().into(),
                preset: c["preset"].as_str().map(Into::into),
                params: c["params"].as_object().unwrap().clone(),
                current: c["current"].as_f64().unwrap(),
                inputs: c["inputs"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(port, i)| {
                        (
                            port.clone(),
                            floats(&i["times"]),
                            i["weight"].as_f64().unwrap(),
                            i["delay"].as_f64().unwrap(),
                        )
                    })
                    .collect(),
                spikes: floats(&c["spikes"]),
                samples: (0..t.len()).map(|k| (t[k], vv[k], w[k])).collect(),
            }
        })
        .collect()
}

/// The case's parameters as a TOML inline-table body: the preset name where there is one
/// (its values checked against the fixture's), the parameters otherwise; the current as
/// `I_e`; `extra` appended.
fn case_params(c: &RefCase, extra: &str) -> String {
    let mut body = match &c.preset {
        Some(name) => {
            let p = find_preset(name).unwrap();
            for (k, want) in [
                ("C_m", p.C_m),
                ("g_L", p.g_L),
                ("E_L", p.E_L),
                ("V_th", p.V_th),
                ("Delta_T", p.Delta_T),
                ("a", p.a),
                ("tau_w", p.tau_w),
                ("b", p.b),
                ("V_reset", p.V_reset),
            ] {
                assert_eq!(c.params[k].as_f64().unwrap(), want, "{name}.{k}");
            }
            if c.inputs.is_empty() {
                assert_eq!(c.current, p.current, "{name}: step current");
            }
            format!("preset = \"{name}\"")
        }
        None => c
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.as_f64().unwrap()))
            .collect::<Vec<_>>()
            .join(", "),
    };
    body += &format!(", I_e = {}", c.current);
    if !extra.is_empty() {
        body += &format!(", {extra}");
    }
    body
}

/// Run a reference case in glia at step `dt` with `extra` parameters: spike times and the
/// samples of `v` and `w` at the reference's sample times.
fn run_case(c: &RefCase, dt: f64, extra: &str) -> (Vec<f64>, Vec<(f64, f64, f64)>) {
    let mut text = format!(
        r#"
        [simulation]
        dt = {dt}
        duration = 500.0
        [[populations]]
        name = "n"
        size = 1
        model = "{}"
        params = {{ {} }}
        [[monitors]]
        kind = "spikes"
        population = "n"
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v", "w"]
        ids = [0]
        interval = 0.5
        "#,
        c.model,
        case_params(c, extra)
    );
    for (port, times, weight, delay) in &c.inputs {
        let times: Vec<String> = times.iter().map(|t| format!("{t:?}")).collect();
        text += &format!(
            r#"
            [[populations]]
            name = "src_{port}"
            size = 1
            model = "spike_generator"
            params = {{ times = [{}] }}
            [[projections]]
            source = "src_{port}"
            target = "n"
            port = "{port}"
            connect = {{ rule = "all_to_all" }}
            weight = {weight}
            delay = {delay}
            "#,
            times.join(", ")
        );
    }
    let mut net = build(&text);
    run(&mut net);
    let m = &net.monitors.spikes[0];
    let spikes = m.steps.iter().map(|&s| (s + 1) as f64 * dt).collect();
    let st = &net.monitors.state[0];
    let samples = c
        .samples
        .iter()
        .map(|&(t, _, _)| {
            let k = (t / 0.5).round() as usize - 1;
            assert!(((st.steps[k] + 1) as f64 * dt - t).abs() < 1e-9);
            (t, st.data[0][k], st.data[1][k])
        })
        .collect();
    (spikes, samples)
}

/// Errors `t_glia − t_ref` of matched spikes; panics unless the counts agree.
fn errors(got: &[f64], want: &[f64], what: &str) -> Vec<f64> {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} spikes, reference {}\n got {got:?}\nwant {want:?}",
        got.len(),
        want.len()
    );
    got.iter().zip(want).map(|(g, w)| g - w).collect()
}

fn range(e: &[f64]) -> (f64, f64) {
    e.iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)))
}

/// Largest `|V − V_ref|` \[mV\] and `|w − w_ref|` \[pA\] over the samples.
fn sample_errors(got: &[(f64, f64, f64)], c: &RefCase) -> (f64, f64) {
    got.iter()
        .zip(&c.samples)
        .fold((0.0, 0.0), |(ev, ew), (g, r)| {
            (ev.max((g.1 - r.1).abs()), ew.max((g.2 - r.2).abs()))
        })
}

/// Against SciPy (DOP853, rtol 1e-10, event-based reset; `validation/adex_reference.py`,
/// whose own spike-time error is ≤ 1e-5 ms): four Naud presets (tonic, adapting, initial
/// burst, regular bursting) under their step currents, the adapting preset driven through
/// the default conductance ports (excitatory and inhibitory spike trains), and an adaptive
/// LIF (adaptation current with `a ≠ 0` and adaptive threshold), 500 ms at dt = 0.1 ms.
/// glia stamps a spike at the end of the step in which the threshold is crossed, so for an
/// exact integrator `t_glia − t_ref` lies in `[0, dt)`. Tolerances: every spike within
/// `[−0.002, dt + 0.002)` ms (same counts); `V` within 0.01 mV and `w` within 0.01 pA at
/// the samples (every 5 ms, away from spikes); 0.05 mV and 0.05 pA for the conductance
/// input, whose drive glia holds at its step average (second order in dt).
#[test]
fn spike_times_match_scipy_reference() {
    let dt = 0.1;
    for c in reference() {
        let (t, samples) = run_case(&c, dt, "");
        let e = errors(&t, &c.spikes, &c.name);
        let (lo, hi) = range(&e);
        let (ev, ew) = sample_errors(&samples, &c);
        println!(
            "{}: {} spikes, t_glia − t_ref in [{lo:.4}, {hi:.4}] ms; max |ΔV| {ev:.2e} mV, max |Δw| {ew:.2e} pA",
            c.name,
            e.len()
        );
        assert!(lo >= -0.002 && hi < dt + 0.002, "{}: errors {e:?}", c.name);
        let tol = if c.inputs.is_empty() { 0.01 } else { 0.05 };
        assert!(ev < tol && ew < tol, "{}: ΔV {ev}, Δw {ew}", c.name);
    }
}

/// Convergence in dt, on the tonic preset (51 spikes in 500 ms) and the adaptive LIF
/// (14 spikes), against SciPy:
/// - at dt = 0.1, 0.05 and 0.025 ms (by default one substep per step) every spike is within
///   `[−0.002, dt + 0.002)` ms of the reference, so the largest spike-time error shrinks with
///   dt (stamping on the step grid);
/// - with one substep per step (`max_substep = dt`) at dt = 0.5, 0.25 and 0.125 ms, the
///   integrator's own error, measured on `V` at the samples, shrinks at least as fast as
///   dt² (by ≥ 4 per halving) until it reaches 1e-3 mV (f32 rounding accumulated over the
///   run is ~2e-4 mV).
#[test]
fn spike_times_converge_in_dt() {
    for c in reference()
        .into_iter()
        .filter(|c| c.name == "tonic" || c.name == "lif_adapt")
    {
        let mut largest = Vec::new();
        for dt in [0.1, 0.05, 0.025] {
            let (t, _) = run_case(&c, dt, "");
            let e = errors(&t, &c.spikes, &format!("{} dt {dt}", c.name));
            let (lo, hi) = range(&e);
            assert!(lo >= -0.002 && hi < dt + 0.002, "dt {dt}: [{lo}, {hi}]");
            largest.push(lo.abs().max(hi));
        }
        let mut v_err = Vec::new();
        for dt in [0.5, 0.25, 0.125] {
            let (_, samples) = run_case(&c, dt, &format!("max_substep = {dt}"));
            v_err.push(sample_errors(&samples, &c).0);
        }
        println!(
            "{}: largest |t_glia − t_ref| {largest:?} ms at dt 0.1, 0.05, 0.025; one substep per \
             step: max |ΔV| {v_err:?} mV at dt 0.5, 0.25, 0.125",
            c.name
        );
        assert!(
            largest[1] < largest[0] && largest[2] < largest[1],
            "{largest:?}"
        );
        for k in 1..3 {
            assert!(
                v_err[k] <= 0.25 * v_err[k - 1] || v_err[k] < 1e-3,
                "{}: one substep per step, |ΔV| {v_err:?}",
                c.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Closed forms
// ---------------------------------------------------------------------------------------

/// Between spikes, with `a = 0` and no input, the adaptation current and the adaptive
/// threshold decay exactly: `w(t) = w₀ e^{−t/τ_w}`, `θ(t) = θ₀ e^{−t/τ_θ}`, and `V` follows the
/// closed form `V − E_L = K (e^{−t/τ_w} − e^{−t/τ_m})`, `K = −(w₀/C)/(1/τ_m − 1/τ_w)`.
/// Tolerances over 300 ms at dt = 0.1 ms: `θ` within 1e-6 relative of θ₀ (f32 rounding; the
/// decay is exact), `w` within 1e-5 relative of w₀ (RK4, error (h/τ_w)⁵/120 per substep, far
/// below f32 rounding), `V` within 1e-4 mV.
#[test]
fn lif_adapt_decays_match_closed_forms() {
    let (c, gl, tw, tth, w0, th0) = (200.0f64, 10.0f64, 100.0f64, 50.0f64, 50.0f64, 5.0f64);
    let text = format!(
        r#"
        [simulation]
        duration = 300.0
        [[populations]]
        name = "n"
        size = 1
        model = "lif_adapt"
        params = {{ C_m = {c}, g_L = {gl}, E_L = -70.0, V_th = -50.0, V_reset = -60.0, a = 0.0, b = 0.0, tau_w = {tw}, tau_theta = {tth}, q_theta = 2.0 }}
        initial = {{ w = {w0}, theta = {th0} }}
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v", "w", "theta"]
        ids = [0]
        "#
    );
    let mut net = build(&text);
    run(&mut net);
    let m = &net.monitors.state[0];
    let tm = c / gl;
    let k = -(w0 / c) / (1.0 / tm - 1.0 / tw);
    let (mut ev, mut ew, mut eth) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &s) in m.steps.iter().enumerate() {
        let t = (s + 1) as f64 * 0.1;
        let v = -70.0 + k * ((-t / tw).exp() - (-t / tm).exp());
        ev = ev.max((m.data[0][i] - v).abs());
        ew = ew.max((m.data[1][i] - w0 * (-t / tw).exp()).abs());
        eth = eth.max((m.data[2][i] - th0 * (-t / tth).exp()).abs());
    }
    println!("max errors: V {ev:.2e} mV, w {ew:.2e} pA, theta {eth:.2e} mV");
    assert!(eth < 1e-6 * th0, "theta: {eth}");
    assert!(ew < 1e-5 * w0, "w: {ew}");
    assert!(ev < 1e-4, "V: {ev}");
}

/// The adaptive-threshold LIF (`a = b = 0`, `q_θ` = 2 mV, `τ_θ` = 80 ms) under constant current
/// fires at the times given by the closed form: between spikes
/// `V(t) − E_L = u∞ + (u_s − u∞) e^{−t/τ_m}` and `θ(t) = θ_s e^{−t/τ_θ}`, and the next spike
/// is the root of `V(t) − V_th − θ(t)` (increasing, found by bisection to 1e-12 ms); at a
/// spike `u ← V_reset − E_L`, `θ ← θ + q_θ`. The ISIs lengthen from 10 to 18 ms. Tolerance:
/// every spike within `[−0.002, dt + 0.002)` ms of the closed form (stamping on the grid),
/// at dt = 0.1 and 0.025 ms.
#[test]
fn adaptive_threshold_isis_match_closed_form() {
    let (c, gl, e_l, v_th, v_r, tth, q, i) =
        (200.0f64, 10.0, -70.0, -50.0, -60.0, 80.0f64, 2.0, 400.0);
    let (tm, u_inf, u_th) = (c / gl, i / gl, v_th - e_l);
    let mut want = Vec::new();
    let (mut t0, mut u, mut th) = (0.0f64, 0.0f64, 0.0f64);
    while t0 < 500.0 {
        let f = |t: f64| u_inf + (u - u_inf) * (-t / tm).exp() - u_th - th * (-t / tth).exp();
        let (mut lo, mut hi) = (0.0f64, 500.0f64);
        if f(hi) < 0.0 {
            break;
        }
        while hi - lo > 1e-12 {
            let mid = 0.5 * (lo + hi);
            if f(mid) < 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        t0 += hi;
        if t0 >= 500.0 {
            break;
        }
        want.push(t0);
        u = v_r - e_l;
        th = th * (-hi / tth).exp() + q;
    }
    assert!(want.len() > 20);
    let isi: Vec<f64> = want.windows(2).map(|w| w[1] - w[0]).collect();
    println!(
        "closed-form ISIs: first {:.3}, last {:.3} ms",
        isi[0],
        isi[isi.len() - 1]
    );
    for dt in [0.1, 0.025] {
        let params = format!(
            "C_m = {c}, g_L = {gl}, E_L = {e_l}, V_th = {v_th}, V_reset = {v_r}, a = 0.0, b = 0.0, tau_theta = {tth}, q_theta = {q}"
        );
        let got = single("lif_adapt", &params, i, dt, 500.0);
        let e = errors(&got, &want, &format!("dt {dt}"));
        let (lo, hi) = range(&e);
        println!(
            "dt {dt}: {} spikes, t_glia − t_closed in [{lo:.5}, {hi:.5}] ms",
            e.len()
        );
        assert!(lo >= -0.002 && hi < dt + 0.002, "dt {dt}: {e:?}");
    }
}

/// `Delta_T = 0` reduces AdEx to a LIF with adaptation whose threshold is `V_th` (no division
/// by zero): with `a = b = 0` it fires with the LIF period
/// `T = τ_m ln((u∞ − u_reset)/(u∞ − u_th))` (13.86 ms here), every spike within
/// `[kT − 0.002, kT + dt + 0.002)` ms; and it gives the same spike train as `lif_adapt` with
/// the same parameters (`q_θ` = 0). As `Delta_T` shrinks (0.1, 0.03, 0.01 mV, `V_peak` =
/// `V_th` + 0.5 mV, `a = b = 0`) AdEx's mean interspike interval approaches the LIF period:
/// the spike comes when `V` is a few `Delta_T` above `V_th`, about
/// `Δ_T ln(τ_m B/Δ_T)/B` after the LIF's threshold crossing (`B` = 0.5 mV/ms, the slope of
/// `V` at `V_th`): 0.78, 0.31 and 0.12 ms. Asserted: the excess decreases and is below
/// 0.25 ms at 0.01 mV.
#[test]
fn delta_t_zero_is_lif_with_adaptation() {
    let base = "C_m = 250.0, g_L = 25.0, E_L = -70.0, V_th = -55.0, V_reset = -70.0";
    let i = 500.0;
    let period = 10.0 * (20.0f64 / 5.0).ln();
    let lif = single(
        "adex",
        &format!("{base}, Delta_T = 0.0, a = 0.0, b = 0.0"),
        i,
        0.1,
        300.0,
    );
    assert_eq!(lif.len(), (300.0 / period) as usize);
    for (k, &t) in lif.iter().enumerate() {
        let want = (k + 1) as f64 * period;
        assert!(
            t >= want - 0.002 && t < want + 0.1 + 0.002,
            "spike {k}: {t} vs {want}"
        );
    }
    // With adaptation: identical to lif_adapt.
    let adapt = "a = 2.0, b = 30.0, tau_w = 100.0";
    let a = single(
        "adex",
        &format!("{base}, Delta_T = 0.0, {adapt}"),
        i,
        0.1,
        300.0,
    );
    let b = single("lif_adapt", &format!("{base}, {adapt}"), i, 0.1, 300.0);
    assert_eq!(a, b);
    assert!(a.len() > 5);
    let mut excess = Vec::new();
    for dt_ in [0.1, 0.03, 0.01] {
        let e = single(
            "adex",
            &format!("{base}, a = 0.0, b = 0.0, Delta_T = {dt_}, V_peak = -54.5"),
            i,
            0.1,
            300.0,
        );
        let mean = (e[e.len() - 1] - e[0]) / (e.len() - 1) as f64;
        excess.push(mean - period);
    }
    println!("Delta_T 0.1, 0.03, 0.01: mean ISI − LIF period {excess:?} ms");
    assert!(
        excess[0] > excess[1] && excess[1] > excess[2] && excess[2].abs() < 0.25,
        "{excess:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Refractoriness, ports, per-neuron bias
// ---------------------------------------------------------------------------------------

/// Refractoriness as in NEST: after a spike in step `s`, `V` equals `V_reset` after steps
/// `s … s + round(t_ref/dt)` and moves again after step `s + round(t_ref/dt) + 1`; `w` keeps
/// evolving meanwhile.
#[test]
fn refractory_period_holds_v_at_reset() {
    let text = r#"
        [simulation]
        duration = 100.0
        [[populations]]
        name = "n"
        size = 1
        model = "adex"
        params = { preset = "tonic", t_ref = 2.0, I_e = 500.0 }
        [[monitors]]
        kind = "spikes"
        population = "n"
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v", "w"]
        ids = [0]
    "#;
    let mut net = build(text);
    run(&mut net);
    let spikes = &net.monitors.spikes[0].steps;
    assert!(spikes.len() > 3);
    let (v, w) = (
        &net.monitors.state[0].data[0],
        &net.monitors.state[0].data[1],
    );
    for &s in spikes {
        let s = s as usize;
        if s + 22 >= v.len() {
            continue;
        }
        for (k, &x) in v.iter().enumerate().skip(s).take(21) {
            assert_eq!(x, -58.0, "step {k} after spike in step {s}");
        }
        assert!(v[s + 21] > -58.0);
        assert!(w[s + 20] != w[s + 1], "w frozen during refractoriness");
    }
}

/// Delta ports: an input of weight 3 mV makes `V` jump by 3 mV at the end of the step it
/// arrives in, after which it relaxes as `3 e^{−t/τ_m}` (1e-4 mV; `a = 0`); an input of 40 mV
/// crosses the threshold and makes the neuron spike in that step.
#[test]
fn delta_port_jumps() {
    let text = r#"
        [simulation]
        duration = 60.0
        [[populations]]
        name = "small"
        size = 1
        model = "spike_generator"
        params = { times = [10.0] }
        [[populations]]
        name = "big"
        size = 1
        model = "spike_generator"
        params = { times = [40.0] }
        [[populations]]
        name = "n"
        size = 1
        model = "lif_adapt"
        params = { C_m = 200.0, g_L = 10.0, E_L = -70.0, V_th = -50.0, a = 0.0, b = 0.0 }
        ports.d = { kernel = "delta" }
        [[projections]]
        source = "small"
        target = "n"
        port = "d"
        connect = { rule = "all_to_all" }
        weight = 3.0
        delay = 0.1
        [[projections]]
        source = "big"
        target = "n"
        port = "d"
        connect = { rule = "all_to_all" }
        weight = 40.0
        delay = 0.1
        [[monitors]]
        kind = "spikes"
        population = "n"
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v"]
        ids = [0]
    "#;
    let mut net = build(text);
    run(&mut net);
    let v = &net.monitors.state[0].data[0];
    // Arrival at 10.1 ms: sample k is at (k + 1)·0.1 ms.
    let k0 = 100;
    assert_eq!(v[k0 - 1], -70.0);
    for (k, &x) in v.iter().enumerate().skip(k0).take(200) {
        let t = (k - k0) as f64 * 0.1;
        let want = -70.0 + 3.0 * (-t / 20.0).exp();
        assert!((x - want).abs() < 1e-4, "step {k}: {x} vs {want}");
    }
    let spikes = &net.monitors.spikes[0].steps;
    assert_eq!(
        spikes,
        &vec![400],
        "spike in the arrival step of the 40 mV input"
    );
}

/// `I_e` per neuron (array): no bias, subthreshold (150 pA, rheobase of the tonic preset
/// ≈ 216 pA) and suprathreshold currents give 0, 0 and increasing spike counts.
#[test]
fn bias_current_per_neuron() {
    let text = r#"
        [simulation]
        duration = 300.0
        [[populations]]
        name = "n"
        size = 4
        model = "adex"
        params = { preset = "tonic", I_e = [0.0, 150.0, 400.0, 800.0] }
        [[monitors]]
        kind = "spikes"
        population = "n"
    "#;
    let counts: Vec<usize> = spike_times(text, 4).iter().map(Vec::len).collect();
    assert_eq!(&counts[..2], &[0, 0], "{counts:?}");
    assert!(counts[2] > 5 && counts[3] > counts[2], "{counts:?}");
}

// ---------------------------------------------------------------------------------------
// Parameter errors
// ---------------------------------------------------------------------------------------

fn build_error(model: &str, params: &str) -> String {
    let text = format!(
        r#"
        [simulation]
        duration = 10.0
        [[populations]]
        name = "n"
        size = 1
        model = "{model}"
        params = {{ {params} }}
        "#
    );
    let m = glia_spec::parse(&text, Path::new("."), &glia_spec::Overrides::default())
        .unwrap_or_else(|e| panic!("parse: {e}"));
    match glia_sim::build::build(&m) {
        Ok(_) => panic!("{model} {{ {params} }} was accepted"),
        Err(e) => e.to_string(),
    }
}

/// Bad parameters give errors naming the field, never a panic.
#[test]
fn bad_parameters_name_the_field() {
    let p = "populations[0].params";
    for (model, params, want) in [
        ("adex", "C_m = 0.0", format!("{p}.C_m: must be > 0, got 0")),
        (
            "adex",
            "tau_w = -1.0",
            format!("{p}.tau_w: must be > 0, got -1"),
        ),
        (
            "adex",
            "Delta_T = -1.0",
            format!("{p}.Delta_T: must be ≥ 0, got -1"),
        ),
        ("adex", "g_L = 0.0", format!("{p}.g_L: must be > 0, got 0")),
        (
            "adex",
            "t_ref = -2.0",
            format!("{p}.t_ref: must be ≥ 0, got -2"),
        ),
        (
            "adex",
            "max_substep = 0.0",
            format!("{p}.max_substep: must be > 0, got 0"),
        ),
        (
            "adex",
            "V_reset = 5.0",
            format!("{p}.V_reset: must be below V_peak (0), got 5"),
        ),
        (
            "adex",
            "V_reset = 0.0",
            format!("{p}.V_reset: must be below V_peak (0), got 0"),
        ),
        (
            "adex",
            "V_peak = -60.0",
            format!("{p}.V_peak: must be ≥ V_th (-50.4), got -60"),
        ),
        (
            "adex",
            "Delta_T = 0.0, V_reset = -50.0",
            format!("{p}.V_reset: must be below the threshold V_th (-50.4), got -50"),
        ),
        (
            "adex",
            "Delta_T = 0.1",
            format!("{p}.Delta_T: (V_peak − V_th)/Delta_T must be ≤ 80"),
        ),
        (
            "adex",
            "preset = \"bursty\"",
            format!(
                "{p}.preset: unknown preset \"bursty\"; known presets: tonic, adapting, \
                 initial_burst, regular_bursting, delayed_accelerating, \
                 delayed_regular_bursting, transient, irregular"
            ),
        ),
        ("adex", "C_m = \"x\"", format!("{p}.C_m: invalid type")),
        ("adex", "tau_theta = 5.0", p.to_string()),
        ("adex", "I_e = [1.0, 2.0]", format!("{p}.I_e")),
        (
            "lif_adapt",
            "tau_theta = 0.0",
            format!("{p}.tau_theta: must be > 0, got 0"),
        ),
        (
            "lif_adapt",
            "q_theta = -1.0",
            format!("{p}.q_theta: must be ≥ 0, got -1"),
        ),
        (
            "lif_adapt",
            "V_reset = -40.0",
            format!("{p}.V_reset: must be below the threshold V_th (-50.4), got -40"),
        ),
        ("lif_adapt", "Delta_T = 1.0", p.to_string()),
        (
            "lif_adapt",
            "C_m = -3.0",
            format!("{p}.C_m: must be > 0, got -3"),
        ),
    ] {
        let got = build_error(model, params);
        assert!(
            got.starts_with(&want),
            "{model} {{ {params} }}:\n got {got}\nwant {want}…"
        );
    }
    // Unknown fields are named.
    assert!(build_error("adex", "tau_theta = 5.0").contains("tau_theta"));
    assert!(build_error("lif_adapt", "Delta_T = 1.0").contains("Delta_T"));
}

/// Same seed, same spikes and state for 1 and 2 threads (3000 AdEx neurons in three blocks,
/// noise input, recurrent conductance synapses).
#[test]
fn deterministic_across_threads() {
    let run_with = |threads: usize| {
        let text = format!(
            r#"
            [simulation]
            duration = 100.0
            seed = 3
            threads = {threads}
            [[populations]]
            name = "n"
            size = 3000
            model = "adex"
            params = {{ preset = "adapting", I_e = {{ dist = "uniform", low = 300.0, high = 600.0 }} }}
            [[inputs]]
            kind = "noise"
            target = "n"
            mean = 0.0
            std = 200.0
            [[projections]]
            source = "n"
            target = "n"
            port = "exc"
            connect = {{ rule = "fixed_indegree", indegree = 20 }}
            weight = 0.5
            delay = 1.0
            [[monitors]]
            kind = "spikes"
            population = "n"
            "#
        );
        let mut net = build(&text);
        run(&mut net);
        let m = &net.monitors.spikes[0];
        (m.steps.clone(), m.ids.clone(), net.state(0, "w").unwrap())
    };
    let (a, b) = (run_with(1), run_with(2));
    assert!(a.0.len() > 1000, "{} spikes", a.0.len());
    assert_eq!(a, b);
}

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
    spikes: Vec<f64>,
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
        .map(|c| RefCase {
            name: c["name"].as_str().unwrap().into(),
            model: c["model"].as_str().unwrap().into(),
            preset: c["preset"].as_str().map(Into::into),
            params: c["params"].as_object().unwrap().clone(),
            current: c["current"].as_f64().unwrap(),
            spikes: c["spikes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect(),
        })
        .collect()
}

/// The case's parameters as a TOML inline-table body: the preset name where there is one
/// (its values checked against the fixture's), the parameters otherwise.
fn case_params(c: &RefCase, extra: &str) -> String {
    let body = match &c.preset {
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
            assert_eq!(c.current, p.current, "{name}: step current");
            format!("preset = \"{name}\"")
        }
        None => c
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.as_f64().unwrap()))
            .collect::<Vec<_>>()
            .join(", "),
    };
    if extra.is_empty() {
        body
    } else {
        format!("{body}, {extra}")
    }
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

/// Spike times of four Naud presets (tonic, adapting, initial burst, regular bursting) and
/// of an adaptive LIF (adaptation current with `a ≠ 0` and adaptive threshold) under constant
/// current (given as `I_e`) for 500 ms at dt = 0.1 ms, against SciPy's DOP853 with rtol 1e-10
/// and event-based reset (`validation/adex_reference.py`, whose own error is ≤ 1e-5 ms).
/// glia stamps a spike at the end of the step in which the threshold is crossed, so
/// `t_glia − t_ref` lies in `[0, dt)` for an exact integrator. Tolerance: `[−0.01, dt + 0.01)`
/// ms for every spike (accumulated integration error ≤ 10 µs over up to 51 spikes), same
/// spike counts.
#[test]
fn spike_times_match_scipy_reference() {
    let dt = 0.1;
    for c in reference() {
        let params = case_params(&c, &format!("I_e = {}", c.current));
        let t = single(&c.model, &params, 0.0, dt, 500.0);
        let e = errors(&t, &c.spikes, &c.name);
        let (lo, hi) = e
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        println!(
            "{}: {} spikes, t_glia − t_ref in [{lo:.4}, {hi:.4}] ms",
            c.name,
            e.len()
        );
        assert!(lo >= -0.01 && hi < dt + 0.01, "{}: errors {e:?}", c.name);
    }
}

/// Convergence in dt: the tonic preset (51 spikes in 500 ms) at dt = 0.1, 0.05 and 0.025 ms.
/// With the default substep (≤ 0.025 ms) every spike is within `[−0.01, dt + 0.01)` ms of the
/// SciPy reference, so the largest error shrinks with dt (stamping on the step grid).
/// With one substep per step (`max_substep = dt`) the integration error itself is visible and
/// must shrink at least linearly: the largest error beyond the stamping interval,
/// `max(−min e, max e − dt)`, at least halves from dt = 0.1 to 0.05 to 0.025 ms (or is below
/// 2 µs).
#[test]
fn spike_times_converge_in_dt() {
    let c = reference().into_iter().find(|c| c.name == "tonic").unwrap();
    let mut largest = Vec::new();
    let mut beyond = Vec::new();
    for dt in [0.1, 0.05, 0.025] {
        let t = single("adex", &case_params(&c, ""), c.current, dt, 500.0);
        let e = errors(&t, &c.spikes, &format!("dt {dt}"));
        let (lo, hi) = e
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(lo >= -0.01 && hi < dt + 0.01, "dt {dt}: [{lo}, {hi}]");
        largest.push(lo.abs().max(hi));
        let t = single(
            "adex",
            &case_params(&c, &format!("max_substep = {dt}")),
            c.current,
            dt,
            500.0,
        );
        let e = errors(&t, &c.spikes, &format!("dt {dt}, one substep"));
        let (lo, hi) = e
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        beyond.push((-lo).max(hi - dt).max(0.0));
    }
    println!(
        "largest |error| {largest:?} ms; one substep per step, beyond stamping: {beyond:?} ms"
    );
    assert!(
        largest[1] < largest[0] && largest[2] < largest[1],
        "{largest:?}"
    );
    for k in 1..3 {
        assert!(
            beyond[k] <= 0.5 * beyond[k - 1] || beyond[k] < 2e-3,
            "one substep per step: {beyond:?}"
        );
    }
}

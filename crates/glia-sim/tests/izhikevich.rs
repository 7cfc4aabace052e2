//! The Izhikevich (2003) model against a high-accuracy reference, the paper's own scheme, and
//! its parameter errors.

mod common;
use common::{build, run};
use serde_json::Value;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../validation/fixtures/izhikevich_presets.json"
);

/// One protocol of `validation/fixtures/izhikevich_presets.json`.
struct Protocol {
    name: String,
    preset: String,
    #[allow(dead_code)]
    abcd: [f64; 4],
    v0: f64,
    times: Vec<f64>,
    amplitudes: Vec<f64>,
    duration: f64,
    spikes: Vec<f64>,
    sample_ms: f64,
    v: Vec<f64>,
}

fn protocols() -> Vec<Protocol> {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let f = |x: &Value| x.as_f64().unwrap();
    let fs = |x: &Value| x.as_array().unwrap().iter().map(f).collect::<Vec<f64>>();
    doc["protocols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Protocol {
            name: p["name"].as_str().unwrap().into(),
            preset: p["preset"].as_str().unwrap().into(),
            abcd: [f(&p["a"]), f(&p["b"]), f(&p["c"]), f(&p["d"])],
            v0: f(&p["v0"]),
            times: fs(&p["times"]),
            amplitudes: fs(&p["amplitudes"]),
            duration: f(&p["duration"]),
            spikes: fs(&p["spikes"]),
            sample_ms: f(&p["sample_ms"]),
            v: fs(&p["v"]),
        })
        .collect()
}

fn list(x: &[f64]) -> String {
    let s: Vec<String> = x.iter().map(|v| format!("{v:?}")).collect();
    s.join(", ")
}

/// Run one protocol in glia; spike times (stamps, ms) and `v` sampled every `sample_ms`.
fn run_protocol(p: &Protocol, dt: f64, extra: &str) -> (Vec<f64>, Vec<f64>) {
    let text = format!(
        r#"
        [simulation]
        dt = {dt}
        duration = {duration}
        [[populations]]
        name = "n"
        size = 1
        model = "izhikevich"
        params = {{ preset = "{preset}" {extra} }}
        initial.v = {v0:?}
        [[inputs]]
        kind = "step_current"
        target = "n"
        times = [{times}]
        amplitudes = [{amps}]
        [[monitors]]
        kind = "spikes"
        population = "n"
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v"]
        ids = [0]
        interval = {sample:?}
        "#,
        duration = p.duration,
        preset = p.preset,
        v0 = p.v0,
        times = list(&p.times),
        amps = list(&p.amplitudes),
        sample = p.sample_ms,
    );
    let mut net = build(&text);
    run(&mut net);
    let spikes = net.monitors.spikes[0]
        .steps
        .iter()
        .map(|&s| (s + 1) as f64 * dt)
        .collect();
    (spikes, net.monitors.state[0].data[0].clone())
}

/// Largest |error| of spike times taken as the middle of their step, `stamp − dt/2`, against
/// the reference; and whether every reference time lies in its stamp's step, widened by `eps`.
fn spike_errors(glia: &[f64], reference: &[f64], dt: f64, eps: f64) -> (f64, bool) {
    let mut worst: f64 = 0.0;
    let mut inside = true;
    for (&g, &r) in glia.iter().zip(reference) {
        worst = worst.max((g - 0.5 * dt - r).abs());
        inside &= r >= g - dt - eps && r <= g + eps;
    }
    (worst, inside)
}

/// Every preset under its protocol (see `validation/izhikevich_reference.py`: RS, IB, CH, FS,
/// LTS with I = 10 from 10 ms; TC tonic (I = 2) and rebound (I = −10 for 100 ms, then 0);
/// RZ tonic (I = 1) and its resonance to 5 ms pulse pairs 45 ms apart (one spike) but not
/// 25 ms apart (none)) reproduces the reference solution (DOP853, rtol 1e-10, event reset),
/// with the default scheme (Heun, 0.025 ms substeps, reset at the interpolated crossing):
///
/// - at dt = 0.1 ms (4 substeps) and dt = 0.025 ms (1 substep): the same number of spikes, and
///   every reference spike time lies in the step of the corresponding glia spike (glia stamps
///   spikes at the end of their step), widened by 0.01 ms; so the first three spike times and
///   ISIs are within dt + 0.01 ms;
/// - `v` sampled every 1 ms up to 1 ms before the first reference spike (the whole trace for
///   the subthreshold RZ protocol) within 0.02 mV of the reference.
#[test]
fn presets_match_reference() {
    eprintln!(
        "{:15} {:>4} {:>4}  {:>22}  {:>22}  {:>9}  {:>9}",
        "protocol", "ref", "glia", "first ISIs ref", "first ISIs glia", "|mid-ref|", "max |dv|"
    );
    for dt in [0.1, 0.025] {
        eprintln!("dt = {dt} ms");
        for p in protocols() {
            let (spikes, v) = run_protocol(&p, dt, "");
            assert_eq!(
                spikes.len(),
                p.spikes.len(),
                "{} at dt {dt}: glia spikes {spikes:?}, reference {:?}",
                p.name,
                p.spikes
            );
            let (worst, inside) = spike_errors(&spikes, &p.spikes, dt, 0.01);
            assert!(
                inside,
                "{} at dt {dt}: spike stamps {spikes:?} vs reference {:?}",
                p.name, p.spikes
            );
            let until = p.spikes.first().map_or(p.duration, |t| t - 1.0);
            let mut dv: f64 = 0.0;
            for (k, (&g, &r)) in v.iter().zip(&p.v).enumerate() {
                if (k + 1) as f64 * p.sample_ms <= until {
                    dv = dv.max((g - r).abs());
                }
            }
            assert!(dv < 0.02, "{} at dt {dt}: v differs by {dv} mV", p.name);
            let isi = |s: &[f64]| {
                let d: Vec<String> = s
                    .windows(2)
                    .take(3)
                    .map(|w| format!("{:.2}", w[1] - w[0]))
                    .collect();
                d.join(" ")
            };
            eprintln!(
                "{:15} {:>4} {:>4}  {:>22}  {:>22}  {:>9.4}  {:>9.5}",
                p.name,
                p.spikes.len(),
                spikes.len(),
                isi(&p.spikes),
                isi(&spikes),
                worst,
                dv
            );
        }
    }
}

/// The paper's MATLAB loop for one neuron at dt = 1 ms, in f64 (`f32 = false`) or in f32 with
/// glia's order of operations (`f32 = true`); in step `s` the current is `current(s)`. Returns
/// the steps with a spike and `(v, u)` after every step.
fn paper_loop(
    [a, b, c, d]: [f64; 4],
    v0: f64,
    steps: usize,
    current: impl Fn(usize) -> f64,
    f32: bool,
) -> (Vec<usize>, Vec<(f64, f64)>) {
    let (mut spikes, mut trace) = (Vec::new(), Vec::new());
    if f32 {
        let (a, ab, c, d) = (a as f32, (a * b) as f32, c as f32, d as f32);
        let (mut v, mut u) = (v0 as f32, (b * v0) as f32);
        for s in 0..steps {
            let p = 0.0 + (140.0 + current(s) as f32);
            let v1 = v + 0.5 * (v * (0.04 * v + 5.0) + p - u);
            let v2 = v1 + 0.5 * (v1 * (0.04 * v1 + 5.0) + p - u);
            u += ab * v2 - a * u;
            v = v2;
            if v >= 30.0 {
                spikes.push(s);
                v = c;
                u += d;
            }
            trace.push((f64::from(v), f64::from(u)));
        }
        return (spikes, trace);
    }
    let (mut v, mut u) = (v0, b * v0);
    for s in 0..steps {
        let i = current(s);
        v += 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + i);
        v += 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + i);
        u += a * (b * v - u);
        // The paper resets at the start of the next iteration; the same as here.
        if v >= 30.0 {
            spikes.push(s);
            v = c;
            u += d;
        }
        trace.push((v, u));
    }
    (spikes, trace)
}

/// `paper_euler = true` at dt = 1 ms is the paper's scheme: for every protocol of the fixture
/// (step currents) and for a resting RS cell receiving generator spikes through the default
/// delta port (weight w, delay 1 ms, acting as the paper's `I += w` in the step after the
/// spike's stamp), glia spikes in exactly the steps of the paper's loop written out in f32 (the
/// precision of glia's state), and `v`, `u` after every step agree with it to 1e-5 relative.
///
/// Against the same loop in f64 (the paper's MATLAB precision) only the counts are reported:
/// the scheme at dt = 1 ms amplifies rounding differences by up to ~8 per step on the upstroke
/// and feeds the overshoot (v up to ~10⁴ mV at the end of the spiking step) into `u`, so f32
/// and f64 drift apart by up to several mV and occasionally by a spike.
#[test]
fn paper_euler_is_the_papers_scheme() {
    let check = |name: &str, text: &str, abcd: [f64; 4], v0: f64, cur: &dyn Fn(usize) -> f64| {
        let mut net = build(text);
        run(&mut net);
        let steps = net.planned_steps as usize;
        let got: Vec<usize> = net.monitors.spikes[0]
            .steps
            .iter()
            .map(|&s| s as usize)
            .collect();
        let (want_spikes, want) = paper_loop(abcd, v0, steps, cur, true);
        assert_eq!(got, want_spikes, "{name}: spike steps");
        let m = &net.monitors.state[0];
        for (k, &(v, u)) in want.iter().enumerate() {
            let (gv, gu) = (m.data[0][k], m.data[1][k]);
            assert!(
                (gv - v).abs() <= 1e-5 * v.abs().max(1.0)
                    && (gu - u).abs() <= 1e-5 * u.abs().max(1.0),
                "{name} step {k}: glia (v, u) = ({gv}, {gu}), paper in f32 ({v}, {u})"
            );
        }
        assert!(
            !got.is_empty() || name.contains("offres"),
            "{name}: no spikes"
        );
        let (spikes64, _) = paper_loop(abcd, v0, steps, cur, false);
        eprintln!(
            "{name}: {} spikes (the paper's loop in f64: {}, in the same steps: {})",
            got.len(),
            spikes64.len(),
            got == spikes64
        );
    };
    for p in protocols() {
        let text = format!(
            r#"
            [simulation]
            dt = 1.0
            duration = {duration}
            [[populations]]
            name = "n"
            size = 1
            model = "izhikevich"
            params = {{ preset = "{preset}", paper_euler = true }}
            initial.v = {v0:?}
            [[inputs]]
            kind = "step_current"
            target = "n"
            times = [{times}]
            amplitudes = [{amps}]
            [[monitors]]
            kind = "spikes"
            population = "n"
            [[monitors]]
            kind = "state"
            population = "n"
            variables = ["v", "u"]
            ids = [0]
            "#,
            duration = p.duration,
            preset = p.preset,
            v0 = p.v0,
            times = list(&p.times),
            amps = list(&p.amplitudes),
        );
        let cur = |s: usize| {
            let mut i = 0.0;
            for (&t, &a) in p.times.iter().zip(&p.amplitudes) {
                if s as f64 >= t {
                    i = a;
                }
            }
            i
        };
        check(&p.name, &text, p.abcd, p.v0, &cur);
    }
    // Delta-port input: generator spikes at 20 (twice), 50, 51, 52, 80 ms with weight 15, delay
    // 1 ms: each acts as I += 15 in the step [t, t + 1) ms, i.e. step t.
    let text = r#"
        [simulation]
        dt = 1.0
        duration = 150.0
        [[populations]]
        name = "n"
        size = 1
        model = "izhikevich"
        params = { preset = "RS", paper_euler = true }
        [[populations]]
        name = "g"
        size = 1
        model = "spike_generator"
        params = { times = [20.0, 20.0, 50.0, 51.0, 52.0, 80.0] }
        [[projections]]
        source = "g"
        target = "n"
        port = "in"
        connect = { rule = "all_to_all" }
        weight = 15.0
        delay = 1.0
        [[monitors]]
        kind = "spikes"
        population = "n"
        [[monitors]]
        kind = "state"
        population = "n"
        variables = ["v", "u"]
        ids = [0]
    "#;
    let times = [20usize, 20, 50, 51, 52, 80];
    let cur = |s: usize| 15.0 * times.iter().filter(|&&t| t == s).count() as f64;
    check(
        "RS, delta input",
        text,
        [0.02, 0.2, -65.0, 8.0],
        -65.0,
        &cur,
    );
}

/// Default scheme: a delta-port spike makes `v` jump by exactly its weight at the end of the
/// step in which it arrives (stamp + delay): the difference between a run with and without
/// the input is 0 before and `w` (to 1e-5 mV) at that step's end; a jump above 30 mV fires in
/// that same step.
#[test]
fn delta_port_jumps_at_end_of_step() {
    let text = |w: f64| {
        format!(
            r#"
            [simulation]
            dt = 0.1
            duration = 30.0
            [[populations]]
            name = "n"
            size = 1
            model = "izhikevich"
            params = {{ preset = "RS" }}
            initial.v = -70.0
            [[populations]]
            name = "g"
            size = 1
            model = "spike_generator"
            params = {{ times = [10.0] }}
            [[projections]]
            source = "g"
            target = "n"
            port = "in"
            connect = {{ rule = "all_to_all" }}
            weight = {w:?}
            delay = 2.0
            [[monitors]]
            kind = "spikes"
            population = "n"
            [[monitors]]
            kind = "state"
            population = "n"
            variables = ["v"]
            ids = [0]
            "#
        )
    };
    let v = |w: f64| {
        let mut net = build(&text(w));
        run(&mut net);
        let sp = net.monitors.spikes[0].steps.clone();
        (net.monitors.state[0].data[0].clone(), sp)
    };
    let (base, sp0) = v(0.0);
    let (with, sp1) = v(3.0);
    assert!(sp0.is_empty() && sp1.is_empty());
    // Arrives at 10 + 2 = 12 ms: the sample at 12.0 ms (index 119).
    for k in 0..119 {
        assert_eq!(with[k], base[k], "sample {k}");
    }
    assert!((with[119] - base[119] - 3.0).abs() < 1e-5);
    let (big, sp2) = v(150.0);
    assert_eq!(
        sp2,
        vec![119],
        "a jump above 30 mV spikes in the step it arrives"
    );
    assert_eq!(big[119], -65.0, "reset to c");
}

/// Power spectrum `|X(f)|²` of `x` (mean removed) at f = k / (n·dt) for k = 1 … n/2, by a
/// direct DFT (n ≈ 1000: fast enough, and exact).
fn spectrum(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    (1..=n / 2)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (j, &xj) in x.iter().enumerate() {
                let ph = std::f64::consts::TAU * (k * j % n) as f64 / n as f64;
                re += (xj - mean) * ph.cos();
                im -= (xj - mean) * ph.sin();
            }
            re * re + im * im
        })
        .collect()
}

/// The 2003 network (`examples/izhikevich2003.toml`: 800 RS-randomised excitatory and 200
/// LTS/FS inhibitory cells, all-to-all random weights, Gaussian thalamic input, the paper's
/// scheme at dt = 1 ms, 1000 ms) oscillates as in the paper's Fig. 3, which shows alpha
/// (~10 Hz) and gamma (~40 Hz) rhythms: for three seeds, the dominant frequency of the
/// excitatory population's spike count per ms (power spectrum without DC, 1 Hz resolution)
/// lies in 5–50 Hz, and the mean rates are within 20 % of those of the paper's MATLAB code run
/// in numpy (`validation/izhikevich2003_numpy.py`, seeds 1–3: excitatory 7.52–7.65 Hz,
/// inhibitory 7.17–7.42 Hz, dominant 8 Hz): excitatory 6.1–9.2 Hz, inhibitory 5.8–8.9 Hz.
#[test]
fn network_2003_oscillates_in_alpha_gamma_band() {
    for seed in [1u64, 2, 3] {
        let ov = glia_spec::Overrides {
            seed: Some(seed),
            ..Default::default()
        };
        let mut net = common::build_with(&common::example("izhikevich2003.toml"), &ov);
        run(&mut net);
        let steps = net.planned_steps as usize;
        let mut counts = vec![0.0; steps];
        for &s in &net.monitors.spikes[0].steps {
            counts[s as usize] += 1.0;
        }
        let inh = net.monitors.spikes[1].steps.len();
        let secs = steps as f64 * net.dt / 1000.0;
        let rate_e = counts.iter().sum::<f64>() / (800.0 * secs);
        let rate_i = inh as f64 / (200.0 * secs);
        let p = spectrum(&counts);
        let k = (0..p.len()).max_by(|&i, &j| p[i].total_cmp(&p[j])).unwrap() + 1;
        let f = k as f64 / secs;
        // The strongest peak in each band, for the report.
        let peak = |lo: f64, hi: f64| {
            let ks = (1..=p.len()).filter(|&k| k as f64 / secs >= lo && k as f64 / secs <= hi);
            ks.max_by(|&i, &j| p[i - 1].total_cmp(&p[j - 1])).unwrap() as f64 / secs
        };
        eprintln!(
            "seed {seed}: exc {rate_e:.2} Hz, inh {rate_i:.2} Hz, dominant {f} Hz \
             (strongest 5-15 Hz: {}, 30-50 Hz: {})",
            peak(5.0, 15.0),
            peak(30.0, 50.0)
        );
        assert!(
            (5.0..=50.0).contains(&f),
            "seed {seed}: dominant frequency {f} Hz"
        );
        assert!(
            (6.1..=9.2).contains(&rate_e),
            "seed {seed}: exc rate {rate_e} Hz"
        );
        assert!(
            (5.8..=8.9).contains(&rate_i),
            "seed {seed}: inh rate {rate_i} Hz"
        );
    }
}

/// The error of building a one-population model with the given `params` (and extra lines).
fn error(params: &str, extra: &str) -> String {
    let text = format!(
        r#"
        [simulation]
        dt = 0.1
        duration = 10.0
        [[populations]]
        name = "n"
        size = 3
        model = "izhikevich"
        params = {{ {params} }}
        {extra}
        "#
    );
    let model = match glia_spec::parse(&text, std::path::Path::new("."), &Default::default()) {
        Ok(m) => m,
        Err(e) => return e.to_string(),
    };
    match glia_sim::build::build(&model) {
        Ok(_) => panic!("{params} {extra}: no error"),
        Err(e) => e.to_string(),
    }
}

/// Bad parameters are errors naming the field (never panics).
#[test]
fn bad_parameters_are_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"preset = "XY""#,
            "",
            r#"populations[0].params.preset: unknown preset "XY"; known presets: RS, IB, CH, FS, LTS, TC, RZ"#,
        ),
        ("a = nan", "", "populations[0].params.a"),
        ("d = [1.0, 2.0]", "", "populations[0].params.d"),
        (
            "b_r = inf",
            "",
            "populations[0].params.b_r: must be finite, got inf",
        ),
        (
            "I_e = -inf",
            "",
            "populations[0].params.I_e: must be finite",
        ),
        (
            "substeps = 0",
            "",
            "populations[0].params.substeps: must be in 1..=1000, got 0",
        ),
        (
            "substeps = 5000",
            "",
            "populations[0].params.substeps: must be in 1..=1000, got 5000",
        ),
        (
            "substeps = 2, paper_euler = true",
            "",
            "populations[0].params.substeps: has no effect with paper_euler = true",
        ),
        (
            "c = 35.0",
            "",
            "populations[0].params.c: must be below the spike cut-off 30 mV, got 35 for neuron 0",
        ),
        (
            "c = 0.0, c_r2 = 100.0",
            "",
            "populations[0].params.c: must be below the spike cut-off 30 mV",
        ),
        (
            "tau = 1.0",
            "",
            "populations[0].params.tau: unknown field `tau`",
        ),
        (
            r#"paper_euler = "yes""#,
            "",
            "populations[0].params.paper_euler: invalid type",
        ),
        (
            "",
            "initial.w = 1.0",
            r#"populations[0].initial.w: model "izhikevich" has no state variable "w" (it has: v, u)"#,
        ),
    ];
    for (params, extra, want) in cases {
        let got = error(params, extra);
        assert!(
            got.starts_with(want),
            "{params} {extra}:\n got  {got}\n want {want}"
        );
    }
}

/// Per-neuron parameters: an array `a` and a distribution `b` reach the neurons (u = b·v at
/// the start, from `initial.v`), and `a_r`, `b_r` randomise both with one shared r ∈ [0, 1)
/// per neuron, drawn from the (seed, population, neuron) stream: the same for the same seed.
#[test]
fn per_neuron_parameters_and_initial_u() {
    let text = |seed: u64, params: &str| {
        format!(
            r#"
            [simulation]
            dt = 0.1
            duration = 0.1
            seed = {seed}
            [[populations]]
            name = "n"
            size = 4
            model = "izhikevich"
            params = {{ {params} }}
            initial.v = [-70.0, -60.0, -65.0, -50.0]
            "#
        )
    };
    let u0 = |seed: u64, params: &str| {
        let net = build(&text(seed, params));
        net.state(0, "u").unwrap()
    };
    let u = u0(1, "b = [0.1, 0.2, 0.3, 0.4]");
    let want = [-7.0, -12.0, -19.5, -20.0];
    for (g, w) in u.iter().zip(want) {
        assert!((g - w).abs() < 1e-5, "{u:?}");
    }
    let u = u0(1, r#"preset = "LTS", a_r = 0.08, b_r = -0.05"#);
    let v = [-70.0, -60.0, -65.0, -50.0];
    let r: Vec<f64> = u
        .iter()
        .zip(v)
        .map(|(u, v)| (0.25 - u / v) / 0.05)
        .collect();
    assert!(r.iter().all(|r| (0.0..1.0).contains(r)), "{r:?}");
    assert!(r.windows(2).any(|w| (w[0] - w[1]).abs() > 1e-3), "{r:?}");
    assert_eq!(u, u0(1, r#"preset = "LTS", a_r = 0.08, b_r = -0.05"#));
    assert_ne!(u, u0(2, r#"preset = "LTS", a_r = 0.08, b_r = -0.05"#));
}

/// The 2003 network gives bit-identical spikes for 1 and 3 threads, and so does the same
/// network with the default scheme at dt = 0.1 ms (4 substeps; noise std scaled by √10 so that
/// its integral over 1 ms keeps the paper's variance).
#[test]
fn network_is_bit_identical_across_threads() {
    let text = common::example("izhikevich2003.toml");
    let fine = text
        .replace("dt = 1.0", "dt = 0.1")
        .replace(", paper_euler = true", "");
    let spikes = |threads: usize, text: &str, params: &[(&str, f64)]| {
        let ov = glia_spec::Overrides {
            threads: Some(threads),
            duration: Some(200.0),
            parameters: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..Default::default()
        };
        let mut net = common::build_with(text, &ov);
        run(&mut net);
        let m = &net.monitors.spikes;
        (
            m[0].steps.clone(),
            m[0].ids.clone(),
            m[1].steps.clone(),
            m[1].ids.clone(),
        )
    };
    let scaled = [
        ("noise_exc", 5.0 * 10f64.sqrt()),
        ("noise_inh", 2.0 * 10f64.sqrt()),
    ];
    for (text, params) in [(&text, &[][..]), (&fine, &scaled[..])] {
        let one = spikes(1, text, params);
        assert!(one.0.len() > 500, "{params:?}: {} spikes", one.0.len());
        assert_eq!(one, spikes(3, text, params), "{params:?}");
    }
}

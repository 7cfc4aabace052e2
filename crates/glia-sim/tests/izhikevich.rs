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
        "protocol", "ref", "glia", "first ISIs ref", "first ISIs glia", "max |dt|", "max |dv|"
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

//! Self-adapting E/I balance against globally tuned balance (Srinivasan, Plenz & Girvan 2025).
//!
//! An E/I reservoir of sigmoid rate units (80 % excitatory, 20 % inhibitory, Dale's law,
//! connection probability `p`, inhibitory links 4× stronger so that β = 1 is balanced) is run
//! on two tasks — linear memory capacity and one-step Mackey–Glass prediction — for
//!
//! * **global tuning**: the E/I balance β (total inhibitory / total excitatory weight) swept
//!   over a grid, the same for every neuron;
//! * **adaptive**: every neuron adapts its incoming inhibitory weights towards a target activity
//!   (`glia_reservoir::adapt`), homogeneous targets ρ or heterogeneous Beta-distributed ones,
//!   started from each β of the grid.
//!
//! Prints one table per task and the improvement of the best adaptive reservoir over the best
//! and the median globally tuned one.
//!
//! `cargo run --release -p glia-reservoir --example ei_adaptive [N] [g] [input_scaling] [leak] [δ]`
//! [ρ] (defaults 500, 0.5, 0.5, 0.5, 0.005, 0.2). Adaptation runs 6000 steps before the washout.

use faer::Mat;
use glia_reservoir::adapt::{EiAdapt, Targets};
use glia_reservoir::esn::{Esn, InputDist, InputLink, draw_input_weights, set_ei_balance};
use glia_reservoir::metrics::{nrmse, r2};
use glia_reservoir::readout::Ridge;
use glia_reservoir::tasks::{MackeyGlass, uniform};

fn model(n: usize, g: f64, theta: f64, leak: f64) -> glia_spec::Model {
    let (ne, ni) = (n * 4 / 5, n / 5);
    let text = format!(
        r#"
[simulation]
dt = 1.0
duration = 1.0
seed = 11
threads = 1
[[populations]]
name = "E"
size = {ne}
model = "rate"
params = {{ activation = "sigmoid", dale = "excitatory", bias = {b}, leak = {leak} }}
[[populations]]
name = "I"
size = {ni}
model = "rate"
params = {{ activation = "sigmoid", dale = "inhibitory", bias = {b}, leak = {leak} }}
[[projections]]
source = "E"
target = "E"
port = "in"
connect = {{ rule = "fixed_probability", p = 0.1, allow_self = false }}
weight = {{ dist = "uniform", low = 0.0, high = {we} }}
[[projections]]
source = "E"
target = "I"
port = "in"
connect = {{ rule = "fixed_probability", p = 0.1 }}
weight = {{ dist = "uniform", low = 0.0, high = {we} }}
[[projections]]
source = "I"
target = "E"
port = "in"
connect = {{ rule = "fixed_probability", p = 0.1 }}
weight = {{ dist = "uniform", low = {wi}, high = 0.0 }}
[[projections]]
source = "I"
target = "I"
port = "in"
connect = {{ rule = "fixed_probability", p = 0.1, allow_self = false }}
weight = {{ dist = "uniform", low = {wi}, high = 0.0 }}
"#,
        b = -theta,
        we = 2.0 * g,
        wi = -8.0 * g,
    );
    glia_spec::parse(&text, std::path::Path::new("."), &Default::default()).unwrap()
}

enum Mode {
    Global,
    Adapt(Targets),
}

/// Memory capacity (delays 1..=kmax) and Mackey–Glass one-step NRMSE of one reservoir.
fn evaluate(
    n: usize,
    g: f64,
    beta: f64,
    mode: &Mode,
    input_scaling: f64,
    leak: f64,
    delta: f64,
) -> (f64, f64) {
    let mut out = [0.0; 2];
    for (task, o) in out.iter_mut().enumerate() {
        let mut net = glia_sim::build::build(&model(n, g, 0.0, leak)).unwrap();
        set_ei_balance(&mut net, &[0, 1], beta).unwrap();
        let links = (0..2)
            .map(|p| InputLink {
                pop: p,
                port: 0,
                weights: draw_input_weights(
                    5,
                    p as u32,
                    net.pops[p].size,
                    1,
                    input_scaling,
                    1.0,
                    InputDist::Uniform,
                ),
            })
            .collect();
        let mut esn = Esn::new(net, links, vec![(0, 0), (1, 0)], 1).unwrap();
        let (adapt, wash, train, test) = (6000, 200, 3000, 2000);
        let total = adapt + train + test + 1;
        let u: Vec<f64> = if task == 0 {
            uniform(9, 0, total, -1.0, 1.0)
        } else {
            let s = MackeyGlass::default().generate(total + 500).unwrap();
            s[500..].iter().map(|x| (x - 0.9) * 4.0).collect()
        };
        let mut x = vec![0.0; esn.n_features()];
        match mode {
            Mode::Global => {
                for t in 0..adapt {
                    esn.step(&u[t..t + 1], &mut x);
                }
            }
            Mode::Adapt(targets) => {
                let mut ad = EiAdapt::new(&esn.net, &[0, 1], delta, targets, 13).unwrap();
                for t in 0..adapt {
                    esn.step(&u[t..t + 1], &mut x);
                    ad.update(&mut esn.net);
                }
            }
        }
        let feats = esn.run(&u[adapt..adapt + train + test]);
        let xtr = feats.subrows(wash, train - wash);
        let xte = feats.subrows(train, test);
        if task == 0 {
            let kmax = 100;
            let y = Mat::from_fn(train - wash, kmax, |i, k| u[adapt + wash + i - k - 1]);
            let r = Ridge::fit(xtr, y.as_ref(), 1e-6).unwrap();
            let p = r.predict(xte);
            *o = (0..kmax)
                .map(|k| {
                    let t: Vec<f64> = (0..test).map(|i| u[adapt + train + i - k - 1]).collect();
                    let q: Vec<f64> = (0..test).map(|i| p[(i, k)]).collect();
                    r2(&t, &q)
                })
                .sum();
        } else {
            let y = Mat::from_fn(train - wash, 1, |i, _| u[adapt + wash + i + 1]);
            let r = Ridge::fit(xtr, y.as_ref(), 1e-6).unwrap();
            let p = r.predict(xte);
            let t: Vec<f64> = (0..test).map(|i| u[adapt + train + i + 1]).collect();
            let q: Vec<f64> = (0..test).map(|i| p[(i, 0)]).collect();
            *o = nrmse(&t, &q);
        }
    }
    (out[0], out[1])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let g: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(0.5);
    let isc: f64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(0.5);
    let leak: f64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(0.5);
    let delta: f64 = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(0.005);
    // Target mean activity; heterogeneous targets are Beta(10 ρ, 10 (1 − ρ)) (same mean).
    let rho: f64 = args.get(6).and_then(|a| a.parse().ok()).unwrap_or(0.2);
    let (ba, bb) = (10.0 * rho, 10.0 * (1.0 - rho));
    let betas = [0.6, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0];
    println!(
        "N = {n}, g = {g}, input scaling {isc}, leak {leak}, δ = {delta}; MC (delays 1..100) \
         and Mackey-Glass one-step NRMSE"
    );
    println!(
        "| β | global MC | global MG NRMSE | adaptive ρ={rho} MC | MG | adaptive Beta({ba},{bb}) \
         MC | MG |"
    );
    println!("|---|---|---|---|---|---|---|");
    let (mut gm, mut ge, mut am, mut ae, mut hm, mut he) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for &b in &betas {
        let (m0, e0) = evaluate(n, g, b, &Mode::Global, isc, leak, delta);
        let (m1, e1) = evaluate(
            n,
            g,
            b,
            &Mode::Adapt(Targets::Homogeneous(rho)),
            isc,
            leak,
            delta,
        );
        let (m2, e2) = evaluate(
            n,
            g,
            b,
            &Mode::Adapt(Targets::Beta { a: ba, b: bb }),
            isc,
            leak,
            delta,
        );
        println!("| {b} | {m0:.2} | {e0:.4} | {m1:.2} | {e1:.4} | {m2:.2} | {e2:.4} |");
        gm.push(m0);
        ge.push(e0);
        am.push(m1);
        ae.push(e1);
        hm.push(m2);
        he.push(e2);
    }
    let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
    let min = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
    let median = |v: &[f64]| {
        let mut w = v.to_vec();
        w.sort_by(f64::total_cmp);
        0.5 * (w[(w.len() - 1) / 2] + w[w.len() / 2])
    };
    let best_a = max(&am).max(max(&hm));
    let best_ae = min(&ae).min(min(&he));
    println!(
        "MC: best adaptive {best_a:.2} vs best global {:.2} ({:+.0} %), vs median global {:.2} ({:+.0} %)",
        max(&gm),
        100.0 * (best_a / max(&gm) - 1.0),
        median(&gm),
        100.0 * (best_a / median(&gm) - 1.0)
    );
    println!(
        "MG NRMSE: best adaptive {best_ae:.4} vs best global {:.4} ({:+.0} % error), vs median global {:.4} ({:+.0} %)",
        min(&ge),
        100.0 * (best_ae / min(&ge) - 1.0),
        median(&ge),
        100.0 * (best_ae / median(&ge) - 1.0)
    );
}

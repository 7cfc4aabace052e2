//! Self-adapting E/I balance against globally tuned balance (Srinivasan, Plenz & Girvan 2025,
//! arXiv 2504.12480), in the configuration of the third-party reading of the paper (see
//! docs/reservoir.md, "E/I balance and the self-adapting rule").
//!
//! Reservoir (the paper's Eq. 1 with `λ = 0`): `V(t+1) = (A^E − A^I) r(t) + W_in u(t)`,
//! `r = σ(c (V − θ))`, `c = 10`, `θ = 0` — glia `rate` units (sigmoid, leak 1) with weights
//! `c A`, bias `−c θ` and input weights `c W_in`. `N` neurons, 80 % excitatory; every neuron
//! has `k = 50` distinct excitatory and `k = 50` distinct inhibitory sources, weights
//! `N(μ, (0.2 μ_E)²)` clipped at 0 with `μ_E = 1/(k f_E)`, `μ_I = (f_E/f_I) μ_E` (the total
//! inhibitory weight is then `β₀ = 4` times the excitatory). Input to 30 % of the neurons
//! (each independently), weights uniform in `[−σ_in/2, σ_in/2]`.
//!
//! * **global**: the E/I balance β (total inhibitory / total excitatory weight, `ei_balance`)
//!   swept over a grid — a global scale of all inhibitory weights, the same for every neuron;
//! * **adaptive** (the same networks, at the drawn β₀ = 4): the local rule `A^I_ij += δ (r_i −
//!   ρ_i)` for 1000 steps at δ = 0.01 then 1000 at δ = 0.001 on the task input, then frozen (glia's weights are `c A`: its δ is 0.1 then 0.01);
//!   homogeneous targets ρ and heterogeneous `ρ_i ~ Beta(2, 2)`;
//! * **one-step design** (Eq. 8): `Ω_i` per neuron from the mean-field fixed point, Beta(2, 2)
//!   targets, without and with the adaptation afterwards.
//!
//! Tasks: linear memory capacity (delays 1..=100, input uniform in [−1, 1]) and Mackey–Glass
//! (τ = 17, sampled every time unit, mapped to about [−1, 1]) prediction 1 and 10 steps ahead
//! (NRMSE). Ridge readouts with α chosen by 5-fold CV on the training samples. Every
//! reservoir runs 2000 samples (adaptation or plain driving), then 200 washout, 2800
//! training and 2000 test samples.
//!
//! `cargo run --release -p glia-reservoir --example ei_adaptive -- [N] [seeds] [σ_in] [ρ]`
//! (defaults 500, 5, 0.5, 0.5). Prints per-seed results and the summary: mean ± s.d. over
//! seeds of each score and of the improvement of each adaptive variant over the best and
//! the median globally tuned reservoir of the same seed.

use faer::Mat;
use glia_reservoir::adapt::{EiAdapt, Phase, Targets};
use glia_reservoir::esn::{Esn, InputDist, InputLink, draw_input_weights, set_ei_balance};
use glia_reservoir::metrics::{nrmse, r2};
use glia_reservoir::readout::{Ridge, ridge_cv};
use glia_reservoir::tasks::{MackeyGlass, uniform};

const C: f64 = 10.0;
const K: usize = 50;
const F_IN: f64 = 0.3;
const ADAPT: usize = 2000;
const WASH: usize = 200;
const TRAIN: usize = 3000;
const TEST: usize = 2000;
const KMAX: usize = 100;
const BETAS: [f64; 9] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0];
/// The paper's δ = 0.01 then 0.001 act on `A`; glia's weights are `c A`, so glia's δ is `c`
/// times the paper's.
const SCHEDULE: [Phase; 2] = [
    Phase {
        steps: 1000,
        delta: C * 0.01,
    },
    Phase {
        steps: 1000,
        delta: C * 0.001,
    },
];

fn model(n: usize, seed: u64) -> glia_spec::Model {
    let (ne, ni) = (n * 4 / 5, n - n * 4 / 5);
    let (fe, fi) = (ne as f64 / n as f64, ni as f64 / n as f64);
    let mu_e = 1.0 / (K as f64 * fe);
    let mu_i = fe / fi * mu_e;
    let sd = 0.2 * mu_e;
    let proj = |s: &str, t: &str, mean: f64, clip: &str| {
        format!(
            r#"
[[projections]]
source = "{s}"
target = "{t}"
port = "in"
connect = {{ rule = "fixed_indegree", indegree = {K}, allow_multapses = false }}
weight = {{ dist = "normal", mean = {mean}, std = {std}, {clip} = 0.0 }}
"#,
            std = C * sd
        )
    };
    let text = format!(
        r#"
[simulation]
dt = 1.0
duration = 1.0
seed = {seed}
threads = 1
[[populations]]
name = "E"
size = {ne}
model = "rate"
params = {{ activation = "sigmoid", dale = "excitatory", leak = 1.0, bias = 0.0 }}
[[populations]]
name = "I"
size = {ni}
model = "rate"
params = {{ activation = "sigmoid", dale = "inhibitory", leak = 1.0, bias = 0.0 }}
{}{}{}{}"#,
        proj("E", "E", C * mu_e, "min"),
        proj("E", "I", C * mu_e, "min"),
        proj("I", "E", -C * mu_i, "max"),
        proj("I", "I", -C * mu_i, "max"),
    );
    glia_spec::parse(&text, std::path::Path::new("."), &Default::default()).unwrap()
}

#[derive(Clone, Copy)]
enum Mode {
    Global(f64),
    Adapt {
        hetero: bool,
        one_step: bool,
        schedule: bool,
    },
}

/// Scores of one reservoir: MC, MG NRMSE 1 and 10 steps ahead, mean |r̄_i − ρ_i| after
/// adaptation (NaN for global).
struct Scores {
    mc: f64,
    mg1: f64,
    mg10: f64,
    rate_err: f64,
}

fn fit_predict(xtr: faer::MatRef<'_, f64>, y: &Mat<f64>, xte: faer::MatRef<'_, f64>) -> Mat<f64> {
    let alphas = [1e-8, 1e-6, 1e-4, 1e-2, 1.0];
    let cv = ridge_cv(xtr, y.as_ref(), &alphas, 5).unwrap();
    Ridge::fit(xtr, y.as_ref(), cv.alpha).unwrap().predict(xte)
}

fn evaluate(n: usize, seed: u64, sigma_in: f64, rho_h: f64, mode: Mode) -> Scores {
    let mut s = Scores {
        mc: 0.0,
        mg1: 0.0,
        mg10: 0.0,
        rate_err: f64::NAN,
    };
    let total = ADAPT + TRAIN + TEST + 10;
    for task in 0..2 {
        let mut net = glia_sim::build::build(&model(n, seed)).unwrap();
        if let Mode::Global(b) = mode {
            set_ei_balance(&mut net, &[0, 1], b).unwrap();
        }
        let links = (0..2)
            .map(|p| InputLink {
                pop: p,
                port: 0,
                weights: draw_input_weights(
                    seed,
                    p as u32,
                    net.pops[p].size,
                    1,
                    C * sigma_in / 2.0,
                    F_IN,
                    InputDist::Uniform,
                ),
            })
            .collect();
        let mut esn = Esn::new(net, links, vec![(0, 0), (1, 0)], 1).unwrap();
        let u: Vec<f64> = if task == 0 {
            uniform(seed, 1, total, -1.0, 1.0)
        } else {
            // A different stretch of the attractor for every seed.
            let skip = 500 + 97 * seed as usize;
            let mg = MackeyGlass::default().generate(total + skip).unwrap();
            mg[skip..].iter().map(|x| (x - 0.8) / 0.6).collect()
        };
        let mut x = vec![0.0; esn.n_features()];
        let mut rho = Vec::new();
        match mode {
            Mode::Global(_) => {
                for t in 0..ADAPT {
                    esn.step(&u[t..t + 1], &mut x);
                }
            }
            Mode::Adapt {
                hetero,
                one_step,
                schedule,
            } => {
                let targets = if hetero {
                    Targets::Beta { a: 2.0, b: 2.0 }
                } else {
                    Targets::Homogeneous(rho_h)
                };
                let mut ad = EiAdapt::new(&esn.net, &[0, 1], 0.01, &targets, seed).unwrap();
                if one_step {
                    let mean = u[..ADAPT + TRAIN].iter().sum::<f64>() / (ADAPT + TRAIN) as f64;
                    ad.one_step_design(&mut esn, &[mean]).unwrap();
                }
                if schedule {
                    ad.adapt(&mut esn, &u, &SCHEDULE, &mut x);
                } else {
                    for t in 0..ADAPT {
                        esn.step(&u[t..t + 1], &mut x);
                    }
                }
                rho = ad.rho[0]
                    .iter()
                    .chain(&ad.rho[1])
                    .map(|&r| f64::from(r))
                    .collect();
            }
        }
        let feats = esn.run(&u[ADAPT..ADAPT + TRAIN + TEST]);
        let xtr = feats.subrows(WASH, TRAIN - WASH);
        let xte = feats.subrows(TRAIN, TEST);
        if task == 0 {
            if !rho.is_empty() {
                // Mean activity of each neuron over training and test, against its target.
                let m = feats.nrows() as f64;
                s.rate_err = (0..feats.ncols())
                    .map(|i| (feats.col(i).iter().sum::<f64>() / m - rho[i]).abs())
                    .sum::<f64>()
                    / feats.ncols() as f64;
            }
            let y = Mat::from_fn(TRAIN - WASH, KMAX, |i, k| u[ADAPT + WASH + i - k - 1]);
            let p = fit_predict(xtr, &y, xte);
            s.mc = (0..KMAX)
                .map(|k| {
                    let t: Vec<f64> = (0..TEST).map(|i| u[ADAPT + TRAIN + i - k - 1]).collect();
                    let q: Vec<f64> = (0..TEST).map(|i| p[(i, k)]).collect();
                    r2(&t, &q)
                })
                .sum();
        } else {
            for (h, out) in [(1, &mut s.mg1), (10, &mut s.mg10)] {
                let y = Mat::from_fn(TRAIN - WASH, 1, |i, _| u[ADAPT + WASH + i + h]);
                let p = fit_predict(xtr, &y, xte);
                let t: Vec<f64> = (0..TEST).map(|i| u[ADAPT + TRAIN + i + h]).collect();
                let q: Vec<f64> = (0..TEST).map(|i| p[(i, 0)]).collect();
                *out = nrmse(&t, &q);
            }
        }
    }
    s
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len().max(2) - 1) as f64;
    (m, var.sqrt())
}

fn median(v: &[f64]) -> f64 {
    let mut w = v.to_vec();
    w.sort_by(f64::total_cmp);
    0.5 * (w[(w.len() - 1) / 2] + w[w.len() / 2])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let seeds: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let sigma_in: f64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(0.5);
    let rho_h: f64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(0.5);
    let variants: Vec<(String, Mode)> = vec![
        (
            format!("adaptive ρ = {rho_h}"),
            Mode::Adapt {
                hetero: false,
                one_step: false,
                schedule: true,
            },
        ),
        (
            "adaptive Beta(2,2)".into(),
            Mode::Adapt {
                hetero: true,
                one_step: false,
                schedule: true,
            },
        ),
        (
            "one-step Beta(2,2)".into(),
            Mode::Adapt {
                hetero: true,
                one_step: true,
                schedule: false,
            },
        ),
        (
            "one-step + adaptive Beta(2,2)".into(),
            Mode::Adapt {
                hetero: true,
                one_step: true,
                schedule: true,
            },
        ),
    ];
    println!(
        "N = {n}, seeds 1..={seeds}, σ_in = {sigma_in}, c = {C}, k = {K}, input fraction {F_IN}; \
         MC (delays 1..={KMAX}), Mackey-Glass NRMSE 1 and 10 steps ahead"
    );
    // Per seed: global scores per β, adaptive scores per variant.
    let mut glob: Vec<Vec<Scores>> = Vec::new();
    let mut adap: Vec<Vec<Scores>> = Vec::new();
    for seed in 1..=seeds {
        println!("seed {seed}");
        println!("| reservoir | MC | MG NRMSE h=1 | MG NRMSE h=10 | mean abs(r̄−ρ) |");
        println!("|---|---|---|---|---|");
        let mut g = Vec::new();
        for &b in &BETAS {
            let s = evaluate(n, seed, sigma_in, rho_h, Mode::Global(b));
            println!(
                "| global β = {b} | {:.2} | {:.4} | {:.4} | — |",
                s.mc, s.mg1, s.mg10
            );
            g.push(s);
        }
        let mut a = Vec::new();
        for (name, m) in &variants {
            let s = evaluate(n, seed, sigma_in, rho_h, *m);
            println!(
                "| {name} | {:.2} | {:.4} | {:.4} | {:.3} |",
                s.mc, s.mg1, s.mg10, s.rate_err
            );
            a.push(s);
        }
        glob.push(g);
        adap.push(a);
    }
    // Summary. Improvement: MC ratio − 1; for NRMSE, error ratio global/adaptive − 1 (> 0 is
    // better).
    type Get = fn(&Scores) -> f64;
    let metrics: [(&str, Get, bool); 3] = [
        ("MC", |s| s.mc, true),
        ("MG NRMSE h=1", |s| s.mg1, false),
        ("MG NRMSE h=10", |s| s.mg10, false),
    ];
    println!(
        "\nSummary over {seeds} seeds (mean ± s.d.); improvement of each adaptive variant over the best / the median global β of the same seed"
    );
    for (name, get, higher) in metrics {
        let best = |v: &[f64]| {
            if higher {
                v.iter().copied().fold(f64::MIN, f64::max)
            } else {
                v.iter().copied().fold(f64::MAX, f64::min)
            }
        };
        let gb: Vec<f64> = glob
            .iter()
            .map(|g| best(&g.iter().map(get).collect::<Vec<_>>()))
            .collect();
        let gm: Vec<f64> = glob
            .iter()
            .map(|g| median(&g.iter().map(get).collect::<Vec<_>>()))
            .collect();
        let (bm, bs) = mean_sd(&gb);
        let (mm, ms) = mean_sd(&gm);
        println!("\n{name}: global best {bm:.4} ± {bs:.4}, global median {mm:.4} ± {ms:.4}");
        for (bi, b) in BETAS.iter().enumerate() {
            let v: Vec<f64> = glob.iter().map(|g| get(&g[bi])).collect();
            let (m, s) = mean_sd(&v);
            println!("  global β = {b}: {m:.4} ± {s:.4}");
        }
        let imp = |a: f64, g: f64| {
            if higher {
                100.0 * (a / g - 1.0)
            } else {
                100.0 * (g / a - 1.0)
            }
        };
        for (vi, (vname, _)) in variants.iter().enumerate() {
            let v: Vec<f64> = adap.iter().map(|a| get(&a[vi])).collect();
            let ib: Vec<f64> = v.iter().zip(&gb).map(|(&a, &g)| imp(a, g)).collect();
            let im: Vec<f64> = v.iter().zip(&gm).map(|(&a, &g)| imp(a, g)).collect();
            let (m, s) = mean_sd(&v);
            let (ibm, ibs) = mean_sd(&ib);
            let (imm, ims) = mean_sd(&im);
            println!(
                "  {vname}: {m:.4} ± {s:.4}; vs best global {ibm:+.0} ± {ibs:.0} %, vs median global {imm:+.0} ± {ims:.0} %"
            );
        }
    }
    let re: Vec<f64> = adap
        .iter()
        .flat_map(|a| a.iter().map(|s| s.rate_err))
        .collect();
    println!(
        "\nmean abs(r̄_i − ρ_i) over adaptive reservoirs (MC input): min {:.3}, max {:.3}",
        re.iter().copied().fold(f64::MAX, f64::min),
        re.iter().copied().fold(f64::MIN, f64::max)
    );
}

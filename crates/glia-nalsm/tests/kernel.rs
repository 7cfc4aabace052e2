//! The per-sample kernel against (1) a direct transliteration of the authors' algorithm
//! (dense per-synapse kernel ages, f64, no incremental currents), (2) hand-computed values,
//! (3) the closed form of the astrocyte recursion; and determinism across thread counts.

use glia_core::{CounterRng, Purpose};
use glia_nalsm::Config;
use glia_nalsm::kernel::{InputStream, Learn, Params, Sim};
use glia_nalsm::liquid::{EXC, INH, INP, Liquid};
use rand_core::RngCore;

fn cfg(extra: &str) -> Config {
    Config::from_toml(&format!("mode = \"nalsm\"\nseed = 7\n{extra}"), "test.toml").unwrap()
}

/// The authors' step, one synapse at a time, in f64.
#[allow(clippy::too_many_arguments)]
fn reference(
    c: &Config,
    liq: &Liquid,
    w: &mut [f64],
    active: &[(u32, f32)],
    stream: InputStream,
    steps: u32,
    counts: &mut [u32],
    spikes: &mut Vec<(u32, u32)>,
) -> (f64, f64) {
    let (n, total) = (liq.n, liq.n + liq.n_in);
    let l = &c.liquid;
    let pl = &c.plasticity;
    let mut v = vec![0.0f64; total];
    let mut refr = vec![0i64; total];
    let mut x = vec![0.0f64; total];
    let mut tss = vec![f64::INFINITY; liq.synapses()];
    let pre_of: Vec<usize> = (0..liq.synapses())
        .map(|s| {
            (0..total)
                .find(|&j| (liq.row_ptr[j + 1] as usize) > s)
                .unwrap()
        })
        .collect();
    let (mut ap, mut a, mut aw, mut ab) = (pl.a_plus, pl.a_plus, pl.astro_w, pl.a_plus);
    let td = (-1.0 / pl.trace_tau).exp();
    let is_active = |g: usize| g < n || active.iter().any(|&(m, _)| n + m as usize == g);
    for t in 0..steps {
        let s_: Vec<bool> = (0..total)
            .map(|g| is_active(g) && refr[g] <= 0 && v[g] >= l.threshold)
            .collect();
        for g in 0..total {
            if s_[g] {
                v[g] = 0.0;
                if g < n {
                    counts[g] += 1;
                    spikes.push((t, g as u32));
                }
            }
        }
        for s in 0..liq.synapses() {
            if s_[pre_of[s]] {
                tss[s] = 0.0;
            }
        }
        let mut cur = vec![0.0f64; n];
        for s in 0..liq.synapses() {
            let i = liq.post[s] as usize;
            let tau = l.tau_u[usize::from(liq.tau_idx[i])];
            if tss[s] <= 100.0 {
                cur[i] += w[s] * (-tss[s] / tau).exp() / tau;
            }
        }
        for i in 0..n {
            v[i] = v[i] + cur[i] + l.bias - v[i] / l.tau_v;
        }
        let mut rng = CounterRng::new(stream.seed, stream.purpose, stream.id, 0, u64::from(t));
        for &(m, p) in active {
            let g = n + m as usize;
            let u = (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0);
            let kick = if u < p { c.input.current } else { 0.0 };
            v[g] = v[g] + kick + l.bias - v[g] / l.tau_v;
        }
        for t in &mut tss {
            *t += 1.0;
        }
        for g in 0..total {
            refr[g] = if s_[g] {
                i64::from(l.refractory)
            } else {
                refr[g] - 1
            };
        }
        let am = a;
        for s in 0..liq.synapses() {
            let (j, i) = (pre_of[s], liq.post[s] as usize);
            let inh = liq.class[j] == INH;
            let lr_post = if inh { -am } else { ap };
            let lr_pre = if inh { ap } else { -am };
            let d = lr_post * x[j] * f64::from(u8::from(s_[i]))
                + lr_pre * x[i] * f64::from(u8::from(s_[j]));
            let (lo, hi) = liq.bounds[usize::from(liq.class[j])];
            w[s] = (w[s] + d).clamp(f64::from(lo), f64::from(hi));
        }
        for g in 0..total {
            x[g] = td * (x[g] + pl.trace_jump * f64::from(u8::from(s_[g])));
        }
        let nl = s_[..n].iter().filter(|&&b| b).count() as f64;
        let ni = s_[n..].iter().filter(|&&b| b).count() as f64;
        a += (aw * (nl - ni) + ab - a) / pl.astro_tau;
        ap *= pl.decay;
        a *= pl.decay;
        aw *= pl.decay;
        ab *= pl.decay;
    }
    (a, ap)
}

#[test]
fn kernel_matches_the_authors_algorithm_step_by_step() {
    let c = cfg("[liquid]\ngrid = [4, 4, 4]\nw_init = 3.0\n[input]\np_connect = 0.5");
    let n_in = 30;
    let liq = Liquid::build(&c, n_in);
    let p = Params::new(&c);
    let mut rng = CounterRng::new(3, Purpose::Other, 0, 0, 0);
    let active: Vec<(u32, f32)> = (0..n_in as u32)
        .filter(|m| m % 4 != 3)
        .map(|m| (m, 0.1 + 0.8 * rng.uniform() as f32))
        .collect();
    let stream = InputStream {
        seed: 11,
        purpose: Purpose::PoissonSource,
        id: 5,
    };
    let steps = 150;
    let mut w = liq.w0.clone();
    let mut counts = vec![0u32; liq.n];
    let mut rec = Vec::new();
    let mut sim = Sim::new(&liq, &p);
    let lr = sim.run(
        &liq,
        &p,
        &mut w,
        &active,
        stream,
        steps,
        true,
        &mut counts,
        Some(&mut rec),
    );
    let mut wr: Vec<f64> = liq.w0.iter().map(|&x| f64::from(x)).collect();
    let mut cr = vec![0u32; liq.n];
    let mut recr = Vec::new();
    let (a, ap) = reference(
        &c, &liq, &mut wr, &active, stream, steps, &mut cr, &mut recr,
    );
    assert!(
        rec.len() > 200,
        "the liquid must be active: {} spikes",
        rec.len()
    );
    assert_eq!(rec, recr, "spike trains differ");
    assert_eq!(counts, cr);
    let changed = w.iter().zip(&liq.w0).filter(|(a, b)| a != b).count();
    assert!(
        changed > 100,
        "plasticity must act: {changed} weights changed"
    );
    for (s, (&k, &r)) in w.iter().zip(&wr).enumerate() {
        assert!((f64::from(k) - r).abs() < 1e-4, "synapse {s}: {k} vs {r}");
    }
    assert!((f64::from(lr.a) - a).abs() < 1e-5, "{} vs {a}", lr.a);
    assert!((f64::from(lr.a_plus) - ap).abs() < 1e-6);
    // Running again from the same state gives the same result (the kernel resets itself).
    let mut w2 = liq.w0.clone();
    let mut c2 = vec![0u32; liq.n];
    sim.run(
        &liq, &p, &mut w2, &active, stream, steps, true, &mut c2, None,
    );
    assert_eq!(w2, w);
    assert_eq!(c2, counts);
}

/// One input neuron (firing probability 1) → one excitatory liquid neuron, weight 20,
/// τ_u = 1 ms: every value below is computed by hand from the step rules.
#[test]
fn hand_computed_single_synapse() {
    let c = cfg("[liquid]\ngrid = [1, 1, 1]\ntau_u = [1.0]\nw_init = 20.0\nw_max = 40.0");
    let liq = Liquid {
        n: 1,
        n_in: 1,
        class: vec![EXC, INP],
        tau_idx: vec![0],
        tau_u: vec![1.0],
        row_ptr: vec![0, 0, 1],
        post: vec![0],
        w0: vec![20.0],
        col_ptr: vec![0, 1],
        col_pre: vec![1],
        col_syn: vec![0],
        bounds: [(0.0, 40.0), (-40.0, 0.0), (-40.0, 40.0)],
    };
    let p = Params::new(&c);
    let stream = InputStream {
        seed: 1,
        purpose: Purpose::PoissonSource,
        id: 0,
    };
    let d = (-0.1f64).exp(); // trace decay
    let mut sim = Sim::new(&liq, &p);
    // t = 0: nothing spikes; the input neuron is kicked to 100.
    // t = 1: the input spikes (x_in = 0.1 d after the step); the liquid neuron receives
    //        w κ(0) = 20 → v = 20. STDP: pre spike with x_post = 0 → no change.
    // t = 2: the liquid neuron spikes (v = 20 ≥ 20); the input is refractory. Potentiation
    //        Δw = A₊(t=2) · x_in(before update) = 0.15 γ² · 0.1 d.
    let mut w = liq.w0.clone();
    let mut counts = vec![0u32];
    let mut rec = Vec::new();
    sim.run(
        &liq,
        &p,
        &mut w,
        &[(0, 1.0)],
        stream,
        3,
        true,
        &mut counts,
        Some(&mut rec),
    );
    assert_eq!(rec, vec![(2, 0)]);
    let gamma = 0.99f64;
    let expect = 20.0 + 0.15 * gamma * gamma * 0.1 * d;
    assert!(
        (f64::from(w[0]) - expect).abs() < 1e-6,
        "{} vs {expect}",
        w[0]
    );
    // t = 3: the input is still refractory (counter 2 at t = 1, 1 at t = 2, 0 after t = 3).
    // t = 4: it spikes again (v = 100 (1 − 1/64) + 100 ≥ 20) while the liquid neuron is below
    //        threshold: depression Δw = −A(t=4) · x_post = −A · 0.1 d², with A from the
    //        astrocyte recursion (A₀ = b = 0.15, τ = 100, w_astro = 0.015; liquid − input
    //        spike differences 0, −1, +1, 0 at t = 0..3).
    let mut w = liq.w0.clone();
    let mut counts = vec![0u32];
    let mut rec = Vec::new();
    sim.run(
        &liq,
        &p,
        &mut w,
        &[(0, 1.0)],
        stream,
        5,
        true,
        &mut counts,
        Some(&mut rec),
    );
    assert_eq!(rec, vec![(2, 0)]);
    let mut a = 0.15f64;
    let (mut aw, mut ab) = (0.015f64, 0.15f64);
    for diff in [0.0, -1.0, 1.0, 0.0] {
        a += (aw * diff + ab - a) / 100.0;
        a *= gamma;
        aw *= gamma;
        ab *= gamma;
    }
    let expect = expect - a * 0.1 * d * d;
    assert!(
        (f64::from(w[0]) - expect).abs() < 1e-6,
        "{} vs {expect}",
        w[0]
    );
}

#[test]
fn astrocyte_recursion_has_its_closed_form() {
    // With a constant spike difference Δ: w_t Δ + b_t = c γ^t, c = w₀Δ + b₀, and
    // A_t = γ^t (c + (A₀ − c)(1 − 1/τ)^t).
    let (tau, gamma) = (100.0f64, 0.99f64);
    for (delta, a0) in [(7i64, 0.15f64), (-3, 0.4), (0, 0.0)] {
        let mut l = Learn {
            a_plus: 0.15,
            a: a0 as f32,
            astro_w: 0.015,
            astro_b: 0.15,
            decay: gamma as f32,
        };
        let c = 0.015 * delta as f64 + 0.15;
        for t in 1..=250 {
            let (liq, inp) = if delta >= 0 {
                (delta as usize, 0)
            } else {
                (0, (-delta) as usize)
            };
            l.step(liq + 5, inp + 5, (1.0 / tau) as f32);
            let exact = gamma.powi(t) * (c + (a0 - c) * (1.0 - 1.0 / tau).powi(t));
            assert!(
                (f64::from(l.a) - exact).abs() < 2e-6,
                "Δ = {delta}, t = {t}: {} vs {exact}",
                l.a
            );
            assert!((f64::from(l.a_plus) - 0.15 * gamma.powi(t)).abs() < 1e-6);
        }
    }
}

#[test]
fn features_are_identical_for_any_thread_count() {
    use glia_nalsm::protocol::{Silent, sample_counts};
    let c = cfg(
        "[liquid]\ngrid = [5, 5, 5]\nw_init = 3.0\n[protocol]\nsample_ms = 60\ntrain = 2\nval = 1\ntest = 1\n[branching]\nsamples = 0",
    );
    let n_in = 64;
    let liq = Liquid::build(&c, n_in);
    let p = Params::new(&c);
    let images: Vec<Vec<(u32, f32)>> = (0..12)
        .map(|k| {
            let mut r = CounterRng::new(9, Purpose::Other, 1, k, 0);
            let mut img = Vec::new();
            for m in 0..n_in as u32 {
                if r.uniform() < 0.5 {
                    img.push((m, r.uniform() as f32));
                }
            }
            img
        })
        .collect();
    let ids: Vec<u32> = (100..112).collect();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| sample_counts(&c, &liq, &p, &liq.w0, &images, &ids, 3, &Silent))
    };
    let (a, ra) = run(1);
    let (b, rb) = run(2);
    let (d, rd) = run(3);
    assert!(a.iter().map(|&x| u64::from(x)).sum::<u64>() > 100);
    assert_eq!(a, b);
    assert_eq!(a, d);
    assert_eq!(ra, rb);
    assert_eq!(ra, rd);
    assert_eq!(ra.len(), 3);
    // Different images give different features.
    assert_ne!(a[..125], a[125..250]);
}

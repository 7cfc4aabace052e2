//! The per-sample simulation kernel: one liquid, one image, `steps` Euler steps of 1 ms.
//!
//! State is struct-of-arrays over the `n + n_in` neurons (liquid first, then inputs); weights
//! are one `f32` slice in CSR order; nothing is allocated per step. One step, in the order of
//! the authors' code (TensorFlow ops of `NALSM_CONSTRUCTOR_*`):
//!
//! 1. spikes `S_i = [v_i ≥ θ and r_i = 0]`; spiking neurons reset `v_i ← 0`;
//! 2. the kernel of each spiking presynaptic neuron restarts: the synaptic current of liquid
//!    neuron `i` is `I_i = Σ_j w_ij κ_i(t − t_j)`, `κ(a) = exp(−a/τ_u)/τ_u`, with `t_j` the
//!    *last* spike of `j` (a new spike replaces the old one, it does not add to it);
//! 3. `v_i ← v_i + I_i + b − v_i/τ_v` (liquid); `v_m ← v_m + 100·B_m − v_m/τ_v` (inputs,
//!    `B_m ~ Bernoulli(p_m)` each ms, `p_m` the normalised pixel);
//! 4. refractory counters: `r ← t_ref` on a spike, else `max(r − 1, 0)`;
//! 5. STDP with the traces *before* their update: for an excitatory or input presynapse
//!    `Δw = A₊ x_j S_i − A₋ x_i S_j`, for an inhibitory one `Δw = −A₋ x_j S_i + A₊ x_i S_j`;
//!    `w` clipped to its class's bounds; `A₋ = A` (astrocyte) in `nalsm` mode, `A₊` in `stdp`;
//! 6. traces `x ← d (x + jump·S)`, `d = exp(−1/τ_trace)`;
//! 7. astrocyte `A ← A + (w_astro (Σ_liquid S − Σ_input S) + b_astro − A)/τ_astro`;
//! 8. during a sample (not during initialisation) `A₊, A, w_astro, b_astro` decay by `γ`.
//!
//! `I_i` is kept incrementally and exactly: it decays by `exp(−1/τ_u)` per step, a spike of `j`
//! adds `w_ij (κ(0) − κ(age_j))`, and a weight change `Δ` adds `Δ κ(age_j)`. Kernel ages
//! beyond 100 ms count as 0 (the authors clip the age at 100 ms: a difference below
//! `exp(−50)`).

use crate::config::{Config, Mode};
use crate::liquid::{INH, Liquid};
use glia_core::{CounterRng, Purpose};
use rand_core::RngCore;

const KMAX: usize = 100;
const NEVER: i32 = i32::MIN / 2;

/// Derived constants of the neuron, synapse, trace and astrocyte models.
#[derive(Clone, Debug)]
pub struct Params {
    leak: f32,
    theta: f32,
    refractory: u8,
    bias: f32,
    input_current: f32,
    /// `ktab[k][a] = exp(−a/τ_k)/τ_k` for `a ≤ KMAX`, 0 at `KMAX + 1`.
    ktab: Vec<[f32; KMAX + 2]>,
    dsyn: Vec<f32>,
    trace_decay: f32,
    trace_jump: f32,
    astro_inv_tau: f32,
    /// Initial learning state of a sample.
    pub learn0: Learn,
    /// `None` in `lsm` mode.
    pub plastic: Option<bool>,
}

/// Learning rates and astrocyte state (scalars).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Learn {
    /// Potentiation rate A₊.
    pub a_plus: f32,
    /// Astrocyte state A.
    pub a: f32,
    /// Astrocyte weight.
    pub astro_w: f32,
    /// Astrocyte bias.
    pub astro_b: f32,
    /// Per-step decay γ (1 during initialisation).
    pub decay: f32,
}

impl Learn {
    /// One millisecond of the astrocyte and the decays, after `liquid` liquid and `input`
    /// input spikes: `A ← A + (w_astro (liquid − input) + b_astro − A)·inv_tau`, then
    /// `A₊, A, w_astro, b_astro` times `decay`.
    #[inline]
    pub fn step(&mut self, liquid: usize, input: usize, inv_tau: f32) {
        self.a += (self.astro_w * (liquid as f32 - input as f32) + self.astro_b - self.a) * inv_tau;
        self.a_plus *= self.decay;
        self.a *= self.decay;
        self.astro_w *= self.decay;
        self.astro_b *= self.decay;
    }
}

impl Params {
    /// Constants of `cfg`.
    pub fn new(cfg: &Config) -> Self {
        let l = &cfg.liquid;
        let p = &cfg.plasticity;
        let ktab = l
            .tau_u
            .iter()
            .map(|&tau| {
                let mut t = [0f32; KMAX + 2];
                for (a, v) in t.iter_mut().enumerate().take(KMAX + 1) {
                    *v = ((-(a as f64) / tau).exp() / tau) as f32;
                }
                t
            })
            .collect();
        Self {
            leak: (1.0 - 1.0 / l.tau_v) as f32,
            theta: l.threshold as f32,
            refractory: l.refractory.min(255) as u8,
            bias: l.bias as f32,
            input_current: cfg.input.current as f32,
            ktab,
            dsyn: l.tau_u.iter().map(|&t| (-1.0 / t).exp() as f32).collect(),
            trace_decay: (-1.0 / p.trace_tau).exp() as f32,
            trace_jump: p.trace_jump as f32,
            astro_inv_tau: (1.0 / p.astro_tau) as f32,
            learn0: Learn {
                a_plus: p.a_plus as f32,
                a: p.a_plus as f32,
                astro_w: p.astro_w as f32,
                astro_b: p.a_plus as f32,
                decay: p.decay as f32,
            },
            plastic: match cfg.mode {
                Mode::Nalsm => Some(true),
                Mode::Stdp => Some(false),
                Mode::Lsm => None,
            },
        }
    }
}

/// Where a sample's input spikes come from: the Bernoulli draw of step `t` for the `k`-th
/// active pixel is word `k` of the counter stream `(seed, purpose, id, 0, t)`.
#[derive(Clone, Copy, Debug)]
pub struct InputStream {
    /// Model seed.
    pub seed: u64,
    /// `PoissonSource` for samples, `PoissonDrive` for initialisation samples.
    pub purpose: Purpose,
    /// Sample number (< 2²⁴).
    pub id: u32,
}

/// Scratch state of one simulation (one per thread), reused across samples.
#[derive(Clone, Debug)]
pub struct Sim {
    v: Vec<f32>,
    isyn: Vec<f32>,
    dsyn_n: Vec<f32>,
    x: Vec<f32>,
    refr: Vec<u8>,
    last: Vec<i32>,
    spiked: Vec<bool>,
    spikes: Vec<u32>,
}

impl Sim {
    /// Scratch for `liq`.
    pub fn new(liq: &Liquid, p: &Params) -> Self {
        let total = liq.n + liq.n_in;
        Self {
            v: vec![0.0; total],
            isyn: vec![0.0; liq.n],
            dsyn_n: liq
                .tau_idx
                .iter()
                .map(|&k| p.dsyn[usize::from(k)])
                .collect(),
            x: vec![0.0; total],
            refr: vec![0; total],
            last: vec![NEVER; total],
            spiked: vec![false; total],
            spikes: Vec::with_capacity(total),
        }
    }

    /// Simulate one presentation of an image from the reset state (v, currents, refractory
    /// counters, traces and kernel ages zeroed; learning state `p.learn0` with decay
    /// `decay`), changing `w` in place when the mode is plastic. `active` lists the input
    /// neurons with a non-zero firing probability and that probability, in a fixed order.
    /// Liquid spike counts are added to `counts`; with `record`, liquid spikes are pushed as
    /// `(step, neuron)`.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        liq: &Liquid,
        p: &Params,
        w: &mut [f32],
        active: &[(u32, f32)],
        stream: InputStream,
        steps: u32,
        decay: bool,
        counts: &mut [u32],
        mut record: Option<&mut Vec<(u32, u32)>>,
    ) -> Learn {
        let n = liq.n;
        debug_assert_eq!(w.len(), liq.synapses());
        debug_assert_eq!(counts.len(), n);
        self.v.fill(0.0);
        self.isyn.fill(0.0);
        self.x.fill(0.0);
        self.refr.fill(0);
        self.last.fill(NEVER);
        let mut lr = p.learn0;
        if !decay {
            lr.decay = 1.0;
        }
        let (post, row_ptr) = (&liq.post[..], &liq.row_ptr[..]);
        let tau_idx = &liq.tau_idx[..];
        let age_idx = |t: i32, last: i32| -> usize { ((t - last) as u32 as usize).min(KMAX + 1) };
        for t in 0..steps as i32 {
            // 1. spikes and reset.
            self.spikes.clear();
            for i in 0..n {
                if self.refr[i] == 0 && self.v[i] >= p.theta {
                    self.spikes.push(i as u32);
                }
            }
            let n_liq = self.spikes.len();
            for &(m, _) in active {
                let g = n + m as usize;
                if self.refr[g] == 0 && self.v[g] >= p.theta {
                    self.spikes.push(g as u32);
                }
            }
            for &g in &self.spikes {
                self.v[g as usize] = 0.0;
                self.spiked[g as usize] = true;
            }
            for &i in &self.spikes[..n_liq] {
                counts[i as usize] += 1;
                if let Some(r) = record.as_deref_mut() {
                    r.push((t as u32, i));
                }
            }
            // 2. kernel restarts.
            for &j in &self.spikes {
                let j = j as usize;
                let a = age_idx(t, self.last[j]);
                for s in row_ptr[j] as usize..row_ptr[j + 1] as usize {
                    let i = post[s] as usize;
                    let k = &p.ktab[usize::from(tau_idx[i])];
                    self.isyn[i] += w[s] * (k[0] - k[a]);
                }
                self.last[j] = t;
            }
            // 3. membranes.
            for i in 0..n {
                self.v[i] = self.v[i] * p.leak + self.isyn[i] + p.bias;
            }
            let mut rng = CounterRng::new(stream.seed, stream.purpose, stream.id, 0, t as u64);
            for &(m, prob) in active {
                let g = n + m as usize;
                let u = (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0);
                let kick = if u < prob { p.input_current } else { 0.0 };
                self.v[g] = self.v[g] * p.leak + kick + p.bias;
            }
            for i in 0..n {
                self.isyn[i] *= self.dsyn_n[i];
            }
            // 4. refractory counters.
            for r in &mut self.refr[..n] {
                *r = r.saturating_sub(1);
            }
            for &(m, _) in active {
                let r = &mut self.refr[n + m as usize];
                *r = r.saturating_sub(1);
            }
            for &g in &self.spikes {
                self.refr[g as usize] = p.refractory;
            }
            // 5. STDP.
            if let Some(astro) = p.plastic
                && !self.spikes.is_empty()
            {
                let am = if astro { lr.a } else { lr.a_plus };
                let ap = lr.a_plus;
                let x = &self.x;
                let spiked = &self.spiked;
                let last = &self.last;
                let isyn = &mut self.isyn;
                let mut apply = |s: usize, i: usize, j: usize, d: f32| {
                    let (lo, hi) = liq.bounds[usize::from(liq.class[j])];
                    let old = w[s];
                    let new = (old + d).clamp(lo, hi);
                    w[s] = new;
                    let k = &p.ktab[usize::from(tau_idx[i])];
                    isyn[i] += (new - old) * k[age_idx(t + 1, last[j])];
                };
                for &i in &self.spikes[..n_liq] {
                    let i = i as usize;
                    for e in liq.col_ptr[i] as usize..liq.col_ptr[i + 1] as usize {
                        let j = liq.col_pre[e] as usize;
                        if spiked[j] || x[j] == 0.0 {
                            continue;
                        }
                        let d = if liq.class[j] == INH {
                            -am * x[j]
                        } else {
                            ap * x[j]
                        };
                        apply(liq.col_syn[e] as usize, i, j, d);
                    }
                }
                for &j in &self.spikes {
                    let j = j as usize;
                    let inh = liq.class[j] == INH;
                    let first = row_ptr[j] as usize;
                    for (k, &i) in post[first..row_ptr[j + 1] as usize].iter().enumerate() {
                        let (s, i) = (first + k, i as usize);
                        let mut d = if inh { ap * x[i] } else { -am * x[i] };
                        if spiked[i] {
                            d += if inh { -am * x[j] } else { ap * x[j] };
                        }
                        if d != 0.0 {
                            apply(s, i, j, d);
                        }
                    }
                }
            }
            // 6. traces.
            for &g in &self.spikes {
                self.x[g as usize] += p.trace_jump;
            }
            for xi in &mut self.x[..n] {
                *xi *= p.trace_decay;
            }
            for &(m, _) in active {
                self.x[n + m as usize] *= p.trace_decay;
            }
            // 7. astrocyte, 8. decay.
            lr.step(n_liq, self.spikes.len() - n_liq, p.astro_inv_tau);
            for &g in &self.spikes {
                self.spiked[g as usize] = false;
            }
        }
        lr
    }
}

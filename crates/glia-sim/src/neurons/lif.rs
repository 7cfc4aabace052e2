//! Leaky integrate-and-fire neuron with exponential synapses, current- or conductance-based,
//! with any number of receptor ports.
//!
//! ```text
//! C_m dv/dt = −g_L (v − E_L) + Σ_current I_k + Σ_conductance g_k (E_k − v) + I_e + I_ext(t)
//! dI_k/dt = −I_k / τ_k          dg_k/dt = −g_k / τ_k          g_L = C_m / τ_m
//! v ≥ V_th  →  spike, v ← V_reset, v clamped at V_reset for t_ref
//! ```
//! A spike arriving at port `k` with weight `w` makes `I_k += w` [pA] or `g_k += w` [nS].
//!
//! **Integration.** With only current ports the system is linear with constant coefficients and
//! is integrated *exactly* (Rotter & Diesmann 1999):
//! `v ← E_L + (v − E_L)·P22 + Σ_k I_k·P21_k + (I_e + I_ext)·P20`, `I_k ← I_k·e^{−h/τ_k}`, with
//! `P22 = e^{−h/τ_m}`, `P20 = τ_m/C_m·(1 − P22)` and
//! `P21_k = τ_m τ_k /(C_m (τ_k − τ_m))·(e^{−h/τ_k} − e^{−h/τ_m})` (computed as
//! `P22·expm1(a h)/(a C_m)`, `a = 1/τ_m − 1/τ_k`, so `τ_k = τ_m` is handled).
//! With a conductance port the membrane equation is linear in `v` with time-varying
//! coefficients; each step uses exponential Euler with every synaptic variable replaced by its
//! exact average over the step, `x̄_k = x_k·τ_k/h·(1 − e^{−h/τ_k})`:
//! `G = g_L + Σ ḡ_k`, `v∞ = (g_L E_L + Σ ḡ_k E_k + Σ Ī_k + I_e + I_ext)/G`,
//! `v ← v∞ + (v − v∞)·exp(−h G / C_m)` (second order in h; see the convergence test).
//! Incoming spikes are added to `I_k`/`g_k` at the end of the step in which they arrive, as in
//! NEST's `iaf_psc_exp`/`iaf_cond_exp`. The threshold is checked after the update.
//!
//! | param | unit | default (NEST `iaf_psc_exp`) | meaning |
//! |---|---|---|---|
//! | `tau_m` | ms | 10 | membrane time constant (> 0) |
//! | `C_m` | pF | 250 | membrane capacitance (> 0) |
//! | `E_L` | mV | −70 | resting potential |
//! | `V_th` | mV | −55 | threshold (> `V_reset`) |
//! | `V_reset` | mV | −70 | reset potential |
//! | `t_ref` | ms | 2 | refractory period (≥ 0, rounded to whole steps) |
//! | `I_e` | pA | 0 | constant bias current |
//!
//! Default ports: `exc` and `inh`, both current-based with `tau_syn = 2 ms`.
//! State variables: `v` [mV], `I_<port>` [pA] or `g_<port>` [nS] per port.

use glia_core::fastmath;
use glia_spec::{ModelError, SynapseKind};
use serde::Deserialize;

/// Parameters, as in the model file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct LifParams {
    /// Membrane time constant [ms].
    #[serde(default = "d_tau_m")]
    pub tau_m: f64,
    /// Capacitance [pF].
    #[serde(default = "d_c_m")]
    pub C_m: f64,
    /// Resting potential [mV].
    #[serde(default = "d_e_l")]
    pub E_L: f64,
    /// Threshold [mV].
    #[serde(default = "d_v_th")]
    pub V_th: f64,
    /// Reset [mV].
    #[serde(default = "d_e_l")]
    pub V_reset: f64,
    /// Refractory period [ms].
    #[serde(default = "d_t_ref")]
    pub t_ref: f64,
    /// Bias current [pA].
    #[serde(default)]
    pub I_e: f64,
}

fn d_tau_m() -> f64 {
    10.0
}
fn d_c_m() -> f64 {
    250.0
}
fn d_e_l() -> f64 {
    -70.0
}
fn d_v_th() -> f64 {
    -55.0
}
fn d_t_ref() -> f64 {
    2.0
}

impl LifParams {
    /// Check ranges; `path` is the parameter table's path.
    pub fn check(&self, path: &str) -> Result<(), ModelError> {
        let bad = |f: &str, m: String| Err(ModelError::invalid(format!("{path}.{f}"), m));
        for (name, v) in [("tau_m", self.tau_m), ("C_m", self.C_m)] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(name, format!("must be > 0, got {v}"));
            }
        }
        for (name, v) in [("E_L", self.E_L), ("V_th", self.V_th), ("V_reset", self.V_reset), ("I_e", self.I_e)] {
            if !v.is_finite() {
                return bad(name, format!("must be finite, got {v}"));
            }
        }
        if !(self.t_ref >= 0.0 && self.t_ref.is_finite()) {
            return bad("t_ref", format!("must be ≥ 0, got {}", self.t_ref));
        }
        if self.V_reset >= self.V_th {
            return bad("V_reset", format!("must be below V_th ({}), got {}", self.V_th, self.V_reset));
        }
        Ok(())
    }
}

/// Per-port constants for one step `h`.
#[derive(Clone, Debug)]
pub struct PortDerived {
    /// `e^{−h/τ}`.
    pub decay: f64,
    /// Exact propagator to `v` (current-only mode) [mV/pA].
    pub p21: f64,
    /// `τ/h·(1 − e^{−h/τ})`: the step average of a decaying variable, per unit start value.
    pub avg: f64,
    /// Reversal potential (conductance ports).
    pub e_rev: Option<f64>,
}

/// A LIF population's parameters and propagators.
#[derive(Clone, Debug)]
pub struct Lif {
    /// Parameters.
    pub p: LifParams,
    /// Per port.
    pub ports: Vec<PortDerived>,
    /// `e^{−h/τ_m}`.
    pub p22: f64,
    /// `τ_m/C_m·(1 − P22)` [mV/pA].
    pub p20: f64,
    /// `g_L = C_m/τ_m` [nS].
    pub g_l: f64,
    /// `h / C_m` [ms/pF].
    pub h_over_c: f64,
    /// Refractory period in steps.
    pub ref_steps: u32,
    /// All ports are current-based: use the exact propagator.
    pub exact: bool,
}

/// State of one block of LIF neurons.
#[derive(Clone, Debug)]
pub struct LifState {
    /// Membrane potential [mV].
    pub v: Vec<f64>,
    /// Synaptic variable per port (`I` [pA] or `g` [nS]).
    pub syn: Vec<Vec<f64>>,
    /// Remaining refractory steps.
    pub refr: Vec<u32>,
    /// Scratch: new membrane potential.
    acc: Vec<f64>,
    /// Scratch: total conductance (conductance mode).
    gsum: Vec<f64>,
}

impl Lif {
    /// Derive propagators for step `h` [ms].
    pub fn new(p: LifParams, ports: &[(SynapseKind, f64)], h: f64) -> Self {
        let p22 = (-h / p.tau_m).exp();
        let derived = ports
            .iter()
            .map(|&(kind, tau)| {
                let a = 1.0 / p.tau_m - 1.0 / tau;
                let p21 = if a == 0.0 { h * p22 / p.C_m } else { p22 * (a * h).exp_m1() / (a * p.C_m) };
                PortDerived {
                    decay: (-h / tau).exp(),
                    p21,
                    avg: -tau / h * (-h / tau).exp_m1(),
                    e_rev: match kind {
                        SynapseKind::Current => None,
                        SynapseKind::Conductance { e_rev } => Some(e_rev),
                    },
                }
            })
            .collect::<Vec<_>>();
        let exact = derived.iter().all(|d| d.e_rev.is_none());
        Self {
            p20: p.tau_m / p.C_m * (1.0 - p22),
            g_l: p.C_m / p.tau_m,
            h_over_c: h / p.C_m,
            ref_steps: (p.t_ref / h).round() as u32,
            p22,
            ports: derived,
            exact,
            p,
        }
    }

    /// A block of `n` neurons at rest.
    pub fn state(&self, n: usize) -> LifState {
        LifState {
            v: vec![self.p.E_L; n],
            syn: vec![vec![0.0; n]; self.ports.len()],
            refr: vec![0; n],
            acc: vec![0.0; n],
            gsum: vec![0.0; n],
        }
    }

    /// Advance a block by one step. `input` holds this step's ring-buffer slot (`[port][n]`),
    /// which is added to the synaptic variables and cleared; spiking neurons' indices plus
    /// `offset` are appended to `spikes`.
    #[inline(never)]
    pub fn update(&self, s: &mut LifState, input: &mut [f64], i_ext: &[f64], offset: u32, spikes: &mut Vec<u32>) {
        let n = s.v.len();
        let e_l = self.p.E_L;
        let i_e = self.p.I_e;
        let acc = &mut s.acc[..n];
        let v = &mut s.v[..n];
        let i_ext = &i_ext[..n];
        if self.exact {
            let (p22, p20) = (self.p22, self.p20);
            for i in 0..n {
                acc[i] = e_l + (v[i] - e_l) * p22 + (i_e + i_ext[i]) * p20;
            }
            for (k, d) in self.ports.iter().enumerate() {
                let x = &mut s.syn[k][..n];
                let inp = &mut input[k * n..(k + 1) * n];
                let (p21, decay) = (d.p21, d.decay);
                for i in 0..n {
                    acc[i] += x[i] * p21;
                    x[i] = x[i] * decay + inp[i];
                    inp[i] = 0.0;
                }
            }
        } else {
            // acc accumulates the numerator g_L E_L + Σ ḡ E + Σ Ī + I, gsum the conductance.
            let gsum = &mut s.gsum[..n];
            let g_l = self.g_l;
            for i in 0..n {
                acc[i] = g_l * e_l + i_e + i_ext[i];
                gsum[i] = g_l;
            }
            for (k, d) in self.ports.iter().enumerate() {
                let x = &mut s.syn[k][..n];
                let inp = &mut input[k * n..(k + 1) * n];
                let (avg, decay) = (d.avg, d.decay);
                match d.e_rev {
                    Some(e) => {
                        for i in 0..n {
                            let g = x[i] * avg;
                            gsum[i] += g;
                            acc[i] += g * e;
                            x[i] = x[i] * decay + inp[i];
                            inp[i] = 0.0;
                        }
                    }
                    None => {
                        for i in 0..n {
                            acc[i] += x[i] * avg;
                            x[i] = x[i] * decay + inp[i];
                            inp[i] = 0.0;
                        }
                    }
                }
            }
            let hc = self.h_over_c;
            for i in 0..n {
                let v_inf = acc[i] / gsum[i];
                acc[i] = v_inf + (v[i] - v_inf) * fastmath::exp(-hc * gsum[i]);
            }
        }
        let refr = &mut s.refr[..n];
        for i in 0..n {
            let r = refr[i];
            v[i] = if r > 0 { v[i] } else { acc[i] };
            refr[i] = r.saturating_sub(1);
        }
        let (v_th, v_reset, ref_steps) = (self.p.V_th, self.p.V_reset, self.ref_steps);
        for i in 0..n {
            if v[i] >= v_th {
                v[i] = v_reset;
                refr[i] = ref_steps;
                spikes.push(offset + i as u32);
            }
        }
    }

    /// Names of state variables, given port names.
    pub fn variables(&self, port_names: &[String]) -> Vec<String> {
        let mut out = vec!["v".to_string()];
        for (d, name) in self.ports.iter().zip(port_names) {
            out.push(format!("{}_{name}", if d.e_rev.is_some() { "g" } else { "I" }));
        }
        out
    }
}

impl LifState {
    /// Variable `k` of [`Lif::variables`].
    pub fn var(&self, k: usize) -> &[f64] {
        if k == 0 { &self.v } else { &self.syn[k - 1] }
    }

    /// Mutable variable `k` of [`Lif::variables`].
    pub fn var_mut(&mut self, k: usize) -> &mut [f64] {
        if k == 0 { &mut self.v } else { &mut self.syn[k - 1] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> LifParams {
        LifParams { tau_m: 20.0, C_m: 250.0, E_L: -70.0, V_th: 1e9, V_reset: -80.0, t_ref: 2.0, I_e: 0.0 }
    }

    /// The exact propagator reproduces the closed-form trajectory of v after a current jump,
    /// to 1e-9 relative (f64), for τ_syn ≠ τ_m and τ_syn = τ_m.
    #[test]
    fn exact_propagator_matches_closed_form() {
        for &tau_s in &[5.0, 20.0, 0.5] {
            let h = 0.1;
            let lif = Lif::new(params(), &[(SynapseKind::Current, tau_s)], h);
            let mut s = lif.state(1);
            let i0 = 300.0;
            s.syn[0][0] = i0;
            let mut input = vec![0.0];
            let (tm, c) = (20.0f64, 250.0f64);
            for step in 1..=2000 {
                lif.update(&mut s, &mut input, &[0.0], 0, &mut Vec::new());
                let t = step as f64 * h;
                let dv = if tau_s == tm {
                    i0 / c * t * (-t / tm).exp()
                } else {
                    i0 / c * tm * tau_s / (tau_s - tm) * ((-t / tau_s).exp() - (-t / tm).exp())
                };
                let got = s.v[0] + 70.0;
                assert!((got - dv).abs() <= 1e-9 * dv.abs().max(1e-12), "tau_s {tau_s} step {step}: {got} vs {dv}");
                assert!((s.syn[0][0] - i0 * (-t / tau_s).exp()).abs() <= 1e-9 * i0);
            }
        }
    }

    /// Conductance mode: with a constant conductance (τ → very large) the scheme is exact;
    /// with decaying conductance it converges at second order in h towards a fine reference.
    #[test]
    fn conductance_scheme_converges() {
        let run = |h: f64| -> f64 {
            let lif = Lif::new(params(), &[(SynapseKind::Conductance { e_rev: 0.0 }, 5.0)], h);
            let mut s = lif.state(1);
            s.syn[0][0] = 20.0;
            let mut input = vec![0.0];
            let steps = (10.0 / h).round() as usize;
            for _ in 0..steps {
                lif.update(&mut s, &mut input, &[0.0], 0, &mut Vec::new());
            }
            s.v[0]
        };
        let reference = run(0.0005);
        let e1 = (run(0.1) - reference).abs();
        let e2 = (run(0.05) - reference).abs();
        let order = (e1 / e2).log2();
        assert!(e1 < 0.05, "error at dt 0.1: {e1} mV");
        assert!(order > 1.8, "convergence order {order} (errors {e1}, {e2})");
    }
}

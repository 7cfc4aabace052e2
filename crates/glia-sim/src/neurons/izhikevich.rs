//! Izhikevich (2003) simple model of spiking neurons (IEEE Trans. Neural Netw. 14:1569).
//!
//! ```text
//! dv/dt = 0.04 v² + 5 v + 140 − u + I          du/dt = a (b v − u)
//! v ≥ 30 mV  →  spike, v ← c, u ← u + d
//! I = I_e + I_ext(t) + Σ_current ports I_k + Σ_conductance ports g_k (E_k − v)
//! ```
//! `v` is in mV and `t` in ms; `u` and every current are in the model's **dimensionless
//! current units, mV/ms** (the units of `dv/dt`; `I = 10` is the paper's "dc current 10").
//! External currents (`current`, `dc`, `step_current`, `noise` inputs), `I_e`, weights into
//! current ports and the state variables `u`, `I_<port>` are in these units, not pA; weights into
//! conductance ports are in 1/ms (mV/ms per mV of driving force), and weights into delta ports
//! are jumps of `v` in mV.
//!
//! **Parameters per neuron.** `a`, `b`, `c`, `d` are [per-neuron values](super::LowerCtx::per_neuron)
//! (a number, an array, a file or a distribution), taken from `preset` where not given (default
//! preset `RS`). On top, the 2003 paper's randomisation: one `r_i ~ U[0, 1)` per neuron, drawn
//! from the counter stream keyed by (seed, population, neuron) and shared by the four
//! parameters, gives `a_i = a + a_r r_i`, `b_i = b + b_r r_i`, `c_i = c + c_r2 r_i²`,
//! `d_i = d + d_r2 r_i²` (the paper's excitatory cells: `RS` with `c_r2 = 15`, `d_r2 = −6`;
//! inhibitory: `LTS` with `a_r = 0.08`, `b_r = −0.05`).
//!
//! | preset | a | b | c \[mV\] | d | type (2003, Fig. 2) |
//! |---|---|---|---|---|---|
//! | `RS` | 0.02 | 0.2 | −65 | 8 | regular spiking (excitatory) |
//! | `IB` | 0.02 | 0.2 | −55 | 4 | intrinsically bursting |
//! | `CH` | 0.02 | 0.2 | −50 | 2 | chattering |
//! | `FS` | 0.1 | 0.2 | −65 | 2 | fast spiking (inhibitory) |
//! | `LTS` | 0.02 | 0.25 | −65 | 2 | low-threshold spiking (inhibitory) |
//! | `TC` | 0.02 | 0.25 | −65 | 0.05 | thalamo-cortical (tonic and rebound bursts) |
//! | `RZ` | 0.1 | 0.26 | −65 | 2 | resonator |
//!
//! | param | unit | default | meaning |
//! |---|---|---|---|
//! | `preset` | — | `"RS"` | one of the presets above |
//! | `a` | 1/ms | preset | recovery rate (per neuron) |
//! | `b` | 1 | preset | sensitivity of `u` to `v` (per neuron) |
//! | `c` | mV | preset | reset potential, < 30 (per neuron) |
//! | `d` | mV/ms | preset | reset increment of `u` (per neuron) |
//! | `a_r`, `b_r` | as `a`, `b` | 0 | `a_i = a + a_r r_i`, `b_i = b + b_r r_i` |
//! | `c_r2`, `d_r2` | as `c`, `d` | 0 | `c_i = c + c_r2 r_i²`, `d_i = d + d_r2 r_i²` |
//! | `I_e` | mV/ms | 0 | constant bias current |
//! | `substeps` | — | `⌈dt / 0.025 ms⌉` | Heun substeps per step, 1 … 1000 |
//! | `paper_euler` | — | `false` | the paper's own scheme instead (see below) |
//!
//! Initial state: `v = −65` mV (as in the paper's code; `initial.v` replaces it) and
//! `u = b_i·v` from that initial `v` (`initial.u` replaces it). State variables: `v` \[mV\],
//! `u` \[mV/ms\], then the ports' variables. Default port: one delta port `in` (a spike of
//! weight `w` makes `v` jump by `w` mV), the coupling of the 2003 network.
//!
//! **Integration (default).** Each step `dt` is split into `substeps` equal substeps
//! `h = dt/substeps`, each one step of Heun's method (explicit trapezoidal rule, second order)
//! on `(v, u)` with the synaptic drive held at its exact average over the step (see
//! [`super::ports`]; second order in `dt`). The threshold is checked at the end of every
//! substep. A substep that ends with `v ≥ 30` is redone for the spiking neuron only: the
//! crossing time `θh` is found by linear interpolation of `v` between the substep's ends,
//! `u` is interpolated to it, the neuron is reset (`v ← c`, `u ← u(θh) + d`) and the rest of
//! the substep, `(1 − θ)h`, is integrated from the reset state by one Heun step. Resetting
//! at the crossing instead of at the end of the substep matters more than the order of the
//! scheme: a late reset delays every spike by up to `h`, and the delays accumulate (at
//! `dt = 0.1` ms with 4 substeps, spike times drift by up to 2.4 ms within 200 ms and counts
//! change without the correction; with it every spike of every preset protocol stays within
//! 0.01 ms of the reference, see `validation/izhikevich_scheme.py`). Heun is preferred to
//! RK4: near the spike the quadratic term makes the solution blow up in finite time, where
//! RK4's extra stages gain nothing (with the crossing correction and 4 substeps at dt = 0.1
//! ms, RK4's largest spike-time errors for RS, IB, CH, FS, LTS were 0.002–0.018 ms, Heun's
//! 0.001–0.009 ms) at twice the cost. The default substep, 0.025 ms (4 substeps at `dt = 0.1`
//! ms), keeps those errors below 0.01 ms; 2 substeps give up to 0.1 ms. By comparison the
//! paper's scheme at `dt = 1` ms fires up to 3 times too few spikes (CH 10 instead of 21, TC
//! tonic 4 instead of 12 in 200 ms): among other things its `u` step sees `v` overshoot to
//! ~10³–10⁴ mV at every spike. Spikes are stamped at the end of the step (glia's convention), and a neuron reports
//! at most one spike per step. Delta-port jumps are added to `v` at the end of the step,
//! followed by a threshold check and reset. Cost: per neuron and substep two evaluations of
//! the right-hand side (about 15 flops, vectorised); the crossing fix-up runs only for the
//! neurons that spike.
//!
//! **`paper_euler = true`** reproduces the scheme of the paper's MATLAB code: two forward
//! Euler half-steps of `dt/2` for `v`, then one Euler step of `dt` for `u` with the new `v`,
//! and the threshold check at the end of the step. A delta-port input of weight `w` arriving in
//! a step is added to `I` as the current `w/dt` for that step, so at `dt = 1` ms it is exactly
//! the paper's `I += w` (`I = I + sum(S(:,fired),2)`): with delays of 1 ms, a spike found at
//! the end of step `s` (the paper's `fired`, found at the start of the next iteration) drives
//! its targets during step `s + 1`, the step that this iteration computes, as in the paper. Together with a `noise` input (a new Gaussian current every step) this is
//! the paper's network step for step, up to floating point and random numbers. (glia keeps
//! `v`, `u` in f32; at dt = 1 ms the scheme amplifies rounding differences on the upstroke by
//! ~8 per step, so single neurons run in f32 and f64 can drift apart by a spike; network
//! statistics are unaffected.) With this option `substeps` must not be given.
//!
//! State is single precision (f32), as in the other models.

use super::ports::{PortState, Ports};
use super::simd::select;
use super::{BlockState, LowerCtx, Lowered, Model, Neuron};
use glia_core::{CounterRng, Purpose};
use glia_spec::{Kernel, ModelError, PortSpec, SynapseKind};
use serde::Deserialize;

/// Neurons processed together (their state and scratch stay in L1 over the substeps).
pub const TILE: usize = 512;

/// Spike cut-off \[mV\].
pub const V_PEAK: f32 = 30.0;

/// Longest default substep \[ms\]: the default `substeps` is `⌈dt / H_MAX⌉`.
pub const H_MAX: f64 = 0.025;

/// Most substeps per step.
pub const MAX_SUBSTEPS: u32 = 1000;

/// Preset names and their `(a, b, c, d)` (Izhikevich 2003, Fig. 2).
pub const PRESETS: &[(&str, [f64; 4])] = &[
    ("RS", [0.02, 0.2, -65.0, 8.0]),
    ("IB", [0.02, 0.2, -55.0, 4.0]),
    ("CH", [0.02, 0.2, -50.0, 2.0]),
    ("FS", [0.1, 0.2, -65.0, 2.0]),
    ("LTS", [0.02, 0.25, -65.0, 2.0]),
    ("TC", [0.02, 0.25, -65.0, 0.05]),
    ("RZ", [0.1, 0.26, -65.0, 2.0]),
];

/// Initial membrane potential \[mV\] unless `initial.v` is given.
pub const V_INIT: f64 = -65.0;

/// Parameters, as in the model file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct IzhParams {
    /// Preset supplying `a`, `b`, `c`, `d` where not given.
    #[serde(default)]
    pub preset: Option<String>,
    /// Recovery rate \[1/ms\] (per-neuron value).
    #[serde(default)]
    pub a: Option<toml::Value>,
    /// Sensitivity of `u` to `v` (per-neuron value).
    #[serde(default)]
    pub b: Option<toml::Value>,
    /// Reset potential \[mV\] (per-neuron value).
    #[serde(default)]
    pub c: Option<toml::Value>,
    /// Reset increment of `u` \[mV/ms\] (per-neuron value).
    #[serde(default)]
    pub d: Option<toml::Value>,
    /// `a_i = a + a_r r_i`.
    #[serde(default)]
    pub a_r: f64,
    /// `b_i = b + b_r r_i`.
    #[serde(default)]
    pub b_r: f64,
    /// `c_i = c + c_r2 r_i²`.
    #[serde(default)]
    pub c_r2: f64,
    /// `d_i = d + d_r2 r_i²`.
    #[serde(default)]
    pub d_r2: f64,
    /// Bias current \[mV/ms\].
    #[serde(default)]
    pub I_e: f64,
    /// Heun substeps per step.
    #[serde(default)]
    pub substeps: Option<i64>,
    /// Use the paper's Euler scheme.
    #[serde(default)]
    pub paper_euler: bool,
}

/// An Izhikevich population's constants (shared by its blocks).
#[derive(Clone, Debug)]
pub struct Izhikevich {
    /// Receptor ports.
    pub kernels: Ports,
    /// Step \[ms\].
    pub dt: f64,
    /// Substeps per step (1 in paper mode).
    pub substeps: u32,
    /// The paper's scheme.
    pub paper_euler: bool,
    /// `I_e` \[mV/ms\].
    pub i_e: f64,
}

/// State of one block (struct of arrays, f32), including the per-neuron parameters.
#[derive(Clone, Debug)]
pub struct IzhState {
    /// Membrane potential \[mV\].
    pub v: Vec<f32>,
    /// Recovery variable \[mV/ms\].
    pub u: Vec<f32>,
    /// `a` \[1/ms\].
    pub a: Vec<f32>,
    /// `a·b` \[1/ms\].
    pub ab: Vec<f32>,
    /// `c` \[mV\].
    pub c: Vec<f32>,
    /// `d` \[mV/ms\].
    pub d: Vec<f32>,
    /// Synaptic port variables.
    pub syn: PortState,
}

/// Per-step constants of the kernels.
struct Step {
    /// Substep length \[ms\] (`dt` in paper mode).
    h: f32,
    substeps: u32,
}

/// Lower an `izhikevich` population.
pub fn lower(ctx: &LowerCtx<'_>) -> Result<Lowered, ModelError> {
    let p: IzhParams = ctx.params()?;
    let n = ctx.pop.size;
    let preset_name = p.preset.as_deref().unwrap_or("RS");
    let Some(&(_, preset)) = PRESETS.iter().find(|(k, _)| *k == preset_name) else {
        let known: Vec<&str> = PRESETS.iter().map(|(k, _)| *k).collect();
        return Err(ModelError::invalid(
            ctx.path("preset"),
            format!(
                "unknown preset \"{preset_name}\"; known presets: {}",
                known.join(", ")
            ),
        ));
    };
    for (name, x) in [
        ("a_r", p.a_r),
        ("b_r", p.b_r),
        ("c_r2", p.c_r2),
        ("d_r2", p.d_r2),
        ("I_e", p.I_e),
    ] {
        if !x.is_finite() {
            return Err(ModelError::invalid(
                ctx.path(name),
                format!("must be finite, got {x}"),
            ));
        }
    }
    let substeps = match (p.substeps, p.paper_euler) {
        (Some(_), true) => {
            return Err(ModelError::invalid(
                ctx.path("substeps"),
                "has no effect with paper_euler = true (the paper's scheme has two half-steps \
                 for v and one step for u); remove one of them",
            ));
        }
        (Some(k), false) => {
            if !(1..=i64::from(MAX_SUBSTEPS)).contains(&k) {
                return Err(ModelError::invalid(
                    ctx.path("substeps"),
                    format!("must be in 1..={MAX_SUBSTEPS}, got {k}"),
                ));
            }
            k as u32
        }
        (None, false) => ((ctx.dt / H_MAX) * (1.0 - 1e-9))
            .ceil()
            .clamp(1.0, f64::from(MAX_SUBSTEPS)) as u32,
        (None, true) => 1,
    };
    // Per-neuron a, b, c, d.
    let mut abcd: [Vec<f64>; 4] = Default::default();
    for (k, (name, given)) in [("a", &p.a), ("b", &p.b), ("c", &p.c), ("d", &p.d)]
        .into_iter()
        .enumerate()
    {
        abcd[k] = match given {
            Some(v) => ctx.per_neuron(v, name, k as u32)?,
            None => vec![preset[k]; n],
        };
    }
    let [mut a, mut b, mut c, mut d] = abcd;
    if [p.a_r, p.b_r, p.c_r2, p.d_r2] != [0.0; 4] {
        for i in 0..n {
            let r = CounterRng::new(
                ctx.seed,
                Purpose::Parameter,
                ctx.id | (5 << 20),
                i as u32,
                0,
            )
            .uniform();
            a[i] += p.a_r * r;
            b[i] += p.b_r * r;
            c[i] += p.c_r2 * r * r;
            d[i] += p.d_r2 * r * r;
        }
    }
    if let Some((i, x)) = c.iter().enumerate().find(|(_, x)| **x >= f64::from(V_PEAK)) {
        return Err(ModelError::invalid(
            ctx.path("c"),
            format!("must be below the spike cut-off {V_PEAK} mV, got {x} for neuron {i}"),
        ));
    }
    // Initial v (as the generic initial-value code will set it) and u = b v.
    let mut v0 = vec![V_INIT; n];
    if let Some((_, vals)) = ctx.pop.initial.iter().find(|(k, _)| k == "v") {
        super::fill(vals, &mut v0, ctx.seed, Purpose::Initial, ctx.id, 0);
    }
    let ports = ctx.ports_or(&[PortSpec {
        name: "in".into(),
        kind: SynapseKind::Current,
        kernel: Kernel::Delta,
        tau_syn: 0.0,
    }]);
    let model = Izhikevich {
        kernels: Ports::new(&ports, ctx.dt),
        dt: ctx.dt,
        substeps,
        paper_euler: p.paper_euler,
        i_e: p.I_e,
    };
    let f32s = |x: &[f64]| x.iter().map(|&y| y as f32).collect::<Vec<f32>>();
    let blocks = ctx
        .blocks()
        .map(|(start, len)| {
            let r = start..start + len;
            BlockState::Izhikevich(IzhState {
                v: f32s(&v0[r.clone()]),
                u: r.clone().map(|i| (b[i] * v0[i]) as f32).collect(),
                a: f32s(&a[r.clone()]),
                ab: r.clone().map(|i| (a[i] * b[i]) as f32).collect(),
                c: f32s(&c[r.clone()]),
                d: f32s(&d[r]),
                syn: model.kernels.state(len),
            })
        })
        .collect();
    let names: Vec<String> = ports.iter().map(|p| p.name.clone()).collect();
    let mut variables = vec!["v".to_string(), "u".to_string()];
    variables.extend(model.kernels.variables(&names));
    Ok(Lowered {
        model: Model::Izhikevich(model),
        ports,
        variables,
        blocks,
    })
}

/// `dv/dt` with the step's drive `p` (= 140 + I) and linear coefficient `q` (= 5 − g).
#[inline(always)]
fn fv(v: f32, u: f32, p: f32, q: f32) -> f32 {
    v * (0.04 * v + q) + p - u
}

/// One Heun step of length `h` from `(v, u)`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn heun(v: f32, u: f32, a: f32, ab: f32, p: f32, q: f32, h: f32) -> (f32, f32) {
    let k1v = fv(v, u, p, q);
    let k1u = ab * v - a * u;
    let (vp, up) = (v + h * k1v, u + h * k1u);
    let k2v = fv(vp, up, p, q);
    let k2u = ab * vp - a * up;
    let hh = 0.5 * h;
    (v + hh * (k1v + k2v), u + hh * (k1u + k2u))
}

/// The substeps of one step for a tile (default scheme). `p`, `q`: the step's drive and linear
/// coefficient per neuron; `flag`: scratch; `fired` gets 1 for neurons that spiked.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn heun_tile(
    st: &Step,
    v: &mut [f32],
    u: &mut [f32],
    a: &[f32],
    ab: &[f32],
    c: &[f32],
    d: &[f32],
    p: &[f32],
    q: &[f32],
    flag: &mut [f32],
    fired: &mut [f32],
) {
    let m = v.len();
    let (u, a, ab, c, d, p, q) = (
        &mut u[..m],
        &a[..m],
        &ab[..m],
        &c[..m],
        &d[..m],
        &p[..m],
        &q[..m],
    );
    let (flag, fired) = (&mut flag[..m], &mut fired[..m]);
    let h = st.h;
    for _ in 0..st.substeps {
        let mut any = 0u32;
        for i in 0..m {
            let (vi, ui) = (v[i], u[i]);
            let (vn, un) = heun(vi, ui, a[i], ab[i], p[i], q[i], h);
            let sp = vn >= V_PEAK;
            // A spiking neuron keeps its state of the substep's start for the fix-up.
            v[i] = select(sp, vi, vn);
            u[i] = select(sp, ui, un);
            flag[i] = select(sp, 1.0, 0.0);
            any |= u32::from(sp);
        }
        if any != 0 {
            for i in 0..m {
                if flag[i] != 0.0 {
                    let (vi, ui) = (v[i], u[i]);
                    let (vn, un) = heun(vi, ui, a[i], ab[i], p[i], q[i], h);
                    let th = (V_PEAK - vi) / (vn - vi);
                    let th = if th.is_finite() {
                        th.clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    let uc = ui + th * (un - ui);
                    let uc = if uc.is_finite() { uc } else { ui };
                    let (vr, ur) = (c[i], uc + d[i]);
                    let rest = (1.0 - th) * h;
                    let (vr, ur) = if rest > 0.0 {
                        heun(vr, ur, a[i], ab[i], p[i], q[i], rest)
                    } else {
                        (vr, ur)
                    };
                    v[i] = vr;
                    u[i] = ur;
                    fired[i] = 1.0;
                }
            }
        }
    }
}

/// One step of the paper's scheme for a tile; `jump` (delta-port input, mV) acts as the current
/// `jump/dt` over the step.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn paper_tile(
    dt: f32,
    v: &mut [f32],
    u: &mut [f32],
    a: &[f32],
    ab: &[f32],
    c: &[f32],
    d: &[f32],
    p: &[f32],
    q: &[f32],
    jump: &[f32],
    fired: &mut [f32],
) {
    let m = v.len();
    let (u, a, ab, c, d, p, q, jump, fired) = (
        &mut u[..m],
        &a[..m],
        &ab[..m],
        &c[..m],
        &d[..m],
        &p[..m],
        &q[..m],
        &jump[..m],
        &mut fired[..m],
    );
    let (hh, inv_dt) = (0.5 * dt, 1.0 / dt);
    for i in 0..m {
        let (vi, ui) = (v[i], u[i]);
        let pi = p[i] + jump[i] * inv_dt;
        let v1 = vi + hh * fv(vi, ui, pi, q[i]);
        let v2 = v1 + hh * fv(v1, ui, pi, q[i]);
        let un = ui + dt * (ab[i] * v2 - a[i] * ui);
        let sp = v2 >= V_PEAK;
        v[i] = select(sp, c[i], v2);
        u[i] = select(sp, un + d[i], un);
        fired[i] = select(sp, 1.0, 0.0);
    }
}

/// Delta-port jumps at the end of a step (default scheme), then threshold and reset.
#[inline(never)]
fn jumps(v: &mut [f32], u: &mut [f32], c: &[f32], d: &[f32], jump: &[f32], fired: &mut [f32]) {
    let m = v.len();
    let (u, c, d, jump, fired) = (&mut u[..m], &c[..m], &d[..m], &jump[..m], &mut fired[..m]);
    for i in 0..m {
        let vj = v[i] + jump[i];
        let sp = vj >= V_PEAK;
        v[i] = select(sp, c[i], vj);
        u[i] = select(sp, u[i] + d[i], u[i]);
        fired[i] = select(sp, 1.0, fired[i]);
    }
}

/// Append `first + i` for every non-zero `fired[i]` and clear it, skipping all-zero chunks.
#[inline(always)]
fn collect(fired: &mut [f32], first: u32, spikes: &mut Vec<u32>) {
    const CHUNK: usize = 32;
    for (k, chunk) in fired.chunks_mut(CHUNK).enumerate() {
        if chunk.iter().fold(0u32, |acc, f| acc | f.to_bits()) != 0 {
            for (j, f) in chunk.iter_mut().enumerate() {
                if *f != 0.0 {
                    spikes.push(first + (k * CHUNK + j) as u32);
                    *f = 0.0;
                }
            }
        }
    }
}

impl Izhikevich {
    /// Advance a block by one step (see the module docs).
    pub fn step_block(
        &self,
        s: &mut IzhState,
        inputs: &mut [&mut [f32]],
        i_ext: Option<&[f32]>,
        offset: u32,
        spikes: &mut Vec<u32>,
    ) {
        let n = s.v.len();
        let mut p = [0.0f32; TILE];
        let mut q = [0.0f32; TILE];
        let mut jump = [0.0f32; TILE];
        let mut flag = [0.0f32; TILE];
        let mut fired = [0.0f32; TILE];
        let st = Step {
            h: (self.dt / f64::from(self.substeps)) as f32,
            substeps: self.substeps,
        };
        let bias = (140.0 + self.i_e) as f32;
        let mut lo = 0;
        while lo < n {
            let hi = (lo + TILE).min(n);
            let m = hi - lo;
            // Synaptic drive averaged over the step: I_syn = cur − cond·v (p, q hold cur, cond).
            self.kernels
                .step(&mut s.syn, inputs, lo, hi, &mut p, &mut q, &mut jump);
            let (p, q) = (&mut p[..m], &mut q[..m]);
            match i_ext {
                Some(ie) => {
                    for (x, &y) in p.iter_mut().zip(&ie[lo..hi]) {
                        *x += bias + y;
                    }
                }
                None => p.iter_mut().for_each(|x| *x += bias),
            }
            q.iter_mut().for_each(|x| *x = 5.0 - *x);
            let (v, u) = (&mut s.v[lo..hi], &mut s.u[lo..hi]);
            let (a, ab, c, d) = (&s.a[lo..hi], &s.ab[lo..hi], &s.c[lo..hi], &s.d[lo..hi]);
            if self.paper_euler {
                paper_tile(self.dt as f32, v, u, a, ab, c, d, p, q, &jump, &mut fired);
            } else {
                heun_tile(&st, v, u, a, ab, c, d, p, q, &mut flag, &mut fired);
                jumps(v, u, c, d, &jump, &mut fired);
            }
            collect(&mut fired[..m], offset + lo as u32, spikes);
            lo = hi;
        }
    }
}

impl Neuron for Izhikevich {
    type State = IzhState;

    fn update(
        &self,
        s: &mut IzhState,
        inputs: &mut [&mut [f32]],
        i_ext: Option<&[f32]>,
        offset: u32,
        spikes: &mut Vec<u32>,
    ) {
        self.step_block(s, inputs, i_ext, offset, spikes);
    }

    fn var<'a>(&self, s: &'a IzhState, k: usize) -> &'a [f32] {
        match k {
            0 => &s.v,
            1 => &s.u,
            _ => self.kernels.var(&s.syn, k - 2),
        }
    }

    fn var_mut<'a>(&self, s: &'a mut IzhState, k: usize) -> &'a mut [f32] {
        match k {
            0 => &mut s.v,
            1 => &mut s.u,
            _ => self.kernels.var_mut(&mut s.syn, k - 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glia_spec::Population;

    fn lower_params(params: &str, seed: u64) -> IzhState {
        let pop = Population {
            name: "p".into(),
            size: 2000,
            model: "izhikevich".into(),
            params: toml::from_str(params).unwrap(),
            ports: vec![],
            initial: vec![],
            path: "populations[0]".into(),
        };
        let ctx = LowerCtx {
            pop: &pop,
            id: 3,
            seed,
            dt: 0.1,
            steps: 10,
            base_dir: std::path::Path::new("."),
        };
        let low = lower(&ctx).unwrap();
        let Model::Izhikevich(m) = &low.model else {
            panic!()
        };
        assert_eq!(m.substeps, 4, "default substeps at dt = 0.1 ms");
        assert_eq!(low.variables, ["v", "u"]);
        let mut all: Option<IzhState> = None;
        for b in low.blocks {
            let BlockState::Izhikevich(s) = b else {
                panic!()
            };
            match &mut all {
                None => all = Some(s),
                Some(a) => {
                    for (x, y) in [
                        (&mut a.a, &s.a),
                        (&mut a.ab, &s.ab),
                        (&mut a.c, &s.c),
                        (&mut a.d, &s.d),
                    ] {
                        x.extend_from_slice(y);
                    }
                }
            }
        }
        all.unwrap()
    }

    /// The 2003 randomisation: a_i = a + a_r r_i, b_i = b + b_r r_i, c_i = c + c_r2 r_i²,
    /// d_i = d + d_r2 r_i² with one r_i per neuron shared by the four (1e-6, f32), r uniform on
    /// [0, 1) (mean 0.5 ± 0.02 over 2000 neurons, 5 standard errors), deterministic per seed.
    #[test]
    fn randomisation_shares_one_r_per_neuron() {
        let s = lower_params(
            "preset = \"RS\"\na_r = 0.08\nb_r = -0.05\nc_r2 = 15.0\nd_r2 = -6.0",
            7,
        );
        let mut sum = 0.0;
        for i in 0..2000 {
            let r = (f64::from(s.a[i]) - 0.02) / 0.08;
            let b = f64::from(s.ab[i]) / f64::from(s.a[i]);
            assert!((0.0..1.0 + 1e-6).contains(&r), "r = {r}");
            assert!(
                (b - (0.2 - 0.05 * r)).abs() < 1e-5,
                "neuron {i}: b {b}, r {r}"
            );
            assert!((f64::from(s.c[i]) - (-65.0 + 15.0 * r * r)).abs() < 1e-4);
            assert!((f64::from(s.d[i]) - (8.0 - 6.0 * r * r)).abs() < 1e-5);
            sum += r;
        }
        let mean = sum / 2000.0;
        assert!(
            (mean - 0.5).abs() < 5.0 * (1.0f64 / 12.0 / 2000.0).sqrt(),
            "{mean}"
        );
        let again = lower_params(
            "preset = \"RS\"\na_r = 0.08\nb_r = -0.05\nc_r2 = 15.0\nd_r2 = -6.0",
            7,
        );
        assert_eq!(s.a, again.a);
        let other = lower_params("preset = \"RS\"\na_r = 0.08", 8);
        assert_ne!(s.a, other.a);
        // Individual values override the preset.
        let s = lower_params("preset = \"FS\"\nd = 5.0", 7);
        assert_eq!((s.a[0], s.c[0], s.d[0]), (0.1, -65.0, 5.0));
    }
}

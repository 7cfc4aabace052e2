//! Self-adapting E/I balance (Srinivasan, Plenz & Girvan 2025, arXiv 2504.12480).
//!
//! Each neuron `i` adjusts the strength of its incoming inhibitory links towards a target
//! activity `ρ_i` (the paper's Eq. 7, as read by a third-party reimplementation):
//!
//! ```text
//! A_ij(t+1) = A_ij(t) + δ (r_i(t) − ρ_i)      for every inhibitory source j,
//! ```
//!
//! where `A_ij ≥ 0` is the inhibitory link strength (glia stores it as the weight
//! `w_ij = −A_ij ≤ 0`), `r_i(t) ∈ (0, 1)` the unit's activity (a sigmoid rate unit) and `δ` the
//! learning rate: a neuron more active than its target gets more inhibition, a quieter one
//! less. Weights stay inhibitory (`A_ij` is clipped at 0, Dale's law). The rule is local: it
//! uses only the neuron's own activity and target. Targets may be one value for all neurons
//! (homogeneous) or drawn per neuron (heterogeneous; `Beta(2, 2)` in the reimplementation).
//! Adaptation runs on the task's input in phases of decreasing `δ` ([`Phase`]; 0.01 then
//! 0.001 in the reimplementation) before the readout is trained; the weights are then frozen.
//!
//! **One-step design** (the paper's Eq. 8, [`EiAdapt::one_step_design`]): instead of (or
//! before) adapting, scale all inhibitory inputs of neuron `i` by one factor `Ω_i` chosen so
//! that the mean-field fixed point `r = ρ` holds at the mean input `ū`:
//!
//! ```text
//! logit ρ_i = b_i + Σ_j W^E_ij ρ_j + Ω_i Σ_j W^I_ij ρ_j + (W_in ū)_i
//! ```
//!
//! (glia's weights and bias already carry the sigmoid gain `c` and threshold: `W = c A`,
//! `b = −c θ`, so this is `σ(c (V_i − θ)) = ρ_i` with `V_i` the input at `r = ρ`). `Ω_i < 0`
//! would need excitatory "inhibition": it is clipped to 0 and counted.
//!
//! Our reading: the paper's full text was not reachable; the rule, the schedule, the targets
//! and Eq. 8 are those of a third-party reimplementation (see docs/reservoir.md); the
//! clipping at zero is ours.
use crate::error::{ReservoirError, Result};
use crate::esn::{Esn, is_inhibitory, per_synapse};
use glia_core::{CounterRng, Purpose};
use glia_sim::Network;

/// One phase of the adaptation schedule: `steps` updates with learning rate `delta`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Phase {
    /// Input samples (one update each).
    pub steps: usize,
    /// Learning rate `δ` (> 0).
    pub delta: f64,
}

/// Check a schedule: every `delta` > 0 and finite. `field` names the schedule in errors
/// (`reservoir.adapt.schedule` gives `reservoir.adapt.schedule[1].delta: …`).
pub fn check_schedule(phases: &[Phase], field: &str) -> Result<()> {
    for (k, ph) in phases.iter().enumerate() {
        if !(ph.delta > 0.0 && ph.delta.is_finite()) {
            return Err(ReservoirError::invalid(
                format!("{field}[{k}].delta"),
                format!("must be > 0 and finite, got {}", ph.delta),
            ));
        }
    }
    Ok(())
}

/// What the one-step design did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OneStep {
    /// `Ω_i` per adapted neuron, in population order (1 for a neuron without inhibitory
    /// inputs, left unchanged).
    pub omega: Vec<f64>,
    /// Neurons whose `Ω_i` came out negative and was set to 0 (they stay below their
    /// target even without inhibition).
    pub clipped: usize,
    /// Neurons without inhibitory input (left unchanged).
    pub no_inhibition: usize,
}

/// Targets of the adaptation.
#[derive(Clone, Debug)]
pub enum Targets {
    /// The same target for every neuron.
    Homogeneous(f64),
    /// Per-neuron targets drawn from `Beta(a, b)` (mean `a/(a+b)`).
    Beta {
        /// First shape parameter.
        a: f64,
        /// Second shape parameter.
        b: f64,
    },
}

/// A configured E/I adaptation over the populations `pops` of a network.
#[derive(Clone, Debug)]
pub struct EiAdapt {
    /// Learning rate `δ`.
    pub delta: f64,
    /// Per population (index into `pops` of the network), per neuron, the target `ρ_i`
    /// (empty for populations not adapted).
    pub rho: Vec<Vec<f32>>,
    /// Projections whose weights adapt (inhibitory sources into adapted populations).
    pub projs: Vec<usize>,
    state: Vec<Vec<f32>>,
}

/// Draw from `Beta(a, b)` by the ratio of two gamma variates (Marsaglia–Tsang for shape ≥ 1,
/// boosted by `U^{1/a}` below 1).
fn beta(rng: &mut CounterRng, a: f64, b: f64) -> f64 {
    fn gamma(rng: &mut CounterRng, k: f64) -> f64 {
        if k < 1.0 {
            let u = rng.uniform().max(f64::MIN_POSITIVE);
            return gamma(rng, k + 1.0) * u.powf(1.0 / k);
        }
        let d = k - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = rng.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = rng.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    x / (x + y)
}

impl EiAdapt {
    /// Set up the adaptation of the neurons of `pops` (rate populations) with learning rate
    /// `delta` and `targets`; per-neuron targets come from the stream
    /// `(seed, ReservoirTask, 2, population, neuron)`.
    pub fn new(
        net: &Network,
        pops: &[usize],
        delta: f64,
        targets: &Targets,
        seed: u64,
    ) -> Result<Self> {
        if !(delta > 0.0 && delta.is_finite()) {
            return Err(ReservoirError::invalid(
                "reservoir.adapt.delta",
                format!("must be > 0, got {delta}"),
            ));
        }
        match *targets {
            Targets::Homogeneous(r) if !(r > 0.0 && r < 1.0) => {
                return Err(ReservoirError::invalid(
                    "reservoir.adapt.target",
                    format!("must be in (0, 1) (a sigmoid unit's activity), got {r}"),
                ));
            }
            Targets::Beta { a, b } if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) => {
                return Err(ReservoirError::invalid(
                    "reservoir.adapt.target",
                    format!("beta shape parameters must be > 0, got a = {a}, b = {b}"),
                ));
            }
            _ => {}
        }
        let mut rho = vec![Vec::new(); net.pops.len()];
        for &p in pops {
            rho[p] = (0..net.pops[p].size)
                .map(|i| match *targets {
                    Targets::Homogeneous(r) => r as f32,
                    Targets::Beta { a, b } => {
                        let mut rng =
                            CounterRng::new(seed, Purpose::ReservoirTask, 2, i as u32, p as u64);
                        beta(&mut rng, a, b) as f32
                    }
                })
                .collect();
        }
        let projs: Vec<usize> = net
            .projs
            .iter()
            .enumerate()
            .filter(|(_, pr)| is_inhibitory(net, pr.source) && !rho[pr.target].is_empty())
            .map(|(k, _)| k)
            .collect();
        if projs.is_empty() {
            return Err(ReservoirError::invalid(
                "reservoir.adapt",
                "no inhibitory projection (from a rate population with dale = \"inhibitory\") \
                 into the adapted populations",
            ));
        }
        let state = net.pops.iter().map(|p| vec![0.0; p.size]).collect();
        Ok(Self {
            delta,
            rho,
            projs,
            state,
        })
    }

    /// One update of the inhibitory weights from the current activities.
    pub fn update(&mut self, net: &mut Network) {
        for (p, rho) in self.rho.iter().enumerate() {
            if !rho.is_empty() {
                net.read_state(p, 0, &mut self.state[p]);
            }
        }
        let d = self.delta as f32;
        let (state, rho) = (&self.state, &self.rho);
        for_each_weight(net, &self.projs, |t, i, w| {
            // w = −A: A += δ (r − ρ)  ⇔  w −= δ (r − ρ), kept ≤ 0.
            *w = (*w - d * (state[t][i] - rho[t][i])).min(0.0);
        });
    }

    /// Drive `esn` with `u` (`dim` values per sample) through the phases of `schedule`,
    /// updating the inhibitory weights after every step; `x` receives the features (length
    /// [`Esn::n_features`]). `u` must hold at least the schedule's total steps.
    pub fn adapt(&mut self, esn: &mut Esn, u: &[f64], schedule: &[Phase], x: &mut [f64]) {
        let dim = esn.dim;
        let mut t = 0;
        for ph in schedule {
            self.delta = ph.delta;
            for _ in 0..ph.steps {
                esn.step(&u[t * dim..(t + 1) * dim], x);
                self.update(&mut esn.net);
                t += 1;
            }
        }
    }

    /// The one-step design (the paper's Eq. 8, see the module docs): scale the inhibitory
    /// inputs of every adapted neuron by `Ω_i` so that the mean-field fixed point is `r = ρ`
    /// at the mean input `u_mean` (length `esn.dim`). Every source of an adapted population
    /// must itself be adapted (its activity at the fixed point is its target); errors name
    /// `reservoir.adapt.one_step`.
    pub fn one_step_design(&self, esn: &mut Esn, u_mean: &[f64]) -> Result<OneStep> {
        const FIELD: &str = "reservoir.adapt.one_step";
        if u_mean.len() != esn.dim || u_mean.iter().any(|v| !v.is_finite()) {
            return Err(ReservoirError::invalid(
                FIELD,
                format!(
                    "mean input must have {} finite values, got {u_mean:?}",
                    esn.dim
                ),
            ));
        }
        let net = &mut esn.net;
        // Per population: drive without inhibition (bias, input, excitatory links) and the
        // inhibitory drive, both at r = ρ.
        let mut drive: Vec<Vec<f64>> = self.rho.iter().map(|r| vec![0.0; r.len()]).collect();
        let mut inh: Vec<Vec<f64>> = drive.clone();
        for (p, rho) in self.rho.iter().enumerate() {
            if rho.is_empty() {
                continue;
            }
            let Some((_, bias)) = net.rate_params(p) else {
                return Err(ReservoirError::invalid(
                    FIELD,
                    format!("population {} is not a rate population", net.pops[p].name),
                ));
            };
            drive[p]
                .iter_mut()
                .zip(&bias)
                .for_each(|(d, &b)| *d += f64::from(b));
        }
        for l in &esn.inputs {
            if self.rho[l.pop].is_empty() {
                continue;
            }
            let n = net.pops[l.pop].size;
            for (d, &ud) in u_mean.iter().enumerate() {
                for (o, &w) in drive[l.pop].iter_mut().zip(&l.weights[d * n..(d + 1) * n]) {
                    *o += f64::from(w) * ud;
                }
            }
        }
        for pr in &net.projs {
            let t = pr.target;
            if self.rho[t].is_empty() {
                continue;
            }
            let src = &self.rho[pr.source];
            if src.is_empty() {
                return Err(ReservoirError::invalid(
                    FIELD,
                    format!(
                        "population {} projects into adapted population {} but is not adapted                          itself: its activity at the fixed point is unknown",
                        net.pops[pr.source].name, net.pops[t].name
                    ),
                ));
            }
            let out = if is_inhibitory(net, pr.source) {
                &mut inh[t]
            } else {
                &mut drive[t]
            };
            let csr = &pr.csr;
            for (row, &r) in csr.row_ptr.windows(2).zip(src) {
                let rj = f64::from(r);
                for q in row[0] as usize..row[1] as usize {
                    out[csr.target(q) as usize] += f64::from(csr.weights.at(q)) * rj;
                }
            }
        }
        // Ω per neuron.
        let mut omega: Vec<Vec<f64>> = self.rho.iter().map(|r| vec![1.0; r.len()]).collect();
        let mut out = OneStep::default();
        for (p, rho) in self.rho.iter().enumerate() {
            for (i, &r) in rho.iter().enumerate() {
                let r = f64::from(r);
                if inh[p][i] >= 0.0 {
                    out.no_inhibition += 1;
                    continue;
                }
                let w = ((r / (1.0 - r)).ln() - drive[p][i]) / inh[p][i];
                omega[p][i] = if w < 0.0 {
                    out.clipped += 1;
                    0.0
                } else {
                    w
                };
            }
            out.omega.extend_from_slice(&omega[p]);
        }
        for_each_weight(net, &self.projs, |t, i, w| {
            *w = (f64::from(*w) * omega[t][i]) as f32;
        });
        Ok(out)
    }

    /// Mean target over adapted neurons.
    pub fn mean_target(&self) -> f64 {
        let (s, n) = self
            .rho
            .iter()
            .flatten()
            .fold((0.0, 0usize), |(s, n), &r| (s + f64::from(r), n + 1));
        s / n as f64
    }
}

/// `f(target population, target neuron, weight)` over every synapse of the projections `projs`,
/// with the weights made per-synapse and the delays unpacked (both no-ops after the first call).
fn for_each_weight(net: &mut Network, projs: &[usize], mut f: impl FnMut(usize, usize, &mut f32)) {
    for &k in projs {
        let t = net.projs[k].target;
        let csr = &mut net.projs[k].csr;
        csr.unpack_delays();
        let targets = std::mem::take(&mut csr.targets);
        for (w, &tq) in per_synapse(csr).iter_mut().zip(&targets) {
            f(t, tq as usize, w);
        }
        csr.targets = targets;
    }
}

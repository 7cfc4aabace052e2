//! Self-adapting E/I balance (Srinivasan, Plenz & Girvan 2025, arXiv 2504.12480).
//!
//! Each neuron `i` adjusts the strength of its incoming inhibitory links towards a target
//! activity `ρ_i`:
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
//! (homogeneous) or drawn per neuron (heterogeneous; the paper draws them from a Beta
//! distribution). Adaptation runs on the task's input before the readout is trained; the
//! weights are then frozen.
//!
//! Our reading: the paper's full text was reachable only through abstracts and a review that
//! quotes this update equation; the adaptation schedule (one update per step over an
//! adaptation phase of `steps` samples) and the clipping at zero are ours.

use crate::error::{ReservoirError, Result};
use crate::esn::{is_inhibitory, per_synapse};
use glia_core::{CounterRng, Purpose};
use glia_sim::Network;

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
        for &k in &self.projs {
            let t = net.projs[k].target;
            let (r, rho) = (&self.state[t], &self.rho[t]);
            let csr = &mut net.projs[k].csr;
            per_synapse(csr);
            csr.unpack_delays();
            let targets = std::mem::take(&mut csr.targets);
            let w = per_synapse(csr);
            for (wq, &tq) in w.iter_mut().zip(&targets) {
                let i = tq as usize;
                // w = −A: A += δ (r − ρ)  ⇔  w −= δ (r − ρ), kept ≤ 0.
                *wq = (*wq - d * (r[i] - rho[i])).min(0.0);
            }
            csr.targets = targets;
        }
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

//! Driving a glia network as a reservoir: feed a time series `u(t)` through per-neuron input
//! weights, step the engine, and collect the state of chosen populations as features.
//!
//! The dynamics are glia-sim's: with `rate` populations and one-step delays (the default),
//! step `t` computes `x(t) = (1 − a) x(t−1) + a f(W x(t−1) + W_in u(t) + b)`, the
//! leaky-integrator ESN update (reservoirpy's `Reservoir` node computes the same).

use crate::error::{ReservoirError, Result};
use faer::Mat;
use glia_core::{CounterRng, Purpose};
use glia_sim::Network;
use glia_sim::neurons::Model;
use glia_sim::{Csr, Weights};
use glia_spec::{Connect, Values};
use std::path::Path;

/// Input weights of one population: `weights[d · size + i]` multiplies input dimension `d`
/// into neuron `i`, added to port `port` every step.
#[derive(Clone, Debug)]
pub struct InputLink {
    /// Target population.
    pub pop: usize,
    /// Target port.
    pub port: usize,
    /// `dim × size`, row-major.
    pub weights: Vec<f32>,
}

/// How input weights are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputDist {
    /// Uniform in `[−scaling, scaling)`.
    Uniform,
    /// `±scaling` with equal probability.
    Bernoulli,
}

/// Draw input weights for `size` neurons and `dim` input dimensions: each (neuron, dimension)
/// pair is connected with probability `connectivity`, from the stream
/// `(seed, ReservoirInput, link, neuron, dimension)` (independent of threads and blocks).
pub fn draw_input_weights(
    seed: u64,
    link: u32,
    size: usize,
    dim: usize,
    scaling: f64,
    connectivity: f64,
    dist: InputDist,
) -> Vec<f32> {
    let mut w = vec![0.0f32; dim * size];
    for d in 0..dim {
        for i in 0..size {
            let mut r = CounterRng::new(seed, Purpose::ReservoirInput, link, i as u32, d as u64);
            if r.uniform() >= connectivity {
                continue;
            }
            let v = match dist {
                InputDist::Uniform => 2.0 * r.uniform() - 1.0,
                InputDist::Bernoulli => {
                    if r.uniform() < 0.5 {
                        -1.0
                    } else {
                        1.0
                    }
                }
            };
            w[d * size + i] = (scaling * v) as f32;
        }
    }
    w
}

/// A dense matrix read from a `.npy` file, checked: 2-D, `rows × cols` as expected (pass
/// `None` to accept any), every entry finite. `field` names the experiment field in errors.
pub fn read_matrix(
    path: &Path,
    field: &str,
    rows: Option<usize>,
    cols: Option<usize>,
) -> Result<(usize, usize, Vec<f64>)> {
    let (shape, data) = glia_io::read_array(path).map_err(|e| ReservoirError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let v = match data {
        glia_io::ArrayData::Float(v) => v,
        glia_io::ArrayData::Int(v) => v.into_iter().map(|x| x as f64).collect(),
    };
    let (r, c) = match shape[..] {
        [r, c] => (r, c),
        [r] if cols == Some(1) => (r, 1),
        _ => {
            return Err(ReservoirError::invalid(
                field,
                format!(
                    "{}: expected a 2-D matrix, got shape {shape:?}",
                    path.display()
                ),
            ));
        }
    };
    if rows.is_some_and(|n| n != r) || cols.is_some_and(|n| n != c) {
        return Err(ReservoirError::invalid(
            field,
            format!(
                "{}: shape {r} × {c}, expected {} × {}",
                path.display(),
                rows.map_or("any".into(), |n| n.to_string()),
                cols.map_or("any".into(), |n| n.to_string()),
            ),
        ));
    }
    if let Some(k) = v.iter().position(|x| !x.is_finite()) {
        return Err(ReservoirError::invalid(
            field,
            format!(
                "{}: entry ({}, {}) is {} (weights must be finite)",
                path.display(),
                k / c,
                k % c,
                v[k]
            ),
        ));
    }
    Ok((r, c, v))
}

/// A recurrent projection `pop → pop` from a dense square matrix `w[target][source]`
/// (`w[i·n + j]` is the weight from `j` to `i`, the convention of `x ← W x`): the nonzero
/// entries become explicit synapses with a one-step delay, rescaled to `spectral_radius` if
/// given.
pub fn dense_projection(
    model: &glia_spec::Model,
    pop: usize,
    port: &str,
    n: usize,
    w: &[f64],
    spectral_radius: Option<f64>,
) -> glia_spec::Projection {
    let (mut sources, mut targets, mut weights) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        for j in 0..n {
            let v = w[i * n + j];
            if v != 0.0 {
                sources.push(j as u32);
                targets.push(i as u32);
                weights.push(v);
            }
        }
    }
    let name = &model.populations[pop].name;
    glia_spec::Projection {
        name: format!("{name}->{name}#dense"),
        source: pop,
        target: pop,
        port: port.into(),
        connect: Connect::Explicit {
            sources,
            targets,
            weights: None,
            delays: None,
        },
        weight: Values::Array(weights),
        delay: Values::Const(model.dt),
        spectral_radius,
        plasticity: None,
        stp: None,
        path: "reservoir.recurrent".into(),
    }
}

/// What [`Esn::step`] reads from the feature populations after every step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FeatureKind {
    /// The state variable chosen per population (`x` of rate units; the first variable of
    /// other models).
    State,
    /// Spike counts (liquid-state machines): the number of spikes of each neuron in the last
    /// `window` steps, the current one included.
    Counts {
        /// Window \[steps\], ≥ 1.
        window: usize,
    },
    /// Exponentially filtered spike trains: `r(t) = Σ_{spikes s ≤ t} exp(−(t − s)·dt/τ)`,
    /// updated as `r ← r·decay + (spikes this step)` with `decay = exp(−dt/τ)`.
    Trace {
        /// `exp(−dt/τ)`, in (0, 1).
        decay: f64,
    },
}

/// A network driven as a reservoir.
pub struct Esn {
    /// The engine.
    pub net: Network,
    /// Input weights per population.
    pub inputs: Vec<InputLink>,
    /// Feature populations and the state variable read from each.
    pub features: Vec<(usize, usize)>,
    /// Input dimension.
    pub dim: usize,
    nfeat: usize,
    ubuf: Vec<f32>,
    sbuf: Vec<f32>,
    kind: FeatureKind,
    /// Spike counts or traces per feature (spike features).
    acc: Vec<f64>,
    /// Spike counts: the feature indices that spiked in each of the last `window` steps.
    ring: Vec<Vec<u32>>,
    ring_at: usize,
}

impl Esn {
    /// Wrap `net`. `features` are `(population, variable index)`; there must be at least one
    /// feature.
    pub fn new(
        net: Network,
        inputs: Vec<InputLink>,
        features: Vec<(usize, usize)>,
        dim: usize,
    ) -> Result<Self> {
        let nfeat: usize = features.iter().map(|&(p, _)| net.pops[p].size).sum();
        if nfeat == 0 {
            return Err(ReservoirError::invalid(
                "reservoir.features",
                "empty feature set: name at least one population with neurons",
            ));
        }
        for l in &inputs {
            assert_eq!(l.weights.len(), dim * net.pops[l.pop].size);
        }
        let big = net.pops.iter().map(|p| p.size).max().unwrap_or(0);
        Ok(Self {
            net,
            inputs,
            features,
            dim,
            nfeat,
            ubuf: vec![0.0; big],
            sbuf: vec![0.0; big],
            kind: FeatureKind::State,
            acc: Vec::new(),
            ring: Vec::new(),
            ring_at: 0,
        })
    }

    /// Read spike counts or traces instead of the state (see [`FeatureKind`]), from now on
    /// (counts and traces start at zero). Spike features need spiking feature populations:
    /// a rate population is an error naming it (`field` names the setting in errors).
    pub fn set_feature_kind(&mut self, kind: FeatureKind, field: &str) -> Result<()> {
        match kind {
            FeatureKind::State => {}
            FeatureKind::Counts { window: 0 } => {
                return Err(ReservoirError::invalid(
                    field,
                    "counting window must be ≥ 1 step",
                ));
            }
            FeatureKind::Trace { decay } if !(decay > 0.0 && decay < 1.0) => {
                return Err(ReservoirError::invalid(
                    field,
                    format!("trace decay exp(−dt/τ) must be in (0, 1), got {decay}"),
                ));
            }
            _ => {
                if let Some(&(p, _)) = self
                    .features
                    .iter()
                    .find(|&&(p, _)| matches!(self.net.pops[p].model, Model::Rate(_)))
                {
                    return Err(ReservoirError::invalid(
                        field,
                        format!(
                            "spike features need spiking populations; feature population {:?} \
                             is a rate population (use features = \"state\")",
                            self.net.pops[p].name
                        ),
                    ));
                }
            }
        }
        self.kind = kind;
        self.acc = vec![0.0; self.nfeat];
        self.ring = match kind {
            FeatureKind::Counts { window } => vec![Vec::new(); window],
            _ => Vec::new(),
        };
        self.ring_at = 0;
        Ok(())
    }

    /// What the features are.
    pub fn feature_kind(&self) -> FeatureKind {
        self.kind
    }

    /// Number of features (neurons of the feature populations).
    pub fn n_features(&self) -> usize {
        self.nfeat
    }

    /// Feed `u` (length `dim`), advance one step, write the features into `x` (length
    /// [`Esn::n_features`]).
    pub fn step(&mut self, u: &[f64], x: &mut [f64]) {
        for l in &self.inputs {
            let n = self.net.pops[l.pop].size;
            let buf = &mut self.ubuf[..n];
            buf.fill(0.0);
            for (d, &ud) in u.iter().enumerate() {
                let ud = ud as f32;
                for (b, &w) in buf.iter_mut().zip(&l.weights[d * n..(d + 1) * n]) {
                    *b += w * ud;
                }
            }
            self.net.add_input(l.pop, l.port, buf);
        }
        self.net.step();
        match self.kind {
            FeatureKind::State => {
                let mut at = 0;
                for &(p, var) in &self.features {
                    let n = self.net.pops[p].size;
                    let s = &mut self.sbuf[..n];
                    self.net.read_state(p, var, s);
                    for (o, &v) in x[at..at + n].iter_mut().zip(s.iter()) {
                        *o = f64::from(v);
                    }
                    at += n;
                }
                return;
            }
            FeatureKind::Counts { .. } => {
                // The step leaving the window, then this step's spikes.
                let slot = &mut self.ring[self.ring_at];
                for &f in slot.iter() {
                    self.acc[f as usize] -= 1.0;
                }
                slot.clear();
                let mut at = 0;
                for &(p, _) in &self.features {
                    for &i in &self.net.spikes[p] {
                        let f = at + i as usize;
                        self.acc[f] += 1.0;
                        slot.push(f as u32);
                    }
                    at += self.net.pops[p].size;
                }
                self.ring_at = (self.ring_at + 1) % self.ring.len();
            }
            FeatureKind::Trace { decay } => {
                self.acc.iter_mut().for_each(|r| *r *= decay);
                let mut at = 0;
                for &(p, _) in &self.features {
                    for &i in &self.net.spikes[p] {
                        self.acc[at + i as usize] += 1.0;
                    }
                    at += self.net.pops[p].size;
                }
            }
        }
        x[..self.nfeat].copy_from_slice(&self.acc);
    }

    /// Run over `u` (`T × dim`, row-major) and return the `T × F` feature matrix.
    pub fn run(&mut self, u: &[f64]) -> Mat<f64> {
        let t = u.len() / self.dim;
        // Collected one contiguous column per step (F × T; faer matrices are column-major),
        // then transposed once: writing a row of a T × F matrix each step would touch F
        // pages per step.
        let mut cols = Mat::<f64>::zeros(self.nfeat, t);
        let mut x = vec![0.0; self.nfeat];
        for s in 0..t {
            self.step(&u[s * self.dim..(s + 1) * self.dim], &mut x);
            cols.col_mut(s)
                .iter_mut()
                .zip(&x)
                .for_each(|(o, &v)| *o = v);
        }
        cols.transpose().to_owned()
    }
}

/// Whether population `pop` is a rate population with `dale = "inhibitory"`.
pub fn is_inhibitory(net: &Network, pop: usize) -> bool {
    matches!(&net.pops[pop].model, Model::Rate(r) if r.dale == Some(glia_sim::neurons::rate::Dale::Inhibitory))
}

/// Whether population `pop` is a rate population with `dale = "excitatory"`.
pub fn is_excitatory(net: &Network, pop: usize) -> bool {
    matches!(&net.pops[pop].model, Model::Rate(r) if r.dale == Some(glia_sim::neurons::rate::Dale::Excitatory))
}

/// Make a projection's weights per-synapse (so they can be changed one by one).
pub fn per_synapse(csr: &mut Csr) -> &mut Vec<f32> {
    if let Weights::Const(w) = csr.weights {
        csr.weights = Weights::PerSynapse(vec![w; csr.targets.len()]);
    }
    match &mut csr.weights {
        Weights::PerSynapse(v) => v,
        Weights::Const(_) => unreachable!(),
    }
}

/// Set the E/I balance: scale every projection from an inhibitory (`dale = "inhibitory"`) rate
/// population among `pops` into `pops` so that the total inhibitory weight magnitude is
/// `balance` times the total excitatory weight (projections from `dale = "excitatory"`
/// populations among `pops`). Returns the ratio before scaling.
pub fn set_ei_balance(net: &mut Network, pops: &[usize], balance: f64) -> Result<f64> {
    if !(balance >= 0.0 && balance.is_finite()) {
        return Err(ReservoirError::invalid(
            "reservoir.ei_balance",
            format!("must be ≥ 0 and finite, got {balance}"),
        ));
    }
    let (mut e, mut i) = (0.0f64, 0.0f64);
    let inh: Vec<bool> = (0..net.pops.len()).map(|p| is_inhibitory(net, p)).collect();
    let exc: Vec<bool> = (0..net.pops.len()).map(|p| is_excitatory(net, p)).collect();
    let inside = |pr: &glia_sim::Proj| pops.contains(&pr.source) && pops.contains(&pr.target);
    for pr in net.projs.iter().filter(|p| inside(p)) {
        let total: f64 = (0..pr.csr.len())
            .map(|q| f64::from(pr.csr.weights.at(q)).abs())
            .sum();
        if inh[pr.source] {
            i += total;
        } else if exc[pr.source] {
            e += total;
        }
    }
    if e == 0.0 || i == 0.0 {
        return Err(ReservoirError::invalid(
            "reservoir.ei_balance",
            format!(
                "needs excitatory and inhibitory rate populations (dale = \"excitatory\" / \
                 \"inhibitory\") connected among the reservoir populations; total excitatory \
                 weight {e}, inhibitory {i}"
            ),
        ));
    }
    let before = i / e;
    let scale = (balance / before) as f32;
    for pr in net.projs.iter_mut().filter(|p| inh[p.source]) {
        if pops.contains(&pr.source) && pops.contains(&pr.target) {
            per_synapse(&mut pr.csr)
                .iter_mut()
                .for_each(|w| *w *= scale);
        }
    }
    Ok(before)
}

//! Poisson spike sources: a population whose neurons fire independently at a given rate.
//!
//! In each step of length `h` neuron `i` spikes with probability `p_i = rate_i · h` (a
//! Bernoulli approximation of a Poisson process, as Brian2's `PoissonGroup`; at most one spike
//! per step, so `rate · h ≤ 1` is required). Draws come from the counter-based stream
//! `(seed, PoissonSource, population, neuron, step)`.
//!
//! | param | unit | default | meaning |
//! |---|---|---|---|
//! | `rate` | Hz | — | number, per-neuron array, distribution or `{ file = ... }` |
//!
//! No state variables.

use glia_core::{CounterRng, Purpose};

/// A Poisson source population.
#[derive(Clone, Debug)]
pub struct PoissonSource {
    /// Spike probability per step, per neuron (population-wide indexing).
    pub p: Vec<f64>,
    /// Stream id (population number).
    pub id: u32,
}

impl PoissonSource {
    /// Emit this step's spikes for neurons `offset..offset + n`.
    pub fn update(&self, seed: u64, step: u64, offset: u32, n: usize, spikes: &mut Vec<u32>) {
        let p = &self.p[offset as usize..offset as usize + n];
        for (i, &pi) in p.iter().enumerate() {
            if pi > 0.0 {
                let g = offset + i as u32;
                let mut rng = CounterRng::new(seed, Purpose::PoissonSource, self.id, g, step);
                if rng.uniform() < pi {
                    spikes.push(g);
                }
            }
        }
    }
}

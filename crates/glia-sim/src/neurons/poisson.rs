//! Poisson spike sources: a population whose neurons fire independently at a given rate.
//!
//! In each step of length `h` neuron `i` spikes with probability `p_i = rate_i · h` (a
//! Bernoulli process: the discrete-time Poisson process of Brian2's `PoissonGroup`; at most one
//! spike per step, so `rate · h ≤ 1` is required).
//!
//! **Skipping.** Instead of one random number per neuron and step, each neuron keeps the step of
//! its next spike: the number of silent steps before a spike of a Bernoulli(`p`) process is
//! geometric, `P(G ≥ k) = (1 − p)^k`, drawn by inversion `G = ⌊ln U / ln(1 − p)⌋`, `U` uniform in
//! (0, 1]. This gives exactly the same process (independent Bernoulli trials per step) with one
//! draw per *spike*; a step only compares each neuron's next-spike step with the current one,
//! and a block whose earliest next spike lies ahead is skipped. Draws come from the
//! counter-based stream `(seed, PoissonSource, population, neuron, step of the spike)`; the first
//! draw, and the redraw when rates are changed (`Network::set_rates`; exact, the process is
//! memoryless), from `(seed, PoissonSource, population | 2²³, neuron, step)`. Every draw belongs
//! to one neuron, so the spikes do not depend on blocks or threads.
//!
//! | param | unit | default | meaning |
//! |---|---|---|---|
//! | `rate` | Hz | — | number, per-neuron array, distribution or `{ file = ... }` |
//!
//! No state variables.

use glia_core::{CounterRng, Purpose};

/// Bit set in the stream id of first draws and redraws after a rate change.
const REDRAW: u32 = 1 << 23;

/// A Poisson source population.
#[derive(Clone, Debug)]
pub struct PoissonSource {
    /// Spike probability per step, per neuron (population-wide indexing).
    pub p: Vec<f64>,
    /// `ln(1 − p)` per neuron (`−∞` for `p = 1`).
    pub ln_q: Vec<f64>,
    /// Stream id (population number).
    pub id: u32,
}

/// The state of one block of a Poisson population: each neuron's next spike step.
#[derive(Clone, Debug)]
pub struct PoissonState {
    /// Step of each neuron's next spike (`u64::MAX`: never).
    pub next: Vec<u64>,
    /// The smallest of `next`.
    pub first: u64,
}

impl PoissonSource {
    /// A source with spike probabilities `p` per step.
    pub fn new(p: Vec<f64>, id: u32) -> Self {
        let ln_q = p.iter().map(|&x| (-x).ln_1p()).collect();
        Self { p, ln_q, id }
    }

    /// Set new spike probabilities (same length).
    pub fn set_probabilities(&mut self, p: &[f64]) {
        for ((q, l), &x) in self.p.iter_mut().zip(&mut self.ln_q).zip(p) {
            *q = x;
            *l = (-x).ln_1p();
        }
    }

    /// Silent steps before the next spike of neuron `g` (geometric), from stream `(id, g, step)`.
    #[inline]
    fn gap(&self, seed: u64, id: u32, g: u32, step: u64) -> u64 {
        let p = self.p[g as usize];
        if p <= 0.0 {
            return u64::MAX;
        }
        if p >= 1.0 {
            return 0;
        }
        let u = CounterRng::new(seed, Purpose::PoissonSource, id, g, step).uniform_open0();
        // `as` saturates: a gap beyond u64 is "never".
        (u.ln() / self.ln_q[g as usize]).floor() as u64
    }

    /// Draw the next spike of neurons `offset..offset + n` afresh from step `step` on (at the
    /// start, and after the rates changed).
    pub fn redraw(&self, st: &mut PoissonState, seed: u64, step: u64, offset: u32) {
        let mut first = u64::MAX;
        for (i, nx) in st.next.iter_mut().enumerate() {
            let g = offset + i as u32;
            *nx = step.saturating_add(self.gap(seed, self.id | REDRAW, g, step));
            first = first.min(*nx);
        }
        st.first = first;
    }

    /// A fresh block state for neurons `offset..offset + n`, from step 0.
    pub fn state(&self, seed: u64, offset: u32, n: usize) -> PoissonState {
        let mut st = PoissonState {
            next: vec![u64::MAX; n],
            first: u64::MAX,
        };
        self.redraw(&mut st, seed, 0, offset);
        st
    }

    /// Emit this step's spikes for neurons `offset..offset + n` (the block of `st`).
    pub fn update(
        &self,
        st: &mut PoissonState,
        seed: u64,
        step: u64,
        offset: u32,
        n: usize,
        spikes: &mut Vec<u32>,
    ) {
        if st.first > step {
            return;
        }
        let mut first = u64::MAX;
        for (i, nx) in st.next[..n].iter_mut().enumerate() {
            if *nx <= step {
                let g = offset + i as u32;
                spikes.push(g);
                *nx = (step + 1).saturating_add(self.gap(seed, self.id, g, step));
            }
            first = first.min(*nx);
        }
        st.first = first;
    }
}

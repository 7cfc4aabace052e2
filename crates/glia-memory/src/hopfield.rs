//! The classical Hopfield network (Hopfield 1982) with Hebbian storage.
//!
//! `N` binary neurons `s_i = ±1`; `p` patterns `ξ^μ` are stored with the Hebb rule
//! `J_ij = Σ_μ ξ^μ_i ξ^μ_j` (`i ≠ j`, `J_ii = 0`), kept as exact integers; the usual `1/N` factor
//! is applied only in [`Hopfield::energy`], so the dynamics are exact integer arithmetic.
//!
//! - local field `h_i = Σ_j J_ij s_j`; update `s_i ← sign(h_i)` (unchanged when `h_i = 0`);
//! - asynchronous dynamics: one sweep updates every neuron once in a random order (stream
//!   `(seed, Purpose::Memory, 0x40, sweep)`), each update seeing the previous ones; the energy
//!   `E = −(1/2N) Σ_ij J_ij s_i s_j` never increases and the dynamics reach a fixed point;
//! - synchronous dynamics: all neurons at once from the same state (may end in a 2-cycle).
//!
//! Capacity: for random patterns and `N → ∞` retrieval breaks down at the load
//! `α = p/N ≈ 0.138` (Amit, Gutfreund & Sompolinsky 1985), where the fraction of wrong bits of
//! the retrieved state jumps from about 1.5 % to about 50 %; see [`retrieval_error`].

use crate::error::{MemoryError, Result};
use glia_core::rng::{CounterRng, Purpose};
use rand_core::RngCore;
use rayon::prelude::*;

/// How the neurons are updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// One neuron at a time, in a random order per sweep.
    Async,
    /// All neurons from the same previous state.
    Sync,
}

/// A Hopfield network of `n` ±1 neurons.
#[derive(Clone, Debug)]
pub struct Hopfield {
    n: usize,
    w: Vec<i32>,
    patterns: usize,
}

fn check_pattern(n: usize, s: &[i8], what: &'static str) -> Result<()> {
    if s.len() != n {
        return Err(MemoryError::SizeMismatch {
            what,
            left: s.len(),
            right: n,
        });
    }
    if let Some(&x) = s.iter().find(|&&x| x != 1 && x != -1) {
        return Err(MemoryError::param(what, "entries must be +1 or -1", x));
    }
    Ok(())
}

impl Hopfield {
    /// `n` neurons, no patterns. Errors: `n == 0`.
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(MemoryError::param("n", "must be > 0", n));
        }
        Ok(Self {
            n,
            w: vec![0; n * n],
            patterns: 0,
        })
    }

    /// A network storing all `patterns` (each of length `n`, entries ±1).
    pub fn with_patterns(n: usize, patterns: &[Vec<i8>]) -> Result<Self> {
        let mut h = Self::new(n)?;
        for p in patterns {
            check_pattern(n, p, "pattern")?;
        }
        // Row-parallel Hebbian sum: integer, so the order of summation does not matter.
        h.w.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            for p in patterns {
                let pi = i32::from(p[i]);
                for (wij, &pj) in row.iter_mut().zip(p.iter()) {
                    *wij += pi * i32::from(pj);
                }
            }
            row[i] = 0;
        });
        h.patterns = patterns.len();
        Ok(h)
    }

    /// Adds one pattern with the Hebb rule.
    pub fn store(&mut self, pattern: &[i8]) -> Result<()> {
        check_pattern(self.n, pattern, "pattern")?;
        let n = self.n;
        self.w.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            let pi = i32::from(pattern[i]);
            for (wij, &pj) in row.iter_mut().zip(pattern) {
                *wij += pi * i32::from(pj);
            }
            row[i] = 0;
        });
        self.patterns += 1;
        Ok(())
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always `false` (a network has at least one neuron).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Number of stored patterns.
    pub fn patterns(&self) -> usize {
        self.patterns
    }

    /// The integer couplings `J_ij = Σ_μ ξ^μ_i ξ^μ_j`, row-major.
    pub fn weights(&self) -> &[i32] {
        &self.w
    }

    /// Local field `h_i = Σ_j J_ij s_j`.
    #[inline]
    pub fn field(&self, i: usize, s: &[i8]) -> i64 {
        let row = &self.w[i * self.n..(i + 1) * self.n];
        // i32 partial sums in chunks (vectorisable, no overflow below 2^31 / (64 p)), i64 total.
        row.chunks(64)
            .zip(s.chunks(64))
            .map(|(r, x)| {
                i64::from(
                    r.iter()
                        .zip(x)
                        .map(|(&w, &sj)| w * i32::from(sj))
                        .sum::<i32>(),
                )
            })
            .sum()
    }

    /// Energy `E = −(1/2N) Σ_ij J_ij s_i s_j`.
    pub fn energy(&self, s: &[i8]) -> Result<f64> {
        check_pattern(self.n, s, "state")?;
        let e: i64 = (0..self.n)
            .map(|i| i64::from(s[i]) * self.field(i, s))
            .sum();
        Ok(-(e as f64) / (2.0 * self.n as f64))
    }

    /// One synchronous step from `s` into `out`; returns the number of neurons that changed.
    pub fn step_sync(&self, s: &[i8], out: &mut [i8]) -> Result<usize> {
        check_pattern(self.n, s, "state")?;
        if out.len() != self.n {
            return Err(MemoryError::SizeMismatch {
                what: "step_sync output",
                left: out.len(),
                right: self.n,
            });
        }
        out.par_iter_mut().enumerate().for_each(|(i, o)| {
            let h = self.field(i, s);
            *o = if h > 0 {
                1
            } else if h < 0 {
                -1
            } else {
                s[i]
            };
        });
        Ok(s.iter().zip(out.iter()).filter(|(a, b)| a != b).count())
    }

    /// One asynchronous sweep in the random order of stream `(seed, Memory, 0x40, sweep)`;
    /// returns the number of flips.
    pub fn sweep_async(&self, s: &mut [i8], seed: u64, sweep: u64) -> Result<usize> {
        check_pattern(self.n, s, "state")?;
        let mut order: Vec<u32> = (0..self.n as u32).collect();
        let mut rng = CounterRng::new(seed, Purpose::Memory, 0x40, 0, sweep);
        for k in (1..order.len()).rev() {
            let j = rng.below(k as u64 + 1) as usize;
            order.swap(k, j);
        }
        let mut flips = 0;
        for &i in &order {
            let i = i as usize;
            let h = self.field(i, s);
            let new = if h > 0 {
                1
            } else if h < 0 {
                -1
            } else {
                s[i]
            };
            flips += usize::from(new != s[i]);
            s[i] = new;
        }
        Ok(flips)
    }

    /// Runs the dynamics from `s` until a fixed point (or, for [`Update::Sync`], a fixed point
    /// or 2-cycle) or `max_sweeps`; returns the number of sweeps done.
    pub fn recall(
        &self,
        s: &mut [i8],
        mode: Update,
        max_sweeps: usize,
        seed: u64,
    ) -> Result<usize> {
        check_pattern(self.n, s, "state")?;
        let mut prev = s.to_vec();
        let mut next = vec![0i8; self.n];
        for sweep in 0..max_sweeps {
            let changed = match mode {
                Update::Async => self.sweep_async(s, seed, sweep as u64)?,
                Update::Sync => {
                    self.step_sync(s, &mut next)?;
                    let cycle = next == prev;
                    prev.copy_from_slice(s);
                    let changed = s.iter().zip(&next).filter(|(a, b)| a != b).count();
                    s.copy_from_slice(&next);
                    if cycle && changed > 0 {
                        return Ok(sweep + 1);
                    }
                    changed
                }
            };
            if changed == 0 {
                return Ok(sweep + 1);
            }
        }
        Ok(max_sweeps)
    }
}

/// `p` random ±1 patterns of length `n` from stream `(seed, Memory, 0x41, μ)`.
pub fn random_patterns(n: usize, p: usize, seed: u64) -> Vec<Vec<i8>> {
    (0..p)
        .map(|mu| {
            let mut rng = CounterRng::new(seed, Purpose::Memory, 0x41, mu as u32, 0);
            let mut v = Vec::with_capacity(n);
            while v.len() < n {
                let bits = rng.next_u64();
                for b in 0..64.min(n - v.len()) {
                    v.push(if (bits >> b) & 1 == 1 { 1 } else { -1 });
                }
            }
            v
        })
        .collect()
}

/// Retrieval error at load `α = p / n`: `p` random patterns are stored; each of the first
/// `probes` patterns is used as the initial state and the asynchronous dynamics run to a fixed
/// point (at most 100 sweeps). Returns the mean fraction of wrong bits, `(1 − m) / 2` with `m`
/// the final overlap with the pattern. Probes run in parallel; the result does not depend on
/// the number of threads.
pub fn retrieval_error(n: usize, p: usize, probes: usize, seed: u64) -> Result<f64> {
    if p == 0 {
        return Err(MemoryError::param("p", "must be > 0", p));
    }
    if probes == 0 || probes > p {
        return Err(MemoryError::param("probes", "must be in 1..=p", probes));
    }
    let pats = random_patterns(n, p, seed);
    let net = Hopfield::with_patterns(n, &pats)?;
    let errs: Vec<usize> = (0..probes)
        .into_par_iter()
        .map(|mu| {
            let mut s = pats[mu].clone();
            net.recall(&mut s, Update::Async, 100, seed ^ (mu as u64) << 32)
                .expect("valid state");
            s.iter().zip(&pats[mu]).filter(|(a, b)| a != b).count()
        })
        .collect();
    Ok(errs.iter().sum::<usize>() as f64 / (probes * n) as f64)
}

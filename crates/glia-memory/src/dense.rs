//! Dense associative memories: many-body interactions between ±1 neurons.
//!
//! **Dense associative memory** (Krotov & Hopfield 2016, "Dense associative memory for pattern
//! recognition"). `K` patterns `ξ^μ` on `N` neurons, energy
//! `E(σ) = −Σ_μ F(ξ^μ · σ)` with the interaction function `F(x) = x^P`
//! ([`Interaction::Polynomial`]) or `F(x) = max(x, 0)^P` ([`Interaction::Rectified`]). `P = 2` is
//! the classical Hopfield network (up to a constant); larger `P` stores about `N^{P−1}`
//! patterns. A neuron takes the state of lower energy given the others:
//! `σ_i ← sign(Σ_μ [F(ξ^μ_i + x^μ_i) − F(−ξ^μ_i + x^μ_i)])`, `x^μ_i = Σ_{j≠i} ξ^μ_j σ_j`.
//!
//! **Supervised dense Hebbian network** (Agliari, Albanese, Alemanno, Barra, Fachechi, Tantari
//! & Durante 2022, "Dense Hebbian neural networks: a replica symmetric picture of supervised
//! learning"). The archetypes `ξ^μ` are not given, only `M` noisy examples per class,
//! `η^{μ,a} = χ^{μ,a} ξ^μ` with `P(χ = ±1) = (1 ± r)/2`. The network stores the class averages
//! `η̄^μ = (1/(M r)) Σ_a η^{μ,a}` and has the `P`-body cost function
//! `H(σ) = −(N / (2 R^{P/2})) Σ_μ (m̄_μ)^P`, with `m̄_μ = (1/N) Σ_i η̄^μ_i σ_i` and
//! `R = r² + (1 − r²)/M` (our reading of their eq. 2; the normalisation only rescales the
//! temperature). Monte-Carlo (Glauber, heat-bath) dynamics at temperature `T = 1/β`: neuron `i`
//! flips with probability `1 / (1 + exp(β ΔH_i))`; at `T = 0` it flips iff `ΔH_i < 0`.
//!
//! Both keep the overlaps up to date after each flip (`O(K)` per neuron update). The visiting
//! order and the Glauber coins come from the stream `(seed, Purpose::Memory, id, sweep)`.

use crate::error::{MemoryError, Result};
use glia_core::rng::{CounterRng, Purpose};

fn check_state(n: usize, s: &[i8], what: &'static str) -> Result<()> {
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

fn permutation(n: usize, rng: &mut CounterRng) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    for k in (1..n).rev() {
        let j = rng.below(k as u64 + 1) as usize;
        order.swap(k, j);
    }
    order
}

/// The interaction function `F` of a [`DenseAm`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interaction {
    /// `F(x) = x^P`.
    Polynomial(u32),
    /// `F(x) = max(x, 0)^P`.
    Rectified(u32),
}

impl Interaction {
    /// `F(x)`.
    #[inline]
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Self::Polynomial(p) => x.powi(p as i32),
            Self::Rectified(p) => x.max(0.0).powi(p as i32),
        }
    }
}

/// Dense associative memory (Krotov & Hopfield 2016); see the module docs.
#[derive(Clone, Debug)]
pub struct DenseAm {
    n: usize,
    xi: Vec<i8>,
    f: Interaction,
}

impl DenseAm {
    /// Stores `patterns` (each of length `n`, entries ±1) with interaction `f`.
    ///
    /// Errors: `n == 0`, no patterns, bad patterns, `P < 1` or `P > 200`.
    pub fn new(n: usize, patterns: &[Vec<i8>], f: Interaction) -> Result<Self> {
        if n == 0 {
            return Err(MemoryError::param("n", "must be > 0", n));
        }
        if patterns.is_empty() {
            return Err(MemoryError::param("patterns", "must not be empty", 0));
        }
        let (Interaction::Polynomial(p) | Interaction::Rectified(p)) = f;
        if !(1..=200).contains(&p) {
            return Err(MemoryError::param("P", "must be in 1..=200", p));
        }
        let mut xi = Vec::with_capacity(n * patterns.len());
        for pat in patterns {
            check_state(n, pat, "pattern")?;
            xi.extend_from_slice(pat);
        }
        Ok(Self { n, xi, f })
    }

    /// Number of patterns `K`.
    pub fn num_patterns(&self) -> usize {
        self.xi.len() / self.n
    }

    /// Overlaps `ξ^μ · σ` for all patterns.
    pub fn overlaps(&self, s: &[i8]) -> Result<Vec<i64>> {
        check_state(self.n, s, "state")?;
        Ok(self
            .xi
            .chunks(self.n)
            .map(|x| x.iter().zip(s).map(|(&a, &b)| i64::from(a * b)).sum())
            .collect())
    }

    /// Energy `E = −Σ_μ F(ξ^μ · σ)`.
    pub fn energy(&self, s: &[i8]) -> Result<f64> {
        Ok(-self
            .overlaps(s)?
            .iter()
            .map(|&x| self.f.eval(x as f64))
            .sum::<f64>())
    }

    /// The energy split by class: `E_c = −Σ_{μ: labels[μ] = c} F(ξ^μ · σ)` for `c < classes`.
    /// With labelled examples as the memories, `argmin_c E_c` is the class whose memories pull
    /// the state most strongly (for large `P` the class of the nearest memory).
    ///
    /// Errors: `labels` not one per pattern, a label `>= classes`, a bad state.
    pub fn energy_by_class(&self, s: &[i8], labels: &[usize], classes: usize) -> Result<Vec<f64>> {
        if labels.len() != self.num_patterns() {
            return Err(MemoryError::SizeMismatch {
                what: "labels vs patterns",
                left: labels.len(),
                right: self.num_patterns(),
            });
        }
        let mut e = vec![0.0; classes];
        for (x, &c) in self.overlaps(s)?.iter().zip(labels) {
            if c >= classes {
                return Err(MemoryError::param("labels", "must be < classes", c));
            }
            e[c] -= self.f.eval(*x as f64);
        }
        Ok(e)
    }

    /// Runs the zero-temperature asynchronous dynamics (random order per sweep) until no
    /// neuron changes or `max_sweeps`; returns the number of sweeps.
    pub fn recall(&self, s: &mut [i8], max_sweeps: usize, seed: u64) -> Result<usize> {
        let mut m = self.overlaps(s)?;
        for sweep in 0..max_sweeps {
            let mut rng = CounterRng::new(seed, Purpose::Memory, 0x50, 0, sweep as u64);
            let mut flips = 0;
            for i in permutation(self.n, &mut rng) {
                let i = i as usize;
                let si = i64::from(s[i]);
                // E(σ_i = +1) − E(σ_i = −1) = −Σ_μ [F(x + ξ_i) − F(x − ξ_i)].
                let mut d = 0.0;
                for (mu, &mm) in m.iter().enumerate() {
                    let xmu = i64::from(self.xi[mu * self.n + i]);
                    let x = (mm - xmu * si) as f64;
                    d += self.f.eval(x + xmu as f64) - self.f.eval(x - xmu as f64);
                }
                let new = if d > 0.0 {
                    1
                } else if d < 0.0 {
                    -1
                } else {
                    s[i]
                };
                if new != s[i] {
                    for (mu, mm) in m.iter_mut().enumerate() {
                        *mm += 2 * i64::from(self.xi[mu * self.n + i]) * i64::from(new);
                    }
                    s[i] = new;
                    flips += 1;
                }
            }
            if flips == 0 {
                return Ok(sweep + 1);
            }
        }
        Ok(max_sweeps)
    }
}

/// The supervised dense Hebbian network of Agliari et al. (2022); see the module docs.
#[derive(Clone, Debug)]
pub struct DenseHebbian {
    n: usize,
    k: usize,
    p: u32,
    /// Class averages `η̄^μ`, row-major `K × N`.
    eta: Vec<f64>,
    /// `N / (2 R^{P/2})`.
    scale: f64,
}

impl DenseHebbian {
    /// From `examples[μ][a]` (`K` classes, `M` examples each, all of length `n`, entries ±1),
    /// example quality `r` in (0, 1] and interaction order `p ≥ 2`.
    ///
    /// Errors: no classes, classes with different or zero numbers of examples, bad examples,
    /// `r` outside (0, 1], `p < 2` or `p > 30`.
    pub fn from_examples(examples: &[Vec<Vec<i8>>], r: f64, p: u32) -> Result<Self> {
        if examples.is_empty() {
            return Err(MemoryError::param(
                "examples",
                "must have at least one class",
                0,
            ));
        }
        let m = examples[0].len();
        if m == 0 {
            return Err(MemoryError::param("examples[0]", "must not be empty", 0));
        }
        if !(r > 0.0 && r <= 1.0) {
            return Err(MemoryError::param("r", "must be in (0, 1]", r));
        }
        if !(2..=30).contains(&p) {
            return Err(MemoryError::param("P", "must be in 2..=30", p));
        }
        let n = examples[0][0].len();
        if n == 0 {
            return Err(MemoryError::param("n", "must be > 0", n));
        }
        let k = examples.len();
        let mut eta = vec![0.0; k * n];
        for (mu, class) in examples.iter().enumerate() {
            if class.len() != m {
                return Err(MemoryError::SizeMismatch {
                    what: "examples per class",
                    left: class.len(),
                    right: m,
                });
            }
            let row = &mut eta[mu * n..(mu + 1) * n];
            for ex in class {
                check_state(n, ex, "example")?;
                for (e, &x) in row.iter_mut().zip(ex) {
                    *e += f64::from(x);
                }
            }
            let norm = 1.0 / (m as f64 * r);
            row.iter_mut().for_each(|e| *e *= norm);
        }
        let big_r = r * r + (1.0 - r * r) / m as f64;
        let scale = n as f64 / (2.0 * big_r.powf(f64::from(p) / 2.0));
        Ok(Self {
            n,
            k,
            p,
            eta,
            scale,
        })
    }

    /// Subtracts the mean over classes from every class average,
    /// `η̄^μ ← η̄^μ − (1/K) Σ_ν η̄^ν`. Real data such as MNIST have archetypes that share much
    /// of their pixels (the background); the theory assumes unbiased, uncorrelated archetypes,
    /// and without centering every state falls into the attractor of the class with the most
    /// background. (A preprocessing step of ours, not of the paper.)
    pub fn centered(mut self) -> Self {
        let (n, k) = (self.n, self.k);
        let mut mean = vec![0.0; n];
        for row in self.eta.chunks(n) {
            for (m, &e) in mean.iter_mut().zip(row) {
                *m += e / k as f64;
            }
        }
        for row in self.eta.chunks_mut(n) {
            for (e, &m) in row.iter_mut().zip(&mean) {
                *e -= m;
            }
        }
        self
    }

    /// Number of neurons `N`.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always `false`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Number of classes `K`.
    pub fn classes(&self) -> usize {
        self.k
    }

    /// The class averages `η̄^μ` (row-major `K × N`).
    pub fn averages(&self) -> &[f64] {
        &self.eta
    }

    /// Mattis overlaps `m̄_μ = (1/N) Σ_i η̄^μ_i σ_i`.
    pub fn mattis(&self, s: &[i8]) -> Result<Vec<f64>> {
        check_state(self.n, s, "state")?;
        Ok(self
            .eta
            .chunks(self.n)
            .map(|e| {
                e.iter()
                    .zip(s)
                    .map(|(&a, &b)| a * f64::from(b))
                    .sum::<f64>()
                    / self.n as f64
            })
            .collect())
    }

    /// Cost `H(σ) = −(N / (2 R^{P/2})) Σ_μ m̄_μ^P`.
    pub fn cost(&self, s: &[i8]) -> Result<f64> {
        let p = self.p as i32;
        Ok(-self.scale * self.mattis(s)?.iter().map(|m| m.powi(p)).sum::<f64>())
    }

    /// The class with the largest Mattis overlap (the first on ties).
    pub fn classify(&self, s: &[i8]) -> Result<usize> {
        let m = self.mattis(s)?;
        Ok(m.iter()
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (i, &x)| if x > b.1 { (i, x) } else { b },
            )
            .0)
    }

    /// `sweeps` sweeps of Glauber dynamics at temperature `t` (`t = 0`: greedy descent) in
    /// random order, from the stream `(seed, Memory, 0x60, id, sweep)`; returns the number of
    /// flips. Stops early at `t = 0` when a sweep flips nothing.
    pub fn glauber(
        &self,
        s: &mut [i8],
        sweeps: usize,
        t: f64,
        seed: u64,
        id: u32,
    ) -> Result<usize> {
        if !(t >= 0.0 && t.is_finite()) {
            return Err(MemoryError::param("T", "must be finite and >= 0", t));
        }
        let mut m = self.mattis(s)?;
        let (n, p) = (self.n, self.p as i32);
        let beta = if t > 0.0 { 1.0 / t } else { f64::INFINITY };
        let mut total = 0;
        for sweep in 0..sweeps {
            let mut rng = CounterRng::new(seed, Purpose::Memory, 0x60, id, sweep as u64);
            let mut flips = 0;
            for i in permutation(n, &mut rng) {
                let i = i as usize;
                let si = f64::from(s[i]);
                let mut dh = 0.0;
                for (mu, &mm) in m.iter().enumerate() {
                    let new = mm - 2.0 * si * self.eta[mu * n + i] / n as f64;
                    dh += new.powi(p) - mm.powi(p);
                }
                dh *= -self.scale;
                let flip = if beta.is_infinite() {
                    dh < 0.0
                } else {
                    let u = rng.uniform();
                    u < 1.0 / (1.0 + (beta * dh).exp())
                };
                if flip {
                    for (mu, mm) in m.iter_mut().enumerate() {
                        *mm -= 2.0 * si * self.eta[mu * n + i] / n as f64;
                    }
                    s[i] = -s[i];
                    flips += 1;
                }
            }
            total += flips;
            if flips == 0 && beta.is_infinite() {
                break;
            }
        }
        Ok(total)
    }
}

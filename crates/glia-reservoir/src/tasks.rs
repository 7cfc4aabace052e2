//! Generated task data (no downloads): i.i.d. uniform inputs (memory capacity), NARMA-10 and
//! the Mackey–Glass series.

use crate::error::{ReservoirError, Result};
use glia_core::{CounterRng, Purpose};

/// `n` values i.i.d. uniform in `[low, high)` from the stream `(seed, ReservoirTask, id)`.
pub fn uniform(seed: u64, id: u32, n: usize, low: f64, high: f64) -> Vec<f64> {
    let mut rng = CounterRng::new(seed, Purpose::ReservoirTask, id, 0, 0);
    (0..n).map(|_| low + (high - low) * rng.uniform()).collect()
}

/// NARMA-10 (Atiya & Parlos 2000): for input `u` (conventionally uniform in `[0, 0.5]`),
///
/// ```text
/// y(t+1) = 0.3 y(t) + 0.05 y(t) Σ_{i=0}^{9} y(t−i) + 1.5 u(t−9) u(t) + 0.1
/// ```
///
/// with `y(t) = 0` for `t < 10`. Returns the target aligned with the input: element `t` is
/// `y(t+1)`, the value a readout sees after the reservoir has taken `u(t)`.
pub fn narma10(u: &[f64]) -> Vec<f64> {
    let n = u.len();
    let mut y = vec![0.0; n + 1];
    for t in 9..n {
        let s: f64 = y[t - 9..=t].iter().sum();
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * s + 1.5 * u[t - 9] * u[t] + 0.1;
    }
    y[1..].to_vec()
}

/// Parameters of the Mackey–Glass delay equation
/// `dx/dt = β x(t−τ) / (1 + x(t−τ)^p) − γ x(t)`.
#[derive(Clone, Copy, Debug)]
pub struct MackeyGlass {
    /// Delay `τ`.
    pub tau: f64,
    /// Production rate `β`.
    pub beta: f64,
    /// Decay rate `γ`.
    pub gamma: f64,
    /// Exponent `p`.
    pub p: f64,
    /// Constant history `x(t) = x0` for `t ≤ 0`.
    pub x0: f64,
    /// Integration step `h` (`τ/h` and `sample/h` must be whole numbers).
    pub h: f64,
    /// Sampling interval of the returned series.
    pub sample: f64,
}

impl Default for MackeyGlass {
    /// `τ = 17, β = 0.2, γ = 0.1, p = 10, x0 = 1.2, h = 0.1`, sampled every 1 time unit.
    fn default() -> Self {
        Self {
            tau: 17.0,
            beta: 0.2,
            gamma: 0.1,
            p: 10.0,
            x0: 1.2,
            h: 0.1,
            sample: 1.0,
        }
    }
}

impl MackeyGlass {
    /// `n` samples `x(k·sample)`, `k = 1..=n`, integrated by the classical fourth-order
    /// Runge–Kutta method with step `h`. The delayed term at the half step, `x(t + h/2 − τ)`,
    /// is the mean of the two neighbouring grid values (linear interpolation, second-order
    /// accurate in the delayed argument); with `h = 0.1`
    /// the series agrees with `h = 0.01` to 1.4e-4 over the first 200 time units, after which
    /// chaos amplifies any difference.
    pub fn generate(&self, n: usize) -> Result<Vec<f64>> {
        let lag = self.tau / self.h;
        let every = self.sample / self.h;
        let whole = |v: f64| v >= 1.0 && (v - v.round()).abs() < 1e-9;
        if self.h.is_nan() || self.h <= 0.0 || !whole(lag) || !whole(every) {
            return Err(ReservoirError::invalid(
                "task.h",
                format!(
                    "tau/h and sample/h must be whole numbers ≥ 1, got tau = {}, sample = {}, \
                     h = {}",
                    self.tau, self.sample, self.h
                ),
            ));
        }
        let (lag, every) = (lag.round() as usize, every.round() as usize);
        let f = |x: f64, xd: f64| self.beta * xd / (1.0 + xd.powf(self.p)) - self.gamma * x;
        // hist[k] = x((k − lag)·h): the grid from −τ on.
        let total = n * every;
        let mut hist = Vec::with_capacity(lag + total + 1);
        hist.resize(lag + 1, self.x0);
        let h = self.h;
        let mut out = Vec::with_capacity(n);
        for s in 0..total {
            let i = lag + s; // index of x(s·h)
            let x = hist[i];
            let d0 = hist[i - lag];
            let d1 = hist[i - lag + 1];
            let dm = 0.5 * (d0 + d1);
            let k1 = f(x, d0);
            let k2 = f(x + 0.5 * h * k1, dm);
            let k3 = f(x + 0.5 * h * k2, dm);
            let k4 = f(x + h * k3, d1);
            hist.push(x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4));
            if (s + 1) % every == 0 {
                out.push(hist[i + 1]);
            }
        }
        Ok(out)
    }
}

/// A generated pattern-classification task (see [`patterns`]).
#[derive(Clone, Debug)]
pub struct Patterns {
    /// The input series: the presentations one after the other, `length` samples each.
    pub input: Vec<f64>,
    /// The class of each presentation.
    pub labels: Vec<usize>,
}

/// `count` noisy presentations of `classes` template series of `length` samples: template `c`
/// is i.i.d. uniform in `[−1, 1]` (stream `(seed, ReservoirTask, 10 + c)`), the label of each
/// presentation uniform in `0..classes` (stream 8), and every sample of a presentation gets
/// i.i.d. uniform noise in `[−noise, noise]` (stream 9). The class can only be told from the
/// whole presentation, so a readout of the state at its last sample needs the reservoir's
/// memory.
pub fn patterns(
    seed: u64,
    classes: usize,
    length: usize,
    count: usize,
    noise: f64,
) -> Result<Patterns> {
    if classes < 2 {
        return Err(ReservoirError::invalid(
            "task.classes",
            format!("need at least 2 classes, got {classes}"),
        ));
    }
    if length == 0 {
        return Err(ReservoirError::invalid("task.length", "must be ≥ 1"));
    }
    if !(noise >= 0.0 && noise.is_finite()) {
        return Err(ReservoirError::invalid(
            "task.noise",
            format!("must be ≥ 0 and finite, got {noise}"),
        ));
    }
    let templates: Vec<Vec<f64>> = (0..classes)
        .map(|c| uniform(seed, 10 + c as u32, length, -1.0, 1.0))
        .collect();
    let labels: Vec<usize> = uniform(seed, 8, count, 0.0, classes as f64)
        .into_iter()
        .map(|v| (v as usize).min(classes - 1))
        .collect();
    let eps = uniform(seed, 9, count * length, -noise, noise);
    let mut input = Vec::with_capacity(count * length);
    for (p, &l) in labels.iter().enumerate() {
        for (k, &v) in templates[l].iter().enumerate() {
            input.push(v + eps[p * length + k]);
        }
    }
    Ok(Patterns { input, labels })
}

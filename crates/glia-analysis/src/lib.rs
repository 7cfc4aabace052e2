//! Spike-train and population analysis.
//!
//! - [`SpikeTrains`]: firing rates, coefficient of variation of inter-spike intervals, Fano
//!   factor of spike counts, pairwise spike-count correlations (sampled pairs for large
//!   populations), synchrony χ, population rate and branching ratio;
//! - [`spectrum`]: power spectrum (Welch) of a population rate and its dominant frequency;
//! - [`rsa`]: representational dissimilarity matrices and the geo-topological transform of
//!   topological RSA (Lin & Kriegeskorte 2023).
//!
//! Times are in ms, rates in Hz, frequencies in Hz. Every estimator documents which neurons or
//! windows it skips (e.g. neurons with too few spikes) instead of returning NaN.

pub mod load;
pub mod report;
pub mod rsa;
pub mod spectrum;
mod trains;

pub use trains::SpikeTrains;

/// Mean of the values, `None` when there are none.
pub fn mean(xs: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0usize);
    for x in xs {
        s += x;
        n += 1;
    }
    (n > 0).then(|| s / n as f64)
}

/// Sample variance (denominator `n − 1`), `None` for fewer than two values.
pub fn variance(xs: &[f64]) -> Option<f64> {
    let m = mean(xs.iter().copied())?;
    (xs.len() > 1).then(|| xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64)
}

/// Pearson correlation of two equally long series, `None` if either is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len());
    let ma = mean(a[..n].iter().copied())?;
    let mb = mean(b[..n].iter().copied())?;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (a[i] - ma, b[i] - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

//! Metrics: normalised RMSE, squared correlation, memory capacity, valid time.

/// Mean and (population) standard deviation.
pub fn mean_std(y: &[f64]) -> (f64, f64) {
    let n = y.len() as f64;
    let m = y.iter().sum::<f64>() / n;
    let v = y.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n;
    (m, v.sqrt())
}

/// `sqrt(mean((y − ŷ)²)) / std(y)`: 0 is perfect, 1 is as good as predicting the mean.
pub fn nrmse(y: &[f64], yhat: &[f64]) -> f64 {
    let mse = y
        .iter()
        .zip(yhat)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / y.len() as f64;
    mse.sqrt() / mean_std(y).1
}

/// Squared Pearson correlation `cov(a, b)² / (var a · var b)` (0 when either is constant).
pub fn r2(a: &[f64], b: &[f64]) -> f64 {
    let (ma, sa) = mean_std(a);
    let (mb, sb) = mean_std(b);
    if sa == 0.0 || sb == 0.0 {
        return 0.0;
    }
    let c = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / a.len() as f64;
    (c / (sa * sb)).powi(2)
}

/// Number of leading steps of a free-running prediction before the normalised error
/// `|y − ŷ| / std(y)` first exceeds `threshold` (the whole length when it never does).
pub fn valid_steps(y: &[f64], yhat: &[f64], threshold: f64) -> usize {
    let s = mean_std(y).1;
    y.iter()
        .zip(yhat)
        .position(|(a, b)| (a - b).abs() / s > threshold)
        .unwrap_or(y.len())
}

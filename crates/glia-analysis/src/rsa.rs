//! Representational similarity analysis: dissimilarity matrices of population responses and
//! the geo-topological transform of topological RSA (tRSA; Lin & Kriegeskorte 2023).

/// A dissimilarity measure between two response vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Euclidean distance.
    Euclidean,
    /// `1 − Pearson correlation` (0 for identical patterns up to offset and scale, 2 for
    /// anti-correlated ones; 1 when either pattern is constant).
    Correlation,
}

/// The `k × k` representational dissimilarity matrix of `k` response vectors (conditions ×
/// features), row-major.
pub fn rdm(responses: &[Vec<f64>], metric: Metric) -> Vec<f64> {
    let k = responses.len();
    let mut d = vec![0.0; k * k];
    for i in 0..k {
        for j in i + 1..k {
            let (a, b) = (&responses[i], &responses[j]);
            let v = match metric {
                Metric::Euclidean => a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).powi(2))
                    .sum::<f64>()
                    .sqrt(),
                Metric::Correlation => 1.0 - crate::pearson(a, b).unwrap_or(0.0),
            };
            d[i * k + j] = v;
            d[j * k + i] = v;
        }
    }
    d
}

/// The `q`-quantile (linear interpolation between order statistics, as numpy's default) of
/// `v`, which must be non-empty.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// The geo-topological transform of a `k × k` RDM: with `l` and `u` the `lower` and `upper`
/// quantiles of the off-diagonal dissimilarities, `d ≤ l → 0`, `d ≥ u → 1`, linear in
/// between (`(d − l)/(u − l)`). The diagonal stays 0. When `l = u` the result is 0 below and
/// 1 above that value.
pub fn geo_topological(rdm: &[f64], k: usize, lower: f64, upper: f64) -> Vec<f64> {
    let off: Vec<f64> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .map(|(i, j)| rdm[i * k + j])
        .collect();
    if off.is_empty() {
        return vec![0.0; k * k];
    }
    let (l, u) = (quantile(&off, lower), quantile(&off, upper));
    let mut out = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            if i == j {
                continue;
            }
            let d = rdm[i * k + j];
            out[i * k + j] = if d <= l {
                0.0
            } else if d >= u {
                1.0
            } else {
                (d - l) / (u - l)
            };
        }
    }
    out
}

/// Population responses in consecutive windows of `window` ms (complete windows only): one
/// vector of per-neuron spike counts per window, the conditions of an RDM when each window
/// holds one stimulus presentation.
pub fn window_responses(sp: &crate::SpikeTrains, window: f64) -> Vec<Vec<f64>> {
    let counts: Vec<Vec<f64>> = (0..sp.n).map(|i| sp.counts(i, window)).collect();
    let k = counts.first().map_or(0, Vec::len);
    (0..k)
        .map(|w| counts.iter().map(|c| c[w]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four responses on a line at 0, 1, 3, 6: Euclidean distances are the differences; the
    /// transform with quantiles 0.25/0.75 of {1, 3, 6, 2, 5, 3} (l = 2.25, u = 4.5) maps
    /// 1, 2 → 0, 3 → 1/3, 5, 6 → 1. Correlation distance of scaled copies is 0, of negated
    /// copies 2.
    #[test]
    fn rdm_and_transform_on_known_cases() {
        let r: Vec<Vec<f64>> = [0.0, 1.0, 3.0, 6.0].iter().map(|&x| vec![x, 0.0]).collect();
        let d = rdm(&r, Metric::Euclidean);
        assert_eq!(d[1], 1.0);
        assert_eq!(d[2 * 4 + 3], 3.0);
        assert_eq!(d[3 * 4], 6.0);
        let g = geo_topological(&d, 4, 0.25, 0.75);
        assert_eq!(g[1], 0.0); // d = 1
        assert_eq!(g[4 + 3], 1.0); // d = 5
        assert!((g[4 + 2] - (2.0 - 2.25f64).max(0.0)).abs() < 1e-12); // d = 2 → 0
        assert!((g[3] - 1.0).abs() < 1e-12); // d = 6
        assert!((g[2 * 4 + 3] - (3.0 - 2.25) / (4.5 - 2.25)).abs() < 1e-12);
        let a = vec![1.0, 2.0, 4.0, 3.0];
        let r = vec![
            a.clone(),
            a.iter().map(|x| 3.0 * x + 1.0).collect(),
            a.iter().map(|x| -x).collect(),
        ];
        let d = rdm(&r, Metric::Correlation);
        assert!(d[1].abs() < 1e-12 && (d[2] - 2.0).abs() < 1e-12);
    }

    /// Two neurons over 30 ms in 10 ms windows: neuron 0 fires at 1, 2 and 25 ms, neuron 1 at
    /// 15 ms (and 30 ms, outside the complete windows): responses [2, 0], [0, 1], [1, 0].
    #[test]
    fn window_responses_count_per_window() {
        let sp = crate::SpikeTrains::new(
            2,
            0.0,
            30.0,
            &[1.0, 2.0, 15.0, 25.0, 30.0],
            &[0, 0, 1, 0, 1],
        );
        let r = window_responses(&sp, 10.0);
        assert_eq!(r, vec![vec![2.0, 0.0], vec![0.0, 1.0], vec![1.0, 0.0]]);
    }
}

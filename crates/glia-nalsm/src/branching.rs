//! Branching factor as measured by Ivanov & Michmizos (2021, `compute_branching_factor.py`).
//!
//! Only liquid spikes in `[from, to)` count. For a spike of neuron `j` at `t`, with
//! `from + Δ ≤ t < to − Δ`: `post` = spikes of `j`'s postsynaptic liquid neurons in
//! `[t + 1, t + 1 + Δ)`, `pre` = spikes of its presynaptic liquid neurons in `[t − Δ, t)`,
//! clipped below at 1; the spike's ratio is `post / pre`. A neuron's value is the mean over its
//! spikes, a sample's the mean over neurons that spiked, the result the mean over samples
//! (samples without any counted spike are left out).

use crate::liquid::Liquid;

/// Branching factor of one sample from its liquid spikes `(step, neuron)`; `None` when no
/// spike falls in the analysed interval.
pub fn sample_branching(
    liq: &Liquid,
    spikes: &[(u32, u32)],
    window: u32,
    from: u32,
    to: u32,
) -> Option<f64> {
    let n = liq.n;
    let len = to.saturating_sub(from) as usize;
    if len == 0 {
        return None;
    }
    // cum[i * (len + 1) + k] = spikes of neuron i in [from, from + k).
    let mut cum = vec![0u32; n * (len + 1)];
    for &(t, i) in spikes {
        if t >= from && t < to {
            cum[i as usize * (len + 1) + (t - from) as usize + 1] += 1;
        }
    }
    for i in 0..n {
        let row = &mut cum[i * (len + 1)..(i + 1) * (len + 1)];
        for k in 1..=len {
            row[k] += row[k - 1];
        }
    }
    let count = |i: usize, a: u32, b: u32| -> u32 {
        let row = &cum[i * (len + 1)..];
        row[(b - from) as usize] - row[(a - from) as usize]
    };
    let sources: Vec<Vec<u32>> = (0..n).map(|i| liq.liquid_sources(i).collect()).collect();
    let mut sum = vec![0.0f64; n];
    let mut num = vec![0u32; n];
    for &(t, j) in spikes {
        if t < from + window || t + window >= to {
            continue;
        }
        let j = j as usize;
        let pre: u32 = sources[j]
            .iter()
            .map(|&s| count(s as usize, t - window, t))
            .sum();
        let post: u32 = liq
            .targets(j)
            .iter()
            .map(|&s| count(s as usize, t + 1, t + 1 + window))
            .sum();
        sum[j] += f64::from(post) / f64::from(pre.max(1));
        num[j] += 1;
    }
    let (mut total, mut k) = (0.0, 0usize);
    for j in 0..n {
        if num[j] > 0 {
            total += sum[j] / f64::from(num[j]);
            k += 1;
        }
    }
    (k > 0).then(|| total / k as f64)
}

/// Mean of the samples' branching factors (samples without a value left out).
pub fn branching(
    liq: &Liquid,
    samples: &[Vec<(u32, u32)>],
    window: u32,
    from: u32,
    to: u32,
) -> Option<f64> {
    let v: Vec<f64> = samples
        .iter()
        .filter_map(|s| sample_branching(liq, s, window, from, to))
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquid::EXC;

    #[test]
    fn hand_computed_chain() {
        // 0 → 1 → 2.
        let liq = Liquid {
            n: 3,
            n_in: 0,
            class: vec![EXC; 3],
            tau_idx: vec![0; 3],
            tau_u: vec![1.0],
            row_ptr: vec![0, 1, 2, 2],
            post: vec![1, 2],
            w0: vec![1.0, 1.0],
            col_ptr: vec![0, 0, 1, 2],
            col_pre: vec![0, 1],
            col_syn: vec![0, 1],
            bounds: [(0.0, 3.0), (-3.0, 0.0), (-3.0, 3.0)],
        };
        // Spike (10, 0): pre 0 → 1, post 1 (t = 12) → 1.
        // Spike (12, 1): pre 1 (t = 10), post 2 (t = 13, 14) → 2.
        // Spikes (13, 2), (14, 2): no targets → 0, 0.
        // (2, 0) and (38, 1) are outside [from + Δ, to − Δ) and not in any window above.
        // Neurons: 1, 2, 0 → 1.
        let s = vec![(2, 0), (10, 0), (12, 1), (13, 2), (14, 2), (38, 1)];
        assert_eq!(sample_branching(&liq, &s, 4, 0, 40), Some(1.0));
        assert_eq!(sample_branching(&liq, &[], 4, 0, 40), None);
        assert_eq!(branching(&liq, &[s, vec![]], 4, 0, 40), Some(1.0));
        // A window of 1 ms: (10, 0) sees nothing in [11, 12) → 0; (12, 1): pre [11, 12) = 0 → 1,
        // post [13, 14) = 1 → 1. Neurons 0, 1, 0 → 1/3.
        let s = vec![(10, 0), (12, 1), (13, 2), (14, 2)];
        let b = sample_branching(&liq, &s, 1, 0, 40).unwrap();
        assert!((b - 1.0 / 3.0).abs() < 1e-12, "{b}");
    }
}

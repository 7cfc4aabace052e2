//! Statistics of the spike trains of one population.

use crate::{mean, pearson, variance};
use glia_core::{CounterRng, Purpose};

/// The spikes of a population of `n` neurons observed over `[t_start, t_stop)` ms.
#[derive(Clone, Debug)]
pub struct SpikeTrains {
    /// Neurons.
    pub n: usize,
    /// Start of the observation \[ms\].
    pub t_start: f64,
    /// End of the observation \[ms\].
    pub t_stop: f64,
    /// Spike times per neuron, sorted \[ms\].
    pub trains: Vec<Vec<f64>>,
}

impl SpikeTrains {
    /// From parallel arrays of spike times \[ms\] and neuron indices (`< n`; others are
    /// ignored), keeping spikes in `[t_start, t_stop)`.
    pub fn new(n: usize, t_start: f64, t_stop: f64, times: &[f64], ids: &[u32]) -> Self {
        let mut trains = vec![Vec::new(); n];
        for (&t, &i) in times.iter().zip(ids) {
            if (i as usize) < n && t >= t_start && t < t_stop {
                trains[i as usize].push(t);
            }
        }
        for t in &mut trains {
            t.sort_by(f64::total_cmp);
        }
        Self {
            n,
            t_start,
            t_stop,
            trains,
        }
    }

    /// Observation length \[ms\].
    pub fn duration(&self) -> f64 {
        self.t_stop - self.t_start
    }

    /// Total spikes.
    pub fn spikes(&self) -> usize {
        self.trains.iter().map(Vec::len).sum()
    }

    /// Firing rate of each neuron \[Hz\].
    pub fn rates(&self) -> Vec<f64> {
        let d = self.duration() / 1000.0;
        self.trains.iter().map(|t| t.len() as f64 / d).collect()
    }

    /// Mean firing rate over the population \[Hz\].
    pub fn mean_rate(&self) -> f64 {
        self.spikes() as f64 / self.n as f64 / (self.duration() / 1000.0)
    }

    /// Coefficient of variation (std/mean, sample std) of each neuron's inter-spike intervals;
    /// `None` for neurons with fewer than 3 spikes (2 intervals). 1 for a Poisson process, 0
    /// for a regular train.
    pub fn isi_cv(&self) -> Vec<Option<f64>> {
        self.trains
            .iter()
            .map(|t| {
                if t.len() < 3 {
                    return None;
                }
                let isi: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
                let m = mean(isi.iter().copied())?;
                Some(variance(&isi)?.sqrt() / m)
            })
            .collect()
    }

    /// Spike counts of neuron `i` in consecutive bins of `bin` ms from `t_start` (complete bins
    /// only).
    pub fn counts(&self, i: usize, bin: f64) -> Vec<f64> {
        let nb = (self.duration() / bin + 1e-9).floor() as usize;
        let mut c = vec![0.0; nb];
        for &t in &self.trains[i] {
            let k = ((t - self.t_start) / bin).floor() as usize;
            if k < nb {
                c[k] += 1.0;
            }
        }
        c
    }

    /// Fano factor (variance/mean of counts, sample variance) of each neuron's spike counts in
    /// windows of `window` ms; `None` for silent neurons or fewer than two windows. 1 for a
    /// Poisson process.
    pub fn fano(&self, window: f64) -> Vec<Option<f64>> {
        (0..self.n)
            .map(|i| {
                let c = self.counts(i, window);
                let m = mean(c.iter().copied())?;
                (m > 0.0).then_some(())?;
                Some(variance(&c)? / m)
            })
            .collect()
    }

    /// Population rate in bins of `bin` ms \[Hz\] (spikes of all neurons per bin / (n · bin)).
    pub fn population_rate(&self, bin: f64) -> Vec<f64> {
        let nb = (self.duration() / bin + 1e-9).floor() as usize;
        let mut c = vec![0.0; nb];
        for t in &self.trains {
            for &s in t {
                let k = ((s - self.t_start) / bin).floor() as usize;
                if k < nb {
                    c[k] += 1.0;
                }
            }
        }
        let f = 1000.0 / (self.n as f64 * bin);
        c.iter_mut().for_each(|x| *x *= f);
        c
    }

    /// Up to `max` neurons, all when `n ≤ max`, else a random subset (deterministic in `seed`).
    fn sample_neurons(&self, max: usize, seed: u64) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.n).collect();
        if self.n > max {
            let mut rng = CounterRng::new(seed, Purpose::Other, 0xA11, 0, 0);
            for i in 0..max {
                let j = i + rng.below((self.n - i) as u64) as usize;
                idx.swap(i, j);
            }
            idx.truncate(max);
            idx.sort_unstable();
        }
        idx
    }

    /// Pearson correlations of spike counts in bins of `bin` ms for pairs of neurons: all pairs
    /// when there are at most `max_pairs`, else `max_pairs` random distinct pairs
    /// (deterministic in `seed`). Pairs where a neuron has constant counts are skipped.
    pub fn correlations(&self, bin: f64, max_pairs: usize, seed: u64) -> Vec<f64> {
        let total = self.n * self.n.saturating_sub(1) / 2;
        let mut pairs = Vec::new();
        if total <= max_pairs {
            for i in 0..self.n {
                for j in i + 1..self.n {
                    pairs.push((i, j));
                }
            }
        } else {
            let mut seen = std::collections::HashSet::new();
            let mut k = 0u32;
            while pairs.len() < max_pairs {
                let mut rng = CounterRng::new(seed, Purpose::Other, 0xC0, k, 0);
                k += 1;
                let i = rng.below(self.n as u64) as usize;
                let j = rng.below(self.n as u64) as usize;
                if i != j && seen.insert((i.min(j), i.max(j))) {
                    pairs.push((i.min(j), i.max(j)));
                }
            }
        }
        let mut cache: std::collections::HashMap<usize, Vec<f64>> = Default::default();
        let mut out = Vec::with_capacity(pairs.len());
        for (i, j) in pairs {
            let ci = cache
                .entry(i)
                .or_insert_with(|| self.counts(i, bin))
                .clone();
            let cj = cache.entry(j).or_insert_with(|| self.counts(j, bin));
            if let Some(r) = pearson(&ci, cj) {
                out.push(r);
            }
        }
        out
    }

    /// Synchrony χ (Golomb 2007) of spike counts in bins of `bin` ms over up to `max_neurons`
    /// neurons: `χ² = Var_t(⟨c_i(t)⟩_i) / ⟨Var_t(c_i(t))⟩_i`. 1 for identical trains, about
    /// `1/√N` for N independent ones. `None` if every neuron has constant counts.
    pub fn synchrony(&self, bin: f64, max_neurons: usize, seed: u64) -> Option<f64> {
        let idx = self.sample_neurons(max_neurons, seed);
        let counts: Vec<Vec<f64>> = idx.iter().map(|&i| self.counts(i, bin)).collect();
        let nb = counts.first()?.len();
        let avg: Vec<f64> = (0..nb)
            .map(|k| counts.iter().map(|c| c[k]).sum::<f64>() / counts.len() as f64)
            .collect();
        let var_avg = variance(&avg)?;
        let mean_var = mean(counts.iter().filter_map(|c| variance(c)))?;
        (mean_var > 0.0).then(|| (var_avg / mean_var).sqrt())
    }

    /// Branching ratio as NALSM (Ivanov & Michmizos 2021) measures it: for every spike of a
    /// neuron `i` at time `t` with `from ≤ t < to`, the number of its postsynaptic neurons
    /// (`targets(i)`, neurons of this population) that fire in `(t, t + window]`, averaged over
    /// those spikes. `None` when no spike falls in `[from, to)`.
    pub fn branching_ratio<'a>(
        &self,
        targets: impl Fn(usize) -> &'a [u32],
        window: f64,
        from: f64,
        to: f64,
    ) -> Option<f64> {
        let (mut sum, mut spikes) = (0u64, 0u64);
        for (i, train) in self.trains.iter().enumerate() {
            let post = targets(i);
            for &t in train.iter().filter(|&&t| t >= from && t < to) {
                spikes += 1;
                for &j in post {
                    let tj = &self.trains[j as usize];
                    let k = tj.partition_point(|&s| s <= t);
                    if k < tj.len() && tj[k] <= t + window {
                        sum += 1;
                    }
                }
            }
        }
        (spikes > 0).then(|| sum as f64 / spikes as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Poisson trains of rate `r` Hz for `n` neurons over `t` ms (exponential intervals).
    fn poisson(n: usize, r: f64, t: f64, seed: u64) -> SpikeTrains {
        let (mut times, mut ids) = (Vec::new(), Vec::new());
        for i in 0..n {
            let mut rng = CounterRng::new(seed, Purpose::Other, 1, i as u32, 0);
            let mut s = 0.0;
            loop {
                s += -(rng.uniform_open0().ln()) * 1000.0 / r;
                if s >= t {
                    break;
                }
                times.push(s);
                ids.push(i as u32);
            }
        }
        SpikeTrains::new(n, 0.0, t, &times, &ids)
    }

    /// Poisson trains: rate within 3 %, mean CV and mean Fano factor within 0.03 of 1 (200
    /// neurons × ~200 spikes: standard errors ≈ 0.005), correlations of independent trains
    /// average 0 within 0.01, and χ ≈ 1/√N (within 30 %).
    #[test]
    fn poisson_statistics() {
        let sp = poisson(200, 20.0, 10_000.0, 3);
        assert!((sp.mean_rate() - 20.0).abs() < 0.6, "{}", sp.mean_rate());
        let cv = mean(sp.isi_cv().into_iter().flatten()).unwrap();
        assert!((cv - 1.0).abs() < 0.03, "CV {cv}");
        let ff = mean(sp.fano(100.0).into_iter().flatten()).unwrap();
        assert!((ff - 1.0).abs() < 0.03, "Fano {ff}");
        let c = sp.correlations(50.0, 1000, 1);
        assert_eq!(c.len(), 1000);
        let mc = mean(c.iter().copied()).unwrap();
        assert!(mc.abs() < 0.01, "mean correlation {mc}");
        let chi = sp.synchrony(10.0, 200, 1).unwrap();
        let want = 1.0 / (200f64).sqrt();
        assert!((chi - want).abs() < 0.3 * want, "chi {chi} vs {want}");
    }

    /// A regular train has CV 0 and Fano factor 0 (windows holding a whole number of periods);
    /// identical trains have correlation 1 and χ = 1.
    #[test]
    fn regular_and_identical_trains() {
        let times: Vec<f64> = (0..100).map(|k| 5.0 + 10.0 * k as f64).collect();
        let mut all_t = Vec::new();
        let mut all_i = Vec::new();
        for i in 0..3u32 {
            all_t.extend(&times);
            all_i.extend(std::iter::repeat_n(i, times.len()));
        }
        let sp = SpikeTrains::new(3, 0.0, 1000.0, &all_t, &all_i);
        for cv in sp.isi_cv() {
            assert!(cv.unwrap().abs() < 1e-12);
        }
        for f in sp.fano(50.0) {
            assert!(f.unwrap().abs() < 1e-12);
        }
        // Bins of 7 ms give varying counts; identical trains correlate perfectly.
        for r in sp.correlations(7.0, 10, 0) {
            assert!((r - 1.0).abs() < 1e-12);
        }
        assert!((sp.synchrony(7.0, 10, 0).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(sp.rates(), vec![100.0; 3]);
    }

    /// A chain 0 → 1 → 2 where 1 fires 1 ms after 0 and 2 never: branching 1 for neuron 0's
    /// spikes, 0 for neuron 1's, so 0.5 overall with a 2 ms window, 0 with a 0.5 ms window.
    #[test]
    fn branching_ratio_counts_descendants_in_window() {
        let times = [10.0, 11.0, 30.0, 31.0];
        let ids = [0, 1, 0, 1];
        let sp = SpikeTrains::new(3, 0.0, 100.0, &times, &ids);
        let adj: Vec<Vec<u32>> = vec![vec![1], vec![2], vec![]];
        let b = sp.branching_ratio(|i| &adj[i], 2.0, 0.0, 100.0).unwrap();
        assert!((b - 0.5).abs() < 1e-12);
        let b = sp.branching_ratio(|i| &adj[i], 0.5, 0.0, 100.0).unwrap();
        assert_eq!(b, 0.0);
        assert_eq!(sp.branching_ratio(|i| &adj[i], 2.0, 50.0, 100.0), None);
    }
}

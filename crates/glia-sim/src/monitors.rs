//! Monitors: what is recorded during a run.

use crate::{BLOCK, BLOCK_SHIFT};

/// Spike times and ids of one population (or a subset of it).
#[derive(Clone, Debug)]
pub struct SpikeRecorder {
    /// Population index.
    pub pop: usize,
    /// Recorded neurons (`None`: all).
    pub selected: Option<Vec<bool>>,
    /// Step of each spike (time stamp `(step + 1)·dt`).
    pub steps: Vec<u64>,
    /// Neuron of each spike.
    pub ids: Vec<u32>,
}

impl SpikeRecorder {
    pub(crate) fn record(&mut self, step: u64, spikes: &[u32]) {
        match &self.selected {
            None => {
                self.steps.extend(std::iter::repeat_n(step, spikes.len()));
                self.ids.extend_from_slice(spikes);
            }
            Some(sel) => {
                for &i in spikes {
                    if sel[i as usize] {
                        self.steps.push(step);
                        self.ids.push(i);
                    }
                }
            }
        }
    }
}

/// State variables of chosen neurons, sampled every `every` steps.
#[derive(Clone, Debug)]
pub struct StateRecorder {
    /// Monitor name (prefix of its arrays in `state.npz`).
    pub name: String,
    /// Population index.
    pub pop: usize,
    /// Variable names.
    pub variables: Vec<String>,
    /// Variable indices in the model's variable list.
    pub var_index: Vec<usize>,
    /// Recorded neurons.
    pub ids: Vec<u32>,
    /// Sampling interval in steps.
    pub every: u64,
    /// Steps at which samples were taken (time `(step + 1)·dt`, after the step's update).
    pub steps: Vec<u64>,
    /// Per variable: samples × ids, row-major.
    pub data: Vec<Vec<f64>>,
}

impl StateRecorder {
    /// Block index (within the population) and offset of neuron `id`.
    #[inline]
    pub fn locate(id: u32) -> (usize, usize) {
        ((id >> BLOCK_SHIFT) as usize, id as usize & (BLOCK - 1))
    }
}

/// Population spike counts in bins.
#[derive(Clone, Debug)]
pub struct RateRecorder {
    /// Population index.
    pub pop: usize,
    /// Bin width in steps.
    pub bin: u64,
    /// Spikes per bin.
    pub counts: Vec<u64>,
}

/// All monitors of a network.
#[derive(Clone, Debug, Default)]
pub struct Monitors {
    /// Spike monitors.
    pub spikes: Vec<SpikeRecorder>,
    /// State monitors.
    pub state: Vec<StateRecorder>,
    /// Rate monitors.
    pub rates: Vec<RateRecorder>,
}

/// Per-neuron spike statistics kept for every population (not only monitored ones).
#[derive(Clone, Debug, Default)]
pub struct SpikeStats {
    /// Total spikes.
    pub total: u64,
    /// Step of the last spike, or `u64::MAX`.
    pub last: Vec<u64>,
    /// Number of inter-spike intervals.
    pub n_isi: Vec<u32>,
    /// Sum of intervals \[steps\].
    pub sum: Vec<u64>,
    /// Sum of squared intervals \[steps²\].
    pub sumsq: Vec<u128>,
}

impl SpikeStats {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            total: 0,
            last: vec![u64::MAX; n],
            n_isi: vec![0; n],
            sum: vec![0; n],
            sumsq: vec![0; n],
        }
    }

    pub(crate) fn record(&mut self, step: u64, spikes: &[u32]) {
        self.total += spikes.len() as u64;
        for &i in spikes {
            let i = i as usize;
            let last = self.last[i];
            if last != u64::MAX {
                let d = step - last;
                self.n_isi[i] += 1;
                self.sum[i] += d;
                self.sumsq[i] += u128::from(d) * u128::from(d);
            }
            self.last[i] = step;
        }
    }

    /// Mean over neurons with at least two intervals of the coefficient of variation of their
    /// inter-spike intervals (standard deviation with `1/n`, as `numpy.std`); `None` when no
    /// neuron qualifies.
    pub fn mean_cv(&self) -> Option<f64> {
        let mut acc = 0.0;
        let mut count = 0usize;
        for i in 0..self.n_isi.len() {
            let n = self.n_isi[i];
            if n >= 2 {
                let n = f64::from(n);
                let mean = self.sum[i] as f64 / n;
                let var = (self.sumsq[i] as f64 / n - mean * mean).max(0.0);
                acc += var.sqrt() / mean;
                count += 1;
            }
        }
        (count > 0).then(|| acc / count as f64)
    }
}

//! The per-population summary that `glia analyze` writes to `analysis.json`.

use crate::{SpikeTrains, mean, spectrum, variance};
use serde::Serialize;

/// Analysis settings.
#[derive(Clone, Debug, Serialize)]
pub struct Options {
    /// Bin for spike-count correlations and synchrony \[ms\].
    pub bin_ms: f64,
    /// Window for Fano factors \[ms\].
    pub fano_window_ms: f64,
    /// Bin of the population rate whose spectrum is taken \[ms\].
    pub rate_bin_ms: f64,
    /// Welch segment length \[ms\].
    pub segment_ms: f64,
    /// Lowest frequency considered for the dominant frequency \[Hz\].
    pub min_frequency_hz: f64,
    /// Most neuron pairs for correlations (sampled beyond that).
    pub max_pairs: usize,
    /// Most neurons for synchrony (sampled beyond that).
    pub max_neurons: usize,
    /// Seed for the sampling.
    pub seed: u64,
    /// Ignore spikes before this time \[ms\] (transient).
    pub t_start_ms: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            bin_ms: 5.0,
            fano_window_ms: 100.0,
            rate_bin_ms: 1.0,
            segment_ms: 1024.0,
            min_frequency_hz: 1.0,
            max_pairs: 2000,
            max_neurons: 1000,
            seed: 1,
            t_start_ms: 0.0,
        }
    }
}

/// Statistics of one population; `None` (JSON `null`) where undefined (e.g. no neuron with
/// three spikes for the CV).
#[derive(Clone, Debug, Serialize)]
pub struct PopulationReport {
    /// Neurons.
    pub neurons: usize,
    /// Spikes analysed.
    pub spikes: usize,
    /// Observation window \[ms\].
    pub window_ms: [f64; 2],
    /// Mean firing rate \[Hz\].
    pub mean_rate_hz: f64,
    /// Standard deviation of the neurons' rates \[Hz\].
    pub rate_std_hz: Option<f64>,
    /// Mean CV of ISIs over neurons with ≥ 3 spikes.
    pub cv_isi_mean: Option<f64>,
    /// Neurons with a CV.
    pub cv_isi_neurons: usize,
    /// Mean Fano factor over active neurons.
    pub fano_mean: Option<f64>,
    /// Mean pairwise spike-count correlation.
    pub correlation_mean: Option<f64>,
    /// Its standard deviation over pairs.
    pub correlation_std: Option<f64>,
    /// Pairs with a correlation.
    pub correlation_pairs: usize,
    /// Synchrony χ.
    pub synchrony_chi: Option<f64>,
    /// Dominant frequency of the population rate \[Hz\].
    pub dominant_frequency_hz: Option<f64>,
}

/// Analyse one population.
pub fn analyze(sp: &SpikeTrains, o: &Options) -> PopulationReport {
    let rates = sp.rates();
    let cvs: Vec<f64> = sp.isi_cv().into_iter().flatten().collect();
    let corr = sp.correlations(o.bin_ms, o.max_pairs, o.seed);
    let rate = sp.population_rate(o.rate_bin_ms);
    let seg = ((o.segment_ms / o.rate_bin_ms).round() as usize).min(rate.len());
    let dominant = if rate.len() >= 8 && sp.spikes() > 0 {
        spectrum::welch(&rate, o.rate_bin_ms, seg).dominant(o.min_frequency_hz)
    } else {
        None
    };
    PopulationReport {
        neurons: sp.n,
        spikes: sp.spikes(),
        window_ms: [sp.t_start, sp.t_stop],
        mean_rate_hz: sp.mean_rate(),
        rate_std_hz: variance(&rates).map(f64::sqrt),
        cv_isi_mean: mean(cvs.iter().copied()),
        cv_isi_neurons: cvs.len(),
        fano_mean: mean(sp.fano(o.fano_window_ms).into_iter().flatten()),
        correlation_mean: mean(corr.iter().copied()),
        correlation_std: variance(&corr).map(f64::sqrt),
        correlation_pairs: corr.len(),
        synchrony_chi: sp.synchrony(o.bin_ms, o.max_neurons, o.seed),
        dominant_frequency_hz: dominant,
    }
}

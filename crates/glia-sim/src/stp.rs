//! Tsodyks–Markram short-term plasticity: depression and facilitation per presynaptic neuron.
//!
//! Between spikes the utilisation `u` decays to 0 with `tau_fac` and the resources `x` recover
//! to 1 with `tau_rec`. At a spike of the presynaptic neuron, after an interval `Δ` since its
//! previous spike (exact, event-driven decay):
//!
//! ```text
//! u⁻ = u⁺_prev · exp(−Δ/tau_fac)          (0 when tau_fac = 0)
//! x⁻ = 1 − (1 − x⁺_prev) · exp(−Δ/tau_rec)
//! u⁺ = u⁻ + U·(1 − u⁻)                     (facilitation first)
//! r  = u⁺ · x⁻                              (fraction released: the spike delivers w·r)
//! x⁺ = x⁻ − r
//! ```
//!
//! starting from `u = 0`, `x = 1` (a rested synapse: the first spike delivers `w·U`). This is the
//! model of Tsodyks, Pawelzik & Markram (1998) with facilitation as in Markram, Wang & Tsodyks
//! (1998), in the form Brian2 documents (`u += U·(1 − u)` before `r = u·x`, `x −= r`). NEST's
//! `tsodyks2_synapse` (NEST 3) transmits with the stored `u·x` and then advances the state for
//! the next spike. See `docs/short-term-plasticity.md`.
//!
//! `u` and `x` belong to the presynaptic neuron of one projection (all its synapses in that
//! projection see the same history), so the cost is one update per spike, not per synapse. The
//! factor `r` is computed when the spike is emitted; every synapse of the row then delivers
//! `w·r` after its own delay.

use glia_spec::Stp;

/// The short-term plasticity state of one projection.
#[derive(Clone, Debug)]
pub struct StpState {
    /// Parameters.
    pub params: Stp,
    /// `u⁺` after each source neuron's last spike.
    pub u: Vec<f64>,
    /// `x⁺` after each source neuron's last spike.
    pub x: Vec<f64>,
    /// Step of each source neuron's last spike (`u64::MAX`: none yet).
    pub last: Vec<u64>,
    /// The release factor `r` of each spike of the current step, in the order of the spikes.
    pub factors: Vec<f32>,
}

impl StpState {
    /// A rested projection with `n` source neurons.
    pub fn new(params: Stp, n: usize) -> Self {
        Self {
            params,
            u: vec![0.0; n],
            x: vec![1.0; n],
            last: vec![u64::MAX; n],
            factors: Vec::new(),
        }
    }

    /// Update the source neurons that spiked at step `step` and store their release factors.
    pub fn on_spikes(&mut self, spikes: &[u32], step: u64, dt: f64) {
        let Stp {
            u: big_u,
            tau_rec,
            tau_fac,
        } = self.params;
        self.factors.clear();
        for &i in spikes {
            let i = i as usize;
            let (mut u, mut x) = (self.u[i], self.x[i]);
            if self.last[i] != u64::MAX {
                let delta = (step - self.last[i]) as f64 * dt;
                u = if tau_fac > 0.0 {
                    u * (-delta / tau_fac).exp()
                } else {
                    0.0
                };
                x = 1.0 - (1.0 - x) * (-delta / tau_rec).exp();
            }
            u += big_u * (1.0 - u);
            let r = u * x;
            self.u[i] = u;
            self.x[i] = x - r;
            self.last[i] = step;
            self.factors.push(r as f32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Depression only: the steady-state release of a regular train with interval Δ is
    /// `U(1 − e)/(1 − (1 − U)e)`, `e = exp(−Δ/tau_rec)` (fixed point of the recursion), reached
    /// to 1e-6 (the factor is stored in f32) after 200 spikes; the first spike releases U.
    #[test]
    fn depression_reaches_the_analytic_steady_state() {
        let p = Stp {
            u: 0.5,
            tau_rec: 800.0,
            tau_fac: 0.0,
        };
        let mut s = StpState::new(p, 1);
        let (dt, every) = (0.1, 500u64); // 20 Hz
        s.on_spikes(&[0], 10, dt);
        assert_eq!(s.factors[0], 0.5);
        let mut r = 0.0;
        for k in 1..200 {
            s.on_spikes(&[0], 10 + k * every, dt);
            r = f64::from(s.factors[0]);
        }
        let e = (-(every as f64 * dt) / 800.0f64).exp();
        let r_inf = 0.5 * (1.0 - e) / (1.0 - 0.5 * e);
        assert!((r - r_inf).abs() < 1e-6, "{r} vs {r_inf}");
    }
}

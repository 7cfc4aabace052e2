//! Modulator channels at run time: named scalars that plasticity rules read
//! ([`crate::plasticity::Ctx::modulator`]), updated once per step after the step's spikes are
//! collected and before the plasticity phase. See `docs/modulators.md`.
//!
//! At step `s` each channel advances from time `s·dt` to `(s+1)·dt`:
//! - `activity` (`τ dm/dt = b − m + Σ_p w_p Σ_k δ(t − t_k^p)`, exact between spikes):
//!   `m ← b + (m − b)·e^{−dt/τ} + Σ_p w_p·n_p(s)/τ`, `n_p(s)` the spikes of population `p` in
//!   step `s`. With `dt = 1 ms` this is the NALSM astrocyte
//!   `A ← A + (w·(ΣS_liquid − ΣS_input) + b − A)/τ` up to the leak's `O((dt/τ)²)` (exact
//!   exponential here instead of Euler).
//! - `pulses`: `m ← m·e^{−dt/τ}`, then the pulses at time `(s+1)·dt` are added.
//! - `series`: `m` takes the value that holds from time `(s+1)·dt` on.
//!
//! Channels can also be pushed from code ([`crate::Network::pulse_modulator`]), e.g. a reward
//! computed by a closed-loop controller.

use glia_core::{CounterRng, Purpose};
use glia_spec::{Modulator, ModulatorKind};

/// One channel's run-time state.
#[derive(Clone, Debug)]
enum Chan {
    Activity {
        decay: f64,
        bias: f64,
        /// `(population, w/τ)`.
        sources: Vec<(usize, f64)>,
    },
    Pulses {
        decay: f64,
        pulses: Vec<(u64, f64)>,
        cursor: usize,
    },
    Series {
        changes: Vec<(u64, f64)>,
        cursor: usize,
    },
    Reward {
        decay: f64,
        pre: (usize, u32),
        post: (usize, u32),
        window: u64,
        delay_min: u64,
        delay_max: u64,
        amount: f64,
        /// Step of the last unrewarded pre spike.
        last_pre: Option<u64>,
        /// Steps at which pulses are due (unordered).
        due: Vec<u64>,
        /// Delay draws from `(seed, Modulator, channel)`.
        rng: CounterRng,
    },
}

/// All modulator channels of a network.
#[derive(Clone, Debug, Default)]
pub struct Channels {
    /// Channel names (ids are positions).
    pub names: Vec<String>,
    chans: Vec<Chan>,
    /// Values in double precision (the network exposes them as `f32`).
    values: Vec<f64>,
}

impl Channels {
    /// Lower validated channels for time step `dt` \[ms\]; `seed` keys random reward delays.
    pub fn new(specs: &[Modulator], dt: f64, seed: u64) -> Self {
        let mut out = Channels::default();
        for (k, m) in specs.iter().enumerate() {
            let mut v = m.initial;
            let chan = match &m.kind {
                ModulatorKind::Activity { tau, bias, sources } => Chan::Activity {
                    decay: (-dt / tau).exp(),
                    bias: *bias,
                    sources: sources.iter().map(|&(p, w)| (p, w / tau)).collect(),
                },
                ModulatorKind::Pulses { tau, pulses } => {
                    let cursor = pulses.iter().take_while(|p| p.0 == 0).count();
                    v += pulses[..cursor].iter().map(|p| p.1).sum::<f64>();
                    Chan::Pulses {
                        decay: (-dt / tau).exp(),
                        pulses: pulses.clone(),
                        cursor,
                    }
                }
                ModulatorKind::Reward {
                    tau,
                    pre,
                    post,
                    window,
                    delay_min,
                    delay_max,
                    amount,
                } => Chan::Reward {
                    decay: (-dt / tau).exp(),
                    pre: *pre,
                    post: *post,
                    window: *window,
                    delay_min: *delay_min,
                    delay_max: *delay_max,
                    amount: *amount,
                    last_pre: None,
                    due: Vec::new(),
                    rng: CounterRng::new(seed, Purpose::Modulator, k as u32, 0, 0),
                },
                ModulatorKind::Series { changes } => {
                    let cursor = changes.iter().take_while(|c| c.0 == 0).count();
                    if cursor > 0 {
                        v = changes[cursor - 1].1;
                    }
                    Chan::Series {
                        changes: changes.clone(),
                        cursor,
                    }
                }
            };
            out.names.push(m.name.clone());
            out.chans.push(chan);
            out.values.push(v);
        }
        out
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.chans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.chans.is_empty()
    }

    /// Advance every channel over step `s` (`spikes[p]`: the step's spikes of population `p`)
    /// and write the new values to `out`.
    pub fn step(&mut self, s: u64, spikes: &[Vec<u32>], out: &mut [f32]) {
        for (k, chan) in self.chans.iter_mut().enumerate() {
            let v = &mut self.values[k];
            match chan {
                Chan::Activity {
                    decay,
                    bias,
                    sources,
                } => {
                    let mut x = *bias + (*v - *bias) * *decay;
                    for &(p, w) in sources.iter() {
                        x += w * spikes[p].len() as f64;
                    }
                    *v = x;
                }
                Chan::Pulses {
                    decay,
                    pulses,
                    cursor,
                } => {
                    *v *= *decay;
                    while let Some(&(at, a)) = pulses.get(*cursor) {
                        if at > s + 1 {
                            break;
                        }
                        *v += a;
                        *cursor += 1;
                    }
                }
                Chan::Reward {
                    decay,
                    pre,
                    post,
                    window,
                    delay_min,
                    delay_max,
                    amount,
                    last_pre,
                    due,
                    rng,
                } => {
                    *v *= *decay;
                    // Pulses due at time (s+1)·dt.
                    let before = due.len();
                    due.retain(|&t| t > s);
                    *v += *amount * (before - due.len()) as f64;
                    // A post spike 1..=window steps after the last pre spike schedules one.
                    if spikes[post.0].contains(&post.1)
                        && let Some(t0) = *last_pre
                        && s > t0
                    {
                        if s - t0 <= *window {
                            let d = *delay_min + rng.below(*delay_max - *delay_min + 1);
                            due.push(s + d.max(1));
                        }
                        *last_pre = None;
                    }
                    if spikes[pre.0].contains(&pre.1) {
                        *last_pre = Some(s);
                    }
                }
                Chan::Series { changes, cursor } => {
                    while let Some(&(at, x)) = changes.get(*cursor) {
                        if at > s + 1 {
                            break;
                        }
                        *v = x;
                        *cursor += 1;
                    }
                }
            }
            out[k] = *v as f32;
        }
    }

    /// Add `amount` to channel `id` now (its dynamics carry on from the new value).
    pub fn pulse(&mut self, id: usize, amount: f64, out: &mut [f32]) {
        self.values[id] += amount;
        out[id] = self.values[id] as f32;
    }

    /// The current values (for initialising the network's `f32` copy).
    pub fn values_f32(&self) -> Vec<f32> {
        self.values.iter().map(|&v| v as f32).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chan(kind: ModulatorKind, initial: f64) -> Modulator {
        Modulator {
            name: "m".into(),
            kind,
            initial,
            path: "modulators[0]".into(),
        }
    }

    /// Activity: with a constant count of `n` spikes per step the value converges to the fixed
    /// point `b + w·n/(τ(1 − e^{−dt/τ}))` (≈ `b + w·n/dt` for dt ≪ τ) within 1e-9; with no
    /// spikes it relaxes to the bias as `b + (m₀ − b)e^{−t/τ}` (1e-12).
    #[test]
    fn activity_fixed_point_and_relaxation() {
        let (tau, b, w, dt) = (100.0, 0.15, 0.015, 1.0);
        let m = chan(
            ModulatorKind::Activity {
                tau,
                bias: b,
                sources: vec![(0, w)],
            },
            0.0,
        );
        let mut c = Channels::new(&[m], dt, 1);
        let mut out = [0.0f32];
        let spikes = vec![vec![0u32; 7]];
        for s in 0..20_000 {
            c.step(s, &spikes, &mut out);
        }
        let e = (-dt / tau).exp();
        let fp = b + w * 7.0 / tau / (1.0 - e);
        assert!((c.values[0] - fp).abs() < 1e-9, "{} vs {fp}", c.values[0]);
        let m0 = c.values[0];
        let none = vec![Vec::new()];
        for s in 0..250 {
            c.step(s, &none, &mut out);
        }
        let want = b + (m0 - b) * (-250.0 * dt / tau).exp();
        assert!((c.values[0] - want).abs() < 1e-12);
    }

    /// Pulses decay exactly (`a·e^{−t/τ}`, 1e-12) and land at their times; a series holds its
    /// values from their times on.
    #[test]
    fn pulses_and_series_timing() {
        let dt = 0.5;
        let p = chan(
            ModulatorKind::Pulses {
                tau: 200.0,
                pulses: vec![(0, 1.0), (10, 0.5)],
            },
            0.0,
        );
        let sr = Modulator {
            name: "s".into(),
            ..chan(
                ModulatorKind::Series {
                    changes: vec![(4, 2.0), (6, -1.0)],
                },
                0.25,
            )
        };
        let mut c = Channels::new(&[p, sr], dt, 1);
        let mut out = [0.0f32; 2];
        assert_eq!(c.values, vec![1.0, 0.25]);
        let none = vec![];
        let mut seen = Vec::new();
        for s in 0..20u64 {
            c.step(s, &none, &mut out);
            seen.push(c.values[1]);
            let t = (s + 1) as f64 * dt;
            let mut want = (-t / 200.0).exp();
            if s + 1 >= 10 {
                want += 0.5 * (-(t - 5.0) / 200.0).exp();
            }
            assert!((c.values[0] - want).abs() < 1e-12, "step {s}");
        }
        // Value at time (s+1)·dt: 0.25 before t = 2, 2 on [2, 3), -1 from 3.
        assert_eq!(&seen[..7], &[0.25, 0.25, 0.25, 2.0, 2.0, -1.0, -1.0]);
    }
}

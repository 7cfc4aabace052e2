//! Homeostatic synaptic scaling towards a target rate (Turrigiano et al. 1998; van Rossum,
//! Bi & Turrigiano 2000): every incoming weight of a neuron grows while the neuron fires below
//! the target rate and shrinks while it fires above it.
//!
//! ```text
//! τ_r dr/dt = −r + 1000·Σ δ(t − t_post)        filtered postsynaptic rate r [Hz]
//! dw/dt = η · (ρ₀ − r) · w                       multiplicative (default)
//! dw/dt = η · (ρ₀ − r)                           additive
//! ```
//!
//! `r` is a postsynaptic trace (decays by `e^{−dt/τ_r}` per step, jumps by `1000/τ_r` per
//! spike, so its mean is the rate in Hz); weights are updated every step (explicit Euler) and
//! clipped to `[w_min, w_max]`. The fixed point is `r = ρ₀`. On an inhibitory projection
//! (weights ≤ 0) the rule acts on magnitudes like every rule: inhibition also grows while the
//! rate is low; set `inhibitory = true` for the opposite sign (inhibition weakens while the
//! rate is low, as measured for inhibitory synapses).
//!
//! | param | unit | default |
//! |---|---|---|
//! | `target_rate` | Hz | required |
//! | `eta` | 1/(ms·Hz) (multiplicative), weight/(ms·Hz) (additive) | required |
//! | `tau_rate` | ms | 1000 |
//! | `multiplicative` | bool | true |
//! | `inhibitory` | bool | false |

use super::{Ctx, LowerCtx, Rule};
use glia_spec::ModelError;

/// Homeostatic synaptic scaling.
#[derive(Clone, Debug)]
pub struct Scaling {
    target: f32,
    eta: f32,
    jump: f32,
    decay: [f32; 1],
    multiplicative: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    target_rate: f64,
    eta: f64,
    #[serde(default = "thousand")]
    tau_rate: f64,
    #[serde(default = "yes")]
    multiplicative: bool,
    #[serde(default)]
    inhibitory: bool,
}

fn thousand() -> f64 {
    1000.0
}
fn yes() -> bool {
    true
}

impl Rule for Scaling {
    const PRE: usize = 0;
    const POST: usize = 1;
    const EVERY_STEP_POST: bool = true;

    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError> {
        let p: Params = ctx.params()?;
        let target = ctx.non_negative(p.target_rate, "target_rate")?;
        let eta = ctx.non_negative(p.eta, "eta")?;
        let decay = ctx.decay(p.tau_rate, "tau_rate")?;
        Ok(Scaling {
            target,
            eta: if p.inhibitory { -eta } else { eta },
            jump: (1000.0 / p.tau_rate) as f32,
            decay: [decay],
            multiplicative: p.multiplicative,
        })
    }

    fn pre_decay(&self) -> &[f32] {
        &[]
    }
    fn post_decay(&self) -> &[f32] {
        &self.decay
    }

    #[inline(always)]
    fn on_pre(&self, w: f32, _: &mut [f32], _: &[f32], _: &[f32], _: &Ctx<'_>) -> f32 {
        w
    }
    #[inline(always)]
    fn pre_spike(&self, _: &mut [f32]) {}
    #[inline(always)]
    fn on_post(&self, w: f32, _: &mut [f32], _: &[f32], _: &[f32], _: &Ctx<'_>) -> f32 {
        w
    }
    #[inline(always)]
    fn post_spike(&self, post: &mut [f32]) {
        post[0] += self.jump;
    }

    fn every_step_post(&self, w: &mut [f32], targets: &[u32], post: &[f32], c: &Ctx<'_>) {
        let k = c.dt * self.eta;
        for (wq, &t) in w.iter_mut().zip(targets) {
            let g = k * (self.target - post[t as usize]);
            *wq += if self.multiplicative { g * *wq } else { g };
        }
    }
}

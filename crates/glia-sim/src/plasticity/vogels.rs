//! Inhibitory STDP (Vogels, Sprekeler, Zenke, Clopath & Gerstner 2011, Science 334:1569).
//!
//! Symmetric traces `x_pre`, `x_post` (both τ, increment 1):
//!
//! - presynaptic spike: `w ← w + η·(x_post − α)`, then `x_pre ← x_pre + 1`;
//! - postsynaptic spike: `w ← w + η·x_pre`, then `x_post ← x_post + 1`;
//!
//! with `α = 2·ρ₀·τ` (ρ₀ the target rate of the postsynaptic neuron). Near-coincident spikes
//! potentiate the inhibitory synapse; isolated presynaptic spikes depress it, so the
//! postsynaptic rate settles at ρ₀. Weights are magnitudes of inhibition (conductances, or
//! negative currents with bounds ≤ 0, see `docs/plasticity.md`), clipped to the bounds.
//!
//! | param | unit | default |
//! |---|---|---|
//! | `eta` | weight | required |
//! | `rho0` | Hz | required |
//! | `tau` | ms | 20 |

use super::{Ctx, LowerCtx, Rule};
use glia_spec::ModelError;

/// Vogels–Sprekeler inhibitory STDP.
#[derive(Clone, Debug)]
pub struct Vogels {
    eta: f32,
    alpha: f32,
    decay: [f32; 1],
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    eta: f64,
    rho0: f64,
    #[serde(default = "twenty")]
    tau: f64,
}

fn twenty() -> f64 {
    20.0
}

impl Rule for Vogels {
    const PRE: usize = 1;
    const POST: usize = 1;

    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError> {
        let p: Params = ctx.params()?;
        let decay = [ctx.decay(p.tau, "tau")?];
        let rho0 = ctx.non_negative(p.rho0, "rho0")?;
        Ok(Vogels {
            eta: ctx.non_negative(p.eta, "eta")?,
            alpha: (2.0 * f64::from(rho0) * p.tau / 1000.0) as f32,
            decay,
        })
    }

    fn pre_decay(&self) -> &[f32] {
        &self.decay
    }
    fn post_decay(&self) -> &[f32] {
        &self.decay
    }

    #[inline(always)]
    fn on_pre(&self, w: f32, _: &mut [f32], _pre: &[f32], post: &[f32], _c: &Ctx<'_>) -> f32 {
        w + self.eta * (post[0] - self.alpha)
    }
    #[inline(always)]
    fn pre_spike(&self, pre: &mut [f32]) {
        pre[0] += 1.0;
    }
    #[inline(always)]
    fn on_post(&self, w: f32, _: &mut [f32], pre: &[f32], _post: &[f32], _c: &Ctx<'_>) -> f32 {
        w + self.eta * pre[0]
    }
    #[inline(always)]
    fn post_spike(&self, post: &mut [f32]) {
        post[0] += 1.0;
    }
}

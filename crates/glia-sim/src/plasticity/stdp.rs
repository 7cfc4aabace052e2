//! Pair STDP with exponential traces (Song, Miller & Abbott 2000; Morrison et al. 2008).
//!
//! Presynaptic trace `x` (τ₊) and postsynaptic trace `y` (τ₋), decaying exponentially:
//!
//! - presynaptic spike at the synapse: `w ← w − A₋·f₋(w)·y`, then `x ← x + 1` (all-to-all) or
//!   `x ← 1` (nearest-spike);
//! - postsynaptic spike at the synapse: `w ← w + A₊·f₊(w)·x`, then `y ← y + 1` or `y ← 1`;
//! - additive: `f₊ = f₋ = 1` (hard bounds by clipping to `[w_min, w_max]`);
//!   multiplicative (soft bounds): `f₊(w) = w_max − w`, `f₋(w) = w − w_min`.
//!
//! For one pair at synapse-time difference `Δt = t_post − t_pre` (additive):
//! `Δw = A₊ e^{−Δt/τ₊}` for `Δt ≥ 0` (a pair in the same step counts as pre before post) and
//! `Δw = −A₋ e^{Δt/τ₋}` for `Δt < 0`.
//!
//! | param | unit | default |
//! |---|---|---|
//! | `a_plus` | weight | required |
//! | `a_minus` | weight | required |
//! | `tau_plus` | ms | 20 |
//! | `tau_minus` | ms | 20 |
//! | `weight_dependence` | `"additive"` / `"multiplicative"` | additive |
//! | `pairing` | `"all_to_all"` / `"nearest"` | all_to_all |

use super::{Ctx, LowerCtx, Rule};
use glia_spec::ModelError;

/// Pair STDP.
#[derive(Clone, Debug)]
pub struct Stdp {
    a_plus: f32,
    a_minus: f32,
    decay_pre: [f32; 1],
    decay_post: [f32; 1],
    multiplicative: bool,
    nearest: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    a_plus: f64,
    a_minus: f64,
    #[serde(default = "twenty")]
    tau_plus: f64,
    #[serde(default = "twenty")]
    tau_minus: f64,
    #[serde(default)]
    weight_dependence: Dependence,
    #[serde(default)]
    pairing: Pairing,
}

fn twenty() -> f64 {
    20.0
}

/// How the weight change depends on the weight.
#[derive(serde::Deserialize, Default, Clone, Copy, PartialEq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Dependence {
    /// Independent of the weight; hard bounds.
    #[default]
    Additive,
    /// Proportional to the distance to the bound (soft bounds).
    Multiplicative,
}

/// Which spike pairs interact.
#[derive(serde::Deserialize, Default, Clone, Copy, PartialEq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Every pre spike with every post spike (traces add up).
    #[default]
    AllToAll,
    /// Each spike with the nearest preceding spike of the other side (traces reset to 1).
    Nearest,
}

impl Rule for Stdp {
    const PRE: usize = 1;
    const POST: usize = 1;
    const MODULATED: &'static [&'static str] = &["a_plus", "a_minus"];

    fn set_modulated(&mut self, k: usize, v: f32) {
        match k {
            0 => self.a_plus = v,
            _ => self.a_minus = v,
        }
    }

    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError> {
        let p: Params = ctx.params()?;
        Ok(Stdp {
            a_plus: ctx.non_negative(p.a_plus, "a_plus")?,
            a_minus: ctx.non_negative(p.a_minus, "a_minus")?,
            decay_pre: [ctx.decay(p.tau_plus, "tau_plus")?],
            decay_post: [ctx.decay(p.tau_minus, "tau_minus")?],
            multiplicative: p.weight_dependence == Dependence::Multiplicative,
            nearest: p.pairing == Pairing::Nearest,
        })
    }

    fn check_bounds(&self, w_min: f64, w_max: f64, ctx: &LowerCtx<'_>) -> Result<(), ModelError> {
        soft_bounds_finite(self.multiplicative, w_min, w_max, ctx)
    }

    fn pre_decay(&self) -> &[f32] {
        &self.decay_pre
    }
    fn post_decay(&self) -> &[f32] {
        &self.decay_post
    }

    #[inline(always)]
    fn on_pre(&self, w: f32, _: &mut [f32], _pre: &[f32], post: &[f32], c: &Ctx<'_>) -> f32 {
        let f = if self.multiplicative {
            w - c.w_min
        } else {
            1.0
        };
        w - self.a_minus * f * post[0]
    }
    #[inline(always)]
    fn pre_spike(&self, pre: &mut [f32]) {
        pre[0] = if self.nearest { 1.0 } else { pre[0] + 1.0 };
    }
    #[inline(always)]
    fn on_post(&self, w: f32, _: &mut [f32], pre: &[f32], _post: &[f32], c: &Ctx<'_>) -> f32 {
        let f = if self.multiplicative {
            c.w_max - w
        } else {
            1.0
        };
        w + self.a_plus * f * pre[0]
    }
    #[inline(always)]
    fn post_spike(&self, post: &mut [f32]) {
        post[0] = if self.nearest { 1.0 } else { post[0] + 1.0 };
    }
}

/// Soft bounds need both bounds finite.
pub(crate) fn soft_bounds_finite(
    multiplicative: bool,
    w_min: f64,
    w_max: f64,
    ctx: &LowerCtx<'_>,
) -> Result<(), ModelError> {
    if multiplicative && !(w_min.is_finite() && w_max.is_finite()) {
        return Err(ModelError::invalid(
            ctx.path("w_max"),
            format!(
                "weight_dependence = \"multiplicative\" needs finite bounds, got [{w_min}, {w_max}]"
            ),
        ));
    }
    Ok(())
}

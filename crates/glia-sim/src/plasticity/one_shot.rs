//! Gated one-shot Hebbian rule with heterosynaptic reset: the limit of pair STDP with
//! `A± = w_max` (one spike pair drives a weight to a bound), used for one-shot associations
//! such as the spiking CA3 content-addressable memory (Casanueva-Morato et al. 2023,
//! `PAPERS.md` §4; `glia_memory::ca3`).
//!
//! Nearest-spike traces: `x` per source and `y` per target jump to 1 at a spike and decay with
//! `τ` (`x ← x·e^{−dt/τ}` per step). While the gate is open (`gate` modulator `> 0.5`, or no
//! gate), a triggering spike at the synapse *sets* every weight of its row or column:
//!
//! - `trigger = "pre"`: at a presynaptic spike, `w ← w_max` if `y > θ` (the target spiked
//!   within `τ·ln(1/θ)` before), else `w ← w_min`;
//! - `trigger = "post"`: at a postsynaptic spike, `w ← w_max` if `x > θ`, else `w ← w_min`.
//!
//! So one presentation stores an association and overwrites whatever the triggering neuron
//! stored before (forgetting when a cue is reused); with the gate closed the weights are frozen
//! (recall does not change them). Spikes are ordered as in the framework: a presynaptic event
//! at synapse time `A` is processed before the postsynaptic events at `A`, so with
//! `trigger = "pre"` a target spike in the same synapse time is *not* seen, and with
//! `trigger = "post"` a source spike in the same synapse time is.
//!
//! | param | unit | default |
//! |---|---|---|
//! | `trigger` | `"pre"` / `"post"` | required |
//! | `gate` | modulator name | none (always open) |
//! | `tau` | ms | 3 |
//! | `theta` | trace value, in (0, 1) | 0.5 |

use super::{Ctx, LowerCtx, Rule};
use glia_spec::ModelError;

/// Gated one-shot Hebbian rule.
#[derive(Clone, Debug)]
pub struct OneShot {
    pre_trigger: bool,
    gate: Option<usize>,
    theta: f32,
    decay: [f32; 1],
}

/// Which side's spike sets the weights.
#[derive(serde::Deserialize, Clone, Copy, PartialEq, Debug)]
#[serde(rename_all = "snake_case")]
enum Trigger {
    Pre,
    Post,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    trigger: Trigger,
    gate: Option<String>,
    #[serde(default = "three")]
    tau: f64,
    #[serde(default = "half")]
    theta: f64,
}

fn three() -> f64 {
    3.0
}
fn half() -> f64 {
    0.5
}

impl OneShot {
    #[inline(always)]
    fn open(&self, c: &Ctx<'_>) -> bool {
        self.gate.is_none_or(|g| c.modulator(g) > 0.5)
    }
}

impl Rule for OneShot {
    const PRE: usize = 1;
    const POST: usize = 1;

    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError> {
        let p: Params = ctx.params()?;
        if !(p.theta > 0.0 && p.theta < 1.0) {
            return Err(ModelError::invalid(
                ctx.path("theta"),
                format!("must be in (0, 1), got {}", p.theta),
            ));
        }
        Ok(OneShot {
            pre_trigger: p.trigger == Trigger::Pre,
            gate: p
                .gate
                .as_deref()
                .map(|g| ctx.modulator(g, "gate"))
                .transpose()?,
            theta: p.theta as f32,
            decay: [ctx.decay(p.tau, "tau")?],
        })
    }

    fn check_bounds(&self, w_min: f64, w_max: f64, ctx: &LowerCtx<'_>) -> Result<(), ModelError> {
        if !(w_min.is_finite() && w_max.is_finite()) {
            return Err(ModelError::invalid(
                ctx.path("w_max"),
                format!(
                    "one_shot sets weights to the bounds: both must be finite, got [{w_min}, {w_max}]"
                ),
            ));
        }
        Ok(())
    }

    fn pre_decay(&self) -> &[f32] {
        &self.decay
    }
    fn post_decay(&self) -> &[f32] {
        &self.decay
    }

    #[inline(always)]
    fn on_pre(&self, w: f32, _: &mut [f32], _pre: &[f32], post: &[f32], c: &Ctx<'_>) -> f32 {
        if self.pre_trigger && self.open(c) {
            if post[0] > self.theta {
                c.w_max
            } else {
                c.w_min
            }
        } else {
            w
        }
    }
    #[inline(always)]
    fn pre_spike(&self, pre: &mut [f32]) {
        pre[0] = 1.0;
    }
    #[inline(always)]
    fn on_post(&self, w: f32, _: &mut [f32], pre: &[f32], _post: &[f32], c: &Ctx<'_>) -> f32 {
        if !self.pre_trigger && self.open(c) {
            if pre[0] > self.theta {
                c.w_max
            } else {
                c.w_min
            }
        } else {
            w
        }
    }
    #[inline(always)]
    fn post_spike(&self, post: &mut [f32]) {
        post[0] = 1.0;
    }
}

//! Error-modulated, gated Hebbian rule for readouts (after the "what and when" reservoir of
//! Yamada & Chao 2025, PAPERS.md §5: `Δw ∝ gate × error × presynaptic trace`).
//!
//! ```text
//! de/dt = −e/τ_e + Σ δ(t − t_pre)          per-synapse presynaptic trace (event-driven jump 1)
//! dw/dt = η · E(t) · G(t) · e               E: `error` modulator, G: `gate` modulator (or 1)
//! ```
//!
//! Integration per step: `e ← e·e^{−dt/τ_e}` (exact), then `w ← w + dt·η·E·G·e`, clipped to
//! `[w_min, w_max]`; a presynaptic spike arriving at the synapse adds 1 to `e` in the same step.
//! The trace is kept per synapse (it equals the source neuron's trace, but the every-step
//! update of the framework walks synapses, not rows).
//! The paper gives the rule's exact normalisation; this form is the product the paper
//! describes, with η absorbing the constants.
//!
//! | param | unit | default |
//! |---|---|---|
//! | `error` | modulator name | required |
//! | `gate` | modulator name | none (G = 1) |
//! | `eta` | weight per (ms · error · gate) | required |
//! | `tau_e` | ms | 20 |

use super::{Ctx, LowerCtx, Rule};
use glia_spec::ModelError;

/// Error-modulated gated Hebbian rule.
#[derive(Clone, Debug)]
pub struct GatedHebbian {
    eta: f32,
    decay_e: f32,
    error: usize,
    gate: Option<usize>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    error: String,
    gate: Option<String>,
    eta: f64,
    #[serde(default = "twenty")]
    tau_e: f64,
}

fn twenty() -> f64 {
    20.0
}

impl Rule for GatedHebbian {
    const PRE: usize = 0;
    const POST: usize = 0;
    const SYN: usize = 1;
    const EVERY_STEP: bool = true;

    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError> {
        let p: Params = ctx.params()?;
        if !p.eta.is_finite() {
            return Err(ModelError::invalid(
                ctx.path("eta"),
                format!("must be finite, got {}", p.eta),
            ));
        }
        Ok(GatedHebbian {
            eta: p.eta as f32,
            decay_e: ctx.decay(p.tau_e, "tau_e")?,
            error: ctx.modulator(&p.error, "error")?,
            gate: p
                .gate
                .as_deref()
                .map(|g| ctx.modulator(g, "gate"))
                .transpose()?,
        })
    }

    fn pre_decay(&self) -> &[f32] {
        &[]
    }
    fn post_decay(&self) -> &[f32] {
        &[]
    }

    #[inline(always)]
    fn on_pre(&self, w: f32, syn: &mut [f32], _: &[f32], _: &[f32], _: &Ctx<'_>) -> f32 {
        syn[0] += 1.0;
        w
    }
    #[inline(always)]
    fn pre_spike(&self, _: &mut [f32]) {}
    #[inline(always)]
    fn on_post(&self, w: f32, _: &mut [f32], _: &[f32], _: &[f32], _: &Ctx<'_>) -> f32 {
        w
    }
    #[inline(always)]
    fn post_spike(&self, _: &mut [f32]) {}

    fn every_step(&self, w: &mut [f32], syn: &mut [f32], c: &Ctx<'_>) {
        let gate = self.gate.map_or(1.0, |g| c.modulator(g));
        let k = c.dt * self.eta * c.modulator(self.error) * gate;
        let de = self.decay_e;
        for (wq, e) in w.iter_mut().zip(syn.iter_mut()) {
            *e *= de;
            *wq += k * *e;
        }
    }
}

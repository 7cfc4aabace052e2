//! Reward-modulated STDP with an eligibility trace per synapse (Izhikevich 2007, "Solving the
//! distal reward problem through linkage of STDP and dopamine signaling", Cereb. Cortex 17).
//!
//! Pair STDP does not change the weight; it writes into the synapse's eligibility trace `c`,
//! and the weight follows `c` times a modulator `d` (dopamine):
//!
//! ```text
//! dc/dt = −c/τ_c + STDP(Δt)·δ(t − t_pre/post)     presynaptic spike: c −= A₋·y_post
//!                                                  postsynaptic spike: c += A₊·x_pre
//! dw/dt = c · (d + d_tonic)                        (per ms; clipped to [w_min, w_max])
//! ```
//!
//! `x_pre`, `y_post` are exponential traces (τ₊, τ₋, all-to-all pairing, as in `stdp`). `d` is
//! the modulator channel named by `modulator` (typically `kind = "pulses"` with `tau = 200`
//! and reward pulses of 0.5, Izhikevich's `d`); `d_tonic` is a constant background level
//! (Izhikevich's tonic dopamine, 0.01 µM in his figure, default 0). Integration per step:
//! `c ← c·e^{−dt/τ_c}` (exact), then `w ← w + dt·c·(d + d_tonic)` (explicit Euler; the error is
//! `O(dt/τ_c)` relative).
//!
//! | param | unit | default |
//! |---|---|---|
//! | `modulator` | name | required |
//! | `a_plus` | weight | 1.0 |
//! | `a_minus` | weight | 1.5 |
//! | `tau_plus` | ms | 20 |
//! | `tau_minus` | ms | 20 |
//! | `tau_c` | ms | 1000 |
//! | `d_tonic` | modulator units | 0 |

use super::{Ctx, LowerCtx, Rule};
use glia_spec::ModelError;

/// Reward-modulated STDP (Izhikevich 2007).
#[derive(Clone, Debug)]
pub struct RStdp {
    a_plus: f32,
    a_minus: f32,
    decay_pre: [f32; 1],
    decay_post: [f32; 1],
    decay_c: f32,
    d_tonic: f32,
    modulator: usize,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    modulator: String,
    #[serde(default = "one")]
    a_plus: f64,
    #[serde(default = "one_and_a_half")]
    a_minus: f64,
    #[serde(default = "twenty")]
    tau_plus: f64,
    #[serde(default = "twenty")]
    tau_minus: f64,
    #[serde(default = "thousand")]
    tau_c: f64,
    #[serde(default)]
    d_tonic: f64,
}

fn one() -> f64 {
    1.0
}
fn one_and_a_half() -> f64 {
    1.5
}
fn twenty() -> f64 {
    20.0
}
fn thousand() -> f64 {
    1000.0
}

impl Rule for RStdp {
    const PRE: usize = 1;
    const POST: usize = 1;
    const SYN: usize = 1;
    const EVERY_STEP: bool = true;

    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError> {
        let p: Params = ctx.params()?;
        if !p.d_tonic.is_finite() {
            return Err(ModelError::invalid(
                ctx.path("d_tonic"),
                format!("must be finite, got {}", p.d_tonic),
            ));
        }
        Ok(RStdp {
            a_plus: ctx.non_negative(p.a_plus, "a_plus")?,
            a_minus: ctx.non_negative(p.a_minus, "a_minus")?,
            decay_pre: [ctx.decay(p.tau_plus, "tau_plus")?],
            decay_post: [ctx.decay(p.tau_minus, "tau_minus")?],
            decay_c: ctx.decay(p.tau_c, "tau_c")?,
            d_tonic: p.d_tonic as f32,
            modulator: ctx.modulator(&p.modulator, "modulator")?,
        })
    }

    fn pre_decay(&self) -> &[f32] {
        &self.decay_pre
    }
    fn post_decay(&self) -> &[f32] {
        &self.decay_post
    }

    #[inline(always)]
    fn on_pre(&self, w: f32, syn: &mut [f32], _pre: &[f32], post: &[f32], _: &Ctx<'_>) -> f32 {
        syn[0] -= self.a_minus * post[0];
        w
    }
    #[inline(always)]
    fn pre_spike(&self, pre: &mut [f32]) {
        pre[0] += 1.0;
    }
    #[inline(always)]
    fn on_post(&self, w: f32, syn: &mut [f32], pre: &[f32], _post: &[f32], _: &Ctx<'_>) -> f32 {
        syn[0] += self.a_plus * pre[0];
        w
    }
    #[inline(always)]
    fn post_spike(&self, post: &mut [f32]) {
        post[0] += 1.0;
    }

    fn every_step(&self, w: &mut [f32], syn: &mut [f32], c: &Ctx<'_>) {
        let g = c.dt * (c.modulator(self.modulator) + self.d_tonic);
        let dc = self.decay_c;
        if g == 0.0 {
            syn.iter_mut().for_each(|e| *e *= dc);
            return;
        }
        for (wq, e) in w.iter_mut().zip(syn.iter_mut()) {
            *e *= dc;
            *wq += g * *e;
        }
    }
}

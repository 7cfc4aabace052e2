//! Triplet STDP (Pfister & Gerstner 2006, J. Neurosci. 26:9673).
//!
//! Presynaptic traces `r₁` (τ₊), `r₂` (τₓ); postsynaptic traces `o₁` (τ₋), `o₂` (τᵧ):
//!
//! - presynaptic spike: `w ← w − o₁·(A₂₋ + A₃₋·r₂)`, then `r₁, r₂ ← r + 1` (all-to-all) or `← 1`
//!   (nearest-spike);
//! - postsynaptic spike: `w ← w + r₁·(A₂₊ + A₃₊·o₂)`, then `o₁, o₂ ← o + 1` or `← 1`;
//!
//! where `r₂` and `o₂` are read before the spike's own increment (the paper's `t − ε`).
//! Weights are clipped to `[w_min, w_max]`.
//!
//! `preset` selects a parameter set of the paper's Table 4 (τ₊ = 16.8 ms, τ₋ = 33.7 ms):
//!
//! | preset | pairing | τₓ | τᵧ | A₂₊ | A₃₊ | A₂₋ | A₃₋ |
//! |---|---|---|---|---|---|---|---|
//! | `visual_cortex_all_to_all` | all-to-all | 101 | 125 | 5e-10 | 6.2e-3 | 7e-3 | 2.3e-4 |
//! | `visual_cortex_nearest` | nearest | 714 | 40 | 8.8e-11 | 5.3e-2 | 6.6e-3 | 3.1e-3 |
//! | `hippocampal_all_to_all` | all-to-all | 946 | 27 | 6.1e-3 | 6.7e-3 | 1.6e-3 | 1.4e-3 |
//! | `hippocampal_nearest` | nearest | 575 | 47 | 4.6e-3 | 9.1e-3 | 3e-3 | 7.5e-9 |
//!
//! Any parameter written next to a preset overrides it; without a preset all of
//! `a2_plus, a3_plus, a2_minus, a3_minus` are required (τ defaults: 16.8, 33.7, 101, 125 ms;
//! pairing all-to-all).

use super::{Ctx, LowerCtx, Rule};
use glia_spec::ModelError;

/// Triplet STDP.
#[derive(Clone, Debug)]
pub struct Triplet {
    a2p: f32,
    a3p: f32,
    a2m: f32,
    a3m: f32,
    decay_pre: [f32; 2],
    decay_post: [f32; 2],
    nearest: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    preset: Option<String>,
    a2_plus: Option<f64>,
    a3_plus: Option<f64>,
    a2_minus: Option<f64>,
    a3_minus: Option<f64>,
    tau_plus: Option<f64>,
    tau_minus: Option<f64>,
    tau_x: Option<f64>,
    tau_y: Option<f64>,
    pairing: Option<super::stdp::Pairing>,
}

/// A parameter set of Pfister & Gerstner 2006, Table 4 (τ₊ = 16.8 ms, τ₋ = 33.7 ms).
#[derive(Clone, Copy, Debug)]
pub struct Preset {
    /// Name in the model file.
    pub name: &'static str,
    /// Nearest-spike (true) or all-to-all (false) interaction.
    pub nearest: bool,
    /// τₓ \[ms\].
    pub tau_x: f64,
    /// τᵧ \[ms\].
    pub tau_y: f64,
    /// A₂₊.
    pub a2_plus: f64,
    /// A₃₊.
    pub a3_plus: f64,
    /// A₂₋.
    pub a2_minus: f64,
    /// A₃₋.
    pub a3_minus: f64,
}

const fn preset(name: &'static str, nearest: bool, tau_x: f64, tau_y: f64, a: [f64; 4]) -> Preset {
    Preset {
        name,
        nearest,
        tau_x,
        tau_y,
        a2_plus: a[0],
        a3_plus: a[1],
        a2_minus: a[2],
        a3_minus: a[3],
    }
}

/// The "full" parameter sets of Pfister & Gerstner 2006, Table 4.
pub const PRESETS: &[Preset] = &[
    preset(
        "visual_cortex_all_to_all",
        false,
        101.0,
        125.0,
        [5e-10, 6.2e-3, 7e-3, 2.3e-4],
    ),
    preset(
        "visual_cortex_nearest",
        true,
        714.0,
        40.0,
        [8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3],
    ),
    preset(
        "hippocampal_all_to_all",
        false,
        946.0,
        27.0,
        [6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3],
    ),
    preset(
        "hippocampal_nearest",
        true,
        575.0,
        47.0,
        [4.6e-3, 9.1e-3, 3e-3, 7.5e-9],
    ),
];

impl Rule for Triplet {
    const PRE: usize = 2;
    const POST: usize = 2;

    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError> {
        let p: Params = ctx.params()?;
        let preset = match &p.preset {
            None => None,
            Some(name) => Some(*PRESETS.iter().find(|x| x.name == name).ok_or_else(|| {
                let names: Vec<&str> = PRESETS.iter().map(|x| x.name).collect();
                ModelError::invalid(
                    ctx.path("preset"),
                    format!("unknown preset \"{name}\"; presets: {}", names.join(", ")),
                )
            })?),
        };
        let need = |v: Option<f64>, from: Option<f64>, name: &str| -> Result<f32, ModelError> {
            match v.or(from) {
                Some(x) => ctx.non_negative(x, name),
                None => Err(ModelError::invalid(
                    ctx.path(name),
                    "missing (or give a `preset`)",
                )),
            }
        };
        let pr = |f: fn(&Preset) -> f64| preset.as_ref().map(f);
        let nearest = match p.pairing {
            Some(pp) => pp == super::stdp::Pairing::Nearest,
            None => preset.is_some_and(|x| x.nearest),
        };
        Ok(Triplet {
            a2p: need(p.a2_plus, pr(|x| x.a2_plus), "a2_plus")?,
            a3p: need(p.a3_plus, pr(|x| x.a3_plus), "a3_plus")?,
            a2m: need(p.a2_minus, pr(|x| x.a2_minus), "a2_minus")?,
            a3m: need(p.a3_minus, pr(|x| x.a3_minus), "a3_minus")?,
            decay_pre: [
                ctx.decay(p.tau_plus.unwrap_or(16.8), "tau_plus")?,
                ctx.decay(p.tau_x.or(pr(|x| x.tau_x)).unwrap_or(101.0), "tau_x")?,
            ],
            decay_post: [
                ctx.decay(p.tau_minus.unwrap_or(33.7), "tau_minus")?,
                ctx.decay(p.tau_y.or(pr(|x| x.tau_y)).unwrap_or(125.0), "tau_y")?,
            ],
            nearest,
        })
    }

    fn pre_decay(&self) -> &[f32] {
        &self.decay_pre
    }
    fn post_decay(&self) -> &[f32] {
        &self.decay_post
    }

    #[inline(always)]
    fn on_pre(&self, w: f32, _: &mut [f32], pre: &[f32], post: &[f32], _c: &Ctx<'_>) -> f32 {
        w - post[0] * (self.a2m + self.a3m * pre[1])
    }
    #[inline(always)]
    fn pre_spike(&self, pre: &mut [f32]) {
        if self.nearest {
            pre[0] = 1.0;
            pre[1] = 1.0;
        } else {
            pre[0] += 1.0;
            pre[1] += 1.0;
        }
    }
    #[inline(always)]
    fn on_post(&self, w: f32, _: &mut [f32], pre: &[f32], post: &[f32], _c: &Ctx<'_>) -> f32 {
        w + pre[0] * (self.a2p + self.a3p * post[1])
    }
    #[inline(always)]
    fn post_spike(&self, post: &mut [f32]) {
        if self.nearest {
            post[0] = 1.0;
            post[1] = 1.0;
        } else {
            post[0] += 1.0;
            post[1] += 1.0;
        }
    }
}

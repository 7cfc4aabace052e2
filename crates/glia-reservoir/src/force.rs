//! FORCE learning (Sussillo & Abbott 2009): a linear readout `z(t) = wᵀx(t)` trained online by
//! recursive least squares while its output is fed back into the reservoir, so that the
//! reservoir with feedback becomes a generator of the target signal.
//!
//! Schedule: `washout` steps of spontaneous activity (`w = 0`, so the fed-back output is 0),
//! then `train` steps in which the network runs with its own output fed back and, every
//! `every` steps, RLS moves `w` towards the target with `P(0) = I/α`
//! (`w ← w − e P x / (1 + xᵀPx)`, `e = wᵀx − f(t)`), then `test` steps running free with `w`
//! frozen. The feedback enters through the reservoir's input weights (`[reservoir] input`,
//! `input_scaling`): the output of step `t` is the input of step `t + 1`.

use crate::error::{ReservoirError, Result};
use crate::readout::Rls;
use std::f64::consts::PI;

/// A sum of sines `f(t) = Σ_k a_k sin(2π t / T_k)`, `t = (s + 1)·dt` for step `s`
/// (`periods` and `dt` in the same unit).
pub fn sum_of_sines(steps: usize, dt: f64, periods: &[f64], amplitudes: &[f64]) -> Vec<f64> {
    (0..steps)
        .map(|s| {
            let t = (s + 1) as f64 * dt;
            periods
                .iter()
                .zip(amplitudes)
                .map(|(&p, &a)| a * (2.0 * PI * t / p).sin())
                .sum()
        })
        .collect()
}

/// What [`run_force`] returns.
#[derive(Clone, Debug)]
pub struct ForceRun {
    /// Readout output of every training step.
    pub train_output: Vec<f64>,
    /// Readout output of every test (free-running) step.
    pub test_output: Vec<f64>,
    /// Final readout weights (one per feature).
    pub w: Vec<f64>,
    /// RLS updates made.
    pub updates: usize,
}

/// Run FORCE learning. `step(u, x)` feeds the input `u` (the fed-back output), advances the
/// reservoir one step and writes its `features` features into `x`. `target` holds the
/// target of the `train` training steps followed by the `test` test steps (the washout has
/// none); `alpha > 0` sets `P(0) = I/α`; `every ≥ 1` steps between RLS updates.
pub fn run_force(
    step: &mut dyn FnMut(f64, &mut [f64]),
    features: usize,
    target: &[f64],
    washout: usize,
    train: usize,
    alpha: f64,
    every: usize,
) -> Result<ForceRun> {
    if every == 0 {
        return Err(ReservoirError::invalid("readout.every", "must be ≥ 1"));
    }
    if train == 0 || target.len() <= train {
        return Err(ReservoirError::invalid(
            "task",
            format!(
                "FORCE needs training and test steps; got {train} training steps and {} targets",
                target.len()
            ),
        ));
    }
    let mut rls = Rls::new(features, 1, alpha, 1.0).map_err(|e| match e {
        ReservoirError::Invalid { message, .. } => {
            ReservoirError::invalid("readout.alpha", message)
        }
        e => e,
    })?;
    let mut x = vec![0.0; features];
    let mut z = 0.0;
    for _ in 0..washout {
        step(z, &mut x);
    }
    let mut out = [0.0];
    let mut train_output = Vec::with_capacity(train);
    let mut updates = 0;
    for (t, &f) in target[..train].iter().enumerate() {
        step(z, &mut x);
        rls.predict(&x, &mut out);
        z = out[0];
        train_output.push(z);
        if (t + 1) % every == 0 {
            rls.update(&x, &[f]);
            updates += 1;
        }
    }
    let mut test_output = Vec::with_capacity(target.len() - train);
    for _ in train..target.len() {
        step(z, &mut x);
        rls.predict(&x, &mut out);
        z = out[0];
        test_output.push(z);
    }
    Ok(ForceRun {
        train_output,
        test_output,
        w: (0..features).map(|i| rls.w[(i, 0)]).collect(),
        updates,
    })
}

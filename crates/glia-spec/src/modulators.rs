//! `[[modulators]]`: named scalar signals (reward, dopamine, error, astrocyte state) that
//! plasticity rules read by name. See `docs/modulators.md`.

use crate::raw::{
    ActivityModulator, ModulatorSpec, PulsesModulator, RewardModulator, SeriesModulator,
};
use crate::{ModelError, Result};
use std::path::Path;

/// A validated modulator channel.
#[derive(Clone, Debug)]
pub struct Modulator {
    /// Channel name (unique).
    pub name: String,
    /// What drives it.
    pub kind: ModulatorKind,
    /// Value at time 0.
    pub initial: f64,
    /// `modulators[i]`, for messages.
    pub path: String,
}

/// What drives a modulator channel.
#[derive(Clone, Debug)]
pub enum ModulatorKind {
    /// `τ dm/dt = bias − m + Σ_p w_p·s_p(t)`: each spike of population `p` adds `w_p/τ`.
    Activity {
        /// Time constant \[ms\].
        tau: f64,
        /// Resting value.
        bias: f64,
        /// `(population, weight per spike)`; with `normalize = "rate"` the weight already
        /// includes `1000/N`.
        sources: Vec<(usize, f64)>,
    },
    /// Decays to 0 with `tau`; jumps by `amount` at `step` (sorted).
    Pulses {
        /// Decay time constant \[ms\].
        tau: f64,
        /// `(step, amount)`: added at the end of step `step − 1`, i.e. the value at time
        /// `step·dt` includes it.
        pulses: Vec<(u64, f64)>,
    },
    /// Piecewise constant: `(step, value)` holds from time `step·dt` on (sorted).
    Series {
        /// Changes.
        changes: Vec<(u64, f64)>,
    },
    /// Decays to 0 with `tau`; a pulse of `amount` comes a random `delay_min..=delay_max` steps
    /// after each spike of `post` that follows a spike of `pre` by 1..=`window` steps (each pre
    /// spike rewards at most one post spike).
    Reward {
        /// Decay time constant \[ms\].
        tau: f64,
        /// `(population, neuron)` of the presynaptic neuron.
        pre: (usize, u32),
        /// `(population, neuron)` of the postsynaptic neuron.
        post: (usize, u32),
        /// Window \[steps\].
        window: u64,
        /// Shortest delay \[steps\].
        delay_min: u64,
        /// Longest delay \[steps\].
        delay_max: u64,
        /// Pulse size.
        amount: f64,
    },
}

fn positive(x: f64, path: String, unit: &str) -> Result<f64> {
    if !(x > 0.0 && x.is_finite()) {
        return Err(ModelError::invalid(
            path,
            format!("must be > 0 {unit}, got {x}"),
        ));
    }
    Ok(x)
}

fn finite(x: f64, path: String) -> Result<f64> {
    if !x.is_finite() {
        return Err(ModelError::invalid(
            path,
            format!("must be finite, got {x}"),
        ));
    }
    Ok(x)
}

/// Times \[ms\] → steps (`round(t/dt)`), non-decreasing (increasing when `strict`).
fn steps(times: &[f64], dt: f64, path: &str, strict: bool) -> Result<Vec<u64>> {
    let mut out: Vec<u64> = Vec::with_capacity(times.len());
    for (k, &t) in times.iter().enumerate() {
        if !(t >= 0.0 && t.is_finite()) {
            return Err(ModelError::invalid(
                format!("{path}[{k}]"),
                format!("must be a time ≥ 0 ms, got {t}"),
            ));
        }
        let s = (t / dt).round() as u64;
        if let Some(&prev) = out.last()
            && (s < prev || (strict && s == prev))
        {
            return Err(ModelError::invalid(
                format!("{path}[{k}]"),
                format!(
                    "times must {} (on the dt = {dt} ms grid), got {t} after {}",
                    if strict { "increase" } else { "not decrease" },
                    times[k - 1]
                ),
            ));
        }
        out.push(s);
    }
    Ok(out)
}

/// Validate `[[modulators]]`. `find` resolves a population name (its error names the path);
/// `sizes` are the population sizes.
pub fn validate(
    specs: &[ModulatorSpec],
    dt: f64,
    sizes: &[usize],
    find: &dyn Fn(&str, String) -> Result<usize>,
    base_dir: &Path,
) -> Result<Vec<Modulator>> {
    let mut out: Vec<Modulator> = Vec::new();
    for (i, m) in specs.iter().enumerate() {
        let path = format!("modulators[{i}]");
        let name = match m {
            ModulatorSpec::Activity(a) => &a.name,
            ModulatorSpec::Pulses(p) => &p.name,
            ModulatorSpec::Series(s) => &s.name,
            ModulatorSpec::Reward(r) => &r.name,
        };
        if name.is_empty() {
            return Err(ModelError::invalid(
                format!("{path}.name"),
                "must not be empty",
            ));
        }
        if let Some(other) = out.iter().find(|o| &o.name == name) {
            return Err(ModelError::invalid(
                format!("{path}.name"),
                format!("duplicate modulator name \"{name}\" (also {})", other.path),
            ));
        }
        let (kind, initial) = match m {
            ModulatorSpec::Activity(ActivityModulator {
                tau,
                bias,
                sources,
                normalize,
                initial,
                ..
            }) => {
                let tau = positive(*tau, format!("{path}.tau"), "ms")?;
                let bias = finite(*bias, format!("{path}.bias"))?;
                let rate = match normalize.as_str() {
                    "count" => false,
                    "rate" => true,
                    other => {
                        return Err(ModelError::invalid(
                            format!("{path}.normalize"),
                            format!("must be \"count\" or \"rate\", got \"{other}\""),
                        ));
                    }
                };
                if sources.is_empty() {
                    return Err(ModelError::invalid(
                        format!("{path}.sources"),
                        "an activity modulator needs at least one source population, got []",
                    ));
                }
                let mut srcs = Vec::new();
                for (k, s) in sources.iter().enumerate() {
                    let p = find(&s.population, format!("{path}.sources[{k}].population"))?;
                    let w = finite(s.weight, format!("{path}.sources[{k}].weight"))?;
                    srcs.push((
                        p,
                        if rate {
                            w * 1000.0 / sizes[p] as f64
                        } else {
                            w
                        },
                    ));
                }
                let initial = finite(initial.unwrap_or(bias), format!("{path}.initial"))?;
                (
                    ModulatorKind::Activity {
                        tau,
                        bias,
                        sources: srcs,
                    },
                    initial,
                )
            }
            ModulatorSpec::Pulses(PulsesModulator {
                tau,
                times,
                amounts,
                initial,
                ..
            }) => {
                let tau = positive(*tau, format!("{path}.tau"), "ms")?;
                let st = steps(times, dt, &format!("{path}.times"), false)?;
                let amounts: Vec<f64> = match amounts {
                    None => vec![1.0; times.len()],
                    Some(toml::Value::Float(x)) => vec![*x; times.len()],
                    Some(toml::Value::Integer(x)) => vec![*x as f64; times.len()],
                    Some(toml::Value::Array(a)) => {
                        if a.len() != times.len() {
                            return Err(ModelError::invalid(
                                format!("{path}.amounts"),
                                format!(
                                    "must have one value per time ({}), got {}",
                                    times.len(),
                                    a.len()
                                ),
                            ));
                        }
                        a.iter()
                            .enumerate()
                            .map(|(k, v)| match v {
                                toml::Value::Float(x) => Ok(*x),
                                toml::Value::Integer(x) => Ok(*x as f64),
                                other => Err(ModelError::invalid(
                                    format!("{path}.amounts[{k}]"),
                                    format!("must be a number, got {other}"),
                                )),
                            })
                            .collect::<Result<_>>()?
                    }
                    Some(other) => {
                        return Err(ModelError::invalid(
                            format!("{path}.amounts"),
                            format!("must be a number or an array of numbers, got {other}"),
                        ));
                    }
                };
                for (k, a) in amounts.iter().enumerate() {
                    finite(*a, format!("{path}.amounts[{k}]"))?;
                }
                let initial = finite(*initial, format!("{path}.initial"))?;
                (
                    ModulatorKind::Pulses {
                        tau,
                        pulses: st.into_iter().zip(amounts).collect(),
                    },
                    initial,
                )
            }
            ModulatorSpec::Series(SeriesModulator {
                times,
                values,
                file,
                interval,
                initial,
                ..
            }) => {
                let changes = match (times, values, file) {
                    (Some(t), Some(v), None) => {
                        if t.len() != v.len() {
                            return Err(ModelError::invalid(
                                format!("{path}.values"),
                                format!(
                                    "must have one value per time ({}), got {}",
                                    t.len(),
                                    v.len()
                                ),
                            ));
                        }
                        if t.is_empty() {
                            return Err(ModelError::invalid(
                                format!("{path}.times"),
                                "a series modulator needs at least one value, got []",
                            ));
                        }
                        for (k, x) in v.iter().enumerate() {
                            finite(*x, format!("{path}.values[{k}]"))?;
                        }
                        let st = steps(t, dt, &format!("{path}.times"), true)?;
                        st.into_iter().zip(v.iter().copied()).collect()
                    }
                    (None, None, Some(f)) => {
                        let every = match interval {
                            None => 1,
                            Some(x) => {
                                let x = positive(*x, format!("{path}.interval"), "ms")?;
                                let (s, on_grid) = glia_core::time::to_steps(x, dt);
                                if s < 1 || !on_grid {
                                    return Err(ModelError::invalid(
                                        format!("{path}.interval"),
                                        format!("must be a multiple of dt ({dt} ms), got {x}"),
                                    ));
                                }
                                s as u64
                            }
                        };
                        let v = crate::values::load_floats(
                            &base_dir.join(f),
                            None,
                            &format!("{path}.file"),
                        )?;
                        if v.is_empty() {
                            return Err(ModelError::invalid(
                                format!("{path}.file"),
                                format!("{f}: the array is empty"),
                            ));
                        }
                        v.into_iter()
                            .enumerate()
                            .map(|(k, x)| (k as u64 * every, x))
                            .collect()
                    }
                    (_, _, Some(_)) => {
                        return Err(ModelError::invalid(
                            format!("{path}.file"),
                            "give either `file` or `times` with `values`, not both",
                        ));
                    }
                    (Some(_), None, None) => {
                        return Err(ModelError::invalid(
                            format!("{path}.values"),
                            "missing (one value per time)",
                        ));
                    }
                    (None, Some(_), None) => {
                        return Err(ModelError::invalid(
                            format!("{path}.times"),
                            "missing (one time per value)",
                        ));
                    }
                    (None, None, None) => {
                        return Err(ModelError::invalid(
                            path.clone(),
                            "a series modulator needs `times` with `values`, or `file`",
                        ));
                    }
                };
                if interval.is_some() && file.is_none() {
                    return Err(ModelError::invalid(
                        format!("{path}.interval"),
                        "only with `file`",
                    ));
                }
                let initial = finite(*initial, format!("{path}.initial"))?;
                (ModulatorKind::Series { changes }, initial)
            }
            ModulatorSpec::Reward(RewardModulator {
                tau,
                pre,
                post,
                window,
                delay_min,
                delay_max,
                amount,
                ..
            }) => {
                let tau = positive(*tau, format!("{path}.tau"), "ms")?;
                let neuron = |r: &crate::raw::NeuronRef, field: &str| -> Result<(usize, u32)> {
                    let p = find(&r.population, format!("{path}.{field}.population"))?;
                    if r.id < 0 || r.id as u64 >= sizes[p] as u64 {
                        return Err(ModelError::invalid(
                            format!("{path}.{field}.id"),
                            format!(
                                "must be in 0..{} (population \"{}\"), got {}",
                                sizes[p], r.population, r.id
                            ),
                        ));
                    }
                    Ok((p, r.id as u32))
                };
                let pre = neuron(pre, "pre")?;
                let post = neuron(post, "post")?;
                let st = |x: f64, field: &str| -> Result<u64> {
                    if !(x >= 0.0 && x.is_finite()) {
                        return Err(ModelError::invalid(
                            format!("{path}.{field}"),
                            format!("must be ≥ 0 ms, got {x}"),
                        ));
                    }
                    Ok((x / dt).round() as u64)
                };
                let window_ms = *window;
                let window = st(window_ms, "window")?;
                if window < 1 {
                    return Err(ModelError::invalid(
                        format!("{path}.window"),
                        format!("must be at least one step ({dt} ms), got {window_ms}"),
                    ));
                }
                let (lo, hi) = (st(*delay_min, "delay_min")?, st(*delay_max, "delay_max")?);
                if hi < lo {
                    return Err(ModelError::invalid(
                        format!("{path}.delay_max"),
                        format!("must be ≥ delay_min ({delay_min}), got {delay_max}"),
                    ));
                }
                let amount = finite(*amount, format!("{path}.amount"))?;
                (
                    ModulatorKind::Reward {
                        tau,
                        pre,
                        post,
                        window,
                        delay_min: lo,
                        delay_max: hi,
                        amount,
                    },
                    0.0,
                )
            }
        };
        out.push(Modulator {
            name: name.clone(),
            kind,
            initial,
            path,
        });
    }
    Ok(out)
}

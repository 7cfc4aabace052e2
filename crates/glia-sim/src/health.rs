//! Numerical-fault detection: a NaN or infinity in a neuron's state variable or a plastic
//! weight stops the run (or is reported once) with the population, neuron, variable and step.
//!
//! Checking costs one pass over every stored state variable, done every [`CHECK_EVERY`] steps
//! and after the last step (an integer max-reduction over the bit patterns, which the compiler
//! vectorises). A non-finite value does not go away by itself in the models here (a NaN
//! membrane never crosses threshold and so is never reset), so a periodic check finds it; the
//! fault then names the interval of steps it arose in. Weights are not scanned periodically: a
//! non-finite weight reaches its target's synaptic variable at the next spike through it, and
//! the located fault then also names the first non-finite plastic weight, if any.

use crate::{Network, RunStats};
use std::fmt;

/// Steps between two checks (also the precision, in steps, of the reported step). One check
/// of CUBA's 4000 neurons × 3 variables took 0.8 µs of CPU against 4.2 µs per step (release,
/// 1 thread): about 1.9 % of the simulation every 10 steps, about 1 % every 20
/// (docs/robustness.md, "Measurements").
pub const CHECK_EVERY: u64 = 20;

/// What to do when a state variable becomes NaN or infinite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnNan {
    /// Stop the run with the fault (the default).
    #[default]
    Error,
    /// Report the first fault and run on (no further checks).
    Warn,
    /// Do not check.
    Off,
}

impl std::str::FromStr for OnNan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "error" => Ok(OnNan::Error),
            "warn" => Ok(OnNan::Warn),
            "off" => Ok(OnNan::Off),
            _ => Err(format!("expected error, warn or off, got \"{s}\"")),
        }
    }
}

/// A non-finite plastic weight.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightFault {
    /// Projection name.
    pub projection: String,
    /// Synapse index in storage order.
    pub synapse: usize,
    /// Source neuron (index in its population).
    pub source: u32,
    /// Target neuron (index in its population).
    pub target: u32,
    /// The value.
    pub value: f32,
}

/// A non-finite state variable found by [`scan`].
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// Population name.
    pub population: String,
    /// Neuron index in the population.
    pub neuron: usize,
    /// State variable name.
    pub variable: String,
    /// The value (stored, without the variable's display offset).
    pub value: f32,
    /// Steps simulated when it was found: the value was finite after step `last_ok` and is not
    /// after step `step` (time `step·dt`).
    pub step: u64,
    /// The last step after which every state variable was checked finite.
    pub last_ok: u64,
    /// Time step \[ms\].
    pub dt: f64,
    /// The first non-finite plastic weight, if any (a likely cause).
    pub weight: Option<WeightFault>,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "non-finite state: population \"{}\", neuron {}, variable {} = {} at step {} (t = {} ms)",
            self.population,
            self.neuron,
            self.variable,
            self.value,
            self.step,
            self.step as f64 * self.dt
        )?;
        if self.last_ok + 1 < self.step {
            write!(
                f,
                "; it arose in steps {}..={} (checked every {CHECK_EVERY} steps)",
                self.last_ok + 1,
                self.step
            )?;
        }
        if let Some(w) = &self.weight {
            write!(
                f,
                "; plastic weight {} of projection \"{}\" ({} -> {}) is {}",
                w.synapse, w.projection, w.source, w.target, w.value
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Fault {}

/// Whether all of `xs` are finite: exponent bits all ones means infinity or NaN. An integer
/// max-reduction without early exit, so it vectorises.
#[inline]
pub fn all_finite(xs: &[f32]) -> bool {
    const EXP: u32 = 0x7f80_0000;
    xs.iter().fold(0u32, |m, x| m.max(x.to_bits() & EXP)) != EXP
}

/// Whether every stored state variable of every neuron is finite (the periodic check).
pub fn state_finite(net: &Network) -> bool {
    net.blocks.iter().all(|b| {
        let p = &net.pops[b.pop];
        (0..p.variables.len()).all(|k| {
            let v = p.model.var(&b.state, k);
            all_finite(&v[..b.len.min(v.len())])
        })
    })
}

/// The first non-finite plastic weight (projection order, storage order).
pub fn weight_fault(net: &Network) -> Option<WeightFault> {
    for pp in &net.plastic {
        let pr = &net.projs[pp.proj];
        let crate::Weights::PerSynapse(ws) = &pr.csr.weights else {
            continue;
        };
        if all_finite(ws) {
            continue;
        }
        let k = ws.iter().position(|w| !w.is_finite())?;
        return Some(WeightFault {
            projection: pr.name.clone(),
            synapse: k,
            source: net.synapse_sources(pp.proj)[k],
            target: pr.csr.targets[k],
            value: ws[k],
        });
    }
    None
}

/// Locate the first non-finite state variable (population order, then variable, then neuron),
/// `None` when all are finite. `last_ok` is the step of the last clean check.
pub fn scan(net: &Network, last_ok: u64) -> Option<Fault> {
    for (pi, p) in net.pops.iter().enumerate() {
        for k in 0..p.variables.len() {
            for b in &net.blocks[p.blocks.clone()] {
                debug_assert_eq!(b.pop, pi);
                let v = p.model.var(&b.state, k);
                let v = &v[..b.len.min(v.len())];
                if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                    return Some(Fault {
                        population: p.name.clone(),
                        neuron: b.start + i,
                        variable: p.variables[k].clone(),
                        value: v[i],
                        step: net.step,
                        last_ok,
                        dt: net.dt,
                        weight: weight_fault(net),
                    });
                }
            }
        }
    }
    None
}

/// Run `steps` steps as [`Network::run`] does, checking the state for non-finite values every
/// [`CHECK_EVERY`] steps and after the last one, as `on_nan` says. With [`OnNan::Error`] the
/// run stops at the check that finds a fault (`complete` is false) and the fault is returned;
/// with [`OnNan::Warn`] the first fault is passed to `warn` and the run goes on.
pub fn run_checked(
    net: &mut Network,
    steps: u64,
    on_nan: OnNan,
    progress: &mut (dyn FnMut(crate::Progress) -> bool + Send),
    warn: &mut (dyn FnMut(&Fault) + Send),
) -> (RunStats, Option<Fault>) {
    if on_nan == OnNan::Off {
        return (net.run(steps, progress), None);
    }
    run_checked_with(net, steps, on_nan, progress, warn, &mut |_| true)
}

/// [`run_checked`] that also calls `between` every [`CHECK_EVERY`] steps and after the last
/// one (after the check, also with [`OnNan::Off`]), with the network mutable: the streaming
/// spike sink drains the monitors there ([`crate::sink::SpikeSink::drain`]). `between`
/// returning `false` stops the run (`complete` is false).
pub fn run_checked_with(
    net: &mut Network,
    steps: u64,
    on_nan: OnNan,
    progress: &mut (dyn FnMut(crate::Progress) -> bool + Send),
    warn: &mut (dyn FnMut(&Fault) + Send),
    between: &mut (dyn FnMut(&mut Network) -> bool + Send),
) -> (RunStats, Option<Fault>) {
    let mut fault = None;
    let mut last_ok = net.step;
    let mut active = on_nan != OnNan::Off;
    let end = net.step + steps;
    let stats = net.run_with_check(steps, CHECK_EVERY, progress, &mut |n: &mut Network| {
        if !active || (state_finite(n) && n.step < end) {
            if active {
                last_ok = n.step;
            }
            return between(n);
        }
        // at the end of the run (or on a fault): locate precisely
        match scan(n, last_ok) {
            None => {
                last_ok = n.step;
                between(n)
            }
            Some(f) => {
                active = false;
                if on_nan == OnNan::Warn {
                    warn(&f);
                    between(n)
                } else {
                    fault = Some(f);
                    false
                }
            }
        }
    });
    (stats, fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_finite_finds_every_kind_of_non_finite() {
        let mut v = vec![1.0f32; 37];
        assert!(all_finite(&v));
        assert!(all_finite(&[]));
        v[0] = f32::MAX;
        v[1] = -f32::MAX;
        v[2] = f32::MIN_POSITIVE / 2.0; // subnormal
        assert!(all_finite(&v));
        for bad in [f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for at in [3, 36] {
                let mut w = v.clone();
                w[at] = bad;
                assert!(!all_finite(&w), "{bad} at {at}");
            }
        }
    }

    #[test]
    fn on_nan_parses() {
        assert_eq!("warn".parse::<OnNan>(), Ok(OnNan::Warn));
        assert!("nan".parse::<OnNan>().unwrap_err().contains("got \"nan\""));
    }
}

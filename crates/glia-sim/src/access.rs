//! Reading and changing a built network between runs: state variables, synaptic weights,
//! Poisson source rates, connectivity and recordings.
//!
//! This is what the Python bindings (`crates/glia-py`) and tests use to look inside a network
//! without touching the step loop. Every write is checked (lengths, finiteness, the sign rules
//! that building enforces) and reported as a [`ModelError`] naming what was wrong, never a
//! panic; a failed write leaves the network unchanged. Writes change no random stream, so a
//! network whose weights are set to the values they already have runs exactly as before.

use crate::csr::Weights;
use crate::monitors::StateRecorder;
use crate::neurons::Model as NeuronModel;
use crate::neurons::rate::Dale;
use crate::{BLOCK, Network};
use glia_spec::{ModelError, SynapseKind};

impl Network {
    /// Index of a projection by name.
    pub fn projection(&self, name: &str) -> Option<usize> {
        self.projs.iter().position(|p| p.name == name)
    }

    /// Set state variable `var` of every neuron of population `pop` (physical values, e.g. `v`
    /// in mV). Errors: unknown variable, wrong length, non-finite values.
    pub fn set_state(&mut self, pop: usize, var: &str, values: &[f64]) -> Result<(), ModelError> {
        let p = &self.pops[pop];
        let path = format!("{}.{var}", p.name);
        let k = p.variables.iter().position(|v| v == var).ok_or_else(|| {
            ModelError::invalid(
                &path,
                format!(
                    "population \"{}\" (model \"{}\") has no state variable \"{var}\" (it has: {})",
                    p.name,
                    p.model_name,
                    if p.variables.is_empty() {
                        "none".into()
                    } else {
                        p.variables.join(", ")
                    }
                ),
            )
        })?;
        if values.len() != p.size {
            return Err(ModelError::invalid(
                path,
                format!(
                    "expected {} values (one per neuron), got {}",
                    p.size,
                    values.len()
                ),
            ));
        }
        let offset = p.model.var_offset(k);
        let stored: Vec<f32> = values.iter().map(|&x| (x - offset) as f32).collect();
        if let Some((i, x)) = values
            .iter()
            .zip(&stored)
            .enumerate()
            .find(|(_, (_, s))| !s.is_finite())
            .map(|(i, (x, _))| (i, x))
        {
            return Err(ModelError::invalid(
                path,
                format!("must be finite (in float32), got {x} for neuron {i}"),
            ));
        }
        let range = p.blocks.clone();
        for b in &mut self.blocks[range] {
            let dst = &mut p.model.var_mut(&mut b.state, k)[..b.len];
            dst.copy_from_slice(&stored[b.start..b.start + b.len]);
        }
        Ok(())
    }

    /// The weights of projection `proj`, one per synapse in storage order (rows by source
    /// neuron, each sorted by target; see [`Network::synapse_sources`]).
    pub fn weights(&self, proj: usize) -> Vec<f32> {
        let csr = &self.projs[proj].csr;
        match &csr.weights {
            Weights::Const(w) => vec![*w; csr.len()],
            Weights::PerSynapse(ws) => ws.clone(),
        }
    }

    /// Replace the weights of projection `proj` (storage order, as [`Network::weights`]
    /// returns them). The rules checked when the network was built apply: finite values,
    /// ≥ 0 into conductance ports and `elm` neurons, the sign of Dale's law for `rate`
    /// sources. Equal weights are stored once.
    pub fn set_weights(&mut self, proj: usize, w: &[f32]) -> Result<(), ModelError> {
        let pr = &self.projs[proj];
        let path = format!("{}.weight", pr.name);
        let n = pr.csr.len();
        if w.len() != n {
            return Err(ModelError::invalid(
                path,
                format!("expected {n} weights (one per synapse), got {}", w.len()),
            ));
        }
        if let Some((k, x)) = w.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(ModelError::invalid(
                path,
                format!("must be finite, got {x} for synapse {k}"),
            ));
        }
        let (sp, tp) = (&self.pops[pr.source], &self.pops[pr.target]);
        let nonneg = if matches!(tp.ports[pr.port].kind, SynapseKind::Conductance { .. }) {
            Some("the target port is conductance-based (nS)")
        } else if matches!(tp.model, NeuronModel::Elm(_)) {
            Some("the target is an elm neuron")
        } else if let NeuronModel::Rate(r) = &sp.model
            && r.dale == Some(Dale::Excitatory)
        {
            Some("the source is excitatory (dale)")
        } else {
            None
        };
        if let Some(why) = nonneg
            && let Some((k, x)) = w.iter().enumerate().find(|(_, x)| **x < 0.0)
        {
            return Err(ModelError::invalid(
                path,
                format!("must be ≥ 0 ({why}), got {x} for synapse {k}"),
            ));
        }
        if let NeuronModel::Rate(r) = &sp.model
            && r.dale == Some(Dale::Inhibitory)
            && let Some((k, x)) = w.iter().enumerate().find(|(_, x)| **x > 0.0)
        {
            return Err(ModelError::invalid(
                path,
                format!("must be ≤ 0 (the source is inhibitory (dale)), got {x} for synapse {k}"),
            ));
        }
        if let Some(pp) = self.plastic.iter().find(|pp| pp.proj == proj) {
            // Plastic weights stay one per synapse, within the rule's bounds.
            let (lo, hi) = pp.state.bounds();
            if let Some((k, x)) = w
                .iter()
                .enumerate()
                .find(|(_, x)| !(**x >= lo && **x <= hi))
            {
                return Err(ModelError::invalid(
                    path,
                    format!(
                        "must lie within the plasticity bounds [w_min, w_max] = [{lo}, {hi}], got {x} for synapse {k}"
                    ),
                ));
            }
            self.projs[proj].csr.weights = Weights::PerSynapse(w.to_vec());
            return Ok(());
        }
        let first = w.first().map(|x| x.to_bits());
        self.projs[proj].csr.weights = if n > 0 && w.iter().all(|x| Some(x.to_bits()) == first) {
            Weights::Const(w[0])
        } else {
            Weights::PerSynapse(w.to_vec())
        };
        Ok(())
    }

    /// The source neuron of every synapse of projection `proj`, in storage order.
    pub fn synapse_sources(&self, proj: usize) -> Vec<u32> {
        let csr = &self.projs[proj].csr;
        let mut out = Vec::with_capacity(csr.len());
        for (i, w) in csr.row_ptr.windows(2).enumerate() {
            out.extend(std::iter::repeat_n(i as u32, (w[1] - w[0]) as usize));
        }
        out
    }

    /// The target neuron of every synapse of projection `proj`, in storage order.
    pub fn synapse_targets(&self, proj: usize) -> Vec<u32> {
        self.projs[proj].csr.target_indices().into_owned()
    }

    /// The delay of every synapse of projection `proj` in steps, in storage order.
    pub fn synapse_delays(&self, proj: usize) -> Vec<u16> {
        let csr = &self.projs[proj].csr;
        (0..csr.len()).map(|k| csr.delay(k)).collect()
    }

    /// Set the rates \[Hz\] of a `poisson` population, one per neuron; from the next step on
    /// each neuron spikes with probability `rate·dt` per step.
    pub fn set_rates(&mut self, pop: usize, rates: &[f64]) -> Result<(), ModelError> {
        let dt = self.dt;
        let p = &mut self.pops[pop];
        let path = format!("{}.params.rate", p.name);
        let NeuronModel::Poisson(src) = &mut p.model else {
            return Err(ModelError::invalid(
                path,
                format!(
                    "population \"{}\" is a \"{}\" population; rates can be set only for \"poisson\" populations",
                    p.name, p.model_name
                ),
            ));
        };
        if rates.len() != p.size {
            return Err(ModelError::invalid(
                path,
                format!(
                    "expected {} rates (one per neuron), got {}",
                    p.size,
                    rates.len()
                ),
            ));
        }
        if let Some((i, r)) = rates
            .iter()
            .enumerate()
            .find(|(_, r)| !(**r >= 0.0 && **r * dt / 1000.0 <= 1.0))
        {
            return Err(ModelError::invalid(
                path,
                format!(
                    "rates must be in [0, {}] Hz (at most one spike per step), got {r} for neuron {i}",
                    1000.0 / dt
                ),
            ));
        }
        let p: Vec<f64> = rates.iter().map(|r| r * dt / 1000.0).collect();
        src.set_probabilities(&p);
        // The process is memoryless: every neuron's next spike is drawn afresh from now on.
        let (seed, step) = (self.seed, self.step);
        let (p, blocks) = (&self.pops[pop], &mut self.blocks);
        let NeuronModel::Poisson(src) = &p.model else {
            unreachable!("checked above")
        };
        for b in &mut blocks[p.blocks.clone()] {
            if let crate::neurons::BlockState::Poisson(st) = &mut b.state {
                src.redraw(st, seed, step, b.start as u32);
            }
        }
        Ok(())
    }

    /// Forget what the monitors recorded so far (spike and state samples; rate-monitor counts
    /// are set to zero, their bins stay aligned with time 0). Spike statistics are kept.
    pub fn clear_recordings(&mut self) {
        for m in &mut self.monitors.spikes {
            m.steps.clear();
            m.ids.clear();
        }
        for m in &mut self.monitors.state {
            m.steps.clear();
            m.data.iter_mut().for_each(Vec::clear);
        }
        for m in &mut self.monitors.rates {
            m.counts.iter_mut().for_each(|c| *c = 0);
        }
    }

    /// Leak rates `α` and biases `b` of rate population `pop`, one per neuron (as lowered,
    /// in f32), or `None` when `pop` is not a `rate` population. Used by glia-reservoir's
    /// dedicated echo-state kernel to run the same update outside the step loop.
    pub fn rate_params(&self, pop: usize) -> Option<(Vec<f32>, Vec<f32>)> {
        let p = &self.pops[pop];
        let mut leak = Vec::with_capacity(p.size);
        let mut bias = Vec::with_capacity(p.size);
        for b in &self.blocks[p.blocks.clone()] {
            let crate::neurons::BlockState::Rate(st) = &b.state else {
                return None;
            };
            leak.extend_from_slice(&st.leak[..b.len]);
            bias.extend_from_slice(&st.bias[..b.len]);
        }
        Some((leak, bias))
    }

    /// Whether population `pop` receives anything from outside its projections: `[[inputs]]`
    /// currents (dc, steps, noise) or Poisson drives.
    pub fn has_external_inputs(&self, pop: usize) -> bool {
        let p = &self.pops[pop];
        !p.drives.is_empty() || !p.noises.is_empty() || self.currents.iter().any(|c| c.pop == pop)
    }

    /// Value of state variable `var` of neuron `id` of population `pop` (physical units).
    pub fn state_of(&self, pop: usize, var: &str, id: u32) -> Option<f64> {
        let p = &self.pops[pop];
        let k = p.variables.iter().position(|v| v == var)?;
        if id as usize >= p.size {
            return None;
        }
        let (b, o) = StateRecorder::locate(id);
        let block = &self.blocks[p.blocks.start + b];
        debug_assert!(o < BLOCK);
        Some(f64::from(p.model.var(&block.state, k)[o]) + p.model.var_offset(k))
    }
}

#[cfg(test)]
mod tests {
    use crate::Network;

    const MODEL: &str = r#"
[simulation]
duration = 50.0
seed = 3
[[populations]]
name = "src"
size = 30
model = "poisson"
params = { rate = 200.0 }
[[populations]]
name = "n"
size = 1100
model = "lif"
ports.g = { type = "conductance", E_rev = 0.0, tau_syn = 5.0 }
[[projections]]
source = "src"
target = "n"
port = "g"
connect = { rule = "fixed_probability", p = 0.3 }
weight = { dist = "uniform", low = 0.5, high = 2.0 }
[[monitors]]
kind = "spikes"
population = "n"
"#;

    fn net() -> Network {
        let m = glia_spec::parse(MODEL, std::path::Path::new("."), &Default::default()).unwrap();
        crate::build::build(&m).unwrap()
    }

    /// Weights and state read back exactly as written (state through float32: within 1 ulp
    /// of f32 at the written value); bad writes are errors naming the field and leave the
    /// network as it was.
    #[test]
    fn round_trips_and_errors() {
        let mut n = net();
        let w = n.weights(0);
        assert_eq!(w.len(), n.synapse_sources(0).len());
        let w2: Vec<f32> = w.iter().map(|x| x * 2.0).collect();
        n.set_weights(0, &w2).unwrap();
        assert_eq!(n.weights(0), w2);
        let e = n.set_weights(0, &w2[1..]).unwrap_err().to_string();
        assert!(e.starts_with("src->n.weight: expected"), "{e}");
        let mut neg = w2.clone();
        neg[5] = -1.0;
        let e = n.set_weights(0, &neg).unwrap_err().to_string();
        assert!(e.contains("must be ≥ 0") && e.contains("synapse 5"), "{e}");
        assert_eq!(n.weights(0), w2);

        let v: Vec<f64> = (0..1100).map(|i| -70.0 + i as f64 * 0.01).collect();
        n.set_state(1, "v", &v).unwrap();
        let back = n.state(1, "v").unwrap();
        for (a, b) in v.iter().zip(&back) {
            assert!((a - b).abs() <= 1e-5 * a.abs(), "{a} {b}");
        }
        assert_eq!(n.state_of(1, "v", 1099), Some(back[1099]));
        let e = n.set_state(1, "u", &v).unwrap_err().to_string();
        assert!(e.starts_with("n.u: population \"n\""), "{e}");
        let e = n.set_rates(1, &[1.0]).unwrap_err().to_string();
        assert!(e.contains("only for \"poisson\""), "{e}");
        let e = n.set_rates(0, &[20000.0; 30]).unwrap_err().to_string();
        assert!(
            e.starts_with("src.params.rate: rates must be in [0, 10000]"),
            "{e}"
        );
    }

    /// Running 20 ms then 30 ms gives the spikes of one 50 ms run; weights set to their own
    /// values (stored per synapse instead of once) change nothing; clearing recordings empties
    /// the monitors.
    #[test]
    fn runs_continue_and_writes_are_neutral() {
        let mut a = net();
        a.run(500, &mut |_| true);
        let mut b = net();
        let w = b.weights(0);
        b.set_weights(0, &w).unwrap();
        b.run(200, &mut |_| true);
        b.run(300, &mut |_| true);
        assert!(!a.monitors.spikes[0].ids.is_empty());
        assert_eq!(a.monitors.spikes[0].steps, b.monitors.spikes[0].steps);
        assert_eq!(a.monitors.spikes[0].ids, b.monitors.spikes[0].ids);
        b.set_rates(0, &[0.0; 30]).unwrap();
        b.clear_recordings();
        assert!(b.monitors.spikes[0].ids.is_empty());
    }
}

//! Leaky rate units for echo-state reservoirs (Jaeger 2001; leaky-integrator ESN of Jaeger,
//! Lukoševičius, Popovici & Siewert 2007).
//!
//! ```text
//! x_i(s) = (1 − α) x_i(s − 1) + α f( Σ_j W_ij x_j(s − d_ij) + b_i + u_i(s) )
//! ```
//!
//! `s` counts steps (the time step `dt` only converts delays and input times to steps). The sum
//! runs over the incoming projections: a rate population sends its value `x_j`, multiplied by
//! the synaptic weight, to every target **every step** (graded transmission, instead of
//! spikes), arriving after the projection's delay — one step (`delay = dt`, the default) gives
//! the standard ESN update `x(s) = (1 − α) x(s−1) + α f(W x(s−1) + W_in u(s) + b)`.
//! `u_i(s)` is the external input (`[[inputs]]` currents: `dc`, `step_current`, `noise`, in
//! the unit of `x`). Inputs from spiking populations arrive as weight × spike count.
//!
//! | param | unit | default | meaning |
//! |---|---|---|---|
//! | `activation` | — | `"tanh"` | `f`: `"tanh"`, `"sigmoid"` (1/(1+e^{−z})), `"relu"` (max(z, 0)) or `"linear"` (z) |
//! | `leak` | — | 1 | leak rate `α`, in (0, 1]; per neuron (number, array, file or distribution) |
//! | `bias` | — | 0 | `b_i`; per neuron |
//! | `dale` | — | none | `"excitatory"` or `"inhibitory"`: every outgoing weight must be ≥ 0 (resp. ≤ 0), checked when the network is built |
//!
//! Ports: every port is a `delta` port (the value arriving in a step enters the sum of that
//! step); default one port `in`. State variable: `x` (initially 0, or `initial.x`). Rate units
//! never spike.

use super::{LowerCtx, Lowered, Neuron, block_sizes};
use glia_spec::{Kernel, ModelError, PortSpec, SynapseKind};
use serde::Deserialize;

/// The unit's nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `tanh z`.
    Tanh,
    /// `1/(1 + e^{−z})`.
    Sigmoid,
    /// `max(z, 0)`.
    Relu,
    /// `z`.
    Linear,
}

/// Sign constraint on a population's outgoing weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dale {
    /// Outgoing weights ≥ 0.
    Excitatory,
    /// Outgoing weights ≤ 0.
    Inhibitory,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateParams {
    #[serde(default = "tanh")]
    activation: Activation,
    leak: Option<toml::Value>,
    bias: Option<toml::Value>,
    dale: Option<Dale>,
}

fn tanh() -> Activation {
    Activation::Tanh
}

/// A population of rate units.
#[derive(Clone, Debug)]
pub struct Rate {
    /// Nonlinearity.
    pub activation: Activation,
    /// Sign of outgoing weights, if constrained.
    pub dale: Option<Dale>,
}

/// State of one block.
#[derive(Clone, Debug)]
pub struct RateState {
    /// Activity `x`.
    pub x: Vec<f32>,
    /// Leak rate `α` per neuron.
    pub leak: Vec<f32>,
    /// Bias per neuron.
    pub bias: Vec<f32>,
}

/// Lower a `rate` population.
pub fn lower(ctx: &LowerCtx<'_>) -> Result<Lowered, ModelError> {
    let p: RateParams = ctx.params()?;
    let ports = ctx.ports_or(&[PortSpec {
        name: "in".into(),
        kind: SynapseKind::Current,
        kernel: Kernel::Delta,
        tau_syn: 0.0,
    }]);
    for port in &ports {
        if port.kernel != Kernel::Delta {
            return Err(ModelError::invalid(
                format!("{}.ports.{}.kernel", ctx.pop.path, port.name),
                "rate units take their input in the step it arrives: use kernel = \"delta\"",
            ));
        }
    }
    let one = toml::Value::Float(1.0);
    let zero = toml::Value::Float(0.0);
    let leak = ctx.per_neuron(p.leak.as_ref().unwrap_or(&one), "leak", 0)?;
    if let Some((i, a)) = leak
        .iter()
        .enumerate()
        .find(|(_, a)| !(**a > 0.0 && **a <= 1.0))
    {
        return Err(ModelError::invalid(
            ctx.path("leak"),
            format!("must be in (0, 1], got {a} for neuron {i}"),
        ));
    }
    let bias = ctx.per_neuron(p.bias.as_ref().unwrap_or(&zero), "bias", 1)?;
    let blocks = block_sizes(ctx.pop.size)
        .map(|(start, n)| {
            super::BlockState::Rate(RateState {
                x: vec![0.0; n],
                leak: leak[start..start + n].iter().map(|&a| a as f32).collect(),
                bias: bias[start..start + n].iter().map(|&b| b as f32).collect(),
            })
        })
        .collect();
    Ok(Lowered {
        model: super::Model::Rate(Rate {
            activation: p.activation,
            dale: p.dale,
        }),
        ports,
        variables: vec!["x".into()],
        blocks,
    })
}

impl Rate {
    /// The nonlinearity applied to a tile (f64 internally for `tanh`/`sigmoid` accuracy is not
    /// needed: f32 `tanh` is accurate to an ulp or two).
    #[inline(always)]
    fn apply(&self, z: f32) -> f32 {
        match self.activation {
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
            Activation::Relu => z.max(0.0),
            Activation::Linear => z,
        }
    }
}

impl Neuron for Rate {
    type State = RateState;
    const GRADED: bool = true;

    fn update(
        &self,
        s: &mut RateState,
        inputs: &mut [&mut [f32]],
        i_ext: Option<&[f32]>,
        _offset: u32,
        _spikes: &mut Vec<u32>,
    ) {
        let n = s.x.len();
        for i in 0..n {
            let mut z = s.bias[i];
            for inp in inputs.iter_mut() {
                z += inp[i];
                inp[i] = 0.0;
            }
            if let Some(u) = i_ext {
                z += u[i];
            }
            let a = s.leak[i];
            s.x[i] = (1.0 - a) * s.x[i] + a * self.apply(z);
        }
    }

    fn var<'a>(&self, s: &'a RateState, _k: usize) -> &'a [f32] {
        &s.x
    }

    fn var_mut<'a>(&self, s: &'a mut RateState, _k: usize) -> &'a mut [f32] {
        &mut s.x
    }

    fn output<'a>(&self, s: &'a RateState) -> Option<&'a [f32]> {
        Some(&s.x)
    }
}

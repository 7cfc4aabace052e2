//! A glia model and its built network → a NIR graph: the inverse of [`crate::import()`], for
//! every network that NIR can express.
//!
//! | glia | NIR |
//! |---|---|
//! | `spike_generator`, `poisson` population | `Input` (its spikes are data, not part of the graph) |
//! | `lif`, delta ports, `t_ref` = 0 | `LIF` (`V_th = inf`: `LI`; `tau_m = inf`: `IF`, both: `I`) |
//! | `lif`, current exp ports of one `tau_syn`, `t_ref` = 0 | `CubaLIF` (`V_th = inf`: `CubaLI`) |
//! | projection | `Affine` (dense weights; multapses summed), then `Delay` when its delay exceeds one step |
//! | `I_e`, dc input from t = 0 to the end | the bias of the target's first incoming `Affine` |
//! | spike or state monitor | `Output` |
//!
//! Refused, with an error naming the model field and the feature: plasticity, short-term
//! plasticity and neuromodulators (NIR weights are fixed), other neuron models,
//! refractoriness, conductance, alpha or mixed ports, ports of different `tau_syn`, Poisson,
//! noise and time-varying current inputs, initial values (NIR has no initial state; the one
//! exception is the initial `I_in = −bias` that makes a Cuba node's bias exact, as
//! [`crate::import()`] writes it), delays that vary per synapse other than per source or per
//! target, and a bias on a population without incoming projections.
//! Weights convert back with the same `dt` as on import (`W = w·C_m/dt` into a delta port,
//! `W = w·τ_syn/dt` into an exp port, `w_in = 1`); they pass through f32 (glia's storage).

use crate::graph::{Field, Graph, Node};
use crate::{NirError, Result};
use glia_sim::Network;
use glia_sim::neurons::lif::LifParams;
use glia_spec::{InputKind, Kernel, Model, SynapseKind, Values};
use std::collections::{BTreeMap, BTreeSet};

enum Intake {
    Delta { c_m: f64 },
    Cuba { tau_syn: f64 },
}

fn vecf(n: usize, v: f64) -> Field {
    Field::vec(vec![v; n])
}

/// The NIR node of population `i` (None for a spike source), and how weights reach it.
fn neuron_node(model: &Model, net: &Network, i: usize) -> Result<(Node, Option<Intake>)> {
    let pop = &model.populations[i];
    let info = &net.pops[i];
    let n = pop.size;
    let path = &pop.path;
    match pop.model.as_str() {
        "spike_generator" | "poisson" => {
            return Ok((
                Node::new("Input", [("shape", Field::ints(&[n as i64]))]),
                None,
            ));
        }
        "lif" => {}
        other => {
            return Err(NirError::unsupported(
                format!("{path}.model"),
                format!(
                    "neuron model {other:?}: NIR has no such neuron (exportable: lif, spike_generator, poisson)"
                ),
            ));
        }
    }
    let mut p: LifParams = pop
        .params
        .clone()
        .try_into()
        .map_err(|e| NirError::unsupported(format!("{path}.params"), format!("{e}")))?;
    p.check(&format!("{path}.params"))?;
    if (p.t_ref / model.dt).round() != 0.0 {
        return Err(NirError::unsupported(
            format!("{path}.params.t_ref"),
            format!(
                "refractory period ({} ms): NIR neurons have none (set t_ref = 0)",
                p.t_ref
            ),
        ));
    }
    for port in &info.ports {
        if let SynapseKind::Conductance { .. } = port.kind {
            return Err(NirError::unsupported(
                format!("{path}.ports.{}", port.name),
                "conductance synapses: NIR's neurons are current-based",
            ));
        }
        if port.kernel == Kernel::Alpha {
            return Err(NirError::unsupported(
                format!("{path}.ports.{}", port.name),
                "alpha synapses: NIR has delta (LIF) and exponential (CubaLIF) synapses only",
            ));
        }
    }
    let delta = info.ports.iter().all(|p| p.kernel == Kernel::Delta);
    let exp = info.ports.iter().all(|p| p.kernel == Kernel::Exp);
    if !delta && !exp {
        return Err(NirError::unsupported(
            format!("{path}.ports"),
            "a mix of delta and exponential ports: a NIR neuron has one kind of synapse",
        ));
    }
    let leaky = p.tau_m.is_finite();
    let spiking = p.V_th.is_finite();
    let r = if leaky { p.tau_m / p.C_m } else { 1e3 / p.C_m };
    let mut f: Vec<(&'static str, Field)> = vec![("r", vecf(n, r))];
    if leaky {
        f.push(("v_leak", vecf(n, p.E_L)));
    } else if p.E_L != 0.0 && spiking {
        // IF has no v_leak: glia's E_L only shifts v, harmless when it is 0
        return Err(NirError::unsupported(
            format!("{path}.params.E_L"),
            format!(
                "E_L = {} without leak (tau_m = inf): NIR's IF and I have no rest potential (set E_L = 0)",
                p.E_L
            ),
        ));
    }
    if spiking {
        f.push(("v_threshold", vecf(n, p.V_th)));
        f.push(("v_reset", vecf(n, p.V_reset)));
    }
    let (kind, intake) = if exp {
        let taus: BTreeSet<u64> = info.ports.iter().map(|p| p.tau_syn.to_bits()).collect();
        if taus.len() != 1 {
            return Err(NirError::unsupported(
                format!("{path}.ports"),
                format!(
                    "ports with different tau_syn ({}): NIR's CubaLIF has one synaptic time constant",
                    info.ports
                        .iter()
                        .map(|p| format!("{} {} ms", p.name, p.tau_syn))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !leaky {
            return Err(NirError::unsupported(
                format!("{path}.params.tau_m"),
                "tau_m = inf with exponential synapses: NIR has no current-based integrator",
            ));
        }
        let tau_syn = info.ports[0].tau_syn;
        f.push(("tau_mem", vecf(n, p.tau_m / 1e3)));
        f.push(("tau_syn", vecf(n, tau_syn / 1e3)));
        f.push(("w_in", vecf(n, 1.0)));
        (
            if spiking { "CubaLIF" } else { "CubaLI" },
            Intake::Cuba { tau_syn },
        )
    } else {
        if leaky {
            f.push(("tau", vecf(n, p.tau_m / 1e3)));
        }
        let k = match (leaky, spiking) {
            (true, true) => "LIF",
            (true, false) => "LI",
            (false, true) => "IF",
            (false, false) => "I",
        };
        (k, Intake::Delta { c_m: p.C_m })
    };
    Ok((Node::new(kind, f), Some(intake)))
}

/// The constant current (pA) each neuron of population `i` gets from `I_e` and dc inputs.
fn bias_current(model: &Model, i: usize) -> Result<Vec<f64>> {
    let pop = &model.populations[i];
    let ie = pop
        .params
        .get("I_e")
        .and_then(|v| v.as_float().or(v.as_integer().map(|x| x as f64)))
        .unwrap_or(0.0);
    let mut b = vec![ie; pop.size];
    for inp in model.inputs.iter().filter(|x| x.target == i) {
        match &inp.kind {
            InputKind::Current { ids, changes }
                if changes.first().is_some_and(|c| c.0 == 0)
                    && changes[1..].iter().all(|c| c.0 >= model.steps) =>
            {
                let a = changes[0].1;
                match ids {
                    None => b.iter_mut().for_each(|x| *x += a),
                    Some(ids) => ids.iter().for_each(|&k| b[k as usize] += a),
                }
            }
            InputKind::Current { .. } => {
                return Err(NirError::unsupported(
                    &inp.path,
                    "a current that changes during the run: NIR graphs carry constant biases only (time-varying input is data for an Input node)",
                ));
            }
            InputKind::Poisson { .. } => {
                return Err(NirError::unsupported(
                    &inp.path,
                    "Poisson input: NIR graphs carry no stimuli (use a poisson population, exported as an Input node)",
                ));
            }
            InputKind::Noise { .. } => {
                return Err(NirError::unsupported(
                    &inp.path,
                    "noise input: NIR graphs are deterministic",
                ));
            }
        }
    }
    Ok(b)
}

fn values(v: &Values, n: usize, path: &str) -> Result<Vec<f64>> {
    match v {
        Values::Const(c) => Ok(vec![*c; n]),
        Values::Array(a) => Ok(a.clone()),
        Values::Dist(_) => Err(NirError::unsupported(
            path,
            "random initial values: NIR has no initial state",
        )),
    }
}

/// Convert a validated model and the network built from it (`glia_sim::build::build`).
pub fn export(model: &Model, net: &Network) -> Result<Graph> {
    for p in &model.projections {
        if let Some(pl) = &p.plasticity {
            return Err(NirError::unsupported(
                format!("{}.plasticity", p.path),
                format!(
                    "plasticity (rule {:?}): NIR graphs have fixed weights",
                    pl.rule
                ),
            ));
        }
        if p.stp.is_some() {
            return Err(NirError::unsupported(
                format!("{}.stp", p.path),
                "short-term plasticity: NIR graphs have fixed weights",
            ));
        }
    }
    if !model.modulators.is_empty() {
        return Err(NirError::unsupported(
            "modulators[0]",
            "neuromodulators: NIR has no such node",
        ));
    }
    let mut g = Graph::default();
    let mut intakes = Vec::new();
    let mut biases = Vec::new();
    for (i, pop) in model.populations.iter().enumerate() {
        let (node, intake) = neuron_node(model, net, i)?;
        let bias = if intake.is_some() {
            bias_current(model, i)?
        } else {
            vec![0.0; pop.size]
        };
        // Initial values: only the Cuba bias pattern I_in(0) = −bias is expressible.
        for (var, v) in &pop.initial {
            let vpath = format!("{}.initial.{var}", pop.path);
            let vals = values(v, pop.size, &vpath)?;
            let ok = match intake {
                Some(Intake::Cuba { .. }) if var.starts_with("I_") => vals
                    .iter()
                    .zip(&bias)
                    .all(|(a, b)| (a + b).abs() <= 1e-9 * b.abs().max(1.0)),
                _ => false,
            };
            if !ok {
                return Err(NirError::unsupported(
                    vpath,
                    "initial values: NIR has no initial state (the only exception is I = −bias in a Cuba neuron, which makes its bias exact)",
                ));
            }
        }
        if let Some(Intake::Cuba { .. }) = intake {
            let has_init = pop.initial.iter().any(|(v, _)| v.starts_with("I_"));
            if bias.iter().any(|&b| b != 0.0) && !has_init {
                return Err(NirError::unsupported(
                    format!("{}.params.I_e", pop.path),
                    "a constant current into a current-based (exp) neuron: NIR passes an Affine's bias through the synaptic filter; glia matches it only with initial I = −bias (as `glia nir import` writes)",
                ));
            }
        }
        g.nodes.insert(pop.name.clone(), node);
        intakes.push(intake);
        biases.push(bias);
    }
    let taken: BTreeSet<String> = g.nodes.keys().cloned().collect();
    let unique = |base: String, g: &Graph| {
        let mut s = base.clone();
        let mut k = 1;
        while taken.contains(&s) || g.nodes.contains_key(&s) {
            k += 1;
            s = format!("{base}_{k}");
        }
        s
    };
    let mut bias_done = vec![false; model.populations.len()];
    let dt = model.dt;
    for (k, proj) in net.projs.iter().enumerate() {
        let path = &model.projections[k].path;
        let (ns, nt) = (net.pops[proj.source].size, net.pops[proj.target].size);
        let intake = intakes[proj.target]
            .as_ref()
            .ok_or_else(|| NirError::unsupported(path, "a projection into a spike source"))?;
        let scale = match intake {
            Intake::Delta { c_m } => c_m / dt,
            Intake::Cuba { tau_syn } => tau_syn / dt,
        };
        let edges = proj.csr.edges();
        let mut w = vec![0.0; nt * ns];
        for e in &edges {
            w[e.target as usize * ns + e.source as usize] += e.weight as f64 * scale;
        }
        // delays: one per target, or one per source
        let mut per_t: Vec<Option<u16>> = vec![None; nt];
        let mut per_s: Vec<Option<u16>> = vec![None; ns];
        let (mut by_t, mut by_s) = (true, true);
        for e in &edges {
            for (slot, ok) in [
                (&mut per_t[e.target as usize], &mut by_t),
                (&mut per_s[e.source as usize], &mut by_s),
            ] {
                match slot {
                    None => *slot = Some(e.delay),
                    Some(d) if *d != e.delay => *ok = false,
                    _ => {}
                }
            }
        }
        let delay_s = |d: Option<u16>| d.map_or(0.0, |d| (d as f64 - 1.0) * dt / 1e3);
        let (before, after) = if by_t {
            (
                None,
                Some(per_t.iter().map(|&d| delay_s(d)).collect::<Vec<_>>()),
            )
        } else if by_s {
            (
                Some(per_s.iter().map(|&d| delay_s(d)).collect::<Vec<_>>()),
                None,
            )
        } else {
            return Err(NirError::unsupported(
                format!("{path}.delay"),
                "per-synapse heterogeneous delays inside an Affine: NIR's Delay node delays a whole vector (one delay per source or per target)",
            ));
        };
        let mut bias = vec![0.0; nt];
        if !bias_done[proj.target] {
            bias = biases[proj.target].clone();
            bias_done[proj.target] = true;
        }
        let aname = unique(proj.name.clone(), &g);
        g.nodes.insert(
            aname.clone(),
            Node::new(
                "Affine",
                [
                    ("weight", Field::floats(&[nt, ns], w)),
                    ("bias", Field::vec(bias)),
                ],
            ),
        );
        let src = model.populations[proj.source].name.clone();
        let tgt = model.populations[proj.target].name.clone();
        let mut chain = vec![src];
        if let Some(d) = before.filter(|d| d.iter().any(|&x| x > 0.0)) {
            let dn = unique(format!("{}_delay", proj.name), &g);
            g.nodes
                .insert(dn.clone(), Node::new("Delay", [("delay", Field::vec(d))]));
            chain.push(dn);
        }
        chain.push(aname);
        if let Some(d) = after.filter(|d| d.iter().any(|&x| x > 0.0)) {
            let dn = unique(format!("{}_delay", proj.name), &g);
            g.nodes
                .insert(dn.clone(), Node::new("Delay", [("delay", Field::vec(d))]));
            chain.push(dn);
        }
        chain.push(tgt);
        for pair in chain.windows(2) {
            g.edges.push((pair[0].clone(), pair[1].clone()));
        }
    }
    for (i, pop) in model.populations.iter().enumerate() {
        if !bias_done[i] && biases[i].iter().any(|&b| b != 0.0) {
            return Err(NirError::unsupported(
                format!("{}.params.I_e", pop.path),
                "a constant current into a population without incoming projections: NIR's biases live in an Affine node",
            ));
        }
    }
    // Outputs: monitored populations, else those without outgoing projections.
    let mut out: BTreeMap<usize, ()> = model.monitors.iter().map(|m| (m.population, ())).collect();
    if out.is_empty() {
        for i in 0..model.populations.len() {
            if !net.projs.iter().any(|p| p.source == i) {
                out.insert(i, ());
            }
        }
    }
    for &i in out.keys() {
        let pop = &model.populations[i];
        let name = unique(format!("{}_output", pop.name), &g);
        g.nodes.insert(
            name.clone(),
            Node::new("Output", [("shape", Field::ints(&[pop.size as i64]))]),
        );
        g.edges.push((pop.name.clone(), name));
    }
    Ok(g)
}

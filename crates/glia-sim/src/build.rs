//! Lowering: a validated [`Model`] becomes a runnable [`Network`].

use crate::connect::{self, RuleCtx};
use crate::distributed;
use crate::monitors::{Monitors, RateRecorder, SpikeRecorder, SpikeStats, StateRecorder};
use crate::network::{Block, CurrentSchedule, Drive, Network, Noise, PopInfo, Proj};

/// Current inputs (`dc`, `step_current`, `noise`) need a model with a membrane current:
/// spike sources and ELM neurons (whose input arrives only through branch ports) take none.
fn takes_current(pop: &PopInfo, input_path: &str) -> Result<(), ModelError> {
    if matches!(
        pop.model,
        NeuronModel::Poisson(_) | NeuronModel::Generator | NeuronModel::Elm(_)
    ) {
        return Err(ModelError::invalid(
            format!("{input_path}.target"),
            format!(
                "population \"{}\" (model \"{}\") takes no current input",
                pop.name, pop.model_name
            ),
        ));
    }
    Ok(())
}

fn pops_noise(p: &PopInfo) -> bool {
    !p.noises.is_empty()
}
use crate::csr::Weights;
use crate::neurons::rate::Dale;
use crate::neurons::{self, Model as NeuronModel, fill};
use glia_core::Purpose;
use glia_spec::{InputKind, Model, ModelError, MonitorKind, SynapseKind};
use std::time::Instant;

fn port_index(pop: &PopInfo, port: &str, path: &str) -> Result<usize, ModelError> {
    if pop.ports.is_empty() {
        return Err(ModelError::invalid(
            path,
            format!(
                "population \"{}\" (model \"{}\") is a spike source and cannot receive input",
                pop.name, pop.model_name
            ),
        ));
    }
    pop.ports
        .iter()
        .position(|p| p.name == port)
        .ok_or_else(|| {
            let names: Vec<&str> = pop.ports.iter().map(|p| p.name.as_str()).collect();
            ModelError::invalid(
                path,
                format!(
                    "population \"{}\" has no port \"{port}\" (ports: {})",
                    pop.name,
                    names.join(", ")
                ),
            )
        })
}

/// Build the network. Construction runs on the model's thread count and gives the same network
/// for any thread count.
pub fn build(model: &Model) -> Result<Network, ModelError> {
    build_part(model, 0, 1)
}

/// Build rank `rank`'s part of the network distributed over `ranks` processes (see
/// [`crate::distributed`]): the whole layout, but only the synapses onto the neurons this rank
/// owns. The ranks' parts together are the network [`build`] gives, synapse for synapse.
/// Before running it, call [`Network::set_exchange_interval`] on every rank.
pub fn build_part(model: &Model, rank: usize, ranks: usize) -> Result<Network, ModelError> {
    assert!(rank < ranks, "build_part: rank {rank} of {ranks}");
    let t0 = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(model.threads)
        .build()
        .map_err(|e| {
            ModelError::invalid(
                "simulation.threads",
                format!("cannot start {} threads: {e}", model.threads),
            )
        })?;
    let mut net = pool.install(|| build_in_pool(model, rank, ranks))?;
    net.pool = (model.threads > 1).then_some(pool);
    net.build_s = t0.elapsed().as_secs_f64();
    Ok(net)
}

fn build_in_pool(model: &Model, rank: usize, ranks: usize) -> Result<Network, ModelError> {
    let dt = model.dt;
    let mut pops = Vec::new();
    let mut states = Vec::new();
    for (i, p) in model.populations.iter().enumerate() {
        let low = neurons::lower(p, i as u32, model.seed, dt, model.steps, &model.base_dir)?;
        pops.push(PopInfo {
            name: p.name.clone(),
            size: p.size,
            model_name: p.model.clone(),
            model: low.model,
            ports: low.ports,
            variables: low.variables,
            blocks: 0..0,
            slots: 2,
            padded: 0,
            drives: Vec::new(),
            noises: Vec::new(),
        });
        states.push(low.blocks);
    }

    // Projections.
    let positions = connect::grid_positions(model);
    let mut projs = Vec::new();
    let mut plastic = Vec::new();
    let mut plastic_lead = u64::MAX;
    // Modulator channels (`[[modulators]]`), read by rules through `plasticity::Ctx::modulator`.
    let modulation = crate::modulators::Channels::new(&model.modulators, dt, model.seed);
    let modulator_names: Vec<String> = modulation.names.clone();
    for (k, pr) in model.projections.iter().enumerate() {
        let tp = &pops[pr.target];
        let port = port_index(tp, &pr.port, &format!("{}.port", pr.path))?;
        if let SynapseKind::Conductance { .. } = tp.ports[port].kind {
            let lo = pr.weight.lower_bound();
            if lo < 0.0 {
                return Err(ModelError::invalid(
                    format!("{}.weight", pr.path),
                    format!(
                        "port \"{}\" of population \"{}\" is conductance-based: weights must be ≥ 0 nS (inhibition comes from its reversal potential), got {lo}",
                        pr.port, tp.name
                    ),
                ));
            }
        }
        if matches!(tp.model, NeuronModel::Elm(_)) && pr.weight.lower_bound() < 0.0 {
            return Err(ModelError::invalid(
                format!("{}.weight", pr.path),
                format!(
                    "population \"{}\" is an elm neuron: weights into its branch ports play the role of relu(w_s) and must be ≥ 0, got {}",
                    tp.name,
                    pr.weight.lower_bound()
                ),
            ));
        }
        let ctx = RuleCtx {
            seed: model.seed,
            id: k as u32,
            n_source: pops[pr.source].size,
            n_target: tp.size,
            same: pr.source == pr.target,
            weight: &pr.weight,
            delay: &pr.delay,
            dt,
            source_pos: positions[pr.source].as_deref(),
            target_pos: positions[pr.target].as_deref(),
        };
        // This rank's targets; a rescaled projection needs the whole matrix first.
        let own = distributed::owned_neurons(tp.size, rank, ranks);
        let own = own.start as u32..own.end as u32;
        let mut csr = if pr.spectral_radius.is_some() {
            connect::build(&pr.connect, &ctx)
        } else {
            connect::build_owned(&pr.connect, &ctx, own.clone())
        };
        if let NeuronModel::Rate(r) = &pops[pr.source].model
            && let Some(dale) = r.dale
        {
            let bad = (0..csr.targets.len())
                .map(|q| csr.weights.at(q))
                .find(|&w| match dale {
                    Dale::Excitatory => w < 0.0,
                    Dale::Inhibitory => w > 0.0,
                });
            if let Some(w) = bad {
                return Err(ModelError::invalid(
                    format!("{}.weight", pr.path),
                    format!(
                        "population \"{}\" is {} (dale): its outgoing weights must be {}, got {w}",
                        pops[pr.source].name,
                        if dale == Dale::Excitatory {
                            "excitatory"
                        } else {
                            "inhibitory"
                        },
                        if dale == Dale::Excitatory {
                            "≥ 0"
                        } else {
                            "≤ 0"
                        },
                    ),
                ));
            }
        }
        if let Some(target_rho) = pr.spectral_radius {
            let r = crate::spectral::spectral_radius(pops[pr.source].size, &csr, 1e-6, 1 << 14);
            if r.rho == 0.0 {
                return Err(ModelError::invalid(
                    format!("{}.spectral_radius", pr.path),
                    "the projection's matrix has spectral radius 0 (no cycles), it cannot be rescaled",
                ));
            }
            let f = (target_rho / r.rho) as f32;
            match &mut csr.weights {
                Weights::Const(w) => *w *= f,
                Weights::PerSynapse(ws) => ws.iter_mut().for_each(|w| *w *= f),
            }
            if ranks > 1 {
                csr = connect::keep_targets(&csr, own);
            }
        }
        if let Some(spec) = &pr.plasticity {
            plastic_lead = plastic_lead.min(u64::from(spec.dendritic_steps.max(1)));
            for (p, role) in [(&pops[pr.source], "source"), (&pops[pr.target], "target")] {
                if p.model.is_graded() {
                    return Err(ModelError::invalid(
                        format!("{}.plasticity", pr.path),
                        format!(
                            "the {role} population \"{}\" (model \"{}\") sends graded values, not spikes: spike-timing plasticity needs spiking neurons on both sides",
                            p.name, p.model_name
                        ),
                    ));
                }
            }
            if let SynapseKind::Conductance { .. } = tp.ports[port].kind
                && spec.w_min < 0.0
            {
                return Err(ModelError::invalid(
                    format!("{}.w_min", spec.path),
                    format!(
                        "port \"{}\" is conductance-based: weights must stay ≥ 0 nS, got w_min = {}",
                        pr.port, spec.w_min
                    ),
                ));
            }
            plastic.push(crate::plasticity::lower(
                spec,
                k,
                &mut csr,
                pops[pr.source].size,
                tp.size,
                dt,
                &modulator_names,
                &format!("{}.weight", pr.path),
            )?);
        }
        // Static spiking projections keep per-synapse delays in the target words (8 bytes per
        // synapse with a weight); plastic and graded ones index `targets` directly.
        if pr.plasticity.is_none() && !pops[pr.source].model.is_graded() {
            csr.pack_delays();
        }
        let slots = usize::from(csr.max_delay()) + 1;
        let target = &mut pops[pr.target];
        target.slots = target.slots.max(slots);
        let stp = match pr.stp {
            None => None,
            Some(_) if pops[pr.source].model.is_graded() => {
                return Err(ModelError::invalid(
                    format!("{}.stp", pr.path),
                    format!(
                        "short-term plasticity needs spikes, but population \"{}\" (model \"{}\") sends graded values",
                        pops[pr.source].name, pops[pr.source].model_name
                    ),
                ));
            }
            Some(p) => Some(crate::stp::StpState::new(p, pops[pr.source].size)),
        };
        projs.push(Proj {
            name: pr.name.clone(),
            source: pr.source,
            target: pr.target,
            port,
            csr,
            stp,
            plastic: pr.plasticity.is_some(),
        });
    }

    // Inputs.
    let mut currents = Vec::new();
    for (k, inp) in model.inputs.iter().enumerate() {
        let pop = &mut pops[inp.target];
        match &inp.kind {
            InputKind::Poisson {
                port,
                rate,
                sources,
                weight,
                start,
                stop,
            } => {
                let port = port_index(pop, port, &format!("{}.port", inp.path))?;
                if matches!(pop.model, NeuronModel::Elm(_)) && *weight < 0.0 {
                    return Err(ModelError::invalid(
                        format!("{}.weight", inp.path),
                        format!(
                            "the target is an elm neuron: the weight must be ≥ 0, got {weight}"
                        ),
                    ));
                }
                if matches!(pop.ports[port].kind, SynapseKind::Conductance { .. }) && *weight < 0.0
                {
                    return Err(ModelError::invalid(
                        format!("{}.weight", inp.path),
                        format!(
                            "port is conductance-based: the weight must be ≥ 0 nS, got {weight}"
                        ),
                    ));
                }
                let mut lambda = vec![0.0; pop.size];
                fill(
                    rate,
                    &mut lambda,
                    model.seed,
                    Purpose::Parameter,
                    (1 << 20) | k as u32,
                    0,
                );
                for l in &mut lambda {
                    *l *= *sources as f64 * dt / 1000.0;
                }
                let thresholds = Drive::thresholds(&lambda);
                pop.drives.push(Drive {
                    id: k as u32,
                    port,
                    weight: *weight,
                    lambda,
                    thresholds,
                    start: *start,
                    stop: *stop,
                });
            }
            InputKind::Noise {
                ids,
                mean,
                std,
                start,
                stop,
            } => {
                takes_current(pop, &inp.path)?;
                let mask = ids.as_ref().map(|ids| {
                    let mut m = vec![0.0f32; pop.size];
                    for &i in ids {
                        m[i as usize] = 1.0;
                    }
                    m
                });
                pop.noises.push(Noise {
                    id: k as u32,
                    mean: *mean as f32,
                    std: *std as f32,
                    mask,
                    start: *start,
                    stop: *stop,
                });
            }
            InputKind::Current { ids, changes } => {
                takes_current(pop, &inp.path)?;
                currents.push(CurrentSchedule {
                    pop: inp.target,
                    ids: ids.clone(),
                    changes: changes.clone(),
                    cursor: 0,
                    value: 0.0,
                });
            }
        }
    }

    // Blocks.
    let mut has_current: Vec<bool> = pops.iter().map(|p| !p.noises.is_empty()).collect();
    for c in &currents {
        has_current[c.pop] = true;
    }
    let mut blocks = Vec::new();
    for (pi, (p, st)) in pops.iter_mut().zip(states).enumerate() {
        let first = blocks.len();
        for (b, state) in st.into_iter().enumerate() {
            let start = b * crate::BLOCK;
            let len = crate::BLOCK.min(p.size - start);
            blocks.push(Block {
                pop: pi,
                start,
                len,
                i_ext: if has_current[pi] {
                    vec![0.0; len]
                } else {
                    Vec::new()
                },
                i_tmp: if pops_noise(p) {
                    vec![0.0; len]
                } else {
                    Vec::new()
                },
                spikes: Vec::new(),
                state,
            });
        }
        p.blocks = first..blocks.len();
        p.padded = p.blocks.len() * crate::BLOCK;
    }
    let rings = pops
        .iter()
        .map(|p| vec![0.0f32; p.slots * p.ports.len() * p.padded])
        .collect();

    // Monitors.
    let mut monitors = Monitors::default();
    for m in &model.monitors {
        let pop = &pops[m.population];
        match &m.kind {
            MonitorKind::Spikes { ids } => monitors.spikes.push(SpikeRecorder {
                pop: m.population,
                selected: ids.as_ref().map(|ids| {
                    let mut sel = vec![false; pop.size];
                    ids.iter().for_each(|&i| sel[i as usize] = true);
                    sel
                }),
                steps: Vec::new(),
                ids: Vec::new(),
            }),
            MonitorKind::State {
                name,
                variables,
                ids,
                every,
            } => {
                let mut var_index = Vec::new();
                for (k, v) in variables.iter().enumerate() {
                    let idx = pop.variables.iter().position(|x| x == v).ok_or_else(|| {
                        ModelError::invalid(
                            format!("{}.variables[{k}]", m.path),
                            format!(
                                "population \"{}\" (model \"{}\") has no state variable \"{v}\" (it has: {})",
                                pop.name,
                                pop.model_name,
                                if pop.variables.is_empty() { "none".into() } else { pop.variables.join(", ") }
                            ),
                        )
                    })?;
                    var_index.push(idx);
                }
                monitors.state.push(StateRecorder {
                    name: name.clone(),
                    pop: m.population,
                    variables: variables.clone(),
                    var_index,
                    ids: ids.clone(),
                    every: *every,
                    steps: Vec::new(),
                    data: vec![Vec::new(); variables.len()],
                });
            }
            MonitorKind::Rate { bin } => monitors.rates.push(RateRecorder {
                pop: m.population,
                bin: *bin,
                counts: Vec::new(),
            }),
        }
    }

    let stats = pops.iter().map(|p| SpikeStats::new(p.size)).collect();
    let mut layout = distributed::Layout::single(&pops);
    layout.rank = rank;
    layout.ranks = ranks;
    for (own, p) in layout.owned.iter_mut().zip(&pops) {
        *own = distributed::owned_blocks(p.blocks.len(), rank, ranks);
    }
    layout.plastic_lead = layout.plastic_lead.min(plastic_lead);
    let has_graded = pops.iter().any(|p| p.model.is_graded());
    Ok(Network {
        dt,
        seed: model.seed,
        planned_steps: model.steps,
        step: 0,
        spikes: vec![Vec::new(); pops.len()],
        pops,
        blocks,
        rings,
        projs,
        currents,
        monitors,
        stats,
        events: 0,
        pool: None,
        threads: model.threads,
        build_s: 0.0,
        has_graded,
        plastic,
        modulators: modulation.values_f32(),
        modulator_names,
        modulation,
        layout,
    })
}

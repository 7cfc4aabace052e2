//! The runtime network and the step loop.

use crate::csr::{Csr, Delays, Weights};
use crate::monitors::{Monitors, SpikeStats, StateRecorder};
use crate::neurons::{BlockState, Model};
use crate::stp::StpState;
use crate::{BLOCK, BLOCK_SHIFT};
use glia_core::{CounterRng, Purpose};
use glia_spec::PortSpec;
use std::ops::Range;
use std::time::Instant;

/// A population as the engine sees it (immutable during a run).
#[derive(Debug)]
pub struct PopInfo {
    /// Name.
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// Model name.
    pub model_name: String,
    /// Model and derived constants.
    pub model: Model,
    /// Receptor ports.
    pub ports: Vec<PortSpec>,
    /// State variable names.
    pub variables: Vec<String>,
    /// Its blocks (indices into the network's list of blocks).
    pub blocks: Range<usize>,
    /// Ring-buffer slots (largest incoming delay + 1).
    pub slots: usize,
    /// Neurons rounded up to whole blocks: the length of one `(slot, port)` row of the ring.
    pub padded: usize,
    /// Poisson drives into its ports.
    pub drives: Vec<Drive>,
    /// Gaussian noise currents.
    pub noises: Vec<Noise>,
}

/// A Gaussian white-noise current: each step, each selected neuron gets `mean + std·ξ`,
/// `ξ ~ N(0, 1)` from the stream `(seed, NoiseCurrent, id, step)` at the neuron's index
/// (Box–Muller on two 32-bit words per neuron), so the draw does not depend on blocks or
/// threads.
#[derive(Debug)]
pub struct Noise {
    /// Stream id (input number).
    pub id: u32,
    /// Mean.
    pub mean: f32,
    /// Standard deviation.
    pub std: f32,
    /// Per neuron 1 (receives it) or 0; `None`: all.
    pub mask: Option<Vec<f32>>,
    /// First step with input.
    pub start: u64,
    /// First step without input.
    pub stop: u64,
}

impl Noise {
    /// Add this step's noise for neurons `offset..offset + out.len()` to `out`.
    fn add(&self, seed: u64, step: u64, offset: usize, out: &mut [f32]) {
        let n = out.len();
        let mut r = [0u32; 2 * BLOCK];
        let r = &mut r[..2 * n];
        glia_core::rng::random_u32(
            seed,
            Purpose::NoiseCurrent,
            self.id,
            step,
            2 * offset as u32,
            r,
        );
        let mask = self.mask.as_ref().map(|m| &m[offset..offset + n]);
        for i in 0..n {
            // u1 in (0, 1], u2 in [0, 1).
            let u1 = (f64::from(r[2 * i]) + 1.0) * (1.0 / 4_294_967_296.0);
            let u2 = f64::from(r[2 * i + 1]) * (1.0 / 4_294_967_296.0);
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            let x = self.mean + self.std * z as f32;
            out[i] += match mask {
                Some(m) => x * m[i],
                None => x,
            };
        }
    }
}

/// Poisson spike input injected into a port of every neuron of a population.
///
/// Each neuron receives, per step, a Poisson count `k` with mean `λ = rate·sources·dt`
/// (the sum of `sources` independent Poisson trains is one Poisson train), and its port gets
/// `k·weight`. One 32-bit random word per neuron and step comes from a vectorised
/// counter-based stream ([`glia_core::rng::random_u32`]). When all neurons share one `λ < 30`,
/// `k` is the number of thresholds `⌈2³² · P(K ≤ j)⌉` that the word reaches (inversion of the
/// CDF, branch-free integer compares); otherwise sequential inversion (`λ < 30`) or PTRS
/// rejection (`λ ≥ 30`) per neuron. The 2⁻³² resolution truncates the tail beyond
/// `P(K > j) < 2⁻³²`.
#[derive(Debug)]
pub struct Drive {
    /// Stream id (input number).
    pub id: u32,
    /// Port index.
    pub port: usize,
    /// Weight per spike.
    pub weight: f64,
    /// Expected spikes per step, per neuron.
    pub lambda: Vec<f64>,
    /// When every neuron has the same `λ < 30`: `⌈2³² · P(K ≤ j)⌉` for `j = 0, 1, ...` while
    /// below 2³².
    pub thresholds: Option<Vec<u32>>,
    /// First step with input.
    pub start: u64,
    /// First step without input.
    pub stop: u64,
}

impl Drive {
    /// The integer CDF thresholds for a shared `λ`, if it is small enough for one.
    pub fn thresholds(lambda: &[f64]) -> Option<Vec<u32>> {
        let l = *lambda.first()?;
        if !(l > 0.0 && l < 30.0) || lambda.iter().any(|&x| x != l) {
            return None;
        }
        let mut out = Vec::new();
        let (mut p, mut c) = ((-l).exp(), 0.0);
        let mut j = 0.0;
        loop {
            c += p;
            let t = (c * 4_294_967_296.0).ceil();
            if t >= 4_294_967_296.0 || out.len() >= 1000 {
                break;
            }
            out.push(t as u32);
            j += 1.0;
            p *= l / j;
        }
        Some(out)
    }

    #[inline(never)]
    fn apply(&self, seed: u64, step: u64, offset: usize, buf: &mut [f32]) {
        let n = buf.len();
        let mut r = [0u32; BLOCK];
        let r = &mut r[..n];
        glia_core::rng::random_u32(seed, Purpose::PoissonDrive, self.id, step, offset as u32, r);
        let w = self.weight as f32;
        match &self.thresholds {
            Some(th) => {
                let mut k = [0u32; BLOCK];
                let k = &mut k[..n];
                for &t in th {
                    for i in 0..n {
                        k[i] += u32::from(r[i] >= t);
                    }
                }
                for i in 0..n {
                    buf[i] += k[i] as f32 * w;
                }
            }
            None => {
                let lam = &self.lambda[offset..offset + n];
                for i in 0..n {
                    let l = lam[i];
                    if l <= 0.0 {
                        continue;
                    }
                    let k = if l < 30.0 {
                        let u = f64::from(r[i]) * (1.0 / 4_294_967_296.0);
                        let (mut k, mut p) = (0u32, (-l).exp());
                        let mut c = p;
                        while u >= c && k < 1000 {
                            k += 1;
                            p *= l / f64::from(k);
                            c += p;
                        }
                        k
                    } else {
                        let g = (offset + i) as u32;
                        CounterRng::new(seed, Purpose::PoissonDrive, self.id | (1 << 23), g, step)
                            .poisson(l, 0.0)
                    };
                    buf[i] += k as f32 * w;
                }
            }
        }
    }
}

/// A block of up to [`BLOCK`] neurons of one population: state, input ring and output spikes.
#[derive(Debug)]
pub(crate) struct Block {
    pub pop: usize,
    pub start: usize,
    pub len: usize,
    /// External current \[pA\] (current inputs); empty when the population has none.
    pub i_ext: Vec<f32>,
    /// Scratch for `i_ext` plus noise; empty when the population has no noise input.
    pub i_tmp: Vec<f32>,
    pub spikes: Vec<u32>,
    pub state: BlockState,
}

/// A projection at run time.
#[derive(Debug)]
pub struct Proj {
    /// Name.
    pub name: String,
    /// Source population.
    pub source: usize,
    /// Target population.
    pub target: usize,
    /// Port index on the target.
    pub port: usize,
    /// Synapses.
    pub csr: Csr,
    /// Tsodyks–Markram short-term plasticity: each spike delivers `w·r` (see [`crate::stp`]).
    pub stp: Option<StpState>,
    /// Whether the weights are plastic (delivered by the plasticity phase, see
    /// [`crate::plasticity`]).
    pub plastic: bool,
}

/// A piecewise-constant current input.
#[derive(Debug)]
pub(crate) struct CurrentSchedule {
    pub pop: usize,
    pub ids: Option<Vec<u32>>,
    pub changes: Vec<(u64, f64)>,
    pub cursor: usize,
    pub value: f64,
}

/// Progress report passed to the callback of [`Network::run`].
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Steps done in this run.
    pub done: u64,
    /// Steps asked for in this run.
    pub total: u64,
}

/// Figures of one call to [`Network::run`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RunStats {
    /// Steps simulated.
    pub steps: u64,
    /// Wall-clock seconds.
    pub wall_s: f64,
    /// Synaptic events delivered (spike × synapse).
    pub events: u64,
    /// Whether all requested steps ran (false when interrupted).
    pub complete: bool,
}

/// A network ready to run.
pub struct Network {
    /// Time step \[ms\].
    pub dt: f64,
    /// Seed.
    pub seed: u64,
    /// Steps planned by the model file.
    pub planned_steps: u64,
    /// Steps simulated so far.
    pub step: u64,
    /// Populations.
    pub pops: Vec<PopInfo>,
    pub(crate) blocks: Vec<Block>,
    /// Per population, the synaptic input ring buffer, laid out `[slot][port][padded]`: the
    /// input of target `t` arriving in `slot` at `port` sits at `(slot·ports + port)·padded + t`.
    /// Block `b` owns the `BLOCK`-long piece `b` of every `(slot, port)` row.
    pub(crate) rings: Vec<Vec<f32>>,
    /// Projections.
    pub projs: Vec<Proj>,
    pub(crate) currents: Vec<CurrentSchedule>,
    /// Spikes of the last step, per population.
    pub spikes: Vec<Vec<u32>>,
    /// Monitors.
    pub monitors: Monitors,
    /// Spike statistics per population.
    pub stats: Vec<SpikeStats>,
    /// Synaptic events delivered so far.
    pub events: u64,
    pub(crate) pool: Option<rayon::ThreadPool>,
    /// Worker threads.
    pub threads: usize,
    /// Wall-clock seconds spent building.
    pub build_s: f64,
    /// Whether any population sends graded values.
    pub(crate) has_graded: bool,
    /// Plastic projections with their rule state.
    pub plastic: Vec<crate::plasticity::PlasticProj>,
    /// Current value of each modulator channel (read by rules through
    /// [`crate::plasticity::Ctx::modulator`]).
    pub modulators: Vec<f32>,
    /// Names of the modulator channels.
    pub modulator_names: Vec<String>,
    /// The modulator channels' dynamics (see [`crate::modulators`]).
    pub(crate) modulation: crate::modulators::Channels,
    /// Which blocks this process updates (all of them unless the run is distributed, see
    /// [`crate::distributed`]).
    pub(crate) layout: crate::distributed::Layout,
}

impl Network {
    /// Run `steps` steps. `progress` is called about every 1/200 of the run and may return
    /// `false` to stop early (the step in progress completes; the network stays consistent).
    pub fn run(
        &mut self,
        steps: u64,
        progress: &mut (dyn FnMut(Progress) -> bool + Send),
    ) -> RunStats {
        self.run_with_check(steps, 0, progress, &mut |_| true)
    }

    /// [`Network::run`] with `check` called after every `check_every`-th step and after the
    /// last one (never when `check_every` is 0); `check` returning `false` stops the run as
    /// `progress` does (see [`crate::health`]).
    pub fn run_with_check(
        &mut self,
        steps: u64,
        check_every: u64,
        progress: &mut (dyn FnMut(Progress) -> bool + Send),
        check: &mut (dyn FnMut(&mut Network) -> bool + Send),
    ) -> RunStats {
        let t0 = Instant::now();
        let events0 = self.events;
        let every = (steps / 200).max(1);
        let pool = self.pool.take();
        let (done, complete) = match &pool {
            Some(_) if self.threads > 1 => crate::team::run(
                self,
                self.threads,
                steps,
                check_every,
                every,
                progress,
                check,
            ),
            _ => {
                let (mut done, mut complete) = (0, true);
                while done < steps {
                    self.step_once();
                    done += 1;
                    if check_every > 0 && (done % check_every == 0 || done == steps) && !check(self)
                    {
                        complete = false;
                        break;
                    }
                    if done % every == 0 && !progress(Progress { done, total: steps }) {
                        complete = done == steps;
                        break;
                    }
                }
                (done, complete)
            }
        };
        self.pool = pool;
        RunStats {
            steps: done,
            wall_s: t0.elapsed().as_secs_f64(),
            events: self.events - events0,
            complete,
        }
    }

    /// Advance one step, as [`Network::run`] does, without its timing and progress
    /// bookkeeping: the per-step driver of reservoir experiments (feed an input with
    /// [`Network::add_input`], step, read the state with [`Network::read_state`]).
    pub fn step(&mut self) {
        // The serial step gives the same numbers as the thread team.
        self.step_once();
    }

    /// Add `values` (one per neuron of population `pop`) to the input of `port` that the next
    /// step consumes, as if a synapse had delivered them: a current into `exp`/`alpha` ports
    /// of spiking models, a term of the sum `z` of rate units (`delta` ports). Used for
    /// time-series inputs `W_in u(t)`; adds nothing beyond what was asked (it is not
    /// repeated in later steps).
    ///
    /// # Panics
    /// If `pop` or `port` is out of range or `values.len()` differs from the population size
    /// (caller bugs, not user input).
    pub fn add_input(&mut self, pop: usize, port: usize, values: &[f32]) {
        let p = &self.pops[pop];
        assert_eq!(values.len(), p.size, "add_input: one value per neuron");
        let np = p.ports.len();
        assert!(port < np, "add_input: port {port} out of range");
        let slot = (self.step % p.slots as u64) as usize;
        let off = (slot * np + port) * p.padded;
        for (r, &v) in self.rings[pop][off..off + p.size].iter_mut().zip(values) {
            *r += v;
        }
    }

    /// Copy the current values of state variable number `var` (index into
    /// `pops[pop].variables`) of every neuron of `pop` into `out` (without the variable's
    /// display offset, which is zero for rate units' `x`). No allocation.
    ///
    /// # Panics
    /// If `out.len()` differs from the population size.
    pub fn read_state(&self, pop: usize, var: usize, out: &mut [f32]) {
        let p = &self.pops[pop];
        assert_eq!(out.len(), p.size, "read_state: one value per neuron");
        for b in &self.blocks[p.blocks.clone()] {
            out[b.start..b.start + b.len].copy_from_slice(&p.model.var(&b.state, var)[..b.len]);
        }
    }

    /// Advance one step on this thread.
    pub(crate) fn step_once(&mut self) {
        let s = self.step;
        self.update_phase(s);
        self.record_state(s);
        self.exchange_phase(s);
        self.step += 1;
    }

    /// Steps 1–3 of a step: inputs, the update of every owned block, and this step's spikes
    /// gathered per population (only the owned neurons' spikes on one rank of a distributed
    /// run, see [`crate::distributed`]).
    pub(crate) fn update_phase(&mut self, s: u64) {
        self.apply_currents(s);
        update_serial(
            &mut self.blocks,
            &self.pops,
            &mut self.rings,
            &self.layout.owned,
            s,
            self.seed,
        );
        self.gather_spikes();
    }

    /// This step's spikes per population, in neuron order, from the blocks (the owned blocks'
    /// only on one rank of a distributed run: the others' blocks hold no spikes).
    pub(crate) fn gather_spikes(&mut self) {
        for v in &mut self.spikes {
            v.clear();
        }
        for b in &self.blocks {
            self.spikes[b.pop].extend_from_slice(&b.spikes);
        }
    }

    /// Steps 4–7 of step `s` for the spikes in [`Network::spikes`] (all of the step's spikes,
    /// gathered from every rank in a distributed run): statistics, delivery, modulators,
    /// plasticity and the spike and rate monitors. Changes no neuron state, and writes only
    /// ring slots at least one step (the minimum delay) ahead, which lets a distributed run
    /// defer it to the end of an exchange interval.
    pub(crate) fn exchange_phase(&mut self, s: u64) {
        self.before_delivery(s);
        self.deliver_serial(s);
        self.after_delivery(s);
    }

    /// Serial work between the gathering of step `s`'s spikes and their delivery: their
    /// statistics, short-term plasticity and the count of synaptic events the delivery makes.
    pub(crate) fn before_delivery(&mut self, s: u64) {
        for (p, sp) in self.spikes.iter().enumerate() {
            if !sp.is_empty() {
                self.stats[p].record(s, sp);
            }
        }
        let dt = self.dt;
        for proj in &mut self.projs {
            if let Some(st) = &mut proj.stp {
                st.on_spikes(&self.spikes[proj.source], s, dt);
            }
        }
        for proj in self.projs.iter().filter(|p| !p.plastic) {
            let rp = &proj.csr.row_ptr;
            for &i in &self.spikes[proj.source] {
                self.events += rp[i as usize + 1] - rp[i as usize];
            }
        }
    }

    /// Serial work after the delivery of step `s`: graded transmission, modulators,
    /// plasticity, spike and rate monitors.
    pub(crate) fn after_delivery(&mut self, s: u64) {
        if self.has_graded {
            self.events += self.deliver_graded(s);
        }
        if !self.modulation.is_empty() {
            self.modulation.step(s, &self.spikes, &mut self.modulators);
        }
        if !self.plastic.is_empty() {
            self.events += self.plasticity_phase(s);
        }
        self.record_spikes(s);
    }

    pub(crate) fn apply_currents(&mut self, s: u64) {
        for c in &mut self.currents {
            while let Some(&(at, amp)) = c.changes.get(c.cursor) {
                if at > s {
                    break;
                }
                c.cursor += 1;
                let delta = amp - c.value;
                c.value = amp;
                let range = self.pops[c.pop].blocks.clone();
                let blocks = &mut self.blocks[range];
                match &c.ids {
                    None => blocks
                        .iter_mut()
                        .for_each(|b| b.i_ext.iter_mut().for_each(|x| *x += delta as f32)),
                    Some(ids) => {
                        for &i in ids {
                            let (b, o) = StateRecorder::locate(i);
                            blocks[b].i_ext[o] += delta as f32;
                        }
                    }
                }
            }
        }
    }

    /// Deliver the values of graded (rate) populations: every source neuron sends `x_j·w` along
    /// each of its synapses, every step (serial; the sums arrive in a fixed order, so the result
    /// does not depend on the thread count).
    fn deliver_graded(&mut self, s: u64) -> u64 {
        let mut events = 0;
        for proj in &self.projs {
            let sp = &self.pops[proj.source];
            if !sp.model.is_graded() {
                continue;
            }
            let tp = &self.pops[proj.target];
            let (np, slots, padded) = (tp.ports.len(), tp.slots as u64, tp.padded);
            let ring = &mut self.rings[proj.target];
            let csr = &proj.csr;
            for b in &self.blocks[sp.blocks.clone()] {
                let Some(x) = sp.model.output(&b.state) else {
                    continue;
                };
                for (o, &xj) in x.iter().enumerate() {
                    let j = b.start + o;
                    let (a, e) = (csr.row_ptr[j] as usize, csr.row_ptr[j + 1] as usize);
                    events += (e - a) as u64;
                    if xj == 0.0 {
                        continue;
                    }
                    let targets = &csr.targets[a..e];
                    match (&csr.delays, &csr.weights) {
                        // One delay: the whole row lands in one ring row (the common ESN case).
                        (Delays::Const(d), Weights::PerSynapse(ws)) => {
                            let off =
                                (((s + u64::from(*d)) % slots) as usize * np + proj.port) * padded;
                            let row = &mut ring[off..off + padded];
                            for (&t, &w) in targets.iter().zip(&ws[a..e]) {
                                row[t as usize] += xj * w;
                            }
                        }
                        _ => {
                            for q in a..e {
                                let d = u64::from(csr.delay(q));
                                let off = (((s + d) % slots) as usize * np + proj.port) * padded;
                                ring[off + csr.target(q) as usize] += xj * csr.weights.at(q);
                            }
                        }
                    }
                }
            }
        }
        events
    }

    /// Deliver this step's spikes of the static projections on one thread, row by row.
    fn deliver_serial(&mut self, s: u64) {
        for proj in &self.projs {
            let spikes = &self.spikes[proj.source];
            if spikes.is_empty() || proj.plastic {
                continue;
            }
            let tp = &self.pops[proj.target];
            let (np, slots, padded) = (tp.ports.len(), tp.slots, tp.padded);
            let ring = &mut self.rings[proj.target][..];
            let csr = &proj.csr;
            for (k, &i) in spikes.iter().enumerate() {
                // Short-term plasticity scales the whole row (exact for f = 1 without it).
                let f = proj.stp.as_ref().map_or(1.0, |st| st.factors[k]);
                let (a, b) = (
                    csr.row_ptr[i as usize] as usize,
                    csr.row_ptr[i as usize + 1] as usize,
                );
                // Touch the next spike's row (one load per cache line, results unused) so that
                // its cache misses overlap with this row's work.
                if let Some(&j) = spikes.get(k + 1) {
                    let (na, nb) = (
                        csr.row_ptr[j as usize] as usize,
                        csr.row_ptr[j as usize + 1] as usize,
                    );
                    let mut touch = 0u32;
                    for q in (na..nb).step_by(16) {
                        touch ^= csr.targets[q];
                    }
                    if let Weights::PerSynapse(ws) = &csr.weights {
                        for q in (na..nb).step_by(16) {
                            touch ^= ws[q].to_bits();
                        }
                    }
                    std::hint::black_box(touch);
                }
                deliver_range(csr, a..b, f, s, slots, np, proj.port, &mut |r, t, w| {
                    ring[r * padded + t as usize] += w
                });
            }
        }
    }

    fn record_spikes(&mut self, s: u64) {
        for m in &mut self.monitors.spikes {
            m.record(s, &self.spikes[m.pop]);
        }
        for m in &mut self.monitors.rates {
            let bin = (s / m.bin) as usize;
            if m.counts.len() <= bin {
                m.counts.resize(bin + 1, 0);
            }
            m.counts[bin] += self.spikes[m.pop].len() as u64;
        }
    }

    pub(crate) fn record_state(&mut self, s: u64) {
        for m in &mut self.monitors.state {
            if !(s + 1).is_multiple_of(m.every) {
                continue;
            }
            m.steps.push(s);
            let pop = &self.pops[m.pop];
            let blocks = &self.blocks[pop.blocks.clone()];
            for (k, &var) in m.var_index.iter().enumerate() {
                let offset = pop.model.var_offset(var);
                for &id in &m.ids {
                    let (b, o) = StateRecorder::locate(id);
                    m.data[k].push(f64::from(pop.model.var(&blocks[b].state, var)[o]) + offset);
                }
            }
        }
    }

    /// Id of the modulator channel `name` (its index in [`Network::modulators`]).
    pub fn modulator_id(&self, name: &str) -> Option<usize> {
        self.modulator_names.iter().position(|m| m == name)
    }

    /// The current value of modulator channel `name`.
    pub fn modulator(&self, name: &str) -> Option<f32> {
        self.modulator_id(name).map(|k| self.modulators[k])
    }

    /// Add `amount` to modulator channel `id` now (e.g. a reward computed outside the model);
    /// its dynamics continue from the new value.
    pub fn pulse_modulator(&mut self, id: usize, amount: f64) {
        self.modulation.pulse(id, amount, &mut self.modulators);
    }

    /// Index of a population by name.
    pub fn population(&self, name: &str) -> Option<usize> {
        self.pops.iter().position(|p| p.name == name)
    }

    /// The current values of state variable `var` of population `pop`, all neurons.
    pub fn state(&self, pop: usize, var: &str) -> Option<Vec<f64>> {
        let p = &self.pops[pop];
        let k = p.variables.iter().position(|v| v == var)?;
        let offset = p.model.var_offset(k);
        Some(
            self.blocks[p.blocks.clone()]
                .iter()
                .flat_map(|b| {
                    p.model.var(&b.state, k)[..b.len]
                        .iter()
                        .map(move |&x| f64::from(x) + offset)
                })
                .collect(),
        )
    }

    /// Total synapses.
    pub fn synapses(&self) -> u64 {
        self.projs.iter().map(|p| p.csr.len() as u64).sum()
    }

    /// Bytes held by synapse storage.
    pub fn synapse_bytes(&self) -> u64 {
        self.projs.iter().map(|p| p.csr.bytes() as u64).sum()
    }
}

/// Deliver synapses `range` of `csr`, scaled by `f`, for a spike at step `s`: `add(r, t, w)`
/// adds `w` to target `t` in row `r = slot·np + port` of the ring, `slot = (s + d) mod slots`,
/// synapse by synapse in storage order.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn deliver_range(
    csr: &Csr,
    range: Range<usize>,
    f: f32,
    s: u64,
    slots: usize,
    np: usize,
    port: usize,
    add: &mut impl FnMut(usize, u32, f32),
) {
    let words = &csr.targets[range.clone()];
    let cur = (s % slots as u64) as usize;
    match &csr.weights {
        Weights::Const(w) => deliver_weighted(
            csr,
            words,
            &range,
            std::iter::repeat(*w * f),
            cur,
            slots,
            np,
            port,
            add,
        ),
        Weights::PerSynapse(ws) if f == 1.0 => deliver_weighted(
            csr,
            words,
            &range,
            ws[range.clone()].iter().copied(),
            cur,
            slots,
            np,
            port,
            add,
        ),
        Weights::PerSynapse(ws) => deliver_weighted(
            csr,
            words,
            &range,
            ws[range.clone()].iter().map(|&w| w * f),
            cur,
            slots,
            np,
            port,
            add,
        ),
    }
}

/// [`deliver_range`] for one kind of weights, per kind of delays.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn deliver_weighted(
    csr: &Csr,
    words: &[u32],
    range: &Range<usize>,
    weights: impl Iterator<Item = f32>,
    cur: usize,
    slots: usize,
    np: usize,
    port: usize,
    add: &mut impl FnMut(usize, u32, f32),
) {
    let row = |d: usize| {
        let slot = if cur + d >= slots {
            cur + d - slots
        } else {
            cur + d
        };
        slot * np + port
    };
    match &csr.delays {
        Delays::Const(d) => {
            let r = row(usize::from(*d));
            for (&t, w) in words.iter().zip(weights) {
                add(r, t, w);
            }
        }
        Delays::PerSynapse(ds) => {
            for ((&t, w), &d) in words.iter().zip(weights).zip(&ds[range.clone()]) {
                add(row(usize::from(d)), t, w);
            }
        }
        Delays::Packed { bits, .. } => {
            let mask = (1u32 << bits) - 1;
            for (&x, w) in words.iter().zip(weights) {
                add(row((x & mask) as usize), x >> bits, w);
            }
        }
    }
}

/// Update a stripe of one population's blocks; `rows` are its current-slot rows, one per port,
/// starting at neuron `base`.
pub(crate) fn update_stripe(
    p: &PopInfo,
    blocks: &mut [Block],
    rows: &mut [&mut [f32]],
    base: usize,
    s: u64,
    seed: u64,
) {
    let np = p.ports.len();
    for b in blocks.iter_mut() {
        let at = b.start - base;
        if np <= STACK_PORTS {
            let mut pieces: [&mut [f32]; STACK_PORTS] = Default::default();
            for (piece, row) in pieces.iter_mut().zip(rows.iter_mut()) {
                *piece = &mut row[at..at + BLOCK];
            }
            update_block(p, b, &mut pieces[..np], s, seed);
        } else {
            let mut pieces: Vec<&mut [f32]> = rows
                .iter_mut()
                .map(|row| &mut row[at..at + BLOCK])
                .collect();
            update_block(p, b, &mut pieces, s, seed);
        }
    }
}

/// Update every block on this thread, without allocating for populations with up to
/// [`STACK_PORTS`] ports.
fn update_serial(
    blocks: &mut [Block],
    pops: &[PopInfo],
    rings: &mut [Vec<f32>],
    owned: &[Range<usize>],
    s: u64,
    seed: u64,
) {
    let mut rest = blocks;
    for ((p, ring), own) in pops.iter().zip(rings.iter_mut()).zip(owned) {
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(p.blocks.len());
        rest = tail;
        let mine = &mut mine[own.clone()];
        let np = p.ports.len();
        let slot = (s % p.slots as u64) as usize;
        let region = if np == 0 {
            &mut [][..]
        } else {
            &mut ring[slot * np * p.padded..(slot + 1) * np * p.padded]
        };
        if np <= STACK_PORTS {
            let mut rows: [&mut [f32]; STACK_PORTS] = Default::default();
            for (k, row) in region.chunks_mut(p.padded.max(1)).enumerate() {
                rows[k] = row;
            }
            update_stripe(p, mine, &mut rows[..np], 0, s, seed);
        } else {
            let mut rows: Vec<&mut [f32]> = region.chunks_mut(p.padded).collect();
            update_stripe(p, mine, &mut rows, 0, s, seed);
        }
    }
}

/// Ports handled without allocation.
pub(crate) const STACK_PORTS: usize = 4;

fn update_block(pop: &PopInfo, b: &mut Block, inputs: &mut [&mut [f32]], s: u64, seed: u64) {
    b.spikes.clear();
    let n = b.len;
    for d in &pop.drives {
        if s >= d.start && s < d.stop {
            d.apply(seed, s, b.start, &mut inputs[d.port][..n]);
        }
    }
    let mut i_ext = (!b.i_ext.is_empty()).then_some(&b.i_ext[..]);
    if pop.noises.iter().any(|z| s >= z.start && s < z.stop) {
        b.i_tmp.copy_from_slice(&b.i_ext);
        for z in &pop.noises {
            if s >= z.start && s < z.stop {
                z.add(seed, s, b.start, &mut b.i_tmp);
            }
        }
        i_ext = Some(&b.i_tmp[..]);
    }
    pop.model.update(
        &mut b.state,
        inputs,
        i_ext,
        b.start as u32,
        n,
        s,
        seed,
        &mut b.spikes,
    );
}

const _: () = assert!(BLOCK == 1 << BLOCK_SHIFT);

#[cfg(test)]
mod tests {
    use super::*;

    /// Poisson drive counts have mean and variance λ (within 5 standard errors), with the
    /// shared-λ CDF thresholds and with per-neuron λ (sequential inversion and, for λ ≥ 30,
    /// PTRS), and do not depend on how the neurons are split into calls.
    #[test]
    fn poisson_drive_counts_are_poisson() {
        for &lam in &[0.02f64, 2.0, 7.5, 45.0] {
            for shared in [true, false] {
                let n = 1024;
                let lambda = vec![lam; n];
                let thresholds = if shared {
                    Drive::thresholds(&lambda)
                } else {
                    None
                };
                assert_eq!(thresholds.is_some(), shared && lam < 30.0);
                let d = Drive {
                    id: 3,
                    port: 0,
                    weight: 1.0,
                    lambda,
                    thresholds,
                    start: 0,
                    stop: u64::MAX,
                };
                let (mut sum, mut sumsq, mut count) = (0.0f64, 0.0f64, 0.0f64);
                for step in 0..200 {
                    let mut buf = vec![0.0f32; n];
                    d.apply(11, step, 0, &mut buf);
                    let mut halves = vec![0.0f32; n];
                    d.apply(11, step, 0, &mut halves[..512]);
                    d.apply(11, step, 512, &mut halves[512..]);
                    assert_eq!(buf, halves, "split calls differ");
                    for &k in &buf {
                        let k = f64::from(k);
                        sum += k;
                        sumsq += k * k;
                        count += 1.0;
                    }
                }
                let mean = sum / count;
                let var = sumsq / count - mean * mean;
                assert!(
                    (mean - lam).abs() < 5.0 * (lam / count).sqrt(),
                    "λ {lam} shared {shared}: mean {mean}"
                );
                assert!(
                    (var - lam).abs() < 6.0 * lam * (2.0 / count).sqrt() + 1e-3,
                    "λ {lam} shared {shared}: var {var}"
                );
            }
        }
    }
}

//! Distributed simulation: one model on several processes (ranks), the same spikes.
//!
//! ## Partition
//! Every population's blocks of [`BLOCK`] neurons are split into contiguous runs, one per
//! rank: rank `r` of `K` owns blocks `⌊nb·r/K⌋ .. ⌊nb·(r+1)/K⌋` of a population of `nb`
//! blocks ([`owned_blocks`]). A rank updates only its blocks and builds only the synapses whose
//! *targets* it owns ([`crate::build::build_part`]): row-wise rules draw each source row from its
//! own streams exactly as a single process does and keep the owned targets; `fixed_indegree`
//! draws only the owned targets' columns. The union of the ranks' synapses is therefore the
//! single-process network, synapse for synapse, in the same order. Every rank keeps the
//! (small) per-neuron layout of the whole network — ring buffers, spike statistics, traces —
//! but neuron state is only advanced for owned blocks and synapses exist only once.
//!
//! ## Exchange
//! The exchange interval `m` is the smallest delay (in steps) from a spike to the earliest ring
//! slot it is written to: the smallest delay of every static projection and, for plastic
//! projections, `max(1, dendritic delay)` (their phase writes slot `s + 1 + d_dend` at the
//! latest). Each rank updates its neurons for `m` steps, recording the owned neurons' spikes
//! as `(step, global neuron id)` records (the step run-length coded: a count per step, then
//! 4 bytes per spike); then one all-gather gives every rank every spike of the interval, and
//! the rest of each step (`Network::exchange_phase`: statistics, delivery through the same
//! ring buffers, modulators, plasticity, spike monitors) runs for the interval's steps in
//! order. A spike of step `s` only writes slots `≥ s + m`, none of which has been read yet.
//!
//! ## Determinism
//! Results do not depend on the number of ranks (or threads): neuron-level random numbers come
//! from per-neuron counter-based streams; the gathered spikes of a step are sorted by neuron
//! within each population (ranks own increasing neuron ranges and are concatenated in rank
//! order), so every rank sees the single-process spike lists; and every ring slot receives its
//! additions in the single-process order (by step, then projection, source neuron and
//! synapse), because delivered steps are processed in order and each target's synapses are
//! those of the single-process network in the same order. Floating-point sums are thus the
//! same bit for bit, and so are the spikes.

use crate::comm::{CommTime, Communicator};
use crate::csr::{Csr, Delays, Weights};
use crate::network::{Network, PopInfo, Progress, RunStats};
use crate::{BLOCK, BLOCK_SHIFT};
use serde_json::{Value, json};
use std::ops::Range;
use std::time::Instant;

/// Which part of the network this process simulates.
#[derive(Clone, Debug)]
pub struct Layout {
    /// This rank.
    pub rank: usize,
    /// Number of ranks.
    pub ranks: usize,
    /// Per population, the owned blocks (indices within the population).
    pub owned: Vec<Range<usize>>,
    /// Exchange interval in steps (the minimum delay; see the module docs).
    pub interval: u64,
    /// Smallest `max(1, dendritic delay)` of the plastic projections, in steps.
    pub(crate) plastic_lead: u64,
}

/// Longest exchange interval (bounds the spike buffer of networks without projections).
const MAX_INTERVAL: u64 = 1000;

/// Blocks of a population of `nb` blocks owned by `rank` of `ranks`.
pub fn owned_blocks(nb: usize, rank: usize, ranks: usize) -> Range<usize> {
    nb * rank / ranks..nb * (rank + 1) / ranks
}

/// Neurons of a population of `size` neurons owned by `rank` of `ranks`.
pub fn owned_neurons(size: usize, rank: usize, ranks: usize) -> Range<usize> {
    let b = owned_blocks(size.div_ceil(BLOCK), rank, ranks);
    (b.start * BLOCK).min(size)..(b.end * BLOCK).min(size)
}

impl Layout {
    /// Everything on one process.
    pub(crate) fn single(pops: &[PopInfo]) -> Self {
        Layout {
            rank: 0,
            ranks: 1,
            owned: pops.iter().map(|p| 0..p.blocks.len()).collect(),
            interval: 1,
            plastic_lead: MAX_INTERVAL,
        }
    }

    /// The rank owning neuron `id` of population `pop`.
    pub fn owner(&self, pops: &[PopInfo], pop: usize, id: u32) -> usize {
        let nb = pops[pop].blocks.len();
        let b = (id >> BLOCK_SHIFT) as usize;
        (0..self.ranks)
            .find(|&r| owned_blocks(nb, r, self.ranks).contains(&b))
            .unwrap_or(0)
    }
}

/// Smallest delay of a projection's synapses in steps (`None` when it has none).
fn min_delay(csr: &Csr) -> Option<u64> {
    if csr.is_empty() {
        return None;
    }
    Some(match &csr.delays {
        Delays::Const(d) => u64::from(*d),
        Delays::PerSynapse(v) => u64::from(*v.iter().min()?),
        Delays::Packed { bits, .. } => {
            let mask = (1u32 << bits) - 1;
            u64::from(csr.targets.iter().map(|&x| x & mask).min()?)
        }
    })
}

/// Figures of a distributed run (this rank's, except where said).
#[derive(Clone, Copy, Debug, Default)]
pub struct DistRun {
    /// Figures of the run; `events` summed over ranks, `complete` agreed by all.
    pub run: RunStats,
    /// Time and bytes in the spike exchange (this rank).
    pub comm: CommTime,
    /// Seconds this rank spent updating neurons and delivering (outside the exchange).
    pub compute_s: f64,
}

impl Network {
    /// This process's part of a distributed network.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Fix the exchange interval: the smallest spike-to-slot delay over all ranks (a
    /// collective: every rank calls it once, after a successful build).
    pub fn set_exchange_interval(&mut self, comm: &Communicator) {
        let mut m = MAX_INTERVAL;
        let plastic: Vec<usize> = self.plastic.iter().map(|pp| pp.proj).collect();
        for (k, proj) in self.projs.iter().enumerate() {
            if plastic.contains(&k) {
                continue;
            }
            if let Some(d) = min_delay(&proj.csr) {
                m = m.min(d);
            }
        }
        m = m.min(self.layout.plastic_lead);
        self.layout.interval = comm.min_u64(m).max(1);
    }

    /// Why this network cannot run distributed, if it cannot (graded populations send their
    /// state, not spikes, every step).
    pub fn distributed_support(&self) -> Result<(), String> {
        if self.layout.ranks > 1
            && let Some(p) = self.pops.iter().find(|p| p.model.is_graded())
        {
            return Err(format!(
                "population \"{}\" (model \"{}\") sends graded values: rate networks run on one process only (got {} MPI ranks)",
                p.name, p.model_name, self.layout.ranks
            ));
        }
        Ok(())
    }

    /// [`Network::run_with_check`] for one rank of a distributed run: every rank calls it with
    /// the same `steps`. `check` and `progress` are evaluated on each rank after every step as
    /// in [`Network::run_with_check`]; a stop asked for on any rank stops all ranks at the end
    /// of the current exchange interval.
    pub fn run_distributed(
        &mut self,
        comm: &Communicator,
        steps: u64,
        check_every: u64,
        progress: &mut (dyn FnMut(Progress) -> bool + Send),
        check: &mut (dyn FnMut(&Network) -> bool + Send),
    ) -> DistRun {
        assert_eq!(
            comm.size(),
            self.layout.ranks,
            "run_distributed: the network was built for another number of ranks"
        );
        let t0 = Instant::now();
        let events0 = self.events;
        let every = (steps / 200).max(1);
        let m = self.layout.interval.max(1);
        let ranks = self.layout.ranks;
        let mut offsets = vec![0u32; self.pops.len() + 1];
        for (p, pop) in self.pops.iter().enumerate() {
            offsets[p + 1] = offsets[p] + pop.size as u32;
        }
        let mut ct = CommTime::default();
        let mut payload: Vec<u32> = Vec::new();
        let (mut done, mut complete) = (0u64, true);
        // The neuron update and the delivery run on a team of threads (see
        // [`crate::team::Team`]); the exchange itself runs on the calling thread.
        let threads = if self.pool.is_some() { self.threads } else { 1 };
        let plan = crate::team::Plan::new(self, threads);
        crate::team::with_team(&plan, |team| {
            while done < steps {
                let len = m.min(steps - done);
                let s0 = self.step;
                // [stop flag, spikes in step s0, …, spikes in step s0 + len − 1, global ids…]
                payload.clear();
                payload.resize(1 + len as usize, 0);
                let mut stop = false;
                for k in 0..len as usize {
                    let s = self.step;
                    team.update_phase(self, s);
                    self.record_state(s);
                    let before = payload.len();
                    for (p, sp) in self.spikes.iter().enumerate() {
                        payload.extend(sp.iter().map(|&i| offsets[p] + i));
                    }
                    payload[1 + k] = (payload.len() - before) as u32;
                    self.step += 1;
                    done += 1;
                    if check_every > 0
                        && (done % check_every == 0 || done == steps)
                        && !check(&*self)
                    {
                        stop = true;
                    }
                    if done % every == 0 && !progress(Progress { done, total: steps }) {
                        stop = true;
                    }
                }
                payload[0] = u32::from(stop);
                let (all, at) = ct.time(|| comm.all_gather_u32(&payload));
                ct.bytes_sent += 4 * payload.len() as u64;
                ct.bytes_received += 4 * all.len() as u64;
                let stop_any = (0..ranks).any(|r| all[at[r]] != 0);
                let mut cursor: Vec<usize> = (0..ranks).map(|r| at[r] + 1 + len as usize).collect();
                for k in 0..len as usize {
                    for v in &mut self.spikes {
                        v.clear();
                    }
                    for r in 0..ranks {
                        let c = all[at[r] + 1 + k] as usize;
                        let mut p = 0;
                        for &g in &all[cursor[r]..cursor[r] + c] {
                            while g >= offsets[p + 1] {
                                p += 1;
                            }
                            self.spikes[p].push(g - offsets[p]);
                        }
                        cursor[r] += c;
                    }
                    team.exchange_phase(self, s0 + k as u64);
                }
                if stop_any {
                    complete = done == steps;
                    break;
                }
            }
        });
        let wall_s = t0.elapsed().as_secs_f64();
        let events = ct.time(|| comm.sum_u64(self.events - events0));
        DistRun {
            run: RunStats {
                steps: done,
                wall_s,
                events,
                complete,
            },
            comm: ct,
            compute_s: wall_s - ct.seconds,
        }
    }

    /// After the last run: gather on every rank what monitors and plastic projections hold
    /// per rank (state-monitor samples of neurons owned elsewhere, the plastic projections'
    /// synapses and weights), so that rank 0 writes the single-process outputs. Returns the
    /// summary figures summed over ranks. The network cannot run on after this.
    pub fn gather_distributed(&mut self, comm: &Communicator) -> DistTotals {
        let totals = DistTotals {
            synapses: self
                .projs
                .iter()
                .map(|p| comm.sum_u64(p.csr.len() as u64))
                .collect(),
            synapse_bytes: self
                .projs
                .iter()
                .map(|p| comm.sum_u64(p.csr.bytes() as u64))
                .collect(),
        };
        if comm.size() == 1 {
            return totals;
        }
        let layout = self.layout.clone();
        for k in 0..self.monitors.state.len() {
            let (pop, ids) = {
                let m = &self.monitors.state[k];
                (m.pop, m.ids.clone())
            };
            let owner: Vec<usize> = ids
                .iter()
                .map(|&i| layout.owner(&self.pops, pop, i))
                .collect();
            let m = &mut self.monitors.state[k];
            let n = ids.len();
            for data in &mut m.data {
                let (all, at) = comm.all_gather_f64(data);
                for (q, x) in data.iter_mut().enumerate() {
                    *x = all[at[owner[q % n]] + q];
                }
            }
        }
        for pp in 0..self.plastic.len() {
            let proj = self.plastic[pp].proj;
            self.projs[proj].csr = union(comm, &self.projs[proj].csr);
        }
        totals
    }
}

/// Figures summed over ranks by [`Network::gather_distributed`].
#[derive(Clone, Debug, Default)]
pub struct DistTotals {
    /// Synapses per projection.
    pub synapses: Vec<u64>,
    /// Synapse bytes per projection.
    pub synapse_bytes: Vec<u64>,
}

/// The single-process CSR from every rank's part (each rank's part holds the synapses onto its
/// targets, rows in source order): row `i` is rank 0's row `i`, then rank 1's, and so on, which
/// is row `i` of the single-process build (sorted by target, ranks owning increasing target
/// ranges). Weights and delays come per synapse (constant ones collapse as in a build).
pub fn union(comm: &Communicator, csr: &Csr) -> Csr {
    let ns = csr.row_ptr.len() - 1;
    let lens: Vec<u32> = csr
        .row_ptr
        .windows(2)
        .map(|w| (w[1] - w[0]) as u32)
        .collect();
    let targets = csr.target_indices().into_owned();
    let weights: Vec<u32> = (0..csr.len())
        .map(|q| csr.weights.at(q).to_bits())
        .collect();
    let delays: Vec<u32> = (0..csr.len()).map(|q| u32::from(csr.delay(q))).collect();
    let (all_lens, _) = comm.all_gather_u32(&lens);
    let (all_t, at) = comm.all_gather_u32(&targets);
    let (all_w, _) = comm.all_gather_u32(&weights);
    let (all_d, _) = comm.all_gather_u32(&delays);
    let ranks = comm.size();
    let mut row_ptr = vec![0u64; ns + 1];
    let mut cur: Vec<usize> = at[..ranks].to_vec();
    let (mut t, mut w, mut d) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..ns {
        for r in 0..ranks {
            let l = all_lens[r * ns + i] as usize;
            let c = cur[r];
            t.extend_from_slice(&all_t[c..c + l]);
            w.extend(all_w[c..c + l].iter().map(|&x| f32::from_bits(x)));
            d.extend(all_d[c..c + l].iter().map(|&x| x as u16));
            cur[r] += l;
        }
        row_ptr[i + 1] = t.len() as u64;
    }
    let weights = match w.first() {
        Some(w0)
            if w.iter().all(|x| x.to_bits() == w0.to_bits())
                && !matches!(csr.weights, Weights::PerSynapse(_)) =>
        {
            Weights::Const(*w0)
        }
        None => csr.weights.clone(),
        _ => Weights::PerSynapse(w),
    };
    let delays = match d.first() {
        Some(&d0) if d.iter().all(|&x| x == d0) => Delays::Const(d0),
        None => Delays::Const(1),
        _ => Delays::PerSynapse(d),
    };
    Csr {
        row_ptr,
        targets: t,
        weights,
        delays,
    }
}

/// Put the figures of a distributed run into `summary.json`'s document: synapse counts summed
/// over ranks and an `"mpi"` section (ranks, exchange interval, exchange time and bytes, the
/// slowest rank's compute time).
pub fn patch_summary(
    doc: &mut Value,
    net: &Network,
    totals: &DistTotals,
    ranks_figures: &[DistRun],
) {
    for (k, pr) in net.projs.iter().enumerate() {
        if let Some(p) = doc["projections"].get_mut(&pr.name) {
            p["synapses"] = json!(totals.synapses[k]);
            p["synapse_bytes"] = json!(totals.synapse_bytes[k]);
        }
    }
    doc["synapses"] = json!(totals.synapses.iter().sum::<u64>());
    doc["synapse_bytes"] = json!(totals.synapse_bytes.iter().sum::<u64>());
    let max = |f: &dyn Fn(&DistRun) -> f64| ranks_figures.iter().map(f).fold(0.0, f64::max);
    doc["mpi"] = json!({
        "ranks": net.layout.ranks,
        "exchange_interval_steps": net.layout.interval,
        "exchanges": ranks_figures.first().map_or(0, |r| r.comm.calls),
        "exchange_s": ranks_figures.iter().map(|r| r.comm.seconds).collect::<Vec<_>>(),
        "compute_s": ranks_figures.iter().map(|r| r.compute_s).collect::<Vec<_>>(),
        "exchange_s_max": max(&|r| r.comm.seconds),
        "compute_s_max": max(&|r| r.compute_s),
        "bytes_sent": ranks_figures.iter().map(|r| r.comm.bytes_sent).collect::<Vec<_>>(),
        "bytes_received": ranks_figures.iter().map(|r| r.comm.bytes_received).collect::<Vec<_>>(),
    });
}

/// Every rank's [`DistRun`] figures, on every rank.
pub fn gather_figures(comm: &Communicator, mine: &DistRun) -> Vec<DistRun> {
    let v = [
        mine.comm.seconds,
        mine.compute_s,
        mine.comm.calls as f64,
        mine.comm.bytes_sent as f64,
        mine.comm.bytes_received as f64,
    ];
    let (all, at) = comm.all_gather_f64(&v);
    (0..comm.size())
        .map(|r| {
            let x = &all[at[r]..at[r + 1]];
            DistRun {
                run: mine.run,
                comm: CommTime {
                    seconds: x[0],
                    calls: x[2] as u64,
                    bytes_sent: x[3] as u64,
                    bytes_received: x[4] as u64,
                },
                compute_s: x[1],
            }
        })
        .collect()
}

/// [`crate::health::run_checked`] for one rank of a distributed run: the same NaN checks on
/// this rank's neurons (every [`crate::health::CHECK_EVERY`] steps), a fault on any rank
/// stopping every rank at the end of the exchange interval. Returns this rank's figures and
/// its fault, if it found one (agree on faults with [`Communicator::agree`]).
pub fn run_checked_distributed(
    net: &mut Network,
    comm: &Communicator,
    steps: u64,
    on_nan: crate::health::OnNan,
    progress: &mut (dyn FnMut(Progress) -> bool + Send),
    warn: &mut (dyn FnMut(&crate::health::Fault) + Send),
) -> (DistRun, Option<crate::health::Fault>) {
    use crate::health::{CHECK_EVERY, OnNan, scan, state_finite};
    if on_nan == OnNan::Off {
        return (
            net.run_distributed(comm, steps, 0, progress, &mut |_| true),
            None,
        );
    }
    let mut fault = None;
    let mut last_ok = net.step;
    let mut active = true;
    let end = net.step + steps;
    let stats = net.run_distributed(comm, steps, CHECK_EVERY, progress, &mut |n: &Network| {
        if !active || (state_finite(n) && n.step < end) {
            if active {
                last_ok = n.step;
            }
            return true;
        }
        match scan(n, last_ok) {
            None => {
                last_ok = n.step;
                true
            }
            Some(f) => {
                active = false;
                if on_nan == OnNan::Warn {
                    warn(&f);
                    true
                } else {
                    fault = Some(f);
                    false
                }
            }
        }
    });
    (stats, fault)
}

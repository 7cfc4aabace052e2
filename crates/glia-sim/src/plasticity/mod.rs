//! Synaptic plasticity: rules, their per-projection state, and the plasticity phase of a step.
//!
//! A plastic projection keeps its weights where delivery reads them
//! ([`Weights::PerSynapse`] in the presynaptic CSR); for updates at postsynaptic spikes it adds
//! a column index (per target: the CSR positions of its incoming synapses and their sources), so
//! weights are stored once. Traces live on neurons: `R::PRE` values per source neuron and
//! `R::POST` per target neuron, per projection, decayed once per step by constant factors
//! (exact for exponential traces). Rules that need per-synapse state (eligibility) ask for
//! `R::SYN` values per synapse.
//!
//! ## Adding a rule
//! One file in this folder with a type implementing [`Rule`], plus one line in the
//! `registry!` call below (and a row in `docs/plasticity.md`). Dispatch is static: one `match`
//! per projection and step, and the per-synapse loops are monomorphised for the rule.
//!
//! ## Delay semantics (see `docs/plasticity.md`)
//! A projection's delay `d` (steps) splits into an axonal part `d_ax` and a dendritic part
//! `d_dend = plasticity.dendritic_delay` (default 0). A presynaptic spike emitted in step `s`
//! (time `(s+1)·dt`) reaches the synapse at synapse time `A = s + 1 + d_ax`; a postsynaptic spike
//! of step `s'` reaches it at `A = s' + 1 + d_dend`. Events are processed in order of synapse
//! time; within one synapse time, presynaptic events come first. The weight a spike carries to
//! the soma is the weight at its arrival at the synapse, before its own update; it arrives at the
//! soma `d` steps after emission as for static projections.
//!
//! ## The phase (step `s`, after the step's spikes are collected; synapse time `A = s + 1`)
//! 1. Traces decay by one step.
//! 2. Projections with `d_ax = 0` deliver this step's presynaptic spikes.
//! 3. Presynaptic events at `A`: for every synapse of the row, [`Rule::on_pre`] (weight then
//!    clipped to `[w_min, w_max]`); then [`Rule::pre_spike`] updates the source's traces.
//! 4. Postsynaptic events at `A`: for every incoming synapse, [`Rule::on_post`] (clipped); then
//!    [`Rule::post_spike`] updates the target's traces.
//! 5. [`Rule::every_step`] over all synapses, for rules with `EVERY_STEP`.
//! 6. Projections with `d_ax ≥ 1` deliver the presynaptic spikes that reach the synapse at
//!    `A + 1` (emitted in step `s + 1 − d_ax`), into ring slot `s + 1 + d_dend` (= emission + d).
//!
//! The phase runs on one thread, in a fixed order (projection, spike, synapse), so results do
//! not depend on the thread count. Static projections are delivered as before (in parallel).

pub mod gated_hebbian;
pub mod one_shot;
pub mod rstdp;
pub mod scaling;
pub mod stdp;
pub mod triplet;
pub mod vogels;

use crate::csr::{Csr, Delays, Weights};
use glia_spec::{ModelError, Plasticity as Spec};
use serde::de::DeserializeOwned;

/// Known rule names.
pub const RULES: &[&str] = &[
    "stdp",
    "triplet",
    "vogels",
    "rstdp",
    "gated_hebbian",
    "scaling",
    "one_shot",
];

/// What a rule sees while it updates a synapse.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    /// Current value of every modulator channel (indexed by the ids resolved at lowering with
    /// [`LowerCtx::modulator`]).
    pub modulators: &'a [f32],
    /// Time step \[ms\].
    pub dt: f32,
    /// The step being processed (synapse time `A = step + 1`).
    pub step: u64,
    /// Lower weight bound of the projection.
    pub w_min: f32,
    /// Upper weight bound of the projection.
    pub w_max: f32,
}

impl Ctx<'_> {
    /// The current value of modulator `id`.
    #[inline(always)]
    pub fn modulator(&self, id: usize) -> f32 {
        self.modulators[id]
    }
}

/// What a rule's lowering gets.
pub struct LowerCtx<'a> {
    /// The validated `plasticity` table.
    pub spec: &'a Spec,
    /// Time step \[ms\].
    pub dt: f64,
    /// Names of the network's modulator channels (ids are positions in this list).
    pub modulator_names: &'a [String],
}

impl LowerCtx<'_> {
    /// The rule's parameters deserialised into `T` (unknown fields rejected), errors naming
    /// the field (`projections[2].plasticity.tau_plus`).
    pub fn params<T: DeserializeOwned>(&self) -> Result<T, ModelError> {
        serde_path_to_error::deserialize(toml::Value::Table(self.spec.params.clone())).map_err(
            |e| {
                let inner = e.path().to_string();
                let path = if inner == "." {
                    self.spec.path.clone()
                } else {
                    format!("{}.{inner}", self.spec.path)
                };
                ModelError::invalid(path, e.into_inner().message().to_string())
            },
        )
    }

    /// `projections[i].plasticity.NAME`, for messages.
    pub fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.spec.path)
    }

    /// A time constant \[ms\] checked `> 0` and turned into its per-step decay `exp(−dt/τ)`.
    pub fn decay(&self, tau: f64, name: &str) -> Result<f32, ModelError> {
        if !(tau > 0.0 && tau.is_finite()) {
            return Err(ModelError::invalid(
                self.path(name),
                format!("must be > 0 ms, got {tau}"),
            ));
        }
        Ok((-self.dt / tau).exp() as f32)
    }

    /// A parameter checked finite and `≥ 0`.
    pub fn non_negative(&self, x: f64, name: &str) -> Result<f32, ModelError> {
        if !(x >= 0.0 && x.is_finite()) {
            return Err(ModelError::invalid(
                self.path(name),
                format!("must be ≥ 0, got {x}"),
            ));
        }
        Ok(x as f32)
    }

    /// The id of modulator channel `name` (given in field `field`), or an error naming the
    /// field and the channels that exist.
    pub fn modulator(&self, name: &str, field: &str) -> Result<usize, ModelError> {
        self.modulator_names
            .iter()
            .position(|m| m == name)
            .ok_or_else(|| {
                ModelError::invalid(
                    self.path(field),
                    format!(
                        "no modulator \"{name}\" (modulators: {})",
                        if self.modulator_names.is_empty() {
                            "none".to_string()
                        } else {
                            self.modulator_names.join(", ")
                        }
                    ),
                )
            })
    }
}

/// A plasticity rule: parameters (shared by the projection's synapses) and how events change a
/// weight. Traces are slices of `PRE` values of the source neuron and `POST` values of the target
/// neuron, decayed every step by [`Rule::pre_decay`] / [`Rule::post_decay`]; `syn` is the
/// synapse's `SYN` values. The framework clips the returned weight to `[w_min, w_max]`.
pub trait Rule: Clone + std::fmt::Debug + Send + Sync + Sized {
    /// Trace values per source neuron.
    const PRE: usize;
    /// Trace values per target neuron.
    const POST: usize;
    /// State values per synapse (eligibility traces); 0 for none.
    const SYN: usize = 0;
    /// Whether [`Rule::every_step`] must run.
    const EVERY_STEP: bool = false;
    /// Whether [`Rule::every_step_post`] must run.
    const EVERY_STEP_POST: bool = false;
    /// Parameters a modulator channel may drive (`modulate = { a_minus = "astro" }`).
    const MODULATED: &'static [&'static str] = &[];

    /// Set parameter `MODULATED[k]` to `v` (called every step, before the rule runs, for each
    /// bound parameter).
    fn set_modulated(&mut self, _k: usize, _v: f32) {}

    /// Build from the `plasticity` table.
    fn lower(ctx: &LowerCtx<'_>) -> Result<Self, ModelError>;

    /// Check the rule against the projection's bounds (e.g. soft bounds need a finite `w_max`).
    fn check_bounds(
        &self,
        _w_min: f64,
        _w_max: f64,
        _ctx: &LowerCtx<'_>,
    ) -> Result<(), ModelError> {
        Ok(())
    }

    /// Per-step decay factor of each presynaptic trace (`PRE` values).
    fn pre_decay(&self) -> &[f32];
    /// Per-step decay factor of each postsynaptic trace (`POST` values).
    fn post_decay(&self) -> &[f32];

    /// A presynaptic spike reaches the synapse: the new weight. `pre` holds the source's traces
    /// before this spike's [`Rule::pre_spike`].
    fn on_pre(&self, w: f32, syn: &mut [f32], pre: &[f32], post: &[f32], c: &Ctx<'_>) -> f32;
    /// Update a source neuron's traces after its spike's synapses are done.
    fn pre_spike(&self, pre: &mut [f32]);
    /// A postsynaptic spike reaches the synapse: the new weight. `post` holds the target's
    /// traces before this spike's [`Rule::post_spike`].
    fn on_post(&self, w: f32, syn: &mut [f32], pre: &[f32], post: &[f32], c: &Ctx<'_>) -> f32;
    /// Update a target neuron's traces after its spike's synapses are done.
    fn post_spike(&self, post: &mut [f32]);

    /// Every step, after the spike events: all weights and synapse states of the projection
    /// (for rules with `EVERY_STEP`, e.g. eligibility × modulator).
    fn every_step(&self, _w: &mut [f32], _syn: &mut [f32], _c: &Ctx<'_>) {}

    /// Every step, after [`Rule::every_step`]: all weights with each synapse's target
    /// (`targets[q]`) and the targets' traces (`post`, `POST` values per target), for rules
    /// with `EVERY_STEP_POST` that follow the postsynaptic neuron (homeostatic scaling).
    fn every_step_post(&self, _w: &mut [f32], _targets: &[u32], _post: &[f32], _c: &Ctx<'_>) {}
}

/// Where the target population's input ring lives (see `Network::rings`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RingGeom {
    pub np: usize,
    pub port: usize,
    pub slots: u64,
    pub padded: usize,
}

/// One plastic projection with rule `R`: its traces, synapse state, column index and spike
/// histories.
#[derive(Clone, Debug)]
pub struct Plastic<R: Rule> {
    /// The rule.
    pub rule: R,
    /// Axonal delay \[steps\].
    pub d_ax: u16,
    /// Dendritic delay \[steps\].
    pub d_dend: u16,
    /// Weight bounds.
    pub w_min: f32,
    /// Weight bounds.
    pub w_max: f32,
    /// Presynaptic traces, `PRE` per source neuron.
    pub pre: Vec<f32>,
    /// Postsynaptic traces, `POST` per target neuron.
    pub post: Vec<f32>,
    /// Synapse state, `SYN` per synapse (CSR order).
    pub syn: Vec<f32>,
    /// `col_ptr[j]..col_ptr[j + 1]` index `col_syn`/`col_src` for target `j`.
    col_ptr: Vec<usize>,
    /// CSR position of each incoming synapse, by target, in source order.
    col_syn: Vec<u32>,
    /// Source of each incoming synapse.
    col_src: Vec<u32>,
    /// Source spikes of the last `d_ax + 1` steps (when `d_ax ≥ 1`).
    pre_hist: Vec<Vec<u32>>,
    /// Target spikes of the last `d_dend + 1` steps (when `d_dend ≥ 1`).
    post_hist: Vec<Vec<u32>>,
    /// `(k, channel)`: parameter `R::MODULATED[k]` follows modulator `channel`.
    bindings: Vec<(usize, usize)>,
    /// Short-term plasticity release factors of the spikes in `pre_hist` (same layout), when the
    /// projection has `stp` and `d_ax ≥ 1`.
    fac_hist: Vec<Vec<f32>>,
    /// Per-synapse delays: the schedule of presynaptic events (`None` with one delay).
    het: Option<Box<Het>>,
}

/// The presynaptic side of a projection with per-synapse delays. Synapse `q` (delay `d_q`) has
/// the axonal delay `d_q − d_dend`; a spike of source `i` emitted in step `e` reaches it in the
/// phase of step `e + d_ax[q]`. The presynaptic trace *at the synapse* is then the source's
/// trace at emission time `d_ax[q]` steps earlier, so traces stay per neuron (decayed and
/// incremented at emission) and a ring of the last `max d_ax + 1` steps of them serves every
/// synapse.
#[derive(Clone, Debug)]
struct Het {
    /// Axonal delay of every synapse (CSR order) \[steps\].
    d_ax: Vec<u16>,
    /// CSR positions, each row ordered by axonal delay (by target within one delay).
    perm: Vec<u32>,
    /// `grp_ptr[i]..grp_ptr[i + 1]` index the groups of row `i` in `grp`.
    grp_ptr: Vec<u32>,
    /// Synapses of one row with one axonal delay: `(d_ax, start, end)`, range into `perm`.
    grp: Vec<(u16, u32, u32)>,
    /// Ring length `max d_ax + 1`.
    len: u64,
    /// Per ring step `e mod len`: the presynaptic traces after that step's decay and before its
    /// spikes (`PRE` per source).
    hist: Vec<f32>,
    /// Per ring step: bit set of the sources that spiked.
    spiked: Vec<u64>,
    /// 64-bit words per bit set.
    words: usize,
    /// Per ring step `a mod len`: `(source, group, STP factor)` of the spikes that reach the
    /// synapses of that group in the phase of step `a`.
    cal: Vec<Vec<(u32, u32, f32)>>,
}

impl Het {
    fn new(csr: &Csr, ds: &[u16], d_dend: u16, n_src: usize, pre: usize) -> Self {
        let d_ax: Vec<u16> = ds.iter().map(|&d| d - d_dend).collect();
        let max_ax = d_ax.iter().copied().max().unwrap_or(0);
        let len = u64::from(max_ax) + 1;
        let mut perm: Vec<u32> = (0..csr.len() as u32).collect();
        let mut grp_ptr = Vec::with_capacity(n_src + 1);
        let mut grp = Vec::new();
        grp_ptr.push(0u32);
        for i in 0..n_src {
            let (a, b) = (csr.row_ptr[i] as usize, csr.row_ptr[i + 1] as usize);
            let row = &mut perm[a..b];
            row.sort_by_key(|&q| d_ax[q as usize]);
            let mut k = a;
            while k < b {
                let d = d_ax[perm[k] as usize];
                let mut e = k + 1;
                while e < b && d_ax[perm[e] as usize] == d {
                    e += 1;
                }
                grp.push((d, k as u32, e as u32));
                k = e;
            }
            grp_ptr.push(grp.len() as u32);
        }
        let words = n_src.div_ceil(64);
        Het {
            d_ax,
            perm,
            grp_ptr,
            grp,
            len,
            hist: vec![0.0; len as usize * n_src * pre],
            spiked: vec![0; len as usize * words],
            words,
            cal: vec![Vec::new(); len as usize],
        }
    }
}

impl<R: Rule> Plastic<R> {
    fn new(
        rule: R,
        csr: &Csr,
        n_src: usize,
        n_tgt: usize,
        spec: &Spec,
        d: u16,
        bindings: Vec<(usize, usize)>,
    ) -> Self {
        const { assert!(R::PRE <= MAX_TRACES && R::POST <= MAX_TRACES) };
        let d_dend = spec.dendritic_steps;
        let d_ax = d - d_dend;
        // Column index by counting sort: stable, so sources appear in increasing order.
        let mut col_ptr = vec![0usize; n_tgt + 1];
        for &t in &csr.targets {
            col_ptr[t as usize + 1] += 1;
        }
        for j in 0..n_tgt {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut fill = col_ptr[..n_tgt].to_vec();
        let mut col_syn = vec![0u32; csr.len()];
        let mut col_src = vec![0u32; csr.len()];
        for i in 0..n_src {
            for q in csr.row_ptr[i] as usize..csr.row_ptr[i + 1] as usize {
                let k = &mut fill[csr.targets[q] as usize];
                col_syn[*k] = q as u32;
                col_src[*k] = i as u32;
                *k += 1;
            }
        }
        let het = match &csr.delays {
            Delays::PerSynapse(ds) => Some(Box::new(Het::new(csr, ds, d_dend, n_src, R::PRE))),
            Delays::Const(_) => None,
            // build.rs packs delays only into static projections' target words.
            Delays::Packed { .. } => unreachable!("plastic projection with packed delays"),
        };
        let d_ax = if het.is_some() { 0 } else { d_ax };
        Plastic {
            rule,
            d_ax,
            d_dend,
            w_min: spec.w_min as f32,
            w_max: spec.w_max as f32,
            pre: vec![0.0; n_src * R::PRE],
            post: vec![0.0; n_tgt * R::POST],
            syn: vec![0.0; csr.len() * R::SYN],
            col_ptr,
            col_syn,
            col_src,
            pre_hist: vec![Vec::new(); if d_ax > 0 { d_ax as usize + 1 } else { 0 }],
            post_hist: vec![Vec::new(); if d_dend > 0 { d_dend as usize + 1 } else { 0 }],
            bindings,
            fac_hist: vec![Vec::new(); if d_ax > 0 { d_ax as usize + 1 } else { 0 }],
            het,
        }
    }

    /// The plasticity phase of step `s` for this projection (see the module docs); returns the
    /// synaptic events delivered.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        s: u64,
        src_spikes: &[u32],
        tgt_spikes: &[u32],
        stp: Option<&[f32]>,
        csr: &mut Csr,
        ring: &mut [f32],
        g: RingGeom,
        modulators: &[f32],
        dt: f32,
    ) -> u64 {
        for &(k, m) in &self.bindings {
            self.rule.set_modulated(k, modulators[m]);
        }
        if self.het.is_some() {
            return self.step_het(s, src_spikes, tgt_spikes, stp, csr, ring, g, modulators, dt);
        }
        let Weights::PerSynapse(w) = &mut csr.weights else {
            unreachable!("plastic projections have per-synapse weights")
        };
        let (row_ptr, targets) = (&csr.row_ptr, &csr.targets);
        let rule = &self.rule;
        let (lo, hi) = (self.w_min, self.w_max);
        // Rules see magnitudes when every weight is ≤ 0 (inhibition stored as negative
        // weights): `w' = −rule(−w)` with the bounds mirrored.
        let sg: f32 = if hi <= 0.0 { -1.0 } else { 1.0 };
        let c = Ctx {
            modulators,
            dt,
            step: s,
            w_min: if sg < 0.0 { -hi } else { lo },
            w_max: if sg < 0.0 { -lo } else { hi },
        };
        let mut events = 0;
        // 1. Decay.
        decay(&mut self.pre, rule.pre_decay());
        decay(&mut self.post, rule.post_decay());
        let d = u64::from(self.d_ax + self.d_dend);
        // 2. Delivery of spikes that reach the synapse now (d_ax = 0).
        if self.d_ax == 0 {
            events += deliver(src_spikes, stp, row_ptr, targets, w, ring, g, s + d);
        }
        // 3. Presynaptic events.
        let pre_now: &[u32] = if self.d_ax == 0 {
            src_spikes
        } else {
            let l = self.pre_hist.len() as u64;
            &self.pre_hist[((s + 1) % l) as usize]
        };
        let (pp, qp, sp) = (R::PRE, R::POST, R::SYN);
        for &i in pre_now {
            let i = i as usize;
            let tr = &mut self.pre[i * pp..(i + 1) * pp];
            for q in row_ptr[i] as usize..row_ptr[i + 1] as usize {
                let j = targets[q] as usize;
                let nw = rule.on_pre(
                    sg * w[q],
                    &mut self.syn[q * sp..(q + 1) * sp],
                    tr,
                    &self.post[j * qp..(j + 1) * qp],
                    &c,
                );
                w[q] = (sg * nw).clamp(lo, hi);
            }
            rule.pre_spike(tr);
        }
        // 4. Postsynaptic events.
        let post_now: &[u32] = if self.d_dend == 0 {
            tgt_spikes
        } else {
            let l = self.post_hist.len() as u64;
            &self.post_hist[((s + 1) % l) as usize]
        };
        for &j in post_now {
            let j = j as usize;
            let tr = &mut self.post[j * qp..(j + 1) * qp];
            // The weights of a column are scattered over the projection: gather a batch first
            // (a tight loop of independent loads keeps many cache misses in flight), update,
            // then write back.
            let (a, e) = (self.col_ptr[j], self.col_ptr[j + 1]);
            let mut k0 = a;
            while k0 < e {
                let k1 = (k0 + GATHER).min(e);
                let qs = &self.col_syn[k0..k1];
                let srcs = &self.col_src[k0..k1];
                let mut buf = [0.0f32; GATHER];
                for (b, &q) in buf.iter_mut().zip(qs) {
                    *b = w[q as usize];
                }
                for ((b, &q), &i) in buf.iter_mut().zip(qs).zip(srcs) {
                    let (q, i) = (q as usize, i as usize);
                    let nw = rule.on_post(
                        sg * *b,
                        &mut self.syn[q * sp..(q + 1) * sp],
                        &self.pre[i * pp..(i + 1) * pp],
                        tr,
                        &c,
                    );
                    *b = (sg * nw).clamp(lo, hi);
                }
                for (b, &q) in buf.iter().zip(qs) {
                    w[q as usize] = *b;
                }
                k0 = k1;
            }
            rule.post_spike(tr);
        }
        // 5. Every step.
        every_step(rule, w, &mut self.syn, targets, &self.post, &c, sg, lo, hi);
        // Histories.
        if self.d_ax > 0 {
            let l = self.pre_hist.len() as u64;
            let h = &mut self.pre_hist[(s % l) as usize];
            h.clear();
            h.extend_from_slice(src_spikes);
            if let Some(f) = stp {
                let h = &mut self.fac_hist[(s % l) as usize];
                h.clear();
                h.extend_from_slice(f);
            }
        }
        push_hist(&mut self.post_hist, s, tgt_spikes);
        // 6. Delivery of spikes that reach the synapse next step (d_ax ≥ 1).
        if self.d_ax > 0 {
            let l = self.pre_hist.len() as u64;
            let k = ((s + 2) % l) as usize;
            let slot = s + 1 + u64::from(self.d_dend);
            let f = stp.map(|_| &self.fac_hist[k][..]);
            events += deliver(&self.pre_hist[k], f, row_ptr, targets, w, ring, g, slot);
        }
        events
    }

    /// The phase of step `s` with per-synapse delays (see [`Het`]): as [`Plastic::step`], with
    /// each synapse's own axonal delay and the presynaptic traces it sees read from the ring of
    /// emission-time traces.
    #[allow(clippy::too_many_arguments)]
    fn step_het(
        &mut self,
        s: u64,
        src_spikes: &[u32],
        tgt_spikes: &[u32],
        stp: Option<&[f32]>,
        csr: &mut Csr,
        ring: &mut [f32],
        g: RingGeom,
        modulators: &[f32],
        dt: f32,
    ) -> u64 {
        let Weights::PerSynapse(w) = &mut csr.weights else {
            unreachable!("plastic projections have per-synapse weights")
        };
        let (row_ptr, targets) = (&csr.row_ptr, &csr.targets);
        let h = self.het.as_deref_mut().expect("per-synapse delays");
        let rule = &self.rule;
        let (lo, hi) = (self.w_min, self.w_max);
        let sg: f32 = if hi <= 0.0 { -1.0 } else { 1.0 };
        let c = Ctx {
            modulators,
            dt,
            step: s,
            w_min: if sg < 0.0 { -hi } else { lo },
            w_max: if sg < 0.0 { -lo } else { hi },
        };
        let (pp, qp, sp) = (R::PRE, R::POST, R::SYN);
        let n_src = row_ptr.len() - 1;
        let d_dend = u64::from(self.d_dend);
        let mut events = 0;
        // 1. Decay; the emission-time traces of this step (before its spikes) go to the ring,
        // then this step's spikes update them.
        decay(&mut self.pre, rule.pre_decay());
        decay(&mut self.post, rule.post_decay());
        let cur = (s % h.len) as usize;
        h.hist[cur * n_src * pp..(cur + 1) * n_src * pp].copy_from_slice(&self.pre);
        let bits = &mut h.spiked[cur * h.words..(cur + 1) * h.words];
        bits.fill(0);
        for &i in src_spikes {
            bits[i as usize / 64] |= 1 << (i % 64);
            rule.pre_spike(&mut self.pre[i as usize * pp..(i as usize + 1) * pp]);
        }
        // 2. Schedule this step's spikes group by group; groups with no axonal delay reach the
        // synapse now and are delivered before their update, into slot `s + d_dend`.
        for (k, &i) in src_spikes.iter().enumerate() {
            let f = stp.map_or(1.0, |f| f[k]);
            for gi in h.grp_ptr[i as usize]..h.grp_ptr[i as usize + 1] {
                let (d, a, b) = h.grp[gi as usize];
                if d == 0 {
                    events += deliver_perm(
                        &h.perm[a as usize..b as usize],
                        f,
                        targets,
                        w,
                        ring,
                        g,
                        s + d_dend,
                    );
                }
                h.cal[((s + u64::from(d)) % h.len) as usize].push((i, gi, f));
            }
        }
        // 3. Presynaptic events reaching their synapses now.
        let mut now = std::mem::take(&mut h.cal[cur]);
        for &(i, gi, _) in &now {
            let (d, a, b) = h.grp[gi as usize];
            let e = ((s + h.len - u64::from(d)) % h.len) as usize;
            let i = i as usize;
            let tr = &h.hist[(e * n_src + i) * pp..(e * n_src + i + 1) * pp];
            for &q in &h.perm[a as usize..b as usize] {
                let q = q as usize;
                let j = targets[q] as usize;
                let nw = rule.on_pre(
                    sg * w[q],
                    &mut self.syn[q * sp..(q + 1) * sp],
                    tr,
                    &self.post[j * qp..(j + 1) * qp],
                    &c,
                );
                w[q] = (sg * nw).clamp(lo, hi);
            }
        }
        now.clear();
        h.cal[cur] = now;
        // 4. Postsynaptic events: each synapse sees its source's trace `d_ax[q]` steps ago,
        // including a spike of that step (it reached the synapse first).
        let post_now: &[u32] = if self.d_dend == 0 {
            tgt_spikes
        } else {
            let l = self.post_hist.len() as u64;
            &self.post_hist[((s + 1) % l) as usize]
        };
        let mut tmp = [0.0f32; MAX_TRACES];
        for &j in post_now {
            let j = j as usize;
            let tr = &mut self.post[j * qp..(j + 1) * qp];
            for k in self.col_ptr[j]..self.col_ptr[j + 1] {
                let (q, i) = (self.col_syn[k] as usize, self.col_src[k] as usize);
                let e = ((s + h.len - u64::from(h.d_ax[q])) % h.len) as usize;
                let at = (e * n_src + i) * pp;
                let pre: &[f32] = if (h.spiked[e * h.words + i / 64] >> (i % 64)) & 1 == 1 {
                    tmp[..pp].copy_from_slice(&h.hist[at..at + pp]);
                    rule.pre_spike(&mut tmp[..pp]);
                    &tmp[..pp]
                } else {
                    &h.hist[at..at + pp]
                };
                let nw = rule.on_post(sg * w[q], &mut self.syn[q * sp..(q + 1) * sp], pre, tr, &c);
                w[q] = (sg * nw).clamp(lo, hi);
            }
            rule.post_spike(tr);
        }
        // 5. Every step.
        every_step(rule, w, &mut self.syn, targets, &self.post, &c, sg, lo, hi);
        push_hist(&mut self.post_hist, s, tgt_spikes);
        // 6. Delivery of the spikes that reach their synapses next step (axonal delay ≥ 1): all
        // land in slot `s + 1 + d_dend`.
        let next = ((s + 1) % h.len) as usize;
        if h.len > 1 {
            for &(_, gi, f) in &h.cal[next] {
                let (_, a, b) = h.grp[gi as usize];
                events += deliver_perm(
                    &h.perm[a as usize..b as usize],
                    f,
                    targets,
                    w,
                    ring,
                    g,
                    s + 1 + d_dend,
                );
            }
        }
        events
    }
}

/// Most trace values per neuron a rule may have (`Rule::PRE`, `Rule::POST`).
const MAX_TRACES: usize = 8;

/// Keep the spikes of step `s` in a ring of spike lists (nothing when the ring is empty).
fn push_hist(hist: &mut [Vec<u32>], s: u64, spikes: &[u32]) {
    if !hist.is_empty() {
        let h = &mut hist[(s % hist.len() as u64) as usize];
        h.clear();
        h.extend_from_slice(spikes);
    }
}

/// Step 5 of the phase: [`Rule::every_step`] and [`Rule::every_step_post`] over all synapses,
/// on magnitudes (`sg = −1`) when the weights are negative, then clipping.
#[allow(clippy::too_many_arguments)]
#[inline]
fn every_step<R: Rule>(
    rule: &R,
    w: &mut [f32],
    syn: &mut [f32],
    targets: &[u32],
    post: &[f32],
    c: &Ctx<'_>,
    sg: f32,
    lo: f32,
    hi: f32,
) {
    if R::EVERY_STEP {
        if sg < 0.0 {
            w.iter_mut().for_each(|x| *x = -*x);
        }
        rule.every_step(w, syn, c);
        for x in w.iter_mut() {
            *x = (sg * *x).clamp(lo, hi);
        }
    }
    if R::EVERY_STEP_POST {
        if sg < 0.0 {
            w.iter_mut().for_each(|x| *x = -*x);
        }
        rule.every_step_post(w, targets, post, c);
        for x in w.iter_mut() {
            *x = (sg * *x).clamp(lo, hi);
        }
    }
}

/// Add `f·w[q]` for the synapses `qs` (CSR positions) to ring slot `slot`.
fn deliver_perm(
    qs: &[u32],
    f: f32,
    targets: &[u32],
    w: &[f32],
    ring: &mut [f32],
    g: RingGeom,
    slot: u64,
) -> u64 {
    let off = ((slot % g.slots) as usize * g.np + g.port) * g.padded;
    let row = &mut ring[off..off + g.padded];
    for &q in qs {
        row[targets[q as usize] as usize] += w[q as usize] * f;
    }
    qs.len() as u64
}

/// Synapses per gather batch in postsynaptic updates.
const GATHER: usize = 64;

/// Multiply every trace by its factor (`factors.len()` values per neuron).
#[inline]
fn decay(tr: &mut [f32], factors: &[f32]) {
    match factors.len() {
        0 => {}
        1 => {
            let a = factors[0];
            tr.iter_mut().for_each(|x| *x *= a);
        }
        n => {
            for ch in tr.chunks_exact_mut(n) {
                for (x, a) in ch.iter_mut().zip(factors) {
                    *x *= a;
                }
            }
        }
    }
}

/// Add the weights of the rows of `spikes` to ring slot `slot` (absolute step), each row scaled
/// by its spike's short-term plasticity factor when `stp` is given (aligned with `spikes`).
#[allow(clippy::too_many_arguments)]
fn deliver(
    spikes: &[u32],
    stp: Option<&[f32]>,
    row_ptr: &[u64],
    targets: &[u32],
    w: &[f32],
    ring: &mut [f32],
    g: RingGeom,
    slot: u64,
) -> u64 {
    let off = ((slot % g.slots) as usize * g.np + g.port) * g.padded;
    let row = &mut ring[off..off + g.padded];
    let mut events = 0;
    for (k, &i) in spikes.iter().enumerate() {
        let (a, b) = (
            row_ptr[i as usize] as usize,
            row_ptr[i as usize + 1] as usize,
        );
        events += (b - a) as u64;
        match stp {
            None => {
                for (&t, &x) in targets[a..b].iter().zip(&w[a..b]) {
                    row[t as usize] += x;
                }
            }
            Some(f) => {
                let f = f[k];
                for (&t, &x) in targets[a..b].iter().zip(&w[a..b]) {
                    row[t as usize] += x * f;
                }
            }
        }
    }
    events
}

/// Resolve `modulate = { param = "channel" }` against the rule's modulatable parameters.
fn bindings(allowed: &[&str], ctx: &LowerCtx<'_>) -> Result<Vec<(usize, usize)>, ModelError> {
    ctx.spec
        .modulate
        .iter()
        .map(|(param, chan)| {
            let field = format!("modulate.{param}");
            let k = allowed.iter().position(|a| a == param).ok_or_else(|| {
                ModelError::invalid(
                    ctx.path(&field),
                    format!(
                        "rule \"{}\" has no parameter \"{param}\" that a modulator can drive ({})",
                        ctx.spec.rule,
                        if allowed.is_empty() {
                            "it has none".to_string()
                        } else {
                            format!("modulatable: {}", allowed.join(", "))
                        }
                    ),
                )
            })?;
            Ok((k, ctx.modulator(chan, &field)?))
        })
        .collect()
}

/// Declares the rules and generates [`AnyPlastic`] with its static dispatch.
macro_rules! registry {
    ($($(#[$doc:meta])* $name:literal => $variant:ident($ty:ty)),* $(,)?) => {
        /// A plastic projection with its rule (one variant per rule).
        #[derive(Clone, Debug)]
        pub enum AnyPlastic {
            $($(#[$doc])* $variant(Plastic<$ty>),)*
        }

        impl AnyPlastic {
            fn lower(
                ctx: &LowerCtx<'_>,
                csr: &Csr,
                n_src: usize,
                n_tgt: usize,
                d: u16,
            ) -> Result<Self, ModelError> {
                match ctx.spec.rule.as_str() {
                    $($name => {
                        let r = <$ty as Rule>::lower(ctx)?;
                        r.check_bounds(ctx.spec.w_min, ctx.spec.w_max, ctx)?;
                        let b = bindings(<$ty as Rule>::MODULATED, ctx)?;
                        Ok(AnyPlastic::$variant(Plastic::new(r, csr, n_src, n_tgt, ctx.spec, d, b)))
                    })*
                    other => Err(ModelError::invalid(
                        ctx.path("rule"),
                        format!("unknown plasticity rule \"{other}\"; known rules: {}", RULES.join(", ")),
                    )),
                }
            }

            /// The weight bounds `(w_min, w_max)`.
            pub fn bounds(&self) -> (f32, f32) {
                match self {
                    $(AnyPlastic::$variant(p) => (p.w_min, p.w_max),)*
                }
            }

            #[allow(clippy::too_many_arguments)]
            fn step(
                &mut self,
                s: u64,
                src: &[u32],
                tgt: &[u32],
                stp: Option<&[f32]>,
                csr: &mut Csr,
                ring: &mut [f32],
                g: RingGeom,
                m: &[f32],
                dt: f32,
            ) -> u64 {
                match self {
                    $(AnyPlastic::$variant(p) => p.step(s, src, tgt, stp, csr, ring, g, m, dt),)*
                }
            }
        }
    };
}

registry! {
    /// Pair STDP (additive or multiplicative; all-to-all or nearest-spike).
    "stdp" => Stdp(stdp::Stdp),
    /// Triplet STDP (Pfister & Gerstner 2006).
    "triplet" => Triplet(triplet::Triplet),
    /// Inhibitory STDP (Vogels, Sprekeler et al. 2011).
    "vogels" => Vogels(vogels::Vogels),
    /// Reward-modulated STDP with eligibility traces (Izhikevich 2007).
    "rstdp" => RStdp(rstdp::RStdp),
    /// Error-modulated, gated Hebbian readout rule.
    "gated_hebbian" => GatedHebbian(gated_hebbian::GatedHebbian),
    /// Homeostatic synaptic scaling towards a target rate.
    "scaling" => Scaling(scaling::Scaling),
    /// Gated one-shot Hebbian rule with heterosynaptic reset (CA3 memory).
    "one_shot" => OneShot(one_shot::OneShot),
}

/// A plastic projection in the network: which projection, and its rule state.
#[derive(Clone, Debug)]
pub struct PlasticProj {
    /// Index in `Network::projs`.
    pub proj: usize,
    /// Rule and state.
    pub state: AnyPlastic,
}

/// Lower the `plasticity` table of projection `proj`, converting its weights to per-synapse
/// storage. Errors name the field.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lower(
    spec: &Spec,
    proj: usize,
    csr: &mut Csr,
    n_src: usize,
    n_tgt: usize,
    dt: f64,
    modulator_names: &[String],
    weight_path: &str,
) -> Result<PlasticProj, ModelError> {
    let ctx = LowerCtx {
        spec,
        dt,
        modulator_names,
    };
    if let Weights::Const(w) = csr.weights {
        csr.weights = Weights::PerSynapse(vec![w; csr.len()]);
    }
    // Plastic rules index `targets` directly.
    csr.unpack_delays();
    if csr.len() >= u32::MAX as usize {
        return Err(ModelError::invalid(
            weight_path,
            format!(
                "a plastic projection holds at most {} synapses, got {}",
                u32::MAX - 1,
                csr.len()
            ),
        ));
    }
    let (lo, hi) = (spec.w_min as f32, spec.w_max as f32);
    let Weights::PerSynapse(ws) = &csr.weights else {
        unreachable!()
    };
    if let Some((q, &w)) = ws
        .iter()
        .enumerate()
        .find(|(_, w)| !(**w >= lo && **w <= hi))
    {
        return Err(ModelError::invalid(
            weight_path,
            format!(
                "initial weights must lie within the plasticity bounds [w_min, w_max] = [{}, {}], got {w} (synapse {q}){}",
                spec.w_min,
                spec.w_max,
                if w < 0.0 && spec.w_min >= 0.0 {
                    "; for negative (inhibitory) weights set negative bounds, e.g. w_min = -1, w_max = 0"
                } else {
                    ""
                }
            ),
        ));
    }
    if let Delays::PerSynapse(ds) = &csr.delays
        && let Some(&m) = ds.iter().min()
        && m < spec.dendritic_steps
    {
        return Err(ModelError::invalid(
            ctx.path("dendritic_delay"),
            format!(
                "must be ≤ the projection's smallest delay ({} ms), got {}",
                (f64::from(m) * dt * 1e9).round() / 1e9,
                spec.dendritic_delay
            ),
        ));
    }
    let d = csr.max_delay();
    let state = AnyPlastic::lower(&ctx, csr, n_src, n_tgt, d)?;
    Ok(PlasticProj { proj, state })
}

impl crate::Network {
    /// The plasticity phase of step `s` (see the [module docs](self)); returns the synaptic
    /// events delivered along plastic projections.
    pub(crate) fn plasticity_phase(&mut self, s: u64) -> u64 {
        let mut events = 0;
        let dt = self.dt as f32;
        for pp in &mut self.plastic {
            let proj = &mut self.projs[pp.proj];
            let tp = &self.pops[proj.target];
            let g = RingGeom {
                np: tp.ports.len(),
                port: proj.port,
                slots: tp.slots as u64,
                padded: tp.padded,
            };
            events += pp.state.step(
                s,
                &self.spikes[proj.source],
                &self.spikes[proj.target],
                proj.stp.as_ref().map(|st| &st.factors[..]),
                &mut proj.csr,
                &mut self.rings[proj.target],
                g,
                &self.modulators,
                dt,
            );
        }
        events
    }
}

//! Spiking content-addressable memory of hippocampal CA3 (after Casanueva-Morato et al. 2023,
//! `PAPERS.md` §4, and its code, sPyMem's `CA3_content_addressable`), built from glia's engine:
//! LIF populations, synaptic delays and a one-shot plasticity rule (`one_shot` in `glia-sim`),
//! described as a glia-spec model and run by a `glia_sim::Network` step by step (`dt` = 1 ms,
//! as on SpiNNaker).
//!
//! A memory of `C` cues (one-hot) × `B` content bits. The populations are the paper's (its
//! names in brackets); every neuron is its LIF (`τ_syn` = 0.3 ms, `E_L = V_reset` = −60 mV,
//! `V_th` = −57 mV, `t_ref` = 1 ms), *slow* (`C_m` = 270 pF, `τ_m` = 3 ms) or *fast*
//! (140 pF, 0.5 ms):
//!
//! | population | size | cell | role |
//! |---|---|---|---|
//! | `cue` (CA3cueCueRecall) | C | slow | the cue (address), from the input |
//! | `cont` (CA3contCueRecall) | B | slow | the content: from the input, or recalled by the cue |
//! | `cont_cond` (CA3contCond) | B | fast | passes the content on unless a cue is active |
//! | `cond_int` (CA3contCondInt) | 1 | fast | feedback interneuron of `cont_cond` |
//! | `cont_rec` (CA3contContRecall) | B | slow | the content that recalls cues |
//! | `cue_rec` (CA3cueContRecall) | C | fast | the cues recalled from a content fragment |
//! | `merge_cue` (CA3mergeCue) | C | slow | output: the cue part of the memory |
//! | `merge_cont` (CA3mergeCont) | B | slow | output: the content part |
//! | `learn` | 1 | slow | glia's learning signal (not in the paper; see below) |
//!
//! | projection | connectivity | weight \[nA\] | delay \[ms\] glia (paper) |
//! |---|---|---|---|
//! | `cue → cont` (`cue_cont`) | all to all, plastic | 0 → \[0, 6\] | 1 (1) |
//! | `cont_rec → cue_rec` (`cont_cue`) | all to all, plastic | 0 → \[0, 6\] | 1 (1) |
//! | `cont → cont_cond` | one to one | 9 | 1 (1) |
//! | `cue → cont_cond` | all to all | −6 | 3 (2) |
//! | `cont → cond_int` | all to one | 6 | 1 (1) |
//! | `cond_int → cont_cond` | one to all | 2 | 1 (1) |
//! | `cont_cond → cont_rec` | one to one | 6 | 1 (1) |
//! | `cue → cue_rec` | one to one | 6 | 4 (2) |
//! | `cue → cue_rec` | all to all | −6·B | 5 (3) |
//! | `cue_rec → cue_rec` | all to all but self | −6 (paper −6·B) | 2 (2) |
//! | `cue → merge_cue`, `cue_rec → merge_cue` | one to one | 6 | 6 (3), 1 (1) |
//! | `cont → merge_cont`, `cont_rec → merge_cont` | one to one | 6 | 5 (3), 1 (1) |
//!
//! Weights and plasticity parameters are the paper's (its config file) except the lateral
//! inhibition of `cue_rec`: the paper's −6·B nA per spike sums over every recalled cue, and at
//! 1000 × 1000 its residue kept every second recall by content from firing anything (−6 nA
//! here). The delays differ where the two engines' timing differs. On SpiNNaker a neuron fires
//! in the step its input arrives, so a hop over a synapse of delay `d` takes `d` steps; in glia
//! (as in NEST's `iaf_psc_exp`) input arriving in a step acts in the next one, so a hop takes
//! `d + 1`. The
//! paper's circuit relies on spikes of paths of different lengths arriving together (the cue's
//! inhibition of `cont_cond` meets the content it recalled; the cue's inhibition of the other
//! `cue_rec` cells meets their input from `cont_rec`; the two inputs of a merge cell
//! coincide); each delay on the shorter path is therefore lengthened by the difference in the
//! number of hops, which keeps every coincidence of the paper.
//!
//! Timing (steps from the operation's input; inputs as in the paper: learning holds cue and
//! content for 3 steps, recall presents them for 1):
//! - **learn** (`cue`, `content`, 10 steps as in the paper: hold 3, wait 7): cue and content
//!   fire at 1 (and 3, the held input after the refractory step). At step 2 the cue's spike
//!   reaches `cue → cont` and sets the cue's row (one-shot rule, `trigger = "pre"`): the bits
//!   that just fired to 6 nA, every other bit to 0, so a reused cue forgets its old content. The
//!   spike itself is delivered with the weights it found, so an old content fires once more (at
//!   3); the gate of `cue → cont` closes before the held cue's second spike arrives (at 4), so
//!   that content is not stored again. The content also runs through `cont_cond` (3)
//!   and `cont_rec` (5); the cue's own `cue_rec` cell fires at 6 as `cont_rec`'s spikes arrive
//!   and sets its column of `cont_rec → cue_rec` the same way (`trigger = "post"`), while the
//!   cue's inhibition arriving at 6 holds every other `cue_rec` cell below threshold.
//! - **recall by cue** (10 steps): the cue fires at 1, its content at 3; the cue's inhibition
//!   meets the content at `cont_cond` (step 4), so `cont_rec` and the other cues stay silent.
//!   Output: `merge_cue` at 8, `merge_cont` at 9 (the paper: 4 and 5 at its merge layer, 5 and
//!   6 at its output layer; content one step after the cue in both).
//! - **recall by content** (10 steps): the fragment fires at 1, `cont_cond` at 3, `cont_rec` at
//!   5, and every cue whose content has one of the fragment's bits fires in `cue_rec` at 7.
//!   Output: `merge_cont` (the fragment) at 7, `merge_cue` (the cues) at 9 (the paper: the
//!   fragment at 5, the cues at 6).
//!
//! The outputs of an operation are read in its steps 5–9 (a learning operation's last merge
//! spikes fall in the first steps of the next operation, as in the paper's pipelined runs).
//!
//! Differences from the paper, stated plainly: learning is gated by a `learn` input (a third
//! factor, as acetylcholine separates encoding from retrieval in CA3 models; one spike at the
//! start of a learning operation opens the gate of `cue → cont` for steps 1–2 and that of
//! `cont_rec → cue_rec` for steps 1–6); the paper has no such signal and tells learning from
//! recall by the 3-step hold, through its pair STDP (`A± = 6` nA, `τ± = 3` ms, `w ∈ [0, 6]` nA)
//! acting on SpiNNaker's spike timing. In glia's timing that STDP learns but neither forgets
//! nor leaves the memories unchanged by recall (test
//! `paper_pair_stdp_learns_but_does_not_forget`), so the rule here is its one-pair-saturates
//! limit, `one_shot`, with a heterosynaptic reset of the triggering neuron's other synapses
//! (which makes a reused cue forget its old content in both directions).
//!
//! ```
//! use glia_memory::ca3::{Ca3Params, Memory};
//! let mut m = Memory::new(5, 10, Ca3Params::default())?; // 5 cues × 10 content bits
//! m.learn(0, &[0, 1, 2])?;
//! m.learn(1, &[2, 3])?;
//! assert_eq!(m.recall_by_cue(0)?, vec![0, 1, 2]);
//! assert_eq!(m.recall_by_content(&[2])?, vec![0, 1]); // every cue sharing bit 2
//! m.learn(0, &[4])?; // reusing cue 0 forgets {0, 1, 2}
//! assert_eq!(m.recall_by_content(&[0])?, Vec::<u32>::new());
//! # Ok::<(), glia_memory::MemoryError>(())
//! ```

use crate::{MemoryError, Result};
use glia_sim::Network;

/// Parameters of the CA3 memory (the paper's values by default).
#[derive(Clone, Debug)]
pub struct Ca3Params {
    /// Membrane capacitance of the slow cells \[pF\].
    pub c_m: f64,
    /// Membrane time constant of the slow cells \[ms\].
    pub tau_m: f64,
    /// Synaptic time constant \[ms\].
    pub tau_syn: f64,
    /// The unit weight `u` \[pA\] (the paper's 6 nA): one spike of this weight fires a slow or
    /// a fast cell; also the plastic weights' upper bound.
    pub weight: f64,
    /// Weight of `cont → cont_cond` \[pA\] (the paper's 9 nA).
    pub weight_cond: f64,
    /// Weight of `cond_int → cont_cond` \[pA\] (the paper's 2 nA).
    pub weight_int: f64,
    /// Trace time constant of the one-shot rule \[ms\] (the paper's STDP `τ±`).
    pub tau_trace: f64,
    /// Membrane capacitance of the fast cells (`cont_cond`, `cond_int`, `cue_rec`) \[pF\].
    pub c_m_fast: f64,
    /// Membrane time constant of the fast cells \[ms\].
    pub tau_m_fast: f64,
}

impl Default for Ca3Params {
    fn default() -> Self {
        Ca3Params {
            c_m: 270.0,
            tau_m: 3.0,
            tau_syn: 0.3,
            weight: 6000.0,
            weight_cond: 9000.0,
            weight_int: 2000.0,
            tau_trace: 3.0,
            c_m_fast: 140.0,
            tau_m_fast: 0.5,
        }
    }
}

/// Steps of a learning operation (the paper's: input held 3 steps, then 7 of waiting).
pub const LEARN_STEPS: u64 = 10;
/// Steps during which a learning operation holds its input (the paper's 3).
pub const HOLD_STEPS: u64 = 3;
/// Steps of a recall operation (the paper's 7 plus the 3 steps of glia's slower hops).
pub const RECALL_STEPS: u64 = 10;
/// First step of an operation in which the output (merge) populations are read.
pub const OUTPUT_FROM: u64 = 5;

/// The populations of the circuit, in the order of the module docs' table.
pub const POPULATIONS: [&str; 9] = [
    "cue",
    "cont",
    "cont_cond",
    "cond_int",
    "cont_rec",
    "cue_rec",
    "merge_cue",
    "merge_cont",
    "learn",
];

/// Delays \[ms\] of the circuit (see the module docs for the paper's values).
mod delay {
    pub const CUE_COND: u32 = 3;
    pub const CUE_REC_SELF: u32 = 4;
    pub const CUE_REC_INH: u32 = 5;
    pub const REC_LATERAL: u32 = 2;
    pub const CUE_MERGE: u32 = 6;
    pub const CONT_MERGE: u32 = 5;
}

/// The glia model (TOML) of a CA3 memory of `cues` × `bits`: what [`Memory::new`] builds.
pub fn model_toml(cues: usize, bits: usize, p: &Ca3Params) -> String {
    let neuron = |c: f64, tm: f64| {
        format!(
            "model = \"lif\"\nparams = {{ C_m = {c}, tau_m = {tm}, E_L = -60.0, V_reset = -60.0, V_th = -57.0, t_ref = 1.0 }}\nports.exc = {{ tau_syn = {ts} }}\nports.inh = {{ tau_syn = {ts} }}\n",
            ts = p.tau_syn
        )
    };
    let slow = neuron(p.c_m, p.tau_m);
    let fast = neuron(p.c_m_fast, p.tau_m_fast);
    let mut s = String::from(
        "# Spiking CA3 content-addressable memory (glia_memory::ca3; Casanueva-Morato et al. 2023).\n[simulation]\ndt = 1.0\nduration = 1.0\nseed = 1\nthreads = 1\n\n",
    );
    let sizes = [cues, bits, bits, 1, bits, cues, cues, bits, 1];
    let fast_cell = [false, false, true, true, false, true, false, false, false];
    for ((name, size), is_fast) in POPULATIONS.into_iter().zip(sizes).zip(fast_cell) {
        let cell = if is_fast { &fast } else { &slow };
        s += &format!("[[populations]]\nname = \"{name}\"\nsize = {size}\n{cell}\n");
    }
    // One learn spike at step 1 opens two gates (m > 0.5): `learn_cue`, m = 2.5·e^{−(s−1)},
    // for steps 1..=2 (the cue's first spike reaches `cue → cont` at 2; its second, from the
    // held input, at 4 must not store again the old content its first spike recalled), and
    // `learn`, m = 10·e^{−(s−1)/2}, for steps 1..=6 (the cue's `cue_rec` cell fires at 6).
    s += "[[modulators]]\nname = \"learn_cue\"\nkind = \"activity\"\ntau = 1.0\nsources = [{ population = \"learn\", weight = 2.5 }]\n\n";
    s += "[[modulators]]\nname = \"learn\"\nkind = \"activity\"\ntau = 2.0\nsources = [{ population = \"learn\", weight = 20.0 }]\n\n";
    let (u, tau) = (p.weight, p.tau_trace);
    for (name, src, tgt, trigger, gate) in [
        ("cue_cont", "cue", "cont", "pre", "learn_cue"),
        ("cont_cue", "cont_rec", "cue_rec", "post", "learn"),
    ] {
        s += &format!(
            "[[projections]]\nname = \"{name}\"\nsource = \"{src}\"\ntarget = \"{tgt}\"\nport = \"exc\"\nconnect = {{ rule = \"all_to_all\" }}\nweight = 0.0\ndelay = 1.0\nplasticity = {{ rule = \"one_shot\", trigger = \"{trigger}\", gate = \"{gate}\", tau = {tau}, w_min = 0.0, w_max = {u} }}\n\n"
        );
    }
    let inh_b = -(bits as f64) * u;
    let statics: [(&str, &str, &str, &str, &str, f64, u32); 12] = [
        (
            "cont_to_cond",
            "cont",
            "cont_cond",
            "exc",
            "one_to_one",
            p.weight_cond,
            1,
        ),
        (
            "cue_to_cond",
            "cue",
            "cont_cond",
            "inh",
            "all_to_all",
            -u,
            delay::CUE_COND,
        ),
        ("cont_to_int", "cont", "cond_int", "exc", "all_to_all", u, 1),
        (
            "int_to_cond",
            "cond_int",
            "cont_cond",
            "exc",
            "all_to_all",
            p.weight_int,
            1,
        ),
        (
            "cond_to_rec",
            "cont_cond",
            "cont_rec",
            "exc",
            "one_to_one",
            u,
            1,
        ),
        (
            "cue_to_rec",
            "cue",
            "cue_rec",
            "exc",
            "one_to_one",
            u,
            delay::CUE_REC_SELF,
        ),
        (
            "cue_to_rec_inh",
            "cue",
            "cue_rec",
            "inh",
            "all_to_all",
            inh_b,
            delay::CUE_REC_INH,
        ),
        (
            // The paper's −6·B nA per spike sums over every recalled cue (module docs).
            "rec_lateral",
            "cue_rec",
            "cue_rec",
            "inh",
            "all_to_all",
            -u,
            delay::REC_LATERAL,
        ),
        (
            "cue_merge",
            "cue",
            "merge_cue",
            "exc",
            "one_to_one",
            u,
            delay::CUE_MERGE,
        ),
        (
            "rec_merge",
            "cue_rec",
            "merge_cue",
            "exc",
            "one_to_one",
            u,
            1,
        ),
        (
            "cont_merge",
            "cont",
            "merge_cont",
            "exc",
            "one_to_one",
            u,
            delay::CONT_MERGE,
        ),
        (
            "crec_merge",
            "cont_rec",
            "merge_cont",
            "exc",
            "one_to_one",
            u,
            1,
        ),
    ];
    for (name, src, tgt, port, rule, w, d) in statics {
        let rule = if src == tgt {
            format!("{{ rule = \"{rule}\", allow_self = false }}")
        } else {
            format!("{{ rule = \"{rule}\" }}")
        };
        s += &format!(
            "[[projections]]\nname = \"{name}\"\nsource = \"{src}\"\ntarget = \"{tgt}\"\nport = \"{port}\"\nconnect = {rule}\nweight = {w}\ndelay = {d}.0\n\n"
        );
    }
    s
}

/// What the output (merge) populations showed in an operation's output window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// `merge_cue` neurons that fired (sorted).
    pub cue: Vec<u32>,
    /// Step of the first `merge_cue` spike, from the operation's input.
    pub cue_ms: Option<u64>,
    /// `merge_cont` neurons that fired (sorted).
    pub content: Vec<u32>,
    /// Step of the first `merge_cont` spike, from the operation's input.
    pub content_ms: Option<u64>,
}

/// Spikes of one population in one step, recorded by [`Memory::record`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RasterEntry {
    /// Simulated time at the end of the step \[ms\].
    pub time_ms: u64,
    /// The population (one of [`POPULATIONS`]).
    pub population: &'static str,
    /// The neurons that fired (sorted).
    pub neurons: Vec<u32>,
}

/// Population indices in the network.
#[derive(Clone, Copy, Debug)]
struct Pops {
    cue: usize,
    cont: usize,
    merge_cue: usize,
    merge_cont: usize,
    learn: usize,
}

/// A spiking CA3 content-addressable memory of `cues` × `bits` (see the module docs).
pub struct Memory {
    net: Network,
    pops: Pops,
    cues: usize,
    bits: usize,
    weight: f32,
    last: Output,
    last_latency: Option<u64>,
    /// Population ids in the order of [`POPULATIONS`].
    all: Vec<usize>,
    raster: Option<Vec<RasterEntry>>,
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memory")
            .field("cues", &self.cues)
            .field("bits", &self.bits)
            .field("step", &self.net.step)
            .finish()
    }
}

impl Memory {
    /// Build the memory (validates the parameters; builds the glia model and network).
    pub fn new(cues: usize, bits: usize, params: Ca3Params) -> Result<Self> {
        if cues == 0 || cues > 1 << 20 {
            return Err(MemoryError::param("cues", "must be in 1..=2^20", cues));
        }
        if bits == 0 || bits > 1 << 20 {
            return Err(MemoryError::param("bits", "must be in 1..=2^20", bits));
        }
        let check = |name: &'static str, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(MemoryError::param(name, "must be > 0 and finite", v))
            }
        };
        check("c_m", params.c_m)?;
        check("tau_m", params.tau_m)?;
        check("tau_syn", params.tau_syn)?;
        check("weight", params.weight)?;
        check("weight_cond", params.weight_cond)?;
        check("weight_int", params.weight_int)?;
        check("tau_trace", params.tau_trace)?;
        check("c_m_fast", params.c_m_fast)?;
        check("tau_m_fast", params.tau_m_fast)?;
        let text = model_toml(cues, bits, &params);
        let model = glia_spec::parse(&text, std::path::Path::new("."), &Default::default())
            .map_err(|e| MemoryError::Data {
                path: "<ca3 model>".into(),
                why: e.to_string(),
            })?;
        let net = glia_sim::build::build(&model).map_err(|e| MemoryError::Data {
            path: "<ca3 model>".into(),
            why: e.to_string(),
        })?;
        let id = |name: &str| {
            net.population(name)
                .expect("population of the generated model")
        };
        let pops = Pops {
            cue: id("cue"),
            cont: id("cont"),
            merge_cue: id("merge_cue"),
            merge_cont: id("merge_cont"),
            learn: id("learn"),
        };
        let all = POPULATIONS.iter().map(|n| id(n)).collect();
        Ok(Memory {
            net,
            pops,
            cues,
            bits,
            weight: params.weight as f32,
            last: Output::default(),
            last_latency: None,
            all,
            raster: None,
        })
    }

    /// Number of cues `C`.
    pub fn cues(&self) -> usize {
        self.cues
    }

    /// Number of content bits `B`.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Simulated time so far \[ms\] (`dt` = 1 ms).
    pub fn time_ms(&self) -> u64 {
        self.net.step
    }

    /// The network (e.g. to read the plastic weights or record spikes).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Starts (`true`, clearing what was recorded) or stops recording every spike of every
    /// population, for [`Memory::raster`].
    pub fn record(&mut self, on: bool) {
        self.raster = on.then(Vec::new);
    }

    /// The spikes recorded since [`Memory::record`] was switched on (empty when off).
    pub fn raster(&self) -> &[RasterEntry] {
        self.raster.as_deref().unwrap_or(&[])
    }

    /// The output of the last operation (both merge populations, with their first spike).
    pub fn last_output(&self) -> &Output {
        &self.last
    }

    /// Steps (ms) from the input to the first output spike of the last recall's answer (the
    /// content for a recall by cue, the cues for a recall by content); `None` if it returned
    /// nothing.
    pub fn last_latency_ms(&self) -> Option<u64> {
        self.last_latency
    }

    fn check_cue(&self, cue: usize) -> Result<()> {
        if cue >= self.cues {
            return Err(MemoryError::IndexOutOfRange {
                index: cue as u64,
                size: self.cues as u32,
            });
        }
        Ok(())
    }

    fn one_hot(&self, n: usize, idx: &[usize]) -> Result<Vec<f32>> {
        let mut v = vec![0.0; n];
        for &i in idx {
            if i >= n {
                return Err(MemoryError::IndexOutOfRange {
                    index: i as u64,
                    size: n as u32,
                });
            }
            v[i] = self.weight;
        }
        Ok(v)
    }

    /// Run one operation of `steps` steps, adding `inputs` (population, values) before each of
    /// the first `hold` steps, and record the merge populations from step [`OUTPUT_FROM`] on.
    fn run_op(&mut self, steps: u64, hold: u64, inputs: &[(usize, &[f32])]) {
        let mut out = Output::default();
        for k in 0..steps {
            if k < hold {
                for &(pop, v) in inputs {
                    self.net.add_input(pop, 0, v);
                }
            }
            self.net.step();
            if let Some(r) = &mut self.raster {
                for (&pop, name) in self.all.iter().zip(POPULATIONS) {
                    if !self.net.spikes[pop].is_empty() {
                        let mut neurons = self.net.spikes[pop].clone();
                        neurons.sort_unstable();
                        r.push(RasterEntry {
                            time_ms: self.net.step,
                            population: name,
                            neurons,
                        });
                    }
                }
            }
            if k < OUTPUT_FROM {
                continue;
            }
            for (pop, set, first) in [
                (self.pops.merge_cue, &mut out.cue, &mut out.cue_ms),
                (self.pops.merge_cont, &mut out.content, &mut out.content_ms),
            ] {
                if !self.net.spikes[pop].is_empty() {
                    first.get_or_insert(k);
                    set.extend_from_slice(&self.net.spikes[pop]);
                }
            }
        }
        for v in [&mut out.cue, &mut out.content] {
            v.sort_unstable();
            v.dedup();
        }
        self.last = out;
    }

    /// Store `content` (indices of the active bits) under `cue`, overwriting what the cue held
    /// (an empty content erases it). The paper's protocol: cue and content held for
    /// [`HOLD_STEPS`], [`LEARN_STEPS`] in all; plus one `learn` spike.
    pub fn learn(&mut self, cue: usize, content: &[usize]) -> Result<()> {
        self.check_cue(cue)?;
        let c = self.one_hot(self.bits, content)?;
        let q = self.one_hot(self.cues, &[cue])?;
        self.net.add_input(self.pops.learn, 0, &[self.weight]);
        let inputs = [(self.pops.cont, &c[..]), (self.pops.cue, &q[..])];
        self.run_op(LEARN_STEPS, HOLD_STEPS, &inputs);
        self.last_latency = None;
        Ok(())
    }

    /// The content stored under `cue` (sorted bit indices; empty if none), read from the
    /// output population `merge_cont`.
    pub fn recall_by_cue(&mut self, cue: usize) -> Result<Vec<u32>> {
        self.check_cue(cue)?;
        let q = self.one_hot(self.cues, &[cue])?;
        self.run_op(RECALL_STEPS, 1, &[(self.pops.cue, &q[..])]);
        self.last_latency = self.last.content_ms;
        Ok(self.last.content.clone())
    }

    /// Every cue whose stored content shares at least one active bit with `fragment` (sorted
    /// cue indices), read from the output population `merge_cue`.
    pub fn recall_by_content(&mut self, fragment: &[usize]) -> Result<Vec<u32>> {
        if fragment.is_empty() {
            return Err(MemoryError::EmptySdr {
                what: "recall_by_content fragment",
            });
        }
        let c = self.one_hot(self.bits, fragment)?;
        self.run_op(RECALL_STEPS, 1, &[(self.pops.cont, &c[..])]);
        self.last_latency = self.last.cue_ms;
        Ok(self.last.cue.clone())
    }
}

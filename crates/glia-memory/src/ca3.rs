//! Spiking content-addressable memory of hippocampal CA3 (after Casanueva-Morato et al. 2023,
//! `PAPERS.md` §4), built from glia's engine: LIF populations, synaptic delays and a one-shot
//! plasticity rule (`one_shot` in `glia-sim`), described as a glia-spec model and run by a
//! `glia_sim::Network` step by step.
//!
//! A memory of `C` cues (one-hot) × `B` content bits. Populations (all LIF, the paper's
//! neurons: `C_m` = 270 pF, `τ_m` = 3 ms, `τ_syn` = 0.3 ms, `E_L = V_reset` = −60 mV,
//! `V_th` = −57 mV, `t_ref` = 1 ms; `dt` = 1 ms):
//!
//! | population | size | role |
//! |---|---|---|
//! | `cue` | C | the cue (address), driven by the input |
//! | `cont` | B | the content, driven by the input or recalled from `cue` |
//! | `cue_rec` | C | the cues recalled from a content fragment |
//! | `learn` | 1 | the learning signal; its spikes drive the modulator `learn` (τ = 3.5 ms) |
//!
//! | projection | connectivity | weight | delay | plasticity |
//! |---|---|---|---|---|
//! | `cue → cont` | all to all | 0 → [0, u] | 1 ms | `one_shot`, `trigger = "pre"`, gated by `learn` |
//! | `cont → cue_rec` | all to all | 0 → [0, u] | 1 ms | `one_shot`, `trigger = "post"`, gated by `learn` |
//! | `cue → cue_rec` | one to one | (B + 2)·u | 1 ms | static |
//! | `cue → cue_rec` (inh) | all to all | −(B + 1)·u | 1 ms | static |
//!
//! The last two make a cue's spike fire its own recall neuron (net `u`) and hold every other
//! recall neuron below threshold (net −(B + 1)·u, more than the `B·u` the content can give).
//!
//! `u` = 6 nA (the paper's weight); one spike of weight `u` fires its target. A spike that
//! arrives at the end of step `s` makes its target fire at the end of step `s + 1`, so every
//! hop with a 1-ms delay takes two steps.
//!
//! Operations (times in steps from the operation's start; every input is one spike):
//! - **learn** (`cue`, `content`): cue, content and `learn` fire at 1. The gate is open for the
//!   plasticity of steps 1–3. At step 2 the cue's spike reaches its synapses: its row of
//!   `cue → cont` is set to `u` for the content bits that fired (trace > 0.5) and to 0 for all
//!   others. At step 3 the cue's recall neuron fires (cue → cue_rec, one to one): its column of
//!   `cont → cue_rec` is set to `u` for the bits that fired and to 0 for the others; the other
//!   recall neurons are held below threshold by the inhibition. Reusing a cue overwrites
//!   (forgets) its previous content in both directions. 8 steps.
//! - **recall by cue**: the cue fires at 1, its content at 3. 7 steps.
//! - **recall by content**: the fragment fires at 1; every cue whose content has one of the
//!   fragment's bits fires in `cue_rec` at 3. 7 steps.
//!
//! Differences from the paper: the learning operation is gated by a `learn` input (a third
//! factor, as acetylcholine separates encoding from retrieval in CA3) instead of the paper's
//! gating sub-populations, and the paper's pair STDP with `A± = w_max` is replaced by its
//! one-pair-saturates limit with a heterosynaptic reset of the triggering neuron's other
//! synapses, which is what makes a reused cue forget its old content in both directions.
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
    /// Membrane capacitance \[pF\].
    pub c_m: f64,
    /// Membrane time constant \[ms\].
    pub tau_m: f64,
    /// Synaptic time constant \[ms\].
    pub tau_syn: f64,
    /// The unit weight `u` \[pA\]: one spike of this weight fires its target.
    pub weight: f64,
    /// Trace time constant of the one-shot rule \[ms\].
    pub tau_trace: f64,
    /// Membrane capacitance of the fast `cue_rec` neurons \[pF\].
    pub c_m_fast: f64,
    /// Membrane time constant of the fast `cue_rec` neurons \[ms\].
    pub tau_m_fast: f64,
    /// The unit weight onto the fast `cue_rec` neurons \[pA\].
    pub weight_fast: f64,
}

impl Default for Ca3Params {
    fn default() -> Self {
        Ca3Params {
            c_m: 270.0,
            tau_m: 3.0,
            tau_syn: 0.3,
            weight: 6000.0,
            tau_trace: 3.0,
            c_m_fast: 140.0,
            tau_m_fast: 0.5,
            weight_fast: 9000.0,
        }
    }
}

/// Steps of a learning operation.
pub const LEARN_STEPS: u64 = 8;
/// Steps of a recall operation.
pub const RECALL_STEPS: u64 = 7;

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
    let pop = |name: &str, size: usize, neuron: &str| {
        format!("[[populations]]\nname = \"{name}\"\nsize = {size}\n{neuron}\n")
    };
    let u = p.weight;
    let uf = p.weight_fast;
    let inh = -((bits + 1) as f64) * uf;
    let self_w = (bits + 2) as f64 * uf;
    let tau = p.tau_trace;
    let mut s = String::from(
        "# Spiking CA3 content-addressable memory (glia_memory::ca3).\n[simulation]\ndt = 1.0\nduration = 1.0\nseed = 1\nthreads = 1\n\n",
    );
    s += &pop("cue", cues, &slow);
    s += &pop("cont", bits, &slow);
    s += &pop("cue_rec", cues, &fast);
    s += &pop("learn", 1, &slow);
    s += "[[modulators]]\nname = \"learn\"\nkind = \"activity\"\ntau = 3.5\nsources = [{ population = \"learn\", weight = 3.5 }]\n\n";
    s += &format!(
        "[[projections]]\nname = \"cue_cont\"\nsource = \"cue\"\ntarget = \"cont\"\nport = \"exc\"\nconnect = {{ rule = \"all_to_all\" }}\nweight = 0.0\ndelay = 1.0\nplasticity = {{ rule = \"one_shot\", trigger = \"pre\", gate = \"learn\", tau = {tau}, w_min = 0.0, w_max = {u} }}\n\n"
    );
    s += &format!(
        "[[projections]]\nname = \"cont_cue\"\nsource = \"cont\"\ntarget = \"cue_rec\"\nport = \"exc\"\nconnect = {{ rule = \"all_to_all\" }}\nweight = 0.0\ndelay = 1.0\nplasticity = {{ rule = \"one_shot\", trigger = \"post\", gate = \"learn\", tau = {tau}, w_min = 0.0, w_max = {uf} }}\n\n"
    );
    // The cue's own recall neuron gets (B + 2)·u − (B + 1)·u = u; the others −(B + 1)·u.
    s += &format!(
        "[[projections]]\nname = \"cue_self\"\nsource = \"cue\"\ntarget = \"cue_rec\"\nport = \"exc\"\nconnect = {{ rule = \"one_to_one\" }}\nweight = {self_w}\ndelay = 1.0\n\n"
    );
    s += &format!(
        "[[projections]]\nname = \"cue_all\"\nsource = \"cue\"\ntarget = \"cue_rec\"\nport = \"inh\"\nconnect = {{ rule = \"all_to_all\" }}\nweight = {inh}\ndelay = 1.0\n"
    );
    s
}

/// Population indices in the network.
#[derive(Clone, Copy, Debug)]
struct Pops {
    cue: usize,
    cont: usize,
    cue_rec: usize,
    learn: usize,
}

/// A spiking CA3 content-addressable memory of `cues` × `bits` (see the module docs).
pub struct Memory {
    net: Network,
    pops: Pops,
    cues: usize,
    bits: usize,
    weight: f32,
    /// Per operation: steps from the input to the first output spike.
    last_latency: Option<u64>,
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
        check("tau_trace", params.tau_trace)?;
        check("c_m_fast", params.c_m_fast)?;
        check("tau_m_fast", params.tau_m_fast)?;
        check("weight_fast", params.weight_fast)?;
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
            cue_rec: id("cue_rec"),
            learn: id("learn"),
        };
        Ok(Memory {
            net,
            pops,
            cues,
            bits,
            weight: params.weight as f32,
            last_latency: None,
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

    /// The network (e.g. to read the plastic weights).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Steps (ms) from the input spike's arrival to the first output spike of the last
    /// recall (`None` if it returned nothing).
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

    /// Run `steps` steps, returning the sorted set of neurons of `pop` that fired and the first
    /// step (from the operation's start) with a spike.
    fn run_collect(&mut self, steps: u64, pop: Option<usize>) -> (Vec<u32>, Option<u64>) {
        let mut fired = Vec::new();
        let mut first = None;
        for k in 0..steps {
            self.net.step();
            if let Some(p) = pop
                && !self.net.spikes[p].is_empty()
            {
                first.get_or_insert(k);
                fired.extend_from_slice(&self.net.spikes[p]);
            }
        }
        fired.sort_unstable();
        fired.dedup();
        (fired, first)
    }

    /// Store `content` (indices of the active bits) under `cue`, overwriting what the cue held.
    pub fn learn(&mut self, cue: usize, content: &[usize]) -> Result<()> {
        self.check_cue(cue)?;
        let c = self.one_hot(self.bits, content)?;
        let q = self.one_hot(self.cues, &[cue])?;
        self.net.add_input(self.pops.cont, 0, &c);
        self.net.add_input(self.pops.cue, 0, &q);
        self.net.add_input(self.pops.learn, 0, &[self.weight]);
        self.run_collect(LEARN_STEPS, None);
        Ok(())
    }

    /// The content stored under `cue` (sorted bit indices; empty if none).
    pub fn recall_by_cue(&mut self, cue: usize) -> Result<Vec<u32>> {
        self.check_cue(cue)?;
        let q = self.one_hot(self.cues, &[cue])?;
        self.net.add_input(self.pops.cue, 0, &q);
        let (out, first) = self.run_collect(RECALL_STEPS, Some(self.pops.cont));
        self.last_latency = first;
        Ok(out)
    }

    /// Every cue whose stored content shares at least one active bit with `fragment`
    /// (sorted cue indices).
    pub fn recall_by_content(&mut self, fragment: &[usize]) -> Result<Vec<u32>> {
        if fragment.is_empty() {
            return Err(MemoryError::EmptySdr {
                what: "recall_by_content fragment",
            });
        }
        let c = self.one_hot(self.bits, fragment)?;
        self.net.add_input(self.pops.cont, 0, &c);
        let (out, first) = self.run_collect(RECALL_STEPS, Some(self.pops.cue_rec));
        self.last_latency = first;
        Ok(out)
    }
}

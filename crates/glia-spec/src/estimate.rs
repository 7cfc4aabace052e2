//! How much memory a validated model will need, estimated before anything is built, so that a
//! model too large for the machine is refused with a message instead of being killed by the
//! operating system half-way through building it.
//!
//! The estimate is the peak during building plus what the monitors accumulate over the run:
//!
//! | part | bytes |
//! |---|---|
//! | synapses | expected count of the connection rule × [`BUILD_BYTES_PER_SYNAPSE`] (rules stream each row straight into the final arrays: target, weight and delay, before delays are packed into the target words), or × [`EXPLICIT_BYTES_PER_SYNAPSE`] for explicit lists (an edge list and the rows exist together) |
//! | neurons | size × [`BYTES_PER_NEURON`] (state variables, external current, spike buffers) |
//! | ring buffers | (largest delay in steps + 1) × ports × size rounded up to 1024 × 4 |
//! | spike monitors | recorded neurons × duration × [`ASSUMED_RATE_HZ`] × 24 (recorded, then converted for writing); streamed to disk ([`estimate_with`], as `glia run` does): at most [`STREAMED_SPIKE_MONITOR_BYTES`] |
//! | state monitors | samples × neurons × variables × 16 (recorded, then copied for writing) |
//! | rate monitors | bins × 8 |
//!
//! Spike counts depend on the dynamics; the estimate assumes [`ASSUMED_RATE_HZ`] and says so.
//! The expected synapse count is exact for `all_to_all`, `one_to_one`, the fixed-degree rules
//! and explicit lists, the mean for `fixed_probability` and an upper bound for `distance`.

use crate::{Connect, Model, MonitorKind, Values};
use std::fmt;

/// Bytes per synapse while building a rule's rows: target, weight and delay (4 + 4 + 2), plus
/// 2 for the per-part buffers that exist while rows are appended.
pub const BUILD_BYTES_PER_SYNAPSE: u64 = 4 + 4 + 2 + 2;
/// Bytes per synapse of an explicit list while building: a 16-byte edge plus the row entry.
pub const EXPLICIT_BYTES_PER_SYNAPSE: u64 = 16 + 4 + 4 + 2;
/// Bytes per neuron for state and buffers (about 16 single-precision variables).
pub const BYTES_PER_NEURON: u64 = 64;
/// Firing rate assumed for spike monitors \[Hz\].
pub const ASSUMED_RATE_HZ: f64 = 10.0;
/// Spikes a spike monitor buffers before a streaming run (`glia run`) spills them to disk
/// (`glia_sim::sink`); its memory is bounded by twice this (the buffer's capacity) × 12 bytes.
pub const STREAM_CHUNK_SPIKES: usize = 1 << 20;
/// Bytes a streamed spike monitor holds at most: the buffers (2 × [`STREAM_CHUNK_SPIKES`] ×
/// 12 bytes, step and id) and the scratch files' write and read buffers.
pub const STREAMED_SPIKE_MONITOR_BYTES: u64 = 2 * STREAM_CHUNK_SPIKES as u64 * 12 + (1 << 20);

/// One contributor to the estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// What it is, e.g. `projections[0] (ee): 1.6e7 synapses`.
    pub what: String,
    /// Bytes.
    pub bytes: u64,
}

/// The memory estimate of a model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    /// Every contributor, in model order.
    pub parts: Vec<Part>,
    /// Expected synapses in all.
    pub synapses: f64,
}

impl Estimate {
    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |a, p| a.saturating_add(p.bytes))
    }

    /// The `n` largest contributors, largest first.
    pub fn largest(&self, n: usize) -> Vec<&Part> {
        let mut v: Vec<&Part> = self.parts.iter().collect();
        v.sort_by_key(|p| std::cmp::Reverse(p.bytes));
        v.truncate(n);
        v
    }
}

/// Bytes as a short human-readable figure (`1.5 GiB`).
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = bytes as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "estimated memory {} ({:.3e} synapses); largest: ",
            human(self.total()),
            self.synapses
        )?;
        for (k, p) in self.largest(3).iter().enumerate() {
            if k > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{} {}", p.what, human(p.bytes))?;
        }
        Ok(())
    }
}

/// The largest value `v` can take (for delays); `None` when unbounded.
fn max_value(v: &Values) -> f64 {
    match v {
        Values::Const(x) => *x,
        Values::Array(xs) => xs.iter().copied().fold(0.0, f64::max),
        Values::Dist(d) => {
            let x = match d.kind {
                crate::DistKind::Uniform { high, .. } => high,
                crate::DistKind::Normal { mean, std } => mean + 6.0 * std,
                crate::DistKind::LogNormal { mu, sigma } => (mu + 6.0 * sigma).exp(),
            };
            d.max.map_or(x, |m| x.min(m))
        }
    }
}

/// Expected synapses of a connection rule between `ns` sources and `nt` targets (`same`: the
/// projection is recurrent).
pub fn expected_synapses(c: &Connect, ns: usize, nt: usize, same: bool) -> f64 {
    let (s, t) = (ns as f64, nt as f64);
    let pairs = |allow_self: bool| {
        if same && !allow_self {
            s * (t - 1.0).max(0.0)
        } else {
            s * t
        }
    };
    match c {
        Connect::OneToOne => s.min(t),
        Connect::AllToAll { allow_self } => pairs(*allow_self),
        Connect::FixedProbability { p, allow_self } => p * pairs(*allow_self),
        Connect::FixedIndegree { indegree, .. } => *indegree as f64 * t,
        Connect::FixedOutdegree { outdegree, .. } => *outdegree as f64 * s,
        Connect::FixedTotalNumber { n, .. } => *n as f64,
        Connect::Explicit { sources, .. } => sources.len() as f64,
        Connect::Distance { c, allow_self, .. } => c * pairs(*allow_self),
    }
}

/// Saturating `f64` → bytes.
fn bytes(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        if x >= u64::MAX as f64 {
            u64::MAX
        } else {
            x as u64
        }
    } else {
        0
    }
}

/// Estimate the memory `model` needs (see the module docs), its spike monitors recording in
/// memory.
pub fn estimate(model: &Model) -> Estimate {
    estimate_with(model, false)
}

/// [`estimate`], with `streamed_spikes`: the spike monitors spill to disk (`glia run`), so each
/// holds at most [`STREAMED_SPIKE_MONITOR_BYTES`] however long the run.
pub fn estimate_with(model: &Model, streamed_spikes: bool) -> Estimate {
    let mut e = Estimate::default();
    let n_pops = model.populations.len();
    let mut max_delay = vec![0.0f64; n_pops];
    let mut ports = vec![0usize; n_pops];
    for (k, pr) in model.projections.iter().enumerate() {
        let ns = model.populations[pr.source].size;
        let nt = model.populations[pr.target].size;
        let syn = expected_synapses(&pr.connect, ns, nt, pr.source == pr.target);
        e.synapses += syn;
        e.parts.push(Part {
            what: format!("projections[{k}] ({}): {syn:.3e} synapses", pr.name),
            bytes: bytes(
                syn * match pr.connect {
                    Connect::Explicit { .. } => EXPLICIT_BYTES_PER_SYNAPSE,
                    _ => BUILD_BYTES_PER_SYNAPSE,
                } as f64
                    + (ns as f64 + 1.0) * 8.0,
            ),
        });
        let d = match &pr.connect {
            Connect::Explicit {
                delays: Some(ds), ..
            } => ds.iter().copied().fold(0.0, f64::max),
            _ => max_value(&pr.delay),
        };
        max_delay[pr.target] = max_delay[pr.target].max(d);
        ports[pr.target] = ports[pr.target].max(1);
    }
    for (i, p) in model.populations.iter().enumerate() {
        let n = p.size as f64;
        let padded = (p.size.div_ceil(1024) * 1024) as f64;
        let slots = (max_delay[i] / model.dt).ceil().clamp(1.0, 65_536.0) + 1.0;
        let np = p.ports.len().max(ports[i]).max(2) as f64;
        e.parts.push(Part {
            what: format!("populations[{i}] ({}): {} neurons", p.name, p.size),
            bytes: bytes(n * BYTES_PER_NEURON as f64 + slots * np * padded * 4.0),
        });
    }
    let secs = model.duration / 1000.0;
    for (k, m) in model.monitors.iter().enumerate() {
        let size = model.populations[m.population].size;
        let (what, b) = match &m.kind {
            MonitorKind::Spikes { ids } => {
                let n = ids.as_ref().map_or(size, Vec::len) as f64;
                let b = n * secs * ASSUMED_RATE_HZ * 24.0;
                if streamed_spikes && b > STREAMED_SPIKE_MONITOR_BYTES as f64 {
                    (
                        format!("monitors[{k}]: spikes, streamed to disk"),
                        STREAMED_SPIKE_MONITOR_BYTES as f64,
                    )
                } else {
                    (
                        format!("monitors[{k}]: spikes at an assumed {ASSUMED_RATE_HZ} Hz"),
                        b,
                    )
                }
            }
            MonitorKind::State {
                variables,
                ids,
                every,
                ..
            } => {
                let samples = (model.steps / (*every).max(1)) as f64;
                (
                    format!("monitors[{k}]: state samples"),
                    samples * ids.len() as f64 * variables.len() as f64 * 16.0 + samples * 16.0,
                )
            }
            MonitorKind::Rate { bin } => (
                format!("monitors[{k}]: rate bins"),
                (model.steps / (*bin).max(1)) as f64 * 16.0,
            ),
        };
        e.parts.push(Part {
            what,
            bytes: bytes(b),
        });
    }
    e
}

/// Memory available to a new allocation \[bytes\]: `MemAvailable` of `/proc/meminfo` (Linux),
/// `None` where it cannot be read.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo(&text)
}

/// `MemAvailable` from the text of `/proc/meminfo`, in bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `Err` with a message naming the estimate, the memory available and the largest contributors
/// when `est` exceeds `available`.
pub fn check(est: &Estimate, available: u64) -> Result<(), String> {
    if est.total() <= available {
        return Ok(());
    }
    Err(format!(
        "the model needs about {} but {} is available (MemAvailable); largest: {}. \
         Reduce it, or pass --no-memory-check to try anyway",
        human(est.total()),
        human(available),
        est.largest(3)
            .iter()
            .map(|p| format!("{} {}", p.what, human(p.bytes)))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_is_parsed() {
        let t = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(parse_meminfo(t), Some(2048 * 1024));
        assert_eq!(parse_meminfo("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn expected_synapses_by_rule() {
        let a2a = Connect::AllToAll { allow_self: false };
        assert_eq!(expected_synapses(&a2a, 10, 10, true), 90.0);
        assert_eq!(expected_synapses(&a2a, 10, 10, false), 100.0);
        let p = Connect::FixedProbability {
            p: 0.02,
            allow_self: true,
        };
        assert!((expected_synapses(&p, 4000, 4000, true) - 320_000.0).abs() < 1e-6);
        let k = Connect::FixedIndegree {
            indegree: 50,
            allow_self: false,
            allow_multapses: false,
        };
        assert_eq!(expected_synapses(&k, 7, 30, false), 1500.0);
    }

    #[test]
    fn human_units() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 30), "3.0 GiB");
    }
}

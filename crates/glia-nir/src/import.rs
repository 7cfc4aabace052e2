//! A NIR graph → a glia model file (TOML) plus one `.npz` of explicit synapses per projection.
//!
//! **Nodes.** Neuron nodes become populations of glia's `lif` model (one population per node,
//! size = the product of the node's shape, flattened in C order):
//!
//! | NIR | glia `lif` | receptor port `in` |
//! |---|---|---|
//! | `LIF` (τ, r, v_leak, v_threshold, v_reset) | `tau_m` = 1000 τ, `C_m` = `tau_m`/r, `E_L` = v_leak, `V_th`, `V_reset`, `t_ref` = 0 | delta |
//! | `CubaLIF` (+ τ_syn, w_in) | as LIF with τ_mem | current, exp, `tau_syn` = 1000 τ_syn |
//! | `LI`, `CubaLI` | as LIF / CubaLIF with `V_th = inf` (never fires) | delta / exp |
//! | `IF` (r, v_threshold, v_reset) | `tau_m = inf` (no leak), `C_m` = 1000/r, `E_L` = 0 | delta |
//! | `I` (r) | as IF with `V_th = inf` | delta |
//! | `Input` | `spike_generator` (spikes from [`ImportOptions::inputs`], else none) | — |
//!
//! Neuron parameters must be the same for every neuron of a node (glia's `lif` takes one value
//! per population), except `w_in`, which is folded into the weights. Edge nodes between two
//! neuron nodes (`Affine`, `Linear`, `Scale`, `Conv1d`, `Conv2d`, `Flatten`, `Delay`, in any
//! chain, with fan-in and fan-out) are multiplied out into one explicit projection per path.
//! `Output` nodes become monitors of the neurons that feed them (spikes, or `v` for the
//! non-spiking LI, CubaLI and I). Other node types (`Threshold`, `SumPool2d`, `AvgPool2d`,
//! nested `NIRGraph`) are refused with an error naming the node and its type.
//!
//! **Discretisation** (glia's time step `dt` is the user's choice; NIR has none):
//! - a spike is a pulse of area `dt` (unit height over one step), the convention of NIR's Euler
//!   reference and of the snnTorch and Norse exporters: through weight `W` it moves a LIF's `v`
//!   by `r·W·dt/τ` (= `W·dt/C_m`) and a CubaLIF's `I` by `w_in·W·dt/τ_syn`;
//! - every path between two neuron nodes takes one step (glia's minimum delay); a `Delay` node
//!   adds its delay on top (`delay = dt + 1000·τ_delay` ms, rounded to steps by glia);
//! - an `Affine`/`Conv` bias `b` is a constant current from `t = 0`: into a LIF-type node a dc
//!   input of `b`; into a Cuba node it passes through the synaptic filter, which glia expresses
//!   exactly as a dc input of `w_in·b` plus an initial `I_in = −w_in·b`;
//! - between spikes the dynamics are integrated exactly (glia's `lif` propagators); a neuron
//!   fires at the end of the first step where `v ≥ v_threshold` (NIR writes `>`), and its `v`
//!   is set to `v_reset`; initial state `v = v_leak`, `I = 0`.

use crate::graph::{Field, Graph, Node};
use crate::{NirError, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use toml::{Table, Value};

/// Spike times for one `Input` node.
#[derive(Clone, Debug, Default)]
pub struct InputSpikes {
    /// Spike times \[ms\].
    pub times: Vec<f64>,
    /// Index (flattened) of the input channel of each spike.
    pub ids: Vec<u32>,
}

/// What NIR leaves open.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Time step \[ms\].
    pub dt: f64,
    /// Simulated time \[ms\].
    pub duration: f64,
    /// Spikes of `Input` nodes, by node name (nodes not listed emit no spikes).
    pub inputs: BTreeMap<String, InputSpikes>,
    /// File-name stem of the connectivity files: projection `P` goes to `STEM.P.npz`.
    pub stem: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            dt: 0.1,
            duration: 1000.0,
            inputs: BTreeMap::new(),
            stem: "model".into(),
        }
    }
}

/// Explicit synapses of one projection.
#[derive(Clone, Debug, Default)]
pub struct Synapses {
    /// File name (relative to the model file).
    pub file: String,
    /// Source indices.
    pub sources: Vec<u32>,
    /// Target indices.
    pub targets: Vec<u32>,
    /// Weights (mV for a delta port, pA for an exp port).
    pub weights: Vec<f64>,
    /// Delays \[ms\].
    pub delays: Vec<f64>,
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The model file as a TOML table (tests and callers may edit it before writing).
    pub model: Table,
    /// Connectivity, one entry per projection (in the order of `model.projections`).
    pub synapses: Vec<Synapses>,
    /// Things the user should know (approximations, outputs fed through edge nodes).
    pub notes: Vec<String>,
}

impl Imported {
    /// The model file's text.
    pub fn toml(&self) -> String {
        let mut s = String::from(
            "# Imported from a NIR graph by `glia nir import`; see docs/nir.md for the conventions.\n",
        );
        for n in &self.notes {
            s.push_str(&format!("# note: {n}\n"));
        }
        // sections in the order of docs/model-format.md (toml would sort them by name)
        let order = [
            "simulation",
            "populations",
            "inputs",
            "projections",
            "monitors",
        ];
        for key in order {
            if let Some(v) = self.model.get(key) {
                let mut t = Table::new();
                t.insert(key.into(), v.clone());
                s.push('\n');
                s.push_str(&toml::to_string(&t).expect("a TOML table serialises"));
            }
        }
        let rest: Table = self
            .model
            .iter()
            .filter(|(k, _)| !order.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !rest.is_empty() {
            s.push('\n');
            s.push_str(&toml::to_string(&rest).expect("a TOML table serialises"));
        }
        s
    }

    /// Write the model file to `path` and the connectivity files beside it.
    pub fn write(&self, path: &Path) -> Result<()> {
        let dir = path.parent().unwrap_or(Path::new(""));
        for s in &self.synapses {
            let f = dir.join(&s.file);
            let mut npz = glia_io::NpzOut::create(&f)?;
            npz.add("sources", &ndarray::Array1::from(s.sources.clone()))?;
            npz.add("targets", &ndarray::Array1::from(s.targets.clone()))?;
            npz.add("weights", &ndarray::Array1::from(s.weights.clone()))?;
            npz.add("delays", &ndarray::Array1::from(s.delays.clone()))?;
            npz.finish()?;
        }
        let mut out = glia_io::AtomicFile::create(path)?;
        use std::io::Write;
        out.writer()
            .write_all(self.toml().as_bytes())
            .map_err(|e| glia_io::IoError::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
        out.commit()?;
        Ok(())
    }
}

/// How weights and biases reach a neuron node's membrane.
#[derive(Clone, Debug)]
enum Intake {
    /// Delta port: a weight `W` moves `v` by `W·dt/C_m`.
    Delta { c_m: f64 },
    /// Exponential current port: `I += w_in·W·dt/τ_syn`.
    Cuba { tau_syn: f64, w_in: Vec<f64> },
}

#[derive(Clone, Debug)]
struct Pop {
    /// glia population name.
    name: String,
    shape: Vec<usize>,
    size: usize,
    /// `None` for Input nodes.
    intake: Option<Intake>,
    spiking: bool,
}

/// A linear map in flight along a path: synapses `(source, index at this point, weight,
/// delay in s)`.
#[derive(Clone, Debug)]
struct Flow {
    syn: Vec<(u32, u32, f64, f64)>,
    shape: Vec<usize>,
}

fn size_of(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn at(node: &str) -> String {
    format!("nodes.{node}")
}

fn field<'a>(name: &str, n: &'a Node, key: &str) -> Result<&'a Field> {
    n.fields
        .get(key)
        .ok_or_else(|| NirError::node(at(name), format!("{} node has no field `{key}`", n.kind)))
}

/// The one value of a per-neuron parameter, which must be the same for every neuron.
fn uniform(name: &str, n: &Node, key: &str) -> Result<f64> {
    let f = field(name, n, key)?;
    let mut it = f.data.iter();
    let first = *it
        .next()
        .ok_or_else(|| NirError::node(format!("{}.{key}", at(name)), "is empty"))?;
    if !first.is_finite() {
        return Err(NirError::node(
            format!("{}.{key}", at(name)),
            format!("must be finite, got {first}"),
        ));
    }
    if let Some(other) = it.find(|&&v| v != first) {
        return Err(NirError::node(
            format!("{}.{key}", at(name)),
            format!(
                "glia's lif takes one value per population; this {} node has different values ({first} and {other}); split it into one node per value",
                n.kind
            ),
        ));
    }
    Ok(first)
}

fn positive(name: &str, key: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(NirError::node(
            format!("{}.{key}", at(name)),
            format!("must be > 0, got {v}"),
        ))
    }
}

fn shape_of(name: &str, n: &Node, key: &str) -> Result<Vec<usize>> {
    let f = field(name, n, key)?;
    Ok(f.data.shape().to_vec())
}

fn sanitize(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c == '.' || c == '/' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() {
        s = "node".into();
    }
    let base = s.clone();
    let mut k = 1;
    while taken.contains(&s) {
        k += 1;
        s = format!("{base}_{k}");
    }
    taken.insert(s.clone());
    s
}

const NEURONS: [&str; 6] = ["LIF", "CubaLIF", "LI", "CubaLI", "IF", "I"];
const EDGE_NODES: [&str; 7] = [
    "Affine", "Linear", "Scale", "Conv1d", "Conv2d", "Flatten", "Delay",
];

/// Convert a population-type node into glia's table and intake.
fn neuron(name: &str, n: &Node, gname: &str, dt: f64) -> Result<(Pop, Table)> {
    let u = |k: &str| uniform(name, n, k);
    let opt = |k: &str, d: f64| {
        if n.fields.contains_key(k) {
            uniform(name, n, k)
        } else {
            Ok(d)
        }
    };
    let (shape_key, cuba, leaky, spiking) = match n.kind.as_str() {
        "LIF" => ("tau", false, true, true),
        "CubaLIF" => ("tau_mem", true, true, true),
        "LI" => ("tau", false, true, false),
        "CubaLI" => ("tau_mem", true, true, false),
        "IF" => ("r", false, false, true),
        "I" => ("r", false, false, false),
        _ => unreachable!("checked by the caller"),
    };
    let shape = shape_of(name, n, shape_key)?;
    let size = size_of(&shape);
    if size == 0 {
        return Err(NirError::node(
            at(name),
            "has no neurons (empty parameter arrays)",
        ));
    }
    let r = positive(name, "r", u("r")?)?;
    let mut p = Table::new();
    let (tau_m, v_leak) = if leaky {
        let key = if cuba { "tau_mem" } else { "tau" };
        (positive(name, key, u(key)?)? * 1e3, u("v_leak")?)
    } else {
        (f64::INFINITY, 0.0)
    };
    // C_m such that tau_m dv/dt = -(v - E_L) + r I (and dv/dt = r I / 1000 without leak).
    let c_m = if leaky { tau_m / r } else { 1e3 / r };
    p.insert("tau_m".into(), Value::Float(tau_m));
    p.insert("C_m".into(), Value::Float(c_m));
    p.insert("E_L".into(), Value::Float(v_leak));
    p.insert("t_ref".into(), Value::Float(0.0));
    if spiking {
        let th = u("v_threshold")?;
        let reset = opt("v_reset", 0.0)?;
        if reset >= th {
            return Err(NirError::node(
                format!("{}.v_reset", at(name)),
                format!("must be below v_threshold ({th}) for glia's lif, got {reset}"),
            ));
        }
        p.insert("V_th".into(), Value::Float(th));
        p.insert("V_reset".into(), Value::Float(reset));
    } else {
        p.insert("V_th".into(), Value::Float(f64::INFINITY));
    }
    let mut port = Table::new();
    let intake = if cuba {
        let tau_syn = positive(name, "tau_syn", u("tau_syn")?)? * 1e3;
        let w_in = match n.fields.get("w_in") {
            None => vec![1.0; size],
            Some(f) if f.data.len() == 1 => vec![*f.data.iter().next().expect("one"); size],
            Some(f) if f.data.len() == size => f.data.iter().copied().collect(),
            Some(f) => {
                return Err(NirError::node(
                    format!("{}.w_in", at(name)),
                    format!("must have one value or {size}, got {}", f.data.len()),
                ));
            }
        };
        port.insert("type".into(), Value::String("current".into()));
        port.insert("kernel".into(), Value::String("exp".into()));
        port.insert("tau_syn".into(), Value::Float(tau_syn));
        Intake::Cuba { tau_syn, w_in }
    } else {
        port.insert("type".into(), Value::String("current".into()));
        port.insert("kernel".into(), Value::String("delta".into()));
        Intake::Delta { c_m }
    };
    let _ = dt;
    let mut t = Table::new();
    t.insert("name".into(), Value::String(gname.into()));
    t.insert("size".into(), Value::Integer(size as i64));
    t.insert("model".into(), Value::String("lif".into()));
    t.insert("params".into(), Value::Table(p));
    let mut ports = Table::new();
    ports.insert("in".into(), Value::Table(port));
    t.insert("ports".into(), Value::Table(ports));
    Ok((
        Pop {
            name: gname.into(),
            shape,
            size,
            intake: Some(intake),
            spiking,
        },
        t,
    ))
}

/// A sparse matrix, as lists of `(output index, value)` per input index.
type Columns = Vec<Vec<(u32, f64)>>;

fn ints(name: &str, n: &Node, key: &str, dims: usize, default: i64) -> Result<Vec<i64>> {
    let Some(f) = n.fields.get(key) else {
        return Ok(vec![default; dims]);
    };
    let v: Vec<i64> = f.data.iter().map(|&x| x as i64).collect();
    match v.len() {
        1 => Ok(vec![v[0]; dims]),
        l if l == dims => Ok(v),
        l => Err(NirError::node(
            format!("{}.{key}", at(name)),
            format!("must have 1 or {dims} values, got {l}"),
        )),
    }
}

/// Most neurons on either side of a convolution that the import unrolls (a corrupt file can claim
/// sizes or padding that would take years to unroll and more memory than exists).
const MAX_CONV_UNITS: usize = 1 << 24;
/// Most synapses one convolution unrolls into (about 2 GiB while importing).
const MAX_CONV_SYNAPSES: usize = 1 << 27;

/// The output positions `o` in `0..n_out` whose input position `o·stride − pad + off` lies in
/// `0..n_in` (a range, as the input position grows with `o`; `stride` ≥ 1).
fn reach(n_out: usize, n_in: usize, stride: i64, pad: i64, off: i128) -> std::ops::Range<usize> {
    let (s, c) = (i128::from(stride), off - i128::from(pad));
    // o·s + c ≥ 0  ⇔  o ≥ ceil(−c / s)
    let lo = if c >= 0 { 0 } else { (-c + s - 1) / s };
    // o·s + c ≤ n_in − 1  ⇔  o ≤ floor((n_in − 1 − c) / s)
    let top = n_in as i128 - 1 - c;
    if top < 0 {
        return 0..0;
    }
    let hi = (top / s + 1).min(n_out as i128);
    let lo = lo.min(hi);
    lo as usize..hi as usize
}

/// Unroll a Conv1d/Conv2d into a sparse matrix; returns the columns, the output shape and the
/// bias expanded to every output element.
fn conv(name: &str, n: &Node, in_shape: &[usize]) -> Result<(Columns, Vec<usize>, Vec<f64>)> {
    let d = if n.kind == "Conv1d" { 1 } else { 2 };
    let w = &field(name, n, "weight")?.data;
    if w.ndim() != d + 2 {
        return Err(NirError::node(
            format!("{}.weight", at(name)),
            format!("must have {} dimensions, got shape {:?}", d + 2, w.shape()),
        ));
    }
    let (c_out, c_in_g) = (w.shape()[0], w.shape()[1]);
    let k: Vec<usize> = w.shape()[2..].to_vec();
    let groups = ints(name, n, "groups", 1, 1)?[0].max(1) as usize;
    let stride = ints(name, n, "stride", d, 1)?;
    let dilation = ints(name, n, "dilation", d, 1)?;
    if !n.fields.contains_key("padding") {
        return Err(NirError::node(
            format!("{}.padding", at(name)),
            "missing or not numeric (padding given as a string such as \"same\" is not supported)",
        ));
    }
    let padding = ints(name, n, "padding", d, 0)?;
    let Some(c_in) = c_in_g.checked_mul(groups) else {
        return Err(NirError::node(
            format!("{}.groups", at(name)),
            format!("{groups} groups of {c_in_g} input channels is too many"),
        ));
    };
    // spatial input shape: from the flow (C, ...) or the node's input_shape
    let spatial: Vec<usize> = if in_shape.len() == d + 1 && in_shape[0] == c_in {
        in_shape[1..].to_vec()
    } else if let Some(f) = n.fields.get("input_shape") {
        let s: Vec<usize> = f.data.iter().map(|&x| x as usize).collect();
        let n = s
            .iter()
            .try_fold(c_in, |a, &x| a.checked_mul(x))
            .unwrap_or(usize::MAX);
        if s.len() != d || n != size_of(in_shape) {
            return Err(NirError::node(
                format!("{}.input_shape", at(name)),
                format!(
                    "{s:?} with {c_in} channels does not match the {} inputs that arrive",
                    size_of(in_shape)
                ),
            ));
        }
        s
    } else {
        return Err(NirError::node(
            at(name),
            format!(
                "cannot tell the input's spatial shape: {c_in} channels expected, input shape {in_shape:?} and no input_shape field"
            ),
        ));
    };
    if c_out % groups != 0
        || stride.iter().chain(&dilation).any(|&x| x < 1)
        || padding.iter().any(|&x| x < 0)
    {
        return Err(NirError::node(
            at(name),
            "bad groups, stride, dilation or padding",
        ));
    }
    // in i128: padding, dilation and kernel sizes of a corrupt file can overflow i64 products
    let out_sp: Vec<usize> = (0..d)
        .map(|i| {
            let span = i128::from(dilation[i]) * (k[i] as i128 - 1) + 1;
            let o = (spatial[i] as i128 + 2 * i128::from(padding[i]) - span)
                / i128::from(stride[i])
                + 1;
            o.clamp(0, usize::MAX as i128) as usize
        })
        .collect();
    let (ho, wo) = if d == 1 {
        (1, out_sp[0])
    } else {
        (out_sp[0], out_sp[1])
    };
    let (hi, wi) = if d == 1 {
        (1, spatial[0])
    } else {
        (spatial[0], spatial[1])
    };
    let (kh, kw) = if d == 1 { (1, k[0]) } else { (k[0], k[1]) };
    let (sh, sw) = if d == 1 {
        (1, stride[0])
    } else {
        (stride[0], stride[1])
    };
    let (ph, pw) = if d == 1 {
        (0, padding[0])
    } else {
        (padding[0], padding[1])
    };
    let (dh, dw) = if d == 1 {
        (1, dilation[0])
    } else {
        (dilation[0], dilation[1])
    };
    let outputs = (c_out as u128) * (ho as u128) * (wo as u128);
    let inputs = (c_in as u128) * (hi as u128) * (wi as u128);
    if outputs > MAX_CONV_UNITS as u128 || inputs > MAX_CONV_UNITS as u128 {
        return Err(NirError::node(
            at(name),
            format!(
                "unrolls into {outputs} outputs from {inputs} inputs: more than the {MAX_CONV_UNITS} glia imports (corrupt sizes, padding or stride?)"
            ),
        ));
    }
    let wv = w.as_standard_layout();
    let ws = wv.as_slice().expect("standard layout");
    // the output rows (columns) each kernel row (column) reaches: counted in closed form first,
    // so that a convolution too large to unroll is refused before anything is allocated
    let ys: Vec<std::ops::Range<usize>> = (0..kh)
        .map(|ky| reach(ho, hi, sh, ph, ky as i128 * i128::from(dh)))
        .collect();
    let xs: Vec<std::ops::Range<usize>> = (0..kw)
        .map(|kx| reach(wo, wi, sw, pw, kx as i128 * i128::from(dw)))
        .collect();
    let mut synapses = 0u128;
    for (i, &val) in ws.iter().enumerate() {
        if val != 0.0 {
            let (ky, kx) = ((i / kw) % kh, i % kw);
            synapses += (ys[ky].len() * xs[kx].len()) as u128;
        }
    }
    if synapses > MAX_CONV_SYNAPSES as u128 {
        return Err(NirError::node(
            at(name),
            format!(
                "unrolls into {synapses} synapses, more than the {MAX_CONV_SYNAPSES} glia imports per convolution"
            ),
        ));
    }
    let mut cols: Columns = vec![Vec::new(); c_in * hi * wi];
    let per_group_out = c_out / groups;
    for co in 0..c_out {
        let g = co / per_group_out;
        for ci in 0..c_in_g {
            let cin = g * c_in_g + ci;
            for ky in 0..kh {
                for kx in 0..kw {
                    let val = ws[((co * c_in_g + ci) * kh + ky) * kw + kx];
                    if val == 0.0 {
                        continue;
                    }
                    for oy in ys[ky].clone() {
                        let iy = (oy as i128 * i128::from(sh) - i128::from(ph)
                            + ky as i128 * i128::from(dh))
                            as usize;
                        for ox in xs[kx].clone() {
                            let ix = (ox as i128 * i128::from(sw) - i128::from(pw)
                                + kx as i128 * i128::from(dw))
                                as usize;
                            let out = (co * ho + oy) * wo + ox;
                            let inp = (cin * hi + iy) * wi + ix;
                            cols[inp].push((out as u32, val));
                        }
                    }
                }
            }
        }
    }
    let mut bias = vec![0.0; c_out * ho * wo];
    if let Some(b) = n.fields.get("bias") {
        let b: Vec<f64> = b.data.iter().copied().collect();
        if b.len() == c_out {
            for co in 0..c_out {
                bias[co * ho * wo..(co + 1) * ho * wo].fill(b[co]);
            }
        } else if !(b.is_empty() || b.len() == 1 && b[0] == 0.0) {
            return Err(NirError::node(
                format!("{}.bias", at(name)),
                format!(
                    "must have {c_out} values (one per output channel), got {}",
                    b.len()
                ),
            ));
        }
    }
    let mut shape = vec![c_out];
    shape.extend(if d == 1 { vec![wo] } else { vec![ho, wo] });
    Ok((cols, shape, bias))
}

fn dense_columns(name: &str, n: &Node, len: usize) -> Result<(Columns, usize)> {
    let w = &field(name, n, "weight")?.data;
    if w.ndim() != 2 {
        return Err(NirError::node(
            format!("{}.weight", at(name)),
            format!(
                "glia supports 2-D weights (out, in), got shape {:?}",
                w.shape()
            ),
        ));
    }
    let (o, i) = (w.shape()[0], w.shape()[1]);
    if i != len {
        return Err(NirError::node(
            format!("{}.weight", at(name)),
            format!("has {i} columns but {len} values arrive"),
        ));
    }
    let mut cols: Columns = vec![Vec::new(); i];
    for ((r, c), &v) in w
        .view()
        .into_dimensionality::<ndarray::Ix2>()
        .expect("2-D")
        .indexed_iter()
    {
        if v != 0.0 {
            cols[c].push((r as u32, v));
        }
    }
    Ok((cols, o))
}

/// Apply a sparse map to a flow and merge synapses with the same (source, index, delay).
fn apply(flow: &Flow, cols: &Columns, shape: Vec<usize>) -> Flow {
    let mut syn = Vec::new();
    for &(s, j, w, d) in &flow.syn {
        for &(i, m) in &cols[j as usize] {
            syn.push((s, i, w * m, d));
        }
    }
    syn.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.3.total_cmp(&b.3)));
    let mut merged: Vec<(u32, u32, f64, f64)> = Vec::with_capacity(syn.len());
    for x in syn {
        match merged.last_mut() {
            Some(l) if l.0 == x.0 && l.1 == x.1 && l.3 == x.3 => l.2 += x.2,
            _ => merged.push(x),
        }
    }
    merged.retain(|x| x.2 != 0.0);
    Flow { syn: merged, shape }
}

/// Apply an edge node (without its bias) to a flow.
fn edge_node(name: &str, n: &Node, flow: &Flow) -> Result<Flow> {
    let len = size_of(&flow.shape);
    match n.kind.as_str() {
        "Affine" | "Linear" => {
            let (cols, o) = dense_columns(name, n, len)?;
            Ok(apply(flow, &cols, vec![o]))
        }
        "Conv1d" | "Conv2d" => {
            let (cols, shape, _) = conv(name, n, &flow.shape)?;
            Ok(apply(flow, &cols, shape))
        }
        "Scale" => {
            let s = &field(name, n, "scale")?.data;
            let s: Vec<f64> = s.iter().copied().collect();
            if s.len() != len && s.len() != 1 {
                return Err(NirError::node(
                    format!("{}.scale", at(name)),
                    format!("has {} values but {len} arrive", s.len()),
                ));
            }
            let mut f = flow.clone();
            for x in &mut f.syn {
                x.2 *= if s.len() == 1 { s[0] } else { s[x.1 as usize] };
            }
            f.syn.retain(|x| x.2 != 0.0);
            Ok(f)
        }
        "Delay" => {
            let dl: Vec<f64> = field(name, n, "delay")?.data.iter().copied().collect();
            if dl.len() != len && dl.len() != 1 {
                return Err(NirError::node(
                    format!("{}.delay", at(name)),
                    format!("has {} values but {len} arrive", dl.len()),
                ));
            }
            if let Some(bad) = dl.iter().find(|d| !(d.is_finite() && **d >= 0.0)) {
                return Err(NirError::node(
                    format!("{}.delay", at(name)),
                    format!("must be ≥ 0 s, got {bad}"),
                ));
            }
            let mut f = flow.clone();
            for x in &mut f.syn {
                x.3 += if dl.len() == 1 {
                    dl[0]
                } else {
                    dl[x.1 as usize]
                };
            }
            Ok(f)
        }
        "Flatten" => {
            let nd = flow.shape.len() as i64;
            let norm = |k: &str, def: i64| -> i64 {
                let v = n
                    .fields
                    .get(k)
                    .and_then(|f| f.data.iter().next().copied())
                    .map_or(def, |v| v as i64);
                (if v < 0 { v + nd } else { v }).clamp(0, (nd - 1).max(0))
            };
            let (s, e) = (norm("start_dim", 0), norm("end_dim", -1));
            let mut shape = Vec::new();
            for (k, &x) in flow.shape.iter().enumerate() {
                let k = k as i64;
                if k > s && k <= e {
                    *shape.last_mut().expect("start_dim comes first") *= x;
                } else {
                    shape.push(x);
                }
            }
            Ok(Flow {
                syn: flow.syn.clone(),
                shape,
            })
        }
        _ => unreachable!("checked by the caller"),
    }
}

/// The bias an edge node adds (expanded to its output), if any.
fn bias_of(name: &str, n: &Node, in_shape: &[usize]) -> Result<Option<(Vec<f64>, Vec<usize>)>> {
    match n.kind.as_str() {
        "Affine" => {
            let b: Vec<f64> = field(name, n, "bias")?.data.iter().copied().collect();
            let o = field(name, n, "weight")?.data.shape()[0];
            if b.iter().all(|&x| x == 0.0) {
                return Ok(None);
            }
            if b.len() != o {
                return Err(NirError::node(
                    format!("{}.bias", at(name)),
                    format!("must have {o} values, got {}", b.len()),
                ));
            }
            Ok(Some((b, vec![o])))
        }
        "Conv1d" | "Conv2d" => {
            let (_, shape, b) = conv(name, n, in_shape)?;
            Ok(if b.iter().all(|&x| x == 0.0) {
                None
            } else {
                Some((b, shape))
            })
        }
        _ => Ok(None),
    }
}

struct Walker<'g> {
    g: &'g Graph,
    succ: BTreeMap<&'g str, Vec<&'g str>>,
    pops: BTreeMap<String, Pop>,
}

/// Where a walk ends.
enum Sink<'a> {
    /// At a neuron node.
    Pop(&'a str, Flow),
    /// At an Output node; `through` = passed edge nodes.
    Output(&'a str, bool),
}

impl<'g> Walker<'g> {
    /// Follow the edges out of `from` with `flow`, through edge nodes, to neuron and Output
    /// nodes.
    fn walk(
        &self,
        from: &'g str,
        flow: &Flow,
        through: bool,
        depth: usize,
        out: &mut Vec<Sink<'g>>,
    ) -> Result<()> {
        if depth > 256 {
            return Err(NirError::Graph(format!(
                "edge nodes form a cycle through {from:?} (a cycle must pass through a neuron node)"
            )));
        }
        for &next in self.succ.get(from).map(Vec::as_slice).unwrap_or(&[]) {
            let n = &self.g.nodes[next];
            if self.pops.contains_key(next) {
                let want = self.pops[next].size;
                if n.kind == "Input" {
                    return Err(NirError::node(
                        at(next),
                        format!("an Input node cannot receive edges (from {from:?})"),
                    ));
                }
                if size_of(&flow.shape) != want {
                    return Err(NirError::Graph(format!(
                        "edge {from:?} → {next:?}: {} values arrive at a node of {want} neurons",
                        size_of(&flow.shape)
                    )));
                }
                out.push(Sink::Pop(next, flow.clone()));
            } else if n.kind == "Output" {
                out.push(Sink::Output(next, through));
            } else {
                let f = edge_node(next, n, flow)?;
                self.walk(next, &f, true, depth + 1, out)?;
            }
        }
        Ok(())
    }
}

/// Convert a NIR graph into a glia model. Errors name the node (`nodes.NAME`) or field.
pub fn import(g: &Graph, opts: &ImportOptions) -> Result<Imported> {
    if !(opts.dt > 0.0 && opts.dt.is_finite()) {
        return Err(NirError::Graph(format!(
            "dt must be > 0 ms, got {}",
            opts.dt
        )));
    }
    let mut succ: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in &g.edges {
        for x in [a, b] {
            if !g.nodes.contains_key(x) {
                return Err(NirError::Graph(format!(
                    "edge {a:?} → {b:?}: no node named {x:?}"
                )));
            }
        }
        succ.entry(a.as_str()).or_default().push(b.as_str());
    }
    // Nodes: check types, make populations.
    let mut taken = BTreeSet::new();
    let mut pops = BTreeMap::new();
    let mut pop_tables = Vec::new();
    let mut notes = Vec::new();
    for (name, n) in &g.nodes {
        let k = n.kind.as_str();
        if NEURONS.contains(&k) {
            let gname = sanitize(name, &mut taken);
            let (pop, t) = neuron(name, n, &gname, opts.dt)?;
            pop_tables.push((name.clone(), t));
            pops.insert(name.clone(), pop);
        } else if k == "Input" {
            let shape: Vec<usize> = field(name, n, "shape")?
                .data
                .iter()
                .map(|&x| x as usize)
                .collect();
            let size = size_of(&shape);
            if size == 0 {
                return Err(NirError::node(
                    format!("{}.shape", at(name)),
                    "must not be empty",
                ));
            }
            let gname = sanitize(name, &mut taken);
            let mut t = Table::new();
            t.insert("name".into(), Value::String(gname.clone()));
            t.insert("size".into(), Value::Integer(size as i64));
            t.insert("model".into(), Value::String("spike_generator".into()));
            let sp = opts.inputs.get(name).cloned().unwrap_or_default();
            if let Some(&bad) = sp.ids.iter().find(|&&i| i as usize >= size) {
                return Err(NirError::node(
                    at(name),
                    format!("input spike id {bad} is outside the node's {size} channels"),
                ));
            }
            let mut p = Table::new();
            p.insert(
                "times".into(),
                Value::Array(sp.times.iter().map(|&x| Value::Float(x)).collect()),
            );
            p.insert(
                "ids".into(),
                Value::Array(sp.ids.iter().map(|&x| Value::Integer(x as i64)).collect()),
            );
            t.insert("params".into(), Value::Table(p));
            pop_tables.push((name.clone(), t));
            pops.insert(
                name.clone(),
                Pop {
                    name: gname,
                    shape,
                    size,
                    intake: None,
                    spiking: true,
                },
            );
        } else if k == "Output" || EDGE_NODES.contains(&k) {
        } else {
            return Err(NirError::node(
                at(name),
                format!(
                    "NIR node type {k:?} is not supported by glia's import (supported: Input, Output, LIF, CubaLIF, LI, CubaLI, IF, I, Affine, Linear, Scale, Conv1d, Conv2d, Flatten, Delay{})",
                    if k == "NIRGraph" {
                        "; nested graphs are not supported"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    for (a, b) in &g.edges {
        if g.nodes[b].kind == "Input" {
            return Err(NirError::node(
                at(b),
                format!("an Input node cannot receive edges (from {a:?})"),
            ));
        }
        if g.nodes[a].kind == "Output" {
            return Err(NirError::node(
                at(a),
                format!("an Output node cannot send edges (to {b:?})"),
            ));
        }
    }
    let w = Walker { g, succ, pops };
    let dt = opts.dt;
    // Spike paths, from every neuron and Input node.
    let mut projections = Vec::new();
    let mut synapses = Vec::new();
    let mut monitored: BTreeMap<String, ()> = BTreeMap::new();
    let mut proj_names = BTreeSet::new();
    for (name, p) in &w.pops {
        let id = Flow {
            syn: (0..p.size as u32).map(|i| (i, i, 1.0, 0.0)).collect(),
            shape: p.shape.clone(),
        };
        let mut sinks = Vec::new();
        w.walk(name, &id, false, 0, &mut sinks)?;
        for s in sinks {
            match s {
                Sink::Output(o, through) => {
                    if through {
                        notes.push(format!(
                            "Output {o:?} is fed from {name:?} through edge nodes; glia records {name:?} (apply the edge nodes to its recording)"
                        ));
                    }
                    monitored.insert(name.clone(), ());
                }
                Sink::Pop(q, flow) => {
                    let tgt = &w.pops[q];
                    let intake = tgt.intake.as_ref().expect("targets are neurons");
                    let mut syn = Synapses::default();
                    for &(s, t, wt, d) in &flow.syn {
                        let scale = match intake {
                            Intake::Delta { c_m } => dt / c_m,
                            Intake::Cuba { tau_syn, w_in } => w_in[t as usize] * dt / tau_syn,
                        };
                        let weight = wt * scale;
                        if weight == 0.0 {
                            continue;
                        }
                        syn.sources.push(s);
                        syn.targets.push(t);
                        syn.weights.push(weight);
                        syn.delays.push(dt + d * 1e3);
                    }
                    if syn.sources.is_empty() {
                        notes.push(format!(
                            "the path {name:?} → {q:?} has only zero weights; no projection"
                        ));
                        continue;
                    }
                    let mut pname = format!("{}_to_{}", p.name, tgt.name);
                    let base = pname.clone();
                    let mut k = 1;
                    while !proj_names.insert(pname.clone()) {
                        k += 1;
                        pname = format!("{base}_{k}");
                    }
                    syn.file = format!("{}.{pname}.npz", opts.stem);
                    let mut t = Table::new();
                    t.insert("name".into(), Value::String(pname));
                    t.insert("source".into(), Value::String(p.name.clone()));
                    t.insert("target".into(), Value::String(tgt.name.clone()));
                    t.insert("port".into(), Value::String("in".into()));
                    let mut c = Table::new();
                    c.insert("rule".into(), Value::String("explicit".into()));
                    c.insert("file".into(), Value::String(syn.file.clone()));
                    t.insert("connect".into(), Value::Table(c));
                    projections.push(Value::Table(t));
                    synapses.push(syn);
                }
            }
        }
    }
    // Bias paths, from every Affine/Conv with a nonzero bias, to the neurons they reach.
    let mut bias: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    // shapes arriving at edge nodes (for Conv bias expansion): take them from a spike walk
    for (name, n) in &g.nodes {
        if !matches!(n.kind.as_str(), "Affine" | "Conv1d" | "Conv2d") {
            continue;
        }
        let in_shape = arriving_shape(&w, name)?;
        let Some((b, shape)) = bias_of(name, n, &in_shape)? else {
            continue;
        };
        let flow = Flow {
            syn: b
                .iter()
                .enumerate()
                .map(|(i, &v)| (0, i as u32, v, 0.0))
                .collect(),
            shape,
        };
        let mut sinks = Vec::new();
        w.walk(name, &flow, true, 0, &mut sinks)?;
        for s in sinks {
            if let Sink::Pop(q, f) = s {
                let v = bias
                    .entry(q.to_string())
                    .or_insert_with(|| vec![0.0; w.pops[q].size]);
                for &(_, t, x, _) in &f.syn {
                    v[t as usize] += x;
                }
            }
        }
    }
    // Assemble: populations, dc inputs for biases, monitors.
    let mut populations = Vec::new();
    let mut inputs = Vec::new();
    let mut monitors = Vec::new();
    for (node, mut t) in pop_tables {
        let p = &w.pops[&node];
        if let Some(b) = bias.get(&node) {
            let (amp, init): (Vec<f64>, Option<Vec<f64>>) = match p.intake.as_ref().expect("neuron")
            {
                Intake::Delta { .. } => (b.clone(), None),
                Intake::Cuba { w_in, .. } => {
                    let a: Vec<f64> = b.iter().zip(w_in).map(|(x, w)| x * w).collect();
                    let i0 = a.iter().map(|x| 0.0 - x).collect();
                    (a, Some(i0))
                }
            };
            if let Some(i0) = init {
                let mut init = Table::new();
                init.insert(
                    "I_in".into(),
                    Value::Array(i0.into_iter().map(Value::Float).collect()),
                );
                t.insert("initial".into(), Value::Table(init));
            }
            // one dc input per distinct amplitude
            let mut groups: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
            for (i, &a) in amp.iter().enumerate() {
                if a != 0.0 {
                    groups.entry(a.to_bits()).or_default().push(i as i64);
                }
            }
            for (bits, ids) in groups {
                let mut d = Table::new();
                d.insert("kind".into(), Value::String("dc".into()));
                d.insert("target".into(), Value::String(p.name.clone()));
                d.insert("amplitude".into(), Value::Float(f64::from_bits(bits)));
                if ids.len() < p.size {
                    d.insert(
                        "ids".into(),
                        Value::Array(ids.into_iter().map(Value::Integer).collect()),
                    );
                }
                inputs.push(Value::Table(d));
            }
        }
        populations.push(Value::Table(t));
        if monitored.contains_key(&node) {
            let mut m = Table::new();
            if p.spiking {
                m.insert("kind".into(), Value::String("spikes".into()));
                m.insert("population".into(), Value::String(p.name.clone()));
            } else {
                m.insert("kind".into(), Value::String("state".into()));
                m.insert("population".into(), Value::String(p.name.clone()));
                m.insert(
                    "variables".into(),
                    Value::Array(vec![Value::String("v".into())]),
                );
                m.insert(
                    "ids".into(),
                    Value::Array((0..p.size as i64).map(Value::Integer).collect()),
                );
            }
            monitors.push(Value::Table(m));
        }
    }
    let mut sim = Table::new();
    sim.insert("dt".into(), Value::Float(opts.dt));
    sim.insert("duration".into(), Value::Float(opts.duration));
    let mut model = Table::new();
    model.insert("simulation".into(), Value::Table(sim));
    model.insert("populations".into(), Value::Array(populations));
    if !inputs.is_empty() {
        model.insert("inputs".into(), Value::Array(inputs));
    }
    if !projections.is_empty() {
        model.insert("projections".into(), Value::Array(projections));
    }
    if !monitors.is_empty() {
        model.insert("monitors".into(), Value::Array(monitors));
    }
    Ok(Imported {
        model,
        synapses,
        notes,
    })
}

/// The shape of what arrives at edge node `name` (from the first neuron path that reaches it);
/// the node's own `input_shape` decides when nothing does.
fn arriving_shape(w: &Walker<'_>, name: &str) -> Result<Vec<usize>> {
    // Breadth-first over predecessors until a neuron node, then replay the chain forward.
    let mut pred: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in &w.g.edges {
        pred.entry(b.as_str()).or_default().push(a.as_str());
    }
    let mut chain = vec![name];
    let mut cur = name;
    for _ in 0..256 {
        let Some(&p) = pred.get(cur).and_then(|v| v.first()) else {
            break;
        };
        if let Some(pop) = w.pops.get(p) {
            // replay the chain (excluding `name`) from pop's shape
            let mut flow = Flow {
                syn: Vec::new(),
                shape: pop.shape.clone(),
            };
            for &node in chain[1..].iter().rev() {
                flow = edge_node(node, &w.g.nodes[node], &flow)?;
            }
            return Ok(flow.shape);
        }
        chain.push(p);
        cur = p;
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::reach;

    /// `reach` is the set of output positions a brute-force scan finds, for strides, paddings,
    /// offsets and sizes around the edge cases, and is empty or clipped for extreme padding.
    #[test]
    fn reach_matches_brute_force() {
        for n_out in 0..7 {
            for n_in in 0..7 {
                for stride in 1..4i64 {
                    for pad in -3..4i64 {
                        for off in -4..8i128 {
                            let brute: Vec<usize> = (0..n_out)
                                .filter(|&o| {
                                    let i = o as i128 * i128::from(stride) - i128::from(pad) + off;
                                    (0..n_in as i128).contains(&i)
                                })
                                .collect();
                            let r: Vec<usize> = reach(n_out, n_in, stride, pad, off).collect();
                            assert_eq!(r, brute, "{n_out} {n_in} {stride} {pad} {off}");
                        }
                    }
                }
            }
        }
        let m = i64::MAX as usize;
        assert_eq!(reach(usize::MAX, 5, 1, i64::MAX, 0), m..m + 5);
        assert!(reach(1000, 5, 1, i64::MAX, 0).is_empty());
        assert_eq!(reach(usize::MAX, 5, 1, i64::MIN, 0), 0..0);
        assert_eq!(reach(1 << 40, 5, 1, 1 << 30, 0), (1 << 30)..((1 << 30) + 5));
    }
}

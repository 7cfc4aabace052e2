//! Reservoir experiments and the reservoir driver from Python: `run_experiment` runs a TOML
//! experiment as `glia run` does (glia_reservoir::experiment); `Reservoir` feeds an input
//! series into a [`Network`] and collects its state. `glia.reservoir` re-exports them.

use crate::array::{matrix, reservoir_error, vector};
use crate::{Network, error, field_error, overrides};
use glia_reservoir::esn::{InputDist, InputLink, draw_input_weights};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn read_text(py: Python<'_>, path: &Path) -> PyResult<(String, PathBuf)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        error(
            py,
            "FileError",
            format!("{}: {e}", path.display()),
            Some(path.display().to_string()),
            e.to_string(),
        )
    })?;
    Ok((
        text,
        path.parent().map(Path::to_path_buf).unwrap_or_default(),
    ))
}

/// Run a reservoir experiment (model file with `[reservoir]`, `[task]`, `[readout]`) from a
/// file or TOML text as `glia run` does; returns the text of `metrics.json` and the network
/// after the run. With `out_dir`, writes what `glia run --out OUT_DIR` writes.
#[pyfunction]
#[pyo3(signature = (path=None, text=None, base_dir=None, params=None, duration=None, seed=None, threads=None, out_dir=None))]
#[allow(clippy::too_many_arguments)]
pub fn run_experiment(
    py: Python<'_>,
    path: Option<PathBuf>,
    text: Option<String>,
    base_dir: Option<PathBuf>,
    params: Option<BTreeMap<String, f64>>,
    duration: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
    out_dir: Option<PathBuf>,
) -> PyResult<(String, Network)> {
    let (text, base, origin) = match (path, text) {
        (Some(p), None) => {
            let (t, b) = read_text(py, &p)?;
            (t, b, p.display().to_string())
        }
        (None, Some(t)) => (t, base_dir.unwrap_or_default(), "<text>".to_string()),
        _ => {
            return Err(field_error(
                py,
                "source",
                "give exactly one of path and text",
            ));
        }
    };
    let ov = overrides(params, duration, seed, threads);
    let o = py
        .detach(|| glia_reservoir::experiment::run_text(&text, &base, &ov))
        .map_err(|e| reservoir_error(py, e, &|p| p.to_string()))?;
    let metrics =
        serde_json::to_string(&o.metrics).map_err(|e| field_error(py, "metrics", e.to_string()))?;
    let parameters = BTreeMap::new();
    if let Some(out) = &out_dir {
        let run_s = o.metrics["timing_s"]["reservoir_run"]
            .as_f64()
            .unwrap_or(0.0);
        let info = glia_sim::output::RunInfo {
            model_path: &origin,
            run: glia_sim::RunStats {
                steps: o.esn.net.step,
                wall_s: run_s,
                events: o.esn.net.events,
                complete: true,
            },
            parameters: &parameters,
        };
        glia_sim::output::write_outputs(&o.esn.net, out, &info)
            .map_err(|e| error(py, "FileError", e.to_string(), None, e.to_string()))?;
        glia_reservoir::experiment::write_metrics(out, &o.metrics)
            .map_err(|e| reservoir_error(py, e, &|p| p.to_string()))?;
    }
    let net = Network {
        net: o.esn.net,
        open_ended: true,
        origin,
        parameters,
        nan_warned: false,
    };
    Ok((metrics, net))
}

/// A network driven as a reservoir: an input series enters through per-neuron input weights
/// (added to a port every step), the engine steps, and the state of the feature populations
/// is collected — the update of glia_reservoir::esn::Esn, on a `glia.Network` that stays
/// usable (its monitors record, its weights can be read and changed).
#[pyclass(module = "glia._glia", name = "Reservoir")]
pub struct Reservoir {
    net: Py<Network>,
    inputs: Vec<InputLink>,
    features: Vec<(usize, usize)>,
    dim: usize,
    nfeat: usize,
}

/// One name or a list of names.
fn names(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(vec![s]);
    }
    obj.extract()
}

impl Reservoir {
    /// Feed `u` (`T × dim`, row-major) and write the features of each step into `out`
    /// (`T × F`, row-major). Checks for Ctrl-C every 1000 steps.
    fn drive(&self, py: Python<'_>, u: &[f64], out: &mut [f64]) -> PyResult<()> {
        let mut guard = self.net.bind(py).try_borrow_mut().map_err(|_| {
            field_error(py, "network", "the network is in use (borrowed elsewhere)")
        })?;
        let net = &mut guard.net;
        let (dim, nf) = (self.dim, self.nfeat);
        let t = u.len() / dim;
        let big = net.pops.iter().map(|p| p.size).max().unwrap_or(0);
        let mut ubuf = vec![0.0f32; big];
        let mut sbuf = vec![0.0f32; big];
        let mut s = 0;
        while s < t {
            let end = (s + 1000).min(t);
            py.detach(|| {
                for k in s..end {
                    let uk = &u[k * dim..(k + 1) * dim];
                    for l in &self.inputs {
                        let n = net.pops[l.pop].size;
                        let buf = &mut ubuf[..n];
                        buf.fill(0.0);
                        for (d, &ud) in uk.iter().enumerate() {
                            let ud = ud as f32;
                            for (b, &w) in buf.iter_mut().zip(&l.weights[d * n..(d + 1) * n]) {
                                *b += w * ud;
                            }
                        }
                        net.add_input(l.pop, l.port, buf);
                    }
                    net.step();
                    let x = &mut out[k * nf..(k + 1) * nf];
                    let mut at = 0;
                    for &(p, var) in &self.features {
                        let n = net.pops[p].size;
                        let sb = &mut sbuf[..n];
                        net.read_state(p, var, sb);
                        for (o, &v) in x[at..at + n].iter_mut().zip(sb.iter()) {
                            *o = f64::from(v);
                        }
                        at += n;
                    }
                }
            });
            s = end;
            py.check_signals()?;
        }
        Ok(())
    }

    fn series(&self, py: Python<'_>, u: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
        let (m, one_d) = matrix(py, u, "u")?;
        if m.ncols() != self.dim || (one_d && self.dim != 1) {
            return Err(field_error(
                py,
                "u",
                format!(
                    "{} input dimensions per step, the reservoir has dim = {}",
                    if one_d { 1 } else { m.ncols() },
                    self.dim
                ),
            ));
        }
        Ok((0..m.nrows())
            .flat_map(|i| (0..m.ncols()).map(move |j| (i, j)))
            .map(|(i, j)| m[(i, j)])
            .collect())
    }
}

#[pymethods]
impl Reservoir {
    /// Drive `network` as a reservoir. `input`: the population(s) that receive the input
    /// (on `port`, default their first port); `features`: the population(s) whose state
    /// variable `variable` (default: each model's first, e.g. `x` of `rate`) is collected
    /// (default: the input populations). Input weights: `weights` (`N × dim`, N the neurons
    /// of the input populations together) or drawn as an experiment's `[reservoir]` draws
    /// them (`input_scaling`, `input_connectivity`, `input_weights = "uniform" | "bernoulli"`,
    /// from the network's seed unless `seed` is given).
    #[new]
    #[pyo3(signature = (network, input, features=None, variable=None, port=None, dim=1, input_scaling=1.0, input_connectivity=1.0, input_weights="uniform", weights=None, seed=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        network: Py<Network>,
        input: &Bound<'_, PyAny>,
        features: Option<&Bound<'_, PyAny>>,
        variable: Option<&str>,
        port: Option<&str>,
        dim: usize,
        input_scaling: f64,
        input_connectivity: f64,
        input_weights: &str,
        weights: Option<&Bound<'_, PyAny>>,
        seed: Option<u64>,
    ) -> PyResult<Self> {
        if dim == 0 {
            return Err(field_error(py, "dim", "must be ≥ 1"));
        }
        let inputs = names(input).map_err(|_| {
            field_error(py, "input", "expected a population name or a list of names")
        })?;
        let feats = match features {
            Some(f) => names(f).map_err(|_| {
                field_error(
                    py,
                    "features",
                    "expected a population name or a list of names",
                )
            })?,
            None => inputs.clone(),
        };
        if inputs.is_empty() {
            return Err(field_error(py, "input", "name at least one population"));
        }
        let dist = match input_weights {
            "uniform" => InputDist::Uniform,
            "bernoulli" => InputDist::Bernoulli,
            other => {
                return Err(field_error(
                    py,
                    "input_weights",
                    format!("unknown {other:?}: use \"uniform\" or \"bernoulli\""),
                ));
            }
        };
        if !(input_connectivity > 0.0 && input_connectivity <= 1.0) {
            return Err(field_error(
                py,
                "input_connectivity",
                format!("must be in (0, 1], got {input_connectivity}"),
            ));
        }
        if !input_scaling.is_finite() {
            return Err(field_error(py, "input_scaling", "must be finite"));
        }
        let bound = network.bind(py).try_borrow().map_err(|_| {
            field_error(py, "network", "the network is in use (borrowed elsewhere)")
        })?;
        let pops_in = inputs
            .iter()
            .map(|n| bound.pop(py, n))
            .collect::<PyResult<Vec<_>>>()?;
        let mut fpops = Vec::new();
        for n in &feats {
            let p = bound.pop(py, n)?;
            let pop = &bound.net.pops[p];
            let var = match variable {
                None => 0,
                Some(v) => pop.variables.iter().position(|x| x == v).ok_or_else(|| {
                    crate::not_found(
                        py,
                        &format!("{n}.{v}"),
                        format!(
                            "population \"{n}\" (model \"{}\") has no state variable \"{v}\" (it has: {})",
                            pop.model_name,
                            pop.variables.join(", ")
                        ),
                    )
                })?,
            };
            fpops.push((p, var));
        }
        let nfeat: usize = fpops.iter().map(|&(p, _)| bound.net.pops[p].size).sum();
        if nfeat == 0 {
            return Err(field_error(
                py,
                "features",
                "empty feature set: name at least one population with neurons",
            ));
        }
        let total: usize = pops_in.iter().map(|&p| bound.net.pops[p].size).sum();
        let given = match weights {
            Some(w) => {
                let (m, one_d) = matrix(py, w, "weights")?;
                let cols = if one_d { 1 } else { m.ncols() };
                if m.nrows() != total || cols != dim {
                    return Err(field_error(
                        py,
                        "weights",
                        format!(
                            "shape {} × {cols}, expected {total} × {dim} (neurons of the input populations × dim)",
                            m.nrows()
                        ),
                    ));
                }
                Some(m)
            }
            None => None,
        };
        let seed = seed.unwrap_or(bound.net.seed);
        let mut links = Vec::new();
        let mut at = 0;
        for (k, &p) in pops_in.iter().enumerate() {
            let pop = &bound.net.pops[p];
            let n = pop.size;
            let port_ix = match port {
                None => 0,
                Some(name) => pop
                    .ports
                    .iter()
                    .position(|q| q.name == name)
                    .ok_or_else(|| {
                        crate::not_found(
                            py,
                            "port",
                            format!("population {:?} has no port {name:?}", pop.name),
                        )
                    })?,
            };
            if pop.ports.is_empty() {
                return Err(field_error(
                    py,
                    "input",
                    format!("population {:?} has no port to take the input", pop.name),
                ));
            }
            let w = match &given {
                Some(m) => (0..dim * n)
                    .map(|q| (m[(at + q % n, q / n)] * input_scaling) as f32)
                    .collect(),
                None => draw_input_weights(
                    seed,
                    k as u32,
                    n,
                    dim,
                    input_scaling,
                    input_connectivity,
                    dist,
                ),
            };
            at += n;
            links.push(InputLink {
                pop: p,
                port: port_ix,
                weights: w,
            });
        }
        drop(bound);
        Ok(Self {
            net: network,
            inputs: links,
            features: fpops,
            dim,
            nfeat,
        })
    }

    /// The reservoir of an experiment file or TOML text, as the experiment starts it (model
    /// built, recurrent matrix, E/I balance and input weights applied), without running it.
    /// Its features follow the engine's update; an experiment with `kernel = "auto"` may run
    /// a dedicated kernel with a faster `tanh` instead (`docs/reservoir.md`).
    #[staticmethod]
    #[pyo3(signature = (path=None, text=None, base_dir=None, params=None, seed=None, threads=None))]
    fn from_experiment(
        py: Python<'_>,
        path: Option<PathBuf>,
        text: Option<String>,
        base_dir: Option<PathBuf>,
        params: Option<BTreeMap<String, f64>>,
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let (text, base, origin) = match (path, text) {
            (Some(p), None) => {
                let (t, b) = read_text(py, &p)?;
                (t, b, p.display().to_string())
            }
            (None, Some(t)) => (t, base_dir.unwrap_or_default(), "<text>".to_string()),
            _ => {
                return Err(field_error(
                    py,
                    "source",
                    "give exactly one of path and text",
                ));
            }
        };
        let ov = overrides(params, None, seed, threads);
        let esn = py
            .detach(|| glia_reservoir::experiment::validate_text(&text, &base, &ov))
            .map_err(|e| reservoir_error(py, e, &|p| p.to_string()))?;
        let nfeat = esn.n_features();
        let glia_reservoir::esn::Esn {
            net,
            inputs,
            features,
            dim,
            ..
        } = esn;
        let network = Py::new(
            py,
            Network {
                net,
                open_ended: true,
                origin,
                parameters: BTreeMap::new(),
                nan_warned: false,
            },
        )?;
        Ok(Self {
            net: network,
            inputs,
            features,
            dim,
            nfeat,
        })
    }

    /// Feed the series `u` (`T`, or `T × dim`) one sample per step and return the collected
    /// states, `(T − washout) × F` (float64; row `t` is the state after the step that took
    /// `u[washout + t]`): the first `washout` steps run but are not returned. The network
    /// continues from where it stopped; the GIL is released while stepping.
    #[pyo3(signature = (u, washout=0))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        u: &Bound<'py, PyAny>,
        washout: usize,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let u = self.series(py, u)?;
        let t = u.len() / self.dim;
        if washout > 0 && t <= washout {
            return Err(field_error(
                py,
                "washout",
                format!(
                    "{t} samples are not more than washout = {washout} (the washout is \
                     discarded from the samples)"
                ),
            ));
        }
        let mut out = vec![0.0; t * self.nfeat];
        self.drive(py, &u, &mut out)?;
        out.drain(..washout * self.nfeat);
        Ok(Array2::from_shape_vec((t - washout, self.nfeat), out)
            .map_err(|e| field_error(py, "u", e.to_string()))?
            .into_pyarray(py))
    }

    /// Feed one input sample (a float, or `dim` values) and return the state after the step
    /// (`F`).
    fn step<'py>(
        &self,
        py: Python<'py>,
        u: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let v = vector(
            py,
            &py.import("numpy")?.call_method1("atleast_1d", (u,))?,
            "u",
        )?;
        if v.len() != self.dim {
            return Err(field_error(
                py,
                "u",
                format!(
                    "{} input values, the reservoir has dim = {}",
                    v.len(),
                    self.dim
                ),
            ));
        }
        let mut out = vec![0.0; self.nfeat];
        self.drive(py, &v, &mut out)?;
        Ok(out.into_pyarray(py))
    }

    /// The network (the same object: its state, monitors and weights).
    #[getter]
    fn network(&self, py: Python<'_>) -> Py<Network> {
        self.net.clone_ref(py)
    }

    /// Number of features (neurons of the feature populations).
    #[getter]
    fn n_features(&self) -> usize {
        self.nfeat
    }

    /// Input dimension.
    #[getter]
    fn dim(&self) -> usize {
        self.dim
    }

    /// Input weights, `N × dim` (N: neurons of the input populations together, in the order
    /// given), float64 from the stored float32.
    #[getter]
    fn input_weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let total: usize = self.inputs.iter().map(|l| l.weights.len() / self.dim).sum();
        let mut a = Array2::<f64>::zeros((total, self.dim));
        let mut at = 0;
        for l in &self.inputs {
            let n = l.weights.len() / self.dim;
            for d in 0..self.dim {
                for i in 0..n {
                    a[(at + i, d)] = f64::from(l.weights[d * n + i]);
                }
            }
            at += n;
        }
        a.into_pyarray(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let Ok(b) = self.net.bind(py).try_borrow() else {
            return "<glia.reservoir.Reservoir (network in use)>".into();
        };
        let name = |p: usize| b.net.pops[p].name.clone();
        format!(
            "<glia.reservoir.Reservoir input={:?}, features={:?} ({} features), dim={}>",
            self.inputs.iter().map(|l| name(l.pop)).collect::<Vec<_>>(),
            self.features
                .iter()
                .map(|&(p, _)| name(p))
                .collect::<Vec<_>>(),
            self.nfeat,
            self.dim
        )
    }
}

/// Add the experiment runner and the reservoir driver to `glia._glia`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Reservoir>()?;
    m.add_function(wrap_pyfunction!(run_experiment, m)?)?;
    Ok(())
}

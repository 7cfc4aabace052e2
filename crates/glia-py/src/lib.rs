//! `glia._glia`: the native half of the `glia` Python package.
//!
//! This crate only translates (STYLE.md, "thin edges"): Python objects → a TOML table →
//! [`glia_spec::from_table`] (the same validation as a model file, so the same errors) →
//! [`glia_sim::build::build`]; numpy arrays in and out of [`glia_sim::Network`]'s accessors;
//! [`glia_spec::ModelError`] → the exceptions of `glia.errors`. The simulation runs with the
//! GIL released; every 50 ms of wall time (and at each progress report when a callback is
//! given) the run takes the GIL back to check for signals, so Ctrl-C stops it after the step in
//! progress, with the network consistent and its recordings readable.
//!
//! `Network.run` checks the state for NaN and infinity as `glia run --on-nan` does
//! ([`glia_sim::health::run_checked`]) and raises `glia.NumericalError` naming the population,
//! neuron, variable and step. The reservoir-computing part is in the modules `readout`, `tasks`
//! and `reservoir` (experiments and the reservoir driver), over the conversions of `array`.
//!
//! The pure-Python layer (`python/glia/`) adds the model builder, the MNIST loader, plots and
//! the modules `glia.readout`, `glia.tasks` and `glia.reservoir`.

#![allow(unsafe_code)] // pyo3's macros expand to unsafe FFI glue

mod array;
mod readout;
mod reservoir;
mod tasks;

use glia_sim::health::{Fault, OnNan, run_checked};
use glia_spec::{ModelError, Overrides};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

/// How often a run takes the GIL back to check for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Longest piece of a run given to `Network::run` at once (see `Network.run`).
const CHUNK: u64 = 10_000;

/// An instance of `glia.errors.<kind>(text, path, detail)`.
fn error(py: Python<'_>, kind: &str, text: String, path: Option<String>, detail: String) -> PyErr {
    let made = py
        .import("glia.errors")
        .and_then(|m| m.getattr(kind))
        .and_then(|cls| cls.call1((text, path, detail)));
    match made {
        Ok(inst) => PyErr::from_value(inst),
        Err(e) => e,
    }
}

/// A [`ModelError`] as `glia.errors.FieldError` (a field has an impossible value) or
/// `glia.errors.FileError` (the model file cannot be read or parsed); the text is the CLI's.
fn model_error(py: Python<'_>, e: ModelError) -> PyErr {
    let text = e.to_string();
    match e {
        ModelError::Invalid { path, message } => error(py, "FieldError", text, Some(path), message),
        ModelError::File { file, message } => error(
            py,
            "FileError",
            text,
            Some(file.display().to_string()),
            message,
        ),
    }
}

/// `glia.errors.FieldError` at `path`.
fn field_error(py: Python<'_>, path: &str, message: impl Into<String>) -> PyErr {
    let message = message.into();
    error(
        py,
        "FieldError",
        format!("{path}: {message}"),
        Some(path.to_string()),
        message,
    )
}

/// `glia.errors.NotFoundError`: `what` names no population, projection, variable or monitor.
fn not_found(py: Python<'_>, path: &str, message: impl Into<String>) -> PyErr {
    let message = message.into();
    error(
        py,
        "NotFoundError",
        format!("{path}: {message}"),
        Some(path.to_string()),
        message,
    )
}

/// A non-finite state found by a run as `glia.errors.NumericalError`, with the fault's
/// fields as attributes; the text is the CLI's.
fn numerical_error(py: Python<'_>, f: &Fault) -> PyErr {
    let text = f.to_string();
    let made = (|| -> PyResult<Bound<'_, PyAny>> {
        let cls = py.import("glia.errors")?.getattr("NumericalError")?;
        let kw = PyDict::new(py);
        kw.set_item("population", &f.population)?;
        kw.set_item("neuron", f.neuron)?;
        kw.set_item("variable", &f.variable)?;
        kw.set_item("value", f64::from(f.value))?;
        kw.set_item("step", f.step)?;
        kw.set_item("last_ok", f.last_ok)?;
        kw.set_item("t_ms", f.step as f64 * f.dt)?;
        let path = format!("{}.{}", f.population, f.variable);
        cls.call((text.clone(), path, text.clone()), Some(&kw))
    })();
    match made {
        Ok(inst) => PyErr::from_value(inst),
        Err(e) => e,
    }
}

/// A Python value as a TOML value; `path` names it in errors. Dict entries that are `None` are
/// left out (TOML has no null: an absent field takes its default).
fn to_toml(py: Python<'_>, obj: &Bound<'_, PyAny>, path: &str) -> PyResult<toml::Value> {
    if obj.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(obj.extract()?));
    }
    if obj.is_instance_of::<PyInt>() {
        return match obj.extract::<i64>() {
            Ok(i) => Ok(toml::Value::Integer(i)),
            Err(_) => Err(field_error(
                py,
                path,
                format!("integer out of range, got {obj}"),
            )),
        };
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, v) in d.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(field_error(
                    py,
                    path,
                    format!("table keys must be strings, got {}", k.repr()?),
                ));
            };
            let key = key.to_cow()?.into_owned();
            if v.is_none() {
                continue;
            }
            let sub = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            t.insert(key, to_toml(py, &v, &sub)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (k, v) in obj.try_iter()?.enumerate() {
            out.push(to_toml(py, &v?, &format!("{path}[{k}]"))?);
        }
        return Ok(toml::Value::Array(out));
    }
    // File names as `pathlib.Path` (or any `os.PathLike`).
    if obj.hasattr("__fspath__")? {
        let p = obj.call_method0("__fspath__")?;
        if let Ok(s) = p.cast::<PyString>() {
            return Ok(toml::Value::String(s.to_cow()?.into_owned()));
        }
    }
    // numpy arrays and scalars, and anything else with `tolist` (0-d arrays give scalars).
    if obj.hasattr("tolist")? {
        let list = obj.call_method0("tolist")?;
        if !list.is(obj) {
            return to_toml(py, &list, path);
        }
    }
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(x) = obj.extract::<f64>() {
        return Ok(toml::Value::Float(x));
    }
    Err(field_error(
        py,
        if path.is_empty() { "<model>" } else { path },
        format!(
            "cannot be written in a model file (a number, string, path, bool, list, dict or numpy array), got {}",
            obj.get_type().name()?
        ),
    ))
}

fn overrides(
    params: Option<BTreeMap<String, f64>>,
    duration: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> Overrides {
    Overrides {
        parameters: params.unwrap_or_default().into_iter().collect(),
        duration,
        seed,
        threads,
    }
}

fn finish(
    py: Python<'_>,
    model: Result<glia_spec::Model, ModelError>,
    origin: String,
    open_ended: bool,
) -> PyResult<Network> {
    let model = model.map_err(|e| model_error(py, e))?;
    let net = py
        .detach(|| glia_sim::build::build(&model))
        .map_err(|e| model_error(py, e))?;
    Ok(Network {
        net,
        open_ended,
        origin,
        parameters: model.parameters,
        nan_warned: false,
    })
}

/// Load a model file (TOML) and build its network.
///
/// `params` overrides `[parameters]` entries (as `glia run --param`), `duration` (ms),
/// `seed` and `threads` override `[simulation]`. Raises `glia.FileError` when the file cannot be
/// read or parsed and `glia.FieldError` (message and `path` as the CLI prints them) when a
/// field is invalid.
#[pyfunction]
#[pyo3(signature = (path, params=None, duration=None, seed=None, threads=None))]
fn load(
    py: Python<'_>,
    path: PathBuf,
    params: Option<BTreeMap<String, f64>>,
    duration: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Network> {
    let ov = overrides(params, duration, seed, threads);
    let model = glia_spec::load(&path, &ov);
    finish(py, model, path.display().to_string(), false)
}

/// Build a network from model-file text (TOML); relative file paths resolve against
/// `base_dir` (default: the working directory).
#[pyfunction]
#[pyo3(signature = (text, base_dir=None, params=None, duration=None, seed=None, threads=None))]
fn loads(
    py: Python<'_>,
    text: &str,
    base_dir: Option<PathBuf>,
    params: Option<BTreeMap<String, f64>>,
    duration: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Network> {
    let ov = overrides(params, duration, seed, threads);
    let base = base_dir.unwrap_or_default();
    let model = glia_spec::parse(text, &base, &ov);
    finish(py, model, "<text>".into(), false)
}

/// Build a network from a model given as a dict with the layout of a model file
/// (`{"simulation": {...}, "populations": [...], ...}`). `open_ended`: the run length is
/// not fixed (`Network.run` then needs a duration).
#[pyfunction]
#[pyo3(signature = (model, base_dir=None, params=None, duration=None, seed=None, threads=None, open_ended=false))]
#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    model: &Bound<'_, PyDict>,
    base_dir: Option<PathBuf>,
    params: Option<BTreeMap<String, f64>>,
    duration: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
    open_ended: bool,
) -> PyResult<Network> {
    let toml::Value::Table(table) = to_toml(py, model.as_any(), "")? else {
        unreachable!("a dict converts to a table");
    };
    let ov = overrides(params, duration, seed, threads);
    let base = base_dir.unwrap_or_default();
    let model = glia_spec::from_table(table, &base, &ov);
    finish(py, model, "<python>".into(), open_ended)
}

/// A dict with the layout of a model file, as TOML text (what `glia run` reads).
#[pyfunction]
fn dumps(py: Python<'_>, model: &Bound<'_, PyDict>) -> PyResult<String> {
    let value = to_toml(py, model.as_any(), "")?;
    toml::to_string(&value).map_err(|e| field_error(py, "<model>", e.to_string()))
}

/// A built network: run it, read and change its state, weights and recordings.
///
/// Runs continue where the last one stopped (`run(10); run(10)` gives the spikes of
/// `run(20)`). Arrays returned are copies owned by numpy (neuron state is stored in blocks of
/// 1024 neurons inside the engine, so no view of it can be contiguous).
#[pyclass(module = "glia._glia")]
struct Network {
    net: glia_sim::Network,
    open_ended: bool,
    origin: String,
    parameters: BTreeMap<String, f64>,
    /// A run with `on_nan = "warn"` has warned: later runs with "warn" check no more (as one
    /// `glia run --on-nan=warn` warns once).
    nan_warned: bool,
}

impl Network {
    fn pop(&self, py: Python<'_>, name: &str) -> PyResult<usize> {
        self.net.population(name).ok_or_else(|| {
            let names: Vec<&str> = self.net.pops.iter().map(|p| p.name.as_str()).collect();
            not_found(
                py,
                "population",
                format!(
                    "no population \"{name}\" (populations: {})",
                    names.join(", ")
                ),
            )
        })
    }

    fn proj(&self, py: Python<'_>, name: &str) -> PyResult<usize> {
        self.net.projection(name).ok_or_else(|| {
            let names: Vec<&str> = self.net.projs.iter().map(|p| p.name.as_str()).collect();
            not_found(
                py,
                "projection",
                format!(
                    "no projection \"{name}\" (projections: {})",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ),
            )
        })
    }
}

/// `numpy.ascontiguousarray(obj, dtype)` as a 1-D array, or `glia.FieldError` at `path`.
fn array1<'py, T: numpy::Element>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    dtype: &str,
    path: &str,
) -> PyResult<PyReadonlyArray1<'py, T>> {
    let a = py
        .import("numpy")?
        .call_method1("ascontiguousarray", (obj, dtype))
        .map_err(|e| field_error(py, path, format!("not an array of numbers: {e}")))?;
    let ndim: usize = a.getattr("ndim")?.extract()?;
    if ndim != 1 {
        return Err(field_error(
            py,
            path,
            format!("expected a 1-D array, got {ndim} dimensions"),
        ));
    }
    Ok(a.extract()?)
}

#[pymethods]
impl Network {
    /// Simulate `duration_ms` more milliseconds (rounded to whole steps), continuing from the
    /// current state. Without a duration, run to the end of the model's `simulation.duration`.
    ///
    /// `progress(done_steps, total_steps)` is called about 200 times per run; returning
    /// `False` stops the run early. The GIL is released while simulating; Ctrl-C stops the
    /// run after the step in progress and raises `KeyboardInterrupt` (the network stays
    /// usable).
    ///
    /// `on_nan` says what a NaN or infinity in a state variable does, as the command line's
    /// `--on-nan`: the state is checked every 20 steps and after the last one
    /// (`glia_sim::health`); `"error"` (the default) stops the run at the check that finds it
    /// and raises `glia.NumericalError` naming the population, neuron, variable and step (the
    /// network stays readable); `"warn"` issues one `glia.NumericalWarning` and runs on
    /// without further checks (in this run and later ones with `"warn"`); `"off"` does not
    /// check.
    ///
    /// Returns `{"steps", "wall_s", "events", "complete", "t_ms", "fault"}` (`fault`: the
    /// warning's text with `on_nan="warn"`, else `None`).
    #[pyo3(signature = (duration_ms=None, progress=None, on_nan="error"))]
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        duration_ms: Option<f64>,
        progress: Option<Py<PyAny>>,
        on_nan: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dt = self.net.dt;
        let on_nan: OnNan = on_nan
            .parse()
            .map_err(|e: String| field_error(py, "on_nan", e))?;
        let steps = match duration_ms {
            None if self.open_ended => {
                return Err(field_error(
                    py,
                    "duration_ms",
                    "this model has no simulation.duration: give the time to run, e.g. net.run(100.0)",
                ));
            }
            None => self.net.planned_steps.saturating_sub(self.net.step),
            Some(d) if !d.is_finite() || d < 0.0 => {
                return Err(field_error(
                    py,
                    "duration_ms",
                    format!("must be a time ≥ 0 ms, got {d}"),
                ));
            }
            Some(d) => glia_core::time::to_steps(d, dt).0 as u64,
        };
        // Python signal handlers run only in the main thread, so signals are checked on the
        // calling thread: inside the progress callback when the network runs on this thread
        // (one thread), or while waiting for the simulation thread (a pool of threads, whose
        // workers call the progress callback).
        let single = self.net.threads <= 1;
        let nan_warned = self.nan_warned;
        let net = &mut self.net;
        let stop = AtomicBool::new(false);
        let failure: Mutex<Option<PyErr>> = Mutex::new(None);
        let fail = |e: PyErr| {
            let mut f = failure.lock().unwrap_or_else(|p| p.into_inner());
            f.get_or_insert(e);
        };
        let mut last = Instant::now();
        // The user's callback sees the whole run: about 200 reports, `done` counted from its
        // start.
        let every = (steps / 200).max(1);
        let mut next_report = every;
        let mut report = |done: u64| -> bool {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            let check_here = single && last.elapsed() >= SIGNAL_CHECK;
            let call = progress.is_some() && (done >= next_report || done == steps);
            if !call && !check_here {
                return true;
            }
            if check_here {
                last = Instant::now();
            }
            if call {
                next_report = (done / every + 1) * every;
            }
            let go_on = Python::attach(|py| {
                if check_here && let Err(e) = py.check_signals() {
                    fail(e);
                    return false;
                }
                if let (true, Some(cb)) = (call, &progress) {
                    match cb.call1(py, (done, steps)) {
                        Ok(v) if v.bind(py).is(PyBool::new(py, false)) => return false,
                        Ok(_) => {}
                        Err(e) => {
                            fail(e);
                            return false;
                        }
                    }
                }
                true
            });
            if !go_on {
                stop.store(true, Ordering::Relaxed);
            }
            go_on
        };
        // The run goes in chunks of at most CHUNK steps (runs continue exactly, so this changes
        // no result): `Network::run` reports every 1/200 of a call, so a stop is noticed within
        // CHUNK / 200 steps however long the run.
        // Returns the stats, the fault that stopped the run (`on_nan = "error"`) and the first
        // fault found with `on_nan = "warn"` (after which checking stops, as in the CLI).
        let mut run_chunks = |net: &mut glia_sim::Network| {
            let mut total = glia_sim::RunStats {
                complete: true,
                ..Default::default()
            };
            let (mut fault, mut warned) = (None, None::<Fault>);
            let mut mode = if on_nan == OnNan::Warn && nan_warned {
                OnNan::Off
            } else {
                on_nan
            };
            while total.steps < steps && !stop.load(Ordering::Relaxed) && fault.is_none() {
                let (base, n) = (total.steps, (steps - total.steps).min(CHUNK));
                let (st, f) = run_checked(net, n, mode, &mut |p| report(base + p.done), &mut |f| {
                    warned.get_or_insert_with(|| f.clone());
                });
                fault = f;
                if warned.is_some() {
                    mode = OnNan::Off;
                }
                total.steps += st.steps;
                total.wall_s += st.wall_s;
                total.events += st.events;
            }
            total.complete = total.steps == steps;
            (total, fault, warned)
        };
        let stats = py.detach(|| {
            if single {
                return run_chunks(net);
            }
            let (done, finished) = mpsc::channel::<()>();
            std::thread::scope(|s| {
                let sim = s.spawn(move || {
                    let stats = run_chunks(net);
                    let _ = done.send(());
                    stats
                });
                while let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(SIGNAL_CHECK)
                {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        fail(e);
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                sim.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        });
        let (stats, fault, warned) = stats;
        self.nan_warned |= warned.is_some();
        if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        if let Some(f) = fault {
            return Err(numerical_error(py, &f));
        }
        let d = PyDict::new(py);
        if let Some(f) = &warned {
            let text = format!("{f} (on_nan=\"warn\": running on)");
            let category = py.import("glia.errors")?.getattr("NumericalWarning")?;
            let msg = std::ffi::CString::new(text.clone()).unwrap_or_default();
            PyErr::warn(py, &category, &msg, 1)?;
            d.set_item("fault", text)?;
        } else {
            d.set_item("fault", py.None())?;
        }
        d.set_item("steps", stats.steps)?;
        d.set_item("wall_s", stats.wall_s)?;
        d.set_item("events", stats.events)?;
        d.set_item("complete", stats.complete)?;
        d.set_item("t_ms", self.net.step as f64 * dt)?;
        Ok(d)
    }

    /// Simulated time so far \[ms\].
    #[getter]
    fn t(&self) -> f64 {
        self.net.step as f64 * self.net.dt
    }

    /// Steps simulated so far.
    #[getter]
    fn step(&self) -> u64 {
        self.net.step
    }

    /// Time step \[ms\].
    #[getter]
    fn dt(&self) -> f64 {
        self.net.dt
    }

    /// Seed of every random stream.
    #[getter]
    fn seed(&self) -> u64 {
        self.net.seed
    }

    /// Worker threads.
    #[getter]
    fn threads(&self) -> usize {
        self.net.threads
    }

    /// `simulation.duration` of the model \[ms\] (`None` for an open-ended model).
    #[getter]
    fn duration(&self) -> Option<f64> {
        (!self.open_ended).then_some(self.net.planned_steps as f64 * self.net.dt)
    }

    /// `[parameters]` after overrides.
    #[getter]
    fn parameters(&self) -> BTreeMap<String, f64> {
        self.parameters.clone()
    }

    /// Population names, in model order.
    #[getter]
    fn populations(&self) -> Vec<String> {
        self.net.pops.iter().map(|p| p.name.clone()).collect()
    }

    /// Projection names, in model order.
    #[getter]
    fn projections(&self) -> Vec<String> {
        self.net.projs.iter().map(|p| p.name.clone()).collect()
    }

    /// Number of neurons of population `pop`.
    fn size(&self, py: Python<'_>, pop: &str) -> PyResult<usize> {
        Ok(self.net.pops[self.pop(py, pop)?].size)
    }

    /// Neuron model name of population `pop`.
    fn model(&self, py: Python<'_>, pop: &str) -> PyResult<String> {
        Ok(self.net.pops[self.pop(py, pop)?].model_name.clone())
    }

    /// State variable names of population `pop` (what `state` and state monitors read).
    fn variables(&self, py: Python<'_>, pop: &str) -> PyResult<Vec<String>> {
        Ok(self.net.pops[self.pop(py, pop)?].variables.clone())
    }

    /// Receptor port names of population `pop`.
    fn ports(&self, py: Python<'_>, pop: &str) -> PyResult<Vec<String>> {
        let p = &self.net.pops[self.pop(py, pop)?];
        Ok(p.ports.iter().map(|p| p.name.clone()).collect())
    }

    /// Current values of state variable `var` of every neuron of `pop` (float64, physical
    /// units: mV, pA, nS).
    fn state<'py>(
        &self,
        py: Python<'py>,
        pop: &str,
        var: &str,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let p = self.pop(py, pop)?;
        match self.net.state(p, var) {
            Some(v) => Ok(v.into_pyarray(py)),
            None => Err(not_found(
                py,
                &format!("{pop}.{var}"),
                format!(
                    "population \"{pop}\" (model \"{}\") has no state variable \"{var}\" (it has: {})",
                    self.net.pops[p].model_name,
                    self.net.pops[p].variables.join(", ")
                ),
            )),
        }
    }

    /// Set state variable `var` of every neuron of `pop` from an array (one value per neuron).
    fn set_state(
        &mut self,
        py: Python<'_>,
        pop: &str,
        var: &str,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let p = self.pop(py, pop)?;
        let a = array1::<f64>(py, values, "float64", &format!("{pop}.{var}"))?;
        self.net
            .set_state(p, var, a.as_slice()?)
            .map_err(|e| model_error(py, e))
    }

    /// Weights of projection `proj`, one per synapse (float32, pA or nS) in storage order:
    /// the order of `connectivity(proj)`.
    fn weights<'py>(&self, py: Python<'py>, proj: &str) -> PyResult<Bound<'py, PyArray1<f32>>> {
        Ok(self.net.weights(self.proj(py, proj)?).into_pyarray(py))
    }

    /// Replace the weights of projection `proj` (same order and length as `weights(proj)`).
    fn set_weights(
        &mut self,
        py: Python<'_>,
        proj: &str,
        values: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let k = self.proj(py, proj)?;
        let a = array1::<f32>(py, values, "float32", &format!("{proj}.weight"))?;
        self.net
            .set_weights(k, a.as_slice()?)
            .map_err(|e| model_error(py, e))
    }

    /// `(sources, targets, delays_ms)` of every synapse of projection `proj`, in storage order
    /// (by source, then target): uint32 indices within the populations and float64 delays.
    #[allow(clippy::type_complexity)]
    fn connectivity<'py>(
        &self,
        py: Python<'py>,
        proj: &str,
    ) -> PyResult<(
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<u32>>,
        Bound<'py, PyArray1<f64>>,
    )> {
        let k = self.proj(py, proj)?;
        let dt = self.net.dt;
        let delays: Vec<f64> = self
            .net
            .synapse_delays(k)
            .into_iter()
            .map(|d| f64::from(d) * dt)
            .collect();
        Ok((
            self.net.synapse_sources(k).into_pyarray(py),
            self.net.synapse_targets(k).into_pyarray(py),
            delays.into_pyarray(py),
        ))
    }

    /// Set the rates \[Hz\] of a `poisson` population, one per neuron (e.g. pixel intensities);
    /// they apply from the next step.
    fn set_rates(&mut self, py: Python<'_>, pop: &str, rates: &Bound<'_, PyAny>) -> PyResult<()> {
        let p = self.pop(py, pop)?;
        let a = array1::<f64>(py, rates, "float64", &format!("{pop}.params.rate"))?;
        self.net
            .set_rates(p, a.as_slice()?)
            .map_err(|e| model_error(py, e))
    }

    /// Recorded spikes of population `pop` as `(times_ms, ids)` (float64 and uint32); needs a
    /// spike monitor on `pop`. A spike of the step from `s·dt` to `(s+1)·dt` has time
    /// `(s+1)·dt`.
    #[allow(clippy::type_complexity)]
    fn spikes<'py>(
        &self,
        py: Python<'py>,
        pop: &str,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<u32>>)> {
        let p = self.pop(py, pop)?;
        let m = self
            .net
            .monitors
            .spikes
            .iter()
            .find(|m| m.pop == p)
            .ok_or_else(|| {
                not_found(
                    py,
                    pop,
                    format!("population \"{pop}\" has no spike monitor (add [[monitors]] kind = \"spikes\")"),
                )
            })?;
        let dt = self.net.dt;
        let times: Vec<f64> = m.steps.iter().map(|&s| (s + 1) as f64 * dt).collect();
        Ok((times.into_pyarray(py), PyArray1::from_slice(py, &m.ids)))
    }

    /// Population rate of `pop` from its rate monitor as `(t_ms, rate_hz)`: bin starts and
    /// the rate in each bin.
    #[allow(clippy::type_complexity)]
    fn rates<'py>(
        &self,
        py: Python<'py>,
        pop: &str,
    ) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
        let p = self.pop(py, pop)?;
        let m = self
            .net
            .monitors
            .rates
            .iter()
            .find(|m| m.pop == p)
            .ok_or_else(|| {
                not_found(
                    py,
                    pop,
                    format!("population \"{pop}\" has no rate monitor (add [[monitors]] kind = \"rate\")"),
                )
            })?;
        let (dt, n) = (self.net.dt, self.net.pops[p].size as f64);
        let bin_ms = m.bin as f64 * dt;
        let t: Vec<f64> = (0..m.counts.len()).map(|k| k as f64 * bin_ms).collect();
        let r: Vec<f64> = m
            .counts
            .iter()
            .map(|&c| c as f64 / n / (bin_ms / 1000.0))
            .collect();
        Ok((t.into_pyarray(py), r.into_pyarray(py)))
    }

    /// Names of the state monitors.
    #[getter]
    fn state_monitors(&self) -> Vec<String> {
        self.net
            .monitors
            .state
            .iter()
            .map(|m| m.name.clone())
            .collect()
    }

    /// Samples of state monitor `name`: `{"t": times_ms, "ids": ids, VAR: samples × ids}`.
    fn recorded<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
        let m = self
            .net
            .monitors
            .state
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| {
                not_found(
                    py,
                    "monitor",
                    format!(
                        "no state monitor \"{name}\" (state monitors: {})",
                        self.state_monitors().join(", ")
                    ),
                )
            })?;
        let dt = self.net.dt;
        let d = PyDict::new(py);
        let t: Vec<f64> = m.steps.iter().map(|&s| (s + 1) as f64 * dt).collect();
        d.set_item("t", t.into_pyarray(py))?;
        d.set_item("ids", PyArray1::from_slice(py, &m.ids))?;
        for (var, data) in m.variables.iter().zip(&m.data) {
            let a = PyArray1::from_slice(py, data).reshape([m.steps.len(), m.ids.len()])?;
            let a: Bound<'py, PyArray2<f64>> = a;
            d.set_item(var, a)?;
        }
        Ok(d)
    }

    /// Forget what the monitors recorded so far (spike counts in `summary` are kept).
    fn clear_recordings(&mut self) {
        self.net.clear_recordings();
    }

    /// Per population: size, spikes since the start, mean rate \[Hz\] and mean CV of ISIs
    /// (`None` when no neuron has two intervals) — the figures of `summary.json`.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        let secs = self.net.step as f64 * self.net.dt / 1000.0;
        for (p, st) in self.net.pops.iter().zip(&self.net.stats) {
            let d = PyDict::new(py);
            d.set_item("size", p.size)?;
            d.set_item("model", &p.model_name)?;
            d.set_item("spikes", st.total)?;
            d.set_item(
                "rate_hz",
                if secs > 0.0 {
                    st.total as f64 / (p.size as f64 * secs)
                } else {
                    0.0
                },
            )?;
            d.set_item("cv_isi", st.mean_cv())?;
            out.set_item(&p.name, d)?;
        }
        Ok(out)
    }

    /// Total synapses.
    #[getter]
    fn synapses(&self) -> u64 {
        self.net.synapses()
    }

    /// Write `spikes.npz`, `state.npz`, `rates.npz` and `summary.json` into `out_dir` (as
    /// `glia run`; `glia plot OUT_DIR` draws them). Returns the files written. `summary.json`
    /// says `"complete": true` only once the run has reached `simulation.duration` (never for
    /// an open-ended model).
    fn write(&self, py: Python<'_>, out_dir: PathBuf) -> PyResult<Vec<PathBuf>> {
        let info = glia_sim::output::RunInfo {
            model_path: &self.origin,
            run: glia_sim::RunStats {
                steps: self.net.step,
                wall_s: 0.0,
                events: self.net.events,
                complete: true,
            },
            parameters: &self.parameters,
        };
        glia_sim::output::write_outputs(&self.net, Path::new(&out_dir), &info)
            .map_err(|e| error(py, "FileError", e.to_string(), None, e.to_string()))
    }

    fn __repr__(&self) -> String {
        let pops: Vec<String> = self
            .net
            .pops
            .iter()
            .map(|p| format!("{} ({} {})", p.name, p.size, p.model_name))
            .collect();
        format!(
            "<glia.Network t={} ms, dt={} ms: {}; {} projections, {} synapses>",
            self.t(),
            self.net.dt,
            pops.join(", "),
            self.net.projs.len(),
            self.net.synapses()
        )
    }
}

/// The native module `glia._glia`.
#[pymodule]
fn _glia(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(loads, m)?)?;
    m.add_function(wrap_pyfunction!(build, m)?)?;
    m.add_function(wrap_pyfunction!(dumps, m)?)?;
    m.add_class::<Network>()?;
    readout::register(m)?;
    tasks::register(m)?;
    reservoir::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

//! Reservoir experiments declared in TOML: a glia model file plus the tables `[reservoir]`,
//! `[task]` and `[readout]` (see `docs/reservoir.md`). [`run_text`] builds the network, drives
//! it with the task's input, fits the readout and returns the metrics.

use crate::adapt::{EiAdapt, Phase, Targets, check_schedule};
use crate::error::{ReservoirError, Result};
use crate::esn::{
    Esn, FeatureKind, InputDist, InputLink, dense_projection, draw_input_weights, read_matrix,
};
use crate::fast::{FastEsn, Nonlinearity};
use crate::metrics::{nrmse, r2, valid_steps};
use crate::readout::{Logistic, Optimiser, Ridge, ridge_cv};
use crate::tasks::{MackeyGlass, narma10, patterns, uniform};
use faer::{Mat, MatRef};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One name or several.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn list(&self) -> Vec<String> {
        match self {
            Names::One(s) => vec![s.clone()],
            Names::Many(v) => v.clone(),
        }
    }
}

/// `[reservoir]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReservoirSpec {
    /// Populations that receive the input.
    input: Names,
    /// Populations whose state is read out (default: the input populations).
    features: Option<Names>,
    /// Port of the input populations (default: the first).
    port: Option<String>,
    #[serde(default = "one")]
    input_scaling: f64,
    #[serde(default = "one")]
    input_connectivity: f64,
    /// `"uniform"` or `"bernoulli"`.
    #[serde(default = "uniform_name")]
    input_weights: String,
    /// `.npy` of input weights, `N × dim` (N: neurons of the input populations together).
    input_file: Option<String>,
    /// A dense recurrent matrix from a file.
    recurrent: Option<RecurrentSpec>,
    /// Ratio of total inhibitory to total excitatory weight.
    ei_balance: Option<f64>,
    /// Self-adapting E/I balance.
    adapt: Option<AdaptSpec>,
    /// `"auto"` (the dedicated echo-state kernel when the model is a plain ESN, see
    /// [`crate::fast`]) or `"engine"` (always glia-sim's step).
    #[serde(default = "auto_name")]
    kernel: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecurrentSpec {
    population: String,
    file: String,
    port: Option<String>,
    spectral_radius: Option<f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdaptSpec {
    /// Learning rate of a one-phase schedule (with `steps`).
    delta: Option<f64>,
    /// A number (homogeneous) or `{ beta = [a, b] }`.
    target: TargetSpec,
    /// Steps of a one-phase schedule (with `delta`).
    steps: Option<usize>,
    /// Phases `{ steps, delta }` (instead of `delta` and `steps`).
    schedule: Option<Vec<PhaseSpec>>,
    /// Apply the one-step design (Eq. 8) before the schedule.
    #[serde(default)]
    one_step: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhaseSpec {
    steps: usize,
    delta: f64,
}

impl AdaptSpec {
    /// The validated schedule.
    fn phases(&self) -> Result<Vec<Phase>> {
        let phases = match (&self.schedule, self.delta, self.steps) {
            (Some(s), None, None) => {
                let v: Vec<Phase> = s
                    .iter()
                    .map(|p| Phase {
                        steps: p.steps,
                        delta: p.delta,
                    })
                    .collect();
                check_schedule(&v, "reservoir.adapt.schedule")?;
                v
            }
            (None, Some(delta), Some(steps)) => {
                if !(delta > 0.0 && delta.is_finite()) {
                    return Err(ReservoirError::invalid(
                        "reservoir.adapt.delta",
                        format!("must be > 0 and finite, got {delta}"),
                    ));
                }
                vec![Phase { steps, delta }]
            }
            (Some(_), _, _) => {
                return Err(ReservoirError::invalid(
                    "reservoir.adapt.schedule",
                    "give either schedule or delta and steps, not both",
                ));
            }
            _ => {
                return Err(ReservoirError::invalid(
                    "reservoir.adapt",
                    "needs delta and steps (one phase) or schedule = [{ steps, delta }, ...]",
                ));
            }
        };
        if !self.one_step && phases.iter().all(|p| p.steps == 0) {
            return Err(ReservoirError::invalid(
                "reservoir.adapt",
                "nothing to do: no adaptation steps and one_step = false",
            ));
        }
        Ok(phases)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum TargetSpec {
    Same(f64),
    Beta { beta: [f64; 2] },
}

/// `[task]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskSpec {
    kind: String,
    /// Samples at the start of the training segment that are run but not fitted.
    #[serde(default)]
    washout: usize,
    /// Training samples (the washout included).
    train: usize,
    /// Test samples.
    test: usize,
    /// Memory capacity: largest delay `k`.
    max_delay: Option<usize>,
    /// The input series (memory capacity, NARMA) or the Mackey–Glass series, `.npy`.
    input_file: Option<String>,
    /// Mackey–Glass: free-running steps after the test segment (0: none).
    #[serde(default)]
    horizon: usize,
    /// Mackey–Glass: valid-time threshold on |y − ŷ| / std(y).
    #[serde(default = "point_four")]
    threshold: f64,
    /// Mackey–Glass: samples discarded from the start of the generated series.
    #[serde(default)]
    transient: usize,
    /// Classification: number of classes.
    classes: Option<usize>,
    /// Classification: samples per presentation.
    length: Option<usize>,
    /// Classification: amplitude of the uniform noise added to every sample.
    noise: Option<f64>,
    /// Periodic: periods of the sines \[ms\].
    periods: Option<Vec<f64>>,
    /// Periodic: their amplitudes (default 1 each).
    amplitudes: Option<Vec<f64>>,
    seed: Option<u64>,
}

/// `[readout]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadoutSpec {
    #[serde(default = "ridge_name")]
    kind: String,
    alpha: Option<f64>,
    alphas: Option<Vec<f64>>,
    #[serde(default = "five")]
    folds: usize,
    /// Logistic: L2 penalty λ.
    lambda: Option<f64>,
    /// Logistic: iteration limit of the full-batch optimiser.
    max_iter: Option<usize>,
    /// `"state"` (default), `"counts"` or `"trace"` (spiking feature populations).
    #[serde(default = "state_name")]
    features: String,
    /// Counts: window \[ms\].
    window: Option<f64>,
    /// Trace: time constant \[ms\].
    tau: Option<f64>,
    /// Classification: times within a presentation \[ms\] at which the features are sampled
    /// (concatenated); default its end.
    sample_times: Option<Vec<f64>>,
    /// FORCE: steps between RLS updates.
    every: Option<usize>,
}

fn one() -> f64 {
    1.0
}
fn point_four() -> f64 {
    0.4
}
fn five() -> usize {
    5
}
fn uniform_name() -> String {
    "uniform".into()
}
fn auto_name() -> String {
    "auto".into()
}
fn ridge_name() -> String {
    "ridge".into()
}
fn state_name() -> String {
    "state".into()
}

fn section<T: serde::de::DeserializeOwned>(
    table: &mut toml::Table,
    name: &str,
) -> Result<Option<T>> {
    let Some(v) = table.remove(name) else {
        return Ok(None);
    };
    serde_path_to_error::deserialize(v).map(Some).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            name.to_string()
        } else {
            format!("{name}.{path}")
        };
        ReservoirError::invalid(path, e.inner().to_string())
    })
}

/// Whether TOML text is a reservoir experiment (has a `[task]` table).
pub fn is_experiment(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("task"))
}

/// What [`run_text`] returns.
pub struct Outcome {
    /// The metrics (written to `metrics.json` by [`write_metrics`]).
    pub metrics: Value,
    /// The reservoir after the run (its monitors hold what they recorded).
    pub esn: Esn,
}

fn find_pop(model: &glia_spec::Model, name: &str, field: &str) -> Result<usize> {
    model
        .populations
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| ReservoirError::invalid(field, format!("no population named {name:?}")))
}

fn resolve(base: &Path, f: &str) -> PathBuf {
    let p = Path::new(f);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Read a 1-D series from `.npy`; checked finite.
fn read_series(path: &Path, field: &str) -> Result<Vec<f64>> {
    let (r, _, v) = read_matrix(path, field, None, Some(1))?;
    debug_assert_eq!(r, v.len());
    Ok(v)
}

/// Run an experiment given as TOML text; relative paths are resolved against `base`.
pub fn run_text(text: &str, base: &Path, overrides: &glia_spec::Overrides) -> Result<Outcome> {
    run_inner(text, base, overrides, false)
}

/// Check an experiment without running it: the model, the network build, the reservoir,
/// task and readout fields and any files (everything [`run_text`] checks before its first
/// step). Returns the reservoir as [`run_text`] would start it.
pub fn validate_text(text: &str, base: &Path, overrides: &glia_spec::Overrides) -> Result<Esn> {
    run_inner(text, base, overrides, true).map(|o| o.esn)
}

fn run_inner(
    text: &str,
    base: &Path,
    overrides: &glia_spec::Overrides,
    dry: bool,
) -> Result<Outcome> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| ReservoirError::Io {
        path: "<experiment>".into(),
        message: format!("TOML syntax error: {}", e.to_string().trim_end()),
    })?;
    let res: ReservoirSpec = section(&mut table, "reservoir")?
        .ok_or_else(|| ReservoirError::invalid("reservoir", "missing [reservoir] table"))?;
    let task: TaskSpec = section(&mut table, "task")?
        .ok_or_else(|| ReservoirError::invalid("task", "missing [task] table"))?;
    let readout: ReadoutSpec = section(&mut table, "readout")?.unwrap_or(ReadoutSpec {
        kind: "ridge".into(),
        alpha: None,
        alphas: None,
        folds: 5,
        lambda: None,
        max_iter: None,
        features: state_name(),
        window: None,
        tau: None,
        sample_times: None,
        every: None,
    });
    let rest = toml::to_string(&table).map_err(|e| ReservoirError::Numerical(e.to_string()))?;
    let mut model = glia_spec::parse(&rest, base, overrides)?;
    let seed = task.seed.unwrap_or(model.seed);

    // Task checks first: they need no network.
    if task.train <= task.washout {
        return Err(ReservoirError::invalid(
            "task.train",
            format!(
                "{} training samples are not more than task.washout = {} (the washout is \
                 discarded from the training samples)",
                task.train, task.washout
            ),
        ));
    }
    if task.test == 0 {
        return Err(ReservoirError::invalid("task.test", "must be ≥ 1"));
    }

    // A dense recurrent matrix.
    if let Some(rec) = &res.recurrent {
        let p = find_pop(&model, &rec.population, "reservoir.recurrent.population")?;
        let n = model.populations[p].size;
        if let Some(r) = rec.spectral_radius
            && !(r > 0.0 && r.is_finite())
        {
            return Err(ReservoirError::invalid(
                "reservoir.recurrent.spectral_radius",
                format!("must be > 0, got {r}"),
            ));
        }
        let path = resolve(base, &rec.file);
        let (r, c, w) = read_matrix(&path, "reservoir.recurrent.file", None, None)?;
        if r != c || r != n {
            return Err(ReservoirError::invalid(
                "reservoir.recurrent.file",
                format!(
                    "{}: shape {r} × {c}; the recurrent matrix of population {:?} must be \
                     square, {n} × {n}",
                    path.display(),
                    rec.population
                ),
            ));
        }
        let port = rec.port.clone().unwrap_or_else(|| "in".into());
        let proj = dense_projection(&model, p, &port, n, &w, rec.spectral_radius);
        model.projections.push(proj);
    }

    let model_dt = model.dt;
    let mut net = glia_sim::build::build(&model)?;
    let inputs_names = res.input.list();
    let feature_names = res.features.as_ref().unwrap_or(&res.input).list();
    let mut input_pops = Vec::new();
    for (k, name) in inputs_names.iter().enumerate() {
        input_pops.push(find_pop(&model, name, &format!("reservoir.input[{k}]"))?);
    }
    let mut features = Vec::new();
    for (k, name) in feature_names.iter().enumerate() {
        let p = find_pop(&model, name, &format!("reservoir.features[{k}]"))?;
        features.push((p, 0usize));
    }
    let reservoir_pops: Vec<usize> = {
        let mut v: Vec<usize> = input_pops
            .iter()
            .chain(features.iter().map(|f| &f.0))
            .copied()
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    if let Some(b) = res.ei_balance {
        crate::esn::set_ei_balance(&mut net, &reservoir_pops, b)?;
    }

    // Task data. `dim` is 1 for every built-in task.
    let dim = 1;
    let phases = match &res.adapt {
        Some(a) => a.phases()?,
        None => Vec::new(),
    };
    let adapt_steps: usize = phases.iter().map(|p| p.steps).sum();
    let classify = task.kind == "classification";
    // Steps per sample: a classification sample is a whole presentation.
    let per = if classify {
        match task.length {
            Some(l) if l >= 1 => l,
            _ => {
                return Err(ReservoirError::invalid(
                    "task.length",
                    "classification needs length ≥ 1 (samples per presentation)",
                ));
            }
        }
    } else {
        1
    };
    let n_run = adapt_steps + (task.train + task.test) * per;
    let mut labels = Vec::new();
    let file_series = |needed: usize| -> Result<Option<Vec<f64>>> {
        let Some(f) = &task.input_file else {
            return Ok(None);
        };
        let path = resolve(base, f);
        let v = read_series(&path, "task.input_file")?;
        if v.len() < needed {
            return Err(ReservoirError::invalid(
                "task.input_file",
                format!(
                    "{}: {} samples, the task needs {needed} (adaptation {adapt_steps} + train {} \
                     + test {}{})",
                    path.display(),
                    v.len(),
                    task.train,
                    task.test,
                    if task.kind == "mackey_glass" {
                        " + horizon + 1"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(Some(v))
    };
    // (input u(t), target per output y(t), number of outputs)
    let (u, targets, k_out, extra): (Vec<f64>, Vec<f64>, usize, Vec<f64>) = match task.kind.as_str()
    {
        "memory_capacity" => {
            let kmax = task.max_delay.unwrap_or(0);
            if kmax == 0 {
                return Err(ReservoirError::invalid(
                    "task.max_delay",
                    "memory_capacity needs max_delay ≥ 1",
                ));
            }
            if task.washout < kmax {
                return Err(ReservoirError::invalid(
                    "task.washout",
                    format!(
                        "must be ≥ task.max_delay = {kmax} (delayed targets need that much history), got {}",
                        task.washout
                    ),
                ));
            }
            let u = file_series(n_run)?.unwrap_or_else(|| uniform(seed, 0, n_run, -1.0, 1.0));
            let mut y = vec![0.0; n_run * kmax];
            for t in 0..n_run {
                for k in 1..=kmax {
                    y[t * kmax + k - 1] = if t >= k { u[t - k] } else { 0.0 };
                }
            }
            (u[..n_run].to_vec(), y, kmax, Vec::new())
        }
        "narma10" => {
            let u = file_series(n_run)?.unwrap_or_else(|| uniform(seed, 0, n_run, 0.0, 0.5));
            let u = u[..n_run].to_vec();
            let y = narma10(&u);
            (u, y, 1, Vec::new())
        }
        "mackey_glass" => {
            let needed = n_run + task.horizon + 1;
            let s = match file_series(needed)? {
                Some(s) => s,
                None => MackeyGlass::default().generate(task.transient + needed)?[task.transient..]
                    .to_vec(),
            };
            let u = s[..n_run].to_vec();
            let y = s[1..=n_run].to_vec();
            let extra = s[n_run + 1..needed].to_vec();
            (u, y, 1, extra)
        }
        "classification" => {
            let classes = task.classes.unwrap_or(2);
            let pat = patterns(
                seed,
                classes,
                per,
                task.train + task.test,
                task.noise.unwrap_or(0.0),
            )?;
            let mut u = uniform(seed, 0, adapt_steps, -1.0, 1.0);
            u.extend_from_slice(&pat.input);
            labels = pat.labels;
            (u, Vec::new(), classes, Vec::new())
        }
        "periodic" => {
            let periods = task.periods.clone().unwrap_or_default();
            if periods.is_empty() {
                return Err(ReservoirError::invalid(
                    "task.periods",
                    "periodic needs at least one period [ms]",
                ));
            }
            if let Some(p) = periods.iter().find(|p| !(**p > 0.0 && p.is_finite())) {
                return Err(ReservoirError::invalid(
                    "task.periods",
                    format!("every period must be > 0 [ms], got {p}"),
                ));
            }
            let amps = task
                .amplitudes
                .clone()
                .unwrap_or_else(|| vec![1.0; periods.len()]);
            if amps.len() != periods.len() || amps.iter().any(|a| !a.is_finite()) {
                return Err(ReservoirError::invalid(
                    "task.amplitudes",
                    format!(
                        "needs one finite amplitude per period ({}), got {:?}",
                        periods.len(),
                        amps
                    ),
                ));
            }
            let y = crate::force::sum_of_sines(n_run, model_dt, &periods, &amps);
            (vec![0.0; n_run], y, 1, Vec::new())
        }
        other => {
            return Err(ReservoirError::invalid(
                "task.kind",
                format!(
                    "unknown task {other:?}: use \"memory_capacity\", \"narma10\", \"mackey_glass\", \
                     \"classification\" or \"periodic\""
                ),
            ));
        }
    };

    // Input weights.
    let port_index = |p: usize| -> Result<usize> {
        match &res.port {
            None => Ok(0),
            Some(name) => net.pops[p]
                .ports
                .iter()
                .position(|q| &q.name == name)
                .ok_or_else(|| {
                    ReservoirError::invalid(
                        "reservoir.port",
                        format!("population {:?} has no port {name:?}", net.pops[p].name),
                    )
                }),
        }
    };
    let dist = match res.input_weights.as_str() {
        "uniform" => InputDist::Uniform,
        "bernoulli" => InputDist::Bernoulli,
        other => {
            return Err(ReservoirError::invalid(
                "reservoir.input_weights",
                format!("unknown {other:?}: use \"uniform\" or \"bernoulli\""),
            ));
        }
    };
    if !(res.input_connectivity > 0.0 && res.input_connectivity <= 1.0) {
        return Err(ReservoirError::invalid(
            "reservoir.input_connectivity",
            format!("must be in (0, 1], got {}", res.input_connectivity),
        ));
    }
    if !res.input_scaling.is_finite() {
        return Err(ReservoirError::invalid(
            "reservoir.input_scaling",
            "must be finite",
        ));
    }
    let total_in: usize = input_pops.iter().map(|&p| net.pops[p].size).sum();
    let file_w = match &res.input_file {
        Some(f) => Some(
            read_matrix(
                &resolve(base, f),
                "reservoir.input_file",
                Some(total_in),
                Some(dim),
            )?
            .2,
        ),
        None => None,
    };
    let mut links = Vec::new();
    let mut at = 0;
    for (k, &p) in input_pops.iter().enumerate() {
        let n = net.pops[p].size;
        let weights = match &file_w {
            Some(w) => (0..dim * n)
                .map(|q| (w[(at + q % n) * dim + q / n] * res.input_scaling) as f32)
                .collect(),
            None => draw_input_weights(
                seed,
                k as u32,
                n,
                dim,
                res.input_scaling,
                res.input_connectivity,
                dist,
            ),
        };
        at += n;
        links.push(InputLink {
            pop: p,
            port: port_index(p)?,
            weights,
        });
    }
    let mut esn = Esn::new(net, links, features, dim)?;
    let nf = esn.n_features();
    let use_fast = match res.kernel.as_str() {
        "auto" => true,
        "engine" => false,
        other => {
            return Err(ReservoirError::invalid(
                "reservoir.kernel",
                format!("unknown {other:?}: use \"auto\" or \"engine\""),
            ));
        }
    };
    let kind = match readout.features.as_str() {
        "state" => FeatureKind::State,
        "counts" => {
            let w = readout.window.ok_or_else(|| {
                ReservoirError::invalid(
                    "readout.window",
                    "features = \"counts\" needs a window [ms]",
                )
            })?;
            let steps = (w / model_dt).round();
            if !(w.is_finite() && w >= model_dt * (1.0 - 1e-9)) {
                return Err(ReservoirError::invalid(
                    "readout.window",
                    format!("must be ≥ dt = {model_dt} ms, got {w}"),
                ));
            }
            FeatureKind::Counts {
                window: steps as usize,
            }
        }
        "trace" => {
            let tau = readout.tau.ok_or_else(|| {
                ReservoirError::invalid("readout.tau", "features = \"trace\" needs tau [ms]")
            })?;
            if !(tau > 0.0 && tau.is_finite()) {
                return Err(ReservoirError::invalid(
                    "readout.tau",
                    format!("must be > 0 [ms], got {tau}"),
                ));
            }
            FeatureKind::Trace {
                decay: (-model_dt / tau).exp(),
            }
        }
        other => {
            return Err(ReservoirError::invalid(
                "readout.features",
                format!("unknown {other:?}: use \"state\", \"counts\" or \"trace\""),
            ));
        }
    };
    esn.set_feature_kind(kind, "readout.features")?;
    // Sample offsets within a presentation (steps), classification only.
    let offsets: Vec<usize> = match &readout.sample_times {
        None => vec![per - 1],
        Some(_) if !classify => {
            return Err(ReservoirError::invalid(
                "readout.sample_times",
                "only for task.kind = \"classification\" (other tasks sample every step)",
            ));
        }
        Some(ts) if ts.is_empty() => {
            return Err(ReservoirError::invalid(
                "readout.sample_times",
                "empty list",
            ));
        }
        Some(ts) => {
            let mut v = Vec::new();
            for &t in ts {
                let s = (t / model_dt).round();
                if !(t.is_finite() && s >= 1.0 && s <= per as f64) {
                    return Err(ReservoirError::invalid(
                        "readout.sample_times",
                        format!(
                            "every time must lie in [dt, length·dt] = [{model_dt}, {}] ms, got {t}",
                            per as f64 * model_dt
                        ),
                    ));
                }
                v.push(s as usize - 1);
            }
            v
        }
    };
    let force = readout.kind == "force";
    match readout.kind.as_str() {
        "ridge" if task.kind != "periodic" => {}
        "logistic" if classify => {}
        "force" if task.kind == "periodic" => {}
        "ridge" => {
            return Err(ReservoirError::invalid(
                "readout.kind",
                "task.kind = \"periodic\" is learned by readout.kind = \"force\"",
            ));
        }
        "logistic" => {
            return Err(ReservoirError::invalid(
                "readout.kind",
                format!(
                    "\"logistic\" needs task.kind = \"classification\", got {:?}",
                    task.kind
                ),
            ));
        }
        "force" => {
            return Err(ReservoirError::invalid(
                "readout.kind",
                format!(
                    "\"force\" needs task.kind = \"periodic\", got {:?}",
                    task.kind
                ),
            ));
        }
        other => {
            return Err(ReservoirError::invalid(
                "readout.kind",
                format!(
                    "unknown {other:?}: experiments support \"ridge\", (classification) \
                     \"logistic\" and (periodic) \"force\""
                ),
            ));
        }
    }
    if force && esn.dim != 1 {
        return Err(ReservoirError::invalid(
            "reservoir",
            "FORCE feeds its one output back through the input weights: input dimension must be 1",
        ));
    }
    if dry {
        return Ok(Outcome {
            metrics: Value::Null,
            esn,
        });
    }

    // Adaptation phase.
    let mut info = serde_json::Map::new();
    let t0 = Instant::now();
    let mut x = vec![0.0; nf];
    if let Some(a) = &res.adapt {
        let targets = match a.target {
            TargetSpec::Same(r) => Targets::Homogeneous(r),
            TargetSpec::Beta { beta } => Targets::Beta {
                a: beta[0],
                b: beta[1],
            },
        };
        let delta = phases.first().map_or(1.0, |p| p.delta);
        let mut ad = EiAdapt::new(&esn.net, &reservoir_pops, delta, &targets, seed)?;
        if a.one_step {
            // Mean input: over the adaptation and training samples.
            let n = (adapt_steps + task.train * per).max(1).min(u.len());
            let mean = u[..n].iter().sum::<f64>() / n as f64;
            let d = ad.one_step_design(&mut esn, &[mean])?;
            info.insert("one_step_clipped".into(), json!(d.clipped));
            info.insert(
                "one_step_omega_mean".into(),
                json!(d.omega.iter().sum::<f64>() / d.omega.len().max(1) as f64),
            );
        }
        ad.adapt(&mut esn, &u, &phases, &mut x);
        info.insert("adapt_mean_target".into(), json!(ad.mean_target()));
    }
    // Drive over train + test: the dedicated kernel for a plain ESN, else the engine.
    // (Not after an adaptation phase: the engine's input buffers then hold a pending
    // delivery the kernel cannot hand back.)
    let mut fast = if use_fast && res.adapt.is_none() {
        FastEsn::from_esn(&esn, Nonlinearity::Fast)
    } else {
        None
    };
    let kernel = match &fast {
        Some(f) if f.is_dense() => "fast_dense",
        Some(_) => "fast_sparse",
        None => "engine",
    };
    info.insert("kernel".into(), json!(kernel));
    info.insert("threads".into(), json!(esn.net.threads));
    if force {
        let metrics = force_run(
            &mut esn,
            &mut fast,
            &targets[adapt_steps + task.washout..],
            &task,
            &readout,
            t0,
            info,
        )?;
        if let Some(f) = &fast {
            f.store(&mut esn, (n_run - adapt_steps) as u64);
        }
        return Ok(Outcome { metrics, esn });
    }
    // Features as columns (`F × T`, one contiguous column per step): the kernel writes them so
    // directly and the ridge fit centres its training columns in place (no copies of the
    // feature matrix); `feats` is the `T × F` view.
    let threads = esn.net.threads;
    let mut ft = match &mut fast {
        // On `simulation.threads` threads (bit-identical states for any number).
        Some(f) => f.run_columns_threads(&u[adapt_steps..], threads),
        None => esn.run(&u[adapt_steps..]).transpose().to_owned(),
    };
    let run_s = t0.elapsed().as_secs_f64();
    if classify {
        let metrics = classification(
            ft.transpose(),
            &labels,
            k_out,
            per,
            &offsets,
            &task,
            &readout,
            run_s,
            info,
        )?;
        if let Some(f) = &fast {
            f.store(&mut esn, (n_run - adapt_steps) as u64);
        }
        return Ok(Outcome { metrics, esn });
    }
    let tr = task.washout..task.train;
    let te = task.train..task.train + task.test;
    let tgt = |r: &std::ops::Range<usize>| {
        Mat::from_fn(r.len(), k_out, |i, k| {
            targets[(adapt_steps + r.start + i) * k_out + k]
        })
    };
    let (ytr, yte) = (tgt(&tr), tgt(&te));
    let t1 = Instant::now();
    let alpha = match (&readout.alphas, readout.alpha) {
        (Some(grid), _) => {
            let cv = ridge_cv(samples(&ft, &tr), ytr.as_ref(), grid, readout.folds)?;
            info.insert("cv_scores".into(), json!(cv.scores));
            cv.alpha
        }
        (None, Some(a)) => a,
        (None, None) => 1e-6,
    };
    // The training columns are centred in place: not read again (the test samples and the
    // last state used below come after them).
    // `simulation.threads` threads for the products `XᵀX`, `XᵀY` (bit-identical for any
    // number of threads).
    let ridge = Ridge::fit_columns_in_place_threads(
        ft.as_mut().subcols_mut(tr.start, tr.len()),
        ytr.as_ref(),
        alpha,
        threads,
    )?;
    let fit_s = t1.elapsed().as_secs_f64();
    let pred = ridge.predict(samples(&ft, &te));
    let col = |m: &Mat<f64>, k: usize| (0..m.nrows()).map(|i| m[(i, k)]).collect::<Vec<f64>>();
    let mut metrics = serde_json::Map::new();
    match task.kind.as_str() {
        "memory_capacity" => {
            let per: Vec<f64> = (0..k_out)
                .map(|k| r2(&col(&yte, k), &col(&pred, k)))
                .collect();
            metrics.insert("memory_capacity".into(), json!(per.iter().sum::<f64>()));
            metrics.insert("mc_per_delay".into(), json!(per));
        }
        "narma10" => {
            metrics.insert("nrmse".into(), json!(nrmse(&col(&yte, 0), &col(&pred, 0))));
        }
        _ => {
            metrics.insert(
                "nrmse_one_step".into(),
                json!(nrmse(&col(&yte, 0), &col(&pred, 0))),
            );
            if task.horizon > 0 {
                // Free run: the prediction is the next input.
                let mut out = [0.0];
                ridge.predict_row(&x_last(ft.transpose()), &mut out);
                let mut free = Vec::with_capacity(task.horizon);
                for _ in 0..task.horizon {
                    free.push(out[0]);
                    match &mut fast {
                        Some(f) => {
                            f.step(&out);
                            x.iter_mut()
                                .zip(f.state())
                                .for_each(|(o, &v)| *o = f64::from(v));
                        }
                        None => esn.step(&out, &mut x),
                    }
                    ridge.predict_row(&x, &mut out);
                }
                // `free[h]` predicts the series h + 1 steps after the last teacher input.
                metrics.insert("nrmse_free_run".into(), json!(nrmse(&extra, &free)));
                let v = valid_steps(&extra, &free, task.threshold);
                metrics.insert("valid_steps".into(), json!(v));
                metrics.insert(
                    "valid_time".into(),
                    json!(v as f64 * MackeyGlass::default().sample),
                );
            }
        }
    }
    if let Some(f) = &fast {
        // The network continues from where the kernel left it (state and step count).
        let free_steps = if task.kind == "mackey_glass" {
            task.horizon
        } else {
            0
        };
        f.store(&mut esn, (n_run - adapt_steps + free_steps) as u64);
    }
    let metrics = json!({
        "task": task.kind,
        "metrics": metrics,
        "readout": { "kind": "ridge", "alpha": alpha, "train_samples": tr.len(), "test_samples": te.len() },
        "features": nf,
        "timing_s": { "reservoir_run": run_s, "readout_fit": fit_s },
        "info": info,
    });
    Ok(Outcome { metrics, esn })
}

/// Classification: features are the states at the last sample of each presentation; the
/// readout is softmax regression (`logistic`) or ridge on one-hot targets (`ridge`, arg-max).
#[allow(clippy::too_many_arguments)]
fn classification(
    feats: MatRef<'_, f64>,
    labels: &[usize],
    classes: usize,
    per: usize,
    offsets: &[usize],
    task: &TaskSpec,
    readout: &ReadoutSpec,
    run_s: f64,
    info: serde_json::Map<String, Value>,
) -> Result<Value> {
    let nf = feats.ncols();
    // Features of presentation i: the state at each sample offset, concatenated.
    let rows = |a: usize, b: usize| {
        Mat::from_fn(b - a, nf * offsets.len(), |i, j| {
            feats[((a + i) * per + offsets[j / nf], j % nf)]
        })
    };
    let (xtr, xte) = (
        rows(task.washout, task.train),
        rows(task.train, task.train + task.test),
    );
    let (ltr, lte) = (
        &labels[task.washout..task.train],
        &labels[task.train..task.train + task.test],
    );
    let t1 = Instant::now();
    let acc = |pred: &[usize], l: &[usize]| {
        pred.iter().zip(l).filter(|(a, b)| a == b).count() as f64 / l.len() as f64
    };
    let (train_acc, test_acc, params) = if readout.kind == "logistic" {
        let lambda = readout.lambda.unwrap_or(1e-4);
        let max_iter = readout.max_iter.unwrap_or(2000);
        if max_iter == 0 {
            return Err(ReservoirError::invalid("readout.max_iter", "must be ≥ 1"));
        }
        let m = Logistic::fit(
            xtr.as_ref(),
            ltr,
            classes,
            lambda,
            Optimiser::FullBatch {
                tol: 1e-6,
                max_iter,
            },
        )?;
        (
            acc(&m.predict(xtr.as_ref()), ltr),
            acc(&m.predict(xte.as_ref()), lte),
            json!({ "kind": "logistic", "lambda": lambda, "iterations": m.iterations }),
        )
    } else {
        let alpha = readout.alpha.unwrap_or(1e-6);
        let onehot = Mat::from_fn(ltr.len(), classes, |i, k| f64::from(u8::from(ltr[i] == k)));
        let m = Ridge::fit(xtr.as_ref(), onehot.as_ref(), alpha)?;
        let argmax = |x: &Mat<f64>| -> Vec<usize> {
            let p = m.predict(x.as_ref());
            (0..p.nrows())
                .map(|i| (0..classes).fold(0, |b, k| if p[(i, k)] > p[(i, b)] { k } else { b }))
                .collect()
        };
        (
            acc(&argmax(&xtr), ltr),
            acc(&argmax(&xte), lte),
            json!({ "kind": "ridge", "alpha": alpha }),
        )
    };
    let fit_s = t1.elapsed().as_secs_f64();
    let mut params = params;
    params["train_samples"] = json!(ltr.len());
    params["test_samples"] = json!(lte.len());
    Ok(json!({
        "task": "classification",
        "metrics": { "accuracy": test_acc, "train_accuracy": train_acc, "chance": 1.0 / classes as f64 },
        "readout": params,
        "features": nf * offsets.len(),
        "timing_s": { "reservoir_run": run_s, "readout_fit": fit_s },
        "info": info,
    }))
}

/// Advances the reservoir one step with an input and writes its features.
type Stepper<'a> = Box<dyn FnMut(f64, &mut [f64]) + 'a>;

/// FORCE learning on a periodic target (see [`crate::force`]): `target` from the end of the
/// washout on (training steps, then test steps).
fn force_run(
    esn: &mut Esn,
    fast: &mut Option<FastEsn>,
    target: &[f64],
    task: &TaskSpec,
    readout: &ReadoutSpec,
    t0: Instant,
    info: serde_json::Map<String, Value>,
) -> Result<Value> {
    let alpha = readout.alpha.unwrap_or(1.0);
    let every = readout.every.unwrap_or(2);
    let nf = esn.n_features();
    let train = task.train - task.washout;
    let run = {
        let mut step: Stepper<'_> = match fast {
            Some(f) => Box::new(move |u: f64, x: &mut [f64]| {
                f.step(&[u]);
                x.iter_mut()
                    .zip(f.state())
                    .for_each(|(o, &v)| *o = f64::from(v));
            }),
            None => Box::new(|u: f64, x: &mut [f64]| esn.step(&[u], x)),
        };
        crate::force::run_force(&mut *step, nf, target, task.washout, train, alpha, every)?
    };
    let run_s = t0.elapsed().as_secs_f64();
    let (ytr, yte) = target.split_at(train);
    let half = train / 2;
    Ok(json!({
        "task": "periodic",
        "metrics": {
            "nrmse": nrmse(yte, &run.test_output),
            "nrmse_train": nrmse(&ytr[half..], &run.train_output[half..]),
            "valid_steps": valid_steps(yte, &run.test_output, task.threshold),
        },
        "readout": { "kind": "force", "alpha": alpha, "every": every, "updates": run.updates,
                     "train_samples": train, "test_samples": yte.len() },
        "features": nf,
        "timing_s": { "reservoir_run": run_s, "readout_fit": 0.0 },
        "info": info,
    }))
}

/// Samples `r` of features stored as columns (`F × T`), as a `T × F` view.
fn samples<'a>(ft: &'a Mat<f64>, r: &std::ops::Range<usize>) -> MatRef<'a, f64> {
    ft.transpose().subrows(r.start, r.len())
}

/// The last row of a feature matrix.
fn x_last(m: MatRef<'_, f64>) -> Vec<f64> {
    (0..m.ncols()).map(|j| m[(m.nrows() - 1, j)]).collect()
}

/// Read and check an experiment file without running it (see [`validate_text`]).
pub fn validate_file(path: &Path, overrides: &glia_spec::Overrides) -> Result<Esn> {
    let text = std::fs::read_to_string(path).map_err(|e| ReservoirError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    validate_text(&text, &base, overrides)
}

/// Read and run an experiment file.
pub fn run_file(path: &Path, overrides: &glia_spec::Overrides) -> Result<Outcome> {
    let text = std::fs::read_to_string(path).map_err(|e| ReservoirError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    run_text(&text, &base, overrides)
}

/// Write `metrics.json` into `dir` (atomically).
pub fn write_metrics(dir: &Path, metrics: &Value) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(|e| ReservoirError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let path = dir.join("metrics.json");
    glia_io::write_json_atomic(&path, metrics).map_err(|e| ReservoirError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(path)
}

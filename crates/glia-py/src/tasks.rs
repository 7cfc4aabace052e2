//! Task generators and metrics from Python (glia_reservoir::tasks, glia_reservoir::metrics).
//! `glia.tasks` re-exports them and adds the numpy-only helpers.

use crate::array::{arg_name, reservoir_error, vector};
use crate::field_error;
use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;

/// `n` values i.i.d. uniform in `[low, high)` from the counter-based stream
/// `(seed, ReservoirTask, stream)` (glia_reservoir::tasks::uniform). Stream 0 is the input of
/// the built-in memory-capacity (`[-1, 1)`) and NARMA-10 (`[0, 0.5)`) experiments.
#[pyfunction]
#[pyo3(signature = (n, low=-1.0, high=1.0, seed=1, stream=0))]
pub fn uniform<'py>(
    py: Python<'py>,
    n: usize,
    low: f64,
    high: f64,
    seed: u64,
    stream: u32,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    if !(low.is_finite() && high.is_finite() && low <= high) {
        return Err(field_error(
            py,
            "high",
            format!("need finite low ≤ high, got low = {low}, high = {high}"),
        ));
    }
    Ok(glia_reservoir::tasks::uniform(seed, stream, n, low, high).into_pyarray(py))
}

/// The NARMA-10 target of input `u`: element `t` is `y(t+1)` of
/// `y(t+1) = 0.3 y(t) + 0.05 y(t) Σ_{i=0}^{9} y(t−i) + 1.5 u(t−9) u(t) + 0.1`, `y(t) = 0` for
/// `t < 10` (glia_reservoir::tasks::narma10).
#[pyfunction]
pub fn narma10_target<'py>(
    py: Python<'py>,
    u: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let u = vector(py, u, "u")?;
    Ok(glia_reservoir::tasks::narma10(&u).into_pyarray(py))
}

/// `n` samples of the Mackey–Glass series (glia_reservoir::tasks::MackeyGlass), after
/// discarding `transient` samples.
#[pyfunction]
#[pyo3(signature = (n, tau=17.0, beta=0.2, gamma=0.1, p=10.0, x0=1.2, h=0.1, sample=1.0, transient=0))]
#[allow(clippy::too_many_arguments)]
pub fn mackey_glass<'py>(
    py: Python<'py>,
    n: usize,
    tau: f64,
    beta: f64,
    gamma: f64,
    p: f64,
    x0: f64,
    h: f64,
    sample: f64,
    transient: usize,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let mg = glia_reservoir::tasks::MackeyGlass {
        tau,
        beta,
        gamma,
        p,
        x0,
        h,
        sample,
    };
    let s = py
        .detach(|| mg.generate(transient + n))
        .map_err(|e| reservoir_error(py, e, &arg_name))?;
    Ok(s[transient..].to_vec().into_pyarray(py))
}

/// The pattern-classification task (glia_reservoir::tasks::patterns): `(input, labels)`,
/// `count` noisy presentations of `length` samples each, one after the other, and the class of
/// each (int64).
#[allow(clippy::type_complexity)]
#[pyfunction]
#[pyo3(signature = (count, classes=2, length=10, noise=0.0, seed=1))]
pub fn patterns<'py>(
    py: Python<'py>,
    count: usize,
    classes: usize,
    length: usize,
    noise: f64,
    seed: u64,
) -> PyResult<(Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<i64>>)> {
    let p = glia_reservoir::tasks::patterns(seed, classes, length, count, noise)
        .map_err(|e| reservoir_error(py, e, &arg_name))?;
    let l: Vec<i64> = p.labels.iter().map(|&c| c as i64).collect();
    Ok((p.input.into_pyarray(py), l.into_pyarray(py)))
}

fn same_length(py: Python<'_>, a: &[f64], b: &[f64], bn: &str) -> PyResult<()> {
    if a.len() != b.len() || a.is_empty() {
        return Err(field_error(
            py,
            bn,
            format!(
                "{} values, the target has {} (both must be the same non-zero length)",
                b.len(),
                a.len()
            ),
        ));
    }
    Ok(())
}

/// Normalised RMSE `sqrt(mean((y − ŷ)²)) / std(y)` (glia_reservoir::metrics::nrmse).
#[pyfunction]
pub fn nrmse(py: Python<'_>, y: &Bound<'_, PyAny>, yhat: &Bound<'_, PyAny>) -> PyResult<f64> {
    let (a, b) = (vector(py, y, "y")?, vector(py, yhat, "yhat")?);
    same_length(py, &a, &b, "yhat")?;
    Ok(glia_reservoir::metrics::nrmse(&a, &b))
}

/// Squared Pearson correlation (0 when either is constant; glia_reservoir::metrics::r2).
#[pyfunction]
pub fn r2(py: Python<'_>, y: &Bound<'_, PyAny>, yhat: &Bound<'_, PyAny>) -> PyResult<f64> {
    let (a, b) = (vector(py, y, "y")?, vector(py, yhat, "yhat")?);
    same_length(py, &a, &b, "yhat")?;
    Ok(glia_reservoir::metrics::r2(&a, &b))
}

/// Leading steps of a free run before `|y − ŷ| / std(y)` first exceeds `threshold`
/// (glia_reservoir::metrics::valid_steps).
#[pyfunction]
#[pyo3(signature = (y, yhat, threshold=0.4))]
pub fn valid_steps(
    py: Python<'_>,
    y: &Bound<'_, PyAny>,
    yhat: &Bound<'_, PyAny>,
    threshold: f64,
) -> PyResult<usize> {
    let (a, b) = (vector(py, y, "y")?, vector(py, yhat, "yhat")?);
    same_length(py, &a, &b, "yhat")?;
    Ok(glia_reservoir::metrics::valid_steps(&a, &b, threshold))
}

/// Add the task generators and metrics to `glia._glia`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(uniform, m)?)?;
    m.add_function(wrap_pyfunction!(narma10_target, m)?)?;
    m.add_function(wrap_pyfunction!(mackey_glass, m)?)?;
    m.add_function(wrap_pyfunction!(patterns, m)?)?;
    m.add_function(wrap_pyfunction!(nrmse, m)?)?;
    m.add_function(wrap_pyfunction!(r2, m)?)?;
    m.add_function(wrap_pyfunction!(valid_steps, m)?)?;
    Ok(())
}

//! numpy ↔ `faer` conversions for the reservoir-computing bindings, with argument checks that
//! name the Python argument, and [`ReservoirError`] → the exceptions of `glia.errors`.

use crate::{error, field_error, model_error};
use faer::Mat;
use glia_reservoir::ReservoirError;
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;

/// A [`ReservoirError`] as a `glia.errors` exception. `arg` maps the Rust field path
/// (`readout.alpha`) to the Python argument that holds it (`alpha`); experiments keep their
/// field paths.
pub(crate) fn reservoir_error(
    py: Python<'_>,
    e: ReservoirError,
    arg: &dyn Fn(&str) -> String,
) -> PyErr {
    match e {
        ReservoirError::Invalid { path, message } => field_error(py, &arg(&path), message),
        ReservoirError::Model(m) => model_error(py, m),
        ReservoirError::Numerical(m) => error(py, "NumericalError", m.clone(), None, m),
        ReservoirError::Io { path, message } => error(
            py,
            "FileError",
            format!("{path}: {message}"),
            Some(path),
            message,
        ),
    }
}

/// The Python argument of a readout or task field: `readout` (the feature matrix checks) is
/// `X`, `readout.labels` is `y`, `readout.lambda` is `l2`, other fields keep their last name.
pub(crate) fn arg_name(path: &str) -> String {
    match path {
        "readout" => "X".into(),
        "readout.labels" => "y".into(),
        "readout.lambda" => "l2".into(),
        p => p.rsplit('.').next().unwrap_or(p).into(),
    }
}

/// A numpy array (or anything `numpy.asarray` takes) as a `T × C` matrix: 1-D becomes one
/// column (the flag says so). Every entry must be finite; `name` is the argument.
pub(crate) fn matrix(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<(Mat<f64>, bool)> {
    let a = py
        .import("numpy")?
        .call_method1("ascontiguousarray", (obj, "float64"))
        .map_err(|e| field_error(py, name, format!("not an array of numbers: {e}")))?;
    let a = a
        .cast_into::<numpy::PyArrayDyn<f64>>()
        .map_err(|e| field_error(py, name, format!("not an array of numbers: {e}")))?;
    let shape = a.shape().to_vec();
    let (r, c, one_d) = match shape[..] {
        [r] => (r, 1, true),
        [r, c] => (r, c, false),
        _ => {
            return Err(field_error(
                py,
                name,
                format!(
                    "expected a 1-D or 2-D array (samples × columns), got {} dimensions",
                    shape.len()
                ),
            ));
        }
    };
    let ro = a.readonly();
    let v = ro.as_slice()?;
    if let Some(k) = v.iter().position(|x| !x.is_finite()) {
        return Err(field_error(
            py,
            name,
            format!(
                "entry ({}, {}) is {} (values must be finite)",
                k / c.max(1),
                k % c.max(1),
                v[k]
            ),
        ));
    }
    Ok((Mat::from_fn(r, c, |i, j| v[i * c + j]), one_d))
}

/// A `T × C` matrix as a 2-D numpy array, or 1-D (its only column) when `one_d`.
pub(crate) fn to_numpy<'py>(py: Python<'py>, m: &Mat<f64>, one_d: bool) -> Bound<'py, PyAny> {
    if one_d && m.ncols() == 1 {
        Array1::from_shape_fn(m.nrows(), |i| m[(i, 0)])
            .into_pyarray(py)
            .into_any()
    } else {
        Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
            .into_pyarray(py)
            .into_any()
    }
}

/// A 1-D array of floats (finite), `name` the argument.
pub(crate) fn vector(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<f64>> {
    let (m, one_d) = matrix(py, obj, name)?;
    if !one_d {
        return Err(field_error(
            py,
            name,
            format!(
                "expected a 1-D array, got shape ({}, {})",
                m.nrows(),
                m.ncols()
            ),
        ));
    }
    Ok((0..m.nrows()).map(|i| m[(i, 0)]).collect())
}

/// Class labels `0..classes` from an integer array.
pub(crate) fn labels(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<usize>> {
    let a = py
        .import("numpy")?
        .call_method1("asarray", (obj,))
        .map_err(|e| field_error(py, name, format!("not an array of labels: {e}")))?;
    let kind: String = a.getattr("dtype")?.getattr("kind")?.extract()?;
    let ndim: usize = a.getattr("ndim")?.extract()?;
    if !matches!(kind.as_str(), "i" | "u" | "b") || ndim != 1 {
        return Err(field_error(
            py,
            name,
            format!(
                "expected a 1-D array of integer class labels, got {ndim} dimensions of dtype kind {kind:?}"
            ),
        ));
    }
    let v: Vec<i64> = a.call_method1("astype", ("int64",))?.extract()?;
    v.iter()
        .enumerate()
        .map(|(i, &l)| {
            usize::try_from(l).map_err(|_| {
                field_error(
                    py,
                    name,
                    format!("label {l} of sample {i} is negative (labels are 0, 1, …)"),
                )
            })
        })
        .collect()
}

//! Reservoir computing from Python: glia-reservoir's readouts (ridge, cross-validated ridge,
//! softmax regression, RLS), task generators and metrics, TOML reservoir experiments, and a
//! reservoir driver that feeds an input series into a [`Network`] and collects its state.
//!
//! Only translation happens here: numpy ↔ `faer` matrices, argument checks that name the
//! Python argument, [`ReservoirError`] → the exceptions of `glia.errors`. The pure-Python
//! modules `glia.readout`, `glia.tasks` and `glia.reservoir` re-export these and add the
//! numpy-only helpers.

use crate::{Network, error, field_error, model_error, overrides};
use faer::Mat;
use glia_reservoir::ReservoirError;
use glia_reservoir::esn::{InputDist, InputLink, draw_input_weights};
use glia_reservoir::readout::{self, Optimiser};
use numpy::ndarray::{Array1, Array2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A [`ReservoirError`] as a `glia.errors` exception. `arg` maps the Rust field path
/// (`readout.alpha`) to the Python argument that holds it (`alpha`); experiments keep their
/// field paths.
fn reservoir_error(py: Python<'_>, e: ReservoirError, arg: &dyn Fn(&str) -> String) -> PyErr {
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
fn arg_name(path: &str) -> String {
    match path {
        "readout" => "X".into(),
        "readout.labels" => "y".into(),
        "readout.lambda" => "l2".into(),
        p => p.rsplit('.').next().unwrap_or(p).into(),
    }
}

/// A numpy array (or anything `numpy.asarray` takes) as a `T × C` matrix: 1-D becomes one
/// column (the flag says so). Every entry must be finite; `name` is the argument.
fn matrix(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<(Mat<f64>, bool)> {
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
fn to_numpy<'py>(py: Python<'py>, m: &Mat<f64>, one_d: bool) -> Bound<'py, PyAny> {
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
fn vector(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<f64>> {
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
fn labels(py: Python<'_>, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<usize>> {
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

fn not_fitted(py: Python<'_>, what: &str, how: &str) -> PyErr {
    field_error(py, what, format!("not fitted: call {how} first"))
}

fn check_columns(py: Python<'_>, x: &Mat<f64>, f: usize) -> PyResult<()> {
    if x.ncols() != f {
        return Err(field_error(
            py,
            "X",
            format!(
                "{} features per sample, the readout was fitted with {f}",
                x.ncols()
            ),
        ));
    }
    Ok(())
}

/// Ridge regression readout (glia_reservoir::readout::Ridge).
#[pyclass(module = "glia._glia", name = "Ridge")]
pub struct PyRidge {
    /// Regularisation `α ≥ 0`.
    #[pyo3(get)]
    alpha: f64,
    /// Whether an (unpenalised) intercept is fitted.
    #[pyo3(get)]
    fit_intercept: bool,
    fitted: Option<(readout::Ridge, bool)>,
}

/// `Ridge::fit` for `fit_intercept`; without an intercept the data are mirrored: the rows
/// `x₁, −x₁, x₂, −x₂, …` (targets likewise) have column sums exactly 0, so the centring of
/// `Ridge::fit` changes nothing and `(2XᵀX + 2αI) W = 2XᵀY`, the ridge solution without
/// intercept.
fn ridge_fit(
    x: &Mat<f64>,
    y: &Mat<f64>,
    alpha: f64,
    intercept: bool,
) -> Result<readout::Ridge, ReservoirError> {
    if intercept {
        return readout::Ridge::fit(x.as_ref(), y.as_ref(), alpha);
    }
    if !(alpha >= 0.0 && alpha.is_finite()) {
        return Err(ReservoirError::invalid(
            "readout.alpha",
            format!("must be ≥ 0 and finite, got {alpha}"),
        ));
    }
    let mirror = |m: &Mat<f64>| {
        Mat::from_fn(2 * m.nrows(), m.ncols(), |i, j| {
            if i % 2 == 0 {
                m[(i / 2, j)]
            } else {
                -m[(i / 2, j)]
            }
        })
    };
    if x.nrows() != y.nrows() || x.nrows() == 0 || x.ncols() == 0 {
        // The unmirrored check, for the same message.
        return readout::Ridge::fit(x.as_ref(), y.as_ref(), alpha);
    }
    let mut r = readout::Ridge::fit(mirror(x).as_ref(), mirror(y).as_ref(), 2.0 * alpha)?;
    r.b.iter_mut().for_each(|b| *b = 0.0);
    r.alpha = alpha;
    Ok(r)
}

#[pymethods]
impl PyRidge {
    #[new]
    #[pyo3(signature = (alpha=1e-6, fit_intercept=true))]
    fn new(py: Python<'_>, alpha: f64, fit_intercept: bool) -> PyResult<Self> {
        if !(alpha >= 0.0 && alpha.is_finite()) {
            return Err(field_error(
                py,
                "alpha",
                format!("must be ≥ 0 and finite, got {alpha}"),
            ));
        }
        Ok(Self {
            alpha,
            fit_intercept,
            fitted: None,
        })
    }

    /// Fit to features `X` (`T × F`) and targets `Y` (`T × K`, or `T` for one output);
    /// returns the readout. Minimises `‖Y − XW − 1bᵀ‖² + α‖W‖²` by Cholesky (GIL released).
    fn fit<'py>(
        mut slf: PyRefMut<'py, Self>,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let (xm, _) = matrix(py, x, "X")?;
        let (ym, y1) = matrix(py, y, "Y")?;
        let (alpha, icpt) = (slf.alpha, slf.fit_intercept);
        let r = py
            .detach(|| ridge_fit(&xm, &ym, alpha, icpt))
            .map_err(|e| reservoir_error(py, e, &arg_name))?;
        slf.fitted = Some((r, y1));
        Ok(slf)
    }

    /// Predictions `XW + b` for the rows of `X` (`T × K`; `T` when fitted to a 1-D `Y`).
    fn predict<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (r, y1) = self
            .fitted
            .as_ref()
            .ok_or_else(|| not_fitted(py, "Ridge", "fit(X, Y)"))?;
        let (xm, _) = matrix(py, x, "X")?;
        check_columns(py, &xm, r.w.nrows())?;
        let p = py.detach(|| r.predict(xm.as_ref()));
        Ok(to_numpy(py, &p, *y1))
    }

    /// Weights `W`, `F × K` (`F` when fitted to a 1-D `Y`).
    #[getter]
    #[allow(non_snake_case)]
    fn coef_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (r, y1) = self
            .fitted
            .as_ref()
            .ok_or_else(|| not_fitted(py, "Ridge", "fit(X, Y)"))?;
        Ok(to_numpy(py, &r.w, *y1))
    }

    /// Intercepts `b`, one per output (a float when fitted to a 1-D `Y`; 0 without
    /// intercept).
    #[getter]
    fn intercept_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (r, y1) = self
            .fitted
            .as_ref()
            .ok_or_else(|| not_fitted(py, "Ridge", "fit(X, Y)"))?;
        Ok(if *y1 {
            r.b[0].into_pyobject(py)?.into_any()
        } else {
            r.b.clone().into_pyarray(py).into_any()
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Ridge(alpha={}, fit_intercept={}){}",
            self.alpha,
            if self.fit_intercept { "True" } else { "False" },
            if self.fitted.is_some() {
                ""
            } else {
                " (not fitted)"
            }
        )
    }
}

/// K-fold cross-validation of the ridge regularisation (glia_reservoir::readout::ridge_cv):
/// returns `(alpha, scores)`, the `α` of `alphas` with the smallest mean validation MSE and the
/// MSE of each. The folds are contiguous blocks (time series are not shuffled).
#[pyfunction]
#[pyo3(signature = (x, y, alphas, folds=5))]
pub fn ridge_cv<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    alphas: &Bound<'py, PyAny>,
    folds: usize,
) -> PyResult<(f64, Bound<'py, PyArray1<f64>>)> {
    let (xm, _) = matrix(py, x, "X")?;
    let (ym, _) = matrix(py, y, "Y")?;
    let grid = vector(py, alphas, "alphas")?;
    let cv = py
        .detach(|| readout::ridge_cv(xm.as_ref(), ym.as_ref(), &grid, folds))
        .map_err(|e| reservoir_error(py, e, &arg_name))?;
    Ok((cv.alpha, cv.scores.into_pyarray(py)))
}

/// Multinomial logistic (softmax) regression with L2 (glia_reservoir::readout::Logistic).
#[pyclass(module = "glia._glia", name = "Softmax")]
pub struct PySoftmax {
    /// L2 penalty `λ` (`λ/2 ‖W‖²`, intercepts not penalised).
    #[pyo3(get)]
    l2: f64,
    /// `"full"` (Nesterov gradient descent on the whole set) or `"minibatch"`.
    #[pyo3(get)]
    solver: String,
    opt: Optimiser,
    fitted: Option<(readout::Logistic, usize)>,
}

#[pymethods]
impl PySoftmax {
    #[new]
    #[pyo3(signature = (l2=1e-4, solver="full", tol=1e-6, max_iter=2000, batch=32, epochs=100, lr=0.5, seed=0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        l2: f64,
        solver: &str,
        tol: f64,
        max_iter: usize,
        batch: usize,
        epochs: usize,
        lr: f64,
        seed: u64,
    ) -> PyResult<Self> {
        if !(l2 >= 0.0 && l2.is_finite()) {
            return Err(field_error(
                py,
                "l2",
                format!("must be ≥ 0 and finite, got {l2}"),
            ));
        }
        let opt = match solver {
            "full" => {
                if tol.is_nan() || tol < 0.0 {
                    return Err(field_error(py, "tol", format!("must be ≥ 0, got {tol}")));
                }
                if max_iter == 0 {
                    return Err(field_error(py, "max_iter", "must be ≥ 1"));
                }
                Optimiser::FullBatch { tol, max_iter }
            }
            "minibatch" => {
                if batch == 0 {
                    return Err(field_error(py, "batch", "must be ≥ 1"));
                }
                if !(lr > 0.0 && lr.is_finite()) {
                    return Err(field_error(py, "lr", format!("must be > 0, got {lr}")));
                }
                Optimiser::MiniBatch {
                    batch,
                    epochs,
                    lr,
                    seed,
                }
            }
            other => {
                return Err(field_error(
                    py,
                    "solver",
                    format!("unknown {other:?}: use \"full\" or \"minibatch\""),
                ));
            }
        };
        Ok(Self {
            l2,
            solver: solver.into(),
            opt,
            fitted: None,
        })
    }

    /// Fit to features `X` (`T × F`) and integer labels `y` in `0..classes` (default
    /// `max(y) + 1`); returns the readout. The GIL is released while fitting.
    #[pyo3(signature = (x, y, classes=None))]
    fn fit<'py>(
        mut slf: PyRefMut<'py, Self>,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
        classes: Option<usize>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let (xm, _) = matrix(py, x, "X")?;
        let l = labels(py, y, "y")?;
        let c = classes.unwrap_or_else(|| l.iter().max().map_or(0, |m| m + 1));
        let (l2, opt) = (slf.l2, slf.opt);
        let m = py
            .detach(|| readout::Logistic::fit(xm.as_ref(), &l, c, l2, opt))
            .map_err(|e| {
                reservoir_error(py, e, &|p| match p {
                    "readout.classes" if classes.is_some() => "classes".into(),
                    "readout.classes" => "y".into(),
                    p => arg_name(p),
                })
            })?;
        slf.fitted = Some((m, c));
        Ok(slf)
    }

    /// Class scores `XW + b` (`T × C`).
    fn decision_function<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = self.model(py)?;
        let (xm, _) = matrix(py, x, "X")?;
        check_columns(py, &xm, m.w.nrows())?;
        let s = py.detach(|| m.scores(xm.as_ref()));
        Ok(Array2::from_shape_fn((s.nrows(), s.ncols()), |(i, j)| s[(i, j)]).into_pyarray(py))
    }

    /// Predicted classes (int64, the arg-max of the scores; the first on ties).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let m = self.model(py)?;
        let (xm, _) = matrix(py, x, "X")?;
        check_columns(py, &xm, m.w.nrows())?;
        let p = py.detach(|| m.predict(xm.as_ref()));
        Ok(p.into_iter()
            .map(|c| c as i64)
            .collect::<Vec<_>>()
            .into_pyarray(py))
    }

    /// Class probabilities `softmax(XW + b)` (`T × C`, rows sum to 1).
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = self.model(py)?;
        let (xm, _) = matrix(py, x, "X")?;
        check_columns(py, &xm, m.w.nrows())?;
        let s = py.detach(|| m.scores(xm.as_ref()));
        let mut p = Array2::from_shape_fn((s.nrows(), s.ncols()), |(i, j)| s[(i, j)]);
        for mut row in p.rows_mut() {
            let mx = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            row.mapv_inplace(|v| (v - mx).exp());
            let z = row.sum();
            row.mapv_inplace(|v| v / z);
        }
        Ok(p.into_pyarray(py))
    }

    /// Mean cross-entropy on `X`, `y` plus `l2/2 ‖W‖²` (the objective `fit` minimises).
    fn loss(&self, py: Python<'_>, x: &Bound<'_, PyAny>, y: &Bound<'_, PyAny>) -> PyResult<f64> {
        let m = self.model(py)?;
        let (xm, _) = matrix(py, x, "X")?;
        check_columns(py, &xm, m.w.nrows())?;
        let l = labels(py, y, "y")?;
        let c = m.w.ncols();
        if l.len() != xm.nrows() {
            return Err(field_error(
                py,
                "y",
                format!("{} labels but {} feature rows", l.len(), xm.nrows()),
            ));
        }
        if let Some((i, v)) = l.iter().enumerate().find(|(_, v)| **v >= c) {
            return Err(field_error(
                py,
                "y",
                format!("label {v} of sample {i} is not in 0..{c}"),
            ));
        }
        Ok(m.loss(xm.as_ref(), &l, self.l2))
    }

    /// Weights `W`, `F × C`.
    #[getter]
    fn coef_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(to_numpy(py, &self.model(py)?.w, false))
    }

    /// Intercepts, one per class.
    #[getter]
    fn intercept_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(self.model(py)?.b.clone().into_pyarray(py))
    }

    /// Iterations (`"full"`) or epochs (`"minibatch"`) used.
    #[getter]
    fn n_iter_(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.model(py)?.iterations)
    }

    /// Number of classes.
    #[getter]
    fn n_classes_(&self, py: Python<'_>) -> PyResult<usize> {
        self.model(py)?;
        Ok(self.fitted.as_ref().map_or(0, |f| f.1))
    }

    fn __repr__(&self) -> String {
        format!("Softmax(l2={}, solver={:?})", self.l2, self.solver)
    }
}

impl PySoftmax {
    fn model(&self, py: Python<'_>) -> PyResult<&readout::Logistic> {
        self.fitted
            .as_ref()
            .map(|f| &f.0)
            .ok_or_else(|| not_fitted(py, "Softmax", "fit(X, y)"))
    }
}

/// Recursive least squares, online (glia_reservoir::readout::Rls).
#[pyclass(module = "glia._glia", name = "RLS")]
pub struct PyRls {
    rls: readout::Rls,
}

#[pymethods]
impl PyRls {
    #[new]
    #[pyo3(signature = (features, outputs=1, delta=1.0, forget=1.0))]
    fn new(
        py: Python<'_>,
        features: usize,
        outputs: usize,
        delta: f64,
        forget: f64,
    ) -> PyResult<Self> {
        if outputs == 0 {
            return Err(field_error(py, "outputs", "must be ≥ 1"));
        }
        let rls = readout::Rls::new(features, outputs, delta, forget).map_err(|e| {
            reservoir_error(py, e, &|p| match p {
                "readout" => "features".into(),
                p => arg_name(p),
            })
        })?;
        Ok(Self { rls })
    }

    /// One update with the feature vector `x` (length `F`) and targets `y` (length `K`, or a
    /// float for one output). Returns the error before the update, `y − Wᵀx`.
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let xv = vector(py, x, "x")?;
        let yv = vector(
            py,
            &py.import("numpy")?.call_method1("atleast_1d", (y,))?,
            "y",
        )?;
        self.check(py, xv.len(), yv.len(), "x", "y")?;
        let mut e = vec![0.0; yv.len()];
        self.rls.predict(&xv, &mut e);
        e.iter_mut().zip(&yv).for_each(|(e, y)| *e = y - *e);
        self.rls.update(&xv, &yv);
        Ok(e.into_pyarray(py))
    }

    /// Update with every row of `X` (`T × F`) and `Y` (`T × K`, or `T`) in order (GIL
    /// released); returns the readout.
    fn fit<'py>(
        mut slf: PyRefMut<'py, Self>,
        py: Python<'py>,
        x: &Bound<'py, PyAny>,
        y: &Bound<'py, PyAny>,
    ) -> PyResult<PyRefMut<'py, Self>> {
        let (xm, _) = matrix(py, x, "X")?;
        let (ym, _) = matrix(py, y, "Y")?;
        slf.check(py, xm.ncols(), ym.ncols(), "X", "Y")?;
        if xm.nrows() != ym.nrows() {
            return Err(field_error(
                py,
                "X",
                format!("{} feature rows but {} target rows", xm.nrows(), ym.nrows()),
            ));
        }
        let rls = &mut slf.rls;
        py.detach(|| {
            let mut xr = vec![0.0; xm.ncols()];
            let mut yr = vec![0.0; ym.ncols()];
            for t in 0..xm.nrows() {
                xr.iter_mut().enumerate().for_each(|(j, v)| *v = xm[(t, j)]);
                yr.iter_mut().enumerate().for_each(|(j, v)| *v = ym[(t, j)]);
                rls.update(&xr, &yr);
            }
        });
        Ok(slf)
    }

    /// Predictions `Wᵀx` for the rows of `X` (`T × K`), or for one feature vector (`K`).
    fn predict<'py>(&self, py: Python<'py>, x: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let a = py.import("numpy")?.call_method1("asarray", (x,))?;
        let one: bool = a.getattr("ndim")?.extract::<usize>()? == 1;
        let (xm, _) = if one {
            let v = vector(py, &a, "X")?;
            (Mat::from_fn(1, v.len(), |_, j| v[j]), true)
        } else {
            matrix(py, &a, "X")?
        };
        check_columns(py, &xm, self.rls.w.nrows())?;
        let k = self.rls.w.ncols();
        let mut out = Mat::<f64>::zeros(xm.nrows(), k);
        let mut xr = vec![0.0; xm.ncols()];
        let mut yr = vec![0.0; k];
        for t in 0..xm.nrows() {
            xr.iter_mut().enumerate().for_each(|(j, v)| *v = xm[(t, j)]);
            self.rls.predict(&xr, &mut yr);
            yr.iter().enumerate().for_each(|(j, &v)| out[(t, j)] = v);
        }
        if one {
            return Ok((0..k)
                .map(|j| out[(0, j)])
                .collect::<Vec<_>>()
                .into_pyarray(py)
                .into_any());
        }
        Ok(to_numpy(py, &out, false))
    }

    /// Weights `W`, `F × K`.
    #[getter]
    fn coef_<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        to_numpy(py, &self.rls.w, false)
    }

    /// The inverse correlation matrix `P`, `F × F`.
    #[getter]
    #[allow(non_snake_case)]
    fn P<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        to_numpy(py, &self.rls.p, false)
    }

    /// Forgetting factor.
    #[getter]
    fn forget(&self) -> f64 {
        self.rls.forget
    }

    fn __repr__(&self) -> String {
        format!(
            "RLS(features={}, outputs={}, forget={})",
            self.rls.w.nrows(),
            self.rls.w.ncols(),
            self.rls.forget
        )
    }
}

impl PyRls {
    fn check(&self, py: Python<'_>, f: usize, k: usize, xn: &str, yn: &str) -> PyResult<()> {
        let (wf, wk) = (self.rls.w.nrows(), self.rls.w.ncols());
        if f != wf {
            return Err(field_error(
                py,
                xn,
                format!("{f} features, the readout has {wf}"),
            ));
        }
        if k != wk {
            return Err(field_error(
                py,
                yn,
                format!("{k} targets, the readout has {wk} outputs"),
            ));
        }
        Ok(())
    }
}

// --- tasks and metrics ----------------------------------------------------------------------

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

// --- experiments and the reservoir driver ---------------------------------------------------

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

/// Add this module's classes and functions to `glia._glia`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRidge>()?;
    m.add_class::<PySoftmax>()?;
    m.add_class::<PyRls>()?;
    m.add_class::<Reservoir>()?;
    m.add_function(wrap_pyfunction!(ridge_cv, m)?)?;
    m.add_function(wrap_pyfunction!(uniform, m)?)?;
    m.add_function(wrap_pyfunction!(narma10_target, m)?)?;
    m.add_function(wrap_pyfunction!(mackey_glass, m)?)?;
    m.add_function(wrap_pyfunction!(patterns, m)?)?;
    m.add_function(wrap_pyfunction!(nrmse, m)?)?;
    m.add_function(wrap_pyfunction!(r2, m)?)?;
    m.add_function(wrap_pyfunction!(valid_steps, m)?)?;
    m.add_function(wrap_pyfunction!(run_experiment, m)?)?;
    Ok(())
}

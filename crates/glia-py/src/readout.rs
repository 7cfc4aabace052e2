//! Readouts from Python (glia_reservoir::readout): `Ridge` (and `ridge_cv`), `Softmax`,
//! `RLS`, with numpy in and out and the GIL released while fitting. `glia.readout`
//! re-exports them.

use crate::array::{arg_name, labels, matrix, reservoir_error, to_numpy, vector};
use crate::field_error;
use faer::Mat;
use glia_reservoir::ReservoirError;
use glia_reservoir::readout::{self, Optimiser};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;

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

/// Add the readouts to `glia._glia`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRidge>()?;
    m.add_class::<PySoftmax>()?;
    m.add_class::<PyRls>()?;
    m.add_function(wrap_pyfunction!(ridge_cv, m)?)?;
    Ok(())
}

"""Reservoir computing from Python: readouts against numpy closed forms, task generators
against their definitions, experiments against ``glia run``, and the errors.

Tolerances: ridge and its cross-validation errors equal the numpy closed form to 1e-10
(relative; both solve the same normal equations, in a different order of operations); RLS
equals ridge without intercept to 1e-8 (a rank-one update per sample accumulates rounding);
softmax equals a numpy Newton optimum to 1e-6; generators and experiment metrics are exact.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess

import numpy as np
import pytest

import glia
from conftest import ROOT
from glia import readout, reservoir, tasks


def close(a, b, rel):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    scale = max(np.abs(b).max(), 1e-300)
    assert np.abs(a - b).max() <= rel * scale, np.abs(a - b).max() / scale


def regression(seed=0, t=300, f=8, k=2, noise=0.1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(t, f)) + rng.normal(size=f)
    w = rng.normal(size=(f, k))
    y = x @ w + 0.7 + noise * rng.normal(size=(t, k))
    return x, y


# --- ridge ---------------------------------------------------------------------------------

def test_ridge_equals_closed_form():
    x, y = regression()
    alpha = 0.3
    xm, ym = x.mean(0), y.mean(0)
    xc, yc = x - xm, y - ym
    w = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)
    b = ym - xm @ w
    r = readout.Ridge(alpha=alpha).fit(x, y)
    close(r.coef_, w, 1e-10)
    close(r.intercept_, b, 1e-10)
    close(r.predict(x), x @ w + b, 1e-10)
    # without intercept: (XᵀX + αI)⁻¹ XᵀY, b = 0
    w0 = np.linalg.solve(x.T @ x + alpha * np.eye(x.shape[1]), x.T @ y)
    r0 = readout.ridge(x, y, alpha, fit_intercept=False)
    close(r0.coef_, w0, 1e-10)
    assert np.array_equal(r0.intercept_, np.zeros(2))
    # one output as a vector: vectors out
    r1 = readout.Ridge(alpha).fit(x, y[:, 0])
    assert r1.coef_.shape == (8,) and isinstance(r1.intercept_, float)
    assert r1.predict(x).shape == (300,)
    close(r1.coef_, w[:, 0], 1e-10)
    assert "Ridge(alpha=0.3" in repr(r1)


def cv_numpy(x, y, alphas, folds):
    t = len(x)
    scores = np.zeros(len(alphas))
    for f in range(folds):
        a, b = t * f // folds, t * (f + 1) // folds
        keep = np.r_[0:a, b:t]
        xt, yt = x[keep], y[keep]
        xm, ym = xt.mean(0), yt.mean(0)
        g, xty = (xt - xm).T @ (xt - xm), (xt - xm).T @ (yt - ym)
        for i, al in enumerate(alphas):
            w = np.linalg.solve(g + al * np.eye(x.shape[1]), xty)
            pred = x[a:b] @ w + (ym - xm @ w)
            scores[i] += np.mean((pred - y[a:b]) ** 2) / folds
    return scores


def test_ridge_cv_scores_and_bayes_optimal_alpha():
    """With weights drawn from N(0, τ²) and noise N(0, σ²) the posterior mean is ridge with
    α = σ²/τ², the Bayes-optimal regularisation: the cross-validated choice on a grid of
    factors of 10 around it picks it on each of 3 data sets (300 samples, 60 features; it
    did on 30 of 30 tried), and every CV error equals the numpy computation."""
    sigma, tau = 1.0, 0.1
    best = sigma**2 / tau**2
    grid = best * np.array([1e-3, 1e-2, 1e-1, 1.0, 10.0, 1e2, 1e3])
    for seed in range(3):
        rng = np.random.default_rng(100 + seed)
        x = rng.normal(size=(300, 60))
        y = x @ (tau * rng.normal(size=(60, 1))) + sigma * rng.normal(size=(300, 1))
        alpha, scores = readout.ridge_cv(x, y, grid, folds=5)
        close(scores, cv_numpy(x, y, grid, 5), 1e-10)
        assert alpha == best


# --- softmax -------------------------------------------------------------------------------

def blobs(seed=0, n=60, sep=8.0):
    """Three Gaussian clusters in 2-D, 8 standard deviations apart: linearly separable."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [sep, 0.0], [0.0, sep]])
    y = np.repeat(np.arange(3), n)
    x = centres[y] + rng.normal(size=(3 * n, 2))
    return x, y


def newton_softmax(x, y, c, lam, iters=30):
    """The L2-penalised softmax optimum by Newton's method (pseudo-inverse: the intercepts
    are determined up to a common constant; starting from 0 keeps their sum 0, as gradient
    descent from 0 does)."""
    t, f = x.shape
    xa = np.hstack([x, np.ones((t, 1))])
    theta = np.zeros((f + 1, c))
    onehot = np.eye(c)[y]
    pen = np.r_[np.full(f, lam), 0.0]
    n = (f + 1) * c
    for _ in range(iters):
        s = xa @ theta
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        g = xa.T @ (p - onehot) / t + pen[:, None] * theta
        # H[(k, j), (l, m)] = mean_i (δ_kl p_ik − p_ik p_il) a_ij a_im + δ_kl δ_jm pen_j
        h = -np.einsum("ik,il,ij,im->kjlm", p, p, xa, xa) / t
        h += np.einsum("kl,ik,ij,im->kjlm", np.eye(c), p, xa, xa) / t
        h += np.einsum("kl,jm,j->kjlm", np.eye(c), np.eye(f + 1), pen)
        step = np.linalg.pinv(h.reshape(n, n)) @ g.T.reshape(-1)
        theta -= step.reshape(c, f + 1).T
    assert np.linalg.norm(g) < 1e-12
    return theta[:f], theta[f]


def test_softmax_full_batch_reaches_numpy_optimum():
    x, y = blobs()
    lam = 1e-2
    m = readout.Softmax(l2=lam, tol=1e-10, max_iter=200000).fit(x, y)
    w, b = newton_softmax(x, y, 3, lam)
    close(m.coef_, w, 1e-6)
    close(m.intercept_, b, 1e-6)
    assert m.n_classes_ == 3 and 1 <= m.n_iter_ < 200000
    assert np.array_equal(m.predict(x), y), "separable toy: every sample right"
    p = m.predict_proba(x)
    close(p.sum(1), np.ones(len(x)), 1e-12)
    s = m.decision_function(x)
    assert np.array_equal(np.argmax(s, 1), m.predict(x))
    # the loss it reports is the objective at the optimum
    pe = np.exp(s - s.max(1, keepdims=True))
    pe /= pe.sum(1, keepdims=True)
    loss = -np.mean(np.log(pe[np.arange(len(y)), y])) + 0.5 * lam * np.sum(m.coef_**2)
    assert m.loss(x, y) == pytest.approx(loss, rel=1e-9)
    assert "Softmax(l2=0.01" in repr(m)


def test_softmax_minibatch_is_deterministic():
    x, y = blobs(seed=1)
    a = readout.Softmax(l2=1e-3, solver="minibatch", batch=16, epochs=30, lr=0.5, seed=3).fit(x, y)
    b = readout.Softmax(l2=1e-3, solver="minibatch", batch=16, epochs=30, lr=0.5, seed=3).fit(x, y)
    c = readout.Softmax(l2=1e-3, solver="minibatch", batch=16, epochs=30, lr=0.5, seed=4).fit(x, y)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)
    assert not np.array_equal(a.coef_, c.coef_)
    assert a.n_iter_ == 30
    assert np.mean(a.predict(x) == y) > 0.97


# --- RLS -----------------------------------------------------------------------------------

def test_rls_equals_ridge_without_intercept():
    x, y = regression(seed=2, t=400, f=6, k=2)
    delta = 0.5
    rls = readout.RLS(6, 2, delta=delta).fit(x, y)
    ridge = readout.Ridge(delta, fit_intercept=False).fit(x, y)
    close(rls.coef_, ridge.coef_, 1e-8)
    close(rls.predict(x), ridge.predict(x), 1e-8)
    assert rls.P.shape == (6, 6) and rls.forget == 1.0
    # online: the same, one sample at a time; update returns the prior error
    online = readout.RLS(6, 2, delta=delta)
    for t in range(len(x)):
        before = online.predict(x[t])
        err = online.update(x[t], y[t])
        close(err, y[t] - before, 1e-14)
    close(online.coef_, rls.coef_, 1e-12)
    one = readout.RLS(6, delta=delta)
    one.update(x[0], 1.0)
    assert one.predict(x[:3]).shape == (3, 1)
    assert "RLS(features=6" in repr(one)


# --- tasks and metrics ---------------------------------------------------------------------

def test_narma10_follows_its_recursion():
    u, y = tasks.narma10(500, seed=3)
    assert u.shape == y.shape == (500,) and u.min() >= 0 and u.max() < 0.5
    ref = [0.0] * 501
    for t in range(9, 500):
        s = sum(ref[t - 9:t + 1])
        ref[t + 1] = 0.3 * ref[t] + 0.05 * ref[t] * s + 1.5 * u[t - 9] * u[t] + 0.1
    assert np.array_equal(y, np.array(ref[1:]))
    assert np.array_equal(tasks.narma10_target(u), y)
    assert np.array_equal(tasks.uniform(500, 0.0, 0.5, seed=3), u)


def test_memory_capacity_generator_and_score():
    u, targets = tasks.memory_capacity(50, 5, seed=2)
    assert targets.shape == (50, 5) and u.min() >= -1 and u.max() < 1
    for k in range(1, 6):
        assert np.array_equal(targets[k:, k - 1], u[:-k]) and not targets[:k, k - 1].any()
    total, per = tasks.mc_score(targets[10:], targets[10:])
    assert per == pytest.approx(np.ones(5)) and total == pytest.approx(5.0)
    a, b = np.random.default_rng(0).normal(size=(2, 100))
    assert tasks.r2(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1] ** 2, rel=1e-12)


def test_mackey_glass_equals_rk4_by_hand():
    """The documented scheme: RK4, h = 0.1, delayed term at the half step the mean of the two
    grid neighbours, constant history 1.2."""
    n, h, lag, every = 30, 0.1, 170, 10
    f = lambda x, xd: 0.2 * xd / (1 + xd**10) - 0.1 * x  # noqa: E731
    hist = [1.2] * (lag + 1)
    out = []
    for s in range(n * every):
        i = lag + s
        x, d0, d1 = hist[i], hist[i - lag], hist[i - lag + 1]
        dm = 0.5 * (d0 + d1)
        k1 = f(x, d0)
        k2 = f(x + 0.5 * h * k1, dm)
        k3 = f(x + 0.5 * h * k2, dm)
        k4 = f(x + h * k3, d1)
        hist.append(x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
        if (s + 1) % every == 0:
            out.append(hist[i + 1])
    got = tasks.mackey_glass(n)
    close(got, out, 1e-13)
    assert np.array_equal(tasks.mackey_glass(10, transient=20), got[20:30])


def test_patterns_and_metrics():
    x, labels = tasks.patterns(40, classes=3, length=5, noise=0.1, seed=4)
    assert x.shape == (200,) and labels.shape == (40,) and set(labels) <= {0, 1, 2}
    pres = x.reshape(40, 5)
    for c in range(3):
        same = pres[labels == c]
        assert np.abs(same - same[0]).max() <= 0.2 + 1e-12, "template + noise in [-0.1, 0.1]"
    assert tasks.accuracy(labels, labels) == 1.0
    y = np.sin(np.linspace(0, 10, 200))
    yhat = y + 0.1
    assert tasks.nrmse(y, yhat) == pytest.approx(0.1 / y.std(), rel=1e-12)
    assert tasks.valid_steps(y, yhat, threshold=0.4) == 200
    assert tasks.valid_steps(y, y + np.r_[np.zeros(50), np.ones(150)], threshold=0.4) == 50


# --- experiments and reservoirs ------------------------------------------------------------

NARMA_DICT = {
    "simulation": {"dt": 1.0, "duration": 1.0, "seed": 5},
    "populations": [{
        "name": "R", "size": 60, "model": "rate",
        "params": {"activation": "tanh", "leak": 0.9,
                   "bias": {"dist": "uniform", "low": -0.2, "high": 0.2}}}],
    "projections": [{
        "source": "R", "target": "R", "port": "in",
        "connect": {"rule": "fixed_probability", "p": 0.2},
        "weight": {"dist": "normal", "mean": 0.0, "std": 1.0}, "spectral_radius": 0.9}],
    "monitors": [{"kind": "state", "population": "R", "variables": ["x"],
                  "ids": list(range(60)), "interval": 1.0}],
    "reservoir": {"input": "R", "input_scaling": 0.5, "kernel": "engine"},
    "task": {"kind": "narma10", "washout": 100, "train": 1000, "test": 300},
    "readout": {"kind": "ridge", "alphas": [1e-8, 1e-6, 1e-4, 1e-2], "folds": 4},
}
NARMA = glia.Model.from_dict(NARMA_DICT).to_toml()


def glia_binary():
    exe = os.environ.get("GLIA") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"), "release", "glia")
    return exe if os.path.exists(exe) else None


@pytest.mark.parametrize("example", ["esn_memory_capacity.toml", "esn_narma10.toml"])
def test_experiment_equals_glia_run(example, tmp_path):
    """run_experiment on an example gives the metrics `glia run` writes, exactly."""
    exe = glia_binary()
    if exe is None:
        pytest.skip("no glia binary: build it with `cargo build --release --bin glia` or set GLIA")
    path = os.path.join(ROOT, "examples", example)
    subprocess.run([exe, "run", path, "--out", str(tmp_path / "cli")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(tmp_path / "cli" / "metrics.json", encoding="utf-8") as f:
        cli = json.load(f)
    py = reservoir.run_experiment(path, out_dir=tmp_path / "py")
    for key in ("task", "metrics", "readout", "features", "info"):
        assert py[key] == cli[key], key
    with open(tmp_path / "py" / "metrics.json", encoding="utf-8") as f:
        assert json.load(f)["metrics"] == cli["metrics"]


def test_harvested_states_reproduce_the_experiment(tmp_path):
    """The reservoir of an experiment, driven from Python with the task's input, gives the
    states its state monitor recorded, and a readout fitted in Python on them gives the
    experiment's NRMSE exactly."""
    (tmp_path / "narma.toml").write_text(NARMA)
    metrics, net = reservoir.run_experiment(tmp_path / "narma.toml", return_network=True)
    n = 1000 + 300
    assert net.step == n and metrics["info"]["kernel"] == "engine"

    res = reservoir.from_experiment(tmp_path / "narma.toml")
    assert res.n_features == 60 and res.dim == 1 and res.input_weights.shape == (60, 1)
    u, y = tasks.narma10(n, seed=5)
    states = res.run(u)
    assert states.shape == (n, 60)
    assert np.array_equal(states, net.recorded("R")["x"].astype(np.float64))
    tr, te = slice(100, 1000), slice(1000, 1300)
    alpha, scores = readout.ridge_cv(states[tr], y[tr], [1e-8, 1e-6, 1e-4, 1e-2], folds=4)
    assert alpha == metrics["readout"]["alpha"] and list(scores) == metrics["info"]["cv_scores"]
    pred = readout.Ridge(alpha).fit(states[tr], y[tr]).predict(states[te])
    assert tasks.nrmse(y[te], pred) == metrics["metrics"]["nrmse"]
    assert metrics["metrics"]["nrmse"] < 0.6

    # The same reservoir built in Python and wrapped by hand: same input weights, same states.
    d = _narma_model()
    net2 = glia.from_dict(d, duration=1e9)
    res2 = reservoir.Reservoir(net2, "R", input_scaling=0.5)
    assert np.array_equal(res2.input_weights, res.input_weights)
    first = res2.run(u[:10])
    step = res2.step(u[10])
    assert np.array_equal(first, states[:10]) and np.array_equal(step, states[10])
    assert res2.network.step == 11 and "Reservoir" in repr(res2)
    # explicit weights (N × dim) and a dict experiment
    res3 = reservoir.Reservoir(glia.from_dict(d, duration=1e9), ["R"], features="R",
                               variable="x", weights=res.input_weights)
    assert np.array_equal(res3.run(u[:10]), states[:10])
    res4 = reservoir.Reservoir(glia.from_dict(d, duration=1e9), "R", input_scaling=0.5)
    assert np.array_equal(res4.run(u[:30], washout=20), states[20:30])
    m2 = reservoir.run_experiment(NARMA_DICT)
    assert m2["metrics"] == metrics["metrics"]


# --- errors --------------------------------------------------------------------------------

def raises(kind, path, fn, *args, **kw):
    with pytest.raises(kind) as e:
        fn(*args, **kw)
    assert e.value.path == path, (e.value.path, str(e.value))
    assert str(e.value).startswith(f"{path}: ") or path is None
    return e.value


def test_bad_arguments_name_the_argument(tmp_path):
    x, y = regression()
    err = raises(glia.FieldError, "alpha", readout.Ridge, alpha=-1.0)
    assert err.detail == "must be ≥ 0 and finite, got -1"
    raises(glia.FieldError, "alpha", readout.ridge, x, y, -1.0, fit_intercept=False)
    bad = x.copy()
    bad[3, 1] = np.nan
    err = raises(glia.FieldError, "X", readout.Ridge().fit, bad, y)
    assert "entry (3, 1) is NaN" in str(err)
    err = raises(glia.FieldError, "X", readout.Ridge().fit, x, y[:-1])
    assert err.detail == "300 feature rows but 299 target rows"
    err = raises(glia.FieldError, "X", readout.Ridge().fit, np.zeros((10, 0)), np.zeros(10))
    assert "empty feature set" in str(err)
    raises(glia.FieldError, "X", readout.Ridge().fit(x, y).predict, x[:, :3])
    raises(glia.FieldError, "Ridge", readout.Ridge().predict, x)
    raises(glia.FieldError, "folds", readout.ridge_cv, x, y, [1.0], folds=1)
    raises(glia.FieldError, "alphas", readout.ridge_cv, x, y, [])
    raises(glia.FieldError, "alphas", readout.ridge_cv, x, y, [1.0, -2.0])
    with pytest.raises(glia.NumericalError, match="not positive definite"):
        readout.Ridge(0.0).fit(np.ones((5, 2)), np.arange(5.0))
    xs, ys = blobs()
    raises(glia.FieldError, "l2", readout.Softmax, l2=-1.0)
    raises(glia.FieldError, "solver", readout.Softmax, solver="adam")
    raises(glia.FieldError, "batch", readout.Softmax, solver="minibatch", batch=0)
    raises(glia.FieldError, "y", readout.Softmax().fit, xs, ys - 1)
    raises(glia.FieldError, "y", readout.Softmax().fit, xs, ys.astype(float))
    raises(glia.FieldError, "y", readout.Softmax().fit, xs, np.zeros(len(xs), int))
    raises(glia.FieldError, "y", readout.Softmax().fit, xs, ys, classes=2)
    raises(glia.FieldError, "Softmax", readout.Softmax().predict, xs)
    raises(glia.FieldError, "delta", readout.RLS, 3, delta=0.0)
    raises(glia.FieldError, "forget", readout.RLS, 3, forget=1.5)
    raises(glia.FieldError, "features", readout.RLS, 0)
    raises(glia.FieldError, "x", readout.RLS(3).update, np.ones(4), 1.0)
    raises(glia.FieldError, "y", readout.RLS(3).update, np.ones(3), [1.0, 2.0])
    raises(glia.FieldError, "classes", tasks.patterns, 10, classes=1)
    raises(glia.FieldError, "noise", tasks.patterns, 10, noise=-1.0)
    raises(glia.FieldError, "h", tasks.mackey_glass, 10, h=0.3)
    raises(glia.FieldError, "max_delay", tasks.memory_capacity, 10, 0)
    raises(glia.FieldError, "yhat", tasks.nrmse, np.ones(3), np.ones(4))
    raises(glia.FieldError, "predictions", tasks.mc_score, np.ones((3, 2)), np.ones((3, 1)))
    raises(glia.FieldError, "predicted", tasks.accuracy, [1, 2], [1])
    raises(glia.FieldError, "high", tasks.uniform, 3, 1.0, 0.0)
    # experiments: the command line's field paths and messages
    err = raises(glia.FieldError, "task.train", reservoir.run_experiment,
                 _narma_dict(washout=2000))
    assert "not more than task.washout = 2000" in str(err)
    raises(glia.FieldError, "reservoir.input[0]", reservoir.from_experiment,
           _narma_dict(input="nope"))
    raises(glia.FileError, str(tmp_path / "none.toml"), reservoir.run_experiment,
           tmp_path / "none.toml")
    raises(glia.FieldError, "source", reservoir.run_experiment, 42)
    # the reservoir driver
    net = glia.from_dict(_narma_model(), duration=1e9)
    raises(glia.NotFoundError, "population", reservoir.Reservoir, net, "nope")
    raises(glia.NotFoundError, "R.v", reservoir.Reservoir, net, "R", variable="v")
    raises(glia.FieldError, "input_weights", reservoir.Reservoir, net, "R", input_weights="x")
    raises(glia.FieldError, "input_connectivity", reservoir.Reservoir, net, "R",
           input_connectivity=0.0)
    raises(glia.FieldError, "weights", reservoir.Reservoir, net, "R", weights=np.ones((3, 1)))
    res = reservoir.Reservoir(net, "R", dim=2)
    raises(glia.FieldError, "u", res.run, np.ones(5))
    raises(glia.FieldError, "u", res.step, 1.0)
    raises(glia.FieldError, "u", res.run, np.full((4, 2), np.inf))
    err = raises(glia.FieldError, "washout", res.run, np.ones((5, 2)), washout=5)
    assert err.detail.startswith("5 samples are not more than washout = 5")


def _narma_model():
    return {k: v for k, v in copy.deepcopy(NARMA_DICT).items()
            if k not in ("reservoir", "task", "readout")}


def _narma_dict(washout=100, input="R"):
    d = copy.deepcopy(NARMA_DICT)
    d["task"]["washout"] = washout
    d["reservoir"]["input"] = input
    return d


def test_public_api_is_listed():
    """The public names of the reservoir modules, each exercised above; a new one must be
    added here (and tested)."""
    assert set(readout.__all__) == {"Ridge", "Softmax", "RLS", "ridge", "ridge_cv"}
    assert set(tasks.__all__) == {"uniform", "memory_capacity", "narma10", "narma10_target",
                                  "mackey_glass", "patterns", "nrmse", "r2", "mc_score",
                                  "accuracy", "valid_steps"}
    assert set(reservoir.__all__) == {"run_experiment", "from_experiment", "Reservoir"}

    def public(cls):
        return {x for x in dir(cls) if not x.startswith("_")}

    assert public(readout.Ridge) == {"alpha", "fit_intercept", "fit", "predict", "coef_",
                                     "intercept_"}
    assert public(readout.Softmax) == {"l2", "solver", "fit", "predict", "predict_proba",
                                       "decision_function", "loss", "coef_", "intercept_",
                                       "n_iter_", "n_classes_"}
    assert public(readout.RLS) == {"update", "fit", "predict", "coef_", "P", "forget"}
    assert public(reservoir.Reservoir) == {"from_experiment", "run", "step", "network",
                                           "n_features", "dim", "input_weights"}
    r = readout.Ridge(0.5, fit_intercept=False)
    assert (r.alpha, r.fit_intercept) == (0.5, False)
    s = readout.Softmax(l2=0.1, solver="minibatch")
    assert (s.l2, s.solver) == (0.1, "minibatch")


def test_gil_is_released_while_fitting():
    """A Python thread keeps running while another fits a readout (RLS over 4000 samples of
    200 features). With the GIL held the main thread could not tick during the fit (at most
    1–2 ticks); released, it ticks about every 5 ms of the fit's duration."""
    import threading  # noqa: PLC0415
    import time  # noqa: PLC0415

    x = np.random.default_rng(0).normal(size=(4000, 200))
    ticks = []
    done = threading.Event()
    span = []

    def fit():
        t0 = time.perf_counter()
        readout.RLS(200, 1).fit(x, x[:, 0])
        span.append(time.perf_counter() - t0)
        done.set()

    th = threading.Thread(target=fit)
    th.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.005)
    th.join()
    expected = span[0] / 0.005
    assert len(ticks) >= max(3, 0.25 * expected), (
        f"the main thread ran only {len(ticks)} times during a {span[0]:.3f} s fit")

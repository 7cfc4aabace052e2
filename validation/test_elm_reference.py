"""Tests of validation/elm_reference.py: it reproduces the committed fixture that glia's Rust
tests read (crates/glia-sim/tests/elm.rs), and its forward pass has the properties the
equations imply."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import elm_reference as ref  # noqa: E402


def test_fixture_is_reproduced():
    fresh = ref.make_fixture()
    committed = np.load(ref.FIXTURE)
    assert sorted(fresh) == sorted(committed.files)
    for name, value in fresh.items():
        np.testing.assert_allclose(committed[name], value, rtol=1e-12, atol=0, err_msg=name)


def test_decay_without_input_and_bounded_update():
    w = ref.make_fixture()
    x = np.zeros((400, w["w_s"].size))
    x[1] = 1.0
    y, m, b = ref.forward(w, x, 1.0)
    # Branch traces decay exactly with exp(-dt / tau_b) once the input is gone.
    assert np.all(b[1] > 0)
    np.testing.assert_allclose(b[2:], np.exp(-1.0 / w["tau_b"]) * b[1:-1], rtol=1e-12, atol=0)
    # |dm| <= 1.7159, so each step moves m by at most (1 - kappa_lambda) * 1.7159 beyond its decay.
    kappa_m = np.exp(-1.0 / w["tau_m"])
    gain = 1.0 - np.exp(-5.0 / w["tau_m"])
    step = m[1:] - kappa_m * m[:-1]
    assert np.all(np.abs(step) <= 1.7159 * gain + 1e-12)
    # y is the affine read-out of m.
    np.testing.assert_allclose(y, m @ w["w_y"].T + w["b_y"], rtol=1e-12, atol=1e-12)

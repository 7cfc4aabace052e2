"""The NaN check of ``Network.run`` (glia_sim::health, as the command line's ``--on-nan``):
a NaN or infinity in a state variable stops the run with ``glia.NumericalError`` naming the
population, neuron, variable and step; ``on_nan="warn"`` warns once and runs on; ``"off"``
does not check. The fault is injected with a finite but huge weight (3e38, below float32's
3.4e38): the target's synaptic current overflows to infinity at the second spike through it
(3e38 · e^(−6.2/10) + 3e38 > 3.4e38)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glia

LIF = {"tau_m": 20.0, "C_m": 250.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0,
       "t_ref": 2.0}


def two_pops(bad_synapse=None):
    """20 driven neurons `a` (all spike at the same times, every 6.2 ms) → one-to-one → 20
    neurons `b` (synaptic time constant 10 ms), delay 0.5 ms; synapse `bad_synapse` gets the
    weight 3e38."""
    m = glia.Model(dt=0.1, seed=3)
    m.population("a", 20, "lif", params=LIF, ports={"exc": {"tau_syn": 2.0}})
    m.population("b", 20, "lif", params=LIF, ports={"exc": {"tau_syn": 10.0}})
    m.input("dc", target="a", amplitude=1000.0)
    m.projection("a", "b", "exc", "one_to_one", weight=10.0, delay=0.5)
    m.monitor("spikes", population="a")
    net = m.build()
    if bad_synapse is not None:
        w = net.weights("a->b")
        w[bad_synapse] = 3e38
        net.set_weights("a->b", w)
    return net


def test_overflow_raises_numerical_error_naming_the_neuron():
    net = two_pops(bad_synapse=7)
    with pytest.raises(glia.NumericalError) as e:
        net.run(50.0)
    err = e.value
    assert isinstance(err, glia.ModelError) and isinstance(err, ArithmeticError)
    assert (err.population, err.neuron) == ("b", 7) and err.variable in net.variables("b")
    assert err.path == f"b.{err.variable}" and not np.isfinite(err.value)
    # checked every 20 steps (glia_sim::health::CHECK_EVERY): the step is the first check after the second spike arrived
    second = np.unique(net.spikes("a")[0])[1]          # end of the step the spike was in
    assert err.step % 20 == 0 and err.last_ok == err.step - 20
    assert second + 0.5 - 0.1 < err.t_ms <= second + 0.5 + 2.0 + 1e-9
    assert err.t_ms == pytest.approx(err.step * 0.1)
    assert str(err).startswith(f'non-finite state: population "b", neuron 7, variable '
                               f"{err.variable} = ")
    assert f"at step {err.step} (t = " in str(err)
    assert f"arose in steps {err.last_ok + 1}..={err.step}" in str(err)
    # the run stopped there; the network stays readable, the other neurons are finite
    assert net.step == err.step < 500
    x = net.state("b", err.variable)
    assert not np.isfinite(x[7]) and np.isfinite(np.delete(x, 7)).all()


def test_warn_and_off():
    net = two_pops(bad_synapse=0)
    with pytest.warns(glia.NumericalWarning, match='population "b", neuron 0'):
        stats = net.run(20.0, on_nan="warn")
    assert stats["complete"] and net.step == 200 and "on_nan" in stats["fault"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = net.run(3.0, on_nan="off")
        assert stats["complete"] and stats["fault"] is None and net.step == 230
        stats = net.run(3.0, on_nan="warn")       # warned once: later runs check no more
        assert stats["complete"] and stats["fault"] is None and net.step == 260
    with pytest.raises(glia.FieldError) as e:
        net.run(1.0, on_nan="ignore")
    assert e.value.path == "on_nan" and 'got "ignore"' in str(e.value)
    clean = two_pops()
    assert clean.run(20.0)["fault"] is None and len(clean.spikes("a")[0]) > 0

"""The NaN check of ``Network.run`` (glia_sim::health, as the command line's ``--on-nan``):
a NaN or infinity in a state variable stops the run with ``glia.NumericalError`` naming the
population, neuron, variable and step; ``on_nan="warn"`` warns once and runs on; ``"off"``
does not check."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glia


def two_pops():
    m = glia.Model(dt=0.1, seed=3)
    lif = {"tau_m": 20.0, "C_m": 250.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0,
           "t_ref": 2.0}
    m.population("a", 20, "lif", params=lif, ports={"exc": {"tau_syn": 2.0}})
    m.population("b", 30, "lif", params=lif, ports={"exc": {"tau_syn": 2.0}})
    m.input("dc", target="a", amplitude=1000.0)
    m.projection("a", "b", "exc", "all_to_all", weight=10.0, delay=0.5)
    m.monitor("spikes", population="a")
    return m.build()


def test_nan_in_state_raises_numerical_error():
    net = two_pops()
    net.run(1.0)
    v = net.state("b", "v")
    v[7] = np.nan
    net.set_state("b", "v", v)
    with pytest.raises(glia.NumericalError) as e:
        net.run(5.0)
    err = e.value
    assert isinstance(err, glia.ModelError) and isinstance(err, ArithmeticError)
    assert (err.population, err.neuron, err.variable) == ("b", 7, "v")
    assert err.step == 20 and err.last_ok == 10 and err.t_ms == pytest.approx(2.0)
    assert np.isnan(err.value) and err.path == "b.v"
    assert str(err).startswith('non-finite state: population "b", neuron 7, variable v = NaN '
                               "at step 20 (t = 2 ms)")
    assert "arose in steps 11..=20" in str(err)
    assert net.step == 20, "the run stops at the check that found it"


def test_weight_overflow_is_found_at_the_step_it_arises():
    """A finite but huge weight overflows the synaptic current to infinity at the first
    spike through it: the fault names the target population and a step after that spike."""
    net = two_pops()
    net.set_weights("a->b", np.full(600, 3e38, dtype=np.float32))
    with pytest.raises(glia.NumericalError) as e:
        net.run(50.0)
    err = e.value
    first_spike = net.spikes("a")[0].min()
    assert err.population == "b" and err.variable in net.variables("b")
    assert first_spike < err.t_ms <= first_spike + 0.5 + 1.0 + 1e-9
    assert net.step == err.step < 500


def test_warn_and_off():
    net = two_pops()
    v = net.state("a", "v")
    v[0] = np.inf
    net.set_state("a", "v", v)
    with pytest.warns(glia.NumericalWarning, match='population "a", neuron 0, variable v'):
        stats = net.run(3.0, on_nan="warn")
    assert stats["complete"] and net.step == 30 and "on_nan" in stats["fault"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = net.run(3.0, on_nan="off")
    assert stats["complete"] and stats["fault"] is None and net.step == 60
    with pytest.raises(glia.FieldError) as e:
        net.run(1.0, on_nan="ignore")
    assert e.value.path == "on_nan" and 'got "ignore"' in str(e.value)
    clean = two_pops()
    assert clean.run(2.0)["fault"] is None

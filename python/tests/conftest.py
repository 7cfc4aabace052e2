"""Shared fixtures of the Python package's tests: a small CUBA-like network written both as
model-file text and with the Python builder."""

from __future__ import annotations

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# 400 excitatory + 100 inhibitory LIF neurons (CUBA parameters, 2 % x 4 connectivity so that
# each neuron has CUBA's 80 inputs), random initial v, per-synapse weights and delays.
SMALL_TOML = """
[simulation]
dt = 0.1
duration = 200.0
seed = 7

[parameters]
we = 1.62
wi = -9.0

[[populations]]
name = "exc"
size = 400
model = "lif"
params = { tau_m = 20.0, C_m = 20.0, E_L = -49.0, V_th = -50.0, V_reset = -60.0, t_ref = 5.0 }
ports.exc = { tau_syn = 5.0 }
ports.inh = { tau_syn = 10.0 }
initial.v = { dist = "uniform", low = -60.0, high = -50.0 }

[[populations]]
name = "inh"
size = 100
model = "lif"
params = { tau_m = 20.0, C_m = 20.0, E_L = -49.0, V_th = -50.0, V_reset = -60.0, t_ref = 5.0 }
ports.exc = { tau_syn = 5.0 }
ports.inh = { tau_syn = 10.0 }
initial.v = { dist = "uniform", low = -60.0, high = -50.0 }

[[projections]]
source = "exc"
target = "exc"
port = "exc"
connect = { rule = "fixed_probability", p = 0.16, allow_self = false }
weight = { dist = "normal", mean = "= we", std = 0.2, min = 0.0 }
delay = { dist = "uniform", low = 0.1, high = 2.0 }

[[projections]]
source = "exc"
target = "inh"
port = "exc"
connect = { rule = "fixed_probability", p = 0.16 }
weight = "= we"

[[projections]]
source = "inh"
target = "exc"
port = "inh"
connect = { rule = "fixed_indegree", indegree = 16 }
weight = "= wi"
delay = 0.5

[[projections]]
source = "inh"
target = "inh"
port = "inh"
connect = { rule = "fixed_probability", p = 0.16, allow_self = false }
weight = "= wi"

[[inputs]]
kind = "poisson"
target = "exc"
port = "exc"
rate = 5.0
sources = 20
weight = 1.0

[[monitors]]
kind = "spikes"
population = "exc"

[[monitors]]
kind = "spikes"
population = "inh"

[[monitors]]
kind = "rate"
population = "exc"
bin = 1.0

[[monitors]]
kind = "state"
population = "exc"
variables = ["v", "I_exc"]
ids = [0, 1, 2]
interval = 1.0
"""

LIF = {"tau_m": 20.0, "C_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0, "t_ref": 5.0}
PORTS = {"exc": {"tau_syn": 5.0}, "inh": {"tau_syn": 10.0}}


def small_model(duration=200.0):
    """SMALL_TOML written with the Python builder."""
    import glia

    m = glia.Model(dt=0.1, duration=duration, seed=7, parameters={"we": 1.62, "wi": -9.0})
    v0 = {"dist": "uniform", "low": -60.0, "high": -50.0}
    m.population("exc", 400, "lif", params=LIF, ports=PORTS, initial={"v": v0})
    m.population("inh", 100, "lif", params=LIF, ports=PORTS, initial={"v": v0})
    m.projection("exc", "exc", "exc", {"rule": "fixed_probability", "p": 0.16, "allow_self": False},
                 weight={"dist": "normal", "mean": "= we", "std": 0.2, "min": 0.0},
                 delay={"dist": "uniform", "low": 0.1, "high": 2.0})
    m.projection("exc", "inh", "exc", {"rule": "fixed_probability", "p": 0.16}, weight="= we")
    m.projection("inh", "exc", "inh", {"rule": "fixed_indegree", "indegree": 16},
                 weight="= wi", delay=0.5)
    m.projection("inh", "inh", "inh", {"rule": "fixed_probability", "p": 0.16, "allow_self": False},
                 weight="= wi")
    m.input("poisson", target="exc", port="exc", rate=5.0, sources=20, weight=1.0)
    m.monitor("spikes", population="exc")
    m.monitor("spikes", population="inh")
    m.monitor("rate", population="exc", bin=1.0)
    m.monitor("state", population="exc", variables=["v", "I_exc"], ids=[0, 1, 2], interval=1.0)
    return m


@pytest.fixture
def small_toml(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL_TOML)
    return path

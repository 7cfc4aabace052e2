"""glia's NIR export read by the Python `nir` package, field by field, and back.

Exports a glia model of every exportable kind (`glia nir export`), reads it with `nir.read`,
checks each field against the conversion that docs/nir.md states (seconds, r = tau_m/C_m,
W = w*tau_syn/dt into an exp port, W = w*C_m/dt into a delta port, a Delay node for the part of
a delay beyond one step, the dc current as the Affine's bias), then writes the graph again with
`nir.write` and imports it with `glia nir import`: the weights, delays and parameters come back.
Skips when the `nir` package is missing or glia was built without the `nir` feature.
Needs ``target/release/glia`` (``cargo build --release --features nir``) or ``GLIA=path``.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

nir = pytest.importorskip("nir", reason="the Python `nir` package is not installed (pip install nir)")
if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
GLIA = os.environ.get("GLIA", str(ROOT / "target" / "release" / "glia"))

MODEL = """
[simulation]
dt = 0.1
duration = 50.0

[[populations]]
name = "inp"
size = 3
model = "poisson"
params = { rate = 50.0 }

[[populations]]
name = "hid"
size = 4
model = "lif"
params = { tau_m = 10.0, C_m = 4.0, E_L = 0.0, V_th = 1.0, V_reset = -0.2, t_ref = 0.0 }
ports.syn = { tau_syn = 5.0 }
initial.I_syn = [0.0, -1.5, 0.0, 0.0]

[[populations]]
name = "out"
size = 2
model = "lif"
params = { tau_m = 20.0, C_m = 10.0, E_L = -0.5, V_th = 2.0, V_reset = -0.5, t_ref = 0.0 }
ports.d = { kernel = "delta" }

[[inputs]]
kind = "dc"
target = "hid"
amplitude = 1.5
ids = [1]

[[projections]]
source = "inp"
target = "hid"
port = "syn"
connect = { rule = "fixed_probability", p = 0.7 }
weight = { dist = "uniform", low = 0.1, high = 1.0 }

[[projections]]
source = "hid"
target = "out"
port = "d"
connect = { rule = "all_to_all" }
weight = 0.3
delay = 2.5

[[monitors]]
kind = "spikes"
population = "out"
"""


def glia(*args, check=True):
    if not Path(GLIA).exists():
        pytest.skip(f"{GLIA} not built (cargo build --release --features nir)")
    r = subprocess.run([GLIA, *args], capture_output=True, text=True)
    if r.returncode != 0 and "without the `nir` feature" in r.stderr:
        pytest.skip("glia was built without the `nir` feature")
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_export_reads_in_nir_and_round_trips(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(MODEL)
    out = tmp_path / "m.nir"
    glia("nir", "export", str(model), "-o", str(out))
    g = nir.read(str(out))
    n = g.nodes
    assert isinstance(n["inp"], nir.Input) and list(n["inp"].output_type["output"]) == [3]
    hid, o = n["hid"], n["out"]
    assert isinstance(hid, nir.CubaLIF) and isinstance(o, nir.LIF)
    np.testing.assert_allclose(hid.tau_mem, [0.01] * 4)
    np.testing.assert_allclose(hid.tau_syn, [0.005] * 4)
    np.testing.assert_allclose(hid.r, [2.5] * 4)  # tau_m / C_m
    np.testing.assert_allclose(hid.v_threshold, [1.0] * 4)
    np.testing.assert_allclose(hid.v_reset, [-0.2] * 4)
    np.testing.assert_allclose(hid.w_in, [1.0] * 4)
    np.testing.assert_allclose(o.tau, [0.02] * 2)
    np.testing.assert_allclose(o.r, [2.0] * 2)
    np.testing.assert_allclose(o.v_leak, [-0.5] * 2)
    a1, a2 = n["inp->hid"], n["hid->out"]
    assert isinstance(a1, nir.Affine) and a1.weight.shape == (4, 3)
    w1 = a1.weight * 0.1 / 5.0  # back to glia's pA per spike
    nz = w1[w1 != 0]
    assert len(nz) > 0 and np.all((nz >= 0.1 - 1e-6) & (nz <= 1.0 + 1e-6))
    np.testing.assert_allclose(a1.bias, [0.0, 1.5, 0.0, 0.0])
    np.testing.assert_allclose(a2.weight, np.full((2, 4), 0.3 * 10.0 / 0.1), rtol=1e-6)
    np.testing.assert_allclose(a2.bias, [0.0, 0.0])
    d = n["hid->out_delay"]
    assert isinstance(d, nir.Delay)
    np.testing.assert_allclose(d.delay, [0.0024] * 2, rtol=1e-9)  # 2.5 ms = one step + 2.4 ms
    assert isinstance(n["out_output"], nir.Output)
    edges = set(g.edges)
    for e in [("inp", "inp->hid"), ("inp->hid", "hid"), ("hid", "hid->out"),
              ("hid->out", "hid->out_delay"), ("hid->out_delay", "out"), ("out", "out_output")]:
        assert e in edges, (e, edges)

    # back: nir.write, then glia nir import
    again = tmp_path / "again.nir"
    nir.write(str(again), g)
    back = tmp_path / "back.toml"
    glia("nir", "import", str(again), "-o", str(back), "--dt", "0.1")
    m = tomllib.loads(back.read_text())
    pops = {p["name"]: p for p in m["populations"]}
    assert pops["hid"]["params"]["tau_m"] == pytest.approx(10.0)
    assert pops["hid"]["params"]["C_m"] == pytest.approx(4.0)
    assert pops["hid"]["ports"]["in"]["tau_syn"] == pytest.approx(5.0)
    assert pops["out"]["params"]["E_L"] == pytest.approx(-0.5)
    assert pops["out"]["ports"]["in"]["kernel"] == "delta"
    np.testing.assert_allclose(pops["hid"]["initial"]["I_in"], [0.0, -1.5, 0.0, 0.0])
    projs = {p["name"]: p for p in m["projections"]}
    c2 = np.load(tmp_path / projs["hid_to_out"]["connect"]["file"])
    np.testing.assert_allclose(c2["weights"], 0.3, rtol=1e-6)
    np.testing.assert_allclose(c2["delays"], 2.5, rtol=1e-9)
    c1 = np.load(tmp_path / projs["inp_to_hid"]["connect"]["file"])
    np.testing.assert_allclose(np.sort(c1["weights"]), np.sort(nz), rtol=1e-6)


def test_export_refuses_refractoriness(tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(MODEL.replace("V_reset = -0.2, t_ref = 0.0", "V_reset = -0.2, t_ref = 2.0"))
    r = glia("nir", "export", str(model), check=False)
    assert r.returncode == 2
    assert "populations[1].params.t_ref: cannot export to NIR: refractory period" in r.stderr

"""Write the NIR graphs (and the numpy reference) that glia's NIR tests read.

Run from the repository root:  python3 validation/nir_fixtures.py
Needs the `nir` package (PyPI `nir`, which brings h5py). Output: validation/fixtures/nir/*.nir
and cuba_net_reference.npz. The Rust tests in crates/glia-nir/tests/import.rs read them.

Conventions (docs/nir.md): NIR stores seconds; glia works in ms. A spike is a pulse of area dt
(one step of unit height, the convention of NIR's Euler discretisation and of the snnTorch and
Norse exporters): through weight W it moves a LIF's v by R*W*dt/tau and a CubaLIF's I by
w_in*W*dt/tau_syn. Every edge between neurons takes one step (glia's minimum delay); a Delay
node adds its delay on top. Initial state: v = v_leak, I = 0.
"""

from pathlib import Path

import nir
import numpy as np
from scipy.linalg import expm

OUT = Path(__file__).resolve().parent / "fixtures" / "nir"


def lif_bias():
    """One LIF neuron driven by an Affine's bias (a constant current): the exact solution is
    v(t) = v_inf + (v0 - v_inf) exp(-t/tau), v_inf = v_leak + R b."""
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([1])}),
            "affine": nir.Affine(weight=np.array([[0.0]]), bias=np.array([0.6])),
            "lif": nir.LIF(
                tau=np.array([0.02]),
                r=np.array([2.0]),
                v_leak=np.array([0.2]),
                v_threshold=np.array([1.0]),
                v_reset=np.array([0.0]),
            ),
            "output": nir.Output(output_type={"output": np.array([1])}),
        },
        edges=[("input", "affine"), ("affine", "lif"), ("lif", "output")],
    )


# Affine -> CubaLIF -> Affine -> CubaLI, with input spikes below.
RNG = np.random.default_rng(9)
N_IN, N_HID, N_OUT = 3, 4, 2
W1 = RNG.uniform(0.5, 3.0, size=(N_HID, N_IN)).round(3)
B1 = np.array([0.0, 0.01, 0.0, 0.02])
W2 = RNG.uniform(-1.0, 2.0, size=(N_OUT, N_HID)).round(3)
B2 = np.zeros(N_OUT)
HID = dict(
    tau_syn=np.array([0.005] * N_HID),
    tau_mem=np.array([0.01] * N_HID),
    r=np.array([1.5] * N_HID),
    v_leak=np.array([0.0] * N_HID),
    v_threshold=np.array([1.0] * N_HID),
    v_reset=np.array([0.0] * N_HID),
    w_in=np.array([40.0, 50.0, 60.0, 40.0]),
)
OUTP = dict(
    tau_syn=np.array([0.004] * N_OUT),
    tau_mem=np.array([0.02] * N_OUT),
    r=np.array([1.0] * N_OUT),
    v_leak=np.array([0.0] * N_OUT),
    w_in=np.array([30.0, 30.0]),
)
# Input spikes: (time in ms on the 0.1 ms grid, input index).
IN_TIMES = np.array([2.0, 2.0, 3.5, 5.0, 5.0, 5.0, 9.0, 12.3, 15.0, 15.1, 15.2, 30.0])
IN_IDS = np.array([0, 1, 2, 0, 1, 2, 1, 0, 2, 2, 2, 0])
DT, T_END = 0.1, 60.0


def cuba_net():
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([N_IN])}),
            "fc1": nir.Affine(weight=W1, bias=B1),
            "hidden": nir.CubaLIF(**HID),
            "fc2": nir.Affine(weight=W2, bias=B2),
            "readout": nir.CubaLI(**OUTP),
            "output": nir.Output(output_type={"output": np.array([N_OUT])}),
        },
        edges=[
            ("input", "fc1"),
            ("fc1", "hidden"),
            ("hidden", "fc2"),
            ("fc2", "readout"),
            ("readout", "output"),
        ],
    )


def cuba_propagator(tau_syn, tau_mem, r, h):
    """Exact propagator of d/dt (I, v - v_leak) over h (ms) by the matrix exponential,
    independent of glia's closed forms."""
    a = np.array([[-1.0 / tau_syn, 0.0], [r / tau_mem, -1.0 / tau_mem]])
    return expm(a * h)


def cuba_layer(p, ms, x_in, bias, spiking):
    """Simulate a CubaLIF/CubaLI layer on the dt grid. x_in[s] is the weighted spike input
    (sum of W * spikes) that arrives at the end of step s; it adds w_in*x*dt/tau_syn to I.
    The bias b is a constant input to I's equation: its part of I is
    w_in*b*(1 - exp(-t/tau_syn)), integrated exactly by the augmented propagator."""
    n = len(p["tau_syn"])
    steps = x_in.shape[0]
    v = np.tile(p["v_leak"], 1).astype(float).copy()
    cur = np.zeros(n)
    vs = np.zeros((steps, n))
    spikes = []
    for i in range(n):
        ts, tm = p["tau_syn"][i] * 1e3, p["tau_mem"][i] * 1e3
        r, w_in, vl = p["r"][i], p["w_in"][i], p["v_leak"][i]
        # augmented state (I, u = v - v_leak, 1): constant input w_in*b to tau_syn dI/dt
        a = np.array(
            [[-1.0 / ts, 0.0, w_in * bias[i] / ts], [r / tm, -1.0 / tm, 0.0], [0, 0, 0]]
        )
        prop = expm(a * DT)
        state = np.array([0.0, 0.0, 1.0])
        for s in range(steps):
            state = prop @ state
            if spiking and state[1] + vl >= p["v_threshold"][i]:
                spikes.append(((s + 1) * DT, i))
                state[1] = p["v_reset"][i] - vl
            state[0] += w_in * x_in[s, i] * DT / ts
            vs[s, i] = state[1] + vl
        del r
    spikes.sort()
    return vs, spikes


def cuba_reference():
    steps = int(round(T_END / DT))
    # Input spikes stamped at t arrive one step later (end of step t/dt).
    x1 = np.zeros((steps, N_HID))
    for t, i in zip(IN_TIMES, IN_IDS):
        s = int(round(t / DT))  # arrives at the end of step s (time (s+1)*dt)
        x1[s] += W1[:, i]
    v_hid, sp_hid = cuba_layer(HID, None, x1, B1, True)
    x2 = np.zeros((steps, N_OUT))
    for t, i in sp_hid:
        s = int(round(t / DT))
        if s < steps:
            x2[s] += W2[:, i]
    v_out, _ = cuba_layer(OUTP, None, x2, B2, False)
    t = (np.arange(steps) + 1) * DT
    return dict(
        dt=DT,
        t_end=T_END,
        in_times=IN_TIMES,
        in_ids=IN_IDS.astype(np.uint32),
        t=t,
        hidden_v=v_hid,
        hidden_times=np.array([s[0] for s in sp_hid]),
        hidden_ids=np.array([s[1] for s in sp_hid], dtype=np.uint32),
        readout_v=v_out,
    )


def node_zoo():
    """Every supported edge node: Conv2d -> Flatten -> Scale -> Linear -> Delay, and IF, LI, I."""
    conv_w = np.arange(2 * 1 * 2 * 2, dtype=float).reshape(2, 1, 2, 2) / 10.0 - 0.3
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([1, 3, 3])}),
            "conv": nir.Conv2d(
                input_shape=(3, 3),
                weight=conv_w,
                stride=1,
                padding=1,
                dilation=1,
                groups=1,
                bias=np.array([0.0, 0.1]),
            ),
            "if1": nir.IF(
                r=np.ones((2, 4, 4)), v_threshold=np.ones((2, 4, 4)), v_reset=np.zeros((2, 4, 4))
            ),
            "flat": nir.Flatten(start_dim=0, end_dim=-1, input_type={"input": np.array([2, 4, 4])}),
            "scale": nir.Scale(scale=np.linspace(0.5, 2.0, 32)),
            "lin": nir.Linear(weight=np.linspace(-1, 1, 5 * 32).reshape(5, 32)),
            "delay": nir.Delay(delay=np.array([0.001, 0.002, 0.001, 0.0005, 0.0])),
            "li": nir.LI(tau=np.full(5, 0.01), r=np.ones(5), v_leak=np.zeros(5)),
            "integ": nir.I(r=np.full(5, 2.0)),
            "conv1": nir.Conv1d(
                input_shape=9,
                weight=np.array([[[1.0, -1.0, 0.5]]]),
                stride=1,
                padding=0,
                dilation=1,
                groups=1,
                bias=np.array([0.0]),
            ),
            "lif1": nir.LIF(
                tau=np.full((1, 7), 0.01),
                r=np.ones((1, 7)),
                v_leak=np.zeros((1, 7)),
                v_threshold=np.ones((1, 7)),
                v_reset=np.zeros((1, 7)),
            ),
            "output": nir.Output(output_type={"output": np.array([5])}),
            "output2": nir.Output(output_type={"output": np.array([1, 7])}),
        },
        edges=[
            ("input", "conv"),
            ("conv", "if1"),
            ("if1", "flat"),
            ("flat", "scale"),
            ("scale", "lin"),
            ("lin", "delay"),
            ("delay", "li"),
            ("li", "output"),
            ("lin", "integ"),
            ("if1", "output"),
            ("input", "conv1"),
            ("conv1", "lif1"),
            ("lif1", "output2"),
        ],
        type_check=False,
    )


def unsupported():
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "thr": nir.Threshold(threshold=np.array([1.0, 1.0])),
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "thr"), ("thr", "output")],
    )


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    nir.write(OUT / "lif_bias.nir", lif_bias())
    nir.write(OUT / "cuba_net.nir", cuba_net())
    np.savez(OUT / "cuba_net_reference.npz", **cuba_reference())
    nir.write(OUT / "node_zoo.nir", node_zoo())
    nir.write(OUT / "unsupported.nir", unsupported())
    for f in sorted(OUT.iterdir()):
        print(f, f.stat().st_size)


if __name__ == "__main__":
    main()

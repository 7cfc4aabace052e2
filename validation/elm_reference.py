"""Expressive Leaky Memory neuron (Branch-ELM; Spieler et al. 2023, arXiv:2306.16922), written
in NumPy (float64) from the equations, independently of glia, and the fixture that glia's tests
compare against (crates/glia-sim/tests/elm.rs).

One step t (dt in ms), as in the paper and the authors' code (github.com/AaronSpieler/elmneuron,
src/expressive_leaky_memory_neuron_v2.py):

    b_t  = kappa_b * b_{t-1} + sum_{synapses s of branch k} relu(w_s) x_{t,s}   kappa_b = exp(-dt/tau_b)
    z_t  = [b_t, kappa_m * m_{t-1}]
    dm_t = g(MLP(z_t))       MLP: hidden layers h <- act(W h + c) (relu or silu), then a linear layer
    m_t  = kappa_m * m_{t-1} + (1 - kappa_lambda) * dm_t
                             kappa_m = exp(-dt/tau_m), kappa_lambda = exp(-dt*lambda/tau_m)
    y_t  = W_y m_t + b_y

with g the authors' scaled tanh g(x) = 1.7159 tanh(2x/3) (LeCun 1998) by default, or tanh.
b and m start at zero.

Run `python3 validation/elm_reference.py` to (re)write validation/fixtures/elm_small.npz:
the weights in glia's weights-file format (see crates/glia-sim/src/neurons/elm.rs), plus

    x      (T, n_syn) uint8   binary input (spikes), x[0] = 0 so that spike generators can
                              deliver every row through a one-step delay
    dt     ()         float64 step [ms]
    y_ref  (T, n_out) float64 outputs after each step
    m_ref  (T, d_m)   float64 memory after each step
    b_ref  (T, n_b)   float64 branch traces after each step
    y_silu_tanh (T, n_out) float64 outputs with SiLU hidden layers and g = tanh

Only NumPy is needed; validation/test_elm_reference.py checks that this script reproduces the
committed fixture.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "elm_small.npz")


def lecun_tanh(x):
    return 1.7159 * np.tanh(2.0 / 3.0 * x)


def relu(x):
    return np.maximum(x, 0.0)


def silu(x):
    return x / (1.0 + np.exp(-x))


def mlp_layers(w):
    """The MLP's (W, c) pairs in order: mlp_w0/mlp_b0, mlp_w1/mlp_b1, ..."""
    layers = []
    k = 0
    while f"mlp_w{k}" in w:
        layers.append((np.asarray(w[f"mlp_w{k}"], float), np.asarray(w[f"mlp_b{k}"], float)))
        k += 1
    return layers


def forward(w, x, dt, activation="relu", update="lecun_tanh"):
    """Run one ELM neuron over the input x (T, n_syn). Returns y (T, n_out), m (T, d_m),
    b (T, n_b), all float64."""
    tau_m = np.asarray(w["tau_m"], float)
    layers = mlp_layers(w)
    d_m = tau_m.size
    n_b = layers[0][0].shape[1] - d_m
    tau_b = np.broadcast_to(np.asarray(w["tau_b"], float), (n_b,))
    lam = float(w["lambda"])
    w_s = np.asarray(w["w_s"], float)
    branch = np.asarray(w["synapse_branch"], int)
    # Synapse-to-branch summation as a matrix: S[k, s] = relu(w_s) if synapse s is on branch k.
    S = np.zeros((n_b, w_s.size))
    S[branch, np.arange(w_s.size)] = relu(w_s)
    kappa_b = np.exp(-dt / tau_b)
    kappa_m = np.exp(-dt / tau_m)
    kappa_l = np.exp(-dt * lam / tau_m)
    act = {"relu": relu, "silu": silu}[activation]
    g = {"lecun_tanh": lecun_tanh, "tanh": np.tanh}[update]
    w_y, b_y = np.asarray(w["w_y"], float), np.asarray(w["b_y"], float)

    T = x.shape[0]
    b = np.zeros(n_b)
    m = np.zeros(d_m)
    ys, ms, bs = np.zeros((T, b_y.size)), np.zeros((T, d_m)), np.zeros((T, n_b))
    for t in range(T):
        b = kappa_b * b + S @ x[t]
        h = np.concatenate([b, kappa_m * m])
        for W, c in layers[:-1]:
            h = act(W @ h + c)
        W, c = layers[-1]
        dm = g(W @ h + c)
        m = kappa_m * m + (1.0 - kappa_l) * dm
        ys[t], ms[t], bs[t] = w_y @ m + b_y, m, b
    return ys, ms, bs


def make_fixture():
    """A small Branch-ELM: 4 branches with 3 synapses each (scattered over the branches),
    6 memory units (tau_m log-spaced in [1, 1000] ms), two hidden layers (10 and 7 units,
    ReLU), 2 outputs; T = 200 steps of 1 ms of binary input with p = 0.15 per synapse and
    step. PyTorch-like uniform initialisation, scaled up so that the MLP is not near-linear."""
    rng = np.random.default_rng(20230629)
    n_b, per, d_m, n_out, hidden, T, dt = 4, 3, 6, 2, (10, 7), 200, 1.0
    n_syn = n_b * per
    w = {}
    w["w_s"] = rng.normal(0.5, 0.6, n_syn)  # some negative: relu makes them 0
    w["synapse_branch"] = rng.permutation(np.repeat(np.arange(n_b), per)).astype(np.int64)
    w["tau_b"] = np.array([5.0, 2.0, 10.0, 5.0])
    w["tau_m"] = np.logspace(0.0, 3.0, d_m)
    w["lambda"] = np.array(5.0)
    sizes = [n_b + d_m, *hidden, d_m]
    for k in range(len(sizes) - 1):
        bound = 2.0 / np.sqrt(sizes[k])
        w[f"mlp_w{k}"] = rng.uniform(-bound, bound, (sizes[k + 1], sizes[k]))
        w[f"mlp_b{k}"] = rng.uniform(-bound, bound, sizes[k + 1])
    bound = 2.0 / np.sqrt(d_m)
    w["w_y"] = rng.uniform(-bound, bound, (n_out, d_m))
    w["b_y"] = rng.uniform(-bound, bound, n_out)
    x = (rng.random((T, n_syn)) < 0.15).astype(np.uint8)
    x[0] = 0
    y, m, b = forward(w, x.astype(float), dt)
    y_st, _, _ = forward(w, x.astype(float), dt, activation="silu", update="tanh")
    return {**w, "x": x, "dt": np.array(dt), "y_ref": y, "m_ref": m, "b_ref": b,
            "y_silu_tanh": y_st}


if __name__ == "__main__":
    data = make_fixture()
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    np.savez(FIXTURE, **data)
    print(f"wrote {FIXTURE} ({os.path.getsize(FIXTURE)} bytes); "
          f"|y| max {np.abs(data['y_ref']).max():.3f}, |m| max {np.abs(data['m_ref']).max():.3f}")

"""Where does the Vogels et al. (2011) network settle, and why not exactly at rho0?

Decomposes the inhibitory STDP drift of a glia run into its rate part and its spike-correlation
part, from the recorded spikes and the plastic synapses (no model assumptions beyond the rule).

The rule (docs/plasticity.md, `vogels`): at a presynaptic arrival w += eta (x_post - alpha), at a
postsynaptic spike w += eta x_pre, traces +1 per spike, time constant tau, alpha = 2 rho0 tau.
For one synapse i -> j over a window, the summed drift / eta is

    D + P - alpha N_pre,   D = sum over pre arrivals of x_post,  P = sum over post spikes of x_pre.

Without spike correlations, D = N_pre tau rho_j and P = N_post tau rho_i, and the drift vanishes
at rho_j = rho0 (the paper's argument). With correlations D = D0 (1 + c_pre) and
P = P0 (1 + c_post); the drift of a synapse vanishes at

    rho_j = rho0 * 2 / (2 + c_pre + c_post),

so negative correlations (an inhibitory spike suppresses the postsynaptic neuron, which removes
coincidences) put the fixed point above rho0. This script measures c_pre and c_post, summed over
all I->E synapses that are not at a bound, and prints the predicted and the measured rate.

Usage: python3 validation/vogels2011_correlations.py OUTDIR T0_MS T1_MS RHO0_HZ [DELAY_MS] [TAU_MS]
OUTDIR holds spikes.npz (monitors on `exc` and `inh`) and weights.npz (projection `istdp`).
"""

import sys

import numpy as np


def trace_at(spk, t, tau):
    """Sum over spikes s < t of exp(-(t - s)/tau), for sorted spikes `spk` and query times `t`.
    Evaluated in chunks of 5 s (history 10 tau) so that the exponents stay finite."""
    out = np.zeros(t.size)
    if spk.size == 0 or t.size == 0:
        return out
    chunk = 5000.0
    a = float(t.min())
    while a <= t.max():
        b = a + chunk
        q = (t >= a) & (t < b)
        if q.any():
            h = spk[(spk >= a - 10 * tau) & (spk < b)]
            c = np.concatenate(([0.0], np.cumsum(np.exp((h - b) / tau))))
            k = np.searchsorted(h, t[q], side="left")
            out[q] = c[k] * np.exp((b - t[q]) / tau)
        a = b
    return out


def main():
    out, t0, t1, rho0 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.1
    tau = float(sys.argv[6]) if len(sys.argv) > 6 else 20.0
    alpha = 2.0 * rho0 * tau / 1000.0
    s = np.load(f"{out}/spikes.npz")
    wz = np.load(f"{out}/weights.npz")
    src, tgt, w = wz["istdp.sources"], wz["istdp.targets"], wz["istdp.weights"]
    ne = int(tgt.max()) + 1
    ni = int(src.max()) + 1
    lo = t0 - 10 * tau  # history that still matters for the traces
    te, ie = s["exc.times"], s["exc.ids"]
    ti, ii = s["inh.times"] + delay, s["inh.ids"]  # presynaptic events at the synapse
    m = (te >= lo) & (te < t1)
    te, ie = te[m], ie[m]
    m = (ti >= lo) & (ti < t1)
    ti, ii = ti[m], ii[m]
    order = np.argsort(ie, kind="stable")
    bounds = np.searchsorted(ie[order], np.arange(ne + 1))
    post = [np.sort(te[order[bounds[j] : bounds[j + 1]]]) for j in range(ne)]
    order = np.argsort(ii, kind="stable")
    bounds = np.searchsorted(ii[order], np.arange(ni + 1))
    pre = [np.sort(ti[order[bounds[i] : bounds[i + 1]]]) for i in range(ni)]
    span = (t1 - t0) / 1000.0
    in_win = lambda x: x[(x >= t0) & (x < t1)]
    n_post = np.array([in_win(p).size for p in post])
    n_pre = np.array([in_win(p).size for p in pre])
    rate_e, rate_i = n_post / span, n_pre / span  # Hz
    wmax = float(w.max())
    free = (w > 0.0) & (w < wmax) if wmax > 0 else np.ones(w.size, bool)
    print(f"window {t0:.0f}-{t1:.0f} ms: exc {rate_e.mean():.3f} Hz, inh {rate_i.mean():.3f} Hz, "
          f"rho0 {rho0} Hz, {w.size} I->E synapses, {np.count_nonzero(w <= 0)} at 0, "
          f"mean w {w.mean():.3f}")
    for label, sel in (("all synapses", np.ones(w.size, bool)), ("synapses not at 0", w > 0)):
        s_src, s_tgt = src[sel], tgt[sel]
        # D: post trace at presynaptic arrivals, grouped by target neuron.
        d = d0 = 0.0
        o = np.argsort(s_tgt, kind="stable")
        b = np.searchsorted(s_tgt[o], np.arange(ne + 1))
        for j in range(ne):
            srcs = s_src[o[b[j] : b[j + 1]]]
            if srcs.size == 0:
                continue
            t = np.concatenate([in_win(pre[i]) for i in srcs])
            d += trace_at(post[j], t, tau).sum()
            d0 += t.size * tau * rate_e[j] / 1000.0
        # P: pre trace at postsynaptic spikes, grouped by source neuron.
        p = p0 = 0.0
        o = np.argsort(s_src, kind="stable")
        b = np.searchsorted(s_src[o], np.arange(ni + 1))
        for i in range(ni):
            tg = s_tgt[o[b[i] : b[i + 1]]]
            if tg.size == 0:
                continue
            t = np.concatenate([in_win(post[j]) for j in tg])
            p += trace_at(pre[i], t, tau).sum()
            p0 += t.size * tau * rate_i[i] / 1000.0
        n_ev = sum(in_win(pre[i]).size for i in s_src)
        c_pre, c_post = d / d0 - 1.0, p / p0 - 1.0
        pred = rho0 * 2.0 / (2.0 + c_pre + c_post)
        drift = (d + p - alpha * n_ev) / max(n_ev, 1)
        print(f"{label}: c_pre = {c_pre:+.3f} (x_post at pre arrivals vs independent), "
              f"c_post = {c_post:+.3f} (x_pre at post spikes), predicted fixed point "
              f"{pred:.2f} Hz, mean drift per pre event {drift:+.4f} (units of eta)")
        print(f"  measured exc rate of the targets: "
              f"{np.mean(rate_e[np.unique(s_tgt)]):.3f} Hz")


if __name__ == "__main__":
    main()

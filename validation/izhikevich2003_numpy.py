"""The 1000-neuron network of Izhikevich (2003), Fig. 3, transcribed line by line from the
paper's MATLAB code to numpy: the reference for the rates and rhythm of
``examples/izhikevich2003.toml`` (checked in ``crates/glia-sim/tests/izhikevich.rs``).

    python3 validation/izhikevich2003_numpy.py [SEED ...]

prints, per seed, the mean rates of both populations and the dominant frequency of the
excitatory spike count per ms (power spectrum without DC, 1 Hz resolution), plus the strongest
frequency in the alpha (5-15 Hz) and gamma (30-50 Hz) ranges. Seeds 1, 2, 3 give excitatory
7.5-7.65 Hz, inhibitory 7.2-7.4 Hz and a dominant 8 Hz.
"""

import sys

import numpy as np


def run(seed, ms=1000):
    rng = np.random.default_rng(seed)
    ne, ni = 800, 200
    re, ri = rng.random(ne), rng.random(ni)
    a = np.r_[0.02 * np.ones(ne), 0.02 + 0.08 * ri]
    b = np.r_[0.2 * np.ones(ne), 0.25 - 0.05 * ri]
    c = np.r_[-65 + 15 * re**2, -65 * np.ones(ni)]
    d = np.r_[8 - 6 * re**2, 2 * np.ones(ni)]
    s = np.c_[0.5 * rng.random((ne + ni, ne)), -rng.random((ne + ni, ni))]
    v = -65 * np.ones(ne + ni)
    u = b * v
    counts = np.zeros(ms)
    n_inh = 0
    for t in range(ms):
        current = np.r_[5 * rng.standard_normal(ne), 2 * rng.standard_normal(ni)]
        fired = np.flatnonzero(v >= 30)
        counts[t] = (fired < ne).sum()
        n_inh += (fired >= ne).sum()
        v[fired] = c[fired]
        u[fired] += d[fired]
        current += s[:, fired].sum(axis=1)
        v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + current)
        v = v + 0.5 * (0.04 * v**2 + 5 * v + 140 - u + current)
        u = u + a * (b * v - u)
    secs = ms / 1000
    power = np.abs(np.fft.rfft(counts - counts.mean())) ** 2
    freqs = np.fft.rfftfreq(ms, d=1e-3)

    def peak(lo, hi):
        band = (freqs >= lo) & (freqs <= hi)
        return freqs[band][np.argmax(power[band])]

    return {
        "exc_hz": counts.sum() / (ne * secs),
        "inh_hz": n_inh / (ni * secs),
        "dominant_hz": freqs[1:][np.argmax(power[1:])],
        "alpha_peak_hz": peak(5, 15),
        "gamma_peak_hz": peak(30, 50),
    }


if __name__ == "__main__":
    for seed in [int(x) for x in sys.argv[1:]] or [1, 2, 3]:
        r = run(seed)
        print(
            f"seed {seed}: exc {r['exc_hz']:.2f} Hz, inh {r['inh_hz']:.2f} Hz, "
            f"dominant {r['dominant_hz']:.0f} Hz (5-15 Hz: {r['alpha_peak_hz']:.0f}, "
            f"30-50 Hz: {r['gamma_peak_hz']:.0f})"
        )

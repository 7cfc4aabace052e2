"""Brian2 definitions of glia's reference networks: CUBA, COBA, COBAHH and Brunel.

Each network is written in glia's terms (membrane capacitance, currents in pA,
conductances in nS) so that weights and state variables carry over to glia
without conversion. Connectivity and initial state are drawn with NumPy from
the seed, not by Brian2: the same seed gives the same network in every Brian2
target (numpy, cython, C++ standalone), and the arrays can be exported for glia
to import (see ``Instance``). Only Brunel's Poisson drive uses Brian2's own
random numbers (``brian2.seed``).

Conventions shared with glia (they differ from Brian2's own examples):

* dt = 0.1 ms; every synaptic delay is at least one step, so CUBA and COBA use
  a delay of 0.1 ms where Brian2's CUBA.py / COBA.py use zero delay;
* threshold ``v >= V_th`` (the examples use ``v > V_th``), reset to ``V_reset``,
  ``v`` clamped during the refractory period (``unless refractory``);
* no self-connections (Brian2's CUBA.py allows them).

Brian2's step order and timing conventions, for exact comparisons: each step
runs state update, threshold, spike delivery (``on_pre``), reset. A spike found
in step n is stamped t = n*dt (the step's start); with a delay of d steps it is
added to the target's current or conductance in step n+d after that step's
state update, so it first moves v in step n+d+1. Refractoriness is
``t - lastspike < t_ref`` in whole steps: after the spike step, v is held for
round(t_ref/dt) - 1 updates (49 for 5 ms), one fewer than NEST's
iaf_psc_exp, which holds it for round(t_ref/dt) updates.

Networks:

* CUBA, Brette et al. (2007) benchmark 2 (Brian2 example ``CUBA.py``):
  ``lif_psc_exp`` with C_m = 20 pF, tau_m = 20 ms (R = 1 GOhm, so 1 pA of
  synaptic current moves v by 1 mV as the example's ``ge`` in volts did);
  integrated exactly (Brian2 ``method='exact'``).
* COBA, benchmark 1 (``COBA.py`` of Brian 1 and early Brian2; Brian2 2.x no
  longer ships it): conductance-based LIF with exponential conductances,
  integrated with forward Euler as in the example (Brian2 ``method='euler'``,
  which also decays the conductances by ``1 - dt/tau`` per step). The example
  measures voltages relative to E_L = -60 mV and conductances in units of g_L;
  here they are absolute (mV, nS).
* COBAHH, benchmark 3 (Brian2 example ``COBAHH.py``): Hodgkin-Huxley neurons
  with Traub-Miles channels and the COBA synapses, integrated with
  exponential Euler as in the example. Whole-cell values for the example's
  area of 20000 um^2: C_m = 200 pF, g_L = 10 nS, g_Na = 20 uS, g_K = 6 uS.
  Spikes are upward crossings of -20 mV: threshold ``v > V_spike`` with
  ``refractory='v > V_spike'`` (the example uses a 3 ms refractory period
  instead; the two agree unless v crosses -20 mV twice within 3 ms), no reset.
  Initial state as in the example: v, g_exc and g_inh Gaussian, m = h = n = 0.
* Brunel (2000) sparse balanced network with exponential PSCs (tau_syn 0.5 ms),
  fixed in-degree with multapses, and independent Poisson drive per neuron
  (Brian2 ``PoissonInput``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import brian2 as b2
import numpy as np
from brian2 import ms, mV, nS, pA, pF

DT = 0.1 * ms

# --- CUBA (benchmark 2) ------------------------------------------------------
CUBA_N_EXC = 3200
CUBA_N_INH = 800
CUBA_P = 0.02                        # connection probability, no self-connections
CUBA_C_M = 20 * pF
CUBA_TAU_M = 20 * ms                 # R = tau_m / C_m = 1 GOhm
CUBA_TAU_EXC = 5 * ms
CUBA_TAU_INH = 10 * ms
CUBA_E_L = -49 * mV
CUBA_V_TH = -50 * mV
CUBA_V_RESET = -60 * mV
CUBA_T_REF = 5 * ms
CUBA_W_EXC = 1.62 * pA              # 60*0.27/10 (Brian2 example: mV, through R = 1 GOhm)
CUBA_W_INH = -9.0 * pA              # -20*4.5/10
CUBA_DELAY = 0.1 * ms                # Brian2 example: 0

# --- COBA (benchmark 1) ------------------------------------------------------
COBA_N_EXC = 3200
COBA_N_INH = 800
COBA_P = 0.02
COBA_C_M = 200 * pF
COBA_TAU_M = 20 * ms                 # g_L = C_m / tau_m = 10 nS
COBA_G_L = COBA_C_M / COBA_TAU_M
COBA_TAU_EXC = 5 * ms
COBA_TAU_INH = 10 * ms
COBA_E_L = -60 * mV
COBA_E_EXC = 0 * mV
COBA_E_INH = -80 * mV
COBA_V_TH = -50 * mV
COBA_V_RESET = -60 * mV
COBA_T_REF = 5 * ms
COBA_W_EXC = 0.6 * COBA_G_L          # 6 nS
COBA_W_INH = 6.7 * COBA_G_L          # 67 nS
COBA_DELAY = 0.1 * ms                # Brian2 example: 0
# Initial state of COBA.py, which draws Gaussians (values below threshold and
# negative conductances are possible and kept):
#   v = E_L + (randn*5 - 5) mV, g_exc = (randn*1.5 + 4) g_L, g_inh = (randn*12 + 20) g_L
COBA_V0_MEAN, COBA_V0_STD = COBA_E_L - 5 * mV, 5 * mV
COBA_GE0_MEAN, COBA_GE0_STD = 4 * COBA_G_L, 1.5 * COBA_G_L
COBA_GI0_MEAN, COBA_GI0_STD = 20 * COBA_G_L, 12 * COBA_G_L

# --- COBAHH (benchmark 3) ----------------------------------------------------
COBAHH_N_EXC = 3200
COBAHH_N_INH = 800
COBAHH_P = 0.02
COBAHH_AREA_CM2 = 20000e-8           # 20000 um^2
COBAHH_C_M = 200 * pF                # 1 uF/cm^2
COBAHH_G_L = 10 * nS                 # 5e-5 S/cm^2
COBAHH_G_NA = 20000 * nS             # 100 mS/cm^2
COBAHH_G_K = 6000 * nS               # 30 mS/cm^2
COBAHH_E_L = -60 * mV
COBAHH_E_NA = 50 * mV
COBAHH_E_K = -90 * mV
COBAHH_V_T = -63 * mV
COBAHH_V_SPIKE = -20 * mV
COBAHH_TAU_EXC = 5 * ms
COBAHH_TAU_INH = 10 * ms
COBAHH_E_EXC = 0 * mV
COBAHH_E_INH = -80 * mV
COBAHH_W_EXC = 6 * nS
COBAHH_W_INH = 67 * nS
COBAHH_DELAY = 0.1 * ms              # Brian2 example: 0
# Initial state of COBAHH.py: v = E_L + (randn*5 - 5) mV, g_exc = (randn*1.5 + 4)*10 nS,
# g_inh = (randn*12 + 20)*10 nS; m, h, n start at 0 (Brian2's default).
COBAHH_V0_MEAN, COBAHH_V0_STD = COBAHH_E_L - 5 * mV, 5 * mV
COBAHH_GE0_MEAN, COBAHH_GE0_STD = 40 * nS, 15 * nS
COBAHH_GI0_MEAN, COBAHH_GI0_STD = 200 * nS, 120 * nS

# --- Brunel (2000), exponential PSCs ------------------------------------------
BRUNEL_ORDER = 2500                  # N_E = 4 * order, N_I = order
BRUNEL_C_E = 1000                    # in-degree from E (fixed, multapses allowed, no autapses)
BRUNEL_C_I = 250                     # in-degree from I
BRUNEL_C_M = 250 * pF
BRUNEL_TAU_M = 20 * ms
BRUNEL_TAU_SYN = 0.5 * ms            # excitatory and inhibitory
BRUNEL_E_L = 0 * mV
BRUNEL_V_TH = 20 * mV
BRUNEL_V_RESET = 10 * mV
BRUNEL_T_REF = 2 * ms
BRUNEL_J = 0.1 * mV                  # PSP peak of one excitatory spike
BRUNEL_G = 5.0                       # J_I = -g J_E
BRUNEL_ETA = 2.0                     # external rate in units of nu_th
BRUNEL_DELAY = 1.5 * ms


def psp_peak_per_pa(tau_m, tau_syn, c_m):
    """Peak PSP (volt) of a LIF neuron for an exponential PSC of amplitude 1 pA.

    v(t) = J / C_m * tau_m tau_s / (tau_m - tau_s) * (exp(-t/tau_m) - exp(-t/tau_s)),
    maximal at t* = tau_m tau_s / (tau_m - tau_s) * ln(tau_m / tau_s).
    """
    tm, ts, c = float(tau_m), float(tau_syn), float(c_m)
    t_peak = tm * ts / (tm - ts) * np.log(tm / ts)
    return 1e-12 / c * tm * ts / (tm - ts) * (np.exp(-t_peak / tm) - np.exp(-t_peak / ts))


BRUNEL_J_E = float(BRUNEL_J) / psp_peak_per_pa(BRUNEL_TAU_M, BRUNEL_TAU_SYN, BRUNEL_C_M) * pA  # 54.96 pA
BRUNEL_J_I = -BRUNEL_G * BRUNEL_J_E
BRUNEL_NU_TH = BRUNEL_V_TH / (BRUNEL_J * BRUNEL_C_E * BRUNEL_TAU_M)  # 10 Hz
BRUNEL_NU_EXT = BRUNEL_ETA * BRUNEL_NU_TH                           # 20 Hz per source, C_E sources


@dataclass
class Projection:
    """All synapses from one population to another, in glia's units."""

    source: str
    target: str
    sources: np.ndarray      # int64, index within the source population
    targets: np.ndarray      # int64, index within the target population
    weight: float            # pA (current synapses) or nS (conductance synapses)
    delay_ms: float


@dataclass
class Instance:
    """One concrete network: population sizes, connectivity and initial state.

    ``initial[pop][var]`` holds glia-unit arrays (v in mV, I_* in pA, g_* in nS).
    Populations are stored consecutively in one Brian2 NeuronGroup, in the order
    of ``sizes``.
    """

    net: str
    seed: int
    sizes: dict[str, int]
    weight_unit: str
    projections: list[Projection]
    initial: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def n_total(self) -> int:
        return sum(self.sizes.values())

    def offset(self, pop: str) -> int:
        """Index of the population's first neuron in the NeuronGroup."""
        off = 0
        for name, n in self.sizes.items():
            if name == pop:
                return off
            off += n
        raise KeyError(pop)

    @property
    def n_synapses(self) -> int:
        return sum(len(p.sources) for p in self.projections)


@dataclass
class Model:
    """A built Brian2 network and the instance it was built from."""

    instance: Instance
    network: b2.Network
    group: b2.NeuronGroup
    spikes: b2.SpikeMonitor
    synapses: list[b2.Synapses]


def _bernoulli(rng, n_src, n_tgt, p, same_population):
    """Each (source, target) pair connected with probability p; no self-connections."""
    n_cand = n_tgt - 1 if same_population else n_tgt
    counts = rng.binomial(n_cand, p, size=n_src)
    sources = np.repeat(np.arange(n_src, dtype=np.int64), counts)
    targets = np.empty(counts.sum(), dtype=np.int64)
    pos = 0
    for i, k in enumerate(counts):
        t = np.sort(rng.choice(n_cand, size=k, replace=False))
        if same_population:
            t[t >= i] += 1
        targets[pos:pos + k] = t
        pos += k
    return sources, targets


def _fixed_indegree(rng, n_src, n_tgt, indegree, same_population):
    """Each target draws ``indegree`` sources with replacement; no autapses.

    Returned sorted by source (stable, so targets ascend within a source).
    """
    if same_population:
        sources = rng.integers(0, n_src - 1, size=(n_tgt, indegree), dtype=np.int64)
        sources += sources >= np.arange(n_tgt, dtype=np.int64)[:, None]
    else:
        sources = rng.integers(0, n_src, size=(n_tgt, indegree), dtype=np.int64)
    targets = np.repeat(np.arange(n_tgt, dtype=np.int64), indegree)
    sources = sources.ravel()
    order = np.argsort(sources, kind="stable")
    return sources[order], targets[order]


def _ei_instance(net, seed, n_exc, n_inh, p, w_exc, w_inh, delay, weight_unit):
    rng = np.random.default_rng(seed)
    sizes = {"exc": n_exc, "inh": n_inh}
    weights = {"exc": w_exc, "inh": w_inh}
    projections = []
    for src in sizes:
        for tgt in sizes:
            s, t = _bernoulli(rng, sizes[src], sizes[tgt], p, src == tgt)
            projections.append(Projection(src, tgt, s, t, weights[src], float(delay / ms)))
    return Instance(net, seed, sizes, weight_unit, projections), rng


def cuba_instance(seed: int) -> Instance:
    """CUBA connectivity and initial state: v uniform in [V_reset, V_th), currents 0."""
    inst, rng = _ei_instance("cuba", seed, CUBA_N_EXC, CUBA_N_INH, CUBA_P,
                             float(CUBA_W_EXC / pA), float(CUBA_W_INH / pA), CUBA_DELAY, "pA")
    lo, hi = float(CUBA_V_RESET / mV), float(CUBA_V_TH / mV)
    for pop, n in inst.sizes.items():
        inst.initial[pop] = {"v": rng.uniform(lo, hi, n)}
    return inst


def coba_instance(seed: int) -> Instance:
    """COBA connectivity and the Gaussian initial state of Brian's COBA.py."""
    inst, rng = _ei_instance("coba", seed, COBA_N_EXC, COBA_N_INH, COBA_P,
                             float(COBA_W_EXC / nS), float(COBA_W_INH / nS), COBA_DELAY, "nS")
    for pop, n in inst.sizes.items():
        inst.initial[pop] = {
            "v": rng.normal(float(COBA_V0_MEAN / mV), float(COBA_V0_STD / mV), n),
            "g_exc": rng.normal(float(COBA_GE0_MEAN / nS), float(COBA_GE0_STD / nS), n),
            "g_inh": rng.normal(float(COBA_GI0_MEAN / nS), float(COBA_GI0_STD / nS), n),
        }
    return inst


def cobahh_instance(seed: int) -> Instance:
    """COBAHH connectivity and the initial state of Brian2's COBAHH.py (gates at 0)."""
    inst, rng = _ei_instance("cobahh", seed, COBAHH_N_EXC, COBAHH_N_INH, COBAHH_P,
                             float(COBAHH_W_EXC / nS), float(COBAHH_W_INH / nS), COBAHH_DELAY,
                             "nS")
    for pop, n in inst.sizes.items():
        inst.initial[pop] = {
            "v": rng.normal(float(COBAHH_V0_MEAN / mV), float(COBAHH_V0_STD / mV), n),
            "g_exc": rng.normal(float(COBAHH_GE0_MEAN / nS), float(COBAHH_GE0_STD / nS), n),
            "g_inh": rng.normal(float(COBAHH_GI0_MEAN / nS), float(COBAHH_GI0_STD / nS), n),
            "m": np.zeros(n), "h": np.zeros(n), "n": np.zeros(n),
        }
    return inst


def brunel_instance(seed: int, order: int = BRUNEL_ORDER) -> Instance:
    """Brunel connectivity (in-degrees C_E and C_I whatever the order) and v uniform in [E_L, V_th)."""
    rng = np.random.default_rng(seed)
    sizes = {"exc": 4 * order, "inh": order}
    indegree = {"exc": BRUNEL_C_E, "inh": BRUNEL_C_I}
    weights = {"exc": float(BRUNEL_J_E / pA), "inh": float(BRUNEL_J_I / pA)}
    projections = []
    for src in sizes:
        for tgt in sizes:
            s, t = _fixed_indegree(rng, sizes[src], sizes[tgt], indegree[src], src == tgt)
            projections.append(Projection(src, tgt, s, t, weights[src], float(BRUNEL_DELAY / ms)))
    inst = Instance("brunel", seed, sizes, "pA", projections)
    lo, hi = float(BRUNEL_E_L / mV), float(BRUNEL_V_TH / mV)
    for pop, n in sizes.items():
        inst.initial[pop] = {"v": rng.uniform(lo, hi, n)}
    return inst


def _build(inst: Instance, eqs: str, method: str, v_th, v_reset, t_ref, targets: dict,
           delay, namespace: dict, threshold: str = "v >= V_th",
           reset: str | None = "v = V_reset") -> Model:
    """NeuronGroup + one Synapses object per source population (the Brian2 examples' layout).

    ``targets[pop]`` is the variable a spike of population ``pop`` increments by
    its constant weight (the weight is a constant in ``on_pre``, as in the examples).
    ``t_ref`` is a time or a refractoriness condition (a string).
    """
    b2.defaultclock.dt = DT
    group = b2.NeuronGroup(inst.n_total, eqs, threshold=threshold, reset=reset,
                           refractory=t_ref, method=method,
                           namespace=dict(namespace, V_th=v_th,
                                          **({} if v_reset is None else {"V_reset": v_reset})))
    for pop in inst.sizes:
        sub = slice(inst.offset(pop), inst.offset(pop) + inst.sizes[pop])
        for var, values in inst.initial[pop].items():
            unit = {"v": mV, "g": nS, "I": pA}.get(var[0], 1)
            getattr(group, var)[sub] = values * unit
    synapses = []
    for src in inst.sizes:
        projs = [p for p in inst.projections if p.source == src]
        weight = projs[0].weight * (nS if inst.weight_unit == "nS" else pA)
        pre = group[inst.offset(src):inst.offset(src) + inst.sizes[src]]
        syn = b2.Synapses(pre, group, on_pre=f"{targets[src]}_post += w_{src}", delay=delay,
                          namespace={f"w_{src}": weight}, name=f"syn_{src}")
        i = np.concatenate([p.sources for p in projs])
        j = np.concatenate([p.targets + inst.offset(p.target) for p in projs])
        order = np.argsort(i, kind="stable")
        syn.connect(i=i[order], j=j[order])
        synapses.append(syn)
    spikes = b2.SpikeMonitor(group)
    network = b2.Network(group, *synapses, spikes)
    return Model(inst, network, group, spikes, synapses)


def build_cuba(seed: int) -> Model:
    """CUBA in Brian2 (exact integration of the linear v, I_exc, I_inh system)."""
    eqs = """
    dv/dt = (E_L - v) / tau_m + (I_exc + I_inh) / C_m : volt (unless refractory)
    dI_exc/dt = -I_exc / tau_exc : amp
    dI_inh/dt = -I_inh / tau_inh : amp
    """
    ns = dict(E_L=CUBA_E_L, tau_m=CUBA_TAU_M, C_m=CUBA_C_M, tau_exc=CUBA_TAU_EXC,
              tau_inh=CUBA_TAU_INH)
    return _build(cuba_instance(seed), eqs, "exact", CUBA_V_TH, CUBA_V_RESET, CUBA_T_REF,
                  {"exc": "I_exc", "inh": "I_inh"}, CUBA_DELAY, ns)


def build_coba(seed: int) -> Model:
    """COBA in Brian2 (forward Euler, as in the example)."""
    eqs = """
    dv/dt = (g_L * (E_L - v) + g_exc * (E_exc - v) + g_inh * (E_inh - v)) / C_m : volt (unless refractory)
    dg_exc/dt = -g_exc / tau_exc : siemens
    dg_inh/dt = -g_inh / tau_inh : siemens
    """
    ns = dict(g_L=COBA_G_L, E_L=COBA_E_L, E_exc=COBA_E_EXC, E_inh=COBA_E_INH, C_m=COBA_C_M,
              tau_exc=COBA_TAU_EXC, tau_inh=COBA_TAU_INH)
    return _build(coba_instance(seed), eqs, "euler", COBA_V_TH, COBA_V_RESET, COBA_T_REF,
                  {"exc": "g_exc", "inh": "g_inh"}, COBA_DELAY, ns)


def build_cobahh(seed: int) -> Model:
    """COBAHH in Brian2 (exponential Euler, as in the example)."""
    eqs = """
    dv/dt = (g_L * (E_L - v) + g_exc * (E_exc - v) + g_inh * (E_inh - v)
             - g_Na * m**3 * h * (v - E_Na) - g_K * n**4 * (v - E_K)) / C_m : volt
    dm/dt = alpha_m * (1 - m) - beta_m * m : 1
    dn/dt = alpha_n * (1 - n) - beta_n * n : 1
    dh/dt = alpha_h * (1 - h) - beta_h * h : 1
    dg_exc/dt = -g_exc / tau_exc : siemens
    dg_inh/dt = -g_inh / tau_inh : siemens
    alpha_m = 0.32 * (mV**-1) * 4 * mV / exprel((13 * mV - v + V_T) / (4 * mV)) / ms : Hz
    beta_m = 0.28 * (mV**-1) * 5 * mV / exprel((v - V_T - 40 * mV) / (5 * mV)) / ms : Hz
    alpha_h = 0.128 * exp((17 * mV - v + V_T) / (18 * mV)) / ms : Hz
    beta_h = 4. / (1 + exp((40 * mV - v + V_T) / (5 * mV))) / ms : Hz
    alpha_n = 0.032 * (mV**-1) * 5 * mV / exprel((15 * mV - v + V_T) / (5 * mV)) / ms : Hz
    beta_n = .5 * exp((10 * mV - v + V_T) / (40 * mV)) / ms : Hz
    """
    ns = dict(g_L=COBAHH_G_L, E_L=COBAHH_E_L, g_Na=COBAHH_G_NA, E_Na=COBAHH_E_NA,
              g_K=COBAHH_G_K, E_K=COBAHH_E_K, V_T=COBAHH_V_T, C_m=COBAHH_C_M,
              E_exc=COBAHH_E_EXC, E_inh=COBAHH_E_INH, tau_exc=COBAHH_TAU_EXC,
              tau_inh=COBAHH_TAU_INH, V_spike=COBAHH_V_SPIKE)
    return _build(cobahh_instance(seed), eqs, "exponential_euler", COBAHH_V_SPIKE, None,
                  "v > V_spike", {"exc": "g_exc", "inh": "g_inh"}, COBAHH_DELAY, ns,
                  threshold="v > V_spike", reset=None)


def build_brunel(seed: int, order: int = BRUNEL_ORDER) -> Model:
    """Brunel network in Brian2 with one PoissonInput of C_E sources at eta*nu_th per neuron.

    The Poisson drive draws from Brian2's generator: call ``brian2.seed`` first.
    """
    eqs = """
    dv/dt = (E_L - v) / tau_m + (I_exc + I_inh) / C_m : volt (unless refractory)
    dI_exc/dt = -I_exc / tau_syn : amp
    dI_inh/dt = -I_inh / tau_syn : amp
    """
    ns = dict(E_L=BRUNEL_E_L, tau_m=BRUNEL_TAU_M, C_m=BRUNEL_C_M, tau_syn=BRUNEL_TAU_SYN)
    inst = brunel_instance(seed, order)
    # The PoissonInput needs the group, which _build creates: attach it afterwards.
    model = _build(inst, eqs, "exact", BRUNEL_V_TH, BRUNEL_V_RESET, BRUNEL_T_REF,
                   {"exc": "I_exc", "inh": "I_inh"}, BRUNEL_DELAY, ns)
    drive = b2.PoissonInput(model.group, "I_exc", N=BRUNEL_C_E, rate=BRUNEL_NU_EXT,
                            weight=BRUNEL_J_E)
    model.network.add(drive)
    return model


BRUNEL_STDP_TAU = 20 * ms             # tau_plus = tau_minus
BRUNEL_STDP_A_PLUS = 0.01             # x J_E
BRUNEL_STDP_A_MINUS = 0.0105          # x J_E
BRUNEL_STDP_W_MAX = 2.0               # x J_E (w_min = 0)


def build_brunel_stdp(seed: int, order: int = BRUNEL_ORDER) -> Model:
    """Brunel with additive all-to-all pair STDP on E->E (examples/brunel_stdp.toml).

    Brian2's standard STDP synapse (event-driven traces per synapse): ``on_pre`` delivers the
    weight, then depresses by the postsynaptic trace; ``on_post`` potentiates by the presynaptic
    trace; the 1.5 ms delay is on the pre pathway only (all axonal, glia's default).
    """
    eqs = """
    dv/dt = (E_L - v) / tau_m + (I_exc + I_inh) / C_m : volt (unless refractory)
    dI_exc/dt = -I_exc / tau_syn : amp
    dI_inh/dt = -I_inh / tau_syn : amp
    """
    ns = dict(E_L=BRUNEL_E_L, tau_m=BRUNEL_TAU_M, C_m=BRUNEL_C_M, tau_syn=BRUNEL_TAU_SYN)
    inst = brunel_instance(seed, order)
    ee = next(p for p in inst.projections if p.source == "exc" and p.target == "exc")
    static = Instance(inst.net, inst.seed, inst.sizes, inst.weight_unit,
                      [p for p in inst.projections if p is not ee], inst.initial)
    model = _build(static, eqs, "exact", BRUNEL_V_TH, BRUNEL_V_RESET, BRUNEL_T_REF,
                   {"exc": "I_exc", "inh": "I_inh"}, BRUNEL_DELAY, ns)
    model.instance = inst
    n_e = inst.sizes["exc"]
    exc = model.group[0:n_e]
    syn = b2.Synapses(
        exc, exc,
        model="""w : amp
        dApre/dt = -Apre / tau_stdp : amp (event-driven)
        dApost/dt = -Apost / tau_stdp : amp (event-driven)""",
        on_pre="""I_exc_post += w
        Apre += dApre
        w = clip(w + Apost, 0*pA, wmax)""",
        on_post="""Apost += dApost
        w = clip(w + Apre, 0*pA, wmax)""",
        delay=BRUNEL_DELAY, name="syn_ee_stdp",
        namespace=dict(tau_stdp=BRUNEL_STDP_TAU, dApre=BRUNEL_STDP_A_PLUS * BRUNEL_J_E,
                       dApost=-BRUNEL_STDP_A_MINUS * BRUNEL_J_E,
                       wmax=BRUNEL_STDP_W_MAX * BRUNEL_J_E))
    order_ = np.argsort(ee.sources, kind="stable")
    syn.connect(i=ee.sources[order_], j=ee.targets[order_])
    syn.w = BRUNEL_J_E
    model.network.add(syn)
    model.synapses.append(syn)
    drive = b2.PoissonInput(model.group, "I_exc", N=BRUNEL_C_E, rate=BRUNEL_NU_EXT,
                            weight=BRUNEL_J_E)
    model.network.add(drive)
    return model


BUILDERS = {"cuba": build_cuba, "coba": build_coba, "cobahh": build_cobahh,
            "brunel": build_brunel, "brunel-stdp": build_brunel_stdp}


def build(net: str, seed: int, order: int = BRUNEL_ORDER) -> Model:
    """Build network ``net`` ('cuba', 'coba', 'cobahh' or 'brunel'); ``order`` applies to Brunel only."""
    if net in ("brunel", "brunel-stdp"):
        return BUILDERS[net](seed, order)
    return BUILDERS[net](seed)


# --- C++ standalone helpers (shared by the reference script and the benchmark) ---

RUN_TIMER_FILE = "network_run_wall_s.txt"


def use_standalone(build_dir: str) -> None:
    """Select Brian2's C++ standalone device, single thread (no OpenMP).

    A steady-clock timer is compiled around ``Network::run`` (the simulation
    loop only: no synapse creation, no initialisation, no writing of results);
    read it with ``read_run_timer`` after the binary ran.
    """
    b2.set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.prefs.codegen.cpp.headers += ["<chrono>"]
    b2.device.insert_code("before_network_run",
                          "const auto _glia_run_t0 = std::chrono::steady_clock::now();")
    b2.device.insert_code(
        "after_network_run",
        "{ std::ofstream _f(results_dir + \"" + RUN_TIMER_FILE + "\");"
        " _f.precision(9);"
        " _f << std::chrono::duration<double>(std::chrono::steady_clock::now() - _glia_run_t0).count()"
        " << std::endl; }")


def read_run_timer() -> float:
    """Wall seconds of the last ``Network::run`` of the standalone binary."""
    with open(os.path.join(b2.device.results_dir, RUN_TIMER_FILE)) as f:
        return float(f.read())

"""The Python package: building, running, numpy in and out, errors, interrupts.

Equalities here are exact (``np.array_equal``): the Python builder and the model file lower to
the same validated description, runs continue bit for bit, and weights go through float32
unchanged. The only tolerance is for state written from float64: it is stored in float32, so it
reads back within float32 rounding (relative 1e-7).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import glia
from conftest import LIF, PORTS, SMALL_TOML, small_model


def spikes_of(net):
    return {p: net.spikes(p) for p in ("exc", "inh")}


def assert_same_spikes(a, b):
    for pop in a:
        assert np.array_equal(a[pop][0], b[pop][0]), pop
        assert np.array_equal(a[pop][1], b[pop][1]), pop


def test_python_builder_equals_model_file(small_toml):
    """The builder, the TOML text, the file and the builder's own TOML give identical spikes."""
    from_file = glia.load(small_toml)
    from_text = glia.loads(SMALL_TOML)
    built = small_model().build()
    round_trip = glia.loads(small_model().to_toml())
    runs = []
    for net in (from_file, from_text, built, round_trip):
        stats = net.run()
        assert stats["complete"] and stats["steps"] == 2000 and net.t == pytest.approx(200.0)
        runs.append(spikes_of(net))
    assert len(runs[0]["exc"][0]) > 100, "the network should fire"
    for r in runs[1:]:
        assert_same_spikes(runs[0], r)
    # from_dict with the builder's dict, and the same weights.
    again = glia.from_dict(small_model().to_dict())
    for proj in again.projections:
        assert np.array_equal(again.weights(proj), from_file.weights(proj))


def test_runs_continue():
    """Ten runs of 20 ms give the spikes, state and rate of one 200 ms run."""
    one = small_model().build()
    one.run(200.0)
    many = small_model().build()
    for _ in range(10):
        many.run(20.0)
    assert many.step == one.step == 2000
    assert_same_spikes(spikes_of(one), spikes_of(many))
    assert np.array_equal(one.state("exc", "v"), many.state("exc", "v"))
    assert np.array_equal(one.rates("exc")[1], many.rates("exc")[1])
    rec_one, rec_many = one.recorded("exc"), many.recorded("exc")
    assert rec_one["v"].shape == (200, 3)
    for k in rec_one:
        assert np.array_equal(rec_one[k], rec_many[k]), k


def test_weights_round_trip():
    """Weights read, written back (scaled and unscaled) and read again are unchanged; a network
    whose weights were set to their own values runs exactly as an untouched one."""
    net = small_model().build()
    for proj in net.projections:
        w = net.weights(proj)
        src, tgt, delays = net.connectivity(proj)
        assert w.dtype == np.float32 and len(w) == len(src) == len(tgt) == len(delays)
        net.set_weights(proj, w * 0.5)
        assert np.array_equal(net.weights(proj), (w * 0.5).astype(np.float32))
        net.set_weights(proj, w.astype(np.float64))  # any float dtype is accepted
        assert np.array_equal(net.weights(proj), w)
    net.run(100.0)
    ref = small_model().build()
    ref.run(100.0)
    assert_same_spikes(spikes_of(ref), spikes_of(net))
    # Silencing the excitatory recurrence changes the activity.
    quiet = small_model().build()
    quiet.set_weights("exc->exc", np.zeros(len(quiet.weights("exc->exc"))))
    quiet.run(100.0)
    assert len(quiet.spikes("exc")[0]) != len(ref.spikes("exc")[0])


def test_explicit_connectivity_from_numpy():
    """Connectivity given as numpy arrays comes back from `connectivity` (sorted by source,
    then target) with its weights and delays."""
    rng = np.random.default_rng(0)
    n = 50
    src = rng.integers(0, n, 300)
    tgt = rng.integers(0, n, 300)
    w = rng.uniform(0.5, 1.5, 300)
    d = rng.integers(1, 20, 300) * 0.1
    m = glia.Model(duration=10.0)
    m.population("a", n, "lif", params=LIF, ports=PORTS)
    name = m.projection("a", "a", "exc", {"rule": "explicit", "sources": src, "targets": tgt,
                                          "weights": w, "delays": d})
    assert name == "a->a"
    assert m.projection("a", "a", "inh", "one_to_one", weight=-1.0) == "a->a#2"
    net = m.build()
    s, t, dd = net.connectivity("a->a")
    order = np.lexsort((tgt, src))
    assert np.array_equal(s, src[order]) and np.array_equal(t, tgt[order])
    assert np.allclose(dd, d[order], rtol=0, atol=1e-12)
    assert np.array_equal(net.weights("a->a"), w[order].astype(np.float32))
    assert net.synapses == 300 + n


def test_state_and_parameters_from_numpy():
    """Per-neuron parameters (Poisson rates, Izhikevich `d`) and initial values from numpy
    arrays; state written and read back within float32 rounding."""
    n = 20
    rates = np.linspace(0.0, 400.0, n)
    v0 = np.linspace(-70.0, -60.0, n)
    m = glia.Model(duration=1000.0)
    m.population("src", n, "poisson", params={"rate": rates})
    m.population("izh", n, "izhikevich", params={"d": np.full(n, 8.0), "I_e": 10.0},
                 initial={"v": v0})
    m.monitor("spikes", population="src")
    net = m.build()
    assert np.allclose(net.state("izh", "v"), v0, rtol=1e-7, atol=0)
    v = np.linspace(-75.0, -55.0, n)
    net.set_state("izh", "v", v)
    assert np.allclose(net.state("izh", "v"), v, rtol=1e-7, atol=0)
    net.run()
    _, ids = net.spikes("src")
    counts = np.bincount(ids, minlength=n)
    assert counts[0] == 0
    # Each count is Poisson with mean rates[i] (1 s): within 5 standard deviations.
    assert np.all(np.abs(counts - rates) <= 5 * np.sqrt(rates) + 1e-9)


def test_poisson_rates_from_numpy():
    """set_rates switches a Poisson population's neurons on and off from the next step."""
    m = glia.Model()
    m.population("src", 10, "poisson", params={"rate": 0.0})
    m.monitor("spikes", population="src")
    net = m.build()
    assert net.duration is None
    net.run(100.0)
    assert len(net.spikes("src")[0]) == 0
    rates = np.zeros(10)
    rates[3] = 1000.0
    net.set_rates("src", rates)
    net.run(100.0)
    t, ids = net.spikes("src")
    assert set(ids.tolist()) == {3} and t.min() > 100.0
    assert 60 < len(t) < 140  # 100 expected, Poisson: within 4 standard deviations
    net.clear_recordings()
    assert len(net.spikes("src")[0]) == 0
    assert net.summary()["src"]["spikes"] == len(t)


def test_network_introspection(tmp_path):
    net = small_model().build()
    assert net.populations == ["exc", "inh"]
    assert net.projections == ["exc->exc", "exc->inh", "inh->exc", "inh->inh"]
    assert net.size("exc") == 400 and net.model("inh") == "lif"
    assert net.ports("exc") == ["exc", "inh"]
    assert "v" in net.variables("exc")
    assert net.dt == 0.1 and net.seed == 7 and net.threads == 1
    assert net.duration == pytest.approx(200.0)
    assert net.parameters == {"we": 1.62, "wi": -9.0}
    assert net.state_monitors == ["exc"]
    assert "exc (400 lif)" in repr(net) and "Model" in repr(small_model())
    net.run(50.0)
    s = net.summary()
    assert s["exc"]["size"] == 400 and s["exc"]["spikes"] == len(net.spikes("exc")[0])
    assert s["exc"]["rate_hz"] == pytest.approx(s["exc"]["spikes"] / 400 / 0.05)
    files = net.write(tmp_path / "out")
    names = sorted(os.path.basename(str(f)) for f in files)
    assert names == ["rates.npz", "spikes.npz", "state.npz", "summary.json"]
    with np.load(tmp_path / "out" / "spikes.npz") as z:
        assert np.array_equal(z["exc.times"], net.spikes("exc")[0])


def test_threads_give_identical_spikes():
    one = small_model().build(threads=1)
    two = small_model().build(threads=2)
    one.run(100.0)
    two.run(100.0)
    assert two.threads == 2
    assert_same_spikes(spikes_of(one), spikes_of(two))


def test_overrides(small_toml):
    net = glia.load(small_toml, params={"we": 0.0}, duration=50.0, seed=3, threads=1)
    assert net.parameters["we"] == 0.0 and net.seed == 3 and net.duration == pytest.approx(50.0)
    assert net.weights("exc->inh")[0] == 0.0
    net.run()
    assert net.t == pytest.approx(50.0)
    assert net.run()["steps"] == 0  # nothing left of the planned duration


def test_model_tables_as_dicts():
    """Any table can be given as a dict: `set` merges plain tables, `add` appends entries,
    keywords pass fields through (so fields added to the model file later work unchanged)."""
    m = glia.Model(duration=20.0)
    m.set("simulation", {"seed": 11}).set("parameters", {"n": 30})
    m.add("populations", {"name": "p", "size": "= n", "model": "lif", "params": LIF})
    m.input("dc", target="p", amplitude=600.0, stop=None)
    m.monitor("spikes", population="p", ids=np.arange(5))
    d = m.to_dict()
    assert d["simulation"]["seed"] == 11 and d["populations"][0]["size"] == "= n"
    net = m.build()
    assert net.size("p") == 30 and net.seed == 11
    net.run()
    assert set(net.spikes("p")[1].tolist()) <= set(range(5))
    # An unknown field is reported exactly as in a model file.
    m.add("monitors", {"kind": "rate", "population": "p", "bins": 2.0})
    with pytest.raises(glia.FieldError) as e:
        m.build()
    assert str(e.value) == "monitors[1].bins: unknown field `bins`, expected `population` or `bin`"


# --- errors ---------------------------------------------------------------------------------

def bad_lif_model():
    m = glia.Model(duration=10.0)
    m.population("n", 10, "lif", params={"tau_m": -5})
    return m


def test_errors_name_the_field_as_the_cli_does(tmp_path):
    with pytest.raises(glia.FieldError) as e:
        bad_lif_model().build()
    assert str(e.value) == "populations[0].params.tau_m: must be > 0, got -5"
    assert e.value.path == "populations[0].params.tau_m" and e.value.detail == "must be > 0, got -5"
    assert isinstance(e.value, glia.ModelError) and isinstance(e.value, ValueError)
    # The same model as a file: the same message.
    path = tmp_path / "bad.toml"
    path.write_text(bad_lif_model().to_toml())
    with pytest.raises(glia.FieldError) as f:
        glia.load(path)
    assert str(f.value) == str(e.value)


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.population("n", 0, "lif"), "populations[0].size: must be between 1 and"),
    (lambda m: m.population("n", 10, "nope"), "populations[0].model: unknown model \"nope\"; known models:"),
    (lambda m: (m.population("n", 10), m.projection("n", "m", "exc", "all_to_all")),
     "projections[0].target: no population named \"m\""),
    (lambda m: (m.population("n", 10), m.input("poisson", "n", port="exc", rate=-1.0, weight=1.0)),
     "inputs[0].rate: rates must be ≥ 0 Hz, got -1"),
    (lambda m: m.population("n", 10, params={"tau_m": object()}),
     "populations[0].params.tau_m: cannot be written in a model file"),
    (lambda m: m.set("simulation", {"dt": -0.1}), "simulation.dt: must be > 0 ms, got -0.1"),
])
def test_bad_models_raise_field_errors(edit, message):
    m = glia.Model(duration=10.0)
    edit(m)
    with pytest.raises(glia.FieldError) as e:
        m.build()
    assert str(e.value).startswith(message), str(e.value)


def test_bad_arguments():
    net = small_model().build()
    with pytest.raises(glia.NotFoundError, match='population: no population "nope"'):
        net.state("nope", "v")
    with pytest.raises(glia.NotFoundError, match='exc.w: population "exc"'):
        net.state("exc", "w")
    with pytest.raises(glia.NotFoundError, match='projection: no projection "x->y"'):
        net.weights("x->y")
    with pytest.raises(glia.NotFoundError, match="monitor"):
        net.recorded("inh")
    with pytest.raises(glia.NotFoundError, match="no rate monitor"):
        net.rates("inh")
    with pytest.raises(glia.FieldError, match=r"^exc->exc.weight: expected \d+ weights"):
        net.set_weights("exc->exc", [1.0, 2.0])
    with pytest.raises(glia.FieldError, match="^exc.v: expected 400 values"):
        net.set_state("exc", "v", np.zeros(3))
    with pytest.raises(glia.FieldError, match="^exc.v: expected a 1-D array"):
        net.set_state("exc", "v", np.zeros((20, 20)))
    with pytest.raises(glia.FieldError, match="^exc.v: not an array of numbers"):
        net.set_state("exc", "v", ["a"] * 400)
    with pytest.raises(glia.FieldError, match="^exc.v: must be finite"):
        net.set_state("exc", "v", np.full(400, np.nan))
    with pytest.raises(glia.FieldError, match="only for \"poisson\" populations"):
        net.set_rates("exc", np.zeros(400))
    with pytest.raises(glia.FieldError, match="^duration_ms: must be a time ≥ 0 ms, got -1"):
        net.run(-1.0)
    open_ended = glia.Model()
    open_ended.population("p", 1)
    with pytest.raises(glia.FieldError, match="^duration_ms: this model has no simulation.duration"):
        open_ended.build().run()
    with pytest.raises(glia.FieldError, match="<model>: must be a dict"):
        glia.Model.from_dict([1, 2])
    with pytest.raises(glia.FieldError, match=r"projections\[0\].connect.sources: must be an array"):
        m = glia.Model(duration=1.0)
        m.population("a", 2)
        m.projection("a", "a", "exc", {"rule": "explicit", "sources": np.array(["x"]),
                                       "targets": np.array([0])})
        m.build()


def test_paths_and_files(tmp_path):
    """File fields take `pathlib.Path`s; relative names resolve against `base_dir`."""
    v0 = np.linspace(-70.0, -60.0, 5)
    np.save(tmp_path / "v0.npy", v0)
    for spec, base in [({"file": tmp_path / "v0.npy"}, None), ({"file": "v0.npy"}, tmp_path)]:
        m = glia.Model(duration=1.0)
        m.population("a", 5, initial={"v": spec})
        assert np.allclose(m.build(base_dir=base).state("a", "v"), v0, rtol=1e-7, atol=0)


def test_file_errors(tmp_path):
    with pytest.raises(glia.FileError) as e:
        glia.load(tmp_path / "missing.toml")
    assert "missing.toml: cannot read model file" in str(e.value)
    assert isinstance(e.value, OSError)
    with pytest.raises(glia.FileError, match="TOML syntax error"):
        glia.loads("[simulation\n")
    m = glia.Model(duration=1.0)
    m.population("a", 2, initial={"v": {"file": "nothere.npy"}})
    with pytest.raises(glia.ModelError, match=r"populations\[0\].initial.v"):
        m.build(base_dir=tmp_path)


# --- running: GIL, progress, Ctrl-C -----------------------------------------------------------

def long_model():
    m = glia.Model()
    m.population("n", 4000, "lif", params=LIF, ports=PORTS)
    m.input("poisson", target="n", port="exc", rate=10.0, sources=100, weight=1.0)
    m.monitor("rate", population="n")
    return m


def test_progress_callback_can_stop_and_errors_propagate():
    net = long_model().build()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        return done < total // 2

    stats = net.run(100.0, progress=progress)
    assert not stats["complete"] and 0 < stats["steps"] < 1000 and seen[-1][1] == 1000
    assert net.step == stats["steps"]

    def broken(done, total):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        net.run(10.0, progress=broken)
    net.run(1.0)  # still usable


def test_progress_reports_cover_the_whole_run():
    """About 200 reports per call, counted from the start of the call, also when the run goes
    to the engine in several pieces (25,000 steps); the spikes are those of one piece."""
    def model():
        m = glia.Model(seed=5)
        m.population("p", 10, "poisson", params={"rate": 50.0})
        m.monitor("spikes", population="p")
        return m.build()
    net, seen = model(), []
    stats = net.run(2500.0, progress=lambda done, total: seen.append((done, total)))
    assert stats["complete"] and stats["steps"] == 25000
    assert 190 <= len(seen) <= 210 and seen[-1] == (25000, 25000)
    assert all(a[0] < b[0] for a, b in zip(seen, seen[1:]))
    ref = model()
    for _ in range(5):
        ref.run(500.0)
    assert np.array_equal(ref.spikes("p")[0], net.spikes("p")[0])


def test_gil_is_released_during_run():
    """A Python thread keeps running while another thread simulates."""
    net = long_model().build()
    ticks = []
    done = threading.Event()

    def sim():
        net.run(3000.0)
        done.set()

    th = threading.Thread(target=sim)
    th.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.005)
    th.join()
    assert net.t == pytest.approx(3000.0)
    assert len(ticks) >= 10, f"the main thread ran only {len(ticks)} times during the run"


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_interrupts_cleanly(threads):
    """SIGINT during a long run raises KeyboardInterrupt within 5 s (it is checked every 50 ms);
    the network stays usable, with one thread and with a pool of threads."""
    net = long_model().build(threads=threads)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        net.run(1e6)  # ~15 minutes if not interrupted
    elapsed = time.perf_counter() - t0
    timer.join()
    assert elapsed < 5.0, f"the interrupt took {elapsed:.1f} s"
    t = net.t
    assert 0 < t < 1e6
    net.run(1.0)
    assert net.t == pytest.approx(t + 1.0)
    assert len(net.rates("n")[1]) == net.step


# --- MNIST and plots --------------------------------------------------------------------------

def write_idx(path, arr):
    arr = np.asarray(arr)
    code = {np.dtype(np.uint8): 0x08}[arr.dtype]
    header = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    data = header + arr.tobytes()
    if str(path).endswith(".gz"):
        import gzip
        data = gzip.compress(data)
    with open(path, "wb") as f:
        f.write(data)


def test_mnist_loader(tmp_path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    x, y = glia.mnist.load("test", path=tmp_path)
    assert np.array_equal(x, images) and np.array_equal(y, labels)
    x2, _ = glia.mnist.load("test", path=tmp_path, limit=2)
    assert x2.shape == (2, 28, 28)
    assert np.array_equal(glia.mnist.read_idx(tmp_path / "t10k-labels-idx1-ubyte"), labels)
    r = glia.mnist.to_rates(images[0], max_rate_hz=50.0)
    assert r.shape == (784,) and r.max() <= 50.0 and r.min() >= 0.0
    with pytest.raises(glia.FileError, match="no train-images"):
        glia.mnist.load("train", path=tmp_path)
    with pytest.raises(glia.FieldError, match="split"):
        glia.mnist.load("validation", path=tmp_path)
    (tmp_path / "bad").write_bytes(b"\x01\x02")
    with pytest.raises(glia.FileError, match="not an IDX file"):
        glia.mnist.read_idx(tmp_path / "bad")
    # An image drives a Poisson population through set_rates.
    m = glia.Model()
    m.population("pixels", 784, "poisson", params={"rate": 0.0})
    m.monitor("spikes", population="pixels")
    net = m.build()
    net.set_rates("pixels", glia.mnist.to_rates(images[0], 100.0))
    net.run(50.0)
    assert len(net.spikes("pixels")[0]) > 0


def test_mnist_shared_data():
    d = glia.mnist.default_dir()
    if d is None:
        pytest.skip("no MNIST directory (../shared/data/mnist or $GLIA_MNIST)")
    x, y = glia.mnist.load("test", limit=100)
    assert x.shape == (100, 28, 28) and x.dtype == np.uint8 and y.max() <= 9


def test_plots():
    pytest.importorskip("matplotlib", reason="matplotlib is optional")
    import matplotlib
    matplotlib.use("Agg")
    net = small_model(duration=50.0).build()
    net.run()
    assert glia.plot.raster(net) is not None
    assert glia.plot.state(net, "exc", "v") is not None
    assert glia.plot.rate(net, "exc") is not None


def test_public_api_is_listed():
    """The public names this suite exercises; a new function must be added here (and tested)."""
    network = {"clear_recordings", "connectivity", "dt", "duration", "model", "parameters",
               "populations", "ports", "projections", "rates", "recorded", "run", "seed",
               "set_rates", "set_state", "set_weights", "size", "spikes", "state",
               "state_monitors", "step", "summary", "synapses", "t", "threads", "variables",
               "weights", "write"}
    assert {x for x in dir(glia.Network) if not x.startswith("_")} == network
    model = {"add", "build", "from_dict", "input", "monitor", "population", "projection", "set",
             "to_dict", "to_toml"}
    assert {x for x in dir(glia.Model) if not x.startswith("_")} == model
    assert set(glia.__all__) == {"Model", "Network", "load", "loads", "from_dict", "ModelError",
                                 "FieldError", "FileError", "NotFoundError", "NumericalError",
                                 "NumericalWarning", "errors", "mnist", "plot", "readout",
                                 "tasks", "reservoir", "__version__"}
    assert set(glia.mnist.__all__) == {"load", "read_idx", "to_rates", "default_dir"}
    assert set(glia.plot.__all__) == {"raster", "state", "rate"}
    assert glia.__version__ == "0.1.0"

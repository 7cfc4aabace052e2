#!/usr/bin/env python3
"""Resident memory of a long `glia run` with spike monitoring (issue 12).

Runs `glia run MODEL --duration D` for each duration given, with only the model's spike monitors
kept (state and rate monitors, which keep every sample in memory by design, are dropped), samples
VmRSS of /proc/PID/status every --interval seconds, and prints per run: the samples, the peak
resident set (/usr/bin/time's %M) and the figures of summary.json. The spikes are
written to OUT/run-D/spikes.npz (about 12 bytes per spike); pass --keep to leave them there.

    cargo build --release -p glia-cli
    python3 benches/long_run_rss.py --glia target/release/glia examples/cuba.toml 60000 3600000
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def spikes_only(text):
    """The model text with every [[monitors]] table that is not a spike monitor removed."""
    head, *blocks = text.split("[[monitors]]")
    keep = [b for b in blocks if 'kind = "spikes"' in b.split("[[")[0]]
    # anything after a monitor block that is not a monitor (rare) stays with its block
    return head + "".join("[[monitors]]" + b for b in keep)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def child_pid(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except OSError:
        return None


def run(glia, model_path, duration, out, interval):
    """Run glia under /usr/bin/time (its %M is the peak resident set of this run alone) and
    sample VmRSS of the glia process."""
    cmd = ["/usr/bin/time", "-f", "maxrss_kib=%M", glia, "run", model_path,
           "--duration", str(duration), "--out", out]
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples = []
    pid = None
    while p.poll() is None:
        pid = pid or child_pid(p.pid)
        r = rss_kib(pid) if pid else None
        if r is not None:
            samples.append((round(time.time() - t0, 1), r))
        time.sleep(interval)
    err = p.stderr.read()
    if p.returncode != 0:
        sys.exit(f"glia failed ({p.returncode}): {err}")
    peak = int(err.rsplit("maxrss_kib=", 1)[1].split()[0])
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    return samples, peak, s, os.path.getsize(os.path.join(out, "spikes.npz"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("durations", nargs="+", type=float, help="simulated ms, increasing")
    ap.add_argument("--glia", default="target/release/glia")
    ap.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--out", default=None, help="directory for the runs (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the outputs")
    a = ap.parse_args()
    base = a.out or tempfile.mkdtemp(prefix="glia-rss-")
    os.makedirs(base, exist_ok=True)
    model = os.path.join(base, "model.toml")
    with open(a.model) as f:
        text = spikes_only(f.read())
    # relative files of the model resolve against its own directory
    text = text.replace('file = "', f'file = "{os.path.dirname(os.path.abspath(a.model))}/')
    with open(model, "w") as f:
        f.write(text)
    for d in a.durations:
        out = os.path.join(base, f"run-{int(d)}")
        samples, peak, s, npz = run(a.glia, model, d, out, a.interval)
        spikes = sum(p["spikes"] for p in s["populations"].values())
        print(f"== {d:.0f} ms simulated: wall {s['timing']['simulate_s']:.1f} s, "
              f"{spikes} spikes, spikes.npz {npz / 2**20:.1f} MiB, complete {s['complete']}")
        print("   VmRSS samples (wall s, MiB): " +
              " ".join(f"{t}:{r / 1024:.1f}" for t, r in samples))
        print(f"   peak RSS (/usr/bin/time %M) {peak / 1024:.1f} MiB; "
              f"largest sample {max((r for _, r in samples), default=0) / 1024:.1f} MiB")
        sys.stdout.flush()
        if not a.keep:
            shutil.rmtree(out)
    if not a.keep and a.out is None:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()

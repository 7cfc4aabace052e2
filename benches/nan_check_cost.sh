#!/bin/bash
# NaN-check cost on CUBA. 1) instruction counts (callgrind, collected only inside
# Network::run_with_check: the simulation and the checks, not the build or the bench's own
# check timing), 2) alternating timed runs.  Usage: benches/nan_check_cost.sh [GLIA] (OUT: scratch dir)
G=${1:-target/release/glia}
D=500
for mode in off error; do
  valgrind --tool=callgrind --callgrind-out-file=${OUT:-/tmp}/cg.$mode --toggle-collect='*run_with_check*' \
    $G bench cuba --json --threads 1 --duration $D --on-nan $mode > ${OUT:-/tmp}/cg.$mode.json 2> ${OUT:-/tmp}/cg.$mode.err
  echo "$mode: $(grep -o 'Collected : [0-9]*' ${OUT:-/tmp}/cg.$mode.err) spikes=$(grep -o '"spikes":[0-9]*' ${OUT:-/tmp}/cg.$mode.json)"
done
for i in $(seq 1 10); do
  for mode in off error; do
    echo "$mode $($G bench cuba --json --threads 1 --duration 2000 --on-nan $mode | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["sim_cpu_s"], r["sim_wall_s"], r["spikes"])')"
  done
done

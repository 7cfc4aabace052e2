#!/usr/bin/env bash
# Run every glia test: the Rust workspace (unit, integration, property and CLI tests), the Python
# validation against Brian2, and the Python package's tests. Installs the Python packages the
# validation needs and builds and installs the `glia` Python package (maturin from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --workspace --all-targets 2>&1
# NIR import/export (HDF5 through the system library): the crate's tests with the feature on,
# and the fuzz-corpus replay including its NIR inputs (the CI fuzz smoke, see docs/robustness.md).
cargo test -p glia-nir --features hdf5 2>&1
cargo test -p glia-cli --features nir --test nir --test fuzz_corpus 2>&1
# Distributed runs over MPI (feature `mpi`, system Open MPI): `mpirun -n 1|2|3 glia run` gives
# the one-process outputs byte for byte. Skipped, with the reason, where MPI is not installed.
if command -v mpirun >/dev/null 2>&1 && command -v mpicc >/dev/null 2>&1; then
  cargo test -p glia-cli --features mpi --test mpi 2>&1
else
  echo "SKIPPED: MPI tests (mpirun/mpicc not found: apt-get install libopenmpi-dev openmpi-bin libclang-dev)"
fi

python3 -m pip install --quiet --disable-pip-version-check -r validation/requirements.txt
cargo build --release --features nir --bin glia 2>&1
python3 -m pytest -q validation

# The Python package: `pip install .` builds crates/glia-py in release mode (reusing the release
# build of the engine above) and installs it with python/glia/.
python3 -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps . 2>&1
python3 -m pytest -q python/tests

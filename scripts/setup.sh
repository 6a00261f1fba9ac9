#!/usr/bin/env bash
# Sets up everything taskscout needs on Debian 12 and builds build/taskscout (Release).
# Idempotent: installs only missing packages, and the build is incremental (ccache).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ ccache pkg-config
  libtorch-dev libopenblas0-pthread liblapack-dev libblas-dev   # libtorch + OpenBLAS as libblas.so.3
  libcli11-dev nlohmann-json3-dev libfmt-dev libspdlog-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium                                                      # the HTML report's rendering test
  clang libfuzzer-14-dev libclang-rt-14-dev                     # the fuzz harnesses' smoke runs (FUZZING.md)
  libopenmpi-dev openmpi-bin                                    # the cluster build: mpirun runs rank, register --pool, benchmark
  pybind11-dev python3-dev python3-numpy python3-pytest         # the Python module and its tests
  python3-pandas python3-setuptools python3-pip python3-venv    # Ranking.to_pandas; pip install . in a venv
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# libtorch does its GEMMs through libblas.so.3: make sure OpenBLAS, not the slow
# reference BLAS, provides it.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
case "$blas" in
  *openblas*) ;;
  *) echo "setup: warning: libblas.so.3 is $blas, not OpenBLAS; matrix products will be slow" >&2 ;;
esac

# Build output goes to stderr: stdout carries results only.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build -j "$(nproc)" >&2
echo "setup: built $(pwd)/build/taskscout" >&2

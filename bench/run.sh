#!/usr/bin/env bash
# The benchmark suite, one command: builds stride_bench (Release) in build-release/, then times
# stride and PyTorch (Debian's python3-torch, when installed) on the same workloads in one run,
# alternating, and prints the table described in bench/README.md. Arguments go to compare.py:
#   bench/run.sh [--rounds 5] [--cases a,c,mnist_train,rss] [--threads 2] [--json OUT]
# Installs the build dependencies with apt-get if missing (as scripts/run.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

need_packages "${STRIDE_BUILD_DEPS[@]}"
step "building stride_bench (Release) in build-release/"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRIDE_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target stride_bench

step "bench/compare.py $*"
python=python3
[[ -x /usr/bin/python3 ]] && python=/usr/bin/python3
exec "$python" bench/compare.py --stride-bin build-release/bench/stride_bench "$@"

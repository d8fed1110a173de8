#!/usr/bin/env bash
# The issue's acceptance run, kept out of the test suite because it takes minutes: trains the
# Keras MNIST convnet (examples/mnist_convnet.txt) on Fashion-MNIST with stride's defaults
# (Adam 1e-3, batch 32, seed 0) for EPOCHS (default 5) epochs, prints every epoch and the test
# accuracy, and fails unless the test accuracy reaches MIN_ACCURACY (default 0.88).
# Extra arguments go to `stride train` (e.g. --batch-size 128).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

build_release_cli

epochs=${EPOCHS:-5}
min_accuracy=${MIN_ACCURACY:-0.88}
out=build-release/fashion_mnist
mkdir -p "$out"
step "stride train examples/mnist_convnet.txt --dataset fashion-mnist --epochs $epochs $*"
build-release/stride train examples/mnist_convnet.txt --dataset fashion-mnist --epochs "$epochs" \
  --save "$out/weights.npz" --history "$out/history.csv" "$@" | tee "$out/train.log"

accuracy=$(sed -n 's/^Test (.*accuracy: \([0-9.]*\).*/\1/p' "$out/train.log")
step "test accuracy $accuracy (required: >= $min_accuracy); history in $out/history.csv"
awk -v a="$accuracy" -v m="$min_accuracy" 'BEGIN { exit !(a >= m) }'

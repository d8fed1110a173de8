#!/usr/bin/env bash
# Builds stride (Release), prints the Keras MNIST convnet's summary, trains it briefly (one epoch)
# on Fashion-MNIST, evaluates and uses it, then runs `stride summary` and `stride explain` on the
# other example models. Installs the build dependencies (and the dataset) with apt-get if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

build_release_cli
stride=build-release/stride

weights=build-release/mnist_convnet.fashion_mnist.npz
step "stride summary examples/mnist_convnet.txt"
"$stride" summary examples/mnist_convnet.txt
step "stride train examples/mnist_convnet.txt --dataset fashion-mnist (a short run: one epoch)"
"$stride" train examples/mnist_convnet.txt --dataset fashion-mnist --epochs 1 --batch-size 128 \
  --validation-split 0.1 --save "$weights" --history build-release/history.csv
step "stride evaluate examples/mnist_convnet.txt --weights $weights --dataset fashion-mnist"
"$stride" evaluate examples/mnist_convnet.txt --weights "$weights" --dataset fashion-mnist
step "stride predict examples/mnist_convnet.txt --weights $weights (two test images)"
"$stride" predict examples/mnist_convnet.txt --weights "$weights" --input examples/mnist_convnet_input.npy

shopt -s nullglob
for model in examples/*.txt examples/*.json; do
  step "stride summary $model"
  "$stride" summary "$model"
done
step "stride summary --style keras3 examples/mnist_convnet.txt"
"$stride" summary --style keras3 examples/mnist_convnet.txt
for model in examples/seed1_conv.txt examples/seed2_conv.txt examples/seed2_conv_same.txt; do
  step "stride explain $model"
  "$stride" explain "$model"
done
step "stride explain --input 11,11,1 \"MaxPooling2D(2, strides=2)\""
"$stride" explain --input 11,11,1 "MaxPooling2D(2, strides=2)"
step "stride predict examples/mnist_convnet.txt (PyTorch-made reference weights)"
"$stride" predict examples/mnist_convnet.txt --weights tests/golden/forward/mnist_convnet.weights.npz \
  --input examples/mnist_convnet_input.npy

#!/usr/bin/env bash
# Makes the README's pictures in docs/images/ from examples/mnist_convnet.txt:
# the model (stride plot), its feature-map volumes (--volumes), the curves of
# a short training run on Fashion-MNIST (stride train --history, then
# stride plot --history), and that run's feature maps and first-layer
# filters for one test image (stride featuremaps). The run takes a few
# minutes on two cores; EPOCHS (default 3) sets its length. STRIDE=path/to/stride
# uses a stride already built instead of building build-release/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
need_packages python3

stride=${STRIDE:-}
if [[ -z $stride ]]; then
  build_release_cli
  stride=build-release/stride
fi
model=examples/mnist_convnet.txt
out=docs/images
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

step "the model and its volumes"
"$stride" plot "$model" -o "$out/model.svg"
"$stride" plot "$model" --volumes -o "$out/model-volumes.svg"

step "training for ${EPOCHS:-3} epochs"
"$stride" train "$model" --dataset fashion-mnist --epochs "${EPOCHS:-3}" --batch-size 128 \
  --validation-split 0.1 --seed 1 --history "$work/history.csv" --save "$work/weights.npz"
"$stride" plot --history "$work/history.csv" -o "$out/history.svg"

step "feature maps of the first test image (an ankle boot) and the first layer's filters"
# The image as a (1, 28, 28, 1) float32 .npy in 0..1, as training scales it:
# the IDX file read and the .npy written with Python's standard library alone.
python3 - "$work/image.npy" <<'EOF'
import gzip, struct, sys
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
    assert magic == 2051 and (rows, cols) == (28, 28)
    pixels = f.read(rows * cols)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28, 1), }"
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<784f", *(p / 255 for p in pixels)))
EOF
"$stride" featuremaps "$model" --weights "$work/weights.npz" --input "$work/image.npy" \
  --layer conv2d -o "$out/featuremaps.png"
"$stride" featuremaps "$model" --weights "$work/weights.npz" --filters -o "$out/filters.png"
ls -l "$out"

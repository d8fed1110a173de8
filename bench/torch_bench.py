#!/usr/bin/python3
"""torch_bench.py: the PyTorch worker of the benchmark suite (bench/README.md).

Same cases and protocol as stride_bench: one request per stdin line,
"CASE [SAMPLES]" (a case name, "rss" or "quit"), one JSON line per answer;
the first line printed describes the worker. Run it with Debian's
/usr/bin/python3 (python3-torch); compare.py starts it.

  conv_<a..g>_fwd     nn.Conv2d with bias, channels_last, fp32, under no_grad
  conv_<a..g>_fwdbwd  forward, then backward computing dW, db and dX
  mnist_train         the Keras MNIST convnet, Keras init, Adam(1e-3, eps 1e-7),
                      batch 128, cross-entropy, Fashion-MNIST training set
  mnist_infer128      eval mode, no_grad, test set in batches of 128
  mnist_latency1      eval mode, no_grad, single images, each call timed alone

Keras 'same' with stride 2 pads asymmetrically (e.g. 0 before, 1 after); here
the symmetric padding that gives the same output size is used (same FLOPs).
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"
MNIST_BATCH = 128
CHECK = "not checked (PyTorch is the reference)"

# name: (N, H, W, Cin, Cout, kernel, stride, same), as stride_cases.cpp has them.
CONV_CASES = {
    "a": (128, 28, 28, 1, 32, 3, 1, False),
    "b": (128, 13, 13, 32, 64, 3, 1, False),
    "c": (32, 56, 56, 64, 64, 3, 1, True),
    "d": (32, 28, 28, 128, 128, 3, 1, True),
    "e": (32, 56, 56, 64, 128, 3, 2, True),
    "f": (1, 224, 224, 3, 64, 7, 2, True),
    "g": (10, 8, 16, 3, 5, 3, 2, False),
}


def keras_out(size, k, s, same):
    return -(-size // s) if same else (size - k) // s + 1


def conv_flops(n, ho, wo, cin, cout, k):
    """Forward FLOPs: a multiply-add counts 2; bias not counted."""
    return 2.0 * n * ho * wo * cout * k * k * cin


class Sampler:
    """Repeats fn so that a sample lasts at least min_s; samples are ms per call."""

    def __init__(self, fn, min_s, warmup=2):
        self.fn = fn
        for _ in range(warmup):
            fn()
        self.calls = 1
        while True:
            seconds = self._run()
            if seconds >= min_s:
                break
            factor = 1.2 * min_s / seconds if seconds > 0 else 8.0
            self.calls = max(self.calls + 1, int(self.calls * min(factor, 64.0)))

    def _run(self):
        t0 = time.perf_counter()
        for _ in range(self.calls):
            self.fn()
        return time.perf_counter() - t0

    def sample_ms(self):
        return 1e3 * self._run() / self.calls


class Workload:
    flops = 0.0
    items = 1.0
    calls_per_sample = 0

    def sample_ms(self):
        return self.sampler.sample_ms()


class Conv(Workload):
    def __init__(self, key, backward, min_s):
        n, h, w, cin, cout, k, s, same = CONV_CASES[key]
        ho, wo = keras_out(h, k, s, same), keras_out(w, k, s, same)
        # The smallest symmetric padding that gives Keras's output size.
        pad = -(-max((ho - 1) * s + k - h, 0) // 2) if same else 0
        cl = torch.channels_last
        self.conv = nn.Conv2d(cin, cout, k, stride=s, padding=pad, bias=True).to(memory_format=cl)
        self.x = torch.rand(n, cin, h, w).contiguous(memory_format=cl)
        self.xg = self.x.clone().requires_grad_(True)
        with torch.no_grad():
            y = self.conv(self.x)
        assert tuple(y.shape) == (n, cout, ho, wo), f"output {tuple(y.shape)} is not Keras's"
        assert y.is_contiguous(memory_format=cl), "output is not channels_last"
        self.dy = torch.rand_like(y).contiguous(memory_format=cl)
        self.flops = (3 if backward else 1) * conv_flops(n, ho, wo, cin, cout, k)
        self.sampler = Sampler(self.fwd_bwd if backward else self.fwd, min_s)
        self.calls_per_sample = self.sampler.calls

    def fwd(self):
        with torch.no_grad():
            self.conv(self.x)

    def fwd_bwd(self):
        self.conv.weight.grad = None
        self.conv.bias.grad = None
        self.xg.grad = None
        self.conv(self.xg).backward(self.dy)


def load_idx(name):
    """A Fashion-MNIST IDX .gz file: images as (N, 1, 28, 28) floats in [0, 1], channels_last;
    or labels."""
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = bytearray(f.read())
    if "images" in name:
        n = int.from_bytes(raw[4:8], "big")
        x = torch.frombuffer(raw, dtype=torch.uint8, offset=16).reshape(n, 1, 28, 28)
        return (x.float() / 255).contiguous(memory_format=torch.channels_last)
    return torch.frombuffer(raw, dtype=torch.uint8, offset=8).long()


def mnist_model():
    """examples/mnist_convnet.txt; softmax is folded into the loss (CrossEntropyLoss)."""
    m = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    for mod in m:
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)  # Keras's glorot_uniform
            nn.init.zeros_(mod.bias)
    return m.to(memory_format=torch.channels_last)


def mnist_flops(conv1_factor, rest_factor):
    """FLOPs per image of the convnet's convolutions and dense layer."""
    return (conv1_factor * conv_flops(1, 26, 26, 1, 32, 3)
            + rest_factor * (conv_flops(1, 11, 11, 32, 64, 3) + 2.0 * 1600 * 10))


class MnistTrain(Workload):
    """Training steps over the training set's batches in order (loaded before timing)."""

    def __init__(self, min_s):
        self.x = load_idx("train-images-idx3-ubyte.gz")
        self.y = load_idx("train-labels-idx1-ubyte.gz")
        self.model = mnist_model().train()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.loss = nn.CrossEntropyLoss()
        self.batches = len(self.x) // MNIST_BATCH
        self.step_index = 0
        # conv1 needs no dX (its input needs no grad): 2x forward FLOPs; the rest 3x.
        self.flops = MNIST_BATCH * mnist_flops(2, 3)
        self.items = MNIST_BATCH
        self.sampler = Sampler(self.step, min_s)
        self.calls_per_sample = self.sampler.calls

    def step(self):
        i = (self.step_index % self.batches) * MNIST_BATCH
        self.step_index += 1
        self.opt.zero_grad(set_to_none=True)
        self.loss(self.model(self.x[i:i + MNIST_BATCH]), self.y[i:i + MNIST_BATCH]).backward()
        self.opt.step()


class MnistInference(Workload):
    def __init__(self, batch, min_s):
        self.x = load_idx("t10k-images-idx3-ubyte.gz")
        self.model = mnist_model().eval()
        self.batch, self.min_s = batch, min_s
        self.batches = len(self.x) // batch
        self.index = 0
        self.flops = batch * mnist_flops(1, 1)
        self.items = batch
        if batch > 1:
            self.sampler = Sampler(self.run, min_s)
            self.calls_per_sample = self.sampler.calls
        else:
            for _ in range(20):
                self.run()

    def run(self):
        i = (self.index % self.batches) * self.batch
        self.index += 1
        with torch.no_grad():
            self.model(self.x[i:i + self.batch])

    def sample_ms(self):
        if self.batch > 1:
            return self.sampler.sample_ms()
        latencies, start = [], time.perf_counter()
        while len(latencies) < 50 or time.perf_counter() - start < self.min_s:
            t0 = time.perf_counter()
            self.run()
            latencies.append(1e3 * (time.perf_counter() - t0))
        self.calls_per_sample = len(latencies)
        return statistics.median(latencies)


def make_workload(name, min_s):
    parts = name.split("_")
    if (len(parts) == 3 and parts[0] == "conv" and parts[1] in CONV_CASES
            and parts[2] in ("fwd", "fwdbwd")):
        return Conv(parts[1], parts[2] == "fwdbwd", min_s)
    if name == "mnist_train":
        return MnistTrain(min_s)
    if name == "mnist_infer128":
        return MnistInference(MNIST_BATCH, min_s)
    if name == "mnist_latency1":
        return MnistInference(1, min_s)
    return None


def answer(name, samples, min_s, workloads):
    if name == "rss":
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        return {"case": "rss", "peak_rss_mib": kib / 1024}
    if name not in workloads:
        workload = make_workload(name, min_s)
        if workload is None:
            return {"case": name, "error": "unknown case"}
        workloads[name] = workload
    w = workloads[name]
    ms = [w.sample_ms() for _ in range(samples)]
    return {"case": name, "samples_ms": ms, "median_ms": statistics.median(ms), "best_ms": min(ms),
            "flops": w.flops, "items": w.items, "calls_per_sample": w.calls_per_sample,
            "check": CHECK}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=0,
                    help="torch.set_num_threads (0: torch's default)")
    ap.add_argument("--min-sample-ms", type=float, default=300)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    print(json.dumps({"worker": "torch", "version": torch.__version__,
                      "threads": {"requested": a.threads, "used": torch.get_num_threads()},
                      "mkldnn": torch.backends.mkldnn.is_available()}), flush=True)
    workloads = {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        samples = max(int(words[1]), 1) if len(words) > 1 else 1
        try:
            reply = answer(words[0], samples, a.min_sample_ms / 1e3, workloads)
        except Exception as e:  # reported to compare.py, which carries on
            reply = {"case": words[0], "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()

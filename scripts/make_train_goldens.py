#!/usr/bin/python3
"""Reference data for one training step of whole models (tests/golden/train/).

For every case NAME this writes
  NAME.txt        the model as Keras lines that stride's reader accepts
                  (Keras default layer names),
  NAME.init.npz   float32 initial weights named "<layer name>/<weight name>"
                  in Keras layouts (Conv kernel (k..., cin, filters), Dense
                  kernel (in, out), BatchNormalization gamma, beta,
                  moving_mean, moving_variance),
  NAME.x.npy      float32 inputs in [0, 1], batch first, channels last,
  NAME.y.npy      the labels: int64 class indices (sparse_categorical_crossentropy),
                  float32 one-hot rows (categorical_crossentropy) or float32
                  targets (mean_squared_error),
  NAME.sgd.npz    every weight after ONE step of SGD on the whole batch,
  NAME.adam.npz   the same for one step of Adam,
and cases.txt, one line per case: name, loss, batch size (= all samples),
SGD learning rate, Adam learning rate. tests/cli/train_golden_test.cpp runs
  stride train NAME.txt --data NAME.x.npy --labels NAME.y.npy --loss LOSS
    --optimizer sgd|adam --learning-rate LR --epochs 1 --batch-size BATCH
    --no-shuffle --weights NAME.init.npz --save OUT.npz
and compares OUT.npz with NAME.sgd.npz / NAME.adam.npz.

Keras 3 semantics, written out (reference /work/shared/reference/keras-semantics.md):
  loss (§7.8)   the mean over the batch of per-sample losses. Crossentropy on
                probabilities (from_logits=False): p <- p / sum(p), clip to
                [1e-7, 1 - 1e-7], -sum(y * log p); sparse labels as one-hot.
                No probability of any case comes near the clip (asserted), so
                the gradient is the smooth one. mean_squared_error: mean over
                the last axis of (y - p)^2.
  BatchNormalization in training mode (§7.3)  normalizes with the batch mean
                and the BIASED batch variance (epsilon 1e-3), as
                inv = gamma / sqrt(var + eps), y = x * inv + (beta - mean * inv);
                moving = moving * 0.99 + batch_stat * 0.01, the biased variance
                again (torch's running_var is unbiased, so it is not used).
                The moving statistics are not trained by the optimizer.
  SGD           w <- w - lr * g (momentum 0), lr 0.1.
  Adam (§7.7)   lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, t = 1:
                m = (g - 0)(1 - b1), v = (g^2 - 0)(1 - b2),
                alpha = lr * sqrt(1 - b2^t) / (1 - b1^t),
                w <- w - alpha * m / (sqrt(v) + eps).
Gradients come from torch autograd in float64 through the layers of
scripts/keras_reference/ (NHWC activations, Keras kernel layouts); the results
are stored as float32.

The script checks itself before writing anything:
  * every gradient against central differences of the NumPy twins of the
    layers (keras_reference's NumPy forwards, a NumPy BatchNormalization in
    training mode and NumPy losses: no torch), within 1e-7;
  * SGD against torch.optim.SGD, and the Keras Adam formula above against
    torch.optim.Adam with eps = 1e-7 / sqrt(1 - beta_2), which is Keras's first
    step exactly in real arithmetic (torch adds eps after the bias correction);
  * the moving statistics against a NumPy update from np.var (biased);
  * the computation stays away from kinks a float32 implementation could land
    on the other side of: every ReLU input is at least 1e-4 from 0, every max
    pooling window has a unique maximum (ahead of the runner-up by 1e-4) or is
    all zeros after a ReLU (gradient 0 whichever element is taken), and no
    Adam gradient is nonzero but below 1e-5 (where Adam's step, about
    lr * g / (|g| + 3.2e-6), is steep in g);
  * every stored array moves by more than 1e-4 in both steps, so no part of a
    case is vacuous;
  * with --stride, `stride summary --json` agrees on the layer names, output
    shapes and parameter counts.

Deterministic and idempotent: each case draws from its own RNG seeded by a CRC
of its name, and np.save / np.savez write no timestamps that change (zip members
get 1980-01-01), so a rerun reproduces the files byte for byte. Files of cases
no longer listed are removed.

Usage: /usr/bin/python3 scripts/make_train_goldens.py [--stride build/stride]
"""
import argparse
import copy
import math
import pathlib
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
from keras_reference import (  # noqa: E402
    NUMPY_ACT, TORCH_ACT, Activation, AveragePooling2D, BatchNormalization, Conv1D, Conv2D, Dense,
    DepthwiseConv1D, Flatten, GlobalAveragePooling1D, MaxPooling2D, act_name, default_names,
)
from make_forward_goldens import NON_TRAINABLE, check_with_stride  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tests" / "golden" / "train"

SGD_LR = 0.1
ADAM_LR, BETA_1, BETA_2, ADAM_EPS = 0.001, 0.9, 0.999, 1e-7
CLIP_EPS = 1e-7  # keras.backend.epsilon()
BN_MOMENTUM = 0.99
KINK_MARGIN = 1e-4
ADAM_SMALLEST_GRADIENT = 1e-5
MIN_MOVE = 1e-4

SPARSE, CATEGORICAL, MSE = ("sparse_categorical_crossentropy", "categorical_crossentropy",
                            "mean_squared_error")

# --------------------------------------------------------------------------
# Cases


class Case:
    def __init__(self, name, shape, layers, loss, batch):
        self.name, self.shape, self.layers = name, tuple(shape), layers
        self.loss, self.batch = loss, batch
        self.names = default_names(layers)

    def text(self):
        lines = [
            "# Generated by scripts/make_train_goldens.py; do not edit.",
            f"# Trained with loss {self.loss} on {self.batch} samples (tests/golden/train/cases.txt).",
            f"keras.Input(shape={self.shape!r})",
        ] + [layer.text() for layer in self.layers]
        return "\n".join(lines) + "\n"


CASES = [
    # Every max pooling window of 2x2 on the 6x6 ReLU map is checked for ties.
    Case("conv_pool_dense", (8, 8, 1), [
        Conv2D(4, 3, activation="relu"), MaxPooling2D(2), Flatten(),
        Dense(3, activation="softmax"),
    ], SPARSE, batch=6),
    # No bias before BatchNormalization: its gradient would be 0 in exact
    # arithmetic (the batch mean absorbs it) and float32 rounding noise there
    # would decide the sign of Adam's step.
    Case("conv_bn_dense", (7, 7, 2), [
        Conv2D(3, 3, strides=2, padding="same", use_bias=False), BatchNormalization(),
        Activation("relu"), AveragePooling2D(2), Flatten(), Dense(4, activation="softmax"),
    ], CATEGORICAL, batch=5),
    Case("mlp_mse", (6,), [Dense(5, activation="tanh"), Dense(2)], MSE, batch=4),
    Case("conv1d_depthwise_gap", (10, 3), [
        Conv1D(4, 3, padding="causal", activation="tanh"), DepthwiseConv1D(3, depth_multiplier=2),
        GlobalAveragePooling1D(), Dense(3, activation="softmax"),
    ], SPARSE, batch=4),
]

# --------------------------------------------------------------------------
# Initial values: Keras-like (glorot_uniform kernels, reference §7.6), with
# nonzero biases and BatchNormalization values away from 1/0 so that every
# weight takes part visibly.


def glorot_limit(shape):
    if len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    return math.sqrt(6 / (fan_in + fan_out))


def initial_value(weight, shape, rng):
    if weight.endswith("kernel"):
        limit = glorot_limit(shape)
        return rng.uniform(-limit, limit, shape)
    ranges = {"bias": (-0.1, 0.1), "gamma": (0.5, 1.5), "beta": (-0.5, 0.5),
              "moving_mean": (-1.0, 1.0), "moving_variance": (0.25, 2.0)}
    return rng.uniform(*ranges[weight], shape)


def make_data(case):
    """(x float32, labels as stored, initial weights {layer: {weight: float32}})."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    x = rng.uniform(0.0, 1.0, (case.batch,) + case.shape).astype(np.float32)
    weights, shape = {}, (case.batch,) + case.shape
    t = torch.zeros(shape)
    for lname, layer in zip(case.names, case.layers):
        # make_weights gives the names, shapes and order; the values are drawn here.
        spec = layer.make_weights(shape, np.random.default_rng(0))
        w = {k: initial_value(k, v.shape, rng).astype(np.float32) for k, v in spec.items()}
        weights[lname] = w
        t = layer_forward_torch(layer, t, {k: torch.from_numpy(v.astype(np.float64))
                                           for k, v in w.items()}, {})
        shape = tuple(t.shape)
    classes = shape[-1]
    if case.loss == SPARSE:
        y = rng.integers(0, classes, case.batch).astype(np.int64)
    elif case.loss == CATEGORICAL:
        y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, case.batch)]
    else:
        y = rng.uniform(-1.0, 1.0, (case.batch, classes)).astype(np.float32)
    return x, y, weights


# --------------------------------------------------------------------------
# Training-mode forward in torch (the reference) ...


def split_activation(layer):
    """(the layer without its activation, the activation's name)."""
    if isinstance(layer, Activation):
        return None, layer.cfg["activation"]
    if "activation" not in layer.cfg:
        return layer, "linear"
    linear = copy.copy(layer)
    linear.cfg = dict(layer.cfg, activation=None)
    return linear, act_name(layer.cfg["activation"])


def bn_axes(layer, ndim):
    axis = layer.cfg["axis"] % ndim
    return tuple(a for a in range(ndim) if a != axis)


def bn_train_torch(layer, x, w):
    """(y, batch mean, biased batch variance), Keras 3's training branch."""
    axes = bn_axes(layer, x.dim())
    mean = x.mean(dim=axes)
    var = ((x - mean) ** 2).mean(dim=axes)
    inv = torch.rsqrt(var + layer.cfg["epsilon"]) * w["gamma"]
    return x * inv + (w["beta"] - mean * inv), mean, var


def layer_forward_torch(layer, x, w, seen):
    """One layer in training mode; `seen` collects what the kink checks need."""
    if isinstance(layer, BatchNormalization):
        y, mean, var = bn_train_torch(layer, x, w)
        seen.setdefault("batch_stats", []).append((mean.detach(), var.detach()))
        return y
    if isinstance(layer, MaxPooling2D):
        seen.setdefault("max_pool_inputs", []).append((layer, x.detach().numpy()))
    linear, act = split_activation(layer)
    z = x if linear is None else linear.torch(x, w)
    if act == "relu":
        seen.setdefault("relu_inputs", []).append(z.detach().numpy())
    if act == "softmax":
        seen["softmax"] = True
    return TORCH_ACT[act](z)


def loss_torch(loss, y_pred, y_true):
    if loss == MSE:
        return ((y_true - y_pred) ** 2).mean(-1).mean()
    onehot = F.one_hot(y_true, y_pred.shape[-1]).to(y_pred.dtype) if loss == SPARSE else y_true
    p = y_pred / y_pred.sum(-1, keepdim=True)
    p = p.clamp(CLIP_EPS, 1 - CLIP_EPS)
    return -(onehot * p.log()).sum(-1).mean()


def gradients_torch(case, x, y, weights):
    """(loss, {layer/weight: dL/dw}, {layer/moving_*: updated}, what the checks need)."""
    params = {lname: {k: torch.tensor(v, dtype=torch.float64, requires_grad=k not in NON_TRAINABLE)
                      for k, v in w.items()} for lname, w in weights.items()}
    t, seen = torch.from_numpy(x.astype(np.float64)), {}
    for lname, layer in zip(case.names, case.layers):
        t = layer_forward_torch(layer, t, params[lname], seen)
    seen["y_pred"] = t.detach().numpy()
    y_true = torch.from_numpy(y if y.dtype == np.int64 else y.astype(np.float64))
    loss = loss_torch(case.loss, t, y_true)
    keys = [(lname, k) for lname, w in params.items() for k, v in w.items() if v.requires_grad]
    grads = torch.autograd.grad(loss, [params[l][k] for l, k in keys])
    grads = {f"{l}/{k}": g.numpy() for (l, k), g in zip(keys, grads)}
    # Keras 3: moving = moving * momentum + batch_stat * (1 - momentum).
    moving = {}
    stats = iter(seen.get("batch_stats", []))
    for lname, layer in zip(case.names, case.layers):
        if isinstance(layer, BatchNormalization):
            mean, var = next(stats)
            w = params[lname]
            moving[f"{lname}/moving_mean"] = (
                w["moving_mean"] * BN_MOMENTUM + mean * (1 - BN_MOMENTUM)).detach().numpy()
            moving[f"{lname}/moving_variance"] = (
                w["moving_variance"] * BN_MOMENTUM + var * (1 - BN_MOMENTUM)).detach().numpy()
    return loss.item(), grads, moving, seen


# --------------------------------------------------------------------------
# ... and its NumPy twin (no torch), for the central differences.


def forward_numpy(case, x, weights):
    """(output, {layer: (batch mean, biased batch variance)})."""
    t, stats = x, {}
    for lname, layer in zip(case.names, case.layers):
        w = weights[lname]
        if isinstance(layer, BatchNormalization):
            axes = bn_axes(layer, t.ndim)
            mean, var = t.mean(axis=axes), t.var(axis=axes)  # np.var: biased
            stats[lname] = (mean, var)
            t = (t - mean) / np.sqrt(var + layer.cfg["epsilon"]) * w["gamma"] + w["beta"]
        elif isinstance(layer, Activation):
            t = NUMPY_ACT[layer.cfg["activation"]](t)
        else:
            t = layer.numpy(t, w)
    return t, stats


def loss_numpy(loss, y_pred, y_true):
    if loss == MSE:
        return float(np.mean(np.mean((y_true - y_pred) ** 2, axis=-1)))
    if loss == SPARSE:
        y_true = np.eye(y_pred.shape[-1])[y_true]
    p = np.clip(y_pred / y_pred.sum(-1, keepdims=True), CLIP_EPS, 1 - CLIP_EPS)
    return float(np.mean(-np.sum(y_true * np.log(p), axis=-1)))


def check_gradients(case, x, y, weights, grads):
    """Central differences of the NumPy twin against torch autograd."""
    w64 = {l: {k: v.astype(np.float64) for k, v in w.items()} for l, w in weights.items()}
    x64, y_true = x.astype(np.float64), y if y.dtype == np.int64 else y.astype(np.float64)
    h = 1e-6

    def loss_at():
        return loss_numpy(case.loss, forward_numpy(case, x64, w64)[0], y_true)

    worst = 0.0
    for key, g in grads.items():
        lname, weight = key.split("/")
        v = w64[lname][weight]
        numeric = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            saved = v[i]
            v[i] = saved + h
            up = loss_at()
            v[i] = saved - h
            down = loss_at()
            v[i] = saved
            numeric[i] = (up - down) / (2 * h)
        worst = max(worst, float(np.max(np.abs(numeric - g) / np.maximum(np.abs(g), 1.0))))
    assert worst < 1e-7, (case.name, "torch gradients vs central differences", worst)
    return worst


# --------------------------------------------------------------------------
# Checks on the forward pass: away from kinks and the crossentropy clip.


def check_forward(case, seen):
    for z in seen.get("relu_inputs", []):
        closest = float(np.min(np.abs(z)))
        assert closest >= KINK_MARGIN, (case.name, "a ReLU input is near 0", closest)
    for layer, z in seen.get("max_pool_inputs", []):
        k, s, _ = layer.geometry()
        assert k == s and layer.cfg["padding"] == "valid", "the tie check wants plain windows"
        n, h, w, c = z.shape
        oh, ow = h // k[0], w // k[1]
        windows = z[:, :oh * k[0], :ow * k[1]].reshape(n, oh, k[0], ow, k[1], c)
        windows = np.sort(windows.transpose(0, 1, 3, 5, 2, 4).reshape(-1, k[0] * k[1]), axis=-1)
        top, runner_up = windows[:, -1], windows[:, -2]
        all_zero = top == 0  # ReLU output: the gradient of every element is 0
        gap = np.min(np.where(all_zero, np.inf, top - runner_up))
        assert gap >= KINK_MARGIN, (case.name, "max pooling window with a near tie", gap)
    if case.loss != MSE:
        assert seen.get("softmax"), case.name
        p = seen["y_pred"] / seen["y_pred"].sum(-1, keepdims=True)
        assert p.min() > 1e3 * CLIP_EPS and p.max() < 1 - 1e3 * CLIP_EPS, (case.name, "clip")


# --------------------------------------------------------------------------
# One optimizer step


def sgd_step(weights, grads):
    return {k: w - SGD_LR * grads[k] for k, w in weights.items()}


def adam_step(weights, grads, t=1):
    """Keras 3's Adam (keras/src/optimizers/adam.py), first step from m = v = 0."""
    out = {}
    for k, w in weights.items():
        g = grads[k]
        m = np.zeros_like(g) + (g - 0) * (1 - BETA_1)
        v = np.zeros_like(g) + (g * g - 0) * (1 - BETA_2)
        alpha = ADAM_LR * math.sqrt(1 - BETA_2 ** t) / (1 - BETA_1 ** t)
        out[k] = w - alpha * m / (np.sqrt(v) + ADAM_EPS)
    return out


def torch_step(make_optimizer, weights, grads):
    params = {k: torch.nn.Parameter(torch.from_numpy(w.copy())) for k, w in weights.items()}
    opt = make_optimizer(list(params.values()))
    for k, p in params.items():
        p.grad = torch.from_numpy(grads[k].copy())
    opt.step()
    return {k: p.detach().numpy() for k, p in params.items()}


def assert_same(a, b, tolerance, what):
    worst = max(float(np.max(np.abs(a[k] - b[k]) / np.maximum(np.abs(b[k]), 1.0))) for k in b)
    assert a.keys() == b.keys() and worst <= tolerance, (what, worst)


def train_case(case):
    """(x, y, init, {"sgd": after, "adam": after}, notes); self-checked."""
    x, y, init = make_data(case)
    loss, grads, moving, seen = gradients_torch(case, x, y, init)
    check_forward(case, seen)
    fd_error = check_gradients(case, x, y, init, grads)

    flat = {f"{l}/{k}": v.astype(np.float64) for l, w in init.items() for k, v in w.items()}
    trainable = {k: v for k, v in flat.items() if k in grads}
    assert set(trainable) | {k for k in flat if k.split("/")[1] in NON_TRAINABLE} == set(flat)

    # The moving statistics, again from NumPy (np.var is the biased variance).
    _, stats = forward_numpy(case, x.astype(np.float64),
                             {l: {k: v.astype(np.float64) for k, v in w.items()}
                              for l, w in init.items()})
    for lname, (mean, var) in stats.items():
        want = {f"{lname}/moving_mean": flat[f"{lname}/moving_mean"] * 0.99 + mean * 0.01,
                f"{lname}/moving_variance": flat[f"{lname}/moving_variance"] * 0.99 + var * 0.01}
        assert_same({k: moving[k] for k in want}, want, 1e-12, (case.name, "moving statistics"))

    sgd = sgd_step(trainable, grads)
    assert_same(sgd, torch_step(lambda p: torch.optim.SGD(p, lr=SGD_LR), trainable, grads),
                1e-14, (case.name, "SGD vs torch.optim.SGD"))
    nonzero = np.concatenate([np.abs(g[g != 0]) for g in grads.values()])
    assert nonzero.min() >= ADAM_SMALLEST_GRADIENT, (case.name, "tiny gradient", nonzero.min())
    adam = adam_step(trainable, grads)
    torch_eps = ADAM_EPS / math.sqrt(1 - BETA_2)  # torch adds eps after dividing by sqrt(1 - b2^t)
    assert_same(adam, torch_step(
        lambda p: torch.optim.Adam(p, lr=ADAM_LR, betas=(BETA_1, BETA_2), eps=torch_eps),
        trainable, grads), 1e-12, (case.name, "Keras Adam vs torch.optim.Adam"))

    results = {}
    for opt, stepped in (("sgd", sgd), ("adam", adam)):
        after = {k: (stepped.get(k, moving.get(k))).astype(np.float32) for k in flat}
        for k, v in after.items():
            moved = float(np.max(np.abs(v.astype(np.float64) - flat[k])))
            assert moved > MIN_MOVE, (case.name, opt, k, "does not move", moved)
        results[opt] = after
    flat_init = {k: v.astype(np.float32) for k, v in flat.items()}
    notes = f"loss {loss:.4f}, gradients within {fd_error:.1e} of central differences"
    return x, y, flat_init, results, notes


def rows_for_summary(case, init):
    """What `stride summary --json` should say, as check_with_stride compares it."""
    rows, t = [], torch.zeros((case.batch,) + case.shape)
    for lname, layer in zip(case.names, case.layers):
        w = {k: v for k, v in init.items() if k.startswith(lname + "/")}
        t = layer_forward_torch(layer, t, {k.split("/")[1]: torch.from_numpy(v.astype(np.float64))
                                           for k, v in w.items()}, {})
        fixed = sum(v.size for k, v in w.items() if k.split("/")[1] in NON_TRAINABLE)
        total = sum(v.size for v in w.values())
        rows.append((lname, layer.keras_class(), tuple(t.shape), total - fixed, fixed))
    return rows


# --------------------------------------------------------------------------
# Hand-worked values


def self_test():
    # Crossentropy of p = (0.2, 0.3, 0.5) against class 2: -log(0.5).
    p = torch.tensor([[0.2, 0.3, 0.5]])
    assert abs(loss_torch(SPARSE, p, torch.tensor([2])).item() - math.log(2)) < 1e-15
    # Unnormalized probabilities are divided by their sum first: (1, 1, 2) -> 0.5.
    p = torch.tensor([[1.0, 1.0, 2.0]])
    assert abs(loss_torch(CATEGORICAL, p, torch.tensor([[0.0, 0.0, 1.0]])).item()
               - math.log(2)) < 1e-15
    # Clipped: p = 0 costs -log(1e-7).
    p = torch.tensor([[0.0, 1.0]])
    assert abs(loss_torch(SPARSE, p, torch.tensor([0])).item() + math.log(1e-7)) < 1e-9
    # MSE: ((1 - 0)^2 + (0 - 2)^2) / 2 = 2.5 and (0.5^2 + 0^2) / 2 = 0.125; mean 1.3125.
    got = loss_torch(MSE, torch.tensor([[0.0, 2.0], [0.5, 1.0]]), torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
    assert abs(got.item() - 1.3125) < 1e-15
    # BatchNormalization in training on one channel (1, 3): mean 2, biased var 1,
    # eps 1e-3 -> y = (-1, 1) / sqrt(1.001); moving_var 1 -> 0.99 + 0.01 * 1 = 1.
    y, mean, var = bn_train_torch(BatchNormalization(), torch.tensor([[1.0], [3.0]]),
                                  {"gamma": torch.ones(1), "beta": torch.zeros(1)})
    assert mean.item() == 2 and var.item() == 1
    assert np.allclose(y.numpy()[:, 0], np.array([-1, 1]) / math.sqrt(1.001), rtol=1e-15)
    # Adam's first step is about lr * sign(g): g = 0.5 -> 1 - 0.001 * 0.5 / (0.5 + 1e-7 / sqrt(0.001)).
    got = adam_step({"w": np.array([1.0])}, {"w": np.array([0.5])})["w"][0]
    assert abs(got - (1 - 0.001 * 0.5 / (0.5 + 1e-7 / math.sqrt(0.001)))) < 1e-15


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=pathlib.Path, default=OUT_DIR)
    ap.add_argument("--stride", help="stride binary: check each model file with `stride summary`")
    args = ap.parse_args()

    torch.set_num_threads(1)
    self_test()
    args.out.mkdir(parents=True, exist_ok=True)
    written, problems = {"cases.txt"}, []
    table = [
        "# Generated by scripts/make_train_goldens.py; do not edit.",
        "# One step of `stride train` on all samples at once (--epochs 1 --no-shuffle):",
        "# name loss batch_size sgd_learning_rate adam_learning_rate",
        f"# SGD: momentum 0. Adam: Keras defaults beta_1 {BETA_1}, beta_2 {BETA_2}, "
        f"epsilon {ADAM_EPS}.",
    ]
    c_order = np.ascontiguousarray  # stride reads C-order arrays only
    for case in CASES:
        x, y, init, results, notes = train_case(case)
        base = args.out / case.name
        pathlib.Path(f"{base}.txt").write_text(case.text())
        np.save(f"{base}.x.npy", c_order(x))
        np.save(f"{base}.y.npy", c_order(y))
        np.savez(f"{base}.init.npz", **{k: c_order(v) for k, v in init.items()})
        for opt, after in results.items():
            np.savez(f"{base}.{opt}.npz", **{k: c_order(v) for k, v in after.items()})
        written |= {f"{case.name}.{ext}" for ext in
                    ("txt", "x.npy", "y.npy", "init.npz", "sgd.npz", "adam.npz")}
        table.append(f"{case.name} {case.loss} {case.batch} {SGD_LR} {ADAM_LR}")
        print(f"{case.name}: {notes}")
        if args.stride:
            err = check_with_stride(args.stride, f"{base}.txt", rows_for_summary(case, init))
            if err:
                problems.append(f"{case.name}: {err}")
    (args.out / "cases.txt").write_text("\n".join(table) + "\n")
    for stale in args.out.iterdir():
        if stale.name not in written:
            stale.unlink()
    print(f"{len(CASES)} cases written to {args.out}")
    for p in problems:
        print("stride:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

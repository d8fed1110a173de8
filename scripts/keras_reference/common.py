"""Keras semantics in float64 PyTorch, with a NumPy twin for every formula.

Output-length arithmetic (reference §1), activations, layout helpers, the
Layer base class and Keras's default layer names. See conv.py and layers.py
for the layers themselves.
"""
import math
import re

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

REQUIRED = object()

# --------------------------------------------------------------------------
# Output-length arithmetic (reference §1.1, §1.3, §1.5)


def k_eff(k, d):
    return (k - 1) * d + 1


def conv_out_len(n, k, s, d, padding):
    if padding == "valid":
        return (n - k_eff(k, d)) // s + 1
    return (n + s - 1) // s  # same, causal


def same_split(n, k, s, d):
    """TF's SAME split: (before, after); the odd pixel goes after."""
    out = (n + s - 1) // s
    total = max((out - 1) * s + k_eff(k, d) - n, 0)
    return total // 2, total - total // 2


def conv_pads(n, k, s, d, padding):
    if padding == "same":
        return same_split(n, k, s, d)
    if padding == "causal":
        return d * (k - 1), 0
    return 0, 0


def deconv_out_len(n, k, s, d, padding, output_padding):
    ke = k_eff(k, d)
    if output_padding is None:
        return n * s + max(ke - s, 0) if padding == "valid" else n * s
    pad = ke // 2 if padding == "same" else 0
    return (n - 1) * s + ke - 2 * pad + output_padding


def deconv_pad_before(n, out_len, k, s, d, padding):
    """The SAME split of the forward convolution mapping out_len -> n (§7.1)."""
    if padding == "valid":
        return 0
    return max((n - 1) * s + k_eff(k, d) - out_len, 0) // 2


def tup(v, rank):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank


def pad_pairs(v, rank):
    """ZeroPadding/Cropping arguments -> ((before, after), ...) per spatial dim."""
    if isinstance(v, int):
        return ((v, v),) * rank
    if rank == 1:
        return (tuple(v),)
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in v)


# --------------------------------------------------------------------------
# Activations: one torch and one NumPy definition each (Keras 3 constants)

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_C = math.sqrt(2.0 / math.pi)


def t_relu6(x):
    return x.clamp(0.0, 6.0)


def t_softplus(x):
    return torch.logaddexp(x, torch.zeros_like(x))


TORCH_ACT = {
    "linear": lambda x: x,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda x: torch.softmax(x, -1),
    "elu": lambda x: torch.where(x > 0, x, torch.expm1(x)),
    "selu": lambda x: SELU_SCALE * torch.where(x > 0, x, SELU_ALPHA * torch.expm1(x)),
    "softplus": t_softplus,
    "softsign": lambda x: x / (1 + x.abs()),
    "swish": lambda x: x * torch.sigmoid(x),
    "silu": lambda x: x * torch.sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2.0))),
    "gelu_approximate": lambda x: 0.5 * x * (1 + torch.tanh(GELU_C * (x + 0.044715 * x**3))),
    "exponential": torch.exp,
    "hard_sigmoid": lambda x: t_relu6(x + 3) / 6,
    "leaky_relu": lambda x: torch.where(x >= 0, x, 0.2 * x),
    "relu6": t_relu6,
    "log_softmax": lambda x: torch.log_softmax(x, -1),
    "mish": lambda x: x * torch.tanh(t_softplus(x)),
    "hard_silu": lambda x: x * t_relu6(x + 3) / 6,
    "hard_swish": lambda x: x * t_relu6(x + 3) / 6,
    "log_sigmoid": lambda x: -t_softplus(-x),
    "celu": lambda x: torch.clamp(x, min=0) + torch.clamp(torch.expm1(x), max=0),
    "squareplus": lambda x: (x + torch.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - torch.tanh(x),
    "soft_shrink": lambda x: F.softshrink(x, 0.5),
    "hard_shrink": lambda x: F.hardshrink(x, 0.5),
    "hard_tanh": lambda x: x.clamp(-1.0, 1.0),
    "sparse_plus": lambda x: torch.where(
        x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4)
    ),
}

np_erf = np.vectorize(math.erf)


def n_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def n_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def n_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def n_hard_sigmoid(x):
    return np.minimum(np.maximum(x + 3, 0), 6) / 6


NUMPY_ACT = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": n_sigmoid,
    "tanh": np.tanh,
    "softmax": n_softmax,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
    "softplus": n_softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "swish": lambda x: x * n_sigmoid(x),
    "silu": lambda x: x * n_sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + np_erf(x / math.sqrt(2.0))),
    "gelu_approximate": lambda x: 0.5 * x * (1 + np.tanh(GELU_C * (x + 0.044715 * x**3))),
    "exponential": np.exp,
    "hard_sigmoid": n_hard_sigmoid,
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "log_softmax": lambda x: np.log(n_softmax(x)),
    "mish": lambda x: x * np.tanh(n_softplus(x)),
    "hard_silu": lambda x: x * n_hard_sigmoid(x),
    "hard_swish": lambda x: x * n_hard_sigmoid(x),
    "log_sigmoid": lambda x: np.log(n_sigmoid(x)),
    "celu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
}
assert TORCH_ACT.keys() == NUMPY_ACT.keys()


def act_name(a):
    return "linear" if a is None else a


# --------------------------------------------------------------------------
# Layout helpers. Activations are channels_last unless a layer says otherwise;
# torch wants channels at axis 1, the NumPy loops want them last.


def t_to_cf(x, cf):
    return x if cf else x.movedim(-1, 1)


def t_from_cf(y, cf):
    return y if cf else y.movedim(1, -1)


def n_to_cl(x, cf):
    return np.moveaxis(x, 1, -1) if cf else x


def n_from_cl(y, cf):
    return np.moveaxis(y, -1, 1) if cf else y


def torch_pad_arg(pairs):
    flat = []
    for before, after in reversed(pairs):
        flat += [before, after]
    return flat


def rand_normal(rng, shape, std=1.0):
    return (rng.standard_normal(shape) * std).astype(np.float32)


def rand_bias(rng, n):
    return rng.uniform(-0.5, 0.5, n).astype(np.float32)


def torch_kernel(kernel, rank):
    """(k..., a, b) -> (b, a, k...), torch's (out, in, k...) for conv."""
    return kernel.permute(rank + 1, rank, *range(rank))


# --------------------------------------------------------------------------
# Layers. SIG lists Keras's parameters in positional order with defaults; the
# model line repeats exactly the arguments a case passes.


class Layer:
    SIG = ()
    RANK = None
    CLASS = None

    def __init__(self, *args, **kwargs):
        cfg = dict(self.SIG)
        names = [n for n, _ in self.SIG]
        assert len(args) <= len(names), (self.keras_class(), args)
        for n, v in zip(names, args):
            cfg[n] = v
        for n, v in kwargs.items():
            assert n in cfg, f"{self.keras_class()}: unknown argument {n}"
            cfg[n] = v
        missing = [n for n, v in cfg.items() if v is REQUIRED]
        assert not missing, f"{self.keras_class()}: missing {missing}"
        self.cfg, self.args, self.kwargs = cfg, args, kwargs

    @classmethod
    def keras_class(cls):
        return cls.CLASS

    def text(self):
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"layers.{self.keras_class()}({', '.join(parts)})"

    def channels_first(self):
        return self.cfg.get("data_format") == "channels_first"

    def make_weights(self, in_shape, rng):
        return {}

    def torch(self, x, w):
        raise NotImplementedError

    def numpy(self, x, w):
        raise NotImplementedError


def ranked(base, rank, name):
    return type(name, (base,), {"RANK": rank, "CLASS": name})


# --------------------------------------------------------------------------
# Default names (Keras's snake_case of the class name, _1, _2 for repeats)


def snake_case(name):
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def default_names(layers):
    seen, names = {}, []
    for layer in layers:
        base = snake_case(layer.keras_class())
        n = seen.get(base, 0)
        seen[base] = n + 1
        names.append(base if n == 0 else f"{base}_{n}")
    return names

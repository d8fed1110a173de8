"""Core, reshaping, normalization and activation layers with Keras semantics
(reference §1.7, §2.2-2.5, §7.3-7.5), each computed with torch and with NumPy.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .common import (
    NUMPY_ACT, REQUIRED, TORCH_ACT, Layer, act_name, pad_pairs, rand_bias, rand_normal, ranked,
    t_from_cf, t_to_cf, torch_pad_arg, tup,
)

# ---- core -----------------------------------------------------------------


class Dense(Layer):
    CLASS = "Dense"
    SIG = (("units", REQUIRED), ("activation", None), ("use_bias", True))

    def make_weights(self, in_shape, rng):
        n, u = in_shape[-1], self.cfg["units"]
        w = {"kernel": rand_normal(rng, (n, u), 1 / math.sqrt(n))}
        if self.cfg["use_bias"]:
            w["bias"] = rand_bias(rng, u)
        return w

    def torch(self, x, w):
        y = x @ w["kernel"]
        if "bias" in w:
            y = y + w["bias"]
        return TORCH_ACT[act_name(self.cfg["activation"])](y)

    def numpy(self, x, w):
        y = np.einsum("...i,iu->...u", x, w["kernel"])
        if "bias" in w:
            y = y + w["bias"]
        return NUMPY_ACT[act_name(self.cfg["activation"])](y)


class Flatten(Layer):
    CLASS = "Flatten"
    SIG = (("data_format", None),)

    def torch(self, x, w):
        if self.channels_first() and x.dim() > 2:
            x = x.movedim(1, -1)
        return x.reshape(x.shape[0], -1)

    def numpy(self, x, w):
        if self.channels_first() and x.ndim > 2:
            x = np.transpose(x, (0, *range(2, x.ndim), 1))
        return x.reshape(x.shape[0], -1)


class Reshape(Layer):
    CLASS = "Reshape"
    SIG = (("target_shape", REQUIRED),)

    def torch(self, x, w):
        return x.reshape(x.shape[0], *self.cfg["target_shape"])

    def numpy(self, x, w):
        return x.reshape(x.shape[0], *self.cfg["target_shape"])


class Permute(Layer):
    CLASS = "Permute"
    SIG = (("dims", REQUIRED),)

    def torch(self, x, w):
        return x.permute(0, *self.cfg["dims"])

    def numpy(self, x, w):
        return np.transpose(x, (0, *self.cfg["dims"]))


class Identity(Layer):
    """Dropout and SpatialDropout: identity at inference (§7.5)."""

    def torch(self, x, w):
        return x

    def numpy(self, x, w):
        return x


class Dropout(Identity):
    CLASS = "Dropout"
    SIG = (("rate", REQUIRED), ("noise_shape", None), ("seed", None))


def spatial_dropout_class(rank):
    cls = ranked(Identity, rank, f"SpatialDropout{rank}D")
    cls.SIG = (("rate", REQUIRED),) + ((("data_format", None),) if rank > 1 else ())
    return cls


SpatialDropout1D, SpatialDropout2D, SpatialDropout3D = (spatial_dropout_class(r) for r in (1, 2, 3))

# ---- reshaping: padding, cropping, upsampling ------------------------------


class Spatial(Layer):
    """Layers acting on the spatial axes only."""

    def spatial_axes(self, ndim):
        return range(2, ndim) if self.channels_first() else range(1, ndim - 1)


class ZeroPadding(Spatial):
    def pairs(self):
        return pad_pairs(self.cfg["padding"], self.RANK)

    def torch(self, x, w):
        full = [(0, 0)] * x.dim()
        for axis, pair in zip(self.spatial_axes(x.dim()), self.pairs()):
            full[axis] = pair
        return F.pad(x, torch_pad_arg(full))

    def numpy(self, x, w):
        full = [(0, 0)] * x.ndim
        for axis, pair in zip(self.spatial_axes(x.ndim), self.pairs()):
            full[axis] = pair
        return np.pad(x, full)


class Cropping(Spatial):
    def torch(self, x, w):
        for axis, (b, a) in zip(self.spatial_axes(x.dim()), pad_pairs(self.cfg["cropping"], self.RANK)):
            x = x.narrow(axis, b, x.shape[axis] - b - a)
        return x

    def numpy(self, x, w):
        index = [slice(None)] * x.ndim
        for axis, (b, a) in zip(self.spatial_axes(x.ndim), pad_pairs(self.cfg["cropping"], self.RANK)):
            index[axis] = slice(b, x.shape[axis] - a)
        return x[tuple(index)]


class UpSampling(Spatial):
    def sizes(self):
        return tup(self.cfg["size"], self.RANK)

    def bilinear(self):
        return self.cfg.get("interpolation", "nearest") == "bilinear"

    def torch(self, x, w):
        if self.bilinear():  # TF resize: half-pixel centres, no antialiasing
            cf = self.channels_first()
            y = F.interpolate(t_to_cf(x, cf), scale_factor=self.sizes(), mode="bilinear",
                              align_corners=False)
            return t_from_cf(y, cf)
        for axis, n in zip(self.spatial_axes(x.dim()), self.sizes()):
            x = x.repeat_interleave(n, dim=axis)
        return x

    def numpy(self, x, w):
        for axis, n in zip(self.spatial_axes(x.ndim), self.sizes()):
            x = n_lerp_axis(x, axis, n) if self.bilinear() else np.repeat(x, n, axis=axis)
        return x


def n_lerp_axis(x, axis, scale):
    """TF's half-pixel-centre linear resize of one axis by an integer scale."""
    n = x.shape[axis]
    cols = []
    for o in range(n * scale):
        src = (o + 0.5) / scale - 0.5
        lo = math.floor(src)
        frac = src - lo
        a, b = min(max(lo, 0), n - 1), min(max(lo + 1, 0), n - 1)
        cols.append(np.take(x, a, axis) * (1 - frac) + np.take(x, b, axis) * frac)
    return np.stack(cols, axis)


def spatial_class(base, rank, name, sig):
    cls = ranked(base, rank, name)
    cls.SIG = sig
    return cls


ZeroPadding1D = spatial_class(ZeroPadding, 1, "ZeroPadding1D", (("padding", 1),))
ZeroPadding2D = spatial_class(
    ZeroPadding, 2, "ZeroPadding2D", (("padding", (1, 1)), ("data_format", None))
)
ZeroPadding3D = spatial_class(
    ZeroPadding, 3, "ZeroPadding3D", (("padding", ((1, 1),) * 3), ("data_format", None))
)
Cropping1D = spatial_class(Cropping, 1, "Cropping1D", (("cropping", (1, 1)),))
Cropping2D = spatial_class(
    Cropping, 2, "Cropping2D", (("cropping", ((0, 0), (0, 0))), ("data_format", None))
)
Cropping3D = spatial_class(
    Cropping, 3, "Cropping3D", (("cropping", ((1, 1),) * 3), ("data_format", None))
)
UpSampling1D = spatial_class(UpSampling, 1, "UpSampling1D", (("size", 2),))
UpSampling2D = spatial_class(
    UpSampling, 2, "UpSampling2D",
    (("size", (2, 2)), ("data_format", None), ("interpolation", "nearest")),
)
UpSampling3D = spatial_class(UpSampling, 3, "UpSampling3D", (("size", (2, 2, 2)), ("data_format", None)))

# ---- normalization ----------------------------------------------------------


class BatchNormalization(Layer):
    CLASS = "BatchNormalization"
    SIG = (("axis", -1), ("momentum", 0.99), ("epsilon", 1e-3), ("center", True), ("scale", True))

    def make_weights(self, in_shape, rng):
        c = in_shape[self.cfg["axis"]]
        w = {}
        if self.cfg["scale"]:
            w["gamma"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        if self.cfg["center"]:
            w["beta"] = rand_bias(rng, c)
        w["moving_mean"] = rng.uniform(-1, 1, c).astype(np.float32)
        w["moving_variance"] = rng.uniform(0.25, 2.0, c).astype(np.float32)
        return w

    def bshape(self, ndim):
        shape = [1] * ndim
        shape[self.cfg["axis"]] = -1
        return shape

    def torch(self, x, w):
        shape = self.bshape(x.dim())
        gamma = w.get("gamma", torch.ones(1))
        beta = w.get("beta", torch.zeros(1))
        inv = gamma / torch.sqrt(w["moving_variance"] + self.cfg["epsilon"])
        return x * inv.reshape(shape) + (beta - w["moving_mean"] * inv).reshape(shape)

    def numpy(self, x, w):
        shape = self.bshape(x.ndim)
        y = (x - w["moving_mean"].reshape(shape)) / np.sqrt(
            w["moving_variance"].reshape(shape) + self.cfg["epsilon"])
        if "gamma" in w:
            y = y * w["gamma"].reshape(shape)
        if "beta" in w:
            y = y + w["beta"].reshape(shape)
        return y


class LayerNormalization(Layer):
    CLASS = "LayerNormalization"
    SIG = (("axis", -1), ("epsilon", 1e-3), ("center", True), ("scale", True))

    def make_weights(self, in_shape, rng):
        c = in_shape[-1]
        w = {}
        if self.cfg["scale"]:
            w["gamma"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        if self.cfg["center"]:
            w["beta"] = rand_bias(rng, c)
        return w

    def torch(self, x, w):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        inv = torch.rsqrt(var + self.cfg["epsilon"]) * w.get("gamma", torch.ones(1))
        return x * inv + (w.get("beta", torch.zeros(1)) - mean * inv)

    def numpy(self, x, w):
        y = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + self.cfg["epsilon"])
        return y * w.get("gamma", 1.0) + w.get("beta", 0.0)


# ---- activation layers --------------------------------------------------------


class Activation(Layer):
    CLASS = "Activation"
    SIG = (("activation", REQUIRED),)

    def torch(self, x, w):
        return TORCH_ACT[self.cfg["activation"]](x)

    def numpy(self, x, w):
        return NUMPY_ACT[self.cfg["activation"]](x)


class ReLU(Layer):
    CLASS = "ReLU"
    SIG = (("max_value", None), ("negative_slope", 0.0), ("threshold", 0.0))

    def torch(self, x, w):
        # Keras's relu(x, negative_slope, max_value, threshold), step by step.
        mx, slope, thr = self.cfg["max_value"], self.cfg["negative_slope"], self.cfg["threshold"]
        neg = torch.relu(-x + thr) if slope != 0 else None
        y = x * (x > thr).to(x.dtype) if thr != 0 else torch.relu(x)
        if mx is not None:
            y = y.clamp(0.0, mx)
        if slope != 0:
            y = y - slope * neg
        return y

    def numpy(self, x, w):
        # Piecewise: below the threshold slope*(x - threshold), above it x, capped.
        mx, slope, thr = self.cfg["max_value"], self.cfg["negative_slope"], self.cfg["threshold"]
        y = np.where(x > thr, x, slope * (x - thr))
        return np.minimum(y, mx) if mx is not None else y


class LeakyReLU(Layer):
    CLASS = "LeakyReLU"
    SIG = (("negative_slope", 0.3), ("alpha", None))

    def slope(self):
        a = self.cfg["alpha"]
        return self.cfg["negative_slope"] if a is None else a

    def torch(self, x, w):
        return torch.where(x >= 0, x, self.slope() * x)

    def numpy(self, x, w):
        return np.where(x >= 0, x, self.slope() * x)


class ELU(Layer):
    CLASS = "ELU"
    SIG = (("alpha", 1.0),)

    def torch(self, x, w):
        return torch.where(x > 0, x, self.cfg["alpha"] * torch.expm1(x))

    def numpy(self, x, w):
        return np.where(x > 0, x, self.cfg["alpha"] * (np.exp(x) - 1))


class PReLU(Layer):
    CLASS = "PReLU"
    SIG = (("alpha_initializer", "zeros"), ("alpha_regularizer", None), ("alpha_constraint", None),
           ("shared_axes", None))

    def make_weights(self, in_shape, rng):
        shape = list(in_shape[1:])
        for a in self.cfg["shared_axes"] or ():
            shape[a - 1] = 1
        return {"alpha": rng.uniform(-0.3, 0.6, shape).astype(np.float32)}

    def torch(self, x, w):
        return torch.relu(x) - w["alpha"] * torch.relu(-x)

    def numpy(self, x, w):
        return np.where(x > 0, x, w["alpha"] * x)


class Softmax(Layer):
    CLASS = "Softmax"
    SIG = (("axis", -1),)

    def torch(self, x, w):
        return torch.softmax(x, self.cfg["axis"])

    def numpy(self, x, w):
        a = self.cfg["axis"]
        e = np.exp(x - x.max(axis=a, keepdims=True))
        return e / e.sum(axis=a, keepdims=True)

"""Convolutions and pooling with Keras semantics (reference §1.5, §1.6, §2.1, §7.1, §7.2).

Each layer computes its output twice: with torch (the reference) and with
naive NumPy loops written from the formulas (the cross-check).
"""
import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F

from .common import (
    NUMPY_ACT, REQUIRED, TORCH_ACT, Layer, act_name, conv_out_len, conv_pads, deconv_out_len,
    deconv_pad_before, n_from_cl, n_to_cl, rand_bias, rand_normal, ranked, t_from_cf, t_to_cf,
    torch_kernel, torch_pad_arg, tup,
)

CONV_FN = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T_FN = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
MAX_POOL_FN = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG_POOL_FN = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}

# ---- convolutions ---------------------------------------------------------


class ConvBase(Layer):
    def spatial(self, in_shape):
        return in_shape[2:] if self.channels_first() else in_shape[1:-1]

    def channels(self, in_shape):
        return in_shape[1] if self.channels_first() else in_shape[-1]

    def geometry(self):
        r = self.RANK
        return (
            tup(self.cfg["kernel_size"], r),
            tup(self.cfg["strides"], r),
            tup(self.cfg["dilation_rate"], r),
        )

    def input_pads(self, spatial):
        k, s, d = self.geometry()
        return [conv_pads(n, *ksd, self.cfg["padding"]) for n, *ksd in zip(spatial, k, s, d)]

    def activate_torch(self, y):
        return TORCH_ACT[act_name(self.cfg["activation"])](y)

    def activate_numpy(self, y):
        return NUMPY_ACT[act_name(self.cfg["activation"])](y)


CONV_SIG = (
    ("filters", REQUIRED), ("kernel_size", REQUIRED), ("strides", 1), ("padding", "valid"),
    ("data_format", None), ("dilation_rate", 1), ("groups", 1), ("activation", None),
    ("use_bias", True),
)


class Conv(ConvBase):
    SIG = CONV_SIG

    def make_weights(self, in_shape, rng):
        k, _, _ = self.geometry()
        cin = self.channels(in_shape) // self.cfg["groups"]
        f = self.cfg["filters"]
        w = {"kernel": rand_normal(rng, k + (cin, f), 1 / math.sqrt(math.prod(k) * cin))}
        if self.cfg["use_bias"]:
            w["bias"] = rand_bias(rng, f)
        return w

    def torch(self, x, w):
        cf, r = self.channels_first(), self.RANK
        k, s, d = self.geometry()
        xn = t_to_cf(x, cf)
        xn = F.pad(xn, torch_pad_arg(self.input_pads(xn.shape[2:])))
        y = CONV_FN[r](xn, torch_kernel(w["kernel"], r), w.get("bias"), stride=s,
                       dilation=d, groups=self.cfg["groups"])
        return self.activate_torch(t_from_cf(y, cf))

    def numpy(self, x, w):
        cf = self.channels_first()
        k, s, d = self.geometry()
        xl = n_to_cl(x, cf)
        kernel, groups = w["kernel"], self.cfg["groups"]
        spatial = xl.shape[1:-1]
        pads = self.input_pads(spatial)
        out = [conv_out_len(n, *ksd, self.cfg["padding"]) for n, *ksd in zip(spatial, k, s, d)]
        f = kernel.shape[-1]
        cg, fg = xl.shape[-1] // groups, f // groups
        y = np.zeros((xl.shape[0], *out, f))
        for opos, kpos, ipos in window_walk(spatial, out, k, s, d, pads):
            v = xl[(slice(None), *ipos)]
            for g in range(groups):
                y[(slice(None), *opos, slice(g * fg, (g + 1) * fg))] += (
                    v[:, g * cg:(g + 1) * cg] @ kernel[kpos][:, g * fg:(g + 1) * fg]
                )
        if "bias" in w:
            y += w["bias"]
        return self.activate_numpy(n_from_cl(y, cf))


def window_walk(spatial, out, k, s, d, pads):
    """(output position, kernel offset, input position) for in-range inputs only."""
    for opos in itertools.product(*map(range, out)):
        for kpos in itertools.product(*map(range, k)):
            ipos = tuple(o * ss + kk * dd - p[0] for o, kk, ss, dd, p in zip(opos, kpos, s, d, pads))
            if all(0 <= i < n for i, n in zip(ipos, spatial)):
                yield opos, kpos, ipos


CONV_T_SIG = (
    ("filters", REQUIRED), ("kernel_size", REQUIRED), ("strides", 1), ("padding", "valid"),
    ("output_padding", None), ("data_format", None), ("dilation_rate", 1),
    ("activation", None), ("use_bias", True),
)


class ConvTranspose(ConvBase):
    SIG = CONV_T_SIG

    def out_geometry(self, spatial):
        """Per dim: (output length, pad_before of the forward conv)."""
        k, s, d = self.geometry()
        op = self.cfg["output_padding"]
        op = (None,) * self.RANK if op is None else tup(op, self.RANK)
        res = []
        for n, kk, ss, dd, p in zip(spatial, k, s, d, op):
            out = deconv_out_len(n, kk, ss, dd, self.cfg["padding"], p)
            res.append((out, deconv_pad_before(n, out, kk, ss, dd, self.cfg["padding"])))
        return res

    def make_weights(self, in_shape, rng):
        k, s, _ = self.geometry()
        cin, f = self.channels(in_shape), self.cfg["filters"]
        std = 1 / math.sqrt(max(math.prod(k) // math.prod(s), 1) * cin)
        w = {"kernel": rand_normal(rng, k + (f, cin), std)}
        if self.cfg["use_bias"]:
            w["bias"] = rand_bias(rng, f)
        return w

    def torch(self, x, w):
        cf, r = self.channels_first(), self.RANK
        k, s, d = self.geometry()
        xn = t_to_cf(x, cf)
        # Full scatter (no padding), then keep [pad_before, pad_before + out);
        # positions past the scatter (output_padding) get zeros, then the bias.
        full = CONV_T_FN[r](xn, torch_kernel(w["kernel"], r), None, stride=s, dilation=d)
        for axis, (out, before) in enumerate(self.out_geometry(xn.shape[2:]), start=2):
            full = full.narrow(axis, before, min(out, full.shape[axis] - before))
            short = out - full.shape[axis]
            if short > 0:
                shape = list(full.shape)
                shape[axis] = short
                full = torch.cat([full, torch.zeros(shape)], axis)
        if "bias" in w:
            full = full + w["bias"].reshape(-1, *([1] * r))
        return self.activate_torch(t_from_cf(full, cf))

    def as_gradient(self, x, w):
        """The same layer computed as TF defines it: the gradient, with respect to
        its input, of the forward convolution (kernel read as (k..., F, Cin))
        that maps the output size back to the input size."""
        cf = self.channels_first()
        spatial = x.shape[2:] if cf else x.shape[1:-1]
        out = [g[0] for g in self.out_geometry(spatial)]
        f = self.cfg["filters"]
        shape = (x.shape[0], f, *out) if cf else (x.shape[0], *out, f)
        forward = type(self).FORWARD(
            self.channels(x.shape), self.cfg["kernel_size"], strides=self.cfg["strides"],
            padding=self.cfg["padding"], data_format=self.cfg["data_format"],
            dilation_rate=self.cfg["dilation_rate"], use_bias=False)
        z = torch.zeros(shape, requires_grad=True)
        y = forward.torch(z, {"kernel": w["kernel"]})
        assert y.shape == x.shape, (y.shape, x.shape)
        (grad,) = torch.autograd.grad(y, z, grad_outputs=x)
        if "bias" in w:
            grad = grad + (w["bias"].reshape(-1, *([1] * self.RANK)) if cf else w["bias"])
        return self.activate_torch(grad)

    def numpy(self, x, w):
        cf = self.channels_first()
        k, s, d = self.geometry()
        xl = n_to_cl(x, cf)
        kernel = w["kernel"]  # (k..., F, Cin)
        geo = self.out_geometry(xl.shape[1:-1])
        out = [g[0] for g in geo]
        y = np.zeros((xl.shape[0], *out, kernel.shape[-2]))
        for ipos in itertools.product(*map(range, xl.shape[1:-1])):
            v = xl[(slice(None), *ipos)]
            for kpos in itertools.product(*map(range, k)):
                opos = tuple(i * ss + kk * dd - g[1] for i, kk, ss, dd, g in zip(ipos, kpos, s, d, geo))
                if all(0 <= o < n for o, n in zip(opos, out)):
                    y[(slice(None), *opos)] += v @ kernel[kpos].T
        if "bias" in w:
            y += w["bias"]
        return self.activate_numpy(n_from_cl(y, cf))


DEPTHWISE_SIG = (
    ("kernel_size", REQUIRED), ("strides", 1), ("padding", "valid"), ("depth_multiplier", 1),
    ("data_format", None), ("dilation_rate", 1), ("activation", None), ("use_bias", True),
)


def t_depthwise(layer, xn, dkernel):
    """Depthwise step on channels-first xn: output channel c*m + j uses K[..., c, j]."""
    r = layer.RANK
    k, s, d = layer.geometry()
    c = xn.shape[1]
    xn = F.pad(xn, torch_pad_arg(layer.input_pads(xn.shape[2:])))
    weight = dkernel.reshape(*k, -1).permute(r, *range(r)).unsqueeze(1)
    return CONV_FN[r](xn, weight, None, stride=s, dilation=d, groups=c)


def n_depthwise(layer, xl, dkernel):
    k, s, d = layer.geometry()
    spatial = xl.shape[1:-1]
    pads = layer.input_pads(spatial)
    out = [conv_out_len(n, *ksd, layer.cfg["padding"]) for n, *ksd in zip(spatial, k, s, d)]
    b, c = xl.shape[0], xl.shape[-1]
    m = dkernel.shape[-1]
    y = np.zeros((b, *out, c * m))
    for opos, kpos, ipos in window_walk(spatial, out, k, s, d, pads):
        v = xl[(slice(None), *ipos)]
        y[(slice(None), *opos)] += (v[:, :, None] * dkernel[kpos][None]).reshape(b, c * m)
    return y


class DepthwiseConv(ConvBase):
    SIG = DEPTHWISE_SIG

    def make_weights(self, in_shape, rng):
        k, _, _ = self.geometry()
        c, m = self.channels(in_shape), self.cfg["depth_multiplier"]
        w = {"depthwise_kernel": rand_normal(rng, k + (c, m), 1 / math.sqrt(math.prod(k)))}
        if self.cfg["use_bias"]:
            w["bias"] = rand_bias(rng, c * m)
        return w

    def torch(self, x, w):
        cf, r = self.channels_first(), self.RANK
        y = t_depthwise(self, t_to_cf(x, cf), w["depthwise_kernel"])
        if "bias" in w:
            y = y + w["bias"].reshape(-1, *([1] * r))
        return self.activate_torch(t_from_cf(y, cf))

    def numpy(self, x, w):
        cf = self.channels_first()
        y = n_depthwise(self, n_to_cl(x, cf), w["depthwise_kernel"])
        if "bias" in w:
            y += w["bias"]
        return self.activate_numpy(n_from_cl(y, cf))


SEPARABLE_SIG = (
    ("filters", REQUIRED), ("kernel_size", REQUIRED), ("strides", 1), ("padding", "valid"),
    ("data_format", None), ("dilation_rate", 1), ("depth_multiplier", 1), ("activation", None),
    ("use_bias", True),
)


class SeparableConv(ConvBase):
    SIG = SEPARABLE_SIG

    def make_weights(self, in_shape, rng):
        k, _, _ = self.geometry()
        c, m, f = self.channels(in_shape), self.cfg["depth_multiplier"], self.cfg["filters"]
        w = {
            "depthwise_kernel": rand_normal(rng, k + (c, m), 1 / math.sqrt(math.prod(k))),
            "pointwise_kernel": rand_normal(rng, (1,) * self.RANK + (c * m, f), 1 / math.sqrt(c * m)),
        }
        if self.cfg["use_bias"]:
            w["bias"] = rand_bias(rng, f)
        return w

    def torch(self, x, w):
        cf, r = self.channels_first(), self.RANK
        y = t_depthwise(self, t_to_cf(x, cf), w["depthwise_kernel"])
        y = CONV_FN[r](y, torch_kernel(w["pointwise_kernel"], r), w.get("bias"))
        return self.activate_torch(t_from_cf(y, cf))

    def numpy(self, x, w):
        cf = self.channels_first()
        y = n_depthwise(self, n_to_cl(x, cf), w["depthwise_kernel"])
        pw = w["pointwise_kernel"].reshape(w["pointwise_kernel"].shape[-2:])
        y = y @ pw
        if "bias" in w:
            y += w["bias"]
        return self.activate_numpy(n_from_cl(y, cf))


Conv1D, Conv2D, Conv3D = (ranked(Conv, r, f"Conv{r}D") for r in (1, 2, 3))
Conv1DTranspose, Conv2DTranspose, Conv3DTranspose = (
    ranked(ConvTranspose, r, f"Conv{r}DTranspose") for r in (1, 2, 3)
)
for _t, _f in ((Conv1DTranspose, Conv1D), (Conv2DTranspose, Conv2D), (Conv3DTranspose, Conv3D)):
    _t.FORWARD = _f
DepthwiseConv1D, DepthwiseConv2D = (ranked(DepthwiseConv, r, f"DepthwiseConv{r}D") for r in (1, 2))
SeparableConv1D, SeparableConv2D = (ranked(SeparableConv, r, f"SeparableConv{r}D") for r in (1, 2))

# ---- pooling --------------------------------------------------------------


class Pool(ConvBase):
    KIND = None

    def geometry(self):
        r = self.RANK
        k = tup(self.cfg["pool_size"], r)
        s = k if self.cfg["strides"] is None else tup(self.cfg["strides"], r)
        return k, s, (1,) * r

    def torch(self, x, w):
        cf = self.channels_first()
        k, s, _ = self.geometry()
        xn = t_to_cf(x, cf)
        pads = torch_pad_arg(self.input_pads(xn.shape[2:]))
        if self.KIND == "max":  # padding never wins
            y = MAX_POOL_FN[self.RANK](F.pad(xn, pads, value=-math.inf), k, s)
        else:  # sum over real elements / count of real elements
            avg = AVG_POOL_FN[self.RANK]
            y = avg(F.pad(xn, pads), k, s) / avg(F.pad(torch.ones_like(xn), pads), k, s)
        return t_from_cf(y, cf)

    def numpy(self, x, w):
        cf = self.channels_first()
        k, s, d = self.geometry()
        xl = n_to_cl(x, cf)
        spatial = xl.shape[1:-1]
        pads = self.input_pads(spatial)
        out = [conv_out_len(n, *ksd, self.cfg["padding"]) for n, *ksd in zip(spatial, k, s, d)]
        windows = {}
        for opos, _, ipos in window_walk(spatial, out, k, s, d, pads):
            windows.setdefault(opos, []).append(xl[(slice(None), *ipos)])
        y = np.zeros((xl.shape[0], *out, xl.shape[-1]))
        for opos, vals in windows.items():
            stack = np.stack(vals)
            y[(slice(None), *opos)] = stack.max(0) if self.KIND == "max" else stack.mean(0)
        assert len(windows) == math.prod(out)
        return n_from_cl(y, cf)


def pool_class(kind, rank):
    name = f"{'Max' if kind == 'max' else 'Average'}Pooling{rank}D"
    cls = ranked(Pool, rank, name)
    cls.KIND = kind
    default = (2,) * rank if rank > 1 else 2
    cls.SIG = (
        ("pool_size", default), ("strides", None), ("padding", "valid"),
        ("data_format", "channels_last" if rank == 1 else None),
    )
    return cls


MaxPooling1D, MaxPooling2D, MaxPooling3D = (pool_class("max", r) for r in (1, 2, 3))
AveragePooling1D, AveragePooling2D, AveragePooling3D = (pool_class("avg", r) for r in (1, 2, 3))


class GlobalPool(Layer):
    KIND = None

    def axes(self, ndim):
        return tuple(range(2, ndim)) if self.channels_first() else tuple(range(1, ndim - 1))

    def torch(self, x, w):
        axes, keep = self.axes(x.dim()), self.cfg["keepdims"]
        if self.KIND == "max":
            return x.amax(dim=axes, keepdim=keep)
        return x.mean(dim=axes, keepdim=keep)

    def numpy(self, x, w):
        axes, keep = self.axes(x.ndim), self.cfg["keepdims"]
        if self.KIND == "max":
            return x.max(axis=axes, keepdims=keep)
        return x.sum(axis=axes, keepdims=keep) / math.prod(x.shape[a] for a in axes)


def global_pool_class(kind, rank):
    name = f"Global{'Max' if kind == 'max' else 'Average'}Pooling{rank}D"
    cls = ranked(GlobalPool, rank, name)
    cls.KIND = kind
    cls.SIG = (("data_format", "channels_last" if rank == 1 else None), ("keepdims", False))
    return cls


GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D = (
    global_pool_class("max", r) for r in (1, 2, 3)
)
GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D = (
    global_pool_class("avg", r) for r in (1, 2, 3)
)

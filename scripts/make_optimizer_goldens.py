#!/usr/bin/python3
"""Reference data for stride's optimizers (tests/golden/optimizers/).

Every case CASE.npz holds
  optimizer                 the name passed to make_optimizer (uint8 ASCII),
  options/<field>           float64 scalars for the OptimizerOptions fields the
                            case sets (booleans as 0/1); unset fields keep
                            stride's defaults (= Keras's),
  schedule/kind             (uint8 ASCII) and schedule/<field> when the case
                            uses a learning-rate schedule,
  <var>/initial             float32 starting value of each variable
                            (<var> = var0, var1, ...),
  <var>/gradients           float32 (steps, *shape): the gradient of each step,
  <var>/expected            float32 (steps, *shape): the value after each step.

Where torch.optim has Keras 3's semantics the expected values come from
torch: SGD without momentum (also with a per-step learning rate), SGD with
momentum and with Nesterov momentum (torch keeps v = momentum*v + g and steps
by -lr*v; Keras keeps m = momentum*m - lr*g = -lr*v, the same for a constant
learning rate). Where torch differs, the Keras formula is written out below in
float32 NumPy, in Keras's order of operations (keras/src/optimizers/*.py):
  Adam/AdamW  torch adds eps to sqrt(v)/sqrt(1-beta_2^t) (bias-corrected),
              Keras to sqrt(v) with the correction folded into alpha;
  RMSprop     torch adds eps outside the sqrt, Keras inside;
  Adagrad     torch adds eps outside the sqrt, Keras inside;
  clipping    Keras's clipnorm / global_clipnorm / clipvalue (torch's
              clip_grad_norm_ adds 1e-6 to the norm);
  schedules   with momentum the equivalence above breaks when lr changes.
The script checks itself before writing: every NumPy formula is compared with
torch, which must agree within 2e-6 (relative to max(|w|, 1)) where the semantics coincide
(SGD cases) and where only eps placement differs once eps is made negligible
(1e-12: Adam, AdamW, AMSGrad, RMSprop plain/centered/momentum, Adagrad), and
must disagree with default eps on small gradients (so the eps placement is
real and the check is not vacuous).

Deterministic: each case draws from an RNG seeded by a CRC of its name, and
np.savez writes fixed zip timestamps, so a rerun reproduces the files.

Usage: /usr/bin/python3 scripts/make_optimizer_goldens.py
"""
import math
import pathlib
import sys
import zlib

import numpy as np
import torch

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tests" / "golden" / "optimizers"
F = np.float32
STEPS = 6
SHAPES = [(3, 4), (5,)]


# --------------------------------------------------------------------------
# Keras 3 formulas in float32 NumPy. Python-float hyperparameters become
# float32 where Keras's ops cast them; (1 - beta) is formed in double first,
# as Keras writes it with Python floats.

def schedule_lr(schedule, step):
    """keras.optimizers.schedules at `step` (the iteration count before the update)."""
    if schedule is None:
        return None
    kind = schedule["kind"]
    if kind == "exponential_decay":
        p = step / schedule["decay_steps"]
        if schedule.get("staircase", False):
            p = math.floor(p)
        return schedule["initial"] * schedule["decay_rate"] ** p
    if kind == "cosine_decay":
        fraction = min(step, schedule["decay_steps"]) / schedule["decay_steps"]
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        alpha = schedule.get("alpha", 0.0)
        return schedule["initial"] * ((1 - alpha) * cosine + alpha)
    raise ValueError(kind)


def keras_clip(grads, opts):
    """base_optimizer._clip_gradients (at most one option is set)."""
    if opts.get("clipnorm", 0) > 0:
        clip = F(opts["clipnorm"])
        out = []
        for g in grads:
            l2sum = np.sum(np.square(g), dtype=np.float64).astype(F)
            norm = np.sqrt(l2sum) if l2sum > 0 else l2sum
            out.append((g * clip) / np.maximum(norm, clip))
        return out
    if opts.get("global_clipnorm", 0) > 0:
        clip = F(opts["global_clipnorm"])
        total = F(sum(np.sum(np.square(g), dtype=np.float64) for g in grads))
        norm = np.sqrt(total)
        scale = clip * np.minimum(F(1) / norm, F(1) / clip) + (norm - norm)
        return [g * scale for g in grads]
    if opts.get("clipvalue", 0) > 0:
        clip = F(opts["clipvalue"])
        return [np.clip(g, -clip, clip) for g in grads]
    return grads


class KerasNumpy:
    """One Keras 3 optimizer over a list of float32 variables."""

    DEFAULT_LR = {"sgd": 0.01, "adam": 0.001, "adamw": 0.001, "rmsprop": 0.001, "adagrad": 0.001}

    def __init__(self, name, opts, schedule, shapes):
        self.name, self.o, self.schedule = name, dict(opts), schedule
        self.o.setdefault("learning_rate", self.DEFAULT_LR[name])
        self.wd = self.o.get("weight_decay", 0.004 if name == "adamw" else None)
        self.iterations = 0
        init = self.o.get("initial_accumulator_value", 0.1) if name == "adagrad" else 0.0
        self.slots = [{k: np.full(s, init, F) for k in ("m", "v", "vhat", "avg", "acc")}
                      for s in shapes]

    def lr(self):
        scheduled = schedule_lr(self.schedule, self.iterations)
        return F(self.o["learning_rate"] if scheduled is None else scheduled)

    def step(self, ws, grads):
        grads = keras_clip([g.copy() for g in grads], self.o)
        lr = self.lr()
        for w, g, s in zip(ws, grads, self.slots):
            if self.wd is not None:
                w[...] = w - w * F(self.wd) * lr
            getattr(self, "_" + self.name)(w, g, s, lr)
        self.iterations += 1

    def _sgd(self, w, g, s, lr):
        momentum = self.o.get("momentum", 0.0)
        if momentum == 0:
            w[...] = w - g * lr
            return
        mom, m = F(momentum), s["m"]
        m[...] = m * mom - g * lr
        if self.o.get("nesterov", False):
            w[...] = w + (m * mom - g * lr)
        else:
            w[...] = w + m

    def _adam(self, w, g, s, lr):
        b1, b2 = self.o.get("beta_1", 0.9), self.o.get("beta_2", 0.999)
        eps = F(self.o.get("epsilon", 1e-7))
        t = F(self.iterations + 1)
        b1p, b2p = F(b1) ** t, F(b2) ** t
        alpha = lr * np.sqrt(F(1) - b2p) / (F(1) - b1p)
        m, v = s["m"], s["v"]
        m[...] = m + (g - m) * F(1 - b1)
        v[...] = v + (np.square(g) - v) * F(1 - b2)
        if self.o.get("amsgrad", False):
            s["vhat"][...] = np.maximum(s["vhat"], v)
            v = s["vhat"]
        w[...] = w - (m * alpha) / (np.sqrt(v) + eps)

    _adamw = _adam

    def _rmsprop(self, w, g, s, lr):
        rho = self.o.get("rho", 0.9)
        eps, momentum = F(self.o.get("epsilon", 1e-7)), self.o.get("momentum", 0.0)
        vel = s["v"]
        vel[...] = F(rho) * vel + F(1 - rho) * np.square(g)
        if self.o.get("centered", False):
            avg = s["avg"]
            avg[...] = F(rho) * avg + F(1 - rho) * g
            denominator = vel - np.square(avg) + eps
        else:
            denominator = vel + eps
        increment = (lr * g) / np.sqrt(denominator)
        if momentum > 0:
            s["m"][...] = F(momentum) * s["m"] + increment
            w[...] = w - s["m"]
        else:
            w[...] = w - increment

    def _adagrad(self, w, g, s, lr):
        acc = s["acc"]
        acc[...] = acc + np.square(g)
        w[...] = w - (lr * g) / np.sqrt(acc + F(self.o.get("epsilon", 1e-7)))


def run_numpy(name, opts, schedule, initial, grads):
    opt = KerasNumpy(name, opts, schedule, [w.shape for w in initial])
    ws = [w.copy() for w in initial]
    history = [[] for _ in ws]
    for step_grads in grads:
        opt.step(ws, step_grads)
        for h, w in zip(history, ws):
            h.append(w.copy())
    return [np.stack(h) for h in history]


# --------------------------------------------------------------------------
# torch.optim, with Keras's hyperparameters mapped onto torch's.

def torch_optimizer(name, opts, params):
    lr = opts.get("learning_rate", KerasNumpy.DEFAULT_LR[name])
    eps = opts.get("epsilon", 1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=opts.get("momentum", 0.0),
                               nesterov=opts.get("nesterov", False))
    if name in ("adam", "adamw"):
        betas = (opts.get("beta_1", 0.9), opts.get("beta_2", 0.999))
        if name == "adam":
            return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps,
                                    amsgrad=opts.get("amsgrad", False))
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps,
                                 weight_decay=opts.get("weight_decay", 0.004),
                                 amsgrad=opts.get("amsgrad", False))
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=opts.get("rho", 0.9), eps=eps,
                                   momentum=opts.get("momentum", 0.0),
                                   centered=opts.get("centered", False))
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=eps,
                                   initial_accumulator_value=opts.get(
                                       "initial_accumulator_value", 0.1))
    raise ValueError(name)


def run_torch(name, opts, schedule, initial, grads):
    params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in initial]
    opt = torch_optimizer(name, opts, params)
    history = [[] for _ in params]
    for step, step_grads in enumerate(grads):
        lr = schedule_lr(schedule, step)
        if lr is not None:
            for group in opt.param_groups:
                group["lr"] = lr
        for p, g in zip(params, step_grads):
            p.grad = torch.from_numpy(g.copy())
        opt.step()
        for h, p in zip(history, params):
            h.append(p.detach().numpy().copy())
    return [np.stack(h) for h in history]


# --------------------------------------------------------------------------
# Cases: (name, optimizer, options, schedule, source, gradient scale)

CASES = [
    ("sgd", "sgd", {"learning_rate": 0.05}, None, "torch", 1.0),
    ("sgd_default_lr", "sgd", {}, None, "torch", 1.0),
    ("sgd_momentum", "sgd", {"learning_rate": 0.02, "momentum": 0.9}, None, "torch", 1.0),
    ("sgd_nesterov", "sgd", {"learning_rate": 0.02, "momentum": 0.8, "nesterov": True}, None,
     "torch", 1.0),
    ("sgd_cosine_decay", "sgd", {}, {"kind": "cosine_decay", "initial": 0.1, "decay_steps": 4,
                                     "alpha": 0.1}, "torch", 1.0),
    ("sgd_momentum_exponential_decay", "sgd", {"momentum": 0.9},
     {"kind": "exponential_decay", "initial": 0.05, "decay_steps": 2, "decay_rate": 0.5,
      "staircase": True}, "numpy", 1.0),
    ("sgd_global_clipnorm", "sgd", {"learning_rate": 0.1, "global_clipnorm": 1.5}, None, "numpy",
     1.0),
    ("adam", "adam", {}, None, "numpy", 1.0),
    ("adam_small_gradients", "adam", {"learning_rate": 0.01}, None, "numpy", 1e-4),
    ("adam_amsgrad", "adam", {"learning_rate": 0.01, "amsgrad": True, "beta_1": 0.8,
                              "beta_2": 0.99}, None, "numpy", 1.0),
    ("adam_clipnorm", "adam", {"learning_rate": 0.01, "clipnorm": 0.5}, None, "numpy", 1.0),
    ("adamw", "adamw", {"learning_rate": 0.01}, None, "numpy", 1.0),
    ("adamw_weight_decay", "adamw", {"learning_rate": 0.02, "weight_decay": 0.1}, None, "numpy",
     1.0),
    ("rmsprop", "rmsprop", {}, None, "numpy", 1.0),
    ("rmsprop_centered_momentum", "rmsprop", {"learning_rate": 0.01, "momentum": 0.5,
                                              "centered": True, "rho": 0.8}, None, "numpy", 1.0),
    ("rmsprop_clipvalue", "rmsprop", {"learning_rate": 0.01, "clipvalue": 0.3}, None, "numpy",
     1.0),
    ("adagrad", "adagrad", {}, None, "numpy", 1.0),
    ("adagrad_accumulator", "adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5,
                                        "epsilon": 1e-5}, None, "numpy", 1.0),
    ("adam_exponential_decay", "adam", {}, {"kind": "exponential_decay", "initial": 0.01,
                                           "decay_steps": 3, "decay_rate": 0.7}, "numpy", 1.0),
]


def case_data(name, scale):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    initial = [rng.standard_normal(s).astype(F) for s in SHAPES]
    grads = [[(rng.standard_normal(s) * scale).astype(F) for s in SHAPES] for _ in range(STEPS)]
    return initial, grads


def max_rel(a_list, b_list):
    """Largest |a - b| relative to max(|b|, 1): the variables are O(1), and
    float32 rounding near zero is absolute, not relative."""
    return max(float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))
               for a, b in zip(a_list, b_list))


def self_check(name, opt, opts, schedule, source, initial, grads):
    """NumPy-Keras against torch where they should agree (see the docstring)."""
    clipped = any(k in opts for k in ("clipnorm", "clipvalue", "global_clipnorm"))
    momentum_schedule = schedule is not None and opts.get("momentum", 0) > 0
    if clipped or momentum_schedule:
        return  # torch has no equivalent; the formula is Keras's own
    if opt == "sgd":
        diff = max_rel(run_numpy(opt, opts, schedule, initial, grads),
                       run_torch(opt, opts, schedule, initial, grads))
        assert diff < 2e-6, (name, diff)
        return
    tiny = dict(opts, epsilon=1e-12)
    diff = max_rel(run_numpy(opt, tiny, schedule, initial, grads),
                   run_torch(opt, tiny, schedule, initial, grads))
    assert diff < 2e-6, (name, "differs from torch beyond eps placement", diff)


def check_eps_placement_matters():
    """With a large eps and small gradients Keras and torch do differ: the
    distance travelled differs by more than 1%."""
    initial, grads = case_data("eps", 1e-3)
    for opt in ("adam", "rmsprop", "adagrad"):
        opts = {"learning_rate": 0.01, "epsilon": 1e-3, "initial_accumulator_value": 1e-4}
        moved = [[h - w for h, w in zip(run(opt, opts, None, initial, grads), initial)]
                 for run in (run_numpy, run_torch)]
        diff = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(*moved))
        assert diff > 1e-2, (opt, "eps placement made no difference", diff)


def hand_checks():
    """A few values worked by hand (the C++ tests repeat them)."""
    # Adam, one step, g = 0.5, w = 1, lr 0.001: m = 0.05, v = 0.00025,
    # alpha = 0.001 * sqrt(0.001) / 0.1, update = alpha * m / (sqrt(v) + 1e-7) ~ 0.001.
    w = [np.array([1.0], F)]
    out = run_numpy("adam", {}, None, w, [[np.array([0.5], F)]])
    expected = 1.0 - 0.001 * math.sqrt(0.001) / 0.1 * 0.05 / (math.sqrt(0.00025) + 1e-7)
    assert abs(out[0][0, 0] - expected) < 1e-7, out
    # Adagrad, one step, g = 1, lr 0.001: acc = 1.1, w = 1 - 0.001 / sqrt(1.1 + 1e-7).
    out = run_numpy("adagrad", {}, None, w, [[np.array([1.0], F)]])
    assert abs(out[0][0, 0] - (1 - 0.001 / math.sqrt(1.1 + 1e-7))) < 1e-7, out


def text(s):
    return np.frombuffer(s.encode(), dtype=np.uint8).copy()


def main():
    torch.set_num_threads(1)
    hand_checks()
    check_eps_placement_matters()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    written = set()
    for name, opt, opts, schedule, source, scale in CASES:
        initial, grads = case_data(name, scale)
        self_check(name, opt, opts, schedule, source, initial, grads)
        run = run_torch if source == "torch" else run_numpy
        expected = run(opt, opts, schedule, initial, grads)
        arrays = {"optimizer": text(opt)}
        for key, value in opts.items():
            arrays[f"options/{key}"] = np.array(float(value), np.float64)
        if schedule:
            arrays["schedule/kind"] = text(schedule["kind"])
            for key, value in schedule.items():
                if key != "kind":
                    arrays[f"schedule/{key}"] = np.array(float(value), np.float64)
        for i, w in enumerate(initial):
            arrays[f"var{i}/initial"] = w
            arrays[f"var{i}/gradients"] = np.stack([g[i] for g in grads])
            arrays[f"var{i}/expected"] = expected[i].astype(F)
        path = OUT_DIR / f"{name}.npz"
        np.savez(path, **arrays)
        written.add(path.name)
        print(f"{name}: {opt} from {source}")
    for stale in OUT_DIR.glob("*.npz"):
        if stale.name not in written:
            stale.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())

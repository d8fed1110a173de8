"""Keras layer semantics in float64 PyTorch (reference outputs for stride).

Every layer has a torch forward (the reference) and a NumPy forward written
straight from the formulas of /work/shared/reference/keras-semantics.md (the
cross-check); scripts/make_forward_goldens.py runs both.
"""
from .common import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403

"""Argument checks and the one-thread context shared by the policy-optimisation modules."""

from __future__ import annotations

import numpy as np

from .._validation import finite, integer, real
from ..notebook import torch_threads


def _int(x, name: str, *, minimum: int = 1) -> int:
    return integer(x, name, minimum=minimum)


_real = real


def _as_numpy(x, name: str) -> np.ndarray:
    try:
        import torch

        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().double().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency of this module's users
        pass
    return finite(x, name)


def _one_thread():
    """Small networks: one torch thread is faster and makes the float sums repeatable."""
    return torch_threads(1)

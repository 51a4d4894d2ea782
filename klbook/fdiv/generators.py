r"""The named f-divergence generators: :func:`f_generator`, :data:`F_GENERATORS`, :class:`FGenerator`.

Each generator carries its limits, derivative (the optimal critic), convex conjugate and f-GAN
output activation, written once for numpy arrays and torch tensors alike."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special

from .._validation import as_float_array, check_tensor, is_tensor as _is_tensor

__all__ = ["F_GENERATORS", "FGenerator", "f_generator"]


LOG2 = math.log(2.0)


# --- array back end: the same formula for numpy arrays and torch tensors ----------------------


class _Ops:
    """The handful of elementwise functions the conjugates and activations need."""

    def __init__(self, x):
        self.torch = _is_tensor(x)
        if self.torch:
            import torch
            import torch.nn.functional as F

            self.exp, self.log, self.tanh = torch.exp, torch.log, torch.tanh
            self.softplus = F.softplus
            self.where = torch.where
            self.full_like = torch.full_like
            self.abs = torch.abs
        else:
            self.exp, self.log, self.tanh = np.exp, np.log, np.tanh
            self.softplus = lambda v: np.logaddexp(0.0, v)
            self.where = np.where
            self.full_like = np.full_like
            self.abs = np.abs


def _asarray(x, name: str = "x"):
    """``x`` as a float64 array, or the tensor itself; real numbers only, no NaN (inf is allowed:
    a critic value outside the domain of f* makes the conjugate inf)."""
    if _is_tensor(x):
        return check_tensor(x, name, allow_inf=True, allow_empty=True)
    arr = as_float_array(x, name)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    return arr


# --- the named generators ---------------------------------------------------------------------


@dataclass(frozen=True)
class FGenerator:
    r"""A named f-divergence generator and everything an f-GAN needs from it.

    Attributes
    ----------
    name : str
        The key in :data:`F_GENERATORS`.
    formula : str
        :math:`f(t)` in LaTeX.
    f : callable
        The generator on :math:`t \ge 0` (numpy, vectorised); ``f(1) == 0``.
    f_at_zero : float
        :math:`\lim_{t\to0^+} f(t)`: the cost per unit of :math:`Q`-mass where
        :math:`P = 0` (``inf`` for reverse KL).
    slope_at_infinity : float
        :math:`\lim_{t\to\infty} f(t)/t`: the cost per unit of :math:`P`-mass where
        :math:`Q = 0` (``inf`` for KL and Pearson).
    derivative : callable
        :math:`f'(t)`: the optimal critic is :math:`T^*(x) = f'(P(x)/Q(x))`. Where :math:`f`
        has a kink (total variation at :math:`t = 1`) any subgradient is optimal; ``tv``
        returns :math:`\tfrac12\operatorname{sign}(t-1)`, i.e. 0 at the kink.
    conj : callable
        The convex conjugate :math:`f^*(u) = \sup_{t \ge 0}\{ut - f(t)\}` (numpy or torch),
        ``inf`` outside its domain. The supremum runs over :math:`t \ge 0` only (a density
        ratio is never negative), which matters where the unconstrained maximiser would be
        negative: Pearson :math:`f^*(u) = u + u^2/4` for :math:`u \ge -2` and :math:`-1`
        below; total variation :math:`f^*(u) = \max(u, -\tfrac12)` for :math:`u \le \tfrac12`.
        :math:`f = f^{**}` because every named :math:`f` is convex and closed (lower
        semicontinuous, with :math:`f(0)` its limit at :math:`0^+`).
    act : callable
        The f-GAN output activation :math:`g_f:\mathbb R \to \operatorname{dom} f^*`.
    conj_act : callable
        :math:`f^*(g_f(v))` in a closed form that does not overflow (e.g. ``v - 1``
        for reverse KL, where the composition would take ``log(exp(-v))``).
    perspective : callable or None
        :math:`(p, q) \mapsto q f(p/q)` in a form that does not overflow where
        :math:`f(p/q)` does (Pearson: :math:`(p-q)^2/q`); ``None`` where ``q * f(p/q)``
        cannot overflow before the term itself does.
    """

    name: str
    formula: str
    f: Callable
    f_at_zero: float
    slope_at_infinity: float
    derivative: Callable
    conj: Callable
    act: Callable
    conj_act: Callable
    perspective: Callable | None = None

    def __call__(self, t):
        return self.f(t)

    def conjugate(self, u):
        r"""The convex conjugate :math:`f^*(u) = \sup_{t\ge 0}\{ut - f(t)\}` (numpy or torch).

        Examples
        --------
        >>> g = f_generator("pearson")
        >>> [float(x) for x in g.conjugate(np.array([-3.0, -2.0, 0.0, 2.0]))]  # -1 below u = -2
        [-1.0, -1.0, 0.0, 3.0]
        >>> [float(x) for x in f_generator("tv").conjugate(np.array([-2.0, 0.25, 1.0]))]
        [-0.5, 0.25, inf]
        """
        with np.errstate(over="ignore"):  # f*(u) beyond the float range is inf
            return self.conj(_asarray(u, "u"))

    def activation(self, v):
        r"""Map raw critic outputs :math:`v\in\mathbb R` into the domain of :math:`f^*`."""
        with np.errstate(over="ignore", under="ignore"):
            return self.act(_asarray(v, "v"))

    def conjugate_of_activation(self, v):
        r""":math:`f^*(g_f(v))` for raw critic outputs ``v``, computed stably (numpy or torch)."""
        with np.errstate(over="ignore", under="ignore"):
            return self.conj_act(_asarray(v, "v"))

    def __repr__(self) -> str:
        return f"FGenerator({self.name!r}: f(t) = {self.formula})"


def _kl_f(t):
    return special.xlogy(t, t)


def _js_f(t):
    t = np.asarray(t, dtype=np.float64)
    return 0.5 * (special.xlogy(t, t) - special.xlogy(t + 1.0, (t + 1.0) / 2.0))


def _conj_kl(u):
    return _Ops(u).exp(u - 1.0)


def _conj_reverse_kl(u):
    o = _Ops(u)
    safe = o.where(u < 0, u, o.full_like(u, -1.0))
    return o.where(u < 0, -1.0 - o.log(-safe), o.full_like(u, math.inf))


def _conj_js(u):
    # f*(u) = -1/2 log(2 - exp(2u)) on u < log(2)/2
    o = _Ops(u)
    ok = u < 0.5 * LOG2
    safe = o.where(ok, u, o.full_like(u, 0.0))
    return o.where(ok, -0.5 * o.log(2.0 - o.exp(2.0 * safe)), o.full_like(u, math.inf))


def _conj_pearson(u):
    # sup_{t>=0} {ut - (t-1)^2}: the maximiser t = 1 + u/2 is feasible for u >= -2; below, t = 0
    o = _Ops(u)
    return o.where(u >= -2.0, 0.25 * u * u + u, o.full_like(u, -1.0))


def _conj_hellinger(u):
    o = _Ops(u)
    ok = u < 1.0
    safe = o.where(ok, u, o.full_like(u, 0.0))
    return o.where(ok, safe / (1.0 - safe), o.full_like(u, math.inf))


def _conj_tv(u):
    # sup_{t>=0} {ut - |t-1|/2} = max(u, -1/2) for u <= 1/2 (t = 1, or t = 0 when u < -1/2); inf above
    o = _Ops(u)
    return o.where(u <= 0.5, o.where(u >= -0.5, u, o.full_like(u, -0.5)), o.full_like(u, math.inf))


def _act_reverse_kl(v):
    return -_Ops(v).exp(-v)


def _act_js(v):
    # 1/2 (log 2 - softplus(-v)) < log(2)/2
    return 0.5 * (LOG2 - _Ops(v).softplus(-v))


def _act_hellinger(v):
    return 1.0 - _Ops(v).exp(-v)


def _act_tv(v):
    return 0.5 * _Ops(v).tanh(v)


def _identity(v):
    return v


def _ca_kl(v):  # exp(v - 1)
    return _Ops(v).exp(v - 1.0)


def _ca_reverse_kl(v):  # -1 - log(exp(-v))
    return v - 1.0


def _ca_js(v):  # -1/2 log(2 - 2 sigmoid(v)) = (softplus(v) - log 2) / 2
    return 0.5 * (_Ops(v).softplus(v) - LOG2)


def _ca_pearson(v):  # the identity activation: f*(v) itself
    return _conj_pearson(v)


def _ca_hellinger(v):  # (1 - e^-v) / e^-v
    return _Ops(v).exp(v) - 1.0


def _ca_tv(v):
    return 0.5 * _Ops(v).tanh(v)


def _with_errstate(fn):
    def wrapped(t):
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(np.asarray(t, dtype=np.float64))

    return wrapped


_GENERATORS = {
    "kl": FGenerator(
        "kl", r"t\log t", _kl_f, 0.0, math.inf,
        _with_errstate(lambda t: 1.0 + np.log(t)), _conj_kl, _identity, _ca_kl,
    ),
    "reverse_kl": FGenerator(
        "reverse_kl", r"-\log t", _with_errstate(lambda t: -np.log(t)), math.inf, 0.0,
        _with_errstate(lambda t: -1.0 / t), _conj_reverse_kl, _act_reverse_kl, _ca_reverse_kl,
    ),
    "js": FGenerator(
        "js", r"\tfrac12\left[t\log t - (t+1)\log\tfrac{t+1}{2}\right]", _js_f, 0.5 * LOG2, 0.5 * LOG2,
        _with_errstate(lambda t: 0.5 * np.log(2.0 * t / (1.0 + t))), _conj_js, _act_js, _ca_js,
    ),
    "pearson": FGenerator(
        "pearson", r"(t-1)^2", lambda t: (np.asarray(t, dtype=np.float64) - 1.0) ** 2, 1.0, math.inf,
        lambda t: 2.0 * (np.asarray(t, dtype=np.float64) - 1.0), _conj_pearson, _identity, _ca_pearson,
        lambda p, q: (p - q) ** 2 / q,
    ),
    "hellinger": FGenerator(
        "hellinger", r"(\sqrt t-1)^2", lambda t: (np.sqrt(np.asarray(t, dtype=np.float64)) - 1.0) ** 2,
        1.0, 1.0, _with_errstate(lambda t: 1.0 - 1.0 / np.sqrt(t)), _conj_hellinger, _act_hellinger, _ca_hellinger,
    ),
    "tv": FGenerator(
        "tv", r"\tfrac12|t-1|", lambda t: 0.5 * np.abs(np.asarray(t, dtype=np.float64) - 1.0), 0.5, 0.5,
        lambda t: 0.5 * np.sign(np.asarray(t, dtype=np.float64) - 1.0), _conj_tv, _act_tv, _ca_tv,
    ),
}

#: Names of the built-in generators, in the order the chapter tabulates them.
F_GENERATORS = tuple(_GENERATORS)


def f_generator(name: str) -> FGenerator:
    r"""The named generator: ``"kl"``, ``"reverse_kl"``, ``"js"``, ``"pearson"``, ``"hellinger"``, ``"tv"``.

    ===============  =====================================================  ============================
    name             :math:`f(t)`                                           :math:`D_f(P\|Q)`
    ===============  =====================================================  ============================
    ``kl``           :math:`t\log t`                                        :math:`D_{KL}(P\|Q)`
    ``reverse_kl``   :math:`-\log t`                                        :math:`D_{KL}(Q\|P)`
    ``js``           :math:`\frac12[t\log t-(t+1)\log\frac{t+1}2]`          :math:`JS(P\|Q)\le\log 2`
    ``pearson``      :math:`(t-1)^2`                                        :math:`\sum (P-Q)^2/Q`
    ``hellinger``    :math:`(\sqrt t-1)^2`                                  :math:`\sum(\sqrt P-\sqrt Q)^2\le 2`
    ``tv``           :math:`\frac12|t-1|`                                   :math:`\frac12\sum|P-Q|\le 1`
    ===============  =====================================================  ============================

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not one of :data:`F_GENERATORS`.

    Examples
    --------
    >>> g = f_generator("js")
    >>> round(g.f_at_zero, 4), round(g.slope_at_infinity, 4)  # both log(2)/2
    (0.3466, 0.3466)
    >>> float(f_generator("kl").conjugate(1.0))  # exp(u - 1)
    1.0
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    try:
        return _GENERATORS[name.lower()]
    except KeyError:
        raise ValueError(f"name: unknown f-divergence {name!r}; choose one of {', '.join(F_GENERATORS)}") from None

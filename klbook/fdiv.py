r"""The f-divergence family, its variational (Fenchel-dual) form, and small f-GANs.

For a convex generator :math:`f:(0,\infty)\to\mathbb R` with :math:`f(1)=0`,

.. math::

    D_f(P\|Q) = \sum_x Q(x)\, f\!\left(\frac{P(x)}{Q(x)}\right) \ge 0 ,

with the conventions :math:`0\cdot f(0/0) = 0`, :math:`Q(x)\,f(0) = Q(x)\lim_{t\to0^+}f(t)`
where :math:`P(x)=0`, and :math:`0\cdot f(P(x)/0) = P(x)\lim_{t\to\infty} f(t)/t` where
:math:`Q(x)=0`. The last limit decides what mismatched supports cost: it is infinite
for KL and Pearson :math:`\chi^2` and finite for Jensen--Shannon, total variation and
squared Hellinger.

The variational form (Nguyen, Wainwright & Jordan 2010; Nowozin, Cseke & Tomioka 2016)

.. math::

    D_f(P\|Q) \;\ge\; \mathbb E_P[T(x)] - \mathbb E_Q[f^*(T(x))] ,\qquad
    f^*(u) = \sup_t\, \{ut - f(t)\},

holds for every critic :math:`T` and is tight at :math:`T^*(x) = f'(P(x)/Q(x))`. It is
what an f-GAN's critic maximises and its generator minimises.

Contents
--------
* :data:`F_GENERATORS` and :func:`f_generator` -- the named generators ``"kl"``,
  ``"reverse_kl"``, ``"js"``, ``"pearson"``, ``"hellinger"``, ``"tv"`` with their
  limits, derivatives (optimal critics), conjugates and f-GAN output activations;
* :func:`f_divergence` -- :math:`D_f` of discrete distributions, named or any convex ``f``;
* :func:`variational_bound` -- the Fenchel lower bound for given critic values;
* :func:`fgan_objective` -- the same bound from raw critic outputs, as an f-GAN trains on it;
* :func:`fit_log_ratio` -- a logistic-regression classifier as a density-ratio estimator
  (:func:`klbook.classifier_kl_divergence` is the cross-fitted KL estimate built the same way);
* :func:`ring_of_gaussians`, :func:`mode_coverage`, :func:`train_fgan` -- the
  8-Gaussians benchmark and a batched, device-agnostic f-GAN trainer (torch).

Everything is in nats. torch is imported only by the f-GAN functions (and by
:meth:`FGenerator.conjugate` / :meth:`FGenerator.activation` when they are given tensors).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import optimize, special

from ._validation import as_float_array, check_finite, pair_of_distributions

__all__ = [
    "F_GENERATORS",
    "FGenerator",
    "f_generator",
    "f_divergence",
    "variational_bound",
    "fgan_objective",
    "LogRatio",
    "fit_log_ratio",
    "ring_of_gaussians",
    "mode_coverage",
    "FGANResult",
    "train_fgan",
]

LOG2 = math.log(2.0)


# --- array back end: the same formula for numpy arrays and torch tensors ----------------------


def _is_tensor(x) -> bool:
    return type(x).__module__.startswith("torch")


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


def _asarray(x):
    return x if _is_tensor(x) else np.asarray(x, dtype=np.float64)


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
        :math:`f'(t)`: the optimal critic is :math:`T^*(x) = f'(P(x)/Q(x))`.
    conj : callable
        The convex conjugate :math:`f^*(u)` (numpy or torch), ``inf`` outside its domain.
    act : callable
        The f-GAN output activation :math:`g_f:\mathbb R \to \operatorname{dom} f^*`.
    conj_act : callable
        :math:`f^*(g_f(v))` in a closed form that does not overflow (e.g. ``v - 1``
        for reverse KL, where the composition would take ``log(exp(-v))``).
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

    def __call__(self, t):
        return self.f(t)

    def conjugate(self, u):
        r"""The convex conjugate :math:`f^*(u) = \sup_{t>0}\{ut - f(t)\}` (numpy or torch)."""
        return self.conj(_asarray(u))

    def activation(self, v):
        r"""Map raw critic outputs :math:`v\in\mathbb R` into the domain of :math:`f^*`."""
        return self.act(_asarray(v))

    def conjugate_of_activation(self, v):
        r""":math:`f^*(g_f(v))` for raw critic outputs ``v``, computed stably (numpy or torch)."""
        return self.conj_act(_asarray(v))

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
    return 0.25 * u * u + u


def _conj_hellinger(u):
    o = _Ops(u)
    ok = u < 1.0
    safe = o.where(ok, u, o.full_like(u, 0.0))
    return o.where(ok, safe / (1.0 - safe), o.full_like(u, math.inf))


def _conj_tv(u):
    o = _Ops(u)
    return o.where(o.abs(u) <= 0.5, u, o.full_like(u, math.inf))


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


def _ca_pearson(v):
    return 0.25 * v * v + v


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
        raise ValueError(f"unknown f-divergence {name!r}; choose one of {', '.join(F_GENERATORS)}") from None


# --- a user-supplied generator ----------------------------------------------------------------


def _call_f(f, t: np.ndarray) -> np.ndarray:
    """Evaluate a user's ``f`` elementwise, whether or not it is vectorised."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        try:
            out = np.asarray(f(t), dtype=np.float64)
            if out.shape == t.shape:
                return out
        except (TypeError, ValueError):
            pass
        return np.array([float(f(float(x))) for x in t.ravel()], dtype=np.float64).reshape(t.shape)


#: Ratios at which a user-supplied ``f`` is spot-checked for convexity.
_CHECK_GRID = np.geomspace(1e-3, 1e3, 41)


def _check_user_f(f, ratios: np.ndarray) -> None:
    """``f(1) == 0``, finite on (0, inf) and midpoint-convex on a grid (plus the data's ratios)."""
    f1 = float(_call_f(f, np.array([1.0]))[0])
    if not np.isfinite(f1) or abs(f1) > 1e-9:
        raise ValueError(f"f must satisfy f(1) = 0 for an f-divergence, got f(1) = {f1:.6g}")
    t = np.unique(np.concatenate([_CHECK_GRID, ratios[np.isfinite(ratios) & (ratios > 0)]]))
    ft = _call_f(f, t)
    if not np.all(np.isfinite(ft)):
        bad = t[~np.isfinite(ft)][0]
        raise ValueError(f"f must be finite on (0, inf), got f({bad:.3g}) = {ft[~np.isfinite(ft)][0]}")
    # midpoint convexity on neighbouring pairs and on pairs two apart
    for step in (1, 2):
        a, b = t[:-step], t[step:]
        mid = _call_f(f, 0.5 * (a + b))
        chord = 0.5 * (ft[:-step] + ft[step:])
        tol = 1e-9 * (1.0 + np.abs(chord))
        if np.any(mid > chord + tol):
            i = int(np.argmax(mid - chord))
            raise ValueError(
                f"f is not convex: f({0.5 * (a[i] + b[i]):.3g}) = {mid[i]:.6g} lies above the chord "
                f"(f({a[i]:.3g}) + f({b[i]:.3g}))/2 = {chord[i]:.6g}"
            )


def _slope_at_infinity(f) -> float:
    r"""Estimate :math:`\lim_{t\to\infty} f(t)/t` for a convex ``f`` with ``f(1) = 0``.

    For convex ``f`` the secant slope :math:`s(t) = f(t)/(t-1)` is non-decreasing, so the
    limit exists in :math:`(-\infty, \infty]`. It is taken as infinite when ``s`` still
    grows by more than ``1e-4 (1 + |s|)`` between :math:`t = 10^{12}` and :math:`10^{15}`
    (``t log t`` grows by about 6.9 there, ``(t-1)^2`` by :math:`10^{15}`; a finite limit
    approached like :math:`t^{-1/2}` moves by less than :math:`10^{-5}`).
    """
    t = np.array([1e12, 1e15])
    s = _call_f(f, t) / (t - 1.0)
    if not np.all(np.isfinite(s)) or s[1] - s[0] > 1e-4 * (1.0 + abs(s[1])):
        return math.inf
    return float(s[1])


def _resolve(f) -> tuple[FGenerator | None, Callable]:
    if isinstance(f, FGenerator):
        return f, f.f
    if isinstance(f, str):
        g = f_generator(f)
        return g, g.f
    if callable(f):
        return None, f
    raise TypeError(f"f must be a generator name, an FGenerator or a callable, got {type(f).__name__}")


def f_divergence(p, q, f, *, axis=-1, normalize=False, slope_at_infinity=None, check=True):
    r"""The f-divergence :math:`D_f(P\|Q) = \sum_x Q(x)\,f(P(x)/Q(x))` of discrete distributions.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``; the other axes broadcast (as in
        :func:`klbook.kl_divergence`).
    f : str, FGenerator or callable
        A name from :data:`F_GENERATORS` or a convex function on :math:`(0,\infty)` with
        :math:`f(1)=0` (vectorised or scalar).
    axis : int, default -1
        The axis that holds the outcomes.
    normalize : bool, default False
        Rescale ``p`` and ``q`` to sum to 1 instead of rejecting them.
    slope_at_infinity : float, optional
        :math:`\lim_{t\to\infty} f(t)/t` for a callable ``f`` (``math.inf`` allowed): the
        cost per unit of :math:`P`-mass where :math:`Q = 0`. Estimated from ``f`` when
        omitted and needed (see Notes).
    check : bool, default True
        For a callable ``f``: check ``f(1) = 0``, finiteness on :math:`(0,\infty)` and
        midpoint convexity on a grid of ratios in :math:`[10^{-3}, 10^3]` and at the
        data's own ratios. A spot check, not a proof.

    Returns
    -------
    float or ndarray
        :math:`D_f \ge 0` in nats, zero iff ``p == q`` (for strictly convex ``f``).
        Terms with :math:`P(x)=Q(x)=0` contribute 0; with :math:`P(x)=0<Q(x)` they
        contribute :math:`Q(x)\lim_{t\to0}f(t)`; with :math:`Q(x)=0<P(x)` they contribute
        :math:`P(x)\lim_{t\to\infty}f(t)/t` -- ``inf`` for KL and Pearson, finite
        for JS (:math:`\tfrac12\log 2` per unit), TV (:math:`\tfrac12`) and Hellinger (1).

    Raises
    ------
    TypeError
        If ``f`` is neither a name, an :class:`FGenerator` nor a callable.
    ValueError
        On bad probabilities or event sizes (as :func:`klbook.kl_divergence`), an unknown
        name, or a callable ``f`` that fails the checks above.

    Notes
    -----
    Without ``slope_at_infinity`` a callable's limit is estimated from the secant slope
    :math:`f(t)/(t-1)`, which is non-decreasing for convex ``f``: a slope still growing
    between :math:`t=10^{12}` and :math:`10^{15}` counts as infinite.

    Examples
    --------
    >>> p, q = [0.5, 0.5, 0.0], [0.0, 0.5, 0.5]
    >>> f_divergence(p, q, "kl"), f_divergence(p, q, "pearson")
    (inf, inf)
    >>> round(f_divergence(p, q, "js"), 4), f_divergence(p, q, "tv")
    (0.3466, 0.5)
    >>> round(f_divergence([0.2, 0.8], [0.5, 0.5], lambda t: t * np.log(t)), 4)  # = KL
    0.1927
    """
    gen, fn = _resolve(f)
    p, q = pair_of_distributions(p, q, axis=axis, normalize=normalize)
    p, q = np.broadcast_arrays(p, q)
    both = (q > 0) & (p > 0)
    only_q = (q > 0) & (p == 0)
    only_p = (q == 0) & (p > 0)
    with np.errstate(over="ignore"):
        ratio = np.where(both, p / np.where(q > 0, q, 1.0), 1.0)
    overflow = both & np.isinf(ratio)  # q is subnormal next to p: q f(p/q) is p times the slope at infinity
    both, only_p = both & ~overflow, only_p | overflow
    ratio = np.where(both, ratio, 1.0)
    if gen is None and check:
        _check_user_f(fn, np.unique(ratio[both]))
    terms = np.where(both, q * _call_f(fn, ratio), 0.0)
    if only_q.any():
        f0 = gen.f_at_zero if gen is not None else float(_call_f(fn, np.array([0.0]))[0])
        if math.isnan(f0):
            raise ValueError("f(0) is NaN; f must have a limit (possibly inf) at 0")
        terms = terms + np.where(only_q, np.where(only_q, q, 1.0) * f0, 0.0)
    if only_p.any():
        if gen is not None:
            slope = gen.slope_at_infinity
        elif slope_at_infinity is not None:
            if isinstance(slope_at_infinity, bool) or not isinstance(slope_at_infinity, numbers.Real):
                raise TypeError("slope_at_infinity must be a real number or math.inf")
            if math.isnan(slope_at_infinity):
                raise ValueError("slope_at_infinity must not be NaN")
            slope = float(slope_at_infinity)
        else:
            slope = _slope_at_infinity(fn)
        terms = terms + np.where(only_p, np.where(only_p, p, 1.0) * slope, 0.0)
    out = terms.sum(axis=-1)
    return out.item() if out.ndim == 0 else out


# --- the variational bound --------------------------------------------------------------------


def variational_bound(t_p, t_q, f, *, weights_p=None, weights_q=None):
    r"""The Fenchel lower bound :math:`\mathbb E_P[T] - \mathbb E_Q[f^*(T)] \le D_f(P\|Q)`.

    Parameters
    ----------
    t_p, t_q : array_like or torch.Tensor
        Critic values :math:`T(x)` at samples of :math:`P` and of :math:`Q` (or at every
        outcome, with ``weights_p``/``weights_q`` the probabilities). Tensors keep their
        autograd graph, so this is also an f-GAN's training objective.
    f : str or FGenerator
        A named generator (its conjugate is needed).
    weights_p, weights_q : array_like, optional
        Weights summing to 1 along the last axis (default: equal weights, i.e. sample means).

    Returns
    -------
    float, ndarray or torch.Tensor
        The bound in nats; ``-inf`` if a :math:`T` value on :math:`Q` lies outside the
        domain of :math:`f^*`. It equals :math:`D_f` at :math:`T^*=f'(P/Q)`.

    Raises
    ------
    TypeError, ValueError
        If ``f`` is not a named generator, or the critic values are empty.

    Examples
    --------
    >>> p, q = np.array([0.2, 0.8]), np.array([0.5, 0.5])
    >>> g = f_generator("kl")
    >>> t_star = g.derivative(p / q)  # the optimal critic 1 + log(p/q)
    >>> round(float(variational_bound(t_star, t_star, "kl", weights_p=p, weights_q=q)), 4)
    0.1927
    """
    gen, _ = _resolve(f)
    if gen is None:
        raise TypeError("variational_bound needs a named generator (it uses the conjugate f*)")
    t_p, t_q = _asarray(t_p), _asarray(t_q)
    for name, t in (("t_p", t_p), ("t_q", t_q)):
        if t.numel() == 0 if _is_tensor(t) else t.size == 0:
            raise ValueError(f"{name} is empty")
    conj = gen.conjugate(t_q)
    if weights_p is None:
        e_p = t_p.mean(-1) if t_p.ndim else t_p
    else:
        e_p = (t_p * _asarray(weights_p)).sum(-1)
    if weights_q is None:
        e_q = conj.mean(-1) if conj.ndim else conj
    else:
        e_q = (conj * _asarray(weights_q)).sum(-1)
    out = e_p - e_q
    if not _is_tensor(out):
        out = np.asarray(out)
        return out.item() if out.ndim == 0 else out
    return out


def fgan_objective(v_real, v_fake, f):
    r"""The f-GAN objective :math:`\mathbb E_P[g_f(V)] - \mathbb E_Q[f^*(g_f(V))]` from raw critic outputs.

    This is :func:`variational_bound` at the critic :math:`T = g_f(V)`, with the
    composition :math:`f^*\circ g_f` taken in closed form
    (:meth:`FGenerator.conjugate_of_activation`) so that no raw output ``v`` overflows.

    Parameters
    ----------
    v_real, v_fake : array_like or torch.Tensor, shape (..., n)
        Raw critic outputs on samples of :math:`P` (data) and :math:`Q` (generator).
    f : str or FGenerator
        A named generator.

    Returns
    -------
    float, ndarray or torch.Tensor
        The minibatch bound, averaged over the last axis.

    Examples
    --------
    >>> v = np.array([0.3, -1.2, 2.0])
    >>> g = f_generator("reverse_kl")
    >>> a = fgan_objective(v, v, g)
    >>> b = variational_bound(g.activation(v), g.activation(v), g)
    >>> bool(np.isclose(a, b))
    True
    """
    gen, _ = _resolve(f)
    if gen is None:
        raise TypeError("fgan_objective needs a named generator")
    v_real, v_fake = _asarray(v_real), _asarray(v_fake)
    out = gen.activation(v_real).mean(-1) - gen.conjugate_of_activation(v_fake).mean(-1)
    if not _is_tensor(out):
        out = np.asarray(out)
        return out.item() if out.ndim == 0 else out
    return out


# --- a classifier as a density-ratio estimator ------------------------------------------------


def _features(x: np.ndarray, degree: int) -> np.ndarray:
    cols = [np.ones((x.shape[0], 1)), x]
    if degree == 2:
        iu = np.triu_indices(x.shape[1])
        cols.append((x[:, :, None] * x[:, None, :])[:, iu[0], iu[1]])
    return np.concatenate(cols, axis=1)


def _as_samples(x, name: str, min_samples: int = 2) -> np.ndarray:
    arr = as_float_array(x, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} must be an (n, d) array of at least {min_samples} sample(s), got shape {arr.shape}"
        )
    check_finite(arr, name)
    return arr


@dataclass(frozen=True)
class LogRatio:
    r"""A fitted estimate of :math:`\log P(x)/Q(x)` from a logistic-regression classifier.

    Calling it on ``x`` (shape ``(n, d)`` or ``(n,)`` for ``d = 1``) returns the logit
    :math:`w^\top\phi(x)` of "``x`` came from :math:`P`", corrected for unequal sample
    sizes: :math:`\log\frac{P(x)}{Q(x)} \approx \operatorname{logit} D(x) - \log\frac{n_P}{n_Q}`.
    """

    weights: np.ndarray
    degree: int
    log_prior_ratio: float
    mean: np.ndarray
    scale: np.ndarray

    def __call__(self, x) -> np.ndarray:
        x = _as_samples(x, "x", 1)
        if x.shape[1] != self.mean.size:
            raise ValueError(f"x has {x.shape[1]} features, the classifier was fitted on {self.mean.size}")
        phi = _features((x - self.mean) / self.scale, self.degree)
        return phi @ self.weights - self.log_prior_ratio

    def discriminator(self, x) -> np.ndarray:
        r""":math:`D(x) = \sigma(\log P(x)/Q(x))`: the probability that ``x`` came from :math:`P` (equal priors)."""
        return special.expit(self(x))


def fit_log_ratio(x_p, x_q, *, degree=2, l2=1e-6) -> LogRatio:
    r"""Fit a logistic-regression classifier P-vs-Q and return its log density-ratio.

    The Bayes-optimal classifier between samples of :math:`P` (label 1) and :math:`Q`
    (label 0), with equal priors, is :math:`D^*(x) = P(x)/(P(x)+Q(x))`, whose logit is
    :math:`\log P(x)/Q(x)`. With quadratic features ``degree=2`` the model family
    contains the exact log-ratio of any two Gaussians.

    Parameters
    ----------
    x_p, x_q : array_like, shape (n, d) or (n,)
        Samples of :math:`P` and of :math:`Q`.
    degree : {1, 2}, default 2
        Linear or quadratic features (of the standardised inputs).
    l2 : float, default 1e-6
        Ridge penalty per sample on the non-constant weights (keeps separable data finite).

    Returns
    -------
    LogRatio
        Callable: ``log_ratio(x)`` estimates :math:`\log P(x)/Q(x)`.

    Raises
    ------
    ValueError
        On fewer than 2 samples, NaN/inf, differing dimensions, a bad ``degree`` or
        negative ``l2``; or if the optimiser fails.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lr = fit_log_ratio(rng.normal(0, 1, 4000), rng.normal(1, 1, 4000))
    >>> round(float(lr(np.array([0.5]))[0]), 1)  # exact log-ratio at the midpoint: 0
    0.0
    """
    x_p, x_q = _as_samples(x_p, "x_p"), _as_samples(x_q, "x_q")
    if x_p.shape[1] != x_q.shape[1]:
        raise ValueError(f"x_p and x_q have different dimensions: {x_p.shape[1]} vs {x_q.shape[1]}")
    if degree not in (1, 2) or isinstance(degree, bool):
        raise ValueError(f"degree must be 1 or 2, got {degree!r}")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not l2 >= 0:
        raise ValueError(f"l2 must be a non-negative number, got {l2!r}")
    x = np.concatenate([x_p, x_q])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    phi = _features((x - mean) / scale, degree)
    y = np.concatenate([np.ones(len(x_p)), np.zeros(len(x_q))])
    sign = 2.0 * y - 1.0
    n = len(y)
    penalty = np.full(phi.shape[1], float(l2))
    penalty[0] = 0.0

    def loss(w):
        z = sign * (phi @ w)
        value = np.logaddexp(0.0, -z).mean() + 0.5 * penalty @ (w * w)
        grad = -(phi.T @ (sign * special.expit(-z))) / n + penalty * w
        return value, grad

    res = optimize.minimize(loss, np.zeros(phi.shape[1]), jac=True, method="L-BFGS-B",
                            options={"maxiter": 1000, "gtol": 1e-10, "ftol": 1e-14})
    if not np.all(np.isfinite(res.x)):
        raise ValueError(f"the logistic regression did not converge: {res.message}")
    return LogRatio(res.x, int(degree), math.log(len(x_p) / len(x_q)), mean, scale)


# --- the ring of Gaussians and f-GAN training -------------------------------------------------


def _ring_centres(modes: int, radius: float) -> np.ndarray:
    angle = 2.0 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _check_ring(modes, radius, std):
    if isinstance(modes, bool) or not isinstance(modes, numbers.Integral) or modes < 1:
        raise ValueError(f"modes must be a positive integer, got {modes!r}")
    for name, v in (("radius", radius), ("std", std)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (v > 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be a positive number, got {v!r}")


def ring_of_gaussians(n, rng, *, modes=8, radius=2.0, std=0.05):
    r"""Samples of an equal-weight mixture of ``modes`` isotropic Gaussians on a circle.

    The modes sit at :math:`r(\cos 2\pi k/K, \sin 2\pi k/K)`, :math:`k = 0..K-1`, each with
    standard deviation ``std`` per coordinate (the benchmark of Metz et al. 2017).

    Parameters
    ----------
    n : int
        Number of samples.
    rng : numpy.random.Generator or int
        Source of randomness.
    modes, radius, std
        :math:`K`, :math:`r` and :math:`\sigma`.

    Returns
    -------
    samples : ndarray, shape (n, 2)
    centres : ndarray, shape (modes, 2)

    Examples
    --------
    >>> x, c = ring_of_gaussians(1000, 0)
    >>> x.shape, c.shape, round(float(np.hypot(*c[2])), 3)
    ((1000, 2), (8, 2), 2.0)
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    _check_ring(modes, radius, std)
    rng = np.random.default_rng(rng)
    centres = _ring_centres(int(modes), float(radius))
    k = rng.integers(0, modes, size=n)
    return centres[k] + std * rng.standard_normal((n, 2)), centres


def mode_coverage(samples, centres, std, *, n_std=3.0, min_share=0.02):
    r"""Mode coverage and sample quality of 2-D samples against a Gaussian mixture.

    A sample is *high quality* when it lies within ``n_std`` standard deviations of the
    nearest mode centre; a mode is *covered* when at least a fraction ``min_share`` of
    all samples are high-quality samples of that mode.

    Parameters
    ----------
    samples : array_like, shape (n, d)
    centres : array_like, shape (K, d)
    std : float
        The modes' standard deviation.
    n_std : float, default 3
    min_share : float, default 0.02
        In [0, 1).

    Returns
    -------
    dict
        ``{"modes": int, "high_quality": float, "counts": ndarray (K,)}``: the number of
        covered modes, the fraction of high-quality samples, and the high-quality samples
        per mode.

    Examples
    --------
    >>> x, c = ring_of_gaussians(2000, 0, std=0.05)
    >>> m = mode_coverage(x, c, 0.05)
    >>> m["modes"], m["high_quality"] > 0.98
    (8, True)
    >>> mode_coverage(np.zeros((10, 2)), c, 0.05)["modes"]  # the centre of the ring: no mode
    0
    """
    x = _as_samples(samples, "samples", 1)
    c = _as_samples(centres, "centres", 1) if np.ndim(centres) == 2 else None
    if c is None or c.shape[1] != x.shape[1]:
        raise ValueError("centres must be a (K, d) array with the samples' dimension d")
    for name, v in (("std", std), ("n_std", n_std)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0:
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    if isinstance(min_share, bool) or not isinstance(min_share, numbers.Real) or not 0 <= min_share < 1:
        raise ValueError(f"min_share must be in [0, 1), got {min_share!r}")
    d = np.sqrt(((x[:, None, :] - c[None, :, :]) ** 2).sum(-1))
    nearest = d.argmin(axis=1)
    good = d[np.arange(len(x)), nearest] <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(c))
    return {
        "modes": int((counts >= max(min_share * len(x), 1)).sum()),
        "high_quality": float(good.mean()),
        "counts": counts,
    }


@dataclass
class FGANResult:
    """What :func:`train_fgan` returns.

    Attributes
    ----------
    divergences : tuple of str
    seeds : tuple of int
    samples : ndarray, shape (len(divergences), len(seeds), n_samples, 2)
        Generator samples after training.
    bound : ndarray, shape (len(divergences), len(seeds), steps // log_every)
        The critic's variational bound on each minibatch, every ``log_every`` steps.
    """

    divergences: tuple
    seeds: tuple
    samples: np.ndarray
    bound: np.ndarray


def _init_batched_mlp(sizes, gens, device, dtype):
    """Per-run weights (R, fan_in, fan_out) with torch.nn.Linear's default initialisation."""
    import torch

    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)
        w = torch.stack([(torch.rand(fan_in, fan_out, generator=g, dtype=dtype) * 2 - 1) * bound for g in gens])
        b = torch.stack([(torch.rand(1, fan_out, generator=g, dtype=dtype) * 2 - 1) * bound for g in gens])
        params += [w.to(device).requires_grad_(), b.to(device).requires_grad_()]
    return params


def _batched_mlp(params, x):
    import torch

    n_layers = len(params) // 2
    for i in range(n_layers):
        x = torch.baddbmm(params[2 * i + 1], x, params[2 * i])
        if i < n_layers - 1:
            x = torch.nn.functional.leaky_relu(x, 0.2)
    return x


def train_fgan(divergences=("kl", "reverse_kl", "js"), seeds=(0, 1, 2), *, steps=2000, batch=256,
               hidden=64, latent=2, lr=1e-3, modes=8, radius=2.0, std=0.05, n_samples=2000,
               generator="mlp", log_every=50, device=None):
    r"""Train one small f-GAN per (divergence, seed) on the ring of Gaussians, all at once.

    Generator :math:`G: \mathbb R^{latent}\to\mathbb R^2` and critic
    :math:`V:\mathbb R^2\to\mathbb R` are MLPs with two hidden layers of ``hidden``
    leaky-ReLU units. Each step takes one Adam step of the critic up and one of the
    generator down the f-GAN saddle objective of Nowozin et al. (2016),

    .. math::

        F(\theta,\omega) = \mathbb E_{x\sim P}[g_f(V_\omega(x))]
                           - \mathbb E_{z}[f^*(g_f(V_\omega(G_\theta(z))))],

    a minibatch estimate of the variational lower bound on :math:`D_f(P\|Q_\theta)`.
    Every run has its own weights, optimiser state and random stream (seeded by its seed,
    whatever else is trained alongside); the runs are stacked into batched matrix products
    so that training nine small GANs costs little more than training one.

    Parameters
    ----------
    divergences : sequence of str
        Names from :data:`F_GENERATORS`.
    seeds : sequence of int
        One run per seed and divergence.
    steps, batch, hidden, latent, lr
        Training length, minibatch size, network width, latent dimension, Adam step size
        (betas 0.5, 0.999).
    modes, radius, std
        The data (see :func:`ring_of_gaussians`).
    n_samples : int
        Generator samples returned per run.
    generator : {"mlp", "gaussian"}, default "mlp"
        ``"mlp"``: the network above. ``"gaussian"``: an affine map :math:`G(z) = Az + b`
        of Gaussian noise, i.e. the generator can only produce a Gaussian -- the
        one-Gaussian-fits-a-mixture setting of chapter 1.
    log_every : int
        How often the minibatch bound is recorded.
    device : torch.device or str, optional
        Default :func:`klbook.get_device`.

    Returns
    -------
    FGANResult

    Raises
    ------
    ValueError
        On an unknown divergence, an empty list, a negative seed or non-positive sizes.
    """
    import torch

    from .notebook import get_device

    if isinstance(divergences, str):
        divergences = (divergences,)
    divergences = tuple(divergences)
    seeds = tuple(int(s) for s in seeds)
    if not divergences or not seeds:
        raise ValueError("divergences and seeds must be non-empty")
    gens_f = [f_generator(d) for d in divergences]
    if any(s < 0 for s in seeds):
        raise ValueError(f"seeds must be non-negative, got {seeds}")
    for name, v in (("steps", steps), ("batch", batch), ("hidden", hidden), ("latent", latent),
                    ("n_samples", n_samples), ("log_every", log_every)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if generator not in ("mlp", "gaussian"):
        raise ValueError(f"generator must be 'mlp' or 'gaussian', got {generator!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    _check_ring(modes, radius, std)
    device = torch.device(device) if device is not None else get_device()
    dtype = torch.float32
    runs = [(i, s) for i in range(len(divergences)) for s in seeds]
    n_runs = len(runs)
    gens = [torch.Generator().manual_seed(1000 * s + 17) for _, s in runs]
    g_sizes = [latent, hidden, hidden, 2] if generator == "mlp" else [latent, 2]
    g_params = _init_batched_mlp(g_sizes, gens, device, dtype)
    d_params = _init_batched_mlp([2, hidden, hidden, 1], gens, device, dtype)
    opt_g = torch.optim.Adam(g_params, lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d_params, lr=lr, betas=(0.5, 0.999))
    centres = torch.as_tensor(_ring_centres(int(modes), float(radius)), dtype=dtype)
    groups = [(gens_f[i], [r for r, (j, _) in enumerate(runs) if j == i]) for i in range(len(divergences))]

    def draw():
        z = torch.stack([torch.randn(batch, latent, generator=g, dtype=dtype) for g in gens])
        k = torch.stack([torch.randint(0, int(modes), (batch,), generator=g) for g in gens])
        noise = torch.stack([torch.randn(batch, 2, generator=g, dtype=dtype) for g in gens])
        return z.to(device), (centres[k] + std * noise).to(device)

    def objective(v_real, v_fake):
        """The per-run minibatch bound, shape (R,)."""
        out = []
        for gen, idx in groups:
            out.append(fgan_objective(v_real[idx], v_fake[idx], gen))
        bound = torch.cat(out)
        order = torch.tensor([r for _, idx in groups for r in idx], device=bound.device)
        return torch.empty_like(bound).scatter_(0, order, bound)

    history = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # matrices this small gain nothing from threads, and lose a lot on a busy CPU
    try:
        _train_loop(steps, draw, objective, g_params, d_params, opt_g, opt_d, log_every, history)
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        z = torch.stack([torch.randn(n_samples, latent, generator=g, dtype=dtype) for g in gens]).to(device)
        samples = _batched_mlp(g_params, z).cpu().numpy().astype(np.float64)
    shape = (len(divergences), len(seeds))
    hist = np.stack(history, axis=-1) if history else np.zeros((n_runs, 0))
    return FGANResult(divergences, seeds, samples.reshape(*shape, n_samples, 2), hist.reshape(*shape, -1))


def _train_loop(steps, draw, objective, g_params, d_params, opt_g, opt_d, log_every, history):
    for step in range(steps):
        z, x = draw()
        # critic: ascend the bound
        v_real = _batched_mlp(d_params, x).squeeze(-1)
        v_fake = _batched_mlp(d_params, _batched_mlp(g_params, z).detach()).squeeze(-1)
        bound = objective(v_real, v_fake)
        opt_d.zero_grad(set_to_none=True)
        (-bound.sum()).backward()
        opt_d.step()
        # generator: descend the bound (only its E_Q term depends on the generator)
        v_real = v_real.detach()
        v_fake = _batched_mlp(d_params, _batched_mlp(g_params, z)).squeeze(-1)
        opt_g.zero_grad(set_to_none=True)
        objective(v_real, v_fake).sum().backward()
        opt_g.step()
        if (step + 1) % log_every == 0:
            history.append(bound.detach().cpu().numpy())

r"""The f-divergence of discrete distributions and its variational (Fenchel-dual) lower bound."""

from __future__ import annotations

import math
import numbers
from typing import Callable

import numpy as np

from .._validation import as_distribution, as_float_array, check_tensor, pair_of_distributions
from .generators import _is_tensor, f_generator, FGenerator

__all__ = ["f_divergence", "variational_bound", "fgan_objective"]


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
    with np.errstate(over="ignore"):
        terms = np.where(both, q * _call_f(fn, ratio), 0.0)
    if gen is not None and gen.perspective is not None and np.isinf(terms).any():
        # f(p/q) overflowed although q f(p/q) may be finite (Pearson at q ~ 1e-300)
        redo = np.isinf(terms)
        terms = np.where(redo, gen.perspective(np.where(redo, p, 1.0), np.where(redo, q, 1.0)), terms)
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
    with np.errstate(over="ignore"):
        out = terms.sum(axis=-1)
    return out.item() if out.ndim == 0 else out


# --- the variational bound --------------------------------------------------------------------


def _critic_values(t, name: str, *, allow_inf: bool, min_ndim: int = 0):
    """Critic values as a float array (or the tensor itself): non-empty, no NaN."""
    if getattr(t, "ndim", np.ndim(t) if not isinstance(t, (str, bytes, dict)) else 1) < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s) (critic values along the last axis)")
    if _is_tensor(t):
        return check_tensor(t, name, allow_inf=allow_inf)
    arr = as_float_array(t, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values")
    return arr


def _weights(w, name: str, t):
    """Probability weights along the last axis of ``t`` (validated as a distribution)."""
    if w is None:
        return None
    was_tensor = _is_tensor(w)
    arr = as_distribution(w.detach().cpu().double().numpy() if was_tensor else w, name)
    try:
        np.broadcast_shapes(arr.shape, tuple(t.shape))
    except ValueError:
        raise ValueError(f"{name} of shape {arr.shape} does not match the critic values' shape {tuple(t.shape)}") from None
    if _is_tensor(t):
        import torch

        return torch.as_tensor(arr, dtype=t.dtype, device=t.device)
    return arr


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
        If ``f`` is not a named generator; if the critic values are empty, not numeric or
        hold NaN (``t_p`` also inf); if a weight vector is not a probability vector along
        the last axis (see :func:`klbook.entropy`) or does not match its critic values.

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
    t_p, t_q = _critic_values(t_p, "t_p", allow_inf=False), _critic_values(t_q, "t_q", allow_inf=True)
    weights_p = _weights(weights_p, "weights_p", t_p)
    weights_q = _weights(weights_q, "weights_q", t_q)
    with np.errstate(over="ignore"):  # f*(t) beyond the float range: the bound is -inf
        conj = gen.conjugate(t_q)
    if weights_p is None:
        e_p = t_p.mean(-1) if t_p.ndim else t_p
    else:
        e_p = (t_p * weights_p).sum(-1)
    if weights_q is None:
        e_q = conj.mean(-1) if conj.ndim else conj
    else:
        # a critic value outside dom f* costs inf only where it has weight
        if _is_tensor(conj):
            import torch

            e_q = torch.where(weights_q > 0, conj * weights_q, 0.0 * weights_q).sum(-1)
        else:
            with np.errstate(invalid="ignore"):
                e_q = np.where(weights_q > 0, conj * weights_q, 0.0).sum(-1)
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
    v_real = _critic_values(v_real, "v_real", allow_inf=False, min_ndim=1)
    v_fake = _critic_values(v_fake, "v_fake", allow_inf=False, min_ndim=1)
    out = gen.activation(v_real).mean(-1) - gen.conjugate_of_activation(v_fake).mean(-1)
    if not _is_tensor(out):
        out = np.asarray(out)
        return out.item() if out.ndim == 0 else out
    return out

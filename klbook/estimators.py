r"""Estimating :math:`D_{KL}(P\,\|\,Q)` from samples.

Four families, from the most to the least that must be known about ``P`` and ``Q``:

* :func:`kl_monte_carlo` / :func:`kl_per_sample` -- both log densities can be
  evaluated at samples ``x ~ P`` (policies in reinforcement learning, language
  models); Schulman's estimators ``k1``, ``k2``, ``k3`` of the log ratio;
* :func:`histogram_kl_divergence` -- only samples of both, in one or a few
  dimensions: bin them and take the KL of the histograms (the plug-in estimator);
* :func:`knn_kl_divergence` -- only samples of both, any dimension: the
  k-nearest-neighbour estimator of Wang, Kulkarni & Verdu (2009);
* :func:`classifier_kl_divergence` -- only samples of both: learn the log
  density ratio with a logistic-regression classifier and average it under ``P``.

Every function returns nats. Samples are arrays of shape ``(n, d)`` (a 1-D
array is read as ``n`` samples of a scalar); bad shapes, too few samples and
non-finite values raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np
from scipy import special
from scipy.spatial import cKDTree

from ._logistic import fit_logistic
from ._validation import as_float_array, check_finite, integer, samples
from .divergences import kl_divergence

__all__ = [
    "MonteCarloEstimate",
    "kl_per_sample",
    "kl_monte_carlo",
    "histogram_kl_divergence",
    "knn_kl_divergence",
    "classifier_kl_divergence",
]

ESTIMATORS = ("k1", "k2", "k3")

# Below this |log r|, expm1(u) - u is replaced by its Taylor series, which has no cancellation.
_SERIES_CUTOFF = 1e-2


class MonteCarloEstimate(NamedTuple):
    """A Monte Carlo estimate with its standard error (both in nats)."""

    estimate: float
    stderr: float
    n: int


def _log_ratio(log_p, log_q, min_samples: int) -> np.ndarray:
    log_p = as_float_array(log_p, "log_p")
    log_q = as_float_array(log_q, "log_q")
    for name, arr in (("log_p", log_p), ("log_q", log_q)):
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D (one log density per sample), got shape {arr.shape}")
        check_finite(arr, name)
    if log_p.shape != log_q.shape:
        raise ValueError(f"log_p and log_q must have the same length, got {log_p.size} and {log_q.size}")
    if log_p.size < min_samples:
        raise ValueError(f"need at least {min_samples} samples, got {log_p.size}")
    with np.errstate(over="ignore"):  # a log ratio beyond the float range is +-inf
        return log_q - log_p


def _k3(log_r: np.ndarray) -> np.ndarray:
    """``(r - 1) - log r`` without cancellation; ``inf`` where ``r`` overflows."""
    out = np.empty_like(log_r)
    small = np.abs(log_r) < _SERIES_CUTOFF
    u = log_r[small]
    # u^2/2 + u^3/6 + ... + u^7/5040: truncation error < 1e-13 relative at the cut-off
    out[small] = u * u * (1 / 2 + u * (1 / 6 + u * (1 / 24 + u * (1 / 120 + u * (1 / 720 + u / 5040)))))
    big = log_r[~small]
    with np.errstate(over="ignore", invalid="ignore"):
        out[~small] = np.where(big == np.inf, np.inf, np.expm1(big) - big)  # e^r - 1 - r -> inf
    return out


def kl_per_sample(log_p, log_q, *, estimator: str = "k3") -> np.ndarray:
    r"""Per-sample estimates of :math:`D_{KL}(P\,\|\,Q)` from the log densities at ``x ~ P``.

    With :math:`\log r = \log q(x) - \log p(x)` for samples :math:`x \sim P`
    (Schulman, 2020):

    .. math::

        k_1 = -\log r, \qquad
        k_2 = \tfrac12 (\log r)^2, \qquad
        k_3 = (r - 1) - \log r .

    :math:`k_1` and :math:`k_3` are unbiased, because :math:`\mathbb E_P[r] = 1`;
    :math:`k_2` is biased (its mean is :math:`D_{KL}` only to second order in
    :math:`\log r`). :math:`k_3 \ge 0` for every sample (since :math:`e^u \ge 1 + u`),
    while :math:`k_1` is negative whenever :math:`q(x) > p(x)`.

    Parameters
    ----------
    log_p, log_q : array_like, shape (n,)
        :math:`\log p(x_i)` and :math:`\log q(x_i)` in nats, for samples
        :math:`x_i \sim P` (the samples must come from the *first* argument).
    estimator : {"k1", "k2", "k3"}, default "k3"

    Returns
    -------
    ndarray, shape (n,)
        One estimate per sample, in nats. ``k3`` is computed as
        ``expm1(log r) - log r`` (a Taylor series for ``|log r| < 0.01``), so it is
        accurate and non-negative even when ``r`` is within rounding of 1; it is
        ``inf`` when ``log r`` exceeds about 709 (``r`` overflows a float).

    Raises
    ------
    ValueError
        If the arrays are not 1-D of equal length, are empty, or hold NaN/inf, or
        ``estimator`` is unknown.
    TypeError
        If ``estimator`` is not a string.

    Examples
    --------
    >>> kl_per_sample([0.0, 0.0], [-0.5, 0.5], estimator="k1")
    array([ 0.5, -0.5])
    >>> kl_per_sample([0.0, 0.0], [-0.5, 0.5], estimator="k3").round(4)
    array([0.1065, 0.1487])
    """
    if not isinstance(estimator, str):
        raise TypeError(f"estimator must be one of {ESTIMATORS}, got {type(estimator).__name__}")
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    log_r = _log_ratio(log_p, log_q, min_samples=1)
    if estimator == "k1":
        return -log_r
    if estimator == "k2":
        with np.errstate(over="ignore"):
            return 0.5 * log_r**2
    return _k3(log_r)


def kl_monte_carlo(log_p, log_q, *, estimator: str = "k3") -> MonteCarloEstimate:
    r"""Monte Carlo estimate of :math:`D_{KL}(P\,\|\,Q)` and its standard error.

    The mean of :func:`kl_per_sample` over the ``n`` samples, with the standard
    error :math:`s/\sqrt n` (``s`` the sample standard deviation, ``ddof=1``).

    Parameters
    ----------
    log_p, log_q : array_like, shape (n,)
        Log densities (nats) of ``P`` and ``Q`` at samples ``x ~ P``; ``n >= 2``.
    estimator : {"k1", "k2", "k3"}, default "k3"
        See :func:`kl_per_sample`. ``k1`` and ``k3`` are unbiased; ``k2`` is
        biased but has low variance when ``P`` and ``Q`` are close.

    Returns
    -------
    MonteCarloEstimate
        ``(estimate, stderr, n)`` in nats.

    Raises
    ------
    ValueError
        As :func:`kl_per_sample`, and for fewer than two samples (no standard error).

    Examples
    --------
    >>> est = kl_monte_carlo([0.0, 0.0, 0.0], [-0.5, 0.5, 0.0], estimator="k1")
    >>> round(est.estimate, 4), round(est.stderr, 4), est.n
    (0.0, 0.2887, 3)
    """
    _log_ratio(log_p, log_q, min_samples=2)
    values = kl_per_sample(log_p, log_q, estimator=estimator)
    n = values.size
    if np.isfinite(values).all():
        with np.errstate(over="ignore"):
            mean, std = values.mean(), values.std(ddof=1)
        if np.isfinite(mean) and np.isfinite(std):
            return MonteCarloEstimate(float(mean), float(std / np.sqrt(n)), n)
    # values (or their sum or spread) beyond the float range: scale by the largest first
    top, bottom = values.max(), values.min()
    if top == np.inf and bottom == -np.inf:
        raise ValueError("log_p - log_q spans beyond the float range in both directions; the k1 mean is undefined")
    if np.isinf(top) or np.isinf(bottom):  # an infinite estimate has an infinite standard error
        return MonteCarloEstimate(float(top if np.isinf(top) else bottom), math.inf, n)
    peak = max(abs(top), abs(bottom))
    with np.errstate(over="ignore"):
        mean = peak * np.mean(values / peak)
        stderr = peak * (np.std(values / peak, ddof=1) / np.sqrt(n))
    return MonteCarloEstimate(float(mean), float(stderr), n)


def _pair(x, y, min_x: int, min_y: int):
    x = samples(x, "x", min_x)
    y = samples(y, "y", min_y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension d, got {x.shape[1]} and {y.shape[1]}")
    return x, y


def histogram_kl_divergence(x, y, *, bins: int = 10, bounds=None, pseudocount: float = 0.0) -> float:
    r"""Plug-in estimate of :math:`D_{KL}(P\,\|\,Q)`: the KL between histograms of the samples.

    Both samples are binned on the same grid of ``bins`` equal cells per
    dimension; with counts :math:`c^x_j, c^y_j` and pseudocount :math:`\alpha`,

    .. math::

        \hat p_j = \frac{c^x_j + \alpha}{n + \alpha B},\quad
        \hat q_j = \frac{c^y_j + \alpha}{m + \alpha B},\quad
        \hat D = \sum_j \hat p_j \log\frac{\hat p_j}{\hat q_j},

    with :math:`B` the number of cells. The bin widths cancel in the ratio, so
    this estimates the KL of the *binned* distributions, which is never larger
    than the true KL (data-processing inequality); finite samples add an upward
    bias of about :math:`(B-1)/(2n) + (\sum_j p_j/q_j - 1)/(2m)`.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Samples of ``P``.
    y : array_like, shape (m, d) or (m,)
        Samples of ``Q``.
    bins : int, default 10
        Cells per dimension (``bins ** d`` cells in all, at most ``10**7``).
    bounds : (lo, hi) or sequence of d (lo, hi) pairs, optional
        The binned region. Default: the joint minimum to maximum of both samples.
        Samples outside it are counted in the outermost cells (clipped).
    pseudocount : float, default 0.0
        :math:`\alpha \ge 0` added to every cell. With 0 (the plain plug-in
        estimator) a cell with samples of ``P`` but none of ``Q`` makes the
        estimate ``inf``; ``0.5`` (the Krichevsky--Trofimov choice) keeps it finite.

    Returns
    -------
    float
        The estimate in nats (``inf`` possible when ``pseudocount == 0``).

    Raises
    ------
    ValueError
        On bad shapes, mismatched dimensions, fewer than one sample, NaN/inf,
        ``bins < 1``, too many cells, empty ``bounds``, or a negative pseudocount.

    Examples
    --------
    >>> histogram_kl_divergence([0.1, 0.2, 0.7, 0.8], [0.1, 0.6, 0.7, 0.8], bins=2, bounds=(0, 1))
    0.1438
    """
    x, y = _pair(x, y, 1, 1)
    bins = integer(bins, "bins", minimum=1)
    d = x.shape[1]
    if float(bins) ** d > 1e7:
        raise ValueError(f"bins ** d = {bins}**{d} cells is too many (at most 10**7)")
    if isinstance(pseudocount, bool) or not isinstance(pseudocount, numbers.Real):
        raise TypeError(f"pseudocount must be a real number, got {type(pseudocount).__name__}")
    if not np.isfinite(pseudocount) or pseudocount < 0:
        raise ValueError(f"pseudocount must be finite and >= 0, got {pseudocount}")
    if bounds is None:
        lo = np.minimum(x.min(axis=0), y.min(axis=0))
        hi = np.maximum(x.max(axis=0), y.max(axis=0))
    else:
        box = as_float_array(bounds, "bounds")
        if box.shape == (2,) and d == 1:
            box = box[None, :]
        if box.shape != (d, 2):
            raise ValueError(f"bounds must be a (lo, hi) pair per dimension, shape ({d}, 2); got {box.shape}")
        check_finite(box, "bounds")
        lo, hi = box[:, 0], box[:, 1]
        if (hi <= lo).any():
            raise ValueError("bounds must have lo < hi in every dimension")
    # an all-equal coordinate: widen it so the cells have positive width
    hi = np.where(hi > lo, hi, np.where(lo + 1.0 > lo, lo + 1.0, lo + np.abs(lo) * 1e-9))
    with np.errstate(over="ignore"):
        wide = ~np.isfinite(hi - lo)
    if wide.any():  # a region wider than the float range: bin x / 2 (the counts are the same)
        lo, hi, x, y = 0.5 * lo, 0.5 * hi, 0.5 * x, 0.5 * y
    edges = [np.linspace(lo[j], hi[j], bins + 1) for j in np.arange(d)]
    counts = []
    for s in (x, y):
        clipped = np.clip(s, lo, hi)
        c, _ = np.histogramdd(clipped, bins=edges)
        counts.append(c.ravel())
    p = counts[0] + pseudocount
    q = counts[1] + pseudocount
    return float(kl_divergence(p / p.sum(), q / q.sum()))


def knn_kl_divergence(x, y, *, k: int = 1, l: int | None = None) -> float:  # noqa: E741
    r"""k-nearest-neighbour estimate of :math:`D_{KL}(P\,\|\,Q)` (Wang, Kulkarni & Verdu, 2009).

    For :math:`x_1..x_n \sim P` and :math:`y_1..y_m \sim Q` in :math:`\mathbb R^d`, let
    :math:`\rho_k(i)` be the Euclidean distance from :math:`x_i` to its k-th nearest
    neighbour among the other :math:`x_j`, and :math:`\nu_l(i)` the distance to its
    l-th nearest neighbour among the :math:`y_j`. Then

    .. math::

        \hat D_{n,m} = \frac{d}{n}\sum_{i=1}^n \log\frac{\nu_l(i)}{\rho_k(i)}
                       + \psi(k) - \psi(l) + \log\frac{m}{n-1} ,

    with :math:`\psi` the digamma function. It compares local densities:
    :math:`(n-1)\,c_d\,\rho_k^d\,p(x_i)` is asymptotically Gamma(k, 1), so
    :math:`\mathbb E\log[(n-1)c_d\rho_k^d\,p(x_i)] \to \psi(k)`, and likewise with
    ``l`` for ``q``. The plug-in density estimate :math:`k/((n-1) c_d \rho_k^d)`
    therefore keeps a bias :math:`\log k - \psi(k)` in :math:`\log p` (0.577 for
    ``k = 1``) however large ``n`` is; the :math:`\psi(k) - \psi(l)` term removes
    the difference of the two biases, and vanishes when ``l = k`` (the default).

    For fixed ``k`` and ``l``, Wang, Kulkarni & Verdu (2009) prove the estimate
    asymptotically unbiased and mean-square consistent as ``n, m -> inf``, under
    integrability conditions on the densities (moments of :math:`|\log p|` and
    :math:`|\log q|` under ``P`` and of :math:`|\log\|x - x'\||` under
    :math:`P\times P` and :math:`P\times Q`; the paper states them exactly).
    Perez-Cruz (2008) gave a consistency proof of the ``l = k`` estimator for
    any fixed ``k``. Finite
    samples bias it, more so in high dimensions; larger ``k`` lowers the variance
    and, for smooth densities, adds bias. Neighbours are found with
    :class:`scipy.spatial.cKDTree`.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Samples of ``P``; ``n >= k + 1``.
    y : array_like, shape (m, d) or (m,)
        Samples of ``Q``; ``m >= l``.
    k : int, default 1
        Which neighbour among the x to use.
    l : int, optional
        Which neighbour among the y to use; default ``k``.

    Returns
    -------
    float
        The estimate in nats. It can be negative (the true KL cannot).

    Raises
    ------
    ValueError
        On bad shapes, mismatched dimensions, too few samples, NaN/inf, ``k < 1``,
        ``l < 1``, or **repeated points**: if some :math:`x_i` has ``k`` exact copies
        among the other x (:math:`\rho_k = 0`) or ``l`` among the y
        (:math:`\nu_l = 0`), a log ratio is infinite and the estimator is
        undefined. The formula assumes continuous distributions; for discrete or
        rounded data, use a discrete estimator, a larger ``k``, or add tiny noise
        deliberately.
    TypeError
        If ``k`` or ``l`` is not an integer.

    Examples
    --------
    >>> x = [[0.0], [1.0], [3.0]]
    >>> y = [[0.5], [2.0]]
    >>> round(knn_kl_divergence(x, y, k=1), 4)  # (1/3)(log .5/1 + log .5/1 + log 1/2) + log(2/2)
    -0.6931
    >>> # l = 2: nu = (2, 1, 2.5), rho = (1, 1, 2), psi(1) - psi(2) = -1
    >>> round(knn_kl_divergence(x, y, k=1, l=2), 4)  # (1/3)(log 2 + log 1 + log 1.25) - 1
    -0.6946
    """
    k = integer(k, "k", minimum=1)
    l = k if l is None else integer(l, "l", minimum=1)  # noqa: E741
    x, y = _pair(x, y, k + 1, l)
    # The estimate is invariant under x, y -> x / s, y / s. Data far from unit scale is divided
    # by its largest magnitude, so that no squared distance overflows (1e200) or underflows (1e-200).
    peak = max(np.abs(x).max(), np.abs(y).max())
    if peak > 1e100 or 0 < peak < 1e-100:
        x, y = x / peak, y / peak
    n, d = x.shape
    m = y.shape[0]
    # the query point itself is at distance 0 among its own sample: ask for k + 1 neighbours
    rho = cKDTree(x).query(x, k=[k + 1])[0][:, 0]
    nu = cKDTree(y).query(x, k=[l])[0][:, 0]
    for dist, what, sign in ((rho, f"x has repeated points: {{}} sample(s) of x have {k} exact duplicate(s) "
                                    "among the other x", ""),
                             (nu, f"y repeats points of x: {{}} sample(s) of x coincide with {l} or more "
                                  "samples of y", "-")):
        if (dist == 0).any():
            raise ValueError(
                what.format(int(np.count_nonzero(dist == 0)))
                + f" (neighbour distance 0), so log(nu/rho) is {sign}infinite; the estimator needs "
                "continuous data without ties (try a larger k or l)"
            )
    correction = float(special.digamma(k) - special.digamma(l))
    return float(d * np.mean(np.log(nu / rho)) + correction + np.log(m / (n - 1)))


def classifier_kl_divergence(
    x, y, *, features: str = "quadratic", l2: float = 1e-4, folds: int = 2, variant: str = "plain"
) -> float:
    r"""Classifier (density-ratio) estimate of :math:`D_{KL}(P\,\|\,Q)`.

    Train a logistic regression to tell samples of ``P`` (label 1) from samples of
    ``Q`` (label 0). Its logit :math:`f(x)` estimates :math:`\log\frac{n\,p(x)}{m\,q(x)}`
    (the optimal discriminator, chapter 6), so :math:`\hat\ell(x) = f(x) - \log(n/m)`
    estimates the log density ratio :math:`\log(p(x)/q(x))` (that is :math:`-\log r` in
    the notation of :func:`kl_per_sample`) and

    .. math::

        \hat D_{\text{plain}} = \frac1{n}\sum_i \hat\ell(x_i), \qquad
        \hat D_{\text{DV}} = \frac1{n}\sum_i \hat\ell(x_i)
            - \log\frac1{m}\sum_j e^{\hat\ell(y_j)} .

    The Donsker--Varadhan (``"dv"``) variant subtracts :math:`\log` of the sample mean
    of :math:`e^{\hat\ell} \approx p/q` under ``Q``, which is 0 for the exact ratio
    (:math:`\mathbb E_Q[p/q] = 1`). It is unchanged when a constant is added to
    :math:`\hat\ell` (a miscalibrated intercept or prior correction), and for any
    fixed :math:`\hat\ell` its population value
    :math:`\mathbb E_P\hat\ell - \log\mathbb E_Q e^{\hat\ell}` is a lower bound on
    :math:`D_{KL}(P\,\|\,Q)` (Donsker & Varadhan), with equality when
    :math:`\hat\ell = \log(p/q) + c`. With a misspecified family it can therefore
    lie further below the KL than the plain average.

    To avoid scoring the classifier on its own training data the samples are
    cross-fitted: split into ``folds`` contiguous blocks, fit on all but one
    block of each sample, average the log ratio on the held-out x, and average
    over the blocks (the ``"dv"`` term uses the held-out y of the same block).
    The estimate is only as good as the classifier's family:
    ``"quadratic"`` features (:math:`x_j` and :math:`x_j x_l`) contain the exact
    log ratio of any two Gaussians, ``"linear"`` only of equal-covariance ones.
    Learning a density ratio by logistic regression goes back to Qin (1998) and
    is surveyed by Sugiyama, Suzuki & Kanamori (2012); Nguyen, Wainwright &
    Jordan (2010) instead maximise :math:`\mathbb E_P[g] - \mathbb E_Q[e^g] + 1`.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
        Samples of ``P`` (assumed in random order: the folds are contiguous blocks).
    y : array_like, shape (m, d) or (m,)
        Samples of ``Q``.
    features : {"quadratic", "linear"}, default "quadratic"
    l2 : float, default 1e-4
        Ridge penalty on the standardised feature weights (not the bias); the fit is
        shared with :func:`klbook.fit_log_ratio` (see :mod:`klbook._logistic`).
    folds : int, default 2
        Number of cross-fitting blocks, ``>= 2``; each block needs >= 2 samples of each.
    variant : {"plain", "dv"}, default "plain"
        Average the log ratio under ``P`` (``"plain"``) or subtract the log of its
        exponential's average under ``Q`` as well (``"dv"``).

    Returns
    -------
    float
        The estimate in nats (it can be negative).

    Raises
    ------
    ValueError
        On bad shapes, too few samples, NaN/inf, an unknown ``features`` or
        ``variant``, a negative ``l2`` or ``folds < 2``.
    TypeError
        If ``features`` or ``variant`` is not a string, or ``folds`` not an integer.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> est = classifier_kl_divergence(rng.normal(1, 1, 4000), rng.normal(0, 1, 4000))
    >>> abs(est - 0.5) < 0.1  # N(1, 1) vs N(0, 1): KL = 0.5
    True
    """
    for name, value, allowed in (("variant", variant, ("plain", "dv")), ("features", features, ("quadratic", "linear"))):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be one of {allowed}, got {type(value).__name__}")
    if variant not in ("plain", "dv"):
        raise ValueError(f"variant must be 'plain' or 'dv', got {variant!r}")
    if features not in ("quadratic", "linear"):
        raise ValueError(f"features must be 'quadratic' or 'linear', got {features!r}")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    folds = integer(folds, "folds", minimum=2)
    x, y = _pair(x, y, 2 * folds, 2 * folds)
    degree = 2 if features == "quadratic" else 1
    blocks_x = np.array_split(np.arange(len(x)), folds)
    blocks_y = np.array_split(np.arange(len(y)), folds)
    estimates = []
    for bx, by in zip(blocks_x, blocks_y):
        train_x = np.delete(x, bx, axis=0)
        train_y = np.delete(y, by, axis=0)
        logit = fit_logistic(train_x, train_y, degree=degree, l2=float(l2))
        log_ratio_x = logit(x[bx]) - np.log(len(train_x) / len(train_y))
        estimate = np.mean(log_ratio_x)
        if variant == "dv":  # the prior correction log(n/m) cancels here
            log_ratio_y = logit(y[by]) - np.log(len(train_x) / len(train_y))
            estimate -= special.logsumexp(log_ratio_y) - np.log(len(by))
        estimates.append(estimate)
    weights = np.array([len(b) for b in blocks_x], dtype=float)
    return float(np.average(estimates, weights=weights))

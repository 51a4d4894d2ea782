r"""Entropy, cross-entropy, KL and Jensen--Shannon divergences of discrete distributions.

Conventions (shared with :func:`scipy.stats.entropy` and
:func:`torch.distributions.kl_divergence`):

* a distribution lies along ``axis`` (default: the last); all other axes are
  batch axes. ``axis`` is taken in each argument separately, and the batch axes
  that remain then broadcast between ``p`` and ``q`` as numpy aligns them (from
  the right). With the default ``axis=-1`` this is plain numpy broadcasting;
  :func:`scipy.stats.entropy` instead broadcasts first and then applies ``axis``;
* results are in **nats** (natural log) unless ``base`` is given (``base=2``
  gives bits);
* ``0 log 0 = 0``, and a ``p > 0`` where ``q = 0`` makes KL and cross-entropy
  ``inf``, exactly as the definitions say;
* inputs must already be probability vectors (non-negative, summing to 1 within
  :data:`klbook._validation.SUM_ATOL`, or a looser float32 tolerance, see
  :func:`klbook._validation.sum_tolerance`, at most 1e-3 whatever the precision);
  a vector accepted within it is divided by its sum (unless it misses 1 by less
  than 1e-12), so results respect their bounds. ``normalize=True`` rescales instead.
  Unlike :func:`scipy.stats.entropy`, input far from normalised is rejected, not rescaled.

The elementwise terms come from :func:`scipy.special.entr`,
:func:`scipy.special.rel_entr` and :func:`scipy.special.xlogy`, which implement
those edge cases exactly.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ._validation import _normalize_axis, as_distribution, as_float_array, check_base, pair_of_distributions

__all__ = ["entropy", "cross_entropy", "kl_divergence", "js_divergence", "mutual_information"]


def _finish(values: np.ndarray, log_base: float | None, *, nonnegative: bool = False):
    """Convert units and return a Python float for scalar results.

    ``nonnegative`` clips the tiny negative values (around -1e-17) that floating-point
    rounding leaves when the two distributions are (nearly) equal, to the bound the
    theorem guarantees; it never touches ``inf`` or a value of any real size.
    """
    if nonnegative:
        values = np.maximum(values, 0.0)
    if log_base is not None:
        values = values / log_base
    return values.item() if values.ndim == 0 else values


def entropy(p, *, base=None, axis=-1, normalize=False):
    r"""Shannon entropy :math:`H(P) = -\sum_x P(x)\log P(x)`.

    Parameters
    ----------
    p : array_like
        Probabilities along ``axis``; other axes are a batch.
    base : float, optional
        Logarithm base of the result: ``None`` (default) gives nats, ``2`` bits.
    axis : int, default -1
        The axis that holds the outcomes.
    normalize : bool, default False
        Rescale ``p`` to sum to 1 instead of rejecting it.

    Returns
    -------
    float or ndarray
        The entropy, one value per batch element; a float for a single vector.
        ``0 log 0`` counts as 0, so ``0 <= H(P) <= log(n)`` for ``n`` outcomes.

    Raises
    ------
    ValueError
        If ``p`` is 0-d or empty, holds NaN/inf or negative entries, does not sum
        to 1 (and ``normalize`` is False), or ``base`` is <= 0, 1, or not finite;
        if ``axis`` is out of range.
    TypeError
        If ``p`` is not numeric (strings, objects, complex, masked arrays), or
        ``base``, ``axis`` or ``normalize`` has the wrong type.

    Examples
    --------
    >>> entropy([0.5, 0.5], base=2)
    1.0
    >>> round(entropy([0.9, 0.1, 0.0]), 4)
    0.3251
    """
    log_base = check_base(base)
    p = as_distribution(p, "p", axis=axis, normalize=normalize)
    return _finish(special.entr(p).sum(axis=axis), log_base)


def cross_entropy(p, q, *, base=None, axis=-1, normalize=False):
    r"""Cross-entropy :math:`H(P, Q) = -\sum_x P(x)\log Q(x) = H(P) + D_{KL}(P\|Q)`.

    The expected code length (in nats, or in bits with ``base=2``) of samples
    from ``p`` under a code that is optimal for ``q``.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``; the other axes broadcast against each other.
    base, axis, normalize
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray
        ``inf`` where some outcome has ``p > 0`` and ``q = 0``; terms with
        ``p = 0`` contribute 0 whatever ``q`` is.

    Raises
    ------
    ValueError
        On bad probabilities (see :func:`entropy`) or differing event sizes.

    Examples
    --------
    >>> cross_entropy([1.0, 0.0], [0.25, 0.75], base=2)
    2.0
    >>> cross_entropy([0.5, 0.5], [1.0, 0.0])
    inf
    """
    log_base = check_base(base)
    p, q = pair_of_distributions(p, q, axis=axis, normalize=normalize)
    return _finish(-special.xlogy(p, q).sum(axis=-1), log_base)


def kl_divergence(p, q, *, base=None, axis=-1, normalize=False):
    r"""Kullback--Leibler divergence :math:`D_{KL}(P\|Q) = \sum_x P(x)\log\frac{P(x)}{Q(x)}`.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``; the other axes broadcast against each other.
        ``p`` is the distribution the expectation is taken under.
    base, axis, normalize
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray
        ``D_KL(P||Q) >= 0`` with equality iff ``p == q`` (rounding residue below 0 is
        clipped to 0); ``inf`` where some
        outcome has ``p > 0`` and ``q = 0`` (``Q`` does not cover ``P``'s support).
        Not symmetric: ``kl_divergence(p, q) != kl_divergence(q, p)`` in general.

    Raises
    ------
    ValueError
        On bad probabilities (see :func:`entropy`) or differing event sizes.

    Notes
    -----
    Built on :func:`scipy.special.rel_entr`, whose term ``p log(p/q)`` is
    the textbook one (unlike :func:`scipy.special.kl_div`, which adds ``q - p``).

    Examples
    --------
    >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)
    0.5108
    >>> round(kl_divergence([0.9, 0.1], [0.5, 0.5]), 4)
    0.368
    >>> kl_divergence([0.5, 0.5], [1.0, 0.0])
    inf
    >>> kl_divergence([[0.5, 0.5], [1.0, 0.0]], [0.5, 0.5], base=2)
    array([0., 1.])
    """
    log_base = check_base(base)
    p, q = pair_of_distributions(p, q, axis=axis, normalize=normalize)
    return _finish(special.rel_entr(p, q).sum(axis=-1), log_base, nonnegative=True)


def js_divergence(p, q, *, base=None, axis=-1, normalize=False):
    r"""Jensen--Shannon divergence :math:`JS(P\|Q) = \tfrac12 D_{KL}(P\|M) + \tfrac12 D_{KL}(Q\|M)`.

    Here :math:`M = \tfrac12 (P + Q)`. Symmetric, always finite, and bounded:
    :math:`0 \le JS \le \log 2` (one bit with ``base=2``).

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``; the other axes broadcast.
    base, axis, normalize
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray
        The divergence itself. (:func:`scipy.spatial.distance.jensenshannon`
        returns its square root, the Jensen--Shannon *distance*.)

    Raises
    ------
    ValueError
        On bad probabilities (see :func:`entropy`) or differing event sizes.

    Examples
    --------
    >>> js_divergence([1.0, 0.0], [0.0, 1.0], base=2)
    1.0
    >>> round(js_divergence([0.5, 0.5], [0.9, 0.1]), 4)
    0.1017
    """
    log_base = check_base(base)
    p, q = pair_of_distributions(p, q, axis=axis, normalize=normalize)
    # With M = (P + Q)/2: P log(P/M) = (2P) log(2P/(P+Q)) / 2. Written this way, nothing is
    # halved, so a subnormal probability cannot underflow to a zero of M (which would give inf).
    total = p + q
    js = 0.25 * (special.rel_entr(2 * p, total) + special.rel_entr(2 * q, total)).sum(axis=-1)
    return _finish(js, log_base, nonnegative=True)


def mutual_information(joint, *, base=None, axis=(-2, -1), normalize=False):
    r"""Mutual information of a joint table: :math:`I(X;Y) = D_{KL}(P_{XY}\|P_X P_Y)`.

    .. math::

        I(X;Y) = \sum_{x,y} P(x,y)\,\log\frac{P(x,y)}{P(x)\,P(y)} .

    Parameters
    ----------
    joint : array_like, shape (..., n_x, n_y)
        ``joint[..., i, j] = P(X = i, Y = j)``; each table sums to 1. The two axes named
        by ``axis`` hold ``X`` and ``Y``; any other axes are a batch of tables.
    base : float, optional
        ``None`` for nats (default), ``2`` for bits.
    axis : pair of int, default (-2, -1)
        The axes of ``X`` and of ``Y``. With the default, a 2-D ``joint`` is one table.
    normalize : bool, default False
        Rescale each table of counts or weights to sum to 1 instead of rejecting it.

    Returns
    -------
    float or ndarray
        One value per table (a float for a single table):
        ``0 <= I(X;Y) <= min(H(X), H(Y))``; zero iff the table is the outer product of
        its marginals. Symmetric: transposing the table changes nothing.

    Raises
    ------
    ValueError
        If ``joint`` has fewer than 2 dimensions, is empty, holds NaN/inf or negative
        entries, or a table does not sum to 1 (within the tolerance of :func:`entropy`,
        and ``normalize`` is False); if ``axis`` is not two distinct axes of ``joint``.
    TypeError
        If ``joint`` is not numeric, or ``base``, ``axis`` or ``normalize`` has the wrong type.

    Notes
    -----
    Computed as :math:`\sum P\log P - \sum P\log P_X - \sum P\log P_Y` with
    :func:`scipy.special.xlogy`, so that the product of two tiny marginals cannot underflow.

    Examples
    --------
    >>> mutual_information([[0.5, 0.0], [0.0, 0.5]], base=2)
    1.0
    >>> mutual_information([[0.25, 0.25], [0.25, 0.25]])
    0.0
    >>> mutual_information([[[0.5, 0.0], [0.0, 0.5]], [[0.25, 0.25], [0.25, 0.25]]], base=2)
    array([1., 0.])
    """
    log_base = check_base(base)
    table = as_float_array(joint, "joint")
    if table.ndim < 2:
        raise ValueError(f"joint must be a table P(X=i, Y=j) with at least 2 dimensions, got {table.ndim}")
    if isinstance(axis, (str, bytes)) or not hasattr(axis, "__len__") or len(axis) != 2:
        raise TypeError(f"axis must be a pair of integers (the axes of X and Y), got {axis!r}")
    ax_x = _normalize_axis(axis[0], table.ndim, "joint")
    ax_y = _normalize_axis(axis[1], table.ndim, "joint")
    if ax_x == ax_y:
        raise ValueError(f"axis must name two different axes of joint, got {tuple(axis)}")
    table = np.moveaxis(table, (ax_x, ax_y), (-2, -1))
    shape = table.shape
    flat = table.reshape(shape[:-2] + (shape[-2] * shape[-1],))
    table = as_distribution(flat, "joint", normalize=normalize).reshape(shape)
    px = table.sum(axis=-1, keepdims=True)
    py = table.sum(axis=-2, keepdims=True)
    # sum P(x,y) [log P(x,y) - log P(x) - log P(y)]: in logs, so that the product of two
    # tiny marginals cannot underflow to 0 (which would turn a ~0 MI into inf).
    terms = special.xlogy(table, table) - special.xlogy(table, px) - special.xlogy(table, py)
    total = terms.sum() if terms.ndim == 2 else terms.sum(axis=(-2, -1))
    return _finish(np.asarray(total), log_base, nonnegative=True)

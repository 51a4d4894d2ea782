r"""Mutual information, the information bottleneck and neural MI estimators.

* :func:`information_bottleneck` -- the self-consistent iterations of Tishby,
  Pereira & Bialek (1999) for a discrete joint table ``p(x, y)``;
* :func:`information_curve` -- the same, annealed over an increasing list of
  :math:`\beta`, each solution warm-starting the next;
* :func:`maximal_correlation` -- the Hirschfeld--Gebelein--Renyi maximal correlation
  :math:`\rho_m` of a table; :math:`1/\rho_m^2` is the :math:`\beta` at which the
  trivial bottleneck solution loses stability;
* :func:`gaussian_mutual_information` -- :math:`-\tfrac12\log(1-\rho^2)` for a
  bivariate normal, and :func:`gaussian_cell_probabilities`, its probabilities on a grid;
* :func:`dv_lower_bound`, :func:`nwj_lower_bound`, :func:`infonce_lower_bound`,
  :func:`mine_loss` -- the Donsker--Varadhan (MINE), NWJ and InfoNCE lower bounds on mutual information,
  computed from a matrix of critic scores, or a stack of them (torch tensors).

Everything is in **nats**. The bottleneck's trade-off parameter :math:`\beta` is
unit-free in the Lagrangian :math:`I(X;T) - \beta I(T;Y)`, but the update
:math:`p(t|x) \propto p(t)\exp(-\beta D_{KL})` needs the KL in nats: computing
that KL in bits silently multiplies :math:`\beta` by :math:`1/\ln 2`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from ._validation import as_distribution, as_float_array, check_finite, check_tensor, generator, is_tensor, real
from .divergences import mutual_information

__all__ = [
    "IBResult",
    "information_bottleneck",
    "information_curve",
    "maximal_correlation",
    "gaussian_mutual_information",
    "gaussian_cell_probabilities",
    "dv_lower_bound",
    "infonce_lower_bound",
    "nwj_lower_bound",
    "mine_loss",
]


# --- tables --------------------------------------------------------------------------------------


def _joint_table(p_xy, name: str = "p_xy") -> np.ndarray:
    """A validated 2-D joint probability table (non-negative, finite, summing to 1)."""
    table = as_float_array(p_xy, name)
    if table.ndim != 2:
        raise ValueError(f"{name} must be a 2-D table p(x, y), got {table.ndim} dimension(s)")
    return as_distribution(table.reshape(-1), name).reshape(table.shape)


def maximal_correlation(p_xy) -> float:
    r"""Hirschfeld--Gebelein--Renyi maximal correlation of a discrete joint table.

    .. math::

        \rho_m(X;Y) = \sup_{f,g} \operatorname{corr}(f(X), g(Y))
                    = \sigma_2\!\left(\frac{p(x,y)}{\sqrt{p(x)\,p(y)}}\right),

    the second-largest singular value of the normalised table (the largest is 1).
    For the information bottleneck, :math:`\beta_c = 1/\rho_m^2` is where the
    trivial encoder (``T`` independent of ``X``) stops being a local optimum.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint probabilities summing to 1. Rows or columns of zeros are ignored.

    Returns
    -------
    float
        :math:`0 \le \rho_m \le 1`; 0 iff ``X`` and ``Y`` are independent, 1 when they
        share a deterministic non-constant function. For a jointly Gaussian pair it
        equals :math:`|\rho|`.

    Raises
    ------
    ValueError
        If ``p_xy`` is not a valid 2-D probability table.

    Examples
    --------
    >>> eps = 0.1  # binary symmetric channel with a uniform input
    >>> round(maximal_correlation([[0.5 * (1 - eps), 0.5 * eps], [0.5 * eps, 0.5 * (1 - eps)]]), 6)
    0.8
    >>> maximal_correlation([[0.25, 0.25], [0.25, 0.25]])
    0.0
    """
    table = _joint_table(p_xy)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return 0.0
    px, py = table.sum(axis=1), table.sum(axis=0)
    b = table / np.sqrt(np.outer(px, py))
    sv = np.linalg.svd(b, compute_uv=False)
    return float(min(max(sv[1], 0.0), 1.0)) if sv[1] > 1e-12 else 0.0


def gaussian_mutual_information(rho):
    r"""Mutual information of a bivariate normal with correlation ``rho``, in nats.

    .. math::

        I(X;Y) = -\tfrac12 \log(1 - \rho^2).

    Parameters
    ----------
    rho : array_like
        Correlation coefficients in :math:`[-1, 1]`.

    Returns
    -------
    float or ndarray
        0 at :math:`\rho = 0`, ``inf`` at :math:`|\rho| = 1`. For ``d`` independent
        pairs with the same correlation, multiply by ``d``.

    Raises
    ------
    ValueError
        If some ``|rho| > 1`` or is NaN.

    Examples
    --------
    >>> gaussian_mutual_information(0.0)
    0.0
    >>> round(gaussian_mutual_information(0.8), 4)  # -0.5 * log(0.36)
    0.5108
    """
    r = as_float_array(rho, "rho")
    if np.isnan(r).any():
        raise ValueError("rho contains NaN")
    if (np.abs(r) > 1).any():
        raise ValueError(f"rho must lie in [-1, 1], got a value of {r.flat[np.argmax(np.abs(r))]:.6g}")
    with np.errstate(divide="ignore"):
        mi = -0.5 * np.log1p(-(r**2))
    mi = mi + 0.0  # turn -0.0 into 0.0
    return mi.item() if mi.ndim == 0 else mi


def gaussian_cell_probabilities(rho, edges, edges_y=None, *, n_nodes=6):
    r"""Probabilities of the cells of a grid under a standard bivariate normal with correlation ``rho``.

    For :math:`(X, Y)` standard normal with correlation :math:`\rho` and cells
    :math:`[a_i, a_{i+1}) \times [b_j, b_{j+1})`,

    .. math::

        P_{ij} = \int_{a_i}^{a_{i+1}} \varphi(x)\,\Bigl[\Phi\Bigl(\frac{b_{j+1} - \rho x}{s}\Bigr)
                 - \Phi\Bigl(\frac{b_j - \rho x}{s}\Bigr)\Bigr]\,dx, \qquad s = \sqrt{1 - \rho^2},

    since :math:`Y \mid X = x \sim \mathcal N(\rho x, s^2)`. The inner probability is exact
    (:func:`scipy.special.ndtr`); the integral over :math:`x` is Gauss--Legendre quadrature
    with ``n_nodes`` nodes on pieces no wider than :math:`\min(0.1, 0.1\,s)` (wider bins are
    split), which makes each cell accurate to about 1e-12 for ``n_nodes = 6``.
    The discretised pair is a function of :math:`(X, Y)`, so by data processing the mutual
    information of the table is at most :math:`-\tfrac12\log(1-\rho^2)`
    (:func:`gaussian_mutual_information`), and it grows as the grid is refined.

    Parameters
    ----------
    rho : float
        Correlation, :math:`-1 < \rho < 1`.
    edges : array_like, shape (k + 1,)
        Strictly increasing bin edges of :math:`X` (``-inf`` and ``inf`` allowed at the ends).
    edges_y : array_like, shape (l + 1,), optional
        Bin edges of :math:`Y` (default: ``edges``).
    n_nodes : int, default 6
        Gauss--Legendre nodes per piece, 1 to 50.

    Returns
    -------
    ndarray, shape (k, l)
        The cell probabilities. They sum to the probability of the whole grid (1 when the
        outer edges are infinite); divide by the sum for the distribution conditional on
        the grid.

    Raises
    ------
    ValueError
        If ``|rho| >= 1`` or ``rho`` is not finite, an edge vector has fewer than 2 entries,
        holds NaN or is not strictly increasing, or ``n_nodes`` is out of range.
    TypeError
        If ``rho`` or ``n_nodes`` has the wrong type, or the edges are not numeric.

    Examples
    --------
    >>> quadrants = gaussian_cell_probabilities(0.5, [-np.inf, 0.0, np.inf])
    >>> round(float(quadrants[1, 1]), 10)  # 1/4 + arcsin(rho) / (2 pi) = 1/3
    0.3333333333
    >>> table = gaussian_cell_probabilities(0.8, np.linspace(-8, 8, 257))
    >>> round(mutual_information(table), 4), round(gaussian_mutual_information(0.8), 4)  # below, by data processing
    (0.5102, 0.5108)
    """
    rho = real(rho, "rho", low=-1.0, high=1.0, low_open=True, high_open=True)
    n_nodes = _check_int(n_nodes, "n_nodes", 1, 50)
    ex = _edges(edges, "edges")
    ey = ex if edges_y is None else _edges(edges_y, "edges_y")
    s = math.sqrt(1.0 - rho * rho)
    # x-pieces: the finite part of each bin (|x| <= 40: phi(40) ~ 1e-348), split into
    # pieces no wider than h
    h = 0.1 * min(1.0, s)
    lo, hi = np.clip(ex[:-1], -40.0, 40.0), np.clip(ex[1:], -40.0, 40.0)
    n_pieces = np.maximum(1, np.ceil((hi - lo) / h).astype(np.int64))
    owner = np.repeat(np.arange(len(lo)), n_pieces)  # the bin of each piece
    first = np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
    k = np.arange(owner.size) - first
    width = (hi - lo)[owner] / n_pieces[owner]
    a = lo[owner] + k * width
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    x = a[:, None] + width[:, None] / 2 * (nodes + 1)  # (pieces, nodes)
    w = width[:, None] / 2 * weights * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    cdf = special.ndtr((ey[None, None, :] - rho * x[:, :, None]) / s)  # (pieces, nodes, edges_y)
    per_piece = np.einsum("pn,pnj->pj", w, np.diff(cdf, axis=2))
    return np.add.reduceat(per_piece, np.cumsum(n_pieces) - n_pieces, axis=0)


def _check_int(value, name, low, high) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return int(value)


def _edges(edges, name) -> np.ndarray:
    e = as_float_array(edges, name)
    if e.ndim != 1 or e.size < 2:
        raise ValueError(f"{name} must be a 1-D array of at least 2 bin edges, got shape {e.shape}")
    if np.isnan(e).any():
        raise ValueError(f"{name} contains NaN")
    if (np.diff(e) <= 0).any():
        raise ValueError(f"{name} must be strictly increasing")
    return e


# --- the information bottleneck ---------------------------------------------------------------


@dataclass(frozen=True)
class IBResult:
    r"""A solution of the information bottleneck at one :math:`\beta`.

    Attributes
    ----------
    encoder : ndarray, shape (n_x, n_t)
        :math:`p(t|x)`; every row sums to 1.
    p_t : ndarray, shape (n_t,)
        The cluster marginal :math:`p(t) = \sum_x p(x) p(t|x)`.
    p_y_given_t : ndarray, shape (n_t, n_y)
        The decoder :math:`p(y|t)` (rows of unused clusters are set to :math:`p(y)`).
    i_xt, i_ty : float
        :math:`I(X;T)` (the rate, "compression") and :math:`I(T;Y)` (the relevant
        information), in nats.
    beta : float
        The trade-off parameter the solution was found at.
    n_iter : int
        Iterations run.
    converged : bool
        Whether the encoder moved by less than ``tol`` in the last iteration.
    history : ndarray
        The Lagrangian :math:`I(X;T) - \beta I(T;Y)` of the encoder entering each
        iteration (non-increasing).
    """

    encoder: np.ndarray
    p_t: np.ndarray
    p_y_given_t: np.ndarray
    i_xt: float
    i_ty: float
    beta: float
    n_iter: int
    converged: bool
    history: np.ndarray = field(repr=False)

    @property
    def objective(self) -> float:
        r"""The IB Lagrangian :math:`\mathcal L = I(X;T) - \beta I(T;Y)` (lower is better)."""
        return self.i_xt - self.beta * self.i_ty

    @property
    def n_used(self) -> int:
        """Number of distinct clusters in use (equal decoders counted once)."""
        used = self.p_y_given_t[self.p_t > 1e-12]
        if used.size == 0:
            return 0
        return int(np.unique(np.round(used, 6), axis=0).shape[0])


def _mi(joint, row, col) -> float:
    """Mutual information of a joint table with known marginals (no validation; nats)."""
    return float(special.rel_entr(joint, np.outer(row, col)).sum())


def _check_beta(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise TypeError(f"beta must be a real number, got {type(beta).__name__}")
    if not math.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be finite and >= 0, got {beta}")
    return float(beta)


def _check_n_clusters(n_clusters) -> int:
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral):
        raise TypeError(f"n_clusters must be an integer, got {type(n_clusters).__name__}")
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be >= 1, got {n_clusters}")
    if n_clusters > 10**6:
        raise ValueError(f"n_clusters must be <= 10**6, got {n_clusters}")
    return int(n_clusters)


def _log_normalize(logits: np.ndarray) -> np.ndarray:
    """Subtract the row-wise log-sum-exp (rows of -inf stay -inf without warnings)."""
    top = logits.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return logits - (top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))


def _ib_step(q, p_x, p_y_given_x, y_support, neg_h_yx, dead_x, beta):
    """One round of the three self-consistent equations.

    Takes the encoder ``q = p(t|x)``; returns the new encoder and, for the old one,
    ``p(x, t)``, ``p(t, y)`` and ``p(t)``.
    """
    p_xt = p_x[:, None] * q
    p_t = p_xt.sum(axis=0)
    p_ty = p_xt.T @ p_y_given_x  # p(t, y)
    used = p_t > 0
    p_y_given_t = np.where(used[:, None], p_ty / np.where(used, p_t, 1.0)[:, None], 0.0)
    with np.errstate(divide="ignore"):
        log_p_t = np.log(p_t)
        log_pyt = np.log(p_y_given_t)
    zero = p_y_given_t == 0.0
    # D[x, t] = KL(p(y|x) || p(y|t)) = sum_y p(y|x) log p(y|x) - sum_y p(y|x) log p(y|t),
    # with 0 log 0 = 0 and D = inf where p(y|t) = 0 < p(y|x).
    cross = p_y_given_x @ np.where(zero, 0.0, log_pyt).T
    d = neg_h_yx[:, None] - cross
    d[(y_support @ zero.T) > 0] = np.inf
    logits = log_p_t[None, :] - beta * d if beta > 0 else np.broadcast_to(log_p_t, d.shape).copy()
    new = np.exp(_log_normalize(logits))
    # x with p(x) = 0 play no role, and no x can be infinitely far from every cluster
    # unless the encoder underflowed: both get the prior p(t).
    stuck = dead_x | ~np.isfinite(logits).any(axis=1)
    if stuck.any():
        new[stuck] = p_t / p_t.sum()
    return new, p_xt, p_ty, p_t


def information_bottleneck(
    p_xy, beta, n_clusters, *, init=None, max_iter=2000, tol=1e-10, seed=None
) -> IBResult:
    r"""The information bottleneck of a discrete joint :math:`p(x, y)` at trade-off ``beta``.

    Finds a stochastic encoder :math:`p(t|x)` onto ``n_clusters`` values that
    (locally) minimises the Lagrangian

    .. math::

        \mathcal L[p(t|x)] = I(X;T) - \beta\, I(T;Y),
        \qquad T - X - Y \text{ a Markov chain},

    by iterating the self-consistent equations of Tishby, Pereira & Bialek (1999)
    until the encoder stops moving:

    .. math::

        p(t|x) &= \frac{p(t)}{Z(x,\beta)} \exp\bigl(-\beta\, D_{KL}[p(y|x)\,\|\,p(y|t)]\bigr), \\
        p(t) &= \textstyle\sum_x p(x)\, p(t|x), \qquad
        p(y|t) = \frac{1}{p(t)} \textstyle\sum_x p(x)\, p(t|x)\, p(y|x).

    The normalisation :math:`Z(x,\beta)` is done in the log domain, so large
    ``beta`` (nearly hard clusters) neither overflows nor divides 0 by 0.
    Each iteration cannot increase :math:`\mathcal L` (see ``history``).

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint probabilities summing to 1. Rows with :math:`p(x) = 0` are allowed
        and get the encoder :math:`p(t)`.
    beta : float
        Trade-off :math:`\beta \ge 0` (unit-free; the KL in the update is in nats).
    n_clusters : int
        Cardinality of ``T``. With ``n_clusters >= n_x`` and large ``beta`` the
        encoder can become a relabelling of ``X`` and :math:`I(T;Y) \to I(X;Y)`.
    init : array_like, shape (n_x, n_clusters), optional
        Initial encoder :math:`p(t|x)` (rows summing to 1), e.g. the solution at a
        smaller ``beta`` for annealing. Default: random rows from a flat Dirichlet.
    max_iter : int, default 2000
        Maximum number of iterations.
    tol : float, default 1e-10
        Stop when no entry of the encoder changes by more than ``tol``.
    seed : int or numpy.random.Generator, optional
        Randomness of the default initial encoder.

    Returns
    -------
    IBResult
        The encoder, :math:`p(t)`, :math:`p(y|t)`, :math:`I(X;T)`, :math:`I(T;Y)` (nats)
        and convergence information. Always :math:`I(T;Y) \le I(X;Y)` (data processing)
        and :math:`I(X;T) \le \min(H(X), \log n_t)`. The solution is a *local* optimum:
        random starts at large ``beta`` can get stuck; anneal with
        :func:`information_curve`.

    Raises
    ------
    ValueError
        If ``p_xy`` is not a valid 2-D probability table, ``beta`` is negative or not
        finite, ``n_clusters < 1``, or ``init`` has the wrong shape or is not row-stochastic.
    TypeError
        If ``beta`` or ``n_clusters`` has the wrong type.

    Examples
    --------
    >>> p_xy = np.array([[0.4, 0.1], [0.1, 0.4]])
    >>> res = information_bottleneck(p_xy, beta=50.0, n_clusters=2, seed=0)
    >>> round(res.i_ty, 4) == round(mutual_information(p_xy), 4)
    True
    >>> round(information_bottleneck(p_xy, beta=0.5, n_clusters=2, seed=0).i_xt, 6)
    0.0
    """
    table = _joint_table(p_xy)
    beta = _check_beta(beta)
    n_t = _check_n_clusters(n_clusters)
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not (isinstance(tol, numbers.Real) and tol >= 0):
        raise ValueError(f"tol must be a non-negative number, got {tol!r}")
    n_x = table.shape[0]
    p_x = table.sum(axis=1)
    live = p_x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p_y_given_x = np.where(live[:, None], table / p_x[:, None], table.sum(axis=0)[None, :])
    neg_h_yx = -special.entr(p_y_given_x).sum(axis=1)
    p_y = table.sum(axis=0)
    if init is None:
        rng = np.random.default_rng() if seed is None else generator(seed, "seed")
        q0 = rng.dirichlet(np.ones(n_t), size=n_x)
    else:
        q0 = as_float_array(init, "init")
        if q0.shape != (n_x, n_t):
            raise ValueError(f"init must have shape (n_x, n_clusters) = {(n_x, n_t)}, got {q0.shape}")
        check_finite(q0, "init")
        q0 = as_distribution(q0, "init", axis=1)
    q = q0
    y_support = (p_y_given_x > 0).astype(np.float64)
    dead_x = ~live
    history = []
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        new, p_xt, p_ty, p_t = _ib_step(q, p_x, p_y_given_x, y_support, neg_h_yx, dead_x, beta)
        history.append(_mi(p_xt, p_x, p_t) - beta * _mi(p_ty, p_t, p_y))
        delta = np.max(np.abs(new - q))
        q = new
        if delta <= tol:
            converged = True
            break
    p_xt = p_x[:, None] * q
    p_t = p_xt.sum(axis=0)
    p_ty = p_xt.T @ p_y_given_x
    with np.errstate(divide="ignore", invalid="ignore"):
        p_y_given_t = np.where(p_t[:, None] > 0, p_ty / p_t[:, None], p_y[None, :])
    return IBResult(
        encoder=q,
        p_t=p_t,
        p_y_given_t=p_y_given_t,
        i_xt=max(0.0, mutual_information(p_xt, normalize=True)),
        i_ty=max(0.0, mutual_information(p_ty, normalize=True)),
        beta=beta,
        n_iter=n_iter,
        converged=converged,
        history=np.asarray(history),
    )


def information_curve(p_xy, betas, n_clusters, *, perturb=1e-2, seed=0, **kwargs) -> list[IBResult]:
    r"""Deterministic annealing: solve the bottleneck for increasing ``betas``, warm-starting each.

    The first :math:`\beta` starts from a random encoder; every later one starts
    from the previous solution, reorganised: clusters with the same decoder
    :math:`p(y|t)` are merged, and the freed slots are filled with copies of the live
    clusters, each copy taking a share :math:`\propto e^{\epsilon\,\xi_{xt}}`,
    :math:`\xi \sim \mathcal N(0, 1)`, of its cluster's :math:`p(t|x)`. A copy that is
    not worth keeping at the next :math:`\beta` merges back; one that is splits off,
    so the solution can follow each phase transition as :math:`\beta` grows. Following the solution up from small
    :math:`\beta` avoids most of the poor local optima a random start at large
    :math:`\beta` falls into.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint probabilities.
    betas : array_like, shape (n_beta,)
        Strictly increasing, non-negative trade-off values.
    n_clusters : int
        Cardinality of ``T``.
    perturb : float, default 1e-2
        Size :math:`\epsilon` of the log-scale perturbation between steps, in [0, 10].
    seed : int, default 0
        Seeds the first encoder and the perturbations.
    **kwargs
        Passed to :func:`information_bottleneck` (``max_iter``, ``tol``).

    Returns
    -------
    list of IBResult
        One solution per ``beta``, in order; ``[r.i_xt for r in ...]`` and
        ``[r.i_ty for r in ...]`` trace the information curve (nats).

    Raises
    ------
    ValueError
        If ``betas`` is empty, not 1-D, or not strictly increasing, or ``perturb`` is outside [0, 10].

    Examples
    --------
    >>> p_xy = np.array([[0.4, 0.1], [0.1, 0.4]])
    >>> curve = information_curve(p_xy, [0.5, 2.0, 5.0, 50.0], n_clusters=2)
    >>> [round(r.i_xt, 2) for r in curve]  # trivial below 1 / maximal_correlation(p_xy)**2 = 2.78
    [0.0, 0.0, 0.6, 0.69]
    """
    b = as_float_array(betas, "betas")
    if b.ndim != 1 or b.size == 0:
        raise ValueError(f"betas must be a non-empty 1-D array, got shape {b.shape}")
    check_finite(b, "betas")
    if (np.diff(b) <= 0).any():
        raise ValueError("betas must be strictly increasing (annealing follows beta upwards)")
    perturb = real(perturb, "perturb", low=0.0, high=10.0)
    rng = generator(seed, "seed")
    results = []
    init = None
    for beta in b:
        res = information_bottleneck(p_xy, float(beta), n_clusters, init=init, seed=rng, **kwargs)
        results.append(res)
        init = _split_clusters(res, perturb, rng)
    return results


def _split_clusters(res: IBResult, perturb: float, rng: np.random.Generator) -> np.ndarray:
    """Warm start for the next beta: merge coinciding clusters, then split the live ones into the free slots.

    Clusters whose decoders p(y|t) agree (within 1e-4) are one cluster; clusters with
    p(t) ~ 0 are free. Every free slot becomes a copy of a live cluster (the most
    probable first), the copies sharing that cluster's mass with independent
    multiplicative noise of size ``perturb``, so that each can follow its own branch
    when the next beta makes the split worthwhile.
    """
    enc = res.encoder
    n_t = enc.shape[1]
    order = np.argsort(-res.p_t, kind="stable")
    reps: list[int] = []
    merged = np.zeros_like(enc)
    for t in order:
        if res.p_t[t] <= 1e-12:
            continue
        for r in reps:
            if np.max(np.abs(res.p_y_given_t[t] - res.p_y_given_t[r])) < 1e-4:
                merged[:, r] += enc[:, t]
                break
        else:
            reps.append(int(t))
            merged[:, t] = enc[:, t]
    if not reps:  # cannot happen for a valid table; keep the encoder
        return enc
    free = [t for t in range(n_t) if t not in reps]
    copies = {r: [r] for r in reps}
    for i, t in enumerate(free):
        copies[reps[i % len(reps)]].append(t)
    init = np.zeros_like(enc)
    for r, slots in copies.items():
        noise = np.exp(perturb * rng.standard_normal((enc.shape[0], len(slots))))
        init[:, slots] = merged[:, [r]] * noise / noise.sum(axis=1, keepdims=True)
    init = init / init.sum(axis=1, keepdims=True)
    return 0.999999 * init + 1e-6 / n_t  # no exact zeros: every cluster can still grow


# --- neural estimators (torch) ----------------------------------------------------------------


def _check_scores(scores):
    import torch

    if not (is_tensor(scores) and scores.is_floating_point() and bool(torch.isfinite(scores).all())):
        check_tensor(scores, "scores", allow_empty=True)  # raises the error that names the problem
    if scores.ndim < 2 or scores.shape[-1] != scores.shape[-2] or scores.shape[-1] < 2:
        raise ValueError(
            f"scores must be a square (n, n) matrix with n >= 2, scores[..., i, j] = f(x_i, y_j) "
            f"(or a stack of them, shape (..., n, n)); got shape {tuple(scores.shape)}"
        )
    if scores.numel() == 0:
        raise ValueError(f"scores is empty (shape {tuple(scores.shape)})")
    return torch


def _off_diagonal(scores):
    """The n(n - 1) off-diagonal entries of each (n, n) matrix, as a view of shape (..., n - 1, n).

    Flattened, the diagonal sits at every (n + 1)-th entry: dropping the first entry and
    reading the rest as rows of n + 1 puts the diagonal in the last column.
    """
    n = scores.shape[-1]
    flat = scores.reshape(*scores.shape[:-2], n * n)[..., 1:]
    return flat.reshape(*scores.shape[:-2], n - 1, n + 1)[..., :-1]


def dv_lower_bound(scores):
    r"""Donsker--Varadhan lower bound on :math:`I(X;Y)` from a matrix of critic scores.

    .. math::

        I(X;Y) = D_{KL}(P_{XY}\|P_X P_Y) \ge
        \mathbb E_{P_{XY}}[f] - \log \mathbb E_{P_X P_Y}[e^{f}],

    with equality for :math:`f = \log\frac{p(x,y)}{p(x)p(y)} + c`. The batch gives the
    joint samples on the diagonal ``scores[i, i] = f(x_i, y_i)`` and the :math:`n(n-1)`
    off-diagonal pairs as samples of the product of marginals. This is the bound MINE
    (Belghazi et al., 2018) maximises; its plug-in estimate of :math:`\log\mathbb E[e^f]`
    is biased and has a variance that grows quickly with the MI.

    Parameters
    ----------
    scores : torch.Tensor, shape (..., n, n)
        ``scores[..., i, j] = f(x_i, y_j)`` for a batch of ``n >= 2`` joint samples; leading
        axes hold independent batches (or critics), each with its own bound.

    Returns
    -------
    torch.Tensor
        Shape ``scores.shape[:-2]`` (a scalar for one matrix), in nats, differentiable with
        respect to the scores.

    Raises
    ------
    TypeError
        If ``scores`` is not a floating-point tensor.
    ValueError
        If ``scores`` holds NaN or inf, or its last two axes are not square with ``n >= 2``.

    Examples
    --------
    >>> import torch
    >>> float(dv_lower_bound(torch.zeros(4, 4)))  # a constant critic proves nothing
    0.0
    >>> dv_lower_bound(torch.zeros(3, 4, 4)).shape  # three critics at once
    torch.Size([3])
    """
    torch = _check_scores(scores)
    n = scores.shape[-1]
    diag = torch.diagonal(scores, dim1=-2, dim2=-1)
    return diag.mean(-1) - (torch.logsumexp(_off_diagonal(scores), dim=(-2, -1)) - math.log(n * (n - 1)))


def infonce_lower_bound(scores):
    r"""InfoNCE lower bound on :math:`I(X;Y)` (van den Oord et al., 2018) from critic scores.

    .. math::

        I(X;Y) \ge \mathbb E\Bigl[\frac1n \sum_{i=1}^n
        \log \frac{e^{f(x_i, y_i)}}{\frac1n\sum_{j=1}^n e^{f(x_i, y_j)}}\Bigr],

    a ``n``-way classification of the true partner among the batch. Low variance, but
    every term is at most :math:`\log n`, so the bound can never exceed
    :math:`\log n` nats whatever the true MI (Poole et al., 2019).

    Parameters
    ----------
    scores : torch.Tensor, shape (..., n, n)
        ``scores[..., i, j] = f(x_i, y_j)``; leading axes hold independent batches.

    Returns
    -------
    torch.Tensor
        Shape ``scores.shape[:-2]``, in nats, in :math:`(-\infty, \log n]`, differentiable.

    Raises
    ------
    TypeError, ValueError
        As in :func:`dv_lower_bound`.

    Examples
    --------
    >>> import torch
    >>> float(infonce_lower_bound(torch.zeros(8, 8)))
    0.0
    >>> round(float(infonce_lower_bound(100.0 * torch.eye(8))), 4)  # the ceiling log 8
    2.0794
    """
    torch = _check_scores(scores)
    n = scores.shape[-1]
    diag = torch.diagonal(scores, dim1=-2, dim2=-1)
    return (diag - torch.logsumexp(scores, dim=-1)).mean(-1) + math.log(n)


def nwj_lower_bound(scores):
    r"""NWJ lower bound on :math:`I(X;Y)` (Nguyen, Wainwright & Jordan, 2010) from critic scores.

    .. math::

        I(X;Y) = D_{KL}(P_{XY}\|P_X P_Y) \ge
        \mathbb E_{P_{XY}}[f] - \mathbb E_{P_X P_Y}\bigl[e^{f - 1}\bigr],

    the Fenchel-dual (f-divergence) bound of KL, tight at
    :math:`f = 1 + \log\frac{p(x,y)}{p(x)p(y)}`. For the same critic it lies below the
    Donsker--Varadhan bound (:func:`dv_lower_bound`), since :math:`\log u \le u/e`; but both
    of its terms are plain averages, so a batch gives an *unbiased* estimate of it. As in
    :func:`dv_lower_bound`, the diagonal of ``scores`` holds the joint samples and the
    :math:`n(n-1)` off-diagonal pairs the product of marginals. It equals
    ``variational_bound(diagonal, off_diagonal, "kl")`` (:func:`klbook.variational_bound`).

    Parameters
    ----------
    scores : torch.Tensor, shape (..., n, n)
        ``scores[..., i, j] = f(x_i, y_j)``; leading axes hold independent batches.

    Returns
    -------
    torch.Tensor
        Shape ``scores.shape[:-2]``, in nats, differentiable; ``-inf`` where
        :math:`e^{f-1}` overflows.

    Raises
    ------
    TypeError, ValueError
        As in :func:`dv_lower_bound`.

    Examples
    --------
    >>> import torch
    >>> float(nwj_lower_bound(torch.ones(4, 4)))  # the constant critic 1 proves nothing
    0.0
    """
    torch = _check_scores(scores)
    diag = torch.diagonal(scores, dim1=-2, dim2=-1)
    return diag.mean(-1) - torch.exp(_off_diagonal(scores) - 1.0).mean(dim=(-2, -1))


def mine_loss(scores, log_running_mean=None, *, momentum=0.01):
    r"""MINE's training loss: the negated DV bound with a bias-corrected gradient.

    The gradient of :math:`\log \mathbb E[e^f]` estimated on a mini-batch is biased.
    Belghazi et al. (2018) replace its denominator by an exponential moving average
    :math:`m` of :math:`\mathbb E_{P_XP_Y}[e^f]` across batches: the returned loss has the
    value of :math:`-\text{DV}` (see :func:`dv_lower_bound`) but the gradient of
    :math:`-\mathbb E_{P_{XY}}[f] + \mathbb E_{P_XP_Y}[e^f]/m`. The average is kept as
    :math:`\log m`, so large scores cannot overflow it.

    Parameters
    ----------
    scores : torch.Tensor, shape (..., n, n)
        ``scores[..., i, j] = f(x_i, y_j)``; leading axes hold independent critics, each
        with its own moving average.
    log_running_mean : torch.Tensor or None
        :math:`\log m` from the previous step, shape ``scores.shape[:-2]`` (``None`` on the
        first step).
    momentum : float, default 0.01
        Weight :math:`\alpha` of the current batch:
        :math:`m \leftarrow (1-\alpha)\, m + \alpha\, \overline{e^f}`, in (0, 1].

    Returns
    -------
    loss : torch.Tensor
        Shape ``scores.shape[:-2]`` (a scalar for one matrix): one loss per critic to
        minimise (sum them to train a stack of critics).
    log_running_mean : torch.Tensor
        The updated (detached) :math:`\log m`, to pass back at the next step.

    Raises
    ------
    ValueError
        If ``momentum`` is not in (0, 1], on bad ``scores``, or if ``log_running_mean`` holds
        NaN or inf or does not have the shape ``scores.shape[:-2]``.
    TypeError
        If ``momentum`` is not a number or ``log_running_mean`` not a tensor.

    Examples
    --------
    >>> import torch
    >>> loss, log_m = mine_loss(torch.zeros(4, 4))
    >>> float(loss), float(log_m)
    (0.0, 0.0)
    >>> loss, log_m = mine_loss(torch.zeros(5, 4, 4), log_m.expand(5))  # five critics
    >>> tuple(loss.shape), tuple(log_m.shape)
    ((5,), (5,))
    """
    torch = _check_scores(scores)
    momentum = real(momentum, "momentum", low=0.0, high=1.0, low_open=True)
    batch = scores.shape[:-2]
    if log_running_mean is not None:
        check_tensor(log_running_mean, "log_running_mean", allow_inf=False)
        if log_running_mean.shape != batch and not (batch == () and log_running_mean.numel() == 1):
            raise ValueError(
                f"log_running_mean must have the shape of scores without its last two axes, "
                f"{tuple(batch)}; got shape {tuple(log_running_mean.shape)}"
            )
        log_running_mean = log_running_mean.reshape(batch)
    joint = torch.diagonal(scores, dim1=-2, dim2=-1).mean(-1)
    n = scores.shape[-1]
    # log of the batch mean of e^f over the n(n - 1) mismatched pairs
    log_mean_exp = torch.logsumexp(_off_diagonal(scores), dim=(-2, -1)) - math.log(n * (n - 1))
    lme = log_mean_exp.detach()
    if log_running_mean is None:
        log_m = lme
    else:
        log_m = torch.logaddexp(
            math.log1p(-momentum) + log_running_mean.detach() if momentum < 1 else torch.full_like(lme, -math.inf),
            math.log(momentum) + lme,
        )
    # value: -(joint - log_mean_exp); gradient: -d joint + d(mean e^f) / m
    surrogate = torch.exp(log_mean_exp - log_m)
    loss = -(joint - lme) + (surrogate - surrogate.detach())
    return loss, log_m

r"""Maximum likelihood as KL minimisation: numerical KL of densities and Bernoulli mixtures.

* :func:`kl_quad` -- :math:`D_{KL}(P\|Q) = \int p(x)\log\frac{p(x)}{q(x)}\,dx` for two
  one-dimensional densities by adaptive quadrature, the check used when no
  closed form is at hand;
* :func:`fit_bernoulli_mixture` -- a mixture of independent Bernoullis fitted to binary
  vectors by expectation--maximisation (Dempster, Laird & Rubin 1977; Bishop 2006, sec. 9.3.3),
  with Beta pseudo-counts so that no pixel probability is exactly 0 or 1;
* :class:`BernoulliMixture` -- the fitted model: log-likelihood of new data (nats per
  vector), responsibilities, samples, and the per-iteration training traces.

Everything is vectorised with numpy and computed in log space (log-sum-exp for the
responsibilities), so thousands of 64-pixel images take milliseconds per EM step.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import integrate
from scipy.special import logsumexp

from ._validation import as_float_array, check_finite, integer, real

__all__ = ["kl_quad", "BernoulliMixture", "fit_bernoulli_mixture", "bernoulli_log_likelihood"]


# --- numerical KL of one-dimensional densities -------------------------------------------------


def kl_quad(logpdf_p, logpdf_q, *, lower=-np.inf, upper=np.inf, epsabs=1e-12, epsrel=1e-10, limit=200):
    r"""KL divergence of two 1-D densities by quadrature, :math:`\int_a^b p(x)\log\frac{p(x)}{q(x)}\,dx`.

    Parameters
    ----------
    logpdf_p, logpdf_q : callable
        ``x -> log p(x)`` and ``x -> log q(x)`` for a float ``x`` (e.g. ``scipy.stats.norm(0, 1).logpdf``).
        ``P`` is the distribution the expectation is taken under.
    lower, upper : float, default -inf, inf
        The support of ``P`` (the integration range); ``P`` must put all its mass there.
    epsabs, epsrel, limit
        Passed to :func:`scipy.integrate.quad`.

    Returns
    -------
    float
        The divergence in nats. Points where ``p(x) = 0`` contribute 0 (``0 log 0 = 0``);
        ``inf`` if ``q(x) = 0`` where ``p(x) > 0`` on a set that the quadrature samples.
        Quadrature error can leave a value a few ``1e-13`` below 0 when ``P = Q``.

    Raises
    ------
    TypeError
        If ``logpdf_p`` or ``logpdf_q`` is not callable.
    ValueError
        If a log density returns NaN or +inf, or the quadrature does not converge
        to a finite value that it can vouch for (a divergent tail is reported as ``inf``);
        if ``lower >= upper``, a bound is NaN, or ``p`` does not integrate to 1 on
        ``[lower, upper]`` (within ``1e-6``): a wrong support or an unnormalised density.

    Examples
    --------
    >>> from scipy import stats
    >>> p, q = stats.norm(0, 1), stats.norm(1, 1)
    >>> round(kl_quad(p.logpdf, q.logpdf), 10)  # closed form: (0 - 1)^2 / 2
    0.5
    >>> round(kl_quad(stats.expon().logpdf, stats.expon(scale=2).logpdf, lower=0), 6)  # log 2 - 1/2
    0.193147
    """
    for name, f in (("logpdf_p", logpdf_p), ("logpdf_q", logpdf_q)):
        if not callable(f):
            raise TypeError(f"{name} must be a callable x -> log density, got {type(f).__name__}")
    for name, b in (("lower", lower), ("upper", upper)):
        if isinstance(b, bool) or not isinstance(b, numbers.Real) or np.isnan(b):
            raise ValueError(f"{name} must be a real number (inf allowed), got {b!r}")
    if not lower < upper:
        raise ValueError(f"lower must be smaller than upper, got lower={lower}, upper={upper}")
    epsabs = real(epsabs, "epsabs", low=0.0)
    epsrel = real(epsrel, "epsrel", low=0.0)
    limit = integer(limit, "limit", minimum=1, maximum=2**31 - 1)

    def log_density(f, name, x):
        value = f(x)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must return a real number for a float x, got {type(value).__name__}") from None
        if np.isnan(value) or value == np.inf:
            raise ValueError(f"{name}({x:.6g}) = {value}; a log density must be a real number or -inf")
        return value

    def density(x):
        return float(np.exp(log_density(logpdf_p, "logpdf_p", x)))

    def integrand(x):
        lp = log_density(logpdf_p, "logpdf_p", x)
        if lp == -np.inf:
            return 0.0
        lq = log_density(logpdf_q, "logpdf_q", x)
        if lq == -np.inf:
            raise _QVanishes
        with np.errstate(over="ignore"):
            return float(np.exp(lp) * (lp - lq))

    opts = dict(epsabs=epsabs, epsrel=epsrel, limit=limit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        mass = integrate.quad(density, lower, upper, **opts)[0]
    if abs(mass - 1.0) > 1e-6:
        raise ValueError(
            f"logpdf_p integrates to {mass:.8g} on [{lower}, {upper}], not 1: "
            "check the support (lower, upper) and the normalisation of p"
        )
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", integrate.IntegrationWarning)
            value = float(integrate.quad(integrand, lower, upper, **opts)[0])
        if value == np.inf or (not caught and value > -1e-9):
            return value
        # quad struggled (or went negative, which a KL cannot): a tail of p(x) log(p/q) that
        # decays no faster than 1/|x| makes the integral diverge to +inf (Cauchy against a normal)
        if _tail_diverges(integrand, lower, upper):
            return float("inf")
    except _QVanishes:
        return float("inf")
    raise ValueError(
        f"the quadrature did not converge (it returned {value:.6g}"
        + (f": {caught[0].message}" if caught else "") + "); narrow (lower, upper) or raise limit"
    )


def _tail_diverges(integrand, lower, upper) -> bool:
    """Whether ``|x| integrand(x)`` stays away from 0 far out in an infinite tail."""
    far = np.geomspace(1e3, 1e30, 28)
    for sign, bound in ((1.0, upper), (-1.0, lower)):
        if sign * bound != np.inf:
            continue
        tail = np.array([abs(x) * integrand(sign * x) for x in far])
        if np.all(tail[-10:] > 1e-3):
            return True
    return False


class _QVanishes(Exception):
    """Raised inside the quadrature when q(x) = 0 at a point where p(x) > 0."""


# --- mixtures of Bernoullis ---------------------------------------------------------------------


def _as_binary(x, name: str = "x") -> np.ndarray:
    arr = as_float_array(x, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    check_finite(arr, name)
    if not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError(f"{name} must contain only 0 and 1 (binary data)")
    return arr


def _log_params(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(log mu, log(1 - mu))``, with ``-inf`` where a mean is exactly 0 or 1."""
    with np.errstate(divide="ignore"):
        return np.log(means), np.log1p(-means)


def _component_log_likelihood(x: np.ndarray, log_mu: np.ndarray, log_1m: np.ndarray) -> np.ndarray:
    """``log p(x_n | k)`` for every row and component, shape ``(n, K)``, from ``log mu`` and
    ``log(1 - mu)``; exactly ``-inf`` where a row has a value its component rules out."""
    return _component_log_likelihood_with(x, 1.0 - x, log_mu, log_1m)


def _component_log_likelihood_with(x, x0, log_mu, log_1m):
    """:func:`_component_log_likelihood` given ``x0 = 1 - x`` (computed once per fit)."""
    inf_mu, inf_1m = np.isneginf(log_mu), np.isneginf(log_1m)
    if not (inf_mu.any() or inf_1m.any()):  # the usual case: every log finite
        return x @ log_mu.T + x0 @ log_1m.T
    out = x @ np.where(inf_mu, 0.0, log_mu).T + x0 @ np.where(inf_1m, 0.0, log_1m).T
    # how many of a row's values its component rules out: x @ inf_mu.T + x0 @ inf_1m.T,
    # with x0 = 1 - x folded in (small integers, exact in any summation order)
    impossible = x @ (inf_mu.astype(x.dtype) - inf_1m).T + inf_1m.sum(axis=1)
    out[impossible > 0] = -np.inf
    return out


def _logsumexp_rows(a: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """``scipy.special.logsumexp(a, axis=1)`` for a 2-D float array, with the same
    arithmetic (the largest entries of a row are taken out of the sum and added back
    through ``log1p``) but without its per-call overhead; rows whose maximum is not
    finite go to scipy."""
    a_max = a.max(axis=1, keepdims=True)
    if not np.isfinite(a_max).all():
        return logsumexp(a, axis=1, keepdims=keepdims)
    at_max = a == a_max
    m = at_max.sum(axis=1, keepdims=True, dtype=a.dtype)
    s = np.exp(np.where(at_max, -np.inf, a) - a_max).sum(axis=1, keepdims=True)
    out = np.log1p(s / m) + np.log(m) + a_max
    return out if keepdims else out[:, 0]


def bernoulli_log_likelihood(x, weights, means):
    r"""Log-likelihood of each row of ``x`` under a mixture of independent Bernoullis.

    .. math::

        \log p(x) = \log \sum_{k=1}^K \pi_k \prod_{d=1}^D \mu_{kd}^{x_d}(1-\mu_{kd})^{1-x_d},

    computed with log-sum-exp over the components.

    Parameters
    ----------
    x : array_like, shape (n, D)
        Binary data (entries 0 or 1).
    weights : array_like, shape (K,)
        Mixing proportions :math:`\pi_k`, non-negative and summing to 1.
    means : array_like, shape (K, D)
        Pixel probabilities :math:`\mu_{kd}` in [0, 1].

    Returns
    -------
    ndarray, shape (n,)
        Log-likelihoods in nats; ``-inf`` for a row that has probability 0 (a pixel
        that is on where every component with weight > 0 has :math:`\mu = 0`, or off where
        :math:`\mu = 1`).

    Raises
    ------
    ValueError
        If ``x`` is not binary and 2-D, ``weights`` is not a probability vector,
        ``means`` is outside [0, 1], or the shapes disagree.

    Examples
    --------
    >>> x = np.array([[1, 0], [1, 1]])
    >>> np.round(bernoulli_log_likelihood(x, [1.0], [[0.5, 0.5]]), 4)  # 2 log(1/2)
    array([-1.3863, -1.3863])
    >>> bernoulli_log_likelihood(x, [1.0], [[1.0, 0.0]])  # the second row is impossible
    array([  0., -inf])
    """
    x = _as_binary(x)
    weights = as_float_array(weights, "weights")
    means = as_float_array(means, "means")
    _check_params(weights, means, x.shape[1])
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    return logsumexp(_component_log_likelihood(x, *_log_params(means)) + log_w, axis=1)


def _check_params(weights: np.ndarray, means: np.ndarray, n_features: int, means_name: str = "means") -> None:
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"weights must be a non-empty 1-D array, got shape {weights.shape}")
    check_finite(weights, "weights")
    if (weights < 0).any() or abs(weights.sum() - 1.0) > 1e-6:
        raise ValueError("weights must be non-negative and sum to 1")
    if means.ndim == 2 and means.shape[0] == weights.size and means.shape[1] != n_features:
        raise ValueError(f"x has {n_features} features but {means_name} has {means.shape[1]}")
    if means.shape != (weights.size, n_features):
        raise ValueError(
            f"{means_name} must have shape (K, D) = ({weights.size}, {n_features}), got {means.shape}"
        )
    check_finite(means, means_name)
    if (means < 0).any() or (means > 1).any():
        raise ValueError(f"{means_name} must lie in [0, 1]")


@dataclass(frozen=True)
class BernoulliMixture:
    r"""A fitted mixture of independent Bernoullis, :math:`p(x) = \sum_k \pi_k \prod_d \mathrm{Bern}(x_d\mid\mu_{kd})`.

    Returned by :func:`fit_bernoulli_mixture`.

    Attributes
    ----------
    weights : ndarray, shape (K,)
        Mixing proportions.
    means : ndarray, shape (K, D)
        Pixel probabilities of each component; strictly inside (0, 1) when ``smoothing > 0``.
    smoothing : float
        The Beta pseudo-count used in the fit.
    log_likelihood : ndarray, shape (n_iter + 1,)
        Mean training log-likelihood (nats per vector) at the start and after every EM step.
    objective : ndarray, shape (n_iter + 1,)
        What EM provably never decreases: the mean training log-likelihood plus the
        log Beta prior divided by the number of vectors (equal to ``log_likelihood``
        when ``smoothing = 0``).
    converged : bool
        Whether the objective gained less than ``tol`` in the last step.
    log_means, log1m_means : ndarray, shape (K, D)
        :math:`\log\mu_{kd}` and :math:`\log(1-\mu_{kd})`, computed by EM from the
        responsibility-weighted counts of ones and zeros. They stay accurate where a mean
        lies within rounding of 0 or 1 (``means`` then reads exactly 0 or 1), and are
        ``-inf`` only where no training vector the component is responsible for has that
        value. :meth:`log_prob` uses them. Derived from ``means`` when not given.
    """

    weights: np.ndarray
    means: np.ndarray
    smoothing: float
    log_likelihood: np.ndarray
    objective: np.ndarray
    converged: bool
    log_means: np.ndarray | None = None
    log1m_means: np.ndarray | None = None

    def __post_init__(self):
        if self.log_means is None or self.log1m_means is None:
            log_mu, log_1m = _log_params(self.means)
            object.__setattr__(self, "log_means", log_mu)
            object.__setattr__(self, "log1m_means", log_1m)

    @property
    def n_components(self) -> int:
        return int(self.weights.size)

    @property
    def n_iter(self) -> int:
        """Number of EM steps taken."""
        return int(self.objective.size - 1)

    def log_prob(self, x) -> np.ndarray:
        """Log-likelihood (nats) of every row of binary ``x`` (see :func:`bernoulli_log_likelihood`),
        from the accurate ``log_means`` and ``log1m_means``."""
        x = _as_binary(x)
        if x.shape[1] != self.means.shape[1]:
            raise ValueError(f"x has {x.shape[1]} features, the model {self.means.shape[1]}")
        return _logsumexp_rows(_log_joint(x, self.weights, self.log_means, self.log1m_means))

    def nll(self, x) -> float:
        """Mean negative log-likelihood of the rows of ``x``, in nats per vector."""
        return float(-self.log_prob(x).mean())

    def responsibilities(self, x) -> np.ndarray:
        r"""Posterior :math:`p(k \mid x_n)` of every component for every row, shape ``(n, K)``."""
        x = _as_binary(x)
        if x.shape[1] != self.means.shape[1]:
            raise ValueError(f"x has {x.shape[1]} features, the model {self.means.shape[1]}")
        return np.exp(_log_responsibilities(x, self.weights, self.log_means, self.log1m_means)[0])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` binary vectors (float 0/1) from the mixture with the generator ``rng``."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
        z = rng.choice(self.n_components, size=n, p=self.weights)
        return (rng.random((n, self.means.shape[1])) < self.means[z]).astype(np.float64)


def _log_joint(x, weights, log_mu, log_1m, x0=None):
    x0 = 1.0 - x if x0 is None else x0
    with np.errstate(divide="ignore"):
        return _component_log_likelihood_with(x, x0, log_mu, log_1m) + np.log(weights)


def _log_responsibilities(x, weights, log_mu, log_1m, x0=None):
    joint = _log_joint(x, weights, log_mu, log_1m, x0)
    log_px = _logsumexp_rows(joint, keepdims=True)
    return joint - log_px, log_px[:, 0]


def _log_prior(log_mu: np.ndarray, log_1m: np.ndarray, smoothing: float) -> float:
    if smoothing == 0:
        return 0.0
    return float(smoothing * (log_mu.sum() + log_1m.sum()))


def _one_blas_thread():
    """Run the small matrix products on one BLAS thread.

    The products here are tiny (thousands x 64 x K); on a busy machine, BLAS threads
    only contend with each other (measured: 20x slower with 2 threads on 2 loaded cores).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _m_step(r, x, smoothing, x0=None):
    """``log mu`` and ``log(1 - mu)`` for ``mu = (sum_n r x + s) / (sum_n r + 2 s)``.

    Ones and zeros are counted separately (``r.T @ x`` and ``r.T @ (1 - x)``) and each log
    comes from its own count, so a mean within rounding of 1 still has an accurate
    ``log(1 - mu)``, and a log is ``-inf`` exactly when its count is 0: when no vector with
    positive responsibility has that value. Each count is a sum of non-negative terms, so
    whether it is 0 does not depend on the summation order of the machine's BLAS.
    """
    x0 = 1.0 - x if x0 is None else x0
    ones, zeros = r.T @ x + smoothing, r.T @ x0 + smoothing
    with np.errstate(divide="ignore", invalid="ignore"):  # an empty component: 0/0, replaced by the caller
        total = ones + zeros
        p1, p0 = ones / total, zeros / total
        # log of the smaller share directly, log1p of minus the smaller for the larger one
        log_mu = np.where(p1 > 0.5, np.log1p(-p0), np.log(p1))
        log_1m = np.where(p0 > 0.5, np.log1p(-p1), np.log(p0))
    return log_mu, log_1m


def _em(x, means, smoothing, max_iter, tol):
    n = x.shape[0]
    k = means.shape[0]
    x0 = 1.0 - x  # the zeros, once per fit
    weights = np.full(k, 1.0 / k)
    log_mu, log_1m = _log_params(means)
    lls, objs = [], []
    converged = False
    for it in range(max_iter + 1):
        log_r, log_px = _log_responsibilities(x, weights, log_mu, log_1m, x0)  # E-step
        ll = float(log_px.mean())
        lls.append(ll)
        objs.append(ll + _log_prior(log_mu, log_1m, smoothing) / n)
        if it > 0 and objs[-1] - objs[-2] < tol:
            converged = True
            break
        if it == max_iter:
            break
        r = np.exp(log_r)  # M-step
        nk = r.sum(axis=0)
        weights = nk / n
        new_mu, new_1m = _m_step(r, x, smoothing, x0)
        empty = nk + 2.0 * smoothing <= 0  # only possible without smoothing
        if empty.any():  # an empty component keeps its parameters
            new_mu = np.where(empty[:, None], log_mu, new_mu)
            new_1m = np.where(empty[:, None], log_1m, new_1m)
        log_mu, log_1m = new_mu, new_1m
    return weights, log_mu, log_1m, np.array(lls), np.array(objs), converged


def fit_bernoulli_mixture(
    x, n_components, *, smoothing=1.0, max_iter=300, tol=1e-7, n_init=1, seed=0, init="data", init_means=None
) -> BernoulliMixture:
    r"""Fit a mixture of independent Bernoullis to binary data by EM (maximum a posteriori).

    E-step: responsibilities :math:`r_{nk} = \pi_k p(x_n\mid\mu_k) / \sum_j \pi_j p(x_n\mid\mu_j)`,
    computed in log space with log-sum-exp. M-step:

    .. math::

        N_k = \sum_n r_{nk},\qquad \pi_k = \frac{N_k}{N},\qquad
        \mu_{kd} = \frac{\sum_n r_{nk} x_{nd} + s}{N_k + 2s},

    which is the maximum a posteriori update under a :math:`\mathrm{Beta}(1+s, 1+s)`
    prior on every :math:`\mu_{kd}` (``s`` pseudo-observations of "on" and of "off"), so
    no probability is exactly 0 or 1 when ``s > 0`` and held-out data never gets
    probability 0. ``s = 0`` is plain maximum likelihood. Each EM step never decreases
    the objective :math:`\frac1N[\sum_n \log p(x_n) + s\sum_{kd}\log\mu_{kd}(1-\mu_{kd})]`
    (Dempster, Laird & Rubin 1977).

    Parameters
    ----------
    x : array_like, shape (N, D)
        Binary training data (0/1).
    n_components : int
        Number of components :math:`K \ge 1`.
    smoothing : float, default 1.0
        Beta pseudo-count :math:`s \ge 0`.
    max_iter : int, default 300
        Maximum number of EM steps.
    tol : float, default 1e-7
        Stop when the objective (nats per vector) gains less than ``tol`` in one step.
    n_init : int, default 1
        Random restarts; the fit with the highest final training objective is returned
        (the choice never looks at held-out data).
    seed : int, default 0
        Seeds the random initial means.
    init : {"data", "uniform"}, default "data"
        How each start draws its initial means: ``"data"`` takes ``K`` randomly chosen
        distinct rows of ``x`` and shrinks them halfway to 1/2 (entries 0.25 or 0.75);
        ``"uniform"`` draws every entry uniformly from [0.25, 0.75] (Bishop 2006,
        sec. 9.3.3). On the digits, ``"data"`` converges in fewer steps and leaves
        fewer components with no images.
    init_means : array_like, shape (K, D), optional
        Start from these means instead (then ``n_init`` must be 1 and ``init`` is ignored).

    Returns
    -------
    BernoulliMixture
        The parameters and the per-iteration traces of the training log-likelihood
        and of the objective.

    Raises
    ------
    TypeError
        If ``n_components``, ``max_iter``, ``n_init`` or ``seed`` is not an integer.
    ValueError
        If ``x`` is not 2-D binary data, ``n_components`` exceeds the number of rows
        or is < 1, ``smoothing < 0``, ``tol < 0``, ``init`` is unknown or
        ``init_means`` is malformed.

    Examples
    --------
    With one component EM is the closed-form (smoothed) frequency of each pixel:

    >>> x = np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0], [0, 0, 0]])
    >>> m = fit_bernoulli_mixture(x, 1, smoothing=1.0)
    >>> m.means  # (column sum + 1) / (4 + 2)
    array([[0.6667, 0.3333, 0.3333]])
    >>> round(m.nll(x), 4)
    1.7363
    """
    x = _as_binary(x)
    n, d = x.shape
    for name, v in (("n_components", n_components), ("max_iter", max_iter), ("n_init", n_init), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {type(v).__name__}")
    if not 1 <= n_components <= n:
        raise ValueError(f"n_components must be between 1 and the number of rows ({n}), got {n_components}")
    if max_iter < 1 or n_init < 1 or seed < 0:
        raise ValueError("max_iter and n_init must be >= 1 and seed >= 0")
    for name, v in (("smoothing", smoothing), ("tol", tol)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    smoothing = float(smoothing)
    if init_means is not None:
        init_means = as_float_array(init_means, "init_means")
        _check_params(np.full(n_components, 1.0 / n_components), init_means, d, "init_means")
        if n_init != 1:
            raise ValueError("n_init must be 1 when init_means is given")
        starts = [init_means.copy()]
    elif init == "data":
        rng = np.random.default_rng(seed)
        rows = np.unique(x, axis=0)  # distinct rows: two equal starting means would stay equal forever
        if len(rows) < n_components:
            rows = x
        starts = [0.5 * rows[rng.choice(len(rows), n_components, replace=False)] + 0.25 for _ in range(n_init)]
    elif init == "uniform":
        rng = np.random.default_rng(seed)
        starts = [rng.uniform(0.25, 0.75, size=(n_components, d)) for _ in range(n_init)]
    else:
        raise ValueError(f"init must be 'data' or 'uniform', got {init!r}")
    best = None
    with _one_blas_thread():
        for means0 in starts:
            fit = _em(x, means0, smoothing, int(max_iter), float(tol))
            if best is None or fit[4][-1] > best[4][-1]:
                best = fit
    weights, log_mu, log_1m, lls, objs, converged = best
    means = np.exp(log_mu)
    return BernoulliMixture(weights, means, smoothing, lls, objs, converged, log_mu, log_1m)

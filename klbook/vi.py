r"""Variational inference helpers: a conjugate model with everything in closed form, and
Gaussian variational inference by reparameterised gradient ascent on the ELBO.

For any density :math:`q(\theta)` and data :math:`x`,

.. math::

    \log p(x) = \underbrace{\mathbb E_q[\log p(x, \theta)] + H(q)}_{\mathrm{ELBO}(q)}
                + D_{KL}(q(\theta)\,\|\,p(\theta\mid x)).

* :func:`kl_beta`, :func:`beta_bernoulli_log_evidence` and :func:`beta_bernoulli_elbo`
  give the three terms in closed form for Bernoulli observations with a Beta prior and a
  Beta :math:`q`, so the identity can be checked to rounding error;
* :func:`fit_gaussian_vi` maximises a Monte Carlo ELBO for any differentiable
  unnormalised log posterior, with a mean-field (diagonal) or a full-covariance Gaussian
  (Blei, Kucukelbir & McAuliffe 2017; Kingma & Welling 2014 for the reparameterisation);
* :func:`importance_sampling` gives a reference posterior and the log-evidence by
  self-normalised importance sampling, to check variational fits against.

Everything is in nats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from ._validation import as_float_array, check_finite, finite, integer, positive, real

__all__ = ["kl_beta", "beta_bernoulli_log_evidence", "beta_bernoulli_elbo", "GaussianVIFit", "fit_gaussian_vi",
           "ImportanceSample", "importance_sampling"]


def kl_beta(a_p, b_p, a_q, b_q):
    r"""KL divergence between Beta distributions, :math:`D_{KL}(\mathrm{Beta}(a_p,b_p)\,\|\,\mathrm{Beta}(a_q,b_q))`.

    .. math::

        D_{KL} = \log\frac{B(a_q,b_q)}{B(a_p,b_p)} + (a_p-a_q)\psi(a_p) + (b_p-b_q)\psi(b_p)
                 + (a_q-a_p+b_q-b_p)\,\psi(a_p+b_p),

    with :math:`B` the Beta function and :math:`\psi` the digamma function.

    Parameters
    ----------
    a_p, b_p, a_q, b_q : array_like
        Strictly positive shape parameters; they broadcast together.

    Returns
    -------
    float or ndarray
        Nats (a float for scalar input).

    Raises
    ------
    ValueError
        If a parameter is not strictly positive and finite.

    Examples
    --------
    >>> kl_beta(2.0, 3.0, 2.0, 3.0)
    0.0
    >>> round(kl_beta(1.0, 1.0, 2.0, 2.0), 4)  # uniform against Beta(2, 2): 2 - log 6
    0.2082
    """
    a_p, b_p = positive(a_p, "a_p"), positive(b_p, "b_p")
    a_q, b_q = positive(a_q, "a_q"), positive(b_q, "b_q")
    kl = (
        special.betaln(a_q, b_q) - special.betaln(a_p, b_p)
        + (a_p - a_q) * special.digamma(a_p)
        + (b_p - b_q) * special.digamma(b_p)
        + (a_q - a_p + b_q - b_p) * special.digamma(a_p + b_p)
    )
    kl = np.asarray(kl, dtype=np.float64)
    return kl.item() if kl.ndim == 0 else kl


def _counts(k, n):
    k, n = as_float_array(k, "k"), as_float_array(n, "n")
    check_finite(k, "k")
    check_finite(n, "n")
    if (k < 0).any() or (k != np.round(k)).any():
        raise ValueError("k (the number of ones) must be a non-negative integer")
    if (n != np.round(n)).any() or (k > n).any():
        raise ValueError("n must be an integer with n >= k (the number of observations)")
    return k, n


def beta_bernoulli_log_evidence(k, n, a, b):
    r"""Log evidence of a sequence of ``n`` Bernoulli observations with ``k`` ones under a Beta(a, b) prior.

    .. math::

        \log p(x_{1:n}) = \log \int_0^1 \theta^k (1-\theta)^{n-k}\,\mathrm{Beta}(\theta; a, b)\,d\theta
                        = \log B(a+k,\, b+n-k) - \log B(a, b).

    The posterior is :math:`\mathrm{Beta}(a+k,\, b+n-k)`. This is the probability of the
    *sequence* (no binomial coefficient).

    Examples
    --------
    >>> round(beta_bernoulli_log_evidence(1, 1, 1.0, 1.0), 6)  # a fair coin under a uniform prior
    -0.693147
    """
    k, n = _counts(k, n)
    a, b = positive(a, "a"), positive(b, "b")
    out = np.asarray(special.betaln(a + k, b + n - k) - special.betaln(a, b))
    return out.item() if out.ndim == 0 else out


def beta_bernoulli_elbo(alpha, beta, k, n, a, b):
    r"""The ELBO of :math:`q(\theta) = \mathrm{Beta}(\alpha, \beta)` for the Beta--Bernoulli model, in closed form.

    .. math::

        \mathrm{ELBO}(q) = k\,\mathbb E_q[\log\theta] + (n-k)\,\mathbb E_q[\log(1-\theta)]
                           - D_{KL}(q\,\|\,\mathrm{Beta}(a, b)),

    with :math:`\mathbb E_q[\log\theta] = \psi(\alpha) - \psi(\alpha+\beta)` and
    :math:`\mathbb E_q[\log(1-\theta)] = \psi(\beta) - \psi(\alpha+\beta)`. It equals
    :func:`beta_bernoulli_log_evidence` minus :math:`D_{KL}(q\,\|\,\mathrm{Beta}(a+k, b+n-k))`.

    Examples
    --------
    >>> # q = the exact posterior Beta(1 + 1, 1 + 0): the bound is tight
    >>> round(beta_bernoulli_elbo(2.0, 1.0, 1, 1, 1.0, 1.0), 6)
    -0.693147
    """
    alpha, beta = positive(alpha, "alpha"), positive(beta, "beta")
    k, n = _counts(k, n)
    a, b = positive(a, "a"), positive(b, "b")
    e_log = special.digamma(alpha) - special.digamma(alpha + beta)
    e_log1m = special.digamma(beta) - special.digamma(alpha + beta)
    out = np.asarray(k * e_log + (n - k) * e_log1m - kl_beta(alpha, beta, a, b))
    return out.item() if out.ndim == 0 else out


@dataclass
class GaussianVIFit:
    """Result of :func:`fit_gaussian_vi`.

    Attributes
    ----------
    mean : ndarray, shape (d,)
    cov : ndarray, shape (d, d)
        Diagonal for ``family="diag"``.
    elbo_trace : ndarray, shape (steps,)
        The Monte Carlo ELBO of every step (noisy; nats).
    family : str
    """

    mean: np.ndarray
    cov: np.ndarray
    elbo_trace: np.ndarray
    family: str

    @property
    def sd(self) -> np.ndarray:
        """Marginal standard deviations."""
        return np.sqrt(np.diag(self.cov))


def fit_gaussian_vi(log_joint, dim, *, family="diag", steps=2000, n_samples=16, lr=0.05, init_mean=None,
                    seed=0, device=None, threads=1):
    r"""Fit a Gaussian :math:`q` to an unnormalised log density by stochastic gradient ascent on the ELBO.

    :math:`q = \mathcal N(m, LL^\top)` with :math:`L` diagonal (``"diag"``, mean field) or
    lower triangular with a positive diagonal (``"full"``). Each step draws
    ``n_samples`` reparameterised points :math:`\theta = m + L\varepsilon`,
    :math:`\varepsilon\sim\mathcal N(0, I)`, and follows the gradient of

    .. math::

        \widehat{\mathrm{ELBO}} = \frac1S \sum_s \log \tilde p(\theta_s) + \log|\det L|
        + \tfrac d2 (1 + \log 2\pi)

    (the Gaussian entropy is exact), with Adam and a learning rate decayed to zero.
    Maximising it minimises :math:`D_{KL}(q\,\|\,p(\theta\mid x))`.

    Parameters
    ----------
    log_joint : callable
        Maps a float64 torch tensor of shape (S, d) to the unnormalised log posterior
        :math:`\log p(x, \theta)` of every row, shape (S,); must be differentiable by torch.
    dim : int
        Dimension :math:`d`.
    family : {"diag", "full"}
    steps, n_samples : int
    lr : float
        Adam's initial learning rate.
    init_mean : array_like, shape (d,), optional
        Starting mean (default zeros); the starting scale is the identity times 0.1.
    seed : int
        Seeds the noise.
    device : optional
        Default :func:`klbook.get_device`.
    threads : int or None, default 1
        Torch intra-op threads during the fit (``None``: torch's setting); one is fastest
        for these small problems.

    Returns
    -------
    GaussianVIFit

    Examples
    --------
    >>> import torch
    >>> prec = torch.tensor([[2.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    >>> fit = fit_gaussian_vi(lambda t: -0.5 * ((t @ prec) * t).sum(-1), 2, steps=500, seed=0)
    >>> np.round(fit.cov.diagonal(), 2)  # mean field: 1 / diag(precision), not diag(covariance) = 2/3
    array([0.5, 0.5])
    """
    import torch

    from .notebook import get_device
    from .notebook import torch_threads as _torch_threads

    if not callable(log_joint):
        raise TypeError("log_joint must be callable")
    dim = integer(dim, "dim", minimum=1)
    if family not in ("diag", "full"):
        raise ValueError(f"family must be 'diag' or 'full', got {family!r}")
    steps = integer(steps, "steps", minimum=1)
    n_samples = integer(n_samples, "n_samples", minimum=1)
    lr = real(lr, "lr", low=0.0, low_open=True)
    seed = integer(seed, "seed", minimum=0)
    if threads is not None:
        threads = integer(threads, "threads", minimum=1, maximum=4096)
    device = get_device(device)
    m0 = np.zeros(dim) if init_mean is None else finite(init_mean, "init_mean")
    if m0.shape != (dim,):
        raise ValueError(f"init_mean must have shape ({dim},), got {m0.shape}")
    dt = torch.float64
    mean = torch.tensor(m0, dtype=dt, device=device, requires_grad=True)
    log_diag = torch.full((dim,), math.log(0.1), dtype=dt, device=device, requires_grad=True)
    params = [mean, log_diag]
    if family == "full":
        off = torch.zeros(dim, dim, dtype=dt, device=device, requires_grad=True)
        params.append(off)
    mask = torch.tril(torch.ones(dim, dim, dtype=dt, device=device), diagonal=-1)

    def scale():
        L = torch.diag(log_diag.exp())
        return L + off * mask if family == "full" else L

    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / steps)
    g = torch.Generator(device=device).manual_seed(int(seed))
    const = 0.5 * dim * (1.0 + math.log(2.0 * math.pi))
    trace = np.empty(steps)
    with _torch_threads(threads):
        _optimise(steps, n_samples, dim, g, dt, device, mean, scale, log_diag, const, log_joint, opt, sched, trace)
    with torch.no_grad():
        L = scale().cpu().numpy()
    return GaussianVIFit(mean.detach().cpu().numpy(), L @ L.T, trace, family)


def _optimise(steps, n_samples, dim, g, dt, device, mean, scale, log_diag, const, log_joint, opt, sched, trace):
    import torch

    for step in range(steps):
        eps = torch.randn((n_samples, dim), generator=g, dtype=dt, device=device)
        theta = mean + eps @ scale().T
        values = log_joint(theta)
        if not isinstance(values, torch.Tensor) or values.grad_fn is None:
            raise TypeError(
                "log_joint must return a torch tensor computed from its argument (so that the "
                f"gradient flows back), got {type(values).__name__}"
                + (" without a gradient" if isinstance(values, torch.Tensor) else "")
            )
        if values.shape != (n_samples,):
            raise ValueError(f"log_joint must return shape (S,) = ({n_samples},), got {tuple(values.shape)}")
        if not torch.isfinite(values).all():
            raise ValueError(f"log_joint returned a non-finite value at step {step} (NaN or inf); "
                             "check it, the init_mean, or lower lr")
        elbo = values.mean() + log_diag.sum() + const
        opt.zero_grad(set_to_none=True)
        (-elbo).backward()
        opt.step()
        sched.step()
        trace[step] = elbo.item()


@dataclass
class ImportanceSample:
    r"""Result of :func:`importance_sampling`.

    Attributes
    ----------
    samples : ndarray, shape (n, d)
        The draws from the proposal.
    weights : ndarray, shape (n,)
        Self-normalised importance weights (non-negative, summing to 1).
    log_evidence : float
        :math:`\log \frac1n\sum_i w_i`, the log of the unbiased estimate of the normalising
        constant (nats).
    log_evidence_se : float
        Its delta-method standard error, :math:`\mathrm{sd}(w) / (\bar w \sqrt n)`.
    ess : float
        Kish's effective sample size :math:`1/\sum_i \bar w_i^2`.
    mean : ndarray, shape (d,)
        Weighted posterior mean.
    cov : ndarray, shape (d, d)
        Weighted posterior covariance.
    """

    samples: np.ndarray
    weights: np.ndarray
    log_evidence: float
    log_evidence_se: float
    ess: float
    mean: np.ndarray
    cov: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        """Weighted marginal standard deviations."""
        return np.sqrt(np.diag(self.cov))


def importance_sampling(log_joint, proposal, n_samples, *, random_state=None):
    r"""Posterior moments and log-evidence by self-normalised importance sampling.

    Draws :math:`w_1, \dots, w_n` from ``proposal`` :math:`r` and weights them by
    :math:`\omega_i = p(x, w_i)/r(w_i)`. Then

    .. math::

        \hat p(x) = \frac1n \sum_i \omega_i, \qquad
        \widehat{\mathbb E}[f(w)\mid x] = \frac{\sum_i \omega_i f(w_i)}{\sum_i \omega_i}.

    :math:`\hat p(x)` is unbiased and both estimates are consistent when :math:`r > 0` wherever
    the posterior is positive; their error is small only when the weights have small
    variance, i.e. the proposal has heavier tails than the posterior (a multivariate *t*
    around the mode is the usual choice). The effective sample size :math:`1/\sum_i\bar\omega_i^2`
    (normalised weights) measures that. Computed in log space (``logsumexp``), so
    unnormalised log densities of any size are fine.

    Parameters
    ----------
    log_joint : callable
        Maps an array of shape (n, d) to the unnormalised log posterior
        :math:`\log p(x, w)` of every row, shape (n,). ``-inf`` (outside the support) is
        allowed; ``nan`` and ``+inf`` are not.
    proposal : frozen scipy distribution
        Anything with ``rvs(size, random_state=...)`` and ``logpdf(x)``, e.g.
        ``scipy.stats.multivariate_t(mode, cov, df=5)``.
    n_samples : int
        Number of draws, at least 2.
    random_state : int or numpy.random.Generator, optional
        Passed to ``proposal.rvs``.

    Returns
    -------
    ImportanceSample

    Raises
    ------
    TypeError
        If ``log_joint`` is not callable or ``proposal`` lacks ``rvs``/``logpdf``.
    ValueError
        If ``n_samples < 2``, ``log_joint`` returns the wrong shape or a NaN/``+inf``, or every
        weight is zero.

    Examples
    --------
    A conjugate check: prior :math:`\mathcal N(0, 1)`, one observation :math:`x = 1` with
    :math:`\mathcal N(w, 1)` noise, so the evidence is :math:`\mathcal N(1; 0, 2)` and the
    posterior :math:`\mathcal N(1/2, 1/2)`.

    >>> from scipy import stats
    >>> lj = lambda w: stats.norm.logpdf(w[:, 0]) + stats.norm.logpdf(1.0, w[:, 0])
    >>> res = importance_sampling(lj, stats.multivariate_t([0.5], [[1.0]], df=5), 200_000,
    ...                           random_state=0)
    >>> round(res.log_evidence, 2), round(float(stats.norm.logpdf(1.0, scale=2 ** 0.5)), 2)
    (-1.52, -1.52)
    >>> np.round(res.mean, 2), np.round(res.cov, 2)
    (array([0.5]), array([[0.5]]))
    """
    if not callable(log_joint):
        raise TypeError("log_joint must be callable")
    if not (callable(getattr(proposal, "rvs", None)) and callable(getattr(proposal, "logpdf", None))):
        raise TypeError("proposal must have rvs() and logpdf() methods (a frozen scipy distribution)")
    n = integer(n_samples, "n_samples", minimum=2, maximum=10**9)
    w = np.asarray(proposal.rvs(size=n, random_state=random_state), dtype=np.float64)
    if w.ndim == 1:
        w = w[:, None]
    lj = np.asarray(log_joint(w), dtype=np.float64)
    if lj.shape != (n,):
        raise ValueError(f"log_joint must return shape ({n},) for {n} samples, got {lj.shape}")
    if np.isnan(lj).any() or np.isposinf(lj).any():
        raise ValueError("log_joint returned NaN or +inf")
    log_w = lj - np.asarray(proposal.logpdf(w), dtype=np.float64).reshape(n)
    if not np.isfinite(log_w).any():
        raise ValueError("every importance weight is zero: the proposal misses the posterior")
    log_sum = special.logsumexp(log_w)
    wts = np.exp(log_w - log_sum)
    mean = wts @ w
    dev = w - mean
    cov = dev.T @ (dev * wts[:, None])
    w_rel = np.exp(log_w - log_w.max())
    se = float(w_rel.std(ddof=1) / (w_rel.mean() * math.sqrt(n)))
    return ImportanceSample(w, wts, float(log_sum - math.log(n)), se, float(1.0 / np.sum(wts**2)), mean, cov)

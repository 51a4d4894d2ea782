r"""A logistic-regression classifier P-vs-Q as an estimator of the log density ratio."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .._logistic import fit_logistic, LogisticModel
from .._validation import real, samples

__all__ = ["LogRatio", "fit_log_ratio"]


@dataclass(frozen=True)
class LogRatio:
    r"""A fitted estimate of :math:`\log P(x)/Q(x)` from a logistic-regression classifier.

    Calling it on ``x`` (shape ``(n, d)`` or ``(n,)`` for ``d = 1``) returns the logit
    :math:`w^\top\phi(x)` of "``x`` came from :math:`P`", corrected for unequal sample
    sizes: :math:`\log\frac{P(x)}{Q(x)} \approx \operatorname{logit} D(x) - \log\frac{n_P}{n_Q}`.
    """

    model: LogisticModel
    log_prior_ratio: float

    def __call__(self, x) -> np.ndarray:
        x = samples(x, "x", 1)
        if x.shape[1] != self.model.exponent.size:
            raise ValueError(f"x has {x.shape[1]} features, the classifier was fitted on {self.model.exponent.size}")
        return self.model(x) - self.log_prior_ratio

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
        Linear or quadratic features of the inputs (then standardised).
    l2 : float, default 1e-6
        Ridge penalty per sample on the standardised feature weights (keeps separable data
        finite). The fit (damped Newton on standardised features) is the one
        :func:`klbook.classifier_kl_divergence` uses; see :mod:`klbook._logistic`.

    Returns
    -------
    LogRatio
        Callable: ``log_ratio(x)`` estimates :math:`\log P(x)/Q(x)`.

    Raises
    ------
    ValueError
        On fewer than 2 samples, NaN/inf, differing dimensions, a bad ``degree`` or
        negative ``l2``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lr = fit_log_ratio(rng.normal(0, 1, 4000), rng.normal(1, 1, 4000))
    >>> round(float(lr(np.array([0.5]))[0]), 1)  # exact log-ratio at the midpoint: 0
    0.0
    """
    x_p, x_q = samples(x_p, "x_p", 2), samples(x_q, "x_q", 2)
    if x_p.shape[1] != x_q.shape[1]:
        raise ValueError(f"x_p and x_q have different dimensions: {x_p.shape[1]} vs {x_q.shape[1]}")
    if degree not in (1, 2) or isinstance(degree, bool):
        raise ValueError(f"degree must be 1 or 2, got {degree!r}")
    l2 = real(l2, "l2", low=0.0)
    model = fit_logistic(x_p, x_q, degree=int(degree), l2=float(l2))
    return LogRatio(model, math.log(len(x_p) / len(x_q)))

r"""The one logistic regression behind the classifier density-ratio estimators.

:func:`klbook.fit_log_ratio` (chapter 6) and :func:`klbook.classifier_kl_divergence`
(chapter 8) both learn :math:`\log p(x)/q(x)` as the logit of a classifier that tells
samples of ``P`` (label 1) from samples of ``Q`` (label 0). They share this fit:

1. each input column is divided by the power of two nearest its largest magnitude -- an
   exact operation, so that data at scale ``1e200`` or ``1e-200`` neither overflows nor
   underflows in step 2, and data at ordinary scales gives bit-identical results;
2. the feature map is the inputs themselves (``degree=1``), or the inputs and all their
   pairwise products :math:`u_j u_l, j \le l` (``degree=2``), the order of
   :class:`sklearn.preprocessing.PolynomialFeatures` without the bias column;
3. the features are standardised, and
   :math:`\frac1n\sum_i \log(1 + e^{-s_i (w^\top z_i + b)}) + \frac{l_2}{2}\|w\|^2`
   (:math:`s_i = \pm1`; the bias is not penalised) is minimised by damped Newton steps.

The objective is scikit-learn's :class:`~sklearn.linear_model.LogisticRegression` with
``C = 1 / (n l2)`` on the same features; ``tests/test_estimators.py`` checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["LogisticModel", "fit_logistic", "polynomial_features"]


def polynomial_features(u: np.ndarray, degree: int) -> np.ndarray:
    """``u`` (``degree=1``), or ``u`` and its products ``u_j u_l`` for ``j <= l`` (``degree=2``)."""
    if degree == 1:
        return u
    iu = np.triu_indices(u.shape[1])
    return np.concatenate([u, (u[:, :, None] * u[:, None, :])[:, iu[0], iu[1]]], axis=1)


def _power_of_two_scale(x: np.ndarray) -> np.ndarray:
    """Per column, the exponent ``k`` with ``max |x| / 2**k`` in [0.5, 1) (0 for an all-zero column)."""
    return np.frexp(np.abs(x).max(axis=0))[1]


@dataclass(frozen=True)
class LogisticModel:
    """A fitted logistic regression: calling it on ``x`` of shape ``(n, d)`` returns the logits."""

    degree: int
    exponent: np.ndarray
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    weights: np.ndarray
    bias: float

    def features(self, x: np.ndarray) -> np.ndarray:
        """The standardised features the weights act on."""
        phi = polynomial_features(np.ldexp(x, -self.exponent), self.degree)
        return (phi - self.feature_mean) / self.feature_scale

    def __call__(self, x: np.ndarray) -> np.ndarray:
        # np.einsum (without optimize=True) runs its own loops instead of a threaded BLAS: these
        # products are small, and BLAS threads only add overhead here, badly so on a busy machine.
        return np.einsum("nk,k->n", self.features(x), self.weights) + self.bias


def fit_logistic(x_pos: np.ndarray, x_neg: np.ndarray, *, degree: int, l2: float) -> LogisticModel:
    """Fit the classifier ``x_pos`` (label 1) vs ``x_neg`` (label 0); arrays of shape ``(n, d)``.

    The problem is strictly convex for ``l2 > 0``, and a handful of Newton steps (with
    backtracking, so every step descends) solve it to machine precision.
    """
    x = np.concatenate([x_pos, x_neg])
    labels = np.concatenate([np.ones(len(x_pos)), np.zeros(len(x_neg))])
    exponent = _power_of_two_scale(x)
    phi = polynomial_features(np.ldexp(x, -exponent), degree)
    f_mean, f_scale = phi.mean(axis=0), phi.std(axis=0)
    f_scale = np.where(f_scale > 0, f_scale, 1.0)
    z = np.column_stack([(phi - f_mean) / f_scale, np.ones(len(phi))])
    sign = 2.0 * labels - 1.0
    n, k = z.shape
    ridge = np.full(k, float(l2))
    ridge[-1] = 0.0  # the bias is not penalised

    def logits(theta):
        return np.einsum("nk,k->n", z, theta)

    def objective(theta):
        return np.logaddexp(0.0, -sign * logits(theta)).mean() + 0.5 * np.sum(ridge * theta**2)

    theta = np.zeros(k)
    value = objective(theta)
    for _ in range(100):
        prob = special.expit(logits(theta))  # P(label 1 | x)
        grad = np.einsum("nk,n->k", z, prob - labels) / n + ridge * theta
        hess = np.einsum("ni,nj->ij", z * (prob * (1 - prob))[:, None], z) / n
        hess += np.diag(ridge) + 1e-12 * np.eye(k)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            new_value = objective(theta - t * step)
            if new_value <= value - 1e-4 * t * (grad @ step) or t < 1e-10:
                break
            t *= 0.5
        theta, value = theta - t * step, new_value
        if np.abs(t * step).max() < 1e-10 or grad @ step < 1e-20:
            break
    if not np.all(np.isfinite(theta)):  # pragma: no cover - the line search keeps theta finite
        raise ValueError("the logistic regression did not converge")
    return LogisticModel(int(degree), exponent, f_mean, f_scale, theta[:-1], float(theta[-1]))

r"""Closed-form KL divergences between Gaussian distributions.

Both functions return nats. They are the analytic routes that the chapters
check against numerical integration, Monte Carlo and
:func:`torch.distributions.kl_divergence`.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_finite, finite, positive

__all__ = ["kl_normal", "kl_mvn"]


def kl_normal(mu_p, sigma_p, mu_q, sigma_q):
    r"""KL divergence between univariate normals, :math:`D_{KL}(\mathcal N(\mu_p,\sigma_p^2)\,\|\,\mathcal N(\mu_q,\sigma_q^2))`.

    .. math::

        D_{KL} = \log\frac{\sigma_q}{\sigma_p}
                 + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2\sigma_q^2} - \frac12 .

    Parameters
    ----------
    mu_p, sigma_p : array_like
        Mean and **standard deviation** (not variance) of ``P``.
    mu_q, sigma_q : array_like
        Mean and standard deviation of ``Q``. All four broadcast together.

    Returns
    -------
    float or ndarray
        The divergence in nats (a float when every argument is a scalar); ``0`` iff
        the two normals are equal, ``inf`` only when the value exceeds the float range.
        Not symmetric unless ``sigma_p == sigma_q``.

    Raises
    ------
    ValueError
        If a standard deviation is not strictly positive, or any argument is
        NaN/inf, or the shapes do not broadcast.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> kl_normal(0.0, 1.0, 0.0, 1.0)
    0.0
    >>> kl_normal(1.0, 1.0, 0.0, 1.0)  # (mu_p - mu_q)^2 / 2
    0.5
    >>> round(kl_normal(0.0, 1.0, 0.0, 2.0), 4)
    0.3181
    """
    mu_p = finite(mu_p, "mu_p")
    mu_q = finite(mu_q, "mu_q")
    sigma_p = positive(sigma_p, "sigma_p")
    sigma_q = positive(sigma_q, "sigma_q")
    try:
        np.broadcast_shapes(mu_p.shape, sigma_p.shape, mu_q.shape, sigma_q.shape)
    except ValueError:
        raise ValueError(
            "mu_p, sigma_p, mu_q, sigma_q do not broadcast: shapes "
            f"{mu_p.shape}, {sigma_p.shape}, {mu_q.shape}, {sigma_q.shape}"
        ) from None
    # log(sigma_q) - log(sigma_p) rather than -log(sigma_p / sigma_q): the ratio of two
    # extreme (but valid) deviations can underflow to 0 and would give inf for a finite KL.
    # A squared term that overflows is a KL beyond float range: inf, without a warning.
    with np.errstate(over="ignore", under="ignore"):
        ratio = sigma_p / sigma_q
        z = (mu_p - mu_q) / sigma_q
        # a difference of two huge means can overflow although the standardised one is small
        z = np.where(np.isfinite(z), z, mu_p / sigma_q - mu_q / sigma_q)
        kl = (np.log(sigma_q) - np.log(sigma_p)) + 0.5 * (ratio**2 + z**2) - 0.5
    return kl.item() if kl.ndim == 0 else kl


def _cholesky(cov: np.ndarray, name: str, rtol: float) -> np.ndarray:
    """Cholesky factor of a symmetric positive-definite matrix (or a batch of them).

    Symmetry is checked relative to each matrix's largest entry (so a tiny covariance
    is held to the same standard as a large one), then the symmetric part is factorised:
    ``np.linalg.cholesky`` reads only the lower triangle.
    """
    scale = np.abs(cov).max(axis=(-2, -1), keepdims=True)
    asym = np.abs(cov - np.swapaxes(cov, -1, -2))
    if not np.all(asym <= rtol * scale):
        raise ValueError(
            f"{name} is not symmetric (largest |C - C^T| = {asym.max():.3g}, "
            f"relative to its largest entry {float(scale.max()):.3g})"
        )
    try:
        return np.linalg.cholesky(0.5 * cov + 0.5 * np.swapaxes(cov, -1, -2))  # cov + cov^T can overflow
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None


def _symmetry_rtol(x) -> float:
    """1e-10 for float64 input; about 100 eps for lower-precision floats (1e-5 in float32)."""
    dtype = np.asarray(x).dtype
    eps = float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else 0.0
    return max(1e-10, 100 * eps)


def kl_mvn(mean_p, cov_p, mean_q, cov_q):
    r"""KL divergence between multivariate normals :math:`D_{KL}(\mathcal N(\mu_p,\Sigma_p)\,\|\,\mathcal N(\mu_q,\Sigma_q))`.

    .. math::

        D_{KL} = \tfrac12\Big[\operatorname{tr}(\Sigma_q^{-1}\Sigma_p)
                 + (\mu_q-\mu_p)^\top\Sigma_q^{-1}(\mu_q-\mu_p) - d
                 + \log\det\Sigma_q - \log\det\Sigma_p\Big].

    Computed from Cholesky factors :math:`\Sigma = LL^\top` with linear
    solves against :math:`L_q` (no explicit inverse): the trace is :math:`\|L_q^{-1}L_p\|_F^2`,
    the quadratic form :math:`\|L_q^{-1}(\mu_q-\mu_p)\|^2`, and
    :math:`\log\det\Sigma = 2\sum_i\log L_{ii}`.

    Parameters
    ----------
    mean_p, mean_q : array_like, shape (..., d)
        Means; leading axes are a batch.
    cov_p, cov_q : array_like, shape (..., d, d)
        **Covariance matrices** (symmetric positive definite).

    Returns
    -------
    float or ndarray
        The divergence in nats, one per batch element.

    Raises
    ------
    ValueError
        On NaN/inf, mismatched dimensions or batch shapes, or a covariance that
        is not symmetric (relative tolerance 1e-10; 1e-5 for float32 input) or
        not positive definite.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> kl_mvn([0, 0], [[1, 0], [0, 1]], [1, 0], [[1, 0], [0, 1]])
    0.5
    >>> round(kl_mvn([0, 0], [[1, 0.5], [0.5, 1]], [0, 0], [[2, 0], [0, 2]]), 4)
    0.337
    """
    mean_p = finite(mean_p, "mean_p")
    mean_q = finite(mean_q, "mean_q")
    cov_p, rtol_p = as_float_array(cov_p, "cov_p"), _symmetry_rtol(cov_p)
    cov_q, rtol_q = as_float_array(cov_q, "cov_q"), _symmetry_rtol(cov_q)
    for name, mean in (("mean_p", mean_p), ("mean_q", mean_q)):
        if mean.ndim == 0 or mean.shape[-1] == 0:
            raise ValueError(f"{name} must be a non-empty vector of shape (..., d)")
    d = mean_p.shape[-1]
    if mean_q.shape[-1] != d:
        raise ValueError(f"mean_p has dimension {d} but mean_q has {mean_q.shape[-1]}")
    for name, cov in (("cov_p", cov_p), ("cov_q", cov_q)):
        check_finite(cov, name)
        if cov.ndim < 2 or cov.shape[-2:] != (d, d):
            raise ValueError(f"{name} must have shape (..., {d}, {d}), got {cov.shape}")
    try:
        batch = np.broadcast_shapes(
            mean_p.shape[:-1], cov_p.shape[:-2], mean_q.shape[:-1], cov_q.shape[:-2]
        )
    except ValueError:
        raise ValueError("the batch shapes of the means and covariances do not broadcast") from None

    # KL is invariant under x -> x / s. Where the covariances are far from unit scale,
    # divide their scale out first, so that no square, solve or Cholesky factor overflows
    # or underflows; at ordinary scales (1e-100 to 1e100) nothing is touched.
    spread = np.broadcast_to(np.sqrt(np.maximum(np.abs(cov_p).max(axis=(-2, -1)),
                                                np.abs(cov_q).max(axis=(-2, -1)))), batch)
    s = np.where((spread > 1e100) | (spread < 1e-100), spread, 1.0)
    cov_p = cov_p / (s**2)[..., None, None]
    cov_q = cov_q / (s**2)[..., None, None]
    half = 0.5 * mean_q - 0.5 * mean_p  # half the difference of the means: cannot overflow
    with np.errstate(over="ignore"):
        diff = np.broadcast_to(2.0 * (half / s[..., None]), batch + (d,))
    chol_p = np.broadcast_to(_cholesky(cov_p, "cov_p", rtol_p), batch + (d, d))
    chol_q = np.broadcast_to(_cholesky(cov_q, "cov_q", rtol_q), batch + (d, d))
    # L_q^{-1} L_p and L_q^{-1} (mu_q - mu_p), by solving rather than inverting. A square
    # that overflows is a KL beyond the float range: inf, without a warning.
    finite_diff = np.isfinite(diff).all(axis=-1)
    with np.errstate(over="ignore", under="ignore"):
        a = np.linalg.solve(chol_q, chol_p)
        b = np.linalg.solve(chol_q, np.where(finite_diff[..., None], diff, 0.0)[..., None])[..., 0]
        trace = np.sum(a**2, axis=(-2, -1))
        maha = np.where(finite_diff, np.sum(b**2, axis=-1), np.inf)
    logdet_q = 2.0 * np.sum(np.log(np.diagonal(chol_q, axis1=-2, axis2=-1)), axis=-1)
    logdet_p = 2.0 * np.sum(np.log(np.diagonal(chol_p, axis1=-2, axis2=-1)), axis=-1)
    with np.errstate(over="ignore"):
        kl = np.asarray(0.5 * (trace + maha - d + logdet_q - logdet_p))
    return kl.item() if kl.ndim == 0 else kl

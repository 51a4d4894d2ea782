"""Closed-form Beta--Bernoulli ELBO terms and Gaussian VI by gradient ascent."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import klbook as kb

shapes = st.floats(0.3, 30)


@given(shapes, shapes, shapes, shapes)
def test_kl_beta_matches_torch(a, b, c, d):
    Beta = torch.distributions.Beta
    t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    expected = torch.distributions.kl_divergence(Beta(t(a), t(b)), Beta(t(c), t(d))).item()
    assert kb.kl_beta(a, b, c, d) == pytest.approx(expected, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("a, b, c, d", [(2, 3, 1, 1), (0.7, 4, 3, 2), (10, 10, 2, 5)])
def test_kl_beta_matches_quadrature(a, b, c, d):
    p, q = stats.beta(a, b), stats.beta(c, d)
    val, _ = integrate.quad(lambda t: p.pdf(t) * (p.logpdf(t) - q.logpdf(t)), 0, 1, limit=200)
    assert kb.kl_beta(a, b, c, d) == pytest.approx(val, rel=1e-6)


@given(st.integers(0, 40), st.integers(0, 40), shapes, shapes, shapes, shapes)
def test_gap_is_the_kl_to_the_posterior(k, extra, a, b, alpha, beta):
    n = k + extra
    gap = kb.beta_bernoulli_log_evidence(k, n, a, b) - kb.beta_bernoulli_elbo(alpha, beta, k, n, a, b)
    assert gap == pytest.approx(kb.kl_beta(alpha, beta, a + k, b + n - k), rel=1e-8, abs=1e-8)
    assert gap >= -1e-9


@pytest.mark.parametrize("k, n, a, b", [(3, 10, 1.0, 1.0), (0, 5, 2.0, 0.5), (7, 7, 0.5, 0.5)])
def test_evidence_matches_quadrature(k, n, a, b):
    val, _ = integrate.quad(lambda t: t**k * (1 - t) ** (n - k) * stats.beta.pdf(t, a, b), 0, 1, limit=200)
    assert kb.beta_bernoulli_log_evidence(k, n, a, b) == pytest.approx(np.log(val), rel=1e-8)


def test_elbo_matches_monte_carlo():
    rng = np.random.default_rng(0)
    th = rng.beta(3.0, 5.0, size=400_000)
    k, n, a, b = 4, 9, 2.0, 2.0
    terms = k * np.log(th) + (n - k) * np.log1p(-th) + stats.beta.logpdf(th, a, b) - stats.beta.logpdf(th, 3.0, 5.0)
    se = terms.std() / np.sqrt(th.size)
    assert abs(terms.mean() - kb.beta_bernoulli_elbo(3.0, 5.0, k, n, a, b)) < 4 * se


def test_gaussian_vi_on_a_gaussian_target():
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    prec = torch.tensor(np.linalg.inv(cov))
    mean = torch.tensor([1.0, -2.0], dtype=torch.float64)

    def log_joint(t):
        d = t - mean
        return -0.5 * ((d @ prec) * d).sum(-1)

    full = kb.fit_gaussian_vi(log_joint, 2, family="full", steps=800, n_samples=32, lr=0.05, seed=0)
    diag = kb.fit_gaussian_vi(log_joint, 2, family="diag", steps=800, n_samples=32, lr=0.05, seed=0)
    np.testing.assert_allclose(full.mean, [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(full.cov, cov, atol=0.06)
    np.testing.assert_allclose(diag.mean, [1.0, -2.0], atol=0.05)
    # mean field under KL(q||p): variances 1 / diag(precision) = 1 - 0.8^2, far below 1
    np.testing.assert_allclose(np.diag(diag.cov), 1 / np.diag(prec.numpy()), rtol=0.08)
    assert diag.cov[0, 1] == 0 and diag.elbo_trace.shape == (800,)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: kb.kl_beta(0, 1, 1, 1), "a_p must be strictly positive"),
        (lambda: kb.beta_bernoulli_log_evidence(5, 3, 1, 1), "n must be an integer with n >= k"),
        (lambda: kb.beta_bernoulli_log_evidence(1.5, 3, 1, 1), "k .* must be a non-negative integer"),
        (lambda: kb.beta_bernoulli_elbo(1, -1, 1, 2, 1, 1), "beta must be strictly positive"),
        (lambda: kb.fit_gaussian_vi(lambda t: t.sum(-1), 0), "dim must be >= 1"),
        (lambda: kb.fit_gaussian_vi(lambda t: t.sum(-1), 2, family="flow"), "family"),
        (lambda: kb.fit_gaussian_vi(lambda t: t.sum(-1), 2, steps=0), "steps"),
        (lambda: kb.fit_gaussian_vi(lambda t: t.sum(-1), 2, init_mean=[0.0]), "init_mean"),
        (lambda: kb.fit_gaussian_vi(lambda t: t, 2, steps=1), "log_joint must return shape"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_log_joint_must_be_callable():
    with pytest.raises(TypeError, match="log_joint must be callable"):
        kb.fit_gaussian_vi(3.0, 2)


def test_importance_sampling_recovers_a_conjugate_gaussian_posterior():
    # prior N(0, I_2), observation x = (1, -1) with N(w, I) noise: evidence N(x; 0, 2I),
    # posterior N(x/2, I/2)
    x = np.array([1.0, -1.0])

    def log_joint(w):
        return stats.multivariate_normal(np.zeros(2)).logpdf(w) + stats.multivariate_normal(x).logpdf(w)

    prop = stats.multivariate_t([0.4, -0.4], np.eye(2), df=5)
    res = kb.importance_sampling(log_joint, prop, 100_000, random_state=1)
    exact = stats.multivariate_normal(np.zeros(2), 2 * np.eye(2)).logpdf(x)
    assert abs(res.log_evidence - exact) < 4 * res.log_evidence_se
    assert res.log_evidence_se < 0.01
    np.testing.assert_allclose(res.mean, x / 2, atol=0.02)
    np.testing.assert_allclose(res.cov, np.eye(2) / 2, atol=0.02)
    np.testing.assert_allclose(res.sd, np.sqrt(np.diag(res.cov)))
    assert res.weights.sum() == pytest.approx(1.0) and (res.weights >= 0).all()
    assert 1 < res.ess <= 100_000


def test_importance_sampling_allows_zero_weights_outside_the_support():
    # target: standard normal truncated to w > 0; evidence 1/2
    def log_joint(w):
        return np.where(w[:, 0] > 0, stats.norm.logpdf(w[:, 0]), -np.inf)

    res = kb.importance_sampling(log_joint, stats.multivariate_t([0.0], [[1.5]], df=4), 50_000, random_state=0)
    assert abs(res.log_evidence - np.log(0.5)) < 4 * res.log_evidence_se
    assert res.samples.shape == (50_000, 1)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((3.0, stats.multivariate_t([0.0], [[1.0]]), 10), TypeError, "log_joint must be callable"),
        ((lambda w: w[:, 0], "t", 10), TypeError, "proposal must have rvs"),
        ((lambda w: w[:, 0], stats.multivariate_t([0.0], [[1.0]]), 1), ValueError, "n_samples"),
        ((lambda w: w, stats.multivariate_t([0.0, 0.0], np.eye(2)), 10), ValueError, "shape"),
        ((lambda w: w[:, 0] * np.nan, stats.multivariate_t([0.0], [[1.0]]), 10), ValueError, "NaN"),
        ((lambda w: np.full(len(w), -np.inf), stats.multivariate_t([0.0], [[1.0]]), 10), ValueError,
         "every importance weight is zero"),
    ],
)
def test_importance_sampling_rejects_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        kb.importance_sampling(*args, random_state=0)

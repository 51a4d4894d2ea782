"""Closed-form Gaussian KLs against quadrature, Monte Carlo and torch."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

import klbook as kb

means = st.floats(-5, 5)
sigmas = st.floats(0.2, 5)


@given(means, sigmas, means, sigmas)
def test_kl_normal_matches_torch(mp, sp, mq, sq):
    normal = torch.distributions.Normal
    expected = torch.distributions.kl_divergence(
        normal(torch.tensor(mp, dtype=torch.float64), torch.tensor(sp, dtype=torch.float64)),
        normal(torch.tensor(mq, dtype=torch.float64), torch.tensor(sq, dtype=torch.float64)),
    ).item()
    assert kb.kl_normal(mp, sp, mq, sq) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(means, sigmas)
def test_kl_normal_of_itself_is_zero(m, s):
    assert kb.kl_normal(m, s, m, s) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("mp, sp, mq, sq", [(0, 1, 1, 1), (0, 1, 0, 2), (1.5, 0.5, -1, 2.0)])
def test_kl_normal_matches_numerical_integration(mp, sp, mq, sq):
    p, q = stats.norm(mp, sp), stats.norm(mq, sq)
    integral, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -np.inf, np.inf)
    assert kb.kl_normal(mp, sp, mq, sq) == pytest.approx(integral, rel=1e-7)


def test_kl_normal_matches_monte_carlo_within_standard_error():
    rng = np.random.default_rng(0)
    mp, sp, mq, sq = 0.3, 0.8, -0.5, 1.3
    x = rng.normal(mp, sp, size=400_000)
    log_ratio = stats.norm.logpdf(x, mp, sp) - stats.norm.logpdf(x, mq, sq)
    se = log_ratio.std(ddof=1) / math.sqrt(x.size)
    assert abs(log_ratio.mean() - kb.kl_normal(mp, sp, mq, sq)) < 4 * se


def test_kl_normal_is_finite_for_extreme_but_valid_deviations():
    # sigma_p / sigma_q underflows to 0 here; the divergence itself is an ordinary number.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        got = kb.kl_normal(0.0, 1e-200, 0.0, 1e200)
    assert got == pytest.approx(math.log(1e200) - math.log(1e-200) - 0.5, rel=1e-12)
    # a divergence beyond the float range is inf, quietly (no RuntimeWarning)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert kb.kl_normal(0.0, 1e200, 0.0, 1e-200) == math.inf
        assert kb.kl_normal(1e300, 1.0, -1e300, 1e-10) == math.inf


def test_kl_normal_broadcasts_and_uses_standard_deviations():
    got = kb.kl_normal(np.array([0.0, 1.0, 2.0]), 1.0, 0.0, 1.0)
    np.testing.assert_allclose(got, [0.0, 0.5, 2.0])
    # sigma is a standard deviation: N(0, 2^2) vs N(0, 1) is log(1/2) + 4/2 - 1/2
    assert kb.kl_normal(0, 2, 0, 1) == pytest.approx(math.log(0.5) + 1.5)


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, 0, 0, 1), "sigma_p must be strictly positive"),
        ((0, 1, 0, -1), "sigma_q must be strictly positive"),
        ((np.nan, 1, 0, 1), "mu_p contains NaN"),
        ((0, 1, np.inf, 1), "mu_q contains infinite"),
        (([0, 1], 1, [0, 1, 2], 1), "do not broadcast"),
    ],
)
def test_kl_normal_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        kb.kl_normal(*args)


# --- multivariate -----------------------------------------------------------------------------


def random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


@given(st.integers(0, 10_000), st.integers(1, 6))
def test_kl_mvn_matches_torch(seed, d):
    rng = np.random.default_rng(seed)
    mp, mq = rng.normal(size=d), rng.normal(size=d)
    cp, cq = random_spd(rng, d), random_spd(rng, d)
    mvn = torch.distributions.MultivariateNormal
    expected = torch.distributions.kl_divergence(
        mvn(torch.tensor(mp), torch.tensor(cp)), mvn(torch.tensor(mq), torch.tensor(cq))
    ).item()
    assert kb.kl_mvn(mp, cp, mq, cq) == pytest.approx(expected, rel=1e-7, abs=1e-9)


@given(means, sigmas, means, sigmas)
def test_kl_mvn_in_one_dimension_is_kl_normal(mp, sp, mq, sq):
    got = kb.kl_mvn([mp], [[sp**2]], [mq], [[sq**2]])
    assert got == pytest.approx(kb.kl_normal(mp, sp, mq, sq), rel=1e-9, abs=1e-12)


def test_kl_mvn_of_independent_coordinates_adds_up():
    mp, sp, mq, sq = np.array([0.0, 1.0]), np.array([1.0, 0.5]), np.array([1.0, -1.0]), np.array([2.0, 1.0])
    got = kb.kl_mvn(mp, np.diag(sp**2), mq, np.diag(sq**2))
    assert got == pytest.approx(kb.kl_normal(mp, sp, mq, sq).sum(), rel=1e-12)


def test_kl_mvn_batches():
    rng = np.random.default_rng(3)
    covs = np.stack([random_spd(rng, 3) for _ in range(4)])
    means_ = rng.normal(size=(4, 3))
    got = kb.kl_mvn(means_, covs, np.zeros(3), np.eye(3))
    assert got.shape == (4,)
    for i in range(4):
        assert got[i] == pytest.approx(kb.kl_mvn(means_[i], covs[i], np.zeros(3), np.eye(3)))


def test_kl_mvn_is_well_conditioned_where_an_inverse_would_struggle():
    # Nearly singular but valid covariance: the Cholesky route stays finite and >= 0.
    cov = np.array([[1.0, 1 - 1e-9], [1 - 1e-9, 1.0]])
    got = kb.kl_mvn([0, 0], cov, [0, 0], cov)
    assert got == pytest.approx(0.0, abs=1e-6)


def test_kl_mvn_symmetry_check_is_relative_to_the_scale():
    # a tiny covariance that is far from symmetric (its upper triangle is 50x its diagonal)
    with pytest.raises(ValueError, match="cov_p is not symmetric"):
        kb.kl_mvn([0, 0], [[1e-12, 5e-11], [0.0, 1e-12]], [0, 0], 1e-12 * np.eye(2))


def test_kl_mvn_accepts_float32_rounding_asymmetry_and_uses_the_symmetric_part():
    cov = np.array([[1.0, 0.3], [0.3, 1.0]])
    cov32 = cov.astype(np.float32)
    cov32[1, 0] = np.nextafter(cov32[1, 0], np.float32(1))  # one float32 ulp off
    got = kb.kl_mvn([0, 0], cov32, [0, 0], np.eye(2))
    c64 = cov32.astype(np.float64)
    expected = kb.kl_mvn([0, 0], 0.5 * (c64 + c64.T), [0, 0], np.eye(2))
    assert got == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="not symmetric"):  # the same gap in float64 is not rounding
        kb.kl_mvn([0, 0], [[1.0, 0.3], [0.3 + 3e-8, 1.0]], [0, 0], np.eye(2))


@pytest.mark.parametrize(
    "args, message",
    [
        (([0, 0], [[1, 0.5], [0, 1]], [0, 0], np.eye(2)), "cov_p is not symmetric"),
        (([0, 0], np.eye(2), [0, 0], [[1, 2], [2, 1]]), "cov_q is not positive definite"),
        (([0, 0], np.eye(3), [0, 0], np.eye(2)), r"cov_p must have shape \(\.\.\., 2, 2\)"),
        (([0, 0], np.eye(2), [0, 0, 0], np.eye(3)), "mean_q has 3"),
        (([np.nan, 0], np.eye(2), [0, 0], np.eye(2)), "mean_p contains NaN"),
        (([0, 0], [[np.inf, 0], [0, 1]], [0, 0], np.eye(2)), "cov_p contains infinite"),
        (([], np.eye(0), [], np.eye(0)), "non-empty"),
    ],
)
def test_kl_mvn_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        kb.kl_mvn(*args)

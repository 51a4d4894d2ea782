"""EM for Bernoulli mixtures and the quadrature KL of klbook.mle.

Laws: EM never decreases its objective; with one component it is the closed-form
(smoothed) frequency; the mixture's probabilities over all binary vectors sum to 1.
Cross-checks: quadrature KL against the closed forms of klbook and torch.
"""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from scipy.special import logsumexp

import klbook as kb
from klbook.mle import bernoulli_log_likelihood


@st.composite
def binary_data(draw, max_rows=40, max_cols=6):
    n = draw(st.integers(2, max_rows))
    d = draw(st.integers(1, max_cols))
    return draw(arrays(np.float64, (n, d), elements=st.sampled_from([0.0, 1.0])))


# --- EM laws ------------------------------------------------------------------------------------


@settings(max_examples=60)
@given(binary_data(), st.integers(1, 4), st.sampled_from([0.0, 0.5, 1.0]), st.integers(0, 3))
def test_em_never_decreases_its_objective(x, k, s, seed):
    k = min(k, x.shape[0])
    fit = kb.fit_bernoulli_mixture(x, k, smoothing=s, seed=seed, max_iter=60, tol=0.0)
    scale = max(1.0, abs(fit.objective[0]))
    assert np.all(np.diff(fit.objective) >= -1e-12 * scale)
    if s == 0:  # plain maximum likelihood: the log-likelihood itself is the objective
        np.testing.assert_array_equal(fit.objective, fit.log_likelihood)


def test_em_log_likelihood_increases_on_digits_without_smoothing():
    x = kb.load_digits(binarize=True).x_train
    fit = kb.fit_bernoulli_mixture(x, 5, smoothing=0.0, seed=1, max_iter=80, tol=0.0)
    assert fit.log_likelihood[-1] > fit.log_likelihood[0] + 1.0
    assert np.all(np.diff(fit.log_likelihood) >= -1e-10)


@settings(max_examples=80)
@given(binary_data(), st.sampled_from([0.0, 0.3, 1.0, 5.0]))
def test_one_component_is_the_closed_form_mle(x, s):
    fit = kb.fit_bernoulli_mixture(x, 1, smoothing=s)
    n = x.shape[0]
    expected = (x.sum(axis=0) + s) / (n + 2 * s)
    np.testing.assert_allclose(fit.means[0], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(fit.weights, [1.0])
    assert fit.converged and fit.n_iter == 2  # one step to the optimum, one to see no gain
    if s > 0:  # independent Bernoulli log-likelihood by scipy
        ll = stats.bernoulli.logpmf(x, expected).sum(axis=1)
        assert fit.nll(x) == pytest.approx(-ll.mean(), rel=1e-10)


def test_one_component_without_smoothing_is_the_pixel_frequency():
    x = kb.load_digits(binarize=True).x_train
    fit = kb.fit_bernoulli_mixture(x, 1, smoothing=0.0)
    np.testing.assert_allclose(fit.means[0], x.mean(axis=0), rtol=1e-12)


# --- the mixture as a distribution ---------------------------------------------------------------


@given(st.integers(1, 3), st.integers(0, 50))
def test_mixture_probabilities_sum_to_one(k, seed):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(k))
    mu = rng.uniform(0, 1, size=(k, 4))
    everything = np.array(list(itertools.product([0.0, 1.0], repeat=4)))
    assert logsumexp(bernoulli_log_likelihood(everything, w, mu)) == pytest.approx(0.0, abs=1e-12)


def test_data_init_uses_distinct_rows():
    x = np.array([[1.0, 0.0]] * 5 + [[0.0, 1.0]])  # only two distinct rows
    fit = kb.fit_bernoulli_mixture(x, 2, smoothing=0.0, n_init=4)
    np.testing.assert_allclose(sorted(fit.weights), [1 / 6, 5 / 6])


def test_log_likelihood_matches_a_loop_over_components():
    rng = np.random.default_rng(3)
    x = (rng.random((20, 5)) < 0.4).astype(float)
    w = np.array([0.2, 0.5, 0.3])
    mu = rng.uniform(0.05, 0.95, size=(3, 5))
    per_k = np.stack([stats.bernoulli.logpmf(x, mu[j]).sum(axis=1) + math.log(w[j]) for j in range(3)], 1)
    np.testing.assert_allclose(bernoulli_log_likelihood(x, w, mu), logsumexp(per_k, axis=1), rtol=1e-12)


def test_zero_and_one_means_are_exact():
    x = np.array([[1.0, 0.0], [0.0, 0.0]])
    ll = bernoulli_log_likelihood(x, [0.5, 0.5], [[0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(ll, [math.log(0.5), math.log(0.5)])
    assert bernoulli_log_likelihood([[1.0, 1.0]], [1.0], [[1.0, 0.0]])[0] == -np.inf


def test_shapes_responsibilities_and_samples():
    x = kb.load_digits(binarize=True).x_train[:300]
    fit = kb.fit_bernoulli_mixture(x, 4, seed=0, n_init=2)
    assert fit.weights.shape == (4,) and fit.means.shape == (4, 64)
    assert fit.log_likelihood.shape == fit.objective.shape == (fit.n_iter + 1,)
    assert fit.n_components == 4
    r = fit.responsibilities(x)
    assert r.shape == (300, 4)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(r.mean(axis=0), fit.weights, atol=1e-3)  # near a fixed point of EM
    assert np.all((fit.means > 0) & (fit.means < 1))
    assert fit.log_prob(x).shape == (300,)
    samples = fit.sample(4000, np.random.default_rng(0))
    assert samples.shape == (4000, 64) and set(np.unique(samples)) <= {0.0, 1.0}
    np.testing.assert_allclose(samples.mean(axis=0), fit.weights @ fit.means, atol=0.05)


def test_fit_is_deterministic_and_restarts_keep_the_best():
    x = kb.load_digits(binarize=True).x_train[:400]
    a = kb.fit_bernoulli_mixture(x, 3, seed=5, n_init=3)
    b = kb.fit_bernoulli_mixture(x, 3, seed=5, n_init=3)
    np.testing.assert_array_equal(a.means, b.means)
    rng, rows = np.random.default_rng(5), np.unique(x, axis=0)
    single = [
        kb.fit_bernoulli_mixture(x, 3, init_means=0.5 * rows[rng.choice(len(rows), 3, replace=False)] + 0.25)
        .objective[-1]
        for _ in range(3)
    ]
    assert a.objective[-1] == pytest.approx(max(single), rel=1e-12)
    u = kb.fit_bernoulli_mixture(x, 3, seed=5, init="uniform")
    first = kb.fit_bernoulli_mixture(x, 3, init_means=np.random.default_rng(5).uniform(0.25, 0.75, (3, 64)))
    np.testing.assert_array_equal(u.means, first.means)


# --- bad input --------------------------------------------------------------------------------


X = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((X * 2, 1), {}, ValueError, "only 0 and 1"),
        ((X[0], 1), {}, ValueError, "must be 2-D"),
        ((np.zeros((0, 3)), 1), {}, ValueError, "empty"),
        ((X, 0), {}, ValueError, "n_components must be between 1"),
        ((X, 4), {}, ValueError, "n_components must be between 1"),
        ((X, 1.0), {}, TypeError, "n_components must be an integer"),
        ((X, 1), {"smoothing": -1}, ValueError, "smoothing must be"),
        ((X, 1), {"tol": float("nan")}, ValueError, "tol must be"),
        ((X, 1), {"max_iter": 0}, ValueError, "max_iter"),
        ((X, 2), {"init_means": np.full((3, 2), 0.5)}, ValueError, "means must have shape"),
        ((X, 2), {"init_means": np.full((2, 2), 0.5), "n_init": 2}, ValueError, "n_init must be 1"),
        ((X, 2), {"init": "kmeans"}, ValueError, "init must be 'data' or 'uniform'"),
        (("abc", 1), {}, TypeError, "x must be array-like"),
    ],
)
def test_fit_rejects_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        kb.fit_bernoulli_mixture(*args, **kwargs)


@pytest.mark.parametrize(
    "w, mu, message",
    [
        ([0.5, 0.6], [[0.5, 0.5], [0.5, 0.5]], "sum to 1"),
        ([1.0], [[0.5, 1.5]], r"lie in \[0, 1\]"),
        ([1.0], [[0.5, 0.5, 0.5]], "x has 2 features but means has 3"),
        ([1.0], [0.5, 0.5], "must have shape"),
    ],
)
def test_log_likelihood_rejects_bad_parameters(w, mu, message):
    with pytest.raises(ValueError, match=message):
        bernoulli_log_likelihood(X, w, mu)


def test_sample_rejects_bad_arguments():
    fit = kb.fit_bernoulli_mixture(X, 1)
    with pytest.raises(ValueError, match="n must be"):
        fit.sample(-1, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng must be"):
        fit.sample(3, 0)


# --- quadrature KL ------------------------------------------------------------------------------


@settings(max_examples=25)
@given(st.floats(-3, 3), st.floats(0.3, 3), st.floats(-3, 3), st.floats(0.3, 3))
def test_kl_quad_matches_the_normal_closed_form(mp, sp, mq, sq):
    got = kb.kl_quad(stats.norm(mp, sp).logpdf, stats.norm(mq, sq).logpdf)
    assert got == pytest.approx(kb.kl_normal(mp, sp, mq, sq), rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("ap, rp, aq, rq", [(2.0, 1.0, 2.0, 1.0), (2.0, 1.0, 3.0, 1.5), (0.7, 2.0, 1.5, 0.5)])
def test_kl_quad_matches_torch_gamma(ap, rp, aq, rq):
    g = torch.distributions.Gamma
    t = lambda a, r: g(torch.tensor(a, dtype=torch.float64), torch.tensor(r, dtype=torch.float64))  # noqa: E731
    expected = torch.distributions.kl_divergence(t(ap, rp), t(aq, rq)).item()
    got = kb.kl_quad(stats.gamma(ap, scale=1 / rp).logpdf, stats.gamma(aq, scale=1 / rq).logpdf, lower=0.0)
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-10)


def test_kl_quad_is_infinite_where_q_vanishes():
    assert kb.kl_quad(stats.norm().logpdf, stats.uniform(-1, 2).logpdf) == np.inf


def test_kl_quad_rejects_bad_arguments():
    f = stats.norm().logpdf
    with pytest.raises(TypeError, match="logpdf_q must be a callable"):
        kb.kl_quad(f, 3.0)
    with pytest.raises(ValueError, match="lower must be smaller"):
        kb.kl_quad(f, f, lower=1.0, upper=0.0)
    with pytest.raises(ValueError, match="upper must be a real number"):
        kb.kl_quad(f, f, upper=float("nan"))
    with pytest.raises(ValueError, match="integrates to"):
        kb.kl_quad(f, f, lower=0.0)  # half of the normal's mass lies below 0


def test_em_means_within_rounding_of_one_keep_an_accurate_log_of_one_minus_mean():
    from klbook.mle import _m_step

    x = np.array([[1.0], [0.0]])
    # the image with a 0 has responsibility 1e-20: the mean rounds to 1 in float64 ...
    log_mu, log_1m = _m_step(np.array([[1.0], [1e-20]]), x, 0.0)
    assert np.exp(log_mu[0, 0]) == 1.0
    # ... but log(1 - mu) is still log(1e-20 / (1 + 1e-20)), not -inf
    np.testing.assert_allclose(log_1m[0, 0], np.log(1e-20), rtol=1e-12)
    # only a count that is exactly 0 (no responsible image has a 0) rules the value out
    log_mu, log_1m = _m_step(np.array([[1.0], [0.0]]), x, 0.0)
    assert log_mu[0, 0] == 0.0 and np.isneginf(log_1m[0, 0])


def test_fitted_mixture_log_prob_uses_the_accurate_log_parameters():
    from klbook.mle import bernoulli_log_likelihood

    rng = np.random.default_rng(3)
    x = (rng.random((300, 12)) < 0.5).astype(float)
    x[:150, 0] = 1.0  # pixel 0 is always on in the first half
    m = kb.fit_bernoulli_mixture(x, 4, smoothing=0.0, n_init=2, seed=0)
    np.testing.assert_allclose(np.exp(m.log_means), m.means, rtol=1e-12)
    finite = np.isfinite(m.log1m_means) & (m.means < 1 - 1e-6)
    np.testing.assert_allclose(m.log1m_means[finite], np.log1p(-m.means[finite]), rtol=1e-9)
    # where no mean is extreme, the two routes to log p(x) agree
    m1 = kb.fit_bernoulli_mixture(x, 1, smoothing=0.0)
    np.testing.assert_allclose(m1.log_prob(x), bernoulli_log_likelihood(x, m1.weights, m1.means), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 6)),
        elements=st.one_of(
            st.sampled_from([0.0, -1.0, -np.inf]),
            st.floats(-800.0, 50.0, allow_nan=False),
        ),
    )
)
def test_row_logsumexp_is_scipys_bit_for_bit(a):
    """The E-step's log-sum-exp does scipy's arithmetic (ties, -inf rows included)."""
    from klbook.mle import _logsumexp_rows

    with np.errstate(invalid="ignore", divide="ignore"):
        expected = logsumexp(a, axis=1)
    np.testing.assert_array_equal(_logsumexp_rows(a), expected)
    np.testing.assert_array_equal(_logsumexp_rows(a, keepdims=True)[:, 0], expected)


def test_fast_em_step_agrees_with_the_general_one_bit_for_bit():
    """With every log parameter finite, the E-step skips the -inf bookkeeping;
    the result is the same bits as the general route."""
    from klbook.mle import _component_log_likelihood_with

    rng = np.random.default_rng(0)
    x = (rng.random((50, 7)) < 0.4).astype(float)
    log_mu, log_1m = np.log(rng.uniform(0.1, 0.9, (3, 7))), np.log(rng.uniform(0.1, 0.9, (3, 7)))
    general = x @ np.where(np.isfinite(log_mu), log_mu, 0.0).T + (1 - x) @ np.where(
        np.isfinite(log_1m), log_1m, 0.0
    ).T
    np.testing.assert_array_equal(_component_log_likelihood_with(x, 1 - x, log_mu, log_1m), general)
    log_mu[0, 0] = -np.inf  # pixel 0 impossible to be on in component 0
    out = _component_log_likelihood_with(x, 1 - x, log_mu, log_1m)
    assert np.all(np.isneginf(out[x[:, 0] == 1, 0])) and np.all(np.isfinite(out[x[:, 0] == 0, 0]))
    assert np.all(np.isfinite(out[:, 1:]))

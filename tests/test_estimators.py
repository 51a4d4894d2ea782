"""Sample-based KL estimators against closed forms, identities and bad input."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import klbook as kb

log_densities = arrays(np.float64, st.integers(1, 50), elements=st.floats(-60, 60))


def gaussian_log_ratio(delta, n, seed):
    """log r = log q(x) - log p(x) for x ~ P = N(0, 1), Q = N(delta, 1)."""
    x = np.random.default_rng(seed).standard_normal(n)
    log_p = -0.5 * x**2
    log_q = -0.5 * (x - delta) ** 2
    return log_p, log_q


# ---------------------------------------------------------------- k1, k2, k3: identities


@given(st.data())
def test_k3_is_nonnegative_on_every_sample(data):
    log_p = data.draw(log_densities)
    log_q = data.draw(arrays(np.float64, log_p.shape, elements=st.floats(-60, 60)))
    k3 = kb.kl_per_sample(log_p, log_q, estimator="k3")
    assert (k3 >= 0).all()


@given(st.data())
def test_per_sample_identities(data):
    log_p = data.draw(log_densities)
    log_q = data.draw(arrays(np.float64, log_p.shape, elements=st.floats(-30, 30)))
    k1, k2, k3 = (kb.kl_per_sample(log_p, log_q, estimator=e) for e in ("k1", "k2", "k3"))
    log_r = log_q - log_p
    np.testing.assert_array_equal(k1, -log_r)
    np.testing.assert_allclose(k2, 0.5 * k1**2)
    # k3 = k1 + (r - 1)
    np.testing.assert_allclose(k3, k1 + np.expm1(log_r), rtol=1e-12, atol=1e-12)


@given(st.floats(-1e-2, 1e-2).filter(lambda u: abs(u) > 1e-150))
def test_k3_is_accurate_where_r_is_close_to_one(u):
    k3 = kb.kl_per_sample([0.0], [u], estimator="k3")[0]
    exact = math.fsum(u**j / math.factorial(j) for j in range(2, 12))
    assert k3 == pytest.approx(exact, rel=1e-12)
    assert k3 > 0  # no cancellation to 0 (until u**2 underflows, below 1e-154)


def test_k3_branches_agree_at_the_cutoff():
    for u in (1e-2, -1e-2):
        below = kb.kl_per_sample([0.0], [u * (1 - 1e-12)], estimator="k3")[0]
        above = kb.kl_per_sample([0.0], [u * (1 + 1e-12)], estimator="k3")[0]
        assert below == pytest.approx(above, rel=1e-10)


def test_k3_overflows_to_inf_without_warning():
    with np.errstate(all="raise"):
        assert np.isinf(kb.kl_per_sample([0.0], [800.0])[0])


# ------------------------------------------------ k1, k2, k3: bias and variance (Gaussians)


@pytest.mark.parametrize("delta", [0.1, 1.0])
def test_bias_and_spread_match_the_closed_form(delta):
    n = 400_000
    log_p, log_q = gaussian_log_ratio(delta, n, seed=0)
    true = delta**2 / 2
    k = {e: kb.kl_per_sample(log_p, log_q, estimator=e) for e in ("k1", "k2", "k3")}
    se = {e: v.std(ddof=1) / math.sqrt(n) for e, v in k.items()}
    # k1 and k3 unbiased: within 4 standard errors of the true KL
    assert abs(k["k1"].mean() - true) < 4 * se["k1"]
    assert abs(k["k3"].mean() - true) < 4 * se["k3"]
    # k2 biased by E[log r]^2 / 2 = delta^4 / 8
    assert abs(k["k2"].mean() - (true + delta**4 / 8)) < 4 * se["k2"]
    # standard deviations: sqrt(Var log r) etc. in closed form (within 2 %)
    expected_sd = {
        "k1": delta,
        "k2": delta**2 * math.sqrt(2 + delta**2) / 2,
        "k3": math.sqrt(math.expm1(delta**2) - delta**2),
    }
    for e, sd in expected_sd.items():
        assert k[e].std() == pytest.approx(sd, rel=0.02)


def test_k2_bias_is_detectable():
    log_p, log_q = gaussian_log_ratio(1.0, 400_000, seed=1)
    est = kb.kl_monte_carlo(log_p, log_q, estimator="k2")
    assert est.estimate - 0.5 > 10 * est.stderr  # bias 1/8 against a standard error ~0.003


def test_kl_monte_carlo_standard_error():
    log_p, log_q = gaussian_log_ratio(1.0, 1000, seed=2)
    est = kb.kl_monte_carlo(log_p, log_q, estimator="k1")
    values = -(log_q - log_p)
    assert est.n == 1000
    assert est.estimate == pytest.approx(values.mean())
    assert est.stderr == pytest.approx(values.std(ddof=1) / math.sqrt(1000))
    assert isinstance(est, kb.MonteCarloEstimate) and isinstance(est.estimate, float)


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (([0.0, 1.0], [0.0]), {}, ValueError, "same length"),
        (([[0.0, 1.0]], [[0.0, 1.0]]), {}, ValueError, "log_p must be 1-D"),
        (([0.0], [0.0]), {}, ValueError, "at least 2 samples"),
        (([], []), {}, ValueError, "at least 2 samples"),
        (([0.0, np.nan], [0.0, 0.0]), {}, ValueError, "log_p contains NaN"),
        (([0.0, 0.0], [0.0, np.inf]), {}, ValueError, "log_q contains infinite"),
        (([0.0, 0.0], [0.0, 0.0]), {"estimator": "k4"}, ValueError, "estimator must be one of"),
        (([0.0, 0.0], [0.0, 0.0]), {"estimator": 3}, TypeError, "estimator must be one of"),
        (("ab", [0.0, 0.0]), {}, TypeError, "log_p"),
    ],
)
def test_kl_monte_carlo_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        kb.kl_monte_carlo(*args, **kwargs)


# ------------------------------------------------------------------------- k-NN estimator

MEAN_Q = np.array([1.0, -0.5])
COV_Q = np.array([[2.0, 0.5], [0.5, 1.5]])


@pytest.mark.parametrize("k", [1, 5])
def test_knn_within_tolerance_of_closed_form_in_2d(k):
    """P = N(0, I), Q = N(MEAN_Q, COV_Q) (KL 0.597 nats), n = m = 5000 in 2-D.

    Stated tolerance: each of 5 seeds within 0.1 nats of the closed form, and their mean
    within 0.04 (over 10 seeds the errors had spread ~0.03 for k = 1, ~0.015 for k = 5,
    with mean bias ~ -0.01).
    """
    true = kb.kl_mvn(np.zeros(2), np.eye(2), MEAN_Q, COV_Q)
    errors = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((5000, 2))
        y = rng.multivariate_normal(MEAN_Q, COV_Q, size=5000)
        errors.append(kb.knn_kl_divergence(x, y, k=k) - true)
    errors = np.array(errors)
    assert np.abs(errors).max() < 0.1
    assert abs(errors.mean()) < 0.04


def test_knn_of_two_samples_of_one_distribution_is_near_zero():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4000, 3)), rng.standard_normal((4000, 3))
    assert abs(kb.knn_kl_divergence(x, y, k=3)) < 0.05


@given(
    st.floats(-100, 100), st.floats(-100, 100), st.floats(1e-3, 1e3), st.integers(1, 4)
)
def test_knn_is_invariant_to_translation_and_scaling(shift_a, shift_b, scale, k):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((60, 2)), rng.standard_normal((50, 2)) + 0.5
    shift = np.array([shift_a, shift_b])
    base = kb.knn_kl_divergence(x, y, k=k)
    moved = kb.knn_kl_divergence(scale * x + shift, scale * y + shift, k=k)
    assert moved == pytest.approx(base, abs=1e-6)


def test_knn_accepts_1d_arrays_as_scalar_samples():
    rng = np.random.default_rng(5)
    x, y = rng.normal(0, 1, 300), rng.normal(1, 1, 200)
    assert kb.knn_kl_divergence(x, y) == kb.knn_kl_divergence(x[:, None], y[:, None])


@pytest.mark.parametrize(
    "x, y, kwargs, error, message",
    [
        (np.zeros((3, 2, 2)), np.zeros((3, 2)), {}, ValueError, "x must have shape"),
        (np.ones((5, 2)), np.ones((5, 3)), {}, ValueError, "same dimension"),
        (np.ones((5, 0)), np.ones((5, 0)), {}, ValueError, "zero dimensions"),
        ([[0.0]], [[1.0]], {}, ValueError, "x needs at least 2 samples"),
        ([[0.0], [1.0], [2.0]], [[1.0]], {"k": 2}, ValueError, "y needs at least 2 samples"),
        ([[0.0], [1.0]], [[1.0]], {"k": 0}, ValueError, "k must be >= 1"),
        ([[0.0], [1.0]], [[1.0]], {"k": 1.0}, TypeError, "k must be an integer"),
        ([[0.0], [np.nan]], [[1.0]], {}, ValueError, "x contains NaN"),
        ([[0.0], [0.0], [1.0]], [[0.5], [2.0]], {}, ValueError, "x has repeated points"),
        ([[0.0], [1.0], [3.0]], [[1.0], [2.0]], {}, ValueError, "y repeats points of x"),
    ],
)
def test_knn_rejects_bad_input(x, y, kwargs, error, message):
    with pytest.raises(error, match=message):
        kb.knn_kl_divergence(x, y, **kwargs)


def test_knn_duplicates_are_fine_when_k_exceeds_them():
    x = [[0.0], [0.0], [1.0], [2.5]]
    y = [[0.5], [2.0], [3.0]]
    with pytest.raises(ValueError, match="repeated"):
        kb.knn_kl_divergence(x, y, k=1)
    assert np.isfinite(kb.knn_kl_divergence(x, y, k=2))


def test_knn_with_l_equal_to_k_is_the_default():
    rng = np.random.default_rng(12)
    x, y = rng.standard_normal((300, 2)), rng.standard_normal((250, 2)) + 0.3
    for k in (1, 3):
        assert kb.knn_kl_divergence(x, y, k=k, l=k) == kb.knn_kl_divergence(x, y, k=k)


def test_knn_with_l_matches_the_formula_by_brute_force():
    # d/n sum log(nu_l / rho_k) + psi(k) - psi(l) + log(m / (n - 1)), distances by brute force
    from scipy import special

    rng = np.random.default_rng(13)
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((30, 3)) + 0.5
    rho_all = np.sort(np.linalg.norm(x[:, None] - x[None], axis=-1), axis=1)  # column 0 is the point itself
    nu_all = np.sort(np.linalg.norm(x[:, None] - y[None], axis=-1), axis=1)
    for k, l in [(1, 1), (1, 4), (4, 1), (2, 7)]:
        expected = (3 * np.mean(np.log(nu_all[:, l - 1] / rho_all[:, k]))
                    + special.digamma(k) - special.digamma(l) + np.log(30 / 39))
        assert kb.knn_kl_divergence(x, y, k=k, l=l) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("k, l", [(1, 4), (4, 1), (1, 16)])
def test_knn_with_different_k_and_l_is_unbiased_only_with_the_digamma_term(k, l):
    """1-D, P = N(0, 1), Q = N(1, 1), KL 0.5, n = m = 20 000, 4 seeds.

    With the psi(k) - psi(l) term the mean error over the seeds is below 0.02 nats (the
    standard error is about 0.005). Plugging the two density estimates k/((n-1) 2 rho) and
    l/(m 2 nu) into log p - log q instead (i.e. without the term, with log(k/l)) is off by
    (log k - psi(k)) - (log l - psi(l)) = 0.447 for (1, 4): the two log-density biases
    cancel only when k = l.
    """
    from scipy import special

    errors = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        x, y = rng.normal(0.0, 1.0, 20_000), rng.normal(1.0, 1.0, 20_000)
        errors.append(kb.knn_kl_divergence(x, y, k=k, l=l) - 0.5)
    error = np.mean(errors)
    assert abs(error) < 0.02
    offset = (np.log(k) - special.digamma(k)) - (np.log(l) - special.digamma(l))
    plug_in_error = error - (special.digamma(k) - special.digamma(l)) + np.log(k / l)
    assert abs(plug_in_error - offset) < 0.02 and abs(offset) > 0.4


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"l": 0}, ValueError, "l must be >= 1"),
        ({"l": 1.5}, TypeError, "l must be an integer"),
        ({"l": 3}, ValueError, "y needs at least 3 samples"),
    ],
)
def test_knn_rejects_bad_l(kwargs, error, message):
    with pytest.raises(error, match=message):
        kb.knn_kl_divergence([[0.0], [1.0], [3.0]], [[0.5], [2.0]], **kwargs)


def test_knn_repeated_y_points_name_l():
    x = [[0.0], [1.0], [3.0]]
    y = [[1.0], [1.0], [2.0]]
    with pytest.raises(ValueError, match="coincide with 2 or more samples of y"):
        kb.knn_kl_divergence(x, y, k=1, l=2)
    assert np.isfinite(kb.knn_kl_divergence(x, y, k=1, l=3))


# ----------------------------------------------------------------- plug-in (histogram)


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-10, 10)), st.integers(1, 30))
def test_histogram_of_one_sample_against_itself_is_zero(x, bins):
    assert kb.histogram_kl_divergence(x, x, bins=bins) == pytest.approx(0.0, abs=1e-12)


def test_histogram_matches_the_binned_counts():
    x = [0.1, 0.2, 0.7, 0.8, -3.0]  # -3 is clipped into the first cell of range (0, 1)
    y = [0.1, 0.6, 0.7, 0.8]
    got = kb.histogram_kl_divergence(x, y, bins=2, bounds=(0, 1))
    assert got == pytest.approx(kb.kl_divergence([3 / 5, 2 / 5], [1 / 4, 3 / 4]))
    smoothed = kb.histogram_kl_divergence(x, y, bins=2, bounds=(0, 1), pseudocount=0.5)
    assert smoothed == pytest.approx(kb.kl_divergence([3.5 / 6, 2.5 / 6], [1.5 / 5, 3.5 / 5]))


def test_histogram_empty_cell_of_q_gives_inf_unless_smoothed():
    x, y = [0.1, 0.9], [0.1, 0.2]
    assert math.isinf(kb.histogram_kl_divergence(x, y, bins=2, bounds=(0, 1)))
    assert math.isfinite(kb.histogram_kl_divergence(x, y, bins=2, bounds=(0, 1), pseudocount=0.5))


def test_histogram_2d_close_to_closed_form_with_many_samples():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((200_000, 2))
    y = rng.multivariate_normal(MEAN_Q, COV_Q, size=200_000)
    true = kb.kl_mvn(np.zeros(2), np.eye(2), MEAN_Q, COV_Q)
    est = kb.histogram_kl_divergence(x, y, bins=30, bounds=[(-5, 5), (-5, 5)], pseudocount=0.5)
    assert est == pytest.approx(true, abs=0.03)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"bins": 0}, ValueError, "bins must be >= 1"),
        ({"bins": 2.5}, TypeError, "bins must be an integer"),
        ({"pseudocount": -1.0}, ValueError, "pseudocount"),
        ({"bounds": (1, 0)}, ValueError, "lo < hi"),
        ({"bounds": (0, 1, 2)}, ValueError, "bounds must be"),
    ],
)
def test_histogram_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        kb.histogram_kl_divergence([0.1, 0.5], [0.2, 0.3], **kwargs)


def test_histogram_rejects_too_many_cells():
    with pytest.raises(ValueError, match="too many"):
        kb.histogram_kl_divergence(np.zeros((3, 8)), np.zeros((3, 8)), bins=10)


# ---------------------------------------------------------------------------- classifier


def test_classifier_close_to_closed_form_in_2d():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4000, 2))
    y = rng.multivariate_normal(MEAN_Q, COV_Q, size=4000)
    true = kb.kl_mvn(np.zeros(2), np.eye(2), MEAN_Q, COV_Q)
    assert kb.classifier_kl_divergence(x, y) == pytest.approx(true, abs=0.05)


def test_classifier_corrects_for_unequal_sample_sizes():
    rng = np.random.default_rng(8)
    x, y = rng.normal(1, 1, 2000), rng.normal(0, 1, 8000)
    assert kb.classifier_kl_divergence(x, y, features="linear") == pytest.approx(0.5, abs=0.06)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"features": "cubic"}, ValueError, "features must be"),
        ({"l2": -1.0}, ValueError, "l2 must be"),
        ({"folds": 1}, ValueError, "folds must be >= 2"),
        ({"folds": 50}, ValueError, "x needs at least 100 samples"),
        ({"variant": "nwj"}, ValueError, "variant must be"),
        ({"variant": None}, TypeError, "variant must be one of"),
        ({"features": 2}, TypeError, "features must be one of"),
    ],
)
def test_classifier_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        kb.classifier_kl_divergence(np.arange(20.0), np.arange(20.0) + 0.5, **kwargs)


def test_classifier_dv_variant_by_hand_and_invariant_to_an_offset():
    # folds=2: fit on one half of each sample, evaluate on the other half, average the two
    from scipy import special

    from klbook._logistic import fit_logistic

    rng = np.random.default_rng(14)
    x, y = rng.normal(0.0, 1.0, (400, 2)), rng.normal(0.3, 1.3, (300, 2))
    halves_x, halves_y = (x[:200], x[200:]), (y[:150], y[150:])
    plain, dv = [], []
    for held in (0, 1):
        model = fit_logistic(halves_x[1 - held], halves_y[1 - held], degree=2, l2=1e-4)
        prior = np.log(200 / 150)
        lx, ly = model(halves_x[held]) - prior, model(halves_y[held]) - prior
        plain.append(lx.mean())
        dv.append(lx.mean() - np.log(np.mean(np.exp(ly))))
        # a constant offset c in the log ratio moves the plain estimate by c, the DV one not at all
        for c in (-0.7, 0.4):
            shifted = (lx + c).mean() - (special.logsumexp(ly + c) - np.log(len(ly)))
            assert shifted == pytest.approx(dv[-1], abs=1e-12)
    assert kb.classifier_kl_divergence(x, y) == pytest.approx(np.mean(plain), rel=1e-12)
    assert kb.classifier_kl_divergence(x, y, variant="dv") == pytest.approx(np.mean(dv), rel=1e-12)


def test_classifier_dv_variant_close_to_closed_form_in_2d():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4000, 2))
    y = rng.multivariate_normal(MEAN_Q, COV_Q, size=4000)
    true = kb.kl_mvn(np.zeros(2), np.eye(2), MEAN_Q, COV_Q)
    assert kb.classifier_kl_divergence(x, y, variant="dv") == pytest.approx(true, abs=0.05)


def test_the_shared_logistic_regression_matches_scikit_learn():
    # the one hand-written Newton solver behind classifier_kl_divergence and fit_log_ratio,
    # against sklearn's lbfgs on the same objective and features: mean log-loss + l2/2 |w|^2
    # on standardised polynomial features of the inputs, i.e. C = 1 / (n * l2)
    # in scikit-learn's parametrisation (intercept not penalised)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    from klbook._logistic import fit_logistic

    rng = np.random.default_rng(3)
    for degree, l2, scale in [(2, 1e-2, 1.0), (1, 1e-3, 1.0), (2, 1e-2, 1e200), (2, 1e-4, 1e-200)]:
        x_pos, x_neg = rng.normal(0.0, 1.0, (300, 2)), rng.normal(0.7, 1.4, (200, 2))
        ours = fit_logistic(x_pos * scale, x_neg * scale, degree=degree, l2=l2)
        x = np.concatenate([x_pos, x_neg])
        labels = np.concatenate([np.ones(300), np.zeros(200)])
        sk = make_pipeline(PolynomialFeatures(degree, include_bias=False), StandardScaler(),
                           LogisticRegression(C=1 / (len(x) * l2), tol=1e-12, max_iter=10_000)).fit(x, labels)
        np.testing.assert_allclose(ours(x * scale), sk.decision_function(x), atol=1e-5)

def test_classifier_estimate_is_bit_identical_at_any_power_of_two_scale():
    # the shared fit divides each column by a power of two (exact), so rescaling the data by
    # one changes nothing, and extreme scales neither overflow nor underflow
    rng = np.random.default_rng(11)
    x, y = rng.normal(0.0, 1.0, (200, 2)), rng.normal(0.5, 1.2, (200, 2))
    reference = kb.classifier_kl_divergence(x, y)
    for k in (-600, -40, 7, 600):
        assert kb.classifier_kl_divergence(np.ldexp(x, k), np.ldexp(y, k)) == reference
    assert kb.classifier_kl_divergence(x * 1e200, y * 1e200) == pytest.approx(reference, rel=1e-9)

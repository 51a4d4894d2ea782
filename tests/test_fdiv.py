"""klbook.fdiv: f-divergences against their direct formulas and the core divergences,
zero-handling per divergence, the Fenchel bound, bad generators, and the f-GAN pieces."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import distributions, pairs, positive_pairs

import klbook as kb
from klbook.fdiv import _slope_at_infinity

LOG2 = math.log(2.0)


def direct(name, p, q):
    """The textbook formula of each divergence, written out independently."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "kl":
            return float(np.sum(np.where(p > 0, p * np.log(p / q), 0.0)))
        if name == "reverse_kl":
            return float(np.sum(np.where(q > 0, q * np.log(q / p), 0.0)))
        if name == "js":
            m = (p + q) / 2
            return 0.5 * float(np.sum(np.where(p > 0, p * np.log(p / m), 0.0))) + 0.5 * float(
                np.sum(np.where(q > 0, q * np.log(q / m), 0.0))
            )
        if name == "pearson":
            return float(np.sum((p - q) ** 2 / q))
        if name == "hellinger":
            return float(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2))
        if name == "tv":
            return 0.5 * float(np.abs(p - q).sum())
    raise AssertionError(name)


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", kb.F_GENERATORS)
@settings(max_examples=40)
@given(pq=positive_pairs())
def test_named_generators_match_the_direct_formulas(name, pq):
    p, q = pq
    assert kb.f_divergence(p, q, name) == pytest.approx(direct(name, p, q), rel=1e-9, abs=1e-12)


@given(pairs())
def test_kl_reverse_kl_and_js_agree_with_the_core_functions(pq):
    p, q = pq
    for got, want in [
        (kb.f_divergence(p, q, "kl"), kb.kl_divergence(p, q)),
        (kb.f_divergence(p, q, "reverse_kl"), kb.kl_divergence(q, p)),
        (kb.f_divergence(p, q, "js"), kb.js_divergence(p, q)),
    ]:
        if math.isinf(want):
            assert got == math.inf
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", kb.F_GENERATORS)
@settings(max_examples=40)
@given(pq=pairs())
def test_f_divergences_are_nonnegative_and_zero_on_equal_arguments(name, pq):
    p, q = pq
    assert kb.f_divergence(p, q, name) >= -1e-12
    assert kb.f_divergence(p, p, name) == pytest.approx(0.0, abs=1e-12)


@given(pairs())
def test_bounded_divergences_stay_within_their_bounds(pq):
    p, q = pq
    assert kb.f_divergence(p, q, "js") <= LOG2 + 1e-12
    assert kb.f_divergence(p, q, "tv") <= 1 + 1e-12
    assert kb.f_divergence(p, q, "hellinger") <= 2 + 1e-12


@pytest.mark.parametrize("name", kb.F_GENERATORS)
@settings(max_examples=40)
@given(pq=positive_pairs())
def test_swapping_arguments_is_the_generator_t_f_of_one_over_t(name, pq):
    # D_f(P||Q) = D_g(Q||P) with g(t) = t f(1/t)
    p, q = pq
    f = kb.f_generator(name)
    assert kb.f_divergence(q, p, lambda t: t * f(1.0 / t)) == pytest.approx(
        kb.f_divergence(p, q, name), rel=1e-7, abs=1e-10
    )


@given(pairs(), st.floats(0.0, 1.0))
def test_f_divergences_are_jointly_convex_along_a_mixture(pq, lam):
    p, q = pq
    r = np.full_like(p, 1.0 / p.size)
    for name in ("js", "tv", "hellinger"):
        mixed = kb.f_divergence(lam * p + (1 - lam) * r, lam * q + (1 - lam) * r, name)
        assert mixed <= lam * kb.f_divergence(p, q, name) + 1e-9


def test_batches_broadcast_like_kl_divergence():
    p = np.array([[0.2, 0.8], [0.5, 0.5]])
    q = np.array([0.5, 0.5])
    np.testing.assert_allclose(kb.f_divergence(p, q, "kl"), kb.kl_divergence(p, q))
    np.testing.assert_allclose(kb.f_divergence(p.T, q[:, None], "js", axis=0), kb.js_divergence(p, q))


# --- mismatched supports -------------------------------------------------------------------------

P_ONLY = ([0.5, 0.5, 0.0], [0.5, 0.0, 0.5])  # each has an outcome the other lacks
DISJOINT = ([1.0, 0.0], [0.0, 1.0])


def test_q_missing_p_mass_is_infinite_for_kl_and_pearson_finite_for_the_rest():
    p, q = [0.5, 0.5], [1.0, 0.0]
    assert kb.f_divergence(p, q, "kl") == math.inf
    assert kb.f_divergence(p, q, "pearson") == math.inf
    assert kb.f_divergence(p, q, "reverse_kl") == pytest.approx(LOG2)
    assert kb.f_divergence(p, q, "js") == pytest.approx(kb.js_divergence(p, q))
    assert kb.f_divergence(p, q, "tv") == pytest.approx(0.5)
    assert kb.f_divergence(p, q, "hellinger") == pytest.approx((1 - math.sqrt(0.5)) ** 2 + 0.5)


def test_p_missing_q_mass_is_infinite_for_reverse_kl_only():
    p, q = [1.0, 0.0], [0.5, 0.5]
    assert kb.f_divergence(p, q, "reverse_kl") == math.inf
    for name in ("kl", "js", "pearson", "hellinger", "tv"):
        assert math.isfinite(kb.f_divergence(p, q, name))
    assert kb.f_divergence(p, q, "pearson") == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name, value",
    [("kl", math.inf), ("reverse_kl", math.inf), ("pearson", math.inf), ("js", LOG2), ("tv", 1.0), ("hellinger", 2.0)],
)
def test_disjoint_supports_take_the_extreme_value(name, value):
    assert kb.f_divergence(*DISJOINT, name) == value or kb.f_divergence(*DISJOINT, name) == pytest.approx(value)


@pytest.mark.parametrize("name", kb.F_GENERATORS)
def test_user_callable_reproduces_the_zero_conventions_of_the_named_generator(name):
    g = kb.f_generator(name)
    for p, q in (P_ONLY, DISJOINT, ([0.2, 0.3, 0.5], [0.0, 0.6, 0.4])):
        want = kb.f_divergence(p, q, name)
        got = kb.f_divergence(p, q, g.f)
        assert got == want or got == pytest.approx(want, rel=1e-6)


def test_subnormal_probabilities_do_not_give_nan():
    p, q = [1.0 - 5e-324, 5e-324], [5e-324, 1.0 - 5e-324]
    for name in kb.F_GENERATORS:
        value = kb.f_divergence(p, q, name)
        assert not math.isnan(value)
    assert kb.f_divergence(p, q, "js") == pytest.approx(LOG2)
    assert kb.f_divergence(p, q, "tv") == pytest.approx(1.0)


def test_slope_at_infinity_estimates():
    assert _slope_at_infinity(kb.f_generator("kl").f) == math.inf
    assert _slope_at_infinity(kb.f_generator("pearson").f) == math.inf
    assert _slope_at_infinity(kb.f_generator("hellinger").f) == pytest.approx(1.0, abs=1e-5)
    assert _slope_at_infinity(kb.f_generator("js").f) == pytest.approx(LOG2 / 2, abs=1e-5)
    assert _slope_at_infinity(kb.f_generator("reverse_kl").f) == pytest.approx(0.0, abs=1e-9)


def test_explicit_slope_at_infinity_is_used():
    p, q = [0.5, 0.5], [1.0, 0.0]
    assert kb.f_divergence(p, q, lambda t: (t - 1) ** 2, slope_at_infinity=math.inf) == math.inf
    with pytest.raises(TypeError, match="slope_at_infinity"):
        kb.f_divergence(p, q, lambda t: (t - 1) ** 2, slope_at_infinity="big")


def test_scalar_only_callables_work():
    f = lambda t: math.fabs(t - 1.0) / 2  # noqa: E731  (not vectorised)
    assert kb.f_divergence([0.2, 0.8], [0.6, 0.4], f) == pytest.approx(0.4)


# --- bad input -------------------------------------------------------------------------------------


def test_bad_generators_are_rejected():
    p, q = [0.2, 0.8], [0.5, 0.5]
    with pytest.raises(ValueError, match=r"f\(1\) = 0"):
        kb.f_divergence(p, q, lambda t: t * np.log(t) + 1.0)
    with pytest.raises(ValueError, match="not convex"):
        kb.f_divergence(p, q, lambda t: -((t - 1) ** 2))
    with pytest.raises(ValueError, match="not convex"):
        kb.f_divergence(p, q, lambda t: np.sin(t - 1.0))
    with pytest.raises(ValueError, match="unknown f-divergence"):
        kb.f_divergence(p, q, "wasserstein")
    with pytest.raises(TypeError, match="f must be"):
        kb.f_divergence(p, q, 3.0)
    with pytest.raises(TypeError, match="name must be a string"):
        kb.f_generator(None)


def test_bad_distributions_are_rejected_like_kl_divergence():
    with pytest.raises(ValueError, match="does not sum to 1"):
        kb.f_divergence([0.2, 0.7], [0.5, 0.5], "js")
    with pytest.raises(ValueError, match="negative"):
        kb.f_divergence([1.2, -0.2], [0.5, 0.5], "tv")
    with pytest.raises(ValueError, match="different event sizes"):
        kb.f_divergence([1.0], [0.5, 0.5], "kl")


# --- conjugates and the variational bound ---------------------------------------------------------


@pytest.mark.parametrize("name", kb.F_GENERATORS)
def test_conjugate_is_the_legendre_transform(name):
    # f*(u) = sup_t (u t - f(t)), checked by brute force at the maximiser t = (f')^{-1}(u)
    g = kb.f_generator(name)
    t = np.geomspace(1e-3, 1e3, 200001)
    ft = g.f(t)
    for t0 in (0.3, 1.0, 2.5):
        if name == "tv" and t0 == 1.0:
            continue  # f' is not defined at the kink
        u = float(g.derivative(t0))
        brute = float(np.max(u * t - ft))
        assert float(g.conjugate(u)) == pytest.approx(brute, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", kb.F_GENERATORS)
def test_activation_lands_in_the_conjugate_domain_and_the_composition_is_stable(name):
    g = kb.f_generator(name)
    v = np.linspace(-8, 8, 33)
    direct_value = g.conjugate(g.activation(v))
    assert np.all(np.isfinite(direct_value))
    np.testing.assert_allclose(g.conjugate_of_activation(v), direct_value, rtol=1e-9, atol=1e-9)
    big = torch.tensor([-200.0, 0.0, 200.0], dtype=torch.float64)
    if name in ("reverse_kl", "js", "tv"):
        assert torch.isfinite(g.conjugate_of_activation(big)).all()


@pytest.mark.parametrize("name", kb.F_GENERATORS)
@settings(max_examples=40)
@given(pq=positive_pairs())
def test_variational_bound_is_tight_at_the_optimal_critic_and_lower_elsewhere(name, pq):
    p, q = pq
    g = kb.f_generator(name)
    t_star = g.derivative(p / q)
    exact = kb.f_divergence(p, q, name)
    tight = kb.variational_bound(t_star, t_star, name, weights_p=p, weights_q=q)
    assert tight == pytest.approx(exact, rel=1e-8, abs=1e-10)
    t_other = g.derivative((p / q) ** 0.5)
    assert kb.variational_bound(t_other, t_other, name, weights_p=p, weights_q=q) <= exact + 1e-10


def test_variational_bound_on_tensors_keeps_the_graph():
    v = torch.tensor([0.1, -0.3, 0.7], requires_grad=True)
    obj = kb.fgan_objective(v, v.flip(0), "js")
    obj.backward()
    assert v.grad is not None and torch.isfinite(v.grad).all()
    with pytest.raises(TypeError, match="named generator"):
        kb.variational_bound([0.0], [0.0], lambda t: t)


# --- density ratios, the ring, the f-GAN ----------------------------------------------------------


def test_fit_log_ratio_recovers_the_gaussian_log_ratio():
    rng = np.random.default_rng(0)
    x_p, x_q = rng.normal(0, 1, 20000), rng.normal(1, 2, 20000)
    lr = kb.fit_log_ratio(x_p, x_q)
    grid = np.linspace(-2, 2, 9)
    exact = (-0.5 * grid**2) - (-0.5 * ((grid - 1) / 2) ** 2 - math.log(2))
    np.testing.assert_allclose(lr(grid), exact, atol=0.08)
    with pytest.raises(ValueError, match="degree"):
        kb.fit_log_ratio(x_p, x_q, degree=3)
    with pytest.raises(ValueError, match="different dimensions"):
        kb.fit_log_ratio(x_p, np.zeros((5, 2)))


def test_ring_and_mode_coverage():
    x, c = kb.ring_of_gaussians(4000, 1, std=0.05)
    assert np.allclose(np.hypot(*c.T), 2.0)
    m = kb.mode_coverage(x, c, 0.05)
    assert m["modes"] == 8 and m["high_quality"] > 0.98 and m["counts"].sum() == round(4000 * m["high_quality"])
    one = c[[3]] + 0.01 * np.random.default_rng(0).standard_normal((500, 2))
    assert kb.mode_coverage(one, c, 0.05)["modes"] == 1
    with pytest.raises(ValueError, match="modes"):
        kb.ring_of_gaussians(10, 0, modes=0)
    with pytest.raises(ValueError, match="min_share"):
        kb.mode_coverage(x, c, 0.05, min_share=1.5)


def test_train_fgan_is_reproducible_per_run_and_validates():
    a = kb.train_fgan(("js",), (3,), steps=30, hidden=8, batch=32, n_samples=50)
    b = kb.train_fgan(("kl", "js"), (1, 3), steps=30, hidden=8, batch=32, n_samples=50)
    assert a.samples.shape == (1, 1, 50, 2) and b.samples.shape == (2, 2, 50, 2)
    np.testing.assert_array_equal(a.samples[0, 0], b.samples[1, 1])  # independent of its neighbours
    assert np.isfinite(b.samples).all() and b.bound.shape == (2, 2, 0)
    with pytest.raises(ValueError, match="unknown f-divergence"):
        kb.train_fgan(("energy",), (0,), steps=1)
    with pytest.raises(ValueError, match="generator"):
        kb.train_fgan(("kl",), (0,), steps=1, generator="flow")
    with pytest.raises(ValueError, match="steps"):
        kb.train_fgan(("kl",), (0,), steps=0)


# --- against scipy and scikit-learn ---------------------------------------------------------------


@given(positive_pairs())
def test_kl_and_js_match_scipy(pq):
    from scipy.spatial.distance import jensenshannon
    from scipy.special import rel_entr

    p, q = pq
    assert kb.f_divergence(p, q, "kl") == pytest.approx(rel_entr(p, q).sum(), rel=1e-9, abs=1e-12)
    # scipy's jensenshannon is the square root of JS (natural log by default)
    assert kb.f_divergence(p, q, "js") == pytest.approx(jensenshannon(p, q) ** 2, rel=1e-7, abs=1e-10)


def test_fit_log_ratio_matches_scikit_learn_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import PolynomialFeatures

    rng = np.random.default_rng(3)
    x_p = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.3], [0.3, 1.0]], size=3000)
    x_q = rng.multivariate_normal([0.5, -0.2], [[1.5, 0.0], [0.0, 0.7]], size=3000)
    ours = kb.fit_log_ratio(x_p, x_q, l2=0.0)
    x = np.concatenate([x_p, x_q])
    y = np.concatenate([np.ones(len(x_p)), np.zeros(len(x_q))])
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    features = PolynomialFeatures(degree=2, include_bias=False)
    clf = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(features.fit_transform(z), y)
    grid = rng.normal(size=(50, 2))
    theirs = clf.decision_function(features.transform((grid - x.mean(axis=0)) / x.std(axis=0)))
    np.testing.assert_allclose(ours(grid), theirs, atol=1e-4)


# --- conjugates on the whole real line, and what the trainer records ------------------------------


@pytest.mark.parametrize("name", kb.F_GENERATORS)
def test_conjugate_is_the_supremum_over_nonnegative_ratios_everywhere(name):
    # f*(u) = sup_{t >= 0} {u t - f(t)}: also where the unconstrained maximiser would be t < 0
    # (Pearson below u = -2, total variation below u = -1/2), by brute force on a grid that includes t = 0
    g = kb.f_generator(name)
    t = np.sort(np.concatenate([[0.0, 1.0], np.geomspace(1e-6, 1e3, 400001)]))
    with np.errstate(divide="ignore", invalid="ignore"):
        ft = np.where(t > 0, g.f(np.maximum(t, 1e-300)), g.f_at_zero)
    for u in (-5.0, -2.5, -2.0, -1.0, -0.6, -0.5, -0.2, 0.0, 0.2, 0.45):
        got = float(g.conjugate(u))
        if not math.isfinite(got):
            continue  # outside dom f* (checked below for the bounded ones)
        brute = float(np.max(u * t - ft))
        assert got == pytest.approx(brute, rel=1e-5, abs=1e-6), (name, u)


def test_pearson_and_tv_conjugates_below_the_unconstrained_branch():
    pearson, tv = kb.f_generator("pearson"), kb.f_generator("tv")
    u = np.array([-10.0, -3.0, -2.0, -1.0])
    np.testing.assert_allclose(pearson.conjugate(u), [-1.0, -1.0, -1.0, -0.75])
    np.testing.assert_allclose(tv.conjugate(np.array([-3.0, -0.5, 0.0, 0.5])), [-0.5, -0.5, 0.0, 0.5])
    assert tv.conjugate(0.51) == math.inf
    # the stable composition used in training agrees (identity activation for Pearson)
    np.testing.assert_allclose(pearson.conjugate_of_activation(u), pearson.conjugate(u))
    ut = torch.tensor([-4.0, 1.0], dtype=torch.float64)
    assert pearson.conjugate(ut).tolist() == [-1.0, 1.25] and tv.conjugate(ut).tolist() == [-0.5, math.inf]


def test_a_critic_below_the_old_pearson_branch_gives_a_valid_lower_bound():
    # at T = -4: E_P[T] - E_Q[f*(T)] = -4 - (-1); the unconstrained formula u + u^2/4 would give -4 - 0
    p, q = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    t = np.array([-4.0, -4.0])
    assert kb.variational_bound(t, t, "pearson", weights_p=p, weights_q=q) == pytest.approx(-3.0)


def test_train_fgan_records_the_gaussian_generator_and_a_window_averaged_bound():
    res = kb.train_fgan(("kl", "js"), (0, 1), steps=40, hidden=8, batch=32, n_samples=20000,
                        generator="gaussian", log_every=10)
    assert res.bound.shape == (2, 2, 4) and np.isfinite(res.bound).all()
    assert res.mean.shape == (2, 2, 5, 2) and res.cov.shape == (2, 2, 5, 2, 2)
    for i in range(2):
        for j in range(2):
            s = res.samples[i, j]
            np.testing.assert_allclose(s.mean(axis=0), res.mean[i, j, -1], atol=0.05)
            np.testing.assert_allclose(np.cov(s.T), res.cov[i, j, -1], atol=0.05)
            np.testing.assert_allclose(res.cov[i, j], np.swapaxes(res.cov[i, j], -1, -2))
    mlp = kb.train_fgan(("js",), (0,), steps=4, hidden=8, batch=8, n_samples=5, log_every=2)
    assert mlp.mean is None and mlp.cov is None and mlp.bound.shape == (1, 1, 2)


def test_train_fgan_reports_a_diverged_run_and_keeps_the_others_unchanged():
    kw = dict(steps=60, hidden=8, batch=32, n_samples=50, log_every=10, lr=0.5)
    both = kb.train_fgan(("kl", "js"), (0, 1), **kw)
    alone = kb.train_fgan(("js",), (1,), **kw)
    assert both.finite.shape == (2, 2) and not both.finite[0, 1]  # KL's unbounded conjugate blew up
    assert both.finite[1].all() and alone.finite.all()
    np.testing.assert_array_equal(alone.samples[0, 0], both.samples[1, 1])
    assert np.isfinite(both.samples[1]).all()

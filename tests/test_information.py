"""Tests for klbook.information: the information bottleneck, maximal correlation, MI bounds.

The bottleneck is checked at its two ends (very large beta recovers I(X;Y) with a
relabelling of X; small beta gives the trivial encoder), on its laws (the
Lagrangian never increases, the data-processing bounds hold), at its first
phase transition (beta_c = 1 / rho_m^2), and on bad input. The neural bounds are
checked against their closed forms on critics whose answer is known.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special, stats
from sklearn.metrics import mutual_info_score

import klbook as kb
from klbook.information import (
    dv_lower_bound,
    gaussian_mutual_information,
    infonce_lower_bound,
    information_bottleneck,
    information_curve,
    maximal_correlation,
    mine_loss,
)


@st.composite
def joints(draw, max_x=5, max_y=4):
    """A strictly positive joint table p(x, y)."""
    nx = draw(st.integers(2, max_x))
    ny = draw(st.integers(2, max_y))
    w = draw(arrays(np.float64, (nx, ny), elements=st.floats(0.01, 1.0)))
    return w / w.sum()


def distinct_rows(p, gap=0.2):
    """Whether every two conditionals p(y|x) differ by at least ``gap`` somewhere."""
    cond = p / p.sum(axis=1, keepdims=True)
    diff = np.abs(cond[:, None, :] - cond[None, :, :]).max(axis=-1)
    return bool(np.all(diff[np.triu_indices(len(p), 1)] >= gap))


def bsc(eps, p1=0.5):
    """Joint of a binary input through a binary symmetric channel with crossover eps."""
    px = np.array([1 - p1, p1])
    return px[:, None] * np.array([[1 - eps, eps], [eps, 1 - eps]])


# --- mutual information of tables (kb.mutual_information, the MI the chapter builds on) ------


@given(joints())
@settings(max_examples=60)
def test_mi_of_an_independent_table_is_zero(p):
    assert kb.mutual_information(np.outer(p.sum(1), p.sum(0))) == pytest.approx(0.0, abs=1e-12)


@given(joints())
@settings(max_examples=60)
def test_mi_is_symmetric_and_h_minus_conditional_h(p):
    mi = kb.mutual_information(p)
    assert mi == pytest.approx(kb.mutual_information(p.T), abs=1e-12)
    px, pz = p.sum(1), p.sum(0)
    h_x_given_z = sum(pz[j] * kb.entropy(p[:, j] / pz[j]) for j in range(p.shape[1]))
    assert mi == pytest.approx(kb.entropy(px) - h_x_given_z, abs=1e-10)
    assert -1e-12 <= mi <= min(kb.entropy(px), kb.entropy(pz)) + 1e-10


@given(joints())
@settings(max_examples=30)
def test_mi_of_a_table_matches_sklearn(p):
    # sklearn's mutual_info_score from a contingency table of counts (nats)
    counts = np.round(p * 10_000)
    expected = mutual_info_score(None, None, contingency=counts)
    assert kb.mutual_information(counts / counts.sum()) == pytest.approx(expected, abs=1e-10)


@given(joints(), st.data())
@settings(max_examples=60)
def test_data_processing_inequality(p_xy, data):
    # X -> Y -> Z: pass Y through a random channel p(z|y); Z cannot know more about X than Y does
    n_y = p_xy.shape[1]
    w = data.draw(arrays(np.float64, (n_y, 3), elements=st.floats(0.0, 1.0)))
    w[:, 0] += 1e-3
    channel = w / w.sum(axis=1, keepdims=True)
    p_xz = p_xy @ channel
    assert kb.mutual_information(p_xz) <= kb.mutual_information(p_xy) + 1e-12


# --- maximal correlation and the Gaussian closed form ------------------------------------------


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3, 0.5])
def test_maximal_correlation_of_a_symmetric_channel(eps):
    assert maximal_correlation(bsc(eps)) == pytest.approx(abs(1 - 2 * eps), abs=1e-12)


def _corr(p, f, g):
    """Pearson correlation of f(X) and g(Y) under the joint table p (columns of f, g: functions)."""
    px, py = p.sum(1), p.sum(0)
    f = f - px @ f
    g = g - py @ g
    return np.einsum("xk,xy,yk->k", f, p, g) / np.sqrt((px @ f**2) * (py @ g**2))


@given(joints(max_x=6, max_y=5))
@settings(max_examples=40)
def test_maximal_correlation_is_the_largest_correlation_of_functions(p):
    # rho_m = sup corr(f(X), g(Y)): no function pair beats it, and alternating conditional
    # expectations (g <- E[f(X)|Y], f <- E[g(Y)|X], a power iteration) attains it
    rho = maximal_correlation(p)
    rng = np.random.default_rng(0)
    f, g = rng.standard_normal((p.shape[0], 500)), rng.standard_normal((p.shape[1], 500))
    assert np.all(np.abs(_corr(p, f, g)) <= rho + 1e-12)
    px, py = p.sum(1), p.sum(0)
    sv = np.linalg.svd(p / np.sqrt(np.outer(px, py)), compute_uv=False)
    third = sv[2] if len(sv) > 2 else 0.0
    assume(rho > 1e-3 and third < 0.99 * rho)  # the power iteration needs a spectral gap
    f = rng.standard_normal((p.shape[0], 1))
    for _ in range(5000):
        g = p.T @ f / py[:, None]
        f = p @ g / px[:, None]
        f = f - px @ f
        f = f / np.sqrt(px @ f**2)
    assert _corr(p, f, p.T @ f / py[:, None])[0] == pytest.approx(rho, abs=1e-6)


def test_maximal_correlation_of_independent_and_degenerate_tables():
    assert maximal_correlation(np.full((3, 4), 1 / 12)) == 0.0
    assert maximal_correlation([[0.3, 0.7]]) == 0.0  # X constant
    assert maximal_correlation(np.eye(3) / 3) == pytest.approx(1.0)


@given(joints())
@settings(max_examples=60)
def test_maximal_correlation_bounds_mutual_information_locally(p):
    # rho_m^2 <= 1 and rho_m = 0 iff independent; chi-square MI bound: I <= log(1 + chi^2)
    rho = maximal_correlation(p)
    assert 0.0 <= rho <= 1.0
    px, py = p.sum(1), p.sum(0)
    chi2 = float(((p - np.outer(px, py)) ** 2 / np.outer(px, py)).sum())
    assert kb.mutual_information(p) <= math.log1p(chi2) + 1e-12
    assert rho**2 <= chi2 + 1e-12


def test_gaussian_mi_closed_form_against_scipy_entropies():
    # I(X;Y) = h(X) + h(Y) - h(X, Y), differential entropies from scipy.stats
    rho = np.linspace(-0.99, 0.99, 41)
    h_pair = [stats.multivariate_normal(cov=[[1, r], [r, 1]]).entropy() for r in rho]
    via_scipy = 2 * stats.norm.entropy() - np.array(h_pair)
    np.testing.assert_allclose(gaussian_mutual_information(rho), via_scipy, atol=1e-12)
    assert gaussian_mutual_information(1.0) == math.inf
    assert gaussian_mutual_information(-0.0) == 0.0


@pytest.mark.parametrize("bad", [1.01, -2.0, float("nan")])
def test_gaussian_mi_rejects_bad_rho(bad):
    with pytest.raises(ValueError, match="rho"):
        gaussian_mutual_information(bad)


# --- the information bottleneck ------------------------------------------------------------------


@given(joints(max_x=4, max_y=3).filter(distinct_rows))
@settings(max_examples=10)
def test_ib_at_very_large_beta_recovers_i_xy_with_an_identity_like_encoder(p):
    nx = p.shape[0]
    res = information_curve(p, np.geomspace(0.5, 1e4, 25), n_clusters=nx + 1, max_iter=500)[-1]
    assert res.i_ty == pytest.approx(kb.mutual_information(p), abs=1e-5)
    # every x sends its mass only to clusters that predict Y exactly as x does (T is a
    # relabelling of X, up to a spare cluster that duplicates one of them) ...
    cond = p / p.sum(axis=1, keepdims=True)
    for x in range(nx):
        for t in np.flatnonzero(res.encoder[x] > 1e-6):
            np.testing.assert_allclose(res.p_y_given_t[t], cond[x], atol=1e-4)
    # ... and no two x share a cluster
    assert np.all((res.encoder > 1e-6).sum(axis=0) <= 1)


def test_ib_with_as_many_clusters_as_x_is_a_relabelling_of_x():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(15)).reshape(5, 3)
    res = information_curve(p, np.geomspace(1.0, 1e4, 50), n_clusters=5)[-1]
    perm = res.encoder.argmax(axis=1)
    assert sorted(perm.tolist()) == list(range(5))
    assert res.i_xt == pytest.approx(kb.entropy(p.sum(1)), abs=1e-5)
    assert res.i_ty == pytest.approx(kb.mutual_information(p), abs=1e-6)


@given(joints(), st.floats(0.0, 0.9))
@settings(max_examples=30)
def test_ib_below_one_is_trivial(p, beta):
    # I(T;Y) <= I(X;T) along any Markov chain, so for beta < 1 the Lagrangian is >= 0 = trivial
    res = information_bottleneck(p, beta, n_clusters=3, seed=0, max_iter=5000)
    assert res.i_xt < 1e-6
    assert res.objective > -1e-9


@given(joints(), st.floats(0.0, 20.0), st.integers(1, 4), st.integers(0, 10))
@settings(max_examples=40)
def test_ib_laws_monotone_lagrangian_and_bounds(p, beta, n_t, seed):
    res = information_bottleneck(p, beta, n_clusters=n_t, seed=seed, max_iter=300)
    assert np.all(np.diff(res.history) <= 1e-10)
    assert res.encoder.shape == (p.shape[0], n_t)
    np.testing.assert_allclose(res.encoder.sum(axis=1), 1.0, atol=1e-12)
    assert res.p_t.shape == (n_t,) and res.p_y_given_t.shape == (n_t, p.shape[1])
    assert res.i_ty <= kb.mutual_information(p) + 1e-10  # data processing
    assert res.i_ty <= res.i_xt + 1e-10  # T - X - Y
    assert res.i_xt <= min(kb.entropy(p.sum(1)), math.log(n_t)) + 1e-10


@pytest.mark.parametrize("eps", [0.05, 0.2])
def test_first_transition_happens_at_one_over_rho_m_squared(eps):
    p = bsc(eps, p1=0.3)
    beta_c = 1 / maximal_correlation(p) ** 2
    below = information_curve(p, np.linspace(0.5, 0.97 * beta_c, 8), 2)[-1]
    above = information_curve(p, np.linspace(0.5, 1.05 * beta_c, 8), 2, max_iter=20000)[-1]
    assert below.i_xt < 1e-8
    assert above.i_xt > 1e-4


def test_beta_c_is_only_a_local_threshold():
    # Z-channel: the trivial encoder is a local minimum below beta_c = 1/rho_m^2 = 3, yet at
    # beta = 2.7 a far-away encoder (part of the zeros to a second cluster) has L < 0
    p = 0.5 * np.array([[1.0, 0.0], [0.5, 0.5]])
    beta_c = 1 / maximal_correlation(p) ** 2
    assert beta_c == pytest.approx(3.0)
    annealed = information_curve(p, np.linspace(0.5, 0.9 * beta_c, 10), 2, max_iter=20000)[-1]
    assert annealed.i_xt < 1e-6
    far = information_bottleneck(p, 0.9 * beta_c, 2, init=[[0.5, 0.5], [1.0, 0.0]])
    assert far.objective < -0.01


def test_ib_handles_zero_rows_and_zero_columns():
    p = np.array([[0.3, 0.0, 0.1], [0.0, 0.0, 0.0], [0.1, 0.0, 0.5]])
    res = information_curve(p, np.geomspace(0.5, 1e3, 30), n_clusters=3)[-1]
    assert np.all(np.isfinite(res.encoder))
    np.testing.assert_allclose(res.encoder.sum(axis=1), 1.0)
    assert res.i_ty == pytest.approx(kb.mutual_information(p), abs=1e-6)


def test_annealing_beats_random_starts_on_a_hard_problem():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.full(12 * 6, 0.3)).reshape(12, 6)
    beta = 200.0
    annealed = information_curve(p, np.geomspace(0.5, beta, 60), n_clusters=3)[-1]
    random = [information_bottleneck(p, beta, 3, seed=s).objective for s in range(20)]
    assert annealed.objective <= np.median(random) + 1e-9


def test_warm_start_from_a_fixed_point_stays_there():
    p = bsc(0.1)
    res = information_bottleneck(p, 30.0, 2, seed=1)
    again = information_bottleneck(p, 30.0, 2, init=res.encoder)
    assert again.n_iter <= 2
    np.testing.assert_allclose(again.encoder, res.encoder, atol=1e-9)


@pytest.mark.parametrize(
    "bad, match",
    [
        ([[0.5, 0.5]], None),  # fine: one row
        ([0.5, 0.5], "2-D"),
        ([[0.5, -0.1], [0.3, 0.3]], "negative"),
        ([[0.5, 0.1], [0.3, 0.3]], "sum to 1"),
        ([[np.nan, 0.5], [0.25, 0.25]], "NaN"),
        (np.ones((2, 2, 2)) / 8, "2-D"),
    ],
)
def test_bad_joints_are_rejected(bad, match):
    if match is None:
        assert information_bottleneck(bad, 1.0, 1).i_xt == 0.0
        return
    with pytest.raises(ValueError, match=match):
        information_bottleneck(bad, 1.0, 2)
    with pytest.raises(ValueError, match=match):
        maximal_correlation(bad)


def test_bad_arguments_are_rejected():
    p = bsc(0.1)
    with pytest.raises(ValueError, match="beta"):
        information_bottleneck(p, -1.0, 2)
    with pytest.raises(ValueError, match="beta"):
        information_bottleneck(p, math.inf, 2)
    with pytest.raises(TypeError, match="beta"):
        information_bottleneck(p, "1", 2)
    with pytest.raises(ValueError, match="n_clusters"):
        information_bottleneck(p, 1.0, 0)
    with pytest.raises(TypeError, match="n_clusters"):
        information_bottleneck(p, 1.0, 2.5)
    with pytest.raises(ValueError, match="init"):
        information_bottleneck(p, 1.0, 2, init=np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="init"):
        information_bottleneck(p, 1.0, 2, init=np.full((2, 2), 0.4))
    with pytest.raises(ValueError, match="max_iter"):
        information_bottleneck(p, 1.0, 2, max_iter=0)
    with pytest.raises(ValueError, match="betas"):
        information_curve(p, [2.0, 1.0], 2)
    with pytest.raises(ValueError, match="betas"):
        information_curve(p, [], 2)
    with pytest.raises(ValueError, match="perturb"):
        information_curve(p, [1.0], 2, perturb=-1.0)


# --- neural MI bounds -----------------------------------------------------------------------


def _gaussian_batch(rho, n, gen):
    x = torch.randn(n, generator=gen, dtype=torch.float64)
    y = rho * x + math.sqrt(1 - rho**2) * torch.randn(n, generator=gen, dtype=torch.float64)
    return x, y


def _optimal_scores(x, y, rho):
    """f(x, y) = log p(y|x) / p(y), the critic that makes both bounds tight (as n grows)."""
    s2 = 1 - rho**2
    xi, yj = x[:, None], y[None, :]
    return -0.5 * math.log(s2) - (yj - rho * xi) ** 2 / (2 * s2) + yj**2 / 2


def test_bounds_with_the_optimal_critic_approach_the_true_mi():
    gen = torch.Generator().manual_seed(0)
    rho = 0.8
    x, y = _gaussian_batch(rho, 2000, gen)
    scores = _optimal_scores(x, y, rho)
    true = gaussian_mutual_information(rho)
    assert float(dv_lower_bound(scores)) == pytest.approx(true, abs=0.05)
    assert float(infonce_lower_bound(scores)) == pytest.approx(true, abs=0.05)


def test_bounds_against_torch_cross_entropy_and_scipy_logsumexp():
    gen = torch.Generator().manual_seed(4)
    s = torch.randn(12, 12, generator=gen, dtype=torch.float64) * 3
    n = s.shape[0]
    # InfoNCE = log n - cross-entropy of picking the true partner among n candidates
    ce = torch.nn.functional.cross_entropy(s, torch.arange(n))
    assert float(infonce_lower_bound(s)) == pytest.approx(math.log(n) - float(ce), abs=1e-12)
    # DV = mean of the diagonal - log of the mean of exp over the n(n-1) off-diagonal pairs
    a = s.numpy()
    off = a[~np.eye(n, dtype=bool)]
    dv = np.diag(a).mean() - (special.logsumexp(off) - math.log(off.size))
    assert float(dv_lower_bound(s)) == pytest.approx(dv, abs=1e-12)


def test_infonce_never_exceeds_log_batch_size():
    gen = torch.Generator().manual_seed(1)
    for n in (4, 16, 64):
        x, y = _gaussian_batch(0.9999, n, gen)  # true MI 4.26 nats
        assert float(infonce_lower_bound(_optimal_scores(x, y, 0.9999))) <= math.log(n) + 1e-12
    scores = torch.randn(32, 32, generator=gen) * 50
    assert float(infonce_lower_bound(scores)) <= math.log(32) + 1e-6


def test_bounds_are_invariant_to_shifts_they_should_ignore():
    gen = torch.Generator().manual_seed(2)
    s = torch.randn(10, 10, generator=gen, dtype=torch.float64)
    a = torch.randn(10, 1, generator=gen, dtype=torch.float64)
    # InfoNCE ignores any a(x_i) added to row i; DV only a constant.
    assert float(infonce_lower_bound(s + a)) == pytest.approx(float(infonce_lower_bound(s)), abs=1e-12)
    assert float(dv_lower_bound(s + 3.0)) == pytest.approx(float(dv_lower_bound(s)), abs=1e-12)


def test_mine_loss_value_is_minus_dv_and_its_gradient_is_corrected():
    gen = torch.Generator().manual_seed(3)
    s = torch.randn(6, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    loss, log_m = mine_loss(s, torch.tensor(math.log(2.0), dtype=torch.float64), momentum=0.5)
    assert loss.item() == pytest.approx(-dv_lower_bound(s).item(), abs=1e-12)
    loss.backward()
    off = ~torch.eye(6, dtype=torch.bool)
    batch_mean = s.detach()[off].exp().mean()
    m = log_m.exp()
    assert m.item() == pytest.approx(0.5 * 2.0 + 0.5 * batch_mean.item(), abs=1e-12)
    expected = torch.where(off, s.detach().exp() / (30 * m), -torch.eye(6, dtype=torch.float64) / 6)
    torch.testing.assert_close(s.grad, expected)


@pytest.mark.parametrize("fn", [dv_lower_bound, infonce_lower_bound])
def test_bounds_reject_bad_scores(fn):
    with pytest.raises(TypeError, match="scores"):
        fn(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="scores"):
        fn(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="scores"):
        fn(torch.zeros(1, 1))
    with pytest.raises(ValueError, match="momentum"):
        mine_loss(torch.zeros(3, 3), momentum=0.0)


# ------------------------------------------------------------------ stacks of score matrices


def test_bounds_of_a_stack_are_the_bounds_of_each_matrix():
    gen = torch.Generator().manual_seed(5)
    s = torch.randn(3, 2, 9, 9, generator=gen, dtype=torch.float64) * 2
    for fn in (dv_lower_bound, infonce_lower_bound, kb.nwj_lower_bound):
        out = fn(s)
        assert out.shape == (3, 2)
        for i in range(3):
            for j in range(2):
                assert float(out[i, j]) == pytest.approx(float(fn(s[i, j])), abs=1e-12)


def test_nwj_is_the_fenchel_bound_of_kl_on_diagonal_and_off_diagonal_pairs():
    gen = torch.Generator().manual_seed(6)
    s = torch.randn(4, 7, 7, generator=gen, dtype=torch.float64)
    off = ~torch.eye(7, dtype=torch.bool)
    fenchel = kb.variational_bound(s.diagonal(dim1=1, dim2=2), s[:, off], "kl")
    torch.testing.assert_close(kb.nwj_lower_bound(s), fenchel, rtol=0, atol=1e-12)
    # the optimal critic 1 + log p(y|x)/p(y) makes it an unbiased estimate of the MI
    x, y = _gaussian_batch(0.8, 1500, torch.Generator().manual_seed(7))
    est = float(kb.nwj_lower_bound(1 + _optimal_scores(x, y, 0.8)))
    assert est == pytest.approx(gaussian_mutual_information(0.8), abs=0.05)
    # for the same critic NWJ lies below DV (log u <= u/e)
    assert bool((kb.nwj_lower_bound(s) <= dv_lower_bound(s) + 1e-12).all())


def test_mine_loss_of_a_stack_keeps_one_moving_average_per_critic():
    gen = torch.Generator().manual_seed(8)
    s = torch.randn(3, 5, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    log_m0 = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64)
    loss, log_m = mine_loss(s, log_m0, momentum=0.3)
    loss.sum().backward()
    for k in range(3):
        sk = s.detach()[k].clone().requires_grad_()
        lk, mk = mine_loss(sk, log_m0[k], momentum=0.3)
        lk.backward()
        assert lk.item() == pytest.approx(loss[k].item(), abs=1e-12)
        assert mk.item() == pytest.approx(log_m[k].item(), abs=1e-12)
        torch.testing.assert_close(s.grad[k], sk.grad, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="log_running_mean must have the shape"):
        mine_loss(s.detach(), torch.zeros(2, dtype=torch.float64))


def test_nwj_rejects_bad_scores():
    with pytest.raises(TypeError, match="scores"):
        kb.nwj_lower_bound(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="scores contains NaN"):
        kb.nwj_lower_bound(torch.tensor([[math.nan, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="scores is empty"):
        kb.nwj_lower_bound(torch.zeros(0, 3, 3))


# ------------------------------------------------------------------ Gaussian grid probabilities


@pytest.mark.parametrize("rho", [-0.9, -0.3, 0.0, 0.5, 0.95, 0.999])
def test_cell_probabilities_match_scipy_rectangles(rho):
    ex = np.array([-np.inf, -1.3, -0.2, 0.0, 0.7, 2.5, np.inf])
    ey = np.array([-3.0, -0.5, 0.1, 1.0, np.inf])
    table = kb.gaussian_cell_probabilities(rho, ex, ey)
    mvn = stats.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]], abseps=1e-12, releps=1e-12)
    for i in range(len(ex) - 1):
        for j in range(len(ey) - 1):
            ref = mvn.cdf([ex[i + 1], ey[j + 1]], lower_limit=[ex[i], ey[j]])
            assert table[i, j] == pytest.approx(ref, abs=1e-11)
    # the rows cover the real line, the columns miss Y < -3
    assert table.sum() == pytest.approx(stats.norm.sf(-3.0), abs=1e-12)


def test_cell_probabilities_of_the_quadrants_and_refinement():
    rho = 0.6
    q = kb.gaussian_cell_probabilities(rho, [-np.inf, 0.0, np.inf])
    assert q[1, 1] == pytest.approx(0.25 + math.asin(rho) / (2 * math.pi), abs=1e-12)
    assert q.sum() == pytest.approx(1.0, abs=1e-12)
    # data processing: the grid's MI grows with refinement and stays below the closed form
    mis = [kb.mutual_information(kb.gaussian_cell_probabilities(rho, np.linspace(-8, 8, k + 1)))
           for k in (4, 16, 64, 256)]
    assert all(np.diff(mis) > 0) and mis[-1] < gaussian_mutual_information(rho)
    assert gaussian_mutual_information(rho) - mis[-1] < 2e-3


def test_cell_probabilities_reject_bad_input():
    with pytest.raises(ValueError, match="rho must be < 1"):
        kb.gaussian_cell_probabilities(1.0, [0.0, 1.0])
    with pytest.raises(TypeError, match="rho must be a real number"):
        kb.gaussian_cell_probabilities("0.5", [0.0, 1.0])
    with pytest.raises(ValueError, match="edges must be strictly increasing"):
        kb.gaussian_cell_probabilities(0.5, [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="edges contains NaN"):
        kb.gaussian_cell_probabilities(0.5, [0.0, np.nan])
    with pytest.raises(ValueError, match="edges_y must be a 1-D array of at least 2"):
        kb.gaussian_cell_probabilities(0.5, [0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="n_nodes must be between 1 and 50"):
        kb.gaussian_cell_probabilities(0.5, [0.0, 1.0], n_nodes=0)
    with pytest.raises(TypeError, match="n_nodes must be an integer"):
        kb.gaussian_cell_probabilities(0.5, [0.0, 1.0], n_nodes=2.0)

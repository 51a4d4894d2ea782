"""Identities, edge cases and cross-checks for klbook.divergences.

Property tests state the identities of chapter 1 as laws over random
distributions; cross-checks compare against scipy and torch, which compute the
same quantities by independent code.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats
from scipy.spatial import distance
from strategies import distributions, pairs, positive_pairs

import klbook as kb
from klbook._validation import SUM_ATOL

LOG2 = math.log(2.0)


# --- laws -------------------------------------------------------------------------------------


@given(pairs())
def test_gibbs_inequality_kl_is_nonnegative(pq):
    p, q = pq
    assert kb.kl_divergence(p, q) >= -1e-12


@given(distributions())
def test_kl_of_a_distribution_with_itself_is_zero(p):
    assert kb.kl_divergence(p, p) == 0.0


@given(pairs())
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    ce, h, kl = kb.cross_entropy(p, q), kb.entropy(p), kb.kl_divergence(p, q)
    if math.isinf(kl):
        assert math.isinf(ce)
    else:
        assert ce == pytest.approx(h + kl, rel=1e-9, abs=1e-12)


@given(pairs())
def test_js_is_symmetric_and_between_zero_and_log2(pq):
    p, q = pq
    js = kb.js_divergence(p, q)
    assert -1e-12 <= js <= LOG2 + 1e-12
    assert js == pytest.approx(kb.js_divergence(q, p), abs=1e-12)


@given(distributions())
def test_entropy_lies_between_zero_and_log_n(p):
    assert -1e-12 <= kb.entropy(p) <= math.log(p.size) + 1e-9


@given(pairs(), st.sampled_from([2, 10, 0.5]))
def test_base_only_rescales(pq, base):
    p, q = pq
    for f in (kb.kl_divergence, kb.cross_entropy, kb.js_divergence):
        nats, other = f(p, q), f(p, q, base=base)
        if math.isinf(nats):
            assert other == nats / math.log(base)  # +inf, or -inf for a base below 1
        else:
            assert other == pytest.approx(nats / math.log(base), rel=1e-12, abs=1e-15)
    assert kb.entropy(p, base=2) == pytest.approx(kb.entropy(p) / LOG2, abs=1e-15)


@given(positive_pairs())
def test_kl_is_not_symmetric_in_general_but_both_directions_are_nonnegative(pq):
    p, q = pq
    assert kb.kl_divergence(p, q) >= -1e-12 and kb.kl_divergence(q, p) >= -1e-12


def test_kl_asymmetry_on_a_concrete_pair():
    p, q = [0.5, 0.5], [0.9, 0.1]
    assert kb.kl_divergence(p, q) == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5))
    assert kb.kl_divergence(p, q) != pytest.approx(kb.kl_divergence(q, p))


# --- edge cases -------------------------------------------------------------------------------


def test_zero_log_zero_is_zero():
    assert kb.entropy([1.0, 0.0]) == 0.0
    assert kb.kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(LOG2)
    # q = 0 where p = 0 costs nothing
    assert kb.kl_divergence([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert kb.cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_support_mismatch_gives_inf_not_nan():
    assert kb.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kb.cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    # JS stays finite: disjoint supports give exactly log 2
    assert kb.js_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(LOG2)
    batch = kb.kl_divergence([[0.5, 0.5], [1.0, 0.0]], [1.0, 0.0])
    assert batch[0] == math.inf and batch[1] == 0.0
    assert not np.isnan(batch).any()


def test_single_outcome():
    assert kb.entropy([1.0]) == 0.0
    assert kb.kl_divergence([1.0], [1.0]) == 0.0


# --- batching and axes ------------------------------------------------------------------------


def test_batch_along_last_axis_matches_a_loop():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(5), size=(3, 4))
    q = rng.dirichlet(np.ones(5), size=(4,))  # broadcasts against p's leading axes
    got = kb.kl_divergence(p, q)
    assert got.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert got[i, j] == pytest.approx(kb.kl_divergence(p[i, j], q[j]), rel=1e-12)


@pytest.mark.parametrize("f", [kb.entropy, kb.kl_divergence, kb.cross_entropy, kb.js_divergence])
def test_axis_argument_is_equivalent_to_moving_the_axis(f):
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(4), size=6).T  # distributions along axis 0
    q = rng.dirichlet(np.ones(4), size=6).T
    args = (p,) if f is kb.entropy else (p, q)
    args_t = tuple(a.T for a in args)
    np.testing.assert_allclose(f(*args, axis=0), f(*args_t, axis=-1), rtol=1e-12)


def test_scalar_result_is_a_python_float():
    assert isinstance(kb.kl_divergence([0.5, 0.5], [0.4, 0.6]), float)
    assert isinstance(kb.entropy([0.5, 0.5]), float)


# --- cross-checks against scipy and torch -----------------------------------------------------


@given(pairs())
def test_matches_scipy_rel_entr_and_stats_entropy(pq):
    p, q = pq
    expected = special.rel_entr(p, q).sum()
    assert kb.kl_divergence(p, q) == pytest.approx(expected, rel=1e-12, abs=1e-15) or (
        math.isinf(expected) and math.isinf(kb.kl_divergence(p, q))
    )
    assert kb.entropy(p) == pytest.approx(stats.entropy(p), rel=1e-12, abs=1e-15)
    assert kb.entropy(p, base=2) == pytest.approx(stats.entropy(p, base=2), rel=1e-12, abs=1e-15)


@given(pairs())
def test_js_matches_scipy_distance_squared(pq):
    p, q = pq
    # scipy returns the Jensen-Shannon *distance*, the square root of the divergence. For
    # (nearly) equal p and q its divergence can round to -1e-17 and the square root gives nan.
    for base in (None, 2):
        with np.errstate(invalid="ignore"):
            expected = distance.jensenshannon(p, q, base=base) ** 2
        ours = kb.js_divergence(p, q, base=base)
        if np.isnan(expected):
            assert ours == pytest.approx(0.0, abs=1e-12)
        else:
            assert ours == pytest.approx(expected, abs=1e-12)


def test_js_survives_subnormal_probabilities():
    tiny = 5e-324  # the smallest subnormal: half of it rounds to 0
    js = kb.js_divergence([1.0 - tiny, tiny], [1.0, 0.0])
    assert np.isfinite(js) and js == pytest.approx(0.0, abs=1e-300)


def test_rounding_never_makes_a_divergence_negative():
    p = np.full(3, 1 / 3)
    q = np.array([1 / 3, 1 / 3, 1 - 2 / 3])  # equal up to the last bit
    assert kb.js_divergence(p, q) >= 0.0 and kb.kl_divergence(p, q) >= 0.0
    assert kb.mutual_information(np.outer(p, q)) >= 0.0


@given(positive_pairs())
def test_matches_torch_categorical_kl(pq):
    p, q = pq
    cat = torch.distributions.Categorical
    expected = torch.distributions.kl_divergence(
        cat(probs=torch.tensor(p, dtype=torch.float64)), cat(probs=torch.tensor(q, dtype=torch.float64))
    ).item()
    assert kb.kl_divergence(p, q) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_scipy_kl_div_is_not_the_textbook_term_but_sums_to_the_same_kl():
    p, q = np.array([0.2, 0.8]), np.array([0.6, 0.4])
    terms = special.kl_div(p, q)  # p log(p/q) - p + q per element
    assert not np.allclose(terms, special.rel_entr(p, q))
    assert terms.sum() == pytest.approx(kb.kl_divergence(p, q))  # the extra terms cancel in total


# --- mutual information -----------------------------------------------------------------------


@given(distributions(min_size=1, max_size=4), distributions(min_size=1, max_size=4))
def test_mutual_information_of_an_independent_table_is_zero(px, py):
    assert kb.mutual_information(np.outer(px, py)) == pytest.approx(0.0, abs=1e-12)


@given(distributions(min_size=4, max_size=16), st.integers(1, 4))
def test_mutual_information_is_kl_to_product_of_marginals(flat, rows):
    n = flat.size - flat.size % rows
    joint = flat[:n] / flat[:n].sum() if flat[:n].sum() > 0 else None
    if joint is None:
        return
    joint = joint.reshape(rows, -1)
    product = np.outer(joint.sum(1), joint.sum(0))
    mi = kb.mutual_information(joint)
    assert mi == pytest.approx(kb.kl_divergence(joint.ravel(), product.ravel()), abs=1e-12)
    hx, hy = kb.entropy(joint.sum(1)), kb.entropy(joint.sum(0))
    assert -1e-12 <= mi <= min(hx, hy) + 1e-9
    assert mi == pytest.approx(kb.mutual_information(joint.T), abs=1e-12)  # symmetric
    assert kb.mutual_information(joint, base=2) == pytest.approx(mi / LOG2, abs=1e-12)


def test_mutual_information_survives_underflowing_marginals():
    tiny = 2.2e-313  # subnormal: the product of two such marginals underflows to 0
    joint = np.array([[1.0 - 3 * tiny, tiny], [tiny, tiny]])
    mi = kb.mutual_information(joint)
    assert np.isfinite(mi) and mi == pytest.approx(0.0, abs=1e-300)


def test_mutual_information_of_a_copy_is_the_entropy():
    assert kb.mutual_information(np.diag([0.25, 0.25, 0.5])) == pytest.approx(
        kb.entropy([0.25, 0.25, 0.5])
    )


# --- bad input --------------------------------------------------------------------------------

BAD_DISTRIBUTIONS = [
    ([0.5, -0.1, 0.6], "negative"),
    ([0.5, np.nan, 0.5], "NaN"),
    ([0.5, np.inf], "infinite"),
    ([0.5, 0.6], "does not sum to 1"),
    ([], "empty"),
    (0.5, "at least one dimension"),
]


@pytest.mark.parametrize("bad, message", BAD_DISTRIBUTIONS)
@pytest.mark.parametrize("f", [kb.entropy, kb.kl_divergence, kb.cross_entropy, kb.js_divergence])
def test_bad_distributions_are_rejected_with_a_clear_message(f, bad, message):
    good = [0.5, 0.5]
    with pytest.raises(ValueError, match=message):
        f(bad) if f is kb.entropy else f(bad, good)
    if f is not kb.entropy:
        with pytest.raises(ValueError, match=f"q .*{message}|q {message}|q is {message}|{message}"):
            f(good, bad)


def test_error_names_the_argument():
    with pytest.raises(ValueError, match=r"^q has negative entries"):
        kb.kl_divergence([0.5, 0.5], [1.5, -0.5])
    with pytest.raises(ValueError, match=r"^p does not sum to 1"):
        kb.kl_divergence([0.5, 0.6], [0.5, 0.5])


def test_event_sizes_must_match():
    with pytest.raises(ValueError, match="different event sizes"):
        kb.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])


def test_batch_shapes_must_broadcast():
    with pytest.raises(ValueError, match="do not broadcast"):
        kb.kl_divergence(np.full((2, 2), 0.5), np.full((3, 2), 0.5))


@pytest.mark.parametrize("base", [0, -2, 1, float("nan")])
def test_bad_bases_are_rejected(base):
    with pytest.raises(ValueError, match="base must be a positive number other than 1"):
        kb.entropy([0.5, 0.5], base=base)


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="p must be"):
        kb.entropy("0.5 0.5")
    with pytest.raises(TypeError, match="p must be array-like of real numbers"):
        kb.entropy(["a", "b"])
    with pytest.raises(TypeError, match="base must be"):
        kb.entropy([1.0], base="2")


def test_bad_axis_is_rejected():
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        kb.entropy([0.5, 0.5], axis=3)


def test_normalize_opts_into_rescaling():
    counts = [2, 6]
    assert kb.entropy(counts, normalize=True) == pytest.approx(kb.entropy([0.25, 0.75]))
    assert kb.kl_divergence([1, 1], [1, 3], normalize=True) == pytest.approx(
        kb.kl_divergence([0.5, 0.5], [0.25, 0.75])
    )
    with pytest.raises(ValueError, match="zero total mass"):
        kb.entropy([0.0, 0.0], normalize=True)
    with pytest.raises(ValueError, match="negative"):
        kb.entropy([2.0, -1.0], normalize=True)


def test_sum_tolerance_is_as_documented():
    kb.entropy([0.5, 0.5 + 0.5 * SUM_ATOL])  # inside the tolerance
    with pytest.raises(ValueError, match="does not sum to 1"):
        kb.entropy([0.5, 0.5 + 3 * SUM_ATOL])


@pytest.mark.parametrize(
    "joint, message",
    [
        ([0.5, 0.5], "at least 2 dimensions"),
        ([[0.5, 0.6], [0.0, 0.0]], "does not sum to 1"),
        ([[0.5, -0.5], [0.5, 0.5]], "negative"),
        ([[np.nan, 0.5], [0.25, 0.25]], "NaN"),
        (np.zeros((0, 3)), "empty"),
    ],
)
def test_bad_joint_tables_are_rejected(joint, message):
    with pytest.raises(ValueError, match=message):
        kb.mutual_information(joint)


# --- adversarial input found in review -----------------------------------------------------------


def test_float32_softmax_over_a_large_vocabulary_is_accepted():
    # float32 rounding in the softmax's own sum leaves |sum - 1| of a few 1e-6 at 50 000
    # classes; the tolerance grows with the dtype's epsilon and the number of outcomes.
    logits = torch.randn(4, 50_000, generator=torch.Generator().manual_seed(0)) * 3
    p32 = torch.softmax(logits, dim=-1).numpy()
    p64 = torch.softmax(logits.double(), dim=-1).numpy()
    assert np.abs(p32.astype(np.float64).sum(-1) - 1).max() > SUM_ATOL
    np.testing.assert_allclose(kb.entropy(p32), kb.entropy(p64), rtol=1e-4)
    # the same sum error in float64 is still an error
    with pytest.raises(ValueError, match="does not sum to 1"):
        kb.entropy(np.array([0.5, 0.5 + 3 * SUM_ATOL]))


def test_normalize_survives_weights_whose_sum_overflows():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert kb.entropy([1e308, 1e308], normalize=True) == pytest.approx(LOG2)
        assert kb.kl_divergence([1e308, 1e308], [1.0, 3.0], normalize=True) == pytest.approx(
            kb.kl_divergence([0.5, 0.5], [0.25, 0.75])
        )
    with pytest.raises(ValueError, match="does not sum to 1"):
        kb.entropy([1e308, 1e308])


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ma.array([0.5, 0.5, 7.0], mask=[0, 0, 1]), "masked array"),
        (np.array([1, 0], dtype="timedelta64[s]"), "real numbers"),
        (np.array([1, 0], dtype="datetime64[D]"), "real numbers"),
    ],
)
def test_masked_and_time_arrays_are_type_errors(bad, message):
    with pytest.raises(TypeError, match=f"p .*{message}|p is a {message}"):
        kb.entropy(bad)


def test_normalize_must_be_a_boolean():
    with pytest.raises(TypeError, match="normalize must be True or False"):
        kb.kl_divergence([1, 1], [1, 3], normalize="no")


def test_integer_and_boolean_inputs_are_probabilities_too():
    assert kb.kl_divergence(np.array([1, 0]), np.array([True, False])) == 0.0
    assert kb.cross_entropy([0, 1], [0.5, 0.5], base=2) == 1.0


def test_axis_is_taken_in_each_argument_then_batch_axes_broadcast():
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(3))  # one distribution, shape (3,)
    q = rng.dirichlet(np.ones(3), size=2).T  # two distributions along axis 0, shape (3, 2)
    got = kb.kl_divergence(p, q, axis=0)
    np.testing.assert_allclose(got, [kb.kl_divergence(p, q[:, j]) for j in range(2)], rtol=1e-12)


# --- mutual information of a batch of tables ------------------------------------------------------


def test_mutual_information_batches_tables_along_axis():
    rng = np.random.default_rng(7)
    j = rng.random((6, 3, 4))
    j /= j.sum(axis=(1, 2), keepdims=True)
    one_by_one = np.array([kb.mutual_information(t) for t in j])
    np.testing.assert_array_equal(kb.mutual_information(j), one_by_one)
    np.testing.assert_allclose(kb.mutual_information(j.transpose(1, 0, 2), axis=(0, 2)), one_by_one, rtol=1e-13)
    np.testing.assert_allclose(kb.mutual_information(j, axis=(2, 1)), one_by_one, rtol=1e-13)  # I(X;Y) = I(Y;X)
    # the chapter-7 route: D_KL(P_XY || P_X P_Y) of each stacked table
    outer = j.sum(axis=2, keepdims=True) * j.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(kb.mutual_information(j), kb.kl_divergence(j.reshape(6, -1), outer.reshape(6, -1)),
                               rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="two different axes"):
        kb.mutual_information(j, axis=(1, 1))
    with pytest.raises(TypeError, match="pair of integers"):
        kb.mutual_information(j, axis=1)

"""Identities, cross-checks and input errors for klbook.classification.

The numpy softmax family is compared with scipy and torch; the label-smoothing,
calibration and distillation pieces with independent (slower, more literal)
computations and with klbook's own KL.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special

import klbook as kb
from klbook.classification import (
    distillation_loss,
    expected_calibration_error,
    log_softmax,
    logsumexp,
    make_mlp,
    one_hot,
    reliability_bins,
    smooth_labels,
    soft_target_kl,
    softmax,
    train_classifier,
)

@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny tensors: one thread avoids oversubscribing a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


logit_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 7)),
    elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
)


# --- softmax family ---------------------------------------------------------------------------


@settings(max_examples=60)
@given(logit_rows)
def test_log_softmax_matches_torch_and_scipy(z):
    ours = log_softmax(z)
    np.testing.assert_allclose(ours, F.log_softmax(torch.from_numpy(z), dim=-1).numpy(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(ours, special.log_softmax(z, axis=-1), rtol=1e-12, atol=1e-9)
    assert np.all(np.isfinite(ours)) and np.all(ours <= 0)


@settings(max_examples=60)
@given(logit_rows)
def test_softmax_matches_torch_and_sums_to_one(z):
    p = softmax(z)
    np.testing.assert_allclose(p, torch.softmax(torch.from_numpy(z), dim=-1).numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


@given(logit_rows)
def test_logsumexp_matches_scipy(z):
    np.testing.assert_allclose(logsumexp(z), special.logsumexp(z, axis=-1), rtol=1e-13, atol=1e-12)


@given(logit_rows, st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(z, c):
    np.testing.assert_allclose(softmax(z + c), softmax(z), atol=1e-12)


def test_extreme_logits_where_the_naive_formulas_fail():
    z = np.array([1000.0, 0.0, -1000.0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        naive = np.exp(z) / np.exp(z).sum()
        naive_log = np.log(np.exp(-z) / np.exp(-z).sum())
    assert np.isnan(naive).any() and np.isinf(naive_log).any()
    np.testing.assert_allclose(softmax(z), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(log_softmax(z), [0.0, -1000.0, -2000.0])
    np.testing.assert_allclose(log_softmax(-z), [-2000.0, -1000.0, 0.0])


def test_axis_argument_and_minus_infinity_logits():
    z = np.array([[0.0, 1.0], [-np.inf, 2.0]])
    np.testing.assert_allclose(softmax(z, axis=0), softmax(z.T).T)
    assert softmax(z)[1].tolist() == [0.0, 1.0]
    assert log_softmax(z)[1, 0] == -np.inf
    assert logsumexp([0.0, 0.0]) == pytest.approx(math.log(2))


@pytest.mark.parametrize(
    "z, exc, msg",
    [
        (3.0, ValueError, "at least one dimension"),
        ([], ValueError, "empty"),
        ([0.0, np.nan], ValueError, "NaN"),
        ([0.0, np.inf], ValueError, r"\+inf"),
        ([-np.inf, -np.inf], ValueError, "only -inf"),
        ("abc", TypeError, "z must be"),
    ],
)
def test_softmax_family_rejects_bad_logits(z, exc, msg):
    for f in (softmax, log_softmax, logsumexp):
        with pytest.raises(exc, match=msg):
            f(z)


# --- targets ----------------------------------------------------------------------------------


@given(st.lists(st.integers(0, 9), min_size=1, max_size=20), st.floats(0.0, 1.0))
def test_smoothed_labels_are_the_mixture_with_the_uniform(y, eps):
    t = smooth_labels(y, 10, eps)
    np.testing.assert_allclose(t.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(t, (1 - eps) * one_hot(y, 10) + eps * np.full(10, 0.1), atol=1e-15)
    assert np.all(t.argmax(axis=1) == np.array(y)) or eps == 1.0


@settings(max_examples=60)
@given(
    arrays(np.float64, (5, 4), elements=st.floats(-20, 20)),
    st.lists(st.integers(0, 3), min_size=5, max_size=5),
    st.floats(0.0, 1.0),
)
def test_label_smoothing_loss_decomposes_into_two_kls(z, y, eps):
    """CE(P_eps, q) = H(P_eps) + KL(P_eps||q) = (1-eps) KL(y||q) + eps KL(u||q) + eps log K."""
    q = softmax(z)
    target = smooth_labels(y, 4, eps)
    ce = kb.cross_entropy(target, q)
    torch_ce = F.cross_entropy(torch.from_numpy(z), torch.tensor(y), label_smoothing=eps, reduction="none")
    np.testing.assert_allclose(ce, torch_ce.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ce, kb.entropy(target) + kb.kl_divergence(target, q), rtol=1e-10, atol=1e-10)
    u = np.full(4, 0.25)
    mix = (1 - eps) * kb.kl_divergence(one_hot(y, 4), q) + eps * kb.kl_divergence(u, q) + eps * math.log(4)
    np.testing.assert_allclose(ce, mix, rtol=1e-10, atol=1e-10)


def test_one_hot_cross_entropy_is_kl_and_minus_log_probability():
    z = np.array([[2.0, 0.5, -1.0], [0.0, 3.0, 1.0]])
    y = np.array([0, 2])
    q = softmax(z)
    kl = kb.kl_divergence(one_hot(y, 3), q)
    np.testing.assert_allclose(kl, -np.log(q[[0, 1], y]), rtol=1e-12)
    np.testing.assert_allclose(kl, -log_softmax(z)[[0, 1], y], rtol=1e-12)
    np.testing.assert_allclose(kl, F.cross_entropy(torch.from_numpy(z), torch.from_numpy(y), reduction="none"))


@pytest.mark.parametrize(
    "y, k, eps, exc, msg",
    [
        ([0, 3], 3, 0.1, ValueError, "outside 0..2"),
        ([-1], 3, 0.1, ValueError, "outside"),
        ([0.5], 3, 0.1, TypeError, "integer class labels"),
        ([[0]], 3, 0.1, ValueError, "1-D"),
        ([], 3, 0.1, ValueError, "empty"),
        ([0], 1, 0.1, ValueError, "n_classes must be at least 2"),
        ([0], 2.0, 0.1, TypeError, "n_classes must be an integer"),
        ([0], 3, 1.5, ValueError, "epsilon must lie"),
        ([0], 3, "0.1", TypeError, "epsilon must be a real"),
    ],
)
def test_targets_reject_bad_input(y, k, eps, exc, msg):
    with pytest.raises(exc, match=msg):
        smooth_labels(y, k, eps)


def test_float_labels_that_are_whole_numbers_are_accepted():
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])


# --- calibration ------------------------------------------------------------------------------


def _ece_by_loop(probs, y, n_bins):
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        inside = (conf > lo) & (conf <= hi) if b else (conf <= hi)
        if inside.any():
            total += inside.sum() / len(y) * abs((pred[inside] == y[inside]).mean() - conf[inside].mean())
    return total


@settings(max_examples=60)
@given(
    arrays(np.float64, (40, 5), elements=st.floats(-6, 6)),
    st.lists(st.integers(0, 4), min_size=40, max_size=40),
    st.integers(1, 20),
)
def test_ece_matches_a_literal_loop_and_lies_in_unit_interval(z, y, n_bins):
    p, y = softmax(z), np.array(y)
    bins = reliability_bins(p, y, n_bins=n_bins)
    assert bins.count.sum() == len(y)
    ece = expected_calibration_error(p, y, n_bins=n_bins)
    assert ece == pytest.approx(_ece_by_loop(p, y, n_bins), abs=1e-12)
    assert 0.0 <= ece <= 1.0


def test_ece_of_confident_correct_and_of_calibrated_predictions():
    assert expected_calibration_error(np.eye(3), [0, 1, 2]) == 0.0
    assert expected_calibration_error(np.eye(3), [1, 2, 0]) == 1.0
    # confidence 0.75, right 3 times out of 4: calibrated
    p = np.tile([0.75, 0.25], (4, 1))
    assert expected_calibration_error(p, [0, 0, 0, 1], n_bins=10) == pytest.approx(0.0, abs=1e-15)


def test_calibration_rejects_bad_input():
    with pytest.raises(ValueError, match="does not sum to 1"):
        reliability_bins([[0.5, 0.6]], [0])
    with pytest.raises(ValueError, match="2 labels but probs has 1 rows"):
        reliability_bins([[0.5, 0.5]], [0, 1])
    with pytest.raises(ValueError, match="n_bins must be >= 1"):
        reliability_bins([[0.5, 0.5]], [0], n_bins=0)
    with pytest.raises(ValueError, match="2-D"):
        reliability_bins([0.5, 0.5], [0])


# --- distillation -----------------------------------------------------------------------------


@settings(max_examples=60)
@given(
    arrays(np.float64, (6, 4), elements=st.floats(-8, 8)),
    arrays(np.float64, (6, 4), elements=st.floats(-8, 8)),
    st.floats(0.5, 20.0),
)
def test_soft_target_kl_is_mean_kl_teacher_to_student_with_the_known_gradient(zs, zt, T):
    s = torch.tensor(zs, requires_grad=True)
    t = torch.tensor(zt)
    loss = soft_target_kl(s, t, temperature=T)
    ps, pt = softmax(zs / T), softmax(zt / T)
    assert loss.item() == pytest.approx(np.mean(kb.kl_divergence(pt, ps)), rel=1e-9, abs=1e-12)
    loss.backward()
    np.testing.assert_allclose(s.grad.numpy(), (ps - pt) / (T * len(zs)), rtol=1e-8, atol=1e-13)


def test_t_squared_scaling_keeps_the_soft_gradient_finite_as_t_grows():
    """T^2 * grad -> (centred zs - centred zt) / (K n): logit matching in the high-T limit."""
    g = torch.Generator().manual_seed(0)
    zs = torch.randn(8, 10, generator=g, dtype=torch.float64)
    zt = torch.randn(8, 10, generator=g, dtype=torch.float64)
    limit = ((zs - zs.mean(1, keepdim=True)) - (zt - zt.mean(1, keepdim=True))) / (10 * 8)
    norms = []
    for T in (1.0, 10.0, 100.0, 1000.0):
        s = zs.clone().requires_grad_(True)
        soft_target_kl(s, zt, temperature=T).backward()
        norms.append(float(s.grad.norm()))
        if T == 1000.0:  # the next term of the expansion is O(1/T) relative to the limit
            assert float((T**2 * s.grad - limit).norm() / limit.norm()) < 2e-3
    ratios = [norms[i] / norms[i + 1] for i in range(3)]
    assert ratios[-1] == pytest.approx(100.0, rel=1e-3)  # 1/T^2 decay
    assert ratios[0] > 1.0


def test_distillation_loss_reduces_to_its_two_parts():
    g = torch.Generator().manual_seed(1)
    zs, zt = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    y = torch.tensor([0, 1, 2, 0, 1])
    T = 3.0
    assert torch.equal(distillation_loss(zs, zt, y, temperature=T, alpha=0.0), F.cross_entropy(zs, y))
    torch.testing.assert_close(
        distillation_loss(zs, zt, y, temperature=T, alpha=1.0), T**2 * soft_target_kl(zs, zt, temperature=T)
    )
    half = distillation_loss(zs, zt, y, temperature=T, alpha=0.5)
    torch.testing.assert_close(half, 0.5 * T**2 * soft_target_kl(zs, zt, temperature=T) + 0.5 * F.cross_entropy(zs, y))


def test_teacher_gets_no_gradient():
    zs = torch.zeros(2, 3, requires_grad=True)
    zt = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], requires_grad=True)
    distillation_loss(zs, zt, torch.tensor([0, 1]), temperature=2.0, alpha=0.7).backward()
    assert zs.grad is not None and torch.is_tensor(zs.grad)
    assert zt.grad is None


@pytest.mark.parametrize(
    "kwargs, exc, msg",
    [
        ({"temperature": 0.0, "alpha": 0.5}, ValueError, "temperature must be positive"),
        ({"temperature": "2", "alpha": 0.5}, TypeError, "temperature must be a real"),
        ({"temperature": 2.0, "alpha": 1.5}, ValueError, "alpha must lie"),
    ],
)
def test_distillation_rejects_bad_parameters(kwargs, exc, msg):
    z = torch.zeros(2, 3)
    with pytest.raises(exc, match=msg):
        distillation_loss(z, z, torch.tensor([0, 1]), **kwargs)


def test_distillation_rejects_bad_tensors():
    z = torch.zeros(2, 3)
    with pytest.raises(TypeError, match="student_logits must be a torch.Tensor"):
        soft_target_kl(np.zeros((2, 3)), z)
    with pytest.raises(ValueError, match="same shape"):
        soft_target_kl(z, torch.zeros(2, 4))
    with pytest.raises(ValueError, match="2-D"):
        soft_target_kl(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="int64 tensor of 2 labels"):
        distillation_loss(z, z, torch.tensor([0.0, 1.0]), temperature=1.0, alpha=0.5)


# --- models and training ----------------------------------------------------------------------


def test_make_mlp_is_seeded_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b, c = make_mlp([4, 5, 3], seed=7), make_mlp([4, 5, 3], seed=7), make_mlp([4, 5, 3], seed=8)
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a[0].weight, c[0].weight)
    assert len(make_mlp([4, 3])) == 1


@pytest.mark.parametrize("sizes", [[4], [4, 0], [4, 2.5], []])
def test_make_mlp_rejects_bad_sizes(sizes):
    with pytest.raises((ValueError, TypeError), match="sizes"):
        make_mlp(sizes)


def _toy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(60, 2, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return x, y


def test_training_lowers_the_loss_and_is_deterministic():
    x, y = _toy()
    runs = []
    for _ in range(2):
        model = make_mlp([2, 8, 2], seed=0)
        runs.append(train_classifier(model, x, y, epochs=60, lr=0.05, x_test=x[:20], y_test=y[:20]))
    h = runs[0]
    assert h.train_loss == runs[1].train_loss and h.test_acc == runs[1].test_acc
    assert len(h.epoch) == len(h.test_loss) == 60
    assert h.train_loss[-1] < 0.5 * h.train_loss[0] and h.train_acc[-1] >= 0.95
    quiet = train_classifier(make_mlp([2, 8, 2], seed=0), x, y, epochs=60, lr=0.05, record=False)
    assert quiet.epoch == [60] and quiet.train_loss[-1] == pytest.approx(h.train_loss[-1], rel=1e-6)


def test_training_rejects_bad_input():
    x, y = _toy()
    m = make_mlp([2, 2])
    with pytest.raises(ValueError, match="epochs"):
        train_classifier(m, x, y, epochs=0, lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        train_classifier(m, x, y, epochs=1, lr=-1)
    with pytest.raises(TypeError, match="int64"):
        train_classifier(m, x, y.float(), epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="both x_test and y_test"):
        train_classifier(m, x, y, epochs=1, lr=0.1, x_test=x)
    with pytest.raises(TypeError, match="torch tensors"):
        train_classifier(m, x.numpy(), y, epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="x_train contains infinite"):
        train_classifier(m, x * np.inf, y, epochs=1, lr=0.1)
    with pytest.raises(FloatingPointError, match="lower lr"):
        train_classifier(m, x * 1e30, y, epochs=3, lr=1e30)

"""setup_notebook, progress, get_device and the plotting label check."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import klbook as kb  # noqa: E402
from klbook.plotting import check_labels  # noqa: E402


def test_setup_notebook_seeds_everything_reproducibly():
    rng = kb.setup_notebook(7, torch=True)
    a = (rng.normal(size=3), np.random.rand(2), torch.randn(2))
    rng = kb.setup_notebook(7, torch=True)
    b = (rng.normal(size=3), np.random.rand(2), torch.randn(2))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert torch.equal(a[2], b[2])
    assert torch.are_deterministic_algorithms_enabled()
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == kb.PALETTE["blue"]


def test_setup_notebook_accepts_numpy_integer_seeds():
    a = kb.setup_notebook(np.int64(5)).normal()
    assert a == kb.setup_notebook(5).normal()


@pytest.mark.parametrize("seed, exc", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                       (True, TypeError), ("0", TypeError)])
def test_setup_notebook_rejects_bad_seeds(seed, exc):
    with pytest.raises(exc, match="seed must be"):
        kb.setup_notebook(seed)


def test_progress_is_silent_in_quiet_mode(monkeypatch):
    monkeypatch.setenv("KLBOOK_QUIET", "1")
    items = [1, 2, 3]
    assert kb.progress(items, desc="x") is items


def test_get_device_defaults_to_the_cpu(monkeypatch):
    monkeypatch.delenv("KLBOOK_DEVICE", raising=False)
    assert kb.get_device().type == "cpu"
    assert kb.get_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_check_labels_accepts_labelled_and_shared_axes():
    fig, axes = plt.subplots(1, 2, sharey=True)
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    check_labels(fig)
    plt.close(fig)


def test_check_labels_accepts_image_axes_turned_off():
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((2, 2)))
    ax.axis("off")
    check_labels(fig)
    plt.close(fig)


def test_check_labels_rejects_a_missing_label():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x")
    ax.set_title("demo")
    with pytest.raises(ValueError, match="titled 'demo'.* no y-axis label"):
        check_labels(fig)
    fig.supylabel("y")
    check_labels(fig)
    plt.close(fig)


# --- the shared digits split --------------------------------------------------------------------


def test_digits_split_is_fixed_stratified_and_binarised_at_eight():
    raw, binary = kb.load_digits(), kb.load_digits(binarize=True)
    assert raw.x_train.shape == (1437, 64) and raw.x_test.shape == (360, 64)
    assert set(np.unique(binary.x_train)) == {0.0, 1.0}
    np.testing.assert_array_equal(binary.x_test, raw.x_test >= 8)
    np.testing.assert_array_equal(raw.y_train, binary.y_train)
    # stratified: each class's share of the test set matches the whole set within one image
    counts_test = np.bincount(raw.y_test, minlength=10)
    counts_all = counts_test + np.bincount(raw.y_train, minlength=10)
    assert np.all(np.abs(counts_test - 0.2 * counts_all) <= 1)
    # callers get copies
    raw.x_train[0, 0] = -1
    assert kb.load_digits().x_train[0, 0] != -1


def test_load_digits_rejects_a_non_boolean_flag():
    with pytest.raises(TypeError, match="binarize must be True or False"):
        kb.load_digits(binarize="yes")

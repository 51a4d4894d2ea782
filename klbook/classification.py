r"""Classification with cross-entropy: stable softmax, smoothed targets, calibration, distillation.

The pieces chapter 2 reuses:

* :func:`logsumexp`, :func:`log_softmax`, :func:`softmax` -- numerically stable
  numpy versions (the log-sum-exp trick), checked against scipy and torch;
* :func:`one_hot`, :func:`smooth_labels` -- target distributions for the
  cross-entropy :math:`H(P, Q) = H(P) + D_{KL}(P\|Q)`;
* :func:`reliability_bins`, :func:`expected_calibration_error` -- how far a
  classifier's confidence is from its accuracy;
* :func:`soft_target_kl`, :func:`distillation_loss` -- knowledge distillation
  (Hinton et al., 2015) in torch;
* :func:`make_mlp`, :func:`train_classifier` -- small seeded torch models and a
  full-batch training loop that records loss and accuracy per epoch.

Everything is in nats. The numpy functions accept array-likes and raise
``ValueError``/``TypeError`` naming the argument on bad input; the torch
functions work on any device (see :func:`klbook.get_device`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ._validation import _normalize_axis, MAX_ENTRIES, as_distribution, as_float_array, check_logits_tensor, check_tensor, integer, real

__all__ = [
    "logsumexp",
    "log_softmax",
    "softmax",
    "one_hot",
    "smooth_labels",
    "CalibrationBins",
    "reliability_bins",
    "expected_calibration_error",
    "soft_target_kl",
    "distillation_loss",
    "make_mlp",
    "ClassifierHistory",
    "train_classifier",
]


# --- softmax ----------------------------------------------------------------------------------


def _logits(z, axis) -> tuple[np.ndarray, int]:
    arr = as_float_array(z, "z")
    if arr.ndim == 0:
        raise ValueError("z must have at least one dimension (a vector of logits)")
    if arr.size == 0:
        raise ValueError("z is empty")
    if np.isnan(arr).any():
        raise ValueError("z contains NaN")
    if np.isposinf(arr).any():
        raise ValueError("z contains +inf; a logit must be finite or -inf (an impossible class)")
    axis = _normalize_axis(axis, arr.ndim, "z")
    if np.isneginf(arr).all(axis=axis).any():
        raise ValueError(f"z has a row of only -inf along axis {axis}: no class is possible")
    return arr, axis


def logsumexp(z, *, axis=-1, keepdims=False):
    r"""Stable :math:`\log\sum_k e^{z_k}`, computed as :math:`m + \log\sum_k e^{z_k - m}`, :math:`m = \max_k z_k`.

    Parameters
    ----------
    z : array_like
        Logits along ``axis``; finite, or ``-inf`` for an impossible class (at
        least one entry per row must be finite).
    axis : int, default -1
        The axis holding the classes.
    keepdims : bool, default False
        Keep ``axis`` with length 1 in the result.

    Returns
    -------
    float or ndarray
        Never overflows: after the shift the largest exponent is ``e^0 = 1``,
        so the sum lies in ``[1, n]`` and its log in ``[0, log n]``.

    Raises
    ------
    ValueError
        On empty or scalar input, NaN or ``+inf`` logits, or an all ``-inf`` row.

    Examples
    --------
    >>> logsumexp([1000.0, 1000.0])  # exp(1000) alone overflows float64
    1000.6931471805599
    """
    arr, axis = _logits(z, axis)
    m = arr.max(axis=axis, keepdims=True)
    # z - m below -1.8e308 is -inf, whose exp is exactly the 0 it should be: no warning
    with np.errstate(under="ignore", over="ignore"):
        out = m + np.log(np.exp(arr - m).sum(axis=axis, keepdims=True))
    if not keepdims:
        out = np.squeeze(out, axis=axis)
    return out.item() if out.ndim == 0 else out


def log_softmax(z, *, axis=-1):
    r"""Stable log-softmax :math:`\log \mathrm{softmax}(z)_k = z_k - \log\sum_j e^{z_j}`.

    Parameters
    ----------
    z : array_like
        Logits along ``axis`` (other axes are a batch); see :func:`logsumexp`.
    axis : int, default -1
        The axis holding the classes.

    Returns
    -------
    ndarray
        Log-probabilities, all ``<= 0``; ``-inf`` only where ``z`` is ``-inf``.
        Unlike ``log(softmax(z))`` it stays finite for a class whose probability
        underflows to 0 (e.g. a logit 1000 below the largest).

    Examples
    --------
    >>> log_softmax([0.0, -1000.0])
    array([    0., -1000.])
    """
    arr, axis = _logits(z, axis)
    with np.errstate(over="ignore"):  # a log-probability below -1.8e308 is -inf
        return arr - logsumexp(arr, axis=axis, keepdims=True)


def softmax(z, *, axis=-1):
    r"""Stable softmax :math:`\mathrm{softmax}(z)_k = e^{z_k - m} / \sum_j e^{z_j - m}`, :math:`m = \max_j z_j`.

    Parameters
    ----------
    z : array_like
        Logits along ``axis``; see :func:`logsumexp`.
    axis : int, default -1
        The axis holding the classes.

    Returns
    -------
    ndarray
        Probabilities in ``[0, 1]`` that sum to 1 along ``axis``. Shifting all
        logits by a constant leaves the result unchanged.

    Examples
    --------
    >>> softmax([1000.0, 1000.0])  # the naive exp(z) / sum(exp(z)) gives nan here
    array([0.5, 0.5])
    """
    arr, axis = _logits(z, axis)
    m = arr.max(axis=axis, keepdims=True)
    with np.errstate(under="ignore", over="ignore"):
        e = np.exp(arr - m)
    return e / e.sum(axis=axis, keepdims=True)


# --- targets ----------------------------------------------------------------------------------


def _labels(y, n_classes) -> tuple[np.ndarray, int]:
    if isinstance(n_classes, bool) or not isinstance(n_classes, numbers.Integral):
        raise TypeError(f"n_classes must be an integer, got {type(n_classes).__name__}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")
    if n_classes > MAX_ENTRIES:
        raise ValueError(f"n_classes = {n_classes} is too many classes for a table of targets")
    arr = np.asarray(y)
    if arr.size == 0:
        raise ValueError("y is empty")
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
        if not np.issubdtype(arr.dtype, np.floating):
            raise TypeError(f"y must hold integer class labels, got dtype {arr.dtype}")
        if not np.isfinite(arr).all():
            raise ValueError("y contains NaN or infinite labels")
        if not np.all(np.mod(arr, 1) == 0):
            raise TypeError("y must hold integer class labels, got non-integer floats")
        if arr.min() < 0 or arr.max() >= n_classes:  # before the cast, which would wrap 1e20
            raise ValueError(f"y has labels outside 0..{n_classes - 1} (min {arr.min():g}, max {arr.max():g})")
        arr = arr.astype(np.int64)
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-D array of labels, got {arr.ndim} dimension(s)")
    if arr.min() < 0 or arr.max() >= n_classes:
        raise ValueError(f"y has labels outside 0..{n_classes - 1} (min {arr.min()}, max {arr.max()})")
    return arr.astype(np.int64), int(n_classes)


def one_hot(y, n_classes):
    """One-hot rows: the label distribution that puts all its mass on the true class.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Class labels in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes, at least 2.

    Returns
    -------
    ndarray, shape (n, n_classes), float64

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    y, k = _labels(y, n_classes)
    out = np.zeros((y.size, k))
    out[np.arange(y.size), y] = 1.0
    return out


def smooth_labels(y, n_classes, epsilon):
    r"""Label-smoothed targets :math:`P_\varepsilon = (1-\varepsilon)\,\mathrm{onehot}(y) + \varepsilon\,U`.

    :math:`U` is the uniform distribution over the ``n_classes`` classes, so the
    true class gets :math:`1 - \varepsilon + \varepsilon/K` and every other class
    :math:`\varepsilon/K`. This is the target of
    ``torch.nn.functional.cross_entropy(..., label_smoothing=epsilon)``.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Class labels in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes :math:`K \ge 2`.
    epsilon : float
        Mixing weight of the uniform distribution, in ``[0, 1]``; 0 gives one-hot rows.

    Returns
    -------
    ndarray, shape (n, n_classes)
        Each row a probability vector.

    Examples
    --------
    >>> smooth_labels([1], 4, 0.2)
    array([[0.05, 0.85, 0.05, 0.05]])
    """
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
        raise TypeError(f"epsilon must be a real number, got {type(epsilon).__name__}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon}")
    hot = one_hot(y, n_classes)
    return (1.0 - epsilon) * hot + epsilon / hot.shape[1]


# --- calibration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationBins:
    """Per-bin statistics of a reliability diagram (equal-width confidence bins).

    Attributes
    ----------
    edges : ndarray, shape (n_bins + 1,)
        Bin edges from 0 to 1; bin ``b`` holds confidences in ``(edges[b], edges[b+1]]``
        (the first bin also holds 0).
    count : ndarray of int, shape (n_bins,)
        Number of predictions per bin.
    confidence : ndarray, shape (n_bins,)
        Mean top-class probability per bin (``nan`` for an empty bin).
    accuracy : ndarray, shape (n_bins,)
        Fraction of correct top-class predictions per bin (``nan`` for an empty bin).
    """

    edges: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    @property
    def ece(self) -> float:
        """Expected calibration error: ``sum_b count_b / n * |accuracy_b - confidence_b|``."""
        keep = self.count > 0
        gap = np.abs(self.accuracy[keep] - self.confidence[keep])
        return float(np.sum(self.count[keep] * gap) / self.count.sum())


def reliability_bins(probs, y, *, n_bins=15):
    r"""Bin predictions by confidence and compare each bin's confidence with its accuracy.

    The confidence of a prediction is its top-class probability
    :math:`\max_k \hat p_k`; it is correct when that class is ``y``.

    Parameters
    ----------
    probs : array_like, shape (n, K)
        Predicted class probabilities, each row summing to 1.
    y : array_like of int, shape (n,)
        True labels.
    n_bins : int, default 15
        Number of equal-width bins on [0, 1] (15 as in Guo et al., 2017).

    Returns
    -------
    CalibrationBins
        Its ``ece`` property is :func:`expected_calibration_error`.

    Raises
    ------
    ValueError
        If ``probs`` is not a batch of probability vectors, ``y`` does not match it,
        or ``n_bins < 1``.

    Examples
    --------
    >>> b = reliability_bins([[0.9, 0.1], [0.6, 0.4]], [0, 1], n_bins=2)
    >>> b.count, b.accuracy, b.confidence
    (array([0, 2]), array([nan, 0.5]), array([ nan, 0.75]))
    """
    n_bins = integer(n_bins, "n_bins", minimum=1, maximum=10**6)
    p = as_distribution(probs, "probs")
    if p.ndim != 2:
        raise ValueError(f"probs must be 2-D (n, n_classes), got {p.ndim} dimension(s)")
    labels, _ = _labels(y, max(p.shape[1], 2))
    if labels.size != p.shape[0]:
        raise ValueError(f"y has {labels.size} labels but probs has {p.shape[0]} rows")
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.ceil(conf * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(which, weights=conf, minlength=n_bins) / count
        accuracy = np.bincount(which, weights=correct, minlength=n_bins) / count
    return CalibrationBins(edges, count, confidence, accuracy)


def expected_calibration_error(probs, y, *, n_bins=15):
    r"""Expected calibration error :math:`\sum_b \frac{n_b}{n}\,|\mathrm{acc}_b - \mathrm{conf}_b|`.

    The average gap, weighted by bin size, between how often the top-class
    prediction is right and how confident it is (Guo et al., 2017). In ``[0, 1]``;
    0 for a perfectly calibrated classifier. It depends on the binning, and on a
    few hundred test points it is a noisy estimate.

    Parameters
    ----------
    probs, y, n_bins
        As in :func:`reliability_bins`.

    Returns
    -------
    float

    Examples
    --------
    >>> round(expected_calibration_error([[0.9, 0.1], [0.6, 0.4]], [0, 1], n_bins=2), 4)
    0.25
    """
    return reliability_bins(probs, y, n_bins=n_bins).ece


# --- torch: distillation ----------------------------------------------------------------------


def _temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature must be a real number, got {type(temperature).__name__}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be positive and finite, got {temperature}")
    return float(temperature)


def _logit_pair(student_logits, teacher_logits):
    for name, t in (("student_logits", student_logits), ("teacher_logits", teacher_logits)):
        check_logits_tensor(t, name, min_classes=2)
        if t.ndim != 2:
            raise ValueError(f"{name} must be 2-D (batch, n_classes), got shape {tuple(t.shape)}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student_logits {tuple(student_logits.shape)} and teacher_logits "
            f"{tuple(teacher_logits.shape)} must have the same shape"
        )


def soft_target_kl(student_logits, teacher_logits, *, temperature=1.0):
    r"""Mean :math:`D_{KL}(p^{t}_T \,\|\, p^{s}_T)` between temperature-softened teacher and student.

    :math:`p_T = \mathrm{softmax}(z / T)`. The teacher is the reference
    distribution (the "label"), the student the model, as in cross-entropy
    training. Its gradient with respect to the student logits is
    :math:`(p^s_T - p^t_T) / (T\,n)` for a batch of :math:`n`, which shrinks like
    :math:`1/T^2` for large :math:`T` -- hence the :math:`T^2` in
    :func:`distillation_loss`.

    Parameters
    ----------
    student_logits, teacher_logits : torch.Tensor, shape (n, K)
        Raw scores. The teacher's are detached (no gradient flows into it).
    temperature : float, default 1
        :math:`T > 0`; larger values soften both distributions.

    Returns
    -------
    torch.Tensor
        A scalar: the KL in nats averaged over the batch (``F.kl_div`` with
        ``reduction="batchmean"`` and the arguments in the right order).

    Raises
    ------
    ValueError
        If a logit tensor is not 2-D with at least one row and two classes, holds NaN or
        ``+inf`` or a row of only ``-inf``, or the shapes differ; if ``temperature`` is not
        positive and finite.
    TypeError
        If a logit argument is not a floating-point tensor, or ``temperature`` not a number.

    Examples
    --------
    >>> import torch
    >>> s = torch.tensor([[2.0, 0.0, -1.0]])
    >>> float(soft_target_kl(s, s.clone(), temperature=3.0))
    0.0
    """
    import torch.nn.functional as F

    _logit_pair(student_logits, teacher_logits)
    t = _temperature(temperature)
    log_ps = F.log_softmax(student_logits / t, dim=-1)
    log_pt = F.log_softmax(teacher_logits.detach() / t, dim=-1)
    return F.kl_div(log_ps, log_pt, reduction="batchmean", log_target=True)


def distillation_loss(student_logits, teacher_logits, y, *, temperature, alpha):
    r"""Hinton et al. (2015): :math:`\alpha\,T^2 D_{KL}(p^t_T\|p^s_T) + (1-\alpha)\,\mathrm{CE}(y, p^s_1)`.

    Parameters
    ----------
    student_logits, teacher_logits : torch.Tensor, shape (n, K)
        Raw scores of the student (trained) and the teacher (fixed).
    y : torch.Tensor of int64, shape (n,)
        Hard labels.
    temperature : float
        :math:`T > 0` for the soft term; the hard term always uses :math:`T = 1`.
    alpha : float
        Weight of the soft term, in ``[0, 1]``: 0 is plain cross-entropy training.

    Returns
    -------
    torch.Tensor
        A scalar loss in nats. The factor :math:`T^2` keeps the soft term's
        gradient on the same scale as the hard term's whatever the temperature.

    Raises
    ------
    ValueError
        As :func:`soft_target_kl`; if ``y`` is not an int64 tensor of one label per row
        with labels in ``0..n_classes - 1`` (torch's ``ignore_index`` -100 included, which
        would average over nothing), or ``alpha`` lies outside [0, 1].
    TypeError
        As :func:`soft_target_kl`, or if ``alpha`` is not a number.

    Examples
    --------
    >>> import torch
    >>> s, t = torch.tensor([[1.0, 0.0]]), torch.tensor([[3.0, 0.0]])
    >>> y = torch.tensor([0])
    >>> round(float(distillation_loss(s, t, y, temperature=2.0, alpha=0.0)), 4)  # = -log p_0
    0.3133
    """
    import torch
    import torch.nn.functional as F

    _logit_pair(student_logits, teacher_logits)
    t = _temperature(temperature)
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a real number, got {type(alpha).__name__}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.shape != student_logits.shape[:1]:
        raise ValueError(
            f"y must be an int64 tensor of {student_logits.shape[0]} labels, got "
            f"{type(y).__name__} {getattr(y, 'dtype', '')} {tuple(getattr(y, 'shape', ()))}"
        )
    n_classes = student_logits.shape[1]
    if (y < 0).any() or (y >= n_classes).any():  # -100 is torch's ignore_index: a mean over nothing
        raise ValueError(f"y has labels outside 0..{n_classes - 1} (min {int(y.min())}, max {int(y.max())})")
    hard = F.cross_entropy(student_logits, y)
    if alpha == 0.0:
        return hard
    soft = soft_target_kl(student_logits, teacher_logits, temperature=t)
    return alpha * t**2 * soft + (1.0 - alpha) * hard


# --- torch: models and training ---------------------------------------------------------------


def make_mlp(sizes, *, seed=0, device=None):
    """A ReLU multilayer perceptron ``Linear(sizes[0], sizes[1]) -> ReLU -> ... -> Linear(., sizes[-1])``.

    Two sizes give a linear model (multinomial logistic regression when trained
    with cross-entropy). The weights are drawn from a private generator seeded
    with ``seed``, so the global torch random state is left untouched.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, number of classes last; at least two.
    seed : int, default 0
        Seed of the initial weights.
    device : torch.device or str, optional
        Default: :func:`klbook.get_device`.

    Returns
    -------
    torch.nn.Sequential
        Outputs logits (no softmax).

    Examples
    --------
    >>> m = make_mlp([64, 32, 10], seed=1)
    >>> sum(p.numel() for p in m.parameters())
    2410
    """
    import torch
    from torch import nn

    from .notebook import get_device

    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of layer widths, got {type(sizes).__name__}")
    sizes = [integer(s, "sizes", minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must be at least two positive integers, got {sizes}")
    seed = integer(seed, "seed", minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(a, b))
        model = nn.Sequential(*layers)
    return model.to(get_device(device))


@dataclass
class ClassifierHistory:
    """Per-epoch record of :func:`train_classifier`.

    ``objective`` is the training loss that was minimised (before each step);
    the other lists hold the plain cross-entropy (nats per example) and accuracy
    of the model after each epoch, on the training and test sets.
    """

    epoch: list = field(default_factory=list)
    objective: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)


def _as_tensor_pair(model, x, y, name):
    import torch

    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"x_{name} and y_{name} must be torch tensors")
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x_{name} must be (n, d) and y_{name} (n,), got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    check_tensor(x, f"x_{name}")
    if y.dtype != torch.int64:
        raise TypeError(f"y_{name} must hold int64 labels, got {y.dtype}")
    if (y < 0).any():
        raise ValueError(f"y_{name} has negative labels (min {int(y.min())})")
    param = next(model.parameters(), None)
    if param is not None and x.dtype != param.dtype:
        raise TypeError(f"x_{name} has dtype {x.dtype} but the model's parameters are {param.dtype}; "
                        f"convert one of them (e.g. x_{name}.to({param.dtype}))")


def train_classifier(
    model,
    x_train,
    y_train,
    *,
    epochs,
    lr,
    loss_fn=None,
    weight_decay=0.0,
    x_test=None,
    y_test=None,
    record=True,
):
    """Full-batch Adam on a classifier: one gradient step per epoch over the whole training set.

    Full-batch training suits small data sets such as the digits (1 437
    training images): it is fast, and deterministic given the initial weights.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``x`` to logits of shape ``(n, K)``; trained in place.
    x_train : torch.Tensor, shape (n, d)
    y_train : torch.Tensor of int64, shape (n,)
    epochs : int
        Number of full-batch steps, at least 1.
    lr : float
        Adam's learning rate.
    loss_fn : callable, optional
        ``loss_fn(logits, y) -> scalar tensor``; default
        ``torch.nn.functional.cross_entropy``.
    weight_decay : float, default 0
        Adam's L2 penalty.
    x_test, y_test : torch.Tensor, optional
        Evaluated after every epoch when given.
    record : bool, default True
        Record cross-entropy and accuracy after every epoch (skip it for speed).

    Returns
    -------
    ClassifierHistory

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.0], [1.0]]); y = torch.tensor([0, 1])
    >>> h = train_classifier(make_mlp([1, 2]), x, y, epochs=100, lr=0.1)
    >>> h.train_acc[-1], h.train_loss[-1] < h.train_loss[0]
    (1.0, True)
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _as_tensor_pair(model, x_train, y_train, "train")
    if (x_test is None) != (y_test is None):
        raise ValueError("give both x_test and y_test, or neither")
    if x_test is not None:
        _as_tensor_pair(model, x_test, y_test, "test")
    epochs = integer(epochs, "epochs", minimum=1)
    lr = real(lr, "lr", low=0.0, low_open=True)
    weight_decay = real(weight_decay, "weight_decay", low=0.0)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if not isinstance(record, (bool, np.bool_)):
        raise TypeError(f"record must be True or False, got {record!r}")
    loss_fn = F.cross_entropy if loss_fn is None else loss_fn
    opt = torch.optim.Adam(model.parameters(), lr=float(lr), weight_decay=float(weight_decay))
    history = ClassifierHistory()

    def evaluate(x, y):
        logits = model(x)
        return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).double().mean())

    for epoch in range(1, int(epochs) + 1):
        model.train()
        opt.zero_grad()
        loss = loss_fn(model(x_train), y_train)
        value = loss.detach().item()
        if not math.isfinite(value):
            raise FloatingPointError(f"the training loss became {value} at epoch {epoch}; lower lr")
        loss.backward()
        opt.step()
        if record or epoch == epochs:
            model.eval()
            with torch.no_grad():
                history.epoch.append(epoch)
                history.objective.append(value)
                tl, ta = evaluate(x_train, y_train)
                history.train_loss.append(tl)
                history.train_acc.append(ta)
                if x_test is not None:
                    vl, va = evaluate(x_test, y_test)
                    history.test_loss.append(vl)
                    history.test_acc.append(va)
    model.eval()
    return history

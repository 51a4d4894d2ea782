"""Input checks shared by the public functions.

Every public function in :mod:`klbook` validates its arguments here, so that bad
input fails loudly with a message naming the argument and the problem, instead
of flowing on into a silent ``nan``.
"""

from __future__ import annotations

import numbers

import numpy as np

#: Absolute tolerance on ``|sum(p) - 1|`` for a float64 (or integer) argument to
#: count as a probability vector. Lower-precision input gets the looser
#: :func:`sum_tolerance`. Pass ``normalize=True`` to rescale unnormalised input.
SUM_ATOL = 1e-6

#: The most :func:`sum_tolerance` ever allows, whatever the dtype and the number of outcomes:
#: a float16 vector of a million entries must not pass with a sum of 3.
SUM_ATOL_CAP = 1e-3

#: The most entries an array built from a size argument may have (a typo like 10**12
#: should be a ValueError naming the argument, not a MemoryError deep inside numpy).
MAX_ENTRIES = 10**9

#: A vector accepted within :func:`sum_tolerance` whose sum misses 1 by more than this is
#: divided by its sum, so that every result is that of a true distribution; closer to 1,
#: it is left untouched (the rescaling would only move the last bits).
RENORMALIZE_ABOVE = 1e-12


def sum_tolerance(dtype, n: int) -> float:
    """Tolerance on ``|sum(p) - 1|`` for ``n`` probabilities stored as ``dtype``.

    :data:`SUM_ATOL`, or ``4 sqrt(n) eps`` for a floating dtype whose machine epsilon
    makes that larger (a float32 softmax over 50 000 classes misses 1 by a few 1e-6),
    capped at :data:`SUM_ATOL_CAP` -- but never below ``4 eps``, the rounding of a single
    low-precision entry. In float64 this is 1e-6, in float32 at most 1e-3, in float16 4e-3.
    """
    if not np.issubdtype(dtype, np.floating):
        return SUM_ATOL
    eps = float(np.finfo(dtype).eps)
    return max(SUM_ATOL, 4.0 * eps, min(4.0 * np.sqrt(n) * eps, SUM_ATOL_CAP))


def _as_real_array(x, name: str) -> np.ndarray:
    """``np.asarray(x)`` with a real numeric (or boolean) dtype, else ``TypeError``."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}")
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array; fill or drop the masked entries first")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":  # object, str, datetime64, timedelta64, ...
        raise TypeError(f"{name} must be array-like of real numbers, got dtype {arr.dtype}")
    return arr


def as_float_array(x, name: str) -> np.ndarray:
    """Convert ``x`` to a float64 array, or raise ``TypeError`` naming ``name``."""
    return _as_real_array(x, name).astype(np.float64, copy=False)


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or infinite entries."""
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values")


def check_base(base) -> float | None:
    """Return ``log(base)``, or ``None`` for nats; reject bases <= 0 or == 1."""
    if base is None:
        return None
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise TypeError(f"base must be a real number or None, got {type(base).__name__}")
    if not np.isfinite(base) or base <= 0 or base == 1:
        raise ValueError(f"base must be a positive number other than 1, got {base}")
    return float(np.log(base))


def as_distribution(
    x, name: str, *, axis: int = -1, normalize: bool = False
) -> np.ndarray:
    """Validate ``x`` as (a batch of) probability vectors along ``axis``.

    Checks: numeric, at least 1-D, non-empty, finite, non-negative, and summing
    to 1 within :func:`sum_tolerance` along ``axis`` (then, if the sum misses 1 by more
    than :data:`RENORMALIZE_ABOVE`, divided by it) -- or, with ``normalize=True``,
    a positive total mass, which is then divided out.
    """
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"normalize must be True or False, got {normalize!r}")
    raw = _as_real_array(x, name)
    arr = raw.astype(np.float64, copy=False)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (a vector of probabilities)")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    check_finite(arr, name)
    if (arr < 0).any():
        raise ValueError(f"{name} has negative entries (min {arr.min():.3g}); probabilities must be >= 0")
    axis = _normalize_axis(axis, arr.ndim, name)
    if normalize:
        # Divide by the largest entry first, so that huge weights cannot overflow the sum.
        peak = arr.max(axis=axis, keepdims=True)
        if (peak <= 0).any():
            raise ValueError(f"{name} has zero total mass along axis {axis}; it cannot be normalised")
        arr = arr / peak
        return arr / arr.sum(axis=axis, keepdims=True)
    with np.errstate(over="ignore"):
        total = arr.sum(axis=axis, keepdims=True)
    err = np.abs(total - 1.0)
    if (err > sum_tolerance(raw.dtype, arr.shape[axis])).any():
        worst = float(total.flat[int(np.argmax(err))])
        raise ValueError(
            f"{name} does not sum to 1 along axis {axis} (a sum of {worst:.6g}); "
            f"pass normalize=True to rescale it"
        )
    if (err > RENORMALIZE_ABOVE).any():
        # accepted within the tolerance: rescale, so that no result can exceed its bound
        # (an entropy above log n, a JS divergence above log 2)
        arr = np.where(err > RENORMALIZE_ABOVE, arr / total, arr)
    return arr


def _normalize_axis(axis, ndim: int, name: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {name} with {ndim} dimension(s)")
    return int(axis) % ndim


def pair_of_distributions(p, q, *, axis: int, normalize: bool):
    """Validate ``p`` and ``q`` and move the event axis last, broadcasting the batch axes.

    Returns ``(p, q)`` with the events along the last axis.
    """
    p = as_distribution(p, "p", axis=axis, normalize=normalize)
    q = as_distribution(q, "q", axis=axis, normalize=normalize)
    p = np.moveaxis(p, axis, -1)
    q = np.moveaxis(q, axis, -1)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"p and q have different event sizes along axis {axis}: "
            f"{p.shape[-1]} vs {q.shape[-1]} outcomes"
        )
    try:
        np.broadcast_shapes(p.shape, q.shape)
    except ValueError:
        raise ValueError(
            f"the batch shapes of p {p.shape[:-1]} and q {q.shape[:-1]} do not broadcast"
        ) from None
    return p, q


def positive(x, name: str) -> np.ndarray:
    """A finite, strictly positive float array (e.g. a standard deviation)."""
    arr = as_float_array(x, name)
    check_finite(arr, name)
    if (arr <= 0).any():
        raise ValueError(f"{name} must be strictly positive (min {arr.min():.3g})")
    return arr


def finite(x, name: str) -> np.ndarray:
    """A finite float array."""
    arr = as_float_array(x, name)
    check_finite(arr, name)
    return arr


def integer(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An ``int`` (not a bool, not a float) in ``[minimum, maximum]``, else ``TypeError``/``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def real(value, name: str, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number (not a bool) in the given range, as a ``float``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


def samples(x, name: str, min_samples: int = 1) -> np.ndarray:
    """``n`` samples in ``d`` dimensions as a finite float array of shape ``(n, d)``.

    A 1-D array is read as ``n`` samples of a scalar.
    """
    arr = as_float_array(x, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d) (or (n,) for scalars), got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has zero dimensions (shape {arr.shape})")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples, got {arr.shape[0]}")
    check_finite(arr, name)
    return arr


def is_tensor(x) -> bool:
    """Whether ``x`` is a ``torch.Tensor`` (without importing torch)."""
    return type(x).__module__.startswith("torch")


def check_tensor(x, name: str, *, allow_inf: bool = False, allow_empty: bool = False):
    """A floating-point ``torch.Tensor`` without NaN (and, unless ``allow_inf``, without inf).

    Raises ``TypeError`` for anything that is not a floating tensor (naming ``name``), and
    ``ValueError`` for an empty tensor (unless ``allow_empty``) or non-finite entries.
    """
    if not is_tensor(x):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.numel() == 0 and not allow_empty:
        raise ValueError(f"{name} is empty")
    if x.isnan().any():
        raise ValueError(f"{name} contains NaN")
    if not allow_inf and x.isinf().any():
        raise ValueError(f"{name} contains infinite values")
    return x


def check_logits_tensor(t, name: str, *, min_classes: int = 1):
    """Logits along the last axis of a floating tensor: no NaN, no +inf, not empty, and no row of
    only ``-inf`` (a ``-inf`` logit is an impossible class; a row of them is no distribution)."""
    check_tensor(t, name, allow_inf=True)
    if t.ndim == 0 or t.shape[-1] < min_classes:
        raise ValueError(f"{name} must have at least {min_classes} class(es) along its last axis, "
                         f"got shape {tuple(t.shape)}")
    if t.isposinf().any():
        raise ValueError(f"{name} contains +inf; a logit must be finite or -inf (an impossible class)")
    if t.isneginf().all(dim=-1).any():
        raise ValueError(f"{name} has a row of only -inf: no class is possible")
    return t


def binary_flags(x, name: str) -> np.ndarray:
    """A boolean array from booleans or the numbers 0 and 1 (nothing else: not 0.5, NaN or 'no')."""
    arr = _as_real_array(x, name)
    if arr.dtype == np.bool_:
        return arr
    if not np.isin(arr, (0, 1)).all():
        bad = arr[~np.isin(arr, (0, 1))].flat[0]
        raise ValueError(f"{name} must hold booleans (or 0 and 1), got {bad!r}")
    return arr.astype(bool)


def generator(rng, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator``, or a non-negative integer seed for one."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(integer(rng, name, minimum=0))


def finite_vector(x, name: str):
    """A finite array or floating tensor (returned as it is); ``ValueError`` naming ``name`` otherwise."""
    if is_tensor(x):
        return check_tensor(x, name, allow_empty=True)
    return finite(x, name)

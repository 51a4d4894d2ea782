"""The real data set shared by the chapters: scikit-learn's handwritten digits.

1 797 greyscale 8x8 images of the digits 0--9 (pixel intensities 0--16), shipped
inside scikit-learn, so nothing is downloaded. Every chapter that uses them goes
through :func:`load_digits`, so all of them train and report on **the same
split** and their numbers can be compared across chapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["Digits", "load_digits", "BINARIZE_THRESHOLD", "TEST_SIZE", "SPLIT_SEED"]

#: A pixel is "on" in the binarised images when its intensity (0--16) is at least this.
BINARIZE_THRESHOLD = 8
#: Fraction of the images held out for testing (stratified by class).
TEST_SIZE = 0.2
#: ``random_state`` of the split.
SPLIT_SEED = 0


@dataclass(frozen=True)
class Digits:
    """A fixed train/test split of the digits.

    Attributes
    ----------
    x_train, x_test : ndarray, shape (n, 64), float64
        Flattened images: intensities in [0, 16], or {0, 1} when binarised.
    y_train, y_test : ndarray, shape (n,), int64
        Class labels 0--9.
    binarized : bool
        Whether the pixels were thresholded at :data:`BINARIZE_THRESHOLD`.
    """

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    binarized: bool

    image_shape = (8, 8)
    n_classes = 10

    def __post_init__(self):
        if not isinstance(self.binarized, (bool, np.bool_)):
            raise TypeError(f"binarized must be True or False, got {self.binarized!r}")
        for x, y, split in ((self.x_train, self.y_train, "train"), (self.x_test, self.y_test, "test")):
            if np.ndim(x) != 2 or np.shape(x)[1] != 64 or np.ndim(y) != 1:
                raise ValueError(f"x_{split} must have shape (n, 64) and y_{split} shape (n,), "
                                 f"got {np.shape(x)} and {np.shape(y)}")
            if len(x) != len(y):
                raise ValueError(f"x_{split} has {len(x)} rows but y_{split} has {len(y)} labels")

    def __repr__(self) -> str:
        kind = "binarised" if self.binarized else "raw"
        return f"Digits({kind}: {len(self.y_train)} train / {len(self.y_test)} test images of 8x8)"


@lru_cache(maxsize=2)
def _split():
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sk_load_digits()
    return train_test_split(
        bunch.data.astype(np.float64),
        bunch.target.astype(np.int64),
        test_size=TEST_SIZE,
        random_state=SPLIT_SEED,
        stratify=bunch.target,
    )


def load_digits(*, binarize: bool = False) -> Digits:
    """The digits with the book's fixed, stratified 80/20 train/test split.

    Parameters
    ----------
    binarize : bool, default False
        Threshold every pixel at :data:`BINARIZE_THRESHOLD` (``x >= 8`` becomes 1),
        for the Bernoulli models of chapters 3 and 4.

    Returns
    -------
    Digits
        Copies of the arrays (callers may modify them freely).

    Examples
    --------
    >>> d = load_digits(binarize=True)
    >>> d
    Digits(binarised: 1437 train / 360 test images of 8x8)
    >>> sorted(set(d.x_train.ravel().tolist()))
    [0.0, 1.0]
    """
    if not isinstance(binarize, bool):
        raise TypeError(f"binarize must be True or False, got {binarize!r}")
    x_train, x_test, y_train, y_test = (a.copy() for a in _split())
    if binarize:
        x_train = (x_train >= BINARIZE_THRESHOLD).astype(np.float64)
        x_test = (x_test >= BINARIZE_THRESHOLD).astype(np.float64)
    return Digits(x_train, x_test, y_train, y_test, binarize)

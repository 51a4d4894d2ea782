"""klbook: the helper package of the executable textbook *Why KL divergence is everywhere*.

The reusable, tested mathematics behind the chapters, split by topic:

* :mod:`klbook.divergences` -- entropy, cross-entropy, KL, Jensen--Shannon, mutual information;
* :mod:`klbook.gaussian` -- closed-form KL between (multivariate) normal distributions;
* :mod:`klbook.data` -- the digits images with the book's fixed train/test split;
* :mod:`klbook.estimators` -- estimating KL from samples (Monte Carlo, histogram, k-NN, classifier);
* :mod:`klbook.coding` -- Huffman codes: KL as the cost in bits of the wrong code;
* :mod:`klbook.plotting` -- the book's figure style and label checks;
* :mod:`klbook.notebook` -- seeds, printing and progress bars for the chapter notebooks.

Everything is in nats unless a ``base`` is given; bad input raises ``ValueError``
or ``TypeError`` naming the argument, never a silent ``nan``.
"""

from .coding import block_distribution, decode, encode, expected_length, huffman_code
from .data import Digits, load_digits
from .divergences import cross_entropy, entropy, js_divergence, kl_divergence, mutual_information
from .estimators import (
    MonteCarloEstimate,
    classifier_kl_divergence,
    histogram_kl_divergence,
    kl_monte_carlo,
    kl_per_sample,
    knn_kl_divergence,
)
from .gaussian import kl_mvn, kl_normal
from .notebook import get_device, progress, setup_notebook
from .plotting import PALETTE, set_style, show

__version__ = "0.1.0"

__all__ = [
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "mutual_information",
    "kl_normal",
    "kl_mvn",
    "MonteCarloEstimate",
    "kl_per_sample",
    "kl_monte_carlo",
    "histogram_kl_divergence",
    "knn_kl_divergence",
    "classifier_kl_divergence",
    "huffman_code",
    "encode",
    "decode",
    "expected_length",
    "block_distribution",
    "Digits",
    "load_digits",
    "setup_notebook",
    "progress",
    "get_device",
    "PALETTE",
    "set_style",
    "show",
]

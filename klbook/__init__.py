"""klbook: the helper package of the executable textbook *Why KL divergence is everywhere*.

The reusable, tested mathematics behind the chapters, one module per topic:

* :mod:`klbook.divergences` -- entropy, cross-entropy, KL, Jensen--Shannon, mutual information;
* :mod:`klbook.gaussian` -- closed-form KL between (multivariate) normal distributions;
* :mod:`klbook.coding` -- Huffman codes: KL as the cost in bits of the wrong code;
* :mod:`klbook.data` -- the digits images with the book's fixed train/test split;
* :mod:`klbook.classification` -- stable (log-)softmax, label smoothing, calibration, distillation, a small trainer (chapter 2);
* :mod:`klbook.mle` -- maximum likelihood: EM for Bernoulli mixtures, KL by quadrature (chapter 3);
* :mod:`klbook.vi` -- variational inference on conjugate models (chapter 4);
* :mod:`klbook.vae` -- variational autoencoder, its training loop and the IWAE bound (chapter 4);
* :mod:`klbook.rl` -- policy optimisation (chapter 5), one module per idea:
  ``rl.gae`` (advantages), ``rl.kl`` (KL between policies), ``rl.rollout`` (network,
  environments, rollouts), ``rl.training`` (histories), ``rl.ppo`` and ``rl.trpo``;
* :mod:`klbook.fdiv` -- f-divergences and f-GANs (chapter 6): ``fdiv.generators``,
  ``fdiv.divergence`` (the mathematics), ``fdiv.log_ratio`` (a classifier as a density
  ratio) and ``fdiv.gan`` (training);
* :mod:`klbook.information` -- mutual information estimators and the information bottleneck (chapter 7);
* :mod:`klbook.estimators` -- estimating KL from samples: Monte Carlo, histogram, k-NN, classifier (chapter 8);
* ``klbook.BatchedMLP`` -- many small MLPs of one shape trained together as one batched network;
* :mod:`klbook.plotting` -- the book's figure style and label checks;
* ``klbook.load_record`` -- recorded benchmark results (``klbook/records/``) that chapters quote;
* :mod:`klbook.notebook` -- seeds, printing, devices and progress bars for the chapter notebooks.

Everything is in nats unless a ``base`` is given; bad input raises ``ValueError``
or ``TypeError`` naming the argument, never a silent ``nan``. A probability vector must
sum to 1 within 1e-6 (float64), ``4 sqrt(n) eps`` for lower precision but at most 1e-3
(4e-3 in float16); one accepted within that tolerance is divided by its sum.
``tests/test_contract.py`` holds the contract as a table, one row per public name and
kind of bad input.
"""

from .classification import (
    distillation_loss,
    expected_calibration_error,
    log_softmax,
    make_mlp,
    one_hot,
    reliability_bins,
    smooth_labels,
    soft_target_kl,
    softmax,
    train_classifier,
)
from .coding import block_distribution, decode, encode, expected_length, huffman_code
from .data import Digits, load_digits
from .divergences import cross_entropy, entropy, js_divergence, kl_divergence, mutual_information
from .estimators import (
    classifier_kl_divergence,
    histogram_kl_divergence,
    kl_monte_carlo,
    kl_per_sample,
    knn_kl_divergence,
    MonteCarloEstimate,
)
from .fdiv import (
    f_divergence,
    f_generator,
    F_GENERATORS,
    fgan_objective,
    FGANResult,
    FGenerator,
    fit_log_ratio,
    mode_coverage,
    ring_of_gaussians,
    train_fgan,
    variational_bound,
)
from .gaussian import kl_mvn, kl_normal
from .information import (
    dv_lower_bound,
    gaussian_cell_probabilities,
    gaussian_mutual_information,
    IBResult,
    infonce_lower_bound,
    information_bottleneck,
    information_curve,
    maximal_correlation,
    mine_loss,
    nwj_lower_bound,
)
from .mle import BernoulliMixture, fit_bernoulli_mixture, kl_quad
from .notebook import get_device, progress, setup_notebook
from .plotting import PALETTE, set_style, show
from ._records import load_record
from ._batched import BatchedMLP
from .rl import (
    backtracking_line_search,
    categorical_kl,
    compute_gae,
    conjugate_gradient,
    evaluate_policy,
    fisher_vector_product,
    kl_estimators,
    RolloutCollector,
    steps_to_solve,
    train_ppo,
    train_trpo,
    TrainingHistory,
)
from .vae import active_units, iwae_bound, kl_to_standard_normal, train_vae, VAE, VAEFit
from .vi import (
    beta_bernoulli_elbo,
    beta_bernoulli_log_evidence,
    fit_gaussian_vi,
    importance_sampling,
    kl_beta,
)

__version__ = "0.1.0"

__all__ = [
    # divergences
    "cross_entropy",
    "entropy",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    # gaussian
    "kl_mvn",
    "kl_normal",
    # coding
    "block_distribution",
    "decode",
    "encode",
    "expected_length",
    "huffman_code",
    # data
    "Digits",
    "load_digits",
    # classification
    "distillation_loss",
    "expected_calibration_error",
    "log_softmax",
    "make_mlp",
    "one_hot",
    "reliability_bins",
    "smooth_labels",
    "soft_target_kl",
    "softmax",
    "train_classifier",
    # mle
    "BernoulliMixture",
    "fit_bernoulli_mixture",
    "kl_quad",
    # vi
    "beta_bernoulli_elbo",
    "beta_bernoulli_log_evidence",
    "fit_gaussian_vi",
    "importance_sampling",
    "kl_beta",
    # vae
    "active_units",
    "iwae_bound",
    "kl_to_standard_normal",
    "train_vae",
    "VAE",
    "VAEFit",
    # rl
    "backtracking_line_search",
    "categorical_kl",
    "compute_gae",
    "conjugate_gradient",
    "evaluate_policy",
    "fisher_vector_product",
    "kl_estimators",
    "RolloutCollector",
    "steps_to_solve",
    "train_ppo",
    "train_trpo",
    "TrainingHistory",
    # fdiv
    "f_divergence",
    "f_generator",
    "F_GENERATORS",
    "fgan_objective",
    "FGANResult",
    "FGenerator",
    "fit_log_ratio",
    "mode_coverage",
    "ring_of_gaussians",
    "train_fgan",
    "variational_bound",
    # information
    "dv_lower_bound",
    "gaussian_cell_probabilities",
    "gaussian_mutual_information",
    "IBResult",
    "infonce_lower_bound",
    "information_bottleneck",
    "information_curve",
    "maximal_correlation",
    "mine_loss",
    "nwj_lower_bound",
    # estimators
    "classifier_kl_divergence",
    "histogram_kl_divergence",
    "kl_monte_carlo",
    "kl_per_sample",
    "knn_kl_divergence",
    "MonteCarloEstimate",
    # batched networks
    "BatchedMLP",
    # plotting
    "PALETTE",
    "set_style",
    "show",
    # notebook
    "get_device",
    "load_record",
    "progress",
    "setup_notebook",
]

r"""The f-divergence family, its variational (Fenchel-dual) form, and small f-GANs.

For a convex generator :math:`f:(0,\infty)\to\mathbb R` with :math:`f(1)=0`,

.. math::

    D_f(P\|Q) = \sum_x Q(x)\, f\!\left(\frac{P(x)}{Q(x)}\right) \ge 0 ,

with the conventions :math:`0\cdot f(0/0) = 0`, :math:`Q(x)\,f(0) = Q(x)\lim_{t\to0^+}f(t)`
where :math:`P(x)=0`, and :math:`0\cdot f(P(x)/0) = P(x)\lim_{t\to\infty} f(t)/t` where
:math:`Q(x)=0`. The last limit decides what mismatched supports cost: it is infinite
for KL and Pearson :math:`\chi^2` and finite for Jensen--Shannon, total variation and
squared Hellinger.

The variational form (Nguyen, Wainwright & Jordan 2010; Nowozin, Cseke & Tomioka 2016)

.. math::

    D_f(P\|Q) \;\ge\; \mathbb E_P[T(x)] - \mathbb E_Q[f^*(T(x))] ,\qquad
    f^*(u) = \sup_t\, \{ut - f(t)\},

holds for every critic :math:`T` and is tight at :math:`T^*(x) = f'(P(x)/Q(x))`. It is
what an f-GAN's critic maximises and its generator minimises.

Contents (one module per idea)
------------------------------
* :data:`F_GENERATORS` and :func:`f_generator` -- the named generators ``"kl"``,
  ``"reverse_kl"``, ``"js"``, ``"pearson"``, ``"hellinger"``, ``"tv"`` with their
  limits, derivatives (optimal critics), conjugates and f-GAN output activations;
* :func:`f_divergence` -- :math:`D_f` of discrete distributions, named or any convex ``f``;
* :func:`variational_bound` -- the Fenchel lower bound for given critic values;
* :func:`fgan_objective` -- the same bound from raw critic outputs, as an f-GAN trains on it;
* :func:`fit_log_ratio` -- a logistic-regression classifier as a density-ratio estimator
  (:func:`klbook.classifier_kl_divergence` is the cross-fitted KL estimate built the same way);
* :func:`ring_of_gaussians`, :func:`mode_coverage`, :func:`train_fgan` -- the
  8-Gaussians benchmark and a batched, device-agnostic f-GAN trainer (torch).

The modules: ``generators`` (the named f), ``divergence`` (:math:`D_f` and its bound),
``log_ratio`` (the classifier) and ``gan`` (the ring and the trainer).

Everything is in nats. torch is imported only by the f-GAN functions (and by
:meth:`FGenerator.conjugate` / :meth:`FGenerator.activation` when they are given tensors).
"""

from .divergence import _slope_at_infinity, f_divergence, fgan_objective, variational_bound
from .gan import FGANResult, mode_coverage, ring_of_gaussians, train_fgan
from .generators import F_GENERATORS, f_generator, FGenerator
from .log_ratio import fit_log_ratio, LogRatio

__all__ = [
    "F_GENERATORS",
    "FGenerator",
    "f_generator",
    "f_divergence",
    "variational_bound",
    "fgan_objective",
    "LogRatio",
    "fit_log_ratio",
    "ring_of_gaussians",
    "mode_coverage",
    "FGANResult",
    "train_fgan",
]


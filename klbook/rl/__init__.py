r"""KL trust regions for policy optimisation: GAE, TRPO and PPO on discrete-action environments.

The pieces, each usable on its own and tested in ``tests/test_rl.py``, one module per idea:

* :func:`compute_gae` -- generalised advantage estimation, with episodes that
  *terminate* (no future value) told apart from episodes *truncated* by a time
  limit (the value of the state reached is bootstrapped);
* :class:`ActorCritic` and :class:`RolloutCollector` -- a small tanh MLP policy
  and value function, and batched rollouts on a vectorised gymnasium
  environment, seeded end to end;
* :func:`categorical_kl` and :func:`kl_estimators` -- the exact KL between
  categorical policies, and the sample estimators :math:`k_1` and :math:`k_3`;
* :func:`conjugate_gradient`, :func:`fisher_vector_product` and
  :func:`backtracking_line_search` -- the three parts of a TRPO step, and
  :func:`surrogate_and_kl`, the two numbers its line search tests;
* :func:`train_ppo` and :func:`train_trpo` -- complete training loops that
  return a :class:`TrainingHistory` (per-episode returns, per-update KL and
  clip statistics).

Every KL recorded here is :math:`\overline{D}_{KL}(\pi_{old}\,\|\,\pi_{new})
= \frac1B\sum_{s\in\text{batch}} D_{KL}(\pi_{old}(\cdot|s)\,\|\,\pi_{new}(\cdot|s))`,
in nats: the direction TRPO constrains and PPO's penalty variant penalises.

Determinism: given a ``seed``, the environment resets, the action sampling, the
network initialisation and the minibatch order are all seeded, and the
training loops run torch on one thread, so a run repeats bit for bit on a given
machine.
"""

from .gae import compute_gae
from .kl import categorical_kl, kl_estimators
from .ppo import train_ppo
from .rollout import ActorCritic, evaluate_policy, make_vector_env, Rollout, RolloutCollector
from .training import SOLVE_THRESHOLD, SOLVE_WINDOW, steps_to_solve, TrainingHistory
from .trpo import (
    backtracking_line_search,
    conjugate_gradient,
    fisher_vector_product,
    flat_params,
    LineSearchResult,
    set_flat_params,
    surrogate_and_kl,
    train_trpo,
)


__all__ = [
    "compute_gae",
    "categorical_kl",
    "kl_estimators",
    "conjugate_gradient",
    "fisher_vector_product",
    "backtracking_line_search",
    "LineSearchResult",
    "surrogate_and_kl",
    "ActorCritic",
    "RolloutCollector",
    "Rollout",
    "TrainingHistory",
    "steps_to_solve",
    "train_ppo",
    "train_trpo",
    "evaluate_policy",
    "make_vector_env",
    "flat_params",
    "set_flat_params",
]


r"""What a training run records (:class:`TrainingHistory`, :func:`steps_to_solve`) and the set-up PPO and TRPO share."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_float_array, finite
from ._checks import _int, _real
from .kl import categorical_kl, kl_estimators
from .rollout import ActorCritic, Rollout, RolloutCollector

__all__ = ["TrainingHistory", "steps_to_solve", "SOLVE_THRESHOLD", "SOLVE_WINDOW"]

SOLVE_THRESHOLD = 475.0
SOLVE_WINDOW = 20


@dataclass
class TrainingHistory:
    r"""What :func:`train_ppo` and :func:`train_trpo` return.

    Attributes
    ----------
    algorithm : str
        ``"ppo-clip"``, ``"ppo-kl"`` or ``"trpo"``.
    seed : int
    episode_returns : ndarray
        Undiscounted return of every finished training episode, in order.
    episode_end_steps : ndarray of int
        Environment steps (over all environments) when each episode ended.
    update_steps : ndarray of int
        Environment steps collected before each policy update.
    kl_exact, kl_k1, kl_k3 : ndarray
        Per update, on the update's batch: the exact mean
        :math:`D_{KL}(\pi_{old}\|\pi_{new})` over the batch states, and its
        :math:`k_1`, :math:`k_3` estimates from the batch actions (nats).
    clip_fraction : ndarray
        Per update: the fraction of batch samples whose ratio
        :math:`\pi_{new}/\pi_{old}` ends outside :math:`[1-\epsilon, 1+\epsilon]`.
    extra : dict of ndarray
        Algorithm-specific per-update series (``"beta"``, ``"lr"``,
        ``"step_fraction"``, ...).
    steps_to_solve : int or None
        See :func:`steps_to_solve`.
    wall_time_s : float
        Training time in seconds (not reproducible; not for printed outputs).
    model : ActorCritic
        The trained networks.
    """

    algorithm: str
    seed: int
    episode_returns: np.ndarray
    episode_end_steps: np.ndarray
    update_steps: np.ndarray
    kl_exact: np.ndarray
    kl_k1: np.ndarray
    kl_k3: np.ndarray
    clip_fraction: np.ndarray
    extra: dict = field(default_factory=dict)
    steps_to_solve: int | None = None
    wall_time_s: float = 0.0
    model: object = None

    def running_mean(self, window: int = SOLVE_WINDOW) -> np.ndarray:
        """Mean return of the last ``window`` episodes at each episode end (fewer at the start)."""
        return _running_mean(self.episode_returns, _int(window, "window"))

    def final_mean(self, window: int = SOLVE_WINDOW) -> float:
        """Mean return of the last ``window`` training episodes (all of them if fewer finished)."""
        window = _int(window, "window")
        if len(self.episode_returns) == 0:
            raise ValueError("no training episode finished: there is no return to average")
        return float(np.mean(self.episode_returns[-window:]))


def _running_mean(returns: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each position (fewer at the start), from cumulative sums.

    Returns so large that their sum overflows are scaled down first (by a power of two, exactly).
    """
    r = np.asarray(returns, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        c = np.cumsum(np.concatenate([[0.0], r]))
    k = 0
    if not np.isfinite(c).all():
        k = int(np.frexp(np.abs(r).max())[1]) + int(np.ceil(np.log2(max(len(r), 1))))
        c = np.cumsum(np.concatenate([[0.0], np.ldexp(r, -k)]))
    idx = np.arange(1, len(r) + 1)
    lo = np.maximum(idx - window, 0)
    with np.errstate(over="ignore"):
        return np.ldexp((c[idx] - c[lo]) / (idx - lo), k)


def steps_to_solve(episode_returns, episode_end_steps, *, threshold: float = SOLVE_THRESHOLD,
                   window: int = SOLVE_WINDOW):
    """Environment steps until the mean of the last ``window`` episode returns first reaches ``threshold``.

    For CartPole-v1 the conventional criterion is a mean of at least 475 over
    the last 20 (some use 100) episodes. Returns ``None`` if it is never met.

    Examples
    --------
    >>> steps_to_solve([10, 500, 500], [10, 510, 1010], threshold=475, window=2)
    1010
    """
    window = _int(window, "window")
    threshold = _real(threshold, "threshold")
    r = finite(episode_returns, "episode_returns")
    s = as_float_array(episode_end_steps, "episode_end_steps")
    if not np.isfinite(s).all() or (s != np.round(s)).any() or (s < 0).any():
        raise ValueError("episode_end_steps must hold non-negative integer step counts")
    if r.shape != s.shape or r.ndim != 1:
        raise ValueError("episode_returns and episode_end_steps must be 1-D and of equal length")
    if len(r) < window:
        return None
    means = _running_mean(r, window)[window - 1:]
    hit = np.flatnonzero(means >= threshold - 1e-9)
    return int(s[hit[0] + window - 1]) if hit.size else None



def _batch_kl_stats(model, batch: Rollout, clip: float):
    import torch

    with torch.no_grad():
        logits, _ = model(batch.obs)
        logp = torch.log_softmax(logits, -1).gather(-1, batch.actions[:, None]).squeeze(-1)
        exact = categorical_kl(batch.logits, logits).mean().item()
        est = kl_estimators(batch.logp, logp)
        ratio = torch.exp(logp - batch.logp)
        clipped = ((ratio - 1).abs() > clip).double().mean().item()
    return exact, est["k1"], est["k3"], clipped


def _start_run(env_id, total_steps, seed, n_envs, n_steps, gamma, lam, hidden, device):
    """The set-up shared by PPO and TRPO: seeded envs and model, minibatch shuffler, batch counts.

    Must be called inside ``_one_thread()``. The order of the seeded calls is part of each
    run's determinism: torch's seed, then the environments, then the model's initial weights.
    """
    import torch

    torch.manual_seed(seed)
    collector = RolloutCollector(env_id, n_envs=n_envs, seed=seed, gamma=gamma, lam=lam, device=device)
    model = ActorCritic(collector.obs_dim, collector.n_actions, hidden).to(collector.device)
    shuffle = torch.Generator().manual_seed(seed + 10_007)
    batch_size = n_envs * n_steps
    return collector, model, shuffle, batch_size, math.ceil(total_steps / batch_size)


def _check_common(env_id, total_steps, seed, n_envs, n_steps, gamma, lam):
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a string, got {type(env_id).__name__}")
    n_envs, n_steps = _int(n_envs, "n_envs"), _int(n_steps, "n_steps")
    if n_envs > 4096 or n_envs * n_steps > 10**7:
        raise ValueError(f"n_envs * n_steps = {n_envs} * {n_steps} transitions per batch is too many "
                         f"(at most 4096 environments and 10**7 transitions)")
    return (_int(total_steps, "total_steps"), _int(seed, "seed", minimum=0), n_envs, n_steps,
            _real(gamma, "gamma", low=0.0, high=1.0), _real(lam, "lam", low=0.0, high=1.0))



def _solved(collector) -> bool:
    """Whether the run has met the :func:`steps_to_solve` criterion (for ``stop_when_solved``)."""
    return steps_to_solve(collector.episode_returns, collector.episode_end_steps) is not None


def _history(name, seed, collector, rec, model, seconds, extra_keys):
    returns = np.asarray(collector.episode_returns)
    ends = np.asarray(collector.episode_end_steps, dtype=np.int64)
    return TrainingHistory(
        algorithm=name,
        seed=seed,
        episode_returns=returns,
        episode_end_steps=ends,
        update_steps=np.asarray(rec["steps"], dtype=np.int64),
        kl_exact=np.asarray(rec["kl"]),
        kl_k1=np.asarray(rec["k1"]),
        kl_k3=np.asarray(rec["k3"]),
        clip_fraction=np.asarray(rec["clip"]),
        extra={k: np.asarray(rec[k]) for k in extra_keys},
        steps_to_solve=steps_to_solve(returns, ends),
        wall_time_s=seconds,
        model=model,
    )

r"""The actor-critic network, vectorised environments, batched rollouts with GAE, and policy evaluation."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._validation import integer
from ._checks import _int, _one_thread, _real
from .gae import compute_gae

__all__ = ["ActorCritic", "make_vector_env", "Rollout", "RolloutCollector", "evaluate_policy"]


def _mlp(sizes, out_gain: float):
    layers = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        last = i == len(sizes) - 2
        nn.init.orthogonal_(lin.weight, gain=out_gain if last else math.sqrt(2))
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if not last:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers).to(torch.float32)


class ActorCritic(nn.Module):
    r"""Separate tanh MLPs for the policy logits and the state value.

    Orthogonal initialisation (gain :math:`\sqrt2` in the hidden layers,
    0.01 on the policy head so the initial policy is almost uniform, 1 on
    the value head), as in the reference PPO implementations.

    Parameters
    ----------
    obs_dim, n_actions : int
    hidden : tuple of int, default (64, 64)
    """

    def __init__(self, obs_dim: int, n_actions: int, hidden=(64, 64)):
        super().__init__()
        obs_dim = _int(obs_dim, "obs_dim")
        n_actions = _int(n_actions, "n_actions", minimum=2)
        if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__iter__"):
            raise TypeError(f"hidden must be a sequence of layer widths, got {type(hidden).__name__}")
        hidden = tuple(integer(h, "hidden", minimum=1, maximum=10**5) for h in hidden)
        self.actor = _mlp((obs_dim, *hidden, n_actions), out_gain=0.01)
        self.critic = _mlp((obs_dim, *hidden, 1), out_gain=1.0)

    def forward(self, obs):
        """Return ``(logits, value)`` for a batch of observations."""
        return self.actor(obs), self.critic(obs).squeeze(-1)


def make_vector_env(env_id: str, n_envs: int):
    """``n_envs`` copies of a gymnasium environment, stepped in lockstep.

    Uses :class:`gymnasium.vector.SyncVectorEnv` with *same-step* autoreset:
    when an episode ends, ``step`` returns the first observation of the next
    episode and puts the true final observation in ``info["final_obs"]``, so
    every step is a real environment step and truncated episodes can be
    bootstrapped from their final state.
    """
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a string, got {type(env_id).__name__}")
    n_envs = integer(n_envs, "n_envs", minimum=1, maximum=4096)
    env = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode="sync",
                       vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})
    if not isinstance(env.single_action_space, gym.spaces.Discrete):
        env.close()
        raise ValueError(f"env_id {env_id!r} must have a discrete action space")
    return env


@dataclass
class Rollout:
    """A batch of ``n_steps x n_envs`` transitions, flattened to ``B = n_steps * n_envs`` rows.

    Attributes (torch tensors on the model's device): ``obs (B, obs_dim)``,
    ``actions (B,)``, ``logits (B, n_actions)`` and ``logp (B,)`` of the
    acting (old) policy, ``values (B,)``, ``advantages (B,)``, ``returns (B,)``.
    """

    obs: object
    actions: object
    logits: object
    logp: object
    values: object
    advantages: object
    returns: object

    def __len__(self) -> int:
        return int(self.actions.shape[0])


class RolloutCollector:
    """Collect batches of experience from a vectorised environment, seeded end to end.

    Parameters
    ----------
    env_id : str
        A gymnasium environment with a discrete action space, e.g. ``"CartPole-v1"``.
    n_envs : int
        Environments stepped in parallel.
    seed : int
        Seeds the environment resets (env ``i`` gets ``seed + i``) and the
        action sampler.
    gamma, lam : float
        Discount and GAE parameter for :func:`compute_gae`.

    Attributes
    ----------
    steps : int
        Environment steps taken so far (summed over the environments).
    episode_returns, episode_end_steps : list
        The return of every finished episode and the value of ``steps`` when it ended.
    """

    def __init__(self, env_id: str, *, n_envs: int, seed: int, gamma: float = 0.99,
                 lam: float = 0.95, device=None):
        import torch

        from ..notebook import get_device

        self.seed = _int(seed, "seed", minimum=0)
        self.gamma = _real(gamma, "gamma", low=0.0, high=1.0)
        self.lam = _real(lam, "lam", low=0.0, high=1.0)
        self.env = make_vector_env(env_id, n_envs)
        self.n_envs = self.env.num_envs
        self.obs_dim = int(np.prod(self.env.single_observation_space.shape))
        self.n_actions = int(self.env.single_action_space.n)
        self.device = get_device(device)
        self.generator = torch.Generator().manual_seed(self.seed)
        obs, _ = self.env.reset(seed=self.seed)
        self._obs = obs.reshape(self.n_envs, -1).astype(np.float32)
        self._ep_return = np.zeros(self.n_envs)
        self.steps = 0
        self.episode_returns: list[float] = []
        self.episode_end_steps: list[int] = []

    def close(self) -> None:
        self.env.close()

    def _tensor(self, x):
        import torch

        return torch.as_tensor(x, dtype=torch.float32, device=self.device)

    def collect(self, model, n_steps: int) -> Rollout:
        """Run ``model`` for ``n_steps`` steps in every environment; return the batch with GAE."""
        import torch

        n_steps = _int(n_steps, "n_steps")
        T, N = n_steps, self.n_envs
        obs_buf = np.zeros((T, N, self.obs_dim), dtype=np.float32)
        act_buf = np.zeros((T, N), dtype=np.int64)
        logit_buf = torch.zeros((T, N, self.n_actions))
        val_buf = np.zeros((T, N))
        next_val = np.zeros((T, N))
        rew_buf = np.zeros((T, N))
        term_buf = np.zeros((T, N), dtype=bool)
        trunc_buf = np.zeros((T, N), dtype=bool)
        with torch.no_grad():
            for t in range(T):
                obs_buf[t] = self._obs
                logits, value = model(self._tensor(self._obs))
                logits = logits.cpu()
                probs = torch.softmax(logits, dim=-1)
                action = torch.multinomial(probs, 1, generator=self.generator).squeeze(-1)
                act_buf[t] = action.numpy()
                logit_buf[t] = logits
                val_buf[t] = value.cpu().double().numpy()
                obs, reward, term, trunc, info = self.env.step(act_buf[t])
                self.steps += N
                rew_buf[t], term_buf[t], trunc_buf[t] = reward, term, trunc
                self._ep_return += reward
                done = term | trunc
                if trunc.any():  # bootstrap from the true final state of time-limited episodes
                    final = np.stack([info["final_obs"][i] for i in np.flatnonzero(trunc)])
                    next_val[t, trunc] = model(self._tensor(final.reshape(len(final), -1)))[1].cpu().double().numpy()
                for i in np.flatnonzero(done):
                    self.episode_returns.append(float(self._ep_return[i]))
                    self.episode_end_steps.append(self.steps)
                    self._ep_return[i] = 0.0
                self._obs = obs.reshape(N, -1).astype(np.float32)
            last_value = model(self._tensor(self._obs))[1].cpu().double().numpy()
        # V(s'_t) is V(s_{t+1}) unless the episode ended at t (then: final state, or 0 if terminated)
        nv = np.concatenate([val_buf[1:], last_value[None]], axis=0)
        done = term_buf | trunc_buf
        next_val = np.where(trunc_buf & ~term_buf, next_val, np.where(done, 0.0, nv))
        adv, ret = compute_gae(rew_buf, val_buf, next_val, term_buf, trunc_buf,
                               gamma=self.gamma, lam=self.lam)
        logits = logit_buf.reshape(T * N, -1).to(self.device)
        actions = torch.as_tensor(act_buf.reshape(-1), device=self.device)
        logp = torch.log_softmax(logits, -1).gather(-1, actions[:, None]).squeeze(-1)
        return Rollout(
            obs=self._tensor(obs_buf.reshape(T * N, -1)),
            actions=actions,
            logits=logits,
            logp=logp,
            values=self._tensor(val_buf.reshape(-1)),
            advantages=self._tensor(adv.reshape(-1)),
            returns=self._tensor(ret.reshape(-1)),
        )



def evaluate_policy(model, env_id: str = "CartPole-v1", *, n_episodes: int = 16, seed: int = 0,
                    greedy: bool = False, device=None) -> np.ndarray:
    """Returns of ``n_episodes`` episodes (one per parallel environment) of a policy.

    Parameters
    ----------
    model : ActorCritic (or any module returning ``(logits, value)``)
    env_id : str
    n_episodes : int
        Episodes, run side by side; environment ``i`` is reset with ``seed + i``.
    seed : int
        Seeds the resets and the action sampling.
    greedy : bool, default False
        Take the most probable action instead of sampling.

    Returns
    -------
    ndarray, shape (n_episodes,)
        Undiscounted returns.
    """
    import torch

    from ..notebook import get_device

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module returning (logits, value), got {type(model).__name__}")
    n_episodes = _int(n_episodes, "n_episodes")
    seed = _int(seed, "seed", minimum=0)
    if not isinstance(greedy, (bool, np.bool_)):
        raise TypeError(f"greedy must be True or False, got {greedy!r}")
    device = get_device(device)
    env = make_vector_env(env_id, n_episodes)
    gen = torch.Generator().manual_seed(seed)
    obs, _ = env.reset(seed=seed)
    returns = np.zeros(n_episodes)
    running = np.ones(n_episodes, dtype=bool)
    with _one_thread(), torch.no_grad():
        while running.any():
            logits, _ = model(torch.as_tensor(obs.reshape(n_episodes, -1), dtype=torch.float32, device=device))
            logits = logits.cpu()
            if greedy:
                action = logits.argmax(-1)
            else:
                action = torch.multinomial(torch.softmax(logits, -1), 1, generator=gen).squeeze(-1)
            obs, reward, term, trunc, _ = env.step(action.numpy())
            returns += reward * running
            running &= ~(term | trunc)
    env.close()
    return returns

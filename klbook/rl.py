r"""KL trust regions for policy optimisation: GAE, TRPO and PPO on discrete-action environments.

The pieces, each usable on its own and tested in ``tests/test_rl.py``:

* :func:`compute_gae` -- generalised advantage estimation, with episodes that
  *terminate* (no future value) told apart from episodes *truncated* by a time
  limit (the value of the state reached is bootstrapped);
* :class:`ActorCritic` and :class:`RolloutCollector` -- a small tanh MLP policy
  and value function, and batched rollouts on a vectorised gymnasium
  environment, seeded end to end;
* :func:`categorical_kl` and :func:`kl_estimators` -- the exact KL between
  categorical policies, and the sample estimators :math:`k_1` and :math:`k_3`;
* :func:`conjugate_gradient`, :func:`fisher_vector_product` and
  :func:`backtracking_line_search` -- the three parts of a TRPO step;
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

from __future__ import annotations

import contextlib
import math
import numbers
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .estimators import kl_per_sample

__all__ = [
    "compute_gae",
    "categorical_kl",
    "kl_estimators",
    "conjugate_gradient",
    "fisher_vector_product",
    "backtracking_line_search",
    "LineSearchResult",
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

SOLVE_THRESHOLD = 475.0
SOLVE_WINDOW = 20


# --------------------------------------------------------------------------- validation helpers
def _int(x, name: str, *, minimum: int = 1) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(x).__name__}")
    if x < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {x}")
    return int(x)


def _real(x, name: str, *, low: float | None = None, high: float | None = None,
          low_open: bool = False, high_open: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    if low is not None and (x < low or (low_open and x == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {x}")
    if high is not None and (x > high or (high_open and x == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {x}")
    return x


# --------------------------------------------------------------------------- GAE
def compute_gae(rewards, values, next_values, terminated, truncated, *, gamma=0.99, lam=0.95):
    r"""Generalised advantage estimates :math:`\hat A_t` and value targets (Schulman et al., 2016).

    With the one-step TD error

    .. math::

        \delta_t = r_t + \gamma\,(1 - \text{term}_t)\,V(s'_t) - V(s_t),

    where :math:`s'_t` is the state reached by step :math:`t` (the *final*
    state when the episode ends there), the advantage is the discounted sum

    .. math::

        \hat A_t = \delta_t + \gamma\lambda\,(1 - \text{done}_t)\,\hat A_{t+1},
        \qquad \text{done}_t = \text{term}_t \lor \text{trunc}_t ,

    with :math:`\hat A_T = \delta_T` at the end of the batch. A *terminated*
    episode has no future reward, so :math:`V(s'_t)` is dropped; a *truncated*
    one (a time limit) would have gone on, so :math:`V(s'_t)` is bootstrapped
    -- treating a time limit as a termination is a classic bug that biases the
    value of late states. ``lam=0`` gives the TD(0) advantage
    :math:`\delta_t`, ``lam=1`` the Monte Carlo return minus the baseline.

    Parameters
    ----------
    rewards, values, next_values : array_like, shape (T,) or (T, n_envs)
        :math:`r_t`, :math:`V(s_t)` and :math:`V(s'_t)`; time runs along axis 0.
    terminated, truncated : array_like of bool, same shape
        Whether the episode terminated / was truncated at step :math:`t`.
    gamma : float in [0, 1]
        Discount factor.
    lam : float in [0, 1]
        The GAE :math:`\lambda`.

    Returns
    -------
    advantages, returns : ndarray, float64, same shape as ``rewards``
        :math:`\hat A_t` and the value targets :math:`\hat A_t + V(s_t)`.

    Raises
    ------
    ValueError
        If the shapes differ, are empty, or hold non-finite values, or
        ``gamma``/``lam`` lie outside [0, 1].

    Examples
    --------
    A three-step episode that terminates, :math:`V \equiv 0`, :math:`\gamma=\lambda=1`:
    the advantages are the rewards-to-go.

    >>> adv, ret = compute_gae([1, 1, 1], [0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0],
    ...                        gamma=1.0, lam=1.0)
    >>> adv.tolist()
    [3.0, 2.0, 1.0]
    """
    gamma = _real(gamma, "gamma", low=0.0, high=1.0)
    lam = _real(lam, "lam", low=0.0, high=1.0)
    arrays = {}
    for name, x in (("rewards", rewards), ("values", values), ("next_values", next_values)):
        arr = np.asarray(x, dtype=np.float64)
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        arrays[name] = arr
    for name, x in (("terminated", terminated), ("truncated", truncated)):
        arrays[name] = np.asarray(x).astype(bool)
    shape = arrays["rewards"].shape
    if len(shape) not in (1, 2) or shape[0] == 0:
        raise ValueError(f"rewards must have shape (T,) or (T, n_envs) with T >= 1, got {shape}")
    for name, arr in arrays.items():
        if arr.shape != shape:
            raise ValueError(f"{name} has shape {arr.shape}, expected {shape} like rewards")
    r, v, nv = arrays["rewards"], arrays["values"], arrays["next_values"]
    term = arrays["terminated"]
    done = term | arrays["truncated"]
    deltas = r + gamma * np.where(term, 0.0, nv) - v
    adv = np.zeros_like(deltas)
    last = np.zeros_like(deltas[0])
    for t in range(shape[0] - 1, -1, -1):
        last = deltas[t] + gamma * lam * np.where(done[t], 0.0, last)
        adv[t] = last
    return adv, adv + v


# --------------------------------------------------------------------------- KL between categorical policies
def categorical_kl(logits_p, logits_q):
    r"""Exact :math:`D_{KL}(\pi_p\,\|\,\pi_q)` between categorical distributions given by logits.

    .. math::

        D_{KL}(p\,\|\,q) = \sum_a p(a)\,\bigl(\log p(a) - \log q(a)\bigr),
        \qquad p = \operatorname{softmax}(\text{logits}_p).

    Parameters
    ----------
    logits_p, logits_q : torch.Tensor, shape (..., n_actions)
        Unnormalised log-probabilities; the leading (batch) shapes broadcast.

    Returns
    -------
    torch.Tensor, shape (...)
        One KL per batch element, in nats; differentiable in both arguments.
        A logit of ``-inf`` is an action with probability 0: it adds nothing
        where ``p`` is 0 (``0 log 0 = 0``), and makes the KL ``inf`` where only
        ``q`` is 0.

    Raises
    ------
    TypeError
        If an argument is not a floating-point tensor.
    ValueError
        If the numbers of actions differ.

    Examples
    --------
    >>> import torch
    >>> p = torch.log(torch.tensor([0.5, 0.5]))
    >>> q = torch.log(torch.tensor([0.9, 0.1]))
    >>> round(categorical_kl(p, q).item(), 4)  # 0.5 log(0.5/0.9) + 0.5 log(0.5/0.1)
    0.5108
    """
    import torch

    for name, x in (("logits_p", logits_p), ("logits_q", logits_q)):
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"{name} must be a floating-point torch.Tensor, got {type(x).__name__}")
    if logits_p.shape[-1] != logits_q.shape[-1]:
        raise ValueError(
            f"logits_p and logits_q have {logits_p.shape[-1]} and {logits_q.shape[-1]} actions"
        )
    logp = torch.log_softmax(logits_p, dim=-1)
    logq = torch.log_softmax(logits_q, dim=-1)
    p = logp.exp()
    # 0 log 0 = 0: actions that p rules out (logit -inf) contribute nothing, whatever q says
    support = p > 0
    zero = torch.zeros((), dtype=logp.dtype, device=logp.device)
    return (p * (torch.where(support, logp, zero) - torch.where(support, logq, zero))).sum(-1)


def kl_estimators(logp_old, logp_new):
    r"""Sample estimates of :math:`D_{KL}(\pi_{old}\,\|\,\pi_{new})` from actions drawn from :math:`\pi_{old}`.

    With :math:`\rho = \pi_{new}(a|s)/\pi_{old}(a|s)` for each sampled action
    (Schulman, 2020, "Approximating KL divergence"):

    * :math:`k_1 = -\log\rho` -- unbiased, high variance, often negative;
    * :math:`k_2 = \tfrac12(\log\rho)^2` -- biased, low variance;
    * :math:`k_3 = (\rho - 1) - \log\rho` -- unbiased (because
      :math:`\mathbb E_{old}[\rho] = 1`) and never negative.

    Parameters
    ----------
    logp_old, logp_new : array_like or torch.Tensor, same shape
        Log-probabilities of the *sampled* actions under the old and the new policy.

    Returns
    -------
    dict
        ``{"k1": float, "k2": float, "k3": float}``: the batch means, in nats.

    Raises
    ------
    ValueError
        If the shapes differ, are empty or hold non-finite values.

    Examples
    --------
    >>> est = kl_estimators([-0.7, -0.7], [-0.6, -0.8])
    >>> round(est["k1"], 6), round(est["k3"], 6)
    (0.0, 0.005004)
    """
    old = _as_numpy(logp_old, "logp_old")
    new = _as_numpy(logp_new, "logp_new")
    if old.shape != new.shape:
        raise ValueError(f"logp_old {old.shape} and logp_new {new.shape} must have the same shape")
    if old.size == 0:
        raise ValueError("logp_old is empty")
    # The per-sample estimators live in klbook.estimators (chapter 8); here P = old, Q = new.
    return {k: float(np.mean(kl_per_sample(old, new, estimator=k))) for k in ("k1", "k2", "k3")}


def _as_numpy(x, name: str) -> np.ndarray:
    try:
        import torch

        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().double().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency of this module's users
        pass
    arr = np.asarray(x, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


# --------------------------------------------------------------------------- TRPO building blocks
def conjugate_gradient(matvec: Callable, b, *, iters: int = 10, tol: float = 1e-10):
    r"""Solve :math:`A x = b` for a symmetric positive-definite :math:`A` given only :math:`v \mapsto Av`.

    The conjugate-gradient method (Hestenes & Stiefel) needs one product
    :math:`Av` per iteration and, in exact arithmetic, converges in at most
    :math:`n` iterations; TRPO runs about ten with :math:`A` the Fisher
    information matrix, which it never forms.

    Parameters
    ----------
    matvec : callable
        ``matvec(v)`` returns :math:`Av` (same type and shape as ``v``).
    b : torch.Tensor or ndarray, shape (n,)
        Right-hand side.
    iters : int, default 10
        Maximum number of iterations.
    tol : float, default 1e-10
        Stop when the squared residual norm :math:`\|b - Ax\|^2` falls below it.

    Returns
    -------
    x : same type as ``b``
        The approximate solution (zeros if ``b`` is zero).

    Raises
    ------
    ValueError
        If ``b`` is not a 1-D vector, ``iters < 1`` or ``tol < 0``.
    TypeError
        If ``matvec`` is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> x = conjugate_gradient(lambda v: A @ v, np.array([1.0, 2.0]))
    >>> np.round(x, 6).tolist()  # the exact solution is (1/11, 7/11)
    [0.090909, 0.636364]
    """
    if not callable(matvec):
        raise TypeError("matvec must be callable")
    iters = _int(iters, "iters")
    tol = _real(tol, "tol", low=0.0)
    if getattr(b, "ndim", None) != 1:
        raise ValueError(f"b must be a 1-D vector, got shape {getattr(b, 'shape', None)}")
    x = b * 0
    r = b.clone() if hasattr(b, "clone") else b.copy()
    p = r.clone() if hasattr(r, "clone") else r.copy()
    rr = float((r * r).sum())
    for _ in range(iters):
        if rr < tol:
            break
        ap = matvec(p)
        pap = float((p * ap).sum())
        if pap <= 0:  # not positive definite along p (or p == 0): stop with what we have
            break
        alpha = rr / pap
        x = x + alpha * p
        r = r - alpha * ap
        rr_new = float((r * r).sum())
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


def flat_params(module):
    """All parameters of a torch module as one detached flat vector."""
    import torch

    return torch.cat([p.detach().reshape(-1) for p in module.parameters()])


def set_flat_params(module, flat) -> None:
    """Copy a flat vector (as from :func:`flat_params`) into a module's parameters."""
    import torch

    n = sum(p.numel() for p in module.parameters())
    if flat.numel() != n:
        raise ValueError(f"flat has {flat.numel()} entries, the module has {n} parameters")
    i = 0
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(flat[i : i + p.numel()].view_as(p))
            i += p.numel()


def fisher_vector_product(logits_fn: Callable, params, v, *, damping: float = 0.0):
    r"""Fisher-vector product :math:`(F + c I)\,v` by differentiating the KL twice.

    At :math:`\theta = \theta_{old}`, the Hessian of the mean KL
    :math:`\overline{D}_{KL}(\pi_{\theta_{old}}\,\|\,\pi_\theta)` is the Fisher
    information matrix

    .. math::

        F = \mathbb E_{s}\,\mathbb E_{a\sim\pi_{\theta}}\bigl[\nabla_\theta\log\pi_\theta(a|s)\,
            \nabla_\theta\log\pi_\theta(a|s)^\top\bigr],

    so :math:`Fv = \nabla_\theta\bigl(\nabla_\theta \overline{D}_{KL}\cdot v\bigr)`:
    two backward passes, and :math:`F` (``n x n``) is never stored.

    Parameters
    ----------
    logits_fn : callable
        ``logits_fn()`` returns the policy logits (``(B, n_actions)``) on the
        batch states, as a differentiable function of ``params``.
    params : sequence of torch.Tensor
        The parameters :math:`\theta` (``requires_grad=True``), at :math:`\theta_{old}`.
    v : torch.Tensor, shape (n,)
        The vector, laid out like ``torch.cat([p.reshape(-1) for p in params])``.
    damping : float, default 0
        :math:`c \ge 0`; TRPO adds a little (``0.1``) for a better-conditioned solve.

    Returns
    -------
    torch.Tensor, shape (n,)
        :math:`(F + cI)v`, detached.

    Examples
    --------
    >>> import torch
    >>> theta = torch.zeros(2, requires_grad=True)  # a 2-action softmax, no state
    >>> fvp = fisher_vector_product(lambda: theta[None, :], [theta], torch.tensor([1.0, 0.0]))
    >>> fvp.tolist()  # F = diag(p) - p p^T with p = (1/2, 1/2)
    [0.25, -0.25]
    """
    import torch

    damping = _real(damping, "damping", low=0.0)
    params = list(params)
    logits = logits_fn()
    kl = categorical_kl(logits.detach(), logits).mean()
    grads = torch.autograd.grad(kl, params, create_graph=True)
    flat_grad = torch.cat([g.reshape(-1) for g in grads])
    if v.shape != flat_grad.shape:
        raise ValueError(f"v has shape {tuple(v.shape)}, expected {tuple(flat_grad.shape)}")
    hvp = torch.autograd.grad((flat_grad * v.detach()).sum(), params)
    return torch.cat([h.reshape(-1) for h in hvp]).detach() + damping * v.detach()


@dataclass
class LineSearchResult:
    """Outcome of :func:`backtracking_line_search`.

    Attributes
    ----------
    params : the accepted parameters (the starting point if nothing was accepted)
    accepted : bool
    fraction : float -- the accepted fraction of the full step (0.0 if none)
    kl : float -- the KL at the returned parameters (0.0 if none accepted)
    improvement : float -- surrogate gain at the returned parameters
    n_tries : int -- how many candidate steps were evaluated
    """

    params: object
    accepted: bool
    fraction: float
    kl: float
    improvement: float
    n_tries: int


def backtracking_line_search(surrogate: Callable, kl: Callable, params, full_step, *,
                             max_kl: float, expected_improvement: float | None = None,
                             accept_ratio: float = 0.1, shrink: float = 0.5,
                             max_backtracks: int = 10) -> LineSearchResult:
    r"""TRPO's backtracking line search: the largest :math:`\text{shrink}^k` fraction of a step that is safe.

    Try :math:`\theta_k = \theta + \text{shrink}^k\,\Delta\theta` for
    :math:`k = 0, 1, \dots` and accept the first one with

    * :math:`\overline{D}_{KL} = \texttt{kl}(\theta_k) \le \texttt{max\_kl}` (the trust region), and
    * a surrogate gain :math:`L(\theta_k) - L(\theta) > 0`, and, when
      ``expected_improvement`` (the linear prediction :math:`g^\top\Delta\theta`)
      is given, at least ``accept_ratio`` times its share
      :math:`\text{shrink}^k\,g^\top\Delta\theta`.

    If no candidate passes, the parameters do not move: a step that breaks the
    KL bound is **never** returned.

    Parameters
    ----------
    surrogate, kl : callable
        ``surrogate(params) -> float`` and ``kl(params) -> float`` (the mean
        :math:`D_{KL}(\pi_{old}\|\pi_{params})`).
    params, full_step : torch.Tensor or ndarray, shape (n,)
        The current parameters and the proposed (natural-gradient) step.
    max_kl : float > 0
        The trust-region radius :math:`\delta`, in nats.
    expected_improvement : float, optional
        :math:`g^\top\Delta\theta` for the full step.
    accept_ratio : float in [0, 1], default 0.1
    shrink : float in (0, 1), default 0.5
    max_backtracks : int, default 10

    Returns
    -------
    LineSearchResult

    Examples
    --------
    A quadratic "KL" :math:`\tfrac12\|x\|^2` and a linear surrogate: the full
    step has KL 2, so two halvings are needed for :math:`\delta = 0.2`.

    >>> import numpy as np
    >>> res = backtracking_line_search(lambda x: float(x.sum()), lambda x: 0.5 * float(x @ x),
    ...                                np.zeros(2), np.array([2.0, 0.0]), max_kl=0.2)
    >>> res.accepted, res.fraction, res.kl
    (True, 0.25, 0.125)
    """
    if not (callable(surrogate) and callable(kl)):
        raise TypeError("surrogate and kl must be callable")
    max_kl = _real(max_kl, "max_kl", low=0.0, low_open=True)
    accept_ratio = _real(accept_ratio, "accept_ratio", low=0.0, high=1.0)
    shrink = _real(shrink, "shrink", low=0.0, high=1.0, low_open=True, high_open=True)
    max_backtracks = _int(max_backtracks, "max_backtracks", minimum=0)
    if getattr(params, "shape", None) != getattr(full_step, "shape", None):
        raise ValueError("params and full_step must have the same shape")
    base = float(surrogate(params))
    fraction = 1.0
    for k in range(max_backtracks + 1):
        candidate = params + fraction * full_step
        d = float(kl(candidate))
        gain = float(surrogate(candidate)) - base
        ok = math.isfinite(d) and math.isfinite(gain) and d <= max_kl and gain > 0
        if ok and expected_improvement is not None:
            ok = gain >= accept_ratio * fraction * float(expected_improvement)
        if ok:
            return LineSearchResult(candidate, True, fraction, d, gain, k + 1)
        fraction *= shrink
    return LineSearchResult(params, False, 0.0, 0.0, 0.0, max_backtracks + 1)


# --------------------------------------------------------------------------- networks and rollouts
def _mlp(sizes, out_gain: float):
    import torch
    from torch import nn

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


def _actor_critic_class():
    from torch import nn

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
            hidden = tuple(_int(h, "hidden") for h in hidden)
            self.actor = _mlp((obs_dim, *hidden, n_actions), out_gain=0.01)
            self.critic = _mlp((obs_dim, *hidden, 1), out_gain=1.0)

        def forward(self, obs):
            """Return ``(logits, value)`` for a batch of observations."""
            return self.actor(obs), self.critic(obs).squeeze(-1)

    return ActorCritic


def _get_actor_critic():
    return globals().get("ActorCritic") or __getattr__("ActorCritic")


def __getattr__(name):
    # ``ActorCritic`` subclasses ``torch.nn.Module``: build it on first access, so that
    # ``import klbook`` does not import torch. Cached as a module global, it pickles by name.
    if name == "ActorCritic":
        cls = _actor_critic_class()
        cls.__module__, cls.__qualname__ = __name__, "ActorCritic"
        globals()["ActorCritic"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    n_envs = _int(n_envs, "n_envs")
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

        from .notebook import get_device

        self.seed = _int(seed, "seed", minimum=0)
        self.gamma = _real(gamma, "gamma", low=0.0, high=1.0)
        self.lam = _real(lam, "lam", low=0.0, high=1.0)
        self.env = make_vector_env(env_id, n_envs)
        self.n_envs = self.env.num_envs
        self.obs_dim = int(np.prod(self.env.single_observation_space.shape))
        self.n_actions = int(self.env.single_action_space.n)
        self.device = get_device() if device is None else torch.device(device)
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


# --------------------------------------------------------------------------- histories
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
        window = _int(window, "window")
        c = np.cumsum(np.concatenate([[0.0], self.episode_returns]))
        idx = np.arange(1, len(self.episode_returns) + 1)
        lo = np.maximum(idx - window, 0)
        return (c[idx] - c[lo]) / (idx - lo)

    def final_mean(self, window: int = SOLVE_WINDOW) -> float:
        """Mean return of the last ``window`` training episodes."""
        return float(np.mean(self.episode_returns[-window:]))


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
    r = np.asarray(episode_returns, dtype=np.float64)
    s = np.asarray(episode_end_steps)
    if r.shape != s.shape or r.ndim != 1:
        raise ValueError("episode_returns and episode_end_steps must be 1-D and of equal length")
    if len(r) < window:
        return None
    c = np.cumsum(np.concatenate([[0.0], r]))
    means = (c[window:] - c[:-window]) / window
    hit = np.flatnonzero(means >= threshold - 1e-9)
    return int(s[hit[0] + window - 1]) if hit.size else None


@contextlib.contextmanager
def _one_thread():
    """Small networks: one torch thread is faster and makes the float sums repeatable."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


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
    model = _get_actor_critic()(collector.obs_dim, collector.n_actions, hidden).to(collector.device)
    shuffle = torch.Generator().manual_seed(seed + 10_007)
    batch_size = n_envs * n_steps
    return collector, model, shuffle, batch_size, math.ceil(total_steps / batch_size)


def _check_common(env_id, total_steps, seed, n_envs, n_steps, gamma, lam):
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a string, got {type(env_id).__name__}")
    return (_int(total_steps, "total_steps"), _int(seed, "seed", minimum=0), _int(n_envs, "n_envs"),
            _int(n_steps, "n_steps"), _real(gamma, "gamma", low=0.0, high=1.0),
            _real(lam, "lam", low=0.0, high=1.0))


# --------------------------------------------------------------------------- PPO
def train_ppo(env_id: str = "CartPole-v1", *, total_steps: int, seed: int, objective: str = "clip",
              n_envs: int = 8, n_steps: int = 32, n_epochs: int = 20, minibatch_size: int = 256,
              lr: float = 1e-3, anneal_lr: bool = True, gamma: float = 0.98, lam: float = 0.8,
              clip: float = 0.2, kl_target: float = 0.01, beta: float = 1.0, vf_coef: float = 0.5,
              ent_coef: float = 0.0, max_grad_norm: float = 0.5, hidden=(64, 64),
              device=None) -> TrainingHistory:
    r"""Proximal policy optimisation (Schulman et al., 2017) on a discrete-action gymnasium environment.

    Each update collects ``n_envs * n_steps`` transitions with the current
    policy :math:`\pi_{old}`, then takes ``n_epochs`` passes of minibatch Adam
    steps on one of PPO's two objectives, with
    :math:`\rho_t(\theta) = \pi_\theta(a_t|s_t)/\pi_{old}(a_t|s_t)` and
    per-minibatch normalised GAE advantages :math:`\hat A_t`:

    * ``objective="clip"``:
      :math:`L^{CLIP} = \hat{\mathbb E}\bigl[\min(\rho_t\hat A_t,\;
      \operatorname{clip}(\rho_t, 1-\epsilon, 1+\epsilon)\hat A_t)\bigr]`;
    * ``objective="kl_penalty"``:
      :math:`L^{KLPEN} = \hat{\mathbb E}\bigl[\rho_t\hat A_t\bigr] - \beta\,
      \hat{\mathbb E}\bigl[D_{KL}(\pi_{old}(\cdot|s_t)\|\pi_\theta(\cdot|s_t))\bigr]`,
      with :math:`\beta` halved when the update's KL falls below
      ``kl_target / 1.5`` and doubled above ``1.5 * kl_target``.

    plus ``vf_coef`` times the squared error of the value network and minus
    ``ent_coef`` times the entropy. Neither objective *constrains* the KL: the
    clip removes the incentive to move a ratio beyond :math:`1\pm\epsilon`, the
    penalty prices the KL. The defaults are tuned for ``CartPole-v1``.

    Parameters
    ----------
    env_id : str
        A gymnasium environment with a discrete action space.
    total_steps : int
        Environment steps to train for (rounded up to whole updates).
    seed : int
        Seeds everything; the same seed repeats the same run.
    objective : {"clip", "kl_penalty"}
    n_envs, n_steps : int
        Batch of ``n_envs * n_steps`` transitions per update.
    n_epochs, minibatch_size : int
        Passes over each batch and the Adam minibatch size.
    lr : float
        Adam learning rate; with ``anneal_lr`` it falls linearly to 0 over ``total_steps``.
    gamma, lam : float
        Discount and GAE :math:`\lambda`.
    clip : float
        :math:`\epsilon` (also the threshold of the recorded clip fraction).
    kl_target, beta : float
        Target KL and initial :math:`\beta` of the penalty variant.
    vf_coef, ent_coef, max_grad_norm : float
        Value-loss weight, entropy bonus, gradient-norm clip.
    hidden : tuple of int
        Hidden layer widths of the two MLPs.
    device : torch.device or str, optional
        Defaults to :func:`klbook.get_device`.

    Returns
    -------
    TrainingHistory
        ``extra`` holds per-update ``"lr"`` and ``"beta"``.

    Raises
    ------
    ValueError, TypeError
        On bad arguments (named in the message), or an environment without
        discrete actions.
    """
    import torch

    total_steps, seed, n_envs, n_steps, gamma, lam = _check_common(
        env_id, total_steps, seed, n_envs, n_steps, gamma, lam)
    if objective not in ("clip", "kl_penalty"):
        raise ValueError(f"objective must be 'clip' or 'kl_penalty', got {objective!r}")
    n_epochs = _int(n_epochs, "n_epochs")
    minibatch_size = _int(minibatch_size, "minibatch_size")
    lr = _real(lr, "lr", low=0.0, low_open=True)
    clip = _real(clip, "clip", low=0.0, low_open=True)
    kl_target = _real(kl_target, "kl_target", low=0.0, low_open=True)
    beta = _real(beta, "beta", low=0.0)
    vf_coef = _real(vf_coef, "vf_coef", low=0.0)
    ent_coef = _real(ent_coef, "ent_coef", low=0.0)
    max_grad_norm = _real(max_grad_norm, "max_grad_norm", low=0.0, low_open=True)

    start = time.perf_counter()
    with _one_thread():
        collector, model, shuffle, batch_size, n_updates = _start_run(
            env_id, total_steps, seed, n_envs, n_steps, gamma, lam, hidden, device)
        opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-5)
        mb = min(minibatch_size, batch_size)
        rec = {k: [] for k in ("steps", "kl", "k1", "k3", "clip", "lr", "beta")}
        for update in range(n_updates):
            cur_lr = lr * (1 - update / n_updates) if anneal_lr else lr
            for g in opt.param_groups:
                g["lr"] = cur_lr
            batch = collector.collect(model, n_steps)
            for _ in range(n_epochs):
                perm = torch.randperm(batch_size, generator=shuffle).to(collector.device)
                for lo in range(0, batch_size - mb + 1, mb):
                    idx = perm[lo : lo + mb]
                    logits, value = model(batch.obs[idx])
                    logp_all = torch.log_softmax(logits, -1)
                    logp = logp_all.gather(-1, batch.actions[idx, None]).squeeze(-1)
                    ratio = torch.exp(logp - batch.logp[idx])
                    adv = batch.advantages[idx]
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                    if objective == "clip":
                        pg = -torch.min(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv).mean()
                    else:
                        pg = -(ratio * adv).mean() + beta * categorical_kl(batch.logits[idx], logits).mean()
                    v_loss = ((value - batch.returns[idx]) ** 2).mean()
                    entropy = -(logp_all.exp() * logp_all).sum(-1).mean()
                    loss = pg + vf_coef * v_loss - ent_coef * entropy
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                    opt.step()
            exact, k1, k3, clipped = _batch_kl_stats(model, batch, clip)
            for k, v in zip(rec, (collector.steps, exact, k1, k3, clipped, cur_lr, beta)):
                rec[k].append(v)
            if objective == "kl_penalty":
                if exact < kl_target / 1.5:
                    beta /= 2
                elif exact > kl_target * 1.5:
                    beta *= 2
        collector.close()
    return _history("ppo-clip" if objective == "clip" else "ppo-kl", seed, collector, rec, model,
                    time.perf_counter() - start, extra_keys=("lr", "beta"))


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


# --------------------------------------------------------------------------- TRPO
def train_trpo(env_id: str = "CartPole-v1", *, total_steps: int, seed: int, max_kl: float = 0.01,
               n_envs: int = 8, n_steps: int = 64, gamma: float = 0.99, lam: float = 0.95,
               cg_iters: int = 10, damping: float = 0.1, max_backtracks: int = 10,
               vf_lr: float = 1e-3, vf_epochs: int = 10, vf_minibatch_size: int = 128,
               hidden=(64, 64), clip: float = 0.2, device=None) -> TrainingHistory:
    r"""Trust region policy optimisation (Schulman et al., 2015) on a discrete-action environment.

    Each update maximises the importance-weighted surrogate subject to the
    trust region

    .. math::

        \max_\theta\; \hat{\mathbb E}\Bigl[\frac{\pi_\theta(a|s)}{\pi_{old}(a|s)}\hat A\Bigr]
        \quad\text{s.t.}\quad
        \hat{\mathbb E}_s\bigl[D_{KL}(\pi_{old}(\cdot|s)\,\|\,\pi_\theta(\cdot|s))\bigr]\le\delta,

    approximately: the surrogate is linearised (gradient :math:`g`), the KL
    is replaced by its quadratic model :math:`\tfrac12\Delta^\top F\Delta`,
    whose solution is the natural-gradient step
    :math:`\Delta = \sqrt{2\delta/(x^\top F x)}\,x` with :math:`x \approx F^{-1}g`
    from :func:`conjugate_gradient` on :func:`fisher_vector_product`; then
    :func:`backtracking_line_search` shrinks it until the **exact** batch KL
    is at most :math:`\delta` and the surrogate improves. The value network is
    fitted separately by Adam on the GAE returns.

    Parameters
    ----------
    env_id, total_steps, seed, n_envs, n_steps, gamma, lam, hidden, device
        As in :func:`train_ppo`.
    max_kl : float
        The trust-region radius :math:`\delta` in nats.
    cg_iters, damping : int, float
        Conjugate-gradient iterations and Fisher damping.
    max_backtracks : int
        Halvings tried by the line search before the update is skipped.
    vf_lr, vf_epochs, vf_minibatch_size : float, int, int
        Adam settings for the value network.
    clip : float
        Only for the recorded clip fraction (TRPO does not clip).

    Returns
    -------
    TrainingHistory
        ``extra`` holds per-update ``"step_fraction"`` (0 when the line search
        rejected every candidate) and ``"cg_residual"``.
    """
    import torch

    total_steps, seed, n_envs, n_steps, gamma, lam = _check_common(
        env_id, total_steps, seed, n_envs, n_steps, gamma, lam)
    max_kl = _real(max_kl, "max_kl", low=0.0, low_open=True)
    cg_iters = _int(cg_iters, "cg_iters")
    damping = _real(damping, "damping", low=0.0)
    max_backtracks = _int(max_backtracks, "max_backtracks", minimum=0)
    vf_lr = _real(vf_lr, "vf_lr", low=0.0, low_open=True)
    vf_epochs = _int(vf_epochs, "vf_epochs")
    vf_minibatch_size = _int(vf_minibatch_size, "vf_minibatch_size")
    clip = _real(clip, "clip", low=0.0, low_open=True)

    start = time.perf_counter()
    with _one_thread():
        collector, model, shuffle, batch_size, n_updates = _start_run(
            env_id, total_steps, seed, n_envs, n_steps, gamma, lam, hidden, device)
        actor = model.actor
        params = list(actor.parameters())
        vf_opt = torch.optim.Adam(model.critic.parameters(), lr=vf_lr, eps=1e-5)
        mb = min(vf_minibatch_size, batch_size)
        rec = {k: [] for k in ("steps", "kl", "k1", "k3", "clip", "step_fraction", "cg_residual")}
        for _update in range(n_updates):
            batch = collector.collect(model, n_steps)
            adv = batch.advantages
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)

            def surrogate_and_kl(flat):
                set_flat_params(actor, flat)
                with torch.no_grad():
                    logits = actor(batch.obs)
                    logp = torch.log_softmax(logits, -1).gather(-1, batch.actions[:, None]).squeeze(-1)
                    surr = (torch.exp(logp - batch.logp) * adv).mean().item()
                    kl = categorical_kl(batch.logits, logits).mean().item()
                return surr, kl

            logits = actor(batch.obs)
            logp = torch.log_softmax(logits, -1).gather(-1, batch.actions[:, None]).squeeze(-1)
            surr = (torch.exp(logp - batch.logp) * adv).mean()
            g = torch.cat([x.reshape(-1) for x in torch.autograd.grad(surr, params)])

            def fvp(v):
                return fisher_vector_product(lambda: actor(batch.obs), params, v, damping=damping)

            x = conjugate_gradient(fvp, g, iters=cg_iters)
            fx = fvp(x)
            rec["cg_residual"].append(float(torch.linalg.vector_norm(fx - g) / torch.linalg.vector_norm(g)))
            shs = float((x * fx).sum())
            theta0 = flat_params(actor)
            fraction = 0.0
            if shs > 0 and math.isfinite(shs):
                full_step = math.sqrt(2 * max_kl / shs) * x
                cache = {}

                def evaluate(flat, _cache=cache):
                    key = flat.data_ptr()
                    if key not in _cache:
                        _cache.clear()
                        _cache[key] = surrogate_and_kl(flat)
                    return _cache[key]

                result = backtracking_line_search(
                    lambda f: evaluate(f)[0], lambda f: evaluate(f)[1], theta0, full_step,
                    max_kl=max_kl, expected_improvement=float((g * full_step).sum()),
                    max_backtracks=max_backtracks)
                set_flat_params(actor, result.params)
                fraction = result.fraction
            else:
                set_flat_params(actor, theta0)
            rec["step_fraction"].append(fraction)
            for _ in range(vf_epochs):
                perm = torch.randperm(batch_size, generator=shuffle).to(collector.device)
                for lo in range(0, batch_size - mb + 1, mb):
                    idx = perm[lo : lo + mb]
                    v_loss = ((model.critic(batch.obs[idx]).squeeze(-1) - batch.returns[idx]) ** 2).mean()
                    vf_opt.zero_grad(set_to_none=True)
                    v_loss.backward()
                    vf_opt.step()
            exact, k1, k3, clipped = _batch_kl_stats(model, batch, clip)
            for k, v in zip(("steps", "kl", "k1", "k3", "clip"), (collector.steps, exact, k1, k3, clipped)):
                rec[k].append(v)
        collector.close()
    return _history("trpo", seed, collector, rec, model, time.perf_counter() - start,
                    extra_keys=("step_fraction", "cg_residual"))


# --------------------------------------------------------------------------- evaluation
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

    from .notebook import get_device

    n_episodes = _int(n_episodes, "n_episodes")
    seed = _int(seed, "seed", minimum=0)
    device = get_device() if device is None else torch.device(device)
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

r"""Generalised advantage estimation (Schulman et al., 2016), with terminated and truncated episodes told apart."""

from __future__ import annotations

import numpy as np

from .._validation import binary_flags, finite
from ._checks import _real

__all__ = ["compute_gae"]


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
        arrays[name] = finite(x, name)
    for name, x in (("terminated", terminated), ("truncated", truncated)):
        arrays[name] = binary_flags(x, name)
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

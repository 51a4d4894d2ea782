r"""KL between categorical policies: the exact value from logits and the sample estimators k1, k2, k3."""

from __future__ import annotations

import numpy as np

from ..estimators import kl_per_sample
from .._validation import check_logits_tensor
from ._checks import _as_numpy

__all__ = ["categorical_kl", "kl_estimators"]


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
        If an argument is empty, holds NaN or ``+inf``, or has a row of only ``-inf``; if
        the numbers of actions differ or the batch shapes do not broadcast.

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
        check_logits_tensor(x, name)
    if logits_p.shape[-1] != logits_q.shape[-1]:
        raise ValueError(
            f"logits_p and logits_q have {logits_p.shape[-1]} and {logits_q.shape[-1]} actions"
        )
    try:
        torch.broadcast_shapes(logits_p.shape[:-1], logits_q.shape[:-1])
    except RuntimeError:
        raise ValueError(f"the batch shapes of logits_p {tuple(logits_p.shape[:-1])} and logits_q "
                         f"{tuple(logits_q.shape[:-1])} do not broadcast") from None
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
    old, new = old.ravel(), new.ravel()
    # The per-sample estimators live in klbook.estimators (chapter 8); here P = old, Q = new.
    return {k: float(np.mean(kl_per_sample(old, new, estimator=k))) for k in ("k1", "k2", "k3")}

r"""Trust region policy optimisation (Schulman et al., 2015): conjugate gradient, Fisher-vector
products, the backtracking line search, and the training loop :func:`train_trpo`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._validation import check_tensor, finite_vector
from ._checks import _int, _one_thread, _real
from .kl import categorical_kl
from .training import TrainingHistory, _batch_kl_stats, _check_common, _history, _solved, _start_run

__all__ = [
    "conjugate_gradient",
    "fisher_vector_product",
    "backtracking_line_search",
    "LineSearchResult",
    "flat_params",
    "set_flat_params",
    "surrogate_and_kl",
    "train_trpo",
]


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
    finite_vector(b, "b")
    x = b * 0
    r = b.clone() if hasattr(b, "clone") else b.copy()
    p = r.clone() if hasattr(r, "clone") else r.copy()
    rr = float((r * r).sum())
    for _ in range(iters):
        if rr < tol:
            break
        ap = matvec(p)
        if getattr(ap, "shape", None) != p.shape:
            raise ValueError(f"matvec must return a vector of shape {tuple(p.shape)}, got {getattr(ap, 'shape', type(ap))}")
        pap = float((p * ap).sum())
        if not math.isfinite(pap):
            raise ValueError(f"matvec returned a non-finite product (p . Ap = {pap})")
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
    if not callable(logits_fn):
        raise TypeError(f"logits_fn must be callable, got {type(logits_fn).__name__}")
    check_tensor(v, "v")
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
    finite_vector(params, "params")
    finite_vector(full_step, "full_step")
    if expected_improvement is not None:
        expected_improvement = _real(expected_improvement, "expected_improvement")
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


def surrogate_and_kl(actor, flat, batch, advantages) -> tuple[float, float]:
    r"""The importance-weighted surrogate and the exact mean KL of the policy with parameters ``flat``.

    .. math::

        L(\theta) = \frac1B\sum_t \frac{\pi_\theta(a_t|s_t)}{\pi_{old}(a_t|s_t)}\hat A_t,
        \qquad
        \overline{D}_{KL}(\theta) = \frac1B\sum_t D_{KL}\bigl(\pi_{old}(\cdot|s_t)\,\|\,\pi_\theta(\cdot|s_t)\bigr),

    the two numbers TRPO's line search tests. ``actor`` is not modified: the
    parameters are substituted with :func:`torch.func.functional_call`.

    Parameters
    ----------
    actor : torch.nn.Module
        Maps states to logits; ``flat`` is laid out as :func:`flat_params` of it.
    flat : torch.Tensor, shape (n,)
        The candidate parameters :math:`\theta`.
    batch : Rollout
        States, actions and the old policy's logits and log-probabilities.
    advantages : torch.Tensor, shape (B,)
        :math:`\hat A_t` (TRPO normalises them first).

    Returns
    -------
    (float, float)
        The surrogate :math:`L(\theta)` and :math:`\overline{D}_{KL}(\theta)` in nats.
    """
    import torch

    check_tensor(flat, "flat")
    names = [n for n, _ in actor.named_parameters()]
    shapes = [p.shape for _, p in actor.named_parameters()]
    sizes = [math.prod(sh) for sh in shapes]
    if flat.ndim != 1 or flat.numel() != sum(sizes):
        raise ValueError(f"flat must be a vector of {sum(sizes)} parameters, got shape {tuple(flat.shape)}")
    params = {n: c.view(sh) for n, c, sh in zip(names, torch.split(flat, sizes), shapes)}
    with torch.no_grad():
        logits = torch.func.functional_call(actor, params, (batch.obs,))
        logp = torch.log_softmax(logits, -1).gather(-1, batch.actions[:, None]).squeeze(-1)
        surr = (torch.exp(logp - batch.logp) * advantages).mean().item()
        kl = categorical_kl(batch.logits, logits).mean().item()
    return surr, kl


def train_trpo(env_id: str = "CartPole-v1", *, total_steps: int, seed: int, max_kl: float = 0.01,
               n_envs: int = 8, n_steps: int = 64, gamma: float = 0.99, lam: float = 0.95,
               cg_iters: int = 10, damping: float = 0.1, max_backtracks: int = 10,
               vf_lr: float = 1e-3, vf_epochs: int = 10, vf_minibatch_size: int = 128,
               hidden=(64, 64), clip: float = 0.2, stop_when_solved: bool = False,
               device=None) -> TrainingHistory:
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
    stop_when_solved : bool, default False
        As in :func:`train_ppo`.

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
    if not isinstance(stop_when_solved, (bool, np.bool_)):
        raise TypeError(f"stop_when_solved must be True or False, got {stop_when_solved!r}")

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
                last = [None, None]  # the line search asks for the KL and the surrogate of each candidate

                def evaluate(flat, _last=last):
                    if _last[0] is None or not torch.equal(_last[0], flat):
                        _last[0], _last[1] = flat.clone(), surrogate_and_kl(actor, flat, batch, adv)
                    return _last[1]

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
            if stop_when_solved and _solved(collector):
                break
        collector.close()
    return _history("trpo", seed, collector, rec, model, time.perf_counter() - start,
                    extra_keys=("step_fraction", "cg_residual"))

r"""Proximal policy optimisation (Schulman et al., 2017): the clipped and the adaptive-KL-penalty objectives."""

from __future__ import annotations

import time

import numpy as np

from ._checks import _int, _one_thread, _real
from .kl import categorical_kl
from .training import TrainingHistory, _batch_kl_stats, _check_common, _history, _solved, _start_run

__all__ = ["train_ppo"]


def train_ppo(env_id: str = "CartPole-v1", *, total_steps: int, seed: int, objective: str = "clip",
              n_envs: int = 8, n_steps: int = 32, n_epochs: int = 20, minibatch_size: int = 256,
              lr: float = 1e-3, anneal_lr: bool = True, anneal_clip: bool = False, gamma: float = 0.98, lam: float = 0.8,
              clip: float = 0.2, kl_target: float = 0.01, beta: float = 1.0, vf_coef: float = 0.5,
              ent_coef: float = 0.0, max_grad_norm: float = 0.5, target_kl: float | None = None,
              hidden=(64, 64), stop_when_solved: bool = False, device=None) -> TrainingHistory:
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
    anneal_clip : bool, default False
        Let :math:`\epsilon` fall linearly to 0 over ``total_steps``, as the RL Baselines3 Zoo's
        schedule ``clip_range: lin_0.2`` does; by default it stays constant.
    kl_target, beta : float
        Target KL and initial :math:`\beta` of the penalty variant.
    vf_coef, ent_coef, max_grad_norm : float
        Value-loss weight, entropy bonus, gradient-norm clip.
    target_kl : float, optional
        Early stopping, as in Stable-Baselines3: before each minibatch step, the
        :math:`k_3` estimate of :math:`D_{KL}(\pi_{old}\|\pi_\theta)` on the minibatch is
        computed, and the update's remaining epochs are skipped once it exceeds
        ``1.5 * target_kl``. ``None`` (the default) never stops early.
    hidden : tuple of int
        Hidden layer widths of the two MLPs.
    stop_when_solved : bool, default False
        End the run after the update during which :func:`steps_to_solve`'s criterion is first
        met. The schedules still run over ``total_steps``, so the history is the same as
        the first part of the full run's.
    device : torch.device or str, optional
        Defaults to :func:`klbook.get_device`.

    Returns
    -------
    TrainingHistory
        ``extra`` holds per-update ``"lr"``, ``"epochs"`` (epochs started; fewer than
        ``n_epochs`` when ``target_kl`` stopped the update early), ``"beta"`` (the penalty weight used in that
        update) and ``"clip_range"`` (the :math:`\epsilon` used in that update).

    Raises
    ------
    ValueError, TypeError
        On bad arguments (named in the message), or an environment without
        discrete actions.
    """
    import torch

    for name, flag in (("anneal_lr", anneal_lr), ("anneal_clip", anneal_clip), ("stop_when_solved", stop_when_solved)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
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
    if target_kl is not None:
        target_kl = _real(target_kl, "target_kl", low=0.0, low_open=True)

    start = time.perf_counter()
    with _one_thread():
        collector, model, shuffle, batch_size, n_updates = _start_run(
            env_id, total_steps, seed, n_envs, n_steps, gamma, lam, hidden, device)
        opt = torch.optim.Adam(model.parameters(), lr=lr, eps=1e-5)
        mb = min(minibatch_size, batch_size)
        rec = {k: [] for k in ("steps", "kl", "k1", "k3", "clip", "lr", "beta", "clip_range", "epochs")}
        for update in range(n_updates):
            cur_lr = lr * (1 - update / n_updates) if anneal_lr else lr
            eps = clip * (1 - update / n_updates) if anneal_clip else clip
            for g in opt.param_groups:
                g["lr"] = cur_lr
            batch = collector.collect(model, n_steps)
            epochs, stop = 0, False
            while epochs < n_epochs and not stop:
                epochs += 1
                perm = torch.randperm(batch_size, generator=shuffle).to(collector.device)
                for lo in range(0, batch_size - mb + 1, mb):
                    idx = perm[lo : lo + mb]
                    logits, value = model(batch.obs[idx])
                    logp_all = torch.log_softmax(logits, -1)
                    logp = logp_all.gather(-1, batch.actions[idx, None]).squeeze(-1)
                    log_ratio = logp - batch.logp[idx]
                    ratio = torch.exp(log_ratio)
                    if target_kl is not None:
                        with torch.no_grad():
                            if ((ratio - 1) - log_ratio).mean().item() > 1.5 * target_kl:
                                stop = True
                                break
                    adv = batch.advantages[idx]
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                    if objective == "clip":
                        pg = -torch.min(ratio * adv, ratio.clamp(1 - eps, 1 + eps) * adv).mean()
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
            for k, v in zip(rec, (collector.steps, exact, k1, k3, clipped, cur_lr, beta, eps, epochs)):
                rec[k].append(v)
            if objective == "kl_penalty":
                if exact < kl_target / 1.5:
                    beta /= 2
                elif exact > kl_target * 1.5:
                    beta *= 2
            if stop_when_solved and _solved(collector):
                break
        collector.close()
    return _history("ppo-clip" if objective == "clip" else "ppo-kl", seed, collector, rec, model,
                    time.perf_counter() - start, extra_keys=("lr", "beta", "clip_range", "epochs"))

r"""f-GANs on the ring of Gaussians: the data, a mode-coverage score, and a batched trainer (torch)."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._validation import MAX_ENTRIES, generator as as_generator, integer, real, samples as as_samples
from .generators import f_generator

__all__ = ["ring_of_gaussians", "mode_coverage", "FGANResult", "train_fgan"]


def _ring_centres(modes: int, radius: float) -> np.ndarray:
    angle = 2.0 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def _check_ring(modes, radius, std):
    integer(modes, "modes", minimum=1, maximum=10**6)
    for name, v in (("radius", radius), ("std", std)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (v > 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be a positive number, got {v!r}")


def ring_of_gaussians(n, rng, *, modes=8, radius=2.0, std=0.05):
    r"""Samples of an equal-weight mixture of ``modes`` isotropic Gaussians on a circle.

    The modes sit at :math:`r(\cos 2\pi k/K, \sin 2\pi k/K)`, :math:`k = 0..K-1`, each with
    standard deviation ``std`` per coordinate (the benchmark of Metz et al. 2017).

    Parameters
    ----------
    n : int
        Number of samples.
    rng : numpy.random.Generator or int
        Source of randomness.
    modes, radius, std
        :math:`K`, :math:`r` and :math:`\sigma`.

    Returns
    -------
    samples : ndarray, shape (n, 2)
    centres : ndarray, shape (modes, 2)

    Examples
    --------
    >>> x, c = ring_of_gaussians(1000, 0)
    >>> x.shape, c.shape, round(float(np.hypot(*c[2])), 3)
    ((1000, 2), (8, 2), 2.0)
    """
    n = integer(n, "n", minimum=1, maximum=MAX_ENTRIES // 2)
    _check_ring(modes, radius, std)
    rng = as_generator(rng, "rng")
    centres = _ring_centres(int(modes), float(radius))
    k = rng.integers(0, modes, size=n)
    return centres[k] + std * rng.standard_normal((n, 2)), centres


def mode_coverage(samples, centres, std, *, n_std=3.0, min_share=0.02):
    r"""Mode coverage and sample quality of 2-D samples against a Gaussian mixture.

    A sample is *high quality* when it lies within ``n_std`` standard deviations of the
    nearest mode centre; a mode is *covered* when at least a fraction ``min_share`` of
    all samples are high-quality samples of that mode.

    Parameters
    ----------
    samples : array_like, shape (n, d)
    centres : array_like, shape (K, d)
    std : float
        The modes' standard deviation.
    n_std : float, default 3
    min_share : float, default 0.02
        In [0, 1).

    Returns
    -------
    dict
        ``{"modes": int, "high_quality": float, "counts": ndarray (K,)}``: the number of
        covered modes, the fraction of high-quality samples, and the high-quality samples
        per mode.

    Examples
    --------
    >>> x, c = ring_of_gaussians(2000, 0, std=0.05)
    >>> m = mode_coverage(x, c, 0.05)
    >>> m["modes"], m["high_quality"] > 0.98
    (8, True)
    >>> mode_coverage(np.zeros((10, 2)), c, 0.05)["modes"]  # the centre of the ring: no mode
    0
    """
    x = as_samples(samples, "samples", 1)
    c = as_samples(centres, "centres", 1) if np.ndim(centres) == 2 else None
    if c is None or c.shape[1] != x.shape[1]:
        raise ValueError("centres must be a (K, d) array with the samples' dimension d")
    for name, v in (("std", std), ("n_std", n_std)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0:
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    if isinstance(min_share, bool) or not isinstance(min_share, numbers.Real) or not 0 <= min_share < 1:
        raise ValueError(f"min_share must be in [0, 1), got {min_share!r}")
    d = np.sqrt(((x[:, None, :] - c[None, :, :]) ** 2).sum(-1))
    nearest = d.argmin(axis=1)
    good = d[np.arange(len(x)), nearest] <= n_std * std
    counts = np.bincount(nearest[good], minlength=len(c))
    return {
        "modes": int((counts >= max(min_share * len(x), 1)).sum()),
        "high_quality": float(good.mean()),
        "counts": counts,
    }


@dataclass(frozen=True)
class FGANResult:
    """What :func:`train_fgan` returns.

    Attributes
    ----------
    divergences : tuple of str
    seeds : tuple of int
    samples : ndarray, shape (len(divergences), len(seeds), n_samples, 2)
        Generator samples after training.
    bound : ndarray, shape (len(divergences), len(seeds), steps // log_every)
        The critic's variational bound (the f-GAN objective before its update), averaged over
        the ``log_every`` minibatches of each logging window: entry ``k`` covers steps
        ``k * log_every + 1`` to ``(k + 1) * log_every``.
    finite : ndarray of bool, shape (len(divergences), len(seeds))
        Whether the run's bound stayed finite at every step. A run whose game diverges (its
        critic's outputs overflow, as can happen with KL's unbounded conjugate) is not stopped
        and does not affect the other runs; its samples and later bounds are then not finite.
    mean, cov : ndarray or None
        For ``generator="gaussian"``: the generator's exact mean :math:`b` and covariance
        :math:`A^\top A` (its output is :math:`zA + b`), shapes
        ``(len(divergences), len(seeds), steps // log_every + 1, 2)`` and ``(..., 2, 2)``;
        entry 0 is the initialisation and entry ``k`` the state after ``k * log_every`` steps.
        ``None`` for the MLP generator.
    """

    divergences: tuple
    seeds: tuple
    samples: np.ndarray
    bound: np.ndarray
    finite: np.ndarray | None = None
    mean: np.ndarray | None = None
    cov: np.ndarray | None = None


def train_fgan(divergences=("kl", "reverse_kl", "js"), seeds=(0, 1, 2), *, steps=2000, batch=256,
               hidden=64, latent=2, lr=1e-3, modes=8, radius=2.0, std=0.05, n_samples=2000,
               generator="mlp", log_every=50, device=None):
    r"""Train one small f-GAN per (divergence, seed) on the ring of Gaussians, all at once.

    Generator :math:`G: \mathbb R^{latent}\to\mathbb R^2` and critic
    :math:`V:\mathbb R^2\to\mathbb R` are MLPs with two hidden layers of ``hidden``
    leaky-ReLU units. Each step takes one Adam step of the critic up and one of the
    generator down the f-GAN saddle objective of Nowozin et al. (2016),

    .. math::

        F(\theta,\omega) = \mathbb E_{x\sim P}[g_f(V_\omega(x))]
                           - \mathbb E_{z}[f^*(g_f(V_\omega(G_\theta(z))))],

    a minibatch estimate of the variational lower bound on :math:`D_f(P\|Q_\theta)`.
    Every run has its own weights, optimiser state and random stream (seeded by its seed,
    whatever else is trained alongside); the runs are stacked into batched matrix products
    so that training nine small GANs costs little more than training one.

    Parameters
    ----------
    divergences : sequence of str
        Names from :data:`F_GENERATORS`.
    seeds : sequence of int
        One run per seed and divergence.
    steps, batch, hidden, latent, lr
        Training length, minibatch size, network width, latent dimension, Adam step size
        (betas 0.5, 0.999).
    modes, radius, std
        The data (see :func:`ring_of_gaussians`).
    n_samples : int
        Generator samples returned per run.
    generator : {"mlp", "gaussian"}, default "mlp"
        ``"mlp"``: the network above. ``"gaussian"``: an affine map :math:`G(z) = Az + b`
        of Gaussian noise, i.e. the generator can only produce a Gaussian -- the
        one-Gaussian-fits-a-mixture setting of chapter 1.
    log_every : int
        How often the minibatch bound is recorded.
    device : torch.device or str, optional
        Default :func:`klbook.get_device`.

    Returns
    -------
    FGANResult

    Raises
    ------
    ValueError
        On an unknown divergence, an empty list, a negative seed or non-positive sizes.
    """
    import torch

    from .._batched import BatchedMLP
    from ..notebook import get_device

    if isinstance(divergences, str):
        divergences = (divergences,)
    divergences = tuple(divergences)
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of integers, got {type(seeds).__name__}")
    seeds = tuple(integer(s, "seeds", minimum=0) for s in seeds)
    if not divergences or not seeds:
        raise ValueError("divergences and seeds must be non-empty")
    gens_f = [f_generator(d) for d in divergences]
    for name, v, most in (("steps", steps, None), ("batch", batch, 10**7), ("hidden", hidden, 10**4),
                          ("latent", latent, 10**4), ("n_samples", n_samples, 10**7), ("log_every", log_every, None)):
        integer(v, name, minimum=1, maximum=most)
    if generator not in ("mlp", "gaussian"):
        raise ValueError(f"generator must be 'mlp' or 'gaussian', got {generator!r}")
    lr = real(lr, "lr", low=0.0, low_open=True)

    _check_ring(modes, radius, std)
    device = get_device(device)
    dtype = torch.float32
    runs = [(i, s) for i in range(len(divergences)) for s in seeds]
    n_runs = len(runs)
    gens = [torch.Generator().manual_seed(1000 * s + 17) for _, s in runs]
    g_sizes = [latent, hidden, hidden, 2] if generator == "mlp" else [latent, 2]
    # one small MLP per run, stacked; run r's initial weights come from its own generator, drawn
    # as torch.nn.Linear's default initialisation
    mlp = dict(activation="leaky_relu", negative_slope=0.2, init="uniform", generator=gens, dtype=dtype,
               device=device)
    g_net = BatchedMLP(n_runs, g_sizes, **mlp)
    d_net = BatchedMLP(n_runs, [2, hidden, hidden, 1], **mlp)
    g_params, d_params = list(g_net.parameters()), list(d_net.parameters())
    opt_g, opt_d = _Adam(g_params, lr), _Adam(d_params, lr)
    centres = torch.as_tensor(_ring_centres(int(modes), float(radius)), dtype=dtype)
    # runs are ordered by divergence, so each divergence owns a contiguous block of runs
    blocks = [(gens_f[i], slice(i * len(seeds), (i + 1) * len(seeds))) for i in range(len(divergences))]

    def draw():
        """Latent codes (R, batch, latent) and data (R, batch, 2), one random stream per run."""
        zn, k = [], []
        for g in gens:
            zn.append(torch.randn(batch, latent + 2, generator=g, dtype=dtype))
            k.append(torch.randint(0, int(modes), (batch,), generator=g))
        zn, k = torch.stack(zn).to(device), torch.stack(k).to(device)
        return zn[..., :latent], centres.to(device)[k] + std * zn[..., latent:]

    def bound_of(v_real, v_fake):
        """The per-run minibatch bound E_P[g_f(V)] - E_Q[f*(g_f(V))], shape (R,)."""
        # gen.act / gen.conj_act: the activation and f* o g_f without input validation, so that a run
        # whose critic has diverged (NaN) does not stop the others; it is reported in ``finite``
        return torch.cat([gen.act(v_real[b]).mean(-1) - gen.conj_act(v_fake[b]).mean(-1) for gen, b in blocks])

    def fake_term(v_fake):
        """The part of the bound that depends on the generator, -E_Q[f*(g_f(V))], shape (R,)."""
        return torch.cat([-gen.conj_act(v_fake[b]).mean(-1) for gen, b in blocks])

    history = []
    finite = torch.ones(n_runs, dtype=torch.bool, device=device)
    gaussian_path = [] if generator == "gaussian" else None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # matrices this small gain nothing from threads, and lose a lot on a busy CPU
    try:
        _train_loop(steps, draw, bound_of, fake_term, g_net, d_net, opt_g, opt_d, log_every, history,
                    finite, gaussian_path)
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        z = torch.stack([torch.randn(n_samples, latent, generator=g, dtype=dtype) for g in gens]).to(device)
        samples = g_net(z).cpu().numpy().astype(np.float64)
    shape = (len(divergences), len(seeds))
    hist = np.stack(history, axis=-1) if history else np.zeros((n_runs, 0))
    mean = cov = None
    if gaussian_path is not None:
        a = np.stack([w for w, _ in gaussian_path], axis=1)  # (R, T + 1, latent, 2)
        mean = np.stack([b for _, b in gaussian_path], axis=1).reshape(*shape, -1, 2)
        cov = np.einsum("rtli,rtlj->rtij", a, a).reshape(*shape, -1, 2, 2)
    return FGANResult(divergences, seeds, samples.reshape(*shape, n_samples, 2), hist.reshape(*shape, -1),
                      finite.cpu().numpy().reshape(shape), mean, cov)


class _Adam:
    """Adam (betas 0.5, 0.999, eps 1e-8), the update of ``torch.optim.Adam`` in a few foreach calls.

    The networks are tiny, so ``torch.optim.Adam``'s per-call overhead would dominate a step.
    """

    def __init__(self, params, lr, betas=(0.5, 0.999), eps=1e-8):
        import torch

        self.params, self.lr, self.betas, self.eps, self.t = list(params), lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    def step(self):
        import torch

        b1, b2 = self.betas
        self.t += 1
        grads = [p.grad for p in self.params]
        with torch.no_grad():
            torch._foreach_lerp_(self.m, grads, 1 - b1)
            torch._foreach_mul_(self.v, b2)
            torch._foreach_addcmul_(self.v, grads, grads, 1 - b2)
            denom = torch._foreach_sqrt(self.v)
            torch._foreach_div_(denom, math.sqrt(1 - b2**self.t))
            torch._foreach_add_(denom, self.eps)
            torch._foreach_addcdiv_(self.params, self.m, denom, -self.lr / (1 - b1**self.t))


def _snapshot(g_params):
    """(A, b) of an affine generator, as float64 arrays (R, latent, 2) and (R, 2)."""
    w, b = g_params
    return (w.detach().cpu().numpy().astype(np.float64), b.detach().cpu().numpy()[:, 0, :].astype(np.float64))


def _train_loop(steps, draw, bound_of, fake_term, g_net, d_net, opt_g, opt_d, log_every, history,
                finite, gaussian_path=None):
    import torch

    g_params = list(g_net.parameters())

    if gaussian_path is not None:
        gaussian_path.append(_snapshot(g_params))
    window = 0.0
    for step in range(steps):
        z, x = draw()
        fake = g_net(z)
        # critic: one Adam step up the bound
        bound = bound_of(d_net(x).squeeze(-1), d_net(fake.detach()).squeeze(-1))
        opt_d.zero_grad(set_to_none=True)
        (-bound.sum()).backward()
        opt_d.step()
        # generator: one Adam step down the bound against the updated critic (only the E_Q term
        # depends on the generator; the critic's weights get no gradient here)
        opt_g.zero_grad(set_to_none=True)
        fake_term(d_net(fake).squeeze(-1)).sum().backward(inputs=g_params)
        opt_g.step()
        window = window + bound.detach()
        finite &= torch.isfinite(bound.detach())
        if (step + 1) % log_every == 0:
            history.append((window / log_every).cpu().numpy().astype(np.float64))
            window = 0.0
            if gaussian_path is not None:
                gaussian_path.append(_snapshot(g_params))

r"""A variational autoencoder for binary images, its training loop and the IWAE bound.

The model of Kingma & Welling (2014) for vectors of binary pixels
:math:`x \in \{0, 1\}^P`:

* prior :math:`p(z) = \mathcal N(0, I_D)`;
* decoder :math:`p_\theta(x \mid z) = \prod_j \mathrm{Bernoulli}(x_j;\, \sigma(f_\theta(z)_j))`,
  an MLP giving one logit per pixel;
* encoder :math:`q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \mathrm{diag}\,\sigma^2_\phi(x))`,
  an MLP giving a mean and a log-variance per latent dimension.

Training maximises the evidence lower bound, one reparameterised sample per image,

.. math::

    \mathcal L_\beta(x) = \mathbb E_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]
                          - \beta\, D_{KL}(q_\phi(z\mid x)\,\|\,p(z)),

with the KL term in closed form (:func:`kl_to_standard_normal`); ``beta = 1`` is the
ELBO itself, other values give the beta-VAE of Higgins et al. (2017). The test-set
log-likelihood is estimated with the importance-weighted bound of Burda et al. (2016)
(:func:`iwae_bound`), which tightens to :math:`\log p_\theta(x)` as the number of samples
grows.

Several models with the same architecture (for instance a sweep over ``beta``) can be
trained *together*: their weights are stacked along a leading "model" axis and every layer
is one batched matrix product, which on a CPU costs far less than training them one
after the other. :func:`train_vae` does this and hands back ordinary single models.

All log-likelihoods are in **nats per image**. Everything runs on the device given
(default :func:`klbook.get_device`, the CPU) in float32.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ._validation import check_tensor, integer, real
from .notebook import get_device, progress, torch_threads as _torch_threads



__all__ = [
    "VAE",
    "VAEFit",
    "kl_to_standard_normal",
    "iwae_bound",
    "train_vae",
    "active_units",
]

_LOG_2PI = math.log(2.0 * math.pi)


# --------------------------------------------------------------------------- checks


def _as_images(x, name: str, n_pixels: int, device) -> torch.Tensor:
    """A float32 tensor of shape (n, n_pixels) with entries in [0, 1] on ``device``."""
    if isinstance(x, torch.Tensor):
        t = x.detach()
    elif isinstance(x, (np.ndarray, list, tuple)):
        arr = np.asarray(x)
        if not (np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)):
            raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        t = torch.as_tensor(arr.astype(np.float32))
    else:
        raise TypeError(f"{name} must be a torch tensor or a numpy array, got {type(x).__name__}")
    if t.dtype.is_complex:
        raise TypeError(f"{name} must be real, got dtype {t.dtype}")
    if t.ndim != 2 or t.shape[1] != n_pixels:
        raise ValueError(f"{name} must have shape (n_images, {n_pixels}), got {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    t = t.to(device=device, dtype=torch.float32)
    if not torch.isfinite(t).all() or (t < 0).any() or (t > 1).any():
        raise ValueError(f"{name} must hold pixel values in [0, 1] (binary images)")
    return t


# --------------------------------------------------------------------------- the KL term


def kl_to_standard_normal(mu, logvar):
    r"""Closed-form :math:`D_{KL}(\mathcal N(\mu, \sigma^2)\,\|\,\mathcal N(0, 1))`, elementwise.

    .. math::

        D_{KL} = -\tfrac12\left(1 + \log\sigma^2 - \mu^2 - \sigma^2\right) \ge 0,

    zero exactly when :math:`\mu = 0` and :math:`\sigma^2 = 1`. For a diagonal Gaussian
    :math:`q(z\mid x)` against the prior :math:`\mathcal N(0, I)` the KL is the sum of these
    terms over the latent dimensions.

    Parameters
    ----------
    mu, logvar : torch.Tensor
        Means and **log-variances** :math:`\log\sigma^2` (not standard deviations), of the
        same shape.

    Returns
    -------
    torch.Tensor
        The divergence of every coordinate, in nats, with the shape of ``mu``.

    Raises
    ------
    TypeError
        If an argument is not a floating-point tensor.
    ValueError
        If an argument is empty or holds NaN/inf, or the shapes differ.

    Examples
    --------
    >>> import torch
    >>> kl_to_standard_normal(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.0]))
    tensor([0.0000, 0.5000])
    >>> round(float(kl_to_standard_normal(torch.tensor(0.0), torch.tensor(math.log(4.0)))), 4)  # (3 - log 4) / 2
    0.8069
    """
    for name, t in (("mu", mu), ("logvar", logvar)):
        check_tensor(t, name)
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)


# --------------------------------------------------------------------------- the model


class _StackedLinear(nn.Module):
    """``n_models`` independent affine maps applied by one batched matrix product."""

    def __init__(self, n_models: int, n_in: int, n_out: int, generator: torch.Generator):
        super().__init__()
        bound = 1.0 / math.sqrt(n_in)  # the initialisation of torch.nn.Linear
        w = (torch.rand(n_models, n_in, n_out, generator=generator) * 2 - 1) * bound
        b = (torch.rand(n_models, 1, n_out, generator=generator) * 2 - 1) * bound
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (M, n, n_in) -> (M, n, n_out)
        return torch.baddbmm(self.bias, x, self.weight)


class VAE(nn.Module):
    r"""Bernoulli-decoder, diagonal-Gaussian-encoder VAE with a standard-normal prior.

    Encoder and decoder are MLPs with two hidden layers of ``n_hidden`` tanh units. With
    ``n_models > 1`` the module holds that many independent VAEs of the same shape,
    evaluated together (used by :func:`train_vae` for sweeps); every output then gains a
    leading axis of length ``n_models``. :meth:`unstack` splits them into single models.

    Parameters
    ----------
    n_pixels : int, default 64
        Number of binary pixels :math:`P` of an image.
    n_latent : int, default 8
        Latent dimension :math:`D`.
    n_hidden : int, default 256
        Width of the hidden layers.
    n_models : int, default 1
        Number of stacked models.
    seed : int, default 0
        Seeds the initial weights (independently of torch's global generator).
    device : torch.device or str, optional
        Default :func:`klbook.get_device`.

    Examples
    --------
    >>> vae = VAE(n_pixels=64, n_latent=2, n_hidden=16)
    >>> x = torch.zeros(5, 64)
    >>> [tuple(t.shape) for t in vae.encode(x)]
    [(5, 2), (5, 2)]
    >>> log_lik, kl = vae.elbo_terms(x, generator=torch.Generator().manual_seed(0))
    >>> tuple(log_lik.shape), bool((kl >= 0).all())
    ((5,), True)
    """

    def __init__(self, n_pixels=64, n_latent=8, n_hidden=256, *, n_models=1, seed=0, device=None):
        super().__init__()
        self.n_pixels = integer(n_pixels, "n_pixels", minimum=1)
        self.n_latent = integer(n_latent, "n_latent", minimum=1, maximum=10**5)
        self.n_hidden = integer(n_hidden, "n_hidden", minimum=1, maximum=10**5)
        self.n_models = integer(n_models, "n_models", minimum=1)
        seed = integer(seed, "seed", minimum=0)
        g = torch.Generator().manual_seed(int(seed))
        M, P, D, H = self.n_models, self.n_pixels, self.n_latent, self.n_hidden
        self.enc = nn.ModuleList([_StackedLinear(M, P, H, g), _StackedLinear(M, H, H, g), _StackedLinear(M, H, 2 * D, g)])
        self.dec = nn.ModuleList([_StackedLinear(M, D, H, g), _StackedLinear(M, H, H, g), _StackedLinear(M, H, P, g)])
        self.to(get_device(device))

    @property
    def device(self) -> torch.device:
        return self.enc[0].weight.device

    def extra_repr(self) -> str:
        return (f"n_pixels={self.n_pixels}, n_latent={self.n_latent}, n_hidden={self.n_hidden}, "
                f"n_models={self.n_models}")

    # -- stacked internals: every tensor has a leading model axis -------------------------

    @staticmethod
    def _mlp(layers, h):
        for layer in layers[:-1]:
            h = torch.tanh(layer(h))
        return layers[-1](h)

    def _encode(self, x):  # (n, P) or (M, n, P) -> two (M, n, D)
        if x.ndim == 2:
            x = x.expand(self.n_models, -1, -1)
        mu, logvar = self._mlp(self.enc, x).chunk(2, dim=-1)
        return mu, logvar

    def _decode(self, z):  # (M, ..., D) -> (M, ..., P) logits
        lead = z.shape[:-1]
        logits = self._mlp(self.dec, z.reshape(self.n_models, -1, self.n_latent))
        return logits.reshape(*lead, self.n_pixels)

    def _squeeze(self, t):
        return t[0] if self.n_models == 1 else t

    # -- public API -------------------------------------------------------------------------

    def encode(self, x):
        r"""Mean :math:`\mu_\phi(x)` and log-variance :math:`\log\sigma^2_\phi(x)` of :math:`q(z\mid x)`.

        ``x`` of shape (n, n_pixels) gives two tensors of shape (n, n_latent).
        """
        x = _as_images(x, "x", self.n_pixels, self.device)
        return tuple(self._squeeze(t) for t in self._encode(x))

    def decode(self, z):
        r"""Pixel logits :math:`f_\theta(z)` (the decoder's Bernoulli log-odds) for latents ``z``.

        ``z`` has shape (..., n_latent) (with a leading model axis when ``n_models > 1``);
        the result has shape (..., n_pixels). Apply ``torch.sigmoid`` for probabilities.
        """
        if not isinstance(z, torch.Tensor) or not z.dtype.is_floating_point:
            raise TypeError("z must be a floating-point torch tensor")
        if z.ndim < 1 or z.shape[-1] != self.n_latent:
            raise ValueError(f"z must have a last axis of length n_latent={self.n_latent}, got shape {tuple(z.shape)}")
        z = z.to(self.device)
        if self.n_models == 1:
            return self._decode(z.unsqueeze(0))[0]
        if z.shape[0] != self.n_models:
            raise ValueError(f"z needs a leading axis of length n_models={self.n_models}")
        return self._decode(z)

    def _terms(self, x, generator):
        """One-sample reparameterised ELBO terms, stacked: log p(x|z) and KL, each (M, n)."""
        mu, logvar = self._encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device)
        z = mu + eps * torch.exp(0.5 * logvar)
        logits = self._decode(z)
        log_lik = -nn.functional.binary_cross_entropy_with_logits(
            logits, x.expand_as(logits), reduction="none"
        ).sum(-1)
        kl = kl_to_standard_normal(mu, logvar).sum(-1)
        return log_lik, kl

    def elbo_terms(self, x, *, generator=None):
        r"""The two ELBO terms of every image, estimated with one reparameterised sample.

        Returns ``(log_lik, kl)``: a one-sample estimate of
        :math:`\mathbb E_q[\log p_\theta(x\mid z)]` (reconstruction) and the closed-form
        :math:`D_{KL}(q_\phi(z\mid x)\,\|\,p(z))` (the "rate"), each of shape (n,), in nats.
        The ELBO is ``log_lik - kl``. Gradients flow (call under ``torch.no_grad()`` to
        evaluate only).
        """
        x = _as_images(x, "x", self.n_pixels, self.device)
        return tuple(self._squeeze(t) for t in self._terms(x, generator))

    @torch.no_grad()
    def sample(self, n, *, generator=None):
        r"""Pixel probabilities :math:`\sigma(f_\theta(z))` of ``n`` images with :math:`z \sim p(z)`."""
        n = integer(n, "n", minimum=1)
        z = torch.randn((self.n_models, n, self.n_latent), generator=generator, device=self.device)
        return self._squeeze(torch.sigmoid(self._decode(z)))

    @torch.no_grad()
    def reconstruct(self, x):
        r"""Pixel probabilities decoded from the encoder mean, :math:`\sigma(f_\theta(\mu_\phi(x)))`."""
        x = _as_images(x, "x", self.n_pixels, self.device)
        mu, _ = self._encode(x)
        return self._squeeze(torch.sigmoid(self._decode(mu)))

    def unstack(self) -> list["VAE"]:
        """The stacked models as a list of independent single VAEs (copies)."""
        out = []
        for m in range(self.n_models):
            single = VAE(self.n_pixels, self.n_latent, self.n_hidden, n_models=1, device=self.device)
            with torch.no_grad():
                for p_single, p_stack in zip(single.parameters(), self.parameters()):
                    p_single.copy_(p_stack[m : m + 1])
            out.append(single)
        return out


# --------------------------------------------------------------------------- IWAE


@torch.no_grad()
def iwae_bound(model: VAE, x, k: int, *, generator=None, max_batch: int = 2**16, threads: int | None = 1):
    r"""Importance-weighted lower bound on :math:`\log p_\theta(x)` with ``k`` samples, per image.

    .. math::

        \mathcal L_k(x) = \mathbb E_{z_1..z_k \sim q(z\mid x)}
        \log \frac1k \sum_{i=1}^k \frac{p_\theta(x\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x)}
        \;\le\; \log p_\theta(x)

    (Burda et al. 2016). :math:`\mathcal L_1` is the ELBO, :math:`\mathcal L_k` never
    decreases with ``k``, and :math:`\mathcal L_k \to \log p_\theta(x)` as
    :math:`k\to\infty`; the value returned is a one-draw estimate of :math:`\mathcal L_k`,
    computed with log-sum-exp.

    Parameters
    ----------
    model : VAE
        A single model (``n_models == 1``).
    x : array_like or torch.Tensor, shape (n, n_pixels)
        Binary images.
    k : int
        Number of importance samples per image, at least 1.
    generator : torch.Generator, optional
        Source of the samples (for reproducible estimates).
    max_batch : int, default 65536
        Largest number of (sample, image) pairs decoded at once, to bound memory.
    threads : int or None, default 1
        Torch intra-op threads for the computation (``None``: torch's setting).

    Returns
    -------
    torch.Tensor, shape (n,)
        The bound of every image, in nats (its negative mean is the NLL estimate).

    Examples
    --------
    >>> vae = VAE(n_latent=2, n_hidden=16)
    >>> x = (torch.rand(4, 64, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    >>> g = torch.Generator().manual_seed(0)
    >>> tuple(iwae_bound(vae, x, 10, generator=g).shape)
    (4,)
    """
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a klbook VAE, got {type(model).__name__}")
    if model.n_models != 1:
        raise ValueError(f"model must be a single VAE (n_models == 1); call .unstack() first, got n_models={model.n_models}")
    k = integer(k, "k", minimum=1)
    max_batch = integer(max_batch, "max_batch", minimum=1)
    if threads is not None:
        threads = integer(threads, "threads", minimum=1, maximum=4096)
    x = _as_images(x, "x", model.n_pixels, model.device)
    with _torch_threads(threads):
        return _iwae(model, x, k, generator, max_batch)


def _iwae(model, x, k, generator, max_batch):
    mu, logvar = model._encode(x)
    mu, logvar = mu[0], logvar[0]
    std = torch.exp(0.5 * logvar)
    rows = max(1, max_batch // k)
    out = []
    for start in range(0, x.shape[0], rows):
        sl = slice(start, start + rows)
        m, s, lv, xb = mu[sl], std[sl], logvar[sl], x[sl]
        eps = torch.randn((k, *m.shape), generator=generator, device=m.device)
        z = m + eps * s  # (k, n, D)
        logits = model._decode(z.unsqueeze(0))[0]
        log_lik = -nn.functional.binary_cross_entropy_with_logits(
            logits, xb.expand_as(logits), reduction="none"
        ).sum(-1)
        log_prior = -0.5 * (z.square() + _LOG_2PI).sum(-1)
        log_q = -0.5 * (eps.square() + _LOG_2PI + lv).sum(-1)
        out.append(torch.logsumexp(log_lik + log_prior - log_q, dim=0) - math.log(k))
    return torch.cat(out)


# --------------------------------------------------------------------------- training


@dataclass
class VAEFit:
    """The result of :func:`train_vae`.

    Attributes
    ----------
    models : list of VAE
        One trained single model per ``beta``.
    betas : tuple of float
        The KL weights, in the order of ``models``.
    steps : ndarray, shape (T,)
        The optimisation steps at which the terms below were evaluated.
    train_log_lik, train_kl, test_log_lik, test_kl : ndarray, shape (T, n_models)
        Mean reconstruction term and mean KL term (nats per image) on the training and
        test sets (``nan`` when no test set was given), each estimated with one
        reparameterised sample per image from a generator of its own.
    seconds : float
        Wall-clock time of the optimisation.
    settings : dict
        The training settings (``n_latent``, ``n_hidden``, ``steps``, ``batch_size``, ``lr``,
        ``warmup``, ``seed``).
    """

    models: list
    betas: tuple
    steps: np.ndarray
    train_log_lik: np.ndarray
    train_kl: np.ndarray
    test_log_lik: np.ndarray
    test_kl: np.ndarray
    seconds: float
    settings: dict = field(default_factory=dict)

    @property
    def model(self) -> VAE:
        """The only model, when a single ``beta`` was trained."""
        if len(self.models) != 1:
            raise ValueError(f"this fit holds {len(self.models)} models; index .models instead")
        return self.models[0]


def train_vae(
    x_train,
    *,
    beta=1.0,
    x_test=None,
    n_latent: int = 8,
    n_hidden: int = 256,
    steps: int = 2000,
    batch_size: int = 128,
    lr: float = 3e-3,
    warmup: float = 0.2,
    eval_every: int = 100,
    seed: int = 0,
    device=None,
    threads: int | None = 1,
) -> VAEFit:
    r"""Train VAEs on binary images by stochastic gradient ascent on :math:`\mathcal L_\beta`.

    Adam with learning rate ``lr``, cosine-annealed to zero over ``steps`` minibatches of
    ``batch_size`` images drawn with replacement; one reparameterised sample per image. The
    KL weight rises linearly from 0 to ``beta`` over the first ``warmup`` fraction of the
    steps ("KL warm-up"), which keeps the encoder from collapsing onto the prior before the
    decoder has learnt anything; afterwards the objective is exactly :math:`\mathcal L_\beta`.

    Parameters
    ----------
    x_train : array_like, shape (N, P)
        Binary training images.
    beta : float or sequence of float, default 1.0
        KL weight(s) :math:`\beta \ge 0`. A sequence trains one model per value, all
        together (stacked weights, one batched product per layer) on the same minibatches.
    x_test : array_like, shape (N', P), optional
        Held-out images whose terms are logged alongside the training set's.
    n_latent, n_hidden : int
        Latent dimension and hidden-layer width (see :class:`VAE`).
    steps : int, default 2000
        Number of Adam steps.
    batch_size : int, default 128
        Images per step (at most ``N``).
    lr : float, default 3e-3
        Peak learning rate.
    warmup : float, default 0.2
        Fraction of the steps over which the KL weight ramps up, in [0, 1].
    eval_every : int, default 100
        Log the terms every this many steps (and after the last).
    seed : int, default 0
        Seeds the weights, the minibatches and the noise.
    device : torch.device or str, optional
        Default :func:`klbook.get_device`.
    threads : int or None, default 1
        Torch intra-op threads while training (``None`` leaves torch's setting alone). One
        is fastest for these small layers on a shared CPU.

    Returns
    -------
    VAEFit

    Examples
    --------
    >>> x = (torch.rand(64, 64, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    >>> fit = train_vae(x, beta=[0.5, 1.0], n_latent=2, n_hidden=8, steps=20, batch_size=16, eval_every=10)
    >>> len(fit.models), fit.train_kl.shape
    (2, (3, 2))
    """
    device = get_device(device)
    betas = (beta,) if isinstance(beta, numbers.Real) else tuple(beta) if isinstance(beta, (list, tuple, np.ndarray)) else None
    if betas is None:
        raise TypeError(f"beta must be a number or a sequence of numbers, got {type(beta).__name__}")
    if len(betas) == 0:
        raise ValueError("beta is an empty sequence")
    betas = tuple(real(b, "beta", low=0.0) for b in betas)
    n_latent = integer(n_latent, "n_latent", minimum=1)
    n_hidden = integer(n_hidden, "n_hidden", minimum=1)
    steps = integer(steps, "steps", minimum=1)
    batch_size = integer(batch_size, "batch_size", minimum=1)
    eval_every = integer(eval_every, "eval_every", minimum=1)
    lr = real(lr, "lr", low=0.0, low_open=True)
    warmup = real(warmup, "warmup", low=0.0, high=1.0)
    seed = integer(seed, "seed", minimum=0)
    if threads is not None:
        threads = integer(threads, "threads", minimum=1, maximum=4096)
    if isinstance(x_train, torch.Tensor):
        n_pixels = x_train.shape[-1] if x_train.ndim == 2 else 0
    else:
        arr = np.asarray(x_train)
        n_pixels = arr.shape[-1] if arr.ndim == 2 else 0
    if n_pixels == 0:
        raise ValueError("x_train must have shape (n_images, n_pixels)")
    xtr = _as_images(x_train, "x_train", n_pixels, device)
    xte = None if x_test is None else _as_images(x_test, "x_test", n_pixels, device)
    if batch_size > xtr.shape[0]:
        raise ValueError(f"batch_size ({batch_size}) exceeds the number of training images ({xtr.shape[0]})")

    M = len(betas)
    model = VAE(n_pixels, n_latent, n_hidden, n_models=M, seed=int(seed), device=device)
    beta_t = torch.tensor(betas, dtype=torch.float32, device=device)[:, None]
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    g_batch = torch.Generator(device=device).manual_seed(int(seed) + 1)
    g_noise = torch.Generator(device=device).manual_seed(int(seed) + 2)
    g_eval = torch.Generator(device=device).manual_seed(int(seed) + 3)
    n_warm = warmup * steps
    logged = {k: [] for k in ("steps", "train_log_lik", "train_kl", "test_log_lik", "test_kl")}

    def log(step):
        with torch.no_grad():
            logged["steps"].append(step)
            for name, data in (("train", xtr), ("test", xte)):
                if data is None:
                    ll = kl = torch.full((M,), float("nan"))
                else:
                    ll, kl = (t.mean(-1) for t in model._terms(data, g_eval))
                logged[f"{name}_log_lik"].append(ll.cpu().numpy())
                logged[f"{name}_kl"].append(kl.cpu().numpy())

    start = time.perf_counter()
    with _torch_threads(threads):
        log(0)
        for step in progress(range(1, steps + 1), desc="training VAE"):
            idx = torch.randint(0, xtr.shape[0], (batch_size,), generator=g_batch, device=device)
            try:
                log_lik, kl = model._terms(xtr[idx], g_noise)
            except ValueError as exc:  # the encoder's output went non-finite
                raise FloatingPointError(f"training diverged at step {step} ({exc}); lower lr") from None
            weight = min(1.0, step / n_warm) if n_warm > 0 else 1.0
            loss = -(log_lik - weight * beta_t * kl).mean(-1).sum()  # the models are independent
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the training loss became {loss.item()} at step {step}; lower lr")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if step % eval_every == 0 or step == steps:
                log(step)
    seconds = time.perf_counter() - start
    model.eval()
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in logged.items()}
    settings = dict(n_latent=n_latent, n_hidden=n_hidden, steps=steps, batch_size=batch_size, lr=lr,
                    warmup=warmup, seed=int(seed))
    return VAEFit(model.unstack(), betas, arrays["steps"].astype(int), arrays["train_log_lik"],
                  arrays["train_kl"], arrays["test_log_lik"], arrays["test_kl"], seconds, settings)


@torch.no_grad()
def active_units(model: VAE, x, *, threshold: float = 1e-2):
    r"""Latent dimensions that the encoder actually uses (Burda et al. 2016).

    Dimension :math:`u` is *active* when the encoder mean moves with the input,
    :math:`A_u = \mathrm{Var}_x\big(\mathbb E_{q(z\mid x)}[z_u]\big) > ` ``threshold``.
    An inactive dimension carries (almost) no information about :math:`x`; usually its
    :math:`q(z_u\mid x)` is also close to the prior :math:`p(z_u)` for every image, so that
    its KL term is about zero ("posterior collapse"). The variance criterion looks only at
    the means, so check the KL term too when it matters.

    Parameters
    ----------
    model : VAE
        A single model.
    x : array_like, shape (n, n_pixels)
        Images over which the variance is taken (at least 2).
    threshold : float, default 0.01

    Returns
    -------
    n_active : int
    variances : ndarray, shape (n_latent,)
        :math:`A_u` for every dimension.

    Examples
    --------
    >>> n, a = active_units(VAE(n_latent=3, n_hidden=8), torch.zeros(4, 64))
    >>> n, a.shape  # identical images: no variance at all
    (0, (3,))
    """
    if not isinstance(model, VAE) or model.n_models != 1:
        raise TypeError("model must be a single klbook VAE")
    threshold = real(threshold, "threshold", low=0.0, low_open=True)
    x = _as_images(x, "x", model.n_pixels, model.device)
    if x.shape[0] < 2:
        raise ValueError("x needs at least 2 images to measure a variance")
    mu = model._encode(x)[0][0].double()
    variances = mu.var(dim=0, unbiased=True).cpu().numpy()
    return int((variances > threshold).sum()), variances

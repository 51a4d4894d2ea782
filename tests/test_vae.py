"""The VAE of chapter 4: KL term, ELBO terms, IWAE bound, training loop, argument checks."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import klbook as kb

Normal = torch.distributions.Normal


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(0)
    return (torch.rand(12, 64, generator=g) > 0.6).float()


@settings(max_examples=100)
@given(st.lists(st.tuples(st.floats(-4, 4), st.floats(-6, 3)), min_size=1, max_size=8))
def test_kl_term_matches_torch(pairs):
    mu = torch.tensor([p[0] for p in pairs], dtype=torch.float64)
    logvar = torch.tensor([p[1] for p in pairs], dtype=torch.float64)
    expected = torch.distributions.kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0))
    torch.testing.assert_close(kb.kl_to_standard_normal(mu, logvar), expected, rtol=1e-9, atol=1e-12)
    assert (kb.kl_to_standard_normal(mu, logvar) >= -1e-12).all()


def test_kl_term_of_the_model_matches_torch(images):
    vae = kb.VAE(n_latent=5, n_hidden=16, seed=3)
    mu, logvar = vae.encode(images)
    _, kl = vae.elbo_terms(images, generator=torch.Generator().manual_seed(0))
    q = torch.distributions.Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    prior = torch.distributions.Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    torch.testing.assert_close(kl, torch.distributions.kl_divergence(q, prior), rtol=1e-5, atol=1e-5)


def test_reconstruction_term_is_the_bernoulli_log_likelihood(images):
    vae = kb.VAE(n_latent=3, n_hidden=16, seed=1)
    log_lik, _ = vae.elbo_terms(images, generator=torch.Generator().manual_seed(5))
    mu, logvar = vae.encode(images)
    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(5))
    logits = vae.decode(mu + eps * torch.exp(0.5 * logvar))
    expected = torch.distributions.Bernoulli(logits=logits).log_prob(images).sum(-1)
    torch.testing.assert_close(log_lik, expected, rtol=1e-5, atol=1e-4)


def _log_px_by_quadrature(vae, x):
    """log p(x) of a 1-D-latent VAE by a Riemann sum over z in [-8, 8]."""
    z = torch.linspace(-8, 8, 4001)[:, None]
    logits = vae.decode(z)  # (Z, P)
    log_lik = torch.distributions.Bernoulli(logits=logits[:, None, :]).log_prob(x[None]).sum(-1)  # (Z, n)
    log_prior = Normal(0.0, 1.0).log_prob(z)  # (Z, 1)
    return torch.logsumexp(log_lik + log_prior, dim=0) + math.log(16 / 4000)


def test_iwae_is_below_log_px_and_tightens_with_k(images):
    vae = kb.VAE(n_latent=1, n_hidden=16, seed=2)
    with torch.no_grad():
        log_px = _log_px_by_quadrature(vae, images).mean().item()
    g = torch.Generator().manual_seed(0)
    reps = 200
    means = {}
    for k in (1, 4, 32, 512):
        draws = torch.stack([kb.iwae_bound(vae, images, k, generator=g).mean() for _ in range(reps if k < 512 else 20)])
        means[k] = (draws.mean().item(), draws.std().item() / math.sqrt(len(draws)))
    with torch.no_grad():
        elbo = torch.stack([torch.stack(vae.elbo_terms(images, generator=g)) for _ in range(reps)])
        elbo = (elbo[:, 0] - elbo[:, 1]).mean().item()
    # L_1 is the ELBO in expectation
    assert abs(means[1][0] - elbo) < 4 * means[1][1] * math.sqrt(2)
    # monotone in K (beyond Monte Carlo noise), and below log p(x)
    ks = sorted(means)
    for a, b in zip(ks, ks[1:]):
        assert means[b][0] > means[a][0] - 3 * (means[a][1] + means[b][1])
    assert means[512][0] > means[1][0]
    for k in ks:
        assert means[k][0] <= log_px + 3 * means[k][1]
    assert abs(means[512][0] - log_px) < 0.5 * abs(means[1][0] - log_px)


def test_shapes_and_stacking(images):
    stacked = kb.VAE(n_latent=4, n_hidden=8, n_models=3, seed=0)
    mu, logvar = stacked.encode(images)
    assert mu.shape == logvar.shape == (3, 12, 4)
    assert stacked.decode(torch.zeros(3, 5, 4)).shape == (3, 5, 64)
    assert stacked.sample(6).shape == (3, 6, 64)
    singles = stacked.unstack()
    assert len(singles) == 3 and all(s.n_models == 1 for s in singles)
    for m, s in enumerate(singles):
        torch.testing.assert_close(s.encode(images)[0], mu[m])
        assert s.reconstruct(images).shape == (12, 64)
        assert s.decode(torch.zeros(2, 7, 4)).shape == (2, 7, 64)
    assert kb.iwae_bound(singles[0], images, 3).shape == (12,)


def test_training_improves_the_elbo_and_is_reproducible(images):
    x = images.repeat(4, 1)
    kwargs = dict(beta=[1.0, 4.0], x_test=images, n_latent=2, n_hidden=16, steps=150, batch_size=24,
                  eval_every=50, seed=1)
    fit = kb.train_vae(x, **kwargs)
    again = kb.train_vae(x, **kwargs)
    assert fit.betas == (1.0, 4.0) and len(fit.models) == 2
    assert fit.steps.tolist() == [0, 50, 100, 150]
    elbo = fit.train_log_lik - fit.train_kl
    assert (elbo[-1] > elbo[0] + 2).all()
    np.testing.assert_array_equal(fit.train_kl, again.train_kl)
    # the heavier KL weight buys a smaller KL
    assert fit.train_kl[-1, 1] < fit.train_kl[-1, 0]
    with pytest.raises(ValueError, match="holds 2 models"):
        _ = fit.model
    single = kb.train_vae(x, beta=1.0, n_latent=2, n_hidden=16, steps=5, batch_size=8)
    assert isinstance(single.model, kb.VAE) and np.isnan(single.test_kl).all()


def test_active_units():
    vae = kb.VAE(n_latent=3, n_hidden=8)
    n, var = kb.active_units(vae, torch.zeros(5, 64))
    assert n == 0 and var.shape == (3,) and np.allclose(var, 0)
    g = torch.Generator().manual_seed(0)
    n, var = kb.active_units(vae, (torch.rand(50, 64, generator=g) > 0.5).float(), threshold=1e-6)
    assert n == 3 and (var > 0).all()


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda v, x: kb.iwae_bound(v, x, 0), ValueError, "k must be >= 1"),
        (lambda v, x: kb.iwae_bound(v, x, 2.5), TypeError, "k must be an integer"),
        (lambda v, x: kb.iwae_bound("vae", x, 2), TypeError, "model must be a klbook VAE"),
        (lambda v, x: kb.iwae_bound(kb.VAE(n_models=2, n_hidden=4), x, 2), ValueError, "unstack"),
        (lambda v, x: v.encode(x[:, :10]), ValueError, r"shape \(n_images, 64\)"),
        (lambda v, x: v.encode(2 * x + 1), ValueError, r"in \[0, 1\]"),
        (lambda v, x: v.encode("abc"), TypeError, "x must be a torch tensor"),
        (lambda v, x: v.encode(x[:0]), ValueError, "x is empty"),
        (lambda v, x: v.decode(torch.zeros(3, 5)), ValueError, "n_latent"),
        (lambda v, x: kb.VAE(n_latent=0), ValueError, "n_latent must be >= 1"),
        (lambda v, x: kb.VAE(seed=-1), ValueError, "seed"),
        (lambda v, x: kb.train_vae(x, beta=-1.0), ValueError, "beta must be >= 0"),
        (lambda v, x: kb.train_vae(x, beta=[]), ValueError, "beta is an empty sequence"),
        (lambda v, x: kb.train_vae(x, beta="1"), TypeError, "beta must be a number"),
        (lambda v, x: kb.train_vae(x, batch_size=100), ValueError, "batch_size"),
        (lambda v, x: kb.train_vae(x, warmup=2.0), ValueError, "warmup"),
        (lambda v, x: kb.train_vae(x, lr=0.0), ValueError, "lr must be > 0"),
        (lambda v, x: kb.train_vae(x[0]), ValueError, "x_train must have shape"),
        (lambda v, x: kb.kl_to_standard_normal(torch.zeros(2), torch.zeros(3)), ValueError, "same shape"),
        (lambda v, x: kb.kl_to_standard_normal([0.0], torch.zeros(1)), TypeError, "mu must be"),
        (lambda v, x: kb.active_units(v, x[:1]), ValueError, "at least 2 images"),
    ],
)
def test_bad_arguments(images, call, exc, match):
    vae = kb.VAE(n_latent=2, n_hidden=4)
    with pytest.raises(exc, match=match):
        call(vae, images)


def test_numpy_input_and_device():
    vae = kb.VAE(n_latent=2, n_hidden=4)
    x = (np.arange(128).reshape(2, 64) % 2).astype(np.float64)
    assert vae.encode(x)[0].device == kb.get_device()
    assert vae.reconstruct(x).dtype == torch.float32

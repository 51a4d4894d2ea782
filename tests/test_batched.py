"""Tests for klbook.BatchedMLP: many small MLPs evaluated by batched matrix products.

Each stacked model must compute what the same weights compute as an ordinary
``torch.nn.Sequential``; the models must stay independent (a model's gradient of a sum of
per-model losses is its own gradient; with one generator per model, its initial weights do
not depend on how many models are stacked); the "uniform" initialisation is
``torch.nn.Linear``'s; bad input raises errors that name the argument.
"""

import math

import pytest
import torch

import klbook as kb


def test_each_model_computes_what_its_unstacked_copy_computes():
    for activation in ("relu", "leaky_relu", "tanh"):
        net = kb.BatchedMLP(4, [3, 7, 5, 2], activation=activation,
                            generator=torch.Generator().manual_seed(0), device="cpu")
        x = torch.randn(4, 11, 3, generator=torch.Generator().manual_seed(1))
        out = net(x)
        assert out.shape == (4, 11, 2)
        for m in range(4):
            torch.testing.assert_close(out[m], net.unstack(m)(x[m]), rtol=1e-6, atol=1e-6)
        shared = net(x[0])  # one input for all models
        torch.testing.assert_close(shared[2], net.unstack(2)(x[0]), rtol=1e-6, atol=1e-6)


def test_models_are_independent():
    net = kb.BatchedMLP(3, [2, 8, 1], generator=torch.Generator().manual_seed(2), device="cpu",
                        dtype=torch.float64)
    x = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    (net(x) ** 2).sum().backward()
    grads = [p.grad.clone() for p in net.parameters()]
    for m in range(3):
        alone = net.unstack(m)
        (alone(x[m]) ** 2).sum().backward()
        lin = [layer for layer in alone if isinstance(layer, torch.nn.Linear)]
        for k, layer in enumerate(lin):
            torch.testing.assert_close(grads[2 * k][m], layer.weight.grad.T, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(grads[2 * k + 1][m, 0], layer.bias.grad, rtol=1e-12, atol=1e-12)


def test_one_generator_per_model_makes_its_weights_independent_of_the_stack():
    def gens(seeds):
        return [torch.Generator().manual_seed(s) for s in seeds]

    a = kb.BatchedMLP(2, [4, 6, 3], generator=gens([10, 11]), device="cpu")
    b = kb.BatchedMLP(3, [4, 6, 3], generator=gens([12, 10, 13]), device="cpu")
    for wa, wb in zip(a.parameters(), b.parameters()):
        assert torch.equal(wa[0], wb[1])


def test_uniform_init_is_torch_linear_default_and_he_init_has_the_right_scale():
    g = torch.Generator().manual_seed(4)
    net = kb.BatchedMLP(1, [100, 50], init="uniform", generator=[g], device="cpu")
    w, b = net.weights[0].detach(), net.biases[0].detach()
    bound = 1 / math.sqrt(100)
    assert float(w.abs().max()) <= bound and float(b.abs().max()) <= bound
    # the same draws as a hand-written torch.nn.Linear-style initialisation
    g2 = torch.Generator().manual_seed(4)
    w2 = (torch.rand(100, 50, generator=g2) * 2 - 1) * bound
    b2 = (torch.rand(1, 50, generator=g2) * 2 - 1) * bound
    assert torch.equal(w[0], w2) and torch.equal(b[0], b2)
    he = kb.BatchedMLP(8, [400, 400], generator=torch.Generator().manual_seed(5), device="cpu")
    assert float(he.weights[0].detach().std()) == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert not torch.any(he.biases[0].detach())  # He initialisation sets biases to zero
    small = kb.BatchedMLP(8, [400, 400], out_scale=0.1, generator=torch.Generator().manual_seed(5), device="cpu")
    torch.testing.assert_close(small.weights[0], 0.1 * he.weights[0])


def test_parameters_are_interleaved_weights_and_biases():
    net = kb.BatchedMLP(2, [3, 4, 5], device="cpu")
    shapes = [tuple(p.shape) for p in net.parameters()]
    assert shapes == [(2, 3, 4), (2, 1, 4), (2, 4, 5), (2, 1, 5)]


def test_bad_input():
    with pytest.raises(ValueError, match="n_models must be >= 1"):
        kb.BatchedMLP(0, [2, 2])
    with pytest.raises(TypeError, match="n_models must be an integer"):
        kb.BatchedMLP(2.0, [2, 2])
    with pytest.raises(ValueError, match="sizes must list at least"):
        kb.BatchedMLP(2, [2])
    with pytest.raises(TypeError, match="sizes must be a sequence"):
        kb.BatchedMLP(2, 3)
    with pytest.raises(ValueError, match="activation must be one of"):
        kb.BatchedMLP(2, [2, 2], activation="gelu")
    with pytest.raises(ValueError, match="init must be one of"):
        kb.BatchedMLP(2, [2, 2], init="xavier")
    with pytest.raises(ValueError, match="out_scale must be > 0"):
        kb.BatchedMLP(2, [2, 2], out_scale=0.0)
    with pytest.raises(ValueError, match="generator must be one torch.Generator or n_models = 2"):
        kb.BatchedMLP(2, [2, 2], generator=[torch.Generator()])
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        kb.BatchedMLP(2, [2, 2], generator=0)
    with pytest.raises(TypeError, match="dtype must be a floating-point"):
        kb.BatchedMLP(2, [2, 2], dtype=torch.int64)
    net = kb.BatchedMLP(2, [3, 2], device="cpu")
    with pytest.raises(ValueError, match=r"x must have shape \(n_models, n, d_in\)"):
        net(torch.zeros(3, 4, 3))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        net([[0.0, 0.0, 0.0]])

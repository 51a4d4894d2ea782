r"""Many small MLPs of one shape, trained together as one batched network (torch).

Training ten seeds of a small network one after the other costs ten times the Python and
dispatch overhead of one; stacking their weights into tensors with a leading "model" axis
and evaluating every layer with one batched matrix product (:func:`torch.baddbmm`) costs
little more than training one. The models stay independent: no weight is shared, and the
gradient of a sum of per-model losses with respect to one model's weights is that model's
own gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from ._validation import integer, real
from .notebook import get_device

__all__ = ["BatchedMLP"]

_ACTIVATIONS = ("relu", "leaky_relu", "tanh")
_INITS = ("he", "uniform")


def _check_sizes(sizes) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"sizes must be a sequence of layer widths, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {list(sizes)!r}")
    return [integer(s, "sizes", minimum=1) for s in sizes]


def _generators(generator, n_models):
    if generator is None or isinstance(generator, torch.Generator):
        return generator, None
    if isinstance(generator, Sequence) and not isinstance(generator, (str, bytes)):
        gens = list(generator)
        if len(gens) != n_models:
            raise ValueError(f"generator must be one torch.Generator or n_models = {n_models} of them, "
                             f"got {len(gens)}")
        if not all(isinstance(g, torch.Generator) for g in gens):
            raise TypeError("generator must be a torch.Generator or a sequence of them")
        return None, gens
    raise TypeError(f"generator must be a torch.Generator or a sequence of them, got {type(generator).__name__}")


def _draw(shape, init, fan_in, gen, gens, dtype):
    """Weights (n_models, *shape) for one layer: one draw for all models, or one per model."""
    def one(size, g):
        if init == "he":
            return torch.randn(*size, generator=g, dtype=dtype) * math.sqrt(2.0 / fan_in)
        bound = 1.0 / math.sqrt(fan_in)  # torch.nn.Linear's default
        return (torch.rand(*size, generator=g, dtype=dtype) * 2 - 1) * bound

    if gens is None:
        return one(shape, gen)
    return torch.stack([one(shape[1:], g) for g in gens])


class BatchedMLP(torch.nn.Module):
    r"""``n_models`` independent MLPs of the same shape, evaluated by batched matrix products.

    Layer :math:`k` of model :math:`m` computes

    .. math::

        h^{(k+1)}_m = a\bigl(h^{(k)}_m W^{(k)}_m + b^{(k)}_m\bigr),

    with :math:`W^{(k)}` of shape ``(n_models, fan_in, fan_out)`` and :math:`b^{(k)}` of
    shape ``(n_models, 1, fan_out)``, all models in one :func:`torch.baddbmm`; the
    activation :math:`a` is applied after every layer but the last. The models share no
    weights: each can be trained on its own data (its own seed, batch, learning target
    or loss), and the gradient of a sum of per-model losses is each model's own gradient.

    Parameters
    ----------
    n_models : int
        Number of stacked models :math:`M \ge 1`.
    sizes : sequence of int
        Layer widths ``[d_in, hidden..., d_out]`` (at least two).
    activation : {"relu", "leaky_relu", "tanh"}, default "relu"
        Nonlinearity between layers.
    negative_slope : float, default 0.2
        Slope of ``"leaky_relu"`` for negative inputs (ignored otherwise).
    init : {"he", "uniform"}, default "he"
        ``"he"``: weights :math:`\mathcal N(0, 2/\text{fan\_in})`, biases 0 (suited to
        ReLU). ``"uniform"``: weights and biases
        :math:`\mathcal U(-1/\sqrt{\text{fan\_in}}, 1/\sqrt{\text{fan\_in}})`, the default
        of :class:`torch.nn.Linear`.
    out_scale : float, default 1.0
        Multiplies the last layer's initial weights (and biases): a small value starts
        every model near the output 0.
    generator : torch.Generator or sequence of torch.Generator, optional
        One generator draws all models' initial weights at once; a sequence of
        ``n_models`` generators draws model :math:`m` from the :math:`m`-th, so that its
        initial weights do not depend on how many models are stacked with it.
    dtype : torch.dtype, default torch.float32
    device : torch.device or str, optional
        Default :func:`klbook.get_device`.

    Attributes
    ----------
    weights, biases : list of torch.nn.Parameter
        Per layer, shapes ``(n_models, fan_in, fan_out)`` and ``(n_models, 1, fan_out)``.
        ``parameters()`` yields them interleaved: ``W0, b0, W1, b1, ...``.

    Raises
    ------
    TypeError, ValueError
        On a bad ``n_models``, ``sizes``, ``activation``, ``init``, ``out_scale`` or
        ``generator``; calling the module on an input of the wrong shape raises
        ``ValueError``.

    Examples
    --------
    >>> import torch
    >>> net = BatchedMLP(3, [2, 8, 1], generator=torch.Generator().manual_seed(0), device="cpu")
    >>> net(torch.zeros(3, 5, 2)).shape  # (models, points, outputs)
    torch.Size([3, 5, 1])
    >>> x = torch.randn(5, 2, generator=torch.Generator().manual_seed(1))
    >>> bool(torch.allclose(net(x)[1], net.unstack(1)(x)))  # model 1 alone
    True
    """

    def __init__(self, n_models, sizes, *, activation="relu", negative_slope=0.2, init="he",
                 out_scale=1.0, generator=None, dtype=None, device=None):
        super().__init__()
        self.n_models = integer(n_models, "n_models", minimum=1)
        self.sizes = _check_sizes(sizes)
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        if init not in _INITS:
            raise ValueError(f"init must be one of {_INITS}, got {init!r}")
        self.activation = activation
        self.negative_slope = real(negative_slope, "negative_slope", low=0.0)
        out_scale = real(out_scale, "out_scale", low=0.0, low_open=True)
        dtype = torch.float32 if dtype is None else dtype
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
        gen, gens = _generators(generator, self.n_models)
        device = get_device(device)
        params = []
        n_layers = len(self.sizes) - 1
        for k, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            scale = out_scale if k == n_layers - 1 else 1.0
            w = _draw((self.n_models, a, b), init, a, gen, gens, dtype) * scale
            if init == "he":
                bias = torch.zeros(self.n_models, 1, b, dtype=dtype)
            else:
                bias = _draw((self.n_models, 1, b), init, a, gen, gens, dtype) * scale
            params += [torch.nn.Parameter(w.to(device)), torch.nn.Parameter(bias.to(device))]
        self.params = torch.nn.ParameterList(params)

    @property
    def weights(self):
        return list(self.params[0::2])

    @property
    def biases(self):
        return list(self.params[1::2])

    def _act(self, h):
        if self.activation == "relu":
            return torch.relu(h)
        if self.activation == "tanh":
            return torch.tanh(h)
        return torch.nn.functional.leaky_relu(h, self.negative_slope)

    def forward(self, x):
        """``(n_models, n, d_in)`` -> ``(n_models, n, d_out)``; an ``(n, d_in)`` input is shared by all models."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim == 2:
            x = x.expand(self.n_models, *x.shape)
        if x.ndim != 3 or x.shape[0] != self.n_models or x.shape[2] != self.sizes[0]:
            raise ValueError(f"x must have shape (n_models, n, d_in) = ({self.n_models}, n, {self.sizes[0]}) "
                             f"or (n, {self.sizes[0]}), got {tuple(x.shape)}")
        n_layers = len(self.params) // 2
        h = x
        for k in range(n_layers):
            h = torch.baddbmm(self.params[2 * k + 1], h, self.params[2 * k])
            if k < n_layers - 1:
                h = self._act(h)
        return h

    def unstack(self, m):
        """Model ``m`` alone, as a :class:`torch.nn.Sequential` of ``Linear`` layers (a copy)."""
        m = integer(m, "m", minimum=0, maximum=self.n_models - 1)
        layers = []
        n_layers = len(self.params) // 2
        for k in range(n_layers):
            w, b = self.params[2 * k], self.params[2 * k + 1]
            # skip_init: no draw from torch's global generator
            lin = torch.nn.utils.skip_init(torch.nn.Linear, w.shape[1], w.shape[2], dtype=w.dtype,
                                           device=w.device)
            with torch.no_grad():
                lin.weight.copy_(w[m].T)
                lin.bias.copy_(b[m, 0])
            layers.append(lin)
            if k < n_layers - 1:
                layers.append({"relu": torch.nn.ReLU(), "tanh": torch.nn.Tanh(),
                               "leaky_relu": torch.nn.LeakyReLU(self.negative_slope)}[self.activation])
        return torch.nn.Sequential(*layers)

    def extra_repr(self):
        return f"n_models={self.n_models}, sizes={self.sizes}, activation={self.activation!r}"

"""Hypothesis strategies for probability vectors."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


@st.composite
def distributions(draw, n=None, *, min_size=1, max_size=8, zeros=True):
    """A probability vector, optionally with exact zeros, normalised in float64."""
    size = draw(st.integers(min_size, max_size)) if n is None else n
    # Weights are exactly 0 or at least 1e-9: subnormal weights only test float underflow,
    # which has its own tests.
    elems = (
        st.floats(0.0, 1.0).map(lambda w: 0.0 if w < 1e-9 else w) if zeros else st.floats(1e-3, 1.0)
    )
    w = draw(arrays(np.float64, size, elements=elems))
    if w.sum() <= 0:
        w[draw(st.integers(0, size - 1))] = 1.0
    return w / w.sum()


@st.composite
def pairs(draw, *, zeros=True, max_size=8):
    """Two probability vectors over the same outcomes."""
    n = draw(st.integers(1, max_size))
    return draw(distributions(n, zeros=zeros)), draw(distributions(n, zeros=zeros))


@st.composite
def positive_pairs(draw, max_size=8):
    """Two strictly positive probability vectors (every KL finite)."""
    return draw(pairs(zeros=False, max_size=max_size))

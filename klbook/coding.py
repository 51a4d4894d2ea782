r"""Prefix codes: the coding view of entropy, cross-entropy and KL.

A code built for a distribution ``Q`` gives symbol ``x`` a codeword of roughly
:math:`-\log_2 Q(x)` bits. Encoding symbols drawn from ``P`` with it then costs
about :math:`H(P, Q) = H(P) + D_{KL}(P\|Q)` bits per symbol, against about
:math:`H(P)` for a code built for ``P``: the KL divergence is the price, in bits,
of using the wrong code.

The precise statements (Cover & Thomas, *Elements of Information Theory*, ch. 5):
a Huffman code for ``Q`` has expected length within one bit of :math:`H(Q)`
*under* ``Q``; the Shannon code with lengths :math:`\lceil -\log_2 Q(x)\rceil`
has :math:`H(P,Q) \le \mathbb E_P[\ell] < H(P,Q) + 1` under *any* ``P``. A
Huffman code used under a different ``P`` carries no such guarantee (its rare
symbols may get codewords much shorter or longer than :math:`-\log_2 Q(x)`).
Coding blocks of ``n`` symbols (:func:`block_distribution`) divides the one bit
of rounding by ``n``.
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from ._validation import as_distribution, integer

__all__ = ["huffman_code", "encode", "decode", "expected_length", "block_distribution"]


def huffman_code(probs, *, normalize=False) -> list[str]:
    r"""Binary Huffman code for a distribution: an optimal prefix code.

    Parameters
    ----------
    probs : array_like, shape (n,)
        Symbol probabilities (the distribution the code is built for).
    normalize : bool, default False
        Accept weights or counts and rescale them.

    Returns
    -------
    list of str
        ``code[i]`` is the codeword (a string of ``'0'``/``'1'``) of symbol ``i``.
        For two or more symbols its expected length under ``probs``,
        :math:`L`, satisfies :math:`H_2(Q) \le L < H_2(Q) + 1` (a single symbol
        gets the one-bit codeword ``'0'``, although it carries no information).
        Symbols of probability 0 still get a (long) codeword, so any symbol can
        be encoded. Ties are broken by symbol index, so the code is deterministic.

    Raises
    ------
    ValueError
        If ``probs`` is not a valid 1-D probability vector.

    Examples
    --------
    >>> huffman_code([0.5, 0.25, 0.25])
    ['0', '10', '11']
    >>> huffman_code([1.0])
    ['0']
    """
    q = as_distribution(probs, "probs", normalize=normalize)
    if q.ndim != 1:
        raise ValueError(f"probs must be 1-D, got shape {q.shape}")
    n = q.size
    if n == 1:
        return ["0"]
    counter = itertools.count()
    # Heap entries: (probability, tie-breaker, symbols in this subtree).
    heap = [(float(w), next(counter), [i]) for i, w in enumerate(q)]
    heapq.heapify(heap)
    code = [""] * n
    while len(heap) > 1:
        w0, _, s0 = heapq.heappop(heap)
        w1, _, s1 = heapq.heappop(heap)
        for i in s0:
            code[i] = "0" + code[i]
        for i in s1:
            code[i] = "1" + code[i]
        heapq.heappush(heap, (w0 + w1, next(counter), s0 + s1))
    return code


def _check_code(code) -> list[str]:
    if isinstance(code, (str, bytes)) or not hasattr(code, "__len__") or not hasattr(code, "__iter__"):
        raise TypeError(f"code must be a sequence of codewords (strings of '0' and '1'), got {type(code).__name__}")
    if len(code) == 0:
        raise ValueError("code must be a non-empty sequence of codewords")
    if any((not isinstance(w, str)) or w == "" or set(w) - {"0", "1"} for w in code):
        raise ValueError("code: every codeword must be a non-empty string of '0' and '1'")
    return list(code)


def encode(symbols, code) -> str:
    """Concatenate the codewords of a sequence of symbol indices.

    Examples
    --------
    >>> encode([0, 2, 1], ['0', '10', '11'])
    '01110'
    """
    code = _check_code(code)
    idx = np.asarray(symbols)
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"symbols must be integer indices, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= len(code)):
        raise ValueError(f"symbols must lie in [0, {len(code) - 1}]")
    return "".join(code[i] for i in idx.ravel().tolist())


def decode(bits: str, code) -> list[int]:
    """Decode a bit string produced by :func:`encode` with a prefix code.

    Raises
    ------
    TypeError
        If ``bits`` is not a string.
    ValueError
        If ``bits`` holds characters other than ``'0'``/``'1'`` or ends in the middle
        of a codeword, or ``code`` is not prefix-free (then decoding is ambiguous).

    Examples
    --------
    >>> decode('01110', ['0', '10', '11'])
    [0, 2, 1]
    """
    code = _check_code(code)
    if not isinstance(bits, str):
        raise TypeError(f"bits must be a string of '0' and '1', got {type(bits).__name__}")
    if set(bits) - {"0", "1"}:
        raise ValueError("bits must contain only '0' and '1'")
    lookup = {w: i for i, w in enumerate(code)}
    if len(lookup) != len(code):
        raise ValueError("code has repeated codewords")
    # Sorted lexicographically, a codeword that is a prefix of any other is a prefix of the next.
    ordered = sorted(code)
    for a, b in zip(ordered, ordered[1:]):
        if b.startswith(a):
            raise ValueError(f"code is not prefix-free: {a!r} is a prefix of {b!r}")
    out, word = [], ""
    for b in bits:
        word += b
        if word in lookup:
            out.append(lookup[word])
            word = ""
    if word:
        raise ValueError("bits end in the middle of a codeword")
    return out


def expected_length(p, code) -> float:
    r"""Expected codeword length :math:`\sum_x P(x)\,\ell(x)` in bits under ``P``.

    Examples
    --------
    >>> expected_length([0.5, 0.25, 0.25], ['0', '10', '11'])
    1.5
    """
    code = _check_code(code)
    p = as_distribution(p, "p")
    if p.shape != (len(code),):
        raise ValueError(f"p has shape {p.shape} but the code has {len(code)} codewords")
    return float(p @ np.array([len(w) for w in code], dtype=float))


def block_distribution(p, n: int) -> np.ndarray:
    r"""Distribution of blocks of ``n`` i.i.d. symbols: the ``n``-fold product :math:`P^{\otimes n}`.

    Block ``(x_1, ..., x_n)`` has index :math:`\sum_j x_j k^{n-j}` for an alphabet
    of ``k`` symbols (the first symbol is the most significant digit).

    Examples
    --------
    >>> block_distribution([0.75, 0.25], 2)
    array([0.5625, 0.1875, 0.1875, 0.0625])
    """
    p = as_distribution(p, "p")
    if p.ndim != 1:
        raise ValueError(f"p must be 1-D, got shape {p.shape}")
    n = integer(n, "n", minimum=1)
    if p.size == 1:  # a one-symbol source has one block, whatever n
        return np.ones(1)
    if n > 22 or p.size**n > 2**22:
        raise ValueError(f"n = {n} blocks of {p.size} symbols (p) is too many to tabulate (at most 2**22 blocks)")
    out = np.ones(1)
    for _ in range(n):
        out = np.multiply.outer(out, p).ravel()
    return out


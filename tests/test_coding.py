"""Huffman codes: prefix-free, optimal within one bit, and the coding view of KL."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import distributions

import klbook as kb


def is_prefix_free(code):
    return not any(a != b and b.startswith(a) for a in code for b in code)


@given(distributions(min_size=1, max_size=12))
def test_huffman_is_prefix_free_and_within_one_bit_of_entropy(q):
    code = kb.huffman_code(q)
    assert len(code) == q.size and is_prefix_free(code)
    length = kb.expected_length(q, code)
    h2 = kb.entropy(q, base=2)
    assert h2 - 1e-9 <= length < h2 + 1 + 1e-9


@given(distributions(min_size=2, max_size=12))
def test_kraft_equality_for_huffman(q):
    code = kb.huffman_code(q)
    assert sum(2.0 ** -len(w) for w in code) == pytest.approx(1.0)


def test_dyadic_code_lengths_are_minus_log2_q_so_extra_bits_are_exactly_kl():
    q = np.array([0.5, 0.25, 0.125, 0.125])
    p = np.array([0.1, 0.2, 0.3, 0.4])
    code = kb.huffman_code(q)
    assert [len(w) for w in code] == [1, 2, 3, 3]
    assert kb.expected_length(p, code) == pytest.approx(kb.cross_entropy(p, q, base=2))
    assert kb.expected_length(p, code) - kb.entropy(p, base=2) == pytest.approx(
        kb.kl_divergence(p, q, base=2)
    )


@given(distributions(min_size=1, max_size=6), st.lists(st.integers(0, 5), max_size=50))
def test_encode_decode_round_trip(q, symbols):
    symbols = [s % q.size for s in symbols]
    code = kb.huffman_code(q)
    assert kb.decode(kb.encode(symbols, code), code) == symbols


def test_block_distribution_is_the_product_and_its_entropy_adds():
    p = np.array([0.7, 0.2, 0.1])
    b = kb.block_distribution(p, 3)
    assert b.shape == (27,) and b.sum() == pytest.approx(1.0)
    assert b[1 * 9 + 0 * 3 + 2] == pytest.approx(0.2 * 0.7 * 0.1)
    assert kb.entropy(b) == pytest.approx(3 * kb.entropy(p))


def test_block_coding_closes_in_on_cross_entropy():
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.2, 0.3, 0.5])
    target = kb.cross_entropy(p, q, base=2)
    gaps = []
    for n in (1, 4, 8):
        code = kb.huffman_code(kb.block_distribution(q, n))
        per_symbol = kb.expected_length(kb.block_distribution(p, n), code) / n
        gaps.append(abs(per_symbol - target))
        assert per_symbol < target + 1 / n + 1e-9
    assert gaps[-1] < 0.05


def test_huffman_is_deterministic_on_ties():
    assert kb.huffman_code([0.25] * 4) == kb.huffman_code([0.25] * 4) == ["00", "01", "10", "11"]


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: kb.huffman_code([0.5, 0.6]), ValueError, "does not sum to 1"),
        (lambda: kb.huffman_code([[0.5, 0.5]]), ValueError, "1-D"),
        (lambda: kb.huffman_code([]), ValueError, "empty"),
        (lambda: kb.encode([0, 3], ["0", "1"]), ValueError, r"in \[0, 1\]"),
        (lambda: kb.encode([0.5], ["0", "1"]), TypeError, "integer"),
        (lambda: kb.encode([0], ["0", "2"]), ValueError, "'0' and '1'"),
        (lambda: kb.decode("1", ["0", "10"]), ValueError, "middle of a codeword"),
        (lambda: kb.decode("0a", ["0", "1"]), ValueError, "only '0' and '1'"),
        (lambda: kb.decode(101, ["0", "1"]), TypeError, "bits must be a string"),
        (lambda: kb.decode("01", ["0", "01", "1"]), ValueError, "not prefix-free: '0'"),
        (lambda: kb.expected_length([0.5, 0.5], ["0"]), ValueError, "1 codewords"),
        (lambda: kb.block_distribution([0.5, 0.5], 0), ValueError, "n must be >= 1"),
        (lambda: kb.block_distribution([0.5, 0.5], 30), ValueError, "too many"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_zero_probability_symbols_still_get_a_codeword():
    code = kb.huffman_code([0.5, 0.5, 0.0])
    assert all(code) and is_prefix_free(code)
    assert math.isfinite(kb.expected_length([0.0, 0.0, 1.0], code))


def test_a_single_symbol_gets_one_bit():
    # the only case where Huffman's L < H + 1 fails: H = 0 but a codeword needs one bit
    assert kb.huffman_code([1.0]) == ["0"]
    assert kb.expected_length([1.0], ["0"]) == 1.0 == kb.entropy([1.0], base=2) + 1


def test_a_huffman_code_used_under_another_distribution_has_no_one_bit_guarantee():
    # Huffman gives the rare symbol of q a 2-bit codeword although -log2 q = 5.6 bits:
    # coding p with it costs far less than H(p, q), so "extra bits = KL within 1 bit" fails.
    q, p = np.array([0.49, 0.49, 0.02]), np.array([0.0, 0.0, 1.0])
    code = kb.huffman_code(q)
    extra = kb.expected_length(p, code) - kb.expected_length(p, kb.huffman_code(p))
    assert kb.kl_divergence(p, q, base=2) - extra > 4
    # The Shannon code ceil(-log2 q) keeps H(p,q) <= E_p[length] < H(p,q) + 1 for any p.
    shannon = np.ceil(-np.log2(q))
    assert kb.cross_entropy(p, q, base=2) <= p @ shannon < kb.cross_entropy(p, q, base=2) + 1

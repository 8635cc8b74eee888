"""Tests for skxml.nn._attention: SimpleSelfAttention and the two product orders."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skxml.nn import SimpleSelfAttention
from skxml.nn._attention import attention_product


def _reference_attention(
    x: torch.Tensor, key: torch.Tensor, weight: torch.Tensor, gamma: float
) -> torch.Tensor:
    """o = γ·(x keyᵀ)(W x) + x written out with explicit sums (float64)."""
    gram = torch.einsum("bcn,bdn->bcd", x, key)
    value = torch.einsum("ec,bcn->ben", weight, x)
    return gamma * torch.einsum("bcd,bdn->bcn", gram, value) + x


@settings(max_examples=50, deadline=None)
@given(
    batch=st.integers(1, 3),
    n_channels=st.integers(1, 12),
    n_positions=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_attention_product_orders_agree(batch, n_channels, n_positions, seed):
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, n_channels, n_positions)
    query, key, value = (
        torch.randn(shape, generator=generator, dtype=torch.float64) for _ in range(3)
    )
    channel_first = attention_product(query, key, value, "channel")
    position_first = attention_product(query, key, value, "position")
    expected = (query @ key.transpose(1, 2)) @ value
    torch.testing.assert_close(channel_first, expected)
    torch.testing.assert_close(position_first, expected)


def test_attention_product_unknown_order_raises():
    x = torch.randn(1, 2, 3)
    with pytest.raises(ValueError, match="order must be 'channel' or 'position'"):
        attention_product(x, x, x, "auto")


@pytest.mark.parametrize(("n_channels", "n_positions"), [(32, 300), (300, 32), (7, 7)])
def test_simple_self_attention_orders_agree(n_channels, n_positions):
    modules = {
        order: SimpleSelfAttention(n_channels, product_order=order).double().eval()
        for order in ("auto", "channel", "position")
    }
    state = modules["auto"].state_dict()
    state["gamma"] = torch.tensor(0.7, dtype=torch.float64)
    for module in modules.values():
        module.load_state_dict(state)
    x = torch.randn(4, n_channels, n_positions, dtype=torch.float64)
    key = torch.randn(4, n_channels, n_positions, dtype=torch.float64)
    outputs = {order: module(x, key) for order, module in modules.items()}
    torch.testing.assert_close(outputs["channel"], outputs["position"])
    torch.testing.assert_close(outputs["auto"], outputs["channel"])
    assert not torch.allclose(outputs["auto"], x)


@pytest.mark.parametrize("spectral_norm", [True, False])
@pytest.mark.parametrize("use_key", [True, False])
def test_simple_self_attention_matches_reference(spectral_norm, use_key):
    attention = SimpleSelfAttention(5, spectral_norm=spectral_norm).double().eval()
    with torch.no_grad():
        attention.gamma.fill_(-0.3)
    x = torch.randn(3, 5, 9, dtype=torch.float64)
    key = torch.randn(3, 5, 9, dtype=torch.float64) if use_key else None
    weight = attention.value_conv.weight[:, :, 0].detach()
    expected = _reference_attention(x, x if key is None else key, weight, -0.3)
    torch.testing.assert_close(attention(x, key), expected)


@pytest.mark.parametrize("spectral_norm", [True, False])
@pytest.mark.parametrize("shape", [(2, 32, 300), (3, 300, 32), (1, 1, 1)])
def test_simple_self_attention_gamma_zero_is_identity(spectral_norm, shape):
    attention = SimpleSelfAttention(shape[1], spectral_norm=spectral_norm)
    assert attention.gamma.item() == 0.0
    x = torch.randn(shape)
    assert torch.equal(attention(x), x)
    assert torch.equal(attention(x, torch.randn(shape)), x)


@pytest.mark.parametrize(
    ("n_channels", "n_positions", "expected"),
    [(32, 300, "channel"), (300, 32, "position"), (16, 16, "channel")],
)
def test_resolve_product_order_picks_cheaper_order(n_channels, n_positions, expected):
    assert SimpleSelfAttention(n_channels).resolve_product_order(n_positions) == expected


@pytest.mark.parametrize("order", ["channel", "position"])
def test_resolve_product_order_fixed_order(order):
    attention = SimpleSelfAttention(300, product_order=order)
    assert attention.resolve_product_order(32) == order
    assert attention.resolve_product_order(3000) == order


def test_simple_self_attention_gamma_receives_gradient():
    attention = SimpleSelfAttention(6)
    x = torch.randn(2, 6, 10)
    attention(x).square().sum().backward()
    assert attention.gamma.grad is not None
    assert attention.gamma.grad.abs().item() > 0


@pytest.mark.parametrize(("spectral_norm", "n_parametrized"), [(True, 1), (False, 0)])
def test_simple_self_attention_spectral_norm(spectral_norm, n_parametrized):
    attention = SimpleSelfAttention(300, spectral_norm=spectral_norm).eval()
    parametrized = hasattr(attention.value_conv, "parametrizations")
    assert int(parametrized) == n_parametrized
    largest_singular_value = torch.linalg.matrix_norm(
        attention.value_conv.weight[:, :, 0].detach(), 2
    )
    if spectral_norm:
        assert float(largest_singular_value) == pytest.approx(1.0, abs=0.1)
    else:
        assert float(largest_singular_value) > 1.5  # Xavier-uniform 300×300: about 2
    n_parameters = sum(p.numel() for p in attention.parameters())
    assert n_parameters == 300 * 300 + 1


def test_simple_self_attention_pickle_round_trip():
    attention = SimpleSelfAttention(8)
    with torch.no_grad():
        attention.gamma.fill_(0.5)
    attention.value_conv.parametrizations.weight.original.requires_grad_(False)
    attention.eval()
    x = torch.randn(2, 8, 5)
    for restored in (pickle.loads(pickle.dumps(attention)), copy.deepcopy(attention)):
        assert isinstance(restored, SimpleSelfAttention)
        assert not restored.training
        assert not restored.value_conv.parametrizations.weight.original.requires_grad
        assert restored.gamma.requires_grad
        assert torch.equal(restored(x), attention(x))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_channels": 0}, "n_channels must be a positive int"),
        ({"n_channels": True}, "n_channels must be a positive int"),
        ({"n_channels": 2.0}, "n_channels must be a positive int"),
        ({"n_channels": 4, "product_order": "fast"}, "product_order must be one of"),
    ],
)
def test_simple_self_attention_invalid_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SimpleSelfAttention(**kwargs)


@pytest.mark.parametrize(
    ("x_shape", "key_shape", "match"),
    [
        ((2, 5, 7), None, r"x must have shape \(batch, 4, N\)"),
        ((4, 7), None, r"x must have shape \(batch, 4, N\)"),
        ((2, 4, 7), (2, 4, 6), r"key must have the shape of x \(2, 4, 7\)"),
    ],
)
def test_simple_self_attention_bad_input_raises(x_shape, key_shape, match):
    attention = SimpleSelfAttention(4)
    key = None if key_shape is None else torch.randn(key_shape)
    with pytest.raises(ValueError, match=match):
        attention(torch.randn(x_shape), key)

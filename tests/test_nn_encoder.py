"""Tests for skxml.nn._encoder: the InceptionXML encoder."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skxml.nn import InceptionXMLEncoder

N_TOKENS = 50


def _token_ids(batch: int, seq_len: int, n_tokens: int = N_TOKENS) -> torch.Tensor:
    ids = torch.randint(1, n_tokens, (batch, seq_len))
    lengths = torch.randint(1, seq_len + 1, (batch,))
    ids[torch.arange(seq_len)[None, :] >= lengths[:, None]] = 0
    return ids


def _n_parameters_without_embedding(encoder: torch.nn.Module) -> int:
    return sum(
        p.numel() for name, p in encoder.named_parameters() if not name.startswith("embedding.")
    )


def _expected_n_parameters(
    width,
    seq_len,
    *,
    embedding_dim=None,
    n_filters=32,
    kernel_sizes=(4, 8, 16),
    final_kernel_size=16,
    word_attention=True,
    embedding_attention=True,
):
    """Count by hand: weights + biases of each layer, 2 per channel for each BatchNorm."""
    count = 0
    if embedding_dim is not None:
        count += embedding_dim * width  # projection of the word vectors, no bias
    if word_attention:
        count += seq_len * seq_len + 1  # W (1×1 conv, no bias) and gamma
    if embedding_attention:
        count += width * width + 1
    count += seq_len * n_filters + n_filters + 2 * n_filters  # projection conv + BN
    count += sum(n_filters * n_filters * k + n_filters for k in kernel_sizes)
    count += 2 * len(kernel_sizes) * n_filters  # BN after the branches
    count += len(kernel_sizes) * n_filters * n_filters * final_kernel_size + n_filters
    count += 2 * n_filters  # final BN
    return count


def _circular_conv(x, conv, smallest_kernel):
    pad = (conv.kernel_size[0] - smallest_kernel) // 2
    if pad:
        x = torch.cat([x[..., -pad:], x, x[..., :pad]], dim=-1)
    return F.conv1d(x, conv.weight, conv.bias, stride=conv.stride[0])


def _batch_norm(x, bn):
    return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, eps=bn.eps)


def _reference_forward(encoder, token_ids):
    """The paper's layout written out layer by layer (eval mode, no dropout)."""
    x = encoder.embedding.weight[token_ids]
    if encoder.embedding_projection is not None:
        x = x @ encoder.embedding_projection.weight.T
    embeddings = x
    for attention, transposed in (
        (encoder.word_attention, False),
        (encoder.embedding_attention, True),
    ):
        query = x.transpose(1, 2) if transposed else x
        key = embeddings.transpose(1, 2) if transposed else x
        weight = attention.value_conv.weight[:, :, 0]
        out = attention.gamma * (query @ key.transpose(1, 2)) @ (weight @ query) + query
        x = out.transpose(1, 2) if transposed else out
    conv, _, bn, _ = encoder.projection
    x = _batch_norm(F.gelu(F.conv1d(x, conv.weight, conv.bias)), bn)
    smallest = min(encoder.kernel_sizes)
    x = torch.cat([_circular_conv(x, conv, smallest) for conv in encoder.branches], dim=1)
    x = _batch_norm(F.gelu(x), encoder.post_branches[1])
    conv, _, bn = encoder.final_convolution
    x = F.conv1d(x, conv.weight, conv.bias, stride=conv.stride[0])
    return _batch_norm(F.gelu(x), bn).flatten(1)


@pytest.mark.parametrize(
    ("width", "expected_branch_length", "expected_n_features"),
    [(300, 75, 480), (100, 25, 96), (64, 16, 32)],
)
@pytest.mark.parametrize("seq_len", [32, 16])
def test_encoder_output_shape(width, expected_branch_length, expected_n_features, seq_len):
    encoder = InceptionXMLEncoder(N_TOKENS, width, max_seq_len=seq_len)
    assert encoder.branch_length == expected_branch_length
    assert encoder.n_features_out == expected_n_features
    features = encoder(_token_ids(3, seq_len))
    assert features.shape == (3, expected_n_features)


def test_encoder_branch_lengths_at_300():
    encoder = InceptionXMLEncoder(N_TOKENS, 300)
    projected = torch.randn(2, 32, 300)
    assert [branch(projected).shape for branch in encoder.branches] == [(2, 32, 75)] * 3


@pytest.mark.parametrize("width", [50, 63])
def test_encoder_too_narrow_raises(width):
    with pytest.raises(ValueError, match=r"needs a width of at least 64\. Set model_dim"):
        InceptionXMLEncoder(N_TOKENS, width)


def test_encoder_too_narrow_model_dim_raises():
    with pytest.raises(ValueError, match=r"model_dim=60\).*at least 64"):
        InceptionXMLEncoder(N_TOKENS, 300, model_dim=60)


def test_encoder_projection_to_model_dim():
    encoder = InceptionXMLEncoder(N_TOKENS, 50, model_dim=128)
    assert encoder.model_dim == 128
    assert encoder.embedding.weight.shape == (N_TOKENS, 50)
    assert encoder.embedding_projection.weight.shape == (128, 50)
    assert encoder.embedding_projection.bias is None
    # branches: (128 - 4) // 4 + 1 = 32 positions; final: (32 - 16) // 4 + 1 = 5
    assert encoder.n_features_out == 32 * 5
    assert encoder(_token_ids(4, 32)).shape == (4, 160)
    assert _n_parameters_without_embedding(encoder) == _expected_n_parameters(
        128, 32, embedding_dim=50
    )


def test_encoder_parameter_count_paper_defaults():
    encoder = InceptionXMLEncoder(N_TOKENS, 300)
    assert _n_parameters_without_embedding(encoder) == 170_354
    assert _expected_n_parameters(300, 32) == 170_354
    # with the 480×480 residual layer of the head (+ its BatchNorm): the paper's "400K"
    assert 170_354 + 480 * 480 + 480 + 2 * 480 == pytest.approx(400_000, rel=0.01)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"width": 100, "seq_len": 16},
        {"width": 64, "seq_len": 8, "n_filters": 8},
        {"width": 40, "seq_len": 5, "kernel_sizes": (2, 4), "final_kernel_size": 4},
        {"width": 300, "seq_len": 32, "word_attention": False},
        {"width": 300, "seq_len": 32, "embedding_attention": False},
    ],
)
def test_encoder_parameter_count_matches_hand_count(kwargs):
    kwargs = dict(kwargs)
    width, seq_len = kwargs.pop("width"), kwargs.pop("seq_len")
    encoder = InceptionXMLEncoder(N_TOKENS, width, max_seq_len=seq_len, **kwargs)
    assert _n_parameters_without_embedding(encoder) == _expected_n_parameters(
        width, seq_len, **kwargs
    )


@pytest.mark.parametrize(
    ("word_attention", "embedding_attention", "n_removed"),
    [(False, True, 32 * 32 + 1), (True, False, 300 * 300 + 1), (False, False, 91_026)],
)
def test_encoder_ablation_removes_attention_parameters(
    word_attention, embedding_attention, n_removed
):
    full = InceptionXMLEncoder(N_TOKENS, 300)
    ablated = InceptionXMLEncoder(
        N_TOKENS, 300, word_attention=word_attention, embedding_attention=embedding_attention
    )
    assert (ablated.word_attention is None) is not word_attention
    assert (ablated.embedding_attention is None) is not embedding_attention
    assert (
        _n_parameters_without_embedding(full) - _n_parameters_without_embedding(ablated)
        == n_removed
    )
    assert ablated(_token_ids(2, 32)).shape == (2, 480)


@pytest.mark.parametrize("model_dim", [None, 96])
def test_encoder_matches_reference_layout(model_dim):
    encoder = InceptionXMLEncoder(N_TOKENS, 64, model_dim=model_dim, max_seq_len=12)
    encoder = encoder.double()
    with torch.no_grad():
        encoder.word_attention.gamma.fill_(0.05)
        encoder.embedding_attention.gamma.fill_(-0.02)
    token_ids = _token_ids(8, 12)
    encoder.train()
    encoder(token_ids)  # move BatchNorm running statistics away from (0, 1)
    encoder.eval()
    expected = _reference_forward(encoder, token_ids)
    torch.testing.assert_close(encoder(token_ids), expected)


def test_encoder_attention_is_identity_at_initialisation():
    with_attention = InceptionXMLEncoder(N_TOKENS, 100, max_seq_len=8).eval()
    without_attention = InceptionXMLEncoder(
        N_TOKENS, 100, max_seq_len=8, word_attention=False, embedding_attention=False
    ).eval()
    without_attention.load_state_dict(with_attention.state_dict(), strict=False)
    token_ids = _token_ids(4, 8)
    torch.testing.assert_close(with_attention(token_ids), without_attention(token_ids))


def test_encoder_eval_is_deterministic():
    encoder = InceptionXMLEncoder(N_TOKENS, 100, max_seq_len=8)
    token_ids = _token_ids(6, 8)
    encoder.train()
    first_train, second_train = encoder(token_ids), encoder(token_ids)
    assert not torch.equal(first_train, second_train)  # dropout is active in training
    encoder.eval()
    assert torch.equal(encoder(token_ids), encoder(token_ids))


def test_encoder_gradients_reach_embedding_and_gamma():
    encoder = InceptionXMLEncoder(N_TOKENS, 300).train()
    token_ids = _token_ids(8, 32)
    encoder(token_ids).square().mean().backward()
    for attention in (encoder.word_attention, encoder.embedding_attention):
        assert attention.gamma.grad is not None
        assert attention.gamma.grad.abs().item() > 0
    embedding_grad = encoder.embedding.weight.grad
    used = torch.unique(token_ids[token_ids > 0])
    assert embedding_grad[used].abs().sum(dim=1).gt(0).all()
    assert torch.count_nonzero(embedding_grad[0]) == 0
    unused = torch.ones(N_TOKENS, dtype=torch.bool)
    unused[used] = False
    unused[0] = False
    assert torch.count_nonzero(embedding_grad[unused]) == 0


def test_encoder_padding_row_stays_zero_after_training_steps():
    weights = np.random.default_rng(0).normal(size=(N_TOKENS, 64)).astype(np.float32)
    encoder = InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=8, embedding_weights=weights)
    assert torch.count_nonzero(encoder.embedding.weight[0]) == 0  # row 0 given non-zero
    optimizer = torch.optim.Adam(encoder.parameters(), lr=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        encoder(_token_ids(4, 8)).square().mean().backward()
        optimizer.step()
    assert torch.count_nonzero(encoder.embedding.weight[0]) == 0
    assert not torch.equal(encoder.embedding.weight[1:].detach(), torch.from_numpy(weights[1:]))


def test_encoder_random_embeddings_are_uniform_with_zero_padding():
    weight = InceptionXMLEncoder(1000, 64).embedding.weight.detach()
    assert torch.count_nonzero(weight[0]) == 0
    assert weight.abs().max() <= 0.25
    assert weight[1:].std().item() == pytest.approx(0.5 / np.sqrt(12), rel=0.05)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_encoder_pretrained_weights_are_copied(as_tensor):
    weights = np.random.default_rng(1).normal(size=(N_TOKENS, 64))
    given = torch.from_numpy(weights.copy()) if as_tensor else weights.copy()
    encoder = InceptionXMLEncoder(N_TOKENS, 64, embedding_weights=given)
    table = encoder.embedding.weight
    assert table.dtype == torch.float32
    np.testing.assert_allclose(table[1:].detach().numpy(), weights[1:], rtol=1e-6)
    with torch.no_grad():
        table.add_(1.0)
    np.testing.assert_array_equal(np.asarray(given), weights)  # the caller's array is intact


def test_encoder_freeze_embeddings():
    encoder = InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=8, freeze_embeddings=True)
    assert not encoder.embedding.weight.requires_grad
    encoder(_token_ids(4, 8)).sum().backward()
    assert encoder.embedding.weight.grad is None
    assert encoder.projection[0].weight.grad is not None


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (np.zeros((N_TOKENS, 65)), ValueError, r"shape \(n_tokens, embedding_dim\) = \(50, 64\)"),
        (np.full((N_TOKENS, 64), np.nan), ValueError, "must be finite"),
        ([[0.0] * 64] * N_TOKENS, TypeError, "torch.Tensor or a numpy.ndarray"),
        (np.array([["a"] * 64] * N_TOKENS), TypeError, "must hold numbers"),
    ],
)
def test_encoder_bad_embedding_weights_raise(weights, error, match):
    with pytest.raises(error, match=match):
        InceptionXMLEncoder(N_TOKENS, 64, embedding_weights=weights)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_tokens": 0}, "n_tokens must be a positive int"),
        ({"embedding_dim": 64.0}, "embedding_dim must be a positive int"),
        ({"model_dim": -1}, "model_dim must be a positive int"),
        ({"max_seq_len": 0}, "max_seq_len must be a positive int"),
        ({"n_filters": True}, "n_filters must be a positive int"),
        ({"stride": 0}, "stride must be a positive int"),
        ({"final_kernel_size": 0}, "final_kernel_size must be a positive int"),
        ({"dropout": 1.0}, r"dropout must be a float in \[0, 1\)"),
        ({"kernel_sizes": ()}, "kernel_sizes must be a non-empty sequence"),
        ({"kernel_sizes": 4}, "kernel_sizes must be a non-empty sequence"),
        ({"kernel_sizes": (4, 0)}, "each entry of kernel_sizes must be a positive int"),
        ({"kernel_sizes": (4, 7)}, "differ from the smallest one by an even number"),
        ({"kernel_sizes": (4, 200)}, "circular padding of 98 on each side"),
    ],
)
def test_encoder_invalid_parameters(kwargs, match):
    arguments = {"n_tokens": N_TOKENS, "embedding_dim": 64, **kwargs}
    with pytest.raises(ValueError, match=match):
        InceptionXMLEncoder(**arguments)


@pytest.mark.parametrize(
    ("token_ids", "error", "match"),
    [
        (torch.zeros(2, 7, dtype=torch.long), ValueError, r"shape \(batch, max_seq_len=8\)"),
        (torch.zeros(8, dtype=torch.long), ValueError, r"shape \(batch, max_seq_len=8\)"),
        (torch.zeros(2, 8), TypeError, "must hold integers"),
        (np.zeros((2, 8), dtype=np.int64), TypeError, "must be a torch.Tensor"),
        (torch.full((2, 8), N_TOKENS), ValueError, r"\[0, n_tokens=50\)"),
        (torch.full((2, 8), -1), ValueError, r"got values in \[-1, -1\]"),
    ],
)
def test_encoder_bad_token_ids_raise(token_ids, error, match):
    encoder = InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=8)
    with pytest.raises(error, match=match):
        encoder(token_ids)


def test_encoder_accepts_int32_token_ids():
    encoder = InceptionXMLEncoder(N_TOKENS, 64, max_seq_len=8).eval()
    token_ids = _token_ids(3, 8)
    torch.testing.assert_close(encoder(token_ids.int()), encoder(token_ids))


def test_encoder_pickle_and_deepcopy_round_trip():
    encoder = InceptionXMLEncoder(N_TOKENS, 50, model_dim=64, max_seq_len=8)
    with torch.no_grad():
        encoder.word_attention.gamma.fill_(0.1)
    encoder(_token_ids(4, 8))  # one training step's worth of BatchNorm/spectral-norm state
    encoder.eval()
    token_ids = _token_ids(5, 8)
    expected = encoder(token_ids)
    for restored in (pickle.loads(pickle.dumps(encoder)), copy.deepcopy(encoder)):
        assert not restored.training
        assert restored.n_features_out == encoder.n_features_out
        assert torch.equal(restored(token_ids), expected)

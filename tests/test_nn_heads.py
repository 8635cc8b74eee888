"""Tests for skxml.nn._heads: residual layer, dense head and shortlist head."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from skxml.nn import (
    PADDING_LOGIT,
    ExtremeClassifierHead,
    ResidualHead,
    ShortlistClassifierHead,
)


def _trained_batch_norm_state(head: torch.nn.Module, n_features: int) -> None:
    """One training-mode pass so BatchNorm's running statistics are not (0, 1)."""
    head.train()
    head.hidden(torch.randn(16, n_features, dtype=torch.float64) * 3 + 1)
    head.eval()


def _reference_residual(head: ResidualHead, h: torch.Tensor) -> torch.Tensor:
    _, linear, _, norm = head.residual
    out = F.gelu(h @ linear.weight.T + linear.bias)
    if isinstance(norm, torch.nn.BatchNorm1d):
        out = (out - norm.running_mean) / torch.sqrt(norm.running_var + norm.eps)
        out = out * norm.weight + norm.bias
    return out + h


def _dense_logits(head: ShortlistClassifierHead, h: torch.Tensor) -> torch.Tensor:
    """Reference: every label scored, ``g @ W_e.T + b``."""
    return head.embed(h) @ head.weight.T + head.bias


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("spectral_norm", [True, False])
def test_residual_head_matches_reference(batch_norm, spectral_norm):
    head = ResidualHead(12, spectral_norm=spectral_norm, batch_norm=batch_norm).double()
    head.train()
    head(torch.randn(16, 12, dtype=torch.float64) * 3 + 1)
    head.eval()
    h = torch.randn(5, 12, dtype=torch.float64)
    torch.testing.assert_close(head(h), _reference_residual(head, h))


@pytest.mark.parametrize(
    ("batch_norm", "expected"), [(True, 480 * 480 + 3 * 480), (False, 480 * 481)]
)
def test_residual_head_parameter_count(batch_norm, expected):
    head = ResidualHead(480, batch_norm=batch_norm)
    assert sum(p.numel() for p in head.parameters()) == expected


def test_residual_head_initialisation():
    head = ResidualHead(64)
    linear = head.residual[1]
    assert torch.count_nonzero(linear.bias) == 0
    bound = (6 / (64 + 64)) ** 0.5
    assert linear.weight.abs().max() <= bound
    assert linear.weight.std().item() == pytest.approx(bound / 3**0.5, rel=0.1)


@pytest.mark.parametrize("spectral_norm", [True, False])
def test_residual_head_spectral_norm(spectral_norm):
    head = ResidualHead(100, spectral_norm=spectral_norm).eval()
    linear = head.residual[1]
    assert hasattr(linear, "parametrizations") is spectral_norm
    sigma = torch.linalg.matrix_norm(linear.weight.detach(), 2).item()
    if spectral_norm:
        assert sigma == pytest.approx(1.0, abs=0.1)
    else:
        assert sigma > 1.5


def test_residual_head_bad_input_raises():
    head = ResidualHead(8)
    with pytest.raises(ValueError, match=r"h must be a tensor of shape \(batch, 8\)"):
        head(torch.randn(4, 9))
    with pytest.raises(ValueError, match=r"h must be a tensor of shape \(batch, 8\)"):
        head(torch.randn(8))


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (ResidualHead, {"n_features": 0}, "n_features must be a positive int"),
        (ResidualHead, {"n_features": 4, "dropout": -0.1}, "dropout must be a float"),
        (ExtremeClassifierHead, {"n_features": 4, "n_labels": 0}, "n_labels must be"),
        (
            ExtremeClassifierHead,
            {"n_features": 4, "n_labels": 3, "output_dropout": 1.5},
            "output_dropout must be a float",
        ),
        (
            ExtremeClassifierHead,
            {"n_features": 4, "n_labels": 3, "hidden_dropout": "0.1"},
            "dropout must be a float",
        ),
        (ShortlistClassifierHead, {"n_features": 4, "n_labels": -3}, "n_labels must be"),
        (ShortlistClassifierHead, {"n_features": 2.5, "n_labels": 3}, "n_features must be"),
    ],
)
def test_heads_invalid_parameters(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_extreme_classifier_head_matches_reference():
    head = ExtremeClassifierHead(10, 7).double()
    _trained_batch_norm_state(head, 10)
    h = torch.randn(4, 10, dtype=torch.float64)
    expected = _reference_residual(head.hidden, h) @ head.classifier.weight.T
    expected = expected + head.classifier.bias
    logits = head(h)
    assert logits.shape == (4, 7)
    torch.testing.assert_close(logits, expected)


def test_extreme_classifier_head_parameters_and_init():
    head = ExtremeClassifierHead(480, 1000, spectral_norm=True)
    n_parameters = sum(p.numel() for p in head.parameters())
    assert n_parameters == (480 * 480 + 3 * 480) + (480 * 1000 + 1000)
    assert torch.count_nonzero(head.classifier.bias) == 0
    assert head.classifier.weight.abs().max() <= (6 / 1480) ** 0.5
    assert hasattr(head.hidden.residual[1], "parametrizations")


def test_extreme_classifier_head_gradients_flow_to_input():
    head = ExtremeClassifierHead(8, 5).train()
    h = torch.randn(6, 8, requires_grad=True)
    F.binary_cross_entropy_with_logits(head(h), torch.ones(6, 5)).backward()
    assert h.grad is not None
    assert h.grad.abs().sum().item() > 0


@pytest.fixture
def shortlist_head() -> ShortlistClassifierHead:
    head = ShortlistClassifierHead(8, 40).double()
    with torch.no_grad():
        head.bias.copy_(torch.randn(40, dtype=torch.float64))
    _trained_batch_norm_state(head, 8)
    return head


def test_shortlist_head_score_shortlist_matches_dense(shortlist_head):
    h = torch.randn(3, 8, dtype=torch.float64)
    label_ids = torch.tensor([[0, 5, 39, 5], [7, 1, -1, -1], [-1, -1, -1, -1]])
    logits = shortlist_head.score_shortlist(h, label_ids)
    dense = _dense_logits(shortlist_head, h)
    valid = label_ids >= 0
    expected = torch.where(
        valid, dense.gather(1, label_ids.clamp(min=0)), torch.tensor(PADDING_LOGIT).double()
    )
    torch.testing.assert_close(logits, expected)
    assert torch.equal(shortlist_head(h, label_ids), logits)  # forward is score_shortlist


def test_shortlist_head_mask_marks_padding(shortlist_head):
    h = torch.randn(2, 8, dtype=torch.float64)
    label_ids = torch.tensor([[3, 4, 1000], [-5, 6, 7]])  # masked-out ids may be anything
    mask = torch.tensor([[True, True, False], [False, True, True]])
    logits = shortlist_head.score_shortlist(h, label_ids, mask)
    dense = _dense_logits(shortlist_head, h)
    assert torch.equal(logits[~mask], torch.full((2,), PADDING_LOGIT, dtype=torch.float64))
    torch.testing.assert_close(logits[0, :2], dense[0, [3, 4]])
    torch.testing.assert_close(logits[1, 1:], dense[1, [6, 7]])


def test_shortlist_head_score_union_matches_dense(shortlist_head):
    h = torch.randn(5, 8, dtype=torch.float64)
    label_ids = torch.tensor([39, 2, 17, 0, 2])
    logits = shortlist_head.score_union(h, label_ids)
    assert logits.shape == (5, 5)
    torch.testing.assert_close(logits, _dense_logits(shortlist_head, h)[:, label_ids])


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(1, 5),
    n_shortlisted=st.integers(1, 12),
    n_labels=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
def test_shortlist_head_scoring_methods_agree(batch, n_shortlisted, n_labels, seed):
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    head = ShortlistClassifierHead(6, n_labels).double().eval()
    h = torch.randn(batch, 6, generator=generator, dtype=torch.float64)
    label_ids = torch.randint(0, n_labels, (batch, n_shortlisted), generator=generator)
    padded = torch.rand(batch, n_shortlisted, generator=generator) < 0.3
    label_ids[padded] = -1
    union, inverse = torch.unique(label_ids.clamp(min=0), return_inverse=True)
    from_union = head.score_union(h, union).gather(1, inverse)
    from_shortlist = head.score_shortlist(h, label_ids)
    torch.testing.assert_close(from_shortlist[~padded], from_union[~padded])
    assert torch.all(from_shortlist[padded] == PADDING_LOGIT)


def test_shortlist_head_padding_gets_no_gradient_and_no_loss():
    head = ShortlistClassifierHead(8, 20).train()
    h = torch.randn(4, 8)
    label_ids = torch.tensor([[3, -1, -1], [4, 5, -1], [-1, -1, -1], [3, 9, -1]])
    logits = head.score_shortlist(h, label_ids)
    targets = (label_ids == 3).float()
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    assert torch.all(loss[label_ids < 0] == 0)
    loss.sum().backward()
    rows_with_gradient = head.weight.grad.abs().sum(dim=1).nonzero().flatten()
    assert rows_with_gradient.tolist() == [3, 4, 5, 9]
    assert head.bias.grad.nonzero().flatten().tolist() == [3, 4, 5, 9]


def test_shortlist_head_detached_input_trains_head_only():
    head = ShortlistClassifierHead(8, 20).train()
    h = torch.randn(4, 8, requires_grad=True)
    head.score_shortlist(h.detach(), torch.randint(0, 20, (4, 5))).sum().backward()
    assert h.grad is None
    assert head.weight.grad is not None


def test_shortlist_head_initialisation():
    head = ShortlistClassifierHead(480, 1000)
    assert torch.count_nonzero(head.bias) == 0
    assert head.weight.abs().max() <= (6 / 1480) ** 0.5
    assert hasattr(head.hidden.residual[1], "parametrizations")  # spectral norm by default


@pytest.mark.parametrize(
    ("label_ids", "mask", "error", "match"),
    [
        (torch.zeros(3, 4), None, TypeError, "label_ids must be an int64"),
        (torch.zeros(2, 4, dtype=torch.long), None, ValueError, r"shape \(batch=3, K\)"),
        (torch.zeros(3, dtype=torch.long), None, ValueError, r"shape \(batch=3, K\)"),
        (torch.full((3, 4), 20), None, ValueError, r"\[0, n_labels=20\)"),
        (
            torch.zeros(3, 4, dtype=torch.long),
            torch.ones(3, 4),
            TypeError,
            "mask must be a bool tensor",
        ),
        (
            torch.zeros(3, 4, dtype=torch.long),
            torch.ones(3, 5, dtype=torch.bool),
            ValueError,
            "mask must have the shape of label_ids",
        ),
        (
            torch.full((3, 4), -1),
            torch.ones(3, 4, dtype=torch.bool),
            ValueError,
            r"got values in \[-1, -1\]",
        ),
    ],
)
def test_shortlist_head_score_shortlist_bad_input_raises(label_ids, mask, error, match):
    head = ShortlistClassifierHead(8, 20)
    with pytest.raises(error, match=match):
        head.score_shortlist(torch.randn(3, 8), label_ids, mask)


@pytest.mark.parametrize(
    ("label_ids", "error", "match"),
    [
        (torch.zeros(2, 2, dtype=torch.long), ValueError, "label_ids must be 1-D"),
        (torch.tensor([0.0, 1.0]), TypeError, "label_ids must be an int64"),
        (torch.tensor([3, 20]), ValueError, r"\[0, n_labels=20\)"),
        (torch.tensor([-1, 2]), ValueError, r"\[0, n_labels=20\)"),
    ],
)
def test_shortlist_head_score_union_bad_input_raises(label_ids, error, match):
    head = ShortlistClassifierHead(8, 20)
    with pytest.raises(error, match=match):
        head.score_union(torch.randn(3, 8), label_ids)


def test_shortlist_head_wrong_feature_width_raises():
    head = ShortlistClassifierHead(8, 20)
    with pytest.raises(ValueError, match=r"h must be a tensor of shape \(batch, 8\)"):
        head.score_union(torch.randn(3, 7), torch.tensor([1]))


@pytest.mark.parametrize("cls", [ExtremeClassifierHead, ShortlistClassifierHead])
def test_heads_pickle_and_deepcopy_round_trip(cls):
    head = cls(8, 20, spectral_norm=True)
    head.train()
    head.hidden(torch.randn(6, 8))
    head.eval()
    h = torch.randn(3, 8)
    label_ids = torch.tensor([1, 4, 19])

    def scores(module):
        return module(h) if cls is ExtremeClassifierHead else module.score_union(h, label_ids)

    expected = scores(head)
    for restored in (pickle.loads(pickle.dumps(head)), copy.deepcopy(head)):
        assert not restored.training
        assert torch.equal(scores(restored), expected)


def _small_plus_network(sparse_gradients: bool):
    import scipy.sparse as sp

    from skxml.nn import InceptionXMLEncoder, InceptionXMLPlusNetwork, SparseLinearHead

    torch.manual_seed(0)
    encoder = InceptionXMLEncoder(50, 64, max_seq_len=8)
    n_features = encoder.n_features_out
    extreme = ShortlistClassifierHead(n_features, 10, sparse_gradients=sparse_gradients)
    support = sp.random(20, 10, density=0.3, format="csr", random_state=0)
    linear = SparseLinearHead(support)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(linear.n_weights))
    clusters = torch.tensor([[0, 1, 2], [3, 4, 5], [6, 7, -1], [8, 9, -1]])
    network = InceptionXMLPlusNetwork(
        encoder, ExtremeClassifierHead(n_features, 4), extreme, clusters, sparse_linear=linear
    ).double()
    bag_matrix = sp.random(3, 20, density=0.3, format="csr", random_state=1)
    bag = (
        torch.from_numpy(bag_matrix.indices.astype("int64")),
        torch.from_numpy(bag_matrix.indptr[:-1].astype("int64")),
        torch.from_numpy(bag_matrix.data.astype("float64")),
    )
    return network, bag


@pytest.mark.parametrize("sparse_gradients", [False, True])
def test_plus_network_union_scoring_equals_gathering(sparse_gradients):
    network, bag = _small_plus_network(sparse_gradients)
    network.eval()
    extreme, linear = network.extreme_head, network.sparse_linear
    h = network.features(torch.randint(0, 50, (3, 8)))
    label_ids, mask = network.shortlist(torch.randn(3, 4, dtype=torch.float64), 2)
    logits = network.extreme_logits(h, label_ids, mask, bag)
    expected = extreme.score_shortlist(h, label_ids, mask) + torch.gather(
        linear(*bag), 1, label_ids.clamp(min=0)
    ).masked_fill(~mask, 0.0)
    torch.testing.assert_close(logits[mask], expected[mask])
    assert torch.all(logits[~mask] == PADDING_LOGIT)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(0, 6), st.integers(0, 12)),
    n_labels=st.integers(1, 200),
    seed=st.integers(0, 2**16),
)
def test_distinct_labels_equals_torch_unique(shape, n_labels, seed):
    from skxml.nn._plus_network import distinct_labels

    # Few ids against up to 200 labels: both the mark-table path and torch.unique's.
    generator = torch.Generator().manual_seed(seed)
    label_ids = torch.randint(0, n_labels, shape, generator=generator)
    union, position = distinct_labels(label_ids, n_labels)
    expected_union, expected_position = torch.unique(label_ids, return_inverse=True)
    assert torch.equal(union, expected_union)
    assert torch.equal(position, expected_position.view(shape))
    assert union.dtype == position.dtype == torch.int64


def test_distinct_labels_hand_computed():
    from skxml.nn._plus_network import distinct_labels

    union, position = distinct_labels(torch.tensor([[4, 1, 4], [0, 1, 1]]), 5)
    assert union.tolist() == [0, 1, 4]
    assert position.tolist() == [[2, 1, 2], [0, 1, 1]]


def _extreme_logits_and_gradients(network, bag, h, label_ids, mask):
    network.zero_grad(set_to_none=True)
    h = h.clone().requires_grad_(True)
    logits = network.extreme_logits(h, label_ids, mask, bag)
    # A loss that weighs every real slot differently, so a misplaced gradient shows.
    slot_weights = torch.arange(1, logits.numel() + 1, dtype=logits.dtype).view(logits.shape)
    (logits.masked_fill(~mask, 0.0) * slot_weights).sum().backward()
    extreme, linear = network.extreme_head, network.sparse_linear
    grads = [g.to_dense() for g in (extreme.weight.grad, extreme.bias.grad, linear.weight.grad)]
    return logits.detach(), grads, h.grad


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_plus_network_scoring_every_label_equals_the_union(monkeypatch, share):
    """The whole-table product (taken when the shortlists cover most labels) gives the union
    path's logits and gradients; ``share`` 0 forces it, 1 is reached with these shortlists."""
    from skxml.nn import _plus_network

    network, bag = _small_plus_network(sparse_gradients=False)
    network.eval()  # no dropout: both passes see the same g
    h = network.features(torch.randint(0, 50, (3, 8))).detach()
    # Every cluster shortlisted by some text: the union is all 10 labels.
    meta_logits = torch.tensor([[3.0, 2, 1, 0], [0, 1, 3, 2], [3, 2, 1, 0]])
    label_ids, mask = network.shortlist(meta_logits, 2)
    assert torch.unique(label_ids[mask]).numel() == 10
    calls = []
    score_all = network.extreme_head.score_all
    monkeypatch.setattr(
        network.extreme_head, "score_all", lambda h: calls.append(1) or score_all(h)
    )
    monkeypatch.setattr(_plus_network, "_SCORE_EVERY_LABEL_SHARE", share)
    every = _extreme_logits_and_gradients(network, bag, h, label_ids, mask)
    assert len(calls) == 1
    monkeypatch.setattr(_plus_network, "_SCORE_EVERY_LABEL_SHARE", 1.01)  # never reached
    union = _extreme_logits_and_gradients(network, bag, h, label_ids, mask)
    assert len(calls) == 1
    torch.testing.assert_close(every[0], union[0])
    assert torch.all(every[0][~mask] == PADDING_LOGIT)
    for every_grad, union_grad in zip(every[1], union[1], strict=True):
        torch.testing.assert_close(every_grad, union_grad)
    torch.testing.assert_close(every[2], union[2])
    # Labels outside every shortlist get no gradient either way.
    assert torch.count_nonzero(every[1][0].abs().sum(1)) == 10


@pytest.mark.parametrize(
    ("sparse_gradients", "scores", "n_shortlist", "expected"),
    [
        # 3 texts × 2 of 4 clusters, all 10 labels covered: every label is scored.
        (False, [[3.0, 2, 1, 0], [0, 1, 3, 2], [3.0, 2, 1, 0]], 2, True),
        # Clusters 0 and 1 only: 6 of the 10 labels, 60 %, enough.
        (False, [[3.0, 2, 1, 0]] * 3, 2, True),
        # One cluster of 3 labels: 30 % of them, the union path.
        (False, [[3.0, 2, 1, 0]] * 3, 1, False),
        # Sparse gradients keep the union path whatever the coverage.
        (True, [[3.0, 2, 1, 0], [0, 1, 3, 2], [3.0, 2, 1, 0]], 2, False),
    ],
)
def test_plus_network_scores_every_label_only_when_the_shortlists_cover_most(
    monkeypatch, sparse_gradients, scores, n_shortlist, expected
):
    network, bag = _small_plus_network(sparse_gradients=sparse_gradients)
    network.eval()
    h = network.features(torch.randint(0, 50, (3, 8)))
    label_ids, mask = network.shortlist(torch.tensor(scores), n_shortlist)
    calls = []
    score_all = network.extreme_head.score_all
    monkeypatch.setattr(
        network.extreme_head, "score_all", lambda h: calls.append(1) or score_all(h)
    )
    network.extreme_logits(h, label_ids, mask, bag)
    assert bool(calls) is expected


def test_label_presence_and_distinct_labels_given_it():
    from skxml.nn._plus_network import distinct_labels, label_presence

    label_ids = torch.tensor([[4, 1, 4], [0, 1, 1]])
    present = label_presence(label_ids, 6)
    assert present.tolist() == [True, True, False, False, True, False]
    union, position = distinct_labels(label_ids, 6, present)
    assert union.tolist() == [0, 1, 4]
    assert position.tolist() == [[2, 1, 2], [0, 1, 1]]

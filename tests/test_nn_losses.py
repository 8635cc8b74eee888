"""hard_negative_bce: hand-computed values, its limits, and the estimator's use of it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _toy_data import LABELS, TEXTS
from torch import nn

from skxml import InceptionXMLClassifier
from skxml.datasets import load_debian_tags
from skxml.models._inception_xml import resolve_hard_negatives
from skxml.nn import hard_negative_bce, sparse_target_bce


def _bce(logit: float, target: float) -> float:
    return -(
        target * math.log(1 / (1 + math.exp(-logit)))
        + (1 - target) * math.log(1 - 1 / (1 + math.exp(-logit)))
    )


def test_hand_computed_weights():
    logits = torch.tensor([[3.0, 0.5, -1.0, 2.0, -2.0], [0.0, 1.0, 4.0, -1.0, 0.2]])
    targets = torch.tensor([[1.0, 0, 0, 0, 0], [0, 0, 1.0, 0, 1.0]])
    # Row 0: hardest 2 negatives are labels 3 (2.0) and 1 (0.5); easy: 2 and 4.
    # Row 1: negatives 0 (0.0), 1 (1.0), 3 (-1.0): hardest 2 are 1 and 0; easy: 3.
    w = 0.1
    terms = [
        (1, _bce(3.0, 1)), (1, _bce(0.5, 0)), (w, _bce(-1.0, 0)), (1, _bce(2.0, 0)),
        (w, _bce(-2.0, 0)),
        (1, _bce(0.0, 0)), (1, _bce(1.0, 0)), (1, _bce(4.0, 1)), (w, _bce(-1.0, 0)),
        (1, _bce(0.2, 1)),
    ]  # fmt: skip
    expected = sum(a * b for a, b in terms) / sum(a for a, _ in terms)
    loss = hard_negative_bce(logits, targets, n_hard=2, easy_weight=w)
    assert float(loss) == pytest.approx(expected, rel=1e-6)


def test_limits_are_plain_bce_and_gradients_skip_easy_negatives():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 30, generator=generator, requires_grad=True)
    targets = (torch.rand(6, 30, generator=generator) < 0.1).float()
    plain = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets)
    for n_hard in (30, 1000):
        assert torch.equal(hard_negative_bce(logits, targets, n_hard=n_hard), plain)
    # easy_weight=1: every label weighs 1 whatever n_hard, i.e. plain BCE again.
    torch.testing.assert_close(hard_negative_bce(logits, targets, n_hard=3, easy_weight=1), plain)
    # easy_weight=0: exactly the positives and 3 negatives per row get a gradient.
    hard_negative_bce(logits, targets, n_hard=3, easy_weight=0).backward()
    with_gradient = logits.grad != 0
    assert torch.equal(with_gradient.sum(dim=1), targets.sum(dim=1).long() + 3)
    assert bool(with_gradient[targets > 0].all())


def test_masked_entries_weigh_nothing_and_are_never_hardest():
    logits = torch.tensor([[3.0, 0.5, -1.0, 2.0, -2.0]], requires_grad=True)
    targets = torch.tensor([[1.0, 0, 0, 0, 0]])
    mask = torch.tensor([[True, True, True, False, True]])  # label 3 (2.0) is padding
    # Hardest negative among the real ones: label 1 (0.5); easy: labels 2 and 4.
    w = 0.1
    terms = [(1, _bce(3.0, 1)), (1, _bce(0.5, 0)), (w, _bce(-1.0, 0)), (w, _bce(-2.0, 0))]
    expected = sum(a * b for a, b in terms) / sum(a for a, _ in terms)
    loss = hard_negative_bce(logits, targets, n_hard=1, easy_weight=w, mask=mask)
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-6)
    loss.backward()
    assert float(logits.grad[0, 3]) == 0.0 and bool((logits.grad[0, [0, 1, 2, 4]] != 0).all())


def test_masked_loss_with_every_negative_hard_is_the_mean_over_the_mask():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 12, generator=generator)
    targets = (torch.rand(4, 12, generator=generator) < 0.2).float()
    mask = torch.rand(4, 12, generator=generator) < 0.7
    losses = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    expected = losses[mask].mean()
    for n_hard in (12, 100):
        loss = hard_negative_bce(logits, targets, n_hard=n_hard, mask=mask)
        torch.testing.assert_close(loss, expected)
    # More hard negatives than a row has real ones: every real negative at full weight.
    torch.testing.assert_close(hard_negative_bce(logits, targets, 11, mask=mask), expected)
    with pytest.raises(ValueError, match="mask must have the shape of logits"):
        hard_negative_bce(logits, targets, n_hard=2, mask=mask[:, :5])


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8, torch.bool])
@pytest.mark.parametrize("n_hard", [1, 4])
def test_integer_and_bool_targets_give_the_float_targets_loss(dtype, n_hard):
    logits = torch.tensor([[2.0, 1.0, -1.0, -3.0], [0.5, -0.5, 1.5, 0.0]], requires_grad=True)
    targets = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0]])
    expected = hard_negative_bce(logits, targets, n_hard=n_hard)
    (expected_grad,) = torch.autograd.grad(expected, logits)
    got = hard_negative_bce(logits, targets.to(dtype), n_hard=n_hard)
    (got_grad,) = torch.autograd.grad(got, logits)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(got_grad, expected_grad)


def test_integer_targets_other_than_0_and_1_are_refused():
    with pytest.raises(ValueError, match=r"integers must be 0 or 1, got values in \[0, 2\]"):
        hard_negative_bce(torch.zeros(1, 3), torch.tensor([[0, 2, 1]]), n_hard=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_hard": -1}, "n_hard must be >= 0"),
        ({"n_hard": 2, "easy_weight": 1.5}, r"easy_weight must lie in \[0, 1\]"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    logits = torch.zeros(2, 4)
    with pytest.raises(ValueError, match=message):
        hard_negative_bce(logits, torch.zeros(2, 4), **kwargs)
    with pytest.raises(ValueError, match=r"shape \(batch, n_labels\)"):
        hard_negative_bce(logits, torch.zeros(2, 5), n_hard=1)


@pytest.mark.parametrize(
    ("hard_negatives", "n_labels", "expected"),
    [("auto", 5, 128), ("auto", 2560, 128), ("auto", 2561, 129), ("auto", 670_091, 33_505),
     (None, 595, 595), (0, 595, 0), (40, 595, 40)],
)  # fmt: skip
def test_resolved_number_of_hard_negatives(hard_negatives, n_labels, expected):
    assert resolve_hard_negatives(hard_negatives, n_labels) == expected


FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=8, n_epochs=3, random_state=0)


def test_estimator_with_many_hard_negatives_trains_with_plain_bce():
    # 5 labels: "auto" (128) and None both mean every negative at full weight.
    auto = InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS)
    plain = InceptionXMLClassifier(**FAST, hard_negatives=None).fit(TEXTS, LABELS)
    assert auto.n_hard_negatives_ == 128 and plain.n_hard_negatives_ == len(plain.classes_)
    np.testing.assert_array_equal(
        auto.decision_function(TEXTS).toarray(), plain.decision_function(TEXTS).toarray()
    )
    assert [h["loss"] for h in auto.history_] == [h["loss"] for h in plain.history_]


def test_estimator_uses_the_hard_negative_loss():
    params = {**FAST, "n_epochs": 15}
    fitted = InceptionXMLClassifier(**params, hard_negatives=2, easy_negative_weight=0.0)
    fitted.fit(TEXTS, LABELS)
    plain = InceptionXMLClassifier(**params, hard_negatives=None).fit(TEXTS, LABELS)
    assert fitted.n_hard_negatives_ == 2
    assert fitted.history_[0]["loss"] != plain.history_[0]["loss"]
    # Still learns the toy task: each text's best label is one of its own.
    predicted = fitted.predict_labels(TEXTS[:8], k=1)
    assert all(best in truth for (best,), truth in zip(predicted, LABELS[:8], strict=True))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"hard_negatives": -1}, "hard_negatives"),
        ({"hard_negatives": "all"}, "hard_negatives"),
        ({"hard_negatives": 2.5}, "hard_negatives"),
        ({"easy_negative_weight": 1.5}, "easy_negative_weight"),
        ({"easy_negative_weight": -0.1}, "easy_negative_weight"),
    ],
)
def test_bad_hard_negative_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        InceptionXMLClassifier(**FAST, **params).fit(TEXTS, LABELS)


# ---------------------------------------------------------------- sparse_target_bce
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_sparse_target_bce_equals_dense_bce_in_value_and_gradient(dtype):
    generator = torch.Generator().manual_seed(0)
    logits = (4 * torch.randn(6, 50, generator=generator)).to(dtype).requires_grad_()
    rows = torch.tensor([0, 0, 2, 5, 5, 5])
    columns = torch.tensor([3, 49, 0, 7, 8, 30])
    targets = torch.zeros(6, 50)
    targets[rows, columns] = 1.0
    dense = nn.functional.binary_cross_entropy_with_logits(logits.float(), targets)
    (dense_grad,) = torch.autograd.grad(dense, logits)
    sparse = sparse_target_bce(logits, rows, columns)
    (sparse_grad,) = torch.autograd.grad(sparse, logits)
    assert sparse.dtype == torch.float32
    torch.testing.assert_close(sparse, dense)
    assert sparse_grad.dtype == dtype
    tolerance = {"atol": 1e-9, "rtol": 1e-5} if dtype == torch.float32 else {}
    torch.testing.assert_close(sparse_grad, dense_grad, **tolerance)


def test_sparse_target_bce_without_positives_is_mean_softplus():
    logits = torch.tensor([[0.0, 1.0], [-1.0, 2.0]])
    empty = torch.zeros(0, dtype=torch.int64)
    expected = nn.functional.softplus(logits).mean()
    torch.testing.assert_close(sparse_target_bce(logits, empty, empty), expected)


def test_sparse_target_bce_rejects_bad_shapes():
    with pytest.raises(ValueError, match="logits must have shape"):
        sparse_target_bce(torch.zeros(3), torch.zeros(0, dtype=torch.int64), torch.zeros(0))
    with pytest.raises(ValueError, match="rows and columns"):
        sparse_target_bce(torch.zeros(2, 3), torch.tensor([0]), torch.tensor([0, 1]))


def test_plain_bce_fit_uses_index_targets_and_matches_dense_targets():
    X, Y = load_debian_tags(subset="train", return_X_y=True)
    X, Y = X[:300], Y[:300]
    clf = InceptionXMLClassifier(hard_negatives=None, n_epochs=1, batch_size=64, random_state=0)
    clf.fit(X, Y)
    targets = clf._batch_targets(Y.tocsr(), np.arange(4), torch.device("cpu"))
    assert isinstance(targets, tuple)
    dense = torch.zeros(4, Y.shape[1])
    dense[targets] = 1.0
    np.testing.assert_array_equal(dense.numpy(), Y[:4].toarray())
    tokens, bag = clf._prepare_text_features(X[:4])
    from skxml._sparse_rows import _csr_rows_to_bag

    clf.network_.eval()
    with torch.no_grad():
        bag_batch = _csr_rows_to_bag(bag, slice(None), torch.device("cpu"))
        logits = clf.network_(torch.from_numpy(tokens), bag_batch)
        torch.testing.assert_close(
            clf._batch_loss(torch.from_numpy(tokens), bag_batch, targets),
            nn.functional.binary_cross_entropy_with_logits(logits, dense),
        )


def test_sparse_target_bce_of_an_empty_batch_is_zero_not_nan():
    logits = torch.randn(0, 3, requires_grad=True)
    none = torch.tensor([], dtype=torch.long)
    loss = sparse_target_bce(logits, none, none)
    assert loss.item() == 0.0
    loss.backward()
    assert logits.grad.shape == (0, 3)

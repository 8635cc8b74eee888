"""propensity_weighting: per-label weights of the positives in the training loss, from the
weights themselves (skxml._label_weights) through the losses to both estimators."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import torch
from _toy_data import LABELS, TEXTS
from torch import nn

import skxml.models._inception_xml as inception_xml_module
import skxml.models._inception_xml_plus as inception_xml_plus_module
from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml._label_weights import propensity_positive_weights
from skxml.nn import hard_negative_bce, sparse_target_bce

FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=8, n_epochs=3, random_state=0)
# The toy labels with a rare one added: the toy's own four have equal counts (equal weights).
SKEWED = [[*labels, "dessert"] if row in (0, 2) else labels for row, labels in enumerate(LABELS)]


# ---------------------------------------------------------------- the weights
def test_weights_are_inverse_propensities_to_the_power_with_mean_one_over_positives():
    counts = np.array([90, 9, 1, 0])
    weights = propensity_positive_weights(counts, n_samples=100, power=0.5)
    # By hand: 1/p_l = 1 + (ln 100 - 1)·2.5^0.55·(N_l + 1.5)^-0.55
    spread = (math.log(100) - 1) * 2.5**0.55
    inverse = [1 + spread * (n + 1.5) ** -0.55 for n in counts]
    raw = [value**0.5 for value in inverse]
    scale = (90 + 9 + 1) / (90 * raw[0] + 9 * raw[1] + 1 * raw[2])
    np.testing.assert_allclose(weights, [value * scale for value in raw], rtol=1e-12)
    assert weights @ counts == pytest.approx(counts.sum())
    # Rarer labels weigh more; a label never seen gets a weight too (never read).
    assert np.all(np.diff(weights) > 0)


@pytest.mark.parametrize(
    ("counts", "n_samples", "power"),
    [([5, 3], 10, 0.0), ([0, 0], 10, 1.0), ([2, 1], 2, 1.0)],
    ids=["power 0", "no positive", "2 samples"],
)
def test_no_weights_when_every_positive_weighs_the_same(counts, n_samples, power):
    assert propensity_positive_weights(np.array(counts), n_samples, power) is None


# ---------------------------------------------------------------- the losses
def _weighted_bce(logits, targets, weights):
    losses = nn.functional.binary_cross_entropy_with_logits(
        logits, targets, weight=weights, reduction="sum"
    )
    return losses / weights.sum()


def test_hard_negative_bce_weighs_positives_per_label_and_per_entry():
    logits = torch.tensor([[3.0, 0.5, -1.0, 2.0], [0.0, 1.0, 4.0, -1.0]])
    targets = torch.tensor([[1.0, 0, 0, 0], [0, 0, 1.0, 1.0]])
    per_label = torch.tensor([2.0, 7.0, 0.5, 3.0])  # 7.0 is never a positive: never read
    # n_hard=1, easy 0.1: row 0's hardest negative is label 3 (2.0), row 1's label 1 (1.0).
    expected_weights = torch.tensor([[2.0, 0.1, 0.1, 1.0], [0.1, 1.0, 0.5, 3.0]])
    expected = _weighted_bce(logits, targets, expected_weights)
    loss = hard_negative_bce(logits, targets, 1, easy_weight=0.1, positive_weight=per_label)
    torch.testing.assert_close(loss, expected)
    per_entry = per_label.expand(2, 4)
    torch.testing.assert_close(
        hard_negative_bce(logits, targets, 1, easy_weight=0.1, positive_weight=per_entry),
        expected,
    )
    # Every negative hard (plain BCE): all negatives at 1, positives at their weight.
    all_hard = torch.where(targets > 0, per_label.expand(2, 4), torch.ones(2, 4))
    torch.testing.assert_close(
        hard_negative_bce(logits, targets, 4, positive_weight=per_label),
        _weighted_bce(logits, targets, all_hard),
    )
    # With a mask: masked entries weigh nothing, positive or not.
    mask = torch.tensor([[True, True, True, True], [True, True, True, False]])
    torch.testing.assert_close(
        hard_negative_bce(logits, targets, 4, mask=mask, positive_weight=per_label),
        _weighted_bce(logits, targets, all_hard * mask),
    )


def test_hard_negative_bce_with_unit_weights_is_the_unweighted_loss():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 20, generator=generator)
    targets = (torch.rand(5, 20, generator=generator) < 0.2).float()
    ones = torch.ones(20)
    for n_hard in (3, 20):
        torch.testing.assert_close(
            hard_negative_bce(logits, targets, n_hard, positive_weight=ones),
            hard_negative_bce(logits, targets, n_hard),
        )


def test_hard_negative_bce_refuses_a_positive_weight_of_another_shape():
    with pytest.raises(ValueError, match=r"positive_weight must have shape \(n_labels,\)"):
        hard_negative_bce(torch.zeros(2, 4), torch.zeros(2, 4), 1, positive_weight=torch.ones(3))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_weighted_sparse_target_bce_equals_dense_weighted_bce_and_its_gradient(dtype):
    generator = torch.Generator().manual_seed(0)
    logits = (4 * torch.randn(6, 50, generator=generator)).to(dtype).requires_grad_()
    rows = torch.tensor([0, 0, 2, 5, 5, 5])
    columns = torch.tensor([3, 49, 0, 7, 8, 30])
    pair_weights = torch.tensor([0.5, 2.0, 1.0, 4.0, 0.25, 1.5])
    targets, weights = torch.zeros(6, 50), torch.ones(6, 50)
    targets[rows, columns] = 1.0
    weights[rows, columns] = pair_weights
    dense = _weighted_bce(logits.float(), targets, weights)
    (dense_grad,) = torch.autograd.grad(dense, logits)
    sparse = sparse_target_bce(logits, rows, columns, pair_weights)
    (sparse_grad,) = torch.autograd.grad(sparse, logits)
    torch.testing.assert_close(sparse, dense)
    assert sparse_grad.dtype == dtype
    tolerance = {"atol": 1e-9, "rtol": 1e-5} if dtype == torch.float32 else {}
    torch.testing.assert_close(sparse_grad, dense_grad, **tolerance)


def test_sparse_target_bce_refuses_a_weight_per_label():
    with pytest.raises(ValueError, match=r"one weight per positive, shape \(2,\)"):
        sparse_target_bce(
            torch.zeros(2, 3), torch.tensor([0, 1]), torch.tensor([0, 2]), torch.ones(3)
        )


# ---------------------------------------------------------------- the estimators
def _assert_each_among(values, allowed):
    distance = np.abs(np.asarray(values, dtype=np.float64)[:, None] - allowed[None, :]).min(1)
    assert distance.max() < 1e-6


def _capture(monkeypatch, module, name):
    """Record the positive weights each call of the module's loss receives."""
    seen = []
    original = getattr(module, name)

    def recording(*args, **kwargs):
        weight = kwargs.get("positive_weight", args[3] if len(args) > 3 else None)
        seen.append(None if weight is None else weight.detach().clone())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return seen


@pytest.mark.parametrize(
    ("hard_negatives", "loss_name"),
    [(2, "hard_negative_bce"), (None, "sparse_target_bce")],
    ids=["hard negatives", "plain BCE"],
)
def test_inception_xml_trains_with_the_labels_weights(monkeypatch, hard_negatives, loss_name):
    seen = _capture(monkeypatch, inception_xml_module, loss_name)
    clf = InceptionXMLClassifier(
        **FAST, hard_negatives=hard_negatives, propensity_weighting=1.0
    ).fit(TEXTS, SKEWED)
    expected = propensity_positive_weights(clf.label_counts_, len(TEXTS), 1.0)
    assert len(seen) == 3 * (len(TEXTS) // 8)
    assert expected is not None and expected.max() > 1.5 * expected.min()
    if hard_negatives is not None:  # one weight per label
        np.testing.assert_allclose(seen[0].numpy(), expected, rtol=1e-6)
    else:  # one per positive (row, column) pair: the weights of those columns
        _assert_each_among(seen[0].numpy(), expected)
    # The weights live for the fit only: not kept, not pickled.
    assert "_positive_weights" not in clf.__dict__
    assert "_positive_weights" not in pickle.loads(pickle.dumps(clf)).__dict__


def test_inception_xml_without_weighting_trains_as_before(monkeypatch):
    seen = _capture(monkeypatch, inception_xml_module, "hard_negative_bce")
    weighted = InceptionXMLClassifier(**FAST, hard_negatives=2, propensity_weighting=1.0)
    weighted.fit(TEXTS, SKEWED)
    del seen[:]
    plain = InceptionXMLClassifier(**FAST, hard_negatives=2).fit(TEXTS, SKEWED)
    assert seen and all(weight is None for weight in seen)
    assert plain.history_[0]["loss"] != weighted.history_[0]["loss"]
    assert not np.allclose(
        plain.decision_function(TEXTS).toarray(), weighted.decision_function(TEXTS).toarray()
    )


def test_inception_xml_plus_weighs_each_shortlisted_labels_positives(monkeypatch):
    seen = _capture(monkeypatch, inception_xml_plus_module, "hard_negative_bce")
    clf = InceptionXMLPlusClassifier(
        **FAST, clusterer=LabelTreeClusterer(max_leaf_size=2), propensity_weighting=0.5
    )
    clf.fit(TEXTS, SKEWED)
    expected = propensity_positive_weights(clf.label_counts_, len(TEXTS), 0.5)
    # Per entry, (batch, shortlist width): each slot has its label's weight.
    assert seen[0].dim() == 2
    _assert_each_among(seen[0].numpy().ravel(), expected)


def test_weighting_may_change_on_a_warm_start():
    clf = InceptionXMLClassifier(**FAST, warm_start=True).fit(TEXTS, SKEWED)
    clf.set_params(propensity_weighting=0.5, n_epochs=1).fit(TEXTS, SKEWED)
    assert clf.n_epochs_trained_ == 4


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
@pytest.mark.parametrize("value", [-0.5, 2.5, "tail", math.nan])
def test_bad_weighting_is_named(estimator, value):
    message = r"'propensity_weighting' parameter .* range \[0.0, 2.0\]"
    with pytest.raises(ValueError, match=message):
        estimator(**FAST, propensity_weighting=value).fit(TEXTS, SKEWED)

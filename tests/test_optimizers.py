"""The optimisers' building blocks (skxml._optimizers)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from skxml._optimizers import _fused_adam, _has_momentum, _sparse_gradient_parameters
from skxml.nn import SparseLinearHead


def _weights() -> list[torch.Tensor]:
    return [nn.Parameter(torch.zeros(3))]


def test_has_momentum_is_false_only_for_plain_sgd():
    assert not _has_momentum(torch.optim.SGD(_weights(), lr=0.1))
    assert _has_momentum(torch.optim.SGD(_weights(), lr=0.1, momentum=0.9))
    assert _has_momentum(torch.optim.Adam(_weights()))


def test_fused_adam_keeps_the_groups_and_weight_decay_and_steps_like_adam():
    fused_weights, plain_weights = _weights(), _weights()
    fused = _fused_adam([{"params": fused_weights, "lr": 0.5}], weight_decay=0.01)
    plain = torch.optim.Adam([{"params": plain_weights, "lr": 0.5}], weight_decay=0.01)
    assert fused.param_groups[0]["lr"] == 0.5
    assert fused.defaults["weight_decay"] == 0.01
    for optimizer, weights in ((fused, fused_weights), (plain, plain_weights)):
        weights[0].grad = torch.tensor([1.0, -2.0, 0.0])
        optimizer.step()
    torch.testing.assert_close(fused_weights[0], plain_weights[0])


def test_sparse_gradient_parameters_finds_sparse_embeddings_and_sparse_heads():
    sparse_embedding = nn.EmbeddingBag(10, 4, mode="sum", sparse=True)
    dense_embedding = nn.Embedding(10, 4)
    network = nn.ModuleDict({"sparse": sparse_embedding, "dense": dense_embedding})
    found = _sparse_gradient_parameters(network)
    assert len(found) == 1 and found[0] is sparse_embedding.weight


def test_sparse_gradient_parameters_follows_the_heads_flag():
    support = sp.csr_matrix(np.array([[0, 1], [1, 0]], dtype=np.float32))
    sparse_head = SparseLinearHead(support, sparse_gradients=True)
    assert {id(p) for p in _sparse_gradient_parameters(sparse_head)} == {
        id(p) for p in sparse_head.parameters(recurse=False)
    }
    assert len(_sparse_gradient_parameters(sparse_head)) > 0
    assert _sparse_gradient_parameters(SparseLinearHead(support)) == []

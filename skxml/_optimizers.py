"""The optimisers' building blocks: fused Adam, which optimisers cycle momentum, sparse
gradients."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _fused_adam(param_groups: list[dict[str, Any]], weight_decay: float) -> torch.optim.Adam:
    """Adam with the fused kernel, on the CPU too (5x faster than the default foreach
    kernel for 10M weights, measured on 2 cores); plain Adam where torch lacks it (< 2.4)."""
    try:
        return torch.optim.Adam(param_groups, weight_decay=weight_decay, fused=True)
    except RuntimeError:
        return torch.optim.Adam(param_groups, weight_decay=weight_decay)


def _has_momentum(optimizer: torch.optim.Optimizer) -> bool:
    """Whether the one-cycle schedule may cycle ``optimizer``'s momentum (not for plain SGD,
    which it would give one)."""
    return not isinstance(optimizer, torch.optim.SGD) or optimizer.defaults["momentum"] > 0


def _sparse_gradient_parameters(network: nn.Module) -> list[torch.Tensor]:
    """The parameters of ``network`` whose gradients are sparse tensors."""
    found: list[torch.Tensor] = []
    for module in network.modules():
        if isinstance(module, (nn.Embedding, nn.EmbeddingBag)) and module.sparse:
            found.append(module.weight)
        elif getattr(module, "sparse_gradients", False):
            found.extend(module.parameters(recurse=False))
    return found

"""A gather from a 1-D parameter whose gradient is a sparse tensor (for SparseAdam)."""

from __future__ import annotations

from typing import Any

import torch


class _SparseGather(torch.autograd.Function):
    """``weight[positions]`` whose gradient is a sparse COO tensor (for SparseAdam)."""

    @staticmethod
    def forward(ctx: Any, weight: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(positions)
        ctx.n_weights = weight.shape[0]
        return weight[positions]

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:
        (positions,) = ctx.saved_tensors
        grad = torch.sparse_coo_tensor(
            positions.unsqueeze(0), grad_output, (ctx.n_weights,), check_invariants=False
        )
        return grad, None


def sparse_gather(weight: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """``weight[positions]`` for a 1-D parameter, with a sparse gradient."""
    return _SparseGather.apply(weight, positions)

"""Data-parallel training under ``torchrun``: process group, sharding, rank-0-only side effects.

``fit`` detects a launch by ``torchrun`` (the ``WORLD_SIZE``/``RANK`` environment variables
it sets, or a process group the user already initialised) and then trains with
:class:`torch.nn.parallel.DistributedDataParallel`: NCCL between GPUs, gloo on CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands in a data-parallel run (``world_size == 1``: not in one)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, rows: np.ndarray) -> np.ndarray:
        """This rank's share of a global batch: every ``world_size``-th row from ``rank``."""
        return rows[self.rank :: self.world_size]

    def broadcast_int(self, value: int) -> int:
        """Rank 0's ``value`` on every rank."""
        if not self.enabled:
            return value
        holder = [value]
        dist.broadcast_object_list(holder, src=0)
        return int(holder[0])

    def mean(self, value: torch.Tensor) -> torch.Tensor:
        """The mean of ``value`` over the ranks (``value`` itself outside a run): every rank
        then takes the same decisions from it, e.g. to stop on a NaN loss, which one rank
        alone could otherwise meet while the others wait for it in the next collective."""
        if not self.enabled:
            return value
        total = value.clone()
        dist.all_reduce(total)
        return total / self.world_size

    def check_same(self, description: dict[str, str]) -> None:
        """Raise on every rank when the ranks' ``description`` (of their data and parameters)
        differ: ranks fitting other data or for other numbers of epochs would otherwise
        wait for each other in a collective one of them never reaches (a hang until the
        process group's timeout, 30 minutes by default)."""
        if not self.enabled:
            return
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, description)
        # Over every rank's keys: each rank must reach the same verdict.
        keys = set().union(*gathered)
        differing = sorted(
            key
            for key in keys
            if any(other.get(key) != gathered[0].get(key) for other in gathered)
        )
        if differing:
            details = "; ".join(
                f"{key}: "
                + ", ".join(f"rank {rank} {other.get(key)}" for rank, other in enumerate(gathered))
                for key in differing
                if key != "data"
            )
            raise ValueError(
                "The ranks of this data-parallel fit disagree on "
                f"{', '.join(differing)}"
                + (f" ({details})" if details else "")
                + ". Every rank must fit the same estimator, with the same parameters, on the "
                "same X, Y and sample_weight, in the same order (and the same validation data)."
            )

    def broadcast_state(self, module: nn.Module) -> None:
        """Copy rank 0's parameters and buffers (BatchNorm statistics...) to every rank."""
        if not self.enabled:
            return
        with torch.no_grad():
            for tensor in module.state_dict().values():
                dist.broadcast(tensor, src=0)


def distributed_context(device: torch.device) -> DistributedContext:
    """The data-parallel context of this process, initialising the process group if needed.

    A run counts as data-parallel when ``torch.distributed`` is already initialised with
    more than one process, or when ``torchrun`` set ``WORLD_SIZE`` > 1 (then the default
    process group is created here: NCCL for a CUDA ``device``, gloo otherwise). A CUDA
    ``device`` without an index ("cuda", "auto") becomes GPU ``LOCAL_RANK`` of each process:
    that GPU is made the current one.
    """
    if not dist.is_available():
        return DistributedContext()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return DistributedContext()
        if device.type == "cuda":
            # Before the process group: NCCL's collectives run on the current GPU, which
            # would otherwise be GPU 0 on every rank ("Duplicate GPU detected").
            torch.cuda.set_device(local_rank if device.index is None else device.index)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    elif device.type == "cuda" and device.index is None and dist.get_world_size() > 1:
        torch.cuda.set_device(local_rank)
    world_size = dist.get_world_size()
    if world_size <= 1:
        return DistributedContext()
    return DistributedContext(rank=dist.get_rank(), world_size=world_size, local_rank=local_rank)


def use_dense_gradients(module: nn.Module) -> None:
    """Give every table of ``module`` dense gradients, as a network built for a data-parallel
    fit has: DDP all-reduces dense gradients (NCCL has no sparse all-reduce). For a network
    first fitted in one process, then warm-started or resumed under ``torchrun``.

    Examples
    --------
    >>> from torch import nn
    >>> from skxml._distributed import use_dense_gradients
    >>> table = nn.EmbeddingBag(10, 4, sparse=True)
    >>> use_dense_gradients(table)
    >>> table.sparse
    False
    """
    for part in module.modules():
        if isinstance(part, (nn.Embedding, nn.EmbeddingBag)):
            part.sparse = False
        if getattr(part, "sparse_gradients", False):
            part.sparse_gradients = False  # type: ignore[assignment]


def end_data_parallel_run() -> None:
    """Wait for every rank, then tear the default process group down (if there is one).

    For a process that owns its whole run, such as ``skxml train``: left to the interpreter's
    exit, gloo's threads are destroyed while still joinable, which now and then aborts a
    rank ("terminate called without an active exception") after a successful fit.

    Examples
    --------
    >>> from skxml._distributed import end_data_parallel_run
    >>> end_data_parallel_run()  # no process group: nothing to do
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def is_main_process() -> bool:
    """False on the ranks other than 0 of a data-parallel run (they neither print nor save).

    Examples
    --------
    >>> from skxml._distributed import is_main_process
    >>> is_main_process()
    True
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


class TrainingStep(nn.Module):
    """The loss of a batch as a module's ``forward``, so DDP can wrap the whole step.

    :class:`~torch.nn.parallel.DistributedDataParallel` synchronises the gradients of
    what runs inside the ``forward`` it wraps; InceptionXML+ computes its loss from several
    methods of its network, so the step, not the network, is what gets wrapped.
    """

    def __init__(self, network: nn.Module, loss: Callable[..., torch.Tensor]) -> None:
        super().__init__()
        self.network = network
        self._loss = loss

    def forward(self, *batch: Any) -> torch.Tensor:
        return self._loss(*batch)

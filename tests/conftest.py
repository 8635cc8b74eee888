"""Shared pytest fixtures: seeding, two torch threads and the location of the shared real data."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

# ../shared/data beside the repository (the project's real data); tests that need it skip
# cleanly when it is absent.
SHARED_DATA = Path(
    os.environ.get("SKXML_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(autouse=True)
def _seed_everything():
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 - seeds code that uses the legacy global RNG
    try:
        import torch

        torch.manual_seed(0)
    except ImportError:  # pragma: no cover - torch is a runtime dependency
        pass


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data directory not found: {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def two_threads():
    """Run with 2 torch intra-op threads (where multi-threaded kernels can reorder sums, and
    where skxml's single-thread rule for small predictions shows), restored afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)

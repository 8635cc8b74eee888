"""Torch intra-op threads for small CPU predictions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

# At most this many texts per CPU prediction run on one torch thread. A query's
# products are about a million multiply-adds, split over a dozen small operations: waking a
# second thread for each costs more than it saves (benchmarks/thread_latency.py on
# debian-tags and debian-deps: one thread faster up to 4 texts, a tie at 8, two faster
# from 16).
SINGLE_THREAD_MAX_TEXTS = 4


@contextlib.contextmanager
def single_torch_thread(enabled: bool = True) -> Iterator[None]:
    """Run the block on one torch intra-op thread, then restore the calling thread's count.

    With PyTorch's OpenMP builds (the Linux and Windows CPU wheels) the thread count is the
    calling thread's own (``omp_set_num_threads``, ``mkl_set_num_threads_local``), so other
    Python threads keep theirs (checked with torch 2.13); the count a thread reads is what is
    restored. One exception: torch gives a thread its count from the process-wide value the
    first time that thread asks for it (``torch.get_num_threads``, or a large parallel
    operation), so a thread doing that for the first time while another thread is inside
    the block keeps one thread (``torch.set_num_threads`` in that thread chooses again).

    Examples
    --------
    >>> import torch
    >>> from skxml.utils._threads import single_torch_thread
    >>> before = torch.get_num_threads()
    >>> with single_torch_thread():
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    if not enabled or previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def one_thread_for_few_texts(
    n_texts: int, device: torch.device
) -> contextlib.AbstractContextManager[None]:
    """:func:`single_torch_thread` when ``n_texts`` CPU texts are few enough, else nothing.

    The rule of skxml's prediction: at most :data:`SINGLE_THREAD_MAX_TEXTS` texts on the
    CPU run on one thread (read at call time, so it can be changed for a benchmark).

    Examples
    --------
    >>> import torch
    >>> from skxml.utils._threads import one_thread_for_few_texts
    >>> with one_thread_for_few_texts(1, torch.device("cpu")):
    ...     torch.get_num_threads()
    1
    """
    return single_torch_thread(device.type == "cpu" and n_texts <= SINGLE_THREAD_MAX_TEXTS)

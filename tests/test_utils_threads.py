"""single_torch_thread: one torch thread inside, the caller's count restored after."""

from __future__ import annotations

import pytest
import torch

from skxml.utils._threads import single_torch_thread


def test_one_thread_inside_and_restored_after(two_threads):
    with single_torch_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


def test_disabled_leaves_the_count_alone(two_threads):
    with single_torch_thread(enabled=False):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == 2


def test_restored_when_the_block_raises(two_threads):
    with pytest.raises(RuntimeError, match="boom"), single_torch_thread():
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


def test_nested_blocks_restore_the_outer_count(two_threads):
    with single_torch_thread():
        with single_torch_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


def test_other_threads_keep_their_count_while_one_is_inside(two_threads):
    # With PyTorch's OpenMP builds the count is per OS thread once torch has set it there.
    import threading

    started, entered, counts = threading.Event(), threading.Event(), {}

    def serving_thread():
        assert torch.get_num_threads() == 2  # torch sets this thread's count now
        started.set()
        entered.wait(timeout=10)
        counts["other"] = torch.get_num_threads()

    thread = threading.Thread(target=serving_thread)
    thread.start()
    started.wait(timeout=10)
    with single_torch_thread():
        entered.set()
        thread.join(timeout=10)
        counts["inside"] = torch.get_num_threads()
    assert counts == {"other": 2, "inside": 1}

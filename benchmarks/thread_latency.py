"""Small-batch CPU prediction latency on one and on all torch threads.

skxml runs CPU predictions of at most ``SINGLE_THREAD_MAX_TEXTS`` texts (forward pass and
top-k) on one torch thread (``skxml.utils._threads``). This script measures why: for each
dataset it fits a model for a few epochs (latency does not depend on how well it is
trained), then times ``decision_function`` on batches of 1 to 64 raw test texts
(tokenisation included) with the single-thread rule switched off, at 1 thread and at every
thread, and with the rule on (skxml's behaviour). It prints and saves
``results/thread_latency.{json,md}``.

Run from the repository root on a machine with nothing else running::

    python benchmarks/thread_latency.py --data-dir ../shared/data

``--background-threads N`` times the same with another process multiplying float32
matrices on N threads all along (a busy server), written to ``--name`` (default
``thread_latency``)::

    python benchmarks/thread_latency.py --background-threads 2 --name thread_latency_loaded
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from _common import command_line, label_matrices, read_attentionxml, write_results
from inceptionxml import MODELS

import skxml.utils._threads

BATCH_SIZES = (1, 2, 4, 8, 16, 64)


@contextlib.contextmanager
def single_thread_rule(limit: int) -> Iterator[None]:
    """Set skxml's small-batch limit (0 switches the single-thread rule off)."""
    saved = skxml.utils._threads.SINGLE_THREAD_MAX_TEXTS
    skxml.utils._threads.SINGLE_THREAD_MAX_TEXTS = limit
    try:
        yield
    finally:
        skxml.utils._threads.SINGLE_THREAD_MAX_TEXTS = saved


# The background load: float32 products on N torch threads until killed.
_BUSY_LOOP = (
    "import sys, torch\n"
    "torch.set_num_threads(int(sys.argv[1]))\n"
    "a = torch.randn(1024, 1024)\n"
    "while True:\n"
    "    a = torch.tanh(a @ a)\n"
)


@contextlib.contextmanager
def background_load(threads: int) -> Iterator[None]:
    """Keep ``threads`` cores busy in another process during the block (0: no load)."""
    if threads <= 0:
        yield
        return
    process = subprocess.Popen([sys.executable, "-c", _BUSY_LOOP, str(threads)])
    try:
        time.sleep(2.0)  # let it start
        yield
    finally:
        process.kill()
        process.wait()


def median_ms(model: Any, texts: Sequence[str], batch_size: int, repeats: int) -> float:
    """Median milliseconds of ``decision_function`` on consecutive batches of ``texts``."""
    batches = [
        list(texts[start : start + batch_size])
        for start in range(0, batch_size * repeats, batch_size)
    ]
    for batch in batches[:5]:  # warm-up
        model.decision_function(batch)
    durations = []
    for batch in batches:
        start = time.perf_counter()
        model.decision_function(batch)
        durations.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(durations)


def measure(args: argparse.Namespace, dataset: str, model_name: str) -> list[dict[str, Any]]:
    data = read_attentionxml(args.data_dir, dataset)
    Y_train, _, _ = label_matrices(data["train_labels"], data["test_labels"])
    method, estimator = MODELS[model_name]
    model = estimator(n_epochs=args.epochs, random_state=0)
    model.fit(data["train_texts"], Y_train)
    all_threads = torch.get_num_threads()
    with background_load(args.background_threads):
        return time_batches(model, data["test_texts"], dataset, method, all_threads, args)


def time_batches(
    model: Any,
    texts: Sequence[str],
    dataset: str,
    method: str,
    all_threads: int,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    """One row per batch size: the median times on 1 thread, on all, and with skxml's rule."""
    rows = []
    for batch_size in BATCH_SIZES:
        repeats = max(20, args.queries // batch_size)
        row: dict[str, Any] = {"dataset": dataset, "method": method, "batch": batch_size}
        # Interleaved twice, the lower median kept: the machine's timings drift.
        many = f"{all_threads} threads"
        timings: dict[str, list[float]] = {"1 thread": [], many: [], "skxml": []}
        for _ in range(2):
            with single_thread_rule(0):
                torch.set_num_threads(1)
                timings["1 thread"].append(median_ms(model, texts, batch_size, repeats))
                torch.set_num_threads(all_threads)
                timings[many].append(median_ms(model, texts, batch_size, repeats))
            timings["skxml"].append(median_ms(model, texts, batch_size, repeats))
        for column, values in timings.items():
            row[f"{column} (ms)"] = round(min(values), 3)
        print(row, flush=True)
        rows.append(row)
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="datasets' parent folder")
    parser.add_argument("--datasets", nargs="+", default=["debian-tags", "debian-deps"])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS))
    parser.add_argument("--epochs", type=int, default=1, help="training epochs per model")
    parser.add_argument("--queries", type=int, default=400, help="texts timed per batch size")
    parser.add_argument(
        "--background-threads", type=int, default=0, help="threads of a busy process running"
    )
    parser.add_argument("--name", default="thread_latency", help="results/<name>.json and .md")
    parser.add_argument("--notes", default=None, help="free text stored with the results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rows = [
        row
        for dataset in args.datasets
        for model_name in args.models
        for row in measure(args, dataset, model_name)
    ]
    load = (
        f" Measured while another process multiplied float32 matrices on "
        f"{args.background_threads} threads."
        if args.background_threads
        else ""
    )
    write_results(
        args.name,
        rows,
        command_line(),
        notes=args.notes,
        details=[
            "Median milliseconds of `decision_function` on a batch of raw test texts "
            "(tokenisation included), models fitted for `--epochs` epochs. `1 thread` and "
            "`N threads`: torch's intra-op threads with skxml's single-thread rule off; "
            f"`skxml`: the rule on (batches of at most "
            f"{skxml.utils._threads.SINGLE_THREAD_MAX_TEXTS} texts on one thread).{load}",
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

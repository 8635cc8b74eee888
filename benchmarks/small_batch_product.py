"""A few rows times a label-scoring matrix on one CPU thread: torch's product or a streaming one.

At prediction time skxml multiplies one to four text vectors by a dense (n_labels, 160)
output matrix (InceptionXML's extreme head, InceptionXML+'s meta head). The frozen networks
(``skxml.nn._frozen._linear``) compute it from ``_LARGE_MATRIX`` weights on in the order
that streams the matrix once: NumPy's ``vecdot`` for one row, ``weight @ xᵀ`` for a few.
This script times both orders against ``F.linear`` for several matrix heights:

* **warm**: the same product repeated, so a matrix that fits the last-level cache stays there
  (the best case, a loop over one query);
* **cold**: a 64 MB buffer is read before each product, so the matrix comes from memory, as
  when a server answers a query after other work (tokenising, the n-gram table, other
  models).

It prints and saves ``results/small_batch_product.{json,md}``. Run from the repository root
on a machine with nothing else running::

    python benchmarks/small_batch_product.py
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from _common import command_line, write_results

from skxml.nn import _frozen
from skxml.nn._frozen import _linear

HEIGHTS = (1_024, 4_096, 16_384, 18_933, 32_768, 43_614)
WIDTH = 160  # the output layer's input width at the default embedding_dim=128


def median_ms(function: Callable[[], object], repeats: int, flush: np.ndarray | None) -> float:
    for _ in range(10):
        function()
    times = []
    for _ in range(repeats):
        if flush is not None:
            flush.sum()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--name", default="small_batch_product")
    parser.add_argument("--notes", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    flush = np.ones(16 << 20, dtype=np.float32)  # 64 MB, twice the project machine's L3
    rows = []
    if min(HEIGHTS) * WIDTH < _frozen._LARGE_MATRIX:
        raise SystemExit("every height must take _linear's streaming order")
    for height in HEIGHTS:
        weight = torch.randn(height, WIDTH, generator=generator)
        bias = torch.randn(height, generator=generator)
        for n_rows in (1, 2):
            x = torch.randn(n_rows, WIDTH, generator=generator)
            torch_linear = functools.partial(F.linear, x, weight, bias)
            streaming = functools.partial(_linear, x, weight, bias)
            for cache, buffer in (("warm", None), ("cold", flush)):
                row = {
                    "n_labels": height,
                    "matrix_mb": round(height * WIDTH * 4 / 2**20, 1),
                    "rows": n_rows,
                    "cache": cache,
                    "F.linear ms": round(median_ms(torch_linear, args.repeats, buffer), 3),
                    "streaming ms": round(median_ms(streaming, args.repeats, buffer), 3),
                }
                row["speed-up"] = round(row["F.linear ms"] / row["streaming ms"], 2)
                rows.append(row)
                print(row, flush=True)
    write_results(
        args.name,
        rows,
        command_line(),
        notes=args.notes,
        details=[
            f"Float32 (n_labels, {WIDTH}) matrix times 1 or 2 rows, one torch thread, median "
            f"of {args.repeats} products; streaming = skxml.nn._frozen._linear: NumPy's vecdot "
            "(1 row) or torch.addmm(bias, weight, xᵀ) (2 rows).",
        ],
    )


if __name__ == "__main__":
    main()

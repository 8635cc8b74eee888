#!/usr/bin/env python3
"""How many optimiser steps a small training set needs: the evidence for ``n_epochs="auto"``.

With ``batch_size=128`` a training set of a few hundred texts gives a handful of steps per
epoch, so 10 epochs are a few dozen steps of the one-cycle schedule. This script fits both
classifiers on the first ``n`` debian-tags training texts (``--sizes``) with ``n_epochs``
set to ``max(10, ceil(min_steps / steps_per_epoch))`` for each ``--min-steps`` (0: the plain
10 epochs), and scores them on the first ``--n-test`` texts of the test split (P@1, PSP@5;
propensities from the training subset). ``n_epochs="auto"`` is the ``min_steps=200`` row.

Run from the repository root::

    python benchmarks/small_data_epochs.py --threads 1

Writes ``results/small_data_epochs.{json,md}``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence

import torch
from _common import command_line, write_results

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier
from skxml.datasets import load_debian_tags
from skxml.metrics import inverse_propensity, precision_at_k, psp_at_k

TABLE_COLUMNS = ("model", "n_train", "min_steps", "epochs", "steps", "P@1", "PSP@5", "fit_s")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--min-steps", type=int, nargs="+", default=[0, 100, 200, 400])
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--name", default="small_data_epochs")
    parser.add_argument("--notes", default=None, help="free text stored with the results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    train, test = load_debian_tags(subset="train"), load_debian_tags(subset="test")
    test_texts, test_labels = list(test.data[: args.n_test]), test.target[: args.n_test]
    rows = []
    for model in (InceptionXMLClassifier, InceptionXMLPlusClassifier):
        for n in args.sizes:
            texts, labels = list(train.data[:n]), train.target[:n]
            inv_propensity = inverse_propensity(labels)
            steps_per_epoch = math.ceil(n / args.batch_size)
            planned = {}
            for min_steps in args.min_steps:
                epochs = max(10, math.ceil(min_steps / steps_per_epoch)) if min_steps else 10
                planned.setdefault(epochs, min_steps)  # the same fit once
            for epochs, min_steps in planned.items():
                start = time.perf_counter()
                clf = model(random_state=0, n_epochs=epochs, batch_size=args.batch_size)
                clf.fit(texts, labels)
                fit_s = time.perf_counter() - start
                scores = clf.decision_function(test_texts, k=5)
                row = {
                    "model": model.__name__,
                    "n_train": n,
                    "min_steps": min_steps,
                    "epochs": epochs,
                    "steps": epochs * steps_per_epoch,
                    "P@1": round(100 * precision_at_k(test_labels, scores, k=1), 2),
                    "PSP@5": round(
                        100 * psp_at_k(test_labels, scores, k=5, inv_propensity=inv_propensity),
                        2,
                    ),
                    "fit_s": round(fit_s, 1),
                }
                print(row, flush=True)
                rows.append(row)
    write_results(
        args.name,
        rows,
        command_line(),
        notes=args.notes,
        table_columns=TABLE_COLUMNS,
        details=[
            "debian-tags: the first n_train training texts; the first "
            f"{args.n_test} test texts; random_state=0; epochs = max(10, ceil(min_steps / "
            "steps per epoch)), 10 for min_steps=0; n_epochs='auto' is min_steps=200."
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

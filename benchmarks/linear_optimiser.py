"""Benchmark the optimiser of a TF-IDF linear model trained alone, the way skxml trains its
sparse linear map (``tfidf_linear``): binary cross-entropy summed over the labels, batches
of 128, a one-cycle schedule.

It shows why skxml steps the map by SGD rather than Adam: Adam moves every weight at the
same rate however rarely its n-gram occurs, and the model memorises the training texts
through their rare n-grams. The model here is a dense one-vs-rest weight matrix over all
(n-gram, label) pairs, so use a dataset with a few hundred labels::

    python benchmarks/linear_optimiser.py --data-dir ../shared/data --dataset debian-tags

Results go to ``results/linear_optimiser.{json,md}``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

import _common
import numpy as np
import scipy.sparse as sp
import torch
from sklearn.feature_extraction.text import TfidfVectorizer

# (optimiser, peak learning rate) pairs measured by default.
DEFAULT_CONFIGS = ("adam:0.05", "sgd:8", "sgd:32")


def _to_torch(matrix: sp.csr_matrix) -> torch.Tensor:
    coo = matrix.tocoo()
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    return torch.sparse_coo_tensor(indices, torch.from_numpy(coo.data), coo.shape).coalesce()


def train_linear(
    features: sp.csr_matrix,
    labels: sp.csr_matrix,
    optimiser: str,
    learning_rate: float,
    n_epochs: int,
    batch_size: int = 128,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and biases of a linear one-vs-rest model trained by ``optimiser``
    (``"adam"`` or ``"sgd"``, the latter with momentum 0.9 cycled by the schedule), starting
    from zeros; ``seed`` sets the order of the samples."""
    n_samples, n_features = features.shape
    weights = torch.zeros(n_features, labels.shape[1], requires_grad=True)
    biases = torch.zeros(labels.shape[1], requires_grad=True)
    if optimiser == "adam":
        optimizer: torch.optim.Optimizer = torch.optim.Adam([weights, biases], lr=learning_rate)
    else:
        optimizer = torch.optim.SGD([weights, biases], lr=learning_rate, momentum=0.9)
    steps_per_epoch = -(-n_samples // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=learning_rate, total_steps=n_epochs * steps_per_epoch
    )
    for epoch in range(n_epochs):
        order = np.random.RandomState(seed + epoch).permutation(n_samples)
        for start in range(0, n_samples, batch_size):
            rows = order[start : start + batch_size]
            logits = torch.sparse.mm(_to_torch(features[rows]), weights) + biases
            targets = torch.from_numpy(labels[rows].toarray())
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, targets, reduction="sum"
            ) / len(rows)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    return weights.detach(), biases.detach()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--dataset", default="debian-tags")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument(
        "--configs",
        nargs="+",
        default=list(DEFAULT_CONFIGS),
        help="optimiser:peak_learning_rate pairs, optimiser adam or sgd",
    )
    parser.add_argument("--notes")
    args = parser.parse_args(argv)

    data = _common.read_attentionxml(args.data_dir, args.dataset)
    Y_train, Y_test, _ = _common.label_matrices(data["train_labels"], data["test_labels"])
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    X_train = vectorizer.fit_transform(data["train_texts"]).tocsr()
    X_test = _to_torch(vectorizer.transform(data["test_texts"]).tocsr())
    inv_propensity = _common.inverse_propensity(Y_train)
    rows: list[dict[str, Any]] = []
    for config in args.configs:
        optimiser, rate = config.split(":")
        if optimiser not in ("adam", "sgd"):
            parser.error(f"unknown optimiser {optimiser!r} in {config!r}: use adam or sgd")
        start = time.perf_counter()
        weights, biases = train_linear(X_train, Y_train, optimiser, float(rate), args.epochs)
        seconds = time.perf_counter() - start
        scores = (torch.sparse.mm(X_test, weights) + biases).numpy()
        ranked = np.argsort(-scores, axis=1, kind="stable")[:, : max(_common.KS)]
        metrics = _common.ranking_metrics(Y_test, ranked, inv_propensity)
        row = {
            "dataset": args.dataset,
            "method": f"{optimiser}, peak rate {rate}",
            **{key: metrics[key] for key in ("P@1", "P@3", "P@5", "PSP@1", "PSP@3", "PSP@5")},
            "train_s": round(seconds, 1),
            "epochs": args.epochs,
        }
        print(row, flush=True)
        rows.append(row)
    _common.write_results(
        "linear_optimiser",
        rows,
        _common.command_line(),
        notes=args.notes,
        details=[
            "A dense one-vs-rest linear model on TF-IDF unigrams and bigrams (sublinear tf, "
            "l2-normalised), binary cross-entropy summed over the labels, batch 128, "
            "one-cycle schedule; SGD with momentum 0.9 (cycled 0.85-0.95)."
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

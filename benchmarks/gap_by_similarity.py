"""Where a P@1 gap lies: P@1 of every model by how close each test text is to training.

A test text's closeness is its highest TF-IDF cosine similarity to any training text (word
uni- and bigrams of one character or more, sublinear term frequencies, L2-normalised rows,
the IDF of the training texts): near 1 for a test text that repeats a training text but
for a word or two (a package's description beside its ``-doc`` or ``-dev`` sibling's),
low for one about something training never saw. The test texts are put in buckets of that
similarity, and each model's P@1 is computed in each bucket from the top-5 predictions that
``inceptionxml.py --save-predictions DIR`` and ``peers.py --save-predictions DIR`` store
(``DIR/<dataset>_<method>.npz``, :func:`_common.save_predictions`). For each skxml model
(one figure per seed) the last columns count the test texts of the bucket it ranks a right
label first on minus those the best peer does (the peer of highest P@1 on the whole split),
so the buckets' shares of the overall gap add up to it.

    python benchmarks/gap_by_similarity.py --data-dir ../shared/data \\
        --predictions /tmp/predictions --datasets debian-tags debian-deps
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from _common import (
    command_line,
    label_matrices,
    load_prediction_dir,
    per_query_terms,
    read_attentionxml,
    write_results,
)
from sklearn.feature_extraction.text import TfidfVectorizer

EDGES = (0.0, 0.5, 0.7, 0.85, 0.95)


def nearest_training_similarity(
    train_texts: Sequence[str], test_texts: Sequence[str], chunk_size: int = 2000
) -> np.ndarray:
    """Each test text's highest TF-IDF cosine similarity to a training text."""
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"
    )
    train = vectorizer.fit_transform(train_texts)
    test = vectorizer.transform(test_texts)
    transposed = sp.csr_matrix(train.T)
    nearest = np.zeros(test.shape[0])
    for start in range(0, test.shape[0], chunk_size):
        products = (test[start : start + chunk_size] @ transposed).tocsr()
        nearest[start : start + chunk_size] = products.max(axis=1).toarray().ravel()
    return nearest


def bucket_rows(
    dataset: str,
    similarity: np.ndarray,
    files: dict[str, dict[str, Any]],
    edges: Sequence[float] = EDGES,
) -> list[dict[str, Any]]:
    """One row per similarity bucket (and one for the whole split): P@1 of every model."""
    names = list(files)
    labels = files[names[0]]["labels"]
    for name in names:
        if files[name]["labels"].shape != labels.shape or (files[name]["labels"] != labels).nnz:
            raise SystemExit(f"{dataset}: {name} and {names[0]} hold different test labels")
    if labels.shape[0] != similarity.shape[0]:
        raise SystemExit(
            f"{dataset}: the predictions are for {labels.shape[0]} test texts, the data has "
            f"{similarity.shape[0]}"
        )
    first_hit = {
        name: per_query_terms(labels, files[name]["ranked"], files[name]["inv_propensity"], 1)[
            "hits"
        ][:, 0]
        for name in names
    }
    peers = [name for name in names if not name.startswith("skxml")]
    candidates = [name for name in names if name.startswith("skxml")]
    if not peers or not candidates:
        raise SystemExit(f"{dataset}: need skxml and peer predictions, found {sorted(names)}")
    best_peer = max(peers, key=lambda peer: first_hit[peer].mean())
    bounds = [*edges, np.inf]
    buckets = [
        (f"[{low:g}, {high:g})" if np.isfinite(high) else f"[{low:g}, 1]", low, high)
        for low, high in itertools.pairwise(bounds)
    ]
    families: dict[str, list[str]] = {}  # skxml model -> its files, one per seed
    for name in candidates:
        families.setdefault(name.split("_seed")[0], []).append(name)
    rows = []
    for bucket, low, high in [*buckets, ("all", -np.inf, np.inf)]:
        inside = (similarity >= low) & (similarity < high)
        row: dict[str, Any] = {
            "dataset": dataset,
            "similarity": bucket,
            "texts": int(inside.sum()),
        }
        for name in names:
            row[f"P@1 {_short(name)}"] = round(100.0 * float(first_hit[name][inside].mean()), 2)
        for family, members in families.items():
            gaps = [
                int(first_hit[name][inside].sum() - first_hit[best_peer][inside].sum())
                for name in members
            ]
            row[f"{_short(family)} − {_short(best_peer)} (texts)"] = " / ".join(
                f"{gap:+d}" for gap in gaps
            )
        rows.append(row)
    return rows


def _short(name: str) -> str:
    """``skxml-InceptionXML+_seed1`` -> ``InceptionXML+ 1``, ``omikuji-Parabel`` -> ``Parabel``."""
    if name.startswith("skxml-"):
        return name[len("skxml-") :].replace("_seed", " ")
    return name.split("-", 1)[-1] if name.startswith(("omikuji-", "napkinXC-")) else name


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder holding the datasets")
    parser.add_argument(
        "--predictions", required=True, metavar="DIR", help="folder of <dataset>_<method>.npz"
    )
    parser.add_argument("--datasets", nargs="+", default=["debian-tags", "debian-deps"])
    parser.add_argument(
        "--edges",
        nargs="+",
        type=float,
        default=list(EDGES),
        help="lower bounds of the similarity buckets (default: %(default)s)",
    )
    parser.add_argument("--name", default="gap_by_similarity", help="results/<name>.json and .md")
    parser.add_argument("--notes", default=None, help="free text stored with the results")
    args = parser.parse_args(argv)
    if args.edges[0] > 0 or any(b <= a for a, b in itertools.pairwise(args.edges)):
        parser.error(f"--edges must rise strictly from 0 or below, got {args.edges}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rows = []
    for dataset in args.datasets:
        files = load_prediction_dir(args.predictions, dataset)
        data = read_attentionxml(args.data_dir, dataset)
        _, test_labels, _ = label_matrices(data["train_labels"], data["test_labels"])
        if test_labels.shape != next(iter(files.values()))["labels"].shape:
            raise SystemExit(f"{dataset}: the predictions are not for this dataset's test split")
        similarity = nearest_training_similarity(data["train_texts"], data["test_texts"])
        rows += bucket_rows(dataset, similarity, files, args.edges)
    for row in rows:
        print(row, flush=True)
    write_results(
        args.name,
        rows,
        command_line(),
        notes=args.notes,
        table_columns=list(dict.fromkeys(key for row in rows for key in row)),
        details=[
            "",
            "P@1 (%) by the test text's highest TF-IDF cosine similarity to a training text "
            "(word uni- and bigrams, sublinear tf, the training texts' IDF); a number after a "
            "skxml model is its `random_state`. `A − B (texts)`: how many more test texts of "
            "the bucket A ranks a right label first on than B, the peer of highest P@1 on the "
            "whole split, one figure per seed; they add up over the buckets to the row `all`.",
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

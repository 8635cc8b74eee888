"""Benchmark LabelTreeClusterer's starting centroids: ``init="k-means++"`` against ``"random"``.

For each ``init`` (and, for k-means++, each number of candidates in ``--candidates``):

- ``debian-tags`` / ``debian-deps``: the mean cosine similarity of every label's PIFA vector
  to its cluster's normalised centroid (the 2-means objective at the leaves), over
  ``--seeds`` clusterings of one PIFA matrix (TF-IDF of word uni- and bigrams, one-character
  tokens kept, sublinear tf; default ``max_leaf_size``), with the tree's mean fit time;
- ``separable``: of 300 random sets of 2, 4 or 8 label groups with disjoint features, how
  many the tree did not keep whole (some group split over several clusters);
- ``synthetic-<n>``: the tree of the PIFA-like random matrix of ``label_tree.py`` (one
  seed, one core), its fit time.

Results go to ``results/cluster_init.{json,md}``::

    python benchmarks/cluster_init.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from _common import command_line, label_matrices, read_attentionxml, write_results
from label_tree import mean_similarity, synthetic_label_features
from sklearn.feature_extraction.text import TfidfVectorizer

from skxml.cluster import LabelTreeClusterer, _label_tree
from skxml.cluster._label_tree import _pifa

TABLE_COLUMNS = (
    "case",
    "init",
    "candidates",
    "n_labels",
    "n_clusters",
    "seeds",
    "similarity_mean",
    "similarity_min",
    "similarity_max",
    "not_kept_whole",
    "fit_s",
)

DETAILS = (
    "- `similarity_*`: mean cosine similarity of every label's PIFA vector to its cluster's "
    "normalised centroid, over `seeds` clusterings (`random_state` 0 .. seeds-1); `fit_s`: "
    "the mean time of `fit_from_label_features` (the tree only).",
    "- `separable`: 300 cases of 2, 4 or 8 groups (in turn) of 1-11 labels each, every "
    "group with 5 features of its own (values uniform in [0.1, 1), each kept with "
    "probability 0.7, plus 0.001), labels shuffled, `n_clusters` = the number of groups; "
    "`not_kept_whole` counts the cases where a group's labels landed in several clusters.",
    "- `candidates`: labels drawn by k-means++ for each node's second centroid "
    "(`_label_tree._SEED_CANDIDATES`, 8 in the estimator).",
)


def _clusterer(init: str, seed: int, **params: Any) -> LabelTreeClusterer:
    return LabelTreeClusterer(init=init, random_state=seed, **params)


@contextlib.contextmanager
def _with_candidates(candidates: int | None) -> Iterator[None]:
    """Set ``_SEED_CANDIDATES`` for a run (None: leave the estimator's)."""
    saved = _label_tree._SEED_CANDIDATES
    if candidates is not None:
        _label_tree._SEED_CANDIDATES = candidates
    try:
        yield
    finally:
        _label_tree._SEED_CANDIDATES = saved


def dataset_rows(data_dir: str, name: str, seeds: int, settings: list) -> list[dict[str, Any]]:
    data = read_attentionxml(data_dir, name)
    Y, _, _ = label_matrices(data["train_labels"], data["test_labels"])
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32, token_pattern=r"(?u)\b\w+\b"
    )
    label_features = _pifa(vectorizer.fit_transform(data["train_texts"]), Y)
    # The leaf size fit() would pick from the label counts (fit_from_label_features has none).
    leaf = LabelTreeClusterer()._resolve_max_leaf_size(Y.shape[1], int(Y.nnz))
    rows = []
    for init, candidates in settings:
        similarities, seconds = [], []
        with _with_candidates(candidates):
            for seed in range(seeds):
                start = time.perf_counter()
                clusterer = _clusterer(init, seed, max_leaf_size=leaf)
                clusterer.fit_from_label_features(label_features)
                seconds.append(time.perf_counter() - start)
                similarities.append(mean_similarity(label_features, clusterer.labels_to_clusters_))
        rows.append(
            {
                "case": name,
                "init": init,
                "candidates": candidates,
                "n_labels": Y.shape[1],
                "n_clusters": clusterer.n_clusters_,
                "seeds": seeds,
                "similarity_mean": round(float(np.mean(similarities)), 4),
                "similarity_min": round(float(np.min(similarities)), 4),
                "similarity_max": round(float(np.max(similarities)), 4),
                "fit_s": round(float(np.mean(seconds)), 3),
            }
        )
        print(rows[-1], flush=True)
    return rows


def separable_cases(n_cases: int = 300, seed: int = 9):
    """(label features, group of each label, n_groups, random_state) of random separable sets."""
    rng = np.random.default_rng(seed)
    for case in range(n_cases):
        n_groups = (2, 4, 8)[case % 3]
        per_group = int(rng.integers(1, 12))
        n_features = 5
        rows = []
        for group in range(n_groups):
            for _ in range(per_group):
                vector = np.zeros(n_groups * n_features)
                values = rng.uniform(0.1, 1, n_features) * (rng.random(n_features) < 0.7)
                vector[group * n_features : (group + 1) * n_features] = values + 1e-3
                rows.append(vector)
        order = rng.permutation(len(rows))
        groups = (np.arange(len(rows)) // per_group)[order]
        yield sp.csr_matrix(np.array(rows)[order]), groups, n_groups, int(rng.integers(1000))


def separable_rows(settings: list) -> list[dict[str, Any]]:
    cases = list(separable_cases())
    rows = []
    for init, candidates in settings:
        failures = 0
        with _with_candidates(candidates):
            for label_features, groups, n_groups, random_state in cases:
                clusters = (
                    _clusterer(init, random_state, n_clusters=n_groups)
                    .fit_from_label_features(label_features)
                    .labels_to_clusters_
                )
                failures += any(
                    np.unique(clusters[groups == group]).size > 1 for group in range(n_groups)
                )
        rows.append(
            {
                "case": "separable",
                "init": init,
                "candidates": candidates,
                "seeds": len(cases),
                "not_kept_whole": failures,
            }
        )
        print(rows[-1], flush=True)
    return rows


def synthetic_rows(n_labels: int, settings: list) -> list[dict[str, Any]]:
    label_features = synthetic_label_features(n_labels, seed=0)
    rows = []
    for init, candidates in settings:
        with _with_candidates(candidates):
            start = time.perf_counter()
            clusterer = _clusterer(init, 0, max_leaf_size=16).fit_from_label_features(
                label_features
            )
            seconds = time.perf_counter() - start
        rows.append(
            {
                "case": f"synthetic-{n_labels}",
                "init": init,
                "candidates": candidates,
                "n_labels": n_labels,
                "n_clusters": clusterer.n_clusters_,
                "seeds": 1,
                "fit_s": round(seconds, 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="datasets' parent folder")
    parser.add_argument("--datasets", nargs="*", default=["debian-tags", "debian-deps"])
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[10, 5],
        help="clusterings per dataset, in --datasets order (the last number repeats)",
    )
    parser.add_argument(
        "--candidates", type=int, nargs="*", default=[1, 3, 8], help="k-means++ candidates"
    )
    parser.add_argument("--n-labels", type=int, default=1_000_000, help="synthetic labels")
    parser.add_argument("--name", default="cluster_init", help="results/<name>.json and .md")
    parser.add_argument("--notes", default=None, help="free text stored with the results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = [("random", None)] + [("k-means++", c) for c in args.candidates]
    rows = []
    start = time.perf_counter()
    for index, name in enumerate(args.datasets):
        seeds = args.seeds[min(index, len(args.seeds) - 1)]
        rows += dataset_rows(args.data_dir, name, seeds, settings)
    rows += separable_rows(settings)
    if args.n_labels:
        default = [("random", None), ("k-means++", _label_tree._SEED_CANDIDATES)]
        rows += synthetic_rows(args.n_labels, default)
    write_results(
        args.name,
        rows,
        command_line(),
        notes=args.notes,
        metadata={"total_wall_s": round(time.perf_counter() - start, 1)},
        table_columns=TABLE_COLUMNS,
        details=DETAILS,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

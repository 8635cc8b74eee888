"""Benchmark LabelTreeClusterer: fit time, peak memory and cluster quality.

Cases (each measured in its own Python process, so that peak RSS is the case's own):

- ``debian-tags`` / ``debian-deps``: ``LabelTreeClusterer().fit(train_texts, Y_train)`` on the
  shared Debian datasets (TF-IDF of the raw texts, PIFA, tree); the TF-IDF and PIFA steps are
  also timed on their own, and the clusters' mean cosine similarity of labels to their cluster
  centroid is compared with a random balanced assignment of the same sizes.
- ``synthetic-<n>``: ``fit_from_label_features`` on a random (n_labels, 100,000) CSR matrix
  with 20 non-zeros per label (a PIFA-like matrix of a million-label dataset), for every
  ``--n-jobs`` value.

Results go to ``results/label_tree.{json,md}``::

    nice -n 10 python benchmarks/label_tree.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from _common import command_line, label_matrices, read_attentionxml, write_results
from joblib.externals.loky import get_reusable_executor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from skxml.cluster import LabelTreeClusterer
from skxml.cluster._label_tree import _pifa

SYNTHETIC_FEATURES = 100_000
SYNTHETIC_NNZ_PER_LABEL = 20

TABLE_COLUMNS = (
    "dataset",
    "method",
    "n_labels",
    "n_features",
    "label_nnz",
    "n_clusters",
    "leaf_sizes",
    "n_jobs",
    "tfidf_s",
    "pifa_s",
    "fit_s",
    "fit_peak_mib",
    "process_peak_rss_mib",
    "worker_peak_rss_mib",
    "iterations_per_level",
    "similarity",
    "random_similarity",
)

DETAILS = (
    "- `fit_s`: wall time of `LabelTreeClusterer(random_state=0).fit(train_texts, Y_train)` "
    "(TF-IDF, PIFA and the tree) for the Debian sets; of `fit_from_label_features(P)` (the "
    "tree only) for the synthetic one. `tfidf_s` and `pifa_s` time those two steps alone.",
    "- `fit_peak_mib`: peak of the memory allocated during the fit (tracemalloc, which sees "
    "NumPy's and SciPy's arrays), measured in a second, identical fit; the input is not "
    "counted. `process_peak_rss_mib`: peak resident memory of the whole process (data loading "
    "or generation included), from `getrusage`. With `n_jobs=2` the subtrees grow in worker "
    "processes, whose memory neither figure includes: `worker_peak_rss_mib` is the largest "
    "worker's peak resident memory.",
    "- `similarity`: mean cosine similarity of every label's PIFA vector to its cluster's "
    "normalised centroid; `random_similarity` the same for a random permutation of the "
    "assignment (same cluster sizes).",
    "- `leaf_sizes`: smallest and largest cluster; `iterations_per_level`: 2-means "
    "iterations run at each level of the tree (the most any node of the level needed).",
    "- Synthetic: column indices uniform over 100,000 features, values uniform in [0, 1), "
    "rows L2-normalised, 20 non-zeros per label before duplicates are merged.",
)


def _rss_mib() -> float:
    """Current resident memory of this process."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _timed_fit(fit: Any) -> tuple[LabelTreeClusterer, float, float]:
    """Run ``fit()`` twice: timed, then under tracemalloc; (model, seconds, peak MiB)."""
    start = time.perf_counter()
    model = fit()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    fit()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return model, seconds, peak


def mean_similarity(label_features: sp.csr_matrix, clusters: np.ndarray) -> float:
    """Mean cosine similarity of each label to the normalised sum of its cluster."""
    assignment = sp.csr_matrix(
        (np.ones(clusters.size), clusters, np.arange(clusters.size + 1)),
        shape=(clusters.size, int(clusters.max()) + 1),
    )
    centroids = normalize(assignment.T @ label_features)
    return float(label_features.multiply(centroids[clusters]).sum() / clusters.size)


def _summary(model: LabelTreeClusterer) -> dict[str, Any]:
    sizes = np.diff(model.cluster_indptr_)
    return {
        "n_clusters": model.n_clusters_,
        "leaf_sizes": f"{sizes.min()}–{sizes.max()}",
        "iterations_per_level": " ".join(map(str, model.n_iter_)),
    }


def run_dataset(data_dir: str, name: str, random_state: int) -> dict[str, Any]:
    data = read_attentionxml(data_dir, name)
    texts = data["train_texts"]
    Y, _, _ = label_matrices(data["train_labels"], data["test_labels"])
    rss_before = _rss_mib()
    start = time.perf_counter()
    features = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)
    features = features.fit_transform(texts)
    tfidf_seconds = time.perf_counter() - start
    start = time.perf_counter()
    label_features = _pifa(features, Y)
    pifa_seconds = time.perf_counter() - start

    model, seconds, peak = _timed_fit(
        lambda: LabelTreeClusterer(random_state=random_state).fit(texts, Y)
    )
    clusters = model.labels_to_clusters_
    shuffled = np.random.default_rng(random_state).permutation(clusters)
    return {
        "dataset": name,
        "method": "LabelTreeClusterer() on raw texts",
        "n_labels": Y.shape[1],
        "n_features": features.shape[1],
        "label_nnz": label_features.nnz,
        **_summary(model),
        "n_jobs": 1,
        "tfidf_s": round(tfidf_seconds, 2),
        "pifa_s": round(pifa_seconds, 2),
        "fit_s": round(seconds, 2),
        "fit_peak_mib": round(peak),
        "process_peak_rss_mib": round(_peak_rss_mib()),
        "rss_before_fit_mib": round(rss_before),
        "similarity": round(mean_similarity(label_features, clusters), 4),
        "random_similarity": round(mean_similarity(label_features, shuffled), 4),
    }


def synthetic_label_features(n_labels: int, seed: int) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    nnz = n_labels * SYNTHETIC_NNZ_PER_LABEL
    matrix = sp.csr_matrix(
        (
            rng.random(nnz, dtype=np.float32),
            rng.integers(0, SYNTHETIC_FEATURES, nnz, dtype=np.int32),
            np.arange(0, nnz + 1, SYNTHETIC_NNZ_PER_LABEL, dtype=np.int64),
        ),
        shape=(n_labels, SYNTHETIC_FEATURES),
    )
    matrix.sum_duplicates()
    return normalize(matrix)


def run_synthetic(n_labels: int, n_jobs: int, random_state: int) -> dict[str, Any]:
    label_features = synthetic_label_features(n_labels, seed=random_state)
    rss_before = _rss_mib()
    model, seconds, peak = _timed_fit(
        lambda: LabelTreeClusterer(
            max_leaf_size=16, random_state=random_state, n_jobs=n_jobs
        ).fit_from_label_features(label_features)
    )
    # The workers' memory is not this process's: reap them to read their peak RSS.
    get_reusable_executor().shutdown(wait=True)
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "dataset": f"synthetic-{n_labels}",
        "method": "fit_from_label_features (max_leaf_size=16)",
        "n_labels": n_labels,
        "n_features": SYNTHETIC_FEATURES,
        "label_nnz": label_features.nnz,
        **_summary(model),
        "n_jobs": n_jobs,
        "fit_s": round(seconds, 2),
        "fit_peak_mib": round(peak),
        "process_peak_rss_mib": round(_peak_rss_mib()),
        "rss_before_fit_mib": round(rss_before),
        "worker_peak_rss_mib": round(worker_peak) if n_jobs != 1 else None,
    }


def run_case(case: str, args: argparse.Namespace) -> dict[str, Any]:
    if case.startswith("synthetic-"):
        _, n_labels, n_jobs = case.split("-")
        return run_synthetic(int(n_labels), int(n_jobs), args.random_state)
    return run_dataset(args.data_dir, case, args.random_state)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="datasets' parent folder")
    parser.add_argument("--datasets", nargs="*", default=["debian-tags", "debian-deps"])
    parser.add_argument("--n-labels", type=int, default=1_000_000, help="synthetic labels")
    parser.add_argument(
        "--n-jobs", type=int, nargs="*", default=[1, 2], help="n_jobs values, synthetic case"
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--name", default="label_tree", help="results/<name>.json and .md")
    parser.add_argument("--notes", default=None, help="free text stored with the results")
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)  # one case, in a child
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.case is not None:
        print(json.dumps(run_case(args.case, args)), flush=True)
        return 0
    cases = [*args.datasets, *(f"synthetic-{args.n_labels}-{jobs}" for jobs in args.n_jobs)]
    rows = []
    start = time.perf_counter()
    for case in cases:
        child = [sys.executable, str(Path(__file__).resolve()), "--case", case]
        child += ["--data-dir", args.data_dir, "--random-state", str(args.random_state)]
        output = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        row = json.loads(output.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        rows.append(row)
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

"""How sure a gap between two models is: paired bootstrap over the test texts.

The benchmark tables compare single fits on one test split. A difference of 0.03 points of
P@1 on debian-tags' 5,879 test texts is two texts; this script says which differences the
test split can tell apart. It reads the top-5 predictions that ``inceptionxml.py
--save-predictions DIR`` and ``peers.py --save-predictions DIR`` store
(``DIR/<dataset>_<method>.npz``, written by :func:`_common.save_predictions`), checks that
they are for the same test texts, labels and propensities, and resamples the test texts with
replacement (the same resamples for every model, so the comparison is paired). For each
skxml model and metric it reports the model's figure, the best peer's on that metric, the
difference, its 95 % percentile interval over the resamples, and how often the skxml model
is ahead. P@k is a mean over texts; PSP@k is a ratio of sums over texts (propensity-weighted
hits over the best attainable), recomputed on each resample as a ratio.

This measures the test split's sampling noise only. A second fit with another
``random_state`` moves skxml's figures as well (the Benchmarks page gives seed spreads).

    python benchmarks/paired_bootstrap.py --predictions /tmp/predictions \\
        --datasets debian-tags debian-deps --name paired_bootstrap
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from _common import (
    command_line,
    load_prediction_dir,
    per_query_terms,
    ranking_metrics,
    write_results,
)

METRICS = ("P@1", "P@3", "P@5", "PSP@1", "PSP@3", "PSP@5")


def per_text_terms(terms: dict[str, np.ndarray], metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-text numerator and denominator whose sums' ratio is ``metric`` on any subset.

    P@k: hits in the top k, and k. PSP@k: the propensity-weighted hits in the top k, and the
    sum of the text's ``min(k, |y|)`` largest inverse propensities (``terms`` from
    :func:`_common.per_query_terms`, the definitions of :mod:`skxml.metrics`).
    """
    family, k_text = metric.split("@")
    k = int(k_text)
    if family == "P":
        hits = terms["hits"][:, :k].sum(axis=1)
        return hits, np.full(hits.shape[0], float(k))
    if family != "PSP":
        raise ValueError(f"metric must be P@k or PSP@k, got {metric!r}")
    return terms["gains"][:, :k].sum(axis=1), terms["ideal_gains"][:, :k].sum(axis=1)


def resample_counts(
    n_samples: int, n_resamples: int, seed: int, chunk: int = 250
) -> Iterator[np.ndarray]:
    """Yield (chunk, n_samples) arrays: how often each text is drawn in each resample."""
    rng = np.random.default_rng(seed)
    uniform = np.full(n_samples, 1.0 / n_samples)
    done = 0
    while done < n_resamples:
        size = min(chunk, n_resamples - done)
        yield rng.multinomial(n_samples, uniform, size=size).astype(np.float64)
        done += size


def _same_test_set(files: dict[str, dict[str, Any]], dataset: str) -> None:
    reference_name, reference = next(iter(files.items()))
    for name, stored in files.items():
        same = (
            stored["labels"].shape == reference["labels"].shape
            and (stored["labels"] != reference["labels"]).nnz == 0
            # The peers' environment computes them with the numpy fallback: equal to rounding.
            and np.allclose(stored["inv_propensity"], reference["inv_propensity"], rtol=1e-12)
        )
        if not same:
            raise SystemExit(
                f"{dataset}: {name} and {reference_name} hold different test labels or "
                "propensities; paired resampling needs the same test texts in the same order"
            )


def compare_dataset(
    dataset: str,
    files: dict[str, dict[str, Any]],
    metrics: Sequence[str],
    n_resamples: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Rows of the table for one dataset: each skxml model against the best peer per metric."""
    _same_test_set(files, dataset)
    names = list(files)
    labels = files[names[0]]["labels"]
    inv_propensity = files[names[0]]["inv_propensity"]
    max_k = max(int(metric.split("@")[1]) for metric in metrics)
    numerators, denominator = {}, {}
    for name in names:
        terms = per_query_terms(labels, files[name]["ranked"], inv_propensity, max_k)
        for metric in metrics:
            # The denominators depend on the true labels only: the same for every file.
            numerators[metric, name], denominator[metric] = per_text_terms(terms, metric)
    point = {
        key: 100.0 * value.sum() / denominator[key[0]].sum() for key, value in numerators.items()
    }
    for name in names:  # the per-text terms must add up to the benchmarks' own figures
        reference = ranking_metrics(labels, files[name]["ranked"], inv_propensity)
        for metric in metrics:
            if abs(point[metric, name] - reference[metric]) > 0.006:
                raise AssertionError(
                    f"{dataset} {name} {metric}: per-text terms give {point[metric, name]:.4f}, "
                    f"ranking_metrics {reference[metric]}"
                )
    # Every model's and metric's figure on every resample, from one product per chunk.
    columns = [numerators[key] for key in numerators] + [denominator[m] for m in metrics]
    stacked = np.stack(columns, axis=1)
    sums = np.concatenate(
        [counts @ stacked for counts in resample_counts(labels.shape[0], n_resamples, seed)]
    )
    n_keys = len(numerators)
    resampled = {
        key: 100.0 * sums[:, i] / sums[:, n_keys + metrics.index(key[0])]
        for i, key in enumerate(numerators)
    }
    candidates = [name for name in names if name.startswith("skxml")]
    peers = [name for name in names if not name.startswith("skxml")]
    if not candidates or not peers:
        raise SystemExit(
            f"{dataset}: need skxml predictions and peer predictions, found {sorted(names)}"
        )
    rows = []
    for candidate in candidates:
        for metric in metrics:
            best_peer = max(peers, key=lambda peer: point[metric, peer])
            difference = resampled[metric, candidate] - resampled[metric, best_peer]
            low, high = np.percentile(difference, [2.5, 97.5])
            rows.append(
                {
                    "dataset": dataset,
                    "method": candidate.replace("-", " ", 1)
                    .replace("--", ", ")
                    .replace("_seed", ", random_state="),
                    "metric": metric,
                    "skxml@metric": round(float(point[metric, candidate]), 2),
                    "best_peer": best_peer.replace("-", " ", 1),
                    "best_peer@metric": round(float(point[metric, best_peer]), 2),
                    "difference": round(
                        float(point[metric, candidate] - point[metric, best_peer]), 2
                    ),
                    "ci95_low": round(float(low), 2),
                    "ci95_high": round(float(high), 2),
                    "ahead_in": f"{100.0 * float(np.mean(difference > 0)):.1f} %",
                }
            )
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--predictions", required=True, metavar="DIR", help="folder of <dataset>_<method>.npz"
    )
    parser.add_argument("--datasets", nargs="+", default=["debian-tags", "debian-deps"])
    parser.add_argument("--metrics", nargs="+", default=["P@1", "PSP@5"], choices=METRICS)
    parser.add_argument("--n-resamples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling")
    parser.add_argument("--name", default="paired_bootstrap", help="results/<name>.json and .md")
    parser.add_argument("--notes", default=None, help="free text stored with the results")
    args = parser.parse_args(argv)
    if args.n_resamples < 100:
        parser.error(f"--n-resamples must be at least 100, got {args.n_resamples}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rows = []
    for dataset in args.datasets:
        files = load_prediction_dir(args.predictions, dataset)
        rows += compare_dataset(dataset, files, list(args.metrics), args.n_resamples, args.seed)
    for row in rows:
        print(row, flush=True)
    write_results(
        args.name,
        rows,
        command_line(),
        notes=args.notes,
        table_columns=(
            "dataset",
            "method",
            "metric",
            "skxml@metric",
            "best_peer",
            "best_peer@metric",
            "difference",
            "ci95_low",
            "ci95_high",
            "ahead_in",
        ),
        details=[
            "",
            f"Paired bootstrap over the test texts, {args.n_resamples:,} resamples (seed "
            f"{args.seed}): `difference` is skxml's figure minus the best peer's on that "
            "metric, `ci95_low`/`ci95_high` the 2.5th and 97.5th percentiles of that "
            "difference over the resamples, `ahead_in` the share of resamples in which skxml "
            "is ahead. Test-split noise only: another `random_state` moves skxml's figures too.",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

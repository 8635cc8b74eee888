"""Benchmark skxml's InceptionXML and InceptionXML+ on the shared Debian datasets, beside peers.

For each dataset and model (``--models inceptionxml plus``): fit ``InceptionXMLClassifier()``
or ``InceptionXMLPlusClassifier()`` (default parameters unless ``--param`` says otherwise)
on the training split, then measure P@k / PSP@k / nDCG@k on the test split,
training time, the median latency of one raw query (tokenisation included) and the
throughput at batch 256. Results go to ``results/<--name>.{json,md}`` (default
``inceptionxml``). With the peers' results present (``results/<--peers>.json``, written by
``peers.py``), a merged ``results/<--comparison>.{json,md}`` is written too: by default
``comparison`` from ``peers``, and only for the default ``--name``, so that a run under
another name never overwrites the documented comparison.

    python benchmarks/inceptionxml.py --data-dir ../shared/data --datasets debian-tags debian-deps
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import torch
from _common import (
    RESULTS_DIR,
    command_line,
    inverse_propensity,
    label_matrices,
    load_results,
    median_latency_ms,
    ranking_metrics,
    read_attentionxml,
    save_predictions,
    throughput,
    timed,
    write_results,
)

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier

DEFAULT_NAME = "inceptionxml"

MODELS = {
    "inceptionxml": ("skxml InceptionXML", InceptionXMLClassifier),
    "plus": ("skxml InceptionXML+", InceptionXMLPlusClassifier),
}


def ranked_indices(scores: Any, k: int) -> np.ndarray:
    """(n, k) label indices, best first, from a CSR top-k score matrix (-1 pads)."""
    ranked = np.full((scores.shape[0], k), -1, dtype=np.int64)
    for row in range(scores.shape[0]):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        order = np.lexsort((scores.indices[start:end], -scores.data[start:end]))[:k]
        ranked[row, : order.size] = scores.indices[start:end][order]
    return ranked


def benchmark_dataset(
    args: argparse.Namespace, name: str, model_name: str, params: dict[str, Any]
) -> dict:
    data = read_attentionxml(args.data_dir, name)
    Y_train, Y_test, _ = label_matrices(data["train_labels"], data["test_labels"])
    method, estimator = MODELS[model_name]
    # set_params takes nested names too: --param clusterer__init='"random"' (InceptionXML+).
    model = estimator(random_state=args.random_state).set_params(**params)
    _, train_seconds = timed(model.fit, data["train_texts"], Y_train)
    scores = model.decision_function(data["test_texts"])
    ranked, inv_propensity = ranked_indices(scores, 5), inverse_propensity(Y_train)
    row: dict[str, Any] = {
        "dataset": name,
        "method": method + (f" {json.dumps(params)}" if params else ""),
        **ranking_metrics(Y_test, ranked, inv_propensity),
    }
    if args.save_predictions:
        # The same layout as peers.py --save-predictions, for paired_bootstrap.py.
        directory = Path(args.save_predictions)
        directory.mkdir(parents=True, exist_ok=True)
        setting = "".join(f"--{key}={value}" for key, value in params.items())
        slug = re.sub(r"[^\w.=+-]", "", f"{method.replace(' ', '-')}{setting}")
        slug += f"_seed{args.random_state}"
        save_predictions(directory / f"{name}_{slug}.npz", Y_test, ranked, inv_propensity)
    queries = data["test_texts"]
    row["train_s"] = round(train_seconds, 1)
    row["latency_ms"] = round(
        median_latency_ms(lambda q: model.decision_function([q]), queries, args.latency_queries), 3
    )
    row["throughput_qps"] = round(throughput(model.decision_function, queries, 256))
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    row["model_mb"] = round(buffer.tell() / 2**20, 2)
    row["epochs"] = model.n_epochs_trained_
    row["device"] = str(model.device_)
    if model_name == "plus":
        row["shortlist_recall"] = round(
            100 * model.shortlist_recall(data["test_texts"], Y_test), 2
        )
    print(json.dumps(row), flush=True)
    return row


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="datasets' parent folder")
    parser.add_argument("--datasets", nargs="+", default=["debian-tags", "debian-deps"])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS))
    parser.add_argument(
        "--param", action="append", default=[], metavar="NAME=JSON", help="estimator parameter"
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--latency-queries", type=int, default=500)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (all cores)")
    parser.add_argument("--name", default=DEFAULT_NAME, help="results/<name>.json and .md")
    parser.add_argument("--notes", default=None, help="free text stored with the results")
    parser.add_argument(
        "--save-predictions",
        metavar="DIR",
        help="also store each model's top-5 on the test split as DIR/<dataset>_<method>"
        "[--<param>=<value>...]_seed<S>.npz (for paired_bootstrap.py)",
    )
    parser.add_argument(
        "--peers",
        default="peers",
        help="results/<peers>.json: the peer rows to merge with (default: peers)",
    )
    parser.add_argument(
        "--comparison",
        default=None,
        help="results/<comparison>.json and .md: the merged table (default: comparison "
        "with the default --name, none with another; 'none': no merged table)",
    )
    args = parser.parse_args(argv)
    if args.comparison is None and args.name == DEFAULT_NAME:
        args.comparison = "comparison"
    if args.comparison is not None and args.comparison.lower() == "none":
        args.comparison = None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    params = {}
    for item in args.param:
        key, _, value = item.partition("=")
        params[key] = json.loads(value)
    rows = [
        benchmark_dataset(args, name, model_name, params)
        for name in args.datasets
        for model_name in args.models
    ]
    measured = {(row["dataset"], row["method"]) for row in rows}
    command = command_line()
    notes = args.notes or ""
    if (RESULTS_DIR / f"{args.name}.json").exists():
        # Keep the rows of datasets this run did not measure, saying when they were taken.
        previous = load_results(args.name)
        kept = [row for row in previous["rows"] if (row["dataset"], row["method"]) not in measured]
        if kept:
            notes = notes.rstrip()
            notes += (". " if notes and not notes.endswith(".") else " ") + (
                f"Rows {sorted({(row['dataset'], row['method']) for row in kept})} kept from "
                "the run of "
                f"{previous['metadata']['date_utc']} ({previous['metadata']['command']})."
            )
            rows = kept + rows
    write_results(args.name, rows, command, notes=notes.strip() or None)
    if args.comparison and (RESULTS_DIR / f"{args.peers}.json").exists():
        peers = load_results(args.peers)
        merged = sorted([*peers["rows"], *rows], key=lambda row: (row["dataset"], row["method"]))
        write_results(
            args.comparison,
            merged,
            command,
            notes=f"skxml rows from this command; peer rows from results/{args.peers}.json, "
            "run by: "
            f"{peers['metadata']['command']} on {peers['metadata']['date_utc']}. {notes}",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

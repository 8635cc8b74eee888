"""The ``skxml`` command line: a thin layer over the public API.

``skxml demo`` is the project's main job: it loads the embedded default dataset, prints its
statistics, fits a model on the training split and prints P@k / PSP@k on the test split.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from skxml import __version__

_K_VALUES = (1, 3, 5)


def _evaluate(y_true: Any, y_score: Any, inv_propensity: Any) -> dict[str, float]:
    """P@k, PSP@k and nDCG@k for k = 1, 3, 5, as percentages."""
    from skxml.metrics import ndcg_at_k, precision_at_k, psp_at_k

    results: dict[str, float] = {}
    for k in _K_VALUES:
        results[f"P@{k}"] = 100 * precision_at_k(y_true, y_score, k=k)
    for k in _K_VALUES:
        results[f"nDCG@{k}"] = 100 * ndcg_at_k(y_true, y_score, k=k)
    for k in _K_VALUES:
        results[f"PSP@{k}"] = 100 * psp_at_k(y_true, y_score, k=k, inv_propensity=inv_propensity)
    return results


def _print_table(title: str, rows: dict[str, Any]) -> None:
    print(title)
    width = max(len(name) for name in rows)
    for name, value in rows.items():
        text = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"  {name:<{width}}  {text}")


def _run_demo(args: argparse.Namespace) -> int:
    from skxml._knn_baseline import TfidfKNNBaseline
    from skxml.datasets import describe_dataset, load_debian_tags
    from skxml.metrics import inverse_propensity

    train = load_debian_tags(subset="train")
    test = load_debian_tags(subset="test")
    print(f"skxml {__version__} -- embedded dataset: debian-tags (Debian package descriptions)")
    _print_table("train split:", describe_dataset(train.data, train.target))
    _print_table("test split:", describe_dataset(test.data, test.target))

    model = TfidfKNNBaseline(n_neighbors=args.n_neighbors, top_k=max(_K_VALUES))
    started = time.perf_counter()
    model.fit(train.data, train.target)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = model.decision_function(test.data)
    predict_seconds = time.perf_counter() - started

    inv_propensity = inverse_propensity(train.target, A=0.55, B=1.5)
    results = _evaluate(test.target, scores, inv_propensity)
    print(
        f"model: TF-IDF {args.n_neighbors}-nearest-neighbour baseline "
        f"(fit {fit_seconds:.1f} s, predict {predict_seconds:.1f} s)"
    )
    _print_table("test metrics (%, propensities A=0.55 B=1.5 from the training split):", results)
    if args.json:
        print(json.dumps({k: round(v, 4) for k, v in results.items()}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``skxml`` command.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> from skxml.cli import build_parser
    >>> build_parser().parse_args(["demo"]).command
    'demo'
    """
    parser = argparse.ArgumentParser(
        prog="skxml",
        description="Short-text extreme multi-label classification (InceptionXML).",
    )
    parser.add_argument("--version", action="version", version=f"skxml {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="train and evaluate on the embedded debian-tags dataset",
        description=(
            "Load the embedded debian-tags dataset, print its statistics, fit a model on the "
            "training split and print P@k, nDCG@k and PSP@k (k = 1, 3, 5) on the test split."
        ),
    )
    demo.add_argument(
        "--n-neighbors", type=int, default=10, help="neighbours of the k-NN baseline (10)"
    )
    demo.add_argument("--json", action="store_true", help="also print the metrics as JSON")
    demo.set_defaults(handler=_run_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skxml`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments (without the program name); ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        The exit status: 0 on success.

    Examples
    --------
    >>> from skxml.cli import main
    >>> main(["--version"])  # doctest: +SKIP
    skxml 0.1.0.dev0
    """
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

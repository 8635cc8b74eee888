"""Helpers shared by the benchmark scripts: data, machine description, timing, metrics, results.

This module only needs numpy and scipy, so that it imports in the peers' virtual environment
(``benchmarks/.venv-peers``, which has neither torch nor skxml) as well as in the main one.
Metrics are computed with :mod:`skxml.metrics` when skxml imports, and otherwise with
:func:`fallback_ranking_metrics`, a small numpy transcription of the same definitions that
was checked against skxml on real predictions (run this file with ``--verify`` to repeat the
check; see ``benchmarks/README.md``).

Typical use in a runner::

    data = read_attentionxml("../shared/data", "debian-tags")
    Y_train, Y_test, label_names = label_matrices(data["train_labels"], data["test_labels"])
    inv_propensity = inverse_propensity(Y_train)
    row = {"dataset": "debian-tags", "method": "...", **ranking_metrics(Y_test, ranked,
           inv_propensity)}
    write_results("peers", [row], command=command_line())
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

BENCHMARKS_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCHMARKS_DIR / "results"
REPO_ROOT = BENCHMARKS_DIR.parent

KS = (1, 3, 5)
# Propensity constants of the Extreme Classification Repository for "other" datasets, the
# ones the shared Debian datasets prescribe.
PROPENSITY_A = 0.55
PROPENSITY_B = 1.5

# Columns of the Markdown table, in this order; any other key of a row is appended after them.
TABLE_COLUMNS = (
    "dataset",
    "method",
    *(f"P@{k}" for k in KS),
    *(f"PSP@{k}" for k in KS),
    *(f"nDCG@{k}" for k in KS),
    "train_s",
    "latency_ms",
    "throughput_qps",
    "model_mb",
)


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return handle.read().splitlines()


def read_attentionxml(data_dir: str | os.PathLike[str], name: str) -> dict[str, list[Any]]:
    """Read one dataset in the AttentionXML plain-text layout.

    Returns a dict with ``train_texts``, ``test_texts`` (lists of str) and ``train_labels``,
    ``test_labels`` (lists of lists of label names).
    """
    directory = Path(data_dir) / name
    data: dict[str, list[Any]] = {}
    for split in ("train", "test"):
        texts = _read_lines(directory / f"{split}_texts.txt")
        labels = [line.split() for line in _read_lines(directory / f"{split}_labels.txt")]
        if len(texts) != len(labels):
            raise ValueError(
                f"{directory}: {split}_texts.txt has {len(texts)} lines but "
                f"{split}_labels.txt has {len(labels)}."
            )
        data[f"{split}_texts"] = texts
        data[f"{split}_labels"] = labels
    return data


def label_matrices(
    train_labels: Sequence[Sequence[str]], test_labels: Sequence[Sequence[str]]
) -> tuple[sp.csr_matrix, sp.csr_matrix, list[str]]:
    """0/1 CSR label matrices over the label space of the training set.

    Labels are indexed in sorted order of their names. Test labels absent from the
    training set raise a ``ValueError`` (the shared datasets guarantee there are none).
    """
    label_names = sorted({label for labels in train_labels for label in labels})
    index = {label: position for position, label in enumerate(label_names)}
    unknown = {label for labels in test_labels for label in labels if label not in index}
    if unknown:
        raise ValueError(
            f"{len(unknown)} test labels do not occur in the training labels, e.g. "
            f"{sorted(unknown)[:5]}; the label space must be the training one."
        )

    def to_csr(rows: Sequence[Sequence[str]]) -> sp.csr_matrix:
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(set(labels)) for labels in rows])
        indices = np.fromiter(
            (index[label] for labels in rows for label in sorted(set(labels))),
            dtype=np.int64,
            count=int(indptr[-1]),
        )
        matrix = sp.csr_matrix(
            (np.ones(indices.size, dtype=np.float32), indices, indptr),
            shape=(len(rows), len(label_names)),
        )
        matrix.sort_indices()
        return matrix

    return to_csr(train_labels), to_csr(test_labels), label_names


# --------------------------------------------------------------------------------------
# Machine and command
# --------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in _read_lines(Path("/proc/cpuinfo")):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in _read_lines(Path("/proc/meminfo")):
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _module_version(name: str) -> str | None:
    try:
        return str(importlib.import_module(name).__version__)
    except Exception:  # any import failure means "not available"
        return None


def distribution_version(name: str) -> str | None:
    """Installed version of the distribution ``name`` (e.g. ``libpecos``), or None."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _gpu() -> str | None:
    try:
        torch = importlib.import_module("torch")
    except Exception:  # a broken torch install means no GPU to report
        return None
    if torch.cuda.is_available():
        return ", ".join(
            torch.cuda.get_device_name(device) for device in range(torch.cuda.device_count())
        )
    return None


def machine_info(extra_modules: Sequence[str] = ()) -> dict[str, Any]:
    """Describe the machine and software, without the host name.

    Parameters
    ----------
    extra_modules : sequence of str
        Further modules whose ``__version__`` is recorded when they import (e.g. the peers).
    """
    versions = {}
    for name in ("numpy", "scipy", "sklearn", "torch", "skxml", *extra_modules):
        version = _module_version(name)
        if version is not None:
            versions[name] = version
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    # Variables that change how native libraries use threads change the timings.
    thread_env = {
        key: value
        for key, value in sorted(os.environ.items())
        if key.startswith(("OMP_", "MKL_", "OPENBLAS_", "GOMP_", "KMP_", "RAYON_"))
    }
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
        "gpu": _gpu() if "torch" in versions else None,
        "load_average_1_5_15": [round(value, 2) for value in load] if load else None,
        "thread_env": thread_env,
    }


def _interpreter() -> str:
    """How to name this Python on a command line: relative path inside the working directory
    (e.g. a venv), bare name when that name on PATH is this interpreter, else the full path."""
    executable = Path(sys.executable)
    try:
        return str(executable.relative_to(Path.cwd()))
    except ValueError:
        pass
    on_path = shutil.which(executable.name)
    if on_path and Path(on_path).resolve() == executable.resolve():
        return executable.name
    return str(executable)


def command_line() -> str:
    """The command that started this process, as it could be typed again from its folder."""
    return " ".join(shlex.quote(part) for part in [_interpreter(), *sys.argv])


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Call ``function`` and return ``(result, wall-clock seconds)``."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def median_latency_ms(
    predict_one: Callable[[Any], Any], queries: Sequence[Any], n: int = 500, warmup: int = 10
) -> float:
    """Median wall-clock milliseconds of ``predict_one(query)`` over the first ``n`` queries.

    The first ``warmup`` queries are predicted once beforehand, untimed, so that lazy
    initialisation (thread pools, caches) does not count.
    """
    selected = list(queries[:n])
    if not selected:
        raise ValueError("queries is empty; latency needs at least one query.")
    for query in selected[:warmup]:
        predict_one(query)
    durations = []
    for query in selected:
        start = time.perf_counter()
        predict_one(query)
        durations.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(durations)


def throughput(
    predict_batch: Callable[[Sequence[Any]], Any], queries: Sequence[Any], batch_size: int = 256
) -> float:
    """Queries per second of ``predict_batch`` over all ``queries``, ``batch_size`` at a time."""
    if len(queries) == 0:
        raise ValueError("queries is empty; throughput needs at least one query.")
    predict_batch(queries[:batch_size])  # warm-up, untimed
    start = time.perf_counter()
    for begin in range(0, len(queries), batch_size):
        predict_batch(queries[begin : begin + batch_size])
    return len(queries) / (time.perf_counter() - start)


# --------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------


def _skxml_metrics() -> Any | None:
    """skxml.metrics when skxml imports (it needs torch), else None."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))
    try:
        return importlib.import_module("skxml.metrics")
    except Exception:  # e.g. torch missing in the peers' venv
        return None


def fallback_inverse_propensity(
    Y_train: sp.spmatrix, A: float = PROPENSITY_A, B: float = PROPENSITY_B
) -> np.ndarray:
    """``1/p_l = 1 + C (N_l + B)^-A``, ``C = (ln N - 1)(B + 1)^A`` (Jain et al., 2016)."""
    n_samples = Y_train.shape[0]
    counts = np.asarray((sp.csr_matrix(Y_train) > 0).sum(axis=0), dtype=np.float64).ravel()
    spread = (np.log(n_samples) - 1.0) * (B + 1.0) ** A
    return 1.0 + spread * np.power(counts + B, -A)


def inverse_propensity(
    Y_train: sp.spmatrix, A: float = PROPENSITY_A, B: float = PROPENSITY_B
) -> np.ndarray:
    """Inverse propensities of the training labels, with skxml when available."""
    metrics = _skxml_metrics()
    if metrics is not None:
        return np.asarray(metrics.inverse_propensity(Y_train, A=A, B=B))
    return fallback_inverse_propensity(Y_train, A=A, B=B)


def per_query_terms(
    Y_true: sp.spmatrix, ranked: np.ndarray, inv_propensity: np.ndarray, max_k: int
) -> dict[str, np.ndarray]:
    """Each query's terms of the ranking metrics, ``(n, max_k)`` arrays by rank position.

    ``hits`` (1 where the label ranked there is true), ``gains`` (those hits weighted by
    the label's inverse propensity), ``ideal_gains`` (the query's true-label weights,
    largest first, zero padded) and ``n_true`` (labels per query, shape ``(n,)``). ``ranked``
    is an ``(n, m)`` int array of label indices, best first, ``-1`` for no prediction.
    """
    labels = sp.csr_matrix(Y_true, dtype=np.float64)
    labels.sum_duplicates()
    labels.sort_indices()
    ranked = np.asarray(ranked, dtype=np.int64)
    n_samples, n_labels = labels.shape
    padded = np.full((n_samples, max_k), -1, dtype=np.int64)
    padded[:, : min(max_k, ranked.shape[1])] = ranked[:, :max_k]
    row_of_entry = np.repeat(np.arange(n_samples, dtype=np.int64), np.diff(labels.indptr))
    true_keys = row_of_entry * n_labels + labels.indices
    query_keys = np.arange(n_samples, dtype=np.int64)[:, None] * n_labels + padded
    positions = np.minimum(np.searchsorted(true_keys, query_keys), max(true_keys.size - 1, 0))
    hits = (padded >= 0) & (true_keys.size > 0) & (true_keys[positions] == query_keys)
    hits = hits.astype(np.float64)

    weights = np.asarray(inv_propensity, dtype=np.float64)
    entry_weights = weights[labels.indices]
    order = np.lexsort((-entry_weights, row_of_entry))
    rank_in_row = np.arange(row_of_entry.size) - labels.indptr[row_of_entry]
    keep = rank_in_row < max_k
    ideal_gains = np.zeros((n_samples, max_k))
    ideal_gains[row_of_entry[keep], rank_in_row[keep]] = entry_weights[order[keep]]
    return {
        "hits": hits,
        "gains": hits * weights[np.maximum(padded, 0)],
        "ideal_gains": ideal_gains,
        "n_true": np.diff(labels.indptr),
    }


def fallback_ranking_metrics(
    Y_true: sp.spmatrix, ranked: np.ndarray, inv_propensity: np.ndarray, ks: Sequence[int] = KS
) -> dict[str, float]:
    """P@k, PSP@k and nDCG@k (as fractions) with the definitions of :mod:`skxml.metrics`.

    ``ranked`` is an ``(n, m)`` int array of label indices, best first, ``-1`` for no
    prediction. P@k divides the hits by ``n * k``; nDCG@k is the mean over queries of
    DCG / ideal DCG (a query without labels counts 0); PSP@k sums the propensity-weighted
    hits over all queries and divides by the sum of each query's ``min(k, |y|)`` largest
    inverse propensities.
    """
    max_k = max(ks)
    terms = per_query_terms(Y_true, ranked, inv_propensity, max_k)
    hits, gains, ideal_gains, n_true = (
        terms[key] for key in ("hits", "gains", "ideal_gains", "n_true")
    )
    n_samples = hits.shape[0]
    discounts = 1.0 / np.log2(np.arange(2, max_k + 2, dtype=np.float64))

    scores = {}
    for k in ks:
        scores[f"P@{k}"] = float(hits[:, :k].sum() / (n_samples * k))
        ideal_dcg = np.cumsum(discounts[:k])[np.minimum(n_true, k) - 1]
        dcg = hits[:, :k] @ discounts[:k]
        ratios = np.divide(dcg, ideal_dcg, out=np.zeros(n_samples), where=n_true > 0)
        scores[f"nDCG@{k}"] = float(ratios.mean())
        ideal_total = ideal_gains[:, :k].sum()
        scores[f"PSP@{k}"] = float(gains[:, :k].sum() / ideal_total) if ideal_total > 0 else 0.0
    return scores


def skxml_ranking_metrics(
    Y_true: sp.spmatrix, ranked: np.ndarray, inv_propensity: np.ndarray, ks: Sequence[int] = KS
) -> dict[str, float]:
    """The same metrics as :func:`fallback_ranking_metrics`, computed by skxml.metrics."""
    metrics = _skxml_metrics()
    if metrics is None:
        raise ImportError("skxml.metrics does not import in this environment.")
    ranked = np.asarray(ranked, dtype=np.int64)
    scores = {}
    for k in ks:
        scores[f"P@{k}"] = metrics.precision_at_k(Y_true, ranked, k=k)
        scores[f"nDCG@{k}"] = metrics.ndcg_at_k(Y_true, ranked, k=k)
        scores[f"PSP@{k}"] = metrics.psp_at_k(Y_true, ranked, k=k, inv_propensity=inv_propensity)
    return scores


def ranking_metrics(
    Y_true: sp.spmatrix, ranked: np.ndarray, inv_propensity: np.ndarray, ks: Sequence[int] = KS
) -> dict[str, Any]:
    """P@k, PSP@k, nDCG@k as percentages with two decimals, in the order of the table.

    Uses skxml.metrics when skxml imports, the numpy fallback otherwise; the key
    ``metrics_backend`` says which.
    """
    if _skxml_metrics() is not None:
        scores, backend = skxml_ranking_metrics(Y_true, ranked, inv_propensity, ks), "skxml"
    else:
        scores, backend = fallback_ranking_metrics(Y_true, ranked, inv_propensity, ks), "numpy"
    ordered: dict[str, Any] = {}
    for family in ("P", "PSP", "nDCG"):
        for k in ks:
            ordered[f"{family}@{k}"] = round(100.0 * scores[f"{family}@{k}"], 2)
    ordered["metrics_backend"] = backend
    return ordered


def save_predictions(
    path: str | os.PathLike[str],
    Y_true: sp.spmatrix,
    ranked: np.ndarray,
    inv_propensity: np.ndarray,
) -> None:
    """Store what the metrics need, to check the fallback against skxml in another env."""
    labels = sp.csr_matrix(Y_true)
    np.savez_compressed(
        path,
        indptr=labels.indptr,
        indices=labels.indices,
        shape=np.asarray(labels.shape),
        ranked=np.asarray(ranked, dtype=np.int64),
        inv_propensity=np.asarray(inv_propensity, dtype=np.float64),
    )


def load_predictions(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A file of :func:`save_predictions`: ``labels`` (CSR), ``ranked``, ``inv_propensity``."""
    stored = np.load(path)
    labels = sp.csr_matrix(
        (np.ones(stored["indices"].size), stored["indices"], stored["indptr"]),
        shape=tuple(stored["shape"]),
    )
    return {
        "labels": labels,
        "ranked": stored["ranked"],
        "inv_propensity": stored["inv_propensity"],
    }


def load_prediction_dir(
    directory: str | os.PathLike[str], dataset: str
) -> dict[str, dict[str, Any]]:
    """Every ``<dataset>_<method>.npz`` of ``directory`` (:func:`save_predictions`), by method."""
    paths = sorted(Path(directory).glob(f"{dataset}_*.npz"))
    if not paths:
        raise SystemExit(f"no {dataset}_*.npz in {directory}")
    return {path.stem[len(dataset) + 1 :]: load_predictions(path) for path in paths}


def verify_fallback(paths: Sequence[str | os.PathLike[str]]) -> float:
    """Largest absolute difference between the fallback and skxml over saved predictions."""
    worst = 0.0
    for path in paths:
        stored = load_predictions(path)
        labels, ranked, inv_propensity = (
            stored["labels"],
            stored["ranked"],
            stored["inv_propensity"],
        )
        ours = fallback_ranking_metrics(labels, ranked, inv_propensity)
        reference = skxml_ranking_metrics(labels, ranked, inv_propensity)
        difference = max(abs(ours[key] - reference[key]) for key in reference)
        worst = max(worst, difference)
        print(f"{path}: max |fallback - skxml| = {difference:.3g}")
    return worst


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if "@" in column:  # metrics, in percent
            return f"{value:.2f}"
        if abs(value) >= 100:
            return f"{value:.0f}"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] = ()) -> str:
    """A Markdown table of ``rows``: :data:`TABLE_COLUMNS` first, then any other keys."""
    if not columns:
        present = {key for row in rows for key in row}
        columns = [column for column in TABLE_COLUMNS if column in present]
        columns += [key for row in rows for key in row if key not in columns]
        columns = list(dict.fromkeys(columns))
    lines = [
        "| " + " | ".join(columns) + " |",
        "|"
        + "|".join("---" if column in ("dataset", "method") else "---:" for column in columns)
        + "|",
    ]
    for row in rows:
        lines.append(
            "| " + " | ".join(_cell(column, row.get(column)) for column in columns) + " |"
        )
    return "\n".join(lines)


def write_results(
    name: str,
    rows: Sequence[dict[str, Any]],
    command: str,
    *,
    notes: str | None = None,
    metadata: dict[str, Any] | None = None,
    table_columns: Sequence[str] = (),
    details: Sequence[str] = (),
) -> tuple[Path, Path]:
    """Write ``results/<name>.json`` (rows + metadata) and ``results/<name>.md`` (a table).

    The metadata holds the date, :func:`machine_info`, the exact ``command``, the working
    directory it ran in (relative to the repository) and ``notes`` (e.g. that the machine was
    busy); ``metadata`` adds further keys. ``details`` are Markdown lines written under the
    table (e.g. what each method is), ``table_columns`` the table's columns (default:
    :data:`TABLE_COLUMNS` then any other key). Both are stored in the JSON, from which
    :func:`render_markdown` writes the table. Returns both paths.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    try:
        working_directory = str(Path.cwd().relative_to(REPO_ROOT))
    except ValueError:
        working_directory = str(Path.cwd())
    meta = {
        "date_utc": info["date_utc"],
        "command": command,
        "working_directory": working_directory,
        "machine": info,
        "notes": notes,
        **(metadata or {}),
        "table_columns": list(table_columns),
        "details": list(details),
    }
    json_path = RESULTS_DIR / f"{name}.json"
    with open(json_path, "w", encoding="utf-8") as handle:
        json.dump({"metadata": meta, "rows": list(rows)}, handle, indent=2)
        handle.write("\n")
    return json_path, render_markdown(name)


def render_markdown(name: str) -> Path:
    """(Re)write ``results/<name>.md`` from ``results/<name>.json``; return its path."""
    stored = load_results(name)
    meta, info = stored["metadata"], stored["metadata"]["machine"]
    versions = ", ".join(f"{key} {value}" for key, value in info["versions"].items())
    lines = [
        f"# {name}",
        "",
        f"- Date (UTC): {meta['date_utc']}",
        f"- Command (run from `{meta.get('working_directory', '.')}`): `{meta['command']}`",
        f"- Machine: {info['cpu']}, {info['cpu_count']} cores, {info['ram_gib']} GiB RAM, "
        f"GPU: {info['gpu'] or 'none'}; Python {info['python']}; {versions}",
    ]
    if info.get("thread_env"):
        lines.append(f"- Thread environment: {info['thread_env']}")
    if meta.get("total_wall_s") is not None:
        lines.append(f"- Total wall time of the run: {meta['total_wall_s']} s")
    if meta.get("notes"):
        lines.append(f"- Notes: {meta['notes']}")
    lines += ["", markdown_table(stored["rows"], meta.get("table_columns") or ()), ""]
    if meta.get("details"):
        lines += [*meta["details"], ""]
    md_path = RESULTS_DIR / f"{name}.md"
    md_path.write_text("\n".join(lines), encoding="utf-8")
    return md_path


def load_results(name: str) -> dict[str, Any]:
    """Read back ``results/<name>.json`` (``{"metadata": ..., "rows": [...]}``), to merge."""
    with open(RESULTS_DIR / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def main(argv: Sequence[str] | None = None) -> int:
    """``python benchmarks/_common.py --verify FILE.npz ...`` or ``--render NAME ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--verify",
        nargs="+",
        metavar="NPZ",
        help="compare the numpy fallback with skxml.metrics on prediction files written by "
        "peers.py --save-predictions (needs skxml, so torch)",
    )
    action.add_argument(
        "--render", nargs="+", metavar="NAME", help="rewrite results/NAME.md from NAME.json"
    )
    args = parser.parse_args(argv)
    if args.render:
        for name in args.render:
            print(render_markdown(name))
        return 0
    worst = verify_fallback(args.verify)
    print(f"largest difference over all files: {worst:.3g}")
    return 0 if worst < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())

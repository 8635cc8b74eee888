"""GPU benchmark: CUDA correctness on real data, then speed at AmazonTitles-670K / -3M shapes.

Run on a machine with a CUDA GPU (it refuses to run without one)::

    python benchmarks/gpu.py --data-dir ../shared/data --parts paths tags synthetic 3m deps

``paths``: the code paths that only a GPU runs, as mended on 2026-12-07 (a minute): one text
through InceptionXML+ without a sparse linear map (the batch path off the CPU), prediction in
float32 after bf16 and back, a checkpoint of a propensity-weighted fit loaded by a process
that sees no GPU, and batch-1 time with ``device="cuda"`` and ``"cuda:0"``.

``tags`` and ``deps``: both classifiers with their defaults fitted on CUDA on debian-tags (and
debian-deps when ``--data-dir`` has it): P@k / PSP@k and fit time, the per-epoch training
throughput; the fitted model dumped with joblib and loaded in a process that sees no GPU
(``CUDA_VISIBLE_DEVICES=""``), whose top-5 predictions are compared with the GPU's.

``synthetic``: random data shaped like AmazonTitles-670K (vocabulary 66,666 words, texts of
8 to 32 tokens, 670,091 labels, ~5.5 labels per text; part ``3m``: 2,812,281 labels):
training throughput of the estimators' own ``fit`` (samples/s of the second epoch, the
first pays for warm-up), peak GPU memory, the median latency of ``decision_function`` on one
raw text (tokenisation, network, top-5, CSR) and on a batch of 256, and the same through the
network alone (token ids already on the GPU; forward and top-5, synchronised). InceptionXML+
uses random balanced label clusters of the paper's sizes (65,536 / 131,072 clusters, 800
shortlisted): label clustering is benchmarked on its own by ``label_tree.py``, and the
shortlist's shape, not its quality, sets the cost. Configurations: ``paper`` is the
reference implementation's model (300-d embeddings, no TF-IDF side input, plain BCE),
``default`` the estimator's defaults at that scale.

Results go to ``results/gpu.{json,md}``; ``--out DIR`` also copies them there (the device
machine's ``$OUT``).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
import torch
from _common import (
    RESULTS_DIR,
    command_line,
    inverse_propensity,
    label_matrices,
    ranking_metrics,
    read_attentionxml,
    write_results,
)
from sklearn.base import clone

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.datasets import load_debian_tags

# AmazonTitles-670K / -3M shapes (Extreme Classification Repository).
VOCABULARY = 66_666
SHAPES = {
    "labels_670k": 670_091,
    "clusters_670k": 65_536,
    "labels_3m": 2_812_281,
    "clusters_3m": 131_072,
    "shortlist": 800,
}
DEVICE = "cuda"


class RandomBalancedClusterer(LabelTreeClusterer):
    """Labels dealt at random into ``n_clusters`` clusters whose sizes differ by at most one.

    The synthetic data has no label structure to find; these clusters have the sizes the
    real tree would give, which is what sets the shortlist's cost.
    """

    def _fit_label_features(self, label_features: sp.csr_matrix) -> None:
        n_labels = label_features.shape[0]
        n_clusters = self._resolve_n_clusters(n_labels)
        rng = np.random.default_rng(0 if self.random_state is None else self.random_state)
        clusters = (rng.permutation(n_labels) % n_clusters).astype(np.int64)
        self._store_assignment(clusters, n_clusters, n_iter=np.zeros(0, dtype=np.int64))


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def synchronized(function: Callable[[], Any]) -> Callable[[], Any]:
    def call() -> Any:
        result = function()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return result

    return call


def reset_peak() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib() -> float | None:
    if not torch.cuda.is_available():
        return None
    return round(torch.cuda.max_memory_allocated() / 2**30, 2)


def median_ms(function: Callable[[], Any], repeat: int, warmup: int = 5) -> float:
    """Median wall-clock ms of ``function()`` (which must synchronise itself)."""
    for _ in range(warmup):
        function()
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        durations.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(durations)


def ranked_top5(scores: sp.csr_matrix) -> np.ndarray:
    ranked = np.full((scores.shape[0], 5), -1, dtype=np.int64)
    for row in range(scores.shape[0]):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        order = np.lexsort((scores.indices[start:end], -scores.data[start:end]))[:5]
        ranked[row, : order.size] = scores.indices[start:end][order]
    return ranked


def epoch_rates(model: Any) -> list[float]:
    return [round(record["samples_per_second"]) for record in model.history_]


def print_row(row: dict[str, Any]) -> None:
    print(json.dumps(row), flush=True)


# --------------------------------------------------------------------------------------
# check: real data on CUDA, persistence to a CPU-only process
# --------------------------------------------------------------------------------------

_LOAD_ON_CPU = """
import sys, joblib, numpy as np, torch
assert not torch.cuda.is_available()
model = joblib.load(sys.argv[1])
texts = joblib.load(sys.argv[2])
scores = model.decision_function(texts)
np.save(sys.argv[3], scores.toarray() if scores.shape[1] <= 5000 else np.zeros(1))
joblib.dump(scores, sys.argv[3] + ".joblib")
"""


def check_dataset(name: str, X_train, Y_train, X_test, Y_test, random_state: int) -> list[dict]:
    rows = []
    for label, estimator in (
        ("InceptionXML", InceptionXMLClassifier),
        ("InceptionXML+", InceptionXMLPlusClassifier),
    ):
        model = estimator(device=DEVICE, random_state=random_state)
        reset_peak()
        start = time.perf_counter()
        model.fit(X_train, Y_train)
        fit_s = time.perf_counter() - start
        scores = model.decision_function(X_test)
        row: dict[str, Any] = {
            "part": "check",
            "dataset": name,
            "method": f"skxml {label} (defaults, cuda)",
            **ranking_metrics(Y_test, ranked_top5(scores), inverse_propensity(Y_train)),
            "train_s": round(fit_s, 1),
            "samples_per_s_by_epoch": epoch_rates(model),
            "peak_gpu_gib": peak_gib(),
        }
        # A model fitted on CUDA, loaded where no GPU is visible, predicts the same top-5.
        with tempfile.TemporaryDirectory() as folder:
            model_path, texts_path = Path(folder, "model.joblib"), Path(folder, "texts.joblib")
            out_path = Path(folder, "cpu.npy")
            joblib.dump(model, model_path)
            joblib.dump(list(X_test[:2000]), texts_path)
            environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
            subprocess.run(
                [sys.executable, "-c", _LOAD_ON_CPU, model_path, texts_path, out_path],
                check=True,
                env=environment,
            )
            cpu_scores = joblib.load(str(out_path) + ".joblib")
        gpu_top, cpu_top = ranked_top5(scores[:2000]), ranked_top5(cpu_scores)
        row["cpu_load_same_top1"] = round(float(np.mean(gpu_top[:, 0] == cpu_top[:, 0])), 4)
        row["cpu_load_same_top5_set"] = round(
            float(np.mean([set(a) == set(b) for a, b in zip(gpu_top, cpu_top, strict=True)])), 4
        )
        gpu_values = np.sort(scores[:2000].toarray(), axis=1)[:, -5:]
        cpu_values = np.sort(cpu_scores.toarray(), axis=1)[:, -5:]
        row["cpu_load_max_abs_logit_diff"] = round(float(np.abs(gpu_values - cpu_values).max()), 4)
        print_row(row)
        rows.append(row)
    return rows


def run_tags(args: argparse.Namespace) -> list[dict]:
    X_train, Y_train = load_debian_tags(subset="train", return_X_y=True)
    X_test, Y_test = load_debian_tags(subset="test", return_X_y=True)
    if args.smoke:
        X_train, Y_train = X_train[:1500], Y_train[:1500]
        X_test, Y_test = X_test[:300], Y_test[:300]
    return check_dataset("debian-tags", X_train, Y_train, X_test, Y_test, args.random_state)


def run_deps(args: argparse.Namespace) -> list[dict]:
    if not args.data_dir or not Path(args.data_dir, "debian-deps").is_dir():
        print(f"skipped debian-deps: not found under --data-dir {args.data_dir}", flush=True)
        return []
    data = read_attentionxml(args.data_dir, "debian-deps")
    Y_train, Y_test, _ = label_matrices(data["train_labels"], data["test_labels"])
    return check_dataset(
        "debian-deps", data["train_texts"], Y_train, data["test_texts"], Y_test, args.random_state
    )


# --------------------------------------------------------------------------------------
# paths: the GPU-only code paths mended on 2026-12-07 (tests/test_cuda_paths.py on a CPU)
# --------------------------------------------------------------------------------------

_LOAD_CHECKPOINT_ON_CPU = """
import sys, joblib, torch
assert not torch.cuda.is_available()
saved = joblib.load(sys.argv[1])["estimator"]
print(saved.decision_function(["red apple pie"], k=2).nnz)
"""


def run_paths(args: argparse.Namespace) -> list[dict]:
    """One text through InceptionXML+ without a sparse map, bf16 then float32 prediction,
    a checkpoint of a propensity-weighted fit loaded without a GPU, and the batch-1 time
    of ``device="cuda"`` against ``"cuda:0"`` (the same since ``device_`` has an index)."""
    X, Y = load_debian_tags(subset="train", return_X_y=True)
    X, Y = X[:1500], Y[:1500]
    queries = list(load_debian_tags(subset="test", return_X_y=True)[0][:64])
    row: dict[str, Any] = {"part": "paths", "dataset": "debian-tags (1,500 texts)"}
    plus = InceptionXMLPlusClassifier(
        device=DEVICE, tfidf_linear=False, tfidf_embedding=False, n_epochs=2,
        random_state=args.random_state,
    ).fit(X, Y)  # fmt: skip
    row["device_"] = str(plus.device_)
    batch = plus.decision_function(queries[:3], k=5).toarray()
    one = plus.decision_function(queries[:1], k=5).toarray()
    row["plus_one_text_vs_batch_max_abs_diff"] = round(float(np.abs(one - batch[:1]).max()), 4)
    plus.set_params(precision="float32")
    float32 = plus.decision_function(queries, k=5)
    plus.set_params(precision="auto")
    bf16 = plus.decision_function(queries, k=5)
    row["float32_vs_bf16_same_top1"] = round(
        float(np.mean(ranked_top5(float32)[:, 0] == ranked_top5(bf16)[:, 0])), 4
    )
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder, "fit.ckpt")
        weighted = InceptionXMLClassifier(
            device=DEVICE, propensity_weighting=0.5, n_epochs=1, checkpoint_path=checkpoint,
            random_state=args.random_state,
        ).fit(X, Y)  # fmt: skip
        loaded = subprocess.run(
            [sys.executable, "-c", _LOAD_CHECKPOINT_ON_CPU, checkpoint],
            env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
            capture_output=True,
            text=True,
        )
        row["checkpoint_loads_without_gpu"] = loaded.returncode == 0
        if loaded.returncode:
            row["checkpoint_error"] = loaded.stderr.strip().splitlines()[-1:]
    text = queries[:1]
    for device in ("cuda", "cuda:0") if DEVICE == "cuda" else ("cpu",):
        weighted.set_params(device=device)
        row[f"batch1_ms_device_{device}"] = round(
            median_ms(synchronized(lambda: weighted.decision_function(text)), repeat=200), 3
        )
    print_row(row)
    return [row]


# --------------------------------------------------------------------------------------
# synthetic: AmazonTitles shapes
# --------------------------------------------------------------------------------------


def zipf_ids(rng: np.random.Generator, size: int, n: int, exponent: float) -> np.ndarray:
    """Ids in [0, n) with a Zipf-like (power-law rank) distribution."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    cumulative = np.cumsum(weights / weights.sum())
    return np.minimum(np.searchsorted(cumulative, rng.random(size)), n - 1)


def synthetic_data(n_samples: int, n_labels: int, seed: int) -> tuple[list[str], sp.csr_matrix]:
    """Texts of 8–32 words over VOCABULARY words; 1–10 labels each (mean 5.5)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, 33, size=n_samples)
    words = zipf_ids(rng, int(lengths.sum()), VOCABULARY, 1.0)
    vocabulary = np.array([f"w{index}" for index in range(VOCABULARY)], dtype=object)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    texts = [" ".join(vocabulary[words[a:b]]) for a, b in itertools.pairwise(bounds)]
    n_per_text = rng.integers(1, 11, size=n_samples)
    labels = zipf_ids(rng, int(n_per_text.sum()), n_labels, 0.6)
    indptr = np.concatenate([[0], np.cumsum(n_per_text)])
    Y = sp.csr_matrix(
        (np.ones(labels.size, dtype=np.float32), labels, indptr), shape=(n_samples, n_labels)
    )
    Y.sum_duplicates()
    Y.data[:] = 1.0
    return texts, Y


def network_latency(model: Any, texts: list[str], batch: int, repeat: int) -> float:
    """Median ms of forward + top-5 on token ids already on the GPU (synchronised), through
    the network prediction uses."""
    token_ids, bag = model._prepare_text_features(texts[:batch])
    device = model._prediction_device()
    tokens = torch.from_numpy(token_ids).to(device)
    from skxml._sparse_rows import _csr_rows_to_bag

    batch_bag = None if bag is None else _csr_rows_to_bag(bag, slice(None), device)
    network = model._inference_network(device)  # what prediction runs (frozen, bf16 tables)
    plus = isinstance(model, InceptionXMLPlusClassifier)

    def forward() -> Any:
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"),
        ):
            if plus:
                _, label_ids, logits = network(tokens, batch_bag, n_shortlist=model.n_shortlist_)
                _, positions = torch.topk(logits, 5, dim=1)
                return torch.gather(label_ids, 1, positions)
            return torch.topk(network(tokens, batch_bag), 5, dim=1)

    return median_ms(synchronized(forward), repeat)


def synthetic_run(
    label: str,
    model: Any,
    texts: list[str],
    Y: sp.csr_matrix,
    queries: list[str],
    batch_size: int,
) -> dict[str, Any]:
    reset_peak()
    start = time.perf_counter()
    model.fit(texts, Y)
    fit_s = time.perf_counter() - start
    rates = epoch_rates(model)
    row: dict[str, Any] = {
        "part": "synthetic",
        "method": label,
        "n_labels": Y.shape[1],
        "n_train": len(texts),
        "batch_size": batch_size,
        "train_samples_per_s": rates[-1],
        "samples_per_s_by_epoch": rates,
        "fit_s_total": round(fit_s, 1),
        "peak_gpu_gib_fit": peak_gib(),
    }
    if isinstance(model, InceptionXMLPlusClassifier):
        row["n_clusters"] = model.n_clusters_
        row["n_shortlist"] = model.n_shortlist_
    reset_peak()
    picks = iter(np.random.default_rng(0).integers(0, len(queries), size=1000))
    row["latency_b1_ms"] = round(
        median_ms(lambda: model.decision_function([queries[next(picks)]]), 300), 3
    )
    row["batch256_ms"] = round(median_ms(lambda: model.decision_function(queries[:256]), 30), 2)
    row["network_b1_ms"] = round(network_latency(model, queries, 1, 300), 3)
    row["network_b256_ms"] = round(network_latency(model, queries, 256, 30), 2)
    row["peak_gpu_gib_predict"] = peak_gib()
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    row["model_mb"] = round(buffer.tell() / 2**20, 1)
    print_row(row)
    return row


def profile_steps(model: Any, texts: list[str], Y: sp.csr_matrix, out: Path | None) -> None:
    """CUDA kernel time table of one short fit (what a training step spends its time on)."""
    if out is None:
        return
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as profiler:
        model.fit(texts, Y)
    table = profiler.key_averages().table(sort_by="cuda_time_total", row_limit=25)
    with open(out, "a", encoding="utf-8") as handle:
        handle.write(f"\n\n### {model!r}\n{table}\n")


def run_synthetic(args: argparse.Namespace) -> list[dict]:
    rows = []
    texts, Y = synthetic_data(args.n_train, SHAPES["labels_670k"], seed=1)
    queries, _ = synthetic_data(512, SHAPES["labels_670k"], seed=2)
    paper = dict(embedding_dim=300, tfidf_embedding=False, tfidf_linear=False, hard_negatives=None)
    profile_out = Path(args.out, "profile.txt") if args.out else None
    common = dict(device=DEVICE, n_epochs=2, random_state=0)
    configs: list[tuple[str, Any, int]] = [
        (
            "InceptionXML paper model (d=300, BCE), batch 128",
            InceptionXMLClassifier(**paper, batch_size=128, **common),
            128,
        ),
        ("InceptionXML defaults, batch 128", InceptionXMLClassifier(**common), 128),
        (
            "InceptionXML+ paper model (d=300), 65,536 clusters, top-800, batch 256",
            InceptionXMLPlusClassifier(
                embedding_dim=300, tfidf_embedding=False, tfidf_linear=False,
                clusterer=RandomBalancedClusterer(n_clusters=SHAPES["clusters_670k"]),
                n_shortlist=SHAPES["shortlist"], batch_size=256, **common,
            ),
            256,
        ),
        (
            "InceptionXML+ defaults, 65,536 clusters, top-800, batch 256",
            InceptionXMLPlusClassifier(
                clusterer=RandomBalancedClusterer(n_clusters=SHAPES["clusters_670k"]),
                n_shortlist=SHAPES["shortlist"], batch_size=256, **common,
            ),
            256,
        ),
    ]  # fmt: skip
    for label, model, batch_size in configs:
        if args.only and not any(word in label for word in args.only):
            continue
        if args.profile is not None and (
            not args.profile or any(word in label for word in args.profile)
        ):
            small = min(len(texts), 40 * batch_size)
            profile_steps(
                clone(model).set_params(n_epochs=1),
                texts[:small], Y[:small], profile_out,
            )  # fmt: skip
        rows.append(synthetic_run(label, model, texts, Y, queries, batch_size))
        del model
    return rows


def run_3m(args: argparse.Namespace) -> list[dict]:
    texts, Y = synthetic_data(args.n_train_3m, SHAPES["labels_3m"], seed=3)
    queries, _ = synthetic_data(512, SHAPES["labels_3m"], seed=4)
    model = InceptionXMLPlusClassifier(
        embedding_dim=300, tfidf_embedding=False, tfidf_linear=False,
        clusterer=RandomBalancedClusterer(n_clusters=SHAPES["clusters_3m"]),
        n_shortlist=SHAPES["shortlist"], batch_size=256, device=DEVICE, n_epochs=2,
        random_state=0,
    )  # fmt: skip
    label = "InceptionXML+ paper model (d=300), 2.8M labels, 131,072 clusters, top-800, batch 256"
    return [synthetic_run(label, model, texts, Y, queries, 256)]


PARTS = {
    "paths": run_paths,
    "tags": run_tags,
    "synthetic": run_synthetic,
    "3m": run_3m,
    "deps": run_deps,
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="parent of debian-deps (optional)")
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=sorted(PARTS),
        default=["paths", "tags", "synthetic", "3m", "deps"],
        help="what to run, in this order",
    )
    parser.add_argument("--n-train", type=int, default=131_072, help="synthetic training texts")
    parser.add_argument("--n-train-3m", type=int, default=131_072)
    parser.add_argument("--only", nargs="*", default=None, help="synthetic configs containing")
    parser.add_argument(
        "--profile",
        nargs="*",
        default=None,
        help="write a kernel-time table (profile.txt under --out) of a short fit of the "
        "configurations whose name contains one of these words (none: all)",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--name", default="gpu", help="results/<name>.json and .md")
    parser.add_argument("--out", default=None, help="also copy the results here")
    parser.add_argument("--notes", default=None)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny shapes on any device, to test this script"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    global DEVICE
    if args.smoke:
        DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
        SHAPES.update(labels_670k=3000, clusters_670k=64, labels_3m=6000, clusters_3m=128,
                      shortlist=8)  # fmt: skip
        args.n_train = args.n_train_3m = 1024
        args.name = "gpu_smoke"
    elif not torch.cuda.is_available():
        print("gpu.py needs a CUDA GPU; none is visible.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    rows: list[dict] = []
    for part in args.parts:
        rows += PARTS[part](args)
    write_results(
        args.name,
        rows,
        command_line(),
        notes=args.notes,
        metadata={"total_wall_s": round(time.perf_counter() - started, 1)},
    )
    if args.out:
        for suffix in (".json", ".md"):
            shutil.copy(RESULTS_DIR / f"{args.name}{suffix}", Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

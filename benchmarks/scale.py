"""Benchmark the scale features: streaming prediction memory, out-of-core and 2-rank training.

Cases, each in its own Python process so that its peak RSS (``ru_maxrss``) is its own:

Prediction cases report the peak RSS *during prediction* (Linux: the peak counter is reset
after the model is loaded), the fit cases the peak of the whole process.

- ``predict_iter``: ``clf.predict_iter(stream, batch_size=16384)`` over N synthetic queries
  (random words of the training vocabulary, 3-10 per query, generated lazily), for
  N = 10,000 and N = 1,000,000, writing the top-5 labels nowhere. Peak RSS should not grow
  with N.
- ``predict(list)``: ``clf.predict(texts)`` on the same queries held in a list (what most
  users write): memory grows with N through the list and the O(N·k) result, not through
  token ids or TF-IDF rows, which are prepared 16,384 texts at a time.
- ``fit in memory`` / ``fit from corpus``: ``InceptionXMLClassifier(n_epochs=2)`` on
  debian-tags from raw texts, and from a :class:`~skxml.datasets.TokenCorpus` written
  beforehand (peak RSS and time; the corpus fit must give identical predictions).
- ``fit, 1 rank`` / ``fit, 2 gloo ranks (torchrun)``: the same fit (2 epochs, batch 256) in one
  process with 2 threads, and as 2 gloo processes with 1 thread each (``torchrun
  --nproc_per_node 2``), samples/s of the epochs.

The model predicting is ``InceptionXMLClassifier(n_epochs=1, random_state=0)`` fitted on the
embedded debian-tags training split (peak memory depends on the model's size, not on how
well it is trained). Results go to ``results/scale.{json,md}``::

    python benchmarks/scale.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import command_line, write_results

TABLE_COLUMNS = ("case", "n_texts", "peak_rss_mb", "seconds", "queries_per_s", "notes")


def _peak_rss_mb() -> float:
    """Peak resident memory of this process since start or the last :func:`_reset_peak`."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    """Reset the peak-RSS counter (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _queries(vocabulary: list[str], n: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    for _ in range(n):
        words = rng.choice(len(vocabulary), size=int(rng.integers(3, 11)))
        yield " ".join(vocabulary[i] for i in words)


def _child_predict(model_path: str, n: int, mode: str) -> dict[str, Any]:
    import joblib

    clf = joblib.load(model_path)
    vocabulary = sorted(clf.sequence_encoder_.vocabulary_)
    clf.predict(vocabulary[:10])  # first-call allocations (thread pools, caches)
    loaded = _peak_rss_mb()
    reset = _reset_peak()
    started = time.perf_counter()
    n_predicted = 0
    if mode == "predict_iter":
        for batch in clf.predict_iter(_queries(vocabulary, n), batch_size=16_384):
            n_predicted += batch.shape[0]
    else:
        texts = list(_queries(vocabulary, n))
        n_predicted = clf.predict(texts).shape[0]
    seconds = time.perf_counter() - started
    assert n_predicted == n
    return {
        "case": mode,
        "n_texts": n,
        "peak_rss_mb": _peak_rss_mb(),
        "seconds": seconds,
        "queries_per_s": n / seconds,
        "notes": f"peak while loading the model: {loaded:.0f} MB"
        + ("; peak counter reset after loading" if reset else ""),
    }


def _child_fit(corpus_dir: str, mode: str, out: str) -> dict[str, Any]:
    import joblib

    from skxml import InceptionXMLClassifier
    from skxml.datasets import load_debian_tags, load_token_corpus

    clf = InceptionXMLClassifier(n_epochs=2, batch_size=256, random_state=0)
    started = time.perf_counter()
    if mode == "fit from corpus":
        clf.fit(load_token_corpus(corpus_dir))
        n = len(load_token_corpus(corpus_dir))
    else:
        texts, labels = load_debian_tags(subset="train", return_X_y=True)
        clf.fit(texts, labels)
        n = len(texts)
    seconds = time.perf_counter() - started
    rank = int(os.environ.get("RANK", "0"))
    if rank == 0:
        test = load_debian_tags(subset="test")
        joblib.dump(clf.decision_function(test.data).toarray(), f"{out}/{mode}.joblib")
    rate = [round(r["samples_per_second"]) for r in clf.history_]
    return {
        "case": mode,
        "n_texts": n,
        "peak_rss_mb": _peak_rss_mb(),
        "seconds": seconds,
        "queries_per_s": None,
        "notes": f"training samples/s per epoch: {rate}",
        "rank": rank,
    }


def _run_child(args: list[str], env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 1_000_000])
    parser.add_argument("--skip-fit", action="store_true", help="only the prediction cases")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        row = _child_predict(*rest[:1], int(rest[1]), rest[2]) if kind == "predict" else None
        if kind == "fit":
            row = _child_fit(*rest)
        print(json.dumps(row))
        return 0

    import joblib
    import numpy as np

    from skxml import InceptionXMLClassifier
    from skxml.datasets import load_debian_tags, write_token_corpus

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as work:
        texts, labels = load_debian_tags(subset="train", return_X_y=True)
        model = InceptionXMLClassifier(n_epochs=1, random_state=0).fit(texts, labels)
        joblib.dump(model, f"{work}/model.joblib")
        for mode in ("predict_iter", "predict(list)"):
            for n in args.sizes:
                rows += _run_child(["predict", f"{work}/model.joblib", str(n), mode])
                print(rows[-1], flush=True)
        if not args.skip_fit:
            estimator = InceptionXMLClassifier(n_epochs=2, batch_size=256, random_state=0)
            write_token_corpus(f"{work}/corpus", texts, labels, estimator=estimator)
            for mode in ("fit in memory", "fit from corpus"):
                rows += _run_child(["fit", f"{work}/corpus", mode, work])
                print(rows[-1], flush=True)
            same = np.array_equal(
                joblib.load(f"{work}/fit in memory.joblib"),
                joblib.load(f"{work}/fit from corpus.joblib"),
            )
            rows[-1]["notes"] += f"; predictions identical to the in-memory fit: {same}"
            env = {**os.environ, "OMP_NUM_THREADS": "1"}
            torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
            output = subprocess.run(
                [*torchrun, "--nproc_per_node", "2", __file__, "--child", "fit",
                 f"{work}/corpus", "fit, 2 gloo ranks (torchrun)", work],
                capture_output=True, text=True, check=True, env=env,
            ).stdout  # fmt: skip
            ranks = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
            for row in sorted(ranks, key=lambda row: row["rank"]):
                row["case"] += f", rank {row.pop('rank')}"
                rows.append(row)
                print(row, flush=True)
        for row in rows:
            row.pop("rank", None)
    write_results(
        "scale",
        rows,
        command_line(),
        table_columns=TABLE_COLUMNS,
        notes="2-core machine; a fresh process per case; peak RSS = VmHWM (Linux) or ru_maxrss",
    )
    print(Path(__file__).parent / "results" / "scale.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

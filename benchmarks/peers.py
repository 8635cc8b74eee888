"""Benchmark the peer XMC libraries (napkinXC, omikuji, PECOS) on TF-IDF features.

Every peer gets the same features: a scikit-learn ``TfidfVectorizer`` fitted on the training
texts. For each dataset and peer configuration the script measures the training time, the
top-5 ranking metrics on the test set (P@k, PSP@k, nDCG@k, k = 1, 3, 5), the median latency
of one query and the throughput at batch 256 -- both including the vectorisation of the raw
text -- and the size of the saved model. See ``benchmarks/README.md``.

Run it in the peers' environment (libpecos needs numpy < 2)::

    benchmarks/.venv-peers/bin/python benchmarks/peers.py --data-dir ../shared/data \\
        --datasets debian-tags debian-deps
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _common
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

TOP_K = 5
PEER_NAMES = ("napkinxc", "omikuji", "pecos")


# --------------------------------------------------------------------------------------
# Ranking helpers
# --------------------------------------------------------------------------------------


def _ranked_from_lists(predictions: Sequence[Sequence[Any]], top_k: int) -> np.ndarray:
    """(n, top_k) int64 array from per-query lists of labels (or (label, score) pairs)."""
    ranked = np.full((len(predictions), top_k), -1, dtype=np.int64)
    for row, labels in enumerate(predictions):
        kept = [item[0] if isinstance(item, tuple) else item for item in labels[:top_k]]
        ranked[row, : len(kept)] = kept
    return ranked


def _ranked_from_sparse(scores: sp.spmatrix, top_k: int) -> np.ndarray:
    """(n, top_k) int64 array of each row's stored labels by decreasing score."""
    scores = sp.csr_matrix(scores)
    rows = np.repeat(np.arange(scores.shape[0]), np.diff(scores.indptr))
    # By row, then by decreasing score, then by increasing label index (lexsort: last key first).
    order = np.lexsort((scores.indices, -scores.data, rows))
    rank_in_row = np.arange(rows.size) - scores.indptr[rows]
    keep = rank_in_row < top_k
    ranked = np.full((scores.shape[0], top_k), -1, dtype=np.int64)
    ranked[rows[keep], rank_in_row[keep]] = scores.indices[order[keep]]
    return ranked


@contextlib.contextmanager
def _native_output_silenced() -> Iterator[None]:
    """Send what native code writes to stdout/stderr (omikuji's progress bars) to /dev/null."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)


def _directory_mb(path: str) -> float:
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, name)) for name in files)
    return round(total / 2**20, 2)


# --------------------------------------------------------------------------------------
# Peers: each configuration trains from (X_train, Y_train) and predicts ranked top-k
# --------------------------------------------------------------------------------------


class Predictor:
    """A trained peer model: ``predict(X) -> (n, TOP_K) ranked label indices``."""

    def predict(self, X: sp.csr_matrix) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def save(self, directory: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def set_threads(self, threads: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def for_inference(self, directory: str) -> Predictor:
        """The model to predict with, given the folder it was saved to (default: self)."""
        return self


@dataclass
class PeerConfig:
    """One peer configuration: ``train`` returns a fitted predictor."""

    method: str
    description: str
    train: Callable[[sp.csr_matrix, sp.csr_matrix, str, int], Predictor]
    max_labels: int | None = None  # skip on datasets with more labels (too slow)


class _NapkinXC(Predictor):
    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        return _ranked_from_lists(self.model.predict(X, top_k=TOP_K), TOP_K)

    def save(self, directory: str) -> None:
        # napkinXC writes its model into its output directory while it trains.
        shutil.copytree(self.model.get_params()["output"], directory, dirs_exist_ok=True)

    def set_threads(self, threads: int) -> None:
        self.model.set_params(threads=threads)


def _train_napkinxc(model_name: str, **params: Any) -> Callable[..., Predictor]:
    def train(X: sp.csr_matrix, Y: sp.csr_matrix, workdir: str, threads: int) -> Predictor:
        from napkinxc import models

        model_class = getattr(models, model_name)
        model = model_class(os.path.join(workdir, model_name), threads=threads, seed=0, **params)
        model.fit(X, Y)
        return _NapkinXC(model)

    return train


class _Omikuji(Predictor):
    def __init__(self, model: Any, beam_size: int) -> None:
        self.model = model
        self.beam_size = beam_size

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        predictions = []
        for row in range(X.shape[0]):
            start, stop = X.indptr[row], X.indptr[row + 1]
            indices, values = X.indices[start:stop].tolist(), X.data[start:stop].tolist()
            pairs = list(zip(indices, values, strict=True))
            predictions.append(self.model.predict(pairs, beam_size=self.beam_size, top_k=TOP_K))
        return _ranked_from_lists(predictions, TOP_K)

    def save(self, directory: str) -> None:
        with _native_output_silenced():
            self.model.save(directory)

    def set_threads(self, threads: int) -> None:
        self.model.init_prediction_thread_pool(threads)


def _write_xc_file(path: str, X: sp.csr_matrix, Y: sp.csr_matrix) -> None:
    """The Extreme Classification Repository text format, omikuji's only training input."""
    with open(path, "w", encoding="ascii") as handle:
        handle.write(f"{X.shape[0]} {X.shape[1]} {Y.shape[1]}\n")
        for row in range(X.shape[0]):
            labels = ",".join(map(str, Y.indices[Y.indptr[row] : Y.indptr[row + 1]]))
            start, stop = X.indptr[row], X.indptr[row + 1]
            features = " ".join(
                f"{index}:{value:.6g}"
                for index, value in zip(X.indices[start:stop], X.data[start:stop], strict=True)
            )
            handle.write(f"{labels} {features}\n")


def _train_omikuji(beam_size: int = 10, **params: Any) -> Callable[..., Predictor]:
    def train(X: sp.csr_matrix, Y: sp.csr_matrix, workdir: str, threads: int) -> Predictor:
        import omikuji

        path = os.path.join(workdir, "train.xc.txt")
        _write_xc_file(path, X, Y)
        hyper_param = omikuji.Model.default_hyper_param()
        for name, value in params.items():
            setattr(hyper_param, name, value)
        with _native_output_silenced():
            model = omikuji.Model.train_on_data(path, hyper_param, n_threads=threads)
        model.init_prediction_thread_pool(threads)
        return _Omikuji(model, beam_size)

    return train


class _Pecos(Predictor):
    def __init__(self, model: Any, threads: int, beam_size: int) -> None:
        self.model = model
        self.threads = threads
        self.beam_size = beam_size

    def set_threads(self, threads: int) -> None:
        self.threads = threads

    def for_inference(self, directory: str) -> Predictor:
        # PECOS's documented fast path for serving: the saved model loaded in predict-only
        # mode (weights in C++ structures), 4-5 times faster than the model train() returns.
        from pecos.xmc.xlinear.model import XLinearModel

        model = XLinearModel.load(directory, is_predict_only=True)
        return _Pecos(model, self.threads, self.beam_size)

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        scores = self.model.predict(
            X, only_topk=TOP_K, beam_size=self.beam_size, threads=self.threads
        )
        return _ranked_from_sparse(scores, TOP_K)

    def save(self, directory: str) -> None:
        self.model.save(directory)


def _train_pecos(beam_size: int = 10, **indexer_params: Any) -> Callable[..., Predictor]:
    def train(X: sp.csr_matrix, Y: sp.csr_matrix, workdir: str, threads: int) -> Predictor:
        from pecos.xmc import Indexer, LabelEmbeddingFactory
        from pecos.xmc.xlinear.model import XLinearModel

        Y = sp.csr_matrix(Y, dtype=np.float32)
        label_features = LabelEmbeddingFactory.create(Y, X, method="pifa")
        cluster_chain = Indexer.gen(
            label_features, indexer_type="hierarchicalkmeans", threads=threads, **indexer_params
        )
        model = XLinearModel.train(X, Y, C=cluster_chain, threads=threads)
        return _Pecos(model, threads, beam_size)

    return train


PEERS: dict[str, list[PeerConfig]] = {
    "napkinxc": [
        PeerConfig(
            "napkinXC PLT",
            "probabilistic label tree, defaults (balanced hierarchical k-means tree of arity 2 "
            "with at most 100 labels per leaf, liblinear logistic loss with C=10, weights "
            "pruned below 0.1, exact top-k tree search)",
            _train_napkinxc("PLT"),
        ),
        PeerConfig(
            "napkinXC HSM",
            "hierarchical softmax with pick_one_label_weighting=True (needed for multi-label "
            "data), otherwise the PLT defaults",
            _train_napkinxc("HSM", pick_one_label_weighting=True),
        ),
        PeerConfig(
            "napkinXC BR",
            "binary relevance (one liblinear logistic regression per label, C=10), defaults; "
            "only on datasets with at most 5,000 labels (one problem per label on all samples)",
            _train_napkinxc("BR"),
            max_labels=5000,
        ),
    ],
    "omikuji": [
        PeerConfig(
            "omikuji Parabel",
            "Model.default_hyper_param(): 3 trees, balanced 2-means, max depth 20, "
            "min branch size 100, hinge loss C=1; beam size 10",
            _train_omikuji(),
        ),
        PeerConfig(
            "omikuji Bonsai",
            "Bonsai-like settings from omikuji's README: unbalanced 100-means, max depth 3, "
            "otherwise defaults; beam size 10",
            _train_omikuji(cluster_k=100, cluster_balanced=False, max_depth=3),
        ),
    ],
    "pecos": [
        PeerConfig(
            "PECOS XR-Linear",
            "XR-Linear as in PECOS's README: PIFA label embeddings, Indexer.gen hierarchical "
            "k-means defaults (16 splits, at most 100 labels per leaf), XLinearModel.train "
            "defaults (L2R_L2LOSS_SVC_DUAL, Cp=Cn=1, weights pruned below 0.1), predict with "
            "beam size 10 and the default l3-hinge post-processor, from the saved model "
            "loaded with is_predict_only=True",
            _train_pecos(),
        ),
    ],
}


# --------------------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------------------


# scikit-learn's default word pattern: tokens of two or more word characters.
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def make_vectorizer(ngram_max: int, token_pattern: str = DEFAULT_TOKEN_PATTERN) -> TfidfVectorizer:
    """The features every peer gets (fitted on the training texts)."""
    return TfidfVectorizer(
        ngram_range=(1, ngram_max),
        token_pattern=token_pattern,
        sublinear_tf=True,
        min_df=1,
        norm="l2",
        dtype=np.float32,
    )


def _vectorize(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    X = sp.csr_matrix(vectorizer.transform(texts), dtype=np.float32)
    X.sort_indices()
    return X


def run_config(
    config: PeerConfig,
    dataset: str,
    data: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Train, evaluate and time one configuration on one dataset; return its table row."""
    vectorizer, X_train, Y_train = data["vectorizer"], data["X_train"], data["Y_train"]
    with tempfile.TemporaryDirectory(prefix="peers-") as workdir:
        trained, train_seconds = _common.timed(
            config.train, X_train, Y_train, workdir, args.threads
        )
        model_dir = os.path.join(workdir, "saved")
        os.makedirs(model_dir, exist_ok=True)
        trained.save(model_dir)
        model_mb = _directory_mb(model_dir)
        model = trained.for_inference(model_dir)

        def predict_texts(texts: Sequence[str]) -> np.ndarray:
            return model.predict(_vectorize(vectorizer, texts))

        texts = data["test_texts"]
        model.set_threads(args.threads)
        ranked = model.predict(data["X_test"])
        qps = _common.throughput(predict_texts, texts, batch_size=args.batch_size)
        # One query cannot use several cores, and OpenMP's thread hand-off costs PECOS
        # ~90 ms per call on a busy machine: latency is measured single-threaded for all.
        model.set_threads(1)
        latency = _common.median_latency_ms(
            lambda text: predict_texts([text]), texts, n=args.latency_queries
        )

    metrics = _common.ranking_metrics(data["Y_test"], ranked, data["inv_propensity"])
    if args.save_predictions:
        directory = Path(args.save_predictions)
        directory.mkdir(parents=True, exist_ok=True)
        slug = config.method.replace(" ", "-")
        _common.save_predictions(
            directory / f"{dataset}_{slug}.npz", data["Y_test"], ranked, data["inv_propensity"]
        )
    return {
        "dataset": dataset,
        "method": config.method,
        **{key: value for key, value in metrics.items() if key != "metrics_backend"},
        "train_s": round(train_seconds, 2),
        "latency_ms": round(latency, 3),
        "throughput_qps": round(qps, 1),
        "model_mb": model_mb,
        "features": data["features"],
        "threads": args.threads,
        "config": config.description,
        "metrics_backend": metrics["metrics_backend"],
    }


def load_dataset(
    data_dir: str, dataset: str, ngram_max: int, token_pattern: str = DEFAULT_TOKEN_PATTERN
) -> dict[str, Any]:
    """Read a dataset, build its label matrices and fit the TF-IDF features."""
    raw = _common.read_attentionxml(data_dir, dataset)
    Y_train, Y_test, label_names = _common.label_matrices(raw["train_labels"], raw["test_labels"])
    vectorizer = make_vectorizer(ngram_max, token_pattern)
    _, fit_seconds = _common.timed(vectorizer.fit, raw["train_texts"])
    X_train = _vectorize(vectorizer, raw["train_texts"])
    X_test = _vectorize(vectorizer, raw["test_texts"])
    return {
        "vectorizer": vectorizer,
        "X_train": X_train,
        "X_test": X_test,
        "Y_train": Y_train,
        "Y_test": Y_test,
        "test_texts": raw["test_texts"],
        "inv_propensity": _common.inverse_propensity(Y_train),
        "features": f"tfidf-1{ngram_max}" if ngram_max > 1 else "tfidf-1",
        "summary": {
            "n_train": X_train.shape[0],
            "n_test": X_test.shape[0],
            "n_labels": len(label_names),
            "n_features": X_train.shape[1],
            "tfidf_fit_s": round(fit_seconds, 2),
        },
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="datasets' parent folder")
    parser.add_argument("--datasets", nargs="+", default=["debian-tags", "debian-deps"])
    parser.add_argument("--peers", nargs="+", choices=PEER_NAMES, default=list(PEER_NAMES))
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="METHOD",
        help="only these configurations, e.g. 'omikuji Parabel' (default: all of the peers)",
    )
    parser.add_argument(
        "--ngram-max", type=int, default=2, choices=(1, 2), help="TF-IDF n-gram range (1, N)"
    )
    parser.add_argument(
        "--token-pattern",
        default=DEFAULT_TOKEN_PATTERN,
        help="TfidfVectorizer token_pattern (default: scikit-learn's, two or more word "
        "characters)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--latency-queries", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--name", default="peers", help="results/<name>.json and .md")
    parser.add_argument(
        "--notes",
        default=None,
        help="free text stored with the results (say whether the machine was busy: under "
        "contention PECOS's OpenMP prediction with threads=2 loses ~90 ms per call, "
        "libgomp's default wait policy)",
    )
    parser.add_argument(
        "--save-predictions", metavar="DIR", help="also store each run's top-5 as .npz"
    )
    return parser.parse_args(argv)


def _describe(args: argparse.Namespace, configs: Sequence[PeerConfig]) -> list[str]:
    """Markdown lines saying what the features and each configuration are."""
    ngrams = "unigrams and bigrams" if args.ngram_max == 2 else "unigrams"
    lines = [
        f"Features (all peers): sklearn TfidfVectorizer fitted on the training texts, {ngrams}, "
        f"token_pattern={args.token_pattern!r}, sublinear_tf=True, min_df=1, "
        "L2-normalised rows, float32. "
        f"train_s: training from the TF-IDF matrix with {args.threads} thread(s). "
        f"latency_ms: median over {args.latency_queries} test queries at batch 1, "
        "single-threaded, including the TF-IDF vectorisation of the raw text. "
        f"throughput_qps: all test queries in batches of {args.batch_size} with "
        f"{args.threads} thread(s), including vectorisation. model_mb: saved model on disk.",
        "",
    ]
    lines += [f"- {config.method}: {config.description}" for config in configs]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = _common.command_line()
    known = [config.method for peer in PEER_NAMES for config in PEERS[peer]]
    unknown = sorted(set(args.methods or ()) - set(known))
    if unknown:
        raise SystemExit(f"--methods: unknown {unknown}; choose among {known}.")
    start = time.perf_counter()
    used: dict[str, PeerConfig] = {}
    rows = []
    datasets = {}
    for dataset in args.datasets:
        data = load_dataset(args.data_dir, dataset, args.ngram_max, args.token_pattern)
        datasets[dataset] = data["summary"]
        print(f"{dataset}: {data['summary']}", flush=True)
        for peer in args.peers:
            for config in PEERS[peer]:
                if args.methods and config.method not in args.methods:
                    continue
                if config.max_labels is not None and data["Y_train"].shape[1] > config.max_labels:
                    print(f"  skip {config.method}: more than {config.max_labels} labels")
                    continue
                row = run_config(config, dataset, data, args)
                rows.append(row)
                used[config.method] = config
                print(
                    f"  {config.method}: P@1 {row['P@1']} PSP@5 {row['PSP@5']} "
                    f"train {row['train_s']} s, {row['latency_ms']} ms/query, "
                    f"{row['throughput_qps']} q/s",
                    flush=True,
                )
    versions = {
        name: _common.distribution_version(name) for name in ("napkinxc", "omikuji", "libpecos")
    }
    total_seconds = time.perf_counter() - start
    json_path, md_path = _common.write_results(
        args.name,
        rows,
        command,
        notes=args.notes,
        metadata={
            "datasets": datasets,
            "peer_versions": versions,
            "top_k": TOP_K,
            "total_wall_s": round(total_seconds, 1),
        },
        table_columns=_common.TABLE_COLUMNS,
        details=_describe(args, list(used.values())),
    )
    print()
    print(_common.markdown_table(rows, _common.TABLE_COLUMNS))
    print(f"\ntotal {total_seconds:.0f} s; written: {json_path} {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Memory model of skxml's classifiers, checked against fitted models.

The formulas of ``docs/user_guide/scaling.rst``: parameters of every part of the network,
memory held while fitting and predicting, and the size of the saved model, as functions of

====  =====================================================================================
n     training texts
L     labels; L' (``n_clusters``) label clusters of InceptionXML+, C the largest cluster
V     word vocabulary (``sequence_encoder_.vocabulary_size_``: padding and unknown included)
E, d  width of the word embeddings, width d of the convolutions (``model_dim``, else E)
S     ``max_seq_len``; F = features of the encoder (480 for d=300, 160 for d=128)
G     TF-IDF n-grams (``len(tfidf_vectorizer_.vocabulary_)``)
N     (n-gram, label) pairs that co-occur in training: the learned weights of the sparse
      linear map (``tfidf_linear``)
B, K  batch size; clusters shortlisted per text (``n_shortlist``)
====  =====================================================================================

Run from the repository root::

    OMP_NUM_THREADS=1 python benchmarks/memory_model.py --verify   # fits on debian-tags
    python benchmarks/memory_model.py --plan                       # AmazonTitles-3M numbers

``--verify`` fits small models (one torch thread, a subset of the bundled debian-tags data)
and compares every part's formula with the fitted network's parameters, the optimiser state
with 2 float32 copies of each Adam-stepped weight and 1 of each SGD-stepped one (the linear
maps), and the size of the joblib dump with the formula.
``--measure`` runs single training steps and predictions on synthetic data with many labels
and compares the growth of the resident memory with the per-batch formulas.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import sys
from dataclasses import dataclass

FLOAT = 4  # float32 parameters, Adam states and activations
INDEX = 8  # int64 ids and buffers
N_FILTERS = 32  # p: channels of the convolutions (fixed by skxml's encoder defaults)
KERNEL_SIZES = (4, 8, 16)
STRIDE = 4
FINAL_KERNEL_SIZE = 16
PREDICT_BATCH_SIZE = 1024  # skxml._base._PREDICT_BATCH_SIZE


# --------------------------------------------------------------------------------------
# The formulas
# --------------------------------------------------------------------------------------


def feature_width(d: int) -> int:
    """F: features out of the encoder for convolution width d."""
    branch_length = (d - min(KERNEL_SIZES)) // STRIDE + 1
    return N_FILTERS * ((branch_length - FINAL_KERNEL_SIZE) // STRIDE + 1)


def default_shortlist_size(n_clusters: int) -> int:
    """K when ``n_shortlist=None``: ceil(6·sqrt(L')), at most L'."""
    return int(min(n_clusters, math.ceil(6 * math.sqrt(n_clusters))))


@dataclass
class Shape:
    """What the memory of a fit depends on (see the module docstring)."""

    n: int
    L: int
    V: int
    E: int = 128
    model_dim: int | None = None
    S: int = 32
    G: int = 0
    N: int = 0
    nnz_X: int = 0  # non-zeros of the TF-IDF bag of the training texts
    nnz_Y: int = 0  # non-zeros of the label matrix
    clusters: int = 0  # L'; 0 for InceptionXML
    C: int = 0  # largest cluster
    K: int | None = None  # n_shortlist; None: the default
    B: int = 128
    tfidf_embedding: bool = True
    tfidf_linear: bool = True
    word_attention: bool = True
    embedding_attention: bool = True

    @property
    def d(self) -> int:
        if self.model_dim is not None:
            return self.model_dim
        return self.E if self.E >= 64 else 128  # skxml projects narrower vectors to 128

    @property
    def projected(self) -> bool:
        return self.model_dim is not None or self.E < 64

    @property
    def F(self) -> int:
        return feature_width(self.d)

    @property
    def plus(self) -> bool:
        return self.clusters > 0

    @property
    def shortlist(self) -> int:
        return default_shortlist_size(self.clusters) if self.K is None else self.K


def encoder_parameters(shape: Shape) -> int:
    """Attention, projection and convolutions: S² + d² + pS + 76p² + 15p + 2 with both
    attentions (p = 32 filters; 170,354 for d=300, S=32)."""
    p, S, d = N_FILTERS, shape.S, shape.d
    n_branches = len(KERNEL_SIZES)
    count = p * S + p + 2 * p  # 1x1 projection from the S words, BatchNorm
    count += sum(p * p * k + p for k in KERNEL_SIZES) + 2 * n_branches * p  # branches, BN
    count += n_branches * p * p * FINAL_KERNEL_SIZE + p + 2 * p  # final convolution, BN
    if shape.word_attention:
        count += S * S + 1  # 1x1 convolution over the S words, gamma
    if shape.embedding_attention:
        count += d * d + 1  # 1x1 convolution over the d embedding dimensions, gamma
    return count


def parameter_counts(shape: Shape) -> dict[str, int]:
    """Parameters of every part of the network (what ``network_.parameters()`` holds)."""
    F = shape.F
    residual = F * F + 3 * F  # Linear(F, F) and BatchNorm(F)
    counts = {"word embeddings": shape.V * shape.E}
    if shape.projected:
        counts["embedding projection"] = shape.E * shape.d
    counts["encoder"] = encoder_parameters(shape)
    if shape.plus:
        counts["meta head"] = residual + (F + 1) * shape.clusters
        counts["extreme head (label embeddings)"] = residual + (F + 1) * shape.L
    else:
        counts["head"] = residual + (F + 1) * shape.L
    if shape.tfidf_embedding and shape.G:
        counts["TF-IDF n-gram vectors"] = shape.G * F
    if shape.tfidf_linear and shape.N:
        counts["sparse linear map"] = shape.N
    return counts


def buffer_bytes(shape: Shape) -> dict[str, int]:
    """Bytes of the network's buffers (saved with it, not trained)."""
    F, p = shape.F, N_FILTERS
    n_heads = 2 if shape.plus else 1
    # BatchNorm running mean and variance (float32) and step counters (int64).
    batch_norm = FLOAT * 2 * (p + len(KERNEL_SIZES) * p + p + n_heads * F)
    batch_norm += INDEX * (3 + n_heads)
    # Spectral norm keeps two power-iteration vectors per normalised weight.
    spectral = FLOAT * (
        2 * shape.S * shape.word_attention + 2 * shape.d * shape.embedding_attention
    )
    if shape.plus:
        spectral += FLOAT * 2 * 2 * F
    buffers = {"BatchNorm and spectral-norm state": batch_norm + spectral}
    if shape.tfidf_linear and shape.N:
        buffers["sparse linear map (label ids, row pointers)"] = INDEX * (shape.N + shape.G + 1)
    if shape.plus:
        buffers["cluster tables"] = INDEX * (shape.clusters * shape.C + shape.L)
    return buffers


def sparse_gradient_parameters(shape: Shape) -> int:
    """Parameters stepped by SparseAdam: gradients only for the rows a batch touches."""
    count = 0
    if shape.tfidf_embedding and shape.G:
        count += shape.G * shape.F
    if shape.plus:
        count += (shape.F + 1) * shape.L
    if shape.tfidf_linear and shape.N > 50_000_000:  # skxml._base._SPARSE_LINEAR_MIN_WEIGHTS
        count += shape.N
    return count


def expected_union(shape: Shape, batch: int) -> float:
    """U: distinct labels in the shortlists of a batch, for independent shortlists.

    Real shortlists of a batch overlap more than independent ones (similar texts pick
    similar clusters), so this is an upper estimate; it is at most min(L, batch·K·C).
    """
    K, clusters = shape.shortlist, shape.clusters
    hit = 1.0 - (1.0 - K / clusters) ** batch
    return min(shape.L * hit, batch * K * shape.C)


def encoder_activation_bytes(shape: Shape, batch: int, *, training: bool) -> float:
    """Encoder activations: about (9·S + 11·p)·d floats per text kept for the backward pass,
    (2.3·S + 3.7·p)·d at inference (p = 32; measured, see ``--measure``)."""
    per_text = (9 * shape.S + 11 * N_FILTERS) if training else (2.3 * shape.S + 3.7 * N_FILTERS)
    return FLOAT * batch * shape.d * per_text


def step_bytes(
    shape: Shape, *, fused_adam: bool = False, union: float | None = None
) -> dict[str, float]:
    """Transient memory of one training step, by phase; the step's peak is the largest.

    Measured on CPU (``--measure``): the forward pass of InceptionXML holds about 3 (B, L)
    float tensors at its peak (logits and the loss's temporaries); PyTorch's single-tensor
    Adam (CPU) makes 2 temporaries of the largest dense parameter, fused Adam (CUDA) none;
    SparseAdam makes about 6 temporaries of the gradient's values (U·(F+1) for the label
    table). On CUDA, bf16 autocast adds half-precision copies of the largest operands.
    """
    B, F = shape.B, shape.F
    encoder = encoder_activation_bytes(shape, B, training=True)
    if not shape.plus:
        forward = encoder + 3 * B * shape.L * FLOAT
        largest_dense = max((F + 1) * shape.L, shape.V * shape.E)
        step = 0 if fused_adam else 2 * largest_dense * FLOAT
        return {"forward (encoder, 3 x B x L logits)": forward, "Adam step": step}
    union = expected_union(shape, B) if union is None else union
    slots = B * shape.shortlist * shape.C
    forward = (
        encoder
        + 3 * B * shape.clusters * FLOAT  # meta logits and their loss
        + union * F * FLOAT  # label vectors of the batch's shortlists
        + B * union * FLOAT  # (B, U) logits of the union
        + 60 * slots  # per shortlist slot: ids, keys, mask, logits, targets, losses
    )
    largest_dense = max((F + 1) * shape.clusters, shape.V * shape.E)
    return {
        "forward (encoder, meta logits, U x F label vectors, B x U logits)": forward,
        "Adam step (dense weights)": 0 if fused_adam else 2 * largest_dense * FLOAT,
        "SparseAdam step (U rows of the label table)": 6 * union * (F + 1) * FLOAT,
    }


def prediction_batch_bytes(
    shape: Shape, batch: int = PREDICT_BATCH_SIZE, k: int = 5, union: float | None = None
) -> float:
    """Peak memory of one prediction batch (skxml predicts 1,024 texts at a time).

    InceptionXML: the (batch, L) logits, 3 of them with the sparse linear map.
    InceptionXML+: (batch, L') meta logits, the U label vectors of the batch's shortlists,
    the (batch, U) logits and about 33 bytes per shortlist slot.
    """
    encoder = encoder_activation_bytes(shape, batch, training=False)
    if not shape.plus:
        copies = 3 if (shape.tfidf_linear and shape.N) else 1
        return max(encoder, copies * batch * shape.L * FLOAT)
    clusters = max(shape.shortlist, math.ceil(k / max(shape.C, 1)))
    if union is None:
        union = expected_union(dataclasses.replace(shape, K=clusters), batch)
    slots = batch * clusters * shape.C
    heads = batch * shape.clusters * FLOAT + union * shape.F * FLOAT + batch * union * FLOAT
    return max(encoder, heads + 33 * slots)


def training_bytes(shape: Shape, *, fused_adam: bool = False) -> dict[str, float]:
    """What a fit holds at its peak (besides the transient vocabulary and clustering)."""
    params = sum(parameter_counts(shape).values())
    dense = params - sparse_gradient_parameters(shape)
    buffers = sum(buffer_bytes(shape).values())
    parts = {
        "training data: token ids": INDEX * shape.n * shape.S,
        "training data: labels (CSR)": 8 * shape.nnz_Y + 4 * (shape.n + 1),
    }
    if shape.G:
        parts["training data: TF-IDF bag (CSR)"] = 8 * shape.nnz_X + INDEX * (shape.n + 1)
    parts["network (parameters and buffers)"] = FLOAT * params + buffers
    parts["gradients of the dense parameters"] = FLOAT * dense
    if shape.plus:
        union = expected_union(shape, shape.B)
        parts["sparse gradient of the label table (U rows)"] = FLOAT * union * (shape.F + 1)
    parts["Adam / SparseAdam state (2 copies)"] = 2 * FLOAT * params
    parts["snapshot of the last epoch (host)"] = FLOAT * params + buffers
    parts["peak of a training step"] = max(step_bytes(shape, fused_adam=fused_adam).values())
    return parts


def prediction_bytes(shape: Shape, n_queries: int, k: int = 5) -> dict[str, float]:
    """Prediction of ``n_queries`` texts, tokenised 16,384 at a time, scored 1,024 at a time."""
    params = sum(parameter_counts(shape).values())
    return {
        "network": FLOAT * params + sum(buffer_bytes(shape).values()),
        "token ids of a chunk of 16,384 queries": INDEX * min(n_queries, 16_384) * shape.S,
        "top-k output (CSR)": 8 * n_queries * k,
        "peak of a batch of 1,024": prediction_batch_bytes(shape, min(1024, n_queries), k),
    }


def model_file_bytes(shape: Shape, vocabulary_chars: float = 0, ngram_chars: float = 0) -> float:
    """Size of ``joblib.dump(clf)``: the network plus the fitted vocabularies and label data.

    ``vocabulary_chars`` and ``ngram_chars``: total characters of the words and n-grams
    (pickled strings cost their length plus a few bytes each).
    """
    size = FLOAT * sum(parameter_counts(shape).values()) + sum(buffer_bytes(shape).values())
    size += vocabulary_chars + 6 * shape.V  # word -> id dict: ~6 B per entry besides the word
    if shape.G:
        size += ngram_chars + 6 * shape.G + 8 * shape.G  # n-gram -> column dict, idf_
    size += 2 * 8 * shape.L  # label_counts_, classes_ (int64 ids; names cost more)
    if shape.plus:
        size += (8 + 8 + 12) * shape.L  # the clusterer's label maps and assignment matrix
    return size


# --------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------


def _human(value: float, unit: str = "B") -> str:
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.0f} {unit}"


def _print_parts(title: str, parts: dict[str, float], unit: str = "B") -> None:
    print(f"\n{title}")
    for name, value in parts.items():
        print(f"  {name:<52} {_human(value, unit):>10}")
    print(f"  {'total':<52} {_human(sum(parts.values()), unit):>10}")


# --------------------------------------------------------------------------------------
# --verify: the formulas against fitted models
# --------------------------------------------------------------------------------------

# Module prefixes of the fitted network, part by part.
_PREFIXES = {
    "word embeddings": ("encoder.embedding.",),
    "embedding projection": ("encoder.embedding_projection.",),
    "meta head": ("meta_head.",),
    "extreme head (label embeddings)": ("extreme_head.",),
    "head": ("head.",),
    "TF-IDF n-gram vectors": ("bag_of_words.",),
    "sparse linear map": ("sparse_linear.",),
    # InceptionXML+(tfidf_meta_linear=True); no formula: the measured configurations keep it off.
    "meta sparse linear map": ("meta_sparse_linear.",),
}


def _actual_counts(network) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, parameter in network.named_parameters():
        part = next(
            (key for key, prefixes in _PREFIXES.items() if name.startswith(prefixes)),
            "encoder",
        )
        counts[part] = counts.get(part, 0) + parameter.numel()
    return counts


def _largest_cluster(clf) -> int:
    import numpy as np

    if not hasattr(clf, "clusterer_"):
        return 0
    return int(np.diff(clf.clusterer_.cluster_indptr_).max())


def _shape_of(clf, texts, labels, batch_size: int) -> Shape:
    """The Shape of a fitted classifier: G and nnz(X) from scikit-learn's transform of the
    texts, N by the estimator's own rule for the sparse map's pairs."""

    params = clf.get_params()
    vectorizer = clf.tfidf_vectorizer_
    G = N = nnz_X = 0
    if vectorizer is not None:
        bag = vectorizer.transform(texts)  # scikit-learn's own transform
        G, nnz_X = len(vectorizer.vocabulary_), bag.nnz
        if params["tfidf_linear"]:
            # The pairs the map is built on, by the estimator's own rule (co-occurring pairs
            # that pass tfidf_linear_min_confidence, plus the neighbours' label pairs), on
            # scikit-learn's transform of the texts; nnz(XᵀY) without pruning or neighbours.
            _, sparse_linear = clf._build_tfidf_parts(bag, labels, 1)
            N = sparse_linear.weight.numel()
    return Shape(
        n=len(texts),
        L=labels.shape[1],
        V=clf.sequence_encoder_.vocabulary_size_,
        E=clf.network_.encoder.embedding_dim,  # embedding_dim=None: the vectors' width or 128
        model_dim=params["model_dim"],
        S=params["max_seq_len"],
        G=G,
        N=N,
        nnz_X=nnz_X,
        nnz_Y=labels.nnz,
        clusters=getattr(clf, "n_clusters_", 0),
        C=_largest_cluster(clf),
        K=getattr(clf, "n_shortlist_", None),
        B=batch_size,
        tfidf_embedding=params["tfidf_embedding"],
        tfidf_linear=params["tfidf_linear"],
        word_attention=params["word_attention"],
        embedding_attention=params["embedding_attention"],
    )


def _fit_keeping_optimizers(clf, texts, labels) -> list:
    """Fit ``clf`` and return the optimisers its fit built (and dropped)."""
    from skxml._base import BaseInceptionXML

    kept: list = []
    build = BaseInceptionXML._build_optimizers

    def keep(self):
        optimizers = build(self)
        kept.extend(optimizers)
        return optimizers

    BaseInceptionXML._build_optimizers = keep
    try:
        clf.fit(texts, labels)
    finally:
        BaseInceptionXML._build_optimizers = build
    return kept


def verify(n_texts: int) -> list[dict]:
    """Fit small models on debian-tags and compare them with the formulas."""
    import joblib
    import numpy as np
    import torch

    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
    from skxml.datasets import load_debian_tags

    torch.set_num_threads(1)
    texts, labels = load_debian_tags(subset="train", return_X_y=True)
    texts, labels = list(texts[:n_texts]), labels[:n_texts].tocsr()
    labels = labels[:, np.flatnonzero(labels.getnnz(axis=0))]  # labels seen in the subset
    common = dict(n_epochs=1, batch_size=256, random_state=0, device="cpu")
    configurations = {
        "InceptionXML, defaults (E=d=128, TF-IDF on)": InceptionXMLClassifier(**common),
        "InceptionXML, paper model (E=d=300, no TF-IDF)": InceptionXMLClassifier(
            **common, embedding_dim=300, tfidf_embedding=False, tfidf_linear=False
        ),
        "InceptionXML, E=32 projected to d=96, S=16": InceptionXMLClassifier(
            **common, embedding_dim=32, model_dim=96, max_seq_len=16, tfidf_embedding=False
        ),
        "InceptionXML+, defaults": InceptionXMLPlusClassifier(**common),
        "InceptionXML+, L'=64, K=8, d=300, no sparse map": InceptionXMLPlusClassifier(
            **common,
            clusterer=LabelTreeClusterer(n_clusters=64),
            n_shortlist=8,
            embedding_dim=300,
            tfidf_linear=False,
        ),
    }
    rows = []
    for name, clf in configurations.items():
        optimizers = _fit_keeping_optimizers(clf, texts, labels)
        shape = _shape_of(clf, texts, labels, common["batch_size"])
        formula, actual = parameter_counts(shape), _actual_counts(clf.network_)
        total = sum(p.numel() for p in clf.network_.parameters())
        buffers = sum(b.numel() * b.element_size() for b in clf.network_.buffers())
        state = sum(
            value.numel() * value.element_size()
            for optimizer in optimizers
            for per_parameter in optimizer.state.values()
            for key, value in per_parameter.items()
            if key != "step"
        )
        # Adam keeps two float32 copies per weight; the linear maps' SGD one (its momentum).
        copies = sum(
            (1 if isinstance(optimizer, torch.optim.SGD) else 2) * parameter.numel()
            for optimizer in optimizers
            for group in optimizer.param_groups
            for parameter in group["params"]
        )
        dump = io.BytesIO()
        joblib.dump(clf, dump)
        words = sum(map(len, clf.sequence_encoder_.vocabulary_))
        ngrams = (
            0
            if clf.tfidf_vectorizer_ is None
            else sum(map(len, clf.tfidf_vectorizer_.vocabulary_))
        )
        rows.append(
            {
                "model": name,
                "shape": dataclasses.asdict(shape) | {"F": shape.F, "d": shape.d},
                "parts_formula": formula,
                "parts_actual": actual,
                "parameters_formula": sum(formula.values()),
                "parameters_actual": total,
                "buffer_bytes_formula": sum(buffer_bytes(shape).values()),
                "buffer_bytes_actual": buffers,
                "optimizer_state_bytes": state,
                "state_copies_bytes": FLOAT * copies,
                "model_file_bytes": dump.tell(),
                "model_file_formula": model_file_bytes(shape, words, ngrams),
            }
        )
    return rows


def _print_verification(rows: list[dict]) -> bool:
    ok = True
    for row in rows:
        print(f"\n{row['model']}")
        print("  shape:", {k: v for k, v in row["shape"].items() if v not in (0, None)})
        for part, value in row["parts_formula"].items():
            actual = row["parts_actual"].get(part, 0)
            mark = "ok" if actual == value else "DIFFERS"
            ok &= actual == value
            print(f"  {part:<34} formula {value:>12,}  actual {actual:>12,}  {mark}")
        same = row["parameters_formula"] == row["parameters_actual"]
        ok &= same and row["buffer_bytes_formula"] == row["buffer_bytes_actual"]
        ok &= row["optimizer_state_bytes"] == row["state_copies_bytes"]
        print(
            f"  {'total parameters':<34} formula {row['parameters_formula']:>12,}  "
            f"actual {row['parameters_actual']:>12,}  {'ok' if same else 'DIFFERS'}"
        )
        print(
            f"  buffers: formula {row['buffer_bytes_formula']:,} B, actual "
            f"{row['buffer_bytes_actual']:,} B"
        )
        print(
            f"  optimiser state: {row['optimizer_state_bytes']:,} B; 4 B x (2 per Adam-stepped "
            f"and 1 per SGD-stepped weight): {row['state_copies_bytes']:,} B"
        )
        ratio = row["model_file_bytes"] / row["model_file_formula"]
        print(
            f"  joblib dump: {row['model_file_bytes']:,} B; formula "
            f"{row['model_file_formula']:,.0f} B (ratio {ratio:.3f})"
        )
    return ok


def check_recorded_sizes() -> None:
    """The model-file formula against sizes measured elsewhere, without fitting anything.

    ``results/inceptionxml.json`` records the joblib dump of the default classifiers fitted on
    all of debian-tags; the paper's Table 2 gives the model sizes of AmazonTitles-670K.
    """
    import json
    from pathlib import Path

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier
    from skxml.datasets import load_debian_tags
    from skxml.text import SequenceEncoder
    from skxml.text._tokenizer import lowercase_and_space_cjk

    texts, labels = load_debian_tags(subset="train", return_X_y=True)
    texts, labels = list(texts), labels.tocsr()
    encoder = SequenceEncoder(max_seq_len=32).fit(texts)
    words, n_tokens = encoder.vocabulary_, encoder.vocabulary_size_
    defaults = InceptionXMLClassifier()
    vectorizer = TfidfVectorizer(  # skxml's default TF-IDF settings
        ngram_range=defaults.tfidf_ngram_range,
        token_pattern=defaults.tfidf_token_pattern,
        preprocessor=lowercase_and_space_cjk,
        sublinear_tf=True,
        dtype=np.float32,
    )
    bag = vectorizer.fit_transform(texts)
    pairs = {  # N by each estimator's own rule (pruning; InceptionXML's neighbour pairs)
        f"skxml {type(estimator).__name__.removesuffix('Classifier')}": (
            estimator._build_tfidf_parts(bag, labels, 1)[1].weight.numel()
        )
        for estimator in (defaults, InceptionXMLPlusClassifier())
    }
    results = Path(__file__).resolve().parent / "results" / "inceptionxml.json"
    recorded = {
        row["method"]: row["model_mb"]
        for row in json.loads(results.read_text())["rows"]
        if row["dataset"] == "debian-tags"
    }
    print(
        f"\nDefault classifiers on all of debian-tags (V={n_tokens:,}, "
        f"G={len(vectorizer.vocabulary_):,}):"
    )
    for method, clusters, largest in (
        ("skxml InceptionXML", 0, 0),
        ("skxml InceptionXML+", 64, 10),
    ):
        shape = Shape(
            n=len(texts),
            L=labels.shape[1],
            V=n_tokens,
            G=len(vectorizer.vocabulary_),
            N=pairs[method.replace("+", "Plus")],
            clusters=clusters,
            C=largest,
        )
        size = (
            model_file_bytes(shape, sum(map(len, words)), sum(map(len, vectorizer.vocabulary_)))
            / 2**20
        )
        print(
            f"  {method} (N={shape.N:,}): {sum(parameter_counts(shape).values()):,} "
            f"parameters; model file formula {size:.2f} MiB, recorded {recorded.get(method)} MiB"
        )
    print(
        "AmazonTitles-670K, d=300, V=66,668, no TF-IDF parts (paper Table 2: 1.3 GB and 1.4 GB):"
    )
    for name, clusters, largest in (("InceptionXML", 0, 0), ("InceptionXML+", 65_536, 11)):
        shape = Shape(
            n=485_176,
            L=670_091,
            V=66_668,
            E=300,
            clusters=clusters,
            C=largest,
            tfidf_embedding=False,
            tfidf_linear=False,
        )
        network = FLOAT * sum(parameter_counts(shape).values()) + sum(buffer_bytes(shape).values())
        print(f"  {name}: network {network / 2**30:.2f} GiB")


# --------------------------------------------------------------------------------------
# --measure: per-batch memory, from the growth of the resident set
# --------------------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _synthetic(n: int, n_labels: int, seed: int = 0):
    """Texts of 8 random words out of 5,000 and 3 labels each, tied to the first word."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(5000)])
    ids = rng.integers(0, 5000, size=(n, 8))
    texts = [" ".join(words[row]) for row in ids]
    first = (ids[:, 0] * n_labels // 5000)[:, None]
    columns = np.concatenate([first, rng.integers(0, n_labels, size=(n, 2))], axis=1)
    columns = np.sort(columns, axis=1)
    labels = sp.csr_matrix(
        (np.ones(columns.size, dtype=np.float32), columns.ravel(), np.arange(0, 3 * n + 1, 3)),
        shape=(n, n_labels),
    )
    labels.sum_duplicates()
    labels.data[:] = 1
    return texts, labels


def _reset_peak() -> int:
    """Reset the resident-set high-water mark; return the resident set (KiB)."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    return _status_kib("VmRSS")


def _growth(before_kib: int) -> float:
    return 1024.0 * (_status_kib("VmHWM") - before_kib)


def measure_step_phases(clf, texts, labels) -> dict[str, float]:
    """Growth of the resident set in the forward pass and optimiser step of a training step
    on a fitted classifier (the third of three steps on one batch: Adam state allocated)."""
    import numpy as np
    import torch

    from skxml._sparse_rows import _csr_rows_to_bag

    network, cpu = clf.network_, torch.device("cpu")
    network.train()
    rows = np.arange(clf.batch_size)
    token_ids, bag = clf._prepare_text_features([texts[row] for row in rows])
    tokens = torch.from_numpy(token_ids)
    bag = None if bag is None else _csr_rows_to_bag(bag, rows, cpu)
    optimizers = clf._build_optimizers()
    phases: dict[str, float] = {}
    for _ in range(3):
        targets = clf._batch_targets(labels, rows, cpu)
        before = _reset_peak()
        loss = clf._batch_loss(tokens, bag, targets)
        phases["forward"] = _growth(before)
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        del loss
        for optimizer in optimizers:
            before = _reset_peak()
            optimizer.step()
            phases[f"{type(optimizer).__name__} step"] = _growth(before)
    head = getattr(network, "extreme_head", None)
    if head is not None:
        phases["U"] = float(head.weight.grad._nnz())  # label rows the step touched
    return phases


def measure_prediction(clf, texts) -> dict[str, float]:
    """Growth of the resident set while predicting ``texts`` (one batch of up to 1024)."""
    import torch

    from skxml._sparse_rows import _csr_rows_to_bag

    clf.decision_function(texts[:8])  # warm up
    before = _reset_peak()
    clf.decision_function(texts)
    result = {"prediction": _growth(before)}
    if hasattr(clf, "clusterer_"):
        network = clf.network_
        token_ids, bag = clf._prepare_text_features(texts)
        bag_batch = (
            None if bag is None else _csr_rows_to_bag(bag, slice(None), torch.device("cpu"))
        )
        with torch.inference_mode():
            h = network.features(torch.from_numpy(token_ids), bag_batch)
            meta_logits = network.meta_logits(h, bag_batch)
            label_ids, mask = network.shortlist(meta_logits, clf._clusters_for_k(clf.top_k))
            result["U"] = float(torch.unique(label_ids[mask]).numel())
    return result


def measure() -> bool:
    """Per-batch memory of both models on synthetic data with 100,000 labels, measured and
    by the formulas (with the measured U, the labels a batch's shortlists touch)."""
    import os

    import torch

    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer

    if os.environ.get("MALLOC_MMAP_THRESHOLD_") is None:
        print(
            "Set MALLOC_MMAP_THRESHOLD_=65536: glibc otherwise serves freed memory below its "
            "dynamic mmap threshold again without growing the resident set."
        )
        return False
    torch.set_num_threads(1)
    n_labels, batch = 100_000, 128
    texts, labels = _synthetic(3 * batch, n_labels)
    queries, _ = _synthetic(PREDICT_BATCH_SIZE, n_labels, seed=1)
    common = dict(n_epochs=1, batch_size=batch, random_state=0, device="cpu", embedding_dim=128)
    models = {
        "InceptionXML, no TF-IDF": InceptionXMLClassifier(
            **common, tfidf_embedding=False, tfidf_linear=False
        ),
        "InceptionXML, TF-IDF on": InceptionXMLClassifier(**common),
        "InceptionXML+, L'=8192, default K, no TF-IDF": InceptionXMLPlusClassifier(
            **common,
            clusterer=LabelTreeClusterer(n_clusters=8192),
            tfidf_embedding=False,
            tfidf_linear=False,
        ),
    }
    for name, clf in models.items():
        clf.fit(texts, labels)
        shape = _shape_of(clf, texts, labels, batch)
        measured = measure_step_phases(clf, texts, labels)
        predicted = measure_prediction(clf, queries)
        print(
            f"\n{name}: L={shape.L:,}, F={shape.F}, L'={shape.clusters}, K={shape.K}, C={shape.C}"
        )
        formula = step_bytes(shape, union=measured.get("U"))
        if shape.plus:
            print(
                f"  U (training step): {measured['U']:,.0f}; independent-shortlist estimate "
                f"{expected_union(shape, batch):,.0f}"
            )
        for phase, value in measured.items():
            if phase != "U":
                print(f"  measured {phase:<22} {_human(value):>10}")
        for phase, value in formula.items():
            print(f"  formula  {phase:<60} {_human(value):>10}")
        union_p = predicted.get("U")
        expected = prediction_batch_bytes(shape, union=union_p)
        extra = "" if union_p is None else f" (U = {union_p:,.0f})"
        print(
            f"  prediction of 1,024 texts{extra}: measured {_human(predicted['prediction'])}, "
            f"formula {_human(expected)}"
        )
    return True


# --------------------------------------------------------------------------------------
# --plan: AmazonTitles-3M
# --------------------------------------------------------------------------------------

AMAZONTITLES_3M = dict(
    n=1_712_536,  # Table 5 of the paper
    L=2_812_281,
    nnz_Y=round(1_712_536 * 36.18),  # 36.18 labels per text
    V=500_000,  # words, padding included: an assumption ("hundreds of thousands")
    E=300,  # GloVe 300d, as in the paper
    S=32,
    clusters=131_072,  # L' of the paper (Table 6), 21.5 labels per cluster
    C=22,
    K=800,  # the paper's shortlist
    B=128,
)


def plan() -> dict[str, Shape]:
    """The shapes of the worked AmazonTitles-3M plan."""
    base = dict(AMAZONTITLES_3M)
    texts_ngrams = 16  # distinct uni- and bigrams per title (about 9 words)
    return {
        "InceptionXML+ (paper model: no TF-IDF parts)": Shape(
            **base, tfidf_embedding=False, tfidf_linear=False
        ),
        "InceptionXML+ with TF-IDF n-gram vectors (G = 1M)": Shape(
            **base,
            G=1_000_000,
            nnz_X=base["n"] * texts_ngrams,
            tfidf_linear=False,
        ),
        "InceptionXML (dense head over 2.8M labels, no TF-IDF)": Shape(
            **{**base, "clusters": 0, "C": 0, "K": None},
            tfidf_embedding=False,
            tfidf_linear=False,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verify", action="store_true", help="compare with fitted models")
    parser.add_argument("--measure", action="store_true", help="measure per-batch memory")
    parser.add_argument("--plan", action="store_true", help="print the AmazonTitles-3M plan")
    parser.add_argument("--n-texts", type=int, default=3000, help="debian-tags texts to fit")
    args = parser.parse_args(argv)
    ok = True
    if args.verify:
        ok = _print_verification(verify(args.n_texts))
        check_recorded_sizes()
    if args.measure:
        ok &= measure()
    if args.plan:
        for name, shape in plan().items():
            _print_parts(f"{name}: parameters", parameter_counts(shape), unit="")
            _print_parts(f"{name}: training on CPU", training_bytes(shape))
            on_gpu = training_bytes(shape, fused_adam=True)
            host = (
                "training data: labels (CSR)",
                "training data: TF-IDF bag (CSR)",
                "snapshot of the last epoch (host)",
            )
            on_gpu = {part: value for part, value in on_gpu.items() if part not in host}
            _print_parts(f"{name}: training on one GPU, GPU memory", on_gpu)
            _print_parts(f"{name}: prediction of 1M queries", prediction_bytes(shape, 10**6))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

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
with 2 float32 copies of each Adam-stepped weight and 1 of each weight SGD steps with
momentum (the linear maps; none for plain SGD), the parameters with sparse gradients, and the
size of the joblib dump with the formula; it also checks the prediction batch size and the
thresholds copied from skxml against skxml's own.
``--plan`` prints the plan on a CPU and on one GPU (where InceptionXML+'s label table has a
dense gradient and fused Adam), and the same formulas for the H100 run of ``gpu.py``.
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
BF16 = 2  # bf16 activations and prediction copies on a GPU
INDEX = 8  # int64 ids and buffers
N_FILTERS = 32  # p: channels of the convolutions (fixed by skxml's encoder defaults)
KERNEL_SIZES = (4, 8, 16)
STRIDE = 4
FINAL_KERNEL_SIZE = 16
# skxml._base: texts per prediction pass at most, and the scores a pass may hold.
PREDICT_BATCH_SIZE = 1024  # _PREDICT_BATCH_SIZE
PREDICT_MAX_SCORES = 1 << 27  # _PREDICT_MAX_SCORES: float32 scores of a CPU pass
PREDICT_MAX_SCORES_CUDA = 1 << 29  # _PREDICT_MAX_SCORES_CUDA: bf16 scores of a GPU pass
PREDICT_CHUNK_SIZE = 16 * PREDICT_BATCH_SIZE  # _PREDICT_CHUNK_SIZE: texts tokenised at once
# Above this many weights the sparse linear map, and on a CPU InceptionXML+'s label table,
# get sparse gradients (skxml._base._SPARSE_LINEAR_MIN_WEIGHTS).
SPARSE_MIN_WEIGHTS = 50_000_000
# On a CPU, a batch whose shortlists cover this share of the labels is scored against every
# label (skxml.nn._plus_network._SCORE_EVERY_LABEL_SHARE, skxml.nn._frozen._EVERY_LABEL).
EVERY_LABEL_SHARE = 0.6
DEVICES = ("cpu", "cuda")


# --------------------------------------------------------------------------------------
# The formulas
# --------------------------------------------------------------------------------------


def prediction_batch_size(n_labels: int, device: str = "cpu", *, bf16: bool = True) -> int:
    """Texts per prediction pass, as ``skxml._base._prediction_batch_size``: a power of two,
    at most 1,024, with at most 2^27 (texts × labels) scores on a CPU and 2^29 bf16 ones on a
    GPU (2^28 in float32): 32 texts on a CPU and 128 on a GPU at 2.8M labels; 1,024 on a CPU
    up to 131,072 labels. ``--verify`` checks it against skxml's own function."""
    limit = PREDICT_MAX_SCORES
    if device == "cuda":
        limit = PREDICT_MAX_SCORES_CUDA if bf16 else PREDICT_MAX_SCORES_CUDA // 2
    fitting = max(1, limit // max(n_labels, 1))
    return min(PREDICT_BATCH_SIZE, 1 << (fitting.bit_length() - 1))


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

    @property
    def linear_weights(self) -> int:
        """N if the sparse linear map is on, else 0."""
        return self.N if self.tfidf_linear else 0


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


def sparse_label_table(shape: Shape, device: str = "cpu") -> bool:
    """Whether InceptionXML+'s label table gets sparse gradients and SparseAdam: only on a
    CPU and above 50 million weights (L·F; skxml.models._inception_xml_plus)."""
    return shape.plus and device == "cpu" and shape.L * shape.F > SPARSE_MIN_WEIGHTS


def sparse_linear_map(shape: Shape) -> bool:
    """Whether the sparse linear map gets sparse gradients and plain SGD (no momentum)."""
    return shape.linear_weights > SPARSE_MIN_WEIGHTS


def sparse_gradient_parameters(shape: Shape, device: str = "cpu") -> int:
    """Parameters with sparse gradients (only the rows a batch touches): the n-gram table
    (SparseAdam), the label table on a CPU above 50M weights (SparseAdam), the sparse linear
    map above 50M weights (plain SGD); one process, not under torchrun."""
    count = 0
    if shape.tfidf_embedding and shape.G:
        count += shape.G * shape.F
    if sparse_label_table(shape, device):
        count += (shape.F + 1) * shape.L
    if sparse_linear_map(shape):
        count += shape.N
    return count


def optimizer_state_bytes(shape: Shape) -> dict[str, float]:
    """Adam and SparseAdam keep two float32 copies of every weight they step; the sparse
    linear map's SGD one (its momentum) up to 50M weights, none above (plain SGD)."""
    params = sum(parameter_counts(shape).values())
    linear = shape.linear_weights
    state = {"Adam / SparseAdam state (2 copies)": 2 * FLOAT * (params - linear)}
    if linear:
        state["SGD state of the sparse linear map"] = (
            0 if sparse_linear_map(shape) else FLOAT * linear
        )
    return state


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
    shape: Shape,
    *,
    device: str = "cpu",
    fused_adam: bool = True,
    union: float | None = None,
) -> dict[str, float]:
    """Transient memory of one training step, by phase; the step's peak is the largest.

    Measured on CPU (``--measure``): the forward pass of InceptionXML holds about 4 (B, L)
    float tensors at its peak (the logits and the hard-negative loss's temporaries; 3 with
    the paper's plain BCE, ``hard_negatives=None``). The dense weights are
    stepped by fused Adam (``torch.optim.Adam(fused=True)``, on the CPU too), which makes no
    temporaries; ``fused_adam=False`` models torch < 2.4, where skxml falls back to plain
    Adam and its 2 temporaries of the largest dense parameter. SparseAdam (InceptionXML+'s
    label table on a CPU above 50M weights) makes about 6 temporaries of the gradient's
    values, U·(F+1). On a CPU, a dense-gradient label table whose batch shortlists cover 60 %
    of the labels is scored against every label: a (B, L) logit tensor (and in the backward
    pass, not modelled, its gradient). On
    CUDA, bf16 autocast adds a half-precision copy of the gathered label vectors.
    """
    B, F = shape.B, shape.F
    encoder = encoder_activation_bytes(shape, B, training=True)
    if not shape.plus:
        forward = encoder + 4 * B * shape.L * FLOAT
        largest_dense = max((F + 1) * shape.L, shape.V * shape.E)
        step = 0 if fused_adam else 2 * largest_dense * FLOAT
        return {"forward (encoder, 4 x B x L logits)": forward, "Adam step": step}
    union = expected_union(shape, B) if union is None else union
    sparse_table = sparse_label_table(shape, device)
    slots = B * shape.shortlist * shape.C
    common = encoder + 3 * B * shape.clusters * FLOAT + 60 * slots  # meta logits, slots
    if device == "cpu" and not sparse_table and union >= EVERY_LABEL_SHARE * shape.L:
        name = "forward (encoder, meta logits, every label: B x L logits)"
        forward = common + B * shape.L * FLOAT
    else:
        name = "forward (encoder, meta logits, U x F label vectors, B x U logits)"
        forward = common + union * F * FLOAT + B * union * FLOAT
        if device == "cuda":
            forward += union * F * BF16  # the bf16 copy of the gathered label vectors
    largest_dense = max(shape.V * shape.E, (F + 1) * shape.clusters)
    if not sparse_table:
        largest_dense = max(largest_dense, (F + 1) * shape.L)
    phases = {
        name: forward,
        "Adam step (dense weights)": 0 if fused_adam else 2 * largest_dense * FLOAT,
    }
    if sparse_table:
        phases["SparseAdam step (U rows of the label table)"] = 6 * union * (F + 1) * FLOAT
    return phases


def prediction_batch_bytes(
    shape: Shape,
    batch: int | None = None,
    k: int = 5,
    union: float | None = None,
    device: str = "cpu",
) -> float:
    """Peak memory of one prediction pass of ``batch`` texts (default: as many as skxml
    scores at once, :func:`prediction_batch_size`); on a GPU the scores are bf16.

    InceptionXML: the (batch, L) logits, 3 of them with the sparse linear map on a GPU.
    InceptionXML+: (batch, L') meta logits, the U label vectors of the batch's shortlists,
    the (batch, U) logits and about 33 bytes per shortlist slot; on a CPU, once U reaches
    60 % of L, (batch, L) logits instead of the gathered vectors.
    """
    if batch is None:
        batch = prediction_batch_size(shape.L, device)
    size = BF16 if device == "cuda" else FLOAT
    encoder = encoder_activation_bytes(shape, batch, training=False)
    if not shape.plus:
        # The sparse linear map adds its scores in place on a CPU (NumPy sums), through the
        # module's torch ops on a GPU: its (batch, L) output and the sum, 3 copies.
        copies = 3 if (shape.tfidf_linear and shape.N and device == "cuda") else 1
        return max(encoder, copies * batch * shape.L * size)
    clusters = max(shape.shortlist, math.ceil(k / max(shape.C, 1)))
    if union is None:
        union = expected_union(dataclasses.replace(shape, K=clusters), batch)
    slots = batch * clusters * shape.C
    if device == "cpu" and union >= EVERY_LABEL_SHARE * shape.L:
        heads = batch * shape.clusters * size + batch * shape.L * size
    else:
        heads = batch * shape.clusters * size + union * shape.F * size + batch * union * size
    return max(encoder, heads + 33 * slots)


def snapshot_bytes(shape: Shape, *, early_stopping: bool = False) -> dict[str, float]:
    """Host copies of the network's state kept during fit: the last complete epoch, in two
    buffers reused in turn (one written, the other whole, so that Ctrl-C mid-copy leaves a
    whole one; both exist from the second epoch, or from the start of a warm start), and
    with ``n_iter_no_change`` a third, the best epoch so far."""
    state = FLOAT * sum(parameter_counts(shape).values()) + sum(buffer_bytes(shape).values())
    parts = {"snapshots of the last epoch (host, 2 copies)": 2 * state}
    if early_stopping:
        parts["best epoch for n_iter_no_change (host)"] = state
    return parts


HOST_PARTS = (
    "training data: labels (CSR)",
    "training data: TF-IDF bag (CSR)",
    "snapshots of the last epoch (host, 2 copies)",
    "best epoch for n_iter_no_change (host)",
)


def training_bytes(
    shape: Shape,
    *,
    device: str = "cpu",
    fused_adam: bool = True,
    early_stopping: bool = False,
) -> dict[str, float]:
    """What a fit holds at its peak (besides the transient vocabulary and clustering).

    On CUDA the parts in ``HOST_PARTS`` stay on the host; the token ids are on both.
    """
    params = sum(parameter_counts(shape).values())
    dense = params - sparse_gradient_parameters(shape, device)
    buffers = sum(buffer_bytes(shape).values())
    parts = {
        "training data: token ids": INDEX * shape.n * shape.S,
        "training data: labels (CSR)": 8 * shape.nnz_Y + 4 * (shape.n + 1),
    }
    if shape.G:
        parts["training data: TF-IDF bag (CSR)"] = 8 * shape.nnz_X + INDEX * (shape.n + 1)
    parts["network (parameters and buffers)"] = FLOAT * params + buffers
    parts["gradients of the dense parameters"] = FLOAT * dense
    if sparse_label_table(shape, device):
        union = expected_union(shape, shape.B)
        parts["sparse gradient of the label table (U rows)"] = FLOAT * union * (shape.F + 1)
    parts.update(optimizer_state_bytes(shape))
    parts.update(snapshot_bytes(shape, early_stopping=early_stopping))
    step = step_bytes(shape, device=device, fused_adam=fused_adam)
    parts["peak of a training step"] = max(step.values())
    return parts


def prediction_bytes(
    shape: Shape, n_queries: int, k: int = 5, device: str = "cpu"
) -> dict[str, float]:
    """Prediction of ``n_queries`` texts, tokenised 16,384 at a time and scored
    :func:`prediction_batch_size` at a time; on a GPU the frozen network keeps bf16 copies
    of its label-scoring layers (output layer; meta head and label table)."""
    params = sum(parameter_counts(shape).values())
    batch = min(prediction_batch_size(shape.L, device), n_queries)
    parts = {"network": FLOAT * params + sum(buffer_bytes(shape).values())}
    if device == "cuda":
        rows = shape.L + shape.clusters
        parts["bf16 copies of the label-scoring layers"] = BF16 * (shape.F + 1) * rows
    parts["token ids of a chunk of 16,384 queries"] = (
        INDEX * min(n_queries, PREDICT_CHUNK_SIZE) * shape.S
    )
    parts["top-k output (CSR)"] = 8 * n_queries * k
    parts[f"peak of a pass over {batch:,} texts"] = prediction_batch_bytes(
        shape, batch, k, device=device
    )
    return parts


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


def _state_copies(optimizer) -> int:
    """Float32 copies of each weight ``optimizer`` keeps: 2 for Adam and SparseAdam, 1 for
    SGD with momentum, 0 for plain SGD."""
    import torch

    if isinstance(optimizer, torch.optim.SGD):
        return 1 if optimizer.defaults["momentum"] > 0 else 0
    return 2


def check_code_rules() -> bool:
    """The rules the formulas copy from skxml against skxml's own: the prediction batch size
    for 1 to 10^7 labels on both devices, and the thresholds."""
    import torch

    from skxml import _base
    from skxml.nn import _frozen, _plus_network

    same = all(
        prediction_batch_size(n_labels, device, bf16=bf16)
        == _base._prediction_batch_size(n_labels, torch.device(device), bf16=bf16)
        for n_labels in [1, 2, 3, 1000, 131_072, 131_073, 670_091, 2_812_281, 10**7]
        + [2**k + offset for k in range(1, 24) for offset in (-1, 0, 1)]
        for device in DEVICES
        for bf16 in (True, False)
    )
    same &= (PREDICT_BATCH_SIZE, PREDICT_CHUNK_SIZE, SPARSE_MIN_WEIGHTS) == (
        _base._PREDICT_BATCH_SIZE,
        _base._PREDICT_CHUNK_SIZE,
        _base._SPARSE_LINEAR_MIN_WEIGHTS,
    )
    same &= EVERY_LABEL_SHARE == _frozen._EVERY_LABEL == _plus_network._SCORE_EVERY_LABEL_SHARE
    texts = {True: "ok", False: "DIFFERS"}
    print(
        "\nprediction batch size and thresholds against skxml's: "
        f"{texts[same]} (2.8M labels: {prediction_batch_size(2_812_281, 'cpu')} texts per "
        f"pass on a CPU, {prediction_batch_size(2_812_281, 'cuda')} on a GPU)"
    )
    return same


def verify(n_texts: int) -> list[dict]:
    """Fit small models on debian-tags and compare them with the formulas."""
    import joblib
    import numpy as np
    import torch

    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
    from skxml._optimizers import _sparse_gradient_parameters
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
        # Adam keeps two float32 copies per weight; the linear maps' SGD one (its momentum),
        # none without momentum (sparse gradients above 50M weights).
        copies = sum(
            _state_copies(optimizer) * parameter.numel()
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
                "state_formula_bytes": sum(optimizer_state_bytes(shape).values()),
                "sparse_gradient_formula": sparse_gradient_parameters(shape, "cpu"),
                "sparse_gradient_actual": sum(
                    p.numel() for p in _sparse_gradient_parameters(clf.network_)
                ),
                "adam_fused": [
                    bool(optimizer.defaults.get("fused"))
                    for optimizer in optimizers
                    if type(optimizer) is torch.optim.Adam
                ],
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
        ok &= row["optimizer_state_bytes"] == row["state_formula_bytes"]
        ok &= row["sparse_gradient_formula"] == row["sparse_gradient_actual"]
        ok &= all(row["adam_fused"])
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
            f"and 1 per SGD-stepped weight): {row['state_copies_bytes']:,} B; formula "
            f"{row['state_formula_bytes']:,} B"
        )
        print(
            f"  sparse-gradient parameters: formula {row['sparse_gradient_formula']:,}, actual "
            f"{row['sparse_gradient_actual']:,}; dense weights stepped by fused Adam: "
            f"{all(row['adam_fused'])}"
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
    if head is not None:  # label rows the step touched: a sparse gradient's, or nonzero rows
        grad = head.weight.grad
        touched = grad._nnz() if grad.is_sparse else int(grad.abs().sum(1).count_nonzero())
        phases["U"] = float(touched)
    return phases


def measure_prediction(clf, texts) -> dict[str, float]:
    """Growth of the resident set while predicting ``texts`` (one prediction pass)."""
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
    n_queries = prediction_batch_size(n_labels)  # one pass: 1,024 texts at 100,000 labels
    queries, _ = _synthetic(n_queries, n_labels, seed=1)
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
            f"  prediction of {n_queries:,} texts{extra}: measured "
            f"{_human(predicted['prediction'])}, formula {_human(expected)}"
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


# The H100 measurement of ``benchmarks/gpu.py --parts 3m`` (results/gpu.md, 2026-11-24):
# 65,536 synthetic texts over 66,666 words, 2,812,281 labels in 131,072 random balanced
# clusters, d=300, top-800, batch 256, no TF-IDF parts; peak 30.1 GiB (max_memory_allocated).
MEASURED_H100 = Shape(
    n=65_536,
    L=2_812_281,
    nnz_Y=round(65_536 * 5.5),
    V=66_668,  # at most: the vocabulary's words plus padding and unknown
    E=300,
    S=32,
    clusters=131_072,
    C=22,
    K=800,
    B=256,
    tfidf_embedding=False,
    tfidf_linear=False,
)
MEASURED_H100_GIB = 30.1


def print_plan() -> None:
    """The AmazonTitles-3M plan: parameters, fit on a CPU and on one GPU, prediction."""
    for name, shape in plan().items():
        _print_parts(f"{name}: parameters", parameter_counts(shape), unit="")
        if shape.plus:
            print(
                f"  U of a batch of {shape.B} (independent shortlists): "
                f"{expected_union(shape, shape.B):,.0f} of {shape.L:,} labels"
            )
        _print_parts(f"{name}: training on CPU", training_bytes(shape))
        on_gpu = training_bytes(shape, device="cuda")
        host = {part: value for part, value in on_gpu.items() if part in HOST_PARTS}
        host = {"training data: token ids": on_gpu["training data: token ids"], **host}
        on_gpu = {part: value for part, value in on_gpu.items() if part not in HOST_PARTS}
        _print_parts(f"{name}: training on one GPU, GPU memory", on_gpu)
        _print_parts(f"{name}: training on one GPU, host memory", host)
        _print_parts(f"{name}: step phases on one GPU", step_bytes(shape, device="cuda"))
        for device in DEVICES:
            _print_parts(
                f"{name}: prediction of 1M queries on {device.upper()}",
                prediction_bytes(shape, 10**6, device=device),
            )
    shape = dataclasses.replace(plan()["InceptionXML+ (paper model: no TF-IDF parts)"], B=64)
    _print_parts(
        "InceptionXML+ (paper model), batch 64: training on one GPU, GPU memory",
        {k: v for k, v in training_bytes(shape, device="cuda").items() if k not in HOST_PARTS},
    )
    print(f"  U of a batch of 64: {expected_union(shape, 64):,.0f}")
    shape = MEASURED_H100
    on_gpu = {k: v for k, v in training_bytes(shape, device="cuda").items() if k not in HOST_PARTS}
    _print_parts(
        "The H100 run of benchmarks/gpu.py --parts 3m (synthetic, V <= 66,668, batch 256): "
        "GPU memory",
        on_gpu,
    )
    print(
        f"  U of a batch of 256: {expected_union(shape, 256):,.0f}; formula "
        f"{sum(on_gpu.values()) / 2**30:.1f} GiB against {MEASURED_H100_GIB} GiB measured "
        "(torch.cuda.max_memory_allocated)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verify", action="store_true", help="compare with fitted models")
    parser.add_argument("--measure", action="store_true", help="measure per-batch memory")
    parser.add_argument("--plan", action="store_true", help="print the AmazonTitles-3M plan")
    parser.add_argument("--n-texts", type=int, default=3000, help="debian-tags texts to fit")
    args = parser.parse_args(argv)
    ok = True
    if args.verify:
        ok = check_code_rules()
        ok &= _print_verification(verify(args.n_texts))
        check_recorded_sizes()
    if args.measure:
        ok &= measure()
    if args.plan:
        print_plan()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

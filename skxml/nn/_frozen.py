"""Frozen inference copies of the InceptionXML networks: the same function, less overhead.

At batch size 1 a query costs well under a millisecond of arithmetic, but calling the
modules adds more than that: ~40 ``nn.Module`` calls, spectral-norm parametrizations
recomputed on every call, input checks, batch-norm dispatch, and the sparse linear map's
dozen small torch ops. A frozen network evaluates the eval-mode function once more from
plain tensors: parametrized weights computed once, batch norms reduced to one fused
multiply-add, dropout gone, and the sparse linear map summed with NumPy (``np.bincount``),
which is several times cheaper than torch for a handful of n-grams. For a few texts the
encoder's parallel convolutions run as one product, a large output matrix is read in the
order that streams it once, and InceptionXML+ scores one text's shortlist slot by slot in
its cluster table's order. Outputs equal the modules' up to float rounding (tested).

On a GPU the same copy holds the label-scoring matrices (the dense heads' output layers and
InceptionXML+'s label table) in ``classifier_dtype`` (bfloat16 there): under autocast the
modules cast these float32 weights to bf16 on every call, which at 670K labels moves ~2 GB
per query, far more than the product itself reads. The sparse linear map stays in torch ops
on the GPU.

A frozen network shares the module's weight tensors (no copy: the embedding and label
tables can be large), but what it derives from them — spectral-normalised weights, batch-norm
scales — is computed once, so it must be rebuilt after the module changes. The estimators
build one on the first CPU prediction after ``fit`` and drop it when they fit again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from skxml.nn._attention import SimpleSelfAttention, attention_product
from skxml.nn._bag_of_words import bag_weights_as
from skxml.nn._encoder import InceptionXMLEncoder
from skxml.nn._heads import PADDING_LOGIT, ExtremeClassifierHead, ResidualHead
from skxml.nn._network import (
    BagOfWordsBatch,
    InceptionXMLNetwork,
    check_bag_rows,
    require_bag,
)
from skxml.nn._plus_network import (
    InceptionXMLPlusNetwork,
    distinct_labels,
    presence_if_most_covered,
    shortlisted_clusters,
    shortlisted_labels,
)
from skxml.nn._sparse_linear import SparseLinearHead

# Above this many (row, label) sums, the shortlist's sparse-linear terms are matched to the
# scored labels by binary search instead of being summed for every label.
_DENSE_SCRATCH_SIZE = 1 << 16

# Batches up to this size take the small-batch paths: strided convolutions as one matrix
# product over unfolded windows (~2-3x faster than conv1d's kernel for one short text,
# measured on a 2-core CPU), the encoder's branches fused, and large output matrices
# streamed (``_linear``).
_SMALL_BATCH = 4

# Up to this size (bytes) a frozen InceptionXML+ network keeps a copy of its label vectors
# laid out cluster by cluster (``_cluster_ordered_table``), so that one text's shortlist is
# read as whole clusters (contiguous blocks) rather than gathered label by label.
# debian-deps: 2,048 clusters × 22 slots × 160 float32 = 29 MB.
_CLUSTER_TABLE_MAX_BYTES = 1 << 28

# A batch (on a CPU) whose shortlists cover at least this share of the labels is scored
# against every label, one product with the whole table, instead of against the union of
# its shortlists (no gathered copy of the table's rows).
_EVERY_LABEL = 0.6


def _conv1d(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int
) -> torch.Tensor:
    """``F.conv1d(x, weight, bias, stride=stride)`` (no padding)."""
    n_out, n_in, width = weight.shape
    if x.shape[0] > _SMALL_BATCH or width == 1:
        return F.conv1d(x, weight, bias, stride=stride)
    windows = x.unfold(2, width, stride)  # (batch, n_in, length, width)
    batch, _, length, _ = windows.shape
    flat = windows.permute(0, 2, 1, 3).reshape(batch * length, n_in * width)
    out = torch.addmm(bias, flat, weight.reshape(n_out, n_in * width).t())
    return out.view(batch, length, n_out).transpose(1, 2)


# From this many float32 weights (256 KB) on, a few rows times a row-major (n_out, n_in)
# matrix are computed in the order that streams the matrix once. Taken from memory, as a
# query finds it after other work, torch's CPU product is 1.1-3x slower than that at every
# height from 1,024 × 160 up; from the cache it is within 0.01 ms for one row and faster
# below ~30,000 × 160 for two, by at most 0.15 ms (one thread, `benchmarks/small_batch_product.py`,
# results/small_batch_product.md). On a fitted model with 18,933 labels this took batch-1
# queries from 1.6-1.8 to 1.0-1.1 ms, and batches of 3 from 3.5 to 1.9 ms.
_LARGE_MATRIX = 1 << 16


def _matrix_vector(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` on one thread (NumPy's BLAS would use every core, and on a busy
    machine wait for them: 12 ms instead of 0.04 ms for 4,096 × 160, measured)."""
    vecdot = getattr(np, "vecdot", None)  # NumPy >= 2.0
    if vecdot is not None:
        return cast(np.ndarray, vecdot(matrix, vector))
    return np.einsum("ij,j->i", matrix, vector)


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``F.linear(x, weight, bias)``, for a few rows and a large float32 matrix on the CPU
    computed in the order that streams the matrix once (see ``_LARGE_MATRIX``)."""
    if (
        x.device.type != "cpu"
        or weight.numel() < _LARGE_MATRIX
        or x.shape[0] > _SMALL_BATCH
        or not x.dtype == weight.dtype == bias.dtype == torch.float32
    ):
        return F.linear(x, weight, bias)
    if x.shape[0] == 1:
        product = _matrix_vector(weight.numpy(), x[0].numpy())
        product += bias.numpy()
        return torch.from_numpy(product).unsqueeze(0)
    return torch.addmm(bias.unsqueeze(1), weight, x.t()).t().contiguous()


def _batch_norm_affine(module: nn.Module) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(scale, shift)`` with ``module(x) == x * scale + shift`` in eval mode (None: identity)."""
    if isinstance(module, nn.Identity):
        return None
    if not isinstance(module, nn.BatchNorm1d) or module.running_var is None:
        raise TypeError(f"Cannot freeze {type(module).__name__} as an eval-mode batch norm.")
    scale = torch.rsqrt(module.running_var + module.eps)
    if module.weight is not None:
        scale = scale * module.weight
    mean = cast(torch.Tensor, module.running_mean)
    shift = -mean * scale
    if module.bias is not None:
        shift = shift + module.bias
    return scale.detach().clone(), shift.detach().clone()


def _apply_affine(
    x: torch.Tensor, affine: tuple[torch.Tensor, torch.Tensor] | None, channel_dim: int
) -> torch.Tensor:
    if affine is None:
        return x
    scale, shift = affine
    if channel_dim == 1 and x.dim() == 3:
        return torch.addcmul(shift[:, None], x, scale[:, None])
    return torch.addcmul(shift, x, scale)


class _FrozenAttention:
    def __init__(self, attention: SimpleSelfAttention) -> None:
        # In eval mode the spectral-norm parametrization returns W / σ without a power step.
        value_conv: Any = attention.value_conv
        self.weight = value_conv.weight.detach()
        self.gamma = float(attention.gamma)
        self.resolve_product_order = attention.resolve_product_order

    def __call__(self, x: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        value = F.conv1d(x, self.weight)
        order = self.resolve_product_order(x.shape[2])
        return torch.add(x, attention_product(x, key, value, order), alpha=self.gamma)


def _circular_pad(x: torch.Tensor, padding: int) -> torch.Tensor:
    return F.pad(x, (padding, padding), mode="circular") if padding else x


_Convolution = tuple[torch.Tensor, torch.Tensor, int, int]  # weight, bias, padding, stride


def _branch_convolutions(encoder: InceptionXMLEncoder) -> list[_Convolution]:
    """The encoder's parallel circular convolutions as (weight, bias, padding, stride)."""
    return [
        (branch.weight.detach(), branch.bias.detach(), branch.padding[0], branch.stride[0])
        for branch in list[Any](encoder.branches)
    ]


def _fuse_branches(branches: list[_Convolution], length: int) -> _Convolution | None:
    """The parallel circular convolutions as one: each kernel placed in a window of the
    widest span, zeros elsewhere, and the widest padding. Concatenated outputs are equal.

    Branch ``i`` (width ``wᵢ``, padding ``pᵢ``) reads positions ``s·j − pᵢ … s·j − pᵢ + wᵢ``
    of the circular input; the fused window starts at ``s·j − P`` (``P`` = the widest
    padding), so branch ``i``'s kernel sits at offset ``P − pᵢ`` in it. None when the
    branches' strides or output lengths (for inputs of ``length``) differ.
    """
    strides = {stride for *_, stride in branches}
    if len(strides) != 1:
        return None
    stride = strides.pop()
    padding = max(branch_padding for _, _, branch_padding, _ in branches)
    offsets = [padding - branch_padding for _, _, branch_padding, _ in branches]
    span = max(
        offset + weight.shape[2] for offset, (weight, *_) in zip(offsets, branches, strict=True)
    )
    fused_length = (length + 2 * padding - span) // stride + 1
    lengths = {(length + 2 * p - weight.shape[2]) // stride + 1 for weight, _, p, _ in branches}
    if lengths != {fused_length}:
        return None
    first = branches[0][0]
    n_out = sum(weight.shape[0] for weight, *_ in branches)
    fused = first.new_zeros(n_out, first.shape[1], span)
    row = 0
    for offset, (weight, _, _, _) in zip(offsets, branches, strict=True):
        fused[row : row + weight.shape[0], :, offset : offset + weight.shape[2]] = weight
        row += weight.shape[0]
    bias = torch.cat([bias for _, bias, _, _ in branches])
    return fused, bias, padding, stride


class _FrozenEncoder:
    def __init__(self, encoder: InceptionXMLEncoder) -> None:
        self.max_seq_len = encoder.max_seq_len
        self.embedding = encoder.embedding.weight.detach()
        projection = encoder.embedding_projection
        self.embedding_projection = None if projection is None else projection.weight.detach()
        self.word_attention = (
            None if encoder.word_attention is None else _FrozenAttention(encoder.word_attention)
        )
        self.embedding_attention = (
            None
            if encoder.embedding_attention is None
            else _FrozenAttention(encoder.embedding_attention)
        )
        conv: Any = encoder.projection[0]
        self.projection = (conv.weight.detach(), conv.bias.detach())
        self.projection_norm = _batch_norm_affine(encoder.projection[2])
        self.branches = _branch_convolutions(encoder)
        # For a few texts, one product over unfolded windows instead of one per branch
        # (~2x faster at batch size 1); more arithmetic, so larger batches keep the branches.
        self.fused_branches = _fuse_branches(self.branches, encoder.model_dim)
        self.branch_norm = _batch_norm_affine(encoder.post_branches[1])
        final: Any = encoder.final_convolution[0]
        self.final = (final.weight.detach(), final.bias.detach(), final.stride[0])
        self.final_norm = _batch_norm_affine(encoder.final_convolution[2])

    def __call__(self, token_ids: torch.Tensor) -> torch.Tensor:
        embeddings = F.embedding(token_ids, self.embedding)
        if self.embedding_projection is not None:
            embeddings = F.linear(embeddings, self.embedding_projection)
        enhanced = embeddings
        if self.word_attention is not None:
            enhanced = self.word_attention(enhanced, enhanced)
        if self.embedding_attention is not None:
            enhanced = self.embedding_attention(
                enhanced.transpose(1, 2), embeddings.transpose(1, 2)
            ).transpose(1, 2)
        projected = F.gelu(F.conv1d(enhanced, *self.projection))
        projected = _apply_affine(projected, self.projection_norm, 1)
        if self.fused_branches is not None and projected.shape[0] <= _SMALL_BATCH:
            weight, bias, padding, stride = self.fused_branches
            branches = _conv1d(_circular_pad(projected, padding), weight, bias, stride)
        else:
            branches = torch.cat(
                [
                    _conv1d(_circular_pad(projected, padding), weight, bias, stride)
                    for weight, bias, padding, stride in self.branches
                ],
                dim=1,
            )
        branches = _apply_affine(F.gelu(branches), self.branch_norm, 1)
        weight, bias, stride = self.final
        features = _apply_affine(
            F.gelu(_conv1d(branches, weight, bias, stride)), self.final_norm, 1
        )
        return features.flatten(1)


class _FrozenResidual:
    """``R(h) + h`` of a :class:`~skxml.nn.ResidualHead` (spectral norm evaluated once)."""

    def __init__(self, head: ResidualHead) -> None:
        linear: Any = head.residual[1]
        self.weight, self.bias = linear.weight.detach(), linear.bias.detach()
        self.norm = _batch_norm_affine(head.residual[3])

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        return _apply_affine(F.gelu(F.linear(h, self.weight, self.bias)), self.norm, 1) + h


class _FrozenDenseHead:
    def __init__(self, head: ExtremeClassifierHead, dtype: torch.dtype | None = None) -> None:
        self.hidden = _FrozenResidual(head.hidden)
        self.weight = head.classifier.weight.detach().to(dtype)
        self.bias = head.classifier.bias.detach().to(dtype)

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        return _linear(self.hidden(h), self.weight, self.bias)


class _FrozenSparseLinear:
    """The sparse linear map's products with NumPy: one ``bincount`` instead of ~12 torch ops."""

    def __init__(self, head: SparseLinearHead) -> None:
        self.n_labels = head.n_labels
        self.indptr = head.indptr.numpy()
        self.label_ids = head.label_ids.numpy()
        self.weight = head.weight.detach().numpy()

    def _bag_arrays(self, bag: BagOfWordsBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bag's n-gram ids, offsets and weights as NumPy arrays, the weights in the
        map's dtype (e.g. from scikit-learn's float64 TF-IDF)."""
        ngram_ids, offsets, values = (part.numpy() for part in bag)
        return ngram_ids, offsets, values.astype(self.weight.dtype, copy=False)

    def _support_positions(self, ngram_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the bag entries' (n-gram, label) weights lie in the flat support arrays,
        in entry order, and how many each entry has."""
        starts = self.indptr[ngram_ids]
        lengths = self.indptr[ngram_ids + 1] - starts
        first_pair = np.cumsum(lengths) - lengths
        return np.repeat(starts - first_pair, lengths) + np.arange(lengths.sum()), lengths

    def _pairs(self, bag: BagOfWordsBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ngram_ids, offsets, values = self._bag_arrays(bag)
        positions, lengths = self._support_positions(ngram_ids)
        entry_counts = np.diff(offsets, append=len(ngram_ids))
        entry_rows = np.repeat(np.arange(len(offsets)), entry_counts)
        return (
            np.repeat(entry_rows, lengths),
            self.label_ids[positions],
            self.weight[positions] * np.repeat(values, lengths),
        )

    def add_to(self, logits: torch.Tensor, bag: BagOfWordsBatch) -> torch.Tensor:
        """``logits + bag · W`` for dense (batch, n_labels) ``logits``, added in place."""
        rows, labels, contributions = self._pairs(bag)
        flat_index = torch.from_numpy(rows * self.n_labels + labels)
        return (
            logits.view(-1)
            .index_add_(0, flat_index, torch.from_numpy(contributions))
            .view(logits.shape)
        )

    def add_labels_to(
        self, logits: torch.Tensor, bag: BagOfWordsBatch, label_ids: torch.Tensor
    ) -> torch.Tensor:
        """``logits + (bag · W)[:, label_ids]`` for (batch, len(label_ids)) ``logits``, in place.

        ``label_ids`` must be distinct; they need not be sorted.
        """
        scored = label_ids.numpy()
        rows, labels, contributions = self._pairs(bag)
        if len(scored) == 0:
            return logits
        n_rows = len(bag[1])
        if n_rows * self.n_labels <= _DENSE_SCRATCH_SIZE:
            # Few rows and labels (e.g. one query): all labels' sums, then the scored ones.
            dense = np.bincount(
                rows * self.n_labels + labels,
                weights=contributions,
                minlength=n_rows * self.n_labels,
            ).reshape(n_rows, self.n_labels)
            return logits.add_(torch.from_numpy(dense[:, scored].astype(np.float32)))
        # Binary search instead of an n_labels-long lookup table: thread-safe and O(pairs).
        # A stable sort is linear on torch.unique's already sorted output.
        order = np.argsort(scored, kind="stable")
        in_order = scored[order]
        positions = np.minimum(np.searchsorted(in_order, labels), len(scored) - 1)
        kept = in_order[positions] == labels
        columns = order[positions]
        flat_index = torch.from_numpy(rows[kept] * len(scored) + columns[kept])
        return (
            logits.view(-1)
            .index_add_(0, flat_index, torch.from_numpy(contributions[kept]))
            .view(logits.shape)
        )

    def add_shortlist_to(
        self,
        logits: torch.Tensor,
        bag: BagOfWordsBatch,
        clusters: np.ndarray,
        label_cells: np.ndarray,
        table_shape: tuple[int, int],
    ) -> torch.Tensor:
        """``logits + bag · W`` at one text's shortlist, in place.

        ``logits`` is (1, len(clusters) · cluster_size): column ``r·cluster_size + slot``
        holds the label in ``slot`` of cluster ``clusters[r]`` in the (n_clusters,
        cluster_size) cluster table; ``label_cells[label]`` is that label's flat position
        ``cluster·cluster_size + slot`` in the table.
        """
        n_clusters, cluster_size = table_shape
        ngram_ids, _, values = self._bag_arrays(bag)
        # The (n-gram, label) pairs of the text's n-grams (one row: no row numbers), then
        # only the terms of shortlisted labels multiplied out.
        positions, lengths = self._support_positions(ngram_ids)
        if len(positions) == 0:
            return logits
        rank = np.full(n_clusters, -1, dtype=np.int64)
        rank[clusters] = np.arange(len(clusters))
        cluster, slot = np.divmod(label_cells[self.label_ids[positions]], cluster_size)
        cluster_rank = rank[cluster]
        kept = np.flatnonzero(cluster_rank >= 0)
        columns = cluster_rank[kept] * cluster_size + slot[kept]
        contributions = self.weight[positions[kept]] * np.repeat(values, lengths)[kept]
        return (
            logits.view(-1)
            .index_add_(0, torch.from_numpy(columns), torch.from_numpy(contributions))
            .view(logits.shape)
        )


class _TorchSparseLinear:
    """The sparse linear map through its module's torch ops (on a GPU: NumPy cannot reach it)."""

    def __init__(self, head: SparseLinearHead) -> None:
        self.head = head

    def add_to(self, logits: torch.Tensor, bag: BagOfWordsBatch) -> torch.Tensor:
        return logits + self.head(*bag).to(logits.dtype)

    def add_labels_to(
        self, logits: torch.Tensor, bag: BagOfWordsBatch, label_ids: torch.Tensor
    ) -> torch.Tensor:
        return logits + self.head.score_labels(*bag, label_ids).to(logits.dtype)


def _label_cells(cluster_labels: torch.Tensor, n_labels: int) -> torch.Tensor:
    """Each label's flat position ``cluster·cluster_size + slot`` in the cluster table (which
    holds every label once: checked by :class:`~skxml.nn.InceptionXMLPlusNetwork`)."""
    flat = cluster_labels.reshape(-1)
    present = flat >= 0
    cells = torch.empty(n_labels, dtype=torch.int64, device=flat.device)
    cells[flat[present]] = torch.nonzero(present).view(-1)
    return cells


def _cluster_ordered_table(
    cluster_labels: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The label vectors and biases laid out cluster by cluster, or None if too large.

    Returns the (n_clusters · n_features, cluster_size) table whose row
    ``c·n_features + j`` holds feature ``j`` of the vectors of cluster ``c``'s labels, slot
    by slot (zeros in padding slots), and the (n_clusters, cluster_size) bias table. A
    text's scores for cluster ``c`` are then the sum of rows ``c·n_features + j`` weighted
    by its features ``h[j]``: one :func:`torch.nn.functional.embedding_bag` reads the
    shortlist's blocks where they lie, with no gathered copy of its label vectors. With a
    cache flushed between queries, scoring 182 of 2,048 clusters × 22 slots × 160 features
    (debian-deps) took 0.27 ms this way against 0.34 ms gathering the clusters' vectors
    and multiplying (one thread, 2-core Intel Xeon, 2026-12-05); gathering whole clusters
    was itself faster than gathering label by label.
    """
    n_clusters, cluster_size = cluster_labels.shape
    n_features = weight.shape[1]
    n_bytes = n_clusters * cluster_size * n_features * weight.element_size()
    if n_bytes > _CLUSTER_TABLE_MAX_BYTES:
        return None
    flat = cluster_labels.reshape(-1)
    padding = flat < 0
    safe = flat.clamp(min=0)
    table = weight.index_select(0, safe).masked_fill_(padding.unsqueeze(1), 0)
    biases = bias.index_select(0, safe).masked_fill_(padding, 0)
    by_feature = table.view(n_clusters, cluster_size, n_features).transpose(1, 2)
    return (
        by_feature.contiguous().view(n_clusters * n_features, cluster_size),
        biases.view(n_clusters, cluster_size),
    )


def _score_clusters(
    table: torch.Tensor, biases: torch.Tensor, clusters: torch.Tensor, hidden: torch.Tensor
) -> torch.Tensor:
    """One text's logits for every slot of ``clusters`` from the :func:`_cluster_ordered_table`
    layout: ``(len(clusters) · cluster_size,)``, cluster by cluster."""
    n_features = hidden.shape[-1]
    n_clusters = len(clusters)
    device = clusters.device
    rows = clusters.view(-1, 1) * n_features + torch.arange(n_features, device=device)
    logits = F.embedding_bag(
        rows.view(-1),
        table,
        torch.arange(0, n_clusters * n_features, n_features, device=device),
        mode="sum",
        # embedding_bag is on no autocast list: its weights must match the table's dtype.
        per_sample_weights=hidden.reshape(-1).to(table.dtype).repeat(n_clusters),
    )
    return logits.add_(biases.index_select(0, clusters)).view(-1)


def _frozen_sparse_linear(head: SparseLinearHead) -> _FrozenSparseLinear | _TorchSparseLinear:
    """NumPy sums on the CPU, the module's torch ops elsewhere."""
    on_cpu = head.weight.device.type == "cpu"
    return (_FrozenSparseLinear if on_cpu else _TorchSparseLinear)(head)


class _FrozenFeatures:
    """Encoder features plus, when the network has it, the TF-IDF bag's embedding."""

    def __init__(self, network: InceptionXMLNetwork | InceptionXMLPlusNetwork) -> None:
        self.encoder = _FrozenEncoder(network.encoder)
        bag_of_words = network.bag_of_words
        self.bag_weight = None if bag_of_words is None else bag_of_words.bag.weight.detach()
        self.sparse_linear: _FrozenSparseLinear | _TorchSparseLinear | None = None
        if network.sparse_linear is not None:
            self.sparse_linear = _frozen_sparse_linear(network.sparse_linear)

    def __call__(self, token_ids: torch.Tensor, bag: BagOfWordsBatch | None) -> torch.Tensor:
        check_bag_rows(bag, token_ids.shape[0])
        features = self.encoder(token_ids)
        if self.bag_weight is not None:
            ngram_ids, offsets, weights = require_bag(bag, "a bag-of-n-grams input")
            features = features + F.embedding_bag(
                ngram_ids,
                self.bag_weight,
                offsets,
                mode="sum",
                per_sample_weights=bag_weights_as(weights, self.bag_weight.dtype),
            )
        return features


@contextlib.contextmanager
def _in_eval_mode(network: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd while freezing; the module's own mode is put back."""
    was_training = network.training
    network.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        network.train(was_training)


class FrozenInceptionXMLNetwork:
    """An eval-mode :class:`~skxml.nn.InceptionXMLNetwork` as plain tensor code.

    Parameters
    ----------
    network : InceptionXMLNetwork
        The network, on the CPU or a GPU. Its weight tensors are shared; rebuild after
        changing them.
    classifier_dtype : torch.dtype or None, default=None
        Keep a copy of the output layer in this dtype (``torch.bfloat16`` for a GPU under
        autocast); ``None`` shares the module's weights.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import ExtremeClassifierHead, InceptionXMLEncoder, InceptionXMLNetwork
    >>> from skxml.nn import FrozenInceptionXMLNetwork
    >>> encoder = InceptionXMLEncoder(50, 64, max_seq_len=8)
    >>> network = InceptionXMLNetwork(encoder, ExtremeClassifierHead(encoder.n_features_out, 7))
    >>> tokens = torch.randint(0, 50, (3, 8))
    >>> frozen = FrozenInceptionXMLNetwork(network.eval())
    >>> bool(torch.allclose(frozen(tokens), network(tokens), atol=1e-5))
    True
    """

    def __init__(
        self, network: InceptionXMLNetwork, classifier_dtype: torch.dtype | None = None
    ) -> None:
        if not isinstance(network.head, ExtremeClassifierHead):
            raise TypeError(
                "FrozenInceptionXMLNetwork freezes networks whose head is an "
                f"ExtremeClassifierHead, got {type(network.head).__name__}; call the network "
                "itself in eval mode instead."
            )
        with _in_eval_mode(network):
            self.features = _FrozenFeatures(network)
            self.head = _FrozenDenseHead(network.head, classifier_dtype)

    def __call__(
        self, token_ids: torch.Tensor, bag: BagOfWordsBatch | None = None
    ) -> torch.Tensor:
        """Logits, shape (batch, n_labels), as ``network(token_ids, bag)`` in eval mode."""
        with torch.inference_mode():
            logits = self.head(self.features(token_ids, bag))
            sparse_linear = self.features.sparse_linear
            if sparse_linear is not None:
                logits = sparse_linear.add_to(logits, require_bag(bag, "a sparse linear map"))
            return logits


class FrozenInceptionXMLPlusNetwork:
    """An eval-mode :class:`~skxml.nn.InceptionXMLPlusNetwork` as plain tensor code.

    One text's shortlist is scored from a copy of the label table laid out cluster by
    cluster (``cluster_table``; made when it takes at most 256 MiB, e.g. 29 MB for
    debian-deps' 43,614 labels of 160 features, and not when the sparse linear map runs in
    torch ops, as on a GPU, where one text takes the batch path), so its labels are read
    as whole clusters by one embedding bag; otherwise they are gathered label by label
    from the shared table.

    Parameters
    ----------
    network : InceptionXMLPlusNetwork
        The network, on the CPU or a GPU. Its weight tensors are shared (but for the
        cluster-ordered copy); rebuild after changing them.
    classifier_dtype : torch.dtype or None, default=None
        Keep copies of the meta head's output layer and of the label table in this dtype
        (``torch.bfloat16`` for a GPU under autocast); ``None`` shares the module's weights.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import (ExtremeClassifierHead, InceptionXMLEncoder,
    ...     InceptionXMLPlusNetwork, ShortlistClassifierHead, FrozenInceptionXMLPlusNetwork)
    >>> encoder = InceptionXMLEncoder(50, 64, max_seq_len=8)
    >>> network = InceptionXMLPlusNetwork(
    ...     encoder,
    ...     ExtremeClassifierHead(encoder.n_features_out, 2, spectral_norm=True),
    ...     ShortlistClassifierHead(encoder.n_features_out, 4),
    ...     torch.tensor([[0, 1], [2, 3]]),
    ... ).eval()
    >>> tokens = torch.randint(0, 50, (3, 8))
    >>> meta, label_ids, logits = FrozenInceptionXMLPlusNetwork(network)(tokens, n_shortlist=1)
    >>> expected = network(tokens, n_shortlist=1)
    >>> bool(torch.equal(label_ids, expected[1]))
    True
    >>> bool(torch.allclose(logits, expected[2], atol=1e-5))
    True
    """

    def __init__(
        self, network: InceptionXMLPlusNetwork, classifier_dtype: torch.dtype | None = None
    ) -> None:
        with _in_eval_mode(network):
            self.features = _FrozenFeatures(network)
            self.meta_head = _FrozenDenseHead(network.meta_head, classifier_dtype)
            meta_linear = getattr(network, "meta_sparse_linear", None)
            self.meta_sparse_linear = (
                None if meta_linear is None else _frozen_sparse_linear(meta_linear)
            )
            extreme = network.extreme_head
            self.extreme_hidden = _FrozenResidual(extreme.hidden)
            self.label_weight = extreme.weight.detach().to(classifier_dtype)
            self.label_bias = extreme.bias.detach().to(classifier_dtype)
            self.cluster_labels = network.cluster_labels
            self.n_labels = network.n_labels
            # One text's shortlist is scored slot by slot: padding slots through label 0,
            # masked afterwards (no boolean indexing, which would count the real labels).
            self.safe_cluster_labels = self.cluster_labels.clamp(min=0)
            self.label_cells = (
                _label_cells(self.cluster_labels, network.n_labels).numpy()
                if isinstance(self.features.sparse_linear, _FrozenSparseLinear)
                else None
            )
            # One text takes its own path on the CPU, where the sparse linear map, if any,
            # sums in NumPy; only that path reads the cluster-ordered copy. On a GPU one
            # text goes through the batch path, like any other batch.
            self.one_text_path = self.cluster_labels.device.type == "cpu" and not isinstance(
                self.features.sparse_linear, _TorchSparseLinear
            )
            self.cluster_table = (
                _cluster_ordered_table(self.cluster_labels, self.label_weight, self.label_bias)
                if self.one_text_path
                else None
            )

    def __call__(
        self, token_ids: torch.Tensor, bag: BagOfWordsBatch | None = None, *, n_shortlist: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Meta logits, shortlisted label ids (-1 padded) and their logits, as the network's
        ``forward`` in eval mode."""
        with torch.inference_mode():
            h = self.features(token_ids, bag)
            meta_logits = self.meta_head(h)
            if self.meta_sparse_linear is not None:
                meta_logits = self.meta_sparse_linear.add_to(
                    meta_logits, require_bag(bag, "a sparse linear map")
                )
            if len(token_ids) == 1 and self.one_text_path:
                return meta_logits, *self._score_one_shortlist(h, bag, meta_logits, n_shortlist)
            sparse_linear = self.features.sparse_linear
            label_ids = shortlisted_labels(self.cluster_labels, meta_logits, n_shortlist)
            mask = label_ids >= 0
            safe_ids = label_ids.masked_fill(~mask, 0)
            every_label, present = False, None
            if safe_ids.device.type == "cpu":
                every_label, present = presence_if_most_covered(
                    safe_ids, self.n_labels, _EVERY_LABEL
                )
            if every_label:
                every_logit = _linear(self.extreme_hidden(h), self.label_weight, self.label_bias)
                if sparse_linear is not None:
                    every_logit = sparse_linear.add_to(
                        every_logit, require_bag(bag, "a sparse linear map")
                    )
                logits = torch.gather(every_logit, 1, safe_ids)
                return meta_logits, label_ids, logits.masked_fill(~mask, PADDING_LOGIT)
            scored, position = distinct_labels(safe_ids, self.n_labels, present)
            # index_select, not weight[scored]: several times faster for a large table.
            scored_logits = _linear(
                self.extreme_hidden(h),
                self.label_weight.index_select(0, scored),
                self.label_bias.index_select(0, scored),
            )
            if sparse_linear is not None:
                scored_logits = sparse_linear.add_labels_to(
                    scored_logits, require_bag(bag, "a sparse linear map"), scored
                )
            logits = torch.gather(scored_logits, 1, position.view(label_ids.shape))
            return meta_logits, label_ids, logits.masked_fill(~mask, PADDING_LOGIT)

    def _score_one_shortlist(
        self,
        h: torch.Tensor,
        bag: BagOfWordsBatch | None,
        meta_logits: torch.Tensor,
        n_shortlist: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One text's shortlisted label ids and logits, without torch.unique (its clusters
        are disjoint, so its labels are already distinct) nor a mask-sized copy."""
        clusters = shortlisted_clusters(meta_logits, n_shortlist).view(-1)
        label_ids = self.cluster_labels.index_select(0, clusters).view(1, -1)
        hidden = self.extreme_hidden(h)
        if self.cluster_table is not None:
            logits = _score_clusters(*self.cluster_table, clusters, hidden).view(1, -1)
        else:
            safe_ids = self.safe_cluster_labels.index_select(0, clusters).view(-1)
            # index_select, not weight[ids]: several times faster for a large table.
            weight = self.label_weight.index_select(0, safe_ids)
            bias = self.label_bias.index_select(0, safe_ids)
            logits = _linear(hidden, weight, bias)
        sparse_linear = self.features.sparse_linear
        if sparse_linear is not None:
            assert isinstance(sparse_linear, _FrozenSparseLinear) and self.label_cells is not None
            logits = sparse_linear.add_shortlist_to(
                logits,
                require_bag(bag, "a sparse linear map"),
                clusters.numpy(),
                self.label_cells,
                (self.cluster_labels.shape[0], self.cluster_labels.shape[1]),
            )
        return label_ids, logits.masked_fill_(label_ids < 0, PADDING_LOGIT)

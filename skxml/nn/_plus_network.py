"""The InceptionXML+ network: encoder, meta head over label clusters, shortlist extreme head."""

from __future__ import annotations

import math

import torch
from torch import nn

from skxml.nn._bag_of_words import BagOfWordsEncoder
from skxml.nn._checks import is_int_at_least
from skxml.nn._encoder import InceptionXMLEncoder
from skxml.nn._heads import PADDING_LOGIT, ExtremeClassifierHead, ShortlistClassifierHead
from skxml.nn._network import (
    BagOfWordsBatch,
    check_bag_rows,
    check_same_labels,
    require_bag,
    text_features,
)
from skxml.nn._sparse_linear import SparseLinearHead

# Added to the meta logits of a sample's positive clusters so they enter its training
# shortlist whatever their score.
_FORCE_IN = 1.0e4


def shortlisted_clusters(cluster_scores: torch.Tensor, n_shortlist: int) -> torch.Tensor:
    """Each row's ``n_shortlist`` best-scored clusters (unordered; all when there are fewer),
    shape (batch, min(n_shortlist, n_clusters))."""
    if not is_int_at_least(n_shortlist, 1):
        raise ValueError(f"n_shortlist must be a positive int, got {n_shortlist!r}.")
    n_shortlist = min(int(n_shortlist), cluster_scores.shape[1])
    return torch.topk(cluster_scores, n_shortlist, dim=1, sorted=False).indices


def shortlisted_labels(
    cluster_labels: torch.Tensor, cluster_scores: torch.Tensor, n_shortlist: int
) -> torch.Tensor:
    """The labels of each row's ``n_shortlist`` best-scored clusters (unordered), -1 padded.

    ``cluster_labels`` is the (n_clusters, max_cluster_size) table of cluster members.
    """
    clusters = shortlisted_clusters(cluster_scores, n_shortlist)
    # index_select: several times faster than advanced indexing (cluster_labels[clusters]).
    width = clusters.shape[1] * cluster_labels.shape[1]  # explicit: a batch may be empty
    return cluster_labels.index_select(0, clusters.flatten()).view(len(clusters), width)


# Up to this many labels per id, distinct_labels marks the ids in a label-sized table
# (linear time) instead of sorting them as torch.unique does.
_MARK_TABLE_LABELS_PER_ID = 4


def label_presence(label_ids: torch.Tensor, n_labels: int) -> torch.Tensor:
    """Flags of shape (n_labels,), bool: which labels occur among ``label_ids``.

    ``label_ids`` holds ids in ``[0, n_labels)`` (any shape).

    Examples
    --------
    >>> import torch
    >>> from skxml.nn._plus_network import label_presence
    >>> label_presence(torch.tensor([[3, 0], [3, 1]]), 5)
    tensor([ True,  True, False,  True, False])
    """
    flat = label_ids.reshape(-1)
    if flat.device.type == "cpu":
        # A count per label: 1.1 ms where index_fill_ takes 3.5 ms for 524,160 ids of
        # 43,614 labels on one CPU core (index_fill_ stays on the GPU, where it is cheap).
        return torch.bincount(flat, minlength=n_labels) > 0
    present = torch.zeros(n_labels, dtype=torch.bool, device=flat.device)
    return present.index_fill_(0, flat, True)


def presence_if_most_covered(
    label_ids: torch.Tensor, n_labels: int, share: float
) -> tuple[bool, torch.Tensor | None]:
    """Whether ``label_ids`` cover at least ``share`` of the ``n_labels`` labels, and their
    :func:`label_presence` (``None`` when there are too few ids to cover that share, so
    that it is not computed for nothing)."""
    if label_ids.numel() < share * n_labels:
        return False, None
    present = label_presence(label_ids, n_labels)
    return int(present.sum()) >= share * n_labels, present


def distinct_labels(
    label_ids: torch.Tensor, n_labels: int, present: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch.unique(label_ids, return_inverse=True)`` for ids in ``[0, n_labels)``.

    The ids are marked in a table of ``n_labels`` flags whose running count gives each
    label's position among the distinct ones: no sort, where ``torch.unique`` sorts every
    id (a batch of 128 shortlists of 4,004 labels on debian-deps: ~4 ms instead of ~14 ms
    on a 2-core CPU). Many more labels than ids fall back to ``torch.unique``.

    Parameters
    ----------
    label_ids : torch.Tensor, int64
        Ids in ``[0, n_labels)``.
    n_labels : int
        Number of labels.
    present : torch.Tensor of shape (n_labels,), bool, default=None
        :func:`label_presence` of ``label_ids`` when the caller has it already.

    Returns
    -------
    union : torch.Tensor of shape (n_distinct,), int64
        The distinct labels in ascending order.
    position : torch.Tensor of the shape of ``label_ids``, int64
        Each id's index in ``union``.
    """
    if present is None and (
        label_ids.numel() == 0 or n_labels > _MARK_TABLE_LABELS_PER_ID * label_ids.numel()
    ):
        union, position = torch.unique(label_ids, return_inverse=True)
        return union, position.view(label_ids.shape)
    if present is None:
        present = label_presence(label_ids, n_labels)
    rank = torch.cumsum(present, 0, dtype=torch.int64).sub_(1)
    flat = label_ids.reshape(-1)
    return present.nonzero().view(-1), rank.index_select(0, flat).view(label_ids.shape)


# On a CPU, once the labels of a training batch's shortlists cover this share of all labels,
# scoring every label with one product against the whole table beats scoring their union.
# One forward and backward pass of debian-deps' extreme head (43,614 labels × 160, batch
# 128, bf16, 2 cores): union path 28.7 / 34.0 / 39.9 ms at 64 / 87 / 98 % of the labels,
# every label 26.9 / 25.3 / 27.0 ms; at 28 % the union path won, 20.6 against 30.3 ms.
# The union path's gathered copy of the table's rows and the zero-filled full-size gradient
# it scatters them back into are what the whole-table product saves.
_SCORE_EVERY_LABEL_SHARE = 0.6


class InceptionXMLPlusNetwork(nn.Module):
    """InceptionXML+ (paper §5): a meta head picks clusters, the extreme head scores their labels.

    For a batch of token ids the encoder gives ``h`` (plus a TF-IDF bag term when
    ``bag_of_words`` is set). The meta head scores every label cluster; the ``n_shortlist``
    best clusters (during training, the sample's positive clusters always among them) are
    expanded to their labels with the cluster table, and only those labels are scored by the
    extreme head (a gather of label embeddings; never a batch × n_labels tensor). An optional
    sparse linear map over (n-gram, label) pairs adds its logits to the shortlisted labels.

    Parameters
    ----------
    encoder : InceptionXMLEncoder
        Token ids to features ``h_f``.
    meta_head : ExtremeClassifierHead
        Features to cluster logits, ``n_labels`` = number of clusters.
    extreme_head : ShortlistClassifierHead
        Features to the logits of given labels.
    cluster_labels : torch.Tensor of shape (n_clusters, max_cluster_size), int64
        The labels of every cluster, padded with -1.
    bag_of_words : BagOfWordsEncoder or None, default=None
        Side input added to ``h_f``.
    sparse_linear : SparseLinearHead or None, default=None
        Sparse (n-gram, label) weights added to the shortlisted labels' logits.
    meta_sparse_linear : SparseLinearHead or None, default=None
        Sparse (n-gram, cluster) weights added to the meta head's cluster logits.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import (ExtremeClassifierHead, InceptionXMLEncoder,
    ...                       InceptionXMLPlusNetwork, ShortlistClassifierHead)
    >>> encoder = InceptionXMLEncoder(50, 64, max_seq_len=8)
    >>> clusters = torch.tensor([[0, 1], [2, 3], [4, -1]])  # 5 labels in 3 clusters
    >>> network = InceptionXMLPlusNetwork(
    ...     encoder,
    ...     ExtremeClassifierHead(encoder.n_features_out, 3, spectral_norm=True),
    ...     ShortlistClassifierHead(encoder.n_features_out, 5),
    ...     clusters,
    ... ).eval()
    >>> h = network.features(torch.randint(0, 50, (4, 8)))
    >>> label_ids, mask = network.shortlist(network.meta_logits(h), n_shortlist=2)
    >>> label_ids.shape, network.extreme_logits(h, label_ids, mask).shape
    (torch.Size([4, 4]), torch.Size([4, 4]))
    """

    cluster_labels: torch.Tensor
    label_clusters: torch.Tensor

    def __init__(
        self,
        encoder: InceptionXMLEncoder,
        meta_head: ExtremeClassifierHead,
        extreme_head: ShortlistClassifierHead,
        cluster_labels: torch.Tensor,
        bag_of_words: BagOfWordsEncoder | None = None,
        sparse_linear: SparseLinearHead | None = None,
        meta_sparse_linear: SparseLinearHead | None = None,
    ) -> None:
        super().__init__()
        if cluster_labels.dim() != 2 or cluster_labels.shape[0] != meta_head.n_labels:
            raise ValueError(
                f"cluster_labels must have shape (n_clusters={meta_head.n_labels}, "
                f"max_cluster_size), got {tuple(cluster_labels.shape)}."
            )
        self.encoder = encoder
        self.bag_of_words = bag_of_words
        self.meta_head = meta_head
        self.extreme_head = extreme_head
        if sparse_linear is not None:
            check_same_labels(sparse_linear, extreme_head.n_labels, "extreme_head")
        self.sparse_linear = sparse_linear
        if meta_sparse_linear is not None and meta_sparse_linear.n_labels != meta_head.n_labels:
            raise ValueError(
                f"meta_sparse_linear must map to the {meta_head.n_labels} clusters, "
                f"got {meta_sparse_linear.n_labels}."
            )
        self.meta_sparse_linear = meta_sparse_linear
        self.register_buffer("cluster_labels", cluster_labels.to(torch.int64))
        label_clusters = torch.full((extreme_head.n_labels,), -1, dtype=torch.int64)
        members = cluster_labels >= 0
        cluster_of_member = torch.arange(cluster_labels.shape[0]).unsqueeze(1).expand_as(members)
        in_range = bool(((cluster_labels < extreme_head.n_labels) & (cluster_labels >= -1)).all())
        if in_range:
            label_clusters[cluster_labels[members]] = cluster_of_member[members]
        if (
            not in_range
            or int(members.sum()) != extreme_head.n_labels
            or bool((label_clusters < 0).any())
        ):
            raise ValueError(
                f"cluster_labels must hold every label of the extreme head (0 to "
                f"{extreme_head.n_labels - 1}) exactly once, padded with -1."
            )
        self.register_buffer("label_clusters", label_clusters)

    @property
    def n_clusters(self) -> int:
        """Number of label clusters."""
        return int(self.cluster_labels.shape[0])

    @property
    def n_labels(self) -> int:
        """Number of labels."""
        return int(self.extreme_head.n_labels)

    def features(
        self, token_ids: torch.Tensor, bag: BagOfWordsBatch | None = None
    ) -> torch.Tensor:
        """The features ``h``, shape (batch, n_features_out)."""
        return text_features(self.encoder, self.bag_of_words, token_ids, bag)

    def meta_logits(self, h: torch.Tensor, bag: BagOfWordsBatch | None = None) -> torch.Tensor:
        """The cluster logits, shape (batch, n_clusters): the meta head's, plus the sparse
        (n-gram, cluster) map's when the network has one."""
        check_bag_rows(bag, h.shape[0])
        logits = self.meta_head(h)
        # getattr: networks pickled before the option have no such attribute.
        meta_sparse_linear = getattr(self, "meta_sparse_linear", None)
        if meta_sparse_linear is not None:
            linear = meta_sparse_linear(*require_bag(bag, "a sparse linear map"))
            logits = logits + linear.to(logits.dtype)
        return logits

    def shortlist(
        self,
        meta_logits: torch.Tensor,
        n_shortlist: int,
        positive_clusters: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The labels of each sample's best clusters, padded, and their mask.

        Parameters
        ----------
        meta_logits : torch.Tensor of shape (batch, n_clusters)
        n_shortlist : int
            Clusters kept per sample (at most ``n_clusters``).
        positive_clusters : torch.Tensor of shape (batch, n_clusters), bool, default=None
            Clusters forced into the shortlist (training: those of the sample's labels).

        Returns
        -------
        label_ids : torch.Tensor of shape (batch, n_shortlist · max_cluster_size), int64
            Shortlisted labels, -1 where padded.
        mask : torch.Tensor of the same shape, bool
            ``label_ids >= 0``.
        """
        scores = meta_logits.detach().float()
        if positive_clusters is not None:
            scores = scores + positive_clusters.to(scores.dtype) * _FORCE_IN
        label_ids = shortlisted_labels(self.cluster_labels, scores, n_shortlist)
        return label_ids, label_ids >= 0

    def extreme_logits(
        self,
        h: torch.Tensor,
        label_ids: torch.Tensor,
        mask: torch.Tensor,
        bag: BagOfWordsBatch | None = None,
    ) -> torch.Tensor:
        """Logits of the shortlisted labels, shape (batch, K); padded slots hold PADDING_LOGIT.

        The U distinct labels of the batch's shortlists are scored for every sample as one
        dense ``(batch, F)·(F, U)`` product, from which each sample's shortlist is read:
        memory ``U·F + batch·U`` instead of gathering ``batch·K·F`` label vectors (measured
        on debian-deps, CPU: forward 0.9 s vs 1.5 s, backward 0.25 s vs 1.4 s per batch of
        128), and each label embedding gets one gradient row per step. On a CPU, when that
        union holds ``_SCORE_EVERY_LABEL_SHARE`` (60 %) of the labels or more and the table
        has dense gradients, every label is scored instead, by one product with the whole
        table: the same logits, without the gathered copy of the union's rows nor the
        zero-filled table-sized gradient they are scattered back into.
        """
        safe_ids = label_ids.masked_fill(~mask, 0)
        every_label, present = False, None
        if safe_ids.device.type == "cpu" and not self.extreme_head.sparse_gradients:
            # GPUs keep the union path (the whole-table product was not measured there);
            # sparse gradients are for tables a batch touches a small part of.
            every_label, present = presence_if_most_covered(
                safe_ids, self.n_labels, _SCORE_EVERY_LABEL_SHARE
            )
        if every_label:
            every_logit = self.extreme_head.score_all(h)
            if self.sparse_linear is not None:
                linear = self.sparse_linear(*require_bag(bag, "a sparse linear map"))
                every_logit = every_logit + linear.to(every_logit.dtype)
            logits = torch.gather(every_logit, 1, safe_ids)
            return logits.masked_fill(~mask, PADDING_LOGIT)
        union, position = distinct_labels(safe_ids, self.n_labels, present)
        union_logits = self.extreme_head.score_union(h, union)
        if self.sparse_linear is not None:
            linear = self.sparse_linear.score_labels(
                *require_bag(bag, "a sparse linear map"), union
            )
            union_logits = union_logits + linear.to(union_logits.dtype)
        logits = torch.gather(union_logits, 1, position.view(label_ids.shape))
        return logits.masked_fill(~mask, PADDING_LOGIT)

    def forward(
        self,
        token_ids: torch.Tensor,
        bag: BagOfWordsBatch | None = None,
        *,
        n_shortlist: int,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Meta logits, shortlisted label ids and their logits (prediction path).

        Returns
        -------
        meta_logits : torch.Tensor of shape (batch, n_clusters)
        label_ids : torch.Tensor of shape (batch, K), int64, -1 where padded
        logits : torch.Tensor of shape (batch, K), PADDING_LOGIT where padded
        """
        h = self.features(token_ids, bag)
        meta_logits = self.meta_logits(h, bag)
        label_ids, mask = self.shortlist(meta_logits, n_shortlist)
        return meta_logits, label_ids, self.extreme_logits(h, label_ids, mask, bag)


# Clusters shortlisted per text by default: ⌈_SHORTLIST_PER_ROOT·√L'⌉. 6 rather than the
# earlier 4 lifted P@1 and PSP@5 on debian-tags, debian-deps (two seeds) and npm-keywords
# (docs, Benchmarks, "A wider shortlist").
_SHORTLIST_PER_ROOT = 6


def default_shortlist_size(n_clusters: int) -> int:
    """Clusters shortlisted per text: ``⌈6·√L'⌉``, at most ``L'``.

    Half the clusters for 144 of them, 272 of 2,048, 1,536 of 65,536 (the paper shortlists
    800 of 65,536): a share that shrinks as the clusters grow in number, so that with
    clusters of a given size the labels scored per text grow like the square root of the
    number of labels.

    Examples
    --------
    >>> from skxml.nn import default_shortlist_size
    >>> default_shortlist_size(64), default_shortlist_size(4096), default_shortlist_size(65536)
    (48, 384, 1536)
    """
    if not is_int_at_least(n_clusters, 1):
        raise ValueError(f"n_clusters must be a positive int, got {n_clusters!r}.")
    return int(min(n_clusters, math.ceil(_SHORTLIST_PER_ROOT * math.sqrt(n_clusters))))

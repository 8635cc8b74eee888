"""A linear map from a sparse bag of n-grams to label logits, with a fixed sparse support."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from skxml.nn._sparse_gather import gather


class SparseLinearHead(nn.Module):
    """Label logits ``X·W`` where ``W`` (n_ngrams × n_labels) is learned only on a fixed support.

    A dense ``n_ngrams × n_labels`` weight matrix is out of reach for extreme label counts
    (60K n-grams × 1M labels). skxml keeps only the pairs (n-gram, label) that co-occur in
    the training data — the support of ``Xᵀ·Y``, about (n-grams per text) × (labels per text)
    × n_samples entries — and learns one weight per pair. This is the memorising part of
    the model: it lets a rare label be predicted from the few distinctive words it was
    seen with. Everything else (negative evidence, generalisation to unseen pairs) is left
    to the network it is added to.

    Parameters
    ----------
    support : scipy.sparse matrix of shape (n_ngrams, n_labels)
        Its non-zero pattern is the set of learned weights; the values are ignored.
    sparse_gradients : bool, default=False
        Give ``weight`` sparse gradients (only the entries the batch touches), for an
        optimiser that takes them (the classifiers step the map with plain SGD then).

    Attributes
    ----------
    weight : torch.nn.Parameter of shape (n_weights,)
        One weight per support entry (CSR order), initialised to zero.

    Examples
    --------
    >>> import scipy.sparse as sp, torch
    >>> from skxml.nn import SparseLinearHead
    >>> support = sp.csr_matrix([[1, 0, 1], [0, 1, 0]])  # 2 n-grams, 3 labels
    >>> head = SparseLinearHead(support)
    >>> with torch.no_grad():
    ...     _ = head.weight.copy_(torch.tensor([1.0, 2.0, 3.0]))
    >>> ids, offsets, weights = torch.tensor([0, 1]), torch.tensor([0]), torch.tensor([1.0, 0.5])
    >>> head(ids, offsets, weights).detach()
    tensor([[1.0000, 1.5000, 2.0000]])
    """

    def __init__(self, support: sp.spmatrix, *, sparse_gradients: bool = False) -> None:
        super().__init__()
        self.sparse_gradients = sparse_gradients
        pattern = sp.csr_matrix(support, copy=True)
        pattern.sum_duplicates()
        pattern.sort_indices()
        self.n_ngrams, self.n_labels = pattern.shape
        self.register_buffer("indptr", torch.from_numpy(pattern.indptr.astype(np.int64)))
        self.register_buffer("label_ids", torch.from_numpy(pattern.indices.astype(np.int64)))
        self.weight = nn.Parameter(torch.zeros(pattern.nnz))

    indptr: torch.Tensor
    label_ids: torch.Tensor
    sparse_gradients: bool = False  # class default: modules pickled before the option

    @property
    def n_weights(self) -> int:
        """Number of learned weights (support entries)."""
        return int(self.weight.numel())

    def forward(
        self, ngram_ids: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """Dense logits (batch, n_labels) of a batch of weighted n-gram bags.

        Parameters
        ----------
        ngram_ids, offsets, weights : torch.Tensor
            CSR-style bags as for :class:`~skxml.nn.BagOfWordsEncoder`.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_labels)
        """
        n_rows = offsets.numel()
        logits = torch.zeros(n_rows, self.n_labels, device=weights.device, dtype=self.weight.dtype)
        rows, labels, contributions = self._pairs(ngram_ids, offsets, weights)
        if rows.numel() == 0:
            return logits
        flat_index = rows * self.n_labels + labels
        return logits.view(-1).index_add(0, flat_index, contributions).view(n_rows, self.n_labels)

    def score_labels(
        self,
        ngram_ids: torch.Tensor,
        offsets: torch.Tensor,
        weights: torch.Tensor,
        label_ids: torch.Tensor,
    ) -> torch.Tensor:
        """Logits of some labels only, shape (batch, U): no (batch, n_labels) tensor.

        Parameters
        ----------
        ngram_ids, offsets, weights : torch.Tensor
            CSR-style bags as for :class:`~skxml.nn.BagOfWordsEncoder`.
        label_ids : torch.Tensor of shape (U,), int64
            Distinct labels to score for every row.

        Returns
        -------
        logits : torch.Tensor of shape (batch, U)
            Equal to ``forward(...)[:, label_ids]``.
        """
        n_rows, n_scored = offsets.numel(), label_ids.numel()
        logits = torch.zeros(n_rows, n_scored, device=weights.device, dtype=self.weight.dtype)
        rows, labels, contributions = self._pairs(ngram_ids, offsets, weights)
        if rows.numel() == 0:
            return logits
        column_of_label = torch.full((self.n_labels,), -1, device=label_ids.device)
        column_of_label[label_ids] = torch.arange(n_scored, device=label_ids.device)
        columns = column_of_label[labels]
        kept = columns >= 0
        flat_index = rows[kept] * n_scored + columns[kept]
        return logits.view(-1).index_add(0, flat_index, contributions[kept]).view(n_rows, -1)

    def _pairs(
        self, ngram_ids: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every (row, label, weight·value) term of the product, one per support pair hit."""
        n_rows = offsets.numel()
        entry_counts = torch.diff(offsets, append=offsets.new_tensor([ngram_ids.numel()]))
        # output_size: without it repeat_interleave reads the total back from a GPU.
        entry_rows = torch.repeat_interleave(
            torch.arange(n_rows, device=offsets.device),
            entry_counts,
            output_size=ngram_ids.numel(),
        )
        starts = self.indptr[ngram_ids]
        lengths = self.indptr[ngram_ids + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            empty = ngram_ids.new_zeros(0)
            return empty, empty, weights.new_zeros(0, dtype=self.weight.dtype)
        # Position of every (entry, support weight) pair in the flat CSR arrays.
        first_pair = torch.cumsum(lengths, 0) - lengths
        pair_entry = torch.repeat_interleave(
            torch.arange(lengths.numel(), device=lengths.device), lengths, output_size=total
        )
        positions = (
            starts[pair_entry]
            + torch.arange(total, device=lengths.device)
            - first_pair[pair_entry]
        )
        gathered = gather(self.weight, positions, sparse_gradient=self.sparse_gradients)
        contributions = weights[pair_entry].to(self.weight.dtype) * gathered
        return entry_rows[pair_entry], self.label_ids[positions], contributions

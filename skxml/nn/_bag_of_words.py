"""A bag-of-n-grams side input: a weighted sum of learned n-gram vectors (an EmbeddingBag)."""

from __future__ import annotations

import torch
from torch import nn

from skxml.nn._checks import check_positive_int


class BagOfWordsEncoder(nn.Module):
    """Map a sparse weighted bag of n-grams (e.g. a TF-IDF row) to a dense feature vector.

    ``features = Σ_j w_j · V[t_j]`` over the n-grams ``t_j`` of a text with weights ``w_j``,
    computed by :class:`torch.nn.EmbeddingBag` from CSR-style inputs (flat n-gram ids, one
    offset per text, per-n-gram weights): no dense ``(batch, n_ngrams)`` tensor is built.

    skxml adds these features to the InceptionXML encoder's ``h_f``: the convolutional
    encoder sees word vectors, this side input sees exact words and word pairs, which helps
    on short texts full of rare names (package names, product codes).

    Parameters
    ----------
    n_ngrams : int
        Size of the n-gram vocabulary (columns of the TF-IDF matrix).
    n_features : int
        Width of the output, equal to the encoder's ``n_features_out``.
    init_std : float, default=0.01
        Standard deviation of the normal initialisation of the n-gram vectors.
    sparse_gradients : bool, default=False
        Give the n-gram table sparse gradients (only the rows of the batch's n-grams), to be
        stepped by :class:`torch.optim.SparseAdam`: a step then costs what the batch touches,
        not the whole table.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import BagOfWordsEncoder
    >>> bag = BagOfWordsEncoder(10, 4)
    >>> ids = torch.tensor([1, 3, 3])          # text 0: n-grams 1 and 3; text 1: n-gram 3
    >>> offsets = torch.tensor([0, 2])
    >>> weights = torch.tensor([0.6, 0.8, 1.0])
    >>> bag(ids, offsets, weights).shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        n_ngrams: int,
        n_features: int,
        *,
        init_std: float = 0.01,
        sparse_gradients: bool = False,
    ) -> None:
        super().__init__()
        check_positive_int(n_ngrams, "n_ngrams")
        check_positive_int(n_features, "n_features")
        self.n_ngrams = n_ngrams
        self.n_features = n_features
        self.bag = nn.EmbeddingBag(n_ngrams, n_features, mode="sum", sparse=sparse_gradients)
        nn.init.normal_(self.bag.weight, std=init_std)

    def forward(
        self, ngram_ids: torch.Tensor, offsets: torch.Tensor, weights: torch.Tensor
    ) -> torch.Tensor:
        """Sum the weighted n-gram vectors of each text.

        Parameters
        ----------
        ngram_ids : torch.Tensor of shape (nnz,), int64
            N-gram ids of all texts of the batch, concatenated.
        offsets : torch.Tensor of shape (batch,), int64
            Start of each text in ``ngram_ids`` (a CSR ``indptr`` without its last entry).
        weights : torch.Tensor of shape (nnz,), float
            Weight of each n-gram occurrence.

        Returns
        -------
        features : torch.Tensor of shape (batch, n_features)
        """
        weights = bag_weights_as(weights, self.bag.weight.dtype)
        return self.bag(ngram_ids, offsets, per_sample_weights=weights)


def bag_weights_as(weights: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Float64 bag weights (e.g. scikit-learn's float64 TF-IDF) in the table's ``dtype``,
    which ``embedding_bag`` requires; other weights as they are."""
    if weights.dtype == torch.float64 and dtype != torch.float64:
        return weights.to(dtype)
    return weights

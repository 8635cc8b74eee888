"""The whole InceptionXML network: encoder (+ optional bag-of-words input) and a head."""

from __future__ import annotations

import torch
from torch import nn

from skxml.nn._bag_of_words import BagOfWordsEncoder
from skxml.nn._encoder import InceptionXMLEncoder
from skxml.nn._sparse_linear import SparseLinearHead

BagOfWordsBatch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


class InceptionXMLNetwork(nn.Module):
    """Encoder, optional bag-of-words inputs, and a classifier head in one module.

    ``h = encoder(token_ids) [+ bag_of_words(bag)]``, then
    ``logits = head(h) [+ sparse_linear(bag)]``, where ``bag`` is a weighted bag of n-grams
    (a TF-IDF row). With neither side part this is exactly the paper's InceptionXML.

    Parameters
    ----------
    encoder : InceptionXMLEncoder
        Token ids to features ``h_f``.
    head : nn.Module
        Features to logits, e.g. :class:`~skxml.nn.ExtremeClassifierHead`.
    bag_of_words : BagOfWordsEncoder or None, default=None
        Side input whose output is added to ``h_f``; its ``n_features`` must equal the
        encoder's ``n_features_out``.
    sparse_linear : SparseLinearHead or None, default=None
        Sparse linear map from the bag of n-grams to the head's outputs, added to the
        logits.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import ExtremeClassifierHead, InceptionXMLEncoder, InceptionXMLNetwork
    >>> encoder = InceptionXMLEncoder(50, 64, max_seq_len=8)
    >>> network = InceptionXMLNetwork(encoder, ExtremeClassifierHead(encoder.n_features_out, 7))
    >>> network.eval()(torch.randint(0, 50, (3, 8))).shape
    torch.Size([3, 7])
    """

    def __init__(
        self,
        encoder: InceptionXMLEncoder,
        head: nn.Module,
        bag_of_words: BagOfWordsEncoder | None = None,
        sparse_linear: SparseLinearHead | None = None,
    ) -> None:
        super().__init__()
        if bag_of_words is not None and bag_of_words.n_features != encoder.n_features_out:
            raise ValueError(
                f"bag_of_words.n_features ({bag_of_words.n_features}) must equal the encoder's "
                f"n_features_out ({encoder.n_features_out})."
            )
        head_outputs = getattr(head, "n_labels", None)
        if sparse_linear is not None and head_outputs is not None:
            check_same_labels(sparse_linear, head_outputs, "the head")
        self.encoder = encoder
        self.bag_of_words = bag_of_words
        self.head = head
        self.sparse_linear = sparse_linear

    def features(
        self, token_ids: torch.Tensor, bag: BagOfWordsBatch | None = None
    ) -> torch.Tensor:
        """The features ``h`` fed to the head, shape (batch, n_features_out)."""
        return text_features(self.encoder, self.bag_of_words, token_ids, bag)

    def forward(self, token_ids: torch.Tensor, bag: BagOfWordsBatch | None = None) -> torch.Tensor:
        """Logits of the head, shape (batch, n_outputs)."""
        logits = self.head(self.features(token_ids, bag))
        if self.sparse_linear is not None:
            logits = logits + self.sparse_linear(*require_bag(bag, "a sparse linear map")).to(
                logits.dtype
            )
        return logits


def require_bag(bag: BagOfWordsBatch | None, part: str) -> BagOfWordsBatch:
    """``bag``, or a clear error when a network with TF-IDF ``part`` is called without it."""
    if bag is None:
        raise ValueError(f"This network has {part}: pass bag=(ids, offsets, weights).")
    return bag


def check_bag_rows(bag: BagOfWordsBatch | None, n_rows: int) -> None:
    """Refuse a bag of another number of texts than the batch (it would be broadcast)."""
    if bag is not None and len(bag[1]) != n_rows:
        raise ValueError(
            f"bag holds {len(bag[1])} rows (offsets) but the batch has {n_rows} texts; pass "
            "one bag row per text."
        )


def check_same_labels(sparse_linear: SparseLinearHead, n_labels: int, what: str) -> None:
    """Refuse a sparse linear map of another number of outputs than the head it adds to."""
    if sparse_linear.n_labels != n_labels:
        raise ValueError(
            f"sparse_linear maps to {sparse_linear.n_labels} labels but {what} has {n_labels} "
            "outputs; they must match."
        )


def text_features(
    encoder: InceptionXMLEncoder,
    bag_of_words: BagOfWordsEncoder | None,
    token_ids: torch.Tensor,
    bag: BagOfWordsBatch | None,
) -> torch.Tensor:
    """The encoder's features, plus the TF-IDF bag's when the network has that input."""
    check_bag_rows(bag, token_ids.shape[0])
    features = encoder(token_ids)
    if bag_of_words is not None:
        features = features + bag_of_words(*require_bag(bag, "a bag-of-n-grams input"))
    return features

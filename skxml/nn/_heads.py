"""Classifier heads of InceptionXML(+): residual layer, dense head and shortlist head."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrizations

from skxml.nn._checks import check_dropout, check_positive_int
from skxml.nn._dropout import FastDropout
from skxml.nn._serialization import StateDictPickleMixin
from skxml.nn._sparse_gather import gather

PADDING_LOGIT = -1e4
"""Logit given to padded shortlist positions.

Its sigmoid is 0 in float32 and float16, its binary cross-entropy against a 0 target is 0 and
it ranks below any real score; ``masked_fill`` gives it no gradient. Finite on purpose:
``-inf`` turns ``binary_cross_entropy_with_logits`` into NaN.
"""


def _check_features(h: torch.Tensor, n_features: int) -> None:
    if not isinstance(h, torch.Tensor) or h.dim() != 2 or h.shape[1] != n_features:
        shape = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
        raise ValueError(f"h must be a tensor of shape (batch, {n_features}), got {shape}.")


def _check_label_ids_dtype(label_ids: torch.Tensor, name: str) -> None:
    if not isinstance(label_ids, torch.Tensor) or label_ids.dtype not in (
        torch.int64,
        torch.int32,
    ):
        found = label_ids.dtype if isinstance(label_ids, torch.Tensor) else type(label_ids)
        raise TypeError(f"{name} must be an int64 (or int32) tensor, got {found}.")


def _check_label_range(label_ids: torch.Tensor, n_labels: int, name: str) -> None:
    # On a GPU reading the range back would make every batch wait for the GPU; there the
    # embedding kernel's own index assertion stops out-of-range ids.
    if label_ids.numel() and label_ids.device.type == "cpu":
        low, high = torch.aminmax(label_ids)
        if low < 0 or high >= n_labels:
            raise ValueError(
                f"{name} must lie in [0, n_labels={n_labels}) (except padding), got values "
                f"in [{int(low)}, {int(high)}]."
            )


class ResidualHead(StateDictPickleMixin, nn.Module):
    """Residual layer of the classifier heads: ``g = R(h) + h``.

    ``R`` is Dropout → Linear(F → F) → GELU → BatchNorm1d, in the order of the reference
    implementation; the activation of the paper's ``act(R·h) + h`` is the GELU inside ``R``.

    Parameters
    ----------
    n_features : int
        Width F of the input and output.
    dropout : float, default=0.25
        Dropout rate in front of the linear layer.
    spectral_norm : bool, default=False
        Whether the linear layer is spectral-normalised (InceptionXML+ uses it on both heads).
    batch_norm : bool, default=True
        Whether ``R`` ends with a BatchNorm1d. The reference InceptionXML+ heads have none.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import ResidualHead
    >>> head = ResidualHead(6).eval()
    >>> head(torch.randn(3, 6)).shape
    torch.Size([3, 6])
    """

    def __init__(
        self,
        n_features: int,
        *,
        dropout: float = 0.25,
        spectral_norm: bool = False,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        check_positive_int(n_features, "n_features")
        check_dropout(dropout, "dropout")
        self._remember_init_arguments(
            (n_features,),
            {"dropout": dropout, "spectral_norm": spectral_norm, "batch_norm": batch_norm},
        )
        self.n_features = n_features
        linear = nn.Linear(n_features, n_features)
        nn.init.xavier_uniform_(linear.weight)
        nn.init.zeros_(linear.bias)
        self.residual = nn.Sequential(
            FastDropout(dropout),
            parametrizations.spectral_norm(linear) if spectral_norm else linear,
            nn.GELU(),
            nn.BatchNorm1d(n_features) if batch_norm else nn.Identity(),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Return ``R(h) + h``.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, n_features)

        Returns
        -------
        g : torch.Tensor of shape (batch, n_features)
        """
        _check_features(h, self.n_features)
        return self.residual(h) + h


class ExtremeClassifierHead(nn.Module):
    """Dense one-vs-all head: residual layer, dropout, then ``Linear(F → n_labels)``.

    The classifier of InceptionXML (all labels) and the meta-classifier of InceptionXML+
    (label clusters): ``logits = W·dropout(R(h) + h) + b``.

    Parameters
    ----------
    n_features : int
        Width F of the encoder features.
    n_labels : int
        Number of outputs (labels or clusters).
    hidden_dropout : float, default=0.25
        Dropout in front of the residual layer's linear map (the skip path is not dropped).
    output_dropout : float, default=0.5
        Dropout in front of the output layer.
    spectral_norm : bool, default=False
        Whether the residual layer's linear map is spectral-normalised.
    batch_norm : bool, default=True
        Whether the residual layer ends with a BatchNorm1d.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import ExtremeClassifierHead
    >>> head = ExtremeClassifierHead(8, 5).eval()
    >>> head(torch.randn(2, 8)).shape
    torch.Size([2, 5])
    """

    def __init__(
        self,
        n_features: int,
        n_labels: int,
        *,
        hidden_dropout: float = 0.25,
        output_dropout: float = 0.5,
        spectral_norm: bool = False,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        check_positive_int(n_labels, "n_labels")
        check_dropout(output_dropout, "output_dropout")
        self.n_features = n_features
        self.n_labels = n_labels
        self.hidden = ResidualHead(
            n_features, dropout=hidden_dropout, spectral_norm=spectral_norm, batch_norm=batch_norm
        )
        self.output_dropout = FastDropout(output_dropout)
        self.classifier = nn.Linear(n_features, n_labels)
        nn.init.xavier_uniform_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Score every output.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, n_features)

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_labels)
        """
        return self.classifier(self.output_dropout(self.hidden(h)))


class ShortlistClassifierHead(nn.Module):
    """Extreme head of InceptionXML+: scores given labels (a shortlist), or every label.

    ``logit(l) = W_e[l]·g + b[l]`` with ``g = dropout(R(h) + h)`` and ``W_e`` a label
    embedding table of shape (n_labels, F). Two ways to score without a (batch × n_labels)
    tensor:

    - :meth:`score_shortlist` (also ``forward``): each sample its own padded list of labels,
      by gathering rows of ``W_e`` — memory ``batch·K·F``;
    - :meth:`score_union`: one list of labels shared by the batch (e.g. the union of the
      shortlists), as one dense product — memory ``U·F + batch·U``, often faster on GPUs;

    and :meth:`score_all`, every label (a batch × n_labels tensor), for when the union of a
    batch's shortlists holds most labels anyway.

    To detach the head from the encoder (the first epochs of InceptionXML+), pass
    ``h.detach()``.

    Parameters
    ----------
    n_features : int
        Width F of the encoder features.
    n_labels : int
        Number of labels L.
    hidden_dropout : float, default=0.25
        Dropout in front of the residual layer's linear map (the skip path is not dropped).
    output_dropout : float, default=0.5
        Dropout on ``g``.
    spectral_norm : bool, default=True
        Whether the residual layer's linear map is spectral-normalised.
    batch_norm : bool, default=True
        Whether the residual layer ends with a BatchNorm1d.
    sparse_gradients : bool, default=False
        Give the label embeddings and biases sparse gradients (only the gathered rows), to be
        stepped by :class:`torch.optim.SparseAdam`: a step then costs what the shortlists
        touch, not ``n_labels × n_features``.

    Attributes
    ----------
    weight : torch.nn.Parameter of shape (n_labels, n_features)
        The label embeddings ``W_e`` (Xavier-uniform).
    bias : torch.nn.Parameter of shape (n_labels,)
        Per-label biases (zero-initialised).

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import ShortlistClassifierHead
    >>> head = ShortlistClassifierHead(8, 100).eval()
    >>> h = torch.randn(2, 8)
    >>> shortlist = torch.tensor([[3, 17, 42], [5, 99, -1]])  # -1 pads the second row
    >>> logits = head.score_shortlist(h, shortlist)
    >>> logits.shape
    torch.Size([2, 3])
    >>> logits[1, 2].item()
    -10000.0
    >>> head.score_union(h, torch.tensor([3, 5, 17, 42, 99])).shape
    torch.Size([2, 5])
    """

    def __init__(
        self,
        n_features: int,
        n_labels: int,
        *,
        hidden_dropout: float = 0.25,
        output_dropout: float = 0.5,
        spectral_norm: bool = True,
        batch_norm: bool = True,
        sparse_gradients: bool = False,
    ) -> None:
        super().__init__()
        check_positive_int(n_labels, "n_labels")
        check_dropout(output_dropout, "output_dropout")
        self.n_features = n_features
        self.n_labels = n_labels
        self.sparse_gradients = sparse_gradients
        self.hidden = ResidualHead(
            n_features, dropout=hidden_dropout, spectral_norm=spectral_norm, batch_norm=batch_norm
        )
        self.output_dropout = FastDropout(output_dropout)
        self.weight = nn.Parameter(torch.empty(n_labels, n_features))
        self.bias = nn.Parameter(torch.zeros(n_labels))
        nn.init.xavier_uniform_(self.weight)

    def embed(self, h: torch.Tensor) -> torch.Tensor:
        """Return ``g = dropout(R(h) + h)``, the vector the label embeddings are scored against.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, n_features)

        Returns
        -------
        g : torch.Tensor of shape (batch, n_features)
        """
        return self.output_dropout(self.hidden(h))

    def score_shortlist(
        self,
        h: torch.Tensor,
        label_ids: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Score a padded shortlist of labels per sample.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, n_features)
            Encoder features.
        label_ids : torch.Tensor of shape (batch, K), int64
            Label ids per sample. Without ``mask``, negative ids (use -1) mark padding.
        mask : torch.Tensor of shape (batch, K), bool, default=None
            ``True`` where ``label_ids`` holds a real label; the ids elsewhere are ignored.
            ``None`` means ``label_ids >= 0``.

        Returns
        -------
        logits : torch.Tensor of shape (batch, K)
            Scores; padded positions hold :data:`PADDING_LOGIT` (no gradient flows from
            them). They can be left in a BCE loss against 0 targets (they add 0) or masked out.

        Raises
        ------
        TypeError
            If ``label_ids`` is not an integer tensor or ``mask`` not a bool tensor.
        ValueError
            If the shapes disagree or a real id lies outside ``[0, n_labels)``.
        """
        _check_features(h, self.n_features)
        _check_label_ids_dtype(label_ids, "label_ids")
        if label_ids.dim() != 2 or label_ids.shape[0] != h.shape[0]:
            raise ValueError(
                f"label_ids must have shape (batch={h.shape[0]}, K), got {tuple(label_ids.shape)}."
            )
        if mask is None:
            mask = label_ids >= 0
        else:
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                raise TypeError("mask must be a bool tensor of the shape of label_ids.")
            if mask.shape != label_ids.shape:
                raise ValueError(
                    f"mask must have the shape of label_ids {tuple(label_ids.shape)}, got "
                    f"{tuple(mask.shape)}."
                )
        safe_ids = label_ids.masked_fill(~mask, 0)
        if label_ids.device.type == "cpu":  # boolean indexing would wait for a GPU
            _check_label_range(label_ids[mask], self.n_labels, "label_ids")
        g = self.embed(h)
        label_vectors = F.embedding(safe_ids, self.weight, sparse=self.sparse_gradients)
        flat_bias = gather(self.bias, safe_ids.flatten(), sparse_gradient=self.sparse_gradients)
        bias = flat_bias.view(safe_ids.shape)
        # (batch, K, F) · (batch, F, 1): one dot product per shortlisted label.
        logits = torch.bmm(label_vectors, g.unsqueeze(2)).squeeze(2) + bias
        return logits.masked_fill(~mask, PADDING_LOGIT)

    def score_union(self, h: torch.Tensor, label_ids: torch.Tensor) -> torch.Tensor:
        """Score one list of labels for every sample of the batch.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, n_features)
            Encoder features.
        label_ids : torch.Tensor of shape (U,), int64
            Label ids (typically the unique labels of the batch's shortlists).

        Returns
        -------
        logits : torch.Tensor of shape (batch, U)
            ``g @ W_e[label_ids].T + b[label_ids]``.

        Raises
        ------
        TypeError
            If ``label_ids`` is not an integer tensor.
        ValueError
            If it is not 1-D or holds ids outside ``[0, n_labels)``.
        """
        _check_features(h, self.n_features)
        _check_label_ids_dtype(label_ids, "label_ids")
        if label_ids.dim() != 1:
            raise ValueError(f"label_ids must be 1-D, got shape {tuple(label_ids.shape)}.")
        _check_label_range(label_ids, self.n_labels, "label_ids")
        g = self.embed(h)
        label_vectors = F.embedding(label_ids, self.weight, sparse=self.sparse_gradients)
        bias = gather(self.bias, label_ids, sparse_gradient=self.sparse_gradients)
        return F.linear(g, label_vectors, bias)

    def score_all(self, h: torch.Tensor) -> torch.Tensor:
        """Score every label: ``g @ W_e.T + b``, shape (batch, n_labels).

        A (batch × n_labels) tensor: for when a batch's shortlists cover most labels anyway,
        where one product with the whole table is cheaper than gathering its rows (and, in
        training, than scattering their gradient back into a table-sized one).

        Parameters
        ----------
        h : torch.Tensor of shape (batch, n_features)
            Encoder features.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_labels)
            Equal to ``score_union(h, torch.arange(n_labels))``.

        Examples
        --------
        >>> import torch
        >>> from skxml.nn import ShortlistClassifierHead
        >>> head = ShortlistClassifierHead(16, 6).eval()
        >>> h = torch.randn(2, 16)
        >>> every = head.score_all(h)
        >>> every.shape
        torch.Size([2, 6])
        >>> bool(torch.allclose(every[:, [1, 4]], head.score_union(h, torch.tensor([1, 4]))))
        True
        """
        _check_features(h, self.n_features)
        return F.linear(self.embed(h), self.weight, self.bias)

    def forward(
        self,
        h: torch.Tensor,
        label_ids: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Same as :meth:`score_shortlist`."""
        return self.score_shortlist(h, label_ids, mask)

"""The InceptionXML encoder: token ids → embedding enhancement → embedding convolutions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from skxml.nn._attention import SimpleSelfAttention
from skxml.nn._checks import check_dropout, check_positive_int
from skxml.nn._dropout import FastDropout

# Range of the uniform initialisation of embeddings without pretrained vectors (the paper's
# choice for words missing from GloVe).
_RANDOM_EMBEDDING_RANGE = 0.25


def _check_kernel_sizes(kernel_sizes: object) -> tuple[int, ...]:
    if not isinstance(kernel_sizes, Sequence) or isinstance(kernel_sizes, str):
        raise ValueError(
            f"kernel_sizes must be a non-empty sequence of positive ints, got {kernel_sizes!r}."
        )
    sizes = tuple(kernel_sizes)
    if not sizes:
        raise ValueError("kernel_sizes must be a non-empty sequence of positive ints, got ().")
    for size in sizes:
        check_positive_int(size, "each entry of kernel_sizes")
    smallest = min(sizes)
    if any((size - smallest) % 2 for size in sizes):
        raise ValueError(
            "kernel_sizes must all differ from the smallest one by an even number (each "
            "branch is padded by (k - min(kernel_sizes)) / 2 on both sides so that all "
            f"branches have the same length), got {sizes!r}."
        )
    return sizes


def _convolution_lengths(
    width: int, kernel_sizes: tuple[int, ...], stride: int, final_kernel_size: int
) -> tuple[int, int]:
    """Lengths after the parallel branches and after the final convolution."""
    branch_length = (width - min(kernel_sizes)) // stride + 1
    final_length = (branch_length - final_kernel_size) // stride + 1
    return branch_length, final_length


def _as_embedding_tensor(
    embedding_weights: Any, n_tokens: int, embedding_dim: int
) -> torch.Tensor:
    if isinstance(embedding_weights, torch.Tensor):
        weights = embedding_weights.detach().to(device="cpu", dtype=torch.float32)
    elif isinstance(embedding_weights, np.ndarray):
        if not np.issubdtype(embedding_weights.dtype, np.number):
            raise TypeError(
                "embedding_weights must hold numbers, got an array of dtype "
                f"{embedding_weights.dtype}."
            )
        weights = torch.from_numpy(np.asarray(embedding_weights, dtype=np.float32))
    else:
        raise TypeError(
            "embedding_weights must be a torch.Tensor or a numpy.ndarray of shape "
            f"(n_tokens, embedding_dim), got {type(embedding_weights).__name__}."
        )
    if tuple(weights.shape) != (n_tokens, embedding_dim):
        raise ValueError(
            f"embedding_weights must have shape (n_tokens, embedding_dim) = "
            f"({n_tokens}, {embedding_dim}), got {tuple(weights.shape)}."
        )
    if not torch.isfinite(weights).all():
        raise ValueError("embedding_weights must be finite (no NaN or inf).")
    return weights


class InceptionXMLEncoder(nn.Module):
    """The InceptionXML encoder: from padded token ids to the feature vector ``h_f``.

    The layers follow the paper (§4) and its reference implementation; shapes below are for
    ``model_dim`` d=300, ``max_seq_len`` S=32 and the default convolutions:

    1. embedding lookup (B, S) → (B, S, ``embedding_dim``), row 0 is padding;
    2. optionally a learned linear map ``embedding_dim`` → ``model_dim`` (no bias, so padding
       positions stay zero) → (B, S, d); then dropout;
    3. :class:`SimpleSelfAttention` over the word axis (S channels), then over the embedding
       axis of the transposed result (d channels) with the embeddings themselves as key;
    4. projection: 1×1 ``Conv1d`` from the S words to ``n_filters`` channels for each of the
       d embedding dimensions → (B, 32, d); GELU, BatchNorm, dropout;
    5. parallel ``Conv1d`` branches along the embedding axis (kernels 4, 8, 16, stride 4,
       circular padding 0, 2, 6) → (B, 32, 75) each; concatenated → (B, 96, 75); GELU,
       BatchNorm, dropout; a final ``Conv1d`` (kernel 16, stride 4) → (B, 32, 15); GELU,
       BatchNorm; flattened → (B, 480).

    Parameters
    ----------
    n_tokens : int
        Vocabulary size including the padding token 0.
    embedding_dim : int
        Width of the word vectors.
    model_dim : int or None, default=None
        Width d the convolutions work on. ``None`` means ``embedding_dim`` (no projection).
        Otherwise a learned ``Linear(embedding_dim → model_dim)`` is applied to the word
        vectors, which is how narrow vectors (e.g. 50-d GloVe) are used: the convolution
        layout needs ``d >= min(kernel_sizes) + stride·(final_kernel_size − 1)`` (64 with the
        defaults).
    max_seq_len : int, default=32
        Number of token positions S. Inputs must have exactly this many columns (pad with 0).
    embedding_weights : torch.Tensor or numpy.ndarray of shape (n_tokens, embedding_dim), \
default=None
        Pretrained word vectors, copied into the embedding table. Row 0 is the padding token
        and is set to zero whatever it holds. ``None``: uniform in [-0.25, 0.25] (padding row
        zero).
    freeze_embeddings : bool, default=False
        Whether the embedding table is excluded from training.
    n_filters : int, default=32
        Channels p of the projection, of each branch and of the final convolution.
    kernel_sizes : sequence of int, default=(4, 8, 16)
        Kernel sizes of the parallel branches. Branch k is circularly padded by
        ``(k − min(kernel_sizes)) / 2`` on both sides, so the sizes must differ by even numbers.
    stride : int, default=4
        Stride of the branches and of the final convolution.
    final_kernel_size : int, default=16
        Kernel size of the final convolution.
    dropout : float, default=0.25
        Dropout rate on the embeddings, after the projection and after the branches.
    word_attention : bool, default=True
        Whether the word-axis self-attention is used.
    embedding_attention : bool, default=True
        Whether the embedding-axis self-attention is used (both ``False`` is the paper's
        ablation "without self-attention").
    attention_spectral_norm : bool, default=True
        Whether the attention convolutions use spectral normalisation.

    Attributes
    ----------
    model_dim : int
        The resolved width d of the convolution input.
    branch_length : int
        Length of each branch output, ``⌊(d − min(kernel_sizes)) / stride⌋ + 1``.
    n_features_out : int
        Size of the output, ``n_filters · (⌊(branch_length − final_kernel_size) / stride⌋ + 1)``
        (480 with the defaults and d=300).
    embedding : torch.nn.Embedding
        The word-vector table.
    embedding_projection : torch.nn.Linear or None
        The learned map to ``model_dim``, ``None`` without projection.
    word_attention, embedding_attention : SimpleSelfAttention or None
        The two attention layers, ``None`` when switched off.

    Raises
    ------
    ValueError
        If a parameter is out of range, or the convolution input is too narrow for the kernel
        layout (the message gives the ``model_dim`` needed).

    Notes
    -----
    Convolutions and linear layers use Xavier-uniform weights and zero biases. With the
    defaults and d=300, S=32 the encoder has 170,354 parameters besides the embedding table
    (1,025 + 90,001 of them in the two attentions); with the 480×480 residual layer of a
    classifier head (231,840) that makes 402,194, the paper's "400K".

    Batch normalisation needs more than one sample per batch in training mode.

    References
    ----------
    Kharbanda et al., "InceptionXML: A Lightweight Framework with Synchronized Negative
    Sampling for Short Text Extreme Classification", SIGIR 2023.

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import InceptionXMLEncoder
    >>> encoder = InceptionXMLEncoder(n_tokens=100, embedding_dim=300, max_seq_len=8)
    >>> encoder.n_features_out
    480
    >>> token_ids = torch.randint(1, 100, (4, 8))
    >>> token_ids[:, 5:] = 0  # padding
    >>> encoder(token_ids).shape
    torch.Size([4, 480])

    Narrow word vectors are projected to a wider model:

    >>> narrow = InceptionXMLEncoder(n_tokens=100, embedding_dim=50, model_dim=128)
    >>> narrow.n_features_out
    160
    """

    def __init__(
        self,
        n_tokens: int,
        embedding_dim: int,
        *,
        model_dim: int | None = None,
        max_seq_len: int = 32,
        embedding_weights: torch.Tensor | np.ndarray | None = None,
        freeze_embeddings: bool = False,
        n_filters: int = 32,
        kernel_sizes: Sequence[int] = (4, 8, 16),
        stride: int = 4,
        final_kernel_size: int = 16,
        dropout: float = 0.25,
        word_attention: bool = True,
        embedding_attention: bool = True,
        attention_spectral_norm: bool = True,
    ) -> None:
        super().__init__()
        check_positive_int(n_tokens, "n_tokens")
        check_positive_int(embedding_dim, "embedding_dim")
        if model_dim is not None:
            check_positive_int(model_dim, "model_dim")
        check_positive_int(max_seq_len, "max_seq_len")
        check_positive_int(n_filters, "n_filters")
        sizes = _check_kernel_sizes(kernel_sizes)
        check_positive_int(stride, "stride")
        check_positive_int(final_kernel_size, "final_kernel_size")
        dropout = check_dropout(dropout, "dropout")

        width = embedding_dim if model_dim is None else model_dim
        min_width = min(sizes) + stride * (final_kernel_size - 1)
        if width < min_width:
            source = "embedding_dim" if model_dim is None else "model_dim"
            raise ValueError(
                f"The convolution input width ({source}={width}) is too small for the kernel "
                f"layout (kernel_sizes={sizes}, stride={stride}, "
                f"final_kernel_size={final_kernel_size}), which needs a width of at least "
                f"{min_width}. Set model_dim to at least {min_width} to learn a projection of "
                f"the {embedding_dim}-d word vectors to a wider model."
            )
        widest_padding = (max(sizes) - min(sizes)) // 2
        if widest_padding > width:
            raise ValueError(
                f"kernel_sizes={sizes} need a circular padding of {widest_padding} on each side, "
                f"more than the convolution input width {width}; use closer kernel sizes."
            )
        branch_length, final_length = _convolution_lengths(width, sizes, stride, final_kernel_size)

        self.n_tokens = n_tokens
        self.embedding_dim = embedding_dim
        self.model_dim = width
        self.max_seq_len = max_seq_len
        self.n_filters = n_filters
        self.kernel_sizes = sizes
        self.stride = stride
        self.final_kernel_size = final_kernel_size
        self.branch_length = branch_length
        self.n_features_out = n_filters * final_length

        self.embedding = nn.Embedding(n_tokens, embedding_dim, padding_idx=0)
        with torch.no_grad():
            if embedding_weights is None:
                self.embedding.weight.uniform_(-_RANDOM_EMBEDDING_RANGE, _RANDOM_EMBEDDING_RANGE)
            else:
                self.embedding.weight.copy_(
                    _as_embedding_tensor(embedding_weights, n_tokens, embedding_dim)
                )
            self.embedding.weight[0].zero_()
        self.embedding.weight.requires_grad_(not freeze_embeddings)

        # Without a bias the projection maps the zero padding vectors to zero.
        self.embedding_projection = (
            None if model_dim is None else nn.Linear(embedding_dim, width, bias=False)
        )
        self.embedding_dropout = FastDropout(dropout)
        self.word_attention = (
            SimpleSelfAttention(max_seq_len, spectral_norm=attention_spectral_norm)
            if word_attention
            else None
        )
        self.embedding_attention = (
            SimpleSelfAttention(width, spectral_norm=attention_spectral_norm)
            if embedding_attention
            else None
        )
        self.projection = nn.Sequential(
            nn.Conv1d(max_seq_len, n_filters, kernel_size=1),
            nn.GELU(),
            nn.BatchNorm1d(n_filters),
            FastDropout(dropout),
        )
        smallest = min(sizes)
        self.branches = nn.ModuleList(
            nn.Conv1d(
                n_filters,
                n_filters,
                kernel_size=size,
                stride=stride,
                padding=(size - smallest) // 2,
                padding_mode="circular",
            )
            for size in sizes
        )
        self.post_branches = nn.Sequential(
            nn.GELU(), nn.BatchNorm1d(len(sizes) * n_filters), FastDropout(dropout)
        )
        self.final_convolution = nn.Sequential(
            nn.Conv1d(
                len(sizes) * n_filters, n_filters, kernel_size=final_kernel_size, stride=stride
            ),
            nn.GELU(),
            nn.BatchNorm1d(n_filters),
        )
        self._init_weights()

    def _init_weights(self) -> None:
        # The attention layers initialise their own (spectral-normalised) convolutions.
        layers = [self.projection[0], *self.branches, self.final_convolution[0]]
        if self.embedding_projection is not None:
            layers.append(self.embedding_projection)
        for layer in layers:
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)

    def _check_token_ids(self, token_ids: torch.Tensor) -> None:
        if not isinstance(token_ids, torch.Tensor):
            raise TypeError(f"token_ids must be a torch.Tensor, got {type(token_ids).__name__}.")
        if (
            token_ids.dtype.is_floating_point
            or token_ids.dtype.is_complex
            or (token_ids.dtype == torch.bool)
        ):
            raise TypeError(f"token_ids must hold integers, got dtype {token_ids.dtype}.")
        if token_ids.dim() != 2 or token_ids.shape[1] != self.max_seq_len:
            raise ValueError(
                f"token_ids must have shape (batch, max_seq_len={self.max_seq_len}) (pad "
                f"with 0 or truncate), got {tuple(token_ids.shape)}."
            )
        # On a GPU reading the range back would make every batch wait for the GPU; there the
        # embedding kernel's own index assertion stops out-of-range ids.
        if token_ids.numel() and token_ids.device.type == "cpu":
            low, high = torch.aminmax(token_ids)
            if low < 0 or high >= self.n_tokens:
                raise ValueError(
                    f"token_ids must lie in [0, n_tokens={self.n_tokens}), got values in "
                    f"[{int(low)}, {int(high)}]."
                )

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Encode a batch of padded token-id sequences.

        Parameters
        ----------
        token_ids : torch.Tensor of shape (batch, max_seq_len), integer dtype
            Token ids in ``[0, n_tokens)``; 0 is padding.

        Returns
        -------
        features : torch.Tensor of shape (batch, n_features_out)
            The flattened feature map ``h_f``.

        Raises
        ------
        TypeError
            If ``token_ids`` is not an integer tensor.
        ValueError
            If it does not have ``max_seq_len`` columns or holds ids out of range.
        """
        self._check_token_ids(token_ids)
        if token_ids.dtype not in (torch.int64, torch.int32):  # what embedding lookups take
            token_ids = token_ids.long()
        embeddings = self.embedding(token_ids)  # (B, S, embedding_dim)
        if self.embedding_projection is not None:
            embeddings = self.embedding_projection(embeddings)  # (B, S, d)
        embeddings = self.embedding_dropout(embeddings)

        enhanced = embeddings
        if self.word_attention is not None:
            enhanced = self.word_attention(enhanced)  # channels = words
        if self.embedding_attention is not None:
            enhanced = self.embedding_attention(
                enhanced.transpose(1, 2), embeddings.transpose(1, 2)
            ).transpose(1, 2)  # channels = embedding dimensions, key = the embeddings

        projected = self.projection(enhanced)  # (B, n_filters, d)
        branches = torch.cat([branch(projected) for branch in self.branches], dim=1)
        features = self.final_convolution(self.post_branches(branches))
        return features.flatten(1)

    def extra_repr(self) -> str:
        return f"n_features_out={self.n_features_out}"

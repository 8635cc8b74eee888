"""SimpleSelfAttention: the cheap linear self-attention of InceptionXML's enhancement module."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrizations

from skxml.nn._checks import check_positive_int
from skxml.nn._serialization import StateDictPickleMixin

_PRODUCT_ORDERS = ("auto", "channel", "position")


def attention_product(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, order: str
) -> torch.Tensor:
    """Compute ``(query · keyᵀ) · value`` for batches of (C, N) matrices in a chosen order.

    Both orders are mathematically equal; they differ in cost and in the size of the
    intermediate matrix.

    Parameters
    ----------
    query, key, value : torch.Tensor of shape (batch, C, N)
        The three operands.
    order : {"channel", "position"}
        ``"channel"`` forms the (C, C) matrix ``query · keyᵀ`` first (about ``2·C²·N``
        multiply-adds); ``"position"`` forms the (N, N) matrix ``keyᵀ · value`` first and
        computes ``query · (keyᵀ · value)`` (about ``2·N²·C``).

    Returns
    -------
    product : torch.Tensor of shape (batch, C, N)

    Examples
    --------
    >>> import torch
    >>> from skxml.nn._attention import attention_product
    >>> q, k, v = torch.randn(3, 2, 4, 5, dtype=torch.float64)
    >>> a = attention_product(q, k, v, "channel")
    >>> b = attention_product(q, k, v, "position")
    >>> a.shape, bool(torch.allclose(a, b))
    (torch.Size([2, 4, 5]), True)
    """
    if order == "channel":
        return torch.bmm(torch.bmm(query, key.transpose(1, 2)), value)
    if order == "position":
        return torch.bmm(query, torch.bmm(key.transpose(1, 2), value))
    raise ValueError(f"order must be 'channel' or 'position', got {order!r}.")


class SimpleSelfAttention(StateDictPickleMixin, nn.Module):
    """Linear self-attention with a learnable gate: ``o = γ·(x·keyᵀ)·(W·x) + x``.

    The "simple self-attention" of Doria (2019) used twice by InceptionXML's embedding
    enhancement module: once over the word axis and once over the embedding axis. ``W`` is a
    1×1 convolution (channels → channels, no bias) and ``γ`` a scalar initialised to 0, so the
    module starts as the identity and learns how much attention to mix in.

    Parameters
    ----------
    n_channels : int
        Number of channels ``C`` of the input ``x`` of shape (batch, C, N).
    spectral_norm : bool, default=True
        Whether ``W`` is wrapped with
        :func:`torch.nn.utils.parametrizations.spectral_norm` (as in the reference
        implementation; it keeps the attention's scale bounded).
    product_order : {"auto", "channel", "position"}, default="auto"
        Order of the two matrix products of ``(x · keyᵀ) · W(x)``: ``"channel"`` forms the
        (C, C) matrix ``x · keyᵀ`` first (about ``2·C²·N`` multiply-adds), ``"position"``
        the (N, N) matrix ``keyᵀ · W(x)`` first (about ``2·N²·C``). ``"auto"`` picks the
        cheaper one at run time: ``"channel"`` when ``C <= N``, else ``"position"``. The
        result is the same up to floating-point rounding.

    Attributes
    ----------
    value_conv : torch.nn.Conv1d
        The 1×1 convolution ``W``.
    gamma : torch.nn.Parameter
        The scalar gate ``γ`` (0-dimensional), initialised to 0.

    Notes
    -----
    For InceptionXML with sequence length S=32 and embedding width d=300, the word-axis
    attention has C=32, N=300 (``"channel"``: ~2·32²·300 multiply-adds instead of
    ~2·300²·32) and the embedding-axis attention C=300, N=32 (``"position"``), about ten
    times cheaper than the other order in both cases.

    The module pickles through its constructor arguments and ``state_dict`` because the
    spectral-norm parametrization itself cannot be pickled.

    References
    ----------
    Doria, "Simple Self Attention", fastai (2019), https://github.com/sdoria/SimpleSelfAttention

    Examples
    --------
    >>> import torch
    >>> from skxml.nn import SimpleSelfAttention
    >>> attention = SimpleSelfAttention(4)
    >>> x = torch.randn(2, 4, 10)
    >>> out = attention(x)
    >>> out.shape
    torch.Size([2, 4, 10])
    >>> bool(torch.equal(out, x))  # gamma starts at 0
    True
    """

    def __init__(
        self, n_channels: int, *, spectral_norm: bool = True, product_order: str = "auto"
    ) -> None:
        super().__init__()
        check_positive_int(n_channels, "n_channels")
        if product_order not in _PRODUCT_ORDERS:
            raise ValueError(
                f"product_order must be one of {_PRODUCT_ORDERS}, got {product_order!r}."
            )
        self._remember_init_arguments(
            (n_channels,), {"spectral_norm": spectral_norm, "product_order": product_order}
        )
        self.n_channels = n_channels
        self.product_order = product_order
        value_conv = nn.Conv1d(n_channels, n_channels, kernel_size=1, bias=False)
        nn.init.xavier_uniform_(value_conv.weight)
        self.value_conv = (
            parametrizations.spectral_norm(value_conv) if spectral_norm else value_conv
        )
        self.gamma = nn.Parameter(torch.zeros(()))

    def resolve_product_order(self, n_positions: int) -> str:
        """Return the product order used for inputs with ``n_positions`` columns.

        Parameters
        ----------
        n_positions : int
            Length ``N`` of the input's last axis.

        Returns
        -------
        order : {"channel", "position"}

        Examples
        --------
        >>> from skxml.nn import SimpleSelfAttention
        >>> SimpleSelfAttention(32).resolve_product_order(300)
        'channel'
        >>> SimpleSelfAttention(300).resolve_product_order(32)
        'position'
        """
        if self.product_order != "auto":
            return self.product_order
        return "channel" if self.n_channels <= n_positions else "position"

    def forward(self, x: torch.Tensor, key: torch.Tensor | None = None) -> torch.Tensor:
        """Apply the attention.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, n_channels, N)
            Input; also the query and (through ``W``) the value.
        key : torch.Tensor of shape (batch, n_channels, N), default=None
            Key; ``None`` means ``x``.

        Returns
        -------
        out : torch.Tensor of shape (batch, n_channels, N)
            ``γ·(x·keyᵀ)·(W·x) + x``.

        Raises
        ------
        ValueError
            If ``x`` is not 3-D with ``n_channels`` channels or ``key`` differs in shape.
        """
        if x.dim() != 3 or x.shape[1] != self.n_channels:
            raise ValueError(
                f"x must have shape (batch, {self.n_channels}, N), got {tuple(x.shape)}."
            )
        if key is None:
            key = x
        elif key.shape != x.shape:
            raise ValueError(
                f"key must have the shape of x {tuple(x.shape)}, got {tuple(key.shape)}."
            )
        value = self.value_conv(x)
        product = attention_product(x, key, value, self.resolve_product_order(x.shape[2]))
        return self.gamma * product + x

    def extra_repr(self) -> str:
        return f"n_channels={self.n_channels}, product_order={self.product_order!r}"

"""Pickling support for modules that hold parametrized (spectral-norm) layers.

``torch.nn.utils.parametrizations.spectral_norm`` injects a dynamically created class whose
``__getstate__`` refuses to pickle ("only supported through state_dict()"). A fitted
scikit-learn estimator must pickle, so the modules of :mod:`skxml.nn` that own such a layer
pickle themselves as *constructor arguments + state_dict* and are rebuilt on load. Their
parents (the encoder, the heads) then pickle the ordinary way.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _rebuild_module(
    cls: type[nn.Module],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    state: dict[str, torch.Tensor],
    training: bool,
    requires_grad: dict[str, bool],
) -> nn.Module:
    module = cls(*args, **kwargs)
    # assign=True keeps the stored tensors' device and dtype instead of copying them into the
    # freshly built CPU float32 tensors.
    module.load_state_dict(state, assign=True)
    module.train(training)
    for name, parameter in module.named_parameters():
        parameter.requires_grad_(requires_grad[name])
    return module


class StateDictPickleMixin:
    """Make an ``nn.Module`` pickle through its constructor arguments and ``state_dict``.

    A subclass calls ``self._remember_init_arguments(args, kwargs)`` in ``__init__`` with the
    arguments that rebuild it; only the state_dict, the training flag and the parameters'
    ``requires_grad`` flags survive the round trip (hooks and ad-hoc attributes do not).
    """

    _init_arguments: tuple[tuple[Any, ...], dict[str, Any]]

    def _remember_init_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._init_arguments = (args, dict(kwargs))

    def __reduce__(self) -> tuple[Any, ...]:
        assert isinstance(self, nn.Module)
        args, kwargs = self._init_arguments
        requires_grad = {name: p.requires_grad for name, p in self.named_parameters()}
        return (
            _rebuild_module,
            (type(self), args, kwargs, self.state_dict(), self.training, requires_grad),
        )

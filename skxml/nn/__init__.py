"""Torch modules of InceptionXML and InceptionXML+ (no scikit-learn in here).

- :class:`InceptionXMLEncoder`: token ids → embedding enhancement → embedding convolutions;
- :class:`SimpleSelfAttention`: the gated linear self-attention the encoder uses;
- :class:`ResidualHead`, :class:`ExtremeClassifierHead`, :class:`ShortlistClassifierHead`:
  the classifier heads (dense over all outputs, or over shortlisted labels only).

The scikit-learn estimators build these modules inside ``fit`` from plain hyperparameters.
"""

from skxml.nn._attention import SimpleSelfAttention
from skxml.nn._encoder import InceptionXMLEncoder
from skxml.nn._heads import (
    PADDING_LOGIT,
    ExtremeClassifierHead,
    ResidualHead,
    ShortlistClassifierHead,
)

__all__ = [
    "PADDING_LOGIT",
    "ExtremeClassifierHead",
    "InceptionXMLEncoder",
    "ResidualHead",
    "ShortlistClassifierHead",
    "SimpleSelfAttention",
]

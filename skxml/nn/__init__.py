"""Torch modules of InceptionXML and InceptionXML+ (no scikit-learn in here).

- :class:`InceptionXMLEncoder`: token ids → embedding enhancement → embedding convolutions;
- :class:`BagOfWordsEncoder`: a weighted bag of n-grams (TF-IDF) as a side input;
- :class:`InceptionXMLNetwork`: encoder (+ side input) and head in one module;
- :class:`InceptionXMLPlusNetwork`: encoder, meta head over label clusters and shortlist
  extreme head (InceptionXML+);
- :func:`hard_negative_bce`: BCE weighted towards each sample's hardest negatives;
- :func:`sparse_target_bce`: plain BCE with the positives given as indices;
- :class:`FrozenInceptionXMLNetwork`, :class:`FrozenInceptionXMLPlusNetwork`: eval-mode
  copies as plain tensor code, for low-latency prediction (CPU and GPU);
- :class:`SimpleSelfAttention`: the gated linear self-attention the encoder uses;
- :class:`ResidualHead`, :class:`ExtremeClassifierHead`, :class:`ShortlistClassifierHead`:
  the classifier heads (dense over all outputs, or over shortlisted labels only).

The scikit-learn estimators build these modules inside ``fit`` from plain hyperparameters.
"""

from skxml.nn._attention import SimpleSelfAttention
from skxml.nn._bag_of_words import BagOfWordsEncoder
from skxml.nn._encoder import InceptionXMLEncoder
from skxml.nn._frozen import FrozenInceptionXMLNetwork, FrozenInceptionXMLPlusNetwork
from skxml.nn._heads import (
    PADDING_LOGIT,
    ExtremeClassifierHead,
    ResidualHead,
    ShortlistClassifierHead,
)
from skxml.nn._losses import hard_negative_bce, sparse_target_bce
from skxml.nn._network import InceptionXMLNetwork
from skxml.nn._plus_network import InceptionXMLPlusNetwork, default_shortlist_size
from skxml.nn._sparse_linear import SparseLinearHead

__all__ = [
    "PADDING_LOGIT",
    "BagOfWordsEncoder",
    "ExtremeClassifierHead",
    "FrozenInceptionXMLNetwork",
    "FrozenInceptionXMLPlusNetwork",
    "InceptionXMLEncoder",
    "InceptionXMLNetwork",
    "InceptionXMLPlusNetwork",
    "ResidualHead",
    "ShortlistClassifierHead",
    "SimpleSelfAttention",
    "SparseLinearHead",
    "default_shortlist_size",
    "hard_negative_bce",
    "sparse_target_bce",
]

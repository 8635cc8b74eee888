"""skxml: short-text extreme multi-label classification for scikit-learn.

The public names are re-exported here; see the API reference for each.
"""

__version__ = "0.1.0.dev0"  # first: submodules read it

from skxml.cluster import LabelTreeClusterer
from skxml.metrics import (
    get_xmc_scorer,
    get_xmc_scorer_names,
    inverse_propensity,
    inverse_propensity_from_counts,
    make_xmc_scorer,
    ndcg_at_k,
    precision_at_k,
    psndcg_at_k,
    psp_at_k,
    recall_at_k,
    shortlist_recall,
)
from skxml.models import InceptionXMLClassifier, InceptionXMLPlusClassifier

__all__ = [
    "InceptionXMLClassifier",
    "InceptionXMLPlusClassifier",
    "LabelTreeClusterer",
    "__version__",
    "get_xmc_scorer",
    "get_xmc_scorer_names",
    "inverse_propensity",
    "inverse_propensity_from_counts",
    "make_xmc_scorer",
    "ndcg_at_k",
    "precision_at_k",
    "psndcg_at_k",
    "psp_at_k",
    "recall_at_k",
    "shortlist_recall",
]

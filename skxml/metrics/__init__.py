"""Ranking metrics of extreme multi-label classification and scorers built from them."""

from skxml.metrics._ranking import (
    inverse_propensity,
    inverse_propensity_from_counts,
    ndcg_at_k,
    precision_at_k,
    psndcg_at_k,
    psp_at_k,
    recall_at_k,
)
from skxml.metrics._scorer import get_xmc_scorer, get_xmc_scorer_names, make_xmc_scorer
from skxml.metrics._shortlist import shortlist_recall

__all__ = [
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

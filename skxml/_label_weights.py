"""Per-label weights of the positives in the training loss (``propensity_weighting``)."""

from __future__ import annotations

import numpy as np

from skxml.metrics import inverse_propensity_from_counts


def propensity_positive_weights(
    label_counts: np.ndarray, n_samples: int, power: float
) -> np.ndarray | None:
    """Each label's weight as a positive: its inverse propensity to the power ``power``,
    scaled so that the training positives' mean weight is 1.

    ``None`` when every positive weighs the same: ``power`` 0, no positive, or fewer than
    3 training samples (the propensity model needs ``ln N > 1``).

    Examples
    --------
    >>> from skxml._label_weights import propensity_positive_weights
    >>> weights = propensity_positive_weights(np.array([90, 9, 1]), n_samples=100, power=1.0)
    >>> weights.round(3)
    array([0.918, 1.617, 2.823])
    >>> round(float(weights @ [90, 9, 1]) / 100, 6)  # the positives' mean weight
    1.0
    >>> propensity_positive_weights(np.array([90, 9, 1]), n_samples=100, power=0.0) is None
    True
    """
    counts = np.asarray(label_counts, dtype=np.float64)
    n_positives = counts.sum()
    if power == 0 or n_positives == 0 or n_samples < 3:
        return None
    # The metrics' default constants (A=0.55, B=1.5), so the weights follow what PSP@k rewards.
    inverse = inverse_propensity_from_counts(counts, n_samples)
    weights = inverse**power
    return weights * (n_positives / float(weights @ counts))

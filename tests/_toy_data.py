"""A toy corpus shared by the estimator tests: 8 short texts and their label names, x4;
and label matrices with a set number of training texts per label."""

import numpy as np
import scipy.sparse as sp

TEXTS = [
    "red apple pie",
    "green apple tart",
    "apple crumble recipe",
    "blue sky today",
    "grey sky and rain",
    "rain storm warning",
    "fresh apple juice",
    "heavy rain tonight",
] * 4
LABELS = [
    ["food", "fruit"],
    ["food", "fruit"],
    ["food"],
    ["weather"],
    ["weather", "rain"],
    ["weather", "rain"],
    ["fruit"],
    ["rain"],
] * 4


def labels_with_positives(n_labels, positives_per_label, n_samples=200, seed=0):
    """A (n_samples, n_labels) 0/1 matrix whose every label has the given number of rows."""
    rng = np.random.default_rng(seed)
    rows = np.concatenate(
        [rng.choice(n_samples, size=positives_per_label, replace=False) for _ in range(n_labels)]
    )
    columns = np.repeat(np.arange(n_labels), positives_per_label)
    data = np.ones(rows.size, dtype=np.float32)
    return sp.csr_matrix((data, (rows, columns)), shape=(n_samples, n_labels))

"""
=================================================
Label frequencies, propensities and the long tail
=================================================

Extreme multi-label datasets have a long tail: a few labels occur in a large share of the
points, most labels in a handful. Propensity-scored metrics (PSP@k) reward a model for the
rare labels. This example shows the tail of the embedded *debian-tags* dataset and the
inverse propensities that :func:`skxml.metrics.inverse_propensity` gives its labels.
"""

# %%
# Load the embedded dataset
# -------------------------
import matplotlib.pyplot as plt
import numpy as np

from skxml.datasets import load_debian_tags
from skxml.metrics import inverse_propensity

train = load_debian_tags(subset="train")
label_counts = np.asarray(train.target.sum(axis=0)).ravel()
print(f"{train.target.shape[0]} training texts, {train.target.shape[1]} labels")
print(f"median points per label: {np.median(label_counts):.0f}")
print(f"labels with at most 5 points: {(label_counts <= 5).sum()}")

# %%
# Frequency against rank, and the inverse propensity of each label
# ----------------------------------------------------------------
inv_propensity = inverse_propensity(train.target, A=0.55, B=1.5)
order = np.argsort(-label_counts, kind="stable")

fig, (ax_freq, ax_prop) = plt.subplots(1, 2, figsize=(10, 4))
ax_freq.loglog(np.arange(1, order.size + 1), label_counts[order], marker=".", linestyle="")
ax_freq.set(xlabel="label rank", ylabel="training points", title="Label frequency")
ax_prop.semilogx(label_counts, inv_propensity, marker=".", linestyle="")
ax_prop.set(xlabel="training points", ylabel="1 / propensity", title="Inverse propensity")
fig.tight_layout()
plt.show()

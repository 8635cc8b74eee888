"""
==========
Quickstart
==========

Train :class:`~skxml.InceptionXMLClassifier` on the embedded *debian-tags* dataset (one-line
Debian package descriptions tagged with their debtags), ask it for the tags of a few
queries, and measure precision@k and propensity-scored precision@k on the test split.

The model is trained for 3 epochs with 64-dimensional embeddings so that this page builds
in about a minute on two CPU cores; the default parameters (10 epochs, 128 dimensions) do
better, see the :doc:`benchmarks </benchmarks>`.
"""

# %%
# Load the data
# -------------
# :func:`~skxml.datasets.load_debian_tags` returns raw texts and a sparse 0/1 label matrix
# whose columns are the same for every split.
import time

import matplotlib.pyplot as plt
import numpy as np

from skxml import InceptionXMLClassifier
from skxml.datasets import load_debian_tags
from skxml.metrics import inverse_propensity, precision_at_k, psp_at_k

train = load_debian_tags(subset="train")
test = load_debian_tags(subset="test")
print(f"train: {len(train.data)} texts, test: {len(test.data)} texts")
print(f"labels: {train.target.shape[1]}, e.g. {train.target_names[[0, 100, 400]].tolist()}")
print(f"a text: {train.data[0]!r}")
print(f"its labels: {train.target_names[train.target[0].indices].tolist()}")

# %%
# Fit
# ---
# The estimator takes the raw texts: tokenisation, the vocabulary and the TF-IDF side
# inputs are learnt inside ``fit``. ``random_state`` makes the fit reproducible.
clf = InceptionXMLClassifier(n_epochs=3, embedding_dim=64, random_state=0)
started = time.perf_counter()
clf.fit(train.data, train.target)
print(f"fit in {time.perf_counter() - started:.1f} s on {clf.device_}")
for record in clf.history_:
    print(f"epoch {record['epoch']}: loss {record['loss']:.4f}, {record['seconds']:.1f} s")

# %%
# Predict the tags of new texts
# -----------------------------
# :meth:`~skxml.InceptionXMLClassifier.predict_labels` returns the ``top_k`` (5) best labels
# of each text, best first. The label matrix had no names, so ``classes_`` holds column
# indices; ``target_names`` turns them into tags. (Fitting on lists of tag names instead
# makes ``predict_labels`` return the names directly.)
queries = [
    "Python bindings for the GTK toolkit",
    "command-line audio player for MP3 and Ogg files",
    "fonts for Chinese, Japanese and Korean text",
]
for query, columns in zip(queries, clf.predict_labels(queries), strict=True):
    print(f"{query!r}\n    -> {train.target_names[columns].tolist()}")

# %%
# Scores and probabilities come back as sparse matrices holding exactly ``top_k`` entries
# per row, whatever the number of labels:
proba = clf.predict_proba(queries[:1])
print(repr(proba))
best = np.argsort(-proba.data)
for column, probability in zip(proba.indices[best], proba.data[best], strict=True):
    print(f"{train.target_names[column]:<24} {probability:.3f}")

# %%
# Evaluate on the test split
# --------------------------
# P@k counts the correct labels among the top k. PSP@k weights each correct label by its
# inverse propensity, so rare labels count more; the propensities come from the
# **training** labels (A=0.55, B=1.5 for this dataset).
started = time.perf_counter()
scores = clf.decision_function(test.data)
elapsed = time.perf_counter() - started
print(f"scored {len(test.data)} test texts in {elapsed:.2f} s")
inv_propensity = inverse_propensity(train.target, A=0.55, B=1.5)
ks = (1, 3, 5)
p_at_k = [100 * precision_at_k(test.target, scores, k=k) for k in ks]
psp_at_k_values = [
    100 * psp_at_k(test.target, scores, k=k, inv_propensity=inv_propensity) for k in ks
]
for k, p, psp in zip(ks, p_at_k, psp_at_k_values, strict=True):
    print(f"P@{k} {p:.2f}   PSP@{k} {psp:.2f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
positions = np.arange(len(ks))
ax.bar(positions - 0.2, p_at_k, width=0.4, label="P@k")
ax.bar(positions + 0.2, psp_at_k_values, width=0.4, label="PSP@k")
ax.set_xticks(positions, [f"k={k}" for k in ks])
ax.set_ylabel("%")
ax.set_title("InceptionXML on debian-tags (test split)")
ax.legend()
fig.tight_layout()
plt.show()

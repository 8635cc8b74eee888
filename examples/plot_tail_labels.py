"""
====================================
Tail labels: P@k versus PSP@k
====================================

Precision@k rewards a model for the frequent labels as much as for the rare ones, and the
frequent ones are the easy ones. Propensity-scored precision (PSP@k) weights every correct
label by its inverse propensity, so a correct rare label counts several times more (see
:ref:`metrics` and the label-distribution example). This example compares three
rankers on *debian-tags* with both metrics, and then breaks their recall down by how
frequent the labels are in training:

* a **popularity baseline** that gives every text the 5 most frequent training labels;
* :class:`~skxml.InceptionXMLClassifier` with ``tfidf_linear=False``;
* the same with ``tfidf_linear=True`` (skxml's default): a sparse linear map from the
  TF-IDF n-grams to the labels, one weight per (n-gram, label) pair seen in training.

Both classifiers are trained on 10,000 texts for 4 epochs.
"""

# %%
# Train the rankers
# -----------------
import time

import matplotlib.pyplot as plt
import numpy as np

from skxml import InceptionXMLClassifier
from skxml.datasets import load_debian_tags
from skxml.metrics import inverse_propensity, precision_at_k, psp_at_k, recall_at_k

train = load_debian_tags(subset="train")
test = load_debian_tags(subset="test")
texts, Y = train.data[:10_000], train.target[:10_000]
label_counts = np.asarray(Y.sum(axis=0)).ravel()

# Ranked label indices, shape (n_test, 5), are accepted by every metric.
popular = np.argsort(-label_counts, kind="stable")[:5]
rankings = {"popularity": np.tile(popular, (len(test.data), 1))}
for tfidf_linear in (False, True):
    name = f"tfidf_linear={tfidf_linear}"
    model = InceptionXMLClassifier(
        tfidf_linear=tfidf_linear, n_epochs=4, embedding_dim=64, random_state=0
    )
    started = time.perf_counter()
    model.fit(texts, Y)
    print(f"{name}: fit in {time.perf_counter() - started:.1f} s")
    scores = model.decision_function(test.data, k=5)
    # Rows of the CSR top-5 matrix, best label first.
    order = np.argsort(-scores.data.reshape(-1, 5), axis=1, kind="stable")
    rankings[name] = np.take_along_axis(scores.indices.reshape(-1, 5), order, axis=1)

# %%
# P@k and PSP@k
# -------------
# The inverse propensities come from the training labels (A=0.55, B=1.5).
ks = (1, 3, 5)
inv_propensity = inverse_propensity(Y, A=0.55, B=1.5)
metrics = {}
for name, ranked in rankings.items():
    metrics[name] = {
        **{f"P@{k}": 100 * precision_at_k(test.target, ranked, k=k) for k in ks},
        **{
            f"PSP@{k}": 100 * psp_at_k(test.target, ranked, k=k, inv_propensity=inv_propensity)
            for k in ks
        },
    }
    print(f"{name:<20}" + "  ".join(f"{key} {value:5.2f}" for key, value in metrics[name].items()))

# %%
# Recall by label frequency
# -------------------------
# The labels are grouped by their number of training texts. For every group, the share of
# the test (text, label) pairs of that group that the ranker puts in its top 5. Group "0"
# holds the labels that no text of the training subset carries.
edges = [0, 1, 11, 51, 201, 1001, np.inf]
groups = ["0", "1–10", "11–50", "51–200", "201–1000", ">1000"]
group_of_label = np.searchsorted(edges, label_counts, side="right") - 1
test_pairs = test.target.tocsr()
true_per_group = np.bincount(group_of_label[test_pairs.indices], minlength=len(groups))
labels_per_group = np.bincount(group_of_label, minlength=len(groups))
recall_by_group = {}
for name, ranked in rankings.items():
    hits = np.zeros(len(groups))
    for row, labels in enumerate(ranked):
        found = np.intersect1d(
            labels, test_pairs.indices[test_pairs.indptr[row] : test_pairs.indptr[row + 1]]
        )
        np.add.at(hits, group_of_label[found], 1)
    recall_by_group[name] = 100 * hits / np.maximum(true_per_group, 1)
    print(
        f"{name:<20} R@5 {100 * recall_at_k(test.target, ranked, k=5):.2f}  by group: "
        + ", ".join(f"{g} {r:.1f}" for g, r in zip(groups, recall_by_group[name], strict=True))
    )
print("labels per group:", dict(zip(groups, labels_per_group.tolist(), strict=True)))
print("test pairs per group:", dict(zip(groups, true_per_group.tolist(), strict=True)))

# %%
fig, (ax_metrics, ax_groups) = plt.subplots(1, 2, figsize=(11, 4))
width = 0.8 / len(rankings)
names = list(metrics[next(iter(metrics))])
positions = np.arange(len(names))
for offset, (name, values) in enumerate(metrics.items()):
    shift = (offset - (len(rankings) - 1) / 2) * width
    ax_metrics.bar(positions + shift, [values[key] for key in names], width=width, label=name)
    ax_groups.bar(np.arange(len(groups)) + shift, recall_by_group[name], width=width, label=name)
ax_metrics.set_xticks(positions, names)
ax_metrics.set(ylabel="% on the test split", title="P@k and PSP@k")
ax_metrics.legend(fontsize=8)
ax_groups.set_xticks(
    np.arange(len(groups)),
    [f"{g}\n({n} labels)" for g, n in zip(groups, labels_per_group, strict=True)],
    fontsize=8,
)
ax_groups.set(
    xlabel="training texts per label",
    ylabel="recall@5 within the group (%)",
    title="Which labels are found",
)
fig.tight_layout()
plt.show()

# %%
# Reading the results
# -------------------
# The popularity baseline shows how far frequent labels alone go: a few tags
# (``role::program``, ``interface::commandline``, ...) are on a large share of the
# packages, so its P@k is far from zero, but it can only find labels of the rightmost
# group. The recall by group shows where each model's correct labels come from, and the
# PSP@k columns weight the groups on the left most. Labels with a handful of training
# texts are the hardest for every ranker, and short training runs like these find mostly
# labels of the frequent groups; the default model trained on the full training split for
# 10 epochs (:doc:`benchmarks </benchmarks>`) reaches a higher PSP@k.

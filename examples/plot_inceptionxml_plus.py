"""
======================================
InceptionXML+ with label clustering
======================================

:class:`~skxml.InceptionXMLPlusClassifier` scores only a *shortlist* of labels per text:
a :class:`~skxml.LabelTreeClusterer` groups the labels into balanced clusters, a meta head
ranks the clusters, and the labels of the ``n_shortlist`` best clusters are scored by the
extreme head. This example looks at the clusters, then trains three configurations on a
subset of *debian-tags* and compares their **shortlist recall** (the share of true labels
the shortlists hold, a ceiling for recall@k) and their precision@k.

With 595 labels, debian-tags is far from the millions of labels InceptionXML+ is made for;
the mechanics are the same, and the fits stay small enough for this page.
"""

# %%
# The label clusters
# ------------------
# The clusterer is fitted on the training texts and labels: each label is represented by
# the normalised sum of the TF-IDF vectors of its texts (PIFA), and the labels are split
# recursively into two halves by spherical 2-means. By default (``max_leaf_size="auto"``)
# the clusters hold 16 to 64 labels, sized by the labels' training texts: at most 16 here.
import time

import matplotlib.pyplot as plt
import numpy as np

from skxml import InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.datasets import load_debian_tags
from skxml.metrics import precision_at_k

train = load_debian_tags(subset="train")
test = load_debian_tags(subset="test")

started = time.perf_counter()
clusterer = LabelTreeClusterer(random_state=0).fit(train.data, train.target)
print(f"{clusterer.n_clusters_} clusters in {time.perf_counter() - started:.2f} s")
sizes = np.diff(clusterer.cluster_indptr_)
print(f"cluster sizes: {sizes.min()} to {sizes.max()} labels")
for cluster in (0, 1, 2):
    names = train.target_names[clusterer.cluster_members(cluster)]
    print(f"cluster {cluster}: {', '.join(names)}")

# %%
# Three configurations
# --------------------
# The classifier clones the ``clusterer`` it is given and fits it on the training data
# (with the classifier's own TF-IDF features, so its clusters can differ slightly from the
# ones above); its parameters are nested parameters of the classifier
# (``clusterer__n_clusters``), so
# :meth:`~sklearn.base.BaseEstimator.set_params` and grid searches reach them.
# ``n_shortlist`` is the number of clusters scored per text (``None``: ``⌈6·√n_clusters⌉``).
#
# The fits use 8,000 training texts and 3 epochs to keep this page fast.
n_subset = 8000
texts, Y = train.data[:n_subset], train.target[:n_subset]
configurations = [
    {"clusterer__n_clusters": 64, "n_shortlist": None},
    {"clusterer__n_clusters": 64, "n_shortlist": 8},
    {"clusterer__n_clusters": 128, "n_shortlist": 8},
]
clf = InceptionXMLPlusClassifier(
    clusterer=LabelTreeClusterer(random_state=0), n_epochs=3, embedding_dim=64, random_state=0
)
results = []
for params in configurations:
    clf.set_params(**params)
    started = time.perf_counter()
    clf.fit(texts, Y)
    fit_seconds = time.perf_counter() - started
    scores = clf.decision_function(test.data)
    result = {
        "n_clusters": clf.n_clusters_,
        "n_shortlist": clf.n_shortlist_,
        "labels scored": clf.shortlist(test.data[:1]).shape[1],
        "shortlist recall": 100 * clf.shortlist_recall(test.data, test.target),
        "P@1": 100 * precision_at_k(test.target, scores, k=1),
        "P@5": 100 * precision_at_k(test.target, scores, k=5),
        "fit s": fit_seconds,
    }
    results.append(result)
    print(
        ", ".join(
            f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
            for key, value in result.items()
        )
    )

# %%
# ``labels scored`` is the width of a shortlist (``n_shortlist`` clusters times the
# largest cluster size; padded entries are masked). Halving the cluster size at a fixed
# number of shortlisted clusters halves the labels the extreme head scores, and the
# shortlist recall shows what that costs: a true label outside the shortlist can never be
# predicted.
fig, ax = plt.subplots(figsize=(7, 3.8))
names = [f"{r['n_clusters']} clusters,\n{r['n_shortlist']} shortlisted" for r in results]
positions = np.arange(len(results))
for offset, metric in enumerate(("shortlist recall", "P@1", "P@5")):
    ax.bar(positions + (offset - 1) * 0.27, [r[metric] for r in results], width=0.27, label=metric)
ax.set_xticks(positions, names)
ax.set_ylabel("% on the test split")
ax.set_ylim(0, 120)
ax.set_yticks(range(0, 101, 20))
ax.legend(ncols=3, loc="upper center")
ax.set_title("InceptionXML+ on debian-tags (8,000 training texts, 3 epochs)")
fig.tight_layout()
plt.show()

# %%
# What the shortlist holds
# ------------------------
# For one text, the labels of its shortlisted clusters (-1 pads the shortlist to a
# rectangle) and where its true labels are.
text = test.data[0]
true_labels = set(test.target[0].indices)
shortlist = clf.shortlist([text])[0]
shortlist = shortlist[shortlist >= 0]
print(repr(text))
print(
    f"{len(shortlist)} labels shortlisted; true labels: "
    f"{[str(train.target_names[label]) for label in sorted(true_labels)]}"
)
print(f"true labels in the shortlist: {len(true_labels & set(shortlist))} of {len(true_labels)}")
print("predicted:", train.target_names[clf.predict_labels([text])[0]].tolist())

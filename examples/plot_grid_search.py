"""
=====================================
Pipeline and GridSearchCV with P@k
=====================================

The skxml classifiers are ordinary scikit-learn estimators: they sit at the end of a
:class:`~sklearn.pipeline.Pipeline`, and :class:`~sklearn.model_selection.GridSearchCV`
tunes them with the ranking metrics of extreme classification as scorers
(:func:`~skxml.metrics.get_xmc_scorer`, :func:`~skxml.metrics.make_xmc_scorer`).

Here a text-cleaning step and one model parameter are searched on a 3,000-text subset of
*debian-tags* with 2-fold cross-validation, so that the 8 fits and the refit take about a
minute on two CPU cores. The grid is a toy; the mechanics are those of a real search.
"""

# %%
# A Pipeline on raw texts
# -----------------------
# The first step is a :class:`~sklearn.preprocessing.FunctionTransformer` that masks
# version numbers ("Qt 5", "Python 3.11" become "Qt #", "Python #"), so that every
# version of a library shares one word. Whether that helps is left to the search: the step
# is a grid parameter, with ``"passthrough"`` as the alternative.
import re
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skxml import InceptionXMLClassifier
from skxml.datasets import load_debian_tags
from skxml.metrics import get_xmc_scorer, inverse_propensity, make_xmc_scorer, psp_at_k

VERSION_NUMBER = re.compile(r"\b\d+(?:\.\d+)*\b")


def mask_version_numbers(texts):
    """Replace every number such as 3 or 2.0.1 by '#'."""
    return [VERSION_NUMBER.sub("#", text) for text in texts]


print(mask_version_numbers(["Qt 5 bindings for Python 3.11"]))

train = load_debian_tags(subset="train")
test = load_debian_tags(subset="test")
n_subset = 3000
texts, Y = train.data[:n_subset], train.target[:n_subset]

pipeline = Pipeline(
    [
        ("clean", FunctionTransformer(mask_version_numbers)),
        (
            "clf",
            InceptionXMLClassifier(n_epochs=5, batch_size=64, embedding_dim=64, random_state=0),
        ),
    ]
)

# %%
# Scorers and the search
# ----------------------
# ``get_xmc_scorer("precision@1")`` scores the ``decision_function`` of the pipeline
# against the held-out fold. The propensity-scored scorer takes its propensities from the
# label counts of the **training** fold (the fitted classifier's ``label_counts_``), never
# from the fold it scores. ``refit="P@1"`` refits the best candidate by P@1 on all 3,000
# texts.
scoring = {
    "P@1": get_xmc_scorer("precision@1"),
    "P@5": make_xmc_scorer("precision", k=5),
    "PSP@5": make_xmc_scorer("psp", k=5, A=0.55, B=1.5),
}
param_grid = {
    "clean": ["passthrough", FunctionTransformer(mask_version_numbers)],
    "clf__tfidf_linear": [False, True],
}
search = GridSearchCV(
    pipeline,
    param_grid,
    scoring=scoring,
    refit="P@1",
    cv=KFold(n_splits=2, shuffle=True, random_state=0),
)
started = time.perf_counter()
search.fit(texts, Y)
print(
    f"{len(search.cv_results_['params'])} candidates x 2 folds + refit in "
    f"{time.perf_counter() - started:.1f} s"
)

# %%
# The cross-validated scores of every candidate (percentages, mean over the 2 folds):
results = search.cv_results_
candidates = [
    f"clean={'mask' if params['clean'] != 'passthrough' else 'none'}, "
    f"tfidf_linear={params['clf__tfidf_linear']}"
    for params in results["params"]
]
for index, name in enumerate(candidates):
    row = "  ".join(
        f"{metric} {100 * results[f'mean_test_{metric}'][index]:6.2f}" for metric in scoring
    )
    print(f"{name:<36} {row}   rank(P@1) {results['rank_test_P@1'][index]}")
print("best:", candidates[search.best_index_])

# %%
fig, ax = plt.subplots(figsize=(8, 3.8))
width = 0.8 / len(scoring)
positions = np.arange(len(candidates))
for offset, metric in enumerate(scoring):
    ax.bar(
        positions + (offset - (len(scoring) - 1) / 2) * width,
        100 * results[f"mean_test_{metric}"],
        width=width,
        yerr=100 * results[f"std_test_{metric}"],
        label=metric,
    )
ax.set_xticks(positions, [name.replace(", ", "\n") for name in candidates], fontsize=8)
ax.set_ylabel("mean over 2 folds (%)")
ax.set_title("GridSearchCV on 3,000 debian-tags texts")
ax.set_ylim(0, 85)
ax.legend(ncols=3, loc="upper center")
fig.tight_layout()
plt.show()

# %%
# The refitted best pipeline on the test split
# --------------------------------------------
# ``search`` itself is now the best pipeline refitted on all 3,000 texts; its ``score`` is
# the ``refit`` metric, and the scorers work on the test split as on a fold.
print(f"test P@1 {100 * search.score(test.data, test.target):.2f}")
scores = search.decision_function(test.data)
inv_propensity = inverse_propensity(Y, A=0.55, B=1.5)
print(f"test PSP@5 {100 * psp_at_k(test.target, scores, k=5, inv_propensity=inv_propensity):.2f}")

"""GridSearchCV with n_jobs=2 (joblib's default loky backend) over the skxml classifiers.

The candidates are fitted in two loky worker processes. joblib caps the thread pools of each
worker through OMP_NUM_THREADS and friends (to ``max(cpu_count() // n_jobs, 1)`` unless the
variable is set in the parent, or to ``inner_max_num_threads``), and torch reads
OMP_NUM_THREADS when it is imported, so by default a worker trains with fewer torch threads
than the parent process.

A CPU fit is bit-identical to another fit *with the same number of torch threads*; across
thread counts the dense kernels (convolutions, matrix products) split their sums
differently and the weights differ in the last bits (about 1e-7 relative after 3 epochs).
So the searches compared here run with one torch thread everywhere: the sequential one and
both refits under ``torch.set_num_threads(1)``, the parallel one's workers with
``inner_max_num_threads=1``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _toy_data import LABELS, TEXTS
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MultiLabelBinarizer

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml.metrics import get_xmc_scorer

# 16 training texts per fold in batches of 8: two steps per epoch.
SMALL = dict(embedding_dim=64, max_seq_len=8, batch_size=8, n_epochs=3, top_k=3, random_state=0)
Y = MultiLabelBinarizer(sparse_output=True).fit_transform(LABELS).tocsr()


def _logit_sum(estimator, X, y):
    """A fingerprint of the fitted network (P@1 on toy data ties at 1.0 too easily)."""
    return float(np.float64(estimator.decision_function(X).data).sum())


def _torch_threads(estimator, X, y):
    """The number of torch threads of the process that fitted and scored the candidate."""
    return float(torch.get_num_threads())


SCORING = {
    "p@1": get_xmc_scorer("precision@1"),
    "logit_sum": _logit_sum,
    "torch_threads": _torch_threads,
}
SCORE_KEYS = [f"split{split}_test_{name}" for split in range(2) for name in SCORING]


def _plus_pipeline():
    # A lambda is fine: loky pickles the estimators with cloudpickle.
    return make_pipeline(
        FunctionTransformer(lambda texts: [text.lower() for text in texts]),
        InceptionXMLPlusClassifier(**SMALL, clusterer=LabelTreeClusterer(), n_shortlist=1),
    )


CASES = {
    "inception_xml": (
        lambda: InceptionXMLClassifier(**SMALL),
        {"learning_rate": [0.001, 0.01]},
    ),
    "inception_xml_plus": (
        lambda: InceptionXMLPlusClassifier(**SMALL, n_shortlist=1),
        {"learning_rate": [0.001, 0.01]},
    ),
    "plus_pipeline_nested_clusterer": (
        _plus_pipeline,
        {"inceptionxmlplusclassifier__clusterer__n_clusters": [2, 4]},
    ),
}


def _search(estimator, grid, n_jobs):
    return GridSearchCV(
        estimator, grid, scoring=SCORING, refit="p@1", cv=2, n_jobs=n_jobs, error_score="raise"
    ).fit(TEXTS, Y)


@pytest.fixture(scope="module", params=list(CASES))
def searches(request):
    """The same search run in this process and in two loky workers, one torch thread each
    (the refit of the best candidate runs in this process in both cases)."""
    make_estimator, grid = CASES[request.param]
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        sequential = _search(make_estimator(), grid, n_jobs=1)
        with parallel_config(backend="loky", inner_max_num_threads=1):
            parallel = _search(make_estimator(), grid, n_jobs=2)
    finally:
        torch.set_num_threads(previous)
    return grid, sequential, parallel


def test_parallel_search_picks_a_candidate_of_the_grid(searches):
    grid, _, parallel = searches
    ((name, values),) = grid.items()
    assert parallel.best_params_[name] in values
    assert sorted(parallel.cv_results_[f"param_{name}"]) == sorted(values)
    best = parallel.best_estimator_
    assert best.get_params()[name] == parallel.best_params_[name]
    assert best.predict(TEXTS[:4]).shape == (4, Y.shape[1])


def test_parallel_search_scores_every_candidate(searches):
    _, _, parallel = searches
    for key in SCORE_KEYS:
        assert np.isfinite(parallel.cv_results_[key]).all(), key
    precision = parallel.cv_results_["mean_test_p@1"]
    assert ((precision >= 0) & (precision <= 1)).all()


def test_parallel_search_fits_in_workers_with_one_torch_thread(searches):
    _, _, parallel = searches
    for split in range(2):
        np.testing.assert_array_equal(parallel.cv_results_[f"split{split}_test_torch_threads"], 1)


def test_parallel_search_equals_sequential_search(searches):
    # Exact equality: with equal thread counts the fits in the workers are bit-identical.
    _, sequential, parallel = searches
    for key in SCORE_KEYS:
        np.testing.assert_array_equal(parallel.cv_results_[key], sequential.cv_results_[key])
    assert parallel.best_params_ == sequential.best_params_
    queries = TEXTS[:8]
    np.testing.assert_array_equal(
        parallel.best_estimator_.decision_function(queries).toarray(),
        sequential.best_estimator_.decision_function(queries).toarray(),
    )

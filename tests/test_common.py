"""scikit-learn's own estimator checks on every skxml estimator.

scikit-learn 1.9 runs its data-dependent common checks only on estimators that accept 2-D
numeric arrays; skxml's estimators take raw texts (``input_tags.string``), so
``parametrize_with_checks`` yields only the checks that apply (cloneability). The
data-independent API checks are run directly below; the data-dependent behaviour (fit
idempotence, pickling, clone, Pipeline, GridSearchCV, reproducibility, bad input) is tested
with text data in each estimator's own test module.
"""

from __future__ import annotations

import pytest
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from skxml import InceptionXMLClassifier
from skxml.text import SequenceEncoder

ESTIMATORS = [InceptionXMLClassifier(n_epochs=1, embedding_dim=64), SequenceEncoder()]

# Every check below passes; none is expected to fail.
API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_mixin_order",
    "check_param_validation",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimator_sparse_tag",
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check_name", API_CHECKS)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_sklearn_api_check(estimator, check_name):
    getattr(estimator_checks, check_name)(type(estimator).__name__, estimator)

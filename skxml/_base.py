"""What the InceptionXML classifiers share: inputs, the training loop, top-k prediction, pickling.

The estimators keep plain hyperparameters in ``__init__`` and build every torch object in
``fit`` (the skorch split), so ``clone``, ``get_params`` and grid search work. Subclasses
provide the network (``_build_network``) and the loss of one batch (``_batch_loss``); this
module owns everything else.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import inspect
import itertools
import math
import os
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from numbers import Integral, Real
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import check_is_fitted
from torch import nn

import skxml
from skxml._checkpoint import (
    check_checkpoint_path,
    copy_state_to_cpu,
    load_checkpoint,
    save_checkpoint,
    to_cpu,
    training_data_fingerprint,
)
from skxml._devices import (
    _concrete_device,
    _predicts_in_bf16,
    _resolve_device,
    _uses_bf16,
    to_device,
)
from skxml._distributed import (
    DistributedContext,
    TrainingStep,
    distributed_context,
    use_dense_gradients,
)
from skxml._label_input import (
    _as_label_input,
    _binarize_known_labels,
    _fit_label_binarizer,
    _in_classes_order,
    _is_label_lists,
    _label_column_names,
    _named_label_matrix,
    _nested_list_hint,
)
from skxml._label_weights import propensity_positive_weights
from skxml._linear_map_support import cooccurrence_support, neighbour_confusions
from skxml._optimizers import _fused_adam, _has_momentum, _sparse_gradient_parameters
from skxml._sparse_rows import (
    _csr_from_arrays,
    _csr_rows_to_bag,
    _csr_rows_to_dense,
    _top_k_to_csr,
)
from skxml._text_features import transform_texts
from skxml.datasets._token_corpus import TokenCorpus
from skxml.metrics import precision_at_k
from skxml.metrics._scorer import (
    _label_lists_as_matrix,
    _with_unreachable_columns,
    warn_if_no_label_is_known,
)
from skxml.nn import BagOfWordsEncoder, InceptionXMLEncoder, SparseLinearHead
from skxml.nn._network import BagOfWordsBatch
from skxml.text import SequenceEncoder, load_word_vectors
from skxml.text._tokenizer import tfidf_preprocessor
from skxml.text._word_vectors import _package_file, bundled_token_coverage
from skxml.utils._threads import one_thread_for_few_texts
from skxml.utils._validation import (
    RefusesBooleansAsNumbers,
    check_label_matrix,
    check_ngram_range,
    check_sample_weight,
    check_texts,
    check_token_pattern,
    is_table,
    refuse_booleans_as_numbers,
)

# Texts scored per forward pass at prediction time, at most: fewer when the (batch, labels)
# scores would pass _PREDICT_MAX_SCORES floats (512 MB), e.g. 32 texts at 2.8M labels; on a
# GPU _PREDICT_MAX_SCORES_CUDA bf16 scores (1 GB), e.g. 512 texts at 670K labels.
_PREDICT_BATCH_SIZE = 1024
_PREDICT_MAX_SCORES = 1 << 27
_PREDICT_MAX_SCORES_CUDA = 1 << 29
# Texts tokenised at a time at prediction time: token ids and TF-IDF rows of more never
# exist at once, so memory beyond the O(n·k) result does not grow with n.
_PREDICT_CHUNK_SIZE = 16 * _PREDICT_BATCH_SIZE
_PREDICT_ITER_METHODS = ("predict", "predict_proba", "decision_function", "predict_labels")

# Above this many weights the sparse linear map gets sparse gradients (on debian-deps, with
# ~10^6 pairs per batch, a SparseAdam step took 184 ms against ~100 ms for dense Adam).
_SPARSE_LINEAR_MIN_WEIGHTS = 50_000_000
# Momentum of the SGD that steps the sparse linear maps (cycled 0.85-0.95 by the one-cycle
# schedule).
_LINEAR_MOMENTUM = 0.9

# Width of embeddings learned from scratch when ``embedding_dim`` is None.
DEFAULT_EMBEDDING_DIM = 128
# word_vectors="auto": these bundled vectors, when at least this share of the training
# texts' word occurrences have one (and embedding_dim is None). Measured, InceptionXML
# random_state=0, P@1 / PSP@5 against embeddings from scratch: wordnet-hypernyms (general
# English, 91 % covered) +1.8 / +2.4; debian-tags (77 %) +0.1 / -0.2; debian-deps (76 %)
# -0.5 / -1.0. 0.8 is about where the gain crosses zero between those points.
AUTO_WORD_VECTORS = "glove-6b-50d-50k"
AUTO_WORD_VECTORS_MIN_COVERAGE = 0.8

# Parameters that may change between a checkpointed fit and the fit that resumes it.
_PARAMETERS_FREE_ON_RESUME = frozenset({"verbose", "device", "checkpoint_path", "warm_start"})

# Parameters a warm start may change: they steer training or prediction. Every other one
# shapes the fitted model (vocabulary, architecture, label structure) and is fixed by the
# first fit, so a warm start refuses a change to it instead of ignoring it.
_PARAMETERS_FREE_ON_WARM_START = frozenset(
    {
        "n_epochs",
        "batch_size",
        "learning_rate",
        "linear_learning_rate",
        "weight_decay",
        "hard_negatives",
        "easy_negative_weight",
        "propensity_weighting",
        "detach_fraction",
        "top_k",
        "threshold",
        "combine_meta_scores",
        "meta_score_weight",
        "validation_fraction",
        "n_iter_no_change",
        "device",
        "precision",
        "random_state",
        "verbose",
        "warm_start",
        "checkpoint_path",
    }
)


# Parameters whose default does not reproduce what models saved before the parameter
# existed did, with the value that does (read by __setstate__ for such models).
_VALUES_BEFORE_ADDED: dict[str, Any] = {
    "split_cjk": False,  # 2026-12-06: older models were fitted on white-space tokens
    # 2026-12-07: older models read the characters as they were (no NFKC normalisation).
    "normalize_unicode": False,
    # 2026-12-06: InceptionXML+ models trained their extreme head with plain BCE over the
    # shortlist (InceptionXML models have had the parameter since their first version).
    "hard_negatives": None,
}

# A fit whose last epoch's mean training loss exceeds its first epoch's by this factor
# warns that it is diverging (a loss that is not finite is an error). A healthy fit ends far
# below its first epoch (the test suite's toy data, 4 epochs: 1.07 → 0.18); with learning
# rates 2·10⁴ times the default the same fits went 278 → 3,968 (InceptionXML) and
# 1,566 → 57,344 (InceptionXML+).
_DIVERGING_LOSS_RATIO = 2.0

# Types of prediction parameter values whose last validation is remembered (compared by
# type and value; anything else, e.g. a NumPy scalar, is validated on every call).
_PLAIN_PARAMETER_TYPES = (int, float, bool, str, type(None))

# Attributes that exist only while fit runs: dropped when it ends and when the estimator is
# pickled (a checkpoint pickles it mid-fit; _positive_weights may be on a GPU).
_FIT_TIME_ATTRIBUTES = (
    "_last_epoch_state",
    "_positive_weights",
    "_context",
    "_fitting",
    "_detach_extreme",
    "_snapshot_is_from_before_fit",
)

# Derived prediction state of each fitted network (its frozen CPU copy, InceptionXML+'s
# cluster-size table, the prediction parameters last found valid), built on the first
# prediction. Kept beside the estimators rather than in them, so that predicting leaves an
# estimator's __dict__ unchanged (scikit-learn's check_dict_unchanged) and none of it is
# pickled; an entry goes with its network.
_MISSING = object()  # a cache entry not computed yet (None may be a computed value)
_PREDICTION_CACHE: weakref.WeakKeyDictionary[nn.Module, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)


def _number_kind(value: Any) -> str | None:
    """``"bool"``, ``"int"`` or ``"real"`` for a number (NumPy's too), else ``None``."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, Integral):
        return "int"
    if isinstance(value, Real):
        return "real"
    return None


def _values(value: Any) -> np.ndarray:
    """An array-like parameter's values as a NumPy array (a GPU tensor's too)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _describe_parameter(value: Any) -> str:
    """``value`` as text that is the same in two processes given equal values: an array by
    its shape and a digest of its values, a random generator by its type (a data-parallel
    fit replaces every rank's seed with rank 0's), an estimator by its parameters."""
    if isinstance(value, BaseEstimator):
        inner = ", ".join(
            f"{name}={_describe_parameter(item)}"
            for name, item in sorted(value.get_params(deep=False).items())
        )
        return f"{type(value).__name__}({inner})"
    if isinstance(value, (np.random.RandomState, np.random.Generator)):
        return type(value).__name__
    if hasattr(value, "__array__") and not isinstance(value, (str, os.PathLike)):
        array = np.ascontiguousarray(_values(value))
        digest = hashlib.blake2b(array.tobytes(), digest_size=8).hexdigest()
        return f"array of shape {array.shape} ({digest})"
    return repr(value)


def _counts_or_fractions(constraints: Any) -> bool:
    """Whether a parameter's constraints take both an int (a count) and a non-integral
    float (a fraction), as ``min_df``'s do: then ``1`` and ``1.0`` mean other things."""
    intervals = [c for c in constraints or () if isinstance(c, Interval)]
    return any(c.type is Integral for c in intervals) and any(
        c.type is RealNotInt for c in intervals
    )


def _same_parameter(first: Any, second: Any, constraints: Any = None) -> bool:
    """Whether two values of a parameter configure the same model.

    ``constraints`` is the parameter's entry in ``_parameter_constraints``. Stricter than
    ``==`` where ``==`` hides a difference: where they take both counts and fractions
    (:func:`_counts_or_fractions`), ``1`` and ``1.0`` differ, as for ``min_df``; a bool is
    no number; arrays, tensors and
    tables compare by their values (``==`` is elementwise for them); estimators by their
    parameters. Looser where ``==`` sees a difference that is none: two random generators
    of one type are the same (``==`` is identity for them, and a copy, or the generator's
    own use, moves it on), and so are a path given as a str and as a ``Path``.
    """
    if isinstance(first, BaseEstimator) or isinstance(second, BaseEstimator):
        if type(first) is not type(second):
            return False
        ours, theirs = first.get_params(deep=False), second.get_params(deep=False)
        nested = getattr(first, "_parameter_constraints", {})
        return ours.keys() == theirs.keys() and all(
            _same_parameter(ours[name], theirs[name], nested.get(name)) for name in ours
        )
    generators = (np.random.RandomState, np.random.Generator)
    if isinstance(first, generators) or isinstance(second, generators):
        return type(first) is type(second)
    kinds = _number_kind(first), _number_kind(second)
    if None not in kinds:
        if "bool" in kinds or _counts_or_fractions(constraints):
            return kinds[0] == kinds[1] and bool(first == second)
        return bool(first == second)
    paths = (str, os.PathLike)
    if isinstance(first, paths) and isinstance(second, paths):
        return os.fspath(first) == os.fspath(second)
    if hasattr(first, "__array__") or hasattr(second, "__array__"):  # arrays, tensors, tables
        try:
            return bool(np.array_equal(_values(first), _values(second)))
        except (TypeError, ValueError):  # not both convertible: not the same
            return False
    if isinstance(first, (list, tuple)) and isinstance(second, (list, tuple)):
        first, second = list(first), list(second)  # (1, 2) and [1, 2]: the same n-gram range
    try:
        return bool(first == second)
    except (TypeError, ValueError):  # an == that gives no single truth value
        return False


def _prediction_batch_size(
    n_labels: int, device: torch.device | None = None, *, bf16: bool = True
) -> int:
    """Texts per forward pass: a power of two, ≤ 1024, with ≤ 2^27 (batch × label) scores
    (on a GPU 2^29 bf16 scores, or 2^28 float32 ones: 1 GB either way)."""
    on_gpu = device is not None and device.type == "cuda"
    limit = _PREDICT_MAX_SCORES
    if on_gpu:
        limit = _PREDICT_MAX_SCORES_CUDA if bf16 else _PREDICT_MAX_SCORES_CUDA // 2
    fitting = max(1, limit // max(n_labels, 1))
    return min(_PREDICT_BATCH_SIZE, 1 << (fitting.bit_length() - 1))


def _is_auto(word_vectors: Any) -> bool:
    """Whether ``word_vectors`` is the string ``"auto"``."""
    return isinstance(word_vectors, str) and word_vectors == "auto"


# n_epochs="auto": the default number of epochs, or more for a small training set, so that
# the one-cycle schedule has at least this many optimiser steps. Measured on the first 200 /
# 500 / 1,000 debian-tags training texts (benchmarks/small_data_epochs.py, 2026-12-07): 10
# epochs (2 / 4 / 8 steps each) gave InceptionXML P@1 51.9 / 67.3 / 73.1, at least 200 steps
# 65.1 / 69.5 / 73.0 (PSP@5 +11.4 / +4.4 / +2.4); 100 and 400 steps in between or level. A
# training set of 2,434 texts or more (at batch_size=128) keeps 10 epochs.
_AUTO_EPOCHS = 10
_AUTO_MIN_STEPS = 200


def resolve_n_epochs(n_epochs: int | str, steps_per_epoch: int) -> int:
    """The epochs a fit runs: ``n_epochs``, or for ``"auto"`` 10 epochs or as many more as
    make at least 200 optimiser steps."""
    if n_epochs != "auto":
        return int(n_epochs)
    return max(_AUTO_EPOCHS, math.ceil(_AUTO_MIN_STEPS / max(steps_per_epoch, 1)))


def _is_array(word_vectors: Any) -> bool:
    """Whether ``word_vectors`` is a matrix of vectors (not None, a name or a path)."""
    return word_vectors is not None and not isinstance(word_vectors, (str, os.PathLike))


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    """Float64 probabilities ``1 / (1 + exp(-logit))`` of logits.

    Float64, not the logits' float32: float32 rounds every logit above ~16.6 to exactly 1.0
    (and below ~-103 to 0), which ties labels a confident model ranks apart; float64 keeps
    them apart up to ~36.7 (and down to ~-745)."""
    with np.errstate(over="ignore"):  # exp(745+) is inf, and 1 / inf the 0.0 it should be
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))


def _plain(value: Any) -> Any:
    """A NumPy scalar label (``np.int64(7)``, ``np.str_("a")``) as the Python object it holds,
    anything else as it is: ``json.dumps`` takes the former only."""
    return value.item() if isinstance(value, np.generic) else value


def _weights_and_kept_rows(
    sample_weight: Any, n_samples: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The checked weights of the texts fitted on, and which rows those are (None: all)."""
    weights = check_sample_weight(sample_weight, n_samples)
    if weights is None or weights.all():
        return weights, None
    kept = np.flatnonzero(weights)
    return weights[kept], kept


def _labels_of_weighted_rows(labels: sp.csr_matrix, weights: np.ndarray | None) -> sp.csr_matrix:
    """``labels`` with the rows of weight 0 emptied (a new matrix only when there are any)."""
    if weights is None or weights.all():
        return labels
    kept = sp.diags((weights > 0).astype(labels.dtype)) @ labels
    kept.eliminate_zeros()
    return sp.csr_matrix(kept)


def _scaled_sample_weights(weights: np.ndarray | None) -> np.ndarray | None:
    """Weights scaled to a mean of 1 over the texts trained on (those of weight > 0), so the
    loss keeps its scale and the learning rates their meaning; None when all are equal,
    which trains exactly as without weights."""
    if weights is None:
        return None
    positive = weights[weights > 0]
    if positive.size == weights.size and np.ptp(weights) == 0:
        return None
    return weights / positive.mean()


class BaseInceptionXML(RefusesBooleansAsNumbers, ClassifierMixin, BaseEstimator):
    """Shared machinery of the InceptionXML classifiers (not public API).

    Subclasses define ``_build_network(n_tokens, embedding_weights, bag, labels)`` and may
    override ``_batch_loss``.
    """

    classes_: np.ndarray
    _label_binarizer_: MultiLabelBinarizer | None
    sequence_encoder_: SequenceEncoder
    tfidf_vectorizer_: TfidfVectorizer | None
    # Set for the length of a fit (propensity_weighting): each label's weight as a positive.
    _positive_weights: torch.Tensor | None = None

    _parameter_constraints: dict = {
        "max_seq_len": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), None],
        "model_dim": [Interval(Integral, 1, None, closed="left"), None],
        "word_vectors": ["array-like", str, os.PathLike, None],
        "freeze_embeddings": ["boolean"],
        "min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "max_features": [Interval(Integral, 1, None, closed="left"), None],
        "split_cjk": ["boolean"],
        "normalize_unicode": ["boolean"],
        "word_attention": ["boolean"],
        "embedding_attention": ["boolean"],
        "tfidf_embedding": ["boolean"],
        "tfidf_linear": ["boolean"],
        "tfidf_linear_min_confidence": [Interval(Real, 0, 1, closed="both")],
        "tfidf_linear_neighbours": [Interval(Integral, 0, None, closed="left")],
        "tfidf_ngram_range": [tuple],
        "tfidf_token_pattern": [str, None],
        "tfidf_min_df": [
            Interval(Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="right"),
        ],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "output_dropout": [Interval(Real, 0, 1, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "linear_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        # Read by _train for both models' losses.
        "propensity_weighting": [Interval(Real, 0, 2, closed="both")],
        "top_k": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, 0, 1, closed="both"), None],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        # Any torch device string ("cuda:1"...); checked by _resolve_device.
        "device": [str],
        "precision": [StrOptions({"auto", "float32", "bfloat16"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "checkpoint_path": [str, os.PathLike, None],
    }

    # ------------------------------------------------------------------ inputs
    def _check_fit_inputs(
        self, X: Any, Y: Any, sample_weight: Any, *, reuse_fitted: bool
    ) -> tuple[list[str], sp.csr_matrix, np.ndarray | None]:
        """The texts, their 0/1 labels and their weights, without the texts of weight 0
        (fitting on the rest is fitting as if those texts were not there)."""
        texts = check_texts(X)
        if Y is None:
            raise TypeError(
                "Y must be a 2-D array-like or scipy.sparse matrix of 0/1 values, or label "
                "lists; got None (Y may be None only when X is a TokenCorpus)."
            )
        Y = _as_label_input(Y)
        if _is_label_lists(Y):
            if len(Y) != len(texts):
                raise ValueError(
                    f"X and Y have different numbers of samples: {len(texts)} texts, "
                    f"{len(Y)} label lists."
                )
            weights, kept = _weights_and_kept_rows(sample_weight, len(texts))
            if kept is not None:
                texts, Y = [texts[row] for row in kept], [Y[row] for row in kept]
                if not any(len(row) for row in Y):
                    raise ValueError(
                        f"Y has no positive entry: none of its {len(Y)} rows of positive "
                        "sample_weight has a label, so there is nothing to learn."
                    )
            if reuse_fitted and self._label_binarizer_ is None:
                raise ValueError(
                    "warm_start=True (or resume_from) continues training the fitted model, "
                    "which was fitted on a label matrix (its labels are column indices), but "
                    "Y is a list of label lists; pass a 0/1 matrix with the same columns."
                )
            binarizer = (
                cast(MultiLabelBinarizer, self._label_binarizer_)
                if reuse_fitted
                else _fit_label_binarizer(Y)
            )
            labels, unseen = _binarize_known_labels(binarizer, Y)
            if unseen:
                raise ValueError(
                    "Y holds labels the first fit did not have; warm_start=True (or "
                    "resume_from) continues training on the same labels only. New "
                    f"label(s): {unseen}. Refit with warm_start=False to learn a new "
                    "label set."
                )
            self._label_binarizer_ = binarizer
            classes = np.asarray(binarizer.classes_, dtype=object)
            labels = check_label_matrix(labels)
        else:
            labels = check_label_matrix(Y, value_hint=_nested_list_hint(Y))
            if labels.shape[0] != len(texts):
                raise ValueError(
                    f"X and Y have different numbers of samples: {len(texts)} texts, "
                    f"{labels.shape[0]} rows in Y."
                )
            weights, kept = _weights_and_kept_rows(sample_weight, len(texts))
            if kept is not None:
                texts, labels = [texts[row] for row in kept], labels[kept]
            # A DataFrame's column names are the labels' names, as label lists' are.
            column_names = _label_column_names(Y)
            if reuse_fitted:
                # A matrix continues in the fitted model's columns: classes_ (and the names
                # of a model fitted on label lists) stay as they are; named columns are
                # matched to them by name.
                if column_names is not None and self._label_binarizer_ is not None:
                    labels = _in_classes_order(labels, column_names, self.classes_, name="Y")
                classes = self.classes_
            elif column_names is None:
                self._label_binarizer_ = None
                classes = np.arange(labels.shape[1])
            else:
                self._label_binarizer_ = MultiLabelBinarizer(
                    classes=list(column_names), sparse_output=True
                ).fit([])
                classes = column_names
        if reuse_fitted and labels.shape[1] != len(self.classes_):
            raise ValueError(
                f"warm_start=True (or resume_from) continues training the fitted model, which "
                f"has {len(self.classes_)} labels, but Y has {labels.shape[1]} columns."
            )
        if labels.nnz == 0:
            weighted = " of positive sample_weight" if weights is not None else ""
            raise ValueError(
                f"Y has no positive entry: none of its {labels.shape[0]} rows{weighted} has a "
                "label, so there is nothing to learn."
            )
        self.classes_ = classes
        return texts, labels, weights

    def _fit_text_features(
        self, texts: Sequence[str]
    ) -> tuple[SequenceEncoder, TfidfVectorizer | None]:
        """The vocabularies of the texts under this estimator's parameters (sets nothing)."""
        try:
            sequence_encoder = SequenceEncoder(
                max_seq_len=self.max_seq_len,
                min_df=self.min_df,
                max_features=self.max_features,
                split_cjk=self.split_cjk,
                normalize_unicode=self.normalize_unicode,
            ).fit(texts)
        except ValueError as exc:
            raise ValueError(f"X has no usable word: {exc}") from exc
        if not self._uses_tfidf:
            return sequence_encoder, None
        ngram_range = check_ngram_range(self.tfidf_ngram_range, name="tfidf_ngram_range")
        if self.tfidf_token_pattern is not None:
            check_token_pattern(self.tfidf_token_pattern, name="tfidf_token_pattern")
        # Either scikit-learn's word analyser (stop words kept: "module for" and "for
        # python" are telling bigrams) or the encoder's paper tokenizer.
        # With split_cjk, sklearn's word n-grams of Chinese and Japanese text are character
        # n-grams (the preprocessor replaces sklearn's lower-casing, so it lower-cases too);
        # with normalize_unicode they read the NFKC text, as the tokenizer does.
        analyser: dict[str, Any] = (
            {
                "token_pattern": self.tfidf_token_pattern,
                "preprocessor": tfidf_preprocessor(
                    normalize_unicode=self.normalize_unicode, split_cjk=self.split_cjk
                ),
            }
            if self.tfidf_token_pattern is not None
            else {
                "tokenizer": sequence_encoder.tokenizer_,
                "lowercase": False,
                "token_pattern": None,
            }
        )
        vectorizer = TfidfVectorizer(
            **analyser,
            ngram_range=ngram_range,
            min_df=self.tfidf_min_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        try:
            vectorizer.fit(texts)
        except ValueError as exc:  # empty vocabulary: no token at all, or none after min_df
            switches = " and ".join(f"{name}=False" for name in self._tfidf_switches)
            analyse = vectorizer.build_analyzer()
            if self.tfidf_token_pattern is not None and not any(map(analyse, texts)):
                raise ValueError(
                    f"tfidf_token_pattern={self.tfidf_token_pattern!r} finds no token in the "
                    "training texts (texts of emoji or punctuation only?); set "
                    "tfidf_token_pattern=None to build the TF-IDF n-grams from the encoder's "
                    f"tokens, or {switches}."
                ) from exc
            if isinstance(self.tfidf_min_df, Integral) and int(self.tfidf_min_df) > len(texts):
                # scikit-learn's own words for it ("max_df corresponds to < documents than
                # min_df") say nothing of a count above the number of texts.
                cause = f"it is more than the {len(texts)} training texts"
            else:
                cause = str(exc)
            raise ValueError(
                f"tfidf_min_df={self.tfidf_min_df} leaves no n-gram in the training texts "
                f"({cause}); lower tfidf_min_df or set {switches}."
            ) from exc
        return sequence_encoder, vectorizer

    # The parameters that switch the TF-IDF inputs on (all off: no vectorizer is fitted).
    _tfidf_switches: tuple[str, ...] = ("tfidf_embedding", "tfidf_linear")

    @property
    def _uses_tfidf(self) -> bool:
        return any(getattr(self, name) for name in self._tfidf_switches)

    def _corpus_inputs(
        self, corpus: TokenCorpus, Y: Any, *, reuse_fitted: bool
    ) -> tuple[np.ndarray, sp.csr_matrix | None, sp.csr_matrix]:
        """The memory-mapped training arrays of a corpus, after checking it fits this model."""
        if Y is not None:
            raise ValueError(
                "y must be None when X is a TokenCorpus (the corpus holds the labels), got "
                f"{type(Y).__name__}."
            )
        if self.validation_fraction is not None:
            raise ValueError(
                "validation_fraction would copy the rest of the corpus into memory; with a "
                "TokenCorpus, pass validation_data=(texts, Y) instead."
            )
        if (corpus.bag is not None) != self._uses_tfidf:
            switches = ", ".join(
                f"{name}={getattr(self, name)!r}" for name in self._tfidf_switches
            )
            raise ValueError(
                f"The corpus at {corpus.path} was prepared "
                f"{'with' if corpus.bag is not None else 'without'} TF-IDF n-grams, but this "
                f"estimator uses {'them' if self._uses_tfidf else 'none'} ({switches}). Write "
                "it again with write_token_corpus(..., estimator=<this estimator>)."
            )
        differing = [
            f"{name}={getattr(self, name)!r} (corpus: {value!r})"
            for name, value in corpus.text_parameters.items()
            if not _same_parameter(
                getattr(self, name), value, self._parameter_constraints.get(name)
            )
        ]
        if differing:
            raise ValueError(
                f"The corpus at {corpus.path} was prepared with other text parameters: "
                f"{', '.join(differing)}. Write it again with write_token_corpus(..., "
                "estimator=<this estimator>)."
            )
        if reuse_fitted:
            same_vocabulary = (
                corpus.sequence_encoder.vocabulary_ == self.sequence_encoder_.vocabulary_
            )
            if not (np.array_equal(corpus.classes, self.classes_) and same_vocabulary):
                raise ValueError(
                    "warm_start=True (or resume_from) continues training the fitted model, "
                    f"but the corpus at {corpus.path} has other labels or another vocabulary."
                )
        else:
            self.sequence_encoder_ = corpus.sequence_encoder
            self.tfidf_vectorizer_ = corpus.tfidf_vectorizer
        self.classes_ = corpus.classes
        self._label_binarizer_ = corpus.label_binarizer
        return corpus.tokens, corpus.bag, corpus.labels

    def _prepare_text_features(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, sp.csr_matrix | None]:
        """Token ids and TF-IDF rows of ``texts`` under the fitted vocabularies."""
        return transform_texts(self.sequence_encoder_, self.tfidf_vectorizer_, texts)

    def _resolved_word_vectors(self, token_ids: np.ndarray) -> Any:
        """``word_vectors`` with ``"auto"`` decided: the bundled English vectors when
        ``embedding_dim`` is None and they cover enough of the training words, else None."""
        if not _is_auto(self.word_vectors):
            return self.word_vectors
        if self.embedding_dim is not None:
            return None
        self.word_vectors_token_coverage_ = bundled_token_coverage(
            AUTO_WORD_VECTORS, self.sequence_encoder_.vocabulary_, token_ids
        )
        if self.word_vectors_token_coverage_ >= AUTO_WORD_VECTORS_MIN_COVERAGE:
            return AUTO_WORD_VECTORS
        return None

    def _embedding_weights(self, token_ids: np.ndarray) -> np.ndarray | None:
        # Only this fit's vectors may leave their coverage (a refit may read none).
        for name in ("word_vectors_coverage_", "word_vectors_token_coverage_"):
            self.__dict__.pop(name, None)
        vocabulary = self.sequence_encoder_.vocabulary_
        word_vectors = self._resolved_word_vectors(token_ids)
        if word_vectors is None:
            self.word_vectors_ = None
            return None
        if isinstance(word_vectors, (str, os.PathLike)):
            self.word_vectors_ = os.fspath(word_vectors)
            if _is_auto(self.word_vectors):
                # The bundled file itself: "auto" measured its coverage, so a file in the
                # working directory that happens to bear its name must not replace it.
                word_vectors = _package_file(AUTO_WORD_VECTORS)
            vectors = load_word_vectors(word_vectors, vocabulary, random_state=self._torch_seed)
            self.word_vectors_coverage_ = vectors.coverage
            return vectors.matrix
        self.word_vectors_ = "array"
        given = np.asarray(word_vectors)
        if given.dtype.kind not in "biuf":
            raise TypeError(
                f"word_vectors given as an array must hold numbers, got dtype {given.dtype}."
            )
        with np.errstate(over="ignore"):
            matrix = given.astype(np.float32)
        if not np.isfinite(matrix).all():
            overflow = np.isfinite(given).all()
            raise ValueError(
                "word_vectors given as an array must be finite: "
                + (
                    "some values are beyond float32's range (about 3.4e38)."
                    if overflow
                    else "it holds NaN or infinite values."
                )
            )
        expected = self.sequence_encoder_.vocabulary_size_
        if matrix.ndim != 2 or matrix.shape[0] != expected:
            raise ValueError(
                "word_vectors given as an array must have shape (vocabulary_size, dim) aligned "
                f"with the fitted vocabulary, i.e. ({expected}, dim); got {matrix.shape}. Pass a "
                "file path instead to have skxml align the vectors with the vocabulary."
            )
        return matrix

    # ------------------------------------------------------------------ fitting
    @property
    def _is_warm(self) -> bool:
        return bool(self.warm_start) and hasattr(self, "network_")

    def _validation_split(
        self, n_samples: int, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray]:
        order = rng.permutation(n_samples)
        if self.validation_fraction is None:
            return order, order[:0]
        n_validation = max(1, round(self.validation_fraction * n_samples))
        if n_validation >= n_samples - 1:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves fewer than 2 training "
                f"samples out of {n_samples}."
            )
        return np.sort(order[n_validation:]), np.sort(order[:n_validation])

    def _fit(
        self,
        X: Any,
        Y: Any,
        validation_data: tuple[Any, Any] | None,
        resume_from: str | os.PathLike | None = None,
        sample_weight: Any = None,
    ) -> BaseInceptionXML:
        # A failed fit, or Ctrl-C before the first complete epoch, puts this state back.
        state_before_fit = dict(self.__dict__)
        if "history_" in state_before_fit:  # appended to in place by a warm start's epochs
            state_before_fit["history_"] = list(state_before_fit["history_"])
        # The frozen inference copy is of the network before this fit; predictions made
        # during it (validation) use the modules.
        self._forget_prediction_cache()
        # The fitting thread (an identifier is never 0): prediction from any other thread
        # is refused while it runs (see _prediction_device).
        self._fitting = threading.get_ident()
        try:
            return self._fit_interruptible(X, Y, validation_data, resume_from, sample_weight)
        except KeyboardInterrupt:
            self._recover_from_failed_fit(state_before_fit, "was interrupted")
            raise
        except Exception:
            self._recover_from_failed_fit(state_before_fit, "failed")
            raise
        finally:
            for name in _FIT_TIME_ATTRIBUTES:
                self.__dict__.pop(name, None)
            self._forget_prediction_cache()

    def _check_validation_arguments(self, validation_data: Any) -> None:
        """Reject held-out data given twice or malformed, and early stopping without any."""
        if validation_data is not None:
            if self.validation_fraction is not None:
                raise ValueError("Pass either validation_data or validation_fraction, not both.")
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                length = (
                    f" of length {len(validation_data)}"
                    if isinstance(validation_data, (tuple, list))
                    else ""
                )
                raise ValueError(
                    "validation_data must be a pair (texts, Y) of held-out texts and their "
                    f"labels, got a {type(validation_data).__name__}{length}."
                )
        elif self.n_iter_no_change is not None and self.validation_fraction is None:
            raise ValueError(
                f"n_iter_no_change={self.n_iter_no_change} stops on validation P@1, which needs "
                "held-out data: set validation_fraction or pass validation_data to fit, or "
                "leave n_iter_no_change=None."
            )

    def _fit_interruptible(
        self,
        X: Any,
        Y: Any,
        validation_data: tuple[Any, Any] | None,
        resume_from: str | os.PathLike | None,
        sample_weight: Any,
    ) -> BaseInceptionXML:
        self._check_validation_arguments(validation_data)
        checkpoint = None if resume_from is None else self._restore_checkpoint(resume_from)
        reuse_fitted = checkpoint is not None or self._is_warm
        if checkpoint is None and self._is_warm:
            self._check_warm_start_parameters()
        if (
            not reuse_fitted
            and self.validation_fraction is not None
            and _is_array(self.word_vectors)
        ):
            # The vocabulary is fitted on the training rows only, which a vector array built
            # for a SequenceEncoder fitted on every text no longer matches row for row.
            raise ValueError(
                "word_vectors given as an array cannot be combined with validation_fraction: "
                "the vocabulary is then fitted on the training part of X only, whose word ids "
                "the array's rows, aligned with a vocabulary of all of X, no longer follow. "
                "Pass held-out texts as fit(..., validation_data=(texts, Y)) instead, or the "
                "vectors as a file path (aligned by word)."
            )
        requested = _resolve_device(self.device)
        # Under torchrun with "cuda"/"auto" this makes GPU LOCAL_RANK the current one.
        self._context = context = distributed_context(requested)
        self.device_ = _concrete_device(requested)
        self._check_precision(self.device_)
        if self.checkpoint_path is not None and context.is_main:
            check_checkpoint_path(self.checkpoint_path)
        rng = check_random_state(self.random_state)
        if context.enabled and not isinstance(self.random_state, Integral):
            # Every rank must draw the same weights, batches and validation split.
            rng = np.random.RandomState(context.broadcast_int(rng.randint(2**31 - 1)))
        self._torch_seed = int(rng.randint(np.iinfo(np.int32).max))
        texts: list[str] | None
        if isinstance(X, TokenCorpus):
            texts = None
            token_ids, bag, labels = self._corpus_inputs(X, Y, reuse_fitted=reuse_fitted)
            weights = check_sample_weight(sample_weight, labels.shape[0])
        else:
            texts, labels, weights = self._check_fit_inputs(
                X, Y, sample_weight, reuse_fitted=reuse_fitted
            )
        train_rows, validation_rows = self._validation_split(labels.shape[0], rng)
        if texts is not None:
            if not reuse_fitted:
                # The vocabularies and IDF of the training rows only: the held-out rows must
                # meet the model as unseen texts would (unknown words, no n-gram).
                self.sequence_encoder_, self.tfidf_vectorizer_ = self._fit_text_features(
                    [texts[row] for row in train_rows]
                )
            token_ids, bag = self._prepare_text_features(texts)

        given_validation = None
        if validation_data is not None:
            X_val, Y_val = validation_data
            val_texts = check_texts(X_val, name="validation_data[0]")
            # Labels the model never saw get columns of their own, which no ranking reaches:
            # they count as missed by the validation shortlist recall, as by the metrics.
            val_labels = self._check_eval_labels(
                Y_val, len(val_texts), name="validation_data[1]", keep_unseen=True
            )
            val_tokens, val_bag = self._prepare_text_features(val_texts)
            validation = (val_tokens, val_bag, val_labels)
            # validation_data decides which epoch early stopping keeps: part of the data.
            given_validation = (val_tokens, val_labels)
        elif validation_rows.size:
            validation = (
                token_ids[validation_rows],
                None if bag is None else bag[validation_rows],
                labels[validation_rows],
            )
        else:
            validation = None
        if validation_rows.size:
            token_ids, labels = token_ids[train_rows], labels[train_rows]
            bag = None if bag is None else bag[train_rows]
            texts = None if texts is None else [texts[row] for row in train_rows]
            weights = None if weights is None else weights[train_rows]
        # A corpus is not copied to leave out its texts of weight 0 (in-memory ones are gone
        # already): they are never drawn into a batch, and what is built from the labels
        # (counts, propensities, label clusters, the linear map's pairs) does not see theirs.
        fitted_labels = _labels_of_weighted_rows(labels, weights)
        n_trained = labels.shape[0] if weights is None else np.count_nonzero(weights)
        if n_trained < 2:
            weighted = " of positive sample_weight" if weights is not None else ""
            raise ValueError(
                f"At least 2 training samples{weighted} are needed (BatchNorm layers); got "
                f"{n_trained}."
            )
        if fitted_labels.nnz == 0:
            which = (
                "texts of positive sample_weight"
                if weights is not None
                else "texts left for training by validation_fraction"
            )
            raise ValueError(
                f"Y has no positive entry: none of the {n_trained} {which} has a label, so "
                "there is nothing to learn."
            )
        # Scaled: weights that train alike (w and 2·w; all equal and none) resume alike.
        weights = _scaled_sample_weights(weights)
        needs_fingerprint = (
            checkpoint is not None or self.checkpoint_path is not None or context.enabled
        )
        fingerprint = (
            training_data_fingerprint(
                token_ids, labels, validation=given_validation, sample_weight=weights
            )
            if needs_fingerprint
            else ""
        )
        if checkpoint is not None and checkpoint["data_fingerprint"] != fingerprint:
            raise ValueError(
                f"resume_from={resume_from!s} was written while training on other "
                "data (or another validation split, or with other validation_data or "
                "sample_weight); resume with the same X, Y, sample_weight, validation_data "
                "and random_state."
            )

        if context.enabled:
            # "data": a digest of the token ids, labels, weights and validation data.
            context.check_same(
                {
                    "estimator": type(self).__name__,
                    "data": fingerprint,
                    **self._parameters_description(),
                }
            )

        self.label_counts_ = np.asarray(fitted_labels.sum(axis=0)).ravel().astype(np.int64)
        self.n_train_samples_ = int(n_trained)
        self.skxml_version_ = skxml.__version__

        devices = [self.device_] if self.device_.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self._torch_seed)
            if not reuse_fitted:
                self._structure_parameters_ = self._structure_parameters_now()
                self._fit_label_structure(texts, bag, fitted_labels)
                self.network_ = self._build_network(
                    self.sequence_encoder_.vocabulary_size_,
                    self._embedding_weights(token_ids),
                    bag,
                    fitted_labels,
                )
                self.history_: list[dict[str, float]] = []
            self.network_.to(self.device_)
            if context.enabled and reuse_fitted:
                # A network first fitted in one process may have tables with sparse
                # gradients, which DDP cannot all-reduce over NCCL.
                use_dense_gradients(self.network_)
            if context.enabled:  # same weights everywhere, other dropout masks per rank
                torch.manual_seed(self._torch_seed + context.rank)
            self._train(token_ids, bag, labels, weights, validation, checkpoint, fingerprint)
        return self

    def _parameters_description(self) -> dict[str, str]:
        """The parameters as text, for comparing the ranks of a data-parallel fit; those
        that may differ between ranks (the seed, which rank 0's replaces when it is not an
        int, printing, where a checkpoint goes, the device) left out. An array of vectors
        is described by its shape and a digest of its values."""
        free = {"random_state", "verbose", "checkpoint_path", "device"}
        return {
            name: _describe_parameter(value)
            for name, value in self.get_params(deep=False).items()
            if name not in free
        }

    def _structure_parameters_now(self) -> dict[str, Any]:
        """The parameters that shape the fitted model, as they are now (estimators cloned,
        so that a later ``set_params`` on the same object shows as a change)."""
        return {
            name: clone(value) if isinstance(value, BaseEstimator) else value
            for name, value in self.get_params(deep=False).items()
            if name not in _PARAMETERS_FREE_ON_WARM_START
        }

    def _canonical_parameter(self, name: str, value: Any) -> Any:
        """``value`` of parameter ``name`` in the form it is compared in across a warm start
        or a resume: a default spelt two ways (InceptionXML+'s ``clusterer=None`` and
        ``LabelTreeClusterer()``) is one value."""
        return value

    def _check_warm_start_parameters(self) -> None:
        """Refuse a warm start whose parameters no longer describe the fitted model."""
        fitted = self.__dict__.get("_structure_parameters_")
        if fitted is None:  # a model saved before skxml recorded them
            return
        current = self._structure_parameters_now()
        changed = sorted(
            name
            for name in current
            if name in fitted
            and not _same_parameter(
                self._canonical_parameter(name, current[name]),
                self._canonical_parameter(name, fitted[name]),
                self._parameter_constraints.get(name),
            )
        )
        if changed:
            details = ", ".join(f"{name}={fitted[name]!r} → {current[name]!r}" for name in changed)
            raise ValueError(
                "warm_start=True continues training the fitted model, whose vocabulary, "
                f"architecture and labels its first fit fixed, but these parameters changed "
                f"since: {details}. Set them back, or refit with warm_start=False."
            )

    def _restore_checkpoint(self, resume_from: str | os.PathLike) -> dict[str, Any]:
        """Load a checkpoint written by an identically configured fit; adopt its fitted state."""
        checkpoint = load_checkpoint(resume_from)
        saved = checkpoint["estimator"]
        if type(saved) is not type(self):
            raise ValueError(
                f"resume_from={os.fspath(resume_from)!r} holds a {type(saved).__name__} "
                f"checkpoint, not a {type(self).__name__} one."
            )
        ours, theirs = self.get_params(deep=False), saved.get_params(deep=False)
        different = sorted(
            name
            for name in ours
            if name not in _PARAMETERS_FREE_ON_RESUME
            and not _same_parameter(
                self._canonical_parameter(name, ours[name]),
                self._canonical_parameter(name, theirs.get(name)),
                self._parameter_constraints.get(name),
            )
        )
        if different:
            raise ValueError(
                f"resume_from={os.fspath(resume_from)!r} was written by a fit with other "
                f"parameters ({', '.join(different)}); resume with the parameters it was "
                "started with."
            )
        fitted = {key: value for key, value in vars(saved).items() if key.endswith("_")}
        self.__dict__.update(fitted)
        return checkpoint

    def _recover_from_failed_fit(self, state_before_fit: dict[str, Any], what: str) -> None:
        """Leave a consistent estimator: its last complete epoch, or exactly as before fit."""
        snapshot = self.__dict__.pop("_last_epoch_state", None)
        if snapshot is None or self.__dict__.get("_snapshot_is_from_before_fit", False):
            # No epoch of this fit completed: everything as before it, the network of a warm
            # start included (trained in place, so its weights come from the snapshot).
            self.__dict__.clear()
            self.__dict__.update(state_before_fit)
            if snapshot is not None:
                self.network_.to(self.device_).load_state_dict(snapshot)
                self.network_.eval()
            if what == "was interrupted":
                warnings.warn(
                    f"fit {what} before its first epoch completed; the estimator is left as "
                    "it was before fit.",
                    UserWarning,
                    stacklevel=3,
                )
            return
        self.network_.load_state_dict(snapshot)
        self.network_.eval()
        self.n_epochs_trained_ = len(self.history_)
        warnings.warn(
            f"fit {what}; the estimator keeps the network of its last complete epoch "
            f"(n_epochs_trained_={self.n_epochs_trained_} of n_epochs_={self.n_epochs_}).",
            UserWarning,
            stacklevel=3,
        )

    def _build_encoder(
        self, n_tokens: int, embedding_weights: np.ndarray | None
    ) -> InceptionXMLEncoder:
        """The encoder of both models (vectors narrower than 64 projected to 128)."""
        if embedding_weights is not None:
            embedding_dim = embedding_weights.shape[1]
        elif self.embedding_dim is None:
            embedding_dim = DEFAULT_EMBEDDING_DIM
        else:
            embedding_dim = self.embedding_dim
        model_dim = self.model_dim
        if model_dim is None and embedding_dim < 64:
            model_dim = 128
        return InceptionXMLEncoder(
            n_tokens,
            embedding_dim,
            model_dim=model_dim,
            max_seq_len=self.max_seq_len,
            embedding_weights=embedding_weights,
            freeze_embeddings=self.freeze_embeddings,
            dropout=self.dropout,
            word_attention=self.word_attention,
            embedding_attention=self.embedding_attention,
        )

    def _build_tfidf_parts(
        self, bag: sp.csr_matrix | None, labels: sp.csr_matrix, n_features: int
    ) -> tuple[BagOfWordsEncoder | None, SparseLinearHead | None]:
        """The TF-IDF side input and sparse linear map, as switched on (sparse gradients)."""
        bag_of_words = sparse_linear = None
        if bag is not None and self.tfidf_embedding:
            bag_of_words = BagOfWordsEncoder(
                bag.shape[1], n_features, sparse_gradients=self._sparse_gradients
            )
        if bag is not None and self.tfidf_linear:
            confusions = (
                neighbour_confusions(bag, labels, self.tfidf_linear_neighbours)
                if self.tfidf_linear_neighbours > 0
                else None
            )
            sparse_linear = self._build_sparse_linear(bag, labels, confusions)
        return bag_of_words, sparse_linear

    def _build_sparse_linear(
        self,
        bag: sp.csr_matrix,
        labels: sp.csr_matrix,
        confusions: sp.csr_matrix | None = None,
    ) -> SparseLinearHead:
        """A sparse linear map from the TF-IDF n-grams to the columns of ``labels``, on the
        (n-gram, column) pairs that co-occur often enough, and on those of the texts'
        n-grams with their ``confusions`` (columns of ``labels``) when given."""
        # The pairs of n-grams with labels a text is confused with pass the same rule, on
        # their own counts: side by side with the labels, in the same pass over the bag.
        targets = labels if confusions is None else sp.hstack([labels, confusions], "csr")
        support = cooccurrence_support(
            bag, targets, min_confidence=self.tfidf_linear_min_confidence
        )
        if confusions is not None:
            n_labels = labels.shape[1]
            support = sp.csr_matrix(
                (support[:, :n_labels] + support[:, n_labels:]) > 0, dtype=np.float32
            )
        # A batch touches millions of (n-gram, label) pairs: coalescing them into sparse
        # gradients costs more than a dense step until the map is very large.
        return SparseLinearHead(
            support,
            sparse_gradients=self._sparse_gradients and support.nnz > _SPARSE_LINEAR_MIN_WEIGHTS,
        )

    def _fit_label_structure(
        self, texts: list[str] | None, bag: sp.csr_matrix | None, labels: sp.csr_matrix
    ) -> None:
        """Learn what the network is built on besides the texts (InceptionXML+: clusters)."""

    def _batch_targets(self, labels: sp.csr_matrix, rows: np.ndarray, device: torch.device) -> Any:
        """The training targets of some rows: a dense (rows, n_labels) 0/1 tensor."""
        return _csr_rows_to_dense(labels, rows, device)

    def _validation_metrics(
        self, token_ids: np.ndarray, bag: sp.csr_matrix | None, labels: sp.csr_matrix
    ) -> dict[str, float]:
        """What is recorded in ``history_`` for the validation data after each epoch."""
        scores = self._scores_from_features(token_ids, bag, k=1)
        scores = self._in_validation_columns(scores, labels)
        return {"validation_precision_at_1": precision_at_k(labels, scores, k=1)}

    def _in_validation_columns(self, scores: Any, labels: sp.csr_matrix) -> Any:
        """``scores`` over ``classes_`` widened to the validation labels' columns: those
        after ``classes_`` are labels the model never saw (see fit), which no score reaches."""
        return _with_unreachable_columns(
            scores, len(self.classes_), labels.shape[1] - len(self.classes_)
        )

    def _on_epoch_start(self, epoch: int) -> None:
        """Called before each training epoch (0-based, counting from this fit's start)."""

    def _batch_loss(
        self,
        token_ids: torch.Tensor,
        bag: BagOfWordsBatch | None,
        targets: Any,
        sample_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The loss of a batch; ``sample_weight`` (batch,) multiplies each text's terms."""
        logits = self.network_(token_ids, bag)
        weight = None if sample_weight is None else sample_weight[:, None]
        return nn.functional.binary_cross_entropy_with_logits(
            logits.float(), targets, weight=weight
        )

    def _train(
        self,
        token_ids: np.ndarray,
        bag: sp.csr_matrix | None,
        labels: sp.csr_matrix,
        sample_weight: np.ndarray | None,
        validation: tuple[np.ndarray, sp.csr_matrix | None, sp.csr_matrix] | None,
        checkpoint: dict[str, Any] | None,
        data_fingerprint: str,
    ) -> None:
        device, context = self.device_, self._distributed_context
        # Rows of weight 0 (a corpus's; in-memory ones are gone already) are never drawn.
        drawn_rows = (
            None if sample_weight is None or sample_weight.all() else np.flatnonzero(sample_weight)
        )
        n_samples = token_ids.shape[0] if drawn_rows is None else drawn_rows.size
        row_weights = (
            None
            if sample_weight is None
            else torch.as_tensor(sample_weight, dtype=torch.float32, device=device)
        )
        batch_size = min(self.batch_size, n_samples)
        # Drop a last batch with fewer than 2 samples per process: BatchNorm cannot train
        # on one. Data-parallel: batch_size is the global batch, split among the ranks.
        steps_per_epoch = n_samples // batch_size + (
            n_samples % batch_size >= 2 * context.world_size
        )
        if batch_size < 2 * context.world_size:
            raise ValueError(
                f"batch_size={batch_size} is split among {context.world_size} processes; "
                "each needs at least 2 samples per batch (BatchNorm)."
            )
        # Token ids in memory go to a tensor (on the GPU) once; a memory-mapped corpus is read
        # one batch at a time.
        tokens = None if isinstance(token_ids, np.memmap) else torch.from_numpy(token_ids)
        if tokens is not None and device.type == "cuda":
            tokens = tokens.to(device)
        self.n_epochs_ = resolve_n_epochs(self.n_epochs, steps_per_epoch)
        optimizers = self._build_optimizers()
        # propensity_weighting: each label's weight as a positive in the loss (None: all 1).
        positive_weights = propensity_positive_weights(
            self.label_counts_, self.n_train_samples_, self.propensity_weighting
        )
        self._positive_weights = (
            None
            if positive_weights is None
            else torch.as_tensor(positive_weights, dtype=torch.float32, device=device)
        )
        schedulers: list[torch.optim.lr_scheduler.LRScheduler] = [
            torch.optim.lr_scheduler.OneCycleLR(
                optimizer,
                max_lr=[group["lr"] for group in optimizer.param_groups],
                total_steps=self.n_epochs_ * steps_per_epoch,
                cycle_momentum=_has_momentum(optimizer),
            )
            for optimizer in optimizers
        ]
        use_bf16 = _uses_bf16(self.precision, device)
        generator = torch.Generator().manual_seed(self._torch_seed)
        first_epoch, stopped = 0, False
        early_stopping: dict[str, Any] = {"best": -math.inf, "stale": 0, "best_state": None}
        spare_state: dict[str, torch.Tensor] | None = None
        if checkpoint is not None:
            try:
                for optimizer, state in zip(optimizers, checkpoint["optimizers"], strict=True):
                    optimizer.load_state_dict(state)
            except (ValueError, KeyError) as exc:
                raise ValueError(
                    "The checkpoint's optimiser state does not fit this fit's optimisers: "
                    "a checkpoint written by a fit in one process (whose n-gram and label "
                    "tables train with sparse gradients) cannot be resumed under torchrun; "
                    "resume it in one process."
                ) from exc
            for scheduler, state in zip(schedulers, checkpoint["schedulers"], strict=True):
                scheduler.load_state_dict(state)
            generator.set_state(checkpoint["generator"])
            torch.set_rng_state(checkpoint["torch_rng"])
            if device.type == "cuda" and checkpoint.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(checkpoint["cuda_rng"], device)
            first_epoch, stopped = checkpoint["epoch"], checkpoint["stopped"]
            early_stopping = checkpoint["early_stopping"]
        if self.history_:
            # Warm start or resume: Ctrl-C in the first epoch falls back to this network
            # (a warm start's is the network from before this fit: all is put back then).
            self._last_epoch_state = copy_state_to_cpu(self.network_)
            self._snapshot_is_from_before_fit = checkpoint is None
        progress = self._progress_bar(self.n_epochs_)
        epochs_before = len(self.history_)
        step_module: nn.Module = TrainingStep(self.network_, self._batch_loss)
        if context.enabled:
            step_module = nn.parallel.DistributedDataParallel(
                step_module, device_ids=None if device.type != "cuda" else [device.index]
            )
        self.network_.train()
        for epoch in range(first_epoch, 0 if stopped else self.n_epochs_):
            self._on_epoch_start(epoch)
            started = time.perf_counter()
            # Summed on the device: reading the loss every step would wait for the GPU.
            total_loss = torch.zeros((), dtype=torch.float64, device=device)
            order = torch.randperm(n_samples, generator=generator).numpy()
            if drawn_rows is not None:
                order = drawn_rows[order]
            for step in range(steps_per_epoch):
                rows = context.shard(order[step * batch_size : (step + 1) * batch_size])
                # tokens, when in memory, and row_weights live on the device.
                device_rows = (
                    None if tokens is None and row_weights is None else to_device(rows, device)
                )
                if tokens is None:
                    batch_tokens = to_device(token_ids[rows].astype(np.int64), device)
                else:
                    batch_tokens = tokens[device_rows]
                batch_bag = None if bag is None else _csr_rows_to_bag(bag, rows, device)
                targets = self._batch_targets(labels, rows, device)
                batch_weights = None if row_weights is None else row_weights[device_rows]
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
                    loss = step_module(batch_tokens, batch_bag, targets, batch_weights)
                for optimizer in optimizers:
                    optimizer.zero_grad(set_to_none=True)
                loss.backward()
                for optimizer, scheduler in zip(optimizers, schedulers, strict=True):
                    optimizer.step()
                    scheduler.step()
                total_loss += loss.detach()
            # Ranks keep identical weights (averaged gradients) but their own BatchNorm and
            # spectral-norm statistics: rank 0's go to all.
            context.broadcast_state(self.network_)
            record = {
                "epoch": len(self.history_) + 1,
                # Averaged over the ranks of a data-parallel fit: the same on every rank.
                "loss": float(context.mean(total_loss)) / steps_per_epoch,
                "seconds": time.perf_counter() - started,
            }
            record["samples_per_second"] = n_samples / record["seconds"]
            if not math.isfinite(record["loss"]):
                # The weights are not finite either: nothing this epoch left is worth keeping.
                raise ValueError(
                    f"The training loss became {record['loss']} in epoch {record['epoch']}: "
                    f"the optimisation diverged (learning_rate={self.learning_rate}, "
                    f"linear_learning_rate={self.linear_learning_rate}). Lower the learning "
                    "rates."
                )
            if validation is not None:
                record.update(self._validation_metrics(*validation))
                self.network_.train()
            self.history_.append(record)
            progress.update(record)
            if validation is not None and self.n_iter_no_change is not None:
                score = record["validation_precision_at_1"]
                if score > early_stopping["best"]:
                    early_stopping["best"], early_stopping["stale"] = score, 0
                    # Over the previous best: no new (pinned, on a GPU) copy per improvement.
                    early_stopping["best_state"] = copy_state_to_cpu(
                        self.network_, into=early_stopping["best_state"]
                    )
                else:
                    early_stopping["stale"] += 1
                    stopped = early_stopping["stale"] >= self.n_iter_no_change
            self.n_epochs_trained_ = len(self.history_)
            # Into the spare copy, then swapped: Ctrl-C mid-copy leaves the last one whole.
            spare = copy_state_to_cpu(self.network_, into=spare_state)
            spare_state, self._last_epoch_state = self.__dict__.get("_last_epoch_state"), spare
            self._snapshot_is_from_before_fit = False
            if self.checkpoint_path is not None and context.is_main:
                self._write_checkpoint(
                    epoch + 1, stopped, optimizers, schedulers, generator, early_stopping,
                    data_fingerprint,
                )  # fmt: skip
            if stopped:
                break
        progress.close()
        if context.is_main:
            self._warn_if_the_loss_rose(self.history_[epochs_before:])
        if early_stopping["best_state"] is not None:
            self.network_.load_state_dict(early_stopping["best_state"])
        self.n_epochs_trained_ = len(self.history_)
        self.network_.eval()

    def _warn_if_the_loss_rose(self, records: list[dict[str, Any]]) -> None:
        """ConvergenceWarning when this fit's last epoch ended far above its first."""
        if len(records) < 2:
            return
        first, last = records[0], records[-1]
        if last["loss"] > _DIVERGING_LOSS_RATIO * first["loss"]:
            warnings.warn(
                f"The training loss rose from {first['loss']:.4g} in epoch {first['epoch']} "
                f"to {last['loss']:.4g} in epoch {last['epoch']}: the optimisation is "
                f"probably diverging (learning_rate={self.learning_rate}, "
                f"linear_learning_rate={self.linear_learning_rate}). Lower the learning "
                "rates; history_ holds every epoch's loss.",
                ConvergenceWarning,
                stacklevel=7,
            )

    def _write_checkpoint(
        self,
        epoch: int,
        stopped: bool,
        optimizers: list[torch.optim.Optimizer],
        schedulers: list[torch.optim.lr_scheduler.LRScheduler],
        generator: torch.Generator,
        early_stopping: dict[str, Any],
        data_fingerprint: str,
    ) -> None:
        cuda = self.device_.type == "cuda"
        save_checkpoint(
            self.checkpoint_path,
            {
                "estimator": self,
                "epoch": epoch,
                "stopped": stopped,
                "optimizers": [to_cpu(optimizer.state_dict()) for optimizer in optimizers],
                "schedulers": [scheduler.state_dict() for scheduler in schedulers],
                "generator": generator.get_state(),
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state(self.device_) if cuda else None,
                "early_stopping": early_stopping,
                "data_fingerprint": data_fingerprint,
            },
        )

    def _build_optimizers(self) -> list[torch.optim.Optimizer]:
        """Adam for the dense weights, SparseAdam for tables with sparse gradients, and SGD
        for the sparse TF-IDF linear maps.

        The n-gram tables (the TF-IDF bag and the sparse linear map) and InceptionXML+'s
        label-embedding table get sparse gradients, so a step costs what the batch touches
        rather than the whole table. ``weight_decay`` applies to the Adam-stepped weights.
        The linear maps are stepped by SGD with momentum (:meth:`_linear_map_optimizers`).
        """
        linear_heads = [
            module for module in self.network_.modules() if isinstance(module, SparseLinearHead)
        ]
        linear_ids = {id(head.weight) for head in linear_heads}
        sparse_ids = {id(p) for p in _sparse_gradient_parameters(self.network_)}
        dense_params: list[nn.Parameter] = []
        sparse_params: list[nn.Parameter] = []
        for parameter in self.network_.parameters():
            if id(parameter) not in linear_ids:
                (sparse_params if id(parameter) in sparse_ids else dense_params).append(parameter)
        optimizers: list[torch.optim.Optimizer] = [
            _fused_adam([{"params": dense_params, "lr": self.learning_rate}], self.weight_decay)
        ]
        if sparse_params:
            optimizers.append(
                torch.optim.SparseAdam([{"params": sparse_params, "lr": self.learning_rate}])
            )
        return optimizers + self._linear_map_optimizers(linear_heads)

    def _linear_map_optimizers(self, heads: list[SparseLinearHead]) -> list[torch.optim.Optimizer]:
        """SGD for the sparse TF-IDF linear maps, one parameter group per map.

        A linear model on sparse TF-IDF features trained by Adam memorises the training
        texts through their rare n-grams: Adam moves every weight at the same rate however
        rarely its n-gram occurs. Plain SGD moves a weight in proportion to its n-gram's
        frequency, like an L2-regularised linear model. On debian-tags, a TF-IDF linear
        one-vs-rest model alone reached P@1 79.6 trained by Adam and 83.1 by SGD with
        momentum (4 epochs each), against 84.0 for liblinear's logistic regression.

        ``linear_learning_rate`` is the step on the loss *summed* over a sample's labels,
        so the same value suits any number of labels: each map's rate is multiplied by
        what its loss is divided by per sample (:meth:`_linear_loss_scale`). Maps with
        sparse gradients take plain SGD steps 10x larger (SGD's momentum would turn the
        sparse gradients into a dense buffer); the others take momentum 0.9, cycled by
        the one-cycle schedule.
        """
        momentum_groups: list[dict[str, Any]] = []
        plain_groups: list[dict[str, Any]] = []
        for head in heads:
            lr = self.linear_learning_rate * self._linear_loss_scale(head)
            if head.sparse_gradients:
                plain_groups.append({"params": [head.weight], "lr": lr / (1 - _LINEAR_MOMENTUM)})
            else:
                momentum_groups.append({"params": [head.weight], "lr": lr})
        optimizers: list[torch.optim.Optimizer] = []
        if momentum_groups:
            optimizers.append(torch.optim.SGD(momentum_groups, momentum=_LINEAR_MOMENTUM))
        if plain_groups:
            optimizers.append(torch.optim.SGD(plain_groups, momentum=0.0))
        return optimizers

    def _linear_loss_scale(self, head: SparseLinearHead) -> float:
        """What the training loss is divided by per sample, for the labels ``head`` scores
        (the plain mean BCE over all labels: their number)."""
        return float(head.n_labels)

    def _progress_bar(self, n_epochs: int) -> _EpochProgress:
        return _EpochProgress(
            n_epochs, enabled=bool(self.verbose) and self._distributed_context.is_main
        )

    @property
    def _distributed_context(self) -> DistributedContext:
        """The data-parallel context of the running fit (one process outside fit)."""
        return getattr(self, "_context", None) or DistributedContext()

    @property
    def _sparse_gradients(self) -> bool:
        """Whether tables may get sparse gradients: not under DDP, which all-reduces dense
        gradients (NCCL has no sparse all-reduce)."""
        return not self._distributed_context.enabled

    # ------------------------------------------------------------------ prediction
    def _check_eval_labels(
        self, Y: Any, n_samples: int, *, name: str, keep_unseen: bool = False
    ) -> sp.csr_matrix:
        """``Y`` as a 0/1 CSR matrix in the columns of ``classes_``. Label lists' names
        the model never saw are dropped, or with ``keep_unseen`` get columns after those of
        ``classes_`` (true labels no ranking reaches)."""
        Y = _as_label_input(Y)
        n_columns = len(self.classes_)
        if _is_label_lists(Y):
            if self._label_binarizer_ is None:
                raise ValueError(
                    f"{name} is a list of label lists but the estimator was fitted on a label "
                    "matrix; pass a matrix with the same columns."
                )
            if keep_unseen:
                labels, n_unseen = _label_lists_as_matrix(self, Y, name=name)
                n_columns += n_unseen
            else:
                warn_if_no_label_is_known(
                    {label for labels in Y for label in labels}, set(self.classes_), name=name
                )
                labels, _ = _binarize_known_labels(self._label_binarizer_, Y)
        else:
            # Named columns are matched by name to a model's named labels (by position to
            # a model fitted on an unnamed matrix, as its classes_ are positions).
            named = (
                None
                if self._label_binarizer_ is None
                else _named_label_matrix(Y, self.classes_, name=name)
            )
            if named is None:
                named = check_label_matrix(Y, name=name, value_hint=_nested_list_hint(Y))
            labels = named
        if labels.shape != (n_samples, n_columns):
            raise ValueError(
                f"{name} must have shape (n_samples, n_labels) = ({n_samples}, "
                f"{n_columns}), got {labels.shape}."
            )
        return labels

    # Parameters read at prediction time, so changed by set_params after fit without a refit.
    # device and precision too: prediction resolves them again (devices.rst).
    _prediction_parameters: tuple[str, ...] = ("top_k", "threshold", "device", "precision")

    def _check_prediction_parameters(self) -> None:
        """Validate the prediction-time parameters as ``fit`` validates all of them: a
        ``set_params(top_k=0)`` after fit gets the same error as before it.

        The values last found valid are remembered (with their types: ``5.0`` is not ``5``),
        so that a query does not pay scikit-learn's validation (~30 µs) again."""
        values = {name: getattr(self, name) for name in self._prediction_parameters}
        plain = all(type(value) in _PLAIN_PARAMETER_TYPES for value in values.values())
        key = tuple((type(value), value) for value in values.values()) if plain else None
        cache = _PREDICTION_CACHE.setdefault(self.network_, {})
        if key is not None and cache.get("valid_prediction_parameters") == key:
            return
        constraints = {name: self._parameter_constraints[name] for name in values}
        validate_parameter_constraints(constraints, values, caller_name=type(self).__name__)
        refuse_booleans_as_numbers(constraints, values, type(self).__name__)
        cache["valid_prediction_parameters"] = key

    def _resolve_k(self, k: int | None) -> int:
        self._check_prediction_parameters()
        n_labels = len(self.classes_)
        if k is None:
            return min(self.top_k, n_labels)
        if isinstance(k, bool) or not isinstance(k, Integral) or not 1 <= k <= n_labels:
            raise ValueError(f"k must be an int in [1, n_labels={n_labels}], got {k!r}.")
        return int(k)

    def _resolve_threshold(self, threshold: float | None) -> float | None:
        """The method's ``threshold`` argument, else the estimator's; checked in [0, 1]."""
        if threshold is None:
            return self.threshold  # validated with the other prediction parameters
        if isinstance(threshold, bool) or not isinstance(threshold, Real):
            raise TypeError(
                f"threshold must be a real number in [0, 1] or None, got "
                f"{type(threshold).__name__} {threshold!r}."
            )
        if not 0 <= threshold <= 1:  # NaN fails too
            raise ValueError(f"threshold must be in [0, 1], got {threshold!r}.")
        return float(threshold)

    def _check_precision(self, device: torch.device) -> None:
        if self.precision != "bfloat16":
            return
        if device.type not in ("cuda", "cpu"):
            raise ValueError(
                f"precision='bfloat16' runs on CPU and CUDA devices, not on device={device}; "
                "use precision='float32' or 'auto'."
            )
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            raise ValueError(
                f"precision='bfloat16' was requested but the GPU {device} does not support "
                "bf16; use precision='float32' or 'auto'."
            )

    def _prediction_device(self) -> torch.device:
        """The training device, or the CPU when a CUDA-trained model is loaded without CUDA
        (the current GPU when it is loaded without the GPU it names)."""
        fitting_thread = self.__dict__.get("_fitting")
        if fitting_thread and fitting_thread != threading.get_ident():
            # Predicting would put the network being trained in eval mode (no dropout, batch
            # norm frozen) for the rest of the fit, and answer from half-trained weights.
            raise RuntimeError(
                f"This {type(self).__name__} is being fitted in another thread; it cannot "
                "predict until that fit ends. To keep serving while a model trains, fit a "
                "copy (sklearn.base.clone, or copy.deepcopy for a warm start) and swap it in "
                "when its fit returns."
            )
        device = _concrete_device(_resolve_device(self.device, fallback=True))
        # Cheap checks first: moving or re-moding the module costs ~1 ms per call. One
        # parameter, looked up once (Module.parameters() walks the module tree), tells where
        # the network is: .to() moves every parameter in place.
        parameter = self._cached("first_parameter", lambda: next(self.network_.parameters()))
        if parameter.device != device:
            self.network_.to(device)
        if self.network_.training:
            self.network_.eval()
        return device

    def _inference_network(self, device: torch.device) -> Callable[..., Any]:
        """What prediction calls: a frozen copy of the network (built once after each fit;
        ~4x less overhead per call at batch size 1 on a CPU; on a GPU with its label-scoring
        weights in bf16), or during ``fit`` (validation) the network itself."""
        if self.__dict__.get("_fitting", False):
            return self.network_
        # bf16 label-scoring weights where prediction runs under bf16 autocast.
        dtype = torch.bfloat16 if _predicts_in_bf16(self.precision, device) else None
        # Keyed by dtype too: precision may change between predictions. One frozen copy at
        # a time: one for another device or dtype would hold its own copy of the weights.
        key = f"frozen_network_{device}_{dtype}"
        cache = _PREDICTION_CACHE.setdefault(self.network_, {})
        frozen = cache.get(key)
        if frozen is None:
            # Safe when threads predict with one model at once: the keys are listed in one
            # step (list(dict) runs under the GIL) while others may add theirs, a stale copy
            # may already be gone, and each thread returns the copy it got or built.
            for stale in [name for name in list(cache) if name.startswith("frozen_network_")]:
                if stale != key:
                    cache.pop(stale, None)
            frozen = cache[key] = self._freeze_network(dtype)
        return frozen

    def _cached(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept for this ``network_`` until the next fit: derived prediction
        state, held beside the estimator (see ``_PREDICTION_CACHE``)."""
        cache = _PREDICTION_CACHE.setdefault(self.network_, {})
        value = cache.get(name, _MISSING)
        if value is _MISSING:
            value = cache[name] = compute()
        return value

    def _forget_prediction_cache(self) -> None:
        network = self.__dict__.get("network_")
        if network is not None:
            _PREDICTION_CACHE.pop(network, None)

    def _freeze_network(self, classifier_dtype: torch.dtype | None = None) -> Callable[..., Any]:
        """A frozen copy of ``network_`` (see :mod:`skxml.nn._frozen`)."""
        raise NotImplementedError

    def _iter_network_outputs(
        self, token_ids: np.ndarray, bag: sp.csr_matrix | None, **forward_kwargs: Any
    ) -> Iterator[Any]:
        """The network's outputs for the texts, batch by batch, in inference mode."""
        device = self._prediction_device()
        use_bf16 = _predicts_in_bf16(self.precision, device)
        tokens = torch.from_numpy(token_ids)
        forward = self._inference_network(device)
        with torch.inference_mode():
            batch_size = _prediction_batch_size(len(self.classes_), device, bf16=use_bf16)
            for start in range(0, token_ids.shape[0], batch_size):
                stop = min(start + batch_size, token_ids.shape[0])
                rows = slice(start, stop)  # a slice, not fancy indexing: cheaper at batch 1
                batch_bag = None if bag is None else _csr_rows_to_bag(bag, rows, device)
                # A few texts on the CPU: one thread (a second costs more than it saves); this
                # also covers the small last batch of a larger call.
                with (
                    # A disabled autocast still costs ~4 µs to enter: none in float32 (CPUs).
                    torch.autocast(device.type, dtype=torch.bfloat16)
                    if use_bf16
                    else contextlib.nullcontext(),
                    one_thread_for_few_texts(stop - start, device),
                ):
                    outputs = forward(tokens[start:stop].to(device), batch_bag, **forward_kwargs)
                yield outputs

    def _iter_top_k(
        self, token_ids: np.ndarray, bag: sp.csr_matrix | None, k: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Top-k logits and label indices, batch by batch."""
        for logits in self._iter_network_outputs(token_ids, bag):
            # In the logits' own dtype: a float32 copy of a GPU's bf16 block would double it.
            values, indices = torch.topk(logits, k, dim=1, sorted=True)
            yield values.float().cpu().numpy(), indices.cpu().numpy()

    def _scores_from_features(
        self, token_ids: np.ndarray, bag: sp.csr_matrix | None, k: int
    ) -> sp.csr_matrix:
        n_labels = len(self.classes_)
        if token_ids.shape[0] == 0:
            return sp.csr_matrix((0, n_labels), dtype=np.float32)
        # A few texts on the CPU: the forward pass *and* the top-k on one thread (a top-k
        # over tens of thousands of labels is split by rows, and waits for a busy core).
        with one_thread_for_few_texts(token_ids.shape[0], self._prediction_device()):
            blocks = [
                _top_k_to_csr(values, indices, n_labels)
                for values, indices in self._iter_top_k(token_ids, bag, k)
            ]
        return blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")

    def _iter_text_features(
        self, texts: list[str]
    ) -> Iterator[tuple[np.ndarray, sp.csr_matrix | None]]:
        """Token ids and TF-IDF bag of the texts, ``_PREDICT_CHUNK_SIZE`` texts at a time
        (one empty chunk for no text), so their size never grows with ``len(texts)``."""
        for start in range(0, max(len(texts), 1), _PREDICT_CHUNK_SIZE):
            chunk = texts[start : start + _PREDICT_CHUNK_SIZE]
            yield self._prepare_text_features(chunk)

    def _top_k_logits(self, X: Any, k: int | None) -> sp.csr_matrix:
        check_is_fitted(self, "network_")
        k = self._resolve_k(k)
        blocks = [
            self._scores_from_features(token_ids, bag, k)
            for token_ids, bag in self._iter_text_features(check_texts(X))
        ]
        return blocks[0] if len(blocks) == 1 else sp.vstack(blocks, format="csr")

    def predict_iter(
        self,
        X: Iterable[str],
        *,
        method: str = "predict",
        batch_size: int = _PREDICT_CHUNK_SIZE,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Predict for a stream of texts, ``batch_size`` at a time, in bounded memory.

        ``X`` may be any iterable — a generator reading a file, a database cursor — and is
        consumed lazily: memory holds one batch of texts and its results, whatever the
        number of texts (measured: ``benchmarks/scale.py``).

        Parameters
        ----------
        X : iterable of str
            Raw texts (a single string is rejected).
        method : {"predict", "predict_proba", "decision_function", "predict_labels"}, \
                default="predict"
            The method applied to each batch.
        batch_size : int, default=16384
            Texts per batch.
        **kwargs
            Passed to ``method`` (``k``, ``threshold``).

        Yields
        ------
        result : scipy.sparse.csr_matrix of shape (n_batch, n_labels) or list of lists
            ``method``'s result for the next ``batch_size`` texts (fewer for the last);
            concatenated, the batches equal ``method(list(X))``: the same labels (but where
            scores tie within float rounding) and the same scores up to float rounding (a
            text's matrix products round differently in batches of other sizes, by about
            1e-7).

        Raises
        ------
        ValueError
            If ``method`` or ``batch_size`` is not valid.
        TypeError
            If ``X`` is a string or not iterable, or holds something other than strings
            (raised when that batch is reached).

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> from skxml import InceptionXMLClassifier
        >>> texts = ["apple pie", "apple juice", "storm cloud", "storm rain"] * 4
        >>> labels = [["food"], ["drink"], ["weather"], ["weather"]] * 4
        >>> clf = InceptionXMLClassifier(n_epochs=2, batch_size=4, top_k=1, random_state=0)
        >>> clf = clf.fit(texts, labels)
        >>> queries = (line.strip() for line in ["apple pie\\n", "storm\\n", "rain\\n"])
        >>> batches = list(clf.predict_iter(queries, batch_size=2))
        >>> [batch.shape for batch in batches]
        [(2, 3), (1, 3)]
        >>> (sp.vstack(batches) != clf.predict(["apple pie", "storm", "rain"])).nnz
        0
        """
        check_is_fitted(self, "network_")
        if method not in _PREDICT_ITER_METHODS:
            raise ValueError(
                f"method must be one of {', '.join(_PREDICT_ITER_METHODS)}; got {method!r}."
            )
        if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if isinstance(X, (str, bytes)) or not isinstance(X, Iterable):
            check_texts(X)  # raises the usual message
            raise TypeError(f"X must be an iterable of strings, got {type(X).__name__}.")
        if is_table(X) or getattr(X, "ndim", 1) != 1:
            # A table or 2-D array (already in memory): its texts, not its column names or
            # rows (check_texts reads one column, and refuses several).
            X = check_texts(X)
        predict = getattr(self, method)
        iterator, start = iter(X), 0
        while batch := list(itertools.islice(iterator, batch_size)):
            texts = check_texts(batch, name=f"X[{start}:{start + len(batch)}]")
            yield predict(texts, **kwargs)
            start += len(batch)

    def decision_function(self, X: Any, *, k: int | None = None) -> sp.csr_matrix:
        """Logits of each text's ``k`` best labels.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.
        k : int or None, default=None
            Number of labels kept per text, in ``[1, n_labels]`` (ValueError otherwise);
            ``None`` uses ``top_k`` (capped at n_labels).

        Returns
        -------
        scores : scipy.sparse.csr_matrix of shape (n_samples, n_labels)
            The logits of the ``k`` best labels of each row (exactly ``k`` stored values per
            row); every other label is absent. Memory is O(n_samples · k).
        """
        return self._top_k_logits(X, k)

    def predict_proba(self, X: Any, *, k: int | None = None) -> sp.csr_matrix:
        """Probabilities of each text's ``k`` best labels.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.
        k : int or None, default=None
            Number of labels kept per text, in ``[1, n_labels]`` (ValueError otherwise);
            ``None`` uses ``top_k`` (capped at n_labels).

        Returns
        -------
        proba : scipy.sparse.csr_matrix of shape (n_samples, n_labels), float64
            ``sigmoid(logit)`` of the ``k`` best labels of each row (exactly ``k`` stored
            values per row, zeros included); the labels are independent (one binary
            classifier each), so rows do not sum to one. Float64 keeps the labels of
            logits up to ~36.7 apart (float32 rounds every logit above ~16.6 to 1.0);
            beyond that probabilities tie, and :meth:`decision_function` still ranks them.
        """
        scores = self._top_k_logits(X, k)
        scores.data = _sigmoid(scores.data)
        return scores

    def predict(
        self, X: Any, *, k: int | None = None, threshold: float | None = None
    ) -> sp.csr_matrix:
        """The ``k`` best labels of each text, as a 0/1 indicator matrix.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.
        k : int or None, default=None
            Number of labels per text, in ``[1, n_labels]`` (ValueError otherwise); ``None``
            uses ``top_k`` (capped at n_labels).
        threshold : float, default=None
            Keep only the top-k labels whose probability is at least this value (a row may
            then be empty); ``None`` uses the estimator's ``threshold`` parameter.

        Returns
        -------
        Y_pred : scipy.sparse.csr_matrix of shape (n_samples, n_labels), int8
            1 for the predicted labels. Column ``j`` is ``classes_[j]``.
        """
        # Rank (hence the labels kept) is the logits'; probabilities only for a threshold.
        threshold = self._resolve_threshold(threshold)
        predicted = self._top_k_logits(X, k)
        if threshold is not None:
            keep = _sigmoid(predicted.data) >= threshold
            if not keep.all():
                rows = np.repeat(np.arange(predicted.shape[0]), np.diff(predicted.indptr))
                indptr = np.zeros(predicted.shape[0] + 1, dtype=np.int64)
                np.cumsum(np.bincount(rows[keep], minlength=predicted.shape[0]), out=indptr[1:])
                predicted = _csr_from_arrays(
                    predicted.data[keep], predicted.indices[keep], indptr, predicted.shape
                )
                predicted.has_sorted_indices = True
        # In place, not astype(): a CSR copy costs as much as a query's top-k at batch 1.
        predicted.data = np.ones(predicted.nnz, dtype=np.int8)
        return predicted

    def predict_labels(
        self, X: Any, *, k: int | None = None, threshold: float | None = None
    ) -> list[list[Any]]:
        """The names (``classes_`` entries) of each text's predicted labels, best first.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.
        k : int or None, default=None
            Number of labels per text, in ``[1, n_labels]`` (ValueError otherwise); ``None``
            uses ``top_k`` (capped at n_labels).
        threshold : float, default=None
            Minimum probability, as in :meth:`predict`.

        Returns
        -------
        labels : list of lists
            ``labels[i]`` lists the predicted labels of text ``i`` in decreasing score order,
            as plain Python objects (``str``, or ``int`` column indices when ``Y`` was a
            matrix), so ``json.dumps`` takes them.
        """
        threshold = self._resolve_threshold(threshold)
        # Ranked by the logits: probabilities of large logits round to the same value.
        scores = self._top_k_logits(X, k)
        keep = None if threshold is None else _sigmoid(scores.data) >= threshold
        names = []
        for row in range(scores.shape[0]):
            start, end = scores.indptr[row], scores.indptr[row + 1]
            logits, columns = scores.data[start:end], scores.indices[start:end]
            order = np.lexsort((columns, -logits))
            if keep is not None:
                order = order[keep[start:end][order]]
            names.append([_plain(name) for name in self.classes_[columns[order]]])
        return names

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Precision at ``top_k`` on the given texts and labels (the default CV score).

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.
        y : label matrix of shape (n_samples, n_labels) or list of label lists
            True labels, in the columns of ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each text in the average (non-negative, not all zero).

        Returns
        -------
        score : float
            :func:`~skxml.metrics.precision_at_k` with ``k = min(top_k, n_labels)``. A
            search over ``top_k`` with this default score would compare P@1 with P@5, not
            two models: give the search ``scoring=`` (e.g.
            ``skxml.metrics.get_xmc_scorer("p@1")``) then.
        """
        check_is_fitted(self, "network_")
        texts = check_texts(X)
        labels = self._check_eval_labels(y, len(texts), name="y")
        weights = check_sample_weight(sample_weight, len(texts))
        k = self._resolve_k(None)
        return precision_at_k(labels, self._top_k_logits(texts, k), k=k, sample_weight=weights)

    # ------------------------------------------------------------------ persistence
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # object.__getstate__ returns __dict__ itself
        # What only a running fit holds (a checkpoint pickles the estimator mid-fit): a CPU
        # copy of the network, tensors on the training device, the process group's context.
        for name in _FIT_TIME_ATTRIBUTES:
            state.pop(name, None)
        network = state.get("network_")
        if network is not None and any(p.device.type != "cpu" for p in network.parameters()):
            # Save CPU tensors so the model loads on a machine without CUDA.
            state["network_"] = _cpu_copy(network)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.get("skxml_version_")
        if saved is not None and saved != skxml.__version__:
            warnings.warn(
                f"This {type(self).__name__} was saved by skxml {saved} and is loaded by skxml "
                f"{skxml.__version__}; predictions may differ. Refit it to be safe.",
                UserWarning,
                stacklevel=2,
            )
        # Parameters added after the model was saved take the value that reproduces what
        # that version did (their default, unless _VALUES_BEFORE_ADDED says otherwise), so
        # get_params, clone and repr keep working.
        structure = state.get("_structure_parameters_")
        for name, default in _keyword_defaults(type(self)).items():
            before = _VALUES_BEFORE_ADDED.get(name, default)
            state.setdefault(name, before)
            if structure is not None and name not in _PARAMETERS_FREE_ON_WARM_START:
                # So that a warm start refuses a change of it, as for a model fitted now.
                structure.setdefault(name, before)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        tags.target_tags.two_d_labels = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.non_deterministic = False
        return tags


def _cpu_copy(network: nn.Module) -> nn.Module:
    """A deep copy of ``network`` with its parameters and buffers on the CPU, made without
    a second copy on the network's own device (``deepcopy(network).cpu()`` would briefly
    hold two copies of a large model on its GPU): the CPU tensors are handed to
    :func:`copy.deepcopy` through its memo, which it consults before copying an object."""
    memo: dict[int, Any] = {}
    for tensor in itertools.chain(network.parameters(), network.buffers()):
        host = tensor.detach().to("cpu", copy=True)
        if isinstance(tensor, nn.Parameter):
            host = nn.Parameter(host, requires_grad=tensor.requires_grad)
        memo[id(tensor)] = host
    return copy.deepcopy(network, memo).cpu()


def _keyword_defaults(cls: type[BaseEstimator]) -> dict[str, Any]:
    """The default values of the keyword-only parameters of ``cls.__init__``."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        and parameter.default is not inspect.Parameter.empty
    }


class _EpochProgress:
    """A tqdm bar over epochs, showing loss and throughput (silent when disabled)."""

    def __init__(self, n_epochs: int, *, enabled: bool) -> None:
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=n_epochs, desc="epochs", unit="epoch", leave=True)

    def update(self, record: dict[str, float]) -> None:
        if self._bar is None:
            return
        postfix = {
            "loss": f"{record['loss']:.4f}",
            "samples/s": f"{record['samples_per_second']:.0f}",
        }
        if "validation_precision_at_1" in record:
            postfix["val P@1"] = f"{100 * record['validation_precision_at_1']:.2f}"
        self._bar.set_postfix(postfix)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

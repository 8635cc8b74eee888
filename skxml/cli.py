"""The ``skxml`` command line: a thin layer over the public API.

- ``skxml demo``: the main job. Loads the embedded debian-tags dataset, prints its
  statistics, trains :class:`~skxml.InceptionXMLClassifier` on the training split and
  prints P@k, nDCG@k and PSP@k on the test split.
- ``skxml prepare``: tokenise training files once into a token corpus on disk, which
  ``skxml train --corpus`` reads in bounded memory.
- ``skxml train``: fit a model (InceptionXML, or InceptionXML+ with ``--estimator plus``) on
  files in a supported format, or on a token corpus, and save it with joblib.
- ``skxml predict``: write each text's top-k labels and scores.
- ``skxml evaluate``: print P@k / nDCG@k / PSP@k (optionally as JSON) of a saved model, or
  of the predictions it wrote.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from skxml import __version__
from skxml._checkpoint import dump_atomically, folder_write_error
from skxml._distributed import end_data_parallel_run, is_main_process
from skxml.utils._validation import check_ngram_range, check_token_pattern

_K_VALUES = (1, 3, 5)

# Hyperparameters that ``skxml train --param NAME=VALUE`` may set, with their types.
_PARAM_TYPES: dict[str, Any] = {
    "max_seq_len": int,
    "embedding_dim": int,
    "model_dim": int,
    "word_vectors": str,
    "freeze_embeddings": bool,
    "min_df": "count_or_fraction",
    "max_features": int,
    "split_cjk": bool,
    "normalize_unicode": bool,
    "n_epochs": "int_or_auto",
    "batch_size": int,
    "learning_rate": float,
    "linear_learning_rate": float,
    "dropout": float,
    "top_k": int,
    "device": str,
    "precision": str,
    "random_state": int,
    "tfidf_embedding": bool,
    "tfidf_linear": bool,
    "word_attention": bool,
    "embedding_attention": bool,
    "validation_fraction": float,
    "n_iter_no_change": int,
    "output_dropout": float,
    "weight_decay": float,
    "tfidf_min_df": "count_or_fraction",
    "tfidf_ngram_range": "int_pair",
    "tfidf_token_pattern": "pattern",
    "verbose": int,
    "hard_negatives": "hard_negatives",
    "easy_negative_weight": float,
    "propensity_weighting": float,
    "tfidf_linear_min_confidence": float,
    "tfidf_linear_neighbours": int,
    # InceptionXML+ (--estimator plus)
    "n_shortlist": int,
    "detach_fraction": float,
    "combine_meta_scores": bool,
    "meta_score_weight": float,
    "tfidf_meta_linear": bool,
    # InceptionXML+'s label clustering (LabelTreeClusterer's parameters, set_params names)
    "clusterer__n_clusters": int,
    "clusterer__max_leaf_size": "int_or_auto",
    "clusterer__init": str,
    "clusterer__tol": float,
    "clusterer__max_iter": int,
    "clusterer__tfidf_min_df": "count_or_fraction",
    "clusterer__tfidf_ngram_range": "int_pair",
    "clusterer__tfidf_max_features": int,
    "clusterer__n_jobs": int,
    "clusterer__random_state": int,
}


def evaluate_scores(
    y_true: Any,
    y_score: Any,
    inv_propensity: np.ndarray | None,
    k_values: Sequence[int] = _K_VALUES,
    sample_weight: np.ndarray | None = None,
) -> dict[str, float]:
    """P@k, nDCG@k and PSP@k as percentages (the paper's way of reporting).

    Parameters
    ----------
    y_true : sparse matrix of shape (n_samples, n_labels)
        True labels.
    y_score : sparse matrix, dense array or ranked indices
        Scores in any form :func:`~skxml.metrics.precision_at_k` accepts.
    inv_propensity : ndarray of shape (n_labels,) or None
        Inverse propensities of the *training* labels; ``None`` leaves PSP@k out.
    k_values : sequence of int, default=(1, 3, 5)
        Cut-offs.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weight of each text in every metric; ``None`` weighs them alike.

    Returns
    -------
    results : dict
        ``{"P@1": ..., "nDCG@1": ..., "PSP@1": ...}`` in percent.

    Examples
    --------
    >>> import numpy as np
    >>> from skxml.cli import evaluate_scores
    >>> y_true = np.array([[1, 0, 1], [0, 1, 0]])
    >>> y_score = np.array([[0.9, 0.5, 0.1], [0.2, 0.8, 0.3]])
    >>> evaluate_scores(y_true, y_score, np.ones(3), k_values=[1])
    {'P@1': 100.0, 'nDCG@1': 100.0, 'PSP@1': 100.0}
    """
    from skxml.metrics import ndcg_at_k, precision_at_k, psp_at_k

    results: dict[str, float] = {}
    for name, metric in (("P", precision_at_k), ("nDCG", ndcg_at_k)):
        for k in k_values:
            results[f"{name}@{k}"] = 100 * metric(
                y_true, y_score, k=k, sample_weight=sample_weight
            )
    if inv_propensity is None:
        return results
    for k in k_values:
        results[f"PSP@{k}"] = 100 * psp_at_k(
            y_true, y_score, k=k, inv_propensity=inv_propensity, sample_weight=sample_weight
        )
    return results


def _print_table(title: str, rows: dict[str, Any], file: Any = None) -> None:
    print(title, file=file)
    width = max(len(name) for name in rows)
    for name, value in rows.items():
        text = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"  {name:<{width}}  {text}", file=file)


# Estimator parameters that --param does not take, and why.
_PARAMS_NOT_ON_THE_COMMAND_LINE = {
    "checkpoint_path": "it has its own option, --checkpoint",
    "warm_start": "each 'skxml train' starts a new model (--resume-from continues one)",
    "threshold": "it is a prediction setting: give 'skxml predict --threshold P'",
    "clusterer": "it is an estimator object (its parameters are clusterer__NAME=VALUE)",
}
# What --param expects of the values that are not a plain type.
_EXPECTED_VALUES = {
    "hard_negatives": "'auto', 'none' or an int",
    "int_or_auto": "'auto' or an int",
    "count_or_fraction": "an int (a number of texts) or a float in (0, 1] (a fraction)",
    "int_pair": "two ints separated by a comma, such as 1,2",
    "pattern": "a regular expression (quote it for the shell) or 'none'",
}
# Parameters whose value may be None: --param NAME=none (word_vectors: ./none for a file
# named so).
_PARAMS_TAKING_NONE = frozenset(
    {"embedding_dim", "model_dim", "max_features", "validation_fraction", "n_iter_no_change",
     "random_state", "n_shortlist", "word_vectors", "clusterer__n_clusters",
     "clusterer__tfidf_max_features", "clusterer__n_jobs", "clusterer__random_state"}
)  # fmt: skip


def _parse_param(text: str) -> tuple[str, Any]:
    name, separator, value = text.partition("=")
    if separator and name in _PARAMS_NOT_ON_THE_COMMAND_LINE:
        raise argparse.ArgumentTypeError(
            f"--param {name} cannot be set from the command line: "
            f"{_PARAMS_NOT_ON_THE_COMMAND_LINE[name]}."
        )
    if not separator or name not in _PARAM_TYPES:
        raise argparse.ArgumentTypeError(
            f"--param takes NAME=VALUE with NAME one of {', '.join(sorted(_PARAM_TYPES))}; "
            f"got {text!r}."
        )
    kind = _PARAM_TYPES[name]
    try:
        if kind == "hard_negatives":
            if value.lower() in {"auto", "none"}:
                return name, None if value.lower() == "none" else "auto"
            return name, int(value)
        if kind == "int_or_auto":
            return name, "auto" if value.lower() == "auto" else int(value)
        if kind == "count_or_fraction":  # document frequencies: a count, or a fraction
            return name, _count_or_fraction(value)
        if kind == "int_pair":  # n-gram ranges: 1,2 (or (1, 2), 1-2)
            parts = value.strip().strip("()[]").replace("-", ",").split(",")
            if len(parts) != 2:
                raise ValueError(value)
            pair = (int(parts[0]), int(parts[1]))
            return name, _checked(check_ngram_range, pair, name)
        if kind == "pattern":
            if value.lower() == "none":
                return name, None
            return name, _checked(check_token_pattern, value, name)
        if kind is bool:
            if value.lower() not in {"true", "false", "1", "0"}:
                raise ValueError(value)
            return name, value.lower() in {"true", "1"}
        if name in _PARAMS_TAKING_NONE and value.lower() == "none":
            return name, None
        return name, kind(value)
    except ValueError:
        expected = _EXPECTED_VALUES.get(kind) or (
            "true, false, 1 or 0" if kind is bool else kind.__name__
        )
        raise argparse.ArgumentTypeError(
            f"--param {name} expects {expected}, got {value!r}."
        ) from None


def _checked(check: Any, value: Any, name: str) -> Any:
    """``check(value)``, its ValueError as the --param error (said before any data is read)."""
    try:
        return check(value, name=name)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--param {name}: {exc}") from None


def _count_or_fraction(value: str) -> int | float:
    """A document frequency: ``2`` (``+2``, ``2.0``) is a number of texts, ``0.5`` a
    fraction of them (``1.0`` is every text, as in scikit-learn)."""
    try:
        return int(value)
    except ValueError:
        number = float(value)
    # 2.0 or 1e2 can only mean a count: a fraction is at most 1.
    return int(number) if number > 1 and number.is_integer() else number


def _k_values(text: str) -> tuple[int, ...]:
    """``--k 1,3,5``: positive cut-offs, in increasing order, each once."""
    try:
        values = sorted({int(part) for part in text.split(",")})
    except ValueError:
        values = []
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive ints separated by commas, such as 1,3,5; got {text!r}"
        )
    return tuple(values)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive int, got {text!r}")
    return value


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _label_lists(Y: sp.csr_matrix, names: np.ndarray) -> list[list[Any]]:
    Y = Y.tocsr()
    return [
        list(names[Y.indices[start:end]])
        for start, end in zip(Y.indptr[:-1], Y.indptr[1:], strict=True)
    ]


def _require_texts(texts: Sequence[str], source: str) -> None:
    """Name the file when it holds no text (rather than the estimators' "X is empty")."""
    if len(texts) == 0:
        raise ValueError(f"{source} holds no texts; at least one line is required.")


def _read_sample_weights(path: str | None, n_texts: int) -> np.ndarray | None:
    """One non-negative number per line of ``path`` (plain or gzip), one line per text."""
    from skxml.datasets._io import read_text_lines

    if path is None:
        return None
    lines = read_text_lines(path)
    if lines and lines[-1] == "":
        lines = lines[:-1]
    weights = np.empty(len(lines))
    for number, line in enumerate(lines, start=1):
        try:
            weight = float(line)
        except ValueError:
            raise ValueError(
                f"--sample-weight {path}, line {number}: {line!r:.40} is not a number; the "
                "file holds one weight per line, one line per text."
            ) from None
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"--sample-weight {path}, line {number}: {line!r:.40} is not a finite "
                "non-negative number."
            )
        weights[number - 1] = weight
    if len(weights) != n_texts:
        raise ValueError(
            f"--sample-weight {path} holds {len(weights)} weights for {n_texts} texts; "
            "give one weight per line, one line per text, in the texts' order."
        )
    if n_texts and not weights.any():
        raise ValueError(f"--sample-weight {path}: every weight is 0, so no text would count.")
    return weights


def _standard_input(path: str | None, option: str) -> str | None:
    """``-`` names standard input (``... | skxml train --texts - ...``)."""
    if path != "-":
        return path
    if not os.path.exists("/dev/stdin"):
        raise SystemExit(f"error: {option} - reads /dev/stdin, which this system lacks.")
    return "/dev/stdin"


def _check_data_options(args: argparse.Namespace) -> None:
    """Refuse data options that contradict each other rather than ignore some of them."""
    if args.texts == "-" and getattr(args, "validation_texts", None) == "-":
        raise SystemExit(
            "error: standard input can be read once: give --texts - or --validation-texts -, "
            "not both."
        )
    args.texts = _standard_input(args.texts, "--texts")
    if getattr(args, "validation_texts", None) is not None:
        args.validation_texts = _standard_input(args.validation_texts, "--validation-texts")
    corpus = getattr(args, "corpus", None)
    text_files = [
        option
        for option, value in (("--texts", args.texts), ("--labels", args.labels))
        if value is not None
    ]
    if corpus is not None and (text_files or args.lf_json is not None):
        given = ", ".join([*text_files, *(["--lf-json"] if args.lf_json else [])])
        raise SystemExit(f"error: --corpus replaces the data files; drop {given}.")
    if args.lf_json is not None and text_files:
        raise SystemExit(
            f"error: give --lf-json or --texts and --labels, not both (also got "
            f"{', '.join(text_files)})."
        )
    if args.n_labels is not None and args.lf_json is None:
        raise SystemExit("error: --n-labels applies to --lf-json only.")
    if args.labels_format is not None and (corpus is not None or args.lf_json is not None):
        source = "--corpus" if corpus is not None else "--lf-json"
        raise SystemExit(
            f"error: --labels-format applies to a --labels file, not to {source}; drop it."
        )
    if args.labels_format is None:
        args.labels_format = "names"
    if getattr(args, "predictions", None) is not None:
        if args.texts is not None:
            raise SystemExit(
                "error: --predictions replaces --texts (the file's rankings are scored, the "
                "model is not run); drop --texts."
            )
        if args.lf_json is None and args.labels is None:
            raise SystemExit("error: give the true labels with --labels or --lf-json.")
        return
    if args.lf_json is None and corpus is None and (args.texts is None or args.labels is None):
        alternatives = "--lf-json, or --corpus" if hasattr(args, "corpus") else "or --lf-json"
        raise SystemExit(f"error: give --texts and --labels, {alternatives}.")


def _read_data(
    args: argparse.Namespace, model_classes: np.ndarray | None = None
) -> tuple[list[str] | None, sp.csr_matrix, np.ndarray]:
    """Texts, label matrix and label names from the files named on the command line; in
    the columns of ``model_classes`` when given (a fitted model's ``classes_``). Without
    ``--texts`` (``evaluate --predictions``) the labels alone, and ``None`` for the texts."""
    from skxml.datasets import load_attentionxml, load_lf_json, load_xc_sparse
    from skxml.datasets._attentionxml import _read_labels, _read_pair
    from skxml.datasets._io import read_text_lines
    from skxml.datasets._labels import as_name_array

    named_model = model_classes is not None and model_classes.dtype == object
    if named_model and (args.lf_json is not None or args.labels_format == "xc"):
        source = "--lf-json" if args.lf_json is not None else "--labels-format xc"
        raise SystemExit(
            f"error: the model was trained on label names, but {source} gives label column "
            "ids, which name no label of it; give the labels as names (--labels-format names)."
        )
    if args.lf_json is not None:
        n_labels = args.n_labels
        if n_labels is None and model_classes is not None:
            n_labels = len(model_classes)  # the model's label space
        return load_lf_json(args.lf_json, n_labels=n_labels)
    if args.labels_format == "xc":
        texts = None if args.texts is None else read_text_lines(args.texts)
        Y = load_xc_sparse(args.labels)
        wrong = np.flatnonzero((Y.data != 0) & (Y.data != 1))
        if wrong.size:
            row = int(np.searchsorted(Y.indptr, wrong[0], side="right")) - 1
            raise SystemExit(
                f"error: {args.labels}: line {row + 2}: label {Y.indices[wrong[0]]} has the "
                f"value {Y.data[wrong[0]].item()!r}; a label file holds 'label:1' pairs (or "
                "'label:0' for none)."
            )
        if texts is not None and Y.shape[0] != len(texts):
            raise SystemExit(
                f"error: {args.texts} has {len(texts)} lines but {args.labels} has "
                f"{Y.shape[0]} rows."
            )
        return texts, Y, np.arange(Y.shape[1])
    if model_classes is None:
        return load_attentionxml(args.texts, args.labels)
    # In the model's columns; a model trained on column ids (xc or LF labels) reads names as
    # those ids: "7" is column 7, not the 7th name in sorted order. Names the model does not
    # have get columns after its own.
    model_names = list(model_classes) if named_model else [str(i) for i in model_classes]
    if args.texts is None:
        texts = None
        Y, names = _read_labels(
            args.labels, as_name_array(model_names), "error", append_unknown=True
        )
    else:
        texts, Y, names = _read_pair(
            args.texts, args.labels, as_name_array(model_names), "error", append_unknown=True
        )
    return texts, Y, np.asarray([*model_classes, *names[len(model_names) :]], dtype=object)


def _add_data_arguments(parser: argparse.ArgumentParser, *, labels_required: bool) -> None:
    group = parser.add_argument_group("data (AttentionXML text layout, XC sparse labels, LF JSON)")
    group.add_argument(
        "--texts", help="file with one raw text per line (plain or gzip); - reads standard input"
    )
    if labels_required:
        group.add_argument(
            "--labels",
            help="labels of each text: space-separated names per line (names), or an Extreme "
            "Classification Repository sparse label file (xc)",
        )
        group.add_argument(
            "--labels-format",
            choices=["names", "xc"],
            default=None,
            help="format of --labels: names (space-separated label names per line) or xc "
            "(an Extreme Classification Repository sparse label file) (names)",
        )
        group.add_argument(
            "--lf-json", help="an LF-* JSON-lines file (title + target_ind) instead of the above"
        )
        group.add_argument("--n-labels", type=int, help="number of labels of the LF-* dataset")


def _parameter_list() -> str:
    """The --param names with their defaults, for the help of train and prepare."""
    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer

    def shown(value: Any) -> str:  # as --param takes it
        if value is None or isinstance(value, bool):
            return str(value).lower()
        return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)

    def listed(params: dict[str, Any]) -> str:
        return ", ".join(
            f"{name}={shown(value)}" for name, value in params.items() if name in _PARAM_TYPES
        )

    # verbose: the command line shows the progress bar unless told otherwise.
    common = InceptionXMLClassifier(verbose=1).get_params()
    plus = InceptionXMLPlusClassifier().get_params(deep=False)
    plus_only = {name: value for name, value in plus.items() if name not in common}
    plus_only |= {
        f"clusterer__{name}": value for name, value in LabelTreeClusterer().get_params().items()
    }
    differing = ", ".join(
        f"{name}={shown(plus[name])}"
        for name in common
        if name in plus and name != "verbose" and plus[name] != common[name]
    )
    return (
        f"--param names and defaults: {listed(common)}. With --estimator plus: "
        f"{differing} and also {listed(plus_only)}. Values: numbers, true/false, none, "
        "auto where a parameter takes it, n-gram ranges as 1,2. What each does: the "
        "estimators' documentation (InceptionXMLClassifier, InceptionXMLPlusClassifier)."
    )


def _add_estimator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--estimator",
        choices=["inceptionxml", "plus"],
        default="inceptionxml",
        help="InceptionXMLClassifier or InceptionXMLPlusClassifier (inceptionxml)",
    )
    parser.add_argument(
        "--param",
        action="append",
        type=_parse_param,
        metavar="NAME=VALUE",
        help="a hyperparameter, repeatable (e.g. --param n_epochs=5; "
        "--param word_vectors=none learns embeddings from scratch; with --estimator plus, "
        "--param clusterer__n_clusters=1024 sets the label clustering)",
    )


def _check_output_file(path: str, option: str) -> None:
    """Fail before any work when ``path`` cannot be written (no folder, or a folder)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise SystemExit(f"error: {option} {path} is a folder; give a file name.")
    if not os.path.isdir(folder):
        raise SystemExit(f"error: {option} {path}: the folder {folder} does not exist.")
    error = folder_write_error(folder)
    if error is not None:
        raise SystemExit(
            f"error: {option} {path}: no file can be written in the folder {folder} "
            f"({error.strerror})."
        )


def _check_outputs_are_not_inputs(
    args: argparse.Namespace,
    outputs: Sequence[tuple[str, str | None]],
    *,
    inputs: Sequence[tuple[str, str | None]] | None = None,
) -> None:
    """Refuse to write a model, checkpoint or predictions over a file the command reads
    (``inputs``: the data files by default)."""
    if inputs is None:
        inputs = [
            (_FILE_OPTIONS[attribute], getattr(args, attribute, None)) for attribute in _DATA_FILES
        ]
    for output_option, output in outputs:
        if output is None or not os.path.exists(output):
            continue
        for input_option, path in inputs:
            if path is not None and os.path.exists(path) and os.path.samefile(output, path):
                raise SystemExit(
                    f"error: {output_option} {output} is the {input_option} file; writing there "
                    "would destroy what it holds. Give another file name."
                )


def _check_input_file(path: str, option: str) -> None:
    """Refuse a missing input, or a folder, before any slow work (a pipe is fine)."""
    if os.path.isdir(path):
        raise SystemExit(f"error: {option} {path} is a folder; give a file.")
    if not os.path.exists(path):
        raise SystemExit(f"error: {option} {path}: no such file.")


def _load_model(path: str) -> Any:
    import joblib

    from skxml._base import BaseInceptionXML

    if os.path.isdir(path):
        raise SystemExit(f"error: --model {path} is a folder; give a model file.")
    if not os.path.isfile(path):
        raise SystemExit(f"error: --model {path}: no such file.")
    try:
        model = joblib.load(path)
    except Exception as exc:  # joblib raises whatever unpickling a foreign file raises
        raise SystemExit(
            f"error: --model {path} could not be read as a joblib file "
            f"({type(exc).__name__}: {exc}); give a model saved by 'skxml train' or joblib.dump."
        ) from exc
    if not isinstance(model, BaseInceptionXML):
        raise SystemExit(f"error: {path} does not hold a skxml model ({type(model).__name__}).")
    if not hasattr(model, "network_"):
        raise SystemExit(
            f"error: {path} holds an unfitted {type(model).__name__}; train it first "
            "('skxml train')."
        )
    return model


def _make_estimator(args: argparse.Namespace) -> Any:
    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier

    params = dict(args.param or [])
    nested = {name: params.pop(name) for name in list(params) if "__" in name}
    # --param names only the two estimators' parameters: those InceptionXML lacks are Plus's.
    plus_only = sorted(set(params) - set(InceptionXMLClassifier().get_params()) | set(nested))
    if plus_only and args.estimator != "plus":
        raise SystemExit(
            f"error: --param {plus_only[0]} is a parameter of InceptionXML+: add --estimator plus."
        )
    params.setdefault("verbose", 1)
    if getattr(args, "checkpoint", None) is not None:
        params["checkpoint_path"] = args.checkpoint
    estimator = {"inceptionxml": InceptionXMLClassifier, "plus": InceptionXMLPlusClassifier}
    # clusterer__NAME: set_params builds the default LabelTreeClusterer() with NAME set.
    model = estimator[args.estimator](**params).set_params(**nested)
    # Out-of-range values are refused now, not after the data is read and tokenised.
    model._validate_params()
    if getattr(model, "clusterer", None) is not None:
        model.clusterer._validate_params()
    return model


def _labels_are_names(args: argparse.Namespace) -> bool:
    return args.labels_format == "names" and args.lf_json is None


def _training_target(args: argparse.Namespace) -> tuple[list[str], Any]:
    texts, Y, names = _read_data(args)
    assert texts is not None  # training reads --texts (or --lf-json), never labels alone
    return texts, _label_lists(Y, names) if _labels_are_names(args) else Y


def _run_prepare(args: argparse.Namespace) -> int:
    from skxml.datasets import write_token_corpus

    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise SystemExit(
            f"error: --output {args.output} is a file; prepare writes a corpus folder: give "
            "a new or existing folder."
        )
    _check_data_options(args)
    texts, target = _training_target(args)
    started = time.perf_counter()
    corpus = write_token_corpus(
        args.output, texts, target, estimator=_make_estimator(args), chunk_size=args.chunk_size
    )
    print(
        f"{corpus} written to {args.output} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


def _in_width(Y: Any, width: int, user: str, owner: str) -> Any:
    """Label column ids in ``width`` columns: the width a file declares (an XC header,
    ``--n-labels``) may differ from ``width`` as long as every id it uses is a column."""
    if Y.shape[1] == width:
        return Y
    Y = sp.csr_matrix(Y)
    largest = int(Y.indices.max()) if Y.nnz else -1
    if largest >= width:
        raise SystemExit(
            f"error: {user} label column {largest}, but {owner} {width} labels (columns 0 "
            f"to {width - 1})."
        )
    return sp.csr_matrix((Y.data, Y.indices, Y.indptr), shape=(Y.shape[0], width))


def _take_corpus_text_parameters(model: Any, corpus: Any, args: argparse.Namespace) -> None:
    """Train with the text parameters the corpus was prepared with: those not given with
    --param are taken from it; one given with another value is refused, naming both."""
    from skxml._base import _same_parameter

    given = dict(args.param or [])
    for name, value in corpus.text_parameters.items():
        if name not in given:
            model.set_params(**{name: value})
        elif not _same_parameter(given[name], value, model._parameter_constraints.get(name)):
            raise SystemExit(
                f"error: --corpus {args.corpus} was prepared with {name}={value!r}, but "
                f"--param {name}={given[name]!r} asks for another value; drop that --param "
                "(the corpus's value is used), or run 'skxml prepare' again with it."
            )
    if (corpus.bag is not None) != model._uses_tfidf:
        switches = " ".join(
            f"--param {name}={getattr(model, name)}" for name in model._tfidf_switches
        )
        raise SystemExit(
            f"error: --corpus {args.corpus} "
            + (
                "holds TF-IDF n-grams, but this model uses none"
                if corpus.bag is not None
                else "holds no TF-IDF n-grams, but this model uses them"
            )
            + f" ({switches}); give the --estimator and --param values it was prepared with, "
            "or run 'skxml prepare' again with these."
        )


def _validation_data(
    args: argparse.Namespace, *, named: bool, width: int
) -> tuple[list[str], Any] | None:
    """``validation_data`` from --validation-texts / --validation-labels or
    --validation-lf-json (checked by ``_check_validation_options``); None without them.
    ``named``: the training labels are names (else column ids, ``width`` of them)."""
    if args.validation_lf_json is None and args.validation_texts is None:
        return None
    if args.validation_lf_json is not None:
        if named:
            raise SystemExit(
                "error: the training labels are names, but --validation-lf-json gives label "
                "column ids; give --validation-texts and --validation-labels instead."
            )
        source = argparse.Namespace(lf_json=args.validation_lf_json, n_labels=width)
    else:
        source = argparse.Namespace(
            texts=args.validation_texts,
            labels=args.validation_labels,
            lf_json=None,
            n_labels=None,
            labels_format="names" if named else "xc",
        )
    texts, Y, names = _read_data(source)
    assert texts is not None  # --validation-texts is required with --validation-labels
    _require_texts(texts, args.validation_lf_json or args.validation_texts)
    if named:
        return texts, _label_lists(Y, names)
    option = "--validation-lf-json" if args.validation_lf_json else "--validation-labels"
    return texts, _in_width(Y, width, f"{option} uses", "the training labels have")


def _check_validation_options(model: Any, args: argparse.Namespace) -> None:
    """Say in the command line's terms, before any data is read, what validation data and
    early stopping need."""
    texts_given = args.validation_texts is not None or args.validation_labels is not None
    if args.validation_lf_json is not None and texts_given:
        raise SystemExit(
            "error: give --validation-lf-json or --validation-texts and --validation-labels, "
            "not both."
        )
    if texts_given and (args.validation_texts is None or args.validation_labels is None):
        missing = "--validation-labels" if args.validation_labels is None else "--validation-texts"
        raise SystemExit(f"error: validation data needs {missing} too.")
    given = texts_given or args.validation_lf_json is not None
    if model.n_iter_no_change is not None and model.validation_fraction is None and not given:
        raise SystemExit(
            "error: --param n_iter_no_change stops on validation P@1: give "
            "--validation-texts and --validation-labels (or --validation-lf-json), or "
            "--param validation_fraction=0.1."
        )
    if given and model.validation_fraction is not None:
        raise SystemExit("error: give validation data or --param validation_fraction, not both.")
    if args.corpus is not None and model.validation_fraction is not None:
        raise SystemExit(
            "error: --param validation_fraction would copy the rest of the corpus into "
            "memory; give --validation-texts and --validation-labels (or "
            "--validation-lf-json) instead."
        )


def _run_train(args: argparse.Namespace) -> int:

    from skxml.datasets import load_token_corpus

    _check_output_file(args.model, "--model")
    if args.checkpoint is not None:
        _check_output_file(args.checkpoint, "--checkpoint")
    _check_outputs_are_not_inputs(
        args, [("--model", args.model), ("--checkpoint", args.checkpoint)]
    )
    # A checkpoint resumed from may be written on (--checkpoint run.ckpt --resume-from
    # run.ckpt continues a run, still checkpointing); the model may not replace it.
    _check_outputs_are_not_inputs(
        args, [("--model", args.model)], inputs=[("--resume-from", args.resume_from)]
    )
    _check_data_options(args)
    model = _make_estimator(args)
    _check_validation_options(model, args)
    started = time.perf_counter()
    if args.corpus is not None:
        corpus = load_token_corpus(args.corpus)
        _take_corpus_text_parameters(model, corpus, args)
        weights = _read_sample_weights(args.sample_weight, len(corpus))
        validation = _validation_data(
            args, named=corpus.label_binarizer is not None, width=corpus.labels.shape[1]
        )
        model.fit(
            corpus, sample_weight=weights, validation_data=validation, resume_from=args.resume_from
        )
    else:
        texts, target = _training_target(args)
        weights = _read_sample_weights(args.sample_weight, len(texts))
        named = _labels_are_names(args)
        validation = _validation_data(args, named=named, width=0 if named else target.shape[1])
        model.fit(
            texts,
            target,
            sample_weight=weights,
            validation_data=validation,
            resume_from=args.resume_from,
        )
    n_texts = model.n_train_samples_
    if is_main_process():  # data-parallel training: rank 0 reports and saves
        print(
            f"trained on {n_texts} texts, {len(model.classes_)} labels in "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        _save_model(model, args.model)
        print(f"model saved to {args.model}", file=sys.stderr)
    end_data_parallel_run()
    return 0


def _save_model(model: Any, path: str) -> None:
    """``joblib.dump(model, path)`` through a temporary file in the same folder, renamed
    over ``path`` once whole: a failed write (a full disk) leaves the model that was at
    ``path`` as it was. The new file has the permissions of the one it replaces (or those
    ``open`` gives a new file); a symbolic link is followed. A ``path`` that is not a
    regular file (``/dev/stdout``, a named pipe) is written directly."""
    import joblib

    direct = os.path.exists(path) and not os.path.isfile(path)
    try:
        if direct:
            joblib.dump(model, path)
        else:
            dump_atomically(model, path, prefix=".skxml-model-", keep_mode=True, sync=True)
    except OSError as exc:
        raise SystemExit(
            f"error: --model {path}: the trained model could not be saved "
            f"({exc.strerror or exc}); "
            + ("" if direct else "a model already there is left as it was; ")
            + "free some space or give another file name, and train again."
        ) from exc


def _run_predict(args: argparse.Namespace) -> int:
    from skxml._base import _sigmoid
    from skxml.datasets._io import read_text_lines

    if args.output not in (None, "-"):
        _check_output_file(args.output, "--output")
        _check_outputs_are_not_inputs(
            args,
            [("--output", args.output)],
            inputs=[("--texts", args.texts), ("--model", args.model)],
        )
    texts_path = _standard_input(args.texts, "--texts")
    model = _load_model(args.model)
    texts = read_text_lines(texts_path)
    _require_texts(texts, "standard input" if args.texts == "-" else args.texts)
    k = args.k if args.k is not None else model.top_k
    # Ranked by the logits: probabilities of confident labels round to the same value.
    scores = model.decision_function(texts, k=min(k, len(model.classes_)))
    probabilities = _sigmoid(scores.data)
    # The model's own threshold unless --threshold is given (None: every top-k label).
    threshold = args.threshold if args.threshold is not None else model.threshold
    threshold = -1.0 if threshold is None else threshold
    names = [_json_label(name) for name in model.classes_] if args.json else model.classes_
    spaced: list[str] = []  # names that whitespace would split in the text form
    output = sys.stdout if args.output in (None, "-") else open(args.output, "w", encoding="utf-8")
    try:
        for row in range(scores.shape[0]):
            start, end = scores.indptr[row], scores.indptr[row + 1]
            logits, columns = scores.data[start:end], scores.indices[start:end]
            order = start + np.lexsort((columns, -logits))
            kept = [i for i in order if probabilities[i] >= threshold]
            if args.json:
                record = {
                    "labels": [names[scores.indices[i]] for i in kept],
                    "probabilities": [round(float(probabilities[i]), 6) for i in kept],
                }
                output.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            written = [f"{names[scores.indices[i]]}" for i in kept]
            if not spaced:
                spaced = [name for name in written if _has_whitespace(name)]
            output.write(
                " ".join(
                    f"{name}:{probabilities[i]:.4f}" for name, i in zip(written, kept, strict=True)
                )
                + "\n"
            )
    finally:
        if output is not sys.stdout:
            output.close()
    if spaced:
        warnings.warn(
            f"label names with whitespace, such as {spaced[0]!r}, cannot be told apart from "
            "the spaces between labels in this output; skxml predict --json writes them whole.",
            UserWarning,
            stacklevel=2,
        )
    return 0


def _is_finite_number(value: Any) -> bool:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer of hundreds of digits
        return False


def _json_label(name: Any) -> Any:
    """A label as JSON has it: a column id as a number, a name as a string."""
    return int(name) if isinstance(name, (int, np.integer)) else str(name)


def _has_whitespace(name: str) -> bool:
    return any(character.isspace() for character in name)


def _run_evaluate(args: argparse.Namespace) -> int:
    from skxml.metrics._scorer import _inverse_propensity_with_unseen, _with_unreachable_columns

    _check_data_options(args)
    predictions_path = _standard_input(args.predictions, "--predictions")
    if predictions_path is not None and args.predictions != "-":
        _check_input_file(predictions_path, "--predictions")
    model = _load_model(args.model)
    n_labels = len(model.classes_)
    texts, Y, names = _read_data(args, model_classes=model.classes_)
    source = args.lf_json or args.labels
    if texts is not None:
        _require_texts(texts, args.lf_json or args.texts)
    n_texts = Y.shape[0]
    weights = _read_sample_weights(args.sample_weight, n_texts)
    if args.lf_json is not None or args.labels_format == "xc":
        Y = _in_width(Y, n_labels, f"{source} uses", "the model has")
    n_unseen = Y.shape[1] - n_labels
    if Y.nnz == 0:
        raise SystemExit(f"error: {source} holds no label at all: there is nothing to evaluate.")
    if Y[:, :n_labels].nnz == 0:
        raise SystemExit(
            f"error: none of the {n_unseen} label(s) of {source} is one the model was trained "
            f"on ({', '.join(repr(name) for name in names[n_labels : n_labels + 3])}"
            f"{', ...' if n_unseen > 3 else ''}), so every metric would be 0: is it the "
            "labels file of these texts, for this model (and --labels-format)?"
        )
    if n_unseen:
        # True labels all the same: kept as columns no ranking reaches, so that nDCG@k and
        # PSP@k count them as missed (P@k is the same either way).
        occurrences = int(Y[:, n_labels:].nnz)
        examples = ", ".join(repr(name) for name in names[n_labels : n_labels + 3])
        warnings.warn(
            f"{source}: {n_unseen} label(s) the model was not trained on ({examples}"
            f"{', ...' if n_unseen > 3 else ''}; {occurrences} occurrence(s)) count as missed.",
            UserWarning,
            stacklevel=2,
        )
    inv_propensity = None
    if model.n_train_samples_ >= 3:  # the propensity model needs ln N > 1
        inv_propensity = _inverse_propensity_with_unseen(
            model.label_counts_, model.n_train_samples_, n_unseen, A=args.A, B=args.B
        )
    else:
        print(
            f"{args.model}: trained on {model.n_train_samples_} texts, too few for "
            "propensities (3 or more); PSP@k is left out.",
            file=sys.stderr,
        )
    if predictions_path is None:
        scores = model.decision_function(texts, k=min(max(args.k), n_labels))
    else:
        scores = _read_predictions(predictions_path, args, model.classes_, n_texts, source)
        _warn_if_short(scores, args, n_labels)
    scores = _with_unreachable_columns(scores, n_labels, n_unseen)
    results = evaluate_scores(Y, scores, inv_propensity, args.k, sample_weight=weights)
    if args.json:
        print(json.dumps({name: round(value, 4) for name, value in results.items()}))
    else:
        _print_table(f"metrics (%, {n_texts} texts):", results)
    return 0


def _read_predictions(
    path: str, args: argparse.Namespace, classes: np.ndarray, n_texts: int, source: str
) -> sp.csr_matrix:
    """The rankings of a ``skxml predict`` output file as an (n_texts, n_classes) CSR matrix:
    each line's labels (``label:probability`` pairs, or in a file whose first non-empty
    line is a JSON object, ``predict --json``'s objects of ``labels`` and
    ``probabilities``) ranked by probability, ties in the line's order, as scores from the
    number of labels down to 1."""
    from skxml.datasets._io import read_text_lines

    where = f"--predictions {args.predictions}"
    lines = read_text_lines(path)
    if len(lines) != n_texts:
        raise SystemExit(
            f"error: {where} has {len(lines)} lines but {source} has {n_texts} rows; line i "
            "of both must be the same text (skxml predict writes one line per text, empty "
            "when no label passes its threshold)."
        )
    column = {str(name): i for i, name in enumerate(classes)}
    # predict --json writes JSON objects, one per line: the first non-empty line says which
    # form the file is in (no line of label:probability tokens is a JSON object).
    as_json = next((_is_json_object(line) for line in lines if line.strip()), False)
    pairs_of = _json_line_pairs if as_json else _text_line_pairs
    indptr, indices, data = [0], list[int](), list[int]()
    for number, line in enumerate(lines, start=1):
        ranked: list[tuple[float, int, int]] = []
        seen: set[int] = set()
        for position, (name, probability) in enumerate(pairs_of(line, f"{where}, line {number}")):
            if name not in column:
                raise SystemExit(
                    f"error: {where}, line {number}: {name[:60]!r} is no label of the model "
                    f"{args.model}; were these predictions written by skxml predict with it?"
                )
            if column[name] in seen:
                raise SystemExit(f"error: {where}, line {number}: {name[:60]!r} is there twice.")
            seen.add(column[name])
            ranked.append((-probability, position, column[name]))
        ranked.sort()
        indices.extend(label for _, _, label in ranked)
        data.extend(range(len(ranked), 0, -1))
        indptr.append(len(indices))
    return sp.csr_matrix(
        (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int64), indptr),
        shape=(n_texts, len(classes)),
    )


def _text_line_pairs(line: str, where: str) -> list[tuple[str, float]]:
    """(label, probability) of each ``label:probability`` token of a line of predict."""
    pairs = []
    for token in line.split():
        name, _, value = token.rpartition(":")
        try:
            probability = float(value) if name else math.nan
        except ValueError:
            probability = math.nan
        if not math.isfinite(probability):
            raise SystemExit(
                f"error: {where}: {token[:60]!r} is not 'label:probability' (a label name, a "
                "colon and a finite number), the form skxml predict writes (for label names "
                "with spaces, skxml predict --json)."
            )
        pairs.append((name, probability))
    return pairs


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


def _json_line_pairs(line: str, where: str) -> list[tuple[str, float]]:
    """(label, probability) of a line of ``predict --json``; an empty line has none."""
    if not line.strip():
        return []
    form = (
        'a JSON object {"labels": [...], "probabilities": [...]} of equal lengths, labels '
        "strings or integers, probabilities finite numbers (the form skxml predict --json "
        "writes)"
    )
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        raise SystemExit(f"error: {where} is not JSON; expected {form}.") from None
    labels = record.get("labels") if isinstance(record, dict) else None
    probabilities = record.get("probabilities") if isinstance(record, dict) else None
    if not (
        isinstance(labels, list)
        and isinstance(probabilities, list)
        and len(labels) == len(probabilities)
        and all(
            isinstance(label, (str, int)) and label is not True and label is not False
            for label in labels
        )
        and all(_is_finite_number(p) for p in probabilities)
    ):
        raise SystemExit(f"error: {where}: {line[:60]!r} is not {form}.")
    return [(str(label), float(p)) for label, p in zip(labels, probabilities, strict=True)]


def _warn_if_short(scores: sp.csr_matrix, args: argparse.Namespace, n_labels: int) -> None:
    """Say how many lines rank fewer labels than the largest cut-off asks for (a model with
    fewer labels ranks them all): their missing ranks count as misses."""
    wanted = min(max(args.k), n_labels)
    n_short = int(np.count_nonzero(np.diff(scores.indptr) < wanted))
    if n_short:
        warnings.warn(
            f"--predictions {args.predictions}: {n_short} of {scores.shape[0]} lines rank "
            f"fewer than {wanted} labels (cut by --k or a threshold?); the metrics count their "
            f"missing ranks as misses, as for a model that ranked nothing there (skxml predict "
            f"--k {wanted} --threshold 0 writes {wanted} per text).",
            UserWarning,
            stacklevel=2,
        )


def _run_demo(args: argparse.Namespace) -> int:
    from skxml import InceptionXMLClassifier
    from skxml.datasets import describe_dataset, load_debian_tags
    from skxml.metrics import inverse_propensity

    train = load_debian_tags(subset="train")
    test = load_debian_tags(subset="test")
    # With --json, standard output holds the JSON alone (for `skxml demo --json | jq`).
    report = sys.stderr if args.json else sys.stdout
    print(
        f"skxml {__version__} -- embedded dataset: debian-tags (Debian package descriptions)",
        file=report,
    )
    _print_table("train split:", describe_dataset(train.data, train.target), file=report)
    _print_table("test split:", describe_dataset(test.data, test.target), file=report)

    model = InceptionXMLClassifier(random_state=args.random_state, verbose=int(args.verbose))
    started = time.perf_counter()
    model.fit(train.data, train.target)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = model.decision_function(test.data)
    predict_seconds = time.perf_counter() - started

    inv_propensity = inverse_propensity(train.target, A=0.55, B=1.5)
    results = evaluate_scores(test.target, scores, inv_propensity)
    print(
        f"model: InceptionXMLClassifier() with default parameters, on {model.device_} "
        f"(fit {fit_seconds:.0f} s, {model.n_epochs_trained_} epochs; predict "
        f"{len(test.data)} texts in {predict_seconds:.1f} s)",
        file=report,
    )
    _print_table(
        "test metrics (%, propensities A=0.55 B=1.5 from the training split):",
        results,
        file=report,
    )
    if args.json:
        print(json.dumps({name: round(value, 4) for name, value in results.items()}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``skxml`` command.

    Returns
    -------
    parser : argparse.ArgumentParser

    Examples
    --------
    >>> from skxml.cli import build_parser
    >>> build_parser().parse_args(["demo"]).command
    'demo'
    """
    parser = argparse.ArgumentParser(
        prog="skxml",
        description="Short-text extreme multi-label classification (InceptionXML).",
    )
    parser.add_argument("--version", action="version", version=f"skxml {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parameter_list = _parameter_list()  # the epilog of train and prepare
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="train and evaluate InceptionXML on the embedded debian-tags dataset",
        description=(
            "Load the embedded debian-tags dataset, print its statistics, train "
            "InceptionXMLClassifier (default parameters) on the training split and print "
            "P@k, nDCG@k and PSP@k (k = 1, 3, 5) on the test split."
        ),
    )
    demo.add_argument("--random-state", type=int, default=0, help="seed of the fit (0)")
    demo.add_argument("--quiet", dest="verbose", action="store_false", help="no progress bar")
    demo.add_argument(
        "--json",
        action="store_true",
        help="print the metrics as JSON, alone on standard output (the tables go to standard "
        "error)",
    )
    demo.set_defaults(handler=_run_demo)

    train = commands.add_parser(
        "train",
        help="train a model on data files and save it",
        description=(
            "Train InceptionXMLClassifier (or, with --estimator plus, "
            "InceptionXMLPlusClassifier) on data files and save it with joblib."
        ),
        epilog=parameter_list,
    )
    _add_data_arguments(train, labels_required=True)
    train.add_argument(
        "--corpus",
        metavar="DIR",
        help="train from a token corpus written by 'skxml prepare' (instead of --texts ...)",
    )
    train.add_argument("--model", required=True, help="where to save the model (.joblib)")
    train.add_argument(
        "--sample-weight",
        metavar="FILE",
        help="weight of each training text in the loss: one non-negative number per line, in "
        "the order of the texts (or of the corpus); 0 leaves a text out",
    )
    _add_estimator_arguments(train)
    train.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="write the training state here after every epoch (the estimator's checkpoint_path)",
    )
    validation = train.add_argument_group(
        "validation data (scored after every epoch; --param n_iter_no_change=N stops early)"
    )
    validation.add_argument(
        "--validation-texts",
        metavar="FILE",
        help="held-out texts, one per line; - reads standard input",
    )
    validation.add_argument(
        "--validation-labels",
        metavar="FILE",
        help="their labels: names or an XC file as --labels-format says (XC with --lf-json "
        "training data; with --corpus, names if the corpus was written from label names, "
        "else XC)",
    )
    validation.add_argument(
        "--validation-lf-json",
        metavar="FILE",
        help="held-out LF-* JSON lines, instead of the two above",
    )
    train.add_argument(
        "--resume-from",
        metavar="PATH",
        help="continue an interrupted 'skxml train' from its --checkpoint file (same data "
        "and parameters)",
    )
    train.set_defaults(handler=_run_train)

    prepare = commands.add_parser(
        "prepare",
        help="write training data as a memory-mapped token corpus (for data larger than memory)",
        description=(
            "Fit the vocabularies of the estimator that will be trained and write the token "
            "ids, TF-IDF n-grams and labels to DIR, for 'skxml train --corpus DIR'. Give the "
            "same --estimator and --param values as the training run."
        ),
        epilog=parameter_list,
    )
    _add_data_arguments(prepare, labels_required=True)
    prepare.add_argument("--output", required=True, metavar="DIR", help="corpus directory")
    prepare.add_argument(
        "--chunk-size", type=int, default=65_536, help="texts written at a time (65536)"
    )
    _add_estimator_arguments(prepare)
    prepare.set_defaults(handler=_run_prepare)

    predict = commands.add_parser(
        "predict",
        help="write the top-k labels of each text",
        description=(
            "Write one line per input text: its top-k labels as 'label:probability', best "
            "first, separated by spaces (or with --json one JSON object per line)."
        ),
    )
    predict.add_argument("--model", required=True, help="a model saved by 'skxml train'")
    predict.add_argument(
        "--texts",
        required=True,
        help="file with one raw text per line (plain or gzip); - reads standard input",
    )
    predict.add_argument(
        "--k", type=_positive_int, default=None, help="labels per text (the model's top_k, 5)"
    )
    predict.add_argument(
        "--threshold",
        type=_probability,
        default=None,
        help="write only the top-k labels of at least this probability (a line may then be "
        "empty; probabilities are compared before rounding to 4 decimals) (the model's "
        "threshold: none by default)",
    )
    predict.add_argument("--output", help="output file (default: standard output)")
    predict.add_argument(
        "--json",
        action="store_true",
        help='write each line as a JSON object, {"labels": [...], "probabilities": [...]}, '
        "best first (for label names with spaces, and for jq)",
    )
    predict.set_defaults(handler=_run_predict)

    evaluate = commands.add_parser(
        "evaluate",
        help="print P@k, nDCG@k and PSP@k of a saved model on labelled data",
        description=(
            "Score a saved model on labelled data, or with --predictions the labels that "
            "'skxml predict' wrote. PSP@k uses inverse propensities computed from the "
            "model's training label counts."
        ),
    )
    evaluate.add_argument("--model", required=True, help="a model saved by 'skxml train'")
    _add_data_arguments(evaluate, labels_required=True)
    evaluate.add_argument(
        "--predictions",
        metavar="FILE",
        help="score this output of 'skxml predict' (with this model, on the texts of the "
        "labels given) instead of running the model: no --texts then; either form, --json's "
        "when the first non-empty line is a JSON object; - reads standard input",
    )
    evaluate.add_argument(
        "-A", type=_positive_float, default=0.55, help="propensity constant A (0.55)"
    )
    evaluate.add_argument(
        "-B", type=_positive_float, default=1.5, help="propensity constant B (1.5)"
    )
    evaluate.add_argument(
        "--sample-weight",
        metavar="FILE",
        help="weight of each test text in the metrics: one non-negative number per line, in "
        "the order of the texts",
    )
    evaluate.add_argument(
        "--k",
        type=_k_values,
        default=_K_VALUES,
        metavar="K[,K...]",
        help="cut-offs of the metrics (1,3,5)",
    )
    evaluate.add_argument(
        "--json",
        action="store_true",
        help="print the metrics as one JSON object: keys P@k, nDCG@k and PSP@k for each k, "
        "values in percent (PSP@k left out for a model trained on fewer than 3 texts)",
    )
    evaluate.set_defaults(handler=_run_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skxml`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments (without the program name); ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        The exit status: 0 on success.

    Examples
    --------
    >>> from skxml.cli import main
    >>> main(["--version"])  # doctest: +SKIP
    skxml 0.1.0.dev0
    """
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the command's own usage, not the top-level one
        _command_parser(parser, args.command).error(f"unrecognized arguments: {' '.join(unknown)}")
    prefix = f"{parser.prog} {args.command}"
    started = time.time()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = functools.partial(_show_warning, prefix)
            status: int = args.handler(args)
    except SystemExit as exc:
        # The commands' own checks ("error: ..."), named like every other failure.
        if isinstance(exc.code, str) and exc.code.startswith("error: "):
            exc.code = f"{prefix}: {exc.code}"
            exc.args = (exc.code,)
        raise
    except KeyboardInterrupt:
        checkpoint = getattr(args, "checkpoint", None)
        resume = (
            f"; {checkpoint} holds the last finished epoch: continue with the same command and "
            f"--resume-from {checkpoint}"
            # One left by an earlier run is not this run's last epoch.
            if checkpoint is not None
            and os.path.isfile(checkpoint)
            and os.path.getmtime(checkpoint) >= started
            else ""
        )
        print(f"{prefix}: interrupted{resume}.", file=sys.stderr)
        return 130  # 128 + SIGINT, what a shell reports for a tool stopped by Ctrl-C
    except BrokenPipeError:
        # The reader went away (``skxml predict ... | head``): stop quietly, as Unix tools
        # do, and keep Python from reporting the pipe again when it flushes at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by it
    except (OSError, ValueError, TypeError, OverflowError, MemoryError) as exc:
        # Bad files, data or parameters: say what and where, without a traceback
        # (SKXML_TRACEBACK=1 keeps it, for a bug report).
        if os.environ.get("SKXML_TRACEBACK"):
            raise
        message = _error_message(exc, args)
        print(f"{prefix}: error ({type(exc).__name__}): {message}", file=sys.stderr)
        return 1
    return status


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    return parser  # pragma: no cover


def _show_warning(
    prefix: str,
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print a warning as the command's own line, not as a source line of skxml's."""
    print(f"{prefix}: warning: {message}", file=sys.stderr if file is None else file)


# The options naming the data files a command reads (never to be written over).
_DATA_FILES = (
    "texts",
    "labels",
    "lf_json",
    "sample_weight",
    "validation_texts",
    "validation_labels",
    "validation_lf_json",
    "predictions",
)
# The command-line options that name files, for naming the option of a file error.
_FILE_OPTIONS = {
    "texts": "--texts",
    "labels": "--labels",
    "lf_json": "--lf-json",
    "sample_weight": "--sample-weight",
    "validation_texts": "--validation-texts",
    "validation_labels": "--validation-labels",
    "validation_lf_json": "--validation-lf-json",
    "predictions": "--predictions",
    "model": "--model",
    "corpus": "--corpus",
    "resume_from": "--resume-from",
    "checkpoint": "--checkpoint",
    "output": "--output",
}


def _error_message(exc: Exception, args: argparse.Namespace | None = None) -> str:
    """``--texts a.txt: No such file or directory`` for file errors (the option named when
    one of the command's options is that file), the message otherwise."""
    # An OSError's filename may also be a file descriptor (an int) or bytes.
    if (
        isinstance(exc, OSError)
        and isinstance(exc.filename, (str, os.PathLike))
        and exc.strerror is not None
    ):
        filename = os.fspath(exc.filename)
        for attribute, option in _FILE_OPTIONS.items():
            if args is not None and getattr(args, attribute, None) == filename:
                return f"{option} {filename}: {exc.strerror}"
        return f"{exc.strerror}: {filename}"
    return str(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

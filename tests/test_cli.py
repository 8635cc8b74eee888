"""Tests of the skxml command line (train / predict / evaluate / --help) on tiny files."""

from __future__ import annotations

import json
import re

import joblib
import numpy as np
import pytest

from skxml.cli import _parse_param, build_parser, main

TEXTS = ["red apple pie", "green apple tart", "blue sky today", "grey sky and rain"] * 6
LABELS = ["food fruit", "food", "weather", "weather rain"] * 6
FAST = ["--param", "embedding_dim=64", "--param", "max_seq_len=8", "--param", "n_epochs=15",
        "--param", "batch_size=8", "--param", "random_state=0"]  # fmt: skip


@pytest.fixture
def data_files(tmp_path):
    texts, labels = tmp_path / "texts.txt", tmp_path / "labels.txt"
    texts.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    labels.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    return texts, labels


@pytest.fixture
def trained_model(tmp_path, data_files):
    texts, labels = data_files
    model = tmp_path / "model.joblib"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model), *FAST])
    return model


@pytest.mark.parametrize("command", [[], ["demo"], ["train"], ["predict"], ["evaluate"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: skxml" in capsys.readouterr().out


def test_train_predict_round_trip(tmp_path, data_files, trained_model):
    texts, _ = data_files
    output = tmp_path / "predictions.txt"
    main(["predict", "--model", str(trained_model), "--texts", str(texts), "--k", "2",
          "--output", str(output)])  # fmt: skip
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(TEXTS)
    for line in lines:
        pairs = [pair.rsplit(":", 1) for pair in line.split()]
        assert len(pairs) == 2
        assert {name for name, _ in pairs} <= {"food", "fruit", "rain", "weather"}
        probabilities = [float(p) for _, p in pairs]
        assert probabilities == sorted(probabilities, reverse=True)


def test_evaluate_prints_json_metrics(data_files, trained_model, capsys):
    texts, labels = data_files
    capsys.readouterr()
    main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
          str(labels), "--json"])  # fmt: skip
    results = json.loads(capsys.readouterr().out)
    assert set(results) == {f"{m}@{k}" for m in ("P", "nDCG", "PSP") for k in (1, 3, 5)}
    assert all(0 <= value <= 100 for value in results.values())
    assert results["P@1"] > 50  # the training texts themselves


def test_train_reads_xc_sparse_labels(tmp_path, data_files):
    texts, _ = data_files
    labels = tmp_path / "trn_X_Y.txt"
    rows = ["0:1 1:1", "0:1", "2:1", "2:1 3:1"] * 6
    labels.write_text(f"{len(rows)} 4\n" + "\n".join(rows) + "\n")
    model = tmp_path / "model.joblib"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--labels-format", "xc",
          "--model", str(model), *FAST])  # fmt: skip
    assert model.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("n_epochs=3", ("n_epochs", 3)), ("tfidf_linear=false", ("tfidf_linear", False)),
     ("min_df=2", ("min_df", 2)), ("min_df=0.5", ("min_df", 0.5)),
     ("word_vectors=none", ("word_vectors", None)), ("word_vectors=None", ("word_vectors", None)),
     ("word_vectors=auto", ("word_vectors", "auto")),
     ("word_vectors=./none", ("word_vectors", "./none"))],
)  # fmt: skip
def test_parse_param_converts_types(text, expected):
    assert _parse_param(text) == expected


# Estimator parameters that --param does not take, and why.
_NOT_CLI_PARAMETERS = {
    "checkpoint_path": "its own option, --checkpoint",
    "warm_start": "each 'skxml train' starts a new model (--resume-from continues one)",
    "threshold": "a prediction setting; 'skxml predict' writes each top-k label's probability",
    "tfidf_ngram_range": "a tuple",
    "tfidf_token_pattern": "a regular expression, easy to mangle in a shell",
    "clusterer": "an estimator object",
}


def test_param_covers_every_plain_estimator_parameter():
    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier
    from skxml.cli import _PARAM_TYPES

    names = set(InceptionXMLClassifier().get_params()) | set(
        InceptionXMLPlusClassifier().get_params(deep=False)
    )
    assert names - set(_NOT_CLI_PARAMETERS) == set(_PARAM_TYPES)
    assert _parse_param("split_cjk=false") == ("split_cjk", False)


@pytest.mark.parametrize("text", ["n_epochs", "unknown=3", "n_epochs=three", "tfidf_linear=maybe"])
def test_parse_param_rejects_bad_values(text):
    with pytest.raises(Exception, match="--param"):
        _parse_param(text)


def test_predict_rejects_a_file_that_is_not_a_model(tmp_path, data_files):
    import joblib

    bogus = tmp_path / "bogus.joblib"
    joblib.dump({"not": "a model"}, bogus)
    with pytest.raises(SystemExit, match="does not hold a skxml model"):
        main(["predict", "--model", str(bogus), "--texts", str(data_files[0])])


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_an_empty_texts_file_is_named_in_the_error(tmp_path, trained_model, command, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    arguments = [command, "--model", str(trained_model), "--texts", str(empty)]
    if command == "evaluate":
        arguments += ["--labels", str(empty)]
    capsys.readouterr()
    assert main(arguments) == 1
    error = capsys.readouterr().err
    assert f"{empty} holds no texts; at least one line is required." in error


def test_predict_rejects_a_missing_model_or_one_that_is_not_joblib(tmp_path, data_files):
    texts = str(data_files[0])
    with pytest.raises(SystemExit, match=r"--model .*nope.joblib: no such file"):
        main(["predict", "--model", str(tmp_path / "nope.joblib"), "--texts", texts])
    with pytest.raises(SystemExit, match=r"could not be read as a joblib file \(\w+Error"):
        main(["predict", "--model", texts, "--texts", texts])  # a text file, not a model


@pytest.mark.parametrize(
    ("where", "message"),
    [("missing/model.joblib", "does not exist"), (".", "is a folder; give a file name")],
)
def test_train_checks_where_the_model_goes_before_training(tmp_path, data_files, where, message):
    texts, labels = data_files
    arguments = ["--texts", str(texts), "--labels", str(labels), "--model"]
    with pytest.raises(SystemExit, match=message) as failure:
        main(["train", *arguments, str(tmp_path / where), *FAST, "--param", "verbose=0"])
    assert "trained on" not in str(failure.value)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["labels.txt", "texts.txt"]


def test_predict_checks_its_output_file_before_predicting(tmp_path, data_files, trained_model):
    output = tmp_path / "missing" / "scores.txt"
    with pytest.raises(SystemExit, match="missing does not exist"):
        main(["predict", "--model", str(trained_model), "--texts", str(data_files[0]),
              "--output", str(output)])  # fmt: skip


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--texts", "{tmp}/absent.txt", "--labels", "{labels}"],
         r"skxml train: error \(FileNotFoundError\): No such file or directory: .*absent.txt"),
        (["--texts", "{texts}", "--labels", "{labels}", "--param", "n_iter_no_change=2"],
         r"skxml train: error \(ValueError\): n_iter_no_change=2 stops on validation P@1"),
    ],
)  # fmt: skip
def test_bad_files_and_parameters_exit_with_a_message_not_a_traceback(
    tmp_path, data_files, capsys, arguments, message
):
    texts, labels = data_files
    fill = {"tmp": str(tmp_path), "texts": str(texts), "labels": str(labels)}
    arguments = [argument.format(**fill) for argument in arguments]
    status = main(["train", *arguments, "--model", str(tmp_path / "m.joblib"), *FAST])
    assert status == 1
    error = capsys.readouterr().err
    assert re.search(message, error), error
    assert "Traceback" not in error
    assert not (tmp_path / "m.joblib").exists()


def test_skxml_traceback_keeps_the_exception(tmp_path, data_files, monkeypatch):
    monkeypatch.setenv("SKXML_TRACEBACK", "1")
    with pytest.raises(FileNotFoundError, match=r"absent\.txt"):
        main(["train", "--texts", str(tmp_path / "absent.txt"), "--labels", str(data_files[1]),
              "--model", str(tmp_path / "m.joblib")])  # fmt: skip


def test_parser_requires_a_command():
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_train_writes_a_checkpoint_that_resume_continues(tmp_path, data_files):
    import joblib
    import numpy as np

    texts, labels = data_files
    checkpoint, first, second = (tmp_path / name for name in ("ck.joblib", "a.joblib", "b.joblib"))
    common = ["train", "--texts", str(texts), "--labels", str(labels), *FAST]
    main([*common, "--model", str(first), "--checkpoint", str(checkpoint)])
    assert checkpoint.exists()
    main([*common, "--model", str(second), "--resume-from", str(checkpoint)])
    one, two = joblib.load(first), joblib.load(second)
    assert two.n_epochs_trained_ == one.n_epochs_trained_ == 15
    np.testing.assert_array_equal(
        one.decision_function(TEXTS[:4]).toarray(), two.decision_function(TEXTS[:4]).toarray()
    )


@pytest.mark.parametrize("estimator", ["inceptionxml", "plus"])
def test_prepare_then_train_from_the_corpus_equals_training_from_files(
    tmp_path, data_files, estimator
):
    texts, labels = data_files
    files = ["--texts", str(texts), "--labels", str(labels)]
    chosen = ["--estimator", estimator, *FAST, "--param", "n_epochs=2"]
    main(["prepare", *files, "--output", str(tmp_path / "corpus"), "--chunk-size", "5", *chosen])
    assert (tmp_path / "corpus" / "tokens.npy").exists()
    main(["train", "--corpus", str(tmp_path / "corpus"), "--model", str(tmp_path / "a.joblib"),
          *chosen])  # fmt: skip
    main(["train", *files, "--model", str(tmp_path / "b.joblib"), *chosen])
    from_corpus, from_files = (joblib.load(tmp_path / name) for name in ("a.joblib", "b.joblib"))
    assert type(from_corpus).__name__ == (
        "InceptionXMLPlusClassifier" if estimator == "plus" else "InceptionXMLClassifier"
    )
    assert list(from_corpus.classes_) == list(from_files.classes_)
    queries = ["apple juice", "rain tonight"]
    np.testing.assert_array_equal(
        from_corpus.decision_function(queries).toarray(),
        from_files.decision_function(queries).toarray(),
    )


def test_prepare_and_train_need_data(tmp_path):
    with pytest.raises(SystemExit, match="give --texts and --labels"):
        main(["prepare", "--output", str(tmp_path / "c")])
    with pytest.raises(SystemExit, match="give --texts and --labels"):
        main(["train", "--model", str(tmp_path / "m.joblib")])

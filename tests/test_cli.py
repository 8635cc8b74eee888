"""Tests of the skxml command line (train / predict / evaluate / --help) on tiny files."""

from __future__ import annotations

import json
import os
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
    [("n_epochs=3", ("n_epochs", 3)), ("n_epochs=auto", ("n_epochs", "auto")),
     ("tfidf_linear=false", ("tfidf_linear", False)),
     ("min_df=2", ("min_df", 2)), ("min_df=0.5", ("min_df", 0.5)),
     ("word_vectors=none", ("word_vectors", None)), ("word_vectors=None", ("word_vectors", None)),
     ("word_vectors=auto", ("word_vectors", "auto")),
     ("word_vectors=./none", ("word_vectors", "./none"))],
)  # fmt: skip
def test_parse_param_converts_types(text, expected):
    assert _parse_param(text) == expected


def test_param_covers_every_plain_estimator_parameter():
    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
    from skxml.cli import _PARAM_TYPES, _PARAMS_NOT_ON_THE_COMMAND_LINE

    names = set(InceptionXMLClassifier().get_params()) | set(
        InceptionXMLPlusClassifier().get_params(deep=False)
    )
    names |= {f"clusterer__{name}" for name in LabelTreeClusterer().get_params()}
    assert names - set(_PARAMS_NOT_ON_THE_COMMAND_LINE) == set(_PARAM_TYPES)
    assert _parse_param("split_cjk=false") == ("split_cjk", False)
    assert _parse_param("normalize_unicode=false") == ("normalize_unicode", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("clusterer__max_leaf_size=auto", ("clusterer__max_leaf_size", "auto")),
     ("clusterer__max_leaf_size=32", ("clusterer__max_leaf_size", 32)),
     ("clusterer__n_clusters=none", ("clusterer__n_clusters", None)),
     ("clusterer__init=random", ("clusterer__init", "random")),
     ("clusterer__tfidf_min_df=2", ("clusterer__tfidf_min_df", 2))],
)  # fmt: skip
def test_parse_param_reads_the_clusterers_parameters(text, expected):
    assert _parse_param(text) == expected


def test_parse_param_says_what_max_leaf_size_takes():
    with pytest.raises(Exception, match=r"clusterer__max_leaf_size expects 'auto' or an int, go"):
        _parse_param("clusterer__max_leaf_size=large")


def test_train_sets_the_clusterers_parameters(tmp_path, data_files):
    texts, labels = data_files
    model = tmp_path / "model.joblib"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model),
          "--estimator", "plus", *FAST, "--param", "n_epochs=1",
          "--param", "clusterer__n_clusters=2", "--param", "clusterer__init=random"])  # fmt: skip
    clusterer = joblib.load(model).clusterer_
    assert clusterer.n_clusters_ == 2
    assert clusterer.init == "random"


def test_a_clusterer_parameter_without_estimator_plus_names_the_option(data_files):
    texts, labels = data_files
    with pytest.raises(SystemExit, match=r"--param clusterer__n_clusters is a parameter of Incep"):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model", "m.joblib",
              "--param", "clusterer__n_clusters=2"])  # fmt: skip


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
         r"skxml train: error \(FileNotFoundError\): --texts .*absent.txt: No such file or "
         r"directory"),
        (["--texts", "{texts}", "--labels", "{tmp}"],
         r"skxml train: error \(IsADirectoryError\): --labels .*: Is a directory"),
        (["--texts", "{texts}", "--labels", "{labels}", "--param", "tfidf_min_df=1000"],
         r"skxml train: error \(ValueError\): tfidf_min_df=1000 leaves no n-gram"),
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


def _write_through_fifo(path, content: bytes):
    """A FIFO at ``path`` fed ``content`` by a thread (a pipe can be read only once)."""
    import os
    import threading

    os.mkfifo(path)

    def feed():
        with open(path, "wb") as fifo:
            fifo.write(content)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_pipe_is_read_whole(tmp_path, compressed):
    import gzip

    from skxml.datasets._io import read_text_lines

    lines = [f"text number {i} with some words" for i in range(3000)]  # ~100 KB
    content = ("\n".join(lines) + "\n").encode()
    thread = _write_through_fifo(
        tmp_path / "fifo", gzip.compress(content) if compressed else content
    )
    assert read_text_lines(tmp_path / "fifo") == lines
    thread.join(timeout=10)


def test_predict_reads_texts_from_a_pipe(tmp_path, trained_model, capsys):
    queries = TEXTS * 100  # 2,400 lines, more than a pipe's first buffer
    thread = _write_through_fifo(tmp_path / "fifo", ("\n".join(queries) + "\n").encode())
    capsys.readouterr()
    assert main(["predict", "--model", str(trained_model), "--texts", str(tmp_path / "fifo"),
                 "--k", "1"]) == 0  # fmt: skip
    assert len(capsys.readouterr().out.splitlines()) == len(queries)
    thread.join(timeout=10)


def test_predict_ranks_by_logit_when_probabilities_round_to_one(trained_model, tmp_path, capsys):
    model = joblib.load(trained_model)
    with torch_no_grad():
        model.network_.head.classifier.bias += 60.0  # every probability rounds to 1.0000
    joblib.dump(model, tmp_path / "confident.joblib")
    queries = tmp_path / "queries.txt"
    queries.write_text("blue sky today\n", encoding="utf-8")
    capsys.readouterr()
    main(["predict", "--model", str(tmp_path / "confident.joblib"), "--texts", str(queries),
          "--k", "4"])  # fmt: skip
    printed = [pair.rsplit(":", 1)[0] for pair in capsys.readouterr().out.split()]
    assert printed == model.predict_labels(["blue sky today"], k=4)[0]
    assert printed[0] == "weather"


def torch_no_grad():
    import torch

    return torch.no_grad()


def test_train_names_the_line_of_an_xc_label_value_other_than_0_or_1(tmp_path, data_files):
    texts, _ = data_files
    rows = ["0:1", "0:1 1:0.5", *["1:1"] * (len(TEXTS) - 2)]
    labels = tmp_path / "labels.xc"
    labels.write_text(f"{len(TEXTS)} 2\n" + "\n".join(rows) + "\n")
    with pytest.raises(SystemExit, match=r"labels\.xc: line 3: label 1 has the value 0\.5"):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--labels-format", "xc",
              "--model", str(tmp_path / "m.joblib"), *FAST])  # fmt: skip


def test_evaluate_refuses_column_ids_for_a_model_of_label_names(
    tmp_path, data_files, trained_model
):
    texts, _ = data_files
    labels = tmp_path / "labels.xc"
    labels.write_text(f"{len(TEXTS)} 4\n" + "\n".join(["0:1"] * len(TEXTS)) + "\n")
    with pytest.raises(SystemExit, match="trained on label names, but --labels-format xc"):
        main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
              str(labels), "--labels-format", "xc"])  # fmt: skip


def test_evaluate_reads_names_of_a_column_id_model_as_its_columns(tmp_path, data_files, capsys):
    texts, _ = data_files
    rows = ["0:1 1:1", "0:1", "2:1", "2:1 3:1"] * 6
    # Twelve labels, so that sorting the names as text ("10" < "2") would scramble them.
    xc = tmp_path / "labels.xc"
    xc.write_text(f"{len(rows)} 12\n" + "\n".join(rows) + "\n")
    names = tmp_path / "labels.txt"
    names.write_text("\n".join(r.replace(":1", "") for r in rows) + "\n")
    model = tmp_path / "model.joblib"
    main(["train", "--texts", str(texts), "--labels", str(xc), "--labels-format", "xc",
          "--model", str(model), *FAST])  # fmt: skip
    capsys.readouterr()
    main(["evaluate", "--model", str(model), "--texts", str(texts), "--labels", str(xc),
          "--labels-format", "xc", "--json"])  # fmt: skip
    by_ids = json.loads(capsys.readouterr().out)
    main(["evaluate", "--model", str(model), "--texts", str(texts), "--labels", str(names),
          "--json"])  # fmt: skip
    assert json.loads(capsys.readouterr().out) == by_ids


def test_evaluate_lf_json_takes_the_models_label_count(tmp_path, capsys):
    train, test = tmp_path / "trn.json", tmp_path / "tst.json"
    rows = [("red apple pie", [0]), ("blue sky today", [1]), ("grey rain", [1, 2])] * 6
    train.write_text("\n".join(json.dumps({"title": t, "target_ind": y}) for t, y in rows))
    test.write_text("\n".join(json.dumps({"title": t, "target_ind": [0]}) for t, _ in rows[:3]))
    model = tmp_path / "model.joblib"
    main(["train", "--lf-json", str(train), "--model", str(model), *FAST])
    capsys.readouterr()
    # The test file's highest label is 0; the model has 3.
    assert main(["evaluate", "--model", str(model), "--lf-json", str(test), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["P@1"] >= 0


def test_evaluate_label_ids_judges_the_ids_a_file_uses_not_its_declared_width(tmp_path, capsys):
    train, test = tmp_path / "trn.json", tmp_path / "tst.json"
    rows = [("red apple pie", [0]), ("blue sky today", [1]), ("grey rain", [1, 2])] * 6
    train.write_text("\n".join(json.dumps({"title": t, "target_ind": y}) for t, y in rows))
    test.write_text("\n".join(json.dumps({"title": t, "target_ind": y}) for t, y in rows[:3]))
    model = tmp_path / "model.joblib"
    main(["train", "--lf-json", str(train), "--model", str(model), *FAST])
    capsys.readouterr()
    results = []
    for declared in ("3", "7"):  # the model's 3 labels; a wider space whose ids are the same
        main(["evaluate", "--model", str(model), "--lf-json", str(test), "--n-labels",
              declared, "--json"])  # fmt: skip
        results.append(json.loads(capsys.readouterr().out))
    assert results[0] == results[1]
    test.write_text(json.dumps({"title": "red apple", "target_ind": [5]}))
    with pytest.raises(SystemExit, match=r"uses label column 5, but the model has 3 labels"):
        main(["evaluate", "--model", str(model), "--lf-json", str(test), "--n-labels", "7"])


def test_a_file_holding_an_unfitted_model_is_named(tmp_path, data_files):
    from skxml import InceptionXMLClassifier

    texts, _ = data_files
    joblib.dump(InceptionXMLClassifier(), tmp_path / "unfitted.joblib")
    with pytest.raises(SystemExit, match="holds an unfitted InceptionXMLClassifier"):
        main(["predict", "--model", str(tmp_path / "unfitted.joblib"), "--texts", str(texts)])
    with pytest.raises(SystemExit, match="is a folder; give a model file"):
        main(["predict", "--model", str(tmp_path), "--texts", str(texts)])


@pytest.mark.parametrize("target", ["texts", "labels"])
def test_train_refuses_to_write_over_its_data(tmp_path, data_files, target):
    texts, labels = data_files
    victim = texts if target == "texts" else labels
    before = victim.read_bytes()
    for option in ("--model", "--checkpoint"):
        model = str(victim) if option == "--model" else str(tmp_path / "m.joblib")
        extra = ["--checkpoint", str(victim)] if option == "--checkpoint" else []
        with pytest.raises(SystemExit, match=f"{option} .* is the --{target} file"):
            main(["train", "--texts", str(texts), "--labels", str(labels), "--model", model,
                  *extra, *FAST])  # fmt: skip
    assert victim.read_bytes() == before


def test_train_checks_the_checkpoint_path_before_training(tmp_path, data_files):
    texts, labels = data_files
    with pytest.raises(SystemExit, match=r"--checkpoint .* is a folder"):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model",
              str(tmp_path / "m.joblib"), "--checkpoint", str(tmp_path), *FAST])  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--corpus", "c"], r"--corpus replaces the data files; drop --texts, --labels"),
        (["--lf-json", "x.json"], r"give --lf-json or --texts and --labels, not both"),
        (["--n-labels", "5"], r"--n-labels applies to --lf-json only"),
    ],
)
def test_contradicting_data_options_are_refused(tmp_path, data_files, extra, message):
    texts, labels = data_files
    with pytest.raises(SystemExit, match=message):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model",
              str(tmp_path / "m.joblib"), *extra, *FAST])  # fmt: skip


def test_evaluate_names_bad_propensity_constants_before_predicting(trained_model, data_files,
                                                                   capsys):  # fmt: skip
    texts, labels = data_files
    for value in ("0", "-2", "nan"):
        with pytest.raises(SystemExit) as exit_info:
            main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
                  str(labels), "-A", value])  # fmt: skip
        assert exit_info.value.code == 2
        assert f"argument -A: expected a positive number, got '{value}'" in capsys.readouterr().err


def test_evaluate_leaves_out_psp_for_a_model_of_two_texts(tmp_path, capsys):
    texts, labels = tmp_path / "t.txt", tmp_path / "l.txt"
    texts.write_text("red apple\nblue sky\n")
    labels.write_text("food\nweather\n")
    model = tmp_path / "m.joblib"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model),
          *FAST])  # fmt: skip
    capsys.readouterr()
    assert main(["evaluate", "--model", str(model), "--texts", str(texts), "--labels",
                 str(labels), "--json"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert set(json.loads(captured.out)) == {f"{m}@{k}" for m in ("P", "nDCG") for k in (1, 3, 5)}
    assert "too few for propensities" in captured.err


def test_warnings_are_printed_as_the_commands_own_lines(tmp_path, data_files, trained_model,
                                                        capsys):  # fmt: skip
    texts, _ = data_files
    labels = tmp_path / "unseen.txt"
    labels.write_text("\n".join(["food never_seen"] * len(TEXTS)) + "\n")
    capsys.readouterr()
    main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
          str(labels), "--json"])  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith("skxml evaluate: warning: ")
    assert ".py:" not in err  # no source file and line of skxml's


def test_predict_into_a_closed_pipe_stops_quietly(tmp_path, trained_model):
    import subprocess
    import sys

    texts = tmp_path / "many.txt"
    texts.write_text("\n".join(TEXTS * 2000) + "\n")  # ~1 MB of predictions
    command = (f"{sys.executable} -m skxml predict --model {trained_model} --texts {texts} "
               "| head -n 1")  # fmt: skip
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True,
                            text=True, timeout=300)  # fmt: skip
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == ""
    assert result.returncode == 141


def test_evaluate_counts_labels_the_model_never_saw_as_missed(
    tmp_path, data_files, trained_model, capsys
):
    texts, labels = data_files
    with_unseen = tmp_path / "unseen.txt"
    with_unseen.write_text("\n".join(f"{line} never_seen" for line in LABELS) + "\n")
    capsys.readouterr()
    main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
          str(labels), "--json"])  # fmt: skip
    plain = json.loads(capsys.readouterr().out)
    main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
          str(with_unseen), "--json"])  # fmt: skip
    captured = capsys.readouterr()
    counted = json.loads(captured.out)
    # nDCG@1 is P@1 whatever the number of true labels; deeper, the ideal ranking holds
    # the unseen label too. PSP's normaliser counts its (highest) inverse propensity.
    assert counted["nDCG@1"] == plain["nDCG@1"]
    for k in (1, 3, 5):
        assert counted[f"P@{k}"] == plain[f"P@{k}"]
        assert counted[f"PSP@{k}"] < plain[f"PSP@{k}"]
        if k > 1:
            assert counted[f"nDCG@{k}"] < plain[f"nDCG@{k}"]
    assert "1 label(s) the model was not trained on ('never_seen'; 24 occurrence(s))" in (
        captured.err
    )


def test_evaluate_takes_texts_without_any_label_among_others(
    tmp_path, data_files, trained_model, capsys
):
    texts, labels = data_files
    some_blank = tmp_path / "some_blank.txt"
    # Every second text without a label: P@1 counts them as misses.
    some_blank.write_text(
        "".join(f"{line if row % 2 else ''}\n" for row, line in enumerate(LABELS))
    )
    capsys.readouterr()
    main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
          str(labels), "--json"])  # fmt: skip
    every = json.loads(capsys.readouterr().out)
    assert main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
                 str(some_blank), "--json"]) == 0  # fmt: skip
    half = json.loads(capsys.readouterr().out)
    # TEXTS repeats a block of 4 (an even length), so the odd rows are half of each kind.
    assert half["P@1"] == pytest.approx(every["P@1"] / 2, abs=1e-3)


def test_evaluate_refuses_labels_of_which_none_could_count(tmp_path, data_files, trained_model):
    texts, _ = data_files
    blank = tmp_path / "blank.txt"
    blank.write_text("\n" * len(TEXTS))
    with pytest.raises(SystemExit, match=r"blank.txt holds no label at all: there is nothing"):
        main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
              str(blank), "--json"])  # fmt: skip
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("bicycle\n" * len(TEXTS))
    with pytest.raises(
        SystemExit,
        match=r"none of the 1 label\(s\) of .*unknown.txt is one "
        r"the model was trained on \('bicycle'\)",
    ):
        main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
              str(unknown), "--json"])  # fmt: skip


@pytest.mark.parametrize("target", ["texts", "model"])
def test_predict_refuses_to_write_over_its_texts_or_model(tmp_path, data_files, trained_model,
                                                          target):  # fmt: skip
    texts, _ = data_files
    victim = texts if target == "texts" else trained_model
    before = victim.read_bytes()
    with pytest.raises(SystemExit, match=f"--output .* is the --{target} file"):
        main(["predict", "--model", str(trained_model), "--texts", str(texts), "--output",
              str(victim)])  # fmt: skip
    assert victim.read_bytes() == before


def test_a_model_that_cannot_be_saved_leaves_the_one_before_as_it_was(
    tmp_path, data_files, trained_model, monkeypatch
):
    import errno

    import joblib

    texts, labels = data_files
    before = trained_model.read_bytes()
    real_dump = joblib.dump

    def dump_until_the_disk_is_full(value, target, *args, **kwargs):
        real_dump(value, target, *args, **kwargs)  # part of the file is written, then:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(joblib, "dump", dump_until_the_disk_is_full)
    with pytest.raises(
        SystemExit,
        match=r"--model .*model.joblib: the trained model could not be "
        r"saved \(No space left on device\); a model already",
    ):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model",
              str(trained_model), *FAST])  # fmt: skip
    assert trained_model.read_bytes() == before
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".skxml-model")]


def test_train_resumes_from_the_checkpoint_it_goes_on_writing(tmp_path, data_files, capsys):
    # What the Ctrl-C message says to run: the same command, --resume-from its --checkpoint.
    texts, labels = data_files
    checkpoint, model = tmp_path / "run.ckpt", tmp_path / "m.joblib"
    command = ["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model),
               "--checkpoint", str(checkpoint), *FAST]  # fmt: skip
    assert main(command) == 0
    assert main([*command, "--resume-from", str(checkpoint)]) == 0
    assert "model saved" in capsys.readouterr().err
    with pytest.raises(SystemExit, match=r"--model .* is the --resume-from file"):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model",
              str(checkpoint), "--resume-from", str(checkpoint), *FAST])  # fmt: skip


def test_a_saved_model_keeps_the_permissions_and_links_of_the_file_it_replaces(tmp_path):
    import stat

    from skxml.cli import _save_model

    store = tmp_path / "store"
    store.mkdir()
    real = store / "real.joblib"
    real.write_bytes(b"old model")
    real.chmod(0o640)
    link = tmp_path / "link.joblib"
    link.symlink_to(real)
    _save_model({"a": 1}, str(link))
    assert link.is_symlink()  # the link is kept, the file it points to replaced
    assert joblib.load(real) == {"a": 1}
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.joblib"
    _save_model({"b": 2}, str(fresh))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask  # as open() makes it
    assert not [path.name for path in tmp_path.rglob(".skxml-model-*")]


def test_an_os_error_about_a_file_descriptor_is_reported_not_raised():
    from skxml.cli import _error_message

    error = OSError(9, "Bad file descriptor")
    error.filename = 999
    assert _error_message(error) == str(error)


@pytest.mark.parametrize("checkpoint_of", ["this-run", "an-earlier-run"])
def test_ctrl_c_during_train_says_how_to_resume_from_this_run_s_checkpoint(
    tmp_path, data_files, monkeypatch, capsys, checkpoint_of
):
    from skxml import InceptionXMLClassifier

    texts, labels = data_files
    checkpoint = tmp_path / "run.ckpt"
    if checkpoint_of == "an-earlier-run":  # interrupted before this run's first epoch
        checkpoint.write_bytes(b"an earlier run's")
        os.utime(checkpoint, (0, 0))

    def interrupted_fit(self, *args, **kwargs):
        if checkpoint_of == "this-run":
            checkpoint.write_bytes(b"an epoch")  # what the fit would have written by then
        raise KeyboardInterrupt

    monkeypatch.setattr(InceptionXMLClassifier, "fit", interrupted_fit)
    model = str(tmp_path / "m.joblib")
    status = main(["train", "--texts", str(texts), "--labels", str(labels), "--model", model,
                   "--checkpoint", str(checkpoint), *FAST])  # fmt: skip
    assert status == 130
    error = capsys.readouterr().err
    if checkpoint_of == "this-run":
        assert f"skxml train: interrupted; {checkpoint} holds the last finished epoch" in error
        assert f"--resume-from {checkpoint}" in error
    else:
        assert error.strip() == "skxml train: interrupted."
    assert not (tmp_path / "m.joblib").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["predict", "--k", "0"], r"argument --k: expected a positive int, got '0'"),
        (["train", "--lf-json", "x.json", "--labels-format", "xc"],
         r"--labels-format applies to a --labels file, not to --lf-json"),
        (["prepare", "--texts", "{texts}", "--labels", "{labels}", "--output", "{texts}"],
         r"--output .*texts.txt is a file; prepare writes a corpus folder"),
        (["train", "--texts", "{texts}", "--labels", "{labels}", "--resume-from", "{tmp}"],
         r"resume_from=.* is a folder; give a checkpoint file"),
        (["train", "--texts", "{texts}", "--labels", "{labels}", "--sample-weight", "{zeros}"],
         r"--sample-weight .*zeros.txt: every weight is 0, so no text would count"),
    ],
    ids=["k-zero", "labels-format-with-lf-json", "prepare-into-a-file", "resume-from-a-folder",
         "zero-weights"],
)  # fmt: skip
def test_more_bad_options_are_named(tmp_path, data_files, trained_model, capsys, arguments,
                                    message):  # fmt: skip
    texts, labels = data_files
    zeros = tmp_path / "zeros.txt"
    zeros.write_text("0\n" * len(TEXTS))
    fill = {"tmp": str(tmp_path), "texts": str(texts), "labels": str(labels), "zeros": str(zeros)}
    arguments = [argument.format(**fill) for argument in arguments]
    if arguments[0] == "predict":
        arguments += ["--model", str(trained_model), "--texts", str(texts)]
    elif arguments[0] == "train":
        arguments += ["--model", str(tmp_path / "m.joblib"), *FAST]
    try:
        status = main(arguments)
    except SystemExit as exc:
        status, error = exc.code, str(exc.code) + capsys.readouterr().err
    else:
        error = capsys.readouterr().err
    assert status != 0
    assert re.search(message, error), error


def test_predict_reads_texts_from_standard_input(tmp_path, trained_model):
    import subprocess
    import sys

    queries = "\n".join(TEXTS * 200) + "\n"  # 4,800 lines: more than a pipe's first buffer
    result = subprocess.run(
        [sys.executable, "-m", "skxml", "predict", "--model", str(trained_model), "--texts", "-",
         "--k", "1"],
        input=queries, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(TEXTS) * 200
    empty = subprocess.run(
        [sys.executable, "-m", "skxml", "predict", "--model", str(trained_model), "--texts", "-"],
        input="", capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert empty.returncode == 1
    assert "standard input holds no texts" in empty.stderr


def test_train_refuses_a_folder_where_no_file_can_be_created(tmp_path, data_files, monkeypatch):
    # Root passes os.access on read-only file systems (/proc): creating a file tells.
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    texts, labels = data_files
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    model = tmp_path / "model.joblib"
    with pytest.raises(SystemExit, match=r"no file can be written in the folder .*Permission"):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model)])
    assert not model.exists()


@pytest.mark.parametrize(
    ("text", "match"),
    [("threshold=0.5", r"threshold cannot be set .*: give 'skxml predict --threshold P'"),
     ("clusterer=x", r"clusterer cannot be set .*: it is an estimator object \(its param")],
)  # fmt: skip
def test_parameters_the_command_line_cannot_set_say_why(text, match):
    with pytest.raises(Exception, match=match):
        _parse_param(text)


@pytest.mark.parametrize("name", ["max_features", "random_state", "n_iter_no_change"])
def test_parameters_that_may_be_none_take_none(name):
    assert _parse_param(f"{name}=none") == (name, None)


def test_a_plus_parameter_without_estimator_plus_names_the_option(data_files):
    texts, labels = data_files
    with pytest.raises(SystemExit, match=r"--param n_shortlist is a parameter of InceptionXML\+"):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model", "m.joblib",
              "--param", "n_shortlist=2"])  # fmt: skip


def test_train_reads_sample_weights_one_per_line(tmp_path, data_files, capsys):
    from skxml import InceptionXMLClassifier

    texts, labels = data_files
    weights = np.arange(len(TEXTS)) % 3  # some texts of weight 0
    weight_file = tmp_path / "weights.txt"
    weight_file.write_text("\n".join(map(str, weights)) + "\n", encoding="utf-8")
    files = ["--texts", str(texts), "--labels", str(labels)]
    model = tmp_path / "m.joblib"
    fast = [*FAST, "--param", "n_epochs=2"]
    main(["train", *files, "--model", str(model), "--sample-weight", str(weight_file), *fast])
    trained = joblib.load(model)
    expected = InceptionXMLClassifier(
        embedding_dim=64, max_seq_len=8, n_epochs=2, batch_size=8, random_state=0
    ).fit(TEXTS, [line.split() for line in LABELS], sample_weight=weights)
    np.testing.assert_array_equal(
        trained.decision_function(TEXTS[:4]).toarray(),
        expected.decision_function(TEXTS[:4]).toarray(),
    )
    assert trained.n_train_samples_ == np.count_nonzero(weights)

    capsys.readouterr()
    weight_file.write_text("1\n" * (len(TEXTS) - 1), encoding="utf-8")
    assert main(["train", *files, "--model", str(model), "--sample-weight", str(weight_file)]) == 1
    assert f"holds {len(TEXTS) - 1} weights for {len(TEXTS)} texts" in (capsys.readouterr().err)
    weight_file.write_text("1\nheavy\n" + "1\n" * (len(TEXTS) - 2), encoding="utf-8")
    assert main(["train", *files, "--model", str(model), "--sample-weight", str(weight_file)]) == 1
    assert "line 2: 'heavy' is not a number" in capsys.readouterr().err
    for bad in ("-2", "nan", "inf", "1e400"):
        weight_file.write_text("1\n1\n1\n" + bad + "\n" + "1\n" * (len(TEXTS) - 4))
        assert (
            main(["train", *files, "--model", str(model), "--sample-weight", str(weight_file)])
            == 1
        )
        assert f"line 4: '{bad}' is not a finite non-negative number" in capsys.readouterr().err


def test_evaluate_weighs_the_test_texts(tmp_path, data_files, trained_model, capsys):
    from skxml.metrics import precision_at_k, psp_at_k

    texts, labels = data_files
    weights = np.array([3, 1, 1, 1] * 6)  # the first text (two labels) counts thrice
    weight_file = tmp_path / "weights.txt"
    weight_file.write_text("\n".join(map(str, weights)) + "\n", encoding="utf-8")
    common = ["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
              str(labels), "--json"]  # fmt: skip
    capsys.readouterr()
    main([*common, "--sample-weight", str(weight_file)])
    weighted = json.loads(capsys.readouterr().out)
    model = joblib.load(trained_model)
    truth = model._check_eval_labels([line.split() for line in LABELS], len(TEXTS), name="y")
    scores = model.decision_function(TEXTS, k=min(5, len(model.classes_)))
    assert weighted["P@3"] == round(
        100 * precision_at_k(truth, scores, k=3, sample_weight=weights), 4
    )
    from skxml.metrics import inverse_propensity_from_counts

    inv_p = inverse_propensity_from_counts(model.label_counts_, model.n_train_samples_)
    expected_psp = 100 * psp_at_k(truth, scores, k=3, inv_propensity=inv_p, sample_weight=weights)
    assert weighted["PSP@3"] == round(expected_psp, 4)
    main(common)
    assert json.loads(capsys.readouterr().out) != weighted


@pytest.mark.parametrize(
    ("text", "expected"),
    [("tfidf_ngram_range=1,3", ("tfidf_ngram_range", (1, 3))),
     ("tfidf_ngram_range=(1, 2)", ("tfidf_ngram_range", (1, 2))),
     ("tfidf_ngram_range=1-1", ("tfidf_ngram_range", (1, 1))),
     ("clusterer__tfidf_ngram_range=1,1", ("clusterer__tfidf_ngram_range", (1, 1))),
     (r"tfidf_token_pattern=\S+", ("tfidf_token_pattern", r"\S+")),
     ("tfidf_token_pattern=none", ("tfidf_token_pattern", None)),
     ("min_df=+2", ("min_df", 2)), ("min_df=2.0", ("min_df", 2)), ("min_df=1e2", ("min_df", 100)),
     ("min_df=1.0", ("min_df", 1.0)), ("tfidf_min_df=0.25", ("tfidf_min_df", 0.25))],
)  # fmt: skip
def test_parse_param_reads_ranges_patterns_and_frequencies(text, expected):
    assert _parse_param(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [("tfidf_ngram_range=1,2,3", r"expects two ints separated by a comma, such as 1,2"),
     ("tfidf_ngram_range=a,b", r"expects two ints"),
     ("freeze_embeddings=yes", r"expects true, false, 1 or 0, got 'yes'"),
     ("min_df=few", r"expects an int \(a number of texts\) or a float in \(0, 1\]")],
)  # fmt: skip
def test_parse_param_says_what_it_expects(text, match):
    with pytest.raises(Exception, match=match):
        _parse_param(text)


def test_train_sets_the_ngram_range_and_token_pattern(tmp_path, data_files):
    texts, labels = data_files
    model = tmp_path / "model.joblib"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model), *FAST,
          "--param", "n_epochs=1", "--param", "tfidf_ngram_range=1,1",
          "--param", r"tfidf_token_pattern=\S+"])  # fmt: skip
    fitted = joblib.load(model)
    assert fitted.tfidf_ngram_range == (1, 1)
    assert fitted.tfidf_vectorizer_.token_pattern == r"\S+"
    assert not any(" " in ngram for ngram in fitted.tfidf_vectorizer_.vocabulary_)


def test_out_of_range_params_are_refused_before_the_data_is_read(tmp_path, capsys):
    missing = str(tmp_path / "missing.txt")
    status = main(["train", "--texts", missing, "--labels", missing, "--model",
                   str(tmp_path / "m.joblib"), "--param", "dropout=2"])  # fmt: skip
    assert status == 1
    error = capsys.readouterr().err
    assert "dropout" in error and "missing.txt" not in error
    status = main(["train", "--texts", missing, "--labels", missing, "--model",
                   str(tmp_path / "m.joblib"), "--estimator", "plus",
                   "--param", "clusterer__init=kmeans"])  # fmt: skip
    assert status == 1
    assert "init" in capsys.readouterr().err


def test_predict_writes_the_models_top_k_and_applies_a_threshold(tmp_path, data_files, capsys):
    texts, labels = data_files
    model = tmp_path / "model.joblib"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model), *FAST,
          "--param", "top_k=2"])  # fmt: skip
    capsys.readouterr()
    main(["predict", "--model", str(model), "--texts", str(texts)])
    lines = capsys.readouterr().out.splitlines()
    assert [len(line.split()) for line in lines] == [2] * len(TEXTS)
    main(["predict", "--model", str(model), "--texts", str(texts), "--k", "4",
          "--threshold", "0.5"])  # fmt: skip
    kept = capsys.readouterr().out.splitlines()
    assert len(kept) == len(TEXTS)
    for full, line in zip(lines, kept, strict=True):
        probabilities = [float(pair.rsplit(":", 1)[1]) for pair in line.split()]
        assert all(p >= 0.5 for p in probabilities)
        # the same labels as the unthresholded top-k, in the same order, as far as they go
        first = [pair.rsplit(":", 1)[0] for pair in full.split()]
        assert [pair.rsplit(":", 1)[0] for pair in line.split()][:2] == first[: len(line.split())]
    with pytest.raises(SystemExit):
        main(["predict", "--model", str(model), "--texts", str(texts), "--threshold", "1.5"])
    assert "expected a probability in [0, 1], got '1.5'" in capsys.readouterr().err


def test_evaluate_takes_the_cut_offs(data_files, trained_model, capsys):
    texts, labels = data_files
    capsys.readouterr()
    main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
          str(labels), "--json", "--k", "2,1"])  # fmt: skip
    results = json.loads(capsys.readouterr().out)
    assert list(results) == ["P@1", "P@2", "nDCG@1", "nDCG@2", "PSP@1", "PSP@2"]
    main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
          str(labels), "--json"])  # fmt: skip
    default = json.loads(capsys.readouterr().out)
    assert results["P@1"] == default["P@1"] and results["PSP@2"] <= 100
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--model", str(trained_model), "--texts", str(texts), "--labels",
              str(labels), "--k", "0,3"])  # fmt: skip
    assert exit_info.value.code == 2
    assert "expected positive ints separated by commas" in capsys.readouterr().err


def test_an_unknown_option_shows_the_commands_own_usage(trained_model, data_files, capsys):
    texts, _ = data_files
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--model", str(trained_model), "--texts", str(texts), "--top-k", "3"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "usage: skxml predict" in error
    assert "unrecognized arguments: --top-k 3" in error


def test_evaluate_reads_texts_from_standard_input(data_files, trained_model):
    import subprocess
    import sys

    texts, labels = data_files
    command = [sys.executable, "-m", "skxml", "evaluate", "--model", str(trained_model),
               "--texts", "-", "--labels", str(labels), "--json"]  # fmt: skip
    piped = subprocess.run(
        command, input=texts.read_bytes(), capture_output=True, check=True, timeout=120
    )
    from_file = subprocess.run(
        [*command[:7], str(texts), *command[8:]], capture_output=True, check=True, timeout=120
    )
    assert json.loads(piped.stdout) == json.loads(from_file.stdout)


def test_train_from_a_corpus_takes_its_text_parameters(tmp_path, data_files, capsys):
    texts, labels = data_files
    corpus = tmp_path / "corpus"
    main(["prepare", "--texts", str(texts), "--labels", str(labels), "--output", str(corpus),
          "--param", "max_seq_len=6", "--param", "tfidf_ngram_range=1,1"])  # fmt: skip
    model = tmp_path / "m.joblib"
    main(["train", "--corpus", str(corpus), "--model", str(model), "--param", "n_epochs=1",
          "--param", "batch_size=8", "--param", "embedding_dim=16"])  # fmt: skip
    fitted = joblib.load(model)
    assert (fitted.max_seq_len, fitted.tfidf_ngram_range) == (6, (1, 1))
    with pytest.raises(
        SystemExit,
        match=r"--corpus .* was prepared with max_seq_len=6, but "
        r"--param max_seq_len=8 asks for another value; drop that --param",
    ):
        main(["train", "--corpus", str(corpus), "--model", str(model), "--param",
              "max_seq_len=8"])  # fmt: skip


@pytest.mark.parametrize("labels_format", ["names", "xc"])
def test_train_scores_validation_data_and_stops_early(tmp_path, data_files, labels_format):
    texts, labels = data_files
    if labels_format == "xc":
        labels = tmp_path / "trn_X_Y.txt"
        rows = ["0:1 1:1", "0:1", "2:1", "2:1 3:1"] * 6
        labels.write_text(f"{len(rows)} 4\n" + "\n".join(rows) + "\n")
    model = tmp_path / "m.joblib"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--labels-format",
          labels_format, "--model", str(model), *FAST, "--validation-texts", str(texts),
          "--validation-labels", str(labels), "--param", "n_iter_no_change=2"])  # fmt: skip
    history = joblib.load(model).history_
    assert all("validation_precision_at_1" in epoch for epoch in history), history[0]
    assert history[-1]["validation_precision_at_1"] > 0.5  # the training texts themselves
    assert len(history) < 15  # stopped early: no better validation P@1 for two epochs


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--param", "n_iter_no_change=2"],
      r"n_iter_no_change stops on validation P@1: give --validation-texts and --validat"),
     (["--validation-texts", "{texts}"], r"validation data needs --validation-labels too"),
     (["--validation-texts", "{texts}", "--validation-labels", "{labels}", "--param",
       "validation_fraction=0.2"], r"give validation data or --param validation_fraction, not"),
     (["--validation-lf-json", "{texts}"], r"the training labels are names, but --validation-l")],
)  # fmt: skip
def test_validation_options_are_checked(tmp_path, data_files, extra, message):
    texts, labels = data_files
    extra = [part.format(texts=texts, labels=labels) for part in extra]
    with pytest.raises(SystemExit, match=message):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--model",
              str(tmp_path / "m.joblib"), *FAST, *extra])  # fmt: skip


def test_demo_json_writes_only_json_on_standard_output(monkeypatch, capsys):
    import scipy.sparse as sp
    from sklearn.utils import Bunch

    import skxml
    import skxml.datasets

    target = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]] * 6))
    monkeypatch.setattr(
        skxml.datasets, "load_debian_tags", lambda subset: Bunch(data=TEXTS, target=target)
    )

    class Small(skxml.InceptionXMLClassifier):
        def __init__(self, random_state=None, verbose=0):
            super().__init__(n_epochs=2, batch_size=8, embedding_dim=16, max_seq_len=8,
                             random_state=random_state, verbose=verbose)  # fmt: skip

    monkeypatch.setattr(skxml, "InceptionXMLClassifier", Small)
    assert main(["demo", "--json", "--quiet"]) == 0
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert set(results) == {f"{m}@{k}" for m in ("P", "nDCG", "PSP") for k in (1, 3, 5)}
    assert "test metrics" in captured.err and "train split" in captured.err


@pytest.mark.parametrize(
    ("text", "match"),
    [("tfidf_ngram_range=3,1", r"--param tfidf_ngram_range: .*1 <= min_n <= max_n, got \(3, 1\)"),
     ("clusterer__tfidf_ngram_range=0,1", r"clusterer__tfidf_ngram_range: .*got \(0, 1\)"),
     ("tfidf_token_pattern=(", r"--param tfidf_token_pattern: .* not a valid regular expressi")],
)  # fmt: skip
def test_ranges_and_patterns_are_checked_when_parsed(text, match):
    with pytest.raises(Exception, match=match):
        _parse_param(text)


def test_a_validation_file_is_not_overwritten_and_is_named_in_errors(tmp_path, data_files,
                                                                     capsys):  # fmt: skip
    texts, labels = data_files
    victim = tmp_path / "validation.txt"
    victim.write_text(texts.read_text())
    before = victim.read_bytes()
    with pytest.raises(SystemExit, match=r"--model .*validation.txt is the --validation-texts"):
        main(["train", "--texts", str(texts), "--labels", str(labels), "--validation-texts",
              str(victim), "--validation-labels", str(labels), "--model", str(victim),
              *FAST])  # fmt: skip
    assert victim.read_bytes() == before
    status = main(["train", "--texts", str(texts), "--labels", str(labels), "--validation-texts",
                   str(tmp_path / "nope.txt"), "--validation-labels", str(labels), "--model",
                   str(tmp_path / "m.joblib"), *FAST])  # fmt: skip
    assert status == 1
    assert "--validation-texts " in capsys.readouterr().err


def test_standard_input_is_read_once(tmp_path, data_files):
    _, labels = data_files
    with pytest.raises(SystemExit, match=r"standard input can be read once"):
        main(["train", "--texts", "-", "--labels", str(labels), "--validation-texts", "-",
              "--validation-labels", str(labels), "--model",
              str(tmp_path / "m.joblib")])  # fmt: skip


def test_predict_applies_the_models_threshold(tmp_path, data_files, trained_model, capsys):
    texts, _ = data_files
    model = joblib.load(trained_model).set_params(threshold=0.9)
    path = tmp_path / "thresholded.joblib"
    joblib.dump(model, path)
    capsys.readouterr()
    main(["predict", "--model", str(path), "--texts", str(texts)])
    written = capsys.readouterr().out.splitlines()
    expected = model.predict_labels(TEXTS)
    assert [[pair.rsplit(":", 1)[0] for pair in line.split()] for line in written] == [
        [str(label) for label in labels] for labels in expected
    ]
    main(["predict", "--model", str(path), "--texts", str(texts), "--threshold", "0"])
    assert all(len(line.split()) == 4 for line in capsys.readouterr().out.splitlines())


def test_a_corpus_with_other_tfidf_inputs_is_refused_in_command_line_terms(tmp_path, data_files):
    texts, labels = data_files
    corpus = tmp_path / "corpus"
    main(["prepare", "--estimator", "plus", "--texts", str(texts), "--labels", str(labels),
          "--output", str(corpus), "--param", "tfidf_embedding=false", "--param",
          "tfidf_linear=false", "--param", "tfidf_meta_linear=true"])  # fmt: skip
    with pytest.raises(
        SystemExit,
        match=r"holds TF-IDF n-grams, but this model uses none \(.*"
        r"--param tfidf_meta_linear=False\); give the --estimator and --param",
    ):
        main(["train", "--estimator", "plus", "--corpus", str(corpus), "--model",
              str(tmp_path / "m.joblib"), "--param", "n_epochs=1"])  # fmt: skip


def test_xc_validation_labels_may_declare_fewer_columns(tmp_path, data_files):
    texts, _ = data_files
    labels = tmp_path / "trn_X_Y.txt"
    rows = ["0:1 1:1", "0:1", "2:1", "2:1 3:1"] * 6
    labels.write_text(f"{len(rows)} 4\n" + "\n".join(rows) + "\n")
    narrow = tmp_path / "val_X_Y.txt"
    narrow.write_text("4 3\n0:1 1:1\n0:1\n2:1\n2:1\n")
    validation_texts = tmp_path / "val.txt"
    validation_texts.write_text("\n".join(TEXTS[:4]) + "\n")
    model = tmp_path / "m.joblib"
    arguments = ["train", "--texts", str(texts), "--labels", str(labels), "--labels-format", "xc",
                 "--validation-texts", str(validation_texts), "--model", str(model), *FAST,
                 "--param", "n_epochs=2"]  # fmt: skip
    main([*arguments, "--validation-labels", str(narrow)])
    assert "validation_precision_at_1" in joblib.load(model).history_[-1]
    wide = tmp_path / "wide_X_Y.txt"
    wide.write_text("4 9\n0:1\n0:1\n2:1\n8:1\n")
    with pytest.raises(SystemExit, match=r"--validation-labels uses label column 8, but the tr"):
        main([*arguments, "--validation-labels", str(wide)])


def _evaluate_json(capsys, *arguments):
    capsys.readouterr()
    assert main(["evaluate", *map(str, arguments), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_evaluate_scores_a_predictions_file_as_it_scores_the_model(
    tmp_path, data_files, trained_model, capsys
):
    texts, labels = data_files
    predictions = tmp_path / "predictions.txt"
    main(["predict", "--model", str(trained_model), "--texts", str(texts), "--output",
          str(predictions)])  # fmt: skip
    direct = _evaluate_json(capsys, "--model", trained_model, "--texts", texts, "--labels", labels)
    from_file = _evaluate_json(
        capsys, "--model", trained_model, "--predictions", predictions, "--labels", labels
    )
    assert from_file == direct


def test_evaluate_ranks_a_predictions_file_by_probability_then_line_order(
    tmp_path, data_files, trained_model, capsys
):
    _, labels = data_files  # rows: "food fruit", "food", "weather", "weather rain", ...
    predictions = tmp_path / "predictions.txt"
    # weather is ranked first on every line (higher probability though written second):
    # right on rows 3 and 4 of each block of 4, so P@1 = 50; P@3 = one hit in 3 everywhere.
    predictions.write_text("food:0.8 weather:0.9\n" * len(LABELS))
    results = _evaluate_json(
        capsys, "--model", trained_model, "--predictions", predictions, "--labels", labels
    )
    assert results["P@1"] == pytest.approx(50.0)
    assert results["P@3"] == pytest.approx(100 / 3, abs=1e-3)
    # Equal probabilities keep the line's order: food first, right on rows 1 and 2.
    predictions.write_text("food:0.5 weather:0.5\n" * len(LABELS))
    results = _evaluate_json(
        capsys, "--model", trained_model, "--predictions", predictions, "--labels", labels
    )
    assert results["P@1"] == pytest.approx(50.0)
    predictions.write_text("fruit:0.5 food:0.5\n" * len(LABELS))  # fruit: row 1 only
    results = _evaluate_json(
        capsys, "--model", trained_model, "--predictions", predictions, "--labels", labels
    )
    assert results["P@1"] == pytest.approx(25.0)
    assert results["P@3"] == pytest.approx(100 * (2 + 1 + 0 + 0) / 3 / 4, abs=1e-3)


def test_evaluate_warns_when_lines_of_the_predictions_rank_fewer_labels_than_k(
    tmp_path, data_files, trained_model, capsys
):
    texts, labels = data_files
    predictions = tmp_path / "predictions.txt"
    main(["predict", "--model", str(trained_model), "--texts", str(texts), "--k", "4",
          "--output", str(predictions)])  # fmt: skip
    # The model has 4 labels: every line ranks them all, even for k = 5; no warning.
    capsys.readouterr()
    main(["evaluate", "--model", str(trained_model), "--predictions", str(predictions),
          "--labels", str(labels), "--k", "1,5"])  # fmt: skip
    assert "warning" not in capsys.readouterr().err
    # Every second line cut to its first label (as a threshold would), one line emptied.
    lines = predictions.read_text().splitlines()
    cut = [line if row % 2 else line.split()[0] for row, line in enumerate(lines)]
    cut[1] = ""
    predictions.write_text("".join(f"{line}\n" for line in cut))
    main(["evaluate", "--model", str(trained_model), "--predictions", str(predictions),
          "--labels", str(labels), "--k", "1,2"])  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith("skxml evaluate: warning:")
    assert "13 of 24 lines rank fewer than 2 labels" in err
    assert "skxml predict --k 2 --threshold 0 writes 2 per text" in err


def test_evaluate_scores_predictions_with_lf_json_and_weights(tmp_path, capsys):
    train, test = tmp_path / "trn.json", tmp_path / "tst.json"
    rows = [("red apple pie", [0]), ("blue sky today", [1]), ("grey rain", [1, 2])] * 6
    train.write_text("\n".join(json.dumps({"title": t, "target_ind": y}) for t, y in rows))
    test.write_text("\n".join(json.dumps({"title": t, "target_ind": y}) for t, y in rows[:3]))
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"{t}\n" for t, _ in rows[:3]))
    weights = tmp_path / "weights.txt"
    weights.write_text("1\n0.5\n2\n")
    model, predictions = tmp_path / "model.joblib", tmp_path / "predictions.txt"
    main(["train", "--lf-json", str(train), "--model", str(model), *FAST])
    main(["predict", "--model", str(model), "--texts", str(texts), "--output",
          str(predictions)])  # fmt: skip
    common = ["--model", model, "--lf-json", test, "--n-labels", "3", "--sample-weight",
              weights, "--k", "1,2"]  # fmt: skip
    direct = _evaluate_json(capsys, *common)
    assert _evaluate_json(capsys, *common, "--predictions", predictions) == direct


def _predict_with_food_named(tmp_path, name):
    """Texts, labels (with the label "food" renamed), a model trained on them and the file
    of its predictions on the same texts."""
    texts, labels = tmp_path / "texts.txt", tmp_path / "labels.txt"
    texts.write_text("\n".join(TEXTS) + "\n")
    labels.write_text("\n".join(line.replace("food", name) for line in LABELS) + "\n")
    model, predictions = tmp_path / "model.joblib", tmp_path / "predictions.txt"
    main(["train", "--texts", str(texts), "--labels", str(labels), "--model", str(model), *FAST])
    main(["predict", "--model", str(model), "--texts", str(texts), "--output",
          str(predictions)])  # fmt: skip
    return texts, labels, model, predictions


def test_evaluate_reads_predictions_of_label_names_holding_colons(tmp_path, capsys):
    # ... and counts a test label the model never saw as missed, as without the file.
    texts, labels, model, predictions = _predict_with_food_named(tmp_path, "lang:en")
    assert "lang:en:" in predictions.read_text()
    test_labels = tmp_path / "test_labels.txt"
    test_labels.write_text(
        "".join(f"{line} never_seen\n" for line in labels.read_text().split("\n")[:-1])
    )
    direct = _evaluate_json(capsys, "--model", model, "--texts", texts, "--labels", test_labels)
    from_file = _evaluate_json(
        capsys, "--model", model, "--predictions", predictions, "--labels", test_labels
    )
    assert from_file == direct
    assert direct["PSP@5"] < 100


def test_evaluate_checks_the_predictions_file_before_loading_the_model(
    tmp_path, data_files, monkeypatch
):
    import skxml.cli

    _, labels = data_files
    monkeypatch.setattr(skxml.cli, "_load_model", lambda path: pytest.fail("model loaded"))
    for path, message in [(tmp_path / "missing.txt", "missing.txt: no such file"),
                          (tmp_path, "is a folder; give a file")]:  # fmt: skip
        with pytest.raises(SystemExit, match=f"--predictions .*{message}"):
            main(["evaluate", "--model", "m.joblib", "--predictions", str(path), "--labels",
                  str(labels)])  # fmt: skip


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("food:0.9\n" * 3, [], r"has 3 lines but .*labels.txt has 24 rows"),
        ("food\n" * 24, [], r"line 1: 'food' is not 'label:probability'"),
        ("food:high\n" * 24, [], r"line 1: 'food:high' is not 'label:probability'"),
        ("food:nan\n" * 24, [], r"line 1: 'food:nan' is not"),
        ("food:0.9 pasta:0.8\n" * 24, [], r"line 1: 'pasta' is no label of the model"),
        ("food:0.9 food:0.8\n" * 24, [], r"line 1: 'food' is there twice"),
        ("food:0.9\n" * 24, ["--texts", "TEXTS"], r"--predictions replaces --texts"),
    ],
)
def test_evaluate_refuses_a_predictions_file_it_cannot_score(
    tmp_path, data_files, trained_model, content, extra, message
):
    texts, labels = data_files
    predictions = tmp_path / "predictions.txt"
    predictions.write_text(content)
    extra = [str(texts) if value == "TEXTS" else value for value in extra]
    with pytest.raises(SystemExit, match=message) as failure:
        main(["evaluate", "--model", str(trained_model), "--predictions", str(predictions),
              "--labels", str(labels), *extra])  # fmt: skip
    assert str(failure.value).startswith("skxml evaluate: error: ")


def test_evaluate_predictions_need_the_true_labels(tmp_path, trained_model):
    predictions = tmp_path / "predictions.txt"
    predictions.write_text("food:0.9\n")
    with pytest.raises(SystemExit, match="give the true labels with --labels or --lf-json"):
        main(["evaluate", "--model", str(trained_model), "--predictions", str(predictions)])


@pytest.fixture
def column_id_model(tmp_path, data_files):
    """A model trained on an XC label file of 4 columns, and that file."""
    texts, _ = data_files
    rows = ["0:1 1:1", "0:1", "2:1", "2:1 3:1"] * 6
    xc = tmp_path / "labels.xc"
    xc.write_text(f"{len(rows)} 4\n" + "\n".join(rows) + "\n")
    model = tmp_path / "model.joblib"
    main(["train", "--texts", str(texts), "--labels", str(xc), "--labels-format", "xc",
          "--model", str(model), *FAST])  # fmt: skip
    return model, xc


def test_evaluate_scores_predictions_of_a_column_id_model_from_standard_input(
    data_files, column_id_model
):
    import subprocess
    import sys

    texts, _ = data_files
    model, xc = column_id_model
    skxml = [sys.executable, "-m", "skxml"]
    written = subprocess.run(
        [*skxml, "predict", "--model", str(model), "--texts", str(texts)],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    assert written.stdout.split()[0].split(b":")[0] in {b"0", b"1", b"2", b"3"}
    common = ["evaluate", "--model", str(model), "--labels", str(xc), "--labels-format", "xc",
              "--json"]  # fmt: skip
    from_file = subprocess.run(
        [*skxml, *common, "--predictions", "-"],
        input=written.stdout, capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    direct = subprocess.run(
        [*skxml, *common, "--texts", str(texts)], capture_output=True, check=True, timeout=120
    )
    assert json.loads(from_file.stdout) == json.loads(direct.stdout)


def test_the_commands_own_checks_name_the_command(tmp_path, data_files):
    texts, _ = data_files
    with pytest.raises(SystemExit) as failure:
        main(["predict", "--model", str(tmp_path / "nope.joblib"), "--texts", str(texts)])
    assert str(failure.value).startswith("skxml predict: error: --model ")
    # The exception keeps what caused it (a file that is no joblib file).
    with pytest.raises(SystemExit) as failure:
        main(["predict", "--model", str(texts), "--texts", str(texts)])
    assert str(failure.value).startswith("skxml predict: error: ")
    assert failure.value.__cause__ is not None


def test_predict_json_writes_objects_that_evaluate_reads(
    tmp_path, data_files, trained_model, capsys
):
    texts, labels = data_files
    predictions = tmp_path / "predictions.jsonl"
    main(["predict", "--model", str(trained_model), "--texts", str(texts), "--json",
          "--output", str(predictions)])  # fmt: skip
    records = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(records) == len(TEXTS)
    for record in records:
        assert set(record) == {"labels", "probabilities"}
        assert len(record["labels"]) == 4  # top_k 5, but the model has 4 labels
        assert set(record["labels"]) == {"food", "fruit", "rain", "weather"}
        assert record["probabilities"] == sorted(record["probabilities"], reverse=True)
    direct = _evaluate_json(capsys, "--model", trained_model, "--texts", texts, "--labels", labels)
    from_file = _evaluate_json(
        capsys, "--model", trained_model, "--predictions", predictions, "--labels", labels
    )
    assert from_file == direct


def test_predict_json_writes_column_ids_as_numbers(data_files, column_id_model, capsys):
    texts, _ = data_files
    model, _ = column_id_model
    capsys.readouterr()
    main(["predict", "--model", str(model), "--texts", str(texts), "--json", "--k", "2"])
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert all(type(label) is int for label in first["labels"])
    assert set(first["labels"]) <= {0, 1, 2, 3}


def test_predict_warns_of_label_names_with_spaces_unless_json(tmp_path, capsys):
    from skxml import InceptionXMLClassifier

    model = InceptionXMLClassifier(
        embedding_dim=16, max_seq_len=8, n_epochs=2, batch_size=8, random_state=0, verbose=0
    ).fit(["new york pizza", "rainy day"] * 6, [["new york", "food"], ["weather"]] * 6)
    path, texts = tmp_path / "model.joblib", tmp_path / "texts.txt"
    joblib.dump(model, path)
    texts.write_text("new york pizza\n")
    capsys.readouterr()
    main(["predict", "--model", str(path), "--texts", str(texts)])
    captured = capsys.readouterr()
    assert "new york:" in captured.out
    assert "such as 'new york', cannot be told apart" in captured.err
    main(["predict", "--model", str(path), "--texts", str(texts), "--json"])
    captured = capsys.readouterr()
    assert "new york" in json.loads(captured.out)["labels"]
    assert captured.err == ""


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"labels": ["food"', "is not JSON"),
        ('{"labels": ["food"], "probabilities": [0.5, 0.2]}', "of equal lengths"),
        ('{"labels": ["food"], "probabilities": [NaN]}', "finite numbers"),
        ('{"labels": ["food"], "probabilities": ["0.5"]}', "finite numbers"),
        ('{"labels": [true], "probabilities": [0.5]}', "is not a JSON object"),
        ('{"labels": ["food"]}', "is not a JSON object"),
        ('{"labels": ["pasta"], "probabilities": [0.5]}', "'pasta' is no label of the model"),
        ('{"labels": ["food"], "probabilities": [1' + "0" * 400 + "]}", "finite numbers"),
        (
            '{"labels": ["food"], "probabilities": [0.5], "x": ' + "[" * 5000 + "]" * 5000 + "}",
            "is not JSON",
        ),
        ('{"labels": [1.0], "probabilities": [0.5]}', "labels strings or integers"),
    ],
)
def test_evaluate_refuses_json_predictions_it_cannot_score(
    tmp_path, data_files, trained_model, line, message
):
    _, labels = data_files
    predictions = tmp_path / "predictions.jsonl"
    good = '{"labels": ["food"], "probabilities": [0.9]}'
    predictions.write_text(f"{good}\n\n{line}\n" + f"{good}\n" * 21)
    with pytest.raises(SystemExit, match=f"--predictions .*, line 3.*{re.escape(message)}"):
        main(["evaluate", "--model", str(trained_model), "--predictions", str(predictions),
              "--labels", str(labels)])  # fmt: skip


def test_evaluate_reads_a_text_form_file_whose_first_label_starts_with_a_brace(tmp_path, capsys):
    texts, labels, model, predictions = _predict_with_food_named(tmp_path, "{food}")
    assert predictions.read_text().startswith("{food}:")  # the first text is a food text
    direct = _evaluate_json(capsys, "--model", model, "--texts", texts, "--labels", labels)
    from_file = _evaluate_json(
        capsys, "--model", model, "--predictions", predictions, "--labels", labels
    )
    assert from_file == direct

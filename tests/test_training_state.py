"""Persistence and training state: interrupts, checkpoints, warm start, determinism."""

from __future__ import annotations

import io
import pickle

import joblib
import numpy as np
import pytest
import torch
from _toy_data import LABELS, TEXTS
from sklearn.exceptions import NotFittedError

from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier
from skxml._checkpoint import load_checkpoint
from skxml.datasets import load_debian_tags

QUERIES = ["apple pie tonight", "storm over the sky", "juice", "unknown words only"]

# 32 texts in batches of 8: 4 optimisation steps per epoch.
SMALL = dict(embedding_dim=64, max_seq_len=8, batch_size=8, n_epochs=3, top_k=3, random_state=0)
STEPS_PER_EPOCH = 4


def _network_equal(first: InceptionXMLClassifier, second: InceptionXMLClassifier) -> bool:
    one, two = first.network_.state_dict(), second.network_.state_dict()
    return one.keys() == two.keys() and all(torch.equal(one[key], two[key]) for key in one)


def _scores(clf: InceptionXMLClassifier) -> np.ndarray:
    return clf.decision_function(QUERIES, k=len(clf.classes_)).toarray()


@pytest.fixture
def interrupt_at_step(monkeypatch):
    """Make the ``step``-th optimisation step (1-based) of the next fits raise Ctrl-C."""

    def arm(step: int) -> None:
        original = InceptionXMLClassifier._batch_loss
        calls = {"n": 0}

        def loss_or_interrupt(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == step:
                raise KeyboardInterrupt
            return original(self, *args, **kwargs)

        monkeypatch.setattr(InceptionXMLClassifier, "_batch_loss", loss_or_interrupt)

    return arm


# ---------------------------------------------------------------- KeyboardInterrupt
def test_interrupt_before_first_epoch_leaves_estimator_unfitted(interrupt_at_step):
    clf = InceptionXMLClassifier(**SMALL)
    interrupt_at_step(2)
    with pytest.warns(UserWarning, match="before its first epoch completed"):
        with pytest.raises(KeyboardInterrupt):
            clf.fit(TEXTS, LABELS)
    with pytest.raises(NotFittedError):
        clf.predict(QUERIES)
    assert not [name for name in vars(clf) if name.endswith("_")]


def test_interrupt_before_first_epoch_of_a_refit_keeps_the_previous_model(interrupt_at_step):
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    before = _scores(clf)
    interrupt_at_step(1)
    clf.set_params(n_epochs=5, embedding_dim=72)
    with pytest.warns(UserWarning, match="as it was before fit"):
        with pytest.raises(KeyboardInterrupt):
            clf.fit(TEXTS[:16], LABELS[:16])
    assert clf.n_epochs_trained_ == 3
    np.testing.assert_array_equal(_scores(clf), before)


def test_interrupt_mid_training_keeps_last_complete_epoch(interrupt_at_step, tmp_path):
    # The checkpoint written after epoch 2 holds the network the estimator must keep.
    path = tmp_path / "state.joblib"
    clf = InceptionXMLClassifier(**SMALL, checkpoint_path=path)
    interrupt_at_step(2 * STEPS_PER_EPOCH + 2)
    with pytest.warns(UserWarning, match=r"n_epochs_trained_=2 of n_epochs_=3"):
        with pytest.raises(KeyboardInterrupt):
            clf.fit(TEXTS, LABELS)
    assert clf.n_epochs_trained_ == 2 and len(clf.history_) == 2
    assert not clf.network_.training
    assert not hasattr(clf, "_last_epoch_state")
    saved = load_checkpoint(path)
    assert saved["epoch"] == 2
    assert _network_equal(clf, saved["estimator"])
    assert clf.predict(QUERIES).shape == (len(QUERIES), len(clf.classes_))


def test_interrupt_in_warm_start_keeps_the_model_it_started_from(interrupt_at_step):
    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    before = _scores(clf)
    interrupt_at_step(3)
    with pytest.warns(UserWarning, match="before its first epoch completed; the estimator is "):
        with pytest.raises(KeyboardInterrupt):
            clf.fit(TEXTS, LABELS)
    np.testing.assert_array_equal(_scores(clf), before)
    assert clf.n_epochs_trained_ == 3


def test_a_warm_start_interrupted_after_recording_its_first_epoch_keeps_the_old_history(
    monkeypatch,
):
    import skxml._base as base

    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    history, before = list(clf.history_), _scores(clf)
    copy_state, calls = base.copy_state_to_cpu, []

    def interrupted_second_copy(*args, **kwargs):
        calls.append(None)
        if len(calls) == 2:  # 1: the snapshot before the fit; 2: after its first epoch
            raise KeyboardInterrupt
        return copy_state(*args, **kwargs)

    monkeypatch.setattr(base, "copy_state_to_cpu", interrupted_second_copy)
    with pytest.warns(UserWarning, match="left as it was before fit"):
        with pytest.raises(KeyboardInterrupt):
            clf.fit(TEXTS, LABELS)
    assert clf.history_ == history and clf.n_epochs_trained_ == len(history)
    np.testing.assert_array_equal(_scores(clf), before)


# ---------------------------------------------------------------- checkpoints
@pytest.mark.parametrize(
    "extra",
    [{}, {"validation_fraction": 0.25, "n_iter_no_change": 5}],
    ids=["plain", "early-stopping"],
)
def test_resume_from_checkpoint_is_bit_identical_to_an_uninterrupted_fit(
    interrupt_at_step, tmp_path, extra
):
    params = {**SMALL, "n_epochs": 4, **extra}
    uninterrupted = InceptionXMLClassifier(**params).fit(TEXTS, LABELS)

    path = tmp_path / "run" / "checkpoint.joblib"
    interrupted = InceptionXMLClassifier(**params, checkpoint_path=path)
    interrupt_at_step(2 * STEPS_PER_EPOCH + 3)
    with pytest.warns(UserWarning), pytest.raises(KeyboardInterrupt):
        interrupted.fit(TEXTS, LABELS)
    interrupt_at_step(10**9)  # no more interrupts

    resumed = InceptionXMLClassifier(**params, checkpoint_path=path)
    resumed.fit(TEXTS, LABELS, resume_from=path)
    assert resumed.n_epochs_trained_ == uninterrupted.n_epochs_trained_
    assert _network_equal(resumed, uninterrupted)
    np.testing.assert_array_equal(_scores(resumed), _scores(uninterrupted))
    for ours, theirs in zip(resumed.history_, uninterrupted.history_, strict=True):
        assert ours["loss"] == theirs["loss"]
    assert load_checkpoint(path)["epoch"] == resumed.n_epochs_trained_


def test_resume_from_a_finished_fit_trains_no_more(tmp_path):
    path = tmp_path / "checkpoint.joblib"
    first = InceptionXMLClassifier(**SMALL, checkpoint_path=path).fit(TEXTS, LABELS)
    again = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS, resume_from=path)
    assert again.n_epochs_trained_ == 3
    assert _network_equal(first, again)


def test_checkpoint_is_small_enough_and_holds_no_training_copy(tmp_path):
    path = tmp_path / "checkpoint.joblib"
    clf = InceptionXMLClassifier(**SMALL, checkpoint_path=str(path)).fit(TEXTS, LABELS)
    saved = load_checkpoint(path)
    assert not hasattr(saved["estimator"], "_last_epoch_state")
    assert set(saved) >= {"optimizers", "schedulers", "generator", "torch_rng", "epoch"}
    # Adam, SparseAdam (the TF-IDF bag), SGD (the sparse linear map)
    assert [type(o["state"]) for o in saved["optimizers"]] == [dict, dict, dict]
    assert not list(tmp_path.glob(".skxml-checkpoint-*"))  # the temporary file is gone
    assert clf.checkpoint_path == str(path)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"params": {"n_epochs": 5}}, r"other parameters \(n_epochs\)"),
        ({"params": {"learning_rate": 0.01, "dropout": 0.1}}, r"dropout, learning_rate"),
        ({"texts": TEXTS[::-1]}, "other data"),
        ({"params": {"random_state": 1}}, "other parameters"),
    ],
)
def test_resume_rejects_other_parameters_or_data(tmp_path, change, match):
    path = tmp_path / "checkpoint.joblib"
    InceptionXMLClassifier(**SMALL, checkpoint_path=path).fit(TEXTS, LABELS)
    clf = InceptionXMLClassifier(**{**SMALL, **change.get("params", {})})
    with pytest.raises(ValueError, match=match):
        clf.fit(change.get("texts", TEXTS), LABELS, resume_from=path)
    assert not hasattr(clf, "network_")


def test_resume_takes_a_random_state_instance(tmp_path):
    # Two RandomState objects are == only when they are one object: a resume with the
    # random_state it was started with was refused as "other parameters (random_state)".
    path = tmp_path / "checkpoint.joblib"
    params = {**SMALL, "random_state": np.random.RandomState(0)}
    InceptionXMLClassifier(**params, checkpoint_path=path).fit(TEXTS, LABELS)
    clf = InceptionXMLClassifier(**{**params, "random_state": np.random.RandomState(0)})
    assert clf.fit(TEXTS, LABELS, resume_from=path).n_epochs_trained_ == 3


def test_resume_allows_other_verbosity_and_checkpoint_path(tmp_path):
    path = tmp_path / "checkpoint.joblib"
    InceptionXMLClassifier(**SMALL, checkpoint_path=path).fit(TEXTS, LABELS)
    clf = InceptionXMLClassifier(**SMALL, verbose=0, checkpoint_path=tmp_path / "other.joblib")
    assert clf.fit(TEXTS, LABELS, resume_from=path).n_epochs_trained_ == 3


def test_resume_rejects_missing_or_foreign_files(tmp_path):
    clf = InceptionXMLClassifier(**SMALL)
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        clf.fit(TEXTS, LABELS, resume_from=tmp_path / "missing.joblib")
    model = tmp_path / "model.joblib"
    joblib.dump(InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS), model)
    with pytest.raises(ValueError, match="not an skxml training checkpoint"):
        clf.fit(TEXTS, LABELS, resume_from=model)
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="could not be read"):
        clf.fit(TEXTS, LABELS, resume_from=garbage)


# ---------------------------------------------------------------- persistence
@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_save_load_round_trip_is_bit_identical(dump):
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    if dump == "pickle":
        restored = pickle.loads(pickle.dumps(clf))
    else:
        buffer = io.BytesIO()
        joblib.dump(clf, buffer)
        buffer.seek(0)
        restored = joblib.load(buffer)
    np.testing.assert_array_equal(_scores(restored), _scores(clf))
    assert restored.skxml_version_ == clf.skxml_version_
    assert (restored.predict(QUERIES) != clf.predict(QUERIES)).nnz == 0


def test_pickling_does_not_change_the_estimator():
    clf = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    keys = set(vars(clf))
    state = clf.__getstate__()
    state["skxml_version_"] = "0.0.0"
    assert set(vars(clf)) == keys and clf.skxml_version_ != "0.0.0"


# ---------------------------------------------------------------- warm start & determinism
def test_warm_start_continues_from_the_fitted_network():
    clf = InceptionXMLClassifier(**SMALL, warm_start=True).fit(TEXTS, LABELS)
    network, vocabulary = clf.network_, clf.sequence_encoder_
    first_loss = clf.history_[-1]["loss"]
    clf.fit(TEXTS, LABELS)
    assert clf.network_ is network and clf.sequence_encoder_ is vocabulary
    assert len(clf.history_) == 6 and clf.n_epochs_trained_ == 6
    assert clf.history_[-1]["loss"] < first_loss


def test_two_cpu_fits_with_the_same_random_state_are_identical():
    first = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    second = InceptionXMLClassifier(**SMALL).fit(TEXTS, LABELS)
    assert _network_equal(first, second)
    np.testing.assert_array_equal(_scores(first), _scores(second))


@pytest.mark.parametrize("estimator", [InceptionXMLClassifier, InceptionXMLPlusClassifier])
def test_two_cpu_fits_on_two_threads_are_bit_identical(estimator):
    # Real data large enough for repeated (n-gram, label) pairs in every batch: the case where
    # a multi-threaded scatter-add used to sum in a varying order (5e-6 logit drift).
    texts, labels = load_debian_tags(subset="train", return_X_y=True)
    texts, labels = texts[:3000], labels[:3000]
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        fits = [
            estimator(n_epochs=1, embedding_dim=32, random_state=0).fit(texts, labels)
            for _ in range(2)
        ]
    finally:
        torch.set_num_threads(previous)
    assert _network_equal(*fits)
    queries = texts[:200]
    assert (fits[0].decision_function(queries) != fits[1].decision_function(queries)).nnz == 0


@pytest.mark.parametrize(
    "validation_then, validation_now",
    [("given", None), (None, "given"), ("given", "other")],
    ids=["dropped", "added", "changed"],
)
def test_resume_rejects_other_validation_data(tmp_path, validation_then, validation_now):
    # The held-out data decides which epoch early stopping keeps: part of the data.
    held_out = {"given": (TEXTS[:8], LABELS[:8]), "other": (TEXTS[:7], LABELS[:7])}
    path = tmp_path / "checkpoint.joblib"
    InceptionXMLClassifier(**SMALL, checkpoint_path=path).fit(
        TEXTS, LABELS, validation_data=held_out.get(validation_then)
    )
    with pytest.raises(ValueError, match="or with other validation_data"):
        InceptionXMLClassifier(**SMALL).fit(
            TEXTS, LABELS, validation_data=held_out.get(validation_now), resume_from=path
        )
    same = InceptionXMLClassifier(**SMALL).fit(
        TEXTS, LABELS, validation_data=held_out.get(validation_then), resume_from=path
    )
    assert same.n_epochs_trained_ == 3

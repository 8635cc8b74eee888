"""Tests of the bundled debian-tags dataset loader."""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils import Bunch

from skxml.datasets import load_attentionxml_split, load_debian_tags

N_TRAIN, N_TEST, N_LABELS = 23334, 5879, 595


@pytest.mark.parametrize(
    ("subset", "n_samples"), [("train", N_TRAIN), ("test", N_TEST), ("all", N_TRAIN + N_TEST)]
)
def test_load_debian_tags_shapes(subset, n_samples):
    dataset = load_debian_tags(subset=subset)
    assert isinstance(dataset, Bunch)
    assert dataset.subset == subset
    assert len(dataset.data) == n_samples
    assert all(isinstance(text, str) for text in dataset.data)
    assert sp.isspmatrix_csr(dataset.target)
    assert dataset.target.shape == (n_samples, N_LABELS)
    assert dataset.target.dtype == np.float32
    np.testing.assert_array_equal(dataset.target.data, 1.0)
    # Every sample has at least one label (the data's build guarantees it).
    assert np.diff(dataset.target.indptr).min() >= 1


def test_load_debian_tags_same_columns_for_every_subset():
    names = [load_debian_tags(subset=s).target_names for s in ("train", "test", "all")]
    assert names[0].shape == (N_LABELS,)
    assert names[0].tolist() == sorted(names[0].tolist())
    assert len(set(names[0].tolist())) == N_LABELS
    for other in names[1:]:
        assert other.tolist() == names[0].tolist()
    # Every column has a training sample (the label set is the training label set).
    assert load_debian_tags().target.sum(axis=0).min() >= 1


def test_load_debian_tags_all_is_train_then_test():
    train, test, both = (load_debian_tags(subset=s) for s in ("train", "test", "all"))
    assert both.data == train.data + test.data
    assert (both.target != sp.vstack([train.target, test.target])).nnz == 0


def test_load_debian_tags_return_X_y():
    texts, Y = load_debian_tags(subset="test", return_X_y=True)
    dataset = load_debian_tags(subset="test")
    assert texts == dataset.data
    assert (Y != dataset.target).nnz == 0


def test_load_debian_tags_returns_copies():
    first = load_debian_tags()
    reference_text = first.data[0]
    reference_row = first.target[0].toarray()
    reference_name = first.target_names[0]
    first.data[0] = "corrupted"
    first.data.append("extra")
    first.target.data[:] = 7
    first.target_names[0] = "corrupted"
    texts, Y = load_debian_tags(return_X_y=True)
    texts[0] = "corrupted"
    Y.data[:] = 9
    again = load_debian_tags()
    assert again.data[0] == reference_text
    assert len(again.data) == N_TRAIN
    np.testing.assert_array_equal(again.target[0].toarray(), reference_row)
    assert again.target_names[0] == reference_name


def test_load_debian_tags_descr():
    descr = load_debian_tags().DESCR
    assert descr.startswith("# debian-tags")
    assert "| 23334 | 5879 | 595 |" in descr
    assert "copied from the skxml project's shared data" in descr


def test_load_debian_tags_bad_subset():
    with pytest.raises(ValueError, match="'subset' parameter of load_debian_tags"):
        load_debian_tags(subset="validation")


def test_load_debian_tags_matches_shared_files(shared_data):
    directory = shared_data / "debian-tags"
    first_line = (directory / "train_texts.txt").read_text(encoding="utf-8").split("\n")[0]
    dataset = load_debian_tags()
    assert dataset.data[0] == first_line
    X_train, X_test, Y_train, Y_test, names = load_attentionxml_split(
        directory, on_unknown_label="error"
    )
    assert dataset.data == X_train
    assert load_debian_tags(subset="test").data == X_test
    assert dataset.target_names.tolist() == names.tolist()
    assert (dataset.target != Y_train).nnz == 0
    assert (load_debian_tags(subset="test").target != Y_test).nnz == 0


@pytest.mark.parametrize(
    "name", ["train_texts.txt", "train_labels.txt", "test_texts.txt", "test_labels.txt"]
)
def test_bundled_files_are_the_shared_files_gzipped(shared_data, name):
    bundled = resources.files("skxml.datasets") / "data" / "debian_tags" / f"{name}.gz"
    packed = bundled.read_bytes()
    # Reproducible gzip: no modification time and no file name in the header.
    assert packed[:4] == b"\x1f\x8b\x08\x00"
    assert packed[4:8] == b"\x00\x00\x00\x00"
    assert gzip.decompress(packed) == (shared_data / "debian-tags" / name).read_bytes()

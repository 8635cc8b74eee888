"""Tests of describe_dataset."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from skxml.datasets import describe_dataset, load_debian_tags


def test_describe_dataset_hand_computed():
    texts = ["a b c", "d", "", "e f"]
    Y = sp.csr_matrix(
        np.array(
            [
                [1, 1, 0, 0, 0],
                [1, 0, 0, 0, 0],
                [1, 0, 0, 1, 0],
                [0, 0, 0, 0, 0],
            ]
        )
    )
    stats = describe_dataset(texts, Y, tail_threshold=1)
    assert stats == {
        "n_samples": 4,
        "n_labels": 5,
        "n_labels_with_samples": 3,
        "n_samples_without_labels": 1,
        "avg_labels_per_sample": 5 / 4,
        "avg_samples_per_label": 5 / 3,
        "median_samples_per_label": 1.0,
        "n_tail_labels": 2,
        "tail_threshold": 1,
        "avg_words_per_text": 6 / 4,
        "max_words_per_text": 3,
    }
    assert describe_dataset(texts, Y)["n_tail_labels"] == 3


def test_describe_dataset_empty():
    stats = describe_dataset([], sp.csr_matrix((0, 3)))
    assert stats["n_samples"] == 0 and stats["n_labels_with_samples"] == 0
    assert math.isnan(stats["avg_labels_per_sample"])
    assert math.isnan(stats["avg_samples_per_label"])
    assert math.isnan(stats["median_samples_per_label"])
    assert stats["max_words_per_text"] == 0


@pytest.mark.parametrize(
    ("texts", "Y", "error", "match"),
    [
        (["a", "b"], np.array([[1]]), ValueError, "texts has 2 items but Y has 1 rows"),
        (["a"], np.array([[2]]), ValueError, "only 0 and 1"),
        ("ab", np.array([[1], [1]]), TypeError, "must be an array-like"),
        ([1], np.array([[1]]), TypeError, "must contain only strings"),
        (["a"], np.array([[1]]), ValueError, "tail_threshold"),
    ],
)
def test_describe_dataset_bad_input(texts, Y, error, match):
    options = {"tail_threshold": 0} if match == "tail_threshold" else {}
    with pytest.raises(error, match=match):
        describe_dataset(texts, Y, **options)


def test_describe_dataset_matches_debian_tags_readme():
    # The numbers published in the dataset's README.
    train = load_debian_tags()
    stats = describe_dataset(train.data, train.target)
    assert (stats["n_samples"], stats["n_labels"]) == (23334, 595)
    assert round(stats["avg_labels_per_sample"], 2) == 3.77
    assert round(stats["avg_samples_per_label"], 2) == 147.84
    assert stats["median_samples_per_label"] == 25
    assert stats["n_tail_labels"] == 100
    assert describe_dataset(train.data, train.target, tail_threshold=1)["n_tail_labels"] == 23
    both = load_debian_tags(subset="all")
    stats_all = describe_dataset(both.data, both.target)
    assert round(stats_all["avg_words_per_text"], 2) == 6.41
    assert stats_all["max_words_per_text"] == 17

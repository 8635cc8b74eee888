"""Tests of the AttentionXML text layout: load_attentionxml, load_attentionxml_split,
dump_attentionxml."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from skxml.datasets import dump_attentionxml, load_attentionxml, load_attentionxml_split

TEXTS = ["red apple", "blue sky", "", "green apple pie"]
LABEL_LINES = ["fruit red", "sky", "", "fruit green food"]
NAMES = ["food", "fruit", "green", "red", "sky"]
EXPECTED_Y = np.array(
    [
        [0, 1, 0, 1, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
        [1, 1, 1, 0, 0],
    ],
    dtype=np.float32,
)


def _write(path, text, *, compress=False, newline="\n", final_newline=True):
    data = text.replace("\n", newline)
    if not final_newline:
        data = data.removesuffix(newline)
    raw = data.encode("utf-8")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def _write_pair(tmp_path, texts, label_lines, **options):
    texts_path = _write(tmp_path / "texts.txt", "".join(f"{t}\n" for t in texts), **options)
    labels_path = _write(
        tmp_path / "labels.txt", "".join(f"{x}\n" for x in label_lines), **options
    )
    return texts_path, labels_path


def test_load_attentionxml_hand_computed(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, TEXTS, LABEL_LINES)
    texts, Y, names = load_attentionxml(texts_path, labels_path)
    assert texts == TEXTS
    assert names.tolist() == NAMES
    assert names.dtype == object
    assert sp.isspmatrix_csr(Y)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y.toarray(), EXPECTED_Y)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_load_attentionxml_file_variants(tmp_path, compress, newline, final_newline):
    # The last label line must not be empty here: without a final newline an empty last
    # line cannot be written at all.
    texts_path, labels_path = _write_pair(
        tmp_path,
        TEXTS[:2],
        LABEL_LINES[:2],
        compress=compress,
        newline=newline,
        final_newline=final_newline,
    )
    texts, Y, names = load_attentionxml(str(texts_path), str(labels_path))
    assert texts == TEXTS[:2]
    assert names.tolist() == ["fruit", "red", "sky"]
    np.testing.assert_array_equal(Y.toarray(), [[1, 1, 0], [0, 0, 1]])


def test_load_attentionxml_non_ascii(tmp_path):
    texts_in = ["café crème — naïve", "日本語のテキスト", "tab\tinside and \x1c sep"]
    texts_path, labels_path = _write_pair(tmp_path, texts_in, ["boisson", "言語", "ü"])
    texts, Y, names = load_attentionxml(texts_path, labels_path)
    assert texts == texts_in
    assert names.tolist() == sorted(["boisson", "言語", "ü"])
    assert Y.nnz == 3


def test_load_attentionxml_repeated_and_spaced_labels(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, ["a", "b"], ["x  y\tx", " y "])
    _, Y, names = load_attentionxml(texts_path, labels_path)
    assert names.tolist() == ["x", "y"]
    np.testing.assert_array_equal(Y.toarray(), [[1, 1], [0, 1]])
    np.testing.assert_array_equal(Y.data, 1.0)


def test_load_attentionxml_mismatched_lines(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, ["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match=r"texts\.txt has 3 lines but .*labels\.txt has 2"):
        load_attentionxml(texts_path, labels_path)


def test_load_attentionxml_no_label_at_all(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, ["a", "b"], ["", ""])
    with pytest.raises(ValueError, match="contains no label at all"):
        load_attentionxml(texts_path, labels_path)
    _, Y, _ = load_attentionxml(texts_path, labels_path, label_names=["x"])
    assert Y.shape == (2, 1) and Y.nnz == 0


def test_load_attentionxml_invalid_utf8_names_line(tmp_path):
    texts_path = tmp_path / "texts.txt"
    texts_path.write_bytes(b"ok\nbad \xe9\n")
    labels_path = _write(tmp_path / "labels.txt", "x\ny\n")
    with pytest.raises(ValueError, match=r"texts\.txt: line 2: the file is not valid UTF-8"):
        load_attentionxml(texts_path, labels_path)


def test_load_attentionxml_given_label_names_order(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, TEXTS, LABEL_LINES)
    order = ["sky", "red", "green", "fruit", "food", "unused"]
    _, Y, names = load_attentionxml(texts_path, labels_path, label_names=order)
    assert names.tolist() == order
    column = {name: j for j, name in enumerate(order)}
    expected = np.zeros((4, 6), dtype=np.float32)
    expected[:, [column[n] for n in NAMES]] = EXPECTED_Y
    np.testing.assert_array_equal(Y.toarray(), expected)


def test_load_attentionxml_unknown_label_error(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, ["a", "b"], ["x", "x zz"])
    with pytest.raises(ValueError, match=r"labels\.txt: line 2: label 'zz' is not in label_names"):
        load_attentionxml(texts_path, labels_path, label_names=["x"], on_unknown_label="error")


def test_load_attentionxml_unknown_label_warn(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, ["a", "b", "c"], ["x q", "x zz", "q"])
    with pytest.warns(UserWarning, match=r"dropped 3 label occurrence\(s\).*'q', 'zz'"):
        _, Y, _ = load_attentionxml(texts_path, labels_path, label_names=["x"])
    np.testing.assert_array_equal(Y.toarray(), [[1], [1], [0]])


def test_load_attentionxml_unknown_label_ignore(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, ["a", "b"], ["x", "x zz"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, Y, _ = load_attentionxml(
            texts_path, labels_path, label_names=["x"], on_unknown_label="ignore"
        )
    np.testing.assert_array_equal(Y.toarray(), [[1], [1]])


@pytest.mark.parametrize(
    ("label_names", "error", "match"),
    [
        (["a", "b", "a"], ValueError, "'a' occurs more than once"),
        ([], ValueError, "label_names is empty"),
        (["a", 3], TypeError, "item 1 is int"),
        ("abc", TypeError, "must be an array-like or None"),
        (np.array([["a", "b"]]), ValueError, "must be 1-D"),
    ],
)
def test_load_attentionxml_bad_label_names(tmp_path, label_names, error, match):
    texts_path, labels_path = _write_pair(tmp_path, ["a"], ["a"])
    with pytest.raises(error, match=match):
        load_attentionxml(texts_path, labels_path, label_names=label_names)


def test_load_attentionxml_bad_on_unknown_label(tmp_path):
    texts_path, labels_path = _write_pair(tmp_path, ["a"], ["a"])
    with pytest.raises(ValueError, match="on_unknown_label"):
        load_attentionxml(texts_path, labels_path, on_unknown_label="drop")


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_dump_attentionxml_round_trip(tmp_path, suffix):
    texts_in = ["café au lait", "", "  spaced  ", "日本"]
    Y_in = sp.csr_matrix(np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0], [1, 1, 1]]))
    names_in = ["b::x", "a", "ü"]  # deliberately not sorted
    texts_path, labels_path = tmp_path / f"t.txt{suffix}", tmp_path / f"l.txt{suffix}"
    dump_attentionxml(texts_in, Y_in, names_in, texts_path, labels_path)
    texts, Y, names = load_attentionxml(texts_path, labels_path, label_names=names_in)
    assert texts == texts_in
    assert names.tolist() == names_in
    np.testing.assert_array_equal(Y.toarray(), Y_in.toarray())
    # Without label_names the columns come back sorted.
    _, Y_sorted, names_sorted = load_attentionxml(texts_path, labels_path)
    order = np.argsort(names_in)
    assert names_sorted.tolist() == sorted(names_in)
    np.testing.assert_array_equal(Y_sorted.toarray(), Y_in.toarray()[:, order])


def test_a_first_text_starting_with_a_byte_order_mark_reads_back_whole(tmp_path):
    texts_in = ["\ufeffa", "\ufeffb"]
    dump_attentionxml(texts_in, np.eye(2), ["x", "y"], tmp_path / "t", tmp_path / "l")
    assert load_attentionxml(tmp_path / "t", tmp_path / "l")[0] == texts_in
    dump_attentionxml(["a"], np.eye(1), ["x"], tmp_path / "t", tmp_path / "l")
    assert (tmp_path / "t").read_bytes() == b"a\n"  # no mark where none is needed


@pytest.mark.parametrize("names", [["\ufeffx", "y"], ["\ufeff", "y"]], ids=["prefix", "whole"])
def test_a_first_label_starting_with_a_byte_order_mark_reads_back_whole(tmp_path, names):
    dump_attentionxml(["a", "b"], np.eye(2), names, tmp_path / "t", tmp_path / "l")
    assert sorted(load_attentionxml(tmp_path / "t", tmp_path / "l")[2]) == sorted(names)


def test_a_text_utf8_cannot_encode_is_refused_before_any_file_is_written(tmp_path):
    (tmp_path / "t").write_text("earlier\n")
    with pytest.raises(ValueError, match=r"texts\[1\] = 'b\\udc80' cannot be written as UTF-8"):
        dump_attentionxml(["a", "b\udc80"], np.eye(2), ["x", "y"], tmp_path / "t", tmp_path / "l")
    with pytest.raises(ValueError, match=r"label_names\[0\] .* cannot be written as UTF-8"):
        dump_attentionxml(["a", "b"], np.eye(2), ["\udc80", "y"], tmp_path / "t", tmp_path / "l")
    assert (tmp_path / "t").read_text() == "earlier\n" and not (tmp_path / "l").exists()


def test_dump_attentionxml_exact_text(tmp_path):
    dump_attentionxml(
        ["one", "two"], np.array([[0, 1], [1, 1]]), ["p", "q"], tmp_path / "t", tmp_path / "l"
    )
    assert (tmp_path / "t").read_text(encoding="utf-8") == "one\ntwo\n"
    assert (tmp_path / "l").read_text(encoding="utf-8") == "q\np q\n"


@pytest.mark.parametrize(
    ("texts", "Y", "names", "match"),
    [
        (["a\nb"], [[1]], ["x"], r"texts\[0\] contains a line break"),
        (["a", "b\r"], [[1], [1]], ["x"], r"texts\[1\] contains a line break"),
        (["a"], [[1, 0]], ["x y", "z"], r"label_names\[0\] = 'x y' is empty or contains"),
        (["a"], [[1, 0]], ["x", ""], r"label_names\[1\] = '' is empty"),
        (["a", "b"], [[1]], ["x"], "texts has 2 items but Y has 1 rows"),
        (["a"], [[1, 1]], ["x"], "label_names has 1 names but Y has 2 columns"),
        (["a"], [[2]], ["x"], "must contain only 0 and 1"),
    ],
)
def test_dump_attentionxml_bad_input(tmp_path, texts, Y, names, match):
    with pytest.raises(ValueError, match=match):
        dump_attentionxml(texts, np.array(Y), names, tmp_path / "t", tmp_path / "l")


def _write_split(directory, *, gzip_test=False):
    directory.mkdir()
    _write(directory / "train_texts.txt", "red apple\nblue sky\n")
    _write(directory / "train_labels.txt", "fruit red\nsky\n")
    suffix = ".gz" if gzip_test else ""
    _write(directory / f"test_texts.txt{suffix}", "green apple\nnight\n", compress=gzip_test)
    _write(directory / f"test_labels.txt{suffix}", "fruit green\nsky\n", compress=gzip_test)


@pytest.mark.parametrize("gzip_test", [False, True])
def test_load_attentionxml_split_shares_training_columns(tmp_path, gzip_test):
    _write_split(tmp_path / "data", gzip_test=gzip_test)
    with pytest.warns(UserWarning, match=r"dropped 1 label occurrence\(s\).*'green'"):
        X_train, X_test, Y_train, Y_test, names = load_attentionxml_split(tmp_path / "data")
    assert X_train == ["red apple", "blue sky"]
    assert X_test == ["green apple", "night"]
    assert names.tolist() == ["fruit", "red", "sky"]
    np.testing.assert_array_equal(Y_train.toarray(), [[1, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(Y_test.toarray(), [[1, 0, 0], [0, 0, 1]])


def test_load_attentionxml_split_unknown_error(tmp_path):
    _write_split(tmp_path / "data")
    with pytest.raises(ValueError, match=r"test_labels\.txt: line 1: label 'green'"):
        load_attentionxml_split(tmp_path / "data", on_unknown_label="error")


def test_load_attentionxml_split_missing_file(tmp_path):
    _write_split(tmp_path / "data")
    (tmp_path / "data" / "test_texts.txt").unlink()
    with pytest.raises(
        FileNotFoundError, match=r"neither test_texts\.txt nor test_texts\.txt\.gz"
    ):
        load_attentionxml_split(tmp_path / "data")


def test_load_attentionxml_split_not_a_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="existing directory"):
        load_attentionxml_split(tmp_path / "nowhere")


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_dump_attentionxml_refuses_one_file_reached_through_a_link(tmp_path, link):
    import os

    path = tmp_path / "texts.txt"
    path.write_text("kept\n")
    (tmp_path / "d").mkdir()
    other = tmp_path / "d" / "link.txt"
    if link == "symlink":
        other.symlink_to(path)
    else:
        os.link(path, other)
    with pytest.raises(ValueError, match=r"texts_path and labels_path are the same file"):
        dump_attentionxml(["red apple"], np.array([[1]]), ["fruit"], path, other)
    assert path.read_text() == "kept\n"


def test_dump_attentionxml_refuses_one_file_for_texts_and_labels(tmp_path):
    path = tmp_path / "both.txt"
    with pytest.raises(ValueError, match=r"texts_path and labels_path are the same file"):
        dump_attentionxml(
            ["red apple"], np.array([[1]]), ["fruit"], path, tmp_path / "." / path.name
        )
    assert not path.exists()

"""Tests of the LF-* JSON-lines readers: load_lf_json and load_lf_label_names."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import scipy.sparse as sp

from skxml.datasets import _lf_json as lf_json_module
from skxml.datasets import load_lf_json, load_lf_label_names

RECORDS = [
    {"uid": "B1", "title": "usb cable", "content": "one metre", "target_ind": [0, 3]},
    {"uid": "B2", "title": "phone case", "content": "", "target_ind": [2], "target_rel": [1.0]},
    {"uid": "B3", "title": "café crème", "content": "日本", "target_ind": []},
]


def _write_lines(path, lines, *, compress=False, newline="\n", final_newline=True, ascii=True):
    text = newline.join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=ascii) for line in lines
    )
    if final_newline:
        text += newline
    raw = text.encode("utf-8")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def test_load_lf_json_hand_computed(tmp_path):
    texts, Y, names = load_lf_json(_write_lines(tmp_path / "trn.json", RECORDS))
    assert texts == ["usb cable", "phone case", "café crème"]
    assert sp.isspmatrix_csr(Y) and Y.dtype == np.float32
    np.testing.assert_array_equal(Y.toarray(), [[1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(names, [0, 1, 2, 3])


@pytest.mark.parametrize(
    ("text_fields", "expected"),
    [
        (("title", "content"), ["usb cable one metre", "phone case ", "café crème 日本"]),
        ("content", ["one metre", "", "日本"]),
        (["content", "uid"], ["one metre B1", " B2", "日本 B3"]),
    ],
)
def test_load_lf_json_text_fields(tmp_path, text_fields, expected):
    texts, _, _ = load_lf_json(_write_lines(tmp_path / "t.json", RECORDS), text_fields=text_fields)
    assert texts == expected


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
@pytest.mark.parametrize("ascii", [True, False])
def test_load_lf_json_file_variants(tmp_path, compress, newline, final_newline, ascii):
    path = _write_lines(
        tmp_path / "trn.json.gz",
        RECORDS,
        compress=compress,
        newline=newline,
        final_newline=final_newline,
        ascii=ascii,
    )
    texts, Y, _ = load_lf_json(path, n_labels=5)
    assert texts == ["usb cable", "phone case", "café crème"]
    assert Y.shape == (3, 5)
    assert Y.nnz == 3


def test_load_lf_json_skips_blank_lines_and_dedupes(tmp_path):
    lines = ["", json.dumps({"title": "a", "target_ind": [1, 1, 0]}), "   ", ""]
    texts, Y, _ = load_lf_json(_write_lines(tmp_path / "t.json", lines))
    assert texts == ["a"]
    np.testing.assert_array_equal(Y.toarray(), [[1, 1]])
    np.testing.assert_array_equal(Y.data, 1.0)


def test_load_lf_json_n_labels_and_label_names(tmp_path):
    path = _write_lines(tmp_path / "tst.json", RECORDS)
    _, Y, names = load_lf_json(path, n_labels=6)
    assert Y.shape == (3, 6)
    np.testing.assert_array_equal(names, np.arange(6))
    label_names = ["cable", "case", "case", "usb", "other"]  # titles may repeat
    _, Y, names = load_lf_json(path, label_names=label_names)
    assert Y.shape == (3, 5)
    assert names.tolist() == label_names and names.dtype == object
    _, Y, _ = load_lf_json(path, label_names=label_names, n_labels=5)
    assert Y.shape == (3, 5)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"n_labels": 3}, ValueError, r"line 1: label index 3 is out of range for 3 labels"),
        ({"label_names": ["a", "b"], "n_labels": 3}, ValueError, "n_labels=3 disagrees"),
        ({"label_names": ["a", "b", "c"]}, ValueError, "label index 3 is out of range for 3"),
        ({"n_labels": 0}, ValueError, "'n_labels' parameter"),
        ({"text_fields": ()}, ValueError, "text_fields is empty"),
        ({"text_fields": ("title", 3)}, TypeError, "non-empty field names"),
        ({"text_fields": ("missing",)}, ValueError, r"line 1: missing field 'missing'"),
        ({"label_names": [1, 2, 3, 4]}, TypeError, "must contain only str"),
    ],
)
def test_load_lf_json_bad_options(tmp_path, options, error, match):
    path = _write_lines(tmp_path / "t.json", RECORDS)
    with pytest.raises(error, match=match):
        load_lf_json(path, **options)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"title": "x", "target_ind": [0]', r"line 2: invalid JSON"),
        ("[1, 2]", r"line 2: expected a JSON object, got list"),
        ('{"target_ind": [0]}', r"line 2: missing field 'title' \(fields present: 'target_ind'\)"),
        ('{"title": "x"}', r"line 2: missing field 'target_ind'"),
        ('{"title": null, "target_ind": []}', r"line 2: field 'title' must be a string, got Non"),
        ('{"title": "x", "target_ind": 3}', r"line 2: 'target_ind' must be a list"),
        (
            '{"title": "x", "target_ind": [-1]}',
            r"line 2: 'target_ind' must hold non-negative .*-1",
        ),
        ('{"title": "x", "target_ind": [1.0]}', r"line 2: 'target_ind' must hold .*1\.0"),
        ('{"title": "x", "target_ind": [true]}', r"line 2: 'target_ind' must hold .*True"),
        ('{"title": "x", "target_ind": ["2"]}', r"line 2: 'target_ind' must hold .*'2'"),
        # A corrupt index would otherwise size the label space (7 TiB for 10**12).
        (
            '{"title": "x", "target_ind": [1000000000000]}',
            r"line 2: label index 1000000000000 is too large \(at most 2147483646\)",
        ),
    ],
)
def test_load_lf_json_malformed(tmp_path, line, message):
    path = _write_lines(tmp_path / "bad.json", [RECORDS[0], line])
    with pytest.raises(ValueError, match=r"bad\.json: " + message):
        load_lf_json(path)


def test_a_label_index_implying_a_huge_label_space_needs_n_labels(tmp_path, monkeypatch):
    path = _write_lines(tmp_path / "t.json", [{"title": "a", "target_ind": [2_000_000_000]}])
    with pytest.raises(ValueError, match=r"index, 2000000000, would make a space of 2,000,000,"):
        load_lf_json(path)  # would otherwise build 16 GB of label names
    monkeypatch.setattr(lf_json_module, "_MAX_IMPLIED_LABELS", 10)
    ok = _write_lines(tmp_path / "ok.json", [{"title": "a", "target_ind": [9]}])
    assert load_lf_json(ok)[1].shape == (1, 10)  # at the limit
    beyond = _write_lines(tmp_path / "beyond.json", [{"title": "a", "target_ind": [10]}])
    with pytest.raises(ValueError, match="pass n_labels to declare that label space"):
        load_lf_json(beyond)
    assert load_lf_json(beyond, n_labels=11)[1].shape == (1, 11)


def test_load_lf_json_invalid_utf8(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"title": "ok", "target_ind": [0]}\n{"title": "\xff", "target_ind": []}\n')
    with pytest.raises(ValueError, match=r"bad\.json: line 2: invalid JSON"):
        load_lf_json(path)


def test_load_lf_json_no_labels_without_n_labels(tmp_path):
    path = _write_lines(tmp_path / "t.json", [{"title": "a", "target_ind": []}])
    with pytest.raises(ValueError, match="contains no label index; pass n_labels"):
        load_lf_json(path)
    _, Y, _ = load_lf_json(path, n_labels=2)
    assert Y.shape == (1, 2) and Y.nnz == 0


@pytest.mark.parametrize("compress", [False, True])
def test_load_lf_label_names(tmp_path, compress):
    labels = [
        {"uid": "L0", "title": "usb"},
        {"uid": "L1", "title": "cases"},
        {"uid": "L2", "title": "usb"},
    ]
    path = _write_lines(tmp_path / "lbl.json.gz", labels, compress=compress, ascii=False)
    names = load_lf_label_names(path)
    assert names.tolist() == ["usb", "cases", "usb"]
    assert names.dtype == object
    assert load_lf_label_names(path, field="uid").tolist() == ["L0", "L1", "L2"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"uid": "L1"}', r"line 2: missing field 'title'"),
        ('{"uid": "L1", "title": 5}', r"line 2: field 'title' must be a string, got int"),
        ("not json", r"line 2: invalid JSON"),
    ],
)
def test_load_lf_label_names_malformed(tmp_path, line, message):
    path = _write_lines(tmp_path / "lbl.json", [{"uid": "L0", "title": "a"}, line])
    with pytest.raises(ValueError, match=r"lbl\.json: " + message):
        load_lf_label_names(path)

"""The ``precision`` parameter: which fits run under bf16 autocast, and what it changes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _toy_data import LABELS, TEXTS

import skxml._devices as devices
from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer

FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=16, n_epochs=2, random_state=0)
ESTIMATORS = {
    "inceptionxml": lambda **params: InceptionXMLClassifier(**FAST, **params),
    "plus": lambda **params: InceptionXMLPlusClassifier(
        clusterer=LabelTreeClusterer(n_clusters=2, random_state=0), **FAST, **params
    ),
}
CPU = torch.device("cpu")


@pytest.mark.parametrize("native", [False, True])
def test_cpu_bf16_follows_the_precision_and_the_cpu(monkeypatch, native):
    monkeypatch.setattr(devices, "_cpu_has_native_bf16", lambda: native)
    assert devices._uses_bf16("auto", CPU) is native
    assert devices._uses_bf16("bfloat16", CPU) is True
    assert devices._uses_bf16("float32", CPU) is False
    # CPU prediction stays float32 whatever the training precision.
    assert not devices._predicts_in_bf16("bfloat16", CPU)


def test_native_bf16_is_read_from_the_cpu_flags():
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "")
    except OSError:
        flags = ""
    expected = "avx512_bf16" in flags.split() or "amx_bf16" in flags.split()
    assert devices._cpu_has_native_bf16() is expected


def _weights(clf) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in clf.network_.parameters()]


@pytest.mark.parametrize("estimator", sorted(ESTIMATORS))
def test_auto_precision_trains_like_the_precision_it_picks(monkeypatch, estimator):
    make = ESTIMATORS[estimator]
    runs = {}
    for name in ("float32", "bfloat16"):
        runs[name] = _weights(make(precision=name).fit(TEXTS, LABELS))
    for native, expected in ((False, "float32"), (True, "bfloat16")):
        monkeypatch.setattr(devices, "_cpu_has_native_bf16", lambda native=native: native)
        auto = _weights(make(precision="auto", device="cpu").fit(TEXTS, LABELS))
        for got, want in zip(auto, runs[expected], strict=True):
            np.testing.assert_array_equal(got, want)
    # bf16 products round differently: the two precisions train different weights ...
    assert any(
        not np.array_equal(a, b) for a, b in zip(runs["float32"], runs["bfloat16"], strict=True)
    )
    # Prediction on the CPU is float32 either way: the scores are finite and k per row.
    for name in runs:
        scores = make(precision=name).fit(TEXTS, LABELS).decision_function(TEXTS[:8], k=2)
        assert scores.dtype == np.float32 and np.isfinite(scores.data).all()
        assert np.array_equal(np.diff(scores.indptr), np.full(8, 2))


@pytest.mark.parametrize("estimator", sorted(ESTIMATORS))
def test_unknown_precision_is_rejected(estimator):
    with pytest.raises(ValueError, match="precision"):
        ESTIMATORS[estimator](precision="float16").fit(TEXTS, LABELS)


def test_bf16_is_refused_on_devices_without_it():
    clf = InceptionXMLClassifier(precision="bfloat16")
    with pytest.raises(ValueError, match="precision='bfloat16' runs on CPU and CUDA"):
        clf._check_precision(torch.device("meta"))
    InceptionXMLClassifier(precision="float32")._check_precision(torch.device("meta"))

"""What runs only on a GPU, checked on a CPU-only machine.

Device names and GPU indices, the bf16 choice, the data-parallel GPU of each process, the
frozen networks on a device other than the CPU ("meta" stands in for CUDA: its tensors
have shapes and dtypes but no values, and mixing them with CPU tensors fails as mixing
CUDA and CPU tensors does), prediction in bf16, and what a checkpoint written during a GPU
fit holds.
"""

from __future__ import annotations

import joblib
import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.fx.experimental._config as fx_config
from _toy_data import LABELS, TEXTS
from torch import nn

import skxml._base as base
import skxml._devices as devices
import skxml._distributed as distributed
from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier, LabelTreeClusterer
from skxml._optimizers import _sparse_gradient_parameters
from skxml.nn import (
    ExtremeClassifierHead,
    FrozenInceptionXMLPlusNetwork,
    InceptionXMLEncoder,
    InceptionXMLPlusNetwork,
    ShortlistClassifierHead,
)
from skxml.nn._frozen import _cluster_ordered_table, _score_clusters

FAST = dict(embedding_dim=64, max_seq_len=8, batch_size=16, n_epochs=2, random_state=0)


@pytest.fixture
def two_gpus(monkeypatch):
    """A machine with CUDA and GPUs 0 and 1, GPU 0 current."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)


# ---------------------------------------------------------------- device names
def test_cuda_gets_the_index_of_the_current_gpu(two_gpus):
    # torch.device("cuda") != torch.device("cuda:0"), the device a tensor reports: without
    # the index every check of where the network lies would move it again.
    assert torch.device("cuda") != torch.device("cuda", 0)
    assert devices._concrete_device(devices._resolve_device("cuda")) == torch.device("cuda", 0)
    assert devices._concrete_device(devices._resolve_device("auto")) == torch.device("cuda", 0)
    assert devices._concrete_device(devices._resolve_device("cuda:1")) == torch.device("cuda", 1)
    assert devices._concrete_device(torch.device("cpu")) == torch.device("cpu")


def test_a_gpu_the_machine_lacks_is_an_error_for_fit_a_fallback_for_prediction(two_gpus):
    with pytest.raises(ValueError, match=r"device='cuda:2' names GPU 2, but this machine has 2"):
        devices._resolve_device("cuda:2")
    with pytest.raises(ValueError, match=r"device='cuda:2' names GPU 2"):
        InceptionXMLClassifier(**FAST, device="cuda:2").fit(TEXTS, LABELS)
    # A model fitted on GPU 2 elsewhere predicts on this machine's current GPU.
    assert devices._resolve_device("cuda:2", fallback=True) == torch.device("cuda")


def test_a_gpu_model_predicts_on_the_cpu_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    assert devices._resolve_device("cuda:3", fallback=True) == torch.device("cpu")
    with pytest.raises(ValueError, match="CUDA is not available"):
        devices._resolve_device("cuda:3")


# ---------------------------------------------------------------- bf16 on GPUs
@pytest.mark.parametrize(
    ("capability", "native"), [((7, 0), False), ((7, 5), False), ((8, 0), True), ((9, 0), True)]
)
def test_auto_precision_takes_bf16_only_on_gpus_that_compute_in_it(
    monkeypatch, capability, native
):
    # torch.cuda.is_bf16_supported() is True on V100 (7.0) and T4 (7.5) too, where bf16 is
    # emulated and slower than float32.
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    gpu = torch.device("cuda", 0)
    assert devices._uses_bf16("auto", gpu) is native
    assert devices._predicts_in_bf16("auto", gpu) is native
    # Asked for explicitly (and checked by fit against is_bf16_supported), bf16 it is.
    assert devices._uses_bf16("bfloat16", gpu) is True
    assert devices._uses_bf16("float32", gpu) is False


def test_prediction_batches_hold_the_same_bytes_in_float32_as_in_bf16():
    gpu, n_labels = torch.device("cuda", 0), 670_091
    in_bf16 = base._prediction_batch_size(n_labels, gpu, bf16=True)
    in_float32 = base._prediction_batch_size(n_labels, gpu, bf16=False)
    assert (in_bf16, in_float32) == (512, 256)
    assert in_float32 * n_labels * 4 <= 2**30 < 2 * in_float32 * n_labels * 4


# ---------------------------------------------------------------- data-parallel GPUs
@pytest.fixture
def torchrun_rank_1(monkeypatch):
    """Rank 1 of 2 under torchrun (LOCAL_RANK 1), no process group yet: the calls to
    ``torch.cuda.set_device`` and ``init_process_group`` are recorded in order."""
    calls = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(dist, "is_initialized", lambda: bool(calls))
    monkeypatch.setattr(torch.cuda, "set_device", lambda gpu: calls.append(("set_device", gpu)))
    monkeypatch.setattr(
        dist, "init_process_group", lambda backend: calls.append(("init", backend))
    )
    monkeypatch.setattr(dist, "get_world_size", lambda: 2)
    monkeypatch.setattr(dist, "get_rank", lambda: 1)
    return calls


@pytest.mark.parametrize(("device", "expected_gpu"), [("cuda", 1), ("cuda:0", 0)])
def test_each_torchrun_process_makes_its_gpu_current_before_the_process_group(
    torchrun_rank_1, device, expected_gpu
):
    context = distributed.distributed_context(torch.device(device))
    # NCCL's collectives run on the current GPU: set first, or every rank would use GPU 0.
    assert torchrun_rank_1 == [("set_device", expected_gpu), ("init", "nccl")]
    assert (context.rank, context.world_size, context.local_rank) == (1, 2, 1)


def test_a_cpu_torchrun_process_sets_no_gpu(torchrun_rank_1):
    distributed.distributed_context(torch.device("cpu"))
    assert torchrun_rank_1 == [("init", "gloo")]


def _plus_network() -> InceptionXMLPlusNetwork:
    # Without self-attention: freezing reads its γ as a Python float, which "meta" lacks.
    encoder = InceptionXMLEncoder(
        50, 64, max_seq_len=8, word_attention=False, embedding_attention=False
    )
    return InceptionXMLPlusNetwork(
        encoder,
        ExtremeClassifierHead(encoder.n_features_out, 2, spectral_norm=True),
        ShortlistClassifierHead(encoder.n_features_out, 4, sparse_gradients=True),
        torch.tensor([[0, 1], [2, 3]]),
    )


def test_dense_gradients_for_a_network_warm_started_under_torchrun():
    # NCCL has no sparse all-reduce: a network first fitted in one process, then
    # warm-started or resumed under torchrun, trains its tables with dense gradients.
    clf = InceptionXMLPlusClassifier(
        **FAST, clusterer=LabelTreeClusterer(n_clusters=2, random_state=0)
    ).fit(TEXTS, LABELS)
    assert _sparse_gradient_parameters(clf.network_)  # n-gram and label tables
    distributed.use_dense_gradients(clf.network_)
    assert _sparse_gradient_parameters(clf.network_) == []
    assert all(not m.sparse for m in clf.network_.modules() if isinstance(m, nn.EmbeddingBag))
    # It still trains and predicts in one process, with dense gradients.
    clf.set_params(warm_start=True, n_epochs=1).fit(TEXTS, LABELS)
    assert clf.decision_function(TEXTS[:3], k=2).shape == (3, len(clf.classes_))


# ---------------------------------------------------------------- frozen networks off the CPU
def test_one_text_on_a_gpu_goes_through_the_batch_path(monkeypatch):
    # The one-text path (a cluster-ordered table, NumPy sums) is for CPUs. On another
    # device one text is scored like a batch, in the network's dtype and on its device.
    network = _plus_network().eval()
    on_cpu = FrozenInceptionXMLPlusNetwork(network)
    assert on_cpu.one_text_path and on_cpu.cluster_table is not None
    frozen = FrozenInceptionXMLPlusNetwork(network.to("meta"), torch.bfloat16)
    assert not frozen.one_text_path and frozen.cluster_table is None
    # torch.nonzero has no shape on "meta" (data-dependent): let it assume all non-zero.
    monkeypatch.setattr(fx_config, "meta_nonzero_assume_all_nonzero", True)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # "meta" has no autocast of its own
        meta_logits, label_ids, logits = frozen(
            torch.zeros(1, 8, dtype=torch.long, device="meta"), n_shortlist=1
        )
    assert meta_logits.shape == (1, 2) and label_ids.shape == logits.shape == (1, 2)
    assert logits.device.type == "meta"


def test_cluster_scores_follow_the_table_dtype_and_device():
    clusters = torch.tensor([[0, 1], [2, -1]])
    weight, bias = torch.randn(3, 4), torch.randn(3)
    hidden = torch.randn(1, 4)
    expected = hidden @ weight.T + bias  # labels 0, 1, 2
    table, biases = _cluster_ordered_table(clusters, weight, bias)
    scores = _score_clusters(table, biases, torch.tensor([1, 0]), hidden)
    torch.testing.assert_close(scores[[0, 2, 3]], expected[0, [2, 0, 1]])
    # A bf16 table (a GPU's) with float32 features: embedding_bag, which autocast leaves
    # alone, gets weights of the table's dtype.
    table16, biases16 = _cluster_ordered_table(clusters, weight.bfloat16(), bias.bfloat16())
    scores16 = _score_clusters(table16, biases16, torch.tensor([1, 0]), hidden)
    assert scores16.dtype == torch.bfloat16
    torch.testing.assert_close(scores16.float(), scores, atol=0.1, rtol=0.02)
    # Every index it builds lies on the clusters' device.
    on_meta = _cluster_ordered_table(clusters.to("meta"), weight.to("meta"), bias.to("meta"))
    assert _score_clusters(
        *on_meta, torch.tensor([1, 0], device="meta"), hidden.to("meta")
    ).shape == (4,)


@pytest.mark.parametrize("estimator", ["inceptionxml", "plus"])
def test_changing_precision_between_bf16_predictions_rebuilds_the_frozen_network(
    monkeypatch, estimator
):
    # On a GPU the frozen network's label weights are bf16 under precision="auto"; after
    # set_params(precision="float32") prediction runs without autocast and needs float32
    # weights. The CPU's autocast stands in for the GPU's here.
    params = dict(FAST, tfidf_linear=False)
    if estimator == "plus":
        params["clusterer"] = LabelTreeClusterer(n_clusters=2, random_state=0)
    cls = InceptionXMLClassifier if estimator == "inceptionxml" else InceptionXMLPlusClassifier
    clf = cls(**params).fit(TEXTS, LABELS)
    float32_scores = clf.decision_function(TEXTS[:6], k=2).toarray()
    clf = cls(**params).fit(TEXTS, LABELS)
    monkeypatch.setattr(
        base, "_predicts_in_bf16", lambda precision, device: precision != "float32"
    )
    bf16_scores = clf.decision_function(TEXTS[:6], k=2).toarray()
    np.testing.assert_allclose(bf16_scores, float32_scores, atol=0.05)
    clf.set_params(precision="float32")
    np.testing.assert_array_equal(clf.decision_function(TEXTS[:6], k=2).toarray(), float32_scores)
    clf.set_params(precision="auto")
    np.testing.assert_array_equal(clf.decision_function(TEXTS[:6], k=2).toarray(), bf16_scores)


# ---------------------------------------------------------------- what a checkpoint holds
def test_a_checkpoint_holds_no_fit_time_state(tmp_path):
    # Written mid-fit: tensors on the training device (the propensity weights) or the
    # process group's context would make it unloadable on a machine without that GPU.
    path = tmp_path / "fit.ckpt"
    clf = InceptionXMLClassifier(**FAST, propensity_weighting=0.5, checkpoint_path=path)
    clf.fit(TEXTS, LABELS)
    saved = joblib.load(path)["estimator"]
    assert not set(base._FIT_TIME_ATTRIBUTES) & set(vars(saved))
    assert not [key for key, value in vars(saved).items() if isinstance(value, torch.Tensor)]
    # Nor does the fitted estimator keep them, and it predicts from its frozen copy.
    assert not set(base._FIT_TIME_ATTRIBUTES) & set(vars(clf))
    np.testing.assert_array_equal(
        saved.decision_function(TEXTS[:4], k=2).toarray(),
        clf.decision_function(TEXTS[:4], k=2).toarray(),
    )


def test_a_cpu_copy_of_a_network_shares_nothing_with_it():
    network = _plus_network()
    copied = base._cpu_copy(network)
    original, duplicate = network.state_dict(), copied.state_dict()
    assert original.keys() == duplicate.keys()
    for key in original:
        assert torch.equal(original[key], duplicate[key])
        assert original[key].data_ptr() != duplicate[key].data_ptr()
    assert all(
        type(p) is nn.Parameter and p.requires_grad and p.grad is None for p in copied.parameters()
    )
    with torch.no_grad():
        next(copied.parameters()).add_(1.0)
    assert not torch.equal(next(copied.parameters()), next(network.parameters()))


def test_resuming_with_optimisers_the_checkpoint_lacks_names_the_cause(tmp_path):
    path = tmp_path / "fit.ckpt"
    InceptionXMLClassifier(**FAST, checkpoint_path=path).fit(TEXTS, LABELS)
    checkpoint = joblib.load(path)
    checkpoint["optimizers"] = checkpoint["optimizers"][:-1]
    joblib.dump(checkpoint, path)
    with pytest.raises(ValueError, match="cannot be resumed under torchrun"):
        InceptionXMLClassifier(**FAST).fit(TEXTS, LABELS, resume_from=path)

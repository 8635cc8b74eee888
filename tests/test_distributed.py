"""Data-parallel training under torchrun: 2 gloo processes on CPU against one process."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import torch.distributed as dist

from skxml import InceptionXMLClassifier
from skxml._distributed import DistributedContext, end_data_parallel_run, is_main_process
from skxml.datasets import load_debian_tags, write_token_corpus

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch.distributed missing")

# Fits 4,000 debian-tags texts, scores the whole test split, saves each rank's weights.
FIT_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import joblib
    from skxml import InceptionXMLClassifier, InceptionXMLPlusClassifier
    from skxml.datasets import load_debian_tags
    from skxml.metrics import precision_at_k

    out, name = sys.argv[1], sys.argv[2]
    X, Y = load_debian_tags(subset="train", return_X_y=True)
    X_test, Y_test = load_debian_tags(subset="test", return_X_y=True)
    cls = {"ixml": InceptionXMLClassifier, "plus": InceptionXMLPlusClassifier}[name]
    clf = cls(n_epochs=4, batch_size=128, embedding_dim=32, random_state=0)
    clf.fit(X[:4000], Y[:4000])
    tag = f"{name}_{os.environ.get('WORLD_SIZE', '1')}_{os.environ.get('RANK', '0')}"
    state = {key: value.numpy() for key, value in clf.network_.state_dict().items()}
    joblib.dump(state, f"{out}/{tag}.joblib")
    p1 = precision_at_k(Y_test, clf.decision_function(X_test), k=1)
    losses = [record["loss"] for record in clf.history_]
    json.dump({"p1": p1, "epochs": clf.n_epochs_trained_, "losses": losses},
              open(f"{out}/{tag}.json", "w"))
    from skxml._distributed import end_data_parallel_run
    end_data_parallel_run()  # as skxml train: no gloo threads left to the interpreter's exit
    """
)


def _torchrun(*args: str, cwd) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node", "2", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.mark.parametrize("name", ["ixml", "plus"])
def test_two_gloo_ranks_match_each_other_and_a_single_process(tmp_path, name):
    script = tmp_path / "fit.py"
    script.write_text(FIT_SCRIPT)
    _torchrun(str(script), str(tmp_path), name, cwd=tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    subprocess.run([sys.executable, str(script), str(tmp_path), name], env=env, check=True)

    rank0, rank1 = (joblib.load(tmp_path / f"{name}_2_{rank}.joblib") for rank in (0, 1))
    assert rank0.keys() == rank1.keys()
    for key in rank0:  # weights, BatchNorm statistics and spectral-norm vectors alike
        np.testing.assert_array_equal(rank0[key], rank1[key], err_msg=key)
    distributed, single = (
        json.loads((tmp_path / f"{name}_{world}_0.json").read_text()) for world in (2, 1)
    )
    assert distributed["epochs"] == single["epochs"] == 4
    # The epoch losses are averaged over the ranks: every rank records (and checks) the same.
    other_rank = json.loads((tmp_path / f"{name}_2_1.json").read_text())
    assert other_rank["losses"] == distributed["losses"]
    assert all(math.isfinite(loss) for loss in distributed["losses"])
    # Same global batch (128 = 2 x 64) and epochs: within 1 point of P@1.
    assert abs(distributed["p1"] - single["p1"]) <= 0.01, (distributed, single)
    assert single["p1"] > 0.5  # learned something (chance is far below)


def test_skxml_train_under_torchrun_saves_once_from_a_corpus(tmp_path):
    texts, labels = load_debian_tags(subset="train", return_X_y=True)
    params = ["--param", "n_epochs=1", "--param", "embedding_dim=16"]
    write_token_corpus(tmp_path / "corpus", texts[:600], labels[:600],
                       estimator=InceptionXMLClassifier(embedding_dim=16))  # fmt: skip
    result = _torchrun(
        "-m", "skxml", "train", "--corpus", "corpus", "--model", "model.joblib", *params,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.stderr.count("model saved to model.joblib") == 1
    model = joblib.load(tmp_path / "model.joblib")
    assert model.n_epochs_trained_ == 1
    assert model.predict(texts[:3]).getnnz(axis=1).tolist() == [5, 5, 5]


def test_single_process_context_and_sharding(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    context = DistributedContext()
    assert not context.enabled and context.is_main and is_main_process()
    rows = np.arange(10)
    assert context.shard(rows).tolist() == rows.tolist()
    second_of_three = DistributedContext(rank=1, world_size=3)
    assert second_of_three.shard(rows).tolist() == [1, 4, 7]
    assert not second_of_three.is_main
    monkeypatch.setenv("RANK", "1")
    assert not is_main_process()


def test_batch_too_small_to_split_is_rejected(monkeypatch):
    from skxml import _base

    monkeypatch.setattr(
        _base, "distributed_context", lambda device: DistributedContext(rank=0, world_size=4)
    )
    # No process group behind this context: the ranks' comparison has no one to ask.
    monkeypatch.setattr(DistributedContext, "check_same", lambda self, description: None)
    with pytest.raises(ValueError, match="batch_size=4 is split among 4 processes"):
        InceptionXMLClassifier(batch_size=4, n_epochs=1, random_state=0).fit(
            ["red apple", "green pear", "blue sky", "grey cloud"] * 2, [[1, 0], [0, 1]] * 4
        )


def test_end_data_parallel_run_tears_the_process_group_down(tmp_path):
    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        assert dist.is_initialized()
        end_data_parallel_run()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    end_data_parallel_run()  # without a process group: nothing to do, no error


# Each rank fits with its own n_epochs or its own order of the texts, and records the error.
MISMATCH_SCRIPT = textwrap.dedent(
    """
    import os, sys
    from skxml import InceptionXMLClassifier
    from skxml._distributed import end_data_parallel_run

    out, kind = sys.argv[1], sys.argv[2]
    rank = int(os.environ["RANK"])
    texts = ["red apple pie", "green apple tart", "blue sky today", "grey sky and rain"] * 8
    labels = [["food", "fruit"], ["food"], ["weather"], ["weather", "rain"]] * 8
    params = dict(embedding_dim=32, max_seq_len=8, batch_size=8, n_epochs=2, random_state=0)
    if kind == "n_epochs":
        params["n_epochs"] += rank
    elif rank == 1:
        texts, labels = texts[::-1], labels[::-1]
    try:
        InceptionXMLClassifier(**params).fit(texts, labels)
        message = "fitted"
    except ValueError as exc:
        message = str(exc)
    with open(f"{out}/{rank}.txt", "w") as file:
        file.write(message)
    end_data_parallel_run()
    """
)


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("n_epochs", "disagree on n_epochs (n_epochs: rank 0 2, rank 1 3)"),
        ("data", "disagree on data. Every rank must fit the same estimator"),
    ],
)
def test_ranks_fitting_other_parameters_or_data_fail_at_once_rather_than_hang(
    tmp_path, kind, match
):
    script = tmp_path / "mismatch.py"
    script.write_text(MISMATCH_SCRIPT)
    _torchrun(str(script), str(tmp_path), kind, cwd=tmp_path)
    for rank in (0, 1):
        assert match in (tmp_path / f"{rank}.txt").read_text()


def test_ranks_whose_descriptions_hold_other_keys_all_raise(monkeypatch):
    # Rank 1 describes a parameter rank 0 lacks (another estimator): both must raise, or
    # rank 0 would train on and wait for rank 1 in a collective.
    descriptions = [{"estimator": "A", "n_epochs": "2"}, {"estimator": "B", "n_epochs": "2",
                                                         "n_shortlist": "None"}]  # fmt: skip

    def all_gather_object(gathered, description):
        gathered[:] = descriptions

    monkeypatch.setattr(dist, "all_gather_object", all_gather_object)
    for rank in (0, 1):
        context = DistributedContext(rank=rank, world_size=2)
        with pytest.raises(ValueError, match="disagree on estimator, n_shortlist"):
            context.check_same(descriptions[rank])

# ruff: noqa: B023, E402  (closures are called inside their loop iteration; profiler imported late)
"""Device experiments behind benchmarks/results/gpu_experiments.txt (H100, 2026-11-24).

InceptionXML paper model (d=300, no TF-IDF, plain BCE) at 670,091 labels: top-k cost, batch-1
and batch-256 inference through the modules, the frozen bf16 network and a CUDA-graph replay of
it; one training step (batch 128) with dense targets vs sparse_target_bce, forward only, Adam
only. Run from the repository root on a CUDA machine: python benchmarks/gpu_experiments.py
(The measured run used a verbatim copy of skxml.nn.sparse_target_bce; this file now calls it.)
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpu
import torch
from torch import nn

from skxml import InceptionXMLClassifier
from skxml.nn import sparse_target_bce


def timeit(fn, n=50, warm=10):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    return 1000 * (time.perf_counter() - t) / n


if any(argument in ("-h", "--help") for argument in sys.argv[1:]):
    print(__doc__)
    sys.exit(0)
if not torch.cuda.is_available():
    sys.exit(
        "gpu_experiments.py needs a CUDA device (torch.cuda.is_available() is False); "
        "benchmarks/gpu.py runs the GPU benchmark itself."
    )
OUT = os.environ.get("OUT", "/tmp")
L = 670_091
texts, Y = gpu.synthetic_data(4096, L, seed=1)
model = InceptionXMLClassifier(
    embedding_dim=300,
    tfidf_embedding=False,
    tfidf_linear=False,
    hard_negatives=None,
    n_epochs=1,
    device="cuda",
    random_state=0,
)
model.fit(texts, Y)
net = model.network_.train()
dev = torch.device("cuda")
B = 128
g = torch.Generator(device="cpu").manual_seed(0)
tokens = torch.randint(1, net.encoder.n_tokens, (B, 32), generator=g).to(dev)
rows = torch.arange(B).repeat_interleave(5).to(dev)
cols = torch.randint(0, L, (B * 5,), generator=g).to(dev)


def loss_dense():
    t = torch.zeros(B, L, device=dev)
    t[rows, cols] = 1.0
    return nn.functional.binary_cross_entropy_with_logits(net(tokens).float(), t)


def loss_sparse():
    return sparse_target_bce(net(tokens), rows, cols)


# inference
net.eval()
logits1 = torch.randn(1, L, device=dev, dtype=torch.bfloat16)
print(
    "topk(1x670K bf16) ms",
    round(timeit(lambda: (torch.topk(logits1, 5), torch.cuda.synchronize()), 100), 3),
    flush=True,
)
logits256 = torch.randn(256, L, device=dev, dtype=torch.bfloat16)
print(
    "topk(256x670K bf16) ms",
    round(timeit(lambda: (torch.topk(logits256, 5), torch.cuda.synchronize()), 30), 3),
    flush=True,
)
frozen = model._freeze_network(torch.bfloat16)
for b in (1, 256):
    tk = tokens[:1] if b == 1 else torch.randint(1, net.encoder.n_tokens, (256, 32), device=dev)

    def module_fwd():
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
            return torch.topk(net(tk), 5)

    def frozen_fwd():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return torch.topk(frozen(tk), 5)

    def frozen_only():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return frozen(tk)

    print(
        f"b{b} frozen forward no topk ms",
        round(timeit(lambda: (frozen_only(), torch.cuda.synchronize()), 100), 3),
        flush=True,
    )
    print(
        f"b{b} module ms",
        round(timeit(lambda: (module_fwd(), torch.cuda.synchronize()), 100), 3),
        "frozen-bf16 ms",
        round(timeit(lambda: (frozen_fwd(), torch.cuda.synchronize()), 100), 3),
        flush=True,
    )
    # CUDA graph of the frozen forward
    static = tk.clone()
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16):
                frozen(static)
    torch.cuda.current_stream().wait_stream(s)
    graph = torch.cuda.CUDAGraph()
    with torch.inference_mode():
        with torch.cuda.graph(graph):
            with torch.autocast("cuda", dtype=torch.bfloat16):
                out = torch.topk(frozen(static), 5)

    def replay():
        static.copy_(tk)
        graph.replay()
        v = out.indices.cpu()
        return v

    ref = frozen_fwd()[1].cpu()
    print(
        f"b{b} graph replay+copy-out ms",
        round(timeit(replay, 100), 3),
        "same top5:",
        bool((replay() == ref).all()),
        flush=True,
    )

net.train()
opts = model._build_optimizers()


def step(loss_fn, optimize=True):
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = loss_fn()
    for o in opts:
        o.zero_grad(set_to_none=True)
    loss.backward()
    if optimize:
        for o in opts:
            o.step()
    return loss


# correctness of SparseBCE vs dense (fp32 logits)
x = torch.randn(4, 1000, device=dev, requires_grad=True)
r = torch.tensor([0, 1, 3], device=dev)
c = torch.tensor([5, 7, 9], device=dev)
t = torch.zeros(4, 1000, device=dev)
t[r, c] = 1
l1 = nn.functional.binary_cross_entropy_with_logits(x, t)
(g1,) = torch.autograd.grad(l1, x)
l2 = sparse_target_bce(x, r, c)
(g2,) = torch.autograd.grad(l2, x)
print("sparseBCE check", float((l1 - l2).abs()), float((g1 - g2).abs().max()), flush=True)

print("step dense  ms", round(timeit(lambda: step(loss_dense)), 2), flush=True)
print("step sparse ms", round(timeit(lambda: step(loss_sparse)), 2), flush=True)
print("fwd+bwd dense (no opt) ms", round(timeit(lambda: step(loss_dense, False)), 2), flush=True)
print("fwd+bwd sparse (no opt) ms", round(timeit(lambda: step(loss_sparse, False)), 2), flush=True)


def fwd_only():
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        return net(tokens)


print("forward only (train mode, no grad) ms", round(timeit(fwd_only), 2), flush=True)
print("adam only ms", round(timeit(lambda: [o.step() for o in opts]), 2), flush=True)


# CPU enqueue cost: time the python loop while GPU is made busy with sleep
def cpu_cost(fn, n=20):
    torch.cuda.synchronize()
    torch.cuda._sleep(int(2e9))
    t = time.perf_counter()
    for _ in range(n):
        fn()
    c = (time.perf_counter() - t) / n * 1000
    torch.cuda.synchronize()
    return c


print("CPU enqueue ms/step dense", round(cpu_cost(lambda: step(loss_dense)), 2), flush=True)
print("CPU enqueue ms/step sparse", round(cpu_cost(lambda: step(loss_sparse)), 2), flush=True)

from torch.profiler import ProfilerActivity, profile

for name, fn in (("dense", loss_dense), ("sparse", loss_sparse)):
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
        for _ in range(10):
            step(fn)
        torch.cuda.synchronize()
    with open(os.path.join(OUT, "exp_profile.txt"), "a") as f:
        f.write(
            f"\n### {name}\n"
            + p.key_averages().table(sort_by="self_cuda_time_total", row_limit=30)
        )

"""Where the networks run and in what precision: device names, copies to a GPU, bf16."""

from __future__ import annotations

import functools

import numpy as np
import torch


def _resolve_device(device: str, *, fallback: bool = False) -> torch.device:
    """The torch device a ``device`` parameter names ("auto": a CUDA GPU when there is one,
    else the CPU), with a clear error for a missing GPU, an invalid name or an unsupported
    kind of device. "cuda" and "auto" keep no GPU index (see :func:`_concrete_device`).

    With ``fallback`` (a fitted model predicting on this machine), a GPU the machine lacks is
    no error: the CPU stands in when there is no CUDA at all, the current GPU when there is
    no GPU of the named index.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        # The name is checked first, so that a misspelt "cuda:x" is an error on a machine
        # without CUDA too, not a silent fall back to the CPU.
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device={device!r} is not a valid torch device: {exc}") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        if fallback:
            return torch.device("cpu")
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine "
            "(torch.cuda.is_available() is False); use device='cpu' or device='auto'."
        )
    if resolved.type not in ("cpu", "cuda"):
        # torch accepts "mps", "xpu", "meta", ... as names; skxml's training and prediction
        # paths (autocast, pinned memory, the frozen CPU networks) are built and tested for
        # CPUs and CUDA GPUs only.
        raise ValueError(
            f"device={device!r} is not supported: skxml runs on 'cpu' and 'cuda' devices "
            "('cuda:N' for a given GPU); use device='auto', 'cpu' or 'cuda'."
        )
    if resolved.type == "cuda" and resolved.index is not None:
        n_gpus = torch.cuda.device_count()
        if resolved.index >= n_gpus:
            if fallback:
                return torch.device("cuda")
            raise ValueError(
                f"device={device!r} names GPU {resolved.index}, but this machine has "
                f"{n_gpus} CUDA device(s), numbered from 0; use device='cuda' for the "
                "current one."
            )
    return resolved


def _concrete_device(device: torch.device) -> torch.device:
    """``device`` with its GPU index: "cuda" is the current GPU. ``torch.device("cuda")``
    does not compare equal to ``torch.device("cuda:0")``, the device a tensor reports, so
    without the index every check of where the network is would fail."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


def to_device(array: np.ndarray, device: torch.device | str) -> torch.Tensor:
    """``array`` as a tensor on ``device``; to a GPU through pinned memory, so the copy is
    queued behind the running kernels instead of waiting for them (no host-device sync)."""
    tensor = torch.from_numpy(array)
    if torch.device(device).type != "cuda":
        return tensor
    return tensor.pin_memory().to(device, non_blocking=True)


@functools.cache
def _cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (x86 AVX512-BF16 or AMX-BF16 flags in
    ``/proc/cpuinfo``). Elsewhere bf16 products are emulated and no faster than float32."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return bool({"avx512_bf16", "amx_bf16"} & set(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return False


def _cuda_has_native_bf16(device: torch.device) -> bool:
    """Whether a GPU computes in bf16 natively: NVIDIA compute capability 8.0 (Ampere) or
    later, or a ROCm GPU that supports it. ``torch.cuda.is_bf16_supported()`` also says True
    where bf16 is emulated (V100, T4), slower than float32."""
    if torch.version.hip:
        return torch.cuda.is_bf16_supported()
    return torch.cuda.get_device_capability(device) >= (8, 0)


def _uses_bf16(precision: str, device: torch.device) -> bool:
    """Whether training on ``device`` runs under bf16 autocast, for a ``precision`` parameter
    ("auto": GPUs and CPUs that compute in bf16 natively)."""
    if precision == "float32" or device.type not in ("cuda", "cpu"):
        return False
    if device.type == "cuda":
        return precision == "bfloat16" or _cuda_has_native_bf16(device)
    return precision == "bfloat16" or _cpu_has_native_bf16()


def _predicts_in_bf16(precision: str, device: torch.device) -> bool:
    """Whether prediction runs under bf16 autocast: on GPUs that train in bf16. CPU
    prediction stays float32 (its frozen networks are not bound by the products' speed)."""
    return device.type == "cuda" and _uses_bf16(precision, device)

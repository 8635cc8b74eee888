"""FastDropout: nn.Dropout's function with a cheaper CPU mask."""

from __future__ import annotations

import pytest
import torch

from skxml.nn._dropout import FastDropout


@pytest.mark.parametrize("p", [0.2, 0.25, 0.5, 0.9])
def test_masks_drop_the_requested_fraction_and_stay_unbiased(p):
    torch.manual_seed(0)
    out = FastDropout(p).train()(torch.ones(400_000))
    kept = out > 0
    threshold = round(p * 65536)
    # Kept values are scaled by 1 / (1 - p) for p rounded to 1/65,536.
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 65536 / (65536 - threshold)))
    assert set(out[~kept].tolist()) <= {0.0}
    # 400,000 Bernoulli draws: the kept fraction is within 5 standard deviations of 1 - p.
    sd = (p * (1 - p) / out.numel()) ** 0.5
    assert abs(float(kept.float().mean()) - (1 - p)) < 5 * sd
    assert abs(float(out.mean()) - 1.0) < 5 * sd / (1 - p)


def test_mask_positions_are_independent_of_each_other():
    torch.manual_seed(1)
    keep = (FastDropout(0.5).train()(torch.ones(2000, 64)) > 0).float()
    # Each of the four 16-bit numbers of a 64-bit draw is uniform: every column keeps ~half.
    assert torch.all((keep.mean(0) - 0.5).abs() < 0.05)
    # Neighbouring elements (which share a random word) are uncorrelated.
    correlation = torch.corrcoef(torch.stack([keep[:, ::2].flatten(), keep[:, 1::2].flatten()]))
    assert abs(float(correlation[0, 1])) < 0.02


def test_masks_follow_the_torch_seed_and_the_gradient_is_the_mask():
    layer = FastDropout(0.3).train()
    x = torch.randn(8, 5, 7, requires_grad=True)
    torch.manual_seed(3)
    first = layer(x)
    torch.manual_seed(3)
    again = layer(x)
    assert torch.equal(first, again)
    assert not torch.equal(first, layer(x))  # the next call draws a new mask
    first.sum().backward()
    torch.testing.assert_close(x.grad, (first / x).detach())
    assert first.shape == x.shape and first.dtype == x.dtype


def test_bf16_inputs_keep_their_dtype():
    out = FastDropout(0.25).train()(torch.ones(1000, dtype=torch.bfloat16))
    assert out.dtype == torch.bfloat16
    assert set(out.float().unique().tolist()) <= {0.0, float(torch.tensor(4 / 3).bfloat16())}


def test_eval_mode_and_zero_rate_are_the_identity():
    x = torch.randn(50, 3)
    assert torch.equal(FastDropout(0.4).eval()(x), x)
    assert torch.equal(FastDropout(0.0).train()(x), x)
    assert isinstance(FastDropout(0.4), torch.nn.Dropout)  # same state, same repr

"""Small tensor helpers: per-sample scalars broadcast to a batch, and per-sample noise."""
import pytest
import torch

from scorelab.tensors import batch_broadcast, randn, sample_generators


def test_batch_broadcast_shapes_and_values():
    like = torch.zeros(3, 2, 4, 5, dtype=torch.float64)
    out = batch_broadcast(torch.tensor([1.0, 2.0, 3.0]), like)
    assert out.shape == (3, 1, 1, 1) and out.dtype == torch.float64
    assert (out * torch.ones_like(like))[2].unique().item() == 3.0
    assert batch_broadcast(0.5, like).flatten().tolist() == [0.5, 0.5, 0.5]
    assert batch_broadcast(torch.tensor(2.0), like).shape == (3, 1, 1, 1)


def test_randn_with_one_generator_is_torch_randn():
    a = randn((4, 3), torch.Generator().manual_seed(1))
    assert torch.equal(a, torch.randn((4, 3), generator=torch.Generator().manual_seed(1)))


def test_per_sample_generators_give_each_row_its_own_stream():
    rows = randn((3, 5), sample_generators(2, 0, 3))
    assert torch.equal(rows[1], torch.randn(5, generator=torch.Generator().manual_seed(2 * 2 ** 20 + 1)))
    assert torch.equal(randn((2, 5), sample_generators(2, 1, 2)), rows[1:])  # same rows from any first index
    assert not torch.equal(randn((3, 5), sample_generators(3, 0, 3)), rows)
    with pytest.raises(ValueError, match="3 generators for a batch of 2"):
        randn((2, 5), sample_generators(0, 0, 3))

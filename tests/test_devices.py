"""The device rule: $SCORELAB_DEVICE, else CUDA when PyTorch sees a GPU, else the CPU."""
import pytest
import torch

from scorelab.devices import GPU_SAMPLE_SCALE, default_device, on_gpu, sample_scale


def test_the_gpu_when_there_is_one_else_the_cpu(monkeypatch):
    monkeypatch.delenv("SCORELAB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert default_device() == torch.device("cuda")
    assert on_gpu(default_device()) and not on_gpu("cpu")


def test_the_environment_variable_overrides_it(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("SCORELAB_DEVICE", "cpu")
    assert default_device() == torch.device("cpu")
    monkeypatch.setenv("SCORELAB_DEVICE", "cuda:1")
    assert default_device() == torch.device("cuda", 1)


def test_a_device_that_is_not_there_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("SCORELAB_DEVICE", "cuda")
    with pytest.raises(ValueError, match="sees no GPU"):
        default_device()
    monkeypatch.setenv("SCORELAB_DEVICE", "gpu please")
    with pytest.raises(ValueError, match="not a device"):
        default_device()


def test_a_gpu_draws_more_clips_the_cpu_the_books_counts(monkeypatch):
    monkeypatch.delenv("SCORELAB_SAMPLE_SCALE", raising=False)
    assert sample_scale("cpu") == 1 and sample_scale(torch.device("cuda")) == GPU_SAMPLE_SCALE > 1
    monkeypatch.setenv("SCORELAB_DEVICE", "cpu")
    assert sample_scale() == 1  # the device the chapters use when none is given
    monkeypatch.setenv("SCORELAB_SAMPLE_SCALE", "1")
    assert sample_scale("cuda") == 1  # the book's own figures, reproduced on a GPU
    monkeypatch.setenv("SCORELAB_SAMPLE_SCALE", "3")
    assert sample_scale("cpu") == 3
    for wrong in ("0", "2.5", "many"):
        monkeypatch.setenv("SCORELAB_SAMPLE_SCALE", wrong)
        with pytest.raises(ValueError, match="SCORELAB_SAMPLE_SCALE"):
            sample_scale("cpu")

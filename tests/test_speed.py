"""Sampling at GPU scale (scorelab.speed): the automatic batch, bf16 autocast, compiling in the
pieces that differentiation through the classifier allows, channels-last. Each changes how the
score is computed, never what: checked here against the plain float32 computation."""
import pytest
import torch
from conftest import host_waits

from scorelab import get_profile
from scorelab.generate import generate
from scorelab.guidance import guided_score
from scorelab.models import build_model
from scorelab.speed import (CPU_BATCH, auto_batch, autocast_score, autotuned, batch_that_fits, compile_in_pieces,
                            prepare_for_sampling)

PROFILE = get_profile("micro")


def _models(kind: str):
    torch.manual_seed(0)
    classifier = build_model("classifier", PROFILE).eval()
    model = build_model(kind, PROFILE, classifier if kind == "subnet" else None).eval()
    return model, classifier


def _guided(model, classifier, x, sigma):
    return guided_score(model, classifier, x, sigma, torch.tensor([0, 1, 2]), gamma=3.0)


def _inputs():
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(3, 1, PROFILE.mel.n_mels, PROFILE.mel.n_frames, generator=gen)
    return x, torch.tensor([0.5, 2.0, 10.0])


def test_the_batch_that_fits_in_memory():
    assert batch_that_fits(free_bytes=1000, bytes_per_clip=10, n=50) == 50  # all of them fit
    assert batch_that_fits(free_bytes=1000, bytes_per_clip=10, n=500) == 80  # 80 % of the memory
    assert batch_that_fits(free_bytes=1000, bytes_per_clip=10, n=500, fraction=0.5) == 48  # a multiple of 8
    assert batch_that_fits(free_bytes=1000, bytes_per_clip=200, n=500) == 4  # below 8: as many as fit
    with pytest.raises(MemoryError, match="only 0 MiB of device memory is free"):
        batch_that_fits(free_bytes=1000, bytes_per_clip=2000, n=5)
    with pytest.raises(ValueError, match="positive"):
        batch_that_fits(free_bytes=1000, bytes_per_clip=0, n=5)


def test_auto_batch_on_a_cpu_is_the_cpu_batch_and_gives_the_same_samples():
    calls = []
    assert auto_batch(calls.append, 100, "cpu") == CPU_BATCH and auto_batch(calls.append, 3, "cpu") == 3
    assert calls == []  # nothing to measure on a CPU
    model, _ = _models("unet")
    auto = generate(model, PROFILE, 3, steps=2, batch="auto")
    torch.testing.assert_close(auto, generate(model, PROFILE, 3, steps=2, batch=3))
    for bad in (0, "big", 2.5):
        with pytest.raises(ValueError, match="batch must be a positive number of clips or 'auto'"):
            generate(model, PROFILE, 3, steps=2, batch=bad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the memory probe runs on CUDA only; no CUDA device here")
def test_auto_batch_on_cuda_measures_one_evaluation():
    model, classifier = _models("subnet")
    model, classifier = model.cuda(), classifier.cuda()
    labels = torch.zeros(4096, dtype=torch.long)
    batch = auto_batch(lambda k: generate(model, PROFILE, k, steps=1, batch=k, device="cuda", classifier=classifier,
                                          labels=labels[:k]), 4096, "cuda")
    assert 8 <= batch <= 4096


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU: it counts the host's waits for one")
@pytest.mark.parametrize("kind", ["subnet", "unet"])
def test_guided_sampling_on_a_gpu_never_waits_for_it_between_steps(kind, monkeypatch):
    monkeypatch.delenv("SCORELAB_RUN_CACHE", raising=False)  # every call samples
    model, classifier = (m.cuda() for m in _models(kind))
    labels = torch.tensor([0, 1, 2])

    def waits(steps, cond_fn=None):
        return host_waits(lambda: generate(model, PROFILE, 3, steps=steps, batch=3, device="cuda",
                                            classifier=classifier, labels=labels, cond_fn=cond_fn))

    def waiting_cond_fn(x, sigma):  # a wait for the GPU at every evaluation, on purpose: the count must see it
        return torch.zeros_like(x) * x.sum().item()

    assert waits(6, waiting_cond_fn) - waits(2, waiting_cond_fn) >= 8  # Heun: 11 evaluations against 3
    assert waits(6) == waits(2)  # so four more steps of the guided score add no wait


def test_the_autotuner_is_on_only_inside_and_leaves_the_samples_as_they_are():
    before = torch.backends.cudnn.benchmark
    with autotuned():
        assert torch.backends.cudnn.benchmark
    with autotuned(False):
        assert torch.backends.cudnn.benchmark == before  # off: left as it was
    with pytest.raises(RuntimeError), autotuned():
        raise RuntimeError("a failed step")
    assert torch.backends.cudnn.benchmark == before  # restored, even after an error
    model, classifier = _models("subnet")
    kwargs = dict(steps=2, batch=2, classifier=classifier, labels=torch.tensor([0, 1]))
    torch.testing.assert_close(generate(model, PROFILE, 2, autotune=True, **kwargs), generate(model, PROFILE, 2, **kwargs))


def test_bf16_autocast_changes_the_arithmetic_not_the_score():
    model, classifier = _models("subnet")
    x, sigma = _inputs()
    exact = _guided(model, classifier, x, sigma)
    fast = autocast_score(lambda x, s: _guided(model, classifier, x, s), "cpu", "bf16")(x, sigma)
    assert fast.dtype == torch.float32 and not torch.equal(fast, exact)  # bf16 ran, the result is float32
    assert ((fast - exact).norm() / exact.norm()).item() < 0.05  # bf16 keeps about 3 significant digits
    assert autocast_score(model, "cpu", "fp32") is model
    with pytest.raises(ValueError, match="unknown precision 'fp16'; choose one of fp32, bf16"):
        autocast_score(model, "cpu", "fp16")
    samples = generate(model, PROFILE, 2, steps=2, precision="bf16", classifier=classifier, labels=torch.tensor([0, 1]))
    assert samples.dtype == torch.float32 and torch.isfinite(samples).all()


@pytest.mark.parametrize("kind", ["unet", "subnet"])
def test_compiled_in_pieces_the_guided_score_is_the_same(kind):
    model, classifier = _models(kind)
    x, sigma = _inputs()
    exact = _guided(model, classifier, x, sigma)
    torch._dynamo.reset()
    try:
        # aot_eager traces and differentiates like inductor without generating code (seconds, not minutes)
        compiled = compile_in_pieces(model, classifier, backend="aot_eager")
        assert compiled > (1 if kind == "unet" else 10)  # ScoreSubnet and its classifier: block by block
        torch.testing.assert_close(_guided(model, classifier, x, sigma), exact, rtol=1e-4, atol=1e-4)
    finally:
        torch._dynamo.reset()


def test_channels_last_gives_the_same_guided_score():
    model, classifier = _models("subnet")
    x, sigma = _inputs()
    exact = _guided(model, classifier, x, sigma)
    prepare_for_sampling(model, classifier, channels_last=True)
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.in_channels > 1)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(_guided(model, classifier, x, sigma), exact, rtol=1e-4, atol=1e-4)

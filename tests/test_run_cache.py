"""The run cache: an identical generate call is read back, in this process or another; any
change to the model, the call or the code samples again; nothing is kept without the folder."""
import pytest
import multiprocessing
import time

import torch
from torch import nn

from scorelab import get_profile, run_cache
from scorelab.generate import generate

PROFILE = get_profile("micro")


class CountingScore(nn.Module):
    """The score of N(0, 1) data under the VE SDE, counting its evaluations."""

    calls = 0

    def __init__(self, scale: float = 1.0):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale))

    def forward(self, x, sigma):
        CountingScore.calls += 1
        return -self.scale * x / (1 + sigma.view(-1, 1, 1, 1) ** 2)


def draws(**kwargs):
    before = CountingScore.calls
    x = generate(kwargs.pop("model", CountingScore()), PROFILE, 3, "heun", 2, **kwargs)
    return x, CountingScore.calls - before


def test_nothing_is_cached_without_the_folder(monkeypatch):
    monkeypatch.delenv("SCORELAB_RUN_CACHE", raising=False)
    (a, first), (b, again) = draws(seed=1), draws(seed=1)
    assert first == again > 0 and torch.equal(a, b)
    described = []
    assert run_cache.cached(lambda: described.append(1) or {"what": "x"}, lambda: 7) == 7
    assert described == []  # without a cache, the call is not described (no weights or files hashed)


def test_an_identical_call_is_read_back_and_any_change_samples_again(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORELAB_RUN_CACHE", str(tmp_path))
    a, first = draws(seed=1)
    b, again = draws(seed=1)
    assert first > 0 and again == 0 and torch.equal(a, b)
    for change in ({"seed": 2}, {"model": CountingScore(0.5)}, {"seed": 1, "batch": 2}):
        _, calls = draws(**change)
        assert calls > 0, change
    _, calls = draws(seed=1, cond_fn=lambda x, s: torch.zeros_like(x))  # a closure cannot be compared
    assert calls > 0
    monkeypatch.setattr(run_cache, "source_digest", lambda: "other code")
    assert draws(seed=1)[1] > 0


def test_a_damaged_cache_file_is_made_again(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORELAB_RUN_CACHE", str(tmp_path))
    a, _ = draws(seed=3)
    [stored] = tmp_path.glob("samples-*.pt")
    stored.write_bytes(b"not a tensor")
    b, calls = draws(seed=3)
    assert calls > 0 and torch.equal(a, b)


def _slow_compute(folder, out):
    import os

    os.environ["SCORELAB_RUN_CACHE"] = folder

    def compute():
        with open(out, "a") as f:
            f.write("computed\n")
        time.sleep(1.0)
        return torch.ones(2)

    run_cache.cached({"what": "the same samples"}, compute)


@pytest.mark.slow
def test_a_second_process_waits_for_the_first_instead_of_sampling_again(tmp_path):
    out = tmp_path / "computed.txt"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_slow_compute, args=(str(tmp_path / "cache"), str(out))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert out.read_text() == "computed\n"


class CountingExtractor:
    """A stand-in judge: the mean and peak of each clip as features, two classes by sign."""

    name = "counting"
    label_names = ("zero", "one")

    def __init__(self):
        self.model, self.calls = nn.Linear(1, 1), 0

    def __call__(self, waves):
        self.calls += 1
        feats = torch.stack([torch.stack([w.mean(), w.abs().max()]) for w in waves])
        p = torch.sigmoid(feats[:, :1] * 100)
        return feats, torch.cat([1 - p, p], dim=1).double()


def test_reference_features_are_read_back_until_a_file_changes(tmp_path, monkeypatch):
    from conftest import tone, write_wav
    from scorelab.evaluate import reference_features

    monkeypatch.setenv("SCORELAB_RUN_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "clips"
    for i, name in enumerate(("zero_0.wav", "one_0.wav", "one_1.wav")):
        write_wav(folder / name, tone(200 + 50 * i, 0.5, 16000), 16000)
    judge = CountingExtractor()
    first = reference_features(judge, str(folder))
    again = reference_features(judge, str(folder))
    assert judge.calls == 1 and torch.equal(first.features, again.features) and again.labels.tolist() == [1, 1, 0]
    write_wav(folder / "one_1.wav", tone(900, 0.5, 16000, amp=0.1), 16000)  # another recording, same name
    changed = reference_features(judge, str(folder))
    assert judge.calls == 2 and not torch.equal(changed.features, first.features)


class CountingClassifier(nn.Module):
    """Two classes by the sign of a clip's mean, counting its forward passes (in the class: a
    module's own plain attributes are part of its digest)."""

    calls = 0

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, x, sigma):
        CountingClassifier.calls += 1
        m = x.mean(dim=(1, 2, 3)) + self.bias
        return torch.stack([-m, m], dim=1)


def test_accuracy_by_noise_is_read_back_until_the_data_or_classifier_changes(tmp_path, monkeypatch):
    from scorelab.classify import accuracy_by_noise

    x = torch.cat([torch.full((4, 1, 2, 3), -1.0), torch.full((4, 1, 2, 3), 1.0)])
    labels = torch.tensor([0] * 4 + [1] * 4)
    clf = CountingClassifier()
    CountingClassifier.calls = 0
    monkeypatch.delenv("SCORELAB_RUN_CACHE", raising=False)
    plain = accuracy_by_noise(clf, x, labels, [0.1, 30.0], seed=2)
    assert plain[0] == 1.0 and plain[1] < 1.0 and clf.calls == 2

    monkeypatch.setenv("SCORELAB_RUN_CACHE", str(tmp_path))
    CountingClassifier.calls = 0
    assert accuracy_by_noise(clf, x, labels, [0.1, 30.0], seed=2) == plain and clf.calls == 2
    assert accuracy_by_noise(clf, x, labels, [0.1, 30.0], seed=2) == plain and clf.calls == 2  # read back
    for changed in ({"x": -x}, {"labels": 1 - labels}, {"sigmas": [0.1, 20.0]}, {"seed": 3}):
        args = {"x": x, "labels": labels, "sigmas": [0.1, 30.0], "seed": 2, **changed}
        before = clf.calls
        accuracy_by_noise(clf, **args)
        assert clf.calls > before, changed
    with torch.no_grad():
        clf.bias.fill_(0.5)
    before = clf.calls
    accuracy_by_noise(clf, x, labels, [0.1, 30.0], seed=2)
    assert clf.calls > before

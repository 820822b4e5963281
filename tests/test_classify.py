"""Classifier helpers: labels from file names, accuracy by noise level, the classify command."""
import torch

from conftest import tone, write_wav
from scorelab.classify import accuracy_by_noise, label_of_file, load_folder
from scorelab.config import DIGITS


def test_labels_from_file_names():
    assert label_of_file("seven_003.wav", DIGITS) == 7
    assert label_of_file("7_jackson_12.wav", DIGITS) == 7  # FSDD names qualify
    assert label_of_file("notes.wav", DIGITS) is None
    assert label_of_file("three_0.wav", ("one", "three")) == 1


class Threshold(torch.nn.Module):
    """Class 1 when the mean value is positive: perfect on clean data, fooled by heavy noise."""

    def forward(self, x, sigma):
        m = x.flatten(1).mean(1)
        return torch.stack([-m, m], dim=1)


def test_accuracy_falls_with_noise():
    x = torch.cat([torch.full((50, 1, 4, 4), -0.5), torch.full((50, 1, 4, 4), 0.5)])
    y = torch.cat([torch.zeros(50), torch.ones(50)]).long()
    accs = accuracy_by_noise(Threshold(), x, y, [0.01, 1.0, 100.0])
    assert accs[0] == 1.0 and accs[0] >= accs[1] >= accs[2] and accs[2] < 0.8


def test_load_folder_reads_labelled_wavs(tmp_path):
    write_wav(tmp_path / "one_0.wav", tone(300, 1.0, 16000), 16000)
    write_wav(tmp_path / "9_x_1.wav", tone(500, 0.5, 8000), 8000)
    write_wav(tmp_path / "other.wav", tone(500, 0.5, 8000), 8000)
    x, labels, names = load_folder(tmp_path, DIGITS)
    assert x.shape == (2, 1, 80, 63) and labels.tolist() == [9, 1] and names == ["9_x_1.wav", "one_0.wav"]


def test_confusion_matrix_counts_requested_against_heard():
    from scorelab.classify import confusion_matrix

    m = confusion_matrix(torch.tensor([0, 1, 1, 2, 2]), torch.tensor([0, 1, 2, 2, 2]), 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 2]]
    assert int(m.sum()) == 5 and int(m.trace()) == 4


def test_agreement_reports_accuracy_per_label():
    from scorelab.classify import agreement

    x = torch.cat([torch.full((4, 1, 4, 4), -0.5), torch.full((4, 1, 4, 4), 0.5)])
    requested = torch.tensor([0, 0, 0, 1, 1, 1, 1, 0])  # one of each label asked for the wrong one
    out = agreement(Threshold(), x, requested)
    assert out["accuracy"] == 6 / 8
    assert out["per_label"] == {0: 0.75, 1: 0.75}
    assert out["confusion"].tolist() == [[3, 1], [1, 3]]


def test_through_audio_keeps_a_real_clip_recognisable(fsdd_root):
    """Griffin-Lim and analysis again change a real clip's log-Mel only a little."""
    from scorelab.audio import LogMel, normalize, prepare_clip, read_audio
    from scorelab.classify import through_audio
    from scorelab.config import MelConfig

    cfg = MelConfig()
    wave = prepare_clip(*read_audio(sorted(fsdd_root.glob("3_*.wav"))[0]))
    x = normalize(LogMel(cfg)(wave[None]), cfg)[:, None]
    again = through_audio(x, cfg)
    assert again.shape == x.shape
    loud = x > -0.5  # where there is speech; the floor is -1
    assert float((again - x)[loud].abs().mean()) * cfg.norm_scale < 0.25  # nepers


def test_predictions_do_not_depend_on_the_batch_and_cpu_batches_stay_small():
    from scorelab.classify import default_batch, predict

    x = torch.randn(70, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(predict(Threshold(), x), predict(Threshold(), x, batch=7))
    assert default_batch("cpu") == 32 and default_batch("cuda") == 256

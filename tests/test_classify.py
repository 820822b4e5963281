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

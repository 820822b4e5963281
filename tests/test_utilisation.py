"""Utilisation: FLOPs counted by scorelab's counter, achieved TFLOP/s and the device's peak."""
import pytest
import torch
from torch import nn

from scorelab.compute import count_flops
from scorelab.utilisation import (device_peaks, float_precision, known_peaks, measured_matmul_tflops,
                                  utilisation)


def test_a_linear_layer_is_counted_forward_and_backward():
    layer = nn.Linear(3, 4, bias=False)
    x = torch.randn(5, 3, requires_grad=True)
    assert count_flops(layer, x) == 2 * 5 * 3 * 4
    # backward: the gradient of the input and of the weight, each as much again
    assert count_flops(lambda: layer(x).sum().backward()) == 3 * 2 * 5 * 3 * 4


@pytest.mark.parametrize("name, bf16, tf32, fp32", [
    ("NVIDIA H200", 989.0, 495.0, 67.0), ("NVIDIA H100 80GB HBM3", 989.0, 495.0, 67.0),
    ("NVIDIA H100 PCIe", 756.0, 378.0, 51.0), ("NVIDIA A100-SXM4-80GB", 312.0, 156.0, 19.5),
    ("NVIDIA L4", 121.0, 60.0, 30.3), ("Tesla T4", None, None, 8.1)])
def test_known_gpus_have_their_data_sheet_peaks(name, bf16, tf32, fp32):
    assert known_peaks(name) == {"bf16": bf16, "tf32": tf32, "fp32": fp32}


@pytest.mark.parametrize("name", ["NVIDIA L40S", "NVIDIA GeForce RTX 4090", "cpu"])
def test_other_devices_are_not_mistaken_for_known_ones(name):
    assert known_peaks(name) is None


def test_a_cpu_peak_is_measured_on_it():
    asked = []
    peaks = device_peaks("cpu", measure=lambda device, dtype: asked.append(dtype) or {torch.float32: 2.0}.get(dtype, 1.0))
    assert peaks == {"bf16": 1.0, "tf32": None, "fp32": 2.0, "source": "measured matrix products on this device"}
    assert set(asked) == {torch.bfloat16, torch.float32}
    assert measured_matmul_tflops("cpu", size=64, seconds=0.05) > 0


def test_utilisation_is_counted_work_over_time_against_the_peak():
    assert utilisation(3e12, 2.0, 10.0) == {"tflops": 1.5, "of_peak": 0.15}
    assert utilisation(3e12, 2.0, None) == {"tflops": 1.5, "of_peak": None}
    with pytest.raises(ValueError, match="positive time"):
        utilisation(1.0, 0.0, 1.0)


def test_float32_convolutions_count_against_tf32_where_cudnn_uses_it(monkeypatch):
    assert float_precision("cpu") == "fp32"
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    assert float_precision("cuda") == "tf32"
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    assert float_precision("cuda:0") == "fp32"

"""The HiFi-GAN V1 generator (Kong et al., 2020), used only as a pretrained vocoder.

The hyper-parameters are those of the public 16 kHz LibriTTS generator (80 Mel bands in,
hop 256 = 8 x 8 x 2 x 2 upsampling). `load_generator_state` accepts the usual checkpoint forms:
a bare state dict, {"generator": state_dict}, old-style weight-norm keys (weight_g / weight_v)
and SpeechBrain's wrapped convolutions (an extra ".conv" level).
"""
from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

LRELU_SLOPE = 0.1


def _same_padding(kernel: int, dilation: int = 1) -> int:
    return (kernel * dilation - dilation) // 2


class ResBlock(nn.Module):
    """Dilated residual convolutions: for each dilation, x += conv(lrelu(conv_d(lrelu(x))))."""

    def __init__(self, channels: int, kernel: int, dilations=(1, 3, 5), padding_mode: str = "reflect"):
        super().__init__()
        self.convs1 = nn.ModuleList(
            weight_norm(nn.Conv1d(channels, channels, kernel, dilation=d, padding=_same_padding(kernel, d),
                                  padding_mode=padding_mode)) for d in dilations)
        self.convs2 = nn.ModuleList(
            weight_norm(nn.Conv1d(channels, channels, kernel, padding=_same_padding(kernel), padding_mode=padding_mode))
            for _ in dilations)

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            x = x + c2(F.leaky_relu(c1(F.leaky_relu(x, LRELU_SLOPE)), LRELU_SLOPE))
        return x


class HiFiGANGenerator(nn.Module):
    """(batch, n_mels, frames) log-Mel -> (batch, frames * prod(upsample_rates)) waveform.

    The convolutions that keep the length pad by reflection, as SpeechBrain's generators (the
    pretrained ones `HiFiGAN.from_pretrained` loads) were trained; the original HiFi-GAN pads with
    zeros (`padding_mode="zeros"`)."""

    def __init__(self, n_mels: int = 80, channels: int = 512, upsample_rates=(8, 8, 2, 2),
                 upsample_kernels=(16, 16, 4, 4), resblock_kernels=(3, 7, 11),
                 resblock_dilations=((1, 3, 5), (1, 3, 5), (1, 3, 5)), padding_mode: str = "reflect"):
        super().__init__()
        self.conv_pre = weight_norm(nn.Conv1d(n_mels, channels, 7, padding=3, padding_mode=padding_mode))
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        ch = channels
        for rate, kernel in zip(upsample_rates, upsample_kernels):
            self.ups.append(weight_norm(nn.ConvTranspose1d(ch, ch // 2, kernel, rate,
                                                           padding=(kernel - rate) // 2)))
            ch //= 2
            for k, d in zip(resblock_kernels, resblock_dilations):
                self.resblocks.append(ResBlock(ch, k, d, padding_mode))
        self.conv_post = weight_norm(nn.Conv1d(ch, 1, 7, padding=3, padding_mode=padding_mode))
        self.n_kernels = len(resblock_kernels)

    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(log_mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.n_kernels:(i + 1) * self.n_kernels]
            x = sum(block(x) for block in blocks) / self.n_kernels
        x = self.conv_post(F.leaky_relu(x))  # PyTorch's default slope here, as in the original
        return torch.tanh(x).squeeze(1)


def _canonical_key(key: str) -> str:
    key = re.sub(r"^(module\.|generator\.)", "", key)
    key = key.replace(".conv.", ".")  # SpeechBrain wraps each convolution in a module
    key = re.sub(r"\.weight_g$", ".parametrizations.weight.original0", key)
    key = re.sub(r"\.weight_v$", ".parametrizations.weight.original1", key)
    return key


def load_generator_state(generator: HiFiGANGenerator, checkpoint: dict, source: str = "checkpoint"):
    """Load a HiFi-GAN checkpoint in any of the common layouts; a mismatch names the keys."""
    state = checkpoint.get("generator", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{source}: expected a state dict (or {{'generator': state_dict}})")
    state = {_canonical_key(k): v for k, v in state.items()}
    expected = generator.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(k for k in set(state) & set(expected) if state[k].shape != expected[k].shape)
    if missing or unexpected or wrong:
        def show(keys):
            return ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        raise ValueError(
            f"{source} does not fit a 16 kHz HiFi-GAN V1 generator: "
            f"missing {show(missing) or 'none'}; unexpected {show(unexpected) or 'none'}; "
            f"wrong shape {show(wrong) or 'none'}"
        )
    generator.load_state_dict(state)
    return generator

"""The SC09 ResNeXt classifier that the SC09 literature (WaveGAN, DiffWave, SaShiMi) uses to
compute FID, IS, mIS and AM, and its exact input features.

Architecture: the CIFAR ResNeXt of Xie et al. (2017) with cardinality 8, depth 29, base width
64 and widen factor 4, on one input channel; three stages of three bottleneck blocks (256, 512
and 1024 channels, strides 1, 2, 2), an 8x8 average pool and a linear layer to ten digits. The
FID features are the 1024-d pooled vector that enters that linear layer.

Input: a 1 s, 16 kHz clip (cut or zero-padded *at the end*), its power mel spectrogram with
librosa's defaults of the time the public checkpoint was trained (n_fft 2048, hop 512, a
periodic Hann window, centred frames with reflect padding, 32 Slaney-normalised Slaney-scale
bands from 0 to 8 kHz), converted to dB relative to the clip's maximum with an 80 dB floor:
a 32 x 32 image. `sc09_mel` reproduces that pipeline in torch (tested against librosa).

Parameter names follow the public checkpoint, so its weights load without renaming (see
`load_sc09_resnext`). The weights themselves are not redistributed with scorelab.
"""
from __future__ import annotations

import pickle
import types

import torch
import torch.nn.functional as F
from torch import nn

SC09_SAMPLE_RATE = 16000
SC09_N_FFT, SC09_HOP, SC09_N_MELS = 2048, 512, 32


def sc09_mel(wave: torch.Tensor) -> torch.Tensor:
    """(N, 32, 32) dB mel images of (N, samples) 16 kHz clips, as the SC09 classifier expects."""
    import torchaudio.functional as AF  # heavy: imported where it is used

    if wave.dim() == 1:
        wave = wave[None]
    wave = wave.to(torch.float64)
    n = SC09_SAMPLE_RATE
    wave = F.pad(wave, (0, max(0, n - wave.shape[-1])))[..., :n]  # pad or cut at the end
    window = torch.hann_window(SC09_N_FFT, periodic=True, dtype=torch.float64, device=wave.device)
    spec = torch.stft(wave, SC09_N_FFT, SC09_HOP, window=window, center=True, pad_mode="reflect",
                      return_complex=True).abs().pow(2)  # (N, 1025, 32)
    fb = AF.melscale_fbanks(SC09_N_FFT // 2 + 1, 0.0, SC09_SAMPLE_RATE / 2, SC09_N_MELS, SC09_SAMPLE_RATE,
                            norm="slaney", mel_scale="slaney").to(torch.float64).to(wave.device)
    mel = torch.einsum("nft,fm->nmt", spec, fb)
    db = 10 * torch.log10(mel.clamp_min(1e-10))
    ref = 10 * torch.log10(mel.amax(dim=(-2, -1), keepdim=True).clamp_min(1e-10))
    db = db - ref
    return torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - 80.0).to(torch.float32)


class ResNeXtBottleneck(nn.Module):
    """1x1 reduce, grouped 3x3, 1x1 expand, each with batch norm, plus a (projected) shortcut."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, cardinality: int, base_width: int,
                 widen_factor: int):
        super().__init__()
        inner = cardinality * int(base_width * out_channels / (widen_factor * 64.0))
        self.conv_reduce = nn.Conv2d(in_channels, inner, 1, bias=False)
        self.bn_reduce = nn.BatchNorm2d(inner)
        self.conv_conv = nn.Conv2d(inner, inner, 3, stride=stride, padding=1, groups=cardinality, bias=False)
        self.bn = nn.BatchNorm2d(inner)
        self.conv_expand = nn.Conv2d(inner, out_channels, 1, bias=False)
        self.bn_expand = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        if in_channels != out_channels:
            self.shortcut.add_module("shortcut_conv", nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False))
            self.shortcut.add_module("shortcut_bn", nn.BatchNorm2d(out_channels))

    def forward(self, x):
        h = F.relu(self.bn_reduce(self.conv_reduce(x)))
        h = F.relu(self.bn(self.conv_conv(h)))
        h = self.bn_expand(self.conv_expand(h))
        return F.relu(self.shortcut(x) + h)


class SC09ResNeXt(nn.Module):
    """CIFAR ResNeXt-29 (8 x 64d, widen 4) on 1 x 32 x 32 mel images, ten classes."""

    def __init__(self, num_classes: int = 10, cardinality: int = 8, depth: int = 29, base_width: int = 64,
                 widen_factor: int = 4, in_channels: int = 1):
        super().__init__()
        blocks = (depth - 2) // 9
        widths = (64, 64 * widen_factor, 128 * widen_factor, 256 * widen_factor)
        self.feature_dim = widths[3]
        self.conv_1_3x3 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        self.bn_1 = nn.BatchNorm2d(64)
        for i, stride in enumerate((1, 2, 2)):
            stage = nn.Sequential()
            for b in range(blocks):
                stage.add_module(f"stage_{i + 1}_bottleneck_{b}", ResNeXtBottleneck(
                    widths[i] if b == 0 else widths[i + 1], widths[i + 1], stride if b == 0 else 1,
                    cardinality, base_width, widen_factor))
            self.add_module(f"stage_{i + 1}", stage)
        self.classifier = nn.Linear(widths[3], num_classes)

    def features_and_logits(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(1024-d pooled features, logits) of (N, 32, 32) or (N, 1, 32, 32) mel images."""
        x = mel[:, None] if mel.dim() == 3 else mel
        x = F.relu(self.bn_1(self.conv_1_3x3(x)))
        x = self.stage_3(self.stage_2(self.stage_1(x)))
        pooled = F.avg_pool2d(x, 8, 1).flatten(1)
        return pooled, self.classifier(pooled)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(mel)[1]


def _state_dict_of(obj, source: str) -> dict:
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{source} holds neither a ResNeXt model nor its state dict ({type(obj).__name__})")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in obj.items()}


# What the pickled public checkpoint (a DataParallel-wrapped CifarResNeXt) names, and nothing else:
# module classes it is built of, torch's tensor-rebuild functions and storage types, containers.
_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"), ("builtins", "set"), ("torch", "device"),
    ("torch.nn.modules.conv", "Conv2d"), ("torch.nn.modules.batchnorm", "BatchNorm2d"),
    ("torch.nn.modules.linear", "Linear"), ("torch.nn.modules.container", "Sequential"),
    ("torch.nn.parallel.data_parallel", "DataParallel"),
    ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_parameter"),
}
_STORAGE_MODULES = ("torch", "torch.cuda")
_STORAGE_NAMES = {"FloatStorage", "DoubleStorage", "HalfStorage", "LongStorage", "IntStorage", "ByteStorage",
                  "BoolStorage", "UntypedStorage"}


class RefusedCheckpoint(ValueError):
    """A pickled checkpoint names a global that loading the SC09 ResNeXt does not need."""


class _StrictUnpickler(pickle.Unpickler):
    """Unpickles the public SC09 ResNeXt and nothing more: its ResNeXt classes (the public repository's
    or scorelab's) become this module's, the globals in _ALLOWED_GLOBALS and torch's storage
    types are resolved, and any other global (os.system, eval, ...) stops the load before it runs."""

    def find_class(self, module, name):
        if module.endswith("resnext") and name in ("CifarResNeXt", "SC09ResNeXt", "ResNeXtBottleneck"):
            return ResNeXtBottleneck if name == "ResNeXtBottleneck" else SC09ResNeXt
        if module == "__builtin__":  # protocol 2 pickles name builtins as Python 2 did
            module = "builtins"
        if (module, name) in _ALLOWED_GLOBALS or (module in _STORAGE_MODULES and name in _STORAGE_NAMES):
            return super().find_class(module, name)
        raise RefusedCheckpoint(
            f"refused to unpickle the global {module}.{name}: the SC09 ResNeXt checkpoint needs only its model "
            "classes, torch's tensors and containers, and loading anything else could run code from the file")


_strict_pickle = types.SimpleNamespace(Unpickler=_StrictUnpickler, load=lambda f, **kw: _StrictUnpickler(f, **kw).load(),
                                       __name__="scorelab_strict_resnext_pickle")


def load_sc09_resnext(path, device="cpu") -> SC09ResNeXt:
    """The public SC09 ResNeXt from a local file: either the pickled (DataParallel-wrapped) model
    that the SC09 evaluation scripts save, or a plain state dict. The pickled form names the
    classes of its own repository (`models.resnext.CifarResNeXt`); they are mapped onto this
    module's classes, which have the same parameter names.

    A state dict loads with torch's `weights_only=True`; the pickled model with an unpickler that
    resolves only what that checkpoint holds (`_StrictUnpickler`), so a file that names any other
    global raises RefusedCheckpoint before anything in it runs."""
    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception:  # the pickled whole model: only the strict unpickler reads it
            obj = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_strict_pickle)
    except FileNotFoundError:
        raise FileNotFoundError(f"SC09 ResNeXt checkpoint {path} not found; pass the path of the public "
                                "SC09 classifier checkpoint (resnext.pth of the SC09 evaluation code)") from None
    except RefusedCheckpoint as exc:
        raise RefusedCheckpoint(f"{path}: {exc}. Use the public SC09 checkpoint, or a state dict saved with "
                                "torch.save(model.state_dict(), FILE)") from None
    except Exception as exc:
        raise ValueError(f"could not read {path} as a PyTorch checkpoint: {exc}") from exc
    state = _state_dict_of(obj, str(path))
    model = SC09ResNeXt()
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"{path} is not the SC09 ResNeXt-29 (8 x 64d, widen 4): missing "
                         f"{len(missing)} parameters (e.g. {missing[:2]}), unexpected {len(unexpected)} "
                         f"(e.g. {unexpected[:2]})")
    return model.to(device).eval()

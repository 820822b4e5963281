"""Typed configurations and the named profiles `tiny` and `paper`.

A profile is data, not a code path: every difference between running the course on a laptop
and reproducing the paper on a GPU is a field value here. Later chapters add model, SDE and
training configs to `Profile`; the fields below are the ones the data and audio front end use.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class MelConfig:
    """Log-Mel features. The defaults are those of the public 16 kHz HiFi-GAN vocoders, so a
    pretrained vocoder can turn generated features into audio (see ../PAPER decisions)."""

    sample_rate: int = SAMPLE_RATE
    n_fft: int = 1024
    win_length: int = 1024
    hop_length: int = 256
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float = 8000.0
    # log(max(|STFT| mel, clamp)): magnitude (power 1), natural log, floor at 1e-5
    clamp: float = 1e-5
    # Fixed affine map into model space, the same for every data set so that a noise level
    # means the same thing everywhere: x = (log_mel - center) / scale. The log floor
    # log floor log(1e-5) = -11.51 maps to -1.00 and the loudest bins of FSDD speech (about
    # +1.5) to +1.0; see chapter 1 for the measured range.
    norm_center: float = -5.0
    norm_scale: float = 6.5
    # per-value std of clean data in model space (FSDD measures 0.51): the one value the score
    # models' preconditioning and the classifier's input scaling share
    sigma_data: float = 0.5
    clip_seconds: float = 1.0

    @property
    def clip_samples(self) -> int:
        return int(round(self.clip_seconds * self.sample_rate))

    @property
    def n_frames(self) -> int:
        """Frames of one clip: centred STFT, one frame per hop plus one."""
        return self.clip_samples // self.hop_length + 1

    @property
    def log_floor(self) -> float:
        return math.log(self.clamp)


DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class DataConfig:
    """Which clips to train on. `source` is one of "fsdd", "synth", "sc09" or "speech_commands"."""

    source: str = "fsdd"
    labels: tuple[str, ...] = DIGITS
    root: str | None = None  # None: the source's environment variable or the data home


@dataclass(frozen=True)
class SDEConfig:
    """The forward process; see scorelab/sde.py for why these values suit model space."""

    kind: str = "ve"  # "ve" (variance exploding) or "vp" (variance preserving)
    sigma_min: float = 0.01
    sigma_max: float = 64.0
    beta_min: float = 0.1
    beta_max: float = 20.0


@dataclass(frozen=True)
class UNetConfig:
    in_channels: int = 1
    channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2, 2, 4)
    num_res_blocks: int = 1
    attention_levels: tuple[int, ...] = (3,)  # levels counted from 0 at full resolution
    heads: int = 4
    emb_dim: int = 128
    dropout: float = 0.0


@dataclass(frozen=True)
class ClassifierConfig:
    """The noise-conditioned log-Mel classifier: a residual CNN over several resolutions,
    FiLM-conditioned on the noise level; its stage outputs are the taps ScoreSubnet reads."""

    channels: int = 32
    channel_mults: tuple[int, ...] = (1, 2, 4, 8)
    blocks_per_stage: int = 1
    emb_dim: int = 128
    dropout: float = 0.0


@dataclass(frozen=True)
class SubnetConfig:
    """ScoreSubnet, the adapter on the frozen classifier. `taps` says what it reads: the full
    model ("features+gradients": activations and gradients of logsumexp(logits) at every tap) or
    the gradient-taps variant ("gradients": the gradients alone). A profile sizes the two apart
    (`Profile.subnet` and `Profile.subnet_gradtaps`): the variant's decoder is the lighter one."""

    taps: str = "features+gradients"
    # how a level's feature and gradient taps are fused: "concat" (one 1x1 convolution over both)
    # or "gated" (a per-position, per-channel sigmoid gate chooses between their projections)
    fusion: str = "concat"
    widths: tuple[int, ...] = (32, 48, 64, 96)  # decoder width per tap level, finest first
    blocks: tuple[int, ...] = (1, 1, 1, 1)  # FiLM residual blocks per level
    emb_dim: int = 128
    heads: int = 4


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 4000
    batch_size: int = 32
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 200
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    checkpoint_every: int = 500
    log_every: int = 25
    amp: bool | None = None  # bf16 autocast; None: on for CUDA, off on the CPU
    compile: bool | None = None  # torch.compile; None: on for CUDA, off on the CPU
    seed: int = 0


@dataclass(frozen=True)
class SampleConfig:
    sampler: str = "heun"
    steps: int = 50


@dataclass(frozen=True)
class Profile:
    name: str
    mel: MelConfig = field(default_factory=MelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    sde: SDEConfig = field(default_factory=SDEConfig)
    unet: UNetConfig = field(default_factory=UNetConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    subnet: SubnetConfig = field(default_factory=SubnetConfig)
    # the gradient-taps variant: the gradient taps alone, decoded with one residual block per level
    subnet_gradtaps: SubnetConfig = field(default_factory=lambda: SubnetConfig(taps="gradients"))
    train: TrainConfig = field(default_factory=TrainConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)

    def replace(self, **changes) -> "Profile":
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, Profile] = {
    # CPU-sized, real voices from the offline FSDD copy: the whole book runs on it.
    "tiny": Profile(
        name="tiny", data=DataConfig(source="fsdd"),
        unet=UNetConfig(channels=16, channel_mults=(1, 2, 4, 4), attention_levels=(3,)),
        train=TrainConfig(steps=4000, batch_size=32, checkpoint_every=500),
    ),
    # The paper's scale: SC09 on one GPU.
    "paper": Profile(
        name="paper", data=DataConfig(source="sc09"),
        unet=UNetConfig(channels=64, channel_mults=(1, 2, 2, 4), num_res_blocks=2,
                        attention_levels=(2, 3), dropout=0.1),
        # sized to the paper's compute table (`python -m scorelab compute --profile paper`)
        classifier=ClassifierConfig(channels=48, channel_mults=(1, 2, 4, 6), blocks_per_stage=3, emb_dim=192),
        subnet=SubnetConfig(widths=(144, 160, 96, 192), blocks=(3, 2, 1, 1), emb_dim=192),
        # the full model's widths with one block per level: the finest level's extra blocks are
        # where a step's MACs go (chapter 7), so the variant saves there
        subnet_gradtaps=SubnetConfig(taps="gradients", widths=(144, 160, 96, 192), blocks=(1, 1, 1, 1), emb_dim=192),
        train=TrainConfig(steps=200_000, batch_size=64, lr=2e-4, warmup_steps=2000,
                          ema_decay=0.9999, checkpoint_every=5000, log_every=100),
        sample=SampleConfig(sampler="heun", steps=100),
    ),
    # Seconds, for tests and CI smoke runs only: too small to learn anything.
    "micro": Profile(
        name="micro", data=DataConfig(source="fsdd"),
        unet=UNetConfig(channels=8, channel_mults=(1, 2, 2, 2), attention_levels=(), emb_dim=32, heads=2),
        classifier=ClassifierConfig(channels=8, emb_dim=32),
        train=TrainConfig(steps=20, batch_size=8, warmup_steps=5, checkpoint_every=10, log_every=5),
        sample=SampleConfig(sampler="heun", steps=4),
    ),
}


def get_profile(name: str) -> Profile:
    """The named profile; an unknown name lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; choose one of {', '.join(sorted(PROFILES))}"
        ) from None


def profile_from_dict(d: dict) -> Profile:
    """The Profile a `config_to_dict(profile)` dict describes (lists become tuples again)."""
    def build(cls, values):
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name not in values:
                continue
            v = values[f.name]
            kwargs[f.name] = tuple(v) if isinstance(v, list) else v
        return cls(**kwargs)

    parts = {"mel": MelConfig, "data": DataConfig, "sde": SDEConfig, "unet": UNetConfig,
             "classifier": ClassifierConfig, "subnet": SubnetConfig, "subnet_gradtaps": SubnetConfig,
             "train": TrainConfig, "sample": SampleConfig}
    built = {k: build(cls, d[k]) for k, cls in parts.items() if k in d}
    if "subnet" in built and "subnet_gradtaps" not in built:  # written before the variant had its own size:
        built["subnet_gradtaps"] = dataclasses.replace(built["subnet"], taps="gradients")  # it was built so
    return Profile(name=d["name"], **built)


def upgrade_config(d):
    """A saved config (dict) in today's form, for comparing with one made now: every profile in it
    written before the gradient-taps variant had its own size gains `subnet_gradtaps`, sized as
    it was then built (`subnet` with taps "gradients"); a judge's recipe gains the fields added
    since, at their defaults (no variation); fields that were never used (the profile's `seed`,
    `sample.n`) are dropped."""
    if not isinstance(d, dict):
        return d
    d = {k: upgrade_config(v) for k, v in d.items()}
    if "name" in d and isinstance(d.get("mel"), dict):  # a profile
        if isinstance(d.get("subnet"), dict) and "subnet_gradtaps" not in d:
            d["subnet_gradtaps"] = {**d["subnet"], "taps": "gradients"}
        d.pop("seed", None)  # unused fields, since removed: the seed is the training's (train.seed)
        if isinstance(d.get("sample"), dict):
            d["sample"] = {k: v for k, v in d["sample"].items() if k != "n"}
    if d.get("model") == "evalclassifier" and isinstance(d.get("judge"), dict):
        from .judge import JudgeConfig  # a recipe written before a field existed used its default (none)

        d["judge"] = {**dataclasses.asdict(JudgeConfig()), **d["judge"]}
    return d


def config_to_dict(cfg) -> dict:
    """A JSON-ready dict of a (nested) dataclass config."""
    return dataclasses.asdict(cfg)


def config_diff(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted names of the fields where two config dicts differ, for error messages."""
    out = []
    for key in sorted(set(a) | set(b)):
        name = f"{prefix}{key}"
        va, vb = a.get(key, "<missing>"), b.get(key, "<missing>")
        if isinstance(va, dict) and isinstance(vb, dict):
            out += config_diff(va, vb, prefix=name + ".")
        elif va != vb:
            out.append(f"{name}: {va!r} != {vb!r}")
    return out

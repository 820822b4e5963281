"""The guidance explorer: choose a model, a digit, the guidance strength gamma, the sampler's steps
and a seed; see the spectrogram, hear the clip, and read how long it took.

`GuidanceExplorer` is the interactive form (ipywidgets, for Jupyter and Colab); `guidance_gallery`
is the static form a website can show: a digit x gamma grid of players for each model. Both make
their clips with `guided_clips`, so a gallery cell is what the explorer gives for the same model,
digit, gamma, steps and seed (to the float rounding of a batch).

A clip is sampled with the deterministic Heun sampler from the seed's starting noise, the same
for every digit asked for (`generate(..., same_start=True)`): what differs between the digits of
one seed is what guidance made of one start.
"""
from __future__ import annotations

import html
import io
import time
from dataclasses import dataclass, field

import torch

from .audio import LOG_MEL_CEILING, GriffinLim, LogMel, normalize, to_audio
from .classify import predict
from .config import Profile
from .display import audio_element, plot_log_mels, wav_bytes
from .generate import generate, to_log_mel
from .kinds import guiding_classifier

UNET = "U-Net + Classifier"
SUBNET = "ScoreSubnet"
SAMPLER = "heun"  # deterministic: a clip depends on its choices alone
GAMMAS = (0.0, 1.0, 3.0, 10.0)  # the gallery's columns
LOG_MEL_RANGE = (-12.0, 2.0)  # the book's colour scale for generated log-Mels


@dataclass
class ExplorerModels:
    """The guided score models the explorer offers, by name: (score model, guiding classifier);
    `judge` (an evaluation classifier, optional) says which digit it hears in each clip."""
    profile: Profile
    models: dict[str, tuple[torch.nn.Module, torch.nn.Module]]
    judge: torch.nn.Module | None = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def names(self) -> list[str]:
        return list(self.models)

    @property
    def digits(self) -> tuple[str, ...]:
        return tuple(self.profile.data.labels)


def load_explorer_models(profile: Profile, device=None, judge: bool = True, log=print) -> ExplorerModels:
    """The profile's trained U-Net with its noise-conditioned classifier, and its ScoreSubnet with
    the classifier it is built on (shipped, or the reader's runs: `runs.load_model`)."""
    from .devices import default_device
    from .runs import load_model

    device = torch.device(device or default_device())
    unet, _ = load_model("unet", profile, device=device, log=log)
    classifier, _ = load_model("classifier", profile, device=device, log=log)
    subnet, _ = load_model("subnet", profile, device=device, log=log)
    models = {UNET: (unet, guiding_classifier("unet", unet, classifier)),
              SUBNET: (subnet, guiding_classifier("subnet", subnet))}
    evaluator = load_model("evalclassifier", profile, device=device, log=log)[0] if judge else None
    return ExplorerModels(profile, models, evaluator, device)


@dataclass
class Clip:
    """One generated clip and how it was made."""
    model: str
    digit: str
    gamma: float
    steps: int
    seed: int
    log_mel: torch.Tensor  # (bands, frames), natural-log Mel
    wave: torch.Tensor  # (samples,), Griffin-Lim unless another vocoder was given
    seconds: float  # sampling and vocoding, per clip
    heard: str | None = None  # the judge's digit, where there is a judge

    @property
    def finished(self) -> bool:
        """False where the log-Mel goes beyond what speech reaches (too few steps for the model)."""
        return bool(torch.isfinite(self.log_mel).all() and self.log_mel.max() <= LOG_MEL_CEILING)

    @property
    def title(self) -> str:
        return f"{self.model}, {self.digit}, γ = {self.gamma:g}, {self.steps} steps, seed {self.seed}"


def _check_choices(models: ExplorerModels, model: str, digits, gamma: float, steps: int) -> None:
    if model not in models.models:
        raise ValueError(f"no model {model!r} in the explorer; choose one of {', '.join(models.names)}")
    unknown = [d for d in digits if d not in models.digits]
    if unknown:
        raise ValueError(f"{', '.join(map(repr, unknown))}: not a label of profile {models.profile.name!r} "
                         f"(its labels: {', '.join(models.digits)})")
    if not gamma >= 0:
        raise ValueError(f"gamma = {gamma}: the guidance strength must be zero (no guidance) or positive")
    if int(steps) < 1:
        raise ValueError(f"steps = {steps}: the sampler needs at least one step")


def guided_clips(models: ExplorerModels, model: str, digits, gamma: float, steps: int = 25, seed: int = 0,
                 vocoder=None) -> list[Clip]:
    """One clip per digit asked for, guided with strength gamma from the seed's starting noise
    (Heun, `steps` steps), vocoded by Griffin-Lim unless another vocoder is given, and heard by
    the judge where there is one. `seconds` is the batch's time shared out over its clips.
    With gamma 0 the digit asked for plays no part, so one clip is sampled and repeated."""
    digits = [digits] if isinstance(digits, str) else list(digits)
    _check_choices(models, model, digits, gamma, steps)
    score_model, classifier = models.models[model]
    profile, device = models.profile, models.device
    vocoder = vocoder or GriffinLim(profile.mel)
    asked = digits[:1] if gamma == 0 else digits
    started = time.perf_counter()
    x = generate(score_model, profile, len(asked), sampler=SAMPLER, steps=int(steps), seed=int(seed),
                 classifier=classifier, labels=torch.tensor([models.digits.index(d) for d in asked]),
                 gamma=float(gamma), device=device, batch=len(asked), same_start=True)
    log_mels = to_log_mel(x, profile)
    waves = to_audio(x, profile.mel, vocoder)  # as `write_samples` makes files: unfinished clips clamped
    seconds = (time.perf_counter() - started) / len(asked)
    heard = [None] * len(asked)
    if models.judge is not None:  # what a listener's classifier hears in the audio, as `classify` would
        heard = [models.digits[int(i)] for i in predict(models.judge, normalize(LogMel(profile.mel)(waves), profile.mel)[:, None])]
    if gamma == 0:
        log_mels, waves, heard = [log_mels[0]] * len(digits), [waves[0]] * len(digits), heard * len(digits)
    return [Clip(model, digit, float(gamma), int(steps), int(seed), m, w, seconds, h)
            for digit, m, w, h in zip(digits, log_mels, waves, heard)]


def spectrogram_png(clip: Clip, profile: Profile) -> bytes:
    """The clip's log-Mel drawn as in the book's figures, as PNG bytes."""
    fig = plot_log_mels({clip.title: clip.log_mel}, profile.mel, ncols=1, vmin=LOG_MEL_RANGE[0],
                        vmax=LOG_MEL_RANGE[1])
    fig.set_size_inches(6.0, 2.6)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _audio_tag(clip: Clip, sample_rate: int) -> str:
    """A compact player (four columns of them fit a book page's width)."""
    return audio_element(clip.wave, sample_rate, preload="none",
                         attributes=f'style="width:8.5em;height:2.2em" title="{html.escape(clip.title)}"')


class Gallery:
    """Players for a digit x gamma grid of clips of each model; displays itself in a notebook."""

    def __init__(self, clips: dict[str, list[Clip]], gammas, digits, sample_rate: int):
        self.clips, self.gammas, self.digits, self.sample_rate = clips, tuple(gammas), tuple(digits), sample_rate

    def clip(self, model: str, digit: str, gamma: float) -> Clip:
        return next(c for c in self.clips[model] if c.digit == digit and c.gamma == gamma)

    @property
    def sampled(self) -> int:
        """How many clips were sampled (one per gamma-0 column, one per cell elsewhere)."""
        return len({id(c.wave) for clips in self.clips.values() for c in clips})

    def accuracy(self, model: str, gamma: float) -> float | None:
        """The share of the model's clips at this gamma in which the judge heard the digit asked for."""
        clips = [c for c in self.clips[model] if c.gamma == gamma]
        if any(c.heard is None for c in clips):
            return None
        return sum(c.heard == c.digit for c in clips) / len(clips)

    def _shared(self, model: str, gamma: float) -> bool:
        """Whether every digit's clip at this gamma is one clip (gamma 0: the digit plays no part)."""
        clips = [self.clip(model, d, gamma) for d in self.digits]
        return all(c.wave is clips[0].wave for c in clips)

    def _cell(self, clip: Clip, rows: int = 1) -> str:
        verdict = ""
        if clip.heard is not None:
            mark = "" if rows > 1 else ("✓ " if clip.heard == clip.digit else "✗ ")
            verdict = f'<br><span style="font-size:80%">{mark}heard “{html.escape(clip.heard)}”</span>'
        span = f' rowspan="{rows}"' if rows > 1 else ""
        note = '<span style="font-size:80%">one clip for every digit</span><br>' if rows > 1 else ""
        return f'<td style="text-align:center;padding:0.2em"{span}>{note}{_audio_tag(clip, self.sample_rate)}{verdict}</td>'

    def _table(self, model: str) -> str:
        head = "".join(f'<th style="text-align:center">γ = {g:g}</th>' for g in self.gammas)
        shared = {g: self._shared(model, g) for g in self.gammas}
        rows = []
        for i, digit in enumerate(self.digits):
            cells = [self._cell(self.clip(model, digit, g), len(self.digits) if shared[g] else 1)
                     for g in self.gammas if not shared[g] or i == 0]
            rows.append(f'<tr><th style="text-align:right">{html.escape(digit)}</th>{"".join(cells)}</tr>')
        first = self.clips[model][0]
        caption = (f"{html.escape(model)}: the digit asked for (rows) by guidance strength γ (columns); "
                   f"Heun, {first.steps} steps, seed {first.seed}")
        return (f'<table class="scorelab-gallery" style="margin-bottom:1.5em"><caption>{caption}</caption>'
                f'<thead><tr><th></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')

    def _repr_html_(self) -> str:
        return '<div class="scorelab-gallery">' + "".join(self._table(m) for m in self.clips) + "</div>"

    def __repr__(self) -> str:
        return f"Gallery({', '.join(self.clips)}; {len(self.digits)} digits x gamma {', '.join(f'{g:g}' for g in self.gammas)})"


def guidance_gallery(models: ExplorerModels, gammas=GAMMAS, steps: int = 25, seed: int = 0, digits=None,
                     vocoder=None) -> Gallery:
    """The explorer's clips for every digit and gamma of each model, as a grid of players."""
    digits = tuple(digits or models.digits)
    vocoder = vocoder or GriffinLim(models.profile.mel)
    clips = {name: [clip for gamma in gammas
                    for clip in guided_clips(models, name, digits, gamma, steps, seed, vocoder)]
             for name in models.names}
    return Gallery(clips, gammas, digits, models.profile.mel.sample_rate)


def _ipywidgets():
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError("the guidance explorer needs ipywidgets (Jupyter and Colab have it): "
                          "pip install ipywidgets, or pip install 'scorelab[book]'") from exc
    return ipywidgets


class GuidanceExplorer:
    """Controls for model, digit, gamma, steps and seed; a Generate button; the spectrogram, a
    player and the time the clip took. Display the explorer (end a cell with it) to use it;
    `generate()` makes the clip for the current choices, as the button does."""

    def __init__(self, models: ExplorerModels, model: str = SUBNET, digit: str | None = None,
                 gamma: float = 3.0, steps: int = 25, seed: int = 0):
        w = _ipywidgets()
        digit = digit or models.digits[0]
        _check_choices(models, model, [digit], gamma, steps)
        self.models = models
        self.vocoder = GriffinLim(models.profile.mel)
        style = {"description_width": "7em"}
        self.model = w.ToggleButtons(options=models.names, value=model, description="model", style=style)
        self.digit = w.Dropdown(options=list(models.digits), value=digit, description="digit", style=style)
        # (a slider clamps a value outside its range: the ranges take in the values asked for)
        self.gamma = w.FloatSlider(value=gamma, min=0.0, max=max(20.0, gamma), step=0.5, description="guidance γ",
                                   style=style)
        self.steps = w.IntSlider(value=steps, min=1, max=max(100, steps), step=1, description="Heun steps", style=style)
        self.seed = w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style)
        self.button = w.Button(description="Generate", button_style="primary")
        self.status = w.HTML(value="<em>choose, then Generate</em>")
        self.image = w.Image(format="png")
        self.audio = w.Audio(format="wav", autoplay=False, loop=False)
        self.last: Clip | None = None
        self.button.on_click(lambda _: self.generate())
        controls = w.VBox([self.model, self.digit, self.gamma, self.steps, self.seed, w.HBox([self.button, self.status])])
        self.widget = w.VBox([controls, self.image, self.audio])

    def generate(self) -> Clip:
        """Sample, draw and vocode the clip for the current choices; show it and return it."""
        self.button.disabled = True
        self.status.value = "<em>sampling…</em>"
        try:
            clip = guided_clips(self.models, self.model.value, [self.digit.value], self.gamma.value,
                                self.steps.value, self.seed.value, self.vocoder)[0]
        except Exception as exc:  # shown beside the button, and raised for the notebook's log
            self.status.value = f'<span style="color:#b00">{html.escape(str(exc))}</span>'
            raise
        finally:
            self.button.disabled = False
        self.image.value = spectrogram_png(clip, self.models.profile)
        self.audio.value = wav_bytes(clip.wave, self.models.profile.mel.sample_rate)
        heard = f"; the judge hears “{html.escape(clip.heard)}”" if clip.heard is not None else ""
        unfinished = "" if clip.finished else "; not finished speech (louder than speech gets): take more steps"
        self.status.value = f"{clip.seconds:.1f} s on {self.models.device.type}{heard}{unfinished}"
        self.last = clip
        return clip

    def _ipython_display_(self):
        # (display() of the widget itself works under ipywidgets 7, which Colab has, and 8)
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return (f"GuidanceExplorer({self.model.value}, {self.digit.value}, γ = {self.gamma.value:g}, "
                f"{self.steps.value} steps, seed {self.seed.value})")


def guidance_explorer(models: ExplorerModels, **choices) -> GuidanceExplorer:
    """An explorer with its first clip already made (`GuidanceExplorer` for the choices)."""
    explorer = GuidanceExplorer(models, **choices)
    explorer.generate()
    return explorer

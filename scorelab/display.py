"""Figures and audio players for the book: every notebook plot and player comes from here.

Plotting functions return a closed matplotlib Figure: end a notebook cell with the call (no
semicolon) to show it, save it with `fig.savefig(path)`, or show it under a name with
`glue_figure(name, fig)`, which the website places as a numbered figure with its caption.

Audio players are HTML <audio> elements with the WAV inlined as base64, so they work on the
rendered website, in Jupyter and on Colab alike. Only the standard library's `wave` module is
used to encode them (no soundfile needed).
"""
from __future__ import annotations

import base64
import html
import io
import os
import wave as wavefile
from pathlib import Path

import numpy as np
import torch

from .config import MelConfig
from .audio.vocoders import load_vocoder
from .download import DownloadError
from .guidance import DEFAULT_GAMMA
from .train import METRICS, read_metrics


def wav_bytes(wave: torch.Tensor | np.ndarray, sample_rate: int = 16000, peak: float | None = 0.9) -> bytes:
    """16-bit PCM WAV bytes of a mono clip, peak-normalised to `peak` (None: as is, clipped)."""
    x = np.asarray(wave.detach().cpu() if isinstance(wave, torch.Tensor) else wave, dtype=np.float64).reshape(-1)
    if peak is not None and np.abs(x).max() > 0:
        x = x * (peak / np.abs(x).max())
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wavefile.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def audio_element(wave: torch.Tensor | np.ndarray, sample_rate: int = 16000, peak: float | None = 0.9,
                  preload: str = "metadata", attributes: str = "") -> str:
    """An HTML <audio> player with the clip inlined as a base64 WAV (`attributes`: more HTML
    attributes, such as a style)."""
    data = base64.b64encode(wav_bytes(wave, sample_rate, peak)).decode()
    extra = f" {attributes}" if attributes else ""
    return f'<audio controls preload="{preload}"{extra} src="data:audio/wav;base64,{data}"></audio>'


class Players:
    """A row of labelled audio players; displays itself in a notebook."""

    def __init__(self, clips: dict[str, torch.Tensor], sample_rate: int = 16000, peak: float | None = 0.9):
        self.clips, self.sample_rate, self.peak = clips, sample_rate, peak

    def _repr_html_(self) -> str:
        cells = []
        for label, clip in self.clips.items():
            cells.append(
                '<figure style="display:inline-block;margin:0 1em 0.5em 0">'
                f'<figcaption style="font-size:90%">{html.escape(label)}</figcaption>'
                f'{audio_element(clip, self.sample_rate, self.peak)}</figure>'
            )
        return '<div class="scorelab-players">' + "".join(cells) + "</div>"

    def __repr__(self) -> str:
        return f"Players({', '.join(self.clips)})"


def players(clips: dict[str, torch.Tensor], sample_rate: int = 16000, peak: float | None = 0.9) -> Players:
    """Labelled audio players for {label: waveform}."""
    return Players(clips, sample_rate, peak)


class Notice:
    """A one-line message that displays itself in a notebook where a result could not be made."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return f'<p class="scorelab-notice"><em>{html.escape(self.text)}</em></p>'

    def __repr__(self) -> str:
        return self.text


_HIFIGANS: dict = {}


def hifigan_players(log_mels: dict[str, torch.Tensor], cfg: MelConfig = MelConfig()) -> Players | Notice:
    """Players of the pretrained 16 kHz HiFi-GAN's rendering of each natural-log Mel, labelled
    "LABEL, HiFi-GAN", to put beside Griffin-Lim's. The vocoder is fetched once into the data home
    where a network exists (or read from $SCORELAB_HIFIGAN); where it cannot be had, the result is
    a Notice that says why, and the Griffin-Lim players stand alone."""


    key = (cfg, os.environ.get("SCORELAB_HIFIGAN"))
    if key not in _HIFIGANS:
        try:
            _HIFIGANS[key] = load_vocoder("hifigan", cfg)
        except (DownloadError, FileNotFoundError) as exc:
            reason = str(exc).split(". ")[0]
            return Notice(f"HiFi-GAN is not available here, so Griffin-Lim above is the vocoder: {reason}. "
                          "To use a copy fetched elsewhere, set SCORELAB_HIFIGAN=/path/to/generator.ckpt")
    vocoder = _HIFIGANS[key]
    return players({f"{label}, HiFi-GAN": vocoder(mel.detach().float().cpu()) for label, mel in log_mels.items()},
                   cfg.sample_rate)


def glue_numbers(numbers: dict[str, str]) -> int:
    """Hand {name: text} to myst-nb's `glue`, so the website's prose quotes the numbers a cell
    computed ({glue:text}`name`) and cannot contradict them. Nothing is displayed in the
    notebook. Where myst-nb is not installed (Colab, a plain Jupyter) nothing happens: only the
    website build reads glued values. Returns how many were glued."""
    try:
        from myst_nb import glue  # optional: present only where the website is built
    except ImportError:
        return 0
    for name, text in numbers.items():
        glue(name, _Plain(text), display=False)
    return len(numbers)


def glue_figure(name: str, fig) -> None:
    """Show `fig` in the notebook with `name` attached, the way myst-nb's `glue(name, fig)` does,
    without needing myst-nb (absent on Colab). The website places it where a page writes
    ```{glue:figure} name``` with `:name:`, a caption and alt text: a numbered figure that
    {numref} can point to. Tag the cell `remove-output` so the site does not also show it
    in place; in Jupyter and on Colab it is simply shown."""
    from IPython.core.formatters import format_display_data  # only inside Jupyter
    from IPython.display import display

    if not name or not name.replace("-", "").isalnum():
        raise ValueError(f"glue_figure: name {name!r} must be letters, digits and '-', e.g. 'fig-noise-levels'")
    bundle, metadata = format_display_data(fig)
    metadata["scrapbook"] = {"name": name, "mime_prefix": ""}
    display(bundle, raw=True, metadata=metadata)


class _Plain(str):
    """A string whose text form has no quotes, so that {glue:text} pastes it as it reads."""

    def __repr__(self) -> str:
        return str(self)


def _finish(fig):
    """Detach a finished figure from pyplot, so a notebook shows it exactly once: as the value
    the plotting call returns (pyplot's own end-of-cell display would show it a second time)."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    plt.close(fig)
    return fig


def _grid(n: int, ncols: int, width: float, height: float):
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows), squeeze=False,
                             constrained_layout=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def plot_waveforms(waves: dict[str, torch.Tensor], sample_rate: int = 16000, ncols: int = 5):
    """A grid of waveforms with time in seconds."""
    fig, axes = _grid(len(waves), ncols, 3.0 * ncols, 1.8)
    for ax, (title, w) in zip(axes, waves.items()):
        w = w.detach().cpu().reshape(-1)
        ax.plot(np.arange(len(w)) / sample_rate, w.numpy(), lw=0.5)
        ax.set_title(title, fontsize=9)
        ax.set_ylim(-1, 1)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.tick_params(labelsize=7)
    return _finish(fig)


def plot_log_mels(log_mels: dict[str, torch.Tensor], cfg: MelConfig = MelConfig(), ncols: int = 5,
                  vmin: float | None = None, vmax: float | None = None, label: str = "log-Mel (nepers)"):
    """A grid of log-Mel images (time in seconds, Mel band index) sharing one colour scale."""
    mats = {k: v.detach().cpu().reshape(v.shape[-2], v.shape[-1]) for k, v in log_mels.items()}
    vmin = min(float(m.min()) for m in mats.values()) if vmin is None else vmin
    vmax = max(float(m.max()) for m in mats.values()) if vmax is None else vmax
    fig, axes = _grid(len(mats), ncols, 3.0 * ncols, 2.2)
    for ax, (title, m) in zip(axes, mats.items()):
        seconds = m.shape[-1] * cfg.hop_length / cfg.sample_rate
        im = ax.imshow(m.numpy(), origin="lower", aspect="auto", vmin=vmin, vmax=vmax, cmap="magma",
                       extent=(0, seconds, 0, m.shape[0]))
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.set_ylabel("Mel band", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.colorbar(im, ax=list(axes), shrink=0.8, label=label)
    return _finish(fig)


def plot_histograms(values: dict[str, torch.Tensor], bins: int = 80, xlabel: str = "", density: bool = True):
    """Overlaid histograms of several sets of values."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    fig, ax = plt.subplots(figsize=(7, 3), constrained_layout=True)
    lo = min(float(v.min()) for v in values.values())
    hi = max(float(v.max()) for v in values.values())
    for name, v in values.items():
        ax.hist(v.detach().cpu().reshape(-1).numpy(), bins=bins, range=(lo, hi), density=density,
                alpha=0.5, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density" if density else "count")
    ax.legend()
    return _finish(fig)


def _losses(metrics_path):
    """(steps, losses) as arrays from a training run's metrics.jsonl."""
    rows = read_metrics(metrics_path)
    return np.array([r["step"] for r in rows]), np.array([r["loss"] for r in rows])


def _running_mean(steps: np.ndarray, values: np.ndarray, k: int):
    """(steps, mean of each k consecutive values), aligned to the last step of each window."""
    return steps[k - 1:], np.convolve(values, np.ones(k) / k, mode="valid")


def plot_loss_curve(metrics_path, smooth: int = 10):
    """Training loss against step from a metrics.jsonl file, raw and as a running mean."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    steps, loss = _losses(metrics_path)
    fig, ax = plt.subplots(figsize=(7, 3), constrained_layout=True)
    ax.plot(steps, loss, lw=0.6, alpha=0.4, label="logged loss")
    if len(loss) >= smooth:
        ax.plot(*_running_mean(steps, loss, smooth), lw=1.5, label=f"mean of {smooth}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend()
    return _finish(fig)


def save_loss_curve(run_dir) -> Path | None:
    """Draw a run folder's loss.png from its metrics.jsonl; None when it has no log yet."""
    run_dir = Path(run_dir)
    if not (run_dir / METRICS).is_file():
        return None
    plot_loss_curve(run_dir / METRICS).savefig(run_dir / "loss.png", dpi=100)
    return run_dir / "loss.png"


def plot_point_clouds(clouds: dict[str, torch.Tensor], lim: float = 5.0, ncols: int = 4, s: float = 1.0):
    """Scatter plots of several (n, 2) point sets on the same square axes."""
    fig, axes = _grid(len(clouds), ncols, 3.0 * ncols, 3.0)
    for ax, (title, pts) in zip(axes, clouds.items()):
        pts = pts.detach().cpu()
        ax.scatter(pts[:, 0], pts[:, 1], s=s, alpha=0.4, lw=0)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=9)
    return _finish(fig)


class Animation:
    """A matplotlib animation that plays wherever HTML does: in Jupyter, on Colab and on the
    static website (JavaScript controls, every frame embedded as a PNG; no video codec needed).
    Show it by ending a cell with it, or place it as a numbered figure with `glue_figure`."""

    def __init__(self, html_text: str, frames: int, title: str):
        self.html, self.frames, self.title = html_text, frames, title

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Animation({self.frames} frames: {self.title})"


# matplotlib's player draws its buttons with Font Awesome icons fetched from a CDN: blank
# buttons offline. The same buttons as characters every font has (their titles stay).
# (characters of DejaVu Sans, the fallback font of most Linux browsers: the media-control
# symbols U+23ED to U+23F8 are missing from it and show as empty boxes)
_BUTTON_ICONS = {"fa-minus": "\u2212", "fa-fast-backward": "\u21e4", "fa-step-backward": "\u25c1",
                 "fa-play fa-flip-horizontal": "\u25c0", "fa-pause": "\u2016", "fa-play": "\u25b6",
                 "fa-step-forward": "\u25b7", "fa-fast-forward": "\u21e5", "fa-plus": "+"}


def _offline_player(text: str) -> str:
    """matplotlib's animation HTML without the stylesheet it loads from the internet."""
    import re

    text = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", text)
    return re.sub(r'<i class="fa ([^"]+)"></i>',
                  lambda m: f'<span aria-hidden="true">{_BUTTON_ICONS.get(m.group(1), "?")}</span>', text)


def _animation(fig, draw, frames: int, title: str, interval_ms: int) -> Animation:
    """`fig` animated by draw(k) for k in range(frames), rendered to HTML with JavaScript controls."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    animation = FuncAnimation(fig, draw, frames=frames, interval=interval_ms, blit=False)
    with plt.rc_context({"animation.embed_limit": 64}):  # MB
        text = animation.to_jshtml(default_mode="once")
    plt.close(fig)
    return Animation(_offline_player(text), frames, title)


def animate_point_clouds(films: dict[str, list[tuple[float, torch.Tensor]]], reference: torch.Tensor | None = None,
                         lim: float = 5.0, frames: int = 40, interval_ms: int = 150, s: float = 1.5) -> Animation:
    """Point clouds moving, one panel per film ({title: [(t, (n, 2) points) after each step]}, as a
    sampler's `callback` records them), each shown at `frames` evenly spaced steps from its first to
    its last, over the `reference` points in grey. The panel titles give each frame's time t."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    if not films or any(len(f) == 0 for f in films.values()):
        raise ValueError("animate_point_clouds: every film needs at least one (t, points) step")
    fig, axes = _grid(len(films), len(films), 3.4 * len(films), 3.6)
    picks = {name: np.linspace(0, len(film) - 1, frames).round().astype(int) for name, film in films.items()}
    clouds = []
    for ax, (name, film) in zip(axes, films.items()):
        if reference is not None:
            ref = reference.detach().cpu()
            ax.scatter(ref[:, 0], ref[:, 1], s=s, c="0.82", lw=0)
        first = film[0][1].detach().cpu()
        clouds.append(ax.scatter(first[:, 0], first[:, 1], s=s, lw=0, alpha=0.6, c="C0"))
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    plt.close(fig)

    def draw(k):
        for ax, cloud, (name, film) in zip(axes, clouds, films.items()):
            t, points = film[picks[name][k]]
            cloud.set_offsets(points.detach().cpu().numpy())
            ax.set_title(f"{name}\nt = {float(t):.3f}", fontsize=9)
        return clouds

    draw(0)
    return _animation(fig, draw, frames, ", ".join(films), interval_ms)


def plot_subnet_diagram(subnet, input_shape: tuple[int, int, int]):
    """ScoreSubnet (or the ScoreModel around it) on its frozen classifier, drawn from the model itself: the classifier's stages
    with the shape of each tap (a dummy input of `input_shape` (1, bands, frames) is run through it),
    the taps ScoreSubnet reads at each level (activations and gradients, or gradients alone), and
    the decoder's width and FiLM blocks per level, coarse to fine, up to the score."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn
    from matplotlib.patches import FancyBboxPatch

    subnet = getattr(subnet, "backbone", subnet)  # a ScoreModel holds it inside its preconditioning
    classifier = subnet.classifier
    with torch.no_grad():
        param = next(classifier.parameters())
        x = torch.zeros(1, *input_shape, dtype=param.dtype, device=param.device)
        _, taps = classifier(x, torch.ones(1, dtype=param.dtype, device=param.device), return_taps=True)
    shapes = [tuple(t.shape[1:]) for t in taps]
    cfg, n = subnet.cfg, len(shapes)
    reads = "activations + gradients" if subnet.use_features else "gradients only"
    fig, ax = plt.subplots(figsize=(9.0, 1.3 * n + 2.2), constrained_layout=True)
    ax.set_xlim(0, 10)
    ax.set_ylim(-1.6, n + 0.9)
    ax.axis("off")

    def box(xc, yc, text, color, width=3.0):
        ax.add_patch(FancyBboxPatch((xc - width / 2, yc - 0.32), width, 0.64, boxstyle="round,pad=0.05",
                                    fc=color, ec="0.3", lw=0.8))
        ax.text(xc, yc, text, ha="center", va="center", fontsize=8.5)

    def arrow(x0, y0, x1, y1, text="", color="0.3"):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.0})
        if text and y0 == y1:  # across: the label above the arrow
            ax.text((x0 + x1) / 2, y0 + 0.06, text, ha="center", va="bottom", fontsize=7.5, color=color)
        elif text:  # upward: the label beside it
            ax.text(x0 + 0.1, (y0 + y1) / 2, text, ha="left", va="center", fontsize=7.5, color=color)

    bands, frames = input_shape[1:]
    box(1.8, -1.0, f"noisy log-Mel x, σ\n1 × {bands} × {frames}", "white")
    for i, (c, h, w) in enumerate(shapes):  # finest (i = 0) at the bottom
        box(1.8, i, f"classifier stage {i + 1} (frozen)\ntap {c} × {h} × {w}", "#dfe7f2")
        arrow(1.8, i - 1 + 0.34, 1.8, i - 0.34)
        extra = ", self-attention" if i == n - 1 else ""
        box(8.2, i, f"level {i + 1}: width {cfg.widths[i]}\n{cfg.blocks[i]} FiLM block(s){extra}", "#f5e6cc")
        arrow(3.42, i, 6.58, i, f"{reads}\nRMS-normalised, 1×1 conv", color="#8a5a00")
        if i < n - 1:
            arrow(8.2, i + 1 - 0.34, 8.2, i + 0.34, "upsample")
    box(1.8, n, "logits → log p(y | x, σ)\n(classifier guidance)", "#dfe7f2")
    arrow(1.8, n - 1 + 0.34, 1.8, n - 0.34)
    box(8.2, -1.0, f"score model output\n1 × {bands} × {frames}", "white")
    arrow(8.2, -0.34, 8.2, -1.0 + 0.34)
    ax.text(1.8, n + 0.62, "classifier (trained first, then frozen)", ha="center", fontsize=9, weight="bold")
    ax.text(8.2, n + 0.62, f"ScoreSubnet ({reads}; trained)", ha="center", fontsize=9, weight="bold")
    return _finish(fig)


def plot_score_fields(fields: dict[str, callable], sigma: float, lim: float = 4.0, n: int = 21):
    """Arrows of several score functions score(x, sigma) of 2-D points, on one grid, side by side."""
    g = torch.linspace(-lim, lim, n)
    xx, yy = torch.meshgrid(g, g, indexing="xy")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
    level = torch.full((pts.shape[0],), float(sigma))
    fig, axes = _grid(len(fields), len(fields), 4.0 * len(fields), 4.0)
    for ax, (title, fn) in zip(axes, fields.items()):
        with torch.no_grad():
            v = fn(pts, level).cpu()
        ax.quiver(pts[:, 0], pts[:, 1], v[:, 0], v[:, 1], angles="xy")
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=9)
    return _finish(fig)


def plot_trajectories(paths: torch.Tensor, final: torch.Tensor | None = None, lim: float = 5.0, title: str = ""):
    """Lines of (steps, n, 2) sampler trajectories, with their end points."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    fig, ax = plt.subplots(figsize=(4.5, 4.5), constrained_layout=True)
    paths = paths.detach().cpu()
    for i in range(paths.shape[1]):
        ax.plot(paths[:, i, 0], paths[:, i, 1], lw=0.6, alpha=0.7)
    end = paths[-1] if final is None else final.detach().cpu()
    ax.scatter(end[:, 0], end[:, 1], s=8, c="k", zorder=3)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    return _finish(fig)


def plot_curves(curves: dict[str, tuple], xlabel: str = "", ylabel: str = "", logx: bool = False,
                ylim: tuple[float, float] | None = None, reference: float | None = None,
                reference_label: str = ""):
    """Lines with markers for {name: (xs, ys)}; an optional dashed horizontal reference line."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    fig, ax = plt.subplots(figsize=(6, 3.2), constrained_layout=True)
    for name, (xs, ys) in curves.items():
        ax.plot(list(xs), list(ys), marker="o", ms=4, label=name)
    if reference is not None:
        ax.axhline(reference, ls="--", lw=1, c="gray", label=reference_label or None)
    if logx:
        ax.set_xscale("log")
        xs = sorted({float(x) for xs, _ in curves.values() for x in xs})
        if len(xs) <= 12:  # few points: label them as plain numbers, not powers of ten
            ax.set_xticks(xs, [f"{x:g}" for x in xs])
            ax.xaxis.set_minor_locator(plt.NullLocator())
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _finish(fig)


def plot_confusion(matrix: torch.Tensor, label_names, title: str = "", xlabel: str = "heard",
                   ylabel: str = "requested"):
    """A confusion matrix of counts (rows: requested, columns: heard) with the counts written in."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    m = matrix.detach().cpu().numpy()
    fig, ax = plt.subplots(figsize=(4.6, 4.2), constrained_layout=True)
    ax.imshow(m, cmap="Blues", vmin=0)
    ticks = range(len(label_names))
    ax.set_xticks(ticks, label_names, rotation=90, fontsize=7)
    ax.set_yticks(ticks, label_names, fontsize=7)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j]:
                ax.text(j, i, str(int(m[i, j])), ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    return _finish(fig)


def plot_maps(maps: dict[str, torch.Tensor], ncols: int = 4, cmap: str = "RdBu_r", symmetric: bool = True):
    """A grid of 2-D maps (e.g. one channel of a classifier tap), each on its own colour scale,
    axes in rows and columns of the map (frequency up, time right)."""
    fig, axes = _grid(len(maps), ncols, 2.6 * ncols, 2.0)
    for ax, (title, m) in zip(axes, maps.items()):
        m = m.detach().cpu().float().reshape(m.shape[-2], m.shape[-1]).numpy()
        bound = float(np.abs(m).max()) or 1.0
        ax.imshow(m, origin="lower", aspect="auto", cmap=cmap,
                  vmin=-bound if symmetric else None, vmax=bound if symmetric else None)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    return _finish(fig)


def plot_loss_curves(runs: dict[str, object], smooth: int = 20):
    """Running means (over `smooth` logged values) of the training loss of several runs,
    {name: metrics.jsonl path}, on one log-scale axis."""
    import matplotlib.pyplot as plt  # heavy: only where a figure is drawn

    fig, ax = plt.subplots(figsize=(7, 3), constrained_layout=True)
    for name, path in runs.items():
        steps, loss = _losses(path)
        ax.plot(*_running_mean(steps, loss, min(smooth, len(loss))), lw=1.5, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel(f"loss (mean of {smooth} logs)")
    ax.set_yscale("log")
    ax.legend()
    return _finish(fig)


# the report's figures (`scorelab.report` rows, as report.json stores them)
def _main_rows(report: dict, regime: str | None = None) -> list[dict]:
    return [r for r in report["rows"] if r["row"]["gamma"] in (0.0, DEFAULT_GAMMA) and regime in (None, r["row"]["regime"])]


def plot_fid_by_regime(report: dict):
    """FID of each model (unconditional and gamma 3) in each data regime."""
    curves = {}
    for r in _main_rows(report):
        xs, ys = curves.setdefault(r["name"], ([], []))
        xs.append(r["row"]["regime"])
        ys.append(r["fid"])
    return plot_curves(curves, xlabel="data regime", ylabel="FID (lower is better)")


def plot_by_gamma(report: dict, metric: str = "accuracy"):
    """A metric of the guided full-data models against the guidance strength gamma."""
    curves = {}
    for r in report["rows"]:
        if r["row"]["regime"] == "full" and r["row"]["model"] != "Gradient taps" and r["row"]["gamma"] and metric in r:
            curves.setdefault(r["row"]["model"] + (" + Classifier" if r["row"]["model"] == "U-Net" else ""),
                              []).append((r["row"]["gamma"], r[metric]))
    curves = {k: ([g for g, _ in sorted(v)], [m for _, m in sorted(v)]) for k, v in curves.items()}
    label = {"accuracy": "judge agrees with the request", "fid": "FID"}.get(metric, metric)
    return plot_curves(curves, xlabel="guidance strength γ", ylabel=label, logx=True)


def plot_fid_vs_compute(report: dict):
    """FID against GMACs per generated clip for the full-data models."""
    points = {r["name"]: ([r["gmacs_per_clip"]], [r["fid"]]) for r in _main_rows(report, "full")}
    return plot_curves(points, xlabel="GMACs per generated clip", ylabel="FID (lower is better)")


def write_report_figures(report: dict, folder: Path) -> dict[str, Path]:
    """The report's figures (`scorelab.report`) as PNG files in folder."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = {"fid_by_regime": plot_fid_by_regime(report), "fid_vs_compute": plot_fid_vs_compute(report)}
    if any(r["row"]["regime"] == "full" and r["row"]["gamma"] and r["row"]["model"] != "Gradient taps"
           for r in report["rows"]):
        figures.update(accuracy_by_gamma=plot_by_gamma(report, "accuracy"), fid_by_gamma=plot_by_gamma(report, "fid"))
    paths = {}
    for name, fig in figures.items():
        paths[name] = folder / f"{name}.png"
        fig.savefig(paths[name], dpi=120)
    return paths

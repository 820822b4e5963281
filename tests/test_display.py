"""Players embed real WAV audio; the plotting helpers draw what they are given."""
import base64
import io
import re
import wave

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")

from scorelab.display import plot_histograms, plot_log_mels, plot_waveforms, players, wav_bytes  # noqa: E402


def test_wav_bytes_decode_to_the_clip():
    x = torch.sin(torch.linspace(0, 100, 1600)) * 0.5
    with wave.open(io.BytesIO(wav_bytes(x, 16000, peak=None))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (16000, 1, 1600)
        pcm = np.frombuffer(w.readframes(1600), "<i2") / 32767
    np.testing.assert_allclose(pcm, x.numpy(), atol=1e-4)


def test_players_embed_one_audio_element_per_clip():
    page = players({"a <b>": torch.zeros(100), "c": torch.ones(100) * 0.1})._repr_html_()
    assert page.count("<audio controls") == 2 and "a &lt;b&gt;" in page
    blobs = re.findall(r"base64,([A-Za-z0-9+/=]+)", page)
    assert all(base64.b64decode(b)[:4] == b"RIFF" for b in blobs)


def test_plots_have_one_axes_per_item():
    mels = {str(i): torch.randn(80, 63) for i in range(7)}
    assert len([a for a in plot_log_mels(mels, ncols=5).axes if a.get_visible()]) == 7 + 1  # + colour bar
    assert len([a for a in plot_waveforms({"x": torch.randn(16000)}).axes if a.get_visible()]) == 1
    fig = plot_histograms({"a": torch.randn(100), "b": torch.randn(100) + 2})
    assert len(fig.axes[0].patches) == 2 * 80


def test_toy_plots():
    from scorelab.display import plot_point_clouds, plot_score_fields, plot_trajectories

    assert len(plot_point_clouds({"a": torch.randn(50, 2), "b": torch.randn(50, 2)}).axes) >= 2
    fig = plot_score_fields({"minus x": lambda x, s: -x}, sigma=0.1, n=5)
    assert fig.axes[0].collections[0].N == 25  # one arrow per grid point
    assert len(plot_trajectories(torch.randn(10, 3, 2)).axes[0].lines) == 3


def test_curves_confusion_and_maps():
    from scorelab.display import plot_confusion, plot_curves, plot_maps

    fig = plot_curves({"a": ([0.1, 1, 10], [0.9, 0.5, 0.1]), "b": ([1, 2], [0.2, 0.3])}, logx=True,
                      reference=0.1, reference_label="chance")
    ax = fig.axes[0]
    assert len(ax.lines) == 3 and ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.9, 0.5, 0.1])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "1", "2", "10"]  # the points, plainly
    matrix = torch.tensor([[3, 1], [0, 4]])
    fig = plot_confusion(matrix, ["zero", "one"])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "3", "4"]  # zero cells stay blank
    fig = plot_maps({f"c{i}": torch.randn(10, 8) for i in range(5)}, ncols=4)
    assert len([a for a in fig.axes if a.get_visible()]) == 5


def test_loss_curves_are_running_means(tmp_path):
    import json

    from scorelab.display import plot_loss_curves

    for name, level in (("a", 1.0), ("b", 2.0)):
        rows = [{"step": 25 * (i + 1), "loss": level + (0.5 if i % 2 else -0.5)} for i in range(10)]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    fig = plot_loss_curves({n: tmp_path / f"{n}.jsonl" for n in "ab"}, smooth=2)
    a, b = fig.axes[0].lines
    np.testing.assert_allclose(a.get_ydata(), 1.0)  # alternating +-0.5 averages out over 2 logs
    np.testing.assert_allclose(b.get_ydata(), 2.0)
    assert list(a.get_xdata()) == [25 * i for i in range(2, 11)]


def test_point_cloud_animation_plays_every_frame_as_html():
    from scorelab.display import Animation, animate_point_clouds

    g = torch.Generator().manual_seed(0)
    films = {"sde": [(1 - k / 9, torch.randn(50, 2, generator=g) * (3 - k / 4)) for k in range(10)],
             "ode": [(1 - k / 4, torch.randn(50, 2, generator=g)) for k in range(5)]}
    anim = animate_point_clouds(films, reference=torch.randn(30, 2, generator=g), frames=6)
    assert isinstance(anim, Animation) and anim.frames == 6
    html_text = anim._repr_html_()
    assert html_text.count("data:image/png;base64,") == 6 and "<script" in html_text
    # it plays offline: nothing fetched from the internet, the buttons drawn with characters
    assert "http://" not in html_text and "https://" not in html_text and 'class="fa ' not in html_text
    assert html_text.count('<span aria-hidden="true">') == 9 and 'title="Play"' in html_text
    assert repr(anim) == "Animation(6 frames: sde, ode)"
    with pytest.raises(ValueError, match="at least one"):
        animate_point_clouds({"empty": []})


def test_subnet_diagram_is_drawn_from_the_models_own_shapes():
    from scorelab.config import get_profile
    from scorelab.display import plot_subnet_diagram
    from scorelab.models import build_models

    models = build_models(get_profile("micro"))
    texts = " | ".join(t.get_text() for t in plot_subnet_diagram(models.subnet, models.input_shape).axes[0].texts)
    classifier = models.subnet.backbone.classifier
    _, taps = classifier(torch.zeros(1, *models.input_shape), torch.ones(1), return_taps=True)
    for i, tap in enumerate(taps):
        c, h, w = tap.shape[1:]
        assert f"classifier stage {i + 1} (frozen)\ntap {c} × {h} × {w}" in texts
        assert f"level {i + 1}: width {models.subnet.backbone.cfg.widths[i]}" in texts
    assert "activations + gradients" in texts and "1 × 80 × 63" in texts
    variant = " | ".join(t.get_text() for t in
                         plot_subnet_diagram(models.subnet_gradtaps, models.input_shape).axes[0].texts)
    assert "gradients only" in variant and "activations + gradients" not in variant

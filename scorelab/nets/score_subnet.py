"""ScoreSubnet: a score model made from a frozen noise-conditioned classifier (Makarov & Gerkmann,
Interspeech 2026; the details below are scorelab's reading of the published summary).

For a noisy input x at noise level sigma the frozen classifier gives, at each of its taps
(stage outputs, finest first), the activation h_i ("feature taps") and the gradient of the
JEM-style log-density logsumexp(logits) with respect to h_i ("gradient taps"). ScoreSubnet
normalises each tap per example to unit RMS (gradients and activations live on very different
scales), projects feature and gradient taps of a level together with a 1x1 convolution (or, with
`fusion="gated"`, lets a sigmoid gate computed from both choose, per position and channel, between
their separate projections), fuses the coarsest level with self-attention, and decodes from coarse to fine with FiLM residual
blocks and upsampling, adding each finer level's projection on the way, to an input-sized
output. Like the U-Net it is a backbone F(x, sigma) inside `ScoreModel`'s preconditioning.

The gradient-taps variant (`taps="gradients"`) reads the gradient taps alone: no feature-tap
projections, so fewer parameters and MACs. The classifier is frozen: its parameters never get
gradients or optimiser state, and it stays in eval mode.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .layers import FiLMResBlock, NoiseEmbedding, SelfAttention2d, Upsample, group_norm

TAP_KINDS = ("features+gradients", "gradients")
FUSIONS = ("concat", "gated")


def rms_normalize(h: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Scale every example of (batch, ...) to unit root-mean-square."""
    return h * torch.rsqrt(h.pow(2).flatten(1).mean(dim=1).clamp_min(eps)).view(-1, *[1] * (h.dim() - 1))


def classifier_pass(classifier, x: torch.Tensor, sigma: torch.Tensor, gradients: bool = True, input_objective=None):
    """One forward pass of the frozen classifier and what is taken from it, all detached:
    (logits, feature taps, gradient taps or None, grad_x input_objective(logits) or None).
    The gradient taps are those of logsumexp(logits) with respect to each tap (a backward pass
    from the logits down to the finest tap and no further). With `input_objective`, a scalar
    function of the logits, one more backward pass from it to x reuses the same graph: that is
    how classifier guidance shares ScoreSubnet's forward pass (`guidance.guided_score`)."""
    with torch.enable_grad():
        x_in = x.detach().requires_grad_(gradients or input_objective is not None)  # builds a graph
        logits, taps = classifier(x_in, sigma, return_taps=True)
        grads = input_grad = None
        if gradients:
            grads = torch.autograd.grad(torch.logsumexp(logits, dim=-1).sum(), taps,
                                        retain_graph=input_objective is not None)
            grads = [g.detach() for g in grads]
        if input_objective is not None:
            input_grad = torch.autograd.grad(input_objective(logits), x_in)[0]
    return logits.detach(), [t.detach() for t in taps], grads, input_grad


def classifier_taps(classifier, x: torch.Tensor, sigma: torch.Tensor, gradients: bool = True):
    """(logits, feature taps, gradient taps or None), all detached: `classifier_pass` without an
    input objective."""
    return classifier_pass(classifier, x, sigma, gradients)[:3]


class ScoreSubnet(nn.Module):
    takes_raw_input = True  # ScoreModel passes x unscaled: the classifier scales its own input
    # torch.compile (torch 2.9) cannot trace the torch.autograd.grad of the gradient taps inside
    # forward ("One of the differentiated Tensors appears to not have been used in the graph")
    compilable = False

    def __init__(self, classifier: nn.Module, cfg):
        super().__init__()
        if cfg.taps not in TAP_KINDS:
            raise ValueError(f"unknown taps {cfg.taps!r}; choose one of {', '.join(TAP_KINDS)}")
        if len(cfg.widths) != len(classifier.tap_channels) or len(cfg.blocks) != len(cfg.widths):
            raise ValueError(f"ScoreSubnet needs one width and one block count per classifier tap "
                             f"({len(classifier.tap_channels)}); got widths {cfg.widths}, blocks {cfg.blocks}")
        if cfg.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {cfg.fusion!r}; choose one of {', '.join(FUSIONS)}")
        self.cfg = cfg
        self.classifier = classifier.requires_grad_(False).eval()
        self.use_features = cfg.taps == "features+gradients"
        self.gated = self.use_features and cfg.fusion == "gated"  # one stream has nothing to fuse
        channels = list(zip(classifier.tap_channels, cfg.widths))
        self.embed = NoiseEmbedding(cfg.emb_dim)
        per_tap = 2 if self.use_features and not self.gated else 1
        self.proj = nn.ModuleList(nn.Conv2d(per_tap * c, w, 1) for c, w in channels)  # gradients (and features)
        if self.gated:
            self.feature_proj = nn.ModuleList(nn.Conv2d(c, w, 1) for c, w in channels)
            self.gate = nn.ModuleList(nn.Conv2d(2 * c, w, 1) for c, w in channels)
        self.attention = SelfAttention2d(cfg.widths[-1], cfg.heads)
        self.blocks = nn.ModuleList(
            nn.ModuleList(FiLMResBlock(w, w, cfg.emb_dim) for _ in range(n)) for w, n in zip(cfg.widths, cfg.blocks))
        self.ups = nn.ModuleList(
            nn.Sequential(Upsample(cfg.widths[i + 1]), nn.Conv2d(cfg.widths[i + 1], cfg.widths[i], 1))
            for i in range(len(cfg.widths) - 1))
        self.head = nn.Sequential(group_norm(cfg.widths[0]), nn.SiLU(), nn.Conv2d(cfg.widths[0], 1, 3, padding=1))

    def train(self, mode: bool = True):
        super().train(mode)
        self.classifier.eval()  # frozen: no dropout, no batch statistics
        return self

    def level(self, i: int, feat: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """The decoder's input at depth i from the normalised feature and gradient taps."""
        if not self.use_features:
            return self.proj[i](grad)
        if not self.gated:
            return self.proj[i](torch.cat([feat, grad], dim=1))
        gate = torch.sigmoid(self.gate[i](torch.cat([feat, grad], dim=1)))
        return gate * self.feature_proj[i](feat) + (1 - gate) * self.proj[i](grad)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, taps=None) -> torch.Tensor:
        """taps: (feature taps, gradient taps) of this classifier at (x, sigma) when the caller has
        them already (`guidance.guided_score` shares one classifier pass with guidance)."""
        feats, grads = taps if taps is not None else classifier_taps(self.classifier, x, sigma)[1:]
        emb = self.embed(sigma)
        levels = [self.level(i, rms_normalize(feats[i]), rms_normalize(grads[i])) for i in range(len(self.proj))]
        h = self.attention(levels[-1])  # fuse the coarsest, most abstract level globally
        for i in reversed(range(len(levels))):
            if i < len(levels) - 1:
                up = self.ups[i](h)
                h = levels[i] + up[..., : levels[i].shape[-2], : levels[i].shape[-1]]
            for block in self.blocks[i]:
                h = block(h, emb)
        out = self.head(h)
        return F.pad(out, (0, x.shape[-1] - out.shape[-1], 0, x.shape[-2] - out.shape[-2]))

"""Feature extractors for evaluation: each turns 16 kHz clips into pooled features and class
probabilities, from which `scorelab.metrics` computes FID, IS, mIS, AM and accuracy.

- `ScorelabExtractor`: scorelab's own evaluation classifier (trained on clean clips; never the
  guiding classifier). The default; works offline with the shipped checkpoint.
- `SC09Extractor`: the public SC09 ResNeXt with its own mel front end, so numbers compare with
  published SC09 results. Needs that checkpoint (a path, a URL or $SCORELAB_SC09_RESNEXT).

Numbers from different extractors are not comparable.
"""
from __future__ import annotations

import os

import torch

from .audio import LogMel, fix_length, normalize
from .classify import default_batch
from .config import DIGITS
from .download import download_once
from .kinds import get_kind
from .models import classifier_labels, load_trained
from .nets.resnext import load_sc09_resnext, sc09_mel


class ScorelabExtractor:
    """Pooled features and probabilities of a scorelab classifier (run folder or exported file),
    read at the lowest noise level of its SDE, on centred 1 s clips."""

    name = "scorelab"

    def __init__(self, checkpoint: str | os.PathLike, device: str = "cpu"):
        self.model, self.profile, kind = load_trained(checkpoint, device)
        if get_kind(kind).is_score_model:
            raise ValueError(f"{checkpoint} holds a {kind} model; features need a classifier "
                             "(the evaluation classifier, e.g. evalclassifier-tiny-fsdd.pt)")
        self.label_names = classifier_labels(checkpoint)
        self.device = device
        self.checkpoint = str(checkpoint)

    @torch.no_grad()
    def __call__(self, waves: list[torch.Tensor], batch: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        batch = batch or default_batch(self.device)
        front = LogMel(self.profile.mel).to(self.device)
        sigma = self.profile.sde.sigma_min
        feats, probs = [], []
        for start in range(0, len(waves), batch):
            chunk = torch.stack([fix_length(w, self.profile.mel.clip_samples) for w in waves[start:start + batch]])
            x = normalize(front(chunk.to(self.device)), self.profile.mel)[:, None]
            f, logits = self.model.features_and_logits(x, torch.full((len(x),), sigma, device=self.device))
            feats.append(f.cpu())
            probs.append(torch.softmax(logits.double(), -1).cpu())
        return torch.cat(feats), torch.cat(probs)


class SC09Extractor:
    """The public SC09 ResNeXt's 1024-d pooled features and probabilities, through its own front
    end (1 s cut or padded at the end, 32-band dB mel)."""

    name = "sc09-resnext"
    label_names = DIGITS

    def __init__(self, checkpoint: str | os.PathLike | None = None, device: str = "cpu"):
        checkpoint = checkpoint or os.environ.get("SCORELAB_SC09_RESNEXT")
        if not checkpoint:
            raise FileNotFoundError(
                "the SC09 ResNeXt needs its public checkpoint (resnext.pth of the SC09 evaluation code, "
                "as used by WaveGAN, DiffWave and SaShiMi); scorelab does not redistribute it. Pass its "
                "path or URL with --resnext, or set SCORELAB_SC09_RESNEXT, or evaluate with scorelab's "
                "own evaluation classifier (the default)")
        if str(checkpoint).startswith(("http://", "https://")):
            checkpoint = download_once(str(checkpoint), "the SC09 ResNeXt checkpoint")
        self.model = load_sc09_resnext(checkpoint, device)
        self.device = device
        self.checkpoint = str(checkpoint)

    @torch.no_grad()
    def __call__(self, waves: list[torch.Tensor], batch: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
        feats, probs = [], []
        for start in range(0, len(waves), batch):
            mels = torch.cat([sc09_mel(w) for w in waves[start:start + batch]]).to(self.device)
            f, logits = self.model.features_and_logits(mels)
            feats.append(f.cpu())
            probs.append(torch.softmax(logits.double(), -1).cpu())
        return torch.cat(feats), torch.cat(probs)

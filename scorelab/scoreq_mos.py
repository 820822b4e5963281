"""ScoreQ (Ragano et al.), an optional learned speech-quality metric: a no-reference MOS and a
distance to a clean reference. An extra (`pip install 'scorelab[pretrained]'`) whose package
downloads its ONNX weights into ~/.cache/scoreq on first use; every way that can fail (not
installed, offline, a broken download) becomes a RuntimeError that says what to do.
"""
from __future__ import annotations

import os
from pathlib import Path

from .audio import read_16k


_SCOREQ_WEIGHTS = ("ScoreQ fetches its weights from zenodo.org on first use (even on `import scoreq`) into "
                   "~/.cache/scoreq; run it once with a network connection, or copy that folder from a machine "
                   "that has it; the other metrics do not need it")


def _scoreq_weights_error(exc: Exception) -> RuntimeError:
    """What went wrong with ScoreQ's weights: not fetched (OSError: no network), or a cached file
    that onnxruntime refuses (truncated or corrupt download)."""
    if isinstance(exc, OSError):
        return RuntimeError(f"ScoreQ could not fetch its weights ({exc}). {_SCOREQ_WEIGHTS}")
    return RuntimeError(f"ScoreQ could not load its weights ({type(exc).__name__}: {exc}); delete "
                        "~/.cache/scoreq and let it fetch them again")


def scoreq_scores(folder: str | os.PathLike, reference_folder: str | os.PathLike | None = None) -> dict:
    """Mean ScoreQ no-reference MOS (higher is better) of the clips in folder and, with a folder
    of clean references holding a clip of the same name for each, the mean ScoreQ distance (lower
    is better). ScoreQ is an optional extra (`pip install 'scorelab[pretrained]'`) that downloads
    its weights (ONNX, into ~/.cache/scoreq) on first use, already when it is imported; without
    the package, without those weights and no network, or with a broken download, this raises
    RuntimeError saying which and what to do."""
    files = sorted(Path(folder).glob("*.wav"))
    if not files:
        raise ValueError(f"{folder}: no .wav clips to score with ScoreQ")
    refs = None
    if reference_folder is not None:
        refs = [Path(reference_folder) / f.name for f in files]
        missing = [r.name for r in refs if not r.is_file()]
        if missing:
            raise ValueError(f"ScoreQ's distance compares each clip with its own clean reference, but "
                             f"{reference_folder} lacks {len(missing)} of them ({', '.join(missing[:3])} ...); "
                             "give the reference folder a clip of the same name for every clip")
    try:
        import scoreq  # optional: an extra, with weights it fetches when imported
    except ImportError as exc:
        raise RuntimeError(f"ScoreQ is not installed or lacks a dependency ({exc}): pip install "
                           "'scorelab[pretrained]' (or pip install scoreq); the other metrics do not need it") from None
    except Exception as exc:  # scoreq 1.0 builds a default model when imported, downloading its weights
        raise _scoreq_weights_error(exc) from exc

    def model(mode):
        m = scoreq.Scoreq(data_domain="natural", mode=mode)
        # ScoreQ reads clips with torchaudio.load, which from torchaudio 2.9 on needs torchcodec and
        # FFmpeg; it gets scorelab's reader instead (the same mono 16 kHz waveform, shape (1, N))
        m.load_processing = lambda path, target_sr=16000: read_16k([path])[0][None]
        return m

    try:
        nr = model("nr")
        mos = [float(nr.predict(test_path=str(f), ref_path=None)) for f in files]
        out = {"scoreq_mos": sum(mos) / len(mos)}
        if refs is not None:
            ref_model = model("ref")
            dist = [float(ref_model.predict(test_path=str(f), ref_path=str(r))) for f, r in zip(files, refs)]
            out["scoreq_distance"] = sum(dist) / len(dist)
        return out
    except Exception as exc:
        if isinstance(exc, OSError) or type(exc).__module__.startswith("onnxruntime"):
            raise _scoreq_weights_error(exc) from exc
        raise

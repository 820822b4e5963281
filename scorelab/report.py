"""The paper's comparison, rebuilt at any profile: every model in every data regime, sampled,
evaluated and costed, written as Markdown and JSON tables and figures.

Rows: U-Net (unconditional), U-Net + Classifier, ScoreSubnet (unconditional and guided) and its
gradient-taps variant, in the full, 3-label and single-label regimes, plus a guidance-strength
sweep in the full regime. Models come from a checkpoints folder (`{kind}{-3labels|-1label}-
{profile}-{data}.pt`, as `book/checkpoints` ships them) or are trained into the output folder.

Resumable: each row's samples and metrics are written to their own files once complete, and a
rerun skips what is done (killed halfway, it continues with the rows left).
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import torch

from .audio import to_audio, write_audio
from .checkpoints import file_digest, save_atomic
from .compute import PAPER_TABLE, compute_table, format_table, step_cost
from .config import Profile, get_profile
from .display import plot_by_gamma, plot_fid_by_regime, plot_fid_vs_compute, write_report_figures
from .evaluate import FeatureSet, ScorelabExtractor, features_of, read_clips, reference_features, scores, seen_and_unseen
from .generate import generate, to_log_mel
from .guidance import DEFAULT_GAMMA
from .kinds import get_kind, guiding_classifier
from .markdown import markdown_table
from .metrics import LITERATURE_IS_ESTIMATOR, WAVEGAN_SPLITS
from .paths import write_atomic
from .models import count_parameters, export, load_trained, training_clips
from .comparison import REGIMES, Row, paper_rows
from .runs import checkpoint_name, train_score_model



class Models:
    """Finds (or trains and exports) each model the report needs, loading each once."""

    def __init__(self, profile: Profile, profile_name: str, checkpoints: Path, out: Path, device: str, log,
                 train_missing: bool = True):
        self.profile, self.profile_name, self.checkpoints = profile, profile_name, checkpoints
        self.out, self.device, self.log, self._cache = out, device, log, {}
        self.costs = {}  # (kind, regime, guided) -> what one sampling step costs (`row_cost`)
        self.train_missing = train_missing

    def find(self, kind: str, regime: str = "full") -> Path | None:
        """The model's file if it is there (checkpoints folder first, then OUT/checkpoints), else None."""
        name = checkpoint_name(kind, self.profile, regime)
        for folder in (self.checkpoints, self.out / "checkpoints"):
            if folder is not None and (folder / name).is_file():
                return folder / name
        return None

    def path(self, kind: str, regime: str = "full") -> Path:
        """The model's file, trained and exported first when it is missing (if train_missing)."""
        name = checkpoint_name(kind, self.profile, regime)
        found = self.find(kind, regime)
        if found is None and not self.train_missing:
            raise FileNotFoundError(f"{name}: not in {self.checkpoints} nor in {self.out / 'checkpoints'}, and this report "
                                    "was asked not to train; run `python -m scorelab report` to train what is missing")
        return found or self._train(kind, regime, name)

    def _train(self, kind: str, regime: str, name: str) -> Path:
        labels = REGIMES[regime] or self.profile.data.labels
        profile = self.profile.replace(data=dataclasses.replace(self.profile.data, labels=labels))
        run = self.out / "runs" / name[:-3]
        self.log(f"{name} not found: training it in {run}")
        classifier = self.path("classifier") if get_kind(kind).on_classifier else None
        train_score_model(kind, profile, run, device=self.device, progress=False, log=self.log,
                          classifier_run=classifier)
        (self.out / "checkpoints").mkdir(parents=True, exist_ok=True)
        target = self.out / "checkpoints" / name
        if classifier is not None and classifier.parent != target.parent:
            # an exported subnet finds its classifier beside it
            shutil.copy2(classifier, target.parent / classifier.name)
        return export(run, target)

    def guide(self, kind: str, model):
        """The classifier that guides `model`: a subnet's own frozen classifier, else the shipped one."""
        return guiding_classifier(kind, model, None if get_kind(kind).on_classifier else self.load("classifier"))

    def load(self, kind: str, regime: str = "full"):
        if (kind, regime) not in self._cache:
            path = self.path(kind, regime)
            self._cache[kind, regime] = load_trained(path, self.device)[0]
        return self._cache[kind, regime]


def made_with(row: Row, models: Models) -> dict | None:
    """The model files a row depends on, {role: "name:digest"}: the score model, the classifier
    that guides a U-Net, and the judge; None when one of them is not there (nothing is trained
    to find out). A stored row whose files differ is stale."""
    paths = {"model": models.find(row.kind, row.regime), "judge": models.find("evalclassifier")}
    if row.gamma and not get_kind(row.kind).on_classifier:
        paths["classifier"] = models.find("classifier")
    if None in paths.values():
        return None
    return {role: f"{p.name}:{file_digest(p)}" for role, p in paths.items()}


def _write_json(path: Path, data) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1) + "\n"))


class _Counted(torch.nn.Module):
    """Counts the score model's evaluations per sample (network evaluations, NFE)."""

    def __init__(self, model):
        super().__init__()
        self.model, self.samples_seen = model, 0

    def forward(self, x, sigma):
        self.samples_seen += x.shape[0]
        return self.model(x, sigma)


def sample_row(row: Row, models: Models, profile: Profile, n: int, folder: Path, seed: int, steps: int,
               log) -> dict:
    """Generate n clips for a row into folder (guided rows: n // classes per label, named
    '{label}_{i}.wav'), once; returns the row's timing record."""

    done = folder / "done.json"
    if done.is_file():
        return json.loads(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    model = models.load(row.kind, row.regime)
    classifier = labels = names = None
    label_names = profile.data.labels
    if row.gamma:
        classifier = models.guide(row.kind, model)
        labels = torch.arange(len(label_names)).repeat_interleave(max(1, n // len(label_names)))
        names = [f"{label_names[int(y)]}_{i:03d}" for i, y in enumerate(labels)]
    count = len(labels) if labels is not None else n
    names = names or [f"sample_{i:03d}" for i in range(count)]
    counted = _Counted(model)
    log(f"{row.regime:>8} | {row.name}: sampling {count} clips")
    started = time.perf_counter()
    x = generate(counted, profile, count, profile.sample.sampler, steps, seed, device=models.device,
                 classifier=classifier, labels=labels, gamma=row.gamma or DEFAULT_GAMMA)
    sampling_s = time.perf_counter() - started
    started = time.perf_counter()
    audio = to_audio(x.cpu(), profile.mel)
    vocoding_s = time.perf_counter() - started
    for name, wave in zip(names, audio):
        write_audio(folder / f"{name}.wav", wave, profile.mel.sample_rate)
    record = {"clips": count, "sampling_s": sampling_s, "vocoding_s": vocoding_s,
              "nfe_per_clip": counted.samples_seen / count, "audio_s": count * profile.mel.clip_samples /
              profile.mel.sample_rate, "device": str(models.device), "sampler": profile.sample.sampler,
              "steps": steps, "seed": seed}
    _write_json(done, record)
    return record


def _clips(row: Row, models: Models) -> dict:
    """The training clips the row's model saw (None: not recorded), read from its file."""
    path = models.find(row.kind, row.regime)
    return {"training_clips": None if path is None else training_clips(path)}


def row_cost(row: Row, models: Models) -> dict:
    """What one sampling step of the row's own model costs (`compute.step_cost`), counted on the
    model file the row uses, so a model of another size or fusion than the profile's is costed as
    it is."""
    key = (row.kind, row.regime, bool(row.gamma))
    if key not in models.costs:  # the gamma sweep's rows share their model's cost
        model = models.load(row.kind, row.regime)
        classifier = models.guide(row.kind, model) if row.gamma else None
        shape = (1, models.profile.mel.n_mels, models.profile.mel.n_frames)
        models.costs[key] = step_cost(model, classifier, shape, conditional=bool(row.gamma))
    return models.costs[key]


def _cost_fields(cost: dict, nfe_per_clip: int) -> dict:
    """A row's compute columns from its compute-table entry and score evaluations per clip."""
    return {"total_params": cost["total_params"], "gmacs_per_evaluation": cost["gmacs"],
            "nfe_per_clip": nfe_per_clip, "gmacs_per_clip": cost["gmacs"] * nfe_per_clip}


def _report_profile(profile_name: str, data: str | None, data_root: str | None) -> Profile:
    profile = get_profile(profile_name)
    if data or data_root:
        profile = profile.replace(data=dataclasses.replace(profile.data, source=data or profile.data.source,
                                                           root=data_root or profile.data.root))
    return profile


def _check_settings(out: Path, settings: dict) -> None:
    """Record the report's settings in out/settings.json, or refuse to continue a report made
    with other settings."""
    settings_file = out / "settings.json"
    if not settings_file.is_file():
        _write_json(settings_file, settings)
        return
    before = json.loads(settings_file.read_text())
    changed = {k: (before.get(k), v) for k, v in settings.items() if before.get(k) != v}
    if changed:
        raise ValueError(f"{out} holds a report made with other settings ("
                         + "; ".join(f"{k}: {a} there, {b} now" for k, (a, b) in changed.items())
                         + "); rerun with the same settings to continue it, or pass another --out")


class _Reference:
    """The judge's features of the reference (training) clips, computed when first asked for
    and kept in out/reference-features.pt for the same judge and data."""

    def __init__(self, extractor, judge_path: Path, profile: Profile, out: Path):
        self.extractor, self.profile, self.file = extractor, profile, out / "reference-features.pt"
        # by content: a judge trained again has the same name and, as a rule, the same size
        self.judge_id = f"{judge_path.name}:{file_digest(judge_path)}:{profile.data.source}"
        self._ref = None

    def __call__(self):
        if self._ref is None:
            stored = torch.load(self.file, weights_only=True) if self.file.is_file() else None
            if stored is not None and stored.get("judge") == self.judge_id:
                self._ref = FeatureSet(stored["features"], stored["probs"], stored["labels"])
            else:
                self._ref = reference_features(self.extractor, self.profile.data.source, self.profile.data.root)
                save_atomic({"judge": self.judge_id, "features": self._ref.features, "probs": self._ref.probs,
                             "labels": self._ref.labels, "clips": len(self._ref)}, self.file)
        return self._ref


def _stored_row(row: Row, models: Models, metrics_file: Path, log) -> dict | None:
    """A row's stored result if it still holds (made with today's model files, or those files
    are gone), with its compute and training columns counted afresh; else None. A row whose
    score model is new is sampled again; one whose judge alone is new keeps its clips (when they
    are still there) and is only judged again."""
    if not metrics_file.is_file():
        return None
    stored, files = json.loads(metrics_file.read_text()), made_with(row, models)
    if files is None:  # its model files are gone (deleted to save space): keep it, do not retrain
        log(f"{row.regime:>8} | {row.name}: stored row kept; its model files are not here to check it against")
        return stored
    if stored.get("made_with") == files:
        stored.update(_cost_fields(row_cost(row, models), stored["nfe_per_clip"]), **_clips(row, models))
        return stored
    before = stored.get("made_with") or {}
    changed = sorted(role for role in set(files) | set(before) if files.get(role) != before.get(role))
    sampled = metrics_file.parent.parent / "samples" / row.key / "done.json"
    if changed == ["judge"] and sampled.is_file():  # a new judge: the clips stand, only the judging runs again
        log(f"{row.regime:>8} | {row.name}: stored row was judged by another judge ({before['judge']}, now "
            f"{files['judge']}); judging its clips again")
        return None
    log(f"{row.regime:>8} | {row.name}: stored row was made with other model files "
        f"({stored.get('made_with', 'not recorded')}, now {files}); computing it again")
    sampled.unlink(missing_ok=True)
    return None


def _compute_row(row: Row, models: Models, samples: Path, reference: _Reference, n: int, seed: int,
                 steps: int, log) -> dict:
    """Sample a row's clips into `samples`, let the judge score them, and cost the row."""
    timing = sample_row(row, models, models.profile, n, samples, seed, steps, log)
    extractor = reference.extractor
    clips = read_clips(samples, extractor.label_names)
    result = {"row": asdict(row), "name": row.name, "key": row.key, "made_with": made_with(row, models)}
    generated = features_of(extractor, clips.waves, clips.labels)
    result.update(scores(generated, reference()))
    if REGIMES[row.regime] and row.gamma:  # guided toward every label, some never trained on
        result.update(seen_and_unseen(generated, reference(), extractor.label_names, REGIMES[row.regime]))
    result["reference_clips"] = len(reference())
    model = models.load(row.kind, row.regime)
    result.update({"trainable_params": count_parameters(model, trainable_only=True), **_clips(row, models),
                   **_cost_fields(row_cost(row, models), timing["nfe_per_clip"]),
                   "sampling_s_per_audio_s": timing["sampling_s"] / timing["audio_s"], "timing": timing})
    log(f"{row.regime:>8} | {row.name}: FID {result['fid']:.2f}, IS {result['is']:.2f}"
        + (f", accuracy {result['accuracy']:.2f}" if "accuracy" in result else ""))
    return result


# clips per row by data source: the SC09 literature evaluates 2048 generated clips
DEFAULT_CLIPS = {"sc09": 2048}


def default_clips(profile: Profile) -> int:
    """Clips per report row for a profile's data: 2048 on SC09 (comparable with published
    numbers), 100 elsewhere (the tiny profile on a CPU)."""
    return DEFAULT_CLIPS.get(profile.data.source, 100)


def default_report_is_estimator(profile: Profile) -> str:
    """The IS a report headlines: SaShiMi's split-half on SC09, the plug-in estimator elsewhere."""
    return LITERATURE_IS_ESTIMATOR if profile.data.source == "sc09" else "plug-in"


def run_report(profile_name: str, out: str | os.PathLike, checkpoints: str | os.PathLike | None = None,
               n: int | None = None, steps: int | None = None, seed: int = 0, device: str = "cpu",
               rows: list[Row] | None = None, data: str | None = None, data_root: str | None = None,
               log=print, train_missing: bool = True, is_estimator: str | None = None) -> dict:
    """Train what is missing (unless train_missing=False: then a missing model is an error), sample,
    evaluate and cost every row; write report.json, report.md and figures into out. A row already
    in out/metrics, made with today's model files, is kept. `n` clips per row (default
    `default_clips`); the IS column uses `is_estimator` (default `default_report_is_estimator`),
    and every estimator's IS is in the report too. Returns the report as a dict."""
    profile = _report_profile(profile_name, data, data_root)
    n = n or default_clips(profile)
    is_estimator = is_estimator or default_report_is_estimator(profile)
    out = Path(out)
    (out / "metrics").mkdir(parents=True, exist_ok=True)
    models = Models(profile, profile_name, Path(checkpoints) if checkpoints else None, out, device, log, train_missing)
    steps = steps or profile.sample.steps
    _check_settings(out, {"profile": profile_name, "data": profile.data.source, "clips_per_row": n, "steps": steps,
                          "seed": seed, "sampler": profile.sample.sampler})
    judge_path = models.path("evalclassifier")
    reference = _Reference(ScorelabExtractor(judge_path, device), judge_path, profile, out)
    results, computed, started = [], 0, time.perf_counter()
    for row in rows or paper_rows():
        metrics_file = out / "metrics" / f"{row.key}.json"
        result = _stored_row(row, models, metrics_file, log)
        if result is not None and "is_by_estimator" not in result and (out / "samples" / row.key / "done.json").is_file():
            log(f"{row.regime:>8} | {row.name}: stored row predates the IS estimators and seen/unseen split; "
                "judging its clips again")
            result = None  # its clips are still there: only the judging runs again
        if result is None:
            result = _compute_row(row, models, out / "samples" / row.key, reference, n, seed, steps, log)
            _write_json(metrics_file, result)
            computed += 1
        results.append(result)
    report = {"profile": profile_name, "data": profile.data.source, "clips_per_row": n, "sampler": profile.sample.sampler,
              "steps": steps, "seed": seed, "judge": judge_path.name, "is_estimator": is_estimator,
              "reference_clips": results[0]["reference_clips"] if results else None,
              "rows": results, "compute": compute_table(profile), "paper_compute": PAPER_TABLE}
    note = f" ({computed} computed in {time.perf_counter() - started:.0f} s)" if computed else " (all stored already)"
    log(f"report of {len(results)} rows written to {out}{note}")
    _write_json(out / "report.json", report)
    (out / "report.md").write_text(format_report(report))
    write_report_figures(report, out / "figures")
    return report


def row_samples(report: dict, checkpoints: str | os.PathLike, label: str, device: str = "cpu",
                log=lambda *_: None) -> dict[str, torch.Tensor]:
    """One clip for every row of a finished `report` (what `run_report` returns), to hear what
    the row's numbers describe: sampled as the report samples (its sampler, steps and seed), the
    guided rows asking for `label`. Returns {"REGIME | ROW NAME": log-Mel (bands, frames)}; the
    models are read from `checkpoints` (never trained: a missing one is an error)."""
    profile = _report_profile(report["profile"], report["data"], None)
    if label not in profile.data.labels:
        raise ValueError(f"row_samples: {label!r} is not one of the profile's labels ({', '.join(profile.data.labels)})")
    models = Models(profile, report["profile"], Path(checkpoints), Path(checkpoints), device, log, train_missing=False)
    wanted = torch.tensor([profile.data.labels.index(label)])
    clips = {}
    for result in report["rows"]:
        row = Row(**result["row"])
        model = models.load(row.kind, row.regime)
        guide = {"classifier": models.guide(row.kind, model), "labels": wanted, "gamma": row.gamma} if row.gamma else {}
        x = generate(model, profile, 1, report["sampler"], report["steps"], report["seed"], device=device, **guide)
        clips[f"{row.regime} | {row.name}"] = to_log_mel(x.cpu(), profile)[0]
    return clips


def headline_is(row: dict, estimator: str) -> float | None:
    """A row's IS under `estimator`; None when the row was judged before it was computed (rows
    judged then hold only the plug-in IS)."""
    if "is_by_estimator" in row:
        return row["is_by_estimator"].get(estimator)
    return row["is"] if estimator == "plug-in" else None


def _number(value, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def format_report(report: dict) -> str:
    """The report's tables as Markdown (bold titles, no headings, so it can sit inside a page)."""
    estimator = report.get("is_estimator", "plug-in")
    lines = [f"**scorelab report: profile {report['profile']}, data {report['data']}**", "",
             f"{report['clips_per_row']} clips per row ({report['sampler']}, {report['steps']} steps, seed "
             f"{report['seed']}); metrics from the judge {Path(report['judge']).name} against "
             f"{report['reference_clips']} training clips; IS is the {estimator} estimate. FID depends on the "
             "number of clips: compare rows, not with published SC09 numbers.", "",
             markdown_table(["regime", "model", "FID ↓", f"IS ({estimator}) ↑", "mIS ↑", "AM ↓", "accuracy ↑",
                             "trainable params", "training clips", "GMACs / clip", "s per s of audio"], [
                 [r["row"]["regime"], r["name"], f"{r['fid']:.2f}", _number(headline_is(r, estimator), "{:.2f}"),
                  f"{r['mis']:.1f}", f"{r['am']:.3f}",
                  f"{r['accuracy']:.2f}" if "accuracy" in r else "–", f"{r['trainable_params'] / 1e6:.2f} M",
                  _thousands(r.get("training_clips")), f"{r['gmacs_per_clip']:.0f}", f"{r['sampling_s_per_audio_s']:.2f}"]
                 for r in report["rows"]])]
    lines += ["", "Training clips: how many clips each row's score model saw in training (a clip seen twice "
              "counts twice), over every run that led to its file; – where the file does not record it."]
    lines += _estimator_table(report["rows"]) + _seen_unseen_table(report["rows"])
    lines += ["", "**Compute per score evaluation (this profile) and the paper's**", "",
              format_table(report["compute"], report["paper_compute"])]
    return "\n".join(lines) + "\n"


def _estimator_table(rows: list[dict]) -> list[str]:
    """The IS of every row under each estimator (plug-in; SaShiMi's split-half; WaveGAN's 10
    splits, mean ± standard deviation), for rows judged since the estimators were added."""
    judged = [r for r in rows if "is_by_estimator" in r]
    if not judged:
        return []

    def ten(r):
        value = r["is_by_estimator"].get("10-splits")
        return "–" if value is None else f"{value:.2f} ± {r['is_10_splits_std']:.2f}"

    return ["", "**Inception Score by estimator** (published SC09 numbers use split-half or 10 splits)", "",
            markdown_table(["regime", "model", "plug-in", "split-half (SaShiMi)", "10 splits (WaveGAN)"], [
                [r["row"]["regime"], r["name"], _number(r["is_by_estimator"].get("plug-in"), "{:.2f}"),
                 _number(r["is_by_estimator"].get("split-half"), "{:.2f}"), ten(r)] for r in judged])]


def _seen_unseen_table(rows: list[dict]) -> list[str]:
    """Accuracy and FID of the guided 3-label and 1-label rows for the labels their model was
    trained on (seen) and the others (unseen: zero-shot), each FID against that group's real clips."""
    split = [r for r in rows if "seen" in r or "unseen" in r]
    if not split:
        return []

    def cell(r, group, key, fmt):
        return fmt.format(r[group][key]) if group in r and key in r[group] else "–"

    return ["", "**Labels seen in training and unseen (zero-shot)**: guided rows of the 3-label and 1-label "
            "regimes; each group's FID is against the real clips of its own labels only, from fewer clips "
            "than the main table's, so it is on a scale of its own: compare seen with unseen, not with the "
            "main table", "",
            markdown_table(["regime", "model", "seen clips", "seen accuracy ↑", "seen FID ↓", "unseen clips",
                            "unseen accuracy ↑", "unseen FID ↓"], [
                [r["row"]["regime"], r["name"], cell(r, "seen", "clips", "{:d}"), cell(r, "seen", "accuracy", "{:.2f}"),
                 cell(r, "seen", "fid", "{:.2f}"), cell(r, "unseen", "clips", "{:d}"),
                 cell(r, "unseen", "accuracy", "{:.2f}"), cell(r, "unseen", "fid", "{:.2f}")] for r in split])]


def _thousands(n: int | None) -> str:
    return "–" if n is None else f"{n / 1e3:.0f} k"


def report_numbers(report: dict) -> dict[str, str]:
    """The report's figures as prose quotes them, for `display.glue_numbers`: for every row
    (key `r_<row key>` with '-' as '_') its FID to one decimal (`_fid`), its guided accuracy in
    whole per cent (`_accuracy`), GMACs per clip (`_gmacs`) and trainable parameters in millions
    (`_params`), training clips in thousands (`_clips`, where recorded); and what the gradient-taps variant saves against the full ScoreSubnet, in whole
    per cent of parameters and of guided GMACs (`gradtaps_params_saving`, `gradtaps_gmacs_saving`);
    for the guided 3-label and 1-label rows the same for the labels seen in training and the unseen
    ones (`_seen_accuracy`, `_seen_fid`, `_unseen_accuracy`, `_unseen_fid`, `_unseen_clips`); every row's IS
    under each estimator to one decimal (`_is_plug_in`, `_is_split_half`, `_is_10_splits`); and the number of
    rows, clips per row and clips in each of WaveGAN's ten splits (`rows`, `clips_per_row`, `clips_per_split`)."""
    rows = {row["key"]: row for row in report["rows"]}
    out = {"rows": str(len(rows)), "clips_per_row": str(report["clips_per_row"]),
           "clips_per_split": str(report["clips_per_row"] // WAVEGAN_SPLITS)}
    for key, row in rows.items():
        name = "r_" + key.replace("-", "_")
        out[f"{name}_fid"] = f"{row['fid']:.1f}"
        if row.get("accuracy") is not None:
            out[f"{name}_accuracy"] = f"{100 * row['accuracy']:.0f} %"
        out[f"{name}_gmacs"] = f"{row['gmacs_per_clip']:.0f}"
        out[f"{name}_params"] = f"{row['trainable_params'] / 1e6:.2f} M"
        if row.get("training_clips") is not None:
            out[f"{name}_clips"] = _thousands(row["training_clips"])
        for estimator, value in row.get("is_by_estimator", {}).items():
            out[f"{name}_is_{estimator.replace('-', '_')}"] = f"{value:.1f}"
        for group in ("seen", "unseen"):
            if group in row:
                out[f"{name}_{group}_accuracy"] = f"{100 * row[group]['accuracy']:.0f} %"
                out[f"{name}_{group}_fid"] = f"{row[group]['fid']:.1f}"
                out[f"{name}_{group}_clips"] = str(row[group]["clips"])
    full, variant = rows.get("full_subnet_g3"), rows.get("full_subnet-gradtaps_g3")
    if full and variant:
        out["gradtaps_params_saving"] = f"{100 * (1 - variant['trainable_params'] / full['trainable_params']):.0f} %"
        out["gradtaps_gmacs_saving"] = f"{100 * (1 - variant['gmacs_per_clip'] / full['gmacs_per_clip']):.0f} %"
    return out


# the report's figures are drawn by `scorelab.display`; importable from here as well
__all__ = ["Models", "Row", "format_report", "paper_rows", "plot_by_gamma", "plot_fid_by_regime", "plot_fid_vs_compute",
           "report_numbers", "row_cost", "run_report", "sample_row", "write_report_figures"]

"""Measure how far the chapters' numbers move between CPU code paths, against their tolerances.

Every `scorelab.checks.expect_close` in a chapter compares computed numbers with the values the
chapter was written with, within a tolerance. This tool runs the chapters under the numerical
settings of this shell and records every comparison, then sets runs side by side:

    python book/_tools/check_spread.py run OUT/native book/0*.ipynb book/10_*.ipynb
    ATEN_CPU_CAPABILITY=default OMP_NUM_THREADS=1 \\
        python book/_tools/check_spread.py run OUT/portable book/0*.ipynb book/10_*.ipynb
    python book/_tools/check_spread.py report OUT/*

`run` executes each notebook (errors do not stop it: a failed check still records what it saw)
and writes OUT/NAME.jsonl (the checks) and OUT/NAME.txt (the text outputs of the cells nbval
compares, sanitized as nbval sanitizes them). `report` prints, for every checked number, the
spread across runs and the largest share of its tolerance used; it lists the checks that failed
anywhere and the compared outputs of each run that differ from those stored in the notebook. A tolerance is comfortable when no
number uses more than a fraction of it.
"""
import configparser
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import nbformat
from nbclient import NotebookClient

BOOK = Path(__file__).resolve().parent.parent


def sanitizers():
    cfg = configparser.ConfigParser()
    cfg.read(BOOK / "nbval_sanitize.cfg")
    return [(re.compile(cfg[s]["regex"]), cfg[s]["replace"]) for s in cfg.sections()]


def compared_text(nb) -> list[str]:
    """The text outputs nbval compares (cells without nbval-ignore-output), sanitized."""
    subs, lines = sanitizers(), []
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain") or out.get("data", {}).get("text/markdown") or ""
            text = "".join(text) if isinstance(text, list) else text
            if out.get("output_type") == "error":
                text = f"ERROR {out.get('ename')}: {out.get('evalue')}"
            for regex, replace in subs:
                text = regex.sub(replace, text)
            lines += [f"cell {i}: {line}" for line in text.splitlines()]
    return lines


def run(out: Path, notebooks: list[str]) -> None:
    import os

    out.mkdir(parents=True, exist_ok=True)
    for path in map(Path, notebooks):
        log = out / f"{path.stem}.jsonl"
        log.unlink(missing_ok=True)
        os.environ["SCORELAB_CHECK_LOG"] = str(log.resolve())
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=3600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        (out / f"{path.stem}.txt").write_text("\n".join(compared_text(nb)) + "\n")
        failed = [c for c in nb.cells if c.cell_type == "code"
                  for o in c.get("outputs", []) if o.get("output_type") == "error"]
        print(f"{path.name}: {len(failed)} cell(s) raised" + "".join(f"\n  {o['ename']}: {o['evalue'][:300]}" for c in failed
                                                                   for o in c.outputs if o.get("output_type") == "error"))


def report(runs: list[Path]) -> None:
    values = defaultdict(dict)  # (notebook, what, name) -> {run: record}
    for r in runs:
        for log in sorted(r.glob("*.jsonl")):
            for line in log.read_text().splitlines():
                rec = json.loads(line)
                values[log.stem, rec["what"], rec["name"]][r.name] = rec
    worst = []
    for key, recs in values.items():
        actual = [v["actual"] for v in recs.values()]
        rec = next(iter(recs.values()))
        used = max(abs(v["actual"] - v["expected"]) / v["tolerance"] if v["tolerance"] else
                   (0.0 if v["actual"] == v["expected"] else float("inf")) for v in recs.values())
        worst.append((used, key, max(actual) - min(actual), rec["expected"], rec["tolerance"], len(recs)))
    worst.sort(key=lambda w: -w[0])
    print(f"{len(values)} checked numbers in {len(runs)} runs ({', '.join(r.name for r in runs)})")
    print("share of tolerance used (largest first), spread across runs, expected, tolerance:")
    for used, (nb, what, name), spread, expected, tol, n in worst[:40]:
        flag = "  FAILS" if used > 1 else ""
        print(f"  {used:6.1%}  spread {spread:.3g}  expected {expected:g} ± {tol:.3g}  {nb} {what} {name} ({n} runs){flag}")
    texts = {r.name: {p.stem: p.read_text().splitlines() for p in r.glob("*.txt")} for r in runs}
    texts["stored"] = {nb: compared_text(nbformat.read(BOOK / f"{nb}.ipynb", as_version=4))
                       for nb in texts[runs[0].name] if (BOOK / f"{nb}.ipynb").is_file()}
    first = "stored"
    for r in runs:
        for nb, lines in texts[r.name].items():
            base = texts[first].get(nb, [])
            diff = [(a, b) for a, b in zip(base, lines) if a != b] + ([("(lengths differ)", "")] if len(base) != len(lines) else [])
            for a, b in diff:
                print(f"compared output differs, {nb}, the stored output vs {r.name}:\n  {a}\n  {b}")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("run", "report"):
        raise SystemExit(__doc__)
    if sys.argv[1] == "run":
        run(Path(sys.argv[2]), sys.argv[3:])
    else:
        report([Path(p) for p in sys.argv[2:]])

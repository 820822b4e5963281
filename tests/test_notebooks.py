"""House rules for the chapter notebooks, checked without running them (nbval runs them):
every chapter is in the table of contents, opens with what the reader will learn, ends with
exercises, places every figure as a numbered figure with caption and alt text, defines no functions or classes, checks the numbers nbval does
not compare, and stores outputs for nbval but never audio or images (FSDD recordings must not
enter the repository)."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
PLOT_CALL = re.compile(r"\b(plot|animate)_\w+\(")


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found in book/"


def test_every_chapter_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    for nb in CHAPTERS:
        assert f"book/{nb.stem}" in toc, f"{nb.name} is missing from _toc.yml"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapter_structure(nb):
    cs = cells(nb)
    first = source(cs[0])
    assert first.startswith("# ") and "You will learn" in first, f"{nb.name}: open with a title and what the reader will learn"
    assert any("## Exercises" in source(c) for c in cs[-2:] if c["cell_type"] == "markdown"), f"{nb.name}: end with exercises"
    for i, c in enumerate(cs):
        if c["cell_type"] != "code":
            continue
        code = source(c)
        assert not re.search(r"^\s*(def|class) ", code, re.M), f"{nb.name} cell {i}: define code in scorelab, not in a notebook"
        if PLOT_CALL.search(code):
            _check_figure_cell(nb, i, cs)


GLUED = re.compile(r'^glue_figure\("([\w-]+)", fig\)$', re.M)


def _check_figure_cell(nb, i, cs):
    """A figure is glued under a name (`fig = plot_...(...)` then `glue_figure("NAME", fig)`, the
    cell tagged remove-output so the site shows it once) and placed by the next cell as a
    numbered MyST figure with that :name:, alt text and a caption."""
    code = source(cs[i])
    where = f"{nb.name} cell {i}"
    assert re.match(r"fig = (plot|animate)_\w+\(", code), \
        f"{where}: a figure cell starts `fig = plot_...(` (or `animate_...(`) and does nothing else"
    found = GLUED.search(code)
    assert found and code.rstrip().endswith(found.group(0)), f'{where}: end a figure cell with glue_figure("fig-...", fig)'
    assert "remove-output" in cs[i].get("metadata", {}).get("tags", []), \
        f"{where}: tag a figure cell remove-output (the website shows the figure where the caption places it)"
    name = found.group(1)
    caption = source(cs[i + 1]) if i + 1 < len(cs) else ""
    head = f":::{{glue:figure}} {name}\n:name: {name}\n:alt: "
    assert cs[i + 1]["cell_type"] == "markdown" and caption.startswith(head), \
        f"{where}: place the figure right after it with\n{head}...\n\nCaption.\n:::"
    alt, _, rest = caption[len(head):].partition("\n")
    text = rest.split("\n:::", 1)[0].strip()
    assert len(alt.split()) >= 4 and len(text.split()) >= 8 and "\n:::" in rest, \
        f"{where}: figure {name} needs alt text that describes it and a caption that says what to look at"


def _figures(nb):
    return {m.group(1) for c in cells(nb) if c["cell_type"] == "code" for m in GLUED.finditer(source(c))}


def test_figures_are_named_once_and_referred_to_by_numref():
    """Figures are numbered by the website and the prose points to each with {numref}`name`,
    never with a hand-written 'Figure 3' that goes stale when a figure is added."""
    names = [name for nb in CHAPTERS for name in _figures(nb)]
    assert len(names) == len(set(names)), f"figure names used twice: {sorted(n for n in names if names.count(n) > 1)}"
    for nb in CHAPTERS:
        for c in cells(nb):
            if c["cell_type"] != "markdown":
                continue
            text = source(c)
            written = re.search(r"(?<![\w`])Figures? \d+", text)
            assert not written, f"{nb.name}: write {{numref}}`fig-name` instead of '{written.group(0)}'"
            for target in re.findall(r"\{numref\}`([^`]+)`", text):
                assert target in names, f"{nb.name}: {{numref}} to unknown figure {target!r}"
        prose = "\n".join(source(c) for c in cells(nb) if c["cell_type"] == "markdown")
        unreferred = sorted(name for name in _figures(nb) if f"{{numref}}`{name}`" not in prose)
        assert not unreferred, f"{nb.name}: the prose never points to {unreferred}; refer to each with {{numref}}`name`"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_numbers_nbval_does_not_compare_are_checked(nb):
    """A cell whose printed output nbval ignores (tag nbval-ignore-output) prints numbers that are
    not the same on every CPU; unless they are timings or depend on the network (try/except), the
    cell checks them with scorelab.checks.expect_close, with a tolerance (README: Numbers that
    hold on every CPU)."""
    for i, c in enumerate(cells(nb)):
        code = source(c)
        if c["cell_type"] != "code" or "nbval-ignore-output" not in c.get("metadata", {}).get("tags", []):
            continue
        if re.search(r"\bprint\(|Markdown\(", code) and not re.search(r"expect_close\(|perf_counter\(|^try:", code, re.M):
            raise AssertionError(f"{nb.name} cell {i}: nbval ignores its printed numbers; check them with "
                                 "expect_close(...) or print them at a precision every CPU reproduces")


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_stored_outputs_are_text_only(nb):
    code_cells = [c for c in cells(nb) if c["cell_type"] == "code"]
    assert any(c.get("outputs") for c in code_cells), f"{nb.name}: no stored outputs; run `make outputs`"
    text = nb.read_text()
    assert not re.search(r"base64,(?!NOTSTORED)", text), f"{nb.name}: embedded audio stored; run `make outputs`"
    assert "application/vnd.jupyter.widget-state+json" not in text, \
        f"{nb.name}: widget state stored (a live widget's images and sound); run `make outputs`"
    for c in code_cells:
        for out in c.get("outputs", []):
            assert not {"image/png", "image/jpeg"} & set(out.get("data", {})), \
                f"{nb.name}: images stored; run `make outputs`"


def _setup_cells_tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location("setup_cells", ROOT / "book" / "_tools" / "setup_cells.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_chapter_opens_with_the_setup_cell():
    """The first code cell is scorelab.colab.setup_cell as book/_tools/setup_cells.py writes it
    (repository and ref from scorelab.shipped), folded on the website."""
    tool = _setup_cells_tool()
    assert [p.name for p in tool.chapters()] == [p.name for p in CHAPTERS]
    assert tool.differing() == [], "run `python book/_tools/setup_cells.py`"


def test_setup_cell_text_comes_from_the_package():
    from scorelab import colab, shipped

    cell = colab.setup_cell(("espeak-ng",))
    assert f'%pip install -q "scorelab @ git+{shipped.REPOSITORY}@{shipped.REF}"' in cell
    assert cell.endswith("scorelab.colab.prepare('espeak-ng')")
    with pytest.raises(ValueError, match="cannot install sox"):
        colab.setup_cell(("sox",))


SHIPPED_CALLS = {"shipped_file", "shipped_folder"}
SHIPPED_PATH = re.compile(r"(^|/)(checkpoints|results)(/|$)|\.pt$|\.metrics\.jsonl$")


def _literals(node):
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    return []


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_shipped_files_are_reached_only_through_scorelab_shipped(nb):
    """A chapter never names a checkpoint or a results file as a path: models come from
    runs.load_model / model_file / training_log, other shipped files from shipped_file or
    shipped_folder, so that the chapter runs outside the repository too."""
    import ast

    for i, c in enumerate(cells(nb)):
        if c["cell_type"] != "code":
            continue
        code = "\n".join(line for line in source(c).splitlines() if not line.lstrip().startswith(("%", "!")))
        tree = ast.parse(code)
        allowed = {id(part) for n in ast.walk(tree) if isinstance(n, ast.Call)
                   and getattr(n.func, "id", getattr(n.func, "attr", None)) in SHIPPED_CALLS
                   for a in n.args for part in ast.walk(a)}
        for node in ast.walk(tree):
            if id(node) in allowed:
                continue
            for text in _literals(node):
                assert not SHIPPED_PATH.search(text), \
                    f"{nb.name} cell {i}: {text!r} names a shipped file directly; use load_model / shipped_file"
        assert not re.search(r"\bload_trained\(|\bload_or_train\(", code), \
            f"{nb.name} cell {i}: load models with scorelab.runs.load_model (it finds shipped files anywhere)"


NOISE_ONLY = {"03_diffusion_in_log_mel.ipynb"}  # its players let the reader hear noise levels, not speech


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_speech_played_through_griffin_lim_is_offered_through_hifigan_too(nb):
    """Where a chapter plays speech through Griffin-Lim, a cell right after offers the same log-Mels
    through the pretrained HiFi-GAN (display.hifigan_players: players with a network, a notice
    without one), its output ignored by nbval because it depends on the network."""
    cs = cells(nb)
    played = [i for i, c in enumerate(cs) if c["cell_type"] == "code" and re.search(r"\bplayers\(", source(c))
              and not re.search(r"\bhifigan_players\(", source(c))]
    offered = [i for i, c in enumerate(cs) if c["cell_type"] == "code" and "hifigan_players(" in source(c)]
    for i in offered:
        assert "nbval-ignore-output" in cs[i].get("metadata", {}).get("tags", []), \
            f"{nb.name} cell {i}: HiFi-GAN's output depends on the network; tag the cell nbval-ignore-output"
    if not played or nb.name in NOISE_ONLY:
        return
    last = played[-1]
    assert any(last < i <= last + 2 for i in offered), \
        f"{nb.name}: cell {last} plays Griffin-Lim audio; offer the same log-Mels through hifigan_players right after"


HISTORY = re.compile(r"\bthe issue\b|\bthis project set\b|\brenderings? of this page\b|\bthis machine\b", re.I)


@pytest.mark.parametrize("page", CHAPTERS + sorted((ROOT / "book").glob("*.md")), ids=lambda p: p.name)
def test_prose_speaks_of_the_subject_not_of_how_the_book_was_made(page):
    """Chapters explain speech, scores, classifiers and evaluation; how the project was built (its
    issues, goals, machines, re-renderings) belongs in book/checkpoints/README.md, not in the book."""
    texts = [page.read_text()] if page.suffix == ".md" else [source(c) for c in cells(page)]
    for text in texts:
        found = HISTORY.search(text)
        assert not found, f"{page.name}: {found.group(0)!r} narrates the project; write about the subject"


SHOWN = {  # the code a chapter explains, shown from the package so the page shows the tested code
    "02_score_matching_fundamentals.ipynb": {("losses.py", "dsm_loss"), ("sampling.py", "heun_sampler")},
    "03_diffusion_in_log_mel.ipynb": {("nets/precond.py", "ScoreModel.forward")},
    "05_classifier_guidance.ipynb": {("guidance.py", "log_prob_of"), ("guidance.py", "classifier_log_prob_grad")},
    "06_score_subnet.ipynb": {("nets/score_subnet.py", "ScoreSubnet.forward"), ("guidance.py", "guided_score")},
    "09_evaluating_generated_speech.ipynb": {("metrics.py", "frechet_distance")},
}
INCLUDE = re.compile(r"```\{literalinclude\} \.\./scorelab/(\S+)\n:pyobject: (\S+)")


def _defines(path: Path, dotted: str) -> bool:
    import ast

    body = ast.parse(path.read_text()).body
    for name in dotted.split("."):
        found = [n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name]
        if not found:
            return False
        body = found[0].body
    return True


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_chapters_show_the_tested_code_they_explain(nb):
    shown = {m for c in cells(nb) if c["cell_type"] == "markdown" for m in INCLUDE.findall(source(c))}
    assert SHOWN.get(nb.name, set()) <= shown, f"{nb.name}: show {SHOWN[nb.name] - shown} with literalinclude"
    for path, obj in shown:
        assert _defines(ROOT / "scorelab" / path, obj), f"{nb.name}: scorelab/{path} has no {obj}"


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_has_a_folded_hint(nb):
    text = next(source(c) for c in cells(nb) if c["cell_type"] == "markdown" and "## Exercises" in source(c))
    exercises = re.split(r"^\d+\. ", text.split("## Exercises", 1)[1], flags=re.M)[1:]
    assert exercises, f"{nb.name}: no numbered exercises"
    for n, exercise in enumerate(exercises, 1):
        assert re.search(r":::\{admonition\} (Hint|Solution)\n\s*:class: dropdown\n\n\s*\S", exercise), \
            f"{nb.name}: exercise {n} needs a hint or solution folded in a dropdown admonition"


def _glued_names(nb):
    """Names that the stored outputs of a chapter glue (myst-nb keeps them in output metadata)."""
    return {out["metadata"]["scrapbook"]["name"] for c in cells(nb) if c["cell_type"] == "code"
            for out in c.get("outputs", []) if "scrapbook" in out.get("metadata", {})}


@pytest.mark.parametrize("nb", CHAPTERS, ids=lambda p: p.name)
def test_numbers_and_figures_in_the_prose_are_glued_by_the_chapter(nb):
    """Every {glue:text} number and {glue:figure} of a chapter is glued by one of its own cells
    (seen in the stored outputs), so the website quotes what its cells computed."""
    glued = _glued_names(nb)
    prose = "\n".join(source(c) for c in cells(nb) if c["cell_type"] == "markdown")
    used = set(re.findall(r"\{glue:text\}`([^`]+)`", prose)) | set(re.findall(r"\{glue:figure\} ([\w-]+)", prose))
    assert used <= glued, f"{nb.name}: glued nowhere in the chapter (run `make outputs`?): {sorted(used - glued)}"


def test_the_readme_opens_every_chapter_on_colab_and_on_the_website():
    """README.md's chapter table: a Colab badge for each chapter, pointing at this repository's
    notebook on its main branch, and a link to the chapter's page on the published website."""
    from scorelab.shipped import REPOSITORY

    readme = (ROOT / "README.md").read_text()
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    owner, repo = owner_repo.split("/")
    for chapter in CHAPTERS:
        colab = f"https://colab.research.google.com/github/{owner_repo}/blob/main/book/{chapter.name}"
        assert f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})" in readme, chapter.name
        assert f"https://{owner}.github.io/{repo}/book/{chapter.stem}.html" in readme, chapter.name

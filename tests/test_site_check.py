"""The browser check of the website (book/_tools/check_site.py): on a small site written here,
each kind of breakage a reader would meet is found, and a sound page passes; then the book's own
built site, when there is one, has no problem at all."""
from __future__ import annotations

import base64
import importlib.util
import io
import math
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MATHJAX = ROOT / "node_modules" / "mathjax" / "es5"
BUILT_SITE = Path(os.environ.get("SCORELAB_SITE", ROOT / "_build" / "html"))


def _tool():
    spec = importlib.util.spec_from_file_location("check_site", ROOT / "book" / "_tools" / "check_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_site"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


check_site = _tool()


def _chromium_missing() -> str | None:
    try:
        check_site.find_chromium()
        import selenium  # noqa: F401
    except (RuntimeError, ImportError) as exc:
        return f"the browser check needs Chromium, its driver and selenium, which `make setup` installs: {exc}"
    return None


needs_browser = pytest.mark.skipif(_chromium_missing() is not None, reason=str(_chromium_missing()))
needs_mathjax = pytest.mark.skipif(not MATHJAX.is_dir(), reason="MathJax is not installed in node_modules: "
                                                                 "run `npm ci` (`make setup` does)")


def _wav_data_uri(seconds: float = 0.2, rate: int = 8000) -> str:
    """A short sine tone as a data URI, encoded as the book's players encode their clips."""
    import torch

    from scorelab.display import wav_bytes

    tone = torch.sin(2 * math.pi * 440 * torch.arange(int(seconds * rate)) / rate)
    return "data:audio/wav;base64," + base64.b64encode(wav_bytes(tone, rate)).decode()


def _png() -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


MATHJAX_TAGS = '<script defer src="_static/mathjax/tex-chtml.js"></script>'


def _page(body: str, head: str = MATHJAX_TAGS) -> str:
    return f"<!doctype html><html><head><title>t</title>{head}</head><body><article>{body}</article></body></html>"


SOUND_BODY = ('<h1 id="top">A sound page</h1><p>The score \\(\\nabla_x \\log p(x)\\) points uphill.</p>'
              '<figure><img src="plot.png" alt="a line"></figure>'
              f'<audio controls src="{_wav_data_uri()}"></audio>'
              '<p><a href="page2.html#there">on</a>, <a href="#top">up</a>, <a href="https://example.org/">out</a></p>')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder holding a sound two-page site; tests write a broken page beside it."""
    root = tmp_path_factory.mktemp("site")
    (root / "_static").mkdir()
    if MATHJAX.is_dir():
        (root / "_static" / "mathjax").symlink_to(MATHJAX, target_is_directory=True)
    (root / "plot.png").write_bytes(_png())
    (root / "index.html").write_text(_page(SOUND_BODY))
    (root / "page2.html").write_text(_page('<h2 id="there">There</h2><p>More.</p>'))
    return root


@pytest.fixture(scope="module")
def driver():
    with check_site.browser() as d:
        yield d


def _check(driver, root: Path, name: str, html: str | None = None):
    """The report of page `name` (written first when `html` is given), links included."""
    if html is not None:
        (root / name).write_text(html)
    with check_site.serve(root) as base:
        report, anchors, links = check_site.check_page(driver, base, name)
        targets = {name: anchors}
        for other in ("index.html", "page2.html"):
            if other != name:
                targets[other] = check_site.check_page(driver, base, other)[1]
        report.problems += check_site.broken_links(root, base, {name: links}, targets).get(name, [])
    return report


@needs_browser
@needs_mathjax
@pytest.mark.slow
def test_a_sound_page_passes_and_is_counted(site, driver):
    report = _check(driver, site, "index.html")
    assert report.problems == []
    assert (report.figures, report.images, report.audio, report.maths) == (1, 1, 1, 1)


BREAKAGES = {
    "missing image": (SOUND_BODY.replace("plot.png", "lost.png"), MATHJAX_TAGS, "lost.png does not load"),
    "audio without a source": (SOUND_BODY + "<audio controls></audio>", MATHJAX_TAGS, "audio player 2 has no source"),
    "audio that cannot play": (SOUND_BODY + '<audio controls src="data:audio/wav;base64,NOTSTORED"></audio>',
                               MATHJAX_TAGS, "audio player 2 does not play"),
    "link to a missing page": (SOUND_BODY + '<a href="nowhere.html">x</a>', MATHJAX_TAGS,
                               "link to a missing file: nowhere.html"),
    "link to a missing anchor": (SOUND_BODY + '<a href="page2.html#gone">x</a>', MATHJAX_TAGS,
                                 "link to a missing anchor: page2.html#gone"),
    "raw LaTeX (no MathJax)": (SOUND_BODY, "", "raw LaTeX in the text"),
    "MathJax from a CDN, offline": (SOUND_BODY, '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js">'
                                    "</script>", "ERR_NAME_NOT_RESOLVED"),
    "TeX that Markdown left in the text": (SOUND_BODY + "<p>where $\\sigma_t$ grows</p>", MATHJAX_TAGS,
                                           "raw LaTeX in the text"),
    "a script error": (SOUND_BODY + "<script>notDefinedAnywhere()</script>", MATHJAX_TAGS,
                       "notDefinedAnywhere is not defined"),
    "a page with nothing on it": ("", "", "the page shows no text"),
}


@needs_browser
@needs_mathjax
@pytest.mark.slow
@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_each_breakage_is_reported(site, driver, breakage):
    body, head, expected = BREAKAGES[breakage]
    report = _check(driver, site, "broken.html", _page(body, head))
    assert any(expected in p for p in report.problems), report.problems


@needs_browser
@pytest.mark.slow
@pytest.mark.parametrize("target, problems", [("page2.html", []), ("gone.html", ["link to a missing file: gone.html"])])
def test_a_redirect_page_is_checked_by_where_it_sends_the_reader(site, driver, target, problems):
    report = _check(driver, site, "redirect.html", f'<meta http-equiv="Refresh" content="0; url={target}" />\n')
    assert report.problems == problems and report.title == f"redirect to {target}"


def test_only_a_page_with_nothing_else_is_a_redirect():
    assert check_site.redirect_of('<meta http-equiv="Refresh" content="0; url=book/intro.html" />') == "book/intro.html"
    assert check_site.redirect_of('<meta http-equiv="refresh" content="5; url=x.html"><p>Moved: read on</p>') is None
    assert check_site.redirect_of("<html><body>text</body></html>") is None


def test_pages_of_a_sphinx_build_skip_its_asset_folders(tmp_path):
    for name in ("index.html", "book/ch1.html", "_static/mathjax/x.html", "_sources/ch1.html", "genindex.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("<html></html>")
    assert check_site.pages_of(tmp_path) == ["index.html", "book/ch1.html", "genindex.html"]


def test_no_site_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="make book"):
        check_site.check_site(tmp_path)


def test_missing_chromium_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install chromium chromium-driver"):
        check_site.find_chromium()


@needs_browser
@pytest.mark.slow
def test_a_tall_page_is_screenshot_whole_in_parts(tmp_path, driver, monkeypatch):
    from PIL import Image

    root = tmp_path / "site"
    root.mkdir()
    # a red band at the top, a blue one at the foot: the last part must end at the page's foot
    (root / "tall.html").write_text(_page('<div style="height:300px;background:#f00"></div><p>Tall.</p>'
                                          '<div style="height:1900px"></div>'
                                          '<div style="height:300px;background:#00f"></div>', head=""))
    monkeypatch.setattr(check_site, "SCREENSHOT_MAX_HEIGHT", 1000)
    shots = tmp_path / "shots"
    shots.mkdir()
    with check_site.serve(root) as base:
        report = check_site.check_page(driver, base, "tall.html", shots)[0]
    assert report.problems == []
    files = sorted(p.name for p in shots.glob("*.png"))
    assert files == ["tall-2.png", "tall-3.png", "tall.png"]
    first, last = Image.open(shots / "tall.png").convert("RGB"), Image.open(shots / "tall-3.png").convert("RGB")
    assert first.height <= 1000 and last.height <= 1000
    assert first.getpixel((first.width // 2, 20))[:3] == (255, 0, 0)
    assert last.getpixel((last.width // 2, last.height - 20))[:3] == (0, 0, 255)


@needs_browser
@pytest.mark.slow
@pytest.mark.skipif(not (BUILT_SITE / "index.html").is_file(),
                    reason=f"no built website in {BUILT_SITE}: `make book` builds it (and runs this check on it)")
def test_the_built_website_has_no_problem(tmp_path):
    reports = check_site.check_site(BUILT_SITE, tmp_path, log=lambda *_: None)
    problems = {r.page: r.problems for r in reports if r.problems}
    assert problems == {}
    assert sum(r.audio for r in reports) > 0 and sum(r.maths for r in reports) > 0

"""Open every page of a built website in headless Chromium, as a reader would, and report what
a reader would find broken.

    python book/_tools/check_site.py _build/html --screenshots _build/screenshots

The site is served from a local web server and the browser is cut off from the internet (every
other host name fails to resolve), so a page that needs a CDN fails here as it would on a plane.
A page fails when it does not render (no text), when an image does not load, when an `<audio>`
element has no source the browser can play, when a link inside the site points to a missing page
or anchor, when maths is left as raw LaTeX, or when a script raises an error or a resource fails
to load. A screenshot of every page goes into the screenshots folder (a page taller than
SCREENSHOT_MAX_HEIGHT in several: NAME.png, NAME-2.png, ...), with `site-check.json`: what
was counted on each page (figures, animations, audio players, formulas) and every problem found.
Exits with 1 when there is a problem. Needs Chromium and its driver (Debian: `apt-get install
chromium chromium-driver`, which `make` does) and selenium (`pip install -e ".[book]"`).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import http.server
import json
import re
import shutil
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

# what the browser may wait for, per page
LOAD_TIMEOUT_S = 120
MEDIA_TIMEOUT_S = 20
# the tallest screenshot taken (pixels); a longer page is taken in several, one below the other
SCREENSHOT_MAX_HEIGHT = 16000
# folders of a Sphinx build that hold no pages a reader navigates to
NOT_PAGES = ("_static", "_sources", "_images", "_downloads", "_sphinx_design_static")

# Runs in the page: counts what the reader sees and finds what is broken. Images and audio are
# loaded afresh (lazy images below the fold load too); the callback gets one JSON-able object.
_INSPECT_JS = r"""
const done = arguments[arguments.length - 1];
const mediaTimeout = arguments[0];
const withTimeout = (promise, what) => Promise.race([promise, new Promise(resolve =>
    setTimeout(() => resolve(what + ": no answer within " + mediaTimeout + " ms"), mediaTimeout))]);
(async () => {
  const mathjax = (window.MathJax && MathJax.startup && MathJax.startup.promise)
      ? await withTimeout(MathJax.startup.promise.then(() => null, e => "MathJax: " + e), "MathJax") : null;
  const imageProblems = await Promise.all([...document.images].map((img, i) => {
    const src = img.currentSrc || img.src;
    if (!src) return Promise.resolve("image " + (i + 1) + " has no source");
    return withTimeout(new Promise(resolve => {
      const probe = new Image();
      probe.onload = () => resolve(probe.naturalWidth > 0 ? null : "image " + src.slice(0, 120) + " is empty");
      probe.onerror = () => resolve("image " + src.slice(0, 120) + " does not load");
      probe.src = src;
    }), "image " + src.slice(0, 120));
  }));
  const audioProblems = await Promise.all([...document.querySelectorAll("audio")].map((audio, i) => {
    const sources = [audio.getAttribute("src"), ...[...audio.querySelectorAll("source")].map(s => s.getAttribute("src"))]
        .filter(s => s);
    const name = "audio player " + (i + 1);
    if (!sources.length) return Promise.resolve(name + " has no source");
    const types = [...audio.querySelectorAll("source")].map(s => s.type).filter(t => t);
    if (types.length && !types.some(t => audio.canPlayType(t))) return Promise.resolve(name + ": the browser plays none of " + types.join(", "));
    return withTimeout(new Promise(resolve => {
      const check = () => {
        if (audio.error) resolve(name + " does not play (media error " + audio.error.code + ")");
        else if (audio.readyState >= 1) resolve(audio.duration > 0 ? null : name + " lasts 0 s");
        else return false;
        return true;
      };
      if (!check()) {
        audio.addEventListener("loadedmetadata", check);
        audio.addEventListener("error", check, true);
        [...audio.querySelectorAll("source")].forEach(s => s.addEventListener("error", () =>
            setTimeout(() => { if (audio.networkState === 3) resolve(name + " has no playable source"); }, 0)));
        audio.preload = "metadata";
        audio.load();
      }
    }), name);
  }));
  // maths: a formula MathJax did not typeset, or TeX left in the text (outside code)
  const main = (document.querySelector("main article, article, main") || document.body || document.documentElement).cloneNode(true);
  main.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight, .MathJax").forEach(e => e.remove());
  const text = main.textContent;
  const raw = [];
  const tex = /\\\(|\\\[|\$\$|\\begin\{|\$[^$\n]{0,80}\\[A-Za-z]+[^$\n]{0,80}\$/g;
  let m;
  while ((m = tex.exec(text)) !== null && raw.length < 5) raw.push(text.slice(Math.max(0, m.index - 30), m.index + 50).replace(/\s+/g, " "));
  const ids = [...document.querySelectorAll("[id]")].map(e => e.id)
      .concat([...document.querySelectorAll("a[name]")].map(e => e.getAttribute("name")));
  const links = [...document.querySelectorAll("a[href]")].map(a => a.href);
  done({
    title: document.title,
    text_chars: document.body ? document.body.innerText.trim().length : 0,
    height: Math.max(document.body ? document.body.scrollHeight : 0, document.documentElement.scrollHeight),
    figures: [...document.querySelectorAll("figure, div.figure")].filter(f => f.querySelector("img")).length,
    images: document.images.length,
    animations: document.querySelectorAll("div.animation").length,
    audio: document.querySelectorAll("audio").length,
    maths: document.querySelectorAll("mjx-container").length,
    mathjax_problem: mathjax,
    image_problems: imageProblems.filter(p => p),
    audio_problems: audioProblems.filter(p => p),
    raw_maths: raw,
    ids: ids,
    links: links,
  });
})().catch(e => done({error: String(e)}));
"""


@dataclasses.dataclass
class PageReport:
    """What one page holds and what is wrong with it."""

    page: str  # path inside the site
    title: str = ""
    figures: int = 0
    images: int = 0
    animations: int = 0
    audio: int = 0
    maths: int = 0
    seconds: float = 0.0
    problems: list[str] = dataclasses.field(default_factory=list)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve(root: Path):
    """A web server for the folder `root` on a free local port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def find_chromium() -> tuple[str, str]:
    """(browser, driver) executables, or a RuntimeError that says how to install them."""
    browser = next((p for name in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        missing = " and ".join(n for n, p in (("Chromium", browser), ("chromedriver", driver)) if not p)
        raise RuntimeError(f"{missing} not found on PATH: the site check needs headless Chromium and its driver. "
                           "Install them with `sudo apt-get install chromium chromium-driver` (Debian, Ubuntu; "
                           "`make system` does this).")
    return browser, driver


@contextlib.contextmanager
def browser(width: int = 1280, height: int = 900):
    """Headless Chromium under selenium, with no route to the internet: every host name except the
    local server's fails to resolve. Console messages are kept for `page_errors`."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        raise RuntimeError("selenium is not installed: `pip install -e '.[book]'` (or `make setup`)") from exc
    binary, driver_path = find_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                 f"--window-size={width},{height}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(LOAD_TIMEOUT_S)
    driver.set_script_timeout(LOAD_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


def page_errors(driver) -> list[str]:
    """The errors the browser logged since the last call: uncaught script errors and resources
    that failed to load. Not messages a script chose to log (the theme logs one on a first visit),
    nor the favicon the browser asks every site for."""
    return [entry["message"][:300] for entry in driver.get_log("browser")
            if entry.get("level") == "SEVERE" and entry.get("source") in ("javascript", "network")
            and "/favicon.ico " not in entry["message"]]


def pages_of(root: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to `root`, the front page first."""
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")
                   if not set(p.relative_to(root).parts[:-1]) & set(NOT_PAGES))
    return sorted(pages, key=lambda p: p != "index.html")


def _screenshot(driver, path: Path, height: int) -> list[Path]:
    """The whole page, `height` pixels tall, as PNG files: `path`, and for a page taller than
    SCREENSHOT_MAX_HEIGHT (about what Chromium can capture at once) `NAME-2.png`, `NAME-3.png`, ...
    further down (the last one ends at the page's foot). Returns the files written."""
    width = driver.get_window_size()["width"]
    window = max(600, min(height, SCREENSHOT_MAX_HEIGHT))
    driver.set_window_size(width, window)
    time.sleep(0.2)
    files = []
    for part, top in enumerate(range(0, max(height, 1), SCREENSHOT_MAX_HEIGHT), start=1):
        driver.execute_script("window.scrollTo(0, arguments[0]);", min(top, max(0, height - window)))
        time.sleep(0.1)
        files.append(path if part == 1 else path.with_name(f"{path.stem}-{part}{path.suffix}"))
        driver.save_screenshot(str(files[-1]))
    driver.execute_script("window.scrollTo(0, 0);")
    driver.set_window_size(width, 900)
    return files


_REFRESH = re.compile(r"""<meta\s+http-equiv=["']refresh["']\s+content=["']\d+;\s*url=([^"']+)["']""", re.I)


def redirect_of(html_text: str) -> str | None:
    """Where a page that only redirects (a meta refresh and nothing else to read) sends the
    reader, else None."""
    found = _REFRESH.search(html_text)
    if found is None or re.sub(r"<[^>]+>", "", html_text).strip():
        return None
    return found.group(1)


def served_html(base: str, page: str) -> str:
    """The page's HTML as the server sends it (before any script or redirect runs)."""
    with urllib.request.urlopen(base + page, timeout=30) as response:
        return response.read().decode("utf-8", "replace")


def check_page(driver, base: str, page: str, screenshots: Path | None = None) -> tuple[PageReport, set[str], list[str]]:
    """Open `page` (a path inside the site served at `base`): its report, its anchors (ids) and
    the links on it (absolute URLs)."""
    report = PageReport(page)
    started = time.perf_counter()
    target = redirect_of(served_html(base, page))
    if target is not None:  # a page that only sends the reader on (Jupyter Book's index.html)
        report.title = f"redirect to {target}"
        return report, set(), [urljoin(base + page, target)]
    page_errors(driver)  # forget what earlier pages logged
    driver.get(base + page)
    found = driver.execute_async_script(_INSPECT_JS, MEDIA_TIMEOUT_S * 1000)
    if "error" in found:
        report.problems.append(f"the page could not be inspected: {found['error']}")
        return report, set(), []
    report.title = found["title"]
    for field in ("figures", "images", "animations", "audio", "maths"):
        setattr(report, field, found[field])
    if found["text_chars"] == 0:
        report.problems.append("the page shows no text (it does not render)")
    report.problems += found["image_problems"] + found["audio_problems"]
    if found["mathjax_problem"]:
        report.problems.append(found["mathjax_problem"])
    report.problems += [f"raw LaTeX in the text: ...{snippet}..." for snippet in found["raw_maths"]]
    report.problems += [f"console error: {message}" for message in page_errors(driver)]
    if screenshots is not None:
        _screenshot(driver, screenshots / (page.replace("/", "__")[:-5] + ".png"), found["height"])
    report.seconds = round(time.perf_counter() - started, 2)
    return report, set(found["ids"]), found["links"]


def broken_links(root: Path, base: str, links: dict[str, list[str]], anchors: dict[str, set[str]]) -> dict[str, list[str]]:
    """Per page, the links into the site (`base`) that name a file the site lacks or an anchor
    the page they point to does not have."""
    broken = {}
    for page, urls in links.items():
        for url in urls:
            if not url.startswith(base):
                continue  # another site: not checked offline
            target, fragment = urldefrag(url)
            path = unquote(urlsplit(target).path)[len(urlsplit(base).path):] or "index.html"
            if path.endswith("/"):
                path += "index.html"
            if not (root / path).exists():
                broken.setdefault(page, []).append(f"link to a missing file: {path}")
            elif fragment and path in anchors and unquote(fragment) not in anchors[path]:
                broken.setdefault(page, []).append(f"link to a missing anchor: {path}#{fragment}")
    return broken


def check_site(root: str | Path, screenshots: str | Path | None = None, log=print) -> list[PageReport]:
    """Open every page of the built site in `root` and return a report per page (`problems` empty
    on a page that is fine). With `screenshots`, each page's screenshot (NAME.png, and NAME-2.png ... for
    a tall page) and site-check.json go there."""
    root = Path(root)
    if not (root / "index.html").is_file():
        raise FileNotFoundError(f"{root} holds no built website (no index.html): build it first with `make book`")
    shots = Path(screenshots) if screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    reports, anchors, links = [], {}, {}
    with serve(root) as base, browser() as driver:
        for page in pages_of(root):
            report, anchors[page], links[page] = check_page(driver, base, page, shots)
            reports.append(report)
            log(f"{page}: {report.figures} figures, {report.animations} animations, {report.audio} audio players, "
                f"{report.maths} formulas, {len(report.problems)} problems ({report.seconds:.1f} s)")
        for page, problems in broken_links(root, base, links, anchors).items():
            next(r for r in reports if r.page == page).problems += problems
    if shots:
        summary = {"pages": len(reports), **{k: sum(getattr(r, k) for r in reports)
                                             for k in ("figures", "images", "animations", "audio", "maths")},
                   "problems": sum(len(r.problems) for r in reports),
                   "by_page": [dataclasses.asdict(r) for r in reports]}
        (shots / "site-check.json").write_text(json.dumps(summary, indent=1) + "\n")
    return reports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="_build/html", help="the built website (default _build/html)")
    parser.add_argument("--screenshots", help="folder for the screenshots of every page and site-check.json")
    args = parser.parse_args()
    try:
        reports = check_site(args.site, args.screenshots)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"check_site: {exc}", file=sys.stderr)
        return 2
    totals = {k: sum(getattr(r, k) for r in reports) for k in ("figures", "animations", "audio", "maths")}
    print(f"{len(reports)} pages: {totals['figures']} figures, {totals['animations']} animations, "
          f"{totals['audio']} audio players, {totals['maths']} formulas")
    bad = [r for r in reports if r.problems]
    for r in bad:
        print(f"\n{r.page}:")
        print("\n".join(f"  - {p}" for p in r.problems))
    if bad:
        print(f"\n{sum(len(r.problems) for r in bad)} problems on {len(bad)} of {len(reports)} pages")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""The bibliography: one .bib file holds every work the book relies on, every citation in the
book names an entry of it, every entry is cited, the paper is linked from the first page and
the README, and no chapter cites by bare names and years (which the website cannot link)."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIB = ROOT / "book" / "references.bib"
PAGES = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "book").glob("*.md"))
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
PAPER = "https://arxiv.org/abs/2606.20457"
REQUIRED = {  # the works the book's ideas, data and metrics come from
    "makarov2026repurposing", "vincent2011connection", "song2019generative", "song2021scorebased",
    "karras2022elucidating", "dhariwal2021diffusion", "ho2022classifierfree", "grathwohl2020classifier",
    "perez2018film", "heusel2017gans", "salimans2016improved", "griffin1984signal", "kong2020hifigan",
    "kong2021diffwave", "donahue2019adversarial", "goel2022sashimi", "ragano2024scoreq", "warden2018speech",
    "jackson2018fsdd",
}


def prose(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.fixture(scope="module")
def entries():
    from pybtex.database import parse_file

    return parse_file(str(BIB)).entries


def test_the_bibliography_holds_every_work_the_book_relies_on(entries):
    assert REQUIRED <= set(entries), f"missing from {BIB.name}: {sorted(REQUIRED - set(entries))}"
    for key, entry in entries.items():
        assert {"title", "year"} <= set(entry.fields) and entry.persons.get("author"), f"{key}: author, title, year"
        assert "url" in entry.fields or "doi" in entry.fields, f"{key}: give a url or doi so readers can find it"


def test_every_citation_names_an_entry_and_every_entry_is_cited(entries):
    cited = {}
    for page in PAGES:
        for group in CITE.findall(prose(page)):
            for key in group.split(","):
                cited.setdefault(key.strip(), page.name)
    unknown = {k: p for k, p in cited.items() if k not in entries}
    assert not unknown, f"citations of keys not in {BIB.name}: {unknown}"
    assert set(entries) <= set(cited), f"entries nobody cites: {sorted(set(entries) - set(cited))}"


def test_the_paper_is_linked_from_the_first_page_and_the_readme():
    assert PAPER in (ROOT / "book" / "intro.md").read_text()
    assert PAPER in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_citation_by_bare_names(page):
    bare = re.findall(r"\b[A-Z][a-z]+(?: et al\.| & [A-Z][a-z]+),? \(?(?:19|20)\d\d\b", prose(page))
    assert not bare, f"{page.name}: cite {bare} with {{cite:t}}`key` from {BIB.name}"


def test_reference_pages_are_in_the_book_and_chapters_link_the_glossary():
    toc = (ROOT / "_toc.yml").read_text()
    for page in ("prerequisites", "notation", "glossary", "references"):
        assert f"book/{page}" in toc, f"book/{page}.md is not in _toc.yml"
    glossary = (ROOT / "book" / "glossary.md").read_text()
    body = glossary.split("```{glossary}")[1].split("```")[0]
    terms = {line.strip().lower() for line in body.splitlines() if line and not line.startswith(" ")}
    assert len(terms) >= 20, f"only {len(terms)} glossary terms"
    notation = (ROOT / "book" / "notation.md").read_text()
    labels = set(re.findall(r"^\$\$ \((eq-[a-z-]+)\)$", notation, re.M))
    assert {"eq-ve-sde", "eq-reverse-sde", "eq-pf-ode", "eq-dsm", "eq-precond", "eq-heun", "eq-guidance"} <= labels
    for page in PAGES:
        text = prose(page)
        for ref in re.findall(r"\{eq\}`([^`]+)`", text):
            assert ref in labels, f"{page.name}: equation {ref} is not on the notation page"
        for ref in re.findall(r"\{term\}`(?:[^`<]*<)?([^`>]+)>?`", text):
            assert ref.lower() in terms, f"{page.name}: {ref!r} is not a glossary term"
        if page.suffix == ".ipynb":
            assert "{term}`" in text, f"{page.name}: link the terms it introduces to the glossary"

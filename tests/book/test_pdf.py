"""The book as one PDF per edition, built with the README's command from the stored outputs.

Builds ``book-zh.pdf`` and ``book-en.pdf`` once (``python book/_pdf/build.py --out DIR``, both
editions side by side) and checks them with poppler's tools: every font embedded, a CJK font
in the Chinese one, the expected words in the text, one embedded image per figure of the
edition's notebooks, no character XeLaTeX could not draw, every chapter of ``_toc.yml`` in
the PDF's outline (its bookmarks). The first page of each PDF that has a figure is rendered
to ``_build/pdf-pages/`` for a reviewer to look at. Skips, saying why, where Debian's TeX Live,
the Noto CJK fonts or poppler are missing (``.ci/run`` installs them).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "_build" / "pdf-pages"
EDITIONS = ("zh", "en")
TOOLS = ("xelatex", "latexmk", "fc-list", "pdffonts", "pdftotext", "pdfimages", "pdftoppm", "pdftohtml")
PACKAGES = (ROOT / "book" / "_pdf" / "debian-packages.txt").read_text(encoding="utf-8").split()
MISSING = f"needs Debian's {' '.join(PACKAGES)} (book/_pdf/debian-packages.txt); .ci/run installs them"
pytestmark = pytest.mark.slow


def missing_tools() -> list[str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing and "Noto Sans CJK SC" not in run("fc-list", ":", "family"):
        missing.append("the Noto CJK fonts")
    return missing


def run(*command) -> str:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
    return result.stdout


def edition_pages(edition: str) -> list[str]:
    """The pages of the edition in ``_toc.yml`` (its index's sections) that have a source."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    (index,) = [c for part in toc["parts"] for c in part["chapters"] if c["file"] == f"book/{edition}/index"]
    pages = []

    def walk(entries):
        for entry in entries:
            pages.append(entry["file"])
            walk(entry.get("sections", []))

    walk(index.get("sections", []))
    return [p for p in pages if any((ROOT / f"{p}{s}").is_file() for s in (".md", ".ipynb"))]


def title(page: str) -> str:
    """The page's title: its first level-one heading, without Markdown markup."""
    path = ROOT / f"{page}.ipynb"
    if path.is_file():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    heading = re.search(r"^# (.+)$", text, re.MULTILINE).group(1)
    return re.sub(r"[`*_]", "", heading).strip()


def figures(edition: str) -> int:
    """The PNG outputs of the edition's notebooks: the figures, as on the site."""
    count = 0
    for page in edition_pages(edition):
        path = ROOT / f"{page}.ipynb"
        if path.is_file():
            for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
                count += sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
    return count


def test_the_readme_ci_and_workflow_install_the_same_packages_and_publish_the_pdfs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (install,) = re.findall(r"^apt-get install --no-install-recommends (.+)$", readme, re.MULTILINE)
    assert install.split() == PACKAGES
    assert "\n```bash\npython book/_pdf/build.py\n```" in readme
    assert "$(cat book/_pdf/debian-packages.txt)" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    steps = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    assert any("$(cat book/_pdf/debian-packages.txt)" in step for step in steps)
    (publish,) = [step for step in steps if "python book/_pdf/build.py" in step]
    assert "cp _build/pdf/book-zh.pdf _build/pdf/book-en.pdf _build/html/" in publish
    # the landing page and each preface link both PDFs where the workflow puts them
    for page, prefix in (
        ("book/index.md", "../"),
        ("book/zh/preface.md", "../../"),
        ("book/en/preface.md", "../../"),
    ):
        text = (ROOT / page).read_text(encoding="utf-8")
        for edition in EDITIONS:
            assert f'href="{prefix}book-{edition}.pdf"' in text, page


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    """Both PDFs, built once with the README's command into a temporary folder."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"{MISSING} (missing: {', '.join(missing)})")
    out = tmp_path_factory.mktemp("pdf")
    result = subprocess.run(
        [sys.executable, str(ROOT / "book" / "_pdf" / "build.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {edition: out / f"book-{edition}.pdf" for edition in EDITIONS}


def image_pages(pdf: Path) -> list[int]:
    """The page of each image drawn in the PDF (``pdfimages -list``; soft masks left out)."""
    rows = run("pdfimages", "-list", pdf).splitlines()[2:]
    return [int(row.split()[0]) for row in rows if row.split()[2] == "image"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_font_is_embedded(pdfs, edition):
    # a row ends with the columns emb, sub, uni, object, generation; long names push the rest
    fonts = [row.split() for row in run("pdffonts", pdfs[edition]).splitlines()[2:]]
    assert fonts
    not_embedded = [font[0] for font in fonts if font[-5] != "yes"]
    assert not not_embedded, f"fonts not embedded in book-{edition}.pdf: {not_embedded}"
    if edition == "zh":
        # Noto CJK's collection names every face by its Japanese one (NotoSerifCJKjp-Regular):
        # the faces share their outlines; the Chinese face's character map picks the glyphs.
        assert any("CJK" in font[0] for font in fonts), [font[0] for font in fonts]


@pytest.mark.parametrize(("edition", "words"), [("zh", ["交叉熵", "损失函数"]), ("en", ["cross-entropy"])])
def test_the_text_is_searchable(pdfs, edition, words):
    text = run("pdftotext", "-enc", "UTF-8", pdfs[edition], "-")
    for word in words:
        assert word in text, f"{word!r} not in the text of book-{edition}.pdf"


@pytest.mark.parametrize("edition", EDITIONS)
def test_one_embedded_image_per_figure(pdfs, edition):
    assert len(image_pages(pdfs[edition])) == figures(edition) > 0


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_missing_character(pdfs, edition):
    log = pdfs[edition].with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    missing = sorted(set(re.findall(r"Missing character: There is no (.+?) in font", log)))
    assert not missing, f"XeLaTeX could not draw {missing} in book-{edition}.pdf"


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_chapter_is_in_the_outline(pdfs, edition):
    # pdftohtml's XML lists the PDF's outline (bookmarks), each as an <item>
    xml = run("pdftohtml", "-xml", "-i", "-q", "-f", "1", "-l", "1", "-stdout", pdfs[edition])
    outline = [" ".join(item.itertext()) for item in ET.fromstring(xml).iter("item")]
    pages = [*edition_pages(edition), "book/bibliography"]
    if (ROOT / "book" / "glossary.md").is_file():
        pages.append("book/glossary")
    assert len(pages) >= 8
    for page in pages:
        assert any(title(page) in entry for entry in outline), f"{title(page)!r} ({page}) not in the outline"


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_page_with_a_figure_rendered_for_review(pdfs, edition):
    page = image_pages(pdfs[edition])[0]
    PAGES.mkdir(parents=True, exist_ok=True)
    for old in PAGES.glob(f"book-{edition}-page-*.png"):
        old.unlink()
    prefix = PAGES / f"book-{edition}-page-{page}"
    run("pdftoppm", "-png", "-r", "80", "-singlefile", "-f", page, "-l", page, pdfs[edition], prefix)
    png = prefix.with_suffix(".png")
    assert png.stat().st_size > 10_000
    print(f"book-{edition}.pdf, page {page}: {png}")

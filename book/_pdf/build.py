"""Build the book as one PDF per edition, from the committed notebooks (nothing is re-executed).

    python book/_pdf/build.py                  # _build/pdf/book-zh.pdf and _build/pdf/book-en.pdf
    python book/_pdf/build.py --out DIR zh     # one edition, elsewhere

Each edition is built as its own Jupyter Book in ``<out>/<edition>/``: a table of contents
made from the edition's pages in ``_toc.yml`` (the pages before the first chapter notebook, the
preface and the notation, as front matter; the chapters; the ``appendix-*`` pages as
appendices; then the glossary, when ``book/glossary.md`` exists, and the bibliography), with
``book/_pdf/<edition>.md`` as its root, and the book's ``_config.yml`` with execution off and
the LaTeX settings below. Sphinx writes LaTeX (Jupyter Book's ``latex`` builder, warnings
are errors) and latexmk typesets it with XeLaTeX, xeCJK and the Noto CJK fonts (``preamble.tex``).
The Debian packages it needs are listed in ``debian-packages.txt``. The PDF and the
XeLaTeX log land in ``<out>/book-<edition>.pdf`` and ``<out>/book-<edition>.log``; the two
editions are built side by side.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EDITIONS = ("zh", "en")
LANGUAGE = {"zh": "zh_CN", "en": "en"}
TITLE = {"zh": "lossbook · 损失函数", "en": "lossbook · Loss functions"}
AUTHOR = {"zh": "lossbook 贡献者", "en": "lossbook contributors"}
# The edition's words in LaTeX: the label of a chapter ("Chapter 1", "第 1 章", "附录 A") and,
# for Chinese, the names LaTeX would print in English (\@chapapp is \appendixname in appendices).
# Then the punctuation xeCJK would set full width from the Chinese font: the middle dot of
# "勘误 · Erratum" is Latin in both editions; quotes, dashes and the ellipsis Latin in English.
WORDS = {
    "zh": r"""\xeCJKDeclareCharClass{Default}{"00B7}
\makeatletter
\newcommand{\lossbookchapterlabel}{\ifx\@chapapp\appendixname 附录\,\thechapter\else 第\,\thechapter\,章\fi}
\makeatother
\renewcommand{\contentsname}{目录}
\renewcommand{\bibname}{参考文献}
""",
    "en": r"""\xeCJKDeclareCharClass{Default}{"00B7, "2014, "2018, "2019, "201C, "201D, "2026}
\makeatletter
\newcommand{\lossbookchapterlabel}{\@chapapp\ \thechapter}
\makeatother
""",
}
# The back of the title page: what this PDF is and where its code runs.
ABOUT = {
    "zh": (
        r"本书的 PDF 版，与网页版出自同一份源文件。书中的代码输出与图片就是仓库中保存的、"
        r"经持续集成重新计算并核对过的结果，生成 PDF 时不重新运行。每章都是一个 Jupyter 笔记本，"
        r"可在 \url{{{repository}}} 找到并运行。练习的参考答案紧随每道练习之后。"
    ),
    "en": (
        r"The PDF edition of the book, built from the same sources as the website. The code "
        r"outputs and figures are those stored in the repository, recomputed and checked in CI; "
        r"nothing is re-executed to make this PDF. Every chapter is a Jupyter notebook, to be "
        r"found and run at \url{{{repository}}}. The solution to each exercise follows it."
    ),
}
# What .ci/run, the publishing workflow and the README install (apt-get --no-install-recommends).
DEBIAN_PACKAGES = (HERE / "debian-packages.txt").read_text(encoding="utf-8").split()


def source_exists(page: str) -> bool:
    return any((ROOT / f"{page}{suffix}").is_file() for suffix in (".md", ".ipynb"))


def edition_pages(edition: str) -> list[str]:
    """The edition's pages in the order of ``_toc.yml`` (its index's sections) that have a source."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    index = f"book/{edition}/index"
    entries = [chapter for part in toc["parts"] for chapter in part["chapters"] if chapter["file"] == index]
    if not entries:
        raise SystemExit(f"_toc.yml has no {index}")
    pages = []

    def walk(sections):
        for section in sections:
            pages.append(section["file"])
            walk(section.get("sections", []))

    walk(entries[0].get("sections", []))
    for page in pages:
        if not source_exists(page):
            print(f"[pdf] {page} is in _toc.yml but has no source yet: left out", file=sys.stderr)
    return [page for page in pages if source_exists(page)]


def layout(edition: str) -> dict[str, list[str]]:
    """The edition's pages as front matter, chapters, appendices and back matter."""
    back = ["book/glossary", "book/bibliography"]  # shared by both editions, placed below
    pages = [page for page in edition_pages(edition) if page not in back]
    is_notebook = [(ROOT / f"{p}.ipynb").is_file() for p in pages]
    first_chapter = is_notebook.index(True) if any(is_notebook) else len(pages)
    front, rest = pages[:first_chapter], pages[first_chapter:]
    appendix = [p for p in rest if p.rsplit("/", 1)[-1].startswith("appendix")]
    chapters = [p for p in rest if p not in appendix]
    if source_exists("book/glossary"):
        appendix.append("book/glossary")
    return {"front": front, "chapters": chapters, "appendix": appendix, "back": ["book/bibliography"]}


# Characters xeCJK sets in the CJK fonts (CJK scripts, punctuation, full-width forms).
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")


def font_characters(family: str) -> set[int]:
    """The code points of the font fontconfig finds for ``family``."""
    from fontTools.ttLib import TTFont

    found = subprocess.run(["fc-match", "-f", "%{file}|%{index}", family], capture_output=True, text=True)
    path, _, index = found.stdout.partition("|")
    return set(TTFont(path, fontNumber=int(index or 0), lazy=True).getBestCmap())


def page_characters(page: str) -> tuple[set[str], set[str]]:
    """The characters of a page's prose and of its code and outputs."""
    path = ROOT / f"{page}.ipynb"
    if not path.is_file():
        return set((ROOT / f"{page}.md").read_text(encoding="utf-8")), set()
    prose, code = set(), set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            prose |= set("".join(cell["source"]))
            continue
        code |= set("".join(cell["source"]))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:  # shown as prose, as on the site
                prose |= set("".join(data["text/markdown"]))
            else:
                code |= set("".join(output.get("text", "") or data.get("text/plain", "")))
    return prose, code


def fallback_glyphs(pages: list[str], preamble: str) -> str:
    """``\\newunicodechar`` lines drawing the characters of ``pages`` that the text font (prose) or
    the code font (code, outputs) lacks from the fallback font; XeLaTeX would drop them."""
    fonts = [
        font_characters(re.search(re.escape(command) + r"\{(.+?)\}", preamble).group(1))
        for command in (r"\setmainfont", r"\setmonofont", r"\newfontfamily\lossbookfallbackfont")
    ]
    prose, code = set((ROOT / "book" / "references.bib").read_text(encoding="utf-8")), set()
    for page in pages:
        page_prose, page_code = page_characters(page)
        prose |= page_prose
        code |= page_code
    text_font, code_font, fallback = fonts
    missing = {c for c in prose if ord(c) not in text_font} | {c for c in code if ord(c) not in code_font}
    missing = sorted(c for c in missing if ord(c) > 0x7F and not CJK.match(c) and ord(c) in fallback)
    return "".join(f"\\newunicodechar{{{c}}}{{\\lossbookfallback{{{ord(c):04X}}}}}\n" for c in missing)


def write_project(edition: str, folder: Path) -> tuple[Path, Path]:
    """The edition's ``_toc.yml`` and ``_config.yml`` in ``folder``; returns their paths."""
    parts = layout(edition)
    pages = [p for key in ("front", "chapters", "appendix", "back") for p in parts[key]]
    toc = {"format": "jb-book", "root": f"book/_pdf/{edition}", "chapters": [{"file": p} for p in pages]}
    folder.mkdir(parents=True, exist_ok=True)
    toc_path = folder / "_toc.yml"
    toc_path.write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False), encoding="utf-8")

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    version = re.search(r'__version__ = "(.+?)"', (ROOT / "lossbook" / "_version.py").read_text()).group(1)
    repository = config["repository"]["url"]
    config["title"] = TITLE[edition]
    config["author"] = AUTHOR[edition]
    # the stored outputs, checked by nbval in the tests
    config["execute"]["execute_notebooks"] = "off"
    # paths in the configuration are relative to it: make them absolute for the copy
    config["bibtex_bibfiles"] = [str(ROOT / p) for p in config["bibtex_bibfiles"]]
    config["html"].pop("favicon", None)
    sphinx = config["sphinx"]
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in sphinx["local_extensions"].items()}
    sphinx["local_extensions"]["lossbook_pdf"] = str(HERE)
    config["latex"] = {
        "latex_engine": "xelatex",
        "use_jupyterbook_latex": False,
        "latex_documents": {"targetname": f"book-{edition}.tex"},
    }
    preamble = (HERE / "preamble.tex").read_text(encoding="utf-8")
    preamble += WORDS[edition] + fallback_glyphs([toc["root"], *pages], preamble)
    back_of_title_page = (
        "\\newcommand{\\sphinxbackoftitlepage}{\\vspace*{\\fill}\\noindent "
        + ABOUT[edition].format(repository=repository)
        + "\\par}\n"
    )
    sphinx["config"].update(
        {
            "language": LANGUAGE[edition],
            "release": version,
            "version": version,
            "latex_docclass": {"manual": "book"},
            "latex_use_xindy": False,
            "latex_domain_indices": False,
            "latex_show_urls": "footnote",
            "latex_elements": {
                "papersize": "a4paper",
                "pointsize": "10pt",
                "extraclassoptions": "openany,oneside",
                "babel": "",
                "polyglossia": "",
                "fontenc": r"\usepackage{fontspec}",
                "fontpkg": "",
                "fncychap": "",
                "fvset": r"\fvset{fontsize=\footnotesize,formatcom=\xeCJKVerbAddon}",
                "preamble": preamble + back_of_title_page,
                "makeindex": "",
                "printindex": "",
                "sphinxsetup": "hmargin={2.2cm,2.2cm}, vmargin={2.5cm,2.5cm}",
            },
            "lossbook_pdf_matter": {
                **({parts["chapters"][0]: "mainmatter"} if parts["chapters"] else {}),
                **({parts["appendix"][0]: "appendix"} if parts["appendix"] else {}),
                parts["back"][0]: "backmatter",
            },
        }
    )
    config_path = folder / "_config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return toc_path, config_path


def build_edition(edition: str, out: Path) -> Path:
    """Sphinx's LaTeX, then latexmk, for one edition in ``<out>/<edition>/``; returns its PDF."""
    folder = out / edition
    if folder.exists():
        shutil.rmtree(folder)
    toc, config = write_project(edition, folder)
    latex = folder / "_build" / "latex"
    log = folder / "build.log"
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    commands = [
        ([jupyter_book, "build", ROOT, "--builder", "latex", "--toc", toc, "--config", config,
          "--path-output", folder, "-n", "-W", "--keep-going"], ROOT),
        (["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
          f"book-{edition}.tex"], latex),
    ]  # fmt: skip
    with log.open("w", encoding="utf-8") as output:
        for command, cwd in commands:
            done = subprocess.run([str(c) for c in command], cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
            if done.returncode != 0:
                raise RuntimeError(
                    f"{edition}: {command[0]} failed; see {log} and {latex / f'book-{edition}.log'}"
                )
    shutil.copy2(latex / f"book-{edition}.log", out / f"book-{edition}.log")
    return Path(shutil.copy2(latex / f"book-{edition}.pdf", out / f"book-{edition}.pdf"))


def build(editions=EDITIONS, out: Path = ROOT / "_build" / "pdf") -> dict[str, Path]:
    """Build the editions' PDFs into ``out``, side by side; returns their paths."""
    missing = [tool for tool in ("xelatex", "latexmk", "fc-match") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"needs {', '.join(missing)}: apt-get install {' '.join(DEBIAN_PACKAGES)}")
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(editions)) as pool:
        futures = {edition: pool.submit(build_edition, edition, out) for edition in editions}
    errors = [str(f.exception()) for f in futures.values() if f.exception() is not None]
    if errors:
        raise SystemExit("the PDF build failed:\n" + "\n".join(errors))
    pdfs = {edition: future.result() for edition, future in futures.items()}
    for pdf in pdfs.values():
        print(f"[pdf] {pdf} ({pdf.stat().st_size / 1e6:.1f} MB)")
    print(f"[pdf] built in {time.perf_counter() - began:.0f} s")
    return pdfs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("editions", nargs="*", metavar="EDITION", help="zh or en (default: both)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "pdf", help="default: _build/pdf")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.editions) - set(EDITIONS))
    if unknown:
        parser.error(f"unknown edition {unknown}; the editions are {', '.join(EDITIONS)}")
    build(args.editions or EDITIONS, args.out)


if __name__ == "__main__":
    main()

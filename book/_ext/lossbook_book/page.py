"""What every page needs beyond the theme: its language, the book's CSS and JavaScript, MathJax.

- ``<html lang="zh-CN">`` on the Chinese edition's pages, ``lang="en"`` on every other page
  (screen readers pick their voice from it, browsers their CJK line breaking, search engines
  the page's language).
- ``static/lossbook.css`` and ``static/lossbook.js``: the phone layout (the sidebars' buttons,
  wide figures, long equations and code), the language switch that keeps the reader's section,
  and the search results' plain-text snippets with whole Chinese terms highlighted.
- MathJax from the pinned ``django-static-mathjax`` package (MathJax 3.2.2, no Django needed),
  copied into ``_static/mathjax/``, so the math renders with no network, as when a reader opens
  ``_build/html/index.html`` from disk.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

STATIC = Path(__file__).parent / "static"
MATHJAX_PACKAGE = "mathjax"  # the import name of django-static-mathjax
MATHJAX_SCRIPT = "mathjax/tex-mml-chtml.js"
# What tex-mml-chtml.js loads: TeX extensions on demand, the CHTML fonts, the context menu and
# its accessibility options. The speech rule engine (sre/, 4 MB) serves an explorer that is off.
MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output/chtml", "a11y", "ui", "adaptors")


def page_language(pagename: str) -> str:
    """The language tag of a page: ``zh-CN`` for the Chinese edition, ``en`` for the rest.

    >>> page_language("book/zh/regression"), page_language("book/en/regression")
    ('zh-CN', 'en')
    >>> page_language("book/api/ctc"), page_language("book/index")
    ('en', 'en')
    """
    return "zh-CN" if pagename.startswith("book/zh/") else "en"


def set_page_language(app, pagename, templatename, context, doctree):
    """``html-page-context`` handler: the theme writes ``<html lang="{{ language }}">``."""
    context["language"] = page_language(pagename)


def mathjax_source() -> Path:
    """The ``es5`` folder of the MathJax that ``django-static-mathjax`` ships."""
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            "MathJax for offline reading comes from the django-static-mathjax package: "
            "pip install -r requirements.txt"
        )
    es5 = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").is_file():
        raise ExtensionError(f"{es5} has no tex-mml-chtml.js: reinstall django-static-mathjax")
    return es5


def use_local_mathjax(app, config):
    """``config-inited`` handler: MathJax from ``_static/``, the book's CSS and JavaScript."""
    mathjax_source()  # fail at the start of the build, not at its end
    config.mathjax_path = MATHJAX_SCRIPT  # relative: Sphinx serves it from _static/
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def copy_mathjax(app, exception):
    """``build-finished`` handler: MathJax's files into the site's ``_static/mathjax/``."""
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)
    shutil.copy2(source.parent / "LICENSE", target / "LICENSE")

"""Sphinx extension of the lossbook book, one module per job.

- ``twins``: a link to each chapter's twin in the other language, at the top of the page.
- ``search``: search in both languages from one index (Chinese segmented by jieba and as
  overlapping two-character pieces, Latin words stemmed as English).
- ``exercises``: exercises numbered from 1 on each page, in Chinese on the Chinese pages.
- ``scripts``: each script once per page.
- ``page``: each page's language (``<html lang>``), the book's CSS and JavaScript
  (``static/``: phone layout, figures, the language switch's section, search snippets), and
  MathJax shipped with the site for offline reading.

``_config.yml`` loads it as ``local_extensions: {lossbook_book: book/_ext}``.
"""

from __future__ import annotations

from sphinx.search import languages

from .exercises import number_exercises_per_page
from .page import copy_mathjax, page_language, set_page_language, use_local_mathjax
from .scripts import drop_duplicate_scripts
from .search import SearchChineseAndEnglish, cjk_bigrams
from .twins import add_twin_link, twin_of

__all__ = [
    "SearchChineseAndEnglish",
    "add_twin_link",
    "cjk_bigrams",
    "copy_mathjax",
    "drop_duplicate_scripts",
    "number_exercises_per_page",
    "page_language",
    "set_page_language",
    "setup",
    "twin_of",
    "use_local_mathjax",
]


def setup(app):
    # html_search_language is "zh" (in _config.yml): Sphinx looks its search class up here.
    languages["zh"] = SearchChineseAndEnglish
    app.connect("html-page-context", add_twin_link)
    app.connect("html-page-context", drop_duplicate_scripts)
    app.connect("html-page-context", number_exercises_per_page)
    app.connect("html-page-context", set_page_language)
    # After Sphinx's own config-inited handlers (priority 500), so html_static_path is final.
    app.connect("config-inited", use_local_mathjax, priority=800)
    app.connect("build-finished", copy_mathjax)
    app.add_css_file("lossbook.css")
    app.add_js_file("lossbook.js", defer="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

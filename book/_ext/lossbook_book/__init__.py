"""Sphinx extension of the lossbook book, one module per job.

- ``twins``: a link to each chapter's twin in the other language, at the top of the page.
- ``search``: search in both languages from one index (Chinese segmented by jieba and as
  overlapping two-character pieces, Latin words stemmed as English).
- ``exercises``: exercises numbered from 1 on each page, in Chinese on the Chinese pages.
- ``scripts``: each script once per page.

``_config.yml`` loads it as ``local_extensions: {lossbook_book: book/_ext}``.
"""

from __future__ import annotations

from sphinx.search import languages

from .exercises import number_exercises_per_page
from .scripts import drop_duplicate_scripts
from .search import SearchChineseAndEnglish, cjk_bigrams
from .twins import add_twin_link, twin_of

__all__ = [
    "SearchChineseAndEnglish",
    "add_twin_link",
    "cjk_bigrams",
    "drop_duplicate_scripts",
    "number_exercises_per_page",
    "setup",
    "twin_of",
]


def setup(app):
    # html_search_language is "zh" (in _config.yml): Sphinx looks its search class up here.
    languages["zh"] = SearchChineseAndEnglish
    app.connect("html-page-context", add_twin_link)
    app.connect("html-page-context", drop_duplicate_scripts)
    app.connect("html-page-context", number_exercises_per_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

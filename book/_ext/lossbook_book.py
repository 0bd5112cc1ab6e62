"""Sphinx extension of the lossbook book: a link to each chapter's twin in the other language.

Every page under ``book/zh/`` gets, at its top, a link to the same page under ``book/en/``
and the other way round; a chapter without a twin is a build warning.
"""

from __future__ import annotations

import re

from sphinx.util import logging

logger = logging.getLogger(__name__)

EDITION = re.compile(r"^book/(zh|en)/(.+)$")
LABELS = {"zh": "中文版", "en": "English edition"}


def twin_of(pagename: str) -> tuple[str, str] | None:
    """``("book/en/regression", "en")`` for ``"book/zh/regression"``; None outside the editions."""
    match = EDITION.match(pagename)
    if match is None:
        return None
    lang, rest = match.groups()
    other = "en" if lang == "zh" else "zh"
    return f"book/{other}/{rest}", other


def add_twin_link(app, pagename, templatename, context, doctree):
    twin = twin_of(pagename)
    if twin is None or "body" not in context:
        return
    twin_page, lang = twin
    if twin_page not in app.env.found_docs:
        logger.warning("%s has no twin %s in the other language", pagename, twin_page)
        return
    href = app.builder.get_relative_uri(pagename, twin_page)
    link = (
        f'<p class="lossbook-twin"><a class="reference internal lossbook-twin-link" '
        f'href="{href}" hreflang="{lang}" lang="{lang}">{LABELS[lang]} →</a></p>\n'
    )
    context["body"] = link + context["body"]


def setup(app):
    app.connect("html-page-context", add_twin_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

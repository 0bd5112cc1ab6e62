"""A link to each chapter's twin in the other language, at the top of the page.

Every page under ``book/zh/`` links to the same page under ``book/en/`` and the other way
round; a chapter without a twin is a build warning (an error under ``-W``), so an edition
cannot silently lose a chapter.
"""

from __future__ import annotations

import re

from sphinx.util import logging

logger = logging.getLogger(__name__)

EDITION = re.compile(r"^book/(zh|en)/(.+)$")
LABELS = {"zh": "中文版", "en": "English edition"}


def twin_of(pagename: str) -> tuple[str, str] | None:
    """The twin page of ``pagename`` in the other edition and that edition's language.

    None for a page outside the two editions (the API pages, the bibliography, the root).

    >>> twin_of("book/zh/regression")
    ('book/en/regression', 'en')
    >>> twin_of("book/api/ctc") is None
    True
    """
    match = EDITION.match(pagename)
    if match is None:
        return None
    lang, rest = match.groups()
    other = "en" if lang == "zh" else "zh"
    return f"book/{other}/{rest}", other


def add_twin_link(app, pagename, templatename, context, doctree):
    """``html-page-context`` handler: put the link to the twin page before the page's body."""
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

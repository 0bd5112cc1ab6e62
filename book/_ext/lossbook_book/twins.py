"""A link to each chapter's twin in the other language, at the top of the page.

Every page under ``book/zh/`` links to the same page under ``book/en/`` and the other way
round; a chapter without a twin is a build warning (an error under ``-W``), so an edition
cannot silently lose a chapter. The link carries a map of the page's section ids to the twin's
(the editions have the same sections in the same order), so the language switch lands on the
section the reader is in (``static/lossbook.js`` picks it when the link is clicked).
"""

from __future__ import annotations

import html
import json
import re

from docutils import nodes
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


def section_ids(doctree) -> list[tuple[int, str]]:
    """(depth, id) of every section of a page, in document order."""
    found = []
    for section in doctree.findall(nodes.section):
        depth, parent = 0, section.parent
        while parent is not None:
            depth += isinstance(parent, nodes.section)
            parent = parent.parent
        if section["ids"]:
            found.append((depth, section["ids"][0]))
    return found


def section_map(page: list[tuple[int, str]], twin: list[tuple[int, str]]) -> dict[str, str]:
    """Each section id of a page to the id of its twin's section at the same place.

    The editions' headings differ in words, so their ids differ; their outline is the same.
    Where the outlines differ (an edition gained a section), sections are matched by order
    up to the first difference, and the rest land on the twin's nearest section above.

    >>> section_map([(0, "a"), (1, "b"), (1, "c")], [(0, "x"), (1, "y"), (1, "z")])
    {'a': 'x', 'b': 'y', 'c': 'z'}
    >>> section_map([(0, "a"), (1, "b"), (2, "c")], [(0, "x"), (1, "y"), (1, "z")])
    {'a': 'x', 'b': 'y', 'c': 'y'}
    """
    mapping, last = {}, None
    for (depth, here), (twin_depth, there) in zip(page, twin, strict=False):
        if depth != twin_depth:
            break
        mapping[here], last = there, there
    for _, here in page[len(mapping) :]:
        if last is not None:
            mapping[here] = last
    return mapping


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
    sections = {}
    if doctree is not None:
        sections = section_map(section_ids(doctree), section_ids(app.env.get_doctree(twin_page)))
    link = (
        f'<p class="lossbook-twin"><a class="reference internal lossbook-twin-link" '
        f'href="{href}" data-sections="{html.escape(json.dumps(sections), quote=True)}" '
        f'hreflang="{lang}" lang="{lang}">{LABELS[lang]} →</a></p>\n'
    )
    context["body"] = link + context["body"]

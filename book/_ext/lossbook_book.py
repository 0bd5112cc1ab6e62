"""Sphinx extension of the lossbook book.

- A link to each chapter's twin in the other language, at the top of the page: every page
  under ``book/zh/`` links to the same page under ``book/en/`` and the other way round; a
  chapter without a twin is a build warning.
- Search in both languages from one index: Chinese text is segmented by jieba (as Sphinx's
  own Chinese search does) and also indexed as overlapping two-character pieces, and the
  search box splits a Chinese query the same way, so a query such as 交叉熵 or 焦点损失
  finds its pages even where jieba's dictionary lacks the word. Latin words are stemmed as
  English, so "cross-entropy" finds the English pages.
- Exercises numbered from 1 on each page, and their titles, solutions' titles and "click to
  show" hints in Chinese on the Chinese pages (sphinx-exercise numbers across the whole book and takes its words from the
  one ``language`` of the book, which is English).
- Each script once per page (Jupyter Book 1 adds sphinx-thebe's configuration script twice,
  which the browser reports as a redeclaration error).
"""

from __future__ import annotations

import re

from sphinx.search import languages
from sphinx.search.zh import SearchChinese
from sphinx.util import logging

logger = logging.getLogger(__name__)

EDITION = re.compile(r"^book/(zh|en)/(.+)$")
LABELS = {"zh": "中文版", "en": "English edition"}
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def twin_of(pagename: str) -> tuple[str, str] | None:
    """``("book/en/regression", "en")`` for ``"book/zh/regression"``; None outside the editions."""
    match = EDITION.match(pagename)
    if match is None:
        return None
    lang, rest = match.groups()
    other = "en" if lang == "zh" else "zh"
    return f"book/{other}/{rest}", other


def cjk_bigrams(text: str) -> list[str]:
    """Overlapping two-character pieces of every run of CJK characters in ``text``."""
    return [run[i : i + 2] for run in CJK_RUN.findall(text) for i in range(len(run) - 1)]


class SearchChineseAndEnglish(SearchChinese):
    """Sphinx's Chinese search (jieba, English stemming) plus CJK bigrams on both sides."""

    js_splitter_code = r"""
function splitQuery(query) {
  const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/gu;
  const terms = [];
  for (const word of query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)) {
    if (!word) continue;
    const runs = word.match(cjk) || [];
    for (const run of runs) {
      if (run.length === 1) terms.push(run);
      for (let i = 0; i + 2 <= run.length; i++) terms.push(run.slice(i, i + 2));
    }
    const rest = word.replace(cjk, " ").trim();
    for (const latin of rest.split(/\s+/)) if (latin) terms.push(latin);
  }
  return terms;
}
"""

    def split(self, input: str) -> list[str]:
        return super().split(input) + cjk_bigrams(input)


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


EXERCISE_TITLE = re.compile(r'(<span class="caption-number">)Exercise \d+ (</span>)')
SOLUTION_TITLE = re.compile(r'(<p class="admonition-title">)Solution(</p>)')


def number_exercises_per_page(app, pagename, templatename, context, doctree):
    """Exercise 1, 2, ... on every page (Sphinx counts across the whole unnumbered book), in Chinese on the Chinese pages."""
    if "body" not in context or "caption-number" not in context["body"]:
        return
    word = "练习" if pagename.startswith("book/zh/") else "Exercise"
    counter = iter(range(1, 1000))
    body = EXERCISE_TITLE.sub(lambda m: f"{m.group(1)}{word} {next(counter)} {m.group(2)}", context["body"])
    if pagename.startswith("book/zh/"):
        body = SOLUTION_TITLE.sub(r"\1解答\2", body)
        # sphinx-togglebutton's hints are global variables set in the page head; its buttons
        # are added when the document has loaded, after this script has run.
        body = '<script>toggleHintShow = "点击显示"; toggleHintHide = "点击隐藏";</script>\n' + body
    context["body"] = body


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # An inline script comes once with filename None and once with "": same script.
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or "", repr(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    languages["zh"] = SearchChineseAndEnglish
    app.connect("html-page-context", add_twin_link)
    app.connect("html-page-context", drop_duplicate_scripts)
    app.connect("html-page-context", number_exercises_per_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

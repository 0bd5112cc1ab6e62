"""Exercises numbered from 1 on each page, and in Chinese on the Chinese pages.

sphinx-exercise numbers exercises across the whole book, and takes its words ("Exercise",
"Solution") from the one ``language`` of the book, which is English. This rewrites the
rendered titles of each page, and sets sphinx-togglebutton's "click to show" hints in
Chinese on the Chinese pages.
"""

from __future__ import annotations

import re

EXERCISE_TITLE = re.compile(r'(<span class="caption-number">)Exercise \d+ (</span>)')
SOLUTION_TITLE = re.compile(r'(<p class="admonition-title">)Solution(</p>)')


def number_exercises_per_page(app, pagename, templatename, context, doctree):
    """``html-page-context`` handler: Exercise 1, 2, ... on every page, 练习 and 解答 on the Chinese ones."""
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

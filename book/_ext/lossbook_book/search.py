"""Search in both languages from one index.

Chinese text is segmented by jieba (as Sphinx's own Chinese search does) and also indexed as
overlapping two-character pieces, and the search box splits a Chinese query the same way,
so a query such as 交叉熵 or 焦点损失 finds its pages even where jieba's dictionary lacks the
word (jieba cuts 交叉熵 into 交叉 and 熵, and Sphinx drops one-character words from the
index). Latin words are stemmed as English, so "cross-entropy" finds the English pages.
"""

from __future__ import annotations

import re

from sphinx.search.zh import SearchChinese

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def cjk_bigrams(text: str) -> list[str]:
    """Overlapping two-character pieces of every run of CJK characters in ``text``.

    >>> cjk_bigrams("交叉熵 (cross-entropy)")
    ['交叉', '叉熵']
    """
    return [run[i : i + 2] for run in CJK_RUN.findall(text) for i in range(len(run) - 1)]


class SearchChineseAndEnglish(SearchChinese):
    """Sphinx's Chinese search (jieba, English stemming) plus CJK bigrams on both sides.

    ``split`` cuts the pages' text for the index; ``js_splitter_code`` is the browser's
    ``splitQuery``, which cuts a query into the same pieces: every run of CJK characters into
    its bigrams (a lone character stays whole), every other word as it is.
    """

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

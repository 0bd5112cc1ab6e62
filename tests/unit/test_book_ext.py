"""The book's Sphinx extension (book/_ext/lossbook_book), without a book build or a browser.

The twin links' page mapping, the bilingual search's segmentation on both sides (the index
in Python, the search box's ``splitQuery`` in JavaScript, run by Node.js where it is
installed), the per-page exercise numbering and the duplicate-script filter.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sphinx.search.zh import SearchChinese

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import lossbook_book  # noqa: E402
from lossbook_book import exercises, scripts, search, twins  # noqa: E402
from lossbook_book import page as page_module  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Twin pages


@pytest.mark.parametrize(
    ("page", "twin"),
    [
        ("book/zh/regression", ("book/en/regression", "en")),
        ("book/en/regression", ("book/zh/regression", "zh")),
        ("book/zh/index", ("book/en/index", "en")),
        ("book/en/metric-learning", ("book/zh/metric-learning", "zh")),
        ("book/zh/appendix-benchmarks", ("book/en/appendix-benchmarks", "en")),
        ("book/en/part/chapter", ("book/zh/part/chapter", "zh")),
    ],
)
def test_twin_of_maps_each_edition_to_the_other(page, twin):
    assert twins.twin_of(page) == twin
    assert twins.twin_of(twin[0])[0] == page


@pytest.mark.parametrize(
    "page",
    [
        "book/api/ctc",  # one API reference, shared by both editions
        "book/bibliography",
        "book/index",
        "index",
        "",
        "book/zh",  # the edition's folder, not a page in it
        "book/zh/",
        "book/fr/regression",
        "book/ZH/regression",
        "xbook/zh/regression",
        "docs/book/zh/regression",
    ],
)
def test_twin_of_is_none_outside_the_two_editions(page):
    assert twins.twin_of(page) is None


def test_every_chapter_file_has_its_twin_file():
    pages = [
        path.relative_to(ROOT).with_suffix("").as_posix()
        for edition in ("zh", "en")
        for path in (ROOT / "book" / edition).iterdir()
        if path.suffix in (".md", ".ipynb")
    ]
    assert pages
    for page in pages:
        twin, _ = twins.twin_of(page)
        assert any((ROOT / twin).with_suffix(suffix).exists() for suffix in (".md", ".ipynb")), page


class RecordingLogger:
    def __init__(self):
        self.warnings = []

    def warning(self, message, *args):
        self.warnings.append(message % args)


def html_app(found_docs):
    return SimpleNamespace(
        env=SimpleNamespace(found_docs=set(found_docs)),
        builder=SimpleNamespace(get_relative_uri=lambda page, other: f"REL({page}->{other})"),
    )


def test_add_twin_link_puts_a_link_to_the_twin_before_the_body(monkeypatch):
    logger = RecordingLogger()
    monkeypatch.setattr(twins, "logger", logger)
    app = html_app({"book/zh/ctc", "book/en/ctc"})

    context = {"body": "<h1>CTC</h1>"}
    twins.add_twin_link(app, "book/zh/ctc", "page.html", context, None)
    link, body = context["body"].split("\n", 1)
    assert body == "<h1>CTC</h1>"
    assert 'href="REL(book/zh/ctc->book/en/ctc)"' in link
    assert 'hreflang="en" lang="en">English edition →</a>' in link
    assert 'class="lossbook-twin"' in link

    context = {"body": "<h1>CTC</h1>"}
    twins.add_twin_link(app, "book/en/ctc", "page.html", context, None)
    assert 'hreflang="zh" lang="zh">中文版 →</a>' in context["body"]
    assert logger.warnings == []


def test_add_twin_link_warns_about_a_missing_twin_and_leaves_other_pages_alone(monkeypatch):
    logger = RecordingLogger()
    monkeypatch.setattr(twins, "logger", logger)
    app = html_app({"book/zh/ctc", "book/api/ctc"})

    context = {"body": "<h1>CTC</h1>"}
    twins.add_twin_link(app, "book/zh/ctc", "page.html", context, None)
    assert context == {"body": "<h1>CTC</h1>"}
    assert logger.warnings == ["book/zh/ctc has no twin book/en/ctc in the other language"]

    context = {"body": "<h1>API</h1>"}
    twins.add_twin_link(app, "book/api/ctc", "page.html", context, None)
    assert context == {"body": "<h1>API</h1>"}
    context = {}  # a page without a body (the search page, the index)
    twins.add_twin_link(app, "book/zh/ctc", "search.html", context, None)
    assert context == {}
    assert len(logger.warnings) == 1


# ---------------------------------------------------------------------------------------------
# Bilingual search


@pytest.mark.parametrize(
    ("text", "bigrams"),
    [
        ("交叉熵", ["交叉", "叉熵"]),
        ("焦点损失", ["焦点", "点损", "损失"]),
        ("熵", []),  # one character: no pair
        ("cross-entropy loss", []),
        # Runs are paired separately: no pair across a space, Latin text or a full-width comma.
        ("交叉熵 loss 焦点", ["交叉", "叉熵", "焦点"]),
        ("交叉熵（cross-entropy）损失", ["交叉", "叉熵", "损失"]),
        ("交叉，熵", ["交叉"]),
        ("CTC损失", ["损失"]),
        ("\u3400\u3401", ["\u3400\u3401"]),  # CJK Extension A
    ],
)
def test_cjk_bigrams(text, bigrams):
    assert search.cjk_bigrams(text) == bigrams


@pytest.fixture(scope="module")
def language():
    return search.SearchChineseAndEnglish({})


def index_terms(language, text):
    """The words Sphinx's index builder stores for ``text`` (as ``IndexBuilder.feed`` keeps them)."""
    terms = set()
    for word in language.split(text):
        stemmed = language.stem(word).lower()
        if language.word_filter(stemmed):
            terms.add(stemmed)
        elif language.word_filter(word):
            terms.add(word)
    return terms


def query_terms(language, words):
    """The search box's terms for the words of a query (stemmed as ``searchtools.js`` does)."""
    return {language.stem(word).lower() for word in words}


def test_split_adds_the_bigrams_to_sphinxs_chinese_and_latin_words(language):
    text = "交叉熵损失（cross-entropy loss）"
    words = language.split(text)
    assert words == SearchChinese.split(language, text) + ["交叉", "叉熵", "熵损", "损失"]
    assert {"cross", "entropy", "loss"} <= set(words)


@pytest.mark.parametrize(
    ("query", "page", "other_page"),
    [
        # jieba cuts 交叉熵 into 交叉 and the one-character 熵, which the index drops: the
        # bigrams keep the whole term, so the query does not also find every page with 交叉.
        ("交叉熵", "分类的交叉熵损失", "交叉验证"),
        ("焦点损失", "焦点损失（focal loss）降低易分样本的权重", "对比损失"),
        ("度量学习", "度量学习的三元组损失", "深度学习"),
    ],
)
def test_a_chinese_query_finds_pages_with_the_whole_term(language, query, page, other_page):
    # The search box splits a run of CJK characters into the same bigrams as cjk_bigrams
    # (checked against the JavaScript below).
    terms = query_terms(language, search.cjk_bigrams(query))
    assert terms <= index_terms(language, page)
    assert not terms <= index_terms(language, other_page)


def test_an_english_query_finds_mixed_pages(language):
    page = index_terms(language, "交叉熵（cross-entropy）衡量两个分布的差异")
    assert query_terms(language, ["cross", "entropy"]) <= page
    assert query_terms(language, ["entropies"]) <= page  # stemmed alike
    assert query_terms(language, search.cjk_bigrams("交叉熵")) <= page


def run_split_query(queries):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the search box's splitQuery is not run")
    program = (
        search.SearchChineseAndEnglish.js_splitter_code
        + f"\nconsole.log(JSON.stringify({json.dumps(queries, ensure_ascii=False)}.map(splitQuery)));\n"
    )
    result = subprocess.run(
        [node, "-e", program], capture_output=True, text=True, encoding="utf-8", check=True
    )
    return dict(zip(queries, json.loads(result.stdout), strict=True))


def test_the_search_box_splits_a_query_as_the_index_does():
    expected = {
        "交叉熵": ["交叉", "叉熵"],
        "焦点损失": ["焦点", "点损", "损失"],
        "熵": ["熵"],
        "cross-entropy": ["cross", "entropy"],
        "交叉熵 cross-entropy": ["交叉", "叉熵", "cross", "entropy"],
        "CTC损失": ["损失", "CTC"],
        "交叉，熵": ["交叉", "熵"],
        "": [],
    }
    assert run_split_query(list(expected)) == expected
    for query, terms in expected.items():
        cjk = [term for term in terms if search.CJK_RUN.fullmatch(term)]
        assert cjk == search.cjk_bigrams(query)


# ---------------------------------------------------------------------------------------------
# Exercise numbering, scripts, setup

EXERCISES_HTML = (
    '<span class="caption-number">Exercise 12 </span>a'
    '<p class="admonition-title">Solution</p>'
    '<span class="caption-number">Exercise 13 </span>b'
)


def test_exercises_are_numbered_per_page_in_english():
    context = {"body": EXERCISES_HTML}
    exercises.number_exercises_per_page(None, "book/en/ctc", "page.html", context, None)
    assert context["body"] == (
        '<span class="caption-number">Exercise 1 </span>a'
        '<p class="admonition-title">Solution</p>'
        '<span class="caption-number">Exercise 2 </span>b'
    )


def test_exercises_are_numbered_per_page_in_chinese_with_chinese_hints():
    context = {"body": EXERCISES_HTML}
    exercises.number_exercises_per_page(None, "book/zh/ctc", "page.html", context, None)
    hints, body = context["body"].split("\n", 1)
    assert hints == '<script>toggleHintShow = "点击显示"; toggleHintHide = "点击隐藏";</script>'
    assert body == (
        '<span class="caption-number">练习 1 </span>a'
        '<p class="admonition-title">解答</p>'
        '<span class="caption-number">练习 2 </span>b'
    )


def test_pages_without_exercises_are_left_alone():
    context = {"body": '<p class="admonition-title">Solution</p>'}
    exercises.number_exercises_per_page(None, "book/zh/preface", "page.html", context, None)
    assert context == {"body": '<p class="admonition-title">Solution</p>'}


def test_each_script_is_kept_once_in_its_first_place():
    inline = {"attributes": {"body": "var x = 1;"}}
    first = SimpleNamespace(filename=None, **inline)
    same_inline = SimpleNamespace(filename="", **inline)
    library = SimpleNamespace(filename="_static/a.js", attributes={})
    other = SimpleNamespace(filename="_static/b.js", attributes={"defer": "defer"})
    context = {"script_files": [first, library, same_inline, other, library]}
    scripts.drop_duplicate_scripts(None, "book/en/ctc", "page.html", context, None)
    assert context["script_files"] == [first, library, other]


def test_setup_registers_the_search_language_and_the_page_handlers(monkeypatch):
    from sphinx.search import languages

    monkeypatch.setitem(languages, "zh", languages["zh"])
    connected, files = [], []
    app = SimpleNamespace(
        connect=lambda event, handler, priority=500: connected.append((event, handler)),
        add_css_file=lambda name, **attributes: files.append(name),
        add_js_file=lambda name, **attributes: files.append(name),
    )
    metadata = lossbook_book.setup(app)
    assert languages["zh"] is search.SearchChineseAndEnglish
    assert connected == [
        ("html-page-context", twins.add_twin_link),
        ("html-page-context", scripts.drop_duplicate_scripts),
        ("html-page-context", exercises.number_exercises_per_page),
        ("html-page-context", page_module.set_page_language),
        ("config-inited", page_module.use_local_mathjax),
        ("build-finished", page_module.copy_mathjax),
    ]
    assert files == ["lossbook.css", "lossbook.js"]
    assert all((page_module.STATIC / name).is_file() for name in files)
    assert metadata["parallel_read_safe"] and metadata["parallel_write_safe"]


# ---------------------------------------------------------------------------------------------
# The language switch's sections, each page's language, MathJax for offline reading


def test_section_map_pairs_the_twins_sections_in_order():
    zh = [(0, "id1"), (1, "id2"), (2, "id3"), (1, "id4")]
    en = [(0, "loss"), (1, "intuition"), (2, "a-number"), (1, "exercises")]
    assert twins.section_map(zh, en) == {
        "id1": "loss",
        "id2": "intuition",
        "id3": "a-number",
        "id4": "exercises",
    }


def test_section_map_stops_pairing_where_the_outlines_differ():
    page = [(0, "a"), (1, "b"), (1, "c"), (2, "d")]
    twin = [(0, "x"), (1, "y"), (2, "extra"), (1, "z")]
    assert twins.section_map(page, twin) == {"a": "x", "b": "y", "c": "y", "d": "y"}
    assert twins.section_map([], twin) == {}
    assert twins.section_map(page, []) == {}


def test_section_ids_walks_a_doctree_in_order():
    from docutils import nodes

    root = nodes.document(None, None)
    top = nodes.section(ids=["top"])
    first, second = nodes.section(ids=["first"]), nodes.section(ids=["second"])
    inner = nodes.section(ids=["inner"])
    first += inner
    top += [first, second]
    root += top
    assert twins.section_ids(root) == [(0, "top"), (1, "first"), (2, "inner"), (1, "second")]


@pytest.mark.parametrize(
    ("pagename", "lang"),
    [
        ("book/zh/regression", "zh-CN"),
        ("book/zh/index", "zh-CN"),
        ("book/en/ctc", "en"),
        ("book/api/ctc", "en"),
        ("book/index", "en"),
        ("search", "en"),
    ],
)
def test_each_page_declares_its_language(pagename, lang):
    context = {}
    page_module.set_page_language(None, pagename, "page.html", context, None)
    assert context["language"] == lang


def test_mathjax_ships_from_the_pinned_package():
    source = page_module.mathjax_source()
    for part in page_module.MATHJAX_PARTS:
        assert (source / part).exists(), part
    assert (source.parent / "LICENSE").is_file()

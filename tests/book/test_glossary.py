"""One term per concept in the Chinese edition, as ``book/glossary.md`` lists them.

The glossary's third column holds the variants the Chinese edition no longer uses; this test
reads the table (the page is the single source of truth) and looks for each variant in every
Chinese chapter: the prose of the markdown cells (code spans, math and citations removed), the
comments of the code cells, and the Chinese strings they print or draw.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "book" / "glossary.md"
ZH = ROOT / "book" / "zh"
CJK = "\u4e00-\u9fff"


def glossary_rows() -> list[tuple[str, str, list[str]]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("中文", "---"):
            continue
        avoid = [v.strip() for v in cells[2].split("、") if v.strip()]
        rows.append((cells[0], cells[1], avoid))
    return rows


def markdown_prose(text: str) -> str:
    """Markdown without what is not prose: code, math, citations, link targets, directive options."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\{[a-z:]+\}`[^`]*`", " ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\$[^$\n]*\$", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r"^:[a-z-]+:.*$|^:::.*$", " ", text, flags=re.M)


def string_content(token: str) -> str:
    """The text of a string literal; an f-string's replacement fields are dropped."""
    prefix = re.match(r"[A-Za-z]*", token).group(0)
    body = token[len(prefix) :]
    if "f" in prefix.lower():
        quote = body[:3] if body[:3] in ('"""', "'''") else body[0]
        return re.sub(r"\{[^{}]*\}", " ", body[len(quote) : -len(quote)])
    return ast.literal_eval(body)


def code_prose(source: str) -> str:
    """Comments, and string literals that contain Chinese (labels, printed text)."""
    pieces = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            pieces.append(token.string)
        elif token.type == tokenize.STRING and re.search(f"[{CJK}]", token.string):
            pieces.append(string_content(token.string))
    return "\n".join(pieces)


def without_glosses_and_quotations(text: str) -> str:
    """Drop parenthesized English glosses, as in 焦点损失（focal loss）: they name the term, not use it;
    and quotations “…”, which keep the words of the text they quote (an erratum quotes its source)."""
    return re.sub(r"（[ -~]+）| ?\([ -~]+\)|“[^”]*”", " ", text)


def chinese_pages() -> list[Path]:
    return sorted(ZH.glob("*.ipynb")) + sorted(ZH.glob("*.md"))


def prose(path: Path) -> str:
    if path.suffix == ".md":
        return markdown_prose(path.read_text(encoding="utf-8"))
    parts = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        parts.append(markdown_prose(source) if cell["cell_type"] == "markdown" else code_prose(source))
    return "\n".join(parts)


def test_the_glossary_is_a_page_of_the_book_linked_from_both_prefaces():
    assert "book/glossary" in (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for lang in ("zh", "en"):
        assert "glossary.md" in (ROOT / "book" / lang / "preface.md").read_text(encoding="utf-8")
    rows = glossary_rows()
    assert len(rows) >= 30
    terms = [zh for zh, _, _ in rows]
    assert len(terms) == len(set(terms)), "a Chinese term is listed twice"
    for zh, _, avoid in rows:
        assert zh not in avoid


def test_prose_extraction_keeps_prose_and_drops_code():
    cell = "每个 epoch 走一步 `epoch` $epoch$ {cite:p}`epoch2020`"
    assert markdown_prose(cell).count("epoch") == 1
    code = 'for epoch in range(3):  # 第几轮\n    label = f"第 {epoch} 轮"\nname = "epoch"\n'
    assert code_prose(code) == "# 第几轮\n第   轮"
    assert without_glosses_and_quotations("焦点损失（Focal Loss）与 Focal").count("Focal") == 1
    assert "容易样本" not in without_glosses_and_quotations("原文说“容易样本的损失”")


@pytest.mark.parametrize("path", chinese_pages(), ids=lambda p: p.name)
def test_chinese_pages_use_the_glossary_terms(path):
    text = without_glosses_and_quotations(prose(path))
    found = []
    for zh, _, avoid in glossary_rows():
        for variant in avoid:
            flags = re.IGNORECASE if variant.isascii() else 0
            for match in re.finditer(re.escape(variant), text, flags):
                context = text[max(0, match.start() - 20) : match.end() + 20].replace("\n", " ")
                found.append(f"{variant!r} (use {zh!r}): ...{context}...")
    assert not found, f"{path.name}:\n" + "\n".join(found)


@pytest.mark.parametrize("path", chinese_pages(), ids=lambda p: p.name)
def test_chinese_pages_use_chinese_quotation_marks(path):
    """ASCII double quotes around Chinese text read as a typo; Chinese uses “…”."""
    text = prose(path)
    bad = [q for q in re.findall(r'"[^"\n]*"', text) if re.search(f"[{CJK}]", q)]
    assert not bad, f"{path.name}: {bad[:5]}"

"""The book's structure: chapters stored executed, twinned, clean, and pinned to this lossbook."""

import io
import json
import re
import sys
import tokenize
from pathlib import Path

import pytest
import yaml

import lossbook

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import install_cell  # noqa: E402

BOOK = ROOT / "book"
CHAPTERS = [
    "concepts",
    "history",
    "regression",
    "classification",
    "segmentation",
    "llm-cross-entropy",
    "distribution-matching",
    "metric-learning",
    "contrastive",
    "ctc",
    "transducer",
    "appendix-benchmarks",
]  # every chapter, in the order of the table of contents
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
BAD_OUTPUT = re.compile(
    r"Glyph \d+ .*missing from|Traceback \(most recent call last\)|Warning:|<Figure size \d+x\d+"
    r"|object at 0x[0-9a-f]+|\d+it \[|it/s\]|\r"
)


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def test_every_chapter_exists_in_both_editions_and_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for name in CHAPTERS:
        for lang in ("zh", "en"):
            assert (BOOK / lang / f"{name}.ipynb").exists(), f"book/{lang}/{name}.ipynb is missing"
            assert f"book/{lang}/{name}" in toc, f"book/{lang}/{name} is not in _toc.yml"
    zh = {p.name for p in (BOOK / "zh").glob("*.ipynb")}
    en = {p.name for p in (BOOK / "en").glob("*.ipynb")}
    assert zh == en, f"chapters without a twin: {sorted(zh ^ en)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_chapter_is_stored_executed_top_to_bottom_with_clean_outputs(path):
    nb = load(path)
    counts = [c["execution_count"] for c in code_cells(nb) if "".join(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts {counts}; re-run top to bottom"
    )
    for cell in code_cells(nb):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"{path.name}: a cell stored an error"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), (
                f"{path.name}: a cell wrote to stderr: {''.join(out['text'])[:200]}"
            )
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            match = BAD_OUTPUT.search(text)
            assert match is None, f"{path.name}: output contains {match.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_first_cell_installs_this_version_of_lossbook_with_output_hidden(path):
    """The install cell is tools/install_cell.py's text: the wheel of this version, from the site."""
    first = code_cells(load(path))[0]
    source = "".join(first["source"])
    assert source == install_cell.canonical_source(), (
        f"{path.name}: the install cell differs from tools/install_cell.py's; run "
        "python tools/install_cell.py sync"
    )
    assert install_cell.wheel_name(lossbook.__version__) in source
    assert "hide-output" in first.get("metadata", {}).get("tags", [])
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert source.count(config["html"]["baseurl"]) == 1


def code_shape(source: str) -> list:
    """Tokens of a code cell with comments dropped and string literals blanked."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    shape = []
    for tok in tokens:
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING):
            continue
        if tok.type == tokenize.STRING:
            prefix = tok.string[: len(tok.string) - len(tok.string.lstrip("rbfuRBFU"))]
            # an f-string's text is prose, but the expressions in its braces are code
            fields = re.findall(r"\{[^{}]*\}", tok.string) if "f" in prefix.lower() else []
            shape.append((tok.type, "<string>", *fields))
        elif tok.type == getattr(tokenize, "FSTRING_MIDDLE", None):
            shape.append((tok.type, "<string>"))
        else:
            shape.append((tok.type, tok.string))
    return shape


@pytest.mark.parametrize("name", CHAPTERS)
def test_twins_have_the_same_code_apart_from_comments_and_strings(name):
    zh = code_cells(load(BOOK / "zh" / f"{name}.ipynb"))
    en = code_cells(load(BOOK / "en" / f"{name}.ipynb"))
    assert len(zh) == len(en), f"{name}: {len(zh)} code cells in zh, {len(en)} in en"
    for i, (a, b) in enumerate(zip(zh, en, strict=True)):
        assert code_shape("".join(a["source"])) == code_shape("".join(b["source"])), (
            f"{name}: code cell {i} differs between zh and en beyond comments and strings"
        )


def test_code_shape_ignores_comments_and_string_text_only():
    assert code_shape('x = 1  # 注释\nprint("你好")') == code_shape('x = 1  # note\nprint("hello")')
    assert code_shape("x = 1") != code_shape("x = 2")
    assert code_shape('print(f"{a:.3f} 损失")') == code_shape('print(f"{a:.3f} loss")')
    assert code_shape('print(f"{a:.3f}")') != code_shape('print(f"{b:.3f}")')


def test_landing_page_installs_what_the_chapters_install():
    landing = (BOOK / "index.md").read_text(encoding="utf-8")
    assert f'pip install "lossbook[book] @ {install_cell.wheel_url()}"' in landing

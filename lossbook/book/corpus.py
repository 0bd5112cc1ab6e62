"""A snapshot of this book's English prose: the text that the LLM chapter's tiny language model reads.

554 sentences (77,077 characters, 83 distinct ones) from the markdown cells of the English
chapters on concepts, history, regression, classification, metric learning and CTC, as of
commit 3b5ad2c. Code blocks, display math and markup are removed; inline math and code are
kept where they are plain ASCII, and sentences with anything else are left out.

The text is frozen here rather than read from the chapters, for two reasons: editing a
chapter must not change the numbers printed by the chapter that trains on it, and the text
(``corpus.txt``, package data) must ship in the wheel (Colab installs the package, not the book's files).
"""

from __future__ import annotations

from importlib import resources

__all__ = ["book_sentences"]


def book_sentences() -> list[str]:
    """The sentences of the snapshot, in the book's order, one string each.

    Example:
        >>> from lossbook.book import corpus
        >>> sentences = corpus.book_sentences()
        >>> len(sentences), sum(len(s) for s in sentences)
        (554, 77077)
        >>> sentences[0][:44]
        'Training a model repeats three steps: comput'
    """
    # One sentence per paragraph, wrapped at 100 columns, in corpus.txt next to this module.
    text = resources.files(__package__).joinpath("corpus.txt").read_text(encoding="utf-8")
    return [" ".join(paragraph.split("\n")) for paragraph in text.strip().split("\n\n")]

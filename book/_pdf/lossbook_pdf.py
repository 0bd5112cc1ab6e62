"""Sphinx extension of the PDF build only (``book/_pdf/build.py`` loads it; the site does not).

- ``lossbook_pdf_matter`` (``{docname: "frontmatter" | "mainmatter" | "appendix" | "backmatter"}``):
  the LaTeX book class's command of that name before the page, so the preface and the
  notation are unnumbered front matter (roman page numbers), the chapters numbered from 1, the
  appendices lettered and the bibliography unnumbered.
- Exercises numbered from 1 in each chapter, as on the site (sphinx-exercise numbers them
  across the whole book in LaTeX), and their solutions titled 解答 in the Chinese edition.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

SOLUTION = {"zh": "解答"}


def mark_matter(app, doctree):
    matter = app.config.lossbook_pdf_matter.get(app.env.docname)
    if matter:
        doctree.insert(0, nodes.raw("", f"\\{matter}\n", format="latex"))


class NumberExercisesPerChapter(SphinxPostTransform):
    """Runs on the LaTeX builder's one assembled document, after sphinx-exercise's titles."""

    default_priority = 30
    formats = ("latex",)

    def run(self, **kwargs):
        from sphinx_exercise.nodes import exercise_enumerable_node, solution_node

        word = self.config.numfig_format["exercise"]
        solution = SOLUTION.get(self.config.language[:2])
        for page in self.document.findall(addnodes.start_of_file):
            exercises = [node for node in page.findall(exercise_enumerable_node) if node.children]
            for number, exercise in enumerate(exercises, start=1):
                title = exercise.children[0]
                if isinstance(title, nodes.title) and title.children:
                    title.replace(title.children[0], nodes.Text(word % number))
        if solution:
            for node in self.document.findall(solution_node):
                title = node.children[0]
                if isinstance(title, nodes.title) and title.astext() == "Solution":
                    title.children = [nodes.Text(solution)]


def setup(app):
    app.add_config_value("lossbook_pdf_matter", {}, "env", dict)
    app.connect("doctree-read", mark_matter)
    app.add_post_transform(NumberExercisesPerChapter)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}

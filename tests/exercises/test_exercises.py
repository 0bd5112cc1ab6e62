"""Every chapter's exercise checkers: solutions pass, blanks and broken answers get a message, never a crash.

Per-exercise wrong answers are in tests/test_exercises_<chapter>.py; this file holds what every
checker must do, and that every chapter's exercises section uses its checkers.
"""

import importlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from lossbook import exercises
from lossbook.exercises import AnswerExercise, Exercise, FunctionExercise

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_OF = {
    "metric_learning": "metric-learning",
    "distribution_matching": "distribution-matching",
    "llm_cross_entropy": "llm-cross-entropy",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def module(chapter):
    return importlib.import_module(f"lossbook.exercises.{chapter}")


def all_exercises():
    return [(chapter, name) for chapter in exercises.CHAPTERS for name in module(chapter).__all__]


EXERCISES = all_exercises()
FUNCTION_EXERCISES = [(c, n) for c, n in EXERCISES if isinstance(getattr(module(c), n), FunctionExercise)]
ANSWER_EXERCISES = [(c, n) for c, n in EXERCISES if isinstance(getattr(module(c), n), AnswerExercise)]
ids = lambda pair: f"{pair[0]}.{pair[1]}"  # noqa: E731


def get(pair) -> Exercise:
    return getattr(module(pair[0]), pair[1])


@pytest.mark.parametrize("chapter", exercises.CHAPTERS)
def test_every_chapter_has_four_to_nine_exercises_of_which_at_least_two_are_coding(chapter):
    names = module(chapter).__all__
    assert 4 <= len(names) <= 9, f"{chapter}: {len(names)} exercises"
    kinds = [type(getattr(module(chapter), n)) for n in names]
    assert all(issubclass(k, Exercise) for k in kinds)
    assert sum(issubclass(k, FunctionExercise) for k in kinds) >= 2, (
        f"{chapter}: fewer than two coding exercises"
    )


@pytest.mark.parametrize("pair", FUNCTION_EXERCISES, ids=ids)
def test_the_worked_solution_passes_its_checker(pair):
    exercise = get(pair)
    feedback = exercise.evaluate(exercise._solution)
    assert feedback.passed, feedback.message
    assert feedback.reason == "correct"
    assert feedback.message.startswith("✓")


@pytest.mark.parametrize("pair", FUNCTION_EXERCISES, ids=ids)
def test_the_worked_solution_is_written_from_the_formula_not_by_calling_lossbook(pair):
    source = get(pair).solution_source()
    assert source.startswith("def my_"), source[:80]
    assert "lossbook" not in source


@pytest.mark.parametrize("pair", FUNCTION_EXERCISES, ids=ids)
def test_a_blank_template_gets_not_yet_in_the_chosen_language(pair, language):
    exercise = get(pair)

    def my_answer(*args, **kwargs): ...  # the template as the chapter stores it

    for blank in (None, my_answer):
        feedback = exercise.evaluate(blank)
        assert (feedback.passed, feedback.reason) == (False, "not_yet")
        assert f"ex.{pair[1]}.hint()" in feedback.message
        assert bool(CJK.search(feedback.message)) == (language == "zh")


@pytest.mark.parametrize("pair", FUNCTION_EXERCISES, ids=ids)
def test_a_learner_function_that_raises_is_reported_not_propagated(pair):
    def my_answer(*args, **kwargs):
        raise KeyError("an index I got wrong")

    feedback = get(pair).evaluate(my_answer)
    assert (feedback.passed, feedback.reason) == (False, "raised")
    assert "KeyError" in feedback.message and "an index I got wrong" in feedback.message
    assert "raise KeyError" in feedback.message  # the learner's line


@pytest.mark.parametrize("pair", FUNCTION_EXERCISES, ids=ids)
@pytest.mark.parametrize("returned", ["a string", np.float64(0.5), object()], ids=["str", "numpy", "object"])
def test_a_wrong_return_type_is_reported(pair, returned):
    feedback = get(pair).evaluate(lambda *args, **kwargs: returned)
    assert (feedback.passed, feedback.reason) == (False, "wrong_type"), feedback.message
    assert type(returned).__name__ in feedback.message


@pytest.mark.parametrize("pair", FUNCTION_EXERCISES, ids=ids)
def test_passing_something_that_is_not_a_function_is_reported(pair):
    feedback = get(pair).evaluate(torch.zeros(3))
    assert (feedback.passed, feedback.reason) == (False, "not_callable")


@pytest.mark.parametrize("pair", FUNCTION_EXERCISES, ids=ids)
def test_checking_is_deterministic_and_leaves_the_global_random_state_alone(pair):
    exercise = get(pair)

    def off_by_a_bit(*args, **kwargs):
        result = exercise._solution(*args, **kwargs)
        return result * 1.01 if isinstance(result, torch.Tensor) else result

    state = torch.get_rng_state()
    first = exercise.evaluate(off_by_a_bit)
    assert torch.equal(state, torch.get_rng_state())
    assert exercise.evaluate(off_by_a_bit).message == first.message


@pytest.mark.parametrize("pair", ANSWER_EXERCISES, ids=ids)
def test_an_answer_exercise_refuses_junk_and_gives_each_wrong_answer_its_hint(pair, language):
    # that it accepts the right answer, derived from the book, is tested in test_exercise_answers.py
    exercise = get(pair)
    assert exercise.evaluate(None).reason == "not_yet"
    junk = exercise.evaluate(["not", "an", "answer"])
    assert not junk.passed and junk.reason in ("not_a_number", "not_a_choice")
    for wrong, hint in exercise.mistakes:
        feedback = exercise.evaluate(wrong)
        assert not feedback.passed and hint.format() in feedback.message


@pytest.mark.parametrize("pair", EXERCISES, ids=ids)
def test_check_hint_and_solution_print_in_the_chosen_language(pair, language, capsys):
    exercise = get(pair)
    exercise.check(None)
    exercise.hint()
    exercise.solution()
    out = capsys.readouterr().out
    assert len(out.splitlines()) >= 3
    prose = "\n".join(line for line in out.splitlines() if not line.startswith(("def ", "    ", "print(")))
    assert bool(CJK.search(prose)) == (language == "zh"), prose


@pytest.mark.parametrize("pair", [EXERCISES[0], FUNCTION_EXERCISES[0], ANSWER_EXERCISES[0]], ids=ids)
def test_check_returns_a_result_that_is_true_only_when_passed_and_that_jupyter_does_not_show(pair, capsys):
    from IPython.core.formatters import DisplayFormatter

    exercise = get(pair)
    right = exercise._solution if isinstance(exercise, FunctionExercise) else exercise.answer
    passed, failed = exercise.check(right), exercise.check(None)
    assert passed and not failed
    assert (passed.reason, failed.reason) == ("correct", "not_yet")
    # printed once each; as the last line of a cell (the chapters' ex.x.check(...)) no Out[] follows
    assert capsys.readouterr().out == f"{passed.message}\n{failed.message}\n"
    assert DisplayFormatter().format(passed) == DisplayFormatter().format(failed) == ({}, {})


def test_set_language_refuses_an_unknown_language():
    with pytest.raises(ValueError, match="language must be one of"):
        exercises.set_language("fr")
    assert exercises.get_language() == "en"


# -- the chapters use their checkers ----------------------------------------------------------------


def exercise_cells(chapter, lang):
    path = ROOT / "book" / lang / f"{NOTEBOOK_OF.get(chapter, chapter)}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    heading = "## 练习" if lang == "zh" else "## Exercises"
    start = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith(heading))
    return cells[start:]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("chapter", exercises.CHAPTERS)
def test_the_chapter_ends_with_its_exercises_each_checked_with_a_hidden_solution(chapter, lang):
    cells = exercise_cells(chapter, lang)
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert f"from lossbook.exercises import {chapter} as ex" in code[0]
    assert f'exercises.set_language("{lang}")' in code[0]
    slug = NOTEBOOK_OF.get(chapter, chapter)
    labels = re.findall(r":::\{exercise\}[^\n]*\n:label: (\S+)", markdown)
    assert len(labels) == len(module(chapter).__all__), labels
    for label in labels:
        assert label.startswith(f"{lang}-{slug}-"), label
        assert re.search(r":::\{solution\} " + re.escape(label) + r"\n:class: dropdown\n", markdown), label
    not_yet = exercises.Text("✗ Not yet", "✗ 还没有完成").format(lang)
    for name in module(chapter).__all__:
        cell = next(
            (c for c in cells if c["cell_type"] == "code" and f"ex.{name}.check(" in "".join(c["source"])),
            None,
        )
        assert cell is not None, f"{lang}/{chapter}: ex.{name} is never checked"
        printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
        assert printed.startswith(not_yet), f"{lang}/{chapter}: ex.{name} stored {printed[:80]!r}"

"""Fixtures shared by the tests of the exercise checkers (tests/exercises/test_exercises_<chapter>.py).

Each assertion helper is a fixture that returns the function, so a test names what it uses in
its arguments (``def test_x(assert_fails, language): ...``).
"""

import json
from pathlib import Path

import pytest
import torch

from lossbook.exercises._messages import REDUCTION_MISTAKES

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_OF = {
    "metric_learning": "metric-learning",
    "distribution_matching": "distribution-matching",
    "llm_cross_entropy": "llm-cross-entropy",
}
UNSTABLE = ("not_finite", "wrong_gradient")


def _assert_fails(exercise, answer, reason, *fragments):
    """The checker refuses ``answer`` for ``reason``, and its message contains every fragment."""
    feedback = exercise.evaluate(answer)
    assert not feedback.passed, f"{answer.__name__ if callable(answer) else answer!r} passed"
    assert feedback.reason == reason, feedback.message
    for fragment in fragments:
        assert fragment in feedback.message, feedback.message
    return feedback


def _hints_for(exercise, reason, unstable_reasons=UNSTABLE):
    """Every hint the exercise may attach to a refusal for ``reason``."""
    hints = [m.hint for m in exercise.mistakes if m.key == reason]
    if reason in REDUCTION_MISTAKES:
        hints.append(REDUCTION_MISTAKES[reason])
    if reason in unstable_reasons and exercise.unstable_hint is not None:
        hints.append(exercise.unstable_hint)
    return hints


def _assert_fails_with_its_hint(exercise, answer, reason, language, unstable_reasons=UNSTABLE):
    """The checker refuses ``answer`` for ``reason`` with one of that reason's hints, in ``language``."""
    feedback = exercise.evaluate(answer)
    assert not feedback.passed
    assert feedback.reason == reason, feedback.message
    hints = _hints_for(exercise, reason, unstable_reasons)
    if hints:
        assert any(h.format(language) in feedback.message for h in hints), feedback.message


def _check_answer_exercise(exercise, right, wrong, junk, language):
    """An answer exercise accepts ``right`` (any case and spacing for a choice, a tensor for a
    number), gives each answer in ``wrong`` its own hint, refuses ``junk`` and reports ``None``
    as not yet answered."""
    assert exercise.evaluate(right).passed
    if isinstance(right, str):
        assert exercise.evaluate(f" {right.upper()} ").passed
    else:
        assert exercise.evaluate(torch.tensor(float(right))).passed
    for answer in wrong:
        feedback = exercise.evaluate(answer)
        (hint,) = [h for w, h in exercise.mistakes if exercise._same(answer, w)]
        assert not feedback.passed and feedback.reason.startswith("mistake:"), feedback.message
        assert hint.format(language) in feedback.message
    feedback = exercise.evaluate(junk)
    assert feedback.reason == ("not_a_choice" if isinstance(right, str) else "not_a_number")
    assert exercise.evaluate(None).reason == "not_yet"


def _stored_output(chapter, lang, fragment):
    """The text a chapter's code cell printed, as stored in book/<lang>/<chapter>.ipynb: the one
    code cell whose source contains ``fragment`` (the code cells are the same in both editions)."""
    path = ROOT / "book" / lang / f"{NOTEBOOK_OF.get(chapter, chapter)}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = [c for c in cells if c["cell_type"] == "code" and fragment in "".join(c["source"])]
    assert len(found) == 1, f"{path.name}: {len(found)} code cells contain {fragment!r}"
    outputs = found[0]["outputs"]
    text = "".join("".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream")
    assert text, f"{path.name}: the cell with {fragment!r} has no stored output"
    return text


@pytest.fixture
def assert_fails():
    return _assert_fails


@pytest.fixture
def assert_fails_with_its_hint():
    return _assert_fails_with_its_hint


@pytest.fixture
def check_answer_exercise():
    return _check_answer_exercise


@pytest.fixture
def stored_output():
    """``stored_output(chapter, lang, fragment)``: what the chapter's cell containing ``fragment`` printed."""
    return _stored_output

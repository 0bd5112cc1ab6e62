"""Assertions shared by the tests of the exercise checkers (tests/test_exercises_<chapter>.py)."""

import torch

from lossbook.exercises._messages import REDUCTION_MISTAKES


def assert_fails(exercise, answer, reason, *fragments):
    """The checker refuses ``answer`` for ``reason``, and its message contains every fragment."""
    feedback = exercise.evaluate(answer)
    assert not feedback.passed, f"{answer.__name__ if callable(answer) else answer!r} passed"
    assert feedback.reason == reason, feedback.message
    for fragment in fragments:
        assert fragment in feedback.message, feedback.message
    return feedback


def hints_for(exercise, reason, unstable_reasons=("not_finite", "wrong_gradient")):
    """Every hint the exercise may attach to a refusal for ``reason``."""
    hints = [m.hint for m in exercise.mistakes if m.key == reason]
    if reason in REDUCTION_MISTAKES:
        hints.append(REDUCTION_MISTAKES[reason])
    if reason in unstable_reasons and exercise.unstable_hint is not None:
        hints.append(exercise.unstable_hint)
    return hints


def assert_fails_with_its_hint(
    exercise, answer, reason, language, unstable_reasons=("not_finite", "wrong_gradient")
):
    """The checker refuses ``answer`` for ``reason`` with one of that reason's hints, in ``language``."""
    feedback = exercise.evaluate(answer)
    assert not feedback.passed
    assert feedback.reason == reason, feedback.message
    hints = hints_for(exercise, reason, unstable_reasons)
    if hints:
        assert any(h.format(language) in feedback.message for h in hints), feedback.message


def check_answer_exercise(exercise, right, wrong, junk, language):
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

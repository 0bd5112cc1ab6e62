"""Assertions shared by the tests of the exercise checkers (tests/test_exercises_<chapter>.py)."""

from lossbook.exercises._core import REDUCTION_MISTAKES


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


def assert_fails_with_its_hint(exercise, answer, reason, language, unstable_reasons=("not_finite", "wrong_gradient")):
    """The checker refuses ``answer`` for ``reason`` with one of that reason's hints, in ``language``."""
    feedback = exercise.evaluate(answer)
    assert not feedback.passed
    assert feedback.reason == reason, feedback.message
    hints = hints_for(exercise, reason, unstable_reasons)
    if hints:
        assert any(h.format(language) in feedback.message for h in hints), feedback.message

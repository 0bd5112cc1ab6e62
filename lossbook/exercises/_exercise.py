"""The exercise classes: the base :class:`Exercise`, its :class:`Feedback`, the :class:`Case`
and :class:`Mistake` a coding exercise is built from, and :class:`AnswerExercise`.

An exercise runs a learner's answer against a reference and prints one message in the
chapter's language: that it passed, or the first failing case (inputs, expected, got) with a
hint aimed at the likely mistake. Two kinds exist:

- :class:`~lossbook.exercises.FunctionExercise` (in ``_function.py``): the learner writes a
  function. It is called on seeded random and edge-case inputs (float32 and float64, every
  reduction, extreme values) and its values, shapes, dtypes and gradients are compared with the
  reference. A value that differs is compared with *mistake models* (what a learner who forgot
  the 1/2 or swapped the reductions would compute), so the message can name the mistake.
- :class:`AnswerExercise`: the learner gives a number or a choice (a prediction, a value read
  off a curve).

A checker never raises because of the learner's code: an exception, a ``None``, a wrong type
or a non-finite value are reported as messages.
"""

from __future__ import annotations

import abc
import inspect
import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ._messages import MESSAGES, Text, _number, describe


@dataclass
class Feedback:
    """What a check found. ``reason`` is ``"correct"``, a generic reason or a mistake's key.

    True when the answer passed, false otherwise.
    """

    passed: bool
    reason: str
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message


class CheckResult(Feedback):
    """What ``check`` returns: its :class:`Feedback`, whose message ``check`` has printed.

    True when the answer passed, so that ``assert ex.huber.check(my_huber)`` works in a
    learner's own tests. IPython and Jupyter display nothing for it when it ends a cell: the
    message shows once, as printed, and the chapters' stored outputs are the same as when
    ``check`` returned None.
    """

    def _ipython_display_(self) -> None:
        pass  # check has printed the message; an Out[] would repeat it

    def __repr__(self) -> str:
        return f"CheckResult(passed={self.passed}, reason={self.reason!r})"


@dataclass
class Case:
    """One call of the learner's function: its arguments, a label and what to compare.

    ``grad`` names the positional arguments whose gradient is compared (float64 cases only by
    default: float32 round-off would make the comparison noisy).
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    label: Text | str = ""
    grad: tuple[int, ...] = (0,)
    rtol: float | None = None
    atol: float | None = None
    #: the mistake to name when this case's value is wrong or not finite and no mistake model
    #: explains it (a case built to expose one trap, such as cancellation far from 0)
    mistake: Mistake | None = None


@dataclass
class Mistake:
    """A typical wrong answer: ``model`` computes what a learner making it would get.

    Where learners make the mistake in too many ways for one model (each picks their own
    epsilon), ``matches(case, got, expected)`` recognises it instead, and ``model`` may be None.
    """

    key: str
    model: Callable | None
    hint: Text
    matches: Callable | None = None


class Exercise(abc.ABC):
    """Base of every exercise: ``check`` prints feedback, ``hint`` and ``solution`` help."""

    def __init__(self, name: str, *, hint: Text, explanation: Text, solution: Callable | str | None = None):
        self.name = name
        self._hint = hint
        self._explanation = explanation
        self._solution = solution

    @property
    def handle(self) -> str:
        return f"ex.{self.name}"

    @abc.abstractmethod
    def evaluate(self, answer) -> Feedback:
        """Check ``answer`` without printing anything; the tests of the checkers use this."""

    def check(self, answer) -> CheckResult:
        """Check ``answer``, print the result in the language set by ``set_language``, return it.

        The result is true when the answer passed, so ``assert ex.huber.check(my_huber)``
        works in your own tests; in a notebook only the printed message shows.
        """
        feedback = self.evaluate(answer)
        print(feedback.message)
        return CheckResult(feedback.passed, feedback.reason, feedback.message)

    def hint(self) -> None:
        """Print a hint."""
        print(MESSAGES["hint_prefix"].format().lstrip() + self._hint.format())

    def solution_source(self) -> str:
        if self._solution is None:
            return ""
        if isinstance(self._solution, str):
            return textwrap.dedent(self._solution).strip()
        return textwrap.dedent(inspect.getsource(self._solution)).strip()

    def solution(self) -> None:
        """Print a worked solution: the reasoning, then the code."""
        print(MESSAGES["solution_heading"].format())
        print(self._explanation.format())
        source = self.solution_source()
        if source:
            print()
            print(source)

    def __repr__(self) -> str:
        return f"<exercise {self.handle}: .check(...), .hint(), .solution()>"

    def _with_hint(self, message: str, hint: Text | None, **fields) -> str:
        lines = [message]
        if hint is not None:
            lines.append(MESSAGES["hint_prefix"].format() + hint.format(**fields))
        lines.append(MESSAGES["more_help"].format(ex=self.handle))
        return "\n".join(lines)


class AnswerExercise(Exercise):
    """An exercise whose answer is a number (within a tolerance) or one of a few choices.

    Args:
        answer: the right number or choice.
        choices: the allowed choices (strings), or None for a numeric answer.
        why: shown with a right answer: the reason, in both languages.
        mistakes: ``(wrong answer, hint)`` pairs for typical wrong numbers or choices.
        rel_tol, abs_tol: the tolerance of a numeric answer.
    """

    def __init__(
        self,
        name: str,
        *,
        answer,
        hint: Text,
        explanation: Text,
        why: Text,
        choices: Sequence[str] | None = None,
        mistakes: Sequence[tuple[Any, Text]] = (),
        rel_tol: float = 1e-2,
        abs_tol: float = 0.0,
        solution: Callable | str | None = None,
    ):
        super().__init__(name, hint=hint, explanation=explanation, solution=solution)
        self.answer = answer
        self.choices = tuple(choices) if choices is not None else None
        self.why = why
        self.mistakes = list(mistakes)
        self.rel_tol = rel_tol
        self.abs_tol = abs_tol

    def _same(self, got, want) -> bool:
        if self.choices is not None:
            return isinstance(got, str) and got.strip().lower() == str(want).lower()
        return math.isclose(float(got), float(want), rel_tol=self.rel_tol, abs_tol=self.abs_tol)

    def evaluate(self, answer) -> Feedback:
        if answer is None or answer is Ellipsis:
            return Feedback(False, "not_yet", MESSAGES["not_yet_answer"].format(ex=self.handle))
        if self.choices is not None:
            if not isinstance(answer, str) or answer.strip().lower() not in self.choices:
                message = MESSAGES["wrong_choice"].format(
                    got=answer, choices=", ".join(repr(c) for c in self.choices)
                )
                return Feedback(False, "not_a_choice", self._with_hint(message, None))
        else:
            if isinstance(answer, torch.Tensor) and answer.numel() == 1:
                answer = answer.item()
            if isinstance(answer, bool) or not isinstance(answer, (int, float)) or not math.isfinite(answer):
                message = MESSAGES["not_a_number"].format(got=describe(answer))
                return Feedback(False, "not_a_number", self._with_hint(message, None))
        if self._same(answer, self.answer):
            shown = answer if isinstance(answer, str) else _number(answer)
            return Feedback(
                True, "correct", MESSAGES["correct_answer"].format(answer=shown, why=self.why.format())
            )
        message = MESSAGES["wrong_answer"].format(got=describe(answer))
        for wrong, hint in self.mistakes:
            if self._same(answer, wrong):
                return Feedback(False, f"mistake:{wrong}", self._with_hint(message, hint))
        return Feedback(False, "wrong_answer", self._with_hint(message, self._hint))

"""The coding exercise: the learner's function runs against a trusted reference on seeded
cases, and the first difference (value, shape, dtype, gradient, an exception) becomes one
message, with the hint of the mistake model that explains it."""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Sequence

import torch

from ._compare import _as_whole_number, _close
from ._exercise import Case, Exercise, Feedback, Mistake
from ._messages import MESSAGES, REDUCTION_MISTAKES, Text, describe


def _clone(value, requires_grad: bool = False):
    if isinstance(value, torch.Tensor):
        copy = value.detach().clone()
        if requires_grad:
            copy.requires_grad_(True)
        return copy
    if isinstance(value, list):
        return [_clone(v) for v in value]
    return value


def _where(error: BaseException) -> str:
    """The learner's line that raised, else the last line of the traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "lossbook" not in f.filename.replace("\\", "/").split("/")[-2:-1]]
    frame = (ours or frames)[-1] if frames else None
    if frame is None:
        return "?"
    return f"line {frame.lineno}: {(frame.line or '').strip()}"


class FunctionExercise(Exercise):
    """An exercise whose answer is a function, checked against ``reference`` on ``cases``.

    Args:
        name: the attribute name in the chapter's module (``huber``).
        reference: the trusted implementation (lossbook's, torch's or a brute force).
        cases: a function of a seeded ``torch.Generator`` returning the list of :class:`Case`.
        mistakes: typical wrong answers; the first whose output matches the learner's names the hint.
        reductions: add the generic reduction mistakes (sum for mean, mean for sum, ignored).
        unstable_hint: the hint when the learner's result is inf/nan where the reference is finite.
        coverage: what the cases cover, for the success message.
        whole_numbers: the answer is a count: 216.0, ``numpy.int64(216)`` and ``tensor(216)``
            are taken as 216.
    """

    def __init__(
        self,
        name: str,
        *,
        reference: Callable,
        cases: Callable[[torch.Generator], Sequence[Case]],
        hint: Text,
        explanation: Text,
        solution: Callable | str | None = None,
        mistakes: Sequence[Mistake] = (),
        reductions: bool = False,
        unstable_hint: Text | None = None,
        coverage: Text | None = None,
        seed: int = 0,
        whole_numbers: bool = False,
    ):
        super().__init__(name, hint=hint, explanation=explanation, solution=solution)
        self.reference = reference
        self.make_cases = cases
        self.mistakes = list(mistakes)
        self.reductions = reductions
        self.unstable_hint = unstable_hint
        self.coverage = coverage
        self.seed = seed
        self.whole_numbers = whole_numbers
        if reductions:
            self.mistakes += self._reduction_mistakes()

    def cases(self) -> list[Case]:
        return list(self.make_cases(torch.Generator().manual_seed(self.seed)))

    def _reduction_mistakes(self) -> list[Mistake]:
        ref = self.reference

        def swapped(*args, reduction="mean", **kwargs):
            return ref(*args, reduction={"mean": "sum", "sum": "mean"}.get(reduction, reduction), **kwargs)

        def always_mean(*args, reduction="mean", **kwargs):
            return ref(*args, reduction="mean", **kwargs)

        def sum_for_mean(*args, reduction="mean", **kwargs):
            return ref(*args, reduction="sum" if reduction == "mean" else reduction, **kwargs)

        def mean_for_sum(*args, reduction="mean", **kwargs):
            return ref(*args, reduction="mean" if reduction == "sum" else reduction, **kwargs)

        return [
            Mistake("reduction_sum_for_mean", sum_for_mean, REDUCTION_MISTAKES["reduction_sum_for_mean"]),
            Mistake("reduction_mean_for_sum", mean_for_sum, REDUCTION_MISTAKES["reduction_mean_for_sum"]),
            Mistake("reduction_sum_for_mean", swapped, REDUCTION_MISTAKES["reduction_sum_for_mean"]),
            Mistake("reduction_ignored", always_mean, REDUCTION_MISTAKES["reduction_ignored"]),
        ]

    # -- evaluation --------------------------------------------------------------------------

    def evaluate(self, answer) -> Feedback:
        what = getattr(answer, "__name__", None) or repr(answer)
        if answer is None or answer is Ellipsis:
            return Feedback(
                False,
                "not_yet",
                MESSAGES["not_yet_function"].format(what=self.handle + "(...)", ex=self.handle),
            )
        if not callable(answer):
            return Feedback(
                False, "not_callable", MESSAGES["not_callable"].format(ex=self.handle, got=describe(answer))
            )
        what = f"{what}()"
        cases = self.cases()
        for i, case in enumerate(cases, start=1):
            feedback = self._evaluate_case(answer, what, case, i, len(cases))
            if feedback is not None:
                return feedback
        coverage = self.coverage.format() if self.coverage else ""
        return Feedback(
            True, "correct", MESSAGES["correct"].format(what=what, n=len(cases), coverage=coverage)
        )

    def _case_text(self, case: Case, i: int, n: int) -> str:
        label = case.label.format() if isinstance(case.label, Text) else case.label
        parts = [describe(a) for a in case.args] + [f"{k}={describe(v)}" for k, v in case.kwargs.items()]
        return MESSAGES["case"].format(i=i, n=n, label=label, args=", ".join(parts))

    def _call(self, fn, case: Case, with_grad: bool):
        """Call ``fn`` on fresh copies of the case's arguments; returns (result, copies)."""
        grad_positions = set(case.grad) if with_grad else set()
        args = [
            _clone(
                a,
                requires_grad=(k in grad_positions and isinstance(a, torch.Tensor) and a.is_floating_point()),
            )
            for k, a in enumerate(case.args)
        ]
        kwargs = {k: _clone(v) for k, v in case.kwargs.items()}
        return fn(*args, **kwargs), args

    def _gradient_positions(self, case: Case) -> list[int]:
        return [
            k
            for k in case.grad
            if k < len(case.args)
            and isinstance(case.args[k], torch.Tensor)
            and case.args[k].dtype == torch.float64
        ]

    def _evaluate_case(self, answer, what: str, case: Case, i: int, n: int) -> Feedback | None:
        text = lambda: self._case_text(case, i, n)  # noqa: E731 - built only when a case fails
        positions = self._gradient_positions(case)
        with torch.enable_grad():
            expected, ref_args = self._call(self.reference, case, with_grad=bool(positions))
            try:
                got, args = self._call(answer, case, with_grad=bool(positions))
            except NotImplementedError:
                return Feedback(
                    False, "not_yet", MESSAGES["not_yet_function"].format(what=what, ex=self.handle)
                )
            except Exception as error:  # the learner's code: report, never propagate
                detail = f"{type(error).__name__}: {error}".strip().splitlines()[0][:300]
                message = MESSAGES["raised"].format(
                    what=what, error=type(error).__name__, case=text(), detail=detail, where=_where(error)
                )
                return Feedback(False, "raised", self._with_hint(message, None))
            if got is None or got is Ellipsis:
                return Feedback(
                    False, "not_yet", MESSAGES["not_yet_function"].format(what=what, ex=self.handle)
                )
            for k, (before, after) in enumerate(zip(case.args, args, strict=True)):
                if isinstance(before, torch.Tensor) and not torch.equal(before, after.detach()):
                    name = self._arg_name(k)
                    message = MESSAGES["modified_input"].format(case=text(), what=what, arg=name)
                    return Feedback(False, "modified_input", self._with_hint(message, None))
            problem = self._compare(expected, got, case, what, text)
            if problem is not None:
                return problem
            if positions:
                return self._compare_gradients(
                    answer, what, case, expected, got, ref_args, args, positions, text
                )
        return None

    def _arg_name(self, k: int) -> str:
        try:
            return list(inspect.signature(self.reference).parameters)[k]
        except (TypeError, ValueError, IndexError):
            return f"#{k + 1}"

    def _compare(self, expected, got, case: Case, what: str, text) -> Feedback | None:
        if self.whole_numbers:
            got = _as_whole_number(got)
        if isinstance(expected, torch.Tensor):
            if not isinstance(got, torch.Tensor):
                message = MESSAGES["wrong_type"].format(
                    case=text(), what=what, got=type(got).__name__, expected="torch.Tensor"
                )
                if isinstance(got, (int, float)):
                    message += MESSAGES["tensor_not_number"].format()
                return Feedback(False, "wrong_type", self._with_hint(message, None))
            if got.shape != expected.shape:
                return self._shape_feedback(expected, got, case, what, text)
            if got.dtype != expected.dtype:
                message = MESSAGES["wrong_dtype"].format(
                    case=text(), what=what, got=str(got.dtype), expected=str(expected.dtype)
                )
                return Feedback(False, "wrong_dtype", self._with_hint(message, None))
            finite = torch.isfinite(expected.detach())
            if not bool(torch.isfinite(got.detach())[finite].all()):
                message = MESSAGES["not_finite"].format(
                    case=text(), what=what, got=describe(got), expected=describe(expected)
                )
                mistake = self._matching_mistake(case, got, expected) or case.mistake
                if mistake is not None:
                    return Feedback(False, mistake.key, self._with_hint(message, mistake.hint))
                return Feedback(False, "not_finite", self._with_hint(message, self.unstable_hint))
        elif (
            type(got) is not type(expected)
            and not (isinstance(expected, float) and isinstance(got, (int, float, torch.Tensor)))
            and not (isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)))
        ):
            message = MESSAGES["wrong_type"].format(
                case=text(), what=what, got=type(got).__name__, expected=type(expected).__name__
            )
            return Feedback(False, "wrong_type", self._with_hint(message, None))
        if _close(got, expected, case):
            return None
        message = MESSAGES["wrong_value"].format(
            case=text(), what=what, got=describe(got), expected=describe(expected)
        )
        mistake = self._matching_mistake(case, got, expected) or case.mistake
        if mistake is not None:
            return Feedback(False, mistake.key, self._with_hint(message, mistake.hint))
        return Feedback(False, "wrong_value", self._with_hint(message, None))

    def _shape_feedback(self, expected, got, case: Case, what: str, text) -> Feedback:
        message = MESSAGES["wrong_shape"].format(
            case=text(), what=what, got=tuple(got.shape), expected=tuple(expected.shape)
        )
        reduction = case.kwargs.get("reduction")
        mistake = self._matching_mistake(case, got, expected)
        if mistake is not None:
            return Feedback(False, mistake.key, self._with_hint(message, mistake.hint))
        if got.numel() > expected.numel() and expected.dim() > 0:
            message += MESSAGES["shape_broadcast"].format()
            return Feedback(False, "broadcast", self._with_hint(message, None))
        if reduction == "none":
            message += MESSAGES["shape_none"].format()
        elif reduction in ("mean", "sum") and expected.dim() == 0:
            message += MESSAGES["shape_reduced"].format(reduction=reduction)
        return Feedback(False, "wrong_shape", self._with_hint(message, None))

    def _matching_mistake(self, case: Case, got, expected) -> Mistake | None:
        """The first mistake whose model reproduces ``got``, else the first whose test matches."""
        for mistake in self.mistakes:
            if mistake.model is None:
                continue
            try:
                with torch.no_grad():
                    modelled, _ = self._call(mistake.model, case, with_grad=False)
            except Exception:
                continue
            if isinstance(modelled, torch.Tensor) and isinstance(got, torch.Tensor):
                if modelled.shape == got.shape and _close(got.detach().to(modelled.dtype), modelled, case):
                    return mistake
            elif _close(got, modelled, case):
                return mistake
        for mistake in self.mistakes:
            if mistake.matches is not None and mistake.matches(case, got, expected):
                return mistake
        return None

    def _compare_gradients(
        self, answer, what, case, expected, got, ref_args, args, positions, text
    ) -> Feedback | None:
        weights = torch.linspace(0.5, 1.5, expected.numel(), dtype=expected.dtype).reshape(expected.shape)
        inputs = [ref_args[k] for k in positions]
        expected_grads = torch.autograd.grad(expected, inputs, weights, allow_unused=True)
        for k, want in zip(positions, expected_grads, strict=True):
            name = self._arg_name(k)
            if not got.requires_grad:
                message = MESSAGES["no_gradient"].format(case=text(), what=what, arg=name)
                return Feedback(False, "no_gradient", self._with_hint(message, None))
            try:
                (have,) = torch.autograd.grad(
                    got, [args[k]], weights.to(got.dtype), allow_unused=True, retain_graph=True
                )
            except Exception as error:
                detail = f"{type(error).__name__}: {error}".splitlines()[0][:300]
                message = MESSAGES["raised"].format(
                    what=what + ".backward",
                    error=type(error).__name__,
                    case=text(),
                    detail=detail,
                    where=_where(error),
                )
                return Feedback(False, "raised", self._with_hint(message, None))
            want = torch.zeros_like(args[k]) if want is None else want
            if have is None:
                message = MESSAGES["no_gradient"].format(case=text(), what=what, arg=name)
                return Feedback(False, "no_gradient", self._with_hint(message, None))
            if not _close(have, want, case):
                message = MESSAGES["wrong_gradient"].format(
                    case=text(), arg=name, got=describe(have), expected=describe(want)
                )
                hint = self.unstable_hint if not bool(torch.isfinite(have).all()) else None
                return Feedback(False, "wrong_gradient", self._with_hint(message, hint))
        return None

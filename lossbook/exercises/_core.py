"""The checking machinery behind ``lossbook.exercises``.

An exercise runs a learner's answer against a reference and prints one message in the
chapter's language: that it passed, or the first failing case (inputs, expected, got) with a
hint aimed at the likely mistake. Two kinds exist:

- :class:`FunctionExercise`: the learner writes a function. It is called on seeded random and
  edge-case inputs (float32 and float64, every reduction, extreme values) and its values, shapes,
  dtypes and gradients are compared with the reference. A value that differs is compared with
  *mistake models* (what a learner who forgot the 1/2 or swapped the reductions would compute),
  so the message can name the mistake.
- :class:`AnswerExercise`: the learner gives a number or a choice (a prediction, a value read
  off a curve).

A checker never raises because of the learner's code: an exception, a ``None``, a wrong type
or a non-finite value are reported as messages.
"""

from __future__ import annotations

import inspect
import math
import numbers
import textwrap
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

LANGUAGES = ("en", "zh")
_state = {"language": "en"}


def set_language(language: str) -> None:
    """Choose the language of every checker's messages: ``"en"`` (default) or ``"zh"``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}; got {language!r}")
    _state["language"] = language


def get_language() -> str:
    """The language the checkers print in (see :func:`set_language`)."""
    return _state["language"]


@dataclass(frozen=True)
class Text:
    """One message in both editions of the book; ``{fields}`` are filled in by ``format``."""

    en: str
    zh: str

    def format(self, language: str | None = None, **fields) -> str:
        template = getattr(self, language or get_language())
        return template.format(**fields) if fields else template


@dataclass
class Feedback:
    """What a check found. ``reason`` is ``"correct"``, a generic reason or a mistake's key."""

    passed: bool
    reason: str
    message: str

    def __str__(self) -> str:
        return self.message


# Messages shared by every exercise. {ex} is how the learner reaches the exercise (ex.huber).
MESSAGES = {
    "correct": Text(
        "✓ Correct: {what} matches the reference on all {n} cases\n  ({coverage}).",
        "✓ 正确：{what} 在全部 {n} 个测试用例上与参考实现一致\n  （{coverage}）。",
    ),
    "correct_answer": Text("✓ Correct: {answer}. {why}", "✓ 正确：{answer}。{why}"),
    "not_yet_function": Text(
        "✗ Not yet: {what} returned None. Write its body and run the cell again.\n"
        "  {ex}.hint() gives a hint and {ex}.solution() a worked solution.",
        "✗ 还没有完成：{what} 返回了 None。写好函数体后重新运行这个单元格。\n"
        "  {ex}.hint() 给出提示，{ex}.solution() 给出参考解答。",
    ),
    "not_yet_answer": Text(
        "✗ Not yet: set the answer (it is still None) and run the cell again.\n"
        "  {ex}.hint() gives a hint and {ex}.solution() the solution.",
        "✗ 还没有完成：答案仍是 None。填好答案后重新运行这个单元格。\n"
        "  {ex}.hint() 给出提示，{ex}.solution() 给出解答。",
    ),
    "not_callable": Text(
        "✗ Pass the function itself, for example {ex}.check(my_function), not {got}.",
        "✗ 请把函数本身传进来，例如 {ex}.check(my_function)，而不是 {got}。",
    ),
    "raised": Text(
        "✗ {what} raised {error} on {case}:\n    {detail}\n  in: {where}",
        "✗ {what} 在{case}上抛出了 {error}：\n    {detail}\n  位置：{where}",
    ),
    "wrong_type": Text(
        "✗ On {case}, {what} returned a {got}; expected a {expected}.",
        "✗ 在{case}上，{what} 返回了 {got}，应当返回 {expected}。",
    ),
    "tensor_not_number": Text(
        " Keep the computation in torch (no .item(), float() or numpy) so that gradients can flow.",
        " 请全程用 torch 计算（不要用 .item()、float() 或 numpy），这样梯度才能传回去。",
    ),
    "wrong_shape": Text(
        "✗ On {case}, {what} returned shape {got}; expected shape {expected}.",
        "✗ 在{case}上，{what} 返回的形状是 {got}，应当是 {expected}。",
    ),
    "shape_none": Text(
        " With reduction='none' the loss keeps one value per element: do not reduce.",
        " reduction='none' 时每个元素保留自己的损失值，不要做归约。",
    ),
    "shape_reduced": Text(
        " With reduction='{reduction}' the result is a single number (a 0-dimensional tensor).",
        " reduction='{reduction}' 时结果是一个数（0 维张量）。",
    ),
    "shape_broadcast": Text(
        " The result has more elements than expected: two tensors of different shapes were "
        "broadcast against each other (for example (N, 1) with (N,)).",
        " 结果的元素比预期多：两个形状不同的张量被广播到了一起（例如 (N, 1) 和 (N,)）。",
    ),
    "wrong_dtype": Text(
        "✗ On {case}, {what} returned dtype {got}; expected {expected}: a loss keeps the dtype of "
        "its input (a constant made with torch.tensor(...) without dtype= can change it).",
        "✗ 在{case}上，{what} 返回的 dtype 是 {got}，应当是 {expected}：损失应保持输入的 dtype"
        "（用 torch.tensor(...) 新建常数时不写 dtype= 可能改变它）。",
    ),
    "not_finite": Text(
        "✗ On {case}, {what} returned {got} where the reference gives {expected}: the formula "
        "overflows or divides by zero at these inputs.",
        "✗ 在{case}上，{what} 返回了 {got}，参考值是 {expected}：公式在这些输入上溢出或除以了零。",
    ),
    "wrong_value": Text(
        "✗ On {case}, {what} returned\n    {got}\n  expected\n    {expected}",
        "✗ 在{case}上，{what} 返回\n    {got}\n  应当是\n    {expected}",
    ),
    "modified_input": Text(
        "✗ On {case}, {what} changed its argument {arg} in place; a loss must leave its inputs "
        "alone (use x = x * 2 rather than x *= 2).",
        "✗ 在{case}上，{what} 就地修改了参数 {arg}；损失函数不能改动输入（写 x = x * 2，不要写 x *= 2）。",
    ),
    "no_gradient": Text(
        "✗ On {case}, the result of {what} is not connected to {arg}'s graph, so backward() cannot "
        "reach it: avoid .item(), .detach(), numpy and rebuilding tensors with torch.tensor(...).",
        "✗ 在{case}上，{what} 的结果与 {arg} 的计算图断开了，backward() 传不回去："
        "不要用 .item()、.detach()、numpy，也不要用 torch.tensor(...) 重新构造张量。",
    ),
    "wrong_gradient": Text(
        "✗ On {case}, the values are right but the gradient with respect to {arg} is wrong:\n"
        "    got      {got}\n    expected {expected}",
        "✗ 在{case}上，数值正确但对 {arg} 的梯度不对：\n    得到 {got}\n    应为 {expected}",
    ),
    "hint_prefix": Text("  Hint: ", "  提示："),
    "more_help": Text(
        "  ({ex}.hint() gives a hint, {ex}.solution() a worked solution.)",
        "  （{ex}.hint() 给出提示，{ex}.solution() 给出参考解答。）",
    ),
    "wrong_answer": Text("✗ Not quite: {got} is not right.", "✗ 还不对：{got} 不是正确答案。"),
    "wrong_choice": Text(
        "✗ {got!r} is not one of the choices {choices}.",
        "✗ {got!r} 不在可选答案 {choices} 之中。",
    ),
    "not_a_number": Text(
        "✗ The answer should be a number; got {got}.",
        "✗ 答案应当是一个数，得到的是 {got}。",
    ),
    "solution_heading": Text("Solution:", "参考解答："),
    "case": Text("case {i} of {n} ({label}) with {args}", "第 {i}/{n} 个用例（{label}，参数 {args}）"),
}

REDUCTION_MISTAKES = {
    "reduction_sum_for_mean": Text(
        "with reduction='mean' divide by the number of elements; this is the sum.",
        "reduction='mean' 要除以元素个数；这里算的是总和。",
    ),
    "reduction_mean_for_sum": Text(
        "with reduction='sum' add the elements up; this is their mean.",
        "reduction='sum' 要把各元素相加；这里算的是平均值。",
    ),
    "reduction_ignored": Text(
        "the result does not follow the reduction argument: 'none' keeps every element, "
        "'mean' averages them and 'sum' adds them up.",
        "结果没有按 reduction 参数处理：'none' 保留每个元素，'mean' 求平均，'sum' 求和。",
    ),
}


def describe(value: Any, limit: int = 8) -> str:
    """A short, readable rendering of a case's argument or result for messages."""
    if isinstance(value, torch.Tensor):
        t = value.detach()
        dtype = str(t.dtype).replace("torch.", "")
        if t.dim() == 0:
            return f"tensor({_number(t.item())}, {dtype})"
        flat = t.reshape(-1).tolist()
        shown = ", ".join(_number(v) for v in flat[:limit]) + (", ..." if len(flat) > limit else "")
        shape = "x".join(str(s) for s in t.shape)
        return f"tensor([{shown}], shape {shape}, {dtype})"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, (list, tuple)) and len(value) > limit:
        return repr(type(value)(value[:limit]))[:-1] + ", ...]"
    if isinstance(value, str):
        return repr(value)
    return repr(value)


def _number(v) -> str:
    if isinstance(v, bool) or isinstance(v, int):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.4g}"


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


def _tolerances(value: torch.Tensor, case: Case) -> tuple[float, float]:
    if case.rtol is not None:
        return case.rtol, case.atol if case.atol is not None else 0.0
    if value.dtype == torch.float64:
        return 1e-7, 1e-9
    if value.dtype in (torch.float16, torch.bfloat16):
        return 1e-2, 1e-3
    return 1e-4, 1e-6


def _close(got, expected, case: Case) -> bool:
    """Whether two results agree; tensors elementwise with dtype-aware tolerances."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
            return False
        rtol, atol = _tolerances(expected, case)
        g, e = got.detach().to(torch.float64).cpu(), expected.detach().to(torch.float64).cpu()
        return bool(torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(expected, (tuple, list)) and not isinstance(expected, str):
        return (
            isinstance(got, (tuple, list))
            and len(got) == len(expected)
            and all(_close(g, e, case) for g, e in zip(got, expected))
        )
    if isinstance(expected, float):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        return isinstance(got, (int, float)) and math.isclose(
            got, expected, rel_tol=case.rtol or 1e-6, abs_tol=case.atol or 1e-9
        )
    return type(got) is type(expected) and got == expected


def _as_whole_number(value):
    """216.0, numpy.int64(216) and tensor(216) as the int 216; anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return value


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


class Exercise:
    """Base of every exercise: ``check`` prints feedback, ``hint`` and ``solution`` help."""

    def __init__(self, name: str, *, hint: Text, explanation: Text, solution: Callable | str | None = None):
        self.name = name
        self._hint = hint
        self._explanation = explanation
        self._solution = solution

    @property
    def handle(self) -> str:
        return f"ex.{self.name}"

    def evaluate(self, answer) -> Feedback:  # pragma: no cover - overridden
        raise NotImplementedError

    def check(self, answer) -> None:
        """Check ``answer`` and print the result in the language set by ``set_language``."""
        print(self.evaluate(answer).message)

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
            for k, (before, after) in enumerate(zip(case.args, args)):
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
        for k, want in zip(positions, expected_grads):
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

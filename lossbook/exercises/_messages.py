"""The language of the checkers' messages, and the messages every exercise shares.

The chapters set the language once (``exercises.set_language("zh")`` in the Chinese edition);
every message is a :class:`Text` in both languages and is rendered in the language set when it
is printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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

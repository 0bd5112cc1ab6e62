"""What a user sees at a Python prompt: help() on a Module, and the errors of common mistakes.

``help(lossbook.CrossEntropyLoss)`` shows the class docstring (formula, Args, Shape, reference,
example: tests/unit/test_api_docs.py) and then ``forward``'s, which must say what it takes
instead of nn.Module's "Define the computation performed at every call". The errors are
those a user met (issue 16): each names the argument as the user wrote it and says what to do.
"""

from __future__ import annotations

import ast
import inspect
import pydoc
import re
from pathlib import Path

import pytest
import torch

import lossbook

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    name
    for name in lossbook.__all__
    if inspect.isclass(getattr(lossbook, name)) and issubclass(getattr(lossbook, name), torch.nn.Module)
)


@pytest.mark.parametrize("name", MODULES)
def test_forward_says_what_it_takes(name):
    cls = getattr(lossbook, name)
    doc = inspect.getdoc(cls.forward) or ""
    assert doc and "Define the computation performed at every call" not in doc, (
        f"{name}.forward has no docstring of its own"
    )
    parameters = list(inspect.signature(cls.forward).parameters)[1:]
    for parameter in parameters:
        if parameter in ("args", "kwargs"):
            continue
        assert parameter in doc or ":func:" in doc, f"{name}.forward's docstring does not name {parameter}"


def test_help_shows_the_loss_first():
    text = pydoc.render_doc(lossbook.CrossEntropyLoss, renderer=pydoc.plaintext)
    head = text[: text.index("Method resolution order")]
    for needed in (".. math::", "Args:", "Shape:", "Reference:", "Example:"):
        assert needed in head, f"help(CrossEntropyLoss) lacks {needed} before the inherited methods"
    forward = text[text.index(" forward(self") :][:600]
    assert "Shape:" in forward and "target" in forward


# ---------------------------------------------------------------------------------------------
# The errors a user met


def ctc_args(log_probs):
    return log_probs, torch.tensor([[1, 2], [3, 3]]), torch.tensor([6, 6]), torch.tensor([2, 2])


def test_ctc_says_batch_first_input_is_batch_first():
    batch_first = torch.randn(2, 6, 4).log_softmax(-1)  # (N, T, C)
    for loss in (lossbook.ctc_loss, lossbook.CTCLoss()):
        with pytest.raises(
            ValueError, match=r"log_probs must have shape \(T, N, C\).*batch-first.*transpose"
        ):
            loss(*ctc_args(batch_first))


@pytest.mark.parametrize("kind", ["probabilities", "logits"])
def test_ctc_refuses_probabilities_and_logits(kind):
    scores = torch.randn(6, 2, 4, generator=torch.Generator().manual_seed(0)) * 3
    log_probs = scores.softmax(-1) if kind == "probabilities" else scores
    with pytest.raises(ValueError, match="log_probs must be log-probabilities.*apply log_softmax"):
        lossbook.ctc_loss(*ctc_args(log_probs))
    # log(softmax(x)) may exceed 0 by rounding: still accepted
    lossbook.ctc_loss(*ctc_args(scores.softmax(-1).log()))


@pytest.mark.parametrize("name", ["ArcFaceLoss", "CosFaceLoss"])
def test_margin_heads_name_embeddings_and_weight_on_a_device_mismatch(name):
    head = getattr(lossbook, name)(3, 2).to("meta")  # a device other than the input's
    with pytest.raises(ValueError) as error:
        head(torch.randn(4, 3), torch.tensor([0, 1, 0, 1]))
    message = str(error.value)
    assert "embeddings" in message and "weight" in message and ".to(" in message
    assert not re.search(r"\b[xy]\b", message), f"internal names in {message!r}"


@pytest.mark.parametrize(
    "loss", [lossbook.cross_entropy, lossbook.CrossEntropyLoss(), lossbook.nll_loss], ids=str
)
def test_a_float_class_target_suggests_long(loss):
    with pytest.raises(TypeError, match=r"target.*\.long\(\)"):
        loss(torch.randn(4, 3).log_softmax(-1), torch.tensor([0.0, 1.0, 2.0, 0.0]))


# ---------------------------------------------------------------------------------------------
# Audit: no error message names an internal variable


INTERNAL = re.compile(r"(?<![\w.`'])(x|y|z|t|u|v|tmp|arr|tensor_|_\w+)(?![\w(`'])")


def raised_messages() -> list[tuple[str, int, str]]:
    """(file, line, text) of the literal text of every exception lossbook raises, less the
    names of its public function's parameters (``alignment_loss(x, y)`` may say "x")."""
    found = []
    for path in sorted((ROOT / "lossbook").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            public = not function.name.startswith("_")
            names = {a.arg for a in function.args.args + function.args.kwonlyargs} if public else set()
            for node in ast.walk(function):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                parts = []
                for arg in node.exc.args:
                    for sub in ast.walk(arg):
                        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                            parts.append(sub.value)
                text = "".join(parts)
                for name in names:
                    text = re.sub(rf"\b{re.escape(name)}\b", "", text)
                if parts:
                    found.append((str(path.relative_to(ROOT)), node.lineno, text))
    return found


def test_error_messages_name_no_internal_variable():
    messages = raised_messages()
    assert len(messages) > 100
    bad = [
        f"{path}:{line}: {text!r}"
        for path, line, text in messages
        if INTERNAL.search(re.sub(r"\([^()]*\)|\[[^\[\]]*\]|`[^`]*`|'[^']*'|\"[^\"]*\"", "", text))
    ]
    assert not bad, "error messages naming internal variables:\n" + "\n".join(bad)

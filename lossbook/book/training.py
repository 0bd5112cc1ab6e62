"""The small training loop every chapter uses: seeded, silent by default, returns a history.

Chapters call :func:`set_seed` once and :func:`fit` for each experiment, so that every
number they print is reproduced by a re-run (nbval), and no progress bar is left in the
stored outputs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn


def set_seed(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's random generators; return a seeded torch Generator."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@dataclass
class History:
    """Per-epoch mean training loss, and any metrics the ``evaluate`` callback returned."""

    loss: list[float] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)


def fit(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    targets: torch.Tensor | tuple[torch.Tensor, ...],
    *,
    epochs: int,
    batch_size: int | None = None,
    generator: torch.Generator | None = None,
    evaluate: Callable[[nn.Module], dict] | None = None,
    log_every: int = 0,
    progress: bool = False,
) -> History:
    """Train ``model`` on ``(inputs, targets)`` with mini-batch gradient descent.

    Args:
        model: maps a batch of inputs to predictions.
        loss_fn: ``loss_fn(predictions, targets)`` returns a scalar.
        optimizer: over ``model``'s parameters.
        inputs, targets: the whole training set, first dimension the sample; ``targets``
            may be a tuple of tensors (labels and lengths, say), batched together.
        epochs: passes over the data.
        batch_size: samples per step; ``None`` uses the whole set (full-batch descent).
        generator: shuffles the batches; seeded for reproducible runs.
        evaluate: called with the model after each epoch (in eval mode, without grad);
            its dict of metrics is stored in the history.
        log_every: print one summary line every this many epochs (0: silent).
        progress: show a live progress line (epoch, loss) while training, erased at the
            end, so that nothing of it stays in a stored notebook (see :class:`Progress`).

    Returns:
        The :class:`History` of the run.
    """
    n = inputs.shape[0]
    target_parts = targets if isinstance(targets, tuple) else (targets,)
    for part in target_parts:
        if part.shape[0] != n:
            raise ValueError(
                f"inputs and targets must have the same number of samples; got {n} and {part.shape[0]}"
            )
    batch_size = n if batch_size is None else batch_size
    history = History()
    bar = Progress(epochs) if progress else None
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator) if batch_size < n else torch.arange(n)
        total, seen = 0.0, 0
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            batch_targets = tuple(part[index] for part in target_parts)
            if not isinstance(targets, tuple):
                batch_targets = batch_targets[0]
            loss = loss_fn(model(inputs[index]), batch_targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
            seen += len(index)
        history.loss.append(total / seen)
        if evaluate is not None:
            model.eval()
            with torch.no_grad():
                history.metrics.append(evaluate(model))
        if bar is not None:
            bar.update(epoch, history.loss[-1])
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            extra = "".join(
                f"  {k} {v:.4f}" for k, v in (history.metrics[-1] if history.metrics else {}).items()
            )
            print(f"epoch {epoch:>4}  loss {history.loss[-1]:.4f}{extra}")
    if bar is not None:
        bar.close()
    return history


class Progress:
    """A one-line progress display that erases itself when closed.

    In a Jupyter kernel it is a display whose content is replaced at each update and
    emptied by ``close()``: the stored notebook keeps an output with no data (which
    neither nbval nor the book renders), never a bar or a timing. In a terminal it
    rewrites one line of stderr and blanks it at the end. It shows no times, so
    re-runs produce identical outputs.
    """

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.width = total, width
        self._handle = None
        self._last = ""
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
        if shell is not None and getattr(shell, "kernel", None) is not None:
            from IPython.display import display

            self._handle = display({}, raw=True, display_id=True)

    def _line(self, step: int, loss: float) -> str:
        filled = round(self.width * step / self.total) if self.total else self.width
        return f"[{'#' * filled}{'.' * (self.width - filled)}] epoch {step}/{self.total}  loss {loss:.4f}"

    def update(self, step: int, loss: float) -> None:
        line = self._line(step, loss)
        if self._handle is not None:
            self._handle.update({"text/plain": line}, raw=True)
        else:
            import sys

            sys.stderr.write("\r" + line.ljust(len(self._last)))
            sys.stderr.flush()
        self._last = line

    def close(self) -> None:
        if self._handle is not None:
            self._handle.update({}, raw=True)
        elif self._last:
            import sys

            sys.stderr.write("\r" + " " * len(self._last) + "\r")
            sys.stderr.flush()
        self._last = ""

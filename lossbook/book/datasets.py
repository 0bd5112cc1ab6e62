"""Small data sets that ship inside packages or are generated: no download, ever.

The chapters train on scikit-learn's digits (1,797 images of 8x8 pixels, in the
scikit-learn wheel), so they run offline, in CI and in Colab alike. scikit-learn is imported
by the function that loads them, so ``import lossbook`` does not need it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import require


@dataclass
class Split:
    """Tensors of a train/test split: images (N, 1, 8, 8) in [0, 1], labels (N,) int64."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def load_digits_split(test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's digits as tensors, split into train and test sets, stratified and seeded."""
    user = "lossbook.book.datasets.load_digits_split"
    sklearn_datasets = require("sklearn.datasets", user=user)
    model_selection = require("sklearn.model_selection", user=user)

    digits = sklearn_datasets.load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(digits.target, dtype=torch.int64)
    train_idx, test_idx = model_selection.train_test_split(
        torch.arange(len(labels)).numpy(),
        test_size=test_fraction,
        random_state=seed,
        stratify=labels.numpy(),
    )
    train_idx, test_idx = torch.from_numpy(train_idx), torch.from_numpy(test_idx)
    return Split(images[train_idx], labels[train_idx], images[test_idx], labels[test_idx])


@dataclass
class DigitLines:
    """Synthetic text lines: images (N, 1, H, W) in [0, 1], digits (N, S) padded with -1, lengths (N,)."""

    images: torch.Tensor
    digits: torch.Tensor
    lengths: torch.Tensor

    def strings(self) -> list[str]:
        """The digits of each line as a string, e.g. ``"4071"``."""
        return [
            "".join(str(int(d)) for d in row[:n]) for row, n in zip(self.digits, self.lengths, strict=True)
        ]


def make_digit_lines(
    images: torch.Tensor,
    labels: torch.Tensor,
    count: int,
    *,
    min_digits: int = 1,
    max_digits: int = 5,
    max_gap: int = 3,
    max_shift: int = 4,
    seed: int = 0,
) -> DigitLines:
    """Text lines composed from digit images: variable length, random spacing and jitter.

    Each line draws a length in ``[min_digits, max_digits]``, that many digit images at random
    (with their labels), and pastes them left to right on a blank canvas, each after a random
    gap of 0 to ``max_gap`` pixels and at a random height offset of 0 to ``max_shift`` pixels.
    The canvas is ``8 + max_shift`` pixels high and wide enough for the longest line with the
    widest gaps, so lines of one set share one shape. Lines built from a test split's digits
    are written by hands the model never saw.

    Args:
        images: (M, 1, 8, 8) digit images (e.g. ``load_digits_split().train_images``).
        labels: (M,) their digits.
        count: number of lines.
        min_digits, max_digits: range of the number of digits per line.
        max_gap: widest gap before a digit, in pixels.
        max_shift: largest vertical offset, in pixels.
        seed: seeds the generator, so the same arguments give the same lines.

    Returns:
        A :class:`DigitLines`.
    """
    import numpy as np

    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"need 1 <= min_digits <= max_digits; got {min_digits} and {max_digits}")
    if images.dim() != 4 or images.shape[1:] != (1, 8, 8) or labels.shape != images.shape[:1]:
        raise ValueError(
            "images must be (M, 1, 8, 8) with labels (M,); "
            f"got {tuple(images.shape)} and {tuple(labels.shape)}"
        )
    rng = np.random.default_rng(seed)
    pictures = images[:, 0].numpy()
    height, width = 8 + max_shift, max_digits * (8 + max_gap) + max_gap
    canvas = np.zeros((count, 1, height, width), dtype=np.float32)
    digits = np.full((count, max_digits), -1, dtype=np.int64)
    lengths = rng.integers(min_digits, max_digits + 1, size=count)
    for i, k in enumerate(lengths):
        chosen = rng.integers(0, len(pictures), size=k)
        gaps = rng.integers(0, max_gap + 1, size=k)
        shifts = rng.integers(0, max_shift + 1, size=k)
        x = 0
        for j in range(k):
            x += gaps[j]
            canvas[i, 0, shifts[j] : shifts[j] + 8, x : x + 8] = np.maximum(
                canvas[i, 0, shifts[j] : shifts[j] + 8, x : x + 8], pictures[chosen[j]]
            )
            x += 8
        digits[i, :k] = labels[chosen].numpy()
    return DigitLines(torch.from_numpy(canvas), torch.from_numpy(digits), torch.from_numpy(lengths))

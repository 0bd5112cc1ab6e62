"""Small data sets that ship inside packages or are generated: no download, ever.

The chapters train on scikit-learn's digits (1,797 images of 8x8 pixels, in the
scikit-learn wheel), so they run offline, in CI and in Colab alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Split:
    """Tensors of a train/test split: images (N, 1, 8, 8) in [0, 1], labels (N,) int64."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def load_digits_split(test_fraction: float = 0.25, seed: int = 0) -> Split:
    """scikit-learn's digits as tensors, split into train and test sets, stratified and seeded."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(digits.target, dtype=torch.int64)
    train_idx, test_idx = train_test_split(
        torch.arange(len(labels)).numpy(),
        test_size=test_fraction,
        random_state=seed,
        stratify=labels.numpy(),
    )
    train_idx, test_idx = torch.from_numpy(train_idx), torch.from_numpy(test_idx)
    return Split(images[train_idx], labels[train_idx], images[test_idx], labels[test_idx])

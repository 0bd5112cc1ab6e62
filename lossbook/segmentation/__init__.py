"""Losses of segmentation and detection: Dice, Jaccard, Tversky, Lovász, and the IoU-family box losses.

The chapter "Segmentation and detection" (``book/*/segmentation.ipynb``).
"""

__all__: list[str] = []

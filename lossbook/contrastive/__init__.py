"""Contrastive and self-supervised losses: InfoNCE, NT-Xent, SupCon, pair weighting and proxies.

The chapter "Contrastive and self-supervised learning" (``book/*/contrastive.ipynb``).
"""

__all__: list[str] = []

"""lossbook.classification: work in progress (see the open issue)."""

__all__: list[str] = []

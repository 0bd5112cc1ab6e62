"""The single source of lossbook's version (read by pyproject.toml and the chapters' install cell)."""

__version__ = "0.1.0"

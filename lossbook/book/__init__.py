"""What the chapters share beyond the losses: data, the training loop, the figures' style.

Chapters import these modules as ``from lossbook.book import datasets, plotting, training``.

``pip install lossbook`` installs torch and numpy only, which is all every loss needs. The
helpers here also use matplotlib, mplfonts and scikit-learn, the ``book`` extra
(``pip install "lossbook[book]"``). They import those only in the functions that use them,
through :func:`require`, so ``import lossbook`` never loads them, and a helper called without
them says what to install instead of failing on a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["INSTALL_HINT", "require"]

INSTALL_HINT = 'pip install "lossbook[book]"'

# Import names whose distribution is spelled differently, so the message names what pip installs.
_DISTRIBUTIONS = {"sklearn": "scikit-learn"}


def require(module: str, *, user: str) -> ModuleType:
    """Import ``module`` for the helper ``user``, or say which extra installs it.

    Args:
        module: the dotted name to import, e.g. ``"matplotlib.pyplot"``.
        user: the helper that needs it, named in the message, e.g. ``"lossbook.book.plotting.show"``.

    Returns:
        The imported module.

    Raises:
        ImportError: when ``module`` (or something it imports) is missing; the message names
            the missing package and the command that installs the book's extras.

    Example:
        >>> from lossbook.book import require
        >>> require("math", user="this example").sqrt(16.0)
        4.0
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.partition(".")[0]
        package = _DISTRIBUTIONS.get(top, top)
        raise ImportError(
            f"{user} needs {package}, which is not installed (`pip install lossbook` installs "
            f"torch and numpy only, enough for the losses): {INSTALL_HINT}",
            name=error.name,
        ) from error

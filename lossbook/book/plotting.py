"""The book's plotting style and fonts, in one place.

``use_book_style()`` registers a CJK-capable font (Noto Sans CJK SC, shipped by the
``mplfonts`` package, installed with ``pip install "lossbook[book]"``) so Chinese labels render
instead of boxes and "missing glyph" warnings, and sets one look for every figure.
``show(fig)`` displays a figure as a PNG and closes it, so a notebook stores the image and
nothing else (no ``<Figure size ...>`` text for nbval to compare).

matplotlib is imported by the functions that draw, not by this module, so that the losses and
the grids of :func:`loss_surface` work with ``pip install lossbook`` alone.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from . import INSTALL_HINT, require

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_NAME = "Noto Sans CJK SC"

# One colour per loss, so a loss keeps its colour from chapter to chapter.
LOSS_COLORS = {
    "mse": "#1f77b4",
    "mae": "#ff7f0e",
    "huber": "#2ca02c",
    "smooth_l1": "#17becf",
    "msle": "#9467bd",
    "mape": "#8c564b",
    "log_cosh": "#e377c2",
    "quantile": "#7f7f7f",
    "cross_entropy": "#d62728",
    "focal": "#bcbd22",
    "hinge": "#393b79",
}


def cjk_font_path() -> Path | None:
    """Path of the bundled CJK font, or None when ``mplfonts`` is not installed."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / CJK_FONT_FILE
    return path if path.exists() else None


def use_book_style() -> None:
    """Set the book's matplotlib style and register the CJK font (idempotent).

    Raises:
        ImportError: when matplotlib or the CJK font is missing, with the command that
            installs them; failing loudly beats figures whose Chinese labels are empty boxes.
    """
    plt = require("matplotlib.pyplot", user="lossbook.book.plotting.use_book_style")
    font_manager = require("matplotlib.font_manager", user="lossbook.book.plotting.use_book_style")
    path = cjk_font_path()
    if path is None:
        raise ImportError(
            "lossbook.book.plotting needs the Noto Sans CJK font from the 'mplfonts' package: "
            f"{INSTALL_HINT} (or pip install mplfonts)",
            name="mplfonts",
        )
    if CJK_FONT_NAME not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))
    plt.rcParams.update(
        {
            # DejaVu Sans first for Latin text and math; Noto Sans CJK for the glyphs it lacks.
            "font.family": ["DejaVu Sans", CJK_FONT_NAME],
            "axes.unicode_minus": False,
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            "lines.linewidth": 2.0,
        }
    )


def show(fig) -> None:
    """Display ``fig`` as a PNG in the notebook (or do nothing outside one), then close it."""
    plt = require("matplotlib.pyplot", user="lossbook.book.plotting.show")
    buffer = io.BytesIO()
    # No metadata: the same figure gives the same bytes, so re-runs do not churn git diffs.
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: nothing to display
        return
    if get_ipython() is not None:
        display({"image/png": buffer.getvalue()}, raw=True)


def loss_surface(loss_at, x_range, y_range, num: int = 101):
    """Evaluate a loss of two parameters on a ``num`` x ``num`` grid.

    Args:
        loss_at: ``loss_at(X, Y)`` takes two tensors of shape (num, num) (the grid's
            coordinates, float64) and returns the loss at every grid point, shape (num, num).
        x_range, y_range: ``(low, high)`` of each parameter.
        num: grid points per axis.

    Returns:
        ``(X, Y, Z)``, three (num, num) tensors ready for ``ax.contour``.

    Example:
        >>> import torch
        >>> X, Y, Z = loss_surface(lambda a, b: a**2 + b**2, (-1, 1), (-1, 1), num=3)
        >>> Z
        tensor([[2., 1., 2.],
                [1., 0., 1.],
                [2., 1., 2.]], dtype=torch.float64)
    """
    import torch

    xs = torch.linspace(float(x_range[0]), float(x_range[1]), num, dtype=torch.float64)
    ys = torch.linspace(float(y_range[0]), float(y_range[1]), num, dtype=torch.float64)
    X, Y = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        Z = loss_at(X, Y)
    if Z.shape != X.shape:
        raise ValueError(f"loss_at must return a tensor of shape {tuple(X.shape)}; got {tuple(Z.shape)}")
    return X, Y, Z


def plot_loss_contours(ax, loss_at, x_range, y_range, *, num: int = 101, levels: int = 20, log: bool = True):
    """Draw the contour lines of a loss of two parameters on ``ax``.

    The levels are spaced geometrically when ``log`` (a quadratic bowl then shows evenly
    spaced rings near its minimum as well as far from it), linearly otherwise.

    Args:
        ax: a matplotlib Axes.
        loss_at, x_range, y_range, num: as in :func:`loss_surface`.
        levels: number of contour levels.
        log: geometric (True) or linear (False) spacing of the levels.

    Returns:
        The matplotlib ``ContourSet``.
    """
    import numpy as np

    X, Y, Z = loss_surface(loss_at, x_range, y_range, num)
    z = Z.numpy()
    low, high = float(z.min()), float(z.max())
    if log and low > 0:
        values = np.geomspace(low * 1.05, high, levels)
    else:
        values = np.linspace(low, high, levels + 2)[1:-1]
    return ax.contour(X.numpy(), Y.numpy(), z, levels=values, cmap="viridis", linewidths=0.8)


def plot_path(ax, path, *, label: str, color: str, marker: str = "o") -> None:
    """Draw an optimizer's path through parameter space: a sequence of ``(x, y)`` points.

    The start is marked with a square and the end with a star, so the direction is visible.
    """
    xs = [float(p[0]) for p in path]
    ys = [float(p[1]) for p in path]
    ax.plot(xs, ys, marker=marker, markersize=3, linewidth=1.2, color=color, label=label)
    ax.plot(xs[:1], ys[:1], marker="s", markersize=7, color=color, linestyle="none")
    ax.plot(xs[-1:], ys[-1:], marker="*", markersize=12, color=color, linestyle="none")

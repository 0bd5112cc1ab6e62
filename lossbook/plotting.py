"""The book's plotting style and fonts, in one place.

``use_book_style()`` registers a CJK-capable font (Noto Sans CJK SC, shipped by the
``mplfonts`` package, installed with ``pip install lossbook[book]``) so Chinese labels render
instead of boxes and "missing glyph" warnings, and sets one look for every figure.
``show(fig)`` displays a figure as a PNG and closes it, so a notebook stores the image and
nothing else (no ``<Figure size ...>`` text for nbval to compare).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib import font_manager

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
        RuntimeError: when no CJK font is available, with the command that installs it;
            failing loudly beats figures whose Chinese labels are empty boxes.
    """
    path = cjk_font_path()
    if path is None:
        raise RuntimeError(
            "lossbook.plotting needs the Noto Sans CJK font from the 'mplfonts' package: "
            "pip install 'lossbook[book]' (or pip install mplfonts)"
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

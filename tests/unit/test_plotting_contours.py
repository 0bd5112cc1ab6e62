"""lossbook.book.plotting's loss-surface helpers (used by the concepts chapter)."""

import matplotlib
import pytest
import torch

import lossbook
from lossbook.book import plotting

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def test_loss_surface_evaluates_the_loss_on_the_grid():
    x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    y = 2.0 * x + 1.0

    def loss_at(W, B):
        pred = W[..., None] * x + B[..., None]
        return lossbook.mse_loss(pred, y.expand_as(pred), reduction="none").mean(-1)

    X, Y, Z = plotting.loss_surface(loss_at, (0.0, 4.0), (-1.0, 3.0), num=5)
    assert X.shape == Y.shape == Z.shape == (5, 5)
    assert X[0].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]  # x varies along columns
    assert Y[:, 0].tolist() == [-1.0, 0.0, 1.0, 2.0, 3.0]
    i, j = divmod(int(Z.argmin()), 5)
    assert (X[i, j].item(), Y[i, j].item()) == (2.0, 1.0)
    assert Z.min().item() == 0.0


def test_loss_surface_refuses_a_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        plotting.loss_surface(lambda a, b: a.sum(), (0, 1), (0, 1), num=4)


@pytest.mark.parametrize("log", [True, False])
def test_contours_and_path_draw(log):
    fig, ax = plt.subplots()
    contours = plotting.plot_loss_contours(
        ax, lambda a, b: a**2 + 3 * b**2 + 0.1, (-1, 1), (-1, 1), num=21, levels=5, log=log
    )
    assert len(contours.levels) == 5
    plotting.plot_path(ax, [(1.0, 1.0), (0.5, 0.2), (0.0, 0.0)], label="path", color="C0")
    assert ax.get_legend_handles_labels()[1] == ["path"]
    plt.close(fig)

import warnings

import matplotlib
import pytest
import torch
from torch import nn

import lossbook
from lossbook.book import plotting, training

matplotlib.use("Agg")


def test_fit_is_reproducible_and_decreases_the_loss():
    def run():
        gen = training.set_seed(0)
        x = torch.randn(64, 3, generator=gen)
        y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(64, 1, generator=gen)
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return training.fit(model, lossbook.mse_loss, opt, x, y, epochs=20, batch_size=16, generator=gen)

    first, second = run(), run()
    assert first.loss == second.loss
    assert first.loss[-1] < 0.1 * first.loss[0]


def test_fit_accepts_tuple_targets_and_reports_metrics(capsys):
    x = torch.randn(10, 2)
    y = torch.randn(10, 1)
    w = torch.ones(10, 1)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    history = training.fit(
        model,
        lambda pred, t: lossbook.mse_loss(pred * t[1], t[0]),
        opt,
        x,
        (y, w),
        epochs=2,
        evaluate=lambda m: {"score": 1.0},
        log_every=1,
    )
    assert history.metrics == [{"score": 1.0}, {"score": 1.0}]
    assert capsys.readouterr().out.count("epoch") == 2


def test_fit_refuses_mismatched_sample_counts():
    with pytest.raises(ValueError, match="same number of samples; got 4 and 3"):
        training.fit(nn.Linear(1, 1), lossbook.mse_loss, None, torch.zeros(4, 1), torch.zeros(3, 1), epochs=1)


def test_chinese_labels_render_without_missing_glyph_warnings():
    import matplotlib.pyplot as plt

    plotting.use_book_style()
    fig, ax = plt.subplots()
    ax.set_title("均方误差与平均绝对误差")
    ax.set_xlabel("误差 error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning
        fig.canvas.draw()
    plotting.show(fig)  # outside IPython: closes the figure, displays nothing
    assert not plt.get_fignums()

import math
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


@pytest.mark.parametrize("batch_size", [5, None])
def test_fit_gives_every_batch_the_targets_of_its_inputs(batch_size):
    # Each target part is a different function of its input: a batch whose targets were
    # shuffled, sliced or ordered apart from its inputs (any part of a tuple) shows here.
    n, epochs = 12, 3
    inputs = torch.arange(n, dtype=torch.float64)[:, None]
    targets = (3 * inputs, inputs.flatten().long() + 100)
    batches = []

    class Recording(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1, dtype=torch.float64))

        def forward(self, x):
            batches.append([x.flatten().clone()])
            return x * self.w

    def loss_fn(prediction, batch_targets):
        scaled, shifted = batch_targets
        batches[-1] += [scaled.flatten().clone(), shifted.clone()]
        return ((prediction - scaled) ** 2).mean()

    model = Recording()
    training.fit(
        model,
        loss_fn,
        torch.optim.SGD(model.parameters(), lr=1e-3),
        inputs,
        targets,
        epochs=epochs,
        batch_size=batch_size,
        generator=torch.Generator().manual_seed(0),
    )
    per_epoch = len(batches) // epochs
    assert per_epoch == (1 if batch_size is None else math.ceil(n / batch_size))
    for x, scaled, shifted in batches:
        assert torch.equal(scaled, 3 * x) and torch.equal(shifted, x.long() + 100)
    for epoch in range(epochs):
        order = torch.cat([b[0] for b in batches[epoch * per_epoch : (epoch + 1) * per_epoch]])
        assert sorted(order.tolist()) == list(range(n))  # every sample once per epoch
        if batch_size is not None:
            assert not torch.equal(order, inputs.flatten())  # shuffled


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

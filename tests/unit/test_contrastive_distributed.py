"""lossbook's gather=True contrastive losses under real process groups of 2 and 3 CPU processes (gloo).

The contract of issue #19: W ranks, each with its own equal share of the batch, a small encoder
wrapped in DistributedDataParallel (which averages the parameters' gradients over the ranks),
and ``gather=True`` take exactly the optimizer step of one process on the concatenated batch.
Every rank builds the whole batch from a seed and keeps its own rows; the parent computes the
single-process step on the concatenation and compares the loss (the ranks' average), the
averaged gradients and the parameters after one SGD step. One spawn per group size runs every
scenario, the ones that must fail included, followed by a valid one that shows the group still
works after them.
"""

import re

import pytest
import torch
from torch import nn

import lossbook
from tests.distributed import run_in_process_group

ROWS, FEATURES, LR = 4, 6, 0.5


def encoder() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(FEATURES, 16), nn.Tanh(), nn.Linear(16, 5)).double()


def views_loss(**kwargs):
    """InfoNCE on two views, encoded in one forward call (DDP counts a call per step)."""

    def loss(model, x, y, *, swap=False, **extra):
        query, key = model(x).chunk(2)
        if swap:
            query, key = key, query
        return lossbook.info_nce_loss(query, key, 0.2, **kwargs, **extra)

    return loss


def labelled_loss(function, **kwargs):
    def loss(model, x, y, **extra):
        return function(model(x), y, 0.2, **kwargs, **extra)

    return loss


# name -> (loss(model, x, y, gather=...), kind of batch, label pattern)
SCENARIOS = {
    "info_nce, query to key": (views_loss(), "views", None),
    "info_nce, key to query": (lambda m, x, y, **kw: views_loss()(m, x, y, swap=True, **kw), "views", None),
    "info_nce, symmetric": (views_loss(symmetric=True), "views", None),
    "info_nce, symmetric, sum": (views_loss(symmetric=True, reduction="sum"), "views", None),
    "info_nce, dot products": (views_loss(normalize=False), "views", None),
    "nt_xent, two views": (labelled_loss(lossbook.nt_xent_loss), "rows", "views"),
    "nt_xent, classes": (labelled_loss(lossbook.nt_xent_loss), "rows", "classes"),
    "nt_xent, sum": (labelled_loss(lossbook.nt_xent_loss, reduction="sum"), "rows", "classes"),
    "supcon, classes": (labelled_loss(lossbook.supcon_loss), "rows", "classes"),
    "supcon, a rank without positives": (labelled_loss(lossbook.supcon_loss), "rows", "rank 0 alone"),
    "supcon, sum": (labelled_loss(lossbook.supcon_loss, reduction="sum"), "rows", "classes"),
    "nt_xent, a rank without positives": (labelled_loss(lossbook.nt_xent_loss), "rows", "rank 0 alone"),
    "supcon, no positive anywhere": (labelled_loss(lossbook.supcon_loss), "rows", "singletons"),
    "nt_xent, one class": (labelled_loss(lossbook.nt_xent_loss), "rows", "one class"),
}


def batch(name, world_size, seed=0):
    """The whole batch (rank r's share is rows [r n, (r+1) n) of each part): inputs and labels."""
    _, kind, pattern = SCENARIOS[name]
    gen = torch.Generator().manual_seed(seed)
    n = ROWS * world_size
    if kind == "views":  # two views per image: (first views, second views)
        first = torch.randn(n, FEATURES, generator=gen, dtype=torch.float64)
        second = first + 0.3 * torch.randn(n, FEATURES, generator=gen, dtype=torch.float64)
        return (first, second), None
    x = torch.randn(n, FEATURES, generator=gen, dtype=torch.float64)
    if pattern == "views":
        y = torch.arange(n) // 2
    elif pattern == "classes":
        y = torch.randint(0, 3, (n,), generator=gen)
    elif pattern == "rank 0 alone":  # rank 0's rows have labels no other row has
        y = torch.cat([100 + torch.arange(ROWS), torch.randint(0, 2, (n - ROWS,), generator=gen)])
    elif pattern == "singletons":
        y = torch.arange(n)
    else:
        y = torch.zeros(n, dtype=torch.long)
    return (x,), y


def local_inputs(name, rank, world_size):
    parts, y = batch(name, world_size)
    rows = slice(rank * ROWS, (rank + 1) * ROWS)
    x = torch.cat([part[rows] for part in parts])
    return x, (None if y is None else y[rows])


def step(model, loss_fn, x, y, **kwargs):
    """One SGD step; returns the loss, the gradients (averaged by DDP) and the parameters after."""
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    optimizer.zero_grad()
    loss = loss_fn(model, x, y, **kwargs)
    loss.backward()
    grads = [p.grad.detach().clone() for p in model.parameters()]
    optimizer.step()
    return loss.detach(), grads, [p.detach().clone() for p in model.parameters()]


def try_call(fn):
    try:
        return ("ok", fn())
    except (TypeError, ValueError) as exc:
        return ("error", type(exc).__name__, str(exc))


def run_scenarios(rank, world_size):
    out = {}
    for name, (loss_fn, _, _) in SCENARIOS.items():
        model = nn.parallel.DistributedDataParallel(encoder())
        x, y = local_inputs(name, rank, world_size)
        out[name] = step(model, loss_fn, x, y, gather=True)

    # all_gather_with_grad alone: rank r's rows get the sum of every rank's gradient for them.
    mine = torch.full((2, 3), float(rank), dtype=torch.float64, requires_grad=True)
    gathered = lossbook.all_gather_with_grad(mine)
    weight = torch.arange(gathered.numel(), dtype=torch.float64).view_as(gathered) * (rank + 1)
    (gathered * weight).sum().backward()
    out["all_gather_with_grad"] = (gathered.detach(), mine.grad)
    out["all_gather_with_grad, labels"] = lossbook.all_gather_with_grad(torch.tensor([rank, 10 + rank]))

    # Wrong calls: an error on every rank, never a hang.
    x, y = torch.randn(ROWS, 5, dtype=torch.float64), torch.arange(ROWS) % 2
    uneven = slice(0, ROWS - 1 if rank == 0 else ROWS)
    out["error: unequal batches, info_nce"] = try_call(
        lambda: lossbook.info_nce_loss(x[uneven], x[uneven].flip(0), gather=True)
    )
    out["error: unequal batches, supcon"] = try_call(
        lambda: lossbook.supcon_loss(x[uneven], y[uneven], gather=True)
    )
    out["error: unequal batches, all_gather_with_grad"] = try_call(
        lambda: lossbook.all_gather_with_grad(x[uneven])
    )
    bad_labels = y.float() if rank == world_size - 1 else y
    out["error: one rank's float labels"] = try_call(
        lambda: lossbook.nt_xent_loss(x, bad_labels, gather=True)
    )
    reduction = "sum" if rank == 0 else "mean"
    out["error: reductions differ"] = try_call(
        lambda: lossbook.supcon_loss(x, y, reduction=reduction, gather=True)
    )
    out["error: widths differ"] = try_call(
        lambda: lossbook.nt_xent_loss(x[:, : 5 - (rank == 1)], y, gather=True)
    )
    out["after the errors"] = try_call(lambda: lossbook.supcon_loss(x, y, gather=True))
    return out


def reference(name, world_size):
    """One process on the concatenated batch: the loss, the gradients and the parameters after a step."""
    loss_fn = SCENARIOS[name][0]
    parts, y = batch(name, world_size)
    # views: all the first views, then all the second ones (each in rank order), one forward call
    return step(encoder(), loss_fn, torch.cat(parts), y)


@pytest.fixture(scope="module", params=[2, 3], ids=["2 processes", "3 processes"])
def group_results(request):
    world_size = request.param
    return world_size, run_in_process_group(run_scenarios, world_size, timeout=240.0)


def max_difference(a, b):
    return max(float((x - y).abs().max()) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_ddp_step_with_gather_equals_the_single_process_step(group_results, name):
    world_size, results = group_results
    loss, grads, params = reference(name, world_size)
    rank_losses = torch.stack([result[name][0] for result in results])
    torch.testing.assert_close(rank_losses.mean(), loss, rtol=1e-12, atol=1e-12)
    for rank, result in enumerate(results):
        _, rank_grads, rank_params = result[name]
        assert max_difference(rank_grads, grads) < 1e-12, f"rank {rank}"
        assert max_difference(rank_params, params) < 1e-12, f"rank {rank}"
    if "no positive" in name or "one class" in name:
        assert loss == 0 and all(not g.any() for g in grads)
    else:
        assert any(g.abs().max() > 1e-3 for g in grads)  # a real step, not a trivial one


def test_all_gather_with_grad_concatenates_in_rank_order_and_sums_the_gradients(group_results):
    world_size, results = group_results
    expected = torch.cat([torch.full((2, 3), float(r), dtype=torch.float64) for r in range(world_size)])
    weight = torch.arange(expected.numel(), dtype=torch.float64).view_as(expected)
    total = weight * sum(r + 1 for r in range(world_size))
    for rank, result in enumerate(results):
        gathered, grad = result["all_gather_with_grad"]
        torch.testing.assert_close(gathered, expected)
        torch.testing.assert_close(grad, total[2 * rank : 2 * rank + 2])
        labels = result["all_gather_with_grad, labels"]
        assert labels.tolist() == [v for r in range(world_size) for v in (r, 10 + r)]


@pytest.mark.parametrize(
    "name, kind, message",
    [
        ("error: unequal batches, info_nce", "ValueError", r"same number of rows .* got, by rank, \[3, 4"),
        ("error: unequal batches, supcon", "ValueError", r"same number of rows .* got, by rank, \[3, 4"),
        ("error: unequal batches, all_gather_with_grad", "ValueError", r"same number of rows"),
        ("error: reductions differ", "ValueError", r"same reduction on every rank"),
        ("error: widths differ", "ValueError", r"rows of the same size"),
    ],
)
def test_a_bad_group_is_an_error_on_every_rank_not_a_hang(group_results, name, kind, message):
    _, results = group_results
    for rank, result in enumerate(results):
        assert result[name][0] == "error", f"rank {rank} computed a loss"
        assert result[name][1] == kind
        assert re.search(message, result[name][2]), result[name][2]


def test_one_rank_with_bad_labels_makes_every_rank_raise(group_results):
    world_size, results = group_results
    for rank, result in enumerate(results):
        status, kind, message = result["error: one rank's float labels"]
        assert status == "error"
        if rank == world_size - 1:
            assert kind == "TypeError" and "labels" in message
        else:
            assert kind == "ValueError" and f"rank(s) [{world_size - 1}]" in message


def test_the_group_still_works_after_the_errors(group_results):
    _, results = group_results
    values = [result["after the errors"] for result in results]
    assert all(status == "ok" for status, *_ in values)
    assert torch.isfinite(torch.stack([v[1] for v in values])).all()

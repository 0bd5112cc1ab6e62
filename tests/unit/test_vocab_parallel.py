"""lossbook.vocab_parallel_cross_entropy under real process groups of 2 and 3 CPU processes (gloo).

Every rank builds the same full logits (N, V) and target from a seed, keeps its own slice of
the vocabulary, and returns the loss and its shard's gradient; the parent compares them with
``F.cross_entropy`` of the whole logits in one process. One spawn per group size runs every
scenario (starting processes costs seconds, a scenario milliseconds), the scenarios that
must fail included, followed by a valid one that shows the group still works after them.
"""

import re

import pytest
import torch
import torch.nn.functional as F

import lossbook
from lossbook.llm import VocabParallelCrossEntropyLoss, vocab_parallel_cross_entropy
from tests.distributed import run_in_process_group


def problem(N=6, V=13, seed=0, *, target_high=None, ignored=(), shape=None):
    """The full logits and target every rank rebuilds: the same seed, the same tensors."""
    gen = torch.Generator().manual_seed(seed)
    logits = 3.0 * torch.randn(N, V, generator=gen, dtype=torch.float64)
    target = torch.randint(0, target_high or V, (N,), generator=gen)
    for row, value in ignored:
        target[row] = value
    if shape is not None:
        logits, target = logits.reshape(*shape, V), target.reshape(shape)
    return logits, target


def upstream_gradient(shape, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=gen, dtype=torch.float64)


def slices(sizes):
    starts = [sum(sizes[:r]) for r in range(len(sizes))]
    return list(zip(starts, sizes, strict=True))


def scenarios(world_size):
    """name -> (problem kwargs, slice of each rank as (start, size), loss kwargs); valid ones first."""
    even = [13 // world_size + (1 if r < 13 % world_size else 0) for r in range(world_size)]
    uneven = [2, 11] if world_size == 2 else [1, 8, 4]
    out = {
        "even, mean": ({}, slices(even), {}),
        "uneven, sum": ({"seed": 1}, slices(uneven), {"reduction": "sum"}),
        # Every target lies in rank 0's slice: the other ranks hold no target logit.
        "a rank without targets, none": (
            {"seed": 2, "target_high": 2},
            slices(uneven),
            {"reduction": "none"},
        ),
        "label smoothing": ({"seed": 3}, slices(uneven), {"label_smoothing": 0.2}),
        "label smoothing, none": ({"seed": 3}, slices(even), {"label_smoothing": 0.1, "reduction": "none"}),
        "ignore_index -100": ({"seed": 4, "ignored": [(0, -100), (3, -100)]}, slices(uneven), {}),
        "ignore_index 5": ({"seed": 5, "ignored": [(1, 5), (2, 5)]}, slices(even), {"ignore_index": 5}),
        "smoothing and ignored rows": (
            {"seed": 6, "ignored": [(4, -100)]},
            slices(uneven),
            {"label_smoothing": 0.3, "reduction": "sum"},
        ),
        "ranks not in vocabulary order": ({"seed": 7}, list(reversed(slices(uneven[::-1]))), {}),
        "(B, T, V_r) logits": ({"seed": 8, "shape": (2, 3)}, slices(even), {"reduction": "none"}),
        "every row ignored": ({"seed": 9, "ignored": [(r, -100) for r in range(6)]}, slices(even), {}),
    }
    gap = [(start + (1 if r == world_size - 1 else 0), size) for r, (start, size) in enumerate(slices(even))]
    overlap = [(max(0, start - 1), size) for start, size in slices(even)]
    out.update(
        {
            "error: slices leave a gap": ({}, gap, {}),
            "error: slices overlap": ({}, overlap, {}),
            "error: label_smoothing differs": ({}, slices(even), {"label_smoothing": "by rank"}),
            "error: rows differ": ({}, slices(even), {"rows": "by rank"}),
            "error: target differs": ({}, slices(even), {"target": "by rank"}),
            "error: one rank's float target": ({}, slices(even), {"target": "float on the last rank"}),
            "error: target out of range": ({"ignored": [(2, 13)]}, slices(even), {}),
            "after the errors": ({"seed": 10}, slices(uneven), {"label_smoothing": 0.05}),
        }
    )
    return out


def run_scenarios(rank, world_size):
    """On one rank: every scenario's loss and shard gradient, or the exception it raised."""
    out = {}
    for name, (problem_kwargs, rank_slices, loss_kwargs) in scenarios(world_size).items():
        logits, target = problem(**problem_kwargs)
        start, size = rank_slices[rank]
        kwargs = dict(loss_kwargs)
        if kwargs.get("label_smoothing") == "by rank":
            kwargs["label_smoothing"] = 0.1 * rank
        if kwargs.pop("rows", None) == "by rank" and rank == 0:
            logits, target = logits[:-1], target[:-1]
        mismatch = kwargs.pop("target", None)
        if mismatch == "by rank" and rank == 0:
            target = target.flip(0)
        if mismatch == "float on the last rank" and rank == world_size - 1:
            target = target.double()
        shard = logits[..., start : start + size].clone().requires_grad_()
        try:
            loss = vocab_parallel_cross_entropy(shard, target, start, **kwargs)
            (loss * upstream_gradient(loss.shape)).sum().backward()
            out[name] = ("ok", loss.detach(), shard.grad)
        except (TypeError, ValueError) as exc:
            out[name] = ("error", type(exc).__name__, str(exc))
    return out


def reference(name, world_size):
    """The loss and the full gradient of the whole logits in one process, by torch."""
    problem_kwargs, _, loss_kwargs = scenarios(world_size)[name]
    logits, target = problem(**problem_kwargs)
    logits = logits.clone().requires_grad_()
    kwargs = {
        "ignore_index": loss_kwargs.get("ignore_index", -100),
        "label_smoothing": loss_kwargs.get("label_smoothing", 0.0),
        "reduction": loss_kwargs.get("reduction", "mean"),
    }
    flat = logits.reshape(-1, logits.shape[-1])
    loss = F.cross_entropy(flat, target.reshape(-1), **kwargs)
    loss = loss.reshape(target.shape) if kwargs["reduction"] == "none" else loss
    (grad,) = torch.autograd.grad((loss * upstream_gradient(loss.shape)).sum(), logits)
    return loss.detach(), grad


@pytest.fixture(scope="module", params=[2, 3], ids=["2 processes", "3 processes"])
def group_results(request):
    world_size = request.param
    return world_size, run_in_process_group(run_scenarios, world_size)


VALID = [name for name in scenarios(2) if not name.startswith("error")]
ERRORS = [name for name in scenarios(2) if name.startswith("error")]


@pytest.mark.parametrize("name", VALID)
def test_every_rank_gets_the_loss_and_its_slice_of_the_gradient(group_results, name):
    world_size, results = group_results
    loss, grad = reference(name, world_size)
    for rank, result in enumerate(results):
        status, rank_loss, shard_grad = result[name]
        assert status == "ok", f"rank {rank}: {rank_loss}: {shard_grad}"
        torch.testing.assert_close(rank_loss, loss, equal_nan=True)
        start, size = scenarios(world_size)[name][1][rank]
        expected = grad[..., start : start + size]
        if name == "every row ignored":
            assert torch.isnan(rank_loss) and not shard_grad.any()
        else:
            torch.testing.assert_close(shard_grad, expected)


@pytest.mark.parametrize("name", ERRORS)
def test_a_bad_group_is_an_error_on_every_rank_not_a_hang(group_results, name):
    world_size, results = group_results
    messages = {
        "error: slices leave a gap": "must tile \\[0, V\\) exactly; they leave a gap",
        "error: slices overlap": "must tile \\[0, V\\) exactly; they overlap",
        "error: label_smoothing differs": "every rank must pass the same label_smoothing",
        "error: rows differ": "every rank must pass the same number of rows in logits_shard",
        "error: target differs": "every rank must pass the same target",
        "error: target out of range": "target must hold class indices in \\[0, 13\\)",
    }
    for rank, result in enumerate(results):
        status, kind, message = result[name]
        assert status == "error", f"rank {rank} computed a loss"
        if name == "error: one rank's float target":
            if rank == world_size - 1:
                assert kind == "TypeError" and "target must hold class indices" in message
            else:
                assert kind == "ValueError" and f"rank(s) [{world_size - 1}]" in message
                assert "failed their checks" in message
        else:
            assert kind == "ValueError"
            assert re.search(messages[name], message), message


# ---------------------------------------------------------------------------------------------
# Without a process group: a group of one
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
def test_a_group_of_one_is_cross_entropy(device, reduction, label_smoothing):
    logits, target = problem(ignored=[(1, -100)])
    logits, target = logits.to(device).requires_grad_(), target.to(device)
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    ours = vocab_parallel_cross_entropy(logits, target, 0, **kwargs)
    theirs = F.cross_entropy(logits, target, **kwargs)
    torch.testing.assert_close(ours, theirs)
    up = upstream_gradient(ours.shape).to(device)
    (g_ours,) = torch.autograd.grad((ours * up).sum(), logits)
    (g_theirs,) = torch.autograd.grad((theirs * up).sum(), logits)
    torch.testing.assert_close(g_ours, g_theirs)


def test_gradcheck_retain_graph_and_first_order_only():
    logits, target = problem(N=4, V=5, ignored=[(2, -100)])
    logits.requires_grad_()

    def f(z):
        return vocab_parallel_cross_entropy(z, target, 0, label_smoothing=0.1, reduction="sum")

    # nondet_tol: the second backward recomputes the softmax the first took from the forward pass
    assert torch.autograd.gradcheck(f, (logits,), nondet_tol=1e-12)
    loss = f(logits)
    with pytest.raises(RuntimeError, match="first-order.*create_graph=True"):
        torch.autograd.grad(loss, logits, create_graph=True)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_computed_in_float32(dtype):
    logits, target = problem()
    logits = (logits * 3000).to(dtype).requires_grad_()  # logits of order 1e4
    ours = vocab_parallel_cross_entropy(logits, target, 0)
    assert ours.dtype == dtype and torch.isfinite(ours)
    torch.testing.assert_close(ours.float(), F.cross_entropy(logits.float(), target), rtol=1e-2, atol=0.0)
    (g,) = torch.autograd.grad(ours, logits)
    assert g.dtype == dtype and torch.isfinite(g).all()


def test_module_and_flat_names():
    logits, target = problem()
    criterion = VocabParallelCrossEntropyLoss(vocab_start=0, label_smoothing=0.1, reduction="sum")
    torch.testing.assert_close(
        criterion(logits, target), F.cross_entropy(logits, target, label_smoothing=0.1, reduction="sum")
    )
    assert "vocab_start=0" in repr(criterion)
    assert lossbook.vocab_parallel_cross_entropy is vocab_parallel_cross_entropy
    assert lossbook.VocabParallelCrossEntropyLoss is VocabParallelCrossEntropyLoss
    with pytest.raises(ValueError, match="vocab_start must be >= 0"):
        VocabParallelCrossEntropyLoss(vocab_start=-1)


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (([[1.0, 2.0]], torch.tensor([0]), 0), {}, TypeError, "logits_shard must be a torch.Tensor"),
        (
            (torch.zeros(2, 3, dtype=torch.long), torch.tensor([0, 1]), 0),
            {},
            TypeError,
            "logits_shard must have",
        ),
        ((torch.tensor(1.0), torch.tensor(0), 0), {}, ValueError, "class dimension last"),
        ((torch.zeros(2, 0), torch.tensor([0, 1]), 0), {}, ValueError, "at least one vocabulary column"),
        ((torch.zeros(2, 3), None, 0), {}, TypeError, "target must be a torch.Tensor of class indices"),
        ((torch.zeros(2, 3), torch.zeros(2), 0), {}, TypeError, "target must hold class indices"),
        ((torch.zeros(2, 3), torch.tensor([0]), 0), {}, ValueError, "target must have logits_shard's shape"),
        ((torch.zeros(2, 3), torch.tensor([0, 3]), 0), {}, ValueError, r"class indices in \[0, 3\)"),
        ((torch.zeros(2, 3), torch.tensor([0, 1]), 1.0), {}, TypeError, "vocab_start must be an int"),
        ((torch.zeros(2, 3), torch.tensor([0, 1]), -2), {}, ValueError, "vocab_start must be >= 0"),
        (
            (torch.zeros(2, 3), torch.tensor([0, 1]), 2),
            {},
            ValueError,
            r"tile \[0, V\) exactly; they leave a gap",
        ),
        ((torch.zeros(2, 3), torch.tensor([0, 1]), 0), {"ignore_index": 1.5}, TypeError, "ignore_index"),
        (
            (torch.zeros(2, 3), torch.tensor([0, 1]), 0),
            {"label_smoothing": -0.1},
            ValueError,
            "label_smoothing",
        ),
        ((torch.zeros(2, 3), torch.tensor([0, 1]), 0), {"reduction": "avg"}, ValueError, "reduction must be"),
    ],
)
def test_bad_inputs_without_a_group(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        vocab_parallel_cross_entropy(*args, **kwargs)

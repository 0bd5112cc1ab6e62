"""One optimizer step of a contrastive loss on 2 processes against the same step on 1 process.

The chapter *Contrastive and self-supervised learning* (section "Many processes") runs this
script as ``python -m lossbook.book.contrastive_ddp``. It spawns ``--world-size`` CPU processes
joined in a gloo process group on a free localhost port. Each process wraps the same small
encoder in ``DistributedDataParallel``, embeds its share of one global batch, computes a loss
and takes one SGD step. The parent process takes the same step on the whole batch, alone. The
script prints one JSON object: for each way of computing the loss, the difference between the
processes' mean loss and the single-process loss, and the largest difference between the
parameters after the step, relative to the size of the single-process step.

The ways:

* ``info_nce_gather``: ``lossbook.info_nce_loss(..., symmetric=True, gather=True)``;
* ``info_nce_local``: ``gather=False``, each process's own rows as the only negatives;
* ``info_nce_no_grad``: the other processes' rows from ``torch.distributed.all_gather``, which
  carries no gradient, with the process's own rows put back in their slot (a common shortcut);
* ``supcon_gather``: ``lossbook.supcon_loss(..., gather=True)`` with class labels.

Everything is float64, so an exact method agrees with the single process to rounding (about
1e-16), and the other two differ visibly.
"""

from __future__ import annotations

import argparse
import json
import socket
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import lossbook

__all__ = ["METHODS", "main"]

METHODS = ("info_nce_gather", "info_nce_local", "info_nce_no_grad", "supcon_gather")
ROWS, WIDTH, TEMPERATURE, LEARNING_RATE = 16, 64, 0.1, 0.5


def _encoder() -> nn.Module:
    torch.manual_seed(0)  # every process starts from the same weights
    return nn.Sequential(nn.Linear(WIDTH, 32), nn.ReLU(), nn.Linear(32, 16)).double()


def _batch():
    """The global batch: ROWS inputs, a second view of each, and class labels (4 classes)."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(ROWS, WIDTH, generator=g, dtype=torch.float64)
    views = x + 0.3 * torch.randn(ROWS, WIDTH, generator=g, dtype=torch.float64)
    labels = torch.randint(0, 4, (ROWS,), generator=g)
    return x, views, labels


def _loss(method, model, x, views, labels, gather):
    if method.startswith("info_nce"):
        q, k = model(torch.cat([x, views])).split(len(x))  # one forward pass, as DDP expects
        if method == "info_nce_no_grad":
            return _no_grad_info_nce(q, k)
        return lossbook.info_nce_loss(q, k, TEMPERATURE, symmetric=True, gather=gather)
    return lossbook.supcon_loss(model(x), labels, TEMPERATURE, gather=gather)


def _no_grad_info_nce(q, k):
    """Own rows against every process's rows, the others' from a plain all_gather (constants)."""
    world, rank, n = dist.get_world_size(), dist.get_rank(), len(q)

    def gathered(own):
        parts = [torch.empty_like(own) for _ in range(world)]
        dist.all_gather(parts, own.detach())
        parts[rank] = own  # only this slot carries a gradient
        return torch.cat(parts)

    all_q, all_k = gathered(q), gathered(k)
    q, k, all_q, all_k = (F.normalize(t, dim=1) for t in (q, k, all_q, all_k))
    target = torch.arange(n) + rank * n
    return (
        F.cross_entropy(q @ all_k.T / TEMPERATURE, target)
        + F.cross_entropy(k @ all_q.T / TEMPERATURE, target)
    ) / 2


def _step(model, loss):
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _rank_main(rank, world_size, port, results):
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=60),
    )
    try:
        x, views, labels = _batch()
        own = slice(rank * ROWS // world_size, (rank + 1) * ROWS // world_size)
        for method in METHODS:
            model = DistributedDataParallel(_encoder())
            loss = _loss(method, model, x[own], views[own], labels[own], gather=method != "info_nce_local")
            parameters = _step(model, loss)
            mean_loss = loss.detach().clone()
            dist.all_reduce(mean_loss)  # the processes' mean loss
            if rank == 0:
                results.put((method, mean_loss.item() / world_size, parameters.tolist()))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(world_size: int = 2) -> dict:
    """Run the comparison; returns ``{method: {"loss": difference, "step": relative difference}}``."""
    if ROWS % world_size:
        raise ValueError(f"world_size must divide the batch of {ROWS} rows; got {world_size}")
    context = mp.get_context("spawn")
    results = context.SimpleQueue()
    processes = mp.start_processes(
        _rank_main,
        args=(world_size, _free_port(), results),
        nprocs=world_size,
        join=False,
        start_method="spawn",
    )
    measured = {}
    for _ in METHODS:  # read while the processes run: a full pipe would block rank 0
        method, loss, parameters = results.get()
        measured[method] = (loss, torch.tensor(parameters, dtype=torch.float64))
    processes.join()
    x, views, labels = _batch()
    start = torch.cat([p.detach().flatten() for p in _encoder().parameters()])
    report = {}
    for method in METHODS:
        model = _encoder()  # one process, the whole batch, no gather
        loss = _loss("supcon" if method.startswith("supcon") else "info_nce", model, x, views, labels, False)
        parameters = _step(model, loss)
        ddp_loss, ddp_parameters = measured[method]
        report[method] = {
            "loss": abs(ddp_loss - loss.item()),
            "step": ((ddp_parameters - parameters).abs().max() / (parameters - start).abs().max()).item(),
        }
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world-size", type=int, default=2)
    print(json.dumps(main(parser.parse_args().world_size)))

"""Run a function on every rank of a real ``torch.distributed`` process group of CPU processes.

The tests of code that uses collectives (the vocabulary-parallel cross-entropy, losses that
gather embeddings across ranks) call::

    from tests.distributed import run_in_process_group

    results = run_in_process_group(worker, 3, some_argument)

which spawns 3 processes, joins them into a gloo group on a free localhost port, calls
``worker(rank, world_size, some_argument)`` on each and returns the ranks' return values, in
rank order. ``worker`` must be a module-level function (the processes are spawned, so it is
pickled by name) and return something ``torch.save`` can store (tensors, numbers, strings,
dicts of them). An exception on any rank, a rank that dies, or a group that does not finish
within ``timeout`` seconds (a collective waiting forever) fails the call with every rank's
traceback; the processes are always ended and the group destroyed.
"""

from __future__ import annotations

import io
import queue
import socket
import time
import traceback
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

__all__ = ["free_port", "run_in_process_group"]


def free_port() -> int:
    """A localhost TCP port that nothing listens on (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pack(value) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def _rank_main(rank, world_size, port, fn, args, results, collective_timeout):
    """One process: join the group, run ``fn``, report its result (or traceback), leave the group."""
    torch.set_num_threads(1)  # the ranks share the machine's cores
    try:
        dist.init_process_group(
            "gloo",
            init_method=f"tcp://127.0.0.1:{port}",
            rank=rank,
            world_size=world_size,
            timeout=timedelta(seconds=collective_timeout),
        )
        try:
            value = fn(rank, world_size, *args)
        finally:
            dist.destroy_process_group()
        report = ("ok", value)
    except BaseException as exc:  # reported to the parent, which raises
        report = ("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    results.put((rank, _pack(report)))


def run_in_process_group(
    fn, world_size: int, *args, timeout: float = 120.0, collective_timeout: float = 60.0
):
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` spawned CPU processes under one gloo
    group; return the list of their return values, in rank order."""
    context = mp.get_context("spawn")
    results = context.Queue()
    port = free_port()
    processes = [
        context.Process(
            target=_rank_main,
            args=(rank, world_size, port, fn, args, results, collective_timeout),
            daemon=True,
        )
        for rank in range(world_size)
    ]
    for process in processes:
        process.start()
    reports: dict[int, tuple] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(reports) < world_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                missing = sorted(set(range(world_size)) - set(reports))
                raise TimeoutError(f"rank(s) {missing} of {world_size} did not finish within {timeout:g} s")
            try:
                rank, payload = results.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                dead = [
                    r for r, p in enumerate(processes) if r not in reports and p.exitcode not in (None, 0)
                ]
                if dead:
                    codes = [processes[r].exitcode for r in dead]
                    raise RuntimeError(
                        f"rank(s) {dead} died without reporting (exit codes {codes})"
                    ) from None
                continue
            reports[rank] = torch.load(io.BytesIO(payload), weights_only=False)
    finally:
        for process in processes:
            process.join(timeout=10)
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        results.close()
    errors = [
        f"rank {rank}: {message}" for rank, (status, message) in sorted(reports.items()) if status != "ok"
    ]
    if errors:
        raise RuntimeError("a rank of the process group failed:\n" + "\n".join(errors))
    return [reports[rank][1] for rank in range(world_size)]

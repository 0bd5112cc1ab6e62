"""Peak memory that one forward + backward allocates beyond its inputs.

On CUDA the caching allocator's own peak statistics answer this. The CPU allocator keeps no
such statistics, so there a dispatch mode follows every tensor storage the operators create
and sums the live bytes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from .timing import clear_grads


class LiveTensorBytes(TorchDispatchMode):
    """Tracks the bytes of tensor storages created under it, and their peak.

    Every operator's outputs are seen here (autograd's backward operators included); a
    storage counts from its creation until it is freed. Allocations internal to a single
    operator are invisible, for lossbook and torch alike.
    """

    def __init__(self, existing=()):
        super().__init__()
        self.live = 0
        self.peak = 0
        # Storages that exist already (the inputs): views of them allocate nothing.
        self._seen: set[int] = {
            t.untyped_storage().data_ptr() for t in existing if isinstance(t, torch.Tensor)
        }

    def _free(self, key: int, nbytes: int) -> None:
        self._seen.discard(key)
        self.live -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                key = t.untyped_storage().data_ptr()
                if key and key not in self._seen:
                    nbytes = t.untyped_storage().nbytes()
                    self._seen.add(key)
                    self.live += nbytes
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(t, self._free, key, nbytes)
        return out


def peak_memory_mb(loss_fn: Callable[..., torch.Tensor], inputs: tuple, device: torch.device) -> float:
    """Peak memory (MiB) allocated by one forward + backward, beyond the inputs themselves."""
    clear_grads(inputs)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
        loss_fn(*inputs).backward()
        torch.cuda.synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - baseline) / 2**20
    tracker = LiveTensorBytes(existing=inputs)
    with tracker:
        loss_fn(*inputs).backward()
    return tracker.peak / 2**20
